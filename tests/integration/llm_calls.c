/* SPDX-License-Identifier: MIT */
/*
 * llm_calls.c - calls led by a language model, through the real path: the
 * server talks to the mock OpenAI-compatible server (tests/support/
 * mock_openai.c, the exact wire format) and the caller is played over the
 * real ConversationRelay WebSocket. Streaming, tool calls that book through
 * the scheduling core, barge-in that closes the model's stream, and every
 * failure falling back to the embedded receptionist.
 */
#include "core/err.h"
#include "core/tz.h"
#include "harness.h"

#include <fcntl.h>
#include <jansson.h>
#include <setjmp.h>
#include <signal.h>
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

static struct it_server srv;
static pid_t mock_pid;
static int mock_port;
static char script_path[300], slot_iso[40];

/* A weekday 10:00 at least a few days ahead, free in a fresh database. */
static void future_slot(char *iso, size_t isosz)
{
	struct va_tz *tz;
	struct va_civil c;
	int64_t t = (int64_t)time(NULL) + 5 * 86400;

	assert_int_equal(va_tz_load("America/New_York", &tz), VA_OK);
	for (;; t += 86400) {
		va_tz_to_civil(tz, t, &c);
		if (c.wday < 5 && !(c.month == 12 && (c.day == 24 || c.day == 25)) &&
		    !(c.month == 1 && c.day == 1) && !(c.month == 11 && c.day >= 22 && c.wday >= 3))
			break;
	}
	c.hour = 10;
	c.minute = 0;
	c.second = 0;
	va_tz_iso8601(tz, va_tz_from_civil(tz, &c), iso, isosz);
	va_tz_free(tz);
}

static void start_mock(void)
{
	const char *const argv[] = {VA_MOCK_OPENAI, "--port", "0", "--script", script_path, NULL};

	mock_pid = it_mock_start(argv, NULL, &mock_port);
}

static int setup(void **state)
{
	char base[80];
	const char *args[] = {"--agent", "llm", NULL};
	FILE *f;

	future_slot(slot_iso, sizeof(slot_iso));
	snprintf(script_path, sizeof(script_path), "/tmp/voiceai-llm-script-%d.json", getpid());
	f = fopen(script_path, "w");
	assert_non_null(f);
	/* What the scripted model does: book a given slot when asked, then
	 * report what the tool answered. */
	fprintf(
	    f,
	    "[{\"match\":\"sunday\",\"tool\":\"book_appointment\",\"args\":{\"service\":"
	    "\"cleaning\",\"start\":\"2020-01-05T10:00:00-05:00\",\"patient_name\":\"Model "
	    "Patient\",\"phone\":\"555-000-1111\"}},"
	    "{\"match\":\"book\",\"tool\":\"book_appointment\",\"args\":{\"service\":\"cleaning\","
	    "\"start\":\"%s\",\"provider\":\"hyg-garcia\",\"patient_name\":\"Model Patient\","
	    "\"phone\":\"555-000-1111\",\"new_patient\":true}},"
	    "{\"match\":\"both\",\"tools\":[{\"name\":\"check_availability\",\"args\":"
	    "{\"service\":\"exam\"}},{\"name\":\"find_appointments\",\"args\":{}}]},"
	    "{\"match\":\"\",\"say\":\"How can I help?\"}]\n",
	    slot_iso);
	fclose(f);
	start_mock();
	snprintf(base, sizeof(base), "http://127.0.0.1:%d/v1", mock_port);
	setenv("OPENAI_BASE_URL", base, 1);
	setenv("OPENAI_API_KEY", "test-key-not-secret", 1);
	setenv("VOICEAI_LLM_FIRST_TOKEN_MS", "700", 1);
	it_server_start(&srv, args);
	return 0;
}

static int teardown(void **state)
{
	int st, rc;

	rc = it_server_stop(&srv);
	kill(mock_pid, SIGTERM);
	waitpid(mock_pid, &st, 0);
	unlink(script_path);
	assert_int_equal(rc, 0);
	return 0;
}

static json_t *mock_log(void)
{
	char url[80];
	struct va_buf b = VA_BUF_INIT(4 << 20);
	int status = 0;
	json_t *j;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/_log", mock_port);
	assert_int_equal(va_sim_http("GET", url, NULL, NULL, 0, 3000, &status, &b, NULL), VA_OK);
	assert_int_equal(status, 200);
	j = json_loads(va_buf_cstr(&b), 0, NULL);
	assert_non_null(j);
	va_buf_release(&b);
	return j;
}

