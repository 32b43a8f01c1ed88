/*
 * History cache tables and queries (history_cache.h; schema in db.c). All
 * statements are prepared once per cache handle; query inputs that are lists
 * (paths, subsystems) go through temporary tables, never into SQL text.
 */
#include "adapters/store/history_cache.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/error.h"
#include "util/path.h"
#include "util/strmap.h"

#define SECONDS_PER_DAY 86400.0
#define SECONDS_PER_YEAR (365.25 * SECONDS_PER_DAY)

enum stmt_id {
	S_AUTHOR_GET, S_AUTHOR_ADD, S_PATH_GET, S_PATH_ADD, S_COMMIT_ADD, S_COMMIT_HAS,
	S_COMMIT_COUNT, S_TOUCH_ADD, S_TIP_ADD, S_TIP_HAS, S_TIP_ALL, S_QPATH_ADD, S_QPATH_CLEAR,
	S_QSUB_ADD, S_QSUB_CLEAR, S_FILE_COUNTS, S_FILE_AGE, S_AUTHOR_EXP, S_AUTHOR_SEXP,
	S_BEGIN, S_COMMIT, S_ROLLBACK, S_SAVEPOINT, S_RELEASE, S_ROLLBACK_TO,
	S_COUNT
};

static const char *const stmt_sql[S_COUNT] = {
	[S_AUTHOR_GET] = "SELECT id FROM hc_author WHERE email = ?1",
	[S_AUTHOR_ADD] = "INSERT INTO hc_author(email) VALUES (?1)",
	[S_PATH_GET] = "SELECT id FROM hc_path WHERE path = ?1",
	[S_PATH_ADD] = "INSERT INTO hc_path(path, subsystem) VALUES (?1, ?2)",
	[S_COMMIT_ADD] = "INSERT OR IGNORE INTO hc_commit(oid, author_id, time, fix, merge)"
			 " VALUES (?1, ?2, ?3, ?4, ?5)",
	[S_COMMIT_HAS] = "SELECT 1 FROM hc_commit WHERE oid = ?1",
	[S_COMMIT_COUNT] = "SELECT COUNT(*) FROM hc_commit",
	[S_TOUCH_ADD] = "INSERT OR IGNORE INTO hc_touch(path_id, commit_id) VALUES (?1, ?2)",
	[S_TIP_ADD] = "INSERT OR REPLACE INTO hc_tip(oid, mined_at) VALUES (?1, ?2)",
	[S_TIP_HAS] = "SELECT 1 FROM hc_tip WHERE oid = ?1",
	[S_TIP_ALL] = "SELECT oid FROM hc_tip ORDER BY mined_at DESC",
	[S_QPATH_ADD] = "INSERT OR IGNORE INTO temp.hc_q_path(path) VALUES (?1)",
	[S_QPATH_CLEAR] = "DELETE FROM temp.hc_q_path",
	[S_QSUB_ADD] = "INSERT OR IGNORE INTO temp.hc_q_subsystem(subsystem) VALUES (?1)",
	[S_QSUB_CLEAR] = "DELETE FROM temp.hc_q_subsystem",
	[S_FILE_COUNTS] =
		"SELECT COUNT(DISTINCT c.id), COUNT(DISTINCT c.author_id)"
		" FROM temp.hc_q_path q JOIN hc_path p ON p.path = q.path"
		" JOIN hc_touch t ON t.path_id = p.id JOIN hc_commit c ON c.id = t.commit_id"
		" WHERE c.time < ?1 AND c.merge = 0",
	[S_FILE_AGE] =
		"SELECT COUNT(*), TOTAL(MAX(?2 - last, 0)) FROM ("
		" SELECT MAX(c.time) AS last"
		" FROM temp.hc_q_path q JOIN hc_path p ON p.path = q.path"
		" JOIN hc_touch t ON t.path_id = p.id JOIN hc_commit c ON c.id = t.commit_id"
		" WHERE c.time < ?1 AND c.merge = 0 GROUP BY p.id)",
	[S_AUTHOR_EXP] =
		"SELECT COUNT(*), TOTAL(1.0 / (MAX(?3 - c.time, 0) / ?4 + 1.0))"
		" FROM hc_author a JOIN hc_commit c ON c.author_id = a.id"
		" WHERE a.email = ?1 AND c.time < ?2 AND c.merge = 0",
	[S_AUTHOR_SEXP] =
		"SELECT COUNT(DISTINCT c.id)"
		" FROM hc_author a JOIN hc_commit c ON c.author_id = a.id"
		" JOIN hc_touch t ON t.commit_id = c.id JOIN hc_path p ON p.id = t.path_id"
		" WHERE a.email = ?1 AND c.time < ?2 AND c.merge = 0"
		" AND p.subsystem IN (SELECT subsystem FROM temp.hc_q_subsystem)",
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_SAVEPOINT] = "SAVEPOINT hc_add_commit",
	[S_RELEASE] = "RELEASE hc_add_commit",
	[S_ROLLBACK_TO] = "ROLLBACK TO hc_add_commit",
};

