/* A pull request through review and publication; see pr.h. */
#include "pipeline/pr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "adapters/git/repo.h"
#include "adapters/store/portfolio.h"
#include "adapters/store/pr_state.h"
#include "pipeline/canary_verdict.h"
#include "pipeline/portfolio.h"
#include "pipeline/negotiate.h"
#include "pipeline/review.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/json.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/strbuf.h"

/* owner/name with GitHub's characters only, so it is safe as a directory name. */
static int valid_name_part(const char *s, size_t n)
{
	if (n == 0 || n > 100 || (n <= 2 && s[0] == '.'))
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return 0;
	}
	return 1;
}

int mc_pr_mirror_path(char **out, const char *mirror_dir, const char *repo)
{
	const char *slash = strchr(repo, '/');
	mc_strbuf sb = MC_STRBUF_INIT;

	*out = NULL;
	if (!slash || !valid_name_part(repo, (size_t)(slash - repo)) ||
	    !valid_name_part(slash + 1, strlen(slash + 1)))
		return mc_error_set(MC_EINVAL, "'%.200s' is not an owner/name repository", repo);
	mc_strbuf_printf(&sb, "%s/%.*s+%s.git", mirror_dir, (int)(slash - repo), repo, slash + 1);
	*out = mc_strbuf_detach(&sb);
	return 0;
}

char *mc_pr_fetch_url(const char *clone_url, const char *token)
{
	mc_strbuf sb = MC_STRBUF_INIT;
	const char *host = clone_url + 8;

	if (!token || !*token || strncmp(clone_url, "https://", 8) != 0 ||
	    (strchr(host, '@') && strchr(host, '@') < strchrnul(host, '/')))
		return mc_xstrdup(clone_url);
	mc_strbuf_printf(&sb, "https://x-access-token:%s@%s", token, host);
	return mc_strbuf_detach(&sb);
}

/* The forge's default branch of the PR's repository when it is a usable branch name
 * other than the base, else NULL: fetched too, so that issues (which name no branch)
 * read the configuration where the repository keeps it. */
static const char *other_default_branch(const mc_forge_pr *pr)
{
	if (!pr->default_branch || !strcmp(pr->default_branch, pr->base_ref))
		return NULL;
	return mc_repo_branch_name_valid(pr->default_branch) ? pr->default_branch : NULL;
}

/* After a fetch: refs/maestro/default names the fetched default branch's tracking ref
 * (pipeline/issue.c reads the configuration there). */
static int mark_default_branch(mc_repo *mirror, const mc_forge_pr *pr)
{
	mc_strbuf target = MC_STRBUF_INIT;
	int rc;

	if (!pr->default_branch || !mc_repo_branch_name_valid(pr->default_branch))
		return 0;
	mc_strbuf_printf(&target, "refs/maestro/base/%s", pr->default_branch);
	rc = mc_repo_set_symbolic_ref(mirror, MC_PR_DEFAULT_BRANCH_REF, target.buf);
	mc_strbuf_release(&target);
	return rc;
}

/* Fetch the PR's base branch and head into the mirror: the head by the forge's
 * refs/pull/<n>/head (GitHub and Gitea both publish it), so forks need no access of
 * their own; the repository's default branch too when it is not the base. *base_rev
 * receives the fetched base tip's ref. */
