/*
 * Group commit for the event queue (queue_writer.h). Submitters append to a
 * list under a mutex and signal; the writer thread takes everything listed
 * (up to MC_QUEUE_WRITER_BATCH_MAX), commits it in one BEGIN IMMEDIATE ...
 * COMMIT with the pusher's kept statements, and only then calls each delivery's
 * done. While it commits, new deliveries gather for the next batch: the busier
 * the ingress, the larger the batches, with no timer and no added wait when idle.
 *
 * Durability (the connection's pragmas are mc_store_open's: WAL,
 * synchronous=NORMAL). COMMIT returns once the batch's WAL frames are written
 * with write(2): they are in the kernel's page cache, so a process crash (kill
 * -9, a segfault, the OOM killer) loses nothing that was acknowledged — the next
 * open replays the WAL. A power loss or kernel panic can lose the transactions
 * since the last WAL fsync (NORMAL syncs the WAL at checkpoints only);
 * synchronous=FULL would fsync at every commit to survive that too. DESIGN.md's
 * durable queue promises the former (a killed daemon loses no accepted
 * delivery); a machine that lost power is what the poller's reconciliation is
 * for (forges do not redeliver on their own), so NORMAL is the setting.
 *
 * A failed batch (disk full, a busy timeout) is rolled back whole and its
 * deliveries committed again one transaction each, so one delivery's failure is
 * reported to it alone and never to its neighbours.
 *
 * Checkpoints (copying the WAL into the database file, with two fsyncs) are
 * not the writer's: SQLite would run one inside every commit that finds the WAL
 * past 1000 pages (every ~190 payloads of 21 KB), holding a whole batch of
 * requests behind it. The writer's WAL hook (which replaces SQLite's
 * autocheckpoint on its connection) wakes a checkpointer thread with its own
 * connection instead, which checkpoints PASSIVE: it never blocks the writer.
 */
#include "adapters/store/queue_writer.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "adapters/store/db.h"
#include "adapters/store/queue.h"
#include "util/alloc.h"
#include "util/error.h"

#define CHECKPOINT_PAGES 1000 /* SQLite's own autocheckpoint threshold */

struct mc_queue_writer {
	mc_store *store;
	mc_store *checkpoint_store;
	pthread_t checkpointer;
	pthread_cond_t checkpoint_cond;
	int checkpoint_wanted;
	mc_queue_pusher *pusher;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	mc_queue_delivery **pending; /* submitted, not yet taken by the writer */
	size_t npending, cap;
	int stopping;
	mc_queue_writer_stats stats;
};

/* A batch's outcome per delivery. */
typedef struct outcome {
	int rc;
	int duplicate;
	char error[256];
} outcome;

/*
 * Waiting for the write lock. The daemon's workers write to the same file (a
 * claim, a done) in transactions of a few hundred microseconds; SQLite's own busy
 * timeout sleeps 1, 2, 5 ... 100 ms between tries, so one unlucky collision would
 * hold a whole batch of requests for tens of milliseconds. Here: 100 µs steps for
 * the first 2 ms, then 1 ms steps, giving up after about 10 s like the store's
 * timeout (the batch then fails and is answered 503).
 */
#define BUSY_FINE_TRIES 20
#define BUSY_MAX_TRIES (BUSY_FINE_TRIES + 10000)

static int wait_for_lock(void *unused, int tries)
{
	struct timespec step = { 0, tries < BUSY_FINE_TRIES ? 100 * 1000L : 1000 * 1000L };
	(void)unused;
	if (tries >= BUSY_MAX_TRIES)
		return 0;
	nanosleep(&step, NULL);
	return 1;
}

static int add_one(mc_queue_writer *w, mc_queue_delivery *d, outcome *o)
{
	return mc_queue_pusher_add(w->pusher, d->delivery_id, d->forge, d->event, d->repo,
				   d->payload, d->payload_len, d->received_at, &o->duplicate);
}

static void record_error(outcome *o, int rc)
{
	o->rc = rc;
	snprintf(o->error, sizeof o->error, "%s", mc_error_message());
}

