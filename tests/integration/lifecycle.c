/* SPDX-License-Identifier: MIT */
/*
 * lifecycle.c - what happens around a session: a dropped socket that comes
 * back (resume by CallSid with history), the <Connect action> callback's
 * answers (resume, turn-based fallback, goodbye), the <Gather> fallback
 * driving the same agent, and draining on SIGTERM.
 */
#include "core/err.h"
#include "harness.h"

#include <jansson.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static int post_twilio(struct it_server *s, const char *path, const struct va_kv *params, size_t n,
		       struct va_sim_twiml *tw)
{
	struct va_buf body = VA_BUF_INIT(64 * 1024);
	int status = 0;

	assert_int_equal(va_sim_webhook(s->base, path, IT_TOKEN, NULL, params, n, &status, &body),
			 VA_OK);
	memset(tw, 0, sizeof(*tw));
	if (status == 200)
		assert_int_equal(va_sim_twiml_parse(va_buf_cstr(&body), tw), VA_OK);
	va_buf_release(&body);
	return status;
}

static json_t *conversation(struct it_server *s, const char *session_id)
{
	struct va_buf b = VA_BUF_INIT(1 << 20);
	char path[160];
	json_t *j;

	snprintf(path, sizeof(path), "/api/v1/conversations/%s", session_id);
	assert_int_equal(it_http(s, "GET", path, IT_KEY, NULL, &b), 200);
	j = json_loads(va_buf_cstr(&b), 0, NULL);
	assert_non_null(j);
	va_buf_release(&b);
	return j;
}

static void ask(struct it_call *c, const char *prompt, const char *expect)
{
	struct va_buf reply = VA_BUF_INIT(1 << 16);

	assert_int_equal(it_send_prompt(c, prompt), VA_OK);
	assert_int_equal(it_read_reply(c, 3000, &reply, NULL, NULL), VA_OK);
	assert_string_equal(va_buf_cstr(&reply), expect);
	va_buf_release(&reply);
}

static void test_dropped_socket_resumes_with_history(void **state)
{
	struct it_server s;
	struct it_call c;
	struct va_sim_twiml tw;
	char first_session[40];
	json_t *conv;

	it_server_start(&s, NULL);
	it_call_start(&s, &c, "demo123", IT_TOKEN);
	strcpy(first_session, c.session_id);
	ask(&c, "detail reason toothache", "noted reason");
	ask(&c, "first question", "echo: first question");

	/* The socket drops; Twilio reports the session failed, the caller is
	 * still on the line: a fresh ConversationRelay for the same call. */
	va_sim_ws_free(c.ws);
	c.ws = NULL;
	usleep(50000);
	struct va_kv params[] = {
		{"CallSid", c.call_sid},
		{"CallStatus", "in-progress"},
		{"SessionId", first_session},
		{"SessionStatus", "failed"},
		{"ErrorCode", "64105"},
	};
	assert_int_equal(post_twilio(&s, "/api/v1/voice/demo123/action", params, 5, &tw), 200);
	assert_non_null(tw.relay_url);
	assert_null(tw.dial);
	va_sim_twiml_release(&c.twiml);
	c.twiml = tw;
	it_call_reconnect(&s, &c, "demo123", IT_TOKEN);
	ask(&c, "second question", "echo: second question");

	/* One conversation, both sessions' turns, the detail still known; the
	 * new session id finds it too. */
	conv = conversation(&s, c.session_id);
	assert_string_equal(json_string_value(json_object_get(conv, "session_id")), first_session);
	assert_int_equal(json_array_size(json_object_get(conv, "turns")), 6);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(conv, "details"), "reason")),
	    "toothache");
	json_decref(conv);
	assert_true(it_log_count(&s, "event=resumed") >= 1);
	it_call_end(&c);
	assert_int_equal(it_server_stop(&s), 0);
}

static void test_action_answers(void **state)
{
	struct it_server s;
	struct it_call c;
	struct va_sim_twiml tw;
	struct va_buf reply = VA_BUF_INIT(4096);

	it_server_start(&s, NULL);

	/* Our socket unreachable (39001): continue turn by turn with <Gather>. */
	struct va_kv unreachable[] = {
		{"CallSid", "CA00000000000000000000000000000001"},
		{"CallStatus", "in-progress"},
		{"SessionStatus", "failed"},
		{"ErrorCode", "39001"},
		{"ErrorMessage", "Network connection to WebSocket server failed."},
	};
	assert_int_equal(post_twilio(&s, "/api/v1/voice/demo123/action", unreachable, 5, &tw), 200);
	assert_null(tw.relay_url);
	assert_non_null(tw.say);
	va_sim_twiml_release(&tw);

	/* The agent ended the call without a hand-off: goodbye and hang up. */
	it_call_start(&s, &c, "demo123", IT_TOKEN);
	assert_int_equal(it_send_prompt(&c, "bye"), VA_OK);
	assert_int_equal(it_read_reply(&c, 3000, &reply, NULL, NULL), VA_OK);
	assert_string_equal(va_buf_cstr(&reply), "Goodbye!");
	assert_int_equal(it_read_reply(&c, 3000, NULL, NULL, NULL), VA_E_STATE);
	struct va_kv ended[] = {
		{"CallSid", c.call_sid},
		{"CallStatus", "in-progress"},
		{"SessionStatus", "ended"},
	};
	assert_int_equal(post_twilio(&s, "/api/v1/voice/demo123/action", ended, 3, &tw), 200);
	assert_true(tw.hangup);
	assert_null(tw.dial);
	assert_null(tw.relay_url);
	va_sim_twiml_release(&tw);
	it_call_end(&c);

	/* The caller hung up: nothing more to say. */
	struct va_kv completed[] = {
		{"CallSid", "CA00000000000000000000000000000002"},
		{"CallStatus", "completed"},
		{"SessionStatus", "completed"},
	};
	assert_int_equal(post_twilio(&s, "/api/v1/voice/demo123/action", completed, 3, &tw), 200);
	assert_null(tw.say);
	assert_null(tw.relay_url);
	assert_false(tw.hangup);
	va_sim_twiml_release(&tw);
	va_buf_release(&reply);
	assert_int_equal(it_server_stop(&s), 0);
}

