/* Tests for pushing and fetching a ref over ssh (adapters/git/remote.h) against a real
 * OpenSSH sshd the test starts on 127.0.0.1 with its own host key and a throwaway user key:
 * known_hosts checking (plain and hashed entries, a wrong key, an unknown host) and user key
 * authentication. Missing sshd is a failure that says to run scripts/deps, never a skip.
 *
 * sshd runs for the whole test case: started by an unchecked fixture in the runner process
 * (Check forks each test; a failing test's child exits without running checked teardowns),
 * stopped by the unchecked teardown, and told to die with the runner (PR_SET_PDEATHSIG) if
 * the runner itself is killed. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "adapters/git/remote.h"
#include "adapters/git/repo.h"
#include "testutil.h"
#include "util/error.h"
#include "util/fs.h"

#define REF "refs/notes/maestro"
#define SSHD "/usr/sbin/sshd"
#define SSH_KEYGEN "/usr/bin/ssh-keygen"

#ifdef __SANITIZE_ADDRESS__
/* Leaks inside libgit2 1.5.1's ssh transport on every connection, none of them ours: the
 * known_hosts collection it loads is never freed (libssh2_knownhost_init), nor are the
 * HOME and path strings of load_known_hosts (git_str_clear does not free). The only named
 * frame of the latter is the public entry point, which only a full unwind reaches (libgit2
 * has no frame pointers). */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "fast_unwind_on_malloc=0";
}
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libssh2_knownhost_init\nleak:git_remote_connect_ext\n";
}
#endif

/* The server, set up once in the runner process; tests read it after fork. */
static struct {
	char *dir; /* keys, config, log */
	int port;
	pid_t pid;
	char error[2048]; /* why the server is not there, for every test to report */
} sshd;

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
	va_list ap;
	char *p;
	va_start(ap, f);
	if (vasprintf(&p, f, ap) < 0)
		abort();
	va_end(ap);
	return p;
}

/* Run argv quietly (output to log); its exit status, or -1. No Check assertions: this also
 * runs in the runner process. */