static int fetch_into_mirror(char **path, char **base_rev, const mc_pr_options *opt,
			     const mc_forge_pr *pr)
{
	mc_repo *mirror = NULL;
	mc_strbuf base = MC_STRBUF_INIT, head = MC_STRBUF_INIT, dflt = MC_STRBUF_INIT;
	mc_strbuf tracking = MC_STRBUF_INIT;
	const char *specs[3], *other = other_default_branch(pr);
	size_t nspecs = 0;
	char *url, *token = NULL;
	int rc;

	*base_rev = NULL;
	if (!opt->mirror_dir)
		return mc_error_set(MC_EINVAL, "no directory for repository mirrors");
	if (!mc_repo_branch_name_valid(pr->base_ref))
		return mc_error_set(MC_EINVAL, "pull request #%lld: base branch '%s' is not a valid "
				    "branch name", (long long)pr->number, pr->base_ref);
	if ((rc = mc_pr_mirror_path(path, opt->mirror_dir, opt->repo)) != 0)
		return rc;
	if ((rc = mc_repo_open_bare(&mirror, *path)) != 0)
		return rc;
	mc_strbuf_printf(&tracking, "refs/maestro/base/%s", pr->base_ref);
	mc_strbuf_printf(&base, "+refs/heads/%s:%s", pr->base_ref, tracking.buf);
	mc_strbuf_printf(&head, "+refs/pull/%lld/head:refs/maestro/pull/%lld",
			 (long long)pr->number, (long long)pr->number);
	specs[nspecs++] = base.buf;
	specs[nspecs++] = head.buf;
	if (other) {
		mc_strbuf_printf(&dflt, "+refs/heads/%s:refs/maestro/base/%s", other, other);
		specs[nspecs++] = dflt.buf;
	}
	if ((rc = mc_forge_git_token(opt->forge, &token)) != 0)
		goto out;
	url = mc_pr_fetch_url(pr->clone_url ? pr->clone_url : "", token);
	mc_secret_free(token);
	rc = mc_remote_fetch_code(mirror, url, specs, nspecs, opt->remote);
	mc_secret_free(url);
	if (rc == 0)
		rc = mark_default_branch(mirror, pr);
	if (rc == 0)
		*base_rev = mc_strbuf_detach(&tracking);
out:
	mc_strbuf_release(&tracking);
	mc_strbuf_release(&base);
	mc_strbuf_release(&head);
	mc_strbuf_release(&dflt);
	mc_repo_free(mirror);
	return rc;
}

/*
 * The comment's text: the card without the time it was made, so that a review
 * that finds nothing new renders the same text and the comment is left alone
 * (no edit, no notification, one forge call less); the time is in the evidence
 * and the comment's own "edited" stamp.
 */
static int sticky_body(char **out, const mc_pr_options *opt, struct json_object *card)
{
	mc_strbuf sb = MC_STRBUF_INIT;
	struct json_object *timeless = NULL;
	char *markdown = NULL;
	int rc;

	if (json_object_deep_copy(card, &timeless, NULL) != 0)
		return mc_error_set(MC_EINTERNAL, "copying the card");
	json_object_object_del(mc_json_get(timeless, "provenance"), "generated_at");
	rc = mc_review_render_markdown(&markdown, timeless);
	json_object_put(timeless);
	if (rc != 0)
		return rc;
	mc_strbuf_printf(&sb, "%s\n", MC_PR_CARD_MARKER);
	if (opt->hold_by)
		mc_strbuf_printf(&sb, "> **On hold** by %s: %s\n\n", opt->hold_by,
				 opt->hold_reason ? opt->hold_reason : "");
	mc_strbuf_puts(&sb, markdown);
	free(markdown);
	*out = mc_strbuf_detach(&sb);
	return 0;
}

/* The status line: held, "passed", or the first blocking reason (the card has them all). */
static char *status_description(const mc_pr_options *opt, struct json_object *card, int passed)
{
	struct json_object *blocking = mc_json_get(mc_json_get(card, "decision"), "blocking");
	const char *first = NULL;
	mc_strbuf sb = MC_STRBUF_INIT;

	if (opt->hold_by) {
		mc_strbuf_printf(&sb, "Maestro: on hold by %s: %s", opt->hold_by,
				 opt->hold_reason ? opt->hold_reason : "");
		return mc_strbuf_detach(&sb);
	}
	if (passed)
		return mc_xstrdup("Maestro: every policy gate passed");
	if (blocking && json_object_array_length(blocking) > 0)
		first = json_object_get_string(json_object_array_get_idx(blocking, 0));
	mc_strbuf_printf(&sb, "Maestro: blocked: %s", first ? first : "a policy gate failed");
	return mc_strbuf_detach(&sb);
}

static int publish(mc_pr_result *out, const mc_pr_options *opt, const mc_review *review)
{
	char *body = NULL;
	char *description = status_description(opt, review->card, review->passed);
	int rc;

	out->status = review->passed && !opt->hold_by ? "success" : "failure";
	if ((rc = sticky_body(&body, opt, review->card)) == 0)
		rc = mc_forge_upsert_sticky_comment(opt->forge, opt->repo, opt->number, MC_PR_CARD_MARKER,
					    body, &out->comment_changed, &out->comment_id);
	if (rc == 0)
		rc = mc_forge_set_status(opt->forge, opt->repo, out->head_sha, MC_PR_STATUS_CONTEXT,
					 out->status, description, NULL);
	free(body);
	free(description);
	return rc;
}

void mc_pr_location_clear(mc_pr_location *loc)
{
	free(loc->path);
	free(loc->base_rev);
	free(loc->item_id);
	memset(loc, 0, sizeof *loc);
}

