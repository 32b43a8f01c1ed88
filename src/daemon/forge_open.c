/* Opening a daemon thread's forge handle; see forge_open.h. */
#include "daemon/forge_open.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/error.h"
#include "util/secret.h"

static void observe(void *data, const char *forge, int http_status, long remaining)
{
	mc_metrics *metrics = data;

	mc_metrics_forge_call(metrics, forge, http_status);
	if (remaining >= 0)
		mc_metrics_rate_limit_remaining(metrics, forge, remaining);
}

int mc_daemon_forge_open(mc_daemon_forge *out, const mc_daemon_options *opts,
			 mc_metrics *metrics)
{
	mc_forge_options fo = {0};
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = mc_forge_kind_parse(&fo.kind, opts->forge ? opts->forge : "local")) != 0)
		return rc;
	if (opts->token_file && (rc = mc_secret_read_file(&out->token, NULL, opts->token_file)) != 0)
		return rc;
	if (asprintf(&out->local_dir, "%s/local", opts->state_dir) < 0 ||
	    asprintf(&out->mirror_dir, "%s/repos", opts->state_dir) < 0)
		abort();
	if (opts->app_key_file &&
	    (rc = mc_secret_read_file(&out->app_key, NULL, opts->app_key_file)) != 0) {
		mc_daemon_forge_close(out);
		return mc_error_wrap(rc, "GitHub App key");
	}
	fo.api_url = opts->api_url;
	fo.token = out->token;
	fo.app_id = opts->app_id;
	fo.app_private_key_pem = out->app_key;
	fo.installation_id = (int64_t)opts->installation_id;
	fo.local_dir = out->local_dir;
	fo.user_agent = "maestro-daemon";
	fo.observe = metrics ? observe : NULL;
	fo.observe_data = metrics;
	if ((rc = mc_forge_open(&out->forge, &fo)) != 0)
		mc_daemon_forge_close(out);
	return rc;
}

void mc_daemon_forge_close(mc_daemon_forge *df)
{
	mc_forge_close(df->forge);
	mc_secret_free(df->token);
	mc_secret_free(df->app_key);
	free(df->local_dir);
	free(df->mirror_dir);
	memset(df, 0, sizeof *df);
}
