/*
 * OpenPGP signing and pinned verification through GPGME (gpg.h).
 *
 * Design notes:
 * - Every context runs gpg in loopback pinentry mode with a passphrase callback
 *   that refuses, so a protected key fails at once instead of waiting for a
 *   pinentry; offline, so verification never fetches keys from the network; and
 *   with trust-model "always", because the trust database decides nothing here
 *   (pins do) and checking it only costs time.
 * - Opening with a signing key makes one probe signature. Whether a key can sign
 *   depends on things only an attempt reveals (gpg-agent starting, the secret
 *   part being present, a passphrase), and callers must learn that before they
 *   write anything, not halfway through a batch.
 * - GPGME reports the fingerprint of the (sub)key that signed; the primary key's
 *   fingerprint takes one key listing, so the pairs are remembered per context
 *   (verifying thousands of records signed by one key costs one listing).
 */
#include "adapters/sign/gpg.h"

#include <ctype.h>
#include <gpgme.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util/alloc.h"
#include "util/error.h"
#include "util/fs.h"

#define FPR_HEX 40
#define PRIMARY_CACHE_MAX 64

struct primary_of {
	char signer[FPR_HEX + 1];  /* the (sub)key that made signatures */
	char primary[FPR_HEX + 1];
};

struct mc_gpg {
	gpgme_ctx_t ctx;
	char *home;                 /* the effective GNUPGHOME, for messages */
	gpgme_key_t signing_key;    /* NULL when verify-only */
	char signing_fpr[FPR_HEX + 1];
	struct primary_of *primaries;
	size_t nprimaries;
	gpg_err_code_t failure;     /* from gpg's FAILURE status line in the last operation */
};

static pthread_once_t gpgme_once = PTHREAD_ONCE_INIT;
static const char *gpgme_version;

static void gpgme_init(void)
{
	/* Must precede any other GPGME call; it also sets up GPGME's I/O layer. */
	gpgme_version = gpgme_check_version(NULL);
}

int mc_gpg_is_fingerprint(const char *s)
{
	size_t i;
	for (i = 0; i < FPR_HEX; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return s[FPR_HEX] == '\0';
}

static void copy_fingerprint_upper(char out[FPR_HEX + 1], const char *fpr)
{
	size_t i;
	for (i = 0; i < FPR_HEX; i++)
		out[i] = (char)toupper((unsigned char)fpr[i]);
	out[FPR_HEX] = '\0';
}

static const char *or_unknown(const char *s)
{
	return s && *s ? s : "(unknown)";
}

/* Never supply a passphrase: answering the loopback request with an error makes gpg give
 * up immediately, where a pinentry would wait for a person who is not there. */
static gpgme_error_t refuse_passphrase(void *hook, const char *uid_hint,
				       const char *passphrase_info, int prev_was_bad, int fd)
{
	(void)hook; (void)uid_hint; (void)passphrase_info; (void)prev_was_bad; (void)fd;
	return gpg_error(GPG_ERR_CANCELED);
}

/* gpg states why an operation failed in a FAILURE (or ERROR) status line that GPGME
 * passes on but does not report: "signing failed" without it, "no agent running" with
 * it. The first cause is kept in *hook (a gpg_err_code_t). */
static gpgme_error_t note_failure(void *hook, const char *keyword, const char *args)
{
	gpg_err_code_t *failure = hook;
	const char *code;
	if (*failure || (strcmp(keyword, "FAILURE") && strcmp(keyword, "ERROR")) || !args)
		return 0;
	code = strrchr(args, ' ');
	*failure = gpg_err_code((gpgme_error_t)strtoul(code ? code + 1 : args, NULL, 10));
	return 0;
}

/* The home directory gpg will use, as people would name it in a message. */
static char *effective_home(const char *gnupghome)
{
	const char *env = getenv("GNUPGHOME");
	const char *def;
	if (gnupghome)
		return mc_xstrdup(gnupghome);
	if (env && *env)
		return mc_xstrdup(env);
	def = gpgme_get_dirinfo("homedir");
	return mc_xstrdup(def ? def : "~/.gnupg");
}

/* A context configured as the file comment describes. */
static int new_context(gpgme_ctx_t *out, const char *gnupghome, gpg_err_code_t *failure)
{
	gpgme_ctx_t ctx;
	gpgme_error_t err;

	*out = NULL;
	pthread_once(&gpgme_once, gpgme_init);
	if (!gpgme_version)
		return mc_error_set(MC_EENV, "GPGME could not be initialised");
	err = gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP);
	if (err)
		return mc_error_set(MC_EENV, "gpg (GnuPG 2.1 or later) is not usable: %s",
				    gpgme_strerror(err));
	err = gpgme_new(&ctx);
	if (err)
		return mc_error_set(MC_EENV, "GPGME: %s", gpgme_strerror(err));
	err = gpgme_set_protocol(ctx, GPGME_PROTOCOL_OpenPGP);
	if (!err && gnupghome)
		err = gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_OpenPGP, NULL, gnupghome);
	if (!err)
		err = gpgme_set_pinentry_mode(ctx, GPGME_PINENTRY_MODE_LOOPBACK);
	if (!err)
		err = gpgme_set_ctx_flag(ctx, "trust-model", "always");
	if (!err)
		err = gpgme_set_keylist_mode(ctx, GPGME_KEYLIST_MODE_LOCAL);
	if (err) {
		gpgme_release(ctx);
		return mc_error_set(MC_EENV, "GPGME: %s", gpgme_strerror(err));
	}
	gpgme_set_passphrase_cb(ctx, refuse_passphrase, NULL);
	gpgme_set_status_cb(ctx, note_failure, failure);
	gpgme_set_offline(ctx, 1);
	*out = ctx;
	return 0;
}

