/*
 * The portfolio in the pipeline (portfolio.h): naming a reviewed change,
 * turning its Decision Card into a stored work item, and handing the open
 * items to the planner.
 */
#include "pipeline/portfolio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/git/branch.h"
#include "model/card.h"
#include "model/train.h"
#include "pipeline/repo_store.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/strbuf.h"

/* The head side of a range as given: after ".." or "...", "HEAD" when that is empty or
 * the range is a single revision (R means R..HEAD). */
static char *head_side(const char *spec)
{
	const char *dots = spec ? strstr(spec, "..") : NULL;
	if (!dots)
		return mc_xstrdup("HEAD");
	dots += dots[2] == '.' ? 3 : 2;
	return mc_xstrdup(*dots ? dots : "HEAD");
}

char *mc_portfolio_local_id(mc_repo *repo, const char *range_spec, const char *head_oid)
{
	char *head = head_side(range_spec), *branch = NULL;
	int rc = mc_repo_branch_name(&branch, repo, head);
	free(head);
	/* Not a branch (or HEAD unreadable): the commit itself is the item. */
	return rc == 0 ? branch : mc_xstrdup(head_oid);
}

char *mc_portfolio_pr_id(const char *repository, unsigned long number)
{
	mc_strbuf sb = MC_STRBUF_INIT;
	mc_strbuf_printf(&sb, "%s#%lu", repository, number);
	return mc_strbuf_detach(&sb);
}

static void copy_oid(char out[41], struct json_object *subject, const char *key)
{
	snprintf(out, 41, "%s", mc_json_get_string(subject, key, ""));
}

/* The card's roi components; the value ones sum to value_usd. */
static void read_components(mc_portfolio_item *item, struct json_object *roi)
{
	struct json_object *list = mc_json_get(roi, "components");
	size_t i, n = list && json_object_is_type(list, json_type_array)
			      ? json_object_array_length(list) : 0;

	item->components = mc_xcalloc(n ? n : 1, sizeof *item->components);
	for (i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(list, i);
		mc_portfolio_amount *a = &item->components[item->ncomponents++];
		a->name = (char *)mc_json_get_string(c, "name", "");
		a->kind = (char *)mc_json_get_string(c, "kind", "value");
		a->amount = mc_json_get_double(c, "usd", 0);
	}
}

int mc_portfolio_refresh(mc_store *store, const char *id, const char *title,
			 struct json_object *card, double llm_usd, double ci_minutes, int64_t now)
{
	struct json_object *subject = mc_json_get(card, "subject"), *roi = mc_json_get(card, "roi");
	mc_portfolio_amount costs[2] = {
		{ (char *)MC_PORTFOLIO_DIM_CI, NULL, ci_minutes },
		{ (char *)MC_PORTFOLIO_DIM_USD, NULL, llm_usd },
	};
	mc_portfolio_item item = { 0 };
	int rc;

	item.id = (char *)id;
	item.title = (char *)title;
	item.repository = (char *)mc_json_get_string(subject, "repository", "");
	copy_oid(item.head, subject, "head");
	copy_oid(item.base, subject, "base");
	/* The strings point into the card and the caller's; only the array is ours. */
	read_components(&item, roi);
	item.costs = costs;
	item.ncosts = 2;
	item.value_usd = mc_json_get_double(roi, "value_usd", 0);
	item.expected_value_usd = mc_json_get_double(roi, "expected_value_usd", 0);
	item.risk = mc_json_get_double(mc_json_get(card, "risk"), "probability", 0);
	item.open = 1;
	item.updated_at = now;
	rc = mc_portfolio_upsert(store, &item);
	free(item.components);
	return rc;
}

int mc_portfolio_open_store(mc_store **out, const char *repo_path, int create)
{
	mc_repo *repo = NULL;
	char *path = NULL;
	int rc;

	*out = NULL;
	if ((rc = mc_repo_open(&repo, repo_path ? repo_path : ".")) != 0)
		return rc;
	path = mc_repo_store_path(repo);
	if (!create && !mc_fs_exists(path))
		rc = mc_error_set(MC_ENOTFOUND, "no portfolio yet (nothing reviewed in this repository)");
	else
		rc = mc_repo_store_open(out, NULL, repo);
	free(path);
	mc_repo_free(repo);
	return rc;
}

double mc_portfolio_weight(int priority)
{
	double w = 1.0 + MC_PORTFOLIO_WEIGHT_STEP * priority;
	return w < MC_PORTFOLIO_WEIGHT_MIN ? MC_PORTFOLIO_WEIGHT_MIN : w;
}

