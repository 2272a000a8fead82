/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/relay/msg.c: every ConversationRelay example frame of
 * protocols.md §1.8/§1.9, round trips through the writers, and the ways a
 * frame can be malformed.
 */
#include "relay/msg.h"

#include "core/alloc.h"
#include "core/err.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define WHYSZ	      128
#define SET(dst, src) va_strlcpy((dst), (src), sizeof(dst))

/* Parses a NUL-terminated frame, asserting the result code. */
static int parse_str(const char *s, struct va_relay_in *m, char *why)
{
	return va_relay_parse(s, strlen(s), m, why, WHYSZ);
}

static void expect_fail(const char *s, int want_rc, const char *want_why)
{
	struct va_relay_in m;
	char why[WHYSZ];
	int rc = parse_str(s, &m, why);

	assert_int_equal(rc, want_rc);
	if (want_why)
		assert_non_null(strstr(why, want_why));
	assert_true(why[0] != '\0');
}

/* ---- §1.8 examples ---------------------------------------------------- */

static void test_doc_setup(void **state)
{
	const char *f =
	    "{\"type\":\"setup\",\"sessionId\":\"VX00000000000000000000000000000000\","
	    "\"accountSid\":\"AC00000000000000000000000000000000\",\"parentCallSid\":\"\","
	    "\"callSid\":\"CA00000000000000000000000000000000\",\"from\":\"+18005550100\","
	    "\"to\":\"+18005550101\",\"forwardedFrom\":\"+18005550102\",\"callType\":\"PSTN\","
	    "\"callerName\":\"\",\"direction\":\"inbound\",\"callStatus\":\"RINGING\","
	    "\"customParameters\":{\"tenant\":\"demo123\",\"callToken\":\"opaque-random-id\"}}";
	struct va_relay_in m;
	char why[WHYSZ];

	assert_int_equal(parse_str(f, &m, why), VA_OK);
	assert_int_equal(m.type, VA_RELAY_IN_SETUP);
	assert_string_equal(m.type_name, "setup");
	assert_string_equal(m.u.setup.session_id, "VX00000000000000000000000000000000");
	assert_string_equal(m.u.setup.account_sid, "AC00000000000000000000000000000000");
	assert_string_equal(m.u.setup.parent_call_sid, "");
	assert_string_equal(m.u.setup.call_sid, "CA00000000000000000000000000000000");
	assert_string_equal(m.u.setup.from, "+18005550100");
	assert_string_equal(m.u.setup.to, "+18005550101");
	assert_string_equal(m.u.setup.forwarded_from, "+18005550102");
	assert_string_equal(m.u.setup.call_type, "PSTN");
	assert_string_equal(m.u.setup.caller_name, "");
	assert_string_equal(m.u.setup.direction, "inbound");
	assert_string_equal(m.u.setup.call_status, "RINGING");
	assert_int_equal(m.u.setup.n_params, 2);
	assert_string_equal(va_relay_setup_param(&m.u.setup, "tenant"), "demo123");
	assert_string_equal(va_relay_setup_param(&m.u.setup, "callToken"), "opaque-random-id");
	assert_null(va_relay_setup_param(&m.u.setup, "Tenant"));
	assert_null(va_relay_setup_param(&m.u.setup, "missing"));
	va_relay_in_release(&m);
}

static void test_doc_prompt(void **state)
{
	struct va_relay_in m;
	char why[WHYSZ];

	assert_int_equal(parse_str("{\"type\":\"prompt\",\"voicePrompt\":\"I'd like to book a "
				   "cleaning next Tuesday.\",\"lang\":\"en-US\",\"last\":true}",
				   &m, why),
			 VA_OK);
	assert_int_equal(m.type, VA_RELAY_IN_PROMPT);
	assert_string_equal(m.u.prompt.text, "I'd like to book a cleaning next Tuesday.");
	assert_string_equal(m.u.prompt.lang, "en-US");
	assert_true(m.u.prompt.last);
	va_relay_in_release(&m);
}

static void test_doc_interrupt(void **state)
{
	struct va_relay_in m;
	char why[WHYSZ];

	assert_int_equal(
	    parse_str("{\"type\":\"interrupt\",\"utteranceUntilInterrupt\":\"Our next "
		      "opening for a cleaning is on\",\"durationUntilInterruptMs\":1460}",
		      &m, why),
	    VA_OK);
	assert_int_equal(m.type, VA_RELAY_IN_INTERRUPT);
	assert_string_equal(m.u.interrupt.heard, "Our next opening for a cleaning is on");
	assert_int_equal(m.u.interrupt.duration_ms, 1460);
	va_relay_in_release(&m);
}

static void test_doc_dtmf(void **state)
{
	static const char digits[] = "0123456789*#";
	struct va_relay_in m;
	char why[WHYSZ], f[64];
	size_t i;

	for (i = 0; digits[i]; i++) {
		snprintf(f, sizeof(f), "{\"type\":\"dtmf\",\"digit\":\"%c\"}", digits[i]);
		assert_int_equal(parse_str(f, &m, why), VA_OK);
		assert_int_equal(m.type, VA_RELAY_IN_DTMF);
		assert_int_equal(m.u.dtmf.digit, digits[i]);
		va_relay_in_release(&m);
	}
}

