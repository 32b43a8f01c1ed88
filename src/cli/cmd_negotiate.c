/* `maestro negotiate` (run a negotiation, settle a contract with actuals, submit one
 * offer, print an offer's canonical bytes) and `maestro agents` (each agent's record). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "pipeline/negotiate.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/json.h"

enum { OPT_OFFERS = 256, OPT_BUDGET, OPT_POLICY, OPT_FORMAT, OPT_STATE, OPT_HEAD, OPT_TRAIN,
       OPT_CONTRACT, OPT_USD, OPT_MINUTES, OPT_EVAL, OPT_GNUPGHOME, OPT_NOW, OPT_RANGE,
       OPT_TASK };

static const struct option opts[] = {
	{ "offers", required_argument, NULL, OPT_OFFERS },
	{ "budget", required_argument, NULL, OPT_BUDGET },
	{ "policy", required_argument, NULL, OPT_POLICY },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "head", required_argument, NULL, OPT_HEAD },
	{ "train", required_argument, NULL, OPT_TRAIN },
	{ "contract", required_argument, NULL, OPT_CONTRACT },
	{ "usd", required_argument, NULL, OPT_USD },
	{ "minutes", required_argument, NULL, OPT_MINUTES },
	{ "eval", required_argument, NULL, OPT_EVAL },
	{ "gnupghome", required_argument, NULL, OPT_GNUPGHOME },
	{ "now", required_argument, NULL, OPT_NOW },
	{ "range", required_argument, NULL, OPT_RANGE },
	{ "task", required_argument, NULL, OPT_TASK },
	{ NULL, 0, NULL, 0 },
};

typedef struct args {
	mc_negotiate_options opt;
	enum mc_format format;
	const char *contract;
	double usd, minutes, eval;
	int have_usd, have_minutes, have_eval;
} args;

static int parse_number(double *out, const char *cmd, const char *what, const char *text)
{
	char *end;
	*out = strtod(text, &end);
	if (end == text || *end)
		return mc_cli_usage(cmd, "%s must be a number, not '%s'", what, text);
	return 0;
}

/* --budget usd=N or minutes=M (the train's budget in that dimension). */
static int parse_budget(args *a, const char *cmd, const char *text)
{
	const char *eq = strchr(text, '=');
	double v;
	if (!eq || parse_number(&v, cmd, "the budget", eq + 1))
		return eq ? MC_EXIT_USAGE : mc_cli_usage(cmd, "--budget takes usd=N or minutes=M");
	if (v < 0 || v != v)
		return mc_cli_usage(cmd, "a budget must be a number >= 0");
	if (!strncmp(text, "usd=", 4))
		a->opt.budget_usd = v;
	else if (!strncmp(text, "minutes=", 8))
		a->opt.budget_minutes = v;
	else
		return mc_cli_usage(cmd, "--budget takes usd=N or minutes=M, not '%s'", text);
	return 0;
}

static int parse_args(args *a, const char *cmd, int argc, char **argv)
{
	int c, rc = 0;
	char *end;
	memset(a, 0, sizeof *a);
	a->opt.budget_usd = a->opt.budget_minutes = -1;
	optind = 0;
	while (!rc && (c = getopt_long(argc, argv, "C:", opts, NULL)) != -1) {
		switch (c) {
		case 'C': a->opt.repo_path = optarg; break;
		case OPT_OFFERS: a->opt.offers_path = optarg; break;
		case OPT_BUDGET: rc = parse_budget(a, cmd, optarg); break;
		case OPT_POLICY: a->opt.policy_path = optarg; break;
		case OPT_STATE: a->opt.state_path = optarg; break;
		case OPT_HEAD: a->opt.head = optarg; break;
		case OPT_RANGE: a->opt.range = optarg; break;
		case OPT_TASK: a->opt.task_id = optarg; break;
		case OPT_TRAIN: a->opt.train = optarg; break;
		case OPT_GNUPGHOME: a->opt.gnupghome = optarg; break;
		case OPT_CONTRACT: a->contract = optarg; break;
		case OPT_USD: rc = parse_number(&a->usd, cmd, "--usd", optarg); a->have_usd = 1; break;
		case OPT_MINUTES:
			rc = parse_number(&a->minutes, cmd, "--minutes", optarg);
			a->have_minutes = 1;
			break;
		case OPT_EVAL: rc = parse_number(&a->eval, cmd, "--eval", optarg); a->have_eval = 1; break;
		case OPT_NOW:
			a->opt.now = strtoll(optarg, &end, 10);
			if (*end || end == optarg || a->opt.now <= 0)
				rc = mc_cli_usage(cmd, "--now takes unix seconds");
			break;
		case OPT_FORMAT:
			if (mc_cli_parse_format(optarg, &a->format))
				rc = mc_cli_usage(cmd, "%s", mc_error_message());
			break;
		default: rc = mc_cli_usage(cmd, "unknown option"); break;
		}
	}
	return rc;
}

