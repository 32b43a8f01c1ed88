/*
 * Unit tests for release trains (model/train): hand-checked schedules with
 * every kind of explanation, pinned items (first fit, the error when one fits
 * no train), idle budget and its share, the leftover fill, each train's plan
 * against brute force on small random instances, bad input, a large backlog,
 * and determinism.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/train.h"
#include "testutil.h"
#include "util/error.h"

static const char *const dims2[] = { "usd", "ci" };

static mc_train *make(size_t m)
{
	mc_train *t;
	ck_assert_int_eq(mc_train_new(&t, m, dims2), 0);
	return t;
}

static void window(mc_train *t, const char *name, double b0, double b1)
{
	double b[2] = { b0, b1 };
	ck_assert_msg(mc_train_add_window(t, name, b) == 0, "%s", mc_error_message());
}

static size_t item(mc_train *t, const char *id, double value, double c0, double c1)
{
	double c[2] = { c0, c1 };
	size_t at;
	ck_assert_msg(mc_train_add_item(t, &at, id, value, c) == 0, "%s", mc_error_message());
	return at;
}

static void plan(mc_train_result *r, const mc_train *t)
{
	ck_assert_msg(mc_train_plan(r, t, NULL) == 0, "%s", mc_error_message());
}

/* The ids of train w joined by spaces. */
static void train_ids(char *out, size_t size, const mc_train *t, const mc_train_result *r,
		      size_t w)
{
	size_t i, len = 0;
	out[0] = '\0';
	for (i = 0; i < r->trains[w].nitems && len < size; i++)
		len += (size_t)snprintf(out + len, size - len, "%s%s", i ? " " : "",
					mc_train_item_id(t, r->trains[w].items[i]));
}

static const mc_train_left_out *left_out(const mc_train *t, const mc_train_result *r,
					 const char *id)
{
	size_t k;
	for (k = 0; k < r->nleft_out; k++)
		if (!strcmp(mc_train_item_id(t, r->left_out[k].item), id))
			return &r->left_out[k];
	ck_abort_msg("%s is not left out", id);
	return NULL;
}

START_TEST(two_trains_by_hand)
{
	/*
	 * May (usd 10) can take a+c = 100, b+d = 80, b+c = 90, a alone 60: a+c.
	 * June (usd 6) over b, d: b (50), 1 usd idle. d fits either train alone;
	 * it misses June by 4 of its 5 and May by all 5, so June is the closest.
	 */
	mc_train *t = make(1);
	mc_train_result r;
	const mc_train_left_out *x;
	char ids[256];
	size_t f;
	window(t, "May", 10, 0);
	window(t, "June", 6, 0);
	item(t, "a", 60, 6, 0);
	item(t, "b", 50, 5, 0);
	item(t, "c", 40, 4, 0);
	item(t, "d", 30, 5, 0);
	item(t, "e", 100, 20, 0);
	f = item(t, "f", 10, 1, 0);
	ck_assert_int_eq(mc_train_pin(t, f, MC_KNAPSACK_PIN_OUT), 0);
	plan(&r, t);
	ck_assert_uint_eq(r.ntrains, 2);
	train_ids(ids, sizeof ids, t, &r, 0);
	ck_assert_str_eq(ids, "a c");
	train_ids(ids, sizeof ids, t, &r, 1);
	ck_assert_str_eq(ids, "b");
	ck_assert_double_eq(r.trains[0].value, 100);
	ck_assert_double_eq(r.trains[1].value, 50);
	ck_assert_double_eq(r.value, 150);
	ck_assert(r.trains[0].proven_optimal && r.trains[1].proven_optimal);
	ck_assert_double_eq(r.trains[0].used[0], 10);
	ck_assert_double_eq(r.trains[0].idle[0], 0);
	ck_assert_double_eq(r.trains[0].idle_share[0], 0);
	ck_assert_double_eq(r.trains[1].used[0], 5);
	ck_assert_double_eq(r.trains[1].idle[0], 1);
	ck_assert_double_eq_tol(r.trains[1].idle_share[0], 1.0 / 6, 1e-12);
	ck_assert_double_eq(r.budget[0], 16);
	ck_assert_double_eq(r.idle[0], 1);
	ck_assert_double_eq_tol(r.idle_share[0], 1.0 / 16, 1e-12);
	ck_assert(!r.backlog_exhausted);
	ck_assert_uint_eq(r.train_of[0], 0);
	ck_assert_uint_eq(r.train_of[1], 1);
	ck_assert_uint_eq(r.train_of[3], MC_TRAIN_NONE);

	ck_assert_uint_eq(r.nleft_out, 3); /* d, e, f in item order */
	ck_assert_str_eq(mc_train_item_id(t, r.left_out[0].item), "d");
	ck_assert_str_eq(mc_train_item_id(t, r.left_out[1].item), "e");
	ck_assert_str_eq(mc_train_item_id(t, r.left_out[2].item), "f");
	x = left_out(t, &r, "d");
	ck_assert_int_eq(x->why, MC_TRAIN_CROWDED_OUT);
	ck_assert_uint_eq(x->train, 1);
	ck_assert_double_eq(x->have, 1);
	ck_assert_double_eq(x->need, 5);
	ck_assert_uint_eq(x->ndisplaced_by, 1);
	ck_assert_str_eq(mc_train_item_id(t, x->displaced_by[0]), "b");
	ck_assert_str_eq(x->text, "did not fit: train 'June' had 1 usd left after higher-value work "
				  "(b); it needs 5");
	x = left_out(t, &r, "e");
	ck_assert_int_eq(x->why, MC_TRAIN_TOO_LARGE);
	ck_assert_str_eq(x->text, "larger than any train's usd budget (needs 20, largest is 10)");
	x = left_out(t, &r, "f");
	ck_assert_int_eq(x->why, MC_TRAIN_HELD);
	ck_assert_str_eq(x->text, "held (pinned out)");
	ck_assert_str_eq(mc_train_reason_name(MC_TRAIN_CROWDED_OUT), "did not fit");
	mc_train_result_free(&r);
	mc_train_free(t);
}
END_TEST

