/*
 * The review pipeline (review.h): facts → config → signals → score → policy →
 * card. The stages are pure where they can be (model/); this file only moves
 * data between the adapters and the model and decides what an error means.
 */
#include "pipeline/review.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adapters/store/agents.h"
#include "adapters/store/db.h"
#include "model/card.h"
#include "pipeline/evidence.h"
#include "pipeline/portfolio.h"
#include "pipeline/repo_store.h"
#include "pipeline/simulate.h"
#include "model/config.h"
#include "model/policy.h"
#include "model/risk.h"
#include "model/score.h"
#include "model/signals.h"
#include "util/alloc.h"
#include "util/embedded.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/jsonschema.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/template.h"
#include "version.h"

#define CARD_TEMPLATE "templates/decision-card.md"
#define CARD_SCHEMA "schemas/decision-card.schema.json"
/* A trace committed to the repository is read into memory whole: at most this much. */
#define SIM_TRACE_IN_REPO_MAX ((size_t)256 << 20)

/* Everything one run holds; released in one place whatever stage failed. */
struct run {
	const mc_review_options *opt;
	mc_repo *repo;
	char *default_branch;
	char *range;                  /* default_branch...head, when a head was named */
	mc_store *store;
	mc_history_cache *history;
	mc_facts facts;
	mc_config cfg;
	mc_config_origin config;
	mc_signals signals;
	mc_score score;
	mc_verdict verdict;
	/* the counterfactual simulation (simulate.trace), when it ran or failed to */
	int simulated;                /* sim_result holds a prediction */
	mc_cf_result sim_result;
	mc_simulate_trace sim_trace;
	mc_cf_deltas sim_deltas;
	const char *sim_origin;
	char *sim_error;              /* why a configured simulation could not run */
};

/* The cache is an optimisation: when it cannot be opened (a read-only clone, a
 * full disk) the review mines into memory and says so, rather than failing. */
static int open_history(struct run *r, mc_review *out)
{
	char *path = NULL;
	int rc;

	if (!r->opt->no_cache) {
		rc = mc_repo_store_open(&r->store, &path, r->repo);
		if (rc) {
			mc_log(MC_LOG_WARN, "history cache unavailable, mining into memory", "path", path,
			       "error", mc_error_message(), NULL);
			free(path);
			path = NULL;
		}
	}
	if (!r->store && (rc = mc_store_open(&r->store, ":memory:")) != 0)
		return rc;
	out->cache_path = path;
	return mc_history_cache_open(&r->history, r->store);
}

/* The configuration at commit (the base: a change cannot loosen its own gates). */
static int load_config(struct run *r, const char *commit)
{
	mc_config_free(&r->cfg);
	mc_config_origin_free(&r->config);
	return mc_config_at(&r->cfg, &r->config, r->repo, commit);
}

/* With no range, the change is HEAD against the default branch: review.default_branch
 * in the config on the detected default branch, else the detected one. */
static int choose_default_branch(struct run *r)
{
	int rc = mc_repo_check_head(r->repo);
	if (rc)
		return rc;
	rc = mc_repo_default_branch(&r->default_branch, r->repo);
	if (rc == MC_ENOTFOUND)
		return mc_error_set(MC_EINVAL, "no default branch (no origin/HEAD, main or master); "
				    "name the change as BASE..HEAD");
	if (rc)
		return rc;
	if ((rc = load_config(r, r->default_branch)) != 0)
		return rc;
	if (r->cfg.review_default_branch) {
		free(r->default_branch);
		r->default_branch = mc_xstrdup(r->cfg.review_default_branch);
	}
	mc_config_free(&r->cfg);
	mc_config_origin_free(&r->config);
	return 0;
}

static void collect_signals(struct run *r)
{
	const mc_facts *f = &r->facts;
	size_t i, j;
	/* Oldest first, so warnings read in the order the commits were made. */
	for (i = f->ncommits; i-- > 0;) {
		const mc_commit_info *c = &f->commits[i];
		for (j = 0; j < c->ntrailers; j++)
			mc_signals_add_trailer(&r->signals, c->trailer_keys[j], c->trailer_values[j],
					       c->oid, c->author_email);
	}
	for (i = 0; i < r->opt->nlabels; i++)
		mc_signals_add_label(&r->signals, r->opt->labels[i], "--label");
}

/* Every path the change touches, both sides of a rename: a protected file moved
 * out of its protected directory was still changed there. */
