/* SPDX-License-Identifier: MIT */
/*
 * msg.c - Twilio Media Streams JSON <-> structs (msg.h). Counters arrive as
 * strings ("sequenceNumber":"4"); mediaFormat numbers as numbers. Base64 is
 * decoded strictly (RFC 4648, padded, no whitespace): a payload that is not
 * exactly base64 is refused rather than half-read.
 */
#include "media/msg.h"

#include "core/alloc.h"
#include "core/b64.h"
#include "core/err.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Stream ids are [A-Za-z0-9] (checked at start): safe in JSON as they are. */
static bool sid_ok(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9')))
			return false;
	return true;
}

static int fail(char *why, size_t whysz, const char *msg)
{
	if (why && whysz)
		snprintf(why, whysz, "%s", msg);
	return VA_E_PARSE;
}

static int copy_str(json_t *o, const char *key, char *dst, size_t size, bool required)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return required ? VA_E_PARSE : VA_OK;
	if (!json_is_string(v) || json_string_length(v) >= size ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return VA_E_PARSE;
	memcpy(dst, json_string_value(v), json_string_length(v) + 1);
	return VA_OK;
}

/* "4" or 4 -> 4; -1 when absent; VA_E_PARSE (as -2) when not a count. */
static long counter(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	const char *s;
	char *end;
	long n;

	if (!v)
		return -1;
	if (json_is_integer(v))
		return json_integer_value(v) >= 0 ? (long)json_integer_value(v) : -2;
	if (!json_is_string(v))
		return -2;
	s = json_string_value(v);
	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -2;
	n = strtol(s, &end, 10);
	return *end || n < 0 ? -2 : n;
}

static int parse_start(json_t *root, struct va_media_in *m, char *why, size_t whysz)
{
	struct va_media_start *s = &m->u.start;
	json_t *st = json_object_get(root, "start"), *fmt, *params, *v;
	const char *k;

	memset(s, 0, sizeof(*s));
	if (!json_is_object(st))
		return fail(why, whysz, "start without its start object");
	if (copy_str(st, "streamSid", s->stream_sid, sizeof(s->stream_sid), true) ||
	    copy_str(st, "callSid", s->call_sid, sizeof(s->call_sid), true) ||
	    copy_str(st, "accountSid", s->account_sid, sizeof(s->account_sid), false) ||
	    !s->stream_sid[0] || !s->call_sid[0])
		return fail(why, whysz, "start needs streamSid and callSid");
	if (m->stream_sid[0] && strcmp(m->stream_sid, s->stream_sid) != 0)
		return fail(why, whysz, "start names two different streams");
	if (!sid_ok(s->stream_sid) || !sid_ok(s->call_sid))
		return fail(why, whysz, "streamSid and callSid must be letters and digits");
	memcpy(m->stream_sid, s->stream_sid, sizeof(m->stream_sid));
	fmt = json_object_get(st, "mediaFormat");
	if (fmt) {
		json_t *enc = json_object_get(fmt, "encoding"), *rate, *ch;

		rate = json_object_get(fmt, "sampleRate");
		ch = json_object_get(fmt, "channels");
		if (!json_is_object(fmt) || !json_is_string(enc) ||
		    strcmp(json_string_value(enc), "audio/x-mulaw") != 0 ||
		    (rate && (!json_is_integer(rate) || json_integer_value(rate) != 8000)) ||
		    (ch && (!json_is_integer(ch) || json_integer_value(ch) != 1)))
			return fail(why, whysz, "only audio/x-mulaw 8000 Hz mono is supported");
	}
	params = json_object_get(st, "customParameters");
	if (params && !json_is_object(params))
		return fail(why, whysz, "customParameters must be an object");
	json_object_foreach(params, k, v)
	{
		struct va_media_param *p;

		if (s->n_params == VA_MEDIA_MAX_PARAMS)
			break;
		if (!json_is_string(v) || strlen(k) >= sizeof(p->name) ||
		    json_string_length(v) >= sizeof(p->value))
			continue;
		p = &s->params[s->n_params++];
		snprintf(p->name, sizeof(p->name), "%s", k);
		snprintf(p->value, sizeof(p->value), "%s", json_string_value(v));
	}
	return VA_OK;
}

static int parse_media(json_t *root, struct va_media_in *m, char *why, size_t whysz)
{
	struct va_media_audio *a = &m->u.media;
	json_t *md = json_object_get(root, "media"), *pl, *tr;
	long n;

	a->len = 0;
	a->inbound = true;
	memcpy(a->stream_sid, m->stream_sid, sizeof(a->stream_sid));
	if (!json_is_object(md))
		return fail(why, whysz, "media without its media object");
	pl = json_object_get(md, "payload");
	if (!json_is_string(pl))
		return fail(why, whysz, "media without a payload");
	tr = json_object_get(md, "track");
	if (tr && (!json_is_string(tr) || (strcmp(json_string_value(tr), "inbound") != 0 &&
					   strcmp(json_string_value(tr), "outbound") != 0)))
		return fail(why, whysz, "unknown media track");
	a->inbound = !tr || strcmp(json_string_value(tr), "inbound") == 0;
	a->chunk = counter(md, "chunk");
	a->timestamp_ms = counter(md, "timestamp");
	if (a->chunk < -1 || a->timestamp_ms < -1)
		return fail(why, whysz, "chunk and timestamp must be counts");
	n = va_b64_decode(json_string_value(pl), json_string_length(pl), a->audio,
			  sizeof(a->audio));
	if (n < 0)
		return fail(why, whysz, "payload is not base64 audio of an acceptable size");
	a->len = (size_t)n;
	return VA_OK;
}

