/*
 * 0/1 multidimensional knapsack (knapsack.h).
 *
 * Pins and exclusions first turn the problem into a "sub" problem over the
 * free items with the budgets the pinned-in items leave. Then:
 *
 * LP relaxation and bound. max p.x, A x <= b, 0 <= x <= 1 is solved by a
 * dense bounded-variable primal simplex with an explicit m x m basis inverse
 * (m, the number of budgets, is small; n may be 100,000): variables at their
 * bound 1 are nonbasic "at upper", so the basis never holds more than m
 * columns. It starts from a feasible 0/1 point (the greedy's), which for
 * large n leaves few pivots. The bound reported is not the simplex's value
 * but the Lagrangian bound L(u) = b.u + sum_j max(0, p_j - u.a_j) at the
 * simplex's dual prices clamped to u >= 0: that is a valid upper bound for any
 * u >= 0 and equals the LP optimum at an optimal basis, so an early stop or a
 * rounding error can weaken the bound but never make it wrong. (This is also
 * the surrogate bound with multipliers u: the LP duals are the best surrogate
 * multipliers for the LP-relaxed surrogate problem.)
 *
 * Incumbent. The surrogate greedy ranks items by p_j / u.a_j (plus a small
 * share of sum_i a_ij / b_i so that items using only dimensions with zero
 * price still rank by size), and LP rounding keeps the items at 1 in the LP
 * solution and fills greedily; the better one goes to local search: add what
 * fits, 1-1 swaps that raise the value, and drop-one-and-refill, over windows
 * of the items nearest the greedy threshold (all of them for small n).
 *
 * Exactness. Reduced-cost fixing: an item whose reduced cost d_j = p_j - u.a_j
 * satisfies L(u) - |d_j| <= incumbent cannot be set against its sign in any
 * strictly better plan, so it is fixed. What remains (the core) is solved by
 * depth-first branch and bound when it is small enough: each node solves the
 * LP over its free items and prunes on its Lagrangian bound, branching on the
 * most fractional variable, 1 first. With integral objective coefficients the
 * bound is rounded down, which is what proves most OR-Library optima. With
 * fractional ones optimality is proven up to a relative 1e-9.
 *
 * Everything is deterministic for a given problem and node limit; only the
 * time limit depends on the machine.
 */
#include "model/knapsack.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/error.h"
#include "util/strbuf.h"
#include "util/strmap.h"
#include "util/time.h"

#define LS_WINDOW 300       /* items on each side of the greedy threshold that local search tries */
#define LS_MAX_ROUNDS 200   /* improving rounds of local search */
#define REINVERT_EVERY 50   /* simplex iterations between recomputing B^-1 and x_B from scratch */
#define SAMPLE_ABOVE 4000    /* LPs over more items first solve a sample of them */
#define SAMPLE_STRIDE 8      /* one item in this many goes into the sample */
#define BLAND_AFTER 50      /* consecutive degenerate pivots before switching to Bland's rule */

struct mc_knapsack {
	size_t m, n, alloc;
	char **dim_names;
	double *budget;
	char **ids;
	double *value, *weight;
	double *cost;          /* item-major: cost[j * m + i] */
	unsigned char *pin;
	mc_strmap by_id;
};

/* ---- building a problem ------------------------------------------------------------------ */

int mc_knapsack_new(mc_knapsack **out, size_t ndims, const char *const *names)
{
	mc_knapsack *k;
	size_t i, j;
	*out = NULL;
	if (ndims == 0)
		return mc_error_set(MC_EINVAL, "a plan needs at least one budget dimension");
	if (ndims > MC_KNAPSACK_MAX_DIMS)
		return mc_error_set(MC_ELIMIT, "%zu budget dimensions is over the limit of %d", ndims,
				    MC_KNAPSACK_MAX_DIMS);
	for (i = 0; i < ndims; i++) {
		if (!names || !names[i] || !*names[i])
			return mc_error_set(MC_EINVAL, "budget dimension %zu has no name", i + 1);
		for (j = 0; j < i; j++)
			if (!strcmp(names[i], names[j]))
				return mc_error_set(MC_EINVAL, "budget dimension '%s' is given twice",
						    names[i]);
	}
	k = mc_xcalloc(1, sizeof *k);
	k->m = ndims;
	k->dim_names = mc_xcalloc(ndims, sizeof *k->dim_names);
	k->budget = mc_xcalloc(ndims, sizeof *k->budget);
	for (i = 0; i < ndims; i++)
		k->dim_names[i] = mc_xstrdup(names[i]);
	*out = k;
	return 0;
}

void mc_knapsack_free(mc_knapsack *k)
{
	size_t i;
	if (!k)
		return;
	for (i = 0; i < k->m; i++)
		free(k->dim_names[i]);
	for (i = 0; i < k->n; i++)
		free(k->ids[i]);
	free(k->dim_names);
	free(k->budget);
	free(k->ids);
	free(k->value);
	free(k->weight);
	free(k->cost);
	free(k->pin);
	mc_strmap_free(&k->by_id);
	free(k);
}

int mc_knapsack_set_budget(mc_knapsack *k, size_t dim, double budget)
{
	if (dim >= k->m)
		return mc_error_set(MC_EINVAL, "no budget dimension %zu", dim);
	if (!isfinite(budget) || budget < 0)
		return mc_error_set(MC_EINVAL, "budget '%s' must be a finite number >= 0, not %g",
				    k->dim_names[dim], budget);
	k->budget[dim] = budget;
	return 0;
}

int mc_knapsack_add_item(mc_knapsack *k, size_t *index, const char *id, double value,
			 const double *costs)
{
	size_t i, old;
	int64_t seen;
	if (!id || !*id)
		return mc_error_set(MC_EINVAL, "item %zu has an empty id", k->n + 1);
	if (mc_strmap_get(&k->by_id, id, &seen))
		return mc_error_set(MC_EINVAL, "item '%s': duplicate id (also item %lld)", id,
				    (long long)seen + 1);
	if (!isfinite(value) || value < 0)
		return mc_error_set(MC_EINVAL, "item '%s': value must be a finite number >= 0, not %g",
				    id, value);
	for (i = 0; i < k->m; i++)
		if (!isfinite(costs[i]) || costs[i] < 0)
			return mc_error_set(MC_EINVAL,
					    "item '%s': cost '%s' must be a finite number >= 0, not %g",
					    id, k->dim_names[i], costs[i]);
	if (k->n >= MC_KNAPSACK_MAX_ITEMS)
		return mc_error_set(MC_ELIMIT, "more than %d items", MC_KNAPSACK_MAX_ITEMS);
	if (k->n == k->alloc) {
		old = k->alloc;
		mc_xgrow((void **)&k->ids, &k->alloc, k->n + 1, sizeof *k->ids);
		k->value = mc_xrealloc(k->value, k->alloc * sizeof *k->value);
		k->weight = mc_xrealloc(k->weight, k->alloc * sizeof *k->weight);
		k->pin = mc_xrealloc(k->pin, k->alloc * sizeof *k->pin);
		k->cost = mc_xrealloc(k->cost, k->alloc * k->m * sizeof *k->cost);
		(void)old;
	}
	k->ids[k->n] = mc_xstrdup(id);
	k->value[k->n] = value;
	k->weight[k->n] = 1;
	k->pin[k->n] = MC_KNAPSACK_FREE;
	memcpy(k->cost + k->n * k->m, costs, k->m * sizeof *costs);
	mc_strmap_put(&k->by_id, id, (int64_t)k->n);
	if (index)
		*index = k->n;
	k->n++;
	return 0;
}

