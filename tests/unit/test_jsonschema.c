/* Unit tests for util/jsonschema: every keyword valid and invalid, error paths, $ref, schema checks. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "util/embedded.h"
#include "util/error.h"
#include "util/json.h"
#include "util/jsonschema.h"

/* Test documents include bare scalars ("1"), which json-c completes only at a
 * terminator: parse the NUL-terminated string. */
static struct json_object *parse(const char *text)
{
	enum json_tokener_error err;
	struct json_object *o = json_tokener_parse_verbose(text, &err);
	ck_assert_msg(err == json_tokener_success, "bad test JSON: %s", text);
	return o;
}

/* Validate doc against schema (both JSON text); returns the code. */
static int check(const char *schema_text, const char *doc_text)
{
	struct json_object *schema = parse(schema_text), *doc = parse(doc_text);
	int rc;
	mc_error_clear();
	rc = mc_jsonschema_validate(schema, doc, "doc");
	json_object_put(schema);
	json_object_put(doc);
	return rc;
}

#define VALID(s, d) ck_assert_msg(check(s, d) == 0, "%s should accept %s: %s", s, d, mc_error_message())
#define INVALID(s, d, msg)                                                              \
	do {                                                                            \
		ck_assert_msg(check(s, d) == MC_EINVAL, "%s should reject %s", s, d);   \
		ck_assert_str_eq(mc_error_message(), msg);                              \
	} while (0)

START_TEST(type_single_and_list)
{
	VALID("{\"type\":\"string\"}", "\"x\"");
	VALID("{\"type\":\"number\"}", "1");
	VALID("{\"type\":\"number\"}", "1.5");
	VALID("{\"type\":\"integer\"}", "3");
	VALID("{\"type\":\"integer\"}", "3.0");
	VALID("{\"type\":\"boolean\"}", "false");
	VALID("{\"type\":\"null\"}", "null");
	VALID("{\"type\":\"array\"}", "[]");
	VALID("{\"type\":\"object\"}", "{}");
	VALID("{\"type\":[\"number\",\"null\"]}", "null");
	VALID("{\"type\":[\"number\",\"null\"]}", "2");
	INVALID("{\"type\":\"number\"}", "\"2\"", "doc: /: expected number, got string");
	INVALID("{\"type\":\"integer\"}", "2.5", "doc: /: expected integer, got number");
	INVALID("{\"type\":\"string\"}", "null", "doc: /: expected string, got null");
	INVALID("{\"type\":\"object\"}", "[1]", "doc: /: expected object, got array");
	INVALID("{\"type\":\"boolean\"}", "0", "doc: /: expected boolean, got number");
	INVALID("{\"type\":[\"number\",\"null\"]}", "true",
		"doc: /: expected number or null, got boolean");
}
END_TEST

START_TEST(properties_and_paths)
{
	const char *s = "{\"type\":\"object\",\"properties\":{\"policy\":{\"type\":\"object\","
			"\"additionalProperties\":false,\"properties\":{\"max_risk\":{\"type\":\"number\"}}}}}";
	VALID(s, "{\"policy\":{\"max_risk\":0.5}}");
	VALID(s, "{\"other\":1}");
	INVALID(s, "{\"policy\":{\"max_risk\":\"high\"}}",
		"doc: /policy/max_risk: expected number, got string");
	INVALID(s, "{\"policy\":{\"max_rsk\":1}}", "doc: /policy: unknown key 'max_rsk'");
}
END_TEST

START_TEST(additional_properties_schema)
{
	const char *s = "{\"properties\":{\"a\":{}},\"additionalProperties\":{\"type\":\"integer\"}}";
	VALID(s, "{\"a\":\"anything\",\"b\":1,\"c\":2}");
	INVALID(s, "{\"b\":\"x\"}", "doc: /b: expected integer, got string");
	VALID("{\"additionalProperties\":true}", "{\"z\":1}");
	INVALID("{\"additionalProperties\":false}", "{\"z\":1}", "doc: /: unknown key 'z'");
	/* keywords for objects do not apply to other types */
	VALID("{\"additionalProperties\":false,\"required\":[\"a\"]}", "5");
}
END_TEST

