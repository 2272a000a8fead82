/* SPDX-License-Identifier: MIT */
/*
 * mock_realtime_selftest.c - the mock OpenAI Realtime server (tests/support/
 * mock_realtime.c) checked over a real WebSocket, so the tests that rely on
 * it rely on something known: the handshake refusals, the GA session shape
 * and the beta-name errors, audio deltas that decode to the reply file, cancel
 * and truncate, a function-call round trip from a script, server VAD turn
 * taking, the failure scenarios, and /_log and /_reset.
 */
#include "core/buf.h"
#include "core/err.h"
#include "harness.h"

#include <fcntl.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#define AUTH	 "Authorization: Bearer test-key-not-secret\r\n"
#define REPLY_UL VA_TEST_DATA_DIR "/realtime_reply.ul"
#define WAIT_MS	 3000
#define GA_UPDATE                                                                                  \
	"{\"type\":\"session.update\",\"event_id\":\"evt_ga\",\"session\":{\"type\":\"realtime\"," \
	"\"model\":\"gpt-realtime\",\"instructions\":\"You are the receptionist of Bright Smile "  \
	"Dental.\",\"output_modalities\":[\"audio\"],\"audio\":{\"input\":{\"format\":{\"type\":"  \
	"\"audio/pcmu\"},\"turn_detection\":%s,\"transcription\":{\"model\":"                      \
	"\"gpt-4o-mini-transcribe\",\"language\":\"en\"}},\"output\":{\"format\":{\"type\":"       \
	"\"audio/pcmu\"},\"voice\":\"marin\"}},\"tools\":[{\"type\":\"function\",\"name\":"        \
	"\"check_availability\",\"description\":\"Find free times\",\"parameters\":{\"type\":"     \
	"\"object\",\"properties\":{\"service\":{\"type\":\"string\"}},\"required\":[\"service\"]" \
	"}}"                                                                                       \
	",{\"type\":\"function\",\"name\":\"book_appointment\",\"parameters\":{\"type\":"          \
	"\"object\",\"properties\":{}}}],\"tool_choice\":\"auto\"}}"

static pid_t mock_pid;
static int mock_port;
static char script_path[300], stderr_path[300];
static unsigned char *reply;
static size_t reply_len;

static const char book_args[] = "{\"service\":\"cleaning\",\"start\":\"2026-12-01T10:00:00-05:00\","
				"\"patient_name\":\"Jane Doe\",\"phone\":\"555-010-0199\"}";

/* ---- the mock process ---- */

static void start_mock(void)
{
	const char *const argv[] = {
	    VA_MOCK_REALTIME,  "--port",      "0",	  "--audio",   REPLY_UL,
	    "--audio-pace-ms", "0",	      "--script", script_path, "--scenario",
	    "plain",	       "--log-level", "info",	  NULL};

	mock_pid = it_mock_start(argv, stderr_path, &mock_port);
}

