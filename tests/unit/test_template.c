/* Unit tests for the Mustache-subset renderer used by the Decision Card. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "util/error.h"
#include "util/json.h"
#include "util/template.h"

static char *render(const char *tmpl, const char *json)
{
	struct json_object *data = json_tokener_parse(json);
	mc_strbuf sb = MC_STRBUF_INIT;
	int rc = mc_template_render(&sb, tmpl, data);
	json_object_put(data);
	if (rc) {
		mc_strbuf_release(&sb);
		return NULL;
	}
	return mc_strbuf_detach(&sb);
}

#define ck_render(tmpl, json, want)                 \
	do {                                        \
		char *got_ = render(tmpl, json);    \
		ck_assert_ptr_nonnull(got_);        \
		ck_assert_str_eq(got_, want);       \
		free(got_);                         \
	} while (0)

START_TEST(values_and_paths)
{
	ck_render("a {{x}} b {{y.z}} c", "{\"x\":1,\"y\":{\"z\":\"q\"}}", "a 1 b q c");
	ck_render("[{{missing}}]", "{}", "[]");
}
END_TEST

START_TEST(escapes_untrusted_markdown)
{
	ck_render("{{t}}", "{\"t\":\"@team <!-- x --> [a](b) | c\\nd\"}",
		  "\\@team &lt;\\!-- x --&gt; \\[a\\]\\(b\\) \\| c d");
	ck_render("{{{t}}}", "{\"t\":\"**bold**\"}", "**bold**");
}
END_TEST

START_TEST(sections_iterate_and_invert)
{
	ck_render("{{#xs}}<{{n}}>{{/xs}}", "{\"xs\":[{\"n\":1},{\"n\":2}]}", "<1><2>");
	ck_render("{{#xs}}{{.}},{{/xs}}", "{\"xs\":[\"a\",\"b\"]}", "a,b,");
	ck_render("{{^xs}}none{{/xs}}", "{\"xs\":[]}", "none");
	ck_render("{{#o}}{{v}} {{top}}{{/o}}", "{\"o\":{\"v\":1},\"top\":2}", "1 2");
	ck_render("{{#f}}yes{{/f}}{{^f}}no{{/f}}", "{\"f\":false}", "no");
}
END_TEST

START_TEST(standalone_tags_leave_no_blank_lines)
{
	ck_render("a\n{{#xs}}\n- {{.}}\n{{/xs}}\nb\n", "{\"xs\":[1,2]}", "a\n- 1\n- 2\nb\n");
}
END_TEST

START_TEST(nested_same_name_sections)
{
	ck_render("{{#a}}{{#a}}x{{/a}}{{/a}}", "{\"a\":true}", "x");
}
END_TEST

START_TEST(filters_format_numbers)
{
	ck_render("{{v|usd}} {{p|pct}} {{n|int}} {{s|short}} {{z|usd}}",
		  "{\"v\":1234.5,\"p\":0.4234,\"n\":12345,\"s\":\"0123456789abcdef\",\"z\":null}",
		  "$1,234.50 42.3 % 12,345 0123456789 n/a");
	ck_render("{{v|usd}}", "{\"v\":-5}", "-$5.00");
	ck_render("{{a|num}} {{b|num}} {{c|num}} {{d|num}}",
		  "{\"a\":0.70412,\"b\":12,\"c\":1121,\"d\":-25000.4}", "0.704 12 1,121 -25,000");
}
END_TEST

START_TEST(malformed_templates_name_the_line)
{
	ck_assert_ptr_null(render("ok\n{{#a}}open", "{}"));
	ck_assert(strstr(mc_error_message(), "line 2") != NULL);
	ck_assert_ptr_null(render("{{x", "{}"));
	ck_assert_ptr_null(render("{{x|bogus}}", "{\"x\":1}"));
	ck_assert(strstr(mc_error_message(), "unknown filter") != NULL);
	ck_assert_ptr_null(render("{{/x}}", "{}"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("template");
	TCase *tc = tcase_create("render");
	tcase_add_test(tc, values_and_paths);
	tcase_add_test(tc, escapes_untrusted_markdown);
	tcase_add_test(tc, sections_iterate_and_invert);
	tcase_add_test(tc, standalone_tags_leave_no_blank_lines);
	tcase_add_test(tc, nested_same_name_sections);
	tcase_add_test(tc, filters_format_numbers);
	tcase_add_test(tc, malformed_templates_name_the_line);
	suite_add_tcase(s, tc);
	return mc_test_run(s);
}
