/*
 * Unit tests for the jit defect CSV reader (adapters/dataset/jit_csv): columns
 * found by name, errors that say where, the size limits, line endings and the
 * SHA-256 of the file. Every case reads a real file written to a temp directory.
 */
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adapters/dataset/jit_csv.h"
#include "testutil.h"
#include "util/error.h"
#include "util/fs.h"

/* Two features: la in slot 0, ld in slot 1. */
static int two_slots(const char *column)
{
	return !strcmp(column, "la") ? 0 : !strcmp(column, "ld") ? 1 : -1;
}

static const char *two_names(int slot)
{
	return slot == 0 ? "la" : "ld";
}

static const mc_jit_csv_schema schema = { 2, two_slots, two_names };
static const mc_jit_csv_schema unnamed = { 2, two_slots, NULL };

static char *dir;
static char path[4096];

static void setup(void)
{
	dir = mc_test_tmpdir();
	snprintf(path, sizeof path, "%s/data.csv", dir);
}

static void teardown(void)
{
	mc_test_rmtree(dir);
	free(dir);
}

static void write_bytes(const char *content, size_t len)
{
	ck_assert_int_eq(mc_fs_write_file(path, content, len, 0644), 0);
}

static void write_text(const char *content)
{
	write_bytes(content, strlen(content));
}

/* Read path expecting failure with code and a message containing want (after "<path>"). */
static void assert_read_fails(const mc_jit_csv_schema *sc, size_t max_bytes, int code,
			      const char *want)
{
	mc_jit_csv d;
	char full[8192];
	int rc = mc_jit_csv_read(&d, path, sc, max_bytes);
	ck_assert_msg(rc == code, "rc %d, want %d (%s)", rc, code, rc ? mc_error_message() : "");
	snprintf(full, sizeof full, "%s%s", path, want);
	ck_assert_msg(strstr(mc_error_message(), full) != NULL, "message '%s' lacks '%s'",
		      mc_error_message(), full);
	/* On error the result is empty and owns nothing. */
	ck_assert_uint_eq(d.rows, 0);
	ck_assert_ptr_null(d.x);
	ck_assert_ptr_null(d.bug);
	ck_assert_ptr_null(d.date);
}

static void read_ok(mc_jit_csv *d, size_t max_bytes)
{
	int rc = mc_jit_csv_read(d, path, &schema, max_bytes);
	ck_assert_msg(rc == 0, "%s", rc ? mc_error_message() : "");
}

/* The SHA-256 of a buffer in lowercase hex, by OpenSSL's one-shot digest. */
static void sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;
	ck_assert_int_eq(EVP_Digest(data, len, md, &n, EVP_sha256(), NULL), 1);
	ck_assert_uint_eq(n, 32);
	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

START_TEST(columns_found_by_name_in_any_order)
{
	mc_jit_csv d;

	/* The features in the other order, date last, and columns nobody asked for
	 * (empty name, text, a number) with values that are not numbers. */
	write_text(",ld,_id,bug,la,__,date\n"
		   "0,5,abc123,1,7.5,x,1451578374\n"
		   "\n"
		   "1,0,def456,0,1e2,,-12\n");
	read_ok(&d, 0);
	ck_assert_uint_eq(d.rows, 2);
	ck_assert_uint_eq(d.nfeatures, 2);
	ck_assert_double_eq(d.x[0], 7.5); /* la, slot 0 */
	ck_assert_double_eq(d.x[1], 5);   /* ld, slot 1 */
	ck_assert_double_eq(d.x[2], 100);
	ck_assert_double_eq(d.x[3], 0);
	ck_assert_int_eq(d.bug[0], 1);
	ck_assert_int_eq(d.bug[1], 0);
	ck_assert_int_eq(d.date[0], 1451578374LL);
	ck_assert_int_eq(d.date[1], -12LL);
	mc_jit_csv_free(&d);
	ck_assert_ptr_null(d.x);
}
END_TEST

