/* Bounded JSON parsing and typed access (json.h). */
#include "util/json.h"

#include <math.h>
#include <string.h>

#include "util/error.h"

int mc_json_parse(struct json_object **out, const char *text, size_t len, size_t max_len,
		  const char *what)
{
	struct json_tokener *tok;
	struct json_object *obj;
	enum json_tokener_error jerr;
	size_t off;

	*out = NULL;
	if (len > max_len)
		return mc_error_set(MC_ELIMIT, "%s: %zu bytes is over the limit of %zu", what, len,
				    max_len);
	if (len > (size_t)0x7fffffff)
		return mc_error_set(MC_ELIMIT, "%s: too large", what);
	tok = json_tokener_new_ex(64);
	if (!tok)
		return mc_error_set(MC_ENOMEM, "%s: out of memory", what);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	off = json_tokener_get_parse_end(tok);
	if (jerr == json_tokener_continue) {
		json_tokener_free(tok);
		json_object_put(obj);
		return mc_error_set(MC_EINVAL, "%s: unexpected end of JSON", what);
	}
	if (jerr != json_tokener_success) {
		json_tokener_free(tok);
		return mc_error_set(MC_EINVAL, "%s: invalid JSON at byte %zu: %s", what, off,
				    json_tokener_error_desc(jerr));
	}
	json_tokener_free(tok);
	while (off < len && strchr(" \t\r\n", text[off]))
		off++;
	if (off < len) {
		json_object_put(obj);
		return mc_error_set(MC_EINVAL, "%s: trailing data after JSON at byte %zu", what,
				    off);
	}
	*out = obj;
	return 0;
}

const char *mc_json_dump(struct json_object *obj, int pretty)
{
	int flags = JSON_C_TO_STRING_NOSLASHESCAPE;
	flags |= pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED : JSON_C_TO_STRING_PLAIN;
	return json_object_to_json_string_ext(obj, flags);
}

struct json_object *mc_json_get(struct json_object *obj, const char *key)
{
	struct json_object *v = NULL;
	if (!obj || !json_object_is_type(obj, json_type_object))
		return NULL;
	if (!json_object_object_get_ex(obj, key, &v))
		return NULL;
	return v;
}

const char *mc_json_get_string(struct json_object *obj, const char *key, const char *def)
{
	struct json_object *v = mc_json_get(obj, key);
	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : def;
}

double mc_json_get_double(struct json_object *obj, const char *key, double def)
{
	struct json_object *v = mc_json_get(obj, key);
	if (v && (json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)))
		return json_object_get_double(v);
	return def;
}

long long mc_json_get_int(struct json_object *obj, const char *key, long long def)
{
	struct json_object *v = mc_json_get(obj, key);
	if (v && json_object_is_type(v, json_type_int))
		return (long long)json_object_get_int64(v);
	return def;
}

int mc_json_get_bool(struct json_object *obj, const char *key, int def)
{
	struct json_object *v = mc_json_get(obj, key);
	return v && json_object_is_type(v, json_type_boolean) ? json_object_get_boolean(v) : def;
}

void mc_json_set_string(struct json_object *obj, const char *key, const char *value)
{
	json_object_object_add(obj, key, value ? json_object_new_string(value) : NULL);
}

void mc_json_set_double(struct json_object *obj, const char *key, double value)
{
	/* JSON has no NaN or infinity: write null so the document stays valid. */
	json_object_object_add(obj, key, isfinite(value) ? json_object_new_double(value) : NULL);
}

void mc_json_set_int(struct json_object *obj, const char *key, long long value)
{
	json_object_object_add(obj, key, json_object_new_int64(value));
}

void mc_json_set_bool(struct json_object *obj, const char *key, int value)
{
	json_object_object_add(obj, key, json_object_new_boolean(value));
}
