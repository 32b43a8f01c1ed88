/*
 * The sandbox (sandbox.h). Everything the children need (resolved program
 * path, environment, uid maps) is built before the clone, because between it
 * and exec only async-signal-safe calls are allowed (Maestro is
 * multi-threaded). A child reports a failure to set itself up through a
 * close-on-exec pipe (stage + errno): EOF on that pipe means exec succeeded.
 * The parent then polls the output pipes, the wall clock and its child until
 * the command has ended and its pipes are closed.
 *
 * Process tree: Maestro clones a child straight into new PID and network
 * namespaces (clone, not unshare + fork: unshare(CLONE_NEWPID) only moves the
 * caller's future children, so a middle process would have to stay and relay
 * the wait status, and unshare(CLONE_NEWUSER) is refused to a threaded
 * process). That child is PID 1 of the namespace: a small init of ours that
 * never execs. It sets up what belongs to the namespaces (uid map, loopback),
 * forks the command (PID 2, which does the rest and execs), forwards SIGTERM,
 * SIGINT and SIGHUP to everything in the namespace, reaps every orphan, and
 * when the command ends kills and reaps whatever is left, writes the
 * command's wait status and the rusage of all it reaped to a status pipe, and
 * exits. The command is not PID 1 because PID 1 ignores signals it has no
 * handler for. When PID 1 dies (even by SIGKILL) the kernel kills the rest of
 * the namespace, so nothing the command started outlives the run, setsid or
 * not. Without namespaces (allowed by the caller) the command is Maestro's
 * child directly and its process group is what gets killed.
 */
#include "adapters/proc/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <stdint.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/error.h"
#include "util/time.h"

#define DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"
#define DEFAULT_OUTPUT_BYTES (1024 * 1024)
#define DEFAULT_OPEN_FILES 256
#define DEFAULT_GRACE_S 2.0
/* After the command ends, how long its pipes may stay open (held by a process that
 * left the group) before Maestro stops reading them. */
#define LINGER_S 1.0
#define READ_CHUNK 65536

/* What a child was doing when it failed, sent to the parent with errno. */
enum child_stage {
	STAGE_SETSID = 1,
	STAGE_USERMAP,
	STAGE_LOOPBACK,
	STAGE_INIT_SIGNALS,
	STAGE_FORK,
	STAGE_RLIMIT,
	STAGE_IDENTITY,
	STAGE_CHDIR,
	STAGE_STDIO,
	STAGE_EXEC,
};

struct child_report {
	int stage;
	int err;
};

/* What the sandbox's init tells the parent before it exits: the command's own wait
 * status, and the rusage of every process it reaped (the command and its orphans). */
struct init_report {
	int status;
	struct rusage ru;
};

/* The children's ends of the pipes. */
struct child_fds {
	int out, err; /* the command's stdout and stderr */
	int report;   /* set-up failures, close-on-exec */
	int status;   /* the init's report */
};

static const char *stage_name(int stage)
{
	switch (stage) {
	case STAGE_SETSID: return "starting a new session";
	case STAGE_USERMAP: return "mapping the user namespace";
	case STAGE_LOOPBACK: return "bringing up the loopback interface";
	case STAGE_INIT_SIGNALS: return "installing the sandbox init's signal handlers";
	case STAGE_FORK: return "starting the command inside the namespace";
	case STAGE_RLIMIT: return "setting resource limits";
	case STAGE_IDENTITY: return "dropping to the sandbox uid/gid";
	case STAGE_CHDIR: return "entering the working directory";
	case STAGE_STDIO: return "redirecting standard streams";
	case STAGE_EXEC: return "executing the program";
	default: return "setting up";
	}
}

/* Everything the child uses, prepared before fork. */
struct plan {
	const char *program;   /* resolved path */
	char *program_owned;
	char *const *argv;
	char **envp;
	int as_root;
	unsigned uid, gid;
	char uid_map[64], gid_map[64];
	const mc_sandbox_opts *opts;
};

/* ---- environment ---- */

static int looks_secret(const char *name)
{
	static const char *const words[] = { "TOKEN", "SECRET", "PASSW", "KEY", "CREDENTIAL",
					     "AUTH", "COOKIE", "SESSION" };
	size_t i, j, n = strlen(name);
	for (i = 0; i < sizeof words / sizeof words[0]; i++) {
		size_t w = strlen(words[i]);
		for (j = 0; j + w <= n; j++)
			if (!strncasecmp(name + j, words[i], w))
				return 1;
	}
	return 0;
}

