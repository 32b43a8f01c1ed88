/*
 * libFuzzer target: arbitrary bytes as an agent offer (the `/maestro offer` body,
 * POST /v1/offers, .maestro/offers/<name>.json). Parsing must never crash, leak or
 * trip a sanitizer; every refusal is MC_EINVAL or MC_ELIMIT; an accepted offer has
 * finite numbers in range, its canonical form parses back to the same canonical
 * form, and the mediator runs on it without trouble.
 * Built and run by tests/fuzz/run (not part of CTest).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/negotiate.h"
#include "util/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_canonical(const mc_offer *o)
{
	char *first = mc_offer_canonical(o), *second;
	mc_offer again;
	if (mc_offer_parse(&again, first, strlen(first), "canonical") != 0)
		abort(); /* the canonical form is itself a valid offer */
	second = mc_offer_canonical(&again);
	if (strcmp(first, second) != 0)
		abort();
	free(first);
	free(second);
	mc_offer_clear(&again);
}

static void mediate(const mc_offer *o)
{
	mc_negotiate_policy p;
	mc_negotiation_result r;
	mc_negotiation_input in;
	mc_task task = { o->task_id, -1 };
	mc_negotiate_policy_defaults(&p);
	memset(&in, 0, sizeof in);
	in.policy = &p;
	in.tasks = &task, in.ntasks = 1;
	in.offers = o, in.noffers = 1;
	in.now = 0;
	if (mc_negotiate_run(&r, &in) != 0 || r.nawards + r.nrefusals != 1)
		abort();
	mc_negotiation_result_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mc_offer o;
	if (mc_offer_parse(&o, (const char *)data, size, "fuzz") != 0) {
		if (mc_error_code() != MC_EINVAL && mc_error_code() != MC_ELIMIT)
			abort();
		return 0;
	}
	if (!isfinite(o.pred_eval) || !isfinite(o.pred_cost_usd) || !isfinite(o.pred_minutes) ||
	    !isfinite(o.risk) || o.risk < 0 || o.risk > 1 || o.pred_cost_usd < 0)
		abort();
	check_canonical(&o);
	mediate(&o);
	mc_offer_clear(&o);
	return 0;
}
