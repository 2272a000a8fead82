/* SPDX-License-Identifier: MIT */
/*
 * fuzz_realtime_events.c - arbitrary bytes as an OpenAI Realtime server
 * event: no crash, no leak, decoded audio within what the text could carry.
 */
#include "core/err.h"
#include "realtime/events.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct va_rt_event e;
	int rc = va_rt_parse((const char *)data, size, &e);

	if (rc != VA_OK && rc != VA_E_PARSE && rc != VA_E_TOOBIG)
		abort();
	if (rc == VA_OK &&
	    (e.audio_len > size || e.b64_len > size ||
	     (e.b64 && e.audio_len != e.b64_len / 4 * 3 -
					  (e.b64_len && e.b64[e.b64_len - 1] == '=') -
					  (e.b64_len > 1 && e.b64[e.b64_len - 2] == '='))))
		abort();
	if (rc != VA_OK && (e.text || e.b64))
		abort();
	va_rt_event_release(&e);
	return 0;
}
