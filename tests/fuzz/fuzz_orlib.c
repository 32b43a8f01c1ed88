/*
 * libFuzzer target: arbitrary bytes as an OR-Library mknap file. Parsing must
 * never crash, leak, trip a sanitizer or allocate beyond what the text can
 * hold; a refusal is MC_EINVAL or MC_ELIMIT with a "fuzz:<line>:" message; an
 * accepted file holds only finite numbers >= 0. The first accepted instance
 * small enough is then planned (with a node limit): the plan must fit its
 * budgets and never exceed its own upper bound.
 * Built and run by tests/fuzz/run (not part of CTest).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/dataset/orlib.h"
#include "model/knapsack.h"
#include "util/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_numbers(const double *v, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (!isfinite(v[i]) || v[i] < 0)
			abort();
}

static void plan(const mc_orlib_instance *in)
{
	static const char *const names[] = { "b1", "b2", "b3", "b4", "b5", "b6", "b7", "b8" };
	double c[8];
	mc_knapsack *k;
	mc_knapsack_options opt;
	mc_knapsack_result r;
	size_t i, j;
	if (in->m > 8 || in->n > 200)
		return;
	if (mc_knapsack_new(&k, in->m, names))
		abort();
	for (i = 0; i < in->m; i++)
		if (mc_knapsack_set_budget(k, i, in->b[i]))
			abort();
	for (j = 0; j < in->n; j++) {
		char id[24];
		for (i = 0; i < in->m; i++)
			c[i] = in->a[i * in->n + j];
		snprintf(id, sizeof id, "%zu", j + 1);
		if (mc_knapsack_add_item(k, NULL, id, in->p[j], c))
			abort();
	}
	mc_knapsack_options_init(&opt);
	opt.time_limit = 0;
	opt.node_limit = 200;
	if (mc_knapsack_solve(&r, k, &opt))
		abort(); /* no pins: every instance has a plan, if only the empty one */
	for (i = 0; i < in->m; i++)
		if (r.used[i] > in->b[i] + 1e-9 * fmax(1, in->b[i]) + 1e-9)
			abort();
	if (r.objective > r.upper_bound * (1 + 1e-9) + 1e-9 || r.gap < 0 || r.gap > 1)
		abort();
	mc_knapsack_result_free(&r);
	mc_knapsack_free(k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mc_orlib_file f;
	size_t k;
	int rc = mc_orlib_parse(&f, (const char *)data, size, "fuzz");
	if (rc) {
		if ((rc != MC_EINVAL && rc != MC_ELIMIT) || strncmp(mc_error_message(), "fuzz:", 5))
			abort();
		if (f.count || f.inst)
			abort();
		return 0;
	}
	for (k = 0; k < f.count; k++) {
		const mc_orlib_instance *in = &f.inst[k];
		if (!in->n || !in->m || !isfinite(in->opt) || in->opt < 0)
			abort();
		check_numbers(in->p, in->n);
		check_numbers(in->a, in->n * in->m);
		check_numbers(in->b, in->m);
	}
	if (f.count)
		plan(&f.inst[0]);
	mc_orlib_free(&f);
	return 0;
}
