/*
 * Unit tests for the evidence pipeline (pipeline/evidence): recording, duplicate records,
 * recording many at once, what verification counts, and that tampering fails naming the
 * object, the same failure whether signatures are checked on one thread or several.
 * Real repositories, real gpg (throwaway keys in a short GNUPGHOME under /tmp).
 */
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adapters/git/notes.h"
#include "adapters/git/repo.h"
#include "adapters/sign/dsse.h"
#include "adapters/sign/gpg.h"
#include "model/config.h"
#include "pipeline/evidence.h"
#include "testutil.h"
#include "util/error.h"
#include "util/json.h"

static char gnupghome[64];
static char key[41];   /* the signing key, pinned */
static char other[41]; /* another key in the same keyring, not pinned */

/* ---- helpers ---- */

struct store {
	char *dir;
	mc_repo *repo;
	mc_config cfg;
	mc_evidence *ev;
};

static mc_evidence *open_store(struct store *s, const char *signing_key, unsigned threads)
{
	mc_evidence_options opt = { 0 };
	mc_evidence *ev = NULL;
	int rc;

	opt.gnupghome = gnupghome;
	opt.signing_key = signing_key ? signing_key : key;
	opt.pins = (const char *const[]){ key };
	opt.npins = 1;
	opt.threads = threads;
	rc = mc_evidence_open(&ev, s->repo, &s->cfg, &opt, 1);
	ck_assert_msg(rc == 0, "mc_evidence_open: %s", mc_error_message());
	return ev;
}

static void store_init(struct store *s)
{
	memset(s, 0, sizeof *s);
	s->dir = mc_test_tmpdir();
	mc_test_git_init(s->dir, "main");
	ck_assert_int_eq(mc_repo_open(&s->repo, s->dir), 0);
	mc_config_defaults(&s->cfg);
	s->ev = open_store(s, NULL, 0);
}

static void store_free(struct store *s)
{
	mc_evidence_close(s->ev);
	mc_config_free(&s->cfg);
	mc_repo_free(s->repo);
	mc_test_rmtree(s->dir);
	free(s->dir);
}

static struct json_object *override(int before, int after, const char *reason)
{
	struct json_object *o = NULL;
	char text[512];
	snprintf(text, sizeof text,
		 "{\"who\":\"@ada\",\"at\":\"2026-11-25T08:00:00Z\",\"action\":\"raise\","
		 "\"reason\":\"%s\",\"before\":%d,\"after\":%d}", reason, before, after);
	ck_assert_int_eq(mc_json_parse(&o, text, strlen(text), strlen(text), "test"), 0);
	return o;
}

static int record(mc_evidence *ev, const char *commit, int before, int after)
{
	struct json_object *p = override(before, after, "escalation");
	int appended = -1, rc = mc_evidence_record(&appended, ev, MC_EV_OVERRIDE, "demo", commit, p);
	json_object_put(p);
	ck_assert_msg(rc == 0, "record: %s", mc_error_message());
	return appended;
}

static mc_evidence_report verify_ok(mc_evidence *ev)
{
	mc_evidence_report r;
	int rc = mc_evidence_verify(&r, ev, NULL, 0);
	ck_assert_msg(rc == 0, "verify: %s", mc_error_message());
	return r;
}

/* verify's failure message (it must fail with MC_EVERIFY), malloc'd. */
static char *verify_fails(mc_evidence *ev)
{
	mc_evidence_report r;
	int rc = mc_evidence_verify(&r, ev, NULL, 0);
	ck_assert_msg(rc == MC_EVERIFY, "verify returned %d: %s", rc, mc_error_message());
	return strdup(mc_error_message());
}

static char *count_commits(const char *dir)
{
	return mc_test_git_out(dir, "rev-list", "--count", "refs/notes/maestro", NULL);
}

/* Signs notes commits with a key of the test keyring, for writing evidence by hand. */
static int sign_with(void *ctx, const char *buf, size_t len, char **armored)
{
	size_t siglen;
	return mc_gpg_sign(ctx, buf, len, 1, armored, &siglen);
}

/* Append line to commit's note in a notes commit validly signed by the pinned key. */
static void append_signed(struct store *s, const char *commit, const char *line)
{
	mc_gpg_options gopt = { gnupghome, key };
	mc_gpg *g = NULL;
	mc_notes_signer signer = { sign_with, NULL, "Hand", "hand@example.com" };
	int appended = 0;

	ck_assert_int_eq(mc_gpg_open(&g, &gopt), 0);
	signer.ctx = g;
	ck_assert_msg(mc_notes_append(&appended, s->repo, MC_NOTES_REF, commit, line, &signer) == 0,
		      "%s", mc_error_message());
	ck_assert_int_eq(appended, 1);
	mc_gpg_free(g);
}

