/* SPDX-License-Identifier: MIT */
/*
 * listener.h - the caller's side of an audio call in one object: Twilio's
 * mu-law frames in, turn-taking events out (G.711 decode -> VAD -> turn).
 *
 * This is the interface the media-stream transport uses, one listener per
 * call:
 *
 *     struct va_listener *l;
 *     va_listener_new(&tenant_audio_settings, &l);
 *     ...on each inbound `media` frame (160 bytes once base64-decoded):
 *     unsigned ev = va_listener_push_ulaw(l, payload, 160, reply_playing);
 *     if (ev & VA_TURN_EV_ONSET && reply_playing)  -> barge-in: `clear`,
 *                                                   cancel and truncate
 *     if (ev & VA_TURN_EV_END)                    -> end of turn: commit
 *                                                   and ask for a reply
 *     ...at `stop`: va_listener_free(l);
 *
 * reply_playing is "some of our reply has been sent and its mark has not
 * come back yet". Every 10 ms of audio is one step of the detectors, so
 * the result does not depend on how the caller chunks the stream. Pure:
 * no I/O, no clock (time is the amount of audio pushed), about 10 KiB.
 */
#ifndef VA_AUDIO_LISTENER_H
#define VA_AUDIO_LISTENER_H

#include "audio/settings.h"
#include "audio/turn.h"
#include "audio/vad.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct va_listener;

/* settings NULL = defaults. VA_E_INVAL for invalid settings, VA_E_NOMEM.
 * Caller owns *out; free with va_listener_free. */
int va_listener_new(const struct va_audio_settings *settings, struct va_listener **out);
void va_listener_free(struct va_listener *l);

/* Pushes n mu-law bytes (8 kHz). Any n is accepted: whole 10 ms steps are
 * processed, a remainder waits for the next push. Returns the OR of the
 * VA_TURN_EV_* raised by the steps processed. */
unsigned va_listener_push_ulaw(struct va_listener *l, const uint8_t *ulaw, size_t n, bool playing);
/* One 10 ms step of linear PCM (VA_VAD_FRAME samples), for callers that
 * already decoded or resampled. Returns its events; *res (may be NULL)
 * gets the VAD's result. */
unsigned va_listener_push_pcm10(struct va_listener *l, const int16_t *pcm, bool playing,
				struct va_vad_result *res);

/* Borrowed views, valid until the next push or free. */
const struct va_vad_result *va_listener_last(const struct va_listener *l);
const struct va_turn_tracker *va_listener_turn(const struct va_listener *l);
/* Milliseconds of audio processed so far. */
int64_t va_listener_time_ms(const struct va_listener *l);

#endif
