/*
 * The forges' REST client (http.h): one reused CURL easy handle, an ETag cache,
 * and the retry loop that obeys the forges' rate limits. curl_easy_reset between
 * requests clears the options but keeps the live connections, so every request
 * sets all of its options again and none leaks into the next.
 */
#include "adapters/forge/http.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/error.h"
#include "util/json.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/time.h"
#include "version.h"

#define DEFAULT_TIMEOUT_MS 30000L
#define DEFAULT_CONNECT_TIMEOUT_MS 10000L
#define DEFAULT_MAX_RETRIES 3
#define DEFAULT_MAX_WAIT_S 900
#define DEFAULT_MAX_RESPONSE (8u << 20)
/* URLs whose ETag and body are kept; the least recently used is replaced. */
#define ETAG_CACHE_SIZE 256
/* Retries of 5xx and network errors back off from 1 s up to 30 s. */
#define RETRY_BASE_S 1.0
#define RETRY_CAP_S 30.0
/* GitHub: without Retry-After, wait at least a minute after a secondary limit. */
#define SECONDARY_BASE_S 60.0
/* Rate-limit answers waited out in one call, whatever the waits add up to. */
#define MAX_LIMIT_WAITS 8
#define HEADER_VALUE_MAX 8192

typedef struct etag_entry {
	char *url;
	char *etag;
	char *body;
	size_t len;
	char *link;
	uint64_t used;
} etag_entry;

/* What one attempt received. */
typedef struct http_attempt {
	mc_strbuf body;
	int overflow;
	char *etag;
	char *link;
	char *retry_after;
	long remaining;  /* -1: no header */
	int64_t reset;   /* 0: no header */
} http_attempt;

struct mc_http {
	CURL *curl;
	char *base_url;
	long timeout_ms;
	long connect_timeout_ms;
	int max_retries;
	int max_wait_s;
	size_t max_response;
	char *accept;
	char *api_version;
	char *user_agent;
	mc_forge_sleep_fn sleep_fn;
	void *sleep_ctx;
	void (*observe)(void *data, const char *forge, int http_status, long remaining);
	void *observe_data;
	const char *forge_name;
	mc_forge_stats *stats;
	etag_entry cache[ETAG_CACHE_SIZE];
	uint64_t tick;
	uint64_t rng;
	http_attempt cur;
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc;

static void global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void default_sleep(double seconds, void *ctx)
{
	struct timespec ts, rem;

	(void)ctx;
	if (seconds <= 0)
		return;
	ts.tv_sec = (time_t)seconds;
	ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &rem) != 0 && errno == EINTR)
		ts = rem;
}

/* xorshift64*: jitter needs no cryptographic quality, only spread between daemons. */
static double next_jitter(mc_http *http)
{
	uint64_t x = http->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	http->rng = x;
	return (double)((x * 0x2545F4914F6CDD1DULL) >> 11) / 9007199254740992.0;
}

int mc_http_new(mc_http **out, const mc_http_options *opt, mc_forge_stats *stats)
{
	mc_http *http;
	size_t n;

	*out = NULL;
	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK)
		return mc_error_set(MC_EENV, "libcurl: %s", curl_easy_strerror(global_rc));
	if (!opt->base_url || (strncmp(opt->base_url, "https://", 8) != 0 &&
			       strncmp(opt->base_url, "http://", 7) != 0))
		return mc_error_set(MC_EINVAL, "api_url '%.200s' is not an http(s) URL",
				    opt->base_url ? opt->base_url : "");
	http = mc_xcalloc(1, sizeof *http);
	http->curl = curl_easy_init();
	if (!http->curl) {
		free(http);
		return mc_error_set(MC_EENV, "libcurl: cannot create a handle");
	}
	http->base_url = mc_xstrdup(opt->base_url);
	n = strlen(http->base_url);
	while (n > 0 && http->base_url[n - 1] == '/')
		http->base_url[--n] = '\0';
	http->timeout_ms = opt->timeout_ms > 0 ? opt->timeout_ms : DEFAULT_TIMEOUT_MS;
	http->connect_timeout_ms = opt->connect_timeout_ms > 0 ? opt->connect_timeout_ms
			       : http->timeout_ms < DEFAULT_CONNECT_TIMEOUT_MS ? http->timeout_ms
									 : DEFAULT_CONNECT_TIMEOUT_MS;
	http->max_retries = opt->max_retries > 0 ? opt->max_retries : DEFAULT_MAX_RETRIES;
	http->max_wait_s = opt->max_wait_s > 0 ? opt->max_wait_s : DEFAULT_MAX_WAIT_S;
	http->max_response = opt->max_response > 0 ? opt->max_response : DEFAULT_MAX_RESPONSE;
	http->accept = mc_xstrdup(opt->accept ? opt->accept : "application/json");
	http->api_version = opt->api_version ? mc_xstrdup(opt->api_version) : NULL;
	{
		mc_strbuf ua = MC_STRBUF_INIT;
		mc_strbuf_printf(&ua, "maestro/%s", MC_VERSION);
		if (opt->user_agent && *opt->user_agent)
			mc_strbuf_printf(&ua, " %s", opt->user_agent);
		http->user_agent = mc_strbuf_detach(&ua);
	}
	http->sleep_fn = opt->sleep_fn ? opt->sleep_fn : default_sleep;
	http->sleep_ctx = opt->sleep_ctx;
	http->observe = opt->observe;
	http->observe_data = opt->observe_data;
	http->forge_name = opt->forge_name ? opt->forge_name : "other";
	http->stats = stats;
	http->rng = ((uint64_t)time(NULL) << 20) ^ (uint64_t)getpid() ^ (uint64_t)(uintptr_t)http;
	if (!http->rng)
		http->rng = 88172645463325252ULL;
	*out = http;
	return 0;
}

