/*
 * The GitHub and Gitea drivers against a small forge served by libmicrohttpd on
 * 127.0.0.1 inside the test: pull requests, comments, statuses, reactions,
 * permissions and App installation tokens kept in memory, with ETags and Link
 * pagination like GitHub's, and a script of faults (403 secondary limits, 429
 * with Retry-After, exhausted primary limits, 502s, slow answers) served before
 * the normal answers. Waits go through a recording sleep function, so nothing
 * sleeps for long; every request is recorded and checked.
 */
#include <arpa/inet.h>
#include <json-c/json.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "adapters/forge/forge.h"
#include "adapters/forge/http.h"
#include "testutil.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/log.h"

#define MAX_LOG 512
#define MAX_SCRIPT 16
#define MAX_COMMENTS 256

typedef struct canned {
	int status;
	char headers[512];  /* "Name: value\n" lines */
	char body[512];
	int delay_ms;
	int act_first;      /* do what the request asks, then answer this status anyway */
} canned;

typedef struct recorded {
	char method[8];
	char path[512];
	char page[16];
	char auth[512];
	char inm[128];
	char ua[128];
	char accept[64];
	char apiver[32];
	char body[2048];
} recorded;

typedef struct comment {
	long long id;
	char *body;
} comment;

typedef struct fake {
	struct MHD_Daemon *d;
	int port;
	pthread_mutex_t mu;
	int gitea;
	canned script[MAX_SCRIPT];
	int nscript, script_pos;
	recorded log[MAX_LOG];
	int nlog;
	int connections;
	int nprs;
	int page_size;
	int foreign_link;
	comment comments[MAX_COMMENTS];
	int ncomments;
	long long next_id;
	int nstatuses, nreactions, token_posts;
	char last_token[64];
	int revoke_first_token;
} fake;

typedef struct upload {
	char *data;
	size_t len;
} upload;

static unsigned long long fnv(const char *s)
{
	unsigned long long h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static char *xprintf(const char *fmt, ...)
{
	va_list ap;
	char *out = NULL;

	va_start(ap, fmt);
	ck_assert_int_ge(vasprintf(&out, fmt, ap), 0);
	va_end(ap);
	return out;
}

static void append(char **s, const char *fmt, ...)
{
	va_list ap;
	char *add = NULL, *joined = NULL;

	va_start(ap, fmt);
	ck_assert_int_ge(vasprintf(&add, fmt, ap), 0);
	va_end(ap);
	ck_assert_int_ge(asprintf(&joined, "%s%s", *s ? *s : "", add), 0);
	free(*s);
	free(add);
	*s = joined;
}

static void copy_header(struct MHD_Connection *c, const char *name, char *dst, size_t n)
{
	const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
	snprintf(dst, n, "%s", v ? v : "");
}

static const char *pr_sha(int i)
{
	static __thread char sha[41];
	snprintf(sha, sizeof sha, "%040x", i);
	return sha;
}

static char *pr_json(fake *f, int i)
{
	char when[32];
	time_t t = 1704067200 - (time_t)i * 3600;  /* PR 1 is the most recently updated */
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return xprintf("{\"number\":%d,\"title\":\"PR %d\",\"user\":{\"login\":\"alice\"},"
		       "\"state\":\"open\",\"merged_at\":null,\"updated_at\":\"%s\","
		       "\"head\":{\"sha\":\"%s\",\"ref\":\"feature-%d\",\"repo\":{\"clone_url\":"
		       "\"http://127.0.0.1:%d/o/fork.git\"}},\"base\":{\"sha\":\"%040d\",\"ref\":"
		       "\"main\",\"repo\":{\"clone_url\":\"http://127.0.0.1:%d/o/r.git\","
		       "\"default_branch\":\"trunk\"}},"
		       "\"labels\":[{\"name\":\"bug\"},{\"name\":\"p%d\"}]}",
		       i, i, when, pr_sha(i), i, f->port, 0, f->port, i % 3);
}

/* One page of a list of n items made by item(), GitHub style (per_page + Link) or
 * Gitea style (limit, no Link). */
static char *page_of(fake *f, struct MHD_Connection *c, const char *path, int n,
		     char *(*item)(fake *, int), char **link)
{
	const char *pp = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
						     f->gitea ? "limit" : "per_page");
	const char *pg = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "page");
	int per = pp ? atoi(pp) : 30, page = pg ? atoi(pg) : 1;
	char *out = NULL;

	if (f->page_size && per > f->page_size)
		per = f->page_size;
	append(&out, "[");
	for (int i = (page - 1) * per + 1; i <= page * per && i <= n; i++) {
		char *one = item(f, i);
		append(&out, "%s%s", i > (page - 1) * per + 1 ? "," : "", one);
		free(one);
	}
	append(&out, "]");
	if (!f->gitea && page * per < n) {
		if (f->foreign_link)
			*link = xprintf("<http://evil.example%s?page=%d>; rel=\"next\"", path,
					page + 1);
		else
			*link = xprintf("<http://127.0.0.1:%d%s?per_page=%s&page=%d>; rel=\"next\", "
					"<http://127.0.0.1:%d%s?page=%d>; rel=\"last\"",
					f->port, path, pp ? pp : "30", page + 1, f->port, path,
					(n + per - 1) / per);
	}
	return out;
}

static char *comment_json(fake *f, int i)
{
	comment *cm = &f->comments[i - 1];
	char *esc = NULL, *out;

	for (const char *p = cm->body; *p; p++) {
		if (*p == '"' || *p == '\\')
			append(&esc, "\\%c", *p);
		else if (*p == '\n')
			append(&esc, "\\n");
		else
			append(&esc, "%c", *p);
	}
	out = xprintf("{\"id\":%lld,\"body\":\"%s\",\"user\":{\"login\":"
		      "\"maestro[bot]\"}}", cm->id, esc ? esc : "");

	free(esc);
	return out;
}

