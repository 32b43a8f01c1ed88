/*
 * Unit tests for the git repository and range adapters (adapters/git/repo, range)
 * against real repositories made with the git CLI in temporary directories.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "adapters/git/diff.h"
#include "adapters/git/range.h"
#include "adapters/git/repo.h"
#include "testutil.h"
#include "util/error.h"

static char *join(const char *a, const char *b)
{
	char *p;
	ck_assert_int_ge(asprintf(&p, "%s/%s", a, b), 0);
	return p;
}

/* The canonical path of dir with a trailing '/', as libgit2 reports directories. */
static char *canonical_dir(const char *dir)
{
	char real[PATH_MAX], *out;
	ck_assert_ptr_nonnull(realpath(dir, real));
	ck_assert_int_ge(asprintf(&out, "%s/", real), 0);
	return out;
}

static mc_repo *open_repo(const char *dir)
{
	mc_repo *repo = NULL;
	int rc = mc_repo_open(&repo, dir);
	ck_assert_msg(rc == 0, "mc_repo_open(%s): %s", dir, mc_error_message());
	return repo;
}

/* A repository on main with commits c1..c3, and feature branched at c2 with f1, f2;
 * HEAD is feature. ids[] = c1 c2 c3 f1 f2. */
static char *make_forked_repo(char *ids[5])
{
	char *dir = mc_test_tmpdir();
	mc_test_git_init(dir, "main");
	mc_test_write(dir, "a.txt", "one\n");
	ids[0] = mc_test_commit(dir, "c1");
	mc_test_write(dir, "a.txt", "one\ntwo\n");
	ids[1] = mc_test_commit(dir, "c2");
	mc_test_write(dir, "main-only.txt", "m\n");
	ids[2] = mc_test_commit(dir, "c3");
	mc_test_git(dir, "checkout", "-q", "-b", "feature", ids[1], NULL);
	mc_test_write(dir, "f.txt", "f1\n");
	ids[3] = mc_test_commit(dir, "f1");
	mc_test_write(dir, "f.txt", "f1\nf2\n");
	ids[4] = mc_test_commit(dir, "f2");
	return dir;
}

static void free_ids(char **ids, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		free(ids[i]);
}

START_TEST(open_outside_a_repository_is_an_environment_error)
{
	char *dir = mc_test_tmpdir(), *missing = join(dir, "no/such/dir"), *want;
	mc_repo *repo = (mc_repo *)1;

	ck_assert_int_eq(mc_repo_open(&repo, dir), MC_EENV);
	ck_assert_ptr_null(repo);
	ck_assert_int_ge(asprintf(&want, "not a git repository: %s", dir), 0);
	ck_assert_str_eq(mc_error_message(), want);
	free(want);
	ck_assert_int_eq(mc_repo_open(&repo, missing), MC_EENV);
	ck_assert(strstr(mc_error_message(), missing) != NULL);
	mc_test_rmtree(dir);
	free(missing);
	free(dir);
}
END_TEST

START_TEST(open_searches_upwards_from_a_subdirectory)
{
	char *dir = mc_test_tmpdir(), *sub = join(dir, "deep/er"), *want = canonical_dir(dir);
	char *gitdir;
	mc_repo *repo;

	mc_test_git_init(dir, "main");
	mc_test_write(dir, "deep/er/x.txt", "x\n");
	free(mc_test_commit(dir, "x"));
	repo = open_repo(sub);
	ck_assert_str_eq(mc_repo_workdir(repo), want);
	gitdir = join(dir, ".git");
	free(want);
	want = canonical_dir(gitdir);
	ck_assert_str_eq(mc_repo_gitdir(repo), want);
	ck_assert_str_eq(mc_repo_commondir(repo), want);
	mc_repo_free(repo);
	mc_test_rmtree(dir);
	free(gitdir);
	free(want);
	free(sub);
	free(dir);
}
END_TEST

