/* Unit tests for model/config: defaults, parsing, error paths, and schema/default agreement. */
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"
#include "model/config.h"
#include "util/embedded.h"
#include "util/error.h"
#include "util/json.h"

#define ORIGIN "config at base:.maestro/config.json"

static int parse(mc_config *cfg, const char *text)
{
	mc_error_clear();
	return mc_config_parse(cfg, text, strlen(text), ORIGIN);
}

static void expect_error(const char *text, const char *message)
{
	mc_config cfg;
	ck_assert_int_eq(parse(&cfg, text), MC_ECONFIG);
	ck_assert_str_eq(mc_error_message(), message);
	/* a failed parse leaves nothing to free, and freeing is still safe */
	ck_assert_ptr_null(cfg.labels_fix.items);
	mc_config_free(&cfg);
}

START_TEST(defaults_are_documented_values)
{
	mc_config cfg;
	mc_config_defaults(&cfg);
	ck_assert_double_eq(cfg.value_defect_usd, 400);
	ck_assert_double_eq(cfg.value_flake_usd, 150);
	ck_assert_double_eq(cfg.value_latency_ms_usd, 2);
	ck_assert_double_eq(cfg.value_revenue_weight, 1);
	ck_assert_double_eq(cfg.cost_ci_usd_per_minute, 0.008);
	ck_assert_double_eq(cfg.cost_ci_minutes, 10);
	ck_assert_double_eq(cfg.cost_llm_usd, 0);
	ck_assert_double_eq(cfg.policy_max_risk, 0.8);
	ck_assert_uint_eq(cfg.policy_protected_paths.n, 0);
	ck_assert_int_eq(cfg.policy_protected_approvals, 1);
	ck_assert_int_eq(cfg.policy_required_approvals, 0);
	ck_assert(cfg.policy_max_llm_usd < 0);
	ck_assert(cfg.policy_max_ci_minutes < 0);
	ck_assert_uint_eq(cfg.labels_fix.n, 3);
	ck_assert_str_eq(cfg.labels_fix.items[0], "bug");
	ck_assert_str_eq(cfg.labels_fix.items[1], "fix");
	ck_assert_str_eq(cfg.labels_fix.items[2], "defect");
	ck_assert_uint_eq(cfg.labels_flaky.n, 1);
	ck_assert_str_eq(cfg.labels_flaky.items[0], "flaky");
	ck_assert_ptr_null(cfg.review_default_branch);
	mc_config_free(&cfg);
}
END_TEST

START_TEST(empty_document_gives_defaults)
{
	mc_config cfg, def;
	struct json_object *a, *b;
	ck_assert_int_eq(parse(&cfg, "{}"), 0);
	mc_config_defaults(&def);
	a = mc_config_to_json(&cfg);
	b = mc_config_to_json(&def);
	ck_assert_str_eq(mc_json_dump(a, 0), mc_json_dump(b, 0));
	json_object_put(a);
	json_object_put(b);
	mc_config_free(&cfg);
	mc_config_free(&def);
}
END_TEST

static const char full_example[] =
	"{\n"
	"  \"version\": 1,\n"
	"  \"value\": {\"defect_usd\": 1000, \"flake_usd\": 75.5, \"latency_ms_usd\": 0.5,\n"
	"            \"revenue_weight\": 2},\n"
	"  \"cost\": {\"ci_usd_per_minute\": 0.016, \"ci_minutes\": 25, \"llm_usd\": 0.4},\n"
	"  \"policy\": {\"max_risk\": 0.6, \"protected_paths\": [\"src/crypto/**\", \"*.pem\"],\n"
	"             \"protected_approvals\": 2, \"required_approvals\": 1,\n"
	"             \"max_llm_usd\": 5, \"max_ci_minutes\": 120},\n"
	"  \"labels\": {\"fix\": [\"type: bug\"], \"flaky\": []},\n"
	"  \"review\": {\"default_branch\": \"trunk\"},\n"
	"  \"evidence\": {\"signing_key\": \"0123456789ABCDEF0123456789ABCDEF01234567\",\n"
	"               \"pinned_keys\": [\"89abcdef0123456789abcdef0123456789abcdef\"],\n"
	"               \"record\": false}\n"
	"}\n";

