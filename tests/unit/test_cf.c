/* The counterfactual model: known quantiles, identity deltas, deltas per route and by
 * default, bootstrap intervals that cover the truth on synthetic data, determinism,
 * the route limit, and the delta parsers. */
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/cf.h"
#include "testutil.h"
#include "util/error.h"
#include "util/json.h"

/* The test's own random numbers (not the model's). */
static uint64_t test_state;

static double uniform01(void)
{
	test_state ^= test_state << 13;
	test_state ^= test_state >> 7;
	test_state ^= test_state << 17;
	return ((double)(test_state >> 11) + 0.5) / 9007199254740992.0;
}

static double normal01(void)
{
	return sqrt(-2 * log(uniform01())) * cos(6.283185307179586 * uniform01());
}

static void add(mc_cf *cf, const char *route, double latency, int status, double cost)
{
	mc_cf_add(cf, route, strlen(route), latency, status, cost);
}

START_TEST(known_quantiles_and_identity_deltas)
{
	mc_cf *cf;
	mc_cf_result r;
	mc_cf_deltas d = { 0 };
	mc_cf_options opt = { 0, 0, 7 };
	const mc_cf_route_result *a;
	int i, j;

	mc_cf_new(&cf, 1);
	for (i = 101; i >= 1; i--) /* 1..101 in reverse: order must not matter */
		add(cf, "/a", i, i <= 10 ? 500 : 200, 0.01);
	add(cf, "/b", 5, 200, 0);
	ck_assert_int_eq((int)mc_cf_count(cf), 102);
	ck_assert_int_eq(mc_cf_deltas_add_spec(&d, "*:latency=x1,errors=+0,cost=x1"), 0);
	ck_assert_int_eq(mc_cf_predict(&r, cf, &d, &opt), 0);
	a = mc_cf_result_route(&r, "/a");
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(a->count, 101);
	ck_assert_uint_eq(a->sampled, 101);
	ck_assert(a->latency[MC_CF_P50].base == 51);
	ck_assert(a->latency[MC_CF_P95].base == 96);
	ck_assert(a->latency[MC_CF_P99].base == 100);
	ck_assert(fabs(a->error_rate.base - 10.0 / 101) < 1e-15);
	ck_assert(fabs(a->cost_total.base - 1.01) < 1e-12);
	for (j = 0; j < 3; j++) {
		ck_assert(a->latency[j].predicted == a->latency[j].base);
		ck_assert(a->latency[j].delta_ci.lo == 0 && a->latency[j].delta_ci.hi == 0);
		ck_assert(r.overall.latency[j].predicted == r.overall.latency[j].base);
		ck_assert(a->latency[j].base_ci.lo <= a->latency[j].base &&
			  a->latency[j].base <= a->latency[j].base_ci.hi);
	}
	ck_assert(a->error_rate.predicted == a->error_rate.base);
	ck_assert(r.overall.error_rate.predicted == r.overall.error_rate.base);
	ck_assert(r.overall.cost.predicted == r.overall.cost.base);
	ck_assert_uint_eq(r.overall.count, 102);
	ck_assert_uint_eq(r.overall.errors, 10);
	ck_assert_ptr_null(mc_cf_result_route(&r, "/c"));
	mc_cf_result_free(&r);
	mc_cf_deltas_free(&d);
	mc_cf_free(cf);
}
END_TEST

