/*
 * What the GitHub and Gitea drivers share, for github.c and gitea.c only. Gitea's
 * /api/v1 copies GitHub's shapes for pull requests, issue comments, statuses and
 * reactions, so one implementation serves both; a flavour says where they differ
 * (how the token is sent, how open PRs are listed and paged, what a permission
 * answer means).
 */
#ifndef MC_ADAPTERS_FORGE_REST_H
#define MC_ADAPTERS_FORGE_REST_H
#include <json-c/json.h>

#include "adapters/forge/forge_driver.h"
#include "adapters/forge/http.h"
#include "adapters/forge/jwt.h"
#include "util/strbuf.h"

typedef struct mc_rest mc_rest;

typedef struct mc_rest_flavour {
	const char *name;             /* "github", "gitea" */
	const char *default_api_url;  /* NULL: api_url is required */
	const char *accept;
	const char *api_version;      /* X-GitHub-Api-Version or NULL */
	const char *auth_scheme;      /* "Bearer", "token" */
	int supports_app;             /* GitHub App authentication */
	/* GET path (after /repos/o/r) of page 1 of open PRs, most recently updated first. */
	const char *list_prs_query;
	int list_prs_page_size;
	/* GET path (after /repos/o/r) of page 1 of issues (pull requests excluded where the
	 * forge can), most recently updated first; "&state=…" and "&since=…" are added. */
	const char *list_issues_query;
	int paged_by_number;          /* no Link header: ask &page=N until a short page */
	/* The permission a collaborator answer grants ("admin" … "none"), or NULL. */
	const char *(*permission_of)(struct json_object *answer);
} mc_rest_flavour;

int mc_rest_open(void **state, const mc_forge_options *opt, mc_forge_stats *stats,
		 const mc_rest_flavour *flavour);
void mc_rest_close(void *state);
int mc_rest_list_open_prs(void *state, const char *repo, const char *since, mc_forge_pr **prs,
			  size_t *n, int *not_modified);
int mc_rest_get_pr(void *state, mc_forge_pr *out, const char *repo, int64_t number);
int mc_rest_list_issues(void *state, const char *repo, const char *state_name, const char *since,
			mc_forge_issue **issues, size_t *n, int *not_modified);
int mc_rest_get_issue(void *state, mc_forge_issue *out, const char *repo, int64_t number);
int mc_rest_upsert_sticky_comment(void *state, const char *repo, int64_t number,
				  const char *marker, const char *body, int *changed,
				  int64_t *comment_id);
int mc_rest_comment(void *state, const char *repo, int64_t number, const char *body,
		    int64_t *comment_id);
int mc_rest_set_status(void *state, const char *repo, const char *sha, const char *context,
		       const char *state_name, const char *description, const char *target_url);
int mc_rest_react(void *state, const char *repo, int64_t comment_id, const char *content);
int mc_rest_permission(void *state, char **permission, const char *repo, const char *user);
int mc_rest_git_token(void *state, char **token);

/* The driver entries every REST forge shares: a driver names itself and its open. */
#define MC_REST_DRIVER_OPERATIONS                                                    \
	.close = mc_rest_close, .list_open_prs = mc_rest_list_open_prs,               \
	.get_pr = mc_rest_get_pr, .list_issues = mc_rest_list_issues,                 \
	.get_issue = mc_rest_get_issue,                                               \
	.upsert_sticky_comment = mc_rest_upsert_sticky_comment,                       \
	.comment = mc_rest_comment, .set_status = mc_rest_set_status,                 \
	.react = mc_rest_react, .permission = mc_rest_permission,                     \
	.git_token = mc_rest_git_token

/* Pure pieces, exposed for the tests. */

/* 0 when repo is "owner/name" with only letters, digits, '.', '_' and '-' in each
 * part (1 to 100 characters, neither "." nor ".."); MC_EINVAL otherwise. */
int mc_rest_check_repo(const char *repo);
/* Percent-encode everything but RFC 3986's unreserved characters. */
void mc_rest_escape(mc_strbuf *sb, const char *s);
/* Parse one pull request object (GitHub and Gitea shapes). */
int mc_rest_parse_pr(mc_forge_pr *out, struct json_object *obj, const char *repo);
/* Parse one issue object (GitHub and Gitea shapes). *is_pull is 1 (and nothing is
 * parsed) when the object is a pull request (a non-null "pull_request" member). */
int mc_rest_parse_issue(mc_forge_issue *out, int *is_pull, struct json_object *obj,
			const char *repo);

#endif
