/*
 * The planner's core: 0/1 multidimensional knapsack. Choose items (pull
 * requests, issues, OR-Library variables) to maximise the sum of their
 * weighted values while the sum of their costs stays within every budget,
 * over any number of budget dimensions. Pure: no I/O; the only outside thing
 * it reads is the monotonic clock, for the time limit.
 *
 * Build a problem with mc_knapsack_new, mc_knapsack_set_budget and
 * mc_knapsack_add_item (which refuses negative or non-finite numbers and
 * duplicate ids, naming the item), steer it with mc_knapsack_pin ("must
 * ship" / "hold") and mc_knapsack_set_weight (a priority override multiplies
 * an item's value), then call mc_knapsack_solve.
 *
 * How it solves (knapsack.c explains each step):
 *   1. the LP relaxation by a dense bounded-variable simplex; its dual prices
 *      u give an upper bound that is valid for any u >= 0 (the Lagrangian
 *      bound b.u + sum_j max(0, p_j - u.a_j)), so the reported bound never
 *      depends on the simplex having converged;
 *   2. incumbents from the surrogate greedy (ratio p_j / u.a_j), from
 *      rounding the LP solution down and filling, then local search (add,
 *      drop, 1-1 swap, drop-and-refill);
 *   3. reduced-cost fixing leaves a core of items whose value is in doubt;
 *      when the core has at most options.exact_max_items items it is solved
 *      by depth-first branch and bound with the LP bound at every node,
 *      under a node and a time limit. Finishing proves the plan optimal.
 * Every result carries the objective, the chosen items, the budget use per
 * dimension, an upper bound on the best objective and the relative gap.
 */
#ifndef MC_MODEL_KNAPSACK_H
#define MC_MODEL_KNAPSACK_H
#include <stddef.h>

#define MC_KNAPSACK_MAX_DIMS 64
#define MC_KNAPSACK_MAX_ITEMS 10000000

enum mc_knapsack_pin {
	MC_KNAPSACK_FREE = 0,
	MC_KNAPSACK_PIN_IN,  /* must ship: a constraint, the solve fails if the pins do not fit */
	MC_KNAPSACK_PIN_OUT, /* hold: never chosen */
};

/* Why an item can never be chosen; listed in the result. */
enum mc_knapsack_exclusion {
	MC_KNAPSACK_EXCL_PINNED_OUT = 1,
	MC_KNAPSACK_EXCL_OVER_BUDGET,   /* costs more than a whole budget in some dimension */
	MC_KNAPSACK_EXCL_OVER_PINNED,   /* fits the budget, but not beside the pinned items */
};

typedef struct mc_knapsack mc_knapsack;

typedef struct mc_knapsack_options {
	double time_limit;      /* seconds for branch and bound; 0 = no limit */
	size_t node_limit;      /* branch-and-bound nodes; 0 = no limit */
	size_t exact_max_items; /* largest core solved by branch and bound (default 400) */
	int heuristic_only;     /* skip branch and bound entirely */
} mc_knapsack_options;

enum mc_knapsack_stop {
	MC_KNAPSACK_DONE = 0,       /* branch and bound finished (or was not needed) */
	MC_KNAPSACK_NODE_LIMIT,
	MC_KNAPSACK_TIME_LIMIT,
	MC_KNAPSACK_CORE_TOO_LARGE, /* heuristic only: the core exceeded exact_max_items */
	MC_KNAPSACK_HEURISTIC_ONLY, /* the caller asked for no branch and bound */
};

typedef struct mc_knapsack_excluded {
	size_t item;
	enum mc_knapsack_exclusion why;
	size_t dim;   /* the dimension that does not fit (not for PINNED_OUT) */
} mc_knapsack_excluded;