START_TEST(header_only_is_no_rows)
{
	mc_jit_csv d;
	write_text("\xEF\xBB\xBF" "date,bug,la,ld\n\n"); /* with a UTF-8 byte order mark */
	read_ok(&d, 0);
	ck_assert_uint_eq(d.rows, 0);
	ck_assert_uint_eq(strlen(d.sha256), 64);
	mc_jit_csv_free(&d);
}
END_TEST

START_TEST(missing_required_column_is_named)
{
	write_text("date,bug,la\n1,0,2\n");
	assert_read_fails(&schema, 0, MC_EINVAL, ":1: the header has no 'ld' column");
	assert_read_fails(&unnamed, 0, MC_EINVAL, ":1: the header has no column for feature 1");
	write_text("\n\ndate,la,ld\n1,0,2\n");
	assert_read_fails(&schema, 0, MC_EINVAL, ":3: the header has no 'bug' column");
	write_text("bug,la,ld\n1,0,2\n");
	assert_read_fails(&schema, 0, MC_EINVAL, ":1: the header has no 'date' column");
	write_text("date,bug,la,ld,la\n1,0,2,3,4\n");
	assert_read_fails(&schema, 0, MC_EINVAL, ":1:5: column 'la' appears twice in the header");
}
END_TEST

START_TEST(bad_value_names_line_and_column)
{
	static const struct {
		const char *row, *where;
	} cases[] = {
		{ "1,0,2,x3", ":3:4: column 'ld': 'x3' is not a decimal number" },
		{ "1,0,nan,3", ":3:3: column 'la': 'nan' is not a decimal number" },
		{ "1,0,inf,3", ":3:3: column 'la': 'inf' is not a decimal number" },
		{ "1,0,0x10,3", ":3:3: column 'la': '0x10' is not a decimal number" },
		{ "1,0, 2,3", ":3:3: column 'la': ' 2' is not a decimal number" },
		{ "1,0,2,", ":3:4: column 'ld': '' is not a decimal number" },
		{ "1,0,1e,3", ":3:3: column 'la': '1e' is not a decimal number" },
		{ "1,0,1e999,3", ":3:3: column 'la': '1e999' is out of range" },
		{ "1,2,2,3", ":3:2: column 'bug': '2' is not 0 or 1" },
		{ "1.5,0,2,3", ":3:1: column 'date': '1.5' is not an integer unix time" },
		{ "99999999999999999999,0,2,3", ":3:1: column 'date': '99999999999999999999' is out of range" },
		{ "1,0,2", ":3: 3 columns where the header has 4" },
		{ "1,0,2,3,4", ":3: 5 columns where the header has 4" },
	};
	char content[256];
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(content, sizeof content, "date,bug,la,ld\n1,1,1,1\n%s\n2,0,0,0\n", cases[i].row);
		write_text(content);
		assert_read_fails(&schema, 0, MC_EINVAL, cases[i].where);
	}
	/* A long bad value is cut in the message. */
	write_text("date,bug,la,ld\n1,0,2,"
		   "123456789012345678901234567890123456789012345678901234567890x\n");
	assert_read_fails(&schema, 0, MC_EINVAL,
			  ":2:4: column 'ld': '1234567890123456789012345678901234567890...' is not");
	/* Bytes a terminal would act on are shown escaped, as is the backslash itself. */
	write_text("date,bug,la,ld\n1,0,\x1b]0;hi\x07\\,3\n");
	assert_read_fails(&schema, 0, MC_EINVAL,
			  ":2:3: column 'la': '\\x1b]0;hi\\x07\\x5c' is not a decimal number");
	/* Accepted spellings of numbers: signs, fractions, exponents; bug as 1.0. */
	{
		mc_jit_csv d;
		write_text("date,bug,la,ld\n+5,1.0,-.5,2.E+1\n");
		read_ok(&d, 0);
		ck_assert_int_eq(d.date[0], 5);
		ck_assert_int_eq(d.bug[0], 1);
		ck_assert_double_eq(d.x[0], -0.5);
		ck_assert_double_eq(d.x[1], 20);
		mc_jit_csv_free(&d);
	}
}
END_TEST

