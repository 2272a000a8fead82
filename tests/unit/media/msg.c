/* SPDX-License-Identifier: MIT */
/* Tests for the Twilio Media Streams codec: the documented messages
 * (protocols.md §2) parse, bad ones are refused with a reason, and what we
 * write is what Twilio expects (and parses back). */
#include "media/msg.h"

#include "core/err.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define SID "MZ00000000000000000000000000000000"

static struct va_media_in m;

static int parse(const char *s)
{
	char why[128];

	return va_media_parse(s, strlen(s), &m, why, sizeof(why));
}

static void test_documented_messages(void **state)
{
	assert_int_equal(
	    parse("{\"event\":\"connected\",\"protocol\":\"Call\",\"version\":\"1.0.0\"}"), VA_OK);
	assert_int_equal(m.type, VA_MEDIA_IN_CONNECTED);

	assert_int_equal(
	    parse("{\"event\":\"start\",\"sequenceNumber\":\"1\",\"streamSid\":\"" SID "\","
		  "\"start\":{\"accountSid\":\"AC00000000000000000000000000000000\",\"streamSid\":"
		  "\"" SID "\",\"callSid\":\"CA00000000000000000000000000000000\",\"tracks\":["
		  "\"inbound\"],\"customParameters\":{\"tenant\":\"demo123\"},\"mediaFormat\":{"
		  "\"encoding\":\"audio/x-mulaw\",\"sampleRate\":8000,\"channels\":1}}}"),
	    VA_OK);
	assert_int_equal(m.type, VA_MEDIA_IN_START);
	assert_string_equal(m.u.start.call_sid, "CA00000000000000000000000000000000");
	assert_string_equal(va_media_start_param(&m.u.start, "tenant"), "demo123");
	assert_null(va_media_start_param(&m.u.start, "nope"));

	assert_int_equal(
	    parse("{\"event\":\"media\",\"sequenceNumber\":\"4\",\"streamSid\":\"" SID "\","
		  "\"media\":{\"track\":\"inbound\",\"chunk\":\"2\",\"timestamp\":\"20\","
		  "\"payload\":\"//////79\"}}"),
	    VA_OK);
	assert_int_equal(m.type, VA_MEDIA_IN_MEDIA);
	assert_int_equal(m.u.media.len, 6);
	assert_int_equal(m.u.media.audio[0], 0xff);
	assert_int_equal(m.u.media.audio[4], 0xfe);
	assert_int_equal(m.u.media.audio[5], 0xfd);
	assert_int_equal(m.u.media.chunk, 2);
	assert_int_equal(m.u.media.timestamp_ms, 20);
	assert_true(m.u.media.inbound);

	assert_int_equal(parse("{\"event\":\"dtmf\",\"streamSid\":\"" SID "\",\"sequenceNumber\":"
			       "\"5\",\"dtmf\":{\"track\":\"inbound_track\",\"digit\":\"1\"}}"),
			 VA_OK);
	assert_int_equal(m.u.digit, '1');
	assert_int_equal(parse("{\"event\":\"mark\",\"sequenceNumber\":\"6\",\"streamSid\":\"" SID
			       "\",\"mark\":{\"name\":\"reply-7-part-3\"}}"),
			 VA_OK);
	assert_string_equal(m.u.mark_name, "reply-7-part-3");
	assert_int_equal(parse("{\"event\":\"stop\",\"sequenceNumber\":\"7\",\"streamSid\":\"" SID
			       "\",\"stop\":{\"callSid\":\"CA1\"}}"),
			 VA_OK);
	assert_int_equal(m.type, VA_MEDIA_IN_STOP);
	assert_int_equal(parse("{\"event\":\"something_new\",\"streamSid\":\"" SID "\"}"), VA_OK);
	assert_int_equal(m.type, VA_MEDIA_IN_UNKNOWN);
}

