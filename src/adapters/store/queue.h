/*
 * The durable event queue in the operational SQLite store: webhook deliveries
 * and polled changes are committed here before the daemon answers, and workers
 * claim them with a lease. Processing is at least once: a claim whose worker died
 * (kill -9) is claimed again when its lease runs out, so every effect of an event
 * must be idempotent (the worker's job, see src/daemon/worker.c).
 *
 * Delivery ids are remembered for de-duplication (a forge may deliver twice; the
 * poller uses ids of its own, "poll:<repo>#<number>@<head sha>"). The protocol is
 * written so a PostgreSQL backend could serve several daemons with
 * SELECT ... FOR UPDATE SKIP LOCKED: a claim is one UPDATE of the oldest ready row.
 */
#ifndef MC_ADAPTERS_STORE_QUEUE_H
#define MC_ADAPTERS_STORE_QUEUE_H
#include <stddef.h>
#include <stdint.h>

#include "adapters/store/db.h"

/* Size limits of what the queue accepts. */
#define MC_QUEUE_ID_MAX 256 /* delivery id, event name, repository (owner 39 + "/" + name 100 fit) */
#define MC_QUEUE_PAYLOAD_MAX (25u << 20) /* GitHub's own cap on webhook payloads */

typedef struct mc_queue_event {
	int64_t seq;           /* the queue's own id, ascending in arrival order */
	char *delivery_id;
	char *forge;           /* "github", "gitea", "local" */
	char *event;           /* "pull_request", "issue_comment", "push", "ping", "poll" ... */
	char *repo;            /* owner/name, or "" when the event has none */
	char *payload;         /* the JSON body as received */
	size_t payload_len;
	int attempts;          /* claims so far, this one included */
	int64_t received_at;   /* unix seconds */
} mc_queue_event;

void mc_queue_event_clear(mc_queue_event *ev);

/*
 * Commit one event. *duplicate (may be NULL) is set to 1 and nothing is queued when
 * delivery_id was seen before (queued, done or failed: ids are kept for
 * retention_s of mc_queue_prune). MC_ELIMIT for an oversized field.
 */
int mc_queue_push(mc_store *store, const char *delivery_id, const char *forge,
		  const char *event, const char *repo, const char *payload, size_t payload_len,
		  int64_t now, int *duplicate);

/* The checks mc_queue_push makes before it writes: 0, or MC_EINVAL / MC_ELIMIT. */
int mc_queue_check_push(const char *delivery_id, const char *forge, const char *event,
			const char *repo, const char *payload, size_t payload_len);

/*
 * The statements of a push, prepared once on one store and kept, for a writer that
 * pushes many events (queue_writer.h). mc_queue_pusher_add runs inside a
 * transaction the caller opened and commits; it neither checks the fields (call
 * mc_queue_check_push first) nor copies them. Free the pusher before the store.
 */
typedef struct mc_queue_pusher mc_queue_pusher;
int mc_queue_pusher_new(mc_queue_pusher **out, mc_store *store);
int mc_queue_pusher_add(mc_queue_pusher *p, const char *delivery_id, const char *forge,
			const char *event, const char *repo, const char *payload,
			size_t payload_len, int64_t now, int *duplicate);
void mc_queue_pusher_free(mc_queue_pusher *p);

/*
 * Claim the oldest ready event: queued, or claimed with a lease that ran out, and
 * not waiting for a retry time. The claim holds until now + lease_s. MC_EEMPTY when
 * there is nothing to do.
 */
int mc_queue_claim(mc_store *store, mc_queue_event *out, const char *worker, int64_t now,
		   int lease_s);

/* The event is done: its effects are all made. */
int mc_queue_done(mc_store *store, int64_t seq, int64_t now);

/*
 * Processing failed. With attempts left (attempts < max_attempts) the event is
 * ready again at retry_at; otherwise it is parked as failed with the error, kept
 * for people to see (and for `maestro doctor`), and never claimed again.
 */
int mc_queue_fail(mc_store *store, int64_t seq, const char *error, int64_t retry_at,
		  int max_attempts, int64_t now);

/*
 * Make every claimed event ready again, leases or not: for a daemon starting on a
 * state directory it holds exclusively, every claim belongs to a process that died
 * (kill -9), and waiting for the leases to run out would only delay its events.
 * *released (may be NULL) counts them.
 */
int mc_queue_release_claims(mc_store *store, int64_t now, int64_t *released);

typedef struct mc_queue_counts {
	int64_t queued;     /* ready or waiting for a retry */
	int64_t claimed;    /* in flight (lease not run out) */
	int64_t done;
	int64_t failed;
} mc_queue_counts;

int mc_queue_counts_get(mc_store *store, mc_queue_counts *out, int64_t now);

/* Forget done events and delivery ids older than now - retention_s; failed ones stay. */
int mc_queue_prune(mc_store *store, int64_t now, int64_t retention_s);

#endif
