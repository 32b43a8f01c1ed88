/*
 * The shadow canary's judge (canary.h).
 *
 * Statistics follow R's wilcox.test(head, base, conf.int = TRUE) so that any
 * result can be checked against R: U is head's rank sum minus nh(nh+1)/2 with
 * mid-ranks for ties; the p-value is exact (the distribution of U counted by
 * the recurrence of R's cwilcox) when both sides have fewer than 50 samples
 * and nothing ties, and otherwise the normal approximation with the tie
 * correction of the variance and a continuity correction of 1/2. The
 * Hodges-Lehmann estimate is the median of the nb * nh differences head - base
 * and the interval is two of their order statistics: exactly R's in the exact
 * case (qwilcox), and in the normal case the order statistics the same
 * approximation picks (R instead solves for a continuous root there, so its
 * interval may differ by less than one step between differences).
 *
 * The differences are never stored: an order statistic is found by bisecting
 * on the value and counting the differences below it in O(nb + nh) (both sides
 * sorted), until few enough remain between the bounds to enumerate them.
 *
 * Classification and scoring are Kayenta's (MannWhitneyClassifier and
 * WeightedSumScorer), with the tolerance band relative to the base's median.
 */
#include "model/canary.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/error.h"
#include "util/json.h"

/* Sample values beyond this would let differences overflow. */
#define MC_CANARY_VALUE_MAX 1e100
/* Bisection stops when this many differences (or fewer) lie between its bounds. */
#define ENUMERATE_MAX 65536

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double *sorted_copy(const double *v, size_t n)
{
	double *c = mc_xmalloc((n ? n : 1) * sizeof *c);
	if (n)
		memcpy(c, v, n * sizeof *c);
	qsort(c, n, sizeof *c, cmp_double);
	return c;
}

