/*
 * Unit tests for the changed-files adapter (adapters/git/diff) against real
 * repositories: statuses, line counts, LT, binary files, awkward paths, large
 * changes, modes, symlinks and submodule gitlinks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adapters/git/diff.h"
#include "adapters/git/repo.h"
#include "testutil.h"
#include "util/error.h"

typedef struct diff_fixture {
	char *dir;
	mc_repo *repo;
	mc_file_change *files;
	size_t n;
} diff_fixture;

static void fixture_init(diff_fixture *f)
{
	memset(f, 0, sizeof *f);
	f->dir = mc_test_tmpdir();
	mc_test_git_init(f->dir, "main");
}

static void fixture_open(diff_fixture *f)
{
	int rc = mc_repo_open(&f->repo, f->dir);
	ck_assert_msg(rc == 0, "%s", mc_error_message());
}

/* Diff base..head into f->files, failing the test on error. */
static void diff(diff_fixture *f, const char *base, const char *head)
{
	int rc;
	mc_file_changes_free(f->files, f->n);
	if (!f->repo)
		fixture_open(f);
	rc = mc_diff_files(&f->files, &f->n, f->repo, base, head, NULL);
	ck_assert_msg(rc == 0, "diff %s..%s: %s", base, head, mc_error_message());
}

static const mc_file_change *find(const diff_fixture *f, const char *path)
{
	size_t i;
	for (i = 0; i < f->n; i++)
		if (!strcmp(f->files[i].path, path))
			return &f->files[i];
	ck_abort_msg("no change for path '%s' among %zu", path, f->n);
	return NULL;
}

static void assert_change(const mc_file_change *fc, char status, unsigned long added,
			  unsigned long deleted, unsigned long lt)
{
	ck_assert_msg(fc->status == status, "%s: status %c, expected %c", fc->path, fc->status,
		      status);
	ck_assert_msg(fc->added == added && fc->deleted == deleted && fc->lt == lt,
		      "%s: +%lu -%lu lt %lu, expected +%lu -%lu lt %lu", fc->path, fc->added,
		      fc->deleted, fc->lt, added, deleted, lt);
}

static void fixture_free(diff_fixture *f)
{
	mc_file_changes_free(f->files, f->n);
	mc_repo_free(f->repo);
	mc_test_rmtree(f->dir);
	free(f->dir);
}

static char *path_in(const char *dir, const char *rel)
{
	char *p;
	ck_assert_int_ge(asprintf(&p, "%s/%s", dir, rel), 0);
	return p;
}

static void remove_file(const char *dir, const char *rel)
{
	char *p = path_in(dir, rel);
	ck_assert_int_eq(unlink(p), 0);
	free(p);
}

START_TEST(statuses_and_line_counts)
{
	diff_fixture f;
	char *base, *head;
	const mc_file_change *fc;

	fixture_init(&f);
	mc_test_write(f.dir, "keep.txt", "k1\nk2\nk3\n");
	mc_test_write(f.dir, "mod.txt", "1\n2\n3\n4\n5\n");
	mc_test_write(f.dir, "del.txt", "gone\ngone too\n");
	mc_test_write(f.dir, "ren.txt", "alpha\nbeta\ngamma\ndelta\nepsilon\nzeta\neta\ntheta\n"
					"iota\nkappa\n");
	base = mc_test_commit(f.dir, "base");
	mc_test_write(f.dir, "mod.txt", "1\ntwo\n3\n4\n5\n6\n");
	remove_file(f.dir, "del.txt");
	remove_file(f.dir, "ren.txt");
	mc_test_write(f.dir, "moved/renamed.txt", "alpha\nbeta\ngamma\ndelta\nepsilon\nzeta\neta\n"
						  "theta\niota\nKAPPA\n");
	mc_test_write(f.dir, "new.txt", "a\nb\nc\nd\n");
	head = mc_test_commit(f.dir, "head");

	diff(&f, base, head);
	ck_assert_uint_eq(f.n, 4);
	fc = find(&f, "new.txt");
	assert_change(fc, 'A', 4, 0, 0);
	ck_assert_str_eq(fc->old_path, "new.txt");
	ck_assert_int_eq(fc->binary, 0);
	fc = find(&f, "mod.txt");
	assert_change(fc, 'M', 2, 1, 5);
	ck_assert_str_eq(fc->old_path, "mod.txt");
	fc = find(&f, "del.txt");
	assert_change(fc, 'D', 0, 2, 2);
	ck_assert_str_eq(fc->old_path, "del.txt");
	fc = find(&f, "moved/renamed.txt");
	assert_change(fc, 'R', 1, 1, 10);
	ck_assert_str_eq(fc->old_path, "ren.txt");

	/* Revisions work as well as ids, and the reverse diff mirrors the statuses. */
	diff(&f, "HEAD", "HEAD~1");
	ck_assert_uint_eq(f.n, 4);
	assert_change(find(&f, "new.txt"), 'D', 0, 4, 4);
	assert_change(find(&f, "del.txt"), 'A', 2, 0, 0);
	ck_assert_str_eq(find(&f, "ren.txt")->old_path, "moved/renamed.txt");

	diff(&f, head, head);
	ck_assert_uint_eq(f.n, 0);
	free(base);
	free(head);
	fixture_free(&f);
}
END_TEST

