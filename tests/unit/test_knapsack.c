/*
 * Unit tests for the knapsack planner (model/knapsack): hand-checked plans,
 * exactness against brute force on random small instances with several
 * budget counts, pins and weights, every kind of bad input, 100,000 items,
 * node limits and determinism, and the reference greedies.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/knapsack.h"
#include "testutil.h"
#include "util/error.h"

static const char *const dims3[] = { "usd", "ci", "gpu" };

static mc_knapsack *make(size_t m, const double *budgets)
{
	mc_knapsack *k;
	size_t i;
	ck_assert_int_eq(mc_knapsack_new(&k, m, dims3), 0);
	for (i = 0; i < m; i++)
		ck_assert_int_eq(mc_knapsack_set_budget(k, i, budgets[i]), 0);
	return k;
}

static void add(mc_knapsack *k, const char *id, double value, double c0, double c1)
{
	double c[2] = { c0, c1 };
	ck_assert_msg(mc_knapsack_add_item(k, NULL, id, value, c) == 0, "%s", mc_error_message());
}

/* The chosen ids joined by spaces, in problem order. */
static void chosen_ids(char *out, size_t size, const mc_knapsack *k, const mc_knapsack_result *r)
{
	size_t i, len = 0;
	out[0] = '\0';
	for (i = 0; i < r->nchosen && len < size; i++)
		len += (size_t)snprintf(out + len, size - len, "%s%s", i ? " " : "",
					mc_knapsack_item_id(k, r->chosen[i]));
}

START_TEST(one_dimension_by_hand)
{
	/* The textbook case: the greedy by ratio takes a and b (160); the best is b and c (220). */
	double b[1] = { 50 }, c;
	mc_knapsack *k = make(1, b);
	mc_knapsack_result r, g;
	char ids[256];
	c = 10;
	ck_assert_int_eq(mc_knapsack_add_item(k, NULL, "a", 60, &c), 0);
	c = 20;
	ck_assert_int_eq(mc_knapsack_add_item(k, NULL, "b", 100, &c), 0);
	c = 30;
	ck_assert_int_eq(mc_knapsack_add_item(k, NULL, "c", 120, &c), 0);
	ck_assert_int_eq(mc_knapsack_solve(&r, k, NULL), 0);
	chosen_ids(ids, sizeof ids, k, &r);
	ck_assert_str_eq(ids, "b c");
	ck_assert_double_eq(r.objective, 220);
	ck_assert_double_eq(r.used[0], 50);
	ck_assert(r.proven_optimal);
	ck_assert_double_eq(r.upper_bound, 220);
	ck_assert_double_eq(r.gap, 0);
	ck_assert_int_eq(mc_knapsack_greedy_ratio(&g, k), 0);
	ck_assert_double_eq(g.objective, 160);
	/* The LP bound is 240 (a, b and two thirds of c): the greedy's gap is 80/240. */
	ck_assert_double_eq_tol(g.upper_bound, 240, 1e-9);
	ck_assert_double_eq_tol(g.gap, 80.0 / 240, 1e-9);
	ck_assert(!g.proven_optimal);
	mc_knapsack_result_free(&r);
	mc_knapsack_result_free(&g);
	mc_knapsack_free(k);
}
END_TEST

START_TEST(two_dimensions_by_hand)
{
	/* usd 10, ci 100. x: 6/20 value 10; y: 5/70 value 9; z: 5/30 value 8; w: 4/90 value 7.
	 * Pairs that fit: x+z (11 usd: no), y+z (10/100: 17), x+w (10/110: no), z+w (9/120: no),
	 * x+y (11: no). Singles: x 10. Best: y+z = 17. */
	double b[2] = { 10, 100 };
	mc_knapsack *k = make(2, b);
	mc_knapsack_result r;
	char ids[256];
	add(k, "x", 10, 6, 20);
	add(k, "y", 9, 5, 70);
	add(k, "z", 8, 5, 30);
	add(k, "w", 7, 4, 90);
	ck_assert_int_eq(mc_knapsack_solve(&r, k, NULL), 0);
	chosen_ids(ids, sizeof ids, k, &r);
	ck_assert_str_eq(ids, "y z");
	ck_assert_double_eq(r.objective, 17);
	ck_assert_double_eq(r.used[0], 10);
	ck_assert_double_eq(r.used[1], 100);
	ck_assert(r.proven_optimal);
	mc_knapsack_result_free(&r);
	mc_knapsack_free(k);
}
END_TEST