/* The record on line `line` (0-based) of commit's note with one character of the end of
 * its signature (the signature value itself, not the packet's header) changed. */
static char *tampered_line(struct store *s, const char *commit, size_t line)
{
	char **lines = NULL, *out, *sig, *end;
	size_t n = 0;
	ck_assert_int_eq(mc_notes_read(&lines, &n, s->repo, MC_NOTES_REF, commit), 0);
	ck_assert_uint_lt(line, n);
	out = strdup(lines[line]);
	mc_notes_lines_free(lines, n);
	sig = strstr(out, "\"sig\":\"");
	ck_assert_ptr_nonnull(sig);
	end = strchr(sig + 7, '"');
	ck_assert_ptr_nonnull(end);
	end -= 8;
	*end = *end == 'A' ? 'B' : 'A';
	return out;
}

/* A valid envelope for a statement about commit, signed by the key fpr. */
static char *envelope_by(const char *fpr, const char *commit)
{
	mc_gpg_options gopt = { gnupghome, fpr };
	mc_gpg *g = NULL;
	struct json_object *st = mc_evidence_statement(MC_EV_OVERRIDE, "demo", commit,
						       override(7, 8, "by another key"));
	const char *payload = json_object_to_json_string_ext(st, JSON_C_TO_STRING_PLAIN);
	char *env = NULL;
	ck_assert_int_eq(mc_gpg_open(&g, &gopt), 0);
	ck_assert_int_eq(mc_dsse_sign(&env, g, MC_DSSE_INTOTO_TYPE, payload, strlen(payload)), 0);
	mc_gpg_free(g);
	json_object_put(st);
	return env;
}

/* ---- tests ---- */

START_TEST(a_record_is_signed_once_and_verifies)
{
	struct store s;
	char *c1, *c2, *n;
	mc_evidence_report r;
	const mc_evidence_stats *st;

	store_init(&s);
	c1 = mc_test_commit(s.dir, "c1");
	c2 = mc_test_commit(s.dir, "c2");
	ck_assert_int_eq(record(s.ev, c1, 1, 3), 1);
	ck_assert_int_eq(record(s.ev, c1, 1, 3), 0); /* the same record: nothing written */
	ck_assert_int_eq(record(s.ev, c1, 1, 4), 1);
	ck_assert_int_eq(record(s.ev, c2, 1, 3), 1); /* the same predicate about another commit */
	n = count_commits(s.dir);
	ck_assert_str_eq(n, "3");
	free(n);
	mc_test_git(s.dir, "verify-commit", "refs/notes/maestro", NULL);
	r = verify_ok(s.ev);
	ck_assert_uint_eq(r.records, 3);
	ck_assert_uint_eq(r.targets, 2);
	ck_assert_uint_eq(r.notes_commits, 3);
	/* the time went where it was counted: three envelopes and three notes commits */
	st = mc_evidence_get_stats(s.ev);
	ck_assert_uint_eq(st->envelopes, 3);
	ck_assert_uint_eq(st->commits, 3);
	ck_assert(st->envelope_sign_s > 0 && st->commit_sign_s > 0 && st->dedup_s > 0);
	ck_assert(st->notes_s >= st->commit_sign_s);
	/* only the records of the commits asked for */
	ck_assert_int_eq(mc_evidence_verify(&r, s.ev, (const char *const[]){ c2 }, 1), 0);
	ck_assert_uint_eq(r.records, 1);
	ck_assert_uint_eq(r.targets, 1);
	store_free(&s);
	free(c1);
	free(c2);
}
END_TEST