static void entry_clear(etag_entry *e)
{
	free(e->url);
	free(e->etag);
	free(e->body);
	free(e->link);
	memset(e, 0, sizeof *e);
}

static void attempt_clear(http_attempt *a)
{
	mc_strbuf_release(&a->body);
	free(a->etag);
	free(a->link);
	free(a->retry_after);
	memset(a, 0, sizeof *a);
	a->remaining = -1;
}

void mc_http_free(mc_http *http)
{
	if (!http)
		return;
	curl_easy_cleanup(http->curl);
	for (size_t i = 0; i < ETAG_CACHE_SIZE; i++)
		entry_clear(&http->cache[i]);
	attempt_clear(&http->cur);
	free(http->base_url);
	free(http->accept);
	free(http->api_version);
	free(http->user_agent);
	free(http);
}

void mc_http_response_clear(mc_http_response *resp)
{
	if (!resp)
		return;
	free(resp->body);
	free(resp->next_url);
	memset(resp, 0, sizeof *resp);
}

/* ---- pure pieces ---- */

static size_t origin_len(const char *url)
{
	const char *p = strstr(url, "://");

	if (!p)
		return 0;
	p += 3;
	while (*p && *p != '/' && *p != '?' && *p != '#')
		p++;
	return (size_t)(p - url);
}

int mc_http_same_origin(const char *url, const char *base)
{
	size_t n = origin_len(base);
	char next;

	if (!url || n == 0 || strncasecmp(url, base, n) != 0)
		return 0;
	next = url[n];
	return next == '\0' || next == '/' || next == '?';
}

/* The value of parameter rel in a Link entry's parameters [p, end), as a token list
 * that contains "next". */
static int params_say_next(const char *p, const char *end)
{
	while (p < end) {
		const char *name, *val, *vend;
		size_t nlen;

		while (p < end && (*p == ';' || isspace((unsigned char)*p)))
			p++;
		name = p;
		while (p < end && *p != '=' && *p != ';')
			p++;
		nlen = (size_t)(p - name);
		while (nlen > 0 && isspace((unsigned char)name[nlen - 1]))
			nlen--;
		if (p >= end || *p != '=')
			continue;
		p++;
		while (p < end && isspace((unsigned char)*p))
			p++;
		if (p < end && *p == '"') {
			val = ++p;
			while (p < end && *p != '"')
				p++;
			vend = p;
			if (p < end)
				p++;
		} else {
			val = p;
			while (p < end && *p != ';')
				p++;
			vend = p;
			while (vend > val && isspace((unsigned char)vend[-1]))
				vend--;
		}
		if (nlen == 3 && strncasecmp(name, "rel", 3) == 0) {
			/* rel="next last": a space-separated list of relation types. */
			const char *t = val;
			while (t < vend) {
				const char *te;
				while (t < vend && isspace((unsigned char)*t))
					t++;
				te = t;
				while (te < vend && !isspace((unsigned char)*te))
					te++;
				if (te - t == 4 && strncasecmp(t, "next", 4) == 0)
					return 1;
				t = te;
			}
		}
	}
	return 0;
}

