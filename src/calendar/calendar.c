/* SPDX-License-Identifier: MIT */
/* calendar.c - names of the calendar enums (calendar.h). */
#include "calendar/calendar.h"
#include "core/err.h"

#include <openssl/evp.h>
#include <string.h>
#include <sys/random.h>

static void hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

void va_cal_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[32];
	unsigned int n = 0;

	EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
	hex(md, sizeof(md), out);
}

int va_cal_feed_token_new(char token[65], char hash[65])
{
	unsigned char rnd[32];

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return VA_E_IO;
	hex(rnd, sizeof(rnd), token);
	explicit_bzero(rnd, sizeof(rnd));
	va_cal_sha256_hex(token, 64, hash);
	return VA_OK;
}

static const char *const auth_names[] = {
    [VA_CAL_AUTH_BASIC] = "basic",
    [VA_CAL_AUTH_BEARER] = "bearer",
    [VA_CAL_AUTH_NONE] = "none",
};

const char *va_cal_auth_name(enum va_cal_auth a)
{
	if ((int)a < 0 || (size_t)a >= sizeof(auth_names) / sizeof(auth_names[0]))
		return "basic";
	return auth_names[a];
}

int va_cal_auth_parse(const char *name, enum va_cal_auth *out)
{
	size_t i;

	for (i = 0; name && i < sizeof(auth_names) / sizeof(auth_names[0]); i++) {
		if (strcmp(name, auth_names[i]) == 0) {
			*out = (enum va_cal_auth)i;
			return VA_OK;
		}
	}
	return VA_E_INVAL;
}
