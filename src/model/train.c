/*
 * Release trains (train.h): the knapsack planner run once per train window,
 * in order, over what the earlier trains left, and the reason for every item
 * that ships in none.
 *
 * Items live in a knapsack problem used as a catalogue (it checks ids and
 * numbers exactly as the planner does and owns the ids and dimension names)
 * plus copies of their values, weights, pins and costs, which the catalogue
 * does not expose and which each train's problem and the explanations need.
 *
 * Fits are checked with the solver's rounding slack (1e-9 of the budget, at
 * least 1e-9), so a train never ships what the solver would call over budget
 * and an explanation never calls "too large" what the solver would accept.
 */
#include "model/train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/error.h"
#include "util/strbuf.h"

#define LIST_IN_TEXT 5     /* ids or trains named in an explanation before "and N more" */
#define DISPLACERS_KEPT 10 /* displacing items kept in a result, highest value first */

struct mc_train {
	size_t m, n, alloc;
	mc_knapsack *catalog;   /* ids, dimension names, the planner's input checks */
	double *value, *weight;
	double *cost;           /* item-major: cost[j * m + i] */
	unsigned char *pin;
	size_t nwin, walloc;
	char **win_name;
	double *win_budget;     /* window-major: win_budget[w * m + i] */
};

/* ---- building ----------------------------------------------------------------------------- */

int mc_train_new(mc_train **out, size_t ndims, const char *const *names)
{
	mc_knapsack *catalog;
	int rc;
	*out = NULL;
	if ((rc = mc_knapsack_new(&catalog, ndims, names)) != 0)
		return rc;
	*out = mc_xcalloc(1, sizeof **out);
	(*out)->m = ndims;
	(*out)->catalog = catalog;
	return 0;
}

void mc_train_free(mc_train *t)
{
	size_t w;
	if (!t)
		return;
	for (w = 0; w < t->nwin; w++)
		free(t->win_name[w]);
	free(t->win_name);
	free(t->win_budget);
	free(t->value);
	free(t->weight);
	free(t->cost);
	free(t->pin);
	mc_knapsack_free(t->catalog);
	free(t);
}

int mc_train_add_window(mc_train *t, const char *name, const double *budgets)
{
	size_t w, i;
	if (!name || !*name)
		return mc_error_set(MC_EINVAL, "train %zu has no name", t->nwin + 1);
	for (w = 0; w < t->nwin; w++)
		if (!strcmp(t->win_name[w], name))
			return mc_error_set(MC_EINVAL, "train '%s' is given twice", name);
	for (i = 0; i < t->m; i++)
		if (!isfinite(budgets[i]) || budgets[i] < 0)
			return mc_error_set(MC_EINVAL, "train '%s': budget '%s' must be a finite "
					    "number >= 0, not %g", name, mc_train_dim_name(t, i),
					    budgets[i]);
	if (t->nwin >= MC_TRAIN_MAX_WINDOWS)
		return mc_error_set(MC_ELIMIT, "more than %d trains", MC_TRAIN_MAX_WINDOWS);
	mc_xgrow((void **)&t->win_name, &t->walloc, t->nwin + 1, sizeof *t->win_name);
	t->win_budget = mc_xrealloc(t->win_budget, t->walloc * t->m * sizeof *t->win_budget);
	t->win_name[t->nwin] = mc_xstrdup(name);
	memcpy(t->win_budget + t->nwin * t->m, budgets, t->m * sizeof *budgets);
	t->nwin++;
	return 0;
}