static void test_doc_error(void **state)
{
	struct va_relay_in m;
	char why[WHYSZ];

	assert_int_equal(parse_str("{\"type\":\"error\",\"description\":\"Invalid message "
				   "received: { \\\"foo\\\" : \\\"bar\\\" }\"}",
				   &m, why),
			 VA_OK);
	assert_int_equal(m.type, VA_RELAY_IN_ERROR);
	assert_string_equal(m.u.error.description,
			    "Invalid message received: { \"foo\" : \"bar\" }");
	va_relay_in_release(&m);

	/* description is informational; its absence must not lose the error */
	assert_int_equal(parse_str("{\"type\":\"error\"}", &m, why), VA_OK);
	assert_string_equal(m.u.error.description, "");
	va_relay_in_release(&m);
}

static void test_doc_info(void **state)
{
	struct va_relay_in m;
	char why[WHYSZ];

	assert_int_equal(
	    parse_str("{\"type\":\"info\",\"name\":\"agentSpeaking\",\"value\":\"off\"}", &m, why),
	    VA_OK);
	assert_int_equal(m.type, VA_RELAY_IN_INFO);
	assert_string_equal(m.u.info.name, "agentSpeaking");
	assert_string_equal(m.u.info.value, "off");
	va_relay_in_release(&m);
}

static void test_info_value_types(void **state)
{
	static const struct {
		const char *json_value;
		const char *text;
	} cases[] = {
	    {"\"123\"", "123"}, {"412", "412"},	    {"-7", "-7"}, {"12.5", "12.5"},
	    {"true", "true"},	{"false", "false"}, {"null", ""}, {"[1,2]", "[1,2]"},
	};
	struct va_relay_in m;
	char why[WHYSZ], f[128];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(f, sizeof(f),
			 "{\"type\":\"info\",\"name\":\"roundTripDelayMs\",\"value\":%s}",
			 cases[i].json_value);
		assert_int_equal(parse_str(f, &m, why), VA_OK);
		assert_string_equal(m.u.info.name, "roundTripDelayMs");
		assert_string_equal(m.u.info.value, cases[i].text);
		va_relay_in_release(&m);
	}
	assert_int_equal(parse_str("{\"type\":\"info\",\"name\":\"x\"}", &m, why), VA_OK);
	assert_string_equal(m.u.info.value, "");
	va_relay_in_release(&m);
}

/* ---- leniency --------------------------------------------------------- */

static void test_prompt_last_default_and_partial(void **state)
{
	struct va_relay_in m;
	char why[WHYSZ];

	assert_int_equal(parse_str("{\"type\":\"prompt\",\"voicePrompt\":\"hi\"}", &m, why), VA_OK);
	assert_true(m.u.prompt.last);
	assert_string_equal(m.u.prompt.lang, "");
	va_relay_in_release(&m);

	assert_int_equal(
	    parse_str("{\"type\":\"prompt\",\"voicePrompt\":\"hi th\",\"last\":false}", &m, why),
	    VA_OK);
	assert_false(m.u.prompt.last);
	assert_string_equal(m.u.prompt.text, "hi th");
	va_relay_in_release(&m);

	/* an empty transcript is still a prompt */
	assert_int_equal(parse_str("{\"type\":\"prompt\",\"voicePrompt\":\"\"}", &m, why), VA_OK);
	assert_string_equal(m.u.prompt.text, "");
	va_relay_in_release(&m);
}

static void test_interrupt_duration_forms(void **state)
{
	static const struct {
		const char *v;
		long want;
	} cases[] = {
	    {"460", 460},    {"\"460\"", 460}, {"0", 0},	 {"460.9", 460}, {"\"\"", -1},
	    {"\"abc\"", -1}, {"\"46x\"", -1},  {"\" 460\"", -1}, {"-5", -1},	 {"null", -1},
	    {"true", -1},    {"\"-5\"", -1},   {"\"inf\"", -1},	 {"1e300", -1},
	};
	struct va_relay_in m;
	char why[WHYSZ], f[128];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(f, sizeof(f),
			 "{\"type\":\"interrupt\",\"utteranceUntilInterrupt\":\"Our\","
			 "\"durationUntilInterruptMs\":%s}",
			 cases[i].v);
		assert_int_equal(parse_str(f, &m, why), VA_OK);
		assert_int_equal(m.u.interrupt.duration_ms, cases[i].want);
		assert_string_equal(m.u.interrupt.heard, "Our");
		va_relay_in_release(&m);
	}
	assert_int_equal(parse_str("{\"type\":\"interrupt\"}", &m, why), VA_OK);
	assert_int_equal(m.u.interrupt.duration_ms, -1);
	assert_string_equal(m.u.interrupt.heard, "");
	va_relay_in_release(&m);
}

