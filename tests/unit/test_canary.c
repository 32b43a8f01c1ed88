/*
 * Unit tests for the canary judge (model/canary): the Mann-Whitney test and
 * Hodges-Lehmann interval against R's wilcox.test results (computed by hand:
 * brute-force enumeration of the rank sums, and the textbook formulas), the
 * selection of order statistics against a full sort, and the classification,
 * score and verdict rules.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/canary.h"
#include "util/error.h"
#include "util/json.h"
#include "testutil.h"

#define near(a, b, eps) (fabs((a) - (b)) <= (eps))

/* R's ?wilcox.test example (Hollander & Wolfe): x is head, y is base.
 * wilcox.test(x, y, conf.int = TRUE): W = 35, p-value = 0.2544,
 * difference in location 0.305, 95 percent interval -0.15 0.76. */
static const double r_x[] = { 0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46 };
static const double r_y[] = { 1.15, 0.88, 0.90, 0.74, 1.21 };

START_TEST(r_example_exact)
{
	mc_mannwhitney mw;
	ck_assert_int_eq(mc_mannwhitney_test(&mw, r_y, 5, r_x, 10, 0.95), 0);
	ck_assert(mw.exact);
	ck_assert(mw.u == 35);
	/* 2 * P(U >= 35) = 2 * 382 / 3003 by enumeration of the 3003 rank sets */
	ck_assert_msg(near(mw.p, 764.0 / 3003, 1e-12), "p = %.17g", mw.p);
	ck_assert(near(mw.estimate, 0.305, 1e-12));
	ck_assert_msg(near(mw.ci_low, -0.15, 1e-12) && near(mw.ci_high, 0.76, 1e-12), "[%g, %g]",
		      mw.ci_low, mw.ci_high);
	/* at 98 %: qwilcox(0.01, 10, 5) = 7, so the 7th and 44th differences */
	ck_assert_int_eq(mc_mannwhitney_test(&mw, r_y, 5, r_x, 10, 0.98), 0);
	ck_assert(near(mw.ci_low, -0.17, 1e-12) && near(mw.ci_high, 0.90, 1e-12));
	/* swapping the sides mirrors everything */
	ck_assert_int_eq(mc_mannwhitney_test(&mw, r_x, 10, r_y, 5, 0.95), 0);
	ck_assert(mw.u == 15 && near(mw.p, 764.0 / 3003, 1e-12));
	ck_assert(near(mw.estimate, -0.305, 1e-12));
	ck_assert(near(mw.ci_low, -0.76, 1e-12) && near(mw.ci_high, 0.15, 1e-12));
}
END_TEST

START_TEST(clear_shift_exact)
{
	/* every head value above every base value: U = 36 = mn, p = 2 / C(12, 6) */
	static const double base[] = { 10.1, 9.8, 10.4, 10.0, 9.9, 10.2 };
	static const double head[] = { 11.0, 10.9, 11.3, 10.7, 11.1, 10.8 };
	mc_mannwhitney mw;
	ck_assert_int_eq(mc_mannwhitney_test(&mw, base, 6, head, 6, 0.95), 0);
	ck_assert(mw.exact && mw.u == 36);
	ck_assert(near(mw.p, 2.0 / 924, 1e-15));
	ck_assert(near(mw.estimate, 0.9, 1e-12));
	ck_assert(near(mw.ci_low, 0.6, 1e-12) && near(mw.ci_high, 1.2, 1e-12));
}
END_TEST

START_TEST(ties_use_the_corrected_normal_approximation)
{
	/* wilcox.test(head, base, conf.int = TRUE): W = 56.5, p-value = 0.01052 (with
	 * "cannot compute exact p-value with ties"). By hand: sigma^2 = 64/12 *
	 * (17 - 120/240), z = (56.5 - 32 - 0.5) / sigma. */
	static const double base[] = { 1, 2, 2, 3, 3, 3, 4, 5 };
	static const double head[] = { 3, 4, 4, 5, 5, 6, 7, 7 };
	double sigma = sqrt(64.0 / 12 * (17 - 120.0 / 240));
	mc_mannwhitney mw;
	ck_assert_int_eq(mc_mannwhitney_test(&mw, base, 8, head, 8, 0.95), 0);
	ck_assert(!mw.exact);
	ck_assert(mw.u == 56.5);
	ck_assert(near(mw.z, 24 / sigma, 1e-12));
	ck_assert_msg(near(mw.p, 0.010515245935858952, 1e-12), "p = %.17g", mw.p);
	ck_assert(mw.estimate == 2);
	/* k = floor(32 + 0.5 - 1.959964 * sigma) = 14: the 14th and 51st differences */
	ck_assert(mw.ci_low == 1 && mw.ci_high == 4);
}
END_TEST

