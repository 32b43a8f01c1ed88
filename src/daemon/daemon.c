/*
 * The daemon's lifecycle (daemon.h). Signals are blocked before any thread
 * starts, so every thread (libmicrohttpd's, the services') inherits the mask
 * and the main thread alone receives SIGTERM/SIGINT through sigwait.
 */
#include "daemon/daemon.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "adapters/http/server.h"
#include "adapters/store/db.h"
#include "adapters/store/queue.h"
#include "adapters/store/queue_writer.h"
#include "daemon/offers.h"
#include "daemon/webhook.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/strbuf.h"

/* Seconds allowed for requests in flight once the listening socket is closed. */
#define MC_DAEMON_GRACE_S 10

/*
 * Services built into this maestro. The worker pool and the poller register here
 * when they exist; until then the daemon accepts and durably queues events only.
 */
extern const mc_daemon_service mc_daemon_worker_service;
extern const mc_daemon_service mc_daemon_poller_service;

const mc_daemon_service *const mc_daemon_builtin_services[] = {
	&mc_daemon_worker_service,
	&mc_daemon_poller_service,
	NULL,
};

const mc_daemon_service *mc_daemon_find_service(const char *name)
{
	const mc_daemon_service *const *s;
	for (s = mc_daemon_builtin_services; *s; s++)
		if (strcmp((*s)->name, name) == 0)
			return *s;
	return NULL;
}

typedef struct daemon_state {
	const mc_daemon_options *opts;
	char *db_path;
	mc_store *store;
	pthread_mutex_t store_lock; /* store: /healthz and /metrics on the HTTP threads */
	mc_queue_writer *writer;    /* its own connection: webhook deliveries */
	mc_metrics *metrics;
	mc_webhook webhook;
	mc_offers_api offers;
	int have_offers;
	char *secrets[MC_WEBHOOK_MAX_SECRETS];
	mc_http_server *http;
	char *listen_file;
	void *service_state[8];
	const mc_daemon_service *services[8];
	size_t nservices;
} daemon_state;

static int check_forge(const mc_daemon_options *o)
{
	if (!o->forge || (strcmp(o->forge, "local") && strcmp(o->forge, "github") &&
			  strcmp(o->forge, "gitea")))
		return mc_error_set(MC_EINVAL, "forge: '%s' is not one of local, github, gitea",
				    o->forge ? o->forge : "");
	if (!strcmp(o->forge, "gitea") && !o->api_url)
		return mc_error_set(MC_EINVAL, "api_url: a gitea forge needs its URL "
				    "(https://gitea.example.com/api/v1)");
	if (o->api_url && strncmp(o->api_url, "https://", 8) && strncmp(o->api_url, "http://", 7))
		return mc_error_set(MC_EINVAL, "api_url: '%s' is not an http(s) URL", o->api_url);
	return 0;
}

static int check_secret_file(const char *what, const char *path);

/* A GitHub App: all three settings, on the github forge, the key file owner-only. */
static int check_app(const mc_daemon_options *o)
{
	int given = (o->app_id != NULL) + (o->app_key_file != NULL) + (o->installation_id != 0);
	const char *p;

	if (given == 0)
		return 0;
	if (strcmp(o->forge, "github") != 0)
		return mc_error_set(MC_EINVAL, "app_id: a GitHub App works with the github forge "
				    "only, not %s", o->forge);
	if (given != 3)
		return mc_error_set(MC_EINVAL, "%s: a GitHub App needs app_id, app_key_file and "
				    "installation_id together",
				    !o->app_id ? "app_id" : !o->app_key_file ? "app_key_file"
									: "installation_id");
	for (p = o->app_id; *p; p++)
		if (*p < '0' || *p > '9' || p - o->app_id >= 20)
			return mc_error_set(MC_EINVAL, "app_id: '%.40s' is not a number", o->app_id);
	if (!*o->app_id)
		return mc_error_set(MC_EINVAL, "app_id: empty");
	if (o->installation_id < 0)
		return mc_error_set(MC_EINVAL, "installation_id: must be positive");
	if (o->token_file)
		return mc_error_set(MC_EINVAL, "token_file: give a token file or a GitHub App, "
				    "not both");
	return check_secret_file("GitHub App key", o->app_key_file);
}

/* A secret file must read (exists, owner-only mode, not empty); its value is dropped. */
static int check_secret_file(const char *what, const char *path)
{
	char *secret = NULL;
	size_t len;
	int rc = mc_secret_read_file(&secret, &len, path);
	mc_secret_free(secret);
	return rc ? mc_error_wrap(rc, "%s", what) : 0;
}