static void test_gather_fallback_drives_the_agent(void **state)
{
	struct it_server s;
	struct va_sim_twiml tw;
	struct va_buf b = VA_BUF_INIT(1 << 16);
	json_t *conv;

	it_server_start(&s, NULL);
	struct va_kv first[] = {
		{"CallSid", "CA0000000000000000000000000000gath"},
		{"CallStatus", "in-progress"},
		{"From", "+15551230009"},
		{"To", "+15555550100"},
		{"SpeechResult", "I would like a cleaning"},
		{"Confidence", "0.91"},
	};
	assert_int_equal(post_twilio(&s, "/api/v1/voice/demo123/gather", first, 6, &tw), 200);
	assert_non_null(tw.say);
	assert_string_equal(tw.say, "echo: I would like a cleaning");
	va_sim_twiml_release(&tw);

	/* Same call, next turn: the conversation goes on. */
	first[4].value = "Tuesday morning please";
	assert_int_equal(post_twilio(&s, "/api/v1/voice/demo123/gather", first, 6, &tw), 200);
	assert_string_equal(tw.say, "echo: Tuesday morning please");
	va_sim_twiml_release(&tw);

	/* Silence (actionOnEmptyResult): a re-prompt, not a dead end. */
	first[4].value = "";
	assert_int_equal(post_twilio(&s, "/api/v1/voice/demo123/gather", first, 6, &tw), 200);
	assert_non_null(tw.say);
	va_sim_twiml_release(&tw);

	conv = conversation(&s, "CA0000000000000000000000000000gath");
	assert_int_equal(json_array_size(json_object_get(conv, "turns")), 4);
	json_decref(conv);

	/* The gather endpoint is signed like every webhook. */
	int status = 0;
	char url[160];
	snprintf(url, sizeof(url), "%s/api/v1/voice/demo123/gather", s.base);
	assert_int_equal(va_sim_http("POST", url,
				     "Content-Type: application/x-www-form-urlencoded\r\n",
				     "CallSid=CA1&SpeechResult=hi", 27, 3000, &status, &b, NULL),
			 VA_OK);
	assert_int_equal(status, 403);
	va_buf_release(&b);
	assert_int_equal(it_server_stop(&s), 0);
}

static void test_sigterm_drains(void **state)
{
	struct it_server s;
	struct it_call c;
	struct va_sim_twiml tw;
	struct va_buf b = VA_BUF_INIT(4096);
	const char *args[] = {"--drain-grace-ms", "20000", NULL};
	int st;

	it_server_start(&s, args);
	it_call_start(&s, &c, "demo123", IT_TOKEN);
	ask(&c, "before", "echo: before");
	kill(s.pid, SIGTERM);
	usleep(200000);

	/* New calls are refused politely; health says draining. */
	struct va_kv params[] = {
		{"CallSid", "CA00000000000000000000000000000003"},
		{"CallStatus", "ringing"},
		{"From", "+15551230002"},
	};
	assert_int_equal(post_twilio(&s, "/api/v1/voice/demo123", params, 3, &tw), 200);
	assert_null(tw.relay_url);
	assert_true(tw.hangup);
	va_sim_twiml_release(&tw);
	assert_int_equal(it_http(&s, "GET", "/healthz", NULL, NULL, &b), 503);

	/* The live call carries on until it ends. */
	ask(&c, "during drain", "echo: during drain");
	assert_true(it_server_alive(&s));
	it_call_end(&c);
	for (int i = 0; i < 100 && it_server_alive(&s); i++)
		usleep(50000);
	assert_false(it_server_alive(&s));
	s.pid = 0;
	st = it_log_count(&s, "event=stopped");
	assert_int_equal(st, 1);
	assert_true(it_log_count(&s, "event=draining") == 1);
	va_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dropped_socket_resumes_with_history),
		cmocka_unit_test(test_action_answers),
		cmocka_unit_test(test_gather_fallback_drives_the_agent),
		cmocka_unit_test(test_sigterm_drains),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