START_TEST(no_shift_gives_p_one)
{
	static const double a[] = { 1, 2, 3, 4, 5 }, b[] = { 5, 4, 3, 2, 1 };
	mc_mannwhitney mw;
	ck_assert_int_eq(mc_mannwhitney_test(&mw, a, 5, b, 5, 0.95), 0);
	ck_assert(mw.u == 12.5 && mw.p == 1 && mw.estimate == 0);
	ck_assert(mw.ci_low < 0 && mw.ci_high > 0);
}
END_TEST

START_TEST(bad_input_is_refused)
{
	double v[] = { 1, 2, NAN }, w[] = { 1, 2, 3 };
	mc_mannwhitney mw;
	ck_assert_int_eq(mc_mannwhitney_test(&mw, v, 3, w, 3, 0.95), MC_EINVAL);
	ck_assert(strstr(mc_error_message(), "base sample 3") != NULL);
	ck_assert_int_eq(mc_mannwhitney_test(&mw, w, 0, w, 3, 0.95), MC_EINVAL);
	ck_assert_int_eq(mc_mannwhitney_test(&mw, w, 3, w, 3, 1.0), MC_EINVAL);
	v[2] = 1e101;
	ck_assert_int_eq(mc_mannwhitney_test(&mw, w, 3, v, 3, 0.95), MC_EINVAL);
}
END_TEST

START_TEST(normal_quantiles)
{
	ck_assert(near(mc_canary_normal_quantile(0.975), 1.9599639845400536, 1e-14));
	ck_assert(near(mc_canary_normal_quantile(0.99), 2.3263478740408408, 1e-14));
	ck_assert(near(mc_canary_normal_quantile(0.5), 0, 1e-15));
	ck_assert(near(mc_canary_normal_quantile(1e-10), -6.361340902404056, 1e-11));
}
END_TEST

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* A deterministic generator: the same numbers on every machine. */
static unsigned long long lcg_state;
static double lcg(void)
{
	lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(lcg_state >> 11) / 9007199254740992.0;
}

START_TEST(order_statistics_match_a_full_sort)
{
	size_t nx = 400, ny = 300, i, j, n = nx * ny;
	double *x = malloc(nx * sizeof *x), *y = malloc(ny * sizeof *y), *all = malloc(n * sizeof *all);
	unsigned long long ks[] = { 1, 2, 777, 60000, 60001, 119999, 120000 };
	lcg_state = 42;
	/* rounded values give many ties among the 120,000 differences */
	for (i = 0; i < nx; i++)
		x[i] = round(lcg() * 1000) / 10;
	for (i = 0; i < ny; i++)
		y[i] = round(lcg() * 1000) / 10 + 3;
	qsort(x, nx, sizeof *x, cmp_d);
	qsort(y, ny, sizeof *y, cmp_d);
	for (i = 0; i < ny; i++)
		for (j = 0; j < nx; j++)
			all[i * nx + j] = y[i] - x[j];
	qsort(all, n, sizeof *all, cmp_d);
	for (i = 0; i < sizeof ks / sizeof ks[0]; i++)
		ck_assert_msg(mc_canary_kth_difference(x, nx, y, ny, ks[i]) == all[ks[i] - 1],
			      "k = %llu", ks[i]);
	/* continuous values: no ties at all */
	for (i = 0; i < nx; i++)
		x[i] = lcg() * 1e6;
	for (i = 0; i < ny; i++)
		y[i] = lcg() * 1e-3;
	qsort(x, nx, sizeof *x, cmp_d);
	qsort(y, ny, sizeof *y, cmp_d);
	for (i = 0; i < ny; i++)
		for (j = 0; j < nx; j++)
			all[i * nx + j] = y[i] - x[j];
	qsort(all, n, sizeof *all, cmp_d);
	for (i = 0; i < sizeof ks / sizeof ks[0]; i++)
		ck_assert(mc_canary_kth_difference(x, nx, y, ny, ks[i]) == all[ks[i] - 1]);
	free(x);
	free(y);
	free(all);
}
END_TEST