int mc_train_add_item(mc_train *t, size_t *index, const char *id, double value,
		      const double *costs)
{
	size_t at;
	int rc = mc_knapsack_add_item(t->catalog, &at, id, value, costs);
	if (rc)
		return rc;
	if (t->n == t->alloc) {
		mc_xgrow((void **)&t->value, &t->alloc, t->n + 1, sizeof *t->value);
		t->weight = mc_xrealloc(t->weight, t->alloc * sizeof *t->weight);
		t->pin = mc_xrealloc(t->pin, t->alloc * sizeof *t->pin);
		t->cost = mc_xrealloc(t->cost, t->alloc * t->m * sizeof *t->cost);
	}
	t->value[at] = value;
	t->weight[at] = 1;
	t->pin[at] = MC_KNAPSACK_FREE;
	memcpy(t->cost + at * t->m, costs, t->m * sizeof *costs);
	t->n++;
	if (index)
		*index = at;
	return 0;
}

int mc_train_pin(mc_train *t, size_t item, enum mc_knapsack_pin pin)
{
	int rc = mc_knapsack_pin(t->catalog, item, pin);
	if (!rc)
		t->pin[item] = (unsigned char)pin;
	return rc;
}

int mc_train_set_weight(mc_train *t, size_t item, double weight)
{
	int rc = mc_knapsack_set_weight(t->catalog, item, weight);
	if (!rc)
		t->weight[item] = weight;
	return rc;
}

size_t mc_train_items(const mc_train *t) { return t->n; }
size_t mc_train_dims(const mc_train *t) { return t->m; }
size_t mc_train_windows(const mc_train *t) { return t->nwin; }
const char *mc_train_item_id(const mc_train *t, size_t item)
{
	return mc_knapsack_item_id(t->catalog, item);
}
const char *mc_train_dim_name(const mc_train *t, size_t dim)
{
	return mc_knapsack_dim_name(t->catalog, dim);
}
const char *mc_train_window_name(const mc_train *t, size_t window)
{
	return window < t->nwin ? t->win_name[window] : NULL;
}
enum mc_knapsack_pin mc_train_item_pin(const mc_train *t, size_t item)
{
	return item < t->n ? (enum mc_knapsack_pin)t->pin[item] : MC_KNAPSACK_FREE;
}
long mc_train_find_dim(const mc_train *t, const char *name)
{
	return mc_knapsack_find_dim(t->catalog, name);
}

const char *mc_train_reason_name(enum mc_train_reason why)
{
	switch (why) {
	case MC_TRAIN_HELD: return "held";
	case MC_TRAIN_TOO_LARGE: return "too large";
	case MC_TRAIN_NO_SINGLE_FIT: return "fits no single train";
	case MC_TRAIN_CROWDED_OUT: return "did not fit";
	}
	return "unknown";
}

/* ---- fits ----------------------------------------------------------------------------------- */

static double slack(double budget)
{
	return 1e-9 * fmax(1, budget);
}

static const double *cost_of(const mc_train *t, size_t j)
{
	return t->cost + j * t->m;
}

static const double *budget_of(const mc_train *t, size_t w)
{
	return t->win_budget + w * t->m;
}

/* The first dimension in which cost exceeds room (with the slack of budget), or m. */
static size_t over(const double *cost, const double *room, const double *budget, size_t m)
{
	size_t i;
	for (i = 0; i < m; i++)
		if (cost[i] > room[i] + slack(budget[i]))
			return i;
	return m;
}

/* Room left of a budget, 0 when it is within the rounding slack (so 1e-11 reads as 0). */
static double leftover(double room, double budget)
{
	return room > slack(budget) ? room : 0;
}

static void take(double *room, const double *cost, size_t m)
{
	size_t i;
	for (i = 0; i < m; i++)
		room[i] -= cost[i];
}

/* ---- explanations --------------------------------------------------------------------------- */

/*
 * What the schedule looks like while explaining: which train each item ships
 * in, the room each train has left, and the items of each train by weighted
 * value (highest first), which are the ones that displaced what did not fit.
 */
struct ledger {
	const mc_train *t;
	const size_t *train_of;
	const double *room;        /* window-major, like win_budget */
	size_t **by_value;         /* per train */
	size_t *count;             /* per train */
	size_t *users;             /* per train and dimension: its items that cost something there */
};

