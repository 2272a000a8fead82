/* SPDX-License-Identifier: MIT */
/*
 * msg.h - ConversationRelay wire messages <-> typed C structs.
 *
 * This is where JSON stops (house style habit 18). Inbound frames from Twilio
 * (setup, prompt, interrupt, dtmf, error, info) are validated and converted
 * into struct va_relay_in; outbound messages (text, end, sendDigits, play,
 * language) are serialized from plain arguments. Nothing above this module
 * sees json_t. Unknown fields are ignored; an unknown "type" is reported as
 * VA_RELAY_IN_UNKNOWN (not an error: Twilio adds types without notice).
 */
#ifndef VA_RELAY_MSG_H
#define VA_RELAY_MSG_H

#include "core/buf.h"

#include <stdbool.h>
#include <stddef.h>

/* Largest inbound frame we accept; a bigger one closes the socket with 1009. */
#define VA_RELAY_MAX_FRAME (64 * 1024)

enum va_relay_in_type {
	VA_RELAY_IN_SETUP = 1,
	VA_RELAY_IN_PROMPT,
	VA_RELAY_IN_INTERRUPT,
	VA_RELAY_IN_DTMF,
	VA_RELAY_IN_ERROR,
	VA_RELAY_IN_INFO,
	VA_RELAY_IN_UNKNOWN,
};

#define VA_RELAY_MAX_PARAMS 16

struct va_relay_param {
	char name[64];
	char value[256];
};

struct va_relay_setup {
	char session_id[64];
	char account_sid[64];
	char call_sid[64];
	char parent_call_sid[64];
	char from[64];
	char to[64];
	char forwarded_from[64];
	char caller_name[128];
	char call_type[16];
	char direction[24];
	char call_status[24]; /* as sent; compare case-insensitively */
	size_t n_params;
	struct va_relay_param params[VA_RELAY_MAX_PARAMS]; /* customParameters */
};

struct va_relay_prompt {
	char *text; /* owned (voicePrompt); may be "" */
	char lang[24];
	bool last; /* false only for partial prompts */
};

struct va_relay_interrupt {
	char *heard;	  /* owned (utteranceUntilInterrupt); may be "" */
	long duration_ms; /* durationUntilInterruptMs (number or numeric string); -1 if absent */
};

struct va_relay_dtmf {
	char digit; /* one of 0-9 * # */
};

struct va_relay_error {
	char *description; /* owned; may be "" */
};

struct va_relay_info {
	char name[64];
	char value[256]; /* strings as sent; numbers rendered as text */
};

struct va_relay_in {
	enum va_relay_in_type type;
	char type_name[32]; /* the raw "type", useful for logging an unknown one */
	union {
		struct va_relay_setup setup;
		struct va_relay_prompt prompt;
		struct va_relay_interrupt interrupt;
		struct va_relay_dtmf dtmf;
		struct va_relay_error error;
		struct va_relay_info info;
	} u;
};

/*
 * Parses one text frame. On success fills *out (release with
 * va_relay_in_release) and returns 0. On failure returns VA_E_PARSE (not JSON,
 * not an object, no string "type") or VA_E_INVAL (a known type with a missing
 * or ill-typed required field), writes a short reason into why, and leaves
 * nothing to release. Required fields: setup.sessionId and setup.callSid;
 * prompt.voicePrompt; dtmf.digit (exactly one valid character). Field values
 * longer than their buffers are VA_E_INVAL, never silently truncated.
 */
int va_relay_parse(const char *data, size_t len, struct va_relay_in *out, char *why, size_t whysz);
void va_relay_in_release(struct va_relay_in *m);
/* Borrowed value of a customParameter, or NULL. */
const char *va_relay_setup_param(const struct va_relay_setup *s, const char *name);

/* Outbound messages, each appended to out as one compact JSON object.
 * Return VA_OK or VA_E_TOOBIG if out's maximum is reached. */
int va_relay_write_text(struct va_buf *out, const char *token, size_t token_len, bool last,
			const char *lang /* NULL = omit */);
int va_relay_write_end(struct va_buf *out, const char *handoff_data /* NULL = omit */);
/* digits: non-empty, only 0-9 w W # *; VA_E_INVAL otherwise. */
int va_relay_write_send_digits(struct va_buf *out, const char *digits);
int va_relay_write_play(struct va_buf *out, const char *source, int loop, bool interruptible,
			bool preemptible);
int va_relay_write_language(struct va_buf *out, const char *tts_language,
			    const char *transcription_language);

/* What the caller simulator (playing Twilio) sends, and parses of what the
 * server sends back; kept here so both ends of the protocol share one codec. */
enum va_relay_out_type {
	VA_RELAY_OUT_TEXT = 1,
	VA_RELAY_OUT_END,
	VA_RELAY_OUT_SEND_DIGITS,
	VA_RELAY_OUT_PLAY,
	VA_RELAY_OUT_LANGUAGE,
	VA_RELAY_OUT_UNKNOWN,
};

struct va_relay_out {
	enum va_relay_out_type type;
	char *text;    /* owned: text.token, end.handoffData, sendDigits.digits, play.source */
	bool last;     /* text.last */
	char lang[24]; /* text.lang or language.ttsLanguage */
};

/* Parses one server message (release with va_relay_out_release). VA_E_PARSE
 * as for va_relay_parse; VA_E_INVAL when text.token, sendDigits.digits or
 * play.source is missing or a lang is too long. text is NULL for end without
 * handoffData and for language; an unknown type is VA_RELAY_OUT_UNKNOWN. */
int va_relay_parse_out(const char *data, size_t len, struct va_relay_out *out);
void va_relay_out_release(struct va_relay_out *m);

/* Helpers shared by the writers and useful to callers that pre-check input. */
/* true if digits is non-empty and only 0-9 w W # * (what sendDigits accepts). */
bool va_relay_digits_valid(const char *digits);
/* Copies n bytes of s into a new NUL-terminated string (caller owns; free with
 * free()), replacing each ill-formed UTF-8 subsequence with U+FFFD; returns
 * the new length. */
size_t va_relay_utf8_sanitize(const char *s, size_t n, char **out);

/* Twilio's side, for the caller simulator: setup always carries every field
 * and a customParameters object; prompt's lang defaults to "en-US" when NULL;
 * interrupt omits durationUntilInterruptMs when duration_ms < 0; dtmf takes
 * 0-9 * # only (VA_E_INVAL otherwise). */
int va_relay_write_setup(struct va_buf *out, const struct va_relay_setup *s);
int va_relay_write_prompt(struct va_buf *out, const char *text, bool last, const char *lang);
int va_relay_write_interrupt(struct va_buf *out, const char *heard, long duration_ms);
int va_relay_write_dtmf(struct va_buf *out, char digit);

#endif
