/*
 * Slash-commands carried out: a PR comment's /maestro lines (model/slash.c)
 * checked against the forge's permissions and the configured auditors, applied
 * once each (a redelivered or edited comment repeats nothing already done),
 * answered with a reaction on the comment, and — for every refused or mistyped
 * line, and for explain and help — one short reply. Overrides go through the one
 * function the CLI uses (pipeline/priority.c); holds are stored in the daemon's
 * state and recorded as signed evidence. When anything changed, the card is
 * reviewed and published again, so it shows the change.
 *
 * On an issue (on_issue) there is no card, diff or head: priority raise, drop and
 * set override the issue's work item ("owner/name!N", pipeline/issue.h) with the same
 * permission rule as on a PR (write access), recompute refreshes the item, help
 * answers; hold, unhold, explain, canary and offer are refused with a reply saying
 * they work on pull requests only.
 */
#ifndef MC_PIPELINE_SLASH_H
#define MC_PIPELINE_SLASH_H
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "adapters/store/db.h"
#include "adapters/store/pr_state.h"
#include "pipeline/pr.h"

/* How long a forge's answer about a user's permission is trusted. */
#define MC_SLASH_PERMISSION_CACHE_S 60

typedef struct mc_slash_request {
	mc_pr_options pr;             /* forge, repo, number, mirror and fetch settings */
	mc_store *state;              /* the daemon's store (holds, commands carried out) */
	int64_t comment_id;
	const char *author;           /* the comment's author (login) */
	const char *body;
	size_t body_len;
	const char *const *auditors;  /* logins allowed to hold and unhold */
	size_t nauditors;
	const char *bot_login;        /* the bot's own login: its comments are never commands */
	int on_issue;                 /* pr.number is an issue, not a pull request */
} mc_slash_request;

typedef struct mc_slash_outcome {
	unsigned accepted;     /* lines carried out now */
	unsigned refused;      /* lines refused (permission) or mistyped */
	unsigned repeated;     /* lines carried out before, left alone */
	int reviewed;          /* the card was reviewed and published again */
	int replied;           /* a reply comment was posted */
} mc_slash_outcome;

/* Carry out the commands of one comment. A forge or store failure is returned (the
 * event is retried; lines already done are not repeated); a refused command is not
 * an error. */
int mc_slash_handle(mc_slash_outcome *out, const mc_slash_request *req);

/* The review held for pr, for mc_pr_review: hold_by/hold_reason of opt are set from
 * the store (strings owned by *hold, free with mc_pr_hold_clear). */
int mc_slash_apply_hold(mc_pr_options *opt, mc_pr_hold *hold, mc_store *state);

#endif
