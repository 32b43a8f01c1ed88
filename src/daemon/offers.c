/* POST /v1/offers; see offers.h. */
#include "daemon/offers.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "adapters/store/queue.h"
#include "pipeline/negotiate.h"
#include "util/error.h"
#include "util/json.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/strbuf.h"

int mc_offers_api_init(mc_offers_api *api, const char *const *agents, const char *const *files,
		       size_t n)
{
	size_t i, len;
	char *token;
	int rc;

	if (n > MC_OFFERS_MAX_AGENTS)
		return mc_error_set(MC_EINVAL, "agent_token_files: at most %d agents",
				    MC_OFFERS_MAX_AGENTS);
	mc_negotiate_policy_defaults(&api->policy);
	for (i = 0; i < n; i++) {
		if ((rc = mc_secret_read_file(&token, &len, files[i])) != 0)
			return mc_error_wrap(rc, "agent_token_files: agent %s's token", agents[i]);
		SHA256((const unsigned char *)token, len, api->token_digests[i]);
		mc_secret_free(token);
		api->agents[i] = agents[i];
	}
	api->nagents = n;
	return 0;
}

void mc_offers_api_free(mc_offers_api *api)
{
	mc_negotiate_policy_free(&api->policy);
	OPENSSL_cleanse(api->token_digests, sizeof api->token_digests);
}

/* The agent the bearer token belongs to, or NULL. Every agent's digest is compared,
 * whatever matched before, so the time taken says nothing about which one did. */
static const char *authenticate(const mc_offers_api *api, const char *authorization)
{
	unsigned char digest[32];
	const char *agent = NULL, *token;
	size_t i;

	if (!authorization || strncasecmp(authorization, "Bearer ", 7) != 0)
		return NULL;
	token = authorization + 7;
	while (*token == ' ')
		token++;
	if (!*token)
		return NULL;
	SHA256((const unsigned char *)token, strlen(token), digest);
	for (i = 0; i < api->nagents; i++)
		if (CRYPTO_memcmp(digest, api->token_digests[i], sizeof digest) == 0)
			agent = api->agents[i];
	OPENSSL_cleanse(digest, sizeof digest);
	return agent;
}

/* The field an error message names: "offer X: /predEval: ..." -> "/predEval",
 * "offer: /: missing required key 'agentId'" -> "agentId". */
static void field_of(char *out, size_t cap, const char *message)
{
	const char *start = strstr(message, ": "), *end, *key;
	size_t n;

	out[0] = 0;
	if (!start)
		return;
	start += 2;
	end = strchr(start, ':');
	n = end ? (size_t)(end - start) : strlen(start);
	if (n == 1 && start[0] == '/' && (key = strstr(message, "key '")) != NULL) {
		start = key + 5;
		end = strchr(start, '\'');
		n = end ? (size_t)(end - start) : 0;
	}
	snprintf(out, cap, "%.*s", (int)(n < cap ? n : cap - 1), start);
}

static void answer_error(mc_http_response *resp, int status, const char *field,
			 const char *message)
{
	struct json_object *o = json_object_new_object();
	char named[128];

	if (!field) {
		field_of(named, sizeof named, message);
		field = named;
	}
	mc_json_set_string(o, "error", message);
	mc_json_set_string(o, "field", field);
	resp->status = status;
	resp->content_type = "application/json";
	mc_strbuf_printf(&resp->body, "%s\n", mc_json_dump(o, 0));
	json_object_put(o);
}

/* "owner/name#N": the task of pull request N of owner/name on a forge. */
static int pr_of_task(char *repo, size_t cap, long long *number, const char *task)
{
	const char *hash = strrchr(task, '#'), *slash = strchr(task, '/');
	char *end;

	if (!hash || !slash || slash > hash || (size_t)(hash - task) >= cap || !hash[1])
		return 0;
	*number = strtoll(hash + 1, &end, 10);
	if (*end || *number <= 0)
		return 0;
	snprintf(repo, cap, "%.*s", (int)(hash - task), task);
	return 1;
}

/* Queue a review of the offer's pull request (the poller's event), so its task is
 * negotiated soon; once per offer id. A failure only delays it to the PR's next event. */