static void print_contract(struct json_object *c)
{
	struct json_object *o = mc_json_get(c, "offer"), *k = mc_json_get(c, "corrected");
	struct json_object *sla = mc_json_get(c, "sla");
	printf("contract %s: task %s -> agent %s (offer %s, arm %s, round %lld%s)\n",
	       mc_json_get_string(c, "contract_id", ""), mc_json_get_string(c, "task_id", ""),
	       mc_json_get_string(c, "agent_id", ""), mc_json_get_string(o, "offer_id", ""),
	       mc_json_get_string(o, "arm", ""), mc_json_get_int(c, "round", 0),
	       mc_json_get_bool(c, "conflict", 0) ? ", won a conflict" : "");
	printf("  predicted: eval %.3g, $%.2f, %.1f min, risk %.3g; judged as eval %.3g, $%.2f, "
	       "%.1f min\n", mc_json_get_double(o, "pred_eval", 0),
	       mc_json_get_double(o, "pred_cost_usd", 0), mc_json_get_double(o, "pred_minutes", 0),
	       mc_json_get_double(o, "risk", 0), mc_json_get_double(k, "eval", 0),
	       mc_json_get_double(k, "cost_usd", 0), mc_json_get_double(k, "minutes", 0));
	printf("  SLA: cost +%.0f%%, minutes +%.0f%%, eval -%.3g; %s\n",
	       100 * mc_json_get_double(sla, "cost_tolerance", 0),
	       100 * mc_json_get_double(sla, "time_tolerance", 0),
	       mc_json_get_double(sla, "eval_tolerance", 0),
	       mc_json_get_string(sla, "penalty_rule", ""));
}

static void print_escalation(struct json_object *e)
{
	struct json_object *n = mc_json_get(e, "next_step");
	printf("escalation: task %s needs a human after %lld round(s): %s\n",
	       mc_json_get_string(e, "task_id", ""), mc_json_get_int(e, "rounds", 0),
	       mc_json_get_string(e, "why", ""));
	printf("  next step: %s\n  its cost $%.2f, %.1f min, risk %.3g, expected value $%.2f\n",
	       mc_json_get_string(n, "step", ""), mc_json_get_double(n, "cost_usd", 0),
	       mc_json_get_double(n, "minutes", 0), mc_json_get_double(n, "risk", 0),
	       mc_json_get_double(n, "expected_value_usd", 0));
}

static void print_text(struct json_object *doc)
{
	struct json_object *list;
	size_t i;
	list = mc_json_get(doc, "contracts");
	for (i = 0; i < json_object_array_length(list); i++)
		print_contract(json_object_array_get_idx(list, i));
	list = mc_json_get(doc, "escalations");
	for (i = 0; i < json_object_array_length(list); i++)
		print_escalation(json_object_array_get_idx(list, i));
	list = mc_json_get(doc, "contracted_before");
	for (i = 0; i < json_object_array_length(list); i++) {
		struct json_object *x = json_object_array_get_idx(list, i);
		printf("task %s has a contract already (%s): not negotiated again\n",
		       mc_json_get_string(x, "task_id", ""), mc_json_get_string(x, "contract_id", ""));
	}
	list = mc_json_get(doc, "refusals");
	for (i = 0; i < json_object_array_length(list); i++)
		printf("refused: %s\n", mc_json_get_string(json_object_array_get_idx(list, i),
							   "reason", ""));
	if (!json_object_array_length(mc_json_get(doc, "contracts")) &&
	    !json_object_array_length(mc_json_get(doc, "escalations")) &&
	    !json_object_array_length(mc_json_get(doc, "contracted_before")))
		printf("no offers to negotiate\n");
}

