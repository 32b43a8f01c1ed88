/*
 * Unit tests for the risk model (model/risk): the shipped coefficients are what
 * refitting on the reference data gives, bit for bit; AUC and Brier on cases
 * worked out by hand; prediction's contributions; and how the fit fails.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/dataset/jit_csv.h"
#include "model/risk.h"
#include "testutil.h"
#include "util/error.h"

/* ---- the shipped model ------------------------------------------------- */

static int feature_slot(const char *column)
{
	return mc_feature_by_name(column);
}

static const mc_jit_csv_schema kamei_schema = { MC_FEATURE_COUNT, feature_slot, NULL };

/* Append the rows of shared/jit/<file> to *x / *y (n rows so far). */
static void append_reference(const char *file, mc_change_features **x, unsigned char **y,
			     size_t *n)
{
	const char *shared = mc_test_shared_data();
	char path[4096];
	mc_jit_csv data;
	size_t i;
	int f, rc;

	snprintf(path, sizeof path, "%s/jit/%s", shared, file);
	rc = mc_jit_csv_read(&data, path, &kamei_schema, 0);
	ck_assert_msg(rc == 0, "%s", mc_error_message());
	ck_assert_uint_gt(data.rows, 1000);
	*x = realloc(*x, sizeof **x * (*n + data.rows));
	*y = realloc(*y, *n + data.rows);
	ck_assert(*x && *y);
	for (i = 0; i < data.rows; i++) {
		for (f = 0; f < MC_FEATURE_COUNT; f++)
			(*x)[*n + i].v[f] = data.x[i * MC_FEATURE_COUNT + (size_t)f];
		(*y)[*n + i] = data.bug[i];
	}
	*n += data.rows;
	mc_jit_csv_free(&data);
}

/* Equal as bit patterns: 0.1 + 0.2 == 0.3 to the last bit or not at all. */
static void assert_same_double(double got, double want, const char *what, int f)
{
	ck_assert_msg(memcmp(&got, &want, sizeof got) == 0, "%s[%d]: refit %.17g, shipped %.17g",
		      what, f, got, want);
}

START_TEST(refit_on_reference_data_is_the_shipped_model)
{
	const mc_risk_model *d = mc_risk_default();
	mc_change_features *x = NULL;
	unsigned char *y = NULL;
	mc_risk_fit_options opt;
	mc_risk_model m;
	double grad[MC_FEATURE_COUNT + 1] = { 0 };
	size_t n = 0, i;
	int f;

	if (!mc_test_shared_data()) {
		/* The data is part of the environment the tests run in; its absence is a failure. */
		ck_abort_msg("MAESTRO_SHARED_DATA is not set or missing: cannot check risk_defaults.c");
	}
	/* As cmd_risk.c fit_pooled does: openstack then qt, default options. */
	append_reference("openstack_k_feature.csv", &x, &y, &n);
	append_reference("qt_k_feature.csv", &x, &y, &n);
	mc_risk_fit_options_init(&opt);
	ck_assert_int_eq(mc_risk_fit(&m, x, y, n, &opt), 0);

	ck_assert_uint_eq(m.rows, d->rows);
	assert_same_double(m.lambda, d->lambda, "lambda", 0);
	assert_same_double(m.intercept, d->intercept, "intercept", 0);
	for (f = 0; f < MC_FEATURE_COUNT; f++) {
		assert_same_double(m.mean[f], d->mean[f], "mean", f);
		assert_same_double(m.std[f], d->std[f], "std", f);
		assert_same_double(m.coef[f], d->coef[f], "coef", f);
	}
	ck_assert_ptr_nonnull(d->source);
	ck_assert_ptr_null(m.source);

	/* And it is an optimum: the gradient of the penalised mean log-loss vanishes. */
	for (i = 0; i < n; i++) {
		double r = mc_risk_predict(d, &x[i], NULL) - y[i];
		grad[0] += r;
		for (f = 0; f < MC_FEATURE_COUNT; f++)
			if (d->std[f] > 0)
				grad[f + 1] += r * (log1p(fmax(x[i].v[f], 0)) - d->mean[f]) / d->std[f];
	}
	ck_assert_double_eq_tol(grad[0] / (double)n, 0, 1e-9);
	for (f = 0; f < MC_FEATURE_COUNT; f++) {
		ck_assert_double_gt(d->std[f], 0);
		ck_assert_double_eq_tol(grad[f + 1] / (double)n + d->lambda * d->coef[f], 0, 1e-9);
	}
	free(x);
	free(y);
}
END_TEST

/* ---- AUC and Brier ----------------------------------------------------- */

