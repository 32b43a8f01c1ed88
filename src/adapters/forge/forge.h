/*
 * The forge interface: everything the bot asks of GitHub, Gitea/Forgejo or the
 * local driver, behind one opaque handle. Drivers: github.c and gitea.c talk REST
 * over libcurl (http.c: connection reuse, timeouts, Link pagination, ETag
 * conditional requests, rate limits and retries); local.c needs no network (PRs
 * are branches of a repository; comments and statuses are files in a directory).
 * The daemon's worker, the poller and the slash-command handling call only these
 * functions, so each of them works the same against every forge.
 *
 * Repositories are named "owner/name" on GitHub and Gitea; the local driver takes
 * the repository's path. Secrets (tokens, the App key) are held in the handle and
 * never appear in errors or logs.
 */
#ifndef MC_ADAPTERS_FORGE_FORGE_H
#define MC_ADAPTERS_FORGE_FORGE_H
#include <stddef.h>
#include <stdint.h>

typedef struct mc_forge mc_forge;

typedef enum mc_forge_kind {
	MC_FORGE_LOCAL = 0,  /* the embedded default: no network */
	MC_FORGE_GITHUB,     /* GitHub or GitHub Enterprise, REST v3 */
	MC_FORGE_GITEA,      /* Gitea or Forgejo, /api/v1 */
} mc_forge_kind;

/* How the REST drivers wait (rate limits, backoff); tests pass one that records the
 * wait instead of sleeping. */
typedef void (*mc_forge_sleep_fn)(double seconds, void *ctx);

typedef struct mc_forge_options {
	mc_forge_kind kind;
	/* REST base URL: NULL means https://api.github.com for GitHub; required for Gitea
	 * (e.g. https://gitea.example/api/v1). */
	const char *api_url;
	/* A personal access token (GitHub, Gitea), or NULL. */
	const char *token;
	/* GitHub App: its id, its private key (PEM text) and the installation to act as.
	 * Used when token is NULL; installation tokens are cached until shortly before
	 * they expire. */
	const char *app_id;
	const char *app_private_key_pem;
	int64_t installation_id;
	/* Local driver: where comments, statuses and reactions are written (a directory,
	 * created when absent). */
	const char *local_dir;
	/* Per-request timeout; 0 means 30 s. */
	long timeout_ms;
	/* Retries of 5xx and network errors per call; 0 means 3. Rate-limit waits are
	 * bounded separately by max_wait_s (0 means 900 s): a reset further away fails
	 * the call with MC_ELIMIT instead of sleeping. */
	int max_retries;
	int max_wait_s;
	/* A User-Agent suffix, for forges that want to know the caller. */
	const char *user_agent;
	/* Called after every HTTP request with its status (0 for a transport error) and
	 * the X-RateLimit-Remaining it carried (-1 when none): the daemon's /metrics.
	 * May be NULL. Called on the thread using the handle. */
	void (*observe)(void *data, const char *forge, int http_status, long remaining);
	void *observe_data;
	/* Waiting between retries; NULL sleeps (nanosleep). */
	mc_forge_sleep_fn sleep_fn;
	void *sleep_ctx;
} mc_forge_options;

/* A pull request as the bot sees it. */
typedef struct mc_forge_pr {
	char *repo;          /* owner/name (local: the repository path) */
	int64_t number;      /* local: a stable number derived from the branch, see local.c */
	char *title;
	char *author;        /* login */
	char *state;         /* "open" or "closed" */
	int merged;
	char *head_sha;      /* 40 hex */
	char *head_ref;      /* branch name */
	char *base_ref;
	char *base_sha;
	char *clone_url;     /* where head_sha can be fetched from (local: the path) */
	char *default_branch; /* the base repository's default branch; NULL when not given */
	char *updated_at;    /* RFC 3339 as the forge gave it */
	char **labels;
	size_t nlabels;
} mc_forge_pr;

void mc_forge_pr_clear(mc_forge_pr *pr);
void mc_forge_pr_list_free(mc_forge_pr *prs, size_t n);

/* An issue's body is kept up to this many bytes (cut at a UTF-8 boundary): enough for
 * any trailer block a person writes, bounded against a forge sending megabytes. */
#define MC_FORGE_ISSUE_BODY_MAX (64 * 1024)

/* An issue (not a pull request) as the bot sees it. GitHub and Gitea have them; the
 * local forge has none (its work items are branches). */
typedef struct mc_forge_issue {
	char *repo;          /* owner/name */
	int64_t number;
	char *title;
	char *author;        /* login */
	char *state;         /* "open" or "closed" */
	char *body;          /* "" when none; at most MC_FORGE_ISSUE_BODY_MAX bytes */
	int body_cut;        /* 1 when the forge's body was longer and was cut */
	char *updated_at;    /* RFC 3339 as the forge gave it */
	char **labels;
	size_t nlabels;
} mc_forge_issue;

void mc_forge_issue_clear(mc_forge_issue *issue);
void mc_forge_issue_list_free(mc_forge_issue *issues, size_t n);

