/*
 * The simulate pipeline (simulate.h). Predictions and outcomes are stored as the
 * same per-route rows (p50/p95/p99, error rate, cost per request): the predicted
 * values for a prediction, the measured ones for an outcome, so that comparing them
 * is a join and the accuracy report needs nothing but the store.
 */
#include "pipeline/simulate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "adapters/git/repo.h"
#include "adapters/store/simulation.h"
#include "pipeline/config_at.h"
#include "pipeline/evidence.h"
#include "pipeline/repo_store.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/hex.h"
#include "util/json.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/time.h"
#include "util/utf8.h"

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

/* ---- reading with a digest ---- */

struct digest {
	EVP_MD_CTX *md;
	unsigned long long bytes;
};

static void digest_bytes(void *ctx, const char *data, size_t len)
{
	struct digest *d = ctx;
	EVP_DigestUpdate(d->md, data, len);
	d->bytes += len;
}

static void digest_start(struct digest *d, mc_trace_options *topt)
{
	d->md = EVP_MD_CTX_new();
	d->bytes = 0;
	if (!d->md || EVP_DigestInit_ex(d->md, EVP_sha256(), NULL) != 1) {
		/* Only allocation fails here: treat it as util/alloc.h does. */
		fputs("maestro: cannot start a SHA-256 digest\n", stderr);
		exit(4);
	}
	topt->on_bytes = digest_bytes;
	topt->bytes_ctx = d;
}

static void digest_finish(struct digest *d, mc_simulate_trace *t)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	EVP_DigestFinal_ex(d->md, md, &len);
	EVP_MD_CTX_free(d->md);
	mc_hex_encode(t->sha256, md, len < 32 ? len : 32);
	t->bytes = d->bytes;
	t->digested = 1;
}

int mc_simulate_read_trace(mc_cf **out, mc_simulate_trace *t, const char *path,
			   const mc_trace_options *topt, uint64_t seed, int digest)
{
	mc_trace_options opt = *topt;
	struct digest d;
	int rc;

	memset(t, 0, sizeof *t);
	t->name = mc_xstrdup(path);
	t->format = topt->format;
	if (digest)
		digest_start(&d, &opt);
	mc_cf_new(out, seed);
	rc = mc_trace_read_path(&t->records, path, &opt, add_record, *out);
	if (digest)
		digest_finish(&d, t);
	if (rc) {
		mc_cf_free(*out);
		*out = NULL;
	}
	return rc;
}

int mc_simulate_read_mem(mc_cf **out, mc_simulate_trace *t, const char *data, size_t len,
			 const char *name, const mc_trace_options *topt, uint64_t seed)
{
	mc_trace_options opt = *topt;
	struct digest d;
	int rc;

	memset(t, 0, sizeof *t);
	t->name = mc_xstrdup(name);
	t->format = topt->format;
	digest_start(&d, &opt);
	mc_cf_new(out, seed);
	rc = mc_trace_read_mem(&t->records, data, len, name, &opt, add_record, *out);
	digest_finish(&d, t);
	if (rc) {
		mc_cf_free(*out);
		*out = NULL;
	}
	return rc;
}

void mc_simulate_trace_free(mc_simulate_trace *t)
{
	free(t->name);
	memset(t, 0, sizeof *t);
}

/* ---- deltas from the canary ---- */

static int canary_delta(mc_cf_deltas *out, const mc_simulate_canary_metric *m, int *taken)
{
	static const struct {
		const char *name, *key;
		int latency;  /* a factor of a latency: base must be > 0 */
	} names[] = {
		{ "latency_ms", "latency", 1 }, { "p50_ms", "p50", 1 }, { "p95_ms", "p95", 1 },
		{ "p99_ms", "p99", 1 },         { "error_rate", "errors", 0 }, { "cost_usd", "cost", 0 },
	};
	const char *route = m->route ? m->route : MC_CF_ALL;
	mc_strbuf spec = MC_STRBUF_INIT;
	size_t i;
	int rc;

	*taken = 0;
	for (i = 0; i < sizeof names / sizeof *names; i++)
		if (!strcmp(m->name, names[i].name))
			break;
	if (i == sizeof names / sizeof *names)
		return 0;
	if (!isfinite(m->base) || !isfinite(m->head) || m->base < 0 || m->head < 0)
		return mc_error_set(MC_EINVAL, "canary metric %s: base %g and head %g must be finite "
				    "and >= 0", m->name, m->base, m->head);
	if (names[i].latency && m->base <= 0)
		return mc_error_set(MC_EINVAL, "canary metric %s: a base of %g ms gives no factor",
				    m->name, m->base);
	if (!strcmp(names[i].key, "errors") || (!strcmp(names[i].key, "cost") && m->base <= 0)) {
		double add = m->head - m->base;
		mc_strbuf_printf(&spec, "%s:%s=%c%.17g", route, names[i].key, add < 0 ? '-' : '+',
				 fabs(add));
	} else {
		mc_strbuf_printf(&spec, "%s:%s=x%.17g", route, names[i].key, m->head / m->base);
	}
	rc = mc_cf_deltas_add_spec(out, spec.buf);
	mc_strbuf_release(&spec);
	if (rc)
		return mc_error_wrap(rc, "canary metric %s", m->name);
	*taken = 1;
	return 0;
}