/* The body's "body" or "content" string (the test's clients send plain JSON). */
static char *json_string_field(const char *json, const char *key)
{
	struct json_object *doc = json_tokener_parse(json), *v;
	char *out = NULL;

	if (doc && json_object_object_get_ex(doc, key, &v))
		out = strdup(json_object_get_string(v));
	json_object_put(doc);
	return out;
}

/* The forge itself: answers by path and method. */
static int route(fake *f, struct MHD_Connection *c, const char *method, const char *path,
		 const char *body, char **out, char **link)
{
	const char *prefix = f->gitea ? "/api/v1" : "";
	size_t pl = strlen(prefix);
	char rest[512];
	int n = 0;
	long long id = 0;

	if (strncmp(path, prefix, pl) != 0)
		return 404;
	snprintf(rest, sizeof rest, "%s", path + pl);
	if (strcmp(method, "POST") == 0 && sscanf(rest, "/app/installations/%lld/access_tokens", &id) == 1) {
		char when[32];
		time_t t = time(NULL) + 3600;
		struct tm tm;
		f->token_posts++;
		snprintf(f->last_token, sizeof f->last_token, "ghs_fake%d", f->token_posts);
		gmtime_r(&t, &tm);
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
		*out = xprintf("{\"token\":\"%s\",\"expires_at\":\"%s\"}", f->last_token, when);
		return 201;
	}
	if (strncmp(rest, "/repos/o/r/", 11) != 0)
		return 404;
	if (strcmp(method, "GET") == 0 && strcmp(rest, "/repos/o/r/pulls") == 0) {
		*out = page_of(f, c, path, f->nprs, pr_json, link);
		return 200;
	}
	if (strcmp(method, "GET") == 0 && sscanf(rest, "/repos/o/r/pulls/%d", &n) == 1) {
		if (n < 1 || n > f->nprs)
			return 404;
		*out = pr_json(f, n);
		return 200;
	}
	if (sscanf(rest, "/repos/o/r/issues/%d/comments", &n) == 1 && !strstr(rest, "/comments/")) {
		if (strcmp(method, "GET") == 0) {
			*out = page_of(f, c, path, f->ncomments, comment_json, link);
			return 200;
		}
		if (strcmp(method, "POST") == 0) {
			comment *cm = &f->comments[f->ncomments++];
			cm->id = f->next_id++;
			cm->body = json_string_field(body, "body");
			*out = comment_json(f, f->ncomments);
			return 201;
		}
	}
	if (sscanf(rest, "/repos/o/r/issues/comments/%lld", &id) == 1) {
		int reactions = strstr(rest, "/reactions") != NULL;
		for (int i = 0; i < f->ncomments; i++) {
			if (f->comments[i].id != id)
				continue;
			if (reactions && strcmp(method, "POST") == 0) {
				char *content = json_string_field(body, "content");
				f->nreactions++;
				*out = xprintf("{\"id\":1,\"content\":\"%s\"}", content);
				free(content);
				return 201;
			}
			if (!reactions && strcmp(method, "PATCH") == 0) {
				free(f->comments[i].body);
				f->comments[i].body = json_string_field(body, "body");
				*out = comment_json(f, i + 1);
				return 200;
			}
		}
		return 404;
	}
	if (strcmp(method, "POST") == 0 && strncmp(rest, "/repos/o/r/statuses/", 20) == 0) {
		f->nstatuses++;
		*out = xprintf("{\"id\":%d,\"state\":\"success\"}", f->nstatuses);
		return 201;
	}
	if (strcmp(method, "GET") == 0 && strncmp(rest, "/repos/o/r/collaborators/", 25) == 0) {
		if (strstr(rest, "/collaborators/maint/permission")) {
			*out = strdup(f->gitea ? "{\"permission\":\"owner\"}"
					       : "{\"permission\":\"write\",\"role_name\":\"maintain\"}");
			return 200;
		}
		if (strstr(rest, "/collaborators/reader/permission")) {
			*out = strdup("{\"permission\":\"read\",\"role_name\":\"read\"}");
			return 200;
		}
		if (strstr(rest, "/collaborators/dependabot%5Bbot%5D/permission") ||
		    strstr(rest, "/collaborators/dependabot[bot]/permission")) {
			*out = strdup("{\"permission\":\"write\"}");
			return 200;
		}
		*out = strdup("{\"message\":\"Not Found\"}");
		return 404;
	}
	return 404;
}

