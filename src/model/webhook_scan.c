/*
 * The pruning scanner (webhook_scan.h): a recursive descent over the bytes,
 * guided by a schema of the members routing reads. Inside a wanted object the
 * keys are compared with the schema; a wanted member's value is built as json-c
 * would build it (a string decoded, an integer as int64, a fraction as a double,
 * a boolean, null, or an object/array of the right type whose members nobody
 * reads are left out). Everything else is only checked and skipped. Any doubt
 * returns UNSURE (see the header) and the caller falls back to json-c.
 */
#include "model/webhook_scan.h"

#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/hex.h"
#include "util/strbuf.h"

#define UNSURE MC_WEBHOOK_SCAN_UNSURE
#define INT_DIGITS_MAX 18  /* fits an int64 whatever the digits */
#define FRAC_DIGITS_MAX 20

/* A wanted member and, for an object whose members are wanted in turn, their schema. */
typedef struct member_schema {
	const char *key;
	const struct member_schema *members; /* NULL: the value is a leaf */
} member_schema;

static const member_schema login_members[] = { { "login", NULL }, { NULL, NULL } };
static const member_schema repository_members[] = { { "full_name", NULL }, { NULL, NULL } };
static const member_schema head_members[] = { { "sha", NULL }, { NULL, NULL } };
static const member_schema pull_request_members[] = { { "head", head_members }, { NULL, NULL } };
static const member_schema issue_members[] = { { "pull_request", NULL }, { "number", NULL },
					       { NULL, NULL } };
static const member_schema comment_members[] = { { "id", NULL }, { "body", NULL },
						 { "user", login_members }, { NULL, NULL } };
static const member_schema root_members[] = {
	{ "action", NULL },	   { "repository", repository_members },
	{ "sender", login_members }, { "number", NULL },
	{ "pull_request", pull_request_members }, { "issue", issue_members },
	{ "comment", comment_members }, { "is_pull", NULL },
	{ "ref", NULL },	   { "after", NULL },
	{ "deleted", NULL },	   { NULL, NULL },
};

typedef struct scanner {
	const unsigned char *p, *end;
	int depth;
	mc_strbuf key;   /* a wanted object's current key, decoded */
	mc_strbuf text;  /* a wanted string value, decoded */
} scanner;

static void skip_ws(scanner *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
		s->p++;
}

static int expect(scanner *s, char c)
{
	skip_ws(s);
	if (s->p >= s->end || *s->p != (unsigned char)c)
		return UNSURE;
	s->p++;
	return 0;
}

static int hex4(const unsigned char *p, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		int d = mc_hex_digit(p[i]);
		if (d < 0)
			return UNSURE;
		v = v << 4 | (unsigned)d;
	}
	*out = v;
	return 0;
}

/* One escape after the backslash, appended to out (may be NULL: checked only). */
static int scan_escape(scanner *s, mc_strbuf *out)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *hit;
	unsigned cp;

	if (s->p >= s->end)
		return UNSURE;
	if (*s->p != 'u') {
		if (!*s->p || !(hit = strchr(from, *s->p)))
			return UNSURE;
		if (out)
			mc_strbuf_putc(out, to[hit - from]);
		s->p++;
		return 0;
	}
	/* \u0000 (json-c keeps it, C strings cut there) and surrogates (json-c's own
	 * pairing and replacement rules) are left to json-c. */
	if (s->end - s->p < 5 || hex4(s->p + 1, &cp) || cp == 0 || (cp >= 0xd800 && cp <= 0xdfff))
		return UNSURE;
	s->p += 5;
	if (!out)
		return 0;
	if (cp < 0x80) {
		mc_strbuf_putc(out, (char)cp);
	} else if (cp < 0x800) {
		mc_strbuf_putc(out, (char)(0xc0 | cp >> 6));
		mc_strbuf_putc(out, (char)(0x80 | (cp & 0x3f)));
	} else {
		mc_strbuf_putc(out, (char)(0xe0 | cp >> 12));
		mc_strbuf_putc(out, (char)(0x80 | (cp >> 6 & 0x3f)));
		mc_strbuf_putc(out, (char)(0x80 | (cp & 0x3f)));
	}
	return 0;
}

