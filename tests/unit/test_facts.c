/* pipeline/facts: the Kamei features of a change in a repository made here, with
 * authors and dates chosen so every figure can be worked out by hand, and the
 * incremental history cache. Also model/features' size and diffusion measures. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/facts.h"
#include "testutil.h"
#include "util/error.h"

#define T0 1700000000LL
#define DAY 86400LL

static char *dir;

/* Commit everything as who@example.com, `day` days after T0. */
static char *commit_as(const char *who, int day, const char *message)
{
	char email[64], when[64];
	snprintf(email, sizeof email, "%s@example.com", who);
	snprintf(when, sizeof when, "@%lld +0000", T0 + day * DAY);
	setenv("GIT_AUTHOR_NAME", who, 1);
	setenv("GIT_AUTHOR_EMAIL", email, 1);
	setenv("GIT_AUTHOR_DATE", when, 1);
	setenv("GIT_COMMITTER_DATE", when, 1);
	return mc_test_commit(dir, message);
}

static void lines(const char *rel, int n)
{
	char buf[4096] = "";
	int i;
	for (i = 1; i <= n; i++)
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "line %d\n", i);
	mc_test_write(dir, rel, buf);
}

/* main: alice adds src/a.c (10 lines), src/b.c, README on day 0; bob grows a.c to 12
 * lines on day 10; alice adds lib/x.c on day 20. feature (bob, day 30): a.c gets
 * 3 lines added and 1 deleted, lib/y.c (4 lines) is added. */
static void build_history(void)
{
	dir = mc_test_tmpdir();
	mc_test_git_init(dir, "main");
	lines("src/a.c", 10);
	lines("src/b.c", 5);
	mc_test_write(dir, "README", "hello\n");
	free(commit_as("alice", 0, "Initial import"));
	lines("src/a.c", 12);
	free(commit_as("bob", 10, "Grow a"));
	lines("lib/x.c", 3);
	free(commit_as("alice", 20, "Add x"));
	mc_test_git(dir, "checkout", "-q", "-b", "feature", NULL);
	mc_test_write(dir, "src/a.c", "line 2\nline 3\nline 4\nline 5\nline 6\nline 7\nline 8\n"
				      "line 9\nline 10\nline 11\nline 12\nnew 1\nnew 2\nnew 3\n");
	lines("lib/y.c", 4);
	free(commit_as("bob", 30, "Rework a, add y"));
}

struct env {
	mc_repo *repo;
	mc_store *store;
	mc_history_cache *hc;
};

static void open_env(struct env *e)
{
	ck_assert_int_eq(mc_repo_open(&e->repo, dir), 0);
	ck_assert_int_eq(mc_store_open(&e->store, ":memory:"), 0);
	ck_assert_int_eq(mc_history_cache_open(&e->hc, e->store), 0);
}

static void close_env(struct env *e)
{
	mc_history_cache_free(e->hc);
	mc_store_close(e->store);
	mc_repo_free(e->repo);
}

static int gather(mc_facts *f, struct env *e, const char *range)
{
	mc_facts_options opt = { 0 };
	opt.range = range;
	opt.store = e->store;
	opt.history = e->hc;
	return mc_facts_gather(f, e->repo, &opt);
}

#define FEATURE(f, id) ((f).features.v[id])

