/*
 * The local forge driver: a forge without a network, so the whole pipeline runs
 * on a fresh machine. The "repository" is a path to a git repository; its pull
 * requests are its local branches other than the default branch, each based on
 * the default branch. Numbers are assigned the first time a branch is seen and
 * kept in a registry, so #3 stays #3. Comments are Markdown files, statuses and
 * reactions JSON Lines, all under local_dir/<repo key>/, and every write is also
 * logged on stderr (the terminal is the local forge's web page).
 *
 * Issues: the local forge has none (a branch is its only kind of work item), so it
 * leaves list_issues and get_issue unset: listings answer no issues and asking for
 * one is MC_ENOTFOUND (forge.c).
 *
 * Permissions: on the local forge everybody who can reach these files can write
 * the repository, so every user has "write".
 *
 * The registry (prs.json) is read and written under an flock of the directory's
 * lock file, so the daemon's workers and a CLI can share one local forge.
 */
#include "adapters/forge/forge_driver.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "adapters/git/repo.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/time.h"

#define REGISTRY_MAX (16u << 20)
#define COMMENT_MAX (1u << 20)

typedef struct local_state {
	char *dir;               /* local_dir */
	uint64_t last_listing;   /* digest of the last open-PR listing, the local "ETag" */
	char *last_listing_repo;
} local_state;

