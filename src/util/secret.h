/*
 * Secrets from files: tokens, webhook secrets and private keys are read only
 * from files that nobody but their owner can read (no group or other
 * permission bits), so a secret left world-readable is refused instead of used.
 * The value never appears in an error message; only the path does.
 */
#ifndef MC_UTIL_SECRET_H
#define MC_UTIL_SECRET_H
#include <stddef.h>

/* Largest secret file accepted (a 4096-bit PEM key is about 3.3 KB). */
#define MC_SECRET_MAX (64u * 1024u)

/*
 * Read the secret in path: MC_ENOTFOUND when absent, MC_EINVAL when it is not a
 * regular file, group- or world-accessible (mode & 077), or empty once trailing
 * newlines and carriage returns are cut, MC_ELIMIT when larger than MC_SECRET_MAX.
 * Free *out with mc_secret_free, which wipes it.
 */
int mc_secret_read_file(char **out, size_t *len, const char *path);
void mc_secret_free(char *secret);

#endif
