/*
 * Correlation and the non-negative least-squares refit (calibrate.h). The
 * inputs are a portfolio's realized values (tens to thousands of rows) and
 * four weights, so clarity wins over speed: ranks by sorting, NNLS by
 * enumerating supports.
 */
#include "model/calibrate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/error.h"

double mc_calibrate_pearson(const double *x, const double *y, size_t n)
{
	double mx = 0, my = 0, sxx = 0, syy = 0, sxy = 0;
	size_t i;

	if (n < 3)
		return NAN;
	for (i = 0; i < n; i++) {
		mx += x[i];
		my += y[i];
	}
	mx /= (double)n;
	my /= (double)n;
	/* Two passes (means first): sums of squared deviations do not cancel. */
	for (i = 0; i < n; i++) {
		sxx += (x[i] - mx) * (x[i] - mx);
		syy += (y[i] - my) * (y[i] - my);
		sxy += (x[i] - mx) * (y[i] - my);
	}
	if (!(sxx > 0) || !(syy > 0))
		return NAN;
	return sxy / sqrt(sxx * syy);
}

struct ranked {
	double value;
	size_t index;
};

static int by_value(const void *a, const void *b)
{
	double x = ((const struct ranked *)a)->value, y = ((const struct ranked *)b)->value;
	return (x > y) - (x < y);
}

void mc_calibrate_ranks(double *ranks, const double *x, size_t n)
{
	struct ranked *r = mc_xcalloc(n ? n : 1, sizeof *r);
	size_t i, j, t;

	for (i = 0; i < n; i++) {
		r[i].value = x[i];
		r[i].index = i;
	}
	qsort(r, n, sizeof *r, by_value);
	/* A run of equal values at sorted positions i..j-1 shares ranks i+1..j: their mean. */
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && r[j].value == r[i].value; j++)
			;
		for (t = i; t < j; t++)
			ranks[r[t].index] = (double)(i + 1 + j) / 2.0;
	}
	free(r);
}

double mc_calibrate_spearman(const double *x, const double *y, size_t n)
{
	double *rx, *ry, rho;

	if (n < 3)
		return NAN;
	rx = mc_xcalloc(n, sizeof *rx);
	ry = mc_xcalloc(n, sizeof *ry);
	mc_calibrate_ranks(rx, x, n);
	mc_calibrate_ranks(ry, y, n);
	rho = mc_calibrate_pearson(rx, ry, n);
	free(rx);
	free(ry);
	return rho;
}

/* ---- NNLS ------------------------------------------------------------------------------ */

/* Solve the m x m symmetric system g w = b in place by Cholesky; -1 when g is not
 * (numerically) positive definite, i.e. the support's columns are dependent. */
static int cholesky_solve(double *g, double *b, size_t m)
{
	size_t i, j, p;

	for (j = 0; j < m; j++) {
		double d = g[j * m + j], scale = d;
		for (p = 0; p < j; p++)
			d -= g[j * m + p] * g[j * m + p];
		if (!(d > 1e-10 * (scale > 0 ? scale : 1)))
			return -1;
		g[j * m + j] = sqrt(d);
		for (i = j + 1; i < m; i++) {
			double s = g[i * m + j];
			for (p = 0; p < j; p++)
				s -= g[i * m + p] * g[j * m + p];
			g[i * m + j] = s / g[j * m + j];
		}
	}
	for (i = 0; i < m; i++) { /* L z = b */
		for (p = 0; p < i; p++)
			b[i] -= g[i * m + p] * b[p];
		b[i] /= g[i * m + i];
	}
	for (i = m; i-- > 0;) { /* L^T w = z */
		for (p = i + 1; p < m; p++)
			b[i] -= g[p * m + i] * b[p];
		b[i] /= g[i * m + i];
	}
	return 0;
}

static double residual_sum_of_squares(const double *w, const double *a, const double *y,
				      size_t n, size_t k)
{
	double rss = 0;
	size_t i, j;
	for (i = 0; i < n; i++) {
		double fit = 0;
		for (j = 0; j < k; j++)
			fit += a[i * k + j] * w[j];
		rss += (y[i] - fit) * (y[i] - fit);
	}
	return rss;
}

/* The least-squares weights on the columns in support (a bit mask) into w (zero
 * elsewhere); -1 when they are not all >= 0 or the columns are dependent. */
static int fit_support(double *w, unsigned support, const double *a, const double *y, size_t n,
		       size_t k)
{
	size_t cols[MC_CALIBRATE_MAX_UNKNOWNS], m = 0, i, p, q;
	double g[MC_CALIBRATE_MAX_UNKNOWNS * MC_CALIBRATE_MAX_UNKNOWNS] = { 0 };
	double b[MC_CALIBRATE_MAX_UNKNOWNS] = { 0 };

	for (p = 0; p < k; p++)
		if (support & (1u << p))
			cols[m++] = p;
	for (i = 0; i < n; i++)
		for (p = 0; p < m; p++) {
			b[p] += a[i * k + cols[p]] * y[i];
			for (q = 0; q < m; q++)
				g[p * m + q] += a[i * k + cols[p]] * a[i * k + cols[q]];
		}
	if (cholesky_solve(g, b, m))
		return -1;
	memset(w, 0, k * sizeof *w);
	for (p = 0; p < m; p++) {
		if (b[p] < 0)
			return -1;
		w[cols[p]] = b[p];
	}
	return 0;
}

int mc_calibrate_nnls(double *w, double *r2, const double *a, const double *y, size_t n,
		      size_t k)
{
	double best_rss, trial[MC_CALIBRATE_MAX_UNKNOWNS], mean = 0, tss = 0;
	unsigned support;
	size_t i;

	if (k == 0 || k > MC_CALIBRATE_MAX_UNKNOWNS || n == 0)
		return mc_error_set(MC_EINVAL, "a weight refit needs 1 to %d unknowns and at least "
				    "one observation", MC_CALIBRATE_MAX_UNKNOWNS);
	for (i = 0; i < n * k; i++)
		if (!isfinite(a[i]))
			return mc_error_set(MC_EINVAL, "a weight refit needs finite inputs");
	for (i = 0; i < n; i++)
		if (!isfinite(y[i]))
			return mc_error_set(MC_EINVAL, "a weight refit needs finite observations");
	memset(w, 0, k * sizeof *w);
	best_rss = residual_sum_of_squares(w, a, y, n, k);
	for (support = 1; support < (1u << k); support++) {
		double rss;
		if (fit_support(trial, support, a, y, n, k))
			continue;
		rss = residual_sum_of_squares(trial, a, y, n, k);
		if (rss < best_rss) {
			best_rss = rss;
			memcpy(w, trial, k * sizeof *w);
		}
	}
	for (i = 0; i < n; i++)
		mean += y[i];
	mean /= (double)n;
	for (i = 0; i < n; i++)
		tss += (y[i] - mean) * (y[i] - mean);
	*r2 = tss > 0 ? 1.0 - best_rss / tss : NAN;
	return 0;
}
