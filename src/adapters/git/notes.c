/*
 * The evidence store in git notes (notes.h): reading and appending note lines,
 * signed notes commits, compare-and-swap ref updates, history with the targets
 * each commit changed, and git's cat_sort_uniq notes merge.
 *
 * The notes tree is edited here rather than through git_note_commit_create: that
 * writes an unsigned commit we would throw away, and never fans out, so every
 * append would rewrite one tree holding every note. Reading accepts any layout git
 * or libgit2 writes (flat names, 2-character fanout directories, both mixed).
 */
#include "adapters/git/notes.h"

#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/error.h"
#include "util/hex.h"
#include "util/strbuf.h"
#include "util/time.h"

#define HEXSZ 40
/* Retries of a compare-and-swap lost to another writer: at least MIN_TRIES, and more
 * while RETRY_SECONDS have not passed. A count alone is not enough: a writer outside
 * maestro's lock that updates the ref faster than we can sign (a slow gpg, a loaded
 * machine) wins every one of a few dozen attempts, yet stops eventually. */
#define MIN_TRIES 50
#define RETRY_SECONDS 30
/* A tree level holding more flat notes than this is split into 2-character directories. */
#define FANOUT_AT 256
/* How long a writer waits for the local writers' lock before going on without it. */
#define LOCK_WAIT_MS 10000

/* ---- names and lines ---- */


/* The object target names: a full id is taken as it is (its object need not be here, a
 * note may describe one fetched later); anything else is a revision, not peeled, so a tag
 * name annotates the tag object as `git notes` does. */
static int resolve_target(char hex[HEXSZ + 1], git_repository *git, const char *target)
{
	git_object *obj = NULL;
	git_oid oid;

	if (strlen(target) == HEXSZ && git_oid_fromstr(&oid, target) == 0) {
		git_oid_tostr(hex, HEXSZ + 1, &oid);
		return 0;
	}
	if (git_revparse_single(&obj, git, target) != 0)
		return mc_error_set(MC_EINVAL, "unknown revision '%s'", target);
	git_oid_tostr(hex, HEXSZ + 1, git_object_id(obj));
	git_object_free(obj);
	return 0;
}

static int check_line(const char *line)
{
	size_t len = strlen(line);
	if (len == 0)
		return mc_error_set(MC_EINVAL, "an empty line cannot be a note record");
	if (len > MC_NOTES_MAX_LINE)
		return mc_error_set(MC_ELIMIT, "a note line of %zu bytes is longer than the limit "
				    "of %d", len, MC_NOTES_MAX_LINE);
	if (memchr(line, '\n', len))
		return mc_error_set(MC_EINVAL, "a note line cannot contain a newline");
	return 0;
}

/* Whether text holds line as one of its '\n'-separated lines. */
static int has_line(const char *text, size_t len, const char *line, size_t line_len)
{
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (n == line_len && !memcmp(p, line, n))
			return 1;
		p += n + 1;
	}
	return 0;
}

/* The non-empty lines of text, each a C string. */
static void split_lines(char ***lines, size_t *n, const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	size_t alloc = 0;

	*lines = NULL;
	*n = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (l > 0) {
			mc_xgrow((void **)lines, &alloc, *n + 1, sizeof **lines);
			(*lines)[(*n)++] = mc_xstrndup(p, l);
		}
		p += l + 1;
	}
}

void mc_notes_lines_free(char **lines, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
}

/* ---- refs, commits, blobs ---- */

/* The commit ref points at; *exists = 0 when there is no such ref yet. */
static int read_tip(git_oid *tip, int *exists, git_repository *git, const char *ref)
{
	git_reference *r = NULL;
	int rc = git_reference_lookup(&r, git, ref);

	*exists = 0;
	if (rc == GIT_ENOTFOUND)
		return 0;
	if (rc != 0)
		return mc_repo_fail(rc == GIT_EINVALIDSPEC ? MC_EINVAL : MC_EGIT, ref);
	if (git_reference_type(r) != GIT_REFERENCE_DIRECT) {
		git_reference_free(r);
		return mc_error_set(MC_EINVAL, "%s is a symbolic reference, not a notes ref", ref);
	}
	git_oid_cpy(tip, git_reference_target(r));
	git_reference_free(r);
	*exists = 1;
	return 0;
}

static int commit_tree(git_tree **out, git_repository *git, const git_oid *commit_id)
{
	git_commit *commit = NULL;
	int rc = 0;
	if (git_commit_lookup(&commit, git, commit_id) != 0 || git_commit_tree(out, commit) != 0)
		rc = mc_repo_fail(MC_EGIT, "reading a notes commit");
	git_commit_free(commit);
	return rc;
}

/* The contents of a blob (a copy, NUL-terminated). */
static int read_blob(char **out, size_t *len, git_repository *git, const git_oid *id)
{
	git_blob *blob = NULL;
	if (git_blob_lookup(&blob, git, id) != 0)
		return mc_repo_fail(MC_EGIT, "reading a note");
	*len = (size_t)git_blob_rawsize(blob);
	*out = mc_xmalloc(*len + 1);
	memcpy(*out, git_blob_rawcontent(blob), *len);
	(*out)[*len] = '\0';
	git_blob_free(blob);
	return 0;
}

/* ---- the notes tree ---- */

/* Where the note of hex is in tree (NULL: no notes): *found and its blob id. A level may
 * hold the rest of the name as a blob or its next two characters as a directory. */