START_TEST(record_many_writes_one_commit_and_skips_duplicates)
{
	enum { N = 40 };
	struct store s;
	struct json_object *preds[N];
	mc_evidence_item items[N + 2];
	char *c[4], *n, *shown;
	mc_evidence_report r;
	int appended = -1;
	size_t i;

	store_init(&s);
	for (i = 0; i < 4; i++)
		c[i] = mc_test_commit(s.dir, "c");
	ck_assert_int_eq(record(s.ev, c[0], 0, 0), 1); /* items[0] repeats this one */
	for (i = 0; i < N; i++) {
		preds[i] = override((int)(i / 4), (int)(i / 4) + 1, "batch");
		items[i].kind = MC_EV_OVERRIDE;
		items[i].commit = c[i % 4];
		items[i].predicate = preds[i];
	}
	json_object_put(preds[0]);
	preds[0] = override(0, 0, "escalation");
	items[0].predicate = preds[0];
	items[N] = items[5];     /* the same record twice in one batch */
	items[N + 1] = items[6];
	ck_assert_msg(mc_evidence_record_many(&appended, s.ev, "demo", items, N + 2) == 0, "%s",
		      mc_error_message());
	ck_assert_int_eq(appended, N - 1);
	n = count_commits(s.dir);
	ck_assert_str_eq(n, "2"); /* the single record, then the whole batch */
	free(n);
	mc_test_git(s.dir, "verify-commit", "refs/notes/maestro", NULL);
	shown = mc_test_git_out(s.dir, "log", "-1", "--format=%s", "refs/notes/maestro", NULL);
	ck_assert_str_eq(shown, "Notes added by maestro to 4 objects");
	free(shown);
	r = verify_ok(s.ev);
	ck_assert_uint_eq(r.records, N);
	ck_assert_uint_eq(r.targets, 4);
	ck_assert_uint_eq(r.notes_commits, 2);
	/* again: everything is there already, nothing is signed or written */
	ck_assert_int_eq(mc_evidence_record_many(&appended, s.ev, "demo", items, N), 0);
	ck_assert_int_eq(appended, 0);
	n = count_commits(s.dir);
	ck_assert_str_eq(n, "2");
	free(n);
	/* an invalid record stops the batch before anything is signed */
	json_object_object_add(preds[7], "unexpected", json_object_new_int(1));
	items[N] = items[7];
	items[N].commit = c[3];
	ck_assert_int_eq(mc_evidence_record_many(&appended, s.ev, "demo", items + 8, N - 7),
			 MC_EINTERNAL);
	ck_assert_ptr_nonnull(strstr(mc_error_message(), "invalid override record"));
	n = count_commits(s.dir);
	ck_assert_str_eq(n, "2");
	free(n);
	for (i = 0; i < N; i++)
		json_object_put(preds[i]);
	for (i = 0; i < 4; i++)
		free(c[i]);
	store_free(&s);
}
END_TEST

/* verify's failure with signatures checked on one thread and on several: the same. */
static char *same_failure_serial_and_parallel(struct store *s)
{
	mc_evidence *serial = open_store(s, NULL, 1), *parallel = open_store(s, NULL, 8);
	char *a = verify_fails(serial), *b = verify_fails(parallel);
	ck_assert_str_eq(a, b);
	mc_evidence_close(serial);
	mc_evidence_close(parallel);
	free(b);
	return a;
}

START_TEST(tampering_fails_naming_the_object)
{
	enum { N = 24 };
	struct store s;
	struct json_object *preds[N];
	mc_evidence_item items[N];
	char *c[3], *msg, *bad, *expect, *tip;
	mc_evidence_report r;
	int appended;
	size_t i;

	store_init(&s);
	for (i = 0; i < 3; i++)
		c[i] = mc_test_commit(s.dir, "c");
	for (i = 0; i < N; i++) {
		preds[i] = override((int)i, (int)i + 1, "tamper test");
		items[i].kind = MC_EV_OVERRIDE;
		items[i].commit = c[i % 3];
		items[i].predicate = preds[i];
	}
	ck_assert_int_eq(mc_evidence_record_many(&appended, s.ev, "demo", items, N), 0);
	ck_assert_int_eq(appended, N);
	r = verify_ok(s.ev);
	ck_assert_uint_eq(r.records, N);

	/* Two changed records in validly signed notes commits: the one reported is the first
	 * in order (by commit id, then line), whichever thread met it. */
	{
		const char *lo = strcmp(c[0], c[1]) < 0 ? c[0] : c[1];
		const char *hi = lo == c[0] ? c[1] : c[0];
		bad = tampered_line(&s, hi, 2);
		append_signed(&s, hi, bad);
		free(bad);
		bad = tampered_line(&s, lo, 5);
		append_signed(&s, lo, bad);
		free(bad);
		msg = same_failure_serial_and_parallel(&s);
		ck_assert_int_ge(asprintf(&expect, "record %d in the note of %s", N / 3 + 1, lo), 0);
		ck_assert_msg(strstr(msg, expect), "%s", msg);
		ck_assert_ptr_nonnull(strstr(msg, "bad signature"));
		free(expect);
		free(msg);
	}

	/* A record signed by a key that is not pinned (in a notes commit by the pinned key),
	 * and a notes commit signed by that key. */
	{
		struct store s2;
		mc_evidence *by_other;
		char *c2;
		store_init(&s2);
		c2 = mc_test_commit(s2.dir, "c");
		ck_assert_int_eq(record(s2.ev, c2, 1, 2), 1);
		bad = envelope_by(other, c2);
		append_signed(&s2, c2, bad);
		free(bad);
		msg = same_failure_serial_and_parallel(&s2);
		ck_assert_int_ge(asprintf(&expect, "record 2 in the note of %s", c2), 0);
		ck_assert_msg(strstr(msg, expect) && strstr(msg, "not pinned"), "%s", msg);
		ck_assert_ptr_nonnull(strstr(msg, other));
		free(expect);
		free(msg);

		by_other = open_store(&s2, other, 1);
		ck_assert_int_eq(record(by_other, c2, 1, 3), 1);
		mc_evidence_close(by_other);
		msg = same_failure_serial_and_parallel(&s2);
		/* the notes commit by the other key is the newest: it is named first */
		tip = mc_test_git_out(s2.dir, "rev-parse", "refs/notes/maestro", NULL);
		ck_assert_int_ge(asprintf(&expect, "notes commit %s", tip), 0);
		ck_assert_msg(strstr(msg, expect) && strstr(msg, "not pinned"), "%s", msg);
		free(expect);
		free(tip);
		free(msg);
		free(c2);
		store_free(&s2);
	}

	/* An unsigned notes commit on top (git's own notes command) is named. */
	mc_test_git(s.dir, "notes", "--ref=maestro", "append", "-m", "by git", c[0], NULL);
	tip = mc_test_git_out(s.dir, "rev-parse", "refs/notes/maestro", NULL);
	msg = same_failure_serial_and_parallel(&s);
	ck_assert_int_ge(asprintf(&expect, "notes commit %s is not signed", tip), 0);
	ck_assert_msg(strstr(msg, expect), "%s", msg);
	free(expect);
	free(msg);
	free(tip);

	for (i = 0; i < N; i++)
		json_object_put(preds[i]);
	for (i = 0; i < 3; i++)
		free(c[i]);
	store_free(&s);
}
END_TEST

