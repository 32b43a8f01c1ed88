/*
 * Repository configuration (config.h): defaults, parsing, the effective config.
 *
 * The text is parsed with a size limit, validated against the schema embedded
 * in the binary (schemas/config.schema.json), and only then copied into the
 * struct, so the copying code can trust every type and range. Any failure is
 * MC_ECONFIG with a message naming the origin and the JSON path. Pure: no I/O;
 * the caller reads the file (from the base commit of a change).
 */
#include "model/config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/cf.h"
#include "util/alloc.h"
#include "util/embedded.h"
#include "util/error.h"
#include "util/json.h"
#include "util/jsonschema.h"

#define CONFIG_SCHEMA "schemas/config.schema.json"

static void list_set(mc_string_list *list, const char *const *items, size_t n)
{
	size_t i;
	list->items = n ? mc_xcalloc(n, sizeof *list->items) : NULL;
	for (i = 0; i < n; i++)
		list->items[i] = mc_xstrdup(items[i]);
	list->n = n;
}

static void list_free(mc_string_list *list)
{
	size_t i;
	for (i = 0; i < list->n; i++)
		free(list->items[i]);
	free(list->items);
	list->items = NULL;
	list->n = 0;
}

static void budgets_free(mc_budget_list *b)
{
	size_t i;
	for (i = 0; i < b->n; i++)
		free(b->names[i]);
	free(b->names);
	free(b->amounts);
	memset(b, 0, sizeof *b);
}

static void plan_free(mc_config *cfg)
{
	size_t i;
	budgets_free(&cfg->plan_budgets);
	for (i = 0; i < cfg->plan_ntrains; i++) {
		free(cfg->plan_trains[i].name);
		budgets_free(&cfg->plan_trains[i].budgets);
	}
	free(cfg->plan_trains);
	cfg->plan_trains = NULL;
	cfg->plan_ntrains = 0;
}

static void canary_defaults(mc_canary_config *c)
{
	c->confidence = 0.98; /* NetflixACAJudge's level */
	c->pass_score = 75;   /* Kayenta's default score thresholds */
	c->marginal_score = 50;
	c->min_samples = 5;   /* the fewest per side with which a 98 % two-sided test can reject */
	c->tolerance = 0.05;
	c->nodata = MC_CANARY_NODATA_IGNORE;
	c->rounds = 5;
	c->timeout_s = 600;
	c->limits.cpu_s = 600;
	c->limits.memory_mb = 2048;
	c->limits.processes = 256;
	c->limits.file_mb = 1024;
	c->limits.output_kb = 1024;
}

static void canary_free(mc_canary_config *c)
{
	size_t i;
	for (i = 0; i < c->nmetrics; i++) {
		free(c->metrics[i].name);
		free(c->metrics[i].group);
	}
	free(c->metrics);
	c->metrics = NULL;
	c->nmetrics = 0;
	for (i = 0; i < c->ngroup_weights; i++)
		free(c->group_weights[i].group);
	free(c->group_weights);
	c->group_weights = NULL;
	c->ngroup_weights = 0;
	list_free(&c->build);
	list_free(&c->run);
}

