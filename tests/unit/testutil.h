/* Helpers shared by the Check unit tests: temporary directories, running git, and a
 * repository with one open pull request on the local forge. */
#ifndef MC_TESTUTIL_H
#define MC_TESTUTIL_H
#include <check.h>
#include <stddef.h>
#include <stdint.h>

struct mc_forge;
struct mc_store;

/* A fresh directory under $TMPDIR (removed by mc_test_rmtree). */
char *mc_test_tmpdir(void);
void mc_test_rmtree(const char *path);
/* Run git with the given argv (NULL-terminated) in dir; fails the test on error. */
void mc_test_git(const char *dir, ...) __attribute__((sentinel));
/* The same, returning git's stdout without trailing newlines (free() it). */
char *mc_test_git_out(const char *dir, ...) __attribute__((sentinel));
/* git init dir on branch, with this repository's own user.name/email and no signing. */
void mc_test_git_init(const char *dir, const char *branch);
/* git add -A and commit (empty commits allowed) with message; returns the new HEAD id. */
char *mc_test_commit(const char *dir, const char *message);
/* Write a file (creating parent directories) relative to dir. */
void mc_test_write(const char *dir, const char *rel, const char *content);
/* The same for arbitrary bytes. */
void mc_test_write_bytes(const char *dir, const char *rel, const void *data, size_t len);
/* Path of the shared reference data directory (../shared/data), or NULL. */
const char *mc_test_shared_data(void);
/* A repository (repo: main with src/a.c, branch feature adding src/b.c) whose one open
 * pull request (number) is on a local forge keeping its files in files; with_state, a
 * daemon state store (root/state.db) too. Everything lives under root. */
typedef struct mc_test_local_pr {
	char *root, *repo, *files;
	struct mc_forge *forge;
	int64_t number;
	struct mc_store *state; /* NULL unless asked for */
} mc_test_local_pr;
void mc_test_local_pr_setup(mc_test_local_pr *f, int with_state);
void mc_test_local_pr_teardown(mc_test_local_pr *f);

/* Run a suite and return the process exit status (0 when all pass). */
int mc_test_run(Suite *s);

#endif