static int run_actuals(args *a)
{
	struct json_object *doc = NULL;
	char *note = NULL;
	int rc;
	if (!a->contract || !a->have_usd || !a->have_minutes || !a->have_eval)
		return mc_cli_usage("negotiate", "actuals needs --contract ID --usd X --minutes Y --eval Z");
	if ((rc = mc_negotiate_actuals(&doc, &note, &a->opt, a->contract, a->usd, a->minutes,
				       a->eval)) != 0)
		return mc_cli_fail("negotiate", rc);
	if (a->format == MC_FORMAT_JSON) {
		printf("%s\n", mc_json_dump(doc, 1));
	} else {
		size_t i, n = json_object_array_length(mc_json_get(doc, "misses"));
		printf("contract %s: %s", a->contract, n ? "missed" : "met its SLA\n");
		for (i = 0; i < n; i++) {
			struct json_object *m = json_object_array_get_idx(mc_json_get(doc, "misses"), i);
			printf(" %s (predicted %.3g, actual %.3g, $%.2f)", mc_json_get_string(m, "dimension", ""),
			       mc_json_get_double(m, "predicted", 0), mc_json_get_double(m, "actual", 0),
			       mc_json_get_double(m, "penalty_usd", 0));
		}
		if (n)
			printf("; penalty $%.2f; downshift: %s\n", mc_json_get_double(doc, "penalty_usd", 0),
			       mc_json_get_string(doc, "downshift", ""));
	}
	if (note)
		fprintf(stderr, "maestro negotiate: %s\n", note);
	free(note);
	json_object_put(doc);
	return MC_EXIT_OK;
}

static int read_arg_file(char **text, size_t *len, const char *path)
{
	int rc = mc_fs_read_file(text, len, path, MC_OFFER_MAX_BYTES);
	return rc == MC_ENOTFOUND ? mc_error_recode(MC_EINVAL) : rc;
}

static int run_canonical(int argc, char **argv)
{
	char *text = NULL, *canonical = NULL;
	size_t len;
	int rc;
	if (argc != 2)
		return mc_cli_usage("negotiate", "canonical takes one offer file");
	if ((rc = read_arg_file(&text, &len, argv[1])) != 0 ||
	    (rc = mc_negotiate_canonical(&canonical, text, len)) != 0) {
		free(text);
		return mc_cli_fail("negotiate", rc);
	}
	fputs(canonical, stdout);
	free(text);
	free(canonical);
	return MC_EXIT_OK;
}

static int run_submit(args *a, const char *path)
{
	char id[MC_AGENT_ID_MAX + 1], *text = NULL;
	size_t len;
	int rc, dup = 0;

	if ((rc = read_arg_file(&text, &len, path)) == 0)
		rc = mc_negotiate_submit_as_configured(&a->opt, text, len, id, &dup);
	free(text);
	if (rc)
		return mc_cli_fail("negotiate", rc);
	if (a->format == MC_FORMAT_JSON)
		printf("{\"offer_id\": \"%s\", \"duplicate\": %s}\n", id, dup ? "true" : "false");
	else
		printf("offer %s %s\n", id, dup ? "was already stored" : "stored");
	return MC_EXIT_OK;
}

static int run_negotiate(int argc, char **argv)
{
	mc_negotiate_outcome out;
	args a;
	int rc;

	if (argc >= 2 && !strcmp(argv[1], "canonical"))
		return run_canonical(argc - 1, argv + 1);
	if ((rc = parse_args(&a, "negotiate", argc, argv)) != 0)
		return rc;
	if (optind < argc && !strcmp(argv[optind], "actuals") && optind + 1 == argc)
		return run_actuals(&a);
	if (optind < argc && !strcmp(argv[optind], "submit") && optind + 2 == argc)
		return run_submit(&a, argv[optind + 1]);
	if (optind < argc)
		return mc_cli_usage("negotiate", "unexpected '%s'", argv[optind]);
	if ((rc = mc_negotiate_pipeline_run(&out, &a.opt)) != 0)
		return mc_cli_fail("negotiate", rc);
	if (a.format == MC_FORMAT_JSON)
		printf("%s\n", mc_json_dump(out.doc, 1));
	else
		print_text(out.doc);
	if (out.note)
		fprintf(stderr, "maestro negotiate: %s\n", out.note);
	rc = out.escalated ? MC_EXIT_GATE : MC_EXIT_OK;
	mc_negotiate_outcome_free(&out);
	return rc;
}

