/* Agent negotiation's tables (agents.h): offers, contracts, actuals, penalties,
 * reputations. Every check-then-write runs in one BEGIN IMMEDIATE transaction, so
 * two daemons' workers cannot both slip an agent's 21st offer past the limit. */
#include "adapters/store/agents.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/error.h"

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
}

/* 1 when the id is stored with this body, 2 with another body, 0 when absent. */
static int offer_seen(int *seen, mc_store *store, const char *id, const char *body)
{
	sqlite3_stmt *st;
	int rc, r;
	if ((rc = mc_store_prepare(store, &st, "SELECT body FROM ag_offer WHERE offer_id = ?", "offers")))
		return rc;
	bind_text(st, 1, id);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		*seen = strcmp((const char *)sqlite3_column_text(st, 0), body) ? 2 : 1;
	else if (r == SQLITE_DONE)
		*seen = 0;
	else
		rc = mc_store_fail(store, "reading offers");
	sqlite3_finalize(st);
	return rc;
}

static int count_recent(long long *n, mc_store *store, const char *agent, int64_t since)
{
	sqlite3_stmt *st;
	int rc;
	if ((rc = mc_store_prepare(store, &st, "SELECT count(*) FROM ag_offer WHERE agent_id = ? AND "
				   "received_at > ?", "offers")))
		return rc;
	bind_text(st, 1, agent);
	sqlite3_bind_int64(st, 2, since);
	if (sqlite3_step(st) == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0);
	else
		rc = mc_store_fail(store, "counting offers");
	sqlite3_finalize(st);
	return rc;
}

int mc_agents_offer_put(mc_store *store, const mc_offer *o, const char *body, int verified,
			int64_t now, int window_s, int limit, int *duplicate)
{
	sqlite3_stmt *st;
	long long recent = 0;
	int rc, seen = 0;

	*duplicate = 0;
	if ((rc = mc_store_begin(store)) != 0)
		return rc;
	if ((rc = offer_seen(&seen, store, o->offer_id, body)) != 0)
		goto fail;
	if (seen == 1) {
		*duplicate = 1;
		mc_store_rollback(store);
		return 0;
	}
	if (seen == 2) {
		rc = mc_error_set(MC_EINVAL, "offer %s: offerId: already used by a different offer",
				  o->offer_id);
		goto fail;
	}
	if ((rc = count_recent(&recent, store, o->agent_id, now - window_s)) != 0)
		goto fail;
	if (recent >= limit) {
		rc = mc_error_set(MC_ELIMIT, "offer %s: agentId: agent %s is rate limited (%lld offers "
				  "in the last %d s, at most %d)", o->offer_id, o->agent_id, recent,
				  window_s, limit);
		goto fail;
	}
	if ((rc = mc_store_prepare(store, &st, "INSERT INTO ag_offer (offer_id, agent_id, task_id, "
				   "received_at, expires_at, verified, body) VALUES (?, ?, ?, ?, ?, ?, ?)",
				   "storing the offer")))
		goto fail;
	bind_text(st, 1, o->offer_id);
	bind_text(st, 2, o->agent_id);
	bind_text(st, 3, o->task_id);
	sqlite3_bind_int64(st, 4, now);
	sqlite3_bind_int64(st, 5, o->expires_at);
	sqlite3_bind_int(st, 6, verified);
	bind_text(st, 7, body);
	if ((rc = mc_store_step_done(store, st, "storing the offer")) != 0 ||
	    (rc = mc_store_commit(store)) != 0)
		goto fail;
	return 0;
fail:
	mc_store_rollback(store);
	return rc;
}

int mc_agents_offers_open(mc_stored_offer **out, size_t *n, mc_store *store, int64_t now)
{
	sqlite3_stmt *st;
	size_t alloc = 0;
	int rc, r;
	*out = NULL;
	*n = 0;
	if ((rc = mc_store_prepare(store, &st, "SELECT body, verified FROM ag_offer WHERE expires_at > ? "
				   "ORDER BY received_at, offer_id", "offers")))
		return rc;
	sqlite3_bind_int64(st, 1, now);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		mc_xgrow((void **)out, &alloc, *n + 1, sizeof **out);
		(*out)[*n].body = mc_xstrdup((const char *)sqlite3_column_text(st, 0));
		(*out)[*n].verified = sqlite3_column_int(st, 1);
		(*n)++;
	}
	if (r != SQLITE_DONE)
		rc = mc_store_fail(store, "reading offers");
	sqlite3_finalize(st);
	return rc;
}

