/*
 * A commit's tree checked out into a fresh temporary directory, for running
 * its code (the shadow canary builds and benchmarks base and head side by
 * side). It is a plain directory: no .git, no index, nothing registered in
 * the repository, so removing it leaves the repository as it was. libgit2
 * refuses tree entries that would escape the directory (.., .git, absolute
 * names); removal deletes only the directory this module created, never
 * following symbolic links out of it.
 */
#ifndef MC_ADAPTERS_GIT_WORKTREE_H
#define MC_ADAPTERS_GIT_WORKTREE_H

#include "adapters/git/repo.h"

typedef struct mc_worktree {
	char *path;     /* the directory, without a trailing '/'; NULL once removed */
	char oid[41];   /* the commit checked out */
} mc_worktree;

/*
 * Check out the tree of rev into a new directory "<parent>/maestro-<label>-XXXXXX"
 * (parent NULL: $TMPDIR, else /tmp; label: [A-Za-z0-9_-], at most 32 characters).
 * Errors: those of mc_repo_resolve_commit, MC_EINVAL for a bad label, MC_EIO when the
 * directory cannot be made, MC_EGIT when the checkout fails (the directory is removed).
 */
int mc_worktree_checkout(mc_worktree *out, mc_repo *repo, const char *rev, const char *parent,
			 const char *label);
/* Delete the directory and everything in it; safe to call twice. */
int mc_worktree_remove(mc_worktree *wt);

#endif
