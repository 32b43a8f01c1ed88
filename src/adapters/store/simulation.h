/*
 * Counterfactual predictions in the operational store: what `maestro simulate`
 * predicted per route (and for the whole trace, route "*"), the outcomes measured
 * later on real traffic (a canary's trace, a post-release trace), and the pairs of
 * the two that the prediction error is computed from. The full prediction document
 * and the deltas are kept as JSON text beside the rows the comparisons need.
 */
#ifndef MC_ADAPTERS_STORE_SIMULATION_H
#define MC_ADAPTERS_STORE_SIMULATION_H
#include <stddef.h>
#include <stdint.h>

#include "adapters/store/db.h"

/* One route's figures: predicted ones in a prediction, measured ones in an outcome. */
typedef struct mc_sim_row {
	char *route;
	int64_t requests;
	double p50, p95, p99;  /* latency, ms */
	double error_rate;     /* 0..1 */
	double cost;           /* USD per request */
} mc_sim_row;

/* A prediction's row beside the latest outcome's row for the same route. */
typedef struct mc_sim_pair {
	int64_t prediction_id;
	mc_sim_row predicted, actual;
} mc_sim_pair;

/* Store a prediction and its rows in one transaction; *id is its new id. */
int mc_sim_record_prediction(int64_t *id, mc_store *store, const char *trace, const char *deltas,
			     const char *result, const mc_sim_row *rows, size_t n, int64_t now);
/* The rows of prediction id (MC_ENOTFOUND when there is none). */
int mc_sim_prediction_rows(mc_sim_row **rows, size_t *n, mc_store *store, int64_t id);
/* Store an outcome of prediction id; *outcome_id is its new id. */
int mc_sim_record_outcome(int64_t *outcome_id, mc_store *store, int64_t id, const char *trace,
			  const mc_sim_row *rows, size_t n, int64_t now);
/* For every prediction with an outcome (or only prediction id when id > 0): its rows
 * paired with the same routes of its latest outcome, by prediction and route. */
int mc_sim_pairs(mc_sim_pair **pairs, size_t *n, mc_store *store, int64_t id);
/* How many predictions are stored. */
int mc_sim_count(int64_t *predictions, mc_store *store);

void mc_sim_rows_free(mc_sim_row *rows, size_t n);
void mc_sim_pairs_free(mc_sim_pair *pairs, size_t n);

#endif
