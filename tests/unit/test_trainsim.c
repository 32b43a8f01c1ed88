/*
 * Unit tests for the release-train simulation (model/trainsim): accounting
 * (every arrival shipped, expired or waiting), decay and expiry by hand,
 * ample and zero budgets, the same arrivals for both policies, determinism,
 * the budget the parameters imply, and bad parameters.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model/trainsim.h"
#include "testutil.h"
#include "util/error.h"

static void run(mc_trainsim_stats *s, const mc_trainsim_params *p, enum mc_trainsim_policy pol)
{
	mc_knapsack_options opt;
	mc_knapsack_options_init(&opt);
	opt.time_limit = 0;
	opt.node_limit = 20000; /* deterministic, whatever the machine's speed */
	ck_assert_msg(mc_trainsim_run(s, p, pol, &opt) == 0, "%s", mc_error_message());
}

START_TEST(every_arrival_is_accounted_for)
{
	mc_trainsim_params p;
	mc_trainsim_stats s;
	int pol;

	mc_trainsim_defaults(&p);
	p.days = 120;
	for (pol = 0; pol < 2; pol++) {
		run(&s, &p, (enum mc_trainsim_policy)pol);
		ck_assert_uint_gt(s.arrived, 300);
		ck_assert_uint_eq(s.arrived, s.shipped + s.expired + s.waiting);
		ck_assert_uint_eq(s.trains, 120 / 7);
		ck_assert(s.value_shipped > 0 && s.value_shipped < s.value_arrived);
		ck_assert(s.used[0] <= s.budget[0] * (1 + 1e-9));
		ck_assert(s.used[1] <= s.budget[1] * (1 + 1e-9));
		ck_assert(s.idle_share[0] >= 0 && s.idle_share[0] <= 1);
	}
}
END_TEST

/* With budgets far above demand and no decay, everything that arrived by the last
 * train ships, at the value it arrived with, and waits at most a week. */
START_TEST(ample_budgets_ship_everything)
{
	mc_trainsim_params p;
	mc_trainsim_stats planner, greedy;

	mc_trainsim_defaults(&p);
	p.days = 28; /* four trains, the last on day 27: nothing arrives after it */
	p.half_life_days = 0;
	p.budget_share_usd = p.budget_share_ci = 1000;
	run(&planner, &p, MC_TRAINSIM_PLANNER);
	run(&greedy, &p, MC_TRAINSIM_SPRINT_GREEDY);
	ck_assert_uint_eq(planner.shipped, planner.arrived);
	ck_assert_uint_eq(planner.waiting, 0);
	ck_assert_double_eq_tol(planner.value_shipped, planner.value_arrived, 1e-6 * planner.value_arrived);
	ck_assert_double_eq_tol(greedy.value_shipped, planner.value_shipped, 1e-6 * planner.value_arrived);
	ck_assert(planner.mean_wait_days <= 6);
	ck_assert(planner.idle_share[0] > 0.99);
}
END_TEST

/* No budget: nothing ships; with no expiry everything waits, with expiry the old
 * items leave, at their decayed value. */
START_TEST(zero_budgets_ship_nothing)
{
	mc_trainsim_params p;
	mc_trainsim_stats s;

	mc_trainsim_defaults(&p);
	p.days = 70;
	p.budget_share_usd = p.budget_share_ci = 0;
	p.expire_days = 0;
	run(&s, &p, MC_TRAINSIM_PLANNER);
	ck_assert_uint_eq(s.shipped, 0);
	ck_assert_uint_eq(s.waiting, s.arrived);
	ck_assert_double_eq(s.idle_share[0], 0);

	p.expire_days = 14;
	p.half_life_days = 7;
	run(&s, &p, MC_TRAINSIM_SPRINT_GREEDY);
	ck_assert_uint_eq(s.shipped, 0);
	ck_assert_uint_gt(s.expired, 0);
	/* Expired items waited more than 14 days: worth less than a quarter on leaving. */
	ck_assert(s.value_expired < 0.25 * s.value_arrived);
	ck_assert_uint_eq(s.arrived, s.expired + s.waiting);
}
END_TEST

/* Decay by hand: with daily trains and ample budgets each item ships the day it
 * arrives, so no value is lost; with trains every 7 days and a one-day half-life
 * most of it is. */