/* An explanation under construction. */
static void left_out_init(mc_train_left_out *x, size_t item, enum mc_train_reason why)
{
	memset(x, 0, sizeof *x);
	x->item = item;
	x->why = why;
}

/* The first dimension in which item j is larger than every train's budget, or m. */
static size_t too_large_in(const mc_train *t, size_t j, double *largest)
{
	size_t i, w;
	for (i = 0; i < t->m; i++) {
		double max = 0;
		for (w = 0; w < t->nwin; w++)
			max = fmax(max, budget_of(t, w)[i]);
		if (cost_of(t, j)[i] > max + slack(max)) {
			*largest = max;
			return i;
		}
	}
	return t->m;
}

static void explain_no_single_fit(mc_train_left_out *x, const mc_train *t)
{
	mc_strbuf sb = MC_STRBUF_INIT;
	const double *c = cost_of(t, x->item);
	size_t w;
	x->train_dim = mc_xmalloc(t->nwin * sizeof *x->train_dim);
	mc_strbuf_puts(&sb, "fits no single train: ");
	for (w = 0; w < t->nwin; w++) {
		const double *b = budget_of(t, w);
		size_t d = over(c, b, b, t->m);
		x->train_dim[w] = d;
		if (w < LIST_IN_TEXT)
			mc_strbuf_printf(&sb, "%strain '%s' has %g %s (needs %g)", w ? ", " : "",
					 t->win_name[w], b[d], mc_train_dim_name(t, d), c[d]);
	}
	if (t->nwin > LIST_IN_TEXT)
		mc_strbuf_printf(&sb, " and %zu more trains too small", t->nwin - LIST_IN_TEXT);
	x->text = mc_strbuf_detach(&sb);
}

/*
 * Of the trains item j fits alone, the one where it came closest: the smallest
 * share of its cost missing in its worst dimension (earliest train on a tie).
 * Returns 0 and sets *train and *dim, or -1 when it fits no train alone.
 */
static int closest_miss(const struct ledger *l, size_t j, size_t *train, size_t *dim)
{
	const mc_train *t = l->t;
	const double *c = cost_of(t, j);
	double best = INFINITY;
	size_t w, i;
	int found = -1;
	for (w = 0; w < t->nwin; w++) {
		const double *b = budget_of(t, w), *room = l->room + w * t->m;
		double miss = 0;
		size_t worst = 0;
		if (over(c, b, b, t->m) < t->m)
			continue;
		for (i = 0; i < t->m; i++) {
			double share;
			if (c[i] <= 0 || c[i] <= room[i] + slack(b[i]))
				continue;
			share = (c[i] - fmax(0, room[i])) / c[i];
			if (share > miss) {
				miss = share;
				worst = i;
			}
		}
		if (miss < best) {
			best = miss;
			*train = w;
			*dim = worst;
			found = 0;
		}
	}
	return found;
}

/* The items of train w that use dimension d, highest weighted value first (at most max). */
static size_t displacers(const struct ledger *l, size_t w, size_t d, size_t *out, size_t max,
			 size_t *pinned)
{
	size_t k, n = 0;
	*pinned = 0;
	for (k = 0; k < l->count[w] && n < max; k++) {
		size_t j = l->by_value[w][k];
		if (cost_of(l->t, j)[d] > 0) {
			out[n++] = j;
			if (l->t->pin[j] == MC_KNAPSACK_PIN_IN)
				(*pinned)++;
		}
	}
	return n;
}

