/*
 * Running a command Maestro does not trust (a pull request's build or
 * benchmark) in a sandbox, and measuring it.
 *
 * The command is an argv vector, never a shell string. It runs in new PID and
 * network namespaces (the network has only a loopback interface, brought up,
 * so a benchmark may talk to a server it starts itself but reaches nothing
 * outside), in its own session and process group, with rlimits on CPU time,
 * address space, processes, file size and open files, a scrubbed environment,
 * the given working directory, and /dev/null as stdin. Its stdout and stderr
 * are captured up to a size limit each (the rest is read and discarded, and
 * flagged).
 *
 * PID 1 of the namespace is a small init of Maestro's (it never execs); the
 * command is PID 2. The init forwards SIGTERM, SIGINT and SIGHUP to every
 * process in the namespace and reaps the orphans; when the command ends it
 * kills whatever is left (setsid or not: nothing the command started outlives
 * it), reports the command's wait status and exits. A wall-clock timeout sends
 * SIGTERM to the init, which forwards it, then SIGKILL to the init after a
 * grace period, and the kernel kills everything in the namespace with it.
 * /proc is not remounted (there is no mount namespace): the command sees
 * Maestro's /proc, where its own pid reads as Maestro sees it, and can read
 * about (not signal) processes outside.
 *
 * Wall time is measured here. CPU time and peak resident memory are the
 * rusage of every process the init reaped (the command and everything it
 * left behind: CPU summed, memory the largest of them); when the init was
 * killed by the timeout's SIGKILL, wait4's rusage of the init (the same, plus
 * the init itself).
 *
 * Identity: when Maestro runs as root the child drops to an unprivileged
 * uid/gid (65534, "nobody", unless the caller picks another) after the
 * namespace is made, because root ignores RLIMIT_NPROC and should not run a
 * stranger's code anyway; the directories it must write to are handed over
 * with mc_sandbox_give_dir. Not root, the PID and network namespaces are
 * made inside a new user namespace that maps the caller's own uid
 * (RLIMIT_NPROC then counts the caller's processes, the init among them).
 * When the namespaces cannot be made the run fails with MC_EENV, unless the
 * caller allowed running without isolation: then the command is Maestro's
 * child directly, with the network, and the timeout and the end of the
 * command kill its process group only.
 *
 * When Maestro itself dies (even by SIGKILL) while a command runs, the kernel
 * sends SIGKILL to the sandbox's init (PR_SET_PDEATHSIG), and the namespace
 * goes with it; only a death in the microseconds between the clone and that
 * prctl escapes this, the command then ending by its own limits.
 *
 * Known limits of the design: without isolation, a process that leaves the
 * process group (setsid) escapes the group kill, though not the rlimits;
 * memory is bounded by address space, which counts reserved as well as
 * touched pages; the peak resident memory includes the copy of Maestro the
 * command was forked from before it exec'd (Linux counts the old image's
 * peak at exec).
 */
#ifndef MC_ADAPTERS_PROC_SANDBOX_H
#define MC_ADAPTERS_PROC_SANDBOX_H
#include <stddef.h>

#include "util/strbuf.h"

/* The uid and gid the command runs as when Maestro is root. */
#define MC_SANDBOX_DEFAULT_ID 65534u

typedef struct mc_sandbox_limits {
	unsigned cpu_s;        /* RLIMIT_CPU seconds (SIGXCPU, then SIGKILL a second later); 0: none */
	unsigned memory_mb;    /* RLIMIT_AS in MiB; 0: none */
	unsigned processes;    /* RLIMIT_NPROC; 0: none */
	unsigned file_mb;      /* RLIMIT_FSIZE in MiB (SIGXFSZ on the write past it); 0: none */
	unsigned open_files;   /* RLIMIT_NOFILE; 0: 256 */
	size_t output_bytes;   /* bytes kept of stdout and of stderr each; 0: 1 MiB */
	double timeout_s;      /* wall clock before SIGTERM to the sandbox; <= 0: none */
	double grace_s;        /* SIGTERM to SIGKILL; <= 0: 2 s */
} mc_sandbox_limits;

typedef struct mc_sandbox_opts {
	const char *workdir;           /* the child's cwd and HOME (required) */
	const char *tmpdir;            /* TMPDIR; NULL: workdir */
	const char *path;              /* PATH; NULL: /usr/local/bin:/usr/bin:/bin */
	const char *const *env_allow;  /* names copied from Maestro's environment, NULL-terminated;
	                                * names that look like secrets (TOKEN, SECRET, PASSWORD,
	                                * KEY, CREDENTIAL) are refused */
	mc_sandbox_limits limits;
	int allow_no_isolation;        /* run without namespaces (PID, network) when they cannot be made */
	unsigned uid, gid;             /* identity when Maestro is root; 0: MC_SANDBOX_DEFAULT_ID */
} mc_sandbox_opts;

typedef struct mc_sandbox_result {
	int pid;             /* isolated: the sandbox's init (PID 1 inside; the command is PID 2),
	                      * as Maestro sees it, gone when the run returns; otherwise the
	                      * command's pid, also its process group and session id */
	int exited;          /* ended by exit(); exit_code is valid */
	int exit_code;
	int signal;          /* the signal that ended it, or 0 */
	int timed_out;       /* the wall clock ran out and the sandbox was killed */
	int isolated;        /* it ran in its own PID and network namespaces */
	double wall_s;       /* measured by Maestro, from fork to the end of the command */
	double cpu_s;        /* user + system CPU of the command and every process it started
	                      * (without isolation: those it waited for) */
	long max_rss_kb;     /* peak resident set size (KiB) of the largest of them */
	mc_strbuf out, err;  /* captured stdout and stderr (at most output_bytes each) */
	size_t out_dropped, err_dropped; /* bytes read beyond the limit and discarded */
} mc_sandbox_result;

/*
 * Run argv[0] (searched in the sandbox's PATH when it has no '/'; a relative path with
 * a '/' is relative to workdir) with argv. 0 when the command ran, whatever its exit
 * status (read res); MC_EINVAL for bad options or a program that is not found or not
 * executable, MC_EENV when the sandbox cannot be set up (no namespace, a limit refused),
 * MC_EIO when fork or pipes fail. res is filled on every return; free it with
 * mc_sandbox_result_free.
 */
int mc_sandbox_run(mc_sandbox_result *res, const char *const *argv, const mc_sandbox_opts *opts);
void mc_sandbox_result_free(mc_sandbox_result *res);

/* True when the command exited with status 0 within its limits. */
int mc_sandbox_ok(const mc_sandbox_result *res);
/* How it ended, for people: "exit 0", "exit 3", "killed by SIGKILL after the 5 s
 * wall-clock timeout", "killed by SIGXCPU (CPU time limit)". */
void mc_sandbox_describe(mc_strbuf *out, const mc_sandbox_result *res, const mc_sandbox_opts *opts);

/* Give dir and everything under it (not following symlinks) to the identity the sandbox
 * runs as, so the command can write there; nothing to do when Maestro is not root. */
int mc_sandbox_give_dir(const char *dir, const mc_sandbox_opts *opts);

#endif
