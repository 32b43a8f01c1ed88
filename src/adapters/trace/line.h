/*
 * The per-line parsers behind trace.c, one per format. Internal to
 * src/adapters/trace/ (and its fuzz targets and tests).
 *
 * Each parses one line (no newline) into rec. scratch holds at least 2 * n + 2
 * bytes: an escaped route is decoded into its first half (rec->route then points
 * there), a number too long for the fast path is copied into the second half for
 * strtod. On a malformed line they return -1 with *field naming the field (or
 * "line") and *problem saying what is wrong, both static strings.
 */
#ifndef MC_ADAPTERS_TRACE_LINE_H
#define MC_ADAPTERS_TRACE_LINE_H
#include <stddef.h>

#include "adapters/trace/trace.h"

int mc_trace_jsonl_line(mc_trace_record *rec, char *scratch, const char *s, size_t n,
			const char **field, const char **problem);
int mc_trace_nginx_line(mc_trace_record *rec, const char *s, size_t n, double cost_usd,
			const char **field, const char **problem);

#endif
