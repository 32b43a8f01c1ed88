/* The trace readers: JSON Lines in every legal shape and malformed lines with their
 * file:line and field; combined access logs; streaming across buffer boundaries
 * from a file; the line limit. */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adapters/trace/trace.h"
#include "testutil.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/strbuf.h"

struct got {
	size_t n;
	char route[8][64];
	double latency[8], cost[8], ts[8];
	int status[8];
	double latency_sum;
};

static int collect(void *ctx, const mc_trace_record *rec)
{
	struct got *g = ctx;
	if (g->n < 8) {
		ck_assert_uint_lt(rec->route_len, 64);
		memcpy(g->route[g->n], rec->route, rec->route_len);
		g->route[g->n][rec->route_len] = '\0';
		g->latency[g->n] = rec->latency_ms;
		g->cost[g->n] = rec->cost_usd;
		g->ts[g->n] = rec->ts;
		g->status[g->n] = rec->status;
	}
	g->latency_sum += rec->latency_ms;
	g->n++;
	return 0;
}

static int read_jsonl(struct got *g, const char *text)
{
	mc_trace_options opt = { .format = MC_TRACE_JSONL };
	memset(g, 0, sizeof *g);
	return mc_trace_read_mem(NULL, text, strlen(text), "t.jsonl", &opt, collect, g);
}

START_TEST(jsonl_accepts_every_legal_shape)
{
	struct got g;
	const char *text =
		"{\"ts\": 1700000000, \"route\": \"/a\", \"latency_ms\": 12.5, \"status\": 200, "
		"\"cost_usd\": 0.001}\n"
		/* any order, no spaces, unknown keys with nested values, CRLF */
		"{\"status\":503,\"extra\":{\"a\":[1,2,{\"b\":null}],\"c\":\"x\\\"y\"},\"latency_ms\":1e2,"
		"\"route\":\"/b\",\"ok\":true,\"no\":false}\r\n"
		"\n   \n"
		/* escapes in the route (and in a key), numbers in other forms, ts as a string */
		"  { \"\\u0072oute\" : \"/caf\\u00e9\\/x\\ud83d\\ude00\" , \"latency_ms\" : -0 ,"
		" \"status\" : 2.0e2 , \"ts\" : \"2024-01-01T00:00:00Z\", \"cost_usd\": 1.5E-3 }\t\n"
		/* a long mantissa (strtod's path) and a final line without newline */
		"{\"route\":\"/d\",\"latency_ms\":0.1000000000000000055511151231257827,\"status\":404}";
	ck_assert_int_eq(read_jsonl(&g, text), 0);
	ck_assert_uint_eq(g.n, 4);
	ck_assert_str_eq(g.route[0], "/a");
	ck_assert(g.latency[0] == 12.5 && g.status[0] == 200 && g.cost[0] == 0.001);
	ck_assert(g.ts[0] == 1700000000.0);
	ck_assert_str_eq(g.route[1], "/b");
	ck_assert(g.latency[1] == 100 && g.status[1] == 503 && g.cost[1] == 0 && isnan(g.ts[1]));
	ck_assert_str_eq(g.route[2], "/caf\xc3\xa9/x\xf0\x9f\x98\x80");
	ck_assert(g.latency[2] == 0 && g.status[2] == 200 && g.cost[2] == 0.0015);
	ck_assert(isnan(g.ts[2]));
	ck_assert(g.latency[3] == 0.1 && g.status[3] == 404);
}
END_TEST

START_TEST(jsonl_numbers_read_as_strtod_reads_them)
{
	static const char *const numbers[] = { "0", "1", "-1.5", "123456789012345678",
		"1.7976931348623157e308", "4.9e-324", "2.2250738585072014E-308", "0.000001",
		"9007199254740993", "1e22", "1e23", "3.14159265358979323846264338327950288" };
	size_t i;
	for (i = 0; i < sizeof numbers / sizeof *numbers; i++) {
		struct got g;
		char line[256];
		snprintf(line, sizeof line, "{\"route\":\"/n\",\"status\":200,\"latency_ms\":%s}",
			 numbers[i][0] == '-' ? "1" : numbers[i]);
		ck_assert_int_eq(read_jsonl(&g, line), 0);
		if (numbers[i][0] != '-')
			ck_assert_msg(g.latency[0] == strtod(numbers[i], NULL), "%s read as %.17g",
				      numbers[i], g.latency[0]);
	}
}
END_TEST

/* Line 2 of "<good line>\n<line>" must fail naming the field and the problem. */
static void expect_malformed(const char *line, const char *message)
{
	struct got g;
	mc_strbuf text = MC_STRBUF_INIT;
	mc_strbuf_printf(&text, "{\"route\":\"/ok\",\"latency_ms\":1,\"status\":200}\n%s\n", line);
	ck_assert_int_eq(read_jsonl(&g, mc_strbuf_str(&text)), MC_EINVAL);
	ck_assert_msg(strstr(mc_error_message(), message), "for %s: got '%s', want '%s'", line,
		      mc_error_message(), message);
	ck_assert_msg(!strncmp(mc_error_message(), "t.jsonl:2: ", 11), "%s", mc_error_message());
	ck_assert_uint_eq(g.n, 1);
	mc_strbuf_release(&text);
}