int mc_pr_locate(mc_pr_location *out, const mc_pr_options *opt, const mc_forge_pr *pr)
{
	int rc;

	memset(out, 0, sizeof *out);
	if (mc_forge_get_kind(opt->forge) == MC_FORGE_LOCAL) {
		/* Locally the item is the branch, as `maestro review` names it, so CLI
		 * overrides and PR commands meet the same item. */
		out->path = mc_xstrdup(pr->repo);
		out->base_rev = mc_xstrdup(pr->base_ref);
		out->item_id = mc_xstrdup(pr->head_ref);
		return 0;
	}
	if ((rc = fetch_into_mirror(&out->path, &out->base_rev, opt, pr)) != 0) {
		mc_pr_location_clear(out);
		return rc;
	}
	out->item_id = mc_portfolio_pr_id(opt->repo, (unsigned long)opt->number);
	return 0;
}

int mc_pr_negotiate(const mc_pr_options *opt, const mc_pr_location *loc, const char *head_sha)
{
	mc_negotiate_options no = {0};
	mc_negotiate_outcome outcome;
	mc_strbuf range = MC_STRBUF_INIT;
	int rc;

	mc_strbuf_printf(&range, "%s..%s", loc->base_rev, head_sha);
	no.repo_path = loc->path;
	no.store = opt->agents;
	no.range = range.buf;
	no.task_id = loc->item_id;
	no.only_if_offered = 1;
	no.budget_usd = no.budget_minutes = -1;   /* the config's budgets */
	no.now = opt->now;
	rc = mc_negotiate_pipeline_run(&outcome, &no);
	if (rc == 0) {
		struct json_object *d = outcome.doc;
		if (json_object_array_length(mc_json_get(d, "contracts")) ||
		    json_object_array_length(mc_json_get(d, "escalations")))
			mc_log(MC_LOG_INFO, "pr.negotiated", "repo", opt->repo, "task", loc->item_id,
			       "outcome", json_object_array_length(mc_json_get(d, "contracts"))
					  ? "contract" : "escalation",
			       "evidence", outcome.note ? outcome.note : "", NULL);
		mc_negotiate_outcome_free(&outcome);
	}
	mc_strbuf_release(&range);
	return rc;
}

/* Keep the canary's judgement of this head in the daemon's store, so a later review of
 * the same head (a label, a command) keeps the verdict; failing to keep it costs only
 * that, so it is a warning. */
static void keep_canary(const mc_pr_options *opt, const char *head, const mc_canary_judgement *j)
{
	struct json_object *doc = mc_canary_judgement_to_json(j);

	if (mc_pr_state_put_canary(opt->agents, opt->repo, opt->number, head, mc_json_dump(doc, 0),
				   (int64_t)(opt->now ? opt->now : time(NULL))) != 0)
		mc_log(MC_LOG_WARN, "pr.canary_not_kept", "repo", opt->repo, "error",
		       mc_error_message(), NULL);
	json_object_put(doc);
}

/* The judgement kept for this head, if any: 1 and *out filled, else 0. */
static int kept_canary(mc_canary_judgement *out, const mc_pr_options *opt, const char *head)
{
	struct json_object *doc = NULL;
	char *text = NULL;
	int found = 0;

	if (mc_pr_state_get_canary(opt->agents, &text, opt->repo, opt->number, head) == 0 &&
	    mc_json_parse(&doc, text, strlen(text), strlen(text), "kept canary judgement") == 0)
		found = mc_canary_judgement_from_json(out, doc) == 0;
	if (!found)
		mc_error_clear();
	json_object_put(doc);
	free(text);
	return found;
}

