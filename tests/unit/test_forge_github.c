/*
 * The GitHub and Gitea drivers against the forge test server (tests/forge/,
 * started with run-server), which checks every request against GitHub's official
 * OpenAPI description (Gitea: its swagger subset) and answers like the forge.
 * Each forge.h operation, Link pagination, ETag/304, a 403 secondary limit, 429
 * with Retry-After, 502 retries, a slow answer against the timeout, and (GitHub)
 * a GitHub App's JWT traded for an installation token, which is also the token
 * git fetches with. After each test the server's control API must report no
 * OpenAPI violation and no invalid answer of its own.
 */
#include <curl/curl.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "adapters/forge/forge.h"
#include "testutil.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/json.h"
#include "util/secret.h"
#include "util/strbuf.h"

#define NPRS 150  /* two GitHub pages of 100, three Gitea pages of 50 */

typedef struct server {
	char *dir;
	int port;
	int gitea;
	char base[128];      /* http://127.0.0.1:PORT */
	char api[160];       /* the API root the driver is given */
	char *app_pem;       /* the App's private key (GitHub) */
} server;

typedef struct sleeps {
	int n;
	double total, last;
} sleeps;

static void record_sleep(double seconds, void *ctx)
{
	sleeps *s = ctx;
	s->n++;
	s->total += seconds;
	s->last = seconds;
}

/* ---- the control API, with libcurl ---- */

static size_t collect(char *data, size_t size, size_t n, void *ctx)
{
	mc_strbuf *sb = ctx;
	mc_strbuf_add(sb, data, size * n);
	return size * n;
}

/* method path [json]: the answer parsed (NULL when it is not JSON). */
static struct json_object *control(const server *s, const char *method, const char *path,
				   const char *json)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	mc_strbuf sb = MC_STRBUF_INIT, url = MC_STRBUF_INIT;
	struct json_object *doc;

	mc_strbuf_printf(&url, "%s/_control/%s", s->base, path);
	curl_easy_setopt(c, CURLOPT_URL, url.buf);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
	if (json)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &sb);
	ck_assert_int_eq(curl_easy_perform(c), CURLE_OK);
	doc = json_tokener_parse(sb.buf ? sb.buf : "");
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	mc_strbuf_release(&sb);
	mc_strbuf_release(&url);
	return doc;
}

static void control_ok(const server *s, const char *method, const char *path, const char *json)
{
	struct json_object *doc = control(s, method, path, json);
	if (doc)
		json_object_put(doc);
}

/* The server saw no request against the description and gave no invalid answer. */
static void assert_clean(const server *s)
{
	const char *lists[] = {"violations", "response-errors"};

	for (size_t i = 0; i < 2; i++) {
		struct json_object *doc = control(s, "GET", lists[i], NULL);
		ck_assert_ptr_nonnull(doc);
		ck_assert_msg(json_object_array_length(doc) == 0, "%s: %s", lists[i],
			      json_object_to_json_string(doc));
		json_object_put(doc);
	}
}

/* Requests the server answered whose path matches pattern (a substring) and method. */
static int count_requests(const server *s, const char *method, const char *pattern)
{
	struct json_object *doc = control(s, "GET", "requests", NULL);
	int n = 0;

	for (size_t i = 0; i < json_object_array_length(doc); i++) {
		struct json_object *r = json_object_array_get_idx(doc, i);
		if (strcmp(mc_json_get_string(r, "method", ""), method) == 0 &&
		    strstr(mc_json_get_string(r, "path", ""), pattern))
			n++;
	}
	json_object_put(doc);
	return n;
}

/* ---- the server ---- */

static char *rsa_keys(char **public_pem)
{
	EVP_PKEY *key = EVP_RSA_gen(2048);
	BIO *priv = BIO_new(BIO_s_mem()), *pub = BIO_new(BIO_s_mem());
	char *p, *out;
	long n;

	ck_assert_ptr_nonnull(key);
	PEM_write_bio_PrivateKey(priv, key, NULL, NULL, 0, NULL, NULL);
	PEM_write_bio_PUBKEY(pub, key);
	n = BIO_get_mem_data(priv, &p);
	out = mc_xstrndup(p, (size_t)n);
	n = BIO_get_mem_data(pub, &p);
	*public_pem = mc_xstrndup(p, (size_t)n);
	BIO_free(priv);
	BIO_free(pub);
	EVP_PKEY_free(key);
	return out;
}