START_TEST(displaced_by_lists_the_train_work_by_value)
{
	/* One train, usd 10 and ci 10: x, y, z fill ci; w needs 4 ci and only 1 is left. */
	mc_train *t = make(2);
	mc_train_result r;
	const mc_train_left_out *x;
	window(t, "Q1", 10, 10);
	item(t, "x", 30, 1, 3);
	item(t, "y", 50, 1, 3);
	item(t, "z", 40, 1, 3);
	item(t, "free-ci", 5, 1, 0);
	item(t, "w", 20, 1, 4);
	plan(&r, t);
	ck_assert_double_eq(r.trains[0].value, 125);
	x = left_out(t, &r, "w");
	ck_assert_int_eq(x->why, MC_TRAIN_CROWDED_OUT);
	ck_assert_uint_eq(x->dim, 1);
	/* Only the items that use ci displaced it, highest value first; free-ci is not one. */
	ck_assert_uint_eq(x->ndisplaced_by, 3);
	ck_assert_str_eq(x->text, "did not fit: train 'Q1' had 1 ci left after higher-value work "
				  "(y, z, x); it needs 4");
	mc_train_result_free(&r);
	mc_train_free(t);
}
END_TEST

START_TEST(fits_no_single_train)
{
	/* A is short of ci, B short of usd; each dimension alone fits some train. */
	mc_train *t = make(2);
	mc_train_result r;
	const mc_train_left_out *x;
	window(t, "A", 10, 5);
	window(t, "B", 5, 10);
	item(t, "small", 1, 1, 1);
	item(t, "square", 99, 8, 8);
	plan(&r, t);
	ck_assert_uint_eq(r.train_of[0], 0);
	x = left_out(t, &r, "square");
	ck_assert_int_eq(x->why, MC_TRAIN_NO_SINGLE_FIT);
	ck_assert_uint_eq(x->train_dim[0], 1);
	ck_assert_uint_eq(x->train_dim[1], 0);
	ck_assert_str_eq(x->text, "fits no single train: train 'A' has 5 ci (needs 8), "
				  "train 'B' has 5 usd (needs 8)");
	/* B is empty: all of it idle. */
	ck_assert_double_eq(r.trains[1].idle_share[0], 1);
	ck_assert_double_eq(r.trains[1].idle_share[1], 1);
	mc_train_result_free(&r);
	mc_train_free(t);
}
END_TEST