START_TEST(full_example_fills_every_field)
{
	mc_config cfg;
	ck_assert_msg(parse(&cfg, full_example) == 0, "%s", mc_error_message());
	ck_assert_double_eq(cfg.value_defect_usd, 1000);
	ck_assert_double_eq(cfg.value_flake_usd, 75.5);
	ck_assert_double_eq(cfg.value_latency_ms_usd, 0.5);
	ck_assert_double_eq(cfg.value_revenue_weight, 2);
	ck_assert_double_eq(cfg.cost_ci_usd_per_minute, 0.016);
	ck_assert_double_eq(cfg.cost_ci_minutes, 25);
	ck_assert_double_eq(cfg.cost_llm_usd, 0.4);
	ck_assert_double_eq(cfg.policy_max_risk, 0.6);
	ck_assert_uint_eq(cfg.policy_protected_paths.n, 2);
	ck_assert_str_eq(cfg.policy_protected_paths.items[0], "src/crypto/**");
	ck_assert_str_eq(cfg.policy_protected_paths.items[1], "*.pem");
	ck_assert_int_eq(cfg.policy_protected_approvals, 2);
	ck_assert_int_eq(cfg.policy_required_approvals, 1);
	ck_assert_double_eq(cfg.policy_max_llm_usd, 5);
	ck_assert_double_eq(cfg.policy_max_ci_minutes, 120);
	ck_assert_uint_eq(cfg.labels_fix.n, 1);
	ck_assert_str_eq(cfg.labels_fix.items[0], "type: bug");
	ck_assert_uint_eq(cfg.labels_flaky.n, 0);
	ck_assert_str_eq(cfg.review_default_branch, "trunk");
	ck_assert_str_eq(cfg.evidence_signing_key, "0123456789ABCDEF0123456789ABCDEF01234567");
	ck_assert_uint_eq(cfg.evidence_pinned_keys.n, 1);
	ck_assert_str_eq(cfg.evidence_pinned_keys.items[0], "89abcdef0123456789abcdef0123456789abcdef");
	ck_assert_int_eq(cfg.evidence_record, 0);
	mc_config_free(&cfg);
}
END_TEST

START_TEST(effective_config_round_trips)
{
	mc_config cfg, again;
	struct json_object *first, *second;
	const char *text;
	ck_assert_int_eq(parse(&cfg, full_example), 0);
	first = mc_config_to_json(&cfg);
	text = mc_json_dump(first, 1);
	/* numbers print the way people write them */
	ck_assert(strstr(text, "0.016") != NULL && strstr(text, "0.0160000") == NULL);
	ck_assert_int_eq(parse(&again, text), 0);
	second = mc_config_to_json(&again);
	ck_assert_str_eq(mc_json_dump(first, 0), mc_json_dump(second, 0));
	json_object_put(first);
	json_object_put(second);
	mc_config_free(&cfg);
	mc_config_free(&again);
}
END_TEST

START_TEST(negative_zero_reads_as_zero)
{
	mc_config cfg;
	struct json_object *j;
	/* found by fuzzing: "-0.0" printed as "-0" and then read back as 0 */
	ck_assert_int_eq(parse(&cfg, "{\"value\":{\"latency_ms_usd\":-0.0},\"policy\":{\"max_llm_usd\":-0}}"), 0);
	ck_assert(!signbit(cfg.value_latency_ms_usd));
	ck_assert(!signbit(cfg.policy_max_llm_usd));
	j = mc_config_to_json(&cfg);
	ck_assert(strstr(mc_json_dump(j, 0), "-0") == NULL);
	json_object_put(j);
	mc_config_free(&cfg);
}
END_TEST

