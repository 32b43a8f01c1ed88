/*
 * Signed evidence (evidence.h). Signing happens twice per record: the envelope
 * (what the record says) and the notes commit (that it was appended, when, to
 * which history), so that neither the lines nor their history can be changed
 * without a pinned key.
 */
#include "pipeline/evidence.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "adapters/git/notes.h"
#include "adapters/sign/dsse.h"
#include "adapters/sign/gpg.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/json.h"
#include "util/strbuf.h"
#include "util/time.h"

#define MAX_PINS 128
/* Most gpg processes at once; and fewer jobs than this run on the calling thread alone. */
#define MAX_THREADS 16
#define MIN_PARALLEL_JOBS 8

struct mc_evidence {
	mc_repo *repo;
	mc_gpg *gpg;
	char *ref;
	char *pins[MAX_PINS];
	size_t npins;
	mc_notes_signer signer;
	char *signer_name, *signer_email;
	char *gnupghome;            /* as opened (NULL: the environment's), for more contexts */
	unsigned threads;           /* 0: automatic */
	mc_evidence_stats stats;
};

static void add_pin(mc_evidence *ev, const char *fpr)
{
	size_t i;
	for (i = 0; i < ev->npins; i++)
		if (!strcasecmp(ev->pins[i], fpr))
			return;
	if (ev->npins < MAX_PINS)
		ev->pins[ev->npins++] = mc_xstrdup(fpr);
}

int mc_evidence_signing_configured(mc_repo *repo, const mc_config *cfg)
{
	char *key = NULL;
	if (cfg->evidence_signing_key)
		return 1;
	if (mc_repo_config_string(&key, repo, "user.signingkey") != 0)
		return 0;
	free(key);
	return 1;
}

int mc_evidence_record_as_configured(char **note, int *appended, mc_repo *repo,
				     const mc_config *cfg, enum mc_evidence_kind kind,
				     const char *subject_name, const char *commit,
				     struct json_object *predicate, const char *what)
{
	mc_strbuf sb = MC_STRBUF_INIT;
	mc_evidence *ev = NULL;
	int rc;

	*note = NULL;
	*appended = 0;
	if (!cfg->evidence_record) {
		*note = mc_xstrdup("evidence not recorded (evidence.record is false)");
		return 0;
	}
	if (!mc_evidence_signing_configured(repo, cfg)) {
		*note = mc_xstrdup("evidence not recorded: no signing key (set evidence.signing_key "
				   "or git config user.signingkey; maestro evidence keygen makes one)");
		return 0;
	}
	if ((rc = mc_evidence_open(&ev, repo, cfg, NULL, 1)) == 0)
		rc = mc_evidence_record(appended, ev, kind, subject_name, commit, predicate);
	if (rc == 0) {
		mc_strbuf_printf(&sb, *appended ? "%s recorded in refs/notes/maestro on %.12s, signed by %s"
						: "%s already recorded on %.12s (signed by %s)",
				 what, commit, mc_evidence_signer(ev));
		*note = mc_strbuf_detach(&sb);
	}
	mc_evidence_close(ev);
	return rc ? mc_error_wrap(rc, "recording the %s", what) : 0;
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
	if (!mc_gpg_is_fingerprint(*out)) {
		/* git's user.signingkey is often a key id or an email: find the one key it names. */
		char fpr[41];
		rc = mc_gpg_find_secret_key(fpr, opt ? opt->gnupghome : NULL, *out);
		free(*out);
		*out = rc ? NULL : mc_xstrdup(fpr);
		return rc;
	}
	return 0;
}

/* Notes commits are signed with the same key as the records, armored as git expects. */
static int sign_commit(void *ctx, const char *buf, size_t len, char **armored)
{
	mc_evidence *ev = ctx;
	size_t siglen;
	double t0 = mc_time_monotonic();
	int rc = mc_gpg_sign(ev->gpg, buf, len, 1, armored, &siglen);
	ev->stats.commit_sign_s += mc_time_monotonic() - t0;
	ev->stats.commits += rc == 0;
	return rc;
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
	ev->gnupghome = opt && opt->gnupghome ? mc_xstrdup(opt->gnupghome) : NULL;
	ev->threads = opt ? opt->threads : 0;
	gopt.gnupghome = ev->gnupghome;
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
	free(ev->gnupghome);
	free(ev);
}

const char *mc_evidence_signer(const mc_evidence *ev)
{
	return mc_gpg_signing_fingerprint(ev->gpg);
}

const mc_evidence_stats *mc_evidence_get_stats(const mc_evidence *ev)
{
	return &ev->stats;
}

