/*
 * libFuzzer target: the webhook event parser (src/model/webhook_event.c), which
 * reads whatever JSON arrives at POST /webhook once its signature verified.
 * Input: the event name up to the first newline, then the body. Nothing may
 * crash, leak or trip a sanitizer, and a parsed event must keep the parser's
 * promises: every string present, a handled pull request or comment has a
 * repository and a positive number, a handled pull request a full commit id, a
 * handled issues event is marked on_issue.
 * Built and run by tests/fuzz/run (not part of CTest).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/webhook_event.h"

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t name_len = nl ? (size_t)(nl - data) : size;
	char *event = malloc(name_len + 1);
	mc_webhook_event ev;

	memcpy(event, data, name_len);
	event[name_len] = '\0';
	if (mc_webhook_event_parse(&ev, event, nl ? (const char *)nl + 1 : "",
				   nl ? size - name_len - 1 : 0, 1u << 20) == 0) {
		check(&ev);
		mc_webhook_event_clear(&ev);
	}
	free(event);
	return 0;
}
