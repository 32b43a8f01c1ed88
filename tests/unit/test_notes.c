/*
 * Unit tests for the git-notes evidence store (adapters/git/notes) against real
 * repositories, real gpg signatures (a throwaway key in a short GNUPGHOME under
 * /tmp) and git's own notes commands on the same refs, both ways.
 */
#include <git2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "adapters/git/notes.h"
#include "adapters/git/repo.h"
#include "testutil.h"
#include "util/error.h"

static char gnupghome[64];

/* ---- signers ---- */

/* Signs with the real gpg (the default key of GNUPGHOME), through a temporary file. */
static int gpg_sign(void *ctx, const char *buf, size_t len, char **armored)
{
	char path[96], cmd[256], chunk[4096];
	size_t total = 0, got;
	FILE *p;
	int fd, status;

	(void)ctx;
	snprintf(path, sizeof path, "%s/payload-XXXXXX", gnupghome);
	fd = mkstemp(path);
	if (fd < 0 || write(fd, buf, len) != (ssize_t)len || close(fd) != 0)
		return mc_error_set(MC_EIO, "writing the payload to sign");
	snprintf(cmd, sizeof cmd, "gpg --batch --detach-sign --armor --output - %s", path);
	p = popen(cmd, "r");
	if (!p)
		return mc_error_set(MC_EENV, "running gpg");
	*armored = NULL;
	while ((got = fread(chunk, 1, sizeof chunk, p)) > 0) {
		*armored = realloc(*armored, total + got + 1);
		memcpy(*armored + total, chunk, got);
		total += got;
		(*armored)[total] = '\0';
	}
	status = pclose(p);
	unlink(path);
	if (status != 0 || total == 0) {
		free(*armored);
		*armored = NULL;
		return mc_error_set(MC_EENV, "gpg failed to sign");
	}
	return 0;
}

static const mc_notes_signer gpg_signer = { gpg_sign, NULL, "Maestro Bot", "bot@example.com" };

/* A signer that moves the notes ref (with git itself) on its first call, the way a
 * concurrent writer would between our read of the tip and our compare-and-swap. */
struct intruder {
	const char *dir, *other_target;
	int calls;
};

static int intruding_sign(void *ctx, const char *buf, size_t len, char **armored)
{
	struct intruder *in = ctx;
	if (in->calls++ == 0)
		mc_test_git(in->dir, "notes", "--ref=maestro", "add", "-m", "intruder",
			    in->other_target, NULL);
	return gpg_sign(NULL, buf, len, armored);
}

static int failing_sign(void *ctx, const char *buf, size_t len, char **armored)
{
	(void)ctx; (void)buf; (void)len; (void)armored;
	return mc_error_set(MC_EENV, "no secret key");
}

/* ---- helpers ---- */

static mc_repo *open_repo(const char *dir)
{
	mc_repo *repo = NULL;
	int rc = mc_repo_open(&repo, dir);
	ck_assert_msg(rc == 0, "mc_repo_open(%s): %s", dir, mc_error_message());
	return repo;
}

static char *new_repo(void)
{
	char *dir = mc_test_tmpdir();
	mc_test_git_init(dir, "main");
	return dir;
}

static void append_ok(int expect_appended, mc_repo *repo, const char *target, const char *line,
		      const mc_notes_signer *signer)
{
	int appended = -1;
	int rc = mc_notes_append(&appended, repo, MC_NOTES_REF, target, line, signer);
	ck_assert_msg(rc == 0, "append %s to %s: %s", line, target, mc_error_message());
	ck_assert_int_eq(appended, expect_appended);
}

/* The note's lines joined with '\n' (no trailing newline), as git notes show prints them. */
static char *read_joined(mc_repo *repo, const char *ref, const char *target)
{
	char **lines = NULL, *out;
	size_t n = 0, i, len = 0;
	int rc = mc_notes_read(&lines, &n, repo, ref, target);
	ck_assert_msg(rc == 0, "read %s: %s", target, mc_error_message());
	for (i = 0; i < n; i++)
		len += strlen(lines[i]) + 1;
	out = calloc(1, len + 1);
	for (i = 0; i < n; i++) {
		if (i)
			strcat(out, "\n");
		strcat(out, lines[i]);
	}
	mc_notes_lines_free(lines, n);
	return out;
}

