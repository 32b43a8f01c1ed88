/* `maestro review [RANGE]`: run the review pipeline on one change and print its
 * Decision Card; the exit status says whether the policy gates passed. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "pipeline/canary_verdict.h"
#include "model/cf.h"
#include "pipeline/review.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/json.h"
#include "util/log.h"

/* More labels than this on one change is not a real change. */
#define MAX_LABELS 64
#define MAX_DELTAS 256

static void log_history(const mc_review *r)
{
	char mined[24], cached[24], seconds[32];
	if (!mc_log_enabled(MC_LOG_INFO))
		return;
	snprintf(mined, sizeof mined, "%u", r->history.mined);
	snprintf(cached, sizeof cached, "%u", r->history.cached);
	snprintf(seconds, sizeof seconds, "%.3f", r->history.seconds);
	mc_log(MC_LOG_INFO, "history", "cache", r->cache_path ? r->cache_path : "memory",
	       "mined", mined, "cached", cached, "base_already_mined",
	       r->history.tip_was_mined ? "yes" : "no", "seconds", seconds, NULL);
}

static int run_review(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "label", required_argument, NULL, 'l' },
		{ "no-cache", no_argument, NULL, 'n' },
		{ "no-record", no_argument, NULL, 'r' },
		{ "no-portfolio", no_argument, NULL, 'p' },
		{ "format", required_argument, NULL, 'F' },
		{ "canary", no_argument, NULL, 'c' },
		{ "delta", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	const char *labels[MAX_LABELS], *deltas[MAX_DELTAS];
	mc_cf_deltas check = { 0 };
	mc_canary_measurement canary;
	int with_canary = 0;
	mc_review_options opt = { 0 };
	enum mc_format format = MC_FORMAT_TEXT;
	mc_review review;
	int c, rc;

	opt.labels = labels;
	opt.deltas = deltas;
	optind = 0;
	while ((c = getopt_long(argc, argv, "C:", opts, NULL)) != -1) {
		switch (c) {
		case 'C': opt.repo_path = optarg; break;
		case 'n': opt.no_cache = 1; break;
		case 'r': opt.no_record = 1; break;
		case 'p': opt.no_portfolio = 1; break;
		case 'c': with_canary = 1; break;
		case 'l':
			if (opt.nlabels == MAX_LABELS)
				return mc_cli_usage("review", "more than %d labels", MAX_LABELS);
			labels[opt.nlabels++] = optarg;
			break;
		case 'F':
			if (mc_cli_parse_format(optarg, &format))
				return mc_cli_usage("review", "%s", mc_error_message());
			break;
		case 'd':
			/* Checked here, so a mistyped delta is a usage error before any work. */
			rc = mc_cf_deltas_add_spec(&check, optarg);
			mc_cf_deltas_free(&check);
			if (rc)
				return mc_cli_usage("review", "%s", mc_error_message());
			if (opt.ndeltas == MAX_DELTAS)
				return mc_cli_usage("review", "more than %d --delta options", MAX_DELTAS);
			deltas[opt.ndeltas++] = optarg;
			break;
		default: return mc_cli_usage("review", "unknown option");
		}
	}
	if (argc - optind > 1)
		return mc_cli_usage("review", "expected at most one range, got %d arguments",
				    argc - optind);
	opt.range = optind < argc ? argv[optind] : NULL;
	memset(&canary, 0, sizeof canary);
	if (with_canary) {
		mc_canary_measure_options co = { 0 };
		char *note;
		co.run.repo_path = opt.repo_path;
		co.run.range = opt.range;
		co.no_record = opt.no_record;
		note = mc_canary_measure_for_review(&canary, &co);
		fprintf(stderr, "maestro review: %s\n", note);
		if (canary.evidence_note)
			fprintf(stderr, "maestro review: %s\n", canary.evidence_note);
		free(note);
		opt.canary = canary.judged ? &canary.judgement : NULL;
		opt.canary_deltas = canary.deltas.n ? &canary.deltas : NULL;
	}
	rc = mc_review_run(&review, &opt);
	mc_canary_measurement_free(&canary);
	if (rc != 0)
		return mc_cli_fail("review", rc);
	log_history(&review);
	if (review.evidence_note)
		fprintf(stderr, "maestro review: %s\n", review.evidence_note);
	if (format == MC_FORMAT_JSON)
		printf("%s\n", mc_json_dump(review.card, 1));
	else
		fputs(review.markdown, stdout);
	rc = review.passed ? MC_EXIT_OK : MC_EXIT_GATE;
	mc_review_free(&review);
	return rc;
}

