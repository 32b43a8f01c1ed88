/*
 * Path glob matching (glob.h). The pattern is compiled into a token list and
 * matched by simulating its NFA: a set of live token positions is advanced one
 * path character at a time. Each step costs O(tokens), so a match costs
 * O(len(path) * tokens) no matter how many stars the pattern has, where the
 * textbook backtracking matcher is exponential on "a*a*a*a*b".
 */
#include "util/glob.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

enum token_kind {
	TOK_CHAR,     /* one given character */
	TOK_ANY,      /* ?: one character except '/' */
	TOK_CLASS,    /* [...]: one character in set (never '/') */
	TOK_STAR,     /* *: any run without '/' */
	TOK_GLOBSTAR, /* **: any run */
	TOK_DIRS,     /* ** followed by '/': consumes nothing; see add_dirs() */
};

struct token {
	enum token_kind kind;
	unsigned char c;
	unsigned char set[32]; /* TOK_CLASS: bit per byte value */
};

static void set_bit(unsigned char *set, unsigned char c)
{
	set[c >> 3] |= (unsigned char)(1u << (c & 7));
}

static int has_bit(const unsigned char *set, unsigned char c)
{
	return (set[c >> 3] >> (c & 7)) & 1;
}

/* Parse "[...]" starting at p (on the '['); returns the position after ']',
 * or NULL when the class is not terminated (then '[' is an ordinary char). */
static const char *parse_class(struct token *t, const char *p, const char *end)
{
	int negate = 0, i;
	const char *q = p + 1;
	memset(t->set, 0, sizeof t->set);
	if (q < end && (*q == '!' || *q == '^')) {
		negate = 1;
		q++;
	}
	/* A ']' right after the opening (or the negation) is a member, not the end. */
	if (q < end && *q == ']') {
		set_bit(t->set, ']');
		q++;
	}
	while (q < end && *q != ']') {
		unsigned char lo, hi;
		if (*q == '\\' && q + 1 < end)
			q++;
		lo = (unsigned char)*q++;
		hi = lo;
		if (q + 1 < end && *q == '-' && q[1] != ']') {
			q++;
			if (*q == '\\' && q + 1 < end)
				q++;
			hi = (unsigned char)*q++;
		}
		for (i = lo; i <= hi; i++)
			set_bit(t->set, (unsigned char)i);
	}
	if (q >= end)
		return NULL;
	if (negate)
		for (i = 0; i < 32; i++)
			t->set[i] = (unsigned char)~t->set[i];
	t->set['/' >> 3] &= (unsigned char)~(1u << ('/' & 7));
	t->kind = TOK_CLASS;
	return q + 1;
}

static void add_token(struct token *toks, size_t *n, enum token_kind kind, unsigned char c)
{
	toks[*n].kind = kind;
	toks[*n].c = c;
	(*n)++;
}

/* "**" + "/": zero or more whole directories, i.e. empty or (any run) + '/'.
 * Emitted as three positions: TOK_DIRS, which either skips the group or
 * enters it, then a TOK_GLOBSTAR loop that must end on the '/'. The skip must
 * live on its own entry position: were it on the loop, the loop could consume
 * "x" and then skip the '/', and "a/xb" would match "a/" "**" "/b". */
static void add_dirs(struct token *toks, size_t *n)
{
	add_token(toks, n, TOK_DIRS, 0);
	add_token(toks, n, TOK_GLOBSTAR, 0);
	add_token(toks, n, TOK_CHAR, '/');
}