/* Exit status of a shell command run in dir, its stdout in *out when out is not NULL. */
static int sh(char **out, const char *dir, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int sh(char **out, const char *dir, const char *fmt, ...)
{
	char cmd[2048], chunk[4096];
	size_t len = 0, got;
	va_list ap;
	FILE *p;
	int n = snprintf(cmd, sizeof cmd, "cd '%s' && ", dir);

	va_start(ap, fmt);
	vsnprintf(cmd + n, sizeof cmd - (size_t)n, fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	if (out)
		*out = calloc(1, 1);
	while ((got = fread(chunk, 1, sizeof chunk, p)) > 0) {
		if (!out)
			continue;
		*out = realloc(*out, len + got + 1);
		memcpy(*out + len, chunk, got);
		len += got;
		(*out)[len] = '\0';
	}
	return pclose(p);
}

/* ---- history collection ---- */

typedef struct seen_commit {
	char oid[41];
	int signed_;
	size_t nparents;
	char parents[2][41];
	char changed[8][41];
	size_t nchanged;
} seen_commit;

typedef struct seen {
	seen_commit *v;
	size_t n;
} seen;

static int collect_commit(void *ctx, const mc_notes_commit *c)
{
	seen *s = ctx;
	seen_commit *sc;
	size_t i;

	s->v = realloc(s->v, (s->n + 1) * sizeof *s->v);
	sc = &s->v[s->n++];
	memset(sc, 0, sizeof *sc);
	strcpy(sc->oid, c->oid);
	sc->signed_ = c->signature_len > 0 &&
		      !strncmp(c->signature, "-----BEGIN PGP SIGNATURE-----", 29);
	ck_assert_uint_eq(strlen(c->signature), c->signature_len);
	ck_assert_uint_gt(c->signed_len, 0);
	/* The payload is a commit: it names its tree first, never the signature. */
	ck_assert(!strncmp(c->signed_data, "tree ", 5));
	ck_assert_ptr_null(strstr(c->signed_data, "gpgsig"));
	sc->nparents = c->nparents;
	for (i = 0; i < c->nparents && i < 2; i++)
		strcpy(sc->parents[i], c->parents[i]);
	sc->nchanged = c->nchanged;
	for (i = 0; i < c->nchanged && i < 8; i++)
		strcpy(sc->changed[i], c->changed_targets[i]);
	return 0;
}

static seen history(mc_repo *repo, const char *ref)
{
	seen s = { NULL, 0 };
	int rc = mc_notes_history(repo, ref, collect_commit, &s);
	ck_assert_msg(rc == 0, "history: %s", mc_error_message());
	return s;
}

/* Writes each commit's payload and signature beside each other and has gpg verify them. */
static int gpg_verifies(void *ctx, const mc_notes_commit *c)
{
	const char *dir = ctx;
	char data[256], sig[256];
	FILE *f;

	snprintf(data, sizeof data, "%s/payload-%s", dir, c->oid);
	snprintf(sig, sizeof sig, "%s/payload-%s.asc", dir, c->oid);
	ck_assert_ptr_nonnull(f = fopen(data, "wb"));
	ck_assert_uint_eq(fwrite(c->signed_data, 1, c->signed_len, f), c->signed_len);
	fclose(f);
	ck_assert_ptr_nonnull(f = fopen(sig, "wb"));
	ck_assert_uint_eq(fwrite(c->signature, 1, c->signature_len, f), c->signature_len);
	fclose(f);
	ck_assert_int_eq(sh(NULL, dir, "gpg --batch --verify '%s' '%s' 2>/dev/null", sig, data), 0);
	/* and a changed byte in the payload no longer verifies */
	ck_assert_ptr_nonnull(f = fopen(data, "ab"));
	fputc('x', f);
	fclose(f);
	ck_assert_int_ne(sh(NULL, dir, "gpg --batch --verify '%s' '%s' 2>/dev/null", sig, data), 0);
	return 0;
}

/* ---- tests ---- */

START_TEST(append_writes_signed_commits_git_verifies)
{
	char *dir = new_repo(), *c1 = mc_test_commit(dir, "c1"), *shown, *log;
	mc_repo *repo = open_repo(dir);
	seen h;

	append_ok(1, repo, c1, "{\"n\":1}", &gpg_signer);
	append_ok(1, repo, "HEAD", "{\"n\":2}", &gpg_signer);
	append_ok(0, repo, c1, "{\"n\":1}", &gpg_signer); /* already there: nothing written */

	shown = mc_test_git_out(dir, "notes", "--ref=maestro", "show", c1, NULL);
	ck_assert_str_eq(shown, "{\"n\":1}\n{\"n\":2}");
	free(shown);
	shown = read_joined(repo, MC_NOTES_REF, c1);
	ck_assert_str_eq(shown, "{\"n\":1}\n{\"n\":2}");
	free(shown);

	/* git checks the notes commits' signatures itself. */
	mc_test_git(dir, "verify-commit", "refs/notes/maestro", NULL);
	mc_test_git(dir, "verify-commit", "refs/notes/maestro~1", NULL);
	ck_assert_int_eq(sh(&log, dir, "git log --show-signature refs/notes/maestro 2>&1 | "
			    "grep -c 'Good signature'"), 0);
	ck_assert_str_eq(log, "2\n");
	free(log);
	ck_assert_int_eq(sh(&log, dir, "git log --format=%%G? refs/notes/maestro"), 0);
	ck_assert_str_eq(log, "G\nG\n");
	free(log);

	h = history(repo, MC_NOTES_REF);
	ck_assert_uint_eq(h.n, 2);
	ck_assert(h.v[0].signed_ && h.v[1].signed_);
	ck_assert_uint_eq(h.v[0].nparents, 1);
	ck_assert_str_eq(h.v[0].parents[0], h.v[1].oid);
	ck_assert_uint_eq(h.v[1].nparents, 0);
	free(h.v);
	/* History hands out exactly what was signed: gpg verifies payload + signature. */
	ck_assert_int_eq(mc_notes_history(repo, MC_NOTES_REF, gpg_verifies, dir), 0);

	mc_repo_free(repo);
	mc_test_rmtree(dir);
	free(c1);
	free(dir);
}
END_TEST

START_TEST(bad_input_and_a_failing_signer_write_nothing)
{
	char *dir = new_repo(), *c1 = mc_test_commit(dir, "c1"), *big, **lines = NULL;
	mc_notes_signer failing = { failing_sign, NULL, "Bot", "bot@example.com" };
	mc_repo *repo = open_repo(dir);
	size_t n = 0;
	int appended = -1;

	ck_assert_int_eq(mc_notes_append(&appended, repo, MC_NOTES_REF, c1, "a\nb", &gpg_signer),
			 MC_EINVAL);
	ck_assert_int_eq(mc_notes_append(&appended, repo, MC_NOTES_REF, c1, "", &gpg_signer),
			 MC_EINVAL);
	ck_assert_int_eq(mc_notes_append(&appended, repo, MC_NOTES_REF, "no-such-rev", "x",
					 &gpg_signer), MC_EINVAL);
	ck_assert_ptr_nonnull(strstr(mc_error_message(), "no-such-rev"));
	big = malloc(MC_NOTES_MAX_LINE + 2);
	memset(big, 'a', MC_NOTES_MAX_LINE + 1);
	big[MC_NOTES_MAX_LINE + 1] = '\0';
	ck_assert_int_eq(mc_notes_append(&appended, repo, MC_NOTES_REF, c1, big, &gpg_signer),
			 MC_ELIMIT);
	big[MC_NOTES_MAX_LINE] = '\0'; /* exactly the limit is fine */
	ck_assert_int_eq(mc_notes_append(&appended, repo, MC_NOTES_REF, c1, big, &failing),
			 MC_EENV);
	ck_assert_ptr_nonnull(strstr(mc_error_message(), "no secret key"));
	ck_assert_int_eq(appended, 0);
	ck_assert_int_eq(mc_notes_read(&lines, &n, repo, MC_NOTES_REF, c1), MC_ENOTFOUND);
	ck_assert_int_eq(sh(NULL, dir, "git rev-parse -q --verify refs/notes/maestro >/dev/null"), 256);

	append_ok(1, repo, c1, big, &gpg_signer);
	ck_assert_int_eq(mc_notes_read(&lines, &n, repo, MC_NOTES_REF, c1), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(strlen(lines[0]), MC_NOTES_MAX_LINE);
	mc_notes_lines_free(lines, n);
	/* No note for another commit at the same tip. */
	ck_assert_int_eq(mc_notes_read(&lines, &n, repo, MC_NOTES_REF,
				       "0123456789012345678901234567890123456789"), MC_ENOTFOUND);
	free(big);
	mc_repo_free(repo);
	mc_test_rmtree(dir);
	free(c1);
	free(dir);
}
END_TEST

/* n objects to annotate (blobs "object i"), their ids in ids[]. */
static void make_objects(const char *dir, char ids[][41], size_t n)
{
	git_repository *git = NULL;
	size_t i;
	ck_assert_int_eq(git_repository_open(&git, dir), 0);
	for (i = 0; i < n; i++) {
		char text[32];
		git_oid id;
		snprintf(text, sizeof text, "object %zu\n", i);
		ck_assert_int_eq(git_blob_create_from_buffer(&id, git, text, strlen(text)), 0);
		git_oid_tostr(ids[i], 41, &id);
	}
	git_repository_free(git);
}

static int count_note(void *ctx, const char *target, const char *note, size_t len)
{
	size_t *count = ctx;
	ck_assert_uint_eq(strlen(target), 40);
	ck_assert_uint_eq(strlen(note), len);
	(*count)++;
	return 0;
}

START_TEST(many_notes_fan_out_and_interoperate_with_git_notes)
{
	enum { N = 300 };
	char *dir = new_repo(), ids[N + 2][41], line[64], *out, *expect;
	mc_repo *repo;
	size_t i, count = 0;

	free(mc_test_commit(dir, "c1"));
	make_objects(dir, ids, N + 2);
	repo = open_repo(dir);
	for (i = 0; i < N; i++) {
		snprintf(line, sizeof line, "{\"i\":%zu}", i);
		append_ok(1, repo, ids[i], line, &gpg_signer);
	}
	/* This store fans out past 256 notes: the top level is only 2-character directories. */
	ck_assert_int_eq(sh(&out, dir, "git ls-tree refs/notes/maestro | awk '{print length($4)}' | "
			    "sort -u"), 0);
	ck_assert_str_eq(out, "2\n");
	free(out);
	ck_assert_int_eq(sh(&out, dir, "git notes --ref=maestro list | wc -l"), 0);
	ck_assert_str_eq(out, "300\n");
	free(out);
	for (i = 0; i < N; i += 37) {
		snprintf(line, sizeof line, "{\"i\":%zu}", i);
		out = mc_test_git_out(dir, "notes", "--ref=maestro", "show", ids[i], NULL);
		ck_assert_str_eq(out, line);
		free(out);
	}

	/* git writes to the same ref (rewriting the tree in its own layout)... */
	mc_test_git(dir, "notes", "--ref=maestro", "append", "-m", "from git", ids[5], NULL);
	mc_test_git(dir, "notes", "--ref=maestro", "add", "-m", "git only", ids[N], NULL);
	/* ...and this store reads and appends to what git wrote. */
	out = read_joined(repo, MC_NOTES_REF, ids[5]);
	ck_assert_str_eq(out, "{\"i\":5}\nfrom git");
	free(out);
	append_ok(1, repo, ids[5], "{\"again\":5}", &gpg_signer);
	append_ok(1, repo, ids[N], "{\"after\":\"git\"}", &gpg_signer);
	append_ok(1, repo, ids[N + 1], "{\"new\":1}", &gpg_signer);
	append_ok(0, repo, ids[N], "git only", &gpg_signer);
	out = mc_test_git_out(dir, "notes", "--ref=maestro", "show", ids[5], NULL);
	/* git append separates paragraphs with a blank line: this store skips it on read */
	ck_assert_str_eq(out, "{\"i\":5}\n\nfrom git\n{\"again\":5}");
	free(out);
	out = mc_test_git_out(dir, "notes", "--ref=maestro", "show", ids[N], NULL);
	ck_assert_str_eq(out, "git only\n{\"after\":\"git\"}");
	free(out);
	out = mc_test_git_out(dir, "notes", "--ref=maestro", "show", ids[N + 1], NULL);
	ck_assert_str_eq(out, "{\"new\":1}");
	free(out);
	ck_assert_int_eq(mc_notes_foreach(repo, MC_NOTES_REF, count_note, &count), 0);
	ck_assert_uint_eq(count, N + 2);
	for (i = 0; i < N; i += 13) {
		ck_assert_int_ge(asprintf(&expect, "{\"i\":%zu}%s", i,
					  i == 5 ? "\nfrom git\n{\"again\":5}" : ""), 0);
		out = read_joined(repo, MC_NOTES_REF, ids[i]);
		ck_assert_str_eq(out, expect);
		free(out);
		free(expect);
	}
	/* git again, after this store wrote into its layout */
	mc_test_git(dir, "notes", "--ref=maestro", "append", "-m", "git 2", ids[N + 1], NULL);
	ck_assert_int_eq(sh(&out, dir, "git notes --ref=maestro list | wc -l"), 0);
	ck_assert_str_eq(out, "302\n");
	free(out);
	out = read_joined(repo, MC_NOTES_REF, ids[N + 1]);
	ck_assert_str_eq(out, "{\"new\":1}\ngit 2");
	free(out);
	mc_repo_free(repo);
	mc_test_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(a_ref_moved_underneath_is_reread_not_overwritten)
{
	char *dir = new_repo(), *c1 = mc_test_commit(dir, "c1"), *c2 = mc_test_commit(dir, "c2");
	char *out, *intruder_tip;
	struct intruder in = { dir, c2, 0 };
	mc_notes_signer signer = { intruding_sign, &in, "Maestro Bot", "bot@example.com" };
	mc_repo *repo = open_repo(dir);
	seen h;

	append_ok(1, repo, c1, "first", &gpg_signer);
	append_ok(1, repo, c1, "second", &signer);
	ck_assert_int_eq(in.calls, 2); /* the first signature was for a tip that had moved */

	out = mc_test_git_out(dir, "notes", "--ref=maestro", "show", c2, NULL);
	ck_assert_str_eq(out, "intruder");
	free(out);
	out = mc_test_git_out(dir, "notes", "--ref=maestro", "show", c1, NULL);
	ck_assert_str_eq(out, "first\nsecond");
	free(out);
	/* Linear: ours on top of the intruder's commit on top of the first. */
	h = history(repo, MC_NOTES_REF);
	ck_assert_uint_eq(h.n, 3);
	intruder_tip = mc_test_git_out(dir, "rev-parse", "refs/notes/maestro~1", NULL);
	ck_assert_str_eq(h.v[1].oid, intruder_tip);
	ck_assert_str_eq(h.v[0].parents[0], intruder_tip);
	ck_assert(h.v[0].signed_ && !h.v[1].signed_ && h.v[2].signed_);
	ck_assert_uint_eq(h.v[0].nchanged, 1);
	ck_assert_str_eq(h.v[0].changed[0], c1);
	ck_assert_uint_eq(h.v[1].nchanged, 1);
	ck_assert_str_eq(h.v[1].changed[0], c2);
	mc_test_git(dir, "verify-commit", "refs/notes/maestro", NULL);
	free(h.v);
	free(intruder_tip);
	mc_repo_free(repo);
	mc_test_rmtree(dir);
	free(c1);
	free(c2);
	free(dir);
}
END_TEST

START_TEST(append_many_is_one_signed_commit_with_each_line_once)
{
	enum { N = 300 };
	char *dir = new_repo(), *c1 = mc_test_commit(dir, "c1"), *c2 = mc_test_commit(dir, "c2");
	char *out, *tip_before, *tip_after, ids[N][41], line[N][32];
	const char *targets[N], *lines[N];
	mc_repo *repo = open_repo(dir);
	mc_notes_signer failing = { failing_sign, NULL, "Bot", "bot@example.com" };
	size_t i;
	int appended = -1;

	append_ok(1, repo, c1, "old", &gpg_signer);
	{
		/* c1 twice with a repeat and a line it has; c2 via a revision; a repeat of c2's */
		const char *t[] = { c1, "HEAD", c1, c1, c2, c1 };
		const char *l[] = { "a1", "b1", "old", "a2", "b1", "a1" };
		ck_assert_int_eq(mc_notes_append_many(&appended, repo, MC_NOTES_REF, t, l, 6,
						      &gpg_signer), 0);
		ck_assert_int_eq(appended, 3);
	}
	out = mc_test_git_out(dir, "notes", "--ref=maestro", "show", c1, NULL);
	ck_assert_str_eq(out, "old\na1\na2");
	free(out);
	out = mc_test_git_out(dir, "notes", "--ref=maestro", "show", c2, NULL);
	ck_assert_str_eq(out, "b1");
	free(out);
	/* one commit for the batch, signed, naming how many objects it annotated */
	out = mc_test_git_out(dir, "rev-list", "--count", "refs/notes/maestro", NULL);
	ck_assert_str_eq(out, "2");
	free(out);
	mc_test_git(dir, "verify-commit", "refs/notes/maestro", NULL);
	out = mc_test_git_out(dir, "log", "-1", "--format=%s", "refs/notes/maestro", NULL);
	ck_assert_str_eq(out, "Notes added by maestro to 2 objects");
	free(out);

	/* nothing new: no commit; a bad item or a failing signer: nothing written */
	tip_before = mc_test_git_out(dir, "rev-parse", "refs/notes/maestro", NULL);
	{
		const char *t[] = { c1, c2 }, *l[] = { "a2", "b1" };
		const char *bad_l[] = { "fine", "two\nlines" }, *bad_t[] = { c1, "no-such-rev" };
		ck_assert_int_eq(mc_notes_append_many(&appended, repo, MC_NOTES_REF, t, l, 2,
						      &gpg_signer), 0);
		ck_assert_int_eq(appended, 0);
		ck_assert_int_eq(mc_notes_append_many(&appended, repo, MC_NOTES_REF, t, l, 0,
						      &gpg_signer), 0);
		ck_assert_int_eq(appended, 0);
		ck_assert_int_eq(mc_notes_append_many(&appended, repo, MC_NOTES_REF, t, bad_l, 2,
						      &gpg_signer), MC_EINVAL);
		ck_assert_ptr_nonnull(strstr(mc_error_message(), "line 2 of 2"));
		ck_assert_int_eq(mc_notes_append_many(&appended, repo, MC_NOTES_REF, bad_t, bad_l, 1,
						      &gpg_signer), 0);
		ck_assert_int_eq(appended, 1); /* only the first item: "fine" on c1 */
		free(tip_before);
		tip_before = mc_test_git_out(dir, "rev-parse", "refs/notes/maestro", NULL);
		bad_l[1] = "fine too";
		ck_assert_int_eq(mc_notes_append_many(&appended, repo, MC_NOTES_REF, bad_t, bad_l, 2,
						      &gpg_signer), MC_EINVAL);
		ck_assert_ptr_nonnull(strstr(mc_error_message(), "no-such-rev"));
		bad_t[1] = c2;
		ck_assert_int_eq(mc_notes_append_many(&appended, repo, MC_NOTES_REF, bad_t, bad_l, 2,
						      &failing), MC_EENV);
		ck_assert_int_eq(appended, 0);
	}
	tip_after = mc_test_git_out(dir, "rev-parse", "refs/notes/maestro", NULL);
	ck_assert_str_eq(tip_before, tip_after);
	free(tip_before);
	free(tip_after);

	/* many targets in one batch fan out like single appends, and git reads them all */
	make_objects(dir, ids, N);
	for (i = 0; i < N; i++) {
		snprintf(line[i], sizeof line[i], "{\"i\":%zu}", i);
		targets[i] = ids[i];
		lines[i] = line[i];
	}
	ck_assert_int_eq(mc_notes_append_many(&appended, repo, MC_NOTES_REF, targets, lines, N,
					      &gpg_signer), 0);
	ck_assert_int_eq(appended, N);
	ck_assert_int_eq(sh(&out, dir, "git ls-tree refs/notes/maestro | awk '{print length($4)}' | "
			    "sort -u"), 0);
	ck_assert_str_eq(out, "2\n");
	free(out);
	ck_assert_int_eq(sh(&out, dir, "git notes --ref=maestro list | wc -l"), 0);
	ck_assert_str_eq(out, "302\n");
	free(out);
	for (i = 0; i < N; i += 29) {
		out = mc_test_git_out(dir, "notes", "--ref=maestro", "show", ids[i], NULL);
		ck_assert_str_eq(out, line[i]);
		free(out);
	}
	mc_test_git(dir, "verify-commit", "refs/notes/maestro", NULL);
	ck_assert_int_eq(sh(NULL, dir, "git fsck --no-dangling >/dev/null 2>&1"), 0);
	mc_repo_free(repo);
	mc_test_rmtree(dir);
	free(c1);
	free(c2);
	free(dir);
}
END_TEST

START_TEST(append_many_rereads_a_moved_ref)
{
	char *dir = new_repo(), *c1 = mc_test_commit(dir, "c1"), *c2 = mc_test_commit(dir, "c2");
	char *c3 = mc_test_commit(dir, "c3"), *out;
	struct intruder in = { dir, c3, 0 };
	mc_notes_signer signer = { intruding_sign, &in, "Maestro Bot", "bot@example.com" };
	const char *t[] = { c1, c2 }, *l[] = { "one", "two" };
	mc_repo *repo = open_repo(dir);
	int appended = -1;

	append_ok(1, repo, c1, "first", &gpg_signer);
	ck_assert_int_eq(mc_notes_append_many(&appended, repo, MC_NOTES_REF, t, l, 2, &signer), 0);
	ck_assert_int_eq(appended, 2);
	ck_assert_int_eq(in.calls, 2);
	out = mc_test_git_out(dir, "notes", "--ref=maestro", "show", c1, NULL);
	ck_assert_str_eq(out, "first\none");
	free(out);
	out = mc_test_git_out(dir, "notes", "--ref=maestro", "show", c2, NULL);
	ck_assert_str_eq(out, "two");
	free(out);
	out = mc_test_git_out(dir, "notes", "--ref=maestro", "show", c3, NULL);
	ck_assert_str_eq(out, "intruder");
	free(out);
	out = mc_test_git_out(dir, "rev-list", "--count", "refs/notes/maestro", NULL);
	ck_assert_str_eq(out, "3");
	free(out);
	mc_repo_free(repo);
	mc_test_rmtree(dir);
	free(c1);
	free(c2);
	free(c3);
	free(dir);
}
END_TEST

START_TEST(history_reports_changed_targets_and_signatures)
{
	char *dir = new_repo(), *c1 = mc_test_commit(dir, "c1"), *c2 = mc_test_commit(dir, "c2");
	char *c3 = mc_test_commit(dir, "c3");
	mc_repo *repo = open_repo(dir);
	seen h;

	ck_assert_int_eq(mc_notes_history(repo, MC_NOTES_REF, collect_commit, &h), MC_ENOTFOUND);
	append_ok(1, repo, c1, "a", &gpg_signer);
	append_ok(1, repo, c2, "b", &gpg_signer);
	append_ok(1, repo, c1, "c", &gpg_signer);
	mc_test_git(dir, "notes", "--ref=maestro", "add", "-m", "by git", c3, NULL);
	h = history(repo, MC_NOTES_REF);
	ck_assert_uint_eq(h.n, 4);
	ck_assert(!h.v[0].signed_ && h.v[1].signed_ && h.v[2].signed_ && h.v[3].signed_);
	ck_assert_uint_eq(h.v[0].nchanged, 1);
	ck_assert_str_eq(h.v[0].changed[0], c3);
	ck_assert_str_eq(h.v[1].changed[0], c1);
	ck_assert_str_eq(h.v[2].changed[0], c2);
	ck_assert_str_eq(h.v[3].changed[0], c1);
	ck_assert_uint_eq(h.v[1].nchanged + h.v[2].nchanged + h.v[3].nchanged, 3);
	ck_assert_uint_eq(h.v[3].nparents, 0);
	ck_assert_str_eq(h.v[2].parents[0], h.v[3].oid);
	free(h.v);
	mc_repo_free(repo);
	mc_test_rmtree(dir);
	free(c1);
	free(c2);
	free(c3);
	free(dir);
}
END_TEST

/* Every target's note text on ref, "target note\n..." sorted by target. */
static int dump_note(void *ctx, const char *target, const char *note, size_t len)
{
	FILE *f = ctx;
	fprintf(f, "%s %zu:", target, len);
	fwrite(note, 1, len, f);
	fputc('\n', f);
	return 0;
}

static char *dump_notes(mc_repo *repo, const char *ref)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ck_assert_int_eq(mc_notes_foreach(repo, ref, dump_note, f), 0);
	fclose(f);
	return buf;
}

START_TEST(merge_is_what_git_notes_merge_cat_sort_uniq_makes)
{
	char *dir = new_repo(), *c[6], *base, *ours, *theirs, *tip, *mine, *git_merged;
	mc_repo *repo;
	int result = -1;
	seen h;
	size_t i;

	for (i = 0; i < 6; i++) {
		char msg[8];
		snprintf(msg, sizeof msg, "c%zu", i);
		c[i] = mc_test_commit(dir, msg);
	}
	repo = open_repo(dir);
	append_ok(1, repo, c[0], "base-0", &gpg_signer);
	append_ok(1, repo, c[4], "z-base-4", &gpg_signer);
	append_ok(1, repo, c[5], "base-5", &gpg_signer);
	base = mc_test_git_out(dir, "rev-parse", "refs/notes/maestro", NULL);
	mc_test_git(dir, "update-ref", "refs/notes/theirs", base, NULL);

	/* Already contained, and a fast-forward. */
	ck_assert_int_eq(mc_notes_merge(&result, repo, MC_NOTES_REF, base, &gpg_signer), 0);
	ck_assert_int_eq(result, 0);
	append_ok(1, repo, c[1], "ours-1", &gpg_signer);
	mc_test_git(dir, "update-ref", "refs/notes/behind", base, NULL);
	ck_assert_int_eq(mc_notes_merge(&result, repo, "refs/notes/behind", MC_NOTES_REF,
					&gpg_signer), 0);
	ck_assert_int_eq(result, 1);
	tip = mc_test_git_out(dir, "rev-parse", "refs/notes/behind", NULL);
	mine = mc_test_git_out(dir, "rev-parse", "refs/notes/maestro", NULL);
	ck_assert_str_eq(tip, mine);
	free(tip);
	free(mine);
	ck_assert_int_eq(mc_notes_merge(&result, repo, "refs/notes/behind", base, &gpg_signer), 0);
	ck_assert_int_eq(result, 0);
	/* Into a ref that does not exist yet: a fast-forward too. */
	ck_assert_int_eq(mc_notes_merge(&result, repo, "refs/notes/fresh", base, &gpg_signer), 0);
	ck_assert_int_eq(result, 1);

	/* Diverge: both append to c0 (conflict → sorted union), the same line to c2 on both
	 * sides (same change), theirs alone appends to c4 (taken as it is: not sorted), ours
	 * alone to c5, theirs adds c3. */
	append_ok(1, repo, c[0], "ours-0", &gpg_signer);
	append_ok(1, repo, c[2], "same-2", &gpg_signer);
	append_ok(1, repo, c[5], "ours-5", &gpg_signer);
	{
		/* theirs is written through a second ref with the same store */
		const char *ref = "refs/notes/theirs";
		int appended;
		ck_assert_int_eq(mc_notes_append(&appended, repo, ref, c[0], "a-theirs-0", &gpg_signer), 0);
		ck_assert_int_eq(mc_notes_append(&appended, repo, ref, c[0], "base-0", &gpg_signer), 0);
		ck_assert_int_eq(appended, 0);
		ck_assert_int_eq(mc_notes_append(&appended, repo, ref, c[2], "same-2", &gpg_signer), 0);
		ck_assert_int_eq(mc_notes_append(&appended, repo, ref, c[4], "a-theirs-4", &gpg_signer), 0);
		ck_assert_int_eq(mc_notes_append(&appended, repo, ref, c[3], "theirs-3", &gpg_signer), 0);
		ck_assert_int_eq(mc_notes_append(&appended, repo, ref, c[1], "theirs-1", &gpg_signer), 0);
	}
	ours = mc_test_git_out(dir, "rev-parse", "refs/notes/maestro", NULL);
	theirs = mc_test_git_out(dir, "rev-parse", "refs/notes/theirs", NULL);
	mc_test_git(dir, "update-ref", "refs/notes/bygit", ours, NULL);
	mc_test_git(dir, "notes", "--ref=bygit", "merge", "-q", "-s", "cat_sort_uniq",
		    "refs/notes/theirs", NULL);

	ck_assert_int_eq(mc_notes_merge(&result, repo, MC_NOTES_REF, "refs/notes/theirs",
					&gpg_signer), 0);
	ck_assert_int_eq(result, 2);
	mine = dump_notes(repo, MC_NOTES_REF);
	git_merged = dump_notes(repo, "refs/notes/bygit");
	ck_assert_str_eq(mine, git_merged);
	/* spot checks of the rules, in case git itself changed them */
	tip = read_joined(repo, MC_NOTES_REF, c[0]);
	ck_assert_str_eq(tip, "a-theirs-0\nbase-0\nours-0");
	free(tip);
	tip = read_joined(repo, MC_NOTES_REF, c[4]);
	ck_assert_str_eq(tip, "z-base-4\na-theirs-4");
	free(tip);
	mc_test_git(dir, "verify-commit", "refs/notes/maestro", NULL);
	h = history(repo, MC_NOTES_REF);
	ck_assert_uint_eq(h.v[0].nparents, 2);
	ck_assert_str_eq(h.v[0].parents[0], ours);
	ck_assert_str_eq(h.v[0].parents[1], theirs);
	ck_assert(h.v[0].signed_);
	/* Differs from ours in c0 c1 c3 c4, from theirs in c0 c5: c2 is the same on both. */
	ck_assert_uint_eq(h.v[0].nchanged, 5);
	for (i = 0; i < h.v[0].nchanged; i++)
		ck_assert_str_ne(h.v[0].changed[i], c[2]);
	free(h.v);
	/* Merging again: already contained. */
	ck_assert_int_eq(mc_notes_merge(&result, repo, MC_NOTES_REF, theirs, &gpg_signer), 0);
	ck_assert_int_eq(result, 0);

	free(mine);
	free(git_merged);
	free(base);
	free(ours);
	free(theirs);
	for (i = 0; i < 6; i++)
		free(c[i]);
	mc_repo_free(repo);
	mc_test_rmtree(dir);
	free(dir);
}
END_TEST

/* A child process: opens its own repository and appends 500 records, every other one to
 * the shared commit, the rest to its own. Exits 0 when all were appended. */
static void appender(const char *dir, const char *shared, const char *own, int who)
{
	mc_repo *repo = NULL;
	int i, appended;

	if (mc_repo_open(&repo, dir) != 0)
		_exit(2);
	for (i = 0; i < 500; i++) {
		char line[64];
		snprintf(line, sizeof line, "{\"writer\":%d,\"i\":%d}", who, i);
		if (mc_notes_append(&appended, repo, MC_NOTES_REF, i % 2 ? own : shared, line,
				    &gpg_signer) != 0 || !appended) {
			fprintf(stderr, "writer %d record %d: %s\n", who, i, mc_error_message());
			_exit(1);
		}
	}
	mc_repo_free(repo);
	_exit(0);
}

START_TEST(two_processes_appending_at_once_lose_nothing)
{
	char *dir = new_repo(), *shared = mc_test_commit(dir, "shared");
	char *own[2] = { mc_test_commit(dir, "own0"), mc_test_commit(dir, "own1") }, *out;
	pid_t pid[2];
	mc_repo *repo;
	char **lines;
	size_t n, i;
	seen h;
	int w, status;

	for (w = 0; w < 2; w++) {
		pid[w] = fork();
		ck_assert_int_ge(pid[w], 0);
		if (pid[w] == 0)
			appender(dir, shared, own[w], w);
	}
	for (w = 0; w < 2; w++) {
		ck_assert_int_eq(waitpid(pid[w], &status, 0), pid[w]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "writer %d failed", w);
	}

	repo = open_repo(dir);
	ck_assert_int_eq(mc_notes_read(&lines, &n, repo, MC_NOTES_REF, shared), 0);
	ck_assert_uint_eq(n, 500);
	mc_notes_lines_free(lines, n);
	for (w = 0; w < 2; w++) {
		ck_assert_int_eq(mc_notes_read(&lines, &n, repo, MC_NOTES_REF, own[w]), 0);
		ck_assert_uint_eq(n, 250);
		for (i = 0; i < n; i++) {
			char expect[64];
			snprintf(expect, sizeof expect, "{\"writer\":%d,\"i\":%zu}", w, 2 * i + 1);
			ck_assert_str_eq(lines[i], expect); /* in each writer's order */
		}
		mc_notes_lines_free(lines, n);
	}
	/* One commit per record, each on the one before: linear, nothing overwritten. */
	h = history(repo, MC_NOTES_REF);
	ck_assert_uint_eq(h.n, 1000);
	for (i = 0; i < h.n; i++) {
		ck_assert(h.v[i].signed_);
		ck_assert_uint_eq(h.v[i].nchanged, 1);
		if (i + 1 < h.n) {
			ck_assert_uint_eq(h.v[i].nparents, 1);
			ck_assert_str_eq(h.v[i].parents[0], h.v[i + 1].oid);
		} else {
			ck_assert_uint_eq(h.v[i].nparents, 0);
		}
	}
	free(h.v);
	/* and git finds every signature good */
	ck_assert_int_eq(sh(&out, dir, "git log --format=%%G? refs/notes/maestro | sort | uniq -c | "
			    "awk '{print $1, $2}'"), 0);
	ck_assert_str_eq(out, "1000 G\n");
	free(out);
	ck_assert_int_eq(sh(&out, dir, "git rev-list --merges refs/notes/maestro | wc -l"), 0);
	ck_assert_str_eq(out, "0\n");
	free(out);
	mc_repo_free(repo);
	mc_test_rmtree(dir);
	free(shared);
	free(own[0]);
	free(own[1]);
	free(dir);
}
END_TEST

/*
 * A writer outside maestro's lock exercises the compare-and-swap itself. It cannot be a
 * plain `git notes append`: git moves the notes ref without checking its old value and
 * may overwrite a concurrent writer's commit. So the other writer is plain git doing its
 * own compare-and-swap: git notes on a scratch copy of the tip, then
 * `git update-ref <ref> <new> <old>`, retried (bounded) when the ref moved.
 */
START_TEST(racing_a_plain_git_writer_loses_nothing)
{
	char *dir = new_repo(), *shared = mc_test_commit(dir, "shared"), *own = mc_test_commit(dir, "own");
	char *out, **lines;
	size_t n;
	pid_t pid;
	int status, i, appended;
	mc_repo *repo;
	seen h;

	repo = open_repo(dir);
	append_ok(1, repo, shared, "start", &gpg_signer);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char cmd[1024];
		snprintf(cmd, sizeof cmd,
			 "cd '%s' && for i in $(seq 100); do t=0; "
			 "until old=$(git rev-parse refs/notes/maestro) && "
			 "git update-ref refs/notes/scratch $old && "
			 "git notes --ref=scratch append -m \"git-$i\" %s && "
			 "git update-ref refs/notes/maestro $(git rev-parse refs/notes/scratch) $old "
			 "2>/dev/null; do t=$((t+1)); [ $t -lt 1000 ] || exit 1; done; done",
			 dir, shared);
		_exit(system(cmd) == 0 ? 0 : 1);
	}
	for (i = 0; i < 200; i++) {
		char line[32];
		snprintf(line, sizeof line, "ours-%d", i);
		ck_assert_msg(mc_notes_append(&appended, repo, MC_NOTES_REF, i % 2 ? own : shared,
					      line, &gpg_signer) == 0, "%s", mc_error_message());
		ck_assert_int_eq(appended, 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "git's writer failed");

	ck_assert_int_eq(mc_notes_read(&lines, &n, repo, MC_NOTES_REF, shared), 0);
	ck_assert_uint_eq(n, 201); /* the first, 100 of ours, 100 of git's */
	mc_notes_lines_free(lines, n);
	ck_assert_int_eq(mc_notes_read(&lines, &n, repo, MC_NOTES_REF, own), 0);
	ck_assert_uint_eq(n, 100);
	mc_notes_lines_free(lines, n);
	h = history(repo, MC_NOTES_REF);
	ck_assert_uint_eq(h.n, 301);
	for (i = 0; i + 1 < (int)h.n; i++)
		ck_assert_str_eq(h.v[i].parents[0], h.v[i + 1].oid);
	free(h.v);
	ck_assert_int_eq(sh(&out, dir, "git log --format=%%G? refs/notes/maestro | sort | uniq -c | "
			    "awk '{print $1, $2}'"), 0);
	ck_assert_str_eq(out, "201 G\n100 N\n"); /* git's own commits are unsigned */
	free(out);
	mc_repo_free(repo);
	mc_test_rmtree(dir);
	free(shared);
	free(own);
	free(dir);
}
END_TEST

/* A throwaway signing key in a short GNUPGHOME (gpg-agent's socket path must stay short). */
static void make_gnupghome(void)
{
	char cmd[256];
	snprintf(gnupghome, sizeof gnupghome, "/tmp/mcg-XXXXXX");
	if (!mkdtemp(gnupghome)) {
		perror("mkdtemp");
		exit(1);
	}
	setenv("GNUPGHOME", gnupghome, 1);
	snprintf(cmd, sizeof cmd, "gpg --batch --passphrase '' --quick-gen-key "
		 "'T <t@example.com>' ed25519 sign never 2>/dev/null");
	if (system(cmd) != 0) {
		fprintf(stderr, "gpg could not make a test key\n");
		exit(1);
	}
}

static void remove_gnupghome(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "gpgconf --homedir %s --kill all", gnupghome);
	if (system(cmd) != 0)
		fprintf(stderr, "gpgconf --kill failed\n");
	mc_test_rmtree(gnupghome);
}

int main(void)
{
	Suite *s = suite_create("notes");
	TCase *store = tcase_create("store");
	TCase *merge = tcase_create("merge");
	TCase *reliability = tcase_create("reliability");
	int rc;

	git_libgit2_init();
	make_gnupghome();
	tcase_add_test(store, append_writes_signed_commits_git_verifies);
	tcase_add_test(store, bad_input_and_a_failing_signer_write_nothing);
	tcase_add_test(store, many_notes_fan_out_and_interoperate_with_git_notes);
	tcase_add_test(store, a_ref_moved_underneath_is_reread_not_overwritten);
	tcase_add_test(store, history_reports_changed_targets_and_signatures);
	tcase_add_test(store, append_many_is_one_signed_commit_with_each_line_once);
	tcase_add_test(store, append_many_rereads_a_moved_ref);
	tcase_add_test(merge, merge_is_what_git_notes_merge_cat_sort_uniq_makes);
	tcase_add_test(reliability, two_processes_appending_at_once_lose_nothing);
	tcase_add_test(reliability, racing_a_plain_git_writer_loses_nothing);
	tcase_set_timeout(store, 120);
	tcase_set_timeout(merge, 120);
	tcase_set_timeout(reliability, 400);
	suite_add_tcase(s, store);
	suite_add_tcase(s, merge);
	suite_add_tcase(s, reliability);
	rc = mc_test_run(s);
	remove_gnupghome();
	git_libgit2_shutdown();
	return rc;
}
