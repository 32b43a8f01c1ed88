/* `maestro serve`: run the forge daemon (src/daemon/daemon.h) from flags, a
 * daemon config file (schemas/daemon.schema.json), or both, flags winning. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "daemon/daemon.h"
#include "util/embedded.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/jsonschema.h"
#include "util/log.h"

#define CONFIG_MAX (1u << 20)

/* Flags as given; NULL / -1 when absent, so they override the file only when given. */
struct serve_flags {
	const char *config, *forge, *listen, *state_dir, *api_url, *token_file;
	const char *app_id, *app_key_file;
	long long installation_id;  /* 0 when absent */
	const char *secret_files[3];
	size_t nsecret_files;
	const char *repos[MC_DAEMON_MAX_REPOS + 1];
	size_t nrepos;
	const char *auditors[MC_DAEMON_MAX_AUDITORS];
	size_t nauditors;
	const char *bot_login;
	char *agent_ids[MC_DAEMON_MAX_AGENTS];  /* --agent-token-file AGENT=FILE, split */
	const char *agent_token_files[MC_DAEMON_MAX_AGENTS];
	size_t nagents;
	long poll, workers, http_threads;
};

/* --agent-token-file AGENT=FILE */
static int parse_agent_token(struct serve_flags *f, const char *arg)
{
	const char *eq = strchr(arg, '=');
	if (f->nagents == MC_DAEMON_MAX_AGENTS)
		return mc_error_set(MC_EINVAL, "--agent-token-file: at most %d", MC_DAEMON_MAX_AGENTS);
	if (!eq || eq == arg || !eq[1])
		return mc_error_set(MC_EINVAL, "--agent-token-file takes AGENT=FILE, not '%s'", arg);
	f->agent_ids[f->nagents] = strndup(arg, (size_t)(eq - arg));
	f->agent_token_files[f->nagents++] = eq + 1;
	return 0;
}

static void free_flags(struct serve_flags *f)
{
	for (size_t i = 0; i < f->nagents; i++)
		free(f->agent_ids[i]);
}

static int parse_count(long *out, const char *flag, const char *arg, long max)
{
	char *end;
	long v = strtol(arg, &end, 10);
	if (end == arg || *end || v < 0 || v > max)
		return mc_error_set(MC_EINVAL, "%s: '%s' is not a whole number 0..%ld", flag, arg, max);
	*out = v;
	return 0;
}

