/* SPDX-License-Identifier: MIT */
/*
 * fuzz_signature.c - drives request validation with hostile URLs, tokens,
 * parameters and signatures. Input is newline-separated:
 *
 *   token \n url \n signature \n name=value \n name=value ...
 *
 * Besides not crashing, a signature we compute ourselves must validate for
 * the same request, so the URL variant code never loses the literal URL.
 */
#include "core/alloc.h"
#include "twilio/signature.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PARAMS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Next line of *p (NUL-terminated in place), or "" past the end. */
static char *next_line(char **p, char *end)
{
	char *s = *p, *nl;

	if (s >= end)
		return end;
	nl = memchr(s, '\n', (size_t)(end - s));
	if (!nl)
		nl = end;
	*nl = '\0';
	*p = nl + 1;
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct va_kv params[MAX_PARAMS];
	char sig[32];
	char *buf = va_xmalloc(size + 1), *p = buf, *end = buf + size;
	const char *token, *url, *signature;
	size_t n = 0;

	memcpy(buf, data, size);
	buf[size] = '\0';
	token = next_line(&p, end);
	url = next_line(&p, end);
	signature = next_line(&p, end);
	while (p < end && n < MAX_PARAMS) {
		char *line = next_line(&p, end), *eq = strchr(line, '=');

		if (eq)
			*eq++ = '\0';
		params[n].name = line;
		params[n].value = eq ? eq : "";
		n++;
	}

	(void)va_twilio_validate(token, url, params, n, signature);
	(void)va_twilio_validate_ws(token, url, signature);

	if (va_twilio_sign(token, url, params, n, sig, sizeof(sig)) == 0) {
		/* Userinfo is dropped on purpose, so only check URLs without it. */
		if (!strchr(url, '@') && !va_twilio_validate(token, url, params, n, sig))
			abort();
		if (!strchr(url, '@') &&
		    va_twilio_sign(token, url, NULL, 0, sig, sizeof(sig)) == 0 &&
		    !va_twilio_validate_ws(token, url, sig))
			abort();
	} else if (*token) {
		abort();
	}
	free(buf);
	return 0;
}
