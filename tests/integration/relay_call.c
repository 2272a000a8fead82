/* SPDX-License-Identifier: MIT */
/*
 * relay_call.c - full simulated calls against the real server over real
 * sockets: webhook -> TwiML -> signed WebSocket -> setup -> prompts ->
 * streamed tokens -> interrupt mid-reply -> dtmf -> hand-off -> action
 * callback, and the conversation and status endpoints that show them.
 */
#include "core/err.h"
#include "harness.h"

#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static struct it_server srv;

static int setup_server(void **state)
{
	it_server_start(&srv, NULL);
	return 0;
}

static int teardown_server(void **state)
{
	assert_true(it_server_alive(&srv));
	assert_int_equal(it_server_stop(&srv), 0);
	return 0;
}

static json_t *get_json(const char *path, const char *bearer, int expect_status)
{
	struct va_buf b = VA_BUF_INIT(1 << 20);
	int st = it_http(&srv, "GET", path, bearer, NULL, &b);
	json_t *j;

	assert_int_equal(st, expect_status);
	j = json_loads(va_buf_cstr(&b), 0, NULL);
	assert_non_null(j);
	va_buf_release(&b);
	return j;
}

static void test_twiml_is_real_conversation_relay(void **state)
{
	struct it_call c;
	const char *url;

	it_call_start(&srv, &c, "demo123", IT_TOKEN);
	url = c.twiml.relay_url;
	assert_non_null(url);
	assert_non_null(strstr(url, "/api/v1/voice/demo123/stream"));
	assert_int_equal(strncmp(url, "ws://127.0.0.1:", 15), 0);
	assert_non_null(c.twiml.action_url);
	assert_non_null(strstr(c.twiml.action_url, "/api/v1/voice/demo123/action"));
	assert_non_null(c.twiml.welcome_greeting);
	assert_non_null(strstr(c.twiml.welcome_greeting, "Bright Smile Dental"));
	/* The caller's number reaches the session through <Parameter>. */
	bool caller = false;
	for (size_t i = 0; i < c.twiml.n_params; i++)
		if (!strcmp(c.twiml.params[i].name, "caller") &&
		    !strcmp(c.twiml.params[i].value, "+15551230001"))
			caller = true;
	assert_true(caller);
	it_call_end(&c);
}

