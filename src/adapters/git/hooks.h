/*
 * Installing maestro's git hooks into a repository: where hooks live (honouring
 * core.hooksPath and linked worktrees), and installing without ever losing a
 * hook someone already had: a foreign hook is chained (renamed to
 * <name>.pre-maestro and run first by ours), or with force set aside as
 * <name>.maestro-backup. Installing twice updates in place.
 */
#ifndef MC_ADAPTERS_GIT_HOOKS_H
#define MC_ADAPTERS_GIT_HOOKS_H
#include <stddef.h>

/* The marker every maestro hook script carries in its first lines. */
#define MC_HOOK_MARKER "maestro-hook:"
#define MC_HOOK_CHAIN_SUFFIX ".pre-maestro"
#define MC_HOOK_BACKUP_SUFFIX ".maestro-backup"

enum mc_hook_action {
	MC_HOOK_INSTALLED,   /* there was no hook */
	MC_HOOK_UPDATED,     /* ours was there and is now the current script */
	MC_HOOK_CHAINED,     /* a foreign hook now runs before ours */
	MC_HOOK_REPLACED,    /* force: a foreign hook was set aside as a backup */
	MC_HOOK_REMOVED,     /* uninstall: ours removed */
	MC_HOOK_RESTORED,    /* uninstall: ours removed and the chained hook put back */
	MC_HOOK_LEFT_ALONE,  /* uninstall: the hook there is not ours */
	MC_HOOK_ABSENT,      /* uninstall: nothing there */
};

typedef struct mc_hook_result {
	char *path;          /* the hook file */
	char *moved_to;      /* where a foreign hook went (chained or backup), or NULL */
	enum mc_hook_action action;
} mc_hook_result;

/* The hooks directory of the repository at or above path (created if missing). */
int mc_hooks_dir(char **out, const char *repo_path);
int mc_hooks_install(mc_hook_result *out, const char *hooks_dir, const char *name,
		     const char *script, int force);
int mc_hooks_uninstall(mc_hook_result *out, const char *hooks_dir, const char *name);
const char *mc_hook_action_name(enum mc_hook_action a);
void mc_hook_result_free(mc_hook_result *r);

#endif
