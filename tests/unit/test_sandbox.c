/*
 * Unit tests for the sandbox (adapters/proc/sandbox): each limit is shown to
 * hold against a real child process (perl and sh from the base system), with a
 * control run where a limit could otherwise pass by accident. No timing
 * assertions: the wall-clock test only checks that the group was killed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "adapters/proc/sandbox.h"
#include "testutil.h"
#include "util/fs.h"
#include "util/error.h"

static char *dir;

static void setup(void)
{
	mc_sandbox_opts opts = { 0 };
	dir = mc_test_tmpdir();
	opts.workdir = dir;
	ck_assert_int_eq(mc_sandbox_give_dir(dir, &opts), 0);
}

static void teardown(void)
{
	mc_test_rmtree(dir);
	free(dir);
}

static mc_sandbox_opts base_opts(void)
{
	mc_sandbox_opts opts = { 0 };
	opts.workdir = dir;
	opts.limits.timeout_s = 60;
	opts.limits.grace_s = 1;
	return opts;
}

/* Run argv and insist that it could be started. */
static void run(mc_sandbox_result *res, const mc_sandbox_opts *opts, const char *const *argv)
{
	int rc = mc_sandbox_run(res, argv, opts);
	ck_assert_msg(rc == 0, "mc_sandbox_run: %s", mc_error_message());
}

START_TEST(runs_and_captures)
{
	mc_sandbox_opts opts = base_opts();
	mc_sandbox_result res;
	const char *argv[] = { "sh", "-c", "echo out; echo err >&2; pwd; exit 3", NULL };
	char expect[4096];
	run(&res, &opts, argv);
	ck_assert(res.exited);
	ck_assert_int_eq(res.exit_code, 3);
	ck_assert(!res.timed_out);
	ck_assert(res.isolated);
	snprintf(expect, sizeof expect, "out\n%s\n", dir);
	ck_assert_str_eq(res.out.buf, expect);
	ck_assert_str_eq(res.err.buf, "err\n");
	ck_assert(!mc_sandbox_ok(&res));
	mc_sandbox_result_free(&res);
}
END_TEST

START_TEST(runs_unprivileged)
{
	mc_sandbox_opts opts = base_opts();
	mc_sandbox_result res;
	const char *argv[] = { "id", "-u", NULL };
	char expect[32];
	run(&res, &opts, argv);
	ck_assert(mc_sandbox_ok(&res));
	snprintf(expect, sizeof expect, "%u\n",
		 geteuid() == 0 ? MC_SANDBOX_DEFAULT_ID : (unsigned)geteuid());
	ck_assert_str_eq(res.out.buf, expect);
	mc_sandbox_result_free(&res);
}
END_TEST

START_TEST(environment_is_scrubbed)
{
	mc_sandbox_opts opts = base_opts();
	mc_sandbox_result res;
	const char *allow[] = { "MC_TEST_ALLOWED", NULL };
	const char *bad_allow[] = { "GITHUB_TOKEN", NULL };
	const char *argv[] = { "env", NULL };
	char home[4096];
	setenv("MC_TEST_SECRET_TOKEN", "hunter2-value", 1);
	setenv("GITHUB_TOKEN", "ghp_hunter2", 1);
	setenv("MC_TEST_ALLOWED", "yes", 1);
	setenv("MC_TEST_NOT_ALLOWED", "no", 1);
	opts.env_allow = allow;
	run(&res, &opts, argv);
	ck_assert(mc_sandbox_ok(&res));
	snprintf(home, sizeof home, "HOME=%s\n", dir);
	ck_assert_ptr_nonnull(strstr(res.out.buf, home));
	ck_assert_ptr_nonnull(strstr(res.out.buf, "LANG=C\n"));
	ck_assert_ptr_nonnull(strstr(res.out.buf, "PATH=/usr/local/bin:/usr/bin:/bin\n"));
	ck_assert_ptr_nonnull(strstr(res.out.buf, "MC_TEST_ALLOWED=yes\n"));
	ck_assert_ptr_null(strstr(res.out.buf, "hunter2"));
	ck_assert_ptr_null(strstr(res.out.buf, "MC_TEST_NOT_ALLOWED"));
	mc_sandbox_result_free(&res);

	/* A secret-looking name is refused even when the caller asks for it. */
	opts.env_allow = bad_allow;
	ck_assert_int_eq(mc_sandbox_run(&res, argv, &opts), MC_EINVAL);
	ck_assert_ptr_nonnull(strstr(mc_error_message(), "GITHUB_TOKEN"));
	mc_sandbox_result_free(&res);
}
END_TEST