static int run_quiet(const char *const argv[], const char *log)
{
	int status;
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(log ? log : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int keygen(const char *path, const char *comment)
{
	const char *argv[] = { SSH_KEYGEN, "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path,
			       NULL };
	return run_quiet(argv, NULL);
}

static char *read_text(const char *path)
{
	char *text = NULL;
	size_t len;
	return mc_fs_read_file(&text, &len, path, 1 << 20) == 0 ? text : NULL;
}

static int write_text(const char *path, const char *text)
{
	return mc_fs_write_file(path, text, strlen(text), 0600);
}

static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	int s = socket(AF_INET, SOCK_STREAM, 0), port = -1;
	if (s < 0)
		return -1;
	if (bind(s, (struct sockaddr *)&a, sizeof a) == 0 &&
	    getsockname(s, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	close(s);
	return port;
}

/* Whether something on the port speaks ssh (its banner starts "SSH-"). */
static int speaks_ssh(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct pollfd pfd;
	char banner[8] = "";
	int ok = 0, s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0)
		return 0;
	pfd.fd = s;
	pfd.events = POLLIN;
	if (connect(s, (struct sockaddr *)&a, sizeof a) == 0 && poll(&pfd, 1, 2000) == 1 &&
	    recv(s, banner, 4, 0) == 4)
		ok = !strncmp(banner, "SSH-", 4);
	close(s);
	return ok;
}

static void write_config(const char *config)
{
	char *text = fmt("Port %d\n"
			 "ListenAddress 127.0.0.1\n"
			 "HostKey %s/host_key\n"
			 "PidFile %s/sshd.pid\n"
			 "AuthorizedKeysFile %s/authorized_keys\n"
			 "UsePAM no\n"
			 "StrictModes no\n"
			 "PermitRootLogin prohibit-password\n"
			 "PubkeyAuthentication yes\n"
			 "PasswordAuthentication no\n"
			 "KbdInteractiveAuthentication no\n"
			 "UseDNS no\n"
			 "PrintMotd no\n"
			 "LogLevel VERBOSE\n"
			 /* the server side's git must not read the machine's git configuration */
			 "SetEnv GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null\n",
			 sshd.port, sshd.dir, sshd.dir, sshd.dir);
	write_text(config, text);
	free(text);
}

/* Start sshd on a fresh port and wait (bounded) until it answers; 0, or -1 with the reason
 * in sshd.error. Retries a port someone else took in between. */
static int start_sshd(void)
{
	char *config = fmt("%s/sshd_config", sshd.dir), *log = fmt("%s/sshd.log", sshd.dir);
	pid_t parent = getpid();
	int rc = -1;

	for (int attempt = 0; attempt < 5 && rc != 0; attempt++) {
		int status, exited = 0;
		sshd.port = free_port();
		write_config(config);
		unlink(log);
		sshd.pid = fork();
		if (sshd.pid == 0) {
			int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			if (getppid() != parent)
				_exit(1);
			if (fd >= 0) {
				dup2(fd, STDOUT_FILENO);
				dup2(fd, STDERR_FILENO);
			}
			/* sshd re-executes itself and so needs its absolute path as argv[0]. */
			execl(SSHD, SSHD, "-D", "-e", "-f", config, (char *)NULL);
			_exit(127);
		}
		if (sshd.pid < 0) {
			snprintf(sshd.error, sizeof sshd.error, "fork: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < 200; i++) { /* up to 20 s */
			if (waitpid(sshd.pid, &status, WNOHANG) == sshd.pid) {
				exited = 1;
				break;
			}
			if (speaks_ssh(sshd.port)) {
				rc = 0;
				break;
			}
			usleep(100 * 1000);
		}
		if (rc == 0)
			break;
		if (!exited) {
			kill(sshd.pid, SIGKILL);
			waitpid(sshd.pid, &status, 0);
		}
		sshd.pid = 0;
		char *text = read_text(log);
		snprintf(sshd.error, sizeof sshd.error, "sshd did not start on port %d: %s",
			 sshd.port, text ? text : "(no log)");
		int in_use = text && strstr(text, "Address already in use");
		free(text);
		if (!in_use)
			break;
	}
	free(config);
	free(log);
	return rc;
}

static void sshd_setup(void)
{
	const char *run_sshd = "/run/sshd"; /* sshd's privilege separation directory */
	char *path;
	char *pub, *authorized;
	struct stat st;

	sshd.error[0] = '\0';
	if (access(SSHD, X_OK) != 0 || access(SSH_KEYGEN, X_OK) != 0) {
		snprintf(sshd.error, sizeof sshd.error,
			 "%s or %s is missing: install openssh-server and openssh-client by "
			 "running scripts/deps", SSHD, SSH_KEYGEN);
		return;
	}
	sshd.dir = mc_test_tmpdir();
	chmod(sshd.dir, 0755);
	if (geteuid() == 0 && stat(run_sshd, &st) != 0)
		mkdir(run_sshd, 0755);
	static const char *keys[][2] = { { "host_key", "test host" },
					 { "other_host_key", "another host" },
					 { "user_key", "test user" },
					 { "wrong_user_key", "stranger" } };
	for (size_t i = 0; i < 4; i++) {
		path = fmt("%s/%s", sshd.dir, keys[i][0]);
		if (keygen(path, keys[i][1]) != 0) {
			snprintf(sshd.error, sizeof sshd.error, "ssh-keygen failed for %s", path);
			free(path);
			return;
		}
		free(path);
	}
	path = fmt("%s/user_key.pub", sshd.dir);
	pub = read_text(path);
	free(path);
	authorized = fmt("%s/authorized_keys", sshd.dir);
	if (!pub || write_text(authorized, pub) != 0)
		snprintf(sshd.error, sizeof sshd.error, "cannot write %s", authorized);
	free(pub);
	free(authorized);
	if (!sshd.error[0])
		start_sshd();
}

static void sshd_teardown(void)
{
	int status;
	if (sshd.pid > 0) {
		kill(sshd.pid, SIGTERM);
		for (int i = 0; i < 50 && waitpid(sshd.pid, &status, WNOHANG) != sshd.pid; i++)
			usleep(100 * 1000);
		if (kill(sshd.pid, 0) == 0) {
			kill(sshd.pid, SIGKILL);
			waitpid(sshd.pid, &status, 0);
		}
		sshd.pid = 0;
	}
	if (sshd.dir) {
		mc_test_rmtree(sshd.dir);
		free(sshd.dir);
		sshd.dir = NULL;
	}
}

/* Every test starts here: a missing or broken server fails the test with the reason. */
static void require_sshd(void)
{
	ck_assert_msg(sshd.error[0] == '\0' && sshd.pid > 0, "%s",
		      sshd.error[0] ? sshd.error : "sshd is not running");
}

/* ---------------------------------------------------------------- a test's world */

typedef struct world {
	char *tmp, *local, *other, *bare, *url, *known_hosts, *commit;
	mc_repo *local_repo, *other_repo;
	mc_remote_options opt;
} world;

static char *file_in(const char *dir, const char *name)
{
	return fmt("%s/%s", dir, name);
}

/* known_hosts lines for the server: its host key (or another) under name. */
static void write_known_hosts(world *w, const char *name, const char *key_file)
{
	char *pub_path = file_in(sshd.dir, key_file), *pub = read_text(pub_path), *line;
	ck_assert_ptr_nonnull(pub);
	line = fmt("# test known_hosts\nexample.org %s%s %s", pub, name, pub);
	mc_test_write(w->tmp, "known_hosts", line);
	free(line);
	free(pub);
	free(pub_path);
}

static char *server_name(void)
{
	return fmt("[127.0.0.1]:%d", sshd.port);
}

static void world_make(world *w)
{
	struct passwd *pw = getpwuid(geteuid());
	char *name;

	require_sshd();
	memset(w, 0, sizeof *w);
	w->tmp = mc_test_tmpdir();
	chmod(w->tmp, 0755);
	w->local = file_in(w->tmp, "local");
	w->other = file_in(w->tmp, "other");
	w->bare = file_in(w->tmp, "bare.git");
	w->known_hosts = file_in(w->tmp, "known_hosts");
	ck_assert_ptr_nonnull(pw);
	w->url = fmt("ssh://%s@127.0.0.1:%d%s", pw->pw_name, sshd.port, w->bare);
	mc_test_write(w->local, "a.txt", "one\n");
	mc_test_git_init(w->local, "main");
	w->commit = mc_test_commit(w->local, "evidence");
	mc_test_git(w->local, "update-ref", REF, w->commit, NULL);
	mc_test_write(w->other, "README", "other\n");
	mc_test_git_init(w->other, "main");
	mc_test_git(w->tmp, "init", "-q", "--bare", w->bare, NULL);
	ck_assert_int_eq(mc_repo_open(&w->local_repo, w->local), 0);
	ck_assert_int_eq(mc_repo_open(&w->other_repo, w->other), 0);
	w->opt.ssh_key = file_in(sshd.dir, "user_key");
	w->opt.known_hosts = w->known_hosts;
	w->opt.timeout_seconds = 30;
	name = server_name();
	write_known_hosts(w, name, "host_key.pub");
	free(name);
}

static void world_free(world *w)
{
	mc_repo_free(w->local_repo);
	mc_repo_free(w->other_repo);
	mc_test_rmtree(w->tmp);
	free((char *)w->opt.ssh_key);
	free(w->tmp);
	free(w->local);
	free(w->other);
	free(w->bare);
	free(w->url);
	free(w->known_hosts);
	free(w->commit);
}

static char *ref_at(const char *dir, const char *ref)
{
	return mc_test_git_out(dir, "for-each-ref", "--format=%(objectname)", ref, NULL);
}

/* The server's host key fingerprint as ssh-keygen prints it ("SHA256:..."). */
static char *host_fingerprint(void)
{
	char *pub = file_in(sshd.dir, "host_key.pub"), *out = file_in(sshd.dir, "fp.txt"), *text, *fp;
	const char *argv[] = { SSH_KEYGEN, "-l", "-E", "sha256", "-f", pub, NULL };
	const char *start;
	unlink(out);
	ck_assert_int_eq(run_quiet(argv, out), 0);
	/* "<bits> SHA256:... <comment> (<type>)": the second field. */
	text = read_text(out);
	start = text ? strchr(text, ' ') : NULL;
	fp = start ? strndup(start + 1, strcspn(start + 1, " ")) : NULL;
	free(text);
	ck_assert_msg(fp != NULL, "no fingerprint in ssh-keygen's output");
	ck_assert_msg(!strncmp(fp, "SHA256:", 7), "%s", fp);
	free(pub);
	free(out);
	return fp;
}

/* ------------------------------------------------------------------------ tests */

START_TEST(push_and_fetch_over_ssh)
{
	world w;
	char tip[41], *id, *c2, *tree;
	world_make(&w);

	ck_assert_msg(mc_remote_push_ref(w.local_repo, w.url, REF, &w.opt) == 0, "%s",
		      mc_error_message());
	id = ref_at(w.bare, REF);
	ck_assert_str_eq(id, w.commit);
	free(id);

	ck_assert_msg(mc_remote_fetch_ref(tip, w.other_repo, w.url, REF,
					  "refs/notes/remotes/ssh/maestro", &w.opt) == 0,
		      "%s", mc_error_message());
	ck_assert_str_eq(tip, w.commit);
	id = ref_at(w.other, "refs/notes/remotes/ssh/maestro");
	ck_assert_str_eq(id, w.commit);
	free(id);

	/* A diverging push over ssh is refused like any other. */
	tree = fmt("%s^{tree}", w.commit);
	c2 = mc_test_git_out(w.other, "commit-tree", tree, "-p", w.commit, "-m", "more evidence",
			     NULL);
	free(tree);
	mc_test_git(w.other, "update-ref", REF, c2, NULL);
	ck_assert_msg(mc_remote_push_ref(w.other_repo, w.url, REF, &w.opt) == 0, "%s",
		      mc_error_message());
	mc_test_write(w.local, "b.txt", "diverge\n");
	free(w.commit);
	w.commit = mc_test_commit(w.local, "diverging");
	mc_test_git(w.local, "update-ref", REF, w.commit, NULL);
	ck_assert_int_eq(mc_remote_push_ref(w.local_repo, w.url, REF, &w.opt), MC_EVERIFY);
	ck_assert_msg(strstr(mc_error_message(), "fetch first"), "%s", mc_error_message());
	id = ref_at(w.bare, REF);
	ck_assert_str_eq(id, c2);
	free(id);
	free(c2);
	world_free(&w);
}
END_TEST

START_TEST(hashed_known_hosts_entries_work)
{
	world w;
	char *text, *name, *old;
	const char *argv[] = { SSH_KEYGEN, "-H", "-f", NULL, NULL };
	world_make(&w);

	argv[3] = w.known_hosts;
	ck_assert_int_eq(run_quiet(argv, NULL), 0);
	text = read_text(w.known_hosts);
	name = server_name();
	ck_assert_msg(strstr(text, "|1|") && !strstr(text, name), "not hashed: %s", text);
	free(text);
	free(name);
	old = fmt("%s.old", w.known_hosts); /* ssh-keygen -H keeps the plain file beside it */
	unlink(old);
	free(old);

	ck_assert_msg(mc_remote_push_ref(w.local_repo, w.url, REF, &w.opt) == 0, "%s",
		      mc_error_message());
	world_free(&w);
}
END_TEST

START_TEST(a_different_host_key_is_refused)
{
	world w;
	char *name, *fp, *id;
	world_make(&w);
	name = server_name();
	write_known_hosts(&w, name, "other_host_key.pub");
	fp = host_fingerprint();

	ck_assert_int_eq(mc_remote_push_ref(w.local_repo, w.url, REF, &w.opt), MC_EENV);
	ck_assert_msg(strstr(mc_error_message(), name), "names the host: %s", mc_error_message());
	ck_assert_msg(strstr(mc_error_message(), fp), "gives the key's fingerprint %s: %s", fp,
		      mc_error_message());
	ck_assert_msg(strstr(mc_error_message(), "differs"), "%s", mc_error_message());
	id = ref_at(w.bare, REF);
	ck_assert_str_eq(id, "");
	free(id);
	free(name);
	free(fp);
	world_free(&w);
}
END_TEST

START_TEST(an_unknown_host_is_refused)
{
	world w;
	char tip[41], *fp, *missing;
	world_make(&w);
	fp = host_fingerprint();

	/* Listed only without the port (that is port 22's entry) and under another name. */
	write_known_hosts(&w, "127.0.0.1", "host_key.pub");
	ck_assert_int_eq(mc_remote_fetch_ref(tip, w.other_repo, w.url, REF,
					     "refs/notes/remotes/ssh/maestro", &w.opt), MC_EENV);
	ck_assert_msg(strstr(mc_error_message(), "127.0.0.1") &&
		      strstr(mc_error_message(), "is not in") && strstr(mc_error_message(), fp),
		      "%s", mc_error_message());

	missing = file_in(w.tmp, "no_known_hosts");
	w.opt.known_hosts = missing;
	ck_assert_int_eq(mc_remote_push_ref(w.local_repo, w.url, REF, &w.opt), MC_EENV);
	ck_assert_msg(strstr(mc_error_message(), "no such file"), "%s", mc_error_message());
	free(missing);
	free(fp);
	world_free(&w);
}
END_TEST

START_TEST(a_wrong_user_key_fails_authentication)
{
	world w;
	char *id;
	world_make(&w);
	free((char *)w.opt.ssh_key);
	w.opt.ssh_key = file_in(sshd.dir, "wrong_user_key");

	ck_assert_int_eq(mc_remote_push_ref(w.local_repo, w.url, REF, &w.opt), MC_EENV);
	ck_assert_msg(strstr(mc_error_message(), "authentication") &&
		      strstr(mc_error_message(), "failed") &&
		      strstr(mc_error_message(), w.opt.ssh_key),
		      "%s", mc_error_message());
	id = ref_at(w.bare, REF);
	ck_assert_str_eq(id, "");
	free(id);

	/* The right key, but locked with a passphrase nothing can type in. */
	free((char *)w.opt.ssh_key);
	w.opt.ssh_key = file_in(w.tmp, "locked_key");
	{
		char *src = file_in(sshd.dir, "user_key"), *text = read_text(src);
		const char *argv[] = { SSH_KEYGEN, "-q", "-p", "-N", "secret passphrase", "-f",
				       w.opt.ssh_key, NULL };
		ck_assert_ptr_nonnull(text);
		ck_assert_int_eq(write_text(w.opt.ssh_key, text), 0);
		ck_assert_int_eq(run_quiet(argv, NULL), 0);
		free(src);
		free(text);
	}
	ck_assert_int_eq(mc_remote_push_ref(w.local_repo, w.url, REF, &w.opt), MC_EENV);
	ck_assert_msg(strstr(mc_error_message(), w.opt.ssh_key) &&
		      strstr(mc_error_message(), "ssh-agent") &&
		      !strstr(mc_error_message(), "secret passphrase"),
		      "%s", mc_error_message());
	id = ref_at(w.bare, REF);
	ck_assert_str_eq(id, "");
	free(id);

	free((char *)w.opt.ssh_key);
	w.opt.ssh_key = file_in(w.tmp, "no_such_key");
	ck_assert_int_eq(mc_remote_push_ref(w.local_repo, w.url, REF, &w.opt), MC_EENV);
	ck_assert_msg(strstr(mc_error_message(), "no such file"), "%s", mc_error_message());
	world_free(&w);
}
END_TEST

static Suite *remote_ssh_suite(void)
{
	Suite *s = suite_create("remote_ssh");
	TCase *tc = tcase_create("sshd");
	tcase_add_unchecked_fixture(tc, sshd_setup, sshd_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, push_and_fetch_over_ssh);
	tcase_add_test(tc, hashed_known_hosts_entries_work);
	tcase_add_test(tc, a_different_host_key_is_refused);
	tcase_add_test(tc, an_unknown_host_is_refused);
	tcase_add_test(tc, a_wrong_user_key_fails_authentication);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return mc_test_run(remote_ssh_suite());
}
