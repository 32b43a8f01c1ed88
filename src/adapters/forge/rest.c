/*
 * The REST drivers' shared body (rest.h): URL building from checked repository
 * names, authentication (a personal access token, or a GitHub App's cached
 * installation token, renewed once when the forge answers 401), pagination, and
 * the operations themselves. Reads are conditional GETs, so a poll that finds
 * nothing new is answered 304 from the ETag cache and costs no rate limit.
 *
 * The sticky comment is found again before every write, never remembered: the
 * first (oldest) comment on the PR that contains the marker. A POST that fails
 * after the forge may have acted (5xx, timeout) is not blindly repeated: the
 * comments are listed again and a comment that did land is adopted, so a
 * retried event still leaves exactly one comment.
 */
#include "adapters/forge/rest.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/error.h"
#include "util/json.h"
#include "util/log.h"
#include "util/time.h"

/* Pages followed in one listing (100 × 100 PRs on GitHub). */
#define MAX_PAGES 100
#define NAME_MAX_LEN 100
/* GitHub takes 65,536 characters in a comment; four bytes each at most. */
#define COMMENT_MAX_BYTES (65536u * 4u)
/* JSON answers may be as large as the http client accepts. */
#define ANSWER_MAX (64u << 20)

struct mc_rest {
	const mc_rest_flavour *fl;
	mc_http *http;
	char *token;
	mc_github_app *app;
	mc_strbuf auth;
};

/* ---- names and URLs ---- */

static int check_name_part(const char *s, size_t n, const char *what, const char *repo)
{
	if (n == 0 || n > NAME_MAX_LEN)
		return mc_error_set(MC_EINVAL, "repository '%.200s': the %s must have 1 to %d "
					       "characters", repo, what, NAME_MAX_LEN);
	if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
		return mc_error_set(MC_EINVAL, "repository '%.200s': the %s cannot be '.' or '..'",
				    repo, what);
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return mc_error_set(MC_EINVAL,
					    "repository '%.200s': the %s may hold only letters, "
					    "digits, '.', '_' and '-'", repo, what);
	}
	return 0;
}

int mc_rest_check_repo(const char *repo)
{
	const char *slash = repo ? strchr(repo, '/') : NULL;
	int rc;

	if (!slash)
		return mc_error_set(MC_EINVAL, "repository '%.200s' is not owner/name",
				    repo ? repo : "");
	if ((rc = check_name_part(repo, (size_t)(slash - repo), "owner", repo)) != 0)
		return rc;
	return check_name_part(slash + 1, strlen(slash + 1), "name", repo);
}

void mc_rest_escape(mc_strbuf *sb, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' || *p == '~') {
			mc_strbuf_putc(sb, (char)*p);
		} else {
			mc_strbuf_putc(sb, '%');
			mc_strbuf_putc(sb, hex[*p >> 4]);
			mc_strbuf_putc(sb, hex[*p & 15]);
		}
	}
}

/* "/repos/<owner>/<name>" into sb, after checking the name. */
static int repo_path(mc_strbuf *sb, const char *repo)
{
	const char *slash;
	char *owner;
	int rc;

	if ((rc = mc_rest_check_repo(repo)) != 0)
		return rc;
	slash = strchr(repo, '/');
	owner = mc_xstrndup(repo, (size_t)(slash - repo));
	mc_strbuf_puts(sb, "/repos/");
	mc_rest_escape(sb, owner);
	mc_strbuf_putc(sb, '/');
	mc_rest_escape(sb, slash + 1);
	free(owner);
	return 0;
}

/* ---- opening ---- */

int mc_rest_open(void **state, const mc_forge_options *opt, mc_forge_stats *stats,
		 const mc_rest_flavour *fl)
{
	mc_http_options ho = {0};
	mc_rest *r;
	int rc;

	*state = NULL;
	ho.base_url = opt->api_url && *opt->api_url ? opt->api_url : fl->default_api_url;
	if (!ho.base_url)
		return mc_error_set(MC_ECONFIG, "the %s forge needs api_url (for example "
						"https://gitea.example/api/v1)", fl->name);
	ho.timeout_ms = opt->timeout_ms;
	ho.max_retries = opt->max_retries;
	ho.max_wait_s = opt->max_wait_s;
	ho.accept = fl->accept;
	ho.api_version = fl->api_version;
	ho.user_agent = opt->user_agent;
	ho.sleep_fn = opt->sleep_fn;
	ho.sleep_ctx = opt->sleep_ctx;
	ho.observe = opt->observe;
	ho.observe_data = opt->observe_data;
	ho.forge_name = fl->name;
	r = mc_xcalloc(1, sizeof *r);
	r->fl = fl;
	if (opt->token && *opt->token) {
		r->token = mc_xstrdup(opt->token);
	} else if (opt->app_id || opt->app_private_key_pem) {
		if (!fl->supports_app) {
			free(r);
			return mc_error_set(MC_ECONFIG, "the %s forge takes a token, not an App key",
					    fl->name);
		}
		if ((rc = mc_github_app_new(&r->app, opt->app_id, opt->app_private_key_pem,
					    opt->installation_id)) != 0) {
			free(r);
			return rc;
		}
	}
	if ((rc = mc_http_new(&r->http, &ho, stats)) != 0) {
		mc_github_app_free(r->app);
		free(r->token);
		free(r);
		return rc;
	}
	*state = r;
	return 0;
}

