/*
 * DSSE envelopes (https://github.com/secure-systems-lab/dsse, protocol v1) signed
 * with OpenPGP through mc_gpg: the signature covers the pre-authentication
 * encoding (PAE) of the payload type and the payload, never the JSON, so the
 * envelope's formatting carries no meaning. One envelope is one line of compact
 * JSON, which is how evidence notes store them (DESIGN.md, "Evidence format").
 *
 * Verification is strict on shape (exactly payloadType, payload and signatures
 * with one {keyid, sig}; standard base64 with padding) and accepts only a good
 * signature by a pinned key whose fingerprint is the one keyid names.
 */
#ifndef MC_ADAPTERS_SIGN_DSSE_H
#define MC_ADAPTERS_SIGN_DSSE_H
#include <stddef.h>

#include "adapters/sign/gpg.h"
#include "util/strbuf.h"

#define MC_DSSE_INTOTO_TYPE "application/vnd.in-toto+json"
/* The largest envelope line mc_dsse_verify reads, and mc_dsse_sign makes. */
#define MC_DSSE_MAX_ENVELOPE ((size_t)1 << 20)

/* mc_dsse_pae appends to out (it does not reset it). */
/* PAE(type, body) = "DSSEv1" SP len(type) SP type SP len(body) SP body (lengths in decimal bytes). */
void mc_dsse_pae(mc_strbuf *out, const char *payload_type, const void *payload, size_t len);
/* Sign: envelope as one line of compact JSON (no newline): {"payloadType":…, "payload": base64(payload), "signatures":[{"keyid": <signing fingerprint>, "sig": base64(binary detached sig over PAE)}]}. */
int mc_dsse_sign(char **envelope, mc_gpg *g, const char *payload_type, const void *payload, size_t len);
/* Parse and verify one envelope line (size-limited, 1 MiB; strict: exactly these keys, payloadType a string, payload valid base64, exactly one signature). On success *payload (malloc'd, NUL-terminated) and fpr. Errors: MC_EINVAL for malformed envelopes (naming the field), MC_EVERIFY for signatures that don't verify against the pins. */
int mc_dsse_verify(char **payload, size_t *len, char fpr[41], mc_gpg *g, const char *envelope, size_t envelope_len, const char *const *pinned, size_t npinned);
/* mc_dsse_verify for an envelope that must carry expected_type (MC_DSSE_INTOTO_TYPE for
 * evidence): any other payloadType is MC_EINVAL naming the field, before any gpg work. */
int mc_dsse_verify_typed(char **payload, size_t *len, char fpr[41], mc_gpg *g,
			 const char *expected_type, const char *envelope, size_t envelope_len,
			 const char *const *pinned, size_t npinned);

/* The payload of a well-formed envelope, NOT verified: for telling records apart and
 * for showing what an envelope that fails verification claims. Errors as mc_dsse_verify's
 * MC_EINVAL. */
int mc_dsse_payload(char **payload, size_t *len, const char *envelope, size_t envelope_len);

#endif
