/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/audio/settings.c - presets by enum and by name, validation of
 * every field's range, and the per-module params the settings stand for.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "audio/settings.h"
#include "core/err.h"

#include <math.h>
#include <string.h>

static void test_presets(void **state)
{
	struct va_audio_settings q, n, z, d, byname;

	va_audio_settings_preset(VA_AUDIO_PRESET_QUIET, &q);
	va_audio_settings_preset(VA_AUDIO_PRESET_NORMAL, &n);
	va_audio_settings_preset(VA_AUDIO_PRESET_NOISY, &z);
	va_audio_settings_default(&d);
	assert_memory_equal(&n, &d, sizeof(n));
	for (int p = 0; p < VA_AUDIO_PRESET__COUNT; p++) {
		struct va_audio_settings s;

		va_audio_settings_preset((enum va_audio_preset)p, &s);
		assert_int_equal(va_audio_settings_validate(&s), VA_OK);
		assert_int_equal(va_audio_settings_from_name(
				     va_audio_preset_name((enum va_audio_preset)p), &byname),
				 VA_OK);
		assert_memory_equal(&s, &byname, sizeof(s));
		/* Every preset keeps pauses inside a sentence inside the turn. */
		assert_true(s.eot_silence_ms >= 800);
	}
	/* The presets are ordered: quiet is the most sensitive and quickest,
	 * noisy the most cautious. */
	assert_true(q.vad_sensitivity > n.vad_sensitivity && n.vad_sensitivity > z.vad_sensitivity);
	assert_true(q.bargein_onset_ms < n.bargein_onset_ms &&
		    n.bargein_onset_ms < z.bargein_onset_ms);
	assert_true(z.eot_silence_ms > n.eot_silence_ms);
	assert_int_equal(n.eot_silence_ms, VA_TURN_EOT_SILENCE_DEFAULT);
	assert_int_equal(va_audio_settings_from_name("NoIsY", &byname), VA_OK);
	assert_memory_equal(&z, &byname, sizeof(z));
	memset(&byname, 0x5a, sizeof(byname));
	d = byname;
	assert_int_equal(va_audio_settings_from_name("loud", &byname), VA_E_NOTFOUND);
	assert_memory_equal(&d, &byname, sizeof(d));
	assert_int_equal(va_audio_settings_from_name(NULL, &byname), VA_E_INVAL);
	assert_null(va_audio_preset_name(VA_AUDIO_PRESET__COUNT));
	/* Out of range falls back to normal. */
	va_audio_settings_preset((enum va_audio_preset)99, &d);
	assert_memory_equal(&n, &d, sizeof(n));
}

static void test_validate(void **state)
{
	struct va_audio_settings s;

	va_audio_settings_default(&s);
	s.vad_sensitivity = -0.1f;
	assert_int_equal(va_audio_settings_validate(&s), VA_E_INVAL);
	s.vad_sensitivity = NAN;
	assert_int_equal(va_audio_settings_validate(&s), VA_E_INVAL);
	va_audio_settings_default(&s);
	s.eot_silence_ms = 199;
	assert_int_equal(va_audio_settings_validate(&s), VA_E_INVAL);
	s.eot_silence_ms = 5000;
	assert_int_equal(va_audio_settings_validate(&s), VA_OK);
	s.bargein_onset_ms = 19;
	assert_int_equal(va_audio_settings_validate(&s), VA_E_INVAL);
	va_audio_settings_default(&s);
	s.min_speech_ms = 0;
	assert_int_equal(va_audio_settings_validate(&s), VA_E_INVAL);
	va_audio_settings_default(&s);
	s.vad_hangover_ms = -1;
	assert_int_equal(va_audio_settings_validate(&s), VA_E_INVAL);
	assert_int_equal(va_audio_settings_validate(NULL), VA_E_INVAL);
}

static void test_params(void **state)
{
	struct va_audio_settings s;
	struct va_vad_params vp;
	struct va_turn_params tp;

	va_audio_settings_preset(VA_AUDIO_PRESET_NOISY, &s);
	va_audio_settings_vad_params(&s, &vp);
	va_audio_settings_turn_params(&s, &tp);
	assert_true(vp.sensitivity == s.vad_sensitivity);
	assert_int_equal(vp.hangover_ms, s.vad_hangover_ms);
	assert_int_equal(tp.eot_silence_ms, s.eot_silence_ms);
	assert_int_equal(tp.min_speech_ms, s.min_speech_ms);
	assert_int_equal(tp.bargein_onset_ms, s.bargein_onset_ms);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_presets),
	    cmocka_unit_test(test_validate),
	    cmocka_unit_test(test_params),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
