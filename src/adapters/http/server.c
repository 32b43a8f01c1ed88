/*
 * The HTTP server (server.h) on libmicrohttpd: a thread pool over epoll, one
 * request state per request (con_cls) that accumulates the body until the
 * route's limit, and a completion callback that frees it. Requests in flight
 * are counted so that stopping can wait for their answers after the listening
 * socket is closed (MHD_quiesce_daemon).
 *
 * A deferred request's connection is suspended inside the handler, before the
 * handler hands the work on, so the answer (MHD_resume_connection from any
 * thread) always comes after the suspension; MHD then calls on_request again for
 * that connection and the stored response is queued there, on an HTTP thread.
 */
#include "adapters/http/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/error.h"

#define DEFAULT_CONTENT_TYPE "text/plain; charset=utf-8"

struct mc_http_server {
	struct MHD_Daemon *mhd;
	mc_http_route *routes;
	size_t nroutes;
	atomic_int in_flight;
	atomic_int deferred; /* suspended, waiting for mc_http_deferred_answer */
	char address[80];
};

struct mc_http_request {
	struct MHD_Connection *conn;
	const char *method;
	const char *path;
	const mc_http_route *route;
	mc_strbuf body;
	int answered; /* a response is queued: the rest of the upload is discarded */
	int deferred; /* the handler answers later (mc_http_request_defer) */
	mc_http_server *srv;
	mc_http_response later; /* the deferred answer, set before the resume */
};

const char *mc_http_request_method(const mc_http_request *req)
{
	return req->method;
}

const char *mc_http_request_path(const mc_http_request *req)
{
	return req->path;
}

const char *mc_http_request_header(const mc_http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

struct header_counts {
	const char *const *names;
	size_t n;
	unsigned seen[MC_HTTP_MAX_CHECKED_HEADERS];
};

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key,
				    const char *value)
{
	struct header_counts *c = cls;
	(void)kind;
	(void)value;
	for (size_t i = 0; key && i < c->n; i++)
		if (strcasecmp(key, c->names[i]) == 0)
			c->seen[i]++;
	return MHD_YES;
}

const char *mc_http_request_repeated_header(const mc_http_request *req,
					    const char *const *names, size_t n)
{
	struct header_counts c = { names, n, { 0 } };

	if (c.n > MC_HTTP_MAX_CHECKED_HEADERS)
		c.n = MC_HTTP_MAX_CHECKED_HEADERS;

	MHD_get_connection_values(req->conn, MHD_HEADER_KIND, count_header, &c);
	for (size_t i = 0; i < c.n; i++)
		if (c.seen[i] > 1)
			return names[i];
	return NULL;
}

const char *mc_http_request_body(const mc_http_request *req, size_t *len)
{
	if (len)
		*len = req->body.len;
	return mc_strbuf_str(&req->body);
}

void mc_http_response_text(mc_http_response *resp, int status, const char *fmt, ...)
{
	va_list ap;
	resp->status = status;
	mc_strbuf_reset(&resp->body);
	va_start(ap, fmt);
	mc_strbuf_vprintf(&resp->body, fmt, ap);
	va_end(ap);
}

void mc_http_response_header(mc_http_response *resp, const char *name, const char *value)
{
	if (resp->nheaders >= MC_HTTP_MAX_HEADERS)
		return;
	resp->header_names[resp->nheaders] = mc_xstrdup(name);
	resp->header_values[resp->nheaders] = mc_xstrdup(value);
	resp->nheaders++;
}

static void response_release(mc_http_response *resp)
{
	size_t i;
	for (i = 0; i < resp->nheaders; i++) {
		free(resp->header_names[i]);
		free(resp->header_values[i]);
	}
	mc_strbuf_release(&resp->body);
}

/* Hand resp to MHD and mark the request answered. MHD_NO closes the connection. */
static enum MHD_Result send_response(mc_http_request *req, mc_http_response *resp)
{
	struct MHD_Response *r;
	enum MHD_Result ok = MHD_NO;
	size_t i;

	r = MHD_create_response_from_buffer(resp->body.len, resp->body.buf ? resp->body.buf : "",
					    MHD_RESPMEM_MUST_COPY);
	if (r) {
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
					resp->content_type ? resp->content_type
							   : DEFAULT_CONTENT_TYPE);
		for (i = 0; i < resp->nheaders; i++)
			MHD_add_response_header(r, resp->header_names[i], resp->header_values[i]);
		ok = MHD_queue_response(req->conn, (unsigned)resp->status, r);
		MHD_destroy_response(r);
	}
	response_release(resp);
	req->answered = 1;
	return ok;
}

static enum MHD_Result send_too_large(mc_http_request *req);

static enum MHD_Result send_text(mc_http_request *req, int status, const char *text)
{
	mc_http_response resp = { .status = status };
	mc_strbuf_puts(&resp.body, text);
	mc_strbuf_putc(&resp.body, '\n');
	return send_response(req, &resp);
}

