/*
 * Templates and JSON Schemas compiled into the binary (cmake/embed.cmake).
 * Look them up by their path in the source tree, e.g. "schemas/config.schema.json".
 */
#ifndef MC_UTIL_EMBEDDED_H
#define MC_UTIL_EMBEDDED_H
#include <stddef.h>

struct mc_embedded_file {
	const char *name;
	const char *data;
	size_t len;
};

extern const struct mc_embedded_file mc_embedded_files[];

/* The embedded file's text, or NULL (with MC_ENOTFOUND set) when absent. */
const char *mc_embedded_get(const char *name, size_t *len);

#endif