static int valid_env_name(const char *name)
{
	size_t i;
	if (!name[0] || strchr(name, '=') || (name[0] >= '0' && name[0] <= '9'))
		return 0;
	for (i = 0; name[i]; i++)
		if (!(name[i] == '_' || (name[i] >= 'A' && name[i] <= 'Z') ||
		      (name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9')))
			return 0;
	return 1;
}

static char *env_pair(const char *name, const char *value)
{
	size_t n = strlen(name), v = strlen(value);
	char *s = mc_xmalloc(n + v + 2);
	memcpy(s, name, n);
	s[n] = '=';
	memcpy(s + n + 1, value, v + 1);
	return s;
}

static int reserved_env(const char *name)
{
	return !strcmp(name, "PATH") || !strcmp(name, "HOME") || !strcmp(name, "LANG") ||
	       !strcmp(name, "TMPDIR");
}

static int build_env(char ***out, const mc_sandbox_opts *opts)
{
	size_t n = 0, cap = 8, i;
	char **env;
	if (opts->env_allow)
		for (i = 0; opts->env_allow[i]; i++)
			cap++;
	env = mc_xcalloc(cap + 1, sizeof *env);
	env[n++] = env_pair("PATH", opts->path ? opts->path : DEFAULT_PATH);
	env[n++] = env_pair("HOME", opts->workdir);
	env[n++] = env_pair("LANG", "C");
	env[n++] = env_pair("TMPDIR", opts->tmpdir ? opts->tmpdir : opts->workdir);
	for (i = 0; opts->env_allow && opts->env_allow[i]; i++) {
		const char *name = opts->env_allow[i], *value;
		if (!valid_env_name(name) || looks_secret(name)) {
			size_t k;
			for (k = 0; k < n; k++)
				free(env[k]);
			free(env);
			return mc_error_set(MC_EINVAL,
					    "sandbox env_allow: '%s' %s", name,
					    looks_secret(name) ? "looks like a secret and is never passed"
							       : "is not a variable name");
		}
		if (reserved_env(name) || !(value = getenv(name)))
			continue;
		env[n++] = env_pair(name, value);
	}
	env[n] = NULL;
	*out = env;
	return 0;
}

static void free_env(char **env)
{
	size_t i;
	if (!env)
		return;
	for (i = 0; env[i]; i++)
		free(env[i]);
	free(env);
}

/* ---- the program ---- */

static int executable(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* argv[0] with a '/' runs as given (relative to workdir); otherwise it is searched in the
 * sandbox's PATH (absolute entries only), the way execvp would but with that PATH. */
static int resolve_program(struct plan *p, const char *name, const mc_sandbox_opts *opts)
{
	const char *path = opts->path ? opts->path : DEFAULT_PATH, *dir = path;
	if (!name[0])
		return mc_error_set(MC_EINVAL, "sandbox: empty program name");
	if (strchr(name, '/')) {
		char *full = name[0] == '/' ? mc_xstrdup(name) : NULL;
		if (!full) {
			size_t w = strlen(opts->workdir), n = strlen(name);
			full = mc_xmalloc(w + n + 2);
			memcpy(full, opts->workdir, w);
			full[w] = '/';
			memcpy(full + w + 1, name, n + 1);
		}
		if (!executable(full)) {
			int e = errno;
			free(full);
			return mc_error_set(MC_EINVAL, "cannot run '%s': %s", name,
					    e ? strerror(e) : "not an executable file");
		}
		p->program = p->program_owned = full;
		return 0;
	}
	while (*dir) {
		const char *end = strchr(dir, ':');
		size_t len = end ? (size_t)(end - dir) : strlen(dir);
		if (len && dir[0] == '/') {
			size_t n = strlen(name);
			char *full = mc_xmalloc(len + n + 2);
			memcpy(full, dir, len);
			full[len] = '/';
			memcpy(full + len + 1, name, n + 1);
			if (executable(full)) {
				p->program = p->program_owned = full;
				return 0;
			}
			free(full);
		}
		dir += len + (end ? 1 : 0);
	}
	return mc_error_set(MC_EINVAL, "cannot run '%s': not found in the sandbox's PATH (%s)",
			    name, path);
}

/* ---- the children (async-signal-safe calls only) ---- */

static void child_fail(int report_fd, int stage, int err)
{
	struct child_report r = { stage, err };
	ssize_t ignored = write(report_fd, &r, sizeof r);
	(void)ignored;
	_exit(127);
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static int loopback_up(void)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = -1;
	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof ifr);
	memcpy(ifr.ifr_name, "lo", 3);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
		rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return rc;
}

/* In a new user namespace (Maestro not root): map our own uid and gid, so files the
 * command creates keep their owner. /proc is Maestro's, and /proc/self is still us. */
static int map_own_ids(const struct plan *p)
{
	return write_file("/proc/self/setgroups", "deny") ||
	       write_file("/proc/self/uid_map", p->uid_map) ||
	       write_file("/proc/self/gid_map", p->gid_map);
}

static void set_limit(int resource, rlim_t soft, rlim_t hard, int report_fd)
{
	struct rlimit rl = { soft, hard };
	if (setrlimit(resource, &rl))
		child_fail(report_fd, STAGE_RLIMIT, errno);
}

static void child_limits(const mc_sandbox_limits *l, int report_fd)
{
	const rlim_t mib = 1024 * 1024;
	set_limit(RLIMIT_CORE, 0, 0, report_fd);
	if (l->cpu_s)
		set_limit(RLIMIT_CPU, l->cpu_s, (rlim_t)l->cpu_s + 1, report_fd);
	if (l->memory_mb)
		set_limit(RLIMIT_AS, (rlim_t)l->memory_mb * mib, (rlim_t)l->memory_mb * mib,
			  report_fd);
	if (l->processes)
		set_limit(RLIMIT_NPROC, l->processes, l->processes, report_fd);
	if (l->file_mb)
		set_limit(RLIMIT_FSIZE, (rlim_t)l->file_mb * mib, (rlim_t)l->file_mb * mib,
			  report_fd);
	set_limit(RLIMIT_NOFILE, l->open_files ? l->open_files : DEFAULT_OPEN_FILES,
		  l->open_files ? l->open_files : DEFAULT_OPEN_FILES, report_fd);
}

static void child_stdio(int out_fd, int err_fd, int report_fd)
{
	int in = open("/dev/null", O_RDONLY);
	if (in < 0 || dup2(in, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0)
		child_fail(report_fd, STAGE_STDIO, errno);
	/* Everything else Maestro has open (repositories, databases) closes on exec; the
	 * report pipe is already close-on-exec and stays usable until then. */
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC))
		child_fail(report_fd, STAGE_STDIO, errno);
}

/* Every disposition back to the default; the mask (all blocked since the clone) is
 * left to the caller. */
static void default_dispositions(void)
{
	int sig;
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
}

static void unblock_signals(void)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* The command: its own session, the limits, the identity, then exec. Runs as PID 2
 * of the namespace, or as Maestro's child when there is none. */
static _Noreturn void command_main(const struct plan *p, const struct child_fds *fd)
{
	default_dispositions();
	unblock_signals();
	if (setsid() < 0)
		child_fail(fd->report, STAGE_SETSID, errno);
	child_limits(&p->opts->limits, fd->report);
	if (p->as_root && (setgroups(0, NULL) || setgid(p->gid) || setuid(p->uid)))
		child_fail(fd->report, STAGE_IDENTITY, errno);
	if (chdir(p->opts->workdir))
		child_fail(fd->report, STAGE_CHDIR, errno);
	child_stdio(fd->out, fd->err, fd->report);
	execve(p->program, p->argv, p->envp);
	child_fail(fd->report, STAGE_EXEC, errno);
	_exit(127);
}

/* The init's handler: pass the signal to every process of the namespace but itself. */
static void forward_signal(int sig)
{
	int saved = errno;
	kill(-1, sig);
	errno = saved;
}

static int install_forwarding(void)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = forward_signal;
	sa.sa_flags = SA_RESTART;
	sigfillset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		if (sigaction(sigs[i], &sa, NULL))
			return -1;
	return 0;
}

/* Keep only the status pipe: the init holds none of Maestro's files, and the
 * command's pipes reach EOF when the command's processes are gone. */
static void init_close_fds(int keep)
{
	if (keep > 0)
		close_range(0, (unsigned)keep - 1, 0);
	close_range((unsigned)keep + 1, ~0U, 0);
}

/* PID 1 of the sandbox's namespaces. Signals are all blocked since the clone: the
 * forwarding handlers are in place before any is let through, so a SIGTERM sent
 * early is forwarded, not dropped (PID 1 drops what it has no handler for). */
static _Noreturn void init_main(const struct plan *p, const struct child_fds *fd)
{
	struct init_report rep;
	pid_t command, w;
	int status = 0;

	default_dispositions();
	/* Maestro killed outright takes the sandbox with it (bubblewrap's
	 * --die-with-parent): the kernel's SIGKILL to PID 1 ends the namespace. Tied to
	 * the thread that ran mc_sandbox_run, which waits here until the run ends. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL))
		child_fail(fd->report, STAGE_INIT_SIGNALS, errno);
	if (setsid() < 0)
		child_fail(fd->report, STAGE_SETSID, errno);
	if (!p->as_root && map_own_ids(p))
		child_fail(fd->report, STAGE_USERMAP, errno);
	if (loopback_up())
		child_fail(fd->report, STAGE_LOOPBACK, errno);
	if (install_forwarding())
		child_fail(fd->report, STAGE_INIT_SIGNALS, errno);
	command = _Fork(); /* async-signal-safe, unlike fork */
	if (command < 0)
		child_fail(fd->report, STAGE_FORK, errno);
	if (command == 0) {
		close(fd->status);
		command_main(p, fd);
	}
	init_close_fds(fd->status);
	unblock_signals();
	/* Reap orphans until the command itself ends. */
	for (;;) {
		w = waitpid(-1, &status, __WALL);
		if (w == command)
			break;
		if (w < 0 && errno != EINTR)
			_exit(127); /* cannot happen while the command is our child */
	}
	/* Whatever the command left behind dies now, before we report (again after each
	 * reap, for a child forked while the first sweep went by). */
	do
		kill(-1, SIGKILL);
	while (waitpid(-1, NULL, __WALL) > 0 || errno == EINTR);
	memset(&rep, 0, sizeof rep);
	rep.status = status;
	getrusage(RUSAGE_CHILDREN, &rep.ru);
	{
		ssize_t ignored = write(fd->status, &rep, sizeof rep);
		(void)ignored;
	}
	_exit(0);
}

/* fork() into new namespaces. No stack is given, so the child goes on, as after fork,
 * on its copy of this thread's stack; glibc's fork handlers do not run, which is
 * right for a child that only makes system calls. clone3 first; clone where the
 * kernel or a seccomp filter does not have it. */
static pid_t clone_into_namespaces(unsigned long flags)
{
	long pid;
#ifdef SYS_clone3
	struct {
		uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	} args;
	memset(&args, 0, sizeof args);
	args.flags = flags;
	args.exit_signal = SIGCHLD;
	pid = syscall(SYS_clone3, &args, sizeof args);
	if (pid >= 0 || errno != ENOSYS)
		return (pid_t)pid;
#endif
#if defined(__s390__) || defined(__CRIS__)
	pid = syscall(SYS_clone, 0L, (long)(flags | SIGCHLD), 0L, 0L, 0L);
#else
	pid = syscall(SYS_clone, (long)(flags | SIGCHLD), 0L, 0L, 0L, 0L);
#endif
	return (pid_t)pid;
}

/* ---- the parent ---- */

struct stream {
	int fd;
	mc_strbuf *buf;
	size_t *dropped;
	size_t limit;
};

/* Read what is there; returns 0 at EOF (the fd is closed and set to -1). */
static int drain(struct stream *s)
{
	char chunk[READ_CHUNK];
	ssize_t n = read(s->fd, chunk, sizeof chunk);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 1;
	if (n <= 0) {
		close(s->fd);
		s->fd = -1;
		return 0;
	}
	{
		size_t room = s->buf->len < s->limit ? s->limit - s->buf->len : 0;
		size_t keep = (size_t)n < room ? (size_t)n : room;
		mc_strbuf_add(s->buf, chunk, keep);
		*s->dropped += (size_t)n - keep;
	}
	return 1;
}

/* Read the set-up report: a failure is the run's error. Returns 0 when exec went
 * through. */
static int read_reports(int fd, const struct plan *p)
{
	struct child_report r;
	ssize_t n;
	for (;;) {
		n = read(fd, &r, sizeof r);
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof r)
			return 0;
		if (r.stage == STAGE_EXEC)
			return mc_error_set(MC_EINVAL, "cannot run '%s': %s", p->program,
					    strerror(r.err));
		if (r.stage == STAGE_CHDIR && p->as_root)
			return mc_error_set(MC_EENV,
					    "sandbox: uid %u cannot enter %s: %s (it and every parent "
					    "directory must be searchable by that uid; set TMPDIR)",
					    p->uid, p->opts->workdir, strerror(r.err));
		return mc_error_set(MC_EENV, "sandbox: %s failed: %s", stage_name(r.stage),
				    strerror(r.err));
	}
}

