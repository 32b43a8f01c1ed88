/*
 * bench/negotiate's driver: simulated agents bid for tasks through the real
 * mediator (model/negotiate.c) and are held to their contracts by the real SLA
 * enforcement, over ROUNDS rounds with a fixed seed. Four agents, each biased and
 * noisy in its own way (the optimist promises 40 % less cost and time and 0.12
 * more eval than it delivers; the sandbagger promises 40 % more cost and time and
 * 0.05 less eval; the honest one is unbiased with little noise; the flaky one is
 * unbiased with a lot of noise). Concessions change promises, not outcomes.
 *
 * Runs the same seeded world twice: with penalties and reputation (corrected
 * predictions, downshifts), and without (raw predictions, no record). Then times
 * the mediator on 1,000 offers (100 tasks x 10 agents) beside a naive mediator that
 * picks each task's cheapest offer, in the same process.
 *
 * Prints key=value lines for bench/negotiate.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/negotiate.h"
#include "util/time.h"

#define NAGENTS 4
#define TASKS_PER_ROUND 5
#define LAST_ROUNDS 50

typedef struct sim_agent {
	const char *name;
	double cost_bias, eval_bias;  /* promise = truth x cost_bias (cost, minutes); truth + eval_bias */
	double noise;                 /* log-normal sd of actual around the truth */
	double eval_noise;
	double skill;                 /* truth = task base x skill */
	enum mc_strategy strategy;
} sim_agent;

static const sim_agent agents[NAGENTS] = {
	{ "optimist", 0.6, 0.12, 0.05, 0.02, 0.95, MC_STRATEGY_CONCEDER },
	{ "sandbagger", 1.4, -0.05, 0.05, 0.02, 0.95, MC_STRATEGY_BOULWARE },
	{ "honest", 1.0, 0.0, 0.05, 0.02, 1.0, MC_STRATEGY_LINEAR },
	{ "flaky", 1.0, 0.0, 0.45, 0.12, 0.85, MC_STRATEGY_LINEAR },
};

static uint64_t rng_state;