START_TEST(deltas_per_route_over_the_default)
{
	mc_cf *cf;
	mc_cf_result r;
	mc_cf_deltas d = { 0 };
	mc_cf_options opt = { 100, 0.9, 3 };
	const mc_cf_route_result *a, *b;
	int i;

	mc_cf_new(&cf, 2);
	for (i = 0; i < 1000; i++) {
		add(cf, "/a", 10 + i % 10, i % 100 == 0 ? 503 : 200, 0.001);
		add(cf, "/b", 100 + i % 10, i % 50 == 0 ? 500 : 201, 0.002);
	}
	ck_assert_int_eq(mc_cf_deltas_add_spec(&d, "*:latency=x1.5,errors=x2"), 0);
	ck_assert_int_eq(mc_cf_deltas_add_spec(&d, "/b:p99=x3,errors=-0.5,cost=+0.001"), 0);
	ck_assert_int_eq(mc_cf_predict(&r, cf, &d, &opt), 0);
	a = mc_cf_result_route(&r, "/a");
	b = mc_cf_result_route(&r, "/b");
	ck_assert(fabs(a->latency[MC_CF_P50].predicted - 1.5 * a->latency[MC_CF_P50].base) < 1e-12);
	ck_assert(fabs(a->error_rate.predicted - 0.02) < 1e-12);
	ck_assert(a->cost.predicted == a->cost.base);
	/* /b keeps the default's p50 and p95 factors, has its own p99 and error change */
	ck_assert(fabs(b->latency[MC_CF_P50].predicted - 1.5 * b->latency[MC_CF_P50].base) < 1e-12);
	ck_assert(fabs(b->latency[MC_CF_P99].predicted - 3 * b->latency[MC_CF_P99].base) < 1e-12);
	ck_assert(b->error_rate.predicted == 0); /* clamped */
	ck_assert(fabs(b->cost.predicted - 0.003) < 1e-12);
	ck_assert(fabs(r.overall.error_rate.predicted - (1000 * 0.02 + 0) / 2000) < 1e-12);
	ck_assert(fabs(r.overall.cost.predicted - (0.001 + 0.003) / 2) < 1e-12);
	/* the overall p50 moves by the factor both routes share at their p50 */
	ck_assert(r.overall.latency[MC_CF_P50].predicted > r.overall.latency[MC_CF_P50].base);
	ck_assert(r.overall.latency[MC_CF_P50].delta_ci.lo > 0);
	ck_assert(a->latency[MC_CF_P50].delta_ci.lo > 0);
	ck_assert(a->latency[MC_CF_P50].delta_ci.lo <= a->latency[MC_CF_P50].delta &&
		  a->latency[MC_CF_P50].delta <= a->latency[MC_CF_P50].delta_ci.hi);
	mc_cf_result_free(&r);
	mc_cf_deltas_free(&d);
	mc_cf_free(cf);
}
END_TEST

/*
 * Lognormal latencies (mu 3, sigma 0.5), 20,000 requests a run (beyond the reservoir,
 * so the quantiles are estimates), 2 % errors: over 40 runs the 95 % intervals must
 * contain the true p50 and p99 and error rate (times the deltas for the prediction)
 * at least 34 times each (expected 38; 34 or fewer has a probability under 1 %).
 */
