/* Agent negotiation, end to end (negotiate.h): gather and check offers, run the
 * mediator, store and record contracts; settle contracts with actuals. */
#include "pipeline/negotiate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "adapters/git/range.h"
#include "adapters/git/repo.h"
#include "adapters/sign/gpg.h"
#include "adapters/store/agents.h"
#include "pipeline/config_at.h"
#include "pipeline/evidence.h"
#include "pipeline/repo_store.h"
#include "util/alloc.h"
#include "util/embedded.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/jsonschema.h"
#include "util/strbuf.h"

#define INPUT_SCHEMA "schemas/negotiation-input.schema.json"
#define POLICY_MAX_BYTES (256 * 1024)

/* ---- signatures ---- */

/* One verify-only gpg context, opened when the first signed offer needs it. */
typedef struct verifier {
	const char *gnupghome;
	mc_gpg *gpg;
} verifier;

/* 1 when o carries a good signature by its agent's pinned key; 0 with *why otherwise. */
static int verify_offer(verifier *v, const mc_negotiate_policy *p, const mc_offer *o,
			const char **why)
{
	const mc_agent_profile *agent = mc_negotiate_profile(p, o->agent_id);
	const char *pins[1];
	mc_gpg_options gopt = { v->gnupghome, NULL };
	char fpr[41], *canonical;
	int rc;

	*why = NULL;
	if (!o->signature)
		return *why = "no signature", 0;
	if (!agent || !agent->key[0])
		return *why = "the agent has no pinned key (negotiation.agents[].key)", 0;
	if (!v->gpg && mc_gpg_open(&v->gpg, &gopt) != 0)
		return *why = "gpg is not available to check it", 0;
	pins[0] = agent->key;
	canonical = mc_offer_canonical(o);
	rc = mc_gpg_verify(v->gpg, canonical, strlen(canonical), o->signature, strlen(o->signature),
			   pins, 1, fpr);
	free(canonical);
	if (rc)
		return *why = "does not verify against the agent's pinned key", 0;
	return 1;
}

/* The body an offer is stored as: its canonical fields and signature, so that the
 * same offer re-delivered with other whitespace is the same row. */
static char *offer_body(const mc_offer *o)
{
	struct json_object *j = mc_offer_to_json(o, 1);
	char *s = mc_xstrdup(mc_json_dump(j, 0));
	json_object_put(j);
	return s;
}

/* Signature check then store (dedup, rate limit). *duplicate: already stored. */
static int check_and_store(mc_store *store, verifier *v, const mc_negotiate_policy *p,
			   mc_offer *o, int64_t now, int *duplicate)
{
	const char *why = NULL;
	char *body;
	int rc;

	/* A signature this policy has no pinned key for, where none is required (an offer
	 * through the daemon's API, whose token already names the agent), is kept
	 * unverified: the repository's policy checks it when the offer is negotiated. */
	if (o->signature && !p->require_signatures) {
		const mc_agent_profile *agent = mc_negotiate_profile(p, o->agent_id);
		if (!agent || !agent->key[0])
			goto store;
	}
	if (o->signature || p->require_signatures) {
		o->verified = verify_offer(v, p, o, &why);
		if (!o->verified && (o->signature || p->require_signatures))
			return mc_error_set(o->signature ? MC_EVERIFY : MC_EINVAL,
					    "offer %s: signature: %s%s", o->offer_id, why,
					    o->signature ? "" : ", and negotiation.require_signatures is on");
	}
store:
	body = offer_body(o);
	rc = mc_agents_offer_put(store, o, body, o->verified, now, p->rate_window_seconds,
				 p->rate_limit, duplicate);
	free(body);
	return rc;
}

int mc_negotiate_submit(mc_store *store, const mc_negotiate_policy *p, const char *gnupghome,
			const char *text, size_t len, int64_t now,
			char offer_id[MC_AGENT_ID_MAX + 1], int *duplicate)
{
	verifier v = { gnupghome, NULL };
	mc_offer o;
	int rc, dup = 0;

	if (offer_id)
		offer_id[0] = 0;
	if ((rc = mc_offer_parse(&o, text, len, "offer")) != 0)
		return rc;
	if (o.expires_at <= now)
		rc = mc_error_set(MC_EINVAL, "offer %s: expiresAt: the offer has expired", o.offer_id);
	else
		rc = check_and_store(store, &v, p, &o, now, &dup);
	if (!rc && offer_id)
		snprintf(offer_id, MC_AGENT_ID_MAX + 1, "%s", o.offer_id);
	if (duplicate)
		*duplicate = dup;
	mc_offer_clear(&o);
	mc_gpg_free(v.gpg);
	return rc;
}

int mc_negotiate_canonical(char **out, const char *text, size_t len)
{
	mc_offer o;
	int rc;
	*out = NULL;
	if ((rc = mc_offer_parse(&o, text, len, "offer")) != 0)
		return rc;
	*out = mc_offer_canonical(&o);
	mc_offer_clear(&o);
	return 0;
}

