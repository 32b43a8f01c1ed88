/*
 * `maestro canary`: the shadow canary. `canary run` checks out a change's base
 * and head, builds and runs the configured commands in the sandbox,
 * interleaved over N rounds, and writes the samples (pipeline/canary.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "pipeline/canary.h"
#include "util/error.h"
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

static void print_text(const mc_canary_result *r)
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
static int report_failure(const mc_canary_result *r)
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
	/* The change broke its own canary: a "no". The base failing is the environment's
	 * (or the configuration's) problem: nothing can be compared. */
	return f->side == MC_CANARY_HEAD ? MC_EXIT_GATE : MC_EXIT_ENV;
}

static int canary_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rounds", required_argument, NULL, 'n' },
		{ "out", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'F' },
		{ "no-isolation", no_argument, NULL, 'I' },
		{ NULL, 0, NULL, 0 },
	};
	mc_canary_options opt = { 0 };
	enum mc_format format = MC_FORMAT_TEXT;
	mc_canary_result result;
	char *end;
	long rounds;
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, "C:", opts, NULL)) != -1) {
		switch (c) {
		case 'C': opt.repo_path = optarg; break;
		case 'o': opt.out_dir = optarg; break;
		case 'I': opt.allow_no_isolation = 1; break;
		case 'n':
			rounds = strtol(optarg, &end, 10);
			if (!*optarg || *end || rounds < 1 || rounds > 100)
				return mc_cli_usage("canary run", "--rounds: expected 1..100, got '%s'",
						    optarg);
			opt.rounds = (int)rounds;
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
	opt.range = optind < argc ? argv[optind] : NULL;
	rc = mc_canary_run(&result, &opt);
	if (rc) {
		mc_canary_result_free(&result);
		return mc_cli_fail("canary run", rc);
	}
	if (format == MC_FORMAT_JSON) {
		struct json_object *record = mc_canary_record(&result);
		printf("%s\n", mc_json_dump(record, 1));
		json_object_put(record);
	} else {
		print_text(&result);
	}
	rc = result.failed ? report_failure(&result) : MC_EXIT_OK;
	mc_canary_result_free(&result);
	return rc;
}

/* ---- the command ---- */

static int run_canary(int argc, char **argv)
{
	if (argc < 2)
		return mc_cli_usage("canary", "expected a subcommand: run");
	if (!strcmp(argv[1], "run"))
		return canary_run(argc - 1, argv + 1);
	return mc_cli_usage("canary", "unknown subcommand '%s'", argv[1]);
}

const struct mc_command mc_cmd_canary = {
	"canary", "run a change's base and head side by side in a sandbox (shadow canary)",
	"usage: maestro canary run [RANGE] [-C DIR] [--rounds N] [--out DIR]\n"
	"                          [--no-isolation] [--format text|json]\n\n"
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
	"  --no-isolation   run without a network namespace when none can be made\n"
	"                   (otherwise that is an error)\n"
	"  --format FORMAT  text: one line per command; json: the record of what ran\n\n"
	"Each command runs in a sandbox: argv vector (no shell), its own process\n"
	"group, a new network namespace with only loopback, rlimits on CPU, memory,\n"
	"processes, file size and open files (canary.limits), an environment of only\n"
	"PATH, HOME (the checkout), LANG=C and TMPDIR, a wall-clock timeout\n"
	"(canary.timeout_s) that kills the whole group, and capped output. Run as\n"
	"root, commands run as uid/gid 65534.\n\n"
	"canary.run prints JSON Lines on stdout: each line an object of metric name\n"
	"to number is one sample; each run also gives maestro_wall_ms,\n"
	"maestro_cpu_ms and maestro_peak_rss_kb, measured by Maestro. BASE.jsonl and\n"
	"HEAD.jsonl hold one sample a line; canary.json records the commands,\n"
	"rounds, limits and every command's status and measurements.\n\n"
	"Exit status: 0 when every command succeeded; 1 when a command failed on the\n"
	"head (the change broke its build or benchmark, or it timed out); 3 when one\n"
	"failed on the base, or the sandbox cannot be made; 2 when no canary is\n"
	"configured (canary.run is empty) or the arguments are wrong. A failure\n"
	"prints the end of the command's stderr.\n\n"
	"Trust: a run in your terminal runs the code of your own clone. The daemon\n"
	"runs a pull request's code only for authors with write permission or after\n"
	"a maintainer's `/maestro canary` comment.\n",
	run_canary,
};