START_TEST(fifty_samples_switch_to_the_normal_approximation)
{
	double a[50], b[50];
	mc_mannwhitney mw;
	int i;
	for (i = 0; i < 50; i++) {
		a[i] = i;
		b[i] = i + 0.5;
	}
	ck_assert_int_eq(mc_mannwhitney_test(&mw, a, 49, b, 49, 0.95), 0);
	ck_assert(mw.exact);
	ck_assert_int_eq(mc_mannwhitney_test(&mw, a, 50, b, 50, 0.95), 0);
	ck_assert(!mw.exact);
	/* U = 50*50/2 + 25: z = (25 - 0.5) / sqrt(2500 * 101 / 12) */
	ck_assert(mw.u == 1275);
	ck_assert(near(mw.z, 24.5 / sqrt(2500.0 * 101 / 12), 1e-12));
}
END_TEST

/* ---- judging ---- */

#define N 20
static double base_v[N], head_v[N];

/* base around 100 with a fixed spread; head = base * factor + offset */
static void make_samples(double factor, double offset)
{
	int i;
	for (i = 0; i < N; i++) {
		base_v[i] = 100 + ((i * 7) % 11 - 5) * 0.8;
		head_v[i] = (100 + ((i * 5 + 3) % 11 - 5) * 0.8) * factor + offset;
	}
}

static mc_canary_config config_with(mc_canary_metric *metrics, size_t n)
{
	mc_config cfg;
	mc_canary_config c;
	mc_config_defaults(&cfg);
	c = cfg.canary; /* the canary defaults own no memory */
	memset(&cfg.canary, 0, sizeof cfg.canary);
	mc_config_free(&cfg);
	c.metrics = metrics;
	c.nmetrics = n;
	return c;
}

static mc_canary_metric metric(const char *name, mc_canary_direction d, double tol)
{
	mc_canary_metric m;
	memset(&m, 0, sizeof m);
	m.name = (char *)name;
	m.direction = d;
	m.tolerance = tol;
	m.weight = 1;
	return m;
}

static mc_canary_class judge_one(mc_canary_metric m, double factor, char *reason, size_t size)
{
	mc_canary_config c = config_with(&m, 1);
	mc_canary_series s = { m.name, base_v, N, head_v, N };
	mc_canary_judgement j;
	mc_canary_class cls;
	make_samples(factor, 0);
	ck_assert_int_eq(mc_canary_judge(&j, &c, &s, 1), 0);
	cls = j.metrics[0].cls;
	if (reason)
		snprintf(reason, size, "%s", j.metrics[0].reason);
	mc_canary_judgement_free(&j);
	return cls;
}

START_TEST(classes_follow_direction_and_tolerance)
{
	char why[256];
	/* +20 %: High when an increase is of concern, whatever else */
	ck_assert_int_eq(judge_one(metric("lat", MC_CANARY_INCREASE, 0.05), 1.2, why, sizeof why),
			 MC_CANARY_HIGH);
	ck_assert_msg(strstr(why, "increased +") && strstr(why, "beyond the tolerance of 5 %"), "%s", why);
	ck_assert_int_eq(judge_one(metric("lat", MC_CANARY_EITHER, 0.05), 1.2, NULL, 0), MC_CANARY_HIGH);
	ck_assert_int_eq(judge_one(metric("lat", MC_CANARY_DECREASE, 0.05), 1.2, why, sizeof why),
			 MC_CANARY_PASS);
	ck_assert_msg(strstr(why, "not a direction of concern") != NULL, "%s", why);
	/* the same shift inside a 25 % band passes, though significant */
	ck_assert_int_eq(judge_one(metric("lat", MC_CANARY_INCREASE, 0.25), 1.2, why, sizeof why),
			 MC_CANARY_PASS);
	ck_assert_msg(strstr(why, "within the tolerance") != NULL, "%s", why);
	/* -20 %: Low for decrease and either */
	ck_assert_int_eq(judge_one(metric("qps", MC_CANARY_DECREASE, 0.05), 0.8, NULL, 0), MC_CANARY_LOW);
	ck_assert_int_eq(judge_one(metric("qps", MC_CANARY_EITHER, 0.05), 0.8, NULL, 0), MC_CANARY_LOW);
	ck_assert_int_eq(judge_one(metric("qps", MC_CANARY_INCREASE, 0.05), 0.8, NULL, 0), MC_CANARY_PASS);
	/* no shift (only a reshuffled spread): pass */
	ck_assert_int_eq(judge_one(metric("lat", MC_CANARY_EITHER, 0), 1.0, why, sizeof why),
			 MC_CANARY_PASS);
	ck_assert_msg(strstr(why, "no significant shift") != NULL, "%s", why);
}
END_TEST

