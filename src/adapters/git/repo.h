/*
 * An open git repository (libgit2) and the few things every git adapter needs
 * from it: where it lives, which branch is the default, and a bounded read of a
 * file as it was at a commit. The other git adapter modules (range, diff,
 * history) take an mc_repo and reach libgit2 through mc_repo_git().
 */
#ifndef MC_ADAPTERS_GIT_REPO_H
#define MC_ADAPTERS_GIT_REPO_H
#include <stddef.h>

struct git_oid;
struct git_repository;
struct git_tree;
typedef struct mc_repo mc_repo;

/* Open the repository containing path (searching upwards, like git). A path that is not
 * inside a repository fails with MC_EENV "not a git repository: <path>". */
int mc_repo_open(mc_repo **out, const char *path);
/* Open the bare repository at path, creating it (and its directories) when absent:
 * the daemon's copy of a forge's repository. */
int mc_repo_open_bare(mc_repo **out, const char *path);
void mc_repo_free(mc_repo *repo);

/* The work tree with a trailing '/', or NULL for a bare repository. */
const char *mc_repo_workdir(const mc_repo *repo);
/* The .git directory with a trailing '/' (for a linked worktree, its private gitdir). */
const char *mc_repo_gitdir(const mc_repo *repo);
/* A name for people: the work tree's directory name (the git directory's, for a bare
 * repository). free() it. */
char *mc_repo_display_name(const mc_repo *repo);
/* The directory shared by all worktrees, where caches belong, with a trailing '/'. */
const char *mc_repo_commondir(const mc_repo *repo);
/* The libgit2 handle, for the other git adapter modules only. */
struct git_repository *mc_repo_git(mc_repo *repo);

/*
 * The contents of path at commit_oid (40 hex digits or any revision), NUL-terminated
 * (free() it). blob_id, when not NULL, receives the blob's id. MC_ENOTFOUND when the
 * commit has no such file, MC_ELIMIT when the blob is larger than max bytes.
 */
int mc_repo_read_file_at(char **out, size_t *len, char blob_id[41], mc_repo *repo,
			 const char *commit_oid, const char *path, size_t max);

/* The names of the files (blobs) directly in directory dir of rev's tree, sorted; none
 * when the tree has no such directory. Free with mc_repo_names_free. */
int mc_repo_list_files_at(char ***names, size_t *n, mc_repo *repo, const char *rev,
			  const char *dir);
void mc_repo_names_free(char **names, size_t n);

/* A string from the repository's git configuration (with the global and system
 * files git reads), e.g. "user.signingkey"; MC_ENOTFOUND when unset. free() it. */
int mc_repo_config_string(char **out, mc_repo *repo, const char *name);

/* The default branch's short name: origin/HEAD's existing target ("origin/main"), else "main",
 * else "master" when such a local branch exists; MC_ENOTFOUND otherwise. free() it. */
int mc_repo_default_branch(char **out, mc_repo *repo);

/*
 * The commit a revision names, for every git adapter: MC_EINVAL "unknown revision
 * 'x'" or "revision 'x' does not name a commit"; a revision read from an unborn
 * HEAD ("HEAD", "HEAD~1", "@") is "nothing yet", MC_EEMPTY, not a typo.
 */
int mc_repo_resolve_commit(struct git_oid *out, mc_repo *repo, const char *rev);
/* The same as a 40-hex string. */
int mc_repo_resolve(char out[41], mc_repo *repo, const char *rev);
/* Whether refs/heads/<branch> is a well-formed ref name (a forge's branch names are
 * checked before they go into a refspec). */
int mc_repo_branch_name_valid(const char *branch);
/* Point the symbolic ref name at target, creating or replacing it. */
int mc_repo_set_symbolic_ref(mc_repo *repo, const char *name, const char *target);
/* Every move of ref recorded in its reflog went forward (the new tip descends from the
 * old one). MC_EVERIFY naming the first move that did not: a rewrite of the ref. */
int mc_repo_check_ref_moves_forward(mc_repo *repo, const char *ref);
/* The tree of the commit rev names (git_tree_free it); errors as mc_repo_resolve_commit. */
int mc_repo_commit_tree(struct git_tree **out, mc_repo *repo, const char *rev);

/* 0 when HEAD names a commit; MC_EEMPTY "HEAD has no commits yet (unborn branch)"
 * when the current branch has none yet; MC_EGIT when HEAD cannot be read. */
int mc_repo_check_head(mc_repo *repo);

/* Set the error from libgit2's last error: "<what>: <libgit2 message>". Returns code. */
int mc_repo_fail(int code, const char *what);
/* The same for a walk through history that failed: in a shallow clone, whose history
 * ends at missing parents, MC_EENV saying so (and how to fetch the rest); otherwise
 * MC_EGIT. */
int mc_repo_fail_walk(struct git_repository *git, const char *what);

#endif
