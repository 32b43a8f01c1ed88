/*
 * bench/knapsack's driver, compiled against libmaestro_core.a by bench/knapsack:
 *
 *   knapsack_driver portfolio N SEED [RUNS]
 *       N generated work items (model/trainsim.h's item shape) with 2 budgets, usd
 *       and ci, each 30 % of the items' total: the planner (mc_knapsack_solve,
 *       default options) and the sprint greedy on the same problem, RUNS times;
 *       one JSON object with the median times, the objectives and the gap bounds.
 *   knapsack_driver trains [KEY=VALUE ...]
 *       the release-train simulation (mc_trainsim_run) with the default parameters
 *       changed by KEY=VALUE (seed, days, train_every, half_life_days, expire_days,
 *       budget_share_usd, budget_share_ci, arrivals_weekday, arrivals_weekend),
 *       once with the planner and once with the sprint greedy; one JSON object.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/knapsack.h"
#include "model/trainsim.h"
#include "util/error.h"

static void die(const char *what)
{
	fprintf(stderr, "knapsack_driver: %s: %s\n", what, mc_error_message());
	exit(1);
}

static int by_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof *v, by_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static mc_knapsack *generate(size_t n, uint64_t seed)
{
	static const char *const dims[2] = { "usd", "ci" };
	mc_trainsim_params p;
	mc_trainsim_rng rng;
	mc_knapsack *k;
	double value, cost[2], total[2] = { 0, 0 };
	char id[32];
	size_t j;

	mc_trainsim_defaults(&p);
	mc_trainsim_rng_seed(&rng, seed);
	if (mc_knapsack_new(&k, 2, dims))
		die("new");
	for (j = 0; j < n; j++) {
		mc_trainsim_draw_item(&rng, &p, &value, cost);
		snprintf(id, sizeof id, "item-%zu", j);
		if (mc_knapsack_add_item(k, NULL, id, value, cost))
			die("add item");
		total[0] += cost[0];
		total[1] += cost[1];
	}
	if (mc_knapsack_set_budget(k, 0, 0.3 * total[0]) || mc_knapsack_set_budget(k, 1, 0.3 * total[1]))
		die("budget");
	return k;
}

static int portfolio(size_t n, uint64_t seed, size_t runs)
{
	mc_knapsack *k = generate(n, seed);
	mc_knapsack_options opt;
	mc_knapsack_result plan, greedy;
	double *pt = calloc(runs, sizeof *pt), *gt = calloc(runs, sizeof *gt);
	struct json_object *o = json_object_new_object();
	size_t r;

	mc_knapsack_options_init(&opt);
	for (r = 0; r < runs; r++) {
		if (mc_knapsack_solve(&plan, k, &opt))
			die("solve");
		if (mc_knapsack_greedy_sprint(&greedy, k, 0, 1))
			die("greedy");
		pt[r] = plan.seconds;
		gt[r] = greedy.seconds;
		if (r + 1 < runs) {
			mc_knapsack_result_free(&plan);
			mc_knapsack_result_free(&greedy);
		}
	}
	json_object_object_add(o, "items", json_object_new_int64((int64_t)n));
	json_object_object_add(o, "runs", json_object_new_int64((int64_t)runs));
	json_object_object_add(o, "seconds", json_object_new_double(median(pt, runs)));
	json_object_object_add(o, "objective", json_object_new_double(plan.objective));
	json_object_object_add(o, "upper_bound", json_object_new_double(plan.upper_bound));
	json_object_object_add(o, "gap", json_object_new_double(plan.gap));
	json_object_object_add(o, "method", json_object_new_string(plan.method));
	json_object_object_add(o, "chosen", json_object_new_int64((int64_t)plan.nchosen));
	json_object_object_add(o, "greedy_seconds", json_object_new_double(median(gt, runs)));
	json_object_object_add(o, "greedy_objective", json_object_new_double(greedy.objective));
	json_object_object_add(o, "greedy_gap", json_object_new_double(greedy.gap));
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	mc_knapsack_result_free(&plan);
	mc_knapsack_result_free(&greedy);
	mc_knapsack_free(k);
	free(pt);
	free(gt);
	return 0;
}

static void set_param(mc_trainsim_params *p, const char *arg)
{
	const char *eq = strchr(arg, '=');
	double v;
	char *end;

	if (!eq)
		goto bad;
	v = strtod(eq + 1, &end);
	if (end == eq + 1 || *end)
		goto bad;
#define PARAM(name, cast) \
	if ((size_t)(eq - arg) == strlen(#name) && !strncmp(arg, #name, (size_t)(eq - arg))) { \
		p->name = (cast)v; \
		return; \
	}
	PARAM(seed, uint64_t)
	PARAM(days, unsigned)
	PARAM(train_every, unsigned)
	PARAM(half_life_days, double)
	PARAM(expire_days, unsigned)
	PARAM(budget_share_usd, double)
	PARAM(budget_share_ci, double)
	PARAM(arrivals_weekday, double)
	PARAM(arrivals_weekend, double)
#undef PARAM
bad:
	fprintf(stderr, "knapsack_driver: bad parameter '%s'\n", arg);
	exit(2);
}

static struct json_object *stats_json(const mc_trainsim_stats *s)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "trains", json_object_new_int64((int64_t)s->trains));
	json_object_object_add(o, "arrived", json_object_new_int64((int64_t)s->arrived));
	json_object_object_add(o, "shipped", json_object_new_int64((int64_t)s->shipped));
	json_object_object_add(o, "expired", json_object_new_int64((int64_t)s->expired));
	json_object_object_add(o, "waiting", json_object_new_int64((int64_t)s->waiting));
	json_object_object_add(o, "value_arrived", json_object_new_double(s->value_arrived));
	json_object_object_add(o, "value_shipped", json_object_new_double(s->value_shipped));
	json_object_object_add(o, "value_expired", json_object_new_double(s->value_expired));
	json_object_object_add(o, "idle_usd", json_object_new_double(s->idle_share[0]));
	json_object_object_add(o, "idle_ci", json_object_new_double(s->idle_share[1]));
	json_object_object_add(o, "mean_wait_days", json_object_new_double(s->mean_wait_days));
	json_object_object_add(o, "max_backlog", json_object_new_double(s->max_backlog));
	json_object_object_add(o, "worst_gap", json_object_new_double(s->worst_gap));
	json_object_object_add(o, "seconds", json_object_new_double(s->seconds));
	return o;
}

static int trains(int argc, char **argv)
{
	mc_trainsim_params p;
	mc_trainsim_stats planner, greedy;
	mc_knapsack_options opt;
	struct json_object *o = json_object_new_object();
	double budget[2];
	int i;

	mc_trainsim_defaults(&p);
	for (i = 0; i < argc; i++)
		set_param(&p, argv[i]);
	mc_knapsack_options_init(&opt);
	opt.time_limit = 0.2; /* a train's plan, not an OR-Library record attempt */
	if (mc_trainsim_run(&planner, &p, MC_TRAINSIM_PLANNER, &opt))
		die("planner simulation");
	if (mc_trainsim_run(&greedy, &p, MC_TRAINSIM_SPRINT_GREEDY, NULL))
		die("greedy simulation");
	mc_trainsim_train_budget(&p, budget);
	json_object_object_add(o, "budget_usd", json_object_new_double(budget[0]));
	json_object_object_add(o, "budget_ci", json_object_new_double(budget[1]));
	json_object_object_add(o, "planner", stats_json(&planner));
	json_object_object_add(o, "greedy", stats_json(&greedy));
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "portfolio"))
		return portfolio(strtoul(argv[2], NULL, 10), strtoull(argv[3], NULL, 10),
				 argc >= 5 ? strtoul(argv[4], NULL, 10) : 5);
	if (argc >= 2 && !strcmp(argv[1], "trains"))
		return trains(argc - 2, argv + 2);
	fprintf(stderr, "usage: knapsack_driver portfolio N SEED [RUNS] | trains [KEY=VALUE ...]\n");
	return 2;
}
