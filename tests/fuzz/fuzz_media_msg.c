/* SPDX-License-Identifier: MIT */
/*
 * fuzz_media_msg.c - arbitrary bytes as a Twilio Media Streams frame: no
 * crash, a refusal always says why, accepted media audio is within bounds and
 * writes back to a frame that parses to the same bytes.
 */
#include "core/buf.h"
#include "core/err.h"
#include "media/msg.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct va_media_in in;
static struct va_media_out out;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct va_buf b = VA_BUF_INIT(1 << 20);
	char why[128];
	int rc = va_media_parse((const char *)data, size, &in, why, sizeof(why));

	if (rc != VA_OK && rc != VA_E_PARSE)
		abort();
	if (rc == VA_E_PARSE && !why[0])
		abort();
	if (rc == VA_OK && in.type == VA_MEDIA_IN_MEDIA) {
		if (in.u.media.len > VA_MEDIA_MAX_AUDIO || !in.stream_sid[0])
			abort();
		if (va_media_write_media(&b, in.stream_sid, in.u.media.audio, in.u.media.len) !=
			VA_OK ||
		    va_media_parse_out(b.data, b.len, &out) != VA_OK || out.len != in.u.media.len ||
		    memcmp(out.audio, in.u.media.audio, out.len) != 0)
			abort();
	}
	va_media_parse_out((const char *)data, size, &out);
	va_buf_release(&b);
	return 0;
}