static void test_unknown_type_and_fields(void **state)
{
	struct va_relay_in m;
	char why[WHYSZ];
	char big[256];

	assert_int_equal(parse_str("{\"type\":\"transcription\",\"text\":\"x\"}", &m, why), VA_OK);
	assert_int_equal(m.type, VA_RELAY_IN_UNKNOWN);
	assert_string_equal(m.type_name, "transcription");
	va_relay_in_release(&m);

	/* a long type name is cut to fit, never overflowing type_name */
	snprintf(big, sizeof(big), "{\"type\":\"%s\"}",
		 "aVeryLongTypeNameThatTwilioMightInventSomeDayForSure");
	assert_int_equal(parse_str(big, &m, why), VA_OK);
	assert_int_equal(m.type, VA_RELAY_IN_UNKNOWN);
	assert_int_equal(strlen(m.type_name), sizeof(m.type_name) - 1);
	assert_memory_equal(m.type_name, "aVeryLongTypeNameThatTwilioMigh", 31);

	/* ... and not in the middle of a UTF-8 character: 30 ASCII then é (2 bytes) */
	assert_int_equal(
	    parse_str("{\"type\":\"abcdefghijabcdefghijabcdefghij\xC3\xA9zz\"}", &m, why), VA_OK);
	assert_string_equal(m.type_name, "abcdefghijabcdefghijabcdefghij");

	/* extra fields, including ones named like other messages' fields */
	assert_int_equal(
	    parse_str("{\"agentSpeaking\":\"on\",\"type\":\"prompt\",\"voicePrompt\":"
		      "\"yes\",\"extra\":{\"a\":[1,2,3]},\"digit\":\"zz\",\"last\":true}",
		      &m, why),
	    VA_OK);
	assert_int_equal(m.type, VA_RELAY_IN_PROMPT);
	assert_string_equal(m.u.prompt.text, "yes");
	va_relay_in_release(&m);

	/* setup with applicationSid null (seen) and optional fields absent or null */
	assert_int_equal(parse_str("{\"type\":\"setup\",\"sessionId\":\"VX1\",\"callSid\":\"CA1\","
				   "\"applicationSid\":null,\"forwardedFrom\":null,\"foo\":1}",
				   &m, why),
			 VA_OK);
	assert_string_equal(m.u.setup.session_id, "VX1");
	assert_string_equal(m.u.setup.call_sid, "CA1");
	assert_string_equal(m.u.setup.forwarded_from, "");
	assert_string_equal(m.u.setup.from, "");
	assert_int_equal(m.u.setup.n_params, 0);
	va_relay_in_release(&m);
}

static void test_setup_params(void **state)
{
	struct va_relay_in m;
	char why[WHYSZ], name[16];
	char f[2048];
	size_t n = 0;
	int i;

	/* non-string values are skipped, not fatal */
	assert_int_equal(
	    parse_str("{\"type\":\"setup\",\"sessionId\":\"VX1\",\"callSid\":\"CA1\","
		      "\"customParameters\":{\"a\":\"1\",\"b\":2,\"c\":null,\"d\":\"4\"}}",
		      &m, why),
	    VA_OK);
	assert_int_equal(m.u.setup.n_params, 2);
	assert_string_equal(va_relay_setup_param(&m.u.setup, "a"), "1");
	assert_null(va_relay_setup_param(&m.u.setup, "b"));
	assert_null(va_relay_setup_param(&m.u.setup, "c"));
	assert_string_equal(va_relay_setup_param(&m.u.setup, "d"), "4");

	/* 20 parameters: the first 16 are kept */
	n = (size_t)snprintf(f, sizeof(f),
			     "{\"type\":\"setup\",\"sessionId\":\"VX1\","
			     "\"callSid\":\"CA1\",\"customParameters\":{");
	for (i = 0; i < 20; i++)
		n +=
		    (size_t)snprintf(f + n, sizeof(f) - n, "%s\"p%d\":\"v%d\"", i ? "," : "", i, i);
	snprintf(f + n, sizeof(f) - n, "}}");
	assert_int_equal(parse_str(f, &m, why), VA_OK);
	assert_int_equal(m.u.setup.n_params, VA_RELAY_MAX_PARAMS);
	for (i = 0; i < 16; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		assert_non_null(va_relay_setup_param(&m.u.setup, name));
	}
	assert_string_equal(va_relay_setup_param(&m.u.setup, "p15"), "v15");
	assert_null(va_relay_setup_param(&m.u.setup, "p16"));

	/* not an object: ignored */
	assert_int_equal(parse_str("{\"type\":\"setup\",\"sessionId\":\"VX1\",\"callSid\":\"CA1\","
				   "\"customParameters\":[\"a\"]}",
				   &m, why),
			 VA_OK);
	assert_int_equal(m.u.setup.n_params, 0);
	assert_null(va_relay_setup_param(NULL, "a"));
}

/* ---- errors ----------------------------------------------------------- */

