/* model/issue_item: an issue's id, its body trailers and its score (no risk). */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/forge/rest.h"
#include "model/issue_item.h"
#include "testutil.h"
#include "util/error.h"

START_TEST(ids_round_trip_and_differ_from_pull_requests)
{
	char *id = mc_issue_item_id("acme/widgets", 42), *repo = NULL;
	int64_t n = 0;

	ck_assert_str_eq(id, "acme/widgets!42");
	ck_assert_int_eq(mc_issue_item_parse_id(&repo, &n, id), 0);
	ck_assert_str_eq(repo, "acme/widgets");
	ck_assert_int_eq(n, 42);
	free(repo);
	free(id);
	ck_assert_int_eq(mc_issue_item_parse_id(&repo, &n, "acme/widgets#42"), MC_EINVAL);
	ck_assert_int_eq(mc_issue_item_parse_id(&repo, &n, "acme/widgets!0"), MC_EINVAL);
	ck_assert_int_eq(mc_issue_item_parse_id(&repo, &n, "acme/widgets!4x"), MC_EINVAL);
	ck_assert_int_eq(mc_issue_item_parse_id(&repo, &n, "widgets!4"), MC_EINVAL);
	ck_assert_int_eq(mc_issue_item_parse_id(&repo, &n, "a/b/c!4"), MC_EINVAL);
	ck_assert_ptr_null(repo);
}
END_TEST

static double component(const mc_score *sc, const char *name)
{
	for (int i = 0; i < MC_VALUE_COUNT; i++)
		if (!strcmp(sc->value[i].name, name))
			return sc->value[i].usd;
	for (int i = 0; i < MC_COST_COUNT; i++)
		if (!strcmp(sc->cost[i].name, name))
			return sc->cost[i].usd;
	ck_abort_msg("no component %s", name);
	return 0;
}

START_TEST(body_trailers_outside_fences_and_labels_give_the_value)
{
	const char *labels[] = { "Bug", "ui" };
	const char *body = "Users see an error.\n\nMaestro-Value: $1,500\n"
			   "```\nMaestro-Value: 999999\n```\n"
			   "  ~~~\nMaestro-Flake-Fixed: 9\n  ~~~\n"
			   "Maestro-CI-Minutes: 25\r\nMaestro-LLM-USD: 2.5\n"
			   "Note: prose with a colon is not ours\nMaestro-Value: lots\n";
	mc_config cfg;
	mc_signals s = { 0 };
	mc_score sc;

	mc_config_defaults(&cfg);
	mc_issue_signals(&s, labels, 2, body, "issue acme/w!3");
	mc_issue_score(&sc, &cfg, &s);
	ck_assert_double_eq_tol(component(&sc, "defects_avoided"), cfg.value_defect_usd, 1e-9);
	ck_assert_double_eq_tol(component(&sc, "revenue_proxy"), 1500, 1e-9);
	ck_assert_double_eq_tol(component(&sc, "flake_reduction"), 0, 1e-9);
	ck_assert_double_eq_tol(sc.ci_minutes, 25, 1e-9);
	ck_assert_double_eq_tol(sc.llm_usd, 2.5, 1e-9);
	ck_assert_double_eq_tol(sc.value_usd, cfg.value_defect_usd + 1500, 1e-9);
	ck_assert_double_eq_tol(sc.expected_value_usd,
				sc.value_usd - 2.5 - 25 * cfg.cost_ci_usd_per_minute, 1e-9);
	ck_assert_double_eq(sc.risk, 0);
	ck_assert_str_eq(sc.risk_model_source, MC_ISSUE_RISK_NOTE);
	/* "Maestro-Value: lots" is refused with a warning naming the issue. */
	ck_assert_uint_eq(s.warnings.n, 1);
	ck_assert_ptr_nonnull(strstr(s.warnings.items[0], "issue acme/w!3"));
	mc_score_free(&sc);
	mc_signals_free(&s);
	mc_config_free(&cfg);
}
END_TEST

