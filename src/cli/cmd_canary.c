/*
 * `maestro canary`: the shadow canary. `canary run` checks out a change's base
 * and head, builds and runs the configured commands in the sandbox,
 * interleaved over N rounds, and writes the samples (pipeline/canary.h).
 * `canary judge BASE.jsonl HEAD.jsonl` judges recorded samples of a change's
 * base and head (model/canary_samples.c reads them, model/canary.c judges
 * them) without running anything, so the judge can be checked on any data.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "model/canary.h"
#include "model/canary_samples.h"
#include "model/config.h"
#include "pipeline/canary.h"
#include "pipeline/canary_verdict.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/json.h"

/* ---- canary run ---- */

static void print_step(const mc_canary_step *s)
{
	static const char *const sides[] = { "base", "head" };
	if (s->round)
		printf("  round %-3d %s  %-10s %8.3f s  %7.1f MiB peak  %zu samples", s->round,
		       sides[s->side], s->status, s->wall_s, s->peak_rss_kb / 1024.0, s->samples);
	else
		printf("  build     %s  %-10s %8.3f s  %7.1f MiB peak", sides[s->side], s->status,
		       s->wall_s, s->peak_rss_kb / 1024.0);
	if (s->ignored_lines)
		printf(", %zu lines ignored", s->ignored_lines);
	if (s->out_dropped || s->err_dropped)
		printf(", output over the limit (%zu + %zu bytes dropped)", s->out_dropped,
		       s->err_dropped);
	putchar('\n');
}

static void print_run_text(const mc_canary_result *r)
{
	size_t i;
	printf("canary %.12s..%.12s: %d round%s, config %s, network %s\n", r->range.base,
	       r->range.head, r->rounds, r->rounds == 1 ? "" : "s", r->config.source,
	       r->isolated ? "isolated" : "NOT isolated");
	for (i = 0; i < r->nsteps; i++)
		print_step(&r->steps[i]);
	printf("samples: %s (%zu), %s (%zu)\n", r->base_path,
	       json_object_array_length(r->samples[MC_CANARY_BASE]), r->head_path,
	       json_object_array_length(r->samples[MC_CANARY_HEAD]));
	printf("record:  %s\n", r->record_path);
}

/* A failed command: its status and the end of its stderr, on stderr. */
static void report_failure(const mc_canary_result *r)
{
	const mc_canary_step *f = r->failed;
	const char *side = f->side == MC_CANARY_BASE ? "base" : "head";
	if (f->round)
		fprintf(stderr, "maestro canary run: the run command failed on %s in round %d: %s\n",
			side, f->round, f->status);
	else
		fprintf(stderr, "maestro canary run: the build failed on %s: %s\n", side, f->status);
	if (f->stderr_tail[0])
		fprintf(stderr, "--- end of its stderr ---\n%s%s", f->stderr_tail,
			f->stderr_tail[strlen(f->stderr_tail) - 1] == '\n' ? "" : "\n");
}

static void print_judgement_text(const mc_canary_judgement *j);

/* Exit status of a judgement: only a pass is 0 (a marginal canary, like
 * Kayenta's at its last interval, has not shown the change is safe). */
static int exit_for(const mc_canary_judgement *j)
{
	return j->verdict == MC_CANARY_VERDICT_PASS ? MC_EXIT_OK : MC_EXIT_GATE;
}

static void print_measurement_json(const mc_canary_measurement *m)
{
	struct json_object *doc = mc_canary_evidence(&m->result, m->judged ? &m->judgement : NULL);
	if (!m->judged)
		json_object_object_add(doc, "judgement", NULL);
	mc_json_set_bool(doc, "recorded", m->recorded);
	mc_json_set_string(doc, "evidence", m->evidence_note);
	printf("%s\n", mc_json_dump(doc, 1));
	json_object_put(doc);
}

