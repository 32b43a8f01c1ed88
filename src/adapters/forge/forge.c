/*
 * The forge handle: picks the driver, checks arguments once for every driver,
 * keeps the statistics and a short-lived permission cache. A handle is used by
 * one thread at a time; the daemon gives each worker its own.
 */
#include "adapters/forge/forge.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "adapters/forge/forge_driver.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/hex.h"

/* GitHub cuts a status description at 140 characters; stay within bytes too. */
#define STATUS_DESCRIPTION_MAX 140
/* Permission answers kept per handle; the oldest is replaced when full. */
#define PERMISSION_CACHE_SIZE 64

typedef struct permission_entry {
	char *repo;
	char *user;
	char *permission;
	time_t fetched;
} permission_entry;

struct mc_forge {
	mc_forge_kind kind;
	const mc_forge_driver *driver;
	void *state;
	mc_forge_stats stats;
	permission_entry cache[PERMISSION_CACHE_SIZE];
};

static const char *const kind_names[] = {
	[MC_FORGE_LOCAL] = "local",
	[MC_FORGE_GITHUB] = "github",
	[MC_FORGE_GITEA] = "gitea",
};

static const mc_forge_driver *driver_for(mc_forge_kind kind)
{
	switch (kind) {
	case MC_FORGE_LOCAL:
		return &mc_forge_driver_local;
	case MC_FORGE_GITHUB:
		return &mc_forge_driver_github;
	case MC_FORGE_GITEA:
		return &mc_forge_driver_gitea;
	}
	return NULL;
}

int mc_forge_kind_parse(mc_forge_kind *out, const char *name)
{
	for (size_t i = 0; i < sizeof kind_names / sizeof kind_names[0]; i++) {
		if (name && strcmp(name, kind_names[i]) == 0) {
			*out = (mc_forge_kind)i;
			return 0;
		}
	}
	return mc_error_set(MC_EINVAL, "unknown forge '%s' (expected local, github or gitea)",
			    name ? name : "");
}

const char *mc_forge_kind_name(mc_forge_kind kind)
{
	if ((size_t)kind < sizeof kind_names / sizeof kind_names[0])
		return kind_names[kind];
	return "unknown";
}

int mc_forge_open(mc_forge **out, const mc_forge_options *opt)
{
	const mc_forge_driver *driver = driver_for(opt->kind);
	mc_forge *forge;
	int rc;

	*out = NULL;
	if (!driver)
		return mc_error_set(MC_EINVAL, "the %s forge driver is not in this build",
				    mc_forge_kind_name(opt->kind));
	forge = mc_xcalloc(1, sizeof *forge);
	forge->kind = opt->kind;
	forge->driver = driver;
	forge->stats.rate_limit_remaining = -1;
	if ((rc = driver->open(&forge->state, opt, &forge->stats)) != 0) {
		free(forge);
		return mc_error_wrap(rc, "%s forge", driver->name);
	}
	*out = forge;
	return 0;
}

static void permission_entry_clear(permission_entry *e)
{
	free(e->repo);
	free(e->user);
	free(e->permission);
	memset(e, 0, sizeof *e);
}

void mc_forge_close(mc_forge *forge)
{
	if (!forge)
		return;
	forge->driver->close(forge->state);
	for (size_t i = 0; i < PERMISSION_CACHE_SIZE; i++)
		permission_entry_clear(&forge->cache[i]);
	free(forge);
}

mc_forge_kind mc_forge_get_kind(const mc_forge *forge)
{
	return forge->kind;
}

int mc_forge_git_token(mc_forge *forge, char **token)
{
	int rc;

	*token = NULL;
	if (!forge->driver->git_token)
		return 0;
	if ((rc = forge->driver->git_token(forge->state, token)) != 0)
		return mc_error_wrap(rc, "%s forge, token for git", forge->driver->name);
	return 0;
}

void mc_forge_get_stats(const mc_forge *forge, mc_forge_stats *out)
{
	*out = forge->stats;
}

void mc_forge_pr_clear(mc_forge_pr *pr)
{
	if (!pr)
		return;
	free(pr->repo);
	free(pr->title);
	free(pr->author);
	free(pr->state);
	free(pr->head_sha);
	free(pr->head_ref);
	free(pr->base_ref);
	free(pr->base_sha);
	free(pr->clone_url);
	free(pr->default_branch);
	free(pr->updated_at);
	for (size_t i = 0; i < pr->nlabels; i++)
		free(pr->labels[i]);
	free(pr->labels);
	memset(pr, 0, sizeof *pr);
}

