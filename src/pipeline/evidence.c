/*
 * Signed evidence (evidence.h). Signing happens twice per record: the envelope
 * (what the record says) and the notes commit (that it was appended, when, to
 * which history), so that neither the lines nor their history can be changed
 * without a pinned key.
 */
#include "pipeline/evidence.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/git/notes.h"
#include "adapters/sign/dsse.h"
#include "adapters/sign/gpg.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/json.h"
#include "util/strbuf.h"

#define MAX_PINS 128

struct mc_evidence {
	mc_repo *repo;
	mc_gpg *gpg;
	char *ref;
	char *pins[MAX_PINS];
	size_t npins;
	mc_notes_signer signer;
	char *signer_name, *signer_email;
};

static int is_fingerprint(const char *s)
{
	size_t i;
	for (i = 0; s[i]; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return i == 40;
}

static void add_pin(mc_evidence *ev, const char *fpr)
{
	size_t i;
	for (i = 0; i < ev->npins; i++)
		if (!strcasecmp(ev->pins[i], fpr))
			return;
	if (ev->npins < MAX_PINS)
		ev->pins[ev->npins++] = mc_xstrdup(fpr);
}

/* evidence.signing_key, else git's user.signingkey; a fingerprint either way. */
static int choose_signing_key(char **out, mc_evidence *ev, const mc_config *cfg,
			      const mc_evidence_options *opt)
{
	int rc;
	if (opt && opt->signing_key)
		*out = mc_xstrdup(opt->signing_key);
	else if (cfg->evidence_signing_key)
		*out = mc_xstrdup(cfg->evidence_signing_key);
	else if ((rc = mc_repo_config_string(out, ev->repo, "user.signingkey")) != 0)
		return mc_error_set(MC_EENV, "no signing key: set evidence.signing_key in "
				    ".maestro/config.json or git config user.signingkey "
				    "(maestro evidence keygen makes one)");
	if (!is_fingerprint(*out)) {
		rc = mc_error_set(MC_EENV, "signing key '%.60s' is not a fingerprint (40 hex digits): "
				  "give the full fingerprint (gpg --list-secret-keys --with-colons)",
				  *out);
		free(*out);
		*out = NULL;
		return rc;
	}
	return 0;
}

/* Notes commits are signed with the same key as the records, armored as git expects. */
static int sign_commit(void *ctx, const char *buf, size_t len, char **armored)
{
	mc_evidence *ev = ctx;
	size_t siglen;
	return mc_gpg_sign(ev->gpg, buf, len, 1, armored, &siglen);
}

/* The committer of notes commits: git's user.name/email, else the key's fingerprint. */
static void choose_identity(mc_evidence *ev)
{
	if (mc_repo_config_string(&ev->signer_name, ev->repo, "user.name") != 0)
		ev->signer_name = mc_xstrdup("maestro");
	if (mc_repo_config_string(&ev->signer_email, ev->repo, "user.email") != 0)
		ev->signer_email = mc_xstrdup("maestro@localhost");
	ev->signer.sign = sign_commit;
	ev->signer.ctx = ev;
	ev->signer.name = ev->signer_name;
	ev->signer.email = ev->signer_email;
}

int mc_evidence_open(mc_evidence **out, mc_repo *repo, const mc_config *cfg,
		     const mc_evidence_options *opt, int sign)
{
	mc_evidence *ev = mc_xcalloc(1, sizeof *ev);
	mc_gpg_options gopt = { 0 };
	char *key = NULL;
	size_t i;
	int rc;

	*out = NULL;
	ev->repo = repo;
	ev->ref = mc_xstrdup(opt && opt->ref ? opt->ref : MC_NOTES_REF);
	gopt.gnupghome = opt ? opt->gnupghome : NULL;
	rc = choose_signing_key(&key, ev, cfg, opt);
	if (rc && sign)
		goto fail;
	gopt.signing_key = sign ? key : NULL;
	if ((rc = mc_gpg_open(&ev->gpg, &gopt)) != 0)
		goto fail;
	for (i = 0; i < cfg->evidence_pinned_keys.n; i++)
		add_pin(ev, cfg->evidence_pinned_keys.items[i]);
	for (i = 0; opt && i < opt->npins; i++)
		add_pin(ev, opt->pins[i]);
	/* With no pins the configured signing key is the one key trusted, for
	 * verification as for signing. */
	if (!ev->npins && key)
		add_pin(ev, key);
	if (!ev->npins) {
		rc = mc_error_set(MC_EENV, "no key to trust: pin one with --pin FINGERPRINT or "
				  "evidence.pinned_keys, or configure the signing key");
		goto fail;
	}
	if (sign)
		choose_identity(ev);
	free(key);
	*out = ev;
	return 0;
fail:
	free(key);
	mc_evidence_close(ev);
	return rc;
}

void mc_evidence_close(mc_evidence *ev)
{
	size_t i;
	if (!ev)
		return;
	mc_gpg_free(ev->gpg);
	for (i = 0; i < ev->npins; i++)
		free(ev->pins[i]);
	free(ev->ref);
	free(ev->signer_name);
	free(ev->signer_email);
	free(ev);
}

const char *mc_evidence_signer(const mc_evidence *ev)
{
	return mc_gpg_signing_fingerprint(ev->gpg);
}

/* The statement inside an envelope line, not verified (for comparing records). */
static struct json_object *decode_statement(const char *line)
{
	struct json_object *st = NULL;
	char *payload = NULL;
	size_t len = 0;
	if (mc_dsse_payload(&payload, &len, line, strlen(line)) == 0)
		mc_json_parse(&st, payload, len, len, "statement");
	free(payload);
	return st;
}

/* Whether the note of commit already holds this record. */
static int already_recorded(int *found, mc_evidence *ev, const char *commit,
			    struct json_object *statement)
{
	char **lines = NULL;
	size_t n = 0, i;
	int rc = mc_notes_read(&lines, &n, ev->repo, ev->ref, commit);

	*found = 0;
	if (rc == MC_ENOTFOUND)
		return 0;
	if (rc)
		return rc;
	for (i = 0; i < n && !*found; i++) {
		struct json_object *st = decode_statement(lines[i]);
		*found = st && mc_evidence_same_record(st, statement);
		if (st)
			json_object_put(st);
	}
	mc_notes_lines_free(lines, n);
	return 0;
}

int mc_evidence_record(int *appended, mc_evidence *ev, enum mc_evidence_kind kind,
		       const char *subject_name, const char *commit, struct json_object *predicate)
{
	struct json_object *st;
	char *envelope = NULL;
	const char *payload;
	int rc, found = 0;

	*appended = 0;
	if (!mc_evidence_signer(ev))
		return mc_error_set(MC_EINTERNAL, "evidence opened without a signing key");
	st = mc_evidence_statement(kind, subject_name, commit, json_object_get(predicate));
	if ((rc = mc_evidence_check(st, commit, NULL)) != 0) {
		rc = mc_error_wrap(MC_EINTERNAL, "maestro built an invalid %s record",
				   mc_evidence_kind_name(kind));
		goto out;
	}
	if ((rc = already_recorded(&found, ev, commit, st)) != 0 || found)
		goto out;
	payload = json_object_to_json_string_ext(st, JSON_C_TO_STRING_PLAIN);
	if ((rc = mc_dsse_sign(&envelope, ev->gpg, MC_DSSE_INTOTO_TYPE, payload, strlen(payload))) ||
	    (rc = mc_notes_append(appended, ev->repo, ev->ref, commit, envelope, &ev->signer)))
		goto out;
out:
	free(envelope);
	json_object_put(st);
	return rc;
}

/* Check one envelope line of target's note: signature by a pinned key, then the statement. */
static int check_line(mc_evidence_entry *e, mc_evidence *ev, const char *target, const char *line,
		      size_t len)
{
	char *payload = NULL;
	size_t plen = 0;
	int rc;

	rc = mc_dsse_verify_typed(&payload, &plen, e->signer, ev->gpg, MC_DSSE_INTOTO_TYPE, line,
				  len, (const char *const *)ev->pins, ev->npins);
	if (rc == 0 && mc_json_parse(&e->statement, payload, plen, plen, "statement") != 0)
		rc = mc_error_recode(MC_EVERIFY);
	if (rc == 0)
		rc = mc_evidence_check(e->statement, target, NULL);
	if (rc && !e->statement) {
		/* show what it claims even when the signature fails */
		char *raw = NULL;
		size_t rawlen = 0;
		char *why = mc_xstrdup(mc_error_message());
		if (mc_dsse_payload(&raw, &rawlen, line, len) == 0)
			mc_json_parse(&e->statement, raw, rawlen, rawlen, "statement");
		free(raw);
		mc_error_set(rc, "%s", why);
		free(why);
	}
	free(payload);
	e->verified = rc == 0;
	if (rc) {
		e->signer[0] = '\0';
		e->problem = mc_xstrdup(mc_error_message());
	}
	return rc;
}

/* Split a note into its lines, checking each; stops at the first failure when strict. */
static int check_note(mc_evidence_entry **entries, size_t *n, mc_evidence *ev, const char *target,
		      const char *note, size_t len, int strict)
{
	size_t alloc = 0, start = 0, i;
	int lineno = 0, rc = 0;

	*entries = NULL;
	*n = 0;
	for (i = 0; i <= len && rc == 0; i++) {
		mc_evidence_entry *e;
		if (i < len && note[i] != '\n')
			continue;
		lineno++;
		if (i > start) {
			mc_xgrow((void **)entries, &alloc, *n + 1, sizeof **entries);
			e = &(*entries)[(*n)++];
			memset(e, 0, sizeof *e);
			e->line = lineno;
			if (check_line(e, ev, target, note + start, i - start) != 0 && strict)
				rc = mc_error_wrap(MC_EVERIFY, "record %d in the note of %s", lineno,
						   target);
		}
		start = i + 1;
	}
	return rc;
}

void mc_evidence_entries_free(mc_evidence_entry *entries, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		free(entries[i].problem);
		if (entries[i].statement)
			json_object_put(entries[i].statement);
	}
	free(entries);
}

