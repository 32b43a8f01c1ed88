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

#include "adapters/forge/forge.h"
#include "adapters/store/db.h"
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

/* Run git argv in dir with stdout going to out_fd (or /dev/null when -1). */
static void run_git(const char *dir, const char *const *argv, int out_fd)
{
	int status;
	pid_t pid = fork();
	if (pid == 0) {
		if (chdir(dir) != 0)
			_exit(127);
		setenv("GIT_AUTHOR_NAME", "Test Author", 0);
		setenv("GIT_AUTHOR_EMAIL", "author@example.com", 0);
		setenv("GIT_COMMITTER_NAME", "Test Committer", 0);
		setenv("GIT_COMMITTER_EMAIL", "committer@example.com", 0);
		if (out_fd >= 0) {
			if (dup2(out_fd, STDOUT_FILENO) < 0)
				_exit(127);
		} else if (!freopen("/dev/null", "w", stdout)) {
			_exit(127);
		}
		execvp("git", (char *const *)argv);
		_exit(127);
	}
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "git %s failed in %s",
		      argv[1], dir);
}

/* Collect the NULL-terminated variadic arguments after dir into argv (argv[0] = "git"). */
#define COLLECT_GIT_ARGV(argv, dir)                                                   \
	do {                                                                          \
		va_list ap_;                                                          \
		int n_ = 0;                                                           \
		(argv)[n_++] = "git";                                                 \
		va_start(ap_, dir);                                                   \
		while (n_ < 63 && ((argv)[n_] = va_arg(ap_, const char *)) != NULL) \
			n_++;                                                         \
		va_end(ap_);                                                          \
		(argv)[n_] = NULL;                                                    \
	} while (0)

void mc_test_git(const char *dir, ...)
{
	const char *argv[64];
	COLLECT_GIT_ARGV(argv, dir);
	run_git(dir, argv, -1);
}

char *mc_test_git_out(const char *dir, ...)
{
	const char *argv[64];
	char *buf = NULL;
	size_t len = 0, got;
	FILE *tmp = tmpfile();

	ck_assert_msg(tmp != NULL, "tmpfile: %s", strerror(errno));
	COLLECT_GIT_ARGV(argv, dir);
	run_git(dir, argv, fileno(tmp));
	rewind(tmp);
	for (;;) {
		char chunk[4096];
		got = fread(chunk, 1, sizeof chunk, tmp);
		if (!got)
			break;
		buf = realloc(buf, len + got + 1);
		ck_assert(buf != NULL);
		memcpy(buf + len, chunk, got);
		len += got;
	}
	fclose(tmp);
	if (!buf)
		buf = calloc(1, 1);
	ck_assert(buf != NULL);
	buf[len] = '\0';
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	return buf;
}

void mc_test_git_init(const char *dir, const char *branch)
{
	mc_test_git(dir, "init", "-q", "-b", branch, ".", NULL);
	mc_test_git(dir, "config", "user.name", "Test User", NULL);
	mc_test_git(dir, "config", "user.email", "test@example.com", NULL);
	mc_test_git(dir, "config", "commit.gpgsign", "false", NULL);
	mc_test_git(dir, "config", "core.autocrlf", "false", NULL);
}

char *mc_test_commit(const char *dir, const char *message)
{
	mc_test_git(dir, "add", "-A", NULL);
	mc_test_git(dir, "commit", "-q", "--allow-empty", "--no-verify", "-m", message, NULL);
	return mc_test_git_out(dir, "rev-parse", "HEAD", NULL);
}

void mc_test_write_bytes(const char *dir, const char *rel, const void *data, size_t len)
{
	char *path, *slash;
	if (asprintf(&path, "%s/%s", dir, rel) < 0)
		abort();
	slash = strrchr(path, '/');
	*slash = '\0';
	ck_assert_int_eq(mc_fs_mkdirs(path, 0755), 0);
	*slash = '/';
	ck_assert_int_eq(mc_fs_write_file(path, data, len, 0644), 0);
	free(path);
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

void mc_test_local_pr_setup(mc_test_local_pr *f, int with_state)
{
	mc_forge_options opt = {.kind = MC_FORGE_LOCAL};
	mc_forge_pr *prs = NULL;
	size_t n = 0;
	char *db;

	memset(f, 0, sizeof *f);
	f->root = mc_test_tmpdir();
	if (asprintf(&f->repo, "%s/repo", f->root) < 0 || asprintf(&f->files, "%s/forge", f->root) < 0 ||
	    asprintf(&db, "%s/state.db", f->root) < 0)
		abort();
	ck_assert_int_eq(mc_fs_mkdirs(f->repo, 0700), 0);
	mc_test_git_init(f->repo, "main");
	mc_test_write(f->repo, "src/a.c", "int a;\n");
	free(mc_test_commit(f->repo, "Initial"));
	mc_test_git(f->repo, "checkout", "-q", "-b", "feature", NULL);
	mc_test_write(f->repo, "src/b.c", "int b;\n");
	free(mc_test_commit(f->repo, "Add b"));
	mc_test_git(f->repo, "checkout", "-q", "main", NULL);
	opt.local_dir = f->files;
	ck_assert_int_eq(mc_forge_open(&f->forge, &opt), 0);
	ck_assert_int_eq(mc_forge_list_open_prs(f->forge, f->repo, NULL, &prs, &n, NULL), 0);
	ck_assert_uint_eq(n, 1);
	f->number = prs[0].number;
	mc_forge_pr_list_free(prs, n);
	if (with_state)
		ck_assert_int_eq(mc_store_open(&f->state, db), 0);
	free(db);
}

void mc_test_local_pr_teardown(mc_test_local_pr *f)
{
	mc_store_close(f->state);
	mc_forge_close(f->forge);
	mc_test_rmtree(f->root);
	free(f->root);
	free(f->repo);
	free(f->files);
}
