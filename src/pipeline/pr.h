/*
 * One pull request on a forge through the pipeline: read what the PR is now,
 * bring its commits into a local repository, review it (pipeline/review.c), and
 * publish the result: the sticky Decision Card comment, the commit status
 * maestro/decision on the head, and the card as signed evidence (review records
 * it as configured; an identical card for the same head is never appended twice).
 *
 * Idempotent by construction, because the daemon processes events at least once:
 * it always reviews the PR's current head (an old event for a force-pushed PR
 * reviews the new head), the comment is edited only when its text changed, the
 * status is set to the same value again, and the evidence de-duplicates.
 */
#ifndef MC_PIPELINE_PR_H
#define MC_PIPELINE_PR_H
#include <json-c/json.h>
#include <stdint.h>
#include <time.h>

#include "adapters/forge/forge.h"
#include "adapters/git/remote.h"
#include "adapters/store/db.h"

/* The hidden marker that finds the card's comment among a PR's comments. */
#define MC_PR_CARD_MARKER "<!-- maestro:decision-card -->"
#define MC_PR_STATUS_CONTEXT "maestro/decision"

typedef struct mc_pr_options {
	mc_forge *forge;
	const char *repo;                 /* owner/name (local forge: the repository's path) */
	int64_t number;
	/* GitHub and Gitea: the PR's commits are fetched into
	 * <mirror_dir>/<owner>+<name>.git (created when absent). */
	const char *mirror_dir;
	/* Fetching over https uses the forge's current git token (mc_forge_git_token: the
	 * PAT, or the App's installation token, renewed as it expires). It goes into the
	 * clone URL as credentials, which remote.c redacts from messages. */
	const mc_remote_options *remote;  /* ssh key, known_hosts, timeouts; may be NULL */
	/* An auditor's hold (adapters/store/pr_state.h): shown above the card and turns the
	 * status into a failure until lifted. NULL: not held. */
	const char *hold_by;
	const char *hold_reason;
	/* The daemon's store, where agents' offers (`/maestro offer`, POST /v1/offers),
	 * contracts and records are kept, borrowed. Set: before the review the PR's task
	 * (its portfolio item id) is negotiated when someone offered for it (the policy is
	 * the base's config, like the review's), and the card shows its contract or
	 * escalation. NULL: the repository's cache.db, nothing negotiated. */
	mc_store *agents;
	/* Run the shadow canary on the PR's base..head first (pipeline/canary_verdict.h:
	 * in the sandbox, with the base's canary.* settings) and put its judgement on the
	 * card, where a failing canary fails the status. Only for code a writer vouched
	 * for: the daemon sets it for `/maestro canary` from a commenter with write access. */
	int canary;
	time_t now;                       /* 0: time(NULL) */
} mc_pr_options;

/* Where a PR lives on this machine. */
typedef struct mc_pr_location {
	char *path;       /* the repository to review in: the local one, or the mirror */
	char *base_rev;   /* the base branch's tip there */
	char *item_id;    /* its portfolio item: "owner/name#N", or the branch on the local forge */
} mc_pr_location;

/* Locate pr (as the forge reports it now), fetching its base and head into the mirror
 * first when the forge is not local. */
int mc_pr_locate(mc_pr_location *out, const mc_pr_options *opt, const mc_forge_pr *pr);
void mc_pr_location_clear(mc_pr_location *loc);

typedef struct mc_pr_result {
	int skipped;            /* the PR is closed or merged: nothing reviewed or posted */
	char head_sha[41];
	int passed;             /* every policy gate passed */
	int comment_changed;    /* the sticky comment was created or edited */
	int64_t comment_id;
	int recorded;           /* the card was appended as evidence just now */
	const char *status;     /* the commit status set: "success" or "failure" (static) */
	char *evidence_note;    /* what happened to the evidence, for logs */
	char *canary_note;      /* with opt->canary: the verdict, or why there is none */
	struct json_object *card; /* the Decision Card document (owned) */
} mc_pr_result;

int mc_pr_review(mc_pr_result *out, const mc_pr_options *opt);

/* Negotiate the PR's task (loc->item_id) with the offers stored in opt->agents and
 * those in the head's .maestro/offers, under the base's config. Nothing happens when
 * nobody offered, or the task has a contract already. */
int mc_pr_negotiate(const mc_pr_options *opt, const mc_pr_location *loc, const char *head_sha);
void mc_pr_result_free(mc_pr_result *result);

/* The URL to fetch a forge repository from, with the token as https credentials
 * ("https://x-access-token:TOKEN@host/path"); the clone URL as it is when there is no
 * token, the URL is not https, or it already names a user. free() it. */
char *mc_pr_fetch_url(const char *clone_url, const char *token);

/* In a mirror, the symbolic ref to the tracking ref of the repository's default branch
 * (refs/maestro/base/<branch>), as the forge named it in the last pull request fetched. */
#define MC_PR_DEFAULT_BRANCH_REF "refs/maestro/default"

/* Where a forge repository's commits are kept: <mirror_dir>/<owner>+<name>.git.
 * MC_EINVAL for a name that is not owner/name. free() it. */
int mc_pr_mirror_path(char **out, const char *mirror_dir, const char *repo);

#endif
