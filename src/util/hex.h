/*
 * Hexadecimal digits: one reading of them for every parser here (signatures,
 * commit ids, JSON \u escapes, notes fan-out names), so none has its own idea of
 * what a hex digit is.
 */
#ifndef MC_UTIL_HEX_H
#define MC_UTIL_HEX_H
#include <stddef.h>

/* The value of one hex digit (either case), or -1. */
int mc_hex_digit(int c);
/* Whether s[0..n) are all lowercase hex digits (git's spelling of object ids). */
int mc_hex_is_lower(const char *s, size_t n);
/* Whether s is a full object id: 40 (SHA-1) or 64 (SHA-256) lowercase hex digits. */
int mc_hex_is_oid(const char *s);
/* n bytes as 2 * n lowercase hex digits and a NUL in out (2 * n + 1 chars). */
void mc_hex_encode(char *out, const unsigned char *bytes, size_t n);
/* Decode exactly 2 * n hex digits (either case) into n bytes; -1 on a non-digit. */
int mc_hex_decode(unsigned char *out, const char *hex, size_t n);

#endif
