/*
 * Mining a repository's history for the change features: walk the commits
 * reachable from a tip, skipping everything reachable from commits the caller
 * already knows (the stop set: tips mined before), and hand each commit with
 * the paths it touched to a callback, so the caller can store as it goes.
 * Touched paths come from a tree-to-tree diff against the first parent without
 * generating patches; a root commit touches every file it adds.
 */
#ifndef MC_ADAPTERS_GIT_HISTORY_H
#define MC_ADAPTERS_GIT_HISTORY_H
#include <stddef.h>
#include <stdint.h>

#include "adapters/git/repo.h"

typedef struct mc_history_commit {
	char oid[41];
	const char *author_email;
	int64_t author_time;
	unsigned parent_count;
	int fix;                   /* mc_history_message_is_fix() of the message */
	const char *const *paths;  /* touched paths (renames appear as old and new path);
				    * none for a merge, whose work its own commits carry */
	size_t npaths;
} mc_history_commit;

/* Called once per commit; a non-zero return stops the walk and is returned by it. */
typedef int (*mc_history_fn)(void *ctx, const mc_history_commit *commit);

/*
 * Walk the history of tip (a 40-hex id or revision) in no particular order, except
 * commits reachable from any of stop[0..nstop) (stop ids absent from the repository
 * are ignored: the cache may outlive a rewritten branch). *walked counts the commits
 * handed to fn, including one whose non-zero return stopped the walk.
 */
int mc_history_walk(unsigned *walked, mc_repo *repo, const char *tip, const char *const *stop,
		    size_t nstop, mc_history_fn fn, void *ctx);

/*
 * Kamei's fix flag: the message contains one of the words fix/fixes/fixed/fixing,
 * bugfix, hotfix, bug/bugs, defect/defects or patch/patches/patched (whole words as in
 * a regex \b: letters, digits and '_' join words, so "fix_parser" and "fix2" are not
 * "fix"; any case). A "Fixes:" trailer is one of them by construction.
 */
int mc_history_message_is_fix(const char *message);

#endif
