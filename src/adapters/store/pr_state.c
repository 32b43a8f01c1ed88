/* Holds, carried-out commands and poll cursors of the daemon; see pr_state.h. */
#include "adapters/store/pr_state.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/error.h"

void mc_pr_hold_clear(mc_pr_hold *hold)
{
	if (!hold)
		return;
	free(hold->who);
	free(hold->reason);
	memset(hold, 0, sizeof *hold);
}

static int prepare(sqlite3_stmt **st, mc_store *store, const char *sql)
{
	return mc_store_prepare(store, st, sql, "preparing a pull request state statement");
}

static char *column_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return mc_xstrdup(t ? (const char *)t : "");
}

int mc_pr_state_get_hold(mc_store *store, mc_pr_hold *out, const char *repo, int64_t number)
{
	sqlite3_stmt *st;
	int rc, step;

	memset(out, 0, sizeof *out);
	if ((rc = prepare(&st, store,
			  "SELECT who, reason, at FROM pr_hold WHERE repo = ?1 AND number = ?2")))
		return rc;
	sqlite3_bind_text(st, 1, repo, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, number);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		out->who = column_text(st, 0);
		out->reason = column_text(st, 1);
		out->at = sqlite3_column_int64(st, 2);
		rc = 1;
	} else if (step == SQLITE_DONE) {
		rc = 0;
	} else {
		rc = mc_store_fail(store, "reading a hold");
	}
	sqlite3_finalize(st);
	return rc;
}

/* Run a statement with text/integer parameters already bound; report changes. */
static int run_write(mc_store *store, sqlite3_stmt *st, int *changed, const char *what)
{
	int rc = mc_store_step_done(store, st, what);

	if (rc == 0 && changed)
		*changed = sqlite3_changes(mc_store_sqlite(store)) > 0;
	return rc;
}

int mc_pr_state_hold(mc_store *store, const char *repo, int64_t number, const char *who,
		     const char *reason, int64_t at, int *changed)
{
	mc_pr_hold old;
	sqlite3_stmt *st;
	int rc, held;

	if (!reason || !*reason)
		return mc_error_set(MC_EINVAL, "a hold needs a reason");
	if ((held = mc_pr_state_get_hold(store, &old, repo, number)) < 0)
		return held;
	mc_pr_hold_clear(&old);
	if ((rc = prepare(&st, store,
			  "INSERT INTO pr_hold (repo, number, who, reason, at)"
			  " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (repo, number) DO UPDATE"
			  " SET who = excluded.who, reason = excluded.reason, at = excluded.at")))
		return rc;
	sqlite3_bind_text(st, 1, repo, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, number);
	sqlite3_bind_text(st, 3, who, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, reason, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 5, at);
	rc = run_write(store, st, NULL, "storing a hold");
	if (rc == 0 && changed)
		*changed = !held;
	return rc;
}

int mc_pr_state_unhold(mc_store *store, const char *repo, int64_t number, int *changed)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(&st, store, "DELETE FROM pr_hold WHERE repo = ?1 AND number = ?2")))
		return rc;
	sqlite3_bind_text(st, 1, repo, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, number);
	return run_write(store, st, changed, "lifting a hold");
}

static void bind_command(sqlite3_stmt *st, const char *repo, int64_t comment_id, int64_t line,
			 const char *digest)
{
	sqlite3_bind_text(st, 1, repo, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, comment_id);
	sqlite3_bind_int64(st, 3, line);
	sqlite3_bind_text(st, 4, digest, -1, SQLITE_TRANSIENT);
}

int mc_pr_state_command_done(mc_store *store, const char *repo, int64_t comment_id,
			     int64_t line, const char *digest)
{
	sqlite3_stmt *st;
	int rc, step;

	if ((rc = prepare(&st, store,
			  "SELECT 1 FROM pr_command_done WHERE repo = ?1 AND comment_id = ?2"
			  " AND line = ?3 AND digest = ?4")))
		return rc;
	bind_command(st, repo, comment_id, line, digest);
	step = sqlite3_step(st);
	rc = step == SQLITE_ROW ? 1
	     : step == SQLITE_DONE ? 0
				   : mc_store_fail(store, "reading carried-out commands");
	sqlite3_finalize(st);
	return rc;
}

int mc_pr_state_mark_command(mc_store *store, const char *repo, int64_t comment_id,
			     int64_t line, const char *digest, int64_t at)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(&st, store,
			  "INSERT OR IGNORE INTO pr_command_done (repo, comment_id, line, digest, at)"
			  " VALUES (?1, ?2, ?3, ?4, ?5)")))
		return rc;
	bind_command(st, repo, comment_id, line, digest);
	sqlite3_bind_int64(st, 5, at);
	return run_write(store, st, NULL, "marking a command carried out");
}

int mc_pr_state_get_cursor(mc_store *store, char **since, const char *repo)
{
	sqlite3_stmt *st;
	int rc, step;

	*since = NULL;
	if ((rc = prepare(&st, store, "SELECT since FROM pr_poll_cursor WHERE repo = ?1")))
		return rc;
	sqlite3_bind_text(st, 1, repo, -1, SQLITE_TRANSIENT);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		*since = column_text(st, 0);
	rc = step == SQLITE_ROW ? 0
	     : step == SQLITE_DONE ? mc_error_set(MC_ENOTFOUND, "%s has not been polled yet", repo)
				   : mc_store_fail(store, "reading a poll cursor");
	sqlite3_finalize(st);
	return rc;
}

int mc_pr_state_set_cursor(mc_store *store, const char *repo, const char *since, int64_t at)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(&st, store,
			  "INSERT INTO pr_poll_cursor (repo, since, at) VALUES (?1, ?2, ?3)"
			  " ON CONFLICT (repo) DO UPDATE SET since = excluded.since, at = excluded.at")))
		return rc;
	sqlite3_bind_text(st, 1, repo, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, since, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, at);
	return run_write(store, st, NULL, "storing a poll cursor");
}

int mc_pr_state_put_canary(mc_store *store, const char *repo, int64_t number, const char *head,
			   const char *judgement, int64_t at)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(&st, store,
			  "INSERT INTO pr_canary (repo, number, head, judgement, at)"
			  " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (repo, number) DO UPDATE"
			  " SET head = excluded.head, judgement = excluded.judgement, at = excluded.at")))
		return rc;
	sqlite3_bind_text(st, 1, repo, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, number);
	sqlite3_bind_text(st, 3, head, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, judgement, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 5, at);
	return run_write(store, st, NULL, "keeping a canary judgement");
}

int mc_pr_state_get_canary(mc_store *store, char **judgement, const char *repo, int64_t number,
			   const char *head)
{
	sqlite3_stmt *st;
	int rc, step;

	*judgement = NULL;
	if ((rc = prepare(&st, store,
			  "SELECT judgement FROM pr_canary WHERE repo = ?1 AND number = ?2"
			  " AND head = ?3")))
		return rc;
	sqlite3_bind_text(st, 1, repo, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, number);
	sqlite3_bind_text(st, 3, head, -1, SQLITE_TRANSIENT);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		*judgement = column_text(st, 0);
	rc = step == SQLITE_ROW ? 0
	     : step == SQLITE_DONE ? mc_error_set(MC_ENOTFOUND, "no canary judgement kept for %.12s",
						  head)
				   : mc_store_fail(store, "reading a canary judgement");
	sqlite3_finalize(st);
	return rc;
}
