/*
 * The operational SQLite store: opening it the way every user of it needs
 * (WAL, a busy timeout so concurrent workers wait instead of failing, foreign
 * keys on), the schema brought up to date by PRAGMA user_version migrations,
 * and transaction helpers. Tables belong to the modules that use them
 * (history_cache.h, portfolio.h, queue.h); their DDL is listed here in migration order so that
 * one version number describes the whole file.
 */
#ifndef MC_ADAPTERS_STORE_DB_H
#define MC_ADAPTERS_STORE_DB_H

struct sqlite3;
typedef struct mc_store mc_store;

/* Open (creating when absent) the database at path, or an in-memory one for ":memory:",
 * and migrate it. A file written by a newer maestro (higher user_version) is refused. */
int mc_store_open(mc_store **out, const char *path);
void mc_store_close(mc_store *store);

/* The schema version this build writes. */
int mc_store_schema_version(void);

/* BEGIN IMMEDIATE (take the write lock now, so a busy writer is waited for up front). */
int mc_store_begin(mc_store *store);
int mc_store_commit(mc_store *store);
/* Roll back; safe to call when no transaction is open. */
void mc_store_rollback(mc_store *store);

/* Run SQL without parameters or results (DDL, pragmas). */
int mc_store_exec(mc_store *store, const char *sql);

/* The SQLite handle, for the other store modules only. */
struct sqlite3 *mc_store_sqlite(mc_store *store);
/*
 * A statement prepared once per store and kept until mc_store_close, found again by
 * the address of sql — which must be a string literal (static storage), never a
 * buffer reused for other text. 0, or MC_EDB with SQLite's message left for
 * mc_store_fail. Hand it back with mc_store_release (reset, bindings cleared) when
 * done, rows read or not, so it holds no read transaction open.
 */
struct sqlite3_stmt;
int mc_store_prepare_cached(mc_store *store, struct sqlite3_stmt **out, const char *sql);
void mc_store_release(struct sqlite3_stmt *st);

/* A statement of the caller's own (sqlite3_finalize it): 0, or MC_EDB "<what>:
 * <SQLite's message>" with *out NULL. */
int mc_store_prepare(mc_store *store, struct sqlite3_stmt **out, const char *sql, const char *what);
/* Step a statement that returns no rows, then finalize it: 0, or MC_EDB "<what>: …". */
int mc_store_step_done(mc_store *store, struct sqlite3_stmt *st, const char *what);

/* Set the error from SQLite's last error on this store: "<what>: <message>". Returns MC_EDB. */
int mc_store_fail(mc_store *store, const char *what);

#endif
