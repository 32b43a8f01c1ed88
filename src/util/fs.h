/*
 * Small file helpers with explicit size limits: every file maestro reads may
 * come from outside, so reads are bounded and errors name the path.
 */
#ifndef MC_UTIL_FS_H
#define MC_UTIL_FS_H
#include <stddef.h>

/* Read the whole file into a NUL-terminated buffer (free() it). Fails with
 * MC_ELIMIT when it is larger than max bytes, MC_ENOTFOUND when absent. */
int mc_fs_read_file(char **out, size_t *len, const char *path, size_t max);
/* Write data to path atomically (temporary file + rename) with the given mode. */
int mc_fs_write_file(const char *path, const void *data, size_t len, unsigned mode);
/* mkdir -p with mode for created directories. */
int mc_fs_mkdirs(const char *path, unsigned mode);
int mc_fs_exists(const char *path);

#endif
