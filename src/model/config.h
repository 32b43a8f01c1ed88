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

/* canary.*: the shadow canary's runner (adapters/proc, `maestro canary run`) and
 * judge (model/canary.c, `maestro canary judge`); docs/CONFIG.md explains them. */
typedef enum mc_canary_direction {
	MC_CANARY_INCREASE = 0, /* an increase is the regression (latency, errors, memory) */
	MC_CANARY_DECREASE,     /* a decrease is (throughput, hit rate) */
	MC_CANARY_EITHER,       /* any change is */
} mc_canary_direction;

/* "increase", "decrease" or "either", as the config spells it. */
const char *mc_canary_direction_name(mc_canary_direction d);

typedef enum mc_canary_nodata {
	MC_CANARY_NODATA_IGNORE = 0, /* a metric without data on a side is left out of the score */
	MC_CANARY_NODATA_FAIL,       /* ... counts as failing (and fails the canary if critical) */
} mc_canary_nodata;

#define MC_CANARY_MAX_METRICS 100
#define MC_CANARY_MAX_GROUPS 100
#define MC_CANARY_NAME_MAX 128

typedef struct mc_canary_metric {
	char *name;                    /* the key in the samples' JSON objects */
	mc_canary_direction direction;
	double tolerance;              /* relative band: shifts within tolerance x |base median| pass */
	int critical;                  /* a failing critical metric fails the whole canary */
	double weight;                 /* its share within its group */
	char *group;                   /* NULL: a group of its own, named after the metric */
	mc_canary_nodata nodata;
} mc_canary_metric;

typedef struct mc_canary_group_weight {
	char *group;
	double weight;
} mc_canary_group_weight;

typedef struct mc_canary_limits {
	int cpu_s;            /* RLIMIT_CPU of each command */
	int memory_mb;        /* RLIMIT_AS */
	int processes;        /* RLIMIT_NPROC */
	int file_mb;          /* RLIMIT_FSIZE */
	int output_kb;        /* stdout and stderr kept per command; the rest is discarded */
} mc_canary_limits;

typedef struct mc_canary_config {
	/* judge */
	mc_canary_metric *metrics;     /* empty: every metric in the samples, with the defaults below */
	size_t nmetrics;
	mc_canary_group_weight *group_weights;
	size_t ngroup_weights;
	double confidence;             /* of the Hodges-Lehmann interval, 0.5..0.9999 */
	double pass_score, marginal_score; /* 0..100 */
	int min_samples;               /* per side; fewer is no data */
	double tolerance;              /* default of metrics[].tolerance */
	mc_canary_nodata nodata;       /* default of metrics[].nodata */
	/* runner */
	mc_string_list build;          /* argv; empty: no build step */
	mc_string_list run;            /* argv printing JSON Lines of metric -> number; empty: no canary */
	int rounds;                    /* interleaved base/head pairs, 1..100 */
	int timeout_s;                 /* wall clock per command */
	mc_canary_limits limits;
} mc_canary_config;

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
	/* canary.* */
	mc_canary_config canary;
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
/* The metric settings the judge uses for name: its entry in canary.metrics, or
 * the defaults (direction increase, canary.tolerance, weight 1, not critical,
 * canary.nodata) in *scratch when it has none. NULL when canary.metrics is not
 * empty and does not list name: only listed metrics are judged then. */
const mc_canary_metric *mc_config_canary_metric(const mc_canary_config *c, const char *name,
						mc_canary_metric *scratch);
/* The effective configuration as JSON (every key, defaults included). */
struct json_object *mc_config_to_json(const mc_config *cfg);

#endif