START_TEST(unknown_revisions_fail)
{
	diff_fixture f;
	fixture_init(&f);
	mc_test_write(f.dir, "a", "a\n");
	free(mc_test_commit(f.dir, "c1"));
	fixture_open(&f);
	ck_assert_int_eq(mc_diff_files(&f.files, &f.n, f.repo, "nope", "HEAD", NULL), MC_EINVAL);
	ck_assert_str_eq(mc_error_message(), "unknown revision 'nope'");
	ck_assert_ptr_null(f.files);
	ck_assert_uint_eq(f.n, 0);
	fixture_free(&f);
}
END_TEST

START_TEST(lt_counts_lines_at_base)
{
	diff_fixture f;
	char *base, *head;

	fixture_init(&f);
	mc_test_write(f.dir, "no-final-newline", "a\nb\nc");
	mc_test_write(f.dir, "empty", "");
	mc_test_write(f.dir, "blank-lines", "\n\n\n");
	base = mc_test_commit(f.dir, "base");
	mc_test_write(f.dir, "no-final-newline", "a\nb\nc\n");
	mc_test_write(f.dir, "empty", "now\n");
	mc_test_write(f.dir, "blank-lines", "\n\n");
	head = mc_test_commit(f.dir, "head");
	diff(&f, base, head);
	ck_assert_uint_eq(f.n, 3);
	assert_change(find(&f, "no-final-newline"), 'M', 1, 1, 3);
	assert_change(find(&f, "empty"), 'M', 1, 0, 0);
	assert_change(find(&f, "blank-lines"), 'M', 0, 1, 3);
	free(base);
	free(head);
	fixture_free(&f);
}
END_TEST

