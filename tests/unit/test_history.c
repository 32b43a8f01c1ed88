/*
 * Unit tests for history mining (adapters/git/history), the history cache
 * (adapters/store/history_cache) and the SQLite store it lives in
 * (adapters/store/db): real repositories and real database files in temp dirs.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adapters/git/history.h"
#include "adapters/git/repo.h"
#include "adapters/store/db.h"
#include "adapters/store/history_cache.h"
#include "testutil.h"
#include "util/path.h"
#include "util/strmap.h"
#include "util/error.h"

#define DAY 86400
#define YEAR (365.25 * DAY)

static char *path_in(const char *dir, const char *rel)
{
	char *p;
	ck_assert_int_ge(asprintf(&p, "%s/%s", dir, rel), 0);
	return p;
}

/* ---- walking a repository ---------------------------------------------------- */

typedef struct seen_commit {
	char oid[41];
	char email[64];
	int64_t time;
	unsigned parent_count;
	int fix;
	char *paths; /* touched paths joined with '|' in the order given */
	size_t npaths;
} seen_commit;

typedef struct walk_log {
	seen_commit items[32];
	size_t n;
	int stop_after; /* return 7 after this many commits, when > 0 */
} walk_log;

static int record_commit(void *ctx, const mc_history_commit *c)
{
	walk_log *log = ctx;
	seen_commit *s;
	size_t i, len = 1;

	ck_assert_uint_lt(log->n, sizeof log->items / sizeof log->items[0]);
	s = &log->items[log->n++];
	memcpy(s->oid, c->oid, sizeof s->oid);
	snprintf(s->email, sizeof s->email, "%s", c->author_email);
	s->time = c->author_time;
	s->parent_count = c->parent_count;
	s->fix = c->fix;
	s->npaths = c->npaths;
	for (i = 0; i < c->npaths; i++)
		len += strlen(c->paths[i]) + 1;
	s->paths = calloc(1, len);
	for (i = 0; i < c->npaths; i++) {
		if (i)
			strcat(s->paths, "|");
		strcat(s->paths, c->paths[i]);
	}
	return log->stop_after && (int)log->n >= log->stop_after ? 7 : 0;
}

static void walk_log_free(walk_log *log)
{
	size_t i;
	for (i = 0; i < log->n; i++)
		free(log->items[i].paths);
	log->n = 0;
}

static const seen_commit *seen(const walk_log *log, const char *oid)
{
	size_t i;
	for (i = 0; i < log->n; i++)
		if (!strcmp(log->items[i].oid, oid))
			return &log->items[i];
	return NULL;
}

static void commit_as(const char *dir, const char *author, long when, const char *message)
{
	char date[32], who[96];
	snprintf(date, sizeof date, "--date=@%ld +0000", when);
	snprintf(who, sizeof who, "--author=%s", author);
	mc_test_git(dir, "add", "-A", NULL);
	mc_test_git(dir, "commit", "-q", "--allow-empty", who, date, "-m", message, NULL);
}

/*
 * c1 (root, alice, t=1000): a.txt, dir/b.txt, dir/sub/c.txt
 * c2 (bob, 2000, "Fix crash on empty input"): a.txt
 * side: c3 (alice, 3000): dir/b.txt renamed to dir/b2.txt
 * main: c4 (carol, 4000): a.txt, e.txt
 * c5 (alice, 5000): merge of side into main
 */
typedef struct history_repo {
	char *dir;
	char *c[6]; /* c[1]..c[5] */
} history_repo;

static void history_repo_make(history_repo *h)
{
	memset(h, 0, sizeof *h);
	h->dir = mc_test_tmpdir();
	mc_test_git_init(h->dir, "main");
	mc_test_write(h->dir, "a.txt", "a\n");
	mc_test_write(h->dir, "dir/b.txt", "b1\nb2\nb3\nb4\n");
	mc_test_write(h->dir, "dir/sub/c.txt", "c\n");
	commit_as(h->dir, "Alice <alice@example.com>", 1000, "Initial import");
	h->c[1] = mc_test_git_out(h->dir, "rev-parse", "HEAD", NULL);
	mc_test_write(h->dir, "a.txt", "a\nguard\n");
	commit_as(h->dir, "Bob <bob@example.com>", 2000, "Fix crash on empty input");
	h->c[2] = mc_test_git_out(h->dir, "rev-parse", "HEAD", NULL);
	mc_test_git(h->dir, "checkout", "-q", "-b", "side", NULL);
	mc_test_git(h->dir, "mv", "dir/b.txt", "dir/b2.txt", NULL);
	commit_as(h->dir, "Alice <alice@example.com>", 3000, "Rename b");
	h->c[3] = mc_test_git_out(h->dir, "rev-parse", "HEAD", NULL);
	mc_test_git(h->dir, "checkout", "-q", "main", NULL);
	mc_test_write(h->dir, "a.txt", "a\nguard\nmore\n");
	mc_test_write(h->dir, "e.txt", "e\n");
	commit_as(h->dir, "Carol <carol@example.com>", 4000, "Add e");
	h->c[4] = mc_test_git_out(h->dir, "rev-parse", "HEAD", NULL);
	mc_test_git(h->dir, "merge", "-q", "--no-ff", "--no-edit", "side", NULL);
	mc_test_git(h->dir, "commit", "-q", "--amend", "--no-edit", "--date=@5000 +0000",
		    "--author=Alice <alice@example.com>", NULL);
	h->c[5] = mc_test_git_out(h->dir, "rev-parse", "HEAD", NULL);
}

static void history_repo_free(history_repo *h)
{
	int i;
	mc_test_rmtree(h->dir);
	for (i = 1; i <= 5; i++)
		free(h->c[i]);
	free(h->dir);
}

