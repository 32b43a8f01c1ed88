/*
 * Unit tests for the webhook ingress pieces that need no daemon: the event
 * parser (model/webhook_event), the signature check (daemon/webhook) against
 * HMACs computed here with OpenSSL, and the metrics exposition (daemon/metrics).
 * The daemon end to end is tests/cli/test_serve_webhook.sh.
 */
#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/metrics.h"
#include "daemon/webhook.h"
#include "model/webhook_event.h"
#include "model/webhook_scan.h"
#include "testutil.h"
#include "util/alloc.h"
#include "util/error.h"

#define SHA "0123456789abcdef0123456789abcdef01234567"

static int parse(mc_webhook_event *ev, const char *event, const char *body)
{
	return mc_webhook_event_parse(ev, event, body, strlen(body), 1u << 20);
}

START_TEST(pull_request_actions_are_routed_and_gitea_names_mapped)
{
	const char *handled[] = { "opened", "synchronize", "reopened", "edited", "labeled",
				  "closed", "synchronized", "label_updated" };
	char body[512];
	mc_webhook_event ev;
	size_t i;

	for (i = 0; i < sizeof handled / sizeof handled[0]; i++) {
		snprintf(body, sizeof body, "{\"action\":\"%s\",\"number\":12,\"pull_request\":"
			 "{\"head\":{\"sha\":\"" SHA "\"}},\"repository\":{\"full_name\":\"o/r\"},"
			 "\"sender\":{\"login\":\"dev\"}}", handled[i]);
		ck_assert_msg(parse(&ev, "pull_request", body) == 0, "%s", mc_error_message());
		ck_assert_msg(ev.handled, "%s not handled", handled[i]);
		ck_assert_int_eq(ev.kind, MC_WEBHOOK_PULL_REQUEST);
		ck_assert_int_eq(ev.number, 12);
		ck_assert_str_eq(ev.head_sha, SHA);
		ck_assert_str_eq(ev.repo, "o/r");
		ck_assert_str_eq(ev.sender, "dev");
		mc_webhook_event_clear(&ev);
	}
	ck_assert_int_eq(parse(&ev, "pull_request", "{\"action\":\"synchronized\",\"number\":1,"
			       "\"pull_request\":{\"head\":{\"sha\":\"" SHA "\"}},"
			       "\"repository\":{\"full_name\":\"o/r\"}}"), 0);
	ck_assert_str_eq(ev.action, "synchronize");
	mc_webhook_event_clear(&ev);
	/* Not handled: acknowledged with a reason, no fields required. */
	ck_assert_int_eq(parse(&ev, "pull_request", "{\"action\":\"assigned\"}"), 0);
	ck_assert_int_eq(ev.handled, 0);
	ck_assert_ptr_nonnull(ev.ignore_reason);
	mc_webhook_event_clear(&ev);
	/* Handled but malformed: a short sha, a string number, no repository. */
	ck_assert_int_eq(parse(&ev, "pull_request", "{\"action\":\"opened\",\"number\":1,"
			       "\"pull_request\":{\"head\":{\"sha\":\"abc\"}},"
			       "\"repository\":{\"full_name\":\"o/r\"}}"), MC_EINVAL);
	ck_assert_int_eq(parse(&ev, "pull_request", "{\"action\":\"opened\",\"number\":\"1\","
			       "\"repository\":{\"full_name\":\"o/r\"}}"), MC_EINVAL);
	ck_assert_ptr_nonnull(strstr(mc_error_message(), "number"));
	ck_assert_int_eq(parse(&ev, "pull_request", "{\"action\":\"opened\",\"number\":1}"),
			 MC_EINVAL);
}
END_TEST

