/*
 * `maestro config check|show`: validate a configuration file before it is
 * committed, and show the configuration a review of a given base would use,
 * every key with its effective value (docs/CONFIG.md has the defaults).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/git/repo.h"
#include "cli/cli.h"
#include "model/config.h"
#include "pipeline/config_at.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/strbuf.h"

static void print_config(const mc_config *cfg, const char *origin, enum mc_format format)
{
	struct json_object *doc = mc_config_to_json(cfg);
	if (format == MC_FORMAT_JSON)
		printf("%s\n", mc_json_dump(doc, 1));
	else
		printf("# %s\n%s\n", origin, mc_json_dump(doc, 1));
	json_object_put(doc);
}

/* check FILE: parse and validate a file on disk. */
static int check_file(const char *path, enum mc_format format)
{
	mc_config cfg;
	char *text = NULL;
	size_t len = 0;
	int rc;

	memset(&cfg, 0, sizeof cfg); /* mc_config_parse starts from the defaults */
	rc = mc_fs_read_file(&text, &len, path, MC_CONFIG_MAX_BYTES);
	if (!rc)
		rc = mc_config_parse(&cfg, text, len, path);
	free(text);
	if (!rc) {
		if (format == MC_FORMAT_JSON)
			print_config(&cfg, path, format);
		else
			printf("%s: valid\n", path);
	}
	mc_config_free(&cfg);
	return rc ? mc_cli_fail("config", rc == MC_ENOTFOUND ? MC_EINVAL : rc) : MC_EXIT_OK;
}

/* show --at REV: the configuration as committed at REV, or the defaults. */
static int show_at(const char *dir, const char *rev, enum mc_format format)
{
	mc_strbuf heading = MC_STRBUF_INIT;
	mc_config_origin origin = { 0 };
	mc_repo *repo = NULL;
	mc_config cfg;
	int rc;

	if ((rc = mc_repo_open(&repo, dir)) == 0 &&
	    (rc = mc_config_at(&cfg, &origin, repo, rev)) == 0) {
		if (origin.blob[0])
			mc_strbuf_printf(&heading, "%s:%s", rev, MC_CONFIG_PATH);
		else
			mc_strbuf_printf(&heading, "defaults (%s has no %s)", rev, MC_CONFIG_PATH);
		print_config(&cfg, heading.buf, format);
		mc_config_free(&cfg);
	}
	mc_config_origin_free(&origin);
	mc_strbuf_release(&heading);
	mc_repo_free(repo);
	return rc ? mc_cli_fail("config", rc) : MC_EXIT_OK;
}

static int run_config(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "at", required_argument, NULL, 'a' },
		{ "format", required_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	enum mc_format format = MC_FORMAT_TEXT;
	const char *dir = ".", *rev = "HEAD", *action;
	int c, at_given = 0;

	optind = 0;
	while ((c = getopt_long(argc, argv, "C:", opts, NULL)) != -1) {
		switch (c) {
		case 'C': dir = optarg; break;
		case 'a': rev = optarg; at_given = 1; break;
		case 'F':
			if (mc_cli_parse_format(optarg, &format))
				return mc_cli_usage("config", "%s", mc_error_message());
			break;
		default: return mc_cli_usage("config", "unknown option");
		}
	}
	if (optind >= argc)
		return mc_cli_usage("config", "expected an action: check or show");
	action = argv[optind++];
	if (!strcmp(action, "check")) {
		if (at_given)
			return mc_cli_usage("config", "--at goes with show");
		if (argc - optind > 1)
			return mc_cli_usage("config", "check takes one file");
		return check_file(optind < argc ? argv[optind] : MC_CONFIG_PATH, format);
	}
	if (!strcmp(action, "show")) {
		if (optind != argc)
			return mc_cli_usage("config", "show takes no file; use --at REV");
		return show_at(dir, rev, format);
	}
	return mc_cli_usage("config", "unknown action '%s' (check or show)", action);
}

const struct mc_command mc_cmd_config = {
	"config", "validate a configuration file or show the effective configuration",
	"usage: maestro config check [FILE] [--format text|json]\n"
	"       maestro config show [--at REV] [-C DIR] [--format text|json]\n\n"
	"check  validates FILE (default .maestro/config.json) against the schema and\n"
	"       prints 'valid', or one line naming the first problem and its JSON path\n"
	"       (exit 2). With --format json it prints the effective configuration.\n"
	"show   prints every key with the value a review whose base is REV (default\n"
	"       HEAD) would use: the file as committed there over the defaults, or\n"
	"       the defaults when REV has no .maestro/config.json. Reviews read the\n"
	"       configuration from the base commit, never from the change itself.\n"
	"  -C DIR    the repository (default: the current directory)\n\n"
	"Every key and its default: docs/CONFIG.md.\n",
	run_config,
};
