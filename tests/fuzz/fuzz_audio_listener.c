/* SPDX-License-Identifier: MIT */
/*
 * fuzz_audio_listener.c - arbitrary bytes as a caller's mu-law stream
 * through the whole listener (decode, VAD, turn-taking), in chunks and with
 * playback flags taken from the input: no crash, no NaN, a probability in
 * [0, 1], decisions consistent with each other, and time = audio pushed.
 * (That chunking does not change the result is a unit test: running two
 * listeners here would halve the inputs a run can try.)
 */
#include "audio/listener.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct va_listener *a = NULL;
	struct va_audio_settings s;
	size_t off = 1, step;

	if (size < 1)
		return 0;
	/* The first byte picks the preset and the chunk size. */
	va_audio_settings_preset((enum va_audio_preset)(data[0] % VA_AUDIO_PRESET__COUNT), &s);
	step = (size_t)(data[0] >> 2) + 1;
	if (va_listener_new(&s, &a) != 0)
		abort();
	while (off < size) {
		size_t n = step < size - off ? step : size - off;
		bool playing = (data[off] & 0x40) != 0;
		const struct va_vad_result *r;

		unsigned ev = va_listener_push_ulaw(a, data + off, n, playing);

		r = va_listener_last(a);
		if (!(r->prob >= 0.0f && r->prob <= 1.0f) || isnan(r->level_db) ||
		    isnan(r->noise_db) || (r->active && !r->speech) || (r->voiced && !r->active))
			abort();
		if ((ev & VA_TURN_EV_END) && va_listener_turn(a)->state != VA_TURN_IDLE)
			abort();
		off += n;
	}
	if (va_listener_time_ms(a) != (int64_t)((size - 1) / 80) * 10)
		abort();
	va_listener_free(a);
	return 0;
}
