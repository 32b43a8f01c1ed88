/*
 * The daemon's Prometheus metrics, rendered in the text exposition format for
 * GET /metrics. Every update is thread-safe: HTTP threads count deliveries,
 * workers observe processing latency and forge calls, the scrape reads it all.
 *
 *   maestro_webhook_deliveries_total{result}      counter
 *   maestro_queue_events{state}                   gauge (read from the store per scrape)
 *   maestro_event_processing_seconds              histogram (the worker's, received → done)
 *   maestro_forge_calls_total{forge,code}         counter (code: 2xx 3xx 4xx 5xx error)
 *   maestro_forge_rate_limit_remaining{forge}     gauge (absent until first reported)
 */
#ifndef MC_DAEMON_METRICS_H
#define MC_DAEMON_METRICS_H

#include "adapters/store/queue.h"
#include "util/strbuf.h"

typedef struct mc_metrics mc_metrics;

/* What became of a webhook delivery. */
enum mc_delivery_result {
	MC_DELIVERY_QUEUED = 0,
	MC_DELIVERY_DUPLICATE,
	MC_DELIVERY_IGNORED,
	MC_DELIVERY_UNAUTHORIZED, /* missing or wrong signature */
	MC_DELIVERY_TOO_LARGE,
	MC_DELIVERY_BAD_REQUEST,  /* malformed JSON, missing headers */
	MC_DELIVERY_ERROR,        /* the store failed: the forge should redeliver */
	MC_DELIVERY_NRESULTS
};

mc_metrics *mc_metrics_new(void);
void mc_metrics_free(mc_metrics *m);

void mc_metrics_delivery(mc_metrics *m, enum mc_delivery_result result);
/* For the worker: seconds from an event's arrival to the end of its processing. */
void mc_metrics_observe_processing(mc_metrics *m, double seconds);
/* For the forge drivers: one HTTP call made, its status (0 for a transport error). */
void mc_metrics_forge_call(mc_metrics *m, const char *forge, int http_status);
/* For the forge drivers: X-RateLimit-Remaining as last seen. */
void mc_metrics_rate_limit_remaining(mc_metrics *m, const char *forge, long remaining);

/* Append the exposition text; counts (may be NULL when the store did not answer). */
void mc_metrics_render(mc_metrics *m, const mc_queue_counts *counts, mc_strbuf *out);

#endif
