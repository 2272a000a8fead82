/* SPDX-License-Identifier: MIT */
/*
 * audio_calls.c - calls over the raw call audio: Twilio Media Streams into
 * the real server, bridged to the mock OpenAI Realtime server (GA wire
 * format). The test plays Twilio: the signed webhook, the signed WebSocket,
 * connected/start/media/dtmf/stop, and it echoes marks as Twilio does, when
 * the audio before them would have finished playing (at once after a clear).
 * The caller's voice is real speech (tests/data/realtime_reply.ul).
 */
#include "core/buf.h"
#include "core/err.h"
#include "core/tz.h"
#include "harness.h"
#include "media/msg.h"
#include "sim/client.h"

#include <fcntl.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#define SPEECH VA_TEST_DATA_DIR "/realtime_reply.ul"

static struct it_server srv;
static pid_t mock_pid;
static int mock_port;
static uint8_t *speech;
static size_t speech_len;

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void start_mock(void)
{
	const char *const argv[] = {VA_MOCK_REALTIME, "--port", "0", "--audio", SPEECH, NULL};

	mock_pid = it_mock_start(argv, NULL, &mock_port);
}

static void mock_post(const char *path, const char *body)
{
	struct va_buf b = VA_BUF_INIT(1 << 20);
	char url[128];
	int st = 0;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", mock_port, path);
	assert_int_equal(va_sim_http("POST", url, "Content-Type: application/json\r\n", body,
				     body ? strlen(body) : 0, 5000, &st, &b, NULL),
			 VA_OK);
	assert_int_equal(st, 200);
	va_buf_release(&b);
}

static json_t *mock_log(void)
{
	struct va_buf b = VA_BUF_INIT(64 << 20);
	char url[128];
	int st = 0;
	json_t *j;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/_log", mock_port);
	assert_int_equal(va_sim_http("GET", url, NULL, NULL, 0, 5000, &st, &b, NULL), VA_OK);
	j = json_loads(va_buf_cstr(&b), 0, NULL);
	va_buf_release(&b);
	assert_non_null(j);
	return j;
}

/* The practice's audio settings, through the tenant API. */
static void set_audio(const char *doc)
{
	struct va_buf b = VA_BUF_INIT(1 << 16);
	char body[400];

	snprintf(body, sizeof(body), "{\"audio\":%s}", doc);
	assert_int_equal(it_http(&srv, "PUT", "/api/v1/tenants/demo123", IT_ADMIN, body, &b), 200);
	va_buf_release(&b);
}

static int setup(void **state)
{
	FILE *f = fopen(SPEECH, "rb");
	char url[128];

	assert_non_null(f);
	speech = malloc(1 << 20);
	speech_len = fread(speech, 1, 1 << 20, f);
	fclose(f);
	assert_true(speech_len > 8000);
	start_mock();
	snprintf(url, sizeof(url), "ws://127.0.0.1:%d/v1/realtime?pace_ms=10", mock_port);
	setenv("OPENAI_REALTIME_URL", url, 1);
	setenv("OPENAI_API_KEY", "sk-test-not-a-real-key", 1);
	{
		const char *args[] = {"--realtime-silence-ms", "1500", NULL};

		it_server_start(&srv, args);
	}
	unsetenv("OPENAI_REALTIME_URL");
	unsetenv("OPENAI_API_KEY");
	set_audio("{\"transport\":\"audio\",\"model\":\"mock-script\"}");
	return 0;
}

static int teardown(void **state)
{
	int st, rc;

	/* Every helper process goes, whatever the server's exit says. */
	rc = it_server_stop(&srv);
	kill(mock_pid, SIGTERM);
	waitpid(mock_pid, &st, 0);
	free(speech);
	assert_int_equal(rc, 0);
	return 0;
}

/* ---- playing Twilio --------------------------------------------------------- */

struct pending {
	char name[128];
	int64_t due;
};

