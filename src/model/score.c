/* Score v1: value components, costs and risk with their inputs (score.h). */
#include "model/score.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/alloc.h"
#include "util/strbuf.h"

/* Distinct refs of one kind; the list of sources goes into the inputs text. */
static unsigned count_distinct(const mc_signals *s, enum mc_signal_kind kind, mc_strbuf *refs)
{
	unsigned n = 0;
	size_t i, j;
	for (i = 0; i < s->n; i++) {
		int seen = 0;
		if (s->items[i].kind != kind)
			continue;
		for (j = 0; j < i && !seen; j++)
			seen = s->items[j].kind == kind &&
			       !strcasecmp(s->items[j].ref, s->items[i].ref);
		if (seen)
			continue;
		if (refs)
			mc_strbuf_printf(refs, "%s%s", n ? ", " : "", s->items[i].ref);
		n++;
	}
	return n;
}

static double sum_amounts(const mc_signals *s, enum mc_signal_kind kind, unsigned *count)
{
	double sum = 0;
	size_t i;
	*count = 0;
	for (i = 0; i < s->n; i++) {
		if (s->items[i].kind == kind) {
			sum += s->items[i].amount;
			(*count)++;
		}
	}
	return sum;
}

static double max_amount(const mc_signals *s, enum mc_signal_kind kind, unsigned *count)
{
	double best = 0;
	size_t i;
	*count = 0;
	for (i = 0; i < s->n; i++) {
		if (s->items[i].kind == kind) {
			if (!*count || s->items[i].amount > best)
				best = s->items[i].amount;
			(*count)++;
		}
	}
	return best;
}

static void set_component(mc_score_component *c, const char *name, double usd, mc_strbuf *inputs)
{
	c->name = name;
	c->usd = usd;
	c->inputs = mc_strbuf_detach(inputs);
}

static void score_defects(mc_score *out, const mc_config *cfg, const mc_signals *s)
{
	mc_strbuf in = MC_STRBUF_INIT, refs = MC_STRBUF_INIT;
	const mc_signal *label = NULL;
	unsigned n = count_distinct(s, MC_SIG_DEFECT, &refs);
	if (n) {
		mc_strbuf_printf(&in, "%u defect%s fixed (Fixes: %s) × $%.2f (value.defect_usd)", n,
				 n == 1 ? "" : "s", refs.buf, cfg->value_defect_usd);
	} else if (mc_signals_has_label(s, &cfg->labels_fix, &label)) {
		n = 1;
		mc_strbuf_printf(&in, "1 defect fixed (label '%s' from %s) × $%.2f (value.defect_usd)",
				 label->ref, label->source, cfg->value_defect_usd);
	} else {
		mc_strbuf_puts(&in, "no Fixes: trailer or fix label");
	}
	set_component(&out->value[MC_VALUE_DEFECTS], "defects_avoided", n * cfg->value_defect_usd,
		      &in);
	mc_strbuf_release(&refs);
}

static void score_flakes(mc_score *out, const mc_config *cfg, const mc_signals *s)
{
	mc_strbuf in = MC_STRBUF_INIT;
	const mc_signal *label = NULL;
	unsigned count;
	double n = sum_amounts(s, MC_SIG_FLAKE, &count);
	if (count) {
		mc_strbuf_printf(&in, "%g flaky test%s fixed (Maestro-Flake-Fixed:) × $%.2f (value.flake_usd)",
				 n, n == 1 ? "" : "s", cfg->value_flake_usd);
	} else if (mc_signals_has_label(s, &cfg->labels_flaky, &label)) {
		n = 1;
		mc_strbuf_printf(&in, "1 flaky test fixed (label '%s' from %s) × $%.2f (value.flake_usd)",
				 label->ref, label->source, cfg->value_flake_usd);
	} else {
		mc_strbuf_puts(&in, "no Maestro-Flake-Fixed: trailer or flaky label");
	}
	set_component(&out->value[MC_VALUE_FLAKES], "flake_reduction", n * cfg->value_flake_usd, &in);
}

