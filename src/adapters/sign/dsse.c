/*
 * DSSE envelopes signed through mc_gpg (dsse.h).
 *
 * Base64 is OpenSSL's (EVP_EncodeBlock/EVP_DecodeBlock). EVP_DecodeBlock alone is
 * lenient (it skips surrounding whitespace, counts padding as zero bytes and ignores
 * the unused bits of the last quantum), so decoding first checks the alphabet and
 * the padding and then re-encodes and compares: every payload has exactly one
 * accepted encoding, so two envelopes with the same content are the same bytes,
 * which is what de-duplicating records relies on.
 */
#include "adapters/sign/dsse.h"

#include <json-c/json.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/alloc.h"
#include "util/error.h"
#include "util/json.h"

#define WHAT "DSSE envelope"

void mc_dsse_pae(mc_strbuf *out, const char *payload_type, const void *payload, size_t len)
{
	mc_strbuf_printf(out, "DSSEv1 %zu %s %zu ", strlen(payload_type), payload_type, len);
	mc_strbuf_add(out, payload, len);
}

static size_t base64_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

/* Standard base64 with padding, NUL-terminated (free() it). n must be checked against
 * the envelope limit first, so it fits EVP's int. */
static char *base64_encode(const void *data, size_t n)
{
	char *out = mc_xmalloc(base64_len(n) + 1);
	EVP_EncodeBlock((unsigned char *)out, data, (int)n);
	return out;
}

static int is_base64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

/* Decode s (n bytes) if it is canonical standard base64; -1 otherwise. The result is
 * NUL-terminated (free() it). */
static int base64_decode(char **out, size_t *outlen, const char *s, size_t n)
{
	size_t i, pad = 0;
	char *buf, *again;
	int got;

	*out = NULL;
	if (n % 4 || n > INT_MAX)
		return -1;
	if (n && s[n - 1] == '=')
		pad = s[n - 2] == '=' ? 2 : 1;
	for (i = 0; i < n - pad; i++)
		if (!is_base64_char(s[i]))
			return -1;
	buf = mc_xmalloc(n / 4 * 3 + 1);
	got = EVP_DecodeBlock((unsigned char *)buf, (const unsigned char *)s, (int)n);
	if (got < 0 || (size_t)got < pad) {
		free(buf);
		return -1;
	}
	*outlen = (size_t)got - pad;
	buf[*outlen] = '\0';
	again = base64_encode(buf, *outlen);
	if (strlen(again) != n || memcmp(again, s, n)) {
		free(again);
		free(buf);
		return -1;
	}
	free(again);
	*out = buf;
	return 0;
}

int mc_dsse_sign(char **envelope, mc_gpg *g, const char *payload_type, const void *payload,
		 size_t len)
{
	mc_strbuf pae = MC_STRBUF_INIT;
	struct json_object *env, *sigs, *sig;
	char *sigbytes, *b64;
	size_t siglen;
	int rc;

	*envelope = NULL;
	if (!payload_type)
		return mc_error_set(MC_EINVAL, "DSSE: no payload type");
	if (!mc_gpg_signing_fingerprint(g))
		return mc_error_set(MC_EINVAL, "DSSE: no signing key configured (verify-only)");
	/* Refuse to make what mc_dsse_verify would refuse to read. */
	if (len > MC_DSSE_MAX_ENVELOPE || base64_len(len) > MC_DSSE_MAX_ENVELOPE)
		return mc_error_set(MC_ELIMIT, "DSSE: a %zu-byte payload makes an envelope over "
					       "the limit of %zu bytes",
				    len, MC_DSSE_MAX_ENVELOPE);
	mc_dsse_pae(&pae, payload_type, payload, len);
	rc = mc_gpg_sign(g, pae.buf, pae.len, 0, &sigbytes, &siglen);
	mc_strbuf_release(&pae);
	if (rc)
		return rc;

	env = json_object_new_object();
	json_object_object_add(env, "payloadType", json_object_new_string(payload_type));
	b64 = base64_encode(payload, len);
	json_object_object_add(env, "payload", json_object_new_string(b64));
	free(b64);
	sig = json_object_new_object();
	json_object_object_add(sig, "keyid",
			       json_object_new_string(mc_gpg_signing_fingerprint(g)));
	b64 = base64_encode(sigbytes, siglen);
	json_object_object_add(sig, "sig", json_object_new_string(b64));
	free(b64);
	free(sigbytes);
	sigs = json_object_new_array();
	json_object_array_add(sigs, sig);
	json_object_object_add(env, "signatures", sigs);

	*envelope = mc_xstrdup(mc_json_dump(env, 0));
	json_object_put(env);
	if (strlen(*envelope) > MC_DSSE_MAX_ENVELOPE) {
		rc = mc_error_set(MC_ELIMIT, "DSSE: the envelope is %zu bytes, over the limit of %zu",
				  strlen(*envelope), MC_DSSE_MAX_ENVELOPE);
		free(*envelope);
		*envelope = NULL;
	}
	return rc;
}