/* A repository's files: <dir>/<basename>-<hash of its absolute path>/. */
static char *repo_dir(local_state *st, mc_repo *repo)
{
	const char *common = mc_repo_commondir(repo);
	uint64_t h = 1469598103934665603ULL;
	const char *end = common + strlen(common), *base;
	mc_strbuf sb = MC_STRBUF_INIT;
	size_t n;

	for (const char *p = common; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	/* ".../project/.git/" names the project; a bare "x.git/" names itself. */
	while (end > common && end[-1] == '/')
		end--;
	if (end - common >= 5 && strncmp(end - 5, "/.git", 5) == 0)
		end -= 5;
	base = end;
	while (base > common && base[-1] != '/')
		base--;
	n = (size_t)(end - base);
	mc_strbuf_printf(&sb, "%s/", st->dir);
	for (size_t i = 0; i < n && i < 64; i++) {
		char c = base[i];
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			 (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
		mc_strbuf_putc(&sb, ok && !(i == 0 && c == '.') ? c : '_');
	}
	mc_strbuf_printf(&sb, "-%016llx", (unsigned long long)h);
	return mc_strbuf_detach(&sb);
}

static int open_repo(mc_repo **repo, char **dir, local_state *st, const char *path)
{
	int rc;

	*dir = NULL;
	if ((rc = mc_repo_open(repo, path)) != 0)
		return rc;
	*dir = repo_dir(st, *repo);
	if ((rc = mc_fs_mkdirs(*dir, 0700)) != 0) {
		mc_repo_free(*repo);
		*repo = NULL;
		free(*dir);
		*dir = NULL;
	}
	return rc;
}

/* flock the repository's lock file; returns the descriptor or a negative code. */
static int lock_dir(const char *dir)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof path, "%s/lock", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return mc_error_set(MC_EIO, "%s: %s", path, strerror(errno));
	while (flock(fd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			close(fd);
			return mc_error_set(MC_EIO, "locking %s: %s", path, strerror(errno));
		}
	}
	return fd;
}

static void unlock_dir(int fd)
{
	if (fd >= 0)
		close(fd); /* closing releases the flock */
}

/* The registry: {"next_pr": n, "next_comment": n, "prs": {"branch": number}}. */
static int registry_read(struct json_object **out, const char *dir)
{
	char path[4096], *text = NULL;
	size_t len = 0;
	int rc;

	snprintf(path, sizeof path, "%s/prs.json", dir);
	rc = mc_fs_read_file(&text, &len, path, REGISTRY_MAX);
	if (rc == MC_ENOTFOUND) {
		mc_error_clear();
		*out = json_object_new_object();
		mc_json_set_int(*out, "next_pr", 1);
		mc_json_set_int(*out, "next_comment", 1);
		json_object_object_add(*out, "prs", json_object_new_object());
		return 0;
	}
	if (rc != 0)
		return rc;
	rc = mc_json_parse(out, text, len, REGISTRY_MAX, path);
	free(text);
	if (rc == 0 && !json_object_is_type(mc_json_get(*out, "prs"), json_type_object)) {
		json_object_put(*out);
		*out = NULL;
		rc = mc_error_set(MC_EINVAL, "%s: no \"prs\" object", path);
	}
	return rc;
}

static int registry_write(struct json_object *reg, const char *dir)
{
	char path[4096];
	const char *text = mc_json_dump(reg, 1);

	snprintf(path, sizeof path, "%s/prs.json", dir);
	return mc_fs_write_file(path, text, strlen(text), 0600);
}

/* Take the next value of a counter in the registry. */
static int64_t registry_take(struct json_object *reg, const char *key)
{
	int64_t n = mc_json_get_int(reg, key, 1);

	mc_json_set_int(reg, key, n + 1);
	return n;
}

static int local_open(void **state, const mc_forge_options *opt, mc_forge_stats *stats)
{
	local_state *st;
	int rc;

	(void)stats;
	if (!opt->local_dir || !*opt->local_dir)
		return mc_error_set(MC_EINVAL, "the local forge needs a directory for its files");
	if ((rc = mc_fs_mkdirs(opt->local_dir, 0700)) != 0)
		return rc;
	st = mc_xcalloc(1, sizeof *st);
	st->dir = mc_xstrdup(opt->local_dir);
	*state = st;
	return 0;
}

static void local_close(void *state)
{
	local_state *st = state;

	if (!st)
		return;
	free(st->dir);
	free(st->last_listing_repo);
	free(st);
}

static char *oid_hex(const git_oid *oid)
{
	char hex[GIT_OID_HEXSZ + 1];

	git_oid_tostr(hex, sizeof hex, oid);
	return mc_xstrdup(hex);
}

static char *rfc3339(git_time_t t)
{
	char buf[MC_TIME_ISO_LEN];

	mc_time_iso8601(buf, (time_t)t, 0);
	return mc_xstrdup(buf);
}

/* Fill a PR from its branch: head, base (the default branch), title and author from
 * the head commit, merged when the head is already in the base. */
static int fill_pr(mc_forge_pr *pr, mc_repo *repo, const char *path, const char *branch,
		   const char *default_branch, int64_t number)
{
	git_repository *git = mc_repo_git(repo);
	git_oid head, base;
	git_commit *commit = NULL;
	const git_signature *author;
	int rc;

	if ((rc = mc_repo_resolve_commit(&head, repo, branch)) != 0 ||
	    (rc = mc_repo_resolve_commit(&base, repo, default_branch)) != 0)
		return rc;
	if (git_commit_lookup(&commit, git, &head) != 0)
		return mc_repo_fail(MC_EGIT, "reading the head commit");
	author = git_commit_author(commit);
	pr->repo = mc_xstrdup(path);
	pr->number = number;
	pr->title = mc_xstrdup(git_commit_summary(commit) ? git_commit_summary(commit) : "");
	pr->author = mc_xstrdup(author && author->name ? author->name : "");
	pr->head_sha = oid_hex(&head);
	pr->head_ref = mc_xstrdup(branch);
	pr->base_ref = mc_xstrdup(default_branch);
	pr->base_sha = oid_hex(&base);
	pr->clone_url = mc_xstrdup(path);
	pr->updated_at = rfc3339(git_commit_committer(commit)->when.time);
	pr->merged = git_oid_equal(&head, &base) ||
		     git_graph_descendant_of(git, &base, &head) == 1;
	pr->state = mc_xstrdup(pr->merged ? "closed" : "open");
	git_commit_free(commit);
	return 0;
}

/* The number of branch, assigned now when new (the caller holds the lock and writes
 * the registry back when *dirty). */
static int64_t number_for(struct json_object *reg, const char *branch, int *dirty)
{
	struct json_object *prs = mc_json_get(reg, "prs"), *n;
	int64_t number;

	if (json_object_object_get_ex(prs, branch, &n) && json_object_is_type(n, json_type_int))
		return json_object_get_int64(n);
	number = registry_take(reg, "next_pr");
	json_object_object_add(prs, branch, json_object_new_int64(number));
	*dirty = 1;
	return number;
}

typedef struct pr_list {
	mc_forge_pr *items;
	size_t n, alloc;
} pr_list;

static int collect_branches(pr_list *list, uint64_t *digest, mc_repo *repo, const char *path,
			    const char *default_branch, struct json_object *reg, int *dirty,
			    const char *since)
{
	git_branch_iterator *it = NULL;
	git_reference *ref = NULL;
	git_branch_t type;
	int rc = 0, err;

	if (git_branch_iterator_new(&it, mc_repo_git(repo), GIT_BRANCH_LOCAL) != 0)
		return mc_repo_fail(MC_EGIT, "listing branches");
	while ((err = git_branch_next(&ref, &type, it)) == 0) {
		const char *name = NULL;
		mc_forge_pr pr = {0};

		git_branch_name(&name, ref);
		if (name && strcmp(name, default_branch) != 0) {
			int64_t number = number_for(reg, name, dirty);
			if ((rc = fill_pr(&pr, repo, path, name, default_branch, number)) != 0) {
				git_reference_free(ref);
				break;
			}
			for (const char *p = pr.head_sha; *p; p++)
				*digest = (*digest ^ (unsigned char)*p) * 1099511628211ULL;
			*digest = (*digest ^ (uint64_t)number) * 1099511628211ULL;
			if (pr.merged || (since && strcmp(pr.updated_at, since) < 0)) {
				mc_forge_pr_clear(&pr);
			} else {
				mc_xgrow((void **)&list->items, &list->alloc, list->n + 1,
					 sizeof *list->items);
				list->items[list->n++] = pr;
			}
		}
		git_reference_free(ref);
	}
	git_branch_iterator_free(it);
	if (rc == 0 && err != GIT_ITEROVER)
		rc = mc_repo_fail(MC_EGIT, "listing branches");
	return rc;
}

/* The default branch as a local branch name ("origin/main" is the base on a forge,
 * but a local PR's base is the local branch of that name when there is one). */
static int local_default_branch(char **out, mc_repo *repo)
{
	int rc = mc_repo_default_branch(out, repo);

	if (rc == 0 && strncmp(*out, "origin/", 7) == 0) {
		char *local = mc_xstrdup(*out + 7);
		git_reference *ref = NULL;
		if (git_branch_lookup(&ref, mc_repo_git(repo), local, GIT_BRANCH_LOCAL) == 0) {
			git_reference_free(ref);
			free(*out);
			*out = local;
		} else {
			free(local);
		}
	}
	return rc;
}

static int local_list_open_prs(void *state, const char *path, const char *since,
			       mc_forge_pr **prs, size_t *n, int *not_modified)
{
	local_state *st = state;
	mc_repo *repo = NULL;
	char *dir = NULL, *default_branch = NULL;
	struct json_object *reg = NULL;
	pr_list list = {0};
	uint64_t digest = 1469598103934665603ULL;
	int rc, fd = -1, dirty = 0;

	if ((rc = open_repo(&repo, &dir, st, path)) != 0)
		return rc;
	if ((rc = local_default_branch(&default_branch, repo)) != 0)
		goto done;
	if ((fd = lock_dir(dir)) < 0) {
		rc = fd;
		goto done;
	}
	if ((rc = registry_read(&reg, dir)) != 0 ||
	    (rc = collect_branches(&list, &digest, repo, path, default_branch, reg, &dirty,
				   since)) != 0 ||
	    (dirty && (rc = registry_write(reg, dir)) != 0))
		goto done;
	for (const char *p = since ? since : ""; *p; p++)
		digest = (digest ^ (unsigned char)*p) * 1099511628211ULL;
	if (st->last_listing_repo && strcmp(st->last_listing_repo, path) == 0 &&
	    st->last_listing == digest) {
		*not_modified = 1;
		mc_forge_pr_list_free(list.items, list.n);
		list = (pr_list){0};
	}
	free(st->last_listing_repo);
	st->last_listing_repo = mc_xstrdup(path);
	st->last_listing = digest;
	*prs = list.items;
	*n = list.n;
	list = (pr_list){0};
done:
	unlock_dir(fd);
	mc_forge_pr_list_free(list.items, list.n);
	json_object_put(reg);
	free(default_branch);
	free(dir);
	mc_repo_free(repo);
	return rc;
}

/* The branch registered under number, or NULL. */
static const char *branch_of(struct json_object *reg, int64_t number)
{
	json_object_object_foreach(mc_json_get(reg, "prs"), key, val) {
		if (json_object_is_type(val, json_type_int) && json_object_get_int64(val) == number)
			return key;
	}
	return NULL;
}

static int local_get_pr(void *state, mc_forge_pr *out, const char *path, int64_t number)
{
	local_state *st = state;
	mc_repo *repo = NULL;
	char *dir = NULL, *default_branch = NULL;
	struct json_object *reg = NULL;
	const char *branch;
	git_reference *ref = NULL;
	int rc, fd = -1;

	if ((rc = open_repo(&repo, &dir, st, path)) != 0)
		return rc;
	if ((fd = lock_dir(dir)) < 0) {
		rc = fd;
		goto done;
	}
	if ((rc = registry_read(&reg, dir)) != 0)
		goto done;
	if (!(branch = branch_of(reg, number))) {
		rc = mc_error_set(MC_ENOTFOUND, "no pull request #%lld in %s", (long long)number,
				  path);
		goto done;
	}
	if (git_branch_lookup(&ref, mc_repo_git(repo), branch, GIT_BRANCH_LOCAL) != 0) {
		rc = mc_error_set(MC_ENOTFOUND, "pull request #%lld: branch %s was deleted",
				  (long long)number, branch);
		goto done;
	}
	git_reference_free(ref);
	if ((rc = local_default_branch(&default_branch, repo)) == 0)
		rc = fill_pr(out, repo, path, branch, default_branch, number);
done:
	unlock_dir(fd);
	json_object_put(reg);
	free(default_branch);
	free(dir);
	mc_repo_free(repo);
	return rc;
}

static char *pr_dir(const char *dir, int64_t number)
{
	mc_strbuf sb = MC_STRBUF_INIT;

	mc_strbuf_printf(&sb, "%s/pr-%lld", dir, (long long)number);
	return mc_strbuf_detach(&sb);
}

/* The id of the comment in pr's directory whose body contains marker, or 0. */
static int find_sticky(int64_t *id, char **body, const char *prdir, const char *marker)
{
	DIR *d = opendir(prdir);
	struct dirent *e;
	int rc = 0;

	*id = 0;
	*body = NULL;
	if (!d)
		return errno == ENOENT ? 0 : mc_error_set(MC_EIO, "%s: %s", prdir, strerror(errno));
	while ((e = readdir(d)) != NULL) {
		long long n;
		char tail[8], path[4096], *text = NULL;
		if (sscanf(e->d_name, "comment-%lld.%7s", &n, tail) != 2 || strcmp(tail, "md") != 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", prdir, e->d_name);
		if ((rc = mc_fs_read_file(&text, NULL, path, COMMENT_MAX)) != 0)
			break;
		if (strstr(text, marker) && (*id == 0 || n < *id)) {
			free(*body);
			*id = n;
			*body = text;
		} else {
			free(text);
		}
	}
	closedir(d);
	return rc;
}

static int write_comment(const char *prdir, int64_t id, const char *body)
{
	char path[4096];
	int rc;

	if ((rc = mc_fs_mkdirs(prdir, 0700)) != 0)
		return rc;
	snprintf(path, sizeof path, "%s/comment-%lld.md", prdir, (long long)id);
	return mc_fs_write_file(path, body, strlen(body), 0600);
}

static void log_write(const char *what, const char *repo, int64_t number, int64_t id)
{
	char nbuf[32], idbuf[32];

	snprintf(nbuf, sizeof nbuf, "%lld", (long long)number);
	snprintf(idbuf, sizeof idbuf, "%lld", (long long)id);
	mc_log(MC_LOG_INFO, what, "repo", repo, "pr", nbuf, "comment", idbuf, NULL);
}

/* Under the lock: the registry's next comment id. */
static int take_comment_id(int64_t *id, const char *dir)
{
	struct json_object *reg = NULL;
	int rc;

	if ((rc = registry_read(&reg, dir)) != 0)
		return rc;
	*id = registry_take(reg, "next_comment");
	rc = registry_write(reg, dir);
	json_object_put(reg);
	return rc;
}

static int local_upsert_sticky(void *state, const char *path, int64_t number,
			       const char *marker, const char *body, int *changed,
			       int64_t *comment_id)
{
	local_state *st = state;
	mc_repo *repo = NULL;
	char *dir = NULL, *prdir = NULL, *old = NULL;
	int rc, fd = -1;

	if (strlen(body) > COMMENT_MAX)
		return mc_error_set(MC_ELIMIT, "comment of %zu bytes (limit %u)", strlen(body),
				    COMMENT_MAX);
	if ((rc = open_repo(&repo, &dir, st, path)) != 0)
		return rc;
	prdir = pr_dir(dir, number);
	if ((fd = lock_dir(dir)) < 0) {
		rc = fd;
		goto done;
	}
	if ((rc = find_sticky(comment_id, &old, prdir, marker)) != 0)
		goto done;
	if (old && strcmp(old, body) == 0)
		goto done;
	if (*comment_id == 0 && (rc = take_comment_id(comment_id, dir)) != 0)
		goto done;
	if ((rc = write_comment(prdir, *comment_id, body)) == 0) {
		*changed = 1;
		log_write(old ? "forge.local.comment_edited" : "forge.local.comment_created", path,
			  number, *comment_id);
	}
done:
	unlock_dir(fd);
	free(old);
	free(prdir);
	free(dir);
	mc_repo_free(repo);
	return rc;
}

static int local_comment(void *state, const char *path, int64_t number, const char *body,
			 int64_t *comment_id)
{
	local_state *st = state;
	mc_repo *repo = NULL;
	char *dir = NULL, *prdir = NULL;
	int rc, fd = -1;

	if (strlen(body) > COMMENT_MAX)
		return mc_error_set(MC_ELIMIT, "comment of %zu bytes (limit %u)", strlen(body),
				    COMMENT_MAX);
	if ((rc = open_repo(&repo, &dir, st, path)) != 0)
		return rc;
	prdir = pr_dir(dir, number);
	if ((fd = lock_dir(dir)) < 0)
		rc = fd;
	else if ((rc = take_comment_id(comment_id, dir)) == 0 &&
		 (rc = write_comment(prdir, *comment_id, body)) == 0)
		log_write("forge.local.comment_created", path, number, *comment_id);
	unlock_dir(fd);
	free(prdir);
	free(dir);
	mc_repo_free(repo);
	return rc;
}

/* Append one JSON object as a line to <repo dir>/name, under the lock. */
static int append_line(local_state *st, const char *path, const char *name,
		       struct json_object *obj)
{
	mc_repo *repo = NULL;
	char *dir = NULL, file[4096];
	const char *line;
	FILE *f = NULL;
	int rc, fd = -1;

	if ((rc = open_repo(&repo, &dir, st, path)) != 0)
		return rc;
	snprintf(file, sizeof file, "%s/%s", dir, name);
	line = mc_json_dump(obj, 0);
	if ((fd = lock_dir(dir)) < 0)
		rc = fd;
	else if (!(f = fopen(file, "a")) || fprintf(f, "%s\n", line) < 0 || fflush(f) != 0 ||
		 fsync(fileno(f)) != 0)
		rc = mc_error_set(MC_EIO, "%s: %s", file, strerror(errno));
	if (f && fclose(f) != 0 && rc == 0)
		rc = mc_error_set(MC_EIO, "%s: %s", file, strerror(errno));
	unlock_dir(fd);
	free(dir);
	mc_repo_free(repo);
	return rc;
}

static void set_now(struct json_object *obj)
{
	char at[MC_TIME_ISO_LEN];

	mc_time_iso8601(at, time(NULL), 0);
	mc_json_set_string(obj, "at", at);
}

static int local_set_status(void *state, const char *path, const char *sha, const char *context,
			    const char *state_name, const char *description,
			    const char *target_url)
{
	struct json_object *obj = json_object_new_object();
	int rc;

	mc_json_set_string(obj, "sha", sha);
	mc_json_set_string(obj, "context", context);
	mc_json_set_string(obj, "state", state_name);
	mc_json_set_string(obj, "description", description);
	if (target_url)
		mc_json_set_string(obj, "target_url", target_url);
	set_now(obj);
	rc = append_line(state, path, "statuses.jsonl", obj);
	if (rc == 0)
		mc_log(MC_LOG_INFO, "forge.local.status", "repo", path, "sha", sha, "context",
		       context, "state", state_name, "description", description, NULL);
	json_object_put(obj);
	return rc;
}

static int local_react(void *state, const char *path, int64_t comment_id, const char *content)
{
	struct json_object *obj = json_object_new_object();
	int rc;

	mc_json_set_int(obj, "comment_id", comment_id);
	mc_json_set_string(obj, "content", content);
	set_now(obj);
	rc = append_line(state, path, "reactions.jsonl", obj);
	json_object_put(obj);
	return rc;
}

static int local_permission(void *state, char **permission, const char *path, const char *user)
{
	(void)state;
	(void)path;
	(void)user;
	*permission = mc_xstrdup("write");
	return 0;
}

const mc_forge_driver mc_forge_driver_local = {
	.name = "local",
	.open = local_open,
	.close = local_close,
	.list_open_prs = local_list_open_prs,
	.get_pr = local_get_pr,
	.upsert_sticky_comment = local_upsert_sticky,
	.comment = local_comment,
	.set_status = local_set_status,
	.react = local_react,
	.permission = local_permission,
};
