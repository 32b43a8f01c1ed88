/* Carrying out slash-commands; see slash.h. */
#include "pipeline/slash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "adapters/git/repo.h"
#include "model/evidence.h"
#include "model/slash.h"
#include "pipeline/config_at.h"
#include "pipeline/evidence.h"
#include "pipeline/issue.h"
#include "pipeline/negotiate.h"
#include "pipeline/priority.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/json.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/time.h"

/* Echoed command text in replies is cut to this many bytes. */
#define ECHO_MAX 160

typedef struct run {
	const mc_slash_request *req;
	mc_slash_outcome *out;
	mc_forge_pr pr;
	int have_pr;
	int permission;          /* -1 not asked yet, 0 cannot write, 1 can */
	int review;              /* re-review and publish after the commands */
	int explain;             /* add the explanation of the card to the reply */
	int canary;              /* run the shadow canary in that review */
	mc_strbuf reply;         /* refusals, help, explanations */
	int64_t *pending;        /* lines answered in the reply: marked once it is posted */
	char **pending_digest;
	size_t npending, pending_alloc;
	time_t now;
} run;

/* An identity for a command line's text (FNV-1a 64): an edited line is a new command. */
static void text_digest(char out[17], const char *text)
{
	uint64_t h = 1469598103934665603ULL;

	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	snprintf(out, 17, "%016llx", (unsigned long long)h);
}

/* The command as people wrote it, safe inside a Markdown code span and short. */
static void append_echo(mc_strbuf *sb, const char *text)
{
	size_t n = strlen(text);

	if (n > ECHO_MAX) {
		n = ECHO_MAX;
		while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
			n--;
	}
	mc_strbuf_putc(sb, '`');
	for (size_t i = 0; i < n; i++)
		mc_strbuf_putc(sb, text[i] == '`' ? '\'' : text[i]);
	if (n < strlen(text))
		mc_strbuf_puts(sb, "…");
	mc_strbuf_putc(sb, '`');
}

static void refuse(run *r, const mc_slash_command *cmd, const char *why)
{
	mc_strbuf_puts(&r->reply, "- ");
	append_echo(&r->reply, cmd->text);
	mc_strbuf_printf(&r->reply, " (line %zu): %s\n", cmd->line, why);
	r->out->refused++;
}

static int load_pr(run *r)
{
	int rc;

	if (r->have_pr)
		return 0;
	rc = mc_forge_get_pr(r->req->pr.forge, &r->pr, r->req->pr.repo, r->req->pr.number);
	r->have_pr = rc == 0;
	return rc;
}

#define PRIORITY_NEEDS "changing the priority needs write access to the repository"

static int can_write(run *r, int *allowed)
{
	char *permission = NULL;
	int rc;

	if (r->permission < 0) {
		rc = mc_forge_permission(r->req->pr.forge, &permission, r->req->pr.repo,
					 r->req->author, MC_SLASH_PERMISSION_CACHE_S);
		if (rc != 0)
			return rc;
		r->permission = mc_forge_permission_can_write(permission);
		free(permission);
	}
	*allowed = r->permission;
	return 0;
}

/* 0 when the comment's author may write to the repository; 1 when not, the command
 * refused with why (what it needs that for); < 0 an error. */
static int require_writer(run *r, const mc_slash_command *cmd, const char *why)
{
	int allowed = 0, rc = can_write(r, &allowed);

	if (rc != 0)
		return rc;
	if (!allowed) {
		refuse(r, cmd, why);
		return 1;
	}
	return 0;
}

static int is_auditor(const mc_slash_request *req)
{
	for (size_t i = 0; i < req->nauditors; i++) {
		const char *a = req->auditors[i];
		if (a[0] == '@')
			a++;
		if (strcasecmp(a, req->author) == 0)
			return 1;
	}
	return 0;
}

static char *who(const mc_slash_request *req)
{
	mc_strbuf sb = MC_STRBUF_INIT;

	mc_strbuf_printf(&sb, "@%s", req->author);
	return mc_strbuf_detach(&sb);
}

static mc_priority_action priority_action(mc_slash_kind kind)
{
	return kind == MC_SLASH_PRIORITY_RAISE ? MC_PRIORITY_RAISE
	       : kind == MC_SLASH_PRIORITY_DROP ? MC_PRIORITY_DROP
						: MC_PRIORITY_SET;
}

/* The override a command line asks for on item id of the repository at path: who,
 * why, and its source (the comment's line and text), so it is applied once. */