static void explain_crowded_out(mc_train_left_out *x, const struct ledger *l, size_t w, size_t d)
{
	const mc_train *t = l->t;
	mc_strbuf sb = MC_STRBUF_INIT;
	size_t k, pinned, users;
	x->train = w;
	x->dim = d;
	x->need = cost_of(t, x->item)[d];
	x->have = leftover(l->room[w * t->m + d], budget_of(t, w)[d]);
	x->displaced_by = mc_xmalloc(DISPLACERS_KEPT * sizeof *x->displaced_by);
	x->ndisplaced_by = displacers(l, w, d, x->displaced_by, DISPLACERS_KEPT, &pinned);
	mc_strbuf_printf(&sb, "did not fit: train '%s' had %g %s left", t->win_name[w], x->have,
			 mc_train_dim_name(t, d));
	if (x->ndisplaced_by == 0) {
		mc_strbuf_printf(&sb, " (needs %g)", x->need);
		x->text = mc_strbuf_detach(&sb);
		return;
	}
	/* The train's set is worth more than any set with this item in it; pins are given. */
	mc_strbuf_printf(&sb, " after %s work (",
			 pinned == x->ndisplaced_by ? "pinned-in"
			 : pinned ? "pinned-in and higher-value" : "higher-value");
	for (k = 0; k < x->ndisplaced_by && k < LIST_IN_TEXT; k++)
		mc_strbuf_printf(&sb, "%s%s", k ? ", " : "", mc_train_item_id(t, x->displaced_by[k]));
	users = l->users[w * t->m + d];
	if (users > LIST_IN_TEXT)
		mc_strbuf_printf(&sb, " and %zu more", users - LIST_IN_TEXT);
	mc_strbuf_printf(&sb, "); it needs %g", x->need);
	x->text = mc_strbuf_detach(&sb);
}

/* Why item j ships in no train. */
static void explain(mc_train_left_out *x, const struct ledger *l, size_t j)
{
	const mc_train *t = l->t;
	size_t d, w;
	double largest = 0;
	if (t->pin[j] == MC_KNAPSACK_PIN_OUT) {
		left_out_init(x, j, MC_TRAIN_HELD);
		x->text = mc_xstrdup("held (pinned out)");
		return;
	}
	if ((d = too_large_in(t, j, &largest)) < t->m) {
		mc_strbuf sb = MC_STRBUF_INIT;
		left_out_init(x, j, MC_TRAIN_TOO_LARGE);
		x->dim = d;
		x->need = cost_of(t, j)[d];
		x->have = largest;
		mc_strbuf_printf(&sb, "larger than any train's %s budget (needs %g, largest is %g)",
				 mc_train_dim_name(t, d), x->need, largest);
		x->text = mc_strbuf_detach(&sb);
		return;
	}
	if (closest_miss(l, j, &w, &d)) {
		left_out_init(x, j, MC_TRAIN_NO_SINGLE_FIT);
		explain_no_single_fit(x, t);
		return;
	}
	left_out_init(x, j, MC_TRAIN_CROWDED_OUT);
	explain_crowded_out(x, l, w, d);
}

static void left_out_free(mc_train_left_out *x)
{
	free(x->train_dim);
	free(x->displaced_by);
	free(x->text);
}

/* ---- the ledger ----------------------------------------------------------------------------- */

struct keyed {
	double key;
	size_t item;
};

static int by_key_desc(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	if (x->key != y->key)
		return x->key > y->key ? -1 : 1;
	return x->item < y->item ? -1 : x->item > y->item;
}

/* Highest weighted value first, earlier items first on a tie: the same order on every run. */
static void sort_by_weighted_value(const mc_train *t, size_t *items, size_t n)
{
	struct keyed *k = mc_xmalloc((n ? n : 1) * sizeof *k);
	size_t i;
	for (i = 0; i < n; i++) {
		k[i].key = t->weight[items[i]] * t->value[items[i]];
		k[i].item = items[i];
	}
	qsort(k, n, sizeof *k, by_key_desc);
	for (i = 0; i < n; i++)
		items[i] = k[i].item;
	free(k);
}

