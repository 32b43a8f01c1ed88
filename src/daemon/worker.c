/*
 * The worker pool, a daemon service: threads that claim events from the durable
 * queue and run each through the pipeline (pipeline/event.c). Each thread has its
 * own store connection and forge handle. A processed event is marked done; a
 * failed one is retried with exponential backoff (30 s doubling, at most an hour,
 * 8 attempts), and an event that can never succeed (a bad payload) is parked at
 * once. Stopping lets every thread finish the event it holds.
 *
 * At start the pool takes <state-dir>/worker.lock exclusively, so one daemon
 * serves a state directory, and releases every claim left in the queue: with the
 * lock held, those belong to a daemon that died (kill -9) and are ready at once
 * instead of after their lease.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "adapters/store/queue.h"
#include "daemon/daemon.h"
#include "daemon/forge_open.h"
#include "pipeline/event.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/log.h"
#include "util/time.h"

/* A claim outlives the slowest review (a first history mining of a large repository). */
#define LEASE_S 1800
#define MAX_ATTEMPTS 8
#define RETRY_BASE_S 30
#define RETRY_MAX_S 3600
/* How long an idle worker waits before looking at the queue again. */
#define IDLE_WAIT_MS 200
#define SUBJECT_MAX (MC_QUEUE_ID_MAX + 32)

typedef struct pool pool;

typedef struct worker {
	pool *pool;
	unsigned index;
	pthread_t thread;
	int started;
} worker;

struct pool {
	const mc_daemon_options *opts;
	char *db_path;
	mc_metrics *metrics;
	atomic_int stopping;
	int lock_fd;
	unsigned nworkers;
	worker *workers;
	pthread_mutex_t idle_lock;
	pthread_cond_t idle_cond;
	/* The subject (mc_event_subject) each worker is processing, "" when none: one
	 * event of a pull request at a time. */
	pthread_mutex_t subject_lock;
	pthread_cond_t subject_cond;
	char (*subjects)[SUBJECT_MAX];
};

static int64_t retry_delay(int attempts)
{
	int64_t delay = RETRY_BASE_S;

	for (int i = 1; i < attempts && delay < RETRY_MAX_S; i++)
		delay *= 2;
	return delay < RETRY_MAX_S ? delay : RETRY_MAX_S;
}

/* Wait a little, or less when the pool is stopping. */
static void idle(pool *p)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += IDLE_WAIT_MS * 1000000L;
	until.tv_sec += until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&p->idle_lock);
	if (!atomic_load(&p->stopping))
		pthread_cond_timedwait(&p->idle_cond, &p->idle_lock, &until);
	pthread_mutex_unlock(&p->idle_lock);
}

static void finish(worker *w, mc_store *store, const mc_queue_event *ev, int rc,
		   const mc_event_outcome *outcome)
{
	int64_t now = (int64_t)time(NULL);
	char seq[32], attempts[16];
	int max_attempts = rc == MC_EINVAL ? ev->attempts : MAX_ATTEMPTS;

	snprintf(seq, sizeof seq, "%lld", (long long)ev->seq);
	snprintf(attempts, sizeof attempts, "%d", ev->attempts);
	if (rc == 0) {
		if (mc_queue_done(store, ev->seq, now) != 0)
			mc_log(MC_LOG_ERROR, "worker.done_failed", "seq", seq, "error",
			       mc_error_message(), NULL);
		mc_metrics_observe_processing(w->pool->metrics, (double)(now - ev->received_at));
		mc_log(MC_LOG_INFO, "worker.processed", "seq", seq, "webhook_event", ev->event, "repo",
		       ev->repo, "outcome", outcome->what, NULL);
		return;
	}
	mc_log(MC_LOG_WARN, "worker.failed", "seq", seq, "webhook_event", ev->event, "repo", ev->repo,
	       "attempts", attempts, "error", mc_error_message(), NULL);
	if (mc_queue_fail(store, ev->seq, mc_error_message(), now + retry_delay(ev->attempts),
			  max_attempts, now) != 0)
		mc_log(MC_LOG_ERROR, "worker.fail_failed", "seq", seq, "error", mc_error_message(),
		       NULL);
}

static int subject_busy(const pool *p, const char *subject)
{
	for (unsigned i = 0; i < p->nworkers; i++)
		if (strcmp(p->subjects[i], subject) == 0)
			return 1;
	return 0;
}

/* Wait until no other worker processes an event of subject, then take it. */
static void take_subject(worker *w, const char *subject)
{
	pool *p = w->pool;

	if (!*subject)
		return;
	pthread_mutex_lock(&p->subject_lock);
	while (subject_busy(p, subject))
		pthread_cond_wait(&p->subject_cond, &p->subject_lock);
	snprintf(p->subjects[w->index], SUBJECT_MAX, "%s", subject);
	pthread_mutex_unlock(&p->subject_lock);
}

static void release_subject(worker *w)
{
	pool *p = w->pool;

	pthread_mutex_lock(&p->subject_lock);
	p->subjects[w->index][0] = '\0';
	pthread_cond_broadcast(&p->subject_cond);
	pthread_mutex_unlock(&p->subject_lock);
}