START_TEST(intervals_cover_the_truth)
{
	const double mu = 3, sigma = 0.5, factor = 1.2, err = 0.02;
	const double true_p50 = exp(mu), true_p99 = exp(mu + sigma * 2.3263478740408408);
	int covered_p50 = 0, covered_p99 = 0, covered_pred = 0, covered_err = 0, run, i;

	for (run = 0; run < 40; run++) {
		mc_cf *cf;
		mc_cf_result r;
		mc_cf_deltas d = { 0 };
		mc_cf_options opt = { 200, 0.95, (uint64_t)run + 100 };
		const mc_cf_route_result *a;

		test_state = 0x9E3779B97F4A7C15u ^ (uint64_t)(run + 1) * 0x100000001B3u;
		mc_cf_new(&cf, (uint64_t)run);
		for (i = 0; i < 20000; i++)
			add(cf, "/x", exp(mu + sigma * normal01()), uniform01() < err ? 500 : 200, 0);
		ck_assert_int_eq(mc_cf_deltas_add_spec(&d, "/x:latency=x1.2"), 0);
		ck_assert_int_eq(mc_cf_predict(&r, cf, &d, &opt), 0);
		a = mc_cf_result_route(&r, "/x");
		ck_assert_uint_eq(a->sampled, MC_CF_RESERVOIR);
		covered_p50 += a->latency[MC_CF_P50].base_ci.lo <= true_p50 &&
			       true_p50 <= a->latency[MC_CF_P50].base_ci.hi;
		covered_p99 += a->latency[MC_CF_P99].base_ci.lo <= true_p99 &&
			       true_p99 <= a->latency[MC_CF_P99].base_ci.hi;
		covered_pred += a->latency[MC_CF_P50].predicted_ci.lo <= factor * true_p50 &&
				factor * true_p50 <= a->latency[MC_CF_P50].predicted_ci.hi;
		covered_err += a->error_rate.base_ci.lo <= err && err <= a->error_rate.base_ci.hi;
		/* the overall row of a single route is that route */
		ck_assert(fabs(r.overall.error_rate.base - a->error_rate.base) < 1e-15);
		mc_cf_result_free(&r);
		mc_cf_deltas_free(&d);
		mc_cf_free(cf);
	}
	ck_assert_msg(covered_p50 >= 34, "p50 covered %d of 40", covered_p50);
	ck_assert_msg(covered_p99 >= 34, "p99 covered %d of 40", covered_p99);
	ck_assert_msg(covered_pred >= 34, "predicted p50 covered %d of 40", covered_pred);
	ck_assert_msg(covered_err >= 34, "error rate covered %d of 40", covered_err);
}
END_TEST

START_TEST(deterministic_and_bounded)
{
	mc_cf *cf1, *cf2;
	mc_cf_result r1, r2;
	mc_cf_options opt = { 50, 0, 9 };
	struct json_object *j1, *j2;
	char route[32];
	int i;

	mc_cf_new(&cf1, 5);
	mc_cf_new(&cf2, 5);
	test_state = 42;
	for (i = 0; i < 30000; i++) {
		double v = uniform01() * 100;
		snprintf(route, sizeof route, "/r%d", i % 1200); /* more routes than kept apart */
		mc_cf_add(cf1, route, strlen(route), v, 200, 0);
		mc_cf_add(cf2, route, strlen(route), v, 200, 0);
	}
	ck_assert_int_eq(mc_cf_predict(&r1, cf1, NULL, &opt), 0);
	ck_assert_int_eq(mc_cf_predict(&r2, cf2, NULL, &opt), 0);
	j1 = mc_cf_result_to_json(&r1);
	j2 = mc_cf_result_to_json(&r2);
	ck_assert_str_eq(mc_json_dump(j1, 0), mc_json_dump(j2, 0));
	ck_assert_uint_eq(r1.nroutes, MC_CF_MAX_ROUTES + 1);
	ck_assert_ptr_nonnull(mc_cf_result_route(&r1, MC_CF_OTHER_ROUTE));
	ck_assert_uint_eq(mc_cf_result_route(&r1, MC_CF_OTHER_ROUTE)->count, 200 * 25);
	ck_assert_uint_eq(r1.overall.count, 30000);
	ck_assert_uint_eq(r1.overall.sampled, MC_CF_OVERALL_RESERVOIR);
	json_object_put(j1);
	json_object_put(j2);
	mc_cf_result_free(&r1);
	mc_cf_result_free(&r2);
	mc_cf_free(cf1);
	mc_cf_free(cf2);

	mc_cf_new(&cf1, 1);
	ck_assert_int_eq(mc_cf_predict(&r1, cf1, NULL, &opt), MC_EEMPTY);
	mc_cf_free(cf1);
}
END_TEST