void mc_config_defaults(mc_config *cfg)
{
	static const char *const fix_labels[] = { "bug", "fix", "defect" };
	static const char *const flaky_labels[] = { "flaky" };
	memset(cfg, 0, sizeof *cfg);
	cfg->value_defect_usd = 400;
	cfg->value_flake_usd = 150;
	cfg->value_latency_ms_usd = 2;
	cfg->value_revenue_weight = 1;
	cfg->cost_ci_usd_per_minute = 0.008;
	cfg->cost_ci_minutes = 10;
	cfg->cost_llm_usd = 0;
	cfg->policy_max_risk = 0.8;
	list_set(&cfg->policy_protected_paths, NULL, 0);
	cfg->policy_protected_approvals = 1;
	cfg->policy_required_approvals = 0;
	cfg->policy_max_llm_usd = -1;
	cfg->policy_max_ci_minutes = -1;
	list_set(&cfg->labels_fix, fix_labels, 3);
	list_set(&cfg->labels_flaky, flaky_labels, 1);
	cfg->review_default_branch = NULL;
	cfg->evidence_signing_key = NULL;
	list_set(&cfg->evidence_pinned_keys, NULL, 0);
	cfg->evidence_record = 1;
	canary_defaults(&cfg->canary);
	cfg->simulate_trace = NULL;
	cfg->simulate_nginx = 0;
	list_set(&cfg->simulate_deltas, NULL, 0);
	cfg->simulate_min_requests = 100;
	cfg->simulate_max_p99_increase = -1;
	cfg->simulate_max_error_rate_increase = -1;
	cfg->simulate_max_cost_increase = -1;
	mc_negotiate_policy_defaults(&cfg->negotiation);
}

void mc_config_free(mc_config *cfg)
{
	if (!cfg)
		return;
	list_free(&cfg->policy_protected_paths);
	list_free(&cfg->labels_fix);
	list_free(&cfg->labels_flaky);
	free(cfg->review_default_branch);
	cfg->review_default_branch = NULL;
	free(cfg->evidence_signing_key);
	cfg->evidence_signing_key = NULL;
	list_free(&cfg->evidence_pinned_keys);
	canary_free(&cfg->canary);
	free(cfg->simulate_trace);
	cfg->simulate_trace = NULL;
	list_free(&cfg->simulate_deltas);
	plan_free(cfg);
	mc_negotiate_policy_free(&cfg->negotiation);
}

const mc_canary_metric *mc_config_canary_metric(const mc_canary_config *c, const char *name,
						mc_canary_metric *scratch)
{
	size_t i;
	for (i = 0; i < c->nmetrics; i++)
		if (!strcmp(c->metrics[i].name, name))
			return &c->metrics[i];
	if (c->nmetrics)
		return NULL;
	memset(scratch, 0, sizeof *scratch);
	scratch->name = (char *)name;
	scratch->direction = MC_CANARY_INCREASE;
	scratch->tolerance = c->tolerance;
	scratch->weight = 1;
	scratch->nodata = c->nodata;
	return scratch;
}

/* Re-raise the current error as MC_ECONFIG, keeping its message. */
static int as_config_error(void)
{
	return mc_error_recode(MC_ECONFIG);
}

/* The embedded schema as a json-c object (parsed per call: configs are read
 * once per change, and a shared cached object would need locking). */
static int load_schema(struct json_object **out)
{
	size_t len;
	const char *text = mc_embedded_get(CONFIG_SCHEMA, &len);
	if (!text)
		return mc_error_set(MC_EINTERNAL, "%s is not embedded in this build", CONFIG_SCHEMA);
	if (mc_json_parse(out, text, len, MC_CONFIG_MAX_BYTES, CONFIG_SCHEMA))
		return mc_error_wrap(MC_EINTERNAL, "embedded schema");
	return 0;
}

/* The setters below run after validation: types and ranges are already right. */

/* -0 is a valid JSON number; keep it from printing as "-0" downstream. */
static double positive_zero(double d)
{
	return d == 0 ? 0 : d;
}

static void take_number(double *field, struct json_object *section, const char *key)
{
	*field = positive_zero(mc_json_get_double(section, key, *field));
}

/* A number or null (null and a missing key differ: null clears the ceiling). */
static void take_ceiling(double *field, struct json_object *section, const char *key)
{
	struct json_object *v;
	if (!json_object_object_get_ex(section, key, &v))
		return;
	*field = v ? positive_zero(json_object_get_double(v)) : -1;
}

/* An "integer" may arrive as 2.0; the schema bounds it (to int range at most). */
static void take_count(int *field, struct json_object *section, const char *key)
{
	struct json_object *v = mc_json_get(section, key);
	if (v)
		*field = (int)json_object_get_double(v);
}

