/*
 * A forge issue through the pipeline: read what the issue is now and keep its work
 * item ("owner/name!N", model/issue_item.h) in the portfolio of the repository's
 * mirror (<mirror_dir>/<owner>+<name>.git, its maestro/cache.db, beside the PRs'
 * items), or close the item when the issue is closed.
 *
 * The value configuration is the repository's, as a review reads it, taken from the
 * base branch the mirror has fetched for reviews: refs/maestro/base/main, else
 * refs/maestro/base/master (the usual default branches); a mirror that has fetched
 * neither yet (no PR into them reviewed) gives the documented defaults. The item's
 * head and base are that commit (so a priority override's evidence has a commit to
 * attach to), or empty with the defaults.
 *
 * Idempotent: every call reads the issue's current state and writes the item from it,
 * so a repeated or late event leaves the same item as the latest one. The local forge
 * has no issues (MC_ENOTFOUND from mc_forge_get_issue).
 */
#ifndef MC_PIPELINE_ISSUE_H
#define MC_PIPELINE_ISSUE_H
#include <stdint.h>
#include <time.h>

#include "adapters/forge/forge.h"

typedef struct mc_issue_options {
	mc_forge *forge;
	const char *repo;        /* owner/name */
	int64_t number;
	const char *mirror_dir;  /* <state-dir>/repos */
	time_t now;              /* 0: time(NULL) */
} mc_issue_options;

typedef struct mc_issue_result {
	char *item_id;           /* "owner/name!N" */
	char *mirror;            /* the repository whose portfolio holds it */
	int closed;              /* the issue is closed: its item was closed (or never stored) */
	double value_usd, expected_value_usd, llm_usd, ci_minutes;
	char *config_source;     /* "defaults" or "<rev>:.maestro/config.json" */
	char config_rev[41];     /* the commit the config was read at, "" for none */
} mc_issue_result;

/* Get the issue from the forge and refresh (or close) its item. */
int mc_issue_refresh(mc_issue_result *out, const mc_issue_options *opt);
/* The same from an issue already read (a listing). */
int mc_issue_refresh_from(mc_issue_result *out, const mc_issue_options *opt,
			  const mc_forge_issue *issue);
void mc_issue_result_free(mc_issue_result *result);

#endif