START_TEST(pointer_escaping_and_control_chars)
{
	const char *s = "{\"additionalProperties\":{\"additionalProperties\":false}}";
	INVALID(s, "{\"a/b\":{\"x\":1}}", "doc: /a~1b: unknown key 'x'");
	INVALID(s, "{\"a~b\":{\"x\":1}}", "doc: /a~0b: unknown key 'x'");
	INVALID(s, "{\"t\\tab\":{\"e\\u001b[31m\":1}}", "doc: /t\\u0009ab: unknown key 'e\\u001b[31m'");
	INVALID(s, "{\"q\":{\"it's\":1}}", "doc: /q: unknown key 'it\\'s'");
}
END_TEST

START_TEST(long_keys_are_shortened)
{
	char doc[300];
	struct json_object *schema = parse("{\"additionalProperties\":false}"), *d;
	memset(doc, 0, sizeof doc);
	strcpy(doc, "{\"");
	memset(doc + 2, 'k', 200);
	strcpy(doc + 202, "\":1}");
	d = parse(doc);
	ck_assert_int_eq(mc_jsonschema_validate(schema, d, "doc"), MC_EINVAL);
	ck_assert(strstr(mc_error_message(), "...'") != NULL);
	ck_assert(strlen(mc_error_message()) < 120);
	json_object_put(schema);
	json_object_put(d);
}
END_TEST

START_TEST(required_keys)
{
	const char *s = "{\"type\":\"object\",\"required\":[\"version\",\"name\"]}";
	VALID(s, "{\"version\":1,\"name\":\"x\"}");
	INVALID(s, "{\"version\":1}", "doc: /: missing required key 'name'");
	VALID(s, "{\"version\":null,\"name\":null}");
}
END_TEST

START_TEST(enum_and_const)
{
	VALID("{\"enum\":[\"a\",\"b\",3]}", "\"b\"");
	VALID("{\"enum\":[\"a\",\"b\",3]}", "3.0");
	INVALID("{\"enum\":[\"a\",\"b\"]}", "\"c\"", "doc: /: expected one of [\"a\",\"b\"]");
	VALID("{\"const\":1}", "1");
	VALID("{\"const\":1}", "1.0");
	INVALID("{\"const\":1}", "2", "doc: /: expected 1");
	INVALID("{\"const\":1}", "\"1\"", "doc: /: expected 1");
	VALID("{\"const\":{\"a\":[1,{\"b\":null}],\"c\":true}}", "{\"c\":true,\"a\":[1,{\"b\":null}]}");
	ck_assert_int_eq(check("{\"const\":{\"a\":[1,2]}}", "{\"a\":[2,1]}"), MC_EINVAL);
	ck_assert_int_eq(check("{\"const\":{\"a\":1}}", "{\"a\":1,\"b\":1}"), MC_EINVAL);
	VALID("{\"const\":null}", "null");
	INVALID("{\"const\":null}", "false", "doc: /: expected null");
}
END_TEST

START_TEST(number_bounds)
{
	const char *s = "{\"minimum\":0,\"maximum\":1}";
	VALID(s, "0");
	VALID(s, "1");
	VALID(s, "0.5");
	INVALID(s, "-0.1", "doc: /: -0.1 is less than the minimum 0");
	INVALID(s, "1.5", "doc: /: 1.5 is greater than the maximum 1");
	s = "{\"exclusiveMinimum\":0,\"exclusiveMaximum\":1}";
	VALID(s, "0.001");
	INVALID(s, "0", "doc: /: 0 is not greater than 0");
	INVALID(s, "1", "doc: /: 1 is not less than 1");
	/* bounds apply to numbers only */
	VALID("{\"minimum\":5}", "\"text\"");
}
END_TEST