struct tw {
	struct va_sim_ws *ws;
	char call_sid[40], stream_sid[40];
	char ws_url[300];
	struct va_buf heard; /* audio Twilio received */
	size_t frames_in;
	int clears;
	int64_t play_until; /* when what Twilio holds will have played */
	struct pending marks[256];
	size_t n_marks;
	long seq, chunk;
	bool closed;
	int64_t last_media_ms;
	int64_t first_media_ms; /* when playback began */
	int64_t clear_ms;	/* the first clear */
};

static struct va_media_out out_msg;

/* Reads what the server sends for ms, playing it like Twilio. */
static void pump(struct tw *t, int ms)
{
	int64_t end = now_ms() + ms;
	struct va_buf b = VA_BUF_INIT(1024);

	do {
		struct va_sim_frame f;
		int rc = va_sim_ws_recv(t->ws, 2, &f);
		int64_t now = now_ms();

		/* Marks whose audio has played are echoed. */
		for (size_t i = 0; i < t->n_marks;) {
			if (t->marks[i].due <= now) {
				va_buf_reset(&b);
				va_media_write_mark_in(&b, t->stream_sid, ++t->seq,
						       t->marks[i].name);
				va_sim_ws_send_text(t->ws, b.data, b.len);
				memmove(&t->marks[i], &t->marks[i + 1],
					(t->n_marks - i - 1) * sizeof(t->marks[0]));
				t->n_marks--;
			} else {
				i++;
			}
		}
		if (rc == VA_E_CLOSED || (rc == VA_OK && f.opcode == VA_WS_OP_CLOSE)) {
			t->closed = true;
			if (rc == VA_OK)
				va_sim_frame_release(&f);
			break;
		}
		if (rc != VA_OK)
			continue;
		if (f.opcode == VA_WS_OP_TEXT &&
		    va_media_parse_out(f.payload, f.len, &out_msg) == VA_OK) {
			assert_string_equal(out_msg.stream_sid, t->stream_sid);
			if (out_msg.type == VA_MEDIA_OUT_MEDIA) {
				va_buf_append(&t->heard, out_msg.audio, out_msg.len);
				t->frames_in++;
				t->last_media_ms = now;
				if (!t->first_media_ms)
					t->first_media_ms = now;
				if (t->play_until < now)
					t->play_until = now;
				t->play_until += (int64_t)out_msg.len / 8;
			} else if (out_msg.type == VA_MEDIA_OUT_MARK && t->n_marks < 256) {
				snprintf(t->marks[t->n_marks].name, sizeof(t->marks[0].name), "%s",
					 out_msg.mark_name);
				t->marks[t->n_marks++].due = t->play_until;
			} else if (out_msg.type == VA_MEDIA_OUT_CLEAR) {
				/* Buffered audio is dropped; pending marks come back now. */
				if (!t->clears++)
					t->clear_ms = now;
				t->play_until = now;
				for (size_t i = 0; i < t->n_marks; i++)
					t->marks[i].due = now;
			}
		}
		va_sim_frame_release(&f);
	} while (now_ms() < end);
	va_buf_release(&b);
}

static void tw_send(struct tw *t, const char *json)
{
	assert_int_equal(va_sim_ws_send_text(t->ws, json, strlen(json)), VA_OK);
}

/* Sends audio as 20 ms frames, `pace` ms apart, playing Twilio meanwhile. */
static void say(struct tw *t, const uint8_t *audio, size_t len, int pace)
{
	struct va_buf b = VA_BUF_INIT(4096);

	for (size_t off = 0; off + 160 <= len && !t->closed; off += 160) {
		va_buf_reset(&b);
		t->chunk++;
		va_media_write_audio_in(&b, t->stream_sid, ++t->seq, t->chunk, t->chunk * 20,
					audio + off, 160);
		/* Once the server closes the stream, Twilio stops sending. */
		if (va_sim_ws_send_text(t->ws, b.data, b.len) != VA_OK)
			t->closed = true;
		else
			pump(t, pace);
	}
	va_buf_release(&b);
}

static void silence(struct tw *t, int ms, int pace)
{
	uint8_t *s = malloc((size_t)ms * 8);

	memset(s, 0xff, (size_t)ms * 8);
	say(t, s, (size_t)ms * 8, pace);
	free(s);
}

