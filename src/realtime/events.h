/* SPDX-License-Identifier: MIT */
/*
 * events.h - OpenAI Realtime (GA interface) events <-> typed C structs
 * (protocols.md §5). Client events are written from plain arguments; server
 * events are parsed into struct va_rt_event, keeping only what the bridge
 * acts on. The GA names only: the beta ones (response.audio.delta,
 * input_audio_format ...) are never written, and read as VA_RT_EV_OTHER.
 * JSON stops here.
 */
#ifndef VA_REALTIME_EVENTS_H
#define VA_REALTIME_EVENTS_H

#include "core/buf.h"
#include "llm/openai.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest server event accepted (an audio delta of a few seconds). */
#define VA_RT_MAX_EVENT (1u << 20)

enum va_rt_turn_mode {
	VA_RT_TURN_LOCAL = 0, /* turn_detection null: we commit and respond */
	VA_RT_TURN_SERVER_VAD,
	VA_RT_TURN_SEMANTIC_VAD,
};

struct va_rt_session {
	const char *model;
	const char *instructions;
	const char *voice;	   /* "" / NULL: the server's */
	const char *transcription; /* input transcription model; NULL: off */
	const char *language;	   /* e.g. "en"; NULL: auto */
	enum va_rt_turn_mode turn;
	const struct va_llm_tool *tools;
	size_t n_tools;
};

/* Client events (appended to out). */
int va_rt_write_session_update(struct va_buf *out, const struct va_rt_session *s);
int va_rt_write_append(struct va_buf *out, const uint8_t *audio, size_t len);
int va_rt_write_commit(struct va_buf *out);
int va_rt_write_clear(struct va_buf *out);
/* instructions NULL: a plain response.create. */
int va_rt_write_response_create(struct va_buf *out, const char *instructions);
int va_rt_write_response_cancel(struct va_buf *out);
int va_rt_write_truncate(struct va_buf *out, const char *item_id, long audio_end_ms);
int va_rt_write_function_output(struct va_buf *out, const char *call_id, const char *output);
/* A user text message (e.g. a keypress, "The caller pressed 1."). */
int va_rt_write_user_text(struct va_buf *out, const char *text);

enum va_rt_ev_type {
	VA_RT_EV_SESSION_CREATED = 1,
	VA_RT_EV_SESSION_UPDATED,
	VA_RT_EV_SPEECH_STARTED,
	VA_RT_EV_SPEECH_STOPPED,
	VA_RT_EV_COMMITTED,
	VA_RT_EV_RESPONSE_CREATED,
	VA_RT_EV_AUDIO_DELTA,	   /* audio: mu-law bytes */
	VA_RT_EV_TRANSCRIPT_DELTA, /* text: what the model is saying */
	VA_RT_EV_INPUT_TRANSCRIPT, /* text: what the caller said (completed) */
	VA_RT_EV_FUNCTION_CALL,	   /* a completed function_call item: call_id, name, text = args */
	VA_RT_EV_RESPONSE_DONE,	   /* status */
	VA_RT_EV_ERROR,		   /* code, text = message */
	VA_RT_EV_OTHER,
};

struct va_rt_event {
	enum va_rt_ev_type type;
	char response_id[64];
	char item_id[64];
	char call_id[64];
	char name[64];	    /* function name */
	char status[24];    /* response.done: completed, cancelled, failed, incomplete */
	char code[64];	    /* error code */
	char format[24];    /* session.*: the output audio format type ("audio/pcmu") */
	char in_format[24]; /* session.*: the input audio format type */
	char *text;	    /* owned, may be NULL */
	/* Audio delta: the base64 as it came (checked strictly), borrowed from
	 * the parsed message until va_rt_event_release; audio_len its bytes.
	 * Twilio takes mu-law base64 as is, so it is never decoded. */
	const char *b64;
	size_t b64_len;
	size_t audio_len;
	void *_root; /* the parsed document b64 points into */
};

/* VA_E_PARSE for malformed JSON, no type, a delta that is not base64;
 * VA_E_TOOBIG past VA_RT_MAX_EVENT. Release with va_rt_event_release. */
int va_rt_parse(const char *data, size_t len, struct va_rt_event *out);
void va_rt_event_release(struct va_rt_event *e);

#endif