static void override_of(mc_priority_change *change, char source[128], const run *r,
			const mc_slash_command *cmd, const char *digest, const char *path,
			const char *id, const char *config_rev, const char *by)
{
	memset(change, 0, sizeof *change);
	change->repo_path = path;
	change->id = id;
	change->action = priority_action(cmd->kind);
	change->value = cmd->value;
	change->reason = cmd->reason;
	change->who = by;
	change->config_rev = config_rev;
	snprintf(source, 128, "comment:%lld:%zu:%s", (long long)r->req->comment_id, cmd->line,
		 digest);
	change->source = source;
	change->at = r->now;
}

/* What an override's result means for the command: 0 done, 1 refused (a bad priority),
 * or the error. */
static int override_done(run *r, const mc_slash_command *cmd, int rc, const char *id,
			 const char *by, mc_priority_result *result)
{
	if (rc == 0) {
		mc_log(MC_LOG_INFO, "slash.priority", "repo", r->req->pr.repo, "item", id, "who", by,
		       NULL);
		mc_priority_result_free(result);
	} else if (rc == MC_EINVAL) {
		refuse(r, cmd, mc_error_message());
		rc = 1;
	}
	return rc;
}

/* An override through the CLI's own function. An item not reviewed yet is reviewed
 * first (the override needs it in the portfolio). Returns 1 when refused. */
static int priority(run *r, const mc_slash_command *cmd, const char *digest)
{
	mc_pr_location loc;
	mc_priority_change change;
	mc_priority_result result;
	mc_pr_result reviewed;
	char *by = who(r->req), source[128];
	int rc;

	if ((rc = load_pr(r)) != 0 || (rc = mc_pr_locate(&loc, &r->req->pr, &r->pr)) != 0) {
		free(by);
		return rc;
	}
	override_of(&change, source, r, cmd, digest, loc.path, loc.item_id, loc.base_rev, by);
	rc = mc_priority_override(&result, &change);
	if (rc == MC_ENOTFOUND && (rc = mc_pr_review(&reviewed, &r->req->pr)) == 0) {
		mc_pr_result_free(&reviewed);
		rc = mc_priority_override(&result, &change);
	}
	if ((rc = override_done(r, cmd, rc, loc.item_id, by, &result)) == 0)
		r->review = 1;
	mc_pr_location_clear(&loc);
	free(by);
	return rc;
}

static struct json_object *hold_predicate(const char *by, const char *action, const char *reason,
					  const char *change, time_t now)
{
	struct json_object *p = json_object_new_object();
	char at[MC_TIME_ISO_LEN];

	mc_time_iso8601(at, now, 0);
	mc_json_set_string(p, "who", by);
	mc_json_set_string(p, "at", at);
	mc_json_set_string(p, "action", action);
	mc_json_set_string(p, "reason", reason);
	mc_json_set_string(p, "change", change);
	return p;
}

/* The hold or unhold as signed evidence about the PR's head, as its configuration
 * asks (the base's configuration, like the review's). */
static int record_hold(run *r, const char *by, const char *action, const char *reason)
{
	mc_pr_location loc;
	mc_repo *repo = NULL;
	mc_config cfg;
	mc_config_origin origin = {0};
	struct json_object *predicate;
	char *note = NULL, change[512];
	int rc, appended = 0;

	if ((rc = mc_pr_locate(&loc, &r->req->pr, &r->pr)) != 0)
		return rc;
	snprintf(change, sizeof change, "%s#%lld", r->req->pr.repo, (long long)r->req->pr.number);
	if ((rc = mc_repo_open(&repo, loc.path)) == 0 &&
	    (rc = mc_config_at(&cfg, &origin, repo, loc.base_rev)) == 0) {
		predicate = hold_predicate(by, action, reason, change, r->now);
		rc = mc_evidence_record_as_configured(&note, &appended, repo, &cfg, MC_EV_HOLD,
						      r->req->pr.repo, r->pr.head_sha, predicate,
						      action);
		json_object_put(predicate);
		mc_config_free(&cfg);
		mc_config_origin_free(&origin);
	}
	if (note)
		mc_log(MC_LOG_INFO, "slash.hold_evidence", "note", note, NULL);
	free(note);
	mc_repo_free(repo);
	mc_pr_location_clear(&loc);
	return rc;
}

