/*
 * One queued event through the pipeline, whatever brought it (a webhook delivery
 * or the poller): a pull_request event reviews and publishes the PR, an issues
 * event (or the poller's poll_issue) refreshes the issue's work item in the
 * portfolio, an issue_comment carries out its slash-commands (on a PR or an issue), a pushed tag is recorded as a
 * signed release record, a ping does nothing. The daemon's workers call this for
 * every event they claim; it is written to be run again on the same event (at
 * least once delivery) without doubling any effect.
 */
#ifndef MC_PIPELINE_EVENT_H
#define MC_PIPELINE_EVENT_H
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "adapters/forge/forge.h"
#include "adapters/git/remote.h"
#include "adapters/store/db.h"
#include "adapters/store/queue.h"

/* The event name the poller queues: {"repo": "...", "number": n, "head_sha": "..."}. */
#define MC_EVENT_POLL "poll"
/* The poller's event for an issue listed open or closed: {"repo": "...", "number": n};
 * the issue's work item is refreshed from the forge's current state (pipeline/issue.h). */
#define MC_EVENT_POLL_ISSUE "poll_issue"

typedef struct mc_event_context {
	mc_forge *forge;
	mc_store *state;                 /* the daemon's store: holds, commands carried out */
	const char *mirror_dir;          /* <state-dir>/repos */
	const mc_remote_options *remote;
	const char *const *auditors;
	size_t nauditors;
	const char *bot_login;           /* the bot's login, or NULL */
	time_t now;                      /* 0: time(NULL) */
} mc_event_context;

typedef struct mc_event_outcome {
	const char *what;     /* "reviewed", "skipped", "issue", "issue_closed", "commands",
			       * "release", "ignored" (static) */
	int64_t number;       /* the pull request or issue, 0 when none */
} mc_event_outcome;

/* What the event is about, "<repo>#<number>" for a pull request's events (pull_request,
 * issue_comment, poll), "<repo>!<number>" for an issue's (issues, a comment on an
 * issue, poll_issue), "" for the rest: the worker pool never processes two events
 * of one subject at once (two workers creating the same sticky comment, or applying
 * two commands on stale state, would race). Never fails: an unreadable payload has
 * no subject. */
void mc_event_subject(char *out, size_t size, const mc_queue_event *ev);

/* Process one event. A failure is returned with its message for the queue to retry;
 * an event whose payload is bad will never succeed: MC_EINVAL, which the worker parks
 * at once instead of retrying. */
int mc_event_process(mc_event_outcome *out, const mc_event_context *ctx,
		     const mc_queue_event *ev);

#endif