START_TEST(string_lengths_count_code_points)
{
	VALID("{\"minLength\":2,\"maxLength\":3}", "\"ab\"");
	/* "héé" is 5 bytes but 3 characters */
	VALID("{\"maxLength\":3}", "\"h\xc3\xa9\xc3\xa9\"");
	INVALID("{\"maxLength\":2}", "\"h\xc3\xa9\xc3\xa9\"",
		"doc: /: string has 3 characters, more than the maximum 2");
	INVALID("{\"minLength\":1}", "\"\"", "doc: /: string has 0 characters, fewer than the minimum 1");
}
END_TEST

static int check_string_bytes(const char *bytes)
{
	struct json_object *schema = parse("{\"type\":\"string\"}");
	struct json_object *doc = json_object_new_string(bytes);
	int rc = mc_jsonschema_validate(schema, doc, "doc");
	json_object_put(schema);
	json_object_put(doc);
	return rc;
}

START_TEST(strings_must_be_utf8)
{
	ck_assert_int_eq(check_string_bytes("plain"), 0);
	ck_assert_int_eq(check_string_bytes("h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8e\xbb"), 0);
	ck_assert_int_eq(check_string_bytes("\xff"), MC_EINVAL);
	ck_assert_str_eq(mc_error_message(), "doc: /: string is not valid UTF-8");
	ck_assert_int_eq(check_string_bytes("\xc3"), MC_EINVAL);         /* truncated */
	ck_assert_int_eq(check_string_bytes("\xc0\xaf"), MC_EINVAL);     /* overlong '/' */
	ck_assert_int_eq(check_string_bytes("\xed\xa0\x80"), MC_EINVAL); /* surrogate */
	ck_assert_int_eq(check_string_bytes("\xf4\x90\x80\x80"), MC_EINVAL); /* > U+10FFFF */
	ck_assert_int_eq(check_string_bytes("a\x80"), MC_EINVAL);        /* stray continuation */
	{
		struct json_object *schema = parse("{\"type\":\"string\"}");
		struct json_object *doc = json_object_new_string_len("a\0**", 4);
		ck_assert_int_eq(mc_jsonschema_validate(schema, doc, "doc"), MC_EINVAL);
		ck_assert_str_eq(mc_error_message(), "doc: /: string contains a NUL character");
		json_object_put(schema);
		json_object_put(doc);
	}
}
END_TEST

START_TEST(pattern_is_unanchored_ere)
{
	VALID("{\"pattern\":\"^[a-z]+(-[a-z]+)*$\"}", "\"risk-gate\"");
	VALID("{\"pattern\":\"b\"}", "\"abc\"");
	INVALID("{\"pattern\":\"^[0-9a-f]{40}$\"}", "\"xyz\"",
		"doc: /: string does not match the pattern '^[0-9a-f]{40}$'");
	/* An embedded NUL must not hide the rest of the string from the regex. */
	INVALID("{\"pattern\":\"^ok$\"}", "\"ok\\u0000evil\"", "doc: /: string contains a NUL character");
	/* the same pattern used twice (cache) */
	VALID("{\"items\":{\"pattern\":\"^a\"}}", "[\"a1\",\"a2\",\"a3\"]");
	INVALID("{\"items\":{\"pattern\":\"^a\"}}", "[\"a1\",\"b2\"]",
		"doc: /1: string does not match the pattern '^a'");
}
END_TEST

START_TEST(arrays)
{
	const char *s = "{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"minItems\":1,\"maxItems\":2}";
	VALID(s, "[\"a\"]");
	INVALID(s, "[]", "doc: /: array has 0 items, fewer than the minimum 1");
	INVALID(s, "[\"a\",\"b\",\"c\"]", "doc: /: array has 3 items, more than the maximum 2");
	INVALID(s, "[\"a\",7]", "doc: /1: expected string, got number");
	INVALID("{\"properties\":{\"l\":{\"items\":{\"properties\":{\"x\":{\"type\":\"null\"}}}}}}",
		"{\"l\":[{},{\"x\":null},{\"x\":0}]}", "doc: /l/2/x: expected null, got number");
}
END_TEST