struct mc_history_cache {
	mc_store *store;
	sqlite3 *db;
	sqlite3_stmt *st[S_COUNT];
	/* Ids of authors and paths already looked up or stored: mining stores a few paths
	 * per commit, and a database round trip for each id was most of its time. A
	 * rollback can remove rows these name, so any rollback empties them. */
	mc_strmap author_ids, path_ids;
};

static void forget_ids(mc_history_cache *hc)
{
	mc_strmap_clear(&hc->author_ids);
	mc_strmap_clear(&hc->path_ids);
}

static void on_rollback(void *arg)
{
	forget_ids(arg);
}

int mc_history_cache_open(mc_history_cache **out, mc_store *store)
{
	mc_history_cache *hc = mc_xcalloc(1, sizeof *hc);
	int i, rc;

	*out = NULL;
	hc->store = store;
	hc->db = mc_store_sqlite(store);
	if ((rc = mc_store_exec(store,
				"CREATE TEMP TABLE IF NOT EXISTS hc_q_path (path BLOB PRIMARY KEY);"
				"CREATE TEMP TABLE IF NOT EXISTS hc_q_subsystem"
				" (subsystem BLOB PRIMARY KEY);")) != 0)
		goto fail;
	/* The connection has one rollback hook, and the history cache is its only user. */
	sqlite3_rollback_hook(hc->db, on_rollback, hc);
	for (i = 0; i < S_COUNT; i++)
		if (sqlite3_prepare_v3(hc->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &hc->st[i],
				       NULL) != SQLITE_OK) {
			rc = mc_store_fail(store, "preparing the history cache queries");
			goto fail;
		}
	*out = hc;
	return 0;
fail:
	mc_history_cache_free(hc);
	return rc;
}

void mc_history_cache_free(mc_history_cache *hc)
{
	int i;
	if (!hc)
		return;
	sqlite3_rollback_hook(hc->db, NULL, NULL);
	for (i = 0; i < S_COUNT; i++)
		sqlite3_finalize(hc->st[i]);
	mc_strmap_free(&hc->author_ids);
	mc_strmap_free(&hc->path_ids);
	free(hc);
}

/* Reset a statement for reuse and return it. */
static sqlite3_stmt *stmt(mc_history_cache *hc, enum stmt_id id)
{
	sqlite3_reset(hc->st[id]);
	sqlite3_clear_bindings(hc->st[id]);
	return hc->st[id];
}

static int step_done(mc_history_cache *hc, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : mc_store_fail(hc->store, what);
}

/* 1 with *id set when the row exists, 0 when not, <0 on error. */
static int lookup_id(sqlite3_int64 *id, mc_history_cache *hc, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
		return 1;
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : mc_store_fail(hc->store, what);
}

static int author_id(sqlite3_int64 *id, mc_history_cache *hc, const char *email)
{
	sqlite3_stmt *s = stmt(hc, S_AUTHOR_GET);
	int64_t known;
	int rc;

	if (mc_strmap_get(&hc->author_ids, email, &known)) {
		*id = known;
		return 0;
	}
	sqlite3_bind_text(s, 1, email, -1, SQLITE_STATIC);
	if ((rc = lookup_id(id, hc, s, "looking up an author")) == 0) {
		s = stmt(hc, S_AUTHOR_ADD);
		sqlite3_bind_text(s, 1, email, -1, SQLITE_STATIC);
		if ((rc = step_done(hc, s, "storing an author")) != 0)
			return rc;
		*id = sqlite3_last_insert_rowid(hc->db);
	} else if (rc < 0) {
		return rc;
	}
	mc_strmap_put(&hc->author_ids, email, *id);
	return 0;
}

static int path_id(sqlite3_int64 *id, mc_history_cache *hc, const char *path)
{
	sqlite3_stmt *s = stmt(hc, S_PATH_GET);
	size_t sublen = mc_path_subsystem_len(path);
	int64_t known;
	int rc;

	if (mc_strmap_get(&hc->path_ids, path, &known)) {
		*id = known;
		return 0;
	}
	sqlite3_bind_blob(s, 1, path, (int)strlen(path), SQLITE_STATIC);
	if ((rc = lookup_id(id, hc, s, "looking up a path")) != 0) {
		if (rc > 0)
			mc_strmap_put(&hc->path_ids, path, *id);
		return rc < 0 ? rc : 0;
	}
	s = stmt(hc, S_PATH_ADD);
	sqlite3_bind_blob(s, 1, path, (int)strlen(path), SQLITE_STATIC);
	if (sublen)
		sqlite3_bind_blob(s, 2, path, (int)sublen, SQLITE_STATIC);
	else
		sqlite3_bind_blob(s, 2, MC_PATH_ROOT, 1, SQLITE_STATIC);
	if ((rc = step_done(hc, s, "storing a path")) != 0)
		return rc;
	*id = sqlite3_last_insert_rowid(hc->db);
	mc_strmap_put(&hc->path_ids, path, *id);
	return 0;
}