START_TEST(features_of_a_change_by_hand)
{
	struct env e;
	mc_facts f;

	build_history();
	open_env(&e);
	ck_assert_int_eq(gather(&f, &e, "main..feature"), 0);
	ck_assert_uint_eq(f.ncommits, 1);
	ck_assert_uint_eq(f.nfiles, 2);
	ck_assert_str_eq(f.author_email, "bob@example.com");
	ck_assert(!f.merge_only);
	ck_assert_double_eq(FEATURE(f, MC_F_NF), 2);
	ck_assert_double_eq(FEATURE(f, MC_F_NS), 2);      /* src, lib */
	ck_assert_double_eq(FEATURE(f, MC_F_ND), 2);
	ck_assert_double_eq(FEATURE(f, MC_F_LA), 7);      /* 3 in a.c, 4 in y.c */
	ck_assert_double_eq(FEATURE(f, MC_F_LD), 1);
	ck_assert_double_eq(FEATURE(f, MC_F_LT), 12);     /* a.c at base; y.c is new */
	ck_assert_double_eq_tol(FEATURE(f, MC_F_ENTROPY), 1.0, 1e-12); /* 4 and 4 lines */
	ck_assert_double_eq(FEATURE(f, MC_F_FIX), 0);
	/* a.c was changed by alice (day 0) and bob (day 10) before the base */
	ck_assert_double_eq(FEATURE(f, MC_F_NUC), 2);
	ck_assert_double_eq(FEATURE(f, MC_F_NDEV), 2);
	ck_assert_double_eq_tol(FEATURE(f, MC_F_AGE), 20, 1e-9); /* day 10 to day 30 */
	/* bob's one earlier commit (day 10, in src/) */
	ck_assert_double_eq(FEATURE(f, MC_F_EXP), 1);
	ck_assert_double_eq(FEATURE(f, MC_F_SEXP), 1);
	ck_assert_double_eq_tol(FEATURE(f, MC_F_REXP), 1.0 / (20.0 / 365.25 + 1.0), 1e-12);
	ck_assert_uint_eq(f.history.mined, 3);
	ck_assert(!f.history.tip_was_mined);
	mc_facts_free(&f);
	close_env(&e);
	mc_test_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(history_is_mined_once_then_incrementally)
{
	struct env e;
	mc_facts f;

	build_history();
	open_env(&e);
	ck_assert_int_eq(gather(&f, &e, "main..feature"), 0);
	ck_assert_uint_eq(f.history.mined, 3);
	mc_facts_free(&f);
	ck_assert_int_eq(gather(&f, &e, "main..feature"), 0);
	ck_assert_uint_eq(f.history.mined, 0);
	ck_assert_uint_eq(f.history.cached, 3);
	ck_assert(f.history.tip_was_mined);
	mc_facts_free(&f);

	/* main moves on by one commit (carol, day 25, touches a.c): only it is mined */
	mc_test_git(dir, "checkout", "-q", "main", NULL);
	lines("src/a.c", 13);
	free(commit_as("carol", 25, "Grow a again"));
	mc_test_git(dir, "checkout", "-q", "-b", "feature2", NULL);
	lines("src/a.c", 14);
	free(commit_as("bob", 40, "Fix the crash in a"));
	ck_assert_int_eq(gather(&f, &e, "main..feature2"), 0);
	ck_assert_uint_eq(f.history.mined, 1);
	ck_assert_uint_eq(f.history.cached, 3);
	ck_assert_double_eq(FEATURE(f, MC_F_NUC), 3);
	ck_assert_double_eq(FEATURE(f, MC_F_NDEV), 3);
	ck_assert_double_eq_tol(FEATURE(f, MC_F_AGE), 15, 1e-9); /* day 25 to day 40 */
	ck_assert_double_eq(FEATURE(f, MC_F_FIX), 1);
	mc_facts_free(&f);

	/* the older range again: carol's later commit is in the cache but not before its base */
	ck_assert_int_eq(gather(&f, &e, "main~1..feature"), 0);
	ck_assert_double_eq(FEATURE(f, MC_F_NUC), 2);
	mc_facts_free(&f);
	close_env(&e);
	mc_test_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(errors_leave_nothing_behind)
{
	struct env e;
	mc_facts f;

	build_history();
	open_env(&e);
	ck_assert_int_eq(gather(&f, &e, "nosuch..feature"), MC_EINVAL);
	ck_assert_str_eq(mc_error_message(), "unknown revision 'nosuch'");
	ck_assert_ptr_null(f.commits);
	ck_assert_int_eq(gather(&f, &e, "feature..main"), MC_EEMPTY);
	mc_facts_free(&f); /* safe after an error */
	close_env(&e);
	mc_test_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(size_and_diffusion_from_files)
{
	mc_feature_file files[] = {
		{ "src/core/a.c", 6, 2, 100 },
		{ "src/core/b.c", 0, 0, 10 },  /* binary or mode change: no lines */
		{ "src/io/c.c", 2, 0, 5 },
		{ "README", 0, 0, 0 },
		{ "docs/x/y/z.md", 0, 0, 0 },
	};
	mc_change_features f = { { 0 } };
	mc_features_measure_files(&f, files, 5);
	ck_assert_double_eq(f.v[MC_F_NF], 5);
	ck_assert_double_eq(f.v[MC_F_NS], 3);  /* src, docs and the root */
	ck_assert_double_eq(f.v[MC_F_ND], 4);  /* src/core, src/io, docs/x/y and the root */
	ck_assert_double_eq(f.v[MC_F_LA], 8);
	ck_assert_double_eq(f.v[MC_F_LD], 2);
	ck_assert_double_eq(f.v[MC_F_LT], 115);
	/* shares 8/10 and 2/10 */
	ck_assert_double_eq_tol(f.v[MC_F_ENTROPY], -(0.8 * log2(0.8) + 0.2 * log2(0.2)), 1e-12);
	mc_features_measure_files(&f, NULL, 0);
	ck_assert_double_eq(f.v[MC_F_NF], 0);
	ck_assert_double_eq(f.v[MC_F_ENTROPY], 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("facts");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, features_of_a_change_by_hand);
	tcase_add_test(tc, history_is_mined_once_then_incrementally);
	tcase_add_test(tc, errors_leave_nothing_behind);
	tcase_add_test(tc, size_and_diffusion_from_files);
	suite_add_tcase(s, tc);
	return mc_test_run(s);
}
