/* Shared CLI plumbing: command lookup, error to exit-status mapping, --format. */
#include "cli/cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/error.h"

const struct mc_command *mc_cli_find(const char *name)
{
	const struct mc_command *const *c;
	for (c = mc_commands; *c; c++)
		if (!strcmp((*c)->name, name))
			return *c;
	return NULL;
}

int mc_cli_exit_for_error(int code)
{
	switch (code) {
	case MC_OK:
		return MC_EXIT_OK;
	case MC_EVERIFY: /* evidence that does not verify is a "no", like a failed gate */
		return MC_EXIT_GATE;
	case MC_EINVAL:
	case MC_ENOTFOUND:
	case MC_ECONFIG:
	case MC_ELIMIT:
	case MC_EEMPTY:
		return MC_EXIT_USAGE;
	case MC_EIO:
	case MC_EGIT:
	case MC_EDB:
	case MC_EENV:
		return MC_EXIT_ENV;
	default:
		return MC_EXIT_INTERNAL;
	}
}

int mc_cli_fail(const char *cmd, int code)
{
	fprintf(stderr, "maestro %s: %s\n", cmd, mc_error_message());
	return mc_cli_exit_for_error(code);
}

int mc_cli_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "maestro %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see `maestro help %s`)\n", cmd);
	return MC_EXIT_USAGE;
}

int mc_cli_parse_format(const char *arg, enum mc_format *out)
{
	if (!strcmp(arg, "text"))
		*out = MC_FORMAT_TEXT;
	else if (!strcmp(arg, "json"))
		*out = MC_FORMAT_JSON;
	else
		return mc_error_set(MC_EINVAL, "--format must be text or json, not '%s'", arg);
	return 0;
}