static void process_one(worker *w, mc_store *store, mc_daemon_forge *df, const char *name)
{
	const mc_daemon_options *o = w->pool->opts;
	mc_event_context ctx = {0};
	mc_event_outcome outcome;
	mc_queue_event ev;
	char subject[SUBJECT_MAX];
	int rc;

	rc = mc_queue_claim(store, &ev, name, (int64_t)time(NULL), LEASE_S);
	if (rc == MC_EEMPTY) {
		idle(w->pool);
		return;
	}
	if (rc != 0) {
		mc_log(MC_LOG_ERROR, "worker.claim_failed", "error", mc_error_message(), NULL);
		idle(w->pool);
		return;
	}
	ctx.forge = df->forge;
	ctx.state = store;
	ctx.mirror_dir = df->mirror_dir;
	ctx.auditors = o->auditors;
	ctx.nauditors = o->nauditors;
	ctx.bot_login = o->bot_login;
	/* The event's own time, not the clock: a retry of the same event then builds the
	 * same records (a hold's or override's evidence, the card), which de-duplicate. */
	ctx.now = (time_t)ev.received_at;
	mc_event_subject(subject, sizeof subject, &ev);
	take_subject(w, subject);
	mc_error_clear();
	rc = mc_event_process(&outcome, &ctx, &ev);
	finish(w, store, &ev, rc, &outcome);
	if (*subject)
		release_subject(w);
	mc_queue_event_clear(&ev);
}

static void *worker_main(void *arg)
{
	worker *w = arg;
	mc_store *store = NULL;
	mc_daemon_forge df;
	char name[64];

	snprintf(name, sizeof name, "%ld/%u", (long)getpid(), w->index);
	if (mc_store_open(&store, w->pool->db_path) != 0 ||
	    mc_daemon_forge_open(&df, w->pool->opts, w->pool->metrics) != 0) {
		mc_log(MC_LOG_ERROR, "worker.start_failed", "worker", name, "error",
		       mc_error_message(), NULL);
		mc_store_close(store);
		return NULL;
	}
	while (!atomic_load(&w->pool->stopping))
		process_one(w, store, &df, name);
	mc_daemon_forge_close(&df);
	mc_store_close(store);
	return NULL;
}

/* One daemon per state directory; claims left by a dead one are released. */
static int take_state_dir(pool *p)
{
	char path[4096];
	mc_store *store = NULL;
	int64_t released = 0;
	int rc;

	snprintf(path, sizeof path, "%s/worker.lock", p->opts->state_dir);
	p->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (p->lock_fd < 0)
		return mc_error_set(MC_EIO, "%s: %s", path, strerror(errno));
	if (flock(p->lock_fd, LOCK_EX | LOCK_NB) != 0)
		return mc_error_set(MC_EENV, "another maestro serves the state directory %s",
				    p->opts->state_dir);
	if ((rc = mc_store_open(&store, p->db_path)) != 0)
		return rc;
	rc = mc_queue_release_claims(store, (int64_t)time(NULL), &released);
	mc_store_close(store);
	if (rc == 0 && released > 0) {
		char n[32];
		snprintf(n, sizeof n, "%lld", (long long)released);
		mc_log(MC_LOG_INFO, "worker.claims_released", "events", n, NULL);
	}
	return rc;
}

static void pool_free(pool *p)
{
	if (p->lock_fd >= 0)
		close(p->lock_fd);
	pthread_cond_destroy(&p->idle_cond);
	pthread_mutex_destroy(&p->idle_lock);
	pthread_cond_destroy(&p->subject_cond);
	pthread_mutex_destroy(&p->subject_lock);
	free(p->subjects);
	free(p->workers);
	free(p->db_path);
	free(p);
}

static void pool_stop(void *state)
{
	pool *p = state;

	if (!p)
		return;
	pthread_mutex_lock(&p->idle_lock);
	atomic_store(&p->stopping, 1);
	pthread_cond_broadcast(&p->idle_cond);
	pthread_mutex_unlock(&p->idle_lock);
	for (unsigned i = 0; i < p->nworkers; i++)
		if (p->workers[i].started)
			pthread_join(p->workers[i].thread, NULL);
	pool_free(p);
}

static int pool_start(void **state, const mc_daemon_context *ctx)
{
	pool *p = mc_xcalloc(1, sizeof *p);
	int rc;

	p->opts = ctx->opts;
	p->db_path = mc_xstrdup(ctx->db_path);
	p->metrics = ctx->metrics;
	p->lock_fd = -1;
	p->nworkers = ctx->opts->workers ? ctx->opts->workers : 2;
	p->workers = mc_xcalloc(p->nworkers, sizeof *p->workers);
	pthread_mutex_init(&p->idle_lock, NULL);
	pthread_cond_init(&p->idle_cond, NULL);
	pthread_mutex_init(&p->subject_lock, NULL);
	pthread_cond_init(&p->subject_cond, NULL);
	p->subjects = mc_xcalloc(p->nworkers, sizeof *p->subjects);
	if ((rc = take_state_dir(p)) != 0) {
		pool_free(p);
		return rc;
	}
	for (unsigned i = 0; i < p->nworkers; i++) {
		p->workers[i].pool = p;
		p->workers[i].index = i;
		if (pthread_create(&p->workers[i].thread, NULL, worker_main, &p->workers[i]) != 0) {
			pool_stop(p);
			return mc_error_set(MC_EIO, "starting worker threads: %s", strerror(errno));
		}
		p->workers[i].started = 1;
	}
	*state = p;
	return 0;
}

const mc_daemon_service mc_daemon_worker_service = {
	.name = "worker",
	.start = pool_start,
	.stop = pool_stop,
};