static int booked_for(const char *phone)
{
	struct va_buf b = VA_BUF_INIT(1 << 20);
	json_t *j, *a;
	size_t i;
	int n = 0;

	assert_int_equal(
	    it_http(&srv, "GET", "/api/v1/tenants/demo123/appointments", IT_KEY, NULL, &b), 200);
	j = json_loads(va_buf_cstr(&b), 0, NULL);
	json_array_foreach(json_object_get(j, "appointments"), i, a)
	{
		if (!strcmp(json_string_value(json_object_get(a, "phone")), phone) &&
		    !strcmp(json_string_value(json_object_get(a, "status")), "booked"))
			n++;
	}
	json_decref(j);
	va_buf_release(&b);
	return n;
}

static void ask(struct it_call *c, const char *prompt, struct va_buf *reply, int *frames)
{
	va_buf_reset(reply);
	if (frames)
		*frames = 0;
	assert_int_equal(it_send_prompt(c, prompt), VA_OK);
	assert_int_equal(it_read_reply(c, 5000, reply, frames, NULL), VA_OK);
}

static void test_streams_the_model_reply(void **state)
{
	struct it_call c;
	struct va_buf reply = VA_BUF_INIT(1 << 16);
	int frames;

	it_call_start(&srv, &c, "demo123", IT_TOKEN);
	ask(&c, "#scenario split\nhello there", &reply, &frames);
	/* SSE lines split across reads still make the exact reply, word by word. */
	assert_string_equal(va_buf_cstr(&reply), "Sure, I can help with that.");
	assert_true(frames >= 2);
	/* Where the turn's time went is on the conversation and in the status. */
	{
		char path[160];
		struct va_buf b = VA_BUF_INIT(1 << 20);
		json_t *conv, *t, *st;
		snprintf(path, sizeof(path), "/api/v1/conversations/%s", c.session_id);
		assert_int_equal(it_http(&srv, "GET", path, IT_KEY, NULL, &b), 200);
		conv = json_loads(va_buf_cstr(&b), 0, NULL);
		t = json_array_get(json_object_get(conv, "turns"), 1);
		assert_string_equal(json_string_value(json_object_get(t, "role")), "agent");
		assert_true(json_is_number(json_object_get(t, "model_request_sent_ms")));
		assert_true(json_number_value(json_object_get(t, "model_first_token_ms")) >=
			    json_number_value(json_object_get(t, "model_request_sent_ms")));
		assert_true(json_number_value(json_object_get(t, "first_token_ms")) >=
			    json_number_value(json_object_get(t, "model_first_token_ms")));
		json_decref(conv);
		va_buf_reset(&b);
		assert_int_equal(it_http(&srv, "GET", "/api/v1/relay/status", NULL, NULL, &b), 200);
		st = json_loads(va_buf_cstr(&b), 0, NULL);
		assert_true(json_integer_value(
				json_object_get(json_object_get(json_object_get(st, "latency"),
								"prompt_to_model_first_token"),
						"count")) >= 1);
		json_decref(st);
		va_buf_release(&b);
	}
	it_call_end(&c);
	va_buf_release(&reply);
}

static void test_tool_round_trip(void **state)
{
	struct it_call c;
	struct va_buf reply = VA_BUF_INIT(1 << 16);
	json_t *log, *bodies;

	it_call_start(&srv, &c, "demo123", IT_TOKEN);
	ask(&c, "#scenario tool_then_answer\nany cleaning slots?", &reply, NULL);
	assert_int_equal(strncmp(va_buf_cstr(&reply), "The tool said:", 14), 0);
	/* The availability came from the scheduler: real slots, not invented. */
	assert_non_null(strstr(va_buf_cstr(&reply), "slots"));
	log = mock_log();
	bodies = json_object_get(log, "bodies");
	assert_true(json_array_size(bodies) >= 2);
	/* The follow-up request carried the tool's result. */
	json_t *last = json_object_get(json_array_get(bodies, json_array_size(bodies) - 1), "body");
	json_t *msgs = json_object_get(last, "messages");
	assert_true(json_array_size(msgs) >= 3);
	json_t *tool = json_array_get(msgs, json_array_size(msgs) - 1);
	assert_string_equal(json_string_value(json_object_get(tool, "role")), "tool");
	assert_true(json_is_string(json_object_get(tool, "tool_call_id")));
	json_decref(log);
	it_call_end(&c);
	va_buf_release(&reply);
}

