/*
 * Unit tests for the portfolio: the store module (adapters/store/portfolio) on
 * real SQLite files, the migration of a version-1 file, the pipeline side
 * (pipeline/portfolio: item ids from ranges, knapsack items) and the review
 * pipeline refreshing the item, on real repositories made here.
 */
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/git/repo.h"
#include "adapters/store/db.h"
#include "adapters/store/history_cache.h"
#include "adapters/store/portfolio.h"
#include "pipeline/portfolio.h"
#include "pipeline/review.h"
#include "testutil.h"
#include "util/error.h"

static char *path_in(const char *dir, const char *rel)
{
	char *p;
	ck_assert_int_ge(asprintf(&p, "%s/%s", dir, rel), 0);
	return p;
}

/* An item with one value component and costs usd and ci. */
static void make_item(mc_portfolio_item *it, const char *id, double value, double llm_usd,
		      double ci_minutes, mc_portfolio_amount comps[2], mc_portfolio_amount costs[2])
{
	memset(it, 0, sizeof *it);
	it->id = (char *)id;
	it->title = (char *)"a change";
	it->repository = (char *)"demo";
	memset(it->head, 'a', 40);
	memset(it->base, 'b', 40);
	comps[0] = (mc_portfolio_amount){ (char *)"defects_avoided", (char *)"value", value };
	comps[1] = (mc_portfolio_amount){ (char *)"llm", (char *)"cost", llm_usd };
	costs[0] = (mc_portfolio_amount){ (char *)"usd", NULL, llm_usd };
	costs[1] = (mc_portfolio_amount){ (char *)"ci", NULL, ci_minutes };
	it->components = comps;
	it->ncomponents = 2;
	it->costs = costs;
	it->ncosts = 2;
	it->value_usd = value;
	it->expected_value_usd = value - llm_usd;
	it->risk = 0.25;
	it->open = 1;
	it->updated_at = 1000;
}

static void upsert(mc_store *s, const char *id, double value, double llm_usd, double ci)
{
	mc_portfolio_amount comps[2], costs[2];
	mc_portfolio_item it;
	make_item(&it, id, value, llm_usd, ci, comps, costs);
	ck_assert_msg(mc_portfolio_upsert(s, &it) == 0, "%s", mc_error_message());
}

static mc_store *open_store(const char *dir)
{
	char *path = path_in(dir, "cache.db");
	mc_store *s = NULL;
	ck_assert_msg(mc_store_open(&s, path) == 0, "%s", mc_error_message());
	free(path);
	return s;
}

/* The ids of the listing, joined with spaces. */
static void listed_ids(char *buf, size_t size, mc_store *s, int include_closed, size_t limit)
{
	mc_portfolio_item *items;
	size_t n, i, len = 0;
	ck_assert_msg(mc_portfolio_list(&items, &n, s, include_closed, limit) == 0, "%s",
		      mc_error_message());
	buf[0] = '\0';
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? " " : "", items[i].id);
	mc_portfolio_items_free(items, n);
}

