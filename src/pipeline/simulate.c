/*
 * The simulate pipeline (simulate.h). Predictions and outcomes are stored as the
 * same per-route rows (p50/p95/p99, error rate, cost per request): the predicted
 * values for a prediction, the measured ones for an outcome, so that comparing them
 * is a join and the accuracy report needs nothing but the store.
 */
#include "pipeline/simulate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/git/repo.h"
#include "adapters/store/simulation.h"
#include "pipeline/review.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/json.h"

static int add_record(void *ctx, const mc_trace_record *rec)
{
	mc_cf_add(ctx, rec->route, rec->route_len, rec->latency_ms, rec->status, rec->cost_usd);
	return 0;
}

int mc_simulate_read(mc_cf **out, size_t *nrecords, const char *path,
		     const mc_trace_options *topt, uint64_t seed)
{
	int rc;
	mc_cf_new(out, seed);
	if ((rc = mc_trace_read_path(nrecords, path, topt, add_record, *out)) != 0) {
		mc_cf_free(*out);
		*out = NULL;
	}
	return rc;
}

int mc_simulate_open_store(mc_store **out, char **where, const char *state_path,
			   const char *repo_path)
{
	mc_repo *repo = NULL;
	int rc;

	*out = NULL;
	if (where)
		*where = NULL;
	if (state_path) {
		if ((rc = mc_store_open(out, state_path)) == 0 && where)
			*where = mc_xstrdup(state_path);
		return rc;
	}
	if (mc_repo_open(&repo, repo_path ? repo_path : ".") != 0)
		return mc_error_set(MC_ENOTFOUND, "not in a git repository: give --state FILE to "
				    "keep predictions");
	rc = mc_review_open_cache(out, where, repo);
	mc_repo_free(repo);
	return rc;
}

static void row_of(mc_sim_row *row, const mc_cf_route_result *r, int predicted)
{
	int j;
	double q[3];
	for (j = 0; j < 3; j++)
		q[j] = predicted ? r->latency[j].predicted : r->latency[j].base;
	row->route = r->route;
	row->requests = (int64_t)r->count;
	row->p50 = q[0];
	row->p95 = q[1];
	row->p99 = q[2];
	row->error_rate = predicted ? r->error_rate.predicted : r->error_rate.base;
	row->cost = predicted ? r->cost.predicted : r->cost.base;
}

/* The result's rows (route strings borrowed from r): the whole trace, then each route. */
static mc_sim_row *rows_of(const mc_cf_result *r, int predicted, size_t *n)
{
	mc_sim_row *rows = mc_xcalloc(r->nroutes + 1, sizeof *rows);
	size_t i;
	row_of(&rows[0], &r->overall, predicted);
	for (i = 0; i < r->nroutes; i++)
		row_of(&rows[i + 1], &r->routes[i], predicted);
	*n = r->nroutes + 1;
	return rows;
}

int mc_simulate_record(int64_t *id, mc_store *store, const char *trace, const mc_cf_deltas *d,
		       const mc_cf_result *r, int64_t now)
{
	struct json_object *deltas = mc_cf_deltas_to_json(d), *result = mc_cf_result_to_json(r);
	size_t n;
	mc_sim_row *rows = rows_of(r, 1, &n);
	int rc = mc_sim_record_prediction(id, store, trace, mc_json_dump(deltas, 0),
					  mc_json_dump(result, 0), rows, n, now);
	free(rows);
	json_object_put(deltas);
	json_object_put(result);
	return rc;
}

static void compare(mc_simulate_comparison *c, const mc_sim_row *pred, const mc_sim_row *act)
{
	double p[3] = { pred->p50, pred->p95, pred->p99 }, a[3] = { act->p50, act->p95, act->p99 };
	int j;
	c->route = mc_xstrdup(pred->route);
	c->predicted_requests = pred->requests;
	c->actual_requests = act->requests;
	for (j = 0; j < 3; j++) {
		c->predicted[j] = p[j];
		c->actual[j] = a[j];
		c->error[j] = mc_cf_relative_error(p[j], a[j]);
	}
	c->predicted_error_rate = pred->error_rate;
	c->actual_error_rate = act->error_rate;
	c->predicted_cost = pred->cost;
	c->actual_cost = act->cost;
	c->cost_error = mc_cf_relative_error(pred->cost, act->cost);
}