static int parse_flags(struct serve_flags *f, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "forge", required_argument, NULL, 'f' },
		{ "listen", required_argument, NULL, 'l' },
		{ "webhook-secret-file", required_argument, NULL, 's' },
		{ "state-dir", required_argument, NULL, 'd' },
		{ "api-url", required_argument, NULL, 'a' },
		{ "token-file", required_argument, NULL, 't' },
		{ "poll", required_argument, NULL, 'p' },
		{ "repo", required_argument, NULL, 'r' },
		{ "workers", required_argument, NULL, 'w' },
		{ "http-threads", required_argument, NULL, 'H' },
		{ "auditor", required_argument, NULL, 'A' },
		{ "bot-login", required_argument, NULL, 'B' },
		{ "app-id", required_argument, NULL, 'I' },
		{ "app-key-file", required_argument, NULL, 'K' },
		{ "installation-id", required_argument, NULL, 'N' },
		{ "agent-token-file", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(f, 0, sizeof *f);
	f->poll = f->workers = f->http_threads = -1;
	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': f->config = optarg; break;
		case 'f': f->forge = optarg; break;
		case 'l': f->listen = optarg; break;
		case 'd': f->state_dir = optarg; break;
		case 'a': f->api_url = optarg; break;
		case 't': f->token_file = optarg; break;
		case 's':
			if (f->nsecret_files == 2)
				return mc_error_set(MC_EINVAL, "--webhook-secret-file: at most two "
						    "(the current secret and the next)");
			f->secret_files[f->nsecret_files++] = optarg;
			break;
		case 'r':
			if (f->nrepos == MC_DAEMON_MAX_REPOS)
				return mc_error_set(MC_EINVAL, "--repo: at most %d", MC_DAEMON_MAX_REPOS);
			f->repos[f->nrepos++] = optarg;
			break;
		case 'A':
			if (f->nauditors == MC_DAEMON_MAX_AUDITORS)
				return mc_error_set(MC_EINVAL, "--auditor: at most %d",
						    MC_DAEMON_MAX_AUDITORS);
			f->auditors[f->nauditors++] = optarg;
			break;
		case 'B': f->bot_login = optarg; break;
		case 'I': f->app_id = optarg; break;
		case 'K': f->app_key_file = optarg; break;
		case 'N': {
			char *end;
			long long v = strtoll(optarg, &end, 10);
			if (end == optarg || *end || v <= 0)
				return mc_error_set(MC_EINVAL, "--installation-id: '%s' is not a "
						    "positive number", optarg);
			f->installation_id = v;
			break;
		}
		case 'T':
			if (parse_agent_token(f, optarg))
				return MC_EINVAL;
			break;
		case 'p':
			if (parse_count(&f->poll, "--poll", optarg, 86400))
				return MC_EINVAL;
			break;
		case 'w':
			if (parse_count(&f->workers, "--workers", optarg, 64))
				return MC_EINVAL;
			break;
		case 'H':
			if (parse_count(&f->http_threads, "--http-threads", optarg, 64))
				return MC_EINVAL;
			break;
		default: return mc_error_set(MC_EINVAL, "unknown option");
		}
	}
	if (optind < argc)
		return mc_error_set(MC_EINVAL, "unexpected argument '%s'", argv[optind]);
	return 0;
}

/* Load and validate the config file into o; strings point into *doc. */
static int load_config(mc_daemon_options *o, struct json_object **doc, const char *path)
{
	const char *schema_text = mc_embedded_get("schemas/daemon.schema.json", NULL);
	struct json_object *schema = NULL, *arr;
	char *text = NULL;
	size_t len, i;
	int rc;

	if ((rc = mc_fs_read_file(&text, &len, path, CONFIG_MAX)) != 0)
		return rc;
	rc = mc_json_parse(doc, text, len, CONFIG_MAX, path);
	free(text);
	if (rc)
		return rc;
	if (!schema_text || mc_json_parse(&schema, schema_text, strlen(schema_text),
					  strlen(schema_text), "daemon schema"))
		return mc_error_set(MC_EINTERNAL, "the daemon schema is not embedded");
	rc = mc_jsonschema_validate(schema, *doc, path);
	json_object_put(schema);
	if (rc)
		return rc;
	o->forge = mc_json_get_string(*doc, "forge", o->forge);
	o->listen = mc_json_get_string(*doc, "listen", o->listen);
	o->state_dir = mc_json_get_string(*doc, "state_dir", NULL);
	o->api_url = mc_json_get_string(*doc, "api_url", NULL);
	o->token_file = mc_json_get_string(*doc, "token_file", NULL);
	o->app_id = mc_json_get_string(*doc, "app_id", NULL);
	o->app_key_file = mc_json_get_string(*doc, "app_key_file", NULL);
	o->installation_id = (long long)mc_json_get_int(*doc, "installation_id", 0);
	o->poll_seconds = (int)mc_json_get_int(*doc, "poll_seconds", 0);
	o->workers = (unsigned)mc_json_get_int(*doc, "workers", 0);
	o->http_threads = (unsigned)mc_json_get_int(*doc, "http_threads", 0);
	if ((arr = mc_json_get(*doc, "webhook_secret_files")) != NULL)
		for (i = 0; i < json_object_array_length(arr) && i < 2; i++)
			o->secret_files[o->nsecret_files++] =
				json_object_get_string(json_object_array_get_idx(arr, i));
	o->bot_login = mc_json_get_string(*doc, "bot_login", NULL);
	if ((arr = mc_json_get(*doc, "auditors")) != NULL)
		for (i = 0; i < json_object_array_length(arr) && i < MC_DAEMON_MAX_AUDITORS; i++)
			o->auditors[o->nauditors++] =
				json_object_get_string(json_object_array_get_idx(arr, i));
	if ((arr = mc_json_get(*doc, "agent_token_files")) != NULL) {
		json_object_object_foreach(arr, agent, file) {
			if (o->nagents == MC_DAEMON_MAX_AGENTS)
				return mc_error_set(MC_EINVAL, "%s: agent_token_files: at most %d agents",
						    path, MC_DAEMON_MAX_AGENTS);
			o->agent_ids[o->nagents] = agent;
			o->agent_token_files[o->nagents++] = json_object_get_string(file);
		}
	}
	if ((arr = mc_json_get(*doc, "repos")) != NULL)
		for (i = 0; i < json_object_array_length(arr) && i < MC_DAEMON_MAX_REPOS; i++)
			o->repos[o->nrepos++] =
				json_object_get_string(json_object_array_get_idx(arr, i));
	return 0;
}

