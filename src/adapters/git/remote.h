/*
 * Moving one ref between repositories (libgit2 with libssh2): the transport under
 * evidence sync. A push never forces and a fetch never accepts a rewritten history,
 * so evidence already shared cannot be silently lost in either direction.
 *
 * Remotes: a configured remote name, or a URL: https://, ssh://, scp-like user@host:path,
 * a local path or file://. Credentials:
 *   - ssh: the key file in the options, else ssh-agent (SSH_AUTH_SOCK), then
 *     ~/.ssh/id_ed25519 and ~/.ssh/id_rsa. A passphrase-protected key works only
 *     through ssh-agent (nothing here prompts). The host key must be listed in
 *     known_hosts (plain or hashed |1| entries; "[host]:port" for a port other than 22);
 *     an unknown or different key is refused, never trusted on first use.
 *   - https: a user name and token in the URL (https://user:TOKEN@host/path) or in the
 *     configured remote's URL. Credential helpers and GIT_ASKPASS are not used.
 * User information in URLs (tokens) is redacted from every error message and reflog.
 * timeout_seconds bounds each network connection (connect and every wait for data);
 * local paths and file:// need none.
 */
#ifndef MC_ADAPTERS_GIT_REMOTE_H
#define MC_ADAPTERS_GIT_REMOTE_H

#include "adapters/git/repo.h"

typedef struct mc_remote_options {
	const char *ssh_key;      /* private key file; NULL: ssh-agent, ~/.ssh/id_ed25519, ~/.ssh/id_rsa */
	const char *known_hosts;  /* NULL: ~/.ssh/known_hosts */
	unsigned timeout_seconds; /* 0: 60 */
} mc_remote_options;

/*
 * Push the local ref to the same ref name on remote. Never forces: a non-fast-forward
 * is refused with MC_EVERIFY ("the remote has evidence this repository does not; fetch
 * first"). MC_ENOTFOUND when there is no such local ref; MC_EENV for an unknown host
 * key or failed authentication; MC_EIO for network failures and timeouts.
 * opt may be NULL (defaults).
 */
int mc_remote_push_ref(mc_repo *repo, const char *remote, const char *ref,
		       const mc_remote_options *opt);

/*
 * Fetch remote's ref into tracking_ref (e.g. refs/notes/remotes/<name>/maestro). When
 * tracking_ref exists and the fetched tip does not descend from it, the remote rewrote
 * its history: MC_EVERIFY naming both ids, tracking_ref unchanged. tip receives the
 * fetched id; MC_ENOTFOUND when the remote has no such ref. Other errors as for push.
 */
int mc_remote_fetch_ref(char tip[41], mc_repo *repo, const char *remote, const char *ref,
			const char *tracking_ref, const mc_remote_options *opt);

/*
 * Fetch code (not evidence): each refspec "+refs/...:refs/..." is forced, because a
 * pull request's head is rewritten by force-pushes and the bot must review what is
 * there now. Errors as for push.
 */
int mc_remote_fetch_code(mc_repo *repo, const char *remote, const char *const *refspecs,
			 size_t n, const mc_remote_options *opt);
/* The name to use in tracking refs: a remote's name as it is; for a URL or path a
 * sanitised form of it, without credentials ("https://u:t@example.com/org/ev.git" gives
 * "example.com-org-ev"), one ref name component. free() it. */
char *mc_remote_tracking_name(const char *remote);

/* text with the user information of every URL in it redacted: in "https://u:t@h/p" the
 * "u:t" becomes "***"; an ssh login name without a password is kept (it is no secret).
 * free() it. */
char *mc_remote_redact(const char *text);

#endif