static void take_list(mc_string_list *list, struct json_object *section, const char *key)
{
	struct json_object *v = mc_json_get(section, key);
	size_t i, n;
	if (!v)
		return;
	list_free(list);
	n = json_object_array_length(v);
	list->items = mc_xcalloc(n ? n : 1, sizeof *list->items);
	for (i = 0; i < n; i++)
		list->items[i] = mc_xstrdup(json_object_get_string(json_object_array_get_idx(v, i)));
	list->n = n;
}

/* A string or null (null clears it, as a missing key does not). */
static void take_optional_string(char **field, struct json_object *section, const char *key)
{
	struct json_object *v;
	if (!json_object_object_get_ex(section, key, &v))
		return;
	free(*field);
	*field = v ? mc_xstrdup(json_object_get_string(v)) : NULL;
}

static void fill_simulate(mc_config *cfg, struct json_object *sim)
{
	if (!sim)
		return;
	take_optional_string(&cfg->simulate_trace, sim, "trace");
	if (mc_json_get(sim, "format"))
		cfg->simulate_nginx = !strcmp(mc_json_get_string(sim, "format", ""), "nginx");
	take_list(&cfg->simulate_deltas, sim, "deltas");
	take_count(&cfg->simulate_min_requests, sim, "min_requests");
	take_ceiling(&cfg->simulate_max_p99_increase, sim, "max_p99_increase");
	take_ceiling(&cfg->simulate_max_error_rate_increase, sim, "max_error_rate_increase");
	take_ceiling(&cfg->simulate_max_cost_increase, sim, "max_cost_increase");
}

/* Each default delta parses as `maestro simulate --delta` would parse it. */
static int check_simulate_deltas(const mc_config *cfg, const char *origin)
{
	mc_cf_deltas d = { 0 };
	size_t i;
	int rc = 0;
	for (i = 0; i < cfg->simulate_deltas.n && !rc; i++)
		if (mc_cf_deltas_add_spec(&d, cfg->simulate_deltas.items[i]) != 0)
			rc = mc_error_wrap(MC_ECONFIG, "%s: /simulate/deltas/%zu", origin, i);
	mc_cf_deltas_free(&d);
	return rc;
}

/* A budgets object, already schema-checked (numbers >= 0); the names are checked here
 * because the schema language maestro implements has no propertyNames. */
static int take_budgets(mc_budget_list *b, struct json_object *obj, const char *origin,
			const char *where)
{
	size_t n = obj ? (size_t)json_object_object_length(obj) : 0;
	if (n > MC_CONFIG_MAX_BUDGETS)
		return mc_error_set(MC_ECONFIG, "%s: %s: %zu budget dimensions, at most %d", origin,
				    where, n, MC_CONFIG_MAX_BUDGETS);
	b->names = mc_xcalloc(n ? n : 1, sizeof *b->names);
	b->amounts = mc_xcalloc(n ? n : 1, sizeof *b->amounts);
	if (!obj)
		return 0;
	json_object_object_foreach(obj, key, val) {
		if (!*key || strlen(key) > MC_CONFIG_BUDGET_NAME_MAX)
			return mc_error_set(MC_ECONFIG, "%s: %s: a budget dimension name must have 1 to %d "
					    "characters", origin, where, MC_CONFIG_BUDGET_NAME_MAX);
		b->names[b->n] = mc_xstrdup(key);
		b->amounts[b->n++] = positive_zero(json_object_get_double(val));
	}
	return 0;
}

static int has_budget(const mc_budget_list *b, const char *name)
{
	size_t i;
	for (i = 0; i < b->n; i++)
		if (!strcmp(b->names[i], name))
			return 1;
	return 0;
}

/* Every train budgets the same dimensions: a dimension one train left out would
 * otherwise have to mean "no limit" or "nothing", and either guess surprises. */
