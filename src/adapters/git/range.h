/*
 * A change under review as git sees it: a range BASE..HEAD resolved to commit
 * ids the way a pull request shows it (the base is the merge base of the two
 * sides, so commits that landed on the target branch meanwhile are not part of
 * the change), and the commits inside it with their trailers.
 */
#ifndef MC_ADAPTERS_GIT_RANGE_H
#define MC_ADAPTERS_GIT_RANGE_H
#include <stddef.h>
#include <stdint.h>

#include "adapters/git/repo.h"

typedef struct mc_range {
	char base[41];       /* the diff base: merge-base(upstream, head) */
	char head[41];       /* the tip of the change */
	char merge_base[41]; /* the merge base (equal to base; kept for readers of the evidence) */
	char upstream[41];   /* the left side as given (the target branch's tip) */
	char *spec;          /* the range as given, or "<default>..HEAD" when none was */
} mc_range;

/*
 * Resolve spec: NULL → merge-base(default_branch, HEAD)..HEAD; "A..B" and "A...B" →
 * merge-base(A, B)..B (an empty side means HEAD, as in git); "R" → R..HEAD.
 * Unknown revision → MC_EINVAL "unknown revision 'x'"; a side using an unborn HEAD → MC_EEMPTY;
 * no commits in the range → MC_EEMPTY "range a..b has no commits". Free with mc_range_free.
 */
int mc_range_resolve(mc_range *out, mc_repo *repo, const char *spec, const char *default_branch);
void mc_range_free(mc_range *range);

typedef struct mc_commit_info {
	char oid[41];
	char *author_name;
	char *author_email;
	int64_t author_time;      /* unix seconds */
	int64_t committer_time;
	unsigned parent_count;
	char *summary;            /* first paragraph, on one line */
	char *message;            /* the full message */
	char **trailer_keys;      /* parsed with git_message_trailers */
	char **trailer_values;
	size_t ntrailers;
} mc_commit_info;

/* One commit (a 40-hex id or revision); free with mc_commit_info_free(out, 1). */
int mc_range_commit(mc_commit_info **out, mc_repo *repo, const char *rev);

/* The commits in the range (reachable from head, not from upstream or base), children
 * before parents and otherwise newest first. A range may consist of a merge commit only
 * (a merge of work the target already has): it resolves, lists that one merge
 * (parent_count 2), and its diff has no files. */
int mc_range_commits(mc_commit_info **out, size_t *n, mc_repo *repo, const mc_range *range);
void mc_commit_info_free(mc_commit_info *commits, size_t n);

#endif
