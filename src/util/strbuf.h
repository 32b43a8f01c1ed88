/*
 * Growable NUL-terminated byte buffer, after git's strbuf. buf is always a
 * valid C string (possibly with embedded NULs counted in len).
 */
#ifndef MC_UTIL_STRBUF_H
#define MC_UTIL_STRBUF_H
#include <stdarg.h>
#include <stddef.h>

typedef struct mc_strbuf {
	char *buf;
	size_t len;
	size_t alloc;
} mc_strbuf;

#define MC_STRBUF_INIT { NULL, 0, 0 }

void mc_strbuf_grow(mc_strbuf *sb, size_t extra);
void mc_strbuf_add(mc_strbuf *sb, const void *data, size_t len);
void mc_strbuf_puts(mc_strbuf *sb, const char *s);
void mc_strbuf_putc(mc_strbuf *sb, char c);
void mc_strbuf_printf(mc_strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void mc_strbuf_vprintf(mc_strbuf *sb, const char *fmt, va_list ap);
void mc_strbuf_reset(mc_strbuf *sb);
/* Contents as a C string; "" for a never-used buffer. */
const char *mc_strbuf_str(const mc_strbuf *sb);
/* Hand the buffer to the caller (free() it); sb is reset. */
char *mc_strbuf_detach(mc_strbuf *sb);
void mc_strbuf_release(mc_strbuf *sb);

#endif