int va_media_parse(const char *data, size_t len, struct va_media_in *out, char *why, size_t whysz)
{
	json_error_t jerr;
	json_t *root = NULL, *ev;
	const char *e;
	int rc = VA_OK;

	if (why && whysz)
		why[0] = '\0';
	out->type = VA_MEDIA_IN_UNKNOWN;
	out->stream_sid[0] = '\0';
	if (!data || len > VA_MEDIA_MAX_FRAME)
		return fail(why, whysz, "frame too large");
	root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(root)) {
		rc = fail(why, whysz, "not a JSON object");
		goto out;
	}
	ev = json_object_get(root, "event");
	if (!json_is_string(ev)) {
		rc = fail(why, whysz, "no event");
		goto out;
	}
	e = json_string_value(ev);
	if (strcmp(e, "connected") == 0) {
		out->type = VA_MEDIA_IN_CONNECTED;
		goto out;
	}
	if (copy_str(root, "streamSid", out->stream_sid, sizeof(out->stream_sid), false)) {
		rc = fail(why, whysz, "streamSid must be a string");
		goto out;
	}
	if (strcmp(e, "start") == 0) {
		out->type = VA_MEDIA_IN_START;
		rc = parse_start(root, out, why, whysz);
	} else if (strcmp(e, "media") == 0) {
		out->type = VA_MEDIA_IN_MEDIA;
		rc = parse_media(root, out, why, whysz);
	} else if (strcmp(e, "dtmf") == 0) {
		json_t *d = json_object_get(json_object_get(root, "dtmf"), "digit");
		const char *s = json_is_string(d) ? json_string_value(d) : "";

		out->type = VA_MEDIA_IN_DTMF;
		if (strlen(s) != 1 || !strchr("0123456789*#ABCD", s[0]))
			rc = fail(why, whysz, "dtmf needs one digit");
		else
			out->u.digit = s[0];
	} else if (strcmp(e, "mark") == 0) {
		json_t *mk = json_object_get(root, "mark");

		out->type = VA_MEDIA_IN_MARK;
		out->u.mark_name[0] = '\0';
		if (!json_is_object(mk) ||
		    copy_str(mk, "name", out->u.mark_name, sizeof(out->u.mark_name), true))
			rc = fail(why, whysz, "mark needs a name");
	} else if (strcmp(e, "stop") == 0) {
		out->type = VA_MEDIA_IN_STOP;
	} else {
		out->type = VA_MEDIA_IN_UNKNOWN;
	}
	if (rc == VA_OK && out->type != VA_MEDIA_IN_UNKNOWN && !out->stream_sid[0])
		rc = fail(why, whysz, "no streamSid");
out:
	json_decref(root);
	return rc;
}

const char *va_media_start_param(const struct va_media_start *s, const char *name)
{
	for (size_t i = 0; s && name && i < s->n_params; i++)
		if (strcmp(s->params[i].name, name) == 0)
			return s->params[i].value;
	return NULL;
}

/* ---- writing --------------------------------------------------------------- */

static int dump(struct va_buf *out, json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	int rc = s ? va_buf_append_str(out, s) : VA_E_NOMEM;

	free(s);
	json_decref(j);
	return rc;
}

int va_media_write_media(struct va_buf *out, const char *stream_sid, const uint8_t *audio,
			 size_t len)
{
	char *p;
	int rc;

	if (!stream_sid || (!audio && len) || len > (1u << 20))
		return VA_E_INVAL;
	p = va_b64_encode(audio, len);
	rc = dump(out, json_pack("{s:s, s:s, s:{s:s}}", "event", "media", "streamSid", stream_sid,
				 "media", "payload", p));
	free(p);
	return rc;
}

int va_media_write_media_b64(struct va_buf *out, const char *stream_sid, const char *b64,
			     size_t b64_len)
{
	int rc;

	if (!sid_ok(stream_sid) || (!b64 && b64_len) || b64_len > (1u << 22))
		return VA_E_INVAL;
	rc = va_buf_appendf(
	    out, "{\"event\":\"media\",\"streamSid\":\"%s\",\"media\":{\"payload\":\"", stream_sid);
	if (!rc)
		rc = va_buf_append(out, b64, b64_len);
	if (!rc)
		rc = va_buf_append_str(out, "\"}}");
	return rc;
}

int va_media_write_mark(struct va_buf *out, const char *stream_sid, const char *name)
{
	if (!stream_sid || !name)
		return VA_E_INVAL;
	return dump(out, json_pack("{s:s, s:s, s:{s:s}}", "event", "mark", "streamSid", stream_sid,
				   "mark", "name", name));
}