START_TEST(fork_bomb_is_capped)
{
	mc_sandbox_opts opts = base_opts();
	mc_sandbox_result res;
	/* Forks up to 200 sleepers and reports how many it got before fork failed. */
	const char *argv[] = { "perl", "-e",
			       "$| = 1; my $n = 0;"
			       "for (1..200) { my $p = fork; if (!defined $p) { print \"refused after $n\\n\"; exit 0 }"
			       "  if ($p == 0) { sleep 60; exit 0 } $n++ }"
			       "print \"forked $n\\n\";", NULL };
	int got = -1;
	opts.limits.processes = 10;
	run(&res, &opts, argv);
	ck_assert_msg(sscanf(res.out.buf, "refused after %d", &got) == 1, "output: %s", res.out.buf);
	ck_assert_int_lt(got, 10);
	/* The sleepers were killed with the group when the command ended. */
	for (int i = 0; i < 100 && kill(-res.pid, 0) == 0; i++)
		usleep(50 * 1000);
	ck_assert_int_ne(kill(-res.pid, 0), 0);
	mc_sandbox_result_free(&res);
}
END_TEST

START_TEST(memory_is_capped)
{
	mc_sandbox_opts opts = base_opts();
	mc_sandbox_result res;
	const char *hog[] = { "perl", "-e", "my $x = 'a' x (512 * 1024 * 1024); print \"allocated\\n\"", NULL };
	const char *small[] = { "perl", "-e", "my $x = 'a' x (32 * 1024 * 1024); print \"allocated\\n\"", NULL };
	opts.limits.memory_mb = 200;
	run(&res, &opts, hog);
	ck_assert(!mc_sandbox_ok(&res));
	ck_assert_ptr_null(strstr(res.out.buf, "allocated"));
	ck_assert_int_lt(res.max_rss_kb, 200 * 1024);
	mc_sandbox_result_free(&res);

	/* Control: an allocation under the limit works, and its peak memory is measured. */
	run(&res, &opts, small);
	ck_assert_msg(mc_sandbox_ok(&res), "stderr: %s", res.err.buf);
	ck_assert_str_eq(res.out.buf, "allocated\n");
	ck_assert_int_ge(res.max_rss_kb, 32 * 1024);
	mc_sandbox_result_free(&res);
}
END_TEST

START_TEST(cpu_is_capped)
{
	mc_sandbox_opts opts = base_opts();
	mc_sandbox_result res;
	mc_strbuf how = MC_STRBUF_INIT;
	const char *argv[] = { "perl", "-e", "1 while 1", NULL };
	opts.limits.cpu_s = 1;
	run(&res, &opts, argv);
	ck_assert(!res.exited);
	ck_assert(!res.timed_out);
	ck_assert(res.signal == SIGXCPU || res.signal == SIGKILL);
	/* rusage splits CPU time by sampled ticks, so it may read below the exact timer
	 * that fired SIGXCPU at 1 s; it still shows a spinner, not a sleeper. */
	ck_assert_msg(res.cpu_s >= 0.5, "cpu %.3f wall %.3f signal %d", res.cpu_s, res.wall_s, res.signal);
	mc_sandbox_describe(&how, &res, &opts);
	ck_assert_ptr_nonnull(strstr(how.buf, "CPU time limit"));
	mc_strbuf_release(&how);
	mc_sandbox_result_free(&res);
}
END_TEST

START_TEST(file_size_is_capped)
{
	mc_sandbox_opts opts = base_opts();
	mc_sandbox_result res;
	char path[4096];
	struct stat st;
	const char *argv[] = { "perl", "-e",
			       "open(F, '>', 'big') or die; print F ('x' x 1048576) for 1..8; close F; print \"done\\n\"",
			       NULL };
	opts.limits.file_mb = 2;
	run(&res, &opts, argv);
	ck_assert(!res.exited);
	ck_assert_int_eq(res.signal, SIGXFSZ);
	ck_assert_ptr_null(strstr(res.out.buf, "done"));
	snprintf(path, sizeof path, "%s/big", dir);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_le(st.st_size, 2 * 1024 * 1024);
	mc_sandbox_result_free(&res);
}
END_TEST

