/* Unit tests for the simulation's integration: the canary's seam
 * (mc_simulate_deltas_from_canary), the trace digest, the evidence predicates against
 * their schema, the simulation policy gate and the card's simulation section. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/card.h"
#include "model/evidence.h"
#include "model/policy.h"
#include "pipeline/simulate.h"
#include "testutil.h"
#include "util/error.h"
#include "util/json.h"

#define OID "0123456789abcdef0123456789abcdef01234567"

static const mc_cf_delta *delta_of(const mc_cf_deltas *d, const char *route)
{
	size_t i;
	for (i = 0; i < d->n; i++)
		if (!strcmp(d->v[i].route, route))
			return &d->v[i];
	return NULL;
}

START_TEST(canary_medians_become_deltas)
{
	const mc_simulate_canary_metric m[] = {
		{ "latency_ms", NULL, 100, 110 },
		{ "p99_ms", "/api", 200, 300 },
		{ "error_rate", NULL, 0.01, 0.03 },
		{ "cost_usd", NULL, 0.002, 0.001 },
		{ "cost_usd", "/free", 0, 0.0005 },
		{ "maestro_peak_rss_kb", NULL, 1000, 2000 }, /* not a delta: skipped */
	};
	mc_cf_deltas d = { 0 };
	const mc_cf_delta *all, *api, *free_route;
	size_t used = 0;

	ck_assert_int_eq(mc_simulate_deltas_from_canary(&d, &used, m, 6), 0);
	ck_assert_uint_eq(used, 5);
	all = delta_of(&d, MC_CF_ALL);
	api = delta_of(&d, "/api");
	free_route = delta_of(&d, "/free");
	ck_assert_ptr_nonnull(all);
	ck_assert_ptr_nonnull(api);
	ck_assert_ptr_nonnull(free_route);
	ck_assert(fabs(all->latency[MC_CF_P50] - 1.1) < 1e-12 && all->latency_set[MC_CF_P99]);
	ck_assert(fabs(api->latency[MC_CF_P99] - 1.5) < 1e-12 && !api->latency_set[MC_CF_P50]);
	ck_assert_int_eq(all->errors_op, MC_CF_ADD);
	ck_assert(fabs(all->errors - 0.02) < 1e-12);
	ck_assert_int_eq(all->cost_op, MC_CF_MUL);
	ck_assert(fabs(all->cost - 0.5) < 1e-12);
	ck_assert_int_eq(free_route->cost_op, MC_CF_ADD); /* a base of 0 has no factor */
	ck_assert(fabs(free_route->cost - 0.0005) < 1e-15);
	mc_cf_deltas_free(&d);
}
END_TEST

START_TEST(canary_values_without_a_delta_are_refused)
{
	const mc_simulate_canary_metric zero = { "p50_ms", NULL, 0, 10 };
	const mc_simulate_canary_metric nan = { "error_rate", NULL, NAN, 0.1 };
	const mc_simulate_canary_metric huge = { "latency_ms", NULL, 1, 5000 };
	mc_cf_deltas d = { 0 };

	ck_assert_int_eq(mc_simulate_deltas_from_canary(&d, NULL, &zero, 1), MC_EINVAL);
	ck_assert_ptr_nonnull(strstr(mc_error_message(), "p50_ms"));
	ck_assert_int_eq(mc_simulate_deltas_from_canary(&d, NULL, &nan, 1), MC_EINVAL);
	ck_assert_ptr_nonnull(strstr(mc_error_message(), "error_rate"));
	ck_assert_int_eq(mc_simulate_deltas_from_canary(&d, NULL, &huge, 1), MC_EINVAL);
	ck_assert_ptr_nonnull(strstr(mc_error_message(), "latency_ms"));
	mc_cf_deltas_free(&d);
}
END_TEST