static void queue_review(const mc_offers_api *api, const mc_offer *o, int64_t now)
{
	char repo[MC_QUEUE_ID_MAX], delivery[MC_QUEUE_ID_MAX];
	mc_strbuf payload = MC_STRBUF_INIT;
	long long number;
	int dup = 0;

	if (!api->forge || !strcmp(api->forge, "local") ||
	    !pr_of_task(repo, sizeof repo, &number, o->task_id))
		return;
	snprintf(delivery, sizeof delivery, "offer:%s", o->offer_id);
	{
		struct json_object *p = json_object_new_object();
		mc_json_set_string(p, "repo", repo);
		mc_json_set_int(p, "number", number);
		mc_strbuf_puts(&payload, mc_json_dump(p, 0));
		json_object_put(p);
	}
	if (mc_queue_push(api->store, delivery, api->forge, "poll", repo, payload.buf, payload.len,
			  now, &dup) != 0) {
		mc_log(MC_LOG_WARN, "offers.review_not_queued", "offer", o->offer_id, "error",
		       mc_error_message(), NULL);
		mc_error_clear();
	}
	mc_strbuf_release(&payload);
}

/* Store the offer: 202, or the error's status. Runs under the store lock. */
static void submit(const mc_offers_api *api, mc_http_response *resp, const mc_offer *o,
		   const char *body, size_t len)
{
	char id[MC_AGENT_ID_MAX + 1], retry[32];
	int64_t now = (int64_t)time(NULL);
	int dup = 0, rc;

	rc = mc_negotiate_submit(api->store, &api->policy, NULL, body, len, now, id, &dup);
	if (rc == 0) {
		struct json_object *a = json_object_new_object();
		mc_json_set_string(a, "offer_id", id);
		mc_json_set_bool(a, "duplicate", dup);
		resp->status = 202;
		resp->content_type = "application/json";
		mc_strbuf_printf(&resp->body, "%s\n", mc_json_dump(a, 0));
		json_object_put(a);
		if (!dup)
			queue_review(api, o, now);
		mc_log(MC_LOG_INFO, "offers.accepted", "offer", id, "agent", o->agent_id, "task",
		       o->task_id, "duplicate", dup ? "yes" : "no", NULL);
	} else if (rc == MC_ELIMIT) {
		snprintf(retry, sizeof retry, "%d", api->policy.rate_window_seconds);
		mc_http_response_header(resp, "Retry-After", retry);
		answer_error(resp, 429, "agentId", mc_error_message());
	} else if (rc == MC_EINVAL && strstr(mc_error_message(), "offerId: already used")) {
		answer_error(resp, 409, "offerId", mc_error_message());
	} else if (rc == MC_EINVAL || rc == MC_EVERIFY) {
		answer_error(resp, 422, NULL, mc_error_message());
	} else {
		mc_log(MC_LOG_ERROR, "offers.store_failed", "error", mc_error_message(), NULL);
		answer_error(resp, 503, "", "the daemon's store is unavailable; try again");
	}
	mc_error_clear();
}

void mc_offers_handle(const mc_http_request *req, mc_http_response *resp, void *ctx)
{
	mc_offers_api *api = ctx;
	const char *agent = authenticate(api, mc_http_request_header(req, "Authorization"));
	const char *type = mc_http_request_header(req, "Content-Type");
	struct json_object *doc = NULL, *schema = NULL;
	const char *body;
	size_t len;
	mc_offer o;
	char why[256];

	if (!agent) {
		mc_http_response_header(resp, "WWW-Authenticate", "Bearer realm=\"maestro offers\"");
		answer_error(resp, 401, "Authorization", "a bearer token of a configured agent is required");
		return;
	}
	if (type && strncasecmp(type, "application/json", 16) != 0) {
		answer_error(resp, 415, "Content-Type", "the body must be application/json");
		return;
	}
	body = mc_http_request_body(req, &len);
	if (mc_json_parse(&doc, body, len, MC_OFFER_MAX_BYTES, "offer") != 0) {
		answer_error(resp, 400, "", mc_error_message());
		mc_error_clear();
		return;
	}
	if (mc_offer_schema(&schema) != 0 || mc_offer_from_json(&o, doc, schema, "offer") != 0) {
		answer_error(resp, 422, NULL, mc_error_message());
		mc_error_clear();
	} else {
		if (strcmp(o.agent_id, agent) != 0) {
			snprintf(why, sizeof why, "offer %s: agentId: '%.64s' is not the agent this "
				 "token belongs to", o.offer_id, o.agent_id);
			answer_error(resp, 403, "agentId", why);
		} else {
			pthread_mutex_lock(api->store_lock);
			submit(api, resp, &o, body, len);
			pthread_mutex_unlock(api->store_lock);
		}
		mc_offer_clear(&o);
	}
	if (schema)
		json_object_put(schema);
	json_object_put(doc);
}
