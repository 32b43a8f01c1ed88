/* Unit tests for pipeline/pr over the local forge: a PR reviewed and published once,
 * a second run writes nothing new, a push edits the card in place, a merged PR is
 * skipped, mirror paths are checked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/forge/forge.h"
#include "adapters/git/repo.h"
#include "adapters/store/portfolio.h"
#include "pipeline/portfolio.h"
#include "pipeline/pr.h"
#include "testutil.h"
#include "util/error.h"
#include "util/fs.h"

typedef mc_test_local_pr fixture;

static int count_files(const fixture *f, const char *name)
{
	char cmd[8192];
	FILE *p;
	int count = -1;

	snprintf(cmd, sizeof cmd, "find '%s' -name '%s' | wc -l", f->files, name);
	ck_assert_ptr_nonnull(p = popen(cmd, "r"));
	ck_assert_int_eq(fscanf(p, "%d", &count), 1);
	pclose(p);
	return count;
}

static int count_lines(const fixture *f, const char *name)
{
	char cmd[8192];
	FILE *p;
	int count = -1;

	snprintf(cmd, sizeof cmd, "find '%s' -name '%s' -exec cat {} + | wc -l", f->files, name);
	ck_assert_ptr_nonnull(p = popen(cmd, "r"));
	ck_assert_int_eq(fscanf(p, "%d", &count), 1);
	pclose(p);
	return count;
}

START_TEST(reviewed_once_then_nothing_new)
{
	fixture f;
	mc_pr_result r;
	mc_pr_options opt = {0};

	mc_test_local_pr_setup(&f, 0);
	opt.forge = f.forge;
	opt.repo = f.repo;
	opt.number = f.number;
	ck_assert_int_eq(mc_pr_review(&r, &opt), 0);
	ck_assert_int_eq(r.skipped, 0);
	ck_assert_int_eq(r.comment_changed, 1);
	ck_assert_str_eq(r.status, r.passed ? "success" : "failure");
	ck_assert_uint_eq(strlen(r.head_sha), 40);
	mc_pr_result_free(&r);
	ck_assert_int_eq(count_files(&f, "comment-*.md"), 1);
	ck_assert_int_eq(count_lines(&f, "statuses.jsonl"), 1);

	/* The same event again (at least once delivery): same card, comment untouched. */
	ck_assert_int_eq(mc_pr_review(&r, &opt), 0);
	ck_assert_int_eq(r.comment_changed, 0);
	mc_pr_result_free(&r);
	ck_assert_int_eq(count_files(&f, "comment-*.md"), 1);

	/* A push: the card is edited in place, not posted again. */
	mc_test_git(f.repo, "checkout", "-q", "feature", NULL);
	mc_test_write(f.repo, "src/b.c", "int b;\nint c;\n");
	free(mc_test_commit(f.repo, "Grow b"));
	ck_assert_int_eq(mc_pr_review(&r, &opt), 0);
	ck_assert_int_eq(r.comment_changed, 1);
	mc_pr_result_free(&r);
	ck_assert_int_eq(count_files(&f, "comment-*.md"), 1);
	ck_assert_int_eq(count_lines(&f, "statuses.jsonl"), 3);

	/* Merged: nothing reviewed or posted. */
	mc_test_git(f.repo, "checkout", "-q", "main", NULL);
	mc_test_git(f.repo, "merge", "-q", "--ff-only", "feature", NULL);
	ck_assert_int_eq(mc_pr_review(&r, &opt), 0);
	ck_assert_int_eq(r.skipped, 1);
	mc_pr_result_free(&r);
	ck_assert_int_eq(count_lines(&f, "statuses.jsonl"), 3);
	/* ... and its work item left the portfolio. */
	{
		mc_store *store = NULL;
		mc_portfolio_item item;
		ck_assert_int_eq(mc_portfolio_open_store(&store, f.repo, 0), 0);
		ck_assert_int_eq(mc_portfolio_get(&item, store, "feature"), 0);
		ck_assert_int_eq(item.open, 0);
		mc_portfolio_item_free(&item);
		mc_store_close(store);
	}
	mc_test_local_pr_teardown(&f);
}
END_TEST

