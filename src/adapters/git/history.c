/*
 * History mining (history.h). libgit2's revwalk does the reachability work
 * (hiding the stop set); each commit's tree is compared with its first
 * parent's by a merge of the two entry lists that skips unchanged subtrees.
 */
#include "adapters/git/history.h"

#include <ctype.h>
#include <git2.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/error.h"
#include "util/strbuf.h"

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

static void add_path(path_list *out, const mc_strbuf *prefix, const char *name)
{
	size_t len = strlen(name);
	char *path = mc_xmalloc(prefix->len + len + 1);
	memcpy(path, prefix->buf, prefix->len);
	memcpy(path + prefix->len, name, len + 1);
	mc_xgrow((void **)&out->items, &out->alloc, out->n + 1, sizeof *out->items);
	out->items[out->n++] = path;
}

static int compare_trees(path_list *out, git_repository *git, const git_tree *old_tree,
			 const git_tree *new_tree, mc_strbuf *prefix);

/* Recurse into the subtree(s) of entry name: either side may be NULL (added or deleted). */
static int descend(path_list *out, git_repository *git, const git_tree_entry *old_entry,
		   const git_tree_entry *new_entry, mc_strbuf *prefix)
{
	const git_tree_entry *any = old_entry ? old_entry : new_entry;
	git_tree *old_tree = NULL, *new_tree = NULL;
	size_t keep = prefix->len;
	int rc = 0;

	if ((old_entry && git_tree_lookup(&old_tree, git, git_tree_entry_id(old_entry)) != 0) ||
	    (new_entry && git_tree_lookup(&new_tree, git, git_tree_entry_id(new_entry)) != 0)) {
		rc = mc_repo_fail_walk(git, "reading a tree");
		goto out;
	}
	mc_strbuf_puts(prefix, git_tree_entry_name(any));
	mc_strbuf_putc(prefix, '/');
	rc = compare_trees(out, git, old_tree, new_tree, prefix);
	prefix->len = keep;
	prefix->buf[keep] = '\0';
out:
	git_tree_free(old_tree);
	git_tree_free(new_tree);
	return rc;
}

/* An entry on one side only: a file (or link, or submodule) is one path, a directory
 * every path below it. */
static int one_side(path_list *out, git_repository *git, const git_tree_entry *old_entry,
		    const git_tree_entry *new_entry, mc_strbuf *prefix)
{
	const git_tree_entry *e = old_entry ? old_entry : new_entry;
	if (git_tree_entry_type(e) == GIT_OBJECT_TREE)
		return descend(out, git, old_entry, new_entry, prefix);
	add_path(out, prefix, git_tree_entry_name(e));
	return 0;
}

/*
 * The paths that differ between two trees (either may be NULL: a root commit, or a
 * directory added or deleted). Both entry lists are in git's tree order, so one merge
 * pass pairs them, and a subtree whose id did not change is never read: a commit
 * costs what it changed, not the size of the repository (libgit2's tree diff walks
 * every entry of both trees). Entries that compare equal are both directories or
 * both not (git orders a directory as its name with a '/'), so a file that became a
 * symlink is one path, and a file replaced by a directory shows both sides.
 */
static int compare_trees(path_list *out, git_repository *git, const git_tree *old_tree,
			 const git_tree *new_tree, mc_strbuf *prefix)
{
	size_t i = 0, j = 0;
	size_t nold = old_tree ? git_tree_entrycount(old_tree) : 0;
	size_t nnew = new_tree ? git_tree_entrycount(new_tree) : 0;
	int rc = 0;

	while (rc == 0 && (i < nold || j < nnew)) {
		const git_tree_entry *a = i < nold ? git_tree_entry_byindex(old_tree, i) : NULL;
		const git_tree_entry *b = j < nnew ? git_tree_entry_byindex(new_tree, j) : NULL;
		int cmp = !a ? 1 : !b ? -1 : git_tree_entry_cmp(a, b);
		if (cmp < 0) {
			rc = one_side(out, git, a, NULL, prefix);
			i++;
		} else if (cmp > 0) {
			rc = one_side(out, git, NULL, b, prefix);
			j++;
		} else {
			if (git_tree_entry_type(a) == GIT_OBJECT_TREE) {
				if (!git_oid_equal(git_tree_entry_id(a), git_tree_entry_id(b)))
					rc = descend(out, git, a, b, prefix);
			} else if (!git_oid_equal(git_tree_entry_id(a), git_tree_entry_id(b)) ||
				   git_tree_entry_filemode(a) != git_tree_entry_filemode(b)) {
				add_path(out, prefix, git_tree_entry_name(b));
			}
			i++;
			j++;
		}
	}
	return rc;
}