START_TEST(unknown_revisions_are_named)
{
	char *ids[5], *dir = make_forked_repo(ids);
	mc_repo *repo = open_repo(dir);
	mc_commit_info *ci = NULL;
	mc_range r;

	ck_assert_int_eq(mc_range_resolve(&r, repo, "nope..HEAD", NULL), MC_EINVAL);
	ck_assert_str_eq(mc_error_message(), "unknown revision 'nope'");
	ck_assert_int_eq(mc_range_resolve(&r, repo, "main..x", NULL), MC_EINVAL);
	ck_assert_str_eq(mc_error_message(), "unknown revision 'x'");
	ck_assert_int_eq(mc_range_resolve(&r, repo, "x", NULL), MC_EINVAL);
	ck_assert_str_eq(mc_error_message(), "unknown revision 'x'");
	ck_assert_int_eq(mc_range_resolve(&r, repo, NULL, "trunk"), MC_EINVAL);
	ck_assert_str_eq(mc_error_message(), "unknown revision 'trunk'");
	ck_assert_int_eq(mc_range_commit(&ci, repo, "x"), MC_EINVAL);
	ck_assert_ptr_null(ci);
	/* A tree is a revision but not a commit. */
	ck_assert_int_eq(mc_range_resolve(&r, repo, "HEAD^{tree}", NULL), MC_EINVAL);
	ck_assert(strstr(mc_error_message(), "does not name a commit") != NULL);
	ck_assert_int_eq(mc_range_resolve(&r, repo, "", NULL), MC_EINVAL);
	ck_assert_int_eq(mc_range_resolve(&r, repo, "main\n..HEAD", NULL), MC_EINVAL);
	mc_repo_free(repo);
	mc_test_rmtree(dir);
	free_ids(ids, 5);
	free(dir);
}
END_TEST

START_TEST(ranges_without_commits_are_empty)
{
	char *ids[5], *dir = make_forked_repo(ids), *spec;
	mc_repo *repo = open_repo(dir);
	mc_range r;

	ck_assert_int_ge(asprintf(&spec, "%s..%s", ids[4], ids[4]), 0);
	ck_assert_int_eq(mc_range_resolve(&r, repo, spec, NULL), MC_EEMPTY);
	ck_assert(strstr(mc_error_message(), "has no commits") != NULL);
	ck_assert_ptr_null(r.spec);
	ck_assert_int_eq(mc_range_resolve(&r, repo, "HEAD..HEAD", NULL), MC_EEMPTY);
	ck_assert_int_eq(mc_range_resolve(&r, repo, "feature", NULL), MC_EEMPTY);
	/* The target is ahead of an ancestor: nothing of the ancestor's own to review. */
	mc_test_git(dir, "branch", "old", ids[1], NULL);
	ck_assert_int_eq(mc_range_resolve(&r, repo, "main..old", NULL), MC_EEMPTY);
	mc_repo_free(repo);
	mc_test_rmtree(dir);
	free(spec);
	free_ids(ids, 5);
	free(dir);
}
END_TEST