/* Append the tokens of p[0..end) to toks[0..n); returns the new count. */
static size_t compile_body(struct token *toks, size_t n, const char *p, const char *end)
{
	const char *segment_start = p, *after_class;
	while (p < end) {
		if (*p == '\\') {
			add_token(toks, &n, TOK_CHAR, (unsigned char)(p + 1 < end ? p[1] : '\\'));
			p += p + 1 < end ? 2 : 1;
		} else if (*p == '*' && p + 1 < end && p[1] == '*') {
			int whole_segment = p == segment_start || p[-1] == '/';
			while (p < end && *p == '*')
				p++;
			if (whole_segment && p < end && *p == '/') {
				add_dirs(toks, &n);
				p++;
			} else {
				add_token(toks, &n, TOK_GLOBSTAR, 0);
			}
		} else if (*p == '*') {
			add_token(toks, &n, TOK_STAR, 0);
			p++;
		} else if (*p == '?') {
			add_token(toks, &n, TOK_ANY, 0);
			p++;
		} else if (*p == '[' && (after_class = parse_class(&toks[n], p, end)) != NULL) {
			n++;
			p = after_class;
		} else {
			add_token(toks, &n, TOK_CHAR, (unsigned char)*p);
			p++;
		}
	}
	return n;
}

/* Compile pattern into toks (room for strlen(pattern) + 5: three tokens for
 * the any-depth prefix, two for a directory suffix, at most one per other
 * character); returns the count. */
static size_t compile(struct token *toks, const char *pattern)
{
	const char *p = pattern, *end = pattern + strlen(pattern);
	int anchored = 0, directory = 0;
	size_t n = 0;
	if (*p == '/') {
		anchored = 1;
		p++;
	}
	if (end > p && end[-1] == '/' && !(end - p >= 2 && end[-2] == '\\')) {
		directory = 1;
		end--;
	}
	/* No '/' inside: the pattern may match at any depth (.gitignore rule). */
	if (!anchored && !memchr(p, '/', (size_t)(end - p)))
		add_dirs(toks, &n);
	n = compile_body(toks, n, p, end);
	if (directory) {
		add_token(toks, &n, TOK_CHAR, '/');
		add_token(toks, &n, TOK_GLOBSTAR, 0);
	}
	return n;
}

/* Add every position reachable from a live one without consuming a character. */
static void close_states(const struct token *toks, size_t n, unsigned char *live)
{
	size_t i;
	for (i = 0; i < n; i++) {
		if (!live[i])
			continue;
		if (toks[i].kind == TOK_STAR || toks[i].kind == TOK_GLOBSTAR)
			live[i + 1] = 1;
		else if (toks[i].kind == TOK_DIRS)
			live[i + 1] = live[i + 3] = 1;
	}
}

/* Advance live positions over character ch into next; returns whether any survives. */
static int step(const struct token *toks, size_t n, const unsigned char *live,
		unsigned char *next, unsigned char ch)
{
	size_t i;
	int any = 0;
	memset(next, 0, n + 1);
	for (i = 0; i < n; i++) {
		if (!live[i])
			continue;
		switch (toks[i].kind) {
		case TOK_CHAR: next[i + 1] |= ch == toks[i].c; break;
		case TOK_ANY: next[i + 1] |= ch != '/'; break;
		case TOK_CLASS: next[i + 1] |= has_bit(toks[i].set, ch); break;
		case TOK_STAR: next[i] |= ch != '/'; break;
		case TOK_GLOBSTAR: next[i] = 1; break;
		case TOK_DIRS: break; /* consumes nothing: its work is in close_states */
		}
	}
	close_states(toks, n, next);
	for (i = 0; i <= n && !any; i++)
		any = next[i];
	return any;
}

int mc_glob_match(const char *pattern, const char *path)
{
	struct token *toks;
	unsigned char *live, *next, *swap;
	size_t n;
	int matched = 0;
	if (!pattern || !path || !*pattern)
		return 0;
	while (*path == '/')
		path++;
	if (!*path)
		return 0;
	toks = mc_xcalloc(strlen(pattern) + 5, sizeof *toks);
	n = compile(toks, pattern);
	live = mc_xcalloc(n + 1, 1);
	next = mc_xcalloc(n + 1, 1);
	live[0] = 1;
	close_states(toks, n, live);
	for (; *path; path++) {
		if (!step(toks, n, live, next, (unsigned char)*path))
			goto out;
		swap = live;
		live = next;
		next = swap;
	}
	matched = live[n];
out:
	free(toks);
	free(live);
	free(next);
	return matched;
}