static void webhook(const char *call_sid, const char *status, const char *path,
		    struct va_buf *twiml)
{
	struct va_kv params[] = {
	    {"AccountSid", "AC00000000000000000000000000000000"},
	    {"CallSid", call_sid},
	    {"CallStatus", status},
	    {"From", "+15551234567"},
	    {"To", "+15555550100"},
	    {"Direction", "inbound"},
	};
	int st = 0;

	assert_int_equal(va_sim_webhook(srv.base, path, IT_TOKEN, NULL, params,
					sizeof(params) / sizeof(params[0]), &st, twiml),
			 VA_OK);
	assert_int_equal(st, 200);
}

static void tw_start(struct tw *t)
{
	struct va_buf twiml = VA_BUF_INIT(1 << 16), b = VA_BUF_INIT(4096);
	struct va_media_start st = {0};
	const char *u, *e;
	char *sig;
	int hs = 0;

	memset(t, 0, sizeof(*t));
	va_buf_init(&t->heard, 16 << 20);
	it_random_sid("CA", t->call_sid, sizeof(t->call_sid));
	it_random_sid("MZ", t->stream_sid, sizeof(t->stream_sid));
	webhook(t->call_sid, "ringing", "/api/v1/voice/demo123", &twiml);
	/* <Connect action><Stream url> with no query string, the tenant as a
	 * <Parameter>. */
	u = strstr(va_buf_cstr(&twiml), "<Stream url=\"");
	assert_non_null(u);
	u += 13;
	e = strchr(u, '"');
	snprintf(t->ws_url, sizeof(t->ws_url), "%.*s", (int)(e - u), u);
	assert_non_null(strstr(t->ws_url, "/api/v1/voice/demo123/media"));
	assert_null(strchr(t->ws_url, '?'));
	assert_non_null(
	    strstr(va_buf_cstr(&twiml), "<Parameter name=\"tenant\" value=\"demo123\""));
	assert_non_null(strstr(va_buf_cstr(&twiml), "action=\""));
	sig = va_sim_ws_sign(IT_TOKEN, t->ws_url);
	assert_int_equal(va_sim_ws_connect(t->ws_url, sig, 5000, &t->ws, &hs), VA_OK);
	free(sig);
	tw_send(t, "{\"event\":\"connected\",\"protocol\":\"Call\",\"version\":\"1.0.0\"}");
	snprintf(st.stream_sid, sizeof(st.stream_sid), "%s", t->stream_sid);
	snprintf(st.call_sid, sizeof(st.call_sid), "%s", t->call_sid);
	snprintf(st.account_sid, sizeof(st.account_sid), "AC00000000000000000000000000000000");
	st.n_params = 2;
	snprintf(st.params[0].name, sizeof(st.params[0].name), "tenant");
	snprintf(st.params[0].value, sizeof(st.params[0].value), "demo123");
	snprintf(st.params[1].name, sizeof(st.params[1].name), "caller");
	snprintf(st.params[1].value, sizeof(st.params[1].value), "+15551234567");
	assert_int_equal(va_media_write_start(&b, &st), VA_OK);
	tw_send(t, va_buf_cstr(&b));
	va_buf_release(&b);
	va_buf_release(&twiml);
}

static void tw_end(struct tw *t)
{
	struct va_buf b = VA_BUF_INIT(1024);

	if (t->ws && !t->closed) {
		va_media_write_stop_in(&b, t->stream_sid, ++t->seq, t->call_sid);
		va_sim_ws_send_text(t->ws, b.data, b.len);
		pump(t, 100);
	}
	va_sim_ws_free(t->ws);
	t->ws = NULL;
	va_buf_release(&b);
	va_buf_release(&t->heard);
}

/* Plays Twilio until the server has sent nothing for quiet_ms (after at
 * least some audio), or timeout. */
static void wait_reply(struct tw *t, int quiet_ms, int timeout_ms)
{
	int64_t end = now_ms() + timeout_ms;
	size_t before = t->frames_in;

	while (now_ms() < end && !t->closed) {
		pump(t, 20);
		if (t->frames_in > before && now_ms() - t->last_media_ms > quiet_ms)
			break;
	}
}

