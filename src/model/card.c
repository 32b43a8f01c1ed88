/* Builds the Decision Card document from the stages' results (card.h). */
#include "model/card.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/json.h"
#include "util/time.h"
#include "util/utf8.h"

/* Risk contributions the card lists: the ones that explain most of the logit. */
#define MC_CARD_TOP_RISK 3

static const char *status_name(char status)
{
	switch (status) {
	case 'A': return "added";
	case 'D': return "deleted";
	case 'R': return "renamed";
	case 'C': return "copied";
	case 'T': return "type changed";
	default: return "modified";
	}
}

static struct json_object *build_subject(const mc_card_input *in)
{
	struct json_object *o = json_object_new_object();
	mc_json_set_string(o, "repository", in->repository);
	mc_json_set_string(o, "range", in->range);
	mc_json_set_string(o, "base", in->base);
	mc_json_set_string(o, "head", in->head);
	mc_json_set_string(o, "merge_base", in->merge_base);
	mc_json_set_int(o, "commits", (long long)in->ncommits);
	mc_json_set_bool(o, "merge_only", in->merge_only);
	mc_json_set_string(o, "author", in->author);
	return o;
}

static struct json_object *component(const mc_score_component *c, const char *kind)
{
	struct json_object *o = json_object_new_object();
	mc_json_set_string(o, "name", c->name);
	mc_json_set_string(o, "kind", kind);
	mc_json_set_double(o, "usd", c->usd);
	mc_json_set_string(o, "inputs", c->inputs);
	return o;
}

static struct json_object *build_roi(const mc_score *s)
{
	struct json_object *o = json_object_new_object(), *list = json_object_new_array();
	int i;
	for (i = 0; i < MC_VALUE_COUNT; i++)
		json_object_array_add(list, component(&s->value[i], "value"));
	for (i = 0; i < MC_COST_COUNT; i++)
		json_object_array_add(list, component(&s->cost[i], "cost"));
	mc_json_set_double(o, "expected_value_usd", s->expected_value_usd);
	mc_json_set_double(o, "value_usd", s->value_usd);
	mc_json_set_double(o, "cost_usd", s->cost_usd);
	json_object_object_add(o, "components", list);
	return o;
}

static const char *risk_level(double risk, double max_risk)
{
	if (risk > max_risk)
		return "high";
	return risk > max_risk / 2 ? "medium" : "low";
}

static struct json_object *build_risk(const mc_card_input *in)
{
	struct json_object *o = json_object_new_object(), *top = json_object_new_array();
	const mc_score *s = in->score;
	int i;
	mc_json_set_double(o, "probability", s->risk);
	mc_json_set_string(o, "level", risk_level(s->risk, in->max_risk));
	mc_json_set_string(o, "model", s->risk_model_source);
	for (i = 0; i < MC_CARD_TOP_RISK && i < MC_FEATURE_COUNT; i++) {
		const mc_risk_contribution *c = &s->contributions[i];
		struct json_object *f = json_object_new_object();
		mc_json_set_string(f, "feature", mc_feature_name(c->feature));
		mc_json_set_string(f, "description", mc_feature_description(c->feature));
		mc_json_set_double(f, "value", in->features->v[c->feature]);
		mc_json_set_double(f, "logit", c->logit);
		mc_json_set_string(f, "direction", c->logit >= 0 ? "raises" : "lowers");
		json_object_array_add(top, f);
	}
	json_object_object_add(o, "top_features", top);
	return o;
}

static struct json_object *build_file(const mc_card_file *f)
{
	struct json_object *o = json_object_new_object();
	mc_json_set_string(o, "path", f->path);
	if (f->old_path)
		mc_json_set_string(o, "old_path", f->old_path);
	mc_json_set_string(o, "status", status_name(f->status));
	mc_json_set_int(o, "added", f->added);
	mc_json_set_int(o, "deleted", f->deleted);
	mc_json_set_bool(o, "binary", f->binary);
	return o;
}

/* Largest changes first, so the card's short list shows what matters. */
static int by_lines_desc(const void *a, const void *b)
{
	const mc_card_file *x = *(const mc_card_file *const *)a, *y = *(const mc_card_file *const *)b;
	unsigned lx = x->added + x->deleted, ly = y->added + y->deleted;
	if (lx != ly)
		return lx < ly ? 1 : -1;
	return strcmp(x->path, y->path);
}

static struct json_object *build_change(const mc_card_input *in)
{
	struct json_object *o = json_object_new_object(), *feat = json_object_new_object();
	struct json_object *files = json_object_new_array();
	const mc_card_file **order = calloc(in->nfiles ? in->nfiles : 1, sizeof *order);
	size_t i, shown;
	int f;