/* The bytes that end a run of plain string content: the closing quote, an escape,
 * and the control characters JSON forbids there (one table load per byte). */
#define CTRL8(b) [b] = 1, [b + 1] = 1, [b + 2] = 1, [b + 3] = 1, [b + 4] = 1, [b + 5] = 1, \
		 [b + 6] = 1, [b + 7] = 1
static const unsigned char ends_run[256] = { CTRL8(0), CTRL8(8), CTRL8(16), CTRL8(24),
					     ['"'] = 1, ['\\'] = 1 };

/* A string at s->p (the opening quote), decoded into out unless out is NULL. */
static int scan_string(scanner *s, mc_strbuf *out)
{
	const unsigned char *run;

	if (expect(s, '"'))
		return UNSURE;
	if (out)
		mc_strbuf_reset(out);
	for (;;) {
		run = s->p;
		while (s->p < s->end && !ends_run[*s->p])
			s->p++;
		if (out && s->p > run)
			mc_strbuf_add(out, (const char *)run, (size_t)(s->p - run));
		if (s->p >= s->end || *s->p < 0x20)
			return UNSURE;
		if (*s->p++ == '"')
			return 0;
		if (scan_escape(s, out))
			return UNSURE;
	}
}

static int count_digits(scanner *s)
{
	const unsigned char *start = s->p;
	while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
		s->p++;
	return (int)(s->p - start);
}

/* A number in JSON's grammar, short and without an exponent; built when out. */
static int scan_number(scanner *s, struct json_object **out)
{
	const unsigned char *start = s->p;
	char buf[INT_DIGITS_MAX + FRAC_DIGITS_MAX + 3];
	int digits, frac = -1;

	if (s->p < s->end && *s->p == '-')
		s->p++;
	if (s->p >= s->end || !(*s->p >= '0' && *s->p <= '9'))
		return UNSURE;
	digits = count_digits(s);
	if (digits > INT_DIGITS_MAX || (digits > 1 && s->p[-digits] == '0'))
		return UNSURE;
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		if ((frac = count_digits(s)) == 0 || frac > FRAC_DIGITS_MAX)
			return UNSURE;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E'))
		return UNSURE;
	if (!out)
		return 0;
	memcpy(buf, start, (size_t)(s->p - start));
	buf[s->p - start] = '\0';
	*out = frac < 0 ? json_object_new_int64(strtoll(buf, NULL, 10))
			: json_object_new_double(strtod(buf, NULL));
	return 0;
}

static int scan_literal(scanner *s, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return UNSURE;
	s->p += n;
	return 0;
}

static int scan_value(scanner *s, const member_schema *members, int wanted,
		      struct json_object **out);

/* The schema entry for the key just read, or NULL. */
static const member_schema *find_member(const member_schema *members, const mc_strbuf *key)
{
	for (; members && members->key; members++)
		if (strlen(members->key) == key->len && memcmp(members->key, key->buf, key->len) == 0)
			return members;
	return NULL;
}

/*
 * An object. When wanted, *out is built with the members listed in members (none
 * when members is NULL: a leaf whose type alone matters).
 */
static int scan_object(scanner *s, const member_schema *members, int wanted,
		       struct json_object **out)
{
	struct json_object *obj = wanted ? json_object_new_object() : NULL;
	int rc = UNSURE;

