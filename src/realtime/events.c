/* SPDX-License-Identifier: MIT */
/* events.c - OpenAI Realtime GA events (events.h). */
#include "realtime/events.h"

#include "core/alloc.h"
#include "core/b64.h"
#include "core/err.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- writing --------------------------------------------------------------- */

static int dump(struct va_buf *out, json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	int rc = s ? va_buf_append_str(out, s) : VA_E_NOMEM;

	free(s);
	json_decref(j);
	return rc;
}

int va_rt_write_session_update(struct va_buf *out, const struct va_rt_session *s)
{
	json_t *session, *in, *outp, *tools, *td;

	if (!s || !s->instructions)
		return VA_E_INVAL;
	in = json_pack("{s:{s:s}}", "format", "type", "audio/pcmu");
	if (s->turn == VA_RT_TURN_LOCAL) {
		td = json_null();
	} else {
		/* Our side still cancels and truncates on barge-in (it knows
		 * what was heard); the server only detects. */
		td = json_pack("{s:s, s:b, s:b}", "type",
			       s->turn == VA_RT_TURN_SEMANTIC_VAD ? "semantic_vad" : "server_vad",
			       "create_response", 1, "interrupt_response", 0);
	}
	json_object_set_new(in, "turn_detection", td);
	if (s->transcription) {
		json_t *tr = json_pack("{s:s}", "model", s->transcription);

		if (s->language && s->language[0])
			json_object_set_new(tr, "language", json_string(s->language));
		json_object_set_new(in, "transcription", tr);
	}
	outp = json_pack("{s:{s:s}}", "format", "type", "audio/pcmu");
	if (s->voice && s->voice[0])
		json_object_set_new(outp, "voice", json_string(s->voice));
	tools = json_array();
	for (size_t i = 0; i < s->n_tools; i++) {
		json_t *params = json_loads(s->tools[i].parameters_json, 0, NULL);

		if (!params) {
			json_decref(tools);
			json_decref(in);
			json_decref(outp);
			return VA_E_INVAL;
		}
		/* Realtime tools are flat, not nested under "function". */
		json_array_append_new(tools,
				      json_pack("{s:s, s:s, s:s, s:o}", "type", "function", "name",
						s->tools[i].name, "description",
						s->tools[i].description, "parameters", params));
	}
	session = json_pack("{s:s, s:s, s:[s], s:{s:o, s:o}, s:o, s:s}", "type", "realtime",
			    "instructions", s->instructions, "output_modalities", "audio", "audio",
			    "input", in, "output", outp, "tools", tools, "tool_choice", "auto");
	if (s->model && s->model[0])
		json_object_set_new(session, "model", json_string(s->model));
	return dump(out, json_pack("{s:s, s:o}", "type", "session.update", "session", session));
}

int va_rt_write_append(struct va_buf *out, const uint8_t *audio, size_t len)
{
	char *p;
	int rc;

	if (!audio && len)
		return VA_E_INVAL;
	/* Fifty of these a second per call: base64 needs no JSON escaping, so
	 * no document is built. */
	p = va_b64_encode(audio, len);
	rc = va_buf_appendf(out, "{\"type\":\"input_audio_buffer.append\",\"audio\":\"%s\"}", p);
	free(p);
	return rc;
}

int va_rt_write_commit(struct va_buf *out)
{
	return dump(out, json_pack("{s:s}", "type", "input_audio_buffer.commit"));
}

int va_rt_write_clear(struct va_buf *out)
{
	return dump(out, json_pack("{s:s}", "type", "input_audio_buffer.clear"));
}

int va_rt_write_response_create(struct va_buf *out, const char *instructions)
{
	if (!instructions)
		return dump(out, json_pack("{s:s}", "type", "response.create"));
	return dump(out, json_pack("{s:s, s:{s:s}}", "type", "response.create", "response",
				   "instructions", instructions));
}

int va_rt_write_response_cancel(struct va_buf *out)
{
	return dump(out, json_pack("{s:s}", "type", "response.cancel"));
}

int va_rt_write_truncate(struct va_buf *out, const char *item_id, long audio_end_ms)
{
	if (!item_id || !item_id[0] || audio_end_ms < 0)
		return VA_E_INVAL;
	return dump(out, json_pack("{s:s, s:s, s:i, s:I}", "type", "conversation.item.truncate",
				   "item_id", item_id, "content_index", 0, "audio_end_ms",
				   (json_int_t)audio_end_ms));
}

int va_rt_write_function_output(struct va_buf *out, const char *call_id, const char *output)
{
	if (!call_id || !call_id[0] || !output)
		return VA_E_INVAL;
	return dump(out, json_pack("{s:s, s:{s:s, s:s, s:s}}", "type", "conversation.item.create",
				   "item", "type", "function_call_output", "call_id", call_id,
				   "output", output));
}

int va_rt_write_user_text(struct va_buf *out, const char *text)
{
	if (!text)
		return VA_E_INVAL;
	return dump(out, json_pack("{s:s, s:{s:s, s:s, s:[{s:s, s:s}]}}", "type",
				   "conversation.item.create", "item", "type", "message", "role",
				   "user", "content", "type", "input_text", "text", text));
}

/* ---- reading --------------------------------------------------------------- */

static void take(json_t *o, const char *key, char *dst, size_t size)
{
	json_t *v = json_object_get(o, key);

	if (json_is_string(v) && json_string_length(v) < size &&
	    strlen(json_string_value(v)) == json_string_length(v))
		memcpy(dst, json_string_value(v), json_string_length(v) + 1);
}

