/* SPDX-License-Identifier: MIT */
/*
 * settings.c - the presets and checks of settings.h.
 *
 * The presets move every threshold the same way. The end-of-turn silence
 * stays above 760 ms in all of them: people pause that long between two
 * sentences of one turn, and a reply that cuts in is worse than one that
 * comes a little later.
 */
#include "audio/settings.h"

#include "core/err.h"

#include <stddef.h>
#include <strings.h>

static const struct va_audio_settings presets[VA_AUDIO_PRESET__COUNT] = {
    [VA_AUDIO_PRESET_QUIET] = {.vad_sensitivity = 0.6f,
			       .vad_hangover_ms = 100,
			       .eot_silence_ms = 800,
			       .min_speech_ms = 50,
			       .bargein_onset_ms = 80},
    [VA_AUDIO_PRESET_NORMAL] = {.vad_sensitivity = VA_VAD_SENSITIVITY_DEFAULT,
				.vad_hangover_ms = VA_VAD_HANGOVER_DEFAULT,
				.eot_silence_ms = VA_TURN_EOT_SILENCE_DEFAULT,
				.min_speech_ms = VA_TURN_MIN_SPEECH_DEFAULT,
				.bargein_onset_ms = VA_TURN_ONSET_DEFAULT},
    [VA_AUDIO_PRESET_NOISY] = {.vad_sensitivity = 0.4f,
			       .vad_hangover_ms = 150,
			       .eot_silence_ms = 1000,
			       .min_speech_ms = 100,
			       .bargein_onset_ms = 150},
};

static const char *const names[VA_AUDIO_PRESET__COUNT] = {
    [VA_AUDIO_PRESET_QUIET] = "quiet",
    [VA_AUDIO_PRESET_NORMAL] = "normal",
    [VA_AUDIO_PRESET_NOISY] = "noisy",
};

void va_audio_settings_preset(enum va_audio_preset p, struct va_audio_settings *out)
{
	if ((unsigned)p >= VA_AUDIO_PRESET__COUNT)
		p = VA_AUDIO_PRESET_NORMAL;
	*out = presets[p];
}

void va_audio_settings_default(struct va_audio_settings *out)
{
	va_audio_settings_preset(VA_AUDIO_PRESET_NORMAL, out);
}

int va_audio_settings_from_name(const char *name, struct va_audio_settings *out)
{
	if (!name || !out)
		return VA_E_INVAL;
	for (int i = 0; i < VA_AUDIO_PRESET__COUNT; i++) {
		if (!strcasecmp(name, names[i])) {
			*out = presets[i];
			return VA_OK;
		}
	}
	return VA_E_NOTFOUND;
}

const char *va_audio_preset_name(enum va_audio_preset p)
{
	return (unsigned)p < VA_AUDIO_PRESET__COUNT ? names[p] : NULL;
}

int va_audio_settings_validate(const struct va_audio_settings *s)
{
	struct va_vad_params vp;
	struct va_turn_params tp;

	if (!s)
		return VA_E_INVAL;
	va_audio_settings_vad_params(s, &vp);
	va_audio_settings_turn_params(s, &tp);
	if (va_vad_params_validate(&vp) != VA_OK || va_turn_params_validate(&tp) != VA_OK)
		return VA_E_INVAL;
	return VA_OK;
}

void va_audio_settings_vad_params(const struct va_audio_settings *s, struct va_vad_params *out)
{
	out->sensitivity = s->vad_sensitivity;
	out->hangover_ms = s->vad_hangover_ms;
}

void va_audio_settings_turn_params(const struct va_audio_settings *s, struct va_turn_params *out)
{
	out->eot_silence_ms = s->eot_silence_ms;
	out->min_speech_ms = s->min_speech_ms;
	out->bargein_onset_ms = s->bargein_onset_ms;
}