	for (f = 0; f < MC_FEATURE_COUNT; f++)
		mc_json_set_double(feat, mc_feature_name(f), in->features->v[f]);
	for (i = 0; i < in->nfiles; i++)
		order[i] = &in->files[i];
	qsort(order, in->nfiles, sizeof *order, by_lines_desc);
	shown = in->nfiles < MC_CARD_MAX_FILES ? in->nfiles : MC_CARD_MAX_FILES;
	for (i = 0; i < shown; i++)
		json_object_array_add(files, build_file(order[i]));
	free(order);
	mc_json_set_int(o, "files", (long long)in->nfiles);
	mc_json_set_double(o, "lines_added", in->features->v[MC_F_LA]);
	mc_json_set_double(o, "lines_deleted", in->features->v[MC_F_LD]);
	mc_json_set_double(o, "subsystems", in->features->v[MC_F_NS]);
	mc_json_set_double(o, "directories", in->features->v[MC_F_ND]);
	json_object_object_add(o, "features", feat);
	json_object_object_add(o, "top_files", files);
	mc_json_set_int(o, "more_files", (long long)(in->nfiles - shown));
	return o;
}

static struct json_object *build_policy(const mc_verdict *v)
{
	struct json_object *o = json_object_new_object(), *gates = json_object_new_array();
	int i;
	for (i = 0; i < MC_GATE_COUNT; i++) {
		struct json_object *g = json_object_new_object();
		mc_json_set_string(g, "gate", v->gates[i].name);
		mc_json_set_bool(g, "applies", v->gates[i].applies);
		mc_json_set_bool(g, "passed", v->gates[i].passed);
		mc_json_set_string(g, "reason", v->gates[i].reason);
		json_object_array_add(gates, g);
	}
	mc_json_set_bool(o, "passed", v->passed);
	json_object_object_add(o, "gates", gates);
	return o;
}

static struct json_object *build_decision(const mc_verdict *v)
{
	struct json_object *o = json_object_new_object(), *reasons = json_object_new_array();
	int i;
	for (i = 0; i < MC_GATE_COUNT; i++)
		if (v->gates[i].applies && !v->gates[i].passed)
			json_object_array_add(reasons, json_object_new_string(v->gates[i].reason));
	mc_json_set_string(o, "verdict", v->passed ? "pass" : "fail");
	json_object_object_add(o, "blocking", reasons);
	return o;
}

static struct json_object *string_array(char *const *items, size_t n)
{
	struct json_object *a = json_object_new_array();
	size_t i;
	for (i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(items[i]));
	return a;
}

static struct json_object *build_labels(const mc_signals *s)
{
	struct json_object *a = json_object_new_array();
	size_t i;
	for (i = 0; i < s->n; i++)
		if (s->items[i].kind == MC_SIG_LABEL)
			json_object_array_add(a, json_object_new_string(s->items[i].ref));
	return a;
}

static struct json_object *build_provenance(const mc_card_input *in)
{
	struct json_object *o = json_object_new_object(), *cfg = json_object_new_object();
	struct json_object *inputs = json_object_new_object();
	char when[MC_TIME_ISO_LEN];
	size_t n = in->ncommits < MC_CARD_MAX_COMMITS ? in->ncommits : MC_CARD_MAX_COMMITS;

	mc_time_iso8601(when, in->generated_at, -1);
	mc_json_set_string(o, "tool", "maestro");
	mc_json_set_string(o, "version", in->tool_version);
	mc_json_set_string(o, "generated_at", when);
	mc_json_set_string(cfg, "source", in->config_source);
	mc_json_set_string(cfg, "blob", in->config_blob);
	json_object_object_add(o, "config", cfg);
	mc_json_set_string(inputs, "base", in->base);
	mc_json_set_string(inputs, "head", in->head);
	json_object_object_add(inputs, "commits", string_array((char *const *)in->commits, n));
	mc_json_set_bool(inputs, "commits_truncated", n < in->ncommits);
	json_object_object_add(o, "inputs", inputs);
	mc_json_set_string(o, "risk_model", in->score->risk_model_source);
	return o;
}

struct json_object *mc_card_build(const mc_card_input *in)
{
	struct json_object *card = json_object_new_object();