static int hold(run *r, const mc_slash_command *cmd)
{
	const mc_slash_request *req = r->req;
	int held = cmd->kind == MC_SLASH_HOLD, changed = 0, rc;
	char *by;

	if (!is_auditor(req)) {
		refuse(r, cmd, req->nauditors ? "only the configured auditors can hold or lift a hold"
					      : "no auditors are configured for this repository, "
						"so nobody can hold or lift a hold");
		return 1;
	}
	if ((rc = load_pr(r)) != 0)
		return rc;
	by = who(req);
	rc = held ? mc_pr_state_hold(req->state, req->pr.repo, req->pr.number, by, cmd->reason,
				     (int64_t)r->now, &changed)
		  : mc_pr_state_unhold(req->state, req->pr.repo, req->pr.number, &changed);
	if (rc == 0 && !held && !changed) {
		refuse(r, cmd, "this pull request is not on hold");
		free(by);
		return 1;
	}
	if (rc == 0)
		rc = record_hold(r, by, held ? "hold" : "unhold", cmd->reason);
	free(by);
	r->review = 1;
	return rc;
}

/* The policy an offer on this PR is judged by: the base's config, like the review's. */
static int base_policy(mc_negotiate_policy *out, const mc_pr_location *loc)
{
	mc_repo *repo = NULL;
	mc_config cfg;
	mc_config_origin origin = {0};
	int rc;

	if ((rc = mc_repo_open(&repo, loc->path)) == 0 &&
	    (rc = mc_config_at(&cfg, &origin, repo, loc->base_rev)) == 0) {
		mc_negotiate_policy_copy(out, &cfg.negotiation);
		mc_config_free(&cfg);
		mc_config_origin_free(&origin);
	}
	mc_repo_free(repo);
	return rc;
}

/* The daemon's store keeps the agents' state unless the options name another. */
static mc_pr_options pr_with_agents(const mc_slash_request *req)
{
	mc_pr_options opt = req->pr;
	if (!opt.agents)
		opt.agents = req->state;
	return opt;
}

/* Negotiate the task now; the card is reviewed again after the commands. A failure
 * other than the store's leaves the offer stored for the next review to negotiate. */
static int negotiate_now(run *r, const mc_pr_location *loc)
{
	mc_pr_options opt = pr_with_agents(r->req);
	int rc = mc_pr_negotiate(&opt, loc, r->pr.head_sha);

	r->review = 1;
	if (rc != 0 && rc != MC_EDB) {
		mc_log(MC_LOG_WARN, "slash.negotiation_failed", "repo", r->req->pr.repo, "task",
		       loc->item_id, "error", mc_error_message(), NULL);
		mc_error_clear();
		rc = 0;
	}
	return rc;
}

/* Who may offer on a PR's behalf: the agent itself (the comment's author is the offer's
 * agentId) or anyone with write access, who may relay an agent's offer. */
static int may_offer(run *r, const mc_offer *o, int *allowed)
{
	if (strcasecmp(o->agent_id, r->req->author) == 0) {
		*allowed = 1;
		return 0;
	}
	return can_write(r, allowed);
}

/* `/maestro offer {json}`: an agent's offer for this PR's task (its portfolio item
 * id), checked and stored by mc_negotiate_submit in the daemon's store, then the task
 * is negotiated, so an offer that settles it puts a contract on the card. */
static int offer(run *r, const mc_slash_command *cmd)
{
	const char *text = cmd->argument ? cmd->argument : "";
	mc_pr_location loc;
	mc_negotiate_policy policy;
	mc_offer o;
	char id[MC_AGENT_ID_MAX + 1], why[512];
	int allowed = 0, dup = 0, rc;

	if (mc_offer_parse(&o, text, strlen(text), "offer") != 0) {
		refuse(r, cmd, mc_error_message());
		return 1;
	}
	rc = may_offer(r, &o, &allowed);
	if (rc == 0 && !allowed) {
		snprintf(why, sizeof why, "agentId: @%s is not agent %s and has no write access to the "
			 "repository, so cannot offer for it", r->req->author, o.agent_id);
		refuse(r, cmd, why);
		rc = 1;
	}
	if (rc == 0 && (rc = load_pr(r)) == 0 && (rc = mc_pr_locate(&loc, &r->req->pr, &r->pr)) == 0) {
		if (strcmp(o.task_id, loc.item_id) != 0) {
			snprintf(why, sizeof why, "taskId: this pull request's task is '%.200s', not "
				 "'%.200s'", loc.item_id, o.task_id);
			refuse(r, cmd, why);
			rc = 1;
		} else if ((rc = base_policy(&policy, &loc)) == 0) {
			rc = mc_negotiate_submit(r->req->state, &policy, NULL, text, strlen(text),
						 (int64_t)r->now, id, &dup);
			mc_negotiate_policy_free(&policy);
			if (rc == MC_EINVAL || rc == MC_ELIMIT || rc == MC_EVERIFY) {
				refuse(r, cmd, mc_error_message());
				rc = 1;
			} else if (rc == 0) {
				mc_log(MC_LOG_INFO, "slash.offer", "repo", r->req->pr.repo, "offer", id,
				       "agent", o.agent_id, "duplicate", dup ? "yes" : "no", NULL);
				rc = negotiate_now(r, &loc);
			}
		}
		mc_pr_location_clear(&loc);
	}
	mc_offer_clear(&o);
	return rc;
}