int mc_simulate_deltas_from_canary(mc_cf_deltas *out, size_t *used,
				   const mc_simulate_canary_metric *m, size_t n)
{
	size_t i;
	int rc, taken;

	if (used)
		*used = 0;
	for (i = 0; i < n; i++) {
		if ((rc = canary_delta(out, &m[i], &taken)) != 0)
			return rc;
		if (used)
			*used += (size_t)taken;
	}
	return 0;
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
	rc = mc_repo_store_open(out, where, repo);
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

/* ---- evidence ---- */

static struct json_object *trace_json(const mc_simulate_trace *t)
{
	struct json_object *o = json_object_new_object();
	mc_json_set_string(o, "name", t->name);
	mc_json_set_string(o, "format", t->format == MC_TRACE_NGINX ? "nginx" : "jsonl");
	mc_json_set_int(o, "records", (long long)t->records);
	mc_json_set_int(o, "bytes", (long long)t->bytes);
	mc_json_set_string(o, "sha256", t->sha256);
	return o;
}

static void set_time(struct json_object *o, const char *key, time_t at)
{
	char when[MC_TIME_ISO_LEN];
	mc_time_iso8601(when, at, -1);
	mc_json_set_string(o, key, when);
}

static int by_requests_desc(const void *a, const void *b)
{
	struct json_object *x = *(struct json_object *const *)a, *y = *(struct json_object *const *)b;
	int64_t nx = json_object_get_int64(mc_json_get(x, "requests"));
	int64_t ny = json_object_get_int64(mc_json_get(y, "requests"));
	if (nx != ny)
		return nx < ny ? 1 : -1;
	return strcmp(mc_json_get_string(x, "route", ""), mc_json_get_string(y, "route", ""));
}

/* The busiest max routes of a result document's "routes" array, in a new array. */
static struct json_object *busiest_routes(struct json_object *routes, size_t max, size_t *more)
{
	size_t n = json_object_array_length(routes), i;
	struct json_object **v = mc_xcalloc(n ? n : 1, sizeof *v), *out = json_object_new_array();
	for (i = 0; i < n; i++)
		v[i] = json_object_array_get_idx(routes, i);
	qsort(v, n, sizeof *v, by_requests_desc);
	for (i = 0; i < n && i < max; i++)
		json_object_array_add(out, json_object_get(v[i]));
	*more = n > max ? n - max : 0;
	free(v);
	return out;
}

struct json_object *mc_simulate_prediction_predicate(const mc_simulate_trace *t,
						     const char *origin, const mc_cf_deltas *d,
						     const mc_cf_result *r, int64_t id, time_t at)
{
	struct json_object *p = json_object_new_object(), *deltas = json_object_new_object();
	struct json_object *model = json_object_new_object(), *result = mc_cf_result_to_json(r);
	size_t more;

	mc_json_set_string(p, "kind", "prediction");
	set_time(p, "at", at);
	if (id > 0)
		mc_json_set_int(p, "prediction_id", id);
	json_object_object_add(p, "trace", trace_json(t));
	mc_json_set_string(deltas, "origin", origin);
	json_object_object_add(deltas, "document", mc_cf_deltas_to_json(d));
	json_object_object_add(p, "deltas", deltas);
	mc_json_set_int(model, "resamples", r->resamples);
	mc_json_set_double(model, "confidence", r->confidence);
	mc_json_set_int(model, "seed", (long long)r->seed);
	json_object_object_add(p, "model", model);
	json_object_object_add(p, "overall", json_object_get(mc_json_get(result, "overall")));
	json_object_object_add(p, "routes", busiest_routes(mc_json_get(result, "routes"),
							   MC_SIMULATE_EVIDENCE_ROUTES, &more));
	mc_json_set_int(p, "more_routes", (long long)more);
	json_object_put(result);
	mc_utf8_escape_json(p);
	return p;
}

/* A relative error, or null when there is none (an actual value of 0). */
static void set_error(struct json_object *o, const char *key, double e)
{
	if (isfinite(e))
		mc_json_set_double(o, key, e);
	else
		json_object_object_add(o, key, NULL);
}

static struct json_object *compared(double predicted, double actual, double error, int with_error)
{
	struct json_object *o = json_object_new_object();
	mc_json_set_double(o, "predicted", predicted);
	mc_json_set_double(o, "actual", actual);
	if (with_error)
		set_error(o, "error", error);
	return o;
}

static struct json_object *comparison_json(const mc_simulate_comparison *c)
{
	static const char *const q[3] = { "p50_ms", "p95_ms", "p99_ms" };
	struct json_object *o = json_object_new_object();
	int j;
	mc_json_set_string(o, "route", c->route);
	mc_json_set_int(o, "predicted_requests", c->predicted_requests);
	mc_json_set_int(o, "actual_requests", c->actual_requests);
	for (j = 0; j < 3; j++)
		json_object_object_add(o, q[j], compared(c->predicted[j], c->actual[j], c->error[j], 1));
	json_object_object_add(o, "error_rate", compared(c->predicted_error_rate,
							 c->actual_error_rate, 0, 0));
	json_object_object_add(o, "cost_usd_per_request",
			       compared(c->predicted_cost, c->actual_cost, c->cost_error, 1));
	return o;
}

struct json_object *mc_simulate_outcome_predicate(const mc_simulate_trace *t, int64_t id,
						  const mc_simulate_comparison *c, size_t n,
						  time_t at)
{
	struct json_object *p = json_object_new_object(), *list = json_object_new_array();
	size_t i;

	mc_json_set_string(p, "kind", "outcome");
	set_time(p, "at", at);
	mc_json_set_int(p, "prediction_id", id);
	json_object_object_add(p, "trace", trace_json(t));
	/* mc_simulate_outcome puts the whole trace's row first, then routes by name. */
	for (i = 0; i < n && i < MC_SIMULATE_EVIDENCE_ROUTES + 1; i++)
		json_object_array_add(list, comparison_json(&c[i]));
	json_object_object_add(p, "comparisons", list);
	mc_json_set_int(p, "more_routes", (long long)(n > i ? n - i : 0));
	if (n && !strcmp(c[0].route, MC_CF_ALL))
		set_error(p, "p50_error", c[0].error[0]);
	mc_utf8_escape_json(p);
	return p;
}

int mc_simulate_evidence_open(mc_simulate_evidence *ev, const char *repo_path, const char *rev)
{
	mc_config_origin origin;
	int rc;

	memset(ev, 0, sizeof *ev);
	if (mc_repo_open(&ev->repo, repo_path ? repo_path : ".") != 0) {
		if (!rev) {
			mc_error_clear();
			return 0;
		}
		return mc_error_set(MC_EENV, "--commit %s: not in a git repository", rev);
	}
	if (!rev && mc_repo_check_head(ev->repo) != 0) {
		mc_error_clear();
		mc_repo_free(ev->repo);
		ev->repo = NULL;
		return 0;
	}
	if ((rc = mc_repo_resolve(ev->commit, ev->repo, rev ? rev : "HEAD")) != 0 ||
	    (rc = mc_config_at(&ev->cfg, &origin, ev->repo, ev->commit)) != 0) {
		mc_repo_free(ev->repo);
		ev->repo = NULL;
		if (rev)
			return rc;
		/* Evidence nobody asked for does not stop a prediction: say why there is none. */
		mc_log(MC_LOG_WARN, "no evidence recorded", "error", mc_error_message(), NULL);
		mc_error_clear();
		return 0;
	}
	mc_config_origin_free(&origin);
	ev->name = mc_repo_display_name(ev->repo);
	ev->will_sign = ev->cfg.evidence_record && mc_evidence_signing_configured(ev->repo, &ev->cfg);
	return 0;
}

int mc_simulate_evidence_record(char **note, int *appended, mc_simulate_evidence *ev,
				struct json_object *predicate, const char *what)
{
	return mc_evidence_record_as_configured(note, appended, ev->repo, &ev->cfg, MC_EV_SIMULATION,
						ev->name, ev->commit, predicate, what);
}

void mc_simulate_evidence_close(mc_simulate_evidence *ev)
{
	if (ev->repo)
		mc_config_free(&ev->cfg);
	mc_repo_free(ev->repo);
	free(ev->name);
	memset(ev, 0, sizeof *ev);
}
