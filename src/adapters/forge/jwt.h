/*
 * GitHub App authentication: the app signs a short-lived JSON Web Token (RS256,
 * its private key, via OpenSSL) and trades it for an installation token with
 * POST /app/installations/{id}/access_tokens. Installation tokens live an hour;
 * the one in hand is reused until a minute before its expires_at, so a busy
 * daemon asks for a new one about once an hour. Keys and tokens are wiped from
 * memory when freed and never reach an error message or a log.
 */
#ifndef MC_ADAPTERS_FORGE_JWT_H
#define MC_ADAPTERS_FORGE_JWT_H
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "adapters/forge/http.h"

/* base64url without padding (RFC 7515 §2) of n bytes (free() it). */
char *mc_base64url_encode(const void *data, size_t n);

/*
 * The App's JWT at time now: header {"alg":"RS256","typ":"JWT"}, claims
 * {"iat": now-60, "exp": now+540, "iss": app_id} (iat in the past for clock drift,
 * exp under GitHub's 10-minute limit). pem is the App's RSA private key. free() *out.
 */
int mc_jwt_github_app(char **out, const char *app_id, const char *pem, time_t now);

typedef struct mc_github_app mc_github_app;

/* Checks the key (RSA, readable) and the ids; copies what it keeps. */
int mc_github_app_new(mc_github_app **out, const char *app_id, const char *pem,
		      int64_t installation_id);
void mc_github_app_free(mc_github_app *app);
/* The installation token, asked for through http when none is cached or the cached
 * one expires within a minute. *token lives until the next call or free. */
int mc_github_app_token(mc_github_app *app, mc_http *http, const char **token);
/* Drop the cached token (the forge answered 401: it was revoked). */
void mc_github_app_forget(mc_github_app *app);
/* Seconds from now until the cached token is replaced; -1 when none is cached. */
long mc_github_app_token_ttl(const mc_github_app *app);

#endif