static int review_pr(mc_pr_result *out, const mc_pr_options *opt, const mc_forge_pr *pr)
{
	mc_canary_judgement kept;
	mc_canary_measurement canary;
	int local = mc_forge_get_kind(opt->forge) == MC_FORGE_LOCAL;
	mc_pr_location loc;
	mc_strbuf range = MC_STRBUF_INIT;
	mc_review_options ro = {0};
	mc_review review;
	int rc;

	if ((rc = mc_pr_locate(&loc, opt, pr)) != 0)
		return rc;
	/* Negotiation is a stage before the card; when it fails the card goes out without. */
	if (opt->agents && (rc = mc_pr_negotiate(opt, &loc, pr->head_sha)) != 0) {
		if (rc == MC_EDB) {   /* the store failed: the event is retried */
			mc_pr_location_clear(&loc);
			return rc;
		}
		mc_log(MC_LOG_WARN, "pr.negotiation_failed", "repo", opt->repo, "task", loc.item_id,
		       "error", mc_error_message(), NULL);
		mc_error_clear();
	}
	mc_strbuf_printf(&range, "%s..%s", loc.base_rev, pr->head_sha);
	ro.repo_path = loc.path;
	ro.range = range.buf;
	ro.labels = (const char *const *)pr->labels;
	ro.nlabels = pr->nlabels;
	ro.now = opt->now;
	ro.item_id = loc.item_id;
	ro.item_title = pr->title;
	if (!local)
		ro.repository = opt->repo;
	ro.agents = opt->agents;
	memset(&canary, 0, sizeof canary);
	memset(&kept, 0, sizeof kept);
	if (opt->canary) {
		mc_canary_measure_options co = { 0 };
		co.run.repo_path = loc.path;
		co.run.range = range.buf;
		co.subject_name = opt->repo;
		out->canary_note = mc_canary_measure_for_review(&canary, &co);
		mc_log(MC_LOG_INFO, "pr.canary", "repo", opt->repo, "note", out->canary_note, NULL);
		ro.canary = canary.judged ? &canary.judgement : NULL;
		ro.canary_deltas = canary.deltas.n ? &canary.deltas : NULL;
	} else if (opt->agents && kept_canary(&kept, opt, pr->head_sha)) {
		ro.canary = &kept;
	}
	if (opt->canary && canary.judged && opt->agents)
		keep_canary(opt, pr->head_sha, &canary.judgement);
	rc = mc_review_run(&review, &ro);
	mc_canary_measurement_free(&canary);
	mc_canary_judgement_free(&kept);
	if (rc == 0) {
		out->passed = review.passed;
		out->recorded = review.recorded;
		out->evidence_note = review.evidence_note ? mc_xstrdup(review.evidence_note) : NULL;
		rc = publish(out, opt, &review);
		out->card = json_object_get(review.card);
		mc_review_free(&review);
	}
	mc_strbuf_release(&range);
	mc_pr_location_clear(&loc);
	return rc;
}

/* A closed or merged PR leaves the portfolio (its item stays, closed, for the record
 * and for realized value). Nothing to do when it was never reviewed here. */
static int close_item(const mc_pr_options *opt, const mc_forge_pr *pr)
{
	int local = mc_forge_get_kind(opt->forge) == MC_FORGE_LOCAL;
	char *path = NULL, *id;
	mc_store *store = NULL;
	int rc;

	if (local)
		path = mc_xstrdup(pr->repo);
	else if ((rc = mc_pr_mirror_path(&path, opt->mirror_dir ? opt->mirror_dir : ".",
					 opt->repo)) != 0)
		return rc;
	id = local ? mc_xstrdup(pr->head_ref) : mc_portfolio_pr_id(opt->repo,
								  (unsigned long)opt->number);
	rc = access(path, F_OK) == 0 ? mc_portfolio_open_store(&store, path, 0) : MC_ENOTFOUND;
	if (rc == 0)
		rc = mc_portfolio_close(store, id, (int64_t)(opt->now ? opt->now : time(NULL)));
	if (rc == MC_ENOTFOUND) {
		mc_error_clear();
		rc = 0;
	}
	mc_store_close(store);
	free(id);
	free(path);
	return rc;
}

int mc_pr_review(mc_pr_result *out, const mc_pr_options *opt)
{
	mc_forge_pr pr;
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = mc_forge_get_pr(opt->forge, &pr, opt->repo, opt->number)) != 0)
		return rc;
	snprintf(out->head_sha, sizeof out->head_sha, "%s", pr.head_sha ? pr.head_sha : "");
	if (strcmp(pr.state ? pr.state : "", "open") != 0 || pr.merged) {
		out->skipped = 1;
		rc = close_item(opt, &pr);
		mc_forge_pr_clear(&pr);
		return rc;
	}
	rc = review_pr(out, opt, &pr);
	mc_forge_pr_clear(&pr);
	if (rc != 0)
		mc_pr_result_free(out);
	return rc;
}

void mc_pr_result_free(mc_pr_result *result)
{
	free(result->evidence_note);
	result->evidence_note = NULL;
	free(result->canary_note);
	result->canary_note = NULL;
	if (result->card)
		json_object_put(result->card);
	result->card = NULL;
}