START_TEST(pinned_items_go_to_the_first_train_they_fit)
{
	/*
	 * T1 usd 5, T2 usd 10. p1 (3) pins into T1; p2 (4) does not fit beside it,
	 * so it pins into T2. T1 then takes r (2, the most valuable thing that fits
	 * its 2 usd left); T2 takes s (6) beside p2.
	 */
	mc_train *t = make(1);
	mc_train_result r;
	char ids[256];
	size_t p1, p2;
	window(t, "T1", 5, 0);
	window(t, "T2", 10, 0);
	p1 = item(t, "p1", 1, 3, 0);
	p2 = item(t, "p2", 1, 4, 0);
	item(t, "r", 1000, 2, 0);
	item(t, "s", 500, 6, 0);
	item(t, "big", 800, 7, 0);
	ck_assert_int_eq(mc_train_pin(t, p1, MC_KNAPSACK_PIN_IN), 0);
	ck_assert_int_eq(mc_train_pin(t, p2, MC_KNAPSACK_PIN_IN), 0);
	plan(&r, t);
	train_ids(ids, sizeof ids, t, &r, 0);
	ck_assert_str_eq(ids, "p1 r");
	ck_assert_uint_eq(r.trains[0].npinned, 1);
	train_ids(ids, sizeof ids, t, &r, 1);
	ck_assert_str_eq(ids, "p2 s");
	ck_assert_uint_eq(r.trains[1].npinned, 1);
	ck_assert_double_eq(r.idle[0], 0);
	ck_assert_double_eq(r.idle_share[0], 0);
	/* big (7) fits T2 alone, but T2 is full: pinned p2 and higher-value s. */
	ck_assert_str_eq(left_out(t, &r, "big")->text,
			 "did not fit: train 'T2' had 0 usd left after pinned-in and higher-value work "
			 "(s, p2); "
			 "it needs 7");
	mc_train_result_free(&r);
	mc_train_free(t);
}
END_TEST

START_TEST(pinned_item_that_fits_no_train_is_an_error)
{
	mc_train *t = make(1);
	mc_train_result r;
	size_t j;
	window(t, "T1", 5, 0);
	window(t, "T2", 5, 0);
	j = item(t, "big", 1, 6, 0);
	ck_assert_int_eq(mc_train_pin(t, j, MC_KNAPSACK_PIN_IN), 0);
	ck_assert_int_eq(mc_train_plan(&r, t, NULL), MC_EINVAL);
	ck_assert_str_eq(mc_error_message(), "pinned-in item 'big' must ship but fits no train: "
					     "larger than any train's usd budget (needs 6, largest is 5)");
	mc_train_free(t);

	/* Three pins of 4 into two trains of 5: the third finds 1 usd left in each. */
	t = make(1);
	window(t, "T1", 5, 0);
	window(t, "T2", 5, 0);
	ck_assert_int_eq(mc_train_pin(t, item(t, "a", 1, 4, 0), MC_KNAPSACK_PIN_IN), 0);
	ck_assert_int_eq(mc_train_pin(t, item(t, "b", 1, 4, 0), MC_KNAPSACK_PIN_IN), 0);
	ck_assert_int_eq(mc_train_pin(t, item(t, "c", 1, 4, 0), MC_KNAPSACK_PIN_IN), 0);
	item(t, "free", 1, 1, 0);
	ck_assert_int_eq(mc_train_plan(&r, t, NULL), MC_EINVAL);
	ck_assert_str_eq(mc_error_message(), "pinned-in item 'c' must ship but fits no train: "
					     "did not fit: train 'T1' had 1 usd left after pinned-in work "
					     "(a); it needs 4");
	ck_assert_ptr_null(r.trains);
	mc_train_free(t);
}
END_TEST