static double median_sorted(const double *v, size_t n)
{
	if (!n)
		return NAN;
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- order statistics of the differences y[i] - x[j] ---- */

/* How many differences are <= d. For fixed i, y[i] - x[j] does not increase
 * with j (floating-point subtraction is monotone), so the j that qualify are a
 * suffix, and that suffix starts later as i grows. */
static unsigned long long count_le(const double *x, size_t nx, const double *y, size_t ny, double d)
{
	unsigned long long count = 0;
	size_t i, p = 0;
	for (i = 0; i < ny; i++) {
		while (p < nx && y[i] - x[p] > d)
			p++;
		count += nx - p;
	}
	return count;
}

/* The differences in (lo, hi], sorted. */
static double *collect_between(const double *x, size_t nx, const double *y, size_t ny, double lo,
			       double hi, size_t n)
{
	double *out = mc_xmalloc((n ? n : 1) * sizeof *out);
	size_t i, j, p_hi = 0, p_lo = 0, k = 0;
	for (i = 0; i < ny; i++) {
		while (p_hi < nx && y[i] - x[p_hi] > hi)
			p_hi++;
		while (p_lo < nx && y[i] - x[p_lo] > lo)
			p_lo++;
		for (j = p_hi; j < p_lo && k < n; j++)
			out[k++] = y[i] - x[j];
	}
	qsort(out, k, sizeof *out, cmp_double);
	return out;
}

double mc_canary_kth_difference(const double *x, size_t nx, const double *y, size_t ny,
				unsigned long long k)
{
	double lo = y[0] - x[nx - 1], hi = y[ny - 1] - x[0];
	unsigned long long below, upto;
	int iter;

	below = count_le(x, nx, y, ny, lo);
	if (below >= k)
		return lo;
	upto = (unsigned long long)nx * ny;
	/* invariant: below = count(<= lo) < k <= count(<= hi) = upto */
	for (iter = 0; iter < 4096; iter++) {
		double mid, *between, v;
		unsigned long long c;
		if (upto - below <= ENUMERATE_MAX) {
			between = collect_between(x, nx, y, ny, lo, hi, (size_t)(upto - below));
			v = between[k - below - 1];
			free(between);
			return v;
		}
		mid = lo / 2 + hi / 2;
		if (!(lo < mid && mid < hi))
			return hi; /* adjacent doubles: every difference in (lo, hi] is hi */
		c = count_le(x, nx, y, ny, mid);
		if (c >= k) {
			hi = mid;
			upto = c;
		} else {
			lo = mid;
			below = c;
		}
	}
	return hi; /* unreachable: doubles run out of room long before */
}

/* ---- the normal distribution ---- */

static double normal_cdf(double z)
{
	return 0.5 * erfc(-z / sqrt(2.0));
}

/* Acklam's rational approximation, then one Halley step against erfc, which
 * brings it to full double precision. */
double mc_canary_normal_quantile(double p)
{
	static const double a[] = { -3.969683028665376e+01, 2.209460984245205e+02,
				    -2.759285104469687e+02, 1.383577518672690e+02,
				    -3.066479806614716e+01, 2.506628277459239e+00 };
	static const double b[] = { -5.447609879822406e+01, 1.615858368580409e+02,
				    -1.556989798598866e+02, 6.680131188771972e+01,
				    -1.328068155288572e+01 };
	static const double c[] = { -7.784894002430293e-03, -3.223964580411365e-01,
				    -2.400758277161838e+00, -2.549732539343734e+00,
				    4.374664141464968e+00, 2.938163982698783e+00 };
	static const double d[] = { 7.784695709041462e-03, 3.224671290700398e-01,
				    2.445134137142996e+00, 3.754408661907416e+00 };
	double q, r, x, e, u;
	if (p <= 0)
		return -INFINITY;
	if (p >= 1)
		return INFINITY;
	if (p < 0.02425) {
		q = sqrt(-2 * log(p));
		x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
		    ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
	} else if (p <= 1 - 0.02425) {
		q = p - 0.5;
		r = q * q;
		x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
		    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
	} else {
		q = sqrt(-2 * log(1 - p));
		x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
		    ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
	}
	e = normal_cdf(x) - p;
	u = e * 2.5066282746310002 * exp(x * x / 2); /* sqrt(2 pi) */
	return x - u / (1 + x * u / 2);
}

/* ---- the exact distribution of U ---- */

/*
 * counts[k] = number of orderings of m head and n base values (no ties) in
 * which head's U equals k, k = 0..m*n, by R's cwilcox recurrence
 * f(k; i, j) = f(k - j; i - 1, j) + f(k; i, j - 1): the largest value is a head
 * value beating all j base values, or a base value beating none. Only
 * additions, so the tails keep their relative precision.
 */
static double *exact_u_counts(size_t m, size_t n)
{
	size_t width = m * n + 1, i, j, k;
	double *f = mc_xcalloc((m + 1) * width, sizeof *f), *counts;
	for (i = 0; i <= m; i++)
		f[i * width] = 1; /* j = 0: no base values, U = 0 */
	for (j = 1; j <= n; j++)
		for (i = 1; i <= m; i++)
			for (k = m * n; k + 1 > j; k--)
				f[i * width + k] += f[(i - 1) * width + k - j];
	counts = mc_xmalloc(width * sizeof *counts);
	memcpy(counts, f + m * width, width * sizeof *counts);
	free(f);
	return counts;
}

/* ---- the test ---- */

typedef struct ranks {
	double u;
	double tie_term; /* sum over tie groups of t^3 - t */
	int ties;
} ranks;

/* Head's U from mid-ranks of the pooled sorted samples. */
static ranks rank_sum(const double *x, size_t nx, const double *y, size_t ny)
{
	ranks r = { 0, 0, 0 };
	size_t i = 0, j = 0, pos = 0;
	double head_rank_sum = 0;
	while (i < nx || j < ny) {
		double v = (j >= ny || (i < nx && x[i] <= y[j])) ? x[i] : y[j];
		size_t tx = 0, ty = 0, t;
		while (i < nx && x[i] == v) {
			i++;
			tx++;
		}
		while (j < ny && y[j] == v) {
			j++;
			ty++;
		}
		t = tx + ty;
		/* ranks pos+1 .. pos+t share their mean */
		head_rank_sum += (double)ty * ((double)pos + ((double)t + 1) / 2);
		if (t > 1) {
			r.ties = 1;
			r.tie_term += (double)t * t * t - (double)t;
		}
		pos += t;
	}
	r.u = head_rank_sum - (double)ny * ((double)ny + 1) / 2;
	return r;
}

static int check_values(const double *v, size_t n, const char *side)
{
	size_t i;
	if (!n)
		return mc_error_set(MC_EINVAL, "Mann-Whitney test: no %s samples", side);
	for (i = 0; i < n; i++)
		if (!isfinite(v[i]) || fabs(v[i]) > MC_CANARY_VALUE_MAX)
			return mc_error_set(MC_EINVAL, "Mann-Whitney test: %s sample %zu is not a finite "
					    "number of magnitude at most 1e100", side, i + 1);
	return 0;
}

static void exact_test(mc_mannwhitney *out, const double *x, size_t nx, const double *y, size_t ny,
		       double alpha)
{
	size_t mn = nx * ny, k, qu;
	double *cdf = exact_u_counts(ny, nx), total, p;
	/* counts -> P(U <= k) */
	for (k = 1; k <= mn; k++)
		cdf[k] += cdf[k - 1];
	total = cdf[mn];
	for (k = 0; k <= mn; k++)
		cdf[k] /= total;
	/* R: p <- if (W > mn/2) P(U >= W) else P(U <= W); min(2p, 1) */
	if (out->u > (double)mn / 2)
		p = cdf[mn - (size_t)out->u]; /* P(U >= W) = P(U <= mn - W): U is symmetric */
	else
		p = cdf[(size_t)out->u];
	out->p = fmin(2 * p, 1);
	/* R: qu <- qwilcox(alpha/2), the smallest q with P(U <= q) >= alpha/2;
	 * the interval is the qu-th and the (mn - qu + 1)-th difference. */
	for (qu = 0; qu < mn && cdf[qu] < alpha / 2; qu++)
		;
	if (qu == 0)
		qu = 1;
	out->ci_low = mc_canary_kth_difference(x, nx, y, ny, qu);
	out->ci_high = mc_canary_kth_difference(x, nx, y, ny, mn - qu + 1);
	out->exact = 1;
	free(cdf);
}

static void normal_test(mc_mannwhitney *out, const double *x, size_t nx, const double *y, size_t ny,
			double alpha, double tie_term)
{
	double mn = (double)nx * ny, n = (double)nx + ny;
	double sigma = sqrt(mn / 12 * ((n + 1) - tie_term / (n * (n - 1))));
	double dz = out->u - mn / 2, correction = dz > 0 ? 0.5 : dz < 0 ? -0.5 : 0;
	double zq = mc_canary_normal_quantile(1 - alpha / 2), kd;
	unsigned long long k, total = (unsigned long long)nx * ny;

	out->exact = 0;
	if (sigma > 0) {
		out->z = (dz - correction) / sigma;
		out->p = fmin(1, 2 * fmin(normal_cdf(out->z), normal_cdf(-out->z)));
	} else {
		out->z = 0; /* every value ties: no evidence of a shift */
		out->p = 1;
	}
	/* The k-th difference is the lower bound when P(U <= k - 1) <= alpha/2,
	 * with the same continuity correction: k <= mn/2 + 1/2 - zq * sigma. */
	kd = floor(mn / 2 + 0.5 - zq * sigma);
	k = kd < 1 ? 1 : (unsigned long long)kd;
	if (k > (total + 1) / 2)
		k = (total + 1) / 2;
	out->ci_low = mc_canary_kth_difference(x, nx, y, ny, k);
	out->ci_high = mc_canary_kth_difference(x, nx, y, ny, total - k + 1);
}

int mc_mannwhitney_test(mc_mannwhitney *out, const double *base, size_t nb, const double *head,
			size_t nh, double confidence)
{
	double *x, *y;
	unsigned long long mn;
	ranks r;
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = check_values(base, nb, "base")) || (rc = check_values(head, nh, "head")))
		return rc;
	if (!(confidence >= 0.5 && confidence < 1))
		return mc_error_set(MC_EINVAL, "Mann-Whitney test: confidence must be in [0.5, 1)");
	x = sorted_copy(base, nb);
	y = sorted_copy(head, nh);
	mn = (unsigned long long)nb * nh;
	r = rank_sum(x, nb, y, nh);
	out->u = r.u;
	if (mn % 2)
		out->estimate = mc_canary_kth_difference(x, nb, y, nh, mn / 2 + 1);
	else
		out->estimate = (mc_canary_kth_difference(x, nb, y, nh, mn / 2) +
				 mc_canary_kth_difference(x, nb, y, nh, mn / 2 + 1)) / 2;
	if (nb < MC_MW_EXACT_MAX && nh < MC_MW_EXACT_MAX && !r.ties)
		exact_test(out, x, nb, y, nh, 1 - confidence);
	else
		normal_test(out, x, nb, y, nh, 1 - confidence, r.tie_term);
	free(x);
	free(y);
	return 0;
}

