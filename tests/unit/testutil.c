/* Test helpers (testutil.h). git runs through fork/exec with an argv vector. */
#include "testutil.h"

#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/fs.h"

char *mc_test_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *p;
	if (!base)
		base = "/tmp";
	if (asprintf(&p, "%s/mc-test-XXXXXX", base) < 0)
		abort();
	if (!mkdtemp(p))
		ck_abort_msg("mkdtemp: %s", strerror(errno));
	return p;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

void mc_test_rmtree(const char *path)
{
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void mc_test_git(const char *dir, ...)
{
	const char *argv[64];
	int n = 0, status;
	va_list ap;
	pid_t pid;

	argv[n++] = "git";
	va_start(ap, dir);
	while (n < 63 && (argv[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	argv[n] = NULL;
	pid = fork();
	if (pid == 0) {
		if (chdir(dir) != 0)
			_exit(127);
		setenv("GIT_AUTHOR_NAME", "Test Author", 0);
		setenv("GIT_AUTHOR_EMAIL", "author@example.com", 0);
		setenv("GIT_COMMITTER_NAME", "Test Committer", 0);
		setenv("GIT_COMMITTER_EMAIL", "committer@example.com", 0);
		if (!freopen("/dev/null", "w", stdout))
			_exit(127);
		execvp("git", (char *const *)argv);
		_exit(127);
	}
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "git %s failed in %s",
		      argv[1], dir);
}

void mc_test_write(const char *dir, const char *rel, const char *content)
{
	char *path, *slash;
	if (asprintf(&path, "%s/%s", dir, rel) < 0)
		abort();
	slash = strrchr(path, '/');
	*slash = '\0';
	ck_assert_int_eq(mc_fs_mkdirs(path, 0755), 0);
	*slash = '/';
	ck_assert_int_eq(mc_fs_write_file(path, content, strlen(content), 0644), 0);
	free(path);
}

const char *mc_test_shared_data(void)
{
	const char *p = getenv("MAESTRO_SHARED_DATA");
	return p && mc_fs_exists(p) ? p : NULL;
}

int mc_test_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