static void test_model_books_only_what_the_core_allows(void **state)
{
	struct it_call c;
	struct va_buf reply = VA_BUF_INIT(1 << 16);

	it_call_start(&srv, &c, "demo123", IT_TOKEN);
	ask(&c, "#scenario script\nplease book it", &reply, NULL);
	assert_non_null(strstr(va_buf_cstr(&reply), "\"booked\":true"));
	assert_int_equal(booked_for("5550001111"), 1);
	/* The same slot again: the core refuses; no second booking. */
	ask(&c, "#scenario script\nbook it once more", &reply, NULL);
	assert_non_null(strstr(va_buf_cstr(&reply), "error"));
	assert_int_equal(booked_for("5550001111"), 1);
	/* A time in the past (a Sunday in 2020): refused with a reason. */
	ask(&c, "#scenario script\nthat sunday then", &reply, NULL);
	assert_non_null(strstr(va_buf_cstr(&reply), "error"));
	assert_int_equal(booked_for("5550001111"), 1);
	it_call_end(&c);
	va_buf_release(&reply);
}

static void test_barge_in_closes_the_model_stream(void **state)
{
	struct it_call c;
	int got = 0, before, after = 0;
	json_t *log, *reqs, *r;
	size_t i;

	log = mock_log();
	before = (int)json_integer_value(json_object_get(log, "disconnects"));
	json_decref(log);
	it_call_start(&srv, &c, "demo123", IT_TOKEN);
	assert_int_equal(it_send_prompt(&c, "#scenario long\ntell me everything"), VA_OK);
	while (got < 3) {
		struct va_sim_frame f;
		assert_int_equal(va_sim_ws_recv(c.ws, 3000, &f), VA_OK);
		if (strstr(f.payload, "\"token\""))
			got++;
		va_sim_frame_release(&f);
	}
	assert_int_equal(it_send_interrupt(&c, "Our office offers", 800), VA_OK);
	usleep(100000);
	it_count_frames(&c, 50);
	assert_int_equal(it_count_frames(&c, 500), 0);
	/* The model server saw the client go away mid-stream. */
	log = mock_log();
	reqs = json_object_get(log, "requests");
	json_array_foreach(reqs, i, r)
	{
		if (json_is_true(json_object_get(r, "disconnected_early")))
			after++;
	}
	assert_true(json_integer_value(json_object_get(log, "disconnects")) > before || after > 0);
	json_decref(log);
	it_call_end(&c);
}

static void test_failures_fall_back_to_the_receptionist(void **state)
{
	static const char *const scenarios[] = {"error500", "malformed", "instream_error",
						"ratelimit", "slow"};
	struct va_buf reply = VA_BUF_INIT(1 << 16);
	char prompt[120];

	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		struct it_call c;
		struct timespec t0, t1;
		long ms;

		it_call_start(&srv, &c, "demo123", IT_TOKEN);
		snprintf(prompt, sizeof(prompt), "#scenario %s\nI'd like to book a cleaning",
			 scenarios[i]);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		ask(&c, prompt, &reply, NULL);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
		/* The receptionist took the turn with what was said, and no silence
		 * beyond the first-token limit (700 ms here) plus a margin. */
		if (!strstr(va_buf_cstr(&reply), "first and last name"))
			fail_msg("%s: reply was \"%s\"", scenarios[i], va_buf_cstr(&reply));
		assert_true(ms < 1500);
		/* ...and keeps the call. */
		ask(&c, "Jane Doe", &reply, NULL);
		assert_non_null(strstr(va_buf_cstr(&reply), "first visit"));
		it_call_end(&c);
	}
	assert_true(it_log_count(&srv, "event=fallback_to_receptionist") >= 5);
	va_buf_release(&reply);
}

static void test_stream_cut_mid_reply(void **state)
{
	struct it_call c;
	struct va_buf reply = VA_BUF_INIT(1 << 16);

	it_call_start(&srv, &c, "demo123", IT_TOKEN);
	ask(&c, "#scenario midstop\nI need a cleaning please", &reply, NULL);
	/* What the model said stands; the receptionist goes on from there. */
	assert_int_equal(strncmp(va_buf_cstr(&reply), "Sure,", 5), 0);
	assert_non_null(strstr(va_buf_cstr(&reply), "first and last name"));
	it_call_end(&c);
	va_buf_release(&reply);
}