static void test_malformed(void **state)
{
	struct va_relay_in m;
	char why[WHYSZ];

	expect_fail("", VA_E_PARSE, "JSON");
	expect_fail("{\"type\":\"prompt\"", VA_E_PARSE, "JSON");
	expect_fail("{\"type\":\"prompt\"} trailing", VA_E_PARSE, "JSON");
	expect_fail("not json", VA_E_PARSE, "JSON");
	expect_fail("[{\"type\":\"prompt\"}]", VA_E_PARSE, NULL);
	expect_fail("\"prompt\"", VA_E_PARSE, NULL);
	expect_fail("42", VA_E_PARSE, NULL);
	expect_fail("{}", VA_E_PARSE, "type missing");
	expect_fail("{\"voicePrompt\":\"hi\"}", VA_E_PARSE, "type");
	expect_fail("{\"type\":1}", VA_E_PARSE, "type missing or not a string");
	expect_fail("{\"type\":null}", VA_E_PARSE, "type");
	expect_fail("{\"type\":\"pro\\u0000mpt\",\"voicePrompt\":\"x\"}", VA_E_PARSE, NULL);

	/* the frame need not be NUL-terminated: parse exactly len bytes */
	{
		const char frame[] = "{\"type\":\"dtmf\",\"digit\":\"5\"}GARBAGE";
		assert_int_equal(va_relay_parse(frame, strlen(frame) - 7, &m, why, sizeof(why)),
				 VA_OK);
		assert_int_equal(m.u.dtmf.digit, '5');
	}
	/* why may be omitted */
	assert_int_equal(va_relay_parse("x", 1, &m, NULL, 0), VA_E_PARSE);
	assert_int_equal(va_relay_parse(NULL, 0, &m, why, sizeof(why)), VA_E_PARSE);
	/* a tiny why buffer is NUL-terminated, not overrun */
	{
		char tiny[4] = {'x', 'x', 'x', 'x'};
		assert_int_equal(va_relay_parse("{}", 2, &m, tiny, sizeof(tiny)), VA_E_PARSE);
		assert_int_equal(tiny[3], '\0');
	}
}

static void test_invalid_known_types(void **state)
{
	char f[512];

	expect_fail("{\"type\":\"prompt\"}", VA_E_INVAL,
		    "prompt.voicePrompt missing or not a string");
	expect_fail("{\"type\":\"prompt\",\"voicePrompt\":null}", VA_E_INVAL, "voicePrompt");
	expect_fail("{\"type\":\"prompt\",\"voicePrompt\":5}", VA_E_INVAL, "voicePrompt");
	expect_fail("{\"type\":\"prompt\",\"voicePrompt\":\"x\",\"lang\":"
		    "\"en-US-this-is-far-too-long-for-a-tag\"}",
		    VA_E_INVAL, "lang too long");
	expect_fail("{\"type\":\"dtmf\"}", VA_E_INVAL, "dtmf.digit");
	expect_fail("{\"type\":\"dtmf\",\"digit\":\"12\"}", VA_E_INVAL, "dtmf.digit");
	expect_fail("{\"type\":\"dtmf\",\"digit\":\"x\"}", VA_E_INVAL, "dtmf.digit");
	expect_fail("{\"type\":\"dtmf\",\"digit\":\"\"}", VA_E_INVAL, "dtmf.digit");
	expect_fail("{\"type\":\"dtmf\",\"digit\":1}", VA_E_INVAL, "dtmf.digit");
	expect_fail("{\"type\":\"setup\",\"callSid\":\"CA1\"}", VA_E_INVAL, "sessionId");
	expect_fail("{\"type\":\"setup\",\"sessionId\":\"VX1\"}", VA_E_INVAL, "callSid");
	expect_fail("{\"type\":\"setup\",\"sessionId\":\"\",\"callSid\":\"CA1\"}", VA_E_INVAL,
		    "sessionId");
	expect_fail("{\"type\":\"setup\",\"sessionId\":7,\"callSid\":\"CA1\"}", VA_E_INVAL,
		    "sessionId");

	/* 64 characters do not fit in char[64] */
	snprintf(f, sizeof(f), "{\"type\":\"setup\",\"sessionId\":\"VX%062d\",\"callSid\":\"CA1\"}",
		 0);
	expect_fail(f, VA_E_INVAL, "sessionId too long");
	/* 63 do */
	{
		struct va_relay_in m;
		char why[WHYSZ];

		snprintf(f, sizeof(f),
			 "{\"type\":\"setup\",\"sessionId\":\"VX%061d\",\"callSid\":\"CA1\"}", 0);
		assert_int_equal(parse_str(f, &m, why), VA_OK);
		assert_int_equal(strlen(m.u.setup.session_id), 63);
	}
	/* optional fields are not silently truncated either */
	snprintf(f, sizeof(f),
		 "{\"type\":\"setup\",\"sessionId\":\"VX1\",\"callSid\":\"CA1\",\"callType\":"
		 "\"%s\"}",
		 "PSTN-AND-MORE-THAN-16");
	expect_fail(f, VA_E_INVAL, "callType too long");
	snprintf(f, sizeof(f),
		 "{\"type\":\"setup\",\"sessionId\":\"VX1\",\"callSid\":\"CA1\","
		 "\"customParameters\":{\"tenant\":\"%0300d\"}}",
		 0);
	expect_fail(f, VA_E_INVAL, "customParameters.tenant too long");
	snprintf(f, sizeof(f),
		 "{\"type\":\"setup\",\"sessionId\":\"VX1\",\"callSid\":\"CA1\","
		 "\"customParameters\":{\"%070d\":\"v\"}}",
		 0);
	expect_fail(f, VA_E_INVAL, "customParameters name too long");
	snprintf(f, sizeof(f), "{\"type\":\"info\",\"name\":\"tokensPlayed\",\"value\":\"%0300d\"}",
		 0);
	expect_fail(f, VA_E_INVAL, "info.value too long");
}

/* ---- writers ---------------------------------------------------------- */