static void write_seed(const char *path, const char *public_pem)
{
	struct json_object *seed = json_object_new_object(), *tokens = json_object_new_object();
	struct json_object *app = json_object_new_object(), *inst = json_object_new_array();
	struct json_object *repos = json_object_new_array(), *repo = json_object_new_object();
	struct json_object *collab = json_object_new_object(), *pulls = json_object_new_array();
	FILE *f;

	json_object_object_add(tokens, "ghp_test", json_object_new_string("maestro-bot"));
	json_object_object_add(seed, "tokens", tokens);
	json_object_object_add(app, "id", json_object_new_int(4242));
	json_object_object_add(app, "slug", json_object_new_string("maestro"));
	json_object_object_add(app, "public_key_pem", json_object_new_string(public_pem));
	json_object_array_add(inst, json_object_new_int(77));
	json_object_object_add(app, "installations", inst);
	json_object_object_add(seed, "app", app);
	json_object_object_add(repo, "owner", json_object_new_string("acme"));
	json_object_object_add(repo, "name", json_object_new_string("widgets"));
	json_object_object_add(collab, "alice", json_object_new_string("write"));
	json_object_object_add(collab, "dave", json_object_new_string("maintain"));
	json_object_object_add(collab, "bob", json_object_new_string("read"));
	json_object_object_add(collab, "maestro-bot", json_object_new_string("write"));
	json_object_object_add(repo, "collaborators", collab);
	/* PR n updated on a day that falls as n grows; PR NPRS+1 is closed. */
	for (int n = 1; n <= NPRS + 1; n++) {
		struct json_object *p = json_object_new_object(), *head = json_object_new_object();
		struct json_object *base = json_object_new_object();
		char sha[41], ref[32], at[32];
		snprintf(sha, sizeof sha, "%040x", n);
		snprintf(ref, sizeof ref, "feat-%d", n);
		snprintf(at, sizeof at, "2024-%02d-%02dT00:00:00Z", 12 - (n - 1) / 28, 28 - (n - 1) % 28);
		json_object_object_add(p, "number", json_object_new_int(n));
		json_object_object_add(p, "user", json_object_new_string("alice"));
		json_object_object_add(p, "state", json_object_new_string(n > NPRS ? "closed" : "open"));
		json_object_object_add(head, "ref", json_object_new_string(ref));
		json_object_object_add(head, "sha", json_object_new_string(sha));
		json_object_object_add(base, "ref", json_object_new_string("main"));
		json_object_object_add(base, "sha", json_object_new_string("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"));
		json_object_object_add(p, "head", head);
		json_object_object_add(p, "base", base);
		json_object_object_add(p, "updated_at", json_object_new_string(at));
		json_object_array_add(pulls, p);
	}
	json_object_object_add(repo, "pulls", pulls);
	json_object_array_add(repos, repo);
	json_object_object_add(seed, "repos", repos);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(json_object_to_json_string(seed), f);
	fclose(f);
	json_object_put(seed);
}

static server *server_start(int gitea)
{
	server *s = calloc(1, sizeof *s);
	const char *src = getenv("MAESTRO_SOURCE_DIR");
	char cmd[4096], path[1024], *public_pem = NULL;
	FILE *f;

	ck_assert_msg(src != NULL, "MAESTRO_SOURCE_DIR is not set");
	s->gitea = gitea;
	s->dir = mc_test_tmpdir();
	s->app_pem = rsa_keys(&public_pem);
	snprintf(path, sizeof path, "%s/seed.json", s->dir);
	write_seed(path, public_pem);
	free(public_pem);
	snprintf(cmd, sizeof cmd,
		 "'%s/tests/forge/run-server' --port-file '%s/port' --pid-file '%s/pid' "
		 "--log '%s/log' --seed '%s' --flavor %s --watch-pid %ld --timeout 60 >/dev/null",
		 src, s->dir, s->dir, s->dir, path, gitea ? "gitea" : "github", (long)getpid());
	ck_assert_msg(system(cmd) == 0, "run-server failed (is tests/forge/node_modules installed? "
					"run scripts/deps)");
	snprintf(path, sizeof path, "%s/port", s->dir);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fscanf(f, "%d", &s->port), 1);
	fclose(f);
	snprintf(s->base, sizeof s->base, "http://127.0.0.1:%d", s->port);
	snprintf(s->api, sizeof s->api, "%s%s", s->base, gitea ? "/api/v1" : "");
	return s;
}

