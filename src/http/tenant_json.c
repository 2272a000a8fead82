/* SPDX-License-Identifier: MIT */
/*
 * tenant_json.c - JSON <-> struct va_tenant for the admin API, driven by one
 * field table per object so both directions always agree on names, types
 * and sizes. Nothing past this file sees json_t.
 */
#include "http/tenant_json.h"
#include "tenant/audio_json.h"
#include "tenant/llm_json.h"
#include "tenant/practice_json.h"
#include "core/alloc.h"
#include "core/err.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

enum field_kind {
	F_STR,	   /* char[]; null empties it */
	F_SECRET,  /* char[]; masked on output */
	F_BOOL,	   /* bool */
	F_TIMEOUT, /* char[]: "auto", an integer of ms, or its decimal string */
};

struct field {
	const char *key;   /* JSON key */
	const char *label; /* name used in error messages */
	size_t off;
	size_t size;
	enum field_kind kind;
};

#define TF(key, member, kind)                                                                      \
	{                                                                                          \
		key, key, offsetof(struct va_tenant, member),                                      \
		    sizeof(((struct va_tenant *)0)->member), kind                                  \
	}
#define RF(key, member, kind)                                                                      \
	{                                                                                          \
		key, "relay." key, offsetof(struct va_relay_settings, member),                     \
		    sizeof(((struct va_relay_settings *)0)->member), kind                          \
	}

/* "id" is handled apart: it may not change on update. */
static const struct field tenant_fields[] = {
    TF("name", name, F_STR),
    TF("timezone", timezone, F_STR),
    TF("twilio_auth_token", twilio_auth_token, F_SECRET),
    TF("api_key", api_key, F_SECRET),
    TF("front_desk_number", front_desk_number, F_STR),
    TF("greeting", greeting, F_STR),
    TF("connecting_message", connecting_message, F_STR),
};

/* "preset" is handled apart: it must land before the fields it fills. */
static const struct field relay_fields[] = {
    RF("language", language, F_STR),
    RF("tts_provider", tts_provider, F_STR),
    RF("voice", voice, F_STR),
    RF("transcription_provider", transcription_provider, F_STR),
    RF("speech_model", speech_model, F_STR),
    RF("interruptible", interruptible, F_STR),
    RF("interrupt_sensitivity", interrupt_sensitivity, F_STR),
    RF("speech_timeout", speech_timeout, F_TIMEOUT),
    RF("report_input_during_agent_speech", report_input_during_agent, F_STR),
    RF("welcome_greeting_interruptible", welcome_interruptible, F_STR),
    RF("hints", hints, F_STR),
    RF("dtmf_detection", dtmf_detection, F_BOOL),
    RF("preemptible", preemptible, F_BOOL),
    RF("partial_prompts", partial_prompts, F_BOOL),
    RF("application_reconnect", application_reconnect, F_BOOL),
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int fail(char *why, size_t whysz, const char *label, const char *reason)
{
	if (why && whysz)
		snprintf(why, whysz, "%s: %s", label, reason);
	return VA_E_INVAL;
}

static int set_string(const struct field *f, char *dst, const json_t *v, char *why, size_t whysz)
{
	char reason[64];
	size_t n;

	if (json_is_null(v)) {
		dst[0] = '\0';
		return VA_OK;
	}
	if (!json_is_string(v))
		return fail(why, whysz, f->label, "must be a string");
	n = json_string_length(v);
	if (n >= f->size) {
		snprintf(reason, sizeof(reason), "too long (at most %zu bytes)", f->size - 1);
		return fail(why, whysz, f->label, reason);
	}
	/* jansson refuses \u0000 unless asked, so the length is the C length. */
	memcpy(dst, json_string_value(v), n);
	dst[n] = '\0';
	return VA_OK;
}

/* The API shows secrets masked; a client that sends a document back as it
 * read it must not replace the real secret with its mask. */
static int set_secret(const struct field *f, char *dst, const json_t *v, char *why, size_t whysz)
{
	char mask[16];
	const char *s;

	if (json_is_string(v)) {
		s = json_string_value(v);
		va_tenant_mask_secret(dst, mask, sizeof(mask));
		if (dst[0] && strcmp(s, mask) == 0)
			return VA_OK;
		if (strncmp(s, "****", 4) == 0)
			return fail(why, whysz, f->label,
				    "looks like a masked value; send the secret itself");
	}
	return set_string(f, dst, v, why, whysz);
}

static int set_timeout(const struct field *f, char *dst, const json_t *v, char *why, size_t whysz)
{
	static const char reason[] = "must be \"auto\" or an integer 600..5000 (ms)";
	json_int_t ms;

	if (json_is_integer(v)) {
		ms = json_integer_value(v);
		/* Range is va_tenant_validate's job; this only keeps the
		 * number inside the field. */
		if (ms < 0 || ms > 99999)
			return fail(why, whysz, f->label, reason);
		snprintf(dst, f->size, "%d", (int)ms);
		return VA_OK;
	}
	if (!json_is_string(v))
		return fail(why, whysz, f->label, reason);
	if (json_string_length(v) >= f->size)
		return fail(why, whysz, f->label, reason);
	return set_string(f, dst, v, why, whysz);
}

static int apply_fields(const struct field *fields, size_t n, void *base, const json_t *obj,
			char *why, size_t whysz)
{
	const json_t *v;
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		const struct field *f = &fields[i];
		char *p = (char *)base + f->off;

		v = json_object_get(obj, f->key);
		if (!v)
			continue;
		switch (f->kind) {
		case F_STR:
			rc = set_string(f, p, v, why, whysz);
			break;
		case F_SECRET:
			rc = set_secret(f, p, v, why, whysz);
			break;
		case F_TIMEOUT:
			rc = set_timeout(f, p, v, why, whysz);
			break;
		case F_BOOL:
			if (!json_is_boolean(v))
				return fail(why, whysz, f->label, "must be true or false");
			*(bool *)(void *)p = json_is_true(v);
			rc = VA_OK;
			break;
		default:
			rc = VA_E_INVAL;
			break;
		}
		if (rc)
			return rc;
	}
	return VA_OK;
}

