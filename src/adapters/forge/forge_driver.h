/*
 * What a forge driver provides, for forge.c only: a table of operations over a
 * driver-private state. forge.c owns the handle, the statistics and the
 * permission cache, and checks arguments once, so the drivers only translate
 * calls to their forge.
 */
#ifndef MC_ADAPTERS_FORGE_FORGE_DRIVER_H
#define MC_ADAPTERS_FORGE_FORGE_DRIVER_H
#include "adapters/forge/forge.h"

typedef struct mc_forge_driver {
	const char *name;
	/* Build the driver state from the options (copy what is kept). */
	int (*open)(void **state, const mc_forge_options *opt, mc_forge_stats *stats);
	void (*close)(void *state);
	int (*list_open_prs)(void *state, const char *repo, const char *since, mc_forge_pr **prs,
			     size_t *n, int *not_modified);
	int (*get_pr)(void *state, mc_forge_pr *out, const char *repo, int64_t number);
	/* state_name "open" or "closed"; NULL members: the forge has no issues (none listed,
	 * MC_ENOTFOUND for one). */
	int (*list_issues)(void *state, const char *repo, const char *state_name, const char *since,
			   mc_forge_issue **issues, size_t *n, int *not_modified);
	int (*get_issue)(void *state, mc_forge_issue *out, const char *repo, int64_t number);
	int (*upsert_sticky_comment)(void *state, const char *repo, int64_t number,
				     const char *marker, const char *body, int *changed,
				     int64_t *comment_id);
	int (*comment)(void *state, const char *repo, int64_t number, const char *body,
		       int64_t *comment_id);
	int (*set_status)(void *state, const char *repo, const char *sha, const char *context,
			  const char *state_name, const char *description, const char *target_url);
	int (*react)(void *state, const char *repo, int64_t comment_id, const char *content);
	/* The token for git over https, or *token NULL (may be NULL: the driver has none). */
	int (*git_token)(void *state, char **token);
	/* Uncached: forge.c caches. */
	int (*permission)(void *state, char **permission, const char *repo, const char *user);
} mc_forge_driver;

/* The drivers (local.c, github.c, gitea.c). */
extern const mc_forge_driver mc_forge_driver_local;
extern const mc_forge_driver mc_forge_driver_github;
extern const mc_forge_driver mc_forge_driver_gitea;

/* Cut a status description to max bytes at a UTF-8 character boundary (in place). */
void mc_forge_cut_description(char *description, size_t max);

#endif
