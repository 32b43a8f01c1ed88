/*
 * Unit tests for the OR-Library mknap reader (adapters/dataset/orlib): the
 * seven mknap1 instances from the shared reference data (and the planner
 * proving each published optimum), numbers that wrap lines, and malformed
 * files, each refused with the line it went wrong on.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/dataset/orlib.h"
#include "model/knapsack.h"
#include "testutil.h"
#include "util/error.h"

static const struct {
	size_t n, m;
	double opt;
} mknap1[7] = {
	{ 6, 10, 3800 }, { 10, 10, 8706.1 }, { 15, 10, 4015 }, { 20, 10, 6120 },
	{ 28, 10, 12400 }, { 39, 5, 10618 }, { 50, 5, 16537 },
};

static void mknap1_path(char *out, size_t size)
{
	const char *shared = mc_test_shared_data();
	ck_assert_msg(shared != NULL, "the shared reference data (../shared/data) is missing");
	snprintf(out, size, "%s/mknap/mknap1.txt", shared);
}

START_TEST(reads_mknap1)
{
	char path[4096];
	mc_orlib_file f;
	size_t k;
	mknap1_path(path, sizeof path);
	ck_assert_msg(mc_orlib_read(&f, path) == 0, "%s", mc_error_message());
	ck_assert_uint_eq(f.count, 7);
	for (k = 0; k < 7; k++) {
		ck_assert_uint_eq(f.inst[k].n, mknap1[k].n);
		ck_assert_uint_eq(f.inst[k].m, mknap1[k].m);
		ck_assert_double_eq(f.inst[k].opt, mknap1[k].opt);
	}
	/* Spot checks against the file: the first instance's values, first cost row, budgets. */
	ck_assert_double_eq(f.inst[0].p[0], 100);
	ck_assert_double_eq(f.inst[0].p[5], 2000);
	ck_assert_double_eq(f.inst[0].a[0], 8);
	ck_assert_double_eq(f.inst[0].a[3], 64);
	ck_assert_double_eq(f.inst[0].b[0], 80);
	ck_assert_double_eq(f.inst[0].b[9], 24);
	ck_assert_double_eq(f.inst[1].p[0], 600.1);
	mc_orlib_free(&f);
}
END_TEST

START_TEST(planner_proves_mknap1_optima)
{
	char path[4096];
	mc_orlib_file f;
	size_t k, i, j;
	mknap1_path(path, sizeof path);
	ck_assert_int_eq(mc_orlib_read(&f, path), 0);
	for (k = 0; k < f.count; k++) {
		const mc_orlib_instance *in = &f.inst[k];
		const char *names[MC_ORLIB_MAX_DIMS];
		char buf[MC_ORLIB_MAX_DIMS][24], id[24];
		double c[MC_ORLIB_MAX_DIMS];
		mc_knapsack *kp;
		mc_knapsack_result r;
		mc_knapsack_options opt;
		for (i = 0; i < in->m; i++) {
			snprintf(buf[i], sizeof buf[i], "b%zu", i + 1);
			names[i] = buf[i];
		}
		ck_assert_int_eq(mc_knapsack_new(&kp, in->m, names), 0);
		for (i = 0; i < in->m; i++)
			mc_knapsack_set_budget(kp, i, in->b[i]);
		for (j = 0; j < in->n; j++) {
			for (i = 0; i < in->m; i++)
				c[i] = in->a[i * in->n + j];
			snprintf(id, sizeof id, "%zu", j + 1);
			ck_assert_int_eq(mc_knapsack_add_item(kp, NULL, id, in->p[j], c), 0);
		}
		mc_knapsack_options_init(&opt);
		opt.time_limit = 0; /* small: proven whatever the machine */
		ck_assert_int_eq(mc_knapsack_solve(&r, kp, &opt), 0);
		ck_assert_msg(fabs(r.objective - in->opt) < 1e-6, "instance %zu: %g, optimum %g", k + 1,
			      r.objective, in->opt);
		ck_assert_msg(r.proven_optimal, "instance %zu not proven", k + 1);
		mc_knapsack_result_free(&r);
		mc_knapsack_free(kp);
	}
	mc_orlib_free(&f);
}
END_TEST

START_TEST(numbers_wrap_freely)
{
	/* Two instances, the numbers broken across lines anywhere, CR LF endings, tabs. */
	const char *text = " 2\r\n 3 2\n0\n 1 2\t3 4 5\n6 7 8 9\r\n10 11\n"
			   "1 1 4.5e1\n7\n3 3\n";
	mc_orlib_file f;
	ck_assert_int_eq(mc_orlib_parse(&f, text, strlen(text), "t"), 0);
	ck_assert_uint_eq(f.count, 2);
	ck_assert_double_eq(f.inst[0].p[2], 3);
	ck_assert_double_eq(f.inst[0].a[0 * 3 + 2], 6);
	ck_assert_double_eq(f.inst[0].a[1 * 3 + 0], 7);
	ck_assert_double_eq(f.inst[0].b[1], 11);
	ck_assert_double_eq(f.inst[1].opt, 45);
	ck_assert_uint_eq(f.inst[1].line, 7);
	mc_orlib_free(&f);
}
END_TEST

