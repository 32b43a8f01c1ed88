/*
 * The facts stage: everything git can tell about a change BASE..HEAD before any
 * judgement. It resolves the range, lists its commits and changed files, and
 * computes the fourteen Kamei change features (model/features.h): size and
 * diffusion from the diff, history and experience from the history cache,
 * which it first brings up to date by mining only the commits it has not seen.
 */
#ifndef MC_PIPELINE_FACTS_H
#define MC_PIPELINE_FACTS_H
#include <stddef.h>

#include "adapters/git/diff.h"
#include "adapters/git/range.h"
#include "adapters/git/repo.h"
#include "adapters/store/history_cache.h"
#include "model/features.h"

typedef struct mc_facts_options {
	const char *range;           /* "A..B", "A...B", "R" or NULL for default_branch..HEAD */
	const char *default_branch;  /* needed when range is NULL */
	mc_store *store;             /* the store holding the history cache */
	mc_history_cache *history;   /* the cache, open on store */
	size_t max_files;            /* 0: the diff adapter's default limit */
} mc_facts_options;

typedef struct mc_history_stats {
	unsigned mined;        /* commits walked and stored by this run */
	unsigned cached;       /* commits the cache held before it */
	int tip_was_mined;     /* the base's history was complete in the cache already */
	double seconds;        /* spent bringing the cache up to date */
} mc_history_stats;

typedef struct mc_facts {
	mc_range range;
	mc_commit_info *commits;   /* in the range, newest first */
	size_t ncommits;
	int merge_only;            /* every commit in the range is a merge */
	mc_file_change *files;
	size_t nfiles;
	const char *author_email;  /* the head commit's author (points into commits) */
	mc_change_features features;
	mc_history_stats history;
} mc_facts;

/* Gather the facts of a change. On error *out is empty (mc_facts_free is still safe). */
int mc_facts_gather(mc_facts *out, mc_repo *repo, const mc_facts_options *opt);
void mc_facts_free(mc_facts *facts);

/* Bring the cache up to date with the history of tip (a commit id): walk only the
 * commits not reachable from a tip mined before, store them in batches, then mark
 * tip mined. mc_facts_gather calls it for the range's base. */
int mc_facts_mine(mc_history_stats *stats, mc_repo *repo, mc_store *store,
		  mc_history_cache *history, const char *tip);

#endif
