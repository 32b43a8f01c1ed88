/*
 * libFuzzer target: arbitrary bytes as a combined access log with the request
 * time appended. Reading must never crash, leak or trip a sanitizer; a refusal is
 * MC_EINVAL or MC_ELIMIT with a "fuzz:<line>: <field>: <problem>" message; every
 * record has a non-empty UTF-8 route that starts with '/' (or is the malformed
 * request's name) without a query string, a finite latency >= 0, a status from 100
 * to 599 and the configured cost.
 * Built and run by tests/fuzz/run (not part of CTest).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/trace/trace.h"
#include "util/error.h"
#include "util/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int check_record(void *ctx, const mc_trace_record *rec)
{
	(void)ctx;
	if (!rec->route_len || mc_utf8_length(rec->route, rec->route_len) == (size_t)-1 ||
	    (rec->route[0] != '/' && rec->route[0] != '(') ||
	    memchr(rec->route, '?', rec->route_len) || !isfinite(rec->latency_ms) ||
	    rec->latency_ms < 0 || rec->status < 100 || rec->status > 599 ||
	    rec->cost_usd != 0.5 || !isfinite(rec->ts))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mc_trace_options opt = { .format = MC_TRACE_NGINX, .cost_per_request_usd = 0.5, .max_line = 4096 };
	size_t n = 0;
	int rc = mc_trace_read_mem(&n, (const char *)data, size, "fuzz", &opt, check_record, NULL);
	if (rc && ((rc != MC_EINVAL && rc != MC_ELIMIT) || strncmp(mc_error_message(), "fuzz:", 5)))
		abort();
	return 0;
}