static void format_date(char out[16], long long when)
{
	time_t t = (time_t)when;
	struct tm tm;
	if (when <= 0 || !gmtime_r(&t, &tm) || !strftime(out, 16, "%Y-%m-%d", &tm))
		snprintf(out, 16, "an unknown date");
}

/* When the key cannot sign, say why in one line. Uses gpg's own verdicts (the key's
 * flags), so "expired" means what gpg means by it at this moment. */
static int check_key_can_sign(const mc_gpg *g, gpgme_key_t key)
{
	gpgme_subkey_t sub, primary = key->subkeys;
	char date[16];

	if (key->revoked)
		return mc_error_set(MC_EENV, "signing key %s has been revoked", g->signing_fpr);
	if (key->expired || (primary && primary->expired)) {
		format_date(date, primary ? primary->expires : 0);
		return mc_error_set(MC_EENV, "signing key %s has expired on %s", g->signing_fpr,
				    date);
	}
	if (key->disabled)
		return mc_error_set(MC_EENV, "signing key %s is disabled in GNUPGHOME=%s",
				    g->signing_fpr, g->home);
	if (key->invalid)
		return mc_error_set(MC_EENV, "signing key %s is invalid", g->signing_fpr);
	if (key->can_sign)
		return 0;
	/* No usable signing subkey: name the one that went stale, if that is the reason. */
	for (sub = key->subkeys; sub; sub = sub->next) {
		if (!sub->can_sign)
			continue;
		format_date(date, sub->expires);
		if (sub->expired)
			return mc_error_set(MC_EENV, "signing subkey %s of key %s has expired on %s",
					    or_unknown(sub->fpr), g->signing_fpr, date);
		if (sub->revoked)
			return mc_error_set(MC_EENV, "signing subkey %s of key %s has been revoked",
					    or_unknown(sub->fpr), g->signing_fpr);
	}
	return mc_error_set(MC_EENV, "key %s has no usable signing key or subkey",
			    g->signing_fpr);
}

static int is_agent_error(gpg_err_code_t code)
{
	switch (code) {
	case GPG_ERR_NO_AGENT:
	case GPG_ERR_AGENT:
	case GPG_ERR_ASS_CONNECT_FAILED:
	case GPG_ERR_ASS_GENERAL:
		return 1;
	default:
		return 0;
	}
}

