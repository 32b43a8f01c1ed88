/*
 * POST /webhook: the daemon's ingress. A delivery is authenticated first — its
 * HMAC-SHA256 signature (GitHub's X-Hub-Signature-256 "sha256=<hex>", or
 * Gitea/Forgejo's X-Gitea-Signature / X-Forgejo-Signature "<hex>") checked in
 * constant time against each configured secret (two during a rotation) before a
 * byte of the body is parsed — then routed by the pure parser
 * (model/webhook_event.h) and, when the bot handles it, committed to the durable
 * queue (by the queue writer's group commit; the request waits, deferred, for
 * the transaction that holds it). The answer follows the commit, nothing else: 202 "queued", 200
 * "duplicate" (its delivery id was seen), 202 "ignored", 401 bad signature,
 * 400 malformed, 413 oversized (by the HTTP server), 415 a form-encoded body,
 * 503 when the store failed (so the forge records a failed delivery).
 */
#ifndef MC_DAEMON_WEBHOOK_H
#define MC_DAEMON_WEBHOOK_H
#include <stddef.h>

#include "adapters/http/server.h"
#include "adapters/store/queue_writer.h"
#include "daemon/metrics.h"

#define MC_WEBHOOK_MAX_SECRETS 2
/* GitHub caps payloads at 25 MB; Gitea's are smaller. */
#define MC_WEBHOOK_MAX_BODY (25u << 20)
#define MC_WEBHOOK_DELIVERY_MAX 128

typedef struct mc_webhook {
	const char *secrets[MC_WEBHOOK_MAX_SECRETS];
	size_t secret_lens[MC_WEBHOOK_MAX_SECRETS];
	size_t nsecrets;
	mc_queue_writer *writer;      /* the queue, by group commit */
	mc_metrics *metrics;
} mc_webhook;

/*
 * 1 when sig_hex (64 hex digits, either case) is the HMAC-SHA256 of body under one
 * of the secrets, compared in constant time; 0 otherwise, malformed included.
 */
int mc_webhook_signature_ok(const mc_webhook *wh, const char *sig_hex, const char *body,
			    size_t len);

/* The route handler (ctx is the mc_webhook) and its 413 counter. */
void mc_webhook_handle(const mc_http_request *req, mc_http_response *resp, void *ctx);
void mc_webhook_on_too_large(void *ctx);

#endif
