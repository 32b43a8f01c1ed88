/*
 * Agent negotiation (negotiate.h): offers, policy, reputation, the mediator and
 * SLA enforcement. Pure: time comes in as `now`, signatures are checked by the
 * caller, nothing is stored here.
 *
 * Utility of an offer, on the predictions corrected by its agent's record:
 *   w_eval * eval - w_cost * cost / cost_scale - w_time * minutes / minutes_scale
 *   - w_risk * (risk + miss rate + spread + 0.1 * tier)
 * where the miss rate is misses / (contracts + 2) and the spread the mean standard
 * deviation of the agent's log cost and log minutes errors: an agent that is often
 * wrong, or wrong by a varying amount, is worth less than its numbers say.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* timegm, strptime */
#endif
#include "model/negotiate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/cf.h"
#include "util/alloc.h"
#include "util/embedded.h"
#include "util/error.h"
#include "util/json.h"
#include "util/jsonschema.h"
#include "util/strbuf.h"
#include "util/strmap.h"
#include "util/time.h"

/* Shrinkage of the error estimates: after n contracts, n / (n + PRIOR_N) of the
 * estimated bias is applied, so one lucky or unlucky contract does not swing it. */
#define PRIOR_N 2.0
/* Counter requests ask for a little more than the threshold, so that rounding in
 * the agent's answer does not leave it a hair short. */
#define TARGET_MARGIN 0.01

static const char *const strategy_names[] = { "none", "linear", "boulware", "conceder" };
static const char *const downshift_names[] = { "none", "tier", "smaller_tasks",
					       "stricter_tolerances" };
static const char *const dimension_names[] = { "eval", "cost_usd", "minutes", "risk" };

const char *mc_downshift_name(enum mc_downshift d)
{
	return downshift_names[d];
}

const char *mc_dimension_name(enum mc_dimension d)
{
	return dimension_names[d];
}

/* ---- offers ---- */

int mc_offer_schema(struct json_object **out)
{
	size_t len;
	const char *text = mc_embedded_get(MC_OFFER_SCHEMA, &len);
	if (!text)
		return mc_error_set(MC_EINTERNAL, "%s is not embedded in this build", MC_OFFER_SCHEMA);
	if (mc_json_parse(out, text, len, 1 << 20, MC_OFFER_SCHEMA))
		return mc_error_wrap(MC_EINTERNAL, "embedded schema");
	return 0;
}

/* "2026-01-02T03:04:05Z" (the schema checked the shape) to unix seconds. */
static int parse_time(int64_t *out, const char *s)
{
	struct tm tm;
	char *end, again[MC_TIME_ISO_LEN];
	memset(&tm, 0, sizeof tm);
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!end || *end)
		return -1;
	*out = (int64_t)timegm(&tm);
	/* Before 1970 is no expiry anyone means, and 2026-02-31 is not a date: refuse
	 * both rather than sign and compare a normalised time the agent never wrote. */
	mc_time_iso8601(again, (time_t)*out, -1);
	return *out < 0 || strcmp(again, s) ? -1 : 0;
}

static void copy_id(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "");
}

static void put_canonical(mc_strbuf *sb, struct json_object *v);

/* The offer's predicted deltas, checked as the counterfactual engine reads them and
 * kept as canonical text (NULL when the offer has none). */
static int offer_deltas(char **out, struct json_object *doc, const char *what)
{
	struct json_object *d = mc_json_get(doc, "deltas");
	mc_cf_deltas check = { 0 };
	mc_strbuf sb = MC_STRBUF_INIT;
	int rc;

	*out = NULL;
	if (!d)
		return 0;
	rc = mc_cf_deltas_add_json(&check, d);
	mc_cf_deltas_free(&check);
	if (rc)
		return mc_error_wrap(rc, "%s: /deltas", what);
	put_canonical(&sb, d);
	*out = mc_strbuf_detach(&sb);
	return 0;
}

int mc_offer_from_json(mc_offer *out, struct json_object *doc, struct json_object *schema,
		       const char *what)
{
	static const char *const numbers[] = { "predEval", "predCostUSD", "predMinutes", "risk" };
	const char *sig;
	size_t i;
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = mc_jsonschema_validate(schema, doc, what)) != 0)
		return rc;
	/* JSON has no NaN, but 1e999 reads as infinity: the schema's bounds catch it, and
	 * this check keeps the guarantee if a bound is ever loosened. */
	for (i = 0; i < 4; i++)
		if (!isfinite(mc_json_get_double(doc, numbers[i], 0)))
			return mc_error_set(MC_EINVAL, "%s: /%s: not a finite number", what, numbers[i]);
	copy_id(out->offer_id, sizeof out->offer_id, mc_json_get_string(doc, "offerId", ""));
	copy_id(out->agent_id, sizeof out->agent_id, mc_json_get_string(doc, "agentId", ""));
	copy_id(out->task_id, sizeof out->task_id, mc_json_get_string(doc, "taskId", ""));
	copy_id(out->arm, sizeof out->arm, mc_json_get_string(doc, "arm", ""));
	out->pred_eval = mc_json_get_double(doc, "predEval", 0) + 0.0;
	out->pred_cost_usd = mc_json_get_double(doc, "predCostUSD", 0) + 0.0;
	out->pred_minutes = mc_json_get_double(doc, "predMinutes", 0) + 0.0;
	out->risk = mc_json_get_double(doc, "risk", 0) + 0.0;
	if (parse_time(&out->expires_at, mc_json_get_string(doc, "expiresAt", "")) != 0)
		return mc_error_set(MC_EINVAL, "%s: /expiresAt: not a valid UTC time", what);
	if ((rc = offer_deltas(&out->deltas, doc, what)) != 0)
		return rc;
	sig = mc_json_get_string(doc, "signature", NULL);
	out->signature = sig ? mc_xstrdup(sig) : NULL;
	return 0;
}

int mc_offer_parse(mc_offer *out, const char *text, size_t len, const char *what)
{
	struct json_object *schema = NULL, *doc = NULL;
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = mc_json_parse(&doc, text, len, MC_OFFER_MAX_BYTES, what)) != 0)
		return rc == MC_ELIMIT ? rc : mc_error_recode(MC_EINVAL);
	if ((rc = mc_offer_schema(&schema)) == 0)
		rc = mc_offer_from_json(out, doc, schema, what);
	json_object_put(schema);
	json_object_put(doc);
	return rc;
}

/* The shortest text that reads back as d. */
static void put_number(mc_strbuf *sb, double d)
{
	char text[40];
	int precision;
	d = d == 0 ? 0 : d;
	for (precision = 15; precision < 17; precision++) {
		snprintf(text, sizeof text, "%.*g", precision, d);
		if (strtod(text, NULL) == d)
			break;
	}
	snprintf(text, sizeof text, "%.*g", precision, d);
	mc_strbuf_puts(sb, text);
}

