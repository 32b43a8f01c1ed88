/* Resolving review ranges and listing their commits (range.h). */
#include "adapters/git/range.h"

#include <git2.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/error.h"
#include "util/strbuf.h"

/* Revisions longer than this are not something a person typed. */
#define MC_RANGE_SPEC_MAX 1024
/* Refuse ranges with more commits than any review can read. */
#define MC_RANGE_MAX_COMMITS 100000

/* Split "A..B" / "A...B" into its sides (empty sides mean HEAD); a lone "R" means R..HEAD. */
static void split_spec(char **left, char **right, const char *spec)
{
	const char *dots = strstr(spec, "..");
	if (!dots) {
		*left = mc_xstrdup(spec);
		*right = mc_xstrdup("HEAD");
		return;
	}
	*left = dots == spec ? mc_xstrdup("HEAD") : mc_xstrndup(spec, (size_t)(dots - spec));
	dots += dots[2] == '.' ? 3 : 2;
	*right = mc_xstrdup(*dots ? dots : "HEAD");
}

/*
 * The range's commits are those reachable from head and not from upstream (git's
 * "upstream..head"). Hiding only the merge base is not the same when there are several
 * merge bases (criss-cross merges): commits reachable from the other bases, which the
 * target already has, would be listed as part of the change.
 */
static int start_range_walk(git_revwalk **walk, git_repository *git, const git_oid *head,
			    const git_oid *base, const git_oid *upstream)
{
	*walk = NULL;
	if (git_revwalk_new(walk, git) != 0 ||
	    git_revwalk_sorting(*walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME) != 0 ||
	    git_revwalk_push(*walk, head) != 0 || git_revwalk_hide(*walk, base) != 0 ||
	    (upstream && git_revwalk_hide(*walk, upstream) != 0)) {
		git_revwalk_free(*walk);
		*walk = NULL;
		return mc_repo_fail_walk(git, "walking the range");
	}
	return 0;
}

static int count_commits(size_t *n, git_repository *git, const git_oid *head, const git_oid *base,
			 const git_oid *upstream)
{
	git_revwalk *walk = NULL;
	git_oid oid;
	int rc = 0;

	*n = 0;
	if ((rc = start_range_walk(&walk, git, head, base, upstream)) != 0)
		return rc;
	while ((rc = git_revwalk_next(&oid, walk)) == 0)
		(*n)++;
	git_revwalk_free(walk);
	return rc == GIT_ITEROVER ? 0 : mc_repo_fail_walk(git, "walking the range");
}

int mc_range_resolve(mc_range *out, mc_repo *repo, const char *spec, const char *default_branch)
{
	git_repository *git = mc_repo_git(repo);
	char *left = NULL, *right = NULL;
	git_oid upstream, head, base;
	size_t ncommits;
	int rc;

	memset(out, 0, sizeof *out);
	if (spec && (!*spec || strlen(spec) > MC_RANGE_SPEC_MAX || strchr(spec, '\n')))
		return mc_error_set(MC_EINVAL, "range: expected A..B, A...B or a revision, got %s",
				    *spec ? "an over-long or multi-line value" : "an empty string");
	if (spec) {
		split_spec(&left, &right, spec);
	} else {
		if (!default_branch || !*default_branch)
			return mc_error_set(MC_EINVAL, "range: no range given and no default branch");
		left = mc_xstrdup(default_branch);
		right = mc_xstrdup("HEAD");
	}
	/* The head side first: with an unborn HEAD the answer is "nothing yet" (MC_EEMPTY)
	 * even when the left side, typically the default branch, does not exist either. */
	if ((rc = mc_repo_resolve_commit(&head, repo, right)) != 0 ||
	    (rc = mc_repo_resolve_commit(&upstream, repo, left)) != 0)
		goto out;
	if ((rc = git_merge_base(&base, git, &upstream, &head)) != 0) {
		/* GIT_ENOTFOUND is the answer "none"; anything else is a failure to find out. */
		rc = rc == GIT_ENOTFOUND
			     ? mc_error_set(MC_EINVAL, "range %s..%s: the two sides have no common "
					    "history", left, right)
			     : mc_repo_fail_walk(git, "finding the merge base");
		goto out;
	}
	if ((rc = count_commits(&ncommits, git, &head, &base, &upstream)) != 0)
		goto out;
	if (ncommits == 0) {
		rc = mc_error_set(MC_EEMPTY, "range %s..%s has no commits", left, right);
		goto out;
	}
	git_oid_tostr(out->upstream, sizeof out->upstream, &upstream);
	git_oid_tostr(out->head, sizeof out->head, &head);
	git_oid_tostr(out->base, sizeof out->base, &base);
	memcpy(out->merge_base, out->base, sizeof out->base);
	if (spec) {
		out->spec = mc_xstrdup(spec);
	} else {
		mc_strbuf sb = MC_STRBUF_INIT;
		mc_strbuf_printf(&sb, "%s..HEAD", default_branch);
		out->spec = mc_strbuf_detach(&sb);
	}
out:
	free(left);
	free(right);
	return rc;
}