/* Maestro's child: the sandbox's init, or the command itself without namespaces. */
struct sandbox_child {
	pid_t pid;
	int namespaced;
	int status_fd; /* the init's report (non-blocking); -1 without namespaces */
};

static void kill_group(pid_t pgid, int sig)
{
	if (kill(-pgid, sig) && errno == ESRCH)
		kill(pgid, sig);
}

/* Namespaced, the init forwards SIGTERM to everything in the namespace, and SIGKILL
 * to it ends the namespace; otherwise the command's process group gets the signal. */
static void signal_sandbox(const struct sandbox_child *c, int sig)
{
	if (c->namespaced)
		kill(c->pid, sig);
	else
		kill_group(c->pid, sig);
}

static void collect_status(mc_sandbox_result *res, int status, const struct rusage *ru)
{
	if (WIFEXITED(status)) {
		res->exited = 1;
		res->exit_code = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		res->signal = WTERMSIG(status);
	}
	res->cpu_s = (double)ru->ru_utime.tv_sec + ru->ru_utime.tv_usec / 1e6 +
		     (double)ru->ru_stime.tv_sec + ru->ru_stime.tv_usec / 1e6;
	res->max_rss_kb = ru->ru_maxrss;
}

/* Poll output and the child until it has ended and its pipes are closed (or have
 * lingered LINGER_S past its end), enforcing the wall clock. */