/* Run a statement whose outcome does not matter (undoing after an error that is already
 * reported). */
static void step_quietly(mc_history_cache *hc, enum stmt_id id)
{
	sqlite3_stmt *s = stmt(hc, id);
	sqlite3_step(s);
	sqlite3_reset(s);
}

/*
 * Storing a commit is all or nothing: a commit row without its touches would be taken
 * for a complete one by the next add ("already stored"). Outside a transaction it takes
 * the write lock up front (BEGIN IMMEDIATE, so a concurrent writer is waited for rather
 * than failing on a stale read snapshot); inside the caller's, it is a savepoint.
 */
static int atomic_begin(mc_history_cache *hc, int *own_transaction)
{
	*own_transaction = sqlite3_get_autocommit(hc->db);
	return step_done(hc, stmt(hc, *own_transaction ? S_BEGIN : S_SAVEPOINT),
			 "starting to store a commit");
}

static int atomic_end(mc_history_cache *hc, int own_transaction, int rc)
{
	if (rc == 0 && (rc = step_done(hc, stmt(hc, own_transaction ? S_COMMIT : S_RELEASE),
				       "storing a commit")) == 0)
		return 0;
	if (own_transaction) {
		if (!sqlite3_get_autocommit(hc->db))
			step_quietly(hc, S_ROLLBACK);
	} else {
		/* ROLLBACK TO runs no rollback hook, but it can remove ids we remember. */
		step_quietly(hc, S_ROLLBACK_TO);
		step_quietly(hc, S_RELEASE);
		forget_ids(hc);
	}
	return rc;
}

static int store_commit(mc_history_cache *hc, const char *oid, const char *author_email,
			int64_t time, int fix, int merge, const char *const *paths, size_t npaths)
{
	sqlite3_int64 author = 0, commit, path = 0;
	sqlite3_stmt *s;
	size_t i;
	int rc;

	if ((rc = author_id(&author, hc, author_email)) != 0)
		return rc;
	s = stmt(hc, S_COMMIT_ADD);
	sqlite3_bind_text(s, 1, oid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, author);
	sqlite3_bind_int64(s, 3, time);
	sqlite3_bind_int(s, 4, fix != 0);
	sqlite3_bind_int(s, 5, merge != 0);
	if ((rc = step_done(hc, s, "storing a commit")) != 0)
		return rc;
	if (sqlite3_changes(hc->db) == 0)
		return 0; /* already stored, with its touches */
	commit = sqlite3_last_insert_rowid(hc->db);
	for (i = 0; i < npaths; i++) {
		if ((rc = path_id(&path, hc, paths[i])) != 0)
			return rc;
		s = stmt(hc, S_TOUCH_ADD);
		sqlite3_bind_int64(s, 1, path);
		sqlite3_bind_int64(s, 2, commit);
		if ((rc = step_done(hc, s, "storing a touched path")) != 0)
			return rc;
	}
	return 0;
}

int mc_history_cache_add_commit(mc_history_cache *hc, const char *oid, const char *author_email,
				int64_t time, int fix, int merge, const char *const *paths,
				size_t npaths)
{
	int own_transaction, rc;

	if ((rc = atomic_begin(hc, &own_transaction)) != 0)
		return rc;
	rc = store_commit(hc, oid, author_email, time, fix, merge, paths, npaths);
	return atomic_end(hc, own_transaction, rc);
}

static int exists(int *out, mc_history_cache *hc, enum stmt_id id, const char *oid)
{
	sqlite3_stmt *s = stmt(hc, id);
	sqlite3_int64 one;
	int rc;

	sqlite3_bind_text(s, 1, oid, -1, SQLITE_STATIC);
	rc = lookup_id(&one, hc, s, "querying the history cache");
	if (rc < 0)
		return rc;
	*out = rc;
	return 0;
}

int mc_history_cache_has_commit(int *out, mc_history_cache *hc, const char *oid)
{
	return exists(out, hc, S_COMMIT_HAS, oid);
}

int mc_history_cache_is_mined(int *out, mc_history_cache *hc, const char *tip)
{
	return exists(out, hc, S_TIP_HAS, tip);
}