static char *join_lines(char **lines, size_t n, size_t *len)
{
	mc_strbuf sb = MC_STRBUF_INIT;
	size_t i;
	for (i = 0; i < n; i++) {
		mc_strbuf_puts(&sb, lines[i]);
		mc_strbuf_putc(&sb, '\n');
	}
	mc_strbuf_grow(&sb, 1);
	*len = sb.len;
	return mc_strbuf_detach(&sb);
}

int mc_evidence_show(mc_evidence_entry **entries, size_t *n, mc_evidence *ev, const char *commit)
{
	char oid[41], **lines = NULL, *note;
	size_t nlines = 0, len;
	int rc;

	*entries = NULL;
	*n = 0;
	if ((rc = mc_repo_resolve(oid, ev->repo, commit)) != 0)
		return rc;
	rc = mc_notes_read(&lines, &nlines, ev->repo, ev->ref, oid);
	if (rc == MC_ENOTFOUND)
		return 0;
	if (rc)
		return rc;
	note = join_lines(lines, nlines, &len);
	mc_notes_lines_free(lines, nlines);
	rc = check_note(entries, n, ev, oid, note, len, 0);
	free(note);
	return rc;
}

/* --- verification ------------------------------------------------------------------ */

struct verify_ctx {
	mc_evidence *ev;
	mc_evidence_report *report;
	const char *const *targets;
	size_t ntargets;
};