static void test_full_call(void **state)
{
	struct it_call c;
	struct va_buf reply = VA_BUF_INIT(1 << 20), handoff = VA_BUF_INIT(4096);
	int frames = 0;
	char path[160];
	json_t *conv, *turns, *t;

	it_call_start(&srv, &c, "demo123", IT_TOKEN);

	/* A reply produced at once may be coalesced into few frames... */
	assert_int_equal(it_send_prompt(&c, "I need a cleaning next week"), VA_OK);
	assert_int_equal(it_read_reply(&c, 3000, &reply, &frames, NULL), VA_OK);
	assert_string_equal(va_buf_cstr(&reply), "echo: I need a cleaning next week");
	assert_true(frames >= 1);

	/* ...but tokens produced over time are sent as they come, not buffered
	 * into one reply: each arrives in a frame of its own, in order. */
	va_buf_reset(&reply);
	frames = 0;
	assert_int_equal(it_send_prompt(&c, "slow 4 60"), VA_OK);
	assert_int_equal(it_read_reply(&c, 3000, &reply, &frames, NULL), VA_OK);
	assert_string_equal(va_buf_cstr(&reply), "tok0 tok1 tok2 tok3 ");
	assert_int_equal(frames, 4);

	/* Interrupt a slow reply after a few tokens: nothing more of it arrives. */
	va_buf_reset(&reply);
	frames = 0;
	assert_int_equal(it_send_prompt(&c, "slow 40 25"), VA_OK);
	while (frames < 3) {
		struct va_sim_frame f;
		assert_int_equal(va_sim_ws_recv(c.ws, 2000, &f), VA_OK);
		if (strstr(f.payload, "\"tok"))
			frames++;
		va_sim_frame_release(&f);
	}
	assert_int_equal(it_send_interrupt(&c, "tok0 tok1", 900), VA_OK);
	/* Frames already in flight may still land; after that, silence. */
	usleep(100000);
	it_count_frames(&c, 50);
	assert_int_equal(it_count_frames(&c, 400), 0);

	/* DTMF is a turn of its own. */
	va_buf_reset(&reply);
	assert_int_equal(it_send_dtmf(&c, '5'), VA_OK);
	assert_int_equal(it_read_reply(&c, 3000, &reply, NULL, NULL), VA_OK);
	assert_string_equal(va_buf_cstr(&reply), "pressed 5");

	/* A detail the agent learned shows on the conversation. */
	va_buf_reset(&reply);
	assert_int_equal(it_send_prompt(&c, "detail patient_name Ada Lovelace"), VA_OK);
	assert_int_equal(it_read_reply(&c, 3000, &reply, NULL, NULL), VA_OK);

	/* Hand-off: the reply, then end with handoffData. */
	va_buf_reset(&reply);
	assert_int_equal(it_send_prompt(&c, "handoff"), VA_OK);
	assert_int_equal(it_read_reply(&c, 3000, &reply, NULL, NULL), VA_OK);
	assert_non_null(strstr(va_buf_cstr(&reply), "front desk"));
	assert_int_equal(it_read_reply(&c, 3000, NULL, NULL, &handoff), VA_E_STATE);
	assert_non_null(strstr(va_buf_cstr(&handoff), "live-agent-handoff"));

	/* While the call is live the conversation is readable with the key. */
	snprintf(path, sizeof(path), "/api/v1/conversations/%s", c.session_id);
	conv = get_json(path, IT_KEY, 200);
	assert_string_equal(json_string_value(json_object_get(conv, "call_sid")), c.call_sid);
	assert_string_equal(json_string_value(json_object_get(conv, "tenant_id")), "demo123");
	assert_string_equal(json_string_value(json_object_get(json_object_get(conv, "details"),
							      "patient_name")),
			    "Ada Lovelace");
	turns = json_object_get(conv, "turns");
	assert_true(json_array_size(turns) >= 11);
	t = json_array_get(turns, 0);
	assert_string_equal(json_string_value(json_object_get(t, "role")), "caller");
	assert_string_equal(json_string_value(json_object_get(t, "text")),
			    "I need a cleaning next week");
	t = json_array_get(turns, 1);
	assert_string_equal(json_string_value(json_object_get(t, "role")), "agent");
	assert_true(json_number_value(json_object_get(t, "first_token_ms")) >= 0);
	/* The interrupted reply keeps what the caller actually heard. */
	t = json_array_get(turns, 5);
	assert_true(json_is_true(json_object_get(t, "interrupted")));
	assert_string_equal(json_string_value(json_object_get(t, "heard")), "tok0 tok1");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(conv, "metrics"),
							    "interruptions")),
			 1);
	json_decref(conv);

	/* Twilio's <Connect action> callback with the hand-off dials the desk. */
	struct va_kv params[] = {
		{"AccountSid", "AC00000000000000000000000000000000"},
		{"CallSid", c.call_sid},
		{"CallStatus", "in-progress"},
		{"SessionId", c.session_id},
		{"SessionStatus", "ended"},
		{"SessionDuration", "12"},
		{"HandoffData", va_buf_cstr(&handoff)},
	};
	struct va_buf body = VA_BUF_INIT(64 * 1024);
	struct va_sim_twiml tw;
	int status = 0;
	assert_int_equal(va_sim_webhook(srv.base, "/api/v1/voice/demo123/action", IT_TOKEN, NULL,
					params, 7, &status, &body),
			 VA_OK);
	assert_int_equal(status, 200);
	assert_int_equal(va_sim_twiml_parse(va_buf_cstr(&body), &tw), VA_OK);
	assert_non_null(tw.dial);
	assert_string_equal(tw.dial, "+15555550100");
	va_sim_twiml_release(&tw);
	va_buf_release(&body);
	it_call_end(&c);

	/* After the call it is read back from the database. */
	conv = get_json(path, IT_KEY, 200);
	assert_string_equal(json_string_value(json_object_get(conv, "state")), "handoff");
	assert_false(json_is_true(json_object_get(conv, "live")));
	assert_true(json_array_size(json_object_get(conv, "turns")) >= 11);
	json_decref(conv);
	va_buf_release(&reply);
	va_buf_release(&handoff);
}

