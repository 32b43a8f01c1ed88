/* Unit tests for model/negotiate (offers, mediator, concession, SLA) and
 * adapters/store/agents (dedup, rate limit, settlement). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "adapters/store/agents.h"
#include "model/negotiate.h"
#include "testutil.h"
#include "util/error.h"
#include "util/json.h"

static mc_offer make(const char *id, const char *agent, const char *task, double eval, double usd,
		     double minutes, double risk)
{
	mc_offer o;
	memset(&o, 0, sizeof o);
	snprintf(o.offer_id, sizeof o.offer_id, "%s", id);
	snprintf(o.agent_id, sizeof o.agent_id, "%s", agent);
	snprintf(o.task_id, sizeof o.task_id, "%s", task);
	snprintf(o.arm, sizeof o.arm, "arm");
	o.pred_eval = eval, o.pred_cost_usd = usd, o.pred_minutes = minutes, o.risk = risk;
	o.expires_at = 1000;
	return o;
}

START_TEST(parse_refuses_by_field_and_canonical_round_trips)
{
	const char *good = "{ \"taskId\":\"T\",\"offerId\":\"o\",\"agentId\":\"a\",\"arm\":\"x\","
			   "\"predEval\":0.5,\"predCostUSD\":0.1,\"predMinutes\":3,\"risk\":0,"
			   "\"expiresAt\":\"2030-01-02T03:04:05Z\"}";
	const char *inf = "{\"taskId\":\"T\",\"offerId\":\"o\",\"agentId\":\"a\",\"arm\":\"x\","
			  "\"predEval\":0.5,\"predCostUSD\":1e999,\"predMinutes\":3,\"risk\":0,"
			  "\"expiresAt\":\"2030-01-02T03:04:05Z\"}";
	const char *feb = "{\"taskId\":\"T\",\"offerId\":\"o\",\"agentId\":\"a\",\"arm\":\"x\","
			  "\"predEval\":0.5,\"predCostUSD\":1,\"predMinutes\":3,\"risk\":0,"
			  "\"expiresAt\":\"2030-02-31T03:04:05Z\"}";
	mc_offer o;
	char *c;
	ck_assert_int_eq(mc_offer_parse(&o, good, strlen(good), "offer"), 0);
	c = mc_offer_canonical(&o);
	ck_assert_str_eq(c, "{\"agentId\":\"a\",\"arm\":\"x\",\"expiresAt\":\"2030-01-02T03:04:05Z\","
			    "\"offerId\":\"o\",\"predCostUSD\":0.1,\"predEval\":0.5,\"predMinutes\":3,"
			    "\"risk\":0,\"taskId\":\"T\"}");
	free(c);
	mc_offer_clear(&o);
	ck_assert_int_eq(mc_offer_parse(&o, inf, strlen(inf), "offer"), MC_EINVAL);
	ck_assert_ptr_nonnull(strstr(mc_error_message(), "/predCostUSD"));
	ck_assert_int_eq(mc_offer_parse(&o, feb, strlen(feb), "offer"), MC_EINVAL);
	ck_assert_ptr_nonnull(strstr(mc_error_message(), "/expiresAt"));
}
END_TEST

/* Predicted deltas: checked as the engine reads them, signed in canonical form (keys
 * sorted inside too, between arm and expiresAt), copied and carried into the contract. */