START_TEST(jsonl_rejects_malformed_lines)
{
	expect_malformed("[1,2]", "line: expected a JSON object");
	expect_malformed("{\"route\":\"/a\",\"status\":200}", "latency_ms: missing");
	expect_malformed("{\"latency_ms\":1,\"status\":200}", "route: missing");
	expect_malformed("{\"route\":\"/a\",\"latency_ms\":1}", "status: missing");
	expect_malformed("{\"route\":\"/a\",\"latency_ms\":\"1\",\"status\":200}",
			 "latency_ms: expected a number");
	expect_malformed("{\"route\":\"/a\",\"latency_ms\":-1,\"status\":200}",
			 "latency_ms: must be a finite number >= 0");
	expect_malformed("{\"route\":\"/a\",\"latency_ms\":1e999,\"status\":200}",
			 "latency_ms: must be a finite number >= 0");
	expect_malformed("{\"route\":\"/a\",\"latency_ms\":01,\"status\":200}", "expected ','");
	expect_malformed("{\"route\":\"/a\",\"latency_ms\":1.,\"status\":200}",
			 "latency_ms: a digit must follow the decimal point");
	expect_malformed("{\"route\":\"/a\",\"latency_ms\":.5,\"status\":200}",
			 "latency_ms: expected a number");
	expect_malformed("{\"route\":\"/a\",\"latency_ms\":+1,\"status\":200}",
			 "latency_ms: expected a number");
	expect_malformed("{\"route\":\"/a\",\"latency_ms\":1,\"status\":200.5}",
			 "status: must be an integer from 100 to 599");
	expect_malformed("{\"route\":\"/a\",\"latency_ms\":1,\"status\":600}", "status: must be");
	expect_malformed("{\"route\":\"/a\",\"latency_ms\":1,\"status\":200,\"cost_usd\":-0.1}",
			 "cost_usd: must be a finite number >= 0");
	expect_malformed("{\"route\":\"/a\\x\",\"latency_ms\":1,\"status\":200}",
			 "route: invalid escape");
	expect_malformed("{\"route\":\"/a\\ud800\",\"latency_ms\":1,\"status\":200}",
			 "route: high surrogate not followed by a low one");
	expect_malformed("{\"route\":\"\",\"latency_ms\":1,\"status\":200}", "route: empty");
	expect_malformed("{\"route\":\"/\xff\",\"latency_ms\":1,\"status\":200}",
			 "route: not valid UTF-8");
	expect_malformed("{\"route\":\"/a\\u0000\",\"latency_ms\":1,\"status\":200}",
			 "route: contains a NUL");
	expect_malformed("{\"route\":\"/a\",\"route\":\"/b\",\"latency_ms\":1,\"status\":200}",
			 "route: duplicate key");
	expect_malformed("{\"route\":\"/a\",\"latency_ms\":1,\"status\":200} x", "text after");
	expect_malformed("{\"route\":\"/a\",\"latency_ms\":1,\"status\":200,}",
			 "expected a key in double quotes");
	expect_malformed("{\"route\":\"/a\",\"latency_ms\":1,\"status\":200,\"x\":tru}",
			 "value of an unknown key: invalid value");
	expect_malformed("{\"route\":\"/a\",\"latency_ms\":1,\"status\":200,\"x\":[[[[[[[[[[[[[[[["
			 "[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
			 "nested too deeply");
	expect_malformed("{\"route\":\"/a\",\"latency_ms\":1,\"status\":200", "expected ','");
	expect_malformed("{\"route\":\"/a\tb\",\"latency_ms\":1,\"status\":200}",
			 "raw control character");
}
END_TEST

static const char nginx_line[] =
	"203.0.113.9 - alice [10/Oct/2000:13:55:36 -0700] \"GET /api/items?page=2 HTTP/1.1\" 200 "
	"2326 \"http://ref.example/\" \"Mozilla/5.0 (X11; Linux x86_64)\" 0.123\n";

START_TEST(nginx_reads_combined_with_request_time)
{
	struct got g = { 0 };
	mc_trace_options opt = { .format = MC_TRACE_NGINX, .cost_per_request_usd = 0.002 };
	const char *text;
	mc_strbuf sb = MC_STRBUF_INIT;

	mc_strbuf_puts(&sb, nginx_line);
	mc_strbuf_puts(&sb, "::1 - - [01/Jan/2024:00:00:00 +0000] \"POST http://h.example/x/y#f "
			    "HTTP/1.0\" 503 - \"-\" \"say \\\"hi\\\"\" 1.5\r\n");
	mc_strbuf_puts(&sb, "10.0.0.1 - - [29/Feb/2024:23:59:59 +0100] \"-\" 400 0 \"-\" \"-\" 0.000");
	text = mc_strbuf_str(&sb);
	ck_assert_int_eq(mc_trace_read_mem(NULL, text, strlen(text), "access.log", &opt, collect, &g),
			 0);
	ck_assert_uint_eq(g.n, 3);
	ck_assert_str_eq(g.route[0], "/api/items");
	ck_assert(fabs(g.latency[0] - 123) < 1e-9 && g.status[0] == 200 && g.cost[0] == 0.002);
	ck_assert(g.ts[0] == 971211336.0); /* 2000-10-10T20:55:36Z */
	ck_assert_str_eq(g.route[1], "/x/y");
	ck_assert(g.latency[1] == 1500 && g.status[1] == 503);
	ck_assert(g.ts[1] == 1704067200.0);
	ck_assert_str_eq(g.route[2], "(malformed request)");
	ck_assert(g.latency[2] == 0 && g.status[2] == 400);
	ck_assert(g.ts[2] == 1709247599.0);
	mc_strbuf_release(&sb);
}
END_TEST

