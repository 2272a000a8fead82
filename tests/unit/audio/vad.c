/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/audio/vad.c - the detector of src/audio/vad.c on signals whose
 * truth is known: silence and stationary noise of any level are not speech;
 * a talker 10 dB over noise is found quickly and let go quickly; a noise
 * that jumps 15 dB does not lock the detector on "speech"; a bed of
 * background talk (babble) is learned as background while a near talker
 * well above it is still found; parameters are
 * checked; results are deterministic and reset forgets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "audio/vad.h"
#include "core/err.h"
#include "synth.h"

#include <string.h>

/* Runs frames of noise (and talker) through v; returns how many were
 * decided speech. */
static int run(struct va_vad *v, struct synth *s, int frames, double noise_db, int talk,
	       double talk_db, struct va_vad_result *last)
{
	int16_t pcm[VA_VAD_FRAME];
	struct va_vad_result r;
	int speech = 0;

	for (int f = 0; f < frames; f++) {
		synth_fill(s, pcm, VA_VAD_FRAME, noise_db, talk, talk_db);
		va_vad_process(v, pcm, &r);
		assert_true(r.prob >= 0.0f && r.prob <= 1.0f);
		assert_true(!r.active || r.speech);
		speech += r.speech;
	}
	if (last)
		*last = r;
	return speech;
}

static void test_params(void **state)
{
	struct va_vad_params p = VA_VAD_PARAMS_DEFAULT;
	struct va_vad *v = (struct va_vad *)1;

	assert_int_equal(va_vad_params_validate(&p), VA_OK);
	p.sensitivity = 1.5f;
	assert_int_equal(va_vad_params_validate(&p), VA_E_INVAL);
	p.sensitivity = NAN;
	assert_int_equal(va_vad_params_validate(&p), VA_E_INVAL);
	p.sensitivity = 0.5f;
	p.hangover_ms = 501;
	assert_int_equal(va_vad_params_validate(&p), VA_E_INVAL);
	assert_int_equal(va_vad_params_validate(NULL), VA_E_INVAL);
	assert_int_equal(va_vad_new(&p, &v), VA_E_INVAL);
	assert_null(v);
	assert_int_equal(va_vad_new(NULL, NULL), VA_E_INVAL);
	va_vad_free(NULL);
	va_vad_reset(NULL);
}

static void test_silence_and_noise(void **state)
{
	struct va_vad *v;
	struct synth s;
	struct va_vad_result r;

	assert_int_equal(va_vad_new(NULL, &v), VA_OK);
	synth_init(&s, 1);
	assert_int_equal(run(v, &s, 300, -200, 0, 0, &r), 0);
	assert_true(r.prob < 0.01f);
	/* Stationary noise from very quiet to very loud: hardly ever speech
	 * once learned (the first 100 ms teach the detector the line). */
	for (double db = -60; db <= -10; db += 10) {
		va_vad_reset(v);
		synth_init(&s, (uint64_t)(100 - db));
		assert_true(run(v, &s, 1000, db, 0, 0, &r) <= 20);
		assert_true(r.noise_db > db - 3 && r.noise_db < db + 3);
		assert_true(r.talk == 0.0f); /* stationary: no background talk */
	}
	va_vad_free(v);
}

static void test_talker_in_noise(void **state)
{
	struct va_vad *v;
	struct synth s;
	struct va_vad_result r;
	int16_t pcm[VA_VAD_FRAME];
	int first = -1, last_speech = -1;

	assert_int_equal(va_vad_new(NULL, &v), VA_OK);
	synth_init(&s, 7);
	run(v, &s, 200, -40, 0, 0, NULL);
	/* 1.5 s of a talker 10 dB above the noise: found within 100 ms and
	 * held through the syllables. */
	for (int f = 0; f < 150; f++) {
		synth_fill(&s, pcm, VA_VAD_FRAME, -40, 1, -30);
		va_vad_process(v, pcm, &r);
		if (r.speech && first < 0)
			first = f;
	}
	assert_true(first >= 0 && first < 10);
	assert_true(r.speech);
	/* Let go within the hangover plus a little once the talker stops. */
	for (int f = 0; f < 100; f++) {
		synth_fill(&s, pcm, VA_VAD_FRAME, -40, 0, 0);
		va_vad_process(v, pcm, &r);
		if (r.speech)
			last_speech = f;
	}
	assert_true(last_speech < (VA_VAD_HANGOVER_DEFAULT / VA_VAD_FRAME_MS) + 8);
	/* Voiced frames are seen in the talker (the harmonicity feature). */
	va_vad_reset(v);
	synth_init(&s, 8);
	run(v, &s, 100, -50, 0, 0, NULL);
	{
		int voiced = 0;

		for (int f = 0; f < 100; f++) {
			synth_fill(&s, pcm, VA_VAD_FRAME, -50, 1, -25);
			va_vad_process(v, pcm, &r);
			voiced += r.voiced;
			assert_true(!r.voiced || r.active);
		}
		assert_true(voiced > 50);
	}
	va_vad_free(v);
}

static void test_noise_jump_no_lock(void **state)
{
	struct va_vad *v;
	struct synth s;

	assert_int_equal(va_vad_new(NULL, &v), VA_OK);
	synth_init(&s, 3);
	run(v, &s, 300, -50, 0, 0, NULL);
	/* The street gets 15 dB louder: it may look like speech for a moment,
	 * but within 4 s the noise is learned again and stays noise. */
	run(v, &s, 400, -35, 0, 0, NULL);
	assert_true(run(v, &s, 300, -35, 0, 0, NULL) <= 3);
	va_vad_free(v);
}