static void apply_flags(mc_daemon_options *o, const struct serve_flags *f)
{
	size_t i;
	if (f->forge) o->forge = f->forge;
	if (f->listen) o->listen = f->listen;
	if (f->state_dir) o->state_dir = f->state_dir;
	if (f->api_url) o->api_url = f->api_url;
	if (f->token_file) o->token_file = f->token_file;
	if (f->app_id) o->app_id = f->app_id;
	if (f->app_key_file) o->app_key_file = f->app_key_file;
	if (f->installation_id) o->installation_id = f->installation_id;
	if (f->poll >= 0) o->poll_seconds = (int)f->poll;
	if (f->workers >= 0) o->workers = (unsigned)f->workers;
	if (f->http_threads >= 0) o->http_threads = (unsigned)f->http_threads;
	if (f->nsecret_files) {
		o->nsecret_files = f->nsecret_files;
		for (i = 0; i < f->nsecret_files; i++)
			o->secret_files[i] = f->secret_files[i];
	}
	if (f->bot_login) o->bot_login = f->bot_login;
	if (f->nauditors) {
		o->nauditors = f->nauditors;
		for (i = 0; i < f->nauditors; i++)
			o->auditors[i] = f->auditors[i];
	}
	if (f->nagents) {
		o->nagents = f->nagents;
		for (i = 0; i < f->nagents; i++) {
			o->agent_ids[i] = f->agent_ids[i];
			o->agent_token_files[i] = f->agent_token_files[i];
		}
	}
	if (f->nrepos) {
		o->nrepos = f->nrepos;
		for (i = 0; i < f->nrepos; i++)
			o->repos[i] = f->repos[i];
	}
}

static int serve(const mc_daemon_options *opts);

static int run_serve(int argc, char **argv)
{
	mc_daemon_options o = { .forge = "local", .listen = "127.0.0.1:8080" };
	struct json_object *doc = NULL;
	struct serve_flags f;
	int rc;

	if (parse_flags(&f, argc, argv) != 0) {
		free_flags(&f);
		return mc_cli_usage("serve", "%s", mc_error_message());
	}
	if (f.config && (rc = load_config(&o, &doc, f.config)) != 0) {
		json_object_put(doc);
		free_flags(&f);
		return mc_cli_fail("serve", rc == MC_ENOTFOUND || rc == MC_EIO ? rc : MC_EINVAL);
	}
	apply_flags(&o, &f);
	rc = serve(&o);
	json_object_put(doc);
	free_flags(&f);
	return rc;
}