static int find_note(git_oid *blob, int *found, git_repository *git, const git_tree *tree,
		     const char *hex)
{
	const git_tree *level = tree;
	git_tree *owned = NULL;
	size_t off = 0;
	int rc = 0;

	*found = 0;
	while (level) {
		const git_tree_entry *e = git_tree_entry_byname(level, hex + off);
		char dir[3] = { hex[off], hex[off + 1], '\0' };
		git_tree *next = NULL;

		if (e && git_tree_entry_type(e) == GIT_OBJECT_BLOB) {
			git_oid_cpy(blob, git_tree_entry_id(e));
			*found = 1;
			break;
		}
		if (off + 2 >= HEXSZ)
			break;
		e = git_tree_entry_byname(level, dir);
		if (!e || git_tree_entry_type(e) != GIT_OBJECT_TREE)
			break;
		if (git_tree_lookup(&next, git, git_tree_entry_id(e)) != 0) {
			rc = mc_repo_fail(MC_EGIT, "reading the notes tree");
			break;
		}
		git_tree_free(owned);
		level = owned = next;
		off += 2;
	}
	git_tree_free(owned);
	return rc;
}

/* The note text of hex in tree; MC_ENOTFOUND without one. */
static int read_note(char **text, size_t *len, git_repository *git, const git_tree *tree,
		     const char *hex)
{
	git_oid blob;
	int found, rc = find_note(&blob, &found, git, tree, hex);
	if (rc)
		return rc;
	if (!found)
		return mc_error_set(MC_ENOTFOUND, "no note for %s", hex);
	return read_blob(text, len, git, &blob);
}

/* Whether an entry at a level whose names start off characters into an id is a note
 * (the rest of the id, as a blob) or a fanout directory (two characters, a tree). */
static int entry_is_note(const git_tree_entry *e, size_t off)
{
	const char *name = git_tree_entry_name(e);
	return git_tree_entry_type(e) == GIT_OBJECT_BLOB && strlen(name) == HEXSZ - off &&
	       mc_hex_is_lower(name, HEXSZ - off);
}

static int entry_is_fanout(const git_tree_entry *e, size_t off)
{
	const char *name = git_tree_entry_name(e);
	return git_tree_entry_type(e) == GIT_OBJECT_TREE && off + 2 < HEXSZ && strlen(name) == 2 &&
	       mc_hex_is_lower(name, 2);
}

/* Move the flat notes of this level (tree, already loaded into tb) into 2-character
 * directories, the layout git switches to once a level holds many notes. */
static int fan_out(git_treebuilder *tb, git_repository *git, const git_tree *tree, size_t off)
{
	git_treebuilder *dirs[256] = { NULL };
	size_t i, count = git_tree_entrycount(tree);
	int rc = 0;

	for (i = 0; i < count && !rc; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);
		const char *name = git_tree_entry_name(e);
		int slot;
		if (!entry_is_note(e, off))
			continue;
		slot = mc_hex_digit(name[0]) * 16 + mc_hex_digit(name[1]);
		if ((!dirs[slot] && git_treebuilder_new(&dirs[slot], git, NULL) != 0) ||
		    git_treebuilder_insert(NULL, dirs[slot], name + 2, git_tree_entry_id(e),
					   GIT_FILEMODE_BLOB) != 0 ||
		    git_treebuilder_remove(tb, name) != 0)
			rc = mc_repo_fail(MC_EGIT, "fanning out the notes tree");
	}
	for (i = 0; i < 256; i++) {
		char dir[3];
		git_oid id;
		if (!dirs[i])
			continue;
		snprintf(dir, sizeof dir, "%02zx", i);
		if (!rc && (git_treebuilder_write(&id, dirs[i]) != 0 ||
			    git_treebuilder_insert(NULL, tb, dir, &id, GIT_FILEMODE_TREE) != 0))
			rc = mc_repo_fail(MC_EGIT, "fanning out the notes tree");
		git_treebuilder_free(dirs[i]);
	}
	return rc;
}

/* Whether a new note at this level goes into a fanout directory: the level already has
 * directories (git's layout) or holds too many flat notes. *split: the flat ones must move. */
static void choose_fanout(int *fanout, int *split, const git_tree *tree, size_t off)
{
	size_t i, count = tree ? git_tree_entrycount(tree) : 0, notes = 0;

	*fanout = *split = 0;
	if (off + 2 >= HEXSZ)
		return;
	for (i = 0; i < count; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);
		if (entry_is_fanout(e, off)) {
			*fanout = 1;
			return;
		}
		notes += entry_is_note(e, off);
	}
	*fanout = *split = notes >= FANOUT_AT;
}

static int put_note(git_oid *out, size_t *left, git_repository *git, const git_tree *tree,
		    const char *hex, size_t off, const git_oid *blob);

/* put_note one level down, in the directory dir of tb (existing or new). */
static int put_in_dir(git_treebuilder *tb, git_repository *git, const char *dir, const char *hex,
		      size_t off, const git_oid *blob)
{
	const git_tree_entry *e = git_treebuilder_get(tb, dir);
	git_tree *sub = NULL;
	git_oid sub_id;
	size_t left;
	int rc;

	if (e && git_tree_lookup(&sub, git, git_tree_entry_id(e)) != 0)
		return mc_repo_fail(MC_EGIT, "reading the notes tree");
	rc = put_note(&sub_id, &left, git, sub, hex, off + 2, blob);
	git_tree_free(sub);
	if (rc)
		return rc;
	if (left == 0)
		rc = git_treebuilder_remove(tb, dir);
	else
		rc = git_treebuilder_insert(NULL, tb, dir, &sub_id, GIT_FILEMODE_TREE);
	return rc ? mc_repo_fail(MC_EGIT, "writing the notes tree") : 0;
}

/*
 * Write tree (NULL: empty) with the note of hex (whose first off characters name this
 * level) set to blob, or removed when blob is NULL. Only the trees along the note's path
 * are written; *left is how many entries the new tree has (an empty directory goes).
 */
