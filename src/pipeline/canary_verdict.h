/*
 * The shadow canary measured and judged: run it (pipeline/canary.h), judge the
 * samples it collected with the base's canary.* settings (model/canary.h), and
 * record what ran and the judgement as signed evidence about the head commit
 * when a signing key is configured. `maestro canary run`, `maestro review
 * --canary` and the daemon's `/maestro canary` all go through mc_canary_measure,
 * so they judge the same way.
 *
 * A failed command decides by its side: the head failing (its build broke,
 * its benchmark crashed or timed out) is the change's fault and a failing
 * verdict with that reason; the base failing means nothing can be compared:
 * no judgement (judged = 0), and the caller reports the environment's problem.
 */
#ifndef MC_PIPELINE_CANARY_VERDICT_H
#define MC_PIPELINE_CANARY_VERDICT_H
#include <json-c/json.h>

#include "model/canary.h"
#include "model/cf.h"
#include "pipeline/canary.h"

typedef struct mc_canary_measure_options {
	mc_canary_options run;        /* what to run (repository, range, rounds, output) */
	int no_record;                /* do not record the evidence */
	const char *subject_name;     /* the evidence subject's name; NULL: the range */
} mc_canary_measure_options;

typedef struct mc_canary_measurement {
	mc_canary_result result;
	mc_canary_judgement judgement;
	int judged;                   /* judgement holds a verdict */
	int recorded;                 /* the evidence was appended to refs/notes/maestro */
	char *evidence_note;          /* what happened to the evidence, for people */
	mc_cf_deltas deltas;          /* for the simulation (mc_canary_result_deltas); review only */
} mc_canary_measurement;

/*
 * Judge a finished run: its samples under r->cfg.canary, or a failing verdict
 * when a head command failed. MC_EENV when a base command failed (out untouched);
 * errors of the judge otherwise (a sample it refuses).
 */
int mc_canary_judge_result(mc_canary_judgement *out, const mc_canary_result *r);

/* The evidence predicate (schemas/evidence-canary.schema.json): the record of
 * what ran and, when there is one, the judgement. json_object_put it. */
struct json_object *mc_canary_evidence(const mc_canary_result *r, const mc_canary_judgement *j);

/*
 * What the canary measured as the counterfactual engine's deltas: the median of
 * each metric mc_simulate_deltas_from_canary knows (latency_ms, p50_ms, p95_ms,
 * p99_ms, error_rate, cost_usd) over base's and over head's samples, for every
 * route ("*"). Only a run that finished (no failed command) and a metric measured
 * on both sides give deltas; *used counts them. Errors of
 * mc_simulate_deltas_from_canary (a latency median of 0 on base, say).
 */
int mc_canary_result_deltas(mc_cf_deltas *out, size_t *used, const mc_canary_result *r);

/*
 * Run, judge, record. 0 when the canary ran (judged says whether it has a
 * verdict: not when the base failed); errors of mc_canary_run, of the judge,
 * and of a configured signing key that cannot sign. Free with
 * mc_canary_measurement_free either way.
 */
int mc_canary_measure(mc_canary_measurement *out, const mc_canary_measure_options *opt);
void mc_canary_measurement_free(mc_canary_measurement *m);

/*
 * mc_canary_measure for a review (maestro review --canary, the daemon's /maestro
 * canary): a canary that is not configured, cannot run or cannot compare is not
 * the change's fault, so the review goes on without a judgement (out->judged 0)
 * rather than failing, and the returned note (malloc'd) says why; with a
 * judgement it states the verdict. A judged run also fills out->deltas
 * (mc_canary_result_deltas) for the review's simulation; deltas it cannot make
 * are left empty and the note says why. Free out with mc_canary_measurement_free.
 */
char *mc_canary_measure_for_review(mc_canary_measurement *out, const mc_canary_measure_options *opt);

#endif
