/*
 * Running a command Maestro does not trust (a pull request's build or
 * benchmark) in a sandbox, and measuring it.
 *
 * The command is an argv vector, never a shell string. The child gets its own
 * session and process group, a new network namespace (only a loopback
 * interface, brought up, so a benchmark may talk to a server it starts itself
 * but reaches nothing outside), rlimits on CPU time, address space, processes,
 * file size and open files, a scrubbed environment, the given working
 * directory, and /dev/null as stdin. Its stdout and stderr are captured up to
 * a size limit each (the rest is read and discarded, and flagged). A wall-clock
 * timeout sends SIGTERM to the whole process group, then SIGKILL after a
 * grace period; when the command ends, whatever it left running in its
 * process group is killed too. Wall time is measured here; CPU time and peak
 * resident memory come from wait4's rusage (the largest of the command and
 * the descendants it waited for).
 *
 * Identity: when Maestro runs as root the child drops to an unprivileged
 * uid/gid (65534, "nobody", unless the caller picks another) after the
 * namespace is made, because root ignores RLIMIT_NPROC and should not run a
 * stranger's code anyway; the directories it must write to are handed over
 * with mc_sandbox_give_dir. Not root, the network namespace is made inside a
 * new user namespace that maps the caller's own uid (RLIMIT_NPROC then counts
 * the caller's processes). When no namespace can be made the run fails with
 * MC_EENV, unless the caller allowed running without network isolation.
 *
 * Known limits of the design: a process that leaves the process group
 * (setsid) escapes the group kill, though not the rlimits; memory is bounded
 * by address space, which counts reserved as well as touched pages.
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
	double timeout_s;      /* wall clock before SIGTERM to the group; <= 0: none */
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
	int allow_no_isolation;        /* run without a network namespace when none can be made */
	unsigned uid, gid;             /* identity when Maestro is root; 0: MC_SANDBOX_DEFAULT_ID */
} mc_sandbox_opts;

typedef struct mc_sandbox_result {
	int pid;             /* the command's pid, also its process group and session id */
	int exited;          /* ended by exit(); exit_code is valid */
	int exit_code;
	int signal;          /* the signal that ended it, or 0 */
	int timed_out;       /* the wall clock ran out and the group was killed */
	int isolated;        /* it ran in its own network namespace */
	double wall_s;       /* measured by Maestro, from fork to the end of the command */
	double cpu_s;        /* user + system CPU of the command and its waited-for children */
	long max_rss_kb;     /* peak resident set size (KiB) */
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