START_TEST(effect_is_relative_to_the_base_median)
{
	mc_canary_metric m = metric("lat", MC_CANARY_INCREASE, 0.05);
	mc_canary_config c = config_with(&m, 1);
	mc_canary_series s = { "lat", base_v, N, head_v, N };
	mc_canary_judgement j;
	make_samples(1.0, 10); /* +10 on a median of 100 */
	ck_assert_int_eq(mc_canary_judge(&j, &c, &s, 1), 0);
	ck_assert(j.metrics[0].base_median == 100);
	ck_assert(j.metrics[0].mw.estimate == 10);
	ck_assert(near(j.metrics[0].effect, 0.10, 1e-12));
	ck_assert(j.metrics[0].effect_low <= 0.10 && j.metrics[0].effect_high >= 0.10);
	ck_assert_int_eq(j.metrics[0].cls, MC_CANARY_HIGH);
	ck_assert_int_eq(j.verdict, MC_CANARY_VERDICT_FAIL);
	ck_assert(j.score == 0);
	mc_canary_judgement_free(&j);
}
END_TEST

START_TEST(identical_and_constant_samples_pass)
{
	static const double same[] = { 3, 3, 3, 3, 3 }, a[] = { 1, 2, 3, 4, 5 }, b[] = { 5, 3, 1, 4, 2 };
	mc_canary_metric m = metric("x", MC_CANARY_EITHER, 0);
	mc_canary_config c = config_with(&m, 1);
	mc_canary_series s1 = { "x", same, 5, same, 5 }, s2 = { "x", a, 5, b, 5 };
	mc_canary_judgement j;
	ck_assert_int_eq(mc_canary_judge(&j, &c, &s1, 1), 0);
	ck_assert_int_eq(j.metrics[0].cls, MC_CANARY_PASS);
	ck_assert(!j.metrics[0].tested);
	mc_canary_judgement_free(&j);
	ck_assert_int_eq(mc_canary_judge(&j, &c, &s2, 1), 0);
	ck_assert_str_eq(j.metrics[0].reason, "head and base samples are identical");
	ck_assert_int_eq(j.verdict, MC_CANARY_VERDICT_PASS);
	ck_assert(j.score == 100);
	mc_canary_judgement_free(&j);
}
END_TEST

START_TEST(nodata_rules)
{
	mc_canary_metric ms[2] = { metric("lat", MC_CANARY_INCREASE, 0.05),
				   metric("err", MC_CANARY_INCREASE, 0) };
	mc_canary_config c = config_with(ms, 2);
	mc_canary_series s = { "lat", base_v, N, head_v, 4 }; /* 4 head samples < 5 */
	mc_canary_judgement j;
	make_samples(1.0, 0);
	/* err has no series at all, lat too few: both ignored, nothing judged: fail */
	ck_assert_int_eq(mc_canary_judge(&j, &c, &s, 1), 0);
	ck_assert_int_eq(j.metrics[0].cls, MC_CANARY_NODATA);
	ck_assert_str_eq(j.metrics[0].reason, "20 base and 4 head samples; 5 needed on each side");
	ck_assert_int_eq(j.metrics[1].cls, MC_CANARY_NODATA);
	ck_assert(!j.metrics[0].counted && !j.metrics[0].failing);
	ck_assert_int_eq(j.verdict, MC_CANARY_VERDICT_FAIL);
	ck_assert_str_eq(j.reason, "no metric could be judged");
	mc_canary_judgement_free(&j);
	/* with enough lat samples, err (ignored) does not count: score 100 */
	s.nhead = N;
	ck_assert_int_eq(mc_canary_judge(&j, &c, &s, 1), 0);
	ck_assert(j.score == 100 && j.verdict == MC_CANARY_VERDICT_PASS);
	mc_canary_judgement_free(&j);
	/* nodata = fail: err counts as failing, 1 of 2 pass = 50: marginal */
	ms[1].nodata = MC_CANARY_NODATA_FAIL;
	ck_assert_int_eq(mc_canary_judge(&j, &c, &s, 1), 0);
	ck_assert(j.metrics[1].failing && j.metrics[1].counted);
	ck_assert(j.score == 50 && j.verdict == MC_CANARY_VERDICT_MARGINAL);
	mc_canary_judgement_free(&j);
	/* and if err is critical, the canary fails with score 0 */
	ms[1].critical = 1;
	ck_assert_int_eq(mc_canary_judge(&j, &c, &s, 1), 0);
	ck_assert(j.score == 0 && j.verdict == MC_CANARY_VERDICT_FAIL);
	ck_assert_str_eq(j.reason, "critical metric err is NoData");
	mc_canary_judgement_free(&j);
}
END_TEST

