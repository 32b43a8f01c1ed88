/*
 * Calibration statistics (model/calibrate.h): Pearson and Spearman against
 * hand-computed values (ties included) and their NaN cases; the NNLS refit
 * recovers known weights, never returns a negative one, and satisfies the
 * optimality (KKT) conditions on noisy data. Also the realized-value store
 * (adapters/store/portfolio.h): records, the latest counts, unknown items.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/store/portfolio.h"
#include "model/calibrate.h"
#include "testutil.h"
#include "util/error.h"

#define EPS 1e-9

START_TEST(pearson_by_hand)
{
	/* dx = -2..2, dy = -2,0,1,0,1: sxy = 6, sxx = 10, syy = 6: r = 6 / sqrt(60). */
	const double x[] = { 1, 2, 3, 4, 5 }, y[] = { 2, 4, 5, 4, 5 };
	const double neg[] = { 10, 8, 6, 4, 2 };
	ck_assert_double_eq_tol(mc_calibrate_pearson(x, y, 5), 6 / sqrt(60), EPS);
	ck_assert_double_eq_tol(mc_calibrate_pearson(x, neg, 5), -1, EPS);
	ck_assert_double_eq_tol(mc_calibrate_pearson(x, x, 3), 1, EPS);
}
END_TEST

START_TEST(ranks_average_ties)
{
	const double x[] = { 10, 20, 20, 5, 20 };
	double r[5];
	mc_calibrate_ranks(r, x, 5);
	/* 5 -> 1, 10 -> 2, the three 20s share ranks 3, 4, 5: 4 each. */
	ck_assert_double_eq_tol(r[0], 2, EPS);
	ck_assert_double_eq_tol(r[1], 4, EPS);
	ck_assert_double_eq_tol(r[2], 4, EPS);
	ck_assert_double_eq_tol(r[3], 1, EPS);
	ck_assert_double_eq_tol(r[4], 4, EPS);
}
END_TEST

START_TEST(spearman_by_hand_with_ties)
{
	/* Ranks of y: 1, 2.5, 4.5, 2.5, 4.5 (two pairs of ties); of x: 1..5.
	 * Deviations of y's ranks: -2, -0.5, 1.5, -0.5, 1.5: sxy = 7, syy = 9, sxx = 10. */
	const double x[] = { 1, 2, 3, 4, 5 }, y[] = { 2, 4, 5, 4, 5 };
	/* Monotone but not linear: Spearman 1, Pearson below 1. */
	const double c[] = { 1, 8, 27, 64 }, d[] = { 1, 2, 3, 4 };
	ck_assert_double_eq_tol(mc_calibrate_spearman(x, y, 5), 7 / sqrt(90), EPS);
	ck_assert_double_eq_tol(mc_calibrate_spearman(d, c, 4), 1, EPS);
	ck_assert(mc_calibrate_pearson(d, c, 4) < 0.99);
}
END_TEST

START_TEST(too_few_or_constant_is_nan)
{
	const double x[] = { 1, 2, 3 }, y[] = { 3, 1, 2 }, flat[] = { 4, 4, 4 };
	ck_assert(isnan(mc_calibrate_pearson(x, y, 2)));
	ck_assert(isnan(mc_calibrate_spearman(x, y, 2)));
	ck_assert(isnan(mc_calibrate_pearson(x, y, 0)));
	ck_assert(isnan(mc_calibrate_pearson(x, flat, 3)));
	ck_assert(isnan(mc_calibrate_pearson(flat, y, 3)));
	ck_assert(isnan(mc_calibrate_spearman(x, flat, 3)));
	ck_assert(isnan(mc_calibrate_spearman(flat, y, 3)));
	/* n = 3 with variance is defined: x against y = 3,1,2 is -0.5. */
	ck_assert_double_eq_tol(mc_calibrate_pearson(x, y, 3), -0.5, EPS);
}
END_TEST

/* A deterministic pseudo-random number in [0, 1). */
static double next_uniform(unsigned long *state)
{
	*state = *state * 6364136223846793005UL + 1442695040888963407UL;
	return (double)((*state >> 11) & ((1UL << 52) - 1)) / (double)(1UL << 52);
}

/* Synthetic counts like a portfolio's: defects 0-3, flakes 0-2, latency 0-500 ms,
 * declared revenue 0-5000 USD, each present on part of the items. */
