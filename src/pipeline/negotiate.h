/*
 * Agent negotiation between the outside world and model/negotiate: offers come
 * in (a file, .maestro/offers/<name>.json in a PR's head commit, standing offers of
 * the agent profiles in the config, and offers submitted earlier through
 * mc_negotiate_submit, which the `/maestro offer {json}` slash-command and
 * `POST /v1/offers` call), are checked (schema, signatures against the agents'
 * pinned keys, rate limits, de-duplication), negotiated, and the contracts are
 * stored and recorded as signed evidence when a key is configured. Actuals settle
 * a contract: misses, penalty, downshift and reputation, stored and recorded.
 */
#ifndef MC_PIPELINE_NEGOTIATE_H
#define MC_PIPELINE_NEGOTIATE_H
#include <json-c/json.h>
#include <stdint.h>

#include "adapters/store/db.h"
#include "model/negotiate.h"

#define MC_NEGOTIATE_INPUT_MAX_BYTES (4u << 20)
#define MC_NEGOTIATE_OFFERS_DIR ".maestro/offers"
#define MC_NEGOTIATE_DEFAULT_TRAIN "current"

/*
 * Accept one offer from outside (slash-command, API): parse and validate it, verify its
 * signature against the agent's pinned key when it carries one (required when
 * policy->require_signatures), then store it, de-duplicated by offerId and rate-limited
 * per agent. A refusal is an error naming the offer and the field (MC_EINVAL, MC_ELIMIT
 * for flooding, MC_EVERIFY for a bad signature). offer_id (may be NULL) receives the id;
 * *duplicate = 1 when the same offer was already stored (not an error).
 */
int mc_negotiate_submit(mc_store *store, const mc_negotiate_policy *policy, const char *gnupghome,
			const char *text, size_t len, int64_t now,
			char offer_id[MC_AGENT_ID_MAX + 1], int *duplicate);

typedef struct mc_negotiate_options {
	const char *repo_path;        /* NULL: "."; config, offers in head, evidence, store */
	const char *state_path;       /* the store; NULL: the repository's cache.db */
	mc_store *store;              /* borrowed, over state_path: the daemon's store */
	/* A change BASE..HEAD (as review resolves it: merge-base..head): the configuration
	 * is read from its base, as review reads it, so a change cannot loosen the policy
	 * its own offers are judged by; head defaults to its head. NULL: the config at
	 * config_rev, else HEAD. */
	const char *range;
	const char *config_rev;
	/* Negotiate this task alone (a pull request's: its portfolio item id); offers for
	 * other tasks are left for later. NULL: every task offered for. */
	const char *task_id;
	/* Negotiate only when someone offered from outside (a stored offer or a file in the
	 * head): a pull request's review does not contract standing offers on its own. */
	int only_if_offered;
	const char *offers_path;      /* a negotiation input (schemas/negotiation-input.schema.json) */
	const char *policy_path;      /* a negotiation section over the config's */
	const char *head;             /* revision whose .maestro/offers/<name>.json join; NULL: none */
	const char *train;            /* NULL: "current" */
	double budget_usd, budget_minutes; /* override when >= 0 */
	const char *gnupghome;
	int64_t now;                  /* 0: the clock */
} mc_negotiate_options;

typedef struct mc_negotiate_outcome {
	/* contracts, escalations, refusals, and "contracted_before": tasks left out
	 * because they have a contract already ({task_id, contract_id}) */
	struct json_object *doc;
	int escalated;                /* at least one task went to a human */
	char *note;                   /* what happened to the evidence */
} mc_negotiate_outcome;

/* mc_negotiate_submit with the store and policy opt names (the repository's, or
 * --state and --policy), as the CLI's `negotiate submit` does it. */
int mc_negotiate_submit_as_configured(const mc_negotiate_options *opt, const char *text,
				      size_t len, char offer_id[MC_AGENT_ID_MAX + 1],
				      int *duplicate);

int mc_negotiate_pipeline_run(mc_negotiate_outcome *out, const mc_negotiate_options *opt);
void mc_negotiate_outcome_free(mc_negotiate_outcome *out);

/* Settle contract_id with its actuals: *doc gets the misses, penalty, downshift and the
 * agent's record after it. MC_ENOTFOUND for an unknown contract, MC_EINVAL for bad
 * numbers or actuals given twice. */
int mc_negotiate_actuals(struct json_object **doc, char **note, const mc_negotiate_options *opt,
			 const char *contract_id, double usd, double minutes, double eval);

/* Every agent's record as a JSON array. */
int mc_negotiate_agents(struct json_object **doc, const mc_negotiate_options *opt);

/* The canonical bytes of an offer document, the ones its signature covers. free() it. */
int mc_negotiate_canonical(char **out, const char *text, size_t len);

#endif
