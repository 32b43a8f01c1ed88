/* Unit tests for pipeline/event's subjects: what the worker pool serialises on. */
#include <string.h>

#include "pipeline/event.h"
#include "testutil.h"

static void subject_of(char *out, size_t size, const char *event, const char *payload)
{
	mc_queue_event ev = {0};

	ev.event = (char *)event;
	ev.payload = (char *)payload;
	ev.payload_len = strlen(payload);
	mc_event_subject(out, size, &ev);
}

START_TEST(pull_requests_comments_and_polls_have_subjects)
{
	char s[256];

	subject_of(s, sizeof s, "pull_request",
		   "{\"action\":\"synchronize\",\"number\":7,\"repository\":{\"full_name\":\"o/r\"},"
		   "\"pull_request\":{\"number\":7,\"head\":{\"sha\":\"0123456789abcdef0123456789abcdef01234567\"}}}");
	ck_assert_str_eq(s, "o/r#7");
	subject_of(s, sizeof s, "issue_comment",
		   "{\"action\":\"created\",\"repository\":{\"full_name\":\"o/r\"},"
		   "\"issue\":{\"number\":7,\"pull_request\":{}},"
		   "\"comment\":{\"id\":1,\"body\":\"/maestro help\",\"user\":{\"login\":\"a\"}}}");
	ck_assert_str_eq(s, "o/r#7");
	subject_of(s, sizeof s, "poll", "{\"repo\":\"o/r\",\"number\":7,\"head_sha\":\"abc\"}");
	ck_assert_str_eq(s, "o/r#7");
	subject_of(s, sizeof s, "poll_issue", "{\"repo\":\"o/r\",\"number\":9}");
	ck_assert_str_eq(s, "o/r!9");
	subject_of(s, sizeof s, "ping", "{\"zen\":\"x\"}");
	ck_assert_str_eq(s, "");
	subject_of(s, sizeof s, "pull_request", "not json");
	ck_assert_str_eq(s, "");
	subject_of(s, sizeof s, "poll", "[");
	ck_assert_str_eq(s, "");
}
END_TEST

int main(void)
{
	Suite *su = suite_create("event");
	TCase *tc = tcase_create("subject");

	tcase_add_test(tc, pull_requests_comments_and_polls_have_subjects);
	suite_add_tcase(su, tc);
	return mc_test_run(su);
}
