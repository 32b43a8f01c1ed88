/* One queued event through the pipeline; see event.h. */
#include "pipeline/event.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/git/repo.h"
#include "adapters/store/pr_state.h"
#include "model/evidence.h"
#include "model/webhook_event.h"
#include "pipeline/config_at.h"
#include "pipeline/evidence.h"
#include "pipeline/issue.h"
#include "pipeline/pr.h"
#include "pipeline/slash.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/json.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/time.h"

/* The options every review of this event shares. */
static void pr_options(mc_pr_options *opt, const mc_event_context *ctx, const char *repo,
		       int64_t number)
{
	memset(opt, 0, sizeof *opt);
	opt->forge = ctx->forge;
	opt->repo = repo;
	opt->number = number;
	opt->mirror_dir = ctx->mirror_dir;
	opt->remote = ctx->remote;
	opt->agents = ctx->state;
	opt->now = ctx->now;
}

static int review(mc_event_outcome *out, const mc_event_context *ctx, const char *repo,
		  int64_t number)
{
	mc_pr_options opt;
	mc_pr_hold hold;
	mc_pr_result result;
	int rc;

	pr_options(&opt, ctx, repo, number);
	if ((rc = mc_slash_apply_hold(&opt, &hold, ctx->state)) == 0) {
		rc = mc_pr_review(&result, &opt);
		if (rc == 0) {
			out->what = result.skipped ? "skipped" : "reviewed";
			mc_pr_result_free(&result);
		}
		mc_pr_hold_clear(&hold);
	}
	return rc;
}

static int comment(mc_event_outcome *out, const mc_event_context *ctx,
		   const mc_webhook_event *ev)
{
	mc_slash_request req = {0};
	mc_slash_outcome outcome;
	int rc;

	pr_options(&req.pr, ctx, ev->repo, ev->number);
	req.state = ctx->state;
	req.comment_id = ev->comment_id;
	req.author = ev->comment_author;
	req.body = ev->comment_body;
	req.body_len = strlen(ev->comment_body);
	req.auditors = ctx->auditors;
	req.nauditors = ctx->nauditors;
	req.bot_login = ctx->bot_login;
	req.on_issue = ev->on_issue;
	rc = mc_slash_handle(&outcome, &req);
	out->what = "commands";
	return rc;
}

/* An issue's work item from the issue as the forge has it now (an old event for an
 * issue edited since writes the current item). */
static int issue(mc_event_outcome *out, const mc_event_context *ctx, const char *repo,
		 int64_t number)
{
	mc_issue_options opt = { 0 };
	mc_issue_result result;
	int rc;

	opt.forge = ctx->forge;
	opt.repo = repo;
	opt.number = number;
	opt.mirror_dir = ctx->mirror_dir;
	opt.now = ctx->now;
	rc = mc_issue_refresh(&result, &opt);
	if (rc == MC_ENOTFOUND)
		rc = mc_error_recode(MC_EINVAL); /* no such issue here: retrying will not help */
	if (rc != 0)
		return rc;
	out->what = result.closed ? "issue_closed" : "issue";
	mc_log(MC_LOG_INFO, "event.issue", "item", result.item_id, "state",
	       result.closed ? "closed" : "open", "config", result.config_source ? result.config_source
										: "", NULL);
	mc_issue_result_free(&result);
	return 0;
}

/* A pushed tag: a SLSA provenance record about the tagged commit, naming the tag and
 * the holds in effect on the repository's pull requests at that moment. */
static struct json_object *release_predicate(const mc_webhook_event *ev, const char *delivery,
					     time_t now)
{
	struct json_object *p = json_object_new_object(), *def = json_object_new_object();
	struct json_object *ext = json_object_new_object(), *run = json_object_new_object();
	struct json_object *builder = json_object_new_object(), *meta = json_object_new_object();
	char at[MC_TIME_ISO_LEN];

	mc_time_iso8601(at, now, 0);
	mc_json_set_string(def, "buildType", "https://maestro-conductor.dev/release/v1");
	mc_json_set_string(ext, "repository", ev->repo);
	mc_json_set_string(ext, "ref", ev->ref);
	mc_json_set_string(ext, "commit", ev->head_sha);
	json_object_object_add(def, "externalParameters", ext);
	mc_json_set_string(builder, "id", "https://maestro-conductor.dev/daemon");
	mc_json_set_string(meta, "invocationId", delivery);
	mc_json_set_string(meta, "startedOn", at);
	json_object_object_add(run, "builder", builder);
	json_object_object_add(run, "metadata", meta);
	json_object_object_add(p, "buildDefinition", def);
	json_object_object_add(p, "runDetails", run);
	return p;
}