static void wipe_auth(mc_rest *r)
{
	if (r->auth.buf)
		OPENSSL_cleanse(r->auth.buf, r->auth.alloc);
	mc_strbuf_reset(&r->auth);
}

void mc_rest_close(void *state)
{
	mc_rest *r = state;

	if (!r)
		return;
	mc_http_free(r->http);
	mc_github_app_free(r->app);
	if (r->token) {
		OPENSSL_cleanse(r->token, strlen(r->token));
		free(r->token);
	}
	wipe_auth(r);
	mc_strbuf_release(&r->auth);
	free(r);
}

/* ---- git ---- */

int mc_rest_git_token(void *state, char **token)
{
	mc_rest *r = state;
	const char *current = r->token;
	int rc;

	*token = NULL;
	if (r->app && (rc = mc_github_app_token(r->app, r->http, &current)) != 0)
		return rc;
	*token = current ? mc_xstrdup(current) : NULL;
	return 0;
}

/* ---- calls ---- */

static int authorization(mc_rest *r, const char **out)
{
	const char *token = r->token;
	int rc;

	*out = NULL;
	if (r->app && (rc = mc_github_app_token(r->app, r->http, &token)) != 0)
		return rc;
	if (!token)
		return 0;
	wipe_auth(r);
	mc_strbuf_printf(&r->auth, "%s %s", r->fl->auth_scheme, token);
	*out = r->auth.buf;
	return 0;
}

enum { CALL_IDEMPOTENT = 1, CALL_CONDITIONAL = 2 };

static int call(mc_rest *r, const char *method, const char *url, struct json_object *body,
		int flags, mc_http_response *resp)
{
	mc_http_request req = {.method = method, .url = url};
	int rc;

	req.body = body ? json_object_to_json_string_ext(
				 body, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE) : NULL;
	req.idempotent = (flags & CALL_IDEMPOTENT) != 0;
	req.conditional = (flags & CALL_CONDITIONAL) != 0;
	for (int attempt = 0;; attempt++) {
		if ((rc = authorization(r, &req.authorization)) != 0)
			return rc;
		rc = mc_http_send(r->http, &req, resp);
		wipe_auth(r);
		/* An installation token can be revoked before it expires: renew it once. */
		if (rc == 0 && resp->status == 401 && r->app && attempt == 0) {
			mc_github_app_forget(r->app);
			mc_http_response_clear(resp);
			continue;
		}
		return rc;
	}
}

static int parse_answer(struct json_object **out, const mc_http_response *resp,
			json_type type, const char *what)
{
	int rc = mc_json_parse(out, resp->body, resp->len, ANSWER_MAX, what);

	if (rc != 0)
		return rc;
	if (!json_object_is_type(*out, type)) {
		json_object_put(*out);
		*out = NULL;
		return mc_error_set(MC_EINVAL, "%s: expected a JSON %s", what,
				    type == json_type_array ? "array" : "object");
	}
	return 0;
}

/* ---- pull requests ---- */

static char *dup_field(struct json_object *obj, const char *key)
{
	const char *s = NULL;
	struct json_object *v = mc_json_get(obj, key);

	if (v && json_object_is_type(v, json_type_string))
		s = json_object_get_string(v);
	return s ? mc_xstrdup(s) : NULL;
}

