/*
 * OR-Library mknap reader (orlib.h). A tokenizer walks the buffer once,
 * counting lines, and hands out one number at a time, so line breaks inside an
 * instance mean nothing, as the format says. Each token is checked as a plain
 * decimal before strtod sees it.
 */
#include "adapters/dataset/orlib.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/error.h"
#include "util/fs.h"

#define MAX_TOKEN 64

struct lexer {
	const char *text, *what;
	size_t len, pos, line;
};

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static void skip_space(struct lexer *lx)
{
	while (lx->pos < lx->len && is_space(lx->text[lx->pos])) {
		if (lx->text[lx->pos] == '\n')
			lx->line++;
		lx->pos++;
	}
}

/* At most how many numbers the rest of the text can hold (each needs a byte and a separator). */
static size_t numbers_left(const struct lexer *lx)
{
	return (lx->len - lx->pos + 1) / 2;
}

/* [+]digits[.digits][(e|E)[-+]digits], or digits only when integer. */
static int is_plain_number(const char *s, int integer)
{
	int digits = 0;
	if (*s == '+')
		s++;
	for (; isdigit((unsigned char)*s); s++)
		digits++;
	if (integer)
		return digits && !*s;
	if (*s == '.')
		for (s++; isdigit((unsigned char)*s); s++)
			digits++;
	if (!digits)
		return 0;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '-' || *s == '+')
			s++;
		if (!isdigit((unsigned char)*s))
			return 0;
		while (isdigit((unsigned char)*s))
			s++;
	}
	return !*s;
}

/* The token, quoted, or a description when it is too long or not printable. */
static const char *describe(const char *tok, size_t len, char *buf, size_t size)
{
	size_t i;
	if (len > 24) {
		snprintf(buf, size, "a %zu-byte token", len);
		return buf;
	}
	for (i = 0; i < len; i++)
		if (!isprint((unsigned char)tok[i])) {
			snprintf(buf, size, "a token with unprintable bytes");
			return buf;
		}
	snprintf(buf, size, "'%.*s'", (int)len, tok);
	return buf;
}

/*
 * The next number, a finite value >= 0 (an integer when integer is set). expected says
 * what the format wants here ("the number of items n of instance 2").
 */
static int next_number(struct lexer *lx, double *out, int integer, const char *expected)
{
	char tok[MAX_TOKEN + 1], desc[64];
	size_t start, len;
	skip_space(lx);
	if (lx->pos >= lx->len)
		return mc_error_set(MC_EINVAL, "%s:%zu: the file ends where %s should be", lx->what,
				    lx->line, expected);
	start = lx->pos;
	while (lx->pos < lx->len && !is_space(lx->text[lx->pos]))
		lx->pos++;
	len = lx->pos - start;
	if (len > MAX_TOKEN || memchr(lx->text + start, '\0', len) ||
	    (memcpy(tok, lx->text + start, len), tok[len] = '\0', !is_plain_number(tok, integer)))
		return mc_error_set(MC_EINVAL, "%s:%zu: expected %s (%s), got %s", lx->what, lx->line,
				    expected, integer ? "a whole number >= 0" : "a number >= 0",
				    describe(lx->text + start, len, desc, sizeof desc));
	*out = strtod(tok, NULL);
	if (!isfinite(*out))
		return mc_error_set(MC_EINVAL, "%s:%zu: %s is out of range (%s)", lx->what, lx->line,
				    expected, describe(tok, len, desc, sizeof desc));
	return 0;
}

/* A whole number in [min, max]. */
static int next_count(struct lexer *lx, size_t *out, size_t min, size_t max, const char *expected,
		      int code_over)
{
	double v;
	size_t line;
	int rc;
	skip_space(lx);
	line = lx->line;
	if ((rc = next_number(lx, &v, 1, expected)) != 0)
		return rc;
	if (v < (double)min)
		return mc_error_set(MC_EINVAL, "%s:%zu: %s must be at least %zu, got %.0f", lx->what,
				    line, expected, min, v);
	if (v > (double)max)
		return mc_error_set(code_over, "%s:%zu: %s is %.0f, over the limit of %zu", lx->what,
				    line, expected, v, max);
	*out = (size_t)v;
	return 0;
}

static void instance_free(mc_orlib_instance *in)
{
	free(in->p);
	free(in->a);
	free(in->b);
	memset(in, 0, sizeof *in);
}

void mc_orlib_free(mc_orlib_file *f)
{
	size_t i;
	for (i = 0; i < f->count; i++)
		instance_free(&f->inst[i]);
	free(f->inst);
	memset(f, 0, sizeof *f);
}

enum part { PART_VALUE, PART_COST, PART_BUDGET };