static int put_note(git_oid *out, size_t *left, git_repository *git, const git_tree *tree,
		    const char *hex, size_t off, const git_oid *blob)
{
	git_treebuilder *tb = NULL;
	const char *name = hex + off;
	char dir[3] = { name[0], name[1], '\0' };
	const git_tree_entry *flat = tree ? git_tree_entry_byname(tree, name) : NULL;
	const git_tree_entry *sub = tree && off + 2 < HEXSZ ? git_tree_entry_byname(tree, dir) : NULL;
	int rc = 0, fanout, split;

	if (git_treebuilder_new(&tb, git, tree) != 0)
		return mc_repo_fail(MC_EGIT, "reading the notes tree");
	if (flat && git_tree_entry_type(flat) == GIT_OBJECT_BLOB) {
		if (blob ? git_treebuilder_insert(NULL, tb, name, blob, GIT_FILEMODE_BLOB) != 0
			 : git_treebuilder_remove(tb, name) != 0)
			rc = mc_repo_fail(MC_EGIT, "writing the notes tree");
	} else if (sub && git_tree_entry_type(sub) == GIT_OBJECT_TREE) {
		rc = put_in_dir(tb, git, dir, hex, off, blob);
	} else if (blob) {
		choose_fanout(&fanout, &split, tree, off);
		if (split)
			rc = fan_out(tb, git, tree, off);
		if (!rc && fanout)
			rc = put_in_dir(tb, git, dir, hex, off, blob);
		else if (!rc && git_treebuilder_insert(NULL, tb, name, blob, GIT_FILEMODE_BLOB) != 0)
			rc = mc_repo_fail(MC_EGIT, "writing the notes tree");
	}
	if (!rc && git_treebuilder_write(out, tb) != 0)
		rc = mc_repo_fail(MC_EGIT, "writing the notes tree");
	*left = git_treebuilder_entrycount(tb);
	git_treebuilder_free(tb);
	return rc;
}

/* ---- comparing notes trees ---- */

/* A target whose note differs between two trees (a zero id: no note on that side). */
typedef struct note_change {
	char hex[HEXSZ + 1];
	git_oid old_blob, new_blob;
} note_change;

typedef struct note_changes {
	note_change *v;
	size_t n, alloc;
} note_changes;

static void add_change(note_changes *c, const char *prefix, size_t plen, const char *name,
		       const git_oid *id, int new_side)
{
	note_change *ch;
	mc_xgrow((void **)&c->v, &c->alloc, c->n + 1, sizeof *c->v);
	ch = &c->v[c->n++];
	memset(ch, 0, sizeof *ch);
	memcpy(ch->hex, prefix, plen);
	memcpy(ch->hex + plen, name, HEXSZ - plen);
	git_oid_cpy(new_side ? &ch->new_blob : &ch->old_blob, id);
}

static int compare_trees(note_changes *c, git_repository *git, const git_tree *a,
			 const git_tree *b, char *prefix, size_t plen);

/* One side's entry with no equal on the other side: a note, or every note below a directory. */
static int add_entry(note_changes *c, git_repository *git, const git_tree_entry *e, char *prefix,
		     size_t plen, int new_side)
{
	git_tree *sub = NULL;
	int rc;

	if (entry_is_note(e, plen)) {
		add_change(c, prefix, plen, git_tree_entry_name(e), git_tree_entry_id(e), new_side);
		return 0;
	}
	if (!entry_is_fanout(e, plen))
		return 0; /* not a note: git keeps such entries but they annotate nothing */
	if (git_tree_lookup(&sub, git, git_tree_entry_id(e)) != 0)
		return mc_repo_fail(MC_EGIT, "reading the notes tree");
	memcpy(prefix + plen, git_tree_entry_name(e), 2);
	rc = new_side ? compare_trees(c, git, NULL, sub, prefix, plen + 2)
		      : compare_trees(c, git, sub, NULL, prefix, plen + 2);
	git_tree_free(sub);
	return rc;
}

/* Both sides have a directory of this name with different contents. */
static int compare_dirs(note_changes *c, git_repository *git, const git_tree_entry *ea,
			const git_tree_entry *eb, char *prefix, size_t plen)
{
	git_tree *ta = NULL, *tb = NULL;
	int rc;
	if (git_tree_lookup(&ta, git, git_tree_entry_id(ea)) != 0 ||
	    git_tree_lookup(&tb, git, git_tree_entry_id(eb)) != 0) {
		git_tree_free(ta);
		return mc_repo_fail(MC_EGIT, "reading the notes tree");
	}
	memcpy(prefix + plen, git_tree_entry_name(ea), 2);
	rc = compare_trees(c, git, ta, tb, prefix, plen + 2);
	git_tree_free(ta);
	git_tree_free(tb);
	return rc;
}

/* Collect, per side, the notes of a (old) and b (new) that are not identical entries in
 * both; subtrees with the same id are skipped whole. Unnormalised: a note that moved
 * between a flat and a fanout path shows on both sides (note_changes_finish pairs them). */
static int compare_trees(note_changes *c, git_repository *git, const git_tree *a,
			 const git_tree *b, char *prefix, size_t plen)
{
	size_t i, na = a ? git_tree_entrycount(a) : 0, nb = b ? git_tree_entrycount(b) : 0;
	int rc = 0;

	if (a && b && git_oid_equal(git_tree_id(a), git_tree_id(b)))
		return 0;
	for (i = 0; i < na && !rc; i++) {
		const git_tree_entry *ea = git_tree_entry_byindex(a, i);
		const git_tree_entry *eb = b ? git_tree_entry_byname(b, git_tree_entry_name(ea)) : NULL;
		if (eb && git_tree_entry_type(ea) == git_tree_entry_type(eb) &&
		    git_oid_equal(git_tree_entry_id(ea), git_tree_entry_id(eb)))
			continue;
		if (eb && entry_is_fanout(ea, plen) && entry_is_fanout(eb, plen)) {
			rc = compare_dirs(c, git, ea, eb, prefix, plen);
			continue;
		}
		rc = add_entry(c, git, ea, prefix, plen, 0);
		if (!rc && eb)
			rc = add_entry(c, git, eb, prefix, plen, 1);
	}
	for (i = 0; i < nb && !rc; i++) {
		const git_tree_entry *eb = git_tree_entry_byindex(b, i);
		if (!a || !git_tree_entry_byname(a, git_tree_entry_name(eb)))
			rc = add_entry(c, git, eb, prefix, plen, 1);
	}
	return rc;
}

