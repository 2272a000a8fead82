/* SPDX-License-Identifier: MIT */
/*
 * mock_realtime.c - a mock OpenAI Realtime server (GA interface) for the
 * integration tests and the benchmark. It speaks the WebSocket wire format of
 * the real API (protocols.md §5.3-5.4: session events, input audio buffer,
 * conversation items, responses with audio and transcript deltas carrying
 * real mu-law audio from a file, function calls with fragmented arguments,
 * cancellation, truncation, errors shaped like the real ones), refuses the
 * beta names (§5.2), and records what each connection sent under GET /_log.
 * libwebsockets serves the WebSocket and the control endpoints on one port,
 * on a foreign libuv loop; pacing uses loop timers, so hundreds of sessions
 * cost no threads. See mock_realtime.md for the behaviours.
 */
#include <errno.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <time.h>
#include <uv.h>

#include "audio/g711.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"

#define RT_MAX_MESSAGE	    (1024 * 1024) /* default --max-message */
#define RT_OUT_MAX_BYTES    (64u << 20)	  /* unread events before the peer is dropped */
#define RT_EVENTS_KEPT	    5000	  /* client event types kept per connection */
#define RT_HTTP_BODY_MAX    (1u << 20)
#define RT_HTTP_CHUNK	    16384
#define RT_SLOW_DEFAULT	    3000
#define RT_CHUNK_MS_DEFAULT 20
#define RT_VAD_FRAME_MS	    10
#define RT_VAD_ONSET_FRAMES 3
#define RT_MIN_COMMIT_MS    100
#define RT_QUOTE_MAX	    80
#define RT_ID_MAX	    48
#define RT_AUDIO_MS_MAX	    (10 * 60 * 1000) /* longest scripted reply */

static const char plain_reply[] =
    "Thank you for calling Bright Smile Dental. How can I help you today?";
static const char default_heard[] = "I would like to book a cleaning.";
static const char default_tool[] = "check_availability";
static const char default_tool_args[] =
    "{\"service\":\"cleaning\",\"earliest\":\"2026-12-01T12:00:00-05:00\","
    "\"latest\":\"2026-12-01T17:00:00-05:00\"}";
static const char server_error_msg[] =
    "The server had an error while processing your request. Sorry about that!";

enum rt_scenario {
	SC_PLAIN,
	SC_TOOL,
	SC_SCRIPT,
	SC_ERROR,
	SC_FAILED,
	SC_SILENT,
	SC_DROP,
	SC_DROP_EARLY,
	SC_SLOW,
	SC_COUNT
};

static const char *const scenario_names[SC_COUNT] = {
    "plain", "tool", "script", "error", "failed", "silent", "drop", "drop_early", "slow",
};

enum rt_fmt { FMT_PCM, FMT_PCMU, FMT_PCMA };

struct rt_opts {
	int port;
	int no_auth;
	int pace_ms;	    /* -1: each chunk's own duration (real time) */
	int chunk_ms;	    /* audio per delta */
	int first_audio_ms; /* -1: the scenario's default */
	int max_message;
	const char *audio_path;
	const char *script_path;
	const char *log_path;
	const char *scenario;
};

enum rt_item_kind { IT_USER, IT_ASSISTANT, IT_CALL, IT_CALL_OUTPUT, IT_OTHER };
enum rt_call_state { CALL_NONE, CALL_STREAMING, CALL_OPEN, CALL_ANSWERED, CALL_CUT };

struct rt_item {
	char id[RT_ID_MAX];
	enum rt_item_kind kind;
	size_t audio_bytes; /* assistant: mu-law bytes sent so far */
	char call_id[RT_ID_MAX];
	enum rt_call_state call;
	int deleted;
};

enum rt_step_kind {
	ST_SEND,       /* an event, nothing else to do */
	ST_ITEM_ADDED, /* response.output_item.added */
	ST_ITEM_DONE,  /* response.output_item.done */
	ST_AUDIO,      /* response.output_audio.delta */
	ST_TEXT,       /* a transcript or text delta */
	ST_DONE,       /* response.done: the response is over */
};

struct rt_step {
	unsigned delay_ms; /* waited before this step */
	enum rt_step_kind kind;
	json_t *ev; /* own reference until sent */
	size_t item;
	size_t audio; /* mu-law bytes this delta carries */
};

/* The response in flight: a plan of steps written in order, each after its
 * delay, so a cancel can stop it between any two events. */
struct rt_resp {
	char id[RT_ID_MAX];
	int active;
	struct rt_step *steps;
	size_t n, cap, next;
	int waited;
	json_t *log;  /* its entry in the connection's "responses" (own ref) */
	json_t *open; /* output_index -> item, added and not yet done */
	json_t *done; /* completed output items, in order */
	char status[16];
	struct va_buf transcript;
	size_t audio;
};

struct rt_out {
	struct rt_out *next;
	size_t len;
	unsigned char data[]; /* LWS_PRE + len */
};

struct rt_server;

struct rt_conn {
	struct rt_server *srv;
	struct rt_conn *prev, *next;
	struct lws *wsi;
	uv_timer_t timer;
	unsigned long n;
	enum rt_scenario sc;
	char model[128];
	int pace_ms, chunk_ms, first_audio_ms;
	json_t *entry;	 /* this connection's /_log entry (own ref) */
	json_t *session; /* the merged session */
	json_t *script;	 /* turns (own ref) or NULL */
	size_t turn;
	struct va_buf rx;
	int rx_skip; /* the message being received is over the limit */
	struct rt_out *head, *tail;
	size_t out_bytes;
	int drop; /* close without a close frame once the queue is written */
	unsigned long next_event, next_item, next_resp, next_call;
	struct rt_item *items;
	size_t nitems, capitems;
	char last_item[RT_ID_MAX], last_item_next[RT_ID_MAX];
	enum rt_fmt in_fmt, out_fmt;
	int text_only;
	int transcribe, whisper;
	int vad; /* 0 off, 1 server_vad, 2 semantic_vad */
	double vad_threshold;
	int prefix_ms, silence_ms, create_response, interrupt_response;
	size_t buf_bytes; /* uncommitted input audio */
	uint64_t fnv;	  /* FNV-1a over every input audio byte */
	double vad_sumsq;
	size_t vad_n;
	uint64_t vad_frames;
	int vad_speaking, pcm_half;
	uint8_t pcm_lo;
	unsigned vad_run, vad_silence;
	char vad_item[RT_ID_MAX];
	struct rt_resp resp;
	int after_tool; /* the last item is a function_call_output */
	char last_output[RT_QUOTE_MAX + 1];
};

struct rt_server {
	uv_loop_t loop;
	uv_signal_t sigterm, sigint;
	struct lws_context *lws;
	struct rt_opts opt;
	unsigned char *audio;
	size_t audio_len;
	json_t *script;
	json_t *log;	 /* connection entries, oldest first */
	json_t *refused; /* refused handshakes */
	struct rt_conn *conns;
	unsigned long nconn;
	uint64_t t0_ms;
	FILE *logf;
	int stopping;
};

struct rt_http {
	int post;
	char path[256];
	struct va_buf in;
	int too_big;
	int responded, headers_sent;
	int status;
	const char *ctype;
	char *body;
	size_t len, sent;
};

struct rt_pss {
	struct rt_conn *conn;
	struct rt_http *http;
};

struct rt_verr {
	char code[48];
	char param[160];
	char msg[400];
};

static struct rt_server server;

static void resp_pump(struct rt_conn *c);
static void resp_start(struct rt_conn *c, json_t *params, const char *trigger, json_t *eid);
static void resp_cancel(struct rt_conn *c, const char *reason);

/* ---- small helpers ---- */

static uint64_t now_ms(void)
{
	return uv_hrtime() / 1000000u;
}

static int scenario_lookup(const char *name)
{
	int i;

	for (i = 0; i < SC_COUNT; i++)
		if (!strcmp(scenario_names[i], name))
			return i;
	return -1;
}

static const char *str_or(json_t *v, const char *dflt)
{
	const char *s = json_string_value(v);

	return s ? s : dflt;
}

static int in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return 1;
	return 0;
}