/* A file whose second line is "1,0,2,3,<padding>" of exactly len bytes before ending. */
static void write_long_row(size_t len, const char *ending)
{
	const char *head = "date,bug,la,ld,pad\n", *row = "1,0,2,3,";
	size_t hl = strlen(head), rl = strlen(row), el = strlen(ending);
	char *buf = malloc(hl + len + el + 1);
	ck_assert_ptr_nonnull(buf);
	memcpy(buf, head, hl);
	memcpy(buf + hl, row, rl);
	memset(buf + hl + rl, 'p', len - rl);
	memcpy(buf + hl + len, ending, el);
	write_bytes(buf, hl + len + el);
	free(buf);
}

START_TEST(line_and_file_limits)
{
	mc_jit_csv d;

	write_long_row(MC_JIT_CSV_MAX_LINE, "\n");
	read_ok(&d, 0);
	ck_assert_uint_eq(d.rows, 1);
	mc_jit_csv_free(&d);
	write_long_row(MC_JIT_CSV_MAX_LINE, "\r\n"); /* the CR is the ending, not the line */
	read_ok(&d, 0);
	ck_assert_uint_eq(d.rows, 1);
	mc_jit_csv_free(&d);
	write_long_row(MC_JIT_CSV_MAX_LINE, ""); /* no newline at the end */
	read_ok(&d, 0);
	ck_assert_uint_eq(d.rows, 1);
	mc_jit_csv_free(&d);

	write_long_row(MC_JIT_CSV_MAX_LINE + 1, "\n");
	assert_read_fails(&schema, 0, MC_ELIMIT, ":2: line longer than 4096 bytes");
	write_long_row(MC_JIT_CSV_MAX_LINE + 1, "\r\n");
	assert_read_fails(&schema, 0, MC_ELIMIT, ":2: line longer than 4096 bytes");
	write_long_row(MC_JIT_CSV_MAX_LINE + 100000, "");
	assert_read_fails(&schema, 0, MC_ELIMIT, ":2: line longer than 4096 bytes");

	/* 23 bytes: allowed at a limit of 23, refused at 22. */
	write_text("date,bug,la,ld\n1,0,2,3\n");
	read_ok(&d, 23);
	ck_assert_uint_eq(d.rows, 1);
	mc_jit_csv_free(&d);
	assert_read_fails(&schema, 22, MC_ELIMIT, ": 23 bytes, larger than the limit of 22 bytes");
}
END_TEST

START_TEST(stream_limit_without_a_size)
{
	/* A character device has no size to check first: the limit is applied while reading. */
	mc_jit_csv d;
	int rc;
	if (access("/dev/zero", R_OK) != 0)
		ck_abort_msg("/dev/zero is not readable: %s", strerror(errno));
	rc = mc_jit_csv_read(&d, "/dev/zero", &schema, 1000);
	ck_assert_int_eq(rc, MC_ELIMIT);
	ck_assert_str_eq(mc_error_message(), "/dev/zero: larger than the limit of 1000 bytes");
	rc = mc_jit_csv_read(&d, "/dev/zero", &schema, 0); /* under the limit: the first NUL stops it */
	ck_assert_int_eq(rc, MC_EINVAL);
	ck_assert(strstr(mc_error_message(), "/dev/zero:1: a NUL byte") != NULL);
}
END_TEST

START_TEST(empty_missing_and_binary_files)
{
	mc_jit_csv d;
	char missing[4200];

	write_text("");
	assert_read_fails(&schema, 0, MC_EINVAL, ": empty file, no header");
	write_text("\n\r\n\n");
	assert_read_fails(&schema, 0, MC_EINVAL, ": empty file, no header");
	write_bytes("date,bug,la,ld\n1,0\0,2,3\n", 24);
	assert_read_fails(&schema, 0, MC_EINVAL, ":2: a NUL byte; this is not a text CSV");

	snprintf(missing, sizeof missing, "%s/nope.csv", dir);
	ck_assert_int_eq(mc_jit_csv_read(&d, missing, &schema, 0), MC_ENOTFOUND);
	ck_assert(strstr(mc_error_message(), missing) != NULL);
	ck_assert_uint_eq(d.rows, 0);
	ck_assert_ptr_null(d.x);
}
END_TEST

