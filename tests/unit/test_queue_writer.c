/*
 * Unit tests for the queue's group commit (adapters/store/queue_writer) on real
 * SQLite files: many threads pushing at once, every delivery committed exactly
 * once and its duplicates reported as such, deliveries gathered into one
 * transaction while the write lock is held elsewhere (a worker's claim), a
 * failing delivery answered alone while its batch neighbours commit, checks
 * refused before anything is queued, and what was submitted drained at stop.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "adapters/store/db.h"
#include "adapters/store/queue.h"
#include "adapters/store/queue_writer.h"
#include "testutil.h"
#include "util/error.h"

static char *db_path(const char *dir)
{
	char *p;
	ck_assert_int_ge(asprintf(&p, "%s/maestro.db", dir), 0);
	return p;
}

static long long count_rows(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long long n = -1;
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

#define PUSHERS 8
#define IDS 150

struct pusher {
	mc_queue_writer *w;
	int index;
	int fresh[IDS]; /* 1 where this thread's push of id i was the one queued */
	int failed;
};

/* Every thread pushes the same ids, in a different order: each id must be queued
 * once, by whichever thread got there first, and be a duplicate for the others. */
static void *push_all(void *arg)
{
	struct pusher *p = arg;
	char id[32], body[64];
	int k, dup;

	for (k = 0; k < IDS; k++) {
		int i = (k * 7 + p->index * 31) % IDS;
		snprintf(id, sizeof id, "delivery-%d", i);
		snprintf(body, sizeof body, "{\"i\":%d,\"from\":%d}", i, p->index);
		if (mc_queue_writer_push(p->w, id, "github", "pull_request", "o/r", body, strlen(body),
					 1000 + k, &dup) != 0)
			p->failed++;
		else
			p->fresh[i] = !dup;
	}
	return NULL;
}