static int change_cmp(const void *x, const void *y)
{
	return strcmp(((const note_change *)x)->hex, ((const note_change *)y)->hex);
}

/* Pair the sides of each target and drop the targets whose note is the same on both. */
static void note_changes_finish(note_changes *c)
{
	size_t i, out = 0;

	qsort(c->v, c->n, sizeof *c->v, change_cmp);
	for (i = 0; i < c->n; i++) {
		note_change *ch = &c->v[i];
		if (out > 0 && !strcmp(c->v[out - 1].hex, ch->hex)) {
			note_change *prev = &c->v[out - 1];
			if (!git_oid_is_zero(&ch->old_blob))
				git_oid_cpy(&prev->old_blob, &ch->old_blob);
			if (!git_oid_is_zero(&ch->new_blob))
				git_oid_cpy(&prev->new_blob, &ch->new_blob);
			continue;
		}
		c->v[out++] = *ch;
	}
	c->n = 0;
	for (i = 0; i < out; i++)
		if (!git_oid_equal(&c->v[i].old_blob, &c->v[i].new_blob))
			c->v[c->n++] = c->v[i];
}

/* The targets whose note differs between trees a and b (either may be NULL), sorted. */
static int diff_notes(note_changes *c, git_repository *git, const git_tree *a, const git_tree *b)
{
	char prefix[HEXSZ + 1] = { 0 };
	int rc = compare_trees(c, git, a, b, prefix, 0);
	if (rc == 0)
		note_changes_finish(c);
	return rc;
}

/* ---- signed commits and the ref ---- */

/* A commit of tree with parents, its buffer signed by signer, written with a gpgsig header. */
static int create_signed_commit(git_oid *out, git_repository *git, const git_oid *tree_id,
				const git_oid *parents, size_t nparents, const char *message,
				const mc_notes_signer *signer)
{
	git_signature *who = NULL;
	git_tree *tree = NULL;
	const git_commit *pc[2] = { NULL, NULL };
	git_buf buf = { 0 };
	char *sig = NULL;
	size_t i, sig_len;
	int rc = 0;

	if (git_signature_now(&who, signer->name, signer->email) != 0)
		return mc_repo_fail(MC_EINVAL, "the notes committer");
	if (git_tree_lookup(&tree, git, tree_id) != 0)
		rc = mc_repo_fail(MC_EGIT, "reading the notes tree");
	for (i = 0; !rc && i < nparents; i++)
		if (git_commit_lookup((git_commit **)&pc[i], git, &parents[i]) != 0)
			rc = mc_repo_fail(MC_EGIT, "reading the notes ref's commit");
	if (!rc && git_commit_create_buffer(&buf, git, who, who, NULL, message, tree, nparents,
					    pc) != 0)
		rc = mc_repo_fail(MC_EGIT, "building the notes commit");
	if (!rc && (rc = signer->sign(signer->ctx, buf.ptr, buf.size, &sig)) != 0)
		rc = mc_error_wrap(rc, "signing the notes commit");
	if (!rc) {
		/* libgit2 writes every line of the header value, a trailing newline too
		 * (it would leave a line holding one space); git's own have none. */
		sig_len = strlen(sig);
		while (sig_len > 0 && (sig[sig_len - 1] == '\n' || sig[sig_len - 1] == '\r'))
			sig[--sig_len] = '\0';
		if (sig_len == 0)
			rc = mc_error_set(MC_EINVAL, "the signer returned an empty signature");
	}
	if (!rc && git_commit_create_with_signature(out, git, buf.ptr, sig, NULL) != 0)
		rc = mc_repo_fail(MC_EGIT, "writing the signed notes commit");
	free(sig);
	git_buf_dispose(&buf);
	for (i = 0; i < nparents; i++)
		git_commit_free((git_commit *)pc[i]);
	git_tree_free(tree);
	git_signature_free(who);
	return rc;
}

/* Move ref from `from` (NULL: the ref must not exist yet) to `to`, only if it still is
 * there. *lost = 1 when another writer got there first (the ref moved, appeared, or is
 * locked right now): the caller re-reads and tries again. */
static int move_ref(int *lost, git_repository *git, const char *ref, const git_oid *to,
		    const git_oid *from, const char *log_message)
{
	git_reference *out = NULL;
	int rc = git_reference_create_matching(&out, git, ref, to, from != NULL, from, log_message);

	git_reference_free(out);
	*lost = rc == GIT_EMODIFIED || rc == GIT_EEXISTS || rc == GIT_ELOCKED ||
		(rc == GIT_ENOTFOUND && from != NULL);
	if (rc != 0 && !*lost)
		return mc_repo_fail(MC_EGIT, ref);
	return 0;
}

/* Whether to try again after `attempts` lost races since start (mc_time_monotonic). */
static int keep_trying(int attempts, double start)
{
	return attempts < MIN_TRIES || mc_time_monotonic() - start < RETRY_SECONDS;
}

/* A short random sleep before retry `attempt`, growing with it, so that writers that
 * collided do not collide again in step. */
static void backoff(int attempt)
{
	static __thread unsigned seed;
	struct timespec ts;
	long max_us = 200L * (attempt < 10 ? attempt + 1 : 10);

	if (!seed)
		seed = (unsigned)getpid() ^ (unsigned)time(NULL) ^ (unsigned)(uintptr_t)&ts;
	ts.tv_sec = 0;
	ts.tv_nsec = (rand_r(&seed) % max_us) * 1000L;
	nanosleep(&ts, NULL);
}

/*
 * Writers on this machine take turns: without it two appenders both sign for the same
 * tip and one signature is thrown away on every collision (and the faster writer can keep
 * winning). Only an optimisation: correctness comes from the compare-and-swap, so a
 * writer that cannot get the lock in LOCK_WAIT_MS (a stuck writer) goes on without it.
 * Returns the locked descriptor or -1.
 */
