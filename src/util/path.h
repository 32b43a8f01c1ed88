/*
 * Repository-relative paths as the change features see them: a file's
 * directory and its subsystem (the top-level directory). One definition for
 * the facts stage and the history cache, so "subsystem" means the same thing
 * when a change is measured and when history is counted.
 */
#ifndef MC_UTIL_PATH_H
#define MC_UTIL_PATH_H
#include <stddef.h>

/* The subsystem of a path written for a file at the root (it has no directory). */
#define MC_PATH_ROOT "."

/* Length of path's top-level directory ("src" of "src/a/b.c"); 0 for a root file. */
size_t mc_path_subsystem_len(const char *path);
/* Length of path's directory ("src/a" of "src/a/b.c"); 0 for a root file. */
size_t mc_path_dir_len(const char *path);

#endif
