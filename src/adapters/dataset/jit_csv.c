/*
 * Streaming reader of the jit defect CSVs (jit_csv.h). Bytes are read in
 * chunks, hashed, and cut into lines of at most MC_JIT_CSV_MAX_LINE bytes; the
 * first non-empty line is the header, every later non-empty line one commit.
 * Numbers must be plain decimals: strtod alone would also take "nan", "inf",
 * hex and leading blanks, none of which belongs in this data.
 */
#include "adapters/dataset/jit_csv.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/error.h"
#include "util/hex.h"

#define MAX_COLUMNS 256

enum role { ROLE_SKIP = 0, ROLE_DATE, ROLE_BUG, ROLE_FEATURE };

struct reader {
	const char *path;
	const mc_jit_csv_schema *schema;
	mc_jit_csv *out;
	size_t alloc;          /* rows the arrays of out have room for */
	size_t line_no;
	int header_done;
	size_t ncolumns;
	enum role role[MAX_COLUMNS];
	int slot[MAX_COLUMNS];
	char *name[MAX_COLUMNS]; /* header names, for errors */
};

/* Split line in place at commas; returns the field count or MAX_COLUMNS + 1 when too many. */
static size_t split(char *line, char **fields)
{
	size_t n = 0;
	char *p = line;
	for (;;) {
		if (n == MAX_COLUMNS)
			return MAX_COLUMNS + 1;
		fields[n++] = p;
		p = strchr(p, ',');
		if (!p)
			return n;
		*p++ = '\0';
	}
}