int mc_knapsack_pin(mc_knapsack *k, size_t item, enum mc_knapsack_pin pin)
{
	if (item >= k->n)
		return mc_error_set(MC_EINVAL, "no item %zu", item);
	if (pin != MC_KNAPSACK_FREE && pin != MC_KNAPSACK_PIN_IN && pin != MC_KNAPSACK_PIN_OUT)
		return mc_error_set(MC_EINVAL, "item '%s': unknown pin %d", k->ids[item], (int)pin);
	k->pin[item] = (unsigned char)pin;
	return 0;
}

int mc_knapsack_set_weight(mc_knapsack *k, size_t item, double weight)
{
	if (item >= k->n)
		return mc_error_set(MC_EINVAL, "no item %zu", item);
	if (!isfinite(weight) || weight < 0)
		return mc_error_set(MC_EINVAL, "item '%s': weight must be a finite number >= 0, not %g",
				    k->ids[item], weight);
	k->weight[item] = weight;
	return 0;
}

size_t mc_knapsack_items(const mc_knapsack *k) { return k->n; }
size_t mc_knapsack_dims(const mc_knapsack *k) { return k->m; }
const char *mc_knapsack_item_id(const mc_knapsack *k, size_t item)
{
	return item < k->n ? k->ids[item] : NULL;
}
const char *mc_knapsack_dim_name(const mc_knapsack *k, size_t dim)
{
	return dim < k->m ? k->dim_names[dim] : NULL;
}
double mc_knapsack_budget(const mc_knapsack *k, size_t dim)
{
	return dim < k->m ? k->budget[dim] : 0;
}

long mc_knapsack_find_dim(const mc_knapsack *k, const char *name)
{
	size_t i;
	for (i = 0; i < k->m; i++)
		if (!strcmp(k->dim_names[i], name))
			return (long)i;
	return -1;
}

long mc_knapsack_find_item(const mc_knapsack *k, const char *id)
{
	int64_t v;
	return mc_strmap_get(&k->by_id, id, &v) ? (long)v : -1;
}

void mc_knapsack_options_init(mc_knapsack_options *opt)
{
	memset(opt, 0, sizeof *opt);
	opt->time_limit = 0.95; /* OR-Library benchmarks allow a second per instance */
	opt->node_limit = 0;
	opt->exact_max_items = 400;
}

void mc_knapsack_result_free(mc_knapsack_result *r)
{
	free(r->chosen);
	free(r->used);
	free(r->excluded);
	memset(r, 0, sizeof *r);
}

const char *mc_knapsack_exclusion_name(enum mc_knapsack_exclusion why)
{
	switch (why) {
	case MC_KNAPSACK_EXCL_PINNED_OUT: return "pinned out";
	case MC_KNAPSACK_EXCL_OVER_BUDGET: return "over budget";
	case MC_KNAPSACK_EXCL_OVER_PINNED: return "over what the pinned items leave";
	}
	return "unknown";
}

const char *mc_knapsack_stop_name(enum mc_knapsack_stop stop)
{
	switch (stop) {
	case MC_KNAPSACK_DONE: return "done";
	case MC_KNAPSACK_NODE_LIMIT: return "node limit";
	case MC_KNAPSACK_TIME_LIMIT: return "time limit";
	case MC_KNAPSACK_CORE_TOO_LARGE: return "core too large";
	case MC_KNAPSACK_HEURISTIC_ONLY: return "heuristic only";
	}
	return "unknown";
}

/* ---- the sub problem: free items and what the pins leave ---------------------------------- */

struct sub {
	size_t m, n;
	size_t *item;     /* index in the problem of each free item */
	double *p;        /* weighted value */
	double *a;        /* item-major costs */
	double *b;        /* budgets left after the pinned-in items */
	double *tol;      /* slack allowed per dimension when checking a fit (rounding) */
	double *scale;    /* 1 / original budget (0 for a zero budget), for the ratio greedy */
	double base;      /* weighted value of the pinned-in items */
	int integral;     /* every p is an integer: bounds may be rounded down */
	mc_knapsack_excluded *excl;
	size_t nexcl;
};

static void sub_free(struct sub *s)
{
	free(s->item);
	free(s->p);
	free(s->a);
	free(s->b);
	free(s->tol);
	free(s->scale);
	free(s->excl);
}

static int is_integer(double v)
{
	return fabs(v) < 4503599627370496.0 && v == floor(v);
}

/* The error for pinned-in items that do not fit: the dimension, the need, the ids. */
static int pinned_do_not_fit(const mc_knapsack *k, size_t dim, double need)
{
	mc_strbuf ids = MC_STRBUF_INIT;
	size_t j, listed = 0, total = 0;
	int rc;
	for (j = 0; j < k->n; j++) {
		if (k->pin[j] != MC_KNAPSACK_PIN_IN)
			continue;
		total++;
		if (listed < 10) {
			mc_strbuf_printf(&ids, "%s%s", listed ? ", " : "", k->ids[j]);
			listed++;
		}
	}
	if (total > listed)
		mc_strbuf_printf(&ids, " and %zu more", total - listed);
	rc = mc_error_set(MC_EINVAL,
			  "the pinned-in items do not fit: together they need %g of budget '%s', "
			  "which is %g (pinned in: %s)",
			  need, k->dim_names[dim], k->budget[dim], mc_strbuf_str(&ids));
	mc_strbuf_release(&ids);
	return rc;
}

static void add_exclusion(struct sub *s, size_t *alloc, size_t item, enum mc_knapsack_exclusion why,
			  size_t dim)
{
	mc_xgrow((void **)&s->excl, alloc, s->nexcl + 1, sizeof *s->excl);
	s->excl[s->nexcl].item = item;
	s->excl[s->nexcl].why = why;
	s->excl[s->nexcl].dim = dim;
	s->nexcl++;
}

/* The dimension in which cost exceeds limit (beyond the rounding slack), or m. */
static size_t over(const double *cost, const double *limit, const double *tol, size_t m)
{
	size_t i;
	for (i = 0; i < m; i++)
		if (cost[i] > limit[i] + tol[i])
			return i;
	return m;
}