static int is_passphrase_error(gpg_err_code_t code)
{
	switch (code) {
	case GPG_ERR_CANCELED:
	case GPG_ERR_BAD_PASSPHRASE:
	case GPG_ERR_NO_PASSPHRASE:
	case GPG_ERR_NO_PIN_ENTRY:
	case GPG_ERR_PIN_ENTRY:
	case GPG_ERR_FULLY_CANCELED:
		return 1;
	default:
		return 0;
	}
}

/* One line for a failed signature: the agent, the passphrase, the secret key, or gpg's
 * own words. GPGME often reports the operation as "unusable secret key" and the real
 * cause as the invalid signer's reason, so the reason is preferred when there is one. */
static int signing_failure(const mc_gpg *g, gpgme_error_t err)
{
	gpgme_sign_result_t res = gpgme_op_sign_result(g->ctx);
	gpg_err_code_t code = gpg_err_code(err);

	if (res && res->invalid_signers && res->invalid_signers->reason)
		code = gpg_err_code(res->invalid_signers->reason);
	if (is_agent_error(g->failure))
		code = g->failure;
	if (is_agent_error(code))
		return mc_error_set(MC_EENV, "gpg-agent could not be started: %s (GNUPGHOME=%s)",
				    gpgme_strerror(code), g->home);
	if (is_passphrase_error(code))
		return mc_error_set(MC_EENV,
				    "signing key %s is protected by a passphrase and maestro never "
				    "prompts for one: use a key without passphrase",
				    g->signing_fpr);
	if (code == GPG_ERR_NO_SECKEY || code == GPG_ERR_UNUSABLE_SECKEY)
		return mc_error_set(MC_EENV, "no secret key %s in GNUPGHOME=%s", g->signing_fpr,
				    g->home);
	return mc_error_set(MC_EENV, "signing with key %s failed: %s", g->signing_fpr,
			    gpgme_strerror(err ? err : code));
}

/* Copy GPGME's buffer into memory the caller frees with free(), NUL-terminated. */
static void take_data(char **out, size_t *outlen, gpgme_data_t data)
{
	size_t n = 0;
	char *mem = gpgme_data_release_and_get_mem(data, &n);
	*out = mc_xmalloc(n + 1);
	if (n)
		memcpy(*out, mem, n);
	(*out)[n] = '\0';
	*outlen = n;
	gpgme_free(mem);
}

int mc_gpg_sign(mc_gpg *g, const void *data, size_t len, int armor, char **sig, size_t *siglen)
{
	gpgme_data_t in = NULL, out = NULL;
	gpgme_error_t err;
	gpgme_sign_result_t res;

	*sig = NULL;
	*siglen = 0;
	if (!g->signing_key)
		return mc_error_set(MC_EINVAL, "no signing key configured (verify-only context)");
	gpgme_set_armor(g->ctx, armor ? 1 : 0);
	g->failure = GPG_ERR_NO_ERROR;
	err = gpgme_data_new_from_mem(&in, len ? data : "", len, 0);
	if (!err)
		err = gpgme_data_new(&out);
	if (err) {
		gpgme_data_release(in);
		gpgme_data_release(out);
		return mc_error_set(MC_EENV, "GPGME: %s", gpgme_strerror(err));
	}
	err = gpgme_op_sign(g->ctx, in, out, GPGME_SIG_MODE_DETACH);
	gpgme_data_release(in);
	res = err ? NULL : gpgme_op_sign_result(g->ctx);
	if (err || !res || res->invalid_signers || !res->signatures || res->signatures->next) {
		gpgme_data_release(out);
		return signing_failure(g, err ? err : gpg_error(GPG_ERR_GENERAL));
	}
	take_data(sig, siglen, out);
	return 0;
}

