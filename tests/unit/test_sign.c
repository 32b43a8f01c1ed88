/*
 * Unit tests for the signing adapter (adapters/sign: gpg, dsse) with the real gpg.
 *
 * Every test gets its own GNUPGHOME under one base directory that main() makes and,
 * after all tests ran (each in its own process, so even after failures), removes,
 * stopping each home's gpg-agent first. mkdtemp under /tmp keeps the agent's socket
 * path well under the 108-byte limit of a unix socket name.
 * Each home's gpg-agent.conf names /bin/false as its pinentry, so nothing can ever
 * wait for a person.
 */
#include <dirent.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "adapters/sign/dsse.h"
#include "adapters/sign/gpg.h"
#include "testutil.h"
#include "util/error.h"
#include "util/strbuf.h"

static char base_dir[] = "/tmp/mcs-XXXXXX";

static int make_base(void)
{
	if (mkdtemp(base_dir))
		return 0;
	perror("mkdtemp");
	return -1;
}

/* Run argv (NULL-terminated) in dir with stderr discarded; returns the exit status (-1
 * when it could not run) and, when out is not NULL, stdout (free() it). No shell: an argv
 * vector, like maestro. Uses no ck_assert, so main() may call it outside tests. */
static int run(char **out, const char *dir, const char *const *argv)
{
	int pipefd[2], status;
	mc_strbuf sb = MC_STRBUF_INIT;
	char chunk[4096];
	ssize_t got;
	pid_t pid;

	if (out)
		*out = NULL;
	if (pipe(pipefd) != 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (dir && chdir(dir) != 0)
			_exit(127);
		dup2(pipefd[1], STDOUT_FILENO);
		close(pipefd[0]);
		close(pipefd[1]);
		if (!freopen("/dev/null", "w", stderr) || !freopen("/dev/null", "r", stdin))
			_exit(127);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(pipefd[1]);
	while ((got = read(pipefd[0], chunk, sizeof chunk)) > 0)
		mc_strbuf_add(&sb, chunk, (size_t)got);
	close(pipefd[0]);
	if (waitpid(pid, &status, 0) != pid)
		status = -1;
	if (out)
		*out = mc_strbuf_detach(&sb);
	mc_strbuf_release(&sb);
	return status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void kill_agents_and_remove_base(void)
{
	DIR *d = opendir(base_dir);
	struct dirent *e;
	char home[512];
	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(home, sizeof home, "%s/%s", base_dir, e->d_name);
		{
			const char *argv[] = { "gpgconf", "--homedir", home, "--kill", "all", NULL };
			run(NULL, NULL, argv);
		}
	}
	closedir(d);
	mc_test_rmtree(base_dir);
}

/* A fresh GNUPGHOME (free() it). */
static char *new_home(void)
{
	char *home;
	ck_assert_int_ge(asprintf(&home, "%s/h-XXXXXX", base_dir), 0);
	ck_assert_ptr_nonnull(mkdtemp(home));
	mc_test_write(home, "gpg-agent.conf", "pinentry-program /bin/false\n");
	return home;
}

static char *keygen(const char *home, const char *userid)
{
	char fpr[41];
	int rc = mc_gpg_keygen(fpr, home, userid, 0);
	ck_assert_msg(rc == 0, "keygen: %s", mc_error_message());
	return strdup(fpr);
}

static mc_gpg *open_signer(const char *home, const char *fpr)
{
	mc_gpg_options opt = { home, fpr };
	mc_gpg *g = NULL;
	int rc = mc_gpg_open(&g, &opt);
	ck_assert_msg(rc == 0, "mc_gpg_open: %s", mc_error_message());
	return g;
}

/* Run gpg with --homedir home and the given arguments (at most 16); returns its status. */
static int gpg(char **out, const char *home, const char *const *args)
{
	const char *argv[24] = { "gpg", "--homedir", home, "--batch", "--no-tty" };
	size_t n = 5, i;
	for (i = 0; args[i]; i++) {
		ck_assert_uint_lt(n, 23);
		argv[n++] = args[i];
	}
	argv[n] = NULL;
	return run(out, NULL, argv);
}

/* The fingerprints in `gpg --with-colons --list-keys who`: index 0 the primary key,
 * then its subkeys in order. */
static char *fingerprint_at(const char *home, const char *who, int index)
{
	const char *args[] = { "--with-colons", "--list-keys", who, NULL };
	char *out, *line, *save = NULL, *found = NULL;
	int seen = 0;
	ck_assert_int_eq(gpg(&out, home, args), 0);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "fpr:", 4))
			continue;
		if (seen++ == index) {
			char *end;
			found = line + strlen("fpr:::::::::");
			end = strchr(found, ':');
			if (end)
				*end = '\0';
			found = strdup(found);
			break;
		}
	}
	free(out);
	ck_assert_msg(found != NULL, "no fingerprint %d for %s", index, who);
	return found;
}

/* One line of `gpg --with-colons --list-keys fpr` starting with prefix ("pub:"). */
static char *colon_line(const char *home, const char *fpr, const char *prefix)
{
	const char *args[] = { "--with-colons", "--list-keys", fpr, NULL };
	char *out, *line, *save = NULL, *found = NULL;
	ck_assert_int_eq(gpg(&out, home, args), 0);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (!strncmp(line, prefix, strlen(prefix)) && !found)
			found = strdup(line);
	free(out);
	ck_assert_msg(found != NULL, "no %s line for %s", prefix, fpr);
	return found;
}