START_TEST(sprint_greedy_rule)
{
	/* Ranks by value / (usd + 0.01 + ci / 30): cheap-ci "a" (100/(1.01+1) = 49.8) before
	 * "b" (150/(1.01+3) = 37.4) before "c" (90/(2.01+1) = 29.9). Budget usd 3: a and c do
	 * not both fit beside b; a then b fit (usd 2 of 3), c does not. */
	double b[2] = { 3, 1000 };
	mc_knapsack *k = make(2, b);
	mc_knapsack_result g, r;
	char ids[256];
	add(k, "a", 100, 1, 30);
	add(k, "b", 150, 1, 90);
	add(k, "c", 90, 2, 30);
	ck_assert_int_eq(mc_knapsack_greedy_sprint(&g, k, 0, 1), 0);
	chosen_ids(ids, sizeof ids, k, &g);
	ck_assert_str_eq(ids, "a b");
	ck_assert_double_eq(g.objective, 250);
	ck_assert_str_eq(g.method, "greedy-sprint");
	ck_assert_int_eq(mc_knapsack_solve(&r, k, NULL), 0);
	ck_assert_double_eq(r.objective, 250);
	mc_knapsack_result_free(&g);
	mc_knapsack_result_free(&r);
	mc_knapsack_free(k);
}
END_TEST

/* xorshift: the same instances on every machine. */
static uint64_t rng_state;
static double rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (double)(rng_state >> 11) / 9007199254740992.0;
}

#define BF_MAX 20

struct small {
	size_t n, m;
	double p[BF_MAX], a[BF_MAX][3], b[3], w[BF_MAX];
	int pin[BF_MAX];
};

/* The best weighted value over every subset that respects pins and budgets; -1 if none. */
static double brute_force(const struct small *s)
{
	double best = -1;
	uint32_t set, limit = (uint32_t)1 << s->n;
	size_t j, i;
	for (set = 0; set < limit; set++) {
		double use[3] = { 0, 0, 0 }, v = 0;
		int ok = 1;
		for (j = 0; j < s->n && ok; j++) {
			int in = (set >> j) & 1;
			if ((s->pin[j] == MC_KNAPSACK_PIN_IN && !in) ||
			    (s->pin[j] == MC_KNAPSACK_PIN_OUT && in))
				ok = 0;
			if (in) {
				v += s->w[j] * s->p[j];
				for (i = 0; i < s->m; i++)
					use[i] += s->a[j][i];
			}
		}
		for (i = 0; i < s->m && ok; i++)
			if (use[i] > s->b[i] + 1e-9)
				ok = 0;
		if (ok && v > best)
			best = v;
	}
	return best;
}

static void random_small(struct small *s, size_t n, size_t m, int fractional, int steer)
{
	size_t j, i;
	s->n = n;
	s->m = m;
	for (i = 0; i < m; i++)
		s->b[i] = 0;
	for (j = 0; j < n; j++) {
		s->p[j] = fractional ? 1 + 99 * rnd() : (double)(1 + (int)(100 * rnd()));
		s->w[j] = steer && rnd() < 0.3 ? (double)(1 + (int)(3 * rnd())) : 1;
		s->pin[j] = steer && rnd() < 0.1 ? (rnd() < 0.5 ? MC_KNAPSACK_PIN_IN
								: MC_KNAPSACK_PIN_OUT)
						 : MC_KNAPSACK_FREE;
		for (i = 0; i < m; i++) {
			/* Some items cost nothing in a dimension, as real work often does. */
			s->a[j][i] = rnd() < 0.15 ? 0 : (double)(1 + (int)(50 * rnd()));
			s->b[i] += s->a[j][i];
		}
	}
	for (i = 0; i < m; i++)
		s->b[i] = floor(s->b[i] * (0.2 + 0.5 * rnd()));
}

