/* SPDX-License-Identifier: MIT */
/*
 * turn.h - turn-taking over the VAD: when the caller's turn ends, and when
 * the caller starts speaking over us (barge-in).
 *
 * Fed one struct va_vad_result per 10 ms frame, in order, plus whether our
 * own reply is playing to the caller at that moment (from Twilio marks).
 * Returns the events of that frame as a bit mask:
 *
 *   VA_TURN_EV_START    the caller has been speaking for min_speech_ms:
 *                       a turn has begun (once per turn);
 *   VA_TURN_EV_END      end of turn: eot_silence_ms without speech after
 *                       a turn began. Pauses shorter than that inside a
 *                       sentence do not end it, and a noise blip shorter
 *                       than min_speech_ms inside a pause neither ends nor
 *                       restarts it;
 *   VA_TURN_EV_ONSET    a confirmed speech onset: bargein_onset_ms of
 *                       continuous speech. While our reply plays it must
 *                       be longer (by half), more certain, and voiced,
 *                       because the handset can echo our own voice back and
 *                       a cough or a door is not an interruption. The
 *                       caller of this module decides what an onset means:
 *                       during playback it is a barge-in (clear Twilio's
 *                       buffer, cancel the reply). Re-armed after
 *                       VA_TURN_REARM_MS without speech.
 *
 * Times are counted in frames of the VAD (10 ms); event times are the end
 * of the frame that raised them. Pure; embedded struct, no allocation.
 */
#ifndef VA_AUDIO_TURN_H
#define VA_AUDIO_TURN_H

#include "audio/vad.h"

#include <stdbool.h>
#include <stdint.h>

#define VA_TURN_EV_START (1u << 0)
#define VA_TURN_EV_END	 (1u << 1)
#define VA_TURN_EV_ONSET (1u << 2)

/* Silence after which a new onset may be reported. */
#define VA_TURN_REARM_MS 300

struct va_turn_params {
	int eot_silence_ms;   /* silence that ends a turn (200..5000) */
	int min_speech_ms;    /* speech that makes a turn (10..1000) */
	int bargein_onset_ms; /* speech that makes an onset (20..1000) */
};

#define VA_TURN_EOT_SILENCE_DEFAULT 800
#define VA_TURN_MIN_SPEECH_DEFAULT  60
#define VA_TURN_ONSET_DEFAULT	    100
#define VA_TURN_PARAMS_DEFAULT                                                                     \
	{                                                                                          \
		VA_TURN_EOT_SILENCE_DEFAULT, VA_TURN_MIN_SPEECH_DEFAULT, VA_TURN_ONSET_DEFAULT     \
	}

enum va_turn_state {
	VA_TURN_IDLE = 0, /* waiting for the caller */
	VA_TURN_SPEAKING, /* the caller is speaking */
	VA_TURN_PAUSE,	  /* silent inside a turn: end of turn or more speech */
};

struct va_turn_tracker {
	struct va_turn_params p;
	enum va_turn_state state;
	int speech_ms;	/* current run of speech */
	int silence_ms; /* silence since the turn's last speech */
	int onset_ms;	/* current run of onset-qualifying speech */
	int quiet_ms;	/* silence since the last onset, for re-arming */
	bool onset_voiced;
	bool onset_armed;
	int64_t onset_start_ms; /* where the current onset run began */
	int64_t now_ms;		/* end of the last frame */
};

/* Checks the ranges above. VA_OK or VA_E_INVAL. */
int va_turn_params_validate(const struct va_turn_params *p);
/* Starts in IDLE at time 0 (params NULL = defaults). VA_E_INVAL for bad
 * params, in which case the defaults are used. */
int va_turn_init(struct va_turn_tracker *t, const struct va_turn_params *p);
/* One 10 ms frame: returns its VA_TURN_EV_* mask. */
unsigned va_turn_update(struct va_turn_tracker *t, const struct va_vad_result *r, bool playing);
/* Where the speech that raised the last onset began (ms since init), so a
 * barge-in can say how much the caller had already said. */
int64_t va_turn_onset_start_ms(const struct va_turn_tracker *t);
const char *va_turn_state_name(enum va_turn_state s);

#endif