int mc_gpg_open(mc_gpg **out, const mc_gpg_options *opt)
{
	mc_gpg *g;
	gpgme_error_t err;
	char *probe;
	size_t probelen;
	int rc;

	*out = NULL;
	if (opt->signing_key && !mc_gpg_is_fingerprint(opt->signing_key))
		return mc_error_set(MC_EINVAL,
				    "signing key '%.64s' is not a fingerprint (40 hexadecimal digits)",
				    opt->signing_key);
	g = mc_xcalloc(1, sizeof *g);
	rc = new_context(&g->ctx, opt->gnupghome, &g->failure);
	if (rc) {
		free(g);
		return rc;
	}
	g->home = effective_home(opt->gnupghome);
	if (!opt->signing_key) {
		*out = g;
		return 0;
	}
	copy_fingerprint_upper(g->signing_fpr, opt->signing_key);
	err = gpgme_get_key(g->ctx, g->signing_fpr, &g->signing_key, 0);
	if (err) {
		rc = gpg_err_code(err) == GPG_ERR_EOF
			     ? mc_error_set(MC_EENV, "no secret key %s in GNUPGHOME=%s",
					    g->signing_fpr, g->home)
			     : mc_error_set(MC_EENV, "looking up signing key %s in GNUPGHOME=%s: %s",
					    g->signing_fpr, g->home, gpgme_strerror(err));
		goto fail;
	}
	rc = check_key_can_sign(g, g->signing_key);
	if (rc)
		goto fail;
	/* gpg reports the primary fingerprint even when configured with a subkey's. */
	if (g->signing_key->subkeys && g->signing_key->subkeys->fpr &&
	    mc_gpg_is_fingerprint(g->signing_key->subkeys->fpr))
		copy_fingerprint_upper(g->signing_fpr, g->signing_key->subkeys->fpr);
	gpgme_signers_clear(g->ctx);
	err = gpgme_signers_add(g->ctx, g->signing_key);
	if (err) {
		rc = mc_error_set(MC_EENV, "GPGME: %s", gpgme_strerror(err));
		goto fail;
	}
	rc = mc_gpg_sign(g, "maestro signing probe", 21, 0, &probe, &probelen);
	if (rc)
		goto fail;
	free(probe);
	*out = g;
	return 0;
fail:
	mc_gpg_free(g);
	return rc;
}

void mc_gpg_free(mc_gpg *g)
{
	if (!g)
		return;
	if (g->signing_key)
		gpgme_key_unref(g->signing_key);
	gpgme_release(g->ctx);
	free(g->home);
	free(g->primaries);
	free(g);
}

const char *mc_gpg_signing_fingerprint(const mc_gpg *g)
{
	return g->signing_key ? g->signing_fpr : NULL;
}

/* The primary key's fingerprint for the (sub)key that made a signature. */
static int primary_fingerprint(mc_gpg *g, const char *signer, char primary[FPR_HEX + 1])
{
	gpgme_key_t key = NULL;
	gpgme_error_t err;
	size_t i;

	for (i = 0; i < g->nprimaries; i++) {
		if (!strcmp(g->primaries[i].signer, signer)) {
			memcpy(primary, g->primaries[i].primary, FPR_HEX + 1);
			return 0;
		}
	}
	err = gpgme_get_key(g->ctx, signer, &key, 0);
	if (err || !key->subkeys || !key->subkeys->fpr || !mc_gpg_is_fingerprint(key->subkeys->fpr)) {
		if (key)
			gpgme_key_unref(key);
		return mc_error_set(MC_EVERIFY, "signing key %s not found in GNUPGHOME=%s%s%s",
				    signer, g->home, err ? ": " : "",
				    err ? gpgme_strerror(err) : "");
	}
	copy_fingerprint_upper(primary, key->subkeys->fpr);
	gpgme_key_unref(key);
	if (g->nprimaries < PRIMARY_CACHE_MAX) {
		if (!g->primaries)
			g->primaries = mc_xcalloc(PRIMARY_CACHE_MAX, sizeof *g->primaries);
		memcpy(g->primaries[g->nprimaries].signer, signer, FPR_HEX + 1);
		memcpy(g->primaries[g->nprimaries].primary, primary, FPR_HEX + 1);
		g->nprimaries++;
	}
	return 0;
}