static int setup(void **state)
{
	FILE *f;
	long n;

	snprintf(script_path, sizeof(script_path), "/tmp/voiceai-rt-script-%d.jsonl", getpid());
	snprintf(stderr_path, sizeof(stderr_path), "/tmp/voiceai-rt-mock-%d.log", getpid());
	f = fopen(script_path, "w");
	assert_non_null(f);
	/* The scripted model: look up times, book one, confirm. */
	fprintf(f,
		"{\"heard\":\"Do you have a cleaning on Tuesday?\",\"tool\":\"check_availability\","
		"\"args\":{\"service\":\"cleaning\",\"earliest\":\"2026-12-01\"}}\n"
		"\n"
		"{\"tools\":[{\"name\":\"book_appointment\",\"args\":%s}]}\n"
		"{\"say\":\"You are booked for Tuesday at ten.\"}\n",
		book_args);
	fclose(f);
	f = fopen(REPLY_UL, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	assert_true(n > 16000 && n < 40000); /* 2-5 s of 8 kHz mu-law */
	reply = malloc((size_t)n);
	assert_int_equal(fread(reply, 1, (size_t)n, f), (size_t)n);
	reply_len = (size_t)n;
	fclose(f);
	start_mock();
	return 0;
}

static int teardown(void **state)
{
	int st = -1;

	kill(mock_pid, SIGTERM);
	waitpid(mock_pid, &st, 0);
	unlink(script_path);
	free(reply);
	/* SIGTERM is a clean exit (and, under ASan, a leak-free one). */
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	unlink(stderr_path);
	return 0;
}

static json_t *http_json(const char *method, const char *path)
{
	char url[96];
	struct va_buf b = VA_BUF_INIT(16 << 20);
	int status = 0;
	json_t *j;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", mock_port, path);
	assert_int_equal(va_sim_http(method, url, NULL, NULL, 0, 3000, &status, &b, NULL), VA_OK);
	assert_int_equal(status, 200);
	j = json_loads(va_buf_cstr(&b), 0, NULL);
	assert_non_null(j);
	va_buf_release(&b);
	return j;
}

/* The /_log entry of the k-th most recent connection (0 = the latest); the
 * caller decrefs *log. */
static json_t *log_conn(json_t **log, size_t k)
{
	json_t *conns;

	*log = http_json("GET", "/_log");
	conns = json_object_get(*log, "connections");
	assert_true(json_array_size(conns) > k);
	return json_array_get(conns, json_array_size(conns) - 1 - k);
}

/* ---- WebSocket helpers ---- */

static int ws_open(const char *query, const char *headers, struct va_sim_ws **ws)
{
	char url[256];
	int status = 0;

	snprintf(url, sizeof(url), "ws://127.0.0.1:%d/v1/realtime?%s", mock_port, query);
	va_sim_ws_connect_ex(url, NULL, headers, 0, WAIT_MS, ws, &status);
	return status;
}

/* The next server event, or NULL on a timeout or a close. */
static json_t *next_event(struct va_sim_ws *ws, int timeout_ms)
{
	struct va_sim_frame fr;
	json_t *j;

	if (va_sim_ws_recv(ws, timeout_ms, &fr) != VA_OK)
		return NULL;
	if (fr.opcode != VA_WS_OP_TEXT) {
		va_sim_frame_release(&fr);
		return NULL;
	}
	j = json_loads(fr.payload, 0, NULL);
	va_sim_frame_release(&fr);
	assert_non_null(j);
	assert_non_null(json_string_value(json_object_get(j, "event_id")));
	return j;
}

static const char *type_of(json_t *ev)
{
	const char *t = json_string_value(json_object_get(ev, "type"));

	return t ? t : "";
}

/* The next event, which must be of this type; caller decrefs. */
static json_t *expect(struct va_sim_ws *ws, const char *type)
{
	json_t *ev = next_event(ws, WAIT_MS);

	assert_non_null(ev);
	if (strcmp(type_of(ev), type))
		fail_msg("expected %s, got %s", type, json_dumps(ev, JSON_COMPACT));
	return ev;
}

static void expect_drop(struct va_sim_ws *ws, const char *type)
{
	json_decref(expect(ws, type));
}

static void send_text(struct va_sim_ws *ws, const char *fmt, ...)
{
	char buf[8192];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	assert_true(n > 0 && (size_t)n < sizeof(buf));
	assert_int_equal(va_sim_ws_send_text(ws, buf, (size_t)n), VA_OK);
}

/* Connects and reads session.created. */
static struct va_sim_ws *rt_connect(const char *query)
{
	struct va_sim_ws *ws = NULL;
	json_t *ev;

	assert_int_equal(ws_open(query, AUTH, &ws), 101);
	ev = expect(ws, "session.created");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(ev, "session"), "type")), "realtime");
	json_decref(ev);
	return ws;
}

static void session_update(struct va_sim_ws *ws, const char *turn_detection)
{
	json_t *ev, *fmt;

	send_text(ws, GA_UPDATE, turn_detection);
	ev = expect(ws, "session.updated");
	fmt = json_object_get(
	    json_object_get(json_object_get(json_object_get(ev, "session"), "audio"), "output"),
	    "format");
	assert_string_equal(json_string_value(json_object_get(fmt, "type")), "audio/pcmu");
	json_decref(ev);
}

static void append(struct va_sim_ws *ws, const unsigned char *p, size_t n)
{
	char b64[400];

	assert_true(n <= 160);
	assert_true(lws_b64_encode_string((const char *)p, (int)n, b64, (int)sizeof(b64)) > 0);
	send_text(ws, "{\"type\":\"input_audio_buffer.append\",\"audio\":\"%s\"}", b64);
}

static void append_silence(struct va_sim_ws *ws, int ms)
{
	unsigned char s[160];

	memset(s, 0xFF, sizeof(s));
	for (; ms > 0; ms -= 20)
		append(ws, s, sizeof(s));
}

/* The error event that must come next: its code and the offending event_id. */
static void expect_error(struct va_sim_ws *ws, const char *code, const char *client_eid)
{
	json_t *ev = expect(ws, "error"), *err = json_object_get(ev, "error");

	assert_string_equal(json_string_value(json_object_get(err, "type")),
			    "invalid_request_error");
	if (strcmp(json_string_value(json_object_get(err, "code")), code))
		fail_msg("expected code %s: %s", code, json_dumps(ev, JSON_COMPACT));
	assert_non_null(json_string_value(json_object_get(err, "message")));
	assert_true(json_object_get(err, "param") != NULL);
	if (client_eid)
		assert_string_equal(json_string_value(json_object_get(err, "event_id")),
				    client_eid);
	else
		assert_true(json_is_null(json_object_get(err, "event_id")));
	json_decref(ev);
}

/* What one response brought: events up to response.done. */
struct reply {
	struct va_buf audio, transcript, args;
	char types[4096]; /* space-separated event types, deltas left out */
	json_t *done;	  /* the response.done event */
	json_t *call;	  /* the last function_call output item (done) */
	char item_id[64];
	int audio_deltas, arg_deltas, text_deltas;
	char first_delta_kind; /* 'a'udio or 't'ranscript */
};

static void reply_release(struct reply *r)
{
	va_buf_release(&r->audio);
	va_buf_release(&r->transcript);
	va_buf_release(&r->args);
	json_decref(r->done);
	json_decref(r->call);
	memset(r, 0, sizeof(*r));
}