static void supervise(mc_sandbox_result *res, const struct sandbox_child *child,
		      struct stream *streams, const mc_sandbox_limits *limits, double start)
{
	pid_t pid = child->pid;
	double grace = limits->grace_s > 0 ? limits->grace_s : DEFAULT_GRACE_S;
	double deadline = limits->timeout_s > 0 ? start + limits->timeout_s : 0;
	double kill_at = 0, ended_at = 0;
	int ended = 0, termed = 0, killed = 0;

	for (;;) {
		struct pollfd fds[2];
		nfds_t nfds = 0;
		int i, wait_ms = 50;
		double now;

		for (i = 0; i < 2; i++)
			if (streams[i].fd >= 0) {
				fds[nfds].fd = streams[i].fd;
				fds[nfds].events = POLLIN;
				fds[nfds].revents = 0;
				nfds++;
			}
		if (ended && (nfds == 0 || mc_time_monotonic() - ended_at > LINGER_S))
			break;
		if (nfds)
			poll(fds, nfds, wait_ms);
		else
			usleep(wait_ms * 1000);
		for (i = 0; i < 2; i++) {
			nfds_t k;
			for (k = 0; k < nfds; k++)
				if (streams[i].fd >= 0 && fds[k].fd == streams[i].fd && fds[k].revents)
					drain(&streams[i]);
		}
		now = mc_time_monotonic();
		if (!ended) {
			struct rusage ru;
			int status;
			pid_t r = wait4(pid, &status, WNOHANG, &ru);
			if (r == pid) {
				struct init_report rep;
				ended = 1;
				ended_at = now;
				res->wall_s = now - start;
				/* The init reports the command's status unless it was killed
				 * (the timeout's SIGKILL): then its own status is the run's. */
				if (child->namespaced &&
				    read(child->status_fd, &rep, sizeof rep) == (ssize_t)sizeof rep)
					collect_status(res, rep.status, &rep.ru);
				else
					collect_status(res, status, &ru);
				/* Nothing the command started outlives it: namespaced, the
				 * kernel has killed it all with the init. */
				if (!child->namespaced)
					kill_group(pid, SIGKILL);
				continue;
			}
		}
		if (!ended && deadline && now >= deadline && !termed) {
			termed = 1;
			res->timed_out = 1;
			signal_sandbox(child, SIGTERM);
			kill_at = now + grace;
		}
		if (!ended && termed && !killed && now >= kill_at) {
			killed = 1;
			signal_sandbox(child, SIGKILL);
		}
	}
	for (int i = 0; i < 2; i++)
		if (streams[i].fd >= 0) {
			close(streams[i].fd);
			streams[i].fd = -1;
		}
}

