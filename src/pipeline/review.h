/*
 * The local review pipeline: for one change in one repository, gather the
 * facts, read the configuration from the base commit (a change must not
 * loosen its own gates), collect the signals in its commits and labels,
 * score it, run the policy gates and build the Decision Card, as JSON and
 * as Markdown. `maestro review`, the pre-push hook and (later) the daemon's
 * worker all run this one function.
 */
#ifndef MC_PIPELINE_REVIEW_H
#define MC_PIPELINE_REVIEW_H
#include <json-c/json.h>
#include <stddef.h>
#include <time.h>

#include "model/canary.h"
#include "model/cf.h"
#include "pipeline/config_at.h"
#include "pipeline/facts.h"

typedef struct mc_review_options {
	const char *repo_path;        /* any path inside the repository; NULL means "." */
	const char *range;            /* NULL: merge-base(default branch, head)..head */
	const char *head;             /* the tip when range is NULL; NULL means HEAD */
	const char *const *labels;    /* labels the change carries (the forge's, or --label) */
	size_t nlabels;
	int no_cache;                 /* mine history into memory only, leave the cache alone */
	int no_record;                /* do not record the card as signed evidence */
	int no_portfolio;             /* do not store the change as a portfolio work item */
	time_t now;                   /* the card's generation time; 0 means time(NULL) */
	/* A change from a forge: the repository's name on the card ("owner/name"), the
	 * portfolio item's id ("owner/name#12") and title (the PR's). NULL: as reviewed
	 * locally (the directory's name, the branch, the head commit's subject). */
	const char *repository;
	const char *item_id;
	const char *item_title;
	/* Where agents' contracts and escalations are kept (the daemon's store), borrowed;
	 * NULL: the history cache's file, where `maestro negotiate` keeps them. The card's
	 * contract section shows the one for the change's task, its portfolio item id. */
	mc_store *agents;
	/* The shadow canary's judgement of this change (pipeline/canary_verdict.h), or
	 * NULL when it did not run: the card's canary section and the canary gate (a
	 * failing canary fails the policy verdict with its reason). */
	const mc_canary_judgement *canary;
	/* The change's deltas for the counterfactual simulation, which runs when the base's
	 * config names simulate.trace: specs as `maestro simulate --delta` takes them (the
	 * command line), else canary_deltas (the shadow canary's measurement, made with
	 * mc_canary_result_deltas; borrowed), else the deltas of the offer contracted for
	 * the task (item_id's contract in the agents' store), else simulate.deltas. */
	const char *const *deltas;
	size_t ndeltas;
	const mc_cf_deltas *canary_deltas;
} mc_review_options;

typedef struct mc_review {
	struct json_object *card;     /* the card document (schemas/decision-card.schema.json) */
	char *markdown;               /* the card rendered from templates/decision-card.md */
	int passed;                   /* every applicable policy gate passed */
	mc_history_stats history;     /* what the history cache did */
	char *cache_path;             /* the cache file used, or NULL when in memory */
	int recorded;                 /* the card was appended to refs/notes/maestro */
	char *evidence_note;          /* what happened to the evidence, for people */
} mc_review;

/*
 * Review one change. Errors carry a one-line message and a code the CLI maps to
 * its exit status: MC_EENV not a repository, MC_EINVAL unknown revision,
 * MC_EEMPTY empty range, MC_ECONFIG a bad configuration file. The card is recorded
 * as signed evidence about the head commit when the configuration asks for it
 * (evidence.record) and a signing key is configured; a configured key that cannot
 * sign is an error (MC_EENV), no key at all only a note in evidence_note.
 * A reviewed change is then stored as a work item of the portfolio
 * (pipeline/portfolio.h) in the history cache's file, unless no_portfolio or
 * no_cache (which leaves that file alone); failing to store it is a warning.
 */
int mc_review_run(mc_review *out, const mc_review_options *opt);

/* The card document as Markdown (templates/decision-card.md); free() *out. */
int mc_review_render_markdown(char **out, struct json_object *card);
void mc_review_free(mc_review *review);


#endif
