/*
 * Calibration statistics for the value model (`maestro score calibrate`):
 * how well predicted value tracks the value work items actually delivered
 * (Pearson and Spearman correlation), and a refit of the value weights by
 * non-negative least squares. Pure: arrays in, numbers out.
 */
#ifndef MC_MODEL_CALIBRATE_H
#define MC_MODEL_CALIBRATE_H
#include <stddef.h>

/* The most unknowns mc_calibrate_nnls solves for (it enumerates 2^k supports). */
#define MC_CALIBRATE_MAX_UNKNOWNS 8

/* Pearson's correlation of x and y; NaN when n < 3 or either has zero variance. */
double mc_calibrate_pearson(const double *x, const double *y, size_t n);

/* Spearman's rank correlation: Pearson's on the ranks, tied values sharing the average
 * of their ranks; NaN when n < 3 or either has zero variance (all tied). */
double mc_calibrate_spearman(const double *x, const double *y, size_t n);

/* The ranks (1-based, ties averaged) of x[0..n) into ranks. */
void mc_calibrate_ranks(double *ranks, const double *x, size_t n);

/*
 * Non-negative least squares without intercept: the w >= 0 that minimises
 * sum_i (y[i] - sum_j a[i*k + j] * w[j])^2, with a row-major (n rows, k columns).
 * Exact for small k: the optimum is the unconstrained least-squares fit on its own
 * support, so every support (2^k of them) is fitted by the normal equations
 * (Cholesky; a support whose columns are linearly dependent is skipped, as one of
 * its subsets fits as well) and the best fit with no negative weight wins. The
 * empty support (all zero) is always admissible, so there is always an answer.
 * *r2 receives 1 - RSS/TSS (TSS about y's mean; without an intercept it can be
 * negative), NaN when y has zero variance. MC_EINVAL when k is 0 or above
 * MC_CALIBRATE_MAX_UNKNOWNS, n is 0, or an input is not finite.
 */
int mc_calibrate_nnls(double *w, double *r2, const double *a, const double *y, size_t n,
		      size_t k);

#endif