static int make_plan(struct plan *p, const char *const *argv, const mc_sandbox_opts *opts)
{
	int rc;
	memset(p, 0, sizeof *p);
	p->opts = opts;
	p->argv = (char *const *)argv;
	p->as_root = geteuid() == 0;
	p->uid = opts->uid ? opts->uid : MC_SANDBOX_DEFAULT_ID;
	p->gid = opts->gid ? opts->gid : MC_SANDBOX_DEFAULT_ID;
	snprintf(p->uid_map, sizeof p->uid_map, "%u %u 1", (unsigned)geteuid(),
		 (unsigned)geteuid());
	snprintf(p->gid_map, sizeof p->gid_map, "%u %u 1", (unsigned)getegid(),
		 (unsigned)getegid());
	if ((rc = resolve_program(p, argv[0], opts)))
		return rc;
	if ((rc = build_env(&p->envp, opts))) {
		free(p->program_owned);
		return rc;
	}
	return 0;
}

static void free_plan(struct plan *p)
{
	free(p->program_owned);
	free_env(p->envp);
}

static void close_pair(int fds[2])
{
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
}

/* The flags of the sandbox's namespaces: PID and network, inside a new user namespace
 * (which makes the others possible without privilege) when Maestro is not root. */
static unsigned long namespace_flags(const struct plan *p)
{
	unsigned long flags = CLONE_NEWPID | CLONE_NEWNET;
	return p->as_root ? flags : flags | CLONE_NEWUSER;
}