START_TEST(delta_specs_and_documents)
{
	static const char *const bad[] = { "noroute", ":latency=x1", "/a:", "/a:latency=+1",
		"/a:latency=x0", "/a:latency=x-1", "/a:errors=0.1", "/a:foo=x1", "/a:latency",
		"/a:cost=xabc", "/a:latency=x1.1,", "/a:p50=1e999" };
	mc_cf_deltas d = { 0 };
	struct json_object *doc, *out;
	size_t i;

	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		ck_assert_msg(mc_cf_deltas_add_spec(&d, bad[i]) == MC_EINVAL, "accepted %s", bad[i]);
		ck_assert_msg(strstr(mc_error_message(), "delta '"), "%s", mc_error_message());
	}
	mc_cf_deltas_free(&d);
	/* a route with ':' in it: the keys follow the last one */
	ck_assert_int_eq(mc_cf_deltas_add_spec(&d, "GET /a:b:latency=1.1,errors=+0.01"), 0);
	ck_assert_int_eq(mc_cf_deltas_add_spec(&d, "GET /a:b:p99=x2"), 0);
	ck_assert_uint_eq(d.n, 1);
	ck_assert_str_eq(d.v[0].route, "GET /a:b");
	ck_assert(d.v[0].latency[0] == 1.1 && d.v[0].latency[2] == 2);
	ck_assert(d.v[0].errors_op == MC_CF_ADD && d.v[0].errors == 0.01);
	mc_cf_deltas_free(&d);

	doc = json_tokener_parse("{\"source\": \"canary\", \"default\": {\"latency\": 1.1},"
				 " \"routes\": {\"/a\": {\"p95\": 2, \"errors\": {\"add\": 0.01},"
				 " \"cost\": {\"factor\": 0.5}}}}");
	ck_assert_int_eq(mc_cf_deltas_add_json(&d, doc), 0);
	json_object_put(doc);
	out = mc_cf_deltas_to_json(&d);
	ck_assert_str_eq(mc_json_dump(out, 0),
			 "{\"default\":{\"latency\":1.1000000000000001},\"routes\":{\"/a\":"
			 "{\"p95\":2.0,\"errors\":{\"add\":0.01},\"cost\":{\"factor\":0.5}}}}");
	/* what it writes reads back the same */
	{
		mc_cf_deltas again = { 0 };
		struct json_object *out2;
		ck_assert_int_eq(mc_cf_deltas_add_json(&again, out), 0);
		out2 = mc_cf_deltas_to_json(&again);
		ck_assert_str_eq(mc_json_dump(out, 0), mc_json_dump(out2, 0));
		json_object_put(out2);
		mc_cf_deltas_free(&again);
	}
	json_object_put(out);
	mc_cf_deltas_free(&d);

	doc = json_tokener_parse("{\"routes\": {\"/a\": {\"errors\": {\"add\": 0.1, \"factor\": 2}}}}");
	ck_assert_int_eq(mc_cf_deltas_add_json(&d, doc), MC_EINVAL);
	ck_assert_msg(strstr(mc_error_message(), "deltas: /routes/"), "%s", mc_error_message());
	json_object_put(doc);
	doc = json_tokener_parse("{\"default\": {\"latency\": 0}}");
	ck_assert_int_eq(mc_cf_deltas_add_json(&d, doc), MC_EINVAL);
	ck_assert_msg(strstr(mc_error_message(), "/default/latency"), "%s", mc_error_message());
	json_object_put(doc);
	doc = json_tokener_parse("{\"default\": {\"latncy\": 2}}");
	ck_assert_int_eq(mc_cf_deltas_add_json(&d, doc), MC_EINVAL);
	ck_assert_msg(strstr(mc_error_message(), "latncy"), "%s", mc_error_message());
	json_object_put(doc);
	mc_cf_deltas_free(&d);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cf");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, known_quantiles_and_identity_deltas);
	tcase_add_test(tc, deltas_per_route_over_the_default);
	tcase_add_test(tc, intervals_cover_the_truth);
	tcase_add_test(tc, deterministic_and_bounded);
	tcase_add_test(tc, delta_specs_and_documents);
	suite_add_tcase(s, tc);
	return mc_test_run(s);
}
