/*
 * The durable event queue (queue.h; schema in db.c, migration 4).
 *
 * q_event holds every accepted event with its state (queued, claimed, done,
 * failed); q_delivery remembers delivery ids for de-duplication, written in the
 * same transaction as the event so that an id is never remembered for an event
 * that was not committed. A claim is a single UPDATE ... RETURNING of the oldest
 * ready row: SQLite takes the write lock before the UPDATE reads, so two workers
 * (threads or processes) never claim the same row, and the same statement reads
 * as SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL.
 */
#include "adapters/store/queue.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/error.h"

void mc_queue_event_clear(mc_queue_event *ev)
{
	if (!ev)
		return;
	free(ev->delivery_id);
	free(ev->forge);
	free(ev->event);
	free(ev->repo);
	free(ev->payload);
	memset(ev, 0, sizeof *ev);
}

/* A kept statement of this store (sql is always a literal here); release it after use. */
static int prepare(sqlite3_stmt **st, mc_store *store, const char *sql, const char *what)
{
	if (mc_store_prepare_cached(store, st, sql) != 0)
		return mc_store_fail(store, what);
	return 0;
}

/* The pusher's statements are its own, finalized with it. */
static int prepare_owned(sqlite3_stmt **st, mc_store *store, const char *sql, const char *what)
{
	if (sqlite3_prepare_v3(mc_store_sqlite(store), sql, -1, SQLITE_PREPARE_PERSISTENT, st,
			       NULL) != SQLITE_OK) {
		*st = NULL;
		return mc_store_fail(store, what);
	}
	return 0;
}

/* Step a statement that returns no rows and release it. */
static int run_once(mc_store *store, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : mc_store_fail(store, what);
	mc_store_release(st);
	return rc;
}

static int check_field(const char *name, const char *value, int may_be_empty)
{
	if (!value || (!may_be_empty && !*value))
		return mc_error_set(MC_EINVAL, "queue: %s is empty", name);
	if (strlen(value) > MC_QUEUE_ID_MAX)
		return mc_error_set(MC_ELIMIT, "queue: %s longer than %d bytes", name,
				    MC_QUEUE_ID_MAX);
	return 0;
}

int mc_queue_check_push(const char *delivery_id, const char *forge, const char *event,
			const char *repo, const char *payload, size_t payload_len)
{
	int rc;
	if ((rc = check_field("delivery id", delivery_id, 0)) != 0 ||
	    (rc = check_field("forge", forge, 0)) != 0 ||
	    (rc = check_field("event name", event, 0)) != 0 ||
	    (rc = check_field("repository", repo, 1)) != 0)
		return rc;
	if (!payload && payload_len)
		return mc_error_set(MC_EINVAL, "queue: payload is NULL");
	if (payload_len > MC_QUEUE_PAYLOAD_MAX)
		return mc_error_set(MC_ELIMIT, "queue: payload of %zu bytes exceeds %u bytes",
				    payload_len, MC_QUEUE_PAYLOAD_MAX);
	return 0;
}

struct mc_queue_pusher {
	mc_store *store;
	sqlite3_stmt *remember; /* the delivery id, unless known */
	sqlite3_stmt *insert;   /* the event */
};

