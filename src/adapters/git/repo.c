/*
 * Opening repositories and reading blobs at commits (repo.h). libgit2 is
 * initialised once per process (pthread_once) and never shut down: its global
 * state is reference counted and other modules may hold repositories open.
 */
#include "adapters/git/repo.h"

#include <git2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/alloc.h"
#include "util/error.h"
#include "util/strbuf.h"

struct mc_repo {
	git_repository *git;
};

static pthread_once_t libgit2_once = PTHREAD_ONCE_INIT;

static void libgit2_init(void)
{
	git_libgit2_init();
}

int mc_repo_fail(int code, const char *what)
{
	const git_error *e = git_error_last();
	return mc_error_set(code, "%s: %s", what, e && e->message ? e->message : "libgit2 error");
}

/* A shallow clone lists its boundary commits in <commondir>/shallow. (Read directly:
 * git_repository_is_shallow leaks a buffer in libgit2 1.5.) */
static int is_shallow(git_repository *git)
{
	mc_strbuf path = MC_STRBUF_INIT;
	struct stat st;
	int shallow;

	mc_strbuf_printf(&path, "%sshallow", git_repository_commondir(git));
	shallow = stat(mc_strbuf_str(&path), &st) == 0 && st.st_size > 0;
	mc_strbuf_release(&path);
	return shallow;
}

int mc_repo_fail_walk(git_repository *git, const char *what)
{
	const git_error *e = git_error_last();
	char msg[512];

	/* Copied first: asking libgit2 anything else may replace its last error. */
	snprintf(msg, sizeof msg, "%s", e && e->message ? e->message : "libgit2 error");
	if (is_shallow(git))
		return mc_error_set(MC_EENV, "%s: %s; the repository is a shallow clone whose "
				    "history ends early (fetch the rest: git fetch --unshallow)",
				    what, msg);
	return mc_error_set(MC_EGIT, "%s: %s", what, msg);
}

int mc_repo_open(mc_repo **out, const char *path)
{
	git_repository *git = NULL;
	int rc;

	*out = NULL;
	pthread_once(&libgit2_once, libgit2_init);
	rc = git_repository_open_ext(&git, path, 0, NULL);
	if (rc == GIT_ENOTFOUND)
		return mc_error_set(MC_EENV, "not a git repository: %s", path);
	if (rc != 0)
		return mc_repo_fail(MC_EENV, path);
	*out = mc_xcalloc(1, sizeof **out);
	(*out)->git = git;
	return 0;
}

int mc_repo_open_bare(mc_repo **out, const char *path)
{
	git_repository *git = NULL;
	int rc;

	*out = NULL;
	pthread_once(&libgit2_once, libgit2_init);
	rc = git_repository_open_bare(&git, path);
	if (rc == GIT_ENOTFOUND)
		rc = git_repository_init(&git, path, 1);
	if (rc != 0)
		return mc_repo_fail(MC_EGIT, path);
	*out = mc_xcalloc(1, sizeof **out);
	(*out)->git = git;
	return 0;
}

void mc_repo_free(mc_repo *repo)
{
	if (!repo)
		return;
	git_repository_free(repo->git);
	free(repo);
}

const char *mc_repo_workdir(const mc_repo *repo)
{
	return git_repository_workdir(repo->git);
}

char *mc_repo_display_name(const mc_repo *repo)
{
	const char *dir = mc_repo_workdir(repo) ? mc_repo_workdir(repo) : mc_repo_commondir(repo);
	size_t end = strlen(dir), start;

	while (end > 1 && dir[end - 1] == '/')
		end--;
	for (start = end; start > 0 && dir[start - 1] != '/'; start--)
		;
	return mc_xstrndup(dir + start, end - start);
}

const char *mc_repo_gitdir(const mc_repo *repo)
{
	return git_repository_path(repo->git);
}

const char *mc_repo_commondir(const mc_repo *repo)
{
	return git_repository_commondir(repo->git);
}

git_repository *mc_repo_git(mc_repo *repo)
{
	return repo->git;
}

/* Whether rev starts from HEAD ("HEAD", "HEAD~2", "@", "@^"), which an unborn branch lacks. */
static int names_head(const char *rev)
{
	return !strncmp(rev, "HEAD", 4) || rev[0] == '@';
}

