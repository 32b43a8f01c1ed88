/* model/evidence: statements, their checks, and when two records are one. */
#include <check.h>
#include <string.h>

#include "model/evidence.h"
#include "testutil.h"
#include "util/error.h"
#include "util/json.h"

#define OID "0123456789abcdef0123456789abcdef01234567"
#define OTHER "89abcdef0123456789abcdef0123456789abcdef"

static struct json_object *parse(const char *text)
{
	struct json_object *o = NULL;
	ck_assert_int_eq(mc_json_parse(&o, text, strlen(text), strlen(text), "test"), 0);
	return o;
}

static struct json_object *override_predicate(void)
{
	return parse("{\"who\":\"@ada\",\"at\":\"2026-11-25T08:00:00Z\",\"action\":\"raise\","
		     "\"reason\":\"customer escalation\",\"before\":1,\"after\":3}");
}

START_TEST(statement_has_the_intoto_shape)
{
	struct json_object *st = mc_evidence_statement(MC_EV_OVERRIDE, "demo", OID, override_predicate());
	enum mc_evidence_kind kind = MC_EV_KIND_COUNT;
	ck_assert_str_eq(mc_json_get_string(st, "_type", ""), "https://in-toto.io/Statement/v1");
	ck_assert_str_eq(mc_json_get_string(st, "predicateType", ""),
			 "https://maestro-conductor.dev/evidence/override/v1");
	ck_assert_int_eq(mc_evidence_check(st, OID, &kind), 0);
	ck_assert_int_eq(kind, MC_EV_OVERRIDE);
	json_object_put(st);
}
END_TEST

START_TEST(a_record_about_another_commit_is_refused)
{
	struct json_object *st = mc_evidence_statement(MC_EV_OVERRIDE, "demo", OID, override_predicate());
	ck_assert_int_eq(mc_evidence_check(st, OTHER, NULL), MC_EVERIFY);
	ck_assert_str_eq(mc_error_message(),
			 "the record is about 0123456789ab but sits in the note of 89abcdef0123");
	json_object_put(st);
}
END_TEST

START_TEST(bad_predicates_and_shapes_are_refused)
{
	struct json_object *st = mc_evidence_statement(
		MC_EV_OVERRIDE, "demo", OID,
		parse("{\"who\":\"@ada\",\"at\":\"2026-11-25T08:00:00Z\",\"action\":\"raise\","
		      "\"reason\":\"\",\"before\":1,\"after\":3}"));
	ck_assert_int_eq(mc_evidence_check(st, OID, NULL), MC_EVERIFY);
	ck_assert_msg(strstr(mc_error_message(), "/reason") != NULL, "%s", mc_error_message());
	json_object_put(st);

	st = parse("{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":\"x\","
		   "\"digest\":{\"gitCommit\":\"" OID "\"}}],\"predicateType\":\"https://evil.example/x\","
		   "\"predicate\":{}}");
	ck_assert_int_eq(mc_evidence_check(st, OID, NULL), MC_EVERIFY);
	ck_assert_ptr_nonnull(strstr(mc_error_message(), "/predicateType"));
	json_object_put(st);

	st = parse("{\"_type\":\"https://in-toto.io/Statement/v0.1\",\"subject\":[],"
		   "\"predicateType\":\"https://slsa.dev/provenance/v1\",\"predicate\":{}}");
	ck_assert_int_eq(mc_evidence_check(st, OID, NULL), MC_EVERIFY);
	json_object_put(st);
}
END_TEST

START_TEST(kinds_round_trip_through_their_types)
{
	int k;
	for (k = 0; k < MC_EV_KIND_COUNT; k++)
		ck_assert_int_eq(mc_evidence_kind_of(mc_evidence_predicate_type(k)), k);
	ck_assert_int_eq(mc_evidence_kind_of("https://example.com/other"), -1);
	ck_assert_str_eq(mc_evidence_kind_name(MC_EV_DECISION_CARD), "decision-card");
}
END_TEST

START_TEST(a_card_rendered_twice_is_one_record)
{
	const char *card1 = "{\"schema\":\"x\",\"provenance\":{\"version\":\"0.1.0\",\"generated_at\":\"2026-11-25T08:00:00Z\"}}";
	const char *card2 = "{\"schema\":\"x\",\"provenance\":{\"version\":\"0.1.0\",\"generated_at\":\"2026-11-26T09:30:00Z\"}}";
	const char *card3 = "{\"schema\":\"y\",\"provenance\":{\"version\":\"0.1.0\",\"generated_at\":\"2026-11-25T08:00:00Z\"}}";
	struct json_object *a = mc_evidence_statement(MC_EV_DECISION_CARD, "demo", OID, parse(card1));
	struct json_object *b = mc_evidence_statement(MC_EV_DECISION_CARD, "demo", OID, parse(card2));
	struct json_object *c = mc_evidence_statement(MC_EV_DECISION_CARD, "demo", OID, parse(card3));
	struct json_object *d = mc_evidence_statement(MC_EV_DECISION_CARD, "demo", OTHER, parse(card1));
	ck_assert(mc_evidence_same_record(a, b));
	ck_assert(!mc_evidence_same_record(a, c));
	ck_assert(!mc_evidence_same_record(a, d));
	/* only a card's generation time is ignored: an override's time is part of it */
	json_object_put(a);
	json_object_put(b);
	a = mc_evidence_statement(MC_EV_OVERRIDE, "demo", OID, override_predicate());
	b = mc_evidence_statement(MC_EV_OVERRIDE, "demo", OID, override_predicate());
	json_object_object_add(mc_json_get(b, "predicate"), "at",
			       json_object_new_string("2026-11-25T09:00:00Z"));
	ck_assert(!mc_evidence_same_record(a, b));
	json_object_put(a);
	json_object_put(b);
	json_object_put(c);
	json_object_put(d);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("evidence");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, statement_has_the_intoto_shape);
	tcase_add_test(tc, a_record_about_another_commit_is_refused);
	tcase_add_test(tc, bad_predicates_and_shapes_are_refused);
	tcase_add_test(tc, kinds_round_trip_through_their_types);
	tcase_add_test(tc, a_card_rendered_twice_is_one_record);
	suite_add_tcase(s, tc);
	return mc_test_run(s);
}
