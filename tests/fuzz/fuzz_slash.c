/*
 * libFuzzer target: arbitrary bytes as a pull request comment. Parsing must never
 * crash, leak or trip a sanitizer, and what it returns must keep the parser's
 * promises: at most MC_SLASH_MAX_COMMANDS commands, each with its line number and
 * text (at most MC_SLASH_LINE_MAX bytes); an invalid one carries an error; a valid
 * priority/hold/unhold one carries a non-blank UTF-8 reason within the limit and a
 * set priority within its range. Built and run by tests/fuzz/run (not part of CTest).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/slash.h"
#include "util/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_reason(const mc_slash_command *c)
{
	size_t n;

	if (!c->reason)
		abort();
	n = strlen(c->reason);
	if (n == 0 || n > MC_SLASH_REASON_MAX || mc_utf8_length(c->reason, n) == (size_t)-1 ||
	    c->reason[0] == ' ' || c->reason[n - 1] == ' ')
		abort();
}

static void check(const mc_slash_command *c)
{
	if (c->line == 0 || !c->text || strlen(c->text) > MC_SLASH_LINE_MAX)
		abort();
	switch (c->kind) {
	case MC_SLASH_INVALID:
		if (!c->error || !*c->error)
			abort();
		break;
	case MC_SLASH_PRIORITY_SET:
		if (c->value < -3 || c->value > 20)
			abort();
		check_reason(c);
		break;
	case MC_SLASH_PRIORITY_RAISE:
	case MC_SLASH_PRIORITY_DROP:
	case MC_SLASH_HOLD:
	case MC_SLASH_UNHOLD:
		check_reason(c);
		break;
	case MC_SLASH_OFFER:
		if (!c->argument || !*c->argument)
			abort();
		break;
	default:
		if (c->error)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mc_slash_parse p;

	if (mc_slash_parse_comment(&p, (const char *)data, size, -3, 20) != 0)
		return 0;
	if (p.n > MC_SLASH_MAX_COMMANDS)
		abort();
	for (size_t i = 0; i < p.n; i++) {
		check(&p.commands[i]);
		if (i > 0 && p.commands[i].line <= p.commands[i - 1].line)
			abort();
	}
	mc_slash_parse_free(&p);
	return 0;
}