static int same_dimensions(const mc_config *cfg, size_t i, const char *origin)
{
	const mc_budget_list *first = &cfg->plan_trains[0].budgets, *b = &cfg->plan_trains[i].budgets;
	size_t d;
	for (d = 0; d < first->n; d++)
		if (!has_budget(b, first->names[d]))
			return mc_error_set(MC_ECONFIG, "%s: /plan/trains/%zu/budgets: no budget for '%s' "
					    "(every train budgets the same dimensions)", origin, i,
					    first->names[d]);
	for (d = 0; d < b->n; d++)
		if (!has_budget(first, b->names[d]))
			return mc_error_set(MC_ECONFIG, "%s: /plan/trains/%zu/budgets: '%s' is not budgeted "
					    "by train 0 (every train budgets the same dimensions)", origin, i,
					    b->names[d]);
	return 0;
}

static int take_plan(mc_config *cfg, struct json_object *plan, const char *origin)
{
	struct json_object *trains = mc_json_get(plan, "trains");
	char where[96];
	size_t i, j, n = trains ? json_object_array_length(trains) : 0;
	int rc;

	budgets_free(&cfg->plan_budgets);
	if ((rc = take_budgets(&cfg->plan_budgets, mc_json_get(plan, "budgets"), origin,
			       "/plan/budgets")) != 0)
		return rc;
	cfg->plan_trains = mc_xcalloc(n ? n : 1, sizeof *cfg->plan_trains);
	for (i = 0; i < n; i++) {
		struct json_object *t = json_object_array_get_idx(trains, i);
		mc_config_train *train = &cfg->plan_trains[cfg->plan_ntrains++];
		train->name = mc_xstrdup(mc_json_get_string(t, "name", ""));
		snprintf(where, sizeof where, "/plan/trains/%zu/budgets", i);
		if ((rc = take_budgets(&train->budgets, mc_json_get(t, "budgets"), origin, where)) != 0)
			return rc;
		if (i > 0 && (rc = same_dimensions(cfg, i, origin)) != 0)
			return rc;
		for (j = 0; j < i; j++)
			if (!strcmp(cfg->plan_trains[j].name, train->name))
				return mc_error_set(MC_ECONFIG, "%s: /plan/trains/%zu/name: train '%s' "
						    "is given twice", origin, i, train->name);
	}
	return 0;
}

static mc_canary_direction direction_from(const char *s)
{
	if (!strcmp(s, "decrease"))
		return MC_CANARY_DECREASE;
	return !strcmp(s, "either") ? MC_CANARY_EITHER : MC_CANARY_INCREASE;
}

const char *mc_canary_direction_name(mc_canary_direction d)
{
	return d == MC_CANARY_DECREASE ? "decrease" : d == MC_CANARY_EITHER ? "either" : "increase";
}

static mc_canary_nodata nodata_from(const char *s, mc_canary_nodata def)
{
	if (!s)
		return def;
	return !strcmp(s, "fail") ? MC_CANARY_NODATA_FAIL : MC_CANARY_NODATA_IGNORE;
}

static const char *nodata_name(mc_canary_nodata n)
{
	return n == MC_CANARY_NODATA_FAIL ? "fail" : "ignore";
}

/* Metric entries take the section's defaults (tolerance, nodata), so those are
 * read first. Names are unique: checked by check_canary before this runs. */
static void take_canary_metrics(mc_canary_config *c, struct json_object *list)
{
	size_t i, n = list ? json_object_array_length(list) : 0;
	if (!list)
		return;
	c->metrics = mc_xcalloc(n ? n : 1, sizeof *c->metrics);
	c->nmetrics = n;
	for (i = 0; i < n; i++) {
		struct json_object *m = json_object_array_get_idx(list, i);
		mc_canary_metric *out = &c->metrics[i];
		const char *group = mc_json_get_string(m, "group", NULL);
		out->name = mc_xstrdup(mc_json_get_string(m, "name", ""));
		out->direction = direction_from(mc_json_get_string(m, "direction", "increase"));
		out->tolerance = positive_zero(mc_json_get_double(m, "tolerance", c->tolerance));
		out->critical = mc_json_get_bool(m, "critical", 0);
		out->weight = mc_json_get_double(m, "weight", 1);
		out->group = group ? mc_xstrdup(group) : NULL;
		out->nodata = nodata_from(mc_json_get_string(m, "nodata", NULL), c->nodata);
	}
}

