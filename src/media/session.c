/* SPDX-License-Identifier: MIT */
/*
 * session.c - a Media Streams call bridged to OpenAI Realtime (session.h).
 *
 * Three parts: the Twilio socket (reassembly, validation, a bounded outbound
 * queue written one frame per writable callback), the playback clock (what
 * was sent of the model's current item, what Twilio has played per its mark
 * echoes), and the bridge (turn-taking, barge-in, tools, transcripts, the
 * fall back to ConversationRelay).
 */
#include "media/session.h"

#include "agent/llm_agent.h"
#include "agent/receptionist.h"
#include "app/server.h"
#include "audio/listener.h"
#include "call/call.h"
#include "core/alloc.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "llm/instructions.h"
#include "llm/tools.h"
#include "media/msg.h"
#include "realtime/client.h"
#include "realtime/events.h"
#include "tenant/audio_json.h"

#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Twilio's frames: 20 ms of mu-law. Other sizes are refused. */
#define FRAME_BYTES 160
/* Malformed frames in a row before the socket is closed. */
#define MAX_BAD_IN_ROW 50
/* Marks outstanding at once, and the audio between two marks: enough to
 * know what was heard to a tenth of a second however far ahead of
 * playback the model's audio runs. */
#define MAX_MARKS	 256
#define MARK_EVERY_BYTES 800
#define DEFAULT_MODEL	 "gpt-realtime"
#define TRANSCRIBE_MODEL "gpt-4o-mini-transcribe"

struct frame {
	struct frame *next;
	size_t len;
	uint64_t t0_ns;	      /* model audio: when its delta arrived (0 = other) */
	unsigned char data[]; /* LWS_PRE headroom, then the JSON */
};

struct mark {
	uint32_t seq;	/* its name is "m<seq>" */
	uint32_t bytes; /* of the item, sent before this mark */
};

struct va_media_conn {
	struct va_server *srv;
	struct lws *wsi;
	char tenant_id[64];
	struct va_buf rx;
	struct frame *head, *tail;
	size_t queued;
	bool closing;
	unsigned bad_in_row;
	struct va_media_in *in; /* large: the decoded audio lives inline */

	bool started;
	char stream_sid[64];
	char call_sid[64];
	struct va_call *call;
	struct va_listener *listener;

	/* the model */
	struct va_rt_client *rt;
	bool rt_ready;	  /* session.updated seen */
	bool responding;  /* response.created .. response.done */
	bool asked;	  /* response.create sent, response.created not yet */
	int64_t asked_ms; /* when, for the silence limit */
	int64_t opened_ms;
	bool failed;	/* fell back (or is falling back) */
	bool end_after; /* close once the reply has played (goodbye, transfer) */
	bool ask_after; /* a tool answered while its response was still open */
	enum va_turn_detection turn;

	/* the model's current audio item and the playback clock */
	char item[64];
	char cancelled[64]; /* late audio for this item is dropped */
	size_t sent;	    /* bytes of item sent to Twilio */
	size_t played;	    /* bytes of item Twilio has played (marks) */
	unsigned mark_seq;
	struct mark marks[MAX_MARKS];
	size_t n_marks;
	struct va_buf said; /* transcript of the current response */
	bool said_recorded;
	uint64_t t0_ns;	  /* end of the caller's speech */
	int64_t first_us; /* t0 -> first reply audio sent */

	/* a tool the model called */
	struct va_tool_run *tool;
	char tool_call[64];
	struct va_tools_ctx tctx;
	char caller[32];

	uv_timer_t *watchdog; /* heap: freed in its close callback */
};

static const char *log_id(const struct va_media_conn *mc)
{
	return mc->call_sid[0] ? mc->call_sid : NULL;
}

/* ---- the Twilio socket ------------------------------------------------------ */

static int enqueue_at(struct va_media_conn *mc, const struct va_buf *json, uint64_t t0_ns);

static int enqueue(struct va_media_conn *mc, const struct va_buf *json)
{
	return enqueue_at(mc, json, 0);
}

