/*
 * The facts stage (facts.h). Time in the history features is the change's own
 * time, never the clock: history counts commits dated before the base commit
 * (so a newer mainline commit cached by another review does not leak in) and
 * ages are measured at the head commit's date, which makes a review of the same
 * range give the same features on any machine, any day.
 */
#include "pipeline/facts.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "adapters/git/history.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/path.h"
#include "util/time.h"

/* Commits stored per transaction while mining: enough that committing is a small
 * share of the work, few enough that a transaction lasts a fraction of a second, so
 * a second review mining the same cache waits well within the store's busy timeout. */
#define MINE_BATCH 5000

struct mine_ctx {
	mc_store *store;
	mc_history_cache *history;
	unsigned in_batch;
};

static int store_commit(void *arg, const mc_history_commit *c)
{
	struct mine_ctx *ctx = arg;
	int rc = mc_history_cache_add_commit(ctx->history, c->oid, c->author_email, c->author_time,
					     c->fix, c->parent_count > 1, c->paths, c->npaths);
	if (rc)
		return rc;
	if (++ctx->in_batch < MINE_BATCH)
		return 0;
	ctx->in_batch = 0;
	if ((rc = mc_store_commit(ctx->store)) != 0)
		return rc;
	return mc_store_begin(ctx->store);
}

static void free_tips(char **tips, size_t n)
{
	while (n)
		free(tips[--n]);
	free(tips);
}

/* Walk and store the history of tip that no mined tip covers. Commits stored by an
 * interrupted run stay (adding is idempotent); only a finished walk marks tip mined,
 * which is what later walks trust as a stop. */
static int walk_and_store(mc_history_stats *stats, mc_repo *repo, mc_store *store,
			  mc_history_cache *history, const char *tip)
{
	struct mine_ctx ctx = { store, history, 0 };
	char **tips = NULL;
	size_t ntips = 0;
	int rc;

	if ((rc = mc_history_cache_mined_tips(&tips, &ntips, history)) != 0)
		return rc;
	if ((rc = mc_store_begin(store)) != 0)
		goto out;
	rc = mc_history_walk(&stats->mined, repo, tip, (const char *const *)tips, ntips,
			     store_commit, &ctx);
	if (!rc)
		rc = mc_history_cache_mark_mined(history, tip, (int64_t)time(NULL));
	if (!rc)
		rc = mc_store_commit(store);
	if (rc)
		mc_store_rollback(store);
out:
	free_tips(tips, ntips);
	return rc;
}

int mc_facts_mine(mc_history_stats *stats, mc_repo *repo, mc_store *store,
		  mc_history_cache *history, const char *tip)
{
	double start = mc_time_monotonic();
	int rc;

	memset(stats, 0, sizeof *stats);
	if ((rc = mc_history_cache_count_commits(&stats->cached, history)) != 0 ||
	    (rc = mc_history_cache_is_mined(&stats->tip_was_mined, history, tip)) != 0)
		return mc_error_wrap(rc, "history cache");
	if (!stats->tip_was_mined && (rc = walk_and_store(stats, repo, store, history, tip)) != 0)
		return mc_error_wrap(rc, "mining the history of %.12s", tip);
	stats->seconds = mc_time_monotonic() - start;
	return 0;
}

static void measure_files(mc_facts *f)
{
	mc_feature_file *files = mc_xmalloc(sizeof *files * (f->nfiles ? f->nfiles : 1));
	size_t i;
	for (i = 0; i < f->nfiles; i++) {
		files[i].path = f->files[i].path;
		files[i].added = f->files[i].added;
		files[i].deleted = f->files[i].deleted;
		files[i].lt = f->files[i].lt;
	}
	mc_features_measure_files(&f->features, files, f->nfiles);
	free(files);
}

/* Kamei's fix flag for a range: any of its commits is a fix. */
static int range_is_fix(const mc_facts *f)
{
	size_t i;
	for (i = 0; i < f->ncommits; i++)
		if (mc_history_message_is_fix(f->commits[i].message))
			return 1;
	return 0;
}