START_TEST(decay_costs_waiting)
{
	mc_trainsim_params p;
	mc_trainsim_stats daily, weekly;

	mc_trainsim_defaults(&p);
	p.days = 63;
	p.half_life_days = 1;
	p.expire_days = 0;
	p.budget_share_usd = p.budget_share_ci = 1000;
	p.train_every = 1;
	run(&daily, &p, MC_TRAINSIM_PLANNER);
	ck_assert_double_eq_tol(daily.value_shipped, daily.value_arrived, 1e-6 * daily.value_arrived);
	ck_assert_double_eq(daily.mean_wait_days, 0);
	p.train_every = 7;
	run(&weekly, &p, MC_TRAINSIM_PLANNER);
	ck_assert_uint_eq(weekly.arrived, daily.arrived); /* the same arrivals */
	ck_assert(weekly.value_shipped < 0.5 * weekly.value_arrived);
}
END_TEST

START_TEST(same_arrivals_and_deterministic)
{
	mc_trainsim_params p;
	mc_trainsim_stats a, b, g;

	mc_trainsim_defaults(&p);
	p.days = 91;
	run(&a, &p, MC_TRAINSIM_PLANNER);
	run(&b, &p, MC_TRAINSIM_PLANNER);
	run(&g, &p, MC_TRAINSIM_SPRINT_GREEDY);
	ck_assert_uint_eq(a.arrived, g.arrived);
	ck_assert_double_eq(a.value_arrived, g.value_arrived);
	ck_assert_uint_eq(a.shipped, b.shipped);
	ck_assert_double_eq(a.value_shipped, b.value_shipped);
	ck_assert_double_eq(a.used[1], b.used[1]);
	p.seed = 2;
	run(&b, &p, MC_TRAINSIM_PLANNER);
	ck_assert(b.value_arrived != a.value_arrived);
}
END_TEST

/* The budget is the share of the mean cost arriving per train: 32 items a week
 * (5 x 6 + 2 x 1) at the log-normal mean median * e^((0.8^2 + sigma^2) / 2). */
START_TEST(train_budget_from_parameters)
{
	mc_trainsim_params p;
	double b[2];

	mc_trainsim_defaults(&p);
	mc_trainsim_train_budget(&p, b);
	ck_assert_double_eq_tol(b[0], 0.6 * 32 * 1.5 * exp(0.5 * (0.64 + 0.36)), 1e-9);
	ck_assert_double_eq_tol(b[1], 0.6 * 32 * 30 * exp(0.5 * (0.64 + 0.49)), 1e-9);
	p.budget_share_ci = 0;
	mc_trainsim_train_budget(&p, b);
	ck_assert_double_eq(b[1], 0);
}
END_TEST

START_TEST(bad_parameters)
{
	mc_trainsim_params p;
	mc_trainsim_stats s;

	mc_trainsim_defaults(&p);
	p.days = 0;
	ck_assert_int_eq(mc_trainsim_run(&s, &p, MC_TRAINSIM_PLANNER, NULL), MC_EINVAL);
	ck_assert_ptr_nonnull(strstr(mc_error_message(), "days"));
	mc_trainsim_defaults(&p);
	p.train_every = 0;
	ck_assert_int_eq(mc_trainsim_run(&s, &p, MC_TRAINSIM_PLANNER, NULL), MC_EINVAL);
	ck_assert_ptr_nonnull(strstr(mc_error_message(), "train_every"));
	mc_trainsim_defaults(&p);
	p.value_sigma = NAN;
	ck_assert_int_eq(mc_trainsim_run(&s, &p, MC_TRAINSIM_PLANNER, NULL), MC_EINVAL);
	ck_assert_ptr_nonnull(strstr(mc_error_message(), "value_sigma"));
	mc_trainsim_defaults(&p);
	p.budget_share_usd = -0.5;
	ck_assert_int_eq(mc_trainsim_run(&s, &p, MC_TRAINSIM_PLANNER, NULL), MC_EINVAL);
	ck_assert_ptr_nonnull(strstr(mc_error_message(), "budget_share_usd"));
	mc_trainsim_defaults(&p);
	ck_assert_int_eq(mc_trainsim_run(&s, &p, (enum mc_trainsim_policy)7, NULL), MC_EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("trainsim");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, every_arrival_is_accounted_for);
	tcase_add_test(tc, ample_budgets_ship_everything);
	tcase_add_test(tc, zero_budgets_ship_nothing);
	tcase_add_test(tc, decay_costs_waiting);
	tcase_add_test(tc, same_arrivals_and_deterministic);
	tcase_add_test(tc, train_budget_from_parameters);
	tcase_add_test(tc, bad_parameters);
	suite_add_tcase(s, tc);
	return mc_test_run(s);
}
