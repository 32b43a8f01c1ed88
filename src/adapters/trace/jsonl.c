/*
 * One JSON Lines trace record, scanned in place (line.h). The record is a flat
 * object; the five known keys are read directly from the line's bytes and every
 * other key's value is validated and skipped, so a line costs one pass and no
 * allocation. What the scanner accepts is exactly RFC 8259 JSON: strings without
 * raw control characters and with valid escapes (surrogates paired), numbers by
 * the grammar (no leading zeros, no bare '.', no '+', no NaN), literals spelled out.
 *
 * Numbers take the fast path of Clinger's algorithm (an integer mantissa of at most
 * 2^53 times or divided by an exact power of ten up to 1e22 is correctly rounded in
 * one IEEE operation); anything else goes through strtod, so every number reads
 * exactly as strtod would read it.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/trace/line.h"
#include "util/hex.h"
#include "util/utf8.h"

enum key {
	KEY_UNKNOWN = 0,
	KEY_TS = 1,
	KEY_ROUTE = 2,
	KEY_LATENCY = 4,
	KEY_STATUS = 8,
	KEY_COST = 16,
};

struct scan {
	const char *p, *end;
	char *route_buf;  /* decoded escaped route */
	char *num_buf;    /* a long number, NUL-terminated for strtod */
	const char *field, *problem;
};

/* A string token as it appears in the line, between its quotes. */
struct span {
	const char *s;
	size_t len;
	int escaped;  /* holds a backslash */
	int high;     /* holds a byte >= 0x80 (must then be checked as UTF-8) */
};

static const double exact_pow10[23] = {
	1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

static int fail(struct scan *s, const char *field, const char *problem)
{
	s->field = field;
	s->problem = problem;
	return -1;
}

static inline void skip_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\r' || *s->p == '\n'))
		s->p++;
}

/* The next byte, or -1 at the end of the line. */
static inline int peek(const struct scan *s)
{
	return s->p < s->end ? (unsigned char)*s->p : -1;
}

static inline int is_digit(int c)
{
	return c >= '0' && c <= '9';
}