START_TEST(comments_on_prs_and_issues_issues_events_tags_only_when_created)
{
	mc_webhook_event ev;

	ck_assert_int_eq(parse(&ev, "issue_comment", "{\"action\":\"created\",\"issue\":{"
			       "\"number\":5,\"pull_request\":{\"url\":\"u\"}},\"comment\":{\"id\":77,"
			       "\"body\":\"/maestro hold $(rm -rf /)\",\"user\":{\"login\":\"rev\"}},"
			       "\"repository\":{\"full_name\":\"o/r\"}}"), 0);
	ck_assert(ev.handled);
	ck_assert_int_eq(ev.number, 5);
	ck_assert_int_eq(ev.comment_id, 77);
	ck_assert_str_eq(ev.comment_body, "/maestro hold $(rm -rf /)");
	ck_assert_str_eq(ev.comment_author, "rev");
	mc_webhook_event_clear(&ev);
	/* Gitea: is_pull at the top level, a null body. */
	ck_assert_int_eq(parse(&ev, "issue_comment", "{\"action\":\"edited\",\"is_pull\":true,"
			       "\"issue\":{\"number\":5},\"comment\":{\"id\":1,\"body\":null,"
			       "\"user\":{\"login\":\"rev\"}},\"repository\":{\"full_name\":\"o/r\"}}"), 0);
	ck_assert(ev.handled);
	ck_assert_str_eq(ev.comment_body, "");
	mc_webhook_event_clear(&ev);
	/* A comment on a plain issue is handled too (priority commands on its work item). */
	ck_assert_int_eq(parse(&ev, "issue_comment", "{\"action\":\"created\",\"issue\":{"
			       "\"number\":5},\"comment\":{\"id\":1,\"body\":\"x\",\"user\":{"
			       "\"login\":\"rev\"}},\"repository\":{\"full_name\":\"o/r\"}}"), 0);
	ck_assert(ev.handled);
	ck_assert(ev.on_issue);
	mc_webhook_event_clear(&ev);
	ck_assert_int_eq(parse(&ev, "issue_comment", "{\"action\":\"created\",\"issue\":{"
			       "\"number\":5},\"comment\":{\"id\":1},\"repository\":{\"full_name\":"
			       "\"o/r\"}}"), MC_EINVAL); /* no author */
	ck_assert_int_eq(parse(&ev, "issues", "{\"action\":\"labeled\",\"issue\":{\"number\":9},"
			       "\"repository\":{\"full_name\":\"o/r\"}}"), 0);
	ck_assert(ev.handled);
	ck_assert(ev.on_issue);
	ck_assert_int_eq(ev.kind, MC_WEBHOOK_ISSUES);
	ck_assert_int_eq(ev.number, 9);
	mc_webhook_event_clear(&ev);
	ck_assert_int_eq(parse(&ev, "issues", "{\"action\":\"label_cleared\",\"issue\":{"
			       "\"number\":9},\"repository\":{\"full_name\":\"o/r\"}}"), 0);
	ck_assert_str_eq(ev.action, "unlabeled");
	ck_assert(ev.handled);
	mc_webhook_event_clear(&ev);
	ck_assert_int_eq(parse(&ev, "issues", "{\"action\":\"assigned\",\"issue\":{"
			       "\"number\":9},\"repository\":{\"full_name\":\"o/r\"}}"), 0);
	ck_assert_int_eq(ev.handled, 0);
	mc_webhook_event_clear(&ev);
	ck_assert_int_eq(parse(&ev, "issues", "{\"action\":\"closed\",\"issue\":{"
			       "\"number\":0},\"repository\":{\"full_name\":\"o/r\"}}"), MC_EINVAL);
	ck_assert_int_eq(parse(&ev, "issues", "{\"action\":\"closed\",\"issue\":{\"number\":4,"
			       "\"pull_request\":{}},\"repository\":{\"full_name\":\"o/r\"}}"), 0);
	ck_assert_int_eq(ev.handled, 0);
	mc_webhook_event_clear(&ev);
	ck_assert_int_eq(parse(&ev, "issue_comment", "{\"action\":\"deleted\"}"), 0);
	ck_assert_int_eq(ev.handled, 0);
	mc_webhook_event_clear(&ev);

	ck_assert_int_eq(parse(&ev, "push", "{\"ref\":\"refs/tags/v1\",\"after\":\"" SHA "\","
			       "\"deleted\":false,\"repository\":{\"full_name\":\"o/r\"}}"), 0);
	ck_assert(ev.handled);
	ck_assert_str_eq(ev.ref, "refs/tags/v1");
	mc_webhook_event_clear(&ev);
	ck_assert_int_eq(parse(&ev, "push", "{\"ref\":\"refs/tags/v1\",\"after\":\"" SHA "\","
			       "\"deleted\":true,\"repository\":{\"full_name\":\"o/r\"}}"), 0);
	ck_assert_int_eq(ev.handled, 0);
	mc_webhook_event_clear(&ev);
	ck_assert_int_eq(parse(&ev, "push", "{\"ref\":\"refs/heads/main\"}"), 0);
	ck_assert_int_eq(ev.handled, 0);
	mc_webhook_event_clear(&ev);
	ck_assert_int_eq(parse(&ev, "ping", "{\"zen\":\"z\"}"), 0);
	ck_assert(ev.handled);
	ck_assert_str_eq(ev.repo, "");
	mc_webhook_event_clear(&ev);
}
END_TEST