static int writers_lock(git_repository *git)
{
	mc_strbuf path = MC_STRBUF_INIT;
	struct timespec ts = { 0, 2000000 };
	int fd, waited;

	mc_strbuf_printf(&path, "%smaestro-notes.lock", git_repository_commondir(git));
	fd = open(mc_strbuf_str(&path), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	mc_strbuf_release(&path);
	if (fd < 0)
		return -1;
	for (waited = 0; waited < LOCK_WAIT_MS; waited += 2) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		if (errno != EWOULDBLOCK && errno != EINTR)
			break;
		nanosleep(&ts, NULL);
	}
	close(fd);
	return -1;
}

static void writers_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the flock */
}

/* ---- append ---- */

/* Add line to a note's text (after a newline the old text may lack). */
static void add_line(mc_strbuf *note, const char *line)
{
	if (note->len > 0 && note->buf[note->len - 1] != '\n')
		mc_strbuf_putc(note, '\n');
	mc_strbuf_puts(note, line);
	mc_strbuf_putc(note, '\n');
}

/* One line for the note of one target (its id already resolved). */
typedef struct append_item {
	char hex[HEXSZ + 1];
	const char *line;
} append_item;

/* Items grouped by target, in the order given within a target (lines keep their order). */
static int item_cmp(const void *x, const void *y)
{
	const append_item *a = *(const append_item *const *)x, *b = *(const append_item *const *)y;
	int c = strcmp(a->hex, b->hex);
	return c ? c : (a < b ? -1 : a > b);
}

/*
 * Append a group of lines for one target: its note in base (the tip's tree, NULL: none) with
 * every line it does not hold yet (nor an earlier line of the group) added, put into the tree
 * being built (*tree_id, updated; zero: empty). *added: lines appended (0: note unchanged).
 */
static int append_group(size_t *added, git_oid *tree_id, git_repository *git,
			const git_tree *base, const append_item *const *group, size_t n)
{
	mc_strbuf note = MC_STRBUF_INIT;
	git_tree *tree = NULL;
	git_oid blob;
	char *text = NULL;
	size_t len = 0, i, left;
	int rc = read_note(&text, &len, git, base, group[0]->hex);

	*added = 0;
	if (rc == MC_ENOTFOUND)
		rc = 0;
	if (rc)
		return rc;
	mc_strbuf_add(&note, text, len);
	free(text);
	for (i = 0; i < n; i++) {
		if (has_line(mc_strbuf_str(&note), note.len, group[i]->line, strlen(group[i]->line)))
			continue;
		add_line(&note, group[i]->line);
		(*added)++;
	}
	if (!*added)
		goto out;
	if (git_blob_create_from_buffer(&blob, git, mc_strbuf_str(&note), note.len) != 0) {
		rc = mc_repo_fail(MC_EGIT, "writing a note");
		goto out;
	}
	if (!git_oid_is_zero(tree_id) && git_tree_lookup(&tree, git, tree_id) != 0) {
		rc = mc_repo_fail(MC_EGIT, "reading the notes tree");
		goto out;
	}
	rc = put_note(tree_id, &left, git, tree, group[0]->hex, 0, &blob);
out:
	git_tree_free(tree);
	mc_strbuf_release(&note);
	return rc;
}

/* "Notes added by maestro to <id>" for one target, "… to N objects" for more. */
static void append_message(char *out, size_t size, const append_item *const *sorted, size_t n)
{
	size_t i, targets = n > 0;
	for (i = 1; i < n; i++)
		targets += strcmp(sorted[i - 1]->hex, sorted[i]->hex) != 0;
	if (targets == 1)
		snprintf(out, size, "Notes added by maestro to %s\n", sorted[0]->hex);
	else
		snprintf(out, size, "Notes added by maestro to %zu objects\n", targets);
}

/* One read-modify-CAS round for every item (sorted by target), in one signed commit or
 * none when every line is already there; *lost when the ref moved meanwhile. */
static int append_once(int *appended, int *lost, git_repository *git, const char *ref,
		       const append_item *const *sorted, size_t n, const mc_notes_signer *signer)
{
	git_oid tip, tree_id, commit;
	git_tree *tree = NULL;
	char message[128];
	size_t start, end, added, total = 0;
	int exists, rc;

	*appended = *lost = 0;
	if ((rc = read_tip(&tip, &exists, git, ref)) != 0)
		return rc;
	if (exists && (rc = commit_tree(&tree, git, &tip)) != 0)
		return rc;
	if (tree)
		git_oid_cpy(&tree_id, git_tree_id(tree));
	else
		memset(&tree_id, 0, sizeof tree_id);
	for (start = 0; start < n && !rc; start = end) {
		for (end = start + 1; end < n && !strcmp(sorted[end]->hex, sorted[start]->hex); end++)
			;
		rc = append_group(&added, &tree_id, git, tree, sorted + start, end - start);
		total += added;
	}
	if (rc || total == 0)
		goto out;
	append_message(message, sizeof message, sorted, n);
	rc = create_signed_commit(&commit, git, &tree_id, exists ? &tip : NULL, exists ? 1 : 0,
				  message, signer);
	if (!rc)
		rc = move_ref(lost, git, ref, &commit, exists ? &tip : NULL, "notes: append");
	if (!rc && !*lost)
		*appended = (int)total;
out:
	git_tree_free(tree);
	return rc;
}

static int check_signer(const mc_notes_signer *signer)
{
	if (!signer || !signer->sign || !signer->name || !signer->email)
		return mc_error_set(MC_EINVAL, "notes commits need a signer with a name and email");
	return 0;
}

/* Append items under the writers' lock, by compare-and-swap, retrying a lost race. what
 * names the notes for the message when every attempt is lost. */