START_TEST(auc_of_hand_computed_cases)
{
	/* Positives 0.35 and 0.8 against negatives 0.1 and 0.4: 3 of 4 pairs ordered. */
	const double s1[] = { 0.1, 0.4, 0.35, 0.8 };
	const unsigned char y1[] = { 0, 0, 1, 1 };
	/* Positives 0.5, 0.9 against 0.2, 0.5: pairs 1 + 1/2 (the tie) + 1 + 1 = 3.5 of 4. */
	const double s2[] = { 0.5, 0.2, 0.9, 0.5 };
	const unsigned char y2[] = { 1, 0, 1, 0 };
	/* Every score tied: every pair counts half. */
	const double s3[] = { 7, 7, 7, 7, 7 };
	const unsigned char y3[] = { 1, 0, 0, 1, 0 };
	/* Positives strictly below negatives: 0; and infinities are ordinary scores. */
	const double s4[] = { -INFINITY, 1, 2, INFINITY };
	const unsigned char y4[] = { 1, 1, 0, 0 };
	/* A tie group of three holding one positive and two negatives, above one negative. */
	const double s5[] = { 1, 3, 3, 3 };
	const unsigned char y5[] = { 0, 0, 1, 0 };

	ck_assert_double_eq(mc_risk_auc(s1, y1, 4), 0.75);
	ck_assert_double_eq(mc_risk_auc(s2, y2, 4), 0.875);
	ck_assert_double_eq(mc_risk_auc(s3, y3, 5), 0.5);
	ck_assert_double_eq(mc_risk_auc(s4, y4, 4), 0.0);
	ck_assert_double_eq(mc_risk_auc(s5, y5, 4), 2.0 / 3.0); /* (1 + 1/2 + 1/2) / 3 */
}
END_TEST

START_TEST(auc_is_nan_when_undefined)
{
	const double s[] = { 0.1, 0.9, NAN };
	const unsigned char mixed[] = { 0, 1, 0 }, ones[] = { 1, 1, 1 }, zeros[] = { 0, 0, 0 };

	ck_assert(isnan(mc_risk_auc(s, mixed, 0)));
	ck_assert(isnan(mc_risk_auc(s, ones, 2)));
	ck_assert(isnan(mc_risk_auc(s, zeros, 2)));
	ck_assert(isnan(mc_risk_auc(s, mixed, 3))); /* a NaN score */
	ck_assert_double_eq(mc_risk_auc(s, mixed, 2), 1.0); /* the same without it */
}
END_TEST

/* A fixed 32-bit LCG, so the cases are the same on every run. */
static uint32_t lcg(uint32_t *state)
{
	*state = *state * 1664525u + 1013904223u;
	return *state >> 8;
}

START_TEST(auc_matches_pairwise_count_with_many_ties)
{
	enum { N = 400 };
	double s[N], pairs = 0, ordered = 0;
	unsigned char y[N];
	uint32_t state = 12345;
	size_t i, j;

	for (i = 0; i < N; i++) {
		s[i] = (double)(lcg(&state) % 17); /* 17 distinct scores: ties everywhere */
		y[i] = (unsigned char)(lcg(&state) % 3 == 0);
	}
	for (i = 0; i < N; i++)
		for (j = 0; j < N; j++)
			if (y[i] && !y[j]) {
				pairs++;
				ordered += s[i] > s[j] ? 1.0 : s[i] == s[j] ? 0.5 : 0.0;
			}
	ck_assert_double_gt(pairs, 0);
	ck_assert_double_eq_tol(mc_risk_auc(s, y, N), ordered / pairs, 1e-12);
}
END_TEST

START_TEST(brier_is_the_mean_squared_error)
{
	const double p[] = { 0.2, 0.9, 0.5, 0.0 };
	const unsigned char y[] = { 0, 1, 1, 0 };

	/* (0.04 + 0.01 + 0.25 + 0) / 4 */
	ck_assert_double_eq_tol(mc_risk_brier(p, y, 4), 0.075, 1e-15);
	ck_assert_double_eq(mc_risk_brier(p + 3, y + 3, 1), 0.0);
	ck_assert_double_eq(mc_risk_brier(p + 1, y, 1), 0.81);
	ck_assert(isnan(mc_risk_brier(p, y, 0)));
}
END_TEST

/* ---- prediction -------------------------------------------------------- */

