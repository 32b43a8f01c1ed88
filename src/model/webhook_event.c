/*
 * The webhook event parser (webhook_event.h). Routing needs a handful of
 * fields; each is read with a typed getter that tells "absent" from "present
 * with the wrong type" (the latter makes the body malformed for a handled event).
 * The getters read a json-c tree: the pruned one of model/webhook_scan.h when the
 * scanner is sure of the body, else json-c's whole one (the reference, which
 * also gives malformed JSON its error message).
 */
#include "model/webhook_event.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/error.h"
#include "util/hex.h"
#include "util/json.h"
#include "model/webhook_scan.h"

/* The pull_request actions the bot acts on, after Gitea's names are mapped. */
static const char *const pr_actions[] = { "opened", "synchronize", "reopened", "edited",
					  "labeled", "closed" };

/* The issues actions that change what an issue's work item is (or whether it is open). */
static const char *const issue_actions[] = { "opened", "edited", "labeled", "unlabeled",
					     "closed", "reopened" };

static const char *normalize_action(const char *action)
{
	if (strcmp(action, "label_cleared") == 0)
		return "unlabeled";
	if (strcmp(action, "synchronized") == 0)
		return "synchronize";
	if (strcmp(action, "label_updated") == 0)
		return "labeled";
	return action;
}

static int listed(const char *s, const char *const *list, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return 1;
	return 0;
}

/* The member key of obj when it is an object; NULL when obj is not one or the key
 * is absent or null. */
static struct json_object *member(struct json_object *obj, const char *key)
{
	struct json_object *v = NULL;
	if (!obj || !json_object_is_type(obj, json_type_object) ||
	    !json_object_object_get_ex(obj, key, &v) || json_object_is_type(v, json_type_null))
		return NULL;
	return v;
}

/* A string member copied to *out ("" when absent). MC_EINVAL when present but not a
 * string, MC_ELIMIT when longer than max (max 0: no limit). */