static void note_type(struct reply *r, const char *t)
{
	size_t n = strlen(r->types);

	if (strstr(t, ".delta"))
		return;
	snprintf(r->types + n, sizeof(r->types) - n, "%s%s", n ? " " : "", t);
}

/* Reads one response until response.done; stop_after_audio > 0 returns early
 * after that many audio deltas (done stays NULL). */
static void read_reply(struct va_sim_ws *ws, struct reply *r, int stop_after_audio)
{
	memset(r, 0, sizeof(*r));
	va_buf_init(&r->audio, 1 << 20);
	va_buf_init(&r->transcript, 1 << 16);
	va_buf_init(&r->args, 1 << 16);
	for (;;) {
		json_t *ev = next_event(ws, WAIT_MS);
		const char *t, *d;

		assert_non_null(ev);
		t = type_of(ev);
		d = json_string_value(json_object_get(ev, "delta"));
		note_type(r, t);
		if (!strcmp(t, "response.output_audio.delta")) {
			char bin[8192];
			int n = lws_b64_decode_string_len(d, (int)strlen(d), bin, (int)sizeof(bin));

			assert_true(n > 0);
			assert_int_equal(va_buf_append(&r->audio, bin, (size_t)n), VA_OK);
			snprintf(r->item_id, sizeof(r->item_id), "%s",
				 json_string_value(json_object_get(ev, "item_id")));
			r->audio_deltas++;
			if (!r->first_delta_kind)
				r->first_delta_kind = 'a';
		} else if (!strcmp(t, "response.output_audio_transcript.delta")) {
			va_buf_append_str(&r->transcript, d);
			r->text_deltas++;
			if (!r->first_delta_kind)
				r->first_delta_kind = 't';
		} else if (!strcmp(t, "response.function_call_arguments.delta")) {
			va_buf_append_str(&r->args, d);
			r->arg_deltas++;
		} else if (!strcmp(t, "response.output_item.done") &&
			   !strcmp(type_of(json_object_get(ev, "item")), "function_call")) {
			json_decref(r->call);
			r->call = json_incref(json_object_get(ev, "item"));
		} else if (!strcmp(t, "response.done")) {
			r->done = ev;
			return;
		}
		json_decref(ev);
		if (stop_after_audio && r->audio_deltas >= stop_after_audio)
			return;
	}
}

static const char *done_status(struct reply *r)
{
	return json_string_value(json_object_get(json_object_get(r->done, "response"), "status"));
}

/* ---- tests ---- */

static void test_handshake_refusals(void **state)
{
	struct va_sim_ws *ws = NULL;
	json_t *log, *ref;

	json_decref(http_json("POST", "/_reset"));
	/* No key: 401 before any upgrade. */
	assert_int_equal(ws_open("model=gpt-realtime", NULL, &ws), 401);
	assert_null(ws);
	/* The beta header asks for the beta interface, which GA clients never do. */
	assert_int_equal(ws_open("model=gpt-realtime", AUTH "OpenAI-Beta: realtime=v1\r\n", &ws),
			 400);
	assert_int_equal(ws_open("", AUTH, &ws), 400); /* model is required */
	assert_int_equal(ws_open("model=gpt-realtime&scenario=nope", AUTH, &ws), 400);
	{
		char url[96];
		int status = 0;

		snprintf(url, sizeof(url), "ws://127.0.0.1:%d/v1/chat?model=x", mock_port);
		va_sim_ws_connect_ex(url, NULL, AUTH, 0, WAIT_MS, &ws, &status);
		assert_int_equal(status, 404);
	}
	log = http_json("GET", "/_log");
	ref = json_object_get(log, "refused");
	assert_int_equal(json_array_size(ref), 5);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(ref, 0), "status")),
			 401);
	assert_true(json_is_true(json_object_get(json_array_get(ref, 1), "beta_header")));
	assert_int_equal(json_array_size(json_object_get(log, "connections")), 0);
	json_decref(log);
}