START_TEST(mirror_paths)
{
	char *p = NULL;

	ck_assert_int_eq(mc_pr_mirror_path(&p, "/s", "octo/hello.world"), 0);
	ck_assert_str_eq(p, "/s/octo+hello.world.git");
	free(p);
	ck_assert_int_eq(mc_pr_mirror_path(&p, "/s", "octo/../x"), MC_EINVAL);
	ck_assert_int_eq(mc_pr_mirror_path(&p, "/s", "../x"), MC_EINVAL);
	ck_assert_int_eq(mc_pr_mirror_path(&p, "/s", "octo/.."), MC_EINVAL);
	ck_assert_int_eq(mc_pr_mirror_path(&p, "/s", "octo"), MC_EINVAL);
	ck_assert_int_eq(mc_pr_mirror_path(&p, "/s", "a/b c"), MC_EINVAL);
	ck_assert_ptr_null(p);
}
END_TEST

/* Branch names from a forge go into refspecs only when git would accept them. */
START_TEST(branch_names_checked_before_refspecs)
{
	ck_assert(mc_repo_branch_name_valid("main"));
	ck_assert(mc_repo_branch_name_valid("release/2.1"));
	ck_assert(!mc_repo_branch_name_valid(NULL));
	ck_assert(!mc_repo_branch_name_valid(""));
	ck_assert(!mc_repo_branch_name_valid("main:refs/heads/x"));
	ck_assert(!mc_repo_branch_name_valid("a..b"));
	ck_assert(!mc_repo_branch_name_valid("a b"));
	ck_assert(!mc_repo_branch_name_valid("x.lock"));
	ck_assert(!mc_repo_branch_name_valid("*"));
}
END_TEST

/* The simulation's gate feeds the commit status: a predicted p99 regression over
 * simulate.max_p99_increase fails maestro/decision with the route and the metric. The
 * daemon has no command line, so the deltas are the base config's simulate.deltas, and
 * the trace an absolute path of the reviewing machine. */
START_TEST(a_simulation_gate_fails_the_status)
{
	fixture f;
	mc_pr_result r;
	mc_pr_options opt = {0};
	char *trace = NULL, *config = NULL, *statuses = NULL, *text = NULL;
	size_t len = 0;
	int i;
	FILE *t;

	mc_test_local_pr_setup(&f, 0);
	if (asprintf(&trace, "%s/trace.jsonl", f.root) < 0 ||
	    asprintf(&config, "{\"simulate\": {\"trace\": \"%s\", \"deltas\": [\"/api:p99=x1.4\"], "
		     "\"max_p99_increase\": 0.1}}\n", trace) < 0 ||
	    asprintf(&statuses, "find '%s' -name statuses.jsonl -exec cat {} +", f.files) < 0)
		abort();
	ck_assert_ptr_nonnull(t = fopen(trace, "w"));
	for (i = 0; i < 300; i++)
		fprintf(t, "{\"route\":\"/api\",\"latency_ms\":%d,\"status\":200}\n", 10 + i);
	fclose(t);
	mc_test_write(f.repo, ".maestro/config.json", config);
	free(mc_test_commit(f.repo, "Configure the simulation"));
	mc_test_git(f.repo, "checkout", "-q", "feature", NULL);
	mc_test_git(f.repo, "rebase", "-q", "main", NULL);
	mc_test_git(f.repo, "checkout", "-q", "main", NULL);
	opt.forge = f.forge;
	opt.repo = f.repo;
	opt.number = f.number;
	ck_assert_int_eq(mc_pr_review(&r, &opt), 0);
	ck_assert_int_eq(r.passed, 0);
	ck_assert_str_eq(r.status, "failure");
	mc_pr_result_free(&r);
	{
		FILE *p = popen(statuses, "r");
		char buf[4096];
		ck_assert_ptr_nonnull(p);
		len = fread(buf, 1, sizeof buf - 1, p);
		buf[len] = '\0';
		pclose(p);
		text = strdup(buf);
	}
	ck_assert_msg(strstr(text, "/api: predicted p99 latency +40.0 %") != NULL, "%s", text);
	free(text);
	free(statuses);
	free(config);
	free(trace);
	mc_test_local_pr_teardown(&f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pr");
	TCase *tc = tcase_create("pr");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, reviewed_once_then_nothing_new);
	tcase_add_test(tc, mirror_paths);
	tcase_add_test(tc, branch_names_checked_before_refspecs);
	tcase_add_test(tc, a_simulation_gate_fails_the_status);
	suite_add_tcase(s, tc);
	return mc_test_run(s);
}