static void add_headers(struct MHD_Response *r, const char *lines)
{
	char *copy = strdup(lines), *save = NULL;

	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':');
		if (!colon)
			continue;
		*colon = '\0';
		MHD_add_response_header(r, line, colon + 1 + (colon[1] == ' '));
	}
	free(copy);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *data,
			      size_t *size, void **con_cls)
{
	fake *f = cls;
	upload *up = *con_cls;
	struct MHD_Response *resp;
	char *out = NULL, *link = NULL, etag[64] = "";
	canned fault = {0};
	int status, have_fault = 0;
	enum MHD_Result ret;
	recorded *rec;

	(void)version;
	if (!up) {
		*con_cls = calloc(1, sizeof(upload));
		return MHD_YES;
	}
	if (*size) {
		up->data = realloc(up->data, up->len + *size + 1);
		memcpy(up->data + up->len, data, *size);
		up->len += *size;
		up->data[up->len] = '\0';
		*size = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&f->mu);
	if (f->nlog < MAX_LOG) {
		rec = &f->log[f->nlog++];
		memset(rec, 0, sizeof *rec);
		snprintf(rec->method, sizeof rec->method, "%s", method);
		snprintf(rec->path, sizeof rec->path, "%s", url);
		copy_header(c, "Authorization", rec->auth, sizeof rec->auth);
		copy_header(c, "If-None-Match", rec->inm, sizeof rec->inm);
		copy_header(c, "User-Agent", rec->ua, sizeof rec->ua);
		copy_header(c, "Accept", rec->accept, sizeof rec->accept);
		copy_header(c, "X-GitHub-Api-Version", rec->apiver, sizeof rec->apiver);
		{
			const char *pg = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "page");
			snprintf(rec->page, sizeof rec->page, "%s", pg ? pg : "");
		}
		snprintf(rec->body, sizeof rec->body, "%s", up->data ? up->data : "");
	}
	if (f->script_pos < f->nscript) {
		fault = f->script[f->script_pos++];
		have_fault = 1;
	}
	if (have_fault && !fault.act_first) {
		status = fault.status;
		out = strdup(fault.body);
	} else {
		char auth[512];
		copy_header(c, "Authorization", auth, sizeof auth);
		if (f->revoke_first_token && f->token_posts == 1 && strstr(auth, "ghs_fake1") &&
		    !strstr(url, "/access_tokens")) {
			status = 401;
			out = strdup("{\"message\":\"Bad credentials\"}");
		} else {
			status = route(f, c, method, url, up->data ? up->data : "", &out, &link);
		}
		if (have_fault) {
			status = fault.status;
			if (*fault.body) {
				free(out);
				out = strdup(fault.body);
			}
		}
	}
	pthread_mutex_unlock(&f->mu);
	if (have_fault && fault.delay_ms)
		usleep((useconds_t)fault.delay_ms * 1000);
	if (!out)
		out = strdup("");
	if (status == 200 && strcmp(method, "GET") == 0) {
		const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-None-Match");
		snprintf(etag, sizeof etag, "W/\"%016llx\"", fnv(out) ^ (link ? fnv(link) : 0));
		if (inm && strcmp(inm, etag) == 0) {
			status = 304;
			out[0] = '\0';
		}
	}
	resp = MHD_create_response_from_buffer(strlen(out), out, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(resp, "Content-Type", "application/json; charset=utf-8");
	if (*etag)
		MHD_add_response_header(resp, "ETag", etag);
	if (link)
		MHD_add_response_header(resp, "Link", link);
	if (!have_fault || !strstr(fault.headers, "X-RateLimit-Remaining")) {
		MHD_add_response_header(resp, "X-RateLimit-Remaining", "4999");
		MHD_add_response_header(resp, "X-RateLimit-Reset", "2000000000");
	}
	if (have_fault)
		add_headers(resp, fault.headers);
	ret = MHD_queue_response(c, (unsigned)status, resp);
	MHD_destroy_response(resp);
	free(link);
	return ret;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	upload *up = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (up) {
		free(up->data);
		free(up);
	}
	*con_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	fake *f = cls;

	(void)c;
	(void)socket_context;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		pthread_mutex_lock(&f->mu);
		f->connections++;
		pthread_mutex_unlock(&f->mu);
	}
}

static fake *fake_start(int gitea)
{
	fake *f = calloc(1, sizeof *f);
	const union MHD_DaemonInfo *info;
	struct sockaddr_in addr;

	memset(&addr, 0, sizeof addr);
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	pthread_mutex_init(&f->mu, NULL);
	f->gitea = gitea;
	f->next_id = 1000;
	f->d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
					MHD_USE_ERROR_LOG,
				0, NULL, NULL, handle, f, MHD_OPTION_NOTIFY_COMPLETED, completed,
				f, MHD_OPTION_NOTIFY_CONNECTION, on_connection, f,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_CONNECTION_TIMEOUT,
				(unsigned)10, MHD_OPTION_END);
	ck_assert_ptr_nonnull(f->d);
	info = MHD_get_daemon_info(f->d, MHD_DAEMON_INFO_BIND_PORT);
	f->port = info->port;
	return f;
}

static void fake_stop(fake *f)
{
	MHD_stop_daemon(f->d);
	for (int i = 0; i < f->ncomments; i++)
		free(f->comments[i].body);
	pthread_mutex_destroy(&f->mu);
	free(f);
}

static void script(fake *f, int status, const char *headers, const char *body, int delay_ms,
		   int act_first)
{
	canned *c = &f->script[f->nscript++];

	c->status = status;
	snprintf(c->headers, sizeof c->headers, "%s", headers ? headers : "");
	snprintf(c->body, sizeof c->body, "%s", body ? body : "");
	c->delay_ms = delay_ms;
	c->act_first = act_first;
}

/* Waits are recorded, not slept. */
typedef struct sleeps {
	int count;
	double total;
	double last;
} sleeps;

static void record_sleep(double seconds, void *ctx)
{
	sleeps *s = ctx;

	s->count++;
	s->total += seconds;
	s->last = seconds;
}

static mc_forge *open_forge(fake *f, sleeps *sl, mc_forge_kind kind, long timeout_ms,
			    int max_wait_s)
{
	char url[128];
	mc_forge_options opt = {0};
	mc_forge *forge = NULL;

	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", f->port,
		 kind == MC_FORGE_GITEA ? "/api/v1" : "");
	opt.kind = kind;
	opt.api_url = url;
	opt.token = "tok_sekrit";
	opt.timeout_ms = timeout_ms;
	opt.max_retries = 3;
	opt.max_wait_s = max_wait_s;
	opt.user_agent = "test";
	opt.sleep_fn = record_sleep;
	opt.sleep_ctx = sl;
	ck_assert_msg(mc_forge_open(&forge, &opt) == 0, "%s", mc_error_message());
	return forge;
}

static int count_requests(fake *f, const char *method, const char *path_part)
{
	int n = 0;

	for (int i = 0; i < f->nlog; i++)
		if (strcmp(f->log[i].method, method) == 0 && strstr(f->log[i].path, path_part))
			n++;
	return n;
}

/* ---- tests ---- */

