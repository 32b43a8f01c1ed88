/*
 * The slash-command parser; see slash.h. Every /maestro line becomes exactly
 * one command, valid or not, so the bot can answer each line: a valid one is
 * carried out, an invalid one gets a short reply naming the fix.
 */
#include "model/slash.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/alloc.h"
#include "util/error.h"
#include "util/strbuf.h"
#include "util/utf8.h"

static const char help_text[] =
	"Maestro commands (one per line, in any comment on the pull request):\n"
	"\n"
	"| command | what it does | who |\n"
	"|---|---|---|\n"
	"| `/maestro priority raise <reason>` | raise the priority by one | write access |\n"
	"| `/maestro priority drop <reason>` | lower the priority by one | write access |\n"
	"| `/maestro priority set <n> <reason>` | set the priority to n | write access |\n"
	"| `/maestro hold <reason>` | hold the release of this change | auditors |\n"
	"| `/maestro unhold <reason>` | lift the hold | auditors |\n"
	"| `/maestro recompute` | review the change again now | anyone |\n"
	"| `/maestro explain` | show how the score and risk were computed | anyone |\n"
	"| `/maestro canary` | run the shadow canary on this change | write access |\n"
	"| `/maestro offer <json>` | submit an agent offer | agents |\n"
	"| `/maestro help` | this table | anyone |\n"
	"\n"
	"Every override needs a reason; it is recorded as signed evidence with who and when.\n";

const char *mc_slash_help(void)
{
	return help_text;
}

const char *mc_slash_kind_name(mc_slash_kind kind)
{
	switch (kind) {
	case MC_SLASH_PRIORITY_RAISE:
		return "priority raise";
	case MC_SLASH_PRIORITY_DROP:
		return "priority drop";
	case MC_SLASH_PRIORITY_SET:
		return "priority set";
	case MC_SLASH_HOLD:
		return "hold";
	case MC_SLASH_UNHOLD:
		return "unhold";
	case MC_SLASH_RECOMPUTE:
		return "recompute";
	case MC_SLASH_EXPLAIN:
		return "explain";
	case MC_SLASH_HELP:
		return "help";
	case MC_SLASH_CANARY:
		return "canary";
	case MC_SLASH_OFFER:
		return "offer";
	case MC_SLASH_INVALID:
		break;
	}
	return "invalid";
}

/* The words a command line may start with, for "did you mean". */
static const char *const command_words[] = {
	"priority", "hold", "unhold", "recompute", "explain", "help", "canary", "offer",
};

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* A cursor over one line. */
typedef struct cursor {
	const char *p, *end;
} cursor;

static void skip_blanks(cursor *c)
{
	while (c->p < c->end && is_blank(*c->p))
		c->p++;
}

/* The next word, lowercased into buf (cut to its size); empty at the end. */
static void next_word(cursor *c, char *buf, size_t size)
{
	size_t n = 0;

	skip_blanks(c);
	while (c->p < c->end && !is_blank(*c->p)) {
		if (n + 1 < size)
			buf[n++] = (char)tolower((unsigned char)*c->p);
		c->p++;
	}
	buf[n] = '\0';
}

/* The rest of the line without surrounding blanks. */
static char *rest_of_line(cursor *c)
{
	const char *end = c->end;

	skip_blanks(c);
	while (end > c->p && is_blank(end[-1]))
		end--;
	return mc_xstrndup(c->p, (size_t)(end - c->p));
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), prev[32], cur[32];

	if (la >= 31 || lb >= 31)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, sizeof prev);
	}
	return prev[lb];
}

static const char *closest(const char *word, const char *const *words, size_t n)
{
	const char *best = NULL;
	size_t best_d = 3; /* suggest only near misses */

	for (size_t i = 0; i < n; i++) {
		size_t d = edit_distance(word, words[i]);
		if (d < best_d) {
			best_d = d;
			best = words[i];
		}
	}
	return best;
}

