/*
 * Unit tests of the REST forge drivers' pure pieces: Link and Retry-After
 * parsing, backoff bounds, origin checks, header redaction, repository names,
 * URL escaping, RFC 3339 times, and the GitHub App JWT (its shape, its claims,
 * and its RS256 signature verified with OpenSSL against the public key).
 */
#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/forge/http.h"
#include "adapters/forge/jwt.h"
#include "adapters/forge/rest.h"
#include "testutil.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/strbuf.h"
#include "util/time.h"

START_TEST(link_next_is_found_among_relations)
{
	const char *gh = "<https://api.github.com/repositories/1/pulls?page=2>; rel=\"next\", "
			 "<https://api.github.com/repositories/1/pulls?page=5>; rel=\"last\"";
	char *next = mc_http_link_next(gh);

	ck_assert_str_eq(next, "https://api.github.com/repositories/1/pulls?page=2");
	free(next);
	/* next after other relations, unquoted, in a list, odd spacing and case */
	next = mc_http_link_next("<https://h/a?page=1>; rel=\"first\",<https://h/a?page=3>;REL=next");
	ck_assert_str_eq(next, "https://h/a?page=3");
	free(next);
	next = mc_http_link_next("<https://h/x,y>; title=\"a, b\"; rel=\"prev\", <https://h/z>; "
				 "rel=\"next last\"");
	ck_assert_str_eq(next, "https://h/z");
	free(next);
	ck_assert_ptr_null(mc_http_link_next("<https://h/a?page=1>; rel=\"prev\""));
	ck_assert_ptr_null(mc_http_link_next("<https://h/a?page=1>; rel=\"nextish\""));
	ck_assert_ptr_null(mc_http_link_next("garbage"));
	ck_assert_ptr_null(mc_http_link_next("<https://h/unterminated; rel=\"next\""));
	ck_assert_ptr_null(mc_http_link_next(""));
	ck_assert_ptr_null(mc_http_link_next(NULL));
}
END_TEST

START_TEST(retry_after_takes_seconds_or_an_http_date)
{
	time_t now = 1445412480;  /* Wed, 21 Oct 2015 07:28:00 GMT */

	ck_assert_int_eq(mc_http_retry_after("120", now), 120);
	ck_assert_int_eq(mc_http_retry_after(" 0 ", now), 0);
	ck_assert_int_eq(mc_http_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now), 30);
	ck_assert_int_eq(mc_http_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now), 0);
	ck_assert_int_eq(mc_http_retry_after("12abc", now), -1);
	ck_assert_int_eq(mc_http_retry_after("soon", now), -1);
	ck_assert_int_eq(mc_http_retry_after("-5", now), -1);
	ck_assert_int_eq(mc_http_retry_after(NULL, now), -1);
	/* absurdly large values saturate instead of overflowing */
	ck_assert_int_ge(mc_http_retry_after("99999999999999999999999", now), 100000000L);
}
END_TEST

START_TEST(backoff_doubles_up_to_the_cap_with_jitter_in_the_upper_half)
{
	for (int attempt = 1; attempt <= 12; attempt++) {
		double full = 1.0;
		for (int i = 1; i < attempt; i++)
			full *= 2;
		if (full > 30)
			full = 30;
		for (double j = 0; j < 1.0; j += 0.125) {
			double d = mc_http_backoff(attempt, 1.0, 30.0, j);
			ck_assert(d >= full / 2 && d <= full);
		}
		ck_assert(mc_http_backoff(attempt, 1.0, 30.0, 0.0) == full / 2);
		ck_assert(mc_http_backoff(attempt, 1.0, 30.0, 5.0) <= full);   /* clamped */
		ck_assert(mc_http_backoff(attempt, 1.0, 30.0, -1.0) >= full / 2);
	}
	/* a huge attempt number stays at the cap */
	ck_assert(mc_http_backoff(100000, 60.0, 900.0, 0.999) <= 900.0);
}
END_TEST

START_TEST(same_origin_refuses_look_alike_hosts)
{
	const char *base = "https://api.github.com";

	ck_assert(mc_http_same_origin("https://api.github.com/repos/a/b?page=2", base));
	ck_assert(mc_http_same_origin("https://API.github.com/x", base));
	ck_assert(mc_http_same_origin("https://ghe.example/api/v3/repos/a/b",
				      "https://ghe.example/api/v3"));
	ck_assert(!mc_http_same_origin("https://api.github.com.evil.example/x", base));
	ck_assert(!mc_http_same_origin("https://api.github.com@evil.example/x", base));
	ck_assert(!mc_http_same_origin("http://api.github.com/x", base));
	ck_assert(!mc_http_same_origin("https://api.github.com:8443/x", base));
	ck_assert(!mc_http_same_origin(NULL, base));
}
END_TEST