static void test_audio_reply_is_the_file(void **state)
{
	struct va_sim_ws *ws = rt_connect("model=gpt-realtime");
	struct reply r;
	json_t *ev, *log, *e, *resp;
	char user_item[64];

	session_update(ws, "null");
	append_silence(ws, 200);
	send_text(ws, "{\"type\":\"input_audio_buffer.commit\",\"event_id\":\"evt_c1\"}");
	ev = expect(ws, "input_audio_buffer.committed");
	assert_true(json_is_null(json_object_get(ev, "previous_item_id")));
	snprintf(user_item, sizeof(user_item), "%s",
		 json_string_value(json_object_get(ev, "item_id")));
	json_decref(ev);
	ev = expect(ws, "conversation.item.added");
	assert_string_equal(json_string_value(json_object_get(json_object_get(ev, "item"), "role")),
			    "user");
	json_decref(ev);
	expect_drop(ws, "conversation.item.done");
	/* Transcription is on: the default "heard" text, word by word. */
	expect_drop(ws, "conversation.item.input_audio_transcription.delta");
	for (;;) {
		ev = next_event(ws, WAIT_MS);
		assert_non_null(ev);
		if (!strcmp(type_of(ev), "conversation.item.input_audio_transcription.completed"))
			break;
		assert_string_equal(type_of(ev),
				    "conversation.item.input_audio_transcription.delta");
		json_decref(ev);
	}
	assert_string_equal(json_string_value(json_object_get(ev, "transcript")),
			    "I would like to book a cleaning.");
	assert_string_equal(json_string_value(json_object_get(ev, "item_id")), user_item);
	json_decref(ev);

	send_text(ws, "{\"type\":\"response.create\"}");
	read_reply(ws, &r, 0);
	assert_string_equal(r.types,
			    "response.created response.output_item.added conversation.item.added "
			    "response.content_part.added response.output_audio.done "
			    "response.output_audio_transcript.done response.content_part.done "
			    "response.output_item.done conversation.item.done response.done");
	/* Transcript deltas ride just ahead of the audio they belong to. */
	assert_int_equal(r.text_deltas, 13);
	assert_int_equal(r.first_delta_kind, 't');
	/* The deltas are the file, byte for byte, in 20 ms chunks. */
	assert_int_equal(r.audio.len, reply_len);
	assert_memory_equal(r.audio.data, reply, reply_len);
	assert_int_equal(r.audio_deltas, (int)((reply_len + 159) / 160));
	assert_string_equal(va_buf_cstr(&r.transcript),
			    "Thank you for calling Bright Smile Dental. How can I help you today?");
	resp = json_object_get(r.done, "response");
	assert_string_equal(done_status(&r), "completed");
	assert_true(json_integer_value(
			json_object_get(json_object_get(resp, "usage"), "total_tokens")) > 0);
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(json_object_get(resp, "output"), 0), "status")),
			    "completed");
	reply_release(&r);

	e = log_conn(&log, 0);
	assert_int_equal(json_integer_value(json_object_get(e, "audio_bytes")), 1600);
	assert_int_equal(json_integer_value(json_object_get(e, "commits")), 1);
	assert_int_equal(json_integer_value(json_object_get(e, "response_creates")), 1);
	assert_string_equal(
	    json_string_value(json_object_get(
		json_object_get(
		    json_object_get(json_object_get(json_object_get(e, "session"), "audio"),
				    "input"),
		    "format"),
		"type")),
	    "audio/pcmu");
	assert_string_equal(json_string_value(json_array_get(json_object_get(e, "events"), 0)),
			    "session.update");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(e, "event_counts"),
							    "input_audio_buffer.append")),
			 10);
	json_decref(log);
	va_sim_ws_free(ws);
}

static void test_cancel_and_truncate(void **state)
{
	struct va_sim_ws *ws = rt_connect("model=gpt-realtime&pace_ms=20");
	struct reply r;
	json_t *ev, *log, *e, *t;
	char item[64];
	size_t heard;

	session_update(ws, "null");
	send_text(ws, "{\"type\":\"response.create\"}");
	read_reply(ws, &r, 5);
	snprintf(item, sizeof(item), "%s", r.item_id);
	heard = r.audio.len;
	reply_release(&r);
	send_text(ws, "{\"type\":\"response.cancel\",\"event_id\":\"evt_cancel\"}");
	/* Whatever was already on its way, then the item ends incomplete and the
	 * response cancelled; nothing of it after that. */
	for (;;) {
		ev = next_event(ws, WAIT_MS);
		assert_non_null(ev);
		if (!strcmp(type_of(ev), "response.output_audio.delta")) {
			heard += 160;
			json_decref(ev);
			continue;
		}
		if (!strcmp(type_of(ev), "response.output_item.done"))
			assert_string_equal(json_string_value(json_object_get(
						json_object_get(ev, "item"), "status")),
					    "incomplete");
		if (!strcmp(type_of(ev), "response.done"))
			break;
		json_decref(ev);
	}
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(ev, "response"), "status")),
	    "cancelled");
	assert_string_equal(
	    json_string_value(json_object_get(
		json_object_get(json_object_get(ev, "response"), "status_details"), "reason")),
	    "client_cancelled");
	json_decref(ev);
	assert_true(heard < reply_len);
	assert_null(next_event(ws, 150));
	/* A second cancel has nothing to cancel. */
	send_text(ws, "{\"type\":\"response.cancel\",\"event_id\":\"evt_cancel2\"}");
	expect_error(ws, "response_cancel_not_active", "evt_cancel2");
	/* Truncate to what was heard; past the audio sent is an error. */
	send_text(ws,
		  "{\"type\":\"conversation.item.truncate\",\"item_id\":\"%s\",\"content_index\":0,"
		  "\"audio_end_ms\":60}",
		  item);
	ev = expect(ws, "conversation.item.truncated");
	assert_int_equal(json_integer_value(json_object_get(ev, "audio_end_ms")), 60);
	assert_string_equal(json_string_value(json_object_get(ev, "item_id")), item);
	json_decref(ev);
	send_text(ws,
		  "{\"type\":\"conversation.item.truncate\",\"event_id\":\"evt_tr\",\"item_id\":"
		  "\"%s\",\"content_index\":0,\"audio_end_ms\":99999}",
		  item);
	expect_error(ws, "invalid_value", "evt_tr");

	e = log_conn(&log, 0);
	t = json_object_get(e, "cancels");
	assert_int_equal(json_array_size(t), 2);
	assert_true(json_is_true(json_object_get(json_array_get(t, 0), "active")));
	assert_false(json_is_true(json_object_get(json_array_get(t, 1), "active")));
	t = json_object_get(e, "truncates");
	assert_int_equal(json_array_size(t), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(t, 0), "item_id")),
			    item);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(t, 0), "audio_end_ms")),
			 60);
	assert_true(json_is_true(json_object_get(json_array_get(t, 0), "ok")));
	assert_false(json_is_true(json_object_get(json_array_get(t, 1), "ok")));
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(json_object_get(e, "responses"), 0), "status")),
			    "cancelled");
	json_decref(log);
	va_sim_ws_free(ws);
}