static int sub_build(struct sub *s, const mc_knapsack *k)
{
	size_t m = k->m, i, j, d, ealloc = 0;
	double *pinned = mc_xcalloc(m, sizeof *pinned);

	memset(s, 0, sizeof *s);
	s->m = m;
	s->b = mc_xcalloc(m, sizeof *s->b);
	s->tol = mc_xcalloc(m, sizeof *s->tol);
	s->scale = mc_xcalloc(m, sizeof *s->scale);
	for (i = 0; i < m; i++) {
		s->tol[i] = 1e-9 * fmax(1, k->budget[i]);
		s->scale[i] = k->budget[i] > 0 ? 1 / k->budget[i] : 0;
	}
	for (j = 0; j < k->n; j++) {
		if (k->pin[j] != MC_KNAPSACK_PIN_IN)
			continue;
		for (i = 0; i < m; i++)
			pinned[i] += k->cost[j * m + i];
		s->base += k->weight[j] * k->value[j];
	}
	for (i = 0; i < m; i++) {
		if (pinned[i] > k->budget[i] + s->tol[i]) {
			int rc = pinned_do_not_fit(k, i, pinned[i]);
			free(pinned);
			sub_free(s);
			return rc;
		}
		s->b[i] = fmax(0, k->budget[i] - pinned[i]);
	}
	free(pinned);

	s->item = mc_xmalloc((k->n ? k->n : 1) * sizeof *s->item);
	s->p = mc_xmalloc((k->n ? k->n : 1) * sizeof *s->p);
	s->a = mc_xmalloc((k->n ? k->n : 1) * m * sizeof *s->a);
	s->integral = 1;
	for (j = 0; j < k->n; j++) {
		const double *c = k->cost + j * m;
		if (k->pin[j] == MC_KNAPSACK_PIN_IN)
			continue;
		if (k->pin[j] == MC_KNAPSACK_PIN_OUT) {
			add_exclusion(s, &ealloc, j, MC_KNAPSACK_EXCL_PINNED_OUT, 0);
			continue;
		}
		if ((d = over(c, k->budget, s->tol, m)) < m) {
			add_exclusion(s, &ealloc, j, MC_KNAPSACK_EXCL_OVER_BUDGET, d);
			continue;
		}
		if ((d = over(c, s->b, s->tol, m)) < m) {
			add_exclusion(s, &ealloc, j, MC_KNAPSACK_EXCL_OVER_PINNED, d);
			continue;
		}
		s->item[s->n] = j;
		s->p[s->n] = k->weight[j] * k->value[j];
		if (!is_integer(s->p[s->n]))
			s->integral = 0;
		memcpy(s->a + s->n * m, c, m * sizeof *c);
		s->n++;
	}
	return 0;
}

/* ---- the LP relaxation: bounded-variable primal simplex ------------------------------------ */

enum { AT_LOWER = 0, AT_UPPER = 1, BASIC = 2 };

struct lp {
	size_t m, cap;         /* cap: variables the arrays have room for */
	double *binv;          /* m x m, row-major */
	double *bmat;          /* scratch for reinversion: m x 2m */
	double *xb, *u, *alpha, *cb, *rhs;
	size_t *basis;         /* variable in each basis row: k < nv structural, nv + i slack i */
	unsigned char *state;  /* nv + m */
	size_t *cand;          /* partial pricing: variables worth pricing first */
	size_t ncand;
	size_t iterations;
};

static void lp_init(struct lp *w, size_t m)
{
	memset(w, 0, sizeof *w);
	w->m = m;
	w->binv = mc_xcalloc(m * m, sizeof *w->binv);
	w->bmat = mc_xcalloc(2 * m * m, sizeof *w->bmat);
	w->xb = mc_xcalloc(m, sizeof *w->xb);
	w->u = mc_xcalloc(m, sizeof *w->u);
	w->alpha = mc_xcalloc(m, sizeof *w->alpha);
	w->cb = mc_xcalloc(m, sizeof *w->cb);
	w->rhs = mc_xcalloc(m, sizeof *w->rhs);
	w->basis = mc_xcalloc(m, sizeof *w->basis);
}

static void lp_free(struct lp *w)
{
	free(w->binv);
	free(w->bmat);
	free(w->xb);
	free(w->u);
	free(w->alpha);
	free(w->cb);
	free(w->rhs);
	free(w->basis);
	free(w->state);
	free(w->cand);
}

/* Column of variable v (structural vars[v] or slack v - nv) into col[0..m-1]. */
static void lp_column(const struct sub *s, const size_t *vars, size_t nv, size_t v, double *col)
{
	size_t i, m = s->m;
	if (v < nv) {
		memcpy(col, s->a + vars[v] * m, m * sizeof *col);
	} else {
		for (i = 0; i < m; i++)
			col[i] = 0;
		col[v - nv] = 1;
	}
}

/* Recompute B^-1 from the basis columns (Gauss-Jordan, partial pivoting). 0, or -1 if singular. */
static int lp_reinvert(struct lp *w, const struct sub *s, const size_t *vars, size_t nv)
{
	size_t m = w->m, r, c, i, piv;
	double *t = w->bmat, best, f;
	for (r = 0; r < m; r++) {
		double col[MC_KNAPSACK_MAX_DIMS];
		lp_column(s, vars, nv, w->basis[r], col);
		for (i = 0; i < m; i++) {
			t[i * 2 * m + r] = col[i];
			t[i * 2 * m + m + r] = i == r;
		}
	}
	for (c = 0; c < m; c++) {
		piv = c;
		best = fabs(t[c * 2 * m + c]);
		for (r = c + 1; r < m; r++)
			if (fabs(t[r * 2 * m + c]) > best) {
				best = fabs(t[r * 2 * m + c]);
				piv = r;
			}
		if (best < 1e-12)
			return -1;
		if (piv != c)
			for (i = 0; i < 2 * m; i++) {
				double x = t[c * 2 * m + i];
				t[c * 2 * m + i] = t[piv * 2 * m + i];
				t[piv * 2 * m + i] = x;
			}
		f = t[c * 2 * m + c];
		for (i = 0; i < 2 * m; i++)
			t[c * 2 * m + i] /= f;
		for (r = 0; r < m; r++) {
			if (r == c || t[r * 2 * m + c] == 0)
				continue;
			f = t[r * 2 * m + c];
			for (i = 0; i < 2 * m; i++)
				t[r * 2 * m + i] -= f * t[c * 2 * m + i];
		}
	}
	/* B's columns are basis rows, so this is B^-1 with rows indexed like the basis. */
	for (r = 0; r < m; r++)
		for (i = 0; i < m; i++)
			w->binv[r * m + i] = t[r * 2 * m + m + i];
	return 0;
}

/* x_B = B^-1 (b - sum of the columns at their upper bound). */
static void lp_recompute_xb(struct lp *w, const struct sub *s, const size_t *vars, size_t nv,
			    const double *b)
{
	size_t m = w->m, k, i, r;
	for (i = 0; i < m; i++)
		w->rhs[i] = b[i];
	for (k = 0; k < nv; k++)
		if (w->state[k] == AT_UPPER)
			for (i = 0; i < m; i++)
				w->rhs[i] -= s->a[vars[k] * m + i];
	for (r = 0; r < m; r++) {
		double v = 0;
		for (i = 0; i < m; i++)
			v += w->binv[r * m + i] * w->rhs[i];
		w->xb[r] = v;
	}
}