static void evaluate_policy(struct run *r)
{
	const mc_facts *f = &r->facts;
	const char **paths = mc_xmalloc(sizeof *paths * (2 * f->nfiles + 1));
	mc_policy_input in = { 0 };
	size_t i;

	for (i = 0; i < f->nfiles; i++) {
		paths[in.npaths++] = f->files[i].path;
		if (f->files[i].old_path && strcmp(f->files[i].old_path, f->files[i].path))
			paths[in.npaths++] = f->files[i].old_path;
	}
	in.paths = paths;
	in.risk = r->score.risk;
	in.approvals = r->score.approvals;
	in.llm_usd = r->score.llm_usd;
	in.ci_minutes = r->score.ci_minutes;
	in.canary = r->opt->canary;
	in.simulation = r->simulated ? &r->sim_result : NULL;
	in.simulation_error = r->sim_error;
	mc_policy_evaluate(&r->verdict, &r->cfg, &in);
	free(paths);
}

/* ---- the counterfactual simulation ---- */

/* The change's deltas: the command line's, else the canary's, else the config's. */
static char *item_id(struct run *r);
static struct json_object *parse_stored(const char *body, const char *what);

/* The deltas the agent contracted for the change's task predicted (its offer's
 * "deltas"): 1 when there were some, 0 when not. A contract that cannot be read
 * or whose deltas do not load is not the change's fault: a warning, and none. */
static int contract_deltas(struct run *r)
{
	mc_store *store = r->opt->agents ? r->opt->agents : r->store;
	struct json_object *contract = NULL, *deltas;
	char *id = item_id(r), *body = NULL;
	int rc, found = 0;

	rc = mc_agents_task_contract(&body, store, id);
	if (rc == 0 && (contract = parse_stored(body, "stored contract")) != NULL &&
	    (deltas = mc_json_get(mc_json_get(contract, "offer"), "deltas")) != NULL) {
		if (mc_cf_deltas_add_json(&r->sim_deltas, deltas) == 0) {
			found = r->sim_deltas.n > 0;
		} else {
			mc_log(MC_LOG_WARN, "the contract's offer deltas are not used", "item", id,
			       "error", mc_error_message(), NULL);
			mc_cf_deltas_free(&r->sim_deltas);
			memset(&r->sim_deltas, 0, sizeof r->sim_deltas);
		}
	} else if (rc && rc != MC_ENOTFOUND) {
		mc_log(MC_LOG_WARN, "no contract deltas", "item", id, "error", mc_error_message(), NULL);
	}
	mc_error_clear();
	if (contract)
		json_object_put(contract);
	free(body);
	free(id);
	return found;
}

static int choose_deltas(struct run *r)
{
	const mc_review_options *o = r->opt;
	size_t i;
	int rc;

	if (o->ndeltas) {
		r->sim_origin = MC_SIMULATE_FROM_CLI;
		for (i = 0; i < o->ndeltas; i++)
			if ((rc = mc_cf_deltas_add_spec(&r->sim_deltas, o->deltas[i])) != 0)
				return rc;
		return 0;
	}
	if (o->canary_deltas && o->canary_deltas->n) {
		/* A copy through the deltas' document, so the caller keeps its own. */
		struct json_object *doc = mc_cf_deltas_to_json(o->canary_deltas);
		r->sim_origin = MC_SIMULATE_FROM_CANARY;
		rc = mc_cf_deltas_add_json(&r->sim_deltas, doc);
		json_object_put(doc);
		return rc;
	}
	if (contract_deltas(r)) {
		r->sim_origin = MC_SIMULATE_FROM_OFFER;
		return 0;
	}
	r->sim_origin = MC_SIMULATE_FROM_CONFIG;
	for (i = 0; i < r->cfg.simulate_deltas.n; i++)
		if ((rc = mc_cf_deltas_add_spec(&r->sim_deltas, r->cfg.simulate_deltas.items[i])) != 0)
			return rc;
	return 0;
}

/* simulate.trace: an absolute path is a file of the reviewing machine; anything else is
 * a path in the repository, read at the base commit like the config. */