static const char b64_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Caller frees. */
static char *b64_encode(const unsigned char *p, size_t n)
{
	char *out = va_xmalloc((n + 2) / 3 * 4 + 1), *o = out;
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

		*o++ = b64_chars[v >> 18];
		*o++ = b64_chars[(v >> 12) & 63];
		*o++ = b64_chars[(v >> 6) & 63];
		*o++ = b64_chars[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);

		*o++ = b64_chars[v >> 18];
		*o++ = b64_chars[(v >> 12) & 63];
		*o++ = i + 1 < n ? b64_chars[(v >> 6) & 63] : '=';
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

static int b64_val(char ch)
{
	const char *q = ch ? strchr(b64_chars, ch) : NULL;

	return q ? (int)(q - b64_chars) : -1;
}

/* Strict RFC 4648 base64 (padded, no whitespace) into a new buffer the caller
 * frees; VA_E_PARSE for anything else. */
static int b64_decode(const char *s, size_t len, unsigned char **out, size_t *outlen)
{
	unsigned char *o;
	size_t i, n = 0, pad = 0;

	*out = NULL;
	*outlen = 0;
	if (len % 4)
		return VA_E_PARSE;
	if (len && s[len - 1] == '=')
		pad = len >= 2 && s[len - 2] == '=' ? 2 : 1;
	o = va_xmalloc(len / 4 * 3 + 1);
	for (i = 0; i < len; i += 4) {
		int v[4], k, last = i + 4 == len;

		for (k = 0; k < 4; k++) {
			v[k] = last && k >= 4 - (int)pad ? 0 : b64_val(s[i + (size_t)k]);
			if (v[k] < 0) {
				free(o);
				return VA_E_PARSE;
			}
		}
		o[n++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		if (!last || pad < 2)
			o[n++] = (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
		if (!last || pad < 1)
			o[n++] = (unsigned char)((v[2] & 3) << 6 | v[3]);
	}
	*out = o;
	*outlen = n;
	return VA_OK;
}

/* G.711 A-law to linear (the classic Sun g711.c alaw2linear). */
static int16_t alaw_decode(uint8_t a)
{
	int t, seg;

	a ^= 0x55;
	t = (a & 0x0f) << 4;
	seg = (a & 0x70) >> 4;
	if (seg == 0)
		t += 8;
	else if (seg == 1)
		t += 0x108;
	else
		t = (t + 0x108) << (seg - 1);
	return (int16_t)((a & 0x80) ? t : -t);
}

/* ---- the /_log entry of a connection ---- */

static json_t *entry_new(struct rt_conn *c, const char *path, int auth)
{
	json_t *e = json_object();
	static const char *const arrays[] = {"events",	  "response_params",
					     "responses", "cancels",
					     "truncates", "function_call_outputs",
					     "calls",	  "items_created",
					     "deletes",	  "errors",
					     NULL};
	static const char *const counters[] = {
	    "events_dropped",	     "session_updates",	 "audio_bytes", "appends",
	    "audio_bytes_committed", "commits",		 "clears",	"speech_started",
	    "speech_stopped",	     "response_creates", NULL};
	const char *const *k;

	json_object_set_new(e, "n", json_integer((json_int_t)c->n));
	json_object_set_new(e, "path", json_string(path));
	json_object_set_new(e, "model", json_string(c->model));
	json_object_set_new(e, "scenario", json_string(scenario_names[c->sc]));
	json_object_set_new(e, "auth", json_boolean(auth));
	json_object_set_new(e, "opened_ms", json_integer((json_int_t)(now_ms() - c->srv->t0_ms)));
	json_object_set_new(e, "closed", json_false());
	json_object_set_new(e, "dropped", json_false());
	json_object_set_new(e, "event_counts", json_object());
	json_object_set_new(e, "session", json_deep_copy(c->session));
	json_object_set_new(e, "session_update", json_null());
	json_object_set_new(e, "audio_fnv1a", json_string("cbf29ce484222325"));
	for (k = arrays; *k; k++)
		json_object_set_new(e, *k, json_array());
	for (k = counters; *k; k++)
		json_object_set_new(e, *k, json_integer(0));
	return e;
}

static void entry_inc(struct rt_conn *c, const char *key, json_int_t by)
{
	json_t *v = json_object_get(c->entry, key);

	json_object_set_new(c->entry, key, json_integer(json_integer_value(v) + by));
}

/* Steals v. */
static void entry_push(struct rt_conn *c, const char *key, json_t *v)
{
	json_array_append_new(json_object_get(c->entry, key), v);
}

static void entry_event(struct rt_conn *c, const char *type)
{
	json_t *counts = json_object_get(c->entry, "event_counts");

	json_object_set_new(counts, type,
			    json_integer(json_integer_value(json_object_get(counts, type)) + 1));
	if (json_array_size(json_object_get(c->entry, "events")) < RT_EVENTS_KEPT)
		entry_push(c, "events", json_string(type));
	else
		entry_inc(c, "events_dropped", 1);
}

/* ---- writing events ---- */

static void conn_drop(struct rt_conn *c)
{
	if (c->drop || !c->wsi)
		return;
	c->drop = 1;
	json_object_set_new(c->entry, "dropped", json_true());
	uv_timer_stop(&c->timer);
	lws_callback_on_writable(c->wsi);
}

/* Sends one server event; steals ev and gives it the next event_id. */
static void conn_send(struct rt_conn *c, json_t *ev)
{
	char id[RT_ID_MAX], *s;
	struct rt_out *o;
	size_t len;

	if (!ev)
		return;
	if (!c->wsi || c->drop) {
		json_decref(ev);
		return;
	}
	snprintf(id, sizeof(id), "event_mock%03lu%06lu", c->n, ++c->next_event);
	json_object_set_new(ev, "event_id", json_string(id));
	s = json_dumps(ev, JSON_COMPACT);
	json_decref(ev);
	if (!s)
		return;
	len = strlen(s);
	if (c->out_bytes + len > RT_OUT_MAX_BYTES) {
		VA_WARN("mock", NULL, "slow_client_dropped", "conn=%lu queued=%zu", c->n,
			c->out_bytes);
		free(s);
		conn_drop(c);
		return;
	}
	o = va_xmalloc(sizeof(*o) + LWS_PRE + len);
	memcpy(o->data + LWS_PRE, s, len);
	free(s);
	o->len = len;
	o->next = NULL;
	if (c->tail)
		c->tail->next = o;
	else
		c->head = o;
	c->tail = o;
	c->out_bytes += len;
	lws_callback_on_writable(c->wsi);
}

/* An `error` event shaped like the real API's; client_eid is the offending
 * event's event_id (borrowed, may be NULL). */
static void send_error(struct rt_conn *c, const char *for_type, const char *type, const char *code,
		       const char *param, json_t *client_eid, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

static void send_error(struct rt_conn *c, const char *for_type, const char *type, const char *code,
		       const char *param, json_t *client_eid, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	json_t *err, *rec;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	err = json_pack("{s:s,s:o,s:s,s:o,s:o}", "type", type, "code",
			code ? json_string(code) : json_null(), "message", msg, "param",
			param ? json_string(param) : json_null(), "event_id",
			json_is_string(client_eid) ? json_incref(client_eid) : json_null());
	rec = json_deep_copy(err);
	json_object_set_new(rec, "for", json_string(for_type));
	entry_push(c, "errors", rec);
	VA_INFO("mock", NULL, "error_sent", "conn=%lu for=%s code=%s", c->n, for_type,
		code ? code : "null");
	conn_send(c, json_pack("{s:s,s:o}", "type", "error", "error", err));
}

static void invalid(struct rt_conn *c, const char *for_type, json_t *eid, const struct rt_verr *e)
{
	send_error(c, for_type, "invalid_request_error", e->code, e->param[0] ? e->param : NULL,
		   eid, "%s", e->msg);
}

/* ---- validation (the GA session shape) ---- */

static int verr(struct rt_verr *e, const char *code, const char *param, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int verr(struct rt_verr *e, const char *code, const char *param, const char *fmt, ...)
{
	va_list ap;

	snprintf(e->code, sizeof(e->code), "%s", code);
	snprintf(e->param, sizeof(e->param), "%s", param ? param : "");
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

static const char *jtype(json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a decimal";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "null";
	}
}

static int bad_type(struct rt_verr *e, const char *path, json_t *v, const char *want)
{
	return verr(e, "invalid_type", path,
		    "Invalid type for '%s': expected %s, but got %s instead.", path, want,
		    jtype(v));
}

static int missing(struct rt_verr *e, const char *path)
{
	return verr(e, "missing_required_parameter", path, "Missing required parameter: '%s'.",
		    path);
}

static int check_keys(json_t *o, const char *path, const char *const *allowed, struct rt_verr *e)
{
	const char *k;
	json_t *v;
	char p[160];

	json_object_foreach(o, k, v)
	{
		if (in_list(k, allowed))
			continue;
		snprintf(p, sizeof(p), "%s.%s", path, k);
		return verr(e, "unknown_parameter", p, "Unknown parameter: '%s'.", p);
	}
	return 0;
}

/* An optional member: absent is fine; present must satisfy the predicate. */
static int check_opt(json_t *o, const char *key, const char *path, int (*ok)(json_t *),
		     const char *want, struct rt_verr *e)
{
	json_t *v = json_object_get(o, key);
	char p[160];

	if (!v || ok(v))
		return 0;
	snprintf(p, sizeof(p), "%s.%s", path, key);
	return bad_type(e, p, v, want);
}

static int is_string(json_t *v)
{
	return json_is_string(v);
}
static int is_bool(json_t *v)
{
	return json_is_boolean(v);
}
static int is_uint(json_t *v)
{
	return json_is_integer(v) && json_integer_value(v) >= 0;
}
static int is_obj_or_null(json_t *v)
{
	return json_is_object(v) || json_is_null(v);
}

static int check_format(json_t *f, const char *path, struct rt_verr *e)
{
	static const char *const keys[] = {"type", "rate", NULL};
	static const char *const types[] = {"audio/pcm", "audio/pcmu", "audio/pcma", NULL};
	json_t *t, *rate;
	char p[160];

	if (!json_is_object(f))
		return bad_type(e, path, f, "an object");
	if (check_keys(f, path, keys, e))
		return -1;
	t = json_object_get(f, "type");
	snprintf(p, sizeof(p), "%s.type", path);
	if (!t)
		return missing(e, p);
	if (!json_is_string(t))
		return bad_type(e, p, t, "a string");
	if (!in_list(json_string_value(t), types))
		return verr(e, "invalid_value", p,
			    "Invalid value: '%s'. Supported values are: 'audio/pcm', "
			    "'audio/pcmu', and 'audio/pcma'.",
			    json_string_value(t));
	rate = json_object_get(f, "rate");
	snprintf(p, sizeof(p), "%s.rate", path);
	if (rate && strcmp(json_string_value(t), "audio/pcm"))
		return verr(e, "unknown_parameter", p, "Unknown parameter: '%s'.", p);
	if (rate && (!json_is_integer(rate) || json_integer_value(rate) != 24000))
		return verr(e, "invalid_value", p,
			    "Invalid value for '%s': only 24000 is supported for audio/pcm.", p);
	return 0;
}

static int check_turn_detection(json_t *td, const char *path, struct rt_verr *e)
{
	static const char *const server_keys[] = {"type",
						  "threshold",
						  "prefix_padding_ms",
						  "silence_duration_ms",
						  "create_response",
						  "interrupt_response",
						  "idle_timeout_ms",
						  NULL};
	static const char *const semantic_keys[] = {"type", "eagerness", "create_response",
						    "interrupt_response", NULL};
	static const char *const eagerness[] = {"low", "medium", "high", "auto", NULL};
	json_t *t, *v;
	char p[160];

	if (json_is_null(td))
		return 0;
	if (!json_is_object(td))
		return bad_type(e, path, td, "an object");
	t = json_object_get(td, "type");
	snprintf(p, sizeof(p), "%s.type", path);
	if (!t)
		return missing(e, p);
	if (!json_is_string(t))
		return bad_type(e, p, t, "a string");
	if (!strcmp(json_string_value(t), "server_vad")) {
		if (check_keys(td, path, server_keys, e))
			return -1;
		v = json_object_get(td, "threshold");
		snprintf(p, sizeof(p), "%s.threshold", path);
		if (v &&
		    (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 1))
			return verr(e, "invalid_value", p,
				    "Invalid '%s': expected a number between 0 and 1.", p);
		if (check_opt(td, "prefix_padding_ms", path, is_uint, "an integer", e) ||
		    check_opt(td, "silence_duration_ms", path, is_uint, "an integer", e))
			return -1;
		v = json_object_get(td, "idle_timeout_ms");
		if (v && !json_is_null(v) && !is_uint(v)) {
			snprintf(p, sizeof(p), "%s.idle_timeout_ms", path);
			return bad_type(e, p, v, "an integer");
		}
	} else if (!strcmp(json_string_value(t), "semantic_vad")) {
		if (check_keys(td, path, semantic_keys, e))
			return -1;
		v = json_object_get(td, "eagerness");
		snprintf(p, sizeof(p), "%s.eagerness", path);
		if (v && (!json_is_string(v) || !in_list(json_string_value(v), eagerness)))
			return verr(e, "invalid_value", p,
				    "Invalid value for '%s'. Supported values are: 'low', "
				    "'medium', 'high', and 'auto'.",
				    p);
	} else {
		return verr(e, "invalid_value", p,
			    "Invalid value: '%s'. Supported values are: 'server_vad' and "
			    "'semantic_vad'.",
			    json_string_value(t));
	}
	if (check_opt(td, "create_response", path, is_bool, "a boolean", e) ||
	    check_opt(td, "interrupt_response", path, is_bool, "a boolean", e))
		return -1;
	return 0;
}

static int check_audio(json_t *a, struct rt_verr *e)
{
	static const char *const keys[] = {"input", "output", NULL};
	static const char *const in_keys[] = {"format", "transcription", "turn_detection",
					      "noise_reduction", NULL};
	static const char *const out_keys[] = {"format", "voice", "speed", NULL};
	static const char *const tr_keys[] = {"model", "language", "prompt", NULL};
	static const char *const nr_keys[] = {"type", NULL};
	static const char *const nr_types[] = {"near_field", "far_field", NULL};
	json_t *in, *out, *v;

	if (!json_is_object(a))
		return bad_type(e, "session.audio", a, "an object");
	if (check_keys(a, "session.audio", keys, e))
		return -1;
	in = json_object_get(a, "input");
	if (in) {
		if (!json_is_object(in))
			return bad_type(e, "session.audio.input", in, "an object");
		if (check_keys(in, "session.audio.input", in_keys, e))
			return -1;
		if ((v = json_object_get(in, "format")) &&
		    check_format(v, "session.audio.input.format", e))
			return -1;
		if ((v = json_object_get(in, "turn_detection")) &&
		    check_turn_detection(v, "session.audio.input.turn_detection", e))
			return -1;
		if (check_opt(in, "transcription", "session.audio.input", is_obj_or_null,
			      "an object", e))
			return -1;
		v = json_object_get(in, "transcription");
		if (json_is_object(v) &&
		    (check_keys(v, "session.audio.input.transcription", tr_keys, e) ||
		     check_opt(v, "model", "session.audio.input.transcription", is_string,
			       "a string", e) ||
		     check_opt(v, "language", "session.audio.input.transcription", is_string,
			       "a string", e)))
			return -1;
		if (check_opt(in, "noise_reduction", "session.audio.input", is_obj_or_null,
			      "an object", e))
			return -1;
		v = json_object_get(in, "noise_reduction");
		if (json_is_object(v)) {
			if (check_keys(v, "session.audio.input.noise_reduction", nr_keys, e))
				return -1;
			if (!in_list(str_or(json_object_get(v, "type"), ""), nr_types))
				return verr(e, "invalid_value",
					    "session.audio.input.noise_reduction.type",
					    "Invalid value for "
					    "'session.audio.input.noise_reduction.type'. Supported "
					    "values are: 'near_field' and 'far_field'.");
		}
	}
	out = json_object_get(a, "output");
	if (out) {
		if (!json_is_object(out))
			return bad_type(e, "session.audio.output", out, "an object");
		if (check_keys(out, "session.audio.output", out_keys, e))
			return -1;
		if ((v = json_object_get(out, "format")) &&
		    check_format(v, "session.audio.output.format", e))
			return -1;
		v = json_object_get(out, "voice");
		if (v && !json_is_string(v) &&
		    !(json_is_object(v) && json_is_string(json_object_get(v, "id"))))
			return bad_type(e, "session.audio.output.voice", v, "a string");
		v = json_object_get(out, "speed");
		if (v && (!json_is_number(v) || json_number_value(v) < 0.25 ||
			  json_number_value(v) > 1.5))
			return verr(e, "invalid_value", "session.audio.output.speed",
				    "Invalid 'session.audio.output.speed': expected a number "
				    "between 0.25 and 1.5.");
	}
	return 0;
}

static int check_tools(json_t *tools, struct rt_verr *e)
{
	static const char *const keys[] = {"type", "name", "description", "parameters", NULL};
	json_t *t, *v;
	size_t i;
	char p[160];

	if (!json_is_array(tools))
		return bad_type(e, "session.tools", tools, "an array");
	json_array_foreach(tools, i, t)
	{
		snprintf(p, sizeof(p), "session.tools[%zu]", i);
		if (!json_is_object(t))
			return bad_type(e, p, t, "an object");
		v = json_object_get(t, "type");
		if (json_is_string(v) && !strcmp(json_string_value(v), "mcp"))
			return verr(e, "invalid_value", p,
				    "MCP tools are not supported by this mock.");
		if (check_keys(t, p, keys, e))
			return -1;
		snprintf(p, sizeof(p), "session.tools[%zu].type", i);
		if (!v)
			return missing(e, p);
		if (!json_is_string(v) || strcmp(json_string_value(v), "function"))
			return verr(e, "invalid_value", p,
				    "Invalid value: '%s'. Supported values are: 'function' and "
				    "'mcp'.",
				    str_or(v, "?"));
		v = json_object_get(t, "name");
		snprintf(p, sizeof(p), "session.tools[%zu].name", i);
		if (!v)
			return missing(e, p);
		if (!json_is_string(v))
			return bad_type(e, p, v, "a string");
		v = json_object_get(t, "parameters");
		snprintf(p, sizeof(p), "session.tools[%zu].parameters", i);
		if (v && !json_is_object(v))
			return bad_type(e, p, v, "an object");
	}
	return 0;
}

/* 0 when s is a GA `session` object this mock accepts; else -1 with the
 * error the real API would give. Beta names are unknown parameters there. */
static int session_check(json_t *s, struct rt_verr *e)
{
	static const char *const keys[] = {
	    "type",    "model",	     "instructions", "output_modalities",
	    "audio",   "tools",	     "tool_choice",  "max_output_tokens",
	    "tracing", "truncation", "prompt",	     "include",
	    NULL};
	static const char *const choices[] = {"none", "auto", "required", NULL};
	json_t *v;

	if (check_keys(s, "session", keys, e))
		return -1;
	v = json_object_get(s, "type");
	if (!v)
		return missing(e, "session.type");
	if (!json_is_string(v))
		return bad_type(e, "session.type", v, "a string");
	if (strcmp(json_string_value(v), "realtime"))
		return verr(e, "invalid_value", "session.type",
			    "Invalid value: '%s'. Supported values are: 'realtime' (transcription "
			    "sessions are not served by this mock).",
			    json_string_value(v));
	if (check_opt(s, "instructions", "session", is_string, "a string", e) ||
	    check_opt(s, "model", "session", is_string, "a string", e))
		return -1;
	v = json_object_get(s, "output_modalities");
	if (v) {
		const char *m = str_or(json_array_get(v, 0), "");

		if (!json_is_array(v))
			return bad_type(e, "session.output_modalities", v, "an array");
		if (json_array_size(v) != 1 || (strcmp(m, "audio") && strcmp(m, "text")))
			return verr(e, "invalid_value", "session.output_modalities",
				    "Invalid 'session.output_modalities': supported combinations "
				    "are ['text'] and ['audio'].");
	}
	if ((v = json_object_get(s, "audio")) && check_audio(v, e))
		return -1;
	if ((v = json_object_get(s, "tools")) && check_tools(v, e))
		return -1;
	v = json_object_get(s, "tool_choice");
	if (v && !(json_is_string(v) && in_list(json_string_value(v), choices)) &&
	    !(json_is_object(v) && !strcmp(str_or(json_object_get(v, "type"), ""), "function") &&
	      json_is_string(json_object_get(v, "name"))))
		return verr(e, "invalid_value", "session.tool_choice",
			    "Invalid 'session.tool_choice': expected 'none', 'auto', 'required' "
			    "or {\"type\":\"function\",\"name\":...}.");
	v = json_object_get(s, "max_output_tokens");
	if (v && !(json_is_string(v) && !strcmp(json_string_value(v), "inf")) &&
	    !(json_is_integer(v) && json_integer_value(v) >= 1 && json_integer_value(v) <= 4096))
		return verr(e, "invalid_value", "session.max_output_tokens",
			    "Invalid 'session.max_output_tokens': expected an integer between 1 "
			    "and 4096, or 'inf'.");
	return 0;
}

/* ---- the session ---- */

static json_t *session_default(struct rt_conn *c)
{
	char id[RT_ID_MAX];

	snprintf(id, sizeof(id), "sess_mock%06lu", c->n);
	return json_pack(
	    "{s:s,s:s,s:s,s:s,s:[s],s:s,s:[],s:s,s:s,s:n,s:s,s:n,s:I,s:n,"
	    "s:{s:{s:{s:s,s:i},s:n,s:n,s:{s:s,s:f,s:i,s:i,s:n,s:b,s:b}},"
	    "s:{s:{s:s,s:i},s:s,s:f}}}",
	    "type", "realtime", "object", "realtime.session", "id", id, "model", c->model,
	    "output_modalities", "audio", "instructions", "You are a helpful assistant.", "tools",
	    "tool_choice", "auto", "max_output_tokens", "inf", "tracing", "truncation", "auto",
	    "prompt", "expires_at", (json_int_t)time(NULL) + 3600, "include", "audio", "input",
	    "format", "type", "audio/pcm", "rate", 24000, "transcription", "noise_reduction",
	    "turn_detection", "type", "server_vad", "threshold", 0.5, "prefix_padding_ms", 300,
	    "silence_duration_ms", 500, "idle_timeout_ms", "create_response", 1,
	    "interrupt_response", 1, "output", "format", "type", "audio/pcm", "rate", 24000,
	    "voice", "marin", "speed", 1.0);
}

/* A session.update merges into the session: `audio.input` and `audio.output`
 * member by member, every other member (formats, turn_detection, tools)
 * replaced whole. */
static void session_merge(json_t *cur, json_t *upd)
{
	const char *k;
	json_t *v;

	json_object_foreach(upd, k, v)
	{
		json_t *ca;
		static const char *const dirs[] = {"input", "output", NULL};
		const char *const *d;

		if (strcmp(k, "audio")) {
			json_object_set(cur, k, v);
			continue;
		}
		ca = json_object_get(cur, "audio");
		if (!json_is_object(ca)) {
			ca = json_object();
			json_object_set_new(cur, "audio", ca);
		}
		for (d = dirs; *d; d++) {
			json_t *uv = json_object_get(v, *d), *cd = json_object_get(ca, *d);

			if (!uv)
				continue;
			if (!json_is_object(cd)) {
				cd = json_object();
				json_object_set_new(ca, *d, cd);
			}
			json_object_update(cd, uv);
		}
	}
}

static enum rt_fmt fmt_of(json_t *f)
{
	const char *t = str_or(json_object_get(f, "type"), "audio/pcm");

	return !strcmp(t, "audio/pcmu") ? FMT_PCMU : !strcmp(t, "audio/pcma") ? FMT_PCMA : FMT_PCM;
}

static size_t bytes_per_ms(enum rt_fmt f)
{
	return f == FMT_PCM ? 48 : 8;
}

static int bool_or(json_t *v, int dflt)
{
	return json_is_boolean(v) ? json_is_true(v) : dflt;
}

/* Derives what the mock acts on from the merged session. */
static void session_apply(struct rt_conn *c)
{
	json_t *audio = json_object_get(c->session, "audio");
	json_t *in = json_object_get(audio, "input"), *out = json_object_get(audio, "output");
	json_t *td = json_object_get(in, "turn_detection"),
	       *tr = json_object_get(in, "transcription");
	const char *type = str_or(json_object_get(td, "type"), "");
	int was = c->vad;

	c->in_fmt = fmt_of(json_object_get(in, "format"));
	c->out_fmt = fmt_of(json_object_get(out, "format"));
	c->text_only = !strcmp(
	    str_or(json_array_get(json_object_get(c->session, "output_modalities"), 0), "audio"),
	    "text");
	c->transcribe = json_is_object(tr);
	c->whisper = !strcmp(str_or(json_object_get(tr, "model"), ""), "whisper-1");
	c->vad = !strcmp(type, "server_vad") ? 1 : !strcmp(type, "semantic_vad") ? 2 : 0;
	c->vad_threshold = json_is_number(json_object_get(td, "threshold"))
			       ? json_number_value(json_object_get(td, "threshold"))
			       : 0.5;
	c->prefix_ms = json_is_integer(json_object_get(td, "prefix_padding_ms"))
			   ? (int)json_integer_value(json_object_get(td, "prefix_padding_ms"))
			   : 300;
	c->silence_ms = json_is_integer(json_object_get(td, "silence_duration_ms"))
			    ? (int)json_integer_value(json_object_get(td, "silence_duration_ms"))
			    : 500;
	if (c->vad == 2) {
		const char *eg = str_or(json_object_get(td, "eagerness"), "auto");

		c->silence_ms = !strcmp(eg, "low") ? 1500 : !strcmp(eg, "high") ? 400 : 800;
	}
	c->create_response = bool_or(json_object_get(td, "create_response"), 1);
	c->interrupt_response = bool_or(json_object_get(td, "interrupt_response"), 1);
	if (!c->vad || was != c->vad) {
		c->vad_speaking = 0;
		c->vad_run = 0;
		c->vad_silence = 0;
	}
}

/* ---- conversation items ---- */

/* Adds an item (id given, or a new one); returns its index. */
static size_t item_new(struct rt_conn *c, enum rt_item_kind kind, const char *id)
{
	struct rt_item *it;

	if (c->nitems == c->capitems) {
		c->capitems = c->capitems ? c->capitems * 2 : 16;
		c->items = va_xrealloc(c->items, c->capitems * sizeof(*c->items));
	}
	it = &c->items[c->nitems];
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	if (id && *id)
		snprintf(it->id, sizeof(it->id), "%s", id);
	else
		snprintf(it->id, sizeof(it->id), "item_mock%03lu%06lu", c->n, ++c->next_item);
	return c->nitems++;
}

static struct rt_item *item_find(struct rt_conn *c, const char *id)
{
	size_t i;

	for (i = 0; id && i < c->nitems; i++)
		if (!c->items[i].deleted && !strcmp(c->items[i].id, id))
			return &c->items[i];
	return NULL;
}

static struct rt_item *call_find(struct rt_conn *c, const char *call_id)
{
	size_t i;

	for (i = 0; call_id && i < c->nitems; i++)
		if (c->items[i].kind == IT_CALL && !strcmp(c->items[i].call_id, call_id))
			return &c->items[i];
	return NULL;
}

static json_t *prev_item_json(struct rt_conn *c)
{
	return c->last_item[0] ? json_string(c->last_item) : json_null();
}

/* conversation.item.added and .done for an item complete on arrival; steals
 * item. */
static void send_item_added_done(struct rt_conn *c, json_t *item)
{
	snprintf(c->last_item_next, sizeof(c->last_item_next), "%s",
		 str_or(json_object_get(item, "id"), ""));
	conn_send(c, json_pack("{s:s,s:o,s:O}", "type", "conversation.item.added",
			       "previous_item_id", prev_item_json(c), "item", item));
	conn_send(c, json_pack("{s:s,s:o,s:o}", "type", "conversation.item.done",
			       "previous_item_id", prev_item_json(c), "item", item));
	memcpy(c->last_item, c->last_item_next, sizeof(c->last_item));
}

/* ---- scripts ---- */

/* A JSON array of turns, or JSON Lines (one turn object a line; blank lines
 * skipped). Returns a new array or NULL with why filled. */
static json_t *script_parse(const char *text, size_t len, char *why, size_t whysz)
{
	json_error_t jerr;
	json_t *arr, *t;
	const char *p = text, *end = text + len;
	int line = 0;

	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	if (p < end && *p == '[') {
		arr = json_loadb(p, (size_t)(end - p), 0, &jerr);
		if (!json_is_array(arr)) {
			snprintf(why, whysz, "not a JSON array: %s (line %d)", jerr.text,
				 jerr.line);
			json_decref(arr);
			return NULL;
		}
		return arr;
	}
	arr = json_array();
	for (p = text; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *q;
		const char *le = nl ? nl : end;

		line++;
		for (q = p; q < le && (*q == ' ' || *q == '\t' || *q == '\r'); q++)
			;
		if (q < le) {
			t = json_loadb(p, (size_t)(le - p), 0, &jerr);
			if (!json_is_object(t)) {
				snprintf(why, whysz, "line %d: not a JSON object (%s)", line,
					 jerr.text);
				json_decref(t);
				json_decref(arr);
				return NULL;
			}
			json_array_append_new(arr, t);
		}
		p = nl ? nl + 1 : end;
	}
	return arr;
}

static json_t *turn_peek(struct rt_conn *c)
{
	return c->sc == SC_SCRIPT ? json_array_get(c->script, c->turn) : NULL;
}

/* ---- input audio, commits, server VAD ---- */

static void send_transcription(struct rt_conn *c, const char *item_id, const char *text)
{
	const char *p = text;
	size_t words = 0;

	if (c->whisper) {
		conn_send(c, json_pack("{s:s,s:s,s:i,s:s}", "type",
				       "conversation.item.input_audio_transcription.delta",
				       "item_id", item_id, "content_index", 0, "delta", text));
	} else {
		while (*p) {
			const char *q = p;

			while (*q == ' ')
				q++;
			while (*q && *q != ' ')
				q++;
			conn_send(c, json_pack("{s:s,s:s,s:i,s:s%}", "type",
					       "conversation.item.input_audio_transcription.delta",
					       "item_id", item_id, "content_index", 0, "delta", p,
					       (size_t)(q - p)));
			words++;
			p = q;
		}
	}
	conn_send(c,
		  json_pack("{s:s,s:s,s:i,s:s,s:o}", "type",
			    "conversation.item.input_audio_transcription.completed", "item_id",
			    item_id, "content_index", 0, "transcript", text, "usage",
			    c->whisper
				? json_pack("{s:s,s:f}", "type", "duration", "seconds", 1.0)
				: json_pack("{s:s,s:i,s:i,s:i,s:{s:i,s:i}}", "type", "tokens",
					    "input_tokens", 20, "output_tokens", (int)words,
					    "total_tokens", 20 + (int)words, "input_token_details",
					    "text_tokens", 0, "audio_tokens", 20)));
}

/* The buffer becomes a user item: committed, item added/done, transcript. */
static void commit_buffer(struct rt_conn *c, const char *reserved_id)
{
	size_t idx = item_new(c, IT_USER, reserved_id);
	char id[RT_ID_MAX];
	json_t *turn = turn_peek(c);
	const char *heard = str_or(json_object_get(turn, "heard"), default_heard);

	snprintf(id, sizeof(id), "%s", c->items[idx].id);
	conn_send(c, json_pack("{s:s,s:o,s:s}", "type", "input_audio_buffer.committed",
			       "previous_item_id", prev_item_json(c), "item_id", id));
	send_item_added_done(c, json_pack("{s:s,s:s,s:s,s:s,s:s,s:[{s:s,s:n}]}", "id", id, "object",
					  "realtime.item", "type", "message", "status", "completed",
					  "role", "user", "content", "type", "input_audio",
					  "transcript"));
	entry_inc(c, "commits", 1);
	entry_inc(c, "audio_bytes_committed", (json_int_t)c->buf_bytes);
	c->buf_bytes = 0;
	c->after_tool = 0;
	if (c->transcribe)
		send_transcription(c, id, heard);
}

static void vad_frame(struct rt_conn *c, double meansq)
{
	double thr = c->vad_threshold * 2000.0;
	int speech = meansq > thr * thr;
	uint64_t ms = ++c->vad_frames * RT_VAD_FRAME_MS;

	if (!c->vad)
		return;
	if (!c->vad_speaking) {
		long start;

		if (!speech) {
			c->vad_run = 0;
			return;
		}
		if (++c->vad_run < RT_VAD_ONSET_FRAMES)
			return;
		start = (long)ms - RT_VAD_ONSET_FRAMES * RT_VAD_FRAME_MS - c->prefix_ms;
		c->vad_speaking = 1;
		c->vad_silence = 0;
		snprintf(c->vad_item, sizeof(c->vad_item), "item_mock%03lu%06lu", c->n,
			 ++c->next_item);
		entry_inc(c, "speech_started", 1);
		conn_send(c, json_pack("{s:s,s:I,s:s}", "type", "input_audio_buffer.speech_started",
				       "audio_start_ms", (json_int_t)(start < 0 ? 0 : start),
				       "item_id", c->vad_item));
		if (c->interrupt_response && c->resp.active)
			resp_cancel(c, "turn_detected");
		return;
	}
	if (speech) {
		c->vad_silence = 0;
		return;
	}
	c->vad_silence += RT_VAD_FRAME_MS;
	if (c->vad_silence < (unsigned)c->silence_ms)
		return;
	c->vad_speaking = 0;
	c->vad_run = 0;
	entry_inc(c, "speech_stopped", 1);
	conn_send(c, json_pack("{s:s,s:I,s:s}", "type", "input_audio_buffer.speech_stopped",
			       "audio_end_ms", (json_int_t)ms, "item_id", c->vad_item));
	commit_buffer(c, c->vad_item);
	if (c->create_response && !c->resp.active)
		resp_start(c, NULL, c->vad == 1 ? "server_vad" : "semantic_vad", NULL);
}

/* Runs every input byte through a 10 ms energy detector (its clock is the
 * audio itself); events only come out while turn detection is on. */
static void vad_feed(struct rt_conn *c, const unsigned char *p, size_t n)
{
	size_t frame = (c->in_fmt == FMT_PCM ? 24000 : 8000) * RT_VAD_FRAME_MS / 1000, i;

	for (i = 0; i < n && c->wsi && !c->drop; i++) {
		int s;

		if (c->in_fmt == FMT_PCM) {
			if (!c->pcm_half) {
				c->pcm_lo = p[i];
				c->pcm_half = 1;
				continue;
			}
			c->pcm_half = 0;
			s = (int16_t)(uint16_t)(c->pcm_lo | (uint16_t)p[i] << 8);
		} else {
			s = c->in_fmt == FMT_PCMU ? va_g711_ulaw_decode(p[i]) : alaw_decode(p[i]);
		}
		c->vad_sumsq += (double)s * s;
		if (++c->vad_n == frame) {
			vad_frame(c, c->vad_sumsq / (double)frame);
			c->vad_sumsq = 0;
			c->vad_n = 0;
		}
	}
}

/* ---- responses ---- */

static void resp_release(struct rt_conn *c)
{
	struct rt_resp *r = &c->resp;
	size_t i;

	uv_timer_stop(&c->timer);
	for (i = r->next; i < r->n; i++)
		json_decref(r->steps[i].ev);
	free(r->steps);
	json_decref(r->log);
	json_decref(r->open);
	json_decref(r->done);
	va_buf_release(&r->transcript);
	memset(r, 0, sizeof(*r));
}

static void plan_add(struct rt_resp *r, unsigned delay, enum rt_step_kind kind, json_t *ev,
		     size_t item, size_t audio)
{
	struct rt_step *s;

	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 32;
		r->steps = va_xrealloc(r->steps, r->cap * sizeof(*r->steps));
	}
	s = &r->steps[r->n++];
	s->delay_ms = delay;
	s->kind = kind;
	s->ev = ev;
	s->item = item;
	s->audio = audio;
}

static json_t *usage_json(size_t in_tokens, size_t text_out, size_t audio_out)
{
	return json_pack("{s:I,s:I,s:I,s:{s:I,s:i,s:i},s:{s:I,s:I}}", "total_tokens",
			 (json_int_t)(in_tokens + text_out + audio_out), "input_tokens",
			 (json_int_t)in_tokens, "output_tokens", (json_int_t)(text_out + audio_out),
			 "input_token_details", "text_tokens", (json_int_t)in_tokens,
			 "audio_tokens", 0, "cached_tokens", 0, "output_token_details",
			 "text_tokens", (json_int_t)text_out, "audio_tokens",
			 (json_int_t)audio_out);
}

/* A realtime.response object; steals output, details and usage (NULL: null). */
static json_t *resp_obj(struct rt_conn *c, const char *status, json_t *output, json_t *details,
			json_t *usage)
{
	char conv[RT_ID_MAX];
	json_t *out = json_object_get(json_object_get(c->session, "audio"), "output");
	json_t *mods = json_object_get(c->session, "output_modalities");

	snprintf(conv, sizeof(conv), "conv_mock%06lu", c->n);
	return json_pack("{s:s,s:s,s:s,s:o,s:o,s:s,s:o,s:s,s:{s:{s:O?,s:O?}},s:o,s:n}", "object",
			 "realtime.response", "id", c->resp.id, "status", status, "status_details",
			 details ? details : json_null(), "output", output, "conversation_id", conv,
			 "output_modalities",
			 mods ? json_deep_copy(mods) : json_pack("[s]", "audio"),
			 "max_output_tokens", "inf", "audio", "output", "format",
			 json_object_get(out, "format"), "voice", json_object_get(out, "voice"),
			 "usage", usage ? usage : json_null(), "metadata");
}

static size_t count_words(const char *s)
{
	size_t n = 0;

	while (*s) {
		while (*s == ' ')
			s++;
		if (!*s)
			break;
		n++;
		while (*s && *s != ' ')
			s++;
	}
	return n;
}

/* The chunk's audio in the session's output format, base64. Audio is always
 * taken from the mu-law file; audio/pcm gets it decoded and upsampled to
 * 24 kHz (each sample three times), audio/pcma gets the mu-law bytes as they
 * are (this mock does not encode A-law). */
static char *chunk_b64(struct rt_conn *c, const unsigned char *ul, size_t n)
{
	unsigned char *pcm;
	char *s;
	size_t i;

	if (c->out_fmt != FMT_PCM)
		return b64_encode(ul, n);
	pcm = va_xmalloc(n * 6 + 1);
	for (i = 0; i < n; i++) {
		uint16_t v = (uint16_t)va_g711_ulaw_decode(ul[i]);
		int k;

		for (k = 0; k < 3; k++) {
			pcm[i * 6 + (size_t)k * 2] = (unsigned char)(v & 0xff);
			pcm[i * 6 + (size_t)k * 2 + 1] = (unsigned char)(v >> 8);
		}
	}
	s = b64_encode(pcm, n * 6);
	free(pcm);
	return s;
}

/* Plans one assistant message: audio (with transcript) or text, by the
 * session's output_modalities. */
static void plan_message(struct rt_conn *c, int oi, const char *text, long audio_ms,
			 unsigned first_delay)
{
	struct rt_resp *r = &c->resp;
	struct rt_server *srv = c->srv;
	size_t idx = item_new(c, IT_ASSISTANT, NULL), total, chunk, nchunks, nwords, w = 0, i;
	const char *id = c->items[idx].id, *p = text;
	const char *ctype = c->text_only ? "output_text" : "output_audio";
	unsigned pace = c->pace_ms >= 0 ? (unsigned)c->pace_ms : (unsigned)c->chunk_ms;
	json_t *done_item, *prev = prev_item_json(c);

	plan_add(r, 0, ST_ITEM_ADDED,
		 json_pack("{s:s,s:s,s:i,s:{s:s,s:s,s:s,s:s,s:s,s:[]}}", "type",
			   "response.output_item.added", "response_id", r->id, "output_index", oi,
			   "item", "id", id, "object", "realtime.item", "type", "message", "status",
			   "in_progress", "role", "assistant", "content"),
		 idx, 0);
	plan_add(r, 0, ST_SEND,
		 json_pack("{s:s,s:O,s:{s:s,s:s,s:s,s:s,s:s,s:[]}}", "type",
			   "conversation.item.added", "previous_item_id", prev, "item", "id", id,
			   "object", "realtime.item", "type", "message", "status", "in_progress",
			   "role", "assistant", "content"),
		 idx, 0);
	snprintf(c->last_item, sizeof(c->last_item), "%s", id);
	plan_add(r, 0, ST_SEND,
		 json_pack("{s:s,s:s,s:s,s:i,s:i,s:o}", "type", "response.content_part.added",
			   "response_id", r->id, "item_id", id, "output_index", oi, "content_index",
			   0, "part",
			   c->text_only
			       ? json_pack("{s:s,s:s}", "type", "text", "text", "")
			       : json_pack("{s:s,s:s}", "type", "audio", "transcript", "")),
		 idx, 0);
	nwords = count_words(text);
	if (c->text_only) {
		/* Text only: one delta per word, paced like audio chunks. */
		for (i = 0; *p; i++) {
			const char *q = p;

			while (*q == ' ')
				q++;
			while (*q && *q != ' ')
				q++;
			plan_add(r, i ? pace : first_delay, ST_TEXT,
				 json_pack("{s:s,s:s,s:s,s:i,s:i,s:s%}", "type",
					   "response.output_text.delta", "response_id", r->id,
					   "item_id", id, "output_index", oi, "content_index", 0,
					   "delta", p, (size_t)(q - p)),
				 idx, 0);
			p = q;
		}
		plan_add(r, 0, ST_SEND,
			 json_pack("{s:s,s:s,s:s,s:i,s:i,s:s}", "type", "response.output_text.done",
				   "response_id", r->id, "item_id", id, "output_index", oi,
				   "content_index", 0, "text", text),
			 idx, 0);
	} else {
		total = audio_ms > 0 ? (size_t)audio_ms * 8 : srv->audio_len;
		chunk = (size_t)c->chunk_ms * 8;
		nchunks = (total + chunk - 1) / chunk;
		for (i = 0; i < nchunks; i++) {
			size_t off = i * chunk, n = total - off < chunk ? total - off : chunk, k;
			unsigned char *buf = va_xmalloc(n);
			unsigned delay = i ? pace : first_delay;
			char *b64;

			for (k = 0; k < n; k++)
				buf[k] = srv->audio[(off + k) % srv->audio_len];
			/* Transcript words go just ahead of the audio they belong to. */
			while (w < nwords && w * nchunks <= i * nwords) {
				const char *q = p;

				while (*q == ' ')
					q++;
				while (*q && *q != ' ')
					q++;
				plan_add(r, delay, ST_TEXT,
					 json_pack("{s:s,s:s,s:s,s:i,s:i,s:s%}", "type",
						   "response.output_audio_transcript.delta",
						   "response_id", r->id, "item_id", id,
						   "output_index", oi, "content_index", 0, "delta",
						   p, (size_t)(q - p)),
					 idx, 0);
				delay = 0;
				p = q;
				w++;
			}
			b64 = chunk_b64(c, buf, n);
			plan_add(r, delay, ST_AUDIO,
				 json_pack("{s:s,s:s,s:s,s:i,s:i,s:s}", "type",
					   "response.output_audio.delta", "response_id", r->id,
					   "item_id", id, "output_index", oi, "content_index", 0,
					   "delta", b64),
				 idx, n);
			free(b64);
			free(buf);
		}
		for (; w < nwords; w++) { /* more words than chunks */
			const char *q = p;

			while (*q == ' ')
				q++;
			while (*q && *q != ' ')
				q++;
			plan_add(r, 0, ST_TEXT,
				 json_pack("{s:s,s:s,s:s,s:i,s:i,s:s%}", "type",
					   "response.output_audio_transcript.delta", "response_id",
					   r->id, "item_id", id, "output_index", oi,
					   "content_index", 0, "delta", p, (size_t)(q - p)),
				 idx, 0);
			p = q;
		}
		plan_add(r, 0, ST_SEND,
			 json_pack("{s:s,s:s,s:s,s:i,s:i}", "type", "response.output_audio.done",
				   "response_id", r->id, "item_id", id, "output_index", oi,
				   "content_index", 0),
			 idx, 0);
		plan_add(r, 0, ST_SEND,
			 json_pack("{s:s,s:s,s:s,s:i,s:i,s:s}", "type",
				   "response.output_audio_transcript.done", "response_id", r->id,
				   "item_id", id, "output_index", oi, "content_index", 0,
				   "transcript", text),
			 idx, 0);
	}
	plan_add(r, 0, ST_SEND,
		 json_pack("{s:s,s:s,s:s,s:i,s:i,s:o}", "type", "response.content_part.done",
			   "response_id", r->id, "item_id", id, "output_index", oi, "content_index",
			   0, "part",
			   c->text_only
			       ? json_pack("{s:s,s:s}", "type", "text", "text", text)
			       : json_pack("{s:s,s:s}", "type", "audio", "transcript", text)),
		 idx, 0);
	done_item =
	    json_pack("{s:s,s:s,s:s,s:s,s:s,s:[{s:s,s:s}]}", "id", id, "object", "realtime.item",
		      "type", "message", "status", "completed", "role", "assistant", "content",
		      "type", ctype, c->text_only ? "text" : "transcript", text);
	plan_add(r, 0, ST_ITEM_DONE,
		 json_pack("{s:s,s:s,s:i,s:O}", "type", "response.output_item.done", "response_id",
			   r->id, "output_index", oi, "item", done_item),
		 idx, 0);
	plan_add(r, 0, ST_SEND,
		 json_pack("{s:s,s:o,s:o}", "type", "conversation.item.done", "previous_item_id",
			   prev, "item", done_item),
		 idx, 0);
}

/* Next argument fragment of 5-10 bytes, never splitting a UTF-8 sequence. */
static size_t frag_len(const char *p, unsigned k)
{
	static const unsigned sizes[] = {5, 7, 10, 6, 8, 9};
	size_t n = sizes[k % (sizeof(sizes) / sizeof(sizes[0]))], have = strlen(p);

	if (n >= have)
		return have;
	while (n < have && ((unsigned char)p[n] & 0xC0) == 0x80)
		n++;
	return n;
}

static void plan_call(struct rt_conn *c, int oi, const char *name, const char *args,
		      unsigned first_delay)
{
	struct rt_resp *r = &c->resp;
	size_t idx = item_new(c, IT_CALL, NULL), used;
	struct rt_item *it = &c->items[idx];
	const char *p = args;
	unsigned k = 0;
	json_t *done_item, *prev = prev_item_json(c);

	snprintf(it->call_id, sizeof(it->call_id), "call_mock%03lu%06lu", c->n, ++c->next_call);
	it->call = CALL_STREAMING;
	plan_add(r, first_delay, ST_ITEM_ADDED,
		 json_pack("{s:s,s:s,s:i,s:{s:s,s:s,s:s,s:s,s:s,s:s,s:s}}", "type",
			   "response.output_item.added", "response_id", r->id, "output_index", oi,
			   "item", "id", it->id, "object", "realtime.item", "type", "function_call",
			   "status", "in_progress", "name", name, "call_id", it->call_id,
			   "arguments", ""),
		 idx, 0);
	plan_add(r, 0, ST_SEND,
		 json_pack("{s:s,s:O,s:{s:s,s:s,s:s,s:s,s:s,s:s,s:s}}", "type",
			   "conversation.item.added", "previous_item_id", prev, "item", "id",
			   it->id, "object", "realtime.item", "type", "function_call", "status",
			   "in_progress", "name", name, "call_id", it->call_id, "arguments", ""),
		 idx, 0);
	snprintf(c->last_item, sizeof(c->last_item), "%s", it->id);
	while ((used = frag_len(p, k++)) > 0) {
		plan_add(r, 0, ST_SEND,
			 json_pack("{s:s,s:s,s:s,s:i,s:s,s:s%}", "type",
				   "response.function_call_arguments.delta", "response_id", r->id,
				   "item_id", it->id, "output_index", oi, "call_id", it->call_id,
				   "delta", p, used),
			 idx, 0);
		p += used;
	}
	plan_add(r, 0, ST_SEND,
		 json_pack("{s:s,s:s,s:s,s:i,s:s,s:s,s:s}", "type",
			   "response.function_call_arguments.done", "response_id", r->id, "item_id",
			   it->id, "output_index", oi, "call_id", it->call_id, "name", name,
			   "arguments", args),
		 idx, 0);
	done_item = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "id", it->id, "object",
			      "realtime.item", "type", "function_call", "status", "completed",
			      "name", name, "call_id", it->call_id, "arguments", args);
	plan_add(r, 0, ST_ITEM_DONE,
		 json_pack("{s:s,s:s,s:i,s:O}", "type", "response.output_item.done", "response_id",
			   r->id, "output_index", oi, "item", done_item),
		 idx, 0);
	plan_add(r, 0, ST_SEND,
		 json_pack("{s:s,s:o,s:o}", "type", "conversation.item.done", "previous_item_id",
			   prev, "item", done_item),
		 idx, 0);
}

/* Arguments as a turn gives them: an object as compact JSON, a string
 * verbatim (so a script can send invalid JSON on purpose). Caller frees. */
static char *args_text(json_t *args)
{
	if (json_is_string(args))
		return va_xstrdup(json_string_value(args));
	if (json_is_object(args))
		return json_dumps(args, JSON_COMPACT);
	return va_xstrdup("{}");
}

static const char *first_tool(struct rt_conn *c)
{
	return str_or(
	    json_object_get(json_array_get(json_object_get(c->session, "tools"), 0), "name"),
	    default_tool);
}

static void resp_begin(struct rt_conn *c, const char *trigger, const char *kind)
{
	struct rt_resp *r = &c->resp;

	resp_release(c);
	snprintf(r->id, sizeof(r->id), "resp_mock%03lu%06lu", c->n, ++c->next_resp);
	r->active = 1;
	r->open = json_object();
	r->done = json_array();
	va_buf_init(&r->transcript, 1 << 20);
	snprintf(r->status, sizeof(r->status), "completed");
	r->log = json_pack("{s:s,s:s,s:s,s:s,s:i,s:s}", "id", r->id, "trigger", trigger, "kind",
			   kind, "status", "in_progress", "audio_bytes", 0, "transcript", "");
	entry_push(c, "responses", json_incref(r->log));
}

/* Logs a response that never starts (silent, error, drop). */
static void resp_log_only(struct rt_conn *c, const char *trigger, const char *kind)
{
	entry_push(c, "responses",
		   json_pack("{s:n,s:s,s:s,s:s,s:i,s:s}", "id", "trigger", trigger, "kind", kind,
			     "status", kind, "audio_bytes", 0, "transcript", ""));
}

/* Plans the reply for a turn (NULL: the scenario's reply) and starts it. */
static void resp_start(struct rt_conn *c, json_t *params, const char *trigger, json_t *eid)
{
	json_t *turn = NULL, *v;
	unsigned first = c->first_audio_ms >= 0 ? (unsigned)c->first_audio_ms
			 : c->sc == SC_SLOW	? RT_SLOW_DEFAULT
						: 0;
	const char *say = NULL, *kind = "audio";
	char said[RT_QUOTE_MAX + 32];
	long audio_ms = 0;
	int oi = 0, ntools = 0, failed = 0;

	switch (c->sc) {
	case SC_SILENT:
		resp_log_only(c, trigger, "silent");
		return;
	case SC_DROP:
		resp_log_only(c, trigger, "drop");
		conn_drop(c);
		return;
	case SC_ERROR:
		resp_log_only(c, trigger, "error");
		send_error(c, "response.create", "server_error", NULL, NULL, eid, "%s",
			   server_error_msg);
		return;
	case SC_FAILED:
		failed = 1;
		break;
	case SC_SCRIPT:
		turn = json_array_get(c->script, c->turn);
		if (turn)
			c->turn++;
		break;
	default:
		break;
	}
	if (turn) {
		json_t *err = json_object_get(turn, "error");

		if (json_is_true(json_object_get(turn, "silent"))) {
			resp_log_only(c, trigger, "silent");
			return;
		}
		if (json_is_true(json_object_get(turn, "drop"))) {
			resp_log_only(c, trigger, "drop");
			conn_drop(c);
			return;
		}
		if (err) {
			resp_log_only(c, trigger, "error");
			send_error(c, "response.create",
				   str_or(json_object_get(err, "type"), "server_error"),
				   json_string_value(json_object_get(err, "code")),
				   json_string_value(json_object_get(err, "param")), eid, "%s",
				   str_or(json_object_get(err, "message"), server_error_msg));
			return;
		}
		failed = json_is_true(json_object_get(turn, "failed"));
		say = json_string_value(json_object_get(turn, "say"));
		audio_ms = (long)json_integer_value(json_object_get(turn, "audio_ms"));
		if (audio_ms > RT_AUDIO_MS_MAX)
			audio_ms = RT_AUDIO_MS_MAX;
		if (json_is_integer(json_object_get(turn, "first_audio_ms")))
			first =
			    (unsigned)json_integer_value(json_object_get(turn, "first_audio_ms"));
		ntools = json_object_get(turn, "tool")
			     ? 1
			     : (int)json_array_size(json_object_get(turn, "tools"));
	} else if (c->sc == SC_TOOL && !c->after_tool) {
		const char *tc = str_or(json_object_get(params, "tool_choice"),
					str_or(json_object_get(c->session, "tool_choice"), "auto"));

		ntools = strcmp(tc, "none") != 0;
	}
	if (!say && !ntools) {
		if (c->after_tool) {
			snprintf(said, sizeof(said), "The tool said: %s", c->last_output);
			say = said;
		} else {
			say = plain_reply;
		}
	}
	if (failed)
		kind = "failed";
	else if (ntools)
		kind = say ? "audio+function_call" : "function_call";
	resp_begin(c, trigger, kind);
	if (params)
		json_object_set(c->resp.log, "params", params);
	conn_send(c, json_pack("{s:s,s:o}", "type", "response.created", "response",
			       resp_obj(c, "in_progress", json_array(), NULL, NULL)));
	if (failed) {
		snprintf(c->resp.status, sizeof(c->resp.status), "failed");
		plan_add(&c->resp, first, ST_DONE,
			 json_pack("{s:s,s:o}", "type", "response.done", "response",
				   resp_obj(c, "failed", json_array(),
					    json_pack("{s:s,s:{s:s,s:s,s:s}}", "type", "failed",
						      "error", "type", "server_error", "code",
						      "server_error", "message", server_error_msg),
					    usage_json(100, 0, 0))),
			 0, 0);
		resp_pump(c);
		return;
	}
	if (say) {
		plan_message(c, oi++, say, audio_ms, first);
		first = 0;
	}
	if (turn && json_object_get(turn, "tool")) {
		char *a = args_text(json_object_get(turn, "args"));

		plan_call(c, oi++, str_or(json_object_get(turn, "tool"), default_tool), a, first);
		free(a);
	} else if (turn) {
		size_t i;

		json_array_foreach(json_object_get(turn, "tools"), i, v)
		{
			char *a = args_text(json_object_get(v, "args"));

			plan_call(c, oi++, str_or(json_object_get(v, "name"), default_tool), a,
				  first);
			first = 0;
			free(a);
		}
	} else if (ntools) {
		plan_call(c, oi++, first_tool(c), default_tool_args, first);
	}
	/* response.done's output and usage are filled in when it is sent. */
	plan_add(&c->resp, 0, ST_DONE,
		 json_pack("{s:s,s:o}", "type", "response.done", "response",
			   resp_obj(c, "completed", json_array(), NULL, NULL)),
		 0, 0);
	resp_pump(c);
}

static void resp_finish(struct rt_conn *c)
{
	struct rt_resp *r = &c->resp;

	json_object_set_new(r->log, "status", json_string(r->status));
	json_object_set_new(r->log, "audio_bytes", json_integer((json_int_t)r->audio));
	json_object_set_new(r->log, "transcript", json_string(va_buf_cstr(&r->transcript)));
	VA_INFO("mock", NULL, "response_done", "conn=%lu id=%s status=%s audio_bytes=%zu", c->n,
		r->id, r->status, r->audio);
	resp_release(c);
}

static void step_emit(struct rt_conn *c, struct rt_step *s)
{
	struct rt_resp *r = &c->resp;
	json_t *ev = s->ev, *item;
	char oi[16];

	s->ev = NULL;
	snprintf(oi, sizeof(oi), "%lld",
		 (long long)json_integer_value(json_object_get(ev, "output_index")));
	switch (s->kind) {
	case ST_ITEM_ADDED:
		json_object_set_new(r->open, oi, json_deep_copy(json_object_get(ev, "item")));
		break;
	case ST_ITEM_DONE:
		item = json_object_get(ev, "item");
		json_object_del(r->open, oi);
		json_array_append_new(r->done, json_deep_copy(item));
		if (c->items[s->item].kind == IT_CALL) {
			c->items[s->item].call = CALL_OPEN;
			entry_push(c, "calls",
				   json_pack("{s:s,s:s,s:O?,s:O?}", "response_id", r->id, "call_id",
					     c->items[s->item].call_id, "name",
					     json_object_get(item, "name"), "arguments",
					     json_object_get(item, "arguments")));
		}
		break;
	case ST_AUDIO:
		c->items[s->item].audio_bytes += s->audio;
		r->audio += s->audio;
		break;
	case ST_TEXT:
		va_buf_append_str(&r->transcript, str_or(json_object_get(ev, "delta"), ""));
		break;
	case ST_DONE: {
		json_t *resp = json_object_get(ev, "response");
		size_t words = count_words(va_buf_cstr(&r->transcript));

		json_object_set(resp, "output", r->done);
		json_object_set_new(resp, "usage",
				    usage_json(100 + 20 * c->nitems, words + 5, r->audio / 8 / 20));
		break;
	}
	default:
		break;
	}
	conn_send(c, ev);
	if (s->kind == ST_DONE)
		resp_finish(c);
}

static void on_step_timer(uv_timer_t *t)
{
	resp_pump(t->data);
}

/* Sends the steps whose delays have elapsed; returns with the timer armed or
 * the response over. */
static void resp_pump(struct rt_conn *c)
{
	struct rt_resp *r = &c->resp;

	while (r->active && r->next < r->n && c->wsi && !c->drop) {
		struct rt_step *s = &r->steps[r->next];

		if (s->delay_ms && !r->waited) {
			r->waited = 1;
			uv_timer_start(&c->timer, on_step_timer, s->delay_ms, 0);
			return;
		}
		r->waited = 0;
		r->next++;
		step_emit(c, s);
	}
}

/* Stops the response between two events: items still open end `incomplete`,
 * then response.done with status cancelled. */
static void resp_cancel(struct rt_conn *c, const char *reason)
{
	struct rt_resp *r = &c->resp;
	json_t *output = json_deep_copy(r->done), *item;
	const char *k;

	uv_timer_stop(&c->timer);
	json_object_foreach(r->open, k, item)
	{
		const char *id = str_or(json_object_get(item, "id"), "");
		struct rt_item *it = item_find(c, id);
		json_t *inc = json_deep_copy(item);

		json_object_set_new(inc, "status", json_string("incomplete"));
		if (it && it->kind == IT_ASSISTANT)
			json_object_set_new(inc, "content",
					    json_pack("[{s:s,s:s}]", "type",
						      c->text_only ? "output_text" : "output_audio",
						      c->text_only ? "text" : "transcript",
						      va_buf_cstr(&r->transcript)));
		if (it && it->kind == IT_CALL)
			it->call = CALL_CUT;
		conn_send(c, json_pack("{s:s,s:s,s:I,s:O}", "type", "response.output_item.done",
				       "response_id", r->id, "output_index",
				       (json_int_t)strtol(k, NULL, 10), "item", inc));
		json_array_append_new(output, inc);
	}
	conn_send(c,
		  json_pack("{s:s,s:o}", "type", "response.done", "response",
			    resp_obj(c, "cancelled", output,
				     json_pack("{s:s,s:s}", "type", "cancelled", "reason", reason),
				     usage_json(100 + 20 * c->nitems,
						count_words(va_buf_cstr(&r->transcript)),
						r->audio / 8 / 20))));
	snprintf(r->status, sizeof(r->status), "cancelled");
	json_object_set_new(r->log, "cancel_reason", json_string(reason));
	resp_finish(c);
}

/* ---- client events ---- */

static void on_session_update(struct rt_conn *c, json_t *ev, json_t *eid)
{
	json_t *s = json_object_get(ev, "session");
	struct rt_verr e;

	if (!s) {
		missing(&e, "session");
		invalid(c, "session.update", eid, &e);
		return;
	}
	if (!json_is_object(s)) {
		bad_type(&e, "session", s, "an object");
		invalid(c, "session.update", eid, &e);
		return;
	}
	if (session_check(s, &e)) {
		invalid(c, "session.update", eid, &e);
		return;
	}
	session_merge(c->session, s);
	session_apply(c);
	entry_inc(c, "session_updates", 1);
	json_object_set_new(c->entry, "session", json_deep_copy(c->session));
	json_object_set_new(c->entry, "session_update", json_deep_copy(s));
	conn_send(c, json_pack("{s:s,s:o}", "type", "session.updated", "session",
			       json_deep_copy(c->session)));
	if (c->sc == SC_DROP_EARLY)
		conn_drop(c);
}

static void on_append(struct rt_conn *c, json_t *ev, json_t *eid)
{
	json_t *a = json_object_get(ev, "audio");
	unsigned char *bytes;
	size_t n, i;
	char hex[20];
	struct rt_verr e;

	if (!a || !json_is_string(a)) {
		if (!a)
			missing(&e, "audio");
		else
			bad_type(&e, "audio", a, "a string");
		invalid(c, "input_audio_buffer.append", eid, &e);
		return;
	}
	if (b64_decode(json_string_value(a), json_string_length(a), &bytes, &n)) {
		send_error(c, "input_audio_buffer.append", "invalid_request_error", "invalid_value",
			   "audio", eid, "Invalid 'audio'. Expected base64-encoded audio bytes.");
		return;
	}
	for (i = 0; i < n; i++) {
		c->fnv ^= bytes[i];
		c->fnv *= 0x100000001b3ull;
	}
	snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)c->fnv);
	json_object_set_new(c->entry, "audio_fnv1a", json_string(hex));
	c->buf_bytes += n;
	entry_inc(c, "audio_bytes", (json_int_t)n);
	entry_inc(c, "appends", 1);
	vad_feed(c, bytes, n);
	free(bytes);
}

static void on_commit(struct rt_conn *c, json_t *ev, json_t *eid)
{
	double ms = (double)c->buf_bytes / (double)bytes_per_ms(c->in_fmt);

	if (ms < RT_MIN_COMMIT_MS) {
		send_error(c, "input_audio_buffer.commit", "invalid_request_error",
			   "input_audio_buffer_commit_empty", NULL, eid,
			   "Error committing input audio buffer: buffer too small. Expected at "
			   "least 100ms of audio, but buffer only has %.2fms of audio.",
			   ms);
		return;
	}
	commit_buffer(c, c->vad_speaking ? c->vad_item : NULL);
	c->vad_speaking = 0;
	c->vad_run = 0;
}

static void on_clear(struct rt_conn *c, json_t *ev, json_t *eid)
{
	c->buf_bytes = 0;
	entry_inc(c, "clears", 1);
	conn_send(c, json_pack("{s:s}", "type", "input_audio_buffer.cleared"));
}

static char *content_text(json_t *content)
{
	struct va_buf b = VA_BUF_INIT(1 << 20);
	json_t *part;
	size_t i;

	json_array_foreach(content, i, part)
	{
		const char *t = json_string_value(json_object_get(part, "text"));

		if (t)
			va_buf_append_str(&b, t);
	}
	return va_buf_take(&b, NULL);
}

static void on_item_create(struct rt_conn *c, json_t *ev, json_t *eid)
{
	static const char *const roles[] = {"user", "assistant", "system", NULL};
	json_t *item = json_object_get(ev, "item"), *copy;
	const char *type, *call_id, *role;
	struct rt_verr e;
	enum rt_item_kind kind = IT_OTHER;
	size_t idx;

	if (!json_is_object(item)) {
		if (!item)
			missing(&e, "item");
		else
			bad_type(&e, "item", item, "an object");
		invalid(c, "conversation.item.create", eid, &e);
		return;
	}
	type = json_string_value(json_object_get(item, "type"));
	if (!type) {
		missing(&e, "item.type");
		invalid(c, "conversation.item.create", eid, &e);
		return;
	}
	if (!strcmp(type, "function_call_output")) {
		json_t *out = json_object_get(item, "output");
		struct rt_item *call;
		int ok;

		call_id = json_string_value(json_object_get(item, "call_id"));
		if (!call_id) {
			missing(&e, "item.call_id");
			invalid(c, "conversation.item.create", eid, &e);
			return;
		}
		if (!json_is_string(out)) {
			if (!out)
				missing(&e, "item.output");
			else
				bad_type(&e, "item.output", out, "a string");
			invalid(c, "conversation.item.create", eid, &e);
			return;
		}
		call = call_find(c, call_id);
		ok = call && call->call == CALL_OPEN;
		entry_push(c, "function_call_outputs",
			   json_pack("{s:s,s:O,s:b}", "call_id", call_id, "output", out, "ok", ok));
		if (!ok) {
			send_error(c, "conversation.item.create", "invalid_request_error",
				   "invalid_value", "item.call_id", eid,
				   "Invalid 'item.call_id': no outstanding function call with "
				   "call_id '%s' in the conversation.",
				   call_id);
			return;
		}
		call->call = CALL_ANSWERED;
		kind = IT_CALL_OUTPUT;
		snprintf(c->last_output, sizeof(c->last_output), "%s", json_string_value(out));
	} else if (!strcmp(type, "message")) {
		char *text;

		role = json_string_value(json_object_get(item, "role"));
		if (!role || !in_list(role, roles)) {
			verr(&e, "invalid_value", "item.role",
			     "Invalid value for 'item.role'. Supported values are: 'user', "
			     "'assistant', and 'system'.");
			invalid(c, "conversation.item.create", eid, &e);
			return;
		}
		if (!json_is_array(json_object_get(item, "content"))) {
			bad_type(&e, "item.content", json_object_get(item, "content"), "an array");
			invalid(c, "conversation.item.create", eid, &e);
			return;
		}
		text = content_text(json_object_get(item, "content"));
		entry_push(
		    c, "items_created",
		    json_pack("{s:s,s:s,s:s}", "type", "message", "role", role, "text", text));
		free(text);
		kind = !strcmp(role, "assistant") ? IT_ASSISTANT : IT_USER;
	} else if (!strcmp(type, "function_call")) {
		entry_push(c, "items_created",
			   json_pack("{s:s,s:s,s:s}", "type", "function_call", "name",
				     str_or(json_object_get(item, "name"), ""), "arguments",
				     str_or(json_object_get(item, "arguments"), "")));
	} else {
		send_error(c, "conversation.item.create", "invalid_request_error", "invalid_value",
			   "item.type", eid,
			   "Invalid value: '%s'. Supported values are: 'message', 'function_call', "
			   "and 'function_call_output'.",
			   type);
		return;
	}
	idx = item_new(c, kind, json_string_value(json_object_get(item, "id")));
	if (kind == IT_OTHER) {
		c->items[idx].kind = IT_CALL;
		c->items[idx].call = CALL_OPEN;
		snprintf(c->items[idx].call_id, sizeof(c->items[idx].call_id), "%s",
			 str_or(json_object_get(item, "call_id"), ""));
	}
	c->after_tool = kind == IT_CALL_OUTPUT;
	copy = json_deep_copy(item);
	json_object_set_new(copy, "id", json_string(c->items[idx].id));
	json_object_set_new(copy, "object", json_string("realtime.item"));
	json_object_set_new(copy, "status", json_string("completed"));
	send_item_added_done(c, copy);
}

static void on_item_truncate(struct rt_conn *c, json_t *ev, json_t *eid)
{
	const char *id = json_string_value(json_object_get(ev, "item_id"));
	json_t *ci = json_object_get(ev, "content_index"),
	       *end = json_object_get(ev, "audio_end_ms");
	struct rt_item *it;
	struct rt_verr e;
	json_int_t sent = 0;
	int ok = 0;

	if (!id || !json_is_integer(ci) || !json_is_integer(end)) {
		missing(&e, !id			   ? "item_id"
			    : !json_is_integer(ci) ? "content_index"
						   : "audio_end_ms");
		invalid(c, "conversation.item.truncate", eid, &e);
		goto out;
	}
	it = item_find(c, id);
	if (it)
		sent = (json_int_t)((it->audio_bytes + 7) / 8);
	if (!it) {
		send_error(c, "conversation.item.truncate", "invalid_request_error",
			   "invalid_value", "item_id", eid, "Item with item_id '%s' not found.",
			   id);
	} else if (it->kind != IT_ASSISTANT) {
		send_error(c, "conversation.item.truncate", "invalid_request_error",
			   "invalid_value", "item_id", eid,
			   "Only assistant messages can be truncated.");
	} else if (json_integer_value(ci) != 0) {
		send_error(c, "conversation.item.truncate", "invalid_request_error",
			   "invalid_value", "content_index", eid,
			   "Invalid 'content_index': only 0 is supported.");
	} else if (json_integer_value(end) < 0 || json_integer_value(end) > sent) {
		send_error(c, "conversation.item.truncate", "invalid_request_error",
			   "invalid_value", "audio_end_ms", eid,
			   "Invalid 'audio_end_ms': audio content of %lldms is already shorter "
			   "than %lldms.",
			   (long long)sent, (long long)json_integer_value(end));
	} else {
		ok = 1;
		conn_send(c, json_pack("{s:s,s:s,s:i,s:O}", "type", "conversation.item.truncated",
				       "item_id", id, "content_index", 0, "audio_end_ms", end));
	}
out:
	entry_push(c, "truncates",
		   json_pack("{s:o,s:O,s:O,s:I,s:b}", "item_id", id ? json_string(id) : json_null(),
			     "content_index", ci ? ci : json_null(), "audio_end_ms",
			     end ? end : json_null(), "audio_ms_sent", sent, "ok", ok));
}

static void on_item_delete(struct rt_conn *c, json_t *ev, json_t *eid)
{
	const char *id = json_string_value(json_object_get(ev, "item_id"));
	struct rt_item *it = item_find(c, id);
	struct rt_verr e;

	if (!id) {
		missing(&e, "item_id");
		invalid(c, "conversation.item.delete", eid, &e);
		return;
	}
	entry_push(c, "deletes", json_pack("{s:s,s:b}", "item_id", id, "ok", it != NULL));
	if (!it) {
		send_error(c, "conversation.item.delete", "invalid_request_error", "invalid_value",
			   "item_id", eid, "Item with item_id '%s' not found.", id);
		return;
	}
	it->deleted = 1;
	conn_send(c, json_pack("{s:s,s:s}", "type", "conversation.item.deleted", "item_id", id));
}

static void on_item_retrieve(struct rt_conn *c, json_t *ev, json_t *eid)
{
	static const char *const types[] = {"message", "message", "function_call",
					    "function_call_output", "message"};
	const char *id = json_string_value(json_object_get(ev, "item_id"));
	struct rt_item *it = item_find(c, id);

	if (!it) {
		send_error(c, "conversation.item.retrieve", "invalid_request_error",
			   "invalid_value", "item_id", eid, "Item with item_id '%s' not found.",
			   id ? id : "");
		return;
	}
	conn_send(c, json_pack("{s:s,s:{s:s,s:s,s:s,s:s}}", "type", "conversation.item.retrieved",
			       "item", "id", it->id, "object", "realtime.item", "type",
			       types[it->kind], "status", "completed"));
}

static void on_response_create(struct rt_conn *c, json_t *ev, json_t *eid)
{
	static const char *const keys[] = {"conversation",
					   "input",
					   "instructions",
					   "max_output_tokens",
					   "metadata",
					   "output_modalities",
					   "audio",
					   "tool_choice",
					   "tools",
					   "prompt",
					   NULL};
	json_t *params = json_object_get(ev, "response");
	struct rt_verr e;

	entry_inc(c, "response_creates", 1);
	entry_push(c, "response_params", params ? json_deep_copy(params) : json_null());
	if (params && !json_is_object(params)) {
		bad_type(&e, "response", params, "an object");
		invalid(c, "response.create", eid, &e);
		return;
	}
	if (params && check_keys(params, "response", keys, &e)) {
		invalid(c, "response.create", eid, &e);
		return;
	}
	if (c->resp.active) {
		send_error(c, "response.create", "invalid_request_error",
			   "conversation_already_has_active_response", NULL, eid,
			   "Conversation already has an active response in progress: %s. Wait "
			   "until the response is finished before creating a new one.",
			   c->resp.id);
		return;
	}
	resp_start(c, params, "client", eid);
}

static void on_response_cancel(struct rt_conn *c, json_t *ev, json_t *eid)
{
	const char *want = json_string_value(json_object_get(ev, "response_id"));
	int active = c->resp.active && (!want || !strcmp(want, c->resp.id));

	entry_push(c, "cancels",
		   json_pack("{s:o,s:o,s:b,s:I}", "response_id",
			     c->resp.active ? json_string(c->resp.id) : json_null(), "requested_id",
			     want ? json_string(want) : json_null(), "active", active,
			     "audio_bytes_sent", (json_int_t)(c->resp.active ? c->resp.audio : 0)));
	if (!active) {
		send_error(c, "response.cancel", "invalid_request_error",
			   "response_cancel_not_active", NULL, eid,
			   "Cancellation failed: no active response found.");
		return;
	}
	resp_cancel(c, "client_cancelled");
}

static void on_output_clear(struct rt_conn *c, json_t *ev, json_t *eid)
{
	send_error(c, "output_audio_buffer.clear", "invalid_request_error", "invalid_value", "type",
		   eid,
		   "output_audio_buffer.clear is only supported for WebRTC and SIP connections.");
}

static const struct {
	const char *type;
	void (*fn)(struct rt_conn *c, json_t *ev, json_t *eid);
} handlers[] = {
    {"session.update", on_session_update},
    {"input_audio_buffer.append", on_append},
    {"input_audio_buffer.commit", on_commit},
    {"input_audio_buffer.clear", on_clear},
    {"conversation.item.create", on_item_create},
    {"conversation.item.truncate", on_item_truncate},
    {"conversation.item.delete", on_item_delete},
    {"conversation.item.retrieve", on_item_retrieve},
    {"response.create", on_response_create},
    {"response.cancel", on_response_cancel},
    {"output_audio_buffer.clear", on_output_clear},
};

static void on_message(struct rt_conn *c, const char *data, size_t len)
{
	json_error_t jerr;
	json_t *ev = json_loadb(data, len, 0, &jerr), *eid;
	const char *type;
	size_t i;

	if (!json_is_object(ev)) {
		entry_event(c, "(invalid_json)");
		send_error(c, "(invalid_json)", "invalid_request_error", "invalid_json", NULL, NULL,
			   "We could not parse the JSON body of your request: %s",
			   ev ? "expected an object" : jerr.text);
		json_decref(ev);
		return;
	}
	eid = json_object_get(ev, "event_id");
	type = json_string_value(json_object_get(ev, "type"));
	if (!type) {
		struct rt_verr e;

		entry_event(c, "(no_type)");
		missing(&e, "type");
		invalid(c, "(no_type)", eid, &e);
		json_decref(ev);
		return;
	}
	entry_event(c, type);
	for (i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++) {
		if (!strcmp(handlers[i].type, type)) {
			handlers[i].fn(c, ev, eid);
			json_decref(ev);
			return;
		}
	}
	send_error(c, type, "invalid_request_error", "invalid_value", "type", eid,
		   "Invalid value: '%.100s'. Supported values are: 'session.update', "
		   "'input_audio_buffer.append', 'input_audio_buffer.commit', "
		   "'input_audio_buffer.clear', 'conversation.item.create', "
		   "'conversation.item.truncate', 'conversation.item.delete', "
		   "'conversation.item.retrieve', 'response.create', 'response.cancel', and "
		   "'output_audio_buffer.clear'.",
		   type);
	json_decref(ev);
}

/* ---- WebSocket connections ---- */

/* "name=value" from the query, URL-decoded; 1 when present. */
static int urlarg(struct lws *wsi, const char *name, char *dst, size_t dstsz)
{
	char key[64], buf[512];
	const char *v;

	snprintf(key, sizeof(key), "%s=", name);
	v = lws_get_urlarg_by_name(wsi, key, buf, (int)sizeof(buf));
	if (!v)
		return 0;
	snprintf(dst, dstsz, "%s", v);
	return 1;
}

static int header(struct lws *wsi, enum lws_token_indexes h, char *dst, size_t dstsz)
{
	int n = lws_hdr_total_length(wsi, h);

	dst[0] = '\0';
	if (n <= 0 || n >= (int)dstsz || lws_hdr_copy(wsi, dst, (int)dstsz, h) < 0) {
		dst[0] = '\0';
		return 0;
	}
	return 1;
}

static int bearer_ok(const char *a)
{
	if (strncasecmp(a, "Bearer ", 7))
		return 0;
	for (a += 7; *a == ' ' || *a == '\t'; a++)
		;
	return *a != '\0';
}

static int realtime_path(const char *p)
{
	return !strcmp(p, "/v1/realtime") || !strcmp(p, "/realtime");
}

/* The scenario a connection asked for: ?scenario=NAME, else a model named
 * mock-NAME, else the default; -1 for an unknown name. */
static int pick_scenario(struct rt_server *srv, struct lws *wsi, const char *model)
{
	char sc[64];

	if (urlarg(wsi, "scenario", sc, sizeof(sc)))
		return scenario_lookup(sc);
	if (!strncmp(model, "mock-", 5) && scenario_lookup(model + 5) >= 0)
		return scenario_lookup(model + 5);
	return scenario_lookup(srv->opt.scenario);
}

static int on_confirm_upgrade(struct rt_server *srv, struct lws *wsi)
{
	char path[256], auth[1024], beta[128], model[128];
	const char *why = NULL;
	int status = 0, n;

	header(wsi, WSI_TOKEN_GET_URI, path, sizeof(path));
	header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION, auth, sizeof(auth));
	beta[0] = '\0';
	n = lws_hdr_custom_length(wsi, "openai-beta:", 12);
	if (n > 0 && n < (int)sizeof(beta))
		lws_hdr_custom_copy(wsi, beta, (int)sizeof(beta), "openai-beta:", 12);
	if (!realtime_path(path)) {
		status = 404;
		why = "no such WebSocket endpoint (use /v1/realtime)";
	} else if (!srv->opt.no_auth && !bearer_ok(auth)) {
		status = 401;
		why = "missing or invalid Authorization: Bearer header";
	} else if (strstr(beta, "realtime")) {
		/* The GA interface takes no OpenAI-Beta header; realtime=v1
		 * asks for the beta interface, which this mock does not speak. */
		status = 400;
		why = "OpenAI-Beta: realtime=v1 selects the beta interface; GA clients send no "
		      "OpenAI-Beta header";
	} else if (!urlarg(wsi, "model", model, sizeof(model)) || !model[0]) {
		status = 400;
		why = "missing required query parameter: model";
	} else if (pick_scenario(srv, wsi, model) < 0) {
		status = 400;
		why = "unknown scenario";
	}
	if (!status)
		return 0;
	json_array_append_new(srv->refused,
			      json_pack("{s:i,s:s,s:s,s:b,s:b}", "status", status, "reason", why,
					"path", path, "auth", bearer_ok(auth), "beta_header",
					beta[0] != '\0'));
	VA_INFO("mock", NULL, "handshake_refused", "status=%d path=%s", status, path);
	lws_return_http_status(wsi, (unsigned int)status, why);
	return 1;
}