/* The issue's work item, refreshed from the forge now: it exists for the override and
 * *res gives the commit its config was read at. Returns 1 (refused) when the issue is
 * closed or is a pull request. */
static int refresh_issue(run *r, const mc_slash_command *cmd, mc_issue_result *res)
{
	const mc_slash_request *req = r->req;
	mc_issue_options io = { 0 };
	int rc;

	io.forge = req->pr.forge;
	io.repo = req->pr.repo;
	io.number = req->pr.number;
	io.mirror_dir = req->pr.mirror_dir;
	io.now = r->now;
	rc = mc_issue_refresh(res, &io);
	if (rc == MC_EINVAL) {
		refuse(r, cmd, mc_error_message());
		return 1;
	}
	if (rc == 0 && res->closed && cmd->kind != MC_SLASH_RECOMPUTE) {
		refuse(r, cmd, "this issue is closed, so its work item is out of the portfolio");
		mc_issue_result_free(res);
		return 1;
	}
	return rc;
}

/* An override of an issue's work item, through the CLI's own function. */
static int priority_issue(run *r, const mc_slash_command *cmd, const char *digest)
{
	mc_priority_change change;
	mc_priority_result result;
	mc_issue_result res;
	char *by, source[128];
	int rc = refresh_issue(r, cmd, &res);

	if (rc != 0)
		return rc;
	by = who(r->req);
	override_of(&change, source, r, cmd, digest, res.mirror, res.item_id,
		    res.config_rev[0] ? res.config_rev : NULL, by);
	rc = override_done(r, cmd, mc_priority_override(&result, &change), res.item_id, by,
			   &result);
	mc_issue_result_free(&res);
	free(by);
	return rc;
}

/* A command on an issue: 0 done, 1 refused, < 0 an error. */
static int carry_out_on_issue(run *r, const mc_slash_command *cmd, const char *digest)
{
	mc_issue_result res;
	int rc;

	switch (cmd->kind) {
	case MC_SLASH_INVALID:
		refuse(r, cmd, cmd->error);
		return 1;
	case MC_SLASH_PRIORITY_RAISE:
	case MC_SLASH_PRIORITY_DROP:
	case MC_SLASH_PRIORITY_SET:
		if ((rc = require_writer(r, cmd, PRIORITY_NEEDS)) != 0)
			return rc;
		return priority_issue(r, cmd, digest);
	case MC_SLASH_RECOMPUTE:
		if ((rc = refresh_issue(r, cmd, &res)) == 0)
			mc_issue_result_free(&res);
		return rc;
	case MC_SLASH_HELP:
		mc_strbuf_printf(&r->reply, "\n%s\n", mc_slash_help());
		return 0;
	default:
		refuse(r, cmd, "this command works on pull requests only; on an issue, priority "
			       "raise, drop and set, recompute and help work");
		return 1;
	}
}

