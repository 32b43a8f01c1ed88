/*
 * The GitHub driver (REST v3, github.com or GitHub Enterprise at
 * https://<host>/api/v3): a personal access token or a GitHub App installation.
 * Open PRs are listed most recently updated first, 100 a page, paged by Link;
 * issues likewise, from /issues, which lists pull requests too (dropped).
 * The operations are rest.c's; this file says what is GitHub's own.
 */
#include <string.h>

#include "adapters/forge/rest.h"
#include "util/json.h"

/*
 * GET /repos/{o}/{r}/collaborators/{user}/permission answers the legacy
 * "permission" (admin, write, read, none) and the precise "role_name" (admin,
 * maintain, write, triage, read, or a custom role's name). A custom role keeps
 * the permission it is based on.
 */
static const char *github_permission(struct json_object *answer)
{
	static const char *const roles[] = {"admin", "maintain", "write", "triage", "read",
					    "none"};
	const char *role = mc_json_get_string(answer, "role_name", NULL);
	const char *permission = mc_json_get_string(answer, "permission", NULL);

	for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
		if (role && strcmp(role, roles[i]) == 0)
			return roles[i];
	for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
		if (permission && strcmp(permission, roles[i]) == 0)
			return roles[i];
	return NULL;
}

static const mc_rest_flavour github = {
	.name = "github",
	.default_api_url = "https://api.github.com",
	.accept = "application/vnd.github+json",
	.api_version = "2022-11-28",
	.auth_scheme = "Bearer",
	.supports_app = 1,
	.list_prs_query = "/pulls?state=open&sort=updated&direction=desc&per_page=100",
	.list_prs_page_size = 100,
	.list_issues_query = "/issues?sort=updated&direction=desc&per_page=100",
	.paged_by_number = 0,
	.permission_of = github_permission,
};

static int github_open(void **state, const mc_forge_options *opt, mc_forge_stats *stats)
{
	return mc_rest_open(state, opt, stats, &github);
}

const mc_forge_driver mc_forge_driver_github = {
	.name = "github",
	.open = github_open,
	MC_REST_DRIVER_OPERATIONS,
};
