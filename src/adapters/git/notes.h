/*
 * The evidence store in git notes (libgit2 only): a commit's note on
 * refs/notes/maestro holds JSON Lines, one signed envelope per line, appended and
 * never rewritten. Every notes commit carries a gpgsig header made by a signer
 * callback (this adapter does not sign by itself: adapters use only util), so an
 * auditor checks the history with `git log --show-signature` / `git verify-commit`.
 * The ref moves only by compare-and-swap; a lost race re-reads and retries.
 *
 * Layout: a note lives at its target's 40-hex name, either flat in the notes tree
 * or under 2-character fanout directories (ab/cdef…), whichever git or this module
 * wrote; both are read. New levels fan out once they hold more than 256 notes, so
 * an append rewrites a few small trees instead of one tree of every note.
 */
#ifndef MC_ADAPTERS_GIT_NOTES_H
#define MC_ADAPTERS_GIT_NOTES_H
#include <stddef.h>

#include "adapters/git/repo.h"

#define MC_NOTES_REF "refs/notes/maestro"
/* The longest line a note accepts (an envelope with its payload). */
#define MC_NOTES_MAX_LINE (1024 * 1024)

/* Signs a commit buffer: returns an ASCII-armored detached OpenPGP signature (malloc'd) or an MC_E* code with the error set. */
typedef int (*mc_notes_sign_fn)(void *ctx, const char *buf, size_t len, char **armored_sig);
typedef struct mc_notes_signer {
	mc_notes_sign_fn sign;
	void *ctx;
	const char *name, *email; /* author and committer of notes commits */
} mc_notes_signer;

/*
 * Append line (no newline inside; at most 1 MiB) to the note of target (a commit/tag id or
 * revision) on ref. A line already in the note is not appended again (*appended = 0). The ref
 * moves by compare-and-swap with the tip read before; on a lost race it re-reads and retries
 * (at most 50 tries, with a small randomized backoff), never overwriting. MC_EINVAL for a bad
 * line or target; the signer's error when it fails (nothing is written then); MC_EGIT when the
 * race is lost every time.
 */
int mc_notes_append(int *appended, mc_repo *repo, const char *ref, const char *target,
		    const char *line, const mc_notes_signer *signer);

/*
 * mc_notes_append for many lines at once, in one signed notes commit: lines[i] goes to the
 * note of targets[i] (targets may repeat; the lines of one target keep their order). A line
 * its note already holds, or that an earlier item gives the same target, is skipped;
 * *appended is how many lines were appended (no commit at all when none). Every line and
 * target is checked before anything is written (MC_EINVAL/MC_ELIMIT naming the item); the
 * same lock, compare-and-swap and retries as mc_notes_append.
 */
int mc_notes_append_many(int *appended, mc_repo *repo, const char *ref,
			 const char *const *targets, const char *const *lines, size_t n,
			 const mc_notes_signer *signer);

/* The note's lines for target at ref's tip (or at a given notes commit with mc_notes_read_at);
 * MC_ENOTFOUND when no note (or no ref). Empty lines are skipped. lines are malloc'd; free
 * with mc_notes_lines_free. */
int mc_notes_read(char ***lines, size_t *n, mc_repo *repo, const char *ref, const char *target);
int mc_notes_read_at(char ***lines, size_t *n, mc_repo *repo, const char *notes_commit,
		     const char *target);
void mc_notes_lines_free(char **lines, size_t n);

/* Every annotated object on ref with its note text (not NUL-terminated within len, but
 * followed by a NUL). A ref that does not exist has no notes: 0. fn returning non-zero stops
 * the walk and that value is returned. */
int mc_notes_foreach(mc_repo *repo, const char *ref,
		     int (*fn)(void *ctx, const char *target, const char *note, size_t len),
		     void *ctx);

/*
 * Every commit of ref's history (newest first): its id, the signed payload (the commit buffer
 * without the gpgsig header, exactly what git verify-commit checks; the whole commit when
 * unsigned), the armored signature ("" when unsigned), parent ids, and the targets whose note
 * differs from the first parent's (for a merge: from any parent; for a root commit: every
 * note). A note that only moved between flat and fanout paths is not a change. fn returning
 * non-zero stops the walk and that value is returned. A missing ref is MC_ENOTFOUND.
 */
typedef struct mc_notes_commit {
	char oid[41];
	const char *signed_data;
	size_t signed_len;
	const char *signature;
	size_t signature_len;
	const char *const *parents;
	size_t nparents;
	const char *const *changed_targets;
	size_t nchanged;
} mc_notes_commit;
int mc_notes_history(mc_repo *repo, const char *ref, int (*fn)(void *ctx, const mc_notes_commit *c),
		     void *ctx);

/*
 * Line-wise merge, the result `git notes merge -s cat_sort_uniq` gives: merge the notes commit
 * `theirs` (a revision, e.g. refs/notes/remotes/origin/maestro) into ref. If theirs is already
 * contained → nothing; if ref is contained in theirs (or does not exist) → move ref to theirs
 * by CAS (fast-forward); else a signed merge commit with both parents, ref first. As in git's
 * three-way notes merge, a target changed on one side only takes that side's note, and a
 * target changed on both sides gets the sorted unique union of both sides' lines.
 * *result: 0 nothing, 1 fast-forward, 2 merge commit. A ref that moves meanwhile is re-read
 * and the merge retried, never overwritten.
 */
int mc_notes_merge(int *result, mc_repo *repo, const char *ref, const char *theirs,
		   const mc_notes_signer *signer);

#endif
