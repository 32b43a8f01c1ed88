/*
 * Policy gates: the checks that can stop a change. Each gate reports whether
 * it applies, whether it passed, and a sentence the Decision Card shows as the
 * reason, so nobody has to guess why a change was blocked or what would unblock it.
 */
#ifndef MC_MODEL_POLICY_H
#define MC_MODEL_POLICY_H
#include <stddef.h>

#include "model/canary.h"
#include "model/cf.h"
#include "model/config.h"

enum mc_gate_id {
	MC_GATE_RISK = 0,       /* policy.max_risk */
	MC_GATE_APPROVALS,      /* policy.required_approvals */
	MC_GATE_PROTECTED,      /* policy.protected_paths + protected_approvals */
	MC_GATE_BUDGET_LLM,     /* policy.max_llm_usd */
	MC_GATE_BUDGET_CI,      /* policy.max_ci_minutes */
	MC_GATE_CANARY,         /* the shadow canary's verdict, when it ran */
	MC_GATE_SIMULATION,     /* simulate.max_*_increase on the counterfactual prediction */
	MC_GATE_COUNT
};

typedef struct mc_gate {
	const char *name;   /* stable identifier: "max_risk", "protected_paths", ... */
	int applies;        /* 0 when the gate is not configured or not relevant */
	int passed;
	char *reason;
} mc_gate;

typedef struct mc_verdict {
	mc_gate gates[MC_GATE_COUNT];
	int passed;                       /* every applicable gate passed */
	mc_string_list protected_hits;    /* changed paths that matched a protected pattern */
} mc_verdict;

typedef struct mc_policy_input {
	double risk;
	const char *const *paths;  /* every path the change touches (both sides of a rename) */
	size_t npaths;
	unsigned approvals;
	double llm_usd;
	double ci_minutes;
	const mc_canary_judgement *canary; /* NULL: the canary did not run (the gate does not apply) */
	const mc_cf_result *simulation;   /* the counterfactual prediction; NULL: not run */
	const char *simulation_error;     /* why a configured simulation could not run, or NULL */
} mc_policy_input;

/* Which simulation gates a route's predicted changes break (upper bounds of their
 * intervals against simulate.max_*_increase): MC_SIM_BREACH_* bits, 0 for none. A route
 * below simulate.min_requests is not gated unless it is the whole trace (overall). */
#define MC_SIM_BREACH_P99 1u
#define MC_SIM_BREACH_ERRORS 2u
#define MC_SIM_BREACH_COST 4u
unsigned mc_policy_simulation_breaches(const mc_config *cfg, const mc_cf_route_result *r,
				       int overall);
/* Whether any simulate.max_*_increase gate is configured. */
int mc_policy_simulation_gated(const mc_config *cfg);

void mc_policy_evaluate(mc_verdict *out, const mc_config *cfg, const mc_policy_input *in);
void mc_verdict_free(mc_verdict *v);

#endif
