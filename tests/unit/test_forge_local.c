/* Unit tests for the forge handle with the local driver: branches as PRs, stable
 * numbers, the sticky comment edited in place, statuses, reactions, argument checks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/forge/forge.h"
#include "testutil.h"
#include "util/error.h"
#include "util/fs.h"

#define MARKER "<!-- maestro:decision-card -->"

typedef struct fixture {
	char *root, *repo, *files;
	mc_forge *forge;
} fixture;

static void setup(fixture *f)
{
	mc_forge_options opt = {.kind = MC_FORGE_LOCAL};

	f->root = mc_test_tmpdir();
	if (asprintf(&f->repo, "%s/repo", f->root) < 0 || asprintf(&f->files, "%s/forge", f->root) < 0)
		abort();
	ck_assert_int_eq(mc_fs_mkdirs(f->repo, 0700), 0);
	mc_test_git_init(f->repo, "main");
	mc_test_write(f->repo, "a.txt", "a\n");
	free(mc_test_commit(f->repo, "Initial"));
	mc_test_git(f->repo, "checkout", "-q", "-b", "feature", NULL);
	mc_test_write(f->repo, "b.txt", "b\n");
	free(mc_test_commit(f->repo, "Add b"));
	mc_test_git(f->repo, "checkout", "-q", "-b", "other", "main", NULL);
	mc_test_write(f->repo, "c.txt", "c\n");
	free(mc_test_commit(f->repo, "Add c"));
	mc_test_git(f->repo, "checkout", "-q", "main", NULL);
	opt.local_dir = f->files;
	ck_assert_int_eq(mc_forge_open(&f->forge, &opt), 0);
}

static void teardown(fixture *f)
{
	mc_forge_close(f->forge);
	mc_test_rmtree(f->root);
	free(f->root);
	free(f->repo);
	free(f->files);
}

static const mc_forge_pr *find_pr(const mc_forge_pr *prs, size_t n, const char *branch)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(prs[i].head_ref, branch) == 0)
			return &prs[i];
	return NULL;
}

START_TEST(branches_are_open_prs_with_stable_numbers)
{
	fixture f;
	mc_forge_pr *prs = NULL, pr;
	size_t n = 0;
	int not_modified = -1;
	int64_t feature_number;

	setup(&f);
	ck_assert_int_eq(mc_forge_list_open_prs(f.forge, f.repo, NULL, &prs, &n, &not_modified), 0);
	ck_assert_int_eq(not_modified, 0);
	ck_assert_uint_eq(n, 2);
	const mc_forge_pr *feature = find_pr(prs, n, "feature");
	ck_assert_ptr_nonnull(feature);
	ck_assert_str_eq(feature->title, "Add b");
	ck_assert_str_eq(feature->base_ref, "main");
	ck_assert_str_eq(feature->state, "open");
	ck_assert_uint_eq(strlen(feature->head_sha), 40);
	feature_number = feature->number;
	ck_assert_int_ne(feature_number, find_pr(prs, n, "other")->number);
	mc_forge_pr_list_free(prs, n);

	/* Nothing moved: the listing is "not modified", like a 304. */
	ck_assert_int_eq(mc_forge_list_open_prs(f.forge, f.repo, NULL, &prs, &n, &not_modified), 0);
	ck_assert_int_eq(not_modified, 1);
	ck_assert_uint_eq(n, 0);

	/* A push changes the listing; the number stays. */
	mc_test_git(f.repo, "checkout", "-q", "feature", NULL);
	mc_test_write(f.repo, "b.txt", "b2\n");
	free(mc_test_commit(f.repo, "Change b"));
	ck_assert_int_eq(mc_forge_list_open_prs(f.forge, f.repo, NULL, &prs, &n, &not_modified), 0);
	ck_assert_int_eq(not_modified, 0);
	ck_assert_int_eq(find_pr(prs, n, "feature")->number, feature_number);
	mc_forge_pr_list_free(prs, n);

	ck_assert_int_eq(mc_forge_get_pr(f.forge, &pr, f.repo, feature_number), 0);
	ck_assert_str_eq(pr.title, "Change b");
	mc_forge_pr_clear(&pr);
	ck_assert_int_eq(mc_forge_get_pr(f.forge, &pr, f.repo, 999), MC_ENOTFOUND);
	teardown(&f);
}
END_TEST

