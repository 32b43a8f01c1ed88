/*
 * JSON Schema validation for the subset of draft 2020-12 that Maestro's own
 * schemas (the files in schemas/) use, over json-c objects.
 *
 * Supported keywords: type (a name or an array of names; "integer" is a number
 * without fraction), properties, additionalProperties, required, enum, const,
 * minimum, maximum, exclusiveMinimum, exclusiveMaximum, minLength, maxLength
 * (in UTF-8 code points), pattern (POSIX extended regex, unanchored like JSON
 * Schema's), items, minItems, maxItems, uniqueItems, $ref to "#/$defs/<name>",
 * $defs (at the root), anyOf, oneOf, allOf. Annotations (description, title,
 * default, examples, format, $schema, $id, $comment) are accepted and ignored.
 * Any other keyword makes the SCHEMA an error, so that nobody writes a
 * constraint that silently is not enforced.
 */
#ifndef MC_UTIL_JSONSCHEMA_H
#define MC_UTIL_JSONSCHEMA_H
#include <json-c/json.h>

/*
 * 0 when doc is valid against schema. Otherwise MC_EINVAL with the message
 * "<what>: <json-pointer path>: <problem>", for example
 *   "config: /policy/max_risk: expected number, got string"
 *   "config: /policy: unknown key 'max_rsk'"
 * The document root is written "/". Validation stops at the first problem.
 * A malformed schema gives MC_EINTERNAL ("schema: <pointer>: ...") whatever the
 * document: Maestro's schemas ship inside the binary, so that is a bug.
 */
int mc_jsonschema_validate(struct json_object *schema, struct json_object *doc, const char *what);

/*
 * Check a schema on its own: only supported keywords, each with a value of the
 * right shape, every pattern compiles, every $ref resolves. 0 or MC_EINTERNAL.
 */
int mc_jsonschema_check(struct json_object *schema);

#endif
