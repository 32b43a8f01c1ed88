/* Unit tests for pipeline/slash over the local forge: commands carried out once,
 * refusals answered in one reply, holds shown on the card and in the status,
 * redelivery and edits; agents' offers stored, negotiated and shown on the card. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/forge/forge.h"
#include "adapters/store/db.h"
#include "adapters/store/portfolio.h"
#include "pipeline/portfolio.h"
#include "pipeline/slash.h"
#include "testutil.h"
#include "util/error.h"
#include "util/fs.h"

typedef mc_test_local_pr fixture;

static const char *const auditors[] = {"@Bob"};

static mc_slash_outcome comment(fixture *f, int64_t id, const char *author, const char *body)
{
	mc_slash_request req = {0};
	mc_slash_outcome out;

	req.pr.forge = f->forge;
	req.pr.repo = f->repo;
	req.pr.number = f->number;
	req.state = f->state;
	req.comment_id = id;
	req.author = author;
	req.body = body;
	req.body_len = strlen(body);
	req.auditors = auditors;
	req.nauditors = 1;
	req.bot_login = "maestro-bot";
	ck_assert_int_eq(mc_slash_handle(&out, &req), 0);
	return out;
}

/* All text the local forge wrote to files named like pattern, concatenated. */
static char *forge_text(fixture *f, const char *pattern)
{
	char cmd[8192], *text = NULL, path[4096];

	snprintf(path, sizeof path, "%s/out.txt", f->root);
	snprintf(cmd, sizeof cmd, "find '%s' -name '%s' | sort -V | xargs -r cat > '%s'", f->files,
		 pattern, path);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(mc_fs_read_file(&text, NULL, path, 1 << 24), 0);
	return text;
}

/* The last line of text (a JSON Lines file's newest record). */
static const char *strrchr_line(char *text)
{
	size_t n = strlen(text);
	char *nl;

	while (n > 0 && text[n - 1] == '\n')
		text[--n] = '\0';
	nl = strrchr(text, '\n');
	return nl ? nl + 1 : text;
}

static int priority_of(fixture *f, const char *id)
{
	mc_store *store = NULL;
	mc_portfolio_item item;
	int p;

	ck_assert_int_eq(mc_portfolio_open_store(&store, f->repo, 0), 0);
	ck_assert_int_eq(mc_portfolio_get(&item, store, id), 0);
	p = item.priority;
	mc_portfolio_item_free(&item);
	mc_store_close(store);
	return p;
}

START_TEST(accepted_refused_and_redelivered)
{
	fixture f;
	mc_slash_outcome o;
	char *text;

	mc_test_local_pr_setup(&f, 1);
	o = comment(&f, 100, "alice",
		    "LGTM\n/maestro priority raise customer escalation\n/maestro hold not mine\n"
		    "/maestro priorty raise x\n");
	ck_assert_uint_eq(o.accepted, 1);
	ck_assert_uint_eq(o.refused, 2);
	ck_assert_int_eq(o.reviewed, 1);
	ck_assert_int_eq(o.replied, 1);
	ck_assert_int_eq(priority_of(&f, "feature"), 1);
	text = forge_text(&f, "comment-*.md");
	ck_assert_ptr_nonnull(strstr(text, "only the configured auditors"));
	ck_assert_ptr_nonnull(strstr(text, "did you mean `/maestro priority`"));
	ck_assert_ptr_nonnull(strstr(text, "@alice"));
	free(text);
	text = forge_text(&f, "reactions.jsonl");
	ck_assert_ptr_nonnull(strstr(text, "\"content\":\"confused\""));
	free(text);

	/* Redelivered: nothing is repeated, nothing new is written. */
	o = comment(&f, 100, "alice",
		    "LGTM\n/maestro priority raise customer escalation\n/maestro hold not mine\n"
		    "/maestro priorty raise x\n");
	ck_assert_uint_eq(o.repeated, 3);
	ck_assert_uint_eq(o.accepted + o.refused, 0);
	ck_assert_int_eq(o.replied, 0);
	ck_assert_int_eq(priority_of(&f, "feature"), 1);

	/* Killed after applying but before marking the lines done: the redelivery finds the
	 * override's source and applies nothing twice. */
	ck_assert_int_eq(mc_store_exec(f.state, "DELETE FROM pr_command_done"), 0);
	o = comment(&f, 100, "alice",
		    "LGTM\n/maestro priority raise customer escalation\n/maestro hold not mine\n"
		    "/maestro priorty raise x\n");
	ck_assert_int_eq(priority_of(&f, "feature"), 1);

	/* Edited: the changed line is a new command. */
	o = comment(&f, 100, "alice",
		    "LGTM\n/maestro priority raise customer escalation\n/maestro hold not mine\n"
		    "/maestro priority raise twice as urgent\n");
	ck_assert_uint_eq(o.accepted, 1);
	ck_assert_uint_eq(o.repeated, 2);
	ck_assert_int_eq(priority_of(&f, "feature"), 2);

	/* The bot's own comments are never commands. */
	o = comment(&f, 101, "maestro-bot", "/maestro priority raise me\n");
	ck_assert_uint_eq(o.accepted + o.refused + o.repeated, 0);
	mc_test_local_pr_teardown(&f);
}
END_TEST