void mc_agents_stored_offers_free(mc_stored_offer *offers, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		free(offers[i].body);
	free(offers);
}

/* The id of the task's contract into id (20 bytes), "" when it has none. */
static int task_contract_id(char *id, mc_store *store, const char *task_id)
{
	sqlite3_stmt *st;
	int rc, r;
	id[0] = 0;
	if ((rc = mc_store_prepare(store, &st, "SELECT id FROM ag_contract WHERE task_id = ? "
				   "ORDER BY accepted_at, id LIMIT 1", "contracts")))
		return rc;
	bind_text(st, 1, task_id);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		snprintf(id, 20, "%s", (const char *)sqlite3_column_text(st, 0));
	else if (r != SQLITE_DONE)
		rc = mc_store_fail(store, "reading contracts");
	sqlite3_finalize(st);
	return rc;
}

static int forget_escalation(mc_store *store, const char *task_id)
{
	sqlite3_stmt *st;
	int rc;
	if ((rc = mc_store_prepare(store, &st, "DELETE FROM ag_escalation WHERE task_id = ?",
				   "clearing the escalation")))
		return rc;
	bind_text(st, 1, task_id);
	return mc_store_step_done(store, st, "clearing the escalation");
}

int mc_agents_contract_put(mc_store *store, const char *id, const mc_award *a, const char *train,
			   int64_t accepted_at, const char *body, char existing[20])
{
	sqlite3_stmt *st;
	int rc;

	existing[0] = 0;
	if ((rc = mc_store_begin(store)) != 0)
		return rc;
	if ((rc = task_contract_id(existing, store, a->task_id)) != 0)
		goto fail;
	if (existing[0]) {
		mc_store_rollback(store);
		return 0;
	}
	if ((rc = mc_store_prepare(store, &st, "INSERT INTO ag_contract (id, task_id, agent_id, "
				   "offer_id, train, accepted_at, cost_usd, minutes, body) VALUES "
				   "(?, ?, ?, ?, ?, ?, ?, ?, ?)", "storing the contract")))
		goto fail;
	bind_text(st, 1, id);
	bind_text(st, 2, a->task_id);
	bind_text(st, 3, a->offer.agent_id);
	bind_text(st, 4, a->offer.offer_id);
	bind_text(st, 5, train);
	sqlite3_bind_int64(st, 6, accepted_at);
	sqlite3_bind_double(st, 7, a->cost_usd);
	sqlite3_bind_double(st, 8, a->minutes);
	bind_text(st, 9, body);
	if ((rc = mc_store_step_done(store, st, "storing the contract")) != 0 ||
	    (rc = forget_escalation(store, a->task_id)) != 0 || (rc = mc_store_commit(store)) != 0)
		goto fail;
	return 0;
fail:
	mc_store_rollback(store);
	return rc;
}

int mc_agents_task_contract(char **body, mc_store *store, const char *task_id)
{
	sqlite3_stmt *st;
	int rc, r;
	*body = NULL;
	if ((rc = mc_store_prepare(store, &st, "SELECT body FROM ag_contract WHERE task_id = ? "
				   "ORDER BY accepted_at, id LIMIT 1", "contracts")))
		return rc;
	bind_text(st, 1, task_id);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		*body = mc_xstrdup((const char *)sqlite3_column_text(st, 0));
	else if (r == SQLITE_DONE)
		rc = mc_error_set(MC_ENOTFOUND, "task '%s' has no contract", task_id);
	else
		rc = mc_store_fail(store, "reading contracts");
	sqlite3_finalize(st);
	return rc;
}

int mc_agents_escalation_put(mc_store *store, const char *task_id, int64_t at, const char *body)
{
	sqlite3_stmt *st;
	int rc;
	if ((rc = mc_store_prepare(store, &st,
				   "INSERT INTO ag_escalation (task_id, at, body) VALUES (?, ?, ?) "
				   "ON CONFLICT(task_id) DO UPDATE SET at = excluded.at, body = excluded.body",
				   "storing the escalation")))
		return rc;
	bind_text(st, 1, task_id);
	sqlite3_bind_int64(st, 2, at);
	bind_text(st, 3, body);
	return mc_store_step_done(store, st, "storing the escalation");
}

