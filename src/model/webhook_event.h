/*
 * Webhook events as the bot sees them: a pure parser (no I/O) from a forge's
 * event name and JSON body to the few fields that route the event — kind,
 * action, repository, pull request number, head sha, comment — and the decision
 * whether the bot handles it. GitHub's and Gitea/Forgejo's payloads share these
 * shapes; Gitea's action names ("synchronized", "label_updated") are mapped to
 * GitHub's. The body is untrusted: any JSON may arrive here (and the fuzzer
 * sends it), so every field is type-checked and length-limited.
 *
 * Handled: pull_request opened, synchronize, reopened, edited, labeled, closed;
 * issues opened, edited, labeled, unlabeled, closed, reopened (Gitea's
 * "label_updated" / "label_cleared" mapped); issue_comment created or edited on a
 * pull request or an issue (on_issue tells which); push of a tag (not its
 * deletion); ping. Everything else is acknowledged and ignored, with a reason.
 */
#ifndef MC_MODEL_WEBHOOK_EVENT_H
#define MC_MODEL_WEBHOOK_EVENT_H
#include <stddef.h>

#define MC_WEBHOOK_NAME_MAX 64    /* event and action names */
#define MC_WEBHOOK_REPO_MAX 256   /* repository full_name, login */
#define MC_WEBHOOK_REF_MAX 1024   /* a git ref (git's own limit is larger, none sane is) */

enum mc_webhook_kind {
	MC_WEBHOOK_OTHER = 0,
	MC_WEBHOOK_PING,
	MC_WEBHOOK_PULL_REQUEST,
	MC_WEBHOOK_ISSUE_COMMENT,
	MC_WEBHOOK_PUSH,
	MC_WEBHOOK_ISSUES,
};

typedef struct mc_webhook_event {
	enum mc_webhook_kind kind;
	char *event;          /* the event name as given */
	char *action;         /* normalized action, "" when the event has none */
	char *repo;           /* repository.full_name, "" when absent (an org-level ping) */
	long long number;     /* pull request or issue number, 0 when none */
	int on_issue;         /* issues, or issue_comment on an issue: number is an issue */
	char *head_sha;       /* pull_request.head.sha, or push "after"; "" when none */
	char *ref;            /* push ref ("refs/tags/v1"), "" otherwise */
	long long comment_id; /* issue_comment: comment.id */
	char *comment_body;   /* issue_comment: comment.body ("" when null) */
	char *comment_author; /* issue_comment: comment.user.login */
	char *sender;         /* sender.login, "" when absent */
	int handled;          /* 1 when the bot acts on it */
	const char *ignore_reason; /* static text when !handled */
} mc_webhook_event;

/*
 * Parse body (len bytes, need not be NUL-terminated) delivered as event name.
 * MC_EINVAL when the body is not one JSON object, or a field the bot routes by has
 * the wrong type; MC_ELIMIT when a name or repository exceeds its limit. An event
 * the bot does not handle is not an error: out->handled is 0 with a reason.
 */
int mc_webhook_event_parse(mc_webhook_event *out, const char *event, const char *body,
			   size_t len, size_t max_len);
/*
 * The same parse over json-c's whole tree, never the scanner's pruned one: the
 * reference mc_webhook_event_parse must agree with on every input (the fuzzer
 * and the unit tests compare them). Slower; nothing else needs it.
 */
int mc_webhook_event_parse_reference(mc_webhook_event *out, const char *event, const char *body,
				     size_t len, size_t max_len);
void mc_webhook_event_clear(mc_webhook_event *ev);

#endif