START_TEST(exact_against_brute_force)
{
	static const size_t ms[] = { 1, 2, 3 };
	size_t trial, checked = 0;
	rng_state = 0x9e3779b97f4a7c15ull;
	for (trial = 0; trial < 240; trial++) {
		struct small s;
		size_t m = ms[trial % 3], n = 4 + trial % 13, j, i;
		double best, use[3] = { 0, 0, 0 };
		mc_knapsack *k;
		mc_knapsack_result r;
		mc_knapsack_options opt;
		int rc;
		if (trial % 40 == 39)
			n = 20; /* a few of the largest size brute force allows here */
		random_small(&s, n, m, trial % 4 == 1, trial % 2 == 1);
		k = make(m, s.b);
		for (j = 0; j < n; j++) {
			char id[16];
			size_t at;
			snprintf(id, sizeof id, "i%zu", j);
			ck_assert_int_eq(mc_knapsack_add_item(k, &at, id, s.p[j], s.a[j]), 0);
			ck_assert_int_eq(mc_knapsack_pin(k, at, (enum mc_knapsack_pin)s.pin[j]), 0);
			ck_assert_int_eq(mc_knapsack_set_weight(k, at, s.w[j]), 0);
		}
		mc_knapsack_options_init(&opt);
		opt.time_limit = 0; /* exactness must not depend on the machine */
		best = brute_force(&s);
		rc = mc_knapsack_solve(&r, k, &opt);
		if (best < 0) {
			/* The pinned-in items do not fit: the solver must say so. */
			ck_assert_int_eq(rc, MC_EINVAL);
			ck_assert_ptr_nonnull(strstr(mc_error_message(), "pinned-in items do not fit"));
			mc_knapsack_free(k);
			continue;
		}
		ck_assert_msg(rc == 0, "trial %zu: %s", trial, mc_error_message());
		ck_assert_msg(fabs(r.objective - best) <= 1e-9 * fmax(1, best),
			      "trial %zu (n %zu, m %zu): %.12g, brute force %.12g", trial, n, m,
			      r.objective, best);
		ck_assert_msg(r.proven_optimal, "trial %zu: not proven", trial);
		ck_assert(r.upper_bound >= best - 1e-9 * fmax(1, best));
		for (j = 0; j < r.nchosen; j++)
			for (i = 0; i < m; i++)
				use[i] += s.a[r.chosen[j]][i];
		for (i = 0; i < m; i++) {
			ck_assert(use[i] <= s.b[i] + 1e-9);
			ck_assert_double_eq_tol(use[i], r.used[i], 1e-9);
		}
		for (j = 0; j < r.nchosen; j++)
			ck_assert_int_ne(s.pin[r.chosen[j]], MC_KNAPSACK_PIN_OUT);
		mc_knapsack_result_free(&r);
		mc_knapsack_free(k);
		checked++;
	}
	ck_assert_uint_gt(checked, 200);
}
END_TEST

START_TEST(pins_and_weights)
{
	double b[2] = { 10, 100 };
	mc_knapsack *k = make(2, b);
	mc_knapsack_result r;
	char ids[256];
	size_t x, z;
	add(k, "x", 10, 6, 20);
	add(k, "y", 9, 5, 70);
	add(k, "z", 8, 5, 30);
	add(k, "w", 7, 4, 90);
	x = (size_t)mc_knapsack_find_item(k, "x");
	z = (size_t)mc_knapsack_find_item(k, "z");
	/* Must ship x: then only w (4 usd, but 110 ci: no) or nothing else... x + w does not fit
	 * ci; x alone leaves 4 usd, 80 ci: w (4, 90) no. So x alone. */
	ck_assert_int_eq(mc_knapsack_pin(k, x, MC_KNAPSACK_PIN_IN), 0);
	ck_assert_int_eq(mc_knapsack_solve(&r, k, NULL), 0);
	chosen_ids(ids, sizeof ids, k, &r);
	ck_assert_str_eq(ids, "x");
	ck_assert(r.proven_optimal);
	/* y, z and w are listed: over what the pinned item leaves, in usd or ci. */
	ck_assert_uint_eq(r.nexcluded, 3);
	ck_assert_int_eq(r.excluded[0].why, MC_KNAPSACK_EXCL_OVER_PINNED);
	mc_knapsack_result_free(&r);
	/* Hold z instead: the best without it is x (10) against y (9): x. */
	ck_assert_int_eq(mc_knapsack_pin(k, x, MC_KNAPSACK_FREE), 0);
	ck_assert_int_eq(mc_knapsack_pin(k, z, MC_KNAPSACK_PIN_OUT), 0);
	ck_assert_int_eq(mc_knapsack_solve(&r, k, NULL), 0);
	chosen_ids(ids, sizeof ids, k, &r);
	ck_assert_str_eq(ids, "x");
	ck_assert_uint_eq(r.nexcluded, 1);
	ck_assert_int_eq(r.excluded[0].why, MC_KNAPSACK_EXCL_PINNED_OUT);
	mc_knapsack_result_free(&r);
	/* Raise w's priority fourfold: w (28) beats x and y alone. */
	ck_assert_int_eq(mc_knapsack_set_weight(k, (size_t)mc_knapsack_find_item(k, "w"), 4), 0);
	ck_assert_int_eq(mc_knapsack_solve(&r, k, NULL), 0);
	chosen_ids(ids, sizeof ids, k, &r);
	ck_assert_str_eq(ids, "w");
	ck_assert_double_eq(r.objective, 28);
	ck_assert_double_eq(r.value, 7);
	mc_knapsack_result_free(&r);
	mc_knapsack_free(k);
}
END_TEST