/* Field n (1-based, as in gpg's DETAILS) of a colon-separated line (free() it). */
static char *colon_field(const char *line, int n)
{
	const char *p = line, *end;
	while (--n > 0) {
		p = strchr(p, ':');
		ck_assert_ptr_nonnull(p);
		p++;
	}
	end = strchr(p, ':');
	return strndup(p, end ? (size_t)(end - p) : strlen(p));
}

static void assert_one_line(const char *msg)
{
	ck_assert_msg(*msg && !strchr(msg, '\n'), "not one line: '%s'", msg);
}

static void lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'F')
			*s = (char)(*s - 'A' + 'a');
}

static const char DATA[] = "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nrecord 1\n";

START_TEST(sign_verify_round_trip_in_both_armor_modes)
{
	char *home = new_home(), *fpr = keygen(home, "Maestro Bot <maestro@example.com>");
	mc_gpg *g = open_signer(home, fpr);
	char *sig, pin[41], got[41];
	const char *pins[] = { pin };
	size_t siglen;
	int armor;

	ck_assert_str_eq(mc_gpg_signing_fingerprint(g), fpr);
	memcpy(pin, fpr, 41);
	lower(pin); /* pins match whatever the case */
	for (armor = 0; armor <= 1; armor++) {
		ck_assert_int_eq(mc_gpg_sign(g, DATA, strlen(DATA), armor, &sig, &siglen), 0);
		ck_assert_uint_gt(siglen, 0);
		ck_assert_int_eq(!strncmp(sig, "-----BEGIN PGP SIGNATURE-----\n", 30), armor);
		ck_assert_int_eq(mc_gpg_verify(g, DATA, strlen(DATA), sig, siglen, pins, 1, got), 0);
		ck_assert_str_eq(got, fpr);
		free(sig);
	}
	mc_gpg_free(g);
	free(fpr);
	free(home);
}
END_TEST

START_TEST(verify_only_context_cannot_sign)
{
	char *home = new_home(), *fpr = keygen(home, "A <a@example.com>");
	mc_gpg *signer = open_signer(home, fpr), *verifier = open_signer(home, NULL);
	const char *pins[] = { fpr };
	char *sig, got[41];
	size_t siglen;

	ck_assert_ptr_null(mc_gpg_signing_fingerprint(verifier));
	ck_assert_int_eq(mc_gpg_sign(verifier, "x", 1, 0, &sig, &siglen), MC_EINVAL);
	ck_assert_int_eq(mc_gpg_sign(signer, "x", 1, 0, &sig, &siglen), 0);
	ck_assert_int_eq(mc_gpg_verify(verifier, "x", 1, sig, siglen, pins, 1, got), 0);
	ck_assert_str_eq(got, fpr);
	free(sig);
	mc_gpg_free(signer);
	mc_gpg_free(verifier);
	free(fpr);
	free(home);
}
END_TEST

/* gpg itself, and git through gpg, accept the armored signatures: what an auditor runs. */
START_TEST(gpg_and_git_verify_armored_signatures)
{
	char *home = new_home(), *fpr = keygen(home, "A <a@example.com>");
	mc_gpg *g = open_signer(home, fpr);
	char *repo = mc_test_tmpdir(), *sig, *tree, *commit, *sigfile, *datafile, *id;
	mc_strbuf body = MC_STRBUF_INIT, signed_commit = MC_STRBUF_INIT;
	const char *p;
	size_t siglen;

	/* Plain gpg on a detached signature. */
	ck_assert_int_eq(mc_gpg_sign(g, DATA, strlen(DATA), 1, &sig, &siglen), 0);
	mc_test_write(home, "data", DATA);
	mc_test_write_bytes(home, "data.asc", sig, siglen);
	ck_assert_int_ge(asprintf(&sigfile, "%s/data.asc", home), 0);
	ck_assert_int_ge(asprintf(&datafile, "%s/data", home), 0);
	{
		const char *args[] = { "--verify", sigfile, datafile, NULL };
		ck_assert_int_eq(gpg(NULL, home, args), 0);
		mc_test_write(home, "data", "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nrecord 2\n");
		ck_assert_int_ne(gpg(NULL, home, args), 0);
	}
	free(sig);

	/* A commit with a gpgsig header, as the notes store will write them. */
	mc_test_git_init(repo, "main");
	free(mc_test_commit(repo, "base"));
	tree = mc_test_git_out(repo, "rev-parse", "HEAD^{tree}", NULL);
	mc_strbuf_printf(&body,
			 "tree %s\nauthor Bot <b@example.com> 1700000000 +0000\n"
			 "committer Bot <b@example.com> 1700000000 +0000\n",
			 tree);
	ck_assert_int_eq(mc_gpg_sign(g, "x", 0, 1, &sig, &siglen), 0); /* empty data works */
	free(sig);
	{
		mc_strbuf to_sign = MC_STRBUF_INIT;
		mc_strbuf_printf(&to_sign, "%s\nevidence\n", body.buf);
		ck_assert_int_eq(mc_gpg_sign(g, to_sign.buf, to_sign.len, 1, &sig, &siglen), 0);
		mc_strbuf_release(&to_sign);
	}
	mc_strbuf_puts(&signed_commit, body.buf);
	mc_strbuf_puts(&signed_commit, "gpgsig");
	for (p = sig; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		mc_strbuf_putc(&signed_commit, ' ');
		mc_strbuf_add(&signed_commit, p, n);
		mc_strbuf_putc(&signed_commit, '\n');
		p += n + (nl ? 1 : 0);
	}
	free(sig);
	commit = strdup(signed_commit.buf);
	mc_strbuf_printf(&signed_commit, "\nevidence\n");
	mc_test_write(repo, ".git/signed-commit", signed_commit.buf);
	id = mc_test_git_out(repo, "hash-object", "-w", "-t", "commit", ".git/signed-commit", NULL);
	setenv("GNUPGHOME", home, 1); /* this test runs in its own process */
	{
		const char *argv[] = { "git", "verify-commit", id, NULL };
		ck_assert_int_eq(run(NULL, repo, argv), 0);
	}
	free(id);
	/* The same signature on another message must not verify: the check can fail. */
	mc_strbuf_reset(&signed_commit);
	mc_strbuf_printf(&signed_commit, "%s\nforged\n", commit);
	mc_test_write(repo, ".git/signed-commit", signed_commit.buf);
	id = mc_test_git_out(repo, "hash-object", "-w", "-t", "commit", ".git/signed-commit", NULL);
	{
		const char *argv[] = { "git", "verify-commit", id, NULL };
		ck_assert_int_ne(run(NULL, repo, argv), 0);
	}
	free(id);
	free(commit);
	free(tree);
	mc_strbuf_release(&body);
	mc_strbuf_release(&signed_commit);
	mc_test_rmtree(repo);
	free(repo);
	free(sigfile);
	free(datafile);
	mc_gpg_free(g);
	free(fpr);
	free(home);
}
END_TEST

