/*
 * Unit tests for the HTTP server adapter (adapters/http/server) with a real
 * libcurl client on 127.0.0.1: routing (200, 404, 405), headers and body handed
 * to the handler byte for byte, 413 from Content-Length and from a chunked body
 * growing past the limit, the listen address parser, port 0, and deferred
 * answers (many requests parked at once by a handler, answered from another
 * thread, each with its own response).
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "adapters/http/server.h"
#include "testutil.h"
#include "util/error.h"
#include "util/strbuf.h"

static void echo(const mc_http_request *req, mc_http_response *resp, void *ctx)
{
	size_t len;
	const char *body = mc_http_request_body(req, &len);
	const char *h = mc_http_request_header(req, "x-test-header");
	int *calls = ctx;
	(*calls)++;
	resp->status = 201;
	resp->content_type = "application/octet-stream";
	mc_http_response_header(resp, "X-Seen-Header", h ? h : "(none)");
	mc_strbuf_add(&resp->body, body, len);
}

static size_t collect(char *data, size_t size, size_t n, void *sb)
{
	mc_strbuf_add(sb, data, size * n);
	return size * n;
}

struct reply {
	long status;
	mc_strbuf body;
	mc_strbuf headers;
};

/* Feed a body of `remaining` bytes through a read callback: curl then sends it chunked. */
struct feeder {
	size_t remaining;
};

static size_t feed(char *buf, size_t size, size_t n, void *arg)
{
	struct feeder *f = arg;
	size_t k = size * n < f->remaining ? size * n : f->remaining;
	memset(buf, 'z', k);
	f->remaining -= k;
	return k;
}

static CURLcode request(struct reply *r, const char *addr, const char *method, const char *path,
			const void *body, size_t len, struct feeder *chunked)
{
	CURL *c = curl_easy_init();
	struct curl_slist *hdrs = NULL;
	char url[256];
	CURLcode rc;

	memset(r, 0, sizeof *r);
	snprintf(url, sizeof url, "http://%s%s", addr, path);
	hdrs = curl_slist_append(hdrs, "X-Test-Header: hello");
	hdrs = curl_slist_append(hdrs, "Expect:");
	if (chunked)
		hdrs = curl_slist_append(hdrs, "Transfer-Encoding: chunked");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &r->headers);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
	if (chunked) {
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, feed);
		curl_easy_setopt(c, CURLOPT_READDATA, chunked);
	} else if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	return rc;
}

static void reply_free(struct reply *r)
{
	mc_strbuf_release(&r->body);
	mc_strbuf_release(&r->headers);
}

static mc_http_server *start(int *calls)
{
	static mc_http_route routes[2];
	mc_http_options o = { .listen = "127.0.0.1:0", .threads = 2 };
	mc_http_server *srv = NULL;

	routes[0] = (mc_http_route){ "POST", "/echo", echo, calls, 1000, NULL };
	routes[1] = (mc_http_route){ "GET", "/echo", echo, calls, 0, NULL };
	o.routes = routes;
	o.nroutes = 2;
	ck_assert_msg(mc_http_server_start(&srv, &o) == 0, "%s", mc_error_message());
	return srv;
}

START_TEST(routes_and_hands_over_headers_and_body)
{
	int calls = 0;
	mc_http_server *srv = start(&calls);
	const char *addr = mc_http_server_address(srv);
	static const char body[] = "a\0b{\"x\":1}";
	struct reply r;

	ck_assert_ptr_nonnull(strstr(addr, "127.0.0.1:"));
	ck_assert_str_ne(addr, "127.0.0.1:0");
	ck_assert_int_eq(request(&r, addr, "POST", "/echo", body, sizeof body - 1, NULL), CURLE_OK);
	ck_assert_int_eq(r.status, 201);
	ck_assert_uint_eq(r.body.len, sizeof body - 1);
	ck_assert_int_eq(memcmp(r.body.buf, body, sizeof body - 1), 0);
	ck_assert_ptr_nonnull(strstr(r.headers.buf, "X-Seen-Header: hello"));
	ck_assert_ptr_nonnull(strstr(r.headers.buf, "application/octet-stream"));
	reply_free(&r);

	ck_assert_int_eq(request(&r, addr, "GET", "/echo?x=1", NULL, 0, NULL), CURLE_OK);
	ck_assert_int_eq(r.status, 201);
	reply_free(&r);
	ck_assert_int_eq(request(&r, addr, "GET", "/nope", NULL, 0, NULL), CURLE_OK);
	ck_assert_int_eq(r.status, 404);
	reply_free(&r);
	ck_assert_int_eq(request(&r, addr, "PUT", "/echo", "x", 1, NULL), CURLE_OK);
	ck_assert_int_eq(r.status, 405);
	reply_free(&r);
	ck_assert_int_eq(calls, 2);
	mc_http_server_stop(srv, 1);
}
END_TEST

