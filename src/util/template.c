/*
 * Mustache-subset renderer (template.h). A single recursive pass over the
 * template text: sections are found by scanning for their matching close tag
 * (counting nested sections of the same name), so no parse tree is built.
 */
#include "util/template.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util/error.h"

#define MC_TEMPLATE_MAX_DEPTH 16

struct scope {
	struct json_object *value;
	const struct scope *parent;
};

static int line_of(const char *start, const char *at)
{
	int line = 1;
	for (; start < at; start++)
		line += *start == '\n';
	return line;
}

static struct json_object *lookup_in(struct json_object *obj, const char *name, size_t len)
{
	char key[128];
	const char *dot;
	struct json_object *v = obj;
	while (len) {
		size_t part;
		dot = memchr(name, '.', len);
		part = dot ? (size_t)(dot - name) : len;
		if (part == 0 || part >= sizeof key || !v || !json_object_is_type(v, json_type_object))
			return NULL;
		memcpy(key, name, part);
		key[part] = '\0';
		if (!json_object_object_get_ex(v, key, &v))
			return NULL;
		name += part;
		len -= part;
		if (len) {
			name++;
			len--;
		}
	}
	return v;
}

/* Resolve a name against the innermost scope that has its first component. */
static int resolve(struct json_object **out, const struct scope *sc, const char *name, size_t len)
{
	const char *dot = memchr(name, '.', len);
	size_t head = dot ? (size_t)(dot - name) : len;
	if (len == 1 && name[0] == '.') {
		*out = sc->value;
		return 1;
	}
	for (; sc; sc = sc->parent) {
		if (lookup_in(sc->value, name, head)) {
			*out = lookup_in(sc->value, name, len);
			return 1;
		}
	}
	*out = NULL;
	return 0;
}

static int truthy(struct json_object *v)
{
	if (!v)
		return 0;
	switch (json_object_get_type(v)) {
	case json_type_null: return 0;
	case json_type_boolean: return json_object_get_boolean(v);
	case json_type_int: return json_object_get_int64(v) != 0;
	case json_type_double: return json_object_get_double(v) != 0.0;
	case json_type_string: return json_object_get_string_len(v) > 0;
	case json_type_array: return json_object_array_length(v) > 0;
	default: return 1;
	}
}

void mc_template_escape_markdown(mc_strbuf *out, const char *text)
{
	for (; *text; text++) {
		unsigned char c = (unsigned char)*text;
		if (c == '\n' || c == '\r' || c == '\t')
			mc_strbuf_putc(out, ' ');
		else if (c == '<')
			mc_strbuf_puts(out, "&lt;");
		else if (c == '>')
			mc_strbuf_puts(out, "&gt;");
		else if (c == '&')
			mc_strbuf_puts(out, "&amp;");
		else if (c < 0x20 || c == 0x7f)
			continue;
		else {
			if (strchr("\\`*_{}[]()#+!|~@", c))
				mc_strbuf_putc(out, '\\');
			mc_strbuf_putc(out, (char)c);
		}
	}
}

static void format_thousands(mc_strbuf *out, double v, int decimals)
{
	char digits[64];
	int n, i, lead;
	if (v < 0) {
		mc_strbuf_putc(out, '-');
		v = -v;
	}
	n = snprintf(digits, sizeof digits, "%.*f", decimals, v);
	lead = n - (decimals ? decimals + 1 : 0);
	for (i = 0; i < n; i++) {
		if (i > 0 && i < lead && (lead - i) % 3 == 0)
			mc_strbuf_putc(out, ',');
		mc_strbuf_putc(out, digits[i]);
	}
}

static int format_value(mc_strbuf *out, struct json_object *v, const char *filter, size_t flen,
			int escape)
{
	double d;
	const char *s;
	if (!v || json_object_is_type(v, json_type_null)) {
		mc_strbuf_puts(out, flen ? "n/a" : "");
		return 0;
	}
	if (!flen) {
		s = json_object_is_type(v, json_type_string) ? json_object_get_string(v)
			: json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
		if (escape)
			mc_template_escape_markdown(out, s);
		else
			mc_strbuf_puts(out, s);
		return 0;
	}
	if (flen == 5 && !memcmp(filter, "short", 5)) {
		s = json_object_get_string(v);
		mc_strbuf_add(out, s, strnlen(s, 10));
		return 0;
	}
	d = json_object_get_double(v);
	if (!isfinite(d)) {
		mc_strbuf_puts(out, "n/a");
	} else if (flen == 3 && !memcmp(filter, "usd", 3)) {
		if (d < 0) {
			mc_strbuf_putc(out, '-');
			d = -d;
		}
		mc_strbuf_putc(out, '$');
		format_thousands(out, d, 2);
	} else if (flen == 3 && !memcmp(filter, "pct", 3)) {
		mc_strbuf_printf(out, "%.1f %%", d * 100.0);
	} else if (flen == 3 && !memcmp(filter, "num", 3)) {
		/* Three significant digits, but 1,121 lines reads better than 1.12e+03. */
		if (fabs(d) >= 1000) {
			if (d < 0)
				mc_strbuf_putc(out, '-');
			format_thousands(out, round(fabs(d)), 0);
		} else {
			mc_strbuf_printf(out, "%.3g", d);
		}
	} else if (flen == 3 && !memcmp(filter, "int", 3)) {
		format_thousands(out, round(d), 0);
	} else {
		return -1;
	}
	return 0;
}

