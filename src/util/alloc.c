/* Abort-on-exhaustion allocation wrappers (see alloc.h for why). */
#include "util/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die_oom(size_t n)
{
	fprintf(stderr, "maestro: out of memory allocating %zu bytes\n", n);
	exit(4);
}

void *mc_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		die_oom(n);
	return p;
}

void *mc_xcalloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);
	if (!p)
		die_oom(count * size);
	return p;
}

void *mc_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		die_oom(n);
	return q;
}

void mc_xgrow(void **p, size_t *alloc, size_t need, size_t size)
{
	size_t n;
	if (need <= *alloc)
		return;
	n = *alloc ? *alloc : 8;
	while (n < need)
		n = n * 3 / 2 + 8;
	if (n > (size_t)-1 / size)
		die_oom((size_t)-1);
	*p = mc_xrealloc(*p, n * size);
	*alloc = n;
}

char *mc_xstrdup(const char *s)
{
	return mc_xstrndup(s, strlen(s));
}

char *mc_xstrndup(const char *s, size_t n)
{
	char *p = mc_xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}