/* ---- the context every command needs ---- */

typedef struct context {
	mc_repo *repo;                /* NULL outside a repository (with --state) */
	mc_config cfg;
	int have_cfg;
	mc_negotiate_policy policy;
	int have_policy;
	mc_store *store;
	int own_store;                /* opened here (else borrowed from the options) */
	int64_t now;
	const char *train;
	char head[41];                /* the range's head, when a range was given */
} context;

static int load_policy_file(mc_negotiate_policy *p, const char *path)
{
	struct json_object *doc = NULL, *wrapped, *schema = NULL;
	const char *stext;
	char *text = NULL;
	size_t len, slen;
	int rc;

	if ((rc = mc_fs_read_file(&text, &len, path, POLICY_MAX_BYTES)) != 0)
		return rc == MC_ENOTFOUND ? mc_error_recode(MC_EINVAL) : rc;
	rc = mc_json_parse(&doc, text, len, POLICY_MAX_BYTES, path);
	free(text);
	if (rc)
		return mc_error_recode(MC_EINVAL);
	stext = mc_embedded_get("schemas/config.schema.json", &slen);
	if (!stext || mc_json_parse(&schema, stext, slen, 1 << 20, "config schema") != 0) {
		json_object_put(doc);
		return mc_error_set(MC_EINTERNAL, "the config schema is not embedded");
	}
	/* A policy file is a negotiation section: check it as one, in a config. */
	wrapped = json_object_new_object();
	json_object_object_add(wrapped, "negotiation", doc);
	rc = mc_jsonschema_validate(schema, wrapped, path);
	if (!rc)
		mc_negotiate_policy_apply(p, doc);
	json_object_put(wrapped);
	json_object_put(schema);
	return rc;
}

/* The configuration as review reads it: from a range's base (merge-base..head), else
 * config_rev, else HEAD; defaults outside a repository or on an unborn HEAD. */
static int load_config(context *ctx, const mc_negotiate_options *opt, mc_config_origin *origin)
{
	mc_range range;
	int rc;

	if (opt->range) {
		if (!ctx->repo)
			return mc_error_set(MC_EINVAL, "--range needs a repository");
		if ((rc = mc_range_resolve(&range, ctx->repo, opt->range, NULL)) != 0)
			return rc;
		snprintf(ctx->head, sizeof ctx->head, "%s", range.head);
		rc = mc_config_at(&ctx->cfg, origin, ctx->repo, range.base);
		mc_range_free(&range);
		return rc;
	}
	if (opt->config_rev) {
		if (!ctx->repo)
			return mc_error_set(MC_EINVAL, "a configuration revision needs a repository");
		return mc_config_at(&ctx->cfg, origin, ctx->repo, opt->config_rev);
	}
	if (ctx->repo && mc_repo_check_head(ctx->repo) == 0)
		return mc_config_at(&ctx->cfg, origin, ctx->repo, "HEAD");
	mc_config_defaults(&ctx->cfg);
	return 0;
}

static int open_context(context *ctx, const mc_negotiate_options *opt)
{
	mc_config_origin origin = { 0 };
	int rc;

	memset(ctx, 0, sizeof *ctx);
	ctx->now = opt->now ? opt->now : (int64_t)time(NULL);
	ctx->train = opt->train ? opt->train : MC_NEGOTIATE_DEFAULT_TRAIN;
	rc = mc_repo_open(&ctx->repo, opt->repo_path ? opt->repo_path : ".");
	if (rc && !opt->state_path)
		return mc_error_wrap(rc, "negotiation state lives in a repository (or pass --state FILE)");
	if (rc)
		ctx->repo = NULL;
	if ((rc = load_config(ctx, opt, &origin)) != 0)
		return rc;
	mc_config_origin_free(&origin);
	ctx->have_cfg = 1;
	mc_negotiate_policy_copy(&ctx->policy, &ctx->cfg.negotiation);
	ctx->have_policy = 1;
	if (opt->policy_path && (rc = load_policy_file(&ctx->policy, opt->policy_path)) != 0)
		return rc;
	if (opt->budget_usd >= 0)
		ctx->policy.budget_usd = opt->budget_usd;
	if (opt->budget_minutes >= 0)
		ctx->policy.budget_minutes = opt->budget_minutes;
	if (opt->store) {
		ctx->store = opt->store;
		return 0;
	}
	ctx->own_store = 1;
	if (opt->state_path)
		return mc_store_open(&ctx->store, opt->state_path);
	return mc_repo_store_open(&ctx->store, NULL, ctx->repo);
}

static void close_context(context *ctx)
{
	if (ctx->own_store)
		mc_store_close(ctx->store);
	if (ctx->have_policy)
		mc_negotiate_policy_free(&ctx->policy);
	if (ctx->have_cfg)
		mc_config_free(&ctx->cfg);
	mc_repo_free(ctx->repo);
}

/* The revision whose offers join and which records are about: --head, else the
 * range's head, else none (records then go to HEAD). */
