/*
 * Streaming trace reading (trace.h): a fixed buffer is filled from the source,
 * every complete line in it goes to its format's line parser (line.h), and the
 * unfinished tail moves to the front before the next read. Lines never cross the
 * buffer's end unparsed, so a trace of any size is read in the memory of one
 * buffer plus the parser's scratch space (both sized by the line limit).
 *
 * A regular file is mapped instead, MC_TRACE_WINDOW bytes at a time, each window
 * unmapped before the next: the same bounded footprint without copying every byte
 * from the page cache (read() spent a third of the time in that copy).
 */
#include "adapters/trace/trace.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adapters/trace/line.h"
#include "util/alloc.h"
#include "util/error.h"

struct reader {
	const mc_trace_options *opt;
	const char *name;
	mc_trace_fn fn;
	void *ctx;
	size_t max_line;
	char *scratch;     /* 2 * max_line + 2 bytes: the JSON scanner's decoding space */
	size_t line_no;
	size_t records;
};

int mc_trace_parse_format(const char *name, enum mc_trace_format *out)
{
	if (!strcmp(name, "jsonl"))
		*out = MC_TRACE_JSONL;
	else if (!strcmp(name, "nginx") || !strcmp(name, "apache"))
		*out = MC_TRACE_NGINX;
	else
		return mc_error_set(MC_EINVAL, "unknown trace format '%s' (known: jsonl, nginx)", name);
	return 0;
}

static void reader_init(struct reader *r, const char *name, const mc_trace_options *opt,
			mc_trace_fn fn, void *ctx)
{
	memset(r, 0, sizeof *r);
	r->opt = opt;
	r->name = name;
	r->fn = fn;
	r->ctx = ctx;
	r->max_line = opt->max_line ? opt->max_line : MC_TRACE_MAX_LINE;
	r->scratch = mc_xmalloc(2 * r->max_line + 2);
}