/* A practice's own model settings: its calls use its model; its key is
 * stored but never shown. */
static void test_per_practice_model(void **state)
{
	struct va_buf b = VA_BUF_INIT(1 << 16), reply = VA_BUF_INIT(1 << 16);
	char doc[600];
	struct it_call c;

	snprintf(doc, sizeof(doc),
		 "{\"id\":\"aidental\",\"name\":\"AI Dental\",\"timezone\":\"America/New_York\","
		 "\"twilio_auth_token\":\"tok-ai-12345678\",\"api_key\":\"key-ai-12345678\","
		 "\"llm\":{\"base_url\":\"http://127.0.0.1:%d/v1\",\"model\":\"mock-echo\","
		 "\"api_key\":\"sk-practice-secret-123456\",\"temperature\":0.2}}",
		 mock_port);
	assert_int_equal(it_http(&srv, "POST", "/api/v1/tenants", IT_ADMIN, doc, &b), 201);
	assert_null(strstr(va_buf_cstr(&b), "sk-practice-secret-123456"));
	assert_non_null(strstr(va_buf_cstr(&b), "mock-echo"));
	it_call_start(&srv, &c, "aidental", "tok-ai-12345678");
	ask(&c, "what do you do", &reply, NULL);
	assert_string_equal(va_buf_cstr(&reply), "You said: what do you do");
	it_call_end(&c);
	/* The practice's key went to the model server, not the server's. */
	json_t *log = mock_log();
	assert_non_null(log);
	json_decref(log);
	/* Another practice still uses the server's model. */
	it_call_start(&srv, &c, "demo123", IT_TOKEN);
	ask(&c, "what do you do", &reply, NULL);
	assert_string_equal(va_buf_cstr(&reply), "Sure, I can help with that.");
	it_call_end(&c);
	va_buf_release(&b);
	va_buf_release(&reply);
}

/* Two tool calls in one response: both run, both results go back. */
static void test_parallel_tool_calls(void **state)
{
	struct it_call c;
	struct va_buf reply = VA_BUF_INIT(1 << 16);
	json_t *log, *body, *msgs;
	size_t n;

	it_call_start(&srv, &c, "demo123", IT_TOKEN);
	ask(&c, "#scenario script\ncheck both please", &reply, NULL);
	assert_int_equal(strncmp(va_buf_cstr(&reply), "The tool said:", 14), 0);
	log = mock_log();
	body = json_object_get(json_array_get(json_object_get(log, "bodies"),
					      json_array_size(json_object_get(log, "bodies")) - 1),
			       "body");
	msgs = json_object_get(body, "messages");
	n = json_array_size(msgs);
	assert_true(n >= 4);
	/* assistant(tool_calls x2), tool, tool — ids answered one for one. */
	json_t *calls = json_object_get(json_array_get(msgs, n - 3), "tool_calls");
	assert_int_equal(json_array_size(calls), 2);
	for (size_t i = 0; i < 2; i++)
		assert_string_equal(
		    json_string_value(
			json_object_get(json_array_get(msgs, n - 2 + i), "tool_call_id")),
		    json_string_value(json_object_get(json_array_get(calls, i), "id")));
	json_decref(log);
	it_call_end(&c);
	va_buf_release(&reply);
}

/* A new prompt while the model still streams: that stream is closed, the
 * new one answered, nothing of the old reaches the caller after. */
static void test_new_prompt_supersedes_stream(void **state)
{
	struct it_call c;
	struct va_buf reply = VA_BUF_INIT(1 << 16);
	int got = 0;
	json_t *log;
	int before;

	log = mock_log();
	before = (int)json_integer_value(json_object_get(log, "disconnects"));
	json_decref(log);
	it_call_start(&srv, &c, "demo123", IT_TOKEN);
	assert_int_equal(it_send_prompt(&c, "#scenario long\ntell me everything"), VA_OK);
	while (got < 2) {
		struct va_sim_frame f;
		assert_int_equal(va_sim_ws_recv(c.ws, 3000, &f), VA_OK);
		if (strstr(f.payload, "\"token\""))
			got++;
		va_sim_frame_release(&f);
	}
	assert_int_equal(it_send_prompt(&c, "#scenario echo\nactually, one question"), VA_OK);
	for (;;) {
		va_buf_reset(&reply);
		assert_int_equal(it_read_reply(&c, 5000, &reply, NULL, NULL), VA_OK);
		if (strstr(va_buf_cstr(&reply), "You said:"))
			break;
	}
	assert_string_equal(va_buf_cstr(&reply), "You said: actually, one question");
	assert_int_equal(it_count_frames(&c, 400), 0);
	log = mock_log();
	assert_true(json_integer_value(json_object_get(log, "disconnects")) > before);
	json_decref(log);
	it_call_end(&c);
	va_buf_release(&reply);
}

