/* SPDX-License-Identifier: MIT */
/*
 * settings.h - a practice's audio settings: how readily speech is detected,
 * how long a silence ends the caller's turn, how much speech interrupts our
 * reply. Named presets for the usual situations, or explicit values.
 *
 *   quiet   a quiet office: soft voices heard early, replies come sooner
 *   normal  the default, what the quality figures in the README are for
 *   noisy   a street, a car, a busy waiting room: more evidence before
 *           speech counts, longer silence before a turn ends
 *
 * Plain data: parse the tenant's JSON into this struct (elsewhere), check
 * it with va_audio_settings_validate, then derive each module's params.
 */
#ifndef VA_AUDIO_SETTINGS_H
#define VA_AUDIO_SETTINGS_H

#include "audio/turn.h"
#include "audio/vad.h"

enum va_audio_preset {
	VA_AUDIO_PRESET_QUIET = 0,
	VA_AUDIO_PRESET_NORMAL,
	VA_AUDIO_PRESET_NOISY,
	VA_AUDIO_PRESET__COUNT,
};

struct va_audio_settings {
	float vad_sensitivity; /* 0..1, see struct va_vad_params */
	int vad_hangover_ms;   /* 0..500 */
	int eot_silence_ms;    /* 200..5000: silence that ends the caller's turn */
	int min_speech_ms;     /* 10..1000: speech that starts a turn */
	int bargein_onset_ms;  /* 20..1000: speech that interrupts (longer while playing) */
};

/* The values of a preset. */
void va_audio_settings_preset(enum va_audio_preset p, struct va_audio_settings *out);
/* The default: the "normal" preset. */
void va_audio_settings_default(struct va_audio_settings *out);
/* Fills *out from a preset name ("quiet", "normal", "noisy"; ASCII case
 * ignored). VA_E_NOTFOUND (and *out untouched) for another name. */
int va_audio_settings_from_name(const char *name, struct va_audio_settings *out);
/* "quiet", "normal", "noisy"; NULL outside the enum. */
const char *va_audio_preset_name(enum va_audio_preset p);
/* VA_OK, or VA_E_INVAL when a value is out of its range (NaN included). */
int va_audio_settings_validate(const struct va_audio_settings *s);

/* The per-module parameters the settings stand for. */
void va_audio_settings_vad_params(const struct va_audio_settings *s, struct va_vad_params *out);
void va_audio_settings_turn_params(const struct va_audio_settings *s, struct va_turn_params *out);

#endif