static int is_pinned(const char *fpr, const char *const *pinned, size_t npinned)
{
	size_t i;
	for (i = 0; i < npinned; i++)
		if (pinned[i] && !strcasecmp(pinned[i], fpr))
			return 1;
	return 0;
}

/* Whether a signature made at `made` by the (sub)key fpr came before that key expired.
 * Evidence outlives the keys that signed it: a record signed in 2025 by a key that
 * expired in 2026 is still a record of 2025, as git's %G? 'Y' ("good signature by an
 * expired key") says too. A revoked key is another matter and is never accepted. */
static int signed_before_expiry(mc_gpg *g, const char *fpr, unsigned long made)
{
	gpgme_key_t key = NULL;
	gpgme_subkey_t sub;
	int before = 0;

	if (gpgme_get_key(g->ctx, fpr, &key, 0) != 0)
		return 0;
	for (sub = key->subkeys; sub; sub = sub->next)
		if (sub->fpr && !strcasecmp(sub->fpr, fpr))
			before = sub->expires > 0 && !sub->revoked && !key->revoked && made > 0 &&
				 (long)made < sub->expires;
	gpgme_key_unref(key);
	return before;
}

/* What GPGME said about the one signature, copied out of the verify result, which the
 * context frees at its next operation (a key lookup). */
struct sig_facts {
	gpgme_error_t status;
	gpgme_sigsum_t summary;
	int wrong_key_usage;
	unsigned long timestamp;
	char fpr[FPR_HEX + 1]; /* "" when gpg gave no full fingerprint */
};

static void take_facts(struct sig_facts *f, gpgme_signature_t sig)
{
	f->status = sig->status;
	f->summary = sig->summary;
	f->wrong_key_usage = sig->wrong_key_usage;
	f->timestamp = sig->timestamp;
	f->fpr[0] = '\0';
	if (sig->fpr && mc_gpg_is_fingerprint(sig->fpr))
		copy_fingerprint_upper(f->fpr, sig->fpr);
	else if (sig->fpr)
		snprintf(f->fpr, sizeof f->fpr, "%.40s", sig->fpr);
}

/* The signature's facts reduced to good (0) or a reason. Only cryptographic facts
 * count: the status and the key's expiry and revocation. */
static int check_signature_good(mc_gpg *g, const struct sig_facts *f)
{
	gpgme_sigsum_t bad_summary = GPGME_SIGSUM_RED | GPGME_SIGSUM_KEY_REVOKED |
				     GPGME_SIGSUM_KEY_EXPIRED | GPGME_SIGSUM_SIG_EXPIRED |
				     GPGME_SIGSUM_KEY_MISSING | GPGME_SIGSUM_SYS_ERROR;
	const char *who = f->fpr[0] ? f->fpr : "(unknown)";

	switch (gpg_err_code(f->status)) {
	case GPG_ERR_NO_ERROR:
		break;
	case GPG_ERR_BAD_SIGNATURE:
		return mc_error_set(MC_EVERIFY, "bad signature by key %s (the data or the "
						"signature was altered)", who);
	case GPG_ERR_NO_PUBKEY:
		return mc_error_set(MC_EVERIFY, "signed by key %s, which is not in GNUPGHOME=%s",
				    who, g->home);
	case GPG_ERR_KEY_EXPIRED:
		if (!mc_gpg_is_fingerprint(f->fpr) || !signed_before_expiry(g, f->fpr, f->timestamp))
			return mc_error_set(MC_EVERIFY, "signed by key %s after it expired", who);
		bad_summary &= ~(gpgme_sigsum_t)GPGME_SIGSUM_KEY_EXPIRED;
		break;
	case GPG_ERR_SIG_EXPIRED:
		return mc_error_set(MC_EVERIFY, "signature by key %s has expired", who);
	case GPG_ERR_CERT_REVOKED:
		return mc_error_set(MC_EVERIFY, "signed by key %s, which has been revoked", who);
	default:
		return mc_error_set(MC_EVERIFY, "signature by key %s does not verify: %s", who,
				    gpgme_strerror(f->status));
	}
	if ((f->summary & bad_summary) || f->wrong_key_usage)
		return mc_error_set(MC_EVERIFY, "signature by key %s is not acceptable (%s)", who,
				    f->wrong_key_usage ? "the key may not make signatures"
						       : "gpg reports a key or signature problem");
	if (!mc_gpg_is_fingerprint(f->fpr))
		return mc_error_set(MC_EVERIFY, "signature by %s does not name a full fingerprint",
				    who);
	return 0;
}

