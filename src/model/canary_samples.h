/*
 * The canary's samples: JSON Lines, each line one object of metric name to
 * number ({"latency_ms": 12.5, "errors": 0}), as `canary.run` prints them and
 * `maestro canary judge` reads them. Pure: the caller reads the file (bounded
 * by MC_CANARY_SAMPLES_MAX_BYTES) and hands over the text. Every line is
 * untrusted: bounded length, count and names, and an error names origin:line
 * and the field.
 */
#ifndef MC_MODEL_CANARY_SAMPLES_H
#define MC_MODEL_CANARY_SAMPLES_H
#include <stddef.h>

#include "model/canary.h"

#define MC_CANARY_SAMPLES_MAX_BYTES (32u * 1024 * 1024) /* one file */
#define MC_CANARY_LINE_MAX 65536                       /* one line, in bytes */
#define MC_CANARY_MAX_LINES 100000                     /* samples in one file */

typedef struct mc_canary_metric_samples {
	char *name;
	double *values;
	size_t n, alloc;
} mc_canary_metric_samples;

typedef struct mc_canary_samples {
	mc_canary_metric_samples *metrics; /* in order of first appearance */
	size_t nmetrics, alloc;
	size_t lines;                      /* non-blank lines read */
} mc_canary_samples;

/*
 * Parse text (len bytes) into out. Blank lines are skipped; a null value means
 * the metric was not measured in that sample. Names follow the config's rule
 * (letters, digits, _ . : / -, at most MC_CANARY_NAME_MAX); values are finite
 * numbers of magnitude at most 1e100; at most MC_CANARY_MAX_METRICS names.
 * MC_EINVAL or MC_ELIMIT with "origin:line: ..." otherwise; out is then empty.
 */
int mc_canary_samples_parse(mc_canary_samples *out, const char *text, size_t len, const char *origin);
void mc_canary_samples_free(mc_canary_samples *s);
/* The values of one metric, or NULL. */
const mc_canary_metric_samples *mc_canary_samples_find(const mc_canary_samples *s, const char *name);

/*
 * The series to judge: one per name seen in base or head, pointing into both
 * (not copied; valid while they live). *out is malloc'ed (free() it).
 */
size_t mc_canary_samples_pair(mc_canary_series **out, const mc_canary_samples *base,
			      const mc_canary_samples *head);

#endif
