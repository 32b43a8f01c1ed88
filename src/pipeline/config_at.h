/*
 * The repository configuration as committed at a revision: .maestro/config.json
 * in that commit's tree over the defaults, or the defaults when the commit has
 * none. Reviews read it at their base commit, verification at HEAD, `maestro
 * config show` wherever it is asked to: one reader for all of them.
 */
#ifndef MC_PIPELINE_CONFIG_AT_H
#define MC_PIPELINE_CONFIG_AT_H

#include "adapters/git/repo.h"
#include "model/config.h"

/* The configuration file, read from a commit's tree. */
#define MC_CONFIG_PATH ".maestro/config.json"

typedef struct mc_config_origin {
	char *source;    /* "defaults", or "<rev, 12 chars>:.maestro/config.json" */
	char blob[41];   /* the file's blob id; "" for defaults */
} mc_config_origin;

/* Fill cfg (not initialised by the caller) from rev. On error cfg needs no free, and
 * the message names the file and the JSON path of the problem (MC_ECONFIG). */
int mc_config_at(mc_config *cfg, mc_config_origin *origin, mc_repo *repo, const char *rev);
void mc_config_origin_free(mc_config_origin *origin);

#endif