static int append_items(int *appended, git_repository *git, const char *ref,
			append_item *items, size_t n, const mc_notes_signer *signer,
			const char *what)
{
	const append_item **sorted = mc_xcalloc(n ? n : 1, sizeof *sorted);
	double start;
	size_t i;
	int attempt, lost = 0, rc = 0, lock;

	for (i = 0; i < n; i++)
		sorted[i] = &items[i];
	qsort(sorted, n, sizeof *sorted, item_cmp);
	start = mc_time_monotonic();
	for (attempt = 0; keep_trying(attempt, start); attempt++) {
		if (attempt > 0)
			backoff(attempt);
		lock = writers_lock(git);
		rc = append_once(appended, &lost, git, ref, sorted, n, signer);
		writers_unlock(lock);
		if (rc || !lost)
			break;
	}
	free(sorted);
	if (lost && !rc)
		return mc_error_set(MC_EGIT, "%s kept moving: another writer won all %d attempts "
				    "in %d s to append to %s", ref, attempt, RETRY_SECONDS, what);
	return rc;
}

int mc_notes_append(int *appended, mc_repo *repo, const char *ref, const char *target,
		    const char *line, const mc_notes_signer *signer)
{
	git_repository *git = mc_repo_git(repo);
	append_item item;
	char what[64];
	int rc;

	*appended = 0;
	if ((rc = check_signer(signer)) != 0 || (rc = check_line(line)) != 0 ||
	    (rc = resolve_target(item.hex, git, target)) != 0)
		return rc;
	item.line = line;
	snprintf(what, sizeof what, "the note of %s", item.hex);
	return append_items(appended, git, ref, &item, 1, signer, what);
}

int mc_notes_append_many(int *appended, mc_repo *repo, const char *ref,
			 const char *const *targets, const char *const *lines, size_t n,
			 const mc_notes_signer *signer)
{
	git_repository *git = mc_repo_git(repo);
	append_item *items;
	char what[64];
	size_t i;
	int rc;

	*appended = 0;
	if ((rc = check_signer(signer)) != 0)
		return rc;
	if (n > INT_MAX)
		return mc_error_set(MC_ELIMIT, "%zu note lines in one append; at most %d", n, INT_MAX);
	items = mc_xcalloc(n ? n : 1, sizeof *items);
	for (i = 0; i < n && !rc; i++) {
		items[i].line = lines[i];
		if ((rc = check_line(lines[i])) != 0 ||
		    (rc = resolve_target(items[i].hex, git, targets[i])) != 0)
			rc = mc_error_wrap(rc, "line %zu of %zu", i + 1, n);
	}
	snprintf(what, sizeof what, "%zu note lines", n);
	if (!rc && n > 0)
		rc = append_items(appended, git, ref, items, n, signer, what);
	free(items);
	return rc;
}

/* ---- reading ---- */

static int read_lines_in_commit(char ***lines, size_t *n, git_repository *git,
				const git_oid *commit, const char *hex)
{
	git_tree *tree = NULL;
	char *text = NULL;
	size_t len;
	int rc = commit_tree(&tree, git, commit);

	if (!rc)
		rc = read_note(&text, &len, git, tree, hex);
	if (!rc)
		split_lines(lines, n, text, len);
	free(text);
	git_tree_free(tree);
	return rc;
}

int mc_notes_read(char ***lines, size_t *n, mc_repo *repo, const char *ref, const char *target)
{
	git_repository *git = mc_repo_git(repo);
	char hex[HEXSZ + 1];
	git_oid tip;
	int exists, rc;

	*lines = NULL;
	*n = 0;
	if ((rc = resolve_target(hex, git, target)) != 0 ||
	    (rc = read_tip(&tip, &exists, git, ref)) != 0)
		return rc;
	if (!exists)
		return mc_error_set(MC_ENOTFOUND, "no notes: %s does not exist", ref);
	return read_lines_in_commit(lines, n, git, &tip, hex);
}

int mc_notes_read_at(char ***lines, size_t *n, mc_repo *repo, const char *notes_commit,
		     const char *target)
{
	git_repository *git = mc_repo_git(repo);
	char hex[HEXSZ + 1];
	git_oid commit;
	int rc;

	*lines = NULL;
	*n = 0;
	if ((rc = resolve_target(hex, git, target)) != 0 ||
	    (rc = mc_repo_resolve_commit(&commit, repo, notes_commit)) != 0)
		return rc;
	return read_lines_in_commit(lines, n, git, &commit, hex);
}

int mc_notes_foreach(mc_repo *repo, const char *ref,
		     int (*fn)(void *ctx, const char *target, const char *note, size_t len),
		     void *ctx)
{
	git_repository *git = mc_repo_git(repo);
	note_changes all = { 0 };
	git_tree *tree = NULL;
	git_oid tip;
	size_t i;
	int exists, rc;

	if ((rc = read_tip(&tip, &exists, git, ref)) != 0 || !exists)
		return rc;
	if ((rc = commit_tree(&tree, git, &tip)) != 0)
		return rc;
	rc = diff_notes(&all, git, NULL, tree);
	for (i = 0; !rc && i < all.n; i++) {
		char *text;
		size_t len;
		if ((rc = read_blob(&text, &len, git, &all.v[i].new_blob)) != 0)
			break;
		rc = fn(ctx, all.v[i].hex, text, len);
		free(text);
	}
	free(all.v);
	git_tree_free(tree);
	return rc;
}

/* ---- history ---- */

/* The payload and signature of commit id (the whole commit and "" when unsigned). */
static int commit_signature(mc_strbuf *sig, mc_strbuf *payload, git_repository *git, git_oid *id)
{
	git_buf gsig = { 0 }, gpayload = { 0 };
	git_odb *odb = NULL;
	git_odb_object *obj = NULL;
	int rc = git_commit_extract_signature(&gsig, &gpayload, git, id, NULL);

	if (rc == 0) {
		mc_strbuf_add(sig, gsig.ptr, gsig.size);
		mc_strbuf_add(payload, gpayload.ptr, gpayload.size);
	}
	git_buf_dispose(&gsig);
	git_buf_dispose(&gpayload);
	if (rc == 0)
		return 0;
	if (rc != GIT_ENOTFOUND)
		return mc_repo_fail(MC_EGIT, "reading a notes commit's signature");
	git_error_clear();
	if (git_repository_odb(&odb, git) != 0 || git_odb_read(&obj, odb, id) != 0) {
		git_odb_free(odb);
		return mc_repo_fail(MC_EGIT, "reading a notes commit");
	}
	mc_strbuf_add(payload, git_odb_object_data(obj), git_odb_object_size(obj));
	git_odb_object_free(obj);
	git_odb_free(odb);
	return 0;
}

