/*
 * The shadow canary's judge: compares a metric's samples from the base and the
 * head of a change the way Kayenta's NetflixACAJudge does (a Mann-Whitney U
 * test, the Hodges-Lehmann estimate of the shift with its distribution-free
 * confidence interval, a tolerance band, a direction of concern), classifies
 * each metric Pass / High / Low / NoData, and turns the classes into a
 * weighted score and a verdict. Pure and deterministic: the same samples and
 * configuration give the same judgement, bit for bit. docs/CONFIG.md (Canary)
 * states the rules for users.
 */
#ifndef MC_MODEL_CANARY_H
#define MC_MODEL_CANARY_H
#include <json-c/json.h>
#include <stddef.h>

#include "model/config.h"

/* Both sides below this size (and no ties): the exact distribution of U. */
#define MC_MW_EXACT_MAX 50

/* What wilcox.test(head, base, conf.int = TRUE, conf.level = c) reports. */
typedef struct mc_mannwhitney {
	double u;         /* head's U: pairs with head > base, a tie counting 1/2 (R's W) */
	double p;         /* two-sided p-value */
	double z;         /* the standardised statistic; 0 when exact */
	int exact;        /* exact distribution (no ties, both sides < MC_MW_EXACT_MAX) */
	double estimate;  /* Hodges-Lehmann: median of all differences head - base */
	double ci_low, ci_high; /* order statistics of the differences covering the shift */
} mc_mannwhitney;

/*
 * Test head against base (nb, nh >= 1, every value finite and |v| <= 1e100).
 * confidence in [0.5, 1). MC_EINVAL otherwise. Uses O(nb + nh) memory: the
 * nb * nh differences are never stored, their order statistics are selected.
 */
int mc_mannwhitney_test(mc_mannwhitney *out, const double *base, size_t nb, const double *head,
			size_t nh, double confidence);

/* The k-th smallest (1-based) of the differences y[i] - x[j], x and y sorted
 * ascending. Exposed for tests. */
double mc_canary_kth_difference(const double *x, size_t nx, const double *y, size_t ny,
				unsigned long long k);
/* The standard normal quantile (inverse of the distribution function), p in (0, 1). */
double mc_canary_normal_quantile(double p);

typedef enum mc_canary_class {
	MC_CANARY_PASS = 0,
	MC_CANARY_HIGH,
	MC_CANARY_LOW,
	MC_CANARY_NODATA,
} mc_canary_class;

typedef enum mc_canary_verdict {
	MC_CANARY_VERDICT_PASS = 0,
	MC_CANARY_VERDICT_MARGINAL,
	MC_CANARY_VERDICT_FAIL,
} mc_canary_verdict;

/* One metric's samples on both sides (either may be empty). */
typedef struct mc_canary_series {
	const char *name;
	const double *base;
	size_t nbase;
	const double *head;
	size_t nhead;
} mc_canary_series;

typedef struct mc_canary_metric_result {
	char *name;
	char *group;                 /* the metric's group, or its own name */
	mc_canary_direction direction;
	double tolerance, weight;
	int critical;
	mc_canary_nodata nodata;
	size_t nbase, nhead;
	double base_median, head_median; /* NaN without data */
	int tested;                  /* mw holds a test */
	mc_mannwhitney mw;
	double effect, effect_low, effect_high; /* shift / |base median|; NaN when that is 0 */
	mc_canary_class cls;
	int counted;                 /* counts in the score (not an ignored NoData) */
	int failing;                 /* High, Low, or NoData under nodata = fail */
	char reason[256];
} mc_canary_metric_result;

typedef struct mc_canary_judgement {
	mc_canary_metric_result *metrics; /* configured order, else by name */
	size_t nmetrics;
	char **unjudged;             /* metrics in the samples that canary.metrics does not list */
	size_t nunjudged;
	double score;                /* 0..100 */
	mc_canary_verdict verdict;
	double pass_score, marginal_score, confidence;
	char reason[512];
} mc_canary_judgement;

/*
 * Judge the series under cfg. A configured metric with no series is judged
 * with no data. MC_EINVAL when a series holds a value the test refuses.
 */
int mc_canary_judge(mc_canary_judgement *out, const mc_canary_config *cfg,
		    const mc_canary_series *series, size_t nseries);
void mc_canary_judgement_free(mc_canary_judgement *j);

const char *mc_canary_class_name(mc_canary_class c);     /* "Pass", "High", "Low", "NoData" */
const char *mc_canary_verdict_name(mc_canary_verdict v); /* "pass", "marginal", "fail" */

/* The judgement as the JSON document of `maestro canary judge --format json`
 * and the Decision Card's canary section. */
struct json_object *mc_canary_judgement_to_json(const mc_canary_judgement *j);
/* The judgement back from mc_canary_judgement_to_json's document (a verdict kept for a
 * later review of the same head): to_json of the result gives the same document.
 * MC_EINVAL when the document is not one. Free with mc_canary_judgement_free. */
int mc_canary_judgement_from_json(mc_canary_judgement *out, struct json_object *doc);

#endif