START_TEST(tampered_data_or_signature_does_not_verify)
{
	char *home = new_home(), *fpr = keygen(home, "A <a@example.com>");
	mc_gpg *g = open_signer(home, fpr);
	const char *pins[] = { fpr };
	char *sig, got[41];
	size_t siglen;

	ck_assert_int_eq(mc_gpg_sign(g, DATA, strlen(DATA), 0, &sig, &siglen), 0);
	ck_assert_int_eq(mc_gpg_verify(g, "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nrecord 2\n",
				       strlen(DATA), sig, siglen, pins, 1, got),
			 MC_EVERIFY);
	ck_assert_msg(strstr(mc_error_message(), "bad signature"), "%s", mc_error_message());
	ck_assert_str_eq(got, "");
	/* The last bytes of the signature packet are the signature value itself. */
	sig[siglen - 3] ^= 0x01;
	ck_assert_int_eq(mc_gpg_verify(g, DATA, strlen(DATA), sig, siglen, pins, 1, got),
			 MC_EVERIFY);
	ck_assert_int_eq(mc_gpg_verify(g, DATA, strlen(DATA), "not a signature", 15, pins, 1, got),
			 MC_EVERIFY);
	ck_assert_msg(strstr(mc_error_message(), "no signature"), "%s", mc_error_message());
	ck_assert_int_eq(mc_gpg_verify(g, DATA, strlen(DATA), "", 0, pins, 1, got), MC_EVERIFY);
	ck_assert_str_eq(mc_error_message(), "no signature");
	free(sig);
	mc_gpg_free(g);
	free(fpr);
	free(home);
}
END_TEST

static char *read_whole(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = malloc(65536);
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(buf);
	*len = fread(buf, 1, 65536, f);
	fclose(f);
	return buf;
}

/* Made by gpg itself: a signed message carrying other data (not detached), and one
 * detached signature file holding two signatures. Neither is one detached signature. */
START_TEST(only_exactly_one_detached_signature_verifies)
{
	char *home = new_home(), *a = keygen(home, "A <a@example.com>");
	char *b = keygen(home, "B <b@example.com>"), *evil, *data, *out;
	mc_gpg *g = open_signer(home, NULL);
	const char *pins[] = { a, b };
	char *sig, got[41];
	size_t siglen;

	mc_test_write(home, "evil", "tree 0000\n");
	mc_test_write(home, "data", DATA);
	ck_assert_int_ge(asprintf(&evil, "%s/evil", home), 0);
	ck_assert_int_ge(asprintf(&data, "%s/data", home), 0);
	ck_assert_int_ge(asprintf(&out, "%s/out.sig", home), 0);
	{
		const char *attached[] = { "-u", a, "--sign", "-o", out, evil, NULL };
		ck_assert_int_eq(gpg(NULL, home, attached), 0);
	}
	sig = read_whole(out, &siglen);
	ck_assert_int_eq(mc_gpg_verify(g, DATA, strlen(DATA), sig, siglen, pins, 2, got),
			 MC_EVERIFY);
	free(sig);
	unlink(out);
	{
		const char *twice[] = { "-u", a, "-u", b, "--detach-sign", "-o", out, data, NULL };
		ck_assert_int_eq(gpg(NULL, home, twice), 0);
	}
	sig = read_whole(out, &siglen);
	ck_assert_int_eq(mc_gpg_verify(g, DATA, strlen(DATA), sig, siglen, pins, 2, got),
			 MC_EVERIFY);
	ck_assert_msg(strstr(mc_error_message(), "2 signatures"), "%s", mc_error_message());
	free(sig);
	free(evil);
	free(data);
	free(out);
	mc_gpg_free(g);
	free(a);
	free(b);
	free(home);
}
END_TEST

/* keygen marks its keys ultimately trusted, so B is as trusted as gpg can make it: the
 * pin list alone decides. */