static int add_item(mc_knapsack *k, const mc_portfolio_item *it, double *costs)
{
	size_t d, at;
	int rc;

	for (d = 0; d < mc_knapsack_dims(k); d++)
		costs[d] = mc_portfolio_cost(it, mc_knapsack_dim_name(k, d));
	if ((rc = mc_knapsack_add_item(k, &at, it->id, it->value_usd, costs)) != 0)
		return mc_error_wrap(rc, "portfolio item '%s'", it->id);
	return mc_knapsack_set_weight(k, at, mc_portfolio_weight(it->priority));
}

int mc_portfolio_items(mc_knapsack *k, mc_store *store, size_t *nadded)
{
	mc_portfolio_item *items = NULL;
	double *costs = mc_xcalloc(mc_knapsack_dims(k) ? mc_knapsack_dims(k) : 1, sizeof *costs);
	size_t n = 0, i;
	int rc = mc_portfolio_list(&items, &n, store, 0, 0);

	for (i = 0; rc == 0 && i < n; i++)
		rc = add_item(k, &items[i], costs);
	if (nadded)
		*nadded = rc == 0 ? n : 0;
	mc_portfolio_items_free(items, n);
	free(costs);
	return rc;
}

/* ---- the card's plan section ----------------------------------------------------- */

/* The budgets to plan under as trains: plan.trains, or plan.budgets as one train. */
static int make_trains(mc_train **out, const mc_config *cfg)
{
	const mc_budget_list *dims = cfg->plan_ntrains ? &cfg->plan_trains[0].budgets
						       : &cfg->plan_budgets;
	size_t ntrains = cfg->plan_ntrains ? cfg->plan_ntrains : 1, w, d, e;
	double *b = mc_xcalloc(dims->n, sizeof *b);
	int rc = mc_train_new(out, dims->n, (const char *const *)dims->names);

	for (w = 0; rc == 0 && w < ntrains; w++) {
		const mc_budget_list *have = cfg->plan_ntrains ? &cfg->plan_trains[w].budgets : dims;
		/* Trains budget the same dimensions (config.c checks), maybe in another order. */
		for (d = 0; d < dims->n; d++)
			for (e = 0; e < have->n; e++)
				if (!strcmp(have->names[e], dims->names[d]))
					b[d] = have->amounts[e];
		rc = mc_train_add_window(*out, cfg->plan_ntrains ? cfg->plan_trains[w].name : "plan.budgets", b);
	}
	free(b);
	return rc;
}

static int add_train_items(mc_train *t, const mc_portfolio_item *items, size_t n)
{
	double *costs = mc_xcalloc(mc_train_dims(t), sizeof *costs);
	size_t i, d, at;
	int rc = 0;

	for (i = 0; rc == 0 && i < n; i++) {
		for (d = 0; d < mc_train_dims(t); d++)
			costs[d] = mc_portfolio_cost(&items[i], mc_train_dim_name(t, d));
		if ((rc = mc_train_add_item(t, &at, items[i].id, items[i].value_usd, costs)) != 0)
			rc = mc_error_wrap(rc, "portfolio item '%s'", items[i].id);
		else
			rc = mc_train_set_weight(t, at, mc_portfolio_weight(items[i].priority));
	}
	free(costs);
	return rc;
}

int mc_portfolio_train_items(mc_train *t, mc_store *store, size_t *nadded)
{
	mc_portfolio_item *items = NULL;
	size_t n = 0;
	int rc = mc_portfolio_list(&items, &n, store, 0, 0);

	if (rc == 0)
		rc = add_train_items(t, items, n);
	if (nadded)
		*nadded = rc == 0 ? n : 0;
	mc_portfolio_items_free(items, n);
	return rc;
}

struct card_plan {
	mc_card_plan card;
	mc_card_share *shares;
	mc_card_displaced *displaced;
	double worst_gap;
};

static double worst_gap(const mc_train_result *r)
{
	double g = 0;
	size_t w;
	for (w = 0; w < r->ntrains; w++)
		if (r->trains[w].gap > g)
			g = r->trains[w].gap;
	return g;
}