/*
 * The Lagrangian bound of the items in vars under budgets b at prices u (clamped to >= 0):
 * b.u + sum max(0, p - u.a). Valid for any u >= 0.
 */
static double lagrangian_bound(const struct sub *s, const size_t *vars, size_t nv, const double *b,
			       const double *u)
{
	size_t m = s->m, k, i;
	double bound = 0;
	for (i = 0; i < m; i++)
		bound += u[i] * b[i];
	for (k = 0; k < nv; k++) {
		const double *a = s->a + vars[k] * m;
		double d = s->p[vars[k]];
		for (i = 0; i < m; i++)
			d -= u[i] * a[i];
		if (d > 0)
			bound += d;
	}
	return bound;
}

/* How much the objective improves per unit move of nonbasic variable q; <= 0 if it does not. */
static double lp_gain(const struct lp *w, const struct sub *s, const size_t *vars, size_t nv,
		      size_t q)
{
	double d;
	size_t i, m = s->m;
	if (w->state[q] == BASIC)
		return 0;
	if (q < nv) {
		const double *a = s->a + vars[q] * m;
		d = s->p[vars[q]];
		for (i = 0; i < m; i++)
			d -= w->u[i] * a[i];
	} else {
		d = -w->u[q - nv];
	}
	return w->state[q] == AT_LOWER ? d : -d;
}

/*
 * Solve the LP over the items vars[0..nv-1] with budgets b, starting from the feasible 0/1
 * point start (1 = take; may be NULL for all 0). x[0..nv-1] gets the LP point, u the prices
 * (>= 0). Returns the Lagrangian bound at u.
 */
static double lp_solve(struct lp *w, const struct sub *s, const size_t *vars, size_t nv,
		       const double *b, const unsigned char *start, double *x, double *u)
{
	size_t m = w->m, k, i, r, q, iter, max_iter, degenerate = 0;
	double pmax = 0, dtol;
	int bland = 0;

	if (nv + m > w->cap) {
		w->cap = nv + m;
		w->state = mc_xrealloc(w->state, w->cap);
		w->cand = mc_xrealloc(w->cand, w->cap * sizeof *w->cand);
	}
	for (k = 0; k < nv; k++) {
		w->state[k] = start && start[k] ? AT_UPPER : AT_LOWER;
		if (s->p[vars[k]] > pmax)
			pmax = s->p[vars[k]];
	}
	for (i = 0; i < m; i++) {
		w->state[nv + i] = BASIC;
		w->basis[i] = nv + i;
		for (r = 0; r < m; r++)
			w->binv[i * m + r] = i == r;
	}
	lp_recompute_xb(w, s, vars, nv, b);
	for (i = 0; i < m; i++)
		if (w->xb[i] < 0)
			w->xb[i] = 0; /* a start that fits only within the rounding slack */
	dtol = 1e-9 * fmax(1, pmax);
	w->ncand = 0;
	max_iter = 20 * (nv + m) + 1000;

	for (iter = 0; iter < max_iter; iter++) {
		double gain = 0, tmax, dir;
		size_t leave = m, best = nv + m;
		int leave_to_upper = 0;

		if (iter && iter % REINVERT_EVERY == 0 && lp_reinvert(w, s, vars, nv) == 0)
			lp_recompute_xb(w, s, vars, nv, b);
		for (r = 0; r < m; r++)
			w->cb[r] = w->basis[r] < nv ? s->p[vars[w->basis[r]]] : 0;
		for (i = 0; i < m; i++) {
			double v = 0;
			for (r = 0; r < m; r++)
				v += w->cb[r] * w->binv[r * m + i];
			w->u[i] = v;
		}
		/*
		 * Pricing: the largest improving reduced cost (Dantzig), or the first (Bland).
		 * Partial pricing: a full pass over every item also lists every improving one,
		 * and the iterations after it price that list only (dropping what stopped
		 * improving) until it is empty; only then is everything priced again. Most
		 * iterations on a large LP are bound flips, which leave the prices alone, so the
		 * list stays right for long. Optimality is always declared by a full pass.
		 */
		if (!bland) {
			size_t keep = 0;
			for (k = 0; k < w->ncand; k++) {
				double g = lp_gain(w, s, vars, nv, w->cand[k]);
				if (!(g > dtol))
					continue;
				w->cand[keep++] = w->cand[k];
				if (g > gain) {
					gain = g;
					best = w->cand[k];
				}
			}
			w->ncand = keep;
		}
		if (best == nv + m) {
			w->ncand = 0;
			for (q = 0; q < nv + m; q++) {
				double g = lp_gain(w, s, vars, nv, q);
				if (!(g > dtol))
					continue;
				w->cand[w->ncand++] = q;
				if (g > gain) {
					gain = g;
					best = q;
					if (bland)
						break;
				}
			}
		}
		if (best == nv + m)
			break; /* optimal */
		q = best;
		{
			double col[MC_KNAPSACK_MAX_DIMS];
			lp_column(s, vars, nv, q, col);
			for (r = 0; r < m; r++) {
				double v = 0;
				for (i = 0; i < m; i++)
					v += w->binv[r * m + i] * col[i];
				w->alpha[r] = v;
			}
		}
		dir = w->state[q] == AT_LOWER ? 1 : -1;
		/* Ratio test: the entering variable's own bound, then each basic variable's. */
		tmax = q < nv ? 1 : HUGE_VAL;
		for (r = 0; r < m; r++) {
			double g = dir * w->alpha[r], lim;
			int to_upper;
			if (g > 1e-9) {
				lim = w->xb[r] / g;
				to_upper = 0;
			} else if (g < -1e-9 && w->basis[r] < nv) {
				lim = (1 - w->xb[r]) / -g;
				to_upper = 1;
			} else {
				continue;
			}
			if (lim < 0)
				lim = 0;
			if (lim < tmax - 1e-12 ||
			    (leave < m && lim < tmax + 1e-12 && fabs(w->alpha[r]) > fabs(w->alpha[leave]))) {
				tmax = lim;
				leave = r;
				leave_to_upper = to_upper;
			}
		}
		if (tmax == HUGE_VAL)
			break; /* cannot happen with bounded items; stop rather than loop */
		for (r = 0; r < m; r++)
			w->xb[r] -= tmax * dir * w->alpha[r];
		if (leave == m) {
			w->state[q] = w->state[q] == AT_LOWER ? AT_UPPER : AT_LOWER;
		} else {
			size_t out = w->basis[leave];
			double piv = w->alpha[leave];
			w->state[out] = leave_to_upper ? AT_UPPER : AT_LOWER;
			w->xb[leave] = dir > 0 ? tmax : 1 - tmax;
			w->basis[leave] = q;
			w->state[q] = BASIC;
			for (i = 0; i < m; i++)
				w->binv[leave * m + i] /= piv;
			for (r = 0; r < m; r++) {
				double f = w->alpha[r];
				if (r == leave || f == 0)
					continue;
				for (i = 0; i < m; i++)
					w->binv[r * m + i] -= f * w->binv[leave * m + i];
			}
		}
		degenerate = tmax < 1e-12 ? degenerate + 1 : 0;
		if (degenerate > BLAND_AFTER)
			bland = 1;
	}
	w->iterations += iter;
	for (k = 0; k < nv; k++)
		x[k] = w->state[k] == AT_UPPER ? 1 : 0;
	for (r = 0; r < m; r++)
		if (w->basis[r] < nv)
			x[w->basis[r]] = fmin(1, fmax(0, w->xb[r]));
	for (i = 0; i < m; i++)
		u[i] = fmax(0, w->u[i]);
	return lagrangian_bound(s, vars, nv, b, u);
}