static void test_zombie_agent_tokens_dropped_after_interrupt(void **state)
{
	struct it_call c;
	int frames = 0;

	it_call_start(&srv, &c, "demo123", IT_TOKEN);
	assert_int_equal(it_send_prompt(&c, "zombie 30"), VA_OK);
	while (frames < 2) {
		struct va_sim_frame f;
		assert_int_equal(va_sim_ws_recv(c.ws, 2000, &f), VA_OK);
		if (strstr(f.payload, "\"tok"))
			frames++;
		va_sim_frame_release(&f);
	}
	assert_int_equal(it_send_interrupt(&c, "tok0", 300), VA_OK);
	usleep(60000);
	it_count_frames(&c, 30);
	/* The agent keeps producing for ~600 ms more; none of it may arrive. */
	assert_int_equal(it_count_frames(&c, 700), 0);
	it_call_end(&c);
}

static void test_prompt_while_streaming_supersedes(void **state)
{
	struct it_call c;
	struct va_buf reply = VA_BUF_INIT(1 << 20);
	int got = 0;

	it_call_start(&srv, &c, "demo123", IT_TOKEN);
	assert_int_equal(it_send_prompt(&c, "slow 50 20"), VA_OK);
	while (got < 2) {
		struct va_sim_frame f;
		assert_int_equal(va_sim_ws_recv(c.ws, 2000, &f), VA_OK);
		if (strstr(f.payload, "\"tok"))
			got++;
		va_sim_frame_release(&f);
	}
	assert_int_equal(it_send_prompt(&c, "new question"), VA_OK);
	/* Skip whatever of the old reply was in flight, up to the new one. */
	for (;;) {
		va_buf_reset(&reply);
		int rc = it_read_reply(&c, 3000, &reply, NULL, NULL);
		assert_true(rc == VA_OK || rc == VA_E_TIMEOUT);
		if (rc != VA_OK)
			fail_msg("no reply to the new prompt");
		if (strstr(va_buf_cstr(&reply), "echo: new question"))
			break;
	}
	assert_null(strstr(va_buf_cstr(&reply), "tok"));
	assert_int_equal(it_count_frames(&c, 300), 0);
	it_call_end(&c);
	va_buf_release(&reply);
}

static void test_prompt_before_setup_is_ignored(void **state)
{
	struct va_sim_ws *ws;
	struct va_sim_twiml tw;
	struct it_call c;
	int status;
	char *sig;
	char url[128];

	/* Use a normal call's TwiML to learn the URL to sign. */
	it_call_start(&srv, &c, "demo123", IT_TOKEN);
	sig = va_sim_ws_sign(IT_TOKEN, c.twiml.relay_url);
	snprintf(url, sizeof(url), "%s/api/v1/voice/demo123/stream", srv.ws_base);
	assert_int_equal(va_sim_ws_connect(url, sig, 3000, &ws, &status), VA_OK);
	const char *p = "{\"type\":\"prompt\",\"voicePrompt\":\"hello?\",\"lang\":\"en-US\",\"last\":true}";
	assert_int_equal(va_sim_ws_send_text(ws, p, strlen(p)), VA_OK);
	struct va_sim_frame f;
	assert_int_equal(va_sim_ws_recv(ws, 300, &f), VA_E_TIMEOUT);
	va_sim_ws_free(ws);
	free(sig);
	(void)tw;
	/* The other call carries on. */
	struct va_buf reply = VA_BUF_INIT(4096);
	assert_int_equal(it_send_prompt(&c, "still there"), VA_OK);
	assert_int_equal(it_read_reply(&c, 3000, &reply, NULL, NULL), VA_OK);
	assert_string_equal(va_buf_cstr(&reply), "echo: still there");
	va_buf_release(&reply);
	it_call_end(&c);
	assert_true(it_log_count(&srv, "event=message_before_setup") >= 1);
}