const struct mc_command mc_cmd_negotiate = {
	"negotiate", "run a negotiation between agents' offers; settle contracts with actuals",
	"usage: maestro negotiate [--offers FILE.json] [--head REV | --range BASE..HEAD]\n"
	"                         [--task ID] [--budget usd=N]\n"
	"                         [--budget minutes=M] [--policy FILE] [--train NAME]\n"
	"                         [--state FILE] [-C DIR] [--format text|json]\n"
	"       maestro negotiate actuals --contract ID --usd X --minutes Y --eval Z\n"
	"                         [--state FILE] [-C DIR] [--format text|json]\n"
	"       maestro negotiate submit OFFER.json [--state FILE] [-C DIR]\n"
	"       maestro negotiate canonical OFFER.json\n\n"
	"Runs a negotiation over the offers of FILE (schemas/negotiation-input.schema.json:\n"
	"tasks, offers, and the files each offer's change writes; or a bare array of\n"
	"offers, schemas/agent-offer.schema.json), the .maestro/offers/<name>.json files\n"
	"of REV's tree, offers submitted earlier, and the standing offers of the agent\n"
	"profiles in the config (negotiation.agents). Offers are checked one by one:\n"
	"malformed, expired, unsigned where signatures are required, for unknown tasks,\n"
	"or beyond an agent's rate limit, they are refused by name and the rest go on.\n"
	"The mediator corrects each offer by its agent's record, filters by the policy\n"
	"(negotiation.* in .maestro/config.json, --policy FILE over it, --budget over\n"
	"the train's budget), asks the best rejected offers to improve for up to\n"
	"negotiation.rounds rounds, and prints the contract per task, or the escalation\n"
	"with the smallest safe next step. Contracts are stored (the repository's\n"
	"cache.db, or --state FILE) and recorded as signed evidence about REV (else\n"
	"HEAD) when a signing key is configured. A task is contracted once: a task\n"
	"with a contract is not negotiated again (listed as contracted before).\n\n"
	"The policy is the config at HEAD; with --range BASE..HEAD (a change, as\n"
	"review takes it) it is the config at the merge base, as review reads it, and\n"
	"HEAD's .maestro/offers join. --task ID negotiates that task alone: a change's\n"
	"task is its portfolio item id (the branch, or owner/name#N for a pull request),\n"
	"and its Decision Card shows the task's contract or escalation.\n\n"
	"actuals settles a contract: misses beyond its tolerances, the penalty, the\n"
	"agent's downshift and its updated record (recorded as a penalty record).\n"
	"submit stores one offer, as `/maestro offer` and POST /v1/offers do.\n"
	"canonical prints the bytes an offer's detached signature covers:\n"
	"  maestro negotiate canonical o.json | gpg --armor --detach-sign\n\n"
	"Exit status 1 when a task was escalated to a human.\n",
	run_negotiate,
};

static int run_agents(int argc, char **argv)
{
	struct json_object *doc = NULL;
	args a;
	size_t i;
	int rc;
	if ((rc = parse_args(&a, "agents", argc, argv)) != 0)
		return rc;
	if (optind < argc)
		return mc_cli_usage("agents", "unexpected '%s'", argv[optind]);
	if ((rc = mc_negotiate_agents(&doc, &a.opt)) != 0)
		return mc_cli_fail("agents", rc);
	if (a.format == MC_FORMAT_JSON) {
		printf("%s\n", mc_json_dump(doc, 1));
	} else if (!json_object_array_length(doc)) {
		printf("no agent has a contract with actuals yet\n");
	} else {
		printf("%-24s %9s %6s %10s %4s %11s %12s %10s\n", "agent", "contracts", "misses",
		       "penalties", "tier", "cost bias", "minutes bias", "eval bias");
		for (i = 0; i < json_object_array_length(doc); i++) {
			struct json_object *r = json_object_array_get_idx(doc, i);
			struct json_object *b = mc_json_get(r, "bias");
			printf("%-24s %9lld %6lld %10.2f %4lld %10.2fx %11.2fx %+10.3f\n",
			       mc_json_get_string(r, "agent_id", ""), mc_json_get_int(r, "contracts", 0),
			       mc_json_get_int(r, "misses", 0), mc_json_get_double(r, "penalties_usd", 0),
			       mc_json_get_int(r, "tier", 0), mc_json_get_double(b, "cost_factor", 1),
			       mc_json_get_double(b, "minutes_factor", 1),
			       mc_json_get_double(b, "eval_delta", 0));
		}
	}
	json_object_put(doc);
	return MC_EXIT_OK;
}

const struct mc_command mc_cmd_agents = {
	"agents", "each agent's record: contracts, misses, penalties, reputation, tier",
	"usage: maestro agents [--state FILE] [-C DIR] [--format text|json]\n\n"
	"Lists every agent with settled contracts (maestro negotiate actuals): contracts,\n"
	"misses, penalties in dollars, tier (0 best; misses in a row lower it), cost cap\n"
	"and tolerance scale (other downshifts), and the running bias and spread of its\n"
	"predictions (actual / predicted for cost and minutes, actual - predicted for eval),\n"
	"which the mediator applies to its next offers.\n",
	run_agents,
};