static struct rt_conn *conn_new(struct rt_server *srv, struct lws *wsi)
{
	struct rt_conn *c = va_xcalloc(1, sizeof(*c));
	char path[256], auth[1024], v[32];
	int sc;

	c->srv = srv;
	c->wsi = wsi;
	c->n = ++srv->nconn;
	header(wsi, WSI_TOKEN_GET_URI, path, sizeof(path));
	header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION, auth, sizeof(auth));
	if (!urlarg(wsi, "model", c->model, sizeof(c->model)))
		snprintf(c->model, sizeof(c->model), "gpt-realtime");
	sc = pick_scenario(srv, wsi, c->model);
	c->sc = sc < 0 ? SC_PLAIN : (enum rt_scenario)sc;
	c->pace_ms = srv->opt.pace_ms;
	c->chunk_ms = srv->opt.chunk_ms;
	c->first_audio_ms = srv->opt.first_audio_ms;
	if (urlarg(wsi, "pace_ms", v, sizeof(v)))
		c->pace_ms = atoi(v);
	if (urlarg(wsi, "first_audio_ms", v, sizeof(v)))
		c->first_audio_ms = atoi(v);
	if (urlarg(wsi, "chunk_ms", v, sizeof(v)) && atoi(v) > 0)
		c->chunk_ms = atoi(v);
	c->script = json_incref(srv->script);
	c->fnv = 0xcbf29ce484222325ull;
	va_buf_init(&c->rx, (size_t)srv->opt.max_message);
	uv_timer_init(&srv->loop, &c->timer);
	c->timer.data = c;
	c->session = session_default(c);
	session_apply(c);
	c->entry = entry_new(c, path, bearer_ok(auth));
	json_array_append(srv->log, c->entry);
	c->next = srv->conns;
	if (c->next)
		c->next->prev = c;
	srv->conns = c;
	VA_INFO("mock", NULL, "connected", "conn=%lu model=%s scenario=%s", c->n, c->model,
		scenario_names[c->sc]);
	conn_send(c, json_pack("{s:s,s:o}", "type", "session.created", "session",
			       json_deep_copy(c->session)));
	return c;
}

