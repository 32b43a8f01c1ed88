/*
 * The poller, a daemon service: every --poll seconds it lists the open pull
 * requests of each configured repository updated since its cursor (an ETag makes
 * an unchanged listing cost nothing) and queues one "poll" event per PR head not
 * seen before (delivery id "poll:<repo>#<n>@<head>", so the queue's
 * de-duplication drops heads already queued by an earlier poll). It serves hosts
 * that cannot receive webhooks, and reconciles in webhook mode: forges do not
 * redeliver a webhook that failed. The cursor moves only after the events are
 * committed, and a minute back from the newest update seen, because forges'
 * updated_at and listing order are not exact at the edges.
 *
 * Issues (GitHub, Gitea; the local forge has none) are polled the same way with a
 * cursor of their own ("<repo>!issues"): the open issues updated since it, and the
 * issues closed since it (so a closure is seen without webhooks), each queued as a
 * "poll_issue" event (delivery id "poll_issue:<repo>!<n>@<updated_at>/<digest>": an
 * issue not changed since it was queued is not queued again; the digest of what the
 * listing shows of it tells apart two changes within one second of updated_at, such
 * as a bot labelling an issue as it opens). The worker reads the issue as it is then
 * and refreshes or closes its work item, so a late event is harmless.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/sha.h>

#include "adapters/store/pr_state.h"
#include "adapters/store/queue.h"
#include "daemon/daemon.h"
#include "daemon/forge_open.h"
#include "pipeline/event.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/hex.h"
#include "util/json.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/time.h"

#define CURSOR_SLACK_S 60

typedef struct poller {
	const mc_daemon_options *opts;
	char *db_path;
	mc_metrics *metrics;
	atomic_int stopping;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
} poller;

static int queue_pr(mc_store *store, const char *forge, const char *repo, const mc_forge_pr *pr,
		    int *queued)
{
	struct json_object *payload = json_object_new_object();
	char delivery[MC_QUEUE_ID_MAX + 1];
	const char *text;
	int duplicate = 0, rc;

	mc_json_set_string(payload, "repo", repo);
	mc_json_set_int(payload, "number", pr->number);
	mc_json_set_string(payload, "head_sha", pr->head_sha);
	text = mc_json_dump(payload, 0);
	/* Ids longer than the queue keeps (long local paths) are cut: the head sha and
	 * number at the end keep them apart. */
	snprintf(delivery, sizeof delivery, "poll:%.60s#%lld@%s", repo, (long long)pr->number,
		 pr->head_sha);
	rc = mc_queue_push(store, delivery, forge, MC_EVENT_POLL, strlen(repo) <= MC_QUEUE_ID_MAX ? repo : "",
			   text, strlen(text), (int64_t)time(NULL), &duplicate);
	if (rc == 0 && !duplicate)
		(*queued)++;
	json_object_put(payload);
	return rc;
}

/* The newest of *newest and t (RFC 3339 strings of one forge compare as text). */
static void keep_newest(const char **newest, const char *t)
{
	if (t && (!*newest || strcmp(t, *newest) > 0))
		*newest = t;
}

/* The newest updated_at seen (newest, at least old), a minute back, as the next cursor. */
static void cursor_from(char out[MC_TIME_ISO_LEN], const char *newest, const char *old)
{
	struct tm tm = {0};

	keep_newest(&newest, old);
	out[0] = '\0';
	if (!newest || !strptime(newest, "%Y-%m-%dT%H:%M:%S", &tm))
		return;
	mc_time_iso8601(out, timegm(&tm) - CURSOR_SLACK_S, 0);
	if (old && strcmp(out, old) < 0)
		snprintf(out, MC_TIME_ISO_LEN, "%s", old);
}

