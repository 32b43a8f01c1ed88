/*
 * Agent negotiation, pure: offers (schemas/agent-offer.schema.json), the
 * mediator's policy (the config's negotiation section), agents' reputations, the
 * mediator itself, and SLA enforcement once actuals arrive. No I/O: signatures
 * are checked and state is stored by the caller (pipeline/negotiate.c).
 *
 * The mediator, per group of mutually exclusive offers (the offers for one task,
 * merged with the groups of offers whose claimed files contradict each other):
 *   1. refuses offers it cannot consider (unknown task, expired, unsigned where
 *      signatures are required, non-finite numbers), naming offer and field;
 *   2. corrects each offer's predictions by its agent's track record (running
 *      estimates of bias and spread of actual/predicted per dimension);
 *   3. filters by policy (risk ceiling, eval floor, budget left in the train per
 *      dimension, the agent's cost cap) and scores the rest by utility over
 *      eval, cost, time and risk, less the agent's miss rate, spread and tier;
 *   4. when nothing is feasible, runs bounded rounds of counter-offers before a
 *      deadline: the best rejected offers are asked to improve their binding
 *      dimension, and agents answer by their concession strategy (or a callback);
 *   5. awards the best feasible offer, or escalates with the smallest safe next
 *      step, its cost, risk and expected value.
 */
#ifndef MC_MODEL_NEGOTIATE_H
#define MC_MODEL_NEGOTIATE_H
#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#define MC_OFFER_MAX_BYTES 16384
#define MC_OFFER_SCHEMA "schemas/agent-offer.schema.json"
#define MC_AGENT_ID_MAX 128
#define MC_TASK_ID_MAX 256
#define MC_AGENT_TIER_MAX 3

typedef struct mc_offer {
	char offer_id[MC_AGENT_ID_MAX + 1];
	char agent_id[MC_AGENT_ID_MAX + 1];
	char task_id[MC_TASK_ID_MAX + 1];
	char arm[MC_AGENT_ID_MAX + 1];
	double pred_eval, pred_cost_usd, pred_minutes, risk;
	int64_t expires_at;          /* unix seconds */
	char *deltas;                /* predicted deltas (schemas/cf-deltas.schema.json) as canonical
				      * JSON, malloc'd, or NULL when the offer has none */
	char *signature;             /* ASCII-armored detached signature, malloc'd, or NULL */
	int verified;                /* the caller checked the signature against the agent's pinned key */
	int round;                   /* 0: as submitted; n: the answer to the n-th counter request */
} mc_offer;

/* The embedded offer schema, parsed (json_object_put it). */
int mc_offer_schema(struct json_object **out);
/*
 * Fill out from a parsed offer after validating it against schema (from
 * mc_offer_schema). Refusals are MC_EINVAL "<what>: /predEval: ..." naming the
 * field. out needs mc_offer_clear on success only.
 */
int mc_offer_from_json(mc_offer *out, struct json_object *doc, struct json_object *schema,
		       const char *what);
/* Parse text (at most MC_OFFER_MAX_BYTES) and validate, as above. */
int mc_offer_parse(mc_offer *out, const char *text, size_t len, const char *what);
/* The bytes an agent signs: the offer without its signature, keys in byte order (also
 * inside deltas), no whitespace, numbers in their shortest round-tripping form. free() it. */
char *mc_offer_canonical(const mc_offer *o);
struct json_object *mc_offer_to_json(const mc_offer *o, int with_signature);
void mc_offer_copy(mc_offer *dst, const mc_offer *src);
void mc_offer_clear(mc_offer *o);

enum mc_strategy { MC_STRATEGY_NONE = 0, MC_STRATEGY_LINEAR, MC_STRATEGY_BOULWARE,
		   MC_STRATEGY_CONCEDER };
enum mc_downshift { MC_DOWNSHIFT_NONE = 0, MC_DOWNSHIFT_TIER, MC_DOWNSHIFT_SMALLER_TASKS,
		    MC_DOWNSHIFT_STRICTER_TOLERANCES };
const char *mc_downshift_name(enum mc_downshift d);

typedef struct mc_agent_profile {
	char id[MC_AGENT_ID_MAX + 1];
	char key[41];                 /* pinned signing key, "" for none */
	enum mc_strategy strategy;    /* how it answers counter requests */
	double concession;            /* how far it will go at most, a share of its first offer */
	int has_standing;             /* it makes the offer below for every task */
	char arm[MC_AGENT_ID_MAX + 1];
	double pred_eval, pred_cost_usd, pred_minutes, risk;
} mc_agent_profile;