START_TEST(contributions_are_ordered_and_add_up)
{
	const mc_risk_model *m = mc_risk_default();
	mc_change_features x = { { 2, 3, 7, 1.5, 400, 20, 3000, 1, 12, 30, 80, 5, 1.2, 2 } };
	mc_risk_contribution c[MC_FEATURE_COUNT];
	int seen[MC_FEATURE_COUNT] = { 0 };
	double p, eta;
	int i;

	p = mc_risk_predict(m, &x, c);
	ck_assert(p > 0 && p < 1);
	ck_assert_double_eq(mc_risk_predict(m, &x, NULL), p);
	eta = m->intercept;
	for (i = 0; i < MC_FEATURE_COUNT; i++) {
		int f = c[i].feature;
		ck_assert(f >= 0 && f < MC_FEATURE_COUNT);
		ck_assert_int_eq(seen[f]++, 0);
		ck_assert_double_eq(c[i].value, x.v[f]);
		ck_assert_double_eq_tol(c[i].logit,
					m->coef[f] * (log1p(x.v[f]) - m->mean[f]) / m->std[f], 1e-12);
		if (i > 0)
			ck_assert_double_ge(fabs(c[i - 1].logit), fabs(c[i].logit));
		eta += c[i].logit;
	}
	ck_assert_double_eq_tol(eta, log(p / (1 - p)), 1e-9);
	/* la = 400 is far above the mean of log1p(la) and has the largest coefficient. */
	ck_assert_int_eq(c[0].feature, MC_F_LA);
}
END_TEST

START_TEST(contribution_ties_keep_feature_order)
{
	mc_risk_model m;
	mc_change_features x = { { 0 } };
	mc_risk_contribution c[MC_FEATURE_COUNT];
	int i;

	memset(&m, 0, sizeof m);
	/* nf and la push by -1 and +1: equal size, so nf (feature 2) before la (4). */
	m.std[MC_F_NF] = m.std[MC_F_LA] = m.std[MC_F_AGE] = 1;
	m.coef[MC_F_NF] = -1;
	m.coef[MC_F_LA] = 1;
	m.coef[MC_F_AGE] = 3;
	x.v[MC_F_NF] = x.v[MC_F_LA] = exp(1.0) - 1; /* log1p = 1 */
	x.v[MC_F_AGE] = NAN;                        /* counts as 0: logit 0 */
	ck_assert_double_eq_tol(mc_risk_predict(&m, &x, c), 0.5, 1e-15);
	ck_assert_int_eq(c[0].feature, MC_F_NF);
	ck_assert_int_eq(c[1].feature, MC_F_LA);
	ck_assert_double_eq_tol(c[0].logit, -1, 1e-15);
	ck_assert_double_eq_tol(c[1].logit, 1, 1e-15);
	/* The rest are zero (age included) and follow in feature order. */
	for (i = 2; i < MC_FEATURE_COUNT; i++) {
		ck_assert_double_eq(c[i].logit, 0);
		if (i > 2)
			ck_assert_int_lt(c[i - 1].feature, c[i].feature);
	}
	/* The value is reported raw, NaN included. */
	for (i = 0; i < MC_FEATURE_COUNT; i++)
		if (c[i].feature == MC_F_AGE)
			ck_assert(isnan(c[i].value));
}
END_TEST

/* ---- fitting ----------------------------------------------------------- */

/* n synthetic rows: la and ld drive the label through a known logistic model. */
static void synthetic(mc_change_features *x, unsigned char *y, size_t n, uint32_t seed)
{
	uint32_t state = seed;
	size_t i;
	int f;
	for (i = 0; i < n; i++) {
		double eta, u;
		for (f = 0; f < MC_FEATURE_COUNT; f++)
			x[i].v[f] = (double)(lcg(&state) % 1000) / 10.0;
		eta = 0.8 * (log1p(x[i].v[MC_F_LA]) - 3.5) - 0.5 * (log1p(x[i].v[MC_F_LD]) - 3.5);
		u = (double)(lcg(&state) % 1000000) / 1e6;
		y[i] = u < 1.0 / (1.0 + exp(-eta));
	}
}

static void assert_fit_fails(const mc_change_features *x, const unsigned char *y, size_t n,
			     const mc_risk_fit_options *opt, const char *message)
{
	mc_risk_model m;
	memset(&m, 0x5a, sizeof m);
	ck_assert_int_eq(mc_risk_fit(&m, x, y, n, opt), MC_EINVAL);
	ck_assert_msg(strstr(mc_error_message(), message) != NULL, "message '%s' lacks '%s'",
		      mc_error_message(), message);
	/* A failed fit leaves no half-fitted model behind. */
	ck_assert_double_eq(m.intercept, 0);
	ck_assert_double_eq(m.coef[MC_F_LA], 0);
	ck_assert_uint_eq(m.rows, 0);
}