static void assert_refused(const char *text, size_t len, int code, const char *want)
{
	mc_orlib_file f;
	int rc = mc_orlib_parse(&f, text, len, "bad.txt");
	ck_assert_msg(rc == code, "expected %d, got %d (%s) for: %s", code, rc,
		      rc ? mc_error_message() : "accepted", want);
	ck_assert_msg(strstr(mc_error_message(), want) != NULL, "message '%s' lacks '%s'",
		      mc_error_message(), want);
	ck_assert_uint_eq(f.count, 0);
	ck_assert_ptr_null(f.inst);
}

#define REFUSED(text, code, want) assert_refused(text, sizeof(text) - 1, code, want)

START_TEST(malformed_files)
{
	REFUSED("", MC_EINVAL, "bad.txt:1: the file ends where the number of instances K should be");
	REFUSED("0\n", MC_EINVAL, "bad.txt:1: the number of instances K must be at least 1");
	REFUSED("1\n2 1 0\n5 x\n1 1\n3\n", MC_EINVAL,
		"bad.txt:3: expected value p[2] of instance 1 (a number >= 0), got 'x'");
	REFUSED("1\n1 1 0\n-5\n1\n1\n", MC_EINVAL, "bad.txt:3: expected value p[1] of instance 1");
	REFUSED("1\n1 1 0\n5\nnan\n1\n", MC_EINVAL,
		"bad.txt:4: expected cost a[1][1] of instance 1 (a number >= 0), got 'nan'");
	REFUSED("1\n1 1 0\n5\n1\n\n\ninf\n", MC_EINVAL, "bad.txt:7: expected budget b[1]");
	REFUSED("1\n1 1 0\n5\n1\n1e999\n", MC_EINVAL, "bad.txt:5: budget b[1] of instance 1 is out "
		"of range");
	REFUSED("2\n1 1 0\n5\n1\n1\n1 1 0 5 1", MC_EINVAL,
		"bad.txt:6: instance 2 says n = 1 and m = 1, which needs 3 more numbers");
	REFUSED("1\n1 1 0\n500000\n", MC_EINVAL,
		"bad.txt:4: the file ends where cost a[1][1] of instance 1 should be");
	REFUSED("1\n1.5 1 0\n", MC_EINVAL, "bad.txt:2: expected the number of items n of instance 1 "
		"(a whole number >= 0), got '1.5'");
	REFUSED("1\n1 0 0\n5\n", MC_EINVAL, "bad.txt:2: the number of budgets m of instance 1 must "
		"be at least 1");
	REFUSED("1\n1 65 0\n", MC_ELIMIT, "bad.txt:2: the number of budgets m of instance 1 is 65, "
		"over the limit of 64");
	REFUSED("1\n\n2000000 1 0\n", MC_ELIMIT, "bad.txt:3: the number of items n of instance 1 is "
		"2000000, over the limit");
	/* A short file claiming a large instance is refused before anything is allocated. */
	REFUSED("1\n900000 64 0\n1 2 3\n", MC_EINVAL, "bad.txt:2: instance 1 says n = 900000 and "
		"m = 64, which needs");
	REFUSED("9999\n1 1 0\n1 1 1\n", MC_EINVAL, "holds 9999 instances but is too short");
	REFUSED("1\n1 1 0\n5\n1\n1\n\n7\n", MC_EINVAL,
		"bad.txt:7: unexpected text after the last of the 1 instances");
	REFUSED("1\n1 1 0\n5\n1\n1 2x", MC_EINVAL, "unexpected text after the last");
	REFUSED("1\n1 1 0\n0x10\n1\n1\n", MC_EINVAL, "got '0x10'");
	assert_refused("1\n1 1 0\n5\0\n1\n1\n", 15, MC_EINVAL, "bad.txt:3: expected value p[1] of "
		       "instance 1 (a number >= 0), got a token with unprintable bytes");
}
END_TEST

START_TEST(missing_file)
{
	mc_orlib_file f;
	ck_assert_int_eq(mc_orlib_read(&f, "/nonexistent/mknap.txt"), MC_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(mc_error_message(), "/nonexistent/mknap.txt"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("orlib");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, reads_mknap1);
	tcase_add_test(tc, planner_proves_mknap1_optima);
	tcase_add_test(tc, numbers_wrap_freely);
	tcase_add_test(tc, malformed_files);
	tcase_add_test(tc, missing_file);
	suite_add_tcase(s, tc);
	return mc_test_run(s);
}