START_TEST(good_signature_by_unpinned_trusted_key_is_rejected)
{
	char *home = new_home(), *a = keygen(home, "A <a@example.com>");
	char *b = keygen(home, "B <b@example.com>"), *pub, *validity;
	mc_gpg *gb = open_signer(home, b);
	const char *only_a[] = { a }, *both[] = { a, b };
	char *sig, got[41];
	size_t siglen;

	pub = colon_line(home, b, "pub:");
	validity = colon_field(pub, 2);
	ck_assert_str_eq(validity, "u");
	ck_assert_int_eq(mc_gpg_sign(gb, DATA, strlen(DATA), 0, &sig, &siglen), 0);
	ck_assert_int_eq(mc_gpg_verify(gb, DATA, strlen(DATA), sig, siglen, only_a, 1, got),
			 MC_EVERIFY);
	ck_assert_msg(strstr(mc_error_message(), b) && strstr(mc_error_message(), "not pinned"),
		      "%s", mc_error_message());
	ck_assert_int_eq(mc_gpg_verify(gb, DATA, strlen(DATA), sig, siglen, NULL, 0, got),
			 MC_EVERIFY);
	ck_assert_int_eq(mc_gpg_verify(gb, DATA, strlen(DATA), sig, siglen, both, 2, got), 0);
	ck_assert_str_eq(got, b);
	free(sig);
	free(pub);
	free(validity);
	mc_gpg_free(gb);
	free(a);
	free(b);
	free(home);
}
END_TEST

START_TEST(pinning_a_signing_subkey_works)
{
	char *home = new_home(), *primary = keygen(home, "A <a@example.com>"), *sub, *other;
	const char *add[] = { "--passphrase", "", "--quick-add-key", primary, "ed25519", "sign",
			      NULL };
	mc_gpg *g;
	char *sig, got[41], subpin[41];
	const char *by_sub[] = { subpin }, *by_primary[] = { primary }, *by_other[1];
	size_t siglen;

	ck_assert_int_eq(gpg(NULL, home, add), 0);
	sub = fingerprint_at(home, primary, 1);
	ck_assert_str_ne(sub, primary);
	other = keygen(home, "O <o@example.com>");
	by_other[0] = other;
	memcpy(subpin, sub, 41);
	lower(subpin);
	g = open_signer(home, primary);
	/* gpg signs with the newest signing subkey. */
	ck_assert_int_eq(mc_gpg_sign(g, DATA, strlen(DATA), 0, &sig, &siglen), 0);
	ck_assert_int_eq(mc_gpg_verify(g, DATA, strlen(DATA), sig, siglen, by_sub, 1, got), 0);
	ck_assert_str_eq(got, primary); /* the primary's fingerprint, whichever was pinned */
	ck_assert_int_eq(mc_gpg_verify(g, DATA, strlen(DATA), sig, siglen, by_primary, 1, got), 0);
	ck_assert_str_eq(got, primary);
	ck_assert_int_eq(mc_gpg_verify(g, DATA, strlen(DATA), sig, siglen, by_other, 1, got),
			 MC_EVERIFY);
	ck_assert_msg(strstr(mc_error_message(), primary) && strstr(mc_error_message(), sub),
		      "%s", mc_error_message());
	free(sig);
	mc_gpg_free(g);
	free(sub);
	free(other);
	free(primary);
	free(home);
}
END_TEST

START_TEST(expired_key_fails_to_open_but_its_earlier_signatures_hold)
{
	char *home = new_home(), *fpr;
	const char *make[] = { "--passphrase", "", "--faked-system-time", "20200101T000000",
			       "--quick-gen-key", "Expired <e@example.com>", "ed25519", "sign", "1d",
			       NULL };
	mc_gpg_options opt = { home, NULL };
	mc_gpg *g = NULL, *verifier;
	char *sigfile, *datafile, *sig = NULL, got[41];
	size_t siglen = 0;

	ck_assert_int_eq(gpg(NULL, home, make), 0);
	fpr = fingerprint_at(home, "Expired <e@example.com>", 0);
	opt.signing_key = fpr;
	ck_assert_int_eq(mc_gpg_open(&g, &opt), MC_EENV);
	ck_assert_ptr_null(g);
	assert_one_line(mc_error_message());
	ck_assert_msg(strstr(mc_error_message(), fpr) &&
			      strstr(mc_error_message(), "has expired on 2020-01-02"),
		      "%s", mc_error_message());

	/* A signature made while the key was valid: gpg now says the key has expired, and
	 * the record it signed is still a record of that time. */
	mc_test_write(home, "data", DATA);
	ck_assert_int_ge(asprintf(&sigfile, "%s/data.sig", home), 0);
	ck_assert_int_ge(asprintf(&datafile, "%s/data", home), 0);
	{
		const char *sign[] = { "--faked-system-time", "20200101T120000", "-u", fpr,
				       "--detach-sign", "-o", sigfile, datafile, NULL };
		FILE *f;
		ck_assert_int_eq(gpg(NULL, home, sign), 0);
		f = fopen(sigfile, "rb");
		ck_assert_ptr_nonnull(f);
		sig = malloc(4096);
		siglen = fread(sig, 1, 4096, f);
		fclose(f);
	}
	verifier = open_signer(home, NULL);
	{
		const char *pins[] = { fpr };
		ck_assert_msg(mc_gpg_verify(verifier, DATA, strlen(DATA), sig, siglen, pins, 1, got) == 0,
			      "%s", mc_error_message());
		ck_assert_str_eq(got, fpr);
		/* and the data it covers still matters */
		ck_assert_int_eq(mc_gpg_verify(verifier, "other", 5, sig, siglen, pins, 1, got),
				 MC_EVERIFY);
	}
	mc_gpg_free(verifier);
	free(sig);
	free(sigfile);
	free(datafile);
	free(fpr);
	free(home);
}
END_TEST