int mc_agents_task_escalation(char **body, int64_t *at, mc_store *store, const char *task_id)
{
	sqlite3_stmt *st;
	int rc, r;
	*body = NULL;
	*at = 0;
	if ((rc = mc_store_prepare(store, &st, "SELECT body, at FROM ag_escalation WHERE task_id = ?",
				   "escalations")))
		return rc;
	bind_text(st, 1, task_id);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		*body = mc_xstrdup((const char *)sqlite3_column_text(st, 0));
		*at = sqlite3_column_int64(st, 1);
	} else if (r == SQLITE_DONE) {
		rc = mc_error_set(MC_ENOTFOUND, "task '%s' has no escalation", task_id);
	}
	else
		rc = mc_store_fail(store, "reading escalations");
	sqlite3_finalize(st);
	return rc;
}

int mc_agents_contract_get(char **body, int *has_actuals, mc_store *store, const char *id)
{
	sqlite3_stmt *st;
	int rc, r;
	*body = NULL;
	if ((rc = mc_store_prepare(store, &st,
				   "SELECT c.body, a.contract_id IS NOT NULL FROM ag_contract c "
				   "LEFT JOIN ag_actual a ON a.contract_id = c.id WHERE c.id = ?", "contracts")))
		return rc;
	bind_text(st, 1, id);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		*body = mc_xstrdup((const char *)sqlite3_column_text(st, 0));
		*has_actuals = sqlite3_column_int(st, 1);
	} else if (r == SQLITE_DONE) {
		rc = mc_error_set(MC_ENOTFOUND, "no contract '%s'", id);
	} else {
		rc = mc_store_fail(store, "reading contracts");
	}
	sqlite3_finalize(st);
	return rc;
}

int mc_agents_train_spent(double *usd, double *minutes, mc_store *store, const char *train)
{
	sqlite3_stmt *st;
	int rc;
	*usd = *minutes = 0;
	if ((rc = mc_store_prepare(store, &st, "SELECT total(coalesce(a.usd, c.cost_usd)), "
				   "total(coalesce(a.minutes, c.minutes)) FROM ag_contract c "
				   "LEFT JOIN ag_actual a ON a.contract_id = c.id WHERE c.train = ?", "contracts")))
		return rc;
	bind_text(st, 1, train);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*usd = sqlite3_column_double(st, 0);
		*minutes = sqlite3_column_double(st, 1);
	} else {
		rc = mc_store_fail(store, "summing the train's contracts");
	}
	sqlite3_finalize(st);
	return rc;
}

static int put_actual(mc_store *store, const char *id, double usd, double minutes, double eval,
		      int64_t now)
{
	sqlite3_stmt *st;
	int rc;
	if ((rc = mc_store_prepare(store, &st, "INSERT INTO ag_actual (contract_id, usd, minutes, eval, "
				   "recorded_at) VALUES (?, ?, ?, ?, ?)", "storing actuals")))
		return rc;
	bind_text(st, 1, id);
	sqlite3_bind_double(st, 2, usd);
	sqlite3_bind_double(st, 3, minutes);
	sqlite3_bind_double(st, 4, eval);
	sqlite3_bind_int64(st, 5, now);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = sqlite3_extended_errcode(mc_store_sqlite(store)) == SQLITE_CONSTRAINT_PRIMARYKEY
			     ? mc_error_set(MC_EINVAL, "contract %s already has actuals", id)
			     : mc_store_fail(store, "storing actuals");
	}
	sqlite3_finalize(st);
	return rc;
}

static int put_penalty(mc_store *store, const char *id, const mc_sla_outcome *o,
		       const char *agent, const char *body, int64_t now)
{
	sqlite3_stmt *st;
	int rc;
	if ((rc = mc_store_prepare(store, &st,
				   "INSERT INTO ag_penalty (contract_id, agent_id, penalty_usd, "
				   "misses, downshift, body, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
				   "storing the penalty")))
		return rc;
	bind_text(st, 1, id);
	bind_text(st, 2, agent);
	sqlite3_bind_double(st, 3, o->penalty_usd);
	sqlite3_bind_int(st, 4, (int)o->nmisses);
	bind_text(st, 5, mc_downshift_name(o->downshift));
	bind_text(st, 6, body);
	sqlite3_bind_int64(st, 7, now);
	return mc_store_step_done(store, st, "storing the penalty");
}

int mc_agents_settle(mc_store *store, const char *id, double usd, double minutes, double eval,
		     const mc_sla_outcome *o, const char *penalty_body, const mc_reputation *rep,
		     int64_t now)
{
	int rc;
	if ((rc = mc_store_begin(store)) != 0)
		return rc;
	if ((rc = put_actual(store, id, usd, minutes, eval, now)) != 0 ||
	    (penalty_body && (rc = put_penalty(store, id, o, rep->agent_id, penalty_body, now)) != 0) ||
	    (rc = mc_agents_reputation_put(store, rep, now)) != 0 ||
	    (rc = mc_store_commit(store)) != 0) {
		mc_store_rollback(store);
		return rc;
	}
	return 0;
}