static void ledger_init(struct ledger *l, const mc_train *t, const size_t *train_of,
			const double *room)
{
	size_t j, w, i;
	l->t = t;
	l->train_of = train_of;
	l->room = room;
	l->by_value = mc_xcalloc(t->nwin, sizeof *l->by_value);
	l->count = mc_xcalloc(t->nwin, sizeof *l->count);
	for (j = 0; j < t->n; j++)
		if (train_of[j] != MC_TRAIN_NONE)
			l->count[train_of[j]]++;
	for (w = 0; w < t->nwin; w++) {
		l->by_value[w] = mc_xmalloc((l->count[w] ? l->count[w] : 1) * sizeof **l->by_value);
		l->count[w] = 0;
	}
	for (j = 0; j < t->n; j++)
		if (train_of[j] != MC_TRAIN_NONE) {
			w = train_of[j];
			l->by_value[w][l->count[w]++] = j;
		}
	for (w = 0; w < t->nwin; w++)
		sort_by_weighted_value(t, l->by_value[w], l->count[w]);
	l->users = mc_xcalloc(t->nwin * t->m, sizeof *l->users);
	for (j = 0; j < t->n; j++)
		if (train_of[j] != MC_TRAIN_NONE)
			for (i = 0; i < t->m; i++)
				if (cost_of(t, j)[i] > 0)
					l->users[train_of[j] * t->m + i]++;
}

static void ledger_free(struct ledger *l)
{
	size_t w;
	for (w = 0; w < l->t->nwin; w++)
		free(l->by_value[w]);
	free(l->by_value);
	free(l->count);
	free(l->users);
}

/* ---- step 1: pinned-in items, first fit in their order ---------------------------------------- */

static int pinned_fits_no_train(const mc_train *t, size_t j, const size_t *train_of,
				const double *room)
{
	struct ledger l;
	mc_train_left_out x;
	int rc;
	ledger_init(&l, t, train_of, room);
	explain(&x, &l, j);
	rc = mc_error_set(MC_EINVAL, "pinned-in item '%s' must ship but fits no train: %s",
			  mc_train_item_id(t, j), x.text);
	left_out_free(&x);
	ledger_free(&l);
	return rc;
}

static int place_pins(const mc_train *t, size_t *train_of, double *room)
{
	size_t j, w;
	for (j = 0; j < t->n; j++) {
		if (t->pin[j] != MC_KNAPSACK_PIN_IN)
			continue;
		for (w = 0; w < t->nwin; w++) {
			if (over(cost_of(t, j), room + w * t->m, budget_of(t, w), t->m) == t->m) {
				train_of[j] = w;
				take(room + w * t->m, cost_of(t, j), t->m);
				break;
			}
		}
		if (w == t->nwin)
			return pinned_fits_no_train(t, j, train_of, room);
	}
	return 0;
}

/* ---- step 2 and 3: one train -------------------------------------------------------------- */

/* The train's problem: its pins and every item no train has taken and nobody holds. */
static int train_problem(mc_knapsack **out, size_t **local, size_t *nlocal, const mc_train *t,
			 size_t w, const size_t *train_of)
{
	const char *names[MC_KNAPSACK_MAX_DIMS];
	mc_knapsack *k;
	size_t i, j, at;
	int rc;
	for (i = 0; i < t->m; i++)
		names[i] = mc_train_dim_name(t, i);
	if ((rc = mc_knapsack_new(&k, t->m, names)) != 0)
		return rc;
	for (i = 0; i < t->m && !rc; i++)
		rc = mc_knapsack_set_budget(k, i, budget_of(t, w)[i]);
	*local = mc_xmalloc((t->n ? t->n : 1) * sizeof **local);
	*nlocal = 0;
	for (j = 0; j < t->n && !rc; j++) {
		int pinned_here = t->pin[j] == MC_KNAPSACK_PIN_IN && train_of[j] == w;
		if (!pinned_here && (t->pin[j] != MC_KNAPSACK_FREE || train_of[j] != MC_TRAIN_NONE))
			continue;
		rc = mc_knapsack_add_item(k, &at, mc_train_item_id(t, j), t->value[j], cost_of(t, j));
		if (!rc && pinned_here)
			rc = mc_knapsack_pin(k, at, MC_KNAPSACK_PIN_IN);
		if (!rc && t->weight[j] != 1)
			rc = mc_knapsack_set_weight(k, at, t->weight[j]);
		(*local)[(*nlocal)++] = j;
	}
	if (rc) {
		mc_knapsack_free(k);
		free(*local);
		*local = NULL;
		return rc;
	}
	*out = k;
	return 0;
}

