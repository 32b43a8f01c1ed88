/* Unit tests for trailer and label interpretation (model/signals). */
#include <stdio.h>
#include <string.h>

#include "model/signals.h"
#include "testutil.h"

static const mc_signal *find(const mc_signals *s, enum mc_signal_kind kind)
{
	size_t i;
	for (i = 0; i < s->n; i++)
		if (s->items[i].kind == kind)
			return &s->items[i];
	return NULL;
}

START_TEST(recognises_maestro_trailers_case_insensitively)
{
	mc_signals s = { 0 };
	ck_assert_int_eq(mc_signals_add_trailer(&s, "maestro-value", "$1,200.50", "abc1234", "a@x"), 1);
	ck_assert_int_eq(mc_signals_add_trailer(&s, "Fixes", "#42", "abc1234", "a@x"), 1);
	ck_assert_int_eq(mc_signals_add_trailer(&s, "Signed-off-by", "A <a@x>", "abc1234", "a@x"), 0);
	ck_assert_uint_eq(s.n, 2);
	ck_assert_double_eq_tol(find(&s, MC_SIG_REVENUE_USD)->amount, 1200.5, 1e-9);
	ck_assert_str_eq(find(&s, MC_SIG_DEFECT)->ref, "#42");
	ck_assert(strstr(find(&s, MC_SIG_DEFECT)->source, "abc1234") != NULL);
	ck_assert_uint_eq(s.warnings.n, 0);
	mc_signals_free(&s);
}
END_TEST

START_TEST(refuses_bad_amounts_with_a_warning)
{
	static const char *const bad[] = { "abc", "-5", "nan", "inf", "1e3", "2000000000", "12 apples", "1.2.3", "", "0x10" };
	mc_signals s = { 0 };
	size_t i;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_int_eq(mc_signals_add_trailer(&s, "Maestro-LLM-USD", bad[i], "c0ffee1", NULL), 1);
	ck_assert_uint_eq(s.n, 0);
	ck_assert_uint_eq(s.warnings.n, sizeof bad / sizeof bad[0]);
	ck_assert(strstr(s.warnings.items[0], "Maestro-LLM-USD") != NULL);
	ck_assert(strstr(s.warnings.items[0], "c0ffee1") != NULL);
	mc_signals_free(&s);
}
END_TEST

START_TEST(self_approval_does_not_count)
{
	mc_signals s = { 0 };
	mc_signals_add_trailer(&s, "Reviewed-by", "Ann <ann@example.com>", "c1", "ann@example.com");
	mc_signals_add_trailer(&s, "Acked-by", "Bob <bob@example.com>", "c1", "ann@example.com");
	ck_assert_uint_eq(s.n, 1);
	ck_assert_str_eq(s.items[0].ref, "bob@example.com");
	ck_assert_uint_eq(s.warnings.n, 1);
	mc_signals_free(&s);
}
END_TEST

START_TEST(labels_match_case_insensitively)
{
	char *names_arr[] = { "bug", "fix" };
	mc_string_list names = { names_arr, 2 };
	mc_signals s = { 0 };
	const mc_signal *which = NULL;
	mc_signals_add_label(&s, "Bug", "--label");
	mc_signals_add_label(&s, "line\nbreak", "--label");
	ck_assert_int_eq(mc_signals_has_label(&s, &names, &which), 1);
	ck_assert_str_eq(which->ref, "Bug");
	ck_assert_uint_eq(s.warnings.n, 1);
	mc_signals_free(&s);
}
END_TEST

START_TEST(control_characters_and_long_values_are_refused)
{
	char longv[400];
	mc_signals s = { 0 };
	memset(longv, 'x', sizeof longv - 1);
	longv[sizeof longv - 1] = '\0';
	mc_signals_add_trailer(&s, "Fixes", longv, "c1", NULL);
	mc_signals_add_trailer(&s, "Fixes", "a\x01" "b", "c1", NULL);
	ck_assert_uint_eq(s.n, 0);
	ck_assert_uint_eq(s.warnings.n, 2);
	mc_signals_free(&s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("signals");
	TCase *tc = tcase_create("trailers");
	tcase_add_test(tc, recognises_maestro_trailers_case_insensitively);
	tcase_add_test(tc, refuses_bad_amounts_with_a_warning);
	tcase_add_test(tc, self_approval_does_not_count);
	tcase_add_test(tc, labels_match_case_insensitively);
	tcase_add_test(tc, control_characters_and_long_values_are_refused);
	suite_add_tcase(s, tc);
	return mc_test_run(s);
}
