/*
 * Group commit for the durable event queue (queue.h): one writer thread owns
 * its own connection to the store file and commits every delivery waiting at
 * the same moment in one transaction, with statements prepared once. Each
 * delivery is answered (its callback called) only after the transaction that
 * holds it has committed, so "done with rc 0" means what mc_queue_push's return
 * means: committed, and de-duplicated exactly (a delivery id repeated inside one
 * batch is a duplicate like one seen in an earlier batch).
 *
 * Many HTTP requests wait for one commit instead of taking turns for theirs:
 * the commit's fixed cost (locking, WAL frame headers, the WAL index) is shared,
 * and the thread that writes is never one that parses.
 */
#ifndef MC_ADAPTERS_STORE_QUEUE_WRITER_H
#define MC_ADAPTERS_STORE_QUEUE_WRITER_H
#include <stddef.h>
#include <stdint.h>

typedef struct mc_queue_writer mc_queue_writer;

/*
 * Called on the writer thread once the delivery is committed (rc 0, *duplicate
 * says whether its id was known) or could not be (rc < 0, message in error).
 * It must not block for long: the next batch waits for it.
 */
typedef void (*mc_queue_writer_done)(void *arg, int rc, int duplicate, const char *error);

/*
 * A delivery to queue. Every pointer must stay valid until done is called; the
 * payload is bound to SQLite as is (never copied by the writer).
 */
typedef struct mc_queue_delivery {
	const char *delivery_id;
	const char *forge;
	const char *event;
	const char *repo;
	const char *payload;
	size_t payload_len;
	int64_t received_at;
	mc_queue_writer_done done;
	void *arg;
} mc_queue_delivery;

/* Largest number of deliveries committed in one transaction. */
#define MC_QUEUE_WRITER_BATCH_MAX 256

/* Open db_path (migrating it like mc_store_open) and start the writer thread. */
int mc_queue_writer_start(mc_queue_writer **out, const char *db_path);

/*
 * Hand a delivery to the writer. The fields are checked here (the limits of
 * mc_queue_push): on an error nothing is queued, done is never called and the
 * error is returned. On 0, done is called exactly once, later, on the writer
 * thread. MC_EINTERNAL once the writer is stopping
 * (a caller's bug: stop the producers first).
 */
int mc_queue_writer_submit(mc_queue_writer *w, mc_queue_delivery *d);

/* Submit and wait for the commit: mc_queue_push through the writer. */
int mc_queue_writer_push(mc_queue_writer *w, const char *delivery_id, const char *forge,
			 const char *event, const char *repo, const char *payload,
			 size_t payload_len, int64_t now, int *duplicate);

typedef struct mc_queue_writer_stats {
	uint64_t batches;   /* transactions committed */
	uint64_t deliveries; /* deliveries committed (duplicates included) */
	unsigned largest;   /* most deliveries in one transaction */
} mc_queue_writer_stats;

void mc_queue_writer_stats_get(mc_queue_writer *w, mc_queue_writer_stats *out);

/* Commit what was submitted, call every done, stop the thread, close. NULL is fine. */
void mc_queue_writer_stop(mc_queue_writer *w);

#endif