static int enqueue_at(struct va_media_conn *mc, const struct va_buf *json, uint64_t t0_ns)
{
	struct frame *f;

	if (mc->closing || !mc->wsi)
		return VA_E_CLOSED;
	if (mc->queued >= (size_t)mc->srv->cfg.max_queue) {
		VA_WARN("media", log_id(mc), "slow_client_dropped", "queued=%zu", mc->queued);
		mc->closing = true;
		lws_set_timeout(mc->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
		return VA_E_FULL;
	}
	f = va_xmalloc(sizeof(*f) + LWS_PRE + json->len);
	memcpy(f->data + LWS_PRE, json->data, json->len);
	/* Nothing waiting and the socket takes it: write now rather than a
	 * turn of the loop later (at 200 calls that turn is 1-2 ms of other
	 * calls' work). Safe on HTTP/1 WebSockets: lws refuses nothing while
	 * its pipe is not choked, and a partial write it buffers itself makes
	 * the pipe choked, so everything after goes through the queue. */
	if (!mc->head && !lws_send_pipe_choked(mc->wsi)) {
		if (lws_write(mc->wsi, f->data + LWS_PRE, json->len, LWS_WRITE_TEXT) <
		    (int)json->len) {
			free(f);
			mc->closing = true;
			lws_set_timeout(mc->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
			return VA_E_IO;
		}
		if (t0_ns)
			va_latency_add_us(&mc->srv->model_audio_out,
					  (va_clock_mono_ns() - t0_ns) / 1000);
		free(f);
		return VA_OK;
	}
	f->next = NULL;
	f->len = json->len;
	f->t0_ns = t0_ns;
	if (mc->tail)
		mc->tail->next = f;
	else
		mc->head = f;
	mc->tail = f;
	mc->queued++;
	lws_callback_on_writable(mc->wsi);
	return VA_OK;
}

static void send_clear(struct va_media_conn *mc)
{
	struct va_buf b = VA_BUF_INIT(1024);

	if (va_media_write_clear(&b, mc->stream_sid) == VA_OK)
		enqueue(mc, &b);
	va_buf_release(&b);
}

/* Closes the stream once what is queued is written: Twilio then calls the
 * <Connect action>, which decides what comes next for the call. */
static void close_stream(struct va_media_conn *mc, const char *why)
{
	if (mc->closing)
		return;
	VA_INFO("media", log_id(mc), "stream_closing", "reason=%s", why);
	mc->closing = true;
	if (mc->wsi)
		lws_callback_on_writable(mc->wsi);
}

int va_media_on_writeable(struct va_media_conn *mc)
{
	struct frame *f;
	int n = 0;

	if (!mc->head)
		return mc->closing ? -1 : 0;
	/* Everything queued while the socket takes it: a frame that waits for
	 * another turn of the loop is late audio. */
	while ((f = mc->head) && n++ < 64) {
		if (n > 1 && lws_send_pipe_choked(mc->wsi))
			break;
		if (lws_write(mc->wsi, f->data + LWS_PRE, f->len, LWS_WRITE_TEXT) < (int)f->len)
			return -1;
		/* The model's audio, from its delta arriving to Twilio's frame
		 * written. */
		if (f->t0_ns)
			va_latency_add_us(&mc->srv->model_audio_out,
					  (va_clock_mono_ns() - f->t0_ns) / 1000);
		mc->head = f->next;
		if (!mc->head)
			mc->tail = NULL;
		mc->queued--;
		free(f);
	}
	if (mc->head || mc->closing)
		lws_callback_on_writable(mc->wsi);
	return 0;
}

/* ---- the model ------------------------------------------------------------- */

static void rt_send(struct va_media_conn *mc, struct va_buf *b)
{
	if (mc->rt && b->len && va_rt_client_send(mc->rt, b->data, b->len) != VA_OK)
		VA_WARN("media", log_id(mc), "model_send_failed", "");
	va_buf_reset(b);
}

static void fall_back(struct va_media_conn *mc, const char *why)
{
	if (mc->failed)
		return;
	mc->failed = true;
	VA_WARN("media", log_id(mc), "model_failed", "reason=%s then=relay", why);
	if (mc->call) {
		mc->call->media_failed = true;
		va_call_set_agent_label(mc->call, "receptionist");
	}
	va_rt_client_close(mc->rt);
	mc->rt = NULL;
	close_stream(mc, "fallback");
}

static void ask(struct va_media_conn *mc, const char *instructions)
{
	struct va_buf b = VA_BUF_INIT(8192);

	if (!mc->rt || mc->asked)
		return;
	if (mc->responding) {
		/* One response at a time: this one follows the open one. */
		mc->ask_after = true;
		return;
	}
	va_rt_write_response_create(&b, instructions);
	rt_send(mc, &b);
	va_buf_release(&b);
	mc->asked = true;
	mc->asked_ms = va_clock_wall_ms();
}

/* What the caller heard of the current item, in ms (mu-law: 8 bytes a ms). */
static long heard_ms(const struct va_media_conn *mc)
{
	return (long)(mc->played / 8);
}

/* Records the reply of the current item (once), cut short or complete. */
static void record_reply(struct va_media_conn *mc, bool interrupted)
{
	char *heard = NULL;
	int64_t last_us = -1;

	if (mc->said_recorded || !mc->call || (!mc->said.len && !mc->sent))
		return;
	mc->said_recorded = true;
	if (interrupted) {
		/* The transcript is cut where the audio was: the same share. */
		size_t n = mc->sent ? mc->said.len * mc->played / mc->sent : 0;

		while (n < mc->said.len && n > 0 && (mc->said.data[n] & 0xc0) == 0x80)
			n--;
		heard = va_xstrndup(mc->said.data ? mc->said.data : "", n);
	}
	if (mc->t0_ns)
		last_us = (int64_t)((va_clock_mono_ns() - mc->t0_ns) / 1000);
	va_call_record_agent(mc->call, va_buf_cstr(&mc->said), heard, interrupted, mc->t0_ns,
			     mc->first_us, last_us);
	free(heard);
}

static void new_item(struct va_media_conn *mc, const char *item)
{
	if (mc->item[0] && strcmp(mc->item, item) != 0)
		record_reply(mc, false);
	snprintf(mc->item, sizeof(mc->item), "%s", item);
	mc->sent = mc->played = 0;
	mc->n_marks = 0;
	va_buf_reset(&mc->said);
	mc->said_recorded = false;
}

static bool playing(const struct va_media_conn *mc)
{
	return mc->item[0] && mc->played < mc->sent && strcmp(mc->item, mc->cancelled) != 0;
}

static void barge_in(struct va_media_conn *mc)
{
	struct va_buf b = VA_BUF_INIT(1024);
	long ms = heard_ms(mc);

	if (!mc->item[0] || strcmp(mc->item, mc->cancelled) == 0)
		return;
	/* Local, at once: the caller must not hear another word. */
	send_clear(mc);
	if (mc->responding) {
		va_rt_write_response_cancel(&b);
		rt_send(mc, &b);
	}
	va_rt_write_truncate(&b, mc->item, ms);
	rt_send(mc, &b);
	va_buf_release(&b);
	snprintf(mc->cancelled, sizeof(mc->cancelled), "%s", mc->item);
	/* Twilio echoes the pending marks at once after a clear: they mean
	 * discarded, not played. */
	mc->n_marks = 0;
	mc->end_after = false;
	mc->ask_after = false;
	record_reply(mc, true);
	VA_INFO("media", log_id(mc), "barge_in", "item=%s heard_ms=%ld sent_ms=%zu", mc->item, ms,
		mc->sent / 8);
}

/* A mark after the audio sent so far: its echo says Twilio has played this
 * far. One per MARK_EVERY_BYTES of audio, and one at the end of a reply. */
static void add_mark(struct va_media_conn *mc, bool final)
{
	struct va_buf b = VA_BUF_INIT(512);
	char name[16];
	size_t last = mc->n_marks ? mc->marks[mc->n_marks - 1].bytes : mc->played;
	struct mark *m;

	if (mc->sent <= last || (!final && mc->sent - last < MARK_EVERY_BYTES) ||
	    mc->n_marks == MAX_MARKS)
		return;
	m = &mc->marks[mc->n_marks++];
	m->seq = ++mc->mark_seq;
	m->bytes = (uint32_t)mc->sent;
	snprintf(name, sizeof(name), "m%u", m->seq);
	if (va_media_write_mark(&b, mc->stream_sid, name) == VA_OK)
		enqueue(mc, &b);
	va_buf_release(&b);
}

static void send_audio(struct va_media_conn *mc, const struct va_rt_event *e, uint64_t t0_ns)
{
	struct va_buf b = VA_BUF_INIT(64 * 1024);

	if (!e->audio_len)
		return;
	if (!mc->item[0] || strcmp(mc->item, e->item_id) != 0)
		new_item(mc, e->item_id);
	if (va_media_write_media_b64(&b, mc->stream_sid, e->b64, e->b64_len) != VA_OK ||
	    enqueue_at(mc, &b, t0_ns) != VA_OK)
		goto out;
	if (mc->first_us < 0 && mc->t0_ns)
		mc->first_us = (int64_t)((va_clock_mono_ns() - mc->t0_ns) / 1000);
	mc->sent += e->audio_len;
	add_mark(mc, false);
out:
	va_buf_release(&b);
}

static void on_mark(struct va_media_conn *mc, const char *name)
{
	size_t i;

	char *end;
	unsigned long seq;

	if (name[0] != 'm' || !name[1])
		return;
	seq = strtoul(name + 1, &end, 10);
	if (*end)
		return; /* not one of ours */
	for (i = 0; i < mc->n_marks; i++) {
		if (mc->marks[i].seq != seq)
			continue;
		mc->played = mc->marks[i].bytes;
		memmove(mc->marks, mc->marks + i + 1, (mc->n_marks - i - 1) * sizeof(mc->marks[0]));
		mc->n_marks -= i + 1;
		break;
	}
	/* The goodbye (or the words before a transfer) has been heard. */
	if (mc->end_after && !mc->responding && mc->played >= mc->sent)
		close_stream(mc, "ended by the model");
}

/* ---- tools ----------------------------------------------------------------- */

static void on_tool_done(char *result, enum va_tool_action action, const char *key,
			 const char *value, void *arg)
{
	struct va_media_conn *mc = arg;
	struct va_buf b = VA_BUF_INIT(64 * 1024);

	mc->tool = NULL;
	if (key && value && mc->call)
		va_call_set_detail(mc->call, key, value);
	if (action == VA_TOOL_TRANSFER && mc->call) {
		va_call_set_handoff(mc->call, "{\"reason\":\"caller asked for a person\"}");
		mc->end_after = true;
	} else if (action == VA_TOOL_END_CALL && mc->call) {
		mc->call->media_ended = true;
		mc->end_after = true;
	}
	/* Every call_id is answered, errors included. */
	va_rt_write_function_output(&b, mc->tool_call, result ? result : "{\"error\":\"failed\"}");
	rt_send(mc, &b);
	va_buf_release(&b);
	free(result);
	ask(mc, NULL);
}

static void run_tool(struct va_media_conn *mc, const struct va_rt_event *e)
{
	struct va_buf b = VA_BUF_INIT(1024);

	snprintf(mc->tool_call, sizeof(mc->tool_call), "%s", e->call_id);
	mc->tctx.now = va_clock_wall_ms() / 1000;
	VA_INFO("media", log_id(mc), "tool_call", "name=%s", e->name);
	if (va_tool_run(&mc->tctx, e->name, e->text ? e->text : "{}", on_tool_done, mc,
			&mc->tool) != VA_OK) {
		mc->tool = NULL;
		va_rt_write_function_output(&b, e->call_id, "{\"error\":\"unknown tool\"}");
		rt_send(mc, &b);
		ask(mc, NULL);
	}
	va_buf_release(&b);
}

/* ---- model events ----------------------------------------------------------- */

static void greet(struct va_media_conn *mc)
{
	const struct va_tenant *t = va_server_tenant(mc->srv, mc->tenant_id);
	char say[700];

	snprintf(say, sizeof(say), "Greet the caller now with exactly: \"%s\"",
		 t && t->greeting[0] ? t->greeting : "Hello, how can I help you?");
	mc->t0_ns = va_clock_mono_ns();
	mc->first_us = -1;
	ask(mc, say);
}

static void on_rt_message(const char *data, size_t len, void *arg)
{
	struct va_media_conn *mc = arg;
	uint64_t t0_ns = va_clock_mono_ns();
	struct va_rt_event e;

	if (va_rt_parse(data, len, &e) != VA_OK) {
		VA_WARN("media", log_id(mc), "model_bad_event", "len=%zu", len);
		return;
	}
	switch (e.type) {
	case VA_RT_EV_SESSION_UPDATED:
		if (strcmp(e.format, "audio/pcmu") != 0 || strcmp(e.in_format, "audio/pcmu") != 0) {
			fall_back(mc, "the model did not take mu-law audio");
			break;
		}
		if (!mc->rt_ready) {
			mc->rt_ready = true;
			greet(mc);
		}
		break;
	case VA_RT_EV_SPEECH_STARTED:
		if (mc->turn != VA_TURN_DETECT_LOCAL && playing(mc))
			barge_in(mc);
		break;
	case VA_RT_EV_SPEECH_STOPPED:
		if (mc->turn != VA_TURN_DETECT_LOCAL) {
			mc->t0_ns = va_clock_mono_ns();
			mc->first_us = -1;
		}
		break;
	case VA_RT_EV_RESPONSE_CREATED:
		mc->asked = false;
		mc->responding = true;
		break;
	case VA_RT_EV_AUDIO_DELTA:
		if (strcmp(e.item_id, mc->cancelled) != 0)
			send_audio(mc, &e, t0_ns);
		break;
	case VA_RT_EV_TRANSCRIPT_DELTA:
		/* A transcript word may come just before its audio. */
		if (e.text && e.item_id[0] && strcmp(e.item_id, mc->cancelled) != 0) {
			if (strcmp(e.item_id, mc->item) != 0)
				new_item(mc, e.item_id);
			va_buf_append_str(&mc->said, e.text);
		}
		break;
	case VA_RT_EV_INPUT_TRANSCRIPT:
		if (mc->call && e.text)
			va_call_record_caller(mc->call, e.text);
		break;
	case VA_RT_EV_FUNCTION_CALL:
		run_tool(mc, &e);
		break;
	case VA_RT_EV_RESPONSE_DONE:
		mc->responding = false;
		mc->asked = false;
		if (mc->item[0] && strcmp(mc->item, mc->cancelled) != 0)
			add_mark(mc, true);
		if (strcmp(e.status, "failed") == 0) {
			fall_back(mc, "the model's response failed");
			break;
		}
		if (mc->item[0] && strcmp(mc->item, mc->cancelled) != 0 && !mc->tool)
			record_reply(mc, false);
		if (mc->ask_after && !mc->tool) {
			mc->ask_after = false;
			ask(mc, NULL);
		}
		if (mc->end_after && mc->played >= mc->sent)
			close_stream(mc, "ended by the model");
		break;
	case VA_RT_EV_ERROR:
		if (strcmp(e.code, "response_cancel_not_active") == 0)
			break; /* the response finished as we cancelled: benign */
		VA_WARN("media", log_id(mc), "model_error", "code=%s", e.code[0] ? e.code : "-");
		if (!mc->rt_ready || strstr(e.code, "server") || strstr(e.code, "rate_limit"))
			fall_back(mc, "the model reported an error");
		break;
	default:
		break;
	}
	va_rt_event_release(&e);
}

static void on_rt_open(void *arg)
{
	struct va_media_conn *mc = arg;

	VA_INFO("media", log_id(mc), "model_connected", "ms=%lld",
		(long long)(va_clock_wall_ms() - mc->opened_ms));
}

static void on_rt_closed(const char *why, void *arg)
{
	struct va_media_conn *mc = arg;

	if (!mc->closing)
		fall_back(mc, why);
}

static const struct va_rt_client_cbs rt_cbs = {
    .on_open = on_rt_open,
    .on_message = on_rt_message,
    .on_closed = on_rt_closed,
};

/* The practice's model settings over the server's. */
static void model_settings(const struct va_server *srv, const struct va_tenant *t,
			   struct va_llm_settings *s)
{
	*s = srv->llm;
	va_llm_settings_apply_tenant(s, &t->llm);
}

/* wss://api.openai.com/v1/realtime?model=... from the Chat Completions base
 * URL, or OPENAI_REALTIME_URL when set (a proxy, a local server). */
static int realtime_url(const struct va_llm_settings *s, const struct va_tenant *t, char *out,
			size_t outsz)
{
	const char *env = getenv("OPENAI_REALTIME_URL");
	const char *base = s->base_url[0] ? s->base_url : "https://api.openai.com/v1";
	const char *model = t->audio.model[0] ? t->audio.model : DEFAULT_MODEL;
	int n;

	if (env && *env)
		n = snprintf(out, outsz, "%s%smodel=%s", env, strchr(env, '?') ? "&" : "?", model);
	else if (strncmp(base, "https://", 8) == 0)
		n = snprintf(out, outsz, "wss://%s/realtime?model=%s", base + 8, model);
	else if (strncmp(base, "http://", 7) == 0)
		n = snprintf(out, outsz, "ws://%s/realtime?model=%s", base + 7, model);
	else
		return VA_E_INVAL;
	return n > 0 && (size_t)n < outsz ? VA_OK : VA_E_TOOBIG;
}

bool va_media_available(const struct va_server *srv, const struct va_tenant *t)
{
	struct va_llm_settings s;

	if (!t || t->audio.transport != VA_TRANSPORT_AUDIO)
		return false;
	model_settings(srv, t, &s);
	return s.api_key[0] || getenv("OPENAI_REALTIME_URL");
}

static void on_watchdog(uv_timer_t *t)
{
	struct va_media_conn *mc = t->data;
	int64_t now = va_clock_wall_ms();

	if (mc->failed || mc->closing)
		return;
	/* The model must have answered this long after we asked, or it has
	 * failed and the call goes on without it. */
	int64_t limit = mc->srv->cfg.realtime_silence_ms;

	if (!mc->rt_ready && now - mc->opened_ms > limit)
		fall_back(mc, "the model did not answer the session");
	else if (mc->asked && now - mc->asked_ms > limit)
		fall_back(mc, "the model went silent");
}

static void open_model(struct va_media_conn *mc, const struct va_tenant *t)
{
	struct va_buf instr = VA_BUF_INIT(64 * 1024), b = VA_BUF_INIT(256 * 1024);
	struct va_llm_settings s;
	struct va_rt_session sess = {0};
	char url[600];

	model_settings(mc->srv, t, &s);
	mc->opened_ms = va_clock_wall_ms();
	if (realtime_url(&s, t, url, sizeof(url)) != VA_OK ||
	    va_rt_client_open(mc->srv->lws, url, s.api_key, &rt_cbs, mc, &mc->rt) != VA_OK) {
		mc->rt = NULL;
		explicit_bzero(&s, sizeof(s));
		fall_back(mc, "the model cannot be reached");
		goto out;
	}
	explicit_bzero(&s, sizeof(s));
	va_llm_instructions(t, va_server_tenant_tz(mc->srv, t->id), va_clock_wall_ms() / 1000,
			    mc->caller, &instr);
	sess.model = t->audio.model[0] ? t->audio.model : DEFAULT_MODEL;
	sess.instructions = va_buf_cstr(&instr);
	sess.voice = t->audio.voice;
	sess.transcription = TRANSCRIBE_MODEL;
	sess.language = "en";
	sess.turn = mc->turn == VA_TURN_DETECT_SEMANTIC_VAD ? VA_RT_TURN_SEMANTIC_VAD
		    : mc->turn == VA_TURN_DETECT_SERVER_VAD ? VA_RT_TURN_SERVER_VAD
							    : VA_RT_TURN_LOCAL;
	sess.tools = va_tools;
	sess.n_tools = va_n_tools;
	/* Queued until the socket opens; audio that arrives before is queued
	 * after it, in order. */
	if (va_rt_write_session_update(&b, &sess) == VA_OK)
		rt_send(mc, &b);
	mc->watchdog = va_xmalloc(sizeof(*mc->watchdog));
	uv_timer_init(mc->srv->loop, mc->watchdog);
	mc->watchdog->data = mc;
	uv_timer_start(mc->watchdog, on_watchdog, 250, 250);
out:
	va_buf_release(&instr);
	va_buf_release(&b);
}

/* ---- the call record -------------------------------------------------------- */

/* The call's sink while the audio flows: the receptionist only listens (it
 * speaks if the call falls back to ConversationRelay). */
static int sink_text(void *sink, const char *token, size_t len, bool last, enum va_call_mark mark,
		     uint64_t t0_ns)
{
	return VA_OK;
}

static int sink_end(void *sink, const char *handoff_json)
{
	close_stream(sink, "ended");
	return VA_OK;
}

static int sink_send_digits(void *sink, const char *digits)
{
	return VA_E_UNSUPPORTED;
}

static void sink_close(void *sink)
{
	close_stream(sink, "replaced");
}

static const struct va_call_sink_ops sink_ops = {
    .text = sink_text,
    .end = sink_end,
    .send_digits = sink_send_digits,
    .close = sink_close,
};

/* ---- Twilio events ---------------------------------------------------------- */

static int on_start(struct va_media_conn *mc, const struct va_media_start *st)
{
	const struct va_tenant *t = va_server_tenant(mc->srv, mc->tenant_id);
	const char *p = va_media_start_param(st, "tenant"), *from;
	struct va_relay_setup setup;
	int rc;

	if (mc->started) {
		VA_WARN("media", log_id(mc), "bad_message", "reason=\"a second start\"");
		return VA_E_STATE;
	}
	if (!t || (p && strcmp(p, mc->tenant_id) != 0)) {
		VA_WARN("media", NULL, "bad_message", "reason=\"start for another tenant\"");
		return VA_E_FORBIDDEN;
	}
	snprintf(mc->stream_sid, sizeof(mc->stream_sid), "%s", st->stream_sid);
	snprintf(mc->call_sid, sizeof(mc->call_sid), "%s", st->call_sid);
	from = va_media_start_param(st, "caller");
	snprintf(mc->caller, sizeof(mc->caller), "%s", from ? from : "");
	memset(&setup, 0, sizeof(setup));
	snprintf(setup.session_id, sizeof(setup.session_id), "%s", st->stream_sid);
	snprintf(setup.call_sid, sizeof(setup.call_sid), "%s", st->call_sid);
	snprintf(setup.account_sid, sizeof(setup.account_sid), "%s", st->account_sid);
	snprintf(setup.from, sizeof(setup.from), "%s", mc->caller);
	rc = va_call_setup_with(mc->srv, mc->tenant_id, &setup, &va_agent_receptionist_factory,
				&sink_ops, mc, &mc->call);
	if (rc) {
		VA_WARN("media", log_id(mc), "call_refused", "err=%s", va_err_name(rc));
		return rc;
	}
	mc->started = true;
	mc->turn = t->audio.turn;
	if (va_listener_new(&t->audio.settings, &mc->listener) != VA_OK) {
		VA_ERROR("media", log_id(mc), "listener_failed", "");
		return VA_E_STATE;
	}
	mc->tctx = (struct va_tools_ctx){
	    .tenant = t,
	    .tz = va_server_tenant_tz(mc->srv, t->id),
	    .store = mc->srv->store,
	    .holds = mc->srv->holds,
	    .owner = mc->call->call_sid,
	    .session_id = mc->call->session_id,
	    .caller_phone = mc->caller,
	};
	va_call_set_detail(mc->call, "transport", "audio");
	/* The model talks; the receptionist only listens, in case it must
	 * take over. */
	va_call_set_agent_label(mc->call, "realtime");
	VA_INFO("media", log_id(mc), "stream_started", "tenant=%s turn=%s", t->id,
		va_turn_detection_name(mc->turn));
	open_model(mc, t);
	return VA_OK;
}

static void on_audio(struct va_media_conn *mc, const struct va_media_audio *a)
{
	struct va_buf b = VA_BUF_INIT(4096);
	unsigned ev;

	if (!a->inbound)
		return;
	ev = va_listener_push_ulaw(mc->listener, a->audio, a->len, playing(mc));
	if ((ev & VA_TURN_EV_ONSET) && playing(mc) && mc->turn == VA_TURN_DETECT_LOCAL)
		barge_in(mc);
	if (mc->rt && !mc->failed) {
		va_rt_write_append(&b, a->audio, a->len);
		rt_send(mc, &b);
	}
	if ((ev & VA_TURN_EV_END) && mc->turn == VA_TURN_DETECT_LOCAL && mc->rt_ready) {
		/* The caller is done: the model answers now. */
		mc->t0_ns = va_clock_mono_ns();
		mc->first_us = -1;
		va_rt_write_commit(&b);
		rt_send(mc, &b);
		if (!mc->tool)
			ask(mc, NULL);
	}
	va_buf_release(&b);
}

static void on_dtmf(struct va_media_conn *mc, char digit)
{
	struct va_buf b = VA_BUF_INIT(1024);
	char text[80];

	snprintf(text, sizeof(text), "(The caller pressed %c on the keypad.)", digit);
	if (mc->call)
		va_call_record_caller(mc->call, text);
	if (playing(mc))
		barge_in(mc);
	if (mc->rt && mc->rt_ready) {
		va_rt_write_user_text(&b, text);
		rt_send(mc, &b);
		mc->t0_ns = va_clock_mono_ns();
		mc->first_us = -1;
		if (!mc->tool)
			ask(mc, NULL);
	}
	va_buf_release(&b);
}

static void dispatch(struct va_media_conn *mc, const char *data, size_t len)
{
	struct va_media_in *m = mc->in;
	char why[160], q[200];
	int rc = va_media_parse(data, len, m, why, sizeof(why));

	if (rc == VA_OK && m->type != VA_MEDIA_IN_CONNECTED && m->type != VA_MEDIA_IN_START &&
	    m->type != VA_MEDIA_IN_UNKNOWN) {
		if (!mc->started) {
			rc = VA_E_PARSE;
			snprintf(why, sizeof(why), "%s before start",
				 m->type == VA_MEDIA_IN_MEDIA ? "media" : "an event");
		} else if (strcmp(m->stream_sid, mc->stream_sid) != 0) {
			rc = VA_E_PARSE;
			snprintf(why, sizeof(why), "unknown streamSid");
		} else if (m->type == VA_MEDIA_IN_MEDIA && m->u.media.inbound &&
			   m->u.media.len != FRAME_BYTES) {
			rc = VA_E_PARSE;
			snprintf(why, sizeof(why), "media payload of %zu bytes, not %d",
				 m->u.media.len, FRAME_BYTES);
		}
	}
	if (rc != VA_OK) {
		mc->bad_in_row++;
		mc->srv->bad_messages++;
		VA_WARN("media", log_id(mc), "bad_message", "reason=%s",
			va_log_quote(q, sizeof(q), why));
		if (mc->bad_in_row >= MAX_BAD_IN_ROW)
			close_stream(mc, "too many malformed messages");
		return;
	}
	mc->bad_in_row = 0;
	switch (m->type) {
	case VA_MEDIA_IN_START:
		if (on_start(mc, &m->u.start) != VA_OK && !mc->started)
			close_stream(mc, "start refused");
		break;
	case VA_MEDIA_IN_MEDIA:
		on_audio(mc, &m->u.media);
		break;
	case VA_MEDIA_IN_DTMF:
		on_dtmf(mc, m->u.digit);
		break;
	case VA_MEDIA_IN_MARK:
		on_mark(mc, m->u.mark_name);
		break;
	case VA_MEDIA_IN_STOP:
		VA_INFO("media", log_id(mc), "stream_stopped", "");
		close_stream(mc, "stopped by Twilio");
		break;
	default:
		break;
	}
}

int va_media_on_receive(struct va_media_conn *mc, const void *in, size_t len)
{
	if (va_buf_append(&mc->rx, in, len) != VA_OK) {
		VA_WARN("media", log_id(mc), "frame_too_large", "limit=%d", VA_MEDIA_MAX_FRAME);
		mc->srv->bad_messages++;
		lws_close_reason(mc->wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, NULL, 0);
		return -1;
	}
	if (!lws_is_final_fragment(mc->wsi) || lws_remaining_packet_payload(mc->wsi))
		return 0;
	dispatch(mc, va_buf_cstr(&mc->rx), mc->rx.len);
	va_buf_reset(&mc->rx);
	return 0;
}

struct va_media_conn *va_media_conn_new(struct va_server *srv, struct lws *wsi,
					const char *tenant_id)
{
	struct va_media_conn *mc = va_xcalloc(1, sizeof(*mc));

	mc->srv = srv;
	mc->wsi = wsi;
	snprintf(mc->tenant_id, sizeof(mc->tenant_id), "%s", tenant_id);
	va_buf_init(&mc->rx, VA_MEDIA_MAX_FRAME);
	va_buf_init(&mc->said, 64 * 1024);
	mc->in = va_xmalloc(sizeof(*mc->in));
	mc->first_us = -1;
	return mc;
}

static void on_watchdog_closed(uv_handle_t *h)
{
	free(h);
}

void va_media_on_closed(struct va_media_conn *mc)
{
	struct frame *f, *next;

	if (!mc)
		return;
	if (mc->tool)
		va_tool_cancel(mc->tool);
	va_rt_client_close(mc->rt);
	if (mc->watchdog) {
		uv_timer_stop(mc->watchdog);
		uv_close((uv_handle_t *)mc->watchdog, on_watchdog_closed);
	}
	if (mc->call) {
		if (mc->item[0] && strcmp(mc->item, mc->cancelled) != 0)
			record_reply(mc, playing(mc));
		va_call_detach(mc->call);
	}
	for (f = mc->head; f; f = next) {
		next = f->next;
		free(f);
	}
	va_listener_free(mc->listener);
	va_buf_release(&mc->rx);
	va_buf_release(&mc->said);
	free(mc->in);
	free(mc);
}
