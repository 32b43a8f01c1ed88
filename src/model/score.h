/*
 * Score v1: the expected value of a change and its risk.
 *   expected value = defects avoided + flake reduction + latency saved
 *                    + revenue proxy - (LLM dollars + CI dollars)
 * Every component carries the inputs it was computed from (which trailer,
 * which label, which config weight) so the Decision Card can show its work.
 * Risk is the probability from the logistic model in risk.h.
 */
#ifndef MC_MODEL_SCORE_H
#define MC_MODEL_SCORE_H

#include "model/config.h"
#include "model/features.h"
#include "model/risk.h"
#include "model/signals.h"

enum mc_value_component {
	MC_VALUE_DEFECTS = 0,
	MC_VALUE_FLAKES,
	MC_VALUE_LATENCY,
	MC_VALUE_REVENUE,
	MC_VALUE_COUNT
};

enum mc_cost_component { MC_COST_LLM = 0, MC_COST_CI, MC_COST_COUNT };

typedef struct mc_score_component {
	const char *name;  /* stable identifier: "defects_avoided", "llm", ... */
	double usd;
	char *inputs;      /* how it was computed, for people */
} mc_score_component;

typedef struct mc_score {
	mc_score_component value[MC_VALUE_COUNT];
	mc_score_component cost[MC_COST_COUNT];
	double value_usd, cost_usd, expected_value_usd;
	double llm_usd, ci_minutes;      /* the amounts the budget gates check */
	unsigned approvals;              /* distinct approvers other than the author */
	double risk;                     /* probability in [0, 1] */
	mc_risk_contribution contributions[MC_FEATURE_COUNT]; /* largest |logit| first */
	const char *risk_model_source;
} mc_score;

/* Compute the score; never fails for valid inputs (signals are already validated). */
void mc_score_compute(mc_score *out, const mc_config *cfg, const mc_signals *signals,
		      const mc_change_features *features, const mc_risk_model *model);
/* The value components and costs alone, risk left 0 with no contributions: for work
 * items without a diff to predict from (a forge's issues, model/issue_item.h). */
void mc_score_compute_value(mc_score *out, const mc_config *cfg, const mc_signals *signals);
void mc_score_free(mc_score *s);

#endif
