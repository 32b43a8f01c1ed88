/*
 * Reading canary samples (canary_samples.h): split into lines by hand (so a
 * line's number is known and its length bounded before json-c sees it), one
 * strict JSON parse per line, then each key checked and appended.
 */
#include "model/canary_samples.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/error.h"
#include "util/json.h"

static int valid_name(const char *name)
{
	size_t n = strlen(name), i;
	if (!n || n > MC_CANARY_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr("_.:/-", c)))
			return 0;
	}
	return 1;
}

const mc_canary_metric_samples *mc_canary_samples_find(const mc_canary_samples *s, const char *name)
{
	size_t i;
	for (i = 0; i < s->nmetrics; i++)
		if (!strcmp(s->metrics[i].name, name))
			return &s->metrics[i];
	return NULL;
}

static mc_canary_metric_samples *metric_for(mc_canary_samples *s, const char *name)
{
	mc_canary_metric_samples *m = (mc_canary_metric_samples *)mc_canary_samples_find(s, name);
	if (m || s->nmetrics >= MC_CANARY_MAX_METRICS)
		return m;
	mc_xgrow((void **)&s->metrics, &s->alloc, s->nmetrics + 1, sizeof *s->metrics);
	m = &s->metrics[s->nmetrics++];
	memset(m, 0, sizeof *m);
	m->name = mc_xstrdup(name);
	return m;
}

static const char *type_name(struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_boolean: return "boolean";
	case json_type_string: return "string";
	case json_type_object: return "object";
	case json_type_array: return "array";
	default: return "number";
	}
}

static int take_line(mc_canary_samples *s, const char *line, size_t len, const char *where)
{
	struct json_object *obj;
	int rc;
	if ((rc = mc_json_parse(&obj, line, len, MC_CANARY_LINE_MAX, where)))
		return rc == MC_ELIMIT ? rc : MC_EINVAL;
	if (!json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		return mc_error_set(MC_EINVAL, "%s: expected one JSON object of metric name to number",
				    where);
	}
	json_object_object_foreach(obj, key, val) {
		mc_canary_metric_samples *m;
		double v;
		if (!valid_name(key)) {
			rc = mc_error_set(MC_EINVAL, "%s: metric name '%.40s' must be 1 to %d letters, "
					  "digits or _ . : / -", where, key, MC_CANARY_NAME_MAX);
			break;
		}
		if (!val)
			continue; /* null: not measured in this sample */
		if (!json_object_is_type(val, json_type_double) && !json_object_is_type(val, json_type_int)) {
			rc = mc_error_set(MC_EINVAL, "%s: %s: expected a number, got %s", where, key,
					  type_name(val));
			break;
		}
		v = json_object_get_double(val);
		if (!isfinite(v) || fabs(v) > 1e100) {
			rc = mc_error_set(MC_EINVAL, "%s: %s: the value must be finite and at most 1e100 "
					  "in magnitude", where, key);
			break;
		}
		if (!(m = metric_for(s, key))) {
			rc = mc_error_set(MC_ELIMIT, "%s: %s: more than %d different metrics", where, key,
					  MC_CANARY_MAX_METRICS);
			break;
		}
		mc_xgrow((void **)&m->values, &m->alloc, m->n + 1, sizeof *m->values);
		m->values[m->n++] = v;
	}
	json_object_put(obj);
	return rc;
}

static int blank(const char *p, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (!strchr(" \t\r", p[i]))
			return 0;
	return 1;
}

int mc_canary_samples_parse(mc_canary_samples *out, const char *text, size_t len, const char *origin)
{
	size_t pos = 0, lineno = 0;
	char where[96];
	int rc = 0;

	memset(out, 0, sizeof *out);
	if (len > MC_CANARY_SAMPLES_MAX_BYTES)
		return mc_error_set(MC_ELIMIT, "%s: %zu bytes is over the limit of %u", origin, len,
				    MC_CANARY_SAMPLES_MAX_BYTES);
	while (pos < len && !rc) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		lineno++;
		snprintf(where, sizeof where, "%.80s:%zu", origin, lineno);
		if (n > MC_CANARY_LINE_MAX)
			rc = mc_error_set(MC_ELIMIT, "%s: the line is longer than %d bytes", where,
					  MC_CANARY_LINE_MAX);
		else if (memchr(text + pos, '\0', n))
			rc = mc_error_set(MC_EINVAL, "%s: the line holds a NUL byte", where);
		else if (!blank(text + pos, n)) {
			if (++out->lines > MC_CANARY_MAX_LINES)
				rc = mc_error_set(MC_ELIMIT, "%s: more than %d samples", where,
						  MC_CANARY_MAX_LINES);
			else
				rc = take_line(out, text + pos, n, where);
		}
		pos += n + 1;
	}
	if (rc)
		mc_canary_samples_free(out);
	return rc;
}

void mc_canary_samples_free(mc_canary_samples *s)
{
	size_t i;
	if (!s)
		return;
	for (i = 0; i < s->nmetrics; i++) {
		free(s->metrics[i].name);
		free(s->metrics[i].values);
	}
	free(s->metrics);
	memset(s, 0, sizeof *s);
}

static void add_series(mc_canary_series *out, size_t *n, const char *name,
		       const mc_canary_samples *base, const mc_canary_samples *head)
{
	const mc_canary_metric_samples *b = mc_canary_samples_find(base, name);
	const mc_canary_metric_samples *h = mc_canary_samples_find(head, name);
	mc_canary_series *s = &out[(*n)++];
	s->name = name;
	s->base = b ? b->values : NULL;
	s->nbase = b ? b->n : 0;
	s->head = h ? h->values : NULL;
	s->nhead = h ? h->n : 0;
}

size_t mc_canary_samples_pair(mc_canary_series **out, const mc_canary_samples *base,
			      const mc_canary_samples *head)
{
	size_t i, n = 0;
	*out = mc_xcalloc(base->nmetrics + head->nmetrics + 1, sizeof **out);
	for (i = 0; i < base->nmetrics; i++)
		add_series(*out, &n, base->metrics[i].name, base, head);
	for (i = 0; i < head->nmetrics; i++)
		if (!mc_canary_samples_find(base, head->metrics[i].name))
			add_series(*out, &n, head->metrics[i].name, base, head);
	return n;
}