/* count numbers of one part of instance inst (row: the budget of a cost row, from 1). */
static int read_values(struct lexer *lx, double *dst, size_t count, enum part part, size_t inst,
		       size_t row)
{
	char expected[96];
	size_t j;
	int rc;
	for (j = 0; j < count; j++) {
		if (part == PART_VALUE)
			snprintf(expected, sizeof expected, "value p[%zu] of instance %zu", j + 1, inst);
		else if (part == PART_COST)
			snprintf(expected, sizeof expected, "cost a[%zu][%zu] of instance %zu", row,
				 j + 1, inst);
		else
			snprintf(expected, sizeof expected, "budget b[%zu] of instance %zu", j + 1, inst);
		if ((rc = next_number(lx, &dst[j], 0, expected)) != 0)
			return rc;
	}
	return 0;
}

static int read_instance(struct lexer *lx, mc_orlib_instance *in, size_t index)
{
	char expected[96];
	size_t i, need;
	int rc;

	skip_space(lx);
	in->line = lx->line;
	snprintf(expected, sizeof expected, "the number of items n of instance %zu", index);
	if ((rc = next_count(lx, &in->n, 1, MC_ORLIB_MAX_ITEMS, expected, MC_ELIMIT)) != 0)
		return rc;
	snprintf(expected, sizeof expected, "the number of budgets m of instance %zu", index);
	if ((rc = next_count(lx, &in->m, 1, MC_ORLIB_MAX_DIMS, expected, MC_ELIMIT)) != 0)
		return rc;
	snprintf(expected, sizeof expected, "the optimum of instance %zu (0 when unknown)", index);
	if ((rc = next_number(lx, &in->opt, 0, expected)) != 0)
		return rc;
	/* n + m n + m numbers must follow: refuse before allocating what the file cannot hold. */
	need = in->n + in->m * in->n + in->m;
	if (need > numbers_left(lx))
		return mc_error_set(MC_EINVAL,
				    "%s:%zu: instance %zu says n = %zu and m = %zu, which needs %zu "
				    "more numbers, but the file has room for at most %zu",
				    lx->what, in->line, index, in->n, in->m, need, numbers_left(lx));
	in->p = mc_xmalloc(in->n * sizeof *in->p);
	in->a = mc_xmalloc(in->m * in->n * sizeof *in->a);
	in->b = mc_xmalloc(in->m * sizeof *in->b);
	if ((rc = read_values(lx, in->p, in->n, PART_VALUE, index, 0)) != 0)
		return rc;
	for (i = 0; i < in->m; i++)
		if ((rc = read_values(lx, in->a + i * in->n, in->n, PART_COST, index, i + 1)) != 0)
			return rc;
	return read_values(lx, in->b, in->m, PART_BUDGET, index, 0);
}

int mc_orlib_parse(mc_orlib_file *out, const char *text, size_t len, const char *what)
{
	struct lexer lx = { text, what ? what : "mknap", len, 0, 1 };
	size_t count, k;
	int rc;

	memset(out, 0, sizeof *out);
	if (len > MC_ORLIB_MAX_BYTES)
		return mc_error_set(MC_ELIMIT, "%s: %zu bytes is over the limit of %zu", lx.what, len,
				    MC_ORLIB_MAX_BYTES);
	if ((rc = next_count(&lx, &count, 1, MC_ORLIB_MAX_INSTANCES,
			     "the number of instances K", MC_ELIMIT)) != 0)
		return rc;
	if (count * 6 > numbers_left(&lx) + 3)
		return mc_error_set(MC_EINVAL, "%s:1: the file says it holds %zu instances but is too "
				    "short for them", lx.what, count);
	out->inst = mc_xcalloc(count, sizeof *out->inst);
	for (k = 0; k < count; k++) {
		out->count = k + 1;
		if ((rc = read_instance(&lx, &out->inst[k], k + 1)) != 0) {
			mc_orlib_free(out);
			return rc;
		}
	}
	skip_space(&lx);
	if (lx.pos < lx.len) {
		size_t line = lx.line;
		mc_orlib_free(out);
		return mc_error_set(MC_EINVAL, "%s:%zu: unexpected text after the last of the %zu "
				    "instances", lx.what, line, count);
	}
	return 0;
}

int mc_orlib_read(mc_orlib_file *out, const char *path)
{
	char *text;
	size_t len;
	int rc;
	memset(out, 0, sizeof *out);
	if ((rc = mc_fs_read_file(&text, &len, path, MC_ORLIB_MAX_BYTES)) != 0)
		return rc;
	rc = mc_orlib_parse(out, text, len, path);
	free(text);
	return rc;
}
