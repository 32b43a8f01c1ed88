/*
 * SQLite plumbing (db.h). Migrations are append-only: version N's SQL runs once
 * on a file at version N-1, inside the same transaction as the user_version
 * bump, so a crash never leaves a half-migrated file.
 */
#include "adapters/store/db.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/alloc.h"
#include "util/error.h"

#define MC_STORE_BUSY_TIMEOUT_MS 10000

#define MC_STORE_CACHED_STATEMENTS 16

struct mc_store {
	sqlite3 *db;
	/* mc_store_prepare_cached: statements kept by the address of their SQL text. */
	struct {
		const char *sql;
		sqlite3_stmt *st;
	} cache[MC_STORE_CACHED_STATEMENTS];
	size_t ncache;
};

/* migrations[i] brings the schema from version i to i + 1. */
static const char *const migrations[] = {
	/* 1: the history cache (history_cache.c). Paths are BLOBs: git paths need not be UTF-8. */
	"CREATE TABLE hc_author (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);"
	"CREATE TABLE hc_path (id INTEGER PRIMARY KEY, path BLOB NOT NULL UNIQUE,"
	"  subsystem BLOB NOT NULL);"
	"CREATE TABLE hc_commit (id INTEGER PRIMARY KEY, oid TEXT NOT NULL UNIQUE,"
	"  author_id INTEGER NOT NULL REFERENCES hc_author(id), time INTEGER NOT NULL,"
	"  fix INTEGER NOT NULL, merge INTEGER NOT NULL);"
	"CREATE INDEX hc_commit_author_time ON hc_commit(author_id, time);"
	"CREATE TABLE hc_touch (path_id INTEGER NOT NULL REFERENCES hc_path(id),"
	"  commit_id INTEGER NOT NULL REFERENCES hc_commit(id),"
	"  PRIMARY KEY (path_id, commit_id)) WITHOUT ROWID;"
	"CREATE INDEX hc_touch_commit ON hc_touch(commit_id, path_id);"
	"CREATE TABLE hc_tip (oid TEXT PRIMARY KEY, mined_at INTEGER NOT NULL) WITHOUT ROWID;",
	/* 2: the portfolio of work items (portfolio.c). Ids are plain strings: a branch name
	 * for local reviews, "owner/repo#123" for a forge's pull requests. */
	"CREATE TABLE pf_item (id TEXT PRIMARY KEY, title TEXT NOT NULL, head TEXT NOT NULL,"
	"  base TEXT NOT NULL, repository TEXT NOT NULL, value_usd REAL NOT NULL,"
	"  expected_value_usd REAL NOT NULL, risk REAL NOT NULL,"
	"  priority INTEGER NOT NULL DEFAULT 0,"
	"  state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),"
	"  updated_at INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX pf_item_rank ON pf_item(state, expected_value_usd DESC, id);"
	"CREATE TABLE pf_component (item_id TEXT NOT NULL REFERENCES pf_item(id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL, kind TEXT NOT NULL CHECK (kind IN ('value', 'cost')),"
	"  usd REAL NOT NULL, PRIMARY KEY (item_id, name)) WITHOUT ROWID;"
	"CREATE TABLE pf_cost (item_id TEXT NOT NULL REFERENCES pf_item(id) ON DELETE CASCADE,"
	"  dimension TEXT NOT NULL, amount REAL NOT NULL,"
	"  PRIMARY KEY (item_id, dimension)) WITHOUT ROWID;"
	"CREATE TABLE pf_priority_override (id INTEGER PRIMARY KEY,"
	"  item_id TEXT NOT NULL REFERENCES pf_item(id) ON DELETE CASCADE,"
	"  who TEXT NOT NULL, at INTEGER NOT NULL, reason TEXT NOT NULL CHECK (reason <> ''),"
	"  before_priority INTEGER NOT NULL, after_priority INTEGER NOT NULL);"
	"CREATE INDEX pf_priority_override_item ON pf_priority_override(item_id, id);",
	/* 3: realized value (portfolio.c): what a work item actually delivered, in dollars,
	 * as recorded by people; several records per item, the latest (highest id) counts.
	 * Negative amounts are legitimate (a change that hurt). */
	"CREATE TABLE pf_realized (id INTEGER PRIMARY KEY,"
	"  item_id TEXT NOT NULL REFERENCES pf_item(id) ON DELETE CASCADE,"
	"  usd REAL NOT NULL, note TEXT NOT NULL DEFAULT '', recorded_at INTEGER NOT NULL);"
	"CREATE INDEX pf_realized_item ON pf_realized(item_id, id);",
	/* 4: the daemon's durable event queue (queue.c). q_event rows move queued ->
	 * claimed -> done, or back to queued for a retry, or to failed when out of
	 * attempts; the partial index holds only the rows a claim may take, in arrival
	 * order. q_delivery remembers delivery ids (de-duplication) beyond the life of
	 * their events. Payloads are BLOBs: a body is kept byte for byte. */
	"CREATE TABLE q_event (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  delivery_id TEXT NOT NULL UNIQUE, forge TEXT NOT NULL, event TEXT NOT NULL,"
	"  repo TEXT NOT NULL, payload BLOB NOT NULL,"
	"  state TEXT NOT NULL CHECK (state IN ('queued', 'claimed', 'done', 'failed')),"
	"  attempts INTEGER NOT NULL DEFAULT 0, received_at INTEGER NOT NULL,"
	"  ready_at INTEGER NOT NULL, lease_until INTEGER, worker TEXT, error TEXT,"
	"  finished_at INTEGER);"
	"CREATE INDEX q_event_ready ON q_event(seq) WHERE state IN ('queued', 'claimed');"
	"CREATE INDEX q_event_state ON q_event(state, finished_at);"
	"CREATE TABLE q_delivery (delivery_id TEXT PRIMARY KEY, seen_at INTEGER NOT NULL)"
	"  WITHOUT ROWID;"
	"CREATE INDEX q_delivery_seen ON q_delivery(seen_at);",
	/* 5: the daemon's state per pull request (pr_state.c): auditor holds (the
	 * current state; the history is in the evidence), slash-command lines already
	 * carried out (so a redelivered or edited comment does not repeat them), and the
	 * poller's cursor per repository. */
	"CREATE TABLE pr_hold (repo TEXT NOT NULL, number INTEGER NOT NULL,"
	"  who TEXT NOT NULL, reason TEXT NOT NULL CHECK (reason <> ''), at INTEGER NOT NULL,"
	"  PRIMARY KEY (repo, number)) WITHOUT ROWID;"
	"CREATE TABLE pr_command_done (repo TEXT NOT NULL, comment_id INTEGER NOT NULL,"
	"  line INTEGER NOT NULL, digest TEXT NOT NULL, at INTEGER NOT NULL,"
	"  PRIMARY KEY (repo, comment_id, line, digest)) WITHOUT ROWID;"
	"CREATE TABLE pr_poll_cursor (repo TEXT PRIMARY KEY, since TEXT NOT NULL,"
	"  at INTEGER NOT NULL) WITHOUT ROWID;",
	/* 6: agent negotiation (agents.c): offers as received (dedup by id, rate limits by
	 * agent and time), contracts, their actuals, penalties, and each agent's record. */
	"CREATE TABLE ag_offer (offer_id TEXT PRIMARY KEY, agent_id TEXT NOT NULL,"
	"  task_id TEXT NOT NULL, received_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,"
	"  verified INTEGER NOT NULL, body TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX ag_offer_agent ON ag_offer(agent_id, received_at);"
	"CREATE INDEX ag_offer_expiry ON ag_offer(expires_at);"
	"CREATE TABLE ag_contract (id TEXT PRIMARY KEY, task_id TEXT NOT NULL,"
	"  agent_id TEXT NOT NULL, offer_id TEXT NOT NULL, train TEXT NOT NULL,"
	"  accepted_at INTEGER NOT NULL, cost_usd REAL NOT NULL, minutes REAL NOT NULL,"
	"  body TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX ag_contract_train ON ag_contract(train);"
	"CREATE TABLE ag_actual (contract_id TEXT PRIMARY KEY REFERENCES ag_contract(id),"
	"  usd REAL NOT NULL, minutes REAL NOT NULL, eval REAL NOT NULL,"
	"  recorded_at INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE ag_penalty (id INTEGER PRIMARY KEY,"
	"  contract_id TEXT NOT NULL REFERENCES ag_contract(id), agent_id TEXT NOT NULL,"
	"  penalty_usd REAL NOT NULL, misses INTEGER NOT NULL, downshift TEXT NOT NULL,"
	"  body TEXT NOT NULL, at INTEGER NOT NULL);"
	"CREATE INDEX ag_penalty_agent ON ag_penalty(agent_id, id);"
	"CREATE TABLE ag_reputation (agent_id TEXT PRIMARY KEY, contracts INTEGER NOT NULL,"
	"  misses INTEGER NOT NULL, miss_streak INTEGER NOT NULL, met_streak INTEGER NOT NULL,"
	"  penalties_usd REAL NOT NULL, tier INTEGER NOT NULL, cost_cap REAL NOT NULL,"
	"  tolerance_scale REAL NOT NULL,"
	"  cost_n INTEGER NOT NULL, cost_mean REAL NOT NULL, cost_var REAL NOT NULL,"
	"  minutes_n INTEGER NOT NULL, minutes_mean REAL NOT NULL, minutes_var REAL NOT NULL,"
	"  eval_n INTEGER NOT NULL, eval_mean REAL NOT NULL, eval_var REAL NOT NULL,"
	"  updated_at INTEGER NOT NULL) WITHOUT ROWID;",
	/* 7: counterfactual predictions (simulation.c): what `maestro simulate` predicted per
	 * route (route '*' is the whole trace), and the outcomes measured later on real
	 * traffic, so that the prediction error can be reported. */
	"CREATE TABLE cf_prediction (id INTEGER PRIMARY KEY, created_at INTEGER NOT NULL,"
	"  trace TEXT NOT NULL, deltas TEXT NOT NULL, result TEXT NOT NULL);"
	"CREATE TABLE cf_prediction_route (prediction_id INTEGER NOT NULL"
	"  REFERENCES cf_prediction(id) ON DELETE CASCADE, route TEXT NOT NULL,"
	"  requests INTEGER NOT NULL, p50 REAL NOT NULL, p95 REAL NOT NULL, p99 REAL NOT NULL,"
	"  error_rate REAL NOT NULL, cost REAL NOT NULL,"
	"  PRIMARY KEY (prediction_id, route)) WITHOUT ROWID;"
	"CREATE TABLE cf_outcome (id INTEGER PRIMARY KEY, prediction_id INTEGER NOT NULL"
	"  REFERENCES cf_prediction(id) ON DELETE CASCADE, recorded_at INTEGER NOT NULL,"
	"  trace TEXT NOT NULL);"
	"CREATE INDEX cf_outcome_prediction ON cf_outcome(prediction_id, id);"
	"CREATE TABLE cf_outcome_route (outcome_id INTEGER NOT NULL"
	"  REFERENCES cf_outcome(id) ON DELETE CASCADE, route TEXT NOT NULL,"
	"  requests INTEGER NOT NULL, p50 REAL NOT NULL, p95 REAL NOT NULL, p99 REAL NOT NULL,"
	"  error_rate REAL NOT NULL, cost REAL NOT NULL,"
	"  PRIMARY KEY (outcome_id, route)) WITHOUT ROWID;",
	/* 8: contracts found by task (one per task, agents.c checks it in the insert's
	 * transaction), and each task's latest escalation for its Decision Card. */
	"CREATE INDEX ag_contract_task ON ag_contract(task_id, accepted_at);"
	"CREATE TABLE ag_escalation (task_id TEXT PRIMARY KEY, at INTEGER NOT NULL,"
	"  body TEXT NOT NULL) WITHOUT ROWID;",
	/* 9: where a priority override came from (portfolio.c): a slash-command line
	 * ("comment:<id>:<line>:<digest>") is applied once even when the daemon is killed
	 * between applying it and marking the line done. */
	"ALTER TABLE pf_priority_override ADD COLUMN source TEXT;"
	"CREATE UNIQUE INDEX pf_priority_override_source ON pf_priority_override(item_id, source)"
	"  WHERE source IS NOT NULL;",
	/* 10: a claim reads the queue in arrival order per state (queue.c): the oldest
	 * queued event is the first entry of (state = 'queued') whose ready_at has come,
	 * read from the index alone. With only q_event_ready and q_event_state SQLite
	 * fetched every queued row and sorted them, so each claim cost O(backlog). */
	"CREATE INDEX q_event_claim_order ON q_event(state, seq, ready_at);"
	"DROP INDEX q_event_ready;",
	/* 11: the shadow canary's last judgement of a pull request's head (pr_state.c), so a
	 * later review of the same head (a label, a command) keeps its verdict on the card
	 * and in the status; a new head drops it. */
	"CREATE TABLE pr_canary (repo TEXT NOT NULL, number INTEGER NOT NULL,"
	"  head TEXT NOT NULL, judgement TEXT NOT NULL, at INTEGER NOT NULL,"
	"  PRIMARY KEY (repo, number)) WITHOUT ROWID;",
};

