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
#include "pipeline/review.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/json.h"

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
	path = mc_review_cache_path(repo);
	if (!create && !mc_fs_exists(path))
		rc = mc_error_set(MC_ENOTFOUND, "no portfolio yet (nothing reviewed in this repository)");
	else
		rc = mc_review_open_cache(out, NULL, repo);
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