static enum MHD_Result send_too_large(mc_http_request *req)
{
	if (req->route->on_too_large)
		req->route->on_too_large(req->route->ctx);
	return send_text(req, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large");
}

/* The route for method and path; *path_known says whether another method has it. */
static const mc_http_route *find_route(const mc_http_server *srv, const char *method,
				       const char *path, int *path_known)
{
	size_t i;
	*path_known = 0;
	for (i = 0; i < srv->nroutes; i++) {
		if (strcmp(srv->routes[i].path, path) != 0)
			continue;
		*path_known = 1;
		if (strcmp(srv->routes[i].method, method) == 0)
			return &srv->routes[i];
	}
	return NULL;
}

/* Content-Length larger than the limit (an unparsable one is MHD's to refuse). */
static int announced_too_large(struct MHD_Connection *conn, size_t max)
{
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);
	unsigned long long n;
	char *end;
	if (!cl)
		return 0;
	errno = 0;
	n = strtoull(cl, &end, 10);
	return end != cl && (errno == ERANGE || n > max);
}

static enum MHD_Result begin_request(mc_http_server *srv, struct MHD_Connection *conn,
				     const char *url, const char *method, void **con_cls)
{
	mc_http_request *req = mc_xcalloc(1, sizeof *req);
	int path_known;

	req->conn = conn;
	req->srv = srv;
	req->method = method;
	req->path = url;
	*con_cls = req;
	atomic_fetch_add(&srv->in_flight, 1);
	req->route = find_route(srv, method, url, &path_known);
	if (!req->route)
		return send_text(req, path_known ? MHD_HTTP_METHOD_NOT_ALLOWED : MHD_HTTP_NOT_FOUND,
				 path_known ? "method not allowed" : "not found");
	if (announced_too_large(conn, req->route->max_body))
		return send_too_large(req);
	return MHD_YES;
}

static enum MHD_Result run_handler(mc_http_request *req)
{
	mc_http_response resp = { .status = MHD_HTTP_OK };
	req->route->handler(req, &resp, req->route->ctx);
	if (req->deferred) {
		/* The answer comes with the resume; what the handler wrote here is dropped. */
		response_release(&resp);
		return MHD_YES;
	}
	return send_response(req, &resp);
}

mc_http_deferred *mc_http_request_defer(const mc_http_request *creq)
{
	mc_http_request *req = (mc_http_request *)creq;
	req->deferred = 1;
	req->later.status = MHD_HTTP_OK;
	atomic_fetch_add(&req->srv->deferred, 1);
	MHD_suspend_connection(req->conn);
	return (mc_http_deferred *)req;
}

mc_http_response *mc_http_deferred_response(mc_http_deferred *d)
{
	return &((mc_http_request *)d)->later;
}

void mc_http_deferred_answer(mc_http_deferred *d)
{
	mc_http_request *req = (mc_http_request *)d;
	/* MHD's resume takes its own lock: the response written before it is visible to
	 * the HTTP thread that sends it. */
	MHD_resume_connection(req->conn);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	mc_http_request *req = *con_cls;
	size_t n = *upload_data_size;

	if (!req)
		return begin_request(cls, conn, url, method, con_cls);
	if (req->deferred && !req->answered) {
		/* Called again after mc_http_deferred_answer resumed the connection. */
		atomic_fetch_sub(&req->srv->deferred, 1);
		req->deferred = 0;
		return send_response(req, &req->later);
	}
	if (req->answered) {
		/* Already answered (404, 413): what is still coming is read and dropped. */
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (n) {
		*upload_data_size = 0;
		if (n > req->route->max_body - req->body.len) {
			mc_strbuf_release(&req->body);
			/* Answer now; should MHD refuse a response mid-upload, MHD_NO closes
			 * the connection, which stops the upload all the same. */
			return send_too_large(req);
		}
		mc_strbuf_add(&req->body, upload_data, n);
		return MHD_YES;
	}
	return run_handler(req);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	mc_http_server *srv = cls;
	mc_http_request *req = *con_cls;
	if (!req)
		return;
	if (req->deferred) {
		/* Resumed, but the client had gone: MHD closes without calling on_request. */
		atomic_fetch_sub(&srv->deferred, 1);
		response_release(&req->later);
	}
	mc_strbuf_release(&req->body);
	free(req);
	*con_cls = NULL;
	atomic_fetch_sub(&srv->in_flight, 1);
}

int mc_http_parse_listen(char **host, unsigned *port, const char *listen)
{
	const char *colon, *h = listen;
	size_t hlen;
	char *end;
	unsigned long p;

	*host = NULL;
	if (!listen || !*listen)
		return mc_error_set(MC_EINVAL, "listen: empty address (want host:port)");
	if (*listen == '[') {
		const char *close = strchr(listen, ']');
		if (!close || close[1] != ':')
			return mc_error_set(MC_EINVAL, "listen: '%s': want [ipv6]:port", listen);
		h = listen + 1;
		hlen = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(listen, ':');
		if (!colon || strchr(listen, ':') != colon)
			return mc_error_set(MC_EINVAL, "listen: '%s': want host:port", listen);
		hlen = (size_t)(colon - listen);
	}
	if (hlen == 0 || hlen > 253)
		return mc_error_set(MC_EINVAL, "listen: '%s': missing or overlong host", listen);
	errno = 0;
	p = strtoul(colon + 1, &end, 10);
	if (!colon[1] || *end || errno || p > 65535)
		return mc_error_set(MC_EINVAL, "listen: '%s': port must be 0-65535", listen);
	*host = mc_xstrndup(h, hlen);
	*port = (unsigned)p;
	return 0;
}

static int resolve(struct sockaddr_storage *sa, socklen_t *salen, const char *listen)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE }, *res = NULL;
	char *host, portstr[8];
	unsigned port;
	int rc, gai;

	if ((rc = mc_http_parse_listen(&host, &port, listen)) != 0)
		return rc;
	snprintf(portstr, sizeof portstr, "%u", port);
	gai = getaddrinfo(host, portstr, &hints, &res);
	if (gai != 0 || !res) {
		rc = mc_error_set(MC_EINVAL, "listen: cannot resolve '%s': %s", host,
				  gai_strerror(gai));
	} else {
		memcpy(sa, res->ai_addr, res->ai_addrlen);
		*salen = res->ai_addrlen;
	}
	if (res)
		freeaddrinfo(res);
	free(host);
	return rc;
}