/* Add what the solver left out but still fits the room, highest weighted value first. */
static void fill_leftover(const mc_train *t, size_t w, const size_t *local, size_t nlocal,
			  size_t *train_of, double *room)
{
	size_t *rest = mc_xmalloc((nlocal ? nlocal : 1) * sizeof *rest), n = 0, k;
	for (k = 0; k < nlocal; k++)
		if (train_of[local[k]] == MC_TRAIN_NONE)
			rest[n++] = local[k];
	sort_by_weighted_value(t, rest, n);
	for (k = 0; k < n; k++) {
		if (over(cost_of(t, rest[k]), room, budget_of(t, w), t->m) < t->m)
			continue;
		train_of[rest[k]] = w;
		take(room, cost_of(t, rest[k]), t->m);
	}
	free(rest);
}

static void record_train(mc_train_scheduled *s, const mc_train *t, size_t w,
			 const size_t *train_of, const mc_knapsack_result *r, size_t candidates)
{
	size_t j, i, m = t->m;
	s->window = w;
	s->budget = mc_xmalloc(m * sizeof *s->budget);
	s->used = mc_xcalloc(m, sizeof *s->used);
	s->idle = mc_xmalloc(m * sizeof *s->idle);
	s->idle_share = mc_xmalloc(m * sizeof *s->idle_share);
	memcpy(s->budget, budget_of(t, w), m * sizeof *s->budget);
	for (j = 0; j < t->n; j++)
		if (train_of[j] == w)
			s->nitems++;
	s->items = mc_xmalloc((s->nitems ? s->nitems : 1) * sizeof *s->items);
	s->nitems = 0;
	for (j = 0; j < t->n; j++) {
		if (train_of[j] != w)
			continue;
		s->items[s->nitems++] = j;
		if (t->pin[j] == MC_KNAPSACK_PIN_IN)
			s->npinned++;
		s->value += t->value[j];
		s->objective += t->weight[j] * t->value[j];
		for (i = 0; i < m; i++)
			s->used[i] += cost_of(t, j)[i];
	}
	for (i = 0; i < m; i++) {
		s->idle[i] = leftover(s->budget[i] - s->used[i], s->budget[i]);
		s->idle_share[i] = s->budget[i] > 0 ? s->idle[i] / s->budget[i] : 0;
	}
	/* The solver's bound covers every plan over these candidates, the filled ones included. */
	s->upper_bound = fmax(r->upper_bound, s->objective);
	s->gap = s->upper_bound > 0 ? (s->upper_bound - s->objective) / s->upper_bound : 0;
	s->proven_optimal = r->proven_optimal;
	s->method = r->method;
	s->candidates = candidates;
}

static int schedule_train(mc_train_result *out, const mc_train *t, size_t w, size_t *train_of,
			  double *room, const mc_knapsack_options *opt)
{
	mc_knapsack *k;
	mc_knapsack_result r;
	size_t *local, nlocal, c, j;
	int rc = train_problem(&k, &local, &nlocal, t, w, train_of);
	if (rc)
		return rc;
	rc = mc_knapsack_solve(&r, k, opt);
	mc_knapsack_free(k);
	if (rc) {
		free(local);
		return mc_error_wrap(rc, "train '%s'", t->win_name[w]);
	}
	/* room still holds the budget less this train's pins; the pins are in r.chosen too. */
	memcpy(room, budget_of(t, w), t->m * sizeof *room);
	for (c = 0; c < r.nchosen; c++) {
		j = local[r.chosen[c]];
		train_of[j] = w;
		take(room, cost_of(t, j), t->m);
	}
	fill_leftover(t, w, local, nlocal, train_of, room);
	record_train(&out->trains[w], t, w, train_of, &r, nlocal);
	out->seconds += r.seconds;
	mc_knapsack_result_free(&r);
	free(local);
	return 0;
}