/* HEAD is only checked when rev uses it, so "main~1..main" works on an orphan branch. */
static int resolve_object(git_object **out, mc_repo *repo, const char *rev, git_object_t type)
{
	git_object *obj = NULL;
	int rc;

	if (git_revparse_single(&obj, repo->git, rev) != 0) {
		if (names_head(rev) && (rc = mc_repo_check_head(repo)) != 0)
			return rc;
		return mc_error_set(MC_EINVAL, "unknown revision '%s'", rev);
	}
	rc = git_object_peel(out, obj, type);
	git_object_free(obj);
	if (rc != 0)
		return mc_error_set(MC_EINVAL, "revision '%s' does not name a commit", rev);
	return 0;
}

int mc_repo_resolve_commit(git_oid *out, mc_repo *repo, const char *rev)
{
	git_object *commit = NULL;
	int rc = resolve_object(&commit, repo, rev, GIT_OBJECT_COMMIT);
	if (rc)
		return rc;
	git_oid_cpy(out, git_object_id(commit));
	git_object_free(commit);
	return 0;
}

int mc_repo_commit_tree(git_tree **out, mc_repo *repo, const char *rev)
{
	/* Peeling to a tree accepts a tree id too; only commits (or tags of them) are revisions here. */
	git_oid oid;
	git_commit *commit = NULL;
	int rc = mc_repo_resolve_commit(&oid, repo, rev);
	if (rc)
		return rc;
	if (git_commit_lookup(&commit, repo->git, &oid) != 0 || git_commit_tree(out, commit) != 0)
		rc = mc_repo_fail(MC_EGIT, "reading a commit's tree");
	git_commit_free(commit);
	return rc;
}

int mc_repo_list_files_at(char ***names, size_t *n, mc_repo *repo, const char *rev,
			  const char *dir)
{
	git_tree *tree = NULL, *sub = NULL;
	git_tree_entry *entry = NULL;
	size_t i, count;
	int rc;

	*names = NULL;
	*n = 0;
	if ((rc = mc_repo_commit_tree(&tree, repo, rev)) != 0)
		return rc;
	if (git_tree_entry_bypath(&entry, tree, dir) != 0 ||
	    git_tree_entry_type(entry) != GIT_OBJECT_TREE)
		goto out; /* no such directory: no files */
	if (git_tree_lookup(&sub, repo->git, git_tree_entry_id(entry)) != 0) {
		rc = mc_repo_fail(MC_EGIT, "reading a tree");
		goto out;
	}
	count = git_tree_entrycount(sub);
	*names = mc_xcalloc(count ? count : 1, sizeof **names);
	for (i = 0; i < count; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(sub, i);
		if (git_tree_entry_type(e) == GIT_OBJECT_BLOB)
			(*names)[(*n)++] = mc_xstrdup(git_tree_entry_name(e));
	}
out:
	git_tree_free(sub);
	git_tree_entry_free(entry);
	git_tree_free(tree);
	return rc;
}