/* All of batch in one transaction; on any failure nothing of it is committed. */
static int commit_together(mc_queue_writer *w, mc_queue_delivery **batch, size_t n,
			   outcome *out)
{
	size_t i;
	int rc;

	if ((rc = mc_store_begin(w->store)) != 0)
		return rc;
	for (i = 0; i < n; i++)
		if ((rc = add_one(w, batch[i], &out[i])) != 0)
			break;
	if (rc == 0)
		rc = mc_store_commit(w->store);
	if (rc)
		mc_store_rollback(w->store);
	return rc;
}

/* The fallback: one transaction per delivery, each outcome its own. */
static void commit_each(mc_queue_writer *w, mc_queue_delivery **batch, size_t n, outcome *out)
{
	size_t i;
	int rc;
	for (i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof out[i]);
		if ((rc = commit_together(w, &batch[i], 1, &out[i])) != 0)
			record_error(&out[i], rc);
	}
}

static void commit_batch(mc_queue_writer *w, mc_queue_delivery **batch, size_t n)
{
	outcome out[MC_QUEUE_WRITER_BATCH_MAX];
	size_t i;
	int rc;

	memset(out, 0, n * sizeof out[0]);
	if ((rc = commit_together(w, batch, n, out)) != 0) {
		if (n > 1)
			commit_each(w, batch, n, out);
		else
			record_error(&out[0], rc);
	}
	pthread_mutex_lock(&w->lock);
	w->stats.batches++;
	w->stats.deliveries += n;
	if (n > w->stats.largest)
		w->stats.largest = (unsigned)n;
	pthread_mutex_unlock(&w->lock);
	for (i = 0; i < n; i++)
		batch[i]->done(batch[i]->arg, out[i].rc, out[i].duplicate,
			       out[i].rc ? out[i].error : "");
}

/* Wait for deliveries; take up to a batch. 0 when stopping with nothing left. */
static size_t take_batch(mc_queue_writer *w, mc_queue_delivery **batch)
{
	size_t n;

	pthread_mutex_lock(&w->lock);
	while (w->npending == 0 && !w->stopping)
		pthread_cond_wait(&w->wake, &w->lock);
	n = w->npending < MC_QUEUE_WRITER_BATCH_MAX ? w->npending : MC_QUEUE_WRITER_BATCH_MAX;
	if (n > 0) { /* pending is NULL until the first submission */
		memcpy(batch, w->pending, n * sizeof *batch);
		memmove(w->pending, w->pending + n, (w->npending - n) * sizeof *w->pending);
		w->npending -= n;
	}
	pthread_mutex_unlock(&w->lock);
	return n;
}

/* SQLite calls this after each commit on the writer's connection. */
static int on_wal_commit(void *arg, sqlite3 *db, const char *name, int pages)
{
	mc_queue_writer *w = arg;
	(void)db, (void)name;
	if (pages >= CHECKPOINT_PAGES) {
		pthread_mutex_lock(&w->lock);
		w->checkpoint_wanted = 1;
		pthread_cond_signal(&w->checkpoint_cond);
		pthread_mutex_unlock(&w->lock);
	}
	return SQLITE_OK;
}

static void *checkpointer_main(void *arg)
{
	mc_queue_writer *w = arg;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->checkpoint_wanted && !w->stopping)
			pthread_cond_wait(&w->checkpoint_cond, &w->lock);
		if (!w->checkpoint_wanted)
			break;
		w->checkpoint_wanted = 0;
		pthread_mutex_unlock(&w->lock);
		/* PASSIVE: copies what no reader still needs; a busy WAL is simply retried
		 * at the next commit past the threshold. */
		sqlite3_wal_checkpoint_v2(mc_store_sqlite(w->checkpoint_store), NULL,
					  SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

static void *writer_main(void *arg)
{
	mc_queue_writer *w = arg;
	mc_queue_delivery *batch[MC_QUEUE_WRITER_BATCH_MAX];
	size_t n;

	while ((n = take_batch(w, batch)) > 0)
		commit_batch(w, batch, n);
	return NULL;
}

/* Everything the writer holds, once its threads are gone (or never started). */
static void writer_free(mc_queue_writer *w)
{
	mc_queue_pusher_free(w->pusher);
	mc_store_close(w->checkpoint_store);
	mc_store_close(w->store);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->wake);
	pthread_cond_destroy(&w->checkpoint_cond);
	free(w->pending);
	free(w);
}