/* Carry out one command: 0 done, 1 refused (answered in the reply), < 0 an error. */
static int carry_out(run *r, const mc_slash_command *cmd, const char *digest)
{
	int rc;

	if (r->req->on_issue)
		return carry_out_on_issue(r, cmd, digest);

	switch (cmd->kind) {
	case MC_SLASH_INVALID:
		refuse(r, cmd, cmd->error);
		return 1;
	case MC_SLASH_PRIORITY_RAISE:
	case MC_SLASH_PRIORITY_DROP:
	case MC_SLASH_PRIORITY_SET:
		if ((rc = require_writer(r, cmd, PRIORITY_NEEDS)) != 0)
			return rc;
		return priority(r, cmd, digest);
	case MC_SLASH_HOLD:
	case MC_SLASH_UNHOLD:
		return hold(r, cmd);
	case MC_SLASH_RECOMPUTE:
		r->review = 1;
		return 0;
	case MC_SLASH_EXPLAIN:
		r->review = 1;
		r->explain = 1;
		return 0;
	case MC_SLASH_HELP:
		mc_strbuf_printf(&r->reply, "\n%s\n", mc_slash_help());
		return 0;
	case MC_SLASH_CANARY:
		/* The canary runs the PR's code: only when someone who could push it
		 * anyway asks for it. */
		if ((rc = require_writer(r, cmd, "running the shadow canary runs this pull "
						 "request's code: it needs write access to the "
						 "repository")) != 0)
			return rc;
		r->review = 1;
		r->canary = 1;
		return 0;
	case MC_SLASH_OFFER:
		return offer(r, cmd);
	}
	return mc_error_set(MC_EINTERNAL, "unhandled slash-command kind %d", (int)cmd->kind);
}

static void explain(mc_strbuf *sb, struct json_object *card)
{
	struct json_object *roi = mc_json_get(card, "roi"), *risk = mc_json_get(card, "risk");
	struct json_object *components = mc_json_get(roi, "components");
	struct json_object *features = mc_json_get(risk, "top_features");

	mc_strbuf_printf(sb, "\n**How the card was computed**\n\nExpected value $%.2f = value "
			     "$%.2f - cost $%.2f (then weighted by risk):\n\n",
			 mc_json_get_double(roi, "expected_value_usd", 0),
			 mc_json_get_double(roi, "value_usd", 0),
			 mc_json_get_double(roi, "cost_usd", 0));
	mc_strbuf_puts(sb, "| component | kind | USD | from |\n|---|---|---:|---|\n");
	for (size_t i = 0; components && i < json_object_array_length(components); i++) {
		struct json_object *c = json_object_array_get_idx(components, i);
		mc_strbuf_printf(sb, "| %s | %s | %.2f | %s |\n", mc_json_get_string(c, "name", ""),
				 mc_json_get_string(c, "kind", ""), mc_json_get_double(c, "usd", 0),
				 mc_json_get_string(c, "inputs", ""));
	}
	mc_strbuf_printf(sb, "\nRisk %.3f (%s), model %s. Largest contributions:\n\n",
			 mc_json_get_double(risk, "probability", 0),
			 mc_json_get_string(risk, "level", ""), mc_json_get_string(risk, "model", ""));
	mc_strbuf_puts(sb, "| feature | value | log-odds | effect |\n|---|---:|---:|---|\n");
	for (size_t i = 0; features && i < json_object_array_length(features); i++) {
		struct json_object *f = json_object_array_get_idx(features, i);
		mc_strbuf_printf(sb, "| %s | %.3g | %+.3f | %s |\n",
				 mc_json_get_string(f, "description", ""),
				 mc_json_get_double(f, "value", 0), mc_json_get_double(f, "logit", 0),
				 mc_json_get_string(f, "direction", ""));
	}
}

int mc_slash_apply_hold(mc_pr_options *opt, mc_pr_hold *hold, mc_store *state)
{
	int held = mc_pr_state_get_hold(state, hold, opt->repo, opt->number);

	if (held < 0)
		return held;
	opt->hold_by = held ? hold->who : NULL;
	opt->hold_reason = held ? hold->reason : NULL;
	return 0;
}

/* Review and publish again, held as the store says, keeping the card for explain. */
static int review_again(run *r, struct json_object **card)
{
	mc_pr_options opt = pr_with_agents(r->req);
	mc_pr_hold hold;
	mc_pr_result result;
	int rc;

	*card = NULL;
	if ((rc = mc_slash_apply_hold(&opt, &hold, r->req->state)) != 0)
		return rc;
	opt.canary = r->canary;
	rc = mc_pr_review(&result, &opt);
	mc_pr_hold_clear(&hold);
	if (rc != 0)
		return rc;
	r->out->reviewed = !result.skipped;
	if (result.canary_note)
		mc_strbuf_printf(&r->reply, "\n%s\n", result.canary_note);
	if (result.card)
		*card = json_object_get(result.card);
	mc_pr_result_free(&result);
	return 0;
}