/* The targets commit changed against each of its parents (all its notes for a root). */
static int changed_targets(note_changes *changed, git_repository *git, const git_commit *commit)
{
	git_tree *tree = NULL, *ptree = NULL;
	git_commit *parent = NULL;
	unsigned i, np = git_commit_parentcount(commit);
	int rc = 0;

	if (git_commit_tree(&tree, commit) != 0)
		return mc_repo_fail(MC_EGIT, "reading a notes commit's tree");
	if (np == 0)
		rc = diff_notes(changed, git, NULL, tree);
	for (i = 0; i < np && !rc; i++) {
		note_changes one = { 0 };
		size_t j;
		if (git_commit_parent(&parent, commit, i) != 0 || git_commit_tree(&ptree, parent) != 0)
			rc = mc_repo_fail_walk(git, "reading a notes commit's parent");
		if (!rc)
			rc = diff_notes(&one, git, ptree, tree);
		for (j = 0; !rc && j < one.n; j++) {
			mc_xgrow((void **)&changed->v, &changed->alloc, changed->n + 1,
				 sizeof *changed->v);
			changed->v[changed->n++] = one.v[j];
		}
		free(one.v);
		git_tree_free(ptree);
		git_commit_free(parent);
		ptree = NULL;
		parent = NULL;
	}
	if (!rc && np > 1) { /* one entry per target, however many parents it differs from */
		size_t j, out = 0;
		qsort(changed->v, changed->n, sizeof *changed->v, change_cmp);
		for (j = 0; j < changed->n; j++)
			if (out == 0 || strcmp(changed->v[out - 1].hex, changed->v[j].hex))
				changed->v[out++] = changed->v[j];
		changed->n = out;
	}
	git_tree_free(tree);
	return rc;
}

/* Describe one commit to fn. */
static int report_commit(git_repository *git, git_oid *id,
			 int (*fn)(void *ctx, const mc_notes_commit *c), void *ctx)
{
	git_commit *commit = NULL;
	mc_strbuf sig = MC_STRBUF_INIT, payload = MC_STRBUF_INIT;
	note_changes changed = { 0 };
	char parent_ids[2][HEXSZ + 1], **parents = NULL;
	const char **targets = NULL;
	mc_notes_commit c;
	size_t i;
	int rc;

	memset(&c, 0, sizeof c);
	if (git_commit_lookup(&commit, git, id) != 0)
		return mc_repo_fail_walk(git, "reading a notes commit");
	rc = commit_signature(&sig, &payload, git, id);
	if (!rc)
		rc = changed_targets(&changed, git, commit);
	if (!rc) {
		git_oid_tostr(c.oid, sizeof c.oid, id);
		c.signed_data = mc_strbuf_str(&payload);
		c.signed_len = payload.len;
		c.signature = mc_strbuf_str(&sig);
		c.signature_len = sig.len;
		c.nparents = git_commit_parentcount(commit);
		parents = mc_xcalloc(c.nparents + 1, sizeof *parents);
		for (i = 0; i < c.nparents; i++)
			parents[i] = i < 2 ? parent_ids[i] : mc_xmalloc(HEXSZ + 1);
		for (i = 0; i < c.nparents; i++)
			git_oid_tostr(parents[i], HEXSZ + 1, git_commit_parent_id(commit, (unsigned)i));
		c.parents = (const char *const *)parents;
		targets = mc_xcalloc(changed.n + 1, sizeof *targets);
		for (i = 0; i < changed.n; i++)
			targets[i] = changed.v[i].hex;
		c.changed_targets = targets;
		c.nchanged = changed.n;
		rc = fn(ctx, &c);
	}
	for (i = 2; i < c.nparents; i++)
		free(parents[i]);
	free(parents);
	free(targets);
	free(changed.v);
	mc_strbuf_release(&sig);
	mc_strbuf_release(&payload);
	git_commit_free(commit);
	return rc;
}

int mc_notes_history(mc_repo *repo, const char *ref, int (*fn)(void *ctx, const mc_notes_commit *c),
		     void *ctx)
{
	git_repository *git = mc_repo_git(repo);
	git_revwalk *walk = NULL;
	git_oid tip, id;
	int exists, rc, next;

	if ((rc = read_tip(&tip, &exists, git, ref)) != 0)
		return rc;
	if (!exists)
		return mc_error_set(MC_ENOTFOUND, "no notes: %s does not exist", ref);
	if (git_revwalk_new(&walk, git) != 0 ||
	    git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME) != 0 ||
	    git_revwalk_push(walk, &tip) != 0) {
		git_revwalk_free(walk);
		return mc_repo_fail(MC_EGIT, ref);
	}
	while (!rc && (next = git_revwalk_next(&id, walk)) == 0)
		rc = report_commit(git, &id, fn, ctx);
	if (!rc && next != GIT_ITEROVER)
		rc = mc_repo_fail_walk(git, ref);
	git_revwalk_free(walk);
	return rc;
}

/* ---- merge ---- */

/* A blob's lines appended to v (none for a zero id), as git's string_list_split does. */
static int blob_lines(char ***v, size_t *n, git_repository *git, const git_oid *id)
{
	char **lines = NULL, *text;
	size_t count = 0, len, i;
	int rc;

	if (git_oid_is_zero(id))
		return 0;
	if ((rc = read_blob(&text, &len, git, id)) != 0)
		return rc;
	split_lines(&lines, &count, text, len);
	free(text);
	*v = mc_xrealloc(*v, (*n + count + 1) * sizeof **v);
	for (i = 0; i < count; i++)
		(*v)[(*n)++] = lines[i];
	free(lines);
	return 0;
}

