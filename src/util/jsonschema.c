/*
 * JSON Schema subset validator (jsonschema.h).
 *
 * Each call makes two passes. The schema is first checked as a whole: every
 * keyword known, every value well-formed, every pattern compiled into a
 * per-call cache, every $ref resolvable. That way a bad keyword in a branch the
 * document never reaches is still caught, and the second pass, which walks the
 * document, can trust the schema's shape. The document path lives in a chain
 * of stack frames and is rendered into text only when a problem is reported.
 * Recursion is bounded (MAX_NESTING) in both passes, so a $ref cycle or a
 * document built in code with absurd nesting ends with an error, not a crash.
 */
#include "util/jsonschema.h"

#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/error.h"
#include "util/json.h"
#include "util/strbuf.h"
#include "util/utf8.h"

#define MAX_NESTING 256    /* schema applications in progress, document levels */
#define KEY_SHOWN_MAX 64   /* bytes of a key quoted in a message */
#define VALUE_SHOWN_MAX 200 /* bytes of a schema value (enum, const) quoted in a message */

/* One step of a JSON pointer: an object member (key) or an array element. */
struct frame {
	const struct frame *parent;
	const char *key; /* NULL for an array element */
	size_t index;
	int depth;
};

struct pattern {
	const char *source; /* the schema's string: stable while the schema lives */
	regex_t re;
};

struct ctx {
	struct json_object *root;
	struct pattern *patterns;
	size_t npatterns, patterns_alloc;
	mc_strbuf err;  /* "<path>: <problem>" of the latest failure */
	int err_depth;  /* document depth of that failure, to pick anyOf's closest branch */
	int fatal;      /* a failure anyOf/oneOf must pass on rather than try the next branch */
	int nesting;
};

/* ---- rendering paths and keys ---- */

static void put_char_escaped(mc_strbuf *sb, unsigned char c)
{
	if (c < 0x20 || c == 0x7f)
		mc_strbuf_printf(sb, "\\u%04x", c);
	else
		mc_strbuf_putc(sb, (char)c);
}

/* A key as a JSON-pointer token (pointer=1: ~0 ~1) or for quoting in '...'. */
static void put_key(mc_strbuf *sb, const char *key, int pointer)
{
	size_t i, n = strlen(key), shown = n;
	if (n > KEY_SHOWN_MAX) {
		shown = KEY_SHOWN_MAX;
		/* Do not cut a UTF-8 sequence in half. */
		while (shown > 0 && ((unsigned char)key[shown] & 0xc0) == 0x80)
			shown--;
	}
	for (i = 0; i < shown; i++) {
		unsigned char c = (unsigned char)key[i];
		if (pointer && c == '~')
			mc_strbuf_puts(sb, "~0");
		else if (pointer && c == '/')
			mc_strbuf_puts(sb, "~1");
		else if (!pointer && (c == '\'' || c == '\\')) {
			mc_strbuf_putc(sb, '\\');
			mc_strbuf_putc(sb, (char)c);
		} else
			put_char_escaped(sb, c);
	}
	if (shown < n)
		mc_strbuf_puts(sb, "...");
}

static void put_frames(mc_strbuf *sb, const struct frame *f)
{
	if (!f->parent)
		return;
	put_frames(sb, f->parent);
	mc_strbuf_putc(sb, '/');
	if (f->key)
		put_key(sb, f->key, 1);
	else
		mc_strbuf_printf(sb, "%zu", f->index);
}

/* The JSON pointer of f; the root is written "/" so a message never has an empty path. */
static void put_path(mc_strbuf *sb, const struct frame *f)
{
	size_t before = sb->len;
	put_frames(sb, f);
	if (sb->len == before)
		mc_strbuf_putc(sb, '/');
}

static const char *shown_value(struct json_object *v)
{
	return mc_json_dump(v, 0);
}

