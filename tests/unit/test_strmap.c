/* util/strmap: insert, replace, lookup through growth, clear. */
#include <check.h>
#include <stdio.h>

#include "testutil.h"
#include "util/strmap.h"

START_TEST(puts_and_gets_through_growth)
{
	mc_strmap map = MC_STRMAP_INIT;
	char key[32];
	int64_t v = 0;
	int i;

	ck_assert(!mc_strmap_get(&map, "absent", &v));
	for (i = 0; i < 10000; i++) {
		snprintf(key, sizeof key, "src/file%d.c", i);
		mc_strmap_put(&map, key, i);
	}
	ck_assert_uint_eq(map.count, 10000);
	for (i = 0; i < 10000; i++) {
		snprintf(key, sizeof key, "src/file%d.c", i);
		ck_assert(mc_strmap_get(&map, key, &v));
		ck_assert_int_eq(v, i);
	}
	ck_assert(!mc_strmap_get(&map, "src/file10000.c", &v));
	mc_strmap_put(&map, "src/file7.c", -1);
	ck_assert_uint_eq(map.count, 10000);
	ck_assert(mc_strmap_get(&map, "src/file7.c", &v));
	ck_assert_int_eq(v, -1);
	mc_strmap_put(&map, "", 42); /* the empty string is a key like any other */
	ck_assert(mc_strmap_get(&map, "", &v));
	ck_assert_int_eq(v, 42);
	mc_strmap_clear(&map);
	ck_assert_uint_eq(map.count, 0);
	ck_assert(!mc_strmap_get(&map, "src/file7.c", &v));
	mc_strmap_put(&map, "again", 1);
	ck_assert(mc_strmap_get(&map, "again", &v));
	mc_strmap_free(&map);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("strmap");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, puts_and_gets_through_growth);
	suite_add_tcase(s, tc);
	return mc_test_run(s);
}
