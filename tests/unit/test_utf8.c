/* util/utf8: validation, and escaping of invalid bytes in strings and documents. */
#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"
#include "util/strbuf.h"
#include "util/utf8.h"

static const char *escaped(const char *s)
{
	static char out[256];
	mc_strbuf sb = MC_STRBUF_INIT;
	mc_utf8_escape_invalid(&sb, s, strlen(s));
	snprintf(out, sizeof out, "%s", mc_strbuf_str(&sb));
	mc_strbuf_release(&sb);
	return out;
}

START_TEST(length_counts_code_points_and_rejects_malformed)
{
	ck_assert_uint_eq(mc_utf8_length("abc", 3), 3);
	ck_assert_uint_eq(mc_utf8_length("h\xc3\xa9\xe2\x82\xac\xf0\x9f\x8e\xbb", 10), 4);
	ck_assert_uint_eq(mc_utf8_length("", 0), 0);
	ck_assert_uint_eq(mc_utf8_length("\xc3", 1), (size_t)-1);             /* truncated */
	ck_assert_uint_eq(mc_utf8_length("\xc0\xaf", 2), (size_t)-1);         /* overlong */
	ck_assert_uint_eq(mc_utf8_length("\xed\xa0\x80", 3), (size_t)-1);     /* surrogate */
	ck_assert_uint_eq(mc_utf8_length("\xf4\x90\x80\x80", 4), (size_t)-1); /* > U+10FFFF */
	ck_assert_uint_eq(mc_utf8_length("a\x80", 2), (size_t)-1);            /* stray continuation */
}
END_TEST

START_TEST(invalid_bytes_become_hex_escapes)
{
	ck_assert_str_eq(escaped("caf\xe9.txt"), "caf\\xE9.txt");
	ck_assert_str_eq(escaped("ok \xc3\xa9"), "ok \xc3\xa9");
	ck_assert_str_eq(escaped("\xc3(\xff"), "\\xC3(\\xFF");
	ck_assert_str_eq(escaped("\xe2\x82"), "\\xE2\\x82");
}
END_TEST

START_TEST(documents_are_escaped_everywhere)
{
	struct json_object *doc = json_object_new_object(), *arr = json_object_new_array();
	json_object_array_add(arr, json_object_new_string("a\xff"));
	json_object_object_add(doc, "list", arr);
	json_object_object_add(doc, "s", json_object_new_string("fine"));
	json_object_object_add(doc, "n", json_object_new_int(3));
	mc_utf8_escape_json(doc);
	ck_assert_str_eq(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN),
			 "{\"list\":[\"a\\\\xFF\"],\"s\":\"fine\",\"n\":3}");
	json_object_put(doc);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("utf8");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, length_counts_code_points_and_rejects_malformed);
	tcase_add_test(tc, invalid_bytes_become_hex_escapes);
	tcase_add_test(tc, documents_are_escaped_everywhere);
	suite_add_tcase(s, tc);
	return mc_test_run(s);
}
