/* SPDX-License-Identifier: MIT */
/* Tests for the Realtime event codec: GA names and shapes out (never beta),
 * the documented server events in (protocols.md §5.4). */
#include "realtime/events.h"

#include "core/err.h"
#include "llm/tools.h"

#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static json_t *load(const struct va_buf *b)
{
	json_t *j = json_loadb(b->data, b->len, 0, NULL);

	assert_non_null(j);
	return j;
}

static void test_session_update_is_ga(void **state)
{
	struct va_buf b = VA_BUF_INIT(1 << 20);
	struct va_rt_session s = {.model = "gpt-realtime",
				  .instructions = "Be kind.",
				  .voice = "marin",
				  .transcription = "gpt-4o-mini-transcribe",
				  .language = "en",
				  .turn = VA_RT_TURN_LOCAL,
				  .tools = va_tools,
				  .n_tools = va_n_tools};
	json_t *j, *sess, *tool;

	assert_int_equal(va_rt_write_session_update(&b, &s), VA_OK);
	j = load(&b);
	assert_string_equal(json_string_value(json_object_get(j, "type")), "session.update");
	sess = json_object_get(j, "session");
	assert_string_equal(json_string_value(json_object_get(sess, "type")), "realtime");
	assert_string_equal(
	    json_string_value(json_array_get(json_object_get(sess, "output_modalities"), 0)),
	    "audio");
	assert_string_equal(
	    json_string_value(json_object_get(
		json_object_get(json_object_get(json_object_get(sess, "audio"), "input"), "format"),
		"type")),
	    "audio/pcmu");
	/* No rate key for pcmu; no beta fields. */
	assert_null(json_object_get(
	    json_object_get(json_object_get(json_object_get(sess, "audio"), "input"), "format"),
	    "rate"));
	assert_null(json_object_get(sess, "input_audio_format"));
	assert_null(json_object_get(sess, "modalities"));
	assert_true(json_is_null(json_object_get(
	    json_object_get(json_object_get(sess, "audio"), "input"), "turn_detection")));
	/* Flat tools, the same as the Chat Completions agent's. */
	assert_int_equal(json_array_size(json_object_get(sess, "tools")), va_n_tools);
	tool = json_array_get(json_object_get(sess, "tools"), 0);
	assert_string_equal(json_string_value(json_object_get(tool, "type")), "function");
	assert_string_equal(json_string_value(json_object_get(tool, "name")), va_tools[0].name);
	assert_null(json_object_get(tool, "function"));
	json_decref(j);

	va_buf_reset(&b);
	s.turn = VA_RT_TURN_SEMANTIC_VAD;
	assert_int_equal(va_rt_write_session_update(&b, &s), VA_OK);
	assert_non_null(strstr(va_buf_cstr(&b), "\"semantic_vad\""));
	va_buf_release(&b);
}

static void test_client_events(void **state)
{
	struct va_buf b = VA_BUF_INIT(1 << 20);
	const uint8_t audio[3] = {0xff, 0x7f, 0x00};

	assert_int_equal(va_rt_write_append(&b, audio, 3), VA_OK);
	assert_string_equal(va_buf_cstr(&b),
			    "{\"type\":\"input_audio_buffer.append\",\"audio\":\"/38A\"}");
	va_buf_reset(&b);
	assert_int_equal(va_rt_write_truncate(&b, "item_A1", 1380), VA_OK);
	assert_string_equal(va_buf_cstr(&b),
			    "{\"type\":\"conversation.item.truncate\",\"item_id\":"
			    "\"item_A1\",\"content_index\":0,\"audio_end_ms\":1380}");
	va_buf_reset(&b);
	assert_int_equal(va_rt_write_function_output(&b, "call_1", "{\"ok\":true}"), VA_OK);
	assert_non_null(strstr(va_buf_cstr(&b), "\"function_call_output\""));
	assert_non_null(strstr(va_buf_cstr(&b), "\"call_id\":\"call_1\""));
	assert_int_equal(va_rt_write_truncate(&b, "", 1), VA_E_INVAL);
	assert_int_equal(va_rt_write_truncate(&b, "x", -1), VA_E_INVAL);
	va_buf_release(&b);
}

static int parse(const char *s, struct va_rt_event *e)
{
	return va_rt_parse(s, strlen(s), e);
}