static int poll_repo(poller *p, mc_store *store, mc_daemon_forge *df, const char *repo)
{
	mc_forge_pr *prs = NULL;
	size_t n = 0;
	char *since = NULL, cursor[MC_TIME_ISO_LEN], count[16];
	int rc, not_modified = 0, queued = 0;

	rc = mc_pr_state_get_cursor(store, &since, repo);
	if (rc == MC_ENOTFOUND)
		mc_error_clear();
	else if (rc != 0)
		return rc;
	rc = mc_forge_list_open_prs(df->forge, repo, since, &prs, &n, &not_modified);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = queue_pr(store, p->opts->forge ? p->opts->forge : "local", repo, &prs[i],
			      &queued);
	if (rc == 0 && n > 0) {
		const char *newest = NULL;
		for (size_t i = 0; i < n; i++)
			keep_newest(&newest, prs[i].updated_at);
		cursor_from(cursor, newest, since);
		if (cursor[0])
			rc = mc_pr_state_set_cursor(store, repo, cursor, (int64_t)time(NULL));
	}
	snprintf(count, sizeof count, "%d", queued);
	if (rc == 0 && queued)
		mc_log(MC_LOG_INFO, "poller.queued", "repo", repo, "events", count, NULL);
	mc_forge_pr_list_free(prs, n);
	free(since);
	return rc;
}

#define ISSUE_DIGEST_BYTES 6

/* A field with its terminating NUL, so that no field runs into the next. */
static void add_field(mc_strbuf *sb, const char *field)
{
	mc_strbuf_add(sb, field ? field : "", field ? strlen(field) + 1 : 1);
}

/* The first bytes of a SHA-256 over what a listing shows of an issue that its work
 * item depends on (state, title, body, labels), in hex. */
static void issue_digest(char out[2 * ISSUE_DIGEST_BYTES + 1], const mc_forge_issue *issue)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	mc_strbuf sb = MC_STRBUF_INIT;

	add_field(&sb, issue->state);
	add_field(&sb, issue->title);
	add_field(&sb, issue->body);
	for (size_t i = 0; i < issue->nlabels; i++)
		add_field(&sb, issue->labels[i]);
	SHA256((const unsigned char *)(sb.buf ? sb.buf : ""), sb.len, md);
	mc_strbuf_release(&sb);
	mc_hex_encode(out, md, ISSUE_DIGEST_BYTES);
}

static int queue_issue(mc_store *store, const char *forge, const char *repo,
		       const mc_forge_issue *issue, int *queued)
{
	struct json_object *payload = json_object_new_object();
	char delivery[MC_QUEUE_ID_MAX + 1], digest[2 * ISSUE_DIGEST_BYTES + 1];
	const char *text;
	int duplicate = 0, rc;

	mc_json_set_string(payload, "repo", repo);
	mc_json_set_int(payload, "number", issue->number);
	text = mc_json_dump(payload, 0);
	issue_digest(digest, issue);
	snprintf(delivery, sizeof delivery, "poll_issue:%.60s!%lld@%.40s/%s", repo,
		 (long long)issue->number, issue->updated_at ? issue->updated_at : "", digest);
	rc = mc_queue_push(store, delivery, forge, MC_EVENT_POLL_ISSUE, repo, text, strlen(text),
			   (int64_t)time(NULL), &duplicate);
	if (rc == 0 && !duplicate)
		(*queued)++;
	json_object_put(payload);
	return rc;
}

/* The issues of repo updated since its issue cursor: the open ones, and (once there is
 * a cursor) the closed ones, queued; then the cursor moves. */
