/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/audio/turn.c - end of turn and onsets of src/audio/turn.c on
 * scripted VAD decisions: the exact frame a turn ends, pauses inside a turn,
 * blips in a pause, onsets and their re-arming, the raw-evidence frames that
 * count towards an onset, the stricter rules while our reply plays, and the
 * parameter checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "audio/turn.h"
#include "core/err.h"

/* Feeds ms of one decision; returns the OR of the events and, in *at, the
 * time of the last event (or -1). */
static unsigned feed(struct va_turn_tracker *t, int ms, bool speech, float prob, bool voiced,
		     bool playing, int64_t *at)
{
	struct va_vad_result r = {
	    .prob = prob, .active = speech, .speech = speech, .voiced = voiced};
	unsigned all = 0;

	if (at)
		*at = -1;
	for (int i = 0; i < ms / VA_VAD_FRAME_MS; i++) {
		unsigned ev = va_turn_update(t, &r, playing);

		if (ev && at)
			*at = t->now_ms;
		all |= ev;
	}
	return all;
}

static void test_params(void **state)
{
	struct va_turn_params p = VA_TURN_PARAMS_DEFAULT;
	struct va_turn_tracker t;

	assert_int_equal(va_turn_params_validate(&p), VA_OK);
	p.eot_silence_ms = 100;
	assert_int_equal(va_turn_params_validate(&p), VA_E_INVAL);
	assert_int_equal(va_turn_init(&t, &p), VA_E_INVAL);
	assert_int_equal(t.p.eot_silence_ms, VA_TURN_EOT_SILENCE_DEFAULT);
	p.eot_silence_ms = 800;
	p.bargein_onset_ms = 5000;
	assert_int_equal(va_turn_params_validate(&p), VA_E_INVAL);
	assert_int_equal(va_turn_params_validate(NULL), VA_E_INVAL);
	assert_int_equal(va_turn_init(NULL, NULL), VA_E_INVAL);
	assert_int_equal(va_turn_init(&t, NULL), VA_OK);
	assert_string_equal(va_turn_state_name(VA_TURN_PAUSE), "pause");
	assert_string_equal(va_turn_state_name((enum va_turn_state)42), "unknown");
}

static void test_end_of_turn(void **state)
{
	struct va_turn_tracker t;
	int64_t at;

	va_turn_init(&t, NULL);
	assert_int_equal(feed(&t, 500, false, 0, false, false, &at), 0);
	/* A turn starts after 60 ms of speech. */
	assert_int_equal(feed(&t, 60, true, 1, true, false, &at), VA_TURN_EV_START);
	assert_int_equal(at, 560);
	assert_int_equal(t.state, VA_TURN_SPEAKING);
	feed(&t, 1000, true, 1, true, false, NULL);
	/* A 790 ms pause inside the turn does not end it. */
	assert_false(feed(&t, 790, false, 0, false, false, NULL) & VA_TURN_EV_END);
	assert_int_equal(t.state, VA_TURN_PAUSE);
	assert_int_equal(feed(&t, 300, true, 1, true, false, NULL) & VA_TURN_EV_START, 0);
	assert_int_equal(t.state, VA_TURN_SPEAKING);
	/* 800 ms of silence does, exactly at 800 ms. */
	assert_int_equal(feed(&t, 800, false, 0, false, false, &at), VA_TURN_EV_END);
	assert_int_equal(at, 500 + 60 + 1000 + 790 + 300 + 800);
	assert_int_equal(t.state, VA_TURN_IDLE);
	/* Silence goes on: no second end. */
	assert_int_equal(feed(&t, 3000, false, 0, false, false, NULL), 0);
}

static void test_blips(void **state)
{
	struct va_turn_tracker t;
	int64_t at;

	va_turn_init(&t, NULL);
	/* A 40 ms blip is not a turn. */
	assert_int_equal(feed(&t, 40, true, 1, false, false, NULL), 0);
	assert_int_equal(feed(&t, 2000, false, 0, false, false, NULL), 0);
	feed(&t, 500, true, 1, true, false, NULL);
	feed(&t, 400, false, 0, false, false, NULL);
	/* A click in the pause neither restarts the turn nor resets the
	 * count: the turn ends 800 ms of silence after the speech, plus the
	 * click's own length. */
	feed(&t, 30, true, 1, false, false, NULL);
	assert_int_equal(t.state, VA_TURN_PAUSE);
	assert_int_equal(feed(&t, 400, false, 0, false, false, &at), VA_TURN_EV_END);
	assert_int_equal(at, 40 + 2000 + 500 + 400 + 30 + 400);
}

