/*
 * Changed files between two commits (diff.h). One tree-to-tree diff with rename
 * detection, then one patch per file for the line counts: libgit2 computes a
 * patch only for the file asked, so a 10,000-file change stays linear.
 */
#include "adapters/git/diff.h"

#include <git2.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/error.h"

static char status_letter(git_delta_t status)
{
	switch (status) {
	case GIT_DELTA_ADDED:
		return 'A';
	case GIT_DELTA_DELETED:
		return 'D';
	case GIT_DELTA_RENAMED:
		return 'R';
	default:
		return 'M'; /* modified, type changed (file ↔ symlink) */
	}
}

/* Lines in a blob: newline count, plus a last line without its newline. */
static unsigned long count_lines(const char *data, size_t size)
{
	unsigned long lines = 0;
	const char *p = data, *end = data + size, *nl;

	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		lines++;
		p = nl + 1;
	}
	return lines + (p < end ? 1 : 0);
}

/* Lines in one side's blob (0 when that side is absent or a gitlink); *binary is set
 * when the blob is binary, whose lines are not counted. */
static int blob_lines(unsigned long *out, int *binary, git_repository *git,
		      const git_diff_file *file)
{
	git_blob *blob = NULL;

	*out = 0;
	if (!(file->flags & GIT_DIFF_FLAG_EXISTS) || git_oid_is_zero(&file->id) ||
	    file->mode == GIT_FILEMODE_COMMIT)
		return 0;
	if (git_blob_lookup(&blob, git, &file->id) != 0)
		return mc_repo_fail(MC_EGIT, file->path);
	if (git_blob_is_binary(blob))
		*binary = 1;
	else
		*out = count_lines(git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
	git_blob_free(blob);
	return 0;
}

/* Line counts of a type change (file <-> symlink, file <-> gitlink): libgit2's patch for
 * it has no lines, but the whole old content went and the whole new content came. */
static int typechange_counts(mc_file_change *fc, git_repository *git, const git_diff_delta *d)
{
	int binary = 0, rc;

	if ((rc = blob_lines(&fc->deleted, &binary, git, &d->old_file)) != 0 ||
	    (rc = blob_lines(&fc->added, &binary, git, &d->new_file)) != 0)
		return rc;
	/* A gitlink side is one line, "Subproject commit <id>", as git counts it. */
	if (d->old_file.mode == GIT_FILEMODE_COMMIT)
		fc->deleted = 1;
	if (d->new_file.mode == GIT_FILEMODE_COMMIT)
		fc->added = 1;
	if (binary) {
		fc->binary = 1;
		fc->added = fc->deleted = 0;
	}
	return 0;
}

static int fill_change(mc_file_change *fc, git_repository *git, git_diff *diff, size_t idx)
{
	git_patch *patch = NULL;
	const git_diff_delta *delta;
	size_t context, added, deleted;
	int binary = 0, rc = 0;

	if (git_patch_from_diff(&patch, diff, idx) != 0)
		return mc_repo_fail(MC_EGIT, "computing a file's diff");
	delta = git_patch_get_delta(patch);
	fc->status = status_letter(delta->status);
	fc->path = mc_xstrdup(delta->status == GIT_DELTA_DELETED ? delta->old_file.path
								  : delta->new_file.path);
	fc->old_path = mc_xstrdup(delta->old_file.path);
	fc->binary = (delta->flags & GIT_DIFF_FLAG_BINARY) != 0;
	if (delta->status == GIT_DELTA_TYPECHANGE) {
		rc = typechange_counts(fc, git, delta);
	} else if (!fc->binary) {
		if (git_patch_line_stats(&context, &added, &deleted, patch) != 0) {
			rc = mc_repo_fail(MC_EGIT, "counting a file's changed lines");
		} else {
			fc->added = added;
			fc->deleted = deleted;
		}
	}
	/* LT: the file's lines at base (0 for binary files, as for added ones). */
	if (rc == 0 && !fc->binary)
		rc = blob_lines(&fc->lt, &binary, git, &delta->old_file);
	git_patch_free(patch);
	return rc;
}

/*
 * Before rename detection a renamed file is two deltas (deleted + added), so the
 * number of files is at least deltas - min(added, deleted): exact when nothing was
 * deleted or added. Over the limit by that bound, refuse without detecting renames.
 */
static int check_file_limit(git_diff *diff, size_t max)
{
	size_t i, n = git_diff_num_deltas(diff), added = 0, deleted = 0, at_least;

	if (n <= max)
		return 0;
	for (i = 0; i < n; i++) {
		git_delta_t status = git_diff_get_delta(diff, i)->status;
		added += status == GIT_DELTA_ADDED;
		deleted += status == GIT_DELTA_DELETED;
	}
	at_least = n - (added < deleted ? added : deleted);
	if (at_least <= max)
		return 0;
	return mc_error_set(MC_ELIMIT, "the change touches %s%zu files, more than the limit of %zu",
			    at_least < n ? "at least " : "", at_least, max);
}

int mc_diff_files(mc_file_change **out, size_t *n, mc_repo *repo, const char *base,
		  const char *head, const mc_diff_options *opts)
{
	git_repository *git = mc_repo_git(repo);
	git_diff_options dopts;
	git_diff_find_options fopts;
	size_t max = opts && opts->max_files ? opts->max_files : MC_DIFF_DEFAULT_MAX_FILES;
	git_tree *old_tree = NULL, *new_tree = NULL;
	git_diff *diff = NULL;
	mc_file_change *files = NULL;
	size_t i, count = 0;
	int rc;

	*out = NULL;
	*n = 0;
	git_diff_options_init(&dopts, GIT_DIFF_OPTIONS_VERSION);
	git_diff_find_options_init(&fopts, GIT_DIFF_FIND_OPTIONS_VERSION);
	if ((rc = mc_repo_commit_tree(&old_tree, repo, base)) != 0 ||
	    (rc = mc_repo_commit_tree(&new_tree, repo, head)) != 0)
		goto out;
	dopts.context_lines = 0; /* line counts need no context */
	/* A file that became a symlink (or back) is one modified path, not a deletion and
	 * an addition of the same path. */
	dopts.flags |= GIT_DIFF_INCLUDE_TYPECHANGE;
	if (git_diff_tree_to_tree(&diff, git, old_tree, new_tree, &dopts) != 0) {
		rc = mc_repo_fail(MC_EGIT, "diffing the range");
		goto out;
	}
	/* Checked before rename detection too, which is the costly step. */
	if ((rc = check_file_limit(diff, max)) != 0)
		goto out;
	fopts.flags = GIT_DIFF_FIND_RENAMES;
	if (git_diff_find_similar(diff, &fopts) != 0) {
		rc = mc_repo_fail(MC_EGIT, "detecting renames");
		goto out;
	}
	count = git_diff_num_deltas(diff);
	if (count > max) {
		rc = mc_error_set(MC_ELIMIT, "the change touches %zu files, more than the limit of %zu",
				  count, max);
		goto out;
	}
	files = count ? mc_xcalloc(count, sizeof *files) : NULL;
	for (i = 0; i < count; i++)
		if ((rc = fill_change(&files[i], git, diff, i)) != 0)
			goto out;
	*out = files;
	*n = count;
	files = NULL;
out:
	if (files)
		mc_file_changes_free(files, count);
	git_diff_free(diff);
	git_tree_free(old_tree);
	git_tree_free(new_tree);
	return rc;
}

void mc_file_changes_free(mc_file_change *files, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		free(files[i].path);
		free(files[i].old_path);
	}
	free(files);
}
