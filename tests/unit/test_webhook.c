/*
 * Unit tests for the webhook ingress pieces that need no daemon: the event
 * parser (model/webhook_event), the signature check (daemon/webhook) against
 * HMACs computed here with OpenSSL, and the metrics exposition (daemon/metrics).
 * The daemon end to end is tests/cli/test_serve_webhook.sh.
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

#include "daemon/metrics.h"
#include "daemon/webhook.h"
#include "model/webhook_event.h"
#include "testutil.h"
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
	tcase_add_test(tc, signatures_verify_under_either_secret_only);
	tcase_add_test(tc, metrics_render_counts_histogram_and_forge_calls);
	suite_add_tcase(s, tc);
	return mc_test_run(s);
}
