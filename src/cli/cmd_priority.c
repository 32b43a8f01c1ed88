/* `maestro priority raise|drop|set`: override a work item's priority in the
 * portfolio, with a mandatory reason, stored and recorded as signed evidence. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "pipeline/priority.h"
#include "util/error.h"

static int parse_action(mc_priority_action *out, const char *word)
{
	if (!strcmp(word, "raise"))
		*out = MC_PRIORITY_RAISE;
	else if (!strcmp(word, "drop"))
		*out = MC_PRIORITY_DROP;
	else if (!strcmp(word, "set"))
		*out = MC_PRIORITY_SET;
	else
		return -1;
	return 0;
}

static int run_priority(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ "format", required_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	mc_priority_change change = { 0 };
	mc_priority_result result;
	enum mc_format format = MC_FORMAT_TEXT;
	char *end;
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, "C:", opts, NULL)) != -1) {
		switch (c) {
		case 'C': change.repo_path = optarg; break;
		case 'r': change.reason = optarg; break;
		case 'F':
			if (mc_cli_parse_format(optarg, &format))
				return mc_cli_usage("priority", "%s", mc_error_message());
			break;
		default: return mc_cli_usage("priority", "unknown option");
		}
	}
	if (argc - optind < 2 || parse_action(&change.action, argv[optind]) != 0)
		return mc_cli_usage("priority", "expected raise ID, drop ID or set ID N");
	change.id = argv[optind + 1];
	if (change.action == MC_PRIORITY_SET) {
		if (argc - optind != 3)
			return mc_cli_usage("priority", "set needs the item and the new priority");
		change.value = (int)strtol(argv[optind + 2], &end, 10);
		if (*end || end == argv[optind + 2])
			return mc_cli_usage("priority", "the priority must be a whole number, not '%s'",
					    argv[optind + 2]);
	} else if (argc - optind != 2) {
		return mc_cli_usage("priority", "%s takes only the item", argv[optind]);
	}
	if (!change.reason)
		return mc_cli_usage("priority", "--reason is required: say why, it is recorded");
	if ((rc = mc_priority_override(&result, &change)) != 0)
		return mc_cli_fail("priority", rc);
	if (format == MC_FORMAT_JSON)
		printf("{\"id\": \"%s\", \"before\": %d, \"after\": %d, \"recorded\": %s}\n", change.id,
		       result.before, result.after, result.recorded ? "true" : "false");
	else
		printf("priority of %s: %d -> %d\n", change.id, result.before, result.after);
	if (result.note)
		fprintf(stderr, "maestro priority: %s\n", result.note);
	mc_priority_result_free(&result);
	return MC_EXIT_OK;
}

const struct mc_command mc_cmd_priority = {
	"priority", "raise, drop or set a work item's priority, with a reason",
	"usage: maestro priority raise ID --reason TEXT [-C DIR] [--format text|json]\n"
	"       maestro priority drop ID --reason TEXT [-C DIR] [--format text|json]\n"
	"       maestro priority set ID N --reason TEXT [-C DIR] [--format text|json]\n\n"
	"Overrides the priority of a work item of the portfolio (maestro portfolio;\n"
	"raise and drop move it by one, set to N, within -3..20). A reason is required.\n"
	"The override is stored with who (git's user.name and user.email), when, why,\n"
	"and the priority before and after, and recorded as a signed evidence record\n"
	"about the item's head commit when a signing key is configured (maestro help\n"
	"evidence). In plans the priority becomes the item's weight, 1 + 0.25 x priority.\n",
	run_priority,
};