START_TEST(binary_files_have_no_line_counts)
{
	static const char png1[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\n\n\n";
	static const char png2[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\n\n\n\n\n\0";
	diff_fixture f;
	char *c1, *c2, *c3;
	const mc_file_change *fc;

	fixture_init(&f);
	mc_test_write(f.dir, "text", "t\n");
	c1 = mc_test_commit(f.dir, "c1");
	mc_test_write_bytes(f.dir, "img.png", png1, sizeof png1 - 1);
	c2 = mc_test_commit(f.dir, "add binary");
	mc_test_write_bytes(f.dir, "img.png", png2, sizeof png2 - 1);
	c3 = mc_test_commit(f.dir, "modify binary");

	diff(&f, c1, c2);
	ck_assert_uint_eq(f.n, 1);
	fc = find(&f, "img.png");
	assert_change(fc, 'A', 0, 0, 0);
	ck_assert_int_eq(fc->binary, 1);
	diff(&f, c2, c3);
	fc = find(&f, "img.png");
	assert_change(fc, 'M', 0, 0, 0);
	ck_assert_int_eq(fc->binary, 1);
	free(c1);
	free(c2);
	free(c3);
	fixture_free(&f);
}
END_TEST

START_TEST(awkward_paths_survive_byte_for_byte)
{
	static const char *const paths[] = {
		"dir with space/file name.txt",
		"say \"hi\" 'there'.txt",
		"new\nline.txt",
		"tab\there",
		"back\\slash",
		"\xff\xfe-latin1-caf\xe9.txt",
		"\xe2\x98\x83 snow.txt",
	};
	const size_t npaths = sizeof paths / sizeof paths[0];
	diff_fixture f;
	char *c1, *c2, *c3;
	size_t i;

	fixture_init(&f);
	mc_test_write(f.dir, "README", "r\n");
	c1 = mc_test_commit(f.dir, "c1");
	for (i = 0; i < npaths; i++)
		mc_test_write(f.dir, paths[i], "one\ntwo\n");
	c2 = mc_test_commit(f.dir, "awkward names");
	for (i = 0; i < npaths; i++)
		mc_test_write(f.dir, paths[i], "one\nTWO\nthree\n");
	c3 = mc_test_commit(f.dir, "edit them");

	diff(&f, c1, c2);
	ck_assert_uint_eq(f.n, npaths);
	for (i = 0; i < npaths; i++) {
		const mc_file_change *fc = find(&f, paths[i]);
		assert_change(fc, 'A', 2, 0, 0);
		ck_assert_mem_eq(fc->old_path, paths[i], strlen(paths[i]) + 1);
	}
	diff(&f, c2, c3);
	ck_assert_uint_eq(f.n, npaths);
	for (i = 0; i < npaths; i++)
		assert_change(find(&f, paths[i]), 'M', 2, 1, 2);
	free(c1);
	free(c2);
	free(c3);
	fixture_free(&f);
}
END_TEST

#define MANY_FILES 10000

START_TEST(ten_thousand_files_and_the_file_limit)
{
	diff_fixture f;
	mc_diff_options opts = { 0 };
	char *base, *head, name[32];
	size_t i;

	fixture_init(&f);
	mc_test_write(f.dir, "README", "r\n");
	base = mc_test_commit(f.dir, "base");
	for (i = 0; i < MANY_FILES; i++) {
		snprintf(name, sizeof name, "d%02zu/f%05zu.txt", i % 100, i);
		mc_test_write(f.dir, name, name);
	}
	head = mc_test_commit(f.dir, "ten thousand files");

	diff(&f, base, head);
	ck_assert_uint_eq(f.n, MANY_FILES);
	for (i = 0; i < f.n; i++)
		ck_assert(f.files[i].status == 'A' && f.files[i].added == 1);
	assert_change(find(&f, "d07/f09907.txt"), 'A', 1, 0, 0);
	mc_file_changes_free(f.files, f.n);
	f.files = NULL;
	f.n = 0;

	opts.max_files = 500;
	ck_assert_int_eq(mc_diff_files(&f.files, &f.n, f.repo, base, head, &opts), MC_ELIMIT);
	ck_assert_str_eq(mc_error_message(),
			 "the change touches 10000 files, more than the limit of 500");
	ck_assert_ptr_null(f.files);
	opts.max_files = MANY_FILES;
	ck_assert_int_eq(mc_diff_files(&f.files, &f.n, f.repo, base, head, &opts), 0);
	ck_assert_uint_eq(f.n, MANY_FILES);
	free(base);
	free(head);
	fixture_free(&f);
}
END_TEST

START_TEST(the_file_limit_counts_a_rename_once)
{
	diff_fixture f;
	mc_diff_options opts = { .max_files = 1 };
	char *base, *head;

	fixture_init(&f);
	mc_test_write(f.dir, "old-name.txt", "1\n2\n3\n4\n5\n6\n");
	base = mc_test_commit(f.dir, "base");
	mc_test_git(f.dir, "mv", "old-name.txt", "new-name.txt", NULL);
	head = mc_test_commit(f.dir, "rename");
	fixture_open(&f);
	ck_assert_int_eq(mc_diff_files(&f.files, &f.n, f.repo, base, head, &opts), 0);
	ck_assert_uint_eq(f.n, 1);
	assert_change(find(&f, "new-name.txt"), 'R', 0, 0, 6);
	mc_test_write(f.dir, "other.txt", "x\n");
	free(head);
	head = mc_test_commit(f.dir, "and another file");
	mc_file_changes_free(f.files, f.n);
	f.files = NULL;
	ck_assert_int_eq(mc_diff_files(&f.files, &f.n, f.repo, base, head, &opts), MC_ELIMIT);
	ck_assert(strstr(mc_error_message(), "more than the limit of 1") != NULL);
	free(base);
	free(head);
	fixture_free(&f);
}
END_TEST

START_TEST(mode_only_change)
{
	diff_fixture f;
	char *base, *head;

	fixture_init(&f);
	mc_test_write(f.dir, "run.sh", "#!/bin/sh\necho hi\n");
	base = mc_test_commit(f.dir, "script");
	mc_test_git(f.dir, "update-index", "--chmod=+x", "run.sh", NULL);
	mc_test_git(f.dir, "commit", "-q", "-m", "make it executable", NULL);
	head = mc_test_git_out(f.dir, "rev-parse", "HEAD", NULL);
	diff(&f, base, head);
	ck_assert_uint_eq(f.n, 1);
	assert_change(find(&f, "run.sh"), 'M', 0, 0, 2);
	ck_assert_int_eq(f.files[0].binary, 0);
	free(base);
	free(head);
	fixture_free(&f);
}
END_TEST

static void make_symlink(const char *dir, const char *target, const char *rel)
{
	char *p = path_in(dir, rel);
	unlink(p);
	ck_assert_int_eq(symlink(target, p), 0);
	free(p);
}

START_TEST(symlinks_count_their_target_as_one_line)
{
	diff_fixture f;
	char *c1, *c2, *c3, *c4, *c5;

	fixture_init(&f);
	mc_test_write(f.dir, "target.txt", "t\n");
	c1 = mc_test_commit(f.dir, "c1");
	make_symlink(f.dir, "target.txt", "link");
	c2 = mc_test_commit(f.dir, "add a symlink");
	make_symlink(f.dir, "elsewhere.txt", "link");
	c3 = mc_test_commit(f.dir, "retarget it");
	remove_file(f.dir, "link");
	mc_test_write(f.dir, "link", "now\na\nfile\n");
	c4 = mc_test_commit(f.dir, "symlink becomes a file");
	remove_file(f.dir, "link");
	make_symlink(f.dir, "target.txt", "link");
	c5 = mc_test_commit(f.dir, "file becomes a symlink");

	diff(&f, c1, c2);
	ck_assert_uint_eq(f.n, 1);
	assert_change(find(&f, "link"), 'A', 1, 0, 0);
	diff(&f, c2, c3);
	ck_assert_uint_eq(f.n, 1);
	assert_change(find(&f, "link"), 'M', 1, 1, 1);
	/* A type change is one modified path, not a deletion and an addition of the same path. */
	diff(&f, c3, c4);
	ck_assert_uint_eq(f.n, 1);
	assert_change(find(&f, "link"), 'M', 3, 1, 1);
	diff(&f, c4, c5);
	ck_assert_uint_eq(f.n, 1);
	assert_change(find(&f, "link"), 'M', 1, 3, 3);
	free(c1);
	free(c2);
	free(c3);
	free(c4);
	free(c5);
	fixture_free(&f);
}
END_TEST

START_TEST(submodule_gitlinks_count_like_git_numstat)
{
	/* A gitlink is a commit id, not a file: like `git diff --numstat`, it counts as
	 * one line ("Subproject commit <id>") per side, and it has no lines at base. */
	diff_fixture f;
	char *c1, *c2, *c3, *c4, *sub1, *sub2, *info;

	fixture_init(&f);
	mc_test_write(f.dir, "a", "a\n");
	c1 = mc_test_commit(f.dir, "c1");
	sub1 = mc_test_git_out(f.dir, "rev-parse", "HEAD", NULL);
	mc_test_write(f.dir, "a", "b\n");
	sub2 = mc_test_commit(f.dir, "some other commit");
	ck_assert_int_ge(asprintf(&info, "160000,%s,vendor/lib", sub1), 0);
	mc_test_git(f.dir, "update-index", "--add", "--cacheinfo", info, NULL);
	mc_test_git(f.dir, "commit", "-q", "-m", "add a gitlink", NULL);
	c2 = mc_test_git_out(f.dir, "rev-parse", "HEAD", NULL);
	free(info);
	ck_assert_int_ge(asprintf(&info, "160000,%s,vendor/lib", sub2), 0);
	mc_test_git(f.dir, "update-index", "--cacheinfo", info, NULL);
	mc_test_git(f.dir, "commit", "-q", "-m", "bump it", NULL);
	c3 = mc_test_git_out(f.dir, "rev-parse", "HEAD", NULL);
	mc_test_git(f.dir, "update-index", "--force-remove", "vendor/lib", NULL);
	mc_test_git(f.dir, "commit", "-q", "-m", "drop it", NULL);
	c4 = mc_test_git_out(f.dir, "rev-parse", "HEAD", NULL);

	diff(&f, sub2, c2);
	ck_assert_uint_eq(f.n, 1);
	assert_change(find(&f, "vendor/lib"), 'A', 1, 0, 0);
	ck_assert_int_eq(f.files[0].binary, 0);
	diff(&f, c2, c3);
	ck_assert_uint_eq(f.n, 1);
	assert_change(find(&f, "vendor/lib"), 'M', 1, 1, 0);
	diff(&f, c3, c4);
	ck_assert_uint_eq(f.n, 1);
	assert_change(find(&f, "vendor/lib"), 'D', 0, 1, 0);
	free(c1);
	free(c2);
	free(c3);
	free(c4);
	free(sub1);
	free(sub2);
	free(info);
	fixture_free(&f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("git_diff");
	TCase *tc = tcase_create("diff");
	tcase_add_test(tc, statuses_and_line_counts);
	tcase_add_test(tc, unknown_revisions_fail);
	tcase_add_test(tc, lt_counts_lines_at_base);
	tcase_add_test(tc, binary_files_have_no_line_counts);
	tcase_add_test(tc, awkward_paths_survive_byte_for_byte);
	tcase_add_test(tc, ten_thousand_files_and_the_file_limit);
	tcase_add_test(tc, the_file_limit_counts_a_rename_once);
	tcase_add_test(tc, mode_only_change);
	tcase_add_test(tc, symlinks_count_their_target_as_one_line);
	tcase_add_test(tc, submodule_gitlinks_count_like_git_numstat);
	suite_add_tcase(s, tc);
	return mc_test_run(s);
}