/* Find the close tag {{/name}} matching a section opened before p. */
static const char *find_close(const char *p, const char *name, size_t len, const char **after)
{
	int depth = 1;
	while ((p = strstr(p, "{{")) != NULL) {
		const char *t = p + 2;
		if ((*t == '#' || *t == '^' || *t == '/') && !strncmp(t + 1, name, len) &&
		    !strncmp(t + 1 + len, "}}", 2)) {
			if (*t == '/' && --depth == 0) {
				*after = t + 1 + len + 2;
				return p;
			}
			if (*t != '/')
				depth++;
		}
		p = t;
	}
	return NULL;
}

/* A tag alone on its line (only blanks around it) swallows that line's newline. */
static const char *skip_standalone_newline(const char *tag_end)
{
	const char *q = tag_end;
	while (*q == ' ' || *q == '\t')
		q++;
	if (*q == '\n')
		return q + 1;
	return tag_end;
}

static int at_line_start(const char *start, const char *p)
{
	while (p > start && (p[-1] == ' ' || p[-1] == '\t'))
		p--;
	return p == start || p[-1] == '\n';
}

static int render(mc_strbuf *out, const char *doc, const char *begin, const char *end,
		  const struct scope *sc, int depth);

static int render_section(mc_strbuf *out, const char *doc, const char *body, const char *body_end,
			  struct json_object *v, int inverted, const struct scope *sc, int depth)
{
	struct scope inner;
	size_t i, n;
	if (inverted)
		return truthy(v) ? 0 : render(out, doc, body, body_end, sc, depth + 1);
	if (!truthy(v))
		return 0;
	if (json_object_is_type(v, json_type_array)) {
		n = json_object_array_length(v);
		for (i = 0; i < n; i++) {
			inner.value = json_object_array_get_idx(v, i);
			inner.parent = sc;
			if (render(out, doc, body, body_end, &inner, depth + 1))
				return mc_error_code();
		}
		return 0;
	}
	inner.value = v;
	inner.parent = sc;
	return render(out, doc, body, body_end, json_object_is_type(v, json_type_object) ? &inner : sc,
		      depth + 1);
}

static int render(mc_strbuf *out, const char *doc, const char *begin, const char *end,
		  const struct scope *sc, int depth)
{
	const char *p = begin;
	if (depth > MC_TEMPLATE_MAX_DEPTH)
		return mc_error_set(MC_EINVAL, "template: sections nested deeper than %d",
				    MC_TEMPLATE_MAX_DEPTH);
	while (p < end) {
		const char *open = strstr(p, "{{"), *close, *name, *bar;
		struct json_object *v;
		size_t nlen;
		int triple;
		if (!open || open >= end) {
			mc_strbuf_add(out, p, (size_t)(end - p));
			break;
		}
		triple = open[2] == '{';
		close = strstr(open + 2, triple ? "}}}" : "}}");
		if (!close || close >= end)
			return mc_error_set(MC_EINVAL, "template line %d: unclosed tag",
					    line_of(doc, open));
		name = open + 2 + triple;
		nlen = (size_t)(close - name);
		if (*name == '#' || *name == '^') {
			const char *body, *body_end, *after;
			int standalone = at_line_start(doc, open);
			body = close + 2;
			if (standalone)
				body = skip_standalone_newline(body);
			body_end = find_close(body, name + 1, nlen - 1, &after);
			if (!body_end)
				return mc_error_set(MC_EINVAL, "template line %d: section '%.*s' not closed",
						    line_of(doc, open), (int)nlen - 1, name + 1);
			mc_strbuf_add(out, p, (size_t)(open - p));
			if (standalone) {
				/* drop the indentation before a standalone open tag */
				while (out->len && (out->buf[out->len - 1] == ' ' ||
						    out->buf[out->len - 1] == '\t'))
					out->buf[--out->len] = '\0';
			}
			resolve(&v, sc, name + 1, nlen - 1);
			if (render_section(out, doc, body, body_end, v, *name == '^', sc, depth))
				return mc_error_code();
			p = at_line_start(doc, body_end) ? skip_standalone_newline(after) : after;
			continue;
		}
		mc_strbuf_add(out, p, (size_t)(open - p));
		p = close + 2 + triple;
		if (*name == '!')
			continue;
		if (*name == '/')
			return mc_error_set(MC_EINVAL, "template line %d: unexpected close tag",
					    line_of(doc, open));
		bar = memchr(name, '|', nlen);
		resolve(&v, sc, name, bar ? (size_t)(bar - name) : nlen);
		if (format_value(out, v, bar ? bar + 1 : "", bar ? (size_t)(name + nlen - bar - 1) : 0,
				 !triple))
			return mc_error_set(MC_EINVAL, "template line %d: unknown filter in '%.*s'",
					    line_of(doc, open), (int)nlen, name);
	}
	return 0;
}

int mc_template_render(mc_strbuf *out, const char *tmpl, struct json_object *data)
{
	struct scope root = { data, NULL };
	return render(out, tmpl, tmpl, tmpl + strlen(tmpl), &root, 0);
}