/* Bounded by this test case's timeout: a prompt that waited would fail the test. */
START_TEST(passphrase_protected_key_fails_fast)
{
	static const char secret[] = "correct horse battery staple";
	char *home = new_home(), *fpr, *pinentry, *conf;
	const char *make[] = { "--pinentry-mode", "loopback", "--passphrase", secret,
			       "--quick-gen-key", "Protected <p@example.com>", "ed25519", "sign",
			       "0", NULL };
	const char *kill[] = { "gpgconf", "--homedir", home, "--kill", "gpg-agent", NULL };
	mc_gpg_options opt = { home, NULL };
	mc_gpg *g = NULL;

	unsetenv("GPG_TTY");
	unsetenv("DISPLAY");
	ck_assert_int_eq(gpg(NULL, home, make), 0);
	/* A pinentry that never answers, like a curses one without a terminal or a GUI one
	 * nobody looks at: only never asking for a passphrase gets past it. */
	ck_assert_int_ge(asprintf(&pinentry, "%s/pinentry-waits", home), 0);
	mc_test_write(home, "pinentry-waits", "#!/bin/sh\nexec sleep 120\n");
	ck_assert_int_eq(chmod(pinentry, 0755), 0);
	ck_assert_int_ge(asprintf(&conf, "pinentry-program %s\n", pinentry), 0);
	mc_test_write(home, "gpg-agent.conf", conf);
	/* A fresh agent has no cached passphrase. */
	ck_assert_int_eq(run(NULL, NULL, kill), 0);
	fpr = fingerprint_at(home, "Protected <p@example.com>", 0);
	opt.signing_key = fpr;
	ck_assert_int_eq(mc_gpg_open(&g, &opt), MC_EENV);
	assert_one_line(mc_error_message());
	ck_assert_msg(strstr(mc_error_message(), "passphrase") && strstr(mc_error_message(), fpr),
		      "%s", mc_error_message());
	ck_assert_ptr_null(strstr(mc_error_message(), secret));
	free(pinentry);
	free(conf);
	free(fpr);
	free(home);
}
END_TEST

START_TEST(missing_key_fails_with_one_line)
{
	char *home = new_home(), *other_home = new_home(), *fpr = keygen(home, "A <a@example.com>");
	const char *absent = "0123456789ABCDEF0123456789ABCDEF01234567";
	mc_gpg_options opt = { home, absent };
	mc_gpg *g = NULL;
	char *pubfile;

	ck_assert_int_eq(mc_gpg_open(&g, &opt), MC_EENV);
	assert_one_line(mc_error_message());
	ck_assert_msg(strstr(mc_error_message(), "no secret key 0123456789ABCDEF") &&
			      strstr(mc_error_message(), home),
		      "%s", mc_error_message());

	/* Only the public half in the keyring. */
	ck_assert_int_ge(asprintf(&pubfile, "%s/pub.gpg", other_home), 0);
	{
		const char *exp[] = { "--export", "-o", pubfile, fpr, NULL };
		const char *imp[] = { "--import", pubfile, NULL };
		ck_assert_int_eq(gpg(NULL, home, exp), 0);
		ck_assert_int_eq(gpg(NULL, other_home, imp), 0);
	}
	opt.gnupghome = other_home;
	opt.signing_key = fpr;
	ck_assert_int_eq(mc_gpg_open(&g, &opt), MC_EENV);
	assert_one_line(mc_error_message());
	ck_assert_msg(strstr(mc_error_message(), "no secret key") && strstr(mc_error_message(), fpr),
		      "%s", mc_error_message());

	opt.signing_key = "not-a-fingerprint";
	ck_assert_int_eq(mc_gpg_open(&g, &opt), MC_EINVAL);
	ck_assert_ptr_null(g);
	free(pubfile);
	free(fpr);
	free(other_home);
	free(home);
}
END_TEST

/*
 * No gpg-agent can be started: gpg.conf names an agent program that does not exist.
 * That is the machine where gpg was installed without the gpg-agent package (Debian's
 * `gpg` only recommends it, so --no-install-recommends leaves it out). The obvious
 * alternative, a GNUPGHOME where the agent cannot create its socket, cannot be made
 * here: the tests may run as root, whom permissions do not stop.
 */
START_TEST(no_gpg_agent_fails_with_one_line)
{
	char *home = new_home(), *fpr = keygen(home, "A <a@example.com>"), out[41];
	const char *kill[] = { "gpgconf", "--homedir", home, "--kill", "gpg-agent", NULL };
	mc_gpg_options opt = { home, fpr };
	mc_gpg *g = NULL;

	ck_assert_int_eq(run(NULL, NULL, kill), 0);
	mc_test_write(home, "gpg.conf", "agent-program /nonexistent/gpg-agent\n");
	ck_assert_int_eq(mc_gpg_open(&g, &opt), MC_EENV);
	ck_assert_ptr_null(g);
	assert_one_line(mc_error_message());
	ck_assert_msg(strstr(mc_error_message(), "gpg-agent could not be started"), "%s",
		      mc_error_message());
	ck_assert_int_eq(mc_gpg_keygen(out, home, "B <b@example.com>", 0), MC_EENV);
	assert_one_line(mc_error_message());
	ck_assert_msg(strstr(mc_error_message(), "gpg-agent could not be started"), "%s",
		      mc_error_message());
	/* Verifying needs no agent. */
	g = open_signer(home, NULL);
	mc_gpg_free(g);
	free(fpr);
	free(home);
}
END_TEST