static void test_tool_round_trip(void **state)
{
	struct va_sim_ws *ws = rt_connect("model=gpt-realtime&scenario=script");
	struct reply r;
	json_t *log, *e, *ev;
	char call1[64], call2[64];

	session_update(ws, "null");
	append_silence(ws, 200);
	send_text(ws, "{\"type\":\"input_audio_buffer.commit\"}");
	while ((ev = next_event(ws, WAIT_MS)) &&
	       strcmp(type_of(ev), "conversation.item.input_audio_transcription.completed"))
		json_decref(ev);
	assert_non_null(ev);
	/* What the caller "said" comes from the script's next turn. */
	assert_string_equal(json_string_value(json_object_get(ev, "transcript")),
			    "Do you have a cleaning on Tuesday?");
	json_decref(ev);

	/* Turn 1: a call with its arguments in fragments. */
	send_text(ws, "{\"type\":\"response.create\"}");
	read_reply(ws, &r, 0);
	assert_non_null(r.call);
	assert_string_equal(json_string_value(json_object_get(r.call, "name")),
			    "check_availability");
	assert_string_equal(json_string_value(json_object_get(r.call, "arguments")),
			    "{\"service\":\"cleaning\",\"earliest\":\"2026-12-01\"}");
	assert_string_equal(va_buf_cstr(&r.args),
			    json_string_value(json_object_get(r.call, "arguments")));
	assert_true(r.arg_deltas >= 3);
	assert_int_equal(r.audio_deltas, 0);
	assert_string_equal(done_status(&r), "completed");
	snprintf(call1, sizeof(call1), "%s", json_string_value(json_object_get(r.call, "call_id")));
	reply_release(&r);

	/* A result for a call that does not exist is refused. */
	send_text(
	    ws,
	    "{\"type\":\"conversation.item.create\",\"event_id\":\"evt_bad\",\"item\":{\"type\":"
	    "\"function_call_output\",\"call_id\":\"call_nope\",\"output\":\"{}\"}}");
	expect_error(ws, "invalid_value", "evt_bad");
	send_text(
	    ws,
	    "{\"type\":\"conversation.item.create\",\"item\":{\"type\":\"function_call_output\","
	    "\"call_id\":\"%s\",\"output\":\"{\\\"slots\\\":[\\\"10:00\\\"]}\"}}",
	    call1);
	ev = expect(ws, "conversation.item.added");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(ev, "item"), "call_id")), call1);
	json_decref(ev);
	expect_drop(ws, "conversation.item.done");

	/* Turn 2: book_appointment. */
	send_text(ws, "{\"type\":\"response.create\"}");
	read_reply(ws, &r, 0);
	assert_non_null(r.call);
	assert_string_equal(json_string_value(json_object_get(r.call, "name")), "book_appointment");
	assert_string_equal(va_buf_cstr(&r.args), book_args);
	snprintf(call2, sizeof(call2), "%s", json_string_value(json_object_get(r.call, "call_id")));
	assert_string_not_equal(call1, call2);
	reply_release(&r);
	send_text(
	    ws,
	    "{\"type\":\"conversation.item.create\",\"item\":{\"type\":\"function_call_output\","
	    "\"call_id\":\"%s\",\"output\":\"{\\\"booked\\\":true}\"}}",
	    call2);
	expect_drop(ws, "conversation.item.added");
	expect_drop(ws, "conversation.item.done");
	/* An answer twice for the same call is refused too. */
	send_text(
	    ws,
	    "{\"type\":\"conversation.item.create\",\"item\":{\"type\":\"function_call_output\","
	    "\"call_id\":\"%s\",\"output\":\"{}\"}}",
	    call2);
	expect_error(ws, "invalid_value", NULL);

	/* Turn 3: the spoken confirmation. */
	send_text(ws, "{\"type\":\"response.create\"}");
	read_reply(ws, &r, 0);
	assert_null(r.call);
	assert_string_equal(va_buf_cstr(&r.transcript), "You are booked for Tuesday at ten.");
	assert_int_equal(r.audio.len, reply_len);
	reply_release(&r);

	e = log_conn(&log, 0);
	assert_int_equal(json_array_size(json_object_get(e, "calls")), 2);
	{
		json_t *outs = json_object_get(e, "function_call_outputs");

		assert_int_equal(json_array_size(outs), 4);
		assert_false(json_is_true(json_object_get(json_array_get(outs, 0), "ok")));
		assert_string_equal(
		    json_string_value(json_object_get(json_array_get(outs, 1), "call_id")), call1);
		assert_string_equal(
		    json_string_value(json_object_get(json_array_get(outs, 1), "output")),
		    "{\"slots\":[\"10:00\"]}");
		assert_true(json_is_true(json_object_get(json_array_get(outs, 2), "ok")));
		assert_false(json_is_true(json_object_get(json_array_get(outs, 3), "ok")));
	}
	json_decref(log);
	va_sim_ws_free(ws);
}