/* ---- greedy and local search --------------------------------------------------------------- */

struct keyed {
	double key;
	size_t k;
};

static int by_key_desc(const void *x, const void *y)
{
	const struct keyed *a = x, *b = y;
	if (a->key != b->key)
		return a->key < b->key ? 1 : -1;
	return (a->k > b->k) - (a->k < b->k);
}

/* Items of s in decreasing key[k]; ties keep the problem's order. */
static size_t *order_by(const struct sub *s, const double *key)
{
	struct keyed *t = mc_xmalloc((s->n ? s->n : 1) * sizeof *t);
	size_t *order = mc_xmalloc((s->n ? s->n : 1) * sizeof *order), k;
	for (k = 0; k < s->n; k++) {
		t[k].key = key[k];
		t[k].k = k;
	}
	qsort(t, s->n, sizeof *t, by_key_desc);
	for (k = 0; k < s->n; k++)
		order[k] = t[k].k;
	free(t);
	return order;
}

/* Surrogate ratio p / (u.a + eps * sum a_i / b_i); infinite for an item that costs nothing. */
static void surrogate_keys(const struct sub *s, const double *u, double *key)
{
	size_t k, i, m = s->m;
	double usum = 0, eps;
	for (i = 0; i < m; i++)
		usum += u[i] * s->b[i];
	/* A small share of the relative size, so that prices of 0 still rank by size. */
	eps = 1e-6 * (usum > 0 ? usum : 1);
	for (k = 0; k < s->n; k++) {
		const double *a = s->a + k * m;
		double den = 0, rel = 0;
		for (i = 0; i < m; i++) {
			den += u[i] * a[i];
			rel += a[i] * s->scale[i];
		}
		den += eps * rel;
		key[k] = den > 0 ? s->p[k] / den : (s->p[k] > 0 ? HUGE_VAL : 0);
	}
}

struct plan {
	unsigned char *sel;
	double *left;      /* budget left per dimension */
	double value;
};

static void plan_init(struct plan *pl, const struct sub *s)
{
	pl->sel = mc_xcalloc(s->n ? s->n : 1, 1);
	pl->left = mc_xmalloc(s->m * sizeof *pl->left);
	memcpy(pl->left, s->b, s->m * sizeof *pl->left);
	pl->value = 0;
}

static void plan_free(struct plan *pl)
{
	free(pl->sel);
	free(pl->left);
}

static void plan_copy(struct plan *dst, const struct plan *src, const struct sub *s)
{
	memcpy(dst->sel, src->sel, s->n ? s->n : 1);
	memcpy(dst->left, src->left, s->m * sizeof *dst->left);
	dst->value = src->value;
}

static int fits(const struct sub *s, const double *left, size_t k)
{
	size_t i;
	const double *a = s->a + k * s->m;
	for (i = 0; i < s->m; i++)
		if (a[i] > left[i] + s->tol[i])
			return 0;
	return 1;
}

static void plan_set(struct plan *pl, const struct sub *s, size_t k, int on)
{
	size_t i;
	const double *a = s->a + k * s->m;
	double sign = on ? -1 : 1;
	pl->sel[k] = (unsigned char)on;
	for (i = 0; i < s->m; i++)
		pl->left[i] += sign * a[i];
	pl->value += on ? s->p[k] : -s->p[k];
}

/* Add, in order, every item with value that still fits. */
static void greedy_fill(struct plan *pl, const struct sub *s, const size_t *order)
{
	size_t t;
	for (t = 0; t < s->n; t++) {
		size_t k = order[t];
		if (!pl->sel[k] && s->p[k] > 0 && fits(s, pl->left, k))
			plan_set(pl, s, k, 1);
	}
}

/* The same over a list of candidates only. */
static void greedy_fill_list(struct plan *pl, const struct sub *s, const size_t *list, size_t count)
{
	size_t t;
	for (t = 0; t < count; t++) {
		size_t k = list[t];
		if (!pl->sel[k] && s->p[k] > 0 && fits(s, pl->left, k))
			plan_set(pl, s, k, 1);
	}
}

/* Does swapping out i for j fit? */
static int swap_fits(const struct sub *s, const double *left, size_t out, size_t in)
{
	size_t d;
	const double *ao = s->a + out * s->m, *ai = s->a + in * s->m;
	for (d = 0; d < s->m; d++)
		if (ai[d] > left[d] + ao[d] + s->tol[d])
			return 0;
	return 1;
}

/*
 * Local search from pl: 1-1 swaps that raise the value (first improvement), then
 * drop-one-and-refill (from the candidates); after each improvement, refill from all items.
 * Candidates: the chosen items ranked lowest and the unchosen ranked highest by order, at
 * most LS_WINDOW of each, so that a round costs O(LS_WINDOW^2 m + n m) whatever n is.
 */
static void local_search(struct plan *pl, const struct sub *s, const size_t *order)
{
	size_t *in = mc_xmalloc((s->n ? s->n : 1) * sizeof *in);
	size_t *out = mc_xmalloc((s->n ? s->n : 1) * sizeof *out);
	struct plan trial;
	size_t round, t, a, c, nin, nout;
	plan_init(&trial, s);
	greedy_fill(pl, s, order);
	for (round = 0; round < LS_MAX_ROUNDS; round++) {
		int improved = 0;
		nin = nout = 0;
		for (t = s->n; t-- > 0 && nin < LS_WINDOW;)
			if (pl->sel[order[t]])
				in[nin++] = order[t];
		for (t = 0; t < s->n && nout < LS_WINDOW; t++)
			if (!pl->sel[order[t]] && s->p[order[t]] > 0)
				out[nout++] = order[t];
		for (a = 0; a < nin && !improved; a++)
			for (c = 0; c < nout && !improved; c++)
				if (s->p[out[c]] > s->p[in[a]] && swap_fits(s, pl->left, in[a], out[c])) {
					plan_set(pl, s, in[a], 0);
					plan_set(pl, s, out[c], 1);
					greedy_fill(pl, s, order);
					improved = 1;
				}
		for (a = 0; a < nin && !improved; a++) {
			plan_copy(&trial, pl, s);
			plan_set(&trial, s, in[a], 0);
			trial.sel[in[a]] = 2; /* not re-added by this refill */
			greedy_fill_list(&trial, s, out, nout);
			trial.sel[in[a]] = 0;
			if (trial.value > pl->value * (1 + 1e-12) + 1e-12) {
				plan_copy(pl, &trial, s);
				improved = 1;
			}
		}
		if (!improved)
			break;
	}
	plan_free(&trial);
	free(in);
	free(out);
}

