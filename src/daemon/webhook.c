/*
 * The webhook route (webhook.h). Every early return counts its result in the
 * metrics and answers in plain text. A delivery to queue is handed to the queue
 * writer (adapters/store/queue_writer.h), which commits every delivery waiting
 * at the same moment in one transaction; the request is deferred meanwhile (its
 * connection suspended, the HTTP thread free for the next request) and answered
 * from the writer's callback once its transaction committed. Durability is the
 * writer's: a 202 means committed in the WAL, which a killed process cannot lose.
 */
#include "daemon/webhook.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "adapters/store/queue.h"
#include "adapters/store/queue_writer.h"
#include "model/webhook_event.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/hex.h"
#include "util/log.h"

#define SHA256_LEN 32

/* 64 hex digits to 32 bytes; 0 on anything else. */
static int decode_sha256_hex(unsigned char out[SHA256_LEN], const char *hex)
{
	return hex && strlen(hex) == 2 * SHA256_LEN && mc_hex_decode(out, hex, SHA256_LEN) == 0;
}

int mc_webhook_signature_ok(const mc_webhook *wh, const char *sig_hex, const char *body,
			    size_t len)
{
	unsigned char given[SHA256_LEN], mac[SHA256_LEN];
	unsigned int mac_len;
	int ok = 0;
	size_t i;

	if (!decode_sha256_hex(given, sig_hex))
		return 0;
	/* Every secret is tried, whichever matches: the time taken says nothing about
	 * which one (or whether the first) did. */
	for (i = 0; i < wh->nsecrets; i++) {
		mac_len = 0;
		if (!HMAC(EVP_sha256(), wh->secrets[i], (int)wh->secret_lens[i],
			  (const unsigned char *)body, len, mac, &mac_len) || mac_len != SHA256_LEN)
			continue;
		ok |= CRYPTO_memcmp(mac, given, SHA256_LEN) == 0;
	}
	OPENSSL_cleanse(mac, sizeof mac);
	return ok;
}

/* The forge's headers: GitHub's, else Gitea's, else Forgejo's. */
typedef struct delivery_headers {
	const char *forge;
	const char *event;
	const char *delivery;
	const char *signature; /* bare hex */
} delivery_headers;

/* The headers that decide what a delivery is. */
static const char *const deciding_headers[] = {
	"X-Hub-Signature-256", "X-Gitea-Signature", "X-Forgejo-Signature",
	"X-GitHub-Event",      "X-Gitea-Event",     "X-Forgejo-Event",
	"X-GitHub-Delivery",   "X-Gitea-Delivery",  "X-Forgejo-Delivery",
	"Content-Type",
};
_Static_assert(sizeof deciding_headers / sizeof deciding_headers[0] <= MC_HTTP_MAX_CHECKED_HEADERS,
	       "mc_http_request_repeated_header checks at most MC_HTTP_MAX_CHECKED_HEADERS names");

/* The first deciding header the request carries more than once, else NULL: which
 * copy a proxy, a library or this server reads would differ, so none is trusted. */
static const char *duplicated_header(const mc_http_request *req)
{
	return mc_http_request_repeated_header(req, deciding_headers,
					       sizeof deciding_headers / sizeof deciding_headers[0]);
}

static void read_headers(delivery_headers *h, const mc_http_request *req)
{
	const char *sig = mc_http_request_header(req, "X-Hub-Signature-256");
	const char *gitea_event = mc_http_request_header(req, "X-Gitea-Event");
	const char *forgejo_event = mc_http_request_header(req, "X-Forgejo-Event");

	memset(h, 0, sizeof *h);
	if (sig)
		h->signature = strncmp(sig, "sha256=", 7) == 0 ? sig + 7 : "";
	else if ((sig = mc_http_request_header(req, "X-Gitea-Signature")) != NULL ||
		 (sig = mc_http_request_header(req, "X-Forgejo-Signature")) != NULL)
		h->signature = sig;
	if (gitea_event || forgejo_event) {
		h->forge = "gitea";
		h->event = gitea_event ? gitea_event : forgejo_event;
		h->delivery = mc_http_request_header(req, gitea_event ? "X-Gitea-Delivery"
								      : "X-Forgejo-Delivery");
	} else {
		h->forge = "github";
		h->event = mc_http_request_header(req, "X-GitHub-Event");
		h->delivery = mc_http_request_header(req, "X-GitHub-Delivery");
	}
}

/* Delivery ids are UUIDs in practice; anything printable and short is accepted. */
static int delivery_id_ok(const char *id)
{
	size_t n = id ? strlen(id) : 0, i;
	if (n == 0 || n > MC_WEBHOOK_DELIVERY_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)id[i] <= 0x20 || (unsigned char)id[i] >= 0x7f)
			return 0;
	return 1;
}

static void answer(mc_webhook *wh, mc_http_response *resp, enum mc_delivery_result result,
		   int status, const char *text)
{
	mc_metrics_delivery(wh->metrics, result);
	mc_http_response_text(resp, status, "%s\n", text);
}

static void log_delivery(const delivery_headers *h, const mc_webhook_event *ev,
			 const char *result)
{
	mc_log(MC_LOG_INFO, "webhook.delivery", "forge", h->forge, "delivery", h->delivery,
	       "webhook_event", h->event, "action", ev ? ev->action : "", "repo", ev ? ev->repo : "",
	       "result", result, NULL);
}

/* A delivery between the HTTP thread that accepted it and its commit. The header
 * strings live in the suspended connection; the parsed event is owned here. */