static void put_string(mc_strbuf *sb, const char *s)
{
	struct json_object *str = json_object_new_string(s);
	mc_strbuf_puts(sb, json_object_to_json_string_ext(str, JSON_C_TO_STRING_PLAIN |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(str);
}

static int compare_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* v as canonical JSON: object keys in byte order, no whitespace, shortest numbers. */
static void put_canonical(mc_strbuf *sb, struct json_object *v)
{
	size_t i, n;
	switch (json_object_get_type(v)) {
	case json_type_object: {
		const char **keys = mc_xcalloc((size_t)json_object_object_length(v) + 1, sizeof *keys);
		n = 0;
		json_object_object_foreach(v, key, val) {
			(void)val;
			keys[n++] = key;
		}
		qsort(keys, n, sizeof *keys, compare_keys);
		mc_strbuf_putc(sb, '{');
		for (i = 0; i < n; i++) {
			if (i)
				mc_strbuf_putc(sb, ',');
			put_string(sb, keys[i]);
			mc_strbuf_putc(sb, ':');
			put_canonical(sb, json_object_object_get(v, keys[i]));
		}
		mc_strbuf_putc(sb, '}');
		free(keys);
		break;
	}
	case json_type_array:
		mc_strbuf_putc(sb, '[');
		n = json_object_array_length(v);
		for (i = 0; i < n; i++) {
			if (i)
				mc_strbuf_putc(sb, ',');
			put_canonical(sb, json_object_array_get_idx(v, i));
		}
		mc_strbuf_putc(sb, ']');
		break;
	case json_type_string: put_string(sb, json_object_get_string(v)); break;
	case json_type_int:
	case json_type_double: put_number(sb, json_object_get_double(v)); break;
	case json_type_boolean: mc_strbuf_puts(sb, json_object_get_boolean(v) ? "true" : "false"); break;
	default: mc_strbuf_puts(sb, "null"); break;
	}
}

char *mc_offer_canonical(const mc_offer *o)
{
	mc_strbuf sb = MC_STRBUF_INIT;
	char at[MC_TIME_ISO_LEN];
	mc_time_iso8601(at, (time_t)o->expires_at, -1);
	mc_strbuf_puts(&sb, "{\"agentId\":");
	put_string(&sb, o->agent_id);
	mc_strbuf_puts(&sb, ",\"arm\":");
	put_string(&sb, o->arm);
	if (o->deltas) {     /* already canonical; absent deltas leave older signatures valid */
		mc_strbuf_puts(&sb, ",\"deltas\":");
		mc_strbuf_puts(&sb, o->deltas);
	}
	mc_strbuf_puts(&sb, ",\"expiresAt\":");
	put_string(&sb, at);
	mc_strbuf_puts(&sb, ",\"offerId\":");
	put_string(&sb, o->offer_id);
	mc_strbuf_puts(&sb, ",\"predCostUSD\":");
	put_number(&sb, o->pred_cost_usd);
	mc_strbuf_puts(&sb, ",\"predEval\":");
	put_number(&sb, o->pred_eval);
	mc_strbuf_puts(&sb, ",\"predMinutes\":");
	put_number(&sb, o->pred_minutes);
	mc_strbuf_puts(&sb, ",\"risk\":");
	put_number(&sb, o->risk);
	mc_strbuf_puts(&sb, ",\"taskId\":");
	put_string(&sb, o->task_id);
	mc_strbuf_putc(&sb, '}');
	return mc_strbuf_detach(&sb);
}

struct json_object *mc_offer_to_json(const mc_offer *o, int with_signature)
{
	char *canonical = mc_offer_canonical(o);
	struct json_object *obj = NULL;
	if (mc_json_parse(&obj, canonical, strlen(canonical), MC_OFFER_MAX_BYTES, "offer") != 0)
		obj = json_object_new_object(); /* cannot happen: we wrote it */
	free(canonical);
	if (with_signature && o->signature)
		mc_json_set_string(obj, "signature", o->signature);
	return obj;
}

void mc_offer_copy(mc_offer *dst, const mc_offer *src)
{
	*dst = *src;
	dst->deltas = src->deltas ? mc_xstrdup(src->deltas) : NULL;
	dst->signature = src->signature ? mc_xstrdup(src->signature) : NULL;
}

void mc_offer_clear(mc_offer *o)
{
	free(o->deltas);
	o->deltas = NULL;
	free(o->signature);
	o->signature = NULL;
}

/* ---- policy ---- */

void mc_negotiate_policy_defaults(mc_negotiate_policy *p)
{
	memset(p, 0, sizeof *p);
	p->max_risk = 0.5;
	p->min_eval = 0.7;
	p->budget_usd = -1;
	p->budget_minutes = -1;
	p->w_eval = p->w_cost = p->w_time = p->w_risk = 1;
	p->cost_scale_usd = 10;
	p->minutes_scale = 60;
	p->rounds = 3;
	p->round_seconds = 60;
	p->deadline_seconds = 600;
	p->counter_offers = 3;
	p->require_signatures = 0;
	p->rate_limit = 20;
	p->rate_window_seconds = 3600;
	p->tol_cost = 0.2;
	p->tol_minutes = 0.25;
	p->tol_eval = 0.05;
	p->penalty_factor = 1;
	p->minute_usd = 0.5;
	p->eval_point_usd = 100;
	p->downshift = MC_DOWNSHIFT_TIER;
	p->misses_to_downshift = 2;
	p->reputation_alpha = 0.2;
	p->task_value_usd = 100;
}

static void take_double(double *field, struct json_object *s, const char *key)
{
	struct json_object *v;
	if (json_object_object_get_ex(s, key, &v))
		*field = v ? json_object_get_double(v) + 0.0 : -1; /* null: no ceiling */
}

static void take_int(int *field, struct json_object *s, const char *key)
{
	struct json_object *v = mc_json_get(s, key);
	if (v)
		*field = (int)json_object_get_double(v);
}

static int lookup(const char *const *names, size_t n, const char *name)
{
	size_t i;
	for (i = 0; name && i < n; i++)
		if (!strcmp(names[i], name))
			return (int)i;
	return 0;
}

static void take_profile(mc_agent_profile *a, struct json_object *o)
{
	memset(a, 0, sizeof *a);
	copy_id(a->id, sizeof a->id, mc_json_get_string(o, "id", ""));
	copy_id(a->key, sizeof a->key, mc_json_get_string(o, "key", ""));
	a->strategy = (enum mc_strategy)lookup(strategy_names, 4, mc_json_get_string(o, "strategy",
										 "none"));
	a->concession = mc_json_get_double(o, "concession", 0.2);
	a->has_standing = mc_json_get(o, "arm") && mc_json_get(o, "pred_eval") &&
			  mc_json_get(o, "pred_cost_usd") && mc_json_get(o, "pred_minutes") &&
			  mc_json_get(o, "risk");
	copy_id(a->arm, sizeof a->arm, mc_json_get_string(o, "arm", ""));
	a->pred_eval = mc_json_get_double(o, "pred_eval", 0);
	a->pred_cost_usd = mc_json_get_double(o, "pred_cost_usd", 0);
	a->pred_minutes = mc_json_get_double(o, "pred_minutes", 0);
	a->risk = mc_json_get_double(o, "risk", 0);
}

void mc_negotiate_policy_apply(mc_negotiate_policy *p, struct json_object *s)
{
	struct json_object *agents;
	size_t i;
	if (!s)
		return;
	take_double(&p->max_risk, s, "max_risk");
	take_double(&p->min_eval, s, "min_eval");
	take_double(&p->budget_usd, s, "budget_usd");
	take_double(&p->budget_minutes, s, "budget_minutes");
	take_double(&p->w_eval, s, "weight_eval");
	take_double(&p->w_cost, s, "weight_cost");
	take_double(&p->w_time, s, "weight_time");
	take_double(&p->w_risk, s, "weight_risk");
	take_double(&p->cost_scale_usd, s, "cost_scale_usd");
	take_double(&p->minutes_scale, s, "minutes_scale");
	take_int(&p->rounds, s, "rounds");
	take_int(&p->round_seconds, s, "round_seconds");
	take_int(&p->deadline_seconds, s, "deadline_seconds");
	take_int(&p->counter_offers, s, "counter_offers");
	p->require_signatures = mc_json_get_bool(s, "require_signatures", p->require_signatures);
	take_int(&p->rate_limit, s, "rate_limit");
	take_int(&p->rate_window_seconds, s, "rate_window_seconds");
	take_double(&p->tol_cost, s, "tolerance_cost");
	take_double(&p->tol_minutes, s, "tolerance_minutes");
	take_double(&p->tol_eval, s, "tolerance_eval");
	take_double(&p->penalty_factor, s, "penalty_factor");
	take_double(&p->minute_usd, s, "minute_usd");
	take_double(&p->eval_point_usd, s, "eval_point_usd");
	if (mc_json_get(s, "downshift"))
		p->downshift = (enum mc_downshift)lookup(downshift_names, 4,
							 mc_json_get_string(s, "downshift", "tier"));
	take_int(&p->misses_to_downshift, s, "misses_to_downshift");
	take_double(&p->reputation_alpha, s, "reputation_alpha");
	take_double(&p->task_value_usd, s, "task_value_usd");
	if ((agents = mc_json_get(s, "agents")) != NULL) {
		free(p->agents);
		p->nagents = json_object_array_length(agents);
		p->agents = mc_xcalloc(p->nagents ? p->nagents : 1, sizeof *p->agents);
		for (i = 0; i < p->nagents; i++)
			take_profile(&p->agents[i], json_object_array_get_idx(agents, i));
	}
}

/* Shortest round-tripping number, as config.c prints them. */
static struct json_object *number(double d)
{
	mc_strbuf sb = MC_STRBUF_INIT;
	struct json_object *o;
	d = d == 0 ? 0 : d;
	put_number(&sb, d);
	o = json_object_new_double_s(d, mc_strbuf_str(&sb));
	mc_strbuf_release(&sb);
	return o;
}

static void set_number(struct json_object *o, const char *key, double d)
{
	json_object_object_add(o, key, number(d));
}

static struct json_object *profile_json(const mc_agent_profile *a)
{
	struct json_object *o = json_object_new_object();
	mc_json_set_string(o, "id", a->id);
	mc_json_set_string(o, "key", a->key[0] ? a->key : NULL);
	mc_json_set_string(o, "strategy", strategy_names[a->strategy]);
	set_number(o, "concession", a->concession);
	if (a->has_standing) {
		mc_json_set_string(o, "arm", a->arm);
		set_number(o, "pred_eval", a->pred_eval);
		set_number(o, "pred_cost_usd", a->pred_cost_usd);
		set_number(o, "pred_minutes", a->pred_minutes);
		set_number(o, "risk", a->risk);
	}
	return o;
}

struct json_object *mc_negotiate_policy_to_json(const mc_negotiate_policy *p)
{
	struct json_object *o = json_object_new_object(), *agents = json_object_new_array();
	size_t i;
	set_number(o, "max_risk", p->max_risk);
	set_number(o, "min_eval", p->min_eval);
	json_object_object_add(o, "budget_usd", p->budget_usd < 0 ? NULL : number(p->budget_usd));
	json_object_object_add(o, "budget_minutes",
			       p->budget_minutes < 0 ? NULL : number(p->budget_minutes));
	set_number(o, "weight_eval", p->w_eval);
	set_number(o, "weight_cost", p->w_cost);
	set_number(o, "weight_time", p->w_time);
	set_number(o, "weight_risk", p->w_risk);
	set_number(o, "cost_scale_usd", p->cost_scale_usd);
	set_number(o, "minutes_scale", p->minutes_scale);
	mc_json_set_int(o, "rounds", p->rounds);
	mc_json_set_int(o, "round_seconds", p->round_seconds);
	mc_json_set_int(o, "deadline_seconds", p->deadline_seconds);
	mc_json_set_int(o, "counter_offers", p->counter_offers);
	mc_json_set_bool(o, "require_signatures", p->require_signatures);
	mc_json_set_int(o, "rate_limit", p->rate_limit);
	mc_json_set_int(o, "rate_window_seconds", p->rate_window_seconds);
	set_number(o, "tolerance_cost", p->tol_cost);
	set_number(o, "tolerance_minutes", p->tol_minutes);
	set_number(o, "tolerance_eval", p->tol_eval);
	set_number(o, "penalty_factor", p->penalty_factor);
	set_number(o, "minute_usd", p->minute_usd);
	set_number(o, "eval_point_usd", p->eval_point_usd);
	mc_json_set_string(o, "downshift", downshift_names[p->downshift]);
	mc_json_set_int(o, "misses_to_downshift", p->misses_to_downshift);
	set_number(o, "reputation_alpha", p->reputation_alpha);
	set_number(o, "task_value_usd", p->task_value_usd);
	for (i = 0; i < p->nagents; i++)
		json_object_array_add(agents, profile_json(&p->agents[i]));
	json_object_object_add(o, "agents", agents);
	return o;
}

void mc_negotiate_policy_copy(mc_negotiate_policy *dst, const mc_negotiate_policy *src)
{
	*dst = *src;
	dst->agents = mc_xcalloc(src->nagents ? src->nagents : 1, sizeof *dst->agents);
	if (src->nagents)
		memcpy(dst->agents, src->agents, src->nagents * sizeof *dst->agents);
}

void mc_negotiate_policy_free(mc_negotiate_policy *p)
{
	free(p->agents);
	p->agents = NULL;
	p->nagents = 0;
}

const mc_agent_profile *mc_negotiate_profile(const mc_negotiate_policy *p, const char *agent_id)
{
	size_t i;
	for (i = 0; i < p->nagents; i++)
		if (!strcmp(p->agents[i].id, agent_id))
			return &p->agents[i];
	return NULL;
}

/* ---- reputation ---- */

void mc_reputation_init(mc_reputation *r, const char *agent_id)
{
	memset(r, 0, sizeof *r);
	copy_id(r->agent_id, sizeof r->agent_id, agent_id);
	r->cost_cap = -1;
	r->tolerance_scale = 1;
}

static double shrunk_mean(const mc_error_estimate *e)
{
	return e->n ? e->mean * (double)e->n / ((double)e->n + PRIOR_N) : 0;
}

static double clamp01(double x)
{
	return x < 0 ? 0 : x > 1 ? 1 : x;
}

void mc_reputation_correct(const mc_reputation *r, const mc_offer *o, double *eval, double *cost,
			   double *minutes)
{
	*eval = o->pred_eval;
	*cost = o->pred_cost_usd;
	*minutes = o->pred_minutes;
	if (!r)
		return;
	*eval = clamp01(o->pred_eval + shrunk_mean(&r->eval));
	*cost = o->pred_cost_usd * exp(shrunk_mean(&r->cost));
	*minutes = o->pred_minutes * exp(shrunk_mean(&r->minutes));
}

static void estimate_add(mc_error_estimate *e, double x, double alpha)
{
	double d;
	if (e->n == 0) {
		e->mean = x;
		e->var = 0;
	} else {
		d = x - e->mean;
		e->mean += alpha * d;
		e->var = (1 - alpha) * (e->var + alpha * d * d);
	}
	e->n++;
}

/* log(actual / predicted) with both floored, so a zero prediction is a large, finite error. */
static double log_ratio(double actual, double predicted)
{
	const double floor_ = 1e-3;
	return log((actual > floor_ ? actual : floor_) / (predicted > floor_ ? predicted : floor_));
}

void mc_reputation_observe(mc_reputation *r, double alpha, const mc_offer *pred, double usd,
			   double minutes, double eval)
{
	estimate_add(&r->cost, log_ratio(usd, pred->pred_cost_usd), alpha);
	estimate_add(&r->minutes, log_ratio(minutes, pred->pred_minutes), alpha);
	estimate_add(&r->eval, eval - pred->pred_eval, alpha);
}

static double spread(const mc_reputation *r)
{
	return r ? (sqrt(r->cost.var) + sqrt(r->minutes.var)) / 2 : 0;
}

static double miss_rate(const mc_reputation *r)
{
	return r ? (double)r->misses / ((double)r->contracts + PRIOR_N) : 0;
}

/* ---- the mediator ---- */

/* One offer under consideration: its latest version and how it was judged. */
typedef struct candidate {
	mc_offer first;               /* as submitted (the concession curve starts here) */
	mc_offer cur;                 /* the latest version */
	const mc_reputation *rep;
	const mc_agent_profile *profile;
	size_t group;
	double eval, cost, minutes, utility;
	int feasible;
	enum mc_dimension binding;
	double violation;             /* of the binding dimension, relative */
	char why[256];
	int asked_this_round;
} candidate;

typedef struct mediator {
	const mc_negotiation_input *in;
	const mc_negotiate_policy *p;
	candidate *cands;
	size_t ncands;
	size_t *parent;               /* union-find over candidates */
	mc_strmap by_offer;           /* offer id -> candidate index */
	mc_negotiation_result *out;
	double left_usd, left_minutes; /* < 0: no ceiling */
} mediator;

static void refuse(mc_negotiation_result *out, const mc_offer *o, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void refuse(mc_negotiation_result *out, const mc_offer *o, const char *fmt, ...)
{
	mc_strbuf sb = MC_STRBUF_INIT;
	mc_refusal *r;
	va_list ap;
	out->refusals = mc_xrealloc(out->refusals, (out->nrefusals + 1) * sizeof *out->refusals);
	r = &out->refusals[out->nrefusals++];
	copy_id(r->offer_id, sizeof r->offer_id, o->offer_id);
	copy_id(r->agent_id, sizeof r->agent_id, o->agent_id);
	mc_strbuf_printf(&sb, "offer %s: ", o->offer_id[0] ? o->offer_id : "(no id)");
	va_start(ap, fmt);
	mc_strbuf_vprintf(&sb, fmt, ap);
	va_end(ap);
	r->reason = mc_strbuf_detach(&sb);
}

static const mc_reputation *find_rep(const mc_negotiation_input *in, const char *agent)
{
	size_t i;
	for (i = 0; i < in->nreps; i++)
		if (!strcmp(in->reps[i].agent_id, agent))
			return &in->reps[i];
	return NULL;
}

static long find_task(const mc_negotiation_input *in, const char *task)
{
	size_t i;
	for (i = 0; i < in->ntasks; i++)
		if (!strcmp(in->tasks[i].id, task))
			return (long)i;
	return -1;
}

/* The reason an offer cannot be considered at all, or NULL. */
static const char *unfit_field(const mc_offer *o, const mc_negotiation_input *in,
			       const char **why)
{
	if (!isfinite(o->pred_eval) || o->pred_eval < 0 || o->pred_eval > 1)
		return *why = "must be a finite number in 0..1", "predEval";
	if (!isfinite(o->pred_cost_usd) || o->pred_cost_usd < 0 || o->pred_cost_usd > 1e6)
		return *why = "must be a finite number in 0..1e6", "predCostUSD";
	if (!isfinite(o->pred_minutes) || o->pred_minutes < 0 || o->pred_minutes > 1e6)
		return *why = "must be a finite number in 0..1e6", "predMinutes";
	if (!isfinite(o->risk) || o->risk < 0 || o->risk > 1)
		return *why = "must be a finite number in 0..1", "risk";
	if (find_task(in, o->task_id) < 0)
		return *why = "no such task in this negotiation", "taskId";
	if (o->expires_at <= in->now)
		return *why = "the offer has expired", "expiresAt";
	if (in->policy->require_signatures && !o->verified)
		return *why = o->signature ? "does not verify against the agent's pinned key"
					   : "missing, and negotiation.require_signatures is on",
		       "signature";
	return NULL;
}

static size_t find_root(size_t *parent, size_t i)
{
	while (parent[i] != i)
		i = parent[i] = parent[parent[i]];
	return i;
}

static void unite(size_t *parent, size_t a, size_t b)
{
	a = find_root(parent, a);
	b = find_root(parent, b);
	if (a != b)
		parent[a > b ? a : b] = a < b ? a : b;
}

static long cand_by_offer(const mediator *m, const char *offer_id)
{
	int64_t i;
	return mc_strmap_get(&m->by_offer, offer_id, &i) ? (long)i : -1;
}

/* Offers for one task exclude each other; so do offers whose claims contradict. */
static void group(mediator *m)
{
	size_t i, j, a, b;
	m->parent = mc_xcalloc(m->ncands ? m->ncands : 1, sizeof *m->parent);
	for (i = 0; i < m->ncands; i++)
		m->parent[i] = i;
	mc_strmap first_of_task = MC_STRMAP_INIT;
	int64_t first;
	for (i = 0; i < m->ncands; i++) {
		if (mc_strmap_get(&first_of_task, m->cands[i].first.task_id, &first))
			unite(m->parent, (size_t)first, i);
		else
			mc_strmap_put(&first_of_task, m->cands[i].first.task_id, (int64_t)i);
	}
	mc_strmap_free(&first_of_task);
	for (i = 0; i < m->in->nclaims; i++)
		for (j = i + 1; j < m->in->nclaims; j++) {
			const mc_claim *x = &m->in->claims[i], *y = &m->in->claims[j];
			long ci = cand_by_offer(m, x->offer_id), cj = cand_by_offer(m, y->offer_id);
			if (ci < 0 || cj < 0)
				continue;
			for (a = 0; a < x->nfiles; a++)
				for (b = 0; b < y->nfiles; b++)
					if (!strcmp(x->paths[a], y->paths[b]) &&
					    strcmp(x->blobs[a], y->blobs[b]) != 0)
						unite(m->parent, (size_t)ci, (size_t)cj);
		}
	for (i = 0; i < m->ncands; i++)
		m->cands[i].group = find_root(m->parent, i);
}

static double utility(const mc_negotiate_policy *p, const candidate *c)
{
	const mc_reputation *r = c->rep;
	return p->w_eval * c->eval - p->w_cost * c->cost / p->cost_scale_usd -
	       p->w_time * c->minutes / p->minutes_scale -
	       p->w_risk * (c->cur.risk + miss_rate(r) + spread(r) + 0.1 * (r ? r->tier : 0));
}

static void note_violation(candidate *c, enum mc_dimension dim, double violation, const char *fmt,
			   ...) __attribute__((format(printf, 4, 5)));
static void note_violation(candidate *c, enum mc_dimension dim, double violation, const char *fmt,
			   ...)
{
	va_list ap;
	if (c->feasible || violation > c->violation) {
		c->binding = dim;
		c->violation = violation;
		va_start(ap, fmt);
		vsnprintf(c->why, sizeof c->why, fmt, ap);
		va_end(ap);
	}
	c->feasible = 0;
}

static double relative(double excess, double limit)
{
	return excess / (limit > 1e-9 ? limit : 1e-9);
}

/* Correct, score and filter one candidate against what is left of the budget. */
static void judge(mediator *m, candidate *c)
{
	const mc_negotiate_policy *p = m->p;
	double cap = c->rep ? c->rep->cost_cap : -1;
	mc_reputation_correct(c->rep, &c->cur, &c->eval, &c->cost, &c->minutes);
	c->utility = utility(p, c);
	c->feasible = 1;
	c->violation = 0;
	c->why[0] = 0;
	if (c->cur.risk > p->max_risk)
		note_violation(c, MC_DIM_RISK, relative(c->cur.risk - p->max_risk, p->max_risk),
			       "risk %.3g above the ceiling %.3g", c->cur.risk, p->max_risk);
	if (c->eval < p->min_eval)
		note_violation(c, MC_DIM_EVAL, relative(p->min_eval - c->eval, p->min_eval),
			       "eval %.3g (corrected from %.3g) below the floor %.3g", c->eval,
			       c->cur.pred_eval, p->min_eval);
	if (m->left_usd >= 0 && c->cost > m->left_usd)
		note_violation(c, MC_DIM_COST, relative(c->cost - m->left_usd, m->left_usd),
			       "cost $%.2f (corrected from $%.2f) above the $%.2f left in the budget",
			       c->cost, c->cur.pred_cost_usd, m->left_usd);
	if (cap >= 0 && c->cost > cap)
		note_violation(c, MC_DIM_COST, relative(c->cost - cap, cap),
			       "cost $%.2f (corrected) above the agent's cap $%.2f (downshifted)",
			       c->cost, cap);
	if (m->left_minutes >= 0 && c->minutes > m->left_minutes)
		note_violation(c, MC_DIM_MINUTES, relative(c->minutes - m->left_minutes, m->left_minutes),
			       "%.1f minutes (corrected from %.1f) above the %.1f left in the budget",
			       c->minutes, c->cur.pred_minutes, m->left_minutes);
}

/* The corrected threshold of the binding dimension, as a target in the agent's own terms. */
static double raw_target(const mediator *m, const candidate *c)
{
	const mc_negotiate_policy *p = m->p;
	double limit;
	switch (c->binding) {
	case MC_DIM_EVAL:
		return clamp01(p->min_eval + TARGET_MARGIN - (c->eval - c->cur.pred_eval));
	case MC_DIM_RISK:
		return p->max_risk * (1 - TARGET_MARGIN);
	case MC_DIM_COST:
		limit = m->left_usd;
		if (c->rep && c->rep->cost_cap >= 0 && (limit < 0 || c->rep->cost_cap < limit))
			limit = c->rep->cost_cap;
		return limit * (1 - TARGET_MARGIN) * (c->cur.pred_cost_usd / (c->cost > 0 ? c->cost : 1));
	case MC_DIM_MINUTES:
	default:
		limit = m->left_minutes;
		return limit * (1 - TARGET_MARGIN) *
		       (c->cur.pred_minutes / (c->minutes > 0 ? c->minutes : 1));
	}
}

static double strategy_beta(enum mc_strategy s)
{
	return s == MC_STRATEGY_BOULWARE ? 0.3 : s == MC_STRATEGY_CONCEDER ? 3.0 : 1.0;
}

int mc_negotiate_concede(const mc_agent_profile *agent, const mc_offer *first,
			 const mc_counter_request *req, mc_offer *answer)
{
	double t, alpha, c, v0, res, v;
	if (!agent || agent->strategy == MC_STRATEGY_NONE || req->rounds <= 0)
		return 0;
	t = (double)req->round / req->rounds;
	alpha = pow(t > 1 ? 1 : t, 1 / strategy_beta(agent->strategy));
	c = clamp01(agent->concession);
	mc_offer_copy(answer, first);
	switch (req->dim) {
	case MC_DIM_EVAL:
		v0 = first->pred_eval, res = v0 + c * (1 - v0);
		v = v0 + alpha * (res - v0);
		answer->pred_eval = v > req->target ? req->target : v;
		if (answer->pred_eval < v0)
			answer->pred_eval = v0;
		break;
	case MC_DIM_COST:
		v0 = first->pred_cost_usd, res = v0 * (1 - c);
		v = v0 + alpha * (res - v0);
		answer->pred_cost_usd = v < req->target ? (req->target < v0 ? req->target : v0) : v;
		break;
	case MC_DIM_MINUTES:
		v0 = first->pred_minutes, res = v0 * (1 - c);
		v = v0 + alpha * (res - v0);
		answer->pred_minutes = v < req->target ? (req->target < v0 ? req->target : v0) : v;
		break;
	case MC_DIM_RISK:
		v0 = first->risk, res = v0 * (1 - c);
		v = v0 + alpha * (res - v0);
		answer->risk = v < req->target ? (req->target < v0 ? req->target : v0) : v;
		break;
	}
	answer->round = req->round;
	snprintf(answer->offer_id, sizeof answer->offer_id, "%.120s~r%d", first->offer_id, req->round);
	return 1;
}

/* An answer must be about the same task by the same agent, with numbers in range. */
static int answer_fits(const candidate *c, const mc_offer *a)
{
	return !strcmp(a->task_id, c->first.task_id) && !strcmp(a->agent_id, c->first.agent_id) &&
	       isfinite(a->pred_eval) && a->pred_eval >= 0 && a->pred_eval <= 1 &&
	       isfinite(a->pred_cost_usd) && a->pred_cost_usd >= 0 && a->pred_cost_usd <= 1e6 &&
	       isfinite(a->pred_minutes) && a->pred_minutes >= 0 && a->pred_minutes <= 1e6 &&
	       isfinite(a->risk) && a->risk >= 0 && a->risk <= 1;
}

static void ask(mediator *m, candidate *c, int round)
{
	mc_counter_request req = { c->binding, raw_target(m, c), round, m->p->rounds };
	mc_offer answer;
	int answered;
	memset(&answer, 0, sizeof answer);
	m->out->counters_asked++;
	answered = m->in->counter ? m->in->counter(m->in->counter_ctx, &c->cur, &req, &answer)
				  : mc_negotiate_concede(c->profile, &c->first, &req, &answer);
	if (!answered)
		return;
	if (!answer_fits(c, &answer)) {
		refuse(m->out, &answer, "counter-offer for another task or agent, or numbers out of "
		       "range; ignored");
		mc_offer_clear(&answer);
		return;
	}
	m->out->counters_answered++;
	answer.verified = c->first.verified;
	answer.expires_at = c->first.expires_at;
	answer.round = round;
	mc_offer_clear(&c->cur);
	c->cur = answer;
}

static int by_utility_desc(const void *a, const void *b)
{
	const candidate *x = *(candidate *const *)a, *y = *(candidate *const *)b;
	if (x->utility != y->utility)
		return x->utility > y->utility ? -1 : 1;
	return strcmp(x->first.offer_id, y->first.offer_id);
}

/* The group's members (list[0..n), filled once), best utility first. */
static void rank(candidate **list, size_t n)
{
	qsort(list, n, sizeof *list, by_utility_desc);
}

static double task_value(const mc_negotiation_input *in, const char *task)
{
	long t = find_task(in, task);
	return t >= 0 && in->tasks[t].value_usd >= 0 ? in->tasks[t].value_usd
						     : in->policy->task_value_usd;
}

static size_t count_agents(candidate **list, size_t n)
{
	size_t i, j, distinct = 0;
	for (i = 0; i < n; i++) {
		for (j = 0; j < i && strcmp(list[i]->first.agent_id, list[j]->first.agent_id); j++)
			;
		distinct += j == i;
	}
	return distinct;
}

static int has_contradiction(const mediator *m, candidate **list, size_t n)
{
	size_t i;
	for (i = 1; i < n; i++)
		if (strcmp(list[i]->first.task_id, list[0]->first.task_id))
			return 1;
	(void)m;
	return 0;
}

static void award(mediator *m, mc_award *a, candidate *c)
{
	double scale = c->rep ? c->rep->tolerance_scale : 1;
	a->accepted = 1;
	mc_offer_copy(&a->offer, &c->cur);
	a->eval = c->eval, a->cost_usd = c->cost, a->minutes = c->minutes, a->utility = c->utility;
	a->tol_cost = m->p->tol_cost * scale;
	a->tol_minutes = m->p->tol_minutes * scale;
	a->tol_eval = m->p->tol_eval * scale;
	if (m->left_usd >= 0)
		m->left_usd -= c->cost;
	if (m->left_minutes >= 0)
		m->left_minutes -= c->minutes;
	m->out->spent_usd += c->cost;
	m->out->spent_minutes += c->minutes;
}

/* No offer satisfies the policy: say why, and the smallest safe step with its numbers. */
static void escalate(mediator *m, mc_award *a, candidate **list, size_t n)
{
	mc_strbuf why = MC_STRBUF_INIT, step = MC_STRBUF_INIT;
	candidate *best = NULL;
	size_t i;
	double value;

	for (i = 0; i < n; i++) {
		mc_strbuf_printf(&why, "%s%s (%s): %s", i ? "; " : "", list[i]->cur.offer_id,
				 list[i]->cur.agent_id, list[i]->why);
		if (list[i]->cur.risk <= m->p->max_risk && (!best || list[i]->cost < best->cost))
			best = list[i];
	}
	if (!n)
		mc_strbuf_puts(&why, "no offer could be considered");
	if (best) {
		value = task_value(m->in, best->cur.task_id);
		a->has_next_offer = 1;
		mc_offer_copy(&a->offer, &best->cur);
		a->eval = best->eval, a->cost_usd = best->cost, a->minutes = best->minutes;
		a->utility = best->utility;
		a->next_cost_usd = best->cost;
		a->next_minutes = best->minutes;
		a->next_risk = best->cur.risk;
		a->next_ev_usd = value * best->eval * (1 - best->cur.risk) - best->cost;
		mc_strbuf_printf(&step, "a human may accept %s by %s for task %s, the cheapest offer "
				 "under the risk ceiling, although %s", best->cur.offer_id,
				 best->cur.agent_id, best->cur.task_id, best->why);
	} else {
		mc_strbuf_printf(&step, "split task %s into smaller changes or ask for new offers: %s",
				 a->task_id, n ? "no offer is under the risk ceiling"
					       : "no offer could be considered");
	}
	a->why = mc_strbuf_detach(&why);
	a->next_step = mc_strbuf_detach(&step);
}

static int deadline_allows(const mediator *m, int round)
{
	return (int64_t)round * m->p->round_seconds <= m->p->deadline_seconds;
}

static void negotiate_group(mediator *m, candidate **list, size_t n)
{
	mc_award *a;
	size_t i, asked;
	int round = 0;

	m->out->awards = mc_xrealloc(m->out->awards, (m->out->nawards + 1) * sizeof *m->out->awards);
	a = &m->out->awards[m->out->nawards++];
	memset(a, 0, sizeof *a);
	for (;;) {
		for (i = 0; i < n; i++)
			judge(m, list[i]);
		rank(list, n);
		for (i = 0; i < n && !list[i]->feasible; i++)
			;
		if (i < n) {
			award(m, a, list[i]);
			break;
		}
		if (round >= m->p->rounds || !deadline_allows(m, round + 1))
			break;
		round++;
		for (i = 0, asked = 0; i < n && asked < (size_t)m->p->counter_offers; i++, asked++)
			ask(m, list[i], round);
	}
	copy_id(a->task_id, sizeof a->task_id, n ? list[0]->first.task_id : "");
	a->rounds = round;
	a->contenders = count_agents(list, n);
	a->conflict = a->contenders > 1 || has_contradiction(m, list, n);
	if (!a->accepted)
		escalate(m, a, list, n);
}

int mc_negotiate_run(mc_negotiation_result *out, const mc_negotiation_input *in)
{
	mediator m;
	candidate **list;
	size_t i, g, *start, *fill;
	const char *field, *why;

	memset(out, 0, sizeof *out);
	memset(&m, 0, sizeof m);
	m.in = in;
	m.p = in->policy;
	m.out = out;
	m.left_usd = m.p->budget_usd < 0 ? -1 : fmax(0, m.p->budget_usd - in->spent_usd);
	m.left_minutes = m.p->budget_minutes < 0 ? -1 : fmax(0, m.p->budget_minutes - in->spent_minutes);
	m.cands = mc_xcalloc(in->noffers ? in->noffers : 1, sizeof *m.cands);
	for (i = 0; i < in->noffers; i++) {
		const mc_offer *o = &in->offers[i];
		if ((field = unfit_field(o, in, &why)) != NULL) {
			refuse(out, o, "%s: %s", field, why);
			continue;
		}
		if (cand_by_offer(&m, o->offer_id) >= 0) {
			refuse(out, o, "offerId: the same id twice in one negotiation");
			continue;
		}
		mc_strmap_put(&m.by_offer, o->offer_id, (int64_t)m.ncands);
		mc_offer_copy(&m.cands[m.ncands].first, o);
		mc_offer_copy(&m.cands[m.ncands].cur, o);
		m.cands[m.ncands].rep = find_rep(in, o->agent_id);
		m.cands[m.ncands].profile = mc_negotiate_profile(m.p, o->agent_id);
		m.ncands++;
	}
	group(&m);
	/* Groups in the order of their first offer: deterministic, and the input's order
	 * says which task draws on the budget first. Members are laid out group by group
	 * (a counting sort on the root), so each group is a slice of list. */
	list = mc_xcalloc(m.ncands ? m.ncands : 1, sizeof *list);
	start = mc_xcalloc(m.ncands + 1, sizeof *start);
	for (i = 0; i < m.ncands; i++)
		start[m.cands[i].group + 1]++;
	for (g = 0; g < m.ncands; g++)
		start[g + 1] += start[g];
	fill = mc_xcalloc(m.ncands ? m.ncands : 1, sizeof *fill);
	for (i = 0; i < m.ncands; i++) {
		g = m.cands[i].group;
		list[start[g] + fill[g]++] = &m.cands[i];
	}
	for (g = 0; g < m.ncands; g++)
		if (m.parent[g] == g)
			negotiate_group(&m, list + start[g], start[g + 1] - start[g]);
	free(start);
	free(fill);
	mc_strmap_free(&m.by_offer);
	for (i = 0; i < m.ncands; i++) {
		mc_offer_clear(&m.cands[i].first);
		mc_offer_clear(&m.cands[i].cur);
	}
	free(list);
	free(m.parent);
	free(m.cands);
	return 0;
}

void mc_negotiation_result_free(mc_negotiation_result *r)
{
	size_t i;
	for (i = 0; i < r->nawards; i++) {
		mc_offer_clear(&r->awards[i].offer);
		free(r->awards[i].why);
		free(r->awards[i].next_step);
	}
	for (i = 0; i < r->nrefusals; i++)
		free(r->refusals[i].reason);
	free(r->awards);
	free(r->refusals);
	memset(r, 0, sizeof *r);
}

/* ---- contracts ---- */

char *mc_negotiate_penalty_rule(const mc_negotiate_policy *p)
{
	mc_strbuf sb = MC_STRBUF_INIT;
	mc_strbuf_puts(&sb, "penalty_usd = ");
	put_number(&sb, p->penalty_factor);
	mc_strbuf_puts(&sb, " x (cost overrun beyond tolerance in USD + minutes overrun beyond "
			    "tolerance x $");
	put_number(&sb, p->minute_usd);
	mc_strbuf_puts(&sb, " + eval shortfall beyond tolerance x $");
	put_number(&sb, p->eval_point_usd);
	mc_strbuf_printf(&sb, "); %d misses in a row downshift the agent (%s)",
			 p->misses_to_downshift, downshift_names[p->downshift]);
	return mc_strbuf_detach(&sb);
}

static uint64_t fnv1a(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return (h ^ 0xff) * 1099511628211ull;
}

void mc_negotiate_contract_id(char out[20], const mc_award *a, int64_t accepted_at)
{
	char t[24];
	uint64_t h = 14695981039346656037ull;
	snprintf(t, sizeof t, "%lld", (long long)accepted_at);
	h = fnv1a(fnv1a(fnv1a(fnv1a(h, a->offer.offer_id), a->offer.agent_id), a->task_id), t);
	snprintf(out, 20, "ct-%016llx", (unsigned long long)h);
}

struct json_object *mc_award_contract_json(const mc_award *a, const mc_negotiate_policy *p,
					   const char *contract_id, const char *train,
					   int64_t accepted_at)
{
	struct json_object *c = json_object_new_object(), *offer = json_object_new_object();
	struct json_object *sla = json_object_new_object(), *corrected = json_object_new_object();
	char at[MC_TIME_ISO_LEN], *rule = mc_negotiate_penalty_rule(p);

	mc_time_iso8601(at, (time_t)accepted_at, -1);
	mc_json_set_string(c, "contract_id", contract_id);
	mc_json_set_string(c, "task_id", a->task_id);
	mc_json_set_string(c, "agent_id", a->offer.agent_id);
	mc_json_set_string(offer, "offer_id", a->offer.offer_id);
	mc_json_set_string(offer, "arm", a->offer.arm);
	set_number(offer, "pred_eval", a->offer.pred_eval);
	set_number(offer, "pred_cost_usd", a->offer.pred_cost_usd);
	set_number(offer, "pred_minutes", a->offer.pred_minutes);
	set_number(offer, "risk", a->offer.risk);
	if (a->offer.deltas) {
		struct json_object *d = NULL;
		if (mc_json_parse(&d, a->offer.deltas, strlen(a->offer.deltas), 1 << 20,
				  "offer deltas") == 0)
			json_object_object_add(offer, "deltas", d);
		else
			mc_error_clear(); /* cannot happen: the parser wrote it */
	}
	json_object_object_add(c, "offer", offer);
	set_number(sla, "cost_tolerance", a->tol_cost);
	set_number(sla, "time_tolerance", a->tol_minutes);
	set_number(sla, "eval_tolerance", a->tol_eval);
	mc_json_set_string(sla, "penalty_rule", rule);
	set_number(sla, "penalty_factor", p->penalty_factor);
	json_object_object_add(c, "sla", sla);
	mc_json_set_string(c, "accepted_at", at);
	mc_json_set_string(c, "train", train);
	mc_json_set_int(c, "round", a->offer.round);
	set_number(c, "utility", a->utility);
	set_number(corrected, "eval", a->eval);
	set_number(corrected, "cost_usd", a->cost_usd);
	set_number(corrected, "minutes", a->minutes);
	json_object_object_add(c, "corrected", corrected);
	free(rule);
	return c;
}

struct json_object *mc_award_escalation_json(const mc_award *a)
{
	struct json_object *e = json_object_new_object(), *next = json_object_new_object();
	mc_json_set_string(e, "task_id", a->task_id);
	mc_json_set_bool(e, "conflict", a->conflict);
	mc_json_set_int(e, "contenders", (long long)a->contenders);
	mc_json_set_int(e, "rounds", a->rounds);
	mc_json_set_string(e, "why", a->why);
	mc_json_set_string(next, "step", a->next_step);
	if (a->has_next_offer) {
		mc_json_set_string(next, "offer_id", a->offer.offer_id);
		mc_json_set_string(next, "agent_id", a->offer.agent_id);
	}
	set_number(next, "cost_usd", a->next_cost_usd);
	set_number(next, "minutes", a->next_minutes);
	set_number(next, "risk", a->next_risk);
	set_number(next, "expected_value_usd", a->next_ev_usd);
	json_object_object_add(e, "next_step", next);
	return e;
}

struct json_object *mc_negotiation_result_to_json(const mc_negotiation_result *r,
						  const mc_negotiate_policy *p,
						  const char *const *contract_ids, const char *train,
						  int64_t now)
{
	struct json_object *o = json_object_new_object(), *contracts = json_object_new_array();
	struct json_object *escalations = json_object_new_array(), *refusals = json_object_new_array();
	size_t i;
	for (i = 0; i < r->nawards; i++) {
		const mc_award *a = &r->awards[i];
		if (a->accepted) {
			struct json_object *c = mc_award_contract_json(a, p, contract_ids[i], train, now);
			mc_json_set_bool(c, "conflict", a->conflict);
			mc_json_set_int(c, "contenders", (long long)a->contenders);
			json_object_array_add(contracts, c);
		} else {
			json_object_array_add(escalations, mc_award_escalation_json(a));
		}
	}
	for (i = 0; i < r->nrefusals; i++) {
		struct json_object *x = json_object_new_object();
		mc_json_set_string(x, "offer_id", r->refusals[i].offer_id);
		mc_json_set_string(x, "agent_id", r->refusals[i].agent_id);
		mc_json_set_string(x, "reason", r->refusals[i].reason);
		json_object_array_add(refusals, x);
	}
	json_object_object_add(o, "contracts", contracts);
	json_object_object_add(o, "escalations", escalations);
	json_object_object_add(o, "refusals", refusals);
	mc_json_set_int(o, "counter_offers_asked", (long long)r->counters_asked);
	mc_json_set_int(o, "counter_offers_answered", (long long)r->counters_answered);
	return o;
}

/* ---- SLA enforcement ---- */

static void add_miss(mc_sla_outcome *o, enum mc_dimension dim, double predicted, double actual,
		     double tolerance, double penalty)
{
	mc_sla_miss *x = &o->misses[o->nmisses++];
	x->dim = dim, x->predicted = predicted, x->actual = actual, x->tolerance = tolerance;
	x->penalty_usd = penalty;
	o->penalty_usd += penalty;
}

static void downshift(mc_sla_outcome *o, mc_reputation *r, const mc_contract *c,
		      enum mc_downshift kind)
{
	switch (kind) {
	case MC_DOWNSHIFT_TIER:
		if (r->tier >= MC_AGENT_TIER_MAX)
			return;
		r->tier++;
		break;
	case MC_DOWNSHIFT_SMALLER_TASKS:
		r->cost_cap = (r->cost_cap >= 0 ? r->cost_cap : c->offer.pred_cost_usd) / 2;
		break;
	case MC_DOWNSHIFT_STRICTER_TOLERANCES:
		r->tolerance_scale /= 2;
		break;
	case MC_DOWNSHIFT_NONE:
		return;
	}
	o->downshift = kind;
}

/* Undo one step of whatever downshifts the agent carries. */
static int upshift(mc_reputation *r)
{
	if (r->tier > 0)
		r->tier--;
	else if (r->cost_cap >= 0)
		r->cost_cap = r->cost_cap * 2 >= 1e6 ? -1 : r->cost_cap * 2;
	else if (r->tolerance_scale < 1)
		r->tolerance_scale = fmin(1, r->tolerance_scale * 2);
	else
		return 0;
	return 1;
}

int mc_negotiate_enforce(mc_sla_outcome *out, mc_reputation *rep, const mc_contract *c,
			 double usd, double minutes, double eval, const mc_negotiate_policy *p)
{
	const mc_offer *o = &c->offer;
	double limit;

	memset(out, 0, sizeof *out);
	if (!isfinite(usd) || usd < 0 || usd > 1e9)
		return mc_error_set(MC_EINVAL, "actuals of %s: usd must be a finite number >= 0", c->id);
	if (!isfinite(minutes) || minutes < 0 || minutes > 1e9)
		return mc_error_set(MC_EINVAL, "actuals of %s: minutes must be a finite number >= 0",
				    c->id);
	if (!isfinite(eval) || eval < 0 || eval > 1)
		return mc_error_set(MC_EINVAL, "actuals of %s: eval must be a finite number in 0..1",
				    c->id);
	if (usd > (limit = o->pred_cost_usd * (1 + c->tol_cost)))
		add_miss(out, MC_DIM_COST, o->pred_cost_usd, usd, c->tol_cost,
			 p->penalty_factor * (usd - limit));
	if (minutes > (limit = o->pred_minutes * (1 + c->tol_minutes)))
		add_miss(out, MC_DIM_MINUTES, o->pred_minutes, minutes, c->tol_minutes,
			 p->penalty_factor * (minutes - limit) * p->minute_usd);
	if (eval < (limit = o->pred_eval - c->tol_eval))
		add_miss(out, MC_DIM_EVAL, o->pred_eval, eval, c->tol_eval,
			 p->penalty_factor * (limit - eval) * p->eval_point_usd);

	mc_reputation_observe(rep, p->reputation_alpha, o, usd, minutes, eval);
	rep->contracts++;
	rep->penalties_usd += out->penalty_usd;
	if (out->nmisses) {
		rep->misses++;
		rep->met_streak = 0;
		if (++rep->miss_streak >= p->misses_to_downshift) {
			downshift(out, rep, c, p->downshift);
			rep->miss_streak = 0;
		}
	} else {
		rep->miss_streak = 0;
		if (++rep->met_streak >= p->misses_to_downshift) {
			out->upshift = upshift(rep);
			rep->met_streak = 0;
		}
	}
	return 0;
}

struct json_object *mc_sla_penalty_json(const mc_sla_outcome *o, const mc_contract *c,
					const mc_reputation *rep, int64_t at)
{
	struct json_object *p, *misses;
	mc_strbuf sb = MC_STRBUF_INIT;
	char when[MC_TIME_ISO_LEN];
	size_t i;
	if (!o->nmisses)
		return NULL;
	p = json_object_new_object();
	misses = json_object_new_array();
	mc_time_iso8601(when, (time_t)at, -1);
	mc_json_set_string(p, "contract_id", c->id);
	mc_json_set_string(p, "agent_id", c->offer.agent_id);
	for (i = 0; i < o->nmisses; i++) {
		struct json_object *m = json_object_new_object();
		mc_json_set_string(m, "dimension", dimension_names[o->misses[i].dim]);
		set_number(m, "predicted", o->misses[i].predicted);
		set_number(m, "actual", o->misses[i].actual);
		set_number(m, "tolerance", o->misses[i].tolerance);
		json_object_array_add(misses, m);
		mc_strbuf_printf(&sb, "%s%s $%.2f", i ? ", " : "", dimension_names[o->misses[i].dim],
				 o->misses[i].penalty_usd);
	}
	json_object_object_add(p, "misses", misses);
	mc_strbuf_printf(&sb, "; total $%.2f; downshift: %s", o->penalty_usd,
			 downshift_names[o->downshift]);
	mc_json_set_string(p, "penalty", mc_strbuf_str(&sb));
	set_number(p, "penalty_usd", o->penalty_usd);
	mc_json_set_string(p, "downshift", downshift_names[o->downshift]);
	mc_json_set_int(p, "tier", rep->tier);
	mc_json_set_string(p, "at", when);
	mc_strbuf_release(&sb);
	return p;
}
