/* Unit tests for src/util: strbuf, errors, bounded JSON parsing, file helpers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/strbuf.h"

START_TEST(strbuf_grows_and_formats)
{
	mc_strbuf sb = MC_STRBUF_INIT;
	int i;
	ck_assert_str_eq(mc_strbuf_str(&sb), "");
	for (i = 0; i < 1000; i++)
		mc_strbuf_printf(&sb, "%d,", i);
	ck_assert_uint_eq(sb.len, strlen(sb.buf));
	ck_assert(strncmp(sb.buf, "0,1,2,", 6) == 0);
	ck_assert(strstr(sb.buf, "999,") != NULL);
	mc_strbuf_reset(&sb);
	ck_assert_str_eq(sb.buf, "");
	mc_strbuf_release(&sb);
}
END_TEST

START_TEST(error_wrap_prefixes_context)
{
	ck_assert_int_eq(mc_error_set(MC_EINVAL, "bad %s", "thing"), MC_EINVAL);
	mc_error_wrap(MC_ECONFIG, "reading %s", "config");
	ck_assert_str_eq(mc_error_message(), "reading config: bad thing");
	ck_assert_int_eq(mc_error_code(), MC_ECONFIG);
}
END_TEST

START_TEST(json_parse_rejects_trailing_and_oversize)
{
	struct json_object *o;
	ck_assert_int_eq(mc_json_parse(&o, "{\"a\":1}", 7, 100, "doc"), 0);
	ck_assert_int_eq(mc_json_get_int(o, "a", 0), 1);
	json_object_put(o);
	ck_assert_int_eq(mc_json_parse(&o, "{} x", 4, 100, "doc"), MC_EINVAL);
	ck_assert(strstr(mc_error_message(), "byte 3") != NULL);
	ck_assert_int_eq(mc_json_parse(&o, "{\"a\":", 5, 100, "doc"), MC_EINVAL);
	ck_assert_int_eq(mc_json_parse(&o, "[1,2,3]", 7, 3, "doc"), MC_ELIMIT);
}
END_TEST

START_TEST(json_parse_limits_depth)
{
	char deep[300];
	struct json_object *o;
	memset(deep, '[', 150);
	memset(deep + 150, ']', 150);
	ck_assert_int_eq(mc_json_parse(&o, deep, 300, 1000, "doc"), MC_EINVAL);
}
END_TEST

START_TEST(fs_read_respects_limit)
{
	char *dir = mc_test_tmpdir(), *path, *data;
	size_t len;
	ck_assert(asprintf(&path, "%s/f", dir) > 0);
	ck_assert_int_eq(mc_fs_write_file(path, "hello", 5, 0600), 0);
	ck_assert_int_eq(mc_fs_read_file(&data, &len, path, 5), 0);
	ck_assert_str_eq(data, "hello");
	free(data);
	ck_assert_int_eq(mc_fs_read_file(&data, &len, path, 4), MC_ELIMIT);
	ck_assert_int_eq(mc_fs_read_file(&data, &len, "/nonexistent/x", 4), MC_ENOTFOUND);
	free(path);
	mc_test_rmtree(dir);
	free(dir);
}
END_TEST

/* A field named like the line's own keys must not replace them (the worker logged
 * "event": "pull_request" over "worker.processed"). */
START_TEST(log_field_keeps_event_name)
{
	char path[] = "/tmp/mc-log-XXXXXX";
	int fd = mkstemp(path), saved = dup(2);
	char *text = NULL;
	size_t len;
	struct json_object *line = NULL;

	ck_assert_int_ge(fd, 0);
	fflush(stderr);
	dup2(fd, 2);
	mc_log_set_level(MC_LOG_INFO);
	mc_log(MC_LOG_INFO, "worker.processed", "event", "pull_request", "seq", "1", NULL);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	ck_assert_int_eq(mc_fs_read_file(&text, &len, path, 4096), 0);
	unlink(path);
	ck_assert_int_eq(mc_json_parse(&line, text, len, 4096, "log"), 0);
	ck_assert_str_eq(mc_json_get_string(line, "event", ""), "worker.processed");
	ck_assert_str_eq(mc_json_get_string(line, "field_event", ""), "pull_request");
	json_object_put(line);
	free(text);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, strbuf_grows_and_formats);
	tcase_add_test(tc, error_wrap_prefixes_context);
	tcase_add_test(tc, json_parse_rejects_trailing_and_oversize);
	tcase_add_test(tc, json_parse_limits_depth);
	tcase_add_test(tc, fs_read_respects_limit);
	tcase_add_test(tc, log_field_keeps_event_name);
	suite_add_tcase(s, tc);
	return mc_test_run(s);
}
