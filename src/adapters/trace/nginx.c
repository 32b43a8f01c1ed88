/*
 * One access-log line in the combined format with the request time appended
 * (line.h):
 *
 *   203.0.113.9 - alice [10/Oct/2000:13:55:36 -0700] "GET /a/b?x=1 HTTP/1.1" 200 2326
 *       "http://ref.example/" "Mozilla/5.0" 0.123
 *
 * nginx writes it with log_format '... "$http_user_agent" $request_time', Apache
 * (2.4.13 and later) with LogFormat '... "%{User-agent}i" %{sec}T.%{msec_frac}T':
 * seconds with a fraction either way. The route is the
 * request target's path: no query string, no fragment, and for an absolute target
 * (http://host/path) the path alone. A request line that is not "METHOD TARGET
 * [PROTOCOL]" (nginx logs "-" or a TLS handshake's bytes for those) is the route
 * "(malformed request)": the line is a real request and still counts.
 */
#include <string.h>

#include "adapters/trace/line.h"
#include "util/utf8.h"

#define MALFORMED_ROUTE "(malformed request)"

struct cursor {
	const char *p, *end;
};

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A token of non-space bytes followed by one space. */
static int skip_token(struct cursor *c)
{
	const char *start = c->p;
	while (c->p < c->end && *c->p != ' ')
		c->p++;
	if (c->p == start || c->p >= c->end)
		return -1;
	c->p++;
	return 0;
}