START_TEST(leftover_is_filled_and_the_backlog_can_run_out)
{
	/* Everything fits: the worthless item ships too, since the room would sit idle. */
	mc_train *t = make(2);
	mc_train_result r;
	char ids[256];
	window(t, "only", 3, 30);
	item(t, "v", 5, 2, 10);
	item(t, "zero", 0, 1, 20);
	plan(&r, t);
	train_ids(ids, sizeof ids, t, &r, 0);
	ck_assert_str_eq(ids, "v zero");
	ck_assert_uint_eq(r.nleft_out, 0);
	ck_assert(r.backlog_exhausted);
	ck_assert_double_eq(r.idle_share[0], 0);
	ck_assert_double_eq(r.idle_share[1], 0);
	mc_train_result_free(&r);
	mc_train_free(t);

	/* The backlog runs out: idle budget that nothing could fill, and it says so. */
	t = make(1);
	window(t, "big", 100, 0);
	item(t, "one", 5, 10, 0);
	plan(&r, t);
	ck_assert(r.backlog_exhausted);
	ck_assert_double_eq(r.idle_share[0], 0.9);
	mc_train_result_free(&r);
	mc_train_free(t);
}
END_TEST

START_TEST(zero_budgets_and_free_items)
{
	/* ci is 0 in both trains: only items that cost no ci can ship; a zero budget is 0 % idle. */
	mc_train *t = make(2);
	mc_train_result r;
	window(t, "A", 5, 0);
	window(t, "B", 5, 0);
	item(t, "no-ci", 3, 5, 0);
	item(t, "ci", 9, 1, 1);
	item(t, "gratis", 1, 0, 0);
	plan(&r, t);
	ck_assert_uint_eq(r.train_of[0], 0);
	ck_assert_uint_eq(r.train_of[2], 0);
	ck_assert_double_eq(r.trains[0].idle_share[1], 0);
	ck_assert_double_eq(r.trains[1].idle_share[0], 1);
	ck_assert_str_eq(left_out(t, &r, "ci")->text,
			 "larger than any train's ci budget (needs 1, largest is 0)");
	mc_train_result_free(&r);
	mc_train_free(t);
}
END_TEST

START_TEST(weights_steer_each_train)
{
	/* One slot of usd 4: a is worth more, but b's priority weight of 3 makes it 90 > 60. */
	mc_train *t = make(1);
	mc_train_result r;
	size_t b;
	window(t, "T", 4, 0);
	item(t, "a", 60, 4, 0);
	b = item(t, "b", 30, 4, 0);
	ck_assert_int_eq(mc_train_set_weight(t, b, 3), 0);
	plan(&r, t);
	ck_assert_uint_eq(r.train_of[b], 0);
	ck_assert_double_eq(r.trains[0].value, 30);
	ck_assert_double_eq(r.trains[0].objective, 90);
	ck_assert_str_eq(left_out(t, &r, "a")->text,
			 "did not fit: train 'T' had 0 usd left after higher-value work (b); it needs 4");
	mc_train_result_free(&r);
	mc_train_free(t);
}
END_TEST

static unsigned lcg(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return (*s >> 16) & 0x7fff;
}

static mc_train *random_trains(unsigned seed, size_t n, size_t nwin)
{
	mc_train *t = make(2);
	char id[32];
	size_t j, w;
	for (w = 0; w < nwin; w++) {
		snprintf(id, sizeof id, "T%zu", w + 1);
		window(t, id, 5 + lcg(&seed) % 30, 20 + lcg(&seed) % 100);
	}
	for (j = 0; j < n; j++) {
		size_t at;
		snprintf(id, sizeof id, "i%zu", j);
		at = item(t, id, 1 + lcg(&seed) % 100, lcg(&seed) % 12, lcg(&seed) % 40);
		if (lcg(&seed) % 17 == 0)
			mc_train_pin(t, at, MC_KNAPSACK_PIN_OUT);
	}
	return t;
}