char *mc_http_link_next(const char *link)
{
	const char *p = link;

	if (!link)
		return NULL;
	while (*p) {
		const char *url, *uend, *pend;
		int quoted = 0;

		while (*p == ',' || isspace((unsigned char)*p))
			p++;
		if (*p != '<')
			return NULL;
		url = ++p;
		uend = strchr(url, '>');
		if (!uend)
			return NULL;
		/* The entry's parameters run to the next comma outside quotes. */
		for (pend = uend + 1; *pend && (quoted || *pend != ','); pend++)
			if (*pend == '"')
				quoted = !quoted;
		if (params_say_next(uend + 1, pend))
			return mc_xstrndup(url, (size_t)(uend - url));
		p = pend;
	}
	return NULL;
}

long mc_http_retry_after(const char *value, time_t now)
{
	const char *p = value;
	long seconds = 0;
	time_t when;

	if (!value)
		return -1;
	while (isspace((unsigned char)*p))
		p++;
	if (isdigit((unsigned char)*p)) {
		for (; isdigit((unsigned char)*p); p++) {
			if (seconds > 100000000L)
				return 100000000L;  /* far beyond any wait we accept */
			seconds = seconds * 10 + (*p - '0');
		}
		while (isspace((unsigned char)*p))
			p++;
		return *p ? -1 : seconds;
	}
	when = curl_getdate(p, NULL);
	if (when == (time_t)-1)
		return -1;
	return when > now ? (long)(when - now) : 0;
}

double mc_http_backoff(int attempt, double base, double cap, double jitter)
{
	double d = base;

	for (int i = 1; i < attempt && d < cap; i++)
		d *= 2;
	if (d > cap)
		d = cap;
	if (jitter < 0)
		jitter = 0;
	if (jitter >= 1)
		jitter = 0.999999;
	return d / 2 + d / 2 * jitter;
}

char *mc_http_redact_header(const char *line, size_t len)
{
	static const char *const secret_headers[] = {"authorization:", "proxy-authorization:"};

	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	for (size_t i = 0; i < sizeof secret_headers / sizeof secret_headers[0]; i++) {
		size_t n = strlen(secret_headers[i]);
		if (len >= n && strncasecmp(line, secret_headers[i], n) == 0) {
			mc_strbuf sb = MC_STRBUF_INIT;
			mc_strbuf_add(&sb, line, n);
			mc_strbuf_puts(&sb, " [redacted]");
			return mc_strbuf_detach(&sb);
		}
	}
	return mc_xstrndup(line, len);
}

/* ---- libcurl callbacks ---- */

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
	mc_http *http = userdata;
	size_t n = size * nmemb;

	if (http->cur.body.len + n > http->max_response) {
		http->cur.overflow = 1;
		return 0;  /* aborts the transfer with CURLE_WRITE_ERROR */
	}
	mc_strbuf_add(&http->cur.body, data, n);
	return n;
}

static char *header_value(const char *line, size_t len, const char *name)
{
	size_t n = strlen(name);
	const char *v, *end = line + len;

	if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
		return NULL;
	v = line + n + 1;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	if (end - v > HEADER_VALUE_MAX)
		return NULL;
	return mc_xstrndup(v, (size_t)(end - v));
}

static void keep(char **slot, char *value)
{
	if (!value)
		return;
	free(*slot);
	*slot = value;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userdata)
{
	mc_http *http = userdata;
	http_attempt *a = &http->cur;
	size_t n = size * nmemb;
	char *v;

	if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		/* A new response (after a 100 Continue): forget the previous headers. */
		free(a->etag);
		free(a->link);
		free(a->retry_after);
		a->etag = a->link = a->retry_after = NULL;
		a->remaining = -1;
		a->reset = 0;
		return n;
	}
	keep(&a->etag, header_value(data, n, "etag"));
	keep(&a->link, header_value(data, n, "link"));
	keep(&a->retry_after, header_value(data, n, "retry-after"));
	if ((v = header_value(data, n, "x-ratelimit-remaining")) != NULL) {
		char *end;
		long r = strtol(v, &end, 10);
		if (end != v && *end == '\0' && r >= 0)
			a->remaining = r;
		free(v);
	}
	if ((v = header_value(data, n, "x-ratelimit-reset")) != NULL) {
		char *end;
		long long r = strtoll(v, &end, 10);
		if (end != v && *end == '\0' && r > 0)
			a->reset = r;
		free(v);
	}
	return n;
}