/* ---- classification ---- */

const char *mc_canary_class_name(mc_canary_class c)
{
	switch (c) {
	case MC_CANARY_HIGH: return "High";
	case MC_CANARY_LOW: return "Low";
	case MC_CANARY_NODATA: return "NoData";
	default: return "Pass";
	}
}

const char *mc_canary_verdict_name(mc_canary_verdict v)
{
	return v == MC_CANARY_VERDICT_PASS ? "pass" : v == MC_CANARY_VERDICT_MARGINAL ? "marginal" : "fail";
}

static int same_values(const double *x, size_t nx, const double *y, size_t ny)
{
	size_t i;
	if (nx != ny)
		return 0;
	for (i = 0; i < nx; i++)
		if (x[i] != y[i])
			return 0;
	return 1;
}

static int all_equal(const double *x, size_t nx, const double *y, size_t ny)
{
	return x[0] == x[nx - 1] && y[0] == y[ny - 1] && x[0] == y[0];
}

/* "+12.3 %" of the base median, or the absolute shift when the median is 0. */
static void describe_shift(char *buf, size_t size, const mc_canary_metric_result *m)
{
	if (isfinite(m->effect))
		snprintf(buf, size, "%+.1f %% [%+.1f, %+.1f]", 100 * m->effect, 100 * m->effect_low,
			 100 * m->effect_high);
	else
		snprintf(buf, size, "%+.4g [%+.4g, %+.4g]", m->mw.estimate, m->mw.ci_low, m->mw.ci_high);
}

