/*
 * Error reporting, the libgit2 way: functions return 0 or a negative MC_E* code
 * and leave a human-readable message in thread-local storage. The CLI maps
 * codes to exit statuses (src/cli/exit.h); everything else only sets and passes.
 */
#ifndef MC_UTIL_ERROR_H
#define MC_UTIL_ERROR_H

enum mc_error_code {
	MC_OK = 0,
	MC_EINVAL = -1,     /* bad input: arguments, documents, revisions given by the user */
	MC_ENOTFOUND = -2,  /* a named thing (file, revision, key) does not exist */
	MC_EIO = -3,        /* the operating system or a file failed us */
	MC_ENOMEM = -4,     /* out of memory */
	MC_EGIT = -5,       /* libgit2 failed on a repository that should work */
	MC_EDB = -6,        /* SQLite failed */
	MC_ECONFIG = -7,    /* configuration does not validate */
	MC_EENV = -8,       /* the environment lacks something (a tool, a repository, a key) */
	MC_EINTERNAL = -9,  /* a bug in maestro */
	MC_ELIMIT = -10,    /* an input exceeds a documented size limit */
	MC_EEMPTY = -11,    /* nothing to do: an empty range, no commits */
	MC_EVERIFY = -12,   /* evidence does not verify: a bad or unpinned signature, a rewrite */
};

/* Set the thread's error message; returns code so callers can `return mc_error_set(...)`. */
int mc_error_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prefix the current message with more context ("reading config: <old message>"). */
int mc_error_wrap(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Keep the current message under another code ("this parse error is a config error"). */
int mc_error_recode(int code);
const char *mc_error_message(void);
int mc_error_code(void);
void mc_error_clear(void);
/* A short stable name for a code ("EINVAL"), used in JSON error output. */
const char *mc_error_name(int code);

#endif