/* Plan with the item, then with it held: what ships only without it was displaced. */
static int plan_item(struct card_plan *cp, const mc_config *cfg, const mc_portfolio_item *items,
		     size_t n, size_t self, const char **reason_out)
{
	mc_knapsack_options opt;
	mc_train *t = NULL;
	mc_train_result with, without;
	size_t d, i, w;
	int rc;

	mc_knapsack_options_init(&opt);
	opt.time_limit = MC_PORTFOLIO_CARD_TIME_LIMIT;
	if ((rc = make_trains(&t, cfg)) != 0 || (rc = add_train_items(t, items, n)) != 0 ||
	    (rc = mc_train_plan(&with, t, &opt)) != 0) {
		mc_train_free(t);
		return rc;
	}
	if ((rc = mc_train_pin(t, self, MC_KNAPSACK_PIN_OUT)) != 0 ||
	    (rc = mc_train_plan(&without, t, &opt)) != 0) {
		mc_train_result_free(&with);
		mc_train_free(t);
		return rc;
	}
	w = with.train_of[self];
	cp->card.planned = 1;
	cp->card.trains = cfg->plan_ntrains > 0;
	cp->card.selected = w != MC_TRAIN_NONE;
	cp->card.train = cp->card.selected ? mc_train_window_name(t, w) : NULL;
	cp->card.gap = worst_gap(&with);
	/* The budget it used, or would have needed: its train's, else the first. */
	cp->shares = mc_xcalloc(with.ndims, sizeof *cp->shares);
	for (d = 0; d < with.ndims; d++) {
		cp->shares[d].dimension = mc_train_dim_name(t, d);
		cp->shares[d].cost = mc_portfolio_cost(&items[self], mc_train_dim_name(t, d));
		cp->shares[d].budget = with.trains[cp->card.selected ? w : 0].budget[d];
	}
	cp->card.shares = cp->shares;
	cp->card.nshares = with.ndims;
	cp->displaced = mc_xcalloc(MC_PORTFOLIO_CARD_DISPLACED_MAX, sizeof *cp->displaced);
	for (i = 0; i < n && cp->card.ndisplaced < MC_PORTFOLIO_CARD_DISPLACED_MAX; i++)
		if (i != self && with.train_of[i] == MC_TRAIN_NONE && without.train_of[i] != MC_TRAIN_NONE) {
			cp->displaced[cp->card.ndisplaced].id = items[i].id;
			cp->displaced[cp->card.ndisplaced++].expected_value_usd = items[i].expected_value_usd;
		}
	cp->card.displaced = cp->displaced;
	for (i = 0; i < with.nleft_out; i++)
		if (with.left_out[i].item == self)
			*reason_out = mc_xstrdup(with.left_out[i].text);
	/* The train names live in t: keep the strings the card needs before freeing it. */
	if (cp->card.train)
		cp->card.train = mc_xstrdup(cp->card.train);
	for (d = 0; d < with.ndims; d++)
		cp->shares[d].dimension = mc_xstrdup(cp->shares[d].dimension);
	mc_train_result_free(&with);
	mc_train_result_free(&without);
	mc_train_free(t);
	return 0;
}

int mc_portfolio_plan_for_card(struct json_object *card, mc_store *store, const mc_config *cfg,
			       const char *id)
{
	mc_portfolio_item *items = NULL;
	mc_portfolio_override *ov = NULL;
	mc_card_override *cov = NULL;
	struct card_plan cp;
	const char *reason = NULL;
	size_t n = 0, nov = 0, i, self = (size_t)-1;
	int rc, planned = cfg->plan_budgets.n > 0 || cfg->plan_ntrains > 0;

	memset(&cp, 0, sizeof cp);
	if ((rc = mc_portfolio_list(&items, &n, store, 0, 0)) != 0)
		return rc;
	for (i = 0; i < n; i++)
		if (!strcmp(items[i].id, id))
			self = i;
	if (self == (size_t)-1)
		rc = mc_error_set(MC_ENOTFOUND, "no work item '%s' in the portfolio", id);
	if (rc == 0)
		rc = mc_portfolio_overrides(&ov, &nov, store, id);
	if (rc == 0 && (planned || nov > 0)) {
		cov = mc_xcalloc(nov ? nov : 1, sizeof *cov);
		for (i = 0; i < nov; i++) {
			cov[i].who = ov[i].who;
			cov[i].reason = ov[i].reason;
			cov[i].at = (time_t)ov[i].at;
			cov[i].before = ov[i].before;
			cov[i].after = ov[i].after;
		}
		cp.card.item = id;
		cp.card.rank = self + 1; /* the list is ranked by expected value */
		cp.card.of = n;
		cp.card.priority = items[self].priority;
		cp.card.overrides = cov;
		cp.card.noverrides = nov;
		if (planned)
			rc = plan_item(&cp, cfg, items, n, self, &reason);
		cp.card.reason = reason;
		if (rc == 0)
			mc_card_add_plan(card, &cp.card);
	}
	for (i = 0; cp.shares && i < cp.card.nshares; i++)
		free((char *)cp.shares[i].dimension);
	free((char *)cp.card.train);
	free((char *)reason);
	free(cp.shares);
	free(cp.displaced);
	free(cov);
	mc_portfolio_overrides_free(ov, nov);
	mc_portfolio_items_free(items, n);
	return rc;
}
