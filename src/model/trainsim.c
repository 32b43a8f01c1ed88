/*
 * The release-train simulation (trainsim.h). Each day, in order: the day's
 * arrivals join the backlog; on a train day, items older than expire_days
 * leave (expired), the rest are offered to the policy with their decayed
 * value, and what it selects ships. Decay is continuous: an item that waited
 * a days is worth value * 0.5^(a / half_life_days) when it ships.
 *
 * Arrivals are drawn for every day before anything is planned, so the random
 * stream cannot depend on the policy.
 */
#include "model/trainsim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/error.h"

#define MAX_ARRIVALS_PER_DAY 10000.0

struct arrival {
	unsigned day;
	double value, cost[2];
	int state; /* 0 waiting (or not arrived yet), 1 shipped, 2 expired */
};

/* ---- random numbers ------------------------------------------------------------------ */

void mc_trainsim_rng_seed(mc_trainsim_rng *r, uint64_t seed)
{
	r->state = seed;
}

static uint64_t splitmix64(mc_trainsim_rng *r)
{
	uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* Uniform on (0, 1): never 0, so log() is safe. */
static double uniform(mc_trainsim_rng *r)
{
	return ((double)(splitmix64(r) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

/* Box-Muller; one normal per call keeps the stream simple to reason about. */
static double normal(mc_trainsim_rng *r)
{
	double u = uniform(r), v = uniform(r);
	return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}

/* Knuth's method: fine for the small means of daily arrivals. */
static unsigned poisson(mc_trainsim_rng *r, double mean)
{
	double limit = exp(-mean), prod = uniform(r);
	unsigned k = 0;
	while (prod > limit) {
		k++;
		prod *= uniform(r);
	}
	return k;
}

void mc_trainsim_draw_item(mc_trainsim_rng *r, const mc_trainsim_params *p, double *value,
			   double costs[2])
{
	double s = p->size_sigma * normal(r);
	*value = p->value_median_usd * exp(p->value_size_exponent * s + p->value_sigma * normal(r));
	costs[0] = p->usd_median * exp(s + p->usd_sigma * normal(r));
	costs[1] = p->ci_median * exp(s + p->ci_sigma * normal(r));
}

/* ---- parameters ---------------------------------------------------------------------- */

void mc_trainsim_defaults(mc_trainsim_params *p)
{
	memset(p, 0, sizeof *p);
	p->seed = 1;
	p->days = 365;
	p->train_every = 7;
	p->arrivals_weekday = 6;
	p->arrivals_weekend = 1;
	p->size_sigma = 0.8;
	p->value_median_usd = 400;
	p->value_sigma = 1.0;
	p->value_size_exponent = 0.5;
	p->usd_median = 1.5;
	p->usd_sigma = 0.6;
	p->ci_median = 30;
	p->ci_sigma = 0.7;
	p->half_life_days = 90;
	p->expire_days = 120;
	p->budget_share_usd = 0.6;
	p->budget_share_ci = 0.6;
}

/* E[median * e^(s + N(0, sigma))] for s ~ N(0, size_sigma): the log-normal mean. */
static double lognormal_mean(double median, double size_sigma, double sigma)
{
	return median * exp(0.5 * (size_sigma * size_sigma + sigma * sigma));
}

void mc_trainsim_train_budget(const mc_trainsim_params *p, double budget[2])
{
	double per_day = (5 * p->arrivals_weekday + 2 * p->arrivals_weekend) / 7;
	double per_train = per_day * p->train_every;
	budget[0] = p->budget_share_usd * per_train *
		    lognormal_mean(p->usd_median, p->size_sigma, p->usd_sigma);
	budget[1] = p->budget_share_ci * per_train *
		    lognormal_mean(p->ci_median, p->size_sigma, p->ci_sigma);
}

static int check_number(double v, const char *name, double max)
{
	if (!isfinite(v) || v < 0 || v > max)
		return mc_error_set(MC_EINVAL, "simulation parameter %s must be a number from 0 to %g, "
				    "not %g", name, max, v);
	return 0;
}

static int check_params(const mc_trainsim_params *p)
{
	const struct { double v; const char *name; double max; } nums[] = {
		{ p->arrivals_weekday, "arrivals_weekday", MAX_ARRIVALS_PER_DAY },
		{ p->arrivals_weekend, "arrivals_weekend", MAX_ARRIVALS_PER_DAY },
		{ p->size_sigma, "size_sigma", 5 },
		{ p->value_median_usd, "value_median_usd", 1e12 },
		{ p->value_sigma, "value_sigma", 5 },
		{ p->value_size_exponent, "value_size_exponent", 5 },
		{ p->usd_median, "usd_median", 1e12 },
		{ p->usd_sigma, "usd_sigma", 5 },
		{ p->ci_median, "ci_median", 1e12 },
		{ p->ci_sigma, "ci_sigma", 5 },
		{ p->half_life_days, "half_life_days", 1e6 },
		{ p->budget_share_usd, "budget_share_usd", 1e6 },
		{ p->budget_share_ci, "budget_share_ci", 1e6 },
	};
	size_t i;
	int rc;

	for (i = 0; i < sizeof nums / sizeof nums[0]; i++)
		if ((rc = check_number(nums[i].v, nums[i].name, nums[i].max)) != 0)
			return rc;
	if (p->days == 0 || p->days > MC_TRAINSIM_MAX_DAYS)
		return mc_error_set(MC_EINVAL, "simulation parameter days must be 1 to %d, not %u",
				    MC_TRAINSIM_MAX_DAYS, p->days);
	if (p->train_every == 0 || p->train_every > p->days)
		return mc_error_set(MC_EINVAL, "simulation parameter train_every must be 1 to days "
				    "(%u), not %u: no train would leave", p->days, p->train_every);
	return 0;
}

/* ---- the simulation ------------------------------------------------------------------ */

struct sim {
	const mc_trainsim_params *p;
	struct arrival *items;
	size_t n, alloc;
	size_t *backlog;       /* indices of waiting items, in arrival order */
	size_t nbacklog;
	double budget[2];
	double wait_days_sum;
};

static void draw_arrivals(struct sim *s)
{
	mc_trainsim_rng rng;
	unsigned day, k, count;

	mc_trainsim_rng_seed(&rng, s->p->seed);
	for (day = 0; day < s->p->days; day++) {
		count = poisson(&rng, day % 7 < 5 ? s->p->arrivals_weekday : s->p->arrivals_weekend);
		for (k = 0; k < count; k++) {
			struct arrival *a;
			if (s->n == s->alloc)
				mc_xgrow((void **)&s->items, &s->alloc, s->n + 1, sizeof *s->items);
			a = &s->items[s->n++];
			memset(a, 0, sizeof *a);
			a->day = day;
			mc_trainsim_draw_item(&rng, s->p, &a->value, a->cost);
		}
	}
}

static double decayed(const struct sim *s, const struct arrival *a, unsigned day)
{
	if (s->p->half_life_days <= 0)
		return a->value;
	return a->value * pow(0.5, (double)(day - a->day) / s->p->half_life_days);
}

/* Items older than expire_days leave the backlog before the train is planned. */
static void expire(struct sim *s, mc_trainsim_stats *st, unsigned day)
{
	size_t i, kept = 0;
	for (i = 0; i < s->nbacklog; i++) {
		struct arrival *a = &s->items[s->backlog[i]];
		if (s->p->expire_days && day - a->day > s->p->expire_days) {
			a->state = 2;
			st->expired++;
			st->value_expired += decayed(s, a, day);
		} else {
			s->backlog[kept++] = s->backlog[i];
		}
	}
	s->nbacklog = kept;
}

static int choose(mc_knapsack_result *res, const mc_knapsack *k, enum mc_trainsim_policy policy,
		  const mc_knapsack_options *opt)
{
	if (policy == MC_TRAINSIM_SPRINT_GREEDY)
		return mc_knapsack_greedy_sprint(res, k, 0, 1);
	return mc_knapsack_solve(res, k, opt);
}

/* One train: offer the backlog to the policy and ship what it selects. */
static int run_train(struct sim *s, mc_trainsim_stats *st, unsigned day,
		     enum mc_trainsim_policy policy, const mc_knapsack_options *opt)
{
	static const char *const dims[2] = { "usd", "ci" };
	mc_knapsack *k = NULL;
	mc_knapsack_result res;
	char id[32];
	size_t i, kept = 0;
	int rc;

	if ((rc = mc_knapsack_new(&k, 2, dims)) != 0)
		return rc;
	for (i = 0; i < 2 && rc == 0; i++)
		rc = mc_knapsack_set_budget(k, i, s->budget[i]);
	for (i = 0; i < s->nbacklog && rc == 0; i++) {
		const struct arrival *a = &s->items[s->backlog[i]];
		snprintf(id, sizeof id, "w%zu", s->backlog[i]);
		rc = mc_knapsack_add_item(k, NULL, id, decayed(s, a, day), a->cost);
	}
	if (rc == 0)
		rc = choose(&res, k, policy, opt);
	mc_knapsack_free(k);
	if (rc)
		return rc;

	for (i = 0; i < res.nchosen; i++) {
		struct arrival *a = &s->items[s->backlog[res.chosen[i]]];
		a->state = 1;
		st->shipped++;
		st->value_shipped += decayed(s, a, day);
		s->wait_days_sum += day - a->day;
	}
	for (i = 0; i < 2; i++) {
		st->budget[i] += s->budget[i];
		st->used[i] += res.used[i];
	}
	if (res.gap > st->worst_gap)
		st->worst_gap = res.gap;
	st->seconds += res.seconds;
	if ((double)s->nbacklog > st->max_backlog)
		st->max_backlog = (double)s->nbacklog;
	st->trains++;
	mc_knapsack_result_free(&res);

	for (i = 0; i < s->nbacklog; i++)
		if (s->items[s->backlog[i]].state == 0)
			s->backlog[kept++] = s->backlog[i];
	s->nbacklog = kept;
	return 0;
}

static int simulate(struct sim *s, mc_trainsim_stats *st, enum mc_trainsim_policy policy,
		    const mc_knapsack_options *opt)
{
	size_t next = 0, i;
	unsigned day;
	int rc;

	s->backlog = mc_xcalloc(s->n ? s->n : 1, sizeof *s->backlog);
	for (day = 0; day < s->p->days; day++) {
		for (; next < s->n && s->items[next].day == day; next++)
			s->backlog[s->nbacklog++] = next;
		if (day % s->p->train_every != s->p->train_every - 1)
			continue;
		expire(s, st, day);
		if ((rc = run_train(s, st, day, policy, opt)) != 0)
			return rc;
	}
	st->arrived = s->n;
	for (i = 0; i < s->n; i++)
		st->value_arrived += s->items[i].value;
	st->waiting = s->nbacklog;
	for (i = 0; i < 2; i++)
		st->idle_share[i] = st->budget[i] > 0 ? (st->budget[i] - st->used[i]) / st->budget[i] : 0;
	st->mean_wait_days = st->shipped ? s->wait_days_sum / (double)st->shipped : 0;
	return 0;
}

int mc_trainsim_run(mc_trainsim_stats *out, const mc_trainsim_params *p,
		    enum mc_trainsim_policy policy, const mc_knapsack_options *opt)
{
	struct sim s;
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = check_params(p)) != 0)
		return rc;
	if (policy != MC_TRAINSIM_PLANNER && policy != MC_TRAINSIM_SPRINT_GREEDY)
		return mc_error_set(MC_EINVAL, "unknown simulation policy %d", (int)policy);
	memset(&s, 0, sizeof s);
	s.p = p;
	mc_trainsim_train_budget(p, s.budget);
	draw_arrivals(&s);
	rc = simulate(&s, out, policy, opt);
	free(s.items);
	free(s.backlog);
	if (rc)
		memset(out, 0, sizeof *out);
	return rc;
}
