/*
 * `maestro simulate` between the trace readers, the counterfactual model and the
 * store: read a trace into the model's accumulators, record a prediction, record
 * the outcome that real traffic later showed and compare it with the prediction,
 * and summarise how accurate the recorded predictions were.
 */
#ifndef MC_PIPELINE_SIMULATE_H
#define MC_PIPELINE_SIMULATE_H
#include <stddef.h>
#include <stdint.h>

#include "adapters/store/db.h"
#include "adapters/trace/trace.h"
#include "model/cf.h"

/* The sprint's bar for the p50 prediction error. */
#define MC_SIMULATE_P50_BAR 0.10

/* Read the trace at path ("-": standard input) into a new accumulator whose
 * reservoirs draw with seed. *nrecords: requests read. */
int mc_simulate_read(mc_cf **out, size_t *nrecords, const char *path,
		     const mc_trace_options *topt, uint64_t seed);

/*
 * Open the store predictions go to: state_path when given, else the repository at
 * repo_path's <common git dir>/maestro/cache.db (created when absent). Outside a
 * repository without state_path: MC_ENOTFOUND. *where (may be NULL) gets the path.
 */
int mc_simulate_open_store(mc_store **out, char **where, const char *state_path,
			   const char *repo_path);

/* Record a prediction made from trace (a name for people) under deltas. */
int mc_simulate_record(int64_t *id, mc_store *store, const char *trace, const mc_cf_deltas *d,
		       const mc_cf_result *r, int64_t now);

/* One route of an outcome beside its prediction. */
typedef struct mc_simulate_comparison {
	char *route;
	int64_t predicted_requests, actual_requests;
	double predicted[3], actual[3], error[3]; /* p50, p95, p99 and relative errors */
	double predicted_error_rate, actual_error_rate;
	double predicted_cost, actual_cost, cost_error; /* per request; relative error */
} mc_simulate_comparison;

/*
 * Record actual (measured on real traffic from the trace named trace, without deltas)
 * as the outcome of prediction id and compare: one comparison per route the prediction
 * and the outcome share, "*" (the whole trace) first.
 */
int mc_simulate_outcome(mc_simulate_comparison **cmp, size_t *n, mc_store *store, int64_t id,
			const char *trace, const mc_cf_result *actual, int64_t now);
void mc_simulate_comparisons_free(mc_simulate_comparison *cmp, size_t n);

typedef struct mc_simulate_accuracy {
	int64_t predictions;        /* recorded */
	size_t with_outcome;        /* of them with an outcome */
	size_t routes;              /* route comparisons (the whole-trace rows aside) */
	double p50_median, p50_mean, p50_max;  /* relative p50 errors over those routes */
	double overall_p50_mean;    /* relative p50 error of the whole trace, mean over predictions */
	int meets_bar;              /* p50_mean < MC_SIMULATE_P50_BAR */
} mc_simulate_accuracy;

/* Summarise the latest outcome of every recorded prediction. */
int mc_simulate_accuracy_of(mc_simulate_accuracy *out, mc_store *store);

#endif