/* Best weighted value over subsets of the free items not in an earlier train, by brute force. */
static double brute_best(const mc_train *t, const mc_train_result *r, size_t w,
			 const double *costs, const double *values, const int *held)
{
	size_t n = mc_train_items(t), j;
	unsigned long mask, limit = 1ul << n;
	double best = 0;
	for (mask = 0; mask < limit; mask++) {
		double v = 0, u0 = 0, u1 = 0;
		int ok = 1;
		for (j = 0; j < n && ok; j++) {
			if (!(mask & (1ul << j)))
				continue;
			if (held[j] || (r->train_of[j] != MC_TRAIN_NONE && r->train_of[j] < w))
				ok = 0;
			v += values[j];
			u0 += costs[2 * j];
			u1 += costs[2 * j + 1];
		}
		if (ok && u0 <= r->trains[w].budget[0] && u1 <= r->trains[w].budget[1] && v > best)
			best = v;
	}
	return best;
}

START_TEST(each_train_is_the_best_plan_over_what_is_left)
{
	unsigned seed;
	for (seed = 1; seed <= 30; seed++) {
		/* Rebuild the same instance by hand to know its numbers. */
		unsigned s = seed;
		double b[3][2], costs[24], values[12];
		int held[12];
		mc_train *t = make(2);
		mc_train_result r;
		char id[32];
		size_t j, w, k;
		for (w = 0; w < 3; w++) {
			b[w][0] = 5 + lcg(&s) % 30;
			b[w][1] = 20 + lcg(&s) % 100;
			snprintf(id, sizeof id, "T%zu", w + 1);
			window(t, id, b[w][0], b[w][1]);
		}
		for (j = 0; j < 12; j++) {
			snprintf(id, sizeof id, "i%zu", j);
			values[j] = 1 + lcg(&s) % 100;
			costs[2 * j] = lcg(&s) % 12;
			costs[2 * j + 1] = lcg(&s) % 40;
			item(t, id, values[j], costs[2 * j], costs[2 * j + 1]);
			held[j] = lcg(&s) % 17 == 0;
			if (held[j])
				mc_train_pin(t, j, MC_KNAPSACK_PIN_OUT);
		}
		plan(&r, t);
		for (w = 0; w < 3; w++) {
			ck_assert_msg(fabs(r.trains[w].objective - brute_best(t, &r, w, costs, values, held))
				      < 1e-9, "seed %u train %zu", seed, w);
			ck_assert(r.trains[w].used[0] <= b[w][0] && r.trains[w].used[1] <= b[w][1]);
		}
		/* Every item left out has a reason that holds. */
		for (k = 0; k < r.nleft_out; k++) {
			const mc_train_left_out *x = &r.left_out[k];
			j = x->item;
			ck_assert_uint_eq(r.train_of[j], MC_TRAIN_NONE);
			ck_assert_int_eq(x->why == MC_TRAIN_HELD, held[j]);
			if (x->why == MC_TRAIN_CROWDED_OUT || x->why == MC_TRAIN_TOO_LARGE)
				ck_assert_msg(x->need > x->have, "seed %u: %s", seed, x->text);
			if (x->why == MC_TRAIN_CROWDED_OUT)
				ck_assert(x->have == r.trains[x->train].idle[x->dim]);
			ck_assert(x->text && *x->text);
		}
		mc_train_result_free(&r);
		mc_train_free(t);
	}
}
END_TEST

START_TEST(deterministic)
{
	mc_train *t = random_trains(99, 400, 4);
	mc_knapsack_options opt;
	mc_train_result r1, r2;
	size_t k;
	mc_knapsack_options_init(&opt);
	opt.time_limit = 0;
	opt.node_limit = 200;
	ck_assert_int_eq(mc_train_plan(&r1, t, &opt), 0);
	ck_assert_int_eq(mc_train_plan(&r2, t, &opt), 0);
	ck_assert_mem_eq(r1.train_of, r2.train_of, r1.nitems * sizeof *r1.train_of);
	ck_assert_double_eq(r1.objective, r2.objective);
	ck_assert_uint_eq(r1.nleft_out, r2.nleft_out);
	ck_assert_uint_gt(r1.nleft_out, 0);
	for (k = 0; k < r1.nleft_out; k++)
		ck_assert_str_eq(r1.left_out[k].text, r2.left_out[k].text);
	mc_train_result_free(&r1);
	mc_train_result_free(&r2);
	mc_train_free(t);
}
END_TEST