START_TEST(fit_rejects_bad_input_with_a_message)
{
	enum { N = 200 };
	mc_change_features x[N];
	unsigned char y[N], ones[N];
	mc_risk_fit_options opt;

	synthetic(x, y, N, 7);
	memset(ones, 1, sizeof ones);
	mc_risk_fit_options_init(&opt);

	assert_fit_fails(x, y, 0, &opt, "no training rows");
	assert_fit_fails(x, ones, N, &opt, "the 200 training rows are all defect-inducing");
	memset(ones, 0, sizeof ones);
	assert_fit_fails(x, ones, N, &opt, "the 200 training rows are all clean");

	y[3] = 2;
	assert_fit_fails(x, y, N, &opt, "row 3: label 2 is not 0 or 1");
	y[3] = 0;

	x[5].v[MC_F_NUC] = NAN;
	assert_fit_fails(x, y, N, &opt, "row 5: nuc is not a finite number");
	x[5].v[MC_F_NUC] = INFINITY;
	assert_fit_fails(x, y, N, &opt, "row 5: nuc is not a finite number");
	/* A feature left out by the mask is not looked at. */
	opt.feature_mask = MC_RISK_ALL_FEATURES & ~(1u << MC_F_NUC);
	{
		mc_risk_model m;
		ck_assert_int_eq(mc_risk_fit(&m, x, y, N, &opt), 0);
		ck_assert_double_eq(m.std[MC_F_NUC], 0);
		ck_assert_double_eq(m.coef[MC_F_NUC], 0);
	}
	x[5].v[MC_F_NUC] = 1;
	mc_risk_fit_options_init(&opt);

	opt.lambda = -1;
	assert_fit_fails(x, y, N, &opt, "lambda must be a finite number >= 0, not -1");
	opt.lambda = NAN;
	assert_fit_fails(x, y, N, &opt, "lambda must be a finite number >= 0");
	mc_risk_fit_options_init(&opt);

	opt.feature_mask = 0;
	assert_fit_fails(x, y, N, &opt, "feature mask 0x0 selects no feature");
	opt.feature_mask = 1u << MC_FEATURE_COUNT;
	assert_fit_fails(x, y, N, &opt, "feature mask 0x4000 selects no feature or an unknown one");
	mc_risk_fit_options_init(&opt);

	opt.max_iter = 0;
	assert_fit_fails(x, y, N, &opt, "max_iter must be at least 1, not 0");
	opt.max_iter = 1; /* one Newton step from the base rate is not the optimum */
	assert_fit_fails(x, y, N, &opt, "Newton's method did not converge in 1 iterations");
}
END_TEST

START_TEST(fit_recovers_a_known_model)
{
	enum { N = 20000 };
	mc_change_features *x = malloc(sizeof *x * N);
	unsigned char *y = malloc(N);
	mc_risk_model m, again;
	int f;

	ck_assert(x && y);
	synthetic(x, y, N, 99);
	ck_assert_int_eq(mc_risk_fit(&m, x, y, N, NULL), 0);
	ck_assert_uint_eq(m.rows, N);
	ck_assert_double_eq(m.lambda, MC_RISK_DEFAULT_LAMBDA);
	/* coef is per standard deviation: the true model's 0.8 per unit of log1p times std. */
	ck_assert_double_eq_tol(m.coef[MC_F_LA] / m.std[MC_F_LA], 0.8, 0.1);
	ck_assert_double_eq_tol(m.coef[MC_F_LD] / m.std[MC_F_LD], -0.5, 0.1);
	for (f = 0; f < MC_FEATURE_COUNT; f++)
		if (f != MC_F_LA && f != MC_F_LD)
			ck_assert_double_lt(fabs(m.coef[f]), 0.06);
	/* Same rows, same model, bit for bit. */
	ck_assert_int_eq(mc_risk_fit(&again, x, y, N, NULL), 0);
	ck_assert_int_eq(memcmp(&m, &again, sizeof m), 0);
	free(x);
	free(y);
}
END_TEST