START_TEST(keygen_makes_a_usable_sign_only_key)
{
	char *home = new_home(), *nested, fpr[41], *pub, *field;
	mc_gpg *g;
	char *sig, got[41];
	const char *pins[] = { fpr };
	size_t siglen, i;

	/* A GNUPGHOME that does not exist yet is created. */
	ck_assert_int_ge(asprintf(&nested, "%s/new", home), 0);
	ck_assert_int_eq(mc_gpg_keygen(fpr, nested, "Maestro Bot <maestro@example.com>", 30), 0);
	ck_assert_uint_eq(strlen(fpr), 40);
	for (i = 0; i < 40; i++)
		ck_assert(strchr("0123456789ABCDEF", fpr[i]));
	pub = colon_line(nested, fpr, "pub:");
	field = colon_field(pub, 4); /* algorithm: 22 is EdDSA (ed25519) */
	ck_assert_str_eq(field, "22");
	free(field);
	field = colon_field(pub, 7); /* expiry: set, about 30 days out */
	ck_assert_str_ne(field, "");
	free(field);
	field = colon_field(pub, 12); /* capabilities: sign, never encrypt */
	ck_assert_msg(strchr(field, 'S') && !strchr(field, 'E') && !strchr(field, 'e'), "%s",
		      field);
	free(field);
	free(pub);
	g = open_signer(nested, fpr);
	ck_assert_int_eq(mc_gpg_sign(g, DATA, strlen(DATA), 0, &sig, &siglen), 0);
	ck_assert_int_eq(mc_gpg_verify(g, DATA, strlen(DATA), sig, siglen, pins, 1, got), 0);
	ck_assert_str_eq(got, fpr);
	free(sig);
	mc_gpg_free(g);

	ck_assert_int_eq(mc_gpg_keygen(fpr, nested, "Forever <f@example.com>", 0), 0);
	pub = colon_line(nested, fpr, "pub:");
	field = colon_field(pub, 7);
	ck_assert_str_eq(field, ""); /* no expiry */
	free(field);
	free(pub);
	ck_assert_int_eq(mc_gpg_keygen(fpr, nested, "", 0), MC_EINVAL);
	{
		const char *kill[] = { "gpgconf", "--homedir", nested, "--kill", "all", NULL };
		run(NULL, NULL, kill);
	}
	free(nested);
	free(home);
}
END_TEST

START_TEST(dsse_pae_matches_the_spec_vector)
{
	mc_strbuf sb = MC_STRBUF_INIT;
	static const char expect[] = "DSSEv1 29 http://example.com/HelloWorld 11 hello world";
	mc_dsse_pae(&sb, "http://example.com/HelloWorld", "hello world", 11);
	ck_assert_uint_eq(sb.len, strlen(expect));
	ck_assert_str_eq(sb.buf, expect);
	/* Lengths are bytes, and the body may hold any byte. */
	mc_strbuf_reset(&sb);
	mc_dsse_pae(&sb, "t\xc3\xa9", "a\0b", 3);
	ck_assert_uint_eq(sb.len, 18);
	ck_assert_int_eq(memcmp(sb.buf, "DSSEv1 3 t\xc3\xa9 3 a\0b", 18), 0);
	mc_strbuf_release(&sb);
}
END_TEST

/* The envelope as a json-c object, for the tests that take it apart. */
static struct json_object *parse(const char *text)
{
	struct json_object *o = json_tokener_parse(text);
	ck_assert_ptr_nonnull(o);
	return o;
}

static char *dump(struct json_object *o)
{
	return strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
}

static const char STATEMENT[] = "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[]}";

START_TEST(dsse_envelope_round_trip)
{
	char *home = new_home(), *fpr = keygen(home, "A <a@example.com>");
	mc_gpg *g = open_signer(home, fpr);
	const char *pins[] = { fpr };
	char *env, *payload, got[41], *pae_file, *sig_file;
	struct json_object *o, *s0;
	size_t len;
	mc_strbuf pae = MC_STRBUF_INIT;

	ck_assert_int_eq(mc_dsse_sign(&env, g, "http://example.com/HelloWorld", "hello world", 11),
			 0);
	ck_assert_ptr_null(strchr(env, '\n'));
	o = parse(env);
	ck_assert_int_eq(json_object_object_length(o), 3);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(o, "payloadType")),
			 "http://example.com/HelloWorld");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(o, "payload")),
			 "aGVsbG8gd29ybGQ=");
	s0 = json_object_array_get_idx(json_object_object_get(o, "signatures"), 0);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(s0, "keyid")), fpr);
	ck_assert_int_eq(mc_dsse_verify(&payload, &len, got, g, env, strlen(env), pins, 1), 0);
	ck_assert_uint_eq(len, 11);
	ck_assert_str_eq(payload, "hello world");
	ck_assert_str_eq(got, fpr);
	free(payload);

	/* The signature is plain OpenPGP over the PAE: gpg checks it on its own. */
	{
		char *sig_b64 = strdup(json_object_get_string(json_object_object_get(s0, "sig")));
		unsigned char sigbin[4096];
		int n;
		ck_assert_uint_lt(strlen(sig_b64), 4096);
		n = EVP_DecodeBlock(sigbin, (const unsigned char *)sig_b64, (int)strlen(sig_b64));
		ck_assert_int_gt(n, 0);
		n -= (int)(strchr(sig_b64, '=') ? strlen(strchr(sig_b64, '=')) : 0);
		mc_dsse_pae(&pae, "http://example.com/HelloWorld", "hello world", 11);
		mc_test_write_bytes(home, "pae", pae.buf, pae.len);
		mc_test_write_bytes(home, "pae.sig", sigbin, (size_t)n);
		ck_assert_int_ge(asprintf(&pae_file, "%s/pae", home), 0);
		ck_assert_int_ge(asprintf(&sig_file, "%s/pae.sig", home), 0);
		{
			const char *args[] = { "--verify", sig_file, pae_file, NULL };
			ck_assert_int_eq(gpg(NULL, home, args), 0);
		}
		free(sig_b64);
		free(pae_file);
		free(sig_file);
	}
	json_object_put(o);
	free(env);

	/* An in-toto statement, with the typed check; an empty payload too. */
	ck_assert_int_eq(mc_dsse_sign(&env, g, MC_DSSE_INTOTO_TYPE, STATEMENT, strlen(STATEMENT)),
			 0);
	ck_assert_int_eq(mc_dsse_verify_typed(&payload, &len, got, g, MC_DSSE_INTOTO_TYPE, env,
					      strlen(env), pins, 1),
			 0);
	ck_assert_str_eq(payload, STATEMENT);
	free(payload);
	ck_assert_int_eq(mc_dsse_verify_typed(&payload, &len, got, g, "application/other", env,
					      strlen(env), pins, 1),
			 MC_EINVAL);
	ck_assert_msg(strstr(mc_error_message(), "\"payloadType\""), "%s", mc_error_message());
	ck_assert_ptr_null(payload);
	free(env);
	ck_assert_int_eq(mc_dsse_sign(&env, g, MC_DSSE_INTOTO_TYPE, "", 0), 0);
	ck_assert_int_eq(mc_dsse_verify(&payload, &len, got, g, env, strlen(env), pins, 1), 0);
	ck_assert_uint_eq(len, 0);
	ck_assert_str_eq(payload, "");
	free(payload);
	free(env);

	mc_strbuf_release(&pae);
	mc_gpg_free(g);
	free(fpr);
	free(home);
}
END_TEST