/* obj must hold exactly the named keys (a NULL-terminated list); where names the object
 * in messages ("" for the envelope itself, "signatures[0]."). */
static int check_fields(struct json_object *obj, const char *where, const char *const *names)
{
	const char *const *n;
	int known;

	if (!json_object_is_type(obj, json_type_object))
		return mc_error_set(MC_EINVAL, WHAT ": %s is not a JSON object",
				    *where ? where : "the envelope");
	json_object_object_foreach(obj, key, value) {
		(void)value;
		known = 0;
		for (n = names; *n; n++)
			known |= !strcmp(key, *n);
		if (!known)
			return mc_error_set(MC_EINVAL, WHAT ": unexpected field \"%s%.64s\"", where,
					    key);
	}
	for (n = names; *n; n++)
		if (!mc_json_get(obj, *n))
			return mc_error_set(MC_EINVAL, WHAT ": missing field \"%s%s\"", where, *n);
	return 0;
}

/* The string in field key of obj, which must be a string without NUL bytes. */
static int get_string(const char **out, size_t *len, struct json_object *obj, const char *where,
		      const char *key)
{
	struct json_object *v = mc_json_get(obj, key);
	if (!json_object_is_type(v, json_type_string))
		return mc_error_set(MC_EINVAL, WHAT ": field \"%s%s\" is not a string", where, key);
	*out = json_object_get_string(v);
	*len = (size_t)json_object_get_string_len(v);
	if (strlen(*out) != *len)
		return mc_error_set(MC_EINVAL, WHAT ": field \"%s%s\" contains a NUL character",
				    where, key);
	return 0;
}

static int get_base64(char **out, size_t *outlen, struct json_object *obj, const char *where,
		      const char *key)
{
	const char *s = NULL;
	size_t n = 0;
	int rc = get_string(&s, &n, obj, where, key);
	if (rc)
		return rc;
	if (base64_decode(out, outlen, s, n))
		return mc_error_set(MC_EINVAL, WHAT ": field \"%s%s\" is not valid base64", where,
				    key);
	return 0;
}

/* The parts of a well-formed envelope, decoded. */
struct envelope {
	struct json_object *json;
	const char *payload_type;
	char *payload;
	size_t payload_len;
	const char *keyid;
	char *sig;
	size_t sig_len;
};

static void envelope_release(struct envelope *e)
{
	json_object_put(e->json);
	free(e->payload);
	free(e->sig);
}