START_TEST(partial_sections_keep_other_defaults)
{
	mc_config cfg;
	ck_assert_int_eq(parse(&cfg, "{\"policy\":{\"max_risk\":0.5}}"), 0);
	ck_assert_double_eq(cfg.policy_max_risk, 0.5);
	ck_assert_int_eq(cfg.policy_protected_approvals, 1);
	ck_assert_double_eq(cfg.value_defect_usd, 400);
	ck_assert_uint_eq(cfg.labels_fix.n, 3);
	mc_config_free(&cfg);
}
END_TEST

START_TEST(null_ceilings_mean_none)
{
	mc_config cfg;
	ck_assert_int_eq(parse(&cfg, "{\"policy\":{\"max_llm_usd\":null,\"max_ci_minutes\":0}}"), 0);
	ck_assert(cfg.policy_max_llm_usd < 0);
	ck_assert_double_eq(cfg.policy_max_ci_minutes, 0);
	mc_config_free(&cfg);
	ck_assert_int_eq(parse(&cfg, "{\"review\":{\"default_branch\":null}}"), 0);
	ck_assert_ptr_null(cfg.review_default_branch);
	mc_config_free(&cfg);
	expect_error("{\"policy\":{\"max_llm_usd\":-1}}",
		     ORIGIN ": /policy/max_llm_usd: -1 is less than the minimum 0");
}
END_TEST

START_TEST(unknown_keys_name_their_path)
{
	expect_error("{\"policy\":{\"max_rsk\":0.5}}", ORIGIN ": /policy: unknown key 'max_rsk'");
	expect_error("{\"polcy\":{}}", ORIGIN ": /: unknown key 'polcy'");
	expect_error("{\"labels\":{\"fix\":[\"bug\"],\"feature\":[]}}",
		     ORIGIN ": /labels: unknown key 'feature'");
}
END_TEST

START_TEST(wrong_types_name_their_path)
{
	expect_error("{\"policy\":{\"max_risk\":\"high\"}}",
		     ORIGIN ": /policy/max_risk: expected number, got string");
	expect_error("{\"evidence\":{\"signing_key\":\"not-a-fingerprint\"}}",
		     ORIGIN ": /evidence/signing_key: string does not match the pattern '^[0-9A-Fa-f]{40}$'");
	expect_error("{\"policy\":{\"max_risk\":1.5}}",
		     ORIGIN ": /policy/max_risk: 1.5 is greater than the maximum 1");
	expect_error("{\"policy\":{\"protected_approvals\":1.5}}",
		     ORIGIN ": /policy/protected_approvals: expected integer, got number");
	expect_error("{\"policy\":{\"protected_paths\":[\"src/**\",\"\"]}}",
		     ORIGIN ": /policy/protected_paths/1: string has 0 characters, fewer than the minimum 1");
	expect_error("{\"labels\":{\"fix\":\"bug\"}}", ORIGIN ": /labels/fix: expected array, got string");
	expect_error("{\"value\":{\"defect_usd\":-5}}",
		     ORIGIN ": /value/defect_usd: -5 is less than the minimum 0");
	expect_error("{\"version\":2}", ORIGIN ": /version: expected 1");
	expect_error("[]", ORIGIN ": /: expected object, got array");
	expect_error("{\"labels\":{\"fix\":[\"\xff\"]}}",
		     ORIGIN ": /labels/fix/0: string is not valid UTF-8");
	expect_error("{\"review\":{\"default_branch\":5}}",
		     ORIGIN ": /review/default_branch: expected string or null, got number");
}
END_TEST

START_TEST(integral_counts_may_be_written_as_decimals)
{
	mc_config cfg;
	ck_assert_int_eq(parse(&cfg, "{\"policy\":{\"required_approvals\":2.0}}"), 0);
	ck_assert_int_eq(cfg.policy_required_approvals, 2);
	mc_config_free(&cfg);
}
END_TEST