int mc_simulate_outcome(mc_simulate_comparison **cmp, size_t *n, mc_store *store, int64_t id,
			const char *trace, const mc_cf_result *actual, int64_t now)
{
	mc_sim_row *predicted = NULL, *rows;
	mc_sim_pair *pairs = NULL;
	size_t npred = 0, nrows, npairs = 0, i;
	int64_t outcome_id;
	int rc;

	*cmp = NULL;
	*n = 0;
	if ((rc = mc_sim_prediction_rows(&predicted, &npred, store, id)) != 0)
		return rc;
	mc_sim_rows_free(predicted, npred);
	rows = rows_of(actual, 0, &nrows);
	rc = mc_sim_record_outcome(&outcome_id, store, id, trace, rows, nrows, now);
	free(rows);
	if (!rc)
		rc = mc_sim_pairs(&pairs, &npairs, store, id);
	if (rc)
		return rc;
	*cmp = mc_xcalloc(npairs ? npairs : 1, sizeof **cmp);
	/* "*" sorts before every route that starts with '/' or a letter, but not before all
	 * bytes: put it first explicitly. */
	for (i = 0; i < npairs; i++)
		if (!strcmp(pairs[i].predicted.route, MC_CF_ALL))
			compare(&(*cmp)[(*n)++], &pairs[i].predicted, &pairs[i].actual);
	for (i = 0; i < npairs; i++)
		if (strcmp(pairs[i].predicted.route, MC_CF_ALL))
			compare(&(*cmp)[(*n)++], &pairs[i].predicted, &pairs[i].actual);
	mc_sim_pairs_free(pairs, npairs);
	return 0;
}

void mc_simulate_comparisons_free(mc_simulate_comparison *cmp, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		free(cmp[i].route);
	free(cmp);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int mc_simulate_accuracy_of(mc_simulate_accuracy *out, mc_store *store)
{
	mc_sim_pair *pairs = NULL;
	size_t npairs = 0, i, noverall = 0;
	double *errors, overall_sum = 0, sum = 0;
	int64_t last = -1;
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = mc_sim_count(&out->predictions, store)) != 0 ||
	    (rc = mc_sim_pairs(&pairs, &npairs, store, 0)) != 0)
		return rc;
	errors = mc_xcalloc(npairs ? npairs : 1, sizeof *errors);
	for (i = 0; i < npairs; i++) {
		double e = mc_cf_relative_error(pairs[i].predicted.p50, pairs[i].actual.p50);
		if (pairs[i].prediction_id != last) {
			out->with_outcome++;
			last = pairs[i].prediction_id;
		}
		if (!isfinite(e))
			continue; /* an actual p50 of 0 ms: no relative error to speak of */
		if (!strcmp(pairs[i].predicted.route, MC_CF_ALL)) {
			overall_sum += e;
			noverall++;
			continue;
		}
		errors[out->routes++] = e;
		sum += e;
	}
	if (out->routes) {
		qsort(errors, out->routes, sizeof *errors, cmp_double);
		out->p50_median = out->routes % 2 ? errors[out->routes / 2]
				  : (errors[out->routes / 2 - 1] + errors[out->routes / 2]) / 2;
		out->p50_mean = sum / (double)out->routes;
		out->p50_max = errors[out->routes - 1];
		out->meets_bar = out->p50_mean < MC_SIMULATE_P50_BAR;
	}
	out->overall_p50_mean = noverall ? overall_sum / (double)noverall : NAN;
	free(errors);
	mc_sim_pairs_free(pairs, npairs);
	return 0;
}