static void remember_pending(run *r, const mc_slash_command *cmd, const char *digest)
{
	mc_xgrow((void **)&r->pending, &r->pending_alloc, r->npending + 1, sizeof *r->pending);
	r->pending_digest = mc_xrealloc(r->pending_digest, r->pending_alloc * sizeof(char *));
	r->pending[r->npending] = (int64_t)cmd->line;
	r->pending_digest[r->npending++] = mc_xstrdup(digest);
}

static int run_commands(run *r, const mc_slash_parse *parsed)
{
	const mc_slash_request *req = r->req;
	int rc;

	for (size_t i = 0; i < parsed->n; i++) {
		const mc_slash_command *cmd = &parsed->commands[i];
		char digest[17];
		int done, result;
		size_t reply_before = r->reply.len;

		text_digest(digest, cmd->text);
		done = mc_pr_state_command_done(req->state, req->pr.repo, req->comment_id,
						(int64_t)cmd->line, digest);
		if (done < 0)
			return done;
		if (done) {
			r->out->repeated++;
			continue;
		}
		if ((result = carry_out(r, cmd, digest)) < 0)
			return result;
		if (result == 0)
			r->out->accepted++;
		/* A state change is marked at once, so a retry never repeats it; a line whose
		 * only effect is the reply is marked once the reply is posted. */
		if (r->reply.len > reply_before || cmd->kind == MC_SLASH_EXPLAIN)
			remember_pending(r, cmd, digest);
		else if ((rc = mc_pr_state_mark_command(req->state, req->pr.repo, req->comment_id,
							(int64_t)cmd->line, digest,
							(int64_t)r->now)) != 0)
			return rc;
	}
	if (parsed->ignored)
		mc_strbuf_printf(&r->reply, "- %zu more command lines were ignored: at most %d are "
					    "read from one comment.\n",
				 parsed->ignored, MC_SLASH_MAX_COMMANDS);
	return 0;
}

static int answer(run *r)
{
	const mc_slash_request *req = r->req;
	mc_strbuf body = MC_STRBUF_INIT;
	const char *reaction = r->out->refused ? "confused" : "+1";
	int rc = 0;

	if (r->out->accepted + r->out->refused > 0 && req->comment_id > 0)
		rc = mc_forge_react(req->pr.forge, req->pr.repo, req->comment_id, reaction);
	if (rc == 0 && r->reply.len > 0) {
		mc_strbuf_printf(&body, "@%s\n%s", req->author, r->reply.buf);
		rc = mc_forge_comment(req->pr.forge, req->pr.repo, req->pr.number, body.buf, NULL);
		r->out->replied = rc == 0;
	}
	for (size_t i = 0; rc == 0 && i < r->npending; i++)
		rc = mc_pr_state_mark_command(req->state, req->pr.repo, req->comment_id,
					      r->pending[i], r->pending_digest[i], (int64_t)r->now);
	mc_strbuf_release(&body);
	return rc;
}

int mc_slash_handle(mc_slash_outcome *out, const mc_slash_request *req)
{
	mc_slash_parse parsed;
	struct json_object *card = NULL;
	run r;
	int rc;

	memset(out, 0, sizeof *out);
	if (req->bot_login && req->author && strcasecmp(req->bot_login, req->author) == 0)
		return 0;
	if (!req->author || !*req->author)
		return mc_error_set(MC_EINVAL, "a comment without an author");
	if ((rc = mc_slash_parse_comment(&parsed, req->body, req->body_len, MC_PRIORITY_MIN,
					 MC_PRIORITY_MAX)) != 0)
		return rc;
	if (parsed.n == 0) {
		mc_slash_parse_free(&parsed);
		return 0;
	}
	memset(&r, 0, sizeof r);
	r.req = req;
	r.out = out;
	r.permission = -1;
	r.now = req->pr.now ? req->pr.now : time(NULL);
	rc = run_commands(&r, &parsed);
	if (rc == 0 && r.review)
		rc = review_again(&r, &card);
	if (rc == 0 && r.explain && card)
		explain(&r.reply, card);
	if (rc == 0)
		rc = answer(&r);
	if (card)
		json_object_put(card);
	for (size_t i = 0; i < r.npending; i++)
		free(r.pending_digest[i]);
	free(r.pending_digest);
	free(r.pending);
	mc_strbuf_release(&r.reply);
	if (r.have_pr)
		mc_forge_pr_clear(&r.pr);
	mc_slash_parse_free(&parsed);
	return rc;
}