START_TEST(open_files_are_capped)
{
	mc_sandbox_opts opts = base_opts();
	mc_sandbox_result res;
	const char *argv[] = { "perl", "-e",
			       "my @f; for my $i (1..100) { open(my $fh, '<', '/dev/null') or do { print \"refused at $i\\n\"; exit 0 }; push @f, $fh } print \"opened 100\\n\"",
			       NULL };
	int at = -1;
	opts.limits.open_files = 16;
	run(&res, &opts, argv);
	ck_assert_msg(sscanf(res.out.buf, "refused at %d", &at) == 1, "output: %s", res.out.buf);
	ck_assert_int_le(at, 16);
	mc_sandbox_result_free(&res);
}
END_TEST

START_TEST(output_is_capped)
{
	mc_sandbox_opts opts = base_opts();
	mc_sandbox_result res;
	const char *argv[] = { "perl", "-e", "print 'x' x 100000; print STDERR 'y' x 10", NULL };
	opts.limits.output_bytes = 1000;
	run(&res, &opts, argv);
	ck_assert(mc_sandbox_ok(&res));
	ck_assert_uint_eq(res.out.len, 1000);
	ck_assert_uint_eq(res.out_dropped, 99000);
	ck_assert_uint_eq(res.err.len, 10);
	ck_assert_uint_eq(res.err_dropped, 0);
	mc_sandbox_result_free(&res);
}
END_TEST

/* Whether pid is dead: reaped by us (we are a subreaper in this test, but an orphan
 * may still land on init when its parent dies first), gone, or a zombie. */
static int dead(pid_t pid)
{
	for (int i = 0; i < 200; i++) {
		char path[64], *stat = NULL, *close_paren;
		int status;

		if (waitpid(pid, &status, WNOHANG) == pid)
			return 1;
		snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
		if (mc_fs_read_file(&stat, NULL, path, 4096) != 0)
			return 1; /* gone */
		close_paren = strrchr(stat, ')');
		if (close_paren && close_paren[1] == ' ' && close_paren[2] == 'Z') {
			free(stat);
			return 1;
		}
		free(stat);
		usleep(50 * 1000);
	}
	return 0;
}

START_TEST(wall_clock_kills_the_group)
{
	mc_sandbox_opts opts = base_opts();
	mc_sandbox_result res;
	mc_strbuf how = MC_STRBUF_INIT;
	/* The grandchild ignores nothing; the shell prints its pid and waits. $! would be
	 * its pid inside the sandbox's PID namespace: /proc is Maestro's, so the
	 * subshell reads its pid as Maestro sees it from /proc/self/stat, then becomes
	 * the sleeper. */
	const char *argv[] = { "sh", "-c",
			       "(read p rest < /proc/self/stat; echo $p; exec sleep 300) & sleep 300",
			       NULL };
	int grandchild = 0;
	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	opts.limits.timeout_s = 1;
	run(&res, &opts, argv);
	ck_assert(res.timed_out);
	ck_assert(!res.exited);
	ck_assert_int_eq(res.signal, SIGTERM);
	ck_assert_int_eq(sscanf(res.out.buf, "%d", &grandchild), 1);
	ck_assert_msg(dead(grandchild), "grandchild %d still running", grandchild);
	mc_sandbox_describe(&how, &res, &opts);
	ck_assert_ptr_nonnull(strstr(how.buf, "wall-clock timeout"));
	mc_strbuf_release(&how);
	mc_sandbox_result_free(&res);
}
END_TEST

START_TEST(term_ignored_then_killed)
{
	mc_sandbox_opts opts = base_opts();
	mc_sandbox_result res;
	const char *argv[] = { "perl", "-e", "$SIG{TERM} = 'IGNORE'; sleep 300", NULL };
	opts.limits.timeout_s = 0.5;
	opts.limits.grace_s = 0.5;
	run(&res, &opts, argv);
	ck_assert(res.timed_out);
	ck_assert_int_eq(res.signal, SIGKILL);
	mc_sandbox_result_free(&res);
}
END_TEST

/* Starts a process that leaves the command's session and process group (setsid),
 * records its pid as Maestro sees it in escaped.pid (written to a temporary name and
 * renamed, so it is whole when it appears), waits for the file, then runs tail. */