const struct mc_command mc_cmd_review = {
	"review", "review a change and print its Decision Card",
	"usage: maestro review [RANGE] [-C DIR] [--label NAME]... [--delta SPEC]...\n"
	"                      [--no-cache] [--no-record] [--no-portfolio] [--canary]\n"
	"                      [--format text|json]\n\n"
	"Reviews the change RANGE of the repository and prints its Decision Card:\n"
	"expected value with each component and its inputs, the risk that it\n"
	"introduces a defect with the features that drive it, and the policy gates\n"
	"with their reasons.\n\n"
	"  RANGE            BASE..HEAD or BASE...HEAD (both: the change from their merge\n"
	"                   base to HEAD, as a pull request shows it), or a single\n"
	"                   revision R for R..HEAD. Default: the default branch\n"
	"                   (review.default_branch, else origin/HEAD, main, master)\n"
	"                   ..HEAD.\n"
	"  -C DIR           the repository (default: the current directory)\n"
	"  --label NAME     a label the change carries, as on a forge (repeatable);\n"
	"                   labels named in the config's labels.* add value\n"
	"  --delta SPEC     what the change does to the service, as maestro simulate\n"
	"                   --delta takes it (ROUTE:latency=x1.1,errors=+0.01,cost=x0.9;\n"
	"                   repeatable); used when simulate.trace is configured, over\n"
	"                   the canary's measurement and simulate.deltas\n"
	"  --no-cache       mine history into memory; leave the history cache\n"
	"                   (<git dir>/maestro/cache.db) alone\n"
	"  --no-record      do not record the card as signed evidence\n"
	"  --no-portfolio   do not add or update the change in the portfolio\n"
	"                   (maestro portfolio); --no-cache implies it\n"
	"  --canary         run the shadow canary first (maestro canary run: base and\n"
	"                   head built and run in the sandbox with canary.* of the\n"
	"                   base) and put its judgement on the card; a failing\n"
	"                   canary fails the canary gate (exit 1). When no canary is\n"
	"                   configured, or the base fails, the card has none and\n"
	"                   stderr says why. Recorded as evidence like the card\n"
	"  --format FORMAT  text: the card as Markdown, as a PR comment carries it;\n"
	"                   json: the card document (schemas/decision-card.schema.json)\n\n"
	"The configuration is .maestro/config.json as it is in the base commit, so a\n"
	"change cannot loosen its own gates (docs/CONFIG.md). Commit trailers such as\n"
	"Fixes:, Maestro-Value: and Reviewed-by: in the range are the change's\n"
	"signals. History mining is cached: the first review of a repository walks\n"
	"its history once, later ones only what is new. MAESTRO_LOG=info reports what\n"
	"the cache did.\n\n"
	"With simulate.trace configured and deltas (--delta, else the shadow canary's\n"
	"measurement with --canary: head/base of the medians of its latency_ms, p50_ms,\n"
	"p95_ms, p99_ms, error_rate and cost_usd, else the deltas of the offer of\n"
	"the agent contracted for the change's task, else simulate.deltas), the\n"
	"change is simulated on that trace (maestro help simulate): the card gains a\n"
	"simulation section with the predicted p50/p95/p99 latency, error rate and cost\n"
	"per route and overall with their intervals, and simulate.max_p99_increase,\n"
	"max_error_rate_increase and max_cost_increase gate the upper bounds of those\n"
	"intervals, naming the route and the metric when they block.\n\n"
	"With a signing key (evidence.signing_key, else git config user.signingkey)\n"
	"the card is recorded as signed evidence in the note of the head commit on\n"
	"refs/notes/maestro, once per distinct card (maestro help evidence).\n",
	run_review,
};
