/* SPDX-License-Identifier: MIT */
/* audio_json.c - a practice's transport and raw-audio settings <-> JSON. */
#include "tenant/audio_json.h"

#include "core/alloc.h"
#include "core/err.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const transports[] = {"relay", "audio"};
static const char *const turns[] = {"local", "server_vad", "semantic_vad"};

const char *va_transport_name(enum va_transport t)
{
	return (unsigned)t < 2 ? transports[t] : "relay";
}

const char *va_turn_detection_name(enum va_turn_detection t)
{
	return (unsigned)t < 3 ? turns[t] : "local";
}

static int fail(char *why, size_t whysz, const char *field, const char *reason)
{
	if (why && whysz)
		snprintf(why, whysz, "audio.%s: %s", field, reason);
	return VA_E_INVAL;
}

static int pick(json_t *o, const char *k, const char *const *names, int n, int *out, char *why,
		size_t whysz)
{
	json_t *v = json_object_get(o, k);

	if (!v)
		return VA_OK;
	for (int i = 0; json_is_string(v) && i < n; i++)
		if (strcmp(json_string_value(v), names[i]) == 0) {
			*out = i;
			return VA_OK;
		}
	return fail(why, whysz, k, "unknown value");
}

static int text(json_t *o, const char *k, char *dst, size_t n, char *why, size_t whysz)
{
	json_t *v = json_object_get(o, k);

	if (!v)
		return VA_OK;
	if (json_is_null(v)) {
		dst[0] = '\0';
		return VA_OK;
	}
	if (!json_is_string(v) || json_string_length(v) >= n)
		return fail(why, whysz, k, "must be a short string");
	for (const char *p = json_string_value(v); *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("-_.:", *p)))
			return fail(why, whysz, k, "letters, digits and -_.: only");
	memcpy(dst, json_string_value(v), json_string_length(v) + 1);
	return VA_OK;
}

static int ms(json_t *o, const char *k, int *dst, char *why, size_t whysz)
{
	json_t *v = json_object_get(o, k);

	if (!v || json_is_null(v))
		return VA_OK;
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 100000)
		return fail(why, whysz, k, "must be milliseconds");
	*dst = (int)json_integer_value(v);
	return VA_OK;
}

int va_tenant_audio_from_json(const char *data, size_t len, struct va_tenant_audio *inout,
			      char *why, size_t whysz)
{
	struct va_tenant_audio a = *inout;
	json_error_t e;
	json_t *o = json_loadb(data, len, JSON_REJECT_DUPLICATES, &e), *v;
	int tr = (int)a.transport, tu = (int)a.turn, pr = -1, rc;

	if (!o)
		return fail(why, whysz, "json", e.text), VA_E_PARSE;
	if (!json_is_object(o)) {
		json_decref(o);
		return fail(why, whysz, "json", "must be an object");
	}
	if ((rc = pick(o, "transport", transports, 2, &tr, why, whysz)) ||
	    (rc = pick(o, "turn_detection", turns, 3, &tu, why, whysz)) ||
	    (rc = text(o, "model", a.model, sizeof(a.model), why, whysz)) ||
	    (rc = text(o, "voice", a.voice, sizeof(a.voice), why, whysz)))
		goto out;
	v = json_object_get(o, "preset");
	if (v) {
		if (!json_is_string(v) ||
		    va_audio_settings_from_name(json_string_value(v), &a.settings) != VA_OK) {
			rc = fail(why, whysz, "preset", "must be quiet, normal or noisy");
			goto out;
		}
		for (pr = 0; pr < VA_AUDIO_PRESET__COUNT; pr++)
			if (!strcmp(va_audio_preset_name((enum va_audio_preset)pr),
				    json_string_value(v)))
				break;
		a.preset = (enum va_audio_preset)(pr < VA_AUDIO_PRESET__COUNT ? pr : 1);
	}
	v = json_object_get(o, "vad_sensitivity");
	if (v && !json_is_null(v)) {
		if (!json_is_number(v)) {
			rc = fail(why, whysz, "vad_sensitivity", "must be a number 0..1");
			goto out;
		}
		a.settings.vad_sensitivity = (float)json_number_value(v);
	}
	if ((rc = ms(o, "end_of_turn_ms", &a.settings.eot_silence_ms, why, whysz)) ||
	    (rc = ms(o, "barge_in_ms", &a.settings.bargein_onset_ms, why, whysz)))
		goto out;
	if (va_audio_settings_validate(&a.settings) != VA_OK) {
		rc = fail(why, whysz, "thresholds",
			  "out of range (vad_sensitivity 0..1, end_of_turn_ms 200..5000, "
			  "barge_in_ms 20..1000)");
		goto out;
	}
	a.transport = (enum va_transport)tr;
	a.turn = (enum va_turn_detection)tu;
	*inout = a;
out:
	json_decref(o);
	return rc;
}

static int dump_cb(const char *buffer, size_t size, void *data)
{
	return va_buf_append(data, buffer, size) ? -1 : 0;
}

int va_tenant_audio_to_json(const struct va_tenant_audio *a, struct va_buf *out)
{
	json_t *o =
	    json_pack("{s:s, s:s, s:f, s:i, s:i, s:s, s:s, s:s}", "transport",
		      va_transport_name(a->transport), "preset",
		      va_audio_preset_name(a->preset) ? va_audio_preset_name(a->preset) : "normal",
		      "vad_sensitivity", (double)a->settings.vad_sensitivity, "end_of_turn_ms",
		      a->settings.eot_silence_ms, "barge_in_ms", a->settings.bargein_onset_ms,
		      "turn_detection", va_turn_detection_name(a->turn), "model", a->model, "voice",
		      a->voice);
	int rc;

	if (!o)
		return VA_E_NOMEM;
	rc = json_dump_callback(o, dump_cb, out, JSON_COMPACT | JSON_REAL_PRECISION(4))
		 ? VA_E_TOOBIG
		 : VA_OK;
	json_decref(o);
	return rc;
}