static const char *head_rev(const context *ctx, const mc_negotiate_options *opt)
{
	return opt->head ? opt->head : ctx->head[0] ? ctx->head : NULL;
}

/* Record a contract or penalty about rev's commit, as the configuration asks. */
static int record(char **note, context *ctx, const char *rev, enum mc_evidence_kind kind,
		  struct json_object *predicate, const char *what)
{
	char commit[41], *name;
	int appended = 0, rc;
	if (!ctx->repo || mc_repo_resolve(commit, ctx->repo, rev ? rev : "HEAD") != 0) {
		mc_error_clear();
		*note = mc_xstrdup("not recorded as evidence: no commit to attach it to");
		return 0;
	}
	name = mc_repo_display_name(ctx->repo);
	rc = mc_evidence_record_as_configured(note, &appended, ctx->repo, &ctx->cfg, kind, name,
					      commit, predicate, what);
	free(name);
	return rc;
}

/* ---- gathering offers ---- */

typedef struct gathered {
	mc_offer *offers;
	size_t n, alloc;
	char **task_ids;
	mc_task *tasks;
	size_t ntasks, tasks_alloc;
	mc_claim *claims;
	size_t nclaims;
	struct json_object *input;    /* keeps the claims' strings alive */
	struct json_object *refusals; /* offers refused before the mediator saw them */
} gathered;

static void refuse_early(gathered *g, const char *offer_id, const char *agent_id)
{
	struct json_object *x = json_object_new_object();
	mc_json_set_string(x, "offer_id", offer_id ? offer_id : "");
	mc_json_set_string(x, "agent_id", agent_id ? agent_id : "");
	mc_json_set_string(x, "reason", mc_error_message());
	json_object_array_add(g->refusals, x);
	mc_error_clear();
}

static int has_offer(const gathered *g, const char *id)
{
	size_t i;
	for (i = 0; i < g->n; i++)
		if (!strcmp(g->offers[i].offer_id, id))
			return 1;
	return 0;
}

static void add_offer(gathered *g, mc_offer *o)
{
	mc_xgrow((void **)&g->offers, &g->alloc, g->n + 1, sizeof *g->offers);
	g->offers[g->n++] = *o;
	memset(o, 0, sizeof *o);
}

static int has_task(const gathered *g, const char *id)
{
	size_t i;
	for (i = 0; i < g->ntasks; i++)
		if (!strcmp(g->tasks[i].id, id))
			return 1;
	return 0;
}

static void add_task(gathered *g, const char *id, double value)
{
	if (has_task(g, id))
		return;
	mc_xgrow((void **)&g->tasks, &g->tasks_alloc, g->ntasks + 1, sizeof *g->tasks);
	g->task_ids = mc_xrealloc(g->task_ids, (g->ntasks + 1) * sizeof *g->task_ids);
	g->task_ids[g->ntasks] = mc_xstrdup(id);
	g->tasks[g->ntasks].id = g->task_ids[g->ntasks];
	g->tasks[g->ntasks].value_usd = value;
	g->ntasks++;
}

/* Only task's offers stay (a file or a head may offer for other tasks too). */
static void keep_task(gathered *g, const char *task)
{
	size_t i, kept;
	for (i = kept = 0; i < g->n; i++) {
		if (!strcmp(g->offers[i].task_id, task))
			g->offers[kept++] = g->offers[i];
		else
			mc_offer_clear(&g->offers[i]);
	}
	g->n = kept;
	for (i = kept = 0; i < g->ntasks; i++) {
		if (!strcmp(g->tasks[i].id, task)) {
			g->tasks[kept] = g->tasks[i];
			g->task_ids[kept++] = g->task_ids[i];
		} else {
			free(g->task_ids[i]);
		}
	}
	g->ntasks = kept;
}

/* One offer from outside: parse, check, store; refused offers are listed, not fatal.
 * Expired offers and offers for unknown tasks are left for the mediator to refuse. */
static int take_offer(gathered *g, context *ctx, verifier *v, struct json_object *doc,
		      struct json_object *schema, const char *what)
{
	mc_offer o;
	int dup = 0, rc;
	if (mc_offer_from_json(&o, doc, schema, what) != 0) {
		refuse_early(g, mc_json_get_string(doc, "offerId", NULL),
			     mc_json_get_string(doc, "agentId", NULL));
		mc_offer_clear(&o);
		return 0;
	}
	rc = o.expires_at > ctx->now ? check_and_store(ctx->store, v, &ctx->policy, &o, ctx->now, &dup)
				     : 0;
	if (rc == MC_EDB)
		return rc;
	if (rc)
		refuse_early(g, o.offer_id, o.agent_id);
	else if (!has_offer(g, o.offer_id))
		add_offer(g, &o);
	mc_offer_clear(&o);
	return 0;
}

static int read_input(gathered *g, context *ctx, verifier *v, const char *path,
		      struct json_object *offer_schema)
{
	struct json_object *doc = NULL, *schema = NULL, *offers, *tasks, *claims;
	const char *stext;
	char *text = NULL, what[96];
	size_t len, slen, i, j;
	int rc;