static void server_stop(server *s)
{
	char path[1024];
	FILE *f;
	long pid = 0;

	snprintf(path, sizeof path, "%s/pid", s->dir);
	if ((f = fopen(path, "r")) != NULL) {
		if (fscanf(f, "%ld", &pid) == 1 && pid > 0)
			kill((pid_t)pid, SIGTERM);
		fclose(f);
	}
	mc_test_rmtree(s->dir);
	free(s->dir);
	free(s->app_pem);
	free(s);
}

static mc_forge *open_forge(const server *s, sleeps *sl, long timeout_ms)
{
	mc_forge_options opt = {0};
	mc_forge *forge = NULL;

	opt.kind = s->gitea ? MC_FORGE_GITEA : MC_FORGE_GITHUB;
	opt.api_url = s->api;
	opt.token = "ghp_test";
	opt.user_agent = "maestro-test";
	opt.timeout_ms = timeout_ms;
	opt.sleep_fn = record_sleep;
	opt.sleep_ctx = sl;
	ck_assert_msg(mc_forge_open(&forge, &opt) == 0, "%s", mc_error_message());
	return forge;
}

/* ---- the tests, each for _i = 0 (GitHub) and 1 (Gitea) ---- */

START_TEST(every_operation_against_the_description)
{
	server *s = server_start(_i);
	sleeps sl = {0};
	mc_forge *forge = open_forge(s, &sl, 0);
	mc_forge_pr *prs = NULL, pr;
	mc_forge_stats st;
	size_t n = 0;
	int not_modified = 0, changed = 0;
	int64_t id = 0, id2 = 0, reply = 0;
	char *perm = NULL, *token = NULL;

	/* Every open PR across the pages, most recently updated first; then 304. */
	ck_assert_msg(mc_forge_list_open_prs(forge, "acme/widgets", NULL, &prs, &n, &not_modified) == 0,
		      "%s", mc_error_message());
	ck_assert_int_eq(n, NPRS);
	ck_assert_int_eq(not_modified, 0);
	ck_assert_int_eq(prs[0].number, 1);
	ck_assert_int_eq(prs[NPRS - 1].number, NPRS);
	mc_forge_pr_list_free(prs, n);
	prs = NULL;
	n = 0;
	ck_assert_int_ge(count_requests(s, "GET", "/pulls"), _i ? 3 : 2);
	ck_assert_int_eq(mc_forge_list_open_prs(forge, "acme/widgets", NULL, &prs, &n, &not_modified), 0);
	if (!_i) {  /* Gitea sends no ETags */
		ck_assert_int_eq(not_modified, 1);
		ck_assert_int_eq(n, 0);
		mc_forge_get_stats(forge, &st);
		ck_assert_int_ge(st.not_modified, 1);
	}
	mc_forge_pr_list_free(prs, n);
	prs = NULL;
	n = 0;
	/* since: only the PRs updated on or after it (a new handle: this one's ETag says
	 * nothing changed since its last listing). */
	{
		mc_forge *fresh = open_forge(s, &sl, 0);
		prs = NULL;
		n = 0;
		ck_assert_int_eq(mc_forge_list_open_prs(fresh, "acme/widgets", "2024-12-27T00:00:00Z",
							&prs, &n, &not_modified), 0);
		ck_assert_int_eq(n, 2);
		mc_forge_pr_list_free(prs, n);
		mc_forge_close(fresh);
	}

	ck_assert_int_eq(mc_forge_get_pr(forge, &pr, "acme/widgets", 7), 0);
	ck_assert_str_eq(pr.head_ref, "feat-7");
	ck_assert_str_eq(pr.state, "open");
	mc_forge_pr_clear(&pr);

	/* The sticky comment: created once, left alone, edited in place. */
	ck_assert_int_eq(mc_forge_upsert_sticky_comment(forge, "acme/widgets", 7, "<!-- m -->",
							"<!-- m -->\none", &changed, &id), 0);
	ck_assert_int_eq(changed, 1);
	changed = 0;
	ck_assert_int_eq(mc_forge_upsert_sticky_comment(forge, "acme/widgets", 7, "<!-- m -->",
							"<!-- m -->\none", &changed, &id2), 0);
	ck_assert_int_eq(changed, 0);
	ck_assert_int_eq(id, id2);
	ck_assert_int_eq(mc_forge_upsert_sticky_comment(forge, "acme/widgets", 7, "<!-- m -->",
							"<!-- m -->\ntwo", &changed, &id2), 0);
	ck_assert_int_eq(changed, 1);
	ck_assert_int_eq(id, id2);
	ck_assert_int_eq(count_requests(s, "POST", "/issues/7/comments"), 1);
	ck_assert_int_eq(count_requests(s, "PATCH", "/issues/comments/"), 1);

	ck_assert_int_eq(mc_forge_comment(forge, "acme/widgets", 7, "a reply", &reply), 0);
	ck_assert_int_gt(reply, id);
	ck_assert_msg(mc_forge_react(forge, "acme/widgets", reply, "+1") == 0, "%s", mc_error_message());
	ck_assert_int_eq(mc_forge_react(forge, "acme/widgets", reply, "+1"), 0);  /* 200 again */
	ck_assert_msg(mc_forge_set_status(forge, "acme/widgets",
					  "0000000000000000000000000000000000000007", "maestro/decision",
					  "success", "every gate passed", NULL) == 0,
		      "%s", mc_error_message());

	ck_assert_int_eq(mc_forge_permission(forge, &perm, "acme/widgets", "alice", 0), 0);
	ck_assert_str_eq(perm, "write");
	free(perm);
	ck_assert_int_eq(mc_forge_permission(forge, &perm, "acme/widgets", "dave", 0), 0);
	ck_assert_str_eq(perm, _i ? "write" : "maintain");
	free(perm);
	ck_assert_int_eq(mc_forge_permission(forge, &perm, "acme/widgets", "acme", 0), 0);
	ck_assert_str_eq(perm, "admin");
	free(perm);
	ck_assert_int_eq(mc_forge_permission(forge, &perm, "acme/widgets", "stranger", 0), 0);
	ck_assert_str_eq(perm, "none");
	free(perm);

	ck_assert_int_eq(mc_forge_git_token(forge, &token), 0);
	ck_assert_str_eq(token, "ghp_test");
	mc_secret_free(token);
	ck_assert_int_eq(sl.n, 0);
	assert_clean(s);
	mc_forge_close(forge);
	server_stop(s);
}
END_TEST