static void classify_tested(mc_canary_metric_result *m, double confidence)
{
	double band = m->tolerance * fabs(m->base_median);
	int up = m->direction != MC_CANARY_DECREASE, down = m->direction != MC_CANARY_INCREASE;
	char shift[96];

	describe_shift(shift, sizeof shift, m);
	if (up && m->mw.ci_low > 0 && m->mw.estimate > band) {
		m->cls = MC_CANARY_HIGH;
		snprintf(m->reason, sizeof m->reason, "increased %s, beyond the tolerance of %g %% "
			 "(p = %.3g)", shift, 100 * m->tolerance, m->mw.p);
	} else if (down && m->mw.ci_high < 0 && m->mw.estimate < -band) {
		m->cls = MC_CANARY_LOW;
		snprintf(m->reason, sizeof m->reason, "decreased %s, beyond the tolerance of %g %% "
			 "(p = %.3g)", shift, 100 * m->tolerance, m->mw.p);
	} else if (m->mw.ci_low > 0 || m->mw.ci_high < 0) {
		int concern = m->mw.ci_low > 0 ? up : down;
		m->cls = MC_CANARY_PASS;
		snprintf(m->reason, sizeof m->reason, "%s %s at %g %% confidence, %s", shift,
			 m->mw.ci_low > 0 ? "higher" : "lower", 100 * confidence,
			 concern ? "within the tolerance" : "not a direction of concern");
	} else {
		m->cls = MC_CANARY_PASS;
		snprintf(m->reason, sizeof m->reason, "no significant shift: %s (p = %.3g)", shift,
			 m->mw.p);
	}
}

