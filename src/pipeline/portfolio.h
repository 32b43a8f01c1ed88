/*
 * The portfolio between the review pipeline, the store and the planner: which
 * work item a reviewed change is, the item a Decision Card describes (stored
 * after every review), where a repository keeps its portfolio, and the open
 * items as knapsack items for `maestro plan`.
 */
#ifndef MC_PIPELINE_PORTFOLIO_H
#define MC_PIPELINE_PORTFOLIO_H
#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "adapters/git/repo.h"
#include "adapters/store/portfolio.h"
#include "model/config.h"
#include "model/knapsack.h"
#include "model/train.h"

/* The budget dimensions a review measures: LLM dollars and CI minutes. */
#define MC_PORTFOLIO_DIM_USD "usd"
#define MC_PORTFOLIO_DIM_CI "ci"

/* Weight per priority step, and the least weight a low priority can bring an item to. */
#define MC_PORTFOLIO_WEIGHT_STEP 0.25
#define MC_PORTFOLIO_WEIGHT_MIN 0.25

/*
 * The work item id of a change reviewed locally as range_spec ("A..B", "A...B", "R"
 * meaning R..HEAD): the local branch its head side names (HEAD on a branch is that
 * branch), else head_oid. free() it.
 */
char *mc_portfolio_local_id(mc_repo *repo, const char *range_spec, const char *head_oid);

/*
 * The work item id of a forge's pull request: "owner/repo#123" (free() it). A daemon
 * refreshes the item with mc_portfolio_refresh under this id after each review of the
 * PR's head (the card's subject carries the repository and head commit), adds the
 * card's plan with mc_portfolio_plan_for_card, and closes it (mc_portfolio_close) when
 * the PR is merged or closed.
 */
char *mc_portfolio_pr_id(const char *repository, unsigned long number);

/*
 * Store the work item a Decision Card describes under id: title, head, base and
 * repository from subject, components, value and expected value from roi, risk from
 * risk.probability, and the costs llm_usd ("usd") and ci_minutes ("ci").
 */
int mc_portfolio_refresh(mc_store *store, const char *id, const char *title,
			 struct json_object *card, double llm_usd, double ci_minutes, int64_t now);

/*
 * Open the store holding a repository's portfolio (<common git dir>/maestro/cache.db,
 * beside the history cache). With create 0, a repository without one is
 * MC_ENOTFOUND (nothing reviewed yet) and nothing is written.
 */
int mc_portfolio_open_store(mc_store **out, const char *repo_path, int create);

/* An item's planning weight: 1 + 0.25 * priority, at least 0.25, so each step of
 * priority moves an item's weighted value by a quarter and no override zeroes it
 * (a hold is a pin, not a priority). */
double mc_portfolio_weight(int priority);

/*
 * Add the open items to k as knapsack items: value = value_usd, a cost in each of k's
 * dimensions the item has by that name (0 in the others; costs in dimensions k does
 * not have are not planned), weight = mc_portfolio_weight(priority). An item with a
 * negative value (never from a review) is refused by mc_knapsack_add_item, naming it.
 * *nadded (may be NULL) receives how many were added.
 */
int mc_portfolio_items(mc_knapsack *k, mc_store *store, size_t *nadded);

/* The same for release trains: the open items as train items (costs in t's dimensions,
 * weight from priority). *nadded (may be NULL) receives how many were added. */
int mc_portfolio_train_items(mc_train *t, mc_store *store, size_t *nadded);

/* Displaced items a card lists at most; the solver's time limit per plan for a card. */
#define MC_PORTFOLIO_CARD_DISPLACED_MAX 10
#define MC_PORTFOLIO_CARD_TIME_LIMIT 0.2

/*
 * The Decision Card's plan section for work item id, added to card as "plan"
 * (model/card.h): its rank by expected value among the open items and its priority
 * overrides; with plan.budgets or plan.trains in cfg, the open portfolio planned under
 * them (as `maestro plan` would: one train for plan.budgets), whether the item was
 * selected and in which train, its share of each budget, what it displaced (the items
 * a second plan without it selects that the plan with it leaves out) or why it was
 * left out. With no budgets and no overrides nothing is added (0). MC_ENOTFOUND when
 * the item is not in the portfolio; other errors from the store or the planner.
 */
int mc_portfolio_plan_for_card(struct json_object *card, mc_store *store, const mc_config *cfg,
			       const char *id);

#endif