START_TEST(rate_limits_server_errors_and_slow_answers)
{
	server *s = server_start(_i);
	sleeps sl = {0};
	mc_forge *forge = open_forge(s, &sl, 1000);
	mc_forge_stats st;
	mc_forge_pr pr;
	const char *pulls = _i ? "/api/v1/repos/acme/widgets/pulls/3$" : "/repos/acme/widgets/pulls/3$";
	char faults[1024];

	/* A 403 secondary limit, then a 429 with Retry-After: 7: both waited out. */
	snprintf(faults, sizeof faults,
		 "[{\"method\": \"GET\", \"path_regex\": \"%s\", \"status\": 403},"
		 " {\"method\": \"GET\", \"path_regex\": \"%s\", \"status\": 429,"
		 "  \"headers\": {\"Retry-After\": \"7\"}}]", pulls, pulls);
	control_ok(s, "POST", "faults", faults);
	ck_assert_msg(mc_forge_get_pr(forge, &pr, "acme/widgets", 3) == 0, "%s", mc_error_message());
	mc_forge_pr_clear(&pr);
	mc_forge_get_stats(forge, &st);
	ck_assert_int_eq(st.rate_limited, 2);
	ck_assert_int_eq(sl.n, 2);
	ck_assert_msg(sl.last >= 7.0, "Retry-After 7 was waited %.1f s", sl.last);

	/* Two 502s are retried; a third answer succeeds. */
	snprintf(faults, sizeof faults,
		 "[{\"method\": \"GET\", \"path_regex\": \"%s\", \"status\": 502, \"count\": 2}]", pulls);
	control_ok(s, "POST", "faults", faults);
	ck_assert_int_eq(mc_forge_get_pr(forge, &pr, "acme/widgets", 3), 0);
	mc_forge_pr_clear(&pr);
	mc_forge_get_stats(forge, &st);
	ck_assert_int_eq(st.retries, 2);

	/* 502s beyond the retry budget fail the call. */
	snprintf(faults, sizeof faults,
		 "[{\"method\": \"GET\", \"path_regex\": \"%s\", \"status\": 502, \"count\": 20}]", pulls);
	control_ok(s, "POST", "faults", faults);
	ck_assert_int_ne(mc_forge_get_pr(forge, &pr, "acme/widgets", 3), 0);
	control_ok(s, "DELETE", "faults", NULL);

	/* A slow answer beyond the 1 s timeout is retried; a slow one within it is fine. */
	snprintf(faults, sizeof faults,
		 "[{\"method\": \"GET\", \"path_regex\": \"%s\", \"delay_ms\": 3000},"
		 " {\"method\": \"GET\", \"path_regex\": \"%s\", \"delay_ms\": 300}]", pulls, pulls);
	control_ok(s, "POST", "faults", faults);
	mc_forge_get_stats(forge, &st);
	{
		uint64_t retries = st.retries;
		ck_assert_msg(mc_forge_get_pr(forge, &pr, "acme/widgets", 3) == 0, "%s",
			      mc_error_message());
		mc_forge_pr_clear(&pr);
		mc_forge_get_stats(forge, &st);
		ck_assert_int_eq(st.retries, retries + 1);
	}
	assert_clean(s);
	mc_forge_close(forge);
	server_stop(s);
}
END_TEST