START_TEST(redaction_hides_authorization_values)
{
	const char *line = "Authorization: Bearer ghs_secret123\r\n";
	char *r = mc_http_redact_header(line, strlen(line));

	ck_assert_str_eq(r, "Authorization: [redacted]");
	ck_assert_ptr_null(strstr(r, "ghs_"));
	free(r);
	r = mc_http_redact_header("authorization:token abc", 23);
	ck_assert_ptr_null(strstr(r, "abc"));
	free(r);
	r = mc_http_redact_header("Proxy-Authorization: Basic eHl6", 31);
	ck_assert_ptr_null(strstr(r, "eHl6"));
	free(r);
	r = mc_http_redact_header("Accept: application/json\r\n", 26);
	ck_assert_str_eq(r, "Accept: application/json");
	free(r);
}
END_TEST

START_TEST(repository_names_are_checked_before_any_url)
{
	mc_strbuf sb = MC_STRBUF_INIT;

	ck_assert_int_eq(mc_rest_check_repo("octo-org/hello_world.c"), 0);
	ck_assert_int_eq(mc_rest_check_repo("a/.github"), 0);
	ck_assert_int_eq(mc_rest_check_repo("octo"), MC_EINVAL);
	ck_assert_int_eq(mc_rest_check_repo("/r"), MC_EINVAL);
	ck_assert_int_eq(mc_rest_check_repo("o/"), MC_EINVAL);
	ck_assert_int_eq(mc_rest_check_repo("o/r/x"), MC_EINVAL);
	ck_assert_int_eq(mc_rest_check_repo("o/.."), MC_EINVAL);
	ck_assert_int_eq(mc_rest_check_repo("../r"), MC_EINVAL);
	ck_assert_int_eq(mc_rest_check_repo("o/r?x=1"), MC_EINVAL);
	ck_assert_int_eq(mc_rest_check_repo("o/r#x"), MC_EINVAL);
	ck_assert_int_eq(mc_rest_check_repo("o/r%2f"), MC_EINVAL);
	ck_assert_int_eq(mc_rest_check_repo("o w/r"), MC_EINVAL);
	ck_assert_int_eq(mc_rest_check_repo(NULL), MC_EINVAL);
	mc_rest_escape(&sb, "dependabot[bot]/a b~c.d_e-f%");
	ck_assert_str_eq(sb.buf, "dependabot%5Bbot%5D%2Fa%20b~c.d_e-f%25");
	mc_strbuf_release(&sb);
}
END_TEST

START_TEST(rfc3339_times_with_offsets)
{
	time_t t = 0;

	ck_assert_int_eq(mc_time_parse_rfc3339(&t, "2024-01-01T00:00:00Z"), 0);
	ck_assert_int_eq((long long)t, 1704067200LL);
	ck_assert_int_eq(mc_time_parse_rfc3339(&t, "2024-01-01T08:00:00.123+08:00"), 0);
	ck_assert_int_eq((long long)t, 1704067200LL);
	ck_assert_int_eq(mc_time_parse_rfc3339(&t, "2023-12-31T19:00:00-05:00"), 0);
	ck_assert_int_eq((long long)t, 1704067200LL);
	ck_assert_int_eq(mc_time_parse_rfc3339(&t, "2024-01-01"), -1);
	ck_assert_int_eq(mc_time_parse_rfc3339(&t, "2024-01-01T00:00:00"), -1);
	ck_assert_int_eq(mc_time_parse_rfc3339(&t, "2024-01-01T00:00:00+0800"), -1);
}
END_TEST

/* ---- JWT ---- */

static char *make_rsa_pem(EVP_PKEY **key)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *pem;
	long n;

	*key = EVP_RSA_gen(2048);
	ck_assert_ptr_nonnull(*key);
	ck_assert_int_eq(PEM_write_bio_PrivateKey(bio, *key, NULL, NULL, 0, NULL, NULL), 1);
	n = BIO_get_mem_data(bio, &data);
	pem = mc_xstrndup(data, (size_t)n);
	BIO_free(bio);
	return pem;
}