#define REP_COLUMNS "agent_id, contracts, misses, miss_streak, met_streak, penalties_usd, tier, " \
		    "cost_cap, tolerance_scale, cost_n, cost_mean, cost_var, minutes_n, " \
		    "minutes_mean, minutes_var, eval_n, eval_mean, eval_var"

static void read_estimate(mc_error_estimate *e, sqlite3_stmt *st, int col)
{
	e->n = (long)sqlite3_column_int64(st, col);
	e->mean = sqlite3_column_double(st, col + 1);
	e->var = sqlite3_column_double(st, col + 2);
}

static void read_rep(mc_reputation *r, sqlite3_stmt *st)
{
	mc_reputation_init(r, (const char *)sqlite3_column_text(st, 0));
	r->contracts = (long)sqlite3_column_int64(st, 1);
	r->misses = (long)sqlite3_column_int64(st, 2);
	r->miss_streak = (long)sqlite3_column_int64(st, 3);
	r->met_streak = (long)sqlite3_column_int64(st, 4);
	r->penalties_usd = sqlite3_column_double(st, 5);
	r->tier = sqlite3_column_int(st, 6);
	r->cost_cap = sqlite3_column_double(st, 7);
	r->tolerance_scale = sqlite3_column_double(st, 8);
	read_estimate(&r->cost, st, 9);
	read_estimate(&r->minutes, st, 12);
	read_estimate(&r->eval, st, 15);
}

int mc_agents_reputation_get(mc_reputation *out, mc_store *store, const char *agent)
{
	sqlite3_stmt *st;
	int rc, r;
	mc_reputation_init(out, agent);
	if ((rc = mc_store_prepare(store, &st,
				   "SELECT " REP_COLUMNS " FROM ag_reputation WHERE agent_id = ?",
				   "reputations")))
		return rc;
	bind_text(st, 1, agent);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		read_rep(out, st);
	else if (r != SQLITE_DONE)
		rc = mc_store_fail(store, "reading reputations");
	sqlite3_finalize(st);
	return rc;
}

static void bind_estimate(sqlite3_stmt *st, int i, const mc_error_estimate *e)
{
	sqlite3_bind_int64(st, i, e->n);
	sqlite3_bind_double(st, i + 1, e->mean);
	sqlite3_bind_double(st, i + 2, e->var);
}

int mc_agents_reputation_put(mc_store *store, const mc_reputation *r, int64_t now)
{
	sqlite3_stmt *st;
	int rc;
	if ((rc = mc_store_prepare(store, &st, "INSERT OR REPLACE INTO ag_reputation (" REP_COLUMNS
				   ", updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
				   "storing the reputation")))
		return rc;
	bind_text(st, 1, r->agent_id);
	sqlite3_bind_int64(st, 2, r->contracts);
	sqlite3_bind_int64(st, 3, r->misses);
	sqlite3_bind_int64(st, 4, r->miss_streak);
	sqlite3_bind_int64(st, 5, r->met_streak);
	sqlite3_bind_double(st, 6, r->penalties_usd);
	sqlite3_bind_int(st, 7, r->tier);
	sqlite3_bind_double(st, 8, r->cost_cap);
	sqlite3_bind_double(st, 9, r->tolerance_scale);
	bind_estimate(st, 10, &r->cost);
	bind_estimate(st, 13, &r->minutes);
	bind_estimate(st, 16, &r->eval);
	sqlite3_bind_int64(st, 19, now);
	return mc_store_step_done(store, st, "storing the reputation");
}

int mc_agents_reputation_list(mc_reputation **out, size_t *n, mc_store *store)
{
	sqlite3_stmt *st;
	size_t alloc = 0;
	int rc, r;
	*out = NULL;
	*n = 0;
	if ((rc = mc_store_prepare(store, &st,
				   "SELECT " REP_COLUMNS " FROM ag_reputation ORDER BY agent_id",
				   "reputations")))
		return rc;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		mc_xgrow((void **)out, &alloc, *n + 1, sizeof **out);
		read_rep(&(*out)[(*n)++], st);
	}
	if (r != SQLITE_DONE)
		rc = mc_store_fail(store, "reading reputations");
	sqlite3_finalize(st);
	return rc;
}