/* ---- branch and bound over the core --------------------------------------------------------- */

struct bb {
	const struct sub *s;
	struct lp lp;
	size_t *order;         /* the core items (free at the root) in surrogate order */
	const size_t *full_order; /* every sub item in surrogate order, for local search */
	unsigned char *fix;    /* per sub item: 0 free, 1 fixed in, 2 fixed out */
	size_t *vars;          /* scratch, per depth: nv entries each */
	double *x;             /* scratch, per depth */
	unsigned char *start;  /* scratch */
	double *u;
	double *left;          /* budget left, per depth: m entries each */
	size_t ncore;          /* free items at the root */
	struct plan *best;
	size_t nodes, node_limit;
	double deadline;
	enum mc_knapsack_stop stop;
};

/* Can a plan of bound `bound` beat the incumbent? */
static int can_beat(const struct sub *s, double best, double bound)
{
	if (s->integral)
		return floor(bound + 1e-6) >= best + 1 - 1e-6;
	return bound > best + 1e-9 * fmax(1, fabs(best));
}

/* The plan: items fixed in + those with sel set in extra (over vars). */
/* Whether a plan built fresh from the budgets fits every one of them. */
static int plan_fits(const struct plan *pl, const struct sub *s)
{
	for (size_t i = 0; i < s->m; i++)
		if (pl->left[i] < -s->tol[i])
			return 0;
	return 1;
}

static void offer(struct bb *t, double value, const size_t *vars, size_t nv, const unsigned char *take)
{
	const struct sub *s = t->s;
	struct plan cand;
	size_t k;
	if (!(value > t->best->value * (1 + 1e-12) + 1e-12))
		return;
	plan_init(&cand, s);
	for (k = 0; k < s->n; k++)
		if (t->fix[k] == 1)
			plan_set(&cand, s, k, 1);
	for (k = 0; k < nv; k++)
		if (take[k])
			plan_set(&cand, s, vars[k], 1);
	/* The node's own residuals are updated incrementally, and costs of very different
	 * magnitudes (1e34 beside 2) lose the small ones to rounding there; the set is
	 * checked again from the budgets before it may become the incumbent. */
	if (plan_fits(&cand, s)) {
		/* Improvements are rare: polishing each one costs little and often finds more. */
		local_search(&cand, s, t->full_order);
		if (cand.value > t->best->value)
			plan_copy(t->best, &cand, s);
	}
	plan_free(&cand);
}

static void branch_in(struct bb *t, size_t depth, double fixed_value, size_t k);
static void branch_out(struct bb *t, size_t depth, double fixed_value, size_t k);

static void bb_node(struct bb *t, size_t depth, double fixed_value)
{
	const struct sub *s = t->s;
	size_t m = s->m, nv = 0, k, i, tt, branch;
	size_t *vars = t->vars + depth * (t->ncore + 1);
	double *x = t->x + depth * (t->ncore + 1), *left = t->left + depth * m;
	double bound, greedy_value = 0, frac;
	unsigned char *take = t->start;

	if (t->stop != MC_KNAPSACK_DONE)
		return;
	t->nodes++;
	if (t->node_limit && t->nodes > t->node_limit) {
		t->stop = MC_KNAPSACK_NODE_LIMIT;
		return;
	}
	if (t->deadline > 0 && (t->nodes & 63) == 0 && mc_time_monotonic() > t->deadline) {
		t->stop = MC_KNAPSACK_TIME_LIMIT;
		return;
	}
	/* Free items in surrogate order, a greedy start among them (feasible, and an incumbent). */
	{
		double *gl = t->u; /* borrowed as scratch for the greedy's budget left */
		memcpy(gl, left, m * sizeof *gl);
		for (tt = 0; tt < t->ncore; tt++) {
			k = t->order[tt];
			if (t->fix[k])
				continue;
			take[nv] = 0;
			if (s->p[k] > 0 && fits(s, gl, k)) {
				take[nv] = 1;
				for (i = 0; i < m; i++)
					gl[i] -= s->a[k * m + i];
				greedy_value += s->p[k];
			}
			vars[nv++] = k;
		}
	}
	offer(t, fixed_value + greedy_value, vars, nv, take);
	if (nv == 0)
		return;
	bound = fixed_value + lp_solve(&t->lp, s, vars, nv, left, take, x, t->u);
	if (!can_beat(s, t->best->value, bound))
		return;
	/* Round the LP point down and fill: often better than the greedy. */
	{
		double *gl = t->u, v = fixed_value;
		memcpy(gl, left, m * sizeof *gl);
		for (k = 0; k < nv; k++) {
			take[k] = x[k] > 1 - 1e-9;
			if (take[k]) {
				for (i = 0; i < m; i++)
					gl[i] -= s->a[vars[k] * m + i];
				v += s->p[vars[k]];
			}
		}
		for (k = 0; k < nv; k++)
			if (!take[k] && s->p[vars[k]] > 0 && fits(s, gl, vars[k])) {
				take[k] = 1;
				for (i = 0; i < m; i++)
					gl[i] -= s->a[vars[k] * m + i];
				v += s->p[vars[k]];
			}
		offer(t, v, vars, nv, take);
	}
	/* Branch on the most fractional variable; an integral LP point is this node's optimum. */
	branch = nv;
	frac = 1e-9;
	for (k = 0; k < nv; k++) {
		double f = fmin(x[k], 1 - x[k]);
		if (f > frac) {
			frac = f;
			branch = k;
		}
	}
	if (branch == nv)
		return;
	if (!can_beat(s, t->best->value, bound))
		return;
	k = vars[branch];
	/* The side the LP leans to first: it is where a better plan is more likely. */
	if (x[branch] >= 0.5) {
		branch_in(t, depth, fixed_value, k);
		branch_out(t, depth, fixed_value, k);
	} else {
		branch_out(t, depth, fixed_value, k);
		branch_in(t, depth, fixed_value, k);
	}
	t->fix[k] = 0;
}

static void branch_in(struct bb *t, size_t depth, double fixed_value, size_t k)
{
	const struct sub *s = t->s;
	const double *left = t->left + depth * s->m;
	double *child = t->left + (depth + 1) * s->m;
	size_t i;
	if (!fits(s, left, k))
		return;
	for (i = 0; i < s->m; i++)
		child[i] = left[i] - s->a[k * s->m + i];
	t->fix[k] = 1;
	bb_node(t, depth + 1, fixed_value + s->p[k]);
}

static void branch_out(struct bb *t, size_t depth, double fixed_value, size_t k)
{
	const struct sub *s = t->s;
	memcpy(t->left + (depth + 1) * s->m, t->left + depth * s->m, s->m * sizeof *t->left);
	t->fix[k] = 2;
	bb_node(t, depth + 1, fixed_value);
}

/* ---- solve ---------------------------------------------------------------------------------- */

