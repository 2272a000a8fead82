/* SPDX-License-Identifier: MIT */
/*
 * fuzz_ws_codec.c - the client's WebSocket decoder on hostile server bytes.
 *
 * Input: byte 0 picks the feeding step (0 = all at once), byte 1 the maximum
 * message size, the rest is the byte stream from the "server". The stream is
 * decoded twice, whole and in steps, and both runs must yield the same frames
 * and the same final result: splitting must never change what is decoded.
 * The whole input also goes through the handshake-response check.
 */
#include "core/err.h"
#include "sim/ws_codec.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct digest {
	uint64_t h;
	int frames;
	int rc;
};

static void mix(struct digest *g, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		g->h = (g->h ^ b[i]) * 1099511628211ULL;
}

static void run(const uint8_t *data, size_t size, size_t step, size_t max, struct digest *g)
{
	struct va_ws_decoder d;
	size_t off = 0;

	memset(g, 0, sizeof(*g));
	g->h = 1469598103934665603ULL;
	g->rc = VA_E_AGAIN;
	va_ws_decoder_init(&d, max);
	while (off < size) {
		size_t left = step && size - off > step ? step : size - off;
		const uint8_t *p = data + off;

		off += left;
		while (left > 0) {
			struct va_ws_frame f;
			size_t used = 0;
			int rc = va_ws_decoder_feed(&d, p, left, &used, &f);

			if (used > left)
				abort();
			p += used;
			left -= used;
			if (rc == VA_E_AGAIN) {
				if (left)
					abort();
				break;
			}
			if (rc) {
				g->rc = rc;
				goto out;
			}
			if (f.payload[f.len] != '\0')
				abort();
			if (f.opcode != VA_WS_OP_TEXT && f.opcode != VA_WS_OP_BINARY && f.len > 125)
				abort();
			if (f.len > max && f.opcode != VA_WS_OP_CLOSE &&
			    f.opcode != VA_WS_OP_PING && f.opcode != VA_WS_OP_PONG)
				abort();
			mix(g, &f.opcode, sizeof(f.opcode));
			mix(g, &f.len, sizeof(f.len));
			mix(g, f.payload, f.len);
			mix(g, &f.close_code, sizeof(f.close_code));
			g->frames++;
		}
	}
out:
	va_ws_decoder_release(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct digest whole, split;
	size_t step, max, hl;
	int status;

	if (size < 2)
		return 0;
	step = data[0];
	max = ((size_t)data[1] + 1) * 64;
	data += 2;
	size -= 2;

	run(data, size, 0, max, &whole);
	run(data, size, step ? step : 1, max, &split);
	/* Errors are found at the same byte whatever the split, so even a
	 * failing stream must give the same frames before the same error. */
	if (whole.rc != split.rc || whole.frames != split.frames || whole.h != split.h)
		abort();

	va_ws_handshake_parse_response((const char *)data, size,
				       "dGhlIHNhbXBsZSBub25jZQ==", &status, &hl);
	if (hl > size)
		abort();
	return 0;
}