static int is_commit_id(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n != 40 && n != 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

int mc_rest_parse_pr(mc_forge_pr *out, struct json_object *obj, const char *repo)
{
	struct json_object *head = mc_json_get(obj, "head"), *base = mc_json_get(obj, "base");
	struct json_object *user = mc_json_get(obj, "user"), *labels = mc_json_get(obj, "labels");
	struct json_object *number = mc_json_get(obj, "number"), *merged;
	struct json_object *head_repo, *base_repo;

	memset(out, 0, sizeof *out);
	if (!json_object_is_type(obj, json_type_object))
		return mc_error_set(MC_EINVAL, "pull request: not a JSON object");
	if (!number || !json_object_is_type(number, json_type_int) ||
	    json_object_get_int64(number) <= 0)
		return mc_error_set(MC_EINVAL, "pull request: field 'number' is missing");
	if (!json_object_is_type(head, json_type_object) ||
	    !json_object_is_type(base, json_type_object))
		return mc_error_set(MC_EINVAL, "pull request #%lld: field 'head' or 'base' is "
					       "missing", (long long)json_object_get_int64(number));
	out->repo = mc_xstrdup(repo);
	out->number = json_object_get_int64(number);
	out->title = dup_field(obj, "title");
	out->author = user ? dup_field(user, "login") : NULL;
	out->state = dup_field(obj, "state");
	merged = mc_json_get(obj, "merged");
	out->merged = merged ? json_object_get_boolean(merged)
			     : json_object_is_type(mc_json_get(obj, "merged_at"), json_type_string);
	out->head_sha = dup_field(head, "sha");
	out->head_ref = dup_field(head, "ref");
	out->base_ref = dup_field(base, "ref");
	out->base_sha = dup_field(base, "sha");
	out->updated_at = dup_field(obj, "updated_at");
	/* The head repository is null when the fork was deleted: fetch from the base. */
	head_repo = mc_json_get(head, "repo");
	base_repo = mc_json_get(base, "repo");
	if (json_object_is_type(head_repo, json_type_object))
		out->clone_url = dup_field(head_repo, "clone_url");
	if (json_object_is_type(base_repo, json_type_object)) {
		if (!out->clone_url)
			out->clone_url = dup_field(base_repo, "clone_url");
		out->default_branch = dup_field(base_repo, "default_branch");
	}
	if (json_object_is_type(labels, json_type_array)) {
		size_t n = json_object_array_length(labels);
		out->labels = mc_xcalloc(n ? n : 1, sizeof *out->labels);
		for (size_t i = 0; i < n; i++) {
			char *name = dup_field(json_object_array_get_idx(labels, i), "name");
			if (name)
				out->labels[out->nlabels++] = name;
		}
	}
	if (!is_commit_id(out->head_sha) || !out->head_ref || !out->base_ref || !out->state) {
		long long num = (long long)out->number;
		mc_forge_pr_clear(out);
		return mc_error_set(MC_EINVAL, "pull request #%lld: field 'head.sha', 'head.ref', "
					       "'base.ref' or 'state' is missing or malformed", num);
	}
	return 0;
}

/* Is the PR's updated_at before since? Unparsable times count as recent. */
static int updated_before(const mc_forge_pr *pr, time_t since)
{
	time_t t;

	return pr->updated_at && mc_time_parse_rfc3339(&t, pr->updated_at) == 0 && t < since;
}

/* The listing's next page: the Link header, else (Gitea) the next page number while
 * pages come back full. */
static char *next_page(mc_rest *r, const mc_http_response *resp, const char *first,
		       int page, size_t count)
{
	mc_strbuf sb = MC_STRBUF_INIT;

	if (resp->next_url)
		return mc_xstrdup(resp->next_url);
	if (!r->fl->paged_by_number || count < (size_t)r->fl->list_prs_page_size)
		return NULL;
	mc_strbuf_printf(&sb, "%s&page=%d", first, page + 1);
	return mc_strbuf_detach(&sb);
}

/*
 * One page of a listing (what: "open pull requests", "closed issues"): GET url with
 * the ETag, a 200 parsed into the array *list with *resp kept for its Link header.
 * A first page answered 304 sets *not_modified (nothing was updated since the last
 * listing; *resp cleared). Errors leave nothing to clear.
 */
static int list_page(mc_rest *r, const char *url, int page, const char *repo, const char *what,
		     mc_http_response *resp, struct json_object **list, int *not_modified)
{
	char doing[96];
	int rc;

	*list = NULL;
	if (page > MAX_PAGES)
		return mc_error_set(MC_ELIMIT, "%s: more than %d pages of %s", repo, MAX_PAGES, what);
	if ((rc = call(r, "GET", url, NULL, CALL_IDEMPOTENT | CALL_CONDITIONAL, resp)) != 0)
		return rc;
	snprintf(doing, sizeof doing, "listing %s", what);
	if (resp->status != 200)
		rc = mc_http_status_error(resp, doing);
	else if (page == 1 && resp->not_modified)
		*not_modified = 1;
	else if ((rc = parse_answer(list, resp, json_type_array, what)) == 0)
		return 0;
	mc_http_response_clear(resp);
	return rc;
}

int mc_rest_list_open_prs(void *state, const char *repo, const char *since, mc_forge_pr **prs,
			  size_t *n, int *not_modified)
{
	mc_rest *r = state;
	mc_strbuf first = MC_STRBUF_INIT;
	size_t alloc = 0;
	time_t since_t = 0;
	char *url;
	int rc, done = 0;

	if (since && mc_time_parse_rfc3339(&since_t, since) != 0)
		return mc_error_set(MC_EINVAL, "since '%.64s' is not an RFC 3339 time", since);
	if ((rc = repo_path(&first, repo)) != 0)
		return rc;
	mc_strbuf_puts(&first, r->fl->list_prs_query);
	if (r->fl->paged_by_number) {
		mc_strbuf sb = MC_STRBUF_INIT;
		mc_strbuf_printf(&sb, "%s&page=1", first.buf);
		url = mc_strbuf_detach(&sb);
	} else {
		url = mc_xstrdup(first.buf);
	}
	for (int page = 1; url && !done; page++) {
		mc_http_response resp;
		struct json_object *list = NULL;
		size_t count;

		if ((rc = list_page(r, url, page, repo, "open pull requests", &resp, &list,
				    not_modified)) != 0)
			break;
		if (*not_modified)
			break;
		count = json_object_array_length(list);
		for (size_t i = 0; i < count && rc == 0; i++) {
			mc_forge_pr pr;
			if ((rc = mc_rest_parse_pr(&pr, json_object_array_get_idx(list, i), repo)) != 0)
				break;
			/* Most recently updated first: the first older one ends the listing. */
			if (since && updated_before(&pr, since_t)) {
				mc_forge_pr_clear(&pr);
				done = 1;
				break;
			}
			mc_xgrow((void **)prs, &alloc, *n + 1, sizeof **prs);
			(*prs)[(*n)++] = pr;
		}
		free(url);
		url = rc == 0 && !done ? next_page(r, &resp, first.buf, page, count) : NULL;
		json_object_put(list);
		mc_http_response_clear(&resp);
	}
	free(url);
	mc_strbuf_release(&first);
	if (rc != 0) {
		mc_forge_pr_list_free(*prs, *n);
		*prs = NULL;
		*n = 0;
		*not_modified = 0;
		return mc_error_wrap(rc, "%s forge, %s", r->fl->name, repo);
	}
	return 0;
}

int mc_rest_get_pr(void *state, mc_forge_pr *out, const char *repo, int64_t number)
{
	mc_rest *r = state;
	mc_strbuf url = MC_STRBUF_INIT;
	mc_http_response resp = {0};
	struct json_object *doc = NULL;
	int rc;

	if ((rc = repo_path(&url, repo)) != 0)
		return rc;
	mc_strbuf_printf(&url, "/pulls/%lld", (long long)number);
	rc = call(r, "GET", url.buf, NULL, CALL_IDEMPOTENT | CALL_CONDITIONAL, &resp);
	if (rc == 0 && resp.status != 200)
		rc = mc_http_status_error(&resp, "getting the pull request");
	if (rc == 0 && (rc = parse_answer(&doc, &resp, json_type_object, "pull request")) == 0)
		rc = mc_rest_parse_pr(out, doc, repo);
	json_object_put(doc);
	mc_http_response_clear(&resp);
	mc_strbuf_release(&url);
	return rc ? mc_error_wrap(rc, "%s #%lld", repo, (long long)number) : 0;
}

/* ---- comments ---- */

static int comment_id_of(int64_t *id, struct json_object *comment)
{
	struct json_object *v = mc_json_get(comment, "id");

	if (!v || !json_object_is_type(v, json_type_int) || json_object_get_int64(v) <= 0)
		return mc_error_set(MC_EINVAL, "comment: field 'id' is missing");
	*id = json_object_get_int64(v);
	return 0;
}

/* The oldest comment on the PR containing marker: *id 0 when there is none.
 * *text receives its body (free() it). */
static int find_sticky(mc_rest *r, const char *base, int64_t number, const char *marker,
		       int64_t *id, char **text)
{
	mc_strbuf first = MC_STRBUF_INIT;
	char *url;
	int rc = 0;

	*id = 0;
	*text = NULL;
	mc_strbuf_printf(&first, "%s/issues/%lld/comments%s", base, (long long)number,
			 r->fl->paged_by_number ? "" : "?per_page=100");
	url = mc_strbuf_detach(&first);
	for (int page = 1; url && !*id; page++) {
		mc_http_response resp;
		struct json_object *list = NULL;
		size_t count;

		if (page > MAX_PAGES) {
			rc = mc_error_set(MC_ELIMIT, "more than %d pages of comments", MAX_PAGES);
			break;
		}
		if ((rc = call(r, "GET", url, NULL, CALL_IDEMPOTENT | CALL_CONDITIONAL, &resp)) != 0)
			break;
		if (resp.status != 200) {
			rc = mc_http_status_error(&resp, "listing comments");
			mc_http_response_clear(&resp);
			break;
		}
		if ((rc = parse_answer(&list, &resp, json_type_array, "comments")) != 0) {
			mc_http_response_clear(&resp);
			break;
		}
		count = json_object_array_length(list);
		for (size_t i = 0; i < count; i++) {
			struct json_object *c = json_object_array_get_idx(list, i);
			const char *body = mc_json_get_string(c, "body", NULL);
			if (body && strstr(body, marker)) {
				if ((rc = comment_id_of(id, c)) == 0)
					*text = mc_xstrdup(body);
				break;
			}
		}
		free(url);
		url = rc == 0 && resp.next_url ? mc_xstrdup(resp.next_url) : NULL;
		json_object_put(list);
		mc_http_response_clear(&resp);
		if (rc != 0)
			break;
	}
	free(url);
	return rc;
}

static struct json_object *body_doc(const char *body)
{
	struct json_object *doc = json_object_new_object();

	mc_json_set_string(doc, "body", body);
	return doc;
}

static int edit_comment(mc_rest *r, const char *base, int64_t id, const char *body)
{
	mc_strbuf url = MC_STRBUF_INIT;
	struct json_object *doc = body_doc(body);
	mc_http_response resp;
	int rc;

	mc_strbuf_printf(&url, "%s/issues/comments/%lld", base, (long long)id);
	rc = call(r, "PATCH", url.buf, doc, CALL_IDEMPOTENT, &resp);
	if (rc == 0 && resp.status != 200)
		rc = mc_http_status_error(&resp, "editing the comment");
	mc_http_response_clear(&resp);
	json_object_put(doc);
	mc_strbuf_release(&url);
	return rc;
}

static int create_comment(mc_rest *r, const char *base, int64_t number, const char *body,
			  int64_t *id)
{
	mc_strbuf url = MC_STRBUF_INIT;
	struct json_object *doc = body_doc(body), *answer = NULL;
	mc_http_response resp;
	int rc;

	mc_strbuf_printf(&url, "%s/issues/%lld/comments", base, (long long)number);
	rc = call(r, "POST", url.buf, doc, 0, &resp);
	if (rc == 0 && resp.status != 201 && resp.status != 200)
		rc = mc_http_status_error(&resp, "creating the comment");
	if (rc == 0 && (rc = parse_answer(&answer, &resp, json_type_object, "new comment")) == 0)
		rc = comment_id_of(id, answer);
	json_object_put(answer);
	mc_http_response_clear(&resp);
	json_object_put(doc);
	mc_strbuf_release(&url);
	return rc;
}

static int check_comment_body(const char *body)
{
	if (strlen(body) > COMMENT_MAX_BYTES)
		return mc_error_set(MC_ELIMIT, "comment body exceeds %u bytes", COMMENT_MAX_BYTES);
	return 0;
}

int mc_rest_upsert_sticky_comment(void *state, const char *repo, int64_t number,
				  const char *marker, const char *body, int *changed,
				  int64_t *comment_id)
{
	mc_rest *r = state;
	mc_strbuf base = MC_STRBUF_INIT;
	char *text = NULL;
	int64_t id = 0;
	int rc;

	if ((rc = check_comment_body(body)) != 0 || (rc = repo_path(&base, repo)) != 0)
		return rc;
	if ((rc = find_sticky(r, base.buf, number, marker, &id, &text)) != 0)
		goto out;
	for (int attempt = 0; !id; attempt++) {
		if ((rc = create_comment(r, base.buf, number, body, &id)) == 0) {
			*changed = 1;
			goto out;
		}
		if (rc != MC_EIO || attempt > 0)
			goto out;
		/* The forge may have created it before failing: look before posting again. */
		mc_log(MC_LOG_WARN, "forge.sticky.recheck", "repo", repo, "error",
		       mc_error_message(), NULL);
		if ((rc = find_sticky(r, base.buf, number, marker, &id, &text)) != 0)
			goto out;
	}
	if (strcmp(text, body) != 0) {
		if ((rc = edit_comment(r, base.buf, id, body)) != 0)
			goto out;
		*changed = 1;
	}
out:
	if (rc == 0)
		*comment_id = id;
	free(text);
	mc_strbuf_release(&base);
	return rc ? mc_error_wrap(rc, "sticky comment on %s #%lld", repo, (long long)number) : 0;
}

int mc_rest_comment(void *state, const char *repo, int64_t number, const char *body,
		    int64_t *comment_id)
{
	mc_rest *r = state;
	mc_strbuf base = MC_STRBUF_INIT;
	int rc;

	if ((rc = check_comment_body(body)) != 0 || (rc = repo_path(&base, repo)) != 0)
		return rc;
	rc = create_comment(r, base.buf, number, body, comment_id);
	mc_strbuf_release(&base);
	return rc ? mc_error_wrap(rc, "comment on %s #%lld", repo, (long long)number) : 0;
}

/* ---- statuses, reactions, permissions ---- */

int mc_rest_set_status(void *state, const char *repo, const char *sha, const char *context,
		       const char *state_name, const char *description, const char *target_url)
{
	mc_rest *r = state;
	mc_strbuf url = MC_STRBUF_INIT;
	struct json_object *doc;
	mc_http_response resp;
	int rc;

	if ((rc = repo_path(&url, repo)) != 0)
		return rc;
	mc_strbuf_printf(&url, "/statuses/%s", sha);
	doc = json_object_new_object();
	mc_json_set_string(doc, "state", state_name);
	mc_json_set_string(doc, "context", context);
	mc_json_set_string(doc, "description", description);
	if (target_url && *target_url)
		mc_json_set_string(doc, "target_url", target_url);
	/* Setting the same status twice is harmless: the call may be repeated. */
	rc = call(r, "POST", url.buf, doc, CALL_IDEMPOTENT, &resp);
	if (rc == 0 && resp.status != 201 && resp.status != 200)
		rc = mc_http_status_error(&resp, "setting the commit status");
	mc_http_response_clear(&resp);
	json_object_put(doc);
	mc_strbuf_release(&url);
	return rc ? mc_error_wrap(rc, "status %s on %s@%.12s", context, repo, sha) : 0;
}

int mc_rest_react(void *state, const char *repo, int64_t comment_id, const char *content)
{
	static const char *const reactions[] = {"+1",    "-1",     "laugh",  "confused",
						"heart", "hooray", "rocket", "eyes"};
	mc_rest *r = state;
	mc_strbuf url = MC_STRBUF_INIT;
	struct json_object *doc;
	mc_http_response resp;
	int rc, known = 0;

	for (size_t i = 0; i < sizeof reactions / sizeof reactions[0]; i++)
		known |= strcmp(content, reactions[i]) == 0;
	if (!known)
		return mc_error_set(MC_EINVAL, "reaction '%.32s' is not one of +1, -1, laugh, "
					       "confused, heart, hooray, rocket, eyes", content);
	if ((rc = repo_path(&url, repo)) != 0)
		return rc;
	mc_strbuf_printf(&url, "/issues/comments/%lld/reactions", (long long)comment_id);
	doc = json_object_new_object();
	mc_json_set_string(doc, "content", content);
	/* A repeated reaction is answered 200 with the existing one. */
	rc = call(r, "POST", url.buf, doc, CALL_IDEMPOTENT, &resp);
	if (rc == 0 && resp.status != 201 && resp.status != 200)
		rc = mc_http_status_error(&resp, "reacting to the comment");
	mc_http_response_clear(&resp);
	json_object_put(doc);
	mc_strbuf_release(&url);
	return rc ? mc_error_wrap(rc, "reaction on %s comment %lld", repo, (long long)comment_id)
		  : 0;
}

int mc_rest_permission(void *state, char **permission, const char *repo, const char *user)
{
	mc_rest *r = state;
	mc_strbuf url = MC_STRBUF_INIT;
	mc_http_response resp = {0};
	struct json_object *doc = NULL;
	const char *p;
	int rc;

	if (strlen(user) > NAME_MAX_LEN)
		return mc_error_set(MC_EINVAL, "user name longer than %d characters", NAME_MAX_LEN);
	if ((rc = repo_path(&url, repo)) != 0)
		return rc;
	mc_strbuf_puts(&url, "/collaborators/");
	mc_rest_escape(&url, user);
	mc_strbuf_puts(&url, "/permission");
	rc = call(r, "GET", url.buf, NULL, CALL_IDEMPOTENT | CALL_CONDITIONAL, &resp);
	if (rc == 0 && resp.status == 404) {
		/* Not a collaborator (or no such user): no permission. */
		*permission = mc_xstrdup("none");
	} else if (rc == 0 && resp.status != 200) {
		rc = mc_http_status_error(&resp, "collaborator permission");
	} else if (rc == 0 &&
		   (rc = parse_answer(&doc, &resp, json_type_object, "permission")) == 0) {
		if ((p = r->fl->permission_of(doc)) != NULL)
			*permission = mc_xstrdup(p);
		else
			rc = mc_error_set(MC_EINVAL, "permission answer: field 'permission' is "
						     "missing or unknown");
	}
	json_object_put(doc);
	mc_http_response_clear(&resp);
	mc_strbuf_release(&url);
	return rc ? mc_error_wrap(rc, "%s on %s", user, repo) : 0;
}

/* ---- issues ---- */

/* A label is an object with a name (GitHub, Gitea) or, in GitHub's issue shapes, may
 * be a bare string. */
static void parse_labels(char ***out, size_t *n, struct json_object *labels)
{
	size_t count;

	*out = NULL;
	*n = 0;
	if (!json_object_is_type(labels, json_type_array))
		return;
	count = json_object_array_length(labels);
	*out = mc_xcalloc(count ? count : 1, sizeof **out);
	for (size_t i = 0; i < count; i++) {
		struct json_object *l = json_object_array_get_idx(labels, i);
		char *name = json_object_is_type(l, json_type_string) ? mc_xstrdup(json_object_get_string(l))
								       : dup_field(l, "name");
		if (name)
			(*out)[(*n)++] = name;
	}
}

/* The body, cut to MC_FORGE_ISSUE_BODY_MAX bytes at a character boundary. */
static char *bounded_body(struct json_object *obj, int *cut)
{
	struct json_object *v = mc_json_get(obj, "body");
	const char *s = v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
	size_t n = strlen(s);

	*cut = n > MC_FORGE_ISSUE_BODY_MAX;
	if (!*cut)
		return mc_xstrdup(s);
	n = MC_FORGE_ISSUE_BODY_MAX;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return mc_xstrndup(s, n);
}

int mc_rest_parse_issue(mc_forge_issue *out, int *is_pull, struct json_object *obj,
			const char *repo)
{
	struct json_object *number = mc_json_get(obj, "number"), *user = mc_json_get(obj, "user");
	struct json_object *pull = mc_json_get(obj, "pull_request");

	memset(out, 0, sizeof *out);
	*is_pull = 0;
	if (!json_object_is_type(obj, json_type_object))
		return mc_error_set(MC_EINVAL, "issue: not a JSON object");
	if (!number || !json_object_is_type(number, json_type_int) ||
	    json_object_get_int64(number) <= 0)
		return mc_error_set(MC_EINVAL, "issue: field 'number' is missing");
	/* GitHub lists pull requests among issues, marked by a pull_request object. */
	if (pull && !json_object_is_type(pull, json_type_null)) {
		*is_pull = 1;
		return 0;
	}
	out->repo = mc_xstrdup(repo);
	out->number = json_object_get_int64(number);
	out->title = dup_field(obj, "title");
	out->author = user ? dup_field(user, "login") : NULL;
	out->state = dup_field(obj, "state");
	out->updated_at = dup_field(obj, "updated_at");
	out->body = bounded_body(obj, &out->body_cut);
	parse_labels(&out->labels, &out->nlabels, mc_json_get(obj, "labels"));
	if (!out->state || (strcmp(out->state, "open") != 0 && strcmp(out->state, "closed") != 0)) {
		long long num = (long long)out->number;
		mc_forge_issue_clear(out);
		return mc_error_set(MC_EINVAL, "issue #%lld: field 'state' is missing or not open "
					       "or closed", num);
	}
	return 0;
}

/* Page 1 of a listing of issues in state updated since (may be NULL). */
static int issues_url(mc_rest *r, mc_strbuf *first, const char *repo, const char *state,
		      const char *since)
{
	int rc;

	if ((rc = repo_path(first, repo)) != 0)
		return rc;
	mc_strbuf_puts(first, r->fl->list_issues_query);
	mc_strbuf_puts(first, "&state=");
	mc_rest_escape(first, state);
	if (since) {
		mc_strbuf_puts(first, "&since=");
		mc_rest_escape(first, since);
	}
	return 0;
}

/* Keep one listed entry: pull requests are dropped, and entries older than since
 * (the forge filters by since itself; this guards a forge that does not). */
static int take_issue(mc_forge_issue **issues, size_t *n, size_t *alloc, struct json_object *obj,
		      const char *repo, const char *since, time_t since_t)
{
	mc_forge_issue issue;
	time_t t;
	int is_pull, rc;

	if ((rc = mc_rest_parse_issue(&issue, &is_pull, obj, repo)) != 0 || is_pull)
		return rc;
	if (since && issue.updated_at && mc_time_parse_rfc3339(&t, issue.updated_at) == 0 &&
	    t < since_t) {
		mc_forge_issue_clear(&issue);
		return 0;
	}
	mc_xgrow((void **)issues, alloc, *n + 1, sizeof **issues);
	(*issues)[(*n)++] = issue;
	return 0;
}

int mc_rest_list_issues(void *state, const char *repo, const char *state_name, const char *since,
			mc_forge_issue **issues, size_t *n, int *not_modified)
{
	mc_rest *r = state;
	mc_strbuf first = MC_STRBUF_INIT, what = MC_STRBUF_INIT;
	size_t alloc = 0;
	time_t since_t = 0;
	char *url = NULL;
	int rc;

	if (since && mc_time_parse_rfc3339(&since_t, since) != 0)
		return mc_error_set(MC_EINVAL, "since '%.64s' is not an RFC 3339 time", since);
	if ((rc = issues_url(r, &first, repo, state_name, since)) != 0) {
		mc_strbuf_release(&first);
		return rc;
	}
	if (r->fl->paged_by_number) {
		mc_strbuf sb = MC_STRBUF_INIT;
		mc_strbuf_printf(&sb, "%s&page=1", first.buf);
		url = mc_strbuf_detach(&sb);
	} else {
		url = mc_xstrdup(first.buf);
	}
	mc_strbuf_printf(&what, "%s issues", state_name);
	for (int page = 1; url; page++) {
		mc_http_response resp;
		struct json_object *list = NULL;
		size_t count;

		if ((rc = list_page(r, url, page, repo, what.buf, &resp, &list, not_modified)) != 0)
			break;
		if (*not_modified)
			break;
		count = json_object_array_length(list);
		for (size_t i = 0; i < count && rc == 0; i++)
			rc = take_issue(issues, n, &alloc, json_object_array_get_idx(list, i), repo,
					since, since_t);
		free(url);
		/* Page sizes count pull requests too (GitHub), so a full page means more. */
		url = rc == 0 ? next_page(r, &resp, first.buf, page, count) : NULL;
		json_object_put(list);
		mc_http_response_clear(&resp);
	}
	free(url);
	mc_strbuf_release(&first);
	mc_strbuf_release(&what);
	if (rc != 0) {
		mc_forge_issue_list_free(*issues, *n);
		*issues = NULL;
		*n = 0;
		*not_modified = 0;
		return mc_error_wrap(rc, "%s forge, %s", r->fl->name, repo);
	}
	return 0;
}

int mc_rest_get_issue(void *state, mc_forge_issue *out, const char *repo, int64_t number)
{
	mc_rest *r = state;
	mc_strbuf url = MC_STRBUF_INIT;
	mc_http_response resp = {0};
	struct json_object *doc = NULL;
	int rc, is_pull = 0;

	if ((rc = repo_path(&url, repo)) != 0)
		return rc;
	mc_strbuf_printf(&url, "/issues/%lld", (long long)number);
	rc = call(r, "GET", url.buf, NULL, CALL_IDEMPOTENT | CALL_CONDITIONAL, &resp);
	if (rc == 0 && resp.status == 404)
		rc = mc_error_set(MC_ENOTFOUND, "no such issue");
	else if (rc == 0 && resp.status != 200)
		rc = mc_http_status_error(&resp, "getting the issue");
	if (rc == 0 && (rc = parse_answer(&doc, &resp, json_type_object, "issue")) == 0 &&
	    (rc = mc_rest_parse_issue(out, &is_pull, doc, repo)) == 0 && is_pull)
		rc = mc_error_set(MC_EINVAL, "it is a pull request, not an issue");
	json_object_put(doc);
	mc_http_response_clear(&resp);
	mc_strbuf_release(&url);
	return rc ? mc_error_wrap(rc, "%s issue #%lld", repo, (long long)number) : 0;
}