static int string_member(char **out, struct json_object *obj, const char *key,
			 const char *where, size_t max)
{
	struct json_object *v = member(obj, key);
	free(*out);
	*out = NULL;
	if (!v) {
		*out = mc_xstrdup("");
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return mc_error_set(MC_EINVAL, "webhook: %s.%s is not a string", where, key);
	if (max && (size_t)json_object_get_string_len(v) > max)
		return mc_error_set(MC_ELIMIT, "webhook: %s.%s longer than %zu bytes", where, key,
				    max);
	*out = mc_xstrndup(json_object_get_string(v), (size_t)json_object_get_string_len(v));
	return 0;
}

/* A positive integer member; MC_EINVAL when absent or not one. */
static int id_member(long long *out, struct json_object *obj, const char *key, const char *where)
{
	struct json_object *v = member(obj, key);
	if (!v || !json_object_is_type(v, json_type_int) || json_object_get_int64(v) <= 0)
		return mc_error_set(MC_EINVAL, "webhook: %s.%s is not a positive integer", where,
				    key);
	*out = json_object_get_int64(v);
	return 0;
}

static int object_member(struct json_object **out, struct json_object *obj, const char *key,
			 const char *where)
{
	*out = member(obj, key);
	if (!*out || !json_object_is_type(*out, json_type_object))
		return mc_error_set(MC_EINVAL, "webhook: %s.%s is not an object", where, key);
	return 0;
}

static int need_repo(mc_webhook_event *ev)
{
	if (!*ev->repo)
		return mc_error_set(MC_EINVAL, "webhook: %s event without repository.full_name",
				    ev->event);
	return 0;
}

static void ignore(mc_webhook_event *ev, const char *reason)
{
	ev->handled = 0;
	ev->ignore_reason = reason;
}

static int parse_pull_request(mc_webhook_event *ev, struct json_object *root)
{
	struct json_object *pr, *head;
	int rc;

	if (!listed(ev->action, pr_actions, sizeof pr_actions / sizeof pr_actions[0])) {
		ignore(ev, "pull_request action not handled");
		return 0;
	}
	if ((rc = need_repo(ev)) != 0 || (rc = id_member(&ev->number, root, "number", "")) != 0 ||
	    (rc = object_member(&pr, root, "pull_request", "")) != 0 ||
	    (rc = object_member(&head, pr, "head", "pull_request")) != 0 ||
	    (rc = string_member(&ev->head_sha, head, "sha", "pull_request.head", 64)) != 0)
		return rc;
	if (!mc_hex_is_oid(ev->head_sha))
		return mc_error_set(MC_EINVAL, "webhook: pull_request.head.sha is not a commit id");
	ev->handled = 1;
	return 0;
}

static int parse_issue_comment(mc_webhook_event *ev, struct json_object *root)
{
	struct json_object *issue, *comment;
	int rc;

	if (strcmp(ev->action, "created") != 0 && strcmp(ev->action, "edited") != 0) {
		ignore(ev, "issue_comment action not handled");
		return 0;
	}
	if ((rc = need_repo(ev)) != 0 || (rc = object_member(&issue, root, "issue", "")) != 0)
		return rc;
	/* GitHub marks a pull request's issue with a pull_request object; Gitea also sends
	 * is_pull at the top level. Anything else is a comment on an issue. */
	ev->on_issue = !member(issue, "pull_request") &&
		       !json_object_get_boolean(member(root, "is_pull"));
	if ((rc = id_member(&ev->number, issue, "number", "issue")) != 0 ||
	    (rc = object_member(&comment, root, "comment", "")) != 0 ||
	    (rc = id_member(&ev->comment_id, comment, "id", "comment")) != 0 ||
	    (rc = string_member(&ev->comment_body, comment, "body", "comment", 0)) != 0 ||
	    (rc = string_member(&ev->comment_author, member(comment, "user"), "login",
				"comment.user", MC_WEBHOOK_REPO_MAX)) != 0)
		return rc;
	if (!*ev->comment_author)
		return mc_error_set(MC_EINVAL, "webhook: comment.user.login is missing");
	ev->handled = 1;
	return 0;
}

static int parse_issues(mc_webhook_event *ev, struct json_object *root)
{
	struct json_object *issue;
	int rc;

	if (!listed(ev->action, issue_actions, sizeof issue_actions / sizeof issue_actions[0])) {
		ignore(ev, "issues action not handled");
		return 0;
	}
	if ((rc = need_repo(ev)) != 0 || (rc = object_member(&issue, root, "issue", "")) != 0 ||
	    (rc = id_member(&ev->number, issue, "number", "issue")) != 0)
		return rc;
	/* Gitea sends a pull request's label changes as issues events too. */
	if (member(issue, "pull_request") || json_object_get_boolean(member(root, "is_pull"))) {
		ignore(ev, "issues event about a pull request");
		return 0;
	}
	ev->on_issue = 1;
	ev->handled = 1;
	return 0;
}

static int parse_push(mc_webhook_event *ev, struct json_object *root)
{
	int rc;
	if ((rc = string_member(&ev->ref, root, "ref", "", MC_WEBHOOK_REF_MAX)) != 0 ||
	    (rc = string_member(&ev->head_sha, root, "after", "", 64)) != 0)
		return rc;
	if (strncmp(ev->ref, "refs/tags/", 10) != 0) {
		ignore(ev, "push of a branch");
		return 0;
	}
	if (json_object_get_boolean(member(root, "deleted"))) {
		ignore(ev, "tag deleted");
		return 0;
	}
	if ((rc = need_repo(ev)) != 0)
		return rc;
	if (!mc_hex_is_oid(ev->head_sha))
		return mc_error_set(MC_EINVAL, "webhook: push after is not a commit id");
	ev->handled = 1;
	return 0;
}

static enum mc_webhook_kind kind_of(const char *event)
{
	if (strcmp(event, "ping") == 0)
		return MC_WEBHOOK_PING;
	if (strcmp(event, "pull_request") == 0)
		return MC_WEBHOOK_PULL_REQUEST;
	if (strcmp(event, "issue_comment") == 0)
		return MC_WEBHOOK_ISSUE_COMMENT;
	if (strcmp(event, "push") == 0)
		return MC_WEBHOOK_PUSH;
	if (strcmp(event, "issues") == 0)
		return MC_WEBHOOK_ISSUES;
	return MC_WEBHOOK_OTHER;
}

static int parse_fields(mc_webhook_event *ev, struct json_object *root)
{
	char *action = NULL;
	int rc;

	if ((rc = string_member(&action, root, "action", "", MC_WEBHOOK_NAME_MAX)) != 0)
		return rc;
	ev->action = mc_xstrdup(normalize_action(action));
	free(action);
	if ((rc = string_member(&ev->repo, member(root, "repository"), "full_name", "repository",
				MC_WEBHOOK_REPO_MAX)) != 0 ||
	    (rc = string_member(&ev->sender, member(root, "sender"), "login", "sender",
				MC_WEBHOOK_REPO_MAX)) != 0)
		return rc;
	switch (ev->kind) {
	case MC_WEBHOOK_PING:
		ev->handled = 1;
		return 0;
	case MC_WEBHOOK_PULL_REQUEST:
		return parse_pull_request(ev, root);
	case MC_WEBHOOK_ISSUE_COMMENT:
		return parse_issue_comment(ev, root);
	case MC_WEBHOOK_PUSH:
		return parse_push(ev, root);
	case MC_WEBHOOK_ISSUES:
		return parse_issues(ev, root);
	case MC_WEBHOOK_OTHER:
		break;
	}
	ignore(ev, "event not handled");
	return 0;
}

/* Every string field non-NULL, so callers never check. */
static void fill_empty(mc_webhook_event *ev)
{
	char **fields[] = { &ev->action, &ev->repo, &ev->head_sha, &ev->ref, &ev->comment_body,
			    &ev->comment_author, &ev->sender };
	size_t i;
	for (i = 0; i < sizeof fields / sizeof fields[0]; i++)
		if (!*fields[i])
			*fields[i] = mc_xstrdup("");
}

/* The body's tree: pruned by the scanner when it can, else json-c's whole one. */
static int read_tree(struct json_object **root, const char *body, size_t len, size_t max_len,
		     int scan)
{
	if (scan && len <= max_len && mc_webhook_scan(root, body, len) == 0)
		return 0;
	return mc_json_parse(root, body, len, max_len, "webhook body");
}

static int parse(mc_webhook_event *out, const char *event, const char *body, size_t len,
		 size_t max_len, int scan)
{
	struct json_object *root = NULL;
	int rc;

	memset(out, 0, sizeof *out);
	if (!event || !*event)
		return mc_error_set(MC_EINVAL, "webhook: no event name");
	if (strlen(event) > MC_WEBHOOK_NAME_MAX)
		return mc_error_set(MC_ELIMIT, "webhook: event name longer than %d bytes",
				    MC_WEBHOOK_NAME_MAX);
	out->event = mc_xstrdup(event);
	out->kind = kind_of(event);
	if ((rc = read_tree(&root, body, len, max_len, scan)) != 0)
		goto done;
	if (!json_object_is_type(root, json_type_object)) {
		rc = mc_error_set(MC_EINVAL, "webhook body: not a JSON object");
		goto done;
	}
	rc = parse_fields(out, root);
done:
	json_object_put(root);
	if (rc)
		mc_webhook_event_clear(out);
	else
		fill_empty(out);
	return rc;
}

int mc_webhook_event_parse(mc_webhook_event *out, const char *event, const char *body,
			   size_t len, size_t max_len)
{
	return parse(out, event, body, len, max_len, 1);
}

int mc_webhook_event_parse_reference(mc_webhook_event *out, const char *event, const char *body,
				     size_t len, size_t max_len)
{
	return parse(out, event, body, len, max_len, 0);
}

void mc_webhook_event_clear(mc_webhook_event *ev)
{
	if (!ev)
		return;
	free(ev->event);
	free(ev->action);
	free(ev->repo);
	free(ev->head_sha);
	free(ev->ref);
	free(ev->comment_body);
	free(ev->comment_author);
	free(ev->sender);
	memset(ev, 0, sizeof *ev);
}
