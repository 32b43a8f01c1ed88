/*
 * OpenPGP signatures through GPGME, for signed evidence (DESIGN.md, "Evidence
 * format"): detached signatures over bytes (armored for git's gpgsig header,
 * binary inside DSSE envelopes) and verification that trusts a signature only
 * when it is good AND made by a pinned fingerprint. gpg's local trust database
 * (ownertrust, the VALID bit) plays no part: evidence must verify the same way on
 * an auditor's machine as on the bot's.
 *
 * Nothing here ever asks for a passphrase: signing keys are expected to be
 * unprotected (or unlocked in the agent); a key that would need a prompt fails
 * at once with MC_EENV instead of waiting for a pinentry that nobody answers.
 * An mc_gpg is one GPGME context: use it from one thread at a time.
 */
#ifndef MC_ADAPTERS_SIGN_GPG_H
#define MC_ADAPTERS_SIGN_GPG_H
#include <stddef.h>

typedef struct mc_gpg mc_gpg;

/* Whether s is a full OpenPGP v4 fingerprint: exactly 40 hexadecimal digits. */
int mc_gpg_is_fingerprint(const char *s);
typedef struct mc_gpg_options {
	const char *gnupghome;    /* NULL: $GNUPGHOME or gpg's default */
	const char *signing_key;  /* fingerprint (40 hex) of the key to sign with; NULL: verify only */
} mc_gpg_options;
/* Open a GPGME context (OpenPGP protocol). With signing_key: the secret key must exist, be usable for signing (not expired, revoked or disabled); errors are MC_EENV with one clear line ("signing key ABCD… has expired on 2024-01-01", "no secret key ABCD… in GNUPGHOME=…", "gpg-agent could not be started: …"). */
int mc_gpg_open(mc_gpg **out, const mc_gpg_options *opt);
void mc_gpg_free(mc_gpg *g);
const char *mc_gpg_signing_fingerprint(const mc_gpg *g); /* NULL when verify-only */
/* Detached signature over data; armor=1 for ASCII armor (git's gpgsig header), 0 for binary (DSSE). A passphrase-protected key with no usable pinentry must fail fast with MC_EENV, never hang: use loopback pinentry mode with a passphrase callback that refuses (returns an error), or set GPGME to not prompt. Output malloc'd. */
int mc_gpg_sign(mc_gpg *g, const void *data, size_t len, int armor, char **sig, size_t *siglen);
/* Verify a detached signature. Succeeds only when there is exactly one signature, it is GOOD (GPGME's summary/status says valid-by-crypto: status GPG_ERR_NO_ERROR, not expired/revoked key at signing time as GPGME reports), AND the signing key's fingerprint (primary key or the subkey that signed — match either against the pin list, case-insensitive) is one of pinned[0..npinned). Local trust (VALID bit/ownertrust) is ignored entirely. fpr receives the signer's primary-key fingerprint (40 hex, uppercase). Failure: MC_EVERIFY with a reason ("bad signature", "signed by 1234… which is not pinned", "no signature"). */
int mc_gpg_verify(mc_gpg *g, const void *data, size_t len, const void *sig, size_t siglen, const char *const *pinned, size_t npinned, char fpr[41]);
/* The primary fingerprint of the one secret key that spec names (a fingerprint, a key
 * id such as git's user.signingkey often holds, a user id or an email). None or more
 * than one is MC_EENV saying so. */
int mc_gpg_find_secret_key(char fpr[41], const char *gnupghome, const char *spec);
/* Make a new signing key without passphrase in gnupghome (ed25519 sign-only, or rsa3072 if ed25519 is unavailable), expires after expire_days (0 = never). userid like "Maestro Bot <maestro@example.com>". */
int mc_gpg_keygen(char fpr[41], const char *gnupghome, const char *userid, unsigned expire_days);

#endif