typedef struct pending_delivery {
	mc_queue_delivery item;
	mc_webhook *wh;
	mc_http_deferred *answer;
	delivery_headers h;
	mc_webhook_event ev;
} pending_delivery;

static void answer_committed(void *arg, int rc, int duplicate, const char *error)
{
	pending_delivery *p = arg;
	mc_http_response *resp = mc_http_deferred_response(p->answer);

	if (rc) {
		mc_log(MC_LOG_ERROR, "webhook.queue_failed", "delivery", p->h.delivery, "error",
		       error, NULL);
		answer(p->wh, resp, MC_DELIVERY_ERROR, 503,
		       "the queue is unavailable; redeliver later");
	} else {
		log_delivery(&p->h, &p->ev, duplicate ? "duplicate" : "queued");
		if (duplicate)
			answer(p->wh, resp, MC_DELIVERY_DUPLICATE, 200, "duplicate");
		else
			answer(p->wh, resp, MC_DELIVERY_QUEUED, 202, "queued");
	}
	mc_http_deferred_answer(p->answer);
	mc_webhook_event_clear(&p->ev);
	free(p);
}

/* Hand a handled event to the writer; it answers 202 queued, 200 duplicate or 503.
 * Takes ev over. */
static void enqueue(mc_webhook *wh, const mc_http_request *req, mc_http_response *resp,
		    const delivery_headers *h, mc_webhook_event *ev, const char *body,
		    size_t len)
{
	pending_delivery *p;

	if (mc_queue_check_push(h->delivery, h->forge, h->event, ev->repo, body, len) != 0) {
		mc_log(MC_LOG_WARN, "webhook.refused", "delivery", h->delivery, "error",
		       mc_error_message(), NULL);
		mc_http_response_text(resp, 400, "malformed delivery: %s\n", mc_error_message());
		mc_metrics_delivery(wh->metrics, MC_DELIVERY_BAD_REQUEST);
		mc_webhook_event_clear(ev);
		return;
	}
	p = mc_xcalloc(1, sizeof *p);
	p->wh = wh;
	p->h = *h;
	p->ev = *ev;
	memset(ev, 0, sizeof *ev);
	p->item = (mc_queue_delivery){ .delivery_id = h->delivery, .forge = h->forge,
				       .event = h->event, .repo = p->ev.repo, .payload = body,
				       .payload_len = len, .received_at = (int64_t)time(NULL),
				       .done = answer_committed, .arg = p };
	/* Suspended before the writer sees it, so its answer cannot overtake the suspension. */
	p->answer = mc_http_request_defer(req);
	if (mc_queue_writer_submit(wh->writer, &p->item) != 0)
		answer_committed(p, MC_EINTERNAL, 0, mc_error_message());
}

static int form_encoded(const mc_http_request *req)
{
	const char *ct = mc_http_request_header(req, "Content-Type");
	return ct && strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0;
}

void mc_webhook_handle(const mc_http_request *req, mc_http_response *resp, void *ctx)
{
	mc_webhook *wh = ctx;
	delivery_headers h;
	mc_webhook_event ev;
	size_t len;
	const char *body = mc_http_request_body(req, &len), *twice = duplicated_header(req);

	if (twice) {
		char text[96];
		mc_log(MC_LOG_WARN, "webhook.ambiguous", "header", twice, NULL);
		snprintf(text, sizeof text, "header %s appears more than once", twice);
		answer(wh, resp, MC_DELIVERY_BAD_REQUEST, 400, text);
		return;
	}
	read_headers(&h, req);
	/* Authenticate before anything reads the body. */
	if (!h.signature || !mc_webhook_signature_ok(wh, h.signature, body, len)) {
		mc_log(MC_LOG_WARN, "webhook.unauthorized", "forge", h.forge, "reason",
		       h.signature ? "signature does not match" : "no signature header", NULL);
		answer(wh, resp, MC_DELIVERY_UNAUTHORIZED, 401, "bad or missing signature");
		return;
	}
	if (!h.event || !*h.event || !delivery_id_ok(h.delivery)) {
		answer(wh, resp, MC_DELIVERY_BAD_REQUEST, 400,
		       "missing event name or delivery id header");
		return;
	}
	if (form_encoded(req)) {
		answer(wh, resp, MC_DELIVERY_BAD_REQUEST, 415,
		       "form-encoded payloads are not accepted; set the webhook's content type "
		       "to application/json");
		return;
	}
	if (mc_webhook_event_parse(&ev, h.event, body, len, MC_WEBHOOK_MAX_BODY) != 0) {
		mc_log(MC_LOG_WARN, "webhook.malformed", "delivery", h.delivery, "webhook_event", h.event,
		       "error", mc_error_message(), NULL);
		mc_http_response_text(resp, 400, "malformed payload: %s\n", mc_error_message());
		mc_metrics_delivery(wh->metrics, MC_DELIVERY_BAD_REQUEST);
		return;
	}
	if (!ev.handled) {
		log_delivery(&h, &ev, "ignored");
		mc_metrics_delivery(wh->metrics, MC_DELIVERY_IGNORED);
		mc_http_response_text(resp, 202, "ignored: %s\n", ev.ignore_reason);
	} else {
		enqueue(wh, req, resp, &h, &ev, body, len);
	}
	mc_webhook_event_clear(&ev);
}

void mc_webhook_on_too_large(void *ctx)
{
	mc_webhook *wh = ctx;
	mc_metrics_delivery(wh->metrics, MC_DELIVERY_TOO_LARGE);
}