START_TEST(unique_items)
{
	const char *s = "{\"uniqueItems\":true}";
	VALID(s, "[1,2,3,\"1\",[1],{\"a\":1},{\"a\":2},null,true,false]");
	INVALID(s, "[1,2,1.0]", "doc: /: items 0 and 2 are equal, but items must be unique");
	INVALID(s, "[{\"a\":1,\"b\":2},3,{\"b\":2,\"a\":1}]",
		"doc: /: items 0 and 2 are equal, but items must be unique");
	INVALID(s, "[5,\"x\",\"y\",\"x\",5]", "doc: /: items 1 and 3 are equal, but items must be unique");
	VALID("{\"uniqueItems\":false}", "[1,1]");
}
END_TEST

START_TEST(unique_items_large_array_is_fast)
{
	struct json_object *schema = parse("{\"uniqueItems\":true}"), *arr = json_object_new_array();
	int i;
	for (i = 0; i < 50000; i++)
		json_object_array_add(arr, json_object_new_int(i));
	ck_assert_int_eq(mc_jsonschema_validate(schema, arr, "doc"), 0);
	json_object_array_add(arr, json_object_new_int(49999));
	ck_assert_int_eq(mc_jsonschema_validate(schema, arr, "doc"), MC_EINVAL);
	ck_assert_str_eq(mc_error_message(),
			 "doc: /: items 49999 and 50000 are equal, but items must be unique");
	json_object_put(schema);
	json_object_put(arr);
}
END_TEST

START_TEST(refs_to_defs)
{
	const char *s = "{\"$defs\":{\"usd\":{\"type\":\"number\",\"minimum\":0},"
			"\"a/b\":{\"const\":\"slash\"},\"node\":{\"type\":\"object\",\"properties\":"
			"{\"next\":{\"$ref\":\"#/$defs/node\"}},\"additionalProperties\":false}},"
			"\"properties\":{\"price\":{\"$ref\":\"#/$defs/usd\"},"
			"\"s\":{\"$ref\":\"#/$defs/a~1b\"},\"list\":{\"$ref\":\"#/$defs/node\"}}}";
	VALID(s, "{\"price\":3,\"s\":\"slash\",\"list\":{\"next\":{\"next\":{}}}}");
	INVALID(s, "{\"price\":-3}", "doc: /price: -3 is less than the minimum 0");
	INVALID(s, "{\"s\":\"x\"}", "doc: /s: expected \"slash\"");
	INVALID(s, "{\"list\":{\"next\":{\"next\":{\"nxt\":{}}}}}",
		"doc: /list/next/next: unknown key 'nxt'");
}
END_TEST

START_TEST(ref_cycle_is_bounded)
{
	const char *s = "{\"$defs\":{\"a\":{\"$ref\":\"#/$defs/b\"},\"b\":{\"$ref\":\"#/$defs/a\"}},"
			"\"$ref\":\"#/$defs/a\"}";
	ck_assert_int_eq(check(s, "1"), MC_EINVAL);
	ck_assert(strstr(mc_error_message(), "nested deeper than") != NULL);
	/* and inside anyOf the limit is not mistaken for a failed branch */
	s = "{\"$defs\":{\"a\":{\"$ref\":\"#/$defs/a\"}},\"anyOf\":[{\"$ref\":\"#/$defs/a\"},true]}";
	ck_assert_int_eq(check(s, "1"), MC_EINVAL);
	ck_assert(strstr(mc_error_message(), "nested deeper than") != NULL);
}
END_TEST

