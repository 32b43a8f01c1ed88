/*
 * libFuzzer target: arbitrary bytes as a canary samples file (JSON Lines of
 * metric name to number). Reading must never crash, leak or trip a sanitizer;
 * a refusal is MC_EINVAL or MC_ELIMIT with a message naming "fuzz:<line>"; an
 * accepted file holds only finite values under valid names, and is judged
 * against itself (everything passes) and against a copy shifted by +25 %,
 * which runs the whole judge (ranks, exact and normal tests, order
 * statistics, scoring) on the fuzzer's numbers.
 * Built and run by tests/fuzz/run (not part of CTest).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/canary.h"
#include "model/canary_samples.h"
#include "util/error.h"
#include "util/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void judge_pair(const mc_canary_samples *base, const mc_canary_samples *head, int all_pass)
{
	mc_config cfg;
	mc_canary_series *series;
	mc_canary_judgement j;
	struct json_object *doc;
	size_t n, i;

	mc_config_defaults(&cfg);
	cfg.canary.min_samples = 1;
	n = mc_canary_samples_pair(&series, base, head);
	if (mc_canary_judge(&j, &cfg.canary, series, n) != 0)
		abort(); /* every value the reader accepts, the judge accepts */
	if (!(j.score >= 0 && j.score <= 100))
		abort();
	for (i = 0; i < j.nmetrics; i++) {
		const mc_canary_metric_result *m = &j.metrics[i];
		if (all_pass && m->cls != MC_CANARY_PASS)
			abort(); /* a sample set judged against itself is identical */
		if (m->tested && !(m->mw.ci_low <= m->mw.estimate && m->mw.estimate <= m->mw.ci_high))
			abort(); /* the estimate lies inside its interval */
		if (m->tested && !(m->mw.p >= 0 && m->mw.p <= 1))
			abort();
	}
	doc = mc_canary_judgement_to_json(&j);
	(void)mc_json_dump(doc, 0);
	json_object_put(doc);
	mc_canary_judgement_free(&j);
	free(series);
	mc_config_free(&cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mc_canary_samples s, shifted;
	size_t i, k;
	int rc = mc_canary_samples_parse(&s, (const char *)data, size, "fuzz");
	if (rc != 0) {
		if ((rc != MC_EINVAL && rc != MC_ELIMIT) || strncmp(mc_error_message(), "fuzz", 4))
			abort();
		return 0;
	}
	for (i = 0; i < s.nmetrics; i++)
		for (k = 0; k < s.metrics[i].n; k++)
			if (!isfinite(s.metrics[i].values[k]) || fabs(s.metrics[i].values[k]) > 1e100)
				abort();
	judge_pair(&s, &s, 1);
	/* the same samples, 25 % larger where that stays within 1e100 (a copy sharing the names) */
	shifted = s;
	shifted.metrics = calloc(s.nmetrics + 1, sizeof *shifted.metrics);
	for (i = 0; i < s.nmetrics; i++) {
		shifted.metrics[i] = s.metrics[i];
		shifted.metrics[i].values = malloc((s.metrics[i].n + 1) * sizeof(double));
		for (k = 0; k < s.metrics[i].n; k++)
			shifted.metrics[i].values[k] = s.metrics[i].values[k] *
						       (fabs(s.metrics[i].values[k]) <= 8e99 ? 1.25 : 1);
	}
	judge_pair(&s, &shifted, 0);
	for (i = 0; i < s.nmetrics; i++)
		free(shifted.metrics[i].values);
	free(shifted.metrics);
	mc_canary_samples_free(&s);
	return 0;
}
