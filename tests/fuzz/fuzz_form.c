/* SPDX-License-Identifier: MIT */
/*
 * fuzz_form.c - feeds arbitrary bytes to the webhook body parser, the first
 * code that touches what a caller on the internet sends us, and checks the
 * invariants the signature check and the handlers rely on.
 */
#include "core/alloc.h"
#include "http/form.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct va_form f;
	char *dec;
	size_t i;
	int rc;

	rc = va_form_parse(&f, (const char *)data, size);
	if (rc == 0) {
		if (f.n > VA_FORM_MAX_PAIRS)
			abort();
		for (i = 0; i < f.n; i++) {
			const char *v = va_form_get(&f, f.pairs[i].name);
			size_t j = 0;

			/* Decoding never grows the text. */
			if (strlen(f.pairs[i].name) + strlen(f.pairs[i].value) > size)
				abort();
			/* get() returns the first pair of that name. */
			while (strcmp(f.pairs[j].name, f.pairs[i].name) != 0)
				j++;
			if (v != f.pairs[j].value)
				abort();
		}
	} else if (f.n != 0) {
		abort();
	}
	va_form_release(&f);

	dec = va_xmalloc(size + 1);
	rc = va_url_decode(dec, (const char *)data, size, 1);
	if (rc > 0 && (size_t)rc > size)
		abort();
	if (rc >= 0 && strlen(dec) != (size_t)rc)
		abort();
	free(dec);
	return 0;
}