static void take_group_weights(mc_canary_config *c, struct json_object *obj)
{
	size_t n = 0;
	if (!obj)
		return;
	c->group_weights = mc_xcalloc(json_object_object_length(obj) + 1, sizeof *c->group_weights);
	json_object_object_foreach(obj, key, val) {
		c->group_weights[n].group = mc_xstrdup(key);
		c->group_weights[n].weight = positive_zero(json_object_get_double(val));
		n++;
	}
	c->ngroup_weights = n;
}

static void fill_canary(mc_canary_config *c, struct json_object *sec)
{
	struct json_object *limits = mc_json_get(sec, "limits");
	take_number(&c->confidence, sec, "confidence");
	take_number(&c->pass_score, sec, "pass_score");
	take_number(&c->marginal_score, sec, "marginal_score");
	take_count(&c->min_samples, sec, "min_samples");
	take_number(&c->tolerance, sec, "tolerance");
	c->nodata = nodata_from(mc_json_get_string(sec, "nodata", NULL), c->nodata);
	take_canary_metrics(c, mc_json_get(sec, "metrics"));
	take_group_weights(c, mc_json_get(sec, "group_weights"));
	take_list(&c->build, sec, "build");
	take_list(&c->run, sec, "run");
	take_count(&c->rounds, sec, "rounds");
	take_count(&c->timeout_s, sec, "timeout_s");
	if (limits) {
		take_count(&c->limits.cpu_s, limits, "cpu_s");
		take_count(&c->limits.memory_mb, limits, "memory_mb");
		take_count(&c->limits.processes, limits, "processes");
		take_count(&c->limits.file_mb, limits, "file_mb");
		take_count(&c->limits.output_kb, limits, "output_kb");
	}
}

/* What the schema cannot say: unique metric names, a bounded number of groups,
 * marginal not above pass. */
static int check_canary(struct json_object *sec, const char *origin)
{
	struct json_object *metrics = mc_json_get(sec, "metrics");
	struct json_object *groups = mc_json_get(sec, "group_weights");
	size_t i, j, n = metrics ? json_object_array_length(metrics) : 0;
	for (i = 0; i < n; i++)
		for (j = 0; j < i; j++)
			if (!strcmp(mc_json_get_string(json_object_array_get_idx(metrics, i), "name", ""),
				    mc_json_get_string(json_object_array_get_idx(metrics, j), "name", "")))
				return mc_error_set(MC_ECONFIG, "%s: /canary/metrics/%zu/name: '%s' is already "
						    "at /canary/metrics/%zu", origin, i,
						    mc_json_get_string(json_object_array_get_idx(metrics, i), "name", ""), j);
	if (groups && json_object_object_length(groups) > MC_CANARY_MAX_GROUPS)
		return mc_error_set(MC_ECONFIG, "%s: /canary/group_weights: more than %d groups",
				    origin, MC_CANARY_MAX_GROUPS);
	if (groups) {
		json_object_object_foreach(groups, key, val) {
			(void)val;
			if (!*key || strlen(key) > MC_CANARY_NAME_MAX)
				return mc_error_set(MC_ECONFIG, "%s: /canary/group_weights: a group name must "
						    "have 1 to %d characters", origin, MC_CANARY_NAME_MAX);
		}
	}
	if (mc_json_get_double(sec, "marginal_score", 50) > mc_json_get_double(sec, "pass_score", 75))
		return mc_error_set(MC_ECONFIG, "%s: /canary/marginal_score: must not be above pass_score",
				    origin);
	return 0;
}

