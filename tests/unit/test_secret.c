/* Unit tests for util/secret: owner-only files, trailing newlines, limits, no value in errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"
#include "util/error.h"
#include "util/secret.h"

static char *write_secret(const char *dir, const char *name, const char *content, mode_t mode)
{
	char *path = malloc(strlen(dir) + strlen(name) + 2);

	sprintf(path, "%s/%s", dir, name);
	mc_test_write(dir, name, content);
	ck_assert_int_eq(chmod(path, mode), 0);
	return path;
}

START_TEST(reads_owner_only_file_without_trailing_newlines)
{
	char *dir = mc_test_tmpdir(), *value = NULL;
	char *path = write_secret(dir, "s", "hunter2\r\n\n", 0600);
	size_t len = 0;

	ck_assert_int_eq(mc_secret_read_file(&value, &len, path), 0);
	ck_assert_str_eq(value, "hunter2");
	ck_assert_uint_eq(len, 7);
	mc_secret_free(value);
	free(path);
	mc_test_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(refuses_group_or_world_readable_without_leaking_the_value)
{
	char *dir = mc_test_tmpdir(), *value = NULL;
	char *path = write_secret(dir, "s", "hunter2\n", 0640);

	ck_assert_int_eq(mc_secret_read_file(&value, NULL, path), MC_EINVAL);
	ck_assert_ptr_null(value);
	ck_assert_ptr_nonnull(strstr(mc_error_message(), "chmod 600"));
	ck_assert_ptr_null(strstr(mc_error_message(), "hunter2"));
	ck_assert_int_eq(chmod(path, 0604), 0);
	ck_assert_int_eq(mc_secret_read_file(&value, NULL, path), MC_EINVAL);
	free(path);
	mc_test_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(refuses_missing_empty_directory_and_oversized)
{
	char *dir = mc_test_tmpdir(), *value = NULL, *big = malloc(MC_SECRET_MAX + 2);
	char *empty = write_secret(dir, "empty", "\n", 0600), missing[4096];

	ck_assert_int_eq(mc_secret_read_file(&value, NULL, empty), MC_EINVAL);
	snprintf(missing, sizeof missing, "%s/none", dir);
	ck_assert_int_eq(mc_secret_read_file(&value, NULL, missing), MC_ENOTFOUND);
	ck_assert_int_eq(chmod(dir, 0700), 0);
	ck_assert_int_eq(mc_secret_read_file(&value, NULL, dir), MC_EINVAL);
	memset(big, 'x', MC_SECRET_MAX + 1);
	big[MC_SECRET_MAX + 1] = '\0';
	char *large = write_secret(dir, "large", big, 0600);
	ck_assert_int_eq(mc_secret_read_file(&value, NULL, large), MC_ELIMIT);
	ck_assert_ptr_null(value);
	free(large);
	free(big);
	free(empty);
	mc_test_rmtree(dir);
	free(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("secret");
	TCase *tc = tcase_create("secret");

	tcase_add_test(tc, reads_owner_only_file_without_trailing_newlines);
	tcase_add_test(tc, refuses_group_or_world_readable_without_leaking_the_value);
	tcase_add_test(tc, refuses_missing_empty_directory_and_oversized);
	suite_add_tcase(s, tc);
	return mc_test_run(s);
}
