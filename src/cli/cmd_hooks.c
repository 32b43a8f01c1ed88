/* `maestro hooks install|uninstall|path`: manage maestro's git hooks in a repository. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adapters/git/hooks.h"
#include "cli/cli.h"
#include "util/embedded.h"
#include "util/error.h"
#include "util/json.h"
#include "util/strbuf.h"

/* The hooks maestro ships, each an embedded file hooks/<name>. */
static const char *const shipped_hooks[] = { "pre-push", NULL };

/* Single-quote s for sh: 'it'\''s'. */
static void sh_quote(mc_strbuf *out, const char *s)
{
	mc_strbuf_putc(out, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			mc_strbuf_puts(out, "'\\''");
		else
			mc_strbuf_putc(out, *s);
	}
	mc_strbuf_putc(out, '\'');
}

/* The hook script with the absolute path of this maestro binary filled in. */
static int hook_script(mc_strbuf *out, const char *name)
{
	mc_strbuf file = MC_STRBUF_INIT;
	char self[PATH_MAX];
	const char *text, *at;
	ssize_t n;

	mc_strbuf_printf(&file, "hooks/%s", name);
	text = mc_embedded_get(file.buf, NULL);
	mc_strbuf_release(&file);
	if (!text)
		return MC_EINTERNAL;
	n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n < 0)
		strcpy(self, "maestro");
	else
		self[n] = '\0';
	at = strstr(text, "@MAESTRO_BIN@");
	if (!at) {
		mc_strbuf_puts(out, text);
		return 0;
	}
	mc_strbuf_add(out, text, (size_t)(at - text));
	sh_quote(out, self);
	mc_strbuf_puts(out, at + strlen("@MAESTRO_BIN@"));
	return 0;
}

static void report(struct json_object *list, enum mc_format format, const char *name,
		   const mc_hook_result *r)
{
	if (format == MC_FORMAT_JSON) {
		struct json_object *o = json_object_new_object();
		mc_json_set_string(o, "hook", name);
		mc_json_set_string(o, "path", r->path);
		mc_json_set_string(o, "action", mc_hook_action_name(r->action));
		mc_json_set_string(o, "moved_to", r->moved_to);
		json_object_array_add(list, o);
		return;
	}
	printf("%s: %s (%s)", name, mc_hook_action_name(r->action), r->path);
	if (r->action == MC_HOOK_CHAINED)
		printf("; the existing hook now runs first from %s", r->moved_to);
	else if (r->action == MC_HOOK_REPLACED)
		printf("; the existing hook was kept as %s", r->moved_to);
	else if (r->action == MC_HOOK_RESTORED)
		printf("; the hook it chained to is back in place");
	else if (r->action == MC_HOOK_LEFT_ALONE)
		printf("; it is not maestro's");
	printf("\n");
}

static int run_action(const char *action, const char *dir, int force, enum mc_format format)
{
	struct json_object *list = json_object_new_array();
	char *hooks_dir = NULL;
	int rc, i;

	if ((rc = mc_hooks_dir(&hooks_dir, dir)) != 0)
		goto out;
	if (!strcmp(action, "path")) {
		if (format == MC_FORMAT_JSON)
			printf("{\"hooks_dir\":%s}\n", json_object_to_json_string(
				json_object_new_string(hooks_dir)));
		else
			printf("%s\n", hooks_dir);
		goto out;
	}
	for (i = 0; shipped_hooks[i] && rc == 0; i++) {
		mc_hook_result r;
		mc_strbuf script = MC_STRBUF_INIT;
		if (!strcmp(action, "install")) {
			rc = hook_script(&script, shipped_hooks[i]);
			if (!rc)
				rc = mc_hooks_install(&r, hooks_dir, shipped_hooks[i], script.buf, force);
		} else {
			rc = mc_hooks_uninstall(&r, hooks_dir, shipped_hooks[i]);
		}
		if (!rc)
			report(list, format, shipped_hooks[i], &r);
		mc_hook_result_free(&r);
		mc_strbuf_release(&script);
	}
	if (!rc && format == MC_FORMAT_JSON)
		printf("%s\n", mc_json_dump(list, 1));
out:
	json_object_put(list);
	free(hooks_dir);
	return rc ? mc_cli_fail("hooks", rc) : MC_EXIT_OK;
}

static int run_hooks(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "format", required_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	enum mc_format format = MC_FORMAT_TEXT;
	const char *dir = ".";
	int force = 0, c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "C:f", opts, NULL)) != -1) {
		switch (c) {
		case 'C': dir = optarg; break;
		case 'f': force = 1; break;
		case 'F':
			if (mc_cli_parse_format(optarg, &format))
				return mc_cli_usage("hooks", "%s", mc_error_message());
			break;
		default: return mc_cli_usage("hooks", "unknown option");
		}
	}
	if (optind != argc - 1)
		return mc_cli_usage("hooks", "expected one action: install, uninstall or path");
	if (strcmp(argv[optind], "install") && strcmp(argv[optind], "uninstall") &&
	    strcmp(argv[optind], "path"))
		return mc_cli_usage("hooks", "unknown action '%s'", argv[optind]);
	if (force && strcmp(argv[optind], "install"))
		return mc_cli_usage("hooks", "--force goes with install");
	return run_action(argv[optind], dir, force, format);
}

const struct mc_command mc_cmd_hooks = {
	"hooks", "install or remove maestro's git hooks",
	"usage: maestro hooks install [--force] [-C DIR] [--format text|json]\n"
	"       maestro hooks uninstall [-C DIR] [--format text|json]\n"
	"       maestro hooks path [-C DIR]\n\n"
	"install   writes the pre-push hook into the repository's hooks directory\n"
	"          (core.hooksPath when set). A hook that is already there and is not\n"
	"          maestro's is never overwritten: it is renamed to <hook>.pre-maestro\n"
	"          and maestro's hook runs it first, with the same arguments and input.\n"
	"          Installing again updates maestro's hook in place.\n"
	"  --force       set an existing foreign hook aside as <hook>.maestro-backup\n"
	"                instead of chaining to it\n"
	"uninstall removes maestro's hooks and puts a chained hook back.\n"
	"path      prints the hooks directory.\n"
	"  -C DIR        the repository (default: the current directory)\n\n"
	"The pre-push hook runs `maestro hook pre-push`: it reviews each pushed range\n"
	"and blocks the push only when a policy gate says no, with the reason.\n",
	run_hooks,
};