static json_t *last_connection(void)
{
	json_t *log = mock_log(), *conns = json_object_get(log, "connections");
	json_t *c = json_incref(json_array_get(conns, json_array_size(conns) - 1));

	json_decref(log);
	assert_non_null(c);
	return c;
}

/* ---- tests ------------------------------------------------------------------ */

static void future_slot(char *iso, size_t n)
{
	struct va_tz *tz;
	struct va_civil c;
	int64_t t = (int64_t)time(NULL) + 12 * 86400;

	assert_int_equal(va_tz_load("America/New_York", &tz), VA_OK);
	for (;; t += 86400) {
		va_tz_to_civil(tz, t, &c);
		if (c.wday >= 1 && c.wday <= 4 && !(c.month == 12 && c.day >= 24) &&
		    !(c.month == 1 && c.day == 1) && !(c.month == 11 && c.day >= 22))
			break;
	}
	c.hour = 15;
	c.minute = 0;
	c.second = 0;
	va_tz_iso8601(tz, va_tz_from_civil(tz, &c), iso, n);
	va_tz_free(tz);
}

static void test_books_through_a_tool_call(void **state)
{
	char slot[40], script[1200], path[200];
	struct va_buf b = VA_BUF_INIT(1 << 20);
	json_t *conn, *outs;
	struct tw t;

	future_slot(slot, sizeof(slot));
	snprintf(
	    script, sizeof(script),
	    "[{\"say\":\"Thank you for calling Bright Smile Dental.\",\"audio_ms\":600},"
	    "{\"heard\":\"I'd like a cleaning, I'm Ada Audio, new patient, this number.\","
	    "\"tool\":\"book_appointment\",\"args\":{\"service\":\"cleaning\",\"start\":\"%s\","
	    "\"provider\":\"hyg-garcia\",\"patient_name\":\"Ada Audio\",\"phone\":"
	    "\"555-123-4567\",\"new_patient\":true}},"
	    "{\"say\":\"You are all set.\",\"audio_ms\":600}]",
	    slot);
	mock_post("/_script", script);
	tw_start(&t);
	/* The greeting is spoken by the model. */
	wait_reply(&t, 400, 8000);
	assert_true(t.heard.len >= 4000);
	/* The caller speaks, then stops: our detector ends the turn. */
	say(&t, speech, 16000, 2);
	silence(&t, 1400, 2);
	wait_reply(&t, 600, 10000);

	conn = last_connection();
	/* Turn-taking was ours: turn detection off, a commit, the tool answered. */
	assert_true(json_is_null(json_object_get(
	    json_object_get(json_object_get(json_object_get(conn, "session"), "audio"), "input"),
	    "turn_detection")));
	assert_true(json_integer_value(json_object_get(conn, "commits")) >= 1);
	outs = json_object_get(conn, "function_call_outputs");
	assert_int_equal(json_array_size(outs), 1);
	assert_true(json_is_true(json_object_get(json_array_get(outs, 0), "ok")));
	assert_non_null(strstr(
	    json_string_value(json_object_get(json_array_get(outs, 0), "output")), "appointment"));
	/* Every byte the caller said reached the model in order. */
	assert_true(json_integer_value(json_object_get(conn, "audio_bytes")) >= 16000);
	json_decref(conn);

	/* The booking is real. */
	assert_int_equal(
	    it_http(&srv, "GET", "/api/v1/tenants/demo123/appointments", IT_KEY, NULL, &b), 200);
	assert_non_null(strstr(va_buf_cstr(&b), "Ada Audio"));
	/* The conversation is stored like a relay call's. */
	va_buf_reset(&b);
	snprintf(path, sizeof(path), "/api/v1/conversations/%s", t.stream_sid);
	assert_int_equal(it_http(&srv, "GET", path, IT_KEY, NULL, &b), 200);
	assert_non_null(strstr(va_buf_cstr(&b), "Ada Audio, new patient"));
	if (!strstr(va_buf_cstr(&b), "You are all set"))
		fail_msg("conversation: %s", va_buf_cstr(&b));
	assert_non_null(strstr(va_buf_cstr(&b), "\"agent\":\"realtime\""));
	tw_end(&t);
	va_buf_release(&b);
}