static int blank(const char *s, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

static int too_long(const struct reader *r)
{
	return mc_error_set(MC_ELIMIT, "%s:%zu: line: longer than the limit of %zu bytes", r->name,
			    r->line_no + 1, r->max_line);
}

static int handle_line(struct reader *r, const char *s, size_t n)
{
	mc_trace_record rec;
	const char *field = "line", *problem = "malformed";
	int rc;

	if (n > r->max_line)
		return too_long(r);
	r->line_no++;
	if (!n || ((*s == ' ' || *s == '\t' || *s == '\r') && blank(s, n)))
		return 0;
	if (r->opt->format == MC_TRACE_JSONL)
		rc = mc_trace_jsonl_line(&rec, r->scratch, s, n, &field, &problem);
	else
		rc = mc_trace_nginx_line(&rec, s, n, r->opt->cost_per_request_usd, &field, &problem);
	if (rc)
		return mc_error_set(MC_EINVAL, "%s:%zu: %s: %s", r->name, r->line_no, field, problem);
	r->records++;
	return r->fn(r->ctx, &rec);
}

/* Every complete line of buf[0..len); at the end of input (final) the rest is one too.
 * *used is how many bytes were consumed. */
static int handle_lines(struct reader *r, const char *buf, size_t len, int final, size_t *used)
{
	const char *p = buf, *end = buf + len;
	int rc;

	for (;;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			break;
		if ((rc = handle_line(r, p, (size_t)(nl - p))) != 0)
			return rc;
		p = nl + 1;
	}
	if (final && p < end) {
		if ((rc = handle_line(r, p, (size_t)(end - p))) != 0)
			return rc;
		p = end;
	}
	*used = (size_t)(p - buf);
	return 0;
}

int mc_trace_read_mem(size_t *nrecords, const char *data, size_t len, const char *name,
		      const mc_trace_options *opt, mc_trace_fn fn, void *ctx)
{
	struct reader r;
	size_t used;
	int rc;

	reader_init(&r, name, opt, fn, ctx);
	if (opt->on_bytes)
		opt->on_bytes(opt->bytes_ctx, data, len);
	rc = handle_lines(&r, data, len, 1, &used);
	free(r.scratch);
	if (nrecords)
		*nrecords = r.records;
	return rc;
}

/* A source of bytes: returns how many were read, 0 at the end, -1 on error (errno). */
typedef long (*read_fn)(void *src, char *buf, size_t n);

static long read_from_fd(void *src, char *buf, size_t n)
{
	int fd = *(int *)src;
	for (;;) {
		ssize_t got = read(fd, buf, n);
		if (got >= 0 || errno != EINTR)
			return (long)got;
	}
}

static long read_from_file(void *src, char *buf, size_t n)
{
	FILE *f = src;
	size_t got = fread(buf, 1, n, f);
	if (!got && ferror(f))
		return -1;
	return (long)got;
}

static int read_stream(size_t *nrecords, read_fn rd, void *src, const char *name,
		       const mc_trace_options *opt, mc_trace_fn fn, void *ctx)
{
	struct reader r;
	size_t cap, have = 0;
	char *buf;
	int rc = 0;

	reader_init(&r, name, opt, fn, ctx);
	cap = 2 * (r.max_line + 1) > MC_TRACE_BUFFER ? 2 * (r.max_line + 1) : MC_TRACE_BUFFER;
	buf = mc_xmalloc(cap);
	for (;;) {
		size_t used;
		long got = rd(src, buf + have, cap - have);
		if (got < 0) {
			rc = mc_error_set(MC_EIO, "%s: reading: %s", name, strerror(errno));
			break;
		}
		if (got > 0 && opt->on_bytes)
			opt->on_bytes(opt->bytes_ctx, buf + have, (size_t)got);
		have += (size_t)got;
		if ((rc = handle_lines(&r, buf, have, got == 0, &used)) != 0)
			break;
		memmove(buf, buf + used, have - used);
		have -= used;
		if (have > r.max_line) {
			rc = too_long(&r);
			break;
		}
		if (got == 0)
			break;
	}
	free(buf);
	free(r.scratch);
	if (nrecords)
		*nrecords = r.records;
	return rc;
}

int mc_trace_read_fd(size_t *nrecords, int fd, const char *name, const mc_trace_options *opt,
		     mc_trace_fn fn, void *ctx)
{
	return read_stream(nrecords, read_from_fd, &fd, name, opt, fn, ctx);
}

int mc_trace_read_file(size_t *nrecords, FILE *f, const char *name,
		       const mc_trace_options *opt, mc_trace_fn fn, void *ctx)
{
	return read_stream(nrecords, read_from_file, f, name, opt, fn, ctx);
}

/* A regular file through windows of mmap (see the top of this file). */
static int read_mapped(size_t *nrecords, int fd, off_t size, const char *name,
		       const mc_trace_options *opt, mc_trace_fn fn, void *ctx)
{
	struct reader r;
	off_t pos = 0, page = (off_t)sysconf(_SC_PAGESIZE);
	size_t window;
	int rc = 0;

	reader_init(&r, name, opt, fn, ctx);
	window = 2 * (r.max_line + 1) > MC_TRACE_WINDOW ? 2 * (r.max_line + 1) : MC_TRACE_WINDOW;
	while (pos < size) {
		off_t start = pos - pos % page;
		size_t len = (size_t)(size - start) < window ? (size_t)(size - start) : window;
		size_t skip = (size_t)(pos - start), used;
		int final = start + (off_t)len == size;
		char *map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, start);

		if (map == MAP_FAILED) {
			rc = mc_error_set(MC_EIO, "%s: mapping: %s", name, strerror(errno));
			break;
		}
		(void)madvise(map, len, MADV_SEQUENTIAL);
		rc = handle_lines(&r, map + skip, len - skip, final, &used);
		/* The next window starts at the first unconsumed byte: hand on only these. */
		if (!rc && opt->on_bytes)
			opt->on_bytes(opt->bytes_ctx, map + skip, used);
		munmap(map, len);
		if (rc)
			break;
		if (!final && len - skip - used > r.max_line) {
			rc = too_long(&r);
			break;
		}
		pos += (off_t)used;
		if (final)
			break;
	}
	free(r.scratch);
	if (nrecords)
		*nrecords = r.records;
	return rc;
}

int mc_trace_read_path(size_t *nrecords, const char *path, const mc_trace_options *opt,
		       mc_trace_fn fn, void *ctx)
{
	struct stat st;
	int fd, rc;

	if (!strcmp(path, "-"))
		return mc_trace_read_fd(nrecords, 0, "<stdin>", opt, fn, ctx);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return mc_error_set(errno == ENOENT ? MC_ENOTFOUND : MC_EIO, "%s: %s", path,
				    strerror(errno));
#ifdef POSIX_FADV_SEQUENTIAL
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
	if (!fstat(fd, &st) && S_ISREG(st.st_mode) && st.st_size > 0)
		rc = read_mapped(nrecords, fd, st.st_size, path, opt, fn, ctx);
	else
		rc = mc_trace_read_fd(nrecords, fd, path, opt, fn, ctx);
	close(fd);
	return rc;
}