static void assert_feature_range(mc_repo *repo, const char *spec, const char *default_branch,
				 char *ids[5], const char *want_spec)
{
	mc_commit_info *commits = NULL;
	size_t n = 0;
	mc_range r;
	int rc = mc_range_resolve(&r, repo, spec, default_branch);

	ck_assert_msg(rc == 0, "%s: %s", spec ? spec : "(default)", mc_error_message());
	ck_assert_str_eq(r.base, ids[1]);
	ck_assert_str_eq(r.merge_base, ids[1]);
	ck_assert_str_eq(r.head, ids[4]);
	ck_assert_str_eq(r.upstream, ids[2]);
	ck_assert_str_eq(r.spec, want_spec);
	ck_assert_int_eq(mc_range_commits(&commits, &n, repo, &r), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(commits[0].oid, ids[4]); /* newest first */
	ck_assert_str_eq(commits[1].oid, ids[3]);
	ck_assert_str_eq(commits[0].summary, "f2");
	mc_commit_info_free(commits, n);
	mc_range_free(&r);
	ck_assert_ptr_null(r.spec);
}

START_TEST(range_forms_resolve_to_the_merge_base)
{
	char *ids[5], *dir = make_forked_repo(ids);
	mc_repo *repo = open_repo(dir);

	assert_feature_range(repo, "main..feature", NULL, ids, "main..feature");
	assert_feature_range(repo, "main...feature", NULL, ids, "main...feature");
	assert_feature_range(repo, "main..", NULL, ids, "main..");
	assert_feature_range(repo, "main...", NULL, ids, "main...");
	assert_feature_range(repo, "main", NULL, ids, "main");
	assert_feature_range(repo, NULL, "main", ids, "main..HEAD");
	mc_repo_free(repo);
	mc_test_rmtree(dir);
	free_ids(ids, 5);
	free(dir);
}
END_TEST

START_TEST(an_empty_left_side_means_head)
{
	char *ids[5], *dir = make_forked_repo(ids);
	mc_repo *repo = open_repo(dir);
	mc_range r;

	/* HEAD is feature: "..main" is the main-only commit c3 on top of c2. */
	ck_assert_int_eq(mc_range_resolve(&r, repo, "..main", NULL), 0);
	ck_assert_str_eq(r.base, ids[1]);
	ck_assert_str_eq(r.head, ids[2]);
	ck_assert_str_eq(r.upstream, ids[4]);
	mc_range_free(&r);
	mc_repo_free(repo);
	mc_test_rmtree(dir);
	free_ids(ids, 5);
	free(dir);
}
END_TEST

static void assert_default_branch(mc_repo *repo, const char *want)
{
	char *name = NULL;
	int rc = mc_repo_default_branch(&name, repo);
	ck_assert_msg(rc == 0, "default branch: %s", mc_error_message());
	ck_assert_str_eq(name, want);
	free(name);
}

START_TEST(default_branch_prefers_origin_head_then_main_then_master)
{
	char *dir = mc_test_tmpdir(), *name = (char *)1, *c1, *c2;
	mc_repo *repo;
	mc_range r;

	mc_test_git_init(dir, "trunk");
	mc_test_write(dir, "a", "a\n");
	c1 = mc_test_commit(dir, "c1");
	repo = open_repo(dir);
	ck_assert_int_eq(mc_repo_default_branch(&name, repo), MC_ENOTFOUND);
	ck_assert_ptr_null(name);
	ck_assert(strstr(mc_error_message(), "no default branch") != NULL);

	mc_test_git(dir, "branch", "master", NULL);
	assert_default_branch(repo, "master");
	mc_test_git(dir, "branch", "main", NULL);
	assert_default_branch(repo, "main");

	/* origin/HEAD wins, and its name resolves as a range's left side. */
	mc_test_git(dir, "update-ref", "refs/remotes/origin/develop", c1, NULL);
	mc_test_git(dir, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/develop",
		    NULL);
	assert_default_branch(repo, "origin/develop");
	mc_test_write(dir, "a", "b\n");
	c2 = mc_test_commit(dir, "c2");
	ck_assert_int_eq(mc_range_resolve(&r, repo, NULL, "origin/develop"), 0);
	ck_assert_str_eq(r.base, c1);
	ck_assert_str_eq(r.head, c2);
	ck_assert_str_eq(r.spec, "origin/develop..HEAD");
	mc_range_free(&r);

	/* A dangling origin/HEAD (its branch was pruned) falls back to the local names. */
	mc_test_git(dir, "update-ref", "-d", "refs/remotes/origin/develop", NULL);
	assert_default_branch(repo, "main");

	mc_repo_free(repo);
	mc_test_rmtree(dir);
	free(c1);
	free(c2);
	free(dir);
}
END_TEST

START_TEST(a_range_of_only_a_merge_of_contained_work)
{
	/*
	 * main: c1 - c2. topic is a merge commit on top of main whose second parent (c1)
	 * main already contains: the range has one commit, a merge, and changes no file.
	 * It resolves (it is a real pushed commit and may carry trailers); the diff is empty.
	 */
	char *dir = mc_test_tmpdir(), *c1, *c2, *merge, *tree;
	mc_commit_info *commits = NULL;
	mc_file_change *files = (mc_file_change *)1;
	size_t n = 0;
	mc_repo *repo;
	mc_range r;

	mc_test_git_init(dir, "main");
	mc_test_write(dir, "a", "a\n");
	c1 = mc_test_commit(dir, "c1");
	mc_test_write(dir, "a", "a\nb\n");
	c2 = mc_test_commit(dir, "c2");
	tree = mc_test_git_out(dir, "rev-parse", "HEAD^{tree}", NULL);
	merge = mc_test_git_out(dir, "commit-tree", tree, "-p", c2, "-p", c1, "-m",
				"Merge branch 'old'\n\nMaestro-Value: 10", NULL);
	mc_test_git(dir, "branch", "topic", merge, NULL);
	repo = open_repo(dir);
	ck_assert_int_eq(mc_range_resolve(&r, repo, "main..topic", NULL), 0);
	ck_assert_str_eq(r.base, c2);
	ck_assert_str_eq(r.head, merge);
	ck_assert_int_eq(mc_range_commits(&commits, &n, repo, &r), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(commits[0].oid, merge);
	ck_assert_uint_eq(commits[0].parent_count, 2);
	ck_assert_uint_eq(commits[0].ntrailers, 1);
	ck_assert_int_eq(mc_diff_files(&files, &n, repo, r.base, r.head, NULL), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(files);
	mc_commit_info_free(commits, 1);
	mc_range_free(&r);
	mc_repo_free(repo);
	mc_test_rmtree(dir);
	free(c1);
	free(c2);
	free(tree);
	free(merge);
	free(dir);
}
END_TEST

START_TEST(criss_cross_merges_list_only_the_new_commit)
{
	/*
	 * a1 and b1 fork from c1. main merges b1 into a1 (m1); topic merges them again
	 * the other way round (m2). m1 and m2 have two merge bases (a1, b1); whichever
	 * is the diff base, the commits of main..topic are m2 alone, as in git log.
	 */
	char *dir = mc_test_tmpdir(), *c1, *a1, *b1, *m2, *tree;
	mc_commit_info *commits = NULL;
	size_t n = 0;
	mc_repo *repo;
	mc_range r;

	mc_test_git_init(dir, "main");
	mc_test_write(dir, "base", "x\n");
	c1 = mc_test_commit(dir, "c1");
	mc_test_git(dir, "checkout", "-q", "-b", "b", NULL);
	mc_test_write(dir, "b", "b\n");
	b1 = mc_test_commit(dir, "b1");
	mc_test_git(dir, "checkout", "-q", "main", NULL);
	mc_test_write(dir, "a", "a\n");
	a1 = mc_test_commit(dir, "a1");
	mc_test_git(dir, "merge", "-q", "--no-ff", "-m", "m1", "b", NULL);
	tree = mc_test_git_out(dir, "rev-parse", "HEAD^{tree}", NULL);
	m2 = mc_test_git_out(dir, "commit-tree", tree, "-p", b1, "-p", a1, "-m", "m2", NULL);
	mc_test_git(dir, "branch", "topic", m2, NULL);
	repo = open_repo(dir);
	ck_assert_int_eq(mc_range_resolve(&r, repo, "main..topic", NULL), 0);
	ck_assert(!strcmp(r.base, a1) || !strcmp(r.base, b1));
	ck_assert_int_eq(mc_range_commits(&commits, &n, repo, &r), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(commits[0].oid, m2);
	mc_commit_info_free(commits, n);
	mc_range_free(&r);
	mc_repo_free(repo);
	mc_test_rmtree(dir);
	free(c1);
	free(a1);
	free(b1);
	free(m2);
	free(tree);
	free(dir);
}
END_TEST

START_TEST(unborn_head_is_empty)
{
	char *dir = mc_test_tmpdir(), *name = NULL, *c1, *c2;
	mc_commit_info *ci = NULL;
	mc_repo *repo;
	mc_range r;

	mc_test_git_init(dir, "main");
	repo = open_repo(dir);
	ck_assert_int_eq(mc_range_resolve(&r, repo, NULL, "main"), MC_EEMPTY);
	ck_assert(strstr(mc_error_message(), "unborn") != NULL);
	ck_assert_int_eq(mc_range_resolve(&r, repo, "main", NULL), MC_EEMPTY);
	ck_assert_int_eq(mc_range_resolve(&r, repo, "HEAD~1..HEAD", NULL), MC_EEMPTY);
	ck_assert_int_eq(mc_range_commit(&ci, repo, "HEAD"), MC_EEMPTY);
	ck_assert_int_eq(mc_repo_default_branch(&name, repo), MC_ENOTFOUND);

	/* An orphan branch's unborn HEAD does not stop a range that does not use HEAD. */
	mc_test_write(dir, "a", "1\n");
	c1 = mc_test_commit(dir, "c1");
	mc_test_write(dir, "a", "2\n");
	c2 = mc_test_commit(dir, "c2");
	mc_test_git(dir, "checkout", "-q", "--orphan", "fresh", NULL);
	ck_assert_int_eq(mc_range_resolve(&r, repo, "main", NULL), MC_EEMPTY);
	ck_assert_int_eq(mc_range_resolve(&r, repo, "main~1..main", NULL), 0);
	ck_assert_str_eq(r.base, c1);
	ck_assert_str_eq(r.head, c2);
	mc_range_free(&r);
	mc_repo_free(repo);
	mc_test_rmtree(dir);
	free(c1);
	free(c2);
	free(dir);
}
END_TEST

static const char *trailer(const mc_commit_info *ci, const char *key)
{
	size_t i;
	for (i = 0; i < ci->ntrailers; i++)
		if (!strcmp(ci->trailer_keys[i], key))
			return ci->trailer_values[i];
	return NULL;
}

START_TEST(commit_messages_and_trailers_are_parsed)
{
	char *dir = mc_test_tmpdir(), *c1, *c2, *c3;
	mc_commit_info *ci = NULL;
	mc_repo *repo;

	mc_test_git_init(dir, "main");
	mc_test_write(dir, "a", "1\n");
	mc_test_git(dir, "add", "-A", NULL);
	mc_test_git(dir, "commit", "-q", "--author=Ann Example <ann@example.com>",
		    "--date=@1700000000 +0200", "-m",
		    "Parse the frobnicator\nacross two lines\n\nThe body says Fixes: #1 in prose,\n"
		    "which is not a trailer.\n\nFixes: #42\nMaestro-Value: $1,200\n"
		    "Maestro-Note: first line\n  continued here\nSigned-off-by: Ann <ann@example.com>",
		    NULL);
	c1 = mc_test_git_out(dir, "rev-parse", "HEAD", NULL);
	c2 = mc_test_commit(dir, "No trailers here\n\nJust a body: with a colon.");
	c3 = mc_test_commit(dir, "Fixes: #7");
	repo = open_repo(dir);

	ck_assert_int_eq(mc_range_commit(&ci, repo, c1), 0);
	ck_assert_str_eq(ci->oid, c1);
	ck_assert_str_eq(ci->author_name, "Ann Example");
	ck_assert_str_eq(ci->author_email, "ann@example.com");
	ck_assert_int_eq(ci->author_time, 1700000000);
	ck_assert_uint_eq(ci->parent_count, 0);
	ck_assert_str_eq(ci->summary, "Parse the frobnicator across two lines");
	ck_assert(strstr(ci->message, "which is not a trailer.") != NULL);
	ck_assert_uint_eq(ci->ntrailers, 4);
	ck_assert_str_eq(trailer(ci, "Fixes"), "#42");
	ck_assert_str_eq(trailer(ci, "Maestro-Value"), "$1,200");
	ck_assert_str_eq(trailer(ci, "Maestro-Note"), "first line\n  continued here");
	ck_assert_str_eq(trailer(ci, "Signed-off-by"), "Ann <ann@example.com>");
	mc_commit_info_free(ci, 1);

	ck_assert_int_eq(mc_range_commit(&ci, repo, c2), 0);
	ck_assert_uint_eq(ci->ntrailers, 0);
	ck_assert_ptr_null(ci->trailer_keys);
	ck_assert_uint_eq(ci->parent_count, 1);
	mc_commit_info_free(ci, 1);

	/* A one-paragraph message is all subject: no trailers. */
	ck_assert_int_eq(mc_range_commit(&ci, repo, c3), 0);
	ck_assert_uint_eq(ci->ntrailers, 0);
	ck_assert_str_eq(ci->summary, "Fixes: #7");
	mc_commit_info_free(ci, 1);

	mc_repo_free(repo);
	mc_test_rmtree(dir);
	free(c1);
	free(c2);
	free(c3);
	free(dir);
}
END_TEST

START_TEST(reading_a_file_at_a_commit_is_bounded)
{
	char *dir = mc_test_tmpdir(), *c1, *c2, *blob, *data = NULL;
	char blob_id[41];
	size_t len = 99;
	mc_repo *repo;

	mc_test_git_init(dir, "main");
	mc_test_write(dir, "conf/maestro.json", "{\"v\": 1}\n");
	c1 = mc_test_commit(dir, "c1");
	mc_test_write(dir, "conf/maestro.json", "{\"v\": 22}\n");
	c2 = mc_test_commit(dir, "c2");
	blob = mc_test_git_out(dir, "rev-parse", "HEAD:conf/maestro.json", NULL);
	repo = open_repo(dir);

	ck_assert_int_eq(mc_repo_read_file_at(&data, &len, blob_id, repo, c2, "conf/maestro.json",
					      1024), 0);
	ck_assert_str_eq(data, "{\"v\": 22}\n");
	ck_assert_uint_eq(len, 10);
	ck_assert_str_eq(blob_id, blob);
	free(data);
	ck_assert_int_eq(mc_repo_read_file_at(&data, &len, NULL, repo, c1, "conf/maestro.json",
					      9), 0);
	ck_assert_str_eq(data, "{\"v\": 1}\n");
	free(data);
	ck_assert_int_eq(mc_repo_read_file_at(&data, &len, NULL, repo, "HEAD", "conf/maestro.json",
					      10), 0);
	free(data);

	ck_assert_int_eq(mc_repo_read_file_at(&data, &len, NULL, repo, c2, "conf/maestro.json",
					      9), MC_ELIMIT);
	ck_assert_ptr_null(data);
	ck_assert_uint_eq(len, 0);
	ck_assert(strstr(mc_error_message(), "more than the limit of 9") != NULL);
	ck_assert_int_eq(mc_repo_read_file_at(&data, &len, NULL, repo, c2, "conf/missing.json",
					      1024), MC_ENOTFOUND);
	ck_assert(strstr(mc_error_message(), "conf/missing.json") != NULL);
	ck_assert_int_eq(mc_repo_read_file_at(&data, &len, NULL, repo, c2, "conf", 1024),
			 MC_ENOTFOUND);
	ck_assert_int_eq(mc_repo_read_file_at(&data, &len, NULL, repo, "nope", "conf/maestro.json",
					      1024), MC_EINVAL);
	ck_assert_str_eq(mc_error_message(), "unknown revision 'nope'");
	ck_assert_ptr_null(data);

	mc_repo_free(repo);
	mc_test_rmtree(dir);
	free(c1);
	free(c2);
	free(blob);
	free(dir);
}
END_TEST

START_TEST(bare_repositories_work_without_a_work_tree)
{
	char *dir = mc_test_tmpdir(), *src = join(dir, "src"), *bare = join(dir, "bare.git");
	char *c1, *c2, *want, *data = NULL;
	size_t len;
	mc_repo *repo;
	mc_range r;

	ck_assert_int_eq(mkdir(src, 0755), 0);
	mc_test_git_init(src, "main");
	mc_test_write(src, "a", "1\n");
	c1 = mc_test_commit(src, "c1");
	mc_test_write(src, "a", "2\n");
	c2 = mc_test_commit(src, "c2");
	mc_test_git(dir, "clone", "-q", "--bare", src, bare, NULL);
	repo = open_repo(bare);
	want = canonical_dir(bare);
	ck_assert_ptr_null(mc_repo_workdir(repo));
	ck_assert_str_eq(mc_repo_gitdir(repo), want);
	ck_assert_str_eq(mc_repo_commondir(repo), want);
	ck_assert_int_eq(mc_range_resolve(&r, repo, "main~1", NULL), 0);
	ck_assert_str_eq(r.base, c1);
	ck_assert_str_eq(r.head, c2);
	mc_range_free(&r);
	ck_assert_int_eq(mc_range_resolve(&r, repo, NULL, "main"), MC_EEMPTY);
	ck_assert_int_eq(mc_repo_read_file_at(&data, &len, NULL, repo, c1, "a", 10), 0);
	ck_assert_str_eq(data, "1\n");
	/* A bare clone has no origin/HEAD but keeps the local main. */
	assert_default_branch(repo, "main");
	mc_repo_free(repo);
	mc_test_rmtree(dir);
	free(data);
	free(want);
	free(c1);
	free(c2);
	free(src);
	free(bare);
	free(dir);
}
END_TEST

START_TEST(linked_worktrees_share_the_common_dir)
{
	char *dir = mc_test_tmpdir(), *main_dir = join(dir, "main"), *wt = join(dir, "wt");
	char *dotgit = join(main_dir, ".git"), *private_dir = join(dotgit, "worktrees/wt");
	char *want_common, *want, *c1, *c2;
	mc_commit_info *commits = NULL;
	size_t n;
	mc_repo *repo;
	mc_range r;

	ck_assert_int_eq(mkdir(main_dir, 0755), 0);
	mc_test_git_init(main_dir, "main");
	mc_test_write(main_dir, "a", "1\n");
	c1 = mc_test_commit(main_dir, "c1");
	mc_test_git(main_dir, "worktree", "add", "-q", "-b", "topic", wt, NULL);
	mc_test_write(wt, "b", "2\n");
	c2 = mc_test_commit(wt, "c2 in the worktree");

	repo = open_repo(wt);
	want = canonical_dir(wt);
	ck_assert_str_eq(mc_repo_workdir(repo), want);
	free(want);
	want = canonical_dir(private_dir);
	ck_assert_str_eq(mc_repo_gitdir(repo), want);
	free(want);
	want_common = canonical_dir(dotgit);
	ck_assert_str_eq(mc_repo_commondir(repo), want_common);
	ck_assert_int_eq(mc_range_resolve(&r, repo, NULL, "main"), 0);
	ck_assert_str_eq(r.base, c1);
	ck_assert_str_eq(r.head, c2);
	ck_assert_int_eq(mc_range_commits(&commits, &n, repo, &r), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(commits[0].summary, "c2 in the worktree");
	mc_commit_info_free(commits, n);
	mc_range_free(&r);
	mc_repo_free(repo);

	/* The main work tree's gitdir is the common dir itself. */
	repo = open_repo(main_dir);
	ck_assert_str_eq(mc_repo_gitdir(repo), want_common);
	ck_assert_str_eq(mc_repo_commondir(repo), want_common);
	mc_repo_free(repo);

	mc_test_rmtree(dir);
	free(want_common);
	free(c1);
	free(c2);
	free(main_dir);
	free(wt);
	free(dotgit);
	free(private_dir);
	free(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("git_range");
	TCase *repo = tcase_create("repo");
	TCase *range = tcase_create("range");

	tcase_add_test(repo, open_outside_a_repository_is_an_environment_error);
	tcase_add_test(repo, open_searches_upwards_from_a_subdirectory);
	tcase_add_test(repo, default_branch_prefers_origin_head_then_main_then_master);
	tcase_add_test(repo, reading_a_file_at_a_commit_is_bounded);
	tcase_add_test(repo, bare_repositories_work_without_a_work_tree);
	tcase_add_test(repo, linked_worktrees_share_the_common_dir);
	tcase_add_test(range, unknown_revisions_are_named);
	tcase_add_test(range, ranges_without_commits_are_empty);
	tcase_add_test(range, range_forms_resolve_to_the_merge_base);
	tcase_add_test(range, an_empty_left_side_means_head);
	tcase_add_test(range, a_range_of_only_a_merge_of_contained_work);
	tcase_add_test(range, criss_cross_merges_list_only_the_new_commit);
	tcase_add_test(range, unborn_head_is_empty);
	tcase_add_test(range, commit_messages_and_trailers_are_parsed);
	suite_add_tcase(s, repo);
	suite_add_tcase(s, range);
	return mc_test_run(s);
}