static void test_onsets(void **state)
{
	struct va_turn_tracker t;
	int64_t at;

	va_turn_init(&t, NULL);
	feed(&t, 1000, false, 0, false, false, NULL);
	/* 100 ms of speech raise one onset, at 100 ms, from where it began. */
	assert_true(feed(&t, 100, true, 0.95f, false, false, &at) & VA_TURN_EV_ONSET);
	assert_int_equal(at, 1100);
	assert_int_equal(va_turn_onset_start_ms(&t), 1000);
	assert_false(feed(&t, 500, true, 0.95f, false, false, NULL) & VA_TURN_EV_ONSET);
	/* A 200 ms gap does not re-arm; 300 ms does. */
	feed(&t, 200, false, 0, false, false, NULL);
	assert_false(feed(&t, 200, true, 0.95f, false, false, NULL) & VA_TURN_EV_ONSET);
	feed(&t, 300, false, 0, false, false, NULL);
	assert_true(feed(&t, 200, true, 0.95f, false, false, NULL) & VA_TURN_EV_ONSET);
	/* 90 ms is too short. */
	feed(&t, 1000, false, 0, false, false, NULL);
	assert_false(feed(&t, 90, true, 0.95f, false, false, NULL) & VA_TURN_EV_ONSET);
}

static void test_onsets_while_playing(void **state)
{
	struct va_turn_tracker t;
	int64_t at;

	va_turn_init(&t, NULL);
	feed(&t, 1000, false, 0, false, true, NULL);
	/* Echo-like: active but unvoiced, or not certain: never an onset. */
	assert_false(feed(&t, 400, true, 0.95f, false, true, NULL) & VA_TURN_EV_ONSET);
	feed(&t, 400, false, 0, false, true, NULL);
	assert_false(feed(&t, 400, true, 0.7f, true, true, NULL) & VA_TURN_EV_ONSET);
	feed(&t, 400, false, 0, false, true, NULL);
	/* Voiced and certain: an onset after 150 ms, not 100. */
	assert_false(feed(&t, 140, true, 0.95f, true, true, NULL) & VA_TURN_EV_ONSET);
	assert_true(feed(&t, 10, true, 0.95f, true, true, &at) & VA_TURN_EV_ONSET);
}

/* Away from playback, frames whose own evidence is clear count towards an
 * onset before the VAD turns active; the onset itself needs an active
 * frame, and while our reply plays such frames do not count. */
static void test_onsets_raw_evidence(void **state)
{
	struct va_vad_result quiet = {.evidence = -1.0f};
	struct va_vad_result rising = {.prob = 0.3f, .evidence = 2.0f};
	struct va_vad_result weak = {.prob = 0.3f, .evidence = 1.0f};
	struct va_vad_result active = {
	    .prob = 0.95f, .active = true, .speech = true, .voiced = true, .evidence = 2.0f};
	struct va_turn_tracker t;
	unsigned ev = 0;

	va_turn_init(&t, NULL);
	for (int i = 0; i < 100; i++)
		va_turn_update(&t, &quiet, false);
	/* 30 ms of rising evidence, then 70 ms active: an onset at 100 ms,
	 * from where the evidence began. */
	for (int i = 0; i < 3; i++)
		ev |= va_turn_update(&t, &rising, false);
	assert_int_equal(ev, 0);
	for (int i = 0; i < 6; i++)
		ev |= va_turn_update(&t, &active, false);
	assert_int_equal(ev & VA_TURN_EV_ONSET, 0);
	assert_true(va_turn_update(&t, &active, false) & VA_TURN_EV_ONSET);
	assert_int_equal(t.now_ms, 1100);
	assert_int_equal(va_turn_onset_start_ms(&t), 1000);

	/* Raw evidence alone, however long, never raises one. */
	va_turn_init(&t, NULL);
	ev = 0;
	for (int i = 0; i < 100; i++)
		ev |= va_turn_update(&t, &rising, false);
	assert_int_equal(ev & VA_TURN_EV_ONSET, 0);

	/* Evidence below the bar does not count: 70 ms active is too short. */
	va_turn_init(&t, NULL);
	ev = 0;
	for (int i = 0; i < 3; i++)
		ev |= va_turn_update(&t, &weak, false);
	for (int i = 0; i < 7; i++)
		ev |= va_turn_update(&t, &active, false);
	assert_int_equal(ev & VA_TURN_EV_ONSET, 0);

	/* While our reply plays, only the strict rule: 150 ms active. */
	va_turn_init(&t, NULL);
	ev = 0;
	for (int i = 0; i < 5; i++)
		ev |= va_turn_update(&t, &rising, true);
	for (int i = 0; i < 14; i++)
		ev |= va_turn_update(&t, &active, true);
	assert_int_equal(ev & VA_TURN_EV_ONSET, 0);
	assert_true(va_turn_update(&t, &active, true) & VA_TURN_EV_ONSET);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_params),
	    cmocka_unit_test(test_end_of_turn),
	    cmocka_unit_test(test_blips),
	    cmocka_unit_test(test_onsets),
	    cmocka_unit_test(test_onsets_while_playing),
	    cmocka_unit_test(test_onsets_raw_evidence),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
