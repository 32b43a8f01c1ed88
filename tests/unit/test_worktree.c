/*
 * Unit tests for temporary checkouts (adapters/git/worktree) against a real
 * repository: the files of an older commit appear with their modes, the
 * repository's HEAD, index and work tree are untouched, and removal deletes the
 * directory without following a symlink out of it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adapters/git/repo.h"
#include "adapters/git/worktree.h"
#include "testutil.h"
#include "util/error.h"
#include "util/fs.h"

static char *dir, *parent;

static void setup(void)
{
	dir = mc_test_tmpdir();
	parent = mc_test_tmpdir();
	mc_test_git_init(dir, "main");
}

static void teardown(void)
{
	mc_test_rmtree(dir);
	mc_test_rmtree(parent);
	free(dir);
	free(parent);
}

static char *read_at(const char *root, const char *rel)
{
	char path[4096], *text = NULL;
	size_t len;
	snprintf(path, sizeof path, "%s/%s", root, rel);
	if (mc_fs_read_file(&text, &len, path, 1 << 20))
		return NULL;
	return text;
}

START_TEST(checks_out_an_older_commit)
{
	mc_repo *repo;
	mc_worktree wt;
	char path[4096], *first, *head_before, *head_after, *status, *text;
	struct stat st;

	mc_test_write(dir, "run.sh", "#!/bin/sh\necho base\n");
	mc_test_write(dir, "src/lib/a.c", "int a;\n");
	snprintf(path, sizeof path, "%s/run.sh", dir);
	ck_assert_int_eq(chmod(path, 0755), 0);
	first = mc_test_commit(dir, "first");
	mc_test_write(dir, "run.sh", "#!/bin/sh\necho head\n");
	mc_test_write(dir, "new.txt", "new\n");
	free(mc_test_commit(dir, "second"));
	head_before = mc_test_git_out(dir, "rev-parse", "HEAD", NULL);

	ck_assert_int_eq(mc_repo_open(&repo, dir), 0);
	ck_assert_int_eq(mc_worktree_checkout(&wt, repo, "HEAD~1", parent, "base"), 0);
	ck_assert_str_eq(wt.oid, first);
	ck_assert_int_eq(strncmp(wt.path, parent, strlen(parent)), 0);
	ck_assert_ptr_nonnull(strstr(wt.path, "/maestro-base-"));
	text = read_at(wt.path, "run.sh");
	ck_assert_str_eq(text, "#!/bin/sh\necho base\n");
	free(text);
	text = read_at(wt.path, "src/lib/a.c");
	ck_assert_str_eq(text, "int a;\n");
	free(text);
	ck_assert_ptr_null(read_at(wt.path, "new.txt"));
	ck_assert_ptr_null(read_at(wt.path, ".git/HEAD"));
	snprintf(path, sizeof path, "%s/run.sh", wt.path);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(st.st_mode & S_IXUSR);

	/* The repository did not move. */
	head_after = mc_test_git_out(dir, "rev-parse", "HEAD", NULL);
	ck_assert_str_eq(head_after, head_before);
	status = mc_test_git_out(dir, "status", "--porcelain", NULL);
	ck_assert_str_eq(status, "");

	/* A symlink inside pointing outside: removal deletes the link, not the target. */
	snprintf(path, sizeof path, "%s/escape", wt.path);
	ck_assert_int_eq(symlink(dir, path), 0);
	snprintf(path, sizeof path, "%s", wt.path);
	ck_assert_int_eq(mc_worktree_remove(&wt), 0);
	ck_assert(!mc_fs_exists(path));
	ck_assert_ptr_null(wt.path);
	ck_assert_int_eq(mc_worktree_remove(&wt), 0);
	text = read_at(dir, "run.sh");
	ck_assert_str_eq(text, "#!/bin/sh\necho head\n");
	free(text);

	mc_repo_free(repo);
	free(first);
	free(head_before);
	free(head_after);
	free(status);
}
END_TEST

START_TEST(refuses_bad_input)
{
	mc_repo *repo;
	mc_worktree wt;
	mc_test_write(dir, "a", "a\n");
	free(mc_test_commit(dir, "first"));
	ck_assert_int_eq(mc_repo_open(&repo, dir), 0);
	ck_assert_int_eq(mc_worktree_checkout(&wt, repo, "HEAD", parent, "../x"), MC_EINVAL);
	ck_assert_int_eq(mc_worktree_checkout(&wt, repo, "no-such-rev", parent, "base"), MC_EINVAL);
	ck_assert_ptr_nonnull(strstr(mc_error_message(), "no-such-rev"));
	mc_repo_free(repo);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("worktree");
	TCase *tc = tcase_create("checkout");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, checks_out_an_older_commit);
	tcase_add_test(tc, refuses_bad_input);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return mc_test_run(suite());
}