static int poll_issues(poller *p, mc_store *store, mc_daemon_forge *df, const char *repo)
{
	mc_forge_issue *open_list = NULL, *closed_list = NULL;
	size_t nopen = 0, nclosed = 0;
	char key[MC_QUEUE_ID_MAX + 16], *since = NULL, cursor[MC_TIME_ISO_LEN], count[16];
	const char *forge = p->opts->forge ? p->opts->forge : "local", *newest = NULL;
	int rc, queued = 0;

	if (mc_forge_get_kind(df->forge) == MC_FORGE_LOCAL)
		return 0;   /* the local forge has no issues */
	snprintf(key, sizeof key, "%s!issues", repo);
	rc = mc_pr_state_get_cursor(store, &since, key);
	if (rc == MC_ENOTFOUND)
		mc_error_clear();
	else if (rc != 0)
		return rc;
	rc = mc_forge_list_open_issues(df->forge, repo, since, &open_list, &nopen, NULL);
	/* Before the first cursor nothing was stored, so nothing closed needs closing. */
	if (rc == 0 && since)
		rc = mc_forge_list_closed_issues(df->forge, repo, since, &closed_list, &nclosed,
						 NULL);
	for (size_t i = 0; rc == 0 && i < nopen; i++) {
		keep_newest(&newest, open_list[i].updated_at);
		rc = queue_issue(store, forge, repo, &open_list[i], &queued);
	}
	for (size_t i = 0; rc == 0 && i < nclosed; i++) {
		keep_newest(&newest, closed_list[i].updated_at);
		rc = queue_issue(store, forge, repo, &closed_list[i], &queued);
	}
	if (rc == 0 && newest) {
		cursor_from(cursor, newest, since);
		if (cursor[0])
			rc = mc_pr_state_set_cursor(store, key, cursor, (int64_t)time(NULL));
	}
	snprintf(count, sizeof count, "%d", queued);
	if (rc == 0 && queued)
		mc_log(MC_LOG_INFO, "poller.queued_issues", "repo", repo, "events", count, NULL);
	mc_forge_issue_list_free(open_list, nopen);
	mc_forge_issue_list_free(closed_list, nclosed);
	free(since);
	return rc;
}

static void wait_interval(poller *p)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += p->opts->poll_seconds;
	pthread_mutex_lock(&p->lock);
	while (!atomic_load(&p->stopping) &&
	       pthread_cond_timedwait(&p->cond, &p->lock, &until) == 0)
		;
	pthread_mutex_unlock(&p->lock);
}

static void *poller_main(void *arg)
{
	poller *p = arg;
	mc_store *store = NULL;
	mc_daemon_forge df;

	if (mc_store_open(&store, p->db_path) != 0 ||
	    mc_daemon_forge_open(&df, p->opts, p->metrics) != 0) {
		mc_log(MC_LOG_ERROR, "poller.start_failed", "error", mc_error_message(), NULL);
		mc_store_close(store);
		return NULL;
	}
	while (!atomic_load(&p->stopping)) {
		for (size_t i = 0; i < p->opts->nrepos && !atomic_load(&p->stopping); i++)
		{
			if (poll_repo(p, store, &df, p->opts->repos[i]) != 0)
				mc_log(MC_LOG_WARN, "poller.failed", "repo", p->opts->repos[i],
				       "error", mc_error_message(), NULL);
			if (poll_issues(p, store, &df, p->opts->repos[i]) != 0)
				mc_log(MC_LOG_WARN, "poller.issues_failed", "repo",
				       p->opts->repos[i], "error", mc_error_message(), NULL);
		}
		wait_interval(p);
	}
	mc_daemon_forge_close(&df);
	mc_store_close(store);
	return NULL;
}

static void poller_stop(void *state)
{
	poller *p = state;

	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	atomic_store(&p->stopping, 1);
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	free(p->db_path);
	free(p);
}

static int poller_start(void **state, const mc_daemon_context *ctx)
{
	poller *p;

	if (ctx->opts->nrepos == 0)
		return mc_error_set(MC_EINVAL, "--poll needs at least one --repo to poll");
	p = mc_xcalloc(1, sizeof *p);
	p->opts = ctx->opts;
	p->db_path = mc_xstrdup(ctx->db_path);
	p->metrics = ctx->metrics;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	if (pthread_create(&p->thread, NULL, poller_main, p) != 0) {
		pthread_cond_destroy(&p->cond);
		pthread_mutex_destroy(&p->lock);
		free(p->db_path);
		free(p);
		return mc_error_set(MC_EIO, "starting the poller thread");
	}
	*state = p;
	return 0;
}

const mc_daemon_service mc_daemon_poller_service = {
	.name = "poller",
	.start = poller_start,
	.stop = poller_stop,
};