static int read_sim_trace(struct run *r, mc_cf **cf)
{
	mc_trace_options topt = { .format = r->cfg.simulate_nginx ? MC_TRACE_NGINX : MC_TRACE_JSONL };
	const char *path = r->cfg.simulate_trace;
	mc_strbuf name = MC_STRBUF_INIT;
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (path[0] == '/')
		return mc_simulate_read_trace(cf, &r->sim_trace, path, &topt, 1, 1);
	mc_strbuf_printf(&name, "%.12s:%s", r->facts.range.base, path);
	rc = mc_repo_read_file_at(&text, &len, NULL, r->repo, r->facts.range.base, path,
				  SIM_TRACE_IN_REPO_MAX);
	if (rc == MC_ENOTFOUND)
		rc = mc_error_set(MC_ENOTFOUND, "simulate.trace: %s: no such file in the base commit",
				  name.buf);
	else if (rc)
		rc = mc_error_wrap(rc, "simulate.trace: %s", name.buf);
	else
		rc = mc_simulate_read_mem(cf, &r->sim_trace, text, len, name.buf, &topt, 1);
	free(text);
	mc_strbuf_release(&name);
	return rc;
}

/*
 * Predict the change's effect on the configured trace. Nothing configured, or no deltas
 * from anywhere: nothing runs. A trace that cannot be read is not an error of the
 * review: it is kept in sim_error, and the simulation gate (when configured) fails on
 * it; bad deltas on the command line are the caller's error.
 */
static int simulate_change(struct run *r)
{
	mc_cf_options copt = { .seed = 1 };
	mc_cf *cf = NULL;
	int rc;

	if (!r->cfg.simulate_trace)
		return 0;
	if ((rc = choose_deltas(r)) != 0)
		return mc_error_wrap(rc, "simulation deltas from %s", r->sim_origin);
	if (!r->sim_deltas.n)
		return 0;
	rc = read_sim_trace(r, &cf);
	if (!rc) {
		rc = mc_cf_predict(&r->sim_result, cf, &r->sim_deltas, &copt);
		mc_cf_free(cf);
	}
	if (rc) {
		r->sim_error = mc_xstrdup(mc_error_message());
		mc_log(MC_LOG_WARN, "simulation not run", "error", r->sim_error, NULL);
		mc_error_clear();
		return 0;
	}
	r->simulated = 1;
	return 0;
}

/* The card's simulation section, or a warning when the simulation could not run and no
 * gate made that a blocking reason already. */
static void add_simulation(struct run *r, mc_review *out)
{
	mc_card_simulation in = { 0 };
	unsigned *breaches;
	size_t i;

	if (r->sim_error && !mc_policy_simulation_gated(&r->cfg)) {
		mc_strbuf sb = MC_STRBUF_INIT;
		mc_strbuf_printf(&sb, "the simulation could not run: %s", r->sim_error);
		json_object_array_add(mc_json_get(out->card, "warnings"),
				      json_object_new_string(sb.buf));
		mc_strbuf_release(&sb);
	}
	if (!r->simulated)
		return;
	breaches = mc_xcalloc(r->sim_result.nroutes ? r->sim_result.nroutes : 1, sizeof *breaches);
	for (i = 0; i < r->sim_result.nroutes; i++)
		breaches[i] = mc_policy_simulation_breaches(&r->cfg, &r->sim_result.routes[i], 0);
	in.trace = r->sim_trace.name;
	in.format = r->sim_trace.format == MC_TRACE_NGINX ? "nginx" : "jsonl";
	in.sha256 = r->sim_trace.sha256;
	in.bytes = r->sim_trace.bytes;
	in.records = r->sim_trace.records;
	in.origin = r->sim_origin;
	in.deltas = mc_cf_deltas_to_json(&r->sim_deltas);
	in.result = &r->sim_result;
	in.breaches = breaches;
	in.overall_breaches = mc_policy_simulation_breaches(&r->cfg, &r->sim_result.overall, 1);
	mc_card_add_simulation(out->card, &in);
	json_object_put(in.deltas);
	free(breaches);
}

static struct json_object *build_card(struct run *r, time_t now)
{
	const mc_facts *f = &r->facts;
	mc_card_file *files = mc_xcalloc(f->nfiles ? f->nfiles : 1, sizeof *files);
	const char **commits = mc_xcalloc(f->ncommits, sizeof *commits);
	char *name = r->opt->repository ? mc_xstrdup(r->opt->repository)
					 : mc_repo_display_name(r->repo);
	mc_card_input in = { 0 };
	struct json_object *card;
	size_t i;