typedef struct mc_negotiate_policy {
	double max_risk, min_eval;
	double budget_usd, budget_minutes;     /* per train; < 0: no ceiling */
	double w_eval, w_cost, w_time, w_risk, cost_scale_usd, minutes_scale;
	int rounds, round_seconds, deadline_seconds, counter_offers;
	int require_signatures;
	int rate_limit, rate_window_seconds;
	double tol_cost, tol_minutes, tol_eval;
	double penalty_factor, minute_usd, eval_point_usd;
	enum mc_downshift downshift;
	int misses_to_downshift;
	double reputation_alpha, task_value_usd;
	mc_agent_profile *agents;
	size_t nagents;
} mc_negotiate_policy;

void mc_negotiate_policy_defaults(mc_negotiate_policy *p);
/* Apply a negotiation section already validated against the config schema's
 * "negotiation" subschema over what p holds. */
void mc_negotiate_policy_apply(mc_negotiate_policy *p, struct json_object *section);
/* The policy as a negotiation section, every key present. */
struct json_object *mc_negotiate_policy_to_json(const mc_negotiate_policy *p);
void mc_negotiate_policy_copy(mc_negotiate_policy *dst, const mc_negotiate_policy *src);
void mc_negotiate_policy_free(mc_negotiate_policy *p);
const mc_agent_profile *mc_negotiate_profile(const mc_negotiate_policy *p, const char *agent_id);

/* Running estimate of one dimension's prediction error: log(actual/predicted) for cost
 * and minutes, actual - predicted for eval; exponentially weighted. */
typedef struct mc_error_estimate {
	long n;
	double mean, var;
} mc_error_estimate;

typedef struct mc_reputation {
	char agent_id[MC_AGENT_ID_MAX + 1];
	long contracts, misses, miss_streak, met_streak;
	double penalties_usd;
	int tier;                     /* 0 best .. MC_AGENT_TIER_MAX */
	double cost_cap;              /* largest corrected cost it may take; < 0: none */
	double tolerance_scale;       /* 1, halved by each stricter_tolerances downshift */
	mc_error_estimate cost, minutes, eval;
} mc_reputation;

void mc_reputation_init(mc_reputation *r, const char *agent_id);
/* The offer's predictions as the agent's record says they will turn out. */
void mc_reputation_correct(const mc_reputation *r, const mc_offer *o, double *eval, double *cost,
			   double *minutes);
/* Add one contract's predicted and actual numbers to the estimates (alpha: weight of the newest). */
void mc_reputation_observe(mc_reputation *r, double alpha, const mc_offer *predicted,
			   double actual_usd, double actual_minutes, double actual_eval);

typedef struct mc_task {
	const char *id;
	double value_usd;             /* < 0: policy task_value_usd */
} mc_task;

/* A change an offer would make (a PR): files by path and blob id. Two claims that
 * write different blobs to one path contradict each other. */
typedef struct mc_claim {
	const char *offer_id;
	const char *const *paths;
	const char *const *blobs;
	size_t nfiles;
} mc_claim;

enum mc_dimension { MC_DIM_EVAL = 0, MC_DIM_COST, MC_DIM_MINUTES, MC_DIM_RISK };
const char *mc_dimension_name(enum mc_dimension d);

typedef struct mc_counter_request {
	enum mc_dimension dim;        /* the binding dimension */
	double target;                /* in the agent's own terms (its raw predictions) */
	int round, rounds;
} mc_counter_request;

/* Ask an agent to improve offer; 1 with *answer filled (same task and agent) when it
 * answers, 0 when it does not. */
typedef int (*mc_counter_fn)(void *ctx, const mc_offer *offer, const mc_counter_request *req,
			     mc_offer *answer);

typedef struct mc_negotiation_input {
	const mc_negotiate_policy *policy;
	const mc_task *tasks;
	size_t ntasks;
	const mc_offer *offers;       /* verified set by the caller */
	size_t noffers;
	const mc_reputation *reps;    /* agents without one are judged on their raw numbers */
	size_t nreps;
	const mc_claim *claims;
	size_t nclaims;
	double spent_usd, spent_minutes; /* already drawn from this train's budget */
	int64_t now;
	mc_counter_fn counter;        /* NULL: the agents' profiles answer */
	void *counter_ctx;
} mc_negotiation_input;

