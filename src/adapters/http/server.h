/*
 * A small HTTP server over libmicrohttpd for the daemon: a fixed table of
 * routes (method + exact path) whose handlers get the request's headers and
 * whole body and fill in a response. The server owns the outside edge: a
 * connection limit, a per-connection idle timeout, and a hard limit on each
 * route's body, answered with 413 as soon as Content-Length announces more or
 * the body received grows past it, so a handler never sees an oversized body.
 *
 * Handlers run on the server's worker threads (a thread pool over epoll), several
 * at once: whatever they share must be thread-safe.
 */
#ifndef MC_ADAPTERS_HTTP_SERVER_H
#define MC_ADAPTERS_HTTP_SERVER_H
#include <stddef.h>

#include "util/strbuf.h"

typedef struct mc_http_server mc_http_server;
typedef struct mc_http_request mc_http_request;

/* What a handler sees. body is NUL-terminated (body_len excludes the NUL). */
const char *mc_http_request_method(const mc_http_request *req);
const char *mc_http_request_path(const mc_http_request *req);
/* The value of a header (case-insensitive name), or NULL when absent. */
const char *mc_http_request_header(const mc_http_request *req, const char *name);
/* The first of names[0..n) (case-insensitive, n at most MC_HTTP_MAX_CHECKED_HEADERS)
 * that the request carries more than once, else NULL, in one pass over its headers:
 * a header that decides something is refused when it comes twice, since which copy
 * counts would depend on the reader. */
#define MC_HTTP_MAX_CHECKED_HEADERS 16
const char *mc_http_request_repeated_header(const mc_http_request *req,
					    const char *const *names, size_t n);
const char *mc_http_request_body(const mc_http_request *req, size_t *len);

#define MC_HTTP_MAX_HEADERS 8

typedef struct mc_http_response {
	int status;               /* 200 unless the handler says otherwise */
	const char *content_type; /* a static string; "text/plain; charset=utf-8" by default */
	mc_strbuf body;
	/* Extra headers, names and values copied (a handler may pass stack strings). */
	char *header_names[MC_HTTP_MAX_HEADERS];
	char *header_values[MC_HTTP_MAX_HEADERS];
	size_t nheaders;
} mc_http_response;

/* Set the status and a text body (printf-style). */
void mc_http_response_text(mc_http_response *resp, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Add a header; beyond MC_HTTP_MAX_HEADERS it is dropped (a bug in the caller). */
void mc_http_response_header(mc_http_response *resp, const char *name, const char *value);

typedef void (*mc_http_handler)(const mc_http_request *req, mc_http_response *resp, void *ctx);

/*
 * Answering later. A handler that hands its work to another thread calls
 * mc_http_request_defer (on its own thread, before handing the work on) and
 * returns; what it wrote into its response is dropped. The connection waits,
 * suspended, holding no HTTP thread; the request (headers, body) stays valid
 * until the answer. The other thread fills mc_http_deferred_response and calls
 * mc_http_deferred_answer exactly once, which sends it. Stopping the server
 * waits for every deferred request to be answered.
 */
typedef struct mc_http_deferred mc_http_deferred;
mc_http_deferred *mc_http_request_defer(const mc_http_request *req);
mc_http_response *mc_http_deferred_response(mc_http_deferred *d);
void mc_http_deferred_answer(mc_http_deferred *d);

typedef struct mc_http_route {
	const char *method; /* "GET", "POST" */
	const char *path;   /* exact path, no query string */
	mc_http_handler handler;
	void *ctx;
	size_t max_body;    /* larger bodies get 413; 0 for routes that take none */
	/* Called (may be NULL) when the server itself refused a request to this route
	 * for its size, so the route's owner can count it. */
	void (*on_too_large)(void *ctx);
} mc_http_route;

typedef struct mc_http_options {
	const char *listen;          /* "host:port", "[v6]:port"; port 0 = any free port */
	unsigned threads;            /* worker threads; 0 = 2 */
	unsigned connection_limit;   /* 0 = 256 */
	unsigned timeout_s;          /* idle connection timeout; 0 = 30 */
	const mc_http_route *routes; /* copied; must outlive nothing */
	size_t nroutes;
} mc_http_options;

/* Parse "host:port" (host may be a name, an IPv4 or a bracketed IPv6 address). */
int mc_http_parse_listen(char **host, unsigned *port, const char *listen);

/* Bind and start serving. MC_EINVAL for a bad address, MC_EIO when it cannot bind. */
int mc_http_server_start(mc_http_server **out, const mc_http_options *opts);
/* The address actually bound, "127.0.0.1:43121" (the real port when 0 was asked). */
const char *mc_http_server_address(const mc_http_server *srv);
/*
 * Stop: close the listening socket at once (no new connections), wait up to
 * grace_s seconds for requests in flight to be answered, then close every
 * connection and join the threads. Frees srv.
 */
void mc_http_server_stop(mc_http_server *srv, unsigned grace_s);

#endif
