/*
 * The shadow canary measured and judged (canary_verdict.h): the runner's
 * samples are handed to the judge in the same JSON Lines form `maestro canary
 * judge` reads from files, so judging a run and judging its BASE.jsonl and
 * HEAD.jsonl afterwards give the same verdict.
 */
#include "pipeline/canary_verdict.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/git/repo.h"
#include "model/canary_samples.h"
#include "model/evidence.h"
#include "pipeline/evidence.h"
#include "pipeline/simulate.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/json.h"
#include "util/strbuf.h"

/* One side's sample objects as JSON Lines text, parsed by the judge's reader. */
static int samples_of(mc_canary_samples *out, struct json_object *array, const char *origin)
{
	mc_strbuf text = MC_STRBUF_INIT;
	size_t i, n = json_object_array_length(array);
	int rc;
	for (i = 0; i < n; i++) {
		mc_strbuf_printf(&text, "%s\n", mc_json_dump(json_object_array_get_idx(array, i), 0));
	}
	rc = mc_canary_samples_parse(out, mc_strbuf_str(&text), text.len, origin);
	mc_strbuf_release(&text);
	return rc;
}

/* The head broke its own canary: a failing verdict with no metrics, saying how. */
static void head_failed(mc_canary_judgement *out, const mc_canary_result *r)
{
	const mc_canary_step *f = r->failed;
	memset(out, 0, sizeof *out);
	out->verdict = MC_CANARY_VERDICT_FAIL;
	out->score = 0;
	out->pass_score = r->cfg.canary.pass_score;
	out->marginal_score = r->cfg.canary.marginal_score;
	out->confidence = r->cfg.canary.confidence;
	if (f->round)
		snprintf(out->reason, sizeof out->reason,
			 "the run command failed on head in round %d: %s", f->round, f->status);
	else
		snprintf(out->reason, sizeof out->reason, "the build failed on head: %s", f->status);
}

int mc_canary_judge_result(mc_canary_judgement *out, const mc_canary_result *r)
{
	mc_canary_samples base = { 0 }, head = { 0 };
	mc_canary_series *series = NULL;
	size_t n;
	int rc;

	if (r->failed && r->failed->side == MC_CANARY_BASE)
		return mc_error_set(MC_EENV, "the canary cannot compare: the %s failed on base: %s",
				    r->failed->round ? "run command" : "build", r->failed->status);
	if (r->failed) {
		head_failed(out, r);
		return 0;
	}
	if ((rc = samples_of(&base, r->samples[MC_CANARY_BASE], "base samples")) ||
	    (rc = samples_of(&head, r->samples[MC_CANARY_HEAD], "head samples"))) {
		mc_canary_samples_free(&base);
		return rc;
	}
	n = mc_canary_samples_pair(&series, &base, &head);
	rc = mc_canary_judge(out, &r->cfg.canary, series, n);
	free(series);
	mc_canary_samples_free(&base);
	mc_canary_samples_free(&head);
	return rc;
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The median of one metric's values on one side (NaN when it has none). */
static double median_of(const mc_canary_samples *s, const char *name)
{
	const mc_canary_metric_samples *m = mc_canary_samples_find(s, name);
	double *v, med;
	if (!m || !m->n)
		return NAN;
	v = mc_xmalloc(m->n * sizeof *v);
	memcpy(v, m->values, m->n * sizeof *v);
	qsort(v, m->n, sizeof *v, compare_doubles);
	med = m->n % 2 ? v[m->n / 2] : (v[m->n / 2 - 1] + v[m->n / 2]) / 2;
	free(v);
	return med;
}

int mc_canary_result_deltas(mc_cf_deltas *out, size_t *used, const mc_canary_result *r)
{
	static const char *const names[] = { "latency_ms", "p50_ms", "p95_ms", "p99_ms",
					     "error_rate", "cost_usd" };
	mc_simulate_canary_metric m[sizeof names / sizeof names[0]];
	mc_canary_samples base = { 0 }, head = { 0 };
	size_t i, n = 0;
	int rc;

	if (used)
		*used = 0;
	if (r->failed || !r->samples[MC_CANARY_BASE] || !r->samples[MC_CANARY_HEAD])
		return 0;
	if ((rc = samples_of(&base, r->samples[MC_CANARY_BASE], "base samples")) ||
	    (rc = samples_of(&head, r->samples[MC_CANARY_HEAD], "head samples"))) {
		mc_canary_samples_free(&base);
		return rc;
	}
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		double b = median_of(&base, names[i]), h = median_of(&head, names[i]);
		if (isnan(b) || isnan(h))
			continue;
		m[n++] = (mc_simulate_canary_metric){ .name = names[i], .base = b, .head = h };
	}
	rc = mc_simulate_deltas_from_canary(out, used, m, n);
	mc_canary_samples_free(&base);
	mc_canary_samples_free(&head);
	return rc;
}

