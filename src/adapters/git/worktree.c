/* Temporary checkouts of a commit (worktree.h). */
#include "adapters/git/worktree.h"

#include <errno.h>
#include <ftw.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/error.h"
#include "util/strbuf.h"

#define MAX_LABEL 32

static int valid_label(const char *label)
{
	size_t i;
	if (!label[0] || strlen(label) > MAX_LABEL)
		return 0;
	for (i = 0; label[i]; i++)
		if (!(label[i] == '-' || label[i] == '_' || (label[i] >= 'a' && label[i] <= 'z') ||
		      (label[i] >= 'A' && label[i] <= 'Z') || (label[i] >= '0' && label[i] <= '9')))
			return 0;
	return 1;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	/* FTW_DEPTH: children first; FTW_PHYS: a symlink is removed, never followed. */
	if (type == FTW_DP)
		return rmdir(path);
	return unlink(path);
}

static int remove_tree(const char *path)
{
	if (nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) && errno != ENOENT)
		return mc_error_set(MC_EIO, "removing %s: %s", path, strerror(errno));
	return 0;
}

/* Write the tree into dir. No index, HEAD or object of the repository changes: the
 * checkout goes to target_directory against an empty in-memory baseline index, so
 * every file of the tree is written whatever HEAD holds. */
static int checkout_into(mc_repo *repo, const git_oid *commit, const char *dir)
{
	git_checkout_options opts;
	git_repository *git = mc_repo_git(repo);
	git_commit *c = NULL;
	git_index *empty = NULL;
	int rc = 0;

	if (git_checkout_options_init(&opts, GIT_CHECKOUT_OPTIONS_VERSION) ||
	    git_commit_lookup(&c, git, commit) || git_index_new(&empty)) {
		rc = mc_repo_fail(MC_EGIT, "preparing the checkout");
		goto out;
	}
	opts.checkout_strategy = GIT_CHECKOUT_FORCE | GIT_CHECKOUT_DONT_UPDATE_INDEX;
	opts.target_directory = dir;
	opts.baseline_index = empty;
	if (git_checkout_tree(git, (const git_object *)c, &opts))
		rc = mc_repo_fail(MC_EGIT, "checking out the commit");
out:
	git_index_free(empty);
	git_commit_free(c);
	return rc;
}

int mc_worktree_checkout(mc_worktree *out, mc_repo *repo, const char *rev, const char *parent,
			 const char *label)
{
	mc_strbuf path = MC_STRBUF_INIT;
	git_oid commit;
	int rc;

	memset(out, 0, sizeof *out);
	if (!valid_label(label))
		return mc_error_set(MC_EINVAL, "worktree label '%s': use at most %d of [A-Za-z0-9_-]",
				    label, MAX_LABEL);
	if ((rc = mc_repo_resolve_commit(&commit, repo, rev)))
		return rc;
	if (!parent)
		parent = getenv("TMPDIR");
	if (!parent || !parent[0])
		parent = "/tmp";
	mc_strbuf_printf(&path, "%s/maestro-%s-XXXXXX", parent, label);
	if (!mkdtemp(path.buf)) {
		rc = mc_error_set(MC_EIO, "creating %s: %s", path.buf, strerror(errno));
		mc_strbuf_release(&path);
		return rc;
	}
	if ((rc = checkout_into(repo, &commit, path.buf))) {
		rc = mc_error_wrap(rc, "%s into %s", rev, path.buf);
		remove_tree(path.buf);
		mc_strbuf_release(&path);
		return rc;
	}
	out->path = mc_strbuf_detach(&path);
	git_oid_tostr(out->oid, sizeof out->oid, &commit);
	return 0;
}

int mc_worktree_remove(mc_worktree *wt)
{
	int rc = 0;
	if (!wt->path)
		return 0;
	rc = remove_tree(wt->path);
	free(wt->path);
	wt->path = NULL;
	return rc;
}