/* base64url → bytes (test side, through OpenSSL's decoder). */
static unsigned char *b64url_decode(const char *s, size_t n, size_t *outlen)
{
	char *std = calloc(1, n + 4);
	unsigned char *out = calloc(1, n + 4);
	size_t m = n;
	int len;

	for (size_t i = 0; i < n; i++) {
		ck_assert_msg(s[i] != '+' && s[i] != '/' && s[i] != '=', "not base64url");
		std[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
	}
	while (m % 4)
		std[m++] = '=';
	len = EVP_DecodeBlock(out, (unsigned char *)std, (int)m);
	ck_assert_int_ge(len, 0);
	*outlen = (size_t)len - (m - n);
	free(std);
	return out;
}

START_TEST(jwt_is_rs256_with_the_expected_claims_and_verifies)
{
	EVP_PKEY *key;
	char *pem = make_rsa_pem(&key), *jwt = NULL;
	time_t now = 1700000000;
	const char *dot1, *dot2;
	unsigned char *header, *claims, *sig;
	size_t hlen, clen, slen;
	struct json_object *h, *c;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	ck_assert_int_eq(mc_jwt_github_app(&jwt, "123456", pem, now), 0);
	dot1 = strchr(jwt, '.');
	ck_assert_ptr_nonnull(dot1);
	dot2 = strchr(dot1 + 1, '.');
	ck_assert_ptr_nonnull(dot2);
	ck_assert_ptr_null(strchr(dot2 + 1, '.'));
	header = b64url_decode(jwt, (size_t)(dot1 - jwt), &hlen);
	claims = b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), &clen);
	sig = b64url_decode(dot2 + 1, strlen(dot2 + 1), &slen);
	h = json_tokener_parse((char *)header);
	c = json_tokener_parse((char *)claims);
	ck_assert_ptr_nonnull(h);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(h, "alg")), "RS256");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(h, "typ")), "JWT");
	ck_assert_int_eq(json_object_get_int64(json_object_object_get(c, "iat")), now - 60);
	ck_assert_int_eq(json_object_get_int64(json_object_object_get(c, "exp")), now + 540);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(c, "iss")), "123456");
	ck_assert_uint_eq(slen, 256);
	/* The signature covers "header.claims" as sent. */
	ck_assert_int_eq(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key), 1);
	ck_assert_int_eq(EVP_DigestVerify(ctx, sig, slen, (unsigned char *)jwt,
					  (size_t)(dot2 - jwt)), 1);
	/* and nothing else: one flipped byte fails */
	jwt[3] ^= 1;
	EVP_MD_CTX_reset(ctx);
	ck_assert_int_eq(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key), 1);
	ck_assert_int_ne(EVP_DigestVerify(ctx, sig, slen, (unsigned char *)jwt,
					  (size_t)(dot2 - jwt)), 1);
	EVP_MD_CTX_free(ctx);
	json_object_put(h);
	json_object_put(c);
	free(header);
	free(claims);
	free(sig);
	free(jwt);
	free(pem);
	EVP_PKEY_free(key);
}
END_TEST

START_TEST(jwt_refuses_bad_keys_and_ids_without_echoing_the_key)
{
	EVP_PKEY *key;
	char *pem = make_rsa_pem(&key), *jwt = NULL;
	mc_github_app *app = NULL;
	EVP_PKEY *ec = EVP_EC_gen("P-256");
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *ecpem;
	long n;

	ck_assert_int_eq(mc_jwt_github_app(&jwt, "12 34", pem, 1), MC_EINVAL);
	ck_assert_int_eq(mc_jwt_github_app(&jwt, "", pem, 1), MC_EINVAL);
	ck_assert_int_eq(mc_jwt_github_app(&jwt, "1", "-----BEGIN PRIVATE KEY-----\nsecretstuff",
					   1), MC_EINVAL);
	ck_assert_ptr_null(strstr(mc_error_message(), "secretstuff"));
	PEM_write_bio_PrivateKey(bio, ec, NULL, NULL, 0, NULL, NULL);
	n = BIO_get_mem_data(bio, &data);
	ecpem = mc_xstrndup(data, (size_t)n);
	ck_assert_int_eq(mc_jwt_github_app(&jwt, "1", ecpem, 1), MC_EINVAL);
	ck_assert_ptr_nonnull(strstr(mc_error_message(), "RSA"));
	ck_assert_int_eq(mc_github_app_new(&app, "1", pem, 0), MC_EINVAL);
	ck_assert_int_eq(mc_github_app_new(&app, "Iv1.8a61f9b3a7aba766", pem, 42), 0);
	ck_assert_int_eq(mc_github_app_token_ttl(app), -1);
	mc_github_app_free(app);
	free(ecpem);
	BIO_free(bio);
	EVP_PKEY_free(ec);
	free(pem);
	EVP_PKEY_free(key);
}
END_TEST

START_TEST(base64url_has_no_padding_or_standard_symbols)
{
	char *s = mc_base64url_encode("\xfb\xff\xfe", 3);

	ck_assert_str_eq(s, "-__-");
	free(s);
	s = mc_base64url_encode("a", 1);
	ck_assert_str_eq(s, "YQ");
	free(s);
	s = mc_base64url_encode("", 0);
	ck_assert_str_eq(s, "");
	free(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("forge_pure");
	TCase *tc = tcase_create("pure");

	tcase_add_test(tc, link_next_is_found_among_relations);
	tcase_add_test(tc, retry_after_takes_seconds_or_an_http_date);
	tcase_add_test(tc, backoff_doubles_up_to_the_cap_with_jitter_in_the_upper_half);
	tcase_add_test(tc, same_origin_refuses_look_alike_hosts);
	tcase_add_test(tc, redaction_hides_authorization_values);
	tcase_add_test(tc, repository_names_are_checked_before_any_url);
	tcase_add_test(tc, rfc3339_times_with_offsets);
	tcase_add_test(tc, jwt_is_rs256_with_the_expected_claims_and_verifies);
	tcase_add_test(tc, jwt_refuses_bad_keys_and_ids_without_echoing_the_key);
	tcase_add_test(tc, base64url_has_no_padding_or_standard_symbols);
	suite_add_tcase(s, tc);
	return mc_test_run(s);
}