static void fill(mc_config *cfg, struct json_object *doc)
{
	struct json_object *value = mc_json_get(doc, "value"), *cost = mc_json_get(doc, "cost");
	struct json_object *policy = mc_json_get(doc, "policy"), *labels = mc_json_get(doc, "labels");
	struct json_object *review = mc_json_get(doc, "review");
	struct json_object *evidence = mc_json_get(doc, "evidence");

	take_number(&cfg->value_defect_usd, value, "defect_usd");
	take_number(&cfg->value_flake_usd, value, "flake_usd");
	take_number(&cfg->value_latency_ms_usd, value, "latency_ms_usd");
	take_number(&cfg->value_revenue_weight, value, "revenue_weight");
	take_number(&cfg->cost_ci_usd_per_minute, cost, "ci_usd_per_minute");
	take_number(&cfg->cost_ci_minutes, cost, "ci_minutes");
	take_number(&cfg->cost_llm_usd, cost, "llm_usd");
	take_number(&cfg->policy_max_risk, policy, "max_risk");
	take_list(&cfg->policy_protected_paths, policy, "protected_paths");
	take_count(&cfg->policy_protected_approvals, policy, "protected_approvals");
	take_count(&cfg->policy_required_approvals, policy, "required_approvals");
	if (policy) {
		take_ceiling(&cfg->policy_max_llm_usd, policy, "max_llm_usd");
		take_ceiling(&cfg->policy_max_ci_minutes, policy, "max_ci_minutes");
	}
	take_list(&cfg->labels_fix, labels, "fix");
	take_list(&cfg->labels_flaky, labels, "flaky");
	if (review)
		take_optional_string(&cfg->review_default_branch, review, "default_branch");
	if (evidence) {
		take_optional_string(&cfg->evidence_signing_key, evidence, "signing_key");
		take_list(&cfg->evidence_pinned_keys, evidence, "pinned_keys");
		cfg->evidence_record = mc_json_get_bool(evidence, "record", cfg->evidence_record);
	}
	if (mc_json_get(doc, "canary"))
		fill_canary(&cfg->canary, mc_json_get(doc, "canary"));
	fill_simulate(cfg, mc_json_get(doc, "simulate"));
	mc_negotiate_policy_apply(&cfg->negotiation, mc_json_get(doc, "negotiation"));
}

int mc_config_parse(mc_config *cfg, const char *text, size_t len, const char *origin)
{
	struct json_object *schema = NULL, *doc = NULL;
	int rc;

	memset(cfg, 0, sizeof *cfg);
	if ((rc = load_schema(&schema)))
		return rc;
	if (mc_json_parse(&doc, text, len, MC_CONFIG_MAX_BYTES, origin)) {
		json_object_put(schema);
		return as_config_error();
	}
	rc = mc_jsonschema_validate(schema, doc, origin);
	json_object_put(schema);
	if (rc) {
		json_object_put(doc);
		return rc == MC_EINVAL ? as_config_error() : rc;
	}
	if (mc_json_get(doc, "canary") && (rc = check_canary(mc_json_get(doc, "canary"), origin))) {
		json_object_put(doc);
		return rc;
	}
	mc_config_defaults(cfg);
	fill(cfg, doc);
	rc = take_plan(cfg, mc_json_get(doc, "plan"), origin);
	if (!rc)
		rc = check_simulate_deltas(cfg, origin);
	json_object_put(doc);
	if (rc)
		mc_config_free(cfg);
	return rc;
}

/* A JSON number printed in its shortest round-tripping form ("0.008", not
 * json-c's "0.0080000000000000002"), so the effective config reads like the file. */
static struct json_object *new_number(double d)
{
	char text[32];
	int precision;
	d = positive_zero(d);
	for (precision = 15; precision < 17; precision++) {
		snprintf(text, sizeof text, "%.*g", precision, d);
		if (strtod(text, NULL) == d)
			break;
	}
	snprintf(text, sizeof text, "%.*g", precision, d);
	return json_object_new_double_s(d, text);
}