/* Start the sandbox: the init in new namespaces, or, when they cannot be made and the
 * caller allows it, the command as a plain child. Signals stay blocked across the
 * clone, so none of Maestro's handlers runs in a child before it resets them. */
static int start_child(struct sandbox_child *c, mc_sandbox_result *res, const struct plan *p,
		       const struct child_fds *fds)
{
	sigset_t all, saved;
	int clone_err;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &saved);
	c->pid = clone_into_namespaces(namespace_flags(p));
	clone_err = errno;
	if (c->pid == 0)
		init_main(p, fds);
	c->namespaced = c->pid > 0;
	if (c->pid < 0 && p->opts->allow_no_isolation) {
		c->pid = fork();
		if (c->pid == 0)
			command_main(p, fds);
	}
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	res->isolated = c->namespaced;
	if (c->pid > 0)
		return 0;
	if (!p->opts->allow_no_isolation)
		return mc_error_set(MC_EENV,
				    "sandbox: cannot create PID and network namespaces (%s); it "
				    "needs root or unprivileged user namespaces",
				    strerror(clone_err));
	return mc_error_set(MC_EIO, "sandbox: fork: %s", strerror(errno));
}

int mc_sandbox_run(mc_sandbox_result *res, const char *const *argv, const mc_sandbox_opts *opts)
{
	int out_p[2] = { -1, -1 }, err_p[2] = { -1, -1 }, rep_p[2] = { -1, -1 },
	    st_p[2] = { -1, -1 };
	size_t limit = opts && opts->limits.output_bytes ? opts->limits.output_bytes
							 : DEFAULT_OUTPUT_BYTES;
	struct stream streams[2];
	struct sandbox_child child;
	struct child_fds fds;
	struct plan plan;
	double start;
	int rc;

	memset(res, 0, sizeof *res);
	/* Both buffers are strings even when the command printed nothing. */
	mc_strbuf_add(&res->out, "", 0);
	mc_strbuf_add(&res->err, "", 0);
	if (!opts || !opts->workdir || !argv || !argv[0])
		return mc_error_set(MC_EINVAL, "sandbox: a program and a working directory are required");
	if ((rc = make_plan(&plan, argv, opts)))
		return rc;
	if (pipe2(out_p, O_CLOEXEC) || pipe2(err_p, O_CLOEXEC) || pipe2(rep_p, O_CLOEXEC) ||
	    pipe2(st_p, O_CLOEXEC) || fcntl(st_p[0], F_SETFL, O_NONBLOCK)) {
		rc = mc_error_set(MC_EIO, "sandbox: pipe: %s", strerror(errno));
		goto out;
	}
	fds = (struct child_fds){ out_p[1], err_p[1], rep_p[1], st_p[1] };
	start = mc_time_monotonic();
	if ((rc = start_child(&child, res, &plan, &fds)))
		goto out;
	child.status_fd = st_p[0];
	res->pid = (int)child.pid;
	close(out_p[1]);
	close(err_p[1]);
	close(rep_p[1]);
	close(st_p[1]);
	out_p[1] = err_p[1] = rep_p[1] = st_p[1] = -1;

	rc = read_reports(rep_p[0], &plan);
	streams[0] = (struct stream){ out_p[0], &res->out, &res->out_dropped, limit };
	streams[1] = (struct stream){ err_p[0], &res->err, &res->err_dropped, limit };
	out_p[0] = err_p[0] = -1;
	if (rc) {
		int status;
		struct rusage ru;
		for (int i = 0; i < 2; i++)
			close(streams[i].fd);
		while (wait4(child.pid, &status, 0, &ru) < 0 && errno == EINTR)
			;
		goto out;
	}
	supervise(res, &child, streams, &opts->limits, start);
out:
	close_pair(out_p);
	close_pair(err_p);
	close_pair(rep_p);
	close_pair(st_p);
	free_plan(&plan);
	return rc;
}