	if ((rc = mc_fs_read_file(&text, &len, path, MC_NEGOTIATE_INPUT_MAX_BYTES)) != 0)
		return rc == MC_ENOTFOUND ? mc_error_recode(MC_EINVAL) : rc;
	rc = mc_json_parse(&doc, text, len, MC_NEGOTIATE_INPUT_MAX_BYTES, path);
	free(text);
	if (rc)
		return rc == MC_ELIMIT ? rc : mc_error_recode(MC_EINVAL);
	if (json_object_is_type(doc, json_type_array)) {
		struct json_object *wrapped = json_object_new_object();
		json_object_object_add(wrapped, "offers", doc);
		doc = wrapped;
	}
	g->input = doc;
	stext = mc_embedded_get(INPUT_SCHEMA, &slen);
	if (!stext || mc_json_parse(&schema, stext, slen, 1 << 20, INPUT_SCHEMA) != 0)
		return mc_error_set(MC_EINTERNAL, "%s is not embedded", INPUT_SCHEMA);
	rc = mc_jsonschema_validate(schema, doc, path);
	json_object_put(schema);
	if (rc)
		return rc;
	if ((tasks = mc_json_get(doc, "tasks")) != NULL)
		for (i = 0; i < json_object_array_length(tasks); i++) {
			struct json_object *t = json_object_array_get_idx(tasks, i);
			add_task(g, mc_json_get_string(t, "id", ""), mc_json_get_double(t, "value_usd", -1));
		}
	offers = mc_json_get(doc, "offers");
	for (i = 0; i < json_object_array_length(offers); i++) {
		struct json_object *one = json_object_array_get_idx(offers, i);
		struct json_object *id = mc_json_get(one, "offerId");
		if (id && json_object_is_type(id, json_type_string))
			snprintf(what, sizeof what, "offer %.40s (offers[%zu])", json_object_get_string(id), i);
		else
			snprintf(what, sizeof what, "offer offers[%zu]", i);
		if ((rc = take_offer(g, ctx, v, one, offer_schema,
				     what)) != 0)
			return rc;
	}
	if (!tasks)
		for (i = 0; i < g->n; i++)
			add_task(g, g->offers[i].task_id, -1);
	if ((claims = mc_json_get(doc, "claims")) != NULL) {
		g->nclaims = json_object_array_length(claims);
		g->claims = mc_xcalloc(g->nclaims ? g->nclaims : 1, sizeof *g->claims);
		for (i = 0; i < g->nclaims; i++) {
			struct json_object *c = json_object_array_get_idx(claims, i);
			struct json_object *files = mc_json_get(c, "files");
			size_t nf = json_object_array_length(files);
			const char **paths = mc_xcalloc(nf ? nf : 1, sizeof *paths);
			const char **blobs = mc_xcalloc(nf ? nf : 1, sizeof *blobs);
			for (j = 0; j < nf; j++) {
				struct json_object *f = json_object_array_get_idx(files, j);
				paths[j] = mc_json_get_string(f, "path", "");
				blobs[j] = mc_json_get_string(f, "blob", "");
			}
			g->claims[i].offer_id = mc_json_get_string(c, "offerId", "");
			g->claims[i].paths = paths;
			g->claims[i].blobs = blobs;
			g->claims[i].nfiles = nf;
		}
	}
	return 0;
}

/* .maestro/offers/<name>.json in the head commit's tree: one offer per file. */
static int read_head_offers(gathered *g, context *ctx, verifier *v, const char *head,
			    struct json_object *schema)
{
	char **names = NULL, *text, path[512];
	size_t n = 0, i, len;
	int rc;
	if (!ctx->repo)
		return mc_error_set(MC_EINVAL, "--head needs a repository");
	if ((rc = mc_repo_list_files_at(&names, &n, ctx->repo, head, MC_NEGOTIATE_OFFERS_DIR)) != 0)
		return rc;
	for (i = 0; i < n && !rc; i++) {
		struct json_object *doc = NULL;
		size_t nl = strlen(names[i]);
		if (nl < 5 || strcmp(names[i] + nl - 5, ".json"))
			continue;
		snprintf(path, sizeof path, "%s/%s", MC_NEGOTIATE_OFFERS_DIR, names[i]);
		if (mc_repo_read_file_at(&text, &len, NULL, ctx->repo, head, path,
					 MC_OFFER_MAX_BYTES) != 0 ||
		    mc_json_parse(&doc, text, len, MC_OFFER_MAX_BYTES, path) != 0) {
			refuse_early(g, names[i], NULL);
		} else {
			rc = take_offer(g, ctx, v, doc, schema, path);
		}
		if (doc)
			json_object_put(doc);
		free(text);
		text = NULL;
	}
	mc_repo_names_free(names, n);
	return rc;
}