START_TEST(github_lists_open_prs_across_pages_then_304s)
{
	fake *f = fake_start(0);
	sleeps sl = {0};
	mc_forge *forge;
	mc_forge_pr *prs = NULL;
	mc_forge_stats st;
	size_t n = 0;
	int nm = -1;

	f->nprs = 5;
	f->page_size = 2;
	forge = open_forge(f, &sl, MC_FORGE_GITHUB, 5000, 60);
	ck_assert_msg(mc_forge_list_open_prs(forge, "o/r", NULL, &prs, &n, &nm) == 0, "%s",
		      mc_error_message());
	ck_assert_uint_eq(n, 5);
	ck_assert_int_eq(nm, 0);
	for (size_t i = 0; i < n; i++) {
		ck_assert_int_eq(prs[i].number, (int64_t)i + 1);
		ck_assert_str_eq(prs[i].head_sha, pr_sha((int)i + 1));
		ck_assert_str_eq(prs[i].base_ref, "main");
		ck_assert_str_eq(prs[i].author, "alice");
		ck_assert_str_eq(prs[i].repo, "o/r");
		ck_assert_uint_eq(prs[i].nlabels, 2);
		ck_assert_int_eq(prs[i].merged, 0);
		ck_assert_ptr_nonnull(strstr(prs[i].clone_url, "fork.git"));
		ck_assert_str_eq(prs[i].default_branch, "trunk");
	}
	mc_forge_pr_list_free(prs, n);
	ck_assert_int_eq(f->nlog, 3);  /* three pages, by Link */
	ck_assert_str_eq(f->log[0].path, "/repos/o/r/pulls");
	ck_assert_str_eq(f->log[2].page, "3");
	ck_assert_str_eq(f->log[0].auth, "Bearer tok_sekrit");
	ck_assert_str_eq(f->log[0].accept, "application/vnd.github+json");
	ck_assert_str_eq(f->log[0].apiver, "2022-11-28");
	ck_assert_ptr_nonnull(strstr(f->log[0].ua, "maestro/"));
	ck_assert_ptr_nonnull(strstr(f->log[0].ua, "test"));
	ck_assert_str_eq(f->log[0].inm, "");
	/* Again: the first page is answered 304 from the ETag and nothing is returned. */
	ck_assert_int_eq(mc_forge_list_open_prs(forge, "o/r", NULL, &prs, &n, &nm), 0);
	ck_assert_int_eq(nm, 1);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(f->nlog, 4);
	ck_assert_str_ne(f->log[3].inm, "");
	mc_forge_get_stats(forge, &st);
	ck_assert_uint_eq(st.calls, 4);
	ck_assert_uint_eq(st.not_modified, 1);
	ck_assert_int_eq(st.rate_limit_remaining, 4999);
	ck_assert_int_eq(st.rate_limit_reset, 2000000000);
	/* One connection served every request (keep-alive). */
	ck_assert_int_eq(f->connections, 1);
	ck_assert_int_eq(sl.count, 0);
	mc_forge_close(forge);
	fake_stop(f);
}
END_TEST