static int apply_relay(struct va_relay_settings *r, const json_t *relay, char *why, size_t whysz)
{
	enum va_line_preset p;
	const json_t *v;

	if (!json_is_object(relay))
		return fail(why, whysz, "relay", "must be an object");
	v = json_object_get(relay, "preset");
	if (v) {
		if (!json_is_string(v))
			return fail(why, whysz, "relay.preset", "must be a string");
		if (va_preset_parse(json_string_value(v), &p))
			return fail(why, whysz, "relay.preset",
				    "must be standard, quiet, noisy or patient");
		va_tenant_apply_preset(r, p);
	}
	return apply_fields(relay_fields, COUNT(relay_fields), r, relay, why, whysz);
}

int va_tenant_from_json(const char *data, size_t len, struct va_tenant *inout, bool partial,
			char *why, size_t whysz)
{
	struct va_tenant tmp;
	json_error_t jerr;
	json_t *root = NULL;
	const json_t *v;
	char reason[200];
	int rc;

	if (why && whysz)
		why[0] = '\0';
	root = json_loadb(data ? data : "", data ? len : 0,
			  JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (!root) {
		snprintf(reason, sizeof(reason), "line %d column %d: %s", jerr.line, jerr.column,
			 jerr.text);
		fail(why, whysz, "json", reason);
		rc = VA_E_PARSE;
		goto out;
	}
	if (!json_is_object(root)) {
		rc = fail(why, whysz, "json", "must be an object");
		goto out;
	}

	/* Work on a copy so a document that fails halfway changes nothing. */
	if (partial)
		tmp = *inout;
	else
		va_tenant_defaults(&tmp);

	v = json_object_get(root, "id");
	if (v) {
		if (!json_is_string(v)) {
			rc = fail(why, whysz, "id", "must be a string");
			goto out;
		}
		if (partial && strcmp(json_string_value(v), inout->id) != 0) {
			rc = fail(why, whysz, "id", "id cannot change");
			goto out;
		}
		if (json_string_length(v) >= sizeof(tmp.id)) {
			rc = fail(why, whysz, "id", "too long (at most 63 bytes)");
			goto out;
		}
		memcpy(tmp.id, json_string_value(v), json_string_length(v) + 1);
	}
	rc = apply_fields(tenant_fields, COUNT(tenant_fields), &tmp, root, why, whysz);
	if (rc)
		goto out;
	v = json_object_get(root, "relay");
	if (v) {
		rc = apply_relay(&tmp.relay, v, why, whysz);
		if (rc)
			goto out;
	}
	v = json_object_get(root, "practice");
	if (v && !json_is_null(v)) {
		char *doc = json_is_object(v) ? json_dumps(v, JSON_COMPACT) : NULL;
		char pwhy[200] = "";
		if (!doc) {
			rc = fail(why, whysz, "practice", "must be an object");
			goto out;
		}
		/* Lists given replace the defaults; what is left out keeps them. */
		rc = va_practice_from_json(doc, strlen(doc), &tmp.practice, true, pwhy,
					   sizeof(pwhy));
		free(doc);
		if (rc) {
			rc = fail(why, whysz, "practice", pwhy);
			goto out;
		}
	}
	v = json_object_get(root, "llm");
	if (v && !json_is_null(v)) {
		char *doc = json_is_object(v) ? json_dumps(v, JSON_COMPACT) : NULL;
		if (!doc) {
			rc = fail(why, whysz, "llm", "must be an object");
			goto out;
		}
		rc = va_tenant_llm_from_json(doc, strlen(doc), &tmp.llm, why, whysz);
		explicit_bzero(doc, strlen(doc));
		free(doc);
		if (rc)
			goto out;
	}
	v = json_object_get(root, "audio");
	if (v && !json_is_null(v)) {
		char *doc = json_is_object(v) ? json_dumps(v, JSON_COMPACT) : NULL;
		if (!doc) {
			rc = fail(why, whysz, "audio", "must be an object");
			goto out;
		}
		rc = va_tenant_audio_from_json(doc, strlen(doc), &tmp.audio, why, whysz);
		free(doc);
		if (rc)
			goto out;
	}
	rc = va_tenant_validate(&tmp, why, whysz);
	if (rc)
		goto out;
	*inout = tmp;
out:
	explicit_bzero(&tmp, sizeof(tmp));
	json_decref(root);
	return rc;
}

static json_t *string_field(const char *s, size_t size)
{
	return json_stringn(s, strnlen(s, size));
}

/* Adds the fields of a table to obj; VA_E_INVAL if some text is not UTF-8. */
static int fields_to_json(json_t *obj, const struct field *fields, size_t n, const void *base)
{
	char mask[16];
	size_t i;

	for (i = 0; i < n; i++) {
		const struct field *f = &fields[i];
		const char *p = (const char *)base + f->off;
		json_t *v;

		switch (f->kind) {
		case F_SECRET:
			va_tenant_mask_secret(p, mask, sizeof(mask));
			v = json_string(mask);
			break;
		case F_BOOL:
			v = json_boolean(*(const bool *)(const void *)p);
			break;
		default:
			v = string_field(p, f->size);
			break;
		}
		/* Steals v; a NULL v (text that is not UTF-8) fails here. */
		if (json_object_set_new(obj, f->key, v))
			return VA_E_INVAL;
	}
	return VA_OK;
}

static int dump_cb(const char *buffer, size_t size, void *data)
{
	return va_buf_append(data, buffer, size) ? -1 : 0;
}

int va_tenant_to_json(const struct va_tenant *t, struct va_buf *out)
{
	json_t *root = json_object(), *relay = json_object();
	size_t mark = out->len;
	int rc = VA_E_INVAL;

	if (!root || !relay)
		goto out;
	if (json_object_set_new(root, "id", string_field(t->id, sizeof(t->id))) ||
	    fields_to_json(root, tenant_fields, COUNT(tenant_fields), t) ||
	    fields_to_json(relay, relay_fields, COUNT(relay_fields), &t->relay) ||
	    json_object_set_new(relay, "preset", json_string(va_preset_name(t->relay.preset))) ||
	    json_object_set(root, "relay", relay))
		goto out;
	{
		struct va_buf pb = VA_BUF_INIT(1 << 20);
		json_t *pj = NULL;
		if (va_practice_to_json(&t->practice, &pb) == VA_OK)
			pj = json_loads(va_buf_cstr(&pb), 0, NULL);
		va_buf_release(&pb);
		if (!pj || json_object_set_new(root, "practice", pj))
			goto out;
	}
	{
		struct va_buf lb = VA_BUF_INIT(8192);
		json_t *lj = NULL;
		if (va_tenant_llm_to_json(&t->llm, false, &lb) == VA_OK)
			lj = json_loads(va_buf_cstr(&lb), 0, NULL);
		va_buf_release(&lb);
		if (!lj || json_object_set_new(root, "llm", lj))
			goto out;
	}
	{
		struct va_buf ab = VA_BUF_INIT(4096);
		json_t *aj = NULL;
		if (va_tenant_audio_to_json(&t->audio, &ab) == VA_OK)
			aj = json_loads(va_buf_cstr(&ab), 0, NULL);
		va_buf_release(&ab);
		if (!aj || json_object_set_new(root, "audio", aj))
			goto out;
	}
	if (json_dump_callback(root, dump_cb, out, JSON_COMPACT)) {
		rc = VA_E_TOOBIG;
		goto out;
	}
	rc = VA_OK;
out:
	if (rc && out->data && out->len > mark) {
		out->len = mark;
		out->data[mark] = '\0';
	}
	json_decref(relay);
	json_decref(root);
	return rc;
}
