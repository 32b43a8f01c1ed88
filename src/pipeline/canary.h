/*
 * The shadow canary's runner: measure a change by running its base and its
 * head side by side.
 *
 * For a range BASE..HEAD (resolved as review does: from the merge base), the
 * canary configuration is read from the BASE commit (pipeline/config_at.h),
 * so a change cannot choose the commands that judge it. Both commits are
 * checked out into temporary directories (adapters/git/worktree.h), the
 * configured build command runs once in each, then the run command runs
 * interleaved base, head, base, head for N rounds so that drift of the
 * machine (thermal, caches, neighbours) falls on both sides alike. Every
 * command runs in the sandbox (adapters/proc/sandbox.h) with the configured
 * limits.
 *
 * Samples: every line of the run command's stdout that is a JSON object gives
 * one sample of its numeric members (metric name -> number); each run adds
 * one more sample of what Maestro measured itself: maestro_wall_ms,
 * maestro_cpu_ms and maestro_peak_rss_kb. They are written to BASE.jsonl and
 * HEAD.jsonl (one sample object a line), the input of `maestro canary judge`,
 * and kept in memory (result.samples) for the judge: judging is the caller's
 * next step on those two arrays, not done here. What ran (commands, rounds,
 * limits, each step's status and measurements) is a JSON record
 * (mc_canary_record) for the Decision Card and the evidence.
 *
 * Trust: this runs the code of both commits. `maestro canary run` in a
 * terminal is trusted (the person runs their own clone); the daemon is to run
 * a pull request's code only for authors with write permission or after a
 * maintainer's `/maestro canary`.
 */
#ifndef MC_PIPELINE_CANARY_H
#define MC_PIPELINE_CANARY_H
#include <json-c/json.h>
#include <stddef.h>

#include "adapters/git/range.h"
#include "model/config.h"
#include "pipeline/config_at.h"

/* Metrics Maestro adds to each run's samples. */
#define MC_CANARY_WALL_MS "maestro_wall_ms"
#define MC_CANARY_CPU_MS "maestro_cpu_ms"
#define MC_CANARY_PEAK_RSS_KB "maestro_peak_rss_kb"
/* A metric name: 1 to MC_CANARY_NAME_MAX of [A-Za-z0-9_.:/-]; at most
 * MC_CANARY_MAX_METRICS metrics a line (model/config.h: the judge's own bounds). */

typedef struct mc_canary_options {
	const char *repo_path;   /* NULL: the current directory */
	const char *range;       /* NULL: the default branch...HEAD, as review */
	int rounds;              /* 0: canary.rounds of the base's configuration */
	const char *out_dir;     /* NULL: <common git dir>/maestro/canary/<base12>-<head12> */
	int allow_no_isolation;  /* run without a network namespace when none can be made */
} mc_canary_options;

enum mc_canary_side { MC_CANARY_BASE = 0, MC_CANARY_HEAD = 1 };

/* One command that ran. */
typedef struct mc_canary_step {
	enum mc_canary_side side;
	int round;               /* 1.. for runs; 0 for the build */
	int exited, exit_code, signal, timed_out;
	double wall_s, cpu_s;
	long peak_rss_kb;
	size_t out_dropped, err_dropped; /* output bytes beyond the limit, discarded */
	size_t samples;          /* samples it gave (its lines plus Maestro's own) */
	size_t ignored_lines;    /* stdout lines that were not a JSON object of metrics */
	char *status;            /* "exit 0", "killed by SIGKILL after the 600 s wall-clock timeout" */
	char *stderr_tail;       /* the end of its stderr (at most 2 KiB) */
} mc_canary_step;

typedef struct mc_canary_result {
	mc_range range;
	mc_config cfg;                 /* the base's configuration */
	mc_config_origin config;
	int rounds;
	int isolated;                  /* every command ran without network */
	mc_canary_step *steps;
	size_t nsteps;
	const mc_canary_step *failed;  /* the command that failed (the canary stopped), or NULL */
	struct json_object *samples[2]; /* arrays of sample objects, base and head */
	char *out_dir, *base_path, *head_path, *record_path;
} mc_canary_result;

/*
 * Run the canary. 0 when it ran to the end or stopped at a failed command
 * (result.failed says which; the samples and record so far are written). Errors:
 * those of the range and the configuration; MC_ENOTFOUND when canary.run is empty
 * ("no canary configured"); MC_EENV when the sandbox cannot be made; MC_EIO when
 * the output directory cannot be written. Free with mc_canary_result_free either way.
 */
int mc_canary_run(mc_canary_result *out, const mc_canary_options *opt);
void mc_canary_result_free(mc_canary_result *r);

/* What ran, as data: range, configuration source, commands, rounds, limits, isolation,
 * each step, the sample files and counts, and the failure if any. json_object_put it. */
struct json_object *mc_canary_record(const mc_canary_result *r);

/*
 * Add the samples of one run's stdout to samples (a JSON array): each line that is a
 * JSON object gives one sample of its members whose names are valid metric names and
 * whose values are numbers. Lines that give nothing are counted in *ignored. A last
 * line cut by the output limit (truncated) is ignored. Returns the samples added.
 */
size_t mc_canary_parse_samples(struct json_object *samples, const char *out, size_t len,
			       int truncated, size_t *ignored);

#endif