/* "abc" has a well-known SHA-256; a file and memory give the same digest and size. */
START_TEST(traces_are_digested_as_read)
{
	const char *text = "{\"route\":\"/a\",\"latency_ms\":1,\"status\":200}\n"
			   "{\"route\":\"/b\",\"latency_ms\":2,\"status\":503}";
	mc_trace_options topt = { .format = MC_TRACE_JSONL };
	mc_simulate_trace a, b;
	mc_cf *cf = NULL;
	char *dir = mc_test_tmpdir(), path[4096];

	ck_assert_int_eq(mc_simulate_read_mem(&cf, &a, text, strlen(text), "mem", &topt, 1), 0);
	mc_cf_free(cf);
	ck_assert_uint_eq(a.records, 2);
	ck_assert_uint_eq(a.bytes, strlen(text));
	ck_assert(a.digested);
	mc_test_write(dir, "t.jsonl", text);
	snprintf(path, sizeof path, "%s/t.jsonl", dir);
	ck_assert_int_eq(mc_simulate_read_trace(&cf, &b, path, &topt, 1, 1), 0);
	mc_cf_free(cf);
	ck_assert_str_eq(a.sha256, b.sha256);
	ck_assert_uint_eq(b.bytes, a.bytes);
	mc_simulate_trace_free(&b);
	/* Without a digest nothing is computed. */
	ck_assert_int_eq(mc_simulate_read_trace(&cf, &b, path, &topt, 1, 0), 0);
	mc_cf_free(cf);
	ck_assert(!b.digested);
	mc_simulate_trace_free(&b);
	mc_simulate_trace_free(&a);

	ck_assert_int_eq(mc_simulate_read_mem(&cf, &a, "{\"route\":\"x\"", 12, "bad", &topt, 1),
			 MC_EINVAL);
	mc_simulate_trace_free(&a);
	mc_test_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(sha256_of_known_bytes)
{
	/* Not a trace: the digest is of the bytes, checked before the parse fails. */
	mc_trace_options topt = { .format = MC_TRACE_JSONL };
	mc_simulate_trace t;
	mc_cf *cf = NULL;
	ck_assert_int_eq(mc_simulate_read_mem(&cf, &t, "abc", 3, "abc", &topt, 1), MC_EINVAL);
	ck_assert_str_eq(t.sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	mc_simulate_trace_free(&t);
}
END_TEST

/* A trace with route /a of n requests of 1..n ms (cost 0.01) and /b of 50 of 5 ms. */
static mc_cf *two_routes(unsigned n)
{
	mc_cf *cf;
	unsigned i;
	mc_cf_new(&cf, 1);
	for (i = 1; i <= n; i++)
		mc_cf_add(cf, "/a", 2, i, 200, 0.01);
	for (i = 0; i < 50; i++)
		mc_cf_add(cf, "/b", 2, 5, i ? 200 : 500, 0);
	return cf;
}

static void predict(mc_cf_result *r, mc_cf *cf, const char *spec)
{
	mc_cf_deltas d = { 0 };
	mc_cf_options opt = { .seed = 1 };
	ck_assert_int_eq(mc_cf_deltas_add_spec(&d, spec), 0);
	ck_assert_int_eq(mc_cf_predict(r, cf, &d, &opt), 0);
	mc_cf_deltas_free(&d);
}

START_TEST(predicates_satisfy_their_schema)
{
	mc_cf *cf = two_routes(200);
	mc_cf_result r;
	mc_cf_deltas d = { 0 };
	mc_simulate_trace t = { .name = "trace.jsonl", .records = 250, .digested = 1, .bytes = 9 };
	mc_simulate_comparison c[2] = {
		{ .route = "*", .predicted_requests = 250, .actual_requests = 240,
		  .predicted = { 10, 20, 30 }, .actual = { 11, 19, 0 }, .error = { 1.0 / 11, 1.0 / 19, NAN } },
		{ .route = "/a", .predicted_requests = 200, .actual_requests = 190 },
	};
	struct json_object *p, *st;
	enum mc_evidence_kind kind;

	memset(t.sha256, 'a', 64);
	ck_assert_int_eq(mc_cf_deltas_add_spec(&d, "/a:p99=x1.2,errors=+0.01"), 0);
	predict(&r, cf, "/a:p99=x1.2,errors=+0.01");
	p = mc_simulate_prediction_predicate(&t, MC_SIMULATE_FROM_CANARY, &d, &r, 7, 1764057600);
	ck_assert_str_eq(mc_json_get_string(mc_json_get(p, "deltas"), "origin", ""), "canary");
	ck_assert_int_eq(json_object_array_length(mc_json_get(p, "routes")), 2);
	st = mc_evidence_statement(MC_EV_SIMULATION, "demo", OID, p);
	ck_assert_msg(mc_evidence_check(st, OID, &kind) == 0, "%s", mc_error_message());
	ck_assert_int_eq(kind, MC_EV_SIMULATION);
	json_object_put(st);

	p = mc_simulate_outcome_predicate(&t, 7, c, 2, 1764057600);
	ck_assert(json_object_get_type(mc_json_get(
		mc_json_get(json_object_array_get_idx(mc_json_get(p, "comparisons"), 0), "p99_ms"),
		"error")) == json_type_null);
	st = mc_evidence_statement(MC_EV_SIMULATION, "demo", OID, p);
	ck_assert_msg(mc_evidence_check(st, OID, NULL) == 0, "%s", mc_error_message());
	/* An outcome without its comparisons is not an outcome. */
	json_object_object_del(mc_json_get(st, "predicate"), "comparisons");
	ck_assert_int_eq(mc_evidence_check(st, OID, NULL), MC_EVERIFY);
	json_object_put(st);
	mc_cf_result_free(&r);
	mc_cf_deltas_free(&d);
	mc_cf_free(cf);
}
END_TEST

static void sim_config(mc_config *cfg)
{
	mc_config_defaults(cfg);
	cfg->simulate_max_p99_increase = 0.10;
	cfg->simulate_min_requests = 100;
}

static const mc_gate *gate_for(mc_verdict *v, mc_config *cfg, const mc_cf_result *r,
			       const char *error)
{
	mc_policy_input in = { .risk = 0.1, .simulation = r, .simulation_error = error };
	mc_policy_evaluate(v, cfg, &in);
	return &v->gates[MC_GATE_SIMULATION];
}

START_TEST(the_gate_names_route_and_metric)
{
	mc_cf *cf = two_routes(200);
	mc_cf_result r;
	mc_config cfg;
	mc_verdict v;
	const mc_gate *g;

	sim_config(&cfg);
	predict(&r, cf, "/a:p99=x1.5");
	g = gate_for(&v, &cfg, &r, NULL);
	ck_assert(g->applies && !g->passed && !v.passed);
	ck_assert_msg(strncmp(g->reason, "/a: predicted p99 latency +50.0 % (up to ", 40) == 0, "%s",
		      g->reason);
	ck_assert_ptr_nonnull(strstr(g->reason, "simulate.max_p99_increase = 10 %"));
	ck_assert_ptr_null(strstr(g->reason, "/b"));
	ck_assert_uint_eq(mc_policy_simulation_breaches(&cfg, &r.routes[0], 0), MC_SIM_BREACH_P99);
	mc_verdict_free(&v);
	mc_cf_result_free(&r);

	/* Within the limit: passes, and says how many routes were gated (/b has 50 < 100). */
	predict(&r, cf, "*:p99=x1.05");
	g = gate_for(&v, &cfg, &r, NULL);
	ck_assert_msg(g->applies && g->passed, "%s", g->reason);
	ck_assert_ptr_nonnull(strstr(g->reason, "1 gated route"));
	mc_verdict_free(&v);
	mc_cf_result_free(&r);

	/* /b is below min_requests: its own regression is gated only through the whole
	 * trace, which the errors gate then catches: + 0.2 * 50/250 = 4 points. */
	cfg.simulate_max_error_rate_increase = 0.03;
	predict(&r, cf, "/b:errors=+0.2");
	ck_assert_uint_eq(mc_policy_simulation_breaches(&cfg, &r.routes[1], 0), 0);
	g = gate_for(&v, &cfg, &r, NULL);
	ck_assert(!g->passed);
	ck_assert_msg(strncmp(g->reason, "all routes: predicted error rate +4.00 points", 45) == 0,
		      "%s", g->reason);
	ck_assert_ptr_nonnull(strstr(g->reason, "simulate.max_error_rate_increase = 3 points"));
	mc_verdict_free(&v);
	mc_cf_result_free(&r);
	cfg.simulate_max_error_rate_increase = -1;

	/* Cost is relative to the base cost per request. */
	cfg.simulate_max_cost_increase = 0.05;
	predict(&r, cf, "/a:cost=x1.1");
	g = gate_for(&v, &cfg, &r, NULL);
	ck_assert_ptr_nonnull(strstr(g->reason, "/a: predicted cost per request +10.0 %"));
	mc_verdict_free(&v);
	mc_cf_result_free(&r);
	mc_config_free(&cfg);
	mc_cf_free(cf);
}
END_TEST

START_TEST(the_gate_without_a_prediction)
{
	mc_config cfg;
	mc_verdict v;
	const mc_gate *g;

	mc_config_defaults(&cfg);
	g = gate_for(&v, &cfg, NULL, NULL);
	ck_assert(!g->applies && v.passed);
	mc_verdict_free(&v);
	g = gate_for(&v, &cfg, NULL, "trace.jsonl: no such file");
	ck_assert(!g->applies && v.passed); /* no gate configured: a warning elsewhere */
	mc_verdict_free(&v);
	cfg.simulate_max_p99_increase = 0.10;
	g = gate_for(&v, &cfg, NULL, NULL);
	ck_assert(!g->applies && v.passed); /* nothing simulated: no deltas */
	mc_verdict_free(&v);
	g = gate_for(&v, &cfg, NULL, "trace.jsonl: no such file");
	ck_assert(g->applies && !g->passed && !v.passed);
	ck_assert_str_eq(g->reason, "the simulation could not run: trace.jsonl: no such file");
	mc_verdict_free(&v);
	mc_config_free(&cfg);
}
END_TEST

/* The section lists the busiest routes and every route a gate failed on. */
START_TEST(the_card_section_lists_busy_and_failing_routes)
{
	mc_cf *cf;
	mc_cf_result r;
	mc_card_simulation in = { .trace = "abc:perf/t.jsonl", .format = "jsonl",
				  .sha256 = "00", .origin = "cli" };
	struct json_object *card = json_object_new_object(), *deltas = json_object_new_object();
	struct json_object *sec, *routes;
	unsigned breaches[13] = { 0 };
	char name[8];
	unsigned i, j;

	mc_cf_new(&cf, 1);
	for (i = 0; i < 13; i++) { /* /r00 has 13 requests ... /r12 has 1 */
		snprintf(name, sizeof name, "/r%02u", i);
		for (j = 0; j < 13 - i; j++)
			mc_cf_add(cf, name, 4, 10 + j, 200, 0);
	}
	predict(&r, cf, "*:latency=x1.1");
	breaches[12] = MC_SIM_BREACH_P99 | MC_SIM_BREACH_COST;
	in.deltas = deltas;
	in.result = &r;
	in.breaches = breaches;
	mc_card_add_simulation(card, &in);
	sec = mc_json_get(card, "simulation");
	routes = mc_json_get(sec, "routes");
	ck_assert_int_eq(json_object_array_length(routes), 11);
	ck_assert_str_eq(mc_json_get_string(json_object_array_get_idx(routes, 0), "route", ""), "/r00");
	ck_assert_str_eq(mc_json_get_string(json_object_array_get_idx(routes, 10), "route", ""), "/r12");
	ck_assert_int_eq(mc_json_get_int(sec, "more_routes", -1), 2);
	ck_assert_str_eq(mc_json_get_string(mc_json_get(sec, "overall"), "route", ""), "all routes");
	ck_assert_int_eq(json_object_array_length(
		mc_json_get(json_object_array_get_idx(routes, 10), "failed")), 2);
	ck_assert(fabs(mc_json_get_double(mc_json_get(mc_json_get(mc_json_get(sec, "overall"),
		"latency_ms"), "p50"), "change", 0) - 0.1) < 1e-9);
	json_object_put(deltas);
	json_object_put(card);
	mc_cf_result_free(&r);
	mc_cf_free(cf);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("simulate");
	TCase *tc = tcase_create("integration");
	tcase_add_test(tc, canary_medians_become_deltas);
	tcase_add_test(tc, canary_values_without_a_delta_are_refused);
	tcase_add_test(tc, traces_are_digested_as_read);
	tcase_add_test(tc, sha256_of_known_bytes);
	tcase_add_test(tc, predicates_satisfy_their_schema);
	tcase_add_test(tc, the_gate_names_route_and_metric);
	tcase_add_test(tc, the_gate_without_a_prediction);
	tcase_add_test(tc, the_card_section_lists_busy_and_failing_routes);
	suite_add_tcase(s, tc);
	return mc_test_run(s);
}