/* Offers submitted earlier (slash-command, API) for these tasks, not expired. */
static int read_stored_offers(gathered *g, context *ctx, verifier *v, struct json_object *schema,
			      int all_tasks)
{
	mc_stored_offer *stored = NULL;
	size_t n = 0, i;
	int rc;
	if ((rc = mc_agents_offers_open(&stored, &n, ctx->store, ctx->now)) != 0)
		return rc;
	for (i = 0; i < n; i++) {
		struct json_object *doc = NULL;
		mc_offer o;
		if (mc_json_parse(&doc, stored[i].body, strlen(stored[i].body), MC_OFFER_MAX_BYTES,
				  "stored offer") != 0 ||
		    mc_offer_from_json(&o, doc, schema, "stored offer") != 0) {
			mc_error_clear();
		} else {
			const char *why;
			o.verified = stored[i].verified;
			/* stored unverified where it arrived: this policy's pinned keys decide */
			if (!o.verified && o.signature &&
			    !(o.verified = verify_offer(v, &ctx->policy, &o, &why)) &&
			    mc_negotiate_profile(&ctx->policy, o.agent_id) &&
			    mc_negotiate_profile(&ctx->policy, o.agent_id)->key[0]) {
				if (has_task(g, o.task_id) || all_tasks) {
					mc_error_set(MC_EVERIFY, "offer %s: signature: %s", o.offer_id, why);
					refuse_early(g, o.offer_id, o.agent_id);
				}
				mc_offer_clear(&o);
				json_object_put(doc);
				continue;
			}
			if (all_tasks)
				add_task(g, o.task_id, -1);
			if (has_task(g, o.task_id) && !has_offer(g, o.offer_id))
				add_offer(g, &o);
			mc_offer_clear(&o);
		}
		if (doc)
			json_object_put(doc);
	}
	mc_agents_stored_offers_free(stored, n);
	return 0;
}

/* Standing offers of the agent profiles, one per task; the config is trusted input
 * (read from a commit), so they count as verified. */
static void add_profile_offers(gathered *g, context *ctx)
{
	size_t a, t;
	for (a = 0; a < ctx->policy.nagents; a++) {
		const mc_agent_profile *p = &ctx->policy.agents[a];
		if (!p->has_standing)
			continue;
		for (t = 0; t < g->ntasks; t++) {
			mc_offer o;
			memset(&o, 0, sizeof o);
			snprintf(o.offer_id, sizeof o.offer_id, "%.64s@%.60s", p->id, g->tasks[t].id);
			if (has_offer(g, o.offer_id))
				continue;
			snprintf(o.agent_id, sizeof o.agent_id, "%s", p->id);
			snprintf(o.task_id, sizeof o.task_id, "%s", g->tasks[t].id);
			snprintf(o.arm, sizeof o.arm, "%s", p->arm);
			o.pred_eval = p->pred_eval;
			o.pred_cost_usd = p->pred_cost_usd;
			o.pred_minutes = p->pred_minutes;
			o.risk = p->risk;
			o.expires_at = ctx->now + ctx->policy.deadline_seconds + 1;
			o.verified = 1;
			add_offer(g, &o);
		}
	}
}

static void gathered_free(gathered *g)
{
	size_t i;
	for (i = 0; i < g->n; i++)
		mc_offer_clear(&g->offers[i]);
	free(g->offers);
	for (i = 0; i < g->ntasks; i++)
		free(g->task_ids[i]);
	free(g->task_ids);
	free(g->tasks);
	for (i = 0; i < g->nclaims; i++) {
		free((void *)g->claims[i].paths);
		free((void *)g->claims[i].blobs);
	}
	free(g->claims);
	if (g->input)
		json_object_put(g->input);
	if (g->refusals)
		json_object_put(g->refusals);
}

static int load_reputations(mc_reputation **reps, size_t *nreps, context *ctx, const gathered *g)
{
	size_t i, j;
	int rc;
	*reps = mc_xcalloc(g->n ? g->n : 1, sizeof **reps);
	*nreps = 0;
	for (i = 0; i < g->n; i++) {
		for (j = 0; j < *nreps && strcmp((*reps)[j].agent_id, g->offers[i].agent_id); j++)
			;
		if (j < *nreps)
			continue;
		if ((rc = mc_agents_reputation_get(&(*reps)[*nreps], ctx->store,
						   g->offers[i].agent_id)) != 0)
			return rc;
		(*nreps)++;
	}
	return 0;
}

static void append_note(mc_strbuf *notes, char *note)
{
	if (note && *note)
		mc_strbuf_printf(notes, "%s%s", notes->len ? "; " : "", note);
	free(note);
}

/* An escalation is kept per task, for the task's Decision Card. */
static int keep_escalation(context *ctx, const mc_award *a)
{
	struct json_object *e = mc_award_escalation_json(a);
	int rc = mc_agents_escalation_put(ctx->store, a->task_id, ctx->now, mc_json_dump(e, 0));
	json_object_put(e);
	return rc;
}

/* Store each contract and record it as evidence; fills ids[i] for accepted awards.
 * Tasks with a contract were left out before the mediator ran; a contract another
 * process stored for the task meanwhile wins, and this one is reported as not kept. */