/* [-+]digits[.digits][(e|E)[-+]digits] with at least one digit in the mantissa. */
static int is_decimal(const char *s, int integer_only)
{
	int digits = 0;
	if (*s == '-' || *s == '+')
		s++;
	for (; *s >= '0' && *s <= '9'; s++)
		digits++;
	if (*s == '.' && !integer_only)
		for (s++; *s >= '0' && *s <= '9'; s++)
			digits++;
	if (!digits)
		return 0;
	if ((*s == 'e' || *s == 'E') && !integer_only) {
		s++;
		if (*s == '-' || *s == '+')
			s++;
		if (!(*s >= '0' && *s <= '9'))
			return 0;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return *s == '\0';
}

#define SHOWN_BYTES 40

/*
 * The first SHOWN_BYTES bytes of a field for an error message, with anything but
 * printable ASCII as \xNN: the file is untrusted and the message goes to a
 * terminal, where a raw escape sequence would be obeyed rather than shown.
 */
static void printable(char out[4 * SHOWN_BYTES + 4], const char *v)
{
	size_t i;
	char *o = out;
	for (i = 0; v[i] && i < SHOWN_BYTES; i++) {
		unsigned char ch = (unsigned char)v[i];
		if (ch >= 0x20 && ch < 0x7f && ch != '\\')
			*o++ = (char)ch;
		else
			o += sprintf(o, "\\x%02x", ch);
	}
	strcpy(o, v[i] ? "..." : "");
}

static int field_error(const struct reader *r, size_t col, const char *value, const char *why)
{
	char shown[4 * SHOWN_BYTES + 4];
	printable(shown, value);
	return mc_error_set(MC_EINVAL, "%s:%zu:%zu: column '%s': '%s' %s", r->path, r->line_no,
			    col + 1, r->name[col], shown, why);
}

static int parse_header(struct reader *r, char *line)
{
	char *fields[MAX_COLUMNS];
	size_t n = split(line, fields), c, nf = r->schema->nfeatures;
	int seen_date = 0, seen_bug = 0, *slot_seen;

	if (n > MAX_COLUMNS)
		return mc_error_set(MC_EINVAL, "%s:%zu: more than %d columns in the header", r->path,
				    r->line_no, MAX_COLUMNS);
	/* A UTF-8 byte order mark is not part of the first column's name. */
	if (!strncmp(fields[0], "\xEF\xBB\xBF", 3))
		fields[0] += 3;
	slot_seen = mc_xcalloc(nf ? nf : 1, sizeof *slot_seen);
	r->ncolumns = n;
	for (c = 0; c < n; c++) {
		int s = r->schema->feature_slot(fields[c]);
		r->name[c] = mc_xstrdup(fields[c]);
		r->role[c] = ROLE_SKIP;
		if (!strcmp(fields[c], "date")) {
			r->role[c] = ROLE_DATE;
			s = seen_date++ ? -2 : -1;
		} else if (!strcmp(fields[c], "bug")) {
			r->role[c] = ROLE_BUG;
			s = seen_bug++ ? -2 : -1;
		} else if (s >= 0 && (size_t)s < nf) {
			r->role[c] = ROLE_FEATURE;
			r->slot[c] = s;
			s = slot_seen[s]++ ? -2 : -1;
		} else {
			s = -1;
		}
		if (s == -2) {
			free(slot_seen);
			return mc_error_set(MC_EINVAL, "%s:%zu:%zu: column '%s' appears twice in the header",
					    r->path, r->line_no, c + 1, fields[c]);
		}
	}
	if (!seen_date || !seen_bug) {
		free(slot_seen);
		return mc_error_set(MC_EINVAL, "%s:%zu: the header has no '%s' column", r->path,
				    r->line_no, seen_date ? "bug" : "date");
	}
	for (c = 0; c < nf; c++) {
		if (!slot_seen[c]) {
			const char *want = r->schema->slot_name ? r->schema->slot_name((int)c) : NULL;
			free(slot_seen);
			if (want)
				return mc_error_set(MC_EINVAL, "%s:%zu: the header has no '%s' column",
						    r->path, r->line_no, want);
			return mc_error_set(MC_EINVAL, "%s:%zu: the header has no column for feature %zu",
					    r->path, r->line_no, c);
		}
	}
	free(slot_seen);
	r->header_done = 1;
	return 0;
}

static void reserve_row(struct reader *r)
{
	mc_jit_csv *o = r->out;
	size_t want;
	if (o->rows < r->alloc)
		return;
	want = r->alloc ? r->alloc * 2 : 1024;
	o->x = mc_xrealloc(o->x, want * sizeof *o->x * (o->nfeatures ? o->nfeatures : 1));
	o->bug = mc_xrealloc(o->bug, want * sizeof *o->bug);
	o->date = mc_xrealloc(o->date, want * sizeof *o->date);
	r->alloc = want;
}

static int parse_row(struct reader *r, char *line)
{
	char *fields[MAX_COLUMNS];
	size_t n = split(line, fields), c, row = r->out->rows;
	double *x;

	if (n != r->ncolumns)
		return mc_error_set(MC_EINVAL, "%s:%zu: %s%zu columns where the header has %zu", r->path,
				    r->line_no, n > MAX_COLUMNS ? "more than " : "",
				    n > MAX_COLUMNS ? (size_t)MAX_COLUMNS : n, r->ncolumns);
	reserve_row(r);
	x = r->out->x + row * r->out->nfeatures;
	for (c = 0; c < n; c++) {
		const char *v = fields[c];
		double d;
		if (r->role[c] == ROLE_SKIP)
			continue;
		if (r->role[c] == ROLE_DATE) {
			long long t;
			if (!is_decimal(v, 1))
				return field_error(r, c, v, "is not an integer unix time");
			errno = 0;
			t = strtoll(v, NULL, 10);
			if (errno == ERANGE)
				return field_error(r, c, v, "is out of range");
			r->out->date[row] = t;
			continue;
		}
		if (!is_decimal(v, 0))
			return field_error(r, c, v, "is not a decimal number");
		d = strtod(v, NULL);
		if (!isfinite(d))
			return field_error(r, c, v, "is out of range");
		if (r->role[c] == ROLE_BUG) {
			if (d != 0 && d != 1)
				return field_error(r, c, v, "is not 0 or 1");
			r->out->bug[row] = d == 1;
		} else {
			x[r->slot[c]] = d;
		}
	}
	r->out->rows++;
	return 0;
}

static int process_line(struct reader *r, char *line, size_t len)
{
	if (len && line[len - 1] == '\r')
		line[--len] = '\0';
	if (len == 0)
		return 0; /* blank lines carry nothing */
	return r->header_done ? parse_row(r, line) : parse_header(r, line);
}

/* Feed a chunk of bytes, cutting lines into buf (len bytes so far). */
static int consume(struct reader *r, const char *chunk, size_t n, char *buf, size_t *len)
{
	size_t i;
	int rc;
	for (i = 0; i < n; i++) {
		char ch = chunk[i];
		if (ch == '\n') {
			r->line_no++;
			buf[*len] = '\0';
			if ((rc = process_line(r, buf, *len)))
				return rc;
			*len = 0;
		} else if (ch == '\0') {
			return mc_error_set(MC_EINVAL, "%s:%zu: a NUL byte; this is not a text CSV",
					    r->path, r->line_no + 1);
		} else if (*len > MC_JIT_CSV_MAX_LINE || (*len == MC_JIT_CSV_MAX_LINE && ch != '\r')) {
			/* One byte over is allowed when it is the CR of a CR LF ending (dropped by
			 * process_line), so a CR LF file reads the same as its LF twin. */
			return mc_error_set(MC_ELIMIT, "%s:%zu: line longer than %d bytes", r->path,
					    r->line_no + 1, MC_JIT_CSV_MAX_LINE);
		} else {
			buf[(*len)++] = ch;
		}
	}
	return 0;
}

static void hex_digest(EVP_MD_CTX *md, char out[65])
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	EVP_DigestFinal_ex(md, digest, &dlen);
	mc_hex_encode(out, digest, dlen < 32 ? dlen : 32);
}