static void test_barge_in(void **state)
{
	json_t *conn, *tr, *cancels;
	size_t frames_at_clear;
	struct tw t;
	long end_ms, sent_ms;
	int64_t first, played;

	mock_post("/_script", "[{\"say\":\"Thank you for calling Bright Smile Dental, we are "
			      "open every weekday from eight to five and on Saturday mornings.\","
			      "\"audio_ms\":8000}]");
	tw_start(&t);
	/* Let some of the greeting play, then talk over it. */
	for (int i = 0; i < 400 && (t.heard.len < 8 * 2500); i++)
		pump(&t, 10);
	assert_true(t.heard.len >= 8 * 2000);
	first = t.first_media_ms;
	for (size_t off = 0; off + 160 <= 8000 && !t.clears; off += 160)
		say(&t, speech + off, 160, 20);
	assert_true(t.clears >= 1);
	played = t.clear_ms - first;
	frames_at_clear = t.frames_in;
	pump(&t, 600);
	/* Not a frame of the cut reply after the clear. */
	assert_int_equal(t.frames_in, frames_at_clear);
	conn = last_connection();
	cancels = json_object_get(conn, "cancels");
	assert_true(json_array_size(cancels) >= 1);
	tr = json_array_get(json_object_get(conn, "truncates"), 0);
	assert_non_null(tr);
	assert_true(json_is_true(json_object_get(tr, "ok")));
	/* Truncated at what the caller heard: played, not merely sent. */
	end_ms = (long)json_integer_value(json_object_get(tr, "audio_end_ms"));
	sent_ms = (long)json_integer_value(json_object_get(tr, "audio_ms_sent"));
	assert_true(end_ms > 500);
	assert_true(end_ms < sent_ms);
	if (!(end_ms >= played - 300 && end_ms <= played + 100))
		fail_msg("truncated at %ld ms, the caller heard about %lld ms (sent %ld)", end_ms,
			 (long long)played, sent_ms);
	json_decref(conn);
	tw_end(&t);
}

static void test_dtmf(void **state)
{
	struct va_buf b = VA_BUF_INIT(1024);
	json_t *conn, *items;
	struct tw t;
	bool seen = false;

	mock_post("/_script", "[{\"say\":\"Hello.\",\"audio_ms\":400},{\"say\":\"Got it.\"}]");
	tw_start(&t);
	wait_reply(&t, 300, 8000);
	va_media_write_dtmf_in(&b, t.stream_sid, ++t.seq, '5');
	tw_send(&t, va_buf_cstr(&b));
	wait_reply(&t, 300, 8000);
	conn = last_connection();
	items = json_object_get(conn, "items_created");
	for (size_t i = 0; i < json_array_size(items); i++)
		seen |= strstr(json_string_value(json_object_get(json_array_get(items, i), "text")),
			       "pressed 5") != NULL;
	assert_true(seen);
	json_decref(conn);
	tw_end(&t);
	va_buf_release(&b);
}

static void test_model_failure_falls_back_to_relay(void **state)
{
	struct va_buf twiml = VA_BUF_INIT(1 << 16), path = VA_BUF_INIT(256);
	struct tw t;

	mock_post("/_script", "[{\"say\":\"Hello.\",\"audio_ms\":400},"
			      "{\"heard\":\"I need a cleaning, my name is Fay Fallback.\","
			      "\"drop\":true}]");
	tw_start(&t);
	wait_reply(&t, 300, 8000);
	say(&t, speech, 12000, 2);
	silence(&t, 1400, 2);
	/* The model drops: the stream is closed, not the call. */
	for (int i = 0; i < 300 && !t.closed; i++)
		pump(&t, 20);
	assert_true(t.closed);
	/* Twilio calls the <Connect action>: the same call continues over
	 * ConversationRelay with the receptionist. */
	webhook(t.call_sid, "in-progress", "/api/v1/voice/demo123/action", &twiml);
	assert_non_null(strstr(va_buf_cstr(&twiml), "<ConversationRelay"));
	assert_null(strstr(va_buf_cstr(&twiml), "<Stream"));
	assert_true(it_log_count(&srv, "event=model_failed") >= 1);
	/* What was said on the audio leg is on the call. */
	va_buf_appendf(&path, "/api/v1/conversations/%s", t.stream_sid);
	va_buf_reset(&twiml);
	assert_int_equal(it_http(&srv, "GET", va_buf_cstr(&path), IT_KEY, NULL, &twiml), 200);
	assert_non_null(strstr(va_buf_cstr(&twiml), "Fay Fallback"));
	/* From here on the receptionist has the call. */
	assert_non_null(strstr(va_buf_cstr(&twiml), "\"agent\":\"receptionist\""));
	tw_end(&t);
	va_buf_release(&twiml);
	va_buf_release(&path);
}