#define ESCAPE_SCRIPT                                                                       \
	"setsid sh -c 'read p rest < /proc/self/stat; echo $p > escaped.tmp; "              \
	"mv escaped.tmp escaped.pid; exec sleep 1000' & "                                   \
	"i=0; while [ ! -s escaped.pid ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done; "

/* The pid the command's escaped process wrote. */
static pid_t escaped_pid(void)
{
	char path[4096], *text = NULL;
	int pid = 0;
	snprintf(path, sizeof path, "%s/escaped.pid", dir);
	ck_assert_msg(mc_fs_read_file(&text, NULL, path, 64) == 0, "no %s", path);
	ck_assert_int_eq(sscanf(text, "%d", &pid), 1);
	free(text);
	ck_assert_int_gt(pid, 1);
	return (pid_t)pid;
}

/* Whether pid is gone within 2 s; kills it when not, so a failing run leaves nothing
 * behind. */
static int gone(pid_t pid)
{
	for (int i = 0; i < 40; i++) {
		if (kill(pid, 0) != 0 && errno == ESRCH)
			return 1;
		usleep(50 * 1000);
	}
	kill(pid, SIGKILL);
	return 0;
}

START_TEST(setsid_escape_is_killed)
{
	mc_sandbox_opts opts = base_opts();
	mc_sandbox_result res;
	const char *argv[] = { "sh", "-c", ESCAPE_SCRIPT "exit 0", NULL };
	pid_t pid;
	run(&res, &opts, argv);
	ck_assert_msg(mc_sandbox_ok(&res), "stderr: %s", res.err.buf);
	pid = escaped_pid();
	ck_assert_msg(gone(pid), "the setsid'ed process %d outlived the command", (int)pid);
	mc_sandbox_result_free(&res);
}
END_TEST

/* The process running the sandbox is killed with SIGKILL mid-run (a daemon killed
 * outright): the command, and what it left its session for, die with it. */
START_TEST(sandbox_dies_with_maestro)
{
	const char *argv[] = { "sh", "-c", ESCAPE_SCRIPT "sleep 1000", NULL };
	char path[4096];
	pid_t runner, pid;
	int status;

	snprintf(path, sizeof path, "%s/escaped.pid", dir);
	runner = fork();
	ck_assert_int_ge(runner, 0);
	if (runner == 0) {
		mc_sandbox_opts opts = base_opts();
		mc_sandbox_result res;
		opts.limits.timeout_s = 60;
		mc_sandbox_run(&res, argv, &opts);
		_exit(0);
	}
	for (int i = 0; i < 200 && access(path, F_OK) != 0; i++)
		usleep(50 * 1000);
	pid = escaped_pid();
	ck_assert_int_eq(kill(runner, SIGKILL), 0);
	ck_assert_int_eq(waitpid(runner, &status, 0), runner);
	ck_assert_msg(gone(pid), "the sandboxed process %d outlived the process that ran it",
		      (int)pid);
}
END_TEST

START_TEST(setsid_escape_is_killed_on_timeout)
{
	mc_sandbox_opts opts = base_opts();
	mc_sandbox_result res;
	/* Ignoring SIGTERM, the shell (and what it starts) waits for SIGKILL. */
	const char *argv[] = { "sh", "-c", "trap '' TERM; " ESCAPE_SCRIPT "sleep 300", NULL };
	pid_t pid;
	opts.limits.timeout_s = 3;
	opts.limits.grace_s = 0.5;
	run(&res, &opts, argv);
	ck_assert(res.timed_out);
	ck_assert(!res.exited);
	ck_assert_int_eq(res.signal, SIGKILL);
	pid = escaped_pid();
	ck_assert_msg(gone(pid), "the setsid'ed process %d outlived the timeout", (int)pid);
	mc_sandbox_result_free(&res);
}
END_TEST