static int fail(struct ctx *c, const struct frame *f, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Record a document problem at f; returns MC_EINVAL. */
static int fail(struct ctx *c, const struct frame *f, const char *fmt, ...)
{
	va_list ap;
	mc_strbuf_reset(&c->err);
	put_path(&c->err, f);
	mc_strbuf_puts(&c->err, ": ");
	va_start(ap, fmt);
	mc_strbuf_vprintf(&c->err, fmt, ap);
	va_end(ap);
	c->err_depth = f->depth;
	return MC_EINVAL;
}

static int schema_fail(const struct frame *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Report a malformed schema at schema pointer f; returns MC_EINTERNAL. */
static int schema_fail(const struct frame *f, const char *fmt, ...)
{
	mc_strbuf sb = MC_STRBUF_INIT;
	va_list ap;
	mc_strbuf_puts(&sb, "schema: ");
	put_path(&sb, f);
	mc_strbuf_puts(&sb, ": ");
	va_start(ap, fmt);
	mc_strbuf_vprintf(&sb, fmt, ap);
	va_end(ap);
	mc_error_set(MC_EINTERNAL, "%s", mc_strbuf_str(&sb));
	mc_strbuf_release(&sb);
	return MC_EINTERNAL;
}

static struct frame child_key(const struct frame *parent, const char *key)
{
	struct frame f = { parent, key, 0, parent->depth + 1 };
	return f;
}

static struct frame child_index(const struct frame *parent, size_t index)
{
	struct frame f = { parent, NULL, index, parent->depth + 1 };
	return f;
}

/* ---- JSON value helpers ---- */

static int is_number(struct json_object *v)
{
	return json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double);
}

static int is_integral(struct json_object *v)
{
	double d;
	if (json_object_is_type(v, json_type_int))
		return 1;
	if (!json_object_is_type(v, json_type_double))
		return 0;
	d = json_object_get_double(v);
	return isfinite(d) && floor(d) == d;
}

static const char *type_name_of(struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null: return "null";
	case json_type_boolean: return "boolean";
	case json_type_object: return "object";
	case json_type_array: return "array";
	case json_type_int:
	case json_type_double: return "number";
	case json_type_string: return "string";
	}
	return "unknown";
}

static int numbers_equal(struct json_object *a, struct json_object *b)
{
	/* Two json-c integers compare exactly; the (int64, uint64) pair tells apart
	 * values above INT64_MAX, where get_int64 saturates. */
	if (json_object_is_type(a, json_type_int) && json_object_is_type(b, json_type_int))
		return json_object_get_int64(a) == json_object_get_int64(b) &&
		       json_object_get_uint64(a) == json_object_get_uint64(b);
	/* JSON Schema equality is numeric: 1 equals 1.0. */
	return json_object_get_double(a) == json_object_get_double(b);
}

static int strings_equal(struct json_object *a, struct json_object *b)
{
	int n = json_object_get_string_len(a);
	return n == json_object_get_string_len(b) &&
	       memcmp(json_object_get_string(a), json_object_get_string(b), (size_t)n) == 0;
}

static int json_equal(struct json_object *a, struct json_object *b, int depth);

static int arrays_equal(struct json_object *a, struct json_object *b, int depth)
{
	size_t i, n = json_object_array_length(a);
	if (n != json_object_array_length(b))
		return 0;
	for (i = 0; i < n; i++)
		if (!json_equal(json_object_array_get_idx(a, i), json_object_array_get_idx(b, i),
				depth + 1))
			return 0;
	return 1;
}

static int objects_equal(struct json_object *a, struct json_object *b, int depth)
{
	if (json_object_object_length(a) != json_object_object_length(b))
		return 0;
	json_object_object_foreach(a, key, val) {
		struct json_object *other;
		if (!json_object_object_get_ex(b, key, &other) || !json_equal(val, other, depth + 1))
			return 0;
	}
	return 1;
}

/* Structural equality as JSON Schema defines it (const, enum, uniqueItems). */
static int json_equal(struct json_object *a, struct json_object *b, int depth)
{
	if (a == b)
		return 1;
	if (depth > MAX_NESTING)
		return 0;
	if (is_number(a) && is_number(b))
		return numbers_equal(a, b);
	if (json_object_get_type(a) != json_object_get_type(b))
		return 0;
	switch (json_object_get_type(a)) {
	case json_type_null: return 1;
	case json_type_boolean: return json_object_get_boolean(a) == json_object_get_boolean(b);
	case json_type_string: return strings_equal(a, b);
	case json_type_array: return arrays_equal(a, b, depth);
	case json_type_object: return objects_equal(a, b, depth);
	default: return 0;
	}
}