START_TEST(bad_numbers_are_refused)
{
	double b[2] = { 10, 10 }, c[2] = { 1, 1 };
	mc_knapsack *k = make(2, b);
	ck_assert_int_eq(mc_knapsack_add_item(k, NULL, "nan", NAN, c), MC_EINVAL);
	ck_assert_ptr_nonnull(strstr(mc_error_message(), "item 'nan': value"));
	ck_assert_int_eq(mc_knapsack_add_item(k, NULL, "neg", -1, c), MC_EINVAL);
	c[1] = -2;
	ck_assert_int_eq(mc_knapsack_add_item(k, NULL, "negcost", 1, c), MC_EINVAL);
	ck_assert_ptr_nonnull(strstr(mc_error_message(), "item 'negcost': cost 'ci'"));
	c[1] = INFINITY;
	ck_assert_int_eq(mc_knapsack_add_item(k, NULL, "inf", 1, c), MC_EINVAL);
	c[1] = NAN;
	ck_assert_int_eq(mc_knapsack_add_item(k, NULL, "nancost", 1, c), MC_EINVAL);
	c[1] = 1;
	ck_assert_int_eq(mc_knapsack_add_item(k, NULL, "", 1, c), MC_EINVAL);
	ck_assert_int_eq(mc_knapsack_set_budget(k, 0, -1), MC_EINVAL);
	ck_assert_int_eq(mc_knapsack_set_budget(k, 1, NAN), MC_EINVAL);
	ck_assert_int_eq(mc_knapsack_set_budget(k, 2, 1), MC_EINVAL);
	ck_assert_int_eq(mc_knapsack_add_item(k, NULL, "ok", 1, c), 0);
	ck_assert_int_eq(mc_knapsack_set_weight(k, 0, -3), MC_EINVAL);
	ck_assert_int_eq(mc_knapsack_set_weight(k, 0, NAN), MC_EINVAL);
	ck_assert_int_eq(mc_knapsack_set_weight(k, 1, 2), MC_EINVAL);
	ck_assert_int_eq(mc_knapsack_pin(k, 1, MC_KNAPSACK_PIN_IN), MC_EINVAL);
	/* Only the valid item went in. */
	ck_assert_uint_eq(mc_knapsack_items(k), 1);
	mc_knapsack_free(k);
	/* No dimensions, or one named twice. */
	{
		const char *const twice[] = { "usd", "usd" };
		ck_assert_int_eq(mc_knapsack_new(&k, 0, dims3), MC_EINVAL);
		ck_assert_ptr_null(k);
		ck_assert_int_eq(mc_knapsack_new(&k, 2, twice), MC_EINVAL);
		ck_assert_ptr_nonnull(strstr(mc_error_message(), "'usd' is given twice"));
	}
}
END_TEST

START_TEST(duplicate_ids)
{
	double b[2] = { 10, 10 };
	mc_knapsack *k = make(2, b);
	add(k, "PR-7", 1, 1, 1);
	add(k, "PR-8", 1, 1, 1);
	ck_assert_int_eq(mc_knapsack_add_item(k, NULL, "PR-7", 2, (double[2]){ 1, 1 }), MC_EINVAL);
	ck_assert_str_eq(mc_error_message(), "item 'PR-7': duplicate id (also item 1)");
	ck_assert_uint_eq(mc_knapsack_items(k), 2);
	mc_knapsack_free(k);
}
END_TEST