	mc_json_set_string(card, "schema", MC_CARD_SCHEMA_ID);
	json_object_object_add(card, "subject", build_subject(in));
	json_object_object_add(card, "decision", build_decision(in->verdict));
	json_object_object_add(card, "roi", build_roi(in->score));
	json_object_object_add(card, "risk", build_risk(in));
	json_object_object_add(card, "change", build_change(in));
	json_object_object_add(card, "policy", build_policy(in->verdict));
	json_object_object_add(card, "labels", build_labels(in->signals));
	json_object_object_add(card, "warnings",
			       string_array(in->signals->warnings.items, in->signals->warnings.n));
	if (in->canary)
		json_object_object_add(card, "canary", mc_canary_judgement_to_json(in->canary));
	json_object_object_add(card, "provenance", build_provenance(in));
	/* Paths, messages and arguments are bytes; the card is JSON text, so bytes
	 * that are not UTF-8 are shown as \xHH rather than dropped or passed on broken. */
	mc_utf8_escape_json(card);
	return card;
}

/* "raised", "dropped" or "set", from the priorities before and after. */
static const char *override_action(int before, int after)
{
	if (after == before + 1)
		return "raised";
	return after == before - 1 ? "dropped" : "set";
}

static struct json_object *build_override(const mc_card_override *o)
{
	struct json_object *j = json_object_new_object();
	char when[MC_TIME_ISO_LEN];
	mc_time_iso8601(when, o->at, -1);
	mc_json_set_string(j, "action", override_action(o->before, o->after));
	mc_json_set_string(j, "who", o->who);
	mc_json_set_string(j, "reason", o->reason);
	mc_json_set_string(j, "at", when);
	mc_json_set_int(j, "before", o->before);
	mc_json_set_int(j, "after", o->after);
	return j;
}

static struct json_object *build_share(const mc_card_share *s)
{
	struct json_object *j = json_object_new_object();
	mc_json_set_string(j, "dimension", s->dimension);
	mc_json_set_double(j, "cost", s->cost);
	mc_json_set_double(j, "budget", s->budget);
	mc_json_set_double(j, "share", s->budget > 0 ? s->cost / s->budget : 0);
	return j;
}

void mc_card_add_plan(struct json_object *card, const mc_card_plan *in)
{
	struct json_object *o = json_object_new_object(), *list = json_object_new_array();
	size_t i;

	mc_json_set_string(o, "item", in->item);
	mc_json_set_int(o, "rank", (long long)in->rank);
	mc_json_set_int(o, "of", (long long)in->of);
	mc_json_set_int(o, "priority", in->priority);
	for (i = 0; i < in->noverrides; i++)
		json_object_array_add(list, build_override(&in->overrides[i]));
	json_object_object_add(o, "overrides", list);
	mc_json_set_bool(o, "planned", in->planned);
	if (in->planned) {
		mc_json_set_bool(o, "selected", in->selected);
		if (in->trains && in->selected)
			mc_json_set_string(o, "train", in->train);
		list = json_object_new_array();
		for (i = 0; i < in->nshares; i++)
			json_object_array_add(list, build_share(&in->shares[i]));
		json_object_object_add(o, "budgets", list);
		list = json_object_new_array();
		for (i = 0; i < in->ndisplaced; i++) {
			struct json_object *d = json_object_new_object();
			mc_json_set_string(d, "id", in->displaced[i].id);
			mc_json_set_double(d, "expected_value_usd", in->displaced[i].expected_value_usd);
			json_object_array_add(list, d);
		}
		json_object_object_add(o, "displaced", list);
		if (!in->selected)
			mc_json_set_string(o, "reason", in->reason ? in->reason : "not selected");
		mc_json_set_double(o, "gap", in->gap);
	}
	mc_utf8_escape_json(o);
	json_object_object_add(card, "plan", o);
}

/* Copy key from src to dst when present. */
static void copy_key(struct json_object *dst, struct json_object *src, const char *key)
{
	struct json_object *v = mc_json_get(src, key);
	if (v)
		json_object_object_add(dst, key, json_object_get(v));
}

void mc_card_add_contract(struct json_object *card, const char *task,
			  struct json_object *contract, struct json_object *escalation,
			  time_t escalated_at)
{
	static const char *const contract_keys[] = { "contract_id", "agent_id", "offer", "sla",
						      "train", "round", "accepted_at" };
	static const char *const escalation_keys[] = { "why", "conflict", "contenders", "rounds",
						       "next_step" };
	struct json_object *o;
	size_t i;

	if (!contract && !escalation)
		return;
	o = json_object_new_object();
	mc_json_set_string(o, "task", task);
	mc_json_set_string(o, "status", contract ? "contracted" : "escalated");
	if (contract) {
		for (i = 0; i < sizeof contract_keys / sizeof *contract_keys; i++)
			copy_key(o, contract, contract_keys[i]);
	} else {
		struct json_object *e = json_object_new_object();
		char at[MC_TIME_ISO_LEN];
		for (i = 0; i < sizeof escalation_keys / sizeof *escalation_keys; i++)
			copy_key(e, escalation, escalation_keys[i]);
		mc_time_iso8601(at, escalated_at, -1);
		mc_json_set_string(e, "at", at);
		json_object_object_add(o, "escalation", e);
	}
	mc_utf8_escape_json(o);
	json_object_object_add(card, "contract", o);
}