START_TEST(github_listing_stops_at_since_and_refuses_foreign_links)
{
	fake *f = fake_start(0);
	sleeps sl = {0};
	mc_forge *forge;
	mc_forge_pr *prs = NULL;
	size_t n = 0;

	f->nprs = 9;
	f->page_size = 2;
	forge = open_forge(f, &sl, MC_FORGE_GITHUB, 5000, 60);
	/* PR i was updated at 2024-01-01T00:00Z minus i hours: since 02:30 before keeps 1, 2. */
	ck_assert_int_eq(mc_forge_list_open_prs(forge, "o/r", "2023-12-31T21:30:00Z", &prs, &n,
						NULL), 0);
	ck_assert_uint_eq(n, 2);
	mc_forge_pr_list_free(prs, n);
	ck_assert_int_eq(f->nlog, 2);  /* the second page held the first older PR */
	/* A Link to another host is not followed (the token would go with it). */
	f->foreign_link = 1;
	f->nlog = 0;
	ck_assert_int_eq(mc_forge_list_open_prs(forge, "o/r", NULL, &prs, &n, NULL), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(f->nlog, 1);
	mc_forge_pr_list_free(prs, n);
	ck_assert_int_eq(mc_forge_list_open_prs(forge, "o/r", "yesterday", &prs, &n, NULL),
			 MC_EINVAL);
	mc_forge_close(forge);
	fake_stop(f);
}
END_TEST

START_TEST(github_get_pr_and_bad_names_never_reach_the_network)
{
	fake *f = fake_start(0);
	sleeps sl = {0};
	mc_forge *forge;
	mc_forge_pr pr;
	char *perm = NULL;

	f->nprs = 3;
	forge = open_forge(f, &sl, MC_FORGE_GITHUB, 5000, 60);
	ck_assert_int_eq(mc_forge_get_pr(forge, &pr, "o/r", 2), 0);
	ck_assert_int_eq(pr.number, 2);
	ck_assert_str_eq(pr.head_ref, "feature-2");
	ck_assert_str_eq(pr.state, "open");
	mc_forge_pr_clear(&pr);
	ck_assert_int_eq(mc_forge_get_pr(forge, &pr, "o/r", 7), MC_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(mc_error_message(), "404"));
	ck_assert_int_eq(f->nlog, 2);
	ck_assert_int_eq(mc_forge_get_pr(forge, &pr, "../r", 1), MC_EINVAL);
	ck_assert_int_eq(mc_forge_get_pr(forge, &pr, "o/r/pulls", 1), MC_EINVAL);
	ck_assert_int_eq(mc_forge_set_status(forge, "o/r?x", pr_sha(1), "maestro/decision",
					     "success", "ok", NULL), MC_EINVAL);
	ck_assert_int_eq(mc_forge_permission(forge, &perm, "o /r", "bob", 0), MC_EINVAL);
	ck_assert_int_eq(mc_forge_react(forge, "o/r", 5, "thumbsup"), MC_EINVAL);
	ck_assert_int_eq(f->nlog, 2);
	/* The token never appears in an error. */
	ck_assert_ptr_null(strstr(mc_error_message(), "sekrit"));
	mc_forge_close(forge);
	fake_stop(f);
}
END_TEST

START_TEST(sticky_comment_is_created_once_edited_only_when_changed)
{
	fake *f = fake_start(0);
	sleeps sl = {0};
	mc_forge *forge;
	const char *marker = "<!-- maestro:decision-card -->";
	int changed = -1;
	int64_t id = 0, id2 = 0;

	f->page_size = 2;
	forge = open_forge(f, &sl, MC_FORGE_GITHUB, 5000, 60);
	/* Three unrelated comments first, so the search pages. */
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(mc_forge_comment(forge, "o/r", 1, "hello \"there\"", NULL), 0);
	ck_assert_int_eq(mc_forge_upsert_sticky_comment(forge, "o/r", 1, marker,
							"<!-- maestro:decision-card -->\nv1",
							&changed, &id), 0);
	ck_assert_int_eq(changed, 1);
	ck_assert_int_eq(id, 1003);
	ck_assert_int_eq(count_requests(f, "POST", "/issues/1/comments"), 4);
	/* Same text: no write. */
	ck_assert_int_eq(mc_forge_upsert_sticky_comment(forge, "o/r", 1, marker,
							"<!-- maestro:decision-card -->\nv1",
							&changed, &id2), 0);
	ck_assert_int_eq(changed, 0);
	ck_assert_int_eq(id2, id);
	ck_assert_int_eq(count_requests(f, "PATCH", "/issues/comments/"), 0);
	/* New text: one PATCH of that comment. */
	ck_assert_int_eq(mc_forge_upsert_sticky_comment(forge, "o/r", 1, marker,
							"<!-- maestro:decision-card -->\nv2",
							&changed, &id2), 0);
	ck_assert_int_eq(changed, 1);
	ck_assert_int_eq(id2, id);
	ck_assert_int_eq(count_requests(f, "PATCH", "/issues/comments/1003"), 1);
	ck_assert_int_eq(f->ncomments, 4);
	ck_assert_str_eq(f->comments[3].body, "<!-- maestro:decision-card -->\nv2");
	/* A second marker comment (someone else's copy) does not win over the oldest. */
	ck_assert_int_eq(mc_forge_comment(forge, "o/r", 1, "quote: <!-- maestro:decision-card -->",
					  NULL), 0);
	ck_assert_int_eq(mc_forge_upsert_sticky_comment(forge, "o/r", 1, marker,
							"<!-- maestro:decision-card -->\nv3",
							&changed, &id2), 0);
	ck_assert_int_eq(id2, 1003);
	ck_assert_int_eq(f->ncomments, 5);
	/* Reaction and status. */
	ck_assert_int_eq(mc_forge_react(forge, "o/r", id, "+1"), 0);
	ck_assert_int_eq(f->nreactions, 1);
	ck_assert_int_eq(mc_forge_set_status(forge, "o/r", pr_sha(1), "maestro/decision",
					     "success", "go", "https://ci.example/1"), 0);
	ck_assert_int_eq(f->nstatuses, 1);
	ck_assert_ptr_nonnull(strstr(f->log[f->nlog - 1].body, "\"context\":\"maestro/decision\""));
	ck_assert_ptr_nonnull(strstr(f->log[f->nlog - 1].body, "\"target_url\""));
	mc_forge_close(forge);
	fake_stop(f);
}
END_TEST

START_TEST(sticky_comment_created_despite_a_502_is_adopted_not_duplicated)
{
	fake *f = fake_start(0);
	sleeps sl = {0};
	mc_forge *forge = open_forge(f, &sl, MC_FORGE_GITHUB, 5000, 60);
	const char *marker = "<!-- m -->";
	int changed = 0;
	int64_t id = 0;

	script(f, 200, NULL, "", 0, 1);                              /* the first search */
	script(f, 502, NULL, "{\"message\":\"Bad Gateway\"}", 0, 1); /* created, then 502 */
	ck_assert_msg(mc_forge_upsert_sticky_comment(forge, "o/r", 1, marker, "<!-- m -->\nA",
						     &changed, &id) == 0, "%s", mc_error_message());
	ck_assert_int_eq(f->ncomments, 1);
	ck_assert_int_eq(id, f->comments[0].id);
	ck_assert_int_eq(count_requests(f, "POST", "/comments"), 1);
	mc_forge_close(forge);
	fake_stop(f);
}
END_TEST

START_TEST(permissions_map_roles_and_404_is_none)
{
	fake *f = fake_start(0);
	sleeps sl = {0};
	mc_forge *forge = open_forge(f, &sl, MC_FORGE_GITHUB, 5000, 60);
	char *p = NULL;

	ck_assert_int_eq(mc_forge_permission(forge, &p, "o/r", "maint", 60), 0);
	ck_assert_str_eq(p, "maintain");
	ck_assert(mc_forge_permission_can_write(p));
	free(p);
	ck_assert_int_eq(mc_forge_permission(forge, &p, "o/r", "maint", 60), 0);  /* cached */
	free(p);
	ck_assert_int_eq(count_requests(f, "GET", "/collaborators/"), 1);
	ck_assert_int_eq(mc_forge_permission(forge, &p, "o/r", "reader", 60), 0);
	ck_assert_str_eq(p, "read");
	ck_assert(!mc_forge_permission_can_write(p));
	free(p);
	ck_assert_int_eq(mc_forge_permission(forge, &p, "o/r", "stranger", 60), 0);
	ck_assert_str_eq(p, "none");
	free(p);
	ck_assert_int_eq(mc_forge_permission(forge, &p, "o/r", "dependabot[bot]", 60), 0);
	ck_assert_str_eq(p, "write");
	free(p);
	mc_forge_close(forge);
	fake_stop(f);
}
END_TEST

START_TEST(secondary_limit_429_and_retry_after_are_waited_out)
{
	fake *f = fake_start(0);
	sleeps sl = {0};
	mc_forge *forge = open_forge(f, &sl, MC_FORGE_GITHUB, 5000, 900);
	mc_forge_pr pr;
	mc_forge_stats st;

	f->nprs = 1;
	/* 403 secondary limit without Retry-After: at least a minute. */
	script(f, 403, NULL,
	       "{\"message\":\"You have exceeded a secondary rate limit. Please wait a few "
	       "minutes before you try again.\"}", 0, 0);
	ck_assert_msg(mc_forge_get_pr(forge, &pr, "o/r", 1) == 0, "%s", mc_error_message());
	mc_forge_pr_clear(&pr);
	ck_assert_int_eq(sl.count, 1);
	ck_assert(sl.last >= 60 && sl.last <= 120);
	/* 429 with Retry-After in seconds. */
	script(f, 429, "Retry-After: 7\n", "{\"message\":\"Too Many Requests\"}", 0, 0);
	ck_assert_int_eq(mc_forge_get_pr(forge, &pr, "o/r", 1), 0);
	mc_forge_pr_clear(&pr);
	ck_assert_int_eq(sl.count, 2);
	ck_assert(sl.last == 7);
	/* 403 secondary limit with Retry-After. */
	script(f, 403, "Retry-After: 3\n", "{\"message\":\"secondary rate limit\"}", 0, 0);
	ck_assert_int_eq(mc_forge_get_pr(forge, &pr, "o/r", 1), 0);
	mc_forge_pr_clear(&pr);
	ck_assert(sl.last == 3);
	/* Repeated secondary limits back off further, with jitter. */
	for (int i = 0; i < 3; i++)
		script(f, 403, NULL, "{\"message\":\"secondary rate limit\"}", 0, 0);
	sl.count = 0;
	sl.total = 0;
	ck_assert_int_eq(mc_forge_get_pr(forge, &pr, "o/r", 1), 0);
	mc_forge_pr_clear(&pr);
	ck_assert_int_eq(sl.count, 3);
	ck_assert(sl.last >= 150);  /* third wait: 60·2² jittered into [120, 240], plus 30 */
	mc_forge_get_stats(forge, &st);
	ck_assert_uint_eq(st.rate_limited, 6);
	ck_assert_uint_eq(st.retries, 0);
	/* A plain 403 (no permission) is not a rate limit: it fails at once. */
	script(f, 403, NULL, "{\"message\":\"Resource not accessible by integration\"}", 0, 0);
	sl.count = 0;
	ck_assert_int_eq(mc_forge_get_pr(forge, &pr, "o/r", 1), MC_EENV);
	ck_assert_ptr_nonnull(strstr(mc_error_message(), "not accessible"));
	ck_assert_int_eq(sl.count, 0);
	mc_forge_close(forge);
	fake_stop(f);
}
END_TEST

START_TEST(exhausted_primary_limit_waits_for_reset_or_fails_beyond_max_wait)
{
	fake *f = fake_start(0);
	sleeps sl = {0};
	mc_forge *forge = open_forge(f, &sl, MC_FORGE_GITHUB, 5000, 30);
	mc_forge_pr pr;
	char headers[128];
	mc_forge_stats st;

	f->nprs = 1;
	snprintf(headers, sizeof headers, "X-RateLimit-Remaining: 0\nX-RateLimit-Reset: %lld\n",
		 (long long)time(NULL) + 5);
	script(f, 403, headers, "{\"message\":\"API rate limit exceeded\"}", 0, 0);
	ck_assert_msg(mc_forge_get_pr(forge, &pr, "o/r", 1) == 0, "%s", mc_error_message());
	mc_forge_pr_clear(&pr);
	ck_assert_int_eq(sl.count, 1);
	ck_assert(sl.last >= 4 && sl.last <= 7);
	/* A 200 saying the quota is spent: the next call waits before sending. */
	script(f, 200, headers, "", 0, 1);
	ck_assert_int_eq(mc_forge_get_pr(forge, &pr, "o/r", 1), 0);
	mc_forge_pr_clear(&pr);
	ck_assert_int_eq(sl.count, 1);
	ck_assert_int_eq(mc_forge_get_pr(forge, &pr, "o/r", 1), 0);
	mc_forge_pr_clear(&pr);
	ck_assert_int_eq(sl.count, 2);
	/* Retry-After beyond max_wait_s (30 s): MC_ELIMIT without sleeping. */
	script(f, 429, "Retry-After: 3600\n", "{}", 0, 0);
	ck_assert_int_eq(mc_forge_get_pr(forge, &pr, "o/r", 1), MC_ELIMIT);
	ck_assert_ptr_nonnull(strstr(mc_error_message(), "max_wait_s"));
	ck_assert_int_eq(sl.count, 2);
	mc_forge_get_stats(forge, &st);
	ck_assert_uint_eq(st.rate_limited, 1);  /* the refused wait is not counted */
	mc_forge_close(forge);
	fake_stop(f);
}
END_TEST

START_TEST(server_errors_are_retried_within_the_budget)
{
	fake *f = fake_start(0);
	sleeps sl = {0};
	mc_forge *forge = open_forge(f, &sl, MC_FORGE_GITHUB, 5000, 300);
	mc_forge_pr pr;
	mc_forge_stats st;

	f->nprs = 1;
	script(f, 502, NULL, "bad gateway", 0, 0);
	script(f, 500, NULL, "{}", 0, 0);
	ck_assert_int_eq(mc_forge_get_pr(forge, &pr, "o/r", 1), 0);
	mc_forge_pr_clear(&pr);
	mc_forge_get_stats(forge, &st);
	ck_assert_uint_eq(st.retries, 2);
	ck_assert_int_eq(sl.count, 2);
	ck_assert(sl.total >= 0.5 + 1.0 && sl.total <= 1.0 + 2.0);
	/* Four 502s: three retries, then MC_EIO. */
	for (int i = 0; i < 4; i++)
		script(f, 502, NULL, "bad gateway", 0, 0);
	f->nlog = 0;
	ck_assert_int_eq(mc_forge_get_pr(forge, &pr, "o/r", 1), MC_EIO);
	ck_assert_ptr_nonnull(strstr(mc_error_message(), "502"));
	ck_assert_int_eq(f->nlog, 4);
	/* A comment POST answered 502 is not repeated blindly. */
	script(f, 502, NULL, "{}", 0, 0);
	f->nlog = 0;
	ck_assert_int_eq(mc_forge_comment(forge, "o/r", 1, "hi", NULL), MC_EIO);
	ck_assert_int_eq(f->nlog, 1);
	/* but a 503 (not processed) is */
	script(f, 503, "Retry-After: 2\n", "{}", 0, 0);
	ck_assert_int_eq(mc_forge_comment(forge, "o/r", 1, "hi", NULL), 0);
	ck_assert(sl.last == 2);
	ck_assert_int_eq(f->ncomments, 1);
	mc_forge_close(forge);
	fake_stop(f);
}
END_TEST

START_TEST(slow_answers_time_out_and_are_retried)
{
	fake *f = fake_start(0);
	sleeps sl = {0};
	mc_forge *forge = open_forge(f, &sl, MC_FORGE_GITHUB, 300, 300);
	mc_forge_pr pr;
	mc_forge_stats st;

	f->nprs = 1;
	script(f, 200, NULL, "", 1500, 1);
	ck_assert_msg(mc_forge_get_pr(forge, &pr, "o/r", 1) == 0, "%s", mc_error_message());
	mc_forge_pr_clear(&pr);
	mc_forge_get_stats(forge, &st);
	ck_assert_uint_eq(st.retries, 1);
	ck_assert_uint_eq(st.calls, 2);
	/* every attempt slow: the call fails with the timeout named */
	for (int i = 0; i < 4; i++)
		script(f, 200, NULL, "", 1500, 1);
	ck_assert_int_eq(mc_forge_get_pr(forge, &pr, "o/r", 1), MC_EIO);
	ck_assert_ptr_nonnull(strstr(mc_error_message(), "imeout"));
	mc_forge_close(forge);
	fake_stop(f);
}
END_TEST

START_TEST(oversized_answers_and_unreachable_hosts_fail_cleanly)
{
	fake *f = fake_start(0);
	sleeps sl = {0};
	mc_forge_stats st = {0};
	mc_http_options ho = {0};
	mc_http *http = NULL;
	mc_http_request req = {.method = "GET", .url = "/repos/o/r/pulls/1", .idempotent = 1};
	mc_http_response resp;
	char url[64];

	f->nprs = 1;
	snprintf(url, sizeof url, "http://127.0.0.1:%d", f->port);
	ho.base_url = url;
	ho.max_response = 64;
	ho.sleep_fn = record_sleep;
	ho.sleep_ctx = &sl;
	ck_assert_int_eq(mc_http_new(&http, &ho, &st), 0);
	ck_assert_int_eq(mc_http_send(http, &req, &resp), MC_ELIMIT);
	ck_assert_int_eq(sl.count, 0);
	req.url = "https://elsewhere.example/x";
	ck_assert_int_eq(mc_http_send(http, &req, &resp), MC_EINVAL);
	mc_http_free(http);
	fake_stop(f);
	/* Nobody listens there now: connection refused, retried, then MC_EIO. */
	ck_assert_int_eq(mc_http_new(&http, &ho, &st), 0);
	req.url = "/x";
	req.idempotent = 0;
	ck_assert_int_eq(mc_http_send(http, &req, &resp), MC_EIO);
	ck_assert_int_eq(sl.count, 3);
	mc_http_free(http);
	ho.base_url = "ftp://example";
	ck_assert_int_eq(mc_http_new(&http, &ho, &st), MC_EINVAL);
}
END_TEST

static char *rsa_pem(void)
{
	EVP_PKEY *key = EVP_RSA_gen(2048);
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *pem;
	long n;

	PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL);
	n = BIO_get_mem_data(bio, &data);
	pem = mc_xstrndup(data, (size_t)n);
	BIO_free(bio);
	EVP_PKEY_free(key);
	return pem;
}