static double uniform(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (double)((rng_state * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

static double normal(void)
{
	double u = uniform(), v = uniform();
	return sqrt(-2 * log(u > 1e-300 ? u : 1e-300)) * cos(2 * M_PI * v);
}

static double clamp01(double x)
{
	return x < 0 ? 0 : x > 1 ? 1 : x;
}

typedef struct truth {
	double cost, minutes, eval;
} truth;

typedef struct stats {
	long conflicts, conflicts_resolved, groups, escalations;
	long contracts_last, misses_last;
	double *errors;               /* relative error of corrected cost predictions, last rounds */
	double *raw_errors;
	size_t nerrors;
} stats;

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof *v, cmp_double);
	return n ? (n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2) : NAN;
}

static void setup_policy(mc_negotiate_policy *p)
{
	size_t a;
	mc_negotiate_policy_defaults(p);
	p->nagents = NAGENTS;
	p->agents = calloc(NAGENTS, sizeof *p->agents);
	for (a = 0; a < NAGENTS; a++) {
		snprintf(p->agents[a].id, sizeof p->agents[a].id, "%s", agents[a].name);
		p->agents[a].strategy = agents[a].strategy;
		p->agents[a].concession = 0.3;
	}
}

static int agent_index(const char *name)
{
	int a;
	for (a = 0; a < NAGENTS; a++)
		if (!strcmp(agents[a].name, name))
			return a;
	return -1;
}

/* One world: rounds of tasks; with_record applies reputations and enforcement. */
static void simulate(stats *st, uint64_t seed, int rounds, int with_record)
{
	mc_negotiate_policy p;
	mc_reputation reps[NAGENTS];
	mc_offer offers[TASKS_PER_ROUND * NAGENTS];
	truth truths[TASKS_PER_ROUND * NAGENTS];
	mc_task tasks[TASKS_PER_ROUND];
	char task_ids[TASKS_PER_ROUND][32];
	int round, t, a;
	size_t n, i, j;

	rng_state = seed;
	setup_policy(&p);
	for (a = 0; a < NAGENTS; a++)
		mc_reputation_init(&reps[a], agents[a].name);
	memset(st, 0, sizeof *st);
	st->errors = calloc((size_t)rounds * TASKS_PER_ROUND, sizeof *st->errors);
	st->raw_errors = calloc((size_t)rounds * TASKS_PER_ROUND, sizeof *st->raw_errors);
	for (round = 0; round < rounds; round++) {
		mc_negotiation_input in;
		mc_negotiation_result r;
		n = 0;
		for (t = 0; t < TASKS_PER_ROUND; t++) {
			double base_cost = 1 + 9 * uniform(), base_minutes = 10 + 110 * uniform();
			double base_eval = 0.68 + 0.3 * uniform(), risk = 0.05 + 0.5 * uniform();
			snprintf(task_ids[t], sizeof task_ids[t], "r%d-t%d", round, t);
			tasks[t].id = task_ids[t];
			tasks[t].value_usd = -1;
			for (a = 0; a < NAGENTS; a++) {
				const sim_agent *ag = &agents[a];
				truth *tr = &truths[n];
				mc_offer *o = &offers[n];
				if (uniform() < 0.35) /* not every agent bids for every task */
					continue;
				tr->cost = base_cost * ag->skill;
				tr->minutes = base_minutes * ag->skill;
				tr->eval = clamp01(base_eval + 0.04 * (1 - ag->skill) * 0);
				memset(o, 0, sizeof *o);
				snprintf(o->offer_id, sizeof o->offer_id, "%.31s-%.31s", task_ids[t], ag->name);
				snprintf(o->agent_id, sizeof o->agent_id, "%s", ag->name);
				snprintf(o->task_id, sizeof o->task_id, "%s", task_ids[t]);
				snprintf(o->arm, sizeof o->arm, "default");
				o->pred_cost_usd = tr->cost * ag->cost_bias;
				o->pred_minutes = tr->minutes * ag->cost_bias;
				o->pred_eval = clamp01(tr->eval + ag->eval_bias);
				o->risk = clamp01(risk + 0.05 * normal());
				o->expires_at = 1000000;
				n++;
			}
		}
		memset(&in, 0, sizeof in);
		in.policy = &p;
		in.tasks = tasks, in.ntasks = TASKS_PER_ROUND;
		in.offers = offers, in.noffers = n;
		if (with_record)
			in.reps = reps, in.nreps = NAGENTS;
		in.now = 0;
		mc_negotiate_run(&r, &in);
		for (i = 0; i < r.nawards; i++) {
			const mc_award *aw = &r.awards[i];
			st->groups++;
			if (aw->conflict) {
				st->conflicts++;
				st->conflicts_resolved += aw->accepted;
			}
			if (!aw->accepted) {
				st->escalations++;
				continue;
			}
			a = agent_index(aw->offer.agent_id);
			/* the truth of the original offer (counter-offers keep agent and task) */
			for (j = 0; j < n && (strcmp(offers[j].task_id, aw->offer.task_id) ||
					      strcmp(offers[j].agent_id, aw->offer.agent_id)); j++)
				;
			{
				const truth *tr = &truths[j];
				double usd = tr->cost * exp(agents[a].noise * normal());
				double minutes = tr->minutes * exp(agents[a].noise * normal());
				double eval = clamp01(tr->eval + agents[a].eval_noise * normal());
				mc_contract c;
				mc_sla_outcome out;
				mc_reputation scratch;
				memset(&c, 0, sizeof c);
				c.offer = aw->offer;
				c.offer.signature = NULL;
				c.tol_cost = aw->tol_cost, c.tol_minutes = aw->tol_minutes, c.tol_eval = aw->tol_eval;
				if (with_record) {
					mc_negotiate_enforce(&out, &reps[a], &c, usd, minutes, eval, &p);
				} else {
					mc_reputation_init(&scratch, agents[a].name);
					mc_negotiate_enforce(&out, &scratch, &c, usd, minutes, eval, &p);
				}
				if (round >= rounds - LAST_ROUNDS) {
					st->contracts_last++;
					st->misses_last += out.nmisses > 0;
					st->errors[st->nerrors] = fabs(aw->cost_usd - usd) / usd;
					st->raw_errors[st->nerrors++] = fabs(aw->offer.pred_cost_usd - usd) / usd;
				}
			}
		}
		mc_negotiation_result_free(&r);
	}
	mc_negotiate_policy_free(&p);
}

/* The naive reference: per task, the cheapest offer, no policy, no record. */
static size_t naive_pick(const mc_offer *offers, size_t n, const mc_task *tasks, size_t ntasks,
			 size_t *best)
{
	size_t i, t, picked = 0;
	for (t = 0; t < ntasks; t++)
		best[t] = (size_t)-1;
	for (i = 0; i < n; i++)
		for (t = 0; t < ntasks; t++)
			if (!strcmp(offers[i].task_id, tasks[t].id)) {
				if (best[t] == (size_t)-1 ||
				    offers[i].pred_cost_usd < offers[best[t]].pred_cost_usd)
					best[t] = i;
				break;
			}
	for (t = 0; t < ntasks; t++)
		picked += best[t] != (size_t)-1;
	return picked;
}

static void time_mediators(uint64_t seed, int reps_count, double *mediator_s, double *naive_s)
{
	enum { NT = 100, PER = 10 };
	static mc_offer offers[NT * PER];
	static mc_task tasks[NT];
	static char ids[NT][16];
	static size_t best[NT];
	mc_negotiate_policy p;
	mc_reputation reps[NAGENTS];
	double *m = calloc((size_t)reps_count, sizeof *m), *nv = calloc((size_t)reps_count, sizeof *nv);
	size_t i, sink = 0;
	int k, a;

	rng_state = seed;
	setup_policy(&p);
	for (a = 0; a < NAGENTS; a++) {
		mc_reputation_init(&reps[a], agents[a].name);
		reps[a].contracts = 10, reps[a].misses = a;
		reps[a].cost.n = reps[a].minutes.n = reps[a].eval.n = 10;
		reps[a].cost.mean = log(1 / agents[a].cost_bias);
		reps[a].cost.var = agents[a].noise * agents[a].noise;
	}
	for (i = 0; i < NT; i++) {
		snprintf(ids[i], sizeof ids[i], "t%zu", i);
		tasks[i].id = ids[i];
		tasks[i].value_usd = -1;
	}
	for (i = 0; i < NT * PER; i++) {
		mc_offer *o = &offers[i];
		memset(o, 0, sizeof *o);
		snprintf(o->offer_id, sizeof o->offer_id, "o%zu", i);
		snprintf(o->agent_id, sizeof o->agent_id, "%s", agents[i % NAGENTS].name);
		snprintf(o->task_id, sizeof o->task_id, "t%zu", i / PER);
		o->pred_cost_usd = 1 + 9 * uniform();
		o->pred_minutes = 10 + 100 * uniform();
		o->pred_eval = 0.5 + 0.5 * uniform();
		o->risk = 0.6 * uniform();
		o->expires_at = 1000;
	}
	for (k = 0; k < reps_count; k++) {
		mc_negotiation_input in;
		mc_negotiation_result r;
		double t0;
		memset(&in, 0, sizeof in);
		in.policy = &p, in.tasks = tasks, in.ntasks = NT, in.offers = offers, in.noffers = NT * PER;
		in.reps = reps, in.nreps = NAGENTS;
		t0 = mc_time_monotonic();
		mc_negotiate_run(&r, &in);
		m[k] = mc_time_monotonic() - t0;
		sink += r.nawards;
		mc_negotiation_result_free(&r);
		t0 = mc_time_monotonic();
		sink += naive_pick(offers, NT * PER, tasks, NT, best);
		nv[k] = mc_time_monotonic() - t0;
	}
	*mediator_s = median(m, (size_t)reps_count);
	*naive_s = median(nv, (size_t)reps_count);
	if (sink == 0)
		fprintf(stderr, "nothing awarded\n");
	free(m);
	free(nv);
	mc_negotiate_policy_free(&p);
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 200;
	uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 10) : 20260101;
	int timing_runs = argc > 3 ? atoi(argv[3]) : 21;
	stats with, without;
	double med_s, naive_s;

	if (rounds <= LAST_ROUNDS || timing_runs <= 0) {
		fprintf(stderr, "usage: negotiate_driver [rounds > %d] [seed] [timing runs]\n", LAST_ROUNDS);
		return 2;
	}
	simulate(&with, seed, rounds, 1);
	simulate(&without, seed, rounds, 0);
	time_mediators(seed + 1, timing_runs, &med_s, &naive_s);
	printf("rounds=%d seed=%llu tasks=%ld\n", rounds, (unsigned long long)seed, with.groups);
	printf("conflicts=%ld resolved=%ld escalations=%ld\n", with.conflicts, with.conflicts_resolved,
	       with.escalations);
	printf("with_contracts=%ld with_misses=%ld without_contracts=%ld without_misses=%ld\n",
	       with.contracts_last, with.misses_last, without.contracts_last, without.misses_last);
	printf("forecast_p50_corrected=%.4f forecast_p50_raw=%.4f forecast_p50_without=%.4f\n",
	       median(with.errors, with.nerrors), median(with.raw_errors, with.nerrors),
	       median(without.errors, without.nerrors));
	printf("mediator_ms=%.4f naive_ms=%.4f\n", med_s * 1e3, naive_s * 1e3);
	free(with.errors);
	free(with.raw_errors);
	free(without.errors);
	free(without.raw_errors);
	return 0;
}