START_TEST(no_body_no_labels_costs_from_the_config)
{
	mc_config cfg;
	mc_signals s = { 0 };
	mc_score sc;

	mc_config_defaults(&cfg);
	cfg.cost_llm_usd = 0.75;
	mc_issue_signals(&s, NULL, 0, NULL, "issue o/r!1");
	ck_assert_uint_eq(mc_issue_add_body_trailers(&s, "", "x"), 0);
	mc_issue_score(&sc, &cfg, &s);
	ck_assert_double_eq(sc.value_usd, 0);
	ck_assert_double_eq_tol(sc.llm_usd, 0.75, 1e-9);
	ck_assert_double_eq_tol(sc.ci_minutes, cfg.cost_ci_minutes, 1e-9);
	mc_score_free(&sc);
	mc_signals_free(&s);
	mc_config_free(&cfg);
}
END_TEST

START_TEST(trailers_beyond_the_limit_are_counted_and_ignored)
{
	mc_signals s = { 0 };
	char *body = malloc(32 * (MC_ISSUE_MAX_TRAILERS + 10));
	size_t off = 0;

	for (int i = 0; i < MC_ISSUE_MAX_TRAILERS + 10; i++)
		off += (size_t)sprintf(body + off, "Fixes: #%d\n", i);
	ck_assert_uint_eq(mc_issue_add_body_trailers(&s, body, "issue o/r!2"), MC_ISSUE_MAX_TRAILERS);
	ck_assert_uint_eq(s.n, MC_ISSUE_MAX_TRAILERS);
	ck_assert_uint_eq(s.warnings.n, 1);
	ck_assert_ptr_nonnull(strstr(s.warnings.items[0], "ignored 10 trailers"));
	mc_signals_free(&s);
	free(body);
}
END_TEST

/* The REST drivers' issue parser: pull requests are told apart, labels in both shapes,
 * the body bounded at a character boundary. */
START_TEST(rest_issue_parser)
{
	mc_forge_issue is;
	int is_pull = 0;
	struct json_object *o = json_tokener_parse(
		"{\"number\":3,\"title\":\"t\",\"state\":\"open\",\"user\":{\"login\":\"u\"},"
		"\"labels\":[{\"name\":\"bug\"},\"flaky\",{\"id\":1}],\"body\":null,"
		"\"updated_at\":\"2024-01-01T00:00:00Z\",\"pull_request\":null}");
	char *big;

	ck_assert_int_eq(mc_rest_parse_issue(&is, &is_pull, o, "o/r"), 0);
	ck_assert_int_eq(is_pull, 0);
	ck_assert_uint_eq(is.nlabels, 2);
	ck_assert_str_eq(is.labels[1], "flaky");
	ck_assert_str_eq(is.body, "");
	mc_forge_issue_clear(&is);
	json_object_object_add(o, "pull_request", json_object_new_object());
	ck_assert_int_eq(mc_rest_parse_issue(&is, &is_pull, o, "o/r"), 0);
	ck_assert_int_eq(is_pull, 1);
	json_object_object_del(o, "pull_request");
	/* A body of 'é' (2 bytes) past the limit is cut between characters. */
	big = malloc(MC_FORGE_ISSUE_BODY_MAX + 3);
	big[0] = 'x';
	for (size_t i = 1; i + 1 < MC_FORGE_ISSUE_BODY_MAX + 2; i += 2) {
		big[i] = (char)0xC3;
		big[i + 1] = (char)0xA9;
	}
	big[MC_FORGE_ISSUE_BODY_MAX + 1] = '\0';
	json_object_object_add(o, "body", json_object_new_string(big));
	ck_assert_int_eq(mc_rest_parse_issue(&is, &is_pull, o, "o/r"), 0);
	ck_assert_int_eq(is.body_cut, 1);
	ck_assert_uint_le(strlen(is.body), MC_FORGE_ISSUE_BODY_MAX);
	ck_assert_int_eq(strlen(is.body) % 2, 1); /* 'x' and whole characters */
	mc_forge_issue_clear(&is);
	json_object_object_add(o, "state", json_object_new_string("merged"));
	ck_assert_int_eq(mc_rest_parse_issue(&is, &is_pull, o, "o/r"), MC_EINVAL);
	free(big);
	json_object_put(o);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("issue_item");
	TCase *tc = tcase_create("issue_item");

	tcase_add_test(tc, ids_round_trip_and_differ_from_pull_requests);
	tcase_add_test(tc, body_trailers_outside_fences_and_labels_give_the_value);
	tcase_add_test(tc, no_body_no_labels_costs_from_the_config);
	tcase_add_test(tc, trailers_beyond_the_limit_are_counted_and_ignored);
	tcase_add_test(tc, rest_issue_parser);
	suite_add_tcase(s, tc);
	return mc_test_run(s);
}