int mc_daemon_check(const mc_daemon_options *o)
{
	char *host = NULL;
	unsigned port;
	size_t i;
	int rc;

	if ((rc = check_forge(o)) != 0)
		return rc;
	if ((rc = mc_http_parse_listen(&host, &port, o->listen)) != 0)
		return rc;
	free(host);
	if (!o->state_dir || !*o->state_dir)
		return mc_error_set(MC_EINVAL, "state_dir: required (where the queue lives)");
	if (o->nsecret_files == 0 || o->nsecret_files > MC_WEBHOOK_MAX_SECRETS)
		return mc_error_set(MC_EINVAL, "webhook_secret_files: give one, or two during a "
				    "rotation (got %zu)", o->nsecret_files);
	for (i = 0; i < o->nsecret_files; i++)
		if ((rc = check_secret_file("webhook secret", o->secret_files[i])) != 0)
			return rc;
	if ((rc = check_app(o)) != 0)
		return rc;
	if (strcmp(o->forge, "local") != 0 && !o->token_file && !o->app_key_file)
		return mc_error_set(MC_EINVAL, "token_file: a %s forge needs an API token file%s",
				    o->forge, strcmp(o->forge, "github") == 0
						      ? " or a GitHub App (app_id, app_key_file, "
							"installation_id)" : "");
	if (o->token_file && (rc = check_secret_file("token", o->token_file)) != 0)
		return rc;
	if (o->poll_seconds < 0 || o->poll_seconds > 86400)
		return mc_error_set(MC_EINVAL, "poll_seconds: must be 0..86400");
	if (o->poll_seconds && o->nrepos == 0)
		return mc_error_set(MC_EINVAL, "poll: the poller needs at least one --repo to poll");
	if (o->workers > 64)
		return mc_error_set(MC_EINVAL, "workers: at most 64");
	for (i = 0; i < o->nagents; i++) {
		if (!o->agent_ids[i][0] || strlen(o->agent_ids[i]) > MC_AGENT_ID_MAX)
			return mc_error_set(MC_EINVAL, "agent_token_files: an agent id is 1..%d bytes",
					    MC_AGENT_ID_MAX);
		if ((rc = check_secret_file("agent token", o->agent_token_files[i])) != 0)
			return rc;
	}
	return 0;
}

static void handle_healthz(const mc_http_request *req, mc_http_response *resp, void *ctx)
{
	daemon_state *d = ctx;
	int rc;
	pthread_mutex_lock(&d->store_lock);
	rc = mc_store_exec(d->store, "SELECT count(*) FROM q_event WHERE 0");
	pthread_mutex_unlock(&d->store_lock);
	if (rc)
		mc_http_response_text(resp, 503, "store unavailable\n");
	else
		mc_http_response_text(resp, 200, "ok\n");
}

static void handle_metrics(const mc_http_request *req, mc_http_response *resp, void *ctx)
{
	daemon_state *d = ctx;
	mc_queue_counts counts;
	int rc;
	pthread_mutex_lock(&d->store_lock);
	rc = mc_queue_counts_get(d->store, &counts, (int64_t)time(NULL));
	pthread_mutex_unlock(&d->store_lock);
	resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
	mc_metrics_render(d->metrics, rc ? NULL : &counts, &resp->body);
}

static int load_secrets(daemon_state *d)
{
	size_t i, len;
	int rc;
	for (i = 0; i < d->opts->nsecret_files; i++) {
		if ((rc = mc_secret_read_file(&d->secrets[i], &len, d->opts->secret_files[i])) != 0)
			return mc_error_wrap(rc, "webhook secret");
		d->webhook.secrets[i] = d->secrets[i];
		d->webhook.secret_lens[i] = len;
	}
	d->webhook.nsecrets = d->opts->nsecret_files;
	return 0;
}

static int open_store(daemon_state *d)
{
	int rc;
	if ((rc = mc_fs_mkdirs(d->opts->state_dir, 0700)) != 0)
		return mc_error_wrap(rc, "state_dir");
	if (asprintf(&d->db_path, "%s/maestro.db", d->opts->state_dir) < 0)
		return mc_error_set(MC_ENOMEM, "out of memory");
	if ((rc = mc_store_open(&d->store, d->db_path)) != 0)
		return rc;
	pthread_mutex_init(&d->store_lock, NULL);
	if ((rc = mc_queue_writer_start(&d->writer, d->db_path)) != 0)
		return rc;
	d->webhook.writer = d->writer;
	d->webhook.metrics = d->metrics;
	return 0;
}

/* POST /v1/offers: the agents' tokens are read once, at start. */
static int load_offers_api(daemon_state *d)
{
	int rc = mc_offers_api_init(&d->offers, d->opts->agent_ids, d->opts->agent_token_files,
				    d->opts->nagents);
	d->have_offers = 1;
	d->offers.forge = d->opts->forge;
	d->offers.store = d->store;
	d->offers.store_lock = &d->store_lock;
	return rc;
}