static struct json_object *new_ceiling(double d)
{
	return d < 0 || !isfinite(d) ? NULL : new_number(d);
}

static struct json_object *new_list(const mc_string_list *list)
{
	struct json_object *arr = json_object_new_array();
	size_t i;
	for (i = 0; i < list->n; i++)
		json_object_array_add(arr, json_object_new_string(list->items[i]));
	return arr;
}

static struct json_object *simulate_to_json(const mc_config *cfg)
{
	struct json_object *sim = json_object_new_object();
	mc_json_set_string(sim, "trace", cfg->simulate_trace);
	mc_json_set_string(sim, "format", cfg->simulate_nginx ? "nginx" : "jsonl");
	json_object_object_add(sim, "deltas", new_list(&cfg->simulate_deltas));
	json_object_object_add(sim, "min_requests", json_object_new_int(cfg->simulate_min_requests));
	json_object_object_add(sim, "max_p99_increase", new_ceiling(cfg->simulate_max_p99_increase));
	json_object_object_add(sim, "max_error_rate_increase",
			       new_ceiling(cfg->simulate_max_error_rate_increase));
	json_object_object_add(sim, "max_cost_increase",
			       new_ceiling(cfg->simulate_max_cost_increase));
	return sim;
}

static struct json_object *budgets_to_json(const mc_budget_list *b)
{
	struct json_object *o = json_object_new_object();
	size_t i;
	for (i = 0; i < b->n; i++)
		json_object_object_add(o, b->names[i], new_number(b->amounts[i]));
	return o;
}

static struct json_object *plan_to_json(const mc_config *cfg)
{
	struct json_object *plan = json_object_new_object(), *trains = json_object_new_array();
	size_t i;
	json_object_object_add(plan, "budgets", budgets_to_json(&cfg->plan_budgets));
	for (i = 0; i < cfg->plan_ntrains; i++) {
		struct json_object *t = json_object_new_object();
		mc_json_set_string(t, "name", cfg->plan_trains[i].name);
		json_object_object_add(t, "budgets", budgets_to_json(&cfg->plan_trains[i].budgets));
		json_object_array_add(trains, t);
	}
	json_object_object_add(plan, "trains", trains);
	return plan;
}

static struct json_object *canary_metric_to_json(const mc_canary_metric *m)
{
	struct json_object *o = json_object_new_object();
	mc_json_set_string(o, "name", m->name);
	mc_json_set_string(o, "direction", mc_canary_direction_name(m->direction));
	json_object_object_add(o, "tolerance", new_number(m->tolerance));
	mc_json_set_bool(o, "critical", m->critical);
	json_object_object_add(o, "weight", new_number(m->weight));
	if (m->group)
		mc_json_set_string(o, "group", m->group);
	mc_json_set_string(o, "nodata", nodata_name(m->nodata));
	return o;
}