static void test_beta_shapes_and_bad_input_are_errors(void **state)
{
	struct va_sim_ws *ws = rt_connect("model=gpt-realtime");
	json_t *log, *e, *err;

	/* The beta session shape: flat formats and modalities. */
	send_text(ws, "{\"type\":\"session.update\",\"event_id\":\"evt_beta\",\"session\":{"
		      "\"type\":\"realtime\",\"input_audio_format\":\"g711_ulaw\","
		      "\"modalities\":[\"text\",\"audio\"]}}");
	expect_error(ws, "unknown_parameter", "evt_beta");
	send_text(ws, "{\"type\":\"session.update\",\"event_id\":\"evt_notype\",\"session\":{"
		      "\"instructions\":\"hi\"}}");
	expect_error(ws, "missing_required_parameter", "evt_notype");
	send_text(ws, "{\"type\":\"session.update\",\"event_id\":\"evt_rate\",\"session\":{"
		      "\"type\":\"realtime\",\"audio\":{\"output\":{\"format\":{\"type\":"
		      "\"audio/pcmu\",\"rate\":8000}}}}}");
	expect_error(ws, "unknown_parameter", "evt_rate");
	send_text(ws, "{\"type\":\"session.update\",\"session\":{\"type\":\"realtime\",\"audio\":"
		      "{\"input\":{\"format\":\"g711_ulaw\"}}}}");
	expect_error(ws, "invalid_type", NULL);
	send_text(ws, "{\"type\":\"session.update\",\"session\":{\"type\":\"realtime\","
		      "\"turn_detection\":{\"type\":\"server_vad\"}}}");
	expect_error(ws, "unknown_parameter", NULL);
	/* Chat Completions' nested tool shape. */
	send_text(ws, "{\"type\":\"session.update\",\"session\":{\"type\":\"realtime\",\"tools\":"
		      "[{\"type\":\"function\",\"function\":{\"name\":\"x\"}}]}}");
	expect_error(ws, "unknown_parameter", NULL);
	send_text(ws, "{\"type\":\"session.update\",\"session\":{\"type\":\"realtime\","
		      "\"output_modalities\":[\"text\",\"audio\"]}}");
	expect_error(ws, "invalid_value", NULL);
	send_text(ws, "{\"type\":\"response.create\",\"response\":{\"modalities\":[\"audio\"]}}");
	expect_error(ws, "unknown_parameter", NULL);
	/* Not JSON, no type, an unknown type, not base64, an empty commit. */
	send_text(ws, "{not json");
	expect_error(ws, "invalid_json", NULL);
	send_text(ws, "{\"event_id\":\"evt_x\"}");
	expect_error(ws, "missing_required_parameter", "evt_x");
	send_text(ws, "{\"type\":\"response.audio.delta\",\"event_id\":\"evt_u\"}");
	expect_error(ws, "invalid_value", "evt_u");
	send_text(ws, "{\"type\":\"input_audio_buffer.append\",\"audio\":\"not base64!\"}");
	expect_error(ws, "invalid_value", NULL);
	send_text(ws, "{\"type\":\"input_audio_buffer.commit\",\"event_id\":\"evt_empty\"}");
	expect_error(ws, "input_audio_buffer_commit_empty", "evt_empty");
	send_text(ws, "{\"type\":\"output_audio_buffer.clear\"}");
	expect_error(ws, "invalid_value", NULL);
	/* None of that hurt the session: a GA update still applies. */
	session_update(ws, "null");
	append_silence(ws, 100);
	send_text(ws, "{\"type\":\"input_audio_buffer.clear\"}");
	expect_drop(ws, "input_audio_buffer.cleared");

	e = log_conn(&log, 0);
	err = json_object_get(e, "errors");
	assert_int_equal(json_array_size(err), 14);
	assert_string_equal(json_string_value(json_object_get(json_array_get(err, 0), "param")),
			    "session.input_audio_format");
	assert_string_equal(json_string_value(json_object_get(json_array_get(err, 0), "for")),
			    "session.update");
	assert_int_equal(json_integer_value(json_object_get(e, "session_updates")), 1);
	assert_int_equal(json_integer_value(json_object_get(e, "clears")), 1);
	assert_int_equal(json_integer_value(json_object_get(e, "commits")), 0);
	json_decref(log);
	va_sim_ws_free(ws);
}