/* ---- the schedule ------------------------------------------------------------------------- */

static void totals(mc_train_result *out, const mc_train *t)
{
	size_t w, i, j;
	out->budget = mc_xcalloc(t->m, sizeof *out->budget);
	out->used = mc_xcalloc(t->m, sizeof *out->used);
	out->idle = mc_xcalloc(t->m, sizeof *out->idle);
	out->idle_share = mc_xcalloc(t->m, sizeof *out->idle_share);
	for (w = 0; w < t->nwin; w++) {
		out->value += out->trains[w].value;
		out->objective += out->trains[w].objective;
		for (i = 0; i < t->m; i++) {
			out->budget[i] += out->trains[w].budget[i];
			out->used[i] += out->trains[w].used[i];
			out->idle[i] += out->trains[w].idle[i];
		}
	}
	for (i = 0; i < t->m; i++)
		out->idle_share[i] = out->budget[i] > 0 ? out->idle[i] / out->budget[i] : 0;
	out->backlog_exhausted = 1;
	for (j = 0; j < t->n; j++)
		if (out->train_of[j] == MC_TRAIN_NONE && t->pin[j] != MC_KNAPSACK_PIN_OUT)
			out->backlog_exhausted = 0;
}

static void explain_all(mc_train_result *out, const mc_train *t, const double *room)
{
	struct ledger l;
	size_t j, n = 0;
	for (j = 0; j < t->n; j++)
		if (out->train_of[j] == MC_TRAIN_NONE)
			n++;
	out->left_out = n ? mc_xcalloc(n, sizeof *out->left_out) : NULL;
	ledger_init(&l, t, out->train_of, room);
	for (j = 0; j < t->n; j++)
		if (out->train_of[j] == MC_TRAIN_NONE)
			explain(&out->left_out[out->nleft_out++], &l, j);
	ledger_free(&l);
}

int mc_train_plan(mc_train_result *out, const mc_train *t, const mc_knapsack_options *opt)
{
	double *room;
	size_t w, j;
	int rc;
	memset(out, 0, sizeof *out);
	if (t->nwin == 0)
		return mc_error_set(MC_EINVAL, "a release plan needs at least one train");
	out->ntrains = t->nwin;
	out->ndims = t->m;
	out->nitems = t->n;
	out->trains = mc_xcalloc(t->nwin, sizeof *out->trains);
	out->train_of = mc_xmalloc((t->n ? t->n : 1) * sizeof *out->train_of);
	for (j = 0; j < t->n; j++)
		out->train_of[j] = MC_TRAIN_NONE;
	room = mc_xmalloc(t->nwin * t->m * sizeof *room);
	memcpy(room, t->win_budget, t->nwin * t->m * sizeof *room);
	rc = place_pins(t, out->train_of, room);
	for (w = 0; w < t->nwin && !rc; w++)
		rc = schedule_train(out, t, w, out->train_of, room + w * t->m, opt);
	if (!rc) {
		totals(out, t);
		explain_all(out, t, room);
	}
	free(room);
	if (rc)
		mc_train_result_free(out);
	return rc;
}

void mc_train_result_free(mc_train_result *r)
{
	size_t w, k;
	for (w = 0; r->trains && w < r->ntrains; w++) {
		free(r->trains[w].items);
		free(r->trains[w].budget);
		free(r->trains[w].used);
		free(r->trains[w].idle);
		free(r->trains[w].idle_share);
	}
	for (k = 0; k < r->nleft_out; k++)
		left_out_free(&r->left_out[k]);
	free(r->trains);
	free(r->train_of);
	free(r->left_out);
	free(r->budget);
	free(r->used);
	free(r->idle);
	free(r->idle_share);
	memset(r, 0, sizeof *r);
}