static int canary_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rounds", required_argument, NULL, 'n' },
		{ "out", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'F' },
		{ "no-isolation", no_argument, NULL, 'I' },
		{ "no-record", no_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	mc_canary_measure_options opt = { 0 };
	enum mc_format format = MC_FORMAT_TEXT;
	mc_canary_measurement m;
	char *end;
	long rounds;
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, "C:", opts, NULL)) != -1) {
		switch (c) {
		case 'C': opt.run.repo_path = optarg; break;
		case 'o': opt.run.out_dir = optarg; break;
		case 'I': opt.run.allow_no_isolation = 1; break;
		case 'R': opt.no_record = 1; break;
		case 'n':
			rounds = strtol(optarg, &end, 10);
			if (!*optarg || *end || rounds < 1 || rounds > 100)
				return mc_cli_usage("canary run", "--rounds: expected 1..100, got '%s'",
						    optarg);
			opt.run.rounds = (int)rounds;
			break;
		case 'F':
			if (mc_cli_parse_format(optarg, &format))
				return mc_cli_usage("canary run", "%s", mc_error_message());
			break;
		default: return mc_cli_usage("canary run", "unknown option");
		}
	}
	if (argc - optind > 1)
		return mc_cli_usage("canary run", "expected at most one range, got %d arguments",
				    argc - optind);
	opt.run.range = optind < argc ? argv[optind] : NULL;
	rc = mc_canary_measure(&m, &opt);
	if (rc) {
		mc_canary_measurement_free(&m);
		return mc_cli_fail("canary run", rc);
	}
	if (format == MC_FORMAT_JSON) {
		print_measurement_json(&m);
	} else {
		print_run_text(&m.result);
		if (m.judged) {
			putchar('\n');
			print_judgement_text(&m.judgement);
		}
	}
	fprintf(stderr, "maestro canary run: %s\n", m.evidence_note);
	if (m.result.failed)
		report_failure(&m.result);
	/* The base failing is the environment's (or the configuration's) problem:
	 * nothing could be compared. */
	rc = m.judged ? exit_for(&m.judgement) : MC_EXIT_ENV;
	mc_canary_measurement_free(&m);
	return rc;
}

/* ---- canary judge ---- */

static int read_samples(mc_canary_samples *out, const char *path)
{
	char *text = NULL;
	size_t len = 0;
	int rc = mc_fs_read_file(&text, &len, path, MC_CANARY_SAMPLES_MAX_BYTES);
	if (rc == 0)
		rc = mc_canary_samples_parse(out, text, len, path);
	free(text);
	return rc;
}

static int read_config(mc_config *cfg, const char *path)
{
	char *text = NULL, origin[300];
	size_t len = 0;
	int rc;
	if (!path) {
		mc_config_defaults(cfg);
		return 0;
	}
	if ((rc = mc_fs_read_file(&text, &len, path, MC_CONFIG_MAX_BYTES)))
		return rc;
	snprintf(origin, sizeof origin, "config %.256s", path);
	rc = mc_config_parse(cfg, text, len, origin);
	free(text);
	return rc;
}

/* A number for the table in 6 significant digits: "-" when there is none. */
static void cell(char *buf, size_t size, double v)
{
	if (isfinite(v))
		snprintf(buf, size, "%.6g", v);
	else
		snprintf(buf, size, "-");
}

static void print_judgement_text(const mc_canary_judgement *j)
{
	size_t i;
	printf("canary: %s (%s)\n\n", mc_canary_verdict_name(j->verdict), j->reason);
	printf("%-24s %-6s %12s %12s %9s %-20s %s\n", "metric", "class", "base median", "head median",
	       "p", "shift", "reason");
	for (i = 0; i < j->nmetrics; i++) {
		const mc_canary_metric_result *m = &j->metrics[i];
		char bm[32], hm[32], p[32], shift[64];
		cell(bm, sizeof bm, m->base_median);
		cell(hm, sizeof hm, m->head_median);
		if (m->tested)
			snprintf(p, sizeof p, "%.3g", m->mw.p);
		else
			snprintf(p, sizeof p, "-");
		if (m->tested && isfinite(m->effect))
			snprintf(shift, sizeof shift, "%+.1f%%", 100 * m->effect);
		else if (m->tested)
			snprintf(shift, sizeof shift, "%+.4g", m->mw.estimate);
		else
			snprintf(shift, sizeof shift, "-");
		printf("%-24s %-6s %12s %12s %9s %-20s %s%s\n", m->name, mc_canary_class_name(m->cls), bm,
		       hm, p, shift, m->critical ? "[critical] " : "", m->reason);
	}
	for (i = 0; i < j->nunjudged; i++)
		printf("%-24s not judged: canary.metrics does not list it\n", j->unjudged[i]);
}