START_TEST(offer_deltas_are_checked_canonical_and_kept_with_the_contract)
{
#define OFFER_HEAD "{\"taskId\":\"T\",\"offerId\":\"o\",\"agentId\":\"a\",\"arm\":\"x\"," \
		   "\"predEval\":0.5,\"predCostUSD\":0.1,\"predMinutes\":3,\"risk\":0," \
		   "\"expiresAt\":\"2030-01-02T03:04:05Z\","
	const char *with = OFFER_HEAD "\"deltas\": { \"routes\": {\"/api\": {\"p99\": 1.25}},"
			   " \"default\": {\"latency\": 1.10, \"errors\": {\"add\": 0.01}},"
			   " \"source\": \"bench\"}}";
	const char *extra = OFFER_HEAD "\"deltas\": {\"default\": {\"speed\": 2}}}";
	const char *zero = OFFER_HEAD "\"deltas\": {\"default\": {\"latency\": 0}}}";
	const char *both = OFFER_HEAD "\"deltas\": {\"default\": {\"cost\": {\"add\": 1, \"factor\": 2}}}}";
#undef OFFER_HEAD
	mc_negotiate_policy p;
	mc_award a;
	mc_offer o, again;
	struct json_object *c, *d;
	char *canon, *canon2;

	ck_assert_int_eq(mc_offer_parse(&o, with, strlen(with), "offer"), 0);
	ck_assert_ptr_nonnull(o.deltas);
	canon = mc_offer_canonical(&o);
	ck_assert_str_eq(canon, "{\"agentId\":\"a\",\"arm\":\"x\",\"deltas\":{\"default\":"
				"{\"errors\":{\"add\":0.01},\"latency\":1.1},\"routes\":{\"/api\":"
				"{\"p99\":1.25}},\"source\":\"bench\"},\"expiresAt\":\"2030-01-02T03:04:05Z\","
				"\"offerId\":\"o\",\"predCostUSD\":0.1,\"predEval\":0.5,\"predMinutes\":3,"
				"\"risk\":0,\"taskId\":\"T\"}");
	ck_assert_int_eq(mc_offer_parse(&again, canon, strlen(canon), "canonical"), 0);
	canon2 = mc_offer_canonical(&again);
	ck_assert_str_eq(canon, canon2);
	free(canon2);
	mc_offer_clear(&again);
	free(canon);

	/* a copy owns its deltas; the contract's offer carries them */
	memset(&a, 0, sizeof a);
	mc_offer_copy(&a.offer, &o);
	mc_offer_clear(&o);
	ck_assert_ptr_null(o.deltas);
	snprintf(a.task_id, sizeof a.task_id, "T");
	mc_negotiate_policy_defaults(&p);
	c = mc_award_contract_json(&a, &p, "ct-1", "train", 1000);
	d = mc_json_get(mc_json_get(c, "offer"), "deltas");
	ck_assert_ptr_nonnull(d);
	ck_assert_double_eq(mc_json_get_double(mc_json_get(d, "default"), "latency", 0), 1.1);
	json_object_put(c);
	mc_offer_clear(&a.offer);

	/* refused, naming the field */
	ck_assert_int_eq(mc_offer_parse(&o, extra, strlen(extra), "offer"), MC_EINVAL);
	ck_assert_ptr_nonnull(strstr(mc_error_message(), "/deltas"));
	ck_assert_int_eq(mc_offer_parse(&o, zero, strlen(zero), "offer"), MC_EINVAL);
	ck_assert_ptr_nonnull(strstr(mc_error_message(), "/deltas"));
	ck_assert_int_eq(mc_offer_parse(&o, both, strlen(both), "offer"), MC_EINVAL);
	ck_assert_ptr_nonnull(strstr(mc_error_message(), "/deltas"));
}
END_TEST

START_TEST(mediator_picks_best_corrected_offer_and_refuses_extremes)
{
	mc_negotiate_policy p;
	mc_offer offers[4];
	mc_task task = { "T", -1 };
	mc_reputation rep;
	mc_negotiation_input in;
	mc_negotiation_result r;
	mc_negotiate_policy_defaults(&p);
	offers[0] = make("cheap", "optimist", "T", 0.9, 1, 10, 0.1);
	offers[1] = make("fair", "honest", "T", 0.9, 2, 10, 0.1);
	offers[2] = make("nan", "x", "T", NAN, 1, 10, 0.1);
	offers[3] = make("huge", "y", "T", 0.9, 1e308, 10, 0.1);
	memset(&in, 0, sizeof in);
	in.policy = &p, in.tasks = &task, in.ntasks = 1, in.offers = offers, in.noffers = 4;
	ck_assert_int_eq(mc_negotiate_run(&r, &in), 0);
	ck_assert_int_eq(r.nawards, 1);
	ck_assert_str_eq(r.awards[0].offer.offer_id, "cheap");
	ck_assert_int_eq(r.nrefusals, 2);
	ck_assert_ptr_nonnull(strstr(r.refusals[0].reason, "offer nan: predEval"));
	ck_assert_ptr_nonnull(strstr(r.refusals[1].reason, "offer huge: predCostUSD"));
	mc_negotiation_result_free(&r);

	/* the optimist's costs turned out 3x: its $1 now reads as more than $2 */
	mc_reputation_init(&rep, "optimist");
	for (int i = 0; i < 4; i++)
		mc_reputation_observe(&rep, 0.2, &offers[0], 3, 10, 0.9);
	in.reps = &rep, in.nreps = 1;
	ck_assert_int_eq(mc_negotiate_run(&r, &in), 0);
	ck_assert_str_eq(r.awards[0].offer.offer_id, "fair");
	ck_assert(r.awards[0].conflict);
	mc_negotiation_result_free(&r);
}
END_TEST

