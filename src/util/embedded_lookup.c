/* Lookup into the generated table of embedded templates and schemas. */
#include "util/embedded.h"

#include <string.h>

#include "util/error.h"

const char *mc_embedded_get(const char *name, size_t *len)
{
	const struct mc_embedded_file *f;
	for (f = mc_embedded_files; f->name; f++) {
		if (!strcmp(f->name, name)) {
			if (len)
				*len = f->len;
			return f->data;
		}
	}
	mc_error_set(MC_ENOTFOUND, "no embedded file %s", name);
	return NULL;
}