START_TEST(invalid_json_names_the_byte)
{
	mc_config cfg;
	ck_assert_int_eq(parse(&cfg, "{\"version\": 1,, }"), MC_ECONFIG);
	ck_assert_msg(strstr(mc_error_message(), ORIGIN ": invalid JSON at byte 14") != NULL, "%s",
		      mc_error_message());
	ck_assert_int_eq(parse(&cfg, "{\"version\": 1"), MC_ECONFIG);
	ck_assert_str_eq(mc_error_message(), ORIGIN ": unexpected end of JSON");
	ck_assert_int_eq(parse(&cfg, "{} {}"), MC_ECONFIG);
	ck_assert_int_eq(parse(&cfg, ""), MC_ECONFIG);
	mc_config_free(&cfg);
}
END_TEST

START_TEST(oversize_is_refused_before_parsing)
{
	mc_config cfg;
	size_t n = MC_CONFIG_MAX_BYTES + 1;
	char *text = malloc(n);
	memset(text, ' ', n);
	text[0] = '{';
	text[n - 1] = '}';
	ck_assert_int_eq(mc_config_parse(&cfg, text, n, ORIGIN), MC_ECONFIG);
	ck_assert(strstr(mc_error_message(), "over the limit of 262144") != NULL);
	/* exactly at the limit is fine */
	ck_assert_int_eq(mc_config_parse(&cfg, text, n - 1 - 1, ORIGIN), MC_ECONFIG);
	text[n - 2] = '}';
	ck_assert_int_eq(mc_config_parse(&cfg, text, n - 1, ORIGIN), 0);
	mc_config_free(&cfg);
	free(text);
}
END_TEST

/* Numeric-aware equality: the schema says 400, the effective config may say 400.0. */
static int same_value(struct json_object *a, struct json_object *b)
{
	size_t i;
	if ((json_object_is_type(a, json_type_int) || json_object_is_type(a, json_type_double)) &&
	    (json_object_is_type(b, json_type_int) || json_object_is_type(b, json_type_double)))
		return json_object_get_double(a) == json_object_get_double(b);
	if (json_object_is_type(a, json_type_array) && json_object_is_type(b, json_type_array)) {
		if (json_object_array_length(a) != json_object_array_length(b))
			return 0;
		for (i = 0; i < json_object_array_length(a); i++)
			if (!same_value(json_object_array_get_idx(a, i), json_object_array_get_idx(b, i)))
				return 0;
		return 1;
	}
	if (json_object_is_type(a, json_type_object) && json_object_is_type(b, json_type_object)) {
		if (json_object_object_length(a) != json_object_object_length(b))
			return 0;
		json_object_object_foreach(a, key, va) {
			struct json_object *vb;
			if (!json_object_object_get_ex(b, key, &vb) || !same_value(va, vb))
				return 0;
		}
		return 1;
	}
	return json_object_equal(a, b);
}

static struct json_object *embedded_schema(void)
{
	struct json_object *schema;
	size_t len;
	const char *text = mc_embedded_get("schemas/config.schema.json", &len);
	ck_assert_ptr_nonnull(text);
	ck_assert_int_eq(mc_json_parse(&schema, text, len, MC_CONFIG_MAX_BYTES, "schema"), 0);
	return schema;
}