START_TEST(github_app_trades_a_jwt_for_a_cached_installation_token)
{
	fake *f = fake_start(0);
	sleeps sl = {0};
	char url[64], *pem = rsa_pem();
	mc_forge_options opt = {0};
	mc_forge *forge = NULL;
	mc_forge_pr pr;

	f->nprs = 2;
	snprintf(url, sizeof url, "http://127.0.0.1:%d", f->port);
	opt.kind = MC_FORGE_GITHUB;
	opt.api_url = url;
	opt.app_id = "4242";
	opt.app_private_key_pem = pem;
	opt.installation_id = 77;
	opt.sleep_fn = record_sleep;
	opt.sleep_ctx = &sl;
	ck_assert_int_eq(mc_forge_open(&forge, &opt), 0);
	ck_assert_int_eq(mc_forge_get_pr(forge, &pr, "o/r", 1), 0);
	mc_forge_pr_clear(&pr);
	ck_assert_int_eq(mc_forge_get_pr(forge, &pr, "o/r", 2), 0);
	mc_forge_pr_clear(&pr);
	ck_assert_int_eq(f->token_posts, 1);
	ck_assert_str_eq(f->log[0].path, "/app/installations/77/access_tokens");
	ck_assert_str_eq(f->log[0].method, "POST");
	ck_assert_int_eq(strncmp(f->log[0].auth, "Bearer ey", 9), 0);  /* a JWT */
	ck_assert_str_eq(f->log[1].auth, "Bearer ghs_fake1");
	ck_assert_str_eq(f->log[2].auth, "Bearer ghs_fake1");
	mc_forge_close(forge);
	/* A revoked token (401) is replaced once. */
	f->nlog = 0;
	f->token_posts = 0;
	f->revoke_first_token = 1;
	ck_assert_int_eq(mc_forge_open(&forge, &opt), 0);
	ck_assert_msg(mc_forge_get_pr(forge, &pr, "o/r", 1) == 0, "%s", mc_error_message());
	mc_forge_pr_clear(&pr);
	ck_assert_int_eq(f->token_posts, 2);
	ck_assert_str_eq(f->log[f->nlog - 1].auth, "Bearer ghs_fake2");
	mc_forge_close(forge);
	free(pem);
	fake_stop(f);
}
END_TEST