START_TEST(hold_shows_on_card_and_status_until_lifted)
{
	fixture f;
	mc_slash_outcome o;
	char *text;

	mc_test_local_pr_setup(&f, 1);
	o = comment(&f, 200, "bob", "/maestro hold audit of the payment path\n");
	ck_assert_uint_eq(o.accepted, 1);
	ck_assert_int_eq(o.replied, 0);
	text = forge_text(&f, "comment-*.md");
	ck_assert_ptr_nonnull(strstr(text, "**On hold** by @bob: audit of the payment path"));
	free(text);
	text = forge_text(&f, "statuses.jsonl");
	ck_assert_ptr_nonnull(strstr(text, "on hold by @bob"));
	ck_assert_ptr_nonnull(strstr(text, "\"state\":\"failure\""));
	free(text);

	o = comment(&f, 201, "bob", "/maestro unhold audit done\n/maestro unhold again\n");
	ck_assert_uint_eq(o.accepted, 1);
	ck_assert_uint_eq(o.refused, 1); /* not on hold any more */
	text = forge_text(&f, "comment-*.md");
	ck_assert_ptr_null(strstr(text, "**On hold**"));
	ck_assert_ptr_nonnull(strstr(text, "is not on hold"));
	free(text);

	o = comment(&f, 202, "carol", "/maestro explain\n/maestro help\n");
	ck_assert_uint_eq(o.accepted, 2);
	ck_assert_int_eq(o.replied, 1);
	text = forge_text(&f, "comment-*.md");
	ck_assert_ptr_nonnull(strstr(text, "How the card was computed"));
	ck_assert_ptr_nonnull(strstr(text, "`/maestro priority set <n> <reason>`"));
	free(text);
	mc_test_local_pr_teardown(&f);
}
END_TEST

/* An offer comment for task with predEval eval. */
static char *offer_comment(const char *id, const char *task, const char *eval)
{
	char *body;
	if (asprintf(&body, "Here is my bid.\n/maestro offer {\"offerId\":\"%s\",\"agentId\":"
		     "\"bot\",\"taskId\":\"%s\",\"arm\":\"fast\",\"predEval\":%s,"
		     "\"predCostUSD\":2,\"predMinutes\":30,\"risk\":0.1,"
		     "\"expiresAt\":\"2099-01-01T00:00:00Z\"}\n", id, task, eval) < 0)
		abort();
	return body;
}

START_TEST(offers_are_stored_negotiated_and_shown)
{
	fixture f;
	mc_slash_outcome o;
	char *text, *body;

	mc_test_local_pr_setup(&f, 1);
	/* The wrong task and a malformed offer are refused by field. */
	body = offer_comment("o0", "other-branch", "0.9");
	o = comment(&f, 300, "bot", body);
	free(body);
	ck_assert_uint_eq(o.refused, 1);
	o = comment(&f, 301, "bot", "/maestro offer {\"offerId\": \"o9\", \"predEval\": \"high\"}\n");
	ck_assert_uint_eq(o.refused, 1);
	text = forge_text(&f, "comment-*.md");
	ck_assert_ptr_nonnull(strstr(text, "taskId: this pull request's task is 'feature', not 'other-branch'"));
	ck_assert_ptr_nonnull(strstr(text, "offer: /"));
	ck_assert_ptr_null(strstr(text, "#### Contract"));
	free(text);

	/* Below the eval floor: stored, negotiated, escalated; the card says so. */
	body = offer_comment("o1", "feature", "0.3");
	o = comment(&f, 302, "bot", body);
	free(body);
	ck_assert_uint_eq(o.accepted, 1);
	ck_assert_int_eq(o.reviewed, 1);
	text = forge_text(&f, "comment-*.md");
	ck_assert_ptr_nonnull(strstr(text, "No offer for task feature satisfies the policy"));
	ck_assert_ptr_nonnull(strstr(text, "Smallest safe next step: a human may accept o1 by bot"));
	free(text);

	/* A good offer settles the task: the card shows the contract, with its SLA. */
	body = offer_comment("o2", "feature", "0.9");
	o = comment(&f, 303, "bot", body);
	free(body);
	ck_assert_uint_eq(o.accepted, 1);
	text = forge_text(&f, "comment-*.md");
	ck_assert_ptr_nonnull(strstr(text, "Task feature is contracted to **bot**"));
	ck_assert_ptr_nonnull(strstr(text, "Penalty rule: penalty_usd"));
	free(text);
	text = forge_text(&f, "reactions.jsonl");
	ck_assert_ptr_nonnull(strstr(text, "\"content\":\"+1\""));
	free(text);

	/* The same offer again is a re-delivery; a new one changes no contract. */
	body = offer_comment("o3", "feature", "0.95");
	o = comment(&f, 304, "carol", body);
	free(body);
	ck_assert_uint_eq(o.accepted, 1);
	{
		sqlite3_stmt *st;
		ck_assert_int_eq(sqlite3_prepare_v2(mc_store_sqlite(f.state),
						    "SELECT count(*), max(offer_id) FROM ag_contract "
						    "WHERE task_id = 'feature'", -1, &st, NULL), SQLITE_OK);
		ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
		ck_assert_int_eq(sqlite3_column_int(st, 0), 1);
		ck_assert_str_eq((const char *)sqlite3_column_text(st, 1), "o2");
		sqlite3_finalize(st);
	}
	mc_test_local_pr_teardown(&f);
}
END_TEST