/* The paths whose history counts: where each changed file lived at base. */
static const char **paths_at_base(const mc_facts *f, size_t *n)
{
	const char **paths = mc_xmalloc(sizeof *paths * (f->nfiles ? f->nfiles : 1));
	size_t i;
	*n = 0;
	for (i = 0; i < f->nfiles; i++)
		if (f->files[i].status != 'A')
			paths[(*n)++] = f->files[i].old_path ? f->files[i].old_path : f->files[i].path;
	return paths;
}

/* The distinct subsystems of the changed files, as the history cache names them. */
static char **subsystems_of(const mc_facts *f, size_t *n)
{
	char **subs = mc_xmalloc(sizeof *subs * (f->nfiles ? f->nfiles : 1));
	size_t i, j;
	*n = 0;
	for (i = 0; i < f->nfiles; i++) {
		size_t len = mc_path_subsystem_len(f->files[i].path);
		char *s = len ? mc_xstrndup(f->files[i].path, len) : mc_xstrdup(MC_PATH_ROOT);
		for (j = 0; j < *n && strcmp(subs[j], s); j++)
			;
		if (j < *n)
			free(s);
		else
			subs[(*n)++] = s;
	}
	return subs;
}

static int history_features(mc_facts *f, mc_repo *repo, mc_history_cache *history)
{
	const mc_commit_info *head = &f->commits[0];
	mc_commit_info *base = NULL;
	mc_file_history fh;
	mc_author_history ah;
	const char **paths;
	char **subs;
	size_t npaths, nsubs;
	int64_t before, now = head->author_time;
	int rc;

	if ((rc = mc_range_commit(&base, repo, f->range.base)) != 0)
		return rc;
	before = base->author_time + 1;
	mc_commit_info_free(base, 1);
	paths = paths_at_base(f, &npaths);
	subs = subsystems_of(f, &nsubs);
	rc = mc_history_cache_file_history(&fh, history, paths, npaths, before, now);
	if (!rc)
		rc = mc_history_cache_author_history(&ah, history, f->author_email,
						     (const char *const *)subs, nsubs, before, now);
	free(paths);
	while (nsubs)
		free(subs[--nsubs]);
	free(subs);
	if (rc)
		return mc_error_wrap(rc, "history cache");
	f->features.v[MC_F_NDEV] = (double)fh.ndev;
	f->features.v[MC_F_AGE] = fh.age_days;
	f->features.v[MC_F_NUC] = (double)fh.nuc;
	f->features.v[MC_F_EXP] = (double)ah.exp;
	f->features.v[MC_F_REXP] = ah.rexp;
	f->features.v[MC_F_SEXP] = (double)ah.sexp;
	return 0;
}

static int all_merges(const mc_commit_info *commits, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (commits[i].parent_count < 2)
			return 0;
	return n > 0;
}

int mc_facts_gather(mc_facts *out, mc_repo *repo, const mc_facts_options *opt)
{
	mc_diff_options diff_opts = { opt->max_files };
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = mc_range_resolve(&out->range, repo, opt->range, opt->default_branch)) != 0 ||
	    (rc = mc_range_commits(&out->commits, &out->ncommits, repo, &out->range)) != 0 ||
	    (rc = mc_diff_files(&out->files, &out->nfiles, repo, out->range.base, out->range.head,
				&diff_opts)) != 0)
		goto fail;
	out->merge_only = all_merges(out->commits, out->ncommits);
	out->author_email = out->commits[0].author_email;
	measure_files(out);
	out->features.v[MC_F_FIX] = range_is_fix(out);
	if ((rc = mc_facts_mine(&out->history, repo, opt->store, opt->history,
				out->range.base)) != 0 ||
	    (rc = history_features(out, repo, opt->history)) != 0)
		goto fail;
	return 0;
fail:
	mc_facts_free(out);
	return rc;
}

void mc_facts_free(mc_facts *facts)
{
	mc_range_free(&facts->range);
	mc_commit_info_free(facts->commits, facts->ncommits);
	mc_file_changes_free(facts->files, facts->nfiles);
	memset(facts, 0, sizeof *facts);
}
