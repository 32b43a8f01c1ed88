/*
 * JSON helpers over json-c: bounded parsing with a located error message, and
 * typed getters used after schema validation.
 */
#ifndef MC_UTIL_JSON_H
#define MC_UTIL_JSON_H
#include <json-c/json.h>
#include <stddef.h>

/* Parse exactly one JSON document of at most max_len bytes and nesting depth 64.
 * what names the document in errors ("config .maestro/config.json"). */
int mc_json_parse(struct json_object **out, const char *text, size_t len, size_t max_len,
		  const char *what);
/* Pretty or compact serialisation; the string lives as long as obj. */
const char *mc_json_dump(struct json_object *obj, int pretty);

/* Getters with defaults for a missing key (types are checked by the schema). */
const char *mc_json_get_string(struct json_object *obj, const char *key, const char *def);
double mc_json_get_double(struct json_object *obj, const char *key, double def);
long long mc_json_get_int(struct json_object *obj, const char *key, long long def);
int mc_json_get_bool(struct json_object *obj, const char *key, int def);
struct json_object *mc_json_get(struct json_object *obj, const char *key);

/* Shorthands for building documents. */
void mc_json_set_string(struct json_object *obj, const char *key, const char *value);
void mc_json_set_double(struct json_object *obj, const char *key, double value);
void mc_json_set_int(struct json_object *obj, const char *key, long long value);
void mc_json_set_bool(struct json_object *obj, const char *key, int value);

#endif