int mc_store_schema_version(void)
{
	return (int)(sizeof migrations / sizeof migrations[0]);
}

int mc_store_fail(mc_store *store, const char *what)
{
	return mc_error_set(MC_EDB, "%s: %s", what, sqlite3_errmsg(store->db));
}

int mc_store_exec(mc_store *store, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(store->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		int rc = mc_error_set(MC_EDB, "%s", msg ? msg : sqlite3_errmsg(store->db));
		sqlite3_free(msg);
		return rc;
	}
	return 0;
}

int mc_store_begin(mc_store *store)
{
	return mc_store_exec(store, "BEGIN IMMEDIATE");
}

int mc_store_commit(mc_store *store)
{
	return mc_store_exec(store, "COMMIT");
}

void mc_store_rollback(mc_store *store)
{
	if (!sqlite3_get_autocommit(store->db))
		sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
}

sqlite3 *mc_store_sqlite(mc_store *store)
{
	return store->db;
}

int mc_store_prepare_cached(mc_store *store, struct sqlite3_stmt **out, const char *sql)
{
	size_t i;
	int rc;

	for (i = 0; i < store->ncache; i++)
		if (store->cache[i].sql == sql) {
			*out = store->cache[i].st;
			return 0;
		}
	rc = sqlite3_prepare_v3(store->db, sql, -1, SQLITE_PREPARE_PERSISTENT, out, NULL);
	if (rc != SQLITE_OK) {
		*out = NULL;
		return MC_EDB;
	}
	/* Full: the newest entry makes room (callers use one statement at a time). */
	if (store->ncache == MC_STORE_CACHED_STATEMENTS)
		sqlite3_finalize(store->cache[--store->ncache].st);
	store->cache[store->ncache].sql = sql;
	store->cache[store->ncache++].st = *out;
	return 0;
}