	for (i = 0; i < f->nfiles; i++) {
		files[i].path = f->files[i].path;
		files[i].old_path = f->files[i].status == 'R' ? f->files[i].old_path : NULL;
		files[i].status = f->files[i].status;
		files[i].added = (unsigned)f->files[i].added;
		files[i].deleted = (unsigned)f->files[i].deleted;
		files[i].binary = f->files[i].binary;
	}
	for (i = 0; i < f->ncommits; i++)
		commits[i] = f->commits[f->ncommits - 1 - i].oid;
	in.repository = name;
	in.range = f->range.spec;
	in.base = f->range.base;
	in.head = f->range.head;
	in.merge_base = f->range.merge_base;
	in.commits = commits;
	in.ncommits = f->ncommits;
	in.merge_only = f->merge_only;
	in.author = f->author_email;
	in.features = &f->features;
	in.files = files;
	in.nfiles = f->nfiles;
	in.score = &r->score;
	in.verdict = &r->verdict;
	in.max_risk = r->cfg.policy_max_risk;
	in.signals = &r->signals;
	in.config_source = r->config.source;
	in.config_blob = r->config.blob[0] ? r->config.blob : NULL;
	in.tool_version = MC_VERSION;
	in.generated_at = now;
	in.canary = r->opt->canary;
	card = mc_card_build(&in);
	free(files);
	free(commits);
	free(name);
	return card;
}

int mc_review_render_markdown(char **out, struct json_object *card)
{
	const char *tmpl = mc_embedded_get(CARD_TEMPLATE, NULL);
	mc_strbuf md = MC_STRBUF_INIT;
	int rc;

	*out = NULL;
	if (!tmpl)
		return mc_error_set(MC_EINTERNAL, "%s is not embedded", CARD_TEMPLATE);
	if ((rc = mc_template_render(&md, tmpl, card)) != 0) {
		mc_strbuf_release(&md);
		return mc_error_wrap(MC_EINTERNAL, "rendering %s", CARD_TEMPLATE);
	}
	*out = mc_strbuf_detach(&md);
	return 0;
}

/* The card is checked against its own schema before anyone sees it: a card that
 * does not validate is a bug here, not something to publish. */
static int render_card(mc_review *out)
{
	struct json_object *schema = NULL;
	const char *text = mc_embedded_get(CARD_SCHEMA, NULL);
	int rc;

	if (!text || mc_json_parse(&schema, text, strlen(text), strlen(text), CARD_SCHEMA) != 0)
		return mc_error_set(MC_EINTERNAL, "the embedded %s does not parse", CARD_SCHEMA);
	rc = mc_jsonschema_validate(schema, out->card, "decision card");
	json_object_put(schema);
	if (rc)
		return mc_error_wrap(MC_EINTERNAL, "maestro built an invalid card");
	return mc_review_render_markdown(&out->markdown, out->card);
}

/* Record the card about the head commit; the evidence_note says what happened. */
static int record_card(struct run *r, mc_review *out)
{
	if (r->opt->no_record) {
		out->evidence_note = mc_xstrdup("evidence not recorded (--no-record)");
		return 0;
	}
	return mc_evidence_record_as_configured(
		&out->evidence_note, &out->recorded, r->repo, &r->cfg, MC_EV_DECISION_CARD,
		mc_json_get_string(mc_json_get(out->card, "subject"), "repository", "repository"),
		r->facts.range.head, out->card, "card");
}

/* The change is a work item of the portfolio, kept in the history cache's file. Like
 * the cache it is a convenience: when it cannot be stored the review still stands.
 * Runs before the card is rendered and recorded, so the card can carry its plan. */
static char *item_id(struct run *r)
{
	return r->opt->item_id ? mc_xstrdup(r->opt->item_id)
			       : mc_portfolio_local_id(r->repo, r->facts.range.spec, r->facts.range.head);
}

static struct json_object *parse_stored(const char *body, const char *what)
{
	struct json_object *doc = NULL;
	if (mc_json_parse(&doc, body, strlen(body), 1 << 20, what) != 0) {
		mc_log(MC_LOG_WARN, "unreadable negotiation record", "what", what, NULL);
		mc_error_clear();
		return NULL;
	}
	return doc;
}

/* The card's contract section: the contract of the change's task (its portfolio item
 * id), else its latest escalation; nothing when it was never negotiated. Like the
 * plan, it is a convenience: a store that cannot answer leaves a warning. */
