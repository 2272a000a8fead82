/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/audio/listener.c - the per-call pipeline of
 * src/audio/listener.c: mu-law in, events out; the result does not depend on
 * how the stream is chunked; a talker in noise gives one turn with its
 * onset and its end; bad settings are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "audio/g711.h"
#include "audio/listener.h"
#include "core/err.h"
#include "synth.h"

#include <stdlib.h>

#define SECONDS 6
#define NSAMP	(SECONDS * 8000)

/* 1 s of noise, 2 s of talker, 3 s of noise, as mu-law. */
static uint8_t *make_call(void)
{
	int16_t *pcm = malloc(NSAMP * sizeof(*pcm));
	uint8_t *ul = malloc(NSAMP);
	struct synth s;

	synth_init(&s, 5);
	synth_fill(&s, pcm, 8000, -45, 0, 0);
	synth_fill(&s, pcm + 8000, 16000, -45, 1, -25);
	synth_fill(&s, pcm + 24000, 24000, -45, 0, 0);
	va_g711_ulaw_encode_buf(pcm, NSAMP, ul);
	free(pcm);
	return ul;
}

static void test_new(void **state)
{
	struct va_listener *l = (struct va_listener *)1;
	struct va_audio_settings s;

	va_audio_settings_default(&s);
	s.eot_silence_ms = 10;
	assert_int_equal(va_listener_new(&s, &l), VA_E_INVAL);
	assert_null(l);
	assert_int_equal(va_listener_new(NULL, NULL), VA_E_INVAL);
	assert_int_equal(va_listener_new(NULL, &l), VA_OK);
	assert_int_equal(va_listener_push_ulaw(l, NULL, 0, false), 0);
	assert_int_equal(va_listener_push_ulaw(NULL, NULL, 160, false), 0);
	assert_int_equal(va_listener_time_ms(l), 0);
	va_listener_free(l);
	va_listener_free(NULL);
}

static void test_one_turn(void **state)
{
	uint8_t *ul = make_call();
	struct va_listener *l;
	int starts = 0, ends = 0, onsets = 0;
	int64_t end_at = -1, onset_at = -1;

	assert_int_equal(va_listener_new(NULL, &l), VA_OK);
	for (size_t off = 0; off < NSAMP; off += VA_G711_FRAME_20MS) {
		unsigned ev = va_listener_push_ulaw(l, ul + off, VA_G711_FRAME_20MS, false);

		starts += !!(ev & VA_TURN_EV_START);
		if (ev & VA_TURN_EV_END) {
			ends++;
			end_at = va_listener_time_ms(l);
		}
		if (ev & VA_TURN_EV_ONSET) {
			onsets++;
			onset_at = va_listener_time_ms(l);
		}
	}
	assert_int_equal(va_listener_time_ms(l), SECONDS * 1000);
	assert_int_equal(starts, 1);
	assert_int_equal(ends, 1);
	assert_int_equal(onsets, 1);
	/* Onset within 150 ms of the talker; end of turn 0.8-1.0 s after. */
	assert_true(onset_at >= 1100 && onset_at <= 1150);
	assert_true(end_at >= 3800 && end_at <= 4000);
	assert_int_equal(va_listener_turn(l)->state, VA_TURN_IDLE);
	assert_false(va_listener_last(l)->speech);
	va_listener_free(l);
	free(ul);
}

static void test_chunking(void **state)
{
	uint8_t *ul = make_call();
	struct va_listener *a, *b;
	unsigned eva = 0, evb = 0;
	size_t off = 0, step = 1;

	assert_int_equal(va_listener_new(NULL, &a), VA_OK);
	assert_int_equal(va_listener_new(NULL, &b), VA_OK);
	/* Whole 20 ms frames for one, odd sizes for the other: the same
	 * steps run, so the same state results. */
	for (size_t o = 0; o < NSAMP; o += VA_G711_FRAME_20MS)
		eva |= va_listener_push_ulaw(a, ul + o, VA_G711_FRAME_20MS, false);
	while (off < NSAMP) {
		size_t n = step < NSAMP - off ? step : NSAMP - off;

		evb |= va_listener_push_ulaw(b, ul + off, n, false);
		off += n;
		step = step * 7 % 401 + 1;
	}
	assert_int_equal(eva, evb);
	assert_int_equal(va_listener_time_ms(a), va_listener_time_ms(b));
	assert_true(va_listener_last(a)->prob == va_listener_last(b)->prob);
	assert_true(va_listener_last(a)->noise_db == va_listener_last(b)->noise_db);
	va_listener_free(a);
	va_listener_free(b);
	free(ul);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_new),
	    cmocka_unit_test(test_one_turn),
	    cmocka_unit_test(test_chunking),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
