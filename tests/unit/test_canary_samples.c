/*
 * Unit tests for the shadow canary's sample parser (pipeline/canary.h,
 * mc_canary_parse_samples): the run command's stdout is untrusted, so only
 * JSON objects of valid metric names to numbers become samples.
 */
#include <string.h>

#include "pipeline/canary.h"
#include "testutil.h"
#include "util/json.h"

static size_t parse(struct json_object *samples, const char *text, int truncated, size_t *ignored)
{
	*ignored = 0;
	return mc_canary_parse_samples(samples, text, strlen(text), truncated, ignored);
}

START_TEST(keeps_numeric_members)
{
	struct json_object *s = json_object_new_array(), *first;
	size_t ignored;
	const char *out = "{\"latency_ms\": 12.5, \"errors\": 0, \"name\": \"x\", \"ok\": true}\r\n"
			  "starting\n"
			  "\n"
			  "[1, 2]\n"
			  "{\"bad name\": 1, \"nested\": {\"a\": 1}}\n"
			  "{\"p99/ms\": 40, \"db:queries\": 3}";
	ck_assert_uint_eq(parse(s, out, 0, &ignored), 2);
	ck_assert_uint_eq(ignored, 3);
	first = json_object_array_get_idx(s, 0);
	ck_assert_int_eq(json_object_object_length(first), 2);
	ck_assert(json_object_get_double(mc_json_get(first, "latency_ms")) == 12.5);
	ck_assert(json_object_get_double(mc_json_get(first, "errors")) == 0);
	ck_assert(json_object_get_double(mc_json_get(json_object_array_get_idx(s, 1), "p99/ms")) == 40);
	json_object_put(s);
}
END_TEST

START_TEST(truncated_last_line_is_dropped)
{
	struct json_object *s = json_object_new_array();
	size_t ignored;
	ck_assert_uint_eq(parse(s, "{\"a\": 1}\n{\"a\": 2}", 1, &ignored), 1);
	ck_assert_uint_eq(ignored, 1);
	/* Not truncated: a last line without a newline counts. */
	ck_assert_uint_eq(parse(s, "{\"a\": 1}\n{\"a\": 2}", 0, &ignored), 2);
	ck_assert_uint_eq(ignored, 0);
	json_object_put(s);
}
END_TEST

START_TEST(metric_names_are_bounded)
{
	struct json_object *s = json_object_new_array();
	char line[512];
	size_t ignored;
	memset(line, 0, sizeof line);
	strcpy(line, "{\"");
	memset(line + 2, 'a', MC_CANARY_NAME_MAX + 1);
	strcat(line, "\": 1}");
	ck_assert_uint_eq(parse(s, line, 0, &ignored), 0);
	ck_assert_uint_eq(ignored, 1);
	json_object_put(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("canary_samples");
	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, keeps_numeric_members);
	tcase_add_test(tc, truncated_last_line_is_dropped);
	tcase_add_test(tc, metric_names_are_bounded);
	suite_add_tcase(s, tc);
	return mc_test_run(s);
}