START_TEST(merged_branch_is_not_listed)
{
	fixture f;
	mc_forge_pr *prs = NULL;
	size_t n = 0;

	setup(&f);
	mc_test_git(f.repo, "merge", "-q", "--ff-only", "feature", NULL);
	ck_assert_int_eq(mc_forge_list_open_prs(f.forge, f.repo, NULL, &prs, &n, NULL), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(prs[0].head_ref, "other");
	mc_forge_pr_list_free(prs, n);
	teardown(&f);
}
END_TEST

static int count_comment_files(const char *files)
{
	char cmd[8192];
	FILE *p;
	int count = 0;

	snprintf(cmd, sizeof cmd, "find '%s' -name 'comment-*.md' | wc -l", files);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(fscanf(p, "%d", &count), 1);
	pclose(p);
	return count;
}

START_TEST(sticky_comment_is_created_once_and_edited_only_on_change)
{
	fixture f;
	int changed = -1;
	int64_t id1 = 0, id2 = 0, reply = 0;

	setup(&f);
	ck_assert_int_eq(mc_forge_upsert_sticky_comment(f.forge, f.repo, 1, MARKER,
							MARKER "\ncard v1", &changed, &id1), 0);
	ck_assert_int_eq(changed, 1);
	ck_assert_int_gt(id1, 0);
	ck_assert_int_eq(mc_forge_upsert_sticky_comment(f.forge, f.repo, 1, MARKER,
							MARKER "\ncard v1", &changed, &id2), 0);
	ck_assert_int_eq(changed, 0);
	ck_assert_int_eq(id2, id1);
	ck_assert_int_eq(mc_forge_comment(f.forge, f.repo, 1, "a reply", &reply), 0);
	ck_assert_int_ne(reply, id1);
	ck_assert_int_eq(mc_forge_upsert_sticky_comment(f.forge, f.repo, 1, MARKER,
							MARKER "\ncard v2", &changed, &id2), 0);
	ck_assert_int_eq(changed, 1);
	ck_assert_int_eq(id2, id1);
	ck_assert_int_eq(count_comment_files(f.files), 2);
	/* Another PR gets its own sticky comment. */
	ck_assert_int_eq(mc_forge_upsert_sticky_comment(f.forge, f.repo, 2, MARKER,
							MARKER "\ncard", &changed, &id2), 0);
	ck_assert_int_ne(id2, id1);
	ck_assert_int_eq(mc_forge_react(f.forge, f.repo, reply, "+1"), 0);
	teardown(&f);
}
END_TEST

START_TEST(statuses_are_appended_and_checked)
{
	fixture f;
	char path[4096], *text = NULL, long_desc[400];
	const char *sha = "0123456789abcdef0123456789abcdef01234567";

	setup(&f);
	memset(long_desc, 'x', sizeof long_desc - 1);
	long_desc[sizeof long_desc - 1] = '\0';
	ck_assert_int_eq(mc_forge_set_status(f.forge, f.repo, sha, "maestro/decision", "success",
					     long_desc, NULL), 0);
	ck_assert_int_eq(mc_forge_set_status(f.forge, f.repo, sha, "maestro/decision", "done",
					     "x", NULL), MC_EINVAL);
	ck_assert_int_eq(mc_forge_set_status(f.forge, f.repo, "HEAD", "maestro/decision",
					     "success", "x", NULL), MC_EINVAL);
	snprintf(path, sizeof path,
		 "find '%s' -name statuses.jsonl -exec cat {} \\; > '%s/statuses.out'", f.files,
		 f.root);
	ck_assert_int_eq(system(path), 0);
	snprintf(path, sizeof path, "%s/statuses.out", f.root);
	ck_assert_int_eq(mc_fs_read_file(&text, NULL, path, 1 << 20), 0);
	ck_assert_ptr_nonnull(strstr(text, "\"state\":\"success\""));
	ck_assert_ptr_null(strstr(text, long_desc)); /* cut to 140 bytes */
	ck_assert_ptr_null(strstr(text, "done"));
	free(text);
	teardown(&f);
}
END_TEST

START_TEST(bad_calls_are_refused)
{
	fixture f;
	char *perm = NULL;
	mc_forge_kind kind;
	mc_forge *forge = NULL;
	mc_forge_options opt = {.kind = MC_FORGE_LOCAL};

	setup(&f);
	ck_assert_int_eq(mc_forge_upsert_sticky_comment(f.forge, f.repo, 1, MARKER, "no marker",
							NULL, NULL), MC_EINVAL);
	ck_assert_int_eq(mc_forge_comment(f.forge, f.repo, 0, "x", NULL), MC_EINVAL);
	ck_assert_int_eq(mc_forge_comment(f.forge, "", 1, "x", NULL), MC_EINVAL);
	ck_assert_int_eq(mc_forge_comment(f.forge, f.root, 1, "x", NULL), MC_EENV);
	ck_assert_int_eq(mc_forge_permission(f.forge, &perm, f.repo, "someone", 60), 0);
	ck_assert(mc_forge_permission_can_write(perm));
	free(perm);
	ck_assert(!mc_forge_permission_can_write("triage"));
	ck_assert_int_eq(mc_forge_kind_parse(&kind, "gitea"), 0);
	ck_assert_int_eq(kind, MC_FORGE_GITEA);
	ck_assert_int_eq(mc_forge_kind_parse(&kind, "gitlab"), MC_EINVAL);
	ck_assert_int_eq(mc_forge_open(&forge, &opt), MC_EINVAL); /* no directory */
	teardown(&f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("forge_local");
	TCase *tc = tcase_create("local");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, branches_are_open_prs_with_stable_numbers);
	tcase_add_test(tc, merged_branch_is_not_listed);
	tcase_add_test(tc, sticky_comment_is_created_once_and_edited_only_on_change);
	tcase_add_test(tc, statuses_are_appended_and_checked);
	tcase_add_test(tc, bad_calls_are_refused);
	suite_add_tcase(s, tc);
	return mc_test_run(s);
}