static void test_refusals(void **state)
{
	char big[VA_MEDIA_MAX_FRAME + 2];

	assert_int_equal(parse("{"), VA_E_PARSE);
	assert_int_equal(parse("[1]"), VA_E_PARSE);
	assert_int_equal(parse("{\"event\":1}"), VA_E_PARSE);
	/* Not base64; base64 without padding; whitespace; too long. */
	assert_int_equal(parse("{\"event\":\"media\",\"streamSid\":\"" SID
			       "\",\"media\":{\"payload\":\"!!!!\"}}"),
			 VA_E_PARSE);
	assert_int_equal(parse("{\"event\":\"media\",\"streamSid\":\"" SID
			       "\",\"media\":{\"payload\":\"//8\"}}"),
			 VA_E_PARSE);
	assert_int_equal(parse("{\"event\":\"media\",\"streamSid\":\"" SID
			       "\",\"media\":{\"payload\":\"//8= \"}}"),
			 VA_E_PARSE);
	assert_int_equal(parse("{\"event\":\"media\",\"streamSid\":\"" SID
			       "\",\"media\":{\"payload\":\"/=//\"}}"),
			 VA_E_PARSE);
	assert_int_equal(parse("{\"event\":\"media\",\"streamSid\":\"" SID "\",\"media\":{}}"),
			 VA_E_PARSE);
	assert_int_equal(parse("{\"event\":\"media\",\"media\":{\"payload\":\"/w==\"}}"),
			 VA_E_PARSE); /* no streamSid */
	assert_int_equal(parse("{\"event\":\"media\",\"streamSid\":\"" SID
			       "\",\"media\":{\"payload\":\"/w==\",\"chunk\":\"-3\"}}"),
			 VA_E_PARSE);
	/* A start with another format, or without ids. */
	assert_int_equal(parse("{\"event\":\"start\",\"streamSid\":\"" SID
			       "\",\"start\":{\"streamSid\":\"" SID "\",\"callSid\":\"CA1\","
			       "\"mediaFormat\":{\"encoding\":\"audio/l16\",\"sampleRate\":16000,"
			       "\"channels\":1}}}"),
			 VA_E_PARSE);
	assert_int_equal(parse("{\"event\":\"start\",\"streamSid\":\"" SID
			       "\",\"start\":{\"streamSid\":\"" SID "\"}}"),
			 VA_E_PARSE);
	assert_int_equal(
	    parse("{\"event\":\"dtmf\",\"streamSid\":\"" SID "\",\"dtmf\":{\"digit\":\"12\"}}"),
	    VA_E_PARSE);
	memset(big, ' ', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(parse(big), VA_E_PARSE);
}

static void test_written_round_trip(void **state)
{
	struct va_buf b = VA_BUF_INIT(1 << 20);
	static struct va_media_out o;
	uint8_t audio[160];
	struct va_media_start st = {.stream_sid = SID, .call_sid = "CA1", .n_params = 1};

	for (size_t i = 0; i < sizeof(audio); i++)
		audio[i] = (uint8_t)(i * 7);
	assert_int_equal(va_media_write_media(&b, SID, audio, sizeof(audio)), VA_OK);
	assert_int_equal(va_media_parse_out(b.data, b.len, &o), VA_OK);
	assert_int_equal(o.type, VA_MEDIA_OUT_MEDIA);
	assert_string_equal(o.stream_sid, SID);
	assert_int_equal(o.len, sizeof(audio));
	assert_memory_equal(o.audio, audio, sizeof(audio));
	va_buf_reset(&b);
	assert_int_equal(va_media_write_mark(&b, SID, "r1-3"), VA_OK);
	assert_string_equal(va_buf_cstr(&b), "{\"event\":\"mark\",\"streamSid\":\"" SID
					     "\",\"mark\":{\"name\":\"r1-3\"}}");
	va_buf_reset(&b);
	assert_int_equal(va_media_write_clear(&b, SID), VA_OK);
	assert_string_equal(va_buf_cstr(&b), "{\"event\":\"clear\",\"streamSid\":\"" SID "\"}");

	/* What the simulator sends parses as Twilio's. */
	va_buf_reset(&b);
	snprintf(st.params[0].name, sizeof(st.params[0].name), "tenant");
	snprintf(st.params[0].value, sizeof(st.params[0].value), "demo123");
	assert_int_equal(va_media_write_start(&b, &st), VA_OK);
	assert_int_equal(parse(va_buf_cstr(&b)), VA_OK);
	assert_string_equal(va_media_start_param(&m.u.start, "tenant"), "demo123");
	va_buf_reset(&b);
	assert_int_equal(va_media_write_audio_in(&b, SID, 3, 2, 20, audio, sizeof(audio)), VA_OK);
	assert_int_equal(parse(va_buf_cstr(&b)), VA_OK);
	assert_int_equal(m.u.media.len, sizeof(audio));
	assert_memory_equal(m.u.media.audio, audio, sizeof(audio));
	va_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_documented_messages),
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_written_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