START_TEST(contradicting_claims_share_one_award)
{
	mc_negotiate_policy p;
	mc_offer offers[2] = { make("a", "x", "T1", 0.9, 1, 10, 0.1), make("b", "y", "T2", 0.9, 2, 10, 0.1) };
	mc_task tasks[2] = { { "T1", -1 }, { "T2", -1 } };
	const char *path[1] = { "src/a.c" }, *blob1[1] = { "1111111111111111111111111111111111111111" };
	const char *blob2[1] = { "2222222222222222222222222222222222222222" };
	mc_claim claims[2] = { { "a", path, blob1, 1 }, { "b", path, blob2, 1 } };
	mc_negotiation_input in;
	mc_negotiation_result r;
	mc_negotiate_policy_defaults(&p);
	memset(&in, 0, sizeof in);
	in.policy = &p, in.tasks = tasks, in.ntasks = 2, in.offers = offers, in.noffers = 2;
	ck_assert_int_eq(mc_negotiate_run(&r, &in), 0);
	ck_assert_int_eq(r.nawards, 2); /* without claims: one per task */
	mc_negotiation_result_free(&r);
	in.claims = claims, in.nclaims = 2;
	ck_assert_int_eq(mc_negotiate_run(&r, &in), 0);
	ck_assert_int_eq(r.nawards, 1);
	ck_assert(r.awards[0].conflict);
	ck_assert_str_eq(r.awards[0].offer.offer_id, "a");
	mc_negotiation_result_free(&r);
	claims[1].blobs = blob1; /* the same content is no contradiction */
	ck_assert_int_eq(mc_negotiate_run(&r, &in), 0);
	ck_assert_int_eq(r.nawards, 2);
	mc_negotiation_result_free(&r);
}
END_TEST

START_TEST(concession_strategies_differ_in_timing)
{
	mc_agent_profile agent;
	mc_offer first = make("o", "a", "T", 0.5, 10, 10, 0.1), ans;
	mc_counter_request req = { MC_DIM_COST, 1, 1, 4 };
	double linear, boulware, conceder;
	memset(&agent, 0, sizeof agent);
	agent.concession = 0.4;
	agent.strategy = MC_STRATEGY_NONE;
	ck_assert_int_eq(mc_negotiate_concede(&agent, &first, &req, &ans), 0);
	agent.strategy = MC_STRATEGY_LINEAR;
	ck_assert_int_eq(mc_negotiate_concede(&agent, &first, &req, &ans), 1);
	linear = ans.pred_cost_usd;
	mc_offer_clear(&ans);
	agent.strategy = MC_STRATEGY_BOULWARE;
	mc_negotiate_concede(&agent, &first, &req, &ans);
	boulware = ans.pred_cost_usd;
	mc_offer_clear(&ans);
	agent.strategy = MC_STRATEGY_CONCEDER;
	mc_negotiate_concede(&agent, &first, &req, &ans);
	conceder = ans.pred_cost_usd;
	mc_offer_clear(&ans);
	ck_assert_double_eq_tol(linear, 10 - 4 * 0.25, 1e-9);
	ck_assert(boulware > linear && linear > conceder);
	req.round = 4; /* at the last round every strategy reaches its reservation value */
	agent.strategy = MC_STRATEGY_BOULWARE;
	mc_negotiate_concede(&agent, &first, &req, &ans);
	ck_assert_double_eq_tol(ans.pred_cost_usd, 6, 1e-9);
	ck_assert_str_eq(ans.offer_id, "o~r4");
	mc_offer_clear(&ans);
}
END_TEST

