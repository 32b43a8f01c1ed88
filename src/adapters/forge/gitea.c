/*
 * The Gitea/Forgejo driver (/api/v1, api_url required, e.g.
 * https://gitea.example/api/v1): a personal access token sent as
 * "Authorization: token …". Open PRs are listed most recently updated first,
 * 50 a page, by page number (Link is followed when the server sends one);
 * issues from /issues?type=issues the same way.
 * The operations are rest.c's; this file says what is Gitea's own.
 */
#include <string.h>

#include "adapters/forge/rest.h"
#include "util/json.h"

/*
 * GET /repos/{o}/{r}/collaborators/{user}/permission answers "permission":
 * owner, admin, write, read or none. The owner can do what an admin can.
 */
static const char *gitea_permission(struct json_object *answer)
{
	static const char *const known[] = {"admin", "write", "read", "none"};
	const char *permission = mc_json_get_string(answer, "permission", NULL);

	if (permission && strcmp(permission, "owner") == 0)
		return "admin";
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (permission && strcmp(permission, known[i]) == 0)
			return known[i];
	return NULL;
}

static const mc_rest_flavour gitea = {
	.name = "gitea",
	.default_api_url = NULL,
	.accept = "application/json",
	.api_version = NULL,
	.auth_scheme = "token",
	.supports_app = 0,
	.list_prs_query = "/pulls?state=open&sort=recentupdate&limit=50",
	.list_prs_page_size = 50,
	.list_issues_query = "/issues?type=issues&limit=50",
	.paged_by_number = 1,
	.permission_of = gitea_permission,
};

static int gitea_open(void **state, const mc_forge_options *opt, mc_forge_stats *stats)
{
	return mc_rest_open(state, opt, stats, &gitea);
}

const mc_forge_driver mc_forge_driver_gitea = {
	.name = "gitea",
	.open = gitea_open,
	MC_REST_DRIVER_OPERATIONS,
};