/* The paths a commit touched relative to its first parent (every path, for a root). */
static int touched_paths(path_list *out, git_repository *git, const git_commit *commit)
{
	git_tree *tree = NULL, *parent_tree = NULL;
	git_commit *parent = NULL;
	mc_strbuf prefix = MC_STRBUF_INIT;
	int rc;

	out->n = 0;
	if (git_commit_tree(&tree, commit) != 0 ||
	    (git_commit_parentcount(commit) > 0 && (git_commit_parent(&parent, commit, 0) != 0 ||
						    git_commit_tree(&parent_tree, parent) != 0))) {
		rc = mc_repo_fail_walk(git, "reading a commit's tree");
		goto out;
	}
	mc_strbuf_grow(&prefix, 256); /* buf is never NULL below */
	rc = compare_trees(out, git, parent_tree, tree, &prefix);
out:
	mc_strbuf_release(&prefix);
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

/* One commit as a worker read it, waiting for the caller's thread to hand it on. */
struct slot {
	char oid[41];
	char *author_email;
	int64_t author_time;
	unsigned parent_count;
	int fix;
	path_list paths;
	int rc;            /* a worker's error: code and message (errors are per thread) */
	char *error;
	int ready;
};

static void read_commit(struct slot *slot, git_repository *git, const git_oid *oid)
{
	git_commit *commit = NULL;
	const git_signature *author;

	git_oid_tostr(slot->oid, sizeof slot->oid, oid);
	if (git_commit_lookup(&commit, git, oid) != 0)
		slot->rc = mc_repo_fail_walk(git, "reading a commit");
	else if (git_commit_parentcount(commit) < 2)
		slot->rc = touched_paths(&slot->paths, git, commit);
	/* A merge's paths are not read: its first-parent diff is the whole topic branch,
	 * the costliest diff there is, and the work is counted through the branch's own
	 * commits (the history features leave merges out). */
	if (slot->rc) {
		slot->error = mc_xstrdup(mc_error_message());
		git_commit_free(commit);
		return;
	}
	author = git_commit_author(commit);
	slot->author_email = mc_xstrdup(author->email ? author->email : "");
	slot->author_time = (int64_t)author->when.time;
	slot->parent_count = git_commit_parentcount(commit);
	slot->fix = mc_history_message_is_fix(git_commit_message(commit));
	git_commit_free(commit);
}

static void clear_slot(struct slot *slot)
{
	release_paths(&slot->paths);
	free(slot->author_email);
	free(slot->error);
	slot->author_email = slot->error = NULL;
	slot->rc = 0;
	slot->ready = 0;
}

static int deliver(struct slot *slot, mc_history_fn fn, void *ctx, unsigned *walked)
{
	mc_history_commit hc;
	if (slot->rc)
		return mc_error_set(slot->rc, "%s", slot->error);
	memset(&hc, 0, sizeof hc);
	memcpy(hc.oid, slot->oid, sizeof hc.oid);
	hc.author_email = slot->author_email;
	hc.author_time = slot->author_time;
	hc.parent_count = slot->parent_count;
	hc.fix = slot->fix;
	hc.paths = slot->paths.items;
	hc.npaths = slot->paths.n;
	(*walked)++;
	return fn(ctx, &hc);
}

/*
 * Reading commits and comparing trees is about half of a cold review and storing
 * them the other half, so a worker thread reads ahead (with its own libgit2 handle)
 * while the caller's thread hands commits to the callback in walk order. Work moves
 * in chunks of CHUNK commits so the threads meet once per chunk, not once per
 * commit, and the worker stays within WINDOW commits of the callback, which bounds
 * memory on histories of any length.
 *
 * One worker, not one per core: with two handles reading the same pack from two
 * threads, ThreadSanitizer reports a race inside libgit2 1.5's shared pack cache.
 * It may be an artefact of libgit2's uninstrumented atomics, but a second worker
 * only gained 15 % on bench/review, not enough to bet the history on it.
 */
#define CHUNK 64
#define NCHUNKS 16
#define WINDOW (CHUNK * NCHUNKS)
#define MAX_WORKERS 1

struct pool {
	pthread_mutex_t lock;
	pthread_cond_t filled, drained;
	const git_oid *oids;
	size_t n, next, consumed;   /* next: first unclaimed commit; consumed: handed on */
	int stop;
	int chunk_ready[NCHUNKS];
	struct slot slots[WINDOW];
	const char *gitdir;
};

/* Claim the next chunk: its first commit, or n when there is nothing left to do. */
static size_t claim_chunk(struct pool *p)
{
	size_t start;
	pthread_mutex_lock(&p->lock);
	while (!p->stop && p->next < p->n && p->next >= p->consumed + WINDOW)
		pthread_cond_wait(&p->drained, &p->lock);
	start = p->stop ? p->n : p->next;
	if (start < p->n)
		p->next += CHUNK;
	pthread_mutex_unlock(&p->lock);
	return start;
}

static void *worker(void *arg)
{
	struct pool *p = arg;
	git_repository *git = NULL;
	int open_rc = git_repository_open(&git, p->gitdir);
	size_t start, i;

	while ((start = claim_chunk(p)) < p->n) {
		size_t end = start + CHUNK < p->n ? start + CHUNK : p->n;
		for (i = start; i < end; i++) {
			struct slot *slot = &p->slots[i % WINDOW];
			if (open_rc) {
				slot->rc = mc_repo_fail(MC_EGIT, "opening the repository for a "
							"history worker");
				slot->error = mc_xstrdup(mc_error_message());
			} else {
				read_commit(slot, git, &p->oids[i]);
			}
		}
		pthread_mutex_lock(&p->lock);
		p->chunk_ready[start / CHUNK % NCHUNKS] = 1;
		pthread_cond_broadcast(&p->filled);
		pthread_mutex_unlock(&p->lock);
	}
	git_repository_free(git);
	return NULL;
}

static size_t worker_count(size_t n)
{
	size_t chunks = (n + CHUNK - 1) / CHUNK;
	return MAX_WORKERS < chunks ? MAX_WORKERS : chunks;
}

/* Deliver the chunk starting at start once a worker has filled it. */
static int deliver_chunk(struct pool *p, size_t start, mc_history_fn fn, void *ctx,
			 unsigned *walked)
{
	size_t end = start + CHUNK < p->n ? start + CHUNK : p->n, i;
	int *ready = &p->chunk_ready[start / CHUNK % NCHUNKS], rc = 0;

	pthread_mutex_lock(&p->lock);
	while (!*ready)
		pthread_cond_wait(&p->filled, &p->lock);
	pthread_mutex_unlock(&p->lock);
	for (i = start; i < end; i++) {
		struct slot *slot = &p->slots[i % WINDOW];
		if (rc == 0)
			rc = deliver(slot, fn, ctx, walked);
		clear_slot(slot);
	}
	pthread_mutex_lock(&p->lock);
	*ready = 0;
	p->consumed = end;
	pthread_cond_broadcast(&p->drained);
	pthread_mutex_unlock(&p->lock);
	return rc;
}

/* Hand oids[0..n) to fn in order, read by the workers. */
static int read_in_parallel(mc_repo *repo, const git_oid *oids, size_t n, mc_history_fn fn,
			    void *ctx, unsigned *walked)
{
	struct pool *p = mc_xcalloc(1, sizeof *p);
	pthread_t threads[MAX_WORKERS];
	size_t nthreads = 0, want = worker_count(n), i;
	int rc = 0;

	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->filled, NULL);
	pthread_cond_init(&p->drained, NULL);
	p->oids = oids;
	p->n = n;
	p->gitdir = mc_repo_gitdir(repo);
	for (i = 0; i < want; i++)
		if (pthread_create(&threads[nthreads], NULL, worker, p) == 0)
			nthreads++;
	if (n && !nthreads)
		rc = mc_error_set(MC_EENV, "could not start a history worker thread");
	for (i = 0; rc == 0 && i < n; i += CHUNK)
		rc = deliver_chunk(p, i, fn, ctx, walked);
	pthread_mutex_lock(&p->lock);
	p->stop = 1;
	pthread_cond_broadcast(&p->drained);
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
	for (i = 0; i < WINDOW; i++) {
		clear_slot(&p->slots[i]);
		free(p->slots[i].paths.items);
	}
	pthread_cond_destroy(&p->drained);
	pthread_cond_destroy(&p->filled);
	pthread_mutex_destroy(&p->lock);
	free(p);
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

/* The commits to mine: reachable from tip, not from the stop set. */
static int list_commits(git_oid **out, size_t *n, mc_repo *repo, const char *tip,
			const char *const *stop, size_t nstop)
{
	git_revwalk *walk = NULL;
	size_t alloc = 0;
	git_oid oid;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = start_walk(&walk, repo, tip, stop, nstop)) == 0) {
		while ((rc = git_revwalk_next(&oid, walk)) == 0) {
			mc_xgrow((void **)out, &alloc, *n + 1, sizeof **out);
			git_oid_cpy(&(*out)[(*n)++], &oid);
		}
		rc = rc == GIT_ITEROVER ? 0 : mc_repo_fail_walk(mc_repo_git(repo), "walking history");
	}
	git_revwalk_free(walk);
	return rc;
}

int mc_history_walk(unsigned *walked, mc_repo *repo, const char *tip, const char *const *stop,
		    size_t nstop, mc_history_fn fn, void *ctx)
{
	git_oid *oids = NULL;
	size_t n = 0;
	int rc;

	*walked = 0;
	if ((rc = list_commits(&oids, &n, repo, tip, stop, nstop)) == 0)
		rc = read_in_parallel(repo, oids, n, fn, ctx, walked);
	free(oids);
	return rc;
}
