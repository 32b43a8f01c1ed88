/*
 * Predictions and outcomes in SQLite (simulation.h). Each record is written in
 * one transaction with its rows, so a reader never sees a prediction without
 * its routes.
 */
#include "adapters/store/simulation.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/error.h"

/* Insert rows under owner id with the given INSERT (?1 owner, ?2.. the row). */
static int insert_rows(mc_store *store, const char *sql, int64_t owner, const mc_sim_row *rows,
		       size_t n)
{
	sqlite3_stmt *st;
	size_t i;
	int rc = mc_store_prepare(store, &st, sql, "storing simulation rows");

	for (i = 0; !rc && i < n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, owner);
		sqlite3_bind_text(st, 2, rows[i].route, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 3, rows[i].requests);
		sqlite3_bind_double(st, 4, rows[i].p50);
		sqlite3_bind_double(st, 5, rows[i].p95);
		sqlite3_bind_double(st, 6, rows[i].p99);
		sqlite3_bind_double(st, 7, rows[i].error_rate);
		sqlite3_bind_double(st, 8, rows[i].cost);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = mc_store_fail(store, "storing simulation rows");
	}
	sqlite3_finalize(st);
	return rc;
}

/* Run an INSERT of a header row bound by bind(), returning its rowid. */
static int insert_header(int64_t *id, mc_store *store, sqlite3_stmt *st, const char *what)
{
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_finalize(st);
		return mc_store_fail(store, what);
	}
	sqlite3_finalize(st);
	*id = sqlite3_last_insert_rowid(mc_store_sqlite(store));
	return 0;
}

int mc_sim_record_prediction(int64_t *id, mc_store *store, const char *trace, const char *deltas,
			     const char *result, const mc_sim_row *rows, size_t n, int64_t now)
{
	sqlite3_stmt *st;
	int rc = mc_store_begin(store);

	if (!rc)
		rc = mc_store_prepare(store, &st, "INSERT INTO cf_prediction (created_at, trace, deltas, result)"
				      " VALUES (?1, ?2, ?3, ?4)", "storing a prediction");
	if (!rc) {
		sqlite3_bind_int64(st, 1, now);
		sqlite3_bind_text(st, 2, trace, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 3, deltas, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 4, result, -1, SQLITE_TRANSIENT);
		rc = insert_header(id, store, st, "storing a prediction");
	}
	if (!rc)
		rc = insert_rows(store, "INSERT INTO cf_prediction_route (prediction_id, route, "
				 "requests, p50, p95, p99, error_rate, cost) VALUES "
				 "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", *id, rows, n);
	if (!rc)
		rc = mc_store_commit(store);
	if (rc)
		mc_store_rollback(store);
	return rc;
}

static void read_row(mc_sim_row *r, sqlite3_stmt *st, int col)
{
	const char *route = (const char *)sqlite3_column_text(st, col);
	r->route = mc_xstrdup(route ? route : "");
	r->requests = sqlite3_column_int64(st, col + 1);
	r->p50 = sqlite3_column_double(st, col + 2);
	r->p95 = sqlite3_column_double(st, col + 3);
	r->p99 = sqlite3_column_double(st, col + 4);
	r->error_rate = sqlite3_column_double(st, col + 5);
	r->cost = sqlite3_column_double(st, col + 6);
}

int mc_sim_prediction_rows(mc_sim_row **rows, size_t *n, mc_store *store, int64_t id)
{
	sqlite3_stmt *st;
	size_t alloc = 0;
	int rc = mc_store_prepare(store, &st, "SELECT route, requests, p50, p95, p99, error_rate, cost "
				  "FROM cf_prediction_route WHERE prediction_id = ?1 ORDER BY route",
				  "reading a prediction");

	*rows = NULL;
	*n = 0;
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		mc_xgrow((void **)rows, &alloc, *n + 1, sizeof **rows);
		read_row(&(*rows)[(*n)++], st, 0);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		mc_sim_rows_free(*rows, *n);
		*rows = NULL;
		*n = 0;
		return mc_store_fail(store, "reading a prediction");
	}
	if (!*n)
		return mc_error_set(MC_ENOTFOUND, "no prediction %lld", (long long)id);
	return 0;
}

int mc_sim_record_outcome(int64_t *outcome_id, mc_store *store, int64_t id, const char *trace,
			  const mc_sim_row *rows, size_t n, int64_t now)
{
	sqlite3_stmt *st;
	int rc = mc_store_begin(store);

	if (!rc)
		rc = mc_store_prepare(store, &st, "INSERT INTO cf_outcome (prediction_id, recorded_at, trace)"
				      " VALUES (?1, ?2, ?3)", "storing an outcome");
	if (!rc) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, now);
		sqlite3_bind_text(st, 3, trace, -1, SQLITE_TRANSIENT);
		rc = insert_header(outcome_id, store, st, "storing an outcome");
	}
	if (!rc)
		rc = insert_rows(store, "INSERT INTO cf_outcome_route (outcome_id, route, requests, "
				 "p50, p95, p99, error_rate, cost) VALUES "
				 "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", *outcome_id, rows, n);
	if (!rc)
		rc = mc_store_commit(store);
	if (rc)
		mc_store_rollback(store);
	return rc;
}

int mc_sim_pairs(mc_sim_pair **pairs, size_t *n, mc_store *store, int64_t id)
{
	static const char sql[] =
		"SELECT p.prediction_id, p.route, p.requests, p.p50, p.p95, p.p99, p.error_rate,"
		" p.cost, a.route, a.requests, a.p50, a.p95, a.p99, a.error_rate, a.cost"
		" FROM cf_prediction_route p"
		" JOIN cf_outcome o ON o.id = (SELECT max(id) FROM cf_outcome"
		"                              WHERE prediction_id = p.prediction_id)"
		" JOIN cf_outcome_route a ON a.outcome_id = o.id AND a.route = p.route"
		" WHERE ?1 <= 0 OR p.prediction_id = ?1"
		" ORDER BY p.prediction_id, p.route";
	sqlite3_stmt *st;
	size_t alloc = 0;
	int rc = mc_store_prepare(store, &st, sql, "reading outcomes");

	*pairs = NULL;
	*n = 0;
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		mc_sim_pair *p;
		mc_xgrow((void **)pairs, &alloc, *n + 1, sizeof **pairs);
		p = &(*pairs)[(*n)++];
		p->prediction_id = sqlite3_column_int64(st, 0);
		read_row(&p->predicted, st, 1);
		read_row(&p->actual, st, 8);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		mc_sim_pairs_free(*pairs, *n);
		*pairs = NULL;
		*n = 0;
		return mc_store_fail(store, "reading outcomes");
	}
	return 0;
}

int mc_sim_count(int64_t *predictions, mc_store *store)
{
	sqlite3_stmt *st;
	int rc = mc_store_prepare(store, &st, "SELECT count(*) FROM cf_prediction",
				  "counting predictions");
	if (rc)
		return rc;
	rc = sqlite3_step(st) == SQLITE_ROW ? 0 : mc_store_fail(store, "counting predictions");
	*predictions = rc ? 0 : sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc;
}

void mc_sim_rows_free(mc_sim_row *rows, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		free(rows[i].route);
	free(rows);
}

void mc_sim_pairs_free(mc_sim_pair *pairs, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		free(pairs[i].predicted.route);
		free(pairs[i].actual.route);
	}
	free(pairs);
}
