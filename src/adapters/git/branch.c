/* Branch names of revisions (branch.h), through libgit2's own name resolution. */
#include "adapters/git/branch.h"

#include <git2.h>
#include <string.h>

#include "util/alloc.h"
#include "util/error.h"

static int not_a_branch(const char *rev)
{
	return mc_error_set(MC_ENOTFOUND, "'%s' is not a local branch", rev);
}

int mc_repo_branch_name(char **out, mc_repo *repo, const char *rev)
{
	git_repository *git = mc_repo_git(repo);
	git_reference *ref = NULL;
	int rc;

	*out = NULL;
	if (!strcmp(rev, "HEAD") || !strcmp(rev, "@")) {
		rc = git_repository_head(&ref, git);
		if (rc == GIT_EUNBORNBRANCH || rc == GIT_ENOTFOUND)
			return not_a_branch(rev);
		if (rc < 0)
			return mc_repo_fail(MC_EGIT, "reading HEAD");
	} else if (git_reference_dwim(&ref, git, rev) < 0) {
		git_error_clear();
		return not_a_branch(rev);
	}
	if (!git_reference_is_branch(ref)) {
		git_reference_free(ref);
		return not_a_branch(rev);
	}
	*out = mc_xstrdup(git_reference_shorthand(ref));
	git_reference_free(ref);
	return 0;
}