static void on_conn_timer_closed(uv_handle_t *h)
{
	struct rt_conn *c = h->data;

	va_buf_release(&c->rx);
	free(c->items);
	json_decref(c->session);
	json_decref(c->script);
	json_decref(c->entry);
	free(c);
}

static void conn_closed(struct rt_conn *c)
{
	struct rt_server *srv = c->srv;
	struct rt_out *o;

	json_object_set_new(c->entry, "closed", json_true());
	json_object_set_new(c->entry, "closed_ms",
			    json_integer((json_int_t)(now_ms() - srv->t0_ms)));
	if (c->resp.active) {
		json_object_set_new(c->entry, "closed_mid_response", json_true());
		snprintf(c->resp.status, sizeof(c->resp.status), "interrupted");
		resp_finish(c);
	}
	VA_INFO("mock", NULL, "closed", "conn=%lu", c->n);
	if (srv->logf) {
		char *s = json_dumps(c->entry, JSON_COMPACT);

		if (s) {
			fprintf(srv->logf, "%s\n", s);
			fflush(srv->logf);
			free(s);
		}
	}
	c->wsi = NULL;
	while ((o = c->head)) {
		c->head = o->next;
		free(o);
	}
	c->tail = NULL;
	if (c->prev)
		c->prev->next = c->next;
	else if (srv->conns == c)
		srv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	uv_timer_stop(&c->timer);
	uv_close((uv_handle_t *)&c->timer, on_conn_timer_closed);
}

