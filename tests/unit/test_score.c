/* Unit tests for score v1 (model/score): components, their inputs, costs and risk. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model/score.h"
#include "testutil.h"

/* A one-feature model: logit = 0.5 * (log1p(la) - 1). */
static mc_risk_model la_model(void)
{
	mc_risk_model m;
	memset(&m, 0, sizeof m);
	m.mean[MC_F_LA] = 1.0;
	m.std[MC_F_LA] = 1.0;
	m.coef[MC_F_LA] = 0.5;
	m.source = "test model";
	return m;
}

START_TEST(components_show_their_inputs)
{
	mc_config cfg;
	mc_signals s = { 0 };
	mc_change_features f = { { 0 } };
	mc_risk_model m = la_model();
	mc_score sc;

	mc_config_defaults(&cfg);
	mc_signals_add_trailer(&s, "Fixes", "#1", "c1", "a@x");
	mc_signals_add_trailer(&s, "Fixes", "#2", "c1", "a@x");
	mc_signals_add_trailer(&s, "Fixes", "#1", "c2", "a@x"); /* the same defect twice */
	mc_signals_add_trailer(&s, "Maestro-Value", "1000", "c2", "a@x");
	mc_signals_add_trailer(&s, "Maestro-LLM-USD", "1.5", "c1", "a@x");
	mc_signals_add_trailer(&s, "Maestro-LLM-USD", "2.5", "c2", "a@x");
	mc_signals_add_trailer(&s, "Maestro-CI-Minutes", "20", "c1", "a@x");
	mc_signals_add_trailer(&s, "Maestro-CI-Minutes", "30", "c2", "a@x");
	f.v[MC_F_LA] = exp(1.0) - 1; /* log1p(la) == mean: logit 0 */
	mc_score_compute(&sc, &cfg, &s, &f, &m);

	ck_assert_double_eq_tol(sc.value[MC_VALUE_DEFECTS].usd, 2 * cfg.value_defect_usd, 1e-9);
	ck_assert(strstr(sc.value[MC_VALUE_DEFECTS].inputs, "#1, #2") != NULL);
	ck_assert(strstr(sc.value[MC_VALUE_DEFECTS].inputs, "value.defect_usd") != NULL);
	ck_assert_double_eq_tol(sc.value[MC_VALUE_REVENUE].usd, 1000 * cfg.value_revenue_weight, 1e-9);
	ck_assert_double_eq_tol(sc.llm_usd, 4.0, 1e-9);            /* LLM dollars add up */
	ck_assert_double_eq_tol(sc.ci_minutes, 30.0, 1e-9);        /* CI minutes: largest wins */
	ck_assert_double_eq_tol(sc.cost[MC_COST_CI].usd, 30 * cfg.cost_ci_usd_per_minute, 1e-9);
	ck_assert_double_eq_tol(sc.expected_value_usd, sc.value_usd - sc.cost_usd, 1e-9);
	ck_assert_double_eq_tol(sc.risk, 0.5, 1e-12);
	ck_assert_str_eq(sc.risk_model_source, "test model");
	mc_score_free(&sc);
	mc_signals_free(&s);
	mc_config_free(&cfg);
}
END_TEST

START_TEST(labels_stand_in_for_trailers)
{
	mc_config cfg;
	mc_signals s = { 0 };
	mc_change_features f = { { 0 } };
	mc_risk_model m = la_model();
	mc_score sc;

	mc_config_defaults(&cfg);
	mc_signals_add_label(&s, "BUG", "--label");
	mc_signals_add_label(&s, "flaky", "--label");
	mc_score_compute(&sc, &cfg, &s, &f, &m);
	ck_assert_double_eq_tol(sc.value[MC_VALUE_DEFECTS].usd, cfg.value_defect_usd, 1e-9);
	ck_assert(strstr(sc.value[MC_VALUE_DEFECTS].inputs, "label 'BUG'") != NULL);
	ck_assert_double_eq_tol(sc.value[MC_VALUE_FLAKES].usd, cfg.value_flake_usd, 1e-9);
	mc_score_free(&sc);
	mc_signals_free(&s);
	mc_config_free(&cfg);
}
END_TEST

START_TEST(nothing_declared_costs_the_defaults)
{
	mc_config cfg;
	mc_signals s = { 0 };
	mc_change_features f = { { 0 } };
	mc_risk_model m = la_model();
	mc_score sc;
	int i;

	mc_config_defaults(&cfg);
	mc_score_compute(&sc, &cfg, &s, &f, &m);
	ck_assert_double_eq_tol(sc.value_usd, 0, 1e-12);
	ck_assert_double_eq_tol(sc.llm_usd, cfg.cost_llm_usd, 1e-12);
	ck_assert_double_eq_tol(sc.ci_minutes, cfg.cost_ci_minutes, 1e-12);
	ck_assert(sc.expected_value_usd <= 0);
	for (i = 0; i < MC_VALUE_COUNT; i++)
		ck_assert(strlen(sc.value[i].inputs) > 0);
	ck_assert(sc.risk > 0 && sc.risk < 0.5); /* la = 0 is below the mean */
	ck_assert_int_eq(sc.contributions[0].feature, MC_F_LA);
	mc_score_free(&sc);
	mc_config_free(&cfg);
}
END_TEST

START_TEST(approvals_count_distinct_people)
{
	mc_config cfg;
	mc_signals s = { 0 };
	mc_change_features f = { { 0 } };
	mc_risk_model m = la_model();
	mc_score sc;

	mc_config_defaults(&cfg);
	mc_signals_add_trailer(&s, "Reviewed-by", "B <b@x>", "c1", "a@x");
	mc_signals_add_trailer(&s, "Acked-by", "B <B@X>", "c2", "a@x");
	mc_signals_add_trailer(&s, "Approved-by", "C <c@x>", "c2", "a@x");
	mc_score_compute(&sc, &cfg, &s, &f, &m);
	ck_assert_uint_eq(sc.approvals, 2);
	mc_score_free(&sc);
	mc_signals_free(&s);
	mc_config_free(&cfg);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("score");
	TCase *tc = tcase_create("v1");
	tcase_add_test(tc, components_show_their_inputs);
	tcase_add_test(tc, labels_stand_in_for_trailers);
	tcase_add_test(tc, nothing_declared_costs_the_defaults);
	tcase_add_test(tc, approvals_count_distinct_people);
	suite_add_tcase(s, tc);
	return mc_test_run(s);
}