void mc_range_free(mc_range *range)
{
	free(range->spec);
	range->spec = NULL;
}

static void parse_trailers(mc_commit_info *ci)
{
	git_message_trailer_array arr = { 0 };
	size_t i;

	if (git_message_trailers(&arr, ci->message) != 0 || arr.count == 0) {
		git_message_trailer_array_free(&arr);
		return;
	}
	ci->trailer_keys = mc_xcalloc(arr.count, sizeof(char *));
	ci->trailer_values = mc_xcalloc(arr.count, sizeof(char *));
	for (i = 0; i < arr.count; i++) {
		ci->trailer_keys[i] = mc_xstrdup(arr.trailers[i].key);
		ci->trailer_values[i] = mc_xstrdup(arr.trailers[i].value);
	}
	ci->ntrailers = arr.count;
	git_message_trailer_array_free(&arr);
}

static void fill_commit_info(mc_commit_info *ci, const git_commit *c)
{
	const git_signature *author = git_commit_author(c);
	const char *summary = git_commit_summary((git_commit *)c);
	const char *message = git_commit_message(c);

	git_oid_tostr(ci->oid, sizeof ci->oid, git_commit_id(c));
	ci->author_name = mc_xstrdup(author->name ? author->name : "");
	ci->author_email = mc_xstrdup(author->email ? author->email : "");
	ci->author_time = (int64_t)author->when.time;
	ci->committer_time = (int64_t)git_commit_time(c);
	ci->parent_count = git_commit_parentcount(c);
	ci->summary = mc_xstrdup(summary ? summary : "");
	ci->message = mc_xstrdup(message ? message : "");
	parse_trailers(ci);
}

int mc_range_commit(mc_commit_info **out, mc_repo *repo, const char *rev)
{
	git_repository *git = mc_repo_git(repo);
	git_commit *c = NULL;
	git_oid oid;
	int rc;

	*out = NULL;
	if ((rc = mc_repo_resolve_commit(&oid, repo, rev)) != 0)
		return rc;
	if (git_commit_lookup(&c, git, &oid) != 0)
		return mc_repo_fail(MC_EGIT, "reading a commit");
	*out = mc_xcalloc(1, sizeof **out);
	fill_commit_info(*out, c);
	git_commit_free(c);
	return 0;
}

int mc_range_commits(mc_commit_info **out, size_t *n, mc_repo *repo, const mc_range *range)
{
	git_repository *git = mc_repo_git(repo);
	git_revwalk *walk = NULL;
	mc_commit_info *list = NULL;
	size_t count = 0, alloc = 0;
	git_oid head, base, upstream, oid;
	int has_upstream, rc;

	*out = NULL;
	*n = 0;
	if (git_oid_fromstr(&head, range->head) != 0 || git_oid_fromstr(&base, range->base) != 0)
		return mc_error_set(MC_EINVAL, "range: base and head must be 40-hex commit ids");
	has_upstream = range->upstream[0] && git_oid_fromstr(&upstream, range->upstream) == 0;
	if ((rc = start_range_walk(&walk, git, &head, &base, has_upstream ? &upstream : NULL)) != 0)
		goto out;
	while ((rc = git_revwalk_next(&oid, walk)) == 0) {
		git_commit *c = NULL;
		if (count == MC_RANGE_MAX_COMMITS) {
			rc = mc_error_set(MC_ELIMIT, "range %s has more than %d commits",
					  range->spec ? range->spec : "", MC_RANGE_MAX_COMMITS);
			goto out;
		}
		if (git_commit_lookup(&c, git, &oid) != 0) {
			rc = mc_repo_fail(MC_EGIT, "reading a commit of the range");
			goto out;
		}
		mc_xgrow((void **)&list, &alloc, count + 1, sizeof *list);
		memset(&list[count], 0, sizeof *list);
		fill_commit_info(&list[count++], c);
		git_commit_free(c);
	}
	if (rc != GIT_ITEROVER) {
		rc = mc_repo_fail_walk(git, "walking the range");
		goto out;
	}
	rc = 0;
	*out = list;
	*n = count;
	list = NULL;
out:
	git_revwalk_free(walk);
	if (list)
		mc_commit_info_free(list, count);
	return rc;
}

void mc_commit_info_free(mc_commit_info *commits, size_t n)
{
	size_t i, j;
	for (i = 0; i < n; i++) {
		mc_commit_info *ci = &commits[i];
		free(ci->author_name);
		free(ci->author_email);
		free(ci->summary);
		free(ci->message);
		for (j = 0; j < ci->ntrailers; j++) {
			free(ci->trailer_keys[j]);
			free(ci->trailer_values[j]);
		}
		free(ci->trailer_keys);
		free(ci->trailer_values);
	}
	free(commits);
}