static int on_ws_receive(struct rt_conn *c, const void *in, size_t len)
{
	int binary;

	if (!c || c->drop)
		return 0; /* a connection being dropped ignores what it receives */
	if (!c->rx_skip && va_buf_append(&c->rx, in, len) != VA_OK) {
		c->rx_skip = 1;
		va_buf_release(&c->rx);
		va_buf_init(&c->rx, (size_t)c->srv->opt.max_message);
	}
	if (!lws_is_final_fragment(c->wsi) || lws_remaining_packet_payload(c->wsi))
		return 0;
	binary = lws_frame_is_binary(c->wsi);
	if (c->rx_skip) {
		entry_event(c, "(too_large)");
		send_error(c, "(too_large)", "invalid_request_error", "message_too_large", NULL,
			   NULL, "The message is larger than this server accepts (%d bytes).",
			   c->srv->opt.max_message);
	} else if (binary) {
		entry_event(c, "(binary)");
		send_error(c, "(binary)", "invalid_request_error", "invalid_json", NULL, NULL,
			   "Binary frames are not supported; send JSON text frames.");
	} else {
		on_message(c, va_buf_cstr(&c->rx), c->rx.len);
	}
	c->rx_skip = 0;
	va_buf_release(&c->rx);
	va_buf_init(&c->rx, (size_t)c->srv->opt.max_message);
	return 0;
}