static void test_bad_input(void **state)
{
	struct tw t, other;
	int bad0 = it_log_count(&srv, "event=bad_message");
	char frame[600];

	mock_post("/_script", "[{\"say\":\"Hello.\",\"audio_ms\":400}]");
	tw_start(&other);
	tw_start(&t);
	tw_send(&t, "{\"event\":\"media\",");
	tw_send(&t,
		"{\"event\":\"media\",\"streamSid\":\"MZnope\",\"media\":{\"payload\":\"/w==\"}}");
	snprintf(frame, sizeof(frame),
		 "{\"event\":\"media\",\"streamSid\":\"%s\",\"media\":{\"payload\":\"%%%%%%%%\"}}",
		 t.stream_sid);
	tw_send(&t, frame);
	snprintf(frame, sizeof(frame),
		 "{\"event\":\"media\",\"streamSid\":\"%s\",\"media\":{\"payload\":\"/////w==\"}}",
		 t.stream_sid);
	tw_send(&t, frame);
	pump(&t, 300);
	assert_true(it_log_count(&srv, "event=bad_message") - bad0 >= 4);
	/* Both calls carry on. */
	assert_false(t.closed);
	wait_reply(&other, 300, 8000);
	assert_true(other.heard.len > 0);
	assert_true(it_server_alive(&srv));
	tw_end(&t);
	tw_end(&other);

	/* Media before start, on a fresh socket. */
	{
		struct va_sim_ws *ws = NULL;
		char *sig = va_sim_ws_sign(IT_TOKEN, t.ws_url);
		int hs = 0;

		bad0 = it_log_count(&srv, "before start");
		assert_int_equal(va_sim_ws_connect(t.ws_url, sig, 5000, &ws, &hs), VA_OK);
		snprintf(frame, sizeof(frame),
			 "{\"event\":\"media\",\"streamSid\":\"MZx\",\"media\":{\"payload\":"
			 "\"/w==\"}}");
		va_sim_ws_send_text(ws, frame, strlen(frame));
		usleep(200000);
		assert_true(it_log_count(&srv, "before start") > bad0);
		va_sim_ws_free(ws);
		free(sig);
		/* An unsigned handshake is refused. */
		assert_int_not_equal(va_sim_ws_connect(t.ws_url, NULL, 5000, &ws, &hs), VA_OK);
		assert_int_equal(hs, 403);
	}
}

static void test_server_vad_mode(void **state)
{
	json_t *conn, *td;
	struct tw t;

	/* The practice lets the model take turns. */
	set_audio("{\"turn_detection\":\"server_vad\"}");
	mock_post("/_script", "[{\"say\":\"Hello.\",\"audio_ms\":400},"
			      "{\"say\":\"Sure.\",\"audio_ms\":400}]");
	tw_start(&t);
	wait_reply(&t, 300, 8000);
	say(&t, speech, 12000, 2);
	silence(&t, 1000, 2);
	wait_reply(&t, 300, 8000);
	conn = last_connection();
	td = json_object_get(
	    json_object_get(json_object_get(json_object_get(conn, "session"), "audio"), "input"),
	    "turn_detection");
	assert_string_equal(json_string_value(json_object_get(td, "type")), "server_vad");
	/* The model's detector took the turn: no commit of ours. */
	assert_true(json_integer_value(json_object_get(conn, "speech_stopped")) >= 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(conn, "event_counts"),
							    "input_audio_buffer.commit")),
			 0);
	assert_true(json_array_size(json_object_get(conn, "responses")) >= 2);
	json_decref(conn);
	tw_end(&t);
	set_audio("{\"turn_detection\":\"local\"}");
}