START_TEST(gitea_pages_by_number_and_maps_owner_to_admin)
{
	fake *f = fake_start(1);
	sleeps sl = {0};
	mc_forge *forge;
	mc_forge_pr *prs = NULL;
	size_t n = 0;
	char *p = NULL;
	int changed = 0;
	int64_t id = 0;
	mc_forge_options bad = {.kind = MC_FORGE_GITEA, .token = "x"};

	ck_assert_int_eq(mc_forge_open(&forge, &bad), MC_ECONFIG);  /* api_url required */
	f->nprs = 60;
	forge = open_forge(f, &sl, MC_FORGE_GITEA, 5000, 60);
	ck_assert_msg(mc_forge_list_open_prs(forge, "o/r", NULL, &prs, &n, NULL) == 0, "%s",
		      mc_error_message());
	ck_assert_uint_eq(n, 60);
	mc_forge_pr_list_free(prs, n);
	ck_assert_int_eq(f->nlog, 2);
	ck_assert_str_eq(f->log[0].path, "/api/v1/repos/o/r/pulls");
	ck_assert_str_eq(f->log[0].page, "1");
	ck_assert_str_eq(f->log[1].page, "2");
	ck_assert_str_eq(f->log[0].auth, "token tok_sekrit");
	ck_assert_str_eq(f->log[0].apiver, "");
	ck_assert_int_eq(mc_forge_permission(forge, &p, "o/r", "maint", 0), 0);
	ck_assert_str_eq(p, "admin");
	free(p);
	ck_assert_int_eq(mc_forge_permission(forge, &p, "o/r", "nobody", 0), 0);
	ck_assert_str_eq(p, "none");
	free(p);
	ck_assert_int_eq(mc_forge_upsert_sticky_comment(forge, "o/r", 3, "<!-- g -->",
							"<!-- g --> one", &changed, &id), 0);
	ck_assert_int_eq(changed, 1);
	ck_assert_int_eq(mc_forge_upsert_sticky_comment(forge, "o/r", 3, "<!-- g -->",
							"<!-- g --> one", &changed, &id), 0);
	ck_assert_int_eq(changed, 0);
	ck_assert_int_eq(mc_forge_react(forge, "o/r", id, "eyes"), 0);
	ck_assert_int_eq(mc_forge_set_status(forge, "o/r", pr_sha(3), "maestro/decision",
					     "pending", "thinking", NULL), 0);
	ck_assert_int_eq(f->nstatuses, 1);
	ck_assert_int_eq(f->nreactions, 1);
	mc_forge_close(forge);
	fake_stop(f);
}
END_TEST