START_TEST(constant_feature_is_dropped)
{
	enum { N = 500 };
	mc_change_features x[N];
	unsigned char y[N];
	mc_risk_fit_options opt;
	mc_risk_model with_constant, without;
	size_t i;
	int f;

	synthetic(x, y, N, 3);
	for (i = 0; i < N; i++)
		x[i].v[MC_F_FIX] = 1;
	ck_assert_int_eq(mc_risk_fit(&with_constant, x, y, N, NULL), 0);
	ck_assert_double_eq(with_constant.std[MC_F_FIX], 0);
	ck_assert_double_eq(with_constant.coef[MC_F_FIX], 0);
	ck_assert_double_eq_tol(with_constant.mean[MC_F_FIX], log(2.0), 1e-12);
	/* The same as leaving it out by the mask. */
	mc_risk_fit_options_init(&opt);
	opt.feature_mask = MC_RISK_ALL_FEATURES & ~(1u << MC_F_FIX);
	ck_assert_int_eq(mc_risk_fit(&without, x, y, N, &opt), 0);
	ck_assert_double_eq(without.intercept, with_constant.intercept);
	for (f = 0; f < MC_FEATURE_COUNT; f++)
		ck_assert_double_eq(without.coef[f], with_constant.coef[f]);
	/* Negative values count as 0: a column of negatives is constant too. */
	for (i = 0; i < N; i++)
		x[i].v[MC_F_AGE] = -(double)i;
	ck_assert_int_eq(mc_risk_fit(&with_constant, x, y, N, NULL), 0);
	ck_assert_double_eq(with_constant.std[MC_F_AGE], 0);
	/* Every feature constant: only the base rate is left. */
	memset(x, 0, sizeof x);
	ck_assert_int_eq(mc_risk_fit(&with_constant, x, y, N, NULL), 0);
	{
		double rate = 0;
		for (i = 0; i < N; i++)
			rate += y[i];
		rate /= N;
		ck_assert_double_eq_tol(mc_risk_predict(&with_constant, &x[0], NULL), rate, 1e-12);
	}
}
END_TEST

/* la below 10 is always clean, 10 and above always defect-inducing. */
static void separable(mc_change_features *x, unsigned char *y, size_t n)
{
	size_t i;
	memset(x, 0, sizeof *x * n);
	for (i = 0; i < n; i++) {
		x[i].v[MC_F_LA] = (double)(i % 20);
		x[i].v[MC_F_NF] = (double)(i % 7);
		y[i] = x[i].v[MC_F_LA] >= 10;
	}
}

START_TEST(separable_data_needs_a_penalty)
{
	enum { N = 200 };
	mc_change_features x[N];
	unsigned char y[N];
	mc_risk_fit_options opt;
	mc_risk_model m;
	size_t i;

	separable(x, y, N);
	mc_risk_fit_options_init(&opt);
	opt.lambda = 0;
	memset(&m, 0x5a, sizeof m);
	ck_assert_int_eq(mc_risk_fit(&m, x, y, N, &opt), MC_EINVAL);
	ck_assert_msg(strstr(mc_error_message(), "lambda > 0") != NULL, "%s", mc_error_message());
	ck_assert_double_eq(m.coef[MC_F_LA], 0);
	/* Quasi-complete: one clean change at la = 10, on the boundary, still no optimum. */
	y[10] = 0;
	ck_assert_int_eq(mc_risk_fit(&m, x, y, N, &opt), MC_EINVAL);
	ck_assert_msg(strstr(mc_error_message(), "separate the classes") != NULL, "%s",
		      mc_error_message());
	y[10] = 1;

	opt.lambda = 1e-3;
	ck_assert_int_eq(mc_risk_fit(&m, x, y, N, &opt), 0);
	ck_assert(isfinite(m.intercept) && isfinite(m.coef[MC_F_LA]));
	ck_assert_double_gt(m.coef[MC_F_LA], 1);
	for (i = 0; i < N; i++) {
		double p = mc_risk_predict(&m, &x[i], NULL);
		ck_assert_msg(y[i] ? p > 0.5 : p < 0.5, "row %zu: la %g, p %g", i, x[i].v[MC_F_LA], p);
	}
}
END_TEST

static Suite *risk_suite(void)
{
	Suite *s = suite_create("risk");
	TCase *tc = tcase_create("risk");
	tcase_add_test(tc, refit_on_reference_data_is_the_shipped_model);
	tcase_add_test(tc, auc_of_hand_computed_cases);
	tcase_add_test(tc, auc_is_nan_when_undefined);
	tcase_add_test(tc, auc_matches_pairwise_count_with_many_ties);
	tcase_add_test(tc, brier_is_the_mean_squared_error);
	tcase_add_test(tc, contributions_are_ordered_and_add_up);
	tcase_add_test(tc, contribution_ties_keep_feature_order);
	tcase_add_test(tc, fit_rejects_bad_input_with_a_message);
	tcase_add_test(tc, fit_recovers_a_known_model);
	tcase_add_test(tc, constant_feature_is_dropped);
	tcase_add_test(tc, separable_data_needs_a_penalty);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return mc_test_run(risk_suite());
}