static int run_judge(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "format", required_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	enum mc_format format = MC_FORMAT_TEXT;
	const char *config_path = NULL;
	mc_canary_samples base = { 0 }, head = { 0 };
	mc_canary_series *series = NULL;
	mc_canary_judgement j;
	mc_config cfg;
	size_t n;
	int c, rc, status;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config_path = optarg; break;
		case 'F':
			if (mc_cli_parse_format(optarg, &format))
				return mc_cli_usage("canary", "%s", mc_error_message());
			break;
		default: return mc_cli_usage("canary", "unknown option");
		}
	}
	if (argc - optind != 2)
		return mc_cli_usage("canary", "judge takes two files: BASE.jsonl HEAD.jsonl");
	if ((rc = read_config(&cfg, config_path)))
		return mc_cli_fail("canary judge", rc);
	if ((rc = read_samples(&base, argv[optind])) || (rc = read_samples(&head, argv[optind + 1]))) {
		mc_canary_samples_free(&base);
		mc_config_free(&cfg);
		return mc_cli_fail("canary judge", rc);
	}
	n = mc_canary_samples_pair(&series, &base, &head);
	rc = mc_canary_judge(&j, &cfg.canary, series, n);
	if (rc == 0) {
		if (format == MC_FORMAT_JSON) {
			struct json_object *doc = mc_canary_judgement_to_json(&j);
			printf("%s\n", mc_json_dump(doc, 1));
			json_object_put(doc);
		} else {
			print_judgement_text(&j);
		}
		status = exit_for(&j);
		mc_canary_judgement_free(&j);
	} else {
		status = mc_cli_fail("canary judge", rc);
	}
	free(series);
	mc_canary_samples_free(&base);
	mc_canary_samples_free(&head);
	mc_config_free(&cfg);
	return status;
}

/* ---- the command ---- */

static int run_canary(int argc, char **argv)
{
	if (argc < 2)
		return mc_cli_usage("canary", "expected a subcommand: run or judge");
	if (!strcmp(argv[1], "run"))
		return canary_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "judge"))
		return run_judge(argc - 1, argv + 1);
	return mc_cli_usage("canary", "unknown subcommand '%s' (expected: run or judge)", argv[1]);
}