static void test_write_setup_round_trip(void **state)
{
	struct va_relay_setup s;
	struct va_relay_in m;
	struct va_buf b = VA_BUF_INIT(4096);
	char why[WHYSZ];
	size_t i;

	memset(&s, 0, sizeof(s));
	SET(s.session_id, "VX0123456789abcdef0123456789abcdef");
	SET(s.account_sid, "AC1");
	SET(s.call_sid, "CA2");
	SET(s.from, "+15550001111");
	SET(s.to, "client:front \"desk\"");
	SET(s.caller_name, "Zoë O'Brien");
	SET(s.call_type, "PSTN");
	SET(s.direction, "inbound");
	SET(s.call_status, "RINGING");
	s.n_params = 3;
	SET(s.params[0].name, "tenant");
	SET(s.params[0].value, "demo123");
	SET(s.params[1].name, "callToken");
	SET(s.params[1].value, "a\\b\nc");
	SET(s.params[2].name, "empty");

	assert_int_equal(va_relay_write_setup(&b, &s), VA_OK);
	/* Twilio's shape: every field present, even empty ones */
	assert_non_null(strstr(va_buf_cstr(&b), "\"type\":\"setup\""));
	assert_non_null(strstr(va_buf_cstr(&b), "\"parentCallSid\":\"\""));
	assert_non_null(strstr(va_buf_cstr(&b), "\"forwardedFrom\":\"\""));
	assert_non_null(strstr(va_buf_cstr(&b), "\"customParameters\":{"));
	assert_null(strchr(va_buf_cstr(&b), '\n')); /* compact: one frame, one line */

	assert_int_equal(va_relay_parse(b.data, b.len, &m, why, sizeof(why)), VA_OK);
	assert_int_equal(m.type, VA_RELAY_IN_SETUP);
	assert_string_equal(m.u.setup.session_id, s.session_id);
	assert_string_equal(m.u.setup.account_sid, s.account_sid);
	assert_string_equal(m.u.setup.call_sid, s.call_sid);
	assert_string_equal(m.u.setup.parent_call_sid, "");
	assert_string_equal(m.u.setup.from, s.from);
	assert_string_equal(m.u.setup.to, s.to);
	assert_string_equal(m.u.setup.caller_name, s.caller_name);
	assert_string_equal(m.u.setup.call_type, s.call_type);
	assert_string_equal(m.u.setup.direction, s.direction);
	assert_string_equal(m.u.setup.call_status, s.call_status);
	assert_int_equal(m.u.setup.n_params, 3);
	for (i = 0; i < 3; i++) {
		assert_string_equal(m.u.setup.params[i].name, s.params[i].name);
		assert_string_equal(m.u.setup.params[i].value, s.params[i].value);
	}
	va_relay_in_release(&m);
	va_buf_release(&b);

	/* no parameters still yields an (empty) customParameters object */
	memset(&s, 0, sizeof(s));
	SET(s.session_id, "VX1");
	SET(s.call_sid, "CA1");
	assert_int_equal(va_relay_write_setup(&b, &s), VA_OK);
	assert_non_null(strstr(va_buf_cstr(&b), "\"customParameters\":{}"));
	va_buf_release(&b);
	assert_int_equal(va_relay_write_setup(&b, NULL), VA_E_INVAL);
}

static void test_write_prompt_interrupt_dtmf_round_trip(void **state)
{
	struct va_relay_in m;
	struct va_buf b = VA_BUF_INIT(4096);
	char why[WHYSZ];

	assert_int_equal(va_relay_write_prompt(&b, "Tuesday \"at\" 10\nplease", false, NULL),
			 VA_OK);
	assert_non_null(strstr(va_buf_cstr(&b), "\"lang\":\"en-US\""));
	assert_non_null(strstr(va_buf_cstr(&b), "\"last\":false"));
	assert_int_equal(va_relay_parse(b.data, b.len, &m, why, sizeof(why)), VA_OK);
	assert_int_equal(m.type, VA_RELAY_IN_PROMPT);
	assert_string_equal(m.u.prompt.text, "Tuesday \"at\" 10\nplease");
	assert_string_equal(m.u.prompt.lang, "en-US");
	assert_false(m.u.prompt.last);
	va_relay_in_release(&m);
	va_buf_reset(&b);

	assert_int_equal(va_relay_write_prompt(&b, "sí, el martes", true, "es-US"), VA_OK);
	assert_int_equal(va_relay_parse(b.data, b.len, &m, why, sizeof(why)), VA_OK);
	assert_string_equal(m.u.prompt.text, "sí, el martes");
	assert_string_equal(m.u.prompt.lang, "es-US");
	assert_true(m.u.prompt.last);
	va_relay_in_release(&m);
	va_buf_reset(&b);

	assert_int_equal(va_relay_write_interrupt(&b, "Our next opening", 460), VA_OK);
	/* a number on the wire, not a string */
	assert_non_null(strstr(va_buf_cstr(&b), "\"durationUntilInterruptMs\":460"));
	assert_int_equal(va_relay_parse(b.data, b.len, &m, why, sizeof(why)), VA_OK);
	assert_int_equal(m.type, VA_RELAY_IN_INTERRUPT);
	assert_string_equal(m.u.interrupt.heard, "Our next opening");
	assert_int_equal(m.u.interrupt.duration_ms, 460);
	va_relay_in_release(&m);
	va_buf_reset(&b);

	assert_int_equal(va_relay_write_dtmf(&b, '#'), VA_OK);
	assert_string_equal(va_buf_cstr(&b), "{\"type\":\"dtmf\",\"digit\":\"#\"}");
	assert_int_equal(va_relay_parse(b.data, b.len, &m, why, sizeof(why)), VA_OK);
	assert_int_equal(m.u.dtmf.digit, '#');
	va_buf_reset(&b);
	assert_int_equal(va_relay_write_dtmf(&b, 'x'), VA_E_INVAL);
	assert_int_equal(va_relay_write_dtmf(&b, 'w'), VA_E_INVAL);
	assert_int_equal(b.len, 0);
	va_buf_release(&b);
}