int mc_queue_writer_start(mc_queue_writer **out, const char *db_path)
{
	mc_queue_writer *w = mc_xcalloc(1, sizeof *w);
	int rc;

	*out = NULL;
	if ((rc = mc_store_open(&w->store, db_path)) != 0 ||
	    (rc = mc_store_open(&w->checkpoint_store, db_path)) != 0 ||
	    (rc = mc_queue_pusher_new(&w->pusher, w->store)) != 0) {
		mc_store_close(w->checkpoint_store);
		mc_store_close(w->store);
		free(w);
		return rc;
	}
	sqlite3_busy_handler(mc_store_sqlite(w->store), wait_for_lock, NULL);
	sqlite3_wal_hook(mc_store_sqlite(w->store), on_wal_commit, w);
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	pthread_cond_init(&w->checkpoint_cond, NULL);
	if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
		writer_free(w);
		return mc_error_set(MC_EIO, "queue writer: cannot start its thread");
	}
	if (pthread_create(&w->checkpointer, NULL, checkpointer_main, w) != 0) {
		/* Without it the writer's connection checkpoints for itself, as SQLite does. */
		sqlite3_wal_autocheckpoint(mc_store_sqlite(w->store), CHECKPOINT_PAGES);
		w->checkpointer = w->thread;
	}
	*out = w;
	return 0;
}

int mc_queue_writer_submit(mc_queue_writer *w, mc_queue_delivery *d)
{
	int rc = mc_queue_check_push(d->delivery_id, d->forge, d->event, d->repo, d->payload,
				     d->payload_len);
	if (rc)
		return rc;
	pthread_mutex_lock(&w->lock);
	if (w->stopping) {
		pthread_mutex_unlock(&w->lock);
		return mc_error_set(MC_EINTERNAL, "queue writer: submitted after stop");
	}
	if (w->npending == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 64;
		w->pending = mc_xrealloc(w->pending, w->cap * sizeof *w->pending);
	}
	w->pending[w->npending++] = d;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	return 0;
}

/* mc_queue_writer_push's rendezvous with the writer thread. */
typedef struct waiter {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int finished, rc, duplicate;
	char error[256];
} waiter;

static void wake_waiter(void *arg, int rc, int duplicate, const char *error)
{
	waiter *wt = arg;
	pthread_mutex_lock(&wt->lock);
	wt->rc = rc;
	wt->duplicate = duplicate;
	snprintf(wt->error, sizeof wt->error, "%s", error);
	wt->finished = 1;
	pthread_cond_signal(&wt->cond);
	pthread_mutex_unlock(&wt->lock);
}

int mc_queue_writer_push(mc_queue_writer *w, const char *delivery_id, const char *forge,
			 const char *event, const char *repo, const char *payload,
			 size_t payload_len, int64_t now, int *duplicate)
{
	waiter wt = { .finished = 0 };
	mc_queue_delivery d = { delivery_id, forge, event, repo, payload, payload_len, now,
				wake_waiter, &wt };
	int rc;

	if (duplicate)
		*duplicate = 0;
	pthread_mutex_init(&wt.lock, NULL);
	pthread_cond_init(&wt.cond, NULL);
	if ((rc = mc_queue_writer_submit(w, &d)) == 0) {
		pthread_mutex_lock(&wt.lock);
		while (!wt.finished)
			pthread_cond_wait(&wt.cond, &wt.lock);
		pthread_mutex_unlock(&wt.lock);
		if ((rc = wt.rc) != 0)
			mc_error_set(rc, "%s", wt.error);
		else if (duplicate)
			*duplicate = wt.duplicate;
	}
	pthread_mutex_destroy(&wt.lock);
	pthread_cond_destroy(&wt.cond);
	return rc;
}

void mc_queue_writer_stats_get(mc_queue_writer *w, mc_queue_writer_stats *out)
{
	pthread_mutex_lock(&w->lock);
	*out = w->stats;
	pthread_mutex_unlock(&w->lock);
}

void mc_queue_writer_stop(mc_queue_writer *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = 1;
	pthread_cond_signal(&w->wake);
	pthread_cond_signal(&w->checkpoint_cond);
	pthread_mutex_unlock(&w->lock);
	/* The thread drains what was submitted before it returns. */
	pthread_join(w->thread, NULL);
	if (!pthread_equal(w->checkpointer, w->thread))
		pthread_join(w->checkpointer, NULL);
	writer_free(w);
}
