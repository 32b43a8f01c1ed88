/*
 * What a change did to each file between two commits: status, rename source,
 * lines added and deleted, whether the file is binary, and how many lines the
 * file had before (Kamei's LT). Paths are raw bytes from git (any byte but NUL
 * and '/' separators), so spaces, quotes, newlines and non-UTF-8 survive.
 */
#ifndef MC_ADAPTERS_GIT_DIFF_H
#define MC_ADAPTERS_GIT_DIFF_H
#include <stddef.h>

#include "adapters/git/repo.h"

#define MC_DIFF_DEFAULT_MAX_FILES 100000

typedef struct mc_file_change {
	char *path;          /* the path at head (for a deletion, the path at base) */
	char *old_path;      /* the path at base; differs from path only for renames */
	char status;         /* 'A' added, 'M' modified (also mode-only and type changes such
				as file <-> symlink), 'D' deleted, 'R' renamed */
	unsigned long added;   /* lines added (0 for binary files) */
	unsigned long deleted; /* lines deleted (0 for binary files) */
	int binary;
	unsigned long lt;      /* lines in the file at base (0 when added or binary) */
} mc_file_change;

typedef struct mc_diff_options {
	size_t max_files;    /* more changed files than this → MC_ELIMIT; 0 means the default */
} mc_diff_options;

/*
 * The files changed from base to head (commit ids or revisions), renames detected.
 * A symlink counts its target as one line; a submodule gitlink counts one line per
 * side ("Subproject commit <id>", as git diff --numstat does) and has lt 0. More files
 * than max_files → MC_ELIMIT "the change touches N files, more than the limit of M".
 */
int mc_diff_files(mc_file_change **out, size_t *n, mc_repo *repo, const char *base,
		  const char *head, const mc_diff_options *opts);
void mc_file_changes_free(mc_file_change *files, size_t n);

#endif