/* n digits as a number, or -1. */
static long digits(const char *p, int n)
{
	long v = 0;
	int i;
	for (i = 0; i < n; i++) {
		if (!is_digit(p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (H. Hinnant). */
static long days_from_civil(long y, long m, long d)
{
	long era, yoe, doy, doe;
	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* "10/Oct/2000:13:55:36 -0700" (26 bytes) as seconds since the epoch, or -1. */
static int parse_time_local(const char *p, double *out)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	long day = digits(p, 2), year = digits(p + 7, 4), hh = digits(p + 12, 2),
	     mm = digits(p + 15, 2), ss = digits(p + 18, 2), zone = digits(p + 22, 4);
	int month;

	if (day < 1 || day > 31 || year < 0 || hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 ||
	    ss > 60 || zone < 0 || p[2] != '/' || p[6] != '/' || p[11] != ':' || p[14] != ':' ||
	    p[17] != ':' || p[20] != ' ' || (p[21] != '+' && p[21] != '-'))
		return -1;
	for (month = 0; month < 12; month++)
		if (!memcmp(p + 3, months + 3 * month, 3))
			break;
	if (month == 12)
		return -1;
	{
		long offset = (zone / 100) * 3600 + (zone % 100) * 60;
		double t = (double)days_from_civil(year, month + 1, day) * 86400.0 + hh * 3600 + mm * 60 + ss;
		*out = p[21] == '+' ? t - offset : t + offset;
	}
	return 0;
}

/* A double-quoted field (backslash escapes skipped over), followed by end or a space. */
static int quoted(struct cursor *c, const char **s, size_t *len)
{
	if (c->p >= c->end || *c->p != '"')
		return -1;
	*s = ++c->p;
	while (c->p < c->end && *c->p != '"') {
		if (*c->p == '\\' && c->p + 1 < c->end)
			c->p++;
		c->p++;
	}
	if (c->p >= c->end)
		return -1;
	*len = (size_t)(c->p - *s);
	c->p++;
	return 0;
}

/* The route of a request line "METHOD TARGET [PROTOCOL]". */
static void route_of(mc_trace_record *rec, const char *req, size_t len)
{
	const char *end = req + len, *sp = memchr(req, ' ', len), *t, *q;

	rec->route = MALFORMED_ROUTE;
	rec->route_len = sizeof MALFORMED_ROUTE - 1;
	if (!sp || sp == req)
		return;
	t = sp + 1;
	q = t;
	while (q < end && *q != ' ')
		q++;
	if (q < end && memchr(q + 1, ' ', (size_t)(end - q - 1)))
		return; /* more than three words */
	if ((size_t)(q - t) > 8 && (!memcmp(t, "http://", 7) || !memcmp(t, "https://", 8))) {
		const char *host = t + (t[4] == ':' ? 7 : 8), *slash = host;
		while (slash < q && *slash != '/')
			slash++;
		if (slash == q) {
			rec->route = "/";
			rec->route_len = 1;
			return;
		}
		t = slash;
	}
	if (t == q || *t != '/')
		return;
	{
		const char *stop = t;
		while (stop < q && *stop != '?' && *stop != '#')
			stop++;
		rec->route = t;
		rec->route_len = (size_t)(stop - t);
	}
}

/* The request time in seconds ("0.123", "12", "-" is refused) as milliseconds. */
static int request_time_ms(struct cursor *c, double *out)
{
	double whole = 0, frac = 0, scale = 1;
	const char *start = c->p;

	while (c->p < c->end && is_digit(*c->p))
		whole = whole * 10 + (*c->p++ - '0');
	if (c->p == start)
		return -1;
	if (c->p < c->end && *c->p == '.') {
		c->p++;
		if (c->p >= c->end || !is_digit(*c->p))
			return -1;
		while (c->p < c->end && is_digit(*c->p)) {
			frac = frac * 10 + (*c->p++ - '0');
			scale *= 10;
		}
	}
	*out = (whole + frac / scale) * 1000.0;
	return 0;
}

static int fail(const char **field, const char **problem, const char *f, const char *p)
{
	*field = f;
	*problem = p;
	return -1;
}

int mc_trace_nginx_line(mc_trace_record *rec, const char *s, size_t n, double cost_usd,
			const char **field, const char **problem)
{
	struct cursor c = { s, s + n };
	const char *req, *ignored;
	size_t req_len, ignored_len;
	long status;

	while (c.end > c.p && (c.end[-1] == ' ' || c.end[-1] == '\r' || c.end[-1] == '\t'))
		c.end--;
	if (skip_token(&c) || skip_token(&c))
		return fail(field, problem, "remote_addr", "expected address, ident and user");
	/* $remote_user may hold spaces: it ends where " [" begins. */
	while (c.p + 1 < c.end && !(c.p[0] == ' ' && c.p[1] == '['))
		c.p++;
	if (c.p + 1 >= c.end)
		return fail(field, problem, "time_local", "expected [time]");
	c.p += 2;
	if (c.end - c.p < 28 || c.p[26] != ']' || c.p[27] != ' ' ||
	    parse_time_local(c.p, &rec->ts))
		return fail(field, problem, "time_local",
			    "expected [dd/Mon/yyyy:hh:mm:ss +zzzz]");
	c.p += 28;
	if (quoted(&c, &req, &req_len) || c.p >= c.end || *c.p++ != ' ')
		return fail(field, problem, "request", "expected a double-quoted request line");
	status = c.end - c.p >= 4 ? digits(c.p, 3) : -1;
	if (status < 100 || status > 599 || c.p[3] != ' ')
		return fail(field, problem, "status", "expected a status from 100 to 599");
	c.p += 4;
	if (c.p < c.end && *c.p == '-')
		c.p++;
	else
		while (c.p < c.end && is_digit(*c.p))
			c.p++;
	if (c.p >= c.end || *c.p++ != ' ')
		return fail(field, problem, "body_bytes_sent", "expected a number or '-'");
	if (quoted(&c, &ignored, &ignored_len) || c.p >= c.end || *c.p++ != ' ')
		return fail(field, problem, "http_referer", "expected a double-quoted field");
	if (quoted(&c, &ignored, &ignored_len))
		return fail(field, problem, "http_user_agent", "expected a double-quoted field");
	if (c.p >= c.end)
		return fail(field, problem, "request_time",
			    "expected seconds such as 0.123 (the log format must end with $request_time)");
	if (*c.p++ != ' ')
		return fail(field, problem, "http_user_agent", "expected a space after the field");
	if (request_time_ms(&c, &rec->latency_ms))
		return fail(field, problem, "request_time", "expected seconds such as 0.123");
	if (c.p != c.end)
		return fail(field, problem, "request_time", "text after the request time");
	route_of(rec, req, req_len);
	if (mc_utf8_length(rec->route, rec->route_len) == (size_t)-1)
		return fail(field, problem, "request", "path is not valid UTF-8");
	rec->status = (int)status;
	rec->cost_usd = cost_usd;
	return 0;
}