START_TEST(github_app_installation_token_for_the_api_and_git)
{
	server *s = server_start(0);
	sleeps sl = {0};
	mc_forge_options opt = {0};
	mc_forge *forge = NULL;
	mc_forge_pr pr;
	int64_t id = 0;
	int changed = 0;
	char *token = NULL;
	struct json_object *state;

	opt.kind = MC_FORGE_GITHUB;
	opt.api_url = s->api;
	opt.app_id = "4242";
	opt.app_private_key_pem = s->app_pem;
	opt.installation_id = 77;
	opt.sleep_fn = record_sleep;
	opt.sleep_ctx = &sl;
	ck_assert_int_eq(mc_forge_open(&forge, &opt), 0);
	ck_assert_msg(mc_forge_get_pr(forge, &pr, "acme/widgets", 1) == 0, "%s", mc_error_message());
	mc_forge_pr_clear(&pr);
	ck_assert_int_eq(mc_forge_upsert_sticky_comment(forge, "acme/widgets", 1, "<!-- m -->",
							"<!-- m -->\ncard", &changed, &id), 0);
	ck_assert_int_eq(mc_forge_git_token(forge, &token), 0);
	ck_assert_ptr_nonnull(token);
	ck_assert_msg(strncmp(token, "ghs_", 4) == 0, "git token is not an installation token");
	mc_secret_free(token);
	/* One token for all of it: cached. */
	ck_assert_int_eq(count_requests(s, "POST", "/app/installations/77/access_tokens"), 1);
	/* The comment was made as the App's bot. */
	state = control(s, "GET", "state", NULL);
	{
		struct json_object *comments =
			mc_json_get(json_object_array_get_idx(mc_json_get(state, "repos"), 0), "comments");
		ck_assert_int_eq(json_object_array_length(comments), 1);
		ck_assert_str_eq(mc_json_get_string(json_object_array_get_idx(comments, 0), "user", ""),
				 "maestro[bot]");
	}
	json_object_put(state);
	assert_clean(s);
	mc_forge_close(forge);
	server_stop(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("forge_github");
	TCase *tc = tcase_create("against the forge test server");

	curl_global_init(CURL_GLOBAL_DEFAULT);
	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, every_operation_against_the_description, 0, 2);
	tcase_add_loop_test(tc, rate_limits_server_errors_and_slow_answers, 0, 2);
	tcase_add_test(tc, github_app_installation_token_for_the_api_and_git);
	suite_add_tcase(s, tc);
	return mc_test_run(s);
}