/* --- many gpg operations at once ------------------------------------------------- */

/*
 * Each GPGME operation runs one gpg process, so signing or verifying thousands of records
 * is mostly waiting for processes: several run at once, each thread with its own mc_gpg
 * (a context is for one thread at a time) and the calling thread with ev's. Jobs touch
 * no git object (libgit2 stays on the calling thread). The result is the lowest-numbered
 * failure, the one a serial run stops at: a thread skips jobs numbered above a failure
 * already found, never below.
 */
typedef int (*job_fn)(void *ctx, size_t i, mc_gpg *g);

struct pool {
	mc_evidence *ev;
	int sign;                 /* workers need the signing key */
	job_fn fn;
	void *ctx;
	size_t n;
	size_t next;              /* next job to take (atomic) */
	size_t failed;            /* lowest failed job, n when none (atomic) */
	pthread_mutex_t lock;     /* guards rc/message of the lowest failure */
	int rc;
	char *message;
};

static void pool_fail(struct pool *p, size_t i, int rc)
{
	pthread_mutex_lock(&p->lock);
	if (i < p->failed) {
		free(p->message);
		p->message = mc_xstrdup(mc_error_message());
		p->rc = rc;
		__atomic_store_n(&p->failed, i, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&p->lock);
}

static void pool_work(struct pool *p, mc_gpg *g)
{
	for (;;) {
		size_t i = __atomic_fetch_add(&p->next, 1, __ATOMIC_RELAXED);
		int rc;
		if (i >= p->n)
			return;
		if (i > __atomic_load_n(&p->failed, __ATOMIC_ACQUIRE))
			continue; /* a failure before it is what gets reported */
		if ((rc = p->fn(p->ctx, i, g)) != 0)
			pool_fail(p, i, rc);
	}
}

static void *pool_thread(void *arg)
{
	struct pool *p = arg;
	mc_gpg_options gopt = { p->ev->gnupghome, p->sign ? mc_evidence_signer(p->ev) : NULL };
	mc_gpg *g = NULL;

	/* A thread without a context leaves its share to the others and the caller. */
	if (mc_gpg_open(&g, &gopt) == 0)
		pool_work(p, g);
	mc_gpg_free(g);
	return NULL;
}

static unsigned pool_threads(const mc_evidence *ev, size_t n)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned t = ev->threads ? ev->threads : (unsigned)(cpus > 0 ? 2 * cpus : 2);
	if (t > MAX_THREADS)
		t = MAX_THREADS;
	if (n < MIN_PARALLEL_JOBS)
		t = 1;
	return t;
}