START_TEST(schema_defaults_equal_struct_defaults)
{
	mc_config cfg;
	struct json_object *schema = embedded_schema(), *effective, *def;
	int leaves = 0;
	mc_config_defaults(&cfg);
	effective = mc_config_to_json(&cfg);
	/* the effective config has exactly the schema's sections and keys */
	json_object_object_foreach(mc_json_get(schema, "properties"), section, sub) {
		struct json_object *props = mc_json_get(sub, "properties");
		struct json_object *have = mc_json_get(effective, section);
		ck_assert_msg(have || !strcmp(section, "version"), "effective config lacks %s", section);
		if (!props) {
			ck_assert(json_object_object_get_ex(sub, "default", &def));
			ck_assert_msg(same_value(def, have), "default of %s differs", section);
			leaves++;
			continue;
		}
		ck_assert_int_eq(json_object_object_length(props), json_object_object_length(have));
		json_object_object_foreach(props, key, leaf) {
			struct json_object *value;
			ck_assert_msg(json_object_object_get_ex(leaf, "default", &def), "%s.%s has no default",
				      section, key);
			ck_assert_msg(json_object_object_get_ex(have, key, &value),
				      "effective config lacks %s.%s", section, key);
			ck_assert_msg(same_value(def, value), "%s.%s: schema default %s, struct default %s",
				      section, key, mc_json_dump(def, 0), mc_json_dump(value, 0));
			ck_assert_msg(mc_json_get(leaf, "description") != NULL, "%s.%s has no description",
				      section, key);
			leaves++;
		}
	}
	ck_assert_int_eq(leaves, 70);
	ck_assert_int_eq(json_object_object_length(effective),
			 json_object_object_length(mc_json_get(schema, "properties")));
	json_object_put(effective);
	json_object_put(schema);
	mc_config_free(&cfg);
}
END_TEST

START_TEST(canary_section_is_read)
{
	mc_config cfg;
	static const char doc[] = "{\"canary\": {\"build\": [\"make\", \"-j2\"], "
		"\"run\": [\"./bench\", \"--json\"], \"rounds\": 7, "
		"\"limits\": {\"memory_mb\": 512}}}";
	static const char bad[] = "{\"canary\": {\"rounds\": 0}}";
	ck_assert_int_eq(mc_config_parse(&cfg, doc, strlen(doc), "test"), 0);
	ck_assert_uint_eq(cfg.canary.build.n, 2);
	ck_assert_str_eq(cfg.canary.build.items[1], "-j2");
	ck_assert_uint_eq(cfg.canary.run.n, 2);
	ck_assert_str_eq(cfg.canary.run.items[0], "./bench");
	ck_assert_int_eq(cfg.canary.rounds, 7);
	ck_assert_int_eq(cfg.canary.timeout_s, 600);
	ck_assert_int_eq(cfg.canary.limits.memory_mb, 512);
	ck_assert_int_eq(cfg.canary.limits.cpu_s, 600);
	ck_assert_int_eq(cfg.canary.limits.output_kb, 1024);
	mc_config_free(&cfg);
	ck_assert_int_eq(mc_config_parse(&cfg, bad, strlen(bad), "test"), MC_ECONFIG);
	ck_assert_ptr_nonnull(strstr(mc_error_message(), "/canary/rounds"));
}
END_TEST