/* Runs frames of babble (and the near talker); returns speech decisions. */
static int run_babble(struct va_vad *v, struct synth *s, int frames, double babble_db, int talk,
		      double talk_db, struct va_vad_result *last)
{
	int16_t pcm[VA_VAD_FRAME];
	struct va_vad_result r;
	int speech = 0;

	for (int f = 0; f < frames; f++) {
		synth_fill_babble(s, pcm, VA_VAD_FRAME, -60, babble_db, talk, talk_db);
		va_vad_process(v, pcm, &r);
		assert_true(r.prob >= 0.0f && r.prob <= 1.0f);
		assert_true(r.talk >= 0.0f && r.talk <= 1.0f);
		speech += r.speech;
	}
	if (last)
		*last = r;
	return speech;
}

static void test_babble(void **state)
{
	struct va_vad *v;
	struct synth s;
	struct va_vad_result r;

	assert_int_equal(va_vad_new(NULL, &v), VA_OK);
	for (double db = -45; db <= -35; db += 5) {
		int caller = 0, after = 0, first = -1;

		va_vad_reset(v);
		synth_init(&s, (uint64_t)(200 - db));
		/* Four voices across the room, never all silent: speech to a
		 * detector of speech against stationary noise (without the
		 * background-talk model it said speech in 94% of these frames,
		 * for ever). Within 5 s the bed is background (here 0-23%). */
		run_babble(v, &s, 500, db, 0, 0, NULL);
		assert_true(run_babble(v, &s, 500, db, 0, 0, &r) <= 150);
		assert_true(r.talk > 0.5f);
		/* A caller on the handset, 15-25 dB above it, in phrases with
		 * 1 s pauses: found at once and held; let go in the pauses for
		 * the most part (hangover included; 80-88% speech without the
		 * model, 16-55% with it). */
		for (int k = 0; k < 4; k++) {
			for (int f = 0; f < 150; f++) {
				int16_t pcm[VA_VAD_FRAME];

				synth_fill_babble(&s, pcm, VA_VAD_FRAME, -60, db, 1, -20);
				va_vad_process(v, pcm, &r);
				caller += r.speech;
				if (k == 0 && r.speech && first < 0)
					first = f;
			}
			after += run_babble(v, &s, 100, db, 0, 0, NULL);
		}
		assert_true(first >= 0 && first < 10);
		assert_true(caller >= 4 * 150 * 9 / 10);
		assert_true(after <= 4 * 100 * 65 / 100);
	}
	va_vad_free(v);
}

static void test_sensitivity_and_determinism(void **state)
{
	struct va_vad_params lo = {0.2f, 100}, hi = {0.8f, 100};
	struct va_vad *a, *b, *c;
	struct synth s1, s2;
	int na, nb;

	assert_int_equal(va_vad_new(&lo, &a), VA_OK);
	assert_int_equal(va_vad_new(&hi, &b), VA_OK);
	synth_init(&s1, 9);
	synth_init(&s2, 9);
	run(a, &s1, 100, -35, 0, 0, NULL);
	run(b, &s2, 100, -35, 0, 0, NULL);
	/* A faint talker: the sensitive detector finds at least as much. */
	na = run(a, &s1, 200, -35, 1, -38, NULL);
	nb = run(b, &s2, 200, -35, 1, -38, NULL);
	assert_true(nb >= na);

	/* The same input twice gives the same results, reset included. */
	assert_int_equal(va_vad_new(NULL, &c), VA_OK);
	for (int pass = 0; pass < 2; pass++) {
		struct synth s;
		int16_t pcm[VA_VAD_FRAME];
		struct va_vad_result r;
		static float probs[2][300];

		va_vad_reset(c);
		synth_init(&s, 11);
		for (int f = 0; f < 300; f++) {
			synth_fill(&s, pcm, VA_VAD_FRAME, -45, f > 100 && f < 200, -30);
			va_vad_process(c, pcm, &r);
			probs[pass][f] = r.prob;
		}
		if (pass == 1)
			assert_memory_equal(probs[0], probs[1], sizeof(probs[0]));
	}
	va_vad_free(a);
	va_vad_free(b);
	va_vad_free(c);
}

static void test_extremes(void **state)
{
	struct va_vad *v;
	int16_t pcm[VA_VAD_FRAME];
	struct va_vad_result r;

	assert_int_equal(va_vad_new(NULL, &v), VA_OK);
	/* Full-scale square waves and DC: finite results, no traps. */
	for (int f = 0; f < 200; f++) {
		for (int i = 0; i < VA_VAD_FRAME; i++)
			pcm[i] = (int16_t)(f % 3 == 0 ? 32767 : ((i / 4) % 2) ? 32767 : -32768);
		va_vad_process(v, pcm, &r);
		assert_true(r.prob >= 0.0f && r.prob <= 1.0f);
		assert_false(isnan(r.level_db) || isnan(r.noise_db) || isnan(r.llr));
	}
	va_vad_free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_params),
	    cmocka_unit_test(test_silence_and_noise),
	    cmocka_unit_test(test_talker_in_noise),
	    cmocka_unit_test(test_noise_jump_no_lock),
	    cmocka_unit_test(test_babble),
	    cmocka_unit_test(test_sensitivity_and_determinism),
	    cmocka_unit_test(test_extremes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