int mc_queue_pusher_new(mc_queue_pusher **out, mc_store *store)
{
	mc_queue_pusher *p = mc_xcalloc(1, sizeof *p);
	int rc;

	*out = NULL;
	p->store = store;
	if ((rc = prepare_owned(&p->remember, store,
			  "INSERT INTO q_delivery(delivery_id, seen_at) VALUES (?1, ?2)"
			  " ON CONFLICT(delivery_id) DO NOTHING",
			  "preparing to remember a delivery id")) != 0 ||
	    (rc = prepare_owned(&p->insert, store,
			  "INSERT INTO q_event(delivery_id, forge, event, repo, payload, state,"
			  " attempts, received_at, ready_at) VALUES (?1, ?2, ?3, ?4, ?5, 'queued',"
			  " 0, ?6, ?6)",
			  "preparing to queue an event")) != 0) {
		mc_queue_pusher_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

void mc_queue_pusher_free(mc_queue_pusher *p)
{
	if (!p)
		return;
	sqlite3_finalize(p->remember);
	sqlite3_finalize(p->insert);
	free(p);
}

/* Step a kept statement that returns no rows, then make it ready for the next use
 * (bindings cleared: they may point at memory the caller frees next). */
static int run_kept(mc_store *store, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : mc_store_fail(store, what);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

/* Remember the delivery id; *fresh is 0 when it was known already. */
static int remember_delivery(mc_queue_pusher *p, const char *delivery_id, int64_t now,
			     int *fresh)
{
	int rc;
	sqlite3_bind_text(p->remember, 1, delivery_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(p->remember, 2, now);
	if ((rc = run_kept(p->store, p->remember, "remembering a delivery id")) != 0)
		return rc;
	*fresh = sqlite3_changes(mc_store_sqlite(p->store)) > 0;
	return 0;
}

static int insert_event(mc_queue_pusher *p, const char *delivery_id, const char *forge,
			const char *event, const char *repo, const char *payload,
			size_t payload_len, int64_t now)
{
	sqlite3_stmt *st = p->insert;
	sqlite3_bind_text(st, 1, delivery_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, forge, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, event, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, repo, -1, SQLITE_STATIC);
	/* A BLOB keeps the body byte for byte, NULs included; zeroblob for an empty one.
	 * SQLITE_STATIC: SQLite reads the caller's buffer, no copy is made. */
	if (payload_len)
		sqlite3_bind_blob64(st, 5, payload, payload_len, SQLITE_STATIC);
	else
		sqlite3_bind_zeroblob(st, 5, 0);
	sqlite3_bind_int64(st, 6, now);
	return run_kept(p->store, st, "queueing an event");
}

int mc_queue_pusher_add(mc_queue_pusher *p, const char *delivery_id, const char *forge,
			const char *event, const char *repo, const char *payload,
			size_t payload_len, int64_t now, int *duplicate)
{
	int fresh = 0, rc;

	if ((rc = remember_delivery(p, delivery_id, now, &fresh)) != 0)
		return rc;
	if (fresh && (rc = insert_event(p, delivery_id, forge, event, repo, payload,
					payload_len, now)) != 0)
		return rc;
	*duplicate = !fresh;
	return 0;
}

int mc_queue_push(mc_store *store, const char *delivery_id, const char *forge,
		  const char *event, const char *repo, const char *payload, size_t payload_len,
		  int64_t now, int *duplicate)
{
	mc_queue_pusher *p = NULL;
	int dup = 0, rc;

	if (duplicate)
		*duplicate = 0;
	if ((rc = mc_queue_check_push(delivery_id, forge, event, repo, payload, payload_len)) != 0)
		return rc;
	if ((rc = mc_queue_pusher_new(&p, store)) != 0)
		return mc_error_wrap(rc, "queueing delivery %s", delivery_id);
	if ((rc = mc_store_begin(store)) != 0) {
		mc_queue_pusher_free(p);
		return mc_error_wrap(rc, "queueing delivery %s", delivery_id);
	}
	if ((rc = mc_queue_pusher_add(p, delivery_id, forge, event, repo, payload, payload_len,
				      now, &dup)) != 0 ||
	    (rc = mc_store_commit(store)) != 0)
		mc_store_rollback(store);
	else if (duplicate)
		*duplicate = dup;
	mc_queue_pusher_free(p);
	return rc;
}

static char *column_dup(sqlite3_stmt *st, int col)
{
	const char *s = (const char *)sqlite3_column_text(st, col);
	return mc_xstrdup(s ? s : "");
}

static void read_event(mc_queue_event *out, sqlite3_stmt *st)
{
	const void *blob = sqlite3_column_blob(st, 5);
	size_t len = (size_t)sqlite3_column_bytes(st, 5);

	out->seq = sqlite3_column_int64(st, 0);
	out->delivery_id = column_dup(st, 1);
	out->forge = column_dup(st, 2);
	out->event = column_dup(st, 3);
	out->repo = column_dup(st, 4);
	out->payload = mc_xmalloc(len + 1);
	if (len)
		memcpy(out->payload, blob, len);
	out->payload[len] = '\0';
	out->payload_len = len;
	out->attempts = sqlite3_column_int(st, 6);
	out->received_at = sqlite3_column_int64(st, 7);
}

int mc_queue_claim(mc_store *store, mc_queue_event *out, const char *worker, int64_t now,
		   int lease_s)
{
	sqlite3_stmt *st;
	int rc, step;

	memset(out, 0, sizeof *out);
	if ((rc = check_field("worker name", worker, 0)) != 0)
		return rc;
	if (lease_s <= 0)
		return mc_error_set(MC_EINVAL, "queue: lease must be at least one second");
	rc = prepare(&st, store,
		     "UPDATE q_event SET state = 'claimed', attempts = attempts + 1,"
		     " lease_until = ?1 + ?2, worker = ?3"
		     /* Each state on its own, in seq order down q_event_claim_order, so
		      * each stops at its first ready row; the older of the two wins. */
		     " WHERE seq = (SELECT min(seq) FROM ("
		     "   SELECT * FROM (SELECT seq FROM q_event"
		     "     WHERE state = 'queued' AND ready_at <= ?1 ORDER BY seq LIMIT 1)"
		     "   UNION ALL"
		     "   SELECT * FROM (SELECT seq FROM q_event"
		     "     WHERE state = 'claimed' AND lease_until <= ?1 ORDER BY seq LIMIT 1)))"
		     " RETURNING seq, delivery_id, forge, event, repo, payload, attempts,"
		     " received_at",
		     "preparing to claim an event");
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int(st, 2, lease_s);
	sqlite3_bind_text(st, 3, worker, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		read_event(out, st);
		/* RETURNING rows are all produced before the first one is handed out; this
		 * last step ends the statement and with it the write transaction. */
		step = sqlite3_step(st);
	}
	if (step != SQLITE_DONE) {
		rc = mc_store_fail(store, "claiming an event");
		mc_queue_event_clear(out);
	} else if (!out->delivery_id) {
		rc = mc_error_set(MC_EEMPTY, "queue: no event is ready");
	}
	mc_store_release(st);
	return rc;
}

static int changed_one(mc_store *store, int64_t seq, const char *what)
{
	if (sqlite3_changes(mc_store_sqlite(store)) == 0)
		return mc_error_set(MC_ENOTFOUND, "queue: %s: no claimed event %lld", what,
				    (long long)seq);
	return 0;
}

int mc_queue_done(mc_store *store, int64_t seq, int64_t now)
{
	sqlite3_stmt *st;
	int rc = prepare(&st, store,
			 "UPDATE q_event SET state = 'done', finished_at = ?2, lease_until = NULL,"
			 " error = NULL WHERE seq = ?1 AND state IN ('queued', 'claimed')",
			 "preparing to finish an event");
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_int64(st, 2, now);
	if ((rc = run_once(store, st, "finishing an event")) != 0)
		return rc;
	return changed_one(store, seq, "done");
}

int mc_queue_fail(mc_store *store, int64_t seq, const char *error, int64_t retry_at,
		  int max_attempts, int64_t now)
{
	sqlite3_stmt *st;
	int rc = prepare(&st, store,
			 "UPDATE q_event SET error = ?2, lease_until = NULL,"
			 " state = CASE WHEN attempts < ?4 THEN 'queued' ELSE 'failed' END,"
			 " ready_at = CASE WHEN attempts < ?4 THEN ?3 ELSE ready_at END,"
			 " finished_at = CASE WHEN attempts < ?4 THEN NULL ELSE ?5 END"
			 " WHERE seq = ?1 AND state IN ('queued', 'claimed')",
			 "preparing to record a failed event");
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_text(st, 2, error ? error : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, retry_at);
	sqlite3_bind_int(st, 4, max_attempts);
	sqlite3_bind_int64(st, 5, now);
	if ((rc = run_once(store, st, "recording a failed event")) != 0)
		return rc;
	return changed_one(store, seq, "fail");
}

int mc_queue_counts_get(mc_store *store, mc_queue_counts *out, int64_t now)
{
	sqlite3_stmt *st;
	int rc = prepare(&st, store,
			 "SELECT"
			 " sum(state = 'queued' OR (state = 'claimed' AND lease_until <= ?1)),"
			 " sum(state = 'claimed' AND lease_until > ?1),"
			 " sum(state = 'done'), sum(state = 'failed') FROM q_event",
			 "preparing to count events");
	memset(out, 0, sizeof *out);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, now);
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = mc_store_fail(store, "counting events");
	} else {
		/* sum() over no rows is NULL, which reads as 0. */
		out->queued = sqlite3_column_int64(st, 0);
		out->claimed = sqlite3_column_int64(st, 1);
		out->done = sqlite3_column_int64(st, 2);
		out->failed = sqlite3_column_int64(st, 3);
	}
	mc_store_release(st);
	return rc;
}

static int exec_cutoff(mc_store *store, const char *sql, int64_t cutoff, const char *what)
{
	sqlite3_stmt *st;
	int rc = prepare(&st, store, sql, what);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, cutoff);
	return run_once(store, st, what);
}

int mc_queue_prune(mc_store *store, int64_t now, int64_t retention_s)
{
	int64_t cutoff = now - retention_s;
	int rc;

	if (retention_s < 0)
		return mc_error_set(MC_EINVAL, "queue: retention must not be negative");
	if ((rc = mc_store_begin(store)) != 0)
		return rc;
	/* Ids of events still held (queued, claimed, failed) stay, whatever their age:
	 * forgetting them would let a redelivery queue the event a second time. */
	if ((rc = exec_cutoff(store, "DELETE FROM q_event WHERE state = 'done' AND finished_at < ?1",
			      cutoff, "pruning done events")) != 0 ||
	    (rc = exec_cutoff(store,
			      "DELETE FROM q_delivery WHERE seen_at < ?1 AND NOT EXISTS"
			      " (SELECT 1 FROM q_event e WHERE e.delivery_id = q_delivery.delivery_id)",
			      cutoff, "pruning delivery ids")) != 0 ||
	    (rc = mc_store_commit(store)) != 0) {
		mc_store_rollback(store);
		return rc;
	}
	return 0;
}

int mc_queue_release_claims(mc_store *store, int64_t now, int64_t *released)
{
	sqlite3_stmt *st;
	int rc = prepare(&st, store,
			 "UPDATE q_event SET state = 'queued', lease_until = NULL, worker = NULL,"
			 " ready_at = ?1 WHERE state = 'claimed'",
			 "preparing to release claims");
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, now);
	if ((rc = run_once(store, st, "releasing claims")) == 0 && released)
		*released = sqlite3_changes(mc_store_sqlite(store));
	return rc;
}