static mc_repo *open_repo(const char *dir)
{
	mc_repo *repo = NULL;
	int rc = mc_repo_open(&repo, dir);
	ck_assert_msg(rc == 0, "%s", mc_error_message());
	return repo;
}

START_TEST(walk_visits_every_commit_once)
{
	history_repo h;
	walk_log log = { 0 };
	unsigned walked = 99;
	mc_repo *repo;
	const seen_commit *s;
	size_t i, j;

	history_repo_make(&h);
	repo = open_repo(h.dir);
	ck_assert_int_eq(mc_history_walk(&walked, repo, "HEAD", NULL, 0, record_commit, &log), 0);
	ck_assert_uint_eq(walked, 5);
	ck_assert_uint_eq(log.n, 5);
	for (i = 1; i <= 5; i++)
		ck_assert_msg(seen(&log, h.c[i]) != NULL, "c%zu not visited", i);
	for (i = 0; i < log.n; i++)
		for (j = i + 1; j < log.n; j++)
			ck_assert_str_ne(log.items[i].oid, log.items[j].oid);

	s = seen(&log, h.c[1]); /* the root commit touches every file it adds */
	ck_assert_uint_eq(s->parent_count, 0);
	ck_assert_str_eq(s->paths, "a.txt|dir/b.txt|dir/sub/c.txt");
	ck_assert_str_eq(s->email, "alice@example.com");
	ck_assert_int_eq(s->time, 1000);
	ck_assert_int_eq(s->fix, 0);
	s = seen(&log, h.c[2]);
	ck_assert_int_eq(s->fix, 1);
	ck_assert_str_eq(s->email, "bob@example.com");
	ck_assert_str_eq(s->paths, "a.txt");
	s = seen(&log, h.c[3]); /* a rename reports both paths */
	ck_assert_str_eq(s->paths, "dir/b.txt|dir/b2.txt");
	s = seen(&log, h.c[4]);
	ck_assert_str_eq(s->paths, "a.txt|e.txt");
	s = seen(&log, h.c[5]); /* a merge: two parents, and no paths read */
	ck_assert_uint_eq(s->parent_count, 2);
	ck_assert_str_eq(s->paths, "");
	ck_assert_int_eq(s->time, 5000);

	walk_log_free(&log);
	mc_repo_free(repo);
	history_repo_free(&h);
}
END_TEST

/* Counts deliveries, checks each commit arrives once, and can stop the walk. */
typedef struct count_log {
	mc_strmap seen;
	unsigned n, duplicates, stop_at;
} count_log;

static int count_commit(void *ctx, const mc_history_commit *c)
{
	count_log *log = ctx;
	int64_t ignored;
	if (mc_strmap_get(&log->seen, c->oid, &ignored))
		log->duplicates++;
	mc_strmap_put(&log->seen, c->oid, 1);
	log->n++;
	return log->stop_at && log->n == log->stop_at ? 9 : 0;
}

/* A linear history of n commits, each touching one of 50 files, made by fast-import. */
static char *long_history(unsigned n)
{
	char *dir = mc_test_tmpdir(), cmd[1024];
	mc_test_git_init(dir, "main");
	snprintf(cmd, sizeof cmd,
		 "cd '%s' && awk 'BEGIN { for (i = 1; i <= %u; i++) {"
		 " printf \"commit refs/heads/main\\nauthor A <a@example.com> %%d +0000\\n"
		 "committer A <a@example.com> %%d +0000\\ndata 4\\nc%%03d\\n\", 1000 + i, 1000 + i, i %% 1000;"
		 " printf \"M 100644 inline d%%d/f.txt\\ndata <<EOF\\nv%%d\\nEOF\\n\\n\", i %% 50, i } }'"
		 " | git fast-import --quiet && git checkout -q -f main",
		 dir, n);
	ck_assert_int_eq(system(cmd), 0);
	return dir;
}