START_TEST(enforce_penalises_and_downshifts)
{
	mc_negotiate_policy p;
	mc_contract c;
	mc_reputation rep;
	mc_sla_outcome out;
	struct json_object *j;
	mc_negotiate_policy_defaults(&p);
	memset(&c, 0, sizeof c);
	snprintf(c.id, sizeof c.id, "ct-1");
	c.offer = make("o", "a", "T", 0.9, 10, 60, 0.1);
	c.tol_cost = 0.2, c.tol_minutes = 0.25, c.tol_eval = 0.05;
	mc_reputation_init(&rep, "a");
	ck_assert_int_eq(mc_negotiate_enforce(&out, &rep, &c, 11, 70, 0.86, &p), 0);
	ck_assert_int_eq(out.nmisses, 0);
	ck_assert_ptr_null(mc_sla_penalty_json(&out, &c, &rep, 0));
	ck_assert_int_eq(mc_negotiate_enforce(&out, &rep, &c, 15, 60, 0.8, &p), 0);
	ck_assert_int_eq(out.nmisses, 2);
	/* cost: 15 - 12 = $3; eval: (0.85 - 0.8) x $100 = $5 */
	ck_assert_double_eq_tol(out.penalty_usd, 8, 1e-9);
	ck_assert_int_eq(out.downshift, MC_DOWNSHIFT_NONE);
	ck_assert_int_eq(mc_negotiate_enforce(&out, &rep, &c, 15, 60, 0.9, &p), 0);
	ck_assert_int_eq(out.downshift, MC_DOWNSHIFT_TIER);
	ck_assert_int_eq(rep.tier, 1);
	ck_assert_int_eq(rep.misses, 2);
	j = mc_sla_penalty_json(&out, &c, &rep, 0);
	ck_assert_ptr_nonnull(j);
	json_object_put(j);
	ck_assert_int_eq(mc_negotiate_enforce(&out, &rep, &c, INFINITY, 60, 0.9, &p), MC_EINVAL);
	ck_assert_int_eq(mc_negotiate_enforce(&out, &rep, &c, 1, 60, 1.5, &p), MC_EINVAL);
	p.downshift = MC_DOWNSHIFT_SMALLER_TASKS;
	mc_negotiate_enforce(&out, &rep, &c, 30, 60, 0.9, &p);
	mc_negotiate_enforce(&out, &rep, &c, 30, 60, 0.9, &p);
	ck_assert_double_eq_tol(rep.cost_cap, 5, 1e-9);
}
END_TEST

START_TEST(store_dedups_rate_limits_and_settles)
{
	mc_store *store;
	mc_offer o = make("o1", "a", "T", 0.9, 1, 1, 0.1), o2 = make("o2", "a", "T", 0.9, 1, 1, 0.1);
	mc_offer o3 = make("o3", "a", "T", 0.9, 1, 1, 0.1);
	mc_reputation rep;
	mc_stored_offer *stored;
	size_t n;
	int dup;
	ck_assert_int_eq(mc_store_open(&store, ":memory:"), 0);
	ck_assert_int_eq(mc_agents_offer_put(store, &o, "{1}", 0, 100, 60, 2, &dup), 0);
	ck_assert_int_eq(dup, 0);
	ck_assert_int_eq(mc_agents_offer_put(store, &o, "{1}", 0, 101, 60, 2, &dup), 0);
	ck_assert_int_eq(dup, 1);
	ck_assert_int_eq(mc_agents_offer_put(store, &o, "{other}", 0, 101, 60, 2, &dup), MC_EINVAL);
	ck_assert_int_eq(mc_agents_offer_put(store, &o2, "{2}", 0, 102, 60, 2, &dup), 0);
	ck_assert_int_eq(mc_agents_offer_put(store, &o3, "{3}", 0, 103, 60, 2, &dup), MC_ELIMIT);
	/* the window slides: after 60 s the agent may offer again */
	ck_assert_int_eq(mc_agents_offer_put(store, &o3, "{3}", 0, 161, 60, 2, &dup), 0);
	ck_assert_int_eq(mc_agents_offers_open(&stored, &n, store, 500), 0);
	ck_assert_int_eq(n, 3);
	mc_agents_stored_offers_free(stored, n);
	ck_assert_int_eq(mc_agents_offers_open(&stored, &n, store, 1000), 0);
	ck_assert_int_eq(n, 0);
	mc_agents_stored_offers_free(stored, n);
	mc_reputation_init(&rep, "a");
	rep.tier = 2;
	rep.cost.n = 3;
	rep.cost.mean = 0.5;
	ck_assert_int_eq(mc_agents_reputation_put(store, &rep, 1), 0);
	memset(&rep, 0, sizeof rep);
	ck_assert_int_eq(mc_agents_reputation_get(&rep, store, "a"), 0);
	ck_assert_int_eq(rep.tier, 2);
	ck_assert_double_eq(rep.cost.mean, 0.5);
	ck_assert_int_eq(mc_agents_reputation_get(&rep, store, "nobody"), 0);
	ck_assert_int_eq(rep.contracts, 0);
	ck_assert_double_eq(rep.cost_cap, -1);
	mc_store_close(store);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("negotiate");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, parse_refuses_by_field_and_canonical_round_trips);
	tcase_add_test(tc, offer_deltas_are_checked_canonical_and_kept_with_the_contract);
	tcase_add_test(tc, mediator_picks_best_corrected_offer_and_refuses_extremes);
	tcase_add_test(tc, contradicting_claims_share_one_award);
	tcase_add_test(tc, concession_strategies_differ_in_timing);
	tcase_add_test(tc, enforce_penalises_and_downshifts);
	tcase_add_test(tc, store_dedups_rate_limits_and_settles);
	suite_add_tcase(s, tc);
	return mc_test_run(s);
}