START_TEST(a_deleted_record_fails_naming_the_notes_commit)
{
	struct store s;
	char *c1, *msg, *expect, *tip, *blob, *cmd;

	store_init(&s);
	c1 = mc_test_commit(s.dir, "c1");
	ck_assert_int_eq(record(s.ev, c1, 1, 2), 1);
	ck_assert_int_eq(record(s.ev, c1, 1, 3), 1);
	/* A signed notes commit whose note of c1 lost its first line (written with git, signed
	 * with the pinned key through git's own signing). */
	ck_assert_int_ge(asprintf(&cmd, "cd '%s' && git notes --ref=maestro show %s | tail -n 1 | "
				  "git hash-object -w --stdin", s.dir, c1), 0);
	{
		FILE *p = popen(cmd, "r");
		char buf[64] = "";
		ck_assert_ptr_nonnull(p);
		ck_assert_ptr_nonnull(fgets(buf, sizeof buf, p));
		pclose(p);
		buf[strcspn(buf, "\n")] = '\0';
		blob = strdup(buf);
	}
	free(cmd);
	ck_assert_int_ge(asprintf(&cmd, "cd '%s' && t=$(printf '100644 blob %s\\t%s\\n' | git mktree) && "
				  "c=$(git -c user.signingkey=%s commit-tree -S -p refs/notes/maestro "
				  "-m shrink $t) && git update-ref refs/notes/maestro $c",
				  s.dir, blob, c1, key), 0);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	free(blob);
	tip = mc_test_git_out(s.dir, "rev-parse", "refs/notes/maestro", NULL);
	msg = same_failure_serial_and_parallel(&s);
	ck_assert_int_ge(asprintf(&expect, "notes commit %s removed or changed record 1 of the "
				  "note of %s", tip, c1), 0);
	ck_assert_msg(strstr(msg, expect), "%s", msg);
	free(expect);
	free(msg);
	free(tip);
	store_free(&s);
	free(c1);
}
END_TEST

/* ---- setup ---- */

static void make_keys(void)
{
	snprintf(gnupghome, sizeof gnupghome, "/tmp/mce-XXXXXX");
	if (!mkdtemp(gnupghome)) {
		perror("mkdtemp");
		exit(1);
	}
	setenv("GNUPGHOME", gnupghome, 1);
	if (mc_gpg_keygen(key, gnupghome, "Store Test <s@example.com>", 0) != 0 ||
	    mc_gpg_keygen(other, gnupghome, "Other <o@example.com>", 0) != 0) {
		fprintf(stderr, "gpg could not make test keys: %s\n", mc_error_message());
		exit(1);
	}
}

static void remove_keys(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "gpgconf --homedir %s --kill all", gnupghome);
	if (system(cmd) != 0)
		fprintf(stderr, "gpgconf --kill failed\n");
	mc_test_rmtree(gnupghome);
}

int main(void)
{
	Suite *s = suite_create("evidence_store");
	TCase *tc = tcase_create("store");
	int rc;

	git_libgit2_init();
	make_keys();
	tcase_add_test(tc, a_record_is_signed_once_and_verifies);
	tcase_add_test(tc, record_many_writes_one_commit_and_skips_duplicates);
	tcase_add_test(tc, tampering_fails_naming_the_object);
	tcase_add_test(tc, a_deleted_record_fails_naming_the_notes_commit);
	tcase_set_timeout(tc, 240);
	suite_add_tcase(s, tc);
	rc = mc_test_run(s);
	remove_keys();
	git_libgit2_shutdown();
	return rc;
}