static int start_http(daemon_state *d)
{
	mc_http_route routes[] = {
		{ "POST", "/webhook", mc_webhook_handle, &d->webhook, MC_WEBHOOK_MAX_BODY,
		  mc_webhook_on_too_large },
		{ "POST", MC_OFFERS_PATH, mc_offers_handle, &d->offers, MC_OFFER_MAX_BYTES, NULL },
		{ "GET", "/healthz", handle_healthz, d, 0, NULL },
		{ "GET", "/metrics", handle_metrics, d, 0, NULL },
	};
	mc_http_options ho = { .listen = d->opts->listen, .threads = d->opts->http_threads,
			       .routes = routes, .nroutes = sizeof routes / sizeof routes[0] };
	const char *addr;
	int rc;

	if ((rc = mc_http_server_start(&d->http, &ho)) != 0)
		return rc;
	addr = mc_http_server_address(d->http);
	if (asprintf(&d->listen_file, "%s/listen", d->opts->state_dir) < 0)
		return mc_error_set(MC_ENOMEM, "out of memory");
	{
		mc_strbuf line = MC_STRBUF_INIT;
		mc_strbuf_printf(&line, "%s\n", addr);
		rc = mc_fs_write_file(d->listen_file, line.buf, line.len, 0644);
		mc_strbuf_release(&line);
	}
	if (rc)
		return mc_error_wrap(rc, "writing the listen address");
	mc_log(MC_LOG_INFO, "daemon.listening", "address", addr, "forge", d->opts->forge,
	       "state_dir", d->opts->state_dir, NULL);
	return 0;
}

static int start_services(daemon_state *d)
{
	mc_daemon_context ctx = { d->opts, d->db_path, d->metrics };
	const mc_daemon_service *const *s;
	int rc;

	for (s = mc_daemon_builtin_services; *s && d->nservices < 8; s++) {
		if (!strcmp((*s)->name, "poller") && !d->opts->poll_seconds)
			continue;
		if ((rc = (*s)->start(&d->service_state[d->nservices], &ctx)) != 0)
			return mc_error_wrap(rc, "starting the %s", (*s)->name);
		d->services[d->nservices++] = *s;
		mc_log(MC_LOG_INFO, "daemon.service_started", "service", (*s)->name, NULL);
	}
	if (!mc_daemon_find_service("worker"))
		mc_log(MC_LOG_WARN, "daemon.no_worker", "note",
		       "this maestro has no worker yet: events are queued durably, not processed",
		       NULL);
	return 0;
}

static void shut_down(daemon_state *d)
{
	size_t i;
	/* Ingress first, so nothing new arrives while the services finish; the queue
	 * writer after it, since the server waits for the answers the writer gives. */
	if (d->http)
		mc_http_server_stop(d->http, MC_DAEMON_GRACE_S);
	if (d->writer) {
		mc_queue_writer_stats st;
		char batches[24], deliveries[24], largest[16];
		mc_queue_writer_stats_get(d->writer, &st);
		snprintf(batches, sizeof batches, "%llu", (unsigned long long)st.batches);
		snprintf(deliveries, sizeof deliveries, "%llu", (unsigned long long)st.deliveries);
		snprintf(largest, sizeof largest, "%u", st.largest);
		mc_log(MC_LOG_INFO, "daemon.queue_writer", "transactions", batches, "deliveries",
		       deliveries, "largest_batch", largest, NULL);
		mc_queue_writer_stop(d->writer);
	}
	for (i = d->nservices; i-- > 0;) {
		d->services[i]->stop(d->service_state[i]);
		mc_log(MC_LOG_INFO, "daemon.service_stopped", "service", d->services[i]->name, NULL);
	}
	if (d->listen_file)
		unlink(d->listen_file);
	if (d->store) {
		mc_store_close(d->store);
		pthread_mutex_destroy(&d->store_lock);
	}
	for (i = 0; i < MC_WEBHOOK_MAX_SECRETS; i++)
		mc_secret_free(d->secrets[i]);
	if (d->have_offers)
		mc_offers_api_free(&d->offers);
	mc_metrics_free(d->metrics);
	free(d->db_path);
	free(d->listen_file);
}

static int wait_for_stop_signal(const sigset_t *set)
{
	int sig = 0;
	while (sigwait(set, &sig) != 0)
		;
	return sig;
}

int mc_daemon_run(const mc_daemon_options *opts)
{
	daemon_state d;
	sigset_t set, old;
	int rc, sig;

	if ((rc = mc_daemon_check(opts)) != 0)
		return rc;
	memset(&d, 0, sizeof d);
	d.opts = opts;
	d.metrics = mc_metrics_new();
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	if ((rc = load_secrets(&d)) != 0 || (rc = open_store(&d)) != 0 ||
	    (rc = load_offers_api(&d)) != 0 || (rc = start_http(&d)) != 0 || (rc = start_services(&d)) != 0)
		goto out;
	sig = wait_for_stop_signal(&set);
	mc_log(MC_LOG_INFO, "daemon.stopping", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT",
	       NULL);
out:
	shut_down(&d);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!rc)
		mc_log(MC_LOG_INFO, "daemon.stopped", NULL);
	return rc;
}
