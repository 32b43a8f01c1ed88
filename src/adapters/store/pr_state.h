/*
 * The daemon's operational state per pull request, in its SQLite store
 * (migration 5): auditor holds, the slash-command lines already carried out, and
 * the poller's cursor per repository. Evidence in git notes is the record of what
 * happened; these tables are what the daemon needs to act quickly and only once.
 */
#ifndef MC_ADAPTERS_STORE_PR_STATE_H
#define MC_ADAPTERS_STORE_PR_STATE_H
#include <stdint.h>

#include "adapters/store/db.h"

typedef struct mc_pr_hold {
	char *who;
	char *reason;
	int64_t at;
} mc_pr_hold;

void mc_pr_hold_clear(mc_pr_hold *hold);

/* The hold on a PR: 1 and *out filled when held, 0 when not, or a negative code. */
int mc_pr_state_get_hold(mc_store *store, mc_pr_hold *out, const char *repo, int64_t number);
/* Put a hold (replacing an earlier one) or lift it; *changed (may be NULL) is 1 when
 * the state changed (holding a held PR again only updates who and why). */
int mc_pr_state_hold(mc_store *store, const char *repo, int64_t number, const char *who,
		     const char *reason, int64_t at, int *changed);
int mc_pr_state_unhold(mc_store *store, const char *repo, int64_t number, int *changed);

/*
 * A command line of a comment carried out: digest identifies its text, so an edited
 * line is a new command and an unchanged one is not repeated. mc_pr_state_command_done
 * returns 1 when it was marked before, 0 when not; mark records it.
 */
int mc_pr_state_command_done(mc_store *store, const char *repo, int64_t comment_id,
			     int64_t line, const char *digest);
int mc_pr_state_mark_command(mc_store *store, const char *repo, int64_t comment_id,
			     int64_t line, const char *digest, int64_t at);

/* The canary's judgement (its JSON document) of a PR's head: kept per PR, replaced by
 * the next; get is MC_ENOTFOUND when none is kept for that head. free() *judgement. */
int mc_pr_state_put_canary(mc_store *store, const char *repo, int64_t number, const char *head,
			   const char *judgement, int64_t at);
int mc_pr_state_get_canary(mc_store *store, char **judgement, const char *repo, int64_t number,
			   const char *head);

/* The poller's cursor for repo (an RFC 3339 time; MC_ENOTFOUND before the first poll). */
int mc_pr_state_get_cursor(mc_store *store, char **since, const char *repo);
int mc_pr_state_set_cursor(mc_store *store, const char *repo, const char *since, int64_t at);

#endif