static void test_server_vad_takes_turns(void **state)
{
	struct va_sim_ws *ws = rt_connect("model=gpt-realtime");
	struct reply r;
	json_t *ev, *log, *e;
	size_t off;
	char item[64];

	session_update(ws, "{\"type\":\"server_vad\",\"threshold\":0.5,\"prefix_padding_ms\":300,"
			   "\"silence_duration_ms\":400,\"create_response\":true,"
			   "\"interrupt_response\":true}");
	/* Silence, the reply file as if the caller spoke it, silence. */
	append_silence(ws, 400);
	for (off = 0; off < reply_len; off += 160)
		append(ws, reply + off, reply_len - off < 160 ? reply_len - off : 160);
	append_silence(ws, 800);
	ev = expect(ws, "input_audio_buffer.speech_started");
	assert_true(json_integer_value(json_object_get(ev, "audio_start_ms")) >= 0);
	assert_true(json_integer_value(json_object_get(ev, "audio_start_ms")) < 400);
	snprintf(item, sizeof(item), "%s", json_string_value(json_object_get(ev, "item_id")));
	json_decref(ev);
	ev = expect(ws, "input_audio_buffer.speech_stopped");
	assert_true(json_integer_value(json_object_get(ev, "audio_end_ms")) >
		    (json_int_t)(400 + reply_len / 8 - 200));
	json_decref(ev);
	ev = expect(ws, "input_audio_buffer.committed");
	assert_string_equal(json_string_value(json_object_get(ev, "item_id")), item);
	json_decref(ev);
	while ((ev = next_event(ws, WAIT_MS)) && strcmp(type_of(ev), "response.created"))
		json_decref(ev);
	assert_non_null(ev);
	json_decref(ev);
	read_reply(ws, &r, 0);
	assert_string_equal(done_status(&r), "completed");
	assert_int_equal(r.audio.len, reply_len);
	reply_release(&r);

	e = log_conn(&log, 0);
	assert_int_equal(json_integer_value(json_object_get(e, "speech_started")), 1);
	assert_int_equal(json_integer_value(json_object_get(e, "speech_stopped")), 1);
	assert_int_equal(json_integer_value(json_object_get(e, "commits")), 1);
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(json_object_get(e, "responses"), 0), "trigger")),
			    "server_vad");
	json_decref(log);
	va_sim_ws_free(ws);
}

static void test_failure_scenarios(void **state)
{
	struct va_sim_ws *ws;
	json_t *ev;
	struct va_sim_frame fr;

	/* error: an error event in reply to response.create. */
	ws = rt_connect("model=gpt-realtime&scenario=error");
	session_update(ws, "null");
	send_text(ws, "{\"type\":\"response.create\",\"event_id\":\"evt_rc\"}");
	ev = expect(ws, "error");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(ev, "error"), "type")),
	    "server_error");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(ev, "error"), "event_id")), "evt_rc");
	json_decref(ev);
	va_sim_ws_free(ws);

	/* silent: accepted, never answered. */
	ws = rt_connect("model=mock-silent");
	session_update(ws, "null");
	send_text(ws, "{\"type\":\"response.create\"}");
	assert_null(next_event(ws, 300));
	va_sim_ws_free(ws);

	/* drop: the socket closes, no close frame, at response.create. */
	ws = rt_connect("model=gpt-realtime&scenario=drop");
	session_update(ws, "null");
	send_text(ws, "{\"type\":\"response.create\"}");
	assert_int_equal(va_sim_ws_recv(ws, WAIT_MS, &fr), VA_E_CLOSED);
	va_sim_ws_free(ws);

	/* drop_early: right after session.updated. */
	ws = rt_connect("model=gpt-realtime&scenario=drop_early");
	session_update(ws, "null");
	assert_int_equal(va_sim_ws_recv(ws, WAIT_MS, &fr), VA_E_CLOSED);
	va_sim_ws_free(ws);

	/* failed: response.done with status failed. */
	ws = rt_connect("model=gpt-realtime&scenario=failed");
	session_update(ws, "null");
	send_text(ws, "{\"type\":\"response.create\"}");
	expect_drop(ws, "response.created");
	ev = expect(ws, "response.done");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(ev, "response"), "status")),
	    "failed");
	json_decref(ev);
	va_sim_ws_free(ws);

	/* slow: the first audio waits first_audio_ms. */
	ws = rt_connect("model=gpt-realtime&scenario=slow&first_audio_ms=400");
	session_update(ws, "null");
	send_text(ws, "{\"type\":\"response.create\"}");
	expect_drop(ws, "response.created");
	expect_drop(ws, "response.output_item.added");
	expect_drop(ws, "conversation.item.added");
	expect_drop(ws, "response.content_part.added");
	assert_null(next_event(ws, 250));
	expect_drop(ws, "response.output_audio_transcript.delta");
	va_sim_ws_free(ws);
}