/* Read fd to the end under the byte limit, hashing and parsing as it goes. */
static int stream(struct reader *r, int fd, size_t max_bytes, EVP_MD_CTX *md)
{
	char chunk[65536], line[MC_JIT_CSV_MAX_LINE + 2]; /* a line, its CR and a NUL */
	size_t total = 0, len = 0;
	ssize_t n;
	int rc;

	while ((n = read(fd, chunk, sizeof chunk)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return mc_error_set(MC_EIO, "%s: %s", r->path, strerror(errno));
		}
		total += (size_t)n;
		if (total > max_bytes)
			return mc_error_set(MC_ELIMIT, "%s: larger than the limit of %zu bytes", r->path,
					    max_bytes);
		EVP_DigestUpdate(md, chunk, (size_t)n);
		if ((rc = consume(r, chunk, (size_t)n, line, &len)))
			return rc;
	}
	if (len) { /* a last line without a newline */
		r->line_no++;
		line[len] = '\0';
		if ((rc = process_line(r, line, len)))
			return rc;
	}
	if (!r->header_done)
		return mc_error_set(MC_EINVAL, "%s: empty file, no header", r->path);
	return 0;
}

int mc_jit_csv_read(mc_jit_csv *out, const char *path, const mc_jit_csv_schema *schema,
		    size_t max_bytes)
{
	struct reader r;
	struct stat st;
	EVP_MD_CTX *md;
	size_t c;
	int fd, rc;

	memset(out, 0, sizeof *out);
	memset(&r, 0, sizeof r);
	if (!max_bytes)
		max_bytes = MC_JIT_CSV_MAX_BYTES;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return mc_error_set(errno == ENOENT ? MC_ENOTFOUND : MC_EIO, "%s: %s", path,
				    strerror(errno));
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size > max_bytes) {
		close(fd);
		return mc_error_set(MC_ELIMIT, "%s: %lld bytes, larger than the limit of %zu bytes",
				    path, (long long)st.st_size, max_bytes);
	}
	r.path = path;
	r.schema = schema;
	r.out = out;
	out->nfeatures = schema->nfeatures;
	md = EVP_MD_CTX_new();
	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		rc = mc_error_set(MC_EINTERNAL, "OpenSSL cannot start SHA-256");
	} else {
		rc = stream(&r, fd, max_bytes, md);
		if (!rc)
			hex_digest(md, out->sha256);
	}
	EVP_MD_CTX_free(md);
	close(fd);
	for (c = 0; c < r.ncolumns; c++)
		free(r.name[c]);
	if (rc)
		mc_jit_csv_free(out);
	return rc;
}

void mc_jit_csv_free(mc_jit_csv *data)
{
	free(data->x);
	free(data->bug);
	free(data->date);
	memset(data, 0, sizeof *data);
}
