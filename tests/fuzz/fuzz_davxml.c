/* SPDX-License-Identifier: MIT */
/*
 * fuzz_davxml.c - arbitrary bytes as a WebDAV 207 body: no crash, no
 * unbounded expansion (libxml2's limits stay on, DTDs are refused), every
 * string the parser returns is terminated and owned, and the result releases
 * cleanly. The same bytes also go through the href decoder.
 */
#include "calendar/davxml.h"
#include "core/err.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_str(const char *s, size_t size)
{
	/* Bounded by the input: a one-byte encoding is at most three bytes of
	 * UTF-8 per byte, and entities are never expanded. */
	if (s && strlen(s) > 3 * size + 1)
		abort();
}

static void decode(const uint8_t *data, size_t size)
{
	char in[512], out[512];
	size_t n = size < sizeof(in) - 1 ? size : sizeof(in) - 1;
	int rc;

	memcpy(in, data, n);
	in[n] = '\0';
	rc = va_dav_href_decode(in, out, sizeof(out));
	if (rc != VA_OK && rc != VA_E_PARSE && rc != VA_E_TOOBIG)
		abort();
	if (rc == VA_OK && strlen(out) > strlen(in))
		abort();
	va_dav_href_decode(in, out, 8); /* a small buffer: cut, always terminated */
	if (strlen(out) >= 8)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct va_dav_multistatus m;
	int rc = va_dav_parse_multistatus((const char *)data, size, &m);

	if (rc != VA_OK && rc != VA_E_PARSE)
		abort();
	if (rc != VA_OK && (m.n || m.v || m.sync_token || m.truncated))
		abort();
	check_str(m.sync_token, size);
	for (size_t i = 0; i < m.n; i++) {
		const struct va_dav_resp *r = &m.v[i];

		if (!r->href || r->status < 0 || r->status > 599)
			abort();
		check_str(r->href, size);
		check_str(r->etag, size);
		check_str(r->calendar_data, size);
		check_str(r->displayname, size);
		check_str(r->principal, size);
		check_str(r->home, size);
		check_str(r->ctag, size);
		check_str(r->sync_token, size);
	}
	va_dav_multistatus_release(&m);
	decode(data, size);
	return 0;
}