START_TEST(status_is_exact)
{
	mc_sandbox_opts opts = base_opts();
	mc_sandbox_result res;
	mc_strbuf how = MC_STRBUF_INIT;
	const char *exit3[] = { "sh", "-c", "exit 3", NULL };
	const char *exit134[] = { "sh", "-c", "exit 134", NULL };
	const char *abort[] = { "sh", "-c", "kill -ABRT $$", NULL };
	const char *segv[] = { "perl", "-e", "kill 'SEGV', $$; sleep 10", NULL };

	run(&res, &opts, exit3);
	ck_assert(res.exited);
	ck_assert_int_eq(res.exit_code, 3);
	ck_assert_int_eq(res.signal, 0);
	mc_sandbox_result_free(&res);

	/* An exit code above 128 stays an exit code, not a signal. */
	run(&res, &opts, exit134);
	ck_assert(res.exited);
	ck_assert_int_eq(res.exit_code, 134);
	ck_assert_int_eq(res.signal, 0);
	mc_sandbox_result_free(&res);

	run(&res, &opts, abort);
	ck_assert(!res.exited);
	ck_assert_int_eq(res.signal, SIGABRT);
	ck_assert(!res.timed_out);
	mc_sandbox_describe(&how, &res, &opts);
	ck_assert_str_eq(how.buf, "killed by SIGABRT");
	mc_strbuf_release(&how);
	mc_sandbox_result_free(&res);

	run(&res, &opts, segv);
	ck_assert(!res.exited);
	ck_assert_int_eq(res.signal, SIGSEGV);
	mc_sandbox_result_free(&res);
}
END_TEST

