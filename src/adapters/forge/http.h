/*
 * The forges' REST client over libcurl, one per forge handle. It keeps one CURL
 * easy handle for the handle's life (so connections are reused, with TCP
 * keep-alive), sends JSON with the Authorization, Accept, User-Agent and (GitHub)
 * X-GitHub-Api-Version headers, bounds every answer (time and size), and hides the
 * forges' flow control from the drivers:
 *
 *  - conditional GETs: an in-memory cache of ETag and body per URL; a 304 is served
 *    from it (and counted as not_modified: it costs no rate limit);
 *  - rate limits: Retry-After (seconds or an HTTP date) is obeyed; when
 *    X-RateLimit-Remaining is 0 the client waits until X-RateLimit-Reset, both
 *    after a refused call and before the next one; secondary limits (403 saying
 *    "secondary rate limit", or 429) without a Retry-After back off exponentially
 *    from a minute, with jitter. The time waited in one call is bounded by
 *    max_wait_s: a longer wait fails the call with MC_ELIMIT instead of sleeping;
 *  - 5xx answers and network errors are retried with exponential backoff, at most
 *    max_retries times. A request that is not idempotent (a POST that creates) is
 *    retried only when the forge cannot have acted on it: the connection failed,
 *    or the answer was 429, 503 or a rate limit.
 *
 * The Authorization header is never logged: at debug level the request headers
 * are logged with its value replaced. Sleeping goes through an injectable
 * function so tests do not sleep.
 */
#ifndef MC_ADAPTERS_FORGE_HTTP_H
#define MC_ADAPTERS_FORGE_HTTP_H
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "adapters/forge/forge.h"

typedef struct mc_http mc_http;

typedef struct mc_http_options {
	const char *base_url;         /* "https://api.github.com", no trailing slash needed */
	long timeout_ms;              /* whole request; 0: 30 s */
	long connect_timeout_ms;      /* 0: the smaller of 10 s and timeout_ms */
	int max_retries;              /* 0: 3 */
	int max_wait_s;               /* 0: 900 */
	size_t max_response;          /* 0: 8 MiB */
	const char *accept;           /* NULL: application/json */
	const char *api_version;      /* X-GitHub-Api-Version, or NULL for none */
	const char *user_agent;       /* appended to "maestro/<version>" */
	mc_forge_sleep_fn sleep_fn;   /* NULL: nanosleep */
	void *sleep_ctx;
	/* After every request: its status (0: no answer) and X-RateLimit-Remaining (-1). */
	void (*observe)(void *data, const char *forge, int http_status, long remaining);
	void *observe_data;
	const char *forge_name;       /* passed to observe */
} mc_http_options;

typedef struct mc_http_request {
	const char *method;           /* "GET", "POST", "PATCH", ... */
	const char *url;              /* a path under base_url ("/repos/o/r") or an absolute URL
	                               * on base_url's origin (a Link rel="next") */
	const char *body;             /* JSON text, or NULL */
	const char *authorization;    /* the header's value ("Bearer …"), or NULL */
	int idempotent;               /* may be repeated after the forge saw it (5xx, timeout) */
	int conditional;              /* GET with If-None-Match from the ETag cache */
} mc_http_request;

typedef struct mc_http_response {
	long status;                  /* the final HTTP status (200 also for a cached 304) */
	char *body;                   /* NUL-terminated, possibly empty */
	size_t len;
	int not_modified;             /* the forge said 304: body is the cached one */
	char *next_url;               /* Link rel="next" on the same origin, or NULL */
} mc_http_response;

int mc_http_new(mc_http **out, const mc_http_options *opt, mc_forge_stats *stats);
void mc_http_free(mc_http *http);
/*
 * Send req and wait for the answer, with the retries and waits above. Returns 0
 * with any final status (the caller decides what a 404 means), MC_ELIMIT for an
 * answer over max_response or a rate-limit wait over max_wait_s, MC_EIO when the
 * network or the forge failed after the retries. Clear resp with
 * mc_http_response_clear.
 */
int mc_http_send(mc_http *http, const mc_http_request *req, mc_http_response *resp);
void mc_http_response_clear(mc_http_response *resp);
/* An error for an unexpected status: "<what>: HTTP 422: <message from the body>". */
int mc_http_status_error(const mc_http_response *resp, const char *what);

/* Pure pieces, exposed for the tests. */

/* The rel="next" target of a Link header value, or NULL (free() it). */
char *mc_http_link_next(const char *link);
/* Retry-After as seconds from now: delta-seconds or an HTTP date (a past date is 0).
 * -1 when value is neither. */
long mc_http_retry_after(const char *value, time_t now);
/* The wait before retry number attempt (1, 2, …): base·2^(attempt-1) capped at cap,
 * then jittered into [d/2, d] by jitter in [0, 1). */
double mc_http_backoff(int attempt, double base, double cap, double jitter);
/* 1 when url is on the origin (scheme://host[:port]) of base. */
int mc_http_same_origin(const char *url, const char *base);
/* A header line as it may be logged: Authorization's value replaced (free() it). */
char *mc_http_redact_header(const char *line, size_t len);

#endif