static int contains_line(char **lines, size_t n, const char *line)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (!strcmp(lines[i], line))
			return 1;
	return 0;
}

/* Lines of target's note at a notes commit; none when it had no note. */
static int lines_at(char ***lines, size_t *n, mc_evidence *ev, const char *commit,
		    const char *target)
{
	int rc = mc_notes_read_at(lines, n, ev->repo, commit, target);
	if (rc == MC_ENOTFOUND) {
		*lines = NULL;
		*n = 0;
		return 0;
	}
	return rc;
}

/* No notes commit may drop a line that one of its parents had. */
static int check_append_only(mc_evidence *ev, const mc_notes_commit *c)
{
	size_t t, p, i;
	int rc = 0;

	for (t = 0; t < c->nchanged && rc == 0; t++) {
		char **now = NULL;
		size_t nnow = 0;
		if ((rc = lines_at(&now, &nnow, ev, c->oid, c->changed_targets[t])) != 0)
			break;
		for (p = 0; p < c->nparents && rc == 0; p++) {
			char **before = NULL;
			size_t nbefore = 0;
			if ((rc = lines_at(&before, &nbefore, ev, c->parents[p],
					   c->changed_targets[t])) != 0)
				break;
			for (i = 0; i < nbefore && rc == 0; i++)
				if (!contains_line(now, nnow, before[i]))
					rc = mc_error_set(MC_EVERIFY, "notes commit %s removed or changed "
							  "record %zu of the note of %s", c->oid,
							  i + 1, c->changed_targets[t]);
			mc_notes_lines_free(before, nbefore);
		}
		mc_notes_lines_free(now, nnow);
	}
	return rc;
}