START_TEST(malformed_bodies_and_names_are_refused)
{
	mc_webhook_event ev;
	char name[MC_WEBHOOK_NAME_MAX + 2];

	ck_assert_int_eq(parse(&ev, "ping", "{"), MC_EINVAL);
	ck_assert_int_eq(parse(&ev, "ping", "[]"), MC_EINVAL);
	ck_assert_int_eq(parse(&ev, "ping", ""), MC_EINVAL);
	ck_assert_int_eq(parse(&ev, "ping", "{} x"), MC_EINVAL);
	ck_assert_int_eq(parse(&ev, "", "{}"), MC_EINVAL);
	ck_assert_int_eq(parse(&ev, "ping", "{\"repository\":{\"full_name\":7}}"), MC_EINVAL);
	memset(name, 'e', sizeof name - 1);
	name[sizeof name - 1] = '\0';
	ck_assert_int_eq(parse(&ev, name, "{}"), MC_ELIMIT);
	ck_assert_int_eq(mc_webhook_event_parse(&ev, "ping", "{}   ", 5, 3), MC_ELIMIT);
}
END_TEST

/* The scanner's parse and json-c's whole-tree reference give the same answer. */
static void expect_same_as_reference(const char *event, const char *body)
{
	mc_webhook_event a, b;
	char *msg;
	int ra = parse(&a, event, body), rb;

	msg = mc_xstrdup(ra ? mc_error_message() : "");
	rb = mc_webhook_event_parse_reference(&b, event, body, strlen(body), 1u << 20);
	ck_assert_msg(ra == rb, "%s: %d vs reference %d", body, ra, rb);
	if (ra) {
		ck_assert_str_eq(msg, mc_error_message());
	} else {
		ck_assert_int_eq(a.handled, b.handled);
		ck_assert_int_eq(a.number, b.number);
		ck_assert_int_eq(a.comment_id, b.comment_id);
		ck_assert_str_eq(a.action, b.action);
		ck_assert_str_eq(a.repo, b.repo);
		ck_assert_str_eq(a.head_sha, b.head_sha);
		ck_assert_str_eq(a.ref, b.ref);
		ck_assert_str_eq(a.comment_body, b.comment_body);
		ck_assert_str_eq(a.comment_author, b.comment_author);
		ck_assert_str_eq(a.sender, b.sender);
		mc_webhook_event_clear(&a);
		mc_webhook_event_clear(&b);
	}
	free(msg);
}

static int scanner_sure(const char *body)
{
	struct json_object *root = NULL;
	int rc = mc_webhook_scan(&root, body, strlen(body));
	ck_assert(rc == 0 ? root != NULL : root == NULL);
	json_object_put(root);
	return rc == 0;
}

#define PR_HEAD "\"pull_request\":{\"head\":{\"sha\":\"" SHA "\"}}"