/* Each malformed variant of a good envelope fails with code and a message naming what. */
static void expect_rejected(mc_gpg *g, const char *const *pins, const char *env, size_t len,
			    int code, const char *named)
{
	char *payload = (char *)1, got[41];
	size_t plen;
	int rc = mc_dsse_verify(&payload, &plen, got, g, env, len, pins, 1);
	ck_assert_msg(rc == code, "expected %d, got %d (%s) for %.200s", code, rc,
		      mc_error_message(), env);
	ck_assert_ptr_null(payload);
	ck_assert_str_eq(got, "");
	assert_one_line(mc_error_message());
	ck_assert_msg(strstr(mc_error_message(), named), "'%s' does not name %s",
		      mc_error_message(), named);
}

/* The good envelope with field key of the object at path ("" or "sig") set to value (a
 * JSON text) or removed (value NULL). */
static char *variant(const char *good, const char *where, const char *key, const char *value)
{
	struct json_object *o = parse(good), *target = o;
	char *out;
	if (!strcmp(where, "sig"))
		target = json_object_array_get_idx(json_object_object_get(o, "signatures"), 0);
	if (value)
		json_object_object_add(target, key, parse(value));
	else
		json_object_object_del(target, key);
	out = dump(o);
	json_object_put(o);
	return out;
}

