/*
 * Which local branch a revision names, so a change reviewed as "main..feature"
 * (or as HEAD on feature) can be known by its branch rather than by a commit
 * id that moves with every push.
 */
#ifndef MC_ADAPTERS_GIT_BRANCH_H
#define MC_ADAPTERS_GIT_BRANCH_H

#include "adapters/git/repo.h"

/*
 * The short name of the local branch rev names: "HEAD" (or "@") on a branch gives
 * that branch; "feature" or "refs/heads/feature" gives "feature" when git resolves
 * the name to that branch (a tag of the same name wins, as in git). MC_ENOTFOUND
 * when rev is not a local branch (a commit id, a tag, "feature~1", a detached or
 * unborn HEAD, a remote-tracking branch). free() the result.
 */
int mc_repo_branch_name(char **out, mc_repo *repo, const char *rev);

#endif