int mc_history_cache_count_commits(unsigned *out, mc_history_cache *hc)
{
	sqlite3_int64 n = 0;
	int rc = lookup_id(&n, hc, stmt(hc, S_COMMIT_COUNT), "counting cached commits");
	if (rc < 0)
		return rc;
	*out = (unsigned)n;
	return 0;
}

int mc_history_cache_mark_mined(mc_history_cache *hc, const char *tip, int64_t now)
{
	sqlite3_stmt *s = stmt(hc, S_TIP_ADD);
	sqlite3_bind_text(s, 1, tip, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, now);
	return step_done(hc, s, "recording a mined tip");
}

int mc_history_cache_mined_tips(char ***out, size_t *n, mc_history_cache *hc)
{
	sqlite3_stmt *s = stmt(hc, S_TIP_ALL);
	char **tips = NULL;
	size_t count = 0, alloc = 0;
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *oid = (const char *)sqlite3_column_text(s, 0);
		mc_xgrow((void **)&tips, &alloc, count + 1, sizeof *tips);
		tips[count++] = mc_xstrdup(oid ? oid : "");
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		while (count)
			free(tips[--count]);
		free(tips);
		return mc_store_fail(hc->store, "listing mined tips");
	}
	*out = tips;
	*n = count;
	return 0;
}

/* Fill a query temp table with byte strings (len 0 → strlen). */
static int fill_temp(mc_history_cache *hc, enum stmt_id clear, enum stmt_id add,
		     const char *const *items, size_t n)
{
	size_t i;
	int rc;

	if ((rc = step_done(hc, stmt(hc, clear), "clearing a query table")) != 0)
		return rc;
	for (i = 0; i < n; i++) {
		sqlite3_stmt *s = stmt(hc, add);
		sqlite3_bind_blob(s, 1, items[i], (int)strlen(items[i]), SQLITE_STATIC);
		if ((rc = step_done(hc, s, "filling a query table")) != 0)
			return rc;
	}
	return 0;
}

int mc_history_cache_file_history(mc_file_history *out, mc_history_cache *hc,
				  const char *const *paths, size_t npaths, int64_t before,
				  int64_t now)
{
	sqlite3_stmt *s;
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = fill_temp(hc, S_QPATH_CLEAR, S_QPATH_ADD, paths, npaths)) != 0)
		return rc;
	s = stmt(hc, S_FILE_COUNTS);
	sqlite3_bind_int64(s, 1, before);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_reset(s);
		return mc_store_fail(hc->store, "querying file history");
	}
	out->nuc = (unsigned long)sqlite3_column_int64(s, 0);
	out->ndev = (unsigned long)sqlite3_column_int64(s, 1);
	sqlite3_reset(s);
	s = stmt(hc, S_FILE_AGE);
	sqlite3_bind_int64(s, 1, before);
	sqlite3_bind_int64(s, 2, now);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_reset(s);
		return mc_store_fail(hc->store, "querying file ages");
	}
	out->files_with_history = (unsigned long)sqlite3_column_int64(s, 0);
	if (out->files_with_history)
		out->age_days = sqlite3_column_double(s, 1) / SECONDS_PER_DAY /
				(double)out->files_with_history;
	sqlite3_reset(s);
	return step_done(hc, stmt(hc, S_QPATH_CLEAR), "clearing a query table");
}

int mc_history_cache_author_history(mc_author_history *out, mc_history_cache *hc,
				    const char *author_email, const char *const *subsystems,
				    size_t nsubsystems, int64_t before, int64_t now)
{
	sqlite3_stmt *s = stmt(hc, S_AUTHOR_EXP);
	int rc;

	memset(out, 0, sizeof *out);
	sqlite3_bind_text(s, 1, author_email, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, before);
	sqlite3_bind_int64(s, 3, now);
	sqlite3_bind_double(s, 4, SECONDS_PER_YEAR);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_reset(s);
		return mc_store_fail(hc->store, "querying author experience");
	}
	out->exp = (unsigned long)sqlite3_column_int64(s, 0);
	out->rexp = sqlite3_column_double(s, 1);
	sqlite3_reset(s);
	if ((rc = fill_temp(hc, S_QSUB_CLEAR, S_QSUB_ADD, subsystems, nsubsystems)) != 0)
		return rc;
	s = stmt(hc, S_AUTHOR_SEXP);
	sqlite3_bind_text(s, 1, author_email, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, before);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_reset(s);
		return mc_store_fail(hc->store, "querying subsystem experience");
	}
	out->sexp = (unsigned long)sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return step_done(hc, stmt(hc, S_QSUB_CLEAR), "clearing a query table");
}