typedef struct mc_refusal {
	char offer_id[MC_AGENT_ID_MAX + 1];
	char agent_id[MC_AGENT_ID_MAX + 1];
	char *reason;
} mc_refusal;

/* The outcome for one group of exclusive offers: a contract or an escalation. */
typedef struct mc_award {
	char task_id[MC_TASK_ID_MAX + 1];
	int accepted;
	int conflict;                 /* two or more agents, or contradicting claims */
	size_t contenders;            /* distinct agents in the group */
	int rounds;                   /* counter-offer rounds it took */
	mc_offer offer;               /* accepted: the offer; escalated: the next step's offer, if any */
	double eval, cost_usd, minutes, utility; /* corrected predictions of offer */
	double tol_cost, tol_minutes, tol_eval;
	/* escalation */
	char *why;                    /* what each offer missed */
	char *next_step;              /* the smallest safe step for a human to take */
	int has_next_offer;
	double next_cost_usd, next_minutes, next_risk, next_ev_usd;
} mc_award;

typedef struct mc_negotiation_result {
	mc_award *awards;
	size_t nawards;
	mc_refusal *refusals;
	size_t nrefusals;
	size_t counters_asked, counters_answered;
	double spent_usd, spent_minutes;  /* after the awards */
} mc_negotiation_result;

int mc_negotiate_run(mc_negotiation_result *out, const mc_negotiation_input *in);
void mc_negotiation_result_free(mc_negotiation_result *r);

/* The agent's answer to a counter request by its profile's concession strategy
 * (Faratin's time-dependent tactics: linear, Boulware, conceder); 0 when it does
 * not concede. Used when mc_negotiation_input.counter is NULL. */
int mc_negotiate_concede(const mc_agent_profile *agent, const mc_offer *first,
			 const mc_counter_request *req, mc_offer *answer);

/* The contract's evidence predicate (schemas/evidence-contract.schema.json). */
struct json_object *mc_award_contract_json(const mc_award *a, const mc_negotiate_policy *p,
					   const char *contract_id, const char *train,
					   int64_t accepted_at);
/* An escalation as JSON: task, conflict, rounds, why, and the smallest safe next step
 * with its offer, cost, minutes, risk and expected value. */
struct json_object *mc_award_escalation_json(const mc_award *a);
/* The whole result as JSON: contracts, escalations, refusals. contract_ids[i] names
 * awards[i] (NULL for escalations). */
struct json_object *mc_negotiation_result_to_json(const mc_negotiation_result *r,
						  const mc_negotiate_policy *p,
						  const char *const *contract_ids, const char *train,
						  int64_t now);
/* A contract id: "ct-" and 16 hex digits of a hash of offer, task and time. */
void mc_negotiate_contract_id(char out[20], const mc_award *a, int64_t accepted_at);

/* SLA enforcement. */
typedef struct mc_contract {
	char id[20];
	char train[MC_AGENT_ID_MAX + 1];
	mc_offer offer;               /* the accepted offer (no signature) */
	double tol_cost, tol_minutes, tol_eval;
} mc_contract;

typedef struct mc_sla_miss {
	enum mc_dimension dim;
	double predicted, actual, tolerance, penalty_usd;
} mc_sla_miss;

typedef struct mc_sla_outcome {
	mc_sla_miss misses[3];
	size_t nmisses;
	double penalty_usd;
	enum mc_downshift downshift;  /* applied by this outcome, or NONE */
	int upshift;                  /* a step undone by a run of contracts met */
} mc_sla_outcome;

/* Actuals must be finite and not negative (eval in 0..1): MC_EINVAL naming the field.
 * Computes misses and the penalty, and updates rep (estimates, counts, streaks,
 * downshift) as the policy says. */
int mc_negotiate_enforce(mc_sla_outcome *out, mc_reputation *rep, const mc_contract *c,
			 double usd, double minutes, double eval, const mc_negotiate_policy *p);
/* The penalty record's predicate (schemas/evidence-penalty.schema.json); NULL when no miss. */
struct json_object *mc_sla_penalty_json(const mc_sla_outcome *o, const mc_contract *c,
					const mc_reputation *rep, int64_t at);
/* The rule as words, for the contract. free() it. */
char *mc_negotiate_penalty_rule(const mc_negotiate_policy *p);

#endif
