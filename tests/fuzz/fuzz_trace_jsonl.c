/*
 * libFuzzer target: arbitrary bytes as a JSON Lines trace. Reading must never
 * crash, leak or trip a sanitizer; a refusal is MC_EINVAL or MC_ELIMIT with a
 * "fuzz:<line>: <field>: <problem>" message; every record delivered holds a
 * non-empty route of valid UTF-8 within the line, a finite latency and cost >= 0
 * and a status from 100 to 599. A line json-c refuses must be refused too (the
 * scanner accepts nothing that is not JSON). Records then feed the model, whose
 * prediction must keep every interval ordered.
 * Built and run by tests/fuzz/run (not part of CTest).
 */
#include <json-c/json.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/trace/trace.h"
#include "model/cf.h"
#include "util/error.h"
#include "util/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int check_record(void *ctx, const mc_trace_record *rec)
{
	if (!rec->route_len || mc_utf8_length(rec->route, rec->route_len) == (size_t)-1 ||
	    !isfinite(rec->latency_ms) || rec->latency_ms < 0 || !isfinite(rec->cost_usd) ||
	    rec->cost_usd < 0 || rec->status < 100 || rec->status > 599)
		abort();
	mc_cf_add(ctx, rec->route, rec->route_len, rec->latency_ms, rec->status, rec->cost_usd);
	return 0;
}

/* A single line the scanner accepted must be JSON to json-c as well. */
static void cross_check(const uint8_t *data, size_t size)
{
	struct json_tokener *tok;
	struct json_object *obj;
	if (memchr(data, '\n', size) || memchr(data, '\0', size))
		return;
	tok = json_tokener_new();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	if (!obj || json_tokener_get_parse_end(tok) != size) {
		/* json-c leaves trailing whitespace unparsed in strict mode */
		size_t end = json_tokener_get_parse_end(tok);
		while (obj && end < size && strchr(" \t\r", data[end]))
			end++;
		if (!obj || end != size)
			abort();
	}
	json_object_put(obj);
	json_tokener_free(tok);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mc_trace_options opt = { .format = MC_TRACE_JSONL, .max_line = 4096 };
	mc_cf *cf;
	mc_cf_result r;
	size_t n = 0, i;
	int rc;

	mc_cf_new(&cf, 1);
	rc = mc_trace_read_mem(&n, (const char *)data, size, "fuzz", &opt, check_record, cf);
	if (rc) {
		if ((rc != MC_EINVAL && rc != MC_ELIMIT) || strncmp(mc_error_message(), "fuzz:", 5))
			abort();
	} else if (n == 1) {
		cross_check(data, size);
	}
	if (n && !rc) {
		mc_cf_options copt = { 20, 0.9, 1 };
		if (mc_cf_predict(&r, cf, NULL, &copt))
			abort();
		for (i = 0; i < r.nroutes; i++)
			if (!(r.routes[i].latency[0].base_ci.lo <= r.routes[i].latency[0].base_ci.hi))
				abort();
		mc_cf_result_free(&r);
	}
	mc_cf_free(cf);
	return 0;
}