static void text_round_trip(const char *token, size_t len, bool last, const char *lang)
{
	struct va_buf b = VA_BUF_INIT(4096);
	struct va_relay_out o;

	assert_int_equal(va_relay_write_text(&b, token, len, last, lang), VA_OK);
	assert_int_equal(va_relay_parse_out(b.data, b.len, &o), VA_OK);
	assert_int_equal(o.type, VA_RELAY_OUT_TEXT);
	assert_int_equal(strlen(o.text), len);
	assert_memory_equal(o.text, token, len);
	assert_int_equal(o.last, last);
	assert_string_equal(o.lang, lang ? lang : "");
	va_relay_out_release(&o);
	va_buf_release(&b);
}

static void test_write_text_round_trip(void **state)
{
	static const char *tokens[] = {
	    "We have an opening on Tuesday at ",
	    "  leading and trailing spaces  ",
	    "say \"cheese\"\n",
	    "back\\slash\ttab\r\n",
	    "ünïcödé — 日本語 🦷",
	    "<phoneme alphabet=\"ipa\" ph=\"tʊˈmɑːtoʊ\">tomato</phoneme>",
	    "\x01\x1f control",
	    "",
	};
	size_t i;

	for (i = 0; i < sizeof(tokens) / sizeof(tokens[0]); i++)
		text_round_trip(tokens[i], strlen(tokens[i]), i % 2 == 0, i == 4 ? "multi" : NULL);
}

static void test_write_text_exact_shape(void **state)
{
	struct va_buf b = VA_BUF_INIT(4096);
	const char tok[] = "ten a.m.XXXX"; /* token_len excludes the XXXX: no NUL needed */

	assert_int_equal(va_relay_write_text(&b, tok, 8, true, NULL), VA_OK);
	assert_string_equal(va_buf_cstr(&b),
			    "{\"type\":\"text\",\"token\":\"ten a.m.\",\"last\":true}");
	va_buf_reset(&b);
	assert_int_equal(va_relay_write_text(&b, tok, 3, false, "es-US"), VA_OK);
	assert_string_equal(
	    va_buf_cstr(&b),
	    "{\"type\":\"text\",\"token\":\"ten\",\"last\":false,\"lang\":\"es-US\"}");
	/* writers append: two messages in a row stay separate objects */
	assert_int_equal(va_relay_write_end(&b, NULL), VA_OK);
	assert_string_equal(
	    va_buf_cstr(&b),
	    "{\"type\":\"text\",\"token\":\"ten\",\"last\":false,\"lang\":\"es-US\"}"
	    "{\"type\":\"end\"}");
	va_buf_reset(&b);
	assert_int_equal(va_relay_write_text(&b, NULL, 0, true, NULL), VA_OK);
	assert_string_equal(va_buf_cstr(&b), "{\"type\":\"text\",\"token\":\"\",\"last\":true}");
	assert_int_equal(va_relay_write_text(&b, NULL, 3, true, NULL), VA_E_INVAL);
	va_buf_release(&b);
}

static void test_write_text_invalid_utf8(void **state)
{
	struct va_buf b = VA_BUF_INIT(4096);
	struct va_relay_out o;
	/* "caf" + first byte of é (a model split the character), a lone
	 * continuation byte, an overlong '/', a surrogate, then valid text */
	const char tok[] = "caf\xC3"
			   " \x80!\xC0\xAF\xED\xA0\x80ok";

	assert_int_equal(va_relay_write_text(&b, tok, sizeof(tok) - 1, false, NULL), VA_OK);
	assert_int_equal(va_relay_parse_out(b.data, b.len, &o), VA_OK);
	assert_string_equal(o.text, "caf\xEF\xBF\xBD \xEF\xBF\xBD!\xEF\xBF\xBD\xEF\xBF\xBD"
				    "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDok");
	va_relay_out_release(&o);
	va_buf_release(&b);
}

static void test_utf8_sanitize(void **state)
{
	static const struct {
		const char *in;
		const char *out;
	} cases[] = {
	    {"plain", "plain"},
	    {"\xF0\x9F\xA6\xB7", "\xF0\x9F\xA6\xB7"}, /* U+1F9B7, valid */
	    {"\xF0\x9F\xA6", "\xEF\xBF\xBD"},	      /* truncated: one U+FFFD */
	    {"\xF4\x90\x80\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"}, /* >10FFFF */
	    {"\xE2\x82\xAC", "\xE2\x82\xAC"}, /* euro sign */
	    {"\xE2\x82"
	     "A",
	     "\xEF\xBF\xBD"
	     "A"},
	    {"\xFF", "\xEF\xBF\xBD"},
	};
	char *o;
	size_t i, n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = va_relay_utf8_sanitize(cases[i].in, strlen(cases[i].in), &o);
		assert_string_equal(o, cases[i].out);
		assert_int_equal(n, strlen(cases[i].out));
		free(o);
	}
}

