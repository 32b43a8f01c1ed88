/* Entry point of the maestro binary: global flags, then dispatch to a command. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "util/log.h"

static int is_help_flag(const char *arg)
{
	return !strcmp(arg, "--help") || !strcmp(arg, "-h");
}

static int show_help(const char *topic)
{
	char *help_argv[] = { "help", (char *)topic, NULL };
	return mc_cli_find("help")->run(topic ? 2 : 1, help_argv);
}

int main(int argc, char **argv)
{
	const struct mc_command *cmd;

	mc_log_init_from_env();
	if (argc < 2) {
		show_help(NULL);
		return MC_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))
		return mc_cli_find("version")->run(1, argv + 1);
	if (is_help_flag(argv[1]))
		return show_help(NULL);
	cmd = mc_cli_find(argv[1]);
	if (!cmd) {
		fprintf(stderr, "maestro: '%s' is not a maestro command (see `maestro help`)\n",
			argv[1]);
		return MC_EXIT_USAGE;
	}
	if (argc == 3 && is_help_flag(argv[2]))
		return show_help(argv[1]);
	return cmd->run(argc - 1, argv + 1);
}
