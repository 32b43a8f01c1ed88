/*
 * A release-train simulation: work items arrive day by day with random value
 * and costs, wait in a backlog where their value decays and where they expire
 * when they wait too long, and every train (every train_every days) ships
 * what a planning policy selects from the backlog under the train's budgets
 * in two dimensions, "usd" (LLM dollars) and "ci" (CI minutes). It measures
 * value-weighted throughput (the decayed value of what shipped) and the
 * budget left idle, so two policies can be compared on the same arrivals.
 *
 * Pure: no I/O; the only outside thing it reads is the monotonic clock, for
 * the solver's time limit. The random stream is a seeded splitmix64 and
 * depends on the parameters only, never on what a policy chose, so both
 * policies of a comparison see exactly the same arrivals.
 *
 * The model and its default parameters are documented in bench/README.md
 * (bench/knapsack runs it); mc_trainsim_defaults sets them.
 */
#ifndef MC_MODEL_TRAINSIM_H
#define MC_MODEL_TRAINSIM_H
#include <stddef.h>
#include <stdint.h>

#include "model/knapsack.h"

#define MC_TRAINSIM_MAX_DAYS 3660

typedef struct mc_trainsim_params {
	uint64_t seed;
	unsigned days;              /* length of the simulation; day 0 is a Monday */
	unsigned train_every;       /* a train leaves at the end of every train_every-th day */
	double arrivals_weekday;    /* mean arrivals on Monday..Friday (Poisson) */
	double arrivals_weekend;    /* mean arrivals on Saturday and Sunday */
	/* Log-normal sizes: a shared log-size s ~ N(0, size_sigma) makes big changes
	 * cost more in both dimensions and be worth somewhat more. */
	double size_sigma;
	double value_median_usd, value_sigma, value_size_exponent;
	double usd_median, usd_sigma;  /* LLM dollars: median * e^(s + N(0, usd_sigma)) */
	double ci_median, ci_sigma;    /* CI minutes, likewise */
	double half_life_days;      /* waiting halves an item's value this often; 0: no decay */
	unsigned expire_days;       /* an item older than this leaves the backlog; 0: never */
	/* Each train's budget in each dimension is this share of the mean cost in that
	 * dimension of the work arriving between two trains. */
	double budget_share_usd, budget_share_ci;
} mc_trainsim_params;

enum mc_trainsim_policy {
	MC_TRAINSIM_PLANNER = 0,   /* mc_knapsack_solve per train */
	MC_TRAINSIM_SPRINT_GREEDY, /* mc_knapsack_greedy_sprint: value / (usd + 0.01 + ci / 30) */
};

typedef struct mc_trainsim_stats {
	size_t trains;
	size_t arrived, shipped, expired, waiting; /* waiting: in the backlog at the end */
	double value_arrived;       /* sum of the values items arrived with */
	double value_shipped;       /* value-weighted throughput: decayed value when shipped */
	double value_expired;       /* decayed value of items when they expired */
	double budget[2], used[2];  /* per dimension (0 usd, 1 ci), over all trains */
	double idle_share[2];       /* (budget - used) / budget, 0 for no budget */
	double mean_wait_days;      /* of the shipped items */
	double max_backlog;         /* largest backlog a train saw */
	double worst_gap;           /* the policy's worst gap bound over the trains */
	double seconds;             /* planning time summed over the trains */
} mc_trainsim_stats;

void mc_trainsim_defaults(mc_trainsim_params *p);

/* The budget per train in each dimension that the parameters imply (the expected cost of
 * what arrives between two trains, times the budget shares). */
void mc_trainsim_train_budget(const mc_trainsim_params *p, double budget[2]);

/* A seeded random stream and one work item drawn from it, as the simulation draws them;
 * exposed so benchmarks build one-off portfolios of the same shape. */
typedef struct mc_trainsim_rng {
	uint64_t state;
} mc_trainsim_rng;
void mc_trainsim_rng_seed(mc_trainsim_rng *r, uint64_t seed);
void mc_trainsim_draw_item(mc_trainsim_rng *r, const mc_trainsim_params *p, double *value,
			   double costs[2]);

/*
 * Run the simulation with one policy. MC_EINVAL names a parameter that is out of range
 * (non-finite, negative, no days, trains never leaving); opt goes to every solve
 * (NULL: the solver's defaults) and is ignored by the greedy.
 */
int mc_trainsim_run(mc_trainsim_stats *out, const mc_trainsim_params *p,
		    enum mc_trainsim_policy policy, const mc_knapsack_options *opt);

#endif