void mc_forge_pr_list_free(mc_forge_pr *prs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		mc_forge_pr_clear(&prs[i]);
	free(prs);
}

void mc_forge_issue_clear(mc_forge_issue *issue)
{
	if (!issue)
		return;
	free(issue->repo);
	free(issue->title);
	free(issue->author);
	free(issue->state);
	free(issue->body);
	free(issue->updated_at);
	for (size_t i = 0; i < issue->nlabels; i++)
		free(issue->labels[i]);
	free(issue->labels);
	memset(issue, 0, sizeof *issue);
}

void mc_forge_issue_list_free(mc_forge_issue *issues, size_t n)
{
	for (size_t i = 0; i < n; i++)
		mc_forge_issue_clear(&issues[i]);
	free(issues);
}

static int check_repo(const char *repo)
{
	if (!repo || !*repo)
		return mc_error_set(MC_EINVAL, "forge call without a repository");
	return 0;
}

static int check_number(int64_t number)
{
	if (number <= 0)
		return mc_error_set(MC_EINVAL, "pull request number %lld is not positive",
				    (long long)number);
	return 0;
}

static int check_sha(const char *sha)
{
	if (!mc_hex_is_oid(sha))
		return mc_error_set(MC_EINVAL, "'%.80s' is not a full lowercase commit id",
				    sha ? sha : "");
	return 0;
}

int mc_forge_list_open_prs(mc_forge *forge, const char *repo, const char *since,
			   mc_forge_pr **prs, size_t *n, int *not_modified)
{
	int unused = 0, rc;

	*prs = NULL;
	*n = 0;
	if (!not_modified)
		not_modified = &unused;
	*not_modified = 0;
	if ((rc = check_repo(repo)) != 0)
		return rc;
	return forge->driver->list_open_prs(forge->state, repo, since, prs, n, not_modified);
}

int mc_forge_get_pr(mc_forge *forge, mc_forge_pr *out, const char *repo, int64_t number)
{
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = check_repo(repo)) != 0 || (rc = check_number(number)) != 0)
		return rc;
	return forge->driver->get_pr(forge->state, out, repo, number);
}

static int list_issues(mc_forge *forge, const char *repo, const char *state, const char *since,
		       mc_forge_issue **issues, size_t *n, int *not_modified)
{
	int unused = 0, rc;

	*issues = NULL;
	*n = 0;
	if (!not_modified)
		not_modified = &unused;
	*not_modified = 0;
	if ((rc = check_repo(repo)) != 0)
		return rc;
	if (!forge->driver->list_issues)
		return 0;   /* a forge without issues has none open or closed */
	return forge->driver->list_issues(forge->state, repo, state, since, issues, n,
					  not_modified);
}

int mc_forge_list_open_issues(mc_forge *forge, const char *repo, const char *since,
			      mc_forge_issue **issues, size_t *n, int *not_modified)
{
	return list_issues(forge, repo, "open", since, issues, n, not_modified);
}

int mc_forge_list_closed_issues(mc_forge *forge, const char *repo, const char *since,
				mc_forge_issue **issues, size_t *n, int *not_modified)
{
	if (!since || !*since) {
		*issues = NULL;
		*n = 0;
		return mc_error_set(MC_EINVAL, "listing closed issues needs a since time");
	}
	return list_issues(forge, repo, "closed", since, issues, n, not_modified);
}

int mc_forge_get_issue(mc_forge *forge, mc_forge_issue *out, const char *repo, int64_t number)
{
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = check_repo(repo)) != 0)
		return rc;
	if (number <= 0)
		return mc_error_set(MC_EINVAL, "issue number %lld is not positive", (long long)number);
	if (!forge->driver->get_issue)
		return mc_error_set(MC_ENOTFOUND, "the %s forge has no issues", forge->driver->name);
	return forge->driver->get_issue(forge->state, out, repo, number);
}

int mc_forge_upsert_sticky_comment(mc_forge *forge, const char *repo, int64_t number,
				   const char *marker, const char *body, int *changed,
				   int64_t *comment_id)
{
	int unused_changed = 0, rc;
	int64_t unused_id = 0;

	if (!changed)
		changed = &unused_changed;
	if (!comment_id)
		comment_id = &unused_id;
	*changed = 0;
	*comment_id = 0;
	if ((rc = check_repo(repo)) != 0 || (rc = check_number(number)) != 0)
		return rc;
	if (!marker || !*marker || !body || !strstr(body, marker))
		return mc_error_set(MC_EINVAL, "a sticky comment's body must contain its marker");
	return forge->driver->upsert_sticky_comment(forge->state, repo, number, marker, body,
						    changed, comment_id);
}

