/*
 * The risk model: the probability that a change induces a defect, from the
 * fourteen Kamei change features (features.h), by logistic regression.
 *
 * A feature enters the model as z = (log1p(max(x, 0)) - mean) / std: the log
 * tames the heavy tails of size and experience counts (Kamei et al., TSE 2013,
 * do the same) and standardising makes one L2 penalty fair to every feature and
 * makes each coefficient read as "logit per standard deviation". A feature with
 * std 0 is not in the model (constant in the training data, or masked out) and
 * its coefficient is 0.
 *
 * Fitting is Newton's method (IRLS) on the mean log-loss plus lambda/2 * |coef|^2
 * (the intercept is not penalised). It runs single-threaded in a fixed order
 * with no randomness, so the same rows in the same order give the same model
 * bit for bit; that is how src/model/risk_defaults.c, the model Maestro ships,
 * is regenerated exactly by `maestro risk fit --write-defaults`.
 *
 * Pure: no I/O. The CSV of the training data is read by adapters/dataset/jit_csv.
 */
#ifndef MC_MODEL_RISK_H
#define MC_MODEL_RISK_H
#include <stddef.h>

#include "model/features.h"

typedef struct mc_risk_model {
	double mean[MC_FEATURE_COUNT]; /* of log1p(max(x, 0)) over the training rows */
	double std[MC_FEATURE_COUNT];  /* population std of the same; 0 = feature not used */
	double coef[MC_FEATURE_COUNT]; /* logit per standard deviation */
	double intercept;              /* logit at the training mean */
	double lambda;                 /* the L2 penalty it was fitted with */
	size_t rows;                   /* training rows */
	const char *source;            /* where the coefficients come from (static string) */
} mc_risk_model;

typedef struct mc_risk_contribution {
	int feature;  /* enum mc_feature */
	double value; /* the raw feature value of the change */
	double logit; /* coef * standardised value: this feature's push away from the training mean */
} mc_risk_contribution;

#define MC_RISK_ALL_FEATURES ((1u << MC_FEATURE_COUNT) - 1u)
#define MC_RISK_DEFAULT_LAMBDA 1e-4

typedef struct mc_risk_fit_options {
	double lambda;         /* L2 penalty on the mean log-loss, >= 0 */
	int max_iter;          /* Newton iterations, >= 1 */
	unsigned feature_mask; /* bit f set = feature f may enter the model (1u << MC_F_LA: LApredict) */
} mc_risk_fit_options;

/* lambda MC_RISK_DEFAULT_LAMBDA, 100 iterations, every feature. */
void mc_risk_fit_options_init(mc_risk_fit_options *opt);

/* The model Maestro ships, generated into risk_defaults.c from the reference data. */
const mc_risk_model *mc_risk_default(void);

/*
 * Probability in [0, 1] that the change is defect-inducing. When contributions
 * is not NULL it receives MC_FEATURE_COUNT entries, largest |logit| first (ties
 * by feature order); unused features have logit 0. Non-finite feature values
 * count as 0.
 */
double mc_risk_predict(const mc_risk_model *m, const mc_change_features *x,
		       mc_risk_contribution *contributions);

/*
 * Fit on n rows (y[i] is 0 or 1). opt may be NULL for the defaults. Fails with
 * MC_EINVAL (and a message naming the row or option) when n is 0, only one
 * class is present, a label is not 0/1, a feature is NaN or infinite, an option
 * is out of range, Newton's method does not converge, or lambda is 0 and the
 * features separate the classes (no finite optimum). A constant feature
 * is dropped (std 0, coef 0) rather than failing. out->source is set to NULL;
 * the caller describes the data.
 */
int mc_risk_fit(mc_risk_model *out, const mc_change_features *x, const unsigned char *y,
		size_t n, const mc_risk_fit_options *opt);

/*
 * Area under the ROC curve by the Mann-Whitney statistic with average ranks
 * for tied scores (a tie between a defect and a clean change counts 1/2).
 * NaN when n is 0, when only one class is present or when a score is NaN.
 */
double mc_risk_auc(const double *score, const unsigned char *y, size_t n);
/* Mean squared error of probabilities: mean (p - y)^2; NaN when n is 0. */
double mc_risk_brier(const double *p, const unsigned char *y, size_t n);

#endif