static int check_notes_commit(void *arg, const mc_notes_commit *c)
{
	struct verify_ctx *vc = arg;
	char fpr[41];
	int rc;

	if (!c->signature_len)
		return mc_error_set(MC_EVERIFY, "notes commit %s is not signed", c->oid);
	rc = mc_gpg_verify(vc->ev->gpg, c->signed_data, c->signed_len, c->signature,
			   c->signature_len, (const char *const *)vc->ev->pins, vc->ev->npins, fpr);
	if (rc)
		return mc_error_wrap(MC_EVERIFY, "notes commit %s", c->oid);
	if ((rc = check_append_only(vc->ev, c)) != 0)
		return rc;
	vc->report->notes_commits++;
	return 0;
}

static int wanted(const struct verify_ctx *vc, const char *target)
{
	size_t i;
	if (!vc->targets)
		return 1;
	for (i = 0; i < vc->ntargets; i++)
		if (!strcmp(vc->targets[i], target))
			return 1;
	return 0;
}

static int check_target(void *arg, const char *target, const char *note, size_t len)
{
	struct verify_ctx *vc = arg;
	mc_evidence_entry *entries = NULL;
	size_t n = 0;
	int rc;

	if (!wanted(vc, target))
		return 0;
	rc = check_note(&entries, &n, vc->ev, target, note, len, 1);
	if (rc == 0) {
		vc->report->targets++;
		vc->report->records += (unsigned)n;
	}
	mc_evidence_entries_free(entries, n);
	return rc;
}

int mc_evidence_verify(mc_evidence_report *report, mc_evidence *ev, const char *const *targets,
		       size_t ntargets)
{
	struct verify_ctx vc = { ev, report, targets, ntargets };
	int rc;

	memset(report, 0, sizeof *report);
	if ((rc = mc_repo_check_ref_moves_forward(ev->repo, ev->ref)) != 0 ||
	    (rc = mc_notes_history(ev->repo, ev->ref, check_notes_commit, &vc)) != 0 ||
	    (rc = mc_notes_foreach(ev->repo, ev->ref, check_target, &vc)) != 0)
		return rc;
	return 0;
}

/* --- sync -------------------------------------------------------------------------- */

int mc_evidence_push(mc_evidence *ev, const char *remote, const mc_remote_options *opt)
{
	return mc_remote_push_ref(ev->repo, remote, ev->ref, opt);
}

/* refs/notes/remotes/<name>/<last component of ref>. */
static char *tracking_ref(const mc_evidence *ev, const char *remote)
{
	mc_strbuf sb = MC_STRBUF_INIT;
	char *name = mc_remote_tracking_name(remote);
	const char *leaf = strrchr(ev->ref, '/');
	mc_strbuf_printf(&sb, "refs/notes/remotes/%s/%s", name, leaf ? leaf + 1 : ev->ref);
	free(name);
	return mc_strbuf_detach(&sb);
}

int mc_evidence_fetch(int *result, mc_evidence *ev, const char *remote,
		      const mc_remote_options *opt)
{
	char *tracking = tracking_ref(ev, remote), *local = ev->ref, tip[41];
	mc_evidence_report report;
	int rc;

	*result = 0;
	if ((rc = mc_remote_fetch_ref(tip, ev->repo, remote, ev->ref, tracking, opt)) != 0)
		goto out;
	/* What comes in is checked like what is here, before it is merged into it. */
	ev->ref = tracking;
	rc = mc_evidence_verify(&report, ev, NULL, 0);
	ev->ref = local;
	if (rc) {
		rc = mc_error_wrap(MC_EVERIFY, "the evidence fetched from %s does not verify", remote);
		goto out;
	}
	/* A fast-forward needs no key; a true merge is a new notes commit and is signed. */
	rc = mc_notes_merge(result, ev->repo, ev->ref, tip, mc_evidence_signer(ev) ? &ev->signer : NULL);
out:
	free(tracking);
	return rc;
}