static int on_ws_writeable(struct rt_conn *c)
{
	struct rt_out *o;

	if (!c)
		return 0;
	o = c->head;
	if (!o)
		return c->drop ? -1 : 0; /* drop: no close frame, as a network failure */
	if (lws_write(c->wsi, o->data + LWS_PRE, o->len, LWS_WRITE_TEXT) < (int)o->len)
		return -1;
	c->head = o->next;
	if (!c->head)
		c->tail = NULL;
	c->out_bytes -= o->len;
	free(o);
	if (c->head || c->drop)
		lws_callback_on_writable(c->wsi);
	return 0;
}

/* ---- control endpoints (plain HTTP on the same port) ---- */

static void http_free(struct rt_http *h)
{
	if (!h)
		return;
	va_buf_release(&h->in);
	free(h->body);
	free(h);
}

static void http_respond(struct lws *wsi, struct rt_http *h, int status, const char *ctype,
			 const char *body)
{
	h->responded = 1;
	h->status = status;
	h->ctype = ctype;
	h->body = va_xstrdup(body);
	h->len = strlen(body);
	lws_callback_on_writable(wsi);
}

static void http_error(struct lws *wsi, struct rt_http *h, int status, const char *msg,
		       const char *code)
{
	json_t *o = json_pack("{s:{s:s,s:s,s:n,s:o}}", "error", "message", msg, "type",
			      "invalid_request_error", "param", "code",
			      code ? json_string(code) : json_null());
	char *s = json_dumps(o, JSON_COMPACT);

	http_respond(wsi, h, status, "application/json", s ? s : "{}");
	free(s);
	json_decref(o);
}