START_TEST(dsse_malformed_envelopes_are_rejected)
{
	char *home = new_home(), *fpr = keygen(home, "A <a@example.com>");
	char *other = keygen(home, "B <b@example.com>");
	mc_gpg *g = open_signer(home, fpr), *gb = open_signer(home, other);
	const char *pins[] = { fpr };
	char *good, *bad, *b_env, quoted[64], *big;
	struct json_object *o, *sigs;
	size_t bigsize = 2u << 20;

	ck_assert_int_eq(mc_dsse_sign(&good, g, MC_DSSE_INTOTO_TYPE, "hello world", 11), 0);

	bad = variant(good, "", "payload", NULL);
	expect_rejected(g, pins, bad, strlen(bad), MC_EINVAL, "missing field \"payload\"");
	free(bad);
	bad = variant(good, "", "extra", "1");
	expect_rejected(g, pins, bad, strlen(bad), MC_EINVAL, "unexpected field \"extra\"");
	free(bad);
	bad = variant(good, "", "payload", "\"aGVsbG8gd29ybGQ\"");
	expect_rejected(g, pins, bad, strlen(bad), MC_EINVAL, "\"payload\" is not valid base64");
	free(bad);
	bad = variant(good, "", "payload", "\"aGVsbG8gd29ybGR=\""); /* stray bits: not canonical */
	expect_rejected(g, pins, bad, strlen(bad), MC_EINVAL, "\"payload\" is not valid base64");
	free(bad);
	bad = variant(good, "", "payload", "\"aGVs bG8gd29ybGQ=\"");
	expect_rejected(g, pins, bad, strlen(bad), MC_EINVAL, "\"payload\" is not valid base64");
	free(bad);
	bad = variant(good, "", "payloadType", "7");
	expect_rejected(g, pins, bad, strlen(bad), MC_EINVAL, "\"payloadType\" is not a string");
	free(bad);
	bad = variant(good, "", "signatures", "{}");
	expect_rejected(g, pins, bad, strlen(bad), MC_EINVAL, "\"signatures\" is not an array");
	free(bad);
	bad = variant(good, "", "signatures", "[]");
	expect_rejected(g, pins, bad, strlen(bad), MC_EINVAL, "\"signatures\" holds 0");
	free(bad);
	bad = variant(good, "sig", "sig", NULL);
	expect_rejected(g, pins, bad, strlen(bad), MC_EINVAL, "missing field \"signatures[0].sig\"");
	free(bad);
	bad = variant(good, "sig", "note", "\"x\"");
	expect_rejected(g, pins, bad, strlen(bad), MC_EINVAL, "\"signatures[0].note\"");
	free(bad);
	bad = variant(good, "sig", "keyid", "\"ABCD\"");
	expect_rejected(g, pins, bad, strlen(bad), MC_EINVAL, "\"signatures[0].keyid\"");
	free(bad);
	bad = variant(good, "sig", "sig", "\"%%%%\"");
	expect_rejected(g, pins, bad, strlen(bad), MC_EINVAL, "\"signatures[0].sig\"");
	free(bad);

	/* Two signatures, even two good ones. */
	o = parse(good);
	sigs = json_object_object_get(o, "signatures");
	json_object_array_add(sigs, json_object_get(json_object_array_get_idx(sigs, 0)));
	bad = dump(o);
	json_object_put(o);
	expect_rejected(g, pins, bad, strlen(bad), MC_EINVAL, "\"signatures\" holds 2");
	free(bad);

	expect_rejected(g, pins, "not json", 8, MC_EINVAL, "DSSE envelope");
	expect_rejected(g, pins, "[]", 2, MC_EINVAL, "not a JSON object");
	expect_rejected(g, pins, good, strlen(good) - 1, MC_EINVAL, "DSSE envelope");

	big = malloc(bigsize);
	ck_assert_ptr_nonnull(big);
	memset(big, ' ', bigsize);
	memcpy(big, good, strlen(good));
	expect_rejected(g, pins, big, bigsize, MC_EINVAL, "over the limit");
	free(big);

	/* Well-formed but not verifying: MC_EVERIFY. */
	bad = variant(good, "", "payload", "\"aGVsbG8gd29ybGQh\""); /* "hello world!" */
	expect_rejected(g, pins, bad, strlen(bad), MC_EVERIFY, "bad signature");
	free(bad);
	bad = variant(good, "", "payloadType", "\"application/json\"");
	expect_rejected(g, pins, bad, strlen(bad), MC_EVERIFY, "bad signature");
	free(bad);
	snprintf(quoted, sizeof quoted, "\"%s\"", other);
	bad = variant(good, "sig", "keyid", quoted);
	expect_rejected(g, pins, bad, strlen(bad), MC_EVERIFY, "keyid names");
	free(bad);
	ck_assert_int_eq(mc_dsse_sign(&b_env, gb, MC_DSSE_INTOTO_TYPE, "hello world", 11), 0);
	expect_rejected(g, pins, b_env, strlen(b_env), MC_EVERIFY, "not pinned");
	free(b_env);

	free(good);
	mc_gpg_free(g);
	mc_gpg_free(gb);
	free(fpr);
	free(other);
	free(home);
}
END_TEST

START_TEST(dsse_refuses_to_sign_oversized_payloads)
{
	char *home = new_home(), *fpr = keygen(home, "A <a@example.com>");
	mc_gpg *g = open_signer(home, fpr);
	size_t n = 800 * 1024; /* base64 makes it 1.07 MB */
	char *payload = calloc(1, n), *env = (char *)1;
	ck_assert_int_eq(mc_dsse_sign(&env, g, MC_DSSE_INTOTO_TYPE, payload, n), MC_ELIMIT);
	ck_assert_ptr_null(env);
	ck_assert_int_eq(mc_dsse_sign(&env, g, MC_DSSE_INTOTO_TYPE, payload, 700 * 1024), 0);
	ck_assert_uint_le(strlen(env), MC_DSSE_MAX_ENVELOPE);
	free(env);
	free(payload);
	mc_gpg_free(g);
	free(fpr);
	free(home);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sign");
	TCase *tc = tcase_create("gpg");
	TCase *prompt = tcase_create("no_prompt");
	TCase *dsse = tcase_create("dsse");

	if (make_base())
		return 1;
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, sign_verify_round_trip_in_both_armor_modes);
	tcase_add_test(tc, verify_only_context_cannot_sign);
	tcase_add_test(tc, gpg_and_git_verify_armored_signatures);
	tcase_add_test(tc, tampered_data_or_signature_does_not_verify);
	tcase_add_test(tc, only_exactly_one_detached_signature_verifies);
	tcase_add_test(tc, good_signature_by_unpinned_trusted_key_is_rejected);
	tcase_add_test(tc, pinning_a_signing_subkey_works);
	tcase_add_test(tc, expired_key_fails_to_open_but_its_earlier_signatures_hold);
	tcase_add_test(tc, missing_key_fails_with_one_line);
	tcase_add_test(tc, no_gpg_agent_fails_with_one_line);
	tcase_add_test(tc, keygen_makes_a_usable_sign_only_key);
	suite_add_tcase(s, tc);
	/* Signing with a protected key takes well under a second when nothing prompts; a
	 * pinentry that waited would run into this timeout instead. */
	tcase_set_timeout(prompt, 30);
	tcase_add_test(prompt, passphrase_protected_key_fails_fast);
	suite_add_tcase(s, prompt);
	tcase_set_timeout(dsse, 120);
	tcase_add_test(dsse, dsse_pae_matches_the_spec_vector);
	tcase_add_test(dsse, dsse_envelope_round_trip);
	tcase_add_test(dsse, dsse_malformed_envelopes_are_rejected);
	tcase_add_test(dsse, dsse_refuses_to_sign_oversized_payloads);
	suite_add_tcase(s, dsse);
	{
		int rc = mc_test_run(s);
		kill_agents_and_remove_base();
		return rc;
	}
}