static int conclude(context *ctx, const mc_negotiate_options *opt, mc_negotiation_result *r,
		    char (*ids)[20], mc_strbuf *notes)
{
	size_t i;
	int rc;
	for (i = 0; i < r->nawards; i++) {
		struct json_object *c;
		char *note = NULL, existing[20] = "";
		if (!r->awards[i].accepted) {
			if ((rc = keep_escalation(ctx, &r->awards[i])) != 0)
				return rc;
			continue;
		}
		mc_negotiate_contract_id(ids[i], &r->awards[i], ctx->now);
		c = mc_award_contract_json(&r->awards[i], &ctx->policy, ids[i], ctx->train, ctx->now);
		rc = record(&note, ctx, head_rev(ctx, opt), MC_EV_CONTRACT, c, "contract");
		if (!rc)
			rc = mc_agents_contract_put(ctx->store, ids[i], &r->awards[i], ctx->train,
						    ctx->now, mc_json_dump(c, 0), existing);
		json_object_put(c);
		append_note(notes, note);
		if (!rc && existing[0]) {
			mc_strbuf_printf(notes, "%stask %s was contracted meanwhile as %s: contract %s "
					 "not stored", notes->len ? "; " : "", r->awards[i].task_id,
					 existing, ids[i]);
			snprintf(ids[i], 20, "%s", existing);
		}
		if (rc)
			return rc;
	}
	return 0;
}

/* Tasks that have a contract already are not negotiated again (the bug this guards
 * against: a second run made a second contract, and the train's budget counted both):
 * they and their offers leave the negotiation and are listed in *before. */
static int drop_contracted(gathered *g, context *ctx, struct json_object *before)
{
	size_t t = 0, i, kept;
	int rc;
	while (t < g->ntasks) {
		char *body = NULL;
		struct json_object *doc = NULL, *x;
		rc = mc_agents_task_contract(&body, ctx->store, g->tasks[t].id);
		if (rc == MC_ENOTFOUND) {
			mc_error_clear();
			t++;
			continue;
		}
		if (rc)
			return rc;
		x = json_object_new_object();
		mc_json_set_string(x, "task_id", g->tasks[t].id);
		if (mc_json_parse(&doc, body, strlen(body), 1 << 20, "stored contract") == 0)
			mc_json_set_string(x, "contract_id", mc_json_get_string(doc, "contract_id", ""));
		else
			mc_error_clear();
		json_object_array_add(before, x);
		if (doc)
			json_object_put(doc);
		free(body);
		for (i = kept = 0; i < g->n; i++) {
			if (strcmp(g->offers[i].task_id, g->tasks[t].id) != 0)
				g->offers[kept++] = g->offers[i];
			else
				mc_offer_clear(&g->offers[i]);
		}
		g->n = kept;
		free(g->task_ids[t]);
		memmove(&g->task_ids[t], &g->task_ids[t + 1], (g->ntasks - t - 1) * sizeof *g->task_ids);
		memmove(&g->tasks[t], &g->tasks[t + 1], (g->ntasks - t - 1) * sizeof *g->tasks);
		g->ntasks--;
	}
	return 0;
}

