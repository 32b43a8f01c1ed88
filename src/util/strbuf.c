/* Growable string buffer (strbuf.h). */
#include "util/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

void mc_strbuf_grow(mc_strbuf *sb, size_t extra)
{
	void *p = sb->buf;
	mc_xgrow(&p, &sb->alloc, sb->len + extra + 1, 1);
	sb->buf = p;
}

void mc_strbuf_add(mc_strbuf *sb, const void *data, size_t len)
{
	mc_strbuf_grow(sb, len);
	if (len)
		memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
}

void mc_strbuf_puts(mc_strbuf *sb, const char *s)
{
	mc_strbuf_add(sb, s, strlen(s));
}

void mc_strbuf_putc(mc_strbuf *sb, char c)
{
	mc_strbuf_add(sb, &c, 1);
}

void mc_strbuf_vprintf(mc_strbuf *sb, const char *fmt, va_list ap)
{
	va_list cp;
	int n;
	mc_strbuf_grow(sb, 64);
	va_copy(cp, ap);
	n = vsnprintf(sb->buf + sb->len, sb->alloc - sb->len, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	if ((size_t)n >= sb->alloc - sb->len) {
		mc_strbuf_grow(sb, (size_t)n);
		vsnprintf(sb->buf + sb->len, sb->alloc - sb->len, fmt, ap);
	}
	sb->len += (size_t)n;
}

void mc_strbuf_printf(mc_strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	mc_strbuf_vprintf(sb, fmt, ap);
	va_end(ap);
}

void mc_strbuf_reset(mc_strbuf *sb)
{
	sb->len = 0;
	if (sb->buf)
		sb->buf[0] = '\0';
}

const char *mc_strbuf_str(const mc_strbuf *sb)
{
	return sb->buf ? sb->buf : "";
}

char *mc_strbuf_detach(mc_strbuf *sb)
{
	char *p = sb->buf ? sb->buf : mc_xstrdup("");
	sb->buf = NULL;
	sb->len = sb->alloc = 0;
	return p;
}

void mc_strbuf_release(mc_strbuf *sb)
{
	free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->alloc = 0;
}