/* A listener on 127.0.0.1 outside the sandbox; returns its fd and port. */
static int listener(int *port)
{
	struct sockaddr_in a = { 0 };
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(listen(fd, 4), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static const char connect_script[] =
	"use IO::Socket::INET; my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', "
	"PeerPort => $ARGV[0], Proto => 'tcp', Timeout => 5); "
	"print $s ? \"connected\\n\" : \"refused\\n\";"
	/* Loopback inside the namespace is up: a server of its own is reachable. */
	"my $l = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 1) or die 'listen'; "
	"my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $l->sockport, Proto => 'tcp') "
	"or die 'self connect'; print \"loopback ok\\n\";";

static void check_no_network(const mc_sandbox_opts *opts)
{
	mc_sandbox_result res;
	char port_s[16];
	int port, fd = listener(&port);
	const char *argv[] = { "perl", "-e", connect_script, port_s, NULL };
	snprintf(port_s, sizeof port_s, "%d", port);
	run(&res, opts, argv);
	close(fd);
	ck_assert_msg(mc_sandbox_ok(&res), "stderr: %s", res.err.buf);
	ck_assert(res.isolated);
	ck_assert_str_eq(res.out.buf, "refused\nloopback ok\n");
	mc_sandbox_result_free(&res);
}

START_TEST(no_network_outside)
{
	mc_sandbox_opts opts = base_opts();
	struct sockaddr_in a = { 0 };
	int port, fd = listener(&port), c = socket(AF_INET, SOCK_STREAM, 0);
	/* Control: the listener is reachable from outside the sandbox. */
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((unsigned short)port);
	ck_assert_int_eq(connect(c, (struct sockaddr *)&a, sizeof a), 0);
	close(c);
	close(fd);
	check_no_network(&opts);
}
END_TEST

/* Not root: the namespace is made in a user namespace instead. Run in a child that
 * drops to nobody first, so the rest of the suite keeps its identity. */
START_TEST(no_network_when_not_root)
{
	pid_t pid;
	int status;
	if (geteuid() != 0)
		return; /* already covered by no_network_outside */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		mc_sandbox_opts opts = base_opts();
		mc_sandbox_result res;
		const char *argv[] = { "id", "-u", NULL };
		/* Changing uid makes a process non-dumpable, which locks its /proc files;
		 * a process started by an ordinary user is dumpable. */
		if (setgid(MC_SANDBOX_DEFAULT_ID) || setuid(MC_SANDBOX_DEFAULT_ID) ||
		    prctl(PR_SET_DUMPABLE, 1))
			_exit(10);
		if (mc_sandbox_run(&res, argv, &opts) || !mc_sandbox_ok(&res) || !res.isolated ||
		    strcmp(res.out.buf, "65534\n")) {
			fprintf(stderr, "as nobody: %s; out %s err %s\n", mc_error_message(),
				res.out.buf, res.err.buf);
			_exit(11);
		}
		mc_sandbox_result_free(&res);
		check_no_network(&opts);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
}
END_TEST

/* The command is PID 2 of its own PID namespace, under the sandbox's init. */
START_TEST(command_is_pid_2)
{
	mc_sandbox_opts opts = base_opts();
	mc_sandbox_result res;
	const char *argv[] = { "sh", "-c", "echo $$", NULL };
	run(&res, &opts, argv);
	ck_assert(mc_sandbox_ok(&res));
	ck_assert(res.isolated);
	ck_assert_str_eq(res.out.buf, "2\n");
	ck_assert_int_ne(res.pid, 2);
	mc_sandbox_result_free(&res);
}
END_TEST

/* No namespace can be made inside a user namespace whose creator's uid is not mapped:
 * the run fails with MC_EENV unless the caller allowed going without, and then runs
 * the command as a plain child, reported not isolated. */
START_TEST(no_namespaces_fallback)
{
	pid_t pid;
	int status;
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		mc_sandbox_opts opts = base_opts();
		mc_sandbox_result res;
		const char *argv[] = { "sh", "-c", "exit 5", NULL };
		if (geteuid() == 0 &&
		    (setgid(MC_SANDBOX_DEFAULT_ID) || setuid(MC_SANDBOX_DEFAULT_ID) ||
		     prctl(PR_SET_DUMPABLE, 1)))
			_exit(10);
		if (unshare(CLONE_NEWUSER))
			_exit(11);
		if (mc_sandbox_run(&res, argv, &opts) != MC_EENV ||
		    !strstr(mc_error_message(), "namespaces")) {
			fprintf(stderr, "not allowed: %s\n", mc_error_message());
			_exit(12);
		}
		mc_sandbox_result_free(&res);
		opts.allow_no_isolation = 1;
		if (mc_sandbox_run(&res, argv, &opts) || res.isolated || !res.exited ||
		    res.exit_code != 5) {
			fprintf(stderr, "allowed: %s; isolated %d exit %d\n", mc_error_message(),
				res.isolated, res.exit_code);
			_exit(13);
		}
		mc_sandbox_result_free(&res);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
}
END_TEST

START_TEST(bad_programs)
{
	mc_sandbox_opts opts = base_opts();
	mc_sandbox_result res;
	const char *missing[] = { "no-such-program-here", NULL };
	const char *relative[] = { "./not-there.sh", NULL };
	ck_assert_int_eq(mc_sandbox_run(&res, missing, &opts), MC_EINVAL);
	ck_assert_ptr_nonnull(strstr(mc_error_message(), "no-such-program-here"));
	mc_sandbox_result_free(&res);
	ck_assert_int_eq(mc_sandbox_run(&res, relative, &opts), MC_EINVAL);
	mc_sandbox_result_free(&res);
}
END_TEST

START_TEST(relative_program_in_workdir)
{
	mc_sandbox_opts opts = base_opts();
	mc_sandbox_result res;
	const char *argv[] = { "./hello.sh", "world", NULL };
	char path[4096];
	mc_test_write(dir, "hello.sh", "#!/bin/sh\necho \"hello $1\"\n");
	snprintf(path, sizeof path, "%s/hello.sh", dir);
	ck_assert_int_eq(chmod(path, 0755), 0);
	run(&res, &opts, argv);
	ck_assert(mc_sandbox_ok(&res));
	ck_assert_str_eq(res.out.buf, "hello world\n");
	mc_sandbox_result_free(&res);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("sandbox");
	TCase *tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, runs_and_captures);
	tcase_add_test(tc, runs_unprivileged);
	tcase_add_test(tc, environment_is_scrubbed);
	tcase_add_test(tc, fork_bomb_is_capped);
	tcase_add_test(tc, memory_is_capped);
	tcase_add_test(tc, cpu_is_capped);
	tcase_add_test(tc, file_size_is_capped);
	tcase_add_test(tc, open_files_are_capped);
	tcase_add_test(tc, output_is_capped);
	tcase_add_test(tc, wall_clock_kills_the_group);
	tcase_add_test(tc, term_ignored_then_killed);
	tcase_add_test(tc, setsid_escape_is_killed);
	tcase_add_test(tc, setsid_escape_is_killed_on_timeout);
	tcase_add_test(tc, sandbox_dies_with_maestro);
	tcase_add_test(tc, status_is_exact);
	tcase_add_test(tc, command_is_pid_2);
	tcase_add_test(tc, no_namespaces_fallback);
	tcase_add_test(tc, no_network_outside);
	tcase_add_test(tc, no_network_when_not_root);
	tcase_add_test(tc, bad_programs);
	tcase_add_test(tc, relative_program_in_workdir);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return mc_test_run(suite());
}
