/*
 * Slash-commands in pull request comments: `/maestro <command> ...`, one per
 * line, parsed into typed commands or a short explanation of what is wrong and
 * what would work. Pure: no forge, no permission checks (pipeline/slash.c does
 * those). A comment is untrusted text of any size; only lines that start with
 * "/maestro" (case-insensitive, after spaces) count, and never inside a fenced
 * code block or a quote ("> "), so quoting someone's command does not run it.
 *
 *   /maestro priority raise <reason>     /maestro hold <reason>
 *   /maestro priority drop <reason>      /maestro unhold <reason>
 *   /maestro priority set <n> <reason>   /maestro recompute
 *   /maestro explain                     /maestro help
 *   /maestro canary                      /maestro offer <json>
 */
#ifndef MC_MODEL_SLASH_H
#define MC_MODEL_SLASH_H
#include <stddef.h>

#define MC_SLASH_PREFIX "/maestro"
/* Comments longer than this are refused as a whole (GitHub's own limit is 65,536
 * characters; the daemon still meets bigger bodies from other forges and tests). */
#define MC_SLASH_COMMENT_MAX (1u << 20)
/* Commands read from one comment; the rest are reported as ignored. */
#define MC_SLASH_MAX_COMMANDS 10
/* Longest command line and reason accepted. */
#define MC_SLASH_LINE_MAX 8192
#define MC_SLASH_REASON_MAX 4096

typedef enum mc_slash_kind {
	MC_SLASH_INVALID = 0,   /* a /maestro line that is not a valid command: see error */
	MC_SLASH_PRIORITY_RAISE,
	MC_SLASH_PRIORITY_DROP,
	MC_SLASH_PRIORITY_SET,
	MC_SLASH_HOLD,
	MC_SLASH_UNHOLD,
	MC_SLASH_RECOMPUTE,
	MC_SLASH_EXPLAIN,
	MC_SLASH_HELP,
	MC_SLASH_CANARY,
	MC_SLASH_OFFER,
} mc_slash_kind;

typedef struct mc_slash_command {
	mc_slash_kind kind;
	size_t line;        /* 1-based line of the comment */
	char *text;         /* the command line as written (trimmed, at most LINE_MAX bytes) */
	char *reason;       /* priority, hold, unhold: the reason (required, not blank) */
	int value;          /* priority set: the new priority */
	char *argument;     /* offer: the JSON text */
	char *error;        /* MC_SLASH_INVALID: what is wrong and what would work */
} mc_slash_command;

typedef struct mc_slash_parse {
	mc_slash_command *commands;
	size_t n;
	size_t ignored;     /* command lines beyond MC_SLASH_MAX_COMMANDS */
} mc_slash_parse;

/*
 * Parse a comment body of len bytes (need not be NUL-terminated). Always succeeds
 * for any bytes up to MC_SLASH_COMMENT_MAX (a mistyped command is a command of kind
 * MC_SLASH_INVALID); MC_ELIMIT beyond. priority set takes an integer in
 * [min_priority, max_priority]. Free with mc_slash_parse_free.
 */
int mc_slash_parse_comment(mc_slash_parse *out, const char *body, size_t len, int min_priority,
			   int max_priority);
void mc_slash_parse_free(mc_slash_parse *parse);

/* The command's name as written in help ("priority raise", "hold", ...). */
const char *mc_slash_kind_name(mc_slash_kind kind);

/* The help text (Markdown) listing every command, for `/maestro help` and replies. */
const char *mc_slash_help(void);

#endif