const struct mc_command mc_cmd_canary = {
	"canary", "the shadow canary: run a change's base and head in a sandbox, judge the samples",
	"usage: maestro canary run [RANGE] [-C DIR] [--rounds N] [--out DIR]\n"
	"                          [--no-isolation] [--no-record] [--format text|json]\n"
	"       maestro canary judge BASE.jsonl HEAD.jsonl [--config FILE]\n"
	"                            [--format text|json]\n\n"
	"maestro canary run\n\n"
	"Checks out the base and the head of the change RANGE into temporary\n"
	"directories, runs canary.build once in each, then canary.run in each,\n"
	"interleaved base, head, base, head for N rounds so that drift of the machine\n"
	"falls on both sides alike. The commands and limits come from\n"
	".maestro/config.json in the BASE commit (docs/CONFIG.md, canary.*), so a\n"
	"change cannot pick the commands that measure it.\n\n"
	"  RANGE            BASE..HEAD, BASE...HEAD or R (R..HEAD), as for maestro\n"
	"                   review; default: the default branch...HEAD\n"
	"  -C DIR           the repository (default: the current directory)\n"
	"  --rounds N       rounds, 1..100 (default: canary.rounds)\n"
	"  --out DIR        where BASE.jsonl, HEAD.jsonl and canary.json go (default:\n"
	"                   <git dir>/maestro/canary/<base>-<head>)\n"
	"  --no-isolation   run without PID and network namespaces when they cannot\n"
	"                   be made (otherwise that is an error)\n"
	"  --no-record      do not record the canary as signed evidence\n"
	"  --format FORMAT  text: one line per command, then the judgement's table;\n"
	"                   json: {record, judgement, recorded, evidence}\n\n"
	"Each command runs in a sandbox: argv vector (no shell), a new PID namespace\n"
	"(nothing the command starts outlives it), a new network namespace with only\n"
	"loopback, rlimits on CPU, memory, processes, file size and open files\n"
	"(canary.limits), an environment of only PATH, HOME (the checkout), LANG=C and\n"
	"TMPDIR, a wall-clock timeout (canary.timeout_s) that kills the whole sandbox,\n"
	"and capped output. Run as root, commands run as uid/gid 65534.\n\n"
	"canary.run prints JSON Lines on stdout: each line an object of metric name\n"
	"to number is one sample; each run also gives maestro_wall_ms,\n"
	"maestro_cpu_ms and maestro_peak_rss_kb, measured by Maestro. BASE.jsonl and\n"
	"HEAD.jsonl hold one sample a line; canary.json records the commands,\n"
	"rounds, limits and every command's status and measurements.\n\n"
	"Then the samples are judged as `maestro canary judge` judges BASE.jsonl\n"
	"and HEAD.jsonl (below), with the base's canary.* settings, and the verdict\n"
	"and the per-metric table are printed. A command that failed on the head\n"
	"(its build broke, its benchmark crashed or timed out) is a failing verdict\n"
	"with that reason. With a signing key configured (evidence.signing_key, else\n"
	"git's user.signingkey) and evidence.record on, what ran and the judgement\n"
	"are recorded as signed evidence about the head commit\n"
	"(schemas/evidence-canary.schema.json; maestro evidence show).\n\n"
	"Exit status: 0 when the canary passes; 1 when it is marginal or fails\n"
	"(including a command that failed on the head); 3 when a command failed on\n"
	"the base (nothing can be compared), the sandbox cannot be made, or the\n"
	"signing key cannot sign; 2 when no canary is configured (canary.run is\n"
	"empty) or the arguments are wrong. A failure prints the end of the\n"
	"command's stderr.\n\n"
	"Trust: a run in your terminal runs the code of your own clone. The daemon\n"
	"runs a pull request's code only when a user with write permission comments\n"
	"`/maestro canary` (docs/DAEMON.md); maestro review --canary puts the verdict\n"
	"on the Decision Card.\n"
	"\n"
	"maestro canary judge\n\n"
	"Judges samples of a change's base and head the way Kayenta's NetflixACAJudge\n"
	"does, without running anything. Each line of a samples file is one JSON\n"
	"object of metric name to number ({\"latency_ms\": 12.5, \"errors\": 0}); null\n"
	"means not measured; blank lines are skipped. Limits: 32 MiB per file, 64 KiB\n"
	"per line, 100000 lines, 100 metric names (letters, digits, _ . : / -, at\n"
	"most 128). An error names the file, the line and the field.\n\n"
	"Per metric: a Mann-Whitney U test (exact below 50 samples a side without\n"
	"ties, else the normal approximation with tie and continuity corrections),\n"
	"the Hodges-Lehmann estimate of the shift head - base and its confidence\n"
	"interval (canary.confidence, default 98 %). High when an increase is of\n"
	"concern, the whole interval is above zero and the estimate exceeds the\n"
	"tolerance band (canary.tolerance x |base median|); Low likewise downwards;\n"
	"NoData with fewer than canary.min_samples samples on a side; else Pass. The\n"
	"score is the weighted share of passing metrics (0 when a critical metric\n"
	"fails); pass at or above canary.pass_score (75), marginal at or above\n"
	"canary.marginal_score (50), else fail. docs/CONFIG.md, Canary, has the rules.\n\n"
	"  --config FILE   a .maestro/config.json whose canary section to use\n"
	"                  (default: the defaults: every metric found, lower is better)\n"
	"  --format json   per metric: class, reason, U, p_value, exact, estimate, ci,\n"
	"                  effect (estimate / |base median|), effect_ci, medians and\n"
	"                  counts; then score, verdict and reason\n\n"
	"Exit status 0 when the canary passes, 1 when it is marginal or fails.\n",
	run_canary,
};