typedef struct mc_knapsack_result {
	double objective;       /* sum of weight * value over the chosen items */
	double value;           /* sum of value (unweighted) over the chosen items */
	size_t *chosen;         /* item indices in the order they were added to the problem */
	size_t nchosen;
	double *used;           /* budget use per dimension */
	size_t ndims;
	double upper_bound;     /* no plan has a larger objective */
	double gap;             /* (upper_bound - objective) / upper_bound, 0 when both are 0 */
	int proven_optimal;
	enum mc_knapsack_stop stop;
	const char *method;     /* "branch-and-bound", "heuristic", "lp-bound" (the heuristic plan
	                         * met the bound: proven with no branching), "greedy-ratio",
	                         * "greedy-sprint" */
	size_t nodes;           /* branch-and-bound nodes explored */
	size_t core;            /* items left free after pins, exclusions and reduced-cost fixing */
	double seconds;
	mc_knapsack_excluded *excluded;
	size_t nexcluded;
} mc_knapsack_result;

/* A problem over ndims budget dimensions named names[0..ndims-1] (copied). Budgets start at 0. */
int mc_knapsack_new(mc_knapsack **out, size_t ndims, const char *const *names);
void mc_knapsack_free(mc_knapsack *k);

/* Budget of one dimension: finite and >= 0 (a zero budget admits only items that cost 0 there). */
int mc_knapsack_set_budget(mc_knapsack *k, size_t dim, double budget);
/* Add an item: value and the ndims costs finite and >= 0, id unique and non-empty (copied).
 * *index (may be NULL) receives its index, which results use. */
int mc_knapsack_add_item(mc_knapsack *k, size_t *index, const char *id, double value,
			 const double *costs);
int mc_knapsack_pin(mc_knapsack *k, size_t item, enum mc_knapsack_pin pin);
/* Priority override: the item's value counts weight times (finite, >= 0; default 1). */
int mc_knapsack_set_weight(mc_knapsack *k, size_t item, double weight);

size_t mc_knapsack_items(const mc_knapsack *k);
size_t mc_knapsack_dims(const mc_knapsack *k);
const char *mc_knapsack_item_id(const mc_knapsack *k, size_t item);
const char *mc_knapsack_dim_name(const mc_knapsack *k, size_t dim);
double mc_knapsack_budget(const mc_knapsack *k, size_t dim);
/* Index of the dimension or item with that name / id, or -1. */
long mc_knapsack_find_dim(const mc_knapsack *k, const char *name);
long mc_knapsack_find_item(const mc_knapsack *k, const char *id);

void mc_knapsack_options_init(mc_knapsack_options *opt);

/*
 * Solve. MC_EINVAL when the pinned-in items do not fit together (the message
 * names the dimension, what they need and the pinned ids); otherwise 0 and a
 * plan in *out (free it with mc_knapsack_result_free). opt may be NULL.
 */
int mc_knapsack_solve(mc_knapsack_result *out, const mc_knapsack *k,
		      const mc_knapsack_options *opt);

/*
 * The reference greedies, under the same pins, weights and exclusions:
 *   ratio:  rank by weighted value / sum_i(cost_i / budget_i) (OR-Library's usual
 *           reference), take what fits;
 *   sprint: rank by weighted value / (usd + 0.01 + ci / 30), the sprint plan's rule,
 *           over the two named dimensions, take what fits (other dimensions must
 *           still fit).
 * Their upper bound is the LP bound, so their gap is comparable with the solver's.
 */
int mc_knapsack_greedy_ratio(mc_knapsack_result *out, const mc_knapsack *k);
int mc_knapsack_greedy_sprint(mc_knapsack_result *out, const mc_knapsack *k, size_t usd_dim,
			      size_t ci_dim);

void mc_knapsack_result_free(mc_knapsack_result *r);

/* "pinned out", "over budget", "over what the pinned items leave". */
const char *mc_knapsack_exclusion_name(enum mc_knapsack_exclusion why);
/* "done", "node limit", "time limit", "core too large", "heuristic only". */
const char *mc_knapsack_stop_name(enum mc_knapsack_stop stop);

#endif