/* At debug level: request headers as sent, with the Authorization value redacted. */
static int on_debug(CURL *curl, curl_infotype type, char *data, size_t size, void *userdata)
{
	const char *p = data, *end = data + size;

	(void)curl;
	(void)userdata;
	if (type != CURLINFO_HEADER_OUT)
		return 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *line = mc_http_redact_header(p, len);
		if (*line)
			mc_log(MC_LOG_DEBUG, "forge.http.header", "line", line, NULL);
		free(line);
		p += len + (nl ? 1 : 0);
	}
	return 0;
}

/* ---- the ETag cache ---- */

static etag_entry *cache_find(mc_http *http, const char *url)
{
	for (size_t i = 0; i < ETAG_CACHE_SIZE; i++)
		if (http->cache[i].url && strcmp(http->cache[i].url, url) == 0)
			return &http->cache[i];
	return NULL;
}

static void cache_store(mc_http *http, const char *url, http_attempt *a)
{
	etag_entry *e = cache_find(http, url);

	if (!e) {
		e = &http->cache[0];
		for (size_t i = 0; i < ETAG_CACHE_SIZE; i++) {
			if (!http->cache[i].url) {
				e = &http->cache[i];
				break;
			}
			if (http->cache[i].used < e->used)
				e = &http->cache[i];
		}
	}
	entry_clear(e);
	e->url = mc_xstrdup(url);
	e->etag = mc_xstrdup(a->etag);
	e->len = a->body.len;
	e->body = mc_xmalloc(e->len + 1);
	if (e->len)
		memcpy(e->body, a->body.buf, e->len);
	e->body[e->len] = '\0';
	e->link = a->link ? mc_xstrdup(a->link) : NULL;
	e->used = ++http->tick;
}

/* ---- one attempt ---- */

static struct curl_slist *build_headers(mc_http *http, const mc_http_request *req,
					const etag_entry *cached)
{
	struct curl_slist *h = NULL;
	mc_strbuf sb = MC_STRBUF_INIT;

#define ADD_HEADER(...)                                 \
	do {                                            \
		mc_strbuf_reset(&sb);                   \
		mc_strbuf_printf(&sb, __VA_ARGS__);     \
		h = curl_slist_append(h, sb.buf);       \
	} while (0)
	ADD_HEADER("Accept: %s", http->accept);
	ADD_HEADER("User-Agent: %s", http->user_agent);
	if (http->api_version)
		ADD_HEADER("X-GitHub-Api-Version: %s", http->api_version);
	if (req->authorization)
		ADD_HEADER("Authorization: %s", req->authorization);
	if (req->body)
		ADD_HEADER("Content-Type: application/json");
	if (cached)
		ADD_HEADER("If-None-Match: %s", cached->etag);
	/* No "Expect: 100-continue" round trip before a body. */
	h = curl_slist_append(h, "Expect:");
#undef ADD_HEADER
	/* The buffer may have held the Authorization value: wipe it. */
	if (sb.buf)
		memset(sb.buf, 0, sb.alloc);
	mc_strbuf_release(&sb);
	return h;
}

static CURLcode perform(mc_http *http, const mc_http_request *req, const char *url,
			const etag_entry *cached, long *status)
{
	CURL *c = http->curl;
	struct curl_slist *headers = build_headers(http, req, cached);
	CURLcode rc;

	attempt_clear(&http->cur);
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, http->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, http->connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, http);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, http);
	if (mc_log_enabled(MC_LOG_DEBUG)) {
		curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, on_debug);
		curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
	}
	if (strcmp(req->method, "GET") == 0) {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	} else {
		if (strcmp(req->method, "POST") != 0)
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body ? req->body : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)(req->body ? strlen(req->body) : 0));
	}
	rc = curl_easy_perform(c);
	*status = 0;
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(headers);
	return rc;
}

/* Did the forge refuse before acting? Then even a POST may be sent again. */
static int connection_never_made(CURLcode rc)
{
	return rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
	       rc == CURLE_COULDNT_RESOLVE_PROXY;
}

static int body_mentions(const http_attempt *a, const char *needle)
{
	return a->body.buf && strcasestr(a->body.buf, needle) != NULL;
}

/*
 * Is this answer a rate limit, and how long to wait? Primary limits (403/429
 * with X-RateLimit-Remaining 0) wait for the reset; secondary ones for
 * Retry-After, else back off from a minute.
 */
