/*
 * The Decision Card's data: one JSON document (schemas/decision-card.schema.json)
 * that both the Markdown card (templates/decision-card.md) and the evidence
 * record render from, so the two can never disagree. Sections of stages that
 * have not run are absent from the document, never filled with guesses.
 */
#ifndef MC_MODEL_CARD_H
#define MC_MODEL_CARD_H
#include <json-c/json.h>
#include <stddef.h>
#include <time.h>

#include "model/canary.h"
#include "model/cf.h"
#include "model/features.h"
#include "model/policy.h"
#include "model/score.h"
#include "model/signals.h"

/* The value of the card's "schema" field; bump it when the document changes shape. */
#define MC_CARD_SCHEMA_ID "maestro.decision-card/v1"

/* How many files and commit ids the card lists before it summarises. */
#define MC_CARD_MAX_FILES 15
#define MC_CARD_MAX_COMMITS 100

typedef struct mc_card_file {
	const char *path;
	const char *old_path;  /* renames; NULL otherwise */
	char status;           /* 'A', 'M', 'D', 'R', 'C', 'T' */
	unsigned added, deleted;
	int binary;
} mc_card_file;

typedef struct mc_card_input {
	const char *repository;        /* a name for people: the work tree's directory or owner/name */
	const char *range;             /* as the user gave it, or the default described */
	const char *base, *head, *merge_base;
	const char *const *commits;    /* commit ids in the range, oldest first */
	size_t ncommits;
	int merge_only;
	const char *author;            /* the head commit's author email */
	const mc_change_features *features;
	const mc_card_file *files;
	size_t nfiles;
	const mc_score *score;
	const mc_verdict *verdict;
	double max_risk;               /* policy.max_risk, for the risk level shown */
	const mc_signals *signals;     /* labels shown and warnings */
	const char *config_source;     /* "defaults" or "<commit>:.maestro/config.json" */
	const char *config_blob;       /* git blob id of the config, NULL for defaults */
	const char *tool_version;
	time_t generated_at;
	const mc_canary_judgement *canary; /* the shadow canary's judgement; NULL: not run */
} mc_card_input;

/* Build the card document. The caller owns the result (json_object_put). */
struct json_object *mc_card_build(const mc_card_input *in);

/* The card's optional plan section: where the change stands in the repository's
 * portfolio (pipeline/portfolio.c fills it after the review stored the change). */
typedef struct mc_card_override {
	const char *who, *reason;
	time_t at;
	int before, after;
} mc_card_override;

typedef struct mc_card_share {
	const char *dimension;
	double cost, budget;           /* share = cost / budget (0 when the budget is 0) */
} mc_card_share;

typedef struct mc_card_displaced {
	const char *id;
	double expected_value_usd;
} mc_card_displaced;

typedef struct mc_card_plan {
	const char *item;              /* the work item id */
	size_t rank, of;               /* by expected value among the open items */
	int priority;
	const mc_card_override *overrides; /* oldest first */
	size_t noverrides;
	int planned;                   /* budgets are configured: the fields below are set */
	int trains;                    /* planned as release trains (train names the item's) */
	int selected;
	const char *train;             /* the train it ships in, when selected with trains */
	const mc_card_share *shares;   /* its cost against the budget it was planned under */
	size_t nshares;
	const mc_card_displaced *displaced; /* selected without it, left out with it */
	size_t ndisplaced;
	const char *reason;            /* why it was left out (when not selected) */
	double gap;                    /* the plan's gap bound (worst over the trains) */
} mc_card_plan;

/* Add the plan section ("plan") to a card built by mc_card_build. */
void mc_card_add_plan(struct json_object *card, const mc_card_plan *in);

/* Add the contract section ("contract") for the change's negotiation task (its
 * portfolio item id): contract is the contract document (model/negotiate.h's
 * mc_award_contract_json, as stored) and wins; else escalation is the task's latest
 * escalation (mc_award_escalation_json) with the time it was made. Both NULL: no
 * section, the change was not negotiated. */
void mc_card_add_contract(struct json_object *card, const char *task,
			  struct json_object *contract, struct json_object *escalation,
			  time_t escalated_at);

/* How many routes the simulation section lists besides those a gate failed on. */
#define MC_CARD_SIM_ROUTES 10

/* The card's optional simulation section: the counterfactual prediction review ran
 * (pipeline/review.c) on a trace, under deltas from somewhere. */
typedef struct mc_card_simulation {
	const char *trace;             /* its name: "<base>:<path>" or an absolute path */
	const char *format;            /* "jsonl" or "nginx" */
	const char *sha256;            /* of the trace's bytes */
	unsigned long long bytes;
	size_t records;
	const char *origin;            /* where the deltas came from: cli, canary, config */
	struct json_object *deltas;    /* borrowed: the deltas (schemas/cf-deltas.schema.json) */
	const mc_cf_result *result;
	const unsigned *breaches;      /* per route of result: MC_SIM_BREACH_* bits; NULL: none */
	unsigned overall_breaches;
} mc_card_simulation;

/* Add the simulation section ("simulation"): the whole trace and the busiest
 * MC_CARD_SIM_ROUTES routes plus every route a gate failed on, each metric with its
 * base, prediction and the interval of the change. */
void mc_card_add_simulation(struct json_object *card, const mc_card_simulation *in);

#endif
