/*
 * Unit tests for the durable event queue (adapters/store/queue) on real SQLite
 * files: de-duplication, claim order, lease expiry (a killed worker simulated
 * by a claim whose lease has run out), done, retries and parking, counts,
 * pruning, size limits, and workers in two processes and in two threads
 * claiming the same file concurrently.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "adapters/store/db.h"
#include "adapters/store/queue.h"
#include "testutil.h"
#include "util/error.h"

static char *db_path(const char *dir)
{
	char *p;
	ck_assert_int_ge(asprintf(&p, "%s/maestro.db", dir), 0);
	return p;
}

static mc_store *open_in(const char *dir)
{
	char *path = db_path(dir);
	mc_store *s = NULL;
	ck_assert_msg(mc_store_open(&s, path) == 0, "%s", mc_error_message());
	free(path);
	return s;
}

static void push(mc_store *s, const char *id, const char *payload, int64_t now, int *dup)
{
	ck_assert_msg(mc_queue_push(s, id, "github", "pull_request", "o/r", payload,
				    strlen(payload), now, dup) == 0, "%s", mc_error_message());
}

static void expect_counts(mc_store *s, int64_t now, int64_t q, int64_t c, int64_t d, int64_t f)
{
	mc_queue_counts n;
	ck_assert_int_eq(mc_queue_counts_get(s, &n, now), 0);
	ck_assert_int_eq(n.queued, q);
	ck_assert_int_eq(n.claimed, c);
	ck_assert_int_eq(n.done, d);
	ck_assert_int_eq(n.failed, f);
}

START_TEST(push_dedups_by_delivery_id_and_keeps_the_payload)
{
	char *dir = mc_test_tmpdir();
	mc_store *s = open_in(dir);
	static const char body[] = "{\"a\":1}\0tail"; /* bytes after a NUL survive */
	mc_queue_event ev;
	int dup = -1;

	ck_assert_int_eq(mc_queue_push(s, "d1", "github", "pull_request", "o/r", body,
				       sizeof body - 1, 100, &dup), 0);
	ck_assert_int_eq(dup, 0);
	push(s, "d1", "{\"other\":2}", 101, &dup);
	ck_assert_int_eq(dup, 1);
	expect_counts(s, 101, 1, 0, 0, 0);

	ck_assert_int_eq(mc_queue_claim(s, &ev, "w1", 102, 30), 0);
	ck_assert_str_eq(ev.delivery_id, "d1");
	ck_assert_str_eq(ev.forge, "github");
	ck_assert_str_eq(ev.event, "pull_request");
	ck_assert_str_eq(ev.repo, "o/r");
	ck_assert_uint_eq(ev.payload_len, sizeof body - 1);
	ck_assert_int_eq(memcmp(ev.payload, body, sizeof body - 1), 0);
	ck_assert_int_eq(ev.attempts, 1);
	ck_assert_int_eq(ev.received_at, 100);
	ck_assert_int_eq(mc_queue_done(s, ev.seq, 103), 0);
	mc_queue_event_clear(&ev);

	/* A done event's id still de-duplicates. */
	push(s, "d1", "{}", 104, &dup);
	ck_assert_int_eq(dup, 1);
	expect_counts(s, 104, 0, 0, 1, 0);
	mc_store_close(s);
	mc_test_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(claims_in_arrival_order_then_reports_empty)
{
	char *dir = mc_test_tmpdir();
	mc_store *s = open_in(dir);
	mc_queue_event ev;
	const char *ids[] = { "c", "a", "b" };
	int i;

	for (i = 0; i < 3; i++)
		push(s, ids[i], "{}", 100 + i, NULL);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(mc_queue_claim(s, &ev, "w", 200, 30), 0);
		ck_assert_str_eq(ev.delivery_id, ids[i]);
		mc_queue_event_clear(&ev);
	}
	expect_counts(s, 200, 0, 3, 0, 0);
	ck_assert_int_eq(mc_queue_claim(s, &ev, "w", 200, 30), MC_EEMPTY);
	ck_assert_ptr_null(ev.delivery_id);
	mc_store_close(s);
	mc_test_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(a_dead_workers_claim_is_taken_again_when_its_lease_runs_out)
{
	char *dir = mc_test_tmpdir();
	mc_store *s = open_in(dir);
	mc_queue_event ev, again;

	push(s, "d", "{}", 100, NULL);
	/* Worker 1 claims at t=100 with a 30 s lease, then dies without a word. */
	ck_assert_int_eq(mc_queue_claim(s, &ev, "w1", 100, 30), 0);
	ck_assert_int_eq(mc_queue_claim(s, &again, "w2", 129, 30), MC_EEMPTY);
	expect_counts(s, 129, 0, 1, 0, 0);
	/* Once the lease ran out the event counts as queued and another worker takes it. */
	expect_counts(s, 130, 1, 0, 0, 0);
	ck_assert_int_eq(mc_queue_claim(s, &again, "w2", 130, 30), 0);
	ck_assert_int_eq(again.seq, ev.seq);
	ck_assert_int_eq(again.attempts, 2);
	ck_assert_int_eq(mc_queue_done(s, again.seq, 131), 0);
	expect_counts(s, 131, 0, 0, 1, 0);
	/* Finishing twice (the first worker coming back) is reported, not repeated. */
	ck_assert_int_eq(mc_queue_done(s, ev.seq, 132), MC_ENOTFOUND);
	mc_queue_event_clear(&ev);
	mc_queue_event_clear(&again);
	mc_store_close(s);
	mc_test_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(failures_retry_at_their_time_then_park)
{
	char *dir = mc_test_tmpdir();
	mc_store *s = open_in(dir);
	mc_queue_event ev;
	sqlite3_stmt *st;
	sqlite3 *db;
	char *path;
	int i;

	push(s, "d", "{}", 100, NULL);
	for (i = 1; i <= 3; i++) {
		int64_t t = 100 * i;
		ck_assert_int_eq(mc_queue_claim(s, &ev, "w", t, 30), 0);
		ck_assert_int_eq(ev.attempts, i);
		ck_assert_int_eq(mc_queue_fail(s, ev.seq, "forge said 502", t + 50, 3, t), 0);
		mc_queue_event_clear(&ev);
		if (i < 3) {
			/* Waiting for its retry time: queued, but not claimable yet. */
			expect_counts(s, t + 1, 1, 0, 0, 0);
			ck_assert_int_eq(mc_queue_claim(s, &ev, "w", t + 49, 30), MC_EEMPTY);
		}
	}
	expect_counts(s, 1000, 0, 0, 0, 1);
	ck_assert_int_eq(mc_queue_claim(s, &ev, "w", 10000, 30), MC_EEMPTY);
	ck_assert_int_eq(mc_queue_fail(s, 1, "again", 0, 3, 1000), MC_ENOTFOUND);

	/* The error is kept for people to read. */
	path = db_path(dir);
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT state, error FROM q_event", -1, &st, NULL),
			 SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), "failed");
	ck_assert_str_eq((const char *)sqlite3_column_text(st, 1), "forge said 502");
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(path);
	mc_store_close(s);
	mc_test_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(prune_forgets_old_done_events_and_ids_but_keeps_failed_and_queued)
{
	char *dir = mc_test_tmpdir();
	mc_store *s = open_in(dir);
	mc_queue_event ev;
	int dup;

	push(s, "old-done", "{}", 100, NULL);
	push(s, "old-failed", "{}", 100, NULL);
	push(s, "old-queued", "{}", 100, NULL);
	ck_assert_int_eq(mc_queue_claim(s, &ev, "w", 100, 30), 0);
	ck_assert_int_eq(mc_queue_done(s, ev.seq, 101), 0);
	mc_queue_event_clear(&ev);
	ck_assert_int_eq(mc_queue_claim(s, &ev, "w", 100, 30), 0);
	ck_assert_int_eq(mc_queue_fail(s, ev.seq, "bad", 0, 1, 101), 0);
	mc_queue_event_clear(&ev);
	push(s, "new-done", "{}", 5000, NULL);
	ck_assert_int_eq(mc_queue_claim(s, &ev, "w", 5000, 30), 0);
	ck_assert_str_eq(ev.delivery_id, "old-queued");
	ck_assert_int_eq(mc_queue_fail(s, ev.seq, "later", 5000, 5, 5000), 0);
	mc_queue_event_clear(&ev);
	/* old-queued waits for its retry at 5000 behind nothing; it comes first. */
	ck_assert_int_eq(mc_queue_claim(s, &ev, "w", 5000, 30), 0);
	ck_assert_str_eq(ev.delivery_id, "old-queued");
	mc_queue_event_clear(&ev);
	ck_assert_int_eq(mc_queue_claim(s, &ev, "w", 5000, 30), 0);
	ck_assert_str_eq(ev.delivery_id, "new-done");
	ck_assert_int_eq(mc_queue_done(s, ev.seq, 5001), 0);
	mc_queue_event_clear(&ev);
	expect_counts(s, 5002, 0, 1, 2, 1);

	ck_assert_int_eq(mc_queue_prune(s, 5002, 1000), 0);
	expect_counts(s, 5002, 0, 1, 1, 1);
	/* The pruned event's id is forgotten; the others still de-duplicate. */
	push(s, "old-done", "{}", 5003, &dup);
	ck_assert_int_eq(dup, 0);
	push(s, "old-failed", "{}", 5003, &dup);
	ck_assert_int_eq(dup, 1);
	push(s, "old-queued", "{}", 5003, &dup);
	ck_assert_int_eq(dup, 1);
	push(s, "new-done", "{}", 5003, &dup);
	ck_assert_int_eq(dup, 1);
	ck_assert_int_eq(mc_queue_prune(s, 5002, -1), MC_EINVAL);
	mc_store_close(s);
	mc_test_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(size_limits_and_empty_fields_are_refused_and_queue_nothing)
{
	char *dir = mc_test_tmpdir();
	mc_store *s = open_in(dir);
	char long_id[MC_QUEUE_ID_MAX + 2];
	mc_queue_event ev;
	int dup = -1;

	memset(long_id, 'x', sizeof long_id - 1);
	long_id[sizeof long_id - 1] = '\0';
	ck_assert_int_eq(mc_queue_push(s, long_id, "github", "ping", "", "{}", 2, 1, &dup),
			 MC_ELIMIT);
	ck_assert_ptr_nonnull(strstr(mc_error_message(), "delivery id"));
	ck_assert_int_eq(mc_queue_push(s, "d", "github", "ping", long_id, "{}", 2, 1, &dup),
			 MC_ELIMIT);
	ck_assert_int_eq(mc_queue_push(s, "", "github", "ping", "", "{}", 2, 1, &dup), MC_EINVAL);
	ck_assert_int_eq(mc_queue_push(s, "d", "github", NULL, "", "{}", 2, 1, &dup), MC_EINVAL);
	/* The length is checked before the bytes are read: no 25 MiB buffer needed. */
	ck_assert_int_eq(mc_queue_push(s, "d", "github", "ping", "", "{}",
				       (size_t)MC_QUEUE_PAYLOAD_MAX + 1, 1, &dup), MC_ELIMIT);
	ck_assert_int_eq(mc_queue_claim(s, &ev, "w", 1, 0), MC_EINVAL);
	expect_counts(s, 1, 0, 0, 0, 0);
	/* The id was not remembered either. */
	push(s, "d", "{}", 2, &dup);
	ck_assert_int_eq(dup, 0);
	mc_store_close(s);
	mc_test_rmtree(dir);
	free(dir);
}
END_TEST

/* Concurrency: N events, two claimers on their own connections; every event must be
 * claimed exactly once. */
#define RACE_EVENTS 300

static void fill(const char *dir)
{
	mc_store *s = open_in(dir);
	char id[32];
	int i;
	for (i = 0; i < RACE_EVENTS; i++) {
		snprintf(id, sizeof id, "race-%d", i);
		push(s, id, "{}", 100, NULL);
	}
	mc_store_close(s);
}

/* Claim until empty, marking each seq in seen[] (1-based seqs). */
static int claim_all(const char *dir, const char *worker, unsigned char *seen)
{
	mc_store *s = NULL;
	char *path = db_path(dir);
	mc_queue_event ev;
	int n = 0, rc;

	if (mc_store_open(&s, path) != 0) {
		free(path);
		return -1;
	}
	free(path);
	while ((rc = mc_queue_claim(s, &ev, worker, 200, 600)) == 0) {
		if (ev.seq >= 1 && ev.seq <= RACE_EVENTS)
			seen[ev.seq - 1]++;
		mc_queue_event_clear(&ev);
		n++;
	}
	mc_store_close(s);
	return rc == MC_EEMPTY ? n : -1;
}

START_TEST(two_processes_never_claim_the_same_event)
{
	char *dir = mc_test_tmpdir();
	unsigned char seen[2][RACE_EVENTS];
	int fds[2][2], p, i, status, total = 0;
	pid_t pids[2];

	fill(dir);
	for (p = 0; p < 2; p++) {
		ck_assert_int_eq(pipe(fds[p]), 0);
		pids[p] = fork();
		ck_assert_int_ge(pids[p], 0);
		if (pids[p] == 0) {
			unsigned char mine[RACE_EVENTS] = { 0 };
			int n = claim_all(dir, p ? "proc-b" : "proc-a", mine);
			ssize_t w = write(fds[p][1], mine, sizeof mine);
			_exit(n < 0 || w != (ssize_t)sizeof mine ? 1 : 0);
		}
		close(fds[p][1]);
	}
	for (p = 0; p < 2; p++) {
		size_t got = 0;
		ssize_t r;
		while (got < RACE_EVENTS &&
		       (r = read(fds[p][0], seen[p] + got, RACE_EVENTS - got)) > 0)
			got += (size_t)r;
		ck_assert_uint_eq(got, RACE_EVENTS);
		close(fds[p][0]);
		ck_assert_int_eq(waitpid(pids[p], &status, 0), pids[p]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "claimer %d failed", p);
	}
	for (i = 0; i < RACE_EVENTS; i++) {
		ck_assert_msg(seen[0][i] + seen[1][i] == 1, "event %d claimed %d times", i + 1,
			      seen[0][i] + seen[1][i]);
		total += seen[0][i];
	}
	/* Not a timing assertion: either split is fine, the sum is what matters. */
	ck_assert_int_le(total, RACE_EVENTS);
	mc_test_rmtree(dir);
	free(dir);
}
END_TEST

struct claimer {
	const char *dir;
	const char *name;
	unsigned char seen[RACE_EVENTS];
	int claimed;
};

static void *claimer_thread(void *arg)
{
	struct claimer *c = arg;
	c->claimed = claim_all(c->dir, c->name, c->seen);
	return NULL;
}

START_TEST(two_threads_never_claim_the_same_event)
{
	char *dir = mc_test_tmpdir();
	struct claimer c[2];
	pthread_t t[2];
	int i;

	fill(dir);
	memset(c, 0, sizeof c);
	for (i = 0; i < 2; i++) {
		c[i].dir = dir;
		c[i].name = i ? "thread-b" : "thread-a";
		ck_assert_int_eq(pthread_create(&t[i], NULL, claimer_thread, &c[i]), 0);
	}
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	ck_assert_int_ge(c[0].claimed, 0);
	ck_assert_int_ge(c[1].claimed, 0);
	ck_assert_int_eq(c[0].claimed + c[1].claimed, RACE_EVENTS);
	for (i = 0; i < RACE_EVENTS; i++)
		ck_assert_msg(c[0].seen[i] + c[1].seen[i] == 1, "event %d claimed %d times", i + 1,
			      c[0].seen[i] + c[1].seen[i]);
	mc_test_rmtree(dir);
	free(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("queue");
	TCase *tc = tcase_create("queue");

	tcase_add_test(tc, push_dedups_by_delivery_id_and_keeps_the_payload);
	tcase_add_test(tc, claims_in_arrival_order_then_reports_empty);
	tcase_add_test(tc, a_dead_workers_claim_is_taken_again_when_its_lease_runs_out);
	tcase_add_test(tc, failures_retry_at_their_time_then_park);
	tcase_add_test(tc, prune_forgets_old_done_events_and_ids_but_keeps_failed_and_queued);
	tcase_add_test(tc, size_limits_and_empty_fields_are_refused_and_queue_nothing);
	tcase_add_test(tc, two_processes_never_claim_the_same_event);
	tcase_add_test(tc, two_threads_never_claim_the_same_event);
	suite_add_tcase(s, tc);
	return mc_test_run(s);
}