static void set_error(mc_slash_command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_error(mc_slash_command *cmd, const char *fmt, ...)
{
	mc_strbuf sb = MC_STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	mc_strbuf_vprintf(&sb, fmt, ap);
	va_end(ap);
	cmd->kind = MC_SLASH_INVALID;
	free(cmd->error);
	cmd->error = mc_strbuf_detach(&sb);
	free(cmd->reason);
	cmd->reason = NULL;
	free(cmd->argument);
	cmd->argument = NULL;
}

/* A reason: required, not blank, bounded, UTF-8, no control characters but tab. */
static int take_reason(mc_slash_command *cmd, cursor *c, const char *usage)
{
	char *reason = rest_of_line(c);
	size_t n = strlen(reason);

	free(cmd->reason);
	cmd->reason = reason;
	if (n == 0) {
		set_error(cmd, "a reason is required: `%s`", usage);
		return -1;
	}
	if (n > MC_SLASH_REASON_MAX) {
		set_error(cmd, "the reason is %zu bytes; keep it under %d", n, MC_SLASH_REASON_MAX);
		return -1;
	}
	if (mc_utf8_length(reason, n) == (size_t)-1) {
		set_error(cmd, "the reason is not valid UTF-8");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)reason[i];
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
			set_error(cmd, "the reason contains a control character (byte 0x%02x)", ch);
			return -1;
		}
	}
	return 0;
}

