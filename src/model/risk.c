/*
 * Logistic regression for change risk (risk.h): the feature transform,
 * prediction with per-feature contributions, an L2-regularised Newton fit, and
 * the two figures the fit is judged by (ROC AUC and Brier score).
 *
 * The fit works on a dense copy of the standardised active features, an n x k
 * matrix with k <= 14, so each Newton step is one pass over the rows to build
 * the gradient and the (k+1) x (k+1) Hessian and a Cholesky solve. On the 46k
 * reference rows that is a few milliseconds per step and converges in under
 * ten steps. Every sum runs in row order, so the result is reproducible bit
 * for bit.
 */
#include "model/risk.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/error.h"

/* Bit-for-bit results need every a * b + c rounded twice, as written: a fused
 * multiply-add would change the last bits. GCC in ISO C mode never fuses; clang
 * fuses by default where the CPU has FMA, and this pragma stops it. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

#define NPARAM_MAX (MC_FEATURE_COUNT + 1)
/* A standardised coefficient moving by less than this has converged. */
#define STEP_TOLERANCE 1e-9
/* Or the Newton decrement g'H^-1 g, twice the objective's remaining descent, is at
 * the rounding level of an O(1) mean log-loss: the step is rounding noise then, and
 * can stay just above STEP_TOLERANCE when features are nearly collinear. */
#define DECREMENT_TOLERANCE 1e-15
/* Relative spread below which a column counts as constant (rounding in the mean). */
#define CONSTANT_TOLERANCE 1e-12
#define MAX_HALVINGS 40
/* |logit| beyond which a probability is 0 or 1 to double precision: sigmoid(36) is
 * within 2.3e-16 of 1. An unpenalised fit that puts a row there has followed the
 * classes' separation towards infinite coefficients rather than found an optimum. */
#define SATURATED_LOGIT 36.0

void mc_risk_fit_options_init(mc_risk_fit_options *opt)
{
	opt->lambda = MC_RISK_DEFAULT_LAMBDA;
	opt->max_iter = 100;
	opt->feature_mask = MC_RISK_ALL_FEATURES;
}

/* log1p of the non-negative part; a non-finite value counts as 0. */
static double transform(double x)
{
	return isfinite(x) && x > 0 ? log1p(x) : 0.0;
}

static double sigmoid(double eta)
{
	if (eta >= 0)
		return 1.0 / (1.0 + exp(-eta));
	double e = exp(eta);
	return e / (1.0 + e);
}

/* log(1 + exp(eta)) without overflow. */
static double softplus(double eta)
{
	return eta > 0 ? eta + log1p(exp(-eta)) : log1p(exp(eta));
}

double mc_risk_predict(const mc_risk_model *m, const mc_change_features *x,
		       mc_risk_contribution *contributions)
{
	mc_risk_contribution c[MC_FEATURE_COUNT];
	double eta = m->intercept;
	int f, i, j;

	for (f = 0; f < MC_FEATURE_COUNT; f++) {
		double logit = 0;
		if (m->std[f] > 0)
			logit = m->coef[f] * (transform(x->v[f]) - m->mean[f]) / m->std[f];
		c[f].feature = f;
		c[f].value = x->v[f];
		c[f].logit = logit;
		eta += logit;
	}
	if (contributions) {
		/* Insertion sort: stable, so equal |logit| keep feature order. */
		for (i = 1; i < MC_FEATURE_COUNT; i++) {
			mc_risk_contribution t = c[i];
			for (j = i; j > 0 && fabs(c[j - 1].logit) < fabs(t.logit); j--)
				c[j] = c[j - 1];
			c[j] = t;
		}
		memcpy(contributions, c, sizeof c);
	}
	return sigmoid(eta);
}

