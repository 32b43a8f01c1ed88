/* Unit tests for the policy gates (model/policy): verdicts and their reasons. */
#include <stdio.h>
#include <string.h>

#include "model/policy.h"
#include "testutil.h"

static char *protected_arr[] = { "src/auth/**", "*.pem" };

static void config(mc_config *cfg)
{
	mc_config_defaults(cfg);
	cfg->policy_max_risk = 0.5;
	cfg->policy_protected_paths.items = protected_arr;
	cfg->policy_protected_paths.n = 2;
	cfg->policy_protected_approvals = 1;
	cfg->policy_max_llm_usd = 10;
	cfg->policy_max_ci_minutes = -1;
}

/* The protected list is borrowed from protected_arr: detach it before freeing the rest. */
static void release(mc_config *cfg)
{
	cfg->policy_protected_paths.items = NULL;
	cfg->policy_protected_paths.n = 0;
	mc_config_free(cfg);
}

START_TEST(a_quiet_change_passes_every_gate)
{
	mc_config cfg;
	const char *paths[] = { "README.md" };
	mc_policy_input in = { .risk = 0.2, .paths = paths, .npaths = 1, .approvals = 0, .llm_usd = 1.0, .ci_minutes = 10 };
	mc_verdict v;
	config(&cfg);
	mc_policy_evaluate(&v, &cfg, &in);
	ck_assert_int_eq(v.passed, 1);
	ck_assert_int_eq(v.gates[MC_GATE_RISK].applies, 1);
	ck_assert(strstr(v.gates[MC_GATE_RISK].reason, "within") != NULL);
	ck_assert_int_eq(v.gates[MC_GATE_PROTECTED].applies, 0);
	ck_assert_int_eq(v.gates[MC_GATE_BUDGET_CI].applies, 0);
	mc_verdict_free(&v);
	release(&cfg);
}
END_TEST

START_TEST(risk_above_the_limit_fails_with_the_numbers)
{
	mc_config cfg;
	mc_policy_input in = { .risk = 0.73, .paths = NULL, .npaths = 0, .approvals = 0, .llm_usd = 0, .ci_minutes = 0 };
	mc_verdict v;
	config(&cfg);
	mc_policy_evaluate(&v, &cfg, &in);
	ck_assert_int_eq(v.passed, 0);
	ck_assert_int_eq(v.gates[MC_GATE_RISK].passed, 0);
	ck_assert(strstr(v.gates[MC_GATE_RISK].reason, "73 %") != NULL);
	ck_assert(strstr(v.gates[MC_GATE_RISK].reason, "50 %") != NULL);
	mc_verdict_free(&v);
	release(&cfg);
}
END_TEST

START_TEST(protected_paths_need_approvals)
{
	mc_config cfg;
	const char *paths[] = { "src/auth/login.c", "docs/x.md", "certs/dev/key.pem" };
	mc_policy_input in = { .risk = 0.1, .paths = paths, .npaths = 3, .approvals = 0, .llm_usd = 0, .ci_minutes = 0 };
	mc_verdict v;
	config(&cfg);
	mc_policy_evaluate(&v, &cfg, &in);
	ck_assert_int_eq(v.passed, 0);
	ck_assert_uint_eq(v.protected_hits.n, 2);
	ck_assert(strstr(v.gates[MC_GATE_PROTECTED].reason, "src/auth/login.c") != NULL);
	ck_assert(strstr(v.gates[MC_GATE_PROTECTED].reason, "0 of 1") != NULL);
	mc_verdict_free(&v);
	in.approvals = 1;
	mc_policy_evaluate(&v, &cfg, &in);
	ck_assert_int_eq(v.passed, 1);
	mc_verdict_free(&v);
	release(&cfg);
}
END_TEST