START_TEST(weighted_groups_score)
{
	/* a (High) and b (Pass) in group g weighing 50; c (Pass, weight 2) alone:
	 * (50 * 1/2 + 2 * 1) / (50 + 2) = 27/52 = 51.92: marginal */
	mc_canary_metric ms[3] = { metric("a", MC_CANARY_INCREASE, 0.05),
				   metric("b", MC_CANARY_INCREASE, 0.05),
				   metric("c", MC_CANARY_INCREASE, 0.05) };
	mc_canary_group_weight gw = { "g", 50 };
	mc_canary_config c = config_with(ms, 3);
	mc_canary_series s[3];
	mc_canary_judgement j;
	static double flat[N];
	int i;
	for (i = 0; i < N; i++)
		flat[i] = 100 + ((i * 7) % 11 - 5) * 0.8;
	make_samples(1.3, 0);
	ms[0].group = ms[1].group = "g";
	ms[2].weight = 2;
	c.group_weights = &gw;
	c.ngroup_weights = 1;
	s[0] = (mc_canary_series){ "c", flat, N, flat, N };
	s[1] = (mc_canary_series){ "a", base_v, N, head_v, N };
	s[2] = (mc_canary_series){ "b", flat, N, flat, N };
	ck_assert_int_eq(mc_canary_judge(&j, &c, s, 3), 0);
	ck_assert_int_eq(j.metrics[0].cls, MC_CANARY_HIGH);
	ck_assert_msg(near(j.score, 2700.0 / 52, 1e-9), "score %.17g", j.score);
	ck_assert_int_eq(j.verdict, MC_CANARY_VERDICT_MARGINAL);
	ck_assert_str_eq(j.reason, "score 51.9 (pass at 75, marginal at 50); a High");
	mc_canary_judgement_free(&j);
	/* without group weights: weights 1 + 1 in g (share 1/2) and 2: (2*0.5 + 2)/4 = 75: pass */
	c.ngroup_weights = 0;
	ck_assert_int_eq(mc_canary_judge(&j, &c, s, 3), 0);
	ck_assert(j.score == 75 && j.verdict == MC_CANARY_VERDICT_PASS);
	mc_canary_judgement_free(&j);
	/* the same High on a critical metric fails it all */
	ms[0].critical = 1;
	ck_assert_int_eq(mc_canary_judge(&j, &c, s, 3), 0);
	ck_assert(j.score == 0 && j.verdict == MC_CANARY_VERDICT_FAIL);
	ck_assert_str_eq(j.reason, "critical metric a is High");
	mc_canary_judgement_free(&j);
}
END_TEST

START_TEST(unlisted_metrics_and_default_order)
{
	mc_canary_metric m = metric("lat", MC_CANARY_INCREASE, 0.05);
	mc_canary_config c = config_with(&m, 1);
	mc_canary_series s[2] = { { "zeta", base_v, N, base_v, N }, { "lat", base_v, N, base_v, N } };
	mc_canary_judgement j;
	struct json_object *doc;
	make_samples(1, 0);
	ck_assert_int_eq(mc_canary_judge(&j, &c, s, 2), 0);
	ck_assert_uint_eq(j.nmetrics, 1);
	ck_assert_uint_eq(j.nunjudged, 1);
	ck_assert_str_eq(j.unjudged[0], "zeta");
	mc_canary_judgement_free(&j);
	/* no metrics configured: every series, by name, with the defaults */
	c = config_with(NULL, 0);
	ck_assert_int_eq(mc_canary_judge(&j, &c, s, 2), 0);
	ck_assert_uint_eq(j.nmetrics, 2);
	ck_assert_str_eq(j.metrics[0].name, "lat");
	ck_assert_str_eq(j.metrics[1].name, "zeta");
	ck_assert(j.metrics[1].tolerance == 0.05);
	doc = mc_canary_judgement_to_json(&j);
	ck_assert_str_eq(mc_json_get_string(doc, "verdict", ""), "pass");
	ck_assert(json_object_array_length(mc_json_get(doc, "metrics")) == 2);
	json_object_put(doc);
	mc_canary_judgement_free(&j);
}
END_TEST

