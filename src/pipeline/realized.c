/*
 * Realized value import (realized.h): JSON Lines in, checked line by line
 * against the embedded schema, stored in one transaction.
 */
#include "pipeline/realized.h"

#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/embedded.h"
#include "util/error.h"
#include "util/json.h"
#include "util/jsonschema.h"
#include "util/strbuf.h"

#define REALIZED_SCHEMA "schemas/realized-value.schema.json"

static int load_schema(struct json_object **out)
{
	size_t len;
	const char *text = mc_embedded_get(REALIZED_SCHEMA, &len);
	if (!text || mc_json_parse(out, text, len, len, REALIZED_SCHEMA) != 0)
		return mc_error_set(MC_EINTERNAL, "the embedded %s does not parse", REALIZED_SCHEMA);
	return 0;
}

/* json-c reads 1e999 as inf and NaN literals as NaN: refuse them by name. */
static int check_finite(struct json_object *v, const char *where, const char *key)
{
	if (!isfinite(json_object_get_double(v)))
		return mc_error_set(MC_EINVAL, "%s: /%s: must be a finite number", where, key);
	return 0;
}

/* usd, or the components summed (and described in the note when the line has none). */
static int take_amount(mc_realized_record *r, struct json_object *doc, const char *where)
{
	struct json_object *usd = mc_json_get(doc, "usd"), *parts = mc_json_get(doc, "components");
	mc_strbuf words = MC_STRBUF_INIT;
	char key[300];
	int rc;

	if (!usd == !parts)
		return mc_error_set(MC_EINVAL, "%s: give either usd or components, %s", where,
				    usd ? "not both" : "neither is there");
	if (usd) {
		if ((rc = check_finite(usd, where, "usd")) != 0)
			return rc;
		r->usd = json_object_get_double(usd);
		return 0;
	}
	if (json_object_object_length(parts) == 0)
		return mc_error_set(MC_EINVAL, "%s: /components: is empty", where);
	json_object_object_foreach(parts, name, amount) {
		snprintf(key, sizeof key, "components/%s", name);
		if ((rc = check_finite(amount, where, key)) != 0) {
			mc_strbuf_release(&words);
			return rc;
		}
		r->usd += json_object_get_double(amount);
		mc_strbuf_printf(&words, "%s%s=%g", words.len ? ", " : "components: ", name,
				 json_object_get_double(amount));
	}
	if (!isfinite(r->usd)) {
		mc_strbuf_release(&words);
		return mc_error_set(MC_EINVAL, "%s: /components: the sum is not a finite number", where);
	}
	if (!r->note)
		r->note = mc_strbuf_detach(&words);
	mc_strbuf_release(&words);
	return 0;
}

static int parse_line(mc_realized_record *r, struct json_object *schema, const char *line,
		      size_t len, const char *where)
{
	struct json_object *doc = NULL;
	int rc;

	if (mc_json_parse(&doc, line, len, MC_REALIZED_MAX_LINE, where) != 0)
		return mc_error_recode(MC_EINVAL);
	if ((rc = mc_jsonschema_validate(schema, doc, where)) != 0) {
		json_object_put(doc);
		return rc;
	}
	r->id = mc_xstrdup(mc_json_get_string(doc, "id", ""));
	if (mc_json_get(doc, "note"))
		r->note = mc_xstrdup(mc_json_get_string(doc, "note", ""));
	rc = take_amount(r, doc, where);
	json_object_put(doc);
	return rc;
}

static int blank(const char *s, size_t len)
{
	size_t i;
	for (i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

int mc_realized_parse(mc_realized_record **out, size_t *n, const char *text, size_t len,
		      const char *origin)
{
	struct json_object *schema = NULL;
	mc_realized_record *list = NULL;
	size_t count = 0, alloc = 0, lineno = 0, at = 0, end;
	char where[512];
	int rc = 0;

	*out = NULL;
	*n = 0;
	if (len > MC_REALIZED_MAX_BYTES)
		return mc_error_set(MC_ELIMIT, "%s: %zu bytes is over the limit of %d", origin, len,
				    MC_REALIZED_MAX_BYTES);
	if ((rc = load_schema(&schema)) != 0)
		return rc;
	while (rc == 0 && at < len) {
		const char *nl = memchr(text + at, '\n', len - at);
		end = nl ? (size_t)(nl - text) : len;
		lineno++;
		snprintf(where, sizeof where, "%s:%zu", origin, lineno);
		if (end - at > MC_REALIZED_MAX_LINE)
			rc = mc_error_set(MC_ELIMIT, "%s: the line is longer than %d bytes", where,
					  MC_REALIZED_MAX_LINE);
		else if (!blank(text + at, end - at)) {
			if (count == MC_REALIZED_MAX_RECORDS)
				rc = mc_error_set(MC_ELIMIT, "%s: more than %d records", where,
						  MC_REALIZED_MAX_RECORDS);
			else {
				if (count == alloc)
					mc_xgrow((void **)&list, &alloc, count + 1, sizeof *list);
				memset(&list[count], 0, sizeof *list);
				list[count].line = lineno;
				rc = parse_line(&list[count], schema, text + at, end - at, where);
				count++;
			}
		}
		at = end + 1;
	}
	json_object_put(schema);
	if (rc == 0 && count == 0)
		rc = mc_error_set(MC_EINVAL, "%s: no records", origin);
	if (rc) {
		mc_realized_free(list, count);
		return rc;
	}
	*out = list;
	*n = count;
	return 0;
}

void mc_realized_free(mc_realized_record *records, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		free(records[i].id);
		free(records[i].note);
	}
	free(records);
}

int mc_realized_store(mc_store *store, const mc_realized_record *records, size_t n,
		      const char *origin, int64_t now)
{
	size_t i;
	int rc = mc_store_begin(store);

	for (i = 0; rc == 0 && i < n; i++)
		if ((rc = mc_portfolio_record_realized(store, records[i].id, records[i].usd,
						       records[i].note, now)) != 0)
			rc = mc_error_wrap(rc, "%s:%zu (nothing was imported)", origin, records[i].line);
	if (rc == 0)
		return mc_store_commit(store);
	mc_store_rollback(store);
	return rc;
}