static void score_latency(mc_score *out, const mc_config *cfg, const mc_signals *s)
{
	mc_strbuf in = MC_STRBUF_INIT;
	unsigned count;
	double ms = sum_amounts(s, MC_SIG_LATENCY_MS, &count);
	if (count)
		mc_strbuf_printf(&in, "%g ms saved (Maestro-Latency-Saved-Ms:) × $%.2f (value.latency_ms_usd)",
				 ms, cfg->value_latency_ms_usd);
	else
		mc_strbuf_puts(&in, "no Maestro-Latency-Saved-Ms: trailer");
	set_component(&out->value[MC_VALUE_LATENCY], "latency_saved", ms * cfg->value_latency_ms_usd,
		      &in);
}

static void score_revenue(mc_score *out, const mc_config *cfg, const mc_signals *s)
{
	mc_strbuf in = MC_STRBUF_INIT;
	unsigned count;
	double usd = sum_amounts(s, MC_SIG_REVENUE_USD, &count);
	if (count)
		mc_strbuf_printf(&in, "$%.2f declared in %u Maestro-Value: trailer%s × %g (value.revenue_weight)",
				 usd, count, count == 1 ? "" : "s", cfg->value_revenue_weight);
	else
		mc_strbuf_puts(&in, "no Maestro-Value: trailer");
	set_component(&out->value[MC_VALUE_REVENUE], "revenue_proxy", usd * cfg->value_revenue_weight,
		      &in);
}

static void score_costs(mc_score *out, const mc_config *cfg, const mc_signals *s)
{
	mc_strbuf in = MC_STRBUF_INIT;
	unsigned count;

	out->llm_usd = sum_amounts(s, MC_SIG_LLM_USD, &count);
	if (count) {
		mc_strbuf_printf(&in, "$%.2f declared in %u Maestro-LLM-USD: trailer%s", out->llm_usd,
				 count, count == 1 ? "" : "s");
	} else {
		out->llm_usd = cfg->cost_llm_usd;
		mc_strbuf_printf(&in, "$%.2f per review (cost.llm_usd)", out->llm_usd);
	}
	set_component(&out->cost[MC_COST_LLM], "llm", out->llm_usd, &in);

	out->ci_minutes = max_amount(s, MC_SIG_CI_MINUTES, &count);
	if (count) {
		mc_strbuf_printf(&in, "%g CI minutes (largest Maestro-CI-Minutes: trailer)", out->ci_minutes);
	} else {
		out->ci_minutes = cfg->cost_ci_minutes;
		mc_strbuf_printf(&in, "%g CI minutes (cost.ci_minutes)", out->ci_minutes);
	}
	mc_strbuf_printf(&in, " × $%.4f (cost.ci_usd_per_minute)", cfg->cost_ci_usd_per_minute);
	set_component(&out->cost[MC_COST_CI], "ci", out->ci_minutes * cfg->cost_ci_usd_per_minute,
		      &in);
}

void mc_score_compute_value(mc_score *out, const mc_config *cfg, const mc_signals *signals)
{
	int i;
	memset(out, 0, sizeof *out);
	score_defects(out, cfg, signals);
	score_flakes(out, cfg, signals);
	score_latency(out, cfg, signals);
	score_revenue(out, cfg, signals);
	score_costs(out, cfg, signals);
	for (i = 0; i < MC_VALUE_COUNT; i++)
		out->value_usd += out->value[i].usd;
	for (i = 0; i < MC_COST_COUNT; i++)
		out->cost_usd += out->cost[i].usd;
	out->expected_value_usd = out->value_usd - out->cost_usd;
	out->approvals = count_distinct(signals, MC_SIG_APPROVAL, NULL);
}

void mc_score_compute(mc_score *out, const mc_config *cfg, const mc_signals *signals,
		      const mc_change_features *features, const mc_risk_model *model)
{
	mc_score_compute_value(out, cfg, signals);
	out->risk = mc_risk_predict(model, features, out->contributions);
	out->risk_model_source = model->source;
}

void mc_score_free(mc_score *s)
{
	int i;
	for (i = 0; i < MC_VALUE_COUNT; i++)
		free(s->value[i].inputs);
	for (i = 0; i < MC_COST_COUNT; i++)
		free(s->cost[i].inputs);
	memset(s, 0, sizeof *s);
}