static void test_write_send_digits(void **state)
{
	struct va_buf b = VA_BUF_INIT(4096);
	struct va_relay_out o;

	assert_int_equal(va_relay_write_send_digits(&b, "9www4085551212"), VA_OK);
	assert_string_equal(va_buf_cstr(&b),
			    "{\"type\":\"sendDigits\",\"digits\":\"9www4085551212\"}");
	assert_int_equal(va_relay_parse_out(b.data, b.len, &o), VA_OK);
	assert_int_equal(o.type, VA_RELAY_OUT_SEND_DIGITS);
	assert_string_equal(o.text, "9www4085551212");
	va_relay_out_release(&o);
	va_buf_reset(&b);

	assert_int_equal(va_relay_write_send_digits(&b, "*#0W1"), VA_OK);
	va_buf_reset(&b);
	assert_int_equal(va_relay_write_send_digits(&b, ""), VA_E_INVAL);
	assert_int_equal(va_relay_write_send_digits(&b, NULL), VA_E_INVAL);
	assert_int_equal(va_relay_write_send_digits(&b, "12a"), VA_E_INVAL);
	assert_int_equal(va_relay_write_send_digits(&b, "1 2"), VA_E_INVAL);
	assert_int_equal(va_relay_write_send_digits(&b, "1-2"), VA_E_INVAL);
	assert_int_equal(va_relay_write_send_digits(&b, "\"}"), VA_E_INVAL);
	assert_int_equal(b.len, 0);
	va_buf_release(&b);
}

static void test_write_end_play_language(void **state)
{
	struct va_buf b = VA_BUF_INIT(4096);
	struct va_relay_out o;
	const char *handoff = "{\"reasonCode\":\"live-agent-handoff\",\"reason\":\"Caller asked "
			      "for the front desk\"}";

	assert_int_equal(va_relay_write_end(&b, handoff), VA_OK);
	/* handoffData is a string holding JSON, escaped once */
	assert_non_null(strstr(va_buf_cstr(&b), "\"handoffData\":\"{\\\"reasonCode\\\""));
	assert_int_equal(va_relay_parse_out(b.data, b.len, &o), VA_OK);
	assert_int_equal(o.type, VA_RELAY_OUT_END);
	assert_string_equal(o.text, handoff);
	va_relay_out_release(&o);
	va_buf_reset(&b);

	assert_int_equal(va_relay_write_end(&b, NULL), VA_OK);
	assert_int_equal(va_relay_parse_out(b.data, b.len, &o), VA_OK);
	assert_int_equal(o.type, VA_RELAY_OUT_END);
	assert_null(o.text);
	va_relay_out_release(&o);
	va_buf_reset(&b);

	assert_int_equal(
	    va_relay_write_play(&b, "https://assets.example.com/hold.mp3", 1, true, true), VA_OK);
	assert_string_equal(va_buf_cstr(&b),
			    "{\"type\":\"play\",\"source\":\"https://assets.example.com/hold.mp3\","
			    "\"loop\":1,\"preemptible\":true,\"interruptible\":true}");
	assert_int_equal(va_relay_parse_out(b.data, b.len, &o), VA_OK);
	assert_int_equal(o.type, VA_RELAY_OUT_PLAY);
	assert_string_equal(o.text, "https://assets.example.com/hold.mp3");
	va_relay_out_release(&o);
	va_buf_reset(&b);
	assert_int_equal(va_relay_write_play(&b, NULL, 1, false, false), VA_E_INVAL);
	assert_int_equal(va_relay_write_play(&b, "x.mp3", -1, false, false), VA_E_INVAL);

	assert_int_equal(va_relay_write_language(&b, "es-US", "es-US"), VA_OK);
	assert_string_equal(va_buf_cstr(&b), "{\"type\":\"language\",\"ttsLanguage\":\"es-US\","
					     "\"transcriptionLanguage\":\"es-US\"}");
	assert_int_equal(va_relay_parse_out(b.data, b.len, &o), VA_OK);
	assert_int_equal(o.type, VA_RELAY_OUT_LANGUAGE);
	assert_string_equal(o.lang, "es-US");
	assert_null(o.text);
	va_relay_out_release(&o);
	va_buf_reset(&b);
	assert_int_equal(va_relay_write_language(&b, NULL, "fr-FR"), VA_OK);
	assert_string_equal(va_buf_cstr(&b),
			    "{\"type\":\"language\",\"transcriptionLanguage\":\"fr-FR\"}");
	va_buf_reset(&b);
	assert_int_equal(va_relay_write_language(&b, NULL, NULL), VA_E_INVAL);
	assert_int_equal(b.len, 0);
	va_buf_release(&b);
}