/* ---- the simulation section ---- */

/* A metric: base, prediction and the change with its interval; change* relative to
 * the base (absent when the base is 0). */
static struct json_object *sim_metric(const mc_cf_metric *m)
{
	struct json_object *o = json_object_new_object();
	mc_json_set_double(o, "base", m->base);
	mc_json_set_double(o, "predicted", m->predicted);
	mc_json_set_double(o, "delta", m->delta);
	mc_json_set_double(o, "delta_low", m->delta_ci.lo);
	mc_json_set_double(o, "delta_high", m->delta_ci.hi);
	if (m->base > 0) {
		mc_json_set_double(o, "change", m->delta / m->base);
		mc_json_set_double(o, "change_low", m->delta_ci.lo / m->base);
		mc_json_set_double(o, "change_high", m->delta_ci.hi / m->base);
	}
	return o;
}

static struct json_object *sim_route(const mc_cf_route_result *r, unsigned breaches)
{
	static const char *const q[3] = { "p50", "p95", "p99" };
	struct json_object *o = json_object_new_object(), *lat = json_object_new_object();
	struct json_object *failed = json_object_new_array();
	int j;

	mc_json_set_string(o, "route", strcmp(r->route, MC_CF_ALL) ? r->route : "all routes");
	mc_json_set_int(o, "requests", (long long)r->count);
	for (j = 0; j < 3; j++)
		json_object_object_add(lat, q[j], sim_metric(&r->latency[j]));
	json_object_object_add(o, "latency_ms", lat);
	json_object_object_add(o, "error_rate", sim_metric(&r->error_rate));
	json_object_object_add(o, "cost_usd_per_request", sim_metric(&r->cost));
	if (breaches & MC_SIM_BREACH_P99)
		json_object_array_add(failed, json_object_new_string("p99"));
	if (breaches & MC_SIM_BREACH_ERRORS)
		json_object_array_add(failed, json_object_new_string("error_rate"));
	if (breaches & MC_SIM_BREACH_COST)
		json_object_array_add(failed, json_object_new_string("cost"));
	json_object_object_add(o, "failed", failed);
	return o;
}

void mc_card_add_simulation(struct json_object *card, const mc_card_simulation *in)
{
	const mc_cf_result *r = in->result;
	struct json_object *o = json_object_new_object(), *trace = json_object_new_object();
	struct json_object *deltas = json_object_new_object(), *routes = json_object_new_array();
	size_t *order = calloc(r->nroutes ? r->nroutes : 1, sizeof *order), i, shown = 0;

	mc_json_set_string(trace, "name", in->trace);
	mc_json_set_string(trace, "format", in->format);
	mc_json_set_string(trace, "sha256", in->sha256);
	mc_json_set_int(trace, "bytes", (long long)in->bytes);
	mc_json_set_int(trace, "records", (long long)in->records);
	json_object_object_add(o, "trace", trace);
	mc_json_set_string(deltas, "origin", in->origin);
	json_object_object_add(deltas, "document", json_object_get(in->deltas));
	json_object_object_add(o, "deltas", deltas);
	mc_json_set_double(o, "confidence", r->confidence);
	mc_json_set_int(o, "resamples", r->resamples);
	json_object_object_add(o, "overall", sim_route(&r->overall, in->overall_breaches));
	/* Busiest first, ties in the result's order (by name). qsort has no context argument
	 * in C17; an insertion sort of at most 1,001 routes needs none and is stable. */
	for (i = 0; i < r->nroutes; i++)
		order[i] = i;
	for (i = 1; i < r->nroutes; i++) {
		size_t k = order[i], j = i;
		while (j > 0 && r->routes[order[j - 1]].count < r->routes[k].count) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = k;
	}
	for (i = 0; i < r->nroutes; i++) {
		size_t k = order[i];
		unsigned bits = in->breaches ? in->breaches[k] : 0;
		if (shown < MC_CARD_SIM_ROUTES || bits) {
			json_object_array_add(routes, sim_route(&r->routes[k], bits));
			shown++;
		}
	}
	free(order);
	json_object_object_add(o, "routes", routes);
	mc_json_set_int(o, "more_routes", (long long)(r->nroutes - shown));
	mc_utf8_escape_json(o);
	json_object_object_add(card, "simulation", o);
}