static int judge_metric(mc_canary_metric_result *m, const mc_canary_metric *cfg,
			const mc_canary_series *s, const mc_canary_config *c)
{
	double *x = NULL, *y = NULL;
	int rc = 0;

	m->name = mc_xstrdup(cfg->name);
	m->group = mc_xstrdup(cfg->group ? cfg->group : cfg->name);
	m->direction = cfg->direction;
	m->tolerance = cfg->tolerance;
	m->weight = cfg->weight;
	m->critical = cfg->critical;
	m->nodata = cfg->nodata;
	m->nbase = s ? s->nbase : 0;
	m->nhead = s ? s->nhead : 0;
	m->base_median = m->head_median = NAN;
	m->effect = m->effect_low = m->effect_high = NAN;
	if (m->nbase)
		m->base_median = median_sorted(x = sorted_copy(s->base, s->nbase), s->nbase);
	if (m->nhead)
		m->head_median = median_sorted(y = sorted_copy(s->head, s->nhead), s->nhead);

	if (m->nbase < (size_t)c->min_samples || m->nhead < (size_t)c->min_samples) {
		m->cls = MC_CANARY_NODATA;
		snprintf(m->reason, sizeof m->reason, "%zu base and %zu head samples; %d needed on each side",
			 m->nbase, m->nhead, c->min_samples);
	} else if (same_values(x, m->nbase, y, m->nhead)) {
		m->cls = MC_CANARY_PASS;
		snprintf(m->reason, sizeof m->reason, "head and base samples are identical");
	} else if (all_equal(x, m->nbase, y, m->nhead)) {
		m->cls = MC_CANARY_PASS;
		snprintf(m->reason, sizeof m->reason, "every sample has the same value");
	} else if (!(rc = mc_mannwhitney_test(&m->mw, s->base, s->nbase, s->head, s->nhead,
					      c->confidence))) {
		m->tested = 1;
		if (m->base_median != 0) {
			m->effect = m->mw.estimate / fabs(m->base_median);
			m->effect_low = m->mw.ci_low / fabs(m->base_median);
			m->effect_high = m->mw.ci_high / fabs(m->base_median);
		}
		classify_tested(m, c->confidence);
	}
	free(x);
	free(y);
	if (rc)
		return mc_error_wrap(rc, "metric %s", m->name);
	m->failing = m->cls == MC_CANARY_HIGH || m->cls == MC_CANARY_LOW ||
		     (m->cls == MC_CANARY_NODATA && m->nodata == MC_CANARY_NODATA_FAIL);
	m->counted = m->cls != MC_CANARY_NODATA || m->nodata == MC_CANARY_NODATA_FAIL;
	return 0;
}

/* ---- scoring ---- */

static int group_weight(const mc_canary_config *c, const char *group, double *out)
{
	size_t i;
	for (i = 0; i < c->ngroup_weights; i++)
		if (!strcmp(c->group_weights[i].group, group)) {
			*out = c->group_weights[i].weight;
			return 1;
		}
	return 0;
}

/* Kayenta's weighted sum: per group the passing share of its counted metrics'
 * weight, overall the groups' shares weighted. Groups are visited in the
 * order their first metric appears, so the sum is deterministic. */
static double weighted_score(const mc_canary_judgement *j, const mc_canary_config *c, int *any)
{
	double num = 0, den = 0;
	size_t g, i;
	*any = 0;
	for (g = 0; g < j->nmetrics; g++) {
		const char *group = j->metrics[g].group;
		double pass = 0, all = 0, w;
		int first = 1;
		for (i = 0; i < g; i++)
			if (!strcmp(j->metrics[i].group, group))
				first = 0;
		if (!first)
			continue;
		for (i = g; i < j->nmetrics; i++) {
			const mc_canary_metric_result *m = &j->metrics[i];
			if (strcmp(m->group, group) || !m->counted)
				continue;
			all += m->weight;
			if (!m->failing)
				pass += m->weight;
		}
		if (all <= 0)
			continue; /* a group with no judged metric does not count */
		*any = 1;
		if (!group_weight(c, group, &w))
			w = all;
		num += w * (pass / all);
		den += w;
	}
	return den > 0 ? 100 * num / den : 0;
}

static void append(char *buf, size_t size, const char *text)
{
	size_t used = strlen(buf);
	if (used + 1 < size)
		snprintf(buf + used, size - used, "%s", text);
}