START_TEST(upsert_and_get_round_trip)
{
	char *dir = mc_test_tmpdir();
	mc_store *s = open_store(dir);
	mc_portfolio_item got;

	upsert(s, "feature", 400, 1.5, 12);
	ck_assert_int_eq(mc_portfolio_get(&got, s, "feature"), 0);
	ck_assert_str_eq(got.id, "feature");
	ck_assert_str_eq(got.title, "a change");
	ck_assert_str_eq(got.repository, "demo");
	ck_assert_uint_eq(strlen(got.head), 40);
	ck_assert_int_eq(got.head[0], 'a');
	ck_assert_double_eq_tol(got.value_usd, 400, 1e-9);
	ck_assert_double_eq_tol(got.expected_value_usd, 398.5, 1e-9);
	ck_assert_double_eq_tol(got.risk, 0.25, 1e-12);
	ck_assert_uint_eq(got.ncomponents, 2);
	ck_assert_str_eq(got.components[0].name, "defects_avoided"); /* value ones first */
	ck_assert_str_eq(got.components[0].kind, "value");
	ck_assert_str_eq(got.components[1].kind, "cost");
	ck_assert_double_eq_tol(mc_portfolio_cost(&got, "usd"), 1.5, 1e-12);
	ck_assert_double_eq_tol(mc_portfolio_cost(&got, "ci"), 12, 1e-12);
	ck_assert_double_eq(mc_portfolio_cost(&got, "gpu"), 0);
	ck_assert_int_eq(got.priority, 0);
	ck_assert(got.open);
	mc_portfolio_item_free(&got);

	/* A refresh replaces the numbers and the costs, not adds to them. */
	upsert(s, "feature", 100, 0, 3);
	ck_assert_int_eq(mc_portfolio_get(&got, s, "feature"), 0);
	ck_assert_double_eq_tol(got.value_usd, 100, 1e-9);
	ck_assert_double_eq_tol(mc_portfolio_cost(&got, "ci"), 3, 1e-12);
	ck_assert_uint_eq(got.ncosts, 2);
	ck_assert_uint_eq(got.ncomponents, 2);
	mc_portfolio_item_free(&got);

	ck_assert_int_eq(mc_portfolio_get(&got, s, "nosuch"), MC_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(mc_error_message(), "nosuch"));
	mc_store_close(s);
	mc_test_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(bad_numbers_are_refused)
{
	char *dir = mc_test_tmpdir();
	mc_store *s = open_store(dir);
	mc_portfolio_amount comps[2], costs[2];
	mc_portfolio_item it, got;

	make_item(&it, "nan", NAN, 1, 1, comps, costs);
	ck_assert_int_eq(mc_portfolio_upsert(s, &it), MC_EINVAL);
	make_item(&it, "neg", 10, 1, -1, comps, costs);
	ck_assert_int_eq(mc_portfolio_upsert(s, &it), MC_EINVAL);
	ck_assert_ptr_nonnull(strstr(mc_error_message(), "ci"));
	make_item(&it, "", 10, 1, 1, comps, costs);
	ck_assert_int_eq(mc_portfolio_upsert(s, &it), MC_EINVAL);
	ck_assert_int_eq(mc_portfolio_get(&got, s, "neg"), MC_ENOTFOUND);
	mc_store_close(s);
	mc_test_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(ranked_by_expected_value_ties_by_id)
{
	char *dir = mc_test_tmpdir();
	mc_store *s = open_store(dir);
	char ids[256];

	upsert(s, "low", 10, 0, 0);
	upsert(s, "tie-b", 50, 0, 0);
	upsert(s, "top", 90, 0, 0);
	upsert(s, "tie-a", 50, 0, 0);
	upsert(s, "costly", 95, 80, 0); /* value 95, expected value 15 */
	listed_ids(ids, sizeof ids, s, 0, 0);
	ck_assert_str_eq(ids, "top tie-a tie-b costly low");
	listed_ids(ids, sizeof ids, s, 0, 2);
	ck_assert_str_eq(ids, "top tie-a");
	mc_store_close(s);
	mc_test_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(close_hides_and_review_reopens)
{
	char *dir = mc_test_tmpdir();
	mc_store *s = open_store(dir);
	mc_portfolio_item got;
	char ids[256];

	upsert(s, "one", 10, 0, 0);
	upsert(s, "two", 20, 0, 0);
	ck_assert_int_eq(mc_portfolio_close(s, "two", 2000), 0);
	listed_ids(ids, sizeof ids, s, 0, 0);
	ck_assert_str_eq(ids, "one");
	listed_ids(ids, sizeof ids, s, 1, 0);
	ck_assert_str_eq(ids, "two one");
	ck_assert_int_eq(mc_portfolio_get(&got, s, "two"), 0);
	ck_assert(!got.open);
	ck_assert_int_eq(got.updated_at, 2000);
	mc_portfolio_item_free(&got);
	/* Closing again changes nothing and is not an error. */
	ck_assert_int_eq(mc_portfolio_close(s, "two", 3000), 0);
	ck_assert_int_eq(mc_portfolio_get(&got, s, "two"), 0);
	ck_assert_int_eq(got.updated_at, 2000);
	mc_portfolio_item_free(&got);
	ck_assert_int_eq(mc_portfolio_close(s, "nosuch", 2000), MC_ENOTFOUND);
	/* Reviewing it again means it is live again. */
	upsert(s, "two", 20, 0, 0);
	listed_ids(ids, sizeof ids, s, 0, 0);
	ck_assert_str_eq(ids, "two one");
	mc_store_close(s);
	mc_test_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(priority_needs_a_reason_and_is_recorded)
{
	char *dir = mc_test_tmpdir();
	mc_store *s = open_store(dir);
	mc_portfolio_override *ov;
	mc_portfolio_item got;
	size_t n;
	int before = -99;

	upsert(s, "feature", 10, 0, 0);
	ck_assert_int_eq(mc_portfolio_set_priority(s, "feature", 3, "@ann", NULL, 5000, &before),
			 MC_EINVAL);
	ck_assert_ptr_nonnull(strstr(mc_error_message(), "reason"));
	ck_assert_int_eq(mc_portfolio_set_priority(s, "feature", 3, "@ann", "", 5000, NULL),
			 MC_EINVAL);
	ck_assert_int_eq(mc_portfolio_set_priority(s, "feature", 3, "@ann", " \t\n", 5000, NULL),
			 MC_EINVAL);
	ck_assert_int_eq(before, -99);
	ck_assert_int_eq(mc_portfolio_overrides(&ov, &n, s, "feature"), 0);
	ck_assert_uint_eq(n, 0);
	mc_portfolio_overrides_free(ov, n);

	ck_assert_int_eq(mc_portfolio_set_priority(s, "feature", 3, "@ann", "customer escalation",
						   5000, &before), 0);
	ck_assert_int_eq(before, 0);
	ck_assert_int_eq(mc_portfolio_set_priority(s, "feature", -1, "@bob", "can wait", 6000,
						   &before), 0);
	ck_assert_int_eq(before, 3);
	ck_assert_int_eq(mc_portfolio_set_priority(s, "nosuch", 1, "@bob", "why", 6000, NULL),
			 MC_ENOTFOUND);

	ck_assert_int_eq(mc_portfolio_overrides(&ov, &n, s, "feature"), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(ov[0].who, "@ann");
	ck_assert_str_eq(ov[0].reason, "customer escalation");
	ck_assert_int_eq(ov[0].at, 5000);
	ck_assert_int_eq(ov[0].before, 0);
	ck_assert_int_eq(ov[0].after, 3);
	ck_assert_str_eq(ov[1].who, "@bob");
	ck_assert_int_eq(ov[1].before, 3);
	ck_assert_int_eq(ov[1].after, -1);
	mc_portfolio_overrides_free(ov, n);

	/* A refresh from the pipeline keeps the override. */
	upsert(s, "feature", 70, 0, 0);
	ck_assert_int_eq(mc_portfolio_get(&got, s, "feature"), 0);
	ck_assert_int_eq(got.priority, -1);
	ck_assert_double_eq_tol(got.value_usd, 70, 1e-9);
	mc_portfolio_item_free(&got);
	mc_store_close(s);
	mc_test_rmtree(dir);
	free(dir);
}
END_TEST

/* A version-1 file (the history cache only) is made by taking a current one back: the
 * portfolio's tables (migrations 2 and 3) dropped and user_version 1, which is what
 * maestro wrote before. */
static void downgrade_to_v1(const char *path)
{
	sqlite3 *db;
	char *err = NULL;
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_msg(sqlite3_exec(db,
				   "DROP TABLE cf_outcome_route; DROP TABLE cf_outcome;"
				   "DROP TABLE cf_prediction_route; DROP TABLE cf_prediction;"
				   "DROP TABLE pf_realized;"
				   "DROP TABLE pf_priority_override; DROP TABLE pf_cost;"
				   "DROP TABLE pf_component; DROP TABLE pf_item;"
				   "PRAGMA user_version = 1;", NULL, NULL, &err) == SQLITE_OK,
		      "%s", err ? err : "");
	sqlite3_close(db);
}

static int user_version(const char *path)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int v;
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

START_TEST(migration_from_version_1_keeps_the_history_cache)
{
	char *dir = mc_test_tmpdir(), *path = path_in(dir, "cache.db");
	const char *paths[] = { "src/a.c" };
	mc_history_cache *hc;
	mc_portfolio_item *items;
	mc_store *s;
	unsigned count = 0;
	size_t n;
	int has = 0;

	/* downgrade_to_v1 drops the tables of migrations 2 to 4: a new one must add its own */
	ck_assert_int_eq(mc_store_schema_version(), 4);
	s = open_store(dir);
	ck_assert_int_eq(mc_history_cache_open(&hc, s), 0);
	ck_assert_int_eq(mc_history_cache_add_commit(hc, "1111111111111111111111111111111111111111",
						     "dev@example.com", 100, 0, 0, paths, 1), 0);
	ck_assert_int_eq(mc_history_cache_mark_mined(hc, "1111111111111111111111111111111111111111",
						     200), 0);
	mc_history_cache_free(hc);
	mc_store_close(s);
	downgrade_to_v1(path);
	ck_assert_int_eq(user_version(path), 1);

	s = open_store(dir);
	ck_assert_int_eq(user_version(path), mc_store_schema_version());
	ck_assert_int_eq(mc_history_cache_open(&hc, s), 0);
	ck_assert_int_eq(mc_history_cache_count_commits(&count, hc), 0);
	ck_assert_uint_eq(count, 1);
	ck_assert_int_eq(mc_history_cache_is_mined(&has, hc,
						   "1111111111111111111111111111111111111111"), 0);
	ck_assert_int_eq(has, 1);
	mc_history_cache_free(hc);
	ck_assert_int_eq(mc_portfolio_list(&items, &n, s, 1, 0), 0);
	ck_assert_uint_eq(n, 0);
	upsert(s, "after-migration", 5, 0, 0);
	ck_assert_int_eq(mc_portfolio_list(&items, &n, s, 1, 0), 0);
	ck_assert_uint_eq(n, 1);
	mc_portfolio_items_free(items, n);
	mc_store_close(s);
	mc_test_rmtree(dir);
	free(path);
	free(dir);
}
END_TEST

START_TEST(open_items_become_knapsack_items)
{
	char *dir = mc_test_tmpdir();
	mc_store *s = open_store(dir);
	const char *dims[] = { "ci", "usd" };
	mc_knapsack_result r;
	mc_knapsack *k;
	size_t added = 0;
	long a, b;

	ck_assert_double_eq(mc_portfolio_weight(0), 1);
	ck_assert_double_eq_tol(mc_portfolio_weight(4), 2, 1e-12);
	ck_assert_double_eq_tol(mc_portfolio_weight(-3), 0.25, 1e-12);
	ck_assert_double_eq_tol(mc_portfolio_weight(-100), 0.25, 1e-12);

	upsert(s, "a", 100, 2, 30);
	upsert(s, "b", 80, 1, 10);
	upsert(s, "gone", 1000, 0, 0);
	ck_assert_int_eq(mc_portfolio_close(s, "gone", 1), 0);
	ck_assert_int_eq(mc_portfolio_set_priority(s, "b", 4, "@ann", "promised", 1, NULL), 0);

	ck_assert_int_eq(mc_knapsack_new(&k, 2, dims), 0);
	ck_assert_int_eq(mc_portfolio_items(k, s, &added), 0);
	ck_assert_uint_eq(added, 2);
	ck_assert_uint_eq(mc_knapsack_items(k), 2);
	ck_assert_int_eq(mc_knapsack_find_item(k, "gone"), -1);
	a = mc_knapsack_find_item(k, "a");
	b = mc_knapsack_find_item(k, "b");
	ck_assert_int_ge(a, 0);
	ck_assert_int_ge(b, 0);
	/* Budgets that fit either item but not both: b's weight 2 (160) beats a's 100. */
	ck_assert_int_eq(mc_knapsack_set_budget(k, 0, 30), 0);
	ck_assert_int_eq(mc_knapsack_set_budget(k, 1, 2), 0);
	ck_assert_int_eq(mc_knapsack_solve(&r, k, NULL), 0);
	ck_assert_uint_eq(r.nchosen, 1);
	ck_assert_uint_eq(r.chosen[0], (size_t)b);
	ck_assert_double_eq_tol(r.objective, 160, 1e-9);
	ck_assert_double_eq_tol(r.value, 80, 1e-9);
	ck_assert_double_eq_tol(r.used[0], 10, 1e-9);
	ck_assert_double_eq_tol(r.used[1], 1, 1e-9);
	mc_knapsack_result_free(&r);
	mc_knapsack_free(k);
	mc_store_close(s);
	mc_test_rmtree(dir);
	free(dir);
}
END_TEST

/* A repository with main and a branch feature one commit ahead. */
static char *feature_repo(char **feature_oid)
{
	char *dir = mc_test_tmpdir();
	mc_test_git_init(dir, "main");
	mc_test_write(dir, "src/a.c", "int a;\n");
	free(mc_test_commit(dir, "Initial commit"));
	mc_test_git(dir, "checkout", "-q", "-b", "feature", NULL);
	mc_test_write(dir, "src/a.c", "int a;\nint b;\n");
	*feature_oid = mc_test_commit(dir, "Add b to a");
	return dir;
}

START_TEST(local_ids_name_the_branch_or_the_commit)
{
	char *oid, *dir = feature_repo(&oid), *id;
	mc_repo *repo;

	ck_assert_int_eq(mc_repo_open(&repo, dir), 0);
	id = mc_portfolio_local_id(repo, "main..feature", oid);
	ck_assert_str_eq(id, "feature");
	free(id);
	id = mc_portfolio_local_id(repo, "main...refs/heads/feature", oid);
	ck_assert_str_eq(id, "feature");
	free(id);
	id = mc_portfolio_local_id(repo, "main", oid); /* main..HEAD, HEAD on feature */
	ck_assert_str_eq(id, "feature");
	free(id);
	id = mc_portfolio_local_id(repo, "main..", oid);
	ck_assert_str_eq(id, "feature");
	free(id);
	id = mc_portfolio_local_id(repo, "main..feature~0", oid);
	ck_assert_str_eq(id, oid);
	free(id);
	mc_repo_free(repo);

	mc_test_git(dir, "tag", "v1", NULL);
	mc_test_git(dir, "checkout", "-q", "--detach", NULL);
	ck_assert_int_eq(mc_repo_open(&repo, dir), 0);
	id = mc_portfolio_local_id(repo, "main", oid);
	ck_assert_str_eq(id, oid);
	free(id);
	id = mc_portfolio_local_id(repo, "main..v1", oid);
	ck_assert_str_eq(id, oid);
	free(id);
	mc_repo_free(repo);
	mc_test_rmtree(dir);
	free(dir);
	free(oid);
}
END_TEST

START_TEST(review_refreshes_the_portfolio)
{
	char *oid, *dir = feature_repo(&oid);
	mc_review_options opt = { 0 };
	mc_portfolio_item got;
	mc_review review;
	mc_store *s;
	size_t n;
	mc_portfolio_item *items;

	opt.repo_path = dir;
	opt.range = "main..feature";
	opt.no_record = 1;
	opt.no_portfolio = 1;
	ck_assert_msg(mc_review_run(&review, &opt) == 0, "%s", mc_error_message());
	mc_review_free(&review);
	ck_assert_int_eq(mc_portfolio_open_store(&s, dir, 0), 0); /* the cache made the file */
	ck_assert_int_eq(mc_portfolio_list(&items, &n, s, 1, 0), 0);
	ck_assert_uint_eq(n, 0);
	mc_store_close(s);

	opt.no_portfolio = 0;
	opt.now = 1700000000;
	ck_assert_msg(mc_review_run(&review, &opt) == 0, "%s", mc_error_message());
	ck_assert_int_eq(mc_portfolio_open_store(&s, dir, 0), 0);
	ck_assert_int_eq(mc_portfolio_get(&got, s, "feature"), 0);
	ck_assert_str_eq(got.head, oid);
	ck_assert_str_eq(got.title, "Add b to a");
	ck_assert_int_eq(got.updated_at, 1700000000);
	ck_assert_double_eq_tol(got.expected_value_usd,
				json_object_get_double(json_object_object_get(
					json_object_object_get(review.card, "roi"), "expected_value_usd")),
				1e-9);
	ck_assert_double_eq_tol(got.risk,
				json_object_get_double(json_object_object_get(
					json_object_object_get(review.card, "risk"), "probability")),
				1e-12);
	ck_assert_uint_eq(got.ncomponents, 6);
	ck_assert_uint_eq(got.ncosts, 2);
	mc_portfolio_item_free(&got);
	mc_store_close(s);
	mc_review_free(&review);
	mc_test_rmtree(dir);
	free(dir);
	free(oid);
}
END_TEST

static Suite *portfolio_suite(void)
{
	Suite *s = suite_create("portfolio");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, upsert_and_get_round_trip);
	tcase_add_test(tc, bad_numbers_are_refused);
	tcase_add_test(tc, ranked_by_expected_value_ties_by_id);
	tcase_add_test(tc, close_hides_and_review_reopens);
	tcase_add_test(tc, priority_needs_a_reason_and_is_recorded);
	tcase_add_test(tc, migration_from_version_1_keeps_the_history_cache);
	tcase_add_test(tc, open_items_become_knapsack_items);
	tcase_add_test(tc, local_ids_name_the_branch_or_the_commit);
	tcase_add_test(tc, review_refreshes_the_portfolio);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return mc_test_run(portfolio_suite());
}
