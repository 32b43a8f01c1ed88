/*
 * UTF-8 as RFC 3629 defines it (no overlong forms, no surrogates, nothing
 * above U+10FFFF). Git paths, commit messages and command-line arguments are
 * bytes; JSON text is UTF-8. Whatever crosses from one to the other goes
 * through here.
 */
#ifndef MC_UTIL_UTF8_H
#define MC_UTIL_UTF8_H
#include <stddef.h>

#include "util/strbuf.h"

struct json_object;

/* Code points in s[0..n), or (size_t)-1 when s is not well-formed UTF-8. */
size_t mc_utf8_length(const char *s, size_t n);

/* Append s[0..n) with every byte that is not part of a well-formed sequence
 * written as the four characters \xHH, so nothing is lost and the result is UTF-8. */
void mc_utf8_escape_invalid(mc_strbuf *out, const char *s, size_t n);

/* Apply mc_utf8_escape_invalid to every string value in a document (keys are left
 * alone: documents built here take their keys from maestro, not from input). */
void mc_utf8_escape_json(struct json_object *doc);

#endif
