/* Helpers shared by the Check unit tests: temporary directories and running git. */
#ifndef MC_TESTUTIL_H
#define MC_TESTUTIL_H
#include <check.h>
#include <stddef.h>

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
/* Run a suite and return the process exit status (0 when all pass). */
int mc_test_run(Suite *s);

#endif