/* A decimal integer in [min, max], nothing else. */
static int parse_int(int *out, const char *word, int min, int max)
{
	char *end;
	long v;

	if (!*word)
		return -1;
	errno = 0;
	v = strtol(word, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

static void parse_priority(mc_slash_command *cmd, cursor *c, int min, int max)
{
	char action[16], number[24];

	next_word(c, action, sizeof action);
	if (strcmp(action, "raise") == 0) {
		cmd->kind = MC_SLASH_PRIORITY_RAISE;
		take_reason(cmd, c, "/maestro priority raise <reason>");
	} else if (strcmp(action, "drop") == 0) {
		cmd->kind = MC_SLASH_PRIORITY_DROP;
		take_reason(cmd, c, "/maestro priority drop <reason>");
	} else if (strcmp(action, "set") == 0) {
		next_word(c, number, sizeof number);
		if (parse_int(&cmd->value, number, min, max) != 0) {
			set_error(cmd, "`priority set` takes a whole number from %d to %d, then a "
				       "reason: `/maestro priority set 3 <reason>`",
				  min, max);
			return;
		}
		cmd->kind = MC_SLASH_PRIORITY_SET;
		take_reason(cmd, c, "/maestro priority set <n> <reason>");
	} else {
		static const char *const actions[] = {"raise", "drop", "set"};
		const char *guess = *action ? closest(action, actions, 3) : NULL;
		if (guess)
			set_error(cmd, "unknown priority action '%s'; did you mean `/maestro "
				       "priority %s`?",
				  action, guess);
		else
			set_error(cmd, "`priority` needs raise, drop or set: `/maestro priority "
				       "raise <reason>`");
	}
}

static void parse_command(mc_slash_command *cmd, cursor *c, int min, int max)
{
	char word[32];

	next_word(c, word, sizeof word);
	if (!*word) {
		set_error(cmd, "no command after /maestro; `/maestro help` lists them");
	} else if (strcmp(word, "priority") == 0) {
		parse_priority(cmd, c, min, max);
	} else if (strcmp(word, "hold") == 0) {
		cmd->kind = MC_SLASH_HOLD;
		take_reason(cmd, c, "/maestro hold <reason>");
	} else if (strcmp(word, "unhold") == 0) {
		cmd->kind = MC_SLASH_UNHOLD;
		take_reason(cmd, c, "/maestro unhold <reason>");
	} else if (strcmp(word, "recompute") == 0) {
		cmd->kind = MC_SLASH_RECOMPUTE;
	} else if (strcmp(word, "explain") == 0) {
		cmd->kind = MC_SLASH_EXPLAIN;
	} else if (strcmp(word, "help") == 0) {
		cmd->kind = MC_SLASH_HELP;
	} else if (strcmp(word, "canary") == 0) {
		cmd->kind = MC_SLASH_CANARY;
	} else if (strcmp(word, "offer") == 0) {
		cmd->kind = MC_SLASH_OFFER;
		cmd->argument = rest_of_line(c);
		if (!*cmd->argument)
			set_error(cmd, "`offer` takes the offer as JSON: `/maestro offer {...}`");
	} else {
		const char *guess = closest(word, command_words,
					    sizeof command_words / sizeof command_words[0]);
		if (guess)
			set_error(cmd, "unknown command '%s'; did you mean `/maestro %s`?", word,
				  guess);
		else
			set_error(cmd, "unknown command '%.32s'; `/maestro help` lists the commands",
				  word);
	}
}

/* Where the prefix ends when line starts with "/maestro" as a whole word, else NULL. */
static const char *after_prefix(const char *p, const char *end)
{
	size_t n = sizeof MC_SLASH_PREFIX - 1;

	while (p < end && is_blank(*p))
		p++;
	if ((size_t)(end - p) < n || strncasecmp(p, MC_SLASH_PREFIX, n) != 0)
		return NULL;
	p += n;
	if (p < end && !is_blank(*p))
		return NULL; /* "/maestrox" */
	return p;
}

/* A fence line (``` or ~~~ after up to three spaces) opens or closes a code block. */
static int is_fence(const char *p, const char *end)
{
	int spaces = 0;

	while (p < end && *p == ' ' && spaces < 4) {
		p++;
		spaces++;
	}
	return spaces < 4 && end - p >= 3 &&
	       (strncmp(p, "```", 3) == 0 || strncmp(p, "~~~", 3) == 0);
}

static int is_quote(const char *p, const char *end)
{
	while (p < end && is_blank(*p))
		p++;
	return p < end && *p == '>';
}

static void add_line(mc_slash_parse *out, size_t *alloc, const char *line, const char *end,
		     const char *args, size_t lineno, int min, int max)
{
	mc_slash_command *cmd;
	cursor c = {args, end};
	size_t len;

	if (out->n == MC_SLASH_MAX_COMMANDS) {
		out->ignored++;
		return;
	}
	mc_xgrow((void **)&out->commands, alloc, out->n + 1, sizeof *out->commands);
	cmd = &out->commands[out->n++];
	memset(cmd, 0, sizeof *cmd);
	cmd->line = lineno;
	while (line < end && is_blank(*line))
		line++;
	len = (size_t)(end - line);
	cmd->text = mc_xstrndup(line, len < MC_SLASH_LINE_MAX ? len : MC_SLASH_LINE_MAX);
	if (len > MC_SLASH_LINE_MAX)
		set_error(cmd, "the command line is %zu bytes; keep it under %d", len,
			  MC_SLASH_LINE_MAX);
	else if (memchr(line, '\0', len))
		set_error(cmd, "the command line contains a NUL byte");
	else
		parse_command(cmd, &c, min, max);
}

int mc_slash_parse_comment(mc_slash_parse *out, const char *body, size_t len, int min_priority,
			   int max_priority)
{
	const char *p = body, *end = body + len;
	size_t lineno = 0, alloc = 0;
	int in_fence = 0;

	memset(out, 0, sizeof *out);
	if (len > MC_SLASH_COMMENT_MAX)
		return mc_error_set(MC_ELIMIT, "comment of %zu bytes (limit %u)", len,
				    MC_SLASH_COMMENT_MAX);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = nl ? nl : end, *args;

		lineno++;
		if (line_end > p && line_end[-1] == '\r')
			line_end--;
		if (is_fence(p, line_end))
			in_fence = !in_fence;
		else if (!in_fence && !is_quote(p, line_end) &&
			 (args = after_prefix(p, line_end)) != NULL)
			add_line(out, &alloc, p, line_end, args, lineno, min_priority,
				 max_priority);
		p = nl ? nl + 1 : end;
	}
	return 0;
}

void mc_slash_parse_free(mc_slash_parse *parse)
{
	if (!parse)
		return;
	for (size_t i = 0; i < parse->n; i++) {
		free(parse->commands[i].text);
		free(parse->commands[i].reason);
		free(parse->commands[i].argument);
		free(parse->commands[i].error);
	}
	free(parse->commands);
	memset(parse, 0, sizeof *parse);
}