START_TEST(concurrent_pushes_commit_each_delivery_exactly_once)
{
	char *dir = mc_test_tmpdir(), *path = db_path(dir);
	struct pusher p[PUSHERS];
	pthread_t t[PUSHERS];
	mc_queue_writer *w;
	mc_queue_writer_stats st;
	int i, k;

	ck_assert_msg(mc_queue_writer_start(&w, path) == 0, "%s", mc_error_message());
	memset(p, 0, sizeof p);
	for (i = 0; i < PUSHERS; i++) {
		p[i].w = w;
		p[i].index = i;
		ck_assert_int_eq(pthread_create(&t[i], NULL, push_all, &p[i]), 0);
	}
	for (i = 0; i < PUSHERS; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	for (i = 0; i < IDS; i++) {
		int fresh = 0;
		for (k = 0; k < PUSHERS; k++)
			fresh += p[k].fresh[i];
		ck_assert_msg(fresh == 1, "delivery-%d reported queued %d times", i, fresh);
	}
	for (k = 0; k < PUSHERS; k++)
		ck_assert_int_eq(p[k].failed, 0);
	mc_queue_writer_stats_get(w, &st);
	ck_assert_uint_eq(st.deliveries, PUSHERS * IDS);
	ck_assert_uint_le(st.batches, PUSHERS * IDS);
	mc_queue_writer_stop(w);
	ck_assert_int_eq(count_rows(path, "SELECT count(*) FROM q_event"), IDS);
	ck_assert_int_eq(count_rows(path, "SELECT count(DISTINCT delivery_id) FROM q_event"), IDS);
	ck_assert_int_eq(count_rows(path, "SELECT count(*) FROM q_delivery"), IDS);
	mc_test_rmtree(dir);
	free(path);
	free(dir);
}
END_TEST

#define HELD 60

struct answers {
	pthread_mutex_t lock;
	int done, ok, duplicates, errors;
	int rc[HELD], duplicate[HELD];
	char error[HELD][128];
};

struct slot {
	struct answers *a;
	int index;
};

static void on_done(void *arg, int rc, int duplicate, const char *error)
{
	struct slot *s = arg;
	pthread_mutex_lock(&s->a->lock);
	s->a->done++;
	s->a->rc[s->index] = rc;
	s->a->duplicate[s->index] = duplicate;
	snprintf(s->a->error[s->index], sizeof s->a->error[s->index], "%s", error);
	if (rc)
		s->a->errors++;
	else if (duplicate)
		s->a->duplicates++;
	else
		s->a->ok++;
	pthread_mutex_unlock(&s->a->lock);
}

/*
 * HELD deliveries submitted while another connection holds the write lock (as a
 * worker's claim does): they gather, and at most two transactions commit them (the
 * writer may have taken the first before it found the lock taken). ids[i] gives
 * each delivery's id; ids repeat, so duplicates meet inside one batch.
 */
static void submit_while_locked(const char *path, mc_queue_writer *w, char ids[HELD][32],
				mc_queue_delivery d[HELD], struct slot slots[HELD],
				struct answers *a)
{
	sqlite3 *holder;
	int i;

	ck_assert_int_eq(sqlite3_open(path, &holder), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(holder, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	for (i = 0; i < HELD; i++) {
		slots[i] = (struct slot){ a, i };
		d[i] = (mc_queue_delivery){ .delivery_id = ids[i], .forge = "gitea",
					    .event = "push", .repo = "o/r", .payload = ids[i],
					    .payload_len = strlen(ids[i]), .received_at = 5,
					    .done = on_done, .arg = &slots[i] };
		ck_assert_msg(mc_queue_writer_submit(w, &d[i]) == 0, "%s", mc_error_message());
	}
	ck_assert_int_eq(sqlite3_exec(holder, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(holder);
}

START_TEST(deliveries_waiting_together_commit_together_with_duplicates_found)
{
	char *dir = mc_test_tmpdir(), *path = db_path(dir);
	char ids[HELD][32];
	mc_queue_delivery d[HELD];
	struct slot slots[HELD];
	struct answers a;
	mc_queue_writer *w;
	int i;

	memset(&a, 0, sizeof a);
	pthread_mutex_init(&a.lock, NULL);
	/* 20 ids, each submitted three times. */
	for (i = 0; i < HELD; i++)
		snprintf(ids[i], sizeof ids[i], "held-%d", i % 20);
	ck_assert_msg(mc_queue_writer_start(&w, path) == 0, "%s", mc_error_message());
	submit_while_locked(path, w, ids, d, slots, &a);
	mc_queue_writer_stop(w); /* drains: every done has been called when it returns */
	ck_assert_int_eq(a.done, HELD);
	ck_assert_int_eq(a.errors, 0);
	ck_assert_int_eq(a.ok, 20);
	ck_assert_int_eq(a.duplicates, 40);
	/* The first of each id's three is the one queued: submission order is kept. */
	for (i = 0; i < HELD; i++)
		ck_assert_int_eq(a.duplicate[i], i >= 20);
	ck_assert_int_eq(count_rows(path, "SELECT count(*) FROM q_event"), 20);
	pthread_mutex_destroy(&a.lock);
	mc_test_rmtree(dir);
	free(path);
	free(dir);
}
END_TEST

/* Every done called (bounded: 30 s). */
static void wait_all(struct answers *a)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	int i, done = 0;
	for (i = 0; i < 3000 && done < HELD; i++) {
		pthread_mutex_lock(&a->lock);
		done = a->done;
		pthread_mutex_unlock(&a->lock);
		if (done < HELD)
			nanosleep(&tick, NULL);
	}
	ck_assert_int_eq(done, HELD);
}

START_TEST(batches_hold_many_deliveries_when_the_lock_was_busy)
{
	char *dir = mc_test_tmpdir(), *path = db_path(dir);
	char ids[HELD][32];
	mc_queue_delivery d[HELD];
	struct slot slots[HELD];
	struct answers a;
	mc_queue_writer *w;
	mc_queue_writer_stats st;
	int i;

	memset(&a, 0, sizeof a);
	pthread_mutex_init(&a.lock, NULL);
	for (i = 0; i < HELD; i++)
		snprintf(ids[i], sizeof ids[i], "batch-%d", i);
	ck_assert_msg(mc_queue_writer_start(&w, path) == 0, "%s", mc_error_message());
	submit_while_locked(path, w, ids, d, slots, &a);
	wait_all(&a);
	mc_queue_writer_stats_get(w, &st);
	mc_queue_writer_stop(w);
	ck_assert_int_eq(a.ok, HELD);
	ck_assert_uint_eq(st.deliveries, HELD);
	ck_assert_uint_le(st.batches, 2);
	ck_assert_uint_ge(st.largest, HELD / 2);
	ck_assert_int_eq(count_rows(path, "SELECT count(*) FROM q_event"), HELD);
	pthread_mutex_destroy(&a.lock);
	mc_test_rmtree(dir);
	free(path);
	free(dir);
}
END_TEST

START_TEST(a_failing_delivery_is_answered_alone_and_its_neighbours_commit)
{
	char *dir = mc_test_tmpdir(), *path = db_path(dir);
	char ids[HELD][32];
	mc_queue_delivery d[HELD];
	struct slot slots[HELD];
	struct answers a;
	mc_queue_writer *w;
	mc_store *s;
	int i;

	/* A trigger refuses one delivery, the way a full disk would refuse a write. */
	ck_assert_int_eq(mc_store_open(&s, path), 0);
	ck_assert_int_eq(mc_store_exec(s, "CREATE TRIGGER poison BEFORE INSERT ON q_event"
				       " WHEN NEW.delivery_id = 'poison-7' BEGIN"
				       " SELECT RAISE(ABORT, 'refused by the test'); END"), 0);
	mc_store_close(s);
	memset(&a, 0, sizeof a);
	pthread_mutex_init(&a.lock, NULL);
	for (i = 0; i < HELD; i++)
		snprintf(ids[i], sizeof ids[i], "poison-%d", i);
	ck_assert_msg(mc_queue_writer_start(&w, path) == 0, "%s", mc_error_message());
	submit_while_locked(path, w, ids, d, slots, &a);
	mc_queue_writer_stop(w);
	ck_assert_int_eq(a.done, HELD);
	ck_assert_int_eq(a.errors, 1);
	ck_assert_int_eq(a.ok, HELD - 1);
	ck_assert_int_eq(a.rc[7], MC_EDB);
	ck_assert_msg(strstr(a.error[7], "refused by the test"), "%s", a.error[7]);
	ck_assert_int_eq(count_rows(path, "SELECT count(*) FROM q_event"), HELD - 1);
	/* The refused id is not remembered: a redelivery may still queue it. */
	ck_assert_int_eq(count_rows(path, "SELECT count(*) FROM q_delivery WHERE delivery_id ="
				    " 'poison-7'"), 0);
	pthread_mutex_destroy(&a.lock);
	mc_test_rmtree(dir);
	free(path);
	free(dir);
}
END_TEST

static void never_called(void *arg, int rc, int duplicate, const char *error)
{
	(void)arg, (void)rc, (void)duplicate, (void)error;
	ck_abort_msg("done called for a refused delivery");
}

START_TEST(bad_fields_are_refused_at_submission)
{
	char *dir = mc_test_tmpdir(), *path = db_path(dir);
	char long_id[MC_QUEUE_ID_MAX + 2];
	mc_queue_writer *w;
	mc_queue_delivery d = { .delivery_id = long_id, .forge = "github", .event = "ping",
				.repo = "", .payload = "{}", .payload_len = 2, .received_at = 1,
				.done = never_called };
	int dup = -1;

	memset(long_id, 'x', sizeof long_id - 1);
	long_id[sizeof long_id - 1] = '\0';
	ck_assert_msg(mc_queue_writer_start(&w, path) == 0, "%s", mc_error_message());
	ck_assert_int_eq(mc_queue_writer_submit(w, &d), MC_ELIMIT);
	d.delivery_id = "";
	ck_assert_int_eq(mc_queue_writer_submit(w, &d), MC_EINVAL);
	ck_assert_int_eq(mc_queue_writer_push(w, "ok-1", "github", "ping", "", "{}", 2, 1, &dup), 0);
	ck_assert_int_eq(dup, 0);
	ck_assert_int_eq(mc_queue_writer_push(w, "ok-1", "github", "ping", "", "{}", 2, 1, &dup), 0);
	ck_assert_int_eq(dup, 1);
	mc_queue_writer_stop(w);
	ck_assert_int_eq(count_rows(path, "SELECT count(*) FROM q_event"), 1);
	mc_test_rmtree(dir);
	free(path);
	free(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("queue_writer");
	TCase *tc = tcase_create("queue_writer");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, concurrent_pushes_commit_each_delivery_exactly_once);
	tcase_add_test(tc, deliveries_waiting_together_commit_together_with_duplicates_found);
	tcase_add_test(tc, batches_hold_many_deliveries_when_the_lock_was_busy);
	tcase_add_test(tc, a_failing_delivery_is_answered_alone_and_its_neighbours_commit);
	tcase_add_test(tc, bad_fields_are_refused_at_submission);
	suite_add_tcase(s, tc);
	return mc_test_run(s);
}
