/*
 * Daemon metrics (metrics.h). One mutex guards everything: updates are a few
 * additions, far cheaper than the SQLite commit or HTTP call they describe,
 * and a scrape then sees one consistent snapshot.
 */
#include "daemon/metrics.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

static const char *const result_names[MC_DELIVERY_NRESULTS] = {
	"queued", "duplicate", "ignored", "unauthorized", "too_large", "bad_request", "error",
};

/* Upper bounds of the latency buckets, seconds; +Inf is implied. */
static const double buckets[] = { 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300 };
#define NBUCKETS (sizeof buckets / sizeof buckets[0])

static const char *const forge_names[] = { "github", "gitea", "local", "other" };
#define NFORGES (sizeof forge_names / sizeof forge_names[0])
static const char *const code_names[] = { "error", "2xx", "3xx", "4xx", "5xx" };
#define NCODES (sizeof code_names / sizeof code_names[0])

struct mc_metrics {
	pthread_mutex_t lock;
	unsigned long long deliveries[MC_DELIVERY_NRESULTS];
	unsigned long long bucket_counts[NBUCKETS + 1];
	unsigned long long observations;
	double latency_sum;
	unsigned long long forge_calls[NFORGES][NCODES];
	long rate_limit[NFORGES];
	int rate_limit_seen[NFORGES];
};

mc_metrics *mc_metrics_new(void)
{
	mc_metrics *m = mc_xcalloc(1, sizeof *m);
	pthread_mutex_init(&m->lock, NULL);
	return m;
}

void mc_metrics_free(mc_metrics *m)
{
	if (!m)
		return;
	pthread_mutex_destroy(&m->lock);
	free(m);
}

void mc_metrics_delivery(mc_metrics *m, enum mc_delivery_result result)
{
	if ((unsigned)result >= MC_DELIVERY_NRESULTS)
		return;
	pthread_mutex_lock(&m->lock);
	m->deliveries[result]++;
	pthread_mutex_unlock(&m->lock);
}

void mc_metrics_observe_processing(mc_metrics *m, double seconds)
{
	size_t i = 0;
	if (!(seconds >= 0)) /* NaN and negatives (a clock step) count as 0 */
		seconds = 0;
	while (i < NBUCKETS && seconds > buckets[i])
		i++;
	pthread_mutex_lock(&m->lock);
	m->bucket_counts[i]++;
	m->observations++;
	m->latency_sum += seconds;
	pthread_mutex_unlock(&m->lock);
}

static size_t forge_index(const char *forge)
{
	size_t i;
	for (i = 0; forge && i + 1 < NFORGES; i++)
		if (strcmp(forge, forge_names[i]) == 0)
			return i;
	return NFORGES - 1;
}

void mc_metrics_forge_call(mc_metrics *m, const char *forge, int http_status)
{
	size_t f = forge_index(forge), c = 0;
	if (http_status >= 200 && http_status < 600)
		c = (size_t)(http_status / 100 - 1);
	pthread_mutex_lock(&m->lock);
	m->forge_calls[f][c]++;
	pthread_mutex_unlock(&m->lock);
}

void mc_metrics_rate_limit_remaining(mc_metrics *m, const char *forge, long remaining)
{
	size_t f = forge_index(forge);
	pthread_mutex_lock(&m->lock);
	m->rate_limit[f] = remaining;
	m->rate_limit_seen[f] = 1;
	pthread_mutex_unlock(&m->lock);
}

static void render_queue(const mc_queue_counts *counts, mc_strbuf *out)
{
	mc_strbuf_puts(out, "# HELP maestro_queue_events Events in the durable queue by state.\n"
			    "# TYPE maestro_queue_events gauge\n");
	if (!counts)
		return;
	mc_strbuf_printf(out, "maestro_queue_events{state=\"queued\"} %lld\n"
			      "maestro_queue_events{state=\"claimed\"} %lld\n"
			      "maestro_queue_events{state=\"done\"} %lld\n"
			      "maestro_queue_events{state=\"failed\"} %lld\n",
			 (long long)counts->queued, (long long)counts->claimed,
			 (long long)counts->done, (long long)counts->failed);
}

static void render_histogram(const mc_metrics *m, mc_strbuf *out)
{
	unsigned long long cumulative = 0;
	size_t i;

	mc_strbuf_puts(out, "# HELP maestro_event_processing_seconds Time from an event's arrival "
			    "to the end of its processing.\n"
			    "# TYPE maestro_event_processing_seconds histogram\n");
	for (i = 0; i < NBUCKETS; i++) {
		cumulative += m->bucket_counts[i];
		mc_strbuf_printf(out, "maestro_event_processing_seconds_bucket{le=\"%g\"} %llu\n",
				 buckets[i], cumulative);
	}
	mc_strbuf_printf(out, "maestro_event_processing_seconds_bucket{le=\"+Inf\"} %llu\n"
			      "maestro_event_processing_seconds_sum %.6f\n"
			      "maestro_event_processing_seconds_count %llu\n",
			 m->observations, m->latency_sum, m->observations);
}

static void render_forge(const mc_metrics *m, mc_strbuf *out)
{
	size_t f, c;
	mc_strbuf_puts(out, "# HELP maestro_forge_calls_total Forge API calls by status class.\n"
			    "# TYPE maestro_forge_calls_total counter\n");
	for (f = 0; f < NFORGES; f++)
		for (c = 0; c < NCODES; c++)
			if (m->forge_calls[f][c])
				mc_strbuf_printf(out, "maestro_forge_calls_total{forge=\"%s\","
						      "code=\"%s\"} %llu\n",
						 forge_names[f], code_names[c], m->forge_calls[f][c]);
	mc_strbuf_puts(out, "# HELP maestro_forge_rate_limit_remaining Requests left in the "
			    "forge's rate-limit window, as last reported.\n"
			    "# TYPE maestro_forge_rate_limit_remaining gauge\n");
	for (f = 0; f < NFORGES; f++)
		if (m->rate_limit_seen[f])
			mc_strbuf_printf(out, "maestro_forge_rate_limit_remaining{forge=\"%s\"} %ld\n",
					 forge_names[f], m->rate_limit[f]);
}

void mc_metrics_render(mc_metrics *m, const mc_queue_counts *counts, mc_strbuf *out)
{
	size_t i;

	pthread_mutex_lock(&m->lock);
	mc_strbuf_puts(out, "# HELP maestro_webhook_deliveries_total Webhook deliveries by "
			    "result.\n# TYPE maestro_webhook_deliveries_total counter\n");
	for (i = 0; i < MC_DELIVERY_NRESULTS; i++)
		mc_strbuf_printf(out, "maestro_webhook_deliveries_total{result=\"%s\"} %llu\n",
				 result_names[i], m->deliveries[i]);
	render_queue(counts, out);
	render_histogram(m, out);
	render_forge(m, out);
	pthread_mutex_unlock(&m->lock);
}