static void score_and_verdict(mc_canary_judgement *j, const mc_canary_config *c)
{
	const mc_canary_metric_result *critical = NULL;
	char part[200];
	size_t i;
	int any;

	j->score = weighted_score(j, c, &any);
	for (i = 0; i < j->nmetrics && !critical; i++)
		if (j->metrics[i].critical && j->metrics[i].failing)
			critical = &j->metrics[i];
	if (critical) {
		j->score = 0;
		j->verdict = MC_CANARY_VERDICT_FAIL;
		snprintf(j->reason, sizeof j->reason, "critical metric %s is %s", critical->name,
			 mc_canary_class_name(critical->cls));
		return;
	}
	if (!any) {
		j->verdict = MC_CANARY_VERDICT_FAIL;
		snprintf(j->reason, sizeof j->reason, "no metric could be judged");
		return;
	}
	if (j->score >= c->pass_score)
		j->verdict = MC_CANARY_VERDICT_PASS;
	else if (j->score >= c->marginal_score)
		j->verdict = MC_CANARY_VERDICT_MARGINAL;
	else
		j->verdict = MC_CANARY_VERDICT_FAIL;
	snprintf(j->reason, sizeof j->reason, "score %.1f (pass at %g, marginal at %g)", j->score,
		 c->pass_score, c->marginal_score);
	for (i = 0; i < j->nmetrics; i++)
		if (j->metrics[i].failing) {
			snprintf(part, sizeof part, "; %s %s", j->metrics[i].name,
				 mc_canary_class_name(j->metrics[i].cls));
			append(j->reason, sizeof j->reason, part);
		}
}

static const mc_canary_series *find_series(const mc_canary_series *s, size_t n, const char *name)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (!strcmp(s[i].name, name))
			return &s[i];
	return NULL;
}

static int by_name(const void *a, const void *b)
{
	return strcmp((*(const mc_canary_series *const *)a)->name,
		      (*(const mc_canary_series *const *)b)->name);
}

int mc_canary_judge(mc_canary_judgement *out, const mc_canary_config *cfg,
		    const mc_canary_series *series, size_t nseries)
{
	const mc_canary_series **order;
	size_t i;
	int rc = 0;

	memset(out, 0, sizeof *out);
	out->pass_score = cfg->pass_score;
	out->marginal_score = cfg->marginal_score;
	out->confidence = cfg->confidence;
	if (cfg->nmetrics) {
		out->metrics = mc_xcalloc(cfg->nmetrics, sizeof *out->metrics);
		for (i = 0; i < cfg->nmetrics && !rc; i++, out->nmetrics++)
			rc = judge_metric(&out->metrics[i], &cfg->metrics[i],
					  find_series(series, nseries, cfg->metrics[i].name), cfg);
		out->unjudged = mc_xcalloc(nseries + 1, sizeof *out->unjudged);
		for (i = 0; i < nseries; i++) {
			mc_canary_metric scratch;
			if (!mc_config_canary_metric(cfg, series[i].name, &scratch))
				out->unjudged[out->nunjudged++] = mc_xstrdup(series[i].name);
		}
	} else {
		order = mc_xcalloc(nseries + 1, sizeof *order);
		for (i = 0; i < nseries; i++)
			order[i] = &series[i];
		qsort(order, nseries, sizeof *order, by_name);
		out->metrics = mc_xcalloc(nseries + 1, sizeof *out->metrics);
		for (i = 0; i < nseries && !rc; i++, out->nmetrics++) {
			mc_canary_metric scratch;
			rc = judge_metric(&out->metrics[i],
					  mc_config_canary_metric(cfg, order[i]->name, &scratch), order[i], cfg);
		}
		free(order);
	}
	if (rc) {
		mc_canary_judgement_free(out);
		return rc;
	}
	score_and_verdict(out, cfg);
	return 0;
}

void mc_canary_judgement_free(mc_canary_judgement *j)
{
	size_t i;
	if (!j)
		return;
	for (i = 0; i < j->nmetrics; i++) {
		free(j->metrics[i].name);
		free(j->metrics[i].group);
	}
	free(j->metrics);
	for (i = 0; i < j->nunjudged; i++)
		free(j->unjudged[i]);
	free(j->unjudged);
	memset(j, 0, sizeof *j);
}

/* ---- JSON ---- */

/* A number in its shortest round-tripping form (0.98, not 0.97999999999999998);
 * null for NaN and infinities, which JSON lacks. */
static struct json_object *number(double d)
{
	char text[32];
	int precision;
	if (!isfinite(d))
		return NULL;
	if (d == 0)
		d = 0; /* no "-0" */
	for (precision = 15; precision < 17; precision++) {
		snprintf(text, sizeof text, "%.*g", precision, d);
		if (strtod(text, NULL) == d)
			break;
	}
	snprintf(text, sizeof text, "%.*g", precision, d);
	return json_object_new_double_s(d, text);
}