START_TEST(oversized_bodies_get_413_and_never_reach_the_handler)
{
	int calls = 0;
	mc_http_server *srv = start(&calls);
	const char *addr = mc_http_server_address(srv);
	char big[1001];
	struct feeder f = { 100000 };
	struct reply r;
	CURLcode rc;

	memset(big, 'x', sizeof big);
	/* Exactly the limit is fine. */
	ck_assert_int_eq(request(&r, addr, "POST", "/echo", big, 1000, NULL), CURLE_OK);
	ck_assert_int_eq(r.status, 201);
	reply_free(&r);
	/* One byte more, announced by Content-Length. */
	ck_assert_int_eq(request(&r, addr, "POST", "/echo", big, 1001, NULL), CURLE_OK);
	ck_assert_int_eq(r.status, 413);
	reply_free(&r);
	/* A GET route takes no body at all. */
	ck_assert_int_eq(request(&r, addr, "GET", "/echo", "x", 1, NULL), CURLE_OK);
	ck_assert_int_eq(r.status, 413);
	reply_free(&r);
	/* Chunked, no length announced: cut off once it grows past the limit. The server
	 * answers 413 mid-upload and closes; curl may report the broken upload (or, when
	 * the close overtook the answer, that it got nothing), but if it got a status it
	 * must be 413. */
	rc = request(&r, addr, "POST", "/echo", NULL, 0, &f);
	ck_assert_msg(rc == CURLE_OK || rc == CURLE_SEND_ERROR || rc == CURLE_RECV_ERROR ||
		      rc == CURLE_GOT_NOTHING,
		      "curl: %s", curl_easy_strerror(rc));
	ck_assert_int_eq(r.status, rc == CURLE_OK || r.status ? 413 : 0);
	reply_free(&r);
	ck_assert_int_eq(calls, 1);
	mc_http_server_stop(srv, 1);
}
END_TEST

START_TEST(listen_addresses_are_parsed_strictly)
{
	char *host;
	unsigned port;
	ck_assert_int_eq(mc_http_parse_listen(&host, &port, "127.0.0.1:8080"), 0);
	ck_assert_str_eq(host, "127.0.0.1");
	ck_assert_uint_eq(port, 8080);
	free(host);
	ck_assert_int_eq(mc_http_parse_listen(&host, &port, "[::1]:0"), 0);
	ck_assert_str_eq(host, "::1");
	ck_assert_uint_eq(port, 0);
	free(host);
	ck_assert_int_eq(mc_http_parse_listen(&host, &port, "localhost:65536"), MC_EINVAL);
	ck_assert_int_eq(mc_http_parse_listen(&host, &port, "8080"), MC_EINVAL);
	ck_assert_int_eq(mc_http_parse_listen(&host, &port, ":8080"), MC_EINVAL);
	ck_assert_int_eq(mc_http_parse_listen(&host, &port, "::1:80"), MC_EINVAL);
	ck_assert_int_eq(mc_http_parse_listen(&host, &port, "h:8x"), MC_EINVAL);
	ck_assert_int_eq(mc_http_parse_listen(&host, &port, ""), MC_EINVAL);
	ck_assert_ptr_null(host);
}
END_TEST

/* Deferred answers: requests parked by the handler, answered from another thread. */
#define PARKED 16

struct parking {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	mc_http_deferred *waiting[PARKED];
	char bodies[PARKED][32];
	int n;
};

