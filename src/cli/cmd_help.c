/* `maestro help [<command>]` and `maestro version`. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "util/error.h"
#include "version.h"

static const char exit_status_text[] =
	"Exit status:\n"
	"  0  done, and every policy gate passed\n"
	"  1  a policy gate said no, a hold is active, or evidence does not verify\n"
	"  2  usage: bad arguments, revisions, or input documents\n"
	"  3  environment: not a repository, I/O failure, missing tool or key\n"
	"  4  internal error in maestro\n";

static void print_overview(FILE *out)
{
	const struct mc_command *const *c;
	fprintf(out, "usage: maestro [--version] [--help] <command> [<args>]\n\n"
		     "Maestro Conductor scores, gates and explains changes to a repository.\n\n"
		     "Commands:\n");
	for (c = mc_commands; *c; c++)
		fprintf(out, "  %-10s %s\n", (*c)->name, (*c)->summary);
	fprintf(out, "\nRun `maestro help <command>` for a command's options.\n\n"
		     "Agents' offers reach the daemon by `/maestro offer {json}` in a PR comment\n"
		     "and by POST /v1/offers (`maestro help serve`).\n"
		     "With simulate.trace configured, review simulates each change on that trace,\n"
		     "puts the prediction on the Decision Card and gates it (`maestro help\n"
		     "simulate`); predictions and outcomes are signed evidence.\n"
		     "\n%s",
		exit_status_text);
}

static int run_help(int argc, char **argv)
{
	const struct mc_command *cmd;
	if (argc < 2) {
		print_overview(stdout);
		return MC_EXIT_OK;
	}
	if (argc > 2)
		return mc_cli_usage("help", "takes at most one command name");
	cmd = mc_cli_find(argv[1]);
	if (!cmd)
		return mc_cli_usage("help", "no command named '%s'", argv[1]);
	printf("%s\n%s", cmd->help, exit_status_text);
	return MC_EXIT_OK;
}

static int run_version(int argc, char **argv)
{
	enum mc_format format = MC_FORMAT_TEXT;
	if (argc == 3 && !strcmp(argv[1], "--format")) {
		if (mc_cli_parse_format(argv[2], &format))
			return mc_cli_usage("version", "%s", mc_error_message());
	} else if (argc > 1) {
		return mc_cli_usage("version", "takes only --format text|json");
	}
	if (format == MC_FORMAT_JSON)
		printf("{\"version\": \"%s\"}\n", MC_VERSION);
	else
		printf("maestro %s\n", MC_VERSION);
	return MC_EXIT_OK;
}

const struct mc_command mc_cmd_help = {
	"help", "show help for maestro or for one command",
	"usage: maestro help [<command>]\n\n"
	"Without a command, lists the commands; with one, prints its options.\n",
	run_help,
};

const struct mc_command mc_cmd_version = {
	"version", "print maestro's version",
	"usage: maestro version [--format text|json]\n       maestro --version\n",
	run_version,
};