static void set_number(struct json_object *o, const char *key, double d)
{
	json_object_object_add(o, key, number(d));
}

static struct json_object *interval(double lo, double hi)
{
	struct json_object *a = json_object_new_array();
	json_object_array_add(a, number(lo));
	json_object_array_add(a, number(hi));
	return a;
}

static struct json_object *side(size_t n, double median)
{
	struct json_object *o = json_object_new_object();
	mc_json_set_int(o, "n", (long long)n);
	set_number(o, "median", median);
	return o;
}

static struct json_object *metric_to_json(const mc_canary_metric_result *m)
{
	struct json_object *o = json_object_new_object();
	mc_json_set_string(o, "name", m->name);
	mc_json_set_string(o, "class", mc_canary_class_name(m->cls));
	mc_json_set_string(o, "reason", m->reason);
	mc_json_set_string(o, "direction", mc_canary_direction_name(m->direction));
	set_number(o, "tolerance", m->tolerance);
	mc_json_set_bool(o, "critical", m->critical);
	set_number(o, "weight", m->weight);
	mc_json_set_string(o, "group", m->group);
	mc_json_set_bool(o, "counted", m->counted);
	json_object_object_add(o, "base", side(m->nbase, m->base_median));
	json_object_object_add(o, "head", side(m->nhead, m->head_median));
	if (m->tested) {
		set_number(o, "u", m->mw.u);
		set_number(o, "p_value", m->mw.p);
		mc_json_set_bool(o, "exact", m->mw.exact);
		set_number(o, "estimate", m->mw.estimate);
		json_object_object_add(o, "ci", interval(m->mw.ci_low, m->mw.ci_high));
		set_number(o, "effect", m->effect);
		json_object_object_add(o, "effect_ci", interval(m->effect_low, m->effect_high));
	} else {
		json_object_object_add(o, "u", NULL);
		json_object_object_add(o, "p_value", NULL);
		json_object_object_add(o, "exact", NULL);
		json_object_object_add(o, "estimate", NULL);
		json_object_object_add(o, "ci", NULL);
		json_object_object_add(o, "effect", NULL);
		json_object_object_add(o, "effect_ci", NULL);
	}
	return o;
}

struct json_object *mc_canary_judgement_to_json(const mc_canary_judgement *j)
{
	struct json_object *o = json_object_new_object(), *metrics = json_object_new_array();
	struct json_object *unjudged = json_object_new_array();
	size_t i;
	mc_json_set_string(o, "verdict", mc_canary_verdict_name(j->verdict));
	set_number(o, "score", j->score);
	mc_json_set_string(o, "reason", j->reason);
	set_number(o, "pass_score", j->pass_score);
	set_number(o, "marginal_score", j->marginal_score);
	set_number(o, "confidence", j->confidence);
	for (i = 0; i < j->nmetrics; i++)
		json_object_array_add(metrics, metric_to_json(&j->metrics[i]));
	json_object_object_add(o, "metrics", metrics);
	for (i = 0; i < j->nunjudged; i++)
		json_object_array_add(unjudged, json_object_new_string(j->unjudged[i]));
	json_object_object_add(o, "unjudged", unjudged);
	return o;
}

/* ---- reading a judgement back ---- */

/* A number of doc as to_json wrote it; null (a value that was not finite) reads NaN. */
static double number_of(struct json_object *doc, const char *key)
{
	struct json_object *v = mc_json_get(doc, key);
	return v ? json_object_get_double(v) : NAN;
}

static double at_of(struct json_object *array, size_t i)
{
	struct json_object *v = json_object_array_get_idx(array, i);
	return v && !json_object_is_type(v, json_type_null) ? json_object_get_double(v) : NAN;
}

static int enum_of(const char *name, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(name, names[i]))
			return (int)i;
	return -1;
}