static void test_hangup_mid_reply(void **state)
{
	struct it_call c;
	char sid[40], path[160];
	int got = 0;

	it_call_start(&srv, &c, "demo123", IT_TOKEN);
	strcpy(sid, c.session_id);
	assert_int_equal(it_send_prompt(&c, "slow 200 5"), VA_OK);
	while (got < 3) {
		struct va_sim_frame f;
		assert_int_equal(va_sim_ws_recv(c.ws, 2000, &f), VA_OK);
		if (strstr(f.payload, "\"tok"))
			got++;
		va_sim_frame_release(&f);
	}
	/* The caller hangs up: the socket just goes away. */
	char call_sid[40];
	strcpy(call_sid, c.call_sid);
	it_call_end(&c);
	usleep(100000);
	assert_true(it_server_alive(&srv));
	/* Twilio then reports the call completed. */
	struct va_kv params[] = {
		{"CallSid", call_sid},
		{"CallStatus", "completed"},
		{"SessionStatus", "completed"},
	};
	struct va_buf body = VA_BUF_INIT(8192);
	int status;
	assert_int_equal(va_sim_webhook(srv.base, "/api/v1/voice/demo123/action", IT_TOKEN, NULL,
					params, 3, &status, &body),
			 VA_OK);
	assert_int_equal(status, 200);
	assert_non_null(strstr(va_buf_cstr(&body), "<Response"));
	assert_null(strstr(va_buf_cstr(&body), "<Dial"));
	va_buf_release(&body);
	snprintf(path, sizeof(path), "/api/v1/conversations/%s", sid);
	json_t *conv = get_json(path, IT_KEY, 200);
	assert_string_equal(json_string_value(json_object_get(conv, "state")), "completed");
	json_t *turns = json_object_get(conv, "turns");
	json_t *last = json_array_get(turns, json_array_size(turns) - 1);
	assert_string_equal(json_string_value(json_object_get(last, "role")), "agent");
	assert_true(json_is_true(json_object_get(last, "interrupted")));
	json_decref(conv);
}

static void test_status_reports_calls_and_latency(void **state)
{
	struct it_call c;
	struct va_buf reply = VA_BUF_INIT(4096);
	json_t *st, *lat;

	it_call_start(&srv, &c, "demo123", IT_TOKEN);
	for (int i = 0; i < 5; i++) {
		va_buf_reset(&reply);
		assert_int_equal(it_send_prompt(&c, "hello"), VA_OK);
		assert_int_equal(it_read_reply(&c, 3000, &reply, NULL, NULL), VA_OK);
	}
	st = get_json("/api/v1/relay/status", NULL, 200);
	assert_string_equal(json_string_value(json_object_get(st, "service")), "voiceai-relay");
	assert_string_equal(json_string_value(json_object_get(st, "status")), "running");
	assert_true(json_integer_value(json_object_get(st, "active_calls")) >= 1);
	assert_true(json_integer_value(json_object_get(st, "total_conversations")) >= 1);
	assert_true(json_is_array(json_object_get(st, "features")));
	lat = json_object_get(json_object_get(st, "latency"), "prompt_to_first_token");
	assert_true(json_integer_value(json_object_get(lat, "count")) >= 5);
	assert_true(json_real_value(json_object_get(lat, "p50_ms")) > 0);
	assert_true(json_real_value(json_object_get(lat, "p99_ms")) >=
		    json_real_value(json_object_get(lat, "p50_ms")));
	json_decref(st);
	it_call_end(&c);
	va_buf_release(&reply);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_twiml_is_real_conversation_relay),
		cmocka_unit_test(test_full_call),
		cmocka_unit_test(test_zombie_agent_tokens_dropped_after_interrupt),
		cmocka_unit_test(test_prompt_while_streaming_supersedes),
		cmocka_unit_test(test_prompt_before_setup_is_ignored),
		cmocka_unit_test(test_hangup_mid_reply),
		cmocka_unit_test(test_status_reports_calls_and_latency),
	};
	return cmocka_run_group_tests(tests, setup_server, teardown_server);
}