static void synthetic_counts(double *a, size_t n, unsigned long *state)
{
	size_t i;
	for (i = 0; i < n; i++) {
		a[i * 4 + 0] = floor(next_uniform(state) * 4);
		a[i * 4 + 1] = next_uniform(state) < 0.3 ? floor(next_uniform(state) * 3) : 0;
		a[i * 4 + 2] = next_uniform(state) < 0.4 ? next_uniform(state) * 500 : 0;
		a[i * 4 + 3] = next_uniform(state) < 0.5 ? next_uniform(state) * 5000 : 0;
	}
}

START_TEST(nnls_recovers_known_weights)
{
	const double truth[4] = { 400, 150, 2, 0.8 };
	double a[40 * 4], y[40], w[4], r2;
	unsigned long state = 7;
	size_t i, j;

	synthetic_counts(a, 40, &state);
	for (i = 0; i < 40; i++)
		for (y[i] = 0, j = 0; j < 4; j++)
			y[i] += a[i * 4 + j] * truth[j];
	ck_assert_int_eq(mc_calibrate_nnls(w, &r2, a, y, 40, 4), 0);
	for (j = 0; j < 4; j++)
		ck_assert_double_eq_tol(w[j], truth[j], 1e-6 * truth[j]);
	ck_assert_double_eq_tol(r2, 1, 1e-9);
}
END_TEST

/* Karush-Kuhn-Tucker for min |Aw - y|^2, w >= 0: the gradient A^T(Aw - y) is zero
 * where w > 0 and non-negative where w = 0 (to a tolerance scaled to the data). */
static void assert_kkt(const double *w, const double *a, const double *y, size_t n, size_t k)
{
	size_t i, j;
	for (j = 0; j < k; j++) {
		double g = 0, scale = 0;
		ck_assert_msg(w[j] >= 0, "weight %zu is negative: %g", j, w[j]);
		for (i = 0; i < n; i++) {
			double fit = 0;
			size_t p;
			for (p = 0; p < k; p++)
				fit += a[i * k + p] * w[p];
			g += a[i * k + j] * (fit - y[i]);
			scale += fabs(a[i * k + j] * y[i]);
		}
		if (w[j] > 0)
			ck_assert_msg(fabs(g) <= 1e-7 * (scale + 1), "gradient %zu = %g at w > 0", j, g);
		else
			ck_assert_msg(g >= -1e-7 * (scale + 1), "gradient %zu = %g < 0 at w = 0", j, g);
	}
}

START_TEST(nnls_never_negative_and_optimal_on_noisy_data)
{
	/* Realized value that some components hurt (negative true weights) plus noise:
	 * the fit must clamp at zero and still be the constrained optimum. */
	const double truth[4] = { 300, -200, 1.5, -0.4 };
	double a[30 * 4], y[30], w[4], r2;
	unsigned long state = 1;
	unsigned round;
	size_t i, j;
	int clamped = 0;

	for (round = 0; round < 20; round++) {
		synthetic_counts(a, 30, &state);
		for (i = 0; i < 30; i++) {
			for (y[i] = 0, j = 0; j < 4; j++)
				y[i] += a[i * 4 + j] * truth[j];
			y[i] += (next_uniform(&state) - 0.5) * 400;
		}
		ck_assert_int_eq(mc_calibrate_nnls(w, &r2, a, y, 30, 4), 0);
		assert_kkt(w, a, y, 30, 4);
		clamped += w[1] == 0 || w[3] == 0;
		ck_assert(isfinite(r2) && r2 <= 1);
	}
	ck_assert_int_gt(clamped, 0);
}
END_TEST