START_TEST(plan_budgets_and_trains)
{
	mc_config cfg;
	struct json_object *j;
	char big[2048];
	int i, at;

	ck_assert_int_eq(parse(&cfg, "{}"), 0);
	ck_assert_uint_eq(cfg.plan_budgets.n, 0);
	ck_assert_uint_eq(cfg.plan_ntrains, 0);
	mc_config_free(&cfg);
	ck_assert_int_eq(parse(&cfg, "{\"plan\":{\"budgets\":{\"usd\":50,\"ci\":600},"
				     "\"trains\":[{\"name\":\"w1\",\"budgets\":{\"usd\":20,\"ci\":1}},"
				     "{\"name\":\"w2\",\"budgets\":{\"ci\":0,\"usd\":30}}]}}"), 0);
	ck_assert_uint_eq(cfg.plan_budgets.n, 2);
	ck_assert_str_eq(cfg.plan_budgets.names[0], "usd");
	ck_assert_double_eq(cfg.plan_budgets.amounts[1], 600);
	ck_assert_uint_eq(cfg.plan_ntrains, 2);
	ck_assert_str_eq(cfg.plan_trains[1].name, "w2");
	ck_assert_uint_eq(cfg.plan_trains[1].budgets.n, 2);
	ck_assert_double_eq(cfg.plan_trains[1].budgets.amounts[1], 30);
	j = mc_config_to_json(&cfg);
	ck_assert_str_eq(mc_json_dump(mc_json_get(j, "plan"), 0),
			 "{\"budgets\":{\"usd\":50,\"ci\":600},\"trains\":[{\"name\":\"w1\",\"budgets\":"
			 "{\"usd\":20,\"ci\":1}},{\"name\":\"w2\",\"budgets\":{\"ci\":0,\"usd\":30}}]}");
	json_object_put(j);
	mc_config_free(&cfg);

	expect_error("{\"plan\":{\"budgets\":{\"usd\":-1}}}",
		     ORIGIN ": /plan/budgets/usd: -1 is less than the minimum 0");
	expect_error("{\"plan\":{\"trains\":[{\"name\":\"a\",\"budgets\":{}},"
		     "{\"name\":\"a\",\"budgets\":{}}]}}",
		     ORIGIN ": /plan/trains/1/name: train 'a' is given twice");
	expect_error("{\"plan\":{\"trains\":[{\"name\":\"a\",\"budgets\":{\"usd\":1}},"
		     "{\"name\":\"b\",\"budgets\":{\"ci\":1}}]}}",
		     ORIGIN ": /plan/trains/1/budgets: no budget for 'usd' (every train budgets the "
		     "same dimensions)");
	expect_error("{\"plan\":{\"trains\":[{\"budgets\":{}}]}}",
		     ORIGIN ": /plan/trains/0: missing required key 'name'");
	at = snprintf(big, sizeof big, "{\"plan\":{\"budgets\":{");
	for (i = 0; i < MC_CONFIG_MAX_BUDGETS + 1; i++)
		at += snprintf(big + at, sizeof big - (size_t)at, "%s\"d%d\":1", i ? "," : "", i);
	snprintf(big + at, sizeof big - (size_t)at, "}}}");
	expect_error(big, ORIGIN ": /plan/budgets: 17 budget dimensions, at most 16");
}
END_TEST

static const char canary_example[] =
	"{\"canary\": {\"tolerance\": 0.1, \"nodata\": \"fail\", \"confidence\": 0.95,"
	" \"metrics\": [{\"name\": \"latency_ms\", \"critical\": true, \"group\": \"perf\"},"
	"  {\"name\": \"qps\", \"direction\": \"decrease\", \"tolerance\": 0.02, \"weight\": 3,"
	"   \"nodata\": \"ignore\"}],"
	" \"group_weights\": {\"perf\": 60},"
	" \"build\": [\"make\", \"-j2\"], \"run\": [\"./bench\", \"--json\"], \"rounds\": 7,"
	" \"limits\": {\"memory_mb\": 512}}}";

START_TEST(canary_section_fills_metrics_and_runner)
{
	mc_config cfg, again;
	mc_canary_metric scratch;
	const mc_canary_metric *m;
	struct json_object *json;
	const char *text;
	ck_assert_int_eq(parse(&cfg, canary_example), 0);
	ck_assert_uint_eq(cfg.canary.nmetrics, 2);
	m = &cfg.canary.metrics[0];
	/* a metric without its own tolerance or nodata takes the section's */
	ck_assert_str_eq(m->name, "latency_ms");
	ck_assert(m->tolerance == 0.1 && m->nodata == MC_CANARY_NODATA_FAIL && m->critical);
	ck_assert(m->direction == MC_CANARY_INCREASE && m->weight == 1);
	ck_assert_str_eq(m->group, "perf");
	m = &cfg.canary.metrics[1];
	ck_assert(m->tolerance == 0.02 && m->nodata == MC_CANARY_NODATA_IGNORE && !m->critical);
	ck_assert(m->direction == MC_CANARY_DECREASE && m->weight == 3 && m->group == NULL);
	ck_assert_uint_eq(cfg.canary.ngroup_weights, 1);
	ck_assert(cfg.canary.group_weights[0].weight == 60);
	ck_assert(cfg.canary.confidence == 0.95 && cfg.canary.pass_score == 75);
	ck_assert_uint_eq(cfg.canary.build.n, 2);
	ck_assert_str_eq(cfg.canary.run.items[1], "--json");
	ck_assert_int_eq(cfg.canary.rounds, 7);
	/* a partial limits object keeps the other limits' defaults */
	ck_assert(cfg.canary.limits.memory_mb == 512 && cfg.canary.limits.cpu_s == 600);
	/* listed metrics only: another name is not judged */
	ck_assert_ptr_null(mc_config_canary_metric(&cfg.canary, "rss_kb", &scratch));
	ck_assert_ptr_eq(mc_config_canary_metric(&cfg.canary, "qps", &scratch), &cfg.canary.metrics[1]);
	json = mc_config_to_json(&cfg);
	text = mc_json_dump(json, 0);
	ck_assert_int_eq(parse(&again, text), 0);
	ck_assert_uint_eq(again.canary.nmetrics, 2);
	ck_assert(again.canary.metrics[0].nodata == MC_CANARY_NODATA_FAIL);
	json_object_put(json);
	mc_config_free(&again);
	mc_config_free(&cfg);
	/* with no metrics listed, every metric is judged with the defaults */
	mc_config_defaults(&cfg);
	m = mc_config_canary_metric(&cfg.canary, "rss_kb", &scratch);
	ck_assert_ptr_eq(m, &scratch);
	ck_assert(m->tolerance == 0.05 && m->weight == 1 && m->direction == MC_CANARY_INCREASE);
	mc_config_free(&cfg);
}
END_TEST