START_TEST(a_long_history_reaches_the_callback_once_per_commit)
{
	/* More commits than the read-ahead window, so the worker has to wait for the callback. */
	char *dir = long_history(2500);
	mc_repo *repo = open_repo(dir);
	count_log log = { MC_STRMAP_INIT, 0, 0, 0 };
	unsigned walked = 0;

	ck_assert_int_eq(mc_history_walk(&walked, repo, "main", NULL, 0, count_commit, &log), 0);
	ck_assert_uint_eq(walked, 2500);
	ck_assert_uint_eq(log.n, 2500);
	ck_assert_uint_eq(log.duplicates, 0);
	mc_strmap_free(&log.seen);

	/* A callback that fails in the middle stops the walk with its code. */
	memset(&log, 0, sizeof log);
	log.stop_at = 1500;
	ck_assert_int_eq(mc_history_walk(&walked, repo, "main", NULL, 0, count_commit, &log), 9);
	ck_assert_uint_eq(walked, 1500);
	ck_assert_uint_eq(log.n, 1500);
	mc_strmap_free(&log.seen);
	mc_repo_free(repo);
	mc_test_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(a_missing_tree_stops_the_walk_with_an_error)
{
	history_repo h;
	mc_repo *repo;
	count_log log = { MC_STRMAP_INIT, 0, 0, 0 };
	unsigned walked = 0;
	char *tree, *object;
	int rc;

	history_repo_make(&h);
	/* The tree of c4 (HEAD~1) is a loose object: delete it, as a broken clone would lack it. */
	tree = mc_test_git_out(h.dir, "rev-parse", "HEAD~1^{tree}", NULL);
	object = mc_test_git_out(h.dir, "rev-parse", "--git-path", "objects", NULL);
	{
		char path[4096];
		snprintf(path, sizeof path, "%s/%s/%.2s/%s", h.dir, object, tree, tree + 2);
		ck_assert_msg(unlink(path) == 0, "removing %s", path);
	}
	repo = open_repo(h.dir);
	rc = mc_history_walk(&walked, repo, "main", NULL, 0, count_commit, &log);
	ck_assert_int_lt(rc, 0);
	ck_assert_ptr_nonnull(strstr(mc_error_message(), "tree"));
	ck_assert_uint_lt(log.n, 5);
	mc_strmap_free(&log.seen);
	mc_repo_free(repo);
	free(tree);
	free(object);
	history_repo_free(&h);
}
END_TEST

START_TEST(walk_stops_at_known_commits)
{
	history_repo h;
	walk_log log = { 0 };
	unsigned walked;
	mc_repo *repo;
	char *tree;
	const char *stop[4];

	history_repo_make(&h);
	repo = open_repo(h.dir);

	stop[0] = h.c[2];
	ck_assert_int_eq(mc_history_walk(&walked, repo, h.c[5], stop, 1, record_commit, &log), 0);
	ck_assert_uint_eq(walked, 3);
	ck_assert(seen(&log, h.c[3]) && seen(&log, h.c[4]) && seen(&log, h.c[5]));
	walk_log_free(&log);

	stop[0] = h.c[4];
	stop[1] = h.c[3];
	ck_assert_int_eq(mc_history_walk(&walked, repo, "main", stop, 2, record_commit, &log), 0);
	ck_assert_uint_eq(walked, 1);
	ck_assert_str_eq(log.items[0].oid, h.c[5]);
	walk_log_free(&log);

	/* Unknown, malformed and non-commit stop ids are ignored. */
	tree = mc_test_git_out(h.dir, "rev-parse", "HEAD^{tree}", NULL);
	stop[0] = "0123456789abcdef0123456789abcdef01234567";
	stop[1] = "not-an-id";
	stop[2] = tree;
	stop[3] = "";
	ck_assert_int_eq(mc_history_walk(&walked, repo, "HEAD", stop, 4, record_commit, &log), 0);
	ck_assert_uint_eq(walked, 5);
	walk_log_free(&log);

	stop[0] = h.c[5];
	ck_assert_int_eq(mc_history_walk(&walked, repo, "HEAD", stop, 1, record_commit, &log), 0);
	ck_assert_uint_eq(walked, 0);

	ck_assert_int_eq(mc_history_walk(&walked, repo, "nope", NULL, 0, record_commit, &log),
			 MC_EINVAL);
	ck_assert_str_eq(mc_error_message(), "unknown revision 'nope'");

	/* The callback's non-zero return stops the walk and is returned. */
	log.stop_after = 2;
	ck_assert_int_eq(mc_history_walk(&walked, repo, "HEAD", NULL, 0, record_commit, &log), 7);
	ck_assert_uint_eq(walked, 2);
	ck_assert_uint_eq(log.n, 2);
	walk_log_free(&log);

	free(tree);
	mc_repo_free(repo);
	history_repo_free(&h);
}
END_TEST

START_TEST(a_shallow_clone_says_its_history_ends_early)
{
	history_repo h;
	walk_log log = { 0 };
	unsigned walked;
	mc_repo *repo;
	char *url, *shallow;

	history_repo_make(&h);
	ck_assert_int_ge(asprintf(&url, "file://%s", h.dir), 0);
	shallow = path_in(h.dir, "shallow");
	mc_test_git(h.dir, "clone", "-q", "--depth", "1", url, shallow, NULL);
	repo = open_repo(shallow);
	ck_assert_int_eq(mc_history_walk(&walked, repo, "HEAD", NULL, 0, record_commit, &log),
			 MC_EENV);
	ck_assert_msg(strstr(mc_error_message(), "shallow clone") != NULL, "%s",
		      mc_error_message());
	walk_log_free(&log);
	mc_repo_free(repo);
	free(url);
	free(shallow);
	history_repo_free(&h);
}
END_TEST

START_TEST(a_type_change_touches_its_path_once)
{
	char *dir = mc_test_tmpdir(), *link;
	walk_log log = { 0 };
	unsigned walked;
	mc_repo *repo;

	mc_test_git_init(dir, "main");
	mc_test_write(dir, "thing", "a file\n");
	commit_as(dir, "A <a@example.com>", 1000, "file");
	link = path_in(dir, "thing");
	ck_assert_int_eq(unlink(link), 0);
	ck_assert_int_eq(symlink("elsewhere", link), 0);
	commit_as(dir, "A <a@example.com>", 2000, "now a symlink");
	repo = open_repo(dir);
	ck_assert_int_eq(mc_history_walk(&walked, repo, "HEAD", NULL, 0, record_commit, &log), 0);
	ck_assert_uint_eq(walked, 2);
	ck_assert_uint_eq(log.items[0].npaths, 1);
	ck_assert_str_eq(log.items[0].paths, "thing");
	ck_assert_uint_eq(log.items[1].npaths, 1);
	ck_assert_str_eq(log.items[1].paths, "thing");
	walk_log_free(&log);
	mc_repo_free(repo);
	mc_test_rmtree(dir);
	free(link);
	free(dir);
}
END_TEST

START_TEST(fix_words_are_whole_words)
{
	static const char *const fixes[] = {
		"Fix crash", "fixes #12", "FIXED it", "fixing the build", "bugfix: x",
		"Hotfix for 1.2", "hotfixes", "a bug in the parser", "Bugs", "defect 12",
		"defects found", "Patch the loader", "patches", "patched", "bug-fix", "(fix)",
		"Add thing\n\nFixes: #3", "word fix.", "bugfixes", "x/fix/y",
	};
	static const char *const not_fixes[] = {
		"", "Add feature", "prefix handling", "suffix", "fixture update", "debugger",
		"patchwork", "bugle", "ladybug", "defective", "fix_parser", "fix2", "fix\xc3\xa9",
		"unfixed", "fixfixfixfixfixfixfix", "F I X",
	};
	size_t i;
	for (i = 0; i < sizeof fixes / sizeof fixes[0]; i++)
		ck_assert_msg(mc_history_message_is_fix(fixes[i]) == 1, "'%s' is a fix", fixes[i]);
	for (i = 0; i < sizeof not_fixes / sizeof not_fixes[0]; i++)
		ck_assert_msg(mc_history_message_is_fix(not_fixes[i]) == 0, "'%s' is not a fix",
			      not_fixes[i]);
}
END_TEST

/* ---- the store ------------------------------------------------------------------ */

static mc_store *open_store(const char *path)
{
	mc_store *store = NULL;
	int rc = mc_store_open(&store, path);
	ck_assert_msg(rc == 0, "mc_store_open(%s): %s", path, mc_error_message());
	return store;
}

static mc_history_cache *open_cache(mc_store *store)
{
	mc_history_cache *hc = NULL;
	int rc = mc_history_cache_open(&hc, store);
	ck_assert_msg(rc == 0, "%s", mc_error_message());
	return hc;
}

/* One integer from a query on a raw SQLite connection. */
static long long query_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	long long v;
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void query_text(char *out, size_t size, sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	snprintf(out, size, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

static long long file_user_version(const char *path)
{
	sqlite3 *db = NULL;
	long long v;
	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	v = query_int(db, "PRAGMA user_version");
	sqlite3_close(db);
	return v;
}

START_TEST(a_fresh_file_is_migrated_to_the_current_version)
{
	char *dir = mc_test_tmpdir(), *path = path_in(dir, "maestro.db");
	char mode[16];
	mc_store *store;
	mc_history_cache *hc;
	unsigned n = 0;

	ck_assert_int_ge(mc_store_schema_version(), 1);
	store = open_store(path);
	ck_assert_int_eq(query_int(mc_store_sqlite(store), "PRAGMA user_version"),
			 mc_store_schema_version());
	query_text(mode, sizeof mode, mc_store_sqlite(store), "PRAGMA journal_mode");
	ck_assert_str_eq(mode, "wal");
	ck_assert_int_eq(query_int(mc_store_sqlite(store), "PRAGMA foreign_keys"), 1);
	ck_assert_int_eq(query_int(mc_store_sqlite(store), "SELECT COUNT(*) FROM sqlite_master "
				   "WHERE name IN ('hc_author','hc_path','hc_commit','hc_touch','hc_tip')"), 5);
	hc = open_cache(store);
	ck_assert_int_eq(mc_history_cache_add_commit(hc, "c1", "a@x", 10, 0, 0, NULL, 0), 0);
	mc_history_cache_free(hc);
	mc_store_close(store);
	ck_assert_int_eq(file_user_version(path), mc_store_schema_version());

	/* Reopening keeps the data and does not migrate again. */
	store = open_store(path);
	hc = open_cache(store);
	ck_assert_int_eq(mc_history_cache_count_commits(&n, hc), 0);
	ck_assert_uint_eq(n, 1);
	mc_history_cache_free(hc);
	mc_store_close(store);

	store = open_store(":memory:");
	ck_assert_int_eq(query_int(mc_store_sqlite(store), "PRAGMA user_version"),
			 mc_store_schema_version());
	mc_store_close(store);

	mc_test_rmtree(dir);
	free(path);
	free(dir);
}
END_TEST

START_TEST(a_newer_file_is_refused)
{
	char *dir = mc_test_tmpdir(), *path = path_in(dir, "newer.db"), sql[64], mode[16];
	mc_store *store = (mc_store *)1;
	sqlite3 *db = NULL;
	int newer = mc_store_schema_version() + 1;

	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d", newer);
	ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "CREATE TABLE future (x)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	ck_assert_int_eq(mc_store_open(&store, path), MC_EDB);
	ck_assert_ptr_null(store);
	ck_assert_msg(strstr(mc_error_message(), path) != NULL &&
		      strstr(mc_error_message(), "newer than this maestro") != NULL,
		      "unclear error: %s", mc_error_message());
	ck_assert_int_eq(file_user_version(path), newer);
	/* Refused before anything was changed: still in its own journal mode. */
	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	query_text(mode, sizeof mode, db, "PRAGMA journal_mode");
	sqlite3_close(db);
	ck_assert_str_eq(mode, "delete");
	mc_test_rmtree(dir);
	free(path);
	free(dir);
}
END_TEST

START_TEST(a_file_that_is_not_a_database_is_refused)
{
	char *dir = mc_test_tmpdir(), *path = path_in(dir, "junk.db");
	mc_store *store = (mc_store *)1;

	mc_test_write(dir, "junk.db", "this is not an SQLite database, but it is long enough to "
				      "have a header's worth of bytes in it: 0123456789abcdef\n");
	ck_assert_int_eq(mc_store_open(&store, path), MC_EDB);
	ck_assert_ptr_null(store);
	ck_assert_msg(strstr(mc_error_message(), path) != NULL, "%s", mc_error_message());
	mc_test_rmtree(dir);
	free(path);
	free(dir);
}
END_TEST

START_TEST(two_handles_to_one_file_both_write)
{
	char *dir = mc_test_tmpdir(), *path = path_in(dir, "shared.db");
	mc_store *a = open_store(path), *b = open_store(path);
	mc_history_cache *ha = open_cache(a), *hb = open_cache(b);
	const char *p[] = { "src/x.c" };
	unsigned n = 0;
	int has = 0;

	ck_assert_int_eq(mc_history_cache_add_commit(ha, "c1", "a@x", 10, 0, 0, p, 1), 0);
	ck_assert_int_eq(mc_history_cache_add_commit(hb, "c2", "b@x", 20, 0, 0, p, 1), 0);
	ck_assert_int_eq(mc_history_cache_count_commits(&n, hb), 0);
	ck_assert_uint_eq(n, 2);
	/* b read, a wrote: b's next write must still succeed on a fresh snapshot. */
	ck_assert_int_eq(mc_history_cache_add_commit(ha, "c3", "a@x", 30, 0, 0, p, 1), 0);
	ck_assert_int_eq(mc_history_cache_add_commit(hb, "c1", "a@x", 10, 0, 0, p, 1), 0);
	ck_assert_int_eq(mc_history_cache_add_commit(hb, "c4", "c@x", 40, 0, 0, p, 1), 0);
	ck_assert_int_eq(mc_history_cache_count_commits(&n, ha), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_int_eq(mc_history_cache_has_commit(&has, ha, "c4"), 0);
	ck_assert_int_eq(has, 1);
	mc_history_cache_free(ha);
	mc_history_cache_free(hb);
	mc_store_close(a);
	mc_store_close(b);
	mc_test_rmtree(dir);
	free(path);
	free(dir);
}
END_TEST

START_TEST(opening_a_current_file_does_not_wait_for_a_writer)
{
	char *dir = mc_test_tmpdir(), *path = path_in(dir, "busy.db");
	mc_store *a = open_store(path), *b;
	mc_history_cache *ha = open_cache(a), *hb;
	unsigned n = 9;

	ck_assert_int_eq(mc_store_begin(a), 0);
	ck_assert_int_eq(mc_history_cache_add_commit(ha, "pending", "p@x", 1, 0, 0, NULL, 0), 0);
	/* Same thread: if opening needed the write lock this could only fail. */
	b = open_store(path);
	hb = open_cache(b);
	ck_assert_int_eq(mc_history_cache_count_commits(&n, hb), 0);
	ck_assert_uint_eq(n, 0); /* a's transaction is not committed yet */
	ck_assert_int_eq(mc_store_commit(a), 0);
	ck_assert_int_eq(mc_history_cache_count_commits(&n, hb), 0);
	ck_assert_uint_eq(n, 1);
	mc_history_cache_free(ha);
	mc_history_cache_free(hb);
	mc_store_close(a);
	mc_store_close(b);
	mc_test_rmtree(dir);
	free(path);
	free(dir);
}
END_TEST

typedef struct late_writer {
	const char *path;
	int rc;
	char message[256];
} late_writer;

/* Open the store and store a commit while the main thread holds the write lock: the
 * busy timeout makes the write wait, not fail. */
static void *write_while_locked(void *arg)
{
	late_writer *w = arg;
	mc_store *store = NULL;
	mc_history_cache *hc = NULL;

	w->rc = mc_store_open(&store, w->path);
	if (w->rc == 0)
		w->rc = mc_history_cache_open(&hc, store);
	if (w->rc == 0)
		w->rc = mc_history_cache_add_commit(hc, "late", "l@x", 50, 0, 0, NULL, 0);
	if (w->rc != 0)
		snprintf(w->message, sizeof w->message, "%s", mc_error_message());
	mc_history_cache_free(hc);
	mc_store_close(store);
	return NULL;
}

START_TEST(a_writer_waits_for_the_lock)
{
	char *dir = mc_test_tmpdir(), *path = path_in(dir, "locked.db");
	mc_store *a = open_store(path);
	mc_history_cache *ha = open_cache(a);
	late_writer w = { path, -100, "" };
	pthread_t thread;
	unsigned n = 0;

	ck_assert_int_eq(mc_store_begin(a), 0);
	ck_assert_int_eq(mc_history_cache_add_commit(ha, "held", "h@x", 40, 0, 0, NULL, 0), 0);
	ck_assert_int_eq(pthread_create(&thread, NULL, write_while_locked, &w), 0);
	usleep(300 * 1000); /* let the other handle reach the lock; correctness does not depend on it */
	ck_assert_int_eq(mc_store_commit(a), 0);
	ck_assert_int_eq(pthread_join(thread, NULL), 0);
	ck_assert_msg(w.rc == 0, "the second writer failed: %s", w.message);
	ck_assert_int_eq(mc_history_cache_count_commits(&n, ha), 0);
	ck_assert_uint_eq(n, 2);
	mc_history_cache_free(ha);
	mc_store_close(a);
	mc_test_rmtree(dir);
	free(path);
	free(dir);
}
END_TEST

/* ---- the history cache ---------------------------------------------------------- */

typedef struct cache_fixture {
	char *dir;
	mc_store *store;
	mc_history_cache *hc;
} cache_fixture;

static void cache_open(cache_fixture *f)
{
	char *path;
	f->dir = mc_test_tmpdir();
	path = path_in(f->dir, "cache.db");
	f->store = open_store(path);
	f->hc = open_cache(f->store);
	free(path);
}

static void cache_close(cache_fixture *f)
{
	mc_history_cache_free(f->hc);
	mc_store_close(f->store);
	mc_test_rmtree(f->dir);
	free(f->dir);
}

static void add(cache_fixture *f, const char *oid, const char *email, int64_t time, int fix,
		int merge, const char *const *paths, size_t npaths)
{
	int rc = mc_history_cache_add_commit(f->hc, oid, email, time, fix, merge, paths, npaths);
	ck_assert_msg(rc == 0, "adding %s: %s", oid, mc_error_message());
}

START_TEST(subsystems_are_top_level_directories)
{
	ck_assert_uint_eq(mc_path_subsystem_len("src/a/b.c"), 3);
	ck_assert_uint_eq(mc_path_subsystem_len("README"), 0);
	ck_assert_uint_eq(mc_path_subsystem_len("x/"), 1);
}
END_TEST

START_TEST(commits_are_added_once)
{
	cache_fixture f;
	const char *p1[] = { "src/a.c", "README" }, *p2[] = { "other" };
	mc_file_history fh;
	unsigned n = 9;
	int has = 9;

	cache_open(&f);
	ck_assert_int_eq(mc_history_cache_count_commits(&n, f.hc), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(mc_history_cache_has_commit(&has, f.hc, "k1"), 0);
	ck_assert_int_eq(has, 0);
	add(&f, "k1", "alice@x", 100, 0, 0, p1, 2);
	ck_assert_int_eq(mc_history_cache_has_commit(&has, f.hc, "k1"), 0);
	ck_assert_int_eq(has, 1);
	/* Adding again, even with other data, changes nothing. */
	add(&f, "k1", "mallory@x", 999, 1, 1, p2, 1);
	ck_assert_int_eq(mc_history_cache_count_commits(&n, f.hc), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(mc_history_cache_file_history(&fh, f.hc, p2, 1, 10000, 10000), 0);
	ck_assert_uint_eq(fh.nuc, 0);
	ck_assert_int_eq(mc_history_cache_file_history(&fh, f.hc, p1, 2, 10000, 10000), 0);
	ck_assert_uint_eq(fh.nuc, 1);
	ck_assert_uint_eq(fh.ndev, 1);
	/* Paths are bytes: a non-UTF-8 path round-trips and matches itself only. */
	{
		const char *odd[] = { "lib/caf\xe9.c" }, *odd2[] = { "lib/caf\xc3\xa9.c" };
		add(&f, "k2", "alice@x", 200, 0, 0, odd, 1);
		ck_assert_int_eq(mc_history_cache_file_history(&fh, f.hc, odd, 1, 10000, 10000), 0);
		ck_assert_uint_eq(fh.nuc, 1);
		ck_assert_int_eq(mc_history_cache_file_history(&fh, f.hc, odd2, 1, 10000, 10000), 0);
		ck_assert_uint_eq(fh.nuc, 0);
	}
	cache_close(&f);
}
END_TEST

START_TEST(mined_tips_are_listed_newest_first)
{
	cache_fixture f;
	char **tips = NULL;
	size_t n = 9, i;
	int mined = 9;

	cache_open(&f);
	ck_assert_int_eq(mc_history_cache_mined_tips(&tips, &n, f.hc), 0);
	ck_assert_uint_eq(n, 0);
	free(tips);
	ck_assert_int_eq(mc_history_cache_is_mined(&mined, f.hc, "t1"), 0);
	ck_assert_int_eq(mined, 0);
	ck_assert_int_eq(mc_history_cache_mark_mined(f.hc, "t1", 100), 0);
	ck_assert_int_eq(mc_history_cache_mark_mined(f.hc, "t2", 200), 0);
	ck_assert_int_eq(mc_history_cache_mark_mined(f.hc, "t1", 300), 0); /* re-mined */
	ck_assert_int_eq(mc_history_cache_is_mined(&mined, f.hc, "t1"), 0);
	ck_assert_int_eq(mined, 1);
	ck_assert_int_eq(mc_history_cache_mined_tips(&tips, &n, f.hc), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(tips[0], "t1");
	ck_assert_str_eq(tips[1], "t2");
	for (i = 0; i < n; i++)
		free(tips[i]);
	free(tips);
	cache_close(&f);
}
END_TEST

/*
 * A small hand-computed history (times in days):
 *   k1 day 1 alice  src/a.c, README
 *   k2 day 2 bob    src/a.c              (fix)
 *   k3 day 3 alice  src/b.c
 *   k4 day 4 carol  src/a.c, src/b.c     (merge: never counted)
 *   k5 day 5 bob    src/a.c
 *   k6 day 6 alice  docs/x.md
 */
static void add_small_history(cache_fixture *f)
{
	const char *k1[] = { "src/a.c", "README" }, *k2[] = { "src/a.c" }, *k3[] = { "src/b.c" };
	const char *k4[] = { "src/a.c", "src/b.c" }, *k6[] = { "docs/x.md" };
	add(f, "k1", "alice@x", 1 * DAY, 0, 0, k1, 2);
	add(f, "k2", "bob@x", 2 * DAY, 1, 0, k2, 1);
	add(f, "k3", "alice@x", 3 * DAY, 0, 0, k3, 1);
	add(f, "k4", "carol@x", 4 * DAY, 0, 1, k4, 2);
	add(f, "k5", "bob@x", 5 * DAY, 0, 0, k2, 1);
	add(f, "k6", "alice@x", 6 * DAY, 0, 0, k6, 1);
}

START_TEST(file_history_counts_changes_authors_and_age)
{
	cache_fixture f;
	const char *ab[] = { "src/a.c", "src/b.c" }, *a_twice[] = { "src/a.c", "src/a.c" };
	const char *none[] = { "src/never.c" }, *b[] = { "src/b.c" };
	mc_file_history fh;

	cache_open(&f);
	add_small_history(&f);

	/* Before day 5 (strictly: k5 is not counted), measured at day 10. */
	ck_assert_int_eq(mc_history_cache_file_history(&fh, f.hc, ab, 2, 5 * DAY, 10 * DAY), 0);
	ck_assert_uint_eq(fh.nuc, 3);                 /* k1 k2 k3; k4 is a merge */
	ck_assert_uint_eq(fh.ndev, 2);                /* alice, bob */
	ck_assert_uint_eq(fh.files_with_history, 2);
	ck_assert_double_eq_tol(fh.age_days, (8.0 + 7.0) / 2, 1e-9); /* a.c: day 2, b.c: day 3 */

	/* One second later k5 counts. */
	ck_assert_int_eq(mc_history_cache_file_history(&fh, f.hc, ab, 2, 5 * DAY + 1, 10 * DAY), 0);
	ck_assert_uint_eq(fh.nuc, 4);
	ck_assert_uint_eq(fh.ndev, 2);
	ck_assert_double_eq_tol(fh.age_days, (5.0 + 7.0) / 2, 1e-9);

	/* The merge k4 is the latest touch of b.c before day 5, but it does not count. */
	ck_assert_int_eq(mc_history_cache_file_history(&fh, f.hc, b, 1, 5 * DAY, 10 * DAY), 0);
	ck_assert_uint_eq(fh.nuc, 1);
	ck_assert_double_eq_tol(fh.age_days, 7.0, 1e-9);

	/* A path given twice is one path. */
	ck_assert_int_eq(mc_history_cache_file_history(&fh, f.hc, a_twice, 2, 10 * DAY, 10 * DAY),
			 0);
	ck_assert_uint_eq(fh.nuc, 3);
	ck_assert_uint_eq(fh.files_with_history, 1);
	ck_assert_double_eq_tol(fh.age_days, 5.0, 1e-9);

	/* No history: zeros. Before the first commit: zeros. */
	ck_assert_int_eq(mc_history_cache_file_history(&fh, f.hc, none, 1, 10 * DAY, 10 * DAY), 0);
	ck_assert(fh.nuc == 0 && fh.ndev == 0 && fh.files_with_history == 0 && fh.age_days == 0);
	ck_assert_int_eq(mc_history_cache_file_history(&fh, f.hc, ab, 2, 1 * DAY, 10 * DAY), 0);
	ck_assert_uint_eq(fh.nuc, 0);
	ck_assert_int_eq(mc_history_cache_file_history(&fh, f.hc, NULL, 0, 10 * DAY, 10 * DAY), 0);
	ck_assert_uint_eq(fh.nuc, 0);
	/* Ages never go negative when now precedes the last change. */
	ck_assert_int_eq(mc_history_cache_file_history(&fh, f.hc, b, 1, 10 * DAY, 1 * DAY), 0);
	ck_assert_double_eq_tol(fh.age_days, 0.0, 1e-9);
	cache_close(&f);
}
END_TEST

START_TEST(author_history_counts_experience)
{
	cache_fixture f;
	const char *src[] = { "src" }, *root[] = { "." }, *src_docs[] = { "src", "docs" };
	mc_author_history ah;
	double want;

	cache_open(&f);
	add_small_history(&f);

	/* alice before day 6: k1 (day 1) and k3 (day 3), measured at day 10. */
	ck_assert_int_eq(mc_history_cache_author_history(&ah, f.hc, "alice@x", src, 1, 6 * DAY,
							 10 * DAY), 0);
	ck_assert_uint_eq(ah.exp, 2);
	want = 1.0 / (9.0 * DAY / YEAR + 1.0) + 1.0 / (7.0 * DAY / YEAR + 1.0);
	ck_assert_double_eq_tol(ah.rexp, want, 1e-12);
	ck_assert_uint_eq(ah.sexp, 2);
	ck_assert_int_eq(mc_history_cache_author_history(&ah, f.hc, "alice@x", root, 1, 6 * DAY,
							 10 * DAY), 0);
	ck_assert_uint_eq(ah.sexp, 1); /* k1 touched README */
	/* With k6 (day 6) included: docs counts too. */
	ck_assert_int_eq(mc_history_cache_author_history(&ah, f.hc, "alice@x", src_docs, 2,
							 6 * DAY + 1, 10 * DAY), 0);
	ck_assert_uint_eq(ah.exp, 3);
	ck_assert_uint_eq(ah.sexp, 3);

	/* bob: k5 is at day 5, so "before day 5" is k2 only. */
	ck_assert_int_eq(mc_history_cache_author_history(&ah, f.hc, "bob@x", src, 1, 5 * DAY,
							 5 * DAY), 0);
	ck_assert_uint_eq(ah.exp, 1);
	ck_assert_double_eq_tol(ah.rexp, 1.0 / (3.0 * DAY / YEAR + 1.0), 1e-12);
	ck_assert_int_eq(mc_history_cache_author_history(&ah, f.hc, "bob@x", src, 1, 5 * DAY + 1,
							 5 * DAY), 0);
	ck_assert_uint_eq(ah.exp, 2);
	ck_assert_double_eq_tol(ah.rexp, 1.0 / (3.0 * DAY / YEAR + 1.0) + 1.0, 1e-12);

	/* carol's only commit is a merge; an unknown author has nothing. */
	ck_assert_int_eq(mc_history_cache_author_history(&ah, f.hc, "carol@x", src, 1, 10 * DAY,
							 10 * DAY), 0);
	ck_assert(ah.exp == 0 && ah.rexp == 0 && ah.sexp == 0);
	ck_assert_int_eq(mc_history_cache_author_history(&ah, f.hc, "nobody@x", NULL, 0, 10 * DAY,
							 10 * DAY), 0);
	ck_assert(ah.exp == 0 && ah.rexp == 0 && ah.sexp == 0);
	cache_close(&f);
}
END_TEST

START_TEST(a_failed_add_leaves_nothing_behind)
{
	cache_fixture f;
	const char *p[] = { "src/x.c" };
	int has = 9;

	cache_open(&f);
	/* Inside the caller's transaction: the failed commit goes, earlier work stays. */
	ck_assert_int_eq(mc_store_begin(f.store), 0);
	add(&f, "before", "a@x", 10, 0, 0, p, 1);
	ck_assert_int_eq(mc_store_exec(f.store, "DROP TABLE hc_touch"), 0);
	ck_assert_int_eq(mc_history_cache_add_commit(f.hc, "broken", "b@x", 20, 0, 0, p, 1), MC_EDB);
	ck_assert_int_eq(mc_history_cache_has_commit(&has, f.hc, "broken"), 0);
	ck_assert_int_eq(has, 0);
	ck_assert_int_eq(mc_store_commit(f.store), 0);
	ck_assert_int_eq(mc_history_cache_has_commit(&has, f.hc, "before"), 0);
	ck_assert_int_eq(has, 1);
	/* On its own: the same, and the store is usable afterwards. */
	ck_assert_int_eq(mc_history_cache_add_commit(f.hc, "broken", "b@x", 20, 0, 0, p, 1), MC_EDB);
	ck_assert_int_eq(mc_history_cache_has_commit(&has, f.hc, "broken"), 0);
	ck_assert_int_eq(has, 0);
	add(&f, "pathless", "c@x", 30, 0, 0, NULL, 0);
	ck_assert_int_eq(mc_history_cache_has_commit(&has, f.hc, "pathless"), 0);
	ck_assert_int_eq(has, 1);
	cache_close(&f);
}
END_TEST

/* Store every walked commit, the way mining does. */
static int store_walked(void *ctx, const mc_history_commit *c)
{
	return mc_history_cache_add_commit(ctx, c->oid, c->author_email, c->author_time, c->fix,
					   c->parent_count > 1, (const char *const *)c->paths,
					   c->npaths);
}

START_TEST(mining_a_repository_into_the_cache)
{
	history_repo h;
	cache_fixture f;
	mc_repo *repo;
	mc_file_history fh;
	mc_author_history ah;
	char **tips = NULL, *c6;
	const char *a[] = { "a.txt" }, *dir[] = { "dir" };
	unsigned walked, n;
	size_t ntips;

	history_repo_make(&h);
	cache_open(&f);
	repo = open_repo(h.dir);
	ck_assert_int_eq(mc_store_begin(f.store), 0);
	ck_assert_int_eq(mc_history_walk(&walked, repo, h.c[5], NULL, 0, store_walked, f.hc), 0);
	ck_assert_int_eq(mc_history_cache_mark_mined(f.hc, h.c[5], 1), 0);
	ck_assert_int_eq(mc_store_commit(f.store), 0);
	ck_assert_uint_eq(walked, 5);
	ck_assert_int_eq(mc_history_cache_count_commits(&n, f.hc), 0);
	ck_assert_uint_eq(n, 5);

	/* a.txt: c1 alice, c2 bob, c4 carol (the merge c5 did not touch it). */
	ck_assert_int_eq(mc_history_cache_file_history(&fh, f.hc, a, 1, 10000, 4000 + DAY), 0);
	ck_assert_uint_eq(fh.nuc, 3);
	ck_assert_uint_eq(fh.ndev, 3);
	ck_assert_double_eq_tol(fh.age_days, 1.0, 1e-9);
	/* alice in dir/: c1 and c3; the merge c5 (also hers) does not count. */
	ck_assert_int_eq(mc_history_cache_author_history(&ah, f.hc, "alice@example.com", dir, 1,
							 10000, 10000), 0);
	ck_assert_uint_eq(ah.exp, 2);
	ck_assert_uint_eq(ah.sexp, 2);

	/* The next mining run stops at the mined tip. */
	mc_test_write(h.dir, "a.txt", "new\n");
	commit_as(h.dir, "Dan <dan@example.com>", 6000, "Change a");
	c6 = mc_test_git_out(h.dir, "rev-parse", "HEAD", NULL);
	ck_assert_int_eq(mc_history_cache_mined_tips(&tips, &ntips, f.hc), 0);
	ck_assert_uint_eq(ntips, 1);
	ck_assert_int_eq(mc_history_walk(&walked, repo, c6, (const char *const *)tips, ntips,
					 store_walked, f.hc), 0);
	ck_assert_uint_eq(walked, 1);
	ck_assert_int_eq(mc_history_cache_count_commits(&n, f.hc), 0);
	ck_assert_uint_eq(n, 6);

	free(tips[0]);
	free(tips);
	free(c6);
	mc_repo_free(repo);
	cache_close(&f);
	history_repo_free(&h);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("history");
	TCase *walk = tcase_create("walk");
	TCase *db = tcase_create("db");
	TCase *cache = tcase_create("cache");

	tcase_add_test(walk, walk_visits_every_commit_once);
	tcase_add_test(walk, walk_stops_at_known_commits);
	tcase_add_test(walk, a_long_history_reaches_the_callback_once_per_commit);
	tcase_add_test(walk, a_missing_tree_stops_the_walk_with_an_error);
	tcase_add_test(walk, a_type_change_touches_its_path_once);
	tcase_add_test(walk, a_shallow_clone_says_its_history_ends_early);
	tcase_add_test(walk, fix_words_are_whole_words);
	tcase_add_test(db, a_fresh_file_is_migrated_to_the_current_version);
	tcase_add_test(db, a_newer_file_is_refused);
	tcase_add_test(db, a_file_that_is_not_a_database_is_refused);
	tcase_add_test(db, two_handles_to_one_file_both_write);
	tcase_add_test(db, a_writer_waits_for_the_lock);
	tcase_add_test(db, opening_a_current_file_does_not_wait_for_a_writer);
	tcase_add_test(cache, subsystems_are_top_level_directories);
	tcase_add_test(cache, commits_are_added_once);
	tcase_add_test(cache, mined_tips_are_listed_newest_first);
	tcase_add_test(cache, file_history_counts_changes_authors_and_age);
	tcase_add_test(cache, author_history_counts_experience);
	tcase_add_test(cache, a_failed_add_leaves_nothing_behind);
	tcase_add_test(cache, mining_a_repository_into_the_cache);
	suite_add_tcase(s, walk);
	suite_add_tcase(s, db);
	suite_add_tcase(s, cache);
	return mc_test_run(s);
}
