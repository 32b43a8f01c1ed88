/* A repository's own store, opened where every pipeline step finds it; see repo_store.h. */
#include "pipeline/repo_store.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/fs.h"
#include "util/strbuf.h"

char *mc_repo_store_path(mc_repo *repo)
{
	mc_strbuf sb = MC_STRBUF_INIT;
	mc_strbuf_printf(&sb, "%smaestro/cache.db", mc_repo_commondir(repo));
	return mc_strbuf_detach(&sb);
}

int mc_repo_store_open(mc_store **out, char **path, mc_repo *repo)
{
	char *file = mc_repo_store_path(repo), *dir = mc_xstrndup(file, (size_t)(strrchr(file, '/') - file));
	int rc = mc_fs_mkdirs(dir, 0700);

	*out = NULL;
	free(dir);
	if (!rc)
		rc = mc_store_open(out, file);
	if (path)
		*path = file;
	else
		free(file);
	return rc;
}