START_TEST(nnls_by_hand_and_bad_input)
{
	/* Two columns, y = 2 a1 - 1 a2 exactly; unconstrained LS gives w2 < 0, so the
	 * NNLS answer is the one-column fit on a1: w1 = sum(a1 y) / sum(a1^2). */
	const double a[] = { 1, 0, 1, 1, 0, 1, 2, 1 };
	const double y[] = { 2, 1, -1, 3 };
	const double nan_y[] = { 1, NAN, 2, 3 };
	const double zero_col[] = { 1, 0, 2, 0, 3, 0 }, y3[] = { 2, 4, 6 };
	double w[9], r2;

	ck_assert_int_eq(mc_calibrate_nnls(w, &r2, a, y, 4, 2), 0);
	ck_assert_double_eq_tol(w[0], (2.0 + 1 + 6) / 6.0, EPS);
	ck_assert_double_eq_tol(w[1], 0, EPS);
	/* A column that is zero everywhere cannot be estimated: it gets 0, the other its fit. */
	ck_assert_int_eq(mc_calibrate_nnls(w, &r2, zero_col, y3, 3, 2), 0);
	ck_assert_double_eq_tol(w[0], 2, EPS);
	ck_assert_double_eq_tol(w[1], 0, EPS);
	ck_assert_double_eq_tol(r2, 1, EPS);
	ck_assert_int_eq(mc_calibrate_nnls(w, &r2, a, nan_y, 4, 2), MC_EINVAL);
	ck_assert_int_eq(mc_calibrate_nnls(w, &r2, a, y, 4, 0), MC_EINVAL);
	ck_assert_int_eq(mc_calibrate_nnls(w, &r2, a, y, 0, 2), MC_EINVAL);
	ck_assert_int_eq(mc_calibrate_nnls(w, &r2, a, y, 1, MC_CALIBRATE_MAX_UNKNOWNS + 1),
			 MC_EINVAL);
}
END_TEST

/* ---- the realized-value store ------------------------------------------------------------ */

static void add_item(mc_store *s, const char *id, double defects_usd)
{
	mc_portfolio_amount comps[] = { { "defects_avoided", "value", defects_usd },
					{ "llm", "cost", 0.5 } };
	mc_portfolio_item it = { 0 };
	it.id = (char *)id;
	it.title = "t";
	it.repository = "demo";
	it.components = comps;
	it.ncomponents = 2;
	it.value_usd = defects_usd;
	it.expected_value_usd = defects_usd - 0.5;
	it.open = 1;
	ck_assert_msg(mc_portfolio_upsert(s, &it) == 0, "%s", mc_error_message());
}

START_TEST(realized_values_latest_counts)
{
	char *dir = mc_test_tmpdir(), path[4096];
	mc_portfolio_outcome *o;
	mc_store *s;
	size_t n;

	snprintf(path, sizeof path, "%s/cache.db", dir);
	ck_assert_int_eq(mc_store_open(&s, path), 0);
	add_item(s, "b", 800);
	add_item(s, "a", 400);
	add_item(s, "never", 100);
	ck_assert_int_eq(mc_portfolio_record_realized(s, "a", 100, "first guess", 10), 0);
	ck_assert_int_eq(mc_portfolio_record_realized(s, "a", 350, NULL, 20), 0);
	ck_assert_int_eq(mc_portfolio_record_realized(s, "b", -50, "it hurt", 30), 0);
	ck_assert_int_eq(mc_portfolio_record_realized(s, "ghost", 1, NULL, 30), MC_ENOTFOUND);
	ck_assert_int_eq(mc_portfolio_record_realized(s, "a", NAN, NULL, 30), MC_EINVAL);
	ck_assert_int_eq(mc_portfolio_record_realized(s, "a", INFINITY, NULL, 30), MC_EINVAL);
	ck_assert_int_eq(mc_portfolio_outcomes(&o, &n, s), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(o[0].id, "a");
	ck_assert_double_eq(o[0].realized_usd, 350);
	ck_assert_uint_eq(o[0].nrecords, 2);
	ck_assert_int_eq(o[0].recorded_at, 20);
	ck_assert_double_eq(o[0].predicted_usd, 400);
	ck_assert_uint_eq(o[0].ncomponents, 1); /* value components only */
	ck_assert_str_eq(o[0].components[0].name, "defects_avoided");
	ck_assert_str_eq(o[1].id, "b");
	ck_assert_double_eq(o[1].realized_usd, -50);
	mc_portfolio_outcomes_free(o, n);
	mc_store_close(s);
	mc_test_rmtree(dir);
	free(dir);
}
END_TEST

static Suite *calibrate_suite(void)
{
	Suite *s = suite_create("calibrate");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, pearson_by_hand);
	tcase_add_test(tc, ranks_average_ties);
	tcase_add_test(tc, spearman_by_hand_with_ties);
	tcase_add_test(tc, too_few_or_constant_is_nan);
	tcase_add_test(tc, nnls_recovers_known_weights);
	tcase_add_test(tc, nnls_never_negative_and_optimal_on_noisy_data);
	tcase_add_test(tc, nnls_by_hand_and_bad_input);
	tcase_add_test(tc, realized_values_latest_counts);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return mc_test_run(calibrate_suite());
}