/* /maestro canary from a writer (the local forge grants write to everyone): the
 * canary runs base and head in the sandbox, the card shows the verdict, a failing
 * canary fails the status with its reason, and the reply says so. */
START_TEST(canary_runs_for_a_writer_and_fails_the_status)
{
	fixture f;
	mc_slash_outcome o;
	char *text;

	mc_test_local_pr_setup(&f, 1);
	/* No canary configured yet: said in the reply, the card goes on without one. */
	o = comment(&f, 300, "alice", "/maestro canary\n");
	ck_assert_uint_eq(o.accepted, 1);
	ck_assert_int_eq(o.replied, 1);
	text = forge_text(&f, "comment-*.md");
	ck_assert_ptr_nonnull(strstr(text, "no shadow canary is configured"));
	free(text);

	/* The base's benchmark prints a latency of 10; the head's of 13. */
	mc_test_write(f.repo, ".maestro/config.json",
		      "{\"canary\": {\"run\": [\"sh\", \"bench.sh\"], \"rounds\": 2, \"timeout_s\": 30,"
		      " \"metrics\": [{\"name\": \"latency_ms\", \"critical\": true}]}}\n");
	mc_test_write(f.repo, "bench.sh",
		      "lat=10\nfor i in 1 2 3 4 5; do echo \"{\\\"latency_ms\\\": $lat}\"; done\n");
	free(mc_test_commit(f.repo, "A canary"));
	mc_test_git(f.repo, "checkout", "-q", "feature", NULL);
	mc_test_git(f.repo, "merge", "-q", "main", NULL);
	mc_test_write(f.repo, "bench.sh",
		      "lat=13\nfor i in 1 2 3 4 5; do echo \"{\\\"latency_ms\\\": $lat}\"; done\n");
	free(mc_test_commit(f.repo, "Slower"));
	mc_test_git(f.repo, "checkout", "-q", "main", NULL);

	o = comment(&f, 301, "alice", "/maestro canary\n");
	ck_assert_uint_eq(o.accepted, 1);
	ck_assert_int_eq(o.reviewed, 1);
	text = forge_text(&f, "comment-*.md");
	ck_assert_ptr_nonnull(strstr(text, "#### Shadow canary: fail"));
	ck_assert_ptr_nonnull(strstr(text, "shadow canary: fail, score 0: critical metric latency_ms"));
	free(text);
	text = forge_text(&f, "statuses.jsonl");
	ck_assert_ptr_nonnull(strstr(text, "blocked: shadow canary failed: critical metric latency_ms"));
	ck_assert_ptr_nonnull(strstr(text, "\"state\":\"failure\""));
	free(text);

	/* Redelivered: the canary is not run again. */
	o = comment(&f, 301, "alice", "/maestro canary\n");
	ck_assert_uint_eq(o.repeated, 1);
	ck_assert_int_eq(o.reviewed, 0);

	/* Another review of the same head (no canary run) keeps the verdict it had... */
	o = comment(&f, 302, "alice", "/maestro recompute\n");
	ck_assert_int_eq(o.reviewed, 1);
	text = forge_text(&f, "statuses.jsonl");
	ck_assert_ptr_nonnull(strstr(strrchr_line(text), "shadow canary failed"));
	free(text);
	/* ... and a new head drops it: the canary must run again for it. */
	mc_test_git(f.repo, "checkout", "-q", "feature", NULL);
	mc_test_write(f.repo, "notes.txt", "more\n");
	free(mc_test_commit(f.repo, "More"));
	mc_test_git(f.repo, "checkout", "-q", "main", NULL);
	o = comment(&f, 303, "alice", "/maestro recompute\n");
	ck_assert_int_eq(o.reviewed, 1);
	text = forge_text(&f, "statuses.jsonl");
	ck_assert_ptr_null(strstr(strrchr_line(text), "shadow canary"));
	free(text);
	mc_test_local_pr_teardown(&f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("slash_handle");
	TCase *tc = tcase_create("slash_handle");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, accepted_refused_and_redelivered);
	tcase_add_test(tc, hold_shows_on_card_and_status_until_lifted);
	tcase_add_test(tc, offers_are_stored_negotiated_and_shown);
	tcase_add_test(tc, canary_runs_for_a_writer_and_fails_the_status);
	suite_add_tcase(s, tc);
	return mc_test_run(s);
}
