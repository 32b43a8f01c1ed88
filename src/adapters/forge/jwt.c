/*
 * GitHub App JWTs and installation tokens (jwt.h). The JWT is
 * base64url(header) "." base64url(claims) "." base64url(RS256 signature), the
 * signature made by EVP_DigestSign with SHA-256 over the first two parts.
 */
#include "adapters/forge/jwt.h"

#include <ctype.h>
#include <json-c/json.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/error.h"
#include "util/json.h"
#include "util/strbuf.h"
#include "util/time.h"

/* Replace an installation token this long before GitHub says it expires. */
#define TOKEN_MARGIN_S 60
#define APP_ID_MAX 64
#define TOKEN_RESPONSE_MAX (64u << 10)

struct mc_github_app {
	char *app_id;
	EVP_PKEY *key;
	int64_t installation_id;
	char *token;
	time_t expires_at;
};

char *mc_base64url_encode(const void *data, size_t n)
{
	/* EVP_EncodeBlock writes standard base64 with padding and a NUL. */
	char *out = mc_xmalloc(4 * ((n + 2) / 3) + 1);
	int len = EVP_EncodeBlock((unsigned char *)out, data, (int)n);

	while (len > 0 && out[len - 1] == '=')
		len--;
	out[len] = '\0';
	for (int i = 0; i < len; i++) {
		if (out[i] == '+')
			out[i] = '-';
		else if (out[i] == '/')
			out[i] = '_';
	}
	return out;
}

/* A client id ("Iv1.8a61f9b3a7aba766") or an app id ("123456"). */
static int check_app_id(const char *app_id)
{
	size_t n = app_id ? strlen(app_id) : 0;

	if (n == 0 || n > APP_ID_MAX)
		return mc_error_set(MC_EINVAL, "github app_id must have 1 to %d characters",
				    APP_ID_MAX);
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)app_id[i]) && app_id[i] != '.' && app_id[i] != '_' &&
		    app_id[i] != '-')
			return mc_error_set(MC_EINVAL, "github app_id '%s' has a character other "
						       "than letters, digits, '.', '_' and '-'",
					    app_id);
	return 0;
}

static int read_key(EVP_PKEY **out, const char *pem)
{
	BIO *bio;
	EVP_PKEY *key;

	*out = NULL;
	if (!pem || !*pem)
		return mc_error_set(MC_EINVAL, "github app private key is empty");
	bio = BIO_new_mem_buf(pem, -1);
	if (!bio)
		return mc_error_set(MC_ENOMEM, "github app private key: out of memory");
	key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (!key)
		return mc_error_set(MC_EINVAL, "github app private key is not a PEM private key");
	if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
		EVP_PKEY_free(key);
		return mc_error_set(MC_EINVAL, "github app private key is not an RSA key (RS256)");
	}
	*out = key;
	return 0;
}

static int sign_rs256(char **out, EVP_PKEY *key, const char *app_id, time_t now)
{
	mc_strbuf sb = MC_STRBUF_INIT;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *sig = NULL;
	size_t siglen = 0;
	char *part;
	int rc = 0;

	*out = NULL;
	{
		static const char header[] = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";
		part = mc_base64url_encode(header, sizeof header - 1);
	}
	mc_strbuf_printf(&sb, "%s.", part);
	free(part);
	{
		struct json_object *claims = json_object_new_object();
		const char *text;
		mc_json_set_int(claims, "iat", (long long)now - 60);
		mc_json_set_int(claims, "exp", (long long)now + 9 * 60);
		mc_json_set_string(claims, "iss", app_id);
		text = json_object_to_json_string_ext(claims, JSON_C_TO_STRING_PLAIN);
		part = mc_base64url_encode(text, strlen(text));
		json_object_put(claims);
	}
	mc_strbuf_puts(&sb, part);
	free(part);
	if (!ctx || EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(ctx, NULL, &siglen, (unsigned char *)sb.buf, sb.len) != 1) {
		rc = mc_error_set(MC_EINTERNAL, "github app JWT: OpenSSL cannot sign");
		goto out;
	}
	sig = mc_xmalloc(siglen);
	if (EVP_DigestSign(ctx, sig, &siglen, (unsigned char *)sb.buf, sb.len) != 1) {
		rc = mc_error_set(MC_EINTERNAL, "github app JWT: OpenSSL cannot sign");
		goto out;
	}
	part = mc_base64url_encode(sig, siglen);
	mc_strbuf_printf(&sb, ".%s", part);
	free(part);
	*out = mc_strbuf_detach(&sb);
out:
	free(sig);
	EVP_MD_CTX_free(ctx);
	mc_strbuf_release(&sb);
	return rc;
}

