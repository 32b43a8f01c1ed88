/*
 * POST /v1/offers: agents submit offers (schemas/agent-offer.schema.json) to the
 * daemon. A request is authenticated first: "Authorization: Bearer <token>"
 * compared in constant time (SHA-256 digests, CRYPTO_memcmp, every agent's token
 * tried) against the tokens read from the agents' token files (mode 0600); the
 * token names the agent, and the offer's agentId must be that agent. The body (at
 * most MC_OFFER_MAX_BYTES, 413 from the HTTP server) is then parsed and validated,
 * and mc_negotiate_submit stores it in the daemon's store, de-duplicated by offerId
 * and rate-limited per agent. Answers are JSON: 202 {"offer_id", "duplicate"};
 * errors {"error": message, "field": the field it names}: 400 not JSON, 401 no or
 * a wrong token, 403 agentId is not the token's agent, 409 the offerId was used by
 * another offer, 415 not JSON by Content-Type, 422 invalid or expired, or a bad
 * signature, 429 rate limited (with Retry-After), 503 the store failed.
 *
 * An accepted offer whose taskId names a pull request ("owner/name#N", the task of
 * a PR on GitHub or Gitea) queues a review of that PR, which negotiates the task.
 */
#ifndef MC_DAEMON_OFFERS_H
#define MC_DAEMON_OFFERS_H
#include <pthread.h>
#include <stddef.h>

#include "adapters/http/server.h"
#include "adapters/store/db.h"
#include "model/negotiate.h"

#define MC_OFFERS_MAX_AGENTS 64
#define MC_OFFERS_PATH "/v1/offers"

typedef struct mc_offers_api {
	const char *agents[MC_OFFERS_MAX_AGENTS];
	unsigned char token_digests[MC_OFFERS_MAX_AGENTS][32]; /* SHA-256 of each token */
	size_t nagents;
	const char *forge;            /* "github", "gitea", "local": for the queued review */
	mc_store *store;
	pthread_mutex_t *store_lock;  /* serializes use of store across HTTP threads */
	mc_negotiate_policy policy;   /* rate limit and window; signatures are checked at
				       * negotiation, by the repository's pinned keys */
} mc_offers_api;

/* Read each agent's token file (mc_secret_read_file: 0600, not empty) and keep its
 * digest; the token itself is wiped. */
int mc_offers_api_init(mc_offers_api *api, const char *const *agents, const char *const *files,
		       size_t n);
void mc_offers_api_free(mc_offers_api *api);

void mc_offers_handle(const mc_http_request *req, mc_http_response *resp, void *ctx);

#endif
