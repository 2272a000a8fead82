/* SPDX-License-Identifier: MIT */
/*
 * msg.h - Twilio Media Streams wire messages <-> typed C structs
 * (protocols.md §2). Inbound events from Twilio (connected, start, media,
 * dtmf, mark, stop) are validated here — a media payload must be base64 of
 * exactly the audio it claims, a start must carry the stream and call ids and
 * a mu-law 8 kHz mono format — and outbound ones (media, mark, clear) are
 * written from plain arguments. JSON stops here: nothing above sees json_t.
 * Unknown events are reported as VA_MEDIA_IN_UNKNOWN, not as errors.
 */
#ifndef VA_MEDIA_MSG_H
#define VA_MEDIA_MSG_H

#include "core/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest inbound frame accepted (a 20 ms media frame is about 400 bytes). */
#define VA_MEDIA_MAX_FRAME (16 * 1024)
/* Largest audio one media event may carry (Twilio sends 160 bytes). */
#define VA_MEDIA_MAX_AUDIO 1600

enum va_media_in_type {
	VA_MEDIA_IN_CONNECTED = 1,
	VA_MEDIA_IN_START,
	VA_MEDIA_IN_MEDIA,
	VA_MEDIA_IN_DTMF,
	VA_MEDIA_IN_MARK,
	VA_MEDIA_IN_STOP,
	VA_MEDIA_IN_UNKNOWN,
};

#define VA_MEDIA_MAX_PARAMS 16

struct va_media_param {
	char name[64];
	char value[256];
};

struct va_media_start {
	char stream_sid[64];
	char account_sid[64];
	char call_sid[64];
	size_t n_params;
	struct va_media_param params[VA_MEDIA_MAX_PARAMS]; /* customParameters */
};

struct va_media_audio {
	char stream_sid[64];
	bool inbound;	   /* track "inbound" (outbound tracks are ignored) */
	long chunk;	   /* from 1; -1 when absent */
	long timestamp_ms; /* since the stream started; -1 when absent */
	size_t len;
	uint8_t audio[VA_MEDIA_MAX_AUDIO]; /* decoded payload: mu-law bytes */
};

struct va_media_in {
	enum va_media_in_type type;
	char stream_sid[64]; /* every event but connected */
	union {
		struct va_media_start start;
		struct va_media_audio media;
		char digit;	     /* dtmf */
		char mark_name[128]; /* mark echo */
	} u;
};

/* Parses one text frame. VA_E_PARSE with a reason in why (never the audio)
 * for malformed JSON, a missing or mistyped field, a payload that is not
 * base64 or too long, a start without ids or with another audio format.
 * out is large (a media frame's audio is inline): keep one per connection. */
int va_media_parse(const char *data, size_t len, struct va_media_in *out, char *why, size_t whysz);
/* A start's customParameter by name, or NULL. */
const char *va_media_start_param(const struct va_media_start *s, const char *name);

/* Outbound (appended to out). media: mu-law bytes, base64-encoded here. */
int va_media_write_media(struct va_buf *out, const char *stream_sid, const uint8_t *audio,
			 size_t len);
/* The same from audio already in base64 (b64 must be strict base64). */
int va_media_write_media_b64(struct va_buf *out, const char *stream_sid, const char *b64,
			     size_t b64_len);
int va_media_write_mark(struct va_buf *out, const char *stream_sid, const char *name);
int va_media_write_clear(struct va_buf *out, const char *stream_sid);

/* Inbound, for the simulator and tests (what Twilio sends). */
int va_media_write_connected(struct va_buf *out);
int va_media_write_start(struct va_buf *out, const struct va_media_start *s);
int va_media_write_audio_in(struct va_buf *out, const char *stream_sid, long seq, long chunk,
			    long timestamp_ms, const uint8_t *audio, size_t len);
int va_media_write_dtmf_in(struct va_buf *out, const char *stream_sid, long seq, char digit);
int va_media_write_mark_in(struct va_buf *out, const char *stream_sid, long seq, const char *name);
int va_media_write_stop_in(struct va_buf *out, const char *stream_sid, long seq,
			   const char *call_sid);

/* What the server sends, parsed (for the simulator and tests). */
enum va_media_out_type {
	VA_MEDIA_OUT_MEDIA = 1,
	VA_MEDIA_OUT_MARK,
	VA_MEDIA_OUT_CLEAR,
	VA_MEDIA_OUT_UNKNOWN,
};
struct va_media_out {
	enum va_media_out_type type;
	char stream_sid[64];
	char mark_name[128];
	size_t len;
	uint8_t audio[VA_MEDIA_MAX_AUDIO * 4];
};
int va_media_parse_out(const char *data, size_t len, struct va_media_out *out);

#endif