START_TEST(nginx_rejects_malformed_lines)
{
	static const struct {
		const char *line, *message;
	} cases[] = {
		{ "1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.1\" 200 1 \"-\" \"-\"",
		  "request_time: expected seconds" },
		{ "1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.1\" 200 1 \"-\" \"-\" -",
		  "request_time: expected seconds" },
		{ "1.2.3.4 - - [10/Foo/2000:13:55:36 -0700] \"GET / HTTP/1.1\" 200 1 \"-\" \"-\" 1",
		  "time_local: expected" },
		{ "1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.1\" 99 1 \"-\" \"-\" 1",
		  "status: expected a status" },
		{ "1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.1\" 200 x \"-\" \"-\" 1",
		  "body_bytes_sent" },
		{ "1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.1\" 200 1 \"-\" \"-\" 1 2",
		  "request_time: text after" },
		{ "garbage", "remote_addr" },
	};
	size_t i;
	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct got g = { 0 };
		mc_trace_options opt = { .format = MC_TRACE_NGINX };
		int rc = mc_trace_read_mem(NULL, cases[i].line, strlen(cases[i].line), "a.log", &opt,
					   collect, &g);
		ck_assert_int_eq(rc, MC_EINVAL);
		ck_assert_msg(strstr(mc_error_message(), cases[i].message) &&
			      !strncmp(mc_error_message(), "a.log:1: ", 9),
			      "case %zu: %s", i, mc_error_message());
	}
}
END_TEST

/* A file larger than the read buffer, lines straddling its end, read from a descriptor
 * and a stream alike; then a line over the limit. */
START_TEST(streams_across_buffer_boundaries)
{
	char *dir = mc_test_tmpdir(), path[512];
	FILE *f;
	size_t i, n = 0, want = 40000;
	double want_sum = 0;
	struct got g = { 0 };
	mc_trace_options opt = { .format = MC_TRACE_JSONL };
	int fd;

	snprintf(path, sizeof path, "%s/t.jsonl", dir);
	f = fopen(path, "w");
	for (i = 0; i < want; i++) {
		fprintf(f, "{\"route\":\"/r%zu\",\"latency_ms\":%zu.25,\"status\":200,\"pad\":\"%*s\"}\n",
			i % 7, i, (int)(i % 50), "");
		want_sum += (double)i + 0.25;
	}
	fclose(f);
	fd = open(path, O_RDONLY);
	ck_assert_int_eq(mc_trace_read_fd(&n, fd, path, &opt, collect, &g), 0);
	close(fd);
	ck_assert_uint_eq(n, want);
	ck_assert_uint_eq(g.n, want);
	ck_assert(g.latency_sum == want_sum);

	memset(&g, 0, sizeof g);
	f = fopen(path, "r");
	ck_assert_int_eq(mc_trace_read_file(&n, f, path, &opt, collect, &g), 0);
	fclose(f);
	ck_assert_uint_eq(g.n, want);

	memset(&g, 0, sizeof g); /* a regular file by path is mapped rather than read */
	ck_assert_int_eq(mc_trace_read_path(&n, path, &opt, collect, &g), 0);
	ck_assert_uint_eq(g.n, want);
	ck_assert(g.latency_sum == want_sum);

	opt.max_line = 40; /* every line is longer */
	memset(&g, 0, sizeof g);
	ck_assert_int_eq(mc_trace_read_path(&n, path, &opt, collect, &g), MC_ELIMIT);
	ck_assert_msg(strstr(mc_error_message(), ":1: line: longer than the limit of 40 bytes"), "%s",
		      mc_error_message());
	ck_assert_int_eq(mc_trace_read_path(&n, "/nonexistent/t.jsonl", &opt, collect, &g),
			 MC_ENOTFOUND);
	mc_test_rmtree(dir);
	free(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("trace");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, jsonl_accepts_every_legal_shape);
	tcase_add_test(tc, jsonl_numbers_read_as_strtod_reads_them);
	tcase_add_test(tc, jsonl_rejects_malformed_lines);
	tcase_add_test(tc, nginx_reads_combined_with_request_time);
	tcase_add_test(tc, nginx_rejects_malformed_lines);
	tcase_add_test(tc, streams_across_buffer_boundaries);
	suite_add_tcase(s, tc);
	return mc_test_run(s);
}