	s->p++; /* '{' */
	skip_ws(s);
	if (s->p < s->end && *s->p == '}') {
		s->p++;
		rc = 0;
		goto done;
	}
	for (;;) {
		const member_schema *m = NULL;
		struct json_object *value = NULL;

		if (scan_string(s, members ? &s->key : NULL) || expect(s, ':'))
			goto done;
		if (members && (m = find_member(members, &s->key)) != NULL) {
			/* A copy of the key: the value's scan reuses s->key. */
			char *key = mc_xstrndup(s->key.buf ? s->key.buf : "", s->key.len);
			if (scan_value(s, m->members, 1, &value)) {
				free(key);
				json_object_put(value);
				goto done;
			}
			/* Like json-c: a repeated key replaces the earlier value. */
			json_object_object_add(obj, key, value);
			free(key);
		} else if (scan_value(s, NULL, 0, NULL)) {
			goto done;
		}
		skip_ws(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			continue;
		}
		if (s->p < s->end && *s->p == '}') {
			s->p++;
			rc = 0;
		}
		goto done;
	}
done:
	if (rc == 0 && wanted)
		*out = obj;
	else
		json_object_put(obj);
	return rc;
}

static int scan_array(scanner *s, int wanted, struct json_object **out)
{
	s->p++; /* '[' */
	skip_ws(s);
	if (s->p < s->end && *s->p == ']') {
		s->p++;
	} else {
		for (;;) {
			if (scan_value(s, NULL, 0, NULL))
				return UNSURE;
			skip_ws(s);
			if (s->p < s->end && *s->p == ',') {
				s->p++;
				continue;
			}
			if (s->p < s->end && *s->p == ']') {
				s->p++;
				break;
			}
			return UNSURE;
		}
	}
	/* Nobody reads an array's items: its type is all a wanted one needs. */
	if (wanted)
		*out = json_object_new_array();
	return 0;
}

/* Any value; *out built when wanted (NULL for a JSON null, as json-c stores it). */
static int scan_value(scanner *s, const member_schema *members, int wanted,
		      struct json_object **out)
{
	int rc;

	skip_ws(s);
	if (s->p >= s->end)
		return UNSURE;
	switch (*s->p) {
	case '{':
	case '[':
		if (++s->depth > MC_WEBHOOK_SCAN_MAX_DEPTH)
			return UNSURE;
		rc = *s->p == '{' ? scan_object(s, members, wanted, out) : scan_array(s, wanted, out);
		s->depth--;
		return rc;
	case '"':
		if (!wanted)
			return scan_string(s, NULL);
		if (scan_string(s, &s->text))
			return UNSURE;
		*out = json_object_new_string_len(s->text.len ? s->text.buf : "", (int)s->text.len);
		return 0;
	case 't':
		if (scan_literal(s, "true"))
			return UNSURE;
		if (wanted)
			*out = json_object_new_boolean(1);
		return 0;
	case 'f':
		if (scan_literal(s, "false"))
			return UNSURE;
		if (wanted)
			*out = json_object_new_boolean(0);
		return 0;
	case 'n':
		if (scan_literal(s, "null"))
			return UNSURE;
		if (wanted)
			*out = NULL;
		return 0;
	default:
		return scan_number(s, wanted ? out : NULL);
	}
}

int mc_webhook_scan(struct json_object **out, const char *body, size_t len)
{
	scanner s = { (const unsigned char *)body, (const unsigned char *)body + len, 0,
		      MC_STRBUF_INIT, MC_STRBUF_INIT };
	struct json_object *root = NULL;
	int rc = UNSURE;

	*out = NULL;
	if (len > (size_t)INT32_MAX)
		return UNSURE; /* json-c's own limit, and its message */
	skip_ws(&s);
	if (s.p < s.end && *s.p == '{' && scan_value(&s, root_members, 1, &root) == 0) {
		skip_ws(&s);
		if (s.p == s.end) {
			*out = root;
			root = NULL;
			rc = 0;
		}
	}
	json_object_put(root);
	mc_strbuf_release(&s.key);
	mc_strbuf_release(&s.text);
	return rc;
}