/* The bound address as "host:port", read back from the socket (port 0 → the real one). */
static void read_address(mc_http_server *srv)
{
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->mhd,
								  MHD_DAEMON_INFO_LISTEN_FD);
	struct sockaddr_storage sa;
	socklen_t len = sizeof sa;
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (info && getsockname(info->listen_fd, (struct sockaddr *)&sa, &len) == 0) {
		if (sa.ss_family == AF_INET6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&sa;
			inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof host);
			port = ntohs(s6->sin6_port);
			snprintf(srv->address, sizeof srv->address, "[%s]:%u", host, port);
			return;
		}
		inet_ntop(AF_INET, &((struct sockaddr_in *)&sa)->sin_addr, host, sizeof host);
		port = ntohs(((struct sockaddr_in *)&sa)->sin_port);
	}
	snprintf(srv->address, sizeof srv->address, "%s:%u", host, port);
}

int mc_http_server_start(mc_http_server **out, const mc_http_options *opts)
{
	struct sockaddr_storage sa;
	socklen_t salen = 0;
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME;
	mc_http_server *srv;
	int rc;

	*out = NULL;
	if ((rc = resolve(&sa, &salen, opts->listen)) != 0)
		return rc;
	if (sa.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	srv = mc_xcalloc(1, sizeof *srv);
	srv->nroutes = opts->nroutes;
	srv->routes = mc_xcalloc(opts->nroutes ? opts->nroutes : 1, sizeof *srv->routes);
	if (opts->nroutes)
		memcpy(srv->routes, opts->routes, opts->nroutes * sizeof *srv->routes);
	atomic_init(&srv->in_flight, 0);
	atomic_init(&srv->deferred, 0);
	srv->mhd = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, srv,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
		MHD_OPTION_THREAD_POOL_SIZE, opts->threads ? opts->threads : 2u,
		MHD_OPTION_CONNECTION_LIMIT, opts->connection_limit ? opts->connection_limit : 256u,
		MHD_OPTION_CONNECTION_TIMEOUT, opts->timeout_s ? opts->timeout_s : 30u,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
		MHD_OPTION_LISTEN_BACKLOG_SIZE, 512u,
		MHD_OPTION_END);
	if (!srv->mhd) {
		free(srv->routes);
		free(srv);
		return mc_error_set(MC_EIO, "listen: cannot serve on %s (address in use or not "
				    "allowed?)", opts->listen);
	}
	read_address(srv);
	*out = srv;
	return 0;
}

const char *mc_http_server_address(const mc_http_server *srv)
{
	return srv->address;
}

void mc_http_server_stop(mc_http_server *srv, unsigned grace_s)
{
	struct timespec tick = { 0, 20 * 1000 * 1000 };
	unsigned waited_ms = 0;
	MHD_socket fd;

	if (!srv)
		return;
	fd = MHD_quiesce_daemon(srv->mhd);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	/* Deferred requests are waited for whatever the grace: MHD must not stop with a
	 * connection suspended, and their owners answer each one (queue.h's writer
	 * answers every delivery it took, failed or committed). */
	while ((atomic_load(&srv->in_flight) > 0 && waited_ms < grace_s * 1000u) ||
	       atomic_load(&srv->deferred) > 0) {
		nanosleep(&tick, NULL);
		waited_ms += 20;
	}
	MHD_stop_daemon(srv->mhd);
	free(srv->routes);
	free(srv);
}
