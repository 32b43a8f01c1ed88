/* Helpers shared by the Check unit tests: temporary directories and running git. */
#ifndef MC_TESTUTIL_H
#define MC_TESTUTIL_H
#include <check.h>

/* A fresh directory under $TMPDIR (removed by mc_test_rmtree). */
char *mc_test_tmpdir(void);
void mc_test_rmtree(const char *path);
/* Run git with the given argv (NULL-terminated) in dir; fails the test on error. */
void mc_test_git(const char *dir, ...) __attribute__((sentinel));
/* Write a file (creating parent directories) relative to dir. */
void mc_test_write(const char *dir, const char *rel, const char *content);
/* Path of the shared reference data directory (../shared/data), or NULL. */
const char *mc_test_shared_data(void);
/* Run a suite and return the process exit status (0 when all pass). */
int mc_test_run(Suite *s);

#endif
