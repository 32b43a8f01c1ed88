/*
 * A repository's Maestro configuration (.maestro/config.json, read from the
 * base commit of a change so that a change cannot loosen its own gates).
 * Parsing is pure: the text comes in, it is validated against the embedded
 * schemas/config.schema.json, and every key absent from it keeps the default
 * documented in docs/CONFIG.md.
 */
#ifndef MC_MODEL_CONFIG_H
#define MC_MODEL_CONFIG_H
#include <json-c/json.h>
#include <stddef.h>

#include "model/negotiate.h"

#define MC_CONFIG_MAX_BYTES (256 * 1024)

typedef struct mc_string_list {
	char **items;
	size_t n;
} mc_string_list;

/* Budgets by dimension name ("usd", "ci", a team's own), in the file's order. */
typedef struct mc_budget_list {
	char **names;
	double *amounts;
	size_t n;
} mc_budget_list;

typedef struct mc_config_train {
	char *name;
	mc_budget_list budgets;
} mc_config_train;

/* At most this many budget dimensions in plan.budgets or one train's budgets. */
#define MC_CONFIG_MAX_BUDGETS 16
#define MC_CONFIG_BUDGET_NAME_MAX 64

typedef struct mc_config {
	/* value.*: what a change is worth, in US dollars */
	double value_defect_usd;       /* each defect a change fixes (Fixes: trailer, fix label) */
	double value_flake_usd;        /* each flaky test it fixes (Maestro-Flake-Fixed: n, flaky label) */
	double value_latency_ms_usd;   /* each millisecond of latency saved (Maestro-Latency-Saved-Ms:) */
	double value_revenue_weight;   /* multiplier on Maestro-Value: trailers (revenue proxy) */
	/* cost.*: what reviewing and shipping it costs */
	double cost_ci_usd_per_minute; /* price of one CI minute */
	double cost_ci_minutes;        /* CI minutes one run of the pipeline takes */
	double cost_llm_usd;           /* LLM dollars per review when no Maestro-LLM-USD: trailer says */
	/* policy.*: the gates */
	double policy_max_risk;            /* fail when the risk probability exceeds this */
	mc_string_list policy_protected_paths; /* globs (*, **, ?) that need extra approvals */
	int policy_protected_approvals;    /* approvals a change touching protected paths needs */
	int policy_required_approvals;     /* approvals every change needs */
	double policy_max_llm_usd;         /* budget ceiling per change; < 0 means none */
	double policy_max_ci_minutes;      /* budget ceiling per change; < 0 means none */
	/* labels.*: forge labels (or Maestro-Label: trailers) that carry meaning */
	mc_string_list labels_fix;
	mc_string_list labels_flaky;
	/* review.* */
	char *review_default_branch;       /* NULL: detect (origin/HEAD, main, master) */
	/* evidence.* */
	char *evidence_signing_key;        /* fingerprint; NULL: git's user.signingkey */
	mc_string_list evidence_pinned_keys; /* fingerprints verification accepts */
	int evidence_record;               /* review records its card when it can sign */
	/* canary.*: the shadow canary's commands (argv vectors) and their sandbox */
	mc_string_list canary_build;       /* empty: no build step */
	mc_string_list canary_run;         /* empty: no canary configured */
	int canary_rounds;                 /* 1..100 */
	int canary_timeout_s;              /* wall clock per command */
	struct mc_canary_limits {
		int cpu_s, memory_mb, processes, file_mb, output_kb;
	} canary_limits;
	/* simulate.*: the counterfactual simulation review runs, and its gates */
	char *simulate_trace;              /* NULL: no simulation */
	int simulate_nginx;                /* the trace is an access log (else JSON Lines) */
	mc_string_list simulate_deltas;    /* default deltas, as `maestro simulate --delta` */
	int simulate_min_requests;         /* routes with fewer are not gated on their own */
	double simulate_max_p99_increase;  /* relative; < 0 means no gate */
	double simulate_max_error_rate_increase; /* absolute fraction; < 0 means no gate */
	double simulate_max_cost_increase; /* relative; < 0 means no gate */
	/* plan.*: the budgets a review plans the portfolio under for its card */
	mc_budget_list plan_budgets;       /* one plan; empty: none (unless trains) */
	mc_config_train *plan_trains;      /* release trains in order; replace plan_budgets */
	size_t plan_ntrains;
	/* negotiation.*: the mediator's policy and agent profiles (model/negotiate.h) */
	mc_negotiate_policy negotiation;
} mc_config;

/* Fill cfg with the documented defaults. */
void mc_config_defaults(mc_config *cfg);
/*
 * Parse and validate a config document over the defaults. origin names the
 * document in errors ("config at 1a2b3c:.maestro/config.json"); an error names
 * the JSON path: "...: /policy/max_risk: expected number, got string".
 */
int mc_config_parse(mc_config *cfg, const char *text, size_t len, const char *origin);
void mc_config_free(mc_config *cfg);
/* The effective configuration as JSON (every key, defaults included). */
struct json_object *mc_config_to_json(const mc_config *cfg);

#endif