/* What a handle has done, for /metrics and the benchmark's calls-per-event figure. */
typedef struct mc_forge_stats {
	uint64_t calls;              /* HTTP requests sent (each retry counts) */
	uint64_t not_modified;       /* answered 304 from an ETag */
	uint64_t retries;            /* 5xx / network errors retried */
	uint64_t rate_limited;       /* 403/429 rate-limit answers waited out */
	long rate_limit_remaining;   /* last X-RateLimit-Remaining seen, -1 if none */
	int64_t rate_limit_reset;    /* last X-RateLimit-Reset (unix seconds), 0 if none */
} mc_forge_stats;

int mc_forge_open(mc_forge **out, const mc_forge_options *opt);
void mc_forge_close(mc_forge *forge);
mc_forge_kind mc_forge_get_kind(const mc_forge *forge);
/* "local", "github", "gitea"; MC_EINVAL for anything else. */
int mc_forge_kind_parse(mc_forge_kind *out, const char *name);
const char *mc_forge_kind_name(mc_forge_kind kind);
void mc_forge_get_stats(const mc_forge *forge, mc_forge_stats *out);

/*
 * The open PRs of repo updated at or after since (RFC 3339; NULL: all), every page
 * followed. A repeated call whose first page the forge answers 304 (ETag) sets
 * *not_modified (may be NULL) and returns no PRs, costing no rate limit.
 */
int mc_forge_list_open_prs(mc_forge *forge, const char *repo, const char *since,
			   mc_forge_pr **prs, size_t *n, int *not_modified);
int mc_forge_get_pr(mc_forge *forge, mc_forge_pr *out, const char *repo, int64_t number);

/*
 * The open issues of repo (pull requests left out: GitHub lists them among issues)
 * updated at or after since (RFC 3339; NULL: all), most recently updated first, every
 * page followed, with the same ETag behaviour as mc_forge_list_open_prs. GitHub:
 * GET /repos/{o}/{r}/issues?state=open&sort=updated&direction=desc&per_page=100
 * (entries with a pull_request key dropped); Gitea: /repos/{o}/{r}/issues?state=open
 * &type=issues. The local forge has no issues: it answers none, successfully.
 */
int mc_forge_list_open_issues(mc_forge *forge, const char *repo, const char *since,
			      mc_forge_issue **issues, size_t *n, int *not_modified);
/* The issues closed and updated at or after since (required: a closed listing without a
 * bound would be the repository's whole history), so a poller sees closures it would
 * otherwise only learn from webhooks. Otherwise as mc_forge_list_open_issues. */
int mc_forge_list_closed_issues(mc_forge *forge, const char *repo, const char *since,
				mc_forge_issue **issues, size_t *n, int *not_modified);
/* One issue, open or closed. MC_EINVAL when number is a pull request; the local forge
 * answers MC_ENOTFOUND (it has no issues). */
int mc_forge_get_issue(mc_forge *forge, mc_forge_issue *out, const char *repo, int64_t number);

/*
 * The sticky comment: the one comment on the PR whose body contains marker (a
 * hidden HTML comment such as "<!-- maestro:decision-card -->"), made by the bot.
 * Creates it when absent, edits it only when body differs from what is there, and
 * leaves it alone otherwise. *changed (may be NULL) is 1 when something was written.
 * body must contain marker. *comment_id (may be NULL) receives the comment's id.
 */
int mc_forge_upsert_sticky_comment(mc_forge *forge, const char *repo, int64_t number,
				   const char *marker, const char *body, int *changed,
				   int64_t *comment_id);

/* A new comment (replies to slash-commands). */
int mc_forge_comment(mc_forge *forge, const char *repo, int64_t number, const char *body,
		     int64_t *comment_id);

/* state: "pending", "success", "failure" or "error"; description is cut to 140
 * bytes at a UTF-8 boundary; target_url may be NULL. */
int mc_forge_set_status(mc_forge *forge, const char *repo, const char *sha,
			const char *context, const char *state, const char *description,
			const char *target_url);

/* A reaction ("+1", "-1", "eyes", "confused", "rocket", ...) on an issue comment. */
int mc_forge_react(mc_forge *forge, const char *repo, int64_t comment_id, const char *content);

/*
 * The user's permission on repo: "admin", "maintain", "write", "triage", "read" or
 * "none" (a 404 from the forge is "none"). Cached in the handle for cache_s seconds.
 * free() *permission.
 */
int mc_forge_permission(mc_forge *forge, char **permission, const char *repo,
			const char *user, int cache_s);

/*
 * The token git should use to fetch the forge's repositories over https: the
 * personal access token, or the GitHub App's current installation token (asked
 * for, or renewed, when the cached one is about to expire). *token is NULL when
 * the forge has none (the local driver, or a REST forge opened without a token).
 * Free *token with mc_secret_free (util/secret.h), which wipes it.
 */
int mc_forge_git_token(mc_forge *forge, char **token);

/* 1 when permission allows writing (admin, maintain, write). */
int mc_forge_permission_can_write(const char *permission);

#endif