static int metric_from_json(mc_canary_metric_result *m, struct json_object *o)
{
	static const char *const classes[] = { "Pass", "High", "Low", "NoData" };
	static const char *const directions[] = { "increase", "decrease", "either" };
	static const mc_canary_class class_of[] = { MC_CANARY_PASS, MC_CANARY_HIGH, MC_CANARY_LOW,
						    MC_CANARY_NODATA };
	static const mc_canary_direction direction_of[] = { MC_CANARY_INCREASE, MC_CANARY_DECREASE,
							    MC_CANARY_EITHER };
	struct json_object *base = mc_json_get(o, "base"), *head = mc_json_get(o, "head");
	int c = enum_of(mc_json_get_string(o, "class", ""), classes, 4);
	int d = enum_of(mc_json_get_string(o, "direction", ""), directions, 3);

	if (!json_object_is_type(o, json_type_object) || c < 0 || d < 0 || !base || !head)
		return mc_error_set(MC_EINVAL, "a kept canary metric is not one maestro wrote");
	m->name = mc_xstrdup(mc_json_get_string(o, "name", ""));
	m->group = mc_xstrdup(mc_json_get_string(o, "group", m->name));
	snprintf(m->reason, sizeof m->reason, "%s", mc_json_get_string(o, "reason", ""));
	m->cls = class_of[c];
	m->direction = direction_of[d];
	m->tolerance = number_of(o, "tolerance");
	m->weight = number_of(o, "weight");
	m->critical = mc_json_get_bool(o, "critical", 0);
	m->counted = mc_json_get_bool(o, "counted", 0);
	m->failing = m->cls == MC_CANARY_HIGH || m->cls == MC_CANARY_LOW;
	m->nbase = (size_t)mc_json_get_int(base, "n", 0);
	m->base_median = number_of(base, "median");
	m->nhead = (size_t)mc_json_get_int(head, "n", 0);
	m->head_median = number_of(head, "median");
	m->tested = mc_json_get(o, "u") != NULL;
	m->effect = m->effect_low = m->effect_high = NAN;
	if (m->tested) {
		m->mw.u = number_of(o, "u");
		m->mw.p = number_of(o, "p_value");
		m->mw.exact = mc_json_get_bool(o, "exact", 0);
		m->mw.estimate = number_of(o, "estimate");
		m->mw.ci_low = at_of(mc_json_get(o, "ci"), 0);
		m->mw.ci_high = at_of(mc_json_get(o, "ci"), 1);
		m->effect = number_of(o, "effect");
		m->effect_low = at_of(mc_json_get(o, "effect_ci"), 0);
		m->effect_high = at_of(mc_json_get(o, "effect_ci"), 1);
	}
	return 0;
}

int mc_canary_judgement_from_json(mc_canary_judgement *out, struct json_object *doc)
{
	static const char *const verdicts[] = { "pass", "marginal", "fail" };
	static const mc_canary_verdict verdict_of[] = { MC_CANARY_VERDICT_PASS,
							MC_CANARY_VERDICT_MARGINAL,
							MC_CANARY_VERDICT_FAIL };
	struct json_object *metrics = mc_json_get(doc, "metrics"), *unjudged = mc_json_get(doc, "unjudged");
	int v = enum_of(mc_json_get_string(doc, "verdict", ""), verdicts, 3), rc = 0;

	memset(out, 0, sizeof *out);
	if (v < 0 || !json_object_is_type(metrics, json_type_array) ||
	    !json_object_is_type(unjudged, json_type_array))
		return mc_error_set(MC_EINVAL, "a kept canary judgement is not one maestro wrote");
	out->verdict = verdict_of[v];
	out->score = number_of(doc, "score");
	out->pass_score = number_of(doc, "pass_score");
	out->marginal_score = number_of(doc, "marginal_score");
	out->confidence = number_of(doc, "confidence");
	snprintf(out->reason, sizeof out->reason, "%s", mc_json_get_string(doc, "reason", ""));
	out->nmetrics = json_object_array_length(metrics);
	out->metrics = mc_xcalloc(out->nmetrics ? out->nmetrics : 1, sizeof *out->metrics);
	for (size_t i = 0; rc == 0 && i < out->nmetrics; i++)
		rc = metric_from_json(&out->metrics[i], json_object_array_get_idx(metrics, i));
	out->nunjudged = json_object_array_length(unjudged);
	out->unjudged = mc_xcalloc(out->nunjudged ? out->nunjudged : 1, sizeof *out->unjudged);
	for (size_t i = 0; i < out->nunjudged; i++)
		out->unjudged[i] = mc_xstrdup(json_object_get_string(json_object_array_get_idx(unjudged, i)));
	if (rc)
		mc_canary_judgement_free(out);
	return rc;
}
