/* Hook directory discovery and non-destructive hook installation (hooks.h). */
#include "adapters/git/hooks.h"

#include <errno.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strbuf.h"

#define MC_HOOK_MAX_BYTES (1024 * 1024)

static int git_fail(int code, const char *what)
{
	const git_error *e = git_error_last();
	return mc_error_set(code, "%s: %s", what, e && e->message ? e->message : "libgit2 error");
}

/* core.hooksPath when set (relative to the work tree, as git does), else <common dir>/hooks. */
static int resolve_hooks_dir(mc_strbuf *out, git_repository *repo)
{
	git_config *cfg = NULL;
	git_buf value = { 0 };
	int rc = 0;

	if (git_repository_config_snapshot(&cfg, repo) != 0)
		return git_fail(MC_EGIT, "reading git config");
	if (git_config_get_path(&value, cfg, "core.hooksPath") == 0) {
		if (value.ptr[0] != '/') {
			const char *base = git_repository_workdir(repo);
			mc_strbuf_puts(out, base ? base : git_repository_path(repo));
		}
		mc_strbuf_puts(out, value.ptr);
	} else {
		mc_strbuf_puts(out, git_repository_commondir(repo));
		mc_strbuf_puts(out, "hooks");
	}
	while (out->len > 1 && out->buf[out->len - 1] == '/')
		out->buf[--out->len] = '\0';
	git_buf_dispose(&value);
	git_config_free(cfg);
	return rc;
}

int mc_hooks_dir(char **out, const char *repo_path)
{
	git_repository *repo = NULL;
	mc_strbuf dir = MC_STRBUF_INIT;
	int rc;

	*out = NULL;
	git_libgit2_init();
	if (git_repository_open_ext(&repo, repo_path, 0, NULL) != 0) {
		rc = mc_error_set(MC_EENV, "not a git repository: %s", repo_path);
		goto out;
	}
	if ((rc = resolve_hooks_dir(&dir, repo)) == 0 && (rc = mc_fs_mkdirs(dir.buf, 0755)) == 0)
		*out = mc_strbuf_detach(&dir);
out:
	mc_strbuf_release(&dir);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return rc;
}

static char *join(const char *dir, const char *name, const char *suffix)
{
	mc_strbuf sb = MC_STRBUF_INIT;
	mc_strbuf_printf(&sb, "%s/%s%s", dir, name, suffix);
	return mc_strbuf_detach(&sb);
}

/* 1 when path holds a maestro hook, 0 when it holds something else, -1 when absent. */
static int hook_is_ours(const char *path)
{
	char *text;
	size_t len;
	int rc = mc_fs_read_file(&text, &len, path, MC_HOOK_MAX_BYTES);
	struct stat st;
	if (rc == MC_ENOTFOUND)
		return lstat(path, &st) == 0 ? 0 : -1; /* a dangling symlink is still someone's */
	if (rc)
		return 0;
	rc = strstr(text, MC_HOOK_MARKER) != NULL;
	free(text);
	return rc;
}

static int move_aside(const char *from, const char *to)
{
	struct stat st;
	if (lstat(to, &st) == 0)
		return mc_error_set(MC_EENV, "%s already exists; move it away first so nothing is lost", to);
	if (rename(from, to) != 0)
		return mc_error_set(MC_EIO, "renaming %s to %s: %s", from, to, strerror(errno));
	return 0;
}

int mc_hooks_install(mc_hook_result *out, const char *hooks_dir, const char *name,
		     const char *script, int force)
{
	int ours, rc;
	memset(out, 0, sizeof *out);
	out->path = join(hooks_dir, name, "");
	ours = hook_is_ours(out->path);
	if (ours == -1) {
		out->action = MC_HOOK_INSTALLED;
	} else if (ours == 1) {
		out->action = MC_HOOK_UPDATED;
	} else {
		out->action = force ? MC_HOOK_REPLACED : MC_HOOK_CHAINED;
		out->moved_to = join(hooks_dir, name, force ? MC_HOOK_BACKUP_SUFFIX : MC_HOOK_CHAIN_SUFFIX);
		if ((rc = move_aside(out->path, out->moved_to)) != 0)
			return rc;
	}
	rc = mc_fs_write_file(out->path, script, strlen(script), 0755);
	if (rc && out->moved_to)
		rename(out->moved_to, out->path); /* put the foreign hook back where it was */
	return rc;
}

int mc_hooks_uninstall(mc_hook_result *out, const char *hooks_dir, const char *name)
{
	int ours;
	struct stat st;
	memset(out, 0, sizeof *out);
	out->path = join(hooks_dir, name, "");
	ours = hook_is_ours(out->path);
	if (ours == -1) {
		out->action = MC_HOOK_ABSENT;
		return 0;
	}
	if (ours == 0) {
		out->action = MC_HOOK_LEFT_ALONE;
		return 0;
	}
	if (unlink(out->path) != 0)
		return mc_error_set(MC_EIO, "removing %s: %s", out->path, strerror(errno));
	out->action = MC_HOOK_REMOVED;
	out->moved_to = join(hooks_dir, name, MC_HOOK_CHAIN_SUFFIX);
	if (lstat(out->moved_to, &st) != 0) {
		free(out->moved_to);
		out->moved_to = NULL;
		return 0;
	}
	if (rename(out->moved_to, out->path) != 0)
		return mc_error_set(MC_EIO, "restoring %s: %s", out->moved_to, strerror(errno));
	out->action = MC_HOOK_RESTORED;
	return 0;
}

const char *mc_hook_action_name(enum mc_hook_action a)
{
	static const char *const names[] = { "installed", "updated", "chained", "replaced",
					     "removed", "restored", "left alone", "absent" };
	return (unsigned)a < sizeof names / sizeof names[0] ? names[a] : "?";
}

void mc_hook_result_free(mc_hook_result *r)
{
	free(r->path);
	free(r->moved_to);
	memset(r, 0, sizeof *r);
}