static char *dup_str(json_t *v)
{
	return json_is_string(v) ? va_xstrndup(json_string_value(v), json_string_length(v)) : NULL;
}

static const struct {
	const char *name;
	enum va_rt_ev_type type;
} names[] = {
    {"session.created", VA_RT_EV_SESSION_CREATED},
    {"session.updated", VA_RT_EV_SESSION_UPDATED},
    {"input_audio_buffer.speech_started", VA_RT_EV_SPEECH_STARTED},
    {"input_audio_buffer.speech_stopped", VA_RT_EV_SPEECH_STOPPED},
    {"input_audio_buffer.committed", VA_RT_EV_COMMITTED},
    {"response.created", VA_RT_EV_RESPONSE_CREATED},
    {"response.output_audio.delta", VA_RT_EV_AUDIO_DELTA},
    {"response.output_audio_transcript.delta", VA_RT_EV_TRANSCRIPT_DELTA},
    {"conversation.item.input_audio_transcription.completed", VA_RT_EV_INPUT_TRANSCRIPT},
    {"response.output_item.done", VA_RT_EV_FUNCTION_CALL},
    {"response.done", VA_RT_EV_RESPONSE_DONE},
    {"error", VA_RT_EV_ERROR},
};

int va_rt_parse(const char *data, size_t len, struct va_rt_event *e)
{
	json_t *root = NULL, *t, *v;
	const char *type;
	int rc = VA_OK;
	size_t i;

	memset(e, 0, sizeof(*e));
	e->type = VA_RT_EV_OTHER;
	if (!data)
		return VA_E_INVAL;
	if (len > VA_RT_MAX_EVENT)
		return VA_E_TOOBIG;
	root = json_loadb(data, len, 0, NULL);
	t = json_object_get(root, "type");
	if (!json_is_object(root) || !json_is_string(t)) {
		rc = VA_E_PARSE;
		goto out;
	}
	type = json_string_value(t);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(type, names[i].name) == 0)
			e->type = names[i].type;
	take(root, "response_id", e->response_id, sizeof(e->response_id));
	take(root, "item_id", e->item_id, sizeof(e->item_id));
	switch (e->type) {
	case VA_RT_EV_SESSION_CREATED:
	case VA_RT_EV_SESSION_UPDATED: {
		json_t *audio = json_object_get(json_object_get(root, "session"), "audio");

		take(json_object_get(json_object_get(audio, "output"), "format"), "type", e->format,
		     sizeof(e->format));
		take(json_object_get(json_object_get(audio, "input"), "format"), "type",
		     e->in_format, sizeof(e->in_format));
		break;
	}
	case VA_RT_EV_RESPONSE_CREATED:
	case VA_RT_EV_RESPONSE_DONE:
		v = json_object_get(root, "response");
		take(v, "id", e->response_id, sizeof(e->response_id));
		take(v, "status", e->status, sizeof(e->status));
		break;
	case VA_RT_EV_AUDIO_DELTA: {
		json_t *d = json_object_get(root, "delta");
		long n;

		if (!json_is_string(d)) {
			rc = VA_E_PARSE;
			break;
		}
		n = va_b64_check(json_string_value(d), json_string_length(d));
		if (n < 0) {
			rc = VA_E_PARSE;
			break;
		}
		/* Kept in the document: no copy, no decode. */
		e->b64 = json_string_value(d);
		e->b64_len = json_string_length(d);
		e->audio_len = (size_t)n;
		e->_root = json_incref(root);
		break;
	}
	case VA_RT_EV_TRANSCRIPT_DELTA:
		e->text = dup_str(json_object_get(root, "delta"));
		break;
	case VA_RT_EV_INPUT_TRANSCRIPT:
		e->text = dup_str(json_object_get(root, "transcript"));
		break;
	case VA_RT_EV_FUNCTION_CALL:
		v = json_object_get(root, "item");
		/* Only completed function calls; an item cut by an interruption
		 * may carry half its arguments. */
		if (!json_is_object(v) || !json_is_string(json_object_get(v, "type")) ||
		    strcmp(json_string_value(json_object_get(v, "type")), "function_call") != 0 ||
		    !json_is_string(json_object_get(v, "status")) ||
		    strcmp(json_string_value(json_object_get(v, "status")), "completed") != 0) {
			e->type = VA_RT_EV_OTHER;
			break;
		}
		take(v, "id", e->item_id, sizeof(e->item_id));
		take(v, "call_id", e->call_id, sizeof(e->call_id));
		take(v, "name", e->name, sizeof(e->name));
		e->text = dup_str(json_object_get(v, "arguments"));
		if (!e->call_id[0] || !e->name[0])
			rc = VA_E_PARSE;
		break;
	case VA_RT_EV_ERROR:
		v = json_object_get(root, "error");
		take(v, "code", e->code, sizeof(e->code));
		e->text = dup_str(json_object_get(v, "message"));
		break;
	default:
		break;
	}
out:
	json_decref(root);
	if (rc)
		va_rt_event_release(e);
	return rc;
}

void va_rt_event_release(struct va_rt_event *e)
{
	if (!e)
		return;
	free(e->text);
	json_decref(e->_root);
	e->text = NULL;
	e->_root = NULL;
	e->b64 = NULL;
	e->b64_len = 0;
	e->audio_len = 0;
}