START_TEST(the_scanner_reads_what_json_c_reads_or_steps_aside)
{
	static const char *const bodies[] = {
		/* Duplicate keys: the last one counts, in json-c as in the scanner. */
		"{\"action\":\"assigned\",\"action\":\"opened\",\"number\":1,\"number\":9," PR_HEAD
		",\"repository\":{\"full_name\":\"a/b\"},\"repository\":{\"full_name\":\"o/r\"}}",
		"{\"action\":\"opened\",\"number\":2," PR_HEAD ",\"pull_request\":{\"head\":{}},"
		"\"repository\":{\"full_name\":\"o/r\"}}",
		"{\"action\":\"opened\",\"number\":2," PR_HEAD ",\"repository\":{\"full_name\":\"o/r\"},"
		"\"repository\":null}",
		/* Escapes, raw UTF-8 and bytes that are not UTF-8, in read and skipped members. */
		"{\"action\":\"op\\u0065ned\",\"number\":3," PR_HEAD ",\"repository\":{\"full_name\":"
		"\"o\\/r\\u00e9\\u20ac\xc3\xa9\xff\"},\"sender\":{\"login\":\"d\\\"e\\\\v\\n\"},"
		"\"x\":\"\\u00ff\\b\\f\\t\"}",
		/* Types: a fraction, a negative zero, an array, a string, true where they
		 * do not belong; numbers, literals and nesting in skipped members. */
		"{\"action\":\"opened\",\"number\":3.0," PR_HEAD ",\"repository\":{\"full_name\":\"o/r\"}}",
		"{\"action\":\"opened\",\"number\":-0," PR_HEAD ",\"repository\":{\"full_name\":\"o/r\"}}",
		"{\"action\":\"opened\",\"number\":4,\"pull_request\":[]," "\"repository\":{\"full_name\":\"o/r\"}}",
		"{\"action\":\"opened\",\"number\":4,\"pull_request\":{\"head\":\"x\"},\"repository\":{}}",
		"{\"action\":true}",
		"{\"action\":\"created\",\"issue\":{\"number\":5,\"pull_request\":[1]},\"comment\":{\"id\":6,"
		"\"body\":null,\"user\":{\"login\":\"u\"}},\"repository\":{\"full_name\":\"o/r\"}}",
		"{\"action\":\"created\",\"issue\":{\"number\":5},\"is_pull\":true,\"comment\":{\"id\":6,"
		"\"body\":\"/maestro hold x\",\"user\":{\"login\":\"u\"}},\"repository\":{\"full_name\":\"o/r\"}}",
		"{\"action\":\"created\",\"issue\":{\"number\":5,\"pull_request\":null},\"comment\":{\"id\":6}}",
		"{\"ref\":\"refs/tags/v1\",\"after\":\"" SHA "\",\"deleted\":false,"
		"\"repository\":{\"full_name\":\"o/r\"},\"z\":[0,-1.25,true,false,null,{\"a\":[[],{}]}]}",
		"{\"ref\":\"refs/tags/v1\",\"after\":\"" SHA "\",\"deleted\":true}",
		"{\"deleted\":1,\"ref\":\"refs/tags/v1\",\"after\":\"" SHA "\"}",
		/* Where the scanner steps aside: json-c decides, and its messages stay. */
		"{\"action\":\"opened\",\"number\":1e2}",
		"{\"action\":\"opened\",\"number\":12345678901234567890}",
		"{\"action\":\"opened\",\"number\":99999999999999999999999}",
		"{\"action\":\"a\\u0000b\"}",
		"{\"action\":\"\\ud800\"}",
		"{\"x\":\"\\ud83d\\ude00\"}",
		"{\"action\":\"tab\there\"}",
		"{\"action\":\"opened\"\f}",
		"{\"action\":\"opened\",}",
		"{\"action\":01}",
		"{\"action\":\"opened\"} trailing",
		"[{\"action\":\"opened\"}]",
		"{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
		"{\"action\":\"opened\"",
		"{\"action\":tru}",
	};
	const char *events[] = { "pull_request", "issue_comment", "push", "ping", "release" };
	size_t i, e;

	for (i = 0; i < sizeof bodies / sizeof bodies[0]; i++)
		for (e = 0; e < sizeof events / sizeof events[0]; e++)
			expect_same_as_reference(events[e], bodies[i]);

	/* The fast path is taken for ordinary payloads and refused where promised. */
	ck_assert(scanner_sure(bodies[0]));
	ck_assert(scanner_sure(bodies[3]));
	ck_assert(scanner_sure(bodies[12]));
	ck_assert(scanner_sure(" {} \n"));
	for (i = 15; i < sizeof bodies / sizeof bodies[0]; i++)
		ck_assert_msg(!scanner_sure(bodies[i]), "sure of %s", bodies[i]);
}
END_TEST

START_TEST(the_pruned_tree_holds_only_the_members_routing_reads)
{
	struct json_object *root = NULL, *pr = NULL;
	const char *body = "{\"action\":\"opened\",\"number\":7,\"pull_request\":{\"title\":\"t\","
			   "\"head\":{\"sha\":\"" SHA "\",\"ref\":\"b\"},\"labels\":[1]},"
			   "\"installation\":{\"id\":1}}";

	ck_assert_int_eq(mc_webhook_scan(&root, body, strlen(body)), 0);
	ck_assert_int_eq(json_object_object_length(root), 3);
	ck_assert(json_object_object_get_ex(root, "pull_request", &pr));
	ck_assert_int_eq(json_object_object_length(pr), 1);
	ck_assert_str_eq(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN),
			 "{\"action\":\"opened\",\"number\":7,\"pull_request\":{\"head\":"
			 "{\"sha\":\"" SHA "\"}}}");
	json_object_put(root);
}
END_TEST

static void hmac_hex(char out[65], const char *key, const char *body)
{
	unsigned char mac[32];
	unsigned int len = 0;
	int i;
	HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)body, strlen(body), mac,
	     &len);
	for (i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", mac[i]);
}