static int check_options(const mc_risk_fit_options *opt)
{
	if (!isfinite(opt->lambda) || opt->lambda < 0)
		return mc_error_set(MC_EINVAL, "lambda must be a finite number >= 0, not %g",
				    opt->lambda);
	if (opt->max_iter < 1)
		return mc_error_set(MC_EINVAL, "max_iter must be at least 1, not %d", opt->max_iter);
	if (opt->feature_mask == 0 || (opt->feature_mask & ~MC_RISK_ALL_FEATURES))
		return mc_error_set(MC_EINVAL, "feature mask 0x%x selects no feature or an unknown one",
				    opt->feature_mask);
	return 0;
}

/* Labels are 0/1, the used features are finite and both classes are present. */
static int check_rows(const mc_change_features *x, const unsigned char *y, size_t n,
		      unsigned mask)
{
	size_t i, positives = 0;
	int f;

	if (n == 0)
		return mc_error_set(MC_EINVAL, "no training rows");
	for (i = 0; i < n; i++) {
		if (y[i] > 1)
			return mc_error_set(MC_EINVAL, "row %zu: label %u is not 0 or 1", i, y[i]);
		positives += y[i];
		for (f = 0; f < MC_FEATURE_COUNT; f++)
			if ((mask & (1u << f)) && !isfinite(x[i].v[f]))
				return mc_error_set(MC_EINVAL, "row %zu: %s is not a finite number", i,
						    mc_feature_name((enum mc_feature)f));
	}
	if (positives == 0 || positives == n)
		return mc_error_set(MC_EINVAL, "the %zu training rows are all %s; a model needs both classes",
				    n, positives ? "defect-inducing" : "clean");
	return 0;
}

/* Mean and population std of each masked feature after the transform (two passes). */
static void standardisation(mc_risk_model *m, const mc_change_features *x, size_t n,
			    unsigned mask)
{
	size_t i;
	int f;

	for (f = 0; f < MC_FEATURE_COUNT; f++) {
		double sum = 0, ss = 0, mean, sd;
		m->mean[f] = 0;
		m->std[f] = 0;
		if (!(mask & (1u << f)))
			continue;
		for (i = 0; i < n; i++)
			sum += transform(x[i].v[f]);
		mean = sum / (double)n;
		for (i = 0; i < n; i++) {
			double d = transform(x[i].v[f]) - mean;
			ss += d * d;
		}
		sd = sqrt(ss / (double)n);
		m->mean[f] = mean;
		m->std[f] = sd > CONSTANT_TOLERANCE * fmax(1.0, fabs(mean)) ? sd : 0;
	}
}

/* The fitting problem: design matrix rows [1, z_1 .. z_k] of the active features. */
struct problem {
	const unsigned char *y;
	double *z;     /* n x k, row-major */
	size_t n;
	int k;         /* active features */
	int active[MC_FEATURE_COUNT];
	double lambda;
};

static double linear_predictor(const struct problem *pb, const double *beta, size_t i)
{
	const double *zi = pb->z + i * (size_t)pb->k;
	double eta = beta[0];
	int j;
	for (j = 0; j < pb->k; j++)
		eta += beta[j + 1] * zi[j];
	return eta;
}

/* Mean log-loss plus lambda/2 |coef|^2. */
static double objective(const struct problem *pb, const double *beta)
{
	double loss = 0, penalty = 0;
	size_t i;
	int j;
	for (i = 0; i < pb->n; i++) {
		double eta = linear_predictor(pb, beta, i);
		loss += softplus(eta) - (pb->y[i] ? eta : 0);
	}
	for (j = 1; j <= pb->k; j++)
		penalty += beta[j] * beta[j];
	return loss / (double)pb->n + 0.5 * pb->lambda * penalty;
}