START_TEST(deep_document_is_bounded)
{
	struct json_object *schema = parse("{\"$defs\":{\"n\":{\"items\":{\"$ref\":\"#/$defs/n\"}}},"
					   "\"$ref\":\"#/$defs/n\"}");
	struct json_object *doc = json_object_new_array(), *cur = doc;
	int i;
	for (i = 0; i < 5000; i++) {
		struct json_object *inner = json_object_new_array();
		json_object_array_add(cur, inner);
		cur = inner;
	}
	ck_assert_int_eq(mc_jsonschema_validate(schema, doc, "doc"), MC_EINVAL);
	ck_assert(strstr(mc_error_message(), "nested deeper than 256 levels") != NULL);
	json_object_put(schema);
	json_object_put(doc);
}
END_TEST

START_TEST(combinators)
{
	const char *any = "{\"anyOf\":[{\"type\":\"number\",\"minimum\":0},{\"type\":\"null\"}]}";
	VALID(any, "3");
	VALID(any, "null");
	INVALID(any, "\"x\"", "doc: /: matches none of the 2 anyOf alternatives");
	/* the branch that got furthest into the document explains the failure */
	INVALID("{\"anyOf\":[{\"type\":\"null\"},{\"properties\":{\"x\":{\"type\":\"string\"}}}]}",
		"{\"x\":1}", "doc: /x: expected string, got number");
	const char *one = "{\"oneOf\":[{\"type\":\"integer\"},{\"minimum\":10}]}";
	VALID(one, "3");
	VALID(one, "10.5");
	INVALID(one, "12", "doc: /: matches 2 of the oneOf alternatives, expected exactly one");
	INVALID(one, "2.5", "doc: /: matches none of the 2 oneOf alternatives");
	const char *all = "{\"allOf\":[{\"type\":\"integer\"},{\"minimum\":10}]}";
	VALID(all, "12");
	INVALID(all, "3", "doc: /: 3 is less than the minimum 10");
	INVALID(all, "12.5", "doc: /: expected integer, got number");
}
END_TEST

START_TEST(boolean_schemas)
{
	VALID("true", "{\"anything\":[1]}");
	INVALID("false", "1", "doc: /: no value is allowed here");
	INVALID("{\"properties\":{\"gone\":false}}", "{\"gone\":1}", "doc: /gone: no value is allowed here");
}
END_TEST

START_TEST(annotations_are_ignored)
{
	VALID("{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\",\"$id\":\"x\","
	      "\"title\":\"t\",\"description\":\"d\",\"$comment\":\"c\",\"default\":5,"
	      "\"examples\":[1],\"format\":\"date-time\",\"type\":\"string\"}",
	      "\"not a date\"");
}
END_TEST

START_TEST(non_finite_numbers_are_rejected)
{
	struct json_object *schema = parse("{\"type\":\"number\"}");
	struct json_object *doc = json_object_new_double(NAN);
	ck_assert_int_eq(mc_jsonschema_validate(schema, doc, "doc"), MC_EINVAL);
	ck_assert_str_eq(mc_error_message(), "doc: /: number is not finite");
	json_object_put(doc);
	doc = json_object_new_double(INFINITY);
	ck_assert_int_eq(mc_jsonschema_validate(schema, doc, "doc"), MC_EINVAL);
	json_object_put(doc);
	json_object_put(schema);
}
END_TEST

static void expect_bad_schema(const char *schema_text, const char *msg)
{
	struct json_object *schema = parse(schema_text), *doc = parse("1");
	ck_assert_int_eq(mc_jsonschema_check(schema), MC_EINTERNAL);
	ck_assert_str_eq(mc_error_message(), msg);
	/* validation refuses too, even when the document would never reach the bad part */
	ck_assert_int_eq(mc_jsonschema_validate(schema, doc, "doc"), MC_EINTERNAL);
	json_object_put(schema);
	json_object_put(doc);
}