static int rate_limit_wait(mc_http *http, long status, int nlimited, double *wait)
{
	http_attempt *a = &http->cur;
	time_t now = time(NULL);
	long ra = a->retry_after ? mc_http_retry_after(a->retry_after, now) : -1;
	int primary = a->remaining == 0 && a->reset > 0;
	int secondary = status == 429 || (status == 403 && (ra >= 0 ||
			body_mentions(a, "secondary rate limit") || body_mentions(a, "abuse")));

	if (!(status == 429 || (status == 403 && (primary || secondary))))
		return 0;
	if (ra >= 0)
		*wait = (double)ra;
	else if (primary)
		*wait = a->reset > now ? (double)(a->reset - now) + 1 : 1;
	else
		*wait = mc_http_backoff(nlimited, SECONDARY_BASE_S, (double)http->max_wait_s,
					next_jitter(http)) + SECONDARY_BASE_S / 2;
	return 1;
}

static void note_limits(mc_http *http)
{
	if (!http->stats)
		return;
	if (http->cur.remaining >= 0)
		http->stats->rate_limit_remaining = http->cur.remaining;
	if (http->cur.reset > 0)
		http->stats->rate_limit_reset = http->cur.reset;
}

static int wait_within_budget(mc_http *http, double wait, double *waited, const char *method,
			      const char *url, const char *why)
{
	if (*waited + wait > (double)http->max_wait_s)
		return mc_error_set(MC_ELIMIT,
				    "%s %s: %s; waiting %.0f s more would exceed max_wait_s (%d s)",
				    method, url, why, wait, http->max_wait_s);
	mc_log(MC_LOG_INFO, "forge.http.wait", "url", url, "why", why, NULL);
	http->sleep_fn(wait, http->sleep_ctx);
	*waited += wait;
	return 0;
}

static int resolve_url(mc_http *http, const mc_http_request *req, char **out)
{
	mc_strbuf sb = MC_STRBUF_INIT;

	*out = NULL;
	if (strncmp(req->url, "http://", 7) == 0 || strncmp(req->url, "https://", 8) == 0) {
		if (!mc_http_same_origin(req->url, http->base_url))
			return mc_error_set(MC_EINVAL, "URL %.200s is not on the forge's origin",
					    req->url);
		*out = mc_xstrdup(req->url);
		return 0;
	}
	if (req->url[0] != '/')
		return mc_error_set(MC_EINTERNAL, "forge path '%.200s' does not start with /",
				    req->url);
	mc_strbuf_printf(&sb, "%s%s", http->base_url, req->url);
	*out = mc_strbuf_detach(&sb);
	return 0;
}

/* Hand what the http_attempt received to the caller (and the cache). */
static void finish(mc_http *http, const mc_http_request *req, const char *url, long status,
		   etag_entry *cached, mc_http_response *resp)
{
	http_attempt *a = &http->cur;
	const char *link = a->link;

	if (status == 304 && cached) {
		resp->status = 200;
		resp->not_modified = 1;
		resp->len = cached->len;
		resp->body = mc_xmalloc(cached->len + 1);
		memcpy(resp->body, cached->body, cached->len + 1);
		cached->used = ++http->tick;
		if (!link)
			link = cached->link;
		if (http->stats)
			http->stats->not_modified++;
	} else {
		if (req->conditional && status == 200 && a->etag)
			cache_store(http, url, a);
		resp->status = status;
		resp->len = a->body.len;
		resp->body = mc_strbuf_detach(&a->body);
	}
	if (link) {
		char *next = mc_http_link_next(link);
		if (next && mc_http_same_origin(next, http->base_url))
			resp->next_url = next;
		else
			free(next);
	}
}