static void handle_reset(struct rt_server *srv)
{
	struct rt_conn *c;

	json_array_clear(srv->log);
	json_array_clear(srv->refused);
	/* Live connections carry on with a fresh entry each. */
	for (c = srv->conns; c; c = c->next) {
		char path[256];
		json_t *fresh;

		snprintf(path, sizeof(path), "%s",
			 str_or(json_object_get(c->entry, "path"), "/v1/realtime"));
		fresh = entry_new(c, path, json_is_true(json_object_get(c->entry, "auth")));

		json_decref(c->entry);
		c->entry = fresh;
		json_array_append(srv->log, fresh);
	}
}

static void http_dispatch(struct rt_server *srv, struct lws *wsi, struct rt_http *h)
{
	const char *p = h->path;

	if (!strcmp(p, "/_health")) {
		if (!h->post) {
			http_respond(wsi, h, 200, "text/plain", "ok");
			return;
		}
	} else if (!strcmp(p, "/_log")) {
		if (!h->post) {
			json_t *o =
			    json_pack("{s:O,s:O,s:I}", "connections", srv->log, "refused",
				      srv->refused, "connections_total", (json_int_t)srv->nconn);
			char *s = json_dumps(o, JSON_COMPACT);

			http_respond(wsi, h, 200, "application/json", s ? s : "{}");
			free(s);
			json_decref(o);
			return;
		}
	} else if (!strcmp(p, "/_reset")) {
		if (h->post) {
			handle_reset(srv);
			http_respond(wsi, h, 200, "application/json", "{\"ok\":true}");
			return;
		}
	} else if (!strcmp(p, "/_script")) {
		if (h->post) {
			char why[300], ok[64];
			json_t *s =
			    script_parse(h->in.data ? h->in.data : "", h->in.len, why, sizeof(why));

			if (!s) {
				http_error(wsi, h, 400, why, "invalid_script");
				return;
			}
			json_decref(srv->script);
			srv->script = s;
			snprintf(ok, sizeof(ok), "{\"ok\":true,\"turns\":%zu}", json_array_size(s));
			http_respond(wsi, h, 200, "application/json", ok);
			return;
		}
	} else if (realtime_path(p)) {
		http_error(wsi, h, 400, "This endpoint is a WebSocket: upgrade the connection.",
			   "websocket_required");
		return;
	} else {
		http_error(wsi, h, 404, "Unknown request URL", "unknown_url");
		return;
	}
	http_error(wsi, h, 405, "Method not allowed", NULL);
}

