/*
 * Agent negotiation's operational state in the SQLite store (migrations 6 and 7 in
 * db.c): offers as received (de-duplicated by offer id, rate-limited per agent
 * over a sliding window), contracts, their actuals, penalty records and each
 * agent's reputation (model/negotiate.h's mc_reputation). The system of record
 * for contracts and penalties is the signed evidence; these rows are what the
 * mediator needs to judge the next offers.
 */
#ifndef MC_ADAPTERS_STORE_AGENTS_H
#define MC_ADAPTERS_STORE_AGENTS_H
#include <stddef.h>
#include <stdint.h>

#include "adapters/store/db.h"
#include "model/negotiate.h"

/*
 * Store an offer as received (body: its JSON text). An offer id seen before with the
 * same body is a re-delivery: *duplicate = 1 and nothing changes; with another body it
 * is refused (MC_EINVAL "offer X: offerId already used by a different offer"). More
 * than limit offers by one agent in the window_s before now are refused (MC_ELIMIT
 * "agent A: rate limited ..."). Both checks and the insert are one transaction.
 */
int mc_agents_offer_put(mc_store *store, const mc_offer *offer, const char *body, int verified,
			int64_t now, int window_s, int limit, int *duplicate);

/* A stored offer: its body as received and whether its signature verified. */
typedef struct mc_stored_offer {
	char *body;
	int verified;
} mc_stored_offer;
/* Offers not expired at now, oldest first. Free with mc_agents_stored_offers_free. */
int mc_agents_offers_open(mc_stored_offer **out, size_t *n, mc_store *store, int64_t now);
void mc_agents_stored_offers_free(mc_stored_offer *offers, size_t n);

/* Store a contract (body: its evidence predicate as JSON) unless its task has one
 * already: a task is contracted once, so negotiating it again draws nothing more on
 * the train's budget. existing receives the task's earlier contract id, or "" when
 * this one was stored (and the task's escalation, if any, forgotten). One
 * transaction. */
int mc_agents_contract_put(mc_store *store, const char *id, const mc_award *award,
			   const char *train, int64_t accepted_at, const char *body,
			   char existing[20]);
/* The task's contract body (MC_ENOTFOUND when it has none). free() *body. */
int mc_agents_task_contract(char **body, mc_store *store, const char *task_id);
/* A task's latest escalation (body: the escalation as JSON), replaced by the next. */
int mc_agents_escalation_put(mc_store *store, const char *task_id, int64_t at, const char *body);
/* The task's latest escalation and when it was made; MC_ENOTFOUND when it has none.
 * free() *body. */
int mc_agents_task_escalation(char **body, int64_t *at, mc_store *store, const char *task_id);
/* A contract's body; *has_actuals says whether actuals were recorded. MC_ENOTFOUND
 * "no contract 'X'". free() *body. */
int mc_agents_contract_get(char **body, int *has_actuals, mc_store *store, const char *id);
/* What the train's contracts draw on its budget: actuals where recorded, else the
 * corrected predictions the mediator accepted them on. */
int mc_agents_train_spent(double *usd, double *minutes, mc_store *store, const char *train);

/* Record actuals, the penalty (penalty_body NULL when nothing was missed) and the
 * agent's updated reputation, in one transaction. Actuals twice for one contract are
 * refused (MC_EINVAL). */
int mc_agents_settle(mc_store *store, const char *contract_id, double usd, double minutes,
		     double eval, const mc_sla_outcome *outcome, const char *penalty_body,
		     const mc_reputation *rep, int64_t now);

/* The agent's reputation, or a fresh one when it has no record. */
int mc_agents_reputation_get(mc_reputation *out, mc_store *store, const char *agent_id);
int mc_agents_reputation_put(mc_store *store, const mc_reputation *rep, int64_t now);
/* Every agent with a record, by id. free() *out. */
int mc_agents_reputation_list(mc_reputation **out, size_t *n, mc_store *store);

#endif