int mc_negotiate_pipeline_run(mc_negotiate_outcome *out, const mc_negotiate_options *opt)
{
	context ctx;
	gathered g;
	verifier v = { opt->gnupghome, NULL };
	struct json_object *schema = NULL, *before;
	const char *head;
	mc_negotiation_input in;
	mc_negotiation_result result;
	mc_reputation *reps = NULL;
	mc_strbuf notes = MC_STRBUF_INIT;
	char (*ids)[20] = NULL;
	const char **idp = NULL;
	size_t nreps = 0, i;
	int rc, have_result = 0;

	memset(out, 0, sizeof *out);
	memset(&g, 0, sizeof g);
	memset(&result, 0, sizeof result);
	g.refusals = json_object_new_array();
	before = json_object_new_array();
	if ((rc = open_context(&ctx, opt)) != 0 || (rc = mc_offer_schema(&schema)) != 0)
		goto out;
	head = head_rev(&ctx, opt);
	if (opt->task_id)
		add_task(&g, opt->task_id, -1);
	if (opt->offers_path && (rc = read_input(&g, &ctx, &v, opt->offers_path, schema)) != 0)
		goto out;
	if (head && (rc = read_head_offers(&g, &ctx, &v, head, schema)) != 0)
		goto out;
	if (head && !opt->offers_path && !opt->task_id)
		for (i = 0; i < g.n; i++)
			add_task(&g, g.offers[i].task_id, -1);
	if ((rc = read_stored_offers(&g, &ctx, &v, schema,
				     !opt->offers_path && !head && !opt->task_id)) != 0)
		goto out;
	if (opt->task_id)
		keep_task(&g, opt->task_id);
	if ((rc = drop_contracted(&g, &ctx, before)) != 0)
		goto out;
	if (opt->only_if_offered && g.n == 0) {
		/* nobody offered: the profiles' standing offers wait too */
		for (i = 0; i < g.ntasks; i++)
			free(g.task_ids[i]);
		g.ntasks = 0;
	}
	add_profile_offers(&g, &ctx);
	if ((rc = load_reputations(&reps, &nreps, &ctx, &g)) != 0)
		goto out;
	memset(&in, 0, sizeof in);
	in.policy = &ctx.policy;
	in.tasks = g.tasks, in.ntasks = g.ntasks;
	in.offers = g.offers, in.noffers = g.n;
	in.reps = reps, in.nreps = nreps;
	in.claims = g.claims, in.nclaims = g.nclaims;
	in.now = ctx.now;
	if ((rc = mc_agents_train_spent(&in.spent_usd, &in.spent_minutes, ctx.store, ctx.train)) != 0 ||
	    (rc = mc_negotiate_run(&result, &in)) != 0)
		goto out;
	have_result = 1;
	ids = mc_xcalloc(result.nawards ? result.nawards : 1, sizeof *ids);
	idp = mc_xcalloc(result.nawards ? result.nawards : 1, sizeof *idp);
	if ((rc = conclude(&ctx, opt, &result, ids, &notes)) != 0)
		goto out;
	for (i = 0; i < result.nawards; i++) {
		idp[i] = result.awards[i].accepted ? ids[i] : NULL;
		out->escalated |= !result.awards[i].accepted;
	}
	out->doc = mc_negotiation_result_to_json(&result, &ctx.policy, idp, ctx.train, ctx.now);
	{
		struct json_object *later = mc_json_get(out->doc, "refusals");
		for (i = 0; i < json_object_array_length(later); i++)
			json_object_array_add(g.refusals,
					      json_object_get(json_object_array_get_idx(later, i)));
		json_object_object_add(out->doc, "refusals", json_object_get(g.refusals));
	}
	json_object_object_add(out->doc, "contracted_before", json_object_get(before));
	mc_json_set_string(out->doc, "train", ctx.train);
	mc_json_set_int(out->doc, "tasks", (long long)g.ntasks);
	mc_json_set_int(out->doc, "offers", (long long)g.n);
	out->note = notes.len ? mc_strbuf_detach(&notes) : NULL;
out:
	mc_strbuf_release(&notes);
	if (have_result)
		mc_negotiation_result_free(&result);
	free(ids);
	free(idp);
	free(reps);
	if (schema)
		json_object_put(schema);
	gathered_free(&g);
	json_object_put(before);
	mc_gpg_free(v.gpg);
	close_context(&ctx);
	return rc;
}

void mc_negotiate_outcome_free(mc_negotiate_outcome *out)
{
	if (out->doc)
		json_object_put(out->doc);
	free(out->note);
	memset(out, 0, sizeof *out);
}

/* ---- actuals ---- */

static int contract_from_body(mc_contract *c, const char *id, const char *body)
{
	struct json_object *doc = NULL, *offer, *sla;
	if (mc_json_parse(&doc, body, strlen(body), 1 << 20, "stored contract") != 0)
		return mc_error_recode(MC_EDB);
	memset(c, 0, sizeof *c);
	offer = mc_json_get(doc, "offer");
	sla = mc_json_get(doc, "sla");
	snprintf(c->id, sizeof c->id, "%s", id);
	snprintf(c->train, sizeof c->train, "%s", mc_json_get_string(doc, "train", ""));
	snprintf(c->offer.agent_id, sizeof c->offer.agent_id, "%s", mc_json_get_string(doc, "agent_id", ""));
	snprintf(c->offer.task_id, sizeof c->offer.task_id, "%s", mc_json_get_string(doc, "task_id", ""));
	snprintf(c->offer.offer_id, sizeof c->offer.offer_id, "%s", mc_json_get_string(offer, "offer_id", ""));
	snprintf(c->offer.arm, sizeof c->offer.arm, "%s", mc_json_get_string(offer, "arm", ""));
	c->offer.pred_eval = mc_json_get_double(offer, "pred_eval", 0);
	c->offer.pred_cost_usd = mc_json_get_double(offer, "pred_cost_usd", 0);
	c->offer.pred_minutes = mc_json_get_double(offer, "pred_minutes", 0);
	c->offer.risk = mc_json_get_double(offer, "risk", 0);
	c->tol_cost = mc_json_get_double(sla, "cost_tolerance", 0);
	c->tol_minutes = mc_json_get_double(sla, "time_tolerance", 0);
	c->tol_eval = mc_json_get_double(sla, "eval_tolerance", 0);
	json_object_put(doc);
	return 0;
}