struct json_object *mc_canary_evidence(const mc_canary_result *r, const mc_canary_judgement *j)
{
	struct json_object *p = json_object_new_object();
	json_object_object_add(p, "record", mc_canary_record(r));
	if (j)
		json_object_object_add(p, "judgement", mc_canary_judgement_to_json(j));
	return p;
}

static int record(mc_canary_measurement *m, const mc_canary_measure_options *opt)
{
	struct json_object *predicate;
	mc_repo *repo = NULL;
	int rc;

	if (opt->no_record) {
		m->evidence_note = mc_xstrdup("canary evidence not recorded (--no-record)");
		return 0;
	}
	if ((rc = mc_repo_open(&repo, opt->run.repo_path ? opt->run.repo_path : ".")))
		return rc;
	predicate = mc_canary_evidence(&m->result, m->judged ? &m->judgement : NULL);
	rc = mc_evidence_record_as_configured(&m->evidence_note, &m->recorded, repo, &m->result.cfg,
					      MC_EV_CANARY,
					      opt->subject_name ? opt->subject_name : m->result.range.spec,
					      m->result.range.head, predicate, "canary");
	json_object_put(predicate);
	mc_repo_free(repo);
	return rc;
}

int mc_canary_measure(mc_canary_measurement *out, const mc_canary_measure_options *opt)
{
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = mc_canary_run(&out->result, &opt->run)))
		return rc;
	if (!(out->result.failed && out->result.failed->side == MC_CANARY_BASE)) {
		if ((rc = mc_canary_judge_result(&out->judgement, &out->result)))
			return rc;
		out->judged = 1;
	}
	return record(out, opt);
}

char *mc_canary_measure_for_review(mc_canary_measurement *out, const mc_canary_measure_options *opt)
{
	mc_strbuf note = MC_STRBUF_INIT;
	int rc = mc_canary_measure(out, opt);

	if (rc == MC_ENOTFOUND)
		mc_strbuf_puts(&note, "no shadow canary is configured (canary.run in "
				      ".maestro/config.json on the base branch; docs/CONFIG.md)");
	else if (rc)
		mc_strbuf_printf(&note, "the shadow canary could not run: %s", mc_error_message());
	else if (!out->judged)
		mc_strbuf_printf(&note, "the shadow canary could not compare: the %s failed on base: %s",
				 out->result.failed->round ? "run command" : "build",
				 out->result.failed->status);
	else
		mc_strbuf_printf(&note, "shadow canary: %s, score %.0f: %s",
				 mc_canary_verdict_name(out->judgement.verdict), out->judgement.score,
				 out->judgement.reason);
	if (!rc && out->judged && mc_canary_result_deltas(&out->deltas, NULL, &out->result)) {
		mc_strbuf_printf(&note, "; its measurement gives no simulation deltas: %s",
				 mc_error_message());
		mc_cf_deltas_free(&out->deltas);
		memset(&out->deltas, 0, sizeof out->deltas);
		mc_error_clear();
	}
	if (rc && out->judged) {
		mc_canary_judgement_free(&out->judgement);
		out->judged = 0;
	}
	return mc_strbuf_detach(&note);
}

void mc_canary_measurement_free(mc_canary_measurement *m)
{
	if (!m)
		return;
	mc_canary_result_free(&m->result);
	if (m->judged)
		mc_canary_judgement_free(&m->judgement);
	free(m->evidence_note);
	mc_cf_deltas_free(&m->deltas);
	memset(m, 0, sizeof *m);
}
