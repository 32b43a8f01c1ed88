/* Policy gates with reasons (policy.h). Pure: decisions from numbers and paths. */
#include "model/policy.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/glob.h"
#include "util/strbuf.h"

/* How many protected paths the reason text lists before "and N more". */
#define MC_POLICY_LIST_PATHS 5

static void gate_set(mc_gate *g, const char *name, int applies, int passed, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void gate_set(mc_gate *g, const char *name, int applies, int passed, const char *fmt, ...)
{
	mc_strbuf sb = MC_STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	mc_strbuf_vprintf(&sb, fmt, ap);
	va_end(ap);
	g->name = name;
	g->applies = applies;
	g->passed = passed;
	g->reason = mc_strbuf_detach(&sb);
}

static void gate_risk(mc_gate *g, const mc_config *cfg, double risk)
{
	if (risk <= cfg->policy_max_risk)
		gate_set(g, "max_risk", 1, 1, "risk %.0f %% is within the limit of %.0f %% (policy.max_risk)",
			 risk * 100, cfg->policy_max_risk * 100);
	else
		gate_set(g, "max_risk", 1, 0,
			 "risk %.0f %% is above the limit of %.0f %% (policy.max_risk): split the change "
			 "or reduce what it touches",
			 risk * 100, cfg->policy_max_risk * 100);
}

static void gate_approvals(mc_gate *g, const mc_config *cfg, unsigned approvals)
{
	unsigned need = (unsigned)cfg->policy_required_approvals;
	if (!need)
		gate_set(g, "required_approvals", 0, 1, "no approvals required (policy.required_approvals)");
	else if (approvals >= need)
		gate_set(g, "required_approvals", 1, 1, "%u of %u required approvals", approvals, need);
	else
		gate_set(g, "required_approvals", 1, 0,
			 "%u of %u required approvals (policy.required_approvals): ask for a review", approvals,
			 need);
}

static void collect_protected(mc_verdict *v, const mc_config *cfg, const mc_policy_input *in)
{
	size_t i, j, alloc = 0;
	void *p = NULL;
	for (i = 0; i < in->npaths; i++) {
		for (j = 0; j < cfg->policy_protected_paths.n; j++) {
			if (mc_glob_match(cfg->policy_protected_paths.items[j], in->paths[i])) {
				mc_xgrow(&p, &alloc, v->protected_hits.n + 1, sizeof(char *));
				v->protected_hits.items = p;
				v->protected_hits.items[v->protected_hits.n++] = mc_xstrdup(in->paths[i]);
				break;
			}
		}
	}
}

static void gate_protected(mc_verdict *v, const mc_config *cfg, unsigned approvals)
{
	mc_gate *g = &v->gates[MC_GATE_PROTECTED];
	mc_strbuf list = MC_STRBUF_INIT;
	unsigned need = (unsigned)cfg->policy_protected_approvals;
	size_t i;

	if (!v->protected_hits.n) {
		gate_set(g, "protected_paths", 0, 1, "touches no protected path (policy.protected_paths)");
		return;
	}
	for (i = 0; i < v->protected_hits.n && i < MC_POLICY_LIST_PATHS; i++)
		mc_strbuf_printf(&list, "%s%s", i ? ", " : "", v->protected_hits.items[i]);
	if (v->protected_hits.n > MC_POLICY_LIST_PATHS)
		mc_strbuf_printf(&list, " and %zu more", v->protected_hits.n - MC_POLICY_LIST_PATHS);
	if (approvals >= need)
		gate_set(g, "protected_paths", 1, 1, "touches protected paths (%s) with %u of %u approvals",
			 list.buf, approvals, need);
	else
		gate_set(g, "protected_paths", 1, 0,
			 "touches protected paths (%s) and has %u of %u approvals it needs "
			 "(policy.protected_approvals)",
			 list.buf, approvals, need);
	mc_strbuf_release(&list);
}

static void gate_budget(mc_gate *g, const char *name, const char *what, const char *key,
			double used, double ceiling, int dollars)
{
	const char *cur = dollars ? "$" : "";
	const char *unit = dollars ? "" : " min";
	if (ceiling < 0)
		gate_set(g, name, 0, 1, "no ceiling on %s (%s)", what, key);
	else if (used <= ceiling)
		gate_set(g, name, 1, 1, "%s %s%.2f%s is within the ceiling of %s%.2f%s (%s)", what, cur,
			 used, unit, cur, ceiling, unit, key);
	else
		gate_set(g, name, 1, 0, "%s %s%.2f%s is over the ceiling of %s%.2f%s (%s)", what, cur,
			 used, unit, cur, ceiling, unit, key);
}

/* Only a failing canary blocks: a marginal one has not shown the change safe, but
 * it has not shown a regression either, so it is shown on the card and left to the
 * reviewers (`maestro canary run` still exits 1 on it). */
static void gate_canary(mc_gate *g, const mc_canary_judgement *j)
{
	if (!j)
		gate_set(g, "canary", 0, 1, "the shadow canary did not run (maestro review --canary, "
			 "/maestro canary)");
	else if (j->verdict == MC_CANARY_VERDICT_FAIL)
		gate_set(g, "canary", 1, 0, "shadow canary failed: %s", j->reason);
	else
		gate_set(g, "canary", 1, 1, "shadow canary %s, score %.0f: %s",
			 mc_canary_verdict_name(j->verdict), j->score, j->reason);
}

void mc_policy_evaluate(mc_verdict *out, const mc_config *cfg, const mc_policy_input *in)
{
	int i;
	memset(out, 0, sizeof *out);
	gate_risk(&out->gates[MC_GATE_RISK], cfg, in->risk);
	gate_approvals(&out->gates[MC_GATE_APPROVALS], cfg, in->approvals);
	collect_protected(out, cfg, in);
	gate_protected(out, cfg, in->approvals);
	gate_budget(&out->gates[MC_GATE_BUDGET_LLM], "budget_llm_usd", "LLM spend",
		    "policy.max_llm_usd", in->llm_usd, cfg->policy_max_llm_usd, 1);
	gate_budget(&out->gates[MC_GATE_BUDGET_CI], "budget_ci_minutes", "CI time",
		    "policy.max_ci_minutes", in->ci_minutes, cfg->policy_max_ci_minutes, 0);
	gate_canary(&out->gates[MC_GATE_CANARY], in->canary);
	out->passed = 1;
	for (i = 0; i < MC_GATE_COUNT; i++)
		if (out->gates[i].applies && !out->gates[i].passed)
			out->passed = 0;
}

void mc_verdict_free(mc_verdict *v)
{
	size_t i;
	for (i = 0; i < MC_GATE_COUNT; i++)
		free(v->gates[i].reason);
	for (i = 0; i < v->protected_hits.n; i++)
		free(v->protected_hits.items[i]);
	free(v->protected_hits.items);
	memset(v, 0, sizeof *v);
}