static int line_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* git's combine_notes_cat_sort_uniq: both notes' non-empty lines, sorted, each once. */
static int cat_sort_uniq(git_oid *out, git_repository *git, const git_oid *ours,
			 const git_oid *theirs)
{
	char **lines = NULL;
	size_t n = 0, i;
	mc_strbuf text = MC_STRBUF_INIT;
	int rc = blob_lines(&lines, &n, git, ours);

	if (!rc)
		rc = blob_lines(&lines, &n, git, theirs);
	if (!rc) {
		qsort(lines, n, sizeof *lines, line_cmp);
		for (i = 0; i < n; i++) {
			if (i > 0 && !strcmp(lines[i - 1], lines[i]))
				continue;
			mc_strbuf_puts(&text, lines[i]);
			mc_strbuf_putc(&text, '\n');
		}
		if (git_blob_create_from_buffer(out, git, mc_strbuf_str(&text), text.len) != 0)
			rc = mc_repo_fail(MC_EGIT, "writing a merged note");
	}
	mc_notes_lines_free(lines, n);
	mc_strbuf_release(&text);
	return rc;
}

/*
 * The tree of a merge of theirs into ours, as git's notes merge makes it: start from ours;
 * for each target theirs changed since the merge base, take their note when ours did not
 * change it, keep ours when both made the same change, else cat_sort_uniq both.
 */
static int merge_trees(git_oid *out, git_repository *git, const git_oid *ours,
		       const git_oid *theirs)
{
	git_tree *base_tree = NULL, *our_tree = NULL, *their_tree = NULL, *result = NULL;
	note_changes changes = { 0 };
	git_oid base;
	size_t i, left;
	int rc = git_merge_base(&base, git, ours, theirs);

	if (rc == GIT_ENOTFOUND) /* unrelated histories: git merges against no notes */
		rc = 0;
	else if (rc != 0)
		return mc_repo_fail_walk(git, "finding the notes' merge base");
	else if ((rc = commit_tree(&base_tree, git, &base)) != 0)
		return rc;
	if (!rc && (rc = commit_tree(&our_tree, git, ours)) == 0)
		rc = commit_tree(&their_tree, git, theirs);
	if (!rc)
		rc = diff_notes(&changes, git, base_tree, their_tree);
	if (!rc)
		git_oid_cpy(out, git_tree_id(our_tree));
	for (i = 0; !rc && i < changes.n; i++) {
		const note_change *ch = &changes.v[i];
		git_oid local = { { 0 } }, merged;
		const git_oid *put;
		int found;

		git_tree_free(result);
		result = NULL;
		if (git_tree_lookup(&result, git, out) != 0) {
			rc = mc_repo_fail(MC_EGIT, "reading the merged notes tree");
			break;
		}
		if ((rc = find_note(&local, &found, git, result, ch->hex)) != 0)
			break;
		if (git_oid_equal(&local, &ch->new_blob))
			continue; /* the same change on both sides */
		if (git_oid_equal(&local, &ch->old_blob)) {
			put = git_oid_is_zero(&ch->new_blob) ? NULL : &ch->new_blob;
		} else {
			if ((rc = cat_sort_uniq(&merged, git, &local, &ch->new_blob)) != 0)
				break;
			put = &merged;
		}
		rc = put_note(out, &left, git, result, ch->hex, 0, put);
	}
	free(changes.v);
	git_tree_free(result);
	git_tree_free(base_tree);
	git_tree_free(our_tree);
	git_tree_free(their_tree);
	return rc;
}

/* One round of mc_notes_merge against the ref's current tip. */
static int merge_once(int *result, int *lost, git_repository *git, const char *ref,
		      const git_oid *theirs, const mc_notes_signer *signer)
{
	git_oid ours, tree_id, commit, parents[2];
	char message[128], hex[HEXSZ + 1];
	int exists, rc;

	*result = *lost = 0;
	if ((rc = read_tip(&ours, &exists, git, ref)) != 0)
		return rc;
	if (exists && (git_oid_equal(&ours, theirs) || git_graph_descendant_of(git, &ours, theirs) == 1))
		return 0;
	if (!exists || git_graph_descendant_of(git, theirs, &ours) == 1) {
		*result = 1;
		return move_ref(lost, git, ref, theirs, exists ? &ours : NULL, "notes: fast-forward");
	}
	if ((rc = merge_trees(&tree_id, git, &ours, theirs)) != 0)
		return rc;
	git_oid_cpy(&parents[0], &ours);
	git_oid_cpy(&parents[1], theirs);
	git_oid_tostr(hex, sizeof hex, theirs);
	snprintf(message, sizeof message, "Notes merged by maestro from %s (cat_sort_uniq)\n", hex);
	if ((rc = create_signed_commit(&commit, git, &tree_id, parents, 2, message, signer)) != 0)
		return rc;
	*result = 2;
	return move_ref(lost, git, ref, &commit, &ours, "notes: merge");
}

int mc_notes_merge(int *result, mc_repo *repo, const char *ref, const char *theirs,
		   const mc_notes_signer *signer)
{
	git_repository *git = mc_repo_git(repo);
	git_oid their_id;
	double start;
	int attempt, lost = 0, rc, lock;

	*result = 0;
	if ((rc = check_signer(signer)) != 0 ||
	    (rc = mc_repo_resolve_commit(&their_id, repo, theirs)) != 0)
		return rc;
	start = mc_time_monotonic();
	for (attempt = 0; keep_trying(attempt, start); attempt++) {
		if (attempt > 0)
			backoff(attempt);
		lock = writers_lock(git);
		rc = merge_once(result, &lost, git, ref, &their_id, signer);
		writers_unlock(lock);
		if (rc || !lost)
			return rc;
	}
	*result = 0;
	return mc_error_set(MC_EGIT, "%s kept moving: another writer won all %d attempts in %d s "
			    "to merge %s", ref, attempt, RETRY_SECONDS, theirs);
}
