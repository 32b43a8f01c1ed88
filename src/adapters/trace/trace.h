/*
 * Traffic traces, read streaming in bounded memory: JSON Lines records
 * {"ts", "route", "latency_ms", "status", "cost_usd"} and nginx/Apache access logs
 * in the combined format with the request time in seconds appended
 * (log_format ... '$status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time').
 *
 * Each well-formed line becomes one mc_trace_record pushed to a callback; the
 * first malformed line stops the read with MC_EINVAL and "<name>:<line>: <field>:
 * <problem>". Memory is one read buffer (MC_TRACE_BUFFER or twice the line limit),
 * or for a regular file one mapped window (MC_TRACE_WINDOW), whatever the size of
 * the trace. The JSON Lines scanner is specialised for these
 * flat objects because a general parser (json-c) builds a tree per line and is an
 * order of magnitude slower; it still accepts any JSON the grammar allows (any key
 * order, whitespace, escapes, numbers in every form, unknown keys with any value)
 * and refuses everything else.
 */
#ifndef MC_ADAPTERS_TRACE_TRACE_H
#define MC_ADAPTERS_TRACE_TRACE_H
#include <stddef.h>
#include <stdio.h>

/* Longest line accepted by default, newline excluded. */
#define MC_TRACE_MAX_LINE 65536
/* Bytes read at a time from a file. */
#define MC_TRACE_BUFFER (1u << 20)
/* Bytes of a regular file mapped at a time (mc_trace_read_path). */
#define MC_TRACE_WINDOW (64u << 20)
/* Nesting depth of an unknown key's value. */
#define MC_TRACE_MAX_DEPTH 32

enum mc_trace_format { MC_TRACE_JSONL = 0, MC_TRACE_NGINX };

typedef struct mc_trace_record {
	double ts;             /* seconds since the epoch; NAN when absent (or a JSON string) */
	const char *route;     /* route_len bytes, not NUL-terminated; valid during the callback */
	size_t route_len;
	double latency_ms;     /* finite, >= 0 */
	int status;            /* 100..599 */
	double cost_usd;       /* finite, >= 0; 0 when absent */
} mc_trace_record;

/* Called for each record; a non-zero return stops the read and is returned. */
typedef int (*mc_trace_fn)(void *ctx, const mc_trace_record *rec);

typedef struct mc_trace_options {
	enum mc_trace_format format;
	double cost_per_request_usd; /* access logs carry no cost: this one for every request */
	size_t max_line;             /* 0: MC_TRACE_MAX_LINE */
	/* When set, called with every byte of the trace once, in order, as it is read
	 * (a digest of what was simulated, for evidence); NULL costs nothing. */
	void (*on_bytes)(void *ctx, const char *data, size_t len);
	void *bytes_ctx;
} mc_trace_options;

/* "jsonl" or "nginx" (also "apache", the same combined format). 0 or MC_EINVAL. */
int mc_trace_parse_format(const char *name, enum mc_trace_format *out);

/* Read every line of data[0..len) ("name" in messages). *nrecords (may be NULL)
 * counts the records delivered. Blank lines are skipped; a final line needs no newline. */
int mc_trace_read_mem(size_t *nrecords, const char *data, size_t len, const char *name,
		      const mc_trace_options *opt, mc_trace_fn fn, void *ctx);

/* The same from a file descriptor, read to its end (the descriptor stays open). */
int mc_trace_read_fd(size_t *nrecords, int fd, const char *name, const mc_trace_options *opt,
		     mc_trace_fn fn, void *ctx);

/* The same from a stdio stream (its buffered data first, then its descriptor). */
int mc_trace_read_file(size_t *nrecords, FILE *f, const char *name,
		       const mc_trace_options *opt, mc_trace_fn fn, void *ctx);

/* Open path ("-" is standard input) and read it. */
int mc_trace_read_path(size_t *nrecords, const char *path, const mc_trace_options *opt,
		       mc_trace_fn fn, void *ctx);

#endif