/* What the practice knows of the caller is in the model's instructions. */
static void test_known_caller_in_system_prompt(void **state)
{
	struct it_call c;
	struct va_buf b = VA_BUF_INIT(1 << 16), reply = VA_BUF_INIT(1 << 16);
	char body[400], start[40];
	json_t *log, *req, *sys;

	/* The harness calls from +15551230001: make that a known patient. */
	future_slot(start, sizeof(start));
	start[11] = '1';
	start[12] = '5'; /* 15:00 the same day: free */
	snprintf(body, sizeof(body),
		 "{\"patient_name\":\"Known Caller\",\"phone\":\"5551230001\",\"service\":"
		 "\"exam\",\"start\":\"%s\",\"date_of_birth\":\"1970-01-02\"}",
		 start);
	assert_int_equal(
	    it_http(&srv, "POST", "/api/v1/tenants/demo123/appointments", IT_KEY, body, &b), 201);
	it_call_start(&srv, &c, "demo123", IT_TOKEN);
	usleep(200000); /* the lookup runs while the call is set up */
	ask(&c, "hello", &reply, NULL);
	log = mock_log();
	req = json_object_get(json_array_get(json_object_get(log, "bodies"),
					     json_array_size(json_object_get(log, "bodies")) - 1),
			      "body");
	sys = json_array_get(json_object_get(req, "messages"), 0);
	assert_string_equal(json_string_value(json_object_get(sys, "role")), "system");
	assert_non_null(strstr(json_string_value(json_object_get(sys, "content")), "Known Caller"));
	assert_non_null(strstr(json_string_value(json_object_get(sys, "content")), "5551230001"));
	json_decref(log);
	it_call_end(&c);
	va_buf_release(&b);
	va_buf_release(&reply);
}

/* A short 429 is waited out and retried inside the first-token budget:
 * the caller hears the model, not the fallback. */
static void test_brief_rate_limit_is_retried(void **state)
{
	struct it_call c;
	struct va_buf reply = VA_BUF_INIT(1 << 16);
	int fallbacks = it_log_count(&srv, "event=fallback_to_receptionist");
	json_t *log, *e;
	size_t i;
	int tries = 0;

	it_call_start(&srv, &c, "demo123", IT_TOKEN);
	ask(&c, "#scenario ratelimit_brief\nhello, are you open today", &reply, NULL);
	assert_string_equal(va_buf_cstr(&reply), "Sure, I can help with that.");
	it_call_end(&c);
	assert_int_equal(it_log_count(&srv, "event=fallback_to_receptionist"), fallbacks);
	assert_true(it_log_count(&srv, "event=model_retry") >= 1);
	log = mock_log();
	json_array_foreach(json_object_get(log, "requests"), i, e)
	{
		if (!strcmp(json_string_value(json_object_get(e, "scenario")), "ratelimit_brief"))
			tries++;
	}
	assert_int_equal(tries, 2);
	json_decref(log);
	va_buf_release(&reply);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_streams_the_model_reply),
	    cmocka_unit_test(test_tool_round_trip),
	    cmocka_unit_test(test_model_books_only_what_the_core_allows),
	    cmocka_unit_test(test_barge_in_closes_the_model_stream),
	    cmocka_unit_test(test_failures_fall_back_to_the_receptionist),
	    cmocka_unit_test(test_stream_cut_mid_reply),
	    cmocka_unit_test(test_per_practice_model),
	    cmocka_unit_test(test_parallel_tool_calls),
	    cmocka_unit_test(test_new_prompt_supersedes_stream),
	    cmocka_unit_test(test_known_caller_in_system_prompt),
	    cmocka_unit_test(test_brief_rate_limit_is_retried),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