int mc_forge_comment(mc_forge *forge, const char *repo, int64_t number, const char *body,
		     int64_t *comment_id)
{
	int64_t unused = 0;
	int rc;

	if (!comment_id)
		comment_id = &unused;
	*comment_id = 0;
	if ((rc = check_repo(repo)) != 0 || (rc = check_number(number)) != 0)
		return rc;
	if (!body || !*body)
		return mc_error_set(MC_EINVAL, "empty comment");
	return forge->driver->comment(forge->state, repo, number, body, comment_id);
}

static int check_status_state(const char *state)
{
	static const char *const states[] = {"pending", "success", "failure", "error"};

	for (size_t i = 0; i < sizeof states / sizeof states[0]; i++)
		if (state && strcmp(state, states[i]) == 0)
			return 0;
	return mc_error_set(MC_EINVAL,
			    "commit status state '%s' is not pending, success, failure or error",
			    state ? state : "");
}

void mc_forge_cut_description(char *description, size_t max)
{
	size_t n = strlen(description);

	if (n <= max)
		return;
	n = max;
	/* Back up over continuation bytes so no character is split. */
	while (n > 0 && ((unsigned char)description[n] & 0xC0) == 0x80)
		n--;
	description[n] = '\0';
}

int mc_forge_set_status(mc_forge *forge, const char *repo, const char *sha,
			const char *context, const char *state, const char *description,
			const char *target_url)
{
	char *cut;
	int rc;

	if ((rc = check_repo(repo)) != 0 || (rc = check_sha(sha)) != 0 ||
	    (rc = check_status_state(state)) != 0)
		return rc;
	if (!context || !*context)
		return mc_error_set(MC_EINVAL, "commit status without a context");
	cut = mc_xstrdup(description ? description : "");
	mc_forge_cut_description(cut, STATUS_DESCRIPTION_MAX);
	rc = forge->driver->set_status(forge->state, repo, sha, context, state, cut, target_url);
	free(cut);
	return rc;
}

int mc_forge_react(mc_forge *forge, const char *repo, int64_t comment_id, const char *content)
{
	int rc;

	if ((rc = check_repo(repo)) != 0)
		return rc;
	if (comment_id <= 0)
		return mc_error_set(MC_EINVAL, "reaction on comment id %lld",
				    (long long)comment_id);
	if (!content || !*content)
		return mc_error_set(MC_EINVAL, "empty reaction");
	return forge->driver->react(forge->state, repo, comment_id, content);
}

static permission_entry *cache_find(mc_forge *forge, const char *repo, const char *user)
{
	for (size_t i = 0; i < PERMISSION_CACHE_SIZE; i++) {
		permission_entry *e = &forge->cache[i];
		if (e->repo && strcmp(e->repo, repo) == 0 && strcmp(e->user, user) == 0)
			return e;
	}
	return NULL;
}

static permission_entry *cache_slot(mc_forge *forge)
{
	permission_entry *oldest = &forge->cache[0];

	for (size_t i = 0; i < PERMISSION_CACHE_SIZE; i++) {
		permission_entry *e = &forge->cache[i];
		if (!e->repo)
			return e;
		if (e->fetched < oldest->fetched)
			oldest = e;
	}
	permission_entry_clear(oldest);
	return oldest;
}

int mc_forge_permission(mc_forge *forge, char **permission, const char *repo,
			const char *user, int cache_s)
{
	time_t now = time(NULL);
	permission_entry *e;
	char *fresh = NULL;
	int rc;

	*permission = NULL;
	if ((rc = check_repo(repo)) != 0)
		return rc;
	if (!user || !*user)
		return mc_error_set(MC_EINVAL, "permission check without a user");
	e = cache_find(forge, repo, user);
	if (e && cache_s > 0 && now - e->fetched < cache_s) {
		*permission = mc_xstrdup(e->permission);
		return 0;
	}
	if ((rc = forge->driver->permission(forge->state, &fresh, repo, user)) != 0)
		return rc;
	if (!e) {
		e = cache_slot(forge);
		e->repo = mc_xstrdup(repo);
		e->user = mc_xstrdup(user);
	}
	free(e->permission);
	e->permission = mc_xstrdup(fresh);
	e->fetched = now;
	*permission = fresh;
	return 0;
}

int mc_forge_permission_can_write(const char *permission)
{
	return permission && (strcmp(permission, "admin") == 0 ||
			      strcmp(permission, "maintain") == 0 ||
			      strcmp(permission, "write") == 0);
}