void mc_repo_names_free(char **names, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int mc_repo_read_file_at(char **out, size_t *len, char blob_id[41], mc_repo *repo,
			 const char *commit_oid, const char *path, size_t max)
{
	git_tree *tree = NULL;
	git_tree_entry *entry = NULL;
	git_blob *blob = NULL;
	git_object_size_t size;
	int rc;

	*out = NULL;
	*len = 0;
	if ((rc = mc_repo_commit_tree(&tree, repo, commit_oid)) != 0)
		return rc;
	if (git_tree_entry_bypath(&entry, tree, path) != 0 ||
	    git_tree_entry_type(entry) != GIT_OBJECT_BLOB) {
		rc = mc_error_set(MC_ENOTFOUND, "%s: no such file at %s", path, commit_oid);
		goto out;
	}
	if (git_blob_lookup(&blob, repo->git, git_tree_entry_id(entry)) != 0) {
		rc = mc_repo_fail(MC_EGIT, path);
		goto out;
	}
	size = git_blob_rawsize(blob);
	if (size > max) {
		rc = mc_error_set(MC_ELIMIT, "%s at %s is %llu bytes, more than the limit of %zu",
				  path, commit_oid, (unsigned long long)size, max);
		goto out;
	}
	*out = mc_xmalloc((size_t)size + 1);
	memcpy(*out, git_blob_rawcontent(blob), (size_t)size);
	(*out)[size] = '\0';
	*len = (size_t)size;
	if (blob_id)
		git_oid_tostr(blob_id, 41, git_blob_id(blob));
out:
	git_blob_free(blob);
	git_tree_entry_free(entry);
	git_tree_free(tree);
	return rc;
}

static int local_branch_exists(git_repository *git, const char *name)
{
	git_reference *ref = NULL;
	int found = git_branch_lookup(&ref, git, name, GIT_BRANCH_LOCAL) == 0;
	git_reference_free(ref);
	return found;
}

int mc_repo_default_branch(char **out, mc_repo *repo)
{
	static const char *const fallbacks[] = { "main", "master" };
	git_reference *origin_head = NULL;
	size_t i;

	*out = NULL;
	if (git_reference_lookup(&origin_head, repo->git, "refs/remotes/origin/HEAD") == 0) {
		const char *target = git_reference_symbolic_target(origin_head);
		const char *prefix = "refs/remotes/";
		git_reference *resolved = NULL;
		/* A dangling origin/HEAD (its branch pruned) names nothing: fall back. */
		if (target && !strncmp(target, prefix, strlen(prefix)) &&
		    git_reference_resolve(&resolved, origin_head) == 0)
			*out = mc_xstrdup(target + strlen(prefix));
		git_reference_free(resolved);
		git_reference_free(origin_head);
		if (*out)
			return 0;
	}
	for (i = 0; i < sizeof fallbacks / sizeof fallbacks[0]; i++) {
		if (local_branch_exists(repo->git, fallbacks[i])) {
			*out = mc_xstrdup(fallbacks[i]);
			return 0;
		}
	}
	return mc_error_set(MC_ENOTFOUND, "no default branch: refs/remotes/origin/HEAD is not set "
			    "and there is no 'main' or 'master' branch");
}

int mc_repo_check_head(mc_repo *repo)
{
	int unborn = git_repository_head_unborn(mc_repo_git(repo));
	if (unborn == 1)
		return mc_error_set(MC_EEMPTY, "HEAD has no commits yet (unborn branch)");
	if (unborn < 0)
		return mc_repo_fail(MC_EGIT, "reading HEAD");
	return 0;
}

int mc_repo_config_string(char **out, mc_repo *repo, const char *name)
{
	git_config *cfg = NULL;
	git_buf value = GIT_BUF_INIT;
	int rc;

	*out = NULL;
	if (git_repository_config_snapshot(&cfg, repo->git) != 0)
		return mc_repo_fail(MC_EGIT, "reading the git configuration");
	rc = git_config_get_string_buf(&value, cfg, name);
	if (rc == GIT_ENOTFOUND)
		rc = mc_error_set(MC_ENOTFOUND, "git config %s is not set", name);
	else if (rc != 0)
		rc = mc_repo_fail(MC_EGIT, name);
	else
		*out = mc_xstrdup(value.ptr);
	git_buf_dispose(&value);
	git_config_free(cfg);
	return rc;
}

int mc_repo_resolve(char out[41], mc_repo *repo, const char *rev)
{
	git_oid oid;
	int rc = mc_repo_resolve_commit(&oid, repo, rev);
	if (rc == 0)
		git_oid_tostr(out, 41, &oid);
	return rc;
}

int mc_repo_branch_name_valid(const char *branch)
{
	char name[512];
	int valid = 0;

	if (!branch || !*branch || snprintf(name, sizeof name, "refs/heads/%s", branch) >= (int)sizeof name)
		return 0;
	pthread_once(&libgit2_once, libgit2_init);
	return git_reference_name_is_valid(&valid, name) == 0 && valid;
}

int mc_repo_set_symbolic_ref(mc_repo *repo, const char *name, const char *target)
{
	git_reference *ref = NULL;

	if (git_reference_symbolic_create(&ref, repo->git, name, target, 1, "maestro") != 0)
		return mc_repo_fail(MC_EGIT, name);
	git_reference_free(ref);
	return 0;
}

int mc_repo_check_ref_moves_forward(mc_repo *repo, const char *ref)
{
	git_reflog *log = NULL;
	size_t i, n;
	int rc = 0;

	if (git_reflog_read(&log, repo->git, ref) != 0)
		return mc_repo_fail(MC_EGIT, "reading the reflog");
	n = git_reflog_entrycount(log);
	for (i = 0; i < n && rc == 0; i++) {
		const git_reflog_entry *e = git_reflog_entry_byindex(log, i);
		const git_oid *old = git_reflog_entry_id_old(e), *new = git_reflog_entry_id_new(e);
		char a[GIT_OID_HEXSZ + 1], b[GIT_OID_HEXSZ + 1];
		if (git_oid_is_zero(old) || git_oid_is_zero(new) || git_oid_equal(old, new) ||
		    git_graph_descendant_of(repo->git, new, old) == 1)
			continue;
		git_oid_tostr(a, sizeof a, old);
		git_oid_tostr(b, sizeof b, new);
		rc = mc_error_set(MC_EVERIFY, "%s was rewritten: it moved from %.12s to %.12s, "
				  "which does not contain it", ref, a, b);
	}
	git_reflog_free(log);
	return rc;
}