START_TEST(zero_budgets_admit_only_free_items)
{
	double b[2] = { 0, 0 };
	mc_knapsack *k = make(2, b);
	mc_knapsack_result r;
	char ids[256];
	add(k, "costly", 100, 1, 0);
	add(k, "free", 5, 0, 0);
	add(k, "ci-only", 50, 0, 3);
	ck_assert_int_eq(mc_knapsack_solve(&r, k, NULL), 0);
	chosen_ids(ids, sizeof ids, k, &r);
	ck_assert_str_eq(ids, "free");
	ck_assert(r.proven_optimal);
	ck_assert_uint_eq(r.nexcluded, 2);
	ck_assert_int_eq(r.excluded[0].why, MC_KNAPSACK_EXCL_OVER_BUDGET);
	ck_assert_uint_eq(r.excluded[0].dim, 0);
	ck_assert_uint_eq(r.excluded[1].dim, 1);
	mc_knapsack_result_free(&r);
	mc_knapsack_free(k);
}
END_TEST

START_TEST(item_larger_than_every_budget)
{
	double b[2] = { 10, 100 };
	mc_knapsack *k = make(2, b);
	mc_knapsack_result r;
	char ids[256];
	add(k, "huge", 1000, 11, 101);
	add(k, "small", 1, 1, 1);
	ck_assert_int_eq(mc_knapsack_solve(&r, k, NULL), 0);
	chosen_ids(ids, sizeof ids, k, &r);
	ck_assert_str_eq(ids, "small");
	ck_assert_uint_eq(r.nexcluded, 1);
	ck_assert_str_eq(mc_knapsack_item_id(k, r.excluded[0].item), "huge");
	ck_assert_int_eq(r.excluded[0].why, MC_KNAPSACK_EXCL_OVER_BUDGET);
	ck_assert_str_eq(mc_knapsack_exclusion_name(r.excluded[0].why), "over budget");
	/* The bound ignores it: the plan is optimal. */
	ck_assert(r.proven_optimal);
	ck_assert_double_eq(r.upper_bound, 1);
	mc_knapsack_result_free(&r);
	mc_knapsack_free(k);
}
END_TEST

START_TEST(pinned_set_that_does_not_fit)
{
	double b[2] = { 10, 100 };
	mc_knapsack *k = make(2, b);
	mc_knapsack_result r;
	add(k, "a", 1, 6, 10);
	add(k, "b", 1, 5, 10);
	add(k, "c", 1, 1, 10);
	mc_knapsack_pin(k, 0, MC_KNAPSACK_PIN_IN);
	mc_knapsack_pin(k, 1, MC_KNAPSACK_PIN_IN);
	ck_assert_int_eq(mc_knapsack_solve(&r, k, NULL), MC_EINVAL);
	ck_assert_str_eq(mc_error_message(), "the pinned-in items do not fit: together they need 11 "
			 "of budget 'usd', which is 10 (pinned in: a, b)");
	ck_assert_uint_eq(r.nchosen, 0);
	ck_assert_int_eq(mc_knapsack_greedy_ratio(&r, k), MC_EINVAL);
	mc_knapsack_free(k);
}
END_TEST

/* n items of a synthetic two-budget portfolio, budgets at a quarter and a third of the total. */
static mc_knapsack *portfolio(size_t n, uint64_t seed)
{
	double tu = 0, tc = 0, c[2];
	mc_knapsack *k;
	size_t j;
	ck_assert_int_eq(mc_knapsack_new(&k, 2, dims3), 0);
	rng_state = seed;
	for (j = 0; j < n; j++) {
		char id[24];
		snprintf(id, sizeof id, "PR-%zu", j);
		c[0] = floor(1000 * rnd()) / 100;
		c[1] = floor(600 * rnd());
		tu += c[0];
		tc += c[1];
		ck_assert_int_eq(mc_knapsack_add_item(k, NULL, id, floor(5000 * rnd()) / 10 + 5 * c[0] +
						      c[1] / 10, c), 0);
	}
	mc_knapsack_set_budget(k, 0, floor(tu / 4));
	mc_knapsack_set_budget(k, 1, floor(tc / 3));
	return k;
}