/* Run gpg's verification and set *count and the one signature's signer. */
static int run_verify(mc_gpg *g, const void *data, size_t len, const void *sig, size_t siglen,
		      char signer[FPR_HEX + 1])
{
	gpgme_data_t sigd = NULL, textd = NULL;
	gpgme_error_t err;
	gpgme_verify_result_t res;
	gpgme_signature_t s;
	struct sig_facts facts;
	size_t n = 0;
	int rc;

	if (!siglen)
		return mc_error_set(MC_EVERIFY, "no signature");
	err = gpgme_data_new_from_mem(&sigd, sig, siglen, 0);
	if (!err)
		err = gpgme_data_new_from_mem(&textd, len ? data : "", len, 0);
	if (err) {
		gpgme_data_release(sigd);
		gpgme_data_release(textd);
		return mc_error_set(MC_EENV, "GPGME: %s", gpgme_strerror(err));
	}
	err = gpgme_op_verify(g->ctx, sigd, textd, NULL);
	gpgme_data_release(sigd);
	gpgme_data_release(textd);
	if (err) {
		switch (gpg_err_code(err)) {
		case GPG_ERR_NO_DATA:
		case GPG_ERR_BAD_DATA:
		case GPG_ERR_INV_PACKET:
		case GPG_ERR_UNKNOWN_PACKET:
		case GPG_ERR_BAD_SIGNATURE:
			return mc_error_set(MC_EVERIFY, "no signature (not an OpenPGP signature: %s)",
					    gpgme_strerror(err));
		default:
			return mc_error_set(MC_EENV, "gpg could not verify: %s", gpgme_strerror(err));
		}
	}
	res = gpgme_op_verify_result(g->ctx);
	for (s = res ? res->signatures : NULL; s; s = s->next)
		n++;
	if (n == 0)
		return mc_error_set(MC_EVERIFY, "no signature");
	if (n > 1)
		return mc_error_set(MC_EVERIFY, "%zu signatures where exactly one is expected", n);
	take_facts(&facts, res->signatures);
	if ((rc = check_signature_good(g, &facts)) != 0)
		return rc;
	memcpy(signer, facts.fpr, FPR_HEX + 1);
	return 0;
}

int mc_gpg_verify(mc_gpg *g, const void *data, size_t len, const void *sig, size_t siglen,
		  const char *const *pinned, size_t npinned, char fpr[41])
{
	char signer[FPR_HEX + 1], primary[FPR_HEX + 1];
	int rc;

	fpr[0] = '\0';
	/* The verify result is owned by the context and gone after the next operation, so
	 * the signer is copied out before the primary key is looked up. */
	rc = run_verify(g, data, len, sig, siglen, signer);
	if (rc)
		return rc;
	rc = primary_fingerprint(g, signer, primary);
	if (rc)
		return rc;
	if (!is_pinned(signer, pinned, npinned) && !is_pinned(primary, pinned, npinned)) {
		if (strcmp(signer, primary))
			return mc_error_set(MC_EVERIFY,
					    "signed by %s (subkey %s) which is not pinned", primary,
					    signer);
		return mc_error_set(MC_EVERIFY, "signed by %s which is not pinned", primary);
	}
	memcpy(fpr, primary, FPR_HEX + 1);
	return 0;
}