static int release(mc_event_outcome *out, const mc_event_context *ctx, const mc_webhook_event *ev,
		   const char *delivery)
{
	mc_repo *repo = NULL;
	mc_config cfg;
	mc_config_origin origin = {0};
	struct json_object *predicate = NULL;
	char *path = NULL, *note = NULL;
	int rc, appended = 0;

	out->what = "release";
	if (mc_forge_get_kind(ctx->forge) == MC_FORGE_LOCAL)
		path = mc_xstrdup(ev->repo);
	else if ((rc = mc_pr_mirror_path(&path, ctx->mirror_dir, ev->repo)) != 0)
		return rc;
	/* The mirror holds the commit once some PR of the repository was reviewed; a
	 * release of a repository never reviewed here has nothing to attach to. */
	if ((rc = mc_repo_open(&repo, path)) == 0 &&
	    (rc = mc_config_at(&cfg, &origin, repo, ev->head_sha)) == 0) {
		predicate = release_predicate(ev, delivery, ctx->now ? ctx->now : time(NULL));
		rc = mc_evidence_record_as_configured(&note, &appended, repo, &cfg, MC_EV_RELEASE,
						      ev->repo, ev->head_sha, predicate, "release");
		mc_config_free(&cfg);
		mc_config_origin_free(&origin);
	}
	if (note)
		mc_log(MC_LOG_INFO, "event.release", "repo", ev->repo, "ref", ev->ref, "note", note,
		       NULL);
	if (predicate)
		json_object_put(predicate);
	free(note);
	free(path);
	mc_repo_free(repo);
	return rc;
}

/* A poller's event: {"repo": ..., "number": n} of a pull request (poll) or an issue
 * (poll_issue), handed to handle. */
static int poll_event(mc_event_outcome *out, const mc_event_context *ctx,
		      const mc_queue_event *ev,
		      int (*handle)(mc_event_outcome *, const mc_event_context *, const char *,
				    int64_t))
{
	struct json_object *doc = NULL;
	const char *repo;
	int64_t number;
	int rc;

	if ((rc = mc_json_parse(&doc, ev->payload, ev->payload_len, ev->payload_len,
				ev->event)) != 0)
		return mc_error_recode(MC_EINVAL);
	repo = mc_json_get_string(doc, "repo", "");
	number = mc_json_get_int(doc, "number", 0);
	out->number = number;
	if (!*repo || number <= 0)
		rc = mc_error_set(MC_EINVAL, "%s event without a repository and a number", ev->event);
	else
		rc = handle(out, ctx, repo, number);
	json_object_put(doc);
	return rc;
}

void mc_event_subject(char *out, size_t size, const mc_queue_event *qev)
{
	struct json_object *doc = NULL;
	mc_webhook_event ev;

	out[0] = '\0';
	if (strcmp(qev->event, MC_EVENT_POLL) == 0 || strcmp(qev->event, MC_EVENT_POLL_ISSUE) == 0) {
		int issue = strcmp(qev->event, MC_EVENT_POLL_ISSUE) == 0;
		if (mc_json_parse(&doc, qev->payload, qev->payload_len, qev->payload_len,
				  "poll event") == 0)
			snprintf(out, size, "%s%c%lld", mc_json_get_string(doc, "repo", ""),
				 issue ? '!' : '#', mc_json_get_int(doc, "number", 0));
		json_object_put(doc);
		mc_error_clear();
		return;
	}
	if (mc_webhook_event_parse(&ev, qev->event, qev->payload, qev->payload_len,
				   qev->payload_len) != 0) {
		mc_error_clear();
		return;
	}
	if (ev.handled && ev.number > 0)
		snprintf(out, size, "%s%c%lld", ev.repo, ev.on_issue ? '!' : '#', ev.number);
	mc_webhook_event_clear(&ev);
}

int mc_event_process(mc_event_outcome *out, const mc_event_context *ctx,
		     const mc_queue_event *qev)
{
	mc_webhook_event ev;
	int rc;

	memset(out, 0, sizeof *out);
	out->what = "ignored";
	if (strcmp(qev->event, MC_EVENT_POLL) == 0)
		return poll_event(out, ctx, qev, review);
	if (strcmp(qev->event, MC_EVENT_POLL_ISSUE) == 0)
		return poll_event(out, ctx, qev, issue);
	if ((rc = mc_webhook_event_parse(&ev, qev->event, qev->payload, qev->payload_len,
					 qev->payload_len)) != 0)
		return mc_error_recode(MC_EINVAL);
	out->number = ev.number;
	if (!ev.handled) {
		rc = 0;
	} else if (ev.kind == MC_WEBHOOK_PULL_REQUEST) {
		rc = review(out, ctx, ev.repo, ev.number);
	} else if (ev.kind == MC_WEBHOOK_ISSUES) {
		rc = issue(out, ctx, ev.repo, ev.number);
	} else if (ev.kind == MC_WEBHOOK_ISSUE_COMMENT) {
		rc = comment(out, ctx, &ev);
	} else if (ev.kind == MC_WEBHOOK_PUSH) {
		rc = release(out, ctx, &ev, qev->delivery_id);
	} else {
		rc = 0; /* ping */
	}
	mc_webhook_event_clear(&ev);
	return rc;
}
