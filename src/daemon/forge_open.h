/*
 * The forge handle a daemon thread uses, built from the daemon's options: the
 * driver, its base URL, the token (or a GitHub App's key) read from its owner-only
 * file, the local
 * driver's directory under the state directory, and the /metrics observer. Each
 * worker and the poller open their own (a handle is used by one thread).
 */
#ifndef MC_DAEMON_FORGE_OPEN_H
#define MC_DAEMON_FORGE_OPEN_H
#include "adapters/forge/forge.h"
#include "daemon/daemon.h"

typedef struct mc_daemon_forge {
	mc_forge *forge;
	char *token;        /* the API token, or NULL; wiped when closed */
	char *app_key;      /* the GitHub App's private key (PEM), or NULL; wiped when closed */
	char *local_dir;
	char *mirror_dir;
} mc_daemon_forge;

int mc_daemon_forge_open(mc_daemon_forge *out, const mc_daemon_options *opts,
			 mc_metrics *metrics);
void mc_daemon_forge_close(mc_daemon_forge *df);

#endif