/* `voiceai call --audio`: the simulator plays a recording into a stream. */
static void test_simulator(void **state)
{
	char out[300], log[300], line[512];
	bool first = false;
	pid_t pid;
	int st;
	FILE *f;

	mock_post("/_script", "[{\"say\":\"Hello.\",\"audio_ms\":300},"
			      "{\"say\":\"Sure.\",\"audio_ms\":500}]");
	snprintf(out, sizeof(out), "%s/reply.ul", srv.dir);
	snprintf(log, sizeof(log), "%s/sim.out", srv.dir);
	pid = fork();
	if (pid == 0) {
		if (!freopen(log, "w", stdout))
			_exit(126);
		execl(VA_VOICEAI_BIN, "voiceai", "call", "demo123", "--url", srv.base, "--audio",
		      SPEECH, "--out", out, "--timeout-ms", "8000", (char *)NULL);
		_exit(127);
	}
	assert_true(waitpid(pid, &st, 0) == pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	f = fopen(log, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		first |= strstr(line, "first reply frame") != NULL;
	fclose(f);
	assert_true(first);
	f = fopen(out, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	/* The greeting and the reply: 800 ms of audio. */
	assert_true(ftell(f) >= 8 * 700);
	fclose(f);
}

/* A model that stops answering is a failed model: the call goes on. */
static void test_silent_model_falls_back(void **state)
{
	struct va_buf twiml = VA_BUF_INIT(1 << 16);
	struct tw t;
	int64_t t0;

	mock_post("/_script", "[{\"say\":\"Hello.\",\"audio_ms\":300},{\"silent\":true}]");
	tw_start(&t);
	wait_reply(&t, 300, 8000);
	say(&t, speech, 12000, 2);
	t0 = now_ms();
	silence(&t, 4000, 20);
	assert_true(t.closed);
	assert_true(now_ms() - t0 < 4000);
	assert_true(it_log_count(&srv, "went silent") >= 1);
	webhook(t.call_sid, "in-progress", "/api/v1/voice/demo123/action", &twiml);
	assert_non_null(strstr(va_buf_cstr(&twiml), "<ConversationRelay"));
	tw_end(&t);
	va_buf_release(&twiml);
}

/* Without a Realtime key, a practice set to the raw audio is served by
 * ConversationRelay, and the log says why. */
static void test_no_key_means_relay(void **state)
{
	struct it_server plain;
	struct va_buf b = VA_BUF_INIT(1 << 16);
	struct va_kv params[] = {{"CallSid", "CA00000000000000000000000000000099"},
				 {"CallStatus", "ringing"},
				 {"From", "+15551234567"}};
	int st = 0;

	it_server_start(&plain, NULL);
	assert_int_equal(it_http(&plain, "PUT", "/api/v1/tenants/demo123", IT_ADMIN,
				 "{\"audio\":{\"transport\":\"audio\"}}", &b),
			 200);
	va_buf_reset(&b);
	assert_int_equal(
	    va_sim_webhook(plain.base, "/api/v1/voice/demo123", IT_TOKEN, NULL, params, 3, &st, &b),
	    VA_OK);
	assert_int_equal(st, 200);
	assert_non_null(strstr(va_buf_cstr(&b), "<ConversationRelay"));
	assert_null(strstr(va_buf_cstr(&b), "<Stream"));
	assert_int_equal(it_log_count(&plain, "event=audio_unavailable"), 1);
	assert_int_equal(it_server_stop(&plain), 0);
	va_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_books_through_a_tool_call),
	    cmocka_unit_test(test_barge_in),
	    cmocka_unit_test(test_dtmf),
	    cmocka_unit_test(test_model_failure_falls_back_to_relay),
	    cmocka_unit_test(test_bad_input),
	    cmocka_unit_test(test_server_vad_mode),
	    cmocka_unit_test(test_simulator),
	    cmocka_unit_test(test_silent_model_falls_back),
	    cmocka_unit_test(test_no_key_means_relay),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