static uint64_t mix64(uint64_t x)
{
	/* splitmix64's finaliser: spreads every input bit over the output. */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t hash_bytes(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;
	for (i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ULL;
	}
	return mix64(h ^ n);
}

/* A hash consistent with json_equal: equal values hash alike (numbers by value,
 * objects independent of member order). */
static uint64_t json_hash(struct json_object *v, int depth)
{
	uint64_t h, bits;
	double d;
	size_t i, n;
	if (depth > MAX_NESTING)
		return 0;
	switch (json_object_get_type(v)) {
	case json_type_null: return 1;
	case json_type_boolean: return json_object_get_boolean(v) ? 2 : 3;
	case json_type_int:
	case json_type_double:
		d = json_object_get_double(v);
		if (d == 0)
			d = 0; /* -0.0 equals 0.0 */
		memcpy(&bits, &d, sizeof bits);
		return mix64(bits ^ 4);
	case json_type_string:
		return hash_bytes(json_object_get_string(v), (size_t)json_object_get_string_len(v));
	case json_type_array:
		h = 5;
		n = json_object_array_length(v);
		for (i = 0; i < n; i++)
			h = mix64(h ^ json_hash(json_object_array_get_idx(v, i), depth + 1));
		return h;
	case json_type_object:
		h = 6;
		json_object_object_foreach(v, key, val)
			h += mix64(hash_bytes(key, strlen(key)) ^ json_hash(val, depth + 1));
		return h;
	}
	return 0;
}

struct hashed_item {
	uint64_t hash;
	size_t index;
};

static int compare_hashed(const void *pa, const void *pb)
{
	const struct hashed_item *a = pa, *b = pb;
	if (a->hash != b->hash)
		return a->hash < b->hash ? -1 : 1;
	return a->index < b->index ? -1 : a->index > b->index;
}

/* Find two equal items (the pair whose later index is smallest) in O(n log n)
 * expected time: sort by hash, compare only within runs of equal hashes. */
static int find_duplicate(struct json_object *arr, size_t *first, size_t *second)
{
	size_t n = json_object_array_length(arr), i, j, k, run_end;
	struct hashed_item *items;
	int found = 0;
	if (n < 2)
		return 0;
	items = mc_xmalloc(n * sizeof *items);
	for (i = 0; i < n; i++) {
		items[i].hash = json_hash(json_object_array_get_idx(arr, i), 0);
		items[i].index = i;
	}
	qsort(items, n, sizeof *items, compare_hashed);
	for (i = 0; i < n; i = run_end) {
		for (run_end = i + 1; run_end < n && items[run_end].hash == items[i].hash; run_end++)
			;
		for (j = i + 1; j < run_end; j++) {
			for (k = i; k < j; k++) {
				if (json_equal(json_object_array_get_idx(arr, items[k].index),
					       json_object_array_get_idx(arr, items[j].index), 0))
					break;
			}
			if (k < j) {
				if (!found || items[j].index < *second) {
					*first = items[k].index;
					*second = items[j].index;
				}
				found = 1;
				break;
			}
		}
	}
	free(items);
	return found;
}

/* ---- pass 1: checking the schema ---- */

enum shape {
	SHAPE_ANY,
	SHAPE_STRING,
	SHAPE_BOOL,
	SHAPE_NUMBER,
	SHAPE_COUNT,       /* non-negative integer */
	SHAPE_TYPE,
	SHAPE_STRINGS,     /* array of strings */
	SHAPE_ARRAY,
	SHAPE_PATTERN,
	SHAPE_REF,
	SHAPE_SCHEMA,
	SHAPE_SCHEMA_MAP,  /* object whose values are schemas */
	SHAPE_SCHEMA_LIST, /* non-empty array of schemas */
	SHAPE_DEFS,
};

static const struct {
	const char *name;
	enum shape shape;
} keywords[] = {
	{ "type", SHAPE_TYPE },
	{ "properties", SHAPE_SCHEMA_MAP },
	{ "additionalProperties", SHAPE_SCHEMA },
	{ "required", SHAPE_STRINGS },
	{ "enum", SHAPE_ARRAY },
	{ "const", SHAPE_ANY },
	{ "minimum", SHAPE_NUMBER },
	{ "maximum", SHAPE_NUMBER },
	{ "exclusiveMinimum", SHAPE_NUMBER },
	{ "exclusiveMaximum", SHAPE_NUMBER },
	{ "minLength", SHAPE_COUNT },
	{ "maxLength", SHAPE_COUNT },
	{ "pattern", SHAPE_PATTERN },
	{ "items", SHAPE_SCHEMA },
	{ "minItems", SHAPE_COUNT },
	{ "maxItems", SHAPE_COUNT },
	{ "uniqueItems", SHAPE_BOOL },
	{ "$ref", SHAPE_REF },
	{ "$defs", SHAPE_DEFS },
	{ "anyOf", SHAPE_SCHEMA_LIST },
	{ "oneOf", SHAPE_SCHEMA_LIST },
	{ "allOf", SHAPE_SCHEMA_LIST },
	/* annotations: accepted, never enforced */
	{ "description", SHAPE_STRING },
	{ "title", SHAPE_STRING },
	{ "$comment", SHAPE_STRING },
	{ "$schema", SHAPE_STRING },
	{ "$id", SHAPE_STRING },
	{ "format", SHAPE_STRING },
	{ "default", SHAPE_ANY },
	{ "examples", SHAPE_ARRAY },
};

static const char *const type_names[] = {
	"null", "boolean", "object", "array", "number", "string", "integer",
};

static int is_type_name(struct json_object *v)
{
	size_t i;
	if (!json_object_is_type(v, json_type_string))
		return 0;
	for (i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
		if (!strcmp(json_object_get_string(v), type_names[i]))
			return 1;
	return 0;
}

/* The $defs entry a "#/$defs/<name>" reference names (~0 and ~1 decoded), or NULL. */
static struct json_object *resolve_ref(struct json_object *root, const char *ref)
{
	static const char prefix[] = "#/$defs/";
	struct json_object *defs, *target = NULL;
	mc_strbuf name = MC_STRBUF_INIT;
	const char *p;
	if (strncmp(ref, prefix, sizeof prefix - 1) != 0)
		return NULL;
	for (p = ref + sizeof prefix - 1; *p; p++) {
		if (*p == '/')
			goto out; /* a pointer into a definition: not supported */
		if (p[0] == '~' && p[1] == '0')
			mc_strbuf_putc(&name, '~'), p++;
		else if (p[0] == '~' && p[1] == '1')
			mc_strbuf_putc(&name, '/'), p++;
		else if (*p == '~')
			goto out;
		else
			mc_strbuf_putc(&name, *p);
	}
	defs = mc_json_get(root, "$defs");
	target = mc_json_get(defs, mc_strbuf_str(&name));
out:
	mc_strbuf_release(&name);
	return target;
}

static regex_t *find_pattern(struct ctx *c, const char *source)
{
	size_t i;
	for (i = 0; i < c->npatterns; i++)
		if (c->patterns[i].source == source)
			return &c->patterns[i].re;
	return NULL;
}

static int compile_pattern(struct ctx *c, struct json_object *v, const struct frame *f)
{
	const char *source = json_object_get_string(v);
	struct pattern *p;
	int rc;
	char msg[256];
	if (find_pattern(c, source))
		return 0;
	if (strlen(source) != (size_t)json_object_get_string_len(v))
		return schema_fail(f, "pattern contains a NUL character");
	mc_xgrow((void **)&c->patterns, &c->patterns_alloc, c->npatterns + 1, sizeof *c->patterns);
	p = &c->patterns[c->npatterns];
	rc = regcomp(&p->re, source, REG_EXTENDED | REG_NOSUB);
	if (rc) {
		regerror(rc, &p->re, msg, sizeof msg);
		return schema_fail(f, "pattern does not compile as a POSIX extended regex: %s", msg);
	}
	p->source = source;
	c->npatterns++;
	return 0;
}

static int check_schema(struct ctx *c, struct json_object *s, const struct frame *f);

static int check_type_keyword(struct json_object *v, const struct frame *f)
{
	size_t i, n;
	if (is_type_name(v))
		return 0;
	if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) == 0)
		return schema_fail(f, "type must be a type name or a non-empty array of them");
	n = json_object_array_length(v);
	for (i = 0; i < n; i++)
		if (!is_type_name(json_object_array_get_idx(v, i)))
			return schema_fail(f, "type list entry %zu is not a type name", i);
	return 0;
}