void mc_sandbox_result_free(mc_sandbox_result *res)
{
	if (!res)
		return;
	mc_strbuf_release(&res->out);
	mc_strbuf_release(&res->err);
}

int mc_sandbox_ok(const mc_sandbox_result *res)
{
	return res->exited && res->exit_code == 0 && !res->timed_out;
}

static const char *signal_name(int sig)
{
	switch (sig) {
	case SIGKILL: return "SIGKILL";
	case SIGTERM: return "SIGTERM";
	case SIGXCPU: return "SIGXCPU";
	case SIGXFSZ: return "SIGXFSZ";
	case SIGSEGV: return "SIGSEGV";
	case SIGABRT: return "SIGABRT";
	case SIGBUS: return "SIGBUS";
	case SIGPIPE: return "SIGPIPE";
	case SIGINT: return "SIGINT";
	default: return NULL;
	}
}

void mc_sandbox_describe(mc_strbuf *out, const mc_sandbox_result *res, const mc_sandbox_opts *opts)
{
	const char *name = signal_name(res->signal);
	if (res->exited) {
		mc_strbuf_printf(out, "exit %d", res->exit_code);
	} else if (name) {
		mc_strbuf_printf(out, "killed by %s", name);
	} else {
		mc_strbuf_printf(out, "killed by signal %d", res->signal);
	}
	if (res->timed_out)
		mc_strbuf_printf(out, " after the %g s wall-clock timeout",
				 opts ? opts->limits.timeout_s : 0.0);
	else if (res->signal == SIGXCPU || (res->signal == SIGKILL && opts && opts->limits.cpu_s &&
					    res->cpu_s >= opts->limits.cpu_s))
		mc_strbuf_puts(out, " (CPU time limit)");
	else if (res->signal == SIGXFSZ)
		mc_strbuf_puts(out, " (file size limit)");
}

/* ---- handing directories over ---- */

/* nftw passes no user data; one walk per thread at a time. */
static _Thread_local unsigned give_uid, give_gid;

static int give_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return lchown(path, give_uid, give_gid) ? -1 : 0;
}

int mc_sandbox_give_dir(const char *dir, const mc_sandbox_opts *opts)
{
	if (geteuid() != 0)
		return 0;
	give_uid = opts->uid ? opts->uid : MC_SANDBOX_DEFAULT_ID;
	give_gid = opts->gid ? opts->gid : MC_SANDBOX_DEFAULT_ID;
	if (nftw(dir, give_entry, 16, FTW_PHYS))
		return mc_error_set(MC_EIO, "sandbox: cannot hand %s to uid %u: %s", dir, give_uid,
				    strerror(errno));
	return 0;
}