static void test_server_events(void **state)
{
	struct va_rt_event e;

	assert_int_equal(
	    parse("{\"type\":\"response.output_audio.delta\",\"event_id\":\"event_6\","
		  "\"response_id\":\"resp_1\",\"item_id\":\"item_A1\",\"output_index\":0,"
		  "\"content_index\":0,\"delta\":\"/38A\"}",
		  &e),
	    VA_OK);
	assert_int_equal(e.type, VA_RT_EV_AUDIO_DELTA);
	assert_string_equal(e.item_id, "item_A1");
	assert_string_equal(e.response_id, "resp_1");
	assert_int_equal(e.audio_len, 3);
	/* The base64 is passed on as it came. */
	assert_int_equal(e.b64_len, 4);
	assert_memory_equal(e.b64, "/38A", 4);
	va_rt_event_release(&e);

	assert_int_equal(
	    parse(
		"{\"type\":\"response.output_item.done\",\"event_id\":\"event_9\",\"response_id\":"
		"\"resp_2\",\"output_index\":0,\"item\":{\"id\":\"item_F1\",\"type\":"
		"\"function_call\",\"status\":\"completed\",\"call_id\":\"call_abc123\","
		"\"name\":\"find_slots\",\"arguments\":\"{\\\"date\\\":\\\"2026-12-01\\\"}\"}}",
		&e),
	    VA_OK);
	assert_int_equal(e.type, VA_RT_EV_FUNCTION_CALL);
	assert_string_equal(e.call_id, "call_abc123");
	assert_string_equal(e.name, "find_slots");
	assert_string_equal(e.text, "{\"date\":\"2026-12-01\"}");
	va_rt_event_release(&e);

	/* A function call cut by an interruption is not run. */
	assert_int_equal(parse("{\"type\":\"response.output_item.done\",\"item\":{\"id\":\"i\","
			       "\"type\":\"function_call\",\"status\":\"incomplete\",\"call_id\":"
			       "\"c\",\"name\":\"n\",\"arguments\":\"{\"}}",
			       &e),
			 VA_OK);
	assert_int_equal(e.type, VA_RT_EV_OTHER);
	va_rt_event_release(&e);

	assert_int_equal(
	    parse("{\"type\":\"response.done\",\"response\":{\"id\":\"resp_1\","
		  "\"status\":\"cancelled\",\"status_details\":{\"type\":\"cancelled\","
		  "\"reason\":\"turn_detected\"}}}",
		  &e),
	    VA_OK);
	assert_int_equal(e.type, VA_RT_EV_RESPONSE_DONE);
	assert_string_equal(e.status, "cancelled");
	va_rt_event_release(&e);

	assert_int_equal(parse("{\"type\":\"error\",\"event_id\":\"event_12\",\"error\":{\"type\":"
			       "\"invalid_request_error\",\"code\":\"response_cancel_not_active\","
			       "\"message\":\"nothing\",\"param\":null}}",
			       &e),
			 VA_OK);
	assert_int_equal(e.type, VA_RT_EV_ERROR);
	assert_string_equal(e.code, "response_cancel_not_active");
	va_rt_event_release(&e);

	assert_int_equal(
	    parse("{\"type\":\"session.updated\",\"session\":{\"type\":\"realtime\",\"audio\":{"
		  "\"input\":{\"format\":{\"type\":\"audio/pcmu\"}},\"output\":{\"format\":{"
		  "\"type\":\"audio/pcmu\"}}}}}",
		  &e),
	    VA_OK);
	assert_string_equal(e.format, "audio/pcmu");
	assert_string_equal(e.in_format, "audio/pcmu");
	va_rt_event_release(&e);

	/* Beta names are not ours; bad input is refused. */
	assert_int_equal(parse("{\"type\":\"response.audio.delta\",\"delta\":\"/38A\"}", &e),
			 VA_OK);
	assert_int_equal(e.type, VA_RT_EV_OTHER);
	va_rt_event_release(&e);
	assert_int_equal(parse("{\"type\":\"response.output_audio.delta\",\"delta\":\"!!\"}", &e),
			 VA_E_PARSE);
	assert_int_equal(parse("not json", &e), VA_E_PARSE);
	assert_int_equal(parse("{\"no\":\"type\"}", &e), VA_E_PARSE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_session_update_is_ga),
	    cmocka_unit_test(test_client_events),
	    cmocka_unit_test(test_server_events),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