static int check_schema_map(struct ctx *c, struct json_object *v, const struct frame *f)
{
	if (!json_object_is_type(v, json_type_object))
		return schema_fail(f, "must be an object of schemas");
	json_object_object_foreach(v, key, sub) {
		struct frame kf = child_key(f, key);
		int rc = check_schema(c, sub, &kf);
		if (rc)
			return rc;
	}
	return 0;
}

static int check_schema_list(struct ctx *c, struct json_object *v, const struct frame *f)
{
	size_t i, n;
	if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) == 0)
		return schema_fail(f, "must be a non-empty array of schemas");
	n = json_object_array_length(v);
	for (i = 0; i < n; i++) {
		struct frame inf = child_index(f, i);
		int rc = check_schema(c, json_object_array_get_idx(v, i), &inf);
		if (rc)
			return rc;
	}
	return 0;
}

static int check_strings(struct json_object *v, const struct frame *f)
{
	size_t i, n;
	if (!json_object_is_type(v, json_type_array))
		return schema_fail(f, "must be an array of strings");
	n = json_object_array_length(v);
	for (i = 0; i < n; i++)
		if (!json_object_is_type(json_object_array_get_idx(v, i), json_type_string))
			return schema_fail(f, "entry %zu is not a string", i);
	return 0;
}

