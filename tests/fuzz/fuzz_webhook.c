/*
 * libFuzzer target: the webhook event parser (src/model/webhook_event.c), which
 * reads whatever JSON arrives at POST /webhook once its signature verified.
 * Input: the event name up to the first newline, then the body. Nothing may
 * crash, leak or trip a sanitizer, and a parsed event must keep the parser's
 * promises: every string present, a handled pull request or comment has a
 * repository and a positive number, a handled pull request a full commit id, a
 * handled issues event is marked on_issue.
 * Differential too: the parse through the pruning scanner (model/webhook_scan.c)
 * and the reference over json-c's whole tree must give the same result, error
 * message and fields, or the target aborts.
 * Built and run by tests/fuzz/run (not part of CTest).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/webhook_event.h"
#include "util/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const mc_webhook_event *ev)
{
	size_t sha;
	if (!ev->event || !ev->action || !ev->repo || !ev->head_sha || !ev->ref ||
	    !ev->comment_body || !ev->comment_author || !ev->sender)
		abort();
	if (!ev->handled) {
		if (!ev->ignore_reason)
			abort();
		return;
	}
	switch (ev->kind) {
	case MC_WEBHOOK_PULL_REQUEST:
		sha = strlen(ev->head_sha);
		if (!*ev->repo || ev->number <= 0 || (sha != 40 && sha != 64))
			abort();
		break;
	case MC_WEBHOOK_ISSUE_COMMENT:
		if (!*ev->repo || ev->number <= 0 || ev->comment_id <= 0 || !*ev->comment_author)
			abort();
		break;
	case MC_WEBHOOK_PUSH:
		if (strncmp(ev->ref, "refs/tags/", 10) != 0 || !*ev->repo)
			abort();
		break;
	case MC_WEBHOOK_ISSUES:
		if (!*ev->repo || ev->number <= 0 || !ev->on_issue)
			abort();
		break;
	case MC_WEBHOOK_PING:
		break;
	case MC_WEBHOOK_OTHER:
		abort(); /* never handled */
	}
	if (strlen(ev->repo) > MC_WEBHOOK_REPO_MAX || strlen(ev->action) > MC_WEBHOOK_NAME_MAX)
		abort();
}

static void same_string(const char *a, const char *b)
{
	if (strcmp(a, b) != 0)
		abort();
}

/* The scanner's parse and the reference agree on everything a caller sees. */
static void same_event(const mc_webhook_event *a, const mc_webhook_event *b)
{
	if (a->kind != b->kind || a->number != b->number || a->comment_id != b->comment_id ||
	    a->handled != b->handled || (a->ignore_reason == NULL) != (b->ignore_reason == NULL))
		abort();
	same_string(a->event, b->event);
	same_string(a->action, b->action);
	same_string(a->repo, b->repo);
	same_string(a->head_sha, b->head_sha);
	same_string(a->ref, b->ref);
	same_string(a->comment_body, b->comment_body);
	same_string(a->comment_author, b->comment_author);
	same_string(a->sender, b->sender);
	if (a->ignore_reason)
		same_string(a->ignore_reason, b->ignore_reason);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t name_len = nl ? (size_t)(nl - data) : size;
	char *event = malloc(name_len + 1);
	const char *body = nl ? (const char *)nl + 1 : "";
	size_t body_len = nl ? size - name_len - 1 : 0;
	mc_webhook_event ev, ref;
	char *message;
	int rc, ref_rc;

	memcpy(event, data, name_len);
	event[name_len] = '\0';
	rc = mc_webhook_event_parse(&ev, event, body, body_len, 1u << 20);
	message = strdup(rc ? mc_error_message() : "");
	ref_rc = mc_webhook_event_parse_reference(&ref, event, body, body_len, 1u << 20);
	if (rc != ref_rc || (rc && strcmp(message, mc_error_message()) != 0))
		abort();
	if (rc == 0) {
		check(&ev);
		same_event(&ev, &ref);
		mc_webhook_event_clear(&ev);
		mc_webhook_event_clear(&ref);
	}
	free(message);
	free(event);
	return 0;
}
