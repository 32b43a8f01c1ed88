/*
 * Allocation that cannot fail: on exhaustion maestro prints one line and exits
 * with the internal-error status. Recovering from malloc failure in a CLI or a
 * bot worker buys nothing but untested paths (git and Redis make the same call).
 */
#ifndef MC_UTIL_ALLOC_H
#define MC_UTIL_ALLOC_H
#include <stddef.h>

void *mc_xmalloc(size_t n);
void *mc_xcalloc(size_t count, size_t size);
void *mc_xrealloc(void *p, size_t n);
/* Grow *p (holding *alloc elements of size) to hold at least need elements. */
void mc_xgrow(void **p, size_t *alloc, size_t need, size_t size);
char *mc_xstrdup(const char *s);
char *mc_xstrndup(const char *s, size_t n);

#endif