static void test_parse_out_docs_and_errors(void **state)
{
	struct va_relay_out o;
	const char *s;

	s = "{\"type\":\"text\",\"token\":\"ten a.m.\",\"last\":true,\"interruptible\":true,"
	    "\"preemptible\":false}";
	assert_int_equal(va_relay_parse_out(s, strlen(s), &o), VA_OK);
	assert_int_equal(o.type, VA_RELAY_OUT_TEXT);
	assert_string_equal(o.text, "ten a.m.");
	assert_true(o.last);
	va_relay_out_release(&o);

	/* last defaults to false on the app side */
	s = "{\"type\":\"text\",\"token\":\"We have\"}";
	assert_int_equal(va_relay_parse_out(s, strlen(s), &o), VA_OK);
	assert_false(o.last);
	va_relay_out_release(&o);

	s = "{\"type\":\"mark\",\"name\":\"x\"}";
	assert_int_equal(va_relay_parse_out(s, strlen(s), &o), VA_OK);
	assert_int_equal(o.type, VA_RELAY_OUT_UNKNOWN);
	assert_null(o.text);
	va_relay_out_release(&o);

	s = "{\"type\":\"text\"}";
	assert_int_equal(va_relay_parse_out(s, strlen(s), &o), VA_E_INVAL);
	s = "{\"type\":\"text\",\"token\":null}";
	assert_int_equal(va_relay_parse_out(s, strlen(s), &o), VA_E_INVAL);
	s = "{\"type\":\"sendDigits\"}";
	assert_int_equal(va_relay_parse_out(s, strlen(s), &o), VA_E_INVAL);
	s = "{\"type\":\"play\",\"source\":3}";
	assert_int_equal(va_relay_parse_out(s, strlen(s), &o), VA_E_INVAL);
	s = "{\"type\":\"language\",\"ttsLanguage\":\"xx-this-is-much-too-long-to-fit\"}";
	assert_int_equal(va_relay_parse_out(s, strlen(s), &o), VA_E_INVAL);
	s = "[\"text\"]";
	assert_int_equal(va_relay_parse_out(s, strlen(s), &o), VA_E_PARSE);
	s = "{\"token\":\"x\"}";
	assert_int_equal(va_relay_parse_out(s, strlen(s), &o), VA_E_PARSE);
	s = "{\"type\":\"text\",";
	assert_int_equal(va_relay_parse_out(s, strlen(s), &o), VA_E_PARSE);
	va_relay_out_release(NULL);
	va_relay_in_release(NULL);
}

static void test_buf_max(void **state)
{
	struct va_buf b = VA_BUF_INIT(40);
	struct va_relay_setup s;
	const char *before;

	/* {"type":"text","token":"ab","last":false} is 41 bytes: one too many */
	assert_int_equal(va_relay_write_text(&b, "ab", 2, false, NULL), VA_E_TOOBIG);
	assert_int_equal(b.len, 0);
	assert_int_equal(va_relay_write_text(&b, "a", 1, false, NULL), VA_OK);
	assert_int_equal(b.len, 40);
	/* a failed append leaves what was there untouched */
	before = "{\"type\":\"text\",\"token\":\"a\",\"last\":false}";
	assert_int_equal(va_relay_write_end(&b, NULL), VA_E_TOOBIG);
	assert_int_equal(va_relay_write_send_digits(&b, "1"), VA_E_TOOBIG);
	assert_int_equal(va_relay_write_play(&b, "u", 1, false, false), VA_E_TOOBIG);
	assert_int_equal(va_relay_write_language(&b, "en-US", NULL), VA_E_TOOBIG);
	assert_int_equal(va_relay_write_prompt(&b, "x", true, NULL), VA_E_TOOBIG);
	assert_int_equal(va_relay_write_interrupt(&b, "x", 1), VA_E_TOOBIG);
	assert_int_equal(va_relay_write_dtmf(&b, '1'), VA_E_TOOBIG);
	memset(&s, 0, sizeof(s));
	assert_int_equal(va_relay_write_setup(&b, &s), VA_E_TOOBIG);
	assert_string_equal(va_buf_cstr(&b), before);
	va_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_doc_setup),
	    cmocka_unit_test(test_doc_prompt),
	    cmocka_unit_test(test_doc_interrupt),
	    cmocka_unit_test(test_doc_dtmf),
	    cmocka_unit_test(test_doc_error),
	    cmocka_unit_test(test_doc_info),
	    cmocka_unit_test(test_info_value_types),
	    cmocka_unit_test(test_prompt_last_default_and_partial),
	    cmocka_unit_test(test_interrupt_duration_forms),
	    cmocka_unit_test(test_unknown_type_and_fields),
	    cmocka_unit_test(test_setup_params),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_invalid_known_types),
	    cmocka_unit_test(test_write_setup_round_trip),
	    cmocka_unit_test(test_write_prompt_interrupt_dtmf_round_trip),
	    cmocka_unit_test(test_write_text_round_trip),
	    cmocka_unit_test(test_write_text_exact_shape),
	    cmocka_unit_test(test_write_text_invalid_utf8),
	    cmocka_unit_test(test_utf8_sanitize),
	    cmocka_unit_test(test_write_send_digits),
	    cmocka_unit_test(test_write_end_play_language),
	    cmocka_unit_test(test_parse_out_docs_and_errors),
	    cmocka_unit_test(test_buf_max),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
