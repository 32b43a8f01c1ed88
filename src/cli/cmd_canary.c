/*
 * `maestro canary judge BASE.jsonl HEAD.jsonl`: judge recorded canary samples
 * of a change's base and head (model/canary_samples.c reads them,
 * model/canary.c judges them) without running anything, so the judge can be
 * checked on any data. `canary run`, which produces such samples in a sandbox,
 * lives beside it in its own function.
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
#include "util/error.h"
#include "util/fs.h"
#include "util/json.h"

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

static void print_text(const mc_canary_judgement *j)
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

/* Exit status of a judgement: only a pass is 0 (a marginal canary, like
 * Kayenta's at its last interval, has not shown the change is safe). */
static int exit_for(const mc_canary_judgement *j)
{
	return j->verdict == MC_CANARY_VERDICT_PASS ? MC_EXIT_OK : MC_EXIT_GATE;
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
			print_text(&j);
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

static int run_canary(int argc, char **argv)
{
	if (argc < 2)
		return mc_cli_usage("canary", "expected a subcommand: judge");
	if (!strcmp(argv[1], "judge"))
		return run_judge(argc - 1, argv + 1);
	return mc_cli_usage("canary", "unknown subcommand '%s' (expected: judge)", argv[1]);
}

const struct mc_command mc_cmd_canary = {
	"canary", "judge a change's canary samples, base against head",
	"usage: maestro canary judge BASE.jsonl HEAD.jsonl [--config FILE] [--format text|json]\n\n"
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
	"Exit status 0 when the canary passes, 1 when it is marginal or fails.\n"
	"Running the canary (maestro canary run) is not in this binary yet.\n",
	run_canary,
};