static int serve(const mc_daemon_options *opts)
{
	mc_daemon_options o = *opts;
	int rc;

	/* A daemon says what it does: info unless MAESTRO_LOG asks otherwise. */
	if (!getenv("MAESTRO_LOG"))
		mc_log_set_level(MC_LOG_INFO);
	if ((rc = mc_daemon_check(&o)) != 0)
		return rc == MC_EINVAL ? mc_cli_usage("serve", "%s", mc_error_message())
				       : mc_cli_fail("serve", rc);
	rc = mc_daemon_run(&o);
	return rc ? mc_cli_fail("serve", rc) : MC_EXIT_OK;
}

const struct mc_command mc_cmd_serve = {
	"serve", "run the forge daemon: webhooks and polling, Decision Cards, commands",
	"usage: maestro serve [--config FILE] [--forge local|github|gitea]\n"
	"         [--listen HOST:PORT] --webhook-secret-file FILE [--webhook-secret-file FILE]\n"
	"         --state-dir DIR [--api-url URL] [--token-file FILE] [--poll SECONDS]\n"
	"         [--app-id ID --app-key-file PEM --installation-id N]\n"
	"         [--repo OWNER/NAME|PATH]... [--workers N] [--http-threads N]\n"
	"         [--auditor LOGIN]... [--bot-login LOGIN] [--agent-token-file AGENT=FILE]...\n\n"
	"Serves POST /webhook, GET /healthz and GET /metrics on --listen (default\n"
	"127.0.0.1:8080; port 0 picks a free port; the address bound is written to\n"
	"DIR/listen). Each delivery's X-Hub-Signature-256 (or Gitea/Forgejo's\n"
	"X-Gitea-Signature) is checked against the secret files (mode 0600; two during\n"
	"a rotation) before the body is read; handled events (pull_request opened,\n"
	"synchronize, reopened, edited, labeled, closed; issue_comment created or edited\n"
	"on a pull request; push of a tag; ping) are de-duplicated by delivery id and\n"
	"committed to the queue in DIR/maestro.db before the 202 answer; other events\n"
	"get 202 ignored. SIGTERM or SIGINT stop it gracefully. Logs are JSON lines on\n"
	"stderr (MAESTRO_LOG=error|warn|info|debug, default info).\n\n"
	"--config FILE reads the same settings from a JSON file\n"
	"(schemas/daemon.schema.json; flags override it). docs/DAEMON.md has the\n"
	"details, the systemd unit and the GitHub App setup.\n\n"
	"Workers (--workers, default 2) claim queued events and run the pipeline: a\n"
	"pull_request event reviews the PR's current head and publishes one sticky\n"
	"Decision Card comment (edited in place) and the commit status maestro/decision;\n"
	"an issue_comment carries out its /maestro commands (/maestro help lists them;\n"
	"priority needs write access, hold and unhold an --auditor); a pushed tag is\n"
	"recorded as a signed release record. Failed events are retried with backoff.\n"
	"--agent-token-file AGENT=FILE (repeatable; agent_token_files in the config)\n"
	"lets AGENT submit offers with POST /v1/offers, authenticated by the bearer token\n"
	"in FILE (mode 0600); /maestro offer {json} in a PR comment is the other way in.\n"
	"Offers are kept in DIR/maestro.db and negotiated for their pull request's task.\n"
	"--poll SECONDS also lists each --repo's open PRs that often and queues new\n"
	"heads (for hosts without webhooks, and to reconcile missed deliveries), and its\n"
	"issues opened, changed or closed since (GitHub, Gitea): each open issue is a work\n"
	"item owner/name!N in DIR/repos/<owner>+<name>.git's portfolio (maestro portfolio\n"
	"-C that path), as issues webhooks also make it.\n"
	"--bot-login names the bot's own account, whose comments are never commands.\n"
	"--app-id, --app-key-file (mode 0600) and --installation-id act as a GitHub App\n"
	"instead of --token-file: installation tokens are asked for with the app's JWT,\n"
	"cached until shortly before they expire, and also used to fetch over https.\n",
	run_serve,
};
