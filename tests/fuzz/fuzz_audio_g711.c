/* SPDX-License-Identifier: MIT */
/*
 * fuzz_audio_g711.c - arbitrary bytes as mu-law codes and as 16-bit PCM:
 * buffer and single-sample paths agree, decoded samples stay within the
 * codec's range, and decode(encode(decode(c))) = decode(c).
 */
#include "audio/g711.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int16_t pcm[4096];
	uint8_t codes[4096];
	size_t n = size < 4096 ? size : 4096, ns = n / 2;

	va_g711_ulaw_decode_buf(data, n, pcm);
	for (size_t i = 0; i < n; i++) {
		if (pcm[i] != va_g711_ulaw_decode(data[i]) || pcm[i] < -32124 || pcm[i] > 32124)
			abort();
		if (va_g711_ulaw_decode(va_g711_ulaw_encode(pcm[i])) != pcm[i])
			abort();
	}
	/* The bytes as little-endian PCM. */
	for (size_t i = 0; i < ns; i++)
		pcm[i] = (int16_t)(uint16_t)(data[2 * i] | (data[2 * i + 1] << 8));
	va_g711_ulaw_encode_buf(pcm, ns, codes);
	for (size_t i = 0; i < ns; i++) {
		int16_t back = va_g711_ulaw_decode(codes[i]);
		int err = abs((int)back - (int)pcm[i]);

		if (codes[i] != va_g711_ulaw_encode(pcm[i]))
			abort();
		/* The quantisation error is at most half the segment's step
		 * (step 1024 in the top segment), plus clipping at +-32124. */
		if (err > 512 + (abs((int)pcm[i]) > 32124 ? abs((int)pcm[i]) - 32124 : 0) + 4)
			abort();
	}
	return 0;
}