static int on_http(struct rt_server *srv, struct lws *wsi, struct rt_pss *pss, const char *uri)
{
	struct rt_http *h;
	char clen[32];

	http_free(pss->http);
	h = va_xcalloc(1, sizeof(*h));
	pss->http = h;
	va_buf_init(&h->in, RT_HTTP_BODY_MAX);
	snprintf(h->path, sizeof(h->path), "%s", uri ? uri : "/");
	h->post = lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0;
	header(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH, clen, sizeof(clen));
	if (h->post && atol(clen) > (long)RT_HTTP_BODY_MAX) {
		h->too_big = 1;
		http_error(wsi, h, 413, "Request too large", NULL);
		return 0;
	}
	if (!h->post || atol(clen) <= 0)
		http_dispatch(srv, wsi, h);
	return 0;
}

static int on_http_body(struct rt_http *h, const void *in, size_t len)
{
	if (h && !h->responded && va_buf_append(&h->in, in, len) != VA_OK)
		h->too_big = 1;
	return 0;
}

static int on_http_body_done(struct rt_server *srv, struct lws *wsi, struct rt_http *h)
{
	if (!h || h->responded)
		return 0;
	if (h->too_big)
		http_error(wsi, h, 413, "Request too large", NULL);
	else
		http_dispatch(srv, wsi, h);
	return 0;
}

static int on_http_writeable(struct lws *wsi, struct rt_pss *pss)
{
	struct rt_http *h = pss->http;
	unsigned char buf[LWS_PRE + RT_HTTP_CHUNK];
	unsigned char *start = buf + LWS_PRE, *p = start, *end = buf + sizeof(buf) - 1;
	size_t n;
	int final, close_it;

	if (!h || !h->responded)
		return 0;
	if (!h->headers_sent) {
		if (lws_add_http_common_headers(wsi, (unsigned int)h->status, h->ctype, h->len, &p,
						end) ||
		    lws_finalize_write_http_header(wsi, start, &p, end))
			return -1;
		h->headers_sent = 1;
		if (h->len) {
			lws_callback_on_writable(wsi);
			return 0;
		}
	} else {
		n = h->len - h->sent > RT_HTTP_CHUNK ? RT_HTTP_CHUNK : h->len - h->sent;
		final = n == h->len - h->sent;
		memcpy(start, h->body + h->sent, n);
		if (lws_write(wsi, start, n, final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) !=
		    (int)n)
			return -1;
		h->sent += n;
		if (!final) {
			lws_callback_on_writable(wsi);
			return 0;
		}
	}
	close_it = h->too_big;
	http_free(h);
	pss->http = NULL;
	if (close_it || lws_http_transaction_completed(wsi))
		return -1;
	return 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		    size_t len)
{
	struct rt_pss *pss = user;
	struct lws_context *ctx = lws_get_context(wsi);
	struct rt_server *srv = ctx ? lws_context_user(ctx) : NULL;

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		return on_http(srv, wsi, pss, in);
	case LWS_CALLBACK_HTTP_BODY:
		return on_http_body(pss->http, in, len);
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		return on_http_body_done(srv, wsi, pss->http);
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return on_http_writeable(wsi, pss);
	case LWS_CALLBACK_CLOSED_HTTP:
		http_free(pss->http);
		pss->http = NULL;
		return 0;
	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
		return on_confirm_upgrade(srv, wsi);
	case LWS_CALLBACK_ESTABLISHED:
		pss->http = NULL;
		pss->conn = conn_new(srv, wsi);
		return 0;
	case LWS_CALLBACK_RECEIVE:
		return on_ws_receive(pss->conn, in, len);
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return on_ws_writeable(pss->conn);
	case LWS_CALLBACK_CLOSED:
		if (pss->conn)
			conn_closed(pss->conn);
		pss->conn = NULL;
		return 0;
	default:
		break;
	}
	return 0;
}

static const struct lws_protocols protocols[] = {
    {
	.name = "mock-realtime",
	.callback = callback,
	.per_session_data_size = sizeof(struct rt_pss),
	.rx_buffer_size = 65536,
    },
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void lws_log_emit(int level, const char *line)
{
	char q[600], tmp[512];
	size_t n = strlen(line);

	if (n >= sizeof(tmp))
		n = sizeof(tmp) - 1;
	memcpy(tmp, line, n);
	tmp[n] = '\0';
	while (n && (tmp[n - 1] == '\n' || tmp[n - 1] == '\r'))
		tmp[--n] = '\0';
	VA_LOG(level == LLL_ERR ? VA_LOG_ERROR : VA_LOG_WARN, "lws", NULL, "lws", "msg=%s",
	       va_log_quote(q, sizeof(q), tmp));
}

/* ---- main ---- */

static void on_signal(uv_signal_t *sig, int signum)
{
	struct rt_server *srv = sig->data;

	if (srv->stopping)
		return;
	srv->stopping = 1;
	VA_INFO("mock", NULL, "stop", "signal=%d", signum);
	uv_close((uv_handle_t *)&srv->sigterm, NULL);
	uv_close((uv_handle_t *)&srv->sigint, NULL);
	if (srv->lws)
		lws_context_destroy(srv->lws);
}

static void usage(void)
{
	fprintf(
	    stderr,
	    "usage: mock_realtime --port N [--audio FILE.ul] [--script FILE] [--scenario NAME]\n"
	    "                     [--no-auth] [--audio-pace-ms MS] [--audio-chunk-ms MS]\n"
	    "                     [--first-audio-ms MS] [--max-message BYTES] [--log FILE]\n"
	    "                     [--log-level LEVEL]\n");
}

static int parse_int(const char *s, int *out)
{
	char *e;
	long v;

	errno = 0;
	v = strtol(s, &e, 10);
	if (e == s || *e || errno || v < 0 || v > 100000000)
		return VA_E_INVAL;
	*out = (int)v;
	return VA_OK;
}

static int parse_args(int argc, char **argv, struct rt_opts *o)
{
	int i;

	o->port = -1;
	o->pace_ms = -1;
	o->chunk_ms = RT_CHUNK_MS_DEFAULT;
	o->first_audio_ms = -1;
	o->max_message = RT_MAX_MESSAGE;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int need = 1, rc = VA_OK;

		if (!strcmp(a, "--no-auth")) {
			o->no_auth = 1;
			need = 0;
		} else if (!v) {
			return VA_E_INVAL;
		} else if (!strcmp(a, "--port")) {
			rc = parse_int(v, &o->port);
			if (!rc && o->port > 65535)
				rc = VA_E_INVAL;
		} else if (!strcmp(a, "--audio")) {
			o->audio_path = v;
		} else if (!strcmp(a, "--script")) {
			o->script_path = v;
		} else if (!strcmp(a, "--scenario")) {
			if (scenario_lookup(v) < 0)
				return VA_E_INVAL;
			o->scenario = v;
		} else if (!strcmp(a, "--audio-pace-ms")) {
			rc = parse_int(v, &o->pace_ms);
		} else if (!strcmp(a, "--audio-chunk-ms")) {
			rc = parse_int(v, &o->chunk_ms);
			if (!rc && !o->chunk_ms)
				rc = VA_E_INVAL;
		} else if (!strcmp(a, "--first-audio-ms")) {
			rc = parse_int(v, &o->first_audio_ms);
		} else if (!strcmp(a, "--max-message")) {
			rc = parse_int(v, &o->max_message);
			if (!rc && o->max_message < 1024)
				rc = VA_E_INVAL;
		} else if (!strcmp(a, "--log")) {
			o->log_path = v;
		} else if (!strcmp(a, "--log-level")) {
			enum va_log_level lvl;

			rc = va_log_parse_level(v, &lvl);
			if (!rc)
				va_log_set_level(lvl);
		} else {
			return VA_E_INVAL;
		}
		if (rc)
			return rc;
		i += need;
	}
	if (!o->scenario)
		o->scenario = o->script_path ? "script" : "plain";
	return o->port < 0 ? VA_E_INVAL : VA_OK;
}

static int load_file(const char *path, unsigned char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct va_buf b = VA_BUF_INIT(64u << 20);
	char chunk[8192];
	size_t n;
	int rc = VA_OK;

	if (!f)
		return VA_E_IO;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (va_buf_append(&b, chunk, n) != VA_OK) {
			rc = VA_E_TOOBIG;
			break;
		}
	if (ferror(f))
		rc = VA_E_IO;
	fclose(f);
	if (rc) {
		va_buf_release(&b);
		return rc;
	}
	*out = (unsigned char *)va_buf_take(&b, len);
	return VA_OK;
}

/* tests/data/realtime_reply.ul next to this source file. */
static void default_audio(char *dst, size_t dstsz)
{
	const char *slash = strrchr(__FILE__, '/');
	int dir = slash ? (int)(slash - __FILE__) : 1;

	snprintf(dst, dstsz, "%.*s/../data/realtime_reply.ul", dir, slash ? __FILE__ : ".");
}

/* The benchmark holds hundreds of sockets open at once. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int main(int argc, char **argv)
{
	struct rt_server *srv = &server;
	struct lws_context_creation_info info;
	void *foreign[1];
	struct lws_vhost *vh;
	char why[300], audio_default[1024];
	int ret = 1;

	va_log_set_level(VA_LOG_WARN);
	if (parse_args(argc, argv, &srv->opt)) {
		usage();
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	raise_fd_limit();
	if (!srv->opt.audio_path) {
		default_audio(audio_default, sizeof(audio_default));
		srv->opt.audio_path = audio_default;
	}
	if (load_file(srv->opt.audio_path, &srv->audio, &srv->audio_len) || !srv->audio_len) {
		fprintf(stderr, "mock_realtime: %s: cannot read audio (or empty)\n",
			srv->opt.audio_path);
		free(srv->audio);
		return 2;
	}
	if (srv->opt.script_path) {
		unsigned char *text = NULL;
		size_t len = 0;

		if (load_file(srv->opt.script_path, &text, &len)) {
			fprintf(stderr, "mock_realtime: %s: %s\n", srv->opt.script_path,
				strerror(errno));
			free(srv->audio);
			return 2;
		}
		srv->script = script_parse((const char *)text, len, why, sizeof(why));
		free(text);
		if (!srv->script) {
			fprintf(stderr, "mock_realtime: %s: %s\n", srv->opt.script_path, why);
			free(srv->audio);
			return 2;
		}
	}
	if (srv->opt.log_path) {
		srv->logf = fopen(srv->opt.log_path, "a");
		if (!srv->logf) {
			fprintf(stderr, "mock_realtime: %s: %s\n", srv->opt.log_path,
				strerror(errno));
			json_decref(srv->script);
			free(srv->audio);
			return 2;
		}
	}
	srv->log = json_array();
	srv->refused = json_array();
	srv->t0_ms = now_ms();
	uv_loop_init(&srv->loop);
	lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_emit);
	memset(&info, 0, sizeof(info));
	foreign[0] = &srv->loop;
	info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_DISABLE_IPV6;
	info.foreign_loops = foreign;
	info.port = srv->opt.port;
	info.iface = "127.0.0.1";
	info.protocols = protocols;
	info.user = srv;
	info.max_http_header_data = 8192;
	info.max_http_header_pool = 1024;
	info.pt_serv_buf_size = 65536;
	info.timeout_secs = 30;
	info.server_string = "mock-realtime";
	info.vhost_name = "default";
	info.pcontext = &srv->lws;
	srv->lws = lws_create_context(&info);
	vh = srv->lws ? lws_get_vhost_by_name(srv->lws, "default") : NULL;
	if (!vh || lws_get_vhost_listen_port(vh) <= 0) {
		fprintf(stderr, "mock_realtime: cannot listen on 127.0.0.1:%d\n", srv->opt.port);
		goto out;
	}
	/* Handlers first: a SIGTERM right after the port line is a clean stop. */
	uv_signal_init(&srv->loop, &srv->sigterm);
	uv_signal_init(&srv->loop, &srv->sigint);
	srv->sigterm.data = srv;
	srv->sigint.data = srv;
	uv_signal_start(&srv->sigterm, on_signal, SIGTERM);
	uv_signal_start(&srv->sigint, on_signal, SIGINT);
	printf("port=%d\n", lws_get_vhost_listen_port(vh));
	fflush(stdout);
	uv_run(&srv->loop, UV_RUN_DEFAULT);
	ret = 0;
out:
	/* A context destroy lws deferred on the foreign loop is completed by a
	 * second call; then every handle is closed. */
	if (srv->lws) {
		lws_context_destroy(srv->lws);
		uv_run(&srv->loop, UV_RUN_DEFAULT);
	}
	if (srv->lws) {
		lws_context_destroy(srv->lws);
		uv_run(&srv->loop, UV_RUN_DEFAULT);
	}
	if (uv_loop_close(&srv->loop))
		ret = 1;
	json_decref(srv->log);
	json_decref(srv->refused);
	json_decref(srv->script);
	free(srv->audio);
	if (srv->logf)
		fclose(srv->logf);
	return ret;
}