/* Errors that mean "this gpg has no such algorithm", after which RSA is tried. */
static int is_algorithm_unavailable(gpg_err_code_t code)
{
	switch (code) {
	case GPG_ERR_PUBKEY_ALGO:
	case GPG_ERR_UNKNOWN_CURVE:
	case GPG_ERR_NOT_SUPPORTED:
	case GPG_ERR_NOT_IMPLEMENTED:
	case GPG_ERR_UNKNOWN_ALGORITHM:
	case GPG_ERR_INV_VALUE:
	case GPG_ERR_INV_PARAMETER:
		return 1;
	default:
		return 0;
	}
}

int mc_gpg_keygen(char fpr[41], const char *gnupghome, const char *userid, unsigned expire_days)
{
	gpgme_ctx_t ctx;
	gpgme_error_t err;
	gpgme_genkey_result_t res;
	gpg_err_code_t failure = GPG_ERR_NO_ERROR;
	unsigned int flags = GPGME_CREATE_SIGN | GPGME_CREATE_NOPASSWD | GPGME_CREATE_FORCE;
	unsigned long expires = (unsigned long)expire_days * 86400UL;
	char *home;
	int rc;

	fpr[0] = '\0';
	if (!userid || !*userid)
		return mc_error_set(MC_EINVAL, "keygen: empty user id");
	if (!expire_days)
		flags |= GPGME_CREATE_NOEXPIRE;
	if (gnupghome && !mc_fs_exists(gnupghome) && mc_fs_mkdirs(gnupghome, 0700))
		return mc_error_wrap(MC_EENV, "creating GNUPGHOME");
	rc = new_context(&ctx, gnupghome, &failure);
	if (rc)
		return rc;
	err = gpgme_op_createkey(ctx, userid, "ed25519", 0, expires, NULL, flags);
	if (err && is_algorithm_unavailable(gpg_err_code(err)))
		err = gpgme_op_createkey(ctx, userid, "rsa3072", 0, expires, NULL, flags);
	res = err ? NULL : gpgme_op_genkey_result(ctx);
	if (err || !res || !res->fpr || !mc_gpg_is_fingerprint(res->fpr)) {
		home = effective_home(gnupghome);
		if (is_agent_error(failure) || is_agent_error(gpg_err_code(err)))
			rc = mc_error_set(MC_EENV, "gpg-agent could not be started: %s (GNUPGHOME=%s)",
					  gpgme_strerror(is_agent_error(failure) ? failure
										 : gpg_err_code(err)),
					  home);
		else
			rc = mc_error_set(MC_EENV, "making a signing key in GNUPGHOME=%s failed: %s",
					  home, err ? gpgme_strerror(err) : "no fingerprint reported");
		free(home);
		gpgme_release(ctx);
		return rc;
	}
	copy_fingerprint_upper(fpr, res->fpr);
	gpgme_release(ctx);
	return 0;
}

int mc_gpg_find_secret_key(char fpr[41], const char *gnupghome, const char *spec)
{
	gpg_err_code_t failure = 0;
	gpgme_ctx_t ctx = NULL;
	gpgme_key_t key;
	char *home;
	size_t n = 0;
	int rc;

	fpr[0] = '\0';
	if ((rc = new_context(&ctx, gnupghome, &failure)) != 0)
		return rc;
	home = effective_home(gnupghome);
	if (gpgme_op_keylist_start(ctx, spec, 1) == 0) {
		while (gpgme_op_keylist_next(ctx, &key) == 0) {
			if (n++ == 0 && key->subkeys && key->subkeys->fpr &&
			    mc_gpg_is_fingerprint(key->subkeys->fpr))
				copy_fingerprint_upper(fpr, key->subkeys->fpr);
			gpgme_key_unref(key);
		}
		gpgme_op_keylist_end(ctx);
	}
	if (n == 0 || !fpr[0])
		rc = mc_error_set(MC_EENV, "no secret key matches '%.80s' in GNUPGHOME=%s", spec, home);
	else if (n > 1)
		rc = mc_error_set(MC_EENV, "'%.80s' matches %zu secret keys in GNUPGHOME=%s; give the "
				  "fingerprint of the one to sign with", spec, n, home);
	if (rc)
		fpr[0] = '\0';
	free(home);
	gpgme_release(ctx);
	return rc;
}