START_TEST(debug_logs_show_headers_but_never_the_token)
{
	fake *f = fake_start(0);
	sleeps sl = {0};
	char *dir = mc_test_tmpdir(), path[4096], log[65536];
	mc_forge *forge;
	mc_forge_pr pr;
	FILE *fp;
	size_t n;
	int saved = dup(2);

	f->nprs = 1;
	snprintf(path, sizeof path, "%s/stderr", dir);
	ck_assert_ptr_nonnull(freopen(path, "w", stderr));
	mc_log_set_level(MC_LOG_DEBUG);
	forge = open_forge(f, &sl, MC_FORGE_GITHUB, 5000, 60);
	ck_assert_int_eq(mc_forge_get_pr(forge, &pr, "o/r", 1), 0);
	mc_forge_pr_clear(&pr);
	mc_forge_close(forge);
	fflush(stderr);
	dup2(saved, 2);
	fp = fopen(path, "r");
	n = fread(log, 1, sizeof log - 1, fp);
	log[n] = '\0';
	fclose(fp);
	ck_assert_ptr_nonnull(strstr(log, "Authorization: [redacted]"));
	ck_assert_ptr_nonnull(strstr(log, "X-GitHub-Api-Version: 2022-11-28"));
	ck_assert_ptr_null(strstr(log, "sekrit"));
	ck_assert_str_eq(f->log[0].auth, "Bearer tok_sekrit");
	mc_test_rmtree(dir);
	free(dir);
	fake_stop(f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("forge_rest");
	TCase *tc = tcase_create("fake forge");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, github_lists_open_prs_across_pages_then_304s);
	tcase_add_test(tc, github_listing_stops_at_since_and_refuses_foreign_links);
	tcase_add_test(tc, github_get_pr_and_bad_names_never_reach_the_network);
	tcase_add_test(tc, sticky_comment_is_created_once_edited_only_when_changed);
	tcase_add_test(tc, sticky_comment_created_despite_a_502_is_adopted_not_duplicated);
	tcase_add_test(tc, permissions_map_roles_and_404_is_none);
	tcase_add_test(tc, secondary_limit_429_and_retry_after_are_waited_out);
	tcase_add_test(tc, exhausted_primary_limit_waits_for_reset_or_fails_beyond_max_wait);
	tcase_add_test(tc, server_errors_are_retried_within_the_budget);
	tcase_add_test(tc, slow_answers_time_out_and_are_retried);
	tcase_add_test(tc, oversized_answers_and_unreachable_hosts_fail_cleanly);
	tcase_add_test(tc, github_app_trades_a_jwt_for_a_cached_installation_token);
	tcase_add_test(tc, gitea_pages_by_number_and_maps_owner_to_admin);
	tcase_add_test(tc, debug_logs_show_headers_but_never_the_token);
	suite_add_tcase(s, tc);
	return mc_test_run(s);
}