/* Gradient g and Hessian h (p x p, p = k + 1) of the objective at beta. */
static void derivatives(const struct problem *pb, const double *beta, double *g, double *h)
{
	int p = pb->k + 1, a, b;
	double row[NPARAM_MAX];
	size_t i;

	memset(g, 0, sizeof(double) * (size_t)p);
	memset(h, 0, sizeof(double) * (size_t)(p * p));
	row[0] = 1;
	for (i = 0; i < pb->n; i++) {
		double mu = sigmoid(linear_predictor(pb, beta, i));
		double r = mu - pb->y[i], w = mu * (1 - mu);
		memcpy(row + 1, pb->z + i * (size_t)pb->k, sizeof(double) * (size_t)pb->k);
		for (a = 0; a < p; a++) {
			g[a] += r * row[a];
			for (b = 0; b <= a; b++)
				h[a * p + b] += w * row[a] * row[b];
		}
	}
	for (a = 0; a < p; a++) {
		g[a] /= (double)pb->n;
		for (b = 0; b <= a; b++) {
			h[a * p + b] /= (double)pb->n;
			h[b * p + a] = h[a * p + b];
		}
	}
	for (a = 1; a < p; a++) {
		g[a] += pb->lambda * beta[a];
		h[a * p + a] += pb->lambda;
	}
}

/* Solve h d = g by Cholesky; h is overwritten. Fails when h is not positive definite. */
static int cholesky_solve(double *h, const double *g, double *d, int p)
{
	int i, j, k;
	for (j = 0; j < p; j++) {
		double s = h[j * p + j];
		for (k = 0; k < j; k++)
			s -= h[j * p + k] * h[j * p + k];
		if (!(s > 0))
			return -1;
		h[j * p + j] = sqrt(s);
		for (i = j + 1; i < p; i++) {
			double t = h[i * p + j];
			for (k = 0; k < j; k++)
				t -= h[i * p + k] * h[j * p + k];
			h[i * p + j] = t / h[j * p + j];
		}
	}
	for (i = 0; i < p; i++) { /* L u = g */
		double s = g[i];
		for (k = 0; k < i; k++)
			s -= h[i * p + k] * d[k];
		d[i] = s / h[i * p + i];
	}
	for (i = p - 1; i >= 0; i--) { /* L^T d = u */
		double s = d[i];
		for (k = i + 1; k < p; k++)
			s -= h[k * p + i] * d[k];
		d[i] = s / h[i * p + i];
	}
	return 0;
}

/* Damped Newton from beta (in place). Returns 0 when the step fell below tolerance. */
static int newton(const struct problem *pb, double *beta, int max_iter)
{
	double g[NPARAM_MAX], h[NPARAM_MAX * NPARAM_MAX], d[NPARAM_MAX], trial[NPARAM_MAX];
	int p = pb->k + 1, iter, j, halvings;

	for (iter = 0; iter < max_iter; iter++) {
		double f0, slope = 0, largest = 0, t = 1;
		derivatives(pb, beta, g, h);
		if (cholesky_solve(h, g, d, p))
			return mc_error_set(MC_EINVAL, "the features are collinear or separate the "
					    "classes perfectly; fit with lambda > 0");
		for (j = 0; j < p; j++) {
			slope += g[j] * d[j];
			largest = fmax(largest, fabs(d[j]));
		}
		if (largest < STEP_TOLERANCE || slope < DECREMENT_TOLERANCE) {
			for (j = 0; j < p; j++)
				beta[j] -= d[j];
			return 0;
		}
		/* Armijo backtracking keeps every step a descent, far from the optimum too. */
		f0 = objective(pb, beta);
		for (halvings = 0; halvings < MAX_HALVINGS; halvings++, t *= 0.5) {
			for (j = 0; j < p; j++)
				trial[j] = beta[j] - t * d[j];
			if (objective(pb, trial) <= f0 - 1e-4 * t * slope)
				break;
		}
		if (halvings == MAX_HALVINGS)
			return 0; /* no representable descent left: at the optimum to rounding */
		memcpy(beta, trial, sizeof(double) * (size_t)p);
	}
	return mc_error_set(MC_EINVAL, "Newton's method did not converge in %d iterations", max_iter);
}

/*
 * Without a penalty, data that a linear score separates (completely, or but for
 * ties on the boundary) has no finite optimum: Newton's method walks the
 * coefficients outwards until the loss of the separated rows underflows and then
 * stops as if converged. Such a stop leaves those rows at probability 0 or 1.
 */
