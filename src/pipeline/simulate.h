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

#include <json-c/json.h>
#include <time.h>

#include "adapters/git/repo.h"
#include "adapters/store/db.h"
#include "adapters/trace/trace.h"
#include "model/cf.h"
#include "model/config.h"

/* The sprint's bar for the p50 prediction error. */
#define MC_SIMULATE_P50_BAR 0.10

/* Read the trace at path ("-": standard input) into a new accumulator whose
 * reservoirs draw with seed. *nrecords: requests read. */
int mc_simulate_read(mc_cf **out, size_t *nrecords, const char *path,
		     const mc_trace_options *topt, uint64_t seed);

/* What a trace was, for the card and for evidence. */
typedef struct mc_simulate_trace {
	char *name;              /* as given (a path, "-", "<commit>:<path>") */
	enum mc_trace_format format;
	size_t records;
	int digested;            /* bytes and sha256 below are set */
	unsigned long long bytes;
	char sha256[65];         /* lowercase hex of every byte read */
} mc_simulate_trace;

/* mc_simulate_read that also fills *t; with digest, the trace's SHA-256 and size are
 * computed in the same pass (it costs time: only when evidence will be recorded). */
int mc_simulate_read_trace(mc_cf **out, mc_simulate_trace *t, const char *path,
			   const mc_trace_options *topt, uint64_t seed, int digest);
/* The same from memory (always digested): a trace read from a commit. */
int mc_simulate_read_mem(mc_cf **out, mc_simulate_trace *t, const char *data, size_t len,
			 const char *name, const mc_trace_options *topt, uint64_t seed);
void mc_simulate_trace_free(mc_simulate_trace *t);

/* Where a prediction's deltas came from: the evidence and the card say it. */
#define MC_SIMULATE_FROM_CLI "cli"         /* --delta options */
#define MC_SIMULATE_FROM_FILE "file"       /* --deltas FILE.json */
#define MC_SIMULATE_FROM_CONFIG "config"   /* simulate.deltas of the base's config */
#define MC_SIMULATE_FROM_CANARY "canary"   /* the shadow canary's measurement */
#define MC_SIMULATE_FROM_OFFER "offer"     /* the deltas the contracted agent's offer predicted */

/*
 * The seam between the shadow canary and the counterfactual engine: turn what the
 * canary measured into deltas. Each metric is the median of base's and of head's
 * samples of one canary metric; names that are deltas:
 *   latency_ms                 factor head/base on p50, p95 and p99
 *   p50_ms, p95_ms, p99_ms     factor head/base on that quantile
 *   error_rate                 head - base added to the error rate (fractions)
 *   cost_usd                   factor head/base on the cost per request (base 0: head added)
 * A metric with route NULL applies to every route ("*"). Other names are not deltas
 * and are skipped; *used counts the metrics taken. A latency with base <= 0, or a
 * factor outside (0, 1000], or a value that is not finite is MC_EINVAL naming it.
 */
typedef struct mc_simulate_canary_metric {
	const char *name;
	const char *route;
	double base, head;
} mc_simulate_canary_metric;

int mc_simulate_deltas_from_canary(mc_cf_deltas *out, size_t *used,
				   const mc_simulate_canary_metric *m, size_t n);

/*
 * Signed evidence about a commit for simulate. Open: the repository at repo_path, the
 * commit rev names (NULL: HEAD), the configuration committed there (evidence.*).
 * When rev is NULL and there is no repository, HEAD is unborn or its config does not
 * parse (a warning), *ev stays closed (ev->repo NULL) and 0 is returned: there is
 * nothing to record about.
 * ev->will_sign says whether records will be signed (a key and evidence.record).
 */
typedef struct mc_simulate_evidence {
	mc_repo *repo;
	mc_config cfg;
	char commit[41];
	char *name;          /* the repository's name for people: its directory */
	int will_sign;
} mc_simulate_evidence;

int mc_simulate_evidence_open(mc_simulate_evidence *ev, const char *repo_path, const char *rev);
/* Record predicate (borrowed) about ev->commit as the configuration asks; *note says what
 * happened, for people. what: "prediction", "outcome". */
int mc_simulate_evidence_record(char **note, int *appended, mc_simulate_evidence *ev,
				struct json_object *predicate, const char *what);
void mc_simulate_evidence_close(mc_simulate_evidence *ev);

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

/* Routes an evidence record or a card lists at most (the busiest; the rest counted). */
#define MC_SIMULATE_EVIDENCE_ROUTES 100

/* The predicate of a prediction's evidence record (schemas/evidence-simulation.schema.json).
 * id: the stored prediction's id, or 0 when it was not stored. */
struct json_object *mc_simulate_prediction_predicate(const mc_simulate_trace *t,
						     const char *origin, const mc_cf_deltas *d,
						     const mc_cf_result *r, int64_t id, time_t at);
/* The predicate of an outcome's record: the actual trace and the prediction error. */
struct json_object *mc_simulate_outcome_predicate(const mc_simulate_trace *t, int64_t id,
						  const mc_simulate_comparison *c, size_t n,
						  time_t at);

#endif