START_TEST(large_backlog_leaves_little_idle)
{
	/* 20,000 items of small cost over 3 trains: the backlog is far larger than the
	 * trains, so each train should be nearly full (the goal: < 5 % idle). */
	mc_train *t = make(2);
	mc_train_result r;
	unsigned s = 5;
	char id[32];
	size_t j, w;
	window(t, "T1", 200, 3000);
	window(t, "T2", 150, 2000);
	window(t, "T3", 300, 5000);
	for (j = 0; j < 20000; j++) {
		snprintf(id, sizeof id, "PR-%zu", j);
		item(t, id, 1 + lcg(&s) % 1000, (lcg(&s) % 500) / 100.0, lcg(&s) % 60);
	}
	plan(&r, t);
	for (w = 0; w < 3; w++)
		ck_assert_msg(r.trains[w].idle_share[0] < 0.05 && r.trains[w].idle_share[1] < 0.05,
			      "train %zu idle %g %g", w, r.trains[w].idle_share[0],
			      r.trains[w].idle_share[1]);
	ck_assert_uint_eq(r.nleft_out, 20000 - r.trains[0].nitems - r.trains[1].nitems -
				       r.trains[2].nitems);
	ck_assert(!r.backlog_exhausted);
	mc_train_result_free(&r);
	mc_train_free(t);
}
END_TEST

START_TEST(bad_input)
{
	mc_train *t = make(2);
	mc_train_result r;
	double b[2] = { 1, NAN }, c[2] = { -1, 0 };
	ck_assert_int_eq(mc_train_plan(&r, t, NULL), MC_EINVAL);
	ck_assert_str_eq(mc_error_message(), "a release plan needs at least one train");
	ck_assert_int_eq(mc_train_add_window(t, "", b), MC_EINVAL);
	ck_assert_int_eq(mc_train_add_window(t, "x", b), MC_EINVAL);
	ck_assert_str_eq(mc_error_message(), "train 'x': budget 'ci' must be a finite number >= 0, "
					     "not nan");
	window(t, "x", 1, 1);
	b[1] = 1;
	ck_assert_int_eq(mc_train_add_window(t, "x", b), MC_EINVAL);
	ck_assert_str_eq(mc_error_message(), "train 'x' is given twice");
	ck_assert_int_eq(mc_train_add_item(t, NULL, "neg", 1, c), MC_EINVAL);
	item(t, "a", 1, 0, 0);
	c[0] = 0;
	ck_assert_int_eq(mc_train_add_item(t, NULL, "a", 1, c), MC_EINVAL);
	ck_assert_int_eq(mc_train_add_item(t, NULL, "nan", NAN, c), MC_EINVAL);
	ck_assert_int_eq(mc_train_set_weight(t, 0, -2), MC_EINVAL);
	ck_assert_int_eq(mc_train_pin(t, 5, MC_KNAPSACK_PIN_IN), MC_EINVAL);
	ck_assert_uint_eq(mc_train_items(t), 1);
	plan(&r, t);
	ck_assert_uint_eq(r.train_of[0], 0);
	mc_train_result_free(&r);
	mc_train_free(t);
	ck_assert_int_eq(mc_train_new(&t, 0, dims2), MC_EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("train");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, two_trains_by_hand);
	tcase_add_test(tc, displaced_by_lists_the_train_work_by_value);
	tcase_add_test(tc, fits_no_single_train);
	tcase_add_test(tc, pinned_items_go_to_the_first_train_they_fit);
	tcase_add_test(tc, pinned_item_that_fits_no_train_is_an_error);
	tcase_add_test(tc, leftover_is_filled_and_the_backlog_can_run_out);
	tcase_add_test(tc, zero_budgets_and_free_items);
	tcase_add_test(tc, weights_steer_each_train);
	tcase_add_test(tc, each_train_is_the_best_plan_over_what_is_left);
	tcase_add_test(tc, deterministic);
	tcase_add_test(tc, large_backlog_leaves_little_idle);
	tcase_add_test(tc, bad_input);
	suite_add_tcase(s, tc);
	return mc_test_run(s);
}