int va_media_write_clear(struct va_buf *out, const char *stream_sid)
{
	if (!stream_sid)
		return VA_E_INVAL;
	return dump(out, json_pack("{s:s, s:s}", "event", "clear", "streamSid", stream_sid));
}

int va_media_write_connected(struct va_buf *out)
{
	return dump(out, json_pack("{s:s, s:s, s:s}", "event", "connected", "protocol", "Call",
				   "version", "1.0.0"));
}

int va_media_write_start(struct va_buf *out, const struct va_media_start *s)
{
	json_t *params = json_object(), *j;
	char seq[8] = "1";

	for (size_t i = 0; i < s->n_params; i++)
		json_object_set_new(params, s->params[i].name, json_string(s->params[i].value));
	j = json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:s, s:[s], s:o, s:{s:s, s:i, s:i}}}", "event",
		      "start", "sequenceNumber", seq, "streamSid", s->stream_sid, "start",
		      "accountSid", s->account_sid, "streamSid", s->stream_sid, "callSid",
		      s->call_sid, "tracks", "inbound", "customParameters", params, "mediaFormat",
		      "encoding", "audio/x-mulaw", "sampleRate", 8000, "channels", 1);
	return dump(out, j);
}

int va_media_write_audio_in(struct va_buf *out, const char *stream_sid, long seq, long chunk,
			    long timestamp_ms, const uint8_t *audio, size_t len)
{
	char s[24], c[24], t[24];
	char *p;
	int rc;

	snprintf(s, sizeof(s), "%ld", seq);
	snprintf(c, sizeof(c), "%ld", chunk);
	snprintf(t, sizeof(t), "%ld", timestamp_ms);
	p = va_b64_encode(audio, len);
	rc = dump(out, json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s}}", "event", "media",
				 "sequenceNumber", s, "streamSid", stream_sid, "media", "track",
				 "inbound", "chunk", c, "timestamp", t, "payload", p));
	free(p);
	return rc;
}

int va_media_write_dtmf_in(struct va_buf *out, const char *stream_sid, long seq, char digit)
{
	char s[24], d[2] = {digit, 0};

	snprintf(s, sizeof(s), "%ld", seq);
	return dump(out, json_pack("{s:s, s:s, s:s, s:{s:s, s:s}}", "event", "dtmf", "streamSid",
				   stream_sid, "sequenceNumber", s, "dtmf", "track",
				   "inbound_track", "digit", d));
}

int va_media_write_mark_in(struct va_buf *out, const char *stream_sid, long seq, const char *name)
{
	char s[24];

	snprintf(s, sizeof(s), "%ld", seq);
	return dump(out, json_pack("{s:s, s:s, s:s, s:{s:s}}", "event", "mark", "sequenceNumber", s,
				   "streamSid", stream_sid, "mark", "name", name));
}

int va_media_write_stop_in(struct va_buf *out, const char *stream_sid, long seq,
			   const char *call_sid)
{
	char s[24];

	snprintf(s, sizeof(s), "%ld", seq);
	return dump(out,
		    json_pack("{s:s, s:s, s:s, s:{s:s, s:s}}", "event", "stop", "sequenceNumber", s,
			      "streamSid", stream_sid, "stop", "accountSid",
			      "AC00000000000000000000000000000000", "callSid", call_sid));
}

int va_media_parse_out(const char *data, size_t len, struct va_media_out *out)
{
	json_t *root = json_loadb(data, len, 0, NULL), *ev;
	const char *e;
	int rc = VA_OK;

	memset(out, 0, offsetof(struct va_media_out, audio));
	if (!json_is_object(root) || !json_is_string(ev = json_object_get(root, "event"))) {
		rc = VA_E_PARSE;
		goto out;
	}
	e = json_string_value(ev);
	if (copy_str(root, "streamSid", out->stream_sid, sizeof(out->stream_sid), true)) {
		rc = VA_E_PARSE;
		goto out;
	}
	if (strcmp(e, "media") == 0) {
		json_t *p = json_object_get(json_object_get(root, "media"), "payload");
		long n = json_is_string(p)
			     ? va_b64_decode(json_string_value(p), json_string_length(p),
					     out->audio, sizeof(out->audio))
			     : -1;

		out->type = VA_MEDIA_OUT_MEDIA;
		if (n < 0)
			rc = VA_E_PARSE;
		else
			out->len = (size_t)n;
	} else if (strcmp(e, "mark") == 0) {
		out->type = VA_MEDIA_OUT_MARK;
		if (copy_str(json_object_get(root, "mark"), "name", out->mark_name,
			     sizeof(out->mark_name), true))
			rc = VA_E_PARSE;
	} else if (strcmp(e, "clear") == 0) {
		out->type = VA_MEDIA_OUT_CLEAR;
	} else {
		out->type = VA_MEDIA_OUT_UNKNOWN;
	}
out:
	json_decref(root);
	return rc;
}
