/*
 * A repository's own store: the SQLite file <common git dir>/maestro/cache.db that
 * holds what Maestro keeps about it (the history cache, the portfolio, predictions,
 * agents' records). Every pipeline step that reads or writes it opens it here.
 */
#ifndef MC_PIPELINE_REPO_STORE_H
#define MC_PIPELINE_REPO_STORE_H

#include "adapters/git/repo.h"
#include "adapters/store/db.h"

/* Where the file of repo lives (free() it). */
char *mc_repo_store_path(mc_repo *repo);
/* Open that file, creating it and its directory; *path (may be NULL) receives the path,
 * also on error, for messages (free it). */
int mc_repo_store_open(mc_store **out, char **path, mc_repo *repo);

#endif