static void result_from(mc_knapsack_result *r, const mc_knapsack *k, const struct sub *s,
			const unsigned char *sel)
{
	size_t j, i, t, m = k->m;
	unsigned char *chosen = mc_xcalloc(k->n ? k->n : 1, 1);
	for (j = 0; j < k->n; j++)
		if (k->pin[j] == MC_KNAPSACK_PIN_IN)
			chosen[j] = 1;
	for (t = 0; t < s->n; t++)
		if (sel[t])
			chosen[s->item[t]] = 1;
	r->ndims = m;
	r->used = mc_xcalloc(m, sizeof *r->used);
	r->chosen = mc_xmalloc((k->n ? k->n : 1) * sizeof *r->chosen);
	r->nchosen = 0;
	r->objective = r->value = 0;
	for (j = 0; j < k->n; j++) {
		if (!chosen[j])
			continue;
		r->chosen[r->nchosen++] = j;
		r->objective += k->weight[j] * k->value[j];
		r->value += k->value[j];
		for (i = 0; i < m; i++)
			r->used[i] += k->cost[j * m + i];
	}
	free(chosen);
	r->excluded = s->nexcl ? mc_xmalloc(s->nexcl * sizeof *r->excluded) : NULL;
	if (s->nexcl)
		memcpy(r->excluded, s->excl, s->nexcl * sizeof *r->excluded);
	r->nexcluded = s->nexcl;
}

static void set_bound(mc_knapsack_result *r, const struct sub *s, double sub_bound)
{
	double ub = s->base + (s->integral ? floor(sub_bound + 1e-6) : sub_bound);
	if (r->proven_optimal || ub < r->objective)
		ub = r->objective;
	r->upper_bound = ub;
	r->gap = ub > 0 ? (ub - r->objective) / ub : 0;
}

/* A fixed pseudo-random choice of about one item in SAMPLE_STRIDE, another one per level. */
static int in_sample(size_t k, unsigned level)
{
	uint64_t h = ((uint64_t)k + 1) * 0x9e3779b97f4a7c15ull;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull + 2 * (uint64_t)level;
	h ^= h >> 32;
	return h % SAMPLE_STRIDE == 0;
}

/*
 * A feasible 0/1 start for the LP over vars: the surrogate greedy at prices u
 * (or, without prices, by p / sum_i a_i / b_i).
 */
static void greedy_start(const struct sub *s, const size_t *vars, size_t nv, const double *b,
			 const double *u, unsigned char *start)
{
	struct keyed *t = mc_xmalloc((nv ? nv : 1) * sizeof *t);
	double left[MC_KNAPSACK_MAX_DIMS], usum = 0, eps;
	size_t k, i, m = s->m;
	for (i = 0; i < m; i++) {
		left[i] = b[i];
		usum += u ? u[i] * b[i] : 0;
	}
	eps = u ? 1e-6 * (usum > 0 ? usum : 1) : 1;
	for (k = 0; k < nv; k++) {
		const double *a = s->a + vars[k] * m;
		double den = 0;
		for (i = 0; i < m; i++)
			den += (u ? u[i] * a[i] : 0) + eps * a[i] * s->scale[i];
		t[k].key = den > 0 ? s->p[vars[k]] / den : HUGE_VAL;
		t[k].k = k;
		start[k] = 0;
	}
	qsort(t, nv, sizeof *t, by_key_desc);
	for (k = 0; k < nv; k++) {
		size_t v = vars[t[k].k];
		if (s->p[v] > 0 && fits(s, left, v)) {
			start[t[k].k] = 1;
			for (i = 0; i < m; i++)
				left[i] -= s->a[v * m + i];
		}
	}
	free(t);
}

/*
 * The LP over vars with budgets b. Started cold, the simplex spends an iteration
 * (a pricing pass over all n items) on every item whose side of the threshold the
 * start got wrong: thousands for n = 100,000. So a large LP first solves a sample of
 * its items with the budgets scaled down alike, whose prices are close to the full
 * LP's, and starts from the surrogate greedy at those prices: few items are then
 * on the wrong side.
 */
static double lp_warm(struct lp *w, const struct sub *s, const size_t *vars, size_t nv,
		      const double *b, double *x, double *u, unsigned level)
{
	unsigned char *start = mc_xmalloc(nv ? nv : 1);
	double bound;
	if (nv > SAMPLE_ABOVE && level < 8) {
		size_t *sample = mc_xmalloc(nv * sizeof *sample), ns = 0, k, i;
		double bs[MC_KNAPSACK_MAX_DIMS];
		for (k = 0; k < nv; k++)
			if (in_sample(vars[k], level))
				sample[ns++] = vars[k];
		for (i = 0; i < s->m; i++)
			bs[i] = b[i] * (double)ns / (double)nv;
		lp_warm(w, s, sample, ns, bs, x, u, level + 1);
		free(sample);
		greedy_start(s, vars, nv, b, u, start);
	} else {
		greedy_start(s, vars, nv, b, NULL, start);
	}
	bound = lp_solve(w, s, vars, nv, b, start, x, u);
	free(start);
	return bound;
}

/* The root LP of the whole sub problem: bound, x, u. */
static double root_lp(const struct sub *s, struct lp *w, double *x, double *u, size_t *vars)
{
	size_t k;
	for (k = 0; k < s->n; k++)
		vars[k] = k;
	return lp_warm(w, s, vars, s->n, s->b, x, u, 0);
}

/* The OR-Library reference ratio p / sum_i a_i / b_i (b = the whole budget). */
static void ratio_keys(const struct sub *s, double *key)
{
	size_t k, i;
	for (k = 0; k < s->n; k++) {
		double den = 0;
		for (i = 0; i < s->m; i++)
			den += s->a[k * s->m + i] * s->scale[i];
		key[k] = den > 0 ? s->p[k] / den : (s->p[k] > 0 ? HUGE_VAL : 0);
	}
}