static void test_other_formats_and_text(void **state)
{
	struct va_sim_ws *ws = rt_connect("model=gpt-realtime&scenario=tool");
	struct reply r;
	json_t *ev;
	int text = 0, audio = 0;

	/* audio/pcm out: the file decoded, 24 kHz 16-bit, six bytes per byte. */
	send_text(ws, "{\"type\":\"session.update\",\"session\":{\"type\":\"realtime\","
		      "\"audio\":{\"input\":{\"turn_detection\":null}},\"tool_choice\":\"none\"}}");
	expect_drop(ws, "session.updated");
	send_text(ws, "{\"type\":\"response.create\"}");
	read_reply(ws, &r, 0);
	assert_null(r.call); /* tool_choice none: no call even in the tool scenario */
	assert_int_equal(r.audio.len, reply_len * 6);
	reply_release(&r);
	/* Text only: output_text deltas, no audio at all. */
	send_text(ws, "{\"type\":\"session.update\",\"session\":{\"type\":\"realtime\","
		      "\"output_modalities\":[\"text\"],\"tool_choice\":\"auto\"}}");
	expect_drop(ws, "session.updated");
	send_text(ws, "{\"type\":\"response.create\"}");
	read_reply(ws, &r, 0);
	assert_non_null(r.call); /* the tool scenario calls when it may */
	reply_release(&r);
	send_text(
	    ws,
	    "{\"type\":\"conversation.item.create\",\"item\":{\"type\":\"function_call_output\","
	    "\"call_id\":\"%s\",\"output\":\"3 slots\"}}",
	    "call_mock");
	expect_error(ws, "invalid_value", NULL);
	send_text(ws, "{\"type\":\"response.create\",\"response\":{\"tool_choice\":\"none\"}}");
	while ((ev = next_event(ws, WAIT_MS)) && strcmp(type_of(ev), "response.done")) {
		if (!strcmp(type_of(ev), "response.output_text.delta"))
			text++;
		if (strstr(type_of(ev), "audio"))
			audio++;
		json_decref(ev);
	}
	assert_non_null(ev);
	json_decref(ev);
	assert_true(text > 3);
	assert_int_equal(audio, 0);
	va_sim_ws_free(ws);
}

static void test_robustness(void **state)
{
	struct va_sim_ws *ws = rt_connect("model=gpt-realtime&pace_ms=20"), *left;
	size_t big = 1100 * 1024;
	char *msg = malloc(big);
	json_t *log, *e;
	struct reply r;

	/* Over the message limit: an error, and the session goes on. */
	memset(msg, ' ', big);
	memcpy(msg, "{\"type\":\"input_audio_buffer.append\",\"audio\":\"", 38);
	memcpy(msg + big - 2, "\"}", 2);
	assert_int_equal(va_sim_ws_send_message(ws, VA_WS_OP_TEXT, msg, big, 64 * 1024), VA_OK);
	free(msg);
	expect_error(ws, "message_too_large", NULL);
	assert_int_equal(va_sim_ws_send_message(ws, VA_WS_OP_BINARY, "\x01\x02", 2, 0), VA_OK);
	expect_error(ws, "invalid_json", NULL);
	session_update(ws, "null");
	/* The caller hangs up mid-reply. */
	send_text(ws, "{\"type\":\"response.create\"}");
	read_reply(ws, &r, 3);
	reply_release(&r);
	va_sim_ws_free(ws);
	usleep(100 * 1000);
	e = log_conn(&log, 0);
	assert_true(json_is_true(json_object_get(e, "closed")));
	assert_true(json_is_true(json_object_get(e, "closed_mid_response")));
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(json_object_get(e, "responses"), 0), "status")),
			    "interrupted");
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(e, "event_counts"), "(too_large)")),
	    1);
	json_decref(log);
	/* A reply still streaming when the mock is told to stop: it exits 0
	 * and frees everything (checked in teardown). */
	left = rt_connect("model=gpt-realtime&pace_ms=20");
	session_update(left, "null");
	send_text(left, "{\"type\":\"response.create\"}");
	read_reply(left, &r, 2);
	reply_release(&r);
	kill(mock_pid, SIGTERM);
	{
		int st = -1;

		assert_int_equal(waitpid(mock_pid, &st, 0), mock_pid);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	va_sim_ws_free(left);
	start_mock();
}

static void test_log_and_reset(void **state)
{
	json_t *log, *e;
	struct va_sim_ws *ws;
	size_t i;

	log = http_json("GET", "/_log");
	assert_true(json_array_size(json_object_get(log, "connections")) >= 10);
	json_array_foreach(json_object_get(log, "connections"), i, e)
	{
		assert_true(json_is_integer(json_object_get(e, "n")));
		assert_true(json_is_array(json_object_get(e, "events")));
		assert_true(json_is_object(json_object_get(e, "session")));
		assert_true(json_is_array(json_object_get(e, "errors")));
	}
	json_decref(log);
	ws = rt_connect("model=gpt-realtime");
	json_decref(http_json("POST", "/_reset"));
	/* A live connection carries on in a fresh entry. */
	session_update(ws, "null");
	e = log_conn(&log, 0);
	assert_int_equal(json_array_size(json_object_get(log, "connections")), 1);
	assert_int_equal(json_array_size(json_object_get(log, "refused")), 0);
	assert_int_equal(json_integer_value(json_object_get(e, "session_updates")), 1);
	json_decref(log);
	va_sim_ws_free(ws);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_handshake_refusals),
	    cmocka_unit_test(test_audio_reply_is_the_file),
	    cmocka_unit_test(test_cancel_and_truncate),
	    cmocka_unit_test(test_tool_round_trip),
	    cmocka_unit_test(test_beta_shapes_and_bad_input_are_errors),
	    cmocka_unit_test(test_server_vad_takes_turns),
	    cmocka_unit_test(test_failure_scenarios),
	    cmocka_unit_test(test_log_and_reset),
	    cmocka_unit_test(test_other_formats_and_text),
	    cmocka_unit_test(test_robustness),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
