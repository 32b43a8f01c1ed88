/*
 * The release train: schedule work into an ordered list of train windows,
 * each with its own budget per dimension, using the knapsack planner
 * (model/knapsack.h) one train at a time. Pure: no I/O (the solver reads the
 * monotonic clock for its time limit, nothing else).
 *
 * Build it like a knapsack problem: mc_train_new with the dimension names,
 * mc_train_add_window for each train in order (name and one budget per
 * dimension), mc_train_add_item / mc_train_pin / mc_train_set_weight for the
 * items (the same checks and the same meaning as mc_knapsack_add_item and
 * friends), then mc_train_plan.
 *
 * How it schedules (train.c explains each step):
 *   1. pinned-in items ("must ship") go, in the order they were added, into
 *      the first train whose budgets still hold them beside the pins already
 *      placed there; one that fits no train is an error naming it and why;
 *   2. train 1 gets the best plan the solver finds over all items under its
 *      budgets (its own pins included, pins of later trains excluded); train 2
 *      the best over what is left under its budgets; and so on;
 *   3. after each solve, whatever still fits the train's leftover budget is
 *      added (highest weighted value first), so no item is left out of a train
 *      it would have fitted; the solver already does this for items with value,
 *      so in practice this only adds items whose weighted value is 0;
 *   4. every item left out of all trains gets its reason: held (pinned out),
 *      larger than every train's budget in a dimension, fits no single train
 *      (each train is too small in some dimension), or did not fit in what the
 *      work chosen before it left of the train where it came closest.
 * Deterministic for a given problem and node limit (as the solver is).
 */
#ifndef MC_MODEL_TRAIN_H
#define MC_MODEL_TRAIN_H
#include <stddef.h>

#include "model/knapsack.h"

#define MC_TRAIN_MAX_WINDOWS 1000
#define MC_TRAIN_NONE ((size_t)-1) /* train_of[] for an item that ships in no train */

typedef struct mc_train mc_train;

/* Why an item ships in no train. */
enum mc_train_reason {
	MC_TRAIN_HELD = 1,      /* pinned out */
	MC_TRAIN_TOO_LARGE,     /* costs more than every train's budget in dimension dim */
	MC_TRAIN_NO_SINGLE_FIT, /* each train alone is too small in some dimension (train_dim) */
	MC_TRAIN_CROWDED_OUT,   /* fits train `train` alone, but not what the chosen work left */
};

typedef struct mc_train_left_out {
	size_t item;
	enum mc_train_reason why;
	size_t dim;          /* TOO_LARGE, CROWDED_OUT: the dimension that does not fit */
	size_t train;        /* CROWDED_OUT: the train where it came closest */
	double need;         /* TOO_LARGE, CROWDED_OUT: its cost in dim */
	double have;         /* TOO_LARGE: the largest budget in dim; CROWDED_OUT: what was left */
	size_t *train_dim;   /* NO_SINGLE_FIT: per train, a dimension that train is too small in */
	size_t *displaced_by; /* CROWDED_OUT: the train's items that use dim, by weighted value */
	size_t ndisplaced_by;
	char *text;          /* the reason in words, e.g. "did not fit: train 'May' had 2 usd left
	                      * after higher-value work (PR-1, PR-3)" */
} mc_train_left_out;

typedef struct mc_train_scheduled {
	size_t window;       /* index of the train window */
	size_t *items;       /* item indices, in the order they were added */
	size_t nitems;
	size_t npinned;      /* of which pinned in */
	double value;        /* sum of value */
	double objective;    /* sum of weight * value */
	double *budget;      /* per dimension (the window's) */
	double *used;        /* per dimension */
	double *idle;        /* budget - used, per dimension (0 within the rounding slack) */
	double *idle_share;  /* idle / budget per dimension, 0 for a zero budget */
	double upper_bound;  /* no plan for this train over the items it saw is worth more */
	double gap;          /* (upper_bound - objective) / upper_bound */
	int proven_optimal;
	const char *method;  /* the solver's method (knapsack.h) */
	size_t candidates;   /* items the train's solve saw */
} mc_train_scheduled;

typedef struct mc_train_result {
	size_t ntrains, ndims;
	mc_train_scheduled *trains;
	size_t *train_of;       /* per item: the train it ships in, or MC_TRAIN_NONE */
	size_t nitems;
	mc_train_left_out *left_out; /* in item order */
	size_t nleft_out;
	double value, objective;     /* over all trains */
	double *budget, *used, *idle; /* per dimension, summed over the trains */
	double *idle_share;          /* idle / budget per dimension over all trains */
	int backlog_exhausted;       /* every item that is not held ships */
	double seconds;
} mc_train_result;

/* Trains over ndims budget dimensions named names[0..ndims-1] (copied). */
int mc_train_new(mc_train **out, size_t ndims, const char *const *names);
void mc_train_free(mc_train *t);

/* The next train window: a non-empty unique name (copied) and ndims budgets, finite and >= 0. */
int mc_train_add_window(mc_train *t, const char *name, const double *budgets);
/* As mc_knapsack_add_item, mc_knapsack_pin and mc_knapsack_set_weight. */
int mc_train_add_item(mc_train *t, size_t *index, const char *id, double value,
		      const double *costs);
int mc_train_pin(mc_train *t, size_t item, enum mc_knapsack_pin pin);
int mc_train_set_weight(mc_train *t, size_t item, double weight);

size_t mc_train_items(const mc_train *t);
size_t mc_train_dims(const mc_train *t);
size_t mc_train_windows(const mc_train *t);
const char *mc_train_item_id(const mc_train *t, size_t item);
const char *mc_train_dim_name(const mc_train *t, size_t dim);
const char *mc_train_window_name(const mc_train *t, size_t window);
enum mc_knapsack_pin mc_train_item_pin(const mc_train *t, size_t item);
long mc_train_find_dim(const mc_train *t, const char *name);

/*
 * Schedule. MC_EINVAL when there is no train window, or when a pinned-in item
 * fits no train (the message names the item and why); otherwise 0 and the
 * schedule in *out (free it with mc_train_result_free). opt is passed to every
 * train's solve and may be NULL.
 */
int mc_train_plan(mc_train_result *out, const mc_train *t, const mc_knapsack_options *opt);
void mc_train_result_free(mc_train_result *r);

/* "held", "too large", "fits no single train", "did not fit". */
const char *mc_train_reason_name(enum mc_train_reason why);

#endif