static struct json_object *reputation_json(const mc_reputation *r)
{
	struct json_object *o = json_object_new_object(), *bias = json_object_new_object();
	struct json_object *spread = json_object_new_object();
	mc_json_set_string(o, "agent_id", r->agent_id);
	mc_json_set_int(o, "contracts", r->contracts);
	mc_json_set_int(o, "misses", r->misses);
	mc_json_set_double(o, "penalties_usd", r->penalties_usd);
	mc_json_set_int(o, "tier", r->tier);
	if (r->cost_cap >= 0)
		mc_json_set_double(o, "cost_cap_usd", r->cost_cap);
	else
		json_object_object_add(o, "cost_cap_usd", NULL);
	mc_json_set_double(o, "tolerance_scale", r->tolerance_scale);
	/* bias as a factor on predictions (actual / predicted) and a difference for eval */
	mc_json_set_double(bias, "cost_factor", exp(r->cost.mean));
	mc_json_set_double(bias, "minutes_factor", exp(r->minutes.mean));
	mc_json_set_double(bias, "eval_delta", r->eval.mean);
	mc_json_set_double(spread, "cost_log_sd", sqrt(r->cost.var));
	mc_json_set_double(spread, "minutes_log_sd", sqrt(r->minutes.var));
	mc_json_set_double(spread, "eval_sd", sqrt(r->eval.var));
	json_object_object_add(o, "bias", bias);
	json_object_object_add(o, "spread", spread);
	return o;
}

int mc_negotiate_actuals(struct json_object **doc, char **note, const mc_negotiate_options *opt,
			 const char *contract_id, double usd, double minutes, double eval)
{
	context ctx;
	mc_contract c;
	mc_reputation rep;
	mc_sla_outcome outcome;
	struct json_object *penalty = NULL, *misses;
	char *body = NULL;
	int rc, settled = 0;
	size_t i;

	*doc = NULL;
	*note = NULL;
	if ((rc = open_context(&ctx, opt)) != 0 ||
	    (rc = mc_agents_contract_get(&body, &settled, ctx.store, contract_id)) != 0)
		goto out;
	if (settled) {
		rc = mc_error_set(MC_EINVAL, "contract %s already has actuals", contract_id);
		goto out;
	}
	if ((rc = contract_from_body(&c, contract_id, body)) != 0 ||
	    (rc = mc_agents_reputation_get(&rep, ctx.store, c.offer.agent_id)) != 0 ||
	    (rc = mc_negotiate_enforce(&outcome, &rep, &c, usd, minutes, eval, &ctx.policy)) != 0)
		goto out;
	penalty = mc_sla_penalty_json(&outcome, &c, &rep, ctx.now);
	/* Evidence first: a configured key that cannot sign leaves the store unchanged. */
	if (penalty && (rc = record(note, &ctx, head_rev(&ctx, opt), MC_EV_PENALTY, penalty, "penalty")) != 0)
		goto out;
	if ((rc = mc_agents_settle(ctx.store, contract_id, usd, minutes, eval, &outcome,
				   penalty ? mc_json_dump(penalty, 0) : NULL, &rep, ctx.now)) != 0)
		goto out;
	*doc = json_object_new_object();
	mc_json_set_string(*doc, "contract_id", contract_id);
	mc_json_set_string(*doc, "agent_id", c.offer.agent_id);
	misses = json_object_new_array();
	for (i = 0; i < outcome.nmisses; i++) {
		struct json_object *m = json_object_new_object();
		mc_json_set_string(m, "dimension", mc_dimension_name(outcome.misses[i].dim));
		mc_json_set_double(m, "predicted", outcome.misses[i].predicted);
		mc_json_set_double(m, "actual", outcome.misses[i].actual);
		mc_json_set_double(m, "tolerance", outcome.misses[i].tolerance);
		mc_json_set_double(m, "penalty_usd", outcome.misses[i].penalty_usd);
		json_object_array_add(misses, m);
	}
	json_object_object_add(*doc, "misses", misses);
	mc_json_set_double(*doc, "penalty_usd", outcome.penalty_usd);
	mc_json_set_string(*doc, "downshift", mc_downshift_name(outcome.downshift));
	mc_json_set_bool(*doc, "upshift", outcome.upshift);
	json_object_object_add(*doc, "agent", reputation_json(&rep));
out:
	if (penalty)
		json_object_put(penalty);
	free(body);
	close_context(&ctx);
	return rc;
}

int mc_negotiate_submit_as_configured(const mc_negotiate_options *opt, const char *text,
				      size_t len, char offer_id[MC_AGENT_ID_MAX + 1], int *duplicate)
{
	context ctx;
	int rc = open_context(&ctx, opt);
	if (!rc)
		rc = mc_negotiate_submit(ctx.store, &ctx.policy, opt->gnupghome, text, len, ctx.now,
					 offer_id, duplicate);
	close_context(&ctx);
	return rc;
}

int mc_negotiate_agents(struct json_object **doc, const mc_negotiate_options *opt)
{
	context ctx;
	mc_reputation *reps = NULL;
	size_t n = 0, i;
	int rc;
	*doc = NULL;
	if ((rc = open_context(&ctx, opt)) == 0 &&
	    (rc = mc_agents_reputation_list(&reps, &n, ctx.store)) == 0) {
		*doc = json_object_new_array();
		for (i = 0; i < n; i++)
			json_object_array_add(*doc, reputation_json(&reps[i]));
	}
	free(reps);
	close_context(&ctx);
	return rc;
}
