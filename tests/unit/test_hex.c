/* Unit tests for util/hex. */
#include "testutil.h"
#include "util/hex.h"

START_TEST(digits_ids_and_decoding)
{
	unsigned char out[4];

	ck_assert_int_eq(mc_hex_digit('0'), 0);
	ck_assert_int_eq(mc_hex_digit('f'), 15);
	ck_assert_int_eq(mc_hex_digit('F'), 15);
	ck_assert_int_eq(mc_hex_digit('g'), -1);
	ck_assert_int_eq(mc_hex_digit('\0'), -1);
	ck_assert(mc_hex_is_oid("0123456789abcdef0123456789abcdef01234567"));
	ck_assert(!mc_hex_is_oid("0123456789ABCDEF0123456789abcdef01234567"));
	ck_assert(!mc_hex_is_oid("0123456789abcdef0123456789abcdef0123456"));
	ck_assert(!mc_hex_is_oid(NULL));
	ck_assert(mc_hex_is_lower("00ff", 4));
	ck_assert(!mc_hex_is_lower("00fF", 4));
	ck_assert_int_eq(mc_hex_decode(out, "00fFa51", 3), 0);
	ck_assert_uint_eq(out[1], 0xff);
	ck_assert_uint_eq(out[2], 0xa5);
	ck_assert_int_eq(mc_hex_decode(out, "0g", 1), -1);
	ck_assert_int_eq(mc_hex_decode(out, "0", 1), -1);
	{
		const unsigned char bytes[] = { 0x00, 0xff, 0xa5, 0x0c };
		char text[9];
		mc_hex_encode(text, bytes, 4);
		ck_assert_str_eq(text, "00ffa50c");
		mc_hex_encode(text, bytes, 0);
		ck_assert_str_eq(text, "");
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hex");
	TCase *tc = tcase_create("hex");

	tcase_add_test(tc, digits_ids_and_decoding);
	suite_add_tcase(s, tc);
	return mc_test_run(s);
}