int mc_jwt_github_app(char **out, const char *app_id, const char *pem, time_t now)
{
	EVP_PKEY *key;
	int rc;

	*out = NULL;
	if ((rc = check_app_id(app_id)) != 0 || (rc = read_key(&key, pem)) != 0)
		return rc;
	rc = sign_rs256(out, key, app_id, now);
	EVP_PKEY_free(key);
	return rc;
}

int mc_github_app_new(mc_github_app **out, const char *app_id, const char *pem,
		      int64_t installation_id)
{
	mc_github_app *app;
	EVP_PKEY *key;
	int rc;

	*out = NULL;
	if ((rc = check_app_id(app_id)) != 0)
		return rc;
	if (installation_id <= 0)
		return mc_error_set(MC_EINVAL, "github app installation_id must be positive");
	if ((rc = read_key(&key, pem)) != 0)
		return rc;
	app = mc_xcalloc(1, sizeof *app);
	app->app_id = mc_xstrdup(app_id);
	app->key = key;
	app->installation_id = installation_id;
	*out = app;
	return 0;
}

void mc_github_app_forget(mc_github_app *app)
{
	if (app->token) {
		OPENSSL_cleanse(app->token, strlen(app->token));
		free(app->token);
	}
	app->token = NULL;
	app->expires_at = 0;
}

void mc_github_app_free(mc_github_app *app)
{
	if (!app)
		return;
	mc_github_app_forget(app);
	EVP_PKEY_free(app->key);
	free(app->app_id);
	free(app);
}

long mc_github_app_token_ttl(const mc_github_app *app)
{
	if (!app->token)
		return -1;
	return (long)(app->expires_at - TOKEN_MARGIN_S - time(NULL));
}

static int read_token_answer(mc_github_app *app, const mc_http_response *resp)
{
	struct json_object *doc = NULL;
	const char *token, *expires;
	time_t when;
	int rc;

	if ((rc = mc_json_parse(&doc, resp->body, resp->len, TOKEN_RESPONSE_MAX,
				"installation token answer")) != 0)
		return rc;
	token = json_object_is_type(doc, json_type_object) ? mc_json_get_string(doc, "token", NULL)
							    : NULL;
	expires = token ? mc_json_get_string(doc, "expires_at", NULL) : NULL;
	if (!token || !*token || strlen(token) > 1024) {
		rc = mc_error_set(MC_EINVAL, "installation token answer: no field 'token'");
	} else if (mc_time_parse_rfc3339(&when, expires) != 0) {
		rc = mc_error_set(MC_EINVAL, "installation token answer: field 'expires_at' is "
					     "not an RFC 3339 UTC time");
	} else {
		mc_github_app_forget(app);
		app->token = mc_xstrdup(token);
		app->expires_at = when;
	}
	json_object_put(doc);
	return rc;
}

int mc_github_app_token(mc_github_app *app, mc_http *http, const char **token)
{
	mc_http_request req = {.method = "POST", .idempotent = 1};
	mc_http_response resp;
	mc_strbuf url = MC_STRBUF_INIT, auth = MC_STRBUF_INIT;
	char *jwt = NULL;
	int rc;

	*token = NULL;
	if (app->token && time(NULL) < app->expires_at - TOKEN_MARGIN_S) {
		*token = app->token;
		return 0;
	}
	if ((rc = sign_rs256(&jwt, app->key, app->app_id, time(NULL))) != 0)
		return rc;
	mc_strbuf_printf(&url, "/app/installations/%lld/access_tokens",
			 (long long)app->installation_id);
	mc_strbuf_printf(&auth, "Bearer %s", jwt);
	OPENSSL_cleanse(jwt, strlen(jwt));
	free(jwt);
	req.url = url.buf;
	req.authorization = auth.buf;
	rc = mc_http_send(http, &req, &resp);
	OPENSSL_cleanse(auth.buf, auth.len);
	mc_strbuf_release(&auth);
	mc_strbuf_release(&url);
	if (rc == 0 && resp.status != 201 && resp.status != 200)
		rc = mc_http_status_error(&resp, "github app installation token");
	if (rc == 0)
		rc = read_token_answer(app, &resp);
	if (resp.body)
		OPENSSL_cleanse(resp.body, resp.len);
	mc_http_response_clear(&resp);
	if (rc != 0)
		return mc_error_wrap(rc, "github app %s", app->app_id);
	*token = app->token;
	return 0;
}
