/* SPDX-License-Identifier: MIT */
/*
 * b64.h - base64 (RFC 4648, standard alphabet, padded). Decoding is strict:
 * no whitespace, padding only at the end, so a payload is either exactly
 * base64 or refused (audio frames, WebSocket events).
 */
#ifndef VA_CORE_B64_H
#define VA_CORE_B64_H

#include <stddef.h>
#include <stdint.h>

/* Decodes n characters into out (at most cap bytes): the byte count, or -1
 * when the text is not strict base64 or decodes to more than cap. */
long va_b64_decode(const char *in, size_t n, uint8_t *out, size_t cap);
/* The byte count n characters of strict base64 decode to, or -1 when they
 * are not strict base64 (checks without decoding). */
long va_b64_check(const char *in, size_t n);
/* Encoded length of n bytes (without the NUL). */
size_t va_b64_encoded_len(size_t n);
/* Encodes n bytes; returns a malloc'ed NUL-terminated string (aborts on OOM). */
char *va_b64_encode(const uint8_t *in, size_t n);

#endif