static int parse_envelope(struct envelope *e, const char *text, size_t len)
{
	static const char *const top[] = { "payloadType", "payload", "signatures", NULL };
	static const char *const one_sig[] = { "keyid", "sig", NULL };
	struct json_object *sigs, *sig;
	size_t n;
	int rc;

	memset(e, 0, sizeof *e);
	/* A size error is a malformed envelope like any other (MC_EINVAL): it has no
	 * business being that large, whatever the reason. */
	if (len > MC_DSSE_MAX_ENVELOPE)
		return mc_error_set(MC_EINVAL, WHAT ": %zu bytes is over the limit of %zu", len,
				    MC_DSSE_MAX_ENVELOPE);
	rc = mc_json_parse(&e->json, text, len, MC_DSSE_MAX_ENVELOPE, WHAT);
	if (rc)
		return rc;
	rc = check_fields(e->json, "", top);
	if (!rc)
		rc = get_string(&e->payload_type, &n, e->json, "", "payloadType");
	if (!rc)
		rc = get_base64(&e->payload, &e->payload_len, e->json, "", "payload");
	if (rc)
		return rc;
	sigs = mc_json_get(e->json, "signatures");
	if (!json_object_is_type(sigs, json_type_array))
		return mc_error_set(MC_EINVAL, WHAT ": field \"signatures\" is not an array");
	n = json_object_array_length(sigs);
	if (n != 1)
		return mc_error_set(MC_EINVAL,
				    WHAT ": field \"signatures\" holds %zu signatures, exactly one "
					 "is expected",
				    n);
	sig = json_object_array_get_idx(sigs, 0);
	rc = check_fields(sig, "signatures[0].", one_sig);
	if (!rc)
		rc = get_string(&e->keyid, &n, sig, "signatures[0].", "keyid");
	if (!rc && (n != 40 || !mc_gpg_is_fingerprint(e->keyid)))
		rc = mc_error_set(MC_EINVAL, WHAT ": field \"signatures[0].keyid\" is not a "
						  "fingerprint (40 hexadecimal digits)");
	if (!rc)
		rc = get_base64(&e->sig, &e->sig_len, sig, "signatures[0].", "sig");
	return rc;
}

int mc_dsse_verify_typed(char **payload, size_t *len, char fpr[41], mc_gpg *g,
			 const char *expected_type, const char *envelope, size_t envelope_len,
			 const char *const *pinned, size_t npinned)
{
	struct envelope e;
	mc_strbuf pae = MC_STRBUF_INIT;
	int rc;

	*payload = NULL;
	*len = 0;
	fpr[0] = '\0';
	rc = parse_envelope(&e, envelope, envelope_len);
	if (!rc && expected_type && strcmp(e.payload_type, expected_type))
		rc = mc_error_set(MC_EINVAL, WHAT ": field \"payloadType\" is \"%.64s\", expected \"%s\"",
				  e.payload_type, expected_type);
	if (rc) {
		envelope_release(&e);
		return rc;
	}
	mc_dsse_pae(&pae, e.payload_type, e.payload, e.payload_len);
	rc = mc_gpg_verify(g, pae.buf, pae.len, e.sig, e.sig_len, pinned, npinned, fpr);
	mc_strbuf_release(&pae);
	/* keyid is an unauthenticated hint; one that names another key than the signer's
	 * means the envelope was tampered with or assembled wrongly. */
	if (!rc && strcasecmp(e.keyid, fpr))
		rc = mc_error_set(MC_EVERIFY,
				  WHAT ": signatures[0].keyid names %s but the signature was made "
				       "by %s",
				  e.keyid, fpr);
	if (rc) {
		fpr[0] = '\0';
		envelope_release(&e);
		return rc;
	}
	*payload = e.payload;
	*len = e.payload_len;
	e.payload = NULL;
	envelope_release(&e);
	return 0;
}

int mc_dsse_verify(char **payload, size_t *len, char fpr[41], mc_gpg *g, const char *envelope,
		   size_t envelope_len, const char *const *pinned, size_t npinned)
{
	return mc_dsse_verify_typed(payload, len, fpr, g, NULL, envelope, envelope_len, pinned,
				    npinned);
}

int mc_dsse_payload(char **payload, size_t *len, const char *envelope, size_t envelope_len)
{
	struct envelope e;
	int rc = parse_envelope(&e, envelope, envelope_len);

	*payload = NULL;
	*len = 0;
	if (rc == 0) {
		*payload = e.payload;
		*len = e.payload_len;
		e.payload = NULL;
	}
	envelope_release(&e);
	return rc;
}
