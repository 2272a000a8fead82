/* SPDX-License-Identifier: MIT */
/*
 * listener.c - decode, detect, take turns: see listener.h.
 */
#include "audio/listener.h"

#include "audio/g711.h"
#include "core/err.h"

#include <stdlib.h>
#include <string.h>

struct va_listener {
	struct va_vad *vad;
	struct va_turn_tracker turn;
	struct va_vad_result last;
	uint8_t pending[VA_VAD_FRAME]; /* a partial 10 ms step */
	size_t npending;
};

int va_listener_new(const struct va_audio_settings *settings, struct va_listener **out)
{
	struct va_audio_settings def;
	struct va_vad_params vp;
	struct va_turn_params tp;
	struct va_listener *l = NULL;
	int rc = VA_E_INVAL;

	if (!out)
		return VA_E_INVAL;
	*out = NULL;
	if (!settings) {
		va_audio_settings_default(&def);
		settings = &def;
	}
	if (va_audio_settings_validate(settings) != VA_OK)
		goto out;
	va_audio_settings_vad_params(settings, &vp);
	va_audio_settings_turn_params(settings, &tp);
	rc = VA_E_NOMEM;
	l = calloc(1, sizeof(*l));
	if (!l)
		goto out;
	rc = va_vad_new(&vp, &l->vad);
	if (rc != VA_OK)
		goto out;
	rc = va_turn_init(&l->turn, &tp);
	if (rc != VA_OK)
		goto out;
	*out = l;
	l = NULL;
out:
	va_listener_free(l);
	return rc;
}

void va_listener_free(struct va_listener *l)
{
	if (!l)
		return;
	va_vad_free(l->vad);
	free(l);
}

unsigned va_listener_push_pcm10(struct va_listener *l, const int16_t *pcm, bool playing,
				struct va_vad_result *res)
{
	va_vad_process(l->vad, pcm, &l->last);
	if (res)
		*res = l->last;
	return va_turn_update(&l->turn, &l->last, playing);
}

unsigned va_listener_push_ulaw(struct va_listener *l, const uint8_t *ulaw, size_t n, bool playing)
{
	int16_t pcm[VA_VAD_FRAME];
	unsigned ev = 0;

	if (!l || (!ulaw && n))
		return 0;
	while (n > 0) {
		size_t take = VA_VAD_FRAME - l->npending;

		if (take > n)
			take = n;
		memcpy(l->pending + l->npending, ulaw, take);
		l->npending += take;
		ulaw += take;
		n -= take;
		if (l->npending < VA_VAD_FRAME)
			break;
		va_g711_ulaw_decode_buf(l->pending, VA_VAD_FRAME, pcm);
		l->npending = 0;
		ev |= va_listener_push_pcm10(l, pcm, playing, NULL);
	}
	return ev;
}

const struct va_vad_result *va_listener_last(const struct va_listener *l)
{
	return &l->last;
}

const struct va_turn_tracker *va_listener_turn(const struct va_listener *l)
{
	return &l->turn;
}

int64_t va_listener_time_ms(const struct va_listener *l)
{
	return l->turn.now_ms;
}
