/*
 * History mining (history.h). libgit2's revwalk does the reachability work
 * (hiding the stop set) and each commit is diffed against its first parent's
 * tree with patches off and binary checks skipped, which only reads the
 * subtrees whose ids differ.
 */
#include "adapters/git/history.h"

#include <ctype.h>
#include <git2.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/error.h"

/* Word characters as in a regex \w (letters, digits, '_'), plus every non-ASCII byte so
 * that a UTF-8 letter does not end a word: "fix_parser", "fix2" and "fixé" are not "fix". */
static int is_word_byte(unsigned char c)
{
	return isalnum(c) || c == '_' || c >= 0x80;
}

int mc_history_message_is_fix(const char *message)
{
	static const char *const words[] = {
		"fix", "fixes", "fixed", "fixing", "bugfix", "bugfixes", "hotfix", "hotfixes",
		"bug", "bugs", "defect", "defects", "patch", "patches", "patched",
	};
	const unsigned char *p = (const unsigned char *)message;
	char word[16];

	while (*p) {
		size_t len = 0, i;
		int too_long = 0;
		while (*p && !is_word_byte(*p))
			p++;
		while (*p && is_word_byte(*p)) {
			if (len < sizeof word - 1)
				word[len++] = (char)tolower(*p);
			else
				too_long = 1;
			p++;
		}
		if (!len || too_long)
			continue;
		word[len] = '\0';
		for (i = 0; i < sizeof words / sizeof words[0]; i++)
			if (!strcmp(word, words[i]))
				return 1;
	}
	return 0;
}

typedef struct path_list {
	const char **items;
	size_t n, alloc;
} path_list;

static int touched_paths(path_list *out, git_repository *git, const git_commit *commit)
{
	git_diff_options opts;
	git_tree *tree = NULL, *parent_tree = NULL;
	git_commit *parent = NULL;
	git_diff *diff = NULL;
	size_t i, n;
	int rc = 0;

	git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
	/* Type changes (file <-> symlink) as one delta, so such a path is listed once. */
	opts.flags = GIT_DIFF_SKIP_BINARY_CHECK | GIT_DIFF_INCLUDE_TYPECHANGE;
	if (git_commit_tree(&tree, commit) != 0 ||
	    (git_commit_parentcount(commit) > 0 && (git_commit_parent(&parent, commit, 0) != 0 ||
						    git_commit_tree(&parent_tree, parent) != 0)) ||
	    git_diff_tree_to_tree(&diff, git, parent_tree, tree, &opts) != 0) {
		rc = mc_repo_fail_walk(git, "diffing a commit against its parent");
		goto out;
	}
	n = git_diff_num_deltas(diff);
	out->n = 0;
	for (i = 0; i < n; i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);
		mc_xgrow((void **)&out->items, &out->alloc, out->n + 1, sizeof *out->items);
		out->items[out->n++] = mc_xstrdup(d->status == GIT_DELTA_DELETED ? d->old_file.path
										 : d->new_file.path);
	}
out:
	git_diff_free(diff);
	git_tree_free(parent_tree);
	git_tree_free(tree);
	git_commit_free(parent);
	return rc;
}

static void release_paths(path_list *paths)
{
	size_t i;
	for (i = 0; i < paths->n; i++)
		free((char *)paths->items[i]);
	paths->n = 0;
}

static int visit(git_repository *git, const git_oid *oid, path_list *paths, mc_history_fn fn,
		 void *ctx, unsigned *walked)
{
	mc_history_commit hc;
	git_commit *commit = NULL;
	int rc;

	if (git_commit_lookup(&commit, git, oid) != 0)
		return mc_repo_fail(MC_EGIT, "reading a commit");
	if ((rc = touched_paths(paths, git, commit)) == 0) {
		const git_signature *author = git_commit_author(commit);
		memset(&hc, 0, sizeof hc);
		git_oid_tostr(hc.oid, sizeof hc.oid, oid);
		hc.author_email = author->email ? author->email : "";
		hc.author_time = (int64_t)author->when.time;
		hc.parent_count = git_commit_parentcount(commit);
		hc.fix = mc_history_message_is_fix(git_commit_message(commit));
		hc.paths = paths->items;
		hc.npaths = paths->n;
		(*walked)++;
		rc = fn(ctx, &hc);
	}
	release_paths(paths);
	git_commit_free(commit);
	return rc;
}

static int start_walk(git_revwalk **walk, mc_repo *repo, const char *tip,
		      const char *const *stop, size_t nstop)
{
	git_repository *git = mc_repo_git(repo);
	git_oid tip_oid;
	size_t i;
	int rc;

	if ((rc = mc_repo_resolve_commit(&tip_oid, repo, tip)) != 0)
		return rc;
	if (git_revwalk_new(walk, git) != 0 || git_revwalk_push(*walk, &tip_oid) != 0)
		return mc_repo_fail(MC_EGIT, "starting the history walk");
	for (i = 0; i < nstop; i++) {
		git_oid oid;
		git_object *known = NULL;
		if (git_oid_fromstr(&oid, stop[i]) != 0 ||
		    git_object_lookup(&known, git, &oid, GIT_OBJECT_COMMIT) != 0)
			continue;
		git_object_free(known);
		if (git_revwalk_hide(*walk, &oid) != 0)
			return mc_repo_fail(MC_EGIT, "starting the history walk");
	}
	return 0;
}

int mc_history_walk(unsigned *walked, mc_repo *repo, const char *tip, const char *const *stop,
		    size_t nstop, mc_history_fn fn, void *ctx)
{
	git_repository *git = mc_repo_git(repo);
	git_revwalk *walk = NULL;
	path_list paths = { 0 };
	git_oid oid;
	int rc;

	*walked = 0;
	if ((rc = start_walk(&walk, repo, tip, stop, nstop)) != 0)
		goto out;
	while ((rc = git_revwalk_next(&oid, walk)) == 0) {
		if ((rc = visit(git, &oid, &paths, fn, ctx, walked)) != 0)
			goto out;
	}
	rc = rc == GIT_ITEROVER ? 0 : mc_repo_fail_walk(git, "walking history");
out:
	free(paths.items);
	git_revwalk_free(walk);
	return rc;
}