static void add_contract(struct run *r, mc_review *out)
{
	mc_store *store = r->opt->agents ? r->opt->agents : r->store;
	struct json_object *contract = NULL, *escalation = NULL;
	char *id = item_id(r), *body = NULL;
	int64_t at = 0;
	int rc;

	rc = mc_agents_task_contract(&body, store, id);
	if (rc == 0) {
		contract = parse_stored(body, "stored contract");
	} else if (rc == MC_ENOTFOUND) {
		mc_error_clear();
		rc = mc_agents_task_escalation(&body, &at, store, id);
		if (rc == 0)
			escalation = parse_stored(body, "stored escalation");
		else if (rc == MC_ENOTFOUND) {
			mc_error_clear();
			rc = 0;
		}
	}
	if (rc)
		mc_log(MC_LOG_WARN, "no contract on the card", "item", id, "error",
		       mc_error_message(), NULL);
	mc_card_add_contract(out->card, id, contract, escalation, (time_t)at);
	if (contract)
		json_object_put(contract);
	if (escalation)
		json_object_put(escalation);
	free(body);
	free(id);
}

static void refresh_portfolio(struct run *r, mc_review *out, time_t now)
{
	char *id;

	if (r->opt->no_portfolio || r->opt->no_cache)
		return;
	if (!out->cache_path) {
		mc_log(MC_LOG_WARN, "portfolio not refreshed: its store is unavailable", NULL);
		return;
	}
	id = item_id(r);
	if (mc_portfolio_refresh(r->store, id,
				 r->opt->item_title ? r->opt->item_title : r->facts.commits[0].summary,
				 out->card,
				 r->score.llm_usd, r->score.ci_minutes, (int64_t)now) != 0)
		mc_log(MC_LOG_WARN, "portfolio not refreshed", "item", id, "error",
		       mc_error_message(), NULL);
	/* The stored item is planned with the rest of the live portfolio for the card. */
	else if (mc_portfolio_plan_for_card(out->card, r->store, &r->cfg, id) != 0)
		mc_log(MC_LOG_WARN, "no plan on the card", "item", id, "error", mc_error_message(),
		       NULL);
	free(id);
}

static int run_stages(struct run *r, mc_review *out)
{
	mc_facts_options fo = { 0 };
	time_t now;
	int rc;

	if ((rc = mc_repo_open(&r->repo, r->opt->repo_path ? r->opt->repo_path : ".")) != 0)
		return rc;
	if (!r->opt->range && (rc = choose_default_branch(r)) != 0)
		return rc;
	if ((rc = open_history(r, out)) != 0)
		return rc;
	if (!r->opt->range && r->opt->head) {
		mc_strbuf sb = MC_STRBUF_INIT;
		mc_strbuf_printf(&sb, "%s...%s", r->default_branch, r->opt->head);
		r->range = mc_strbuf_detach(&sb);
	}
	fo.range = r->opt->range ? r->opt->range : r->range;
	fo.default_branch = r->default_branch;
	fo.store = r->store;
	fo.history = r->history;
	if ((rc = mc_facts_gather(&r->facts, r->repo, &fo)) != 0)
		return rc;
	out->history = r->facts.history;
	if ((rc = load_config(r, r->facts.range.base)) != 0)
		return rc;
	collect_signals(r);
	if ((rc = simulate_change(r)) != 0)
		return rc;
	mc_score_compute(&r->score, &r->cfg, &r->signals, &r->facts.features, mc_risk_default());
	evaluate_policy(r);
	out->passed = r->verdict.passed;
	now = r->opt->now ? r->opt->now : time(NULL);
	out->card = build_card(r, now);
	refresh_portfolio(r, out, now);
	add_contract(r, out);
	add_simulation(r, out);
	if ((rc = render_card(out)) != 0 || (rc = record_card(r, out)) != 0)
		return rc;
	return 0;
}

int mc_review_run(mc_review *out, const mc_review_options *opt)
{
	struct run r;
	int rc;

	memset(out, 0, sizeof *out);
	memset(&r, 0, sizeof r);
	r.opt = opt;
	rc = run_stages(&r, out);
	mc_verdict_free(&r.verdict);
	if (r.simulated)
		mc_cf_result_free(&r.sim_result);
	mc_simulate_trace_free(&r.sim_trace);
	mc_cf_deltas_free(&r.sim_deltas);
	free(r.sim_error);
	mc_score_free(&r.score);
	mc_signals_free(&r.signals);
	mc_config_origin_free(&r.config);
	mc_config_free(&r.cfg);
	mc_facts_free(&r.facts);
	mc_history_cache_free(r.history);
	mc_store_close(r.store);
	free(r.default_branch);
	free(r.range);
	mc_repo_free(r.repo);
	if (rc)
		mc_review_free(out);
	return rc;
}

void mc_review_free(mc_review *review)
{
	if (review->card)
		json_object_put(review->card);
	free(review->markdown);
	free(review->cache_path);
	free(review->evidence_note);
	memset(review, 0, sizeof *review);
}