/* Run fn for jobs 0..n-1; the lowest failure's code, with its message. */
static int run_jobs(mc_evidence *ev, int sign, size_t n, job_fn fn, void *ctx)
{
	struct pool p;
	pthread_t tids[MAX_THREADS];
	unsigned nthreads = pool_threads(ev, n), started = 0, i;
	int rc = 0;

	memset(&p, 0, sizeof p);
	p.ev = ev;
	p.sign = sign;
	p.fn = fn;
	p.ctx = ctx;
	p.n = n;
	p.failed = n;
	pthread_mutex_init(&p.lock, NULL);
	for (i = 1; i < nthreads; i++)
		if (pthread_create(&tids[started], NULL, pool_thread, &p) == 0)
			started++;
	pool_work(&p, ev->gpg);
	for (i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	if (p.failed < n)
		rc = mc_error_set(p.rc, "%s", p.message);
	free(p.message);
	pthread_mutex_destroy(&p.lock);
	return rc;
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

/* The decoded statements of commit's note (none without one). */
static int recorded_statements(struct json_object ***out, size_t *n, mc_evidence *ev,
			       const char *commit)
{
	char **lines = NULL;
	size_t nlines = 0, i;
	int rc = mc_notes_read(&lines, &nlines, ev->repo, ev->ref, commit);

	*out = NULL;
	*n = 0;
	if (rc == MC_ENOTFOUND)
		return 0;
	if (rc)
		return rc;
	*out = mc_xcalloc(nlines ? nlines : 1, sizeof **out);
	for (i = 0; i < nlines; i++)
		if (((*out)[*n] = decode_statement(lines[i])) != NULL)
			(*n)++;
	mc_notes_lines_free(lines, nlines);
	return 0;
}

static void statements_free(struct json_object **v, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		json_object_put(v[i]);
	free(v);
}

static int same_as_any(struct json_object *st, struct json_object *const *v, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (v[i] && mc_evidence_same_record(st, v[i]))
			return 1;
	return 0;
}

/* What record_many works on: a statement per item, which to write, their envelopes. */
struct batch {
	const mc_evidence_item *items;
	struct json_object **statements;
	size_t *order;      /* item indices grouped by commit, in item order within one */
	int *keep;          /* not already recorded, nor earlier in the batch */
	char **payloads;    /* the kept items' statements as text */
	char **envelopes;
	size_t *signing;    /* the kept items, in item order */
	size_t nsigning;
};

struct by_commit {
	const char *commit;
	size_t index;
};

static int by_commit_cmp(const void *x, const void *y)
{
	const struct by_commit *a = x, *b = y;
	int c = strcmp(a->commit, b->commit);
	return c ? c : (a->index < b->index ? -1 : a->index > b->index);
}

/* Item indices grouped by commit, in item order within one. */
static void group_by_commit(size_t *order, const mc_evidence_item *items, size_t n)
{
	struct by_commit *v = mc_xcalloc(n + 1, sizeof *v);
	size_t i;
	for (i = 0; i < n; i++) {
		v[i].commit = items[i].commit;
		v[i].index = i;
	}
	qsort(v, n, sizeof *v, by_commit_cmp);
	for (i = 0; i < n; i++)
		order[i] = v[i].index;
	free(v);
}

/* Mark the items whose record is new: each commit's note is read once. */
static int find_new_records(struct batch *b, mc_evidence *ev, size_t n)
{
	size_t start, end, i;
	int rc = 0;

	group_by_commit(b->order, b->items, n);
	for (start = 0; start < n && !rc; start = end) {
		const char *commit = b->items[b->order[start]].commit;
		struct json_object **have = NULL;
		size_t nhave = 0;
		for (end = start + 1; end < n && !strcmp(b->items[b->order[end]].commit, commit); end++)
			;
		if ((rc = recorded_statements(&have, &nhave, ev, commit)) != 0)
			break;
		for (i = start; i < end; i++) {
			size_t k = b->order[i], j;
			int dup = same_as_any(b->statements[k], have, nhave);
			for (j = start; j < i && !dup; j++)
				dup = b->keep[b->order[j]] &&
				      mc_evidence_same_record(b->statements[k], b->statements[b->order[j]]);
			b->keep[k] = !dup;
		}
		statements_free(have, nhave);
	}
	return rc;
}

static int sign_envelope(void *ctx, size_t i, mc_gpg *g)
{
	struct batch *b = ctx;
	size_t k = b->signing[i];
	return mc_dsse_sign(&b->envelopes[k], g, MC_DSSE_INTOTO_TYPE, b->payloads[k],
			    strlen(b->payloads[k]));
}

/* Build and check every statement before anything is signed. */
static int build_statements(struct batch *b, const char *subject_name, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		const mc_evidence_item *it = &b->items[i];
		b->statements[i] = mc_evidence_statement(it->kind, subject_name, it->commit,
							 json_object_get(it->predicate));
		if (mc_evidence_check(b->statements[i], it->commit, NULL) != 0)
			return mc_error_wrap(MC_EINTERNAL, "maestro built an invalid %s record",
					     mc_evidence_kind_name(it->kind));
	}
	return 0;
}

/* Sign the new records' envelopes. The statements are serialised here first: json-c
 * writes the text into the object (and predicates may be shared between items), which
 * must not happen on several threads at once. */
static int sign_new_records(struct batch *b, mc_evidence *ev, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (b->keep[i]) {
			b->payloads[i] = mc_xstrdup(json_object_to_json_string_ext(
				b->statements[i], JSON_C_TO_STRING_PLAIN));
			b->signing[b->nsigning++] = i;
		}
	return run_jobs(ev, 1, b->nsigning, sign_envelope, b);
}

static int append_envelopes(int *appended, struct batch *b, mc_evidence *ev)
{
	const char **targets = mc_xcalloc(b->nsigning + 1, sizeof *targets);
	const char **lines = mc_xcalloc(b->nsigning + 1, sizeof *lines);
	size_t i;
	int rc;

	for (i = 0; i < b->nsigning; i++) {
		targets[i] = b->items[b->signing[i]].commit;
		lines[i] = b->envelopes[b->signing[i]];
	}
	rc = mc_notes_append_many(appended, ev->repo, ev->ref, targets, lines, b->nsigning,
				  &ev->signer);
	free(targets);
	free(lines);
	return rc;
}

int mc_evidence_record_many(int *appended, mc_evidence *ev, const char *subject_name,
			    const mc_evidence_item *items, size_t n)
{
	struct batch b;
	size_t i;
	double t0 = mc_time_monotonic(), t1;
	int rc;

	*appended = 0;
	if (!mc_evidence_signer(ev))
		return mc_error_set(MC_EINTERNAL, "evidence opened without a signing key");
	memset(&b, 0, sizeof b);
	b.items = items;
	b.statements = mc_xcalloc(n + 1, sizeof *b.statements);
	b.order = mc_xcalloc(n + 1, sizeof *b.order);
	b.keep = mc_xcalloc(n + 1, sizeof *b.keep);
	b.envelopes = mc_xcalloc(n + 1, sizeof *b.envelopes);
	b.payloads = mc_xcalloc(n + 1, sizeof *b.payloads);
	b.signing = mc_xcalloc(n + 1, sizeof *b.signing);
	rc = build_statements(&b, subject_name, n);
	t1 = mc_time_monotonic();
	ev->stats.check_s += t1 - t0;
	if (!rc) {
		rc = find_new_records(&b, ev, n);
		t0 = mc_time_monotonic();
		ev->stats.dedup_s += t0 - t1;
	}
	if (!rc && n) {
		rc = sign_new_records(&b, ev, n);
		t1 = mc_time_monotonic();
		ev->stats.envelope_sign_s += t1 - t0;
		ev->stats.envelopes += rc ? 0 : b.nsigning;
	}
	if (!rc && b.nsigning) {
		rc = append_envelopes(appended, &b, ev);
		ev->stats.notes_s += mc_time_monotonic() - t1;
	}
	for (i = 0; i < n; i++) {
		free(b.envelopes[i]);
		free(b.payloads[i]);
		if (b.statements[i])
			json_object_put(b.statements[i]);
	}
	free(b.statements);
	free(b.order);
	free(b.keep);
	free(b.envelopes);
	free(b.payloads);
	free(b.signing);
	return rc;
}

int mc_evidence_record(int *appended, mc_evidence *ev, enum mc_evidence_kind kind,
		       const char *subject_name, const char *commit, struct json_object *predicate)
{
	mc_evidence_item item = { kind, commit, predicate };
	return mc_evidence_record_many(appended, ev, subject_name, &item, 1);
}

/* Check one envelope line of target's note: signature by a pinned key, then the statement.
 * g is ev's context or a worker thread's; ev is only read. */
static int check_line(mc_evidence_entry *e, mc_gpg *g, const mc_evidence *ev, const char *target,
		      const char *line, size_t len)
{
	char *payload = NULL;
	size_t plen = 0;
	int rc;

	rc = mc_dsse_verify_typed(&payload, &plen, e->signer, g, MC_DSSE_INTOTO_TYPE, line,
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
			if (check_line(e, ev->gpg, ev, target, note + start, i - start) != 0 && strict)
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

/*
 * Verification reads everything from git first, on this thread, into a list of jobs in
 * the order a serial check meets them (notes commits newest first, then each record by
 * commit id and line), and then checks the signatures with run_jobs. Checks that need
 * git (append-only) run while reading; their failure is attached to its notes commit's
 * job, after that commit's own signature, as the serial order has it.
 */
enum job_kind { JOB_NOTES_COMMIT, JOB_RECORD };

struct verify_job {
	enum job_kind kind;
	char *name;            /* the notes commit, or the commit whose note holds the record */
	char *data;            /* the signed commit payload, or the record's line */
	size_t len;
	char *sig;             /* a notes commit's signature (NULL: unsigned) */
	size_t siglen;
	int line;              /* a record's line in its note */
	int after_rc;          /* a failure found on reading, reported after the signature */
	char *after_message;
};

struct verify_ctx {
	mc_evidence *ev;
	const char *const *targets;
	size_t ntargets;
	struct verify_job *jobs;
	size_t njobs, alloc;
	unsigned notes_commits, annotated, records;
};

/* A distinct code that stops reading: a failure found while reading ends the list. */
#define STOP_READING 1

static struct verify_job *add_job(struct verify_ctx *vc, enum job_kind kind, const char *name)
{
	struct verify_job *j;
	mc_xgrow((void **)&vc->jobs, &vc->alloc, vc->njobs + 1, sizeof *vc->jobs);
	j = &vc->jobs[vc->njobs++];
	memset(j, 0, sizeof *j);
	j->kind = kind;
	j->name = mc_xstrdup(name);
	return j;
}

static void free_jobs(struct verify_ctx *vc)
{
	size_t i;
	for (i = 0; i < vc->njobs; i++) {
		free(vc->jobs[i].name);
		free(vc->jobs[i].data);
		free(vc->jobs[i].sig);
		free(vc->jobs[i].after_message);
	}
	free(vc->jobs);
}

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

/* A notes commit: its signature to check, and whether it only appended. */
static int read_notes_commit(void *arg, const mc_notes_commit *c)
{
	struct verify_ctx *vc = arg;
	struct verify_job *j = add_job(vc, JOB_NOTES_COMMIT, c->oid);
	int rc;

	if (!c->signature_len)
		return STOP_READING; /* its job fails; nothing after it matters */
	j->data = mc_xmalloc(c->signed_len + 1);
	memcpy(j->data, c->signed_data, c->signed_len);
	j->data[c->signed_len] = '\0';
	j->len = c->signed_len;
	j->sig = mc_xmalloc(c->signature_len + 1);
	memcpy(j->sig, c->signature, c->signature_len);
	j->sig[c->signature_len] = '\0';
	j->siglen = c->signature_len;
	if ((rc = check_append_only(vc->ev, c)) != 0) {
		j->after_rc = rc;
		j->after_message = mc_xstrdup(mc_error_message());
		return STOP_READING;
	}
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

/* A note: a job per non-empty line. */
static int read_note_records(void *arg, const char *target, const char *note, size_t len)
{
	struct verify_ctx *vc = arg;
	size_t start = 0, i;
	int lineno = 0;

	if (!wanted(vc, target))
		return 0;
	vc->annotated++;
	for (i = 0; i <= len; i++) {
		struct verify_job *j;
		if (i < len && note[i] != '\n')
			continue;
		lineno++;
		if (i > start) {
			j = add_job(vc, JOB_RECORD, target);
			j->data = mc_xstrndup(note + start, i - start);
			j->len = i - start;
			j->line = lineno;
			vc->records++;
		}
		start = i + 1;
	}
	return 0;
}

static int verify_notes_commit(struct verify_ctx *vc, const struct verify_job *j, mc_gpg *g)
{
	char fpr[41];
	if (!j->sig)
		return mc_error_set(MC_EVERIFY, "notes commit %s is not signed", j->name);
	if (mc_gpg_verify(g, j->data, j->len, j->sig, j->siglen,
			  (const char *const *)vc->ev->pins, vc->ev->npins, fpr) != 0)
		return mc_error_wrap(MC_EVERIFY, "notes commit %s", j->name);
	if (j->after_rc)
		return mc_error_set(j->after_rc, "%s", j->after_message);
	return 0;
}

static int verify_record(struct verify_ctx *vc, const struct verify_job *j, mc_gpg *g)
{
	mc_evidence_entry e;
	int rc;

	memset(&e, 0, sizeof e);
	e.line = j->line;
	rc = check_line(&e, g, vc->ev, j->name, j->data, j->len);
	if (rc)
		rc = mc_error_wrap(MC_EVERIFY, "record %d in the note of %s", j->line, j->name);
	free(e.problem);
	if (e.statement)
		json_object_put(e.statement);
	return rc;
}

static int verify_job(void *ctx, size_t i, mc_gpg *g)
{
	struct verify_ctx *vc = ctx;
	const struct verify_job *j = &vc->jobs[i];
	return j->kind == JOB_NOTES_COMMIT ? verify_notes_commit(vc, j, g) : verify_record(vc, j, g);
}

int mc_evidence_verify(mc_evidence_report *report, mc_evidence *ev, const char *const *targets,
		       size_t ntargets)
{
	struct verify_ctx vc;
	char *reading_failure = NULL;
	int rc, read_rc;

	memset(report, 0, sizeof *report);
	memset(&vc, 0, sizeof vc);
	vc.ev = ev;
	vc.targets = targets;
	vc.ntargets = ntargets;
	if ((rc = mc_repo_check_ref_moves_forward(ev->repo, ev->ref)) != 0)
		return rc;
	read_rc = mc_notes_history(ev->repo, ev->ref, read_notes_commit, &vc);
	vc.notes_commits = (unsigned)vc.njobs;
	if (read_rc == 0)
		read_rc = mc_notes_foreach(ev->repo, ev->ref, read_note_records, &vc);
	if (read_rc < 0) /* what a serial check would meet after every job read so far */
		reading_failure = mc_xstrdup(mc_error_message());
	rc = run_jobs(ev, 0, vc.njobs, verify_job, &vc);
	if (rc == 0 && read_rc < 0)
		rc = mc_error_set(read_rc, "%s", reading_failure);
	if (rc == 0 && read_rc == STOP_READING)
		rc = mc_error_set(MC_EINTERNAL, "evidence verification stopped without a failure");
	if (rc == 0) {
		report->notes_commits = vc.notes_commits;
		report->targets = vc.annotated;
		report->records = vc.records;
	}
	free(reading_failure);
	free_jobs(&vc);
	return rc;
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