/* Four hex digits at p (which has at least 4 bytes), or -1. */
static long hex4(const char *p)
{
	long v = 0;
	int i, h;
	for (i = 0; i < 4; i++) {
		if ((h = mc_hex_digit((unsigned char)p[i])) < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

/* A string at s->p (which is '"'): checks it and leaves s->p after the closing quote. */
static int scan_string(struct scan *s, struct span *out, const char *field)
{
	const char *p = s->p + 1, *end = s->end;

	out->s = p;
	out->escaped = 0;
	out->high = 0;
	for (;;) {
		unsigned char c;
		if (p >= end)
			return fail(s, field, "unterminated string");
		c = (unsigned char)*p;
		if (c == '"')
			break;
		if (c == '\\') {
			out->escaped = 1;
			if (p + 1 >= end)
				return fail(s, field, "unterminated string");
			switch (p[1]) {
			case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
				p += 2;
				continue;
			case 'u':
				if (end - p < 6 || hex4(p + 2) < 0)
					return fail(s, field, "\\u needs four hex digits");
				p += 6;
				continue;
			default:
				return fail(s, field, "invalid escape in a string");
			}
		}
		if (c < 0x20)
			return fail(s, field, "raw control character in a string");
		if (c >= 0x80)
			out->high = 1;
		p++;
	}
	out->len = (size_t)(p - out->s);
	s->p = p + 1;
	return 0;
}

static size_t put_utf8(char *o, unsigned long cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/*
 * Decode an escaped string (already checked by scan_string) into out, which has room
 * for sp->len bytes (an escape never decodes longer than it is written: \uXXXX is 6
 * bytes for at most 3, a surrogate pair 12 for 4). Returns the length, or -1 with
 * *problem for a lone surrogate.
 */
static long decode_string(char *out, const struct span *sp, const char **problem)
{
	const char *p = sp->s, *end = sp->s + sp->len;
	char *o = out;

	while (p < end) {
		unsigned long cp;
		if (*p != '\\') {
			*o++ = *p++;
			continue;
		}
		switch (p[1]) {
		case 'b': *o++ = '\b'; p += 2; continue;
		case 'f': *o++ = '\f'; p += 2; continue;
		case 'n': *o++ = '\n'; p += 2; continue;
		case 'r': *o++ = '\r'; p += 2; continue;
		case 't': *o++ = '\t'; p += 2; continue;
		case 'u': break;
		default: *o++ = p[1]; p += 2; continue;
		}
		cp = (unsigned long)hex4(p + 2);
		p += 6;
		if (cp >= 0xDC00 && cp <= 0xDFFF) {
			*problem = "lone low surrogate in a \\u escape";
			return -1;
		}
		if (cp >= 0xD800 && cp <= 0xDBFF) {
			long lo;
			if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || (lo = hex4(p + 2)) < 0xDC00 ||
			    lo > 0xDFFF) {
				*problem = "high surrogate not followed by a low one";
				return -1;
			}
			cp = 0x10000 + ((cp - 0xD800) << 10) + ((unsigned long)lo - 0xDC00);
			p += 6;
		}
		o += put_utf8(o, cp);
	}
	return (long)(o - out);
}

/* A number by JSON's grammar at s->p. */
static int scan_number(struct scan *s, double *out, const char *field)
{
	const char *start = s->p, *p = s->p, *end = s->end;
	uint64_t mant = 0;
	int digits = 0, slow = 0, neg = 0;
	long exp10 = 0;

	if (p < end && *p == '-') {
		neg = 1;
		p++;
	}
	if (p >= end || !is_digit((unsigned char)*p))
		return fail(s, field, "expected a number");
	if (*p == '0') {
		p++;
	} else {
		for (; p < end && is_digit((unsigned char)*p); p++) {
			if (digits < 19) {
				mant = mant * 10 + (uint64_t)(*p - '0');
				digits++;
			} else {
				slow = 1;
			}
		}
	}
	if (p < end && *p == '.') {
		p++;
		if (p >= end || !is_digit((unsigned char)*p))
			return fail(s, field, "a digit must follow the decimal point");
		for (; p < end && is_digit((unsigned char)*p); p++) {
			if (digits < 19) {
				mant = mant * 10 + (uint64_t)(*p - '0');
				digits++;
				exp10--;
			} else {
				slow = 1;
			}
		}
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		long e = 0;
		int eneg = 0;
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			eneg = *p++ == '-';
		if (p >= end || !is_digit((unsigned char)*p))
			return fail(s, field, "a digit must follow the exponent");
		for (; p < end && is_digit((unsigned char)*p); p++)
			if (e < 100000)
				e = e * 10 + (*p - '0');
		exp10 += eneg ? -e : e;
	}
	s->p = p;
	if (!slow && mant <= (UINT64_C(1) << 53) && exp10 >= -22 && exp10 <= 22) {
		double v = (double)mant;
		v = exp10 >= 0 ? v * exact_pow10[exp10] : v / exact_pow10[-exp10];
		*out = neg ? -v : v;
		return 0;
	}
	memcpy(s->num_buf, start, (size_t)(p - start));
	s->num_buf[p - start] = '\0';
	*out = strtod(s->num_buf, NULL);
	return 0;
}

static int scan_literal(struct scan *s, const char *word, size_t len, const char *field)
{
	if ((size_t)(s->end - s->p) < len || memcmp(s->p, word, len))
		return fail(s, field, "invalid value");
	s->p += len;
	return 0;
}

/* Any JSON value (an unknown key's), checked and skipped. */
static int skip_value(struct scan *s, int depth)
{
	static const char field[] = "value of an unknown key";
	struct span sp;
	int c = peek(s);

	if (depth > MC_TRACE_MAX_DEPTH)
		return fail(s, field, "nested too deeply");
	switch (c) {
	case '"':
		return scan_string(s, &sp, field);
	case 't':
		return scan_literal(s, "true", 4, field);
	case 'f':
		return scan_literal(s, "false", 5, field);
	case 'n':
		return scan_literal(s, "null", 4, field);
	case '{':
	case '[': {
		int close = c == '{' ? '}' : ']';
		s->p++;
		skip_ws(s);
		if (peek(s) == close) {
			s->p++;
			return 0;
		}
		for (;;) {
			if (c == '{') {
				if (peek(s) != '"')
					return fail(s, field, "expected a key in double quotes");
				if (scan_string(s, &sp, field))
					return -1;
				skip_ws(s);
				if (peek(s) != ':')
					return fail(s, field, "expected ':' after a key");
				s->p++;
				skip_ws(s);
			}
			if (skip_value(s, depth + 1))
				return -1;
			skip_ws(s);
			if (peek(s) == ',') {
				s->p++;
				skip_ws(s);
				continue;
			}
			if (peek(s) == close) {
				s->p++;
				return 0;
			}
			return fail(s, field, c == '{' ? "expected ',' or '}'" : "expected ',' or ']'");
		}
	}
	default: {
		double ignored;
		return scan_number(s, &ignored, field);
	}
	}
}

/* Which known key a key token names (escapes decoded first: "\u0072oute" is "route"). */
static enum key key_of(const struct span *k)
{
	char buf[16];
	const char *name = k->s;
	size_t len = k->len;

	if (k->escaped) {
		const char *ignored;
		long n;
		if (k->len > 6 * sizeof buf)
			return KEY_UNKNOWN; /* too long to decode to a known key's length */
		{
			char wide[6 * sizeof buf];
			if ((n = decode_string(wide, k, &ignored)) < 0 || (size_t)n >= sizeof buf)
				return KEY_UNKNOWN;
			memcpy(buf, wide, (size_t)n);
		}
		name = buf;
		len = (size_t)n;
	}
	switch (len) {
	case 2: return memcmp(name, "ts", 2) ? KEY_UNKNOWN : KEY_TS;
	case 5: return memcmp(name, "route", 5) ? KEY_UNKNOWN : KEY_ROUTE;
	case 6: return memcmp(name, "status", 6) ? KEY_UNKNOWN : KEY_STATUS;
	case 8: return memcmp(name, "cost_usd", 8) ? KEY_UNKNOWN : KEY_COST;
	case 10: return memcmp(name, "latency_ms", 10) ? KEY_UNKNOWN : KEY_LATENCY;
	default: return KEY_UNKNOWN;
	}
}

static const char *key_name(enum key k)
{
	switch (k) {
	case KEY_TS: return "ts";
	case KEY_ROUTE: return "route";
	case KEY_LATENCY: return "latency_ms";
	case KEY_STATUS: return "status";
	case KEY_COST: return "cost_usd";
	default: return "key";
	}
}

static int read_route(struct scan *s, mc_trace_record *rec)
{
	struct span sp;

	if (peek(s) != '"')
		return fail(s, "route", "expected a string");
	if (scan_string(s, &sp, "route"))
		return -1;
	rec->route = sp.s;
	rec->route_len = sp.len;
	if (sp.escaped) {
		const char *problem;
		long n = decode_string(s->route_buf, &sp, &problem);
		if (n < 0)
			return fail(s, "route", problem);
		if (memchr(s->route_buf, '\0', (size_t)n))
			return fail(s, "route", "contains a NUL character");
		rec->route = s->route_buf;
		rec->route_len = (size_t)n;
	}
	if (!rec->route_len)
		return fail(s, "route", "empty");
	if (sp.high && mc_utf8_length(rec->route, rec->route_len) == (size_t)-1)
		return fail(s, "route", "not valid UTF-8");
	return 0;
}

static int read_value(struct scan *s, enum key k, mc_trace_record *rec)
{
	double v;
	switch (k) {
	case KEY_TS:
		if (peek(s) == '"') {
			struct span ignored;
			return scan_string(s, &ignored, "ts");
		}
		if (peek(s) == 'n')
			return scan_literal(s, "null", 4, "ts");
		if (peek(s) != '-' && !is_digit(peek(s)))
			return fail(s, "ts", "expected a number or a string");
		if (scan_number(s, &rec->ts, "ts"))
			return -1;
		return isfinite(rec->ts) ? 0 : fail(s, "ts", "not a finite number");
	case KEY_ROUTE:
		return read_route(s, rec);
	case KEY_LATENCY:
		if (scan_number(s, &rec->latency_ms, "latency_ms"))
			return -1;
		if (!isfinite(rec->latency_ms) || rec->latency_ms < 0)
			return fail(s, "latency_ms", "must be a finite number >= 0");
		return 0;
	case KEY_STATUS:
		if (scan_number(s, &v, "status"))
			return -1;
		if (!(v >= 100 && v <= 599) || v != floor(v))
			return fail(s, "status", "must be an integer from 100 to 599");
		rec->status = (int)v;
		return 0;
	case KEY_COST:
		if (scan_number(s, &rec->cost_usd, "cost_usd"))
			return -1;
		if (!isfinite(rec->cost_usd) || rec->cost_usd < 0)
			return fail(s, "cost_usd", "must be a finite number >= 0");
		return 0;
	default:
		return skip_value(s, 1);
	}
}

/* After a member: ',' (then the next key) or '}'. 1 at the end of the object. */
static int after_member(struct scan *s)
{
	skip_ws(s);
	if (peek(s) == ',') {
		s->p++;
		skip_ws(s);
		return 0;
	}
	if (peek(s) == '}') {
		s->p++;
		return 1;
	}
	return fail(s, "line", "expected ',' or '}' after a value");
}

static int check_required(struct scan *s, unsigned seen)
{
	if (!(seen & KEY_ROUTE))
		return fail(s, "route", "missing");
	if (!(seen & KEY_LATENCY))
		return fail(s, "latency_ms", "missing");
	if (!(seen & KEY_STATUS))
		return fail(s, "status", "missing");
	return 0;
}

int mc_trace_jsonl_line(mc_trace_record *rec, char *scratch, const char *line, size_t n,
			const char **field, const char **problem)
{
	struct scan s = { line, line + n, scratch, scratch + n + 1, NULL, NULL };
	unsigned seen = 0;
	int rc = 0;

	rec->ts = NAN;
	rec->cost_usd = 0;
	skip_ws(&s);
	if (peek(&s) != '{') {
		rc = fail(&s, "line", "expected a JSON object");
		goto out;
	}
	s.p++;
	skip_ws(&s);
	if (peek(&s) == '}')
		s.p++;
	else
		for (;;) {
			struct span key;
			enum key k;
			if (peek(&s) != '"') {
				rc = fail(&s, "line", "expected a key in double quotes");
				goto out;
			}
			if ((rc = scan_string(&s, &key, "key")) != 0)
				goto out;
			k = key_of(&key);
			skip_ws(&s);
			if (peek(&s) != ':') {
				rc = fail(&s, key_name(k), "expected ':' after the key");
				goto out;
			}
			s.p++;
			skip_ws(&s);
			if (k != KEY_UNKNOWN) {
				if (seen & (unsigned)k) {
					rc = fail(&s, key_name(k), "duplicate key");
					goto out;
				}
				seen |= (unsigned)k;
			}
			if ((rc = read_value(&s, k, rec)) != 0)
				goto out;
			if ((rc = after_member(&s)) < 0)
				goto out;
			if (rc == 1)
				break;
		}
	skip_ws(&s);
	if (s.p != s.end)
		rc = fail(&s, "line", "text after the object");
	else
		rc = check_required(&s, seen);
out:
	*field = s.field;
	*problem = s.problem;
	return rc ? -1 : 0;
}