START_TEST(unsupported_or_malformed_schema_is_an_error)
{
	expect_bad_schema("{\"type\":\"object\",\"properties\":{\"a\":{\"minProperties\":1}}}",
			  "schema: /properties/a: unsupported keyword 'minProperties'");
	expect_bad_schema("{\"anyOf\":[{\"type\":\"string\"},{\"patternProperties\":{}}]}",
			  "schema: /anyOf/1: unsupported keyword 'patternProperties'");
	expect_bad_schema("{\"type\":\"float\"}", "schema: /type: type must be a type name or a non-empty array of them");
	expect_bad_schema("{\"type\":[\"string\",\"real\"]}", "schema: /type: type list entry 1 is not a type name");
	expect_bad_schema("{\"minimum\":\"0\"}", "schema: /minimum: must be a finite number");
	expect_bad_schema("{\"minLength\":-1}", "schema: /minLength: must be a non-negative integer");
	expect_bad_schema("{\"required\":[1]}", "schema: /required: entry 0 is not a string");
	expect_bad_schema("{\"$ref\":\"#/$defs/missing\"}",
			  "schema: /$ref: cannot resolve \"#/$defs/missing\" (only \"#/$defs/<name>\" is supported)");
	expect_bad_schema("{\"$ref\":\"other.json#/x\"}",
			  "schema: /$ref: cannot resolve \"other.json#/x\" (only \"#/$defs/<name>\" is supported)");
	expect_bad_schema("{\"items\":{\"$defs\":{}}}", "schema: /items/$defs: $defs is supported only at the schema root");
	expect_bad_schema("{\"anyOf\":[]}", "schema: /anyOf: must be a non-empty array of schemas");
	expect_bad_schema("{\"items\":5}", "schema: /items: a schema must be an object or a boolean");
	expect_bad_schema("{\"uniqueItems\":1}", "schema: /uniqueItems: must be a boolean");
	expect_bad_schema("{\"properties\":{\"a/b\":{\"x-custom\":1}}}", "schema: /properties/a~1b: unsupported keyword 'x-custom'");
}
END_TEST

START_TEST(bad_pattern_is_a_schema_error)
{
	struct json_object *schema = parse("{\"pattern\":\"([a-z\"}");
	ck_assert_int_eq(mc_jsonschema_check(schema), MC_EINTERNAL);
	ck_assert(strncmp(mc_error_message(), "schema: /pattern: pattern does not compile", 42) == 0);
	json_object_put(schema);
}
END_TEST

START_TEST(embedded_schemas_are_well_formed)
{
	struct json_object *schema;
	size_t len;
	const char *text = mc_embedded_get("schemas/config.schema.json", &len);
	ck_assert_ptr_nonnull(text);
	ck_assert_int_eq(mc_json_parse(&schema, text, len, 1 << 20, "schema"), 0);
	ck_assert_msg(mc_jsonschema_check(schema) == 0, "%s", mc_error_message());
	json_object_put(schema);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("jsonschema");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, type_single_and_list);
	tcase_add_test(tc, properties_and_paths);
	tcase_add_test(tc, additional_properties_schema);
	tcase_add_test(tc, pointer_escaping_and_control_chars);
	tcase_add_test(tc, long_keys_are_shortened);
	tcase_add_test(tc, required_keys);
	tcase_add_test(tc, enum_and_const);
	tcase_add_test(tc, number_bounds);
	tcase_add_test(tc, string_lengths_count_code_points);
	tcase_add_test(tc, strings_must_be_utf8);
	tcase_add_test(tc, pattern_is_unanchored_ere);
	tcase_add_test(tc, arrays);
	tcase_add_test(tc, unique_items);
	tcase_add_test(tc, unique_items_large_array_is_fast);
	tcase_add_test(tc, refs_to_defs);
	tcase_add_test(tc, ref_cycle_is_bounded);
	tcase_add_test(tc, deep_document_is_bounded);
	tcase_add_test(tc, combinators);
	tcase_add_test(tc, boolean_schemas);
	tcase_add_test(tc, annotations_are_ignored);
	tcase_add_test(tc, non_finite_numbers_are_rejected);
	tcase_add_test(tc, unsupported_or_malformed_schema_is_an_error);
	tcase_add_test(tc, bad_pattern_is_a_schema_error);
	tcase_add_test(tc, embedded_schemas_are_well_formed);
	suite_add_tcase(s, tc);
	return mc_test_run(s);
}