START_TEST(crlf_reads_like_lf)
{
	mc_jit_csv lf, crlf;
	const char *crlf_text = "date,bug,la,ld\r\n1,0,2,3.5\r\n\r\n7,1,4,5\r\n";
	char want[65];

	write_text("date,bug,la,ld\n1,0,2,3.5\n\n7,1,4,5\n");
	read_ok(&lf, 0);
	write_text(crlf_text);
	read_ok(&crlf, 0);
	ck_assert_uint_eq(crlf.rows, 2);
	ck_assert_uint_eq(lf.rows, crlf.rows);
	ck_assert_int_eq(memcmp(lf.x, crlf.x, sizeof *lf.x * 4), 0);
	ck_assert_int_eq(memcmp(lf.bug, crlf.bug, 2), 0);
	ck_assert_int_eq(memcmp(lf.date, crlf.date, sizeof *lf.date * 2), 0);
	ck_assert_double_eq(crlf.x[1], 3.5); /* the value before a CR is a number */
	/* The digest is of the bytes as they are, CRs included. */
	sha256_hex(crlf_text, strlen(crlf_text), want);
	ck_assert_str_eq(crlf.sha256, want);
	ck_assert_str_ne(lf.sha256, crlf.sha256);
	mc_jit_csv_free(&lf);
	mc_jit_csv_free(&crlf);

	/* A CR anywhere but at the end of a line is part of a field, and not a number. */
	write_text("date,bug,la,ld\n1,0,2\r,3\n");
	assert_read_fails(&schema, 0, MC_EINVAL, ":2:3: column 'la': '2\\x0d' is not a decimal number");
}
END_TEST

START_TEST(sha256_of_the_file)
{
	mc_jit_csv d;
	char *big, want[65];
	size_t len = 0, i, rows = 30000;

	/* A fixed content and its digest from `printf 'date,bug,la,ld\n1,0,2,3\n' | sha256sum`. */
	write_text("date,bug,la,ld\n1,0,2,3\n");
	read_ok(&d, 0);
	ck_assert_str_eq(d.sha256, "4d0f3f482e5a1ed37fefae9d9d4ebe9dcf09cc0d10492612511311393c9ba883");
	mc_jit_csv_free(&d);

	/* Several 64 KiB read chunks, so lines and the digest cross chunk boundaries. */
	big = malloc(rows * 40 + 64);
	ck_assert_ptr_nonnull(big);
	len += (size_t)sprintf(big, "date,bug,la,ld\n");
	for (i = 0; i < rows; i++)
		len += (size_t)sprintf(big + len, "%zu,%zu,%zu.25,%zu\n", 1000000 + i, i % 2, i, i * 7);
	ck_assert_uint_gt(len, 4 * 65536);
	write_bytes(big, len);
	sha256_hex(big, len, want);
	read_ok(&d, 0);
	ck_assert_str_eq(d.sha256, want);
	ck_assert_uint_eq(d.rows, rows);
	for (i = 0; i < rows; i++) {
		ck_assert_int_eq(d.date[i], (long long)(1000000 + i));
		ck_assert_int_eq(d.bug[i], i % 2);
		ck_assert_double_eq(d.x[2 * i], (double)i + 0.25);
		ck_assert_double_eq(d.x[2 * i + 1], (double)(i * 7));
	}
	mc_jit_csv_free(&d);
	free(big);
}
END_TEST

static Suite *jit_csv_suite(void)
{
	Suite *s = suite_create("jit_csv");
	TCase *tc = tcase_create("jit_csv");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, columns_found_by_name_in_any_order);
	tcase_add_test(tc, header_only_is_no_rows);
	tcase_add_test(tc, missing_required_column_is_named);
	tcase_add_test(tc, bad_value_names_line_and_column);
	tcase_add_test(tc, line_and_file_limits);
	tcase_add_test(tc, stream_limit_without_a_size);
	tcase_add_test(tc, empty_missing_and_binary_files);
	tcase_add_test(tc, crlf_reads_like_lf);
	tcase_add_test(tc, sha256_of_the_file);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return mc_test_run(jit_csv_suite());
}