static struct json_object *canary_to_json(const mc_canary_config *c)
{
	struct json_object *o = json_object_new_object(), *metrics = json_object_new_array();
	struct json_object *groups = json_object_new_object(), *limits = json_object_new_object();
	size_t i;
	for (i = 0; i < c->nmetrics; i++)
		json_object_array_add(metrics, canary_metric_to_json(&c->metrics[i]));
	json_object_object_add(o, "metrics", metrics);
	for (i = 0; i < c->ngroup_weights; i++)
		json_object_object_add(groups, c->group_weights[i].group,
				       new_number(c->group_weights[i].weight));
	json_object_object_add(o, "group_weights", groups);
	json_object_object_add(o, "confidence", new_number(c->confidence));
	json_object_object_add(o, "pass_score", new_number(c->pass_score));
	json_object_object_add(o, "marginal_score", new_number(c->marginal_score));
	json_object_object_add(o, "min_samples", json_object_new_int(c->min_samples));
	json_object_object_add(o, "tolerance", new_number(c->tolerance));
	mc_json_set_string(o, "nodata", nodata_name(c->nodata));
	json_object_object_add(o, "build", new_list(&c->build));
	json_object_object_add(o, "run", new_list(&c->run));
	json_object_object_add(o, "rounds", json_object_new_int(c->rounds));
	json_object_object_add(o, "timeout_s", json_object_new_int(c->timeout_s));
	json_object_object_add(limits, "cpu_s", json_object_new_int(c->limits.cpu_s));
	json_object_object_add(limits, "memory_mb", json_object_new_int(c->limits.memory_mb));
	json_object_object_add(limits, "processes", json_object_new_int(c->limits.processes));
	json_object_object_add(limits, "file_mb", json_object_new_int(c->limits.file_mb));
	json_object_object_add(limits, "output_kb", json_object_new_int(c->limits.output_kb));
	json_object_object_add(o, "limits", limits);
	return o;
}

struct json_object *mc_config_to_json(const mc_config *cfg)
{
	struct json_object *root = json_object_new_object();
	struct json_object *value = json_object_new_object(), *cost = json_object_new_object();
	struct json_object *policy = json_object_new_object(), *labels = json_object_new_object();
	struct json_object *review = json_object_new_object(), *evidence = json_object_new_object();

	json_object_object_add(root, "version", json_object_new_int(1));
	json_object_object_add(value, "defect_usd", new_number(cfg->value_defect_usd));
	json_object_object_add(value, "flake_usd", new_number(cfg->value_flake_usd));
	json_object_object_add(value, "latency_ms_usd", new_number(cfg->value_latency_ms_usd));
	json_object_object_add(value, "revenue_weight", new_number(cfg->value_revenue_weight));
	json_object_object_add(root, "value", value);
	json_object_object_add(cost, "ci_usd_per_minute", new_number(cfg->cost_ci_usd_per_minute));
	json_object_object_add(cost, "ci_minutes", new_number(cfg->cost_ci_minutes));
	json_object_object_add(cost, "llm_usd", new_number(cfg->cost_llm_usd));
	json_object_object_add(root, "cost", cost);
	json_object_object_add(policy, "max_risk", new_number(cfg->policy_max_risk));
	json_object_object_add(policy, "protected_paths", new_list(&cfg->policy_protected_paths));
	json_object_object_add(policy, "protected_approvals",
			       json_object_new_int(cfg->policy_protected_approvals));
	json_object_object_add(policy, "required_approvals",
			       json_object_new_int(cfg->policy_required_approvals));
	json_object_object_add(policy, "max_llm_usd", new_ceiling(cfg->policy_max_llm_usd));
	json_object_object_add(policy, "max_ci_minutes", new_ceiling(cfg->policy_max_ci_minutes));
	json_object_object_add(root, "policy", policy);
	json_object_object_add(labels, "fix", new_list(&cfg->labels_fix));
	json_object_object_add(labels, "flaky", new_list(&cfg->labels_flaky));
	json_object_object_add(root, "labels", labels);
	mc_json_set_string(review, "default_branch", cfg->review_default_branch);
	json_object_object_add(root, "review", review);
	mc_json_set_string(evidence, "signing_key", cfg->evidence_signing_key);
	json_object_object_add(evidence, "pinned_keys", new_list(&cfg->evidence_pinned_keys));
	mc_json_set_bool(evidence, "record", cfg->evidence_record);
	json_object_object_add(root, "evidence", evidence);
	json_object_object_add(root, "canary", canary_to_json(&cfg->canary));
	json_object_object_add(root, "simulate", simulate_to_json(cfg));
	json_object_object_add(root, "plan", plan_to_json(cfg));
	json_object_object_add(root, "negotiation", mc_negotiate_policy_to_json(&cfg->negotiation));
	return root;
}
