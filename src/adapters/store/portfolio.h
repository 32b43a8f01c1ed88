/*
 * The portfolio: the work items maestro knows about (a branch reviewed
 * locally, later a forge's pull requests and issues), each with its value
 * components, its cost in every budget dimension, risk and priority, kept in
 * the operational SQLite store (schema: migrations 2 and 3 in db.c). The review
 * pipeline refreshes an item after every review; `maestro portfolio` lists
 * them ranked by expected value; priority overrides are kept as rows (who,
 * when, why, before, after) so the evidence and the card can show them, and
 * realized values (what an item delivered) so `maestro score calibrate` can
 * compare them with what was predicted.
 *
 * Budget dimensions are named, never mixed: "usd" is LLM dollars and "ci" CI
 * minutes (as in schemas/plan-items.schema.json); a team's further budgets
 * are further names.
 */
#ifndef MC_ADAPTERS_STORE_PORTFOLIO_H
#define MC_ADAPTERS_STORE_PORTFOLIO_H
#include <stddef.h>
#include <stdint.h>

#include "adapters/store/db.h"

#define MC_PORTFOLIO_ID_MAX 256

typedef struct mc_portfolio_amount {
	char *name;    /* a component ("defects_avoided", "llm") or a dimension ("usd", "ci") */
	char *kind;    /* components: "value" or "cost"; NULL for dimensions */
	double amount; /* components: dollars; dimensions: that dimension's unit */
} mc_portfolio_amount;

typedef struct mc_portfolio_item {
	char *id;                        /* branch name, commit id or "owner/repo#123" */
	char *title;                     /* the head commit's summary, the PR's title */
	char *repository;
	char head[41], base[41];
	mc_portfolio_amount *components; /* the card's roi components (listed: value first) */
	size_t ncomponents;
	mc_portfolio_amount *costs;      /* cost per budget dimension, ordered by name */
	size_t ncosts;
	double value_usd;                /* sum of the value components */
	double expected_value_usd;       /* value less the cost components (the card's) */
	double risk;                     /* probability of introducing a defect, [0, 1] */
	int priority;                    /* 0 unless overridden */
	int open;
	int64_t updated_at;              /* unix seconds */
} mc_portfolio_item;

typedef struct mc_portfolio_override {
	char *who, *reason;
	int64_t at;
	int before, after;
} mc_portfolio_override;

/*
 * Insert or refresh an item by id, with its components and costs replacing the old
 * ones. Refreshing keeps the item's priority (overrides outlive refreshes) and opens
 * it again: a change that was reviewed is live. item->priority and item->open are
 * used only when the item is new. Numbers must be finite (MC_EINVAL otherwise).
 */
int mc_portfolio_upsert(mc_store *store, const mc_portfolio_item *item);

/* The items ranked by expected value, highest first, ties by id; closed ones only with
 * include_closed. limit 0 means all. Free with mc_portfolio_items_free. */
int mc_portfolio_list(mc_portfolio_item **out, size_t *n, mc_store *store, int include_closed,
		      size_t limit);

/* One item; MC_ENOTFOUND "no work item 'x' in the portfolio". Free with mc_portfolio_item_free. */
int mc_portfolio_get(mc_portfolio_item *out, mc_store *store, const char *id);

/* Close an item (it leaves plans and the default listing); MC_ENOTFOUND when absent.
 * Closing a closed item is not an error. */
int mc_portfolio_close(mc_store *store, const char *id, int64_t now);

/*
 * Set an item's priority, recording who, when, why and the priority before and after,
 * in one transaction. The reason is mandatory: MC_EINVAL when NULL or only blanks;
 * MC_ENOTFOUND when there is no such item. *before (may be NULL) receives the old value.
 */
int mc_portfolio_set_priority(mc_store *store, const char *id, int priority, const char *who,
			      const char *reason, int64_t now, int *before);
/* The same, remembering where the override came from (source, e.g. a slash-command
 * line, or NULL): an override from a source already applied to this item changes
 * nothing and sets *seen (may be NULL). */
int mc_portfolio_set_priority_from(mc_store *store, const char *id, int priority,
				   const char *who, const char *reason, int64_t now,
				   const char *source, int *before, int *seen);
/* 1 when an override of item id came from source, 0 when not, or a negative code. */
int mc_portfolio_override_seen(mc_store *store, const char *id, const char *source);

/* The priority overrides of an item, oldest first. Free with mc_portfolio_overrides_free. */
int mc_portfolio_overrides(mc_portfolio_override **out, size_t *n, mc_store *store,
			   const char *id);

/* A work item with its latest realized value, for calibrating the value model. */
typedef struct mc_portfolio_outcome {
	char *id;
	double predicted_usd;            /* the item's value_usd (sum of its value components) */
	mc_portfolio_amount *components; /* its value components only, by name */
	size_t ncomponents;
	double realized_usd;             /* the latest record's amount */
	int64_t recorded_at;             /* and when it was recorded */
	size_t nrecords;                 /* how many records the item has */
} mc_portfolio_outcome;

/*
 * Record what a work item actually delivered, in dollars (negative: it hurt). An item
 * may have several records; the latest counts. usd must be finite (MC_EINVAL); an
 * unknown item is MC_ENOTFOUND "no work item 'x' in the portfolio". note may be NULL.
 */
int mc_portfolio_record_realized(mc_store *store, const char *id, double usd, const char *note,
				 int64_t now);

/* Every item (open or closed) with at least one realized value, by id, with its
 * predicted value and components. Free with mc_portfolio_outcomes_free. */
int mc_portfolio_outcomes(mc_portfolio_outcome **out, size_t *n, mc_store *store);
void mc_portfolio_outcomes_free(mc_portfolio_outcome *outcomes, size_t n);

/* The amount of a cost dimension or component by name, 0 when the item has none. */
double mc_portfolio_cost(const mc_portfolio_item *item, const char *dimension);

void mc_portfolio_item_free(mc_portfolio_item *item);
void mc_portfolio_items_free(mc_portfolio_item *items, size_t n);
void mc_portfolio_overrides_free(mc_portfolio_override *overrides, size_t n);

#endif
