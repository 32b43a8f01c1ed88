/*
 * The maestro command line: the command table, exit statuses and the shared
 * option handling (--format). Each command lives in cmd_<name>.c and exports a
 * `const struct mc_command mc_cmd_<name>` listed in commands.c.
 */
#ifndef MC_CLI_CLI_H
#define MC_CLI_CLI_H

/* Exit statuses, documented in `maestro help` and README.md. */
enum mc_exit {
	MC_EXIT_OK = 0,       /* done; the gates passed */
	MC_EXIT_GATE = 1,     /* a policy gate said no, or a hold is active */
	MC_EXIT_USAGE = 2,    /* bad arguments or bad input documents */
	MC_EXIT_ENV = 3,      /* the environment is wrong: not a repository, I/O, missing tool */
	MC_EXIT_INTERNAL = 4, /* a bug or resource exhaustion in maestro */
};

enum mc_format { MC_FORMAT_TEXT = 0, MC_FORMAT_JSON };

struct mc_command {
	const char *name;
	const char *summary;  /* one line for `maestro help` */
	const char *help;     /* the full text for `maestro help <name>` */
	int (*run)(int argc, char **argv); /* argv[0] is the command name */
};

extern const struct mc_command *const mc_commands[];
const struct mc_command *mc_cli_find(const char *name);

/* Exit status for an MC_E* code. */
int mc_cli_exit_for_error(int code);
/* Print "maestro <cmd>: <current error message>" and return its exit status. */
int mc_cli_fail(const char *cmd, int code);
/* Print a usage problem and where to read more; returns MC_EXIT_USAGE. */
int mc_cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Parse the argument of --format; returns 0 or MC_EINVAL with a message. */
int mc_cli_parse_format(const char *arg, enum mc_format *out);

#endif
