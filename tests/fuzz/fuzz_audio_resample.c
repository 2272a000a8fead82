/* SPDX-License-Identifier: MIT */
/*
 * fuzz_audio_resample.c - arbitrary bytes as a rate pair, a quality and
 * 16-bit PCM fed to the resampler in pieces of arbitrary size: no crash, no
 * write past the output the module says it needs, and never more input
 * consumed than given.
 */
#include "audio/resample.h"
#include "core/err.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint32_t rates[] = {8000, 16000, 24000, 44100, 48000, 11025, 32000, 12000};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct va_resample *r = NULL;
	int16_t in[2048], out[2048 * 8];
	size_t n, off = 0;

	if (size < 3)
		return 0;
	if (va_resample_new(rates[data[0] & 7], rates[data[1] & 7], data[2] % 11, &r) != VA_OK)
		return 0;
	data += 3;
	size -= 3;
	n = size / 2 < 2048 ? size / 2 : 2048;
	memcpy(in, data, n * 2);
	while (off < n) {
		size_t piece = 1 + (size_t)(in[off] & 0x1ff), in_len, out_len;

		if (piece > n - off)
			piece = n - off;
		in_len = piece;
		out_len = va_resample_out_len(r, piece);
		if (out_len > sizeof(out) / sizeof(out[0]))
			out_len = sizeof(out) / sizeof(out[0]);
		if (va_resample_process(r, in + off, &in_len, out, &out_len) != VA_OK)
			break;
		if (in_len > piece)
			abort();
		off += in_len ? in_len : piece;
	}
	va_resample_free(r);
	return 0;
}