START_TEST(budget_ceilings_and_required_approvals)
{
	mc_config cfg;
	mc_policy_input in = { .risk = 0.1, .paths = NULL, .npaths = 0, .approvals = 1, .llm_usd = 12.5, .ci_minutes = 500 };
	mc_verdict v;
	config(&cfg);
	cfg.policy_required_approvals = 2;
	mc_policy_evaluate(&v, &cfg, &in);
	ck_assert_int_eq(v.passed, 0);
	ck_assert_int_eq(v.gates[MC_GATE_BUDGET_LLM].passed, 0);
	ck_assert(strstr(v.gates[MC_GATE_BUDGET_LLM].reason, "$12.50") != NULL);
	ck_assert_int_eq(v.gates[MC_GATE_APPROVALS].passed, 0);
	ck_assert(strstr(v.gates[MC_GATE_APPROVALS].reason, "1 of 2") != NULL);
	ck_assert_int_eq(v.gates[MC_GATE_BUDGET_CI].passed, 1); /* no ceiling configured */
	mc_verdict_free(&v);
	release(&cfg);
}
END_TEST

START_TEST(many_protected_paths_are_summarised)
{
	mc_config cfg;
	const char *paths[8] = { "src/auth/a", "src/auth/b", "src/auth/c", "src/auth/d",
				 "src/auth/e", "src/auth/f", "src/auth/g", "src/auth/h" };
	mc_policy_input in = { .risk = 0.1, .paths = paths, .npaths = 8, .approvals = 0, .llm_usd = 0, .ci_minutes = 0 };
	mc_verdict v;
	config(&cfg);
	mc_policy_evaluate(&v, &cfg, &in);
	ck_assert(strstr(v.gates[MC_GATE_PROTECTED].reason, "and 3 more") != NULL);
	mc_verdict_free(&v);
	release(&cfg);
}
END_TEST

START_TEST(the_canary_gate_blocks_only_a_failing_canary)
{
	mc_config cfg;
	const char *paths[] = { "README.md" };
	mc_canary_judgement j;
	mc_policy_input in = { .risk = 0.1, .paths = paths, .npaths = 1 };
	mc_verdict v;
	config(&cfg);
	mc_policy_evaluate(&v, &cfg, &in);
	ck_assert_str_eq(v.gates[MC_GATE_CANARY].name, "canary");
	ck_assert_int_eq(v.gates[MC_GATE_CANARY].applies, 0);
	ck_assert_int_eq(v.passed, 1);
	mc_verdict_free(&v);

	memset(&j, 0, sizeof j);
	in.canary = &j;
	j.verdict = MC_CANARY_VERDICT_MARGINAL;
	j.score = 66.7;
	snprintf(j.reason, sizeof j.reason, "latency_ms is High");
	mc_policy_evaluate(&v, &cfg, &in);
	ck_assert_int_eq(v.gates[MC_GATE_CANARY].applies, 1);
	ck_assert_int_eq(v.gates[MC_GATE_CANARY].passed, 1);
	ck_assert_int_eq(v.passed, 1);
	ck_assert(strstr(v.gates[MC_GATE_CANARY].reason, "marginal, score 67") != NULL);
	mc_verdict_free(&v);

	j.verdict = MC_CANARY_VERDICT_FAIL;
	snprintf(j.reason, sizeof j.reason, "critical metric latency_ms is High");
	mc_policy_evaluate(&v, &cfg, &in);
	ck_assert_int_eq(v.gates[MC_GATE_CANARY].passed, 0);
	ck_assert_int_eq(v.passed, 0);
	ck_assert_str_eq(v.gates[MC_GATE_CANARY].reason,
			 "shadow canary failed: critical metric latency_ms is High");
	mc_verdict_free(&v);
	release(&cfg);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("gates");
	tcase_add_test(tc, a_quiet_change_passes_every_gate);
	tcase_add_test(tc, risk_above_the_limit_fails_with_the_numbers);
	tcase_add_test(tc, protected_paths_need_approvals);
	tcase_add_test(tc, budget_ceilings_and_required_approvals);
	tcase_add_test(tc, the_canary_gate_blocks_only_a_failing_canary);
	tcase_add_test(tc, many_protected_paths_are_summarised);
	suite_add_tcase(s, tc);
	return mc_test_run(s);
}