int mc_store_prepare(mc_store *store, struct sqlite3_stmt **out, const char *sql, const char *what)
{
	if (sqlite3_prepare_v2(store->db, sql, -1, out, NULL) != SQLITE_OK) {
		*out = NULL;
		return mc_store_fail(store, what);
	}
	return 0;
}

int mc_store_step_done(mc_store *store, struct sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : mc_store_fail(store, what);
	sqlite3_finalize(st);
	return rc;
}

void mc_store_release(struct sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

static int read_user_version(mc_store *store, int *version)
{
	sqlite3_stmt *st = NULL;
	int rc = 0;
	if (sqlite3_prepare_v2(store->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW)
		rc = mc_store_fail(store, "reading the schema version");
	else
		*version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return rc;
}

static int newer_file(const char *path, int version, int target)
{
	return mc_error_set(MC_EDB, "%s: schema version %d is newer than this maestro's (%d); "
			    "upgrade maestro or use another database file", path, version, target);
}

/* Bring an older file up to date under the write lock. The version is read again once
 * the lock is held: another process may have migrated the file meanwhile. */
static int migrate(mc_store *store, const char *path)
{
	int version = 0, target = mc_store_schema_version(), rc;
	char pragma[48];

	if ((rc = mc_store_begin(store)) != 0)
		return mc_error_wrap(rc, "%s", path);
	if ((rc = read_user_version(store, &version)) != 0)
		goto fail;
	if (version > target) {
		rc = newer_file(path, version, target);
		goto fail;
	}
	for (; version < target; version++)
		if ((rc = mc_store_exec(store, migrations[version])) != 0) {
			rc = mc_error_wrap(rc, "%s: migrating to schema version %d", path, version + 1);
			goto fail;
		}
	snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", target);
	if ((rc = mc_store_exec(store, pragma)) != 0 || (rc = mc_store_commit(store)) != 0)
		goto fail;
	return 0;
fail:
	mc_store_rollback(store);
	return rc;
}

int mc_store_open(mc_store **out, const char *path)
{
	mc_store *store = mc_xcalloc(1, sizeof *store);
	int version = 0, rc;

	*out = NULL;
	if (sqlite3_open_v2(path, &store->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		rc = mc_error_set(MC_EDB, "opening %s: %s", path,
				  store->db ? sqlite3_errmsg(store->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(store->db, MC_STORE_BUSY_TIMEOUT_MS);
	/* A newer maestro's file is refused before anything here changes it (journal mode). */
	if ((rc = read_user_version(store, &version)) != 0) {
		rc = mc_error_wrap(rc, "%s", path);
		goto fail;
	}
	if (version > mc_store_schema_version()) {
		rc = newer_file(path, version, mc_store_schema_version());
		goto fail;
	}
	/* journal_mode answers with a row; exec ignores it. NORMAL sync is durable under WAL
	 * except for the last transactions on power loss, which a cache can afford. A
	 * 64 MiB page cache keeps a bulk load's index pages in memory until commit, and
	 * temp_store MEMORY keeps savepoint journals off the disk: with it on disk, mining
	 * 20,000 commits made 335,000 write calls. */
	if ((rc = mc_store_exec(store, "PRAGMA journal_mode = WAL")) != 0 ||
	    (rc = mc_store_exec(store, "PRAGMA synchronous = NORMAL")) != 0 ||
	    (rc = mc_store_exec(store, "PRAGMA foreign_keys = ON")) != 0 ||
	    (rc = mc_store_exec(store, "PRAGMA cache_size = -65536")) != 0 ||
	    (rc = mc_store_exec(store, "PRAGMA temp_store = MEMORY")) != 0) {
		rc = mc_error_wrap(rc, "%s", path);
		goto fail;
	}
	/* Only an out-of-date file takes the write lock: opening a current one never waits
	 * for (or fails behind) a long writer such as a mining transaction. */
	if (version < mc_store_schema_version() && (rc = migrate(store, path)) != 0)
		goto fail;
	*out = store;
	return 0;
fail:
	mc_store_close(store);
	return rc;
}

void mc_store_close(mc_store *store)
{
	if (!store)
		return;
	while (store->ncache > 0)
		sqlite3_finalize(store->cache[--store->ncache].st);
	sqlite3_close_v2(store->db);
	free(store);
}