static int check_keyword(struct ctx *c, const char *name, struct json_object *v,
			 const struct frame *f, int at_root)
{
	size_t i;
	for (i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
		if (!strcmp(name, keywords[i].name))
			break;
	if (i == sizeof keywords / sizeof keywords[0]) {
		mc_strbuf quoted = MC_STRBUF_INIT;
		int rc;
		put_key(&quoted, name, 0);
		rc = schema_fail(f->parent, "unsupported keyword '%s'", mc_strbuf_str(&quoted));
		mc_strbuf_release(&quoted);
		return rc;
	}
	switch (keywords[i].shape) {
	case SHAPE_ANY:
		return 0;
	case SHAPE_STRING:
		return json_object_is_type(v, json_type_string) ? 0 : schema_fail(f, "must be a string");
	case SHAPE_BOOL:
		return json_object_is_type(v, json_type_boolean) ? 0 : schema_fail(f, "must be a boolean");
	case SHAPE_NUMBER:
		if (is_number(v) && isfinite(json_object_get_double(v)))
			return 0;
		return schema_fail(f, "must be a finite number");
	case SHAPE_COUNT:
		if (json_object_is_type(v, json_type_int) && json_object_get_int64(v) >= 0)
			return 0;
		return schema_fail(f, "must be a non-negative integer");
	case SHAPE_TYPE:
		return check_type_keyword(v, f);
	case SHAPE_STRINGS:
		return check_strings(v, f);
	case SHAPE_ARRAY:
		return json_object_is_type(v, json_type_array) ? 0 : schema_fail(f, "must be an array");
	case SHAPE_PATTERN:
		if (!json_object_is_type(v, json_type_string))
			return schema_fail(f, "must be a string");
		return compile_pattern(c, v, f);
	case SHAPE_REF:
		if (json_object_is_type(v, json_type_string) &&
		    resolve_ref(c->root, json_object_get_string(v)))
			return 0;
		return schema_fail(f, "cannot resolve %s (only \"#/$defs/<name>\" is supported)",
				   shown_value(v));
	case SHAPE_SCHEMA:
		return check_schema(c, v, f);
	case SHAPE_SCHEMA_MAP:
		return check_schema_map(c, v, f);
	case SHAPE_SCHEMA_LIST:
		return check_schema_list(c, v, f);
	case SHAPE_DEFS:
		if (!at_root)
			return schema_fail(f, "$defs is supported only at the schema root");
		return check_schema_map(c, v, f);
	}
	return schema_fail(f, "internal: unhandled keyword shape");
}

static int check_schema(struct ctx *c, struct json_object *s, const struct frame *f)
{
	if (json_object_is_type(s, json_type_boolean))
		return 0;
	if (!json_object_is_type(s, json_type_object))
		return schema_fail(f, "a schema must be an object or a boolean");
	if (f->depth > MAX_NESTING)
		return schema_fail(f, "nested deeper than %d levels", MAX_NESTING);
	json_object_object_foreach(s, key, val) {
		struct frame kf = child_key(f, key);
		int rc = check_keyword(c, key, val, &kf, f->parent == NULL);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- pass 2: validating the document ---- */

static int validate(struct ctx *c, struct json_object *s, struct json_object *doc,
		    const struct frame *f);

static int type_matches_one(const char *name, struct json_object *doc)
{
	if (!strcmp(name, "number"))
		return is_number(doc);
	if (!strcmp(name, "integer"))
		return is_integral(doc);
	return !strcmp(name, type_name_of(doc));
}

static int check_type(struct ctx *c, struct json_object *type, struct json_object *doc,
		      const struct frame *f)
{
	mc_strbuf expected = MC_STRBUF_INIT;
	size_t i, n;
	int rc;
	if (json_object_is_type(type, json_type_string)) {
		if (type_matches_one(json_object_get_string(type), doc))
			return 0;
		return fail(c, f, "expected %s, got %s", json_object_get_string(type),
			    type_name_of(doc));
	}
	n = json_object_array_length(type);
	for (i = 0; i < n; i++)
		if (type_matches_one(json_object_get_string(json_object_array_get_idx(type, i)), doc))
			return 0;
	for (i = 0; i < n; i++) {
		if (i)
			mc_strbuf_puts(&expected, " or ");
		mc_strbuf_puts(&expected, json_object_get_string(json_object_array_get_idx(type, i)));
	}
	rc = fail(c, f, "expected %s, got %s", mc_strbuf_str(&expected), type_name_of(doc));
	mc_strbuf_release(&expected);
	return rc;
}

static int check_enum(struct ctx *c, struct json_object *list, struct json_object *doc,
		      const struct frame *f)
{
	size_t i, n = json_object_array_length(list);
	for (i = 0; i < n; i++)
		if (json_equal(json_object_array_get_idx(list, i), doc, 0))
			return 0;
	return fail(c, f, "expected one of %.*s", VALUE_SHOWN_MAX, shown_value(list));
}

static int check_number(struct ctx *c, struct json_object *s, struct json_object *doc,
			const struct frame *f)
{
	double d = json_object_get_double(doc);
	struct json_object *v;
	if ((v = mc_json_get(s, "minimum")) && d < json_object_get_double(v))
		return fail(c, f, "%s is less than the minimum %s", shown_value(doc), shown_value(v));
	if ((v = mc_json_get(s, "maximum")) && d > json_object_get_double(v))
		return fail(c, f, "%s is greater than the maximum %s", shown_value(doc),
			    shown_value(v));
	if ((v = mc_json_get(s, "exclusiveMinimum")) && d <= json_object_get_double(v))
		return fail(c, f, "%s is not greater than %s", shown_value(doc), shown_value(v));
	if ((v = mc_json_get(s, "exclusiveMaximum")) && d >= json_object_get_double(v))
		return fail(c, f, "%s is not less than %s", shown_value(doc), shown_value(v));
	return 0;
}

static int check_string(struct ctx *c, struct json_object *s, struct json_object *doc,
			const struct frame *f)
{
	const char *str = json_object_get_string(doc);
	size_t bytes = (size_t)json_object_get_string_len(doc);
	size_t chars = mc_utf8_length(str, bytes);
	struct json_object *v;
	/* JSON text is UTF-8 (RFC 8259) but json-c passes any bytes through; a
	 * schema-checked string is guaranteed well-formed to whoever uses it next. */
	if (chars == (size_t)-1)
		return fail(c, f, "string is not valid UTF-8");
	/* \u0000 is valid JSON, but every consumer (and regexec) reads C strings:
	 * "a\u0000**" would silently become "a", "ok\u0000evil" would match "^ok$". */
	if (memchr(str, '\0', bytes))
		return fail(c, f, "string contains a NUL character");
	if ((v = mc_json_get(s, "minLength")) && chars < (size_t)json_object_get_int64(v))
		return fail(c, f, "string has %zu characters, fewer than the minimum %s", chars,
			    shown_value(v));
	if ((v = mc_json_get(s, "maxLength")) && chars > (size_t)json_object_get_int64(v))
		return fail(c, f, "string has %zu characters, more than the maximum %s", chars,
			    shown_value(v));
	if ((v = mc_json_get(s, "pattern"))) {
		regex_t *re = find_pattern(c, json_object_get_string(v));
		if (!re || regexec(re, str, 0, NULL, 0) != 0)
			return fail(c, f, "string does not match the pattern '%s'",
				    json_object_get_string(v));
	}
	return 0;
}

static int check_array(struct ctx *c, struct json_object *s, struct json_object *doc,
		       const struct frame *f)
{
	size_t i, n = json_object_array_length(doc), first = 0, second = 0;
	struct json_object *v;
	int rc;
	if ((v = mc_json_get(s, "minItems")) && n < (size_t)json_object_get_int64(v))
		return fail(c, f, "array has %zu items, fewer than the minimum %s", n, shown_value(v));
	if ((v = mc_json_get(s, "maxItems")) && n > (size_t)json_object_get_int64(v))
		return fail(c, f, "array has %zu items, more than the maximum %s", n, shown_value(v));
	if ((v = mc_json_get(s, "items"))) {
		for (i = 0; i < n; i++) {
			struct frame inf = child_index(f, i);
			if ((rc = validate(c, v, json_object_array_get_idx(doc, i), &inf)))
				return rc;
		}
	}
	if ((v = mc_json_get(s, "uniqueItems")) && json_object_get_boolean(v) &&
	    find_duplicate(doc, &first, &second))
		return fail(c, f, "items %zu and %zu are equal, but items must be unique", first,
			    second);
	return 0;
}

static int fail_with_key(struct ctx *c, const struct frame *f, const char *problem,
			 const char *key)
{
	mc_strbuf quoted = MC_STRBUF_INIT;
	int rc;
	put_key(&quoted, key, 0);
	rc = fail(c, f, "%s '%s'", problem, mc_strbuf_str(&quoted));
	mc_strbuf_release(&quoted);
	return rc;
}

static int check_object(struct ctx *c, struct json_object *s, struct json_object *doc,
			const struct frame *f)
{
	struct json_object *required = mc_json_get(s, "required");
	struct json_object *props = mc_json_get(s, "properties");
	struct json_object *extra = mc_json_get(s, "additionalProperties");
	size_t i, n = required ? json_object_array_length(required) : 0;
	int rc;
	for (i = 0; i < n; i++) {
		const char *name = json_object_get_string(json_object_array_get_idx(required, i));
		if (!json_object_object_get_ex(doc, name, NULL))
			return fail_with_key(c, f, "missing required key", name);
	}
	if (!props && !extra)
		return 0;
	json_object_object_foreach(doc, key, val) {
		struct json_object *sub = NULL;
		struct frame kf = child_key(f, key);
		if (props && json_object_object_get_ex(props, key, &sub))
			rc = validate(c, sub, val, &kf);
		else if (!extra)
			rc = 0;
		else if (json_object_is_type(extra, json_type_boolean) &&
			 !json_object_get_boolean(extra))
			rc = fail_with_key(c, f, "unknown key", key);
		else
			rc = validate(c, extra, val, &kf);
		if (rc)
			return rc;
	}
	return 0;
}

/* anyOf (exactly_one=0) and oneOf (exactly_one=1). When nothing matches, the
 * message is that of the branch which got deepest into the document: for
 * [{object with x}, null] and {"x": "bad"} that names /x, not the alternatives. */
static int check_alternatives(struct ctx *c, struct json_object *list, struct json_object *doc,
			      const struct frame *f, int exactly_one)
{
	mc_strbuf closest = MC_STRBUF_INIT;
	size_t i, n = json_object_array_length(list), matches = 0;
	int closest_depth = -1, rc = 0;
	for (i = 0; i < n; i++) {
		rc = validate(c, json_object_array_get_idx(list, i), doc, f);
		if (c->fatal)
			goto out;
		if (rc == 0) {
			matches++;
			if (!exactly_one)
				break;
		} else if (c->err_depth > closest_depth) {
			closest_depth = c->err_depth;
			mc_strbuf_reset(&closest);
			mc_strbuf_puts(&closest, mc_strbuf_str(&c->err));
		}
	}
	rc = 0;
	if (exactly_one && matches > 1) {
		rc = fail(c, f, "matches %zu of the oneOf alternatives, expected exactly one",
			  matches);
	} else if (matches == 0 && closest_depth > f->depth) {
		mc_strbuf_reset(&c->err);
		mc_strbuf_puts(&c->err, mc_strbuf_str(&closest));
		c->err_depth = closest_depth;
		rc = MC_EINVAL;
	} else if (matches == 0) {
		rc = fail(c, f, "matches none of the %zu %s alternatives", n,
			  exactly_one ? "oneOf" : "anyOf");
	}
out:
	mc_strbuf_release(&closest);
	return rc;
}

static int check_all_of(struct ctx *c, struct json_object *list, struct json_object *doc,
			const struct frame *f)
{
	size_t i, n = json_object_array_length(list);
	int rc;
	for (i = 0; i < n; i++)
		if ((rc = validate(c, json_object_array_get_idx(list, i), doc, f)))
			return rc;
	return 0;
}

static int validate_by_type(struct ctx *c, struct json_object *s, struct json_object *doc,
			    const struct frame *f)
{
	switch (json_object_get_type(doc)) {
	case json_type_int:
	case json_type_double: return check_number(c, s, doc, f);
	case json_type_string: return check_string(c, s, doc, f);
	case json_type_array: return check_array(c, s, doc, f);
	case json_type_object: return check_object(c, s, doc, f);
	default: return 0;
	}
}

static int validate_keywords(struct ctx *c, struct json_object *s, struct json_object *doc,
			     const struct frame *f)
{
	struct json_object *v;
	int rc;
	/* JSON cannot carry NaN or infinity, but a document built in code can. */
	if (json_object_is_type(doc, json_type_double) && !isfinite(json_object_get_double(doc)))
		return fail(c, f, "number is not finite");
	if ((v = mc_json_get(s, "type")) && (rc = check_type(c, v, doc, f)))
		return rc;
	/* get_ex, not mc_json_get: "const": null is a constraint, not an absent key. */
	if (json_object_object_get_ex(s, "const", &v) && !json_equal(v, doc, 0))
		return fail(c, f, "expected %.*s", VALUE_SHOWN_MAX, shown_value(v));
	if ((v = mc_json_get(s, "enum")) && (rc = check_enum(c, v, doc, f)))
		return rc;
	if ((rc = validate_by_type(c, s, doc, f)))
		return rc;
	if ((v = mc_json_get(s, "$ref")) &&
	    (rc = validate(c, resolve_ref(c->root, json_object_get_string(v)), doc, f)))
		return rc;
	if ((v = mc_json_get(s, "allOf")) && (rc = check_all_of(c, v, doc, f)))
		return rc;
	if ((v = mc_json_get(s, "anyOf")) && (rc = check_alternatives(c, v, doc, f, 0)))
		return rc;
	if ((v = mc_json_get(s, "oneOf")) && (rc = check_alternatives(c, v, doc, f, 1)))
		return rc;
	return 0;
}

static int validate(struct ctx *c, struct json_object *s, struct json_object *doc,
		    const struct frame *f)
{
	int rc;
	if (json_object_is_type(s, json_type_boolean))
		return json_object_get_boolean(s) ? 0 : fail(c, f, "no value is allowed here");
	if (c->nesting >= MAX_NESTING || f->depth >= MAX_NESTING) {
		c->fatal = 1;
		return fail(c, f, "nested deeper than %d levels", MAX_NESTING);
	}
	c->nesting++;
	rc = validate_keywords(c, s, doc, f);
	c->nesting--;
	return rc;
}

static void ctx_release(struct ctx *c)
{
	size_t i;
	for (i = 0; i < c->npatterns; i++)
		regfree(&c->patterns[i].re);
	free(c->patterns);
	mc_strbuf_release(&c->err);
}

int mc_jsonschema_check(struct json_object *schema)
{
	struct ctx c = { .root = schema };
	struct frame root = { NULL, NULL, 0, 0 };
	int rc = check_schema(&c, schema, &root);
	ctx_release(&c);
	return rc;
}

int mc_jsonschema_validate(struct json_object *schema, struct json_object *doc, const char *what)
{
	struct ctx c = { .root = schema };
	struct frame root = { NULL, NULL, 0, 0 };
	int rc = check_schema(&c, schema, &root);
	if (rc == 0) {
		rc = validate(&c, schema, doc, &root);
		if (rc)
			rc = mc_error_set(MC_EINVAL, "%s: %s", what, mc_strbuf_str(&c.err));
	}
	ctx_release(&c);
	return rc;
}
