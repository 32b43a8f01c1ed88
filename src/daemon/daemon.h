/*
 * The forge daemon (`maestro serve`): opens the operational store
 * (<state-dir>/maestro.db, the durable queue), serves POST /webhook, POST
 * /v1/offers (daemon/offers.h), GET /healthz and GET /metrics, starts the background services it was built with, and runs
 * until SIGTERM or SIGINT, then stops gracefully: no new connections, requests
 * in flight answered, services stopped (each finishes what it holds), store closed.
 *
 * Services are the seam for the parts that process the queue: the worker pool
 * (claims events, runs the pipeline, writes comments and statuses) and the poller
 * (reconciliation). They are listed in mc_daemon_builtin_services; this build's
 * list may be empty, in which case accepted events stay queued, durably, until a
 * maestro with a worker serves the same state directory.
 */
#ifndef MC_DAEMON_DAEMON_H
#define MC_DAEMON_DAEMON_H
#include <stddef.h>

#include "daemon/metrics.h"

#define MC_DAEMON_MAX_REPOS 256
#define MC_DAEMON_MAX_AUDITORS 64
#define MC_DAEMON_MAX_AGENTS 64

typedef struct mc_daemon_options {
	const char *forge;       /* "local", "github", "gitea" */
	const char *listen;      /* "host:port"; port 0 = any */
	const char *secret_files[2];
	size_t nsecret_files;
	const char *state_dir;
	const char *api_url;     /* NULL: the forge's public default (none for gitea) */
	const char *token_file;
	/* GitHub App (instead of token_file): its id, its private key file (mode 0600)
	 * and the installation to act as; all three or none. */
	const char *app_id;
	const char *app_key_file;
	long long installation_id;
	int poll_seconds;        /* 0 = no polling */
	const char *repos[MC_DAEMON_MAX_REPOS];
	size_t nrepos;
	const char *auditors[MC_DAEMON_MAX_AUDITORS]; /* logins allowed to hold and unhold */
	size_t nauditors;
	const char *bot_login;   /* the bot's own login: its comments are never commands */
	/* Agents allowed to POST /v1/offers, each with the file holding its bearer token
	 * (mode 0600). None: the route answers 401 to everyone. */
	const char *agent_ids[MC_DAEMON_MAX_AGENTS];
	const char *agent_token_files[MC_DAEMON_MAX_AGENTS];
	size_t nagents;
	unsigned workers;        /* 0 = 2 */
	unsigned http_threads;   /* 0 = 2 */
} mc_daemon_options;

/* What a service is given. The store path is for the service's own connections
 * (one per thread); metrics is shared and thread-safe. */
typedef struct mc_daemon_context {
	const mc_daemon_options *opts;
	const char *db_path;
	mc_metrics *metrics;
} mc_daemon_context;

typedef struct mc_daemon_service {
	const char *name;     /* "worker", "poller" */
	/* Start; returns 0 or an MC_E* code with a message. state is the service's own. */
	int (*start)(void **state, const mc_daemon_context *ctx);
	/* Stop: finish or release what is in flight, join threads, free state. */
	void (*stop)(void *state);
} mc_daemon_service;

/* The services compiled in, NULL-terminated (see daemon.c). */
extern const mc_daemon_service *const mc_daemon_builtin_services[];
/* The named built-in service, or NULL. */
const mc_daemon_service *mc_daemon_find_service(const char *name);

/* Check options (forge, address, secrets readable and 0600, api_url for gitea ...). */
int mc_daemon_check(const mc_daemon_options *opts);

/* Run until SIGTERM/SIGINT. 0 after a clean stop, or an MC_E* code. */
int mc_daemon_run(const mc_daemon_options *opts);

#endif