static int check_not_separated(const struct problem *pb, const double *beta)
{
	size_t i;
	for (i = 0; i < pb->n; i++) {
		double eta = linear_predictor(pb, beta, i);
		if (!(fabs(eta) < SATURATED_LOGIT))
			return mc_error_set(MC_EINVAL, "the features separate the classes (row %zu is "
					    "fitted with probability %d), so the fit without a "
					    "penalty has no finite optimum; fit with lambda > 0",
					    i, eta > 0 ? 1 : 0);
	}
	return 0;
}

int mc_risk_fit(mc_risk_model *out, const mc_change_features *x, const unsigned char *y,
		size_t n, const mc_risk_fit_options *opt)
{
	mc_risk_fit_options defaults;
	struct problem pb = { 0 };
	double beta[NPARAM_MAX] = { 0 };
	size_t i, positives = 0;
	int f, j, rc;

	memset(out, 0, sizeof *out);
	if (!opt) {
		mc_risk_fit_options_init(&defaults);
		opt = &defaults;
	}
	if ((rc = check_options(opt)) || (rc = check_rows(x, y, n, opt->feature_mask)))
		return rc;
	standardisation(out, x, n, opt->feature_mask);
	for (f = 0; f < MC_FEATURE_COUNT; f++)
		if (out->std[f] > 0)
			pb.active[pb.k++] = f;
	pb.y = y;
	pb.n = n;
	pb.lambda = opt->lambda;
	pb.z = mc_xmalloc(sizeof(double) * (pb.k ? n * (size_t)pb.k : 1));
	for (i = 0; i < n; i++) {
		positives += y[i];
		for (j = 0; j < pb.k; j++) {
			f = pb.active[j];
			pb.z[i * (size_t)pb.k + j] = (transform(x[i].v[f]) - out->mean[f]) / out->std[f];
		}
	}
	/* Start from the base rate: the optimum when no feature helps. */
	beta[0] = log((double)positives / (double)(n - positives));
	rc = newton(&pb, beta, opt->max_iter);
	if (!rc && pb.lambda == 0)
		rc = check_not_separated(&pb, beta);
	free(pb.z);
	if (rc) {
		memset(out, 0, sizeof *out);
		return rc;
	}
	out->intercept = beta[0];
	for (j = 0; j < pb.k; j++)
		out->coef[pb.active[j]] = beta[j + 1];
	out->lambda = opt->lambda;
	out->rows = n;
	out->source = NULL;
	return 0;
}

struct scored {
	double score;
	unsigned char y;
};

static int by_score(const void *a, const void *b)
{
	double x = ((const struct scored *)a)->score, y = ((const struct scored *)b)->score;
	return (x > y) - (x < y);
}

double mc_risk_auc(const double *score, const unsigned char *y, size_t n)
{
	struct scored *s;
	double positives = 0, rank_sum = 0;
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (isnan(score[i]))
			return NAN;
		positives += y[i] ? 1 : 0;
	}
	if (n == 0 || positives == 0 || positives == (double)n)
		return NAN;
	s = mc_xmalloc(sizeof *s * n);
	for (i = 0; i < n; i++) {
		s[i].score = score[i];
		s[i].y = y[i] ? 1 : 0;
	}
	qsort(s, n, sizeof *s, by_score);
	/* Rows i..j-1 share a score and so the average of ranks i+1..j. */
	for (i = 0; i < n; i = j) {
		double group_positives = 0;
		for (j = i; j < n && s[j].score == s[i].score; j++)
			group_positives += s[j].y;
		rank_sum += group_positives * ((double)(i + 1) + (double)j) / 2.0;
	}
	free(s);
	return (rank_sum - positives * (positives + 1) / 2.0) /
	       (positives * ((double)n - positives));
}

double mc_risk_brier(const double *p, const unsigned char *y, size_t n)
{
	double sum = 0;
	size_t i;
	if (n == 0)
		return NAN;
	for (i = 0; i < n; i++) {
		double d = p[i] - (y[i] ? 1.0 : 0.0);
		sum += d * d;
	}
	return sum / (double)n;
}
