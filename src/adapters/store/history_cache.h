/*
 * The history cache: which commits exist (author, date, fix flag, merge or not),
 * which paths each touched, and which tips have been mined completely (every
 * commit reachable from them is stored). Mining a tip and marking it mined
 * happen in one transaction, so the cache is always closed under ancestry and
 * a later walk can stop at any mined tip.
 *
 * The queries answer Kamei's history and experience features. "Before T"
 * means dated (author date) strictly before T; merge commits are stored but not
 * counted, because the work they bring in is counted through its own commits.
 */
#ifndef MC_ADAPTERS_STORE_HISTORY_CACHE_H
#define MC_ADAPTERS_STORE_HISTORY_CACHE_H
#include <stddef.h>
#include <stdint.h>

#include "adapters/store/db.h"

typedef struct mc_history_cache mc_history_cache;

int mc_history_cache_open(mc_history_cache **out, mc_store *store);
void mc_history_cache_free(mc_history_cache *hc);

/* Store a commit and its touched paths, all or nothing (in its own BEGIN IMMEDIATE
 * transaction, or a savepoint inside the caller's); a commit already stored is left
 * as it is. */
int mc_history_cache_add_commit(mc_history_cache *hc, const char *oid, const char *author_email,
				int64_t time, int fix, int merge, const char *const *paths,
				size_t npaths);
int mc_history_cache_has_commit(int *out, mc_history_cache *hc, const char *oid);
int mc_history_cache_count_commits(unsigned *out, mc_history_cache *hc);

/* Tips whose whole history is stored. */
int mc_history_cache_mark_mined(mc_history_cache *hc, const char *tip, int64_t now);
int mc_history_cache_is_mined(int *out, mc_history_cache *hc, const char *tip);
/* All mined tips (free each and the array). */
int mc_history_cache_mined_tips(char ***out, size_t *n, mc_history_cache *hc);

typedef struct mc_file_history {
	unsigned long nuc;        /* distinct commits that touched any of the paths */
	unsigned long ndev;       /* distinct authors of those commits */
	double age_days;          /* mean over paths with history of (now - last change) in days */
	unsigned long files_with_history;
} mc_file_history;

/* History of the given paths before `before`; ages are measured at `now`. */
int mc_history_cache_file_history(mc_file_history *out, mc_history_cache *hc,
				  const char *const *paths, size_t npaths, int64_t before,
				  int64_t now);

typedef struct mc_author_history {
	unsigned long exp;   /* the author's commits */
	double rexp;         /* sum over them of 1 / (years before now + 1) */
	unsigned long sexp;  /* the author's commits touching any of the subsystems */
} mc_author_history;

/* subsystems are top-level directory names (util/path.h), MC_PATH_ROOT for root files. */
int mc_history_cache_author_history(mc_author_history *out, mc_history_cache *hc,
				    const char *author_email, const char *const *subsystems,
				    size_t nsubsystems, int64_t before, int64_t now);

#endif