static void park(const mc_http_request *req, mc_http_response *resp, void *ctx)
{
	struct parking *p = ctx;
	size_t len;
	const char *body = mc_http_request_body(req, &len);

	/* Written before the deferral: dropped, the deferred answer is what is sent. */
	mc_http_response_text(resp, 500, "not this\n");
	pthread_mutex_lock(&p->lock);
	if (p->n < PARKED) {
		snprintf(p->bodies[p->n], sizeof p->bodies[p->n], "%.*s", (int)len, body);
		p->waiting[p->n++] = mc_http_request_defer(req);
		pthread_cond_broadcast(&p->cond);
	}
	pthread_mutex_unlock(&p->lock);
}

/* Wait (20 s at most) until every request is parked at once, then answer them all,
 * last first. With two HTTP threads, that many parked together shows a deferred
 * request holds no thread. Returns how many were parked together. */
static void *answer_all(void *arg)
{
	struct parking *p = arg;
	struct timespec until;
	int i, n;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 20;
	pthread_mutex_lock(&p->lock);
	while (p->n < PARKED && pthread_cond_timedwait(&p->cond, &p->lock, &until) == 0)
		;
	n = p->n;
	pthread_mutex_unlock(&p->lock);
	for (i = n - 1; i >= 0; i--) {
		mc_http_response *resp = mc_http_deferred_response(p->waiting[i]);
		mc_http_response_text(resp, 202, "answered %s", p->bodies[i]);
		mc_http_response_header(resp, "X-Answered-By", "another thread");
		mc_http_deferred_answer(p->waiting[i]);
	}
	return (void *)(intptr_t)n;
}

struct client {
	const char *addr;
	int index;
	struct reply r;
	CURLcode rc;
};

static void *post_one(void *arg)
{
	struct client *c = arg;
	char body[32];
	snprintf(body, sizeof body, "client-%d", c->index);
	c->rc = request(&c->r, c->addr, "POST", "/park", body, strlen(body), NULL);
	return NULL;
}

START_TEST(deferred_requests_hold_no_thread_and_get_their_own_answer)
{
	static mc_http_route routes[1];
	static struct parking p;
	mc_http_options o = { .listen = "127.0.0.1:0", .threads = 2 };
	mc_http_server *srv = NULL;
	struct client c[PARKED];
	pthread_t t[PARKED], answerer;
	void *parked_together;
	char want[64];
	int i;

	memset(&p, 0, sizeof p);
	pthread_mutex_init(&p.lock, NULL);
	pthread_cond_init(&p.cond, NULL);
	routes[0] = (mc_http_route){ "POST", "/park", park, &p, 100, NULL };
	o.routes = routes;
	o.nroutes = 1;
	ck_assert_msg(mc_http_server_start(&srv, &o) == 0, "%s", mc_error_message());
	ck_assert_int_eq(pthread_create(&answerer, NULL, answer_all, &p), 0);
	for (i = 0; i < PARKED; i++) {
		c[i] = (struct client){ .addr = mc_http_server_address(srv), .index = i };
		ck_assert_int_eq(pthread_create(&t[i], NULL, post_one, &c[i]), 0);
	}
	for (i = 0; i < PARKED; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	ck_assert_int_eq(pthread_join(answerer, &parked_together), 0);
	ck_assert_int_eq((int)(intptr_t)parked_together, PARKED);
	for (i = 0; i < PARKED; i++) {
		ck_assert_int_eq(c[i].rc, CURLE_OK);
		ck_assert_int_eq(c[i].r.status, 202);
		snprintf(want, sizeof want, "answered client-%d", i);
		ck_assert_str_eq(mc_strbuf_str(&c[i].r.body), want);
		ck_assert_ptr_nonnull(strstr(mc_strbuf_str(&c[i].r.headers),
					     "X-Answered-By: another thread"));
		reply_free(&c[i].r);
	}
	mc_http_server_stop(srv, 1);
	pthread_mutex_destroy(&p.lock);
	pthread_cond_destroy(&p.cond);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http_server");
	TCase *tc = tcase_create("http_server");

	curl_global_init(CURL_GLOBAL_DEFAULT);
	tcase_add_test(tc, routes_and_hands_over_headers_and_body);
	tcase_add_test(tc, oversized_bodies_get_413_and_never_reach_the_handler);
	tcase_add_test(tc, listen_addresses_are_parsed_strictly);
	tcase_add_test(tc, deferred_requests_hold_no_thread_and_get_their_own_answer);
	suite_add_tcase(s, tc);
	return mc_test_run(s);
}