START_TEST(canary_section_refuses_what_the_schema_cannot_say)
{
	mc_config cfg;
	ck_assert_int_eq(parse(&cfg, "{\"canary\": {\"metrics\": [{\"name\": \"a\"}, {\"name\": \"b\"},"
				      " {\"name\": \"a\"}]}}"), MC_ECONFIG);
	ck_assert_str_eq(mc_error_message(), ORIGIN ": /canary/metrics/2/name: 'a' is already at /canary/metrics/0");
	ck_assert_int_eq(parse(&cfg, "{\"canary\": {\"pass_score\": 40}}"), MC_ECONFIG);
	ck_assert(strstr(mc_error_message(), "/canary/marginal_score") != NULL);
	ck_assert_int_eq(parse(&cfg, "{\"canary\": {\"metrics\": [{\"name\": \"a b\"}]}}"), MC_ECONFIG);
	ck_assert(strstr(mc_error_message(), "/canary/metrics/0/name") != NULL);
	ck_assert_int_eq(parse(&cfg, "{\"canary\": {\"run\": \"./bench --json\"}}"), MC_ECONFIG);
	ck_assert(strstr(mc_error_message(), "/canary/run") != NULL);
	ck_assert_int_eq(parse(&cfg, "{\"canary\": {\"limits\": {\"file_size_mb\": 1}}}"), MC_ECONFIG);
	ck_assert(strstr(mc_error_message(), "/canary/limits") && strstr(mc_error_message(), "file_size_mb") != NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, defaults_are_documented_values);
	tcase_add_test(tc, canary_section_is_read);
	tcase_add_test(tc, empty_document_gives_defaults);
	tcase_add_test(tc, full_example_fills_every_field);
	tcase_add_test(tc, effective_config_round_trips);
	tcase_add_test(tc, negative_zero_reads_as_zero);
	tcase_add_test(tc, partial_sections_keep_other_defaults);
	tcase_add_test(tc, null_ceilings_mean_none);
	tcase_add_test(tc, unknown_keys_name_their_path);
	tcase_add_test(tc, wrong_types_name_their_path);
	tcase_add_test(tc, integral_counts_may_be_written_as_decimals);
	tcase_add_test(tc, invalid_json_names_the_byte);
	tcase_add_test(tc, oversize_is_refused_before_parsing);
	tcase_add_test(tc, schema_defaults_equal_struct_defaults);
	tcase_add_test(tc, plan_budgets_and_trains);
	tcase_add_test(tc, canary_section_fills_metrics_and_runner);
	tcase_add_test(tc, canary_section_refuses_what_the_schema_cannot_say);
	suite_add_tcase(s, tc);
	return mc_test_run(s);
}
