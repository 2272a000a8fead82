/* SPDX-License-Identifier: MIT */
/*
 * turn.c - end of turn and speech onsets over the VAD's decisions (turn.h).
 *
 * End of turn counts silence on the VAD's "speech" decision, hangover
 * included. The hangover ends at once on a clean line, so there the count
 * starts at the real end of speech; in noise, where a word's weak tail is
 * lost, it stays, and the turn waits that much longer: the silence a pause
 * seems to have grows with the noise, and so does the wait. Onsets use
 * "active" (no hangover), so a previous burst's hangover cannot lengthen
 * one.
 *
 * Away from playback, an onset also counts the frames whose own evidence
 * is already clear (ONSET_RAW_EVIDENCE) before the VAD's smoothed
 * probability crosses its threshold: a quiet caller's first syllable in
 * noise builds the probability up over a few frames, and those frames are
 * speech all the same. The onset is still raised only on a frame the VAD
 * calls active, so a burst of raw evidence alone never raises one. While
 * our reply plays, the stricter rule below stays as it was.
 */
#include "audio/turn.h"

#include "core/err.h"

#include <string.h>

/* While our reply plays: onsets need this much more speech (in percent of
 * bargein_onset_ms), this speech probability, and one voiced frame. */
#define PLAYING_ONSET_PCT  150
#define PLAYING_ONSET_PROB 0.9f
/* Away from playback: a frame's own evidence (log odds, nats) that counts
 * towards an onset before the VAD turns active: a band mean log LR 4.5x
 * the VAD's neutral point (the 90th percentile of pure noise). No frame of
 * about 40,000 of white, pink or brown noise, 0 to 20 dB, reached it. */
#define ONSET_RAW_EVIDENCE 1.5f

int va_turn_params_validate(const struct va_turn_params *p)
{
	if (!p || p->eot_silence_ms < 200 || p->eot_silence_ms > 5000 || p->min_speech_ms < 10 ||
	    p->min_speech_ms > 1000 || p->bargein_onset_ms < 20 || p->bargein_onset_ms > 1000)
		return VA_E_INVAL;
	return VA_OK;
}

int va_turn_init(struct va_turn_tracker *t, const struct va_turn_params *p)
{
	struct va_turn_params def = VA_TURN_PARAMS_DEFAULT;
	int rc = VA_OK;

	if (!t)
		return VA_E_INVAL;
	if (p && va_turn_params_validate(p) != VA_OK)
		rc = VA_E_INVAL;
	memset(t, 0, sizeof(*t));
	t->p = p && rc == VA_OK ? *p : def;
	t->state = VA_TURN_IDLE;
	t->onset_armed = true;
	return rc;
}

static unsigned update_eot(struct va_turn_tracker *t, bool speech)
{
	unsigned ev = 0;

	if (speech) {
		t->speech_ms += VA_VAD_FRAME_MS;
	} else {
		t->speech_ms = 0;
	}
	switch (t->state) {
	case VA_TURN_IDLE:
		if (t->speech_ms >= t->p.min_speech_ms) {
			t->state = VA_TURN_SPEAKING;
			t->silence_ms = 0;
			ev |= VA_TURN_EV_START;
		}
		break;
	case VA_TURN_SPEAKING:
		if (!speech) {
			t->state = VA_TURN_PAUSE;
			t->silence_ms = VA_VAD_FRAME_MS;
		}
		break;
	case VA_TURN_PAUSE:
		if (t->speech_ms >= t->p.min_speech_ms) {
			/* Real speech again: the pause was inside the turn. */
			t->state = VA_TURN_SPEAKING;
			t->silence_ms = 0;
		} else if (!speech) {
			/* A blip shorter than min_speech_ms does not reset the
			 * count: a click in a pause is not the caller going on. */
			t->silence_ms += VA_VAD_FRAME_MS;
		}
		if (t->state == VA_TURN_PAUSE && t->silence_ms >= t->p.eot_silence_ms) {
			t->state = VA_TURN_IDLE;
			t->silence_ms = 0;
			ev |= VA_TURN_EV_END;
		}
		break;
	}
	return ev;
}

static unsigned update_onset(struct va_turn_tracker *t, const struct va_vad_result *r, bool playing)
{
	int need = t->p.bargein_onset_ms;
	bool ok = r->active;

	if (playing) {
		need = need * PLAYING_ONSET_PCT / 100;
		ok = ok && r->prob >= PLAYING_ONSET_PROB;
	} else {
		ok = ok || r->evidence > ONSET_RAW_EVIDENCE;
	}
	if (!ok) {
		t->onset_ms = 0;
		t->onset_voiced = false;
		t->quiet_ms += VA_VAD_FRAME_MS;
		if (t->quiet_ms >= VA_TURN_REARM_MS)
			t->onset_armed = true;
		return 0;
	}
	t->quiet_ms = 0;
	if (t->onset_ms == 0)
		t->onset_start_ms = t->now_ms - VA_VAD_FRAME_MS;
	t->onset_ms += VA_VAD_FRAME_MS;
	t->onset_voiced = t->onset_voiced || r->voiced;
	if (!t->onset_armed || t->onset_ms < need || !r->active || (playing && !t->onset_voiced))
		return 0;
	t->onset_armed = false;
	return VA_TURN_EV_ONSET;
}

unsigned va_turn_update(struct va_turn_tracker *t, const struct va_vad_result *r, bool playing)
{
	unsigned ev;

	t->now_ms += VA_VAD_FRAME_MS;
	ev = update_eot(t, r->speech);
	ev |= update_onset(t, r, playing);
	return ev;
}

int64_t va_turn_onset_start_ms(const struct va_turn_tracker *t)
{
	return t->onset_start_ms;
}

const char *va_turn_state_name(enum va_turn_state s)
{
	switch (s) {
	case VA_TURN_IDLE:
		return "idle";
	case VA_TURN_SPEAKING:
		return "speaking";
	case VA_TURN_PAUSE:
		return "pause";
	}
	return "unknown";
}