int mc_http_send(mc_http *http, const mc_http_request *req, mc_http_response *resp)
{
	int retries = 0, nlimited = 0, rc;
	double waited = 0;
	etag_entry *cached = NULL;
	char *url;

	memset(resp, 0, sizeof *resp);
	if ((rc = resolve_url(http, req, &url)) != 0)
		return rc;
	if (req->conditional && strcmp(req->method, "GET") == 0)
		cached = cache_find(http, url);
	for (;;) {
		mc_forge_stats *st = http->stats;
		long status = 0;
		double wait = 0;
		CURLcode cc;

		/* The last answer said the quota is spent: wait for its reset first. */
		if (st && st->rate_limit_remaining == 0 && st->rate_limit_reset > time(NULL)) {
			wait = (double)(st->rate_limit_reset - time(NULL)) + 1;
			if ((rc = wait_within_budget(http, wait, &waited, req->method, url,
						     "rate limit spent until its reset")) != 0)
				break;
			st->rate_limit_remaining = -1;
		}
		if (st)
			st->calls++;
		cc = perform(http, req, url, cached, &status);
		if (http->observe)
			http->observe(http->observe_data, http->forge_name,
				      cc == CURLE_OK ? (int)status : 0,
				      cc == CURLE_OK ? http->cur.remaining : -1);
		mc_log(MC_LOG_DEBUG, "forge.http", "method", req->method, "url", url, "result",
		       cc == CURLE_OK ? "answered" : curl_easy_strerror(cc), NULL);
		if (http->cur.overflow) {
			rc = mc_error_set(MC_ELIMIT, "%s %s: the answer exceeds %zu bytes",
					  req->method, url, http->max_response);
			break;
		}
		if (cc != CURLE_OK) {
			if ((req->idempotent || connection_never_made(cc)) &&
			    retries < http->max_retries) {
				retries++;
				if (st)
					st->retries++;
				wait = mc_http_backoff(retries, RETRY_BASE_S, RETRY_CAP_S,
						       next_jitter(http));
				if ((rc = wait_within_budget(http, wait, &waited, req->method, url,
							     curl_easy_strerror(cc))) != 0)
					break;
				continue;
			}
			rc = mc_error_set(MC_EIO, "%s %s: %s", req->method, url,
					  curl_easy_strerror(cc));
			break;
		}
		note_limits(http);
		if (rate_limit_wait(http, status, nlimited + 1, &wait)) {
			nlimited++;
			if (nlimited > MAX_LIMIT_WAITS) {
				rc = mc_error_set(MC_ELIMIT, "%s %s: still rate limited after %d waits",
						  req->method, url, MAX_LIMIT_WAITS);
				break;
			}
			if ((rc = wait_within_budget(http, wait, &waited, req->method, url,
						     "rate limited")) != 0)
				break;
			if (st)
				st->rate_limited++;
			if (st)
				st->rate_limit_remaining = -1;  /* the wait covered the reset */
			continue;
		}
		if (status >= 500 && status <= 599) {
			if ((req->idempotent || status == 503) && retries < http->max_retries) {
				long ra = http->cur.retry_after
						  ? mc_http_retry_after(http->cur.retry_after, time(NULL))
						  : -1;
				retries++;
				if (st)
					st->retries++;
				wait = ra >= 0 ? (double)ra
					       : mc_http_backoff(retries, RETRY_BASE_S, RETRY_CAP_S,
								 next_jitter(http));
				if ((rc = wait_within_budget(http, wait, &waited, req->method, url,
							     "server error")) != 0)
					break;
				continue;
			}
			resp->status = status;
			rc = mc_error_set(MC_EIO, "%s %s: HTTP %ld after %d retries", req->method, url,
					  status, retries);
			break;
		}
		finish(http, req, url, status, cached, resp);
		rc = 0;
		break;
	}
	attempt_clear(&http->cur);
	free(url);
	return rc;
}

int mc_http_status_error(const mc_http_response *resp, const char *what)
{
	struct json_object *doc = NULL;
	const char *message = NULL;
	char clean[201];
	size_t n = 0;
	int code;

	if (resp->body && resp->len &&
	    mc_json_parse(&doc, resp->body, resp->len, 1u << 20, "error") == 0 &&
	    json_object_is_type(doc, json_type_object))
		message = mc_json_get_string(doc, "message", NULL);
	mc_error_clear();
	/* The message comes from the network: keep it printable and short. */
	for (const char *p = message ? message : ""; *p && n < sizeof clean - 1; p++)
		clean[n++] = (unsigned char)*p < 0x20 || *p == 0x7f ? ' ' : *p;
	clean[n] = '\0';
	switch (resp->status) {
	case 404:
		code = MC_ENOTFOUND;
		break;
	case 400:
	case 422:
		code = MC_EINVAL;
		break;
	case 401:
	case 403:
		code = MC_EENV;
		break;
	default:
		code = MC_EIO;
	}
	code = mc_error_set(code, "%s: HTTP %ld%s%s", what, resp->status, n ? ": " : "", clean);
	json_object_put(doc);
	return code;
}