int mc_knapsack_solve(mc_knapsack_result *out, const mc_knapsack *k, const mc_knapsack_options *opt)
{
	mc_knapsack_options defaults;
	struct sub s;
	struct lp w;
	struct plan best, lpround;
	double start_time = mc_time_monotonic(), bound, *x, *u, *key, *d;
	size_t *vars, *order, *ratio_order, n, i, t, ncore = 0;
	unsigned char *fix;
	int rc;

	memset(out, 0, sizeof *out);
	if (!opt) {
		mc_knapsack_options_init(&defaults);
		opt = &defaults;
	}
	if ((rc = sub_build(&s, k)) != 0)
		return rc;
	n = s.n;
	lp_init(&w, s.m);
	x = mc_xcalloc(n ? n : 1, sizeof *x);
	u = mc_xcalloc(s.m, sizeof *u);
	key = mc_xcalloc(n ? n : 1, sizeof *key);
	d = mc_xcalloc(n ? n : 1, sizeof *d);
	vars = mc_xmalloc((n ? n : 1) * sizeof *vars);
	fix = mc_xcalloc(n ? n : 1, 1);

	/* 1. A feasible start (the ratio greedy), the root LP and its prices. */
	ratio_keys(&s, key);
	ratio_order = order_by(&s, key);
	plan_init(&best, &s);
	greedy_fill(&best, &s, ratio_order);
	bound = root_lp(&s, &w, x, u, vars);

	/* 2. Incumbents: surrogate greedy and LP rounding, then local search on the better. */
	surrogate_keys(&s, u, key);
	order = order_by(&s, key);
	plan_init(&lpround, &s);
	for (t = 0; t < n; t++)
		if (x[t] > 1 - 1e-9 && fits(&s, lpround.left, t))
			plan_set(&lpround, &s, t, 1);
	greedy_fill(&lpround, &s, order);
	{
		struct plan sg;
		plan_init(&sg, &s);
		greedy_fill(&sg, &s, order);
		if (sg.value > best.value)
			plan_copy(&best, &sg, &s);
		plan_free(&sg);
	}
	if (lpround.value > best.value)
		plan_copy(&best, &lpround, &s);
	local_search(&best, &s, order);

	/* 3. Reduced-cost fixing, then branch and bound over the core if it is small enough. */
	{
		double step = s.integral ? 1 - 1e-6 : -1e-9 * fmax(1, fabs(bound));
		double left[MC_KNAPSACK_MAX_DIMS];
		int fixed_fit = 1;
		memcpy(left, s.b, s.m * sizeof *left);
		for (t = 0; t < n; t++) {
			double dj = s.p[t];
			for (i = 0; i < s.m; i++)
				dj -= u[i] * s.a[t * s.m + i];
			d[t] = dj;
			if (bound - fabs(dj) < best.value + step) {
				fix[t] = dj > 0 ? 1 : 2;
				if (fix[t] == 1) {
					for (i = 0; i < s.m; i++)
						left[i] -= s.a[t * s.m + i];
				}
			} else {
				ncore++;
			}
		}
		for (i = 0; i < s.m; i++)
			if (left[i] < -s.tol[i])
				fixed_fit = 0;
		out->core = ncore;
		out->stop = MC_KNAPSACK_DONE;
		if (!can_beat(&s, best.value, bound) || !fixed_fit) {
			out->proven_optimal = 1; /* nothing strictly better can exist */
		} else if (opt->heuristic_only) {
			out->stop = MC_KNAPSACK_HEURISTIC_ONLY;
		} else if (ncore > opt->exact_max_items) {
			out->stop = MC_KNAPSACK_CORE_TOO_LARGE;
		} else {
			struct bb tree;
			double fixed_value = 0;
			memset(&tree, 0, sizeof tree);
			tree.s = &s;
			lp_init(&tree.lp, s.m);
			tree.order = mc_xmalloc((ncore ? ncore : 1) * sizeof *tree.order);
			for (t = 0; t < n; t++)
				if (!fix[order[t]])
					tree.order[tree.ncore++] = order[t];
			tree.fix = fix;
			tree.full_order = order;
			tree.vars = mc_xmalloc((ncore + 1) * (ncore + 1) * sizeof *tree.vars);
			tree.x = mc_xmalloc((ncore + 1) * (ncore + 1) * sizeof *tree.x);
			tree.start = mc_xmalloc(ncore + 1);
			tree.u = mc_xmalloc(s.m * sizeof *tree.u);
			tree.left = mc_xmalloc((ncore + 2) * s.m * sizeof *tree.left);
			memcpy(tree.left, left, s.m * sizeof *left);
			tree.best = &best;
			tree.node_limit = opt->node_limit;
			tree.deadline = opt->time_limit > 0 ? start_time + opt->time_limit : 0;
			for (t = 0; t < n; t++)
				if (fix[t] == 1)
					fixed_value += s.p[t];
			bb_node(&tree, 0, fixed_value);
			out->nodes = tree.nodes;
			out->stop = tree.stop;
			out->proven_optimal = tree.stop == MC_KNAPSACK_DONE;
			lp_free(&tree.lp);
			free(tree.order);
			free(tree.vars);
			free(tree.x);
			free(tree.start);
			free(tree.u);
			free(tree.left);
		}
	}
	result_from(out, k, &s, best.sel);
	out->method = out->nodes ? "branch-and-bound" : (out->proven_optimal ? "lp-bound" : "heuristic");
	set_bound(out, &s, bound);
	out->seconds = mc_time_monotonic() - start_time;

	plan_free(&best);
	plan_free(&lpround);
	free(order);
	free(ratio_order);
	free(x);
	free(u);
	free(key);
	free(d);
	free(vars);
	free(fix);
	lp_free(&w);
	sub_free(&s);
	return 0;
}

/* Take what fits in key order, time it, and bound it with the LP. */
static int greedy_by(mc_knapsack_result *out, const mc_knapsack *k, const char *method,
		     long usd_dim, long ci_dim)
{
	struct sub s;
	struct plan pl;
	struct lp w;
	double start_time = mc_time_monotonic(), seconds, bound, *key, *x, *u;
	size_t *order, *vars, t;
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = sub_build(&s, k)) != 0)
		return rc;
	key = mc_xcalloc(s.n ? s.n : 1, sizeof *key);
	if (usd_dim < 0) {
		ratio_keys(&s, key);
	} else {
		for (t = 0; t < s.n; t++) {
			const double *a = s.a + t * s.m;
			key[t] = s.p[t] / (a[usd_dim] + 0.01 + a[ci_dim] / 30);
		}
	}
	order = order_by(&s, key);
	plan_init(&pl, &s);
	greedy_fill(&pl, &s, order);
	result_from(out, k, &s, pl.sel);
	seconds = mc_time_monotonic() - start_time;

	/* The bound is not part of the greedy's time: it is there to compare gaps. */
	lp_init(&w, s.m);
	x = mc_xcalloc(s.n ? s.n : 1, sizeof *x);
	u = mc_xcalloc(s.m, sizeof *u);
	vars = mc_xmalloc((s.n ? s.n : 1) * sizeof *vars);
	bound = root_lp(&s, &w, x, u, vars);
	out->method = method;
	out->stop = MC_KNAPSACK_HEURISTIC_ONLY;
	out->core = s.n;
	set_bound(out, &s, bound);
	out->proven_optimal = out->upper_bound <= out->objective;
	out->seconds = seconds;

	lp_free(&w);
	free(x);
	free(u);
	free(vars);
	free(key);
	free(order);
	plan_free(&pl);
	sub_free(&s);
	return 0;
}

int mc_knapsack_greedy_ratio(mc_knapsack_result *out, const mc_knapsack *k)
{
	return greedy_by(out, k, "greedy-ratio", -1, -1);
}

int mc_knapsack_greedy_sprint(mc_knapsack_result *out, const mc_knapsack *k, size_t usd_dim,
			      size_t ci_dim)
{
	memset(out, 0, sizeof *out);
	if (usd_dim >= k->m || ci_dim >= k->m)
		return mc_error_set(MC_EINVAL, "the sprint greedy needs the usd and ci dimensions");
	return greedy_by(out, k, "greedy-sprint", (long)usd_dim, (long)ci_dim);
}