START_TEST(judgement_json_carries_the_statistics)
{
	mc_canary_metric m = metric("lat", MC_CANARY_INCREASE, 0.05);
	mc_canary_config c = config_with(&m, 1);
	mc_canary_series s = { "lat", r_y, 5, r_x, 10 };
	mc_canary_judgement j;
	struct json_object *doc, *mj, *ci;
	c.confidence = 0.95;
	ck_assert_int_eq(mc_canary_judge(&j, &c, &s, 1), 0);
	doc = mc_canary_judgement_to_json(&j);
	mj = json_object_array_get_idx(mc_json_get(doc, "metrics"), 0);
	ck_assert_str_eq(mc_json_get_string(mj, "class", ""), "Pass");
	ck_assert(mc_json_get_double(mj, "u", 0) == 35);
	ck_assert(near(mc_json_get_double(mj, "p_value", 0), 764.0 / 3003, 1e-12));
	ck_assert(near(mc_json_get_double(mj, "estimate", 0), 0.305, 1e-12));
	ci = mc_json_get(mj, "ci");
	ck_assert(near(json_object_get_double(json_object_array_get_idx(ci, 0)), -0.15, 1e-12));
	ck_assert(mc_json_get_bool(mj, "exact", 0));
	/* effect: 0.305 over the base median 0.90 */
	ck_assert(near(mc_json_get_double(mj, "effect", 0), 0.305 / 0.90, 1e-12));
	json_object_put(doc);
	mc_canary_judgement_free(&j);
}
END_TEST

/* A judgement kept as JSON (for a later review of the same head) reads back into one
 * whose JSON is the same document, no data and untested metrics included; anything
 * else is refused. */
START_TEST(judgement_json_reads_back)
{
	mc_canary_metric ms[2] = { metric("lat", MC_CANARY_INCREASE, 0.05),
				   metric("err", MC_CANARY_DECREASE, 0) };
	mc_canary_config c = config_with(ms, 2);
	mc_canary_series s = { "lat", r_y, 5, r_x, 10 };
	mc_canary_judgement j, back;
	struct json_object *doc, *again, *bad;
	char *first;

	c.confidence = 0.95;
	ck_assert_int_eq(mc_canary_judge(&j, &c, &s, 1), 0);
	doc = mc_canary_judgement_to_json(&j);
	first = strdup(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN));
	ck_assert_int_eq(mc_canary_judgement_from_json(&back, doc), 0);
	ck_assert_int_eq(back.verdict, j.verdict);
	ck_assert_uint_eq(back.nmetrics, 2);
	again = mc_canary_judgement_to_json(&back);
	ck_assert_str_eq(json_object_to_json_string_ext(again, JSON_C_TO_STRING_PLAIN), first);
	mc_canary_judgement_free(&back);
	bad = json_object_new_object();
	mc_json_set_string(bad, "verdict", "maybe");
	ck_assert_int_eq(mc_canary_judgement_from_json(&back, bad), MC_EINVAL);
	json_object_put(bad);
	json_object_put(again);
	json_object_put(doc);
	free(first);
	mc_canary_judgement_free(&back);
	mc_canary_judgement_free(&j);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("canary");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, r_example_exact);
	tcase_add_test(tc, judgement_json_reads_back);
	tcase_add_test(tc, clear_shift_exact);
	tcase_add_test(tc, ties_use_the_corrected_normal_approximation);
	tcase_add_test(tc, no_shift_gives_p_one);
	tcase_add_test(tc, bad_input_is_refused);
	tcase_add_test(tc, normal_quantiles);
	tcase_add_test(tc, order_statistics_match_a_full_sort);
	tcase_add_test(tc, fifty_samples_switch_to_the_normal_approximation);
	tcase_add_test(tc, classes_follow_direction_and_tolerance);
	tcase_add_test(tc, effect_is_relative_to_the_base_median);
	tcase_add_test(tc, identical_and_constant_samples_pass);
	tcase_add_test(tc, nodata_rules);
	tcase_add_test(tc, weighted_groups_score);
	tcase_add_test(tc, unlisted_metrics_and_default_order);
	tcase_add_test(tc, judgement_json_carries_the_statistics);
	suite_add_tcase(s, tc);
	return mc_test_run(s);
}