START_TEST(signatures_verify_under_either_secret_only)
{
	mc_webhook wh = { .secrets = { "old", "new" }, .secret_lens = { 3, 3 }, .nsecrets = 1 };
	const char *body = "{\"zen\":\"z\"}";
	char sig[65], upper[65];
	size_t i;

	hmac_hex(sig, "old", body);
	ck_assert(mc_webhook_signature_ok(&wh, sig, body, strlen(body)));
	for (i = 0; i < 65; i++)
		upper[i] = (char)(sig[i] >= 'a' && sig[i] <= 'f' ? sig[i] - 32 : sig[i]);
	ck_assert(mc_webhook_signature_ok(&wh, upper, body, strlen(body)));
	ck_assert(!mc_webhook_signature_ok(&wh, sig, body, strlen(body) - 1));
	hmac_hex(sig, "new", body);
	ck_assert(!mc_webhook_signature_ok(&wh, sig, body, strlen(body))); /* one secret only */
	wh.nsecrets = 2;
	ck_assert(mc_webhook_signature_ok(&wh, sig, body, strlen(body)));
	hmac_hex(sig, "other", body);
	ck_assert(!mc_webhook_signature_ok(&wh, sig, body, strlen(body)));
	sig[63] = '\0';
	ck_assert(!mc_webhook_signature_ok(&wh, sig, body, strlen(body)));
	ck_assert(!mc_webhook_signature_ok(&wh, "", body, strlen(body)));
	ck_assert(!mc_webhook_signature_ok(&wh, "zz", body, strlen(body)));
	memset(sig, 'g', 64);
	sig[64] = '\0';
	ck_assert(!mc_webhook_signature_ok(&wh, sig, body, strlen(body)));
}
END_TEST

START_TEST(metrics_render_counts_histogram_and_forge_calls)
{
	mc_metrics *m = mc_metrics_new();
	mc_queue_counts counts = { 3, 1, 10, 2 };
	mc_strbuf out = MC_STRBUF_INIT;

	mc_metrics_delivery(m, MC_DELIVERY_QUEUED);
	mc_metrics_delivery(m, MC_DELIVERY_QUEUED);
	mc_metrics_delivery(m, MC_DELIVERY_UNAUTHORIZED);
	mc_metrics_observe_processing(m, 0.2);
	mc_metrics_observe_processing(m, 7);
	mc_metrics_forge_call(m, "github", 200);
	mc_metrics_forge_call(m, "github", 502);
	mc_metrics_forge_call(m, "gitea", 0);
	mc_metrics_rate_limit_remaining(m, "github", 4999);
	mc_metrics_render(m, &counts, &out);
	ck_assert_ptr_nonnull(strstr(out.buf, "maestro_webhook_deliveries_total{result=\"queued\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(out.buf, "maestro_webhook_deliveries_total{result=\"unauthorized\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(out.buf, "maestro_queue_events{state=\"failed\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(out.buf, "maestro_event_processing_seconds_bucket{le=\"0.1\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(out.buf, "maestro_event_processing_seconds_bucket{le=\"0.25\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(out.buf, "maestro_event_processing_seconds_bucket{le=\"10\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(out.buf, "maestro_event_processing_seconds_bucket{le=\"+Inf\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(out.buf, "maestro_event_processing_seconds_count 2\n"));
	ck_assert_ptr_nonnull(strstr(out.buf, "maestro_forge_calls_total{forge=\"github\",code=\"5xx\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(out.buf, "maestro_forge_calls_total{forge=\"gitea\",code=\"error\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(out.buf, "maestro_forge_rate_limit_remaining{forge=\"github\"} 4999\n"));
	ck_assert_ptr_null(strstr(out.buf, "rate_limit_remaining{forge=\"gitea\"}"));
	mc_strbuf_release(&out);
	mc_metrics_free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("webhook");
	TCase *tc = tcase_create("webhook");

	tcase_add_test(tc, pull_request_actions_are_routed_and_gitea_names_mapped);
	tcase_add_test(tc, comments_on_prs_and_issues_issues_events_tags_only_when_created);
	tcase_add_test(tc, malformed_bodies_and_names_are_refused);
	tcase_add_test(tc, the_scanner_reads_what_json_c_reads_or_steps_aside);
	tcase_add_test(tc, the_pruned_tree_holds_only_the_members_routing_reads);
	tcase_add_test(tc, signatures_verify_under_either_secret_only);
	tcase_add_test(tc, metrics_render_counts_histogram_and_forge_calls);
	suite_add_tcase(s, tc);
	return mc_test_run(s);
}
