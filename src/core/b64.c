/* SPDX-License-Identifier: MIT */
/* b64.c - strict base64 (b64.h). */
#include "core/b64.h"

#include "core/alloc.h"

#include <openssl/evp.h>

static int b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

long va_b64_decode(const char *in, size_t n, uint8_t *out, size_t cap)
{
	size_t i, k = 0;

	if (n % 4)
		return -1;
	for (i = 0; i < n; i += 4) {
		int v[4], pad = 0;

		for (int j = 0; j < 4; j++) {
			unsigned char c = (unsigned char)in[i + j];

			if (c == '=' && i + 4 == n && j >= 2) {
				v[j] = 0;
				pad++;
				continue;
			}
			if (pad || (v[j] = b64val(c)) < 0)
				return -1;
		}
		if (k + 3 - (size_t)pad > cap)
			return -1;
		out[k++] = (uint8_t)(v[0] << 2 | v[1] >> 4);
		if (pad < 2)
			out[k++] = (uint8_t)((v[1] & 15) << 4 | v[2] >> 2);
		if (pad < 1)
			out[k++] = (uint8_t)((v[2] & 3) << 6 | v[3]);
	}
	return (long)k;
}

long va_b64_check(const char *in, size_t n)
{
	size_t i, pad = 0;

	if (n % 4)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c == '=' && i >= n - 2) {
			pad++;
			continue;
		}
		if (pad || b64val(c) < 0)
			return -1;
	}
	if (pad == 2 && in[n - 2] != '=')
		return -1;
	return (long)(n / 4 * 3 - pad);
}

size_t va_b64_encoded_len(size_t n)
{
	return 4 * ((n + 2) / 3);
}

char *va_b64_encode(const uint8_t *in, size_t n)
{
	char *s = va_xmalloc(va_b64_encoded_len(n) + 1);

	EVP_EncodeBlock((unsigned char *)s, in, (int)n);
	return s;
}