START_TEST(hundred_thousand_items)
{
	mc_knapsack *k = portfolio(100000, 42);
	mc_knapsack_result r, g;
	ck_assert_int_eq(mc_knapsack_solve(&r, k, NULL), 0);
	ck_assert_uint_gt(r.nchosen, 1000);
	ck_assert(r.used[0] <= mc_knapsack_budget(k, 0) * (1 + 1e-9));
	ck_assert(r.used[1] <= mc_knapsack_budget(k, 1) * (1 + 1e-9));
	ck_assert(r.upper_bound >= r.objective);
	/* Large instances are nearly LP-tight: the bound it returns must show that. */
	ck_assert_msg(r.gap < 1e-3, "gap %g", r.gap);
	ck_assert_int_eq(mc_knapsack_greedy_sprint(&g, k, 0, 1), 0);
	ck_assert(r.objective > g.objective);
	ck_assert_double_eq(g.upper_bound, r.upper_bound);
	mc_knapsack_result_free(&r);
	mc_knapsack_result_free(&g);
	mc_knapsack_free(k);
}
END_TEST

START_TEST(deterministic_under_a_node_limit)
{
	mc_knapsack *k = portfolio(300, 7);
	mc_knapsack_options opt;
	mc_knapsack_result r1, r2;
	mc_knapsack_options_init(&opt);
	opt.time_limit = 0;
	opt.node_limit = 50;
	ck_assert_int_eq(mc_knapsack_solve(&r1, k, &opt), 0);
	ck_assert_int_eq(mc_knapsack_solve(&r2, k, &opt), 0);
	ck_assert_double_eq(r1.objective, r2.objective);
	ck_assert_double_eq(r1.upper_bound, r2.upper_bound);
	ck_assert_uint_eq(r1.nchosen, r2.nchosen);
	ck_assert_mem_eq(r1.chosen, r2.chosen, r1.nchosen * sizeof *r1.chosen);
	ck_assert_uint_eq(r1.nodes, r2.nodes);
	if (!r1.proven_optimal) {
		ck_assert_uint_le(r1.nodes, 51);
		ck_assert(r1.stop == MC_KNAPSACK_NODE_LIMIT || r1.stop == MC_KNAPSACK_CORE_TOO_LARGE);
	}
	mc_knapsack_result_free(&r1);
	mc_knapsack_result_free(&r2);
	/* Heuristic only: never proven unless the bound is met, no nodes. */
	opt.heuristic_only = 1;
	ck_assert_int_eq(mc_knapsack_solve(&r1, k, &opt), 0);
	ck_assert_uint_eq(r1.nodes, 0);
	ck_assert(r1.upper_bound >= r1.objective);
	mc_knapsack_result_free(&r1);
	mc_knapsack_free(k);
}
END_TEST

START_TEST(many_dimensions_and_empty)
{
	const char *names[MC_KNAPSACK_MAX_DIMS + 1];
	char buf[MC_KNAPSACK_MAX_DIMS + 1][8];
	mc_knapsack *k;
	mc_knapsack_result r;
	size_t i;
	for (i = 0; i <= MC_KNAPSACK_MAX_DIMS; i++) {
		snprintf(buf[i], sizeof buf[i], "d%zu", i);
		names[i] = buf[i];
	}
	ck_assert_int_eq(mc_knapsack_new(&k, MC_KNAPSACK_MAX_DIMS + 1, names), MC_ELIMIT);
	ck_assert_int_eq(mc_knapsack_new(&k, 8, names), 0);
	/* No items: an empty plan, proven. */
	ck_assert_int_eq(mc_knapsack_solve(&r, k, NULL), 0);
	ck_assert_uint_eq(r.nchosen, 0);
	ck_assert(r.proven_optimal);
	ck_assert_double_eq(r.gap, 0);
	mc_knapsack_result_free(&r);
	mc_knapsack_free(k);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("knapsack");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, one_dimension_by_hand);
	tcase_add_test(tc, two_dimensions_by_hand);
	tcase_add_test(tc, sprint_greedy_rule);
	tcase_add_test(tc, exact_against_brute_force);
	tcase_add_test(tc, pins_and_weights);
	tcase_add_test(tc, bad_numbers_are_refused);
	tcase_add_test(tc, duplicate_ids);
	tcase_add_test(tc, zero_budgets_admit_only_free_items);
	tcase_add_test(tc, item_larger_than_every_budget);
	tcase_add_test(tc, pinned_set_that_does_not_fit);
	tcase_add_test(tc, hundred_thousand_items);
	tcase_add_test(tc, deterministic_under_a_node_limit);
	tcase_add_test(tc, many_dimensions_and_empty);
	suite_add_tcase(s, tc);
	return mc_test_run(s);
}
