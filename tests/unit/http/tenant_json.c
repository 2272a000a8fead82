/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/http/tenant_json.c - the tenant JSON codec of
 * src/http/tenant_json.c: create and update documents, presets, rejection
 * with the field named, and masked secrets on output.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "http/tenant_json.h"
#include "tenant/tenant.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#define TOKEN  "0123456789abcdef0123456789abcdef"
#define APIKEY "pk_live_7Gh2Lq9ZxW4m"

static const char minimal[] = "{\"id\":\"smith-dental\",\"name\":\"Smith Dental\","
			      "\"timezone\":\"America/Chicago\","
			      "\"twilio_auth_token\":\"" TOKEN "\",\"api_key\":\"" APIKEY "\"}";

static int parse(const char *doc, struct va_tenant *t, bool partial, char *why, size_t whysz)
{
	return va_tenant_from_json(doc, strlen(doc), t, partial, why, whysz);
}

static void test_minimal_document(void **state)
{
	struct va_tenant t;
	char why[200];

	memset(&t, 0x7f, sizeof(t));
	assert_int_equal(parse(minimal, &t, false, why, sizeof(why)), VA_OK);
	assert_string_equal(t.id, "smith-dental");
	assert_string_equal(t.name, "Smith Dental");
	assert_string_equal(t.timezone, "America/Chicago");
	assert_string_equal(t.twilio_auth_token, TOKEN);
	assert_string_equal(t.api_key, APIKEY);
	/* Everything else comes from the defaults. */
	assert_string_equal(t.greeting, "Thank you for calling. How can I help you today?");
	assert_string_equal(t.front_desk_number, "");
	assert_string_equal(t.connecting_message, "");
	assert_string_equal(t.relay.language, "en-US");
	assert_string_equal(t.relay.tts_provider, "Google");
	assert_string_equal(t.relay.voice, "en-US-Journey-O");
	assert_string_equal(t.relay.transcription_provider, "Deepgram");
	assert_string_equal(t.relay.speech_model, "nova-3-general");
	assert_string_equal(t.relay.report_input_during_agent, "speech");
	assert_string_equal(t.relay.speech_timeout, "auto");
	assert_string_equal(t.relay.interrupt_sensitivity, "medium");
	assert_int_equal(t.relay.preset, VA_PRESET_STANDARD);
	assert_true(t.relay.dtmf_detection);
	assert_false(t.relay.application_reconnect);
}

static void test_full_document(void **state)
{
	static const char doc[] =
	    "{\"id\":\"p1\",\"name\":\"Caf\\u00e9 Dental\",\"timezone\":\"Europe/Paris\","
	    "\"twilio_auth_token\":\"" TOKEN "\",\"api_key\":\"" APIKEY "\","
	    "\"front_desk_number\":\"+33123456789\",\"greeting\":\"Bonjour & bienvenue\","
	    "\"connecting_message\":\"Un instant\",\"extra\":{\"ignored\":[1,2]},"
	    "\"relay\":{\"language\":\"fr-FR\",\"tts_provider\":\"ElevenLabs\","
	    "\"voice\":\"UgBBYS2sOqTuMpoF3BR0\",\"transcription_provider\":\"Google\","
	    "\"speech_model\":\"telephony\",\"interruptible\":\"speech\","
	    "\"interrupt_sensitivity\":\"high\",\"speech_timeout\":\"1200\","
	    "\"report_input_during_agent_speech\":\"any\","
	    "\"welcome_greeting_interruptible\":\"none\",\"hints\":\"couronne,d\\u00e9tartrage\","
	    "\"dtmf_detection\":false,\"preemptible\":true,\"partial_prompts\":true,"
	    "\"application_reconnect\":true,\"unknown\":1}}";
	struct va_tenant t;
	char why[200];

	if (parse(doc, &t, false, why, sizeof(why)) != VA_OK)
		fail_msg("refused: %s", why);
	assert_string_equal(t.name, "Caf\xc3\xa9 Dental");
	assert_string_equal(t.timezone, "Europe/Paris");
	assert_string_equal(t.front_desk_number, "+33123456789");
	assert_string_equal(t.greeting, "Bonjour & bienvenue");
	assert_string_equal(t.connecting_message, "Un instant");
	assert_string_equal(t.relay.language, "fr-FR");
	assert_string_equal(t.relay.tts_provider, "ElevenLabs");
	assert_string_equal(t.relay.voice, "UgBBYS2sOqTuMpoF3BR0");
	assert_string_equal(t.relay.transcription_provider, "Google");
	assert_string_equal(t.relay.speech_model, "telephony");
	assert_string_equal(t.relay.interruptible, "speech");
	assert_string_equal(t.relay.interrupt_sensitivity, "high");
	assert_string_equal(t.relay.speech_timeout, "1200");
	assert_string_equal(t.relay.report_input_during_agent, "any");
	assert_string_equal(t.relay.welcome_interruptible, "none");
	assert_string_equal(t.relay.hints, "couronne,d\xc3\xa9tartrage");
	assert_false(t.relay.dtmf_detection);
	assert_true(t.relay.preemptible);
	assert_true(t.relay.partial_prompts);
	assert_true(t.relay.application_reconnect);
}

static void test_partial_update(void **state)
{
	struct va_tenant t, before;
	char why[200];

	va_tenant_demo(&t);
	before = t;
	assert_int_equal(parse("{\"name\":\"Bright Smile Dental East\","
			       "\"relay\":{\"hints\":\"crown\",\"preemptible\":true}}",
			       &t, true, why, sizeof(why)),
			 VA_OK);
	assert_string_equal(t.name, "Bright Smile Dental East");
	assert_string_equal(t.relay.hints, "crown");
	assert_true(t.relay.preemptible);
	/* Untouched fields survive, secrets included. */
	assert_string_equal(t.id, before.id);
	assert_string_equal(t.greeting, before.greeting);
	assert_string_equal(t.twilio_auth_token, "demo-auth-token");
	assert_string_equal(t.api_key, "demo-api-key");
	assert_string_equal(t.front_desk_number, "+15555550100");
	assert_string_equal(t.relay.voice, before.relay.voice);
	assert_true(t.relay.dtmf_detection);

	/* The same id is fine; null empties an optional field. */
	strcpy(t.connecting_message, "Please hold.");
	assert_int_equal(
	    parse("{\"id\":\"demo123\",\"connecting_message\":null}", &t, true, why, sizeof(why)),
	    VA_OK);
	assert_string_equal(t.connecting_message, "");
	/* An empty object changes nothing. */
	before = t;
	assert_int_equal(parse("{}", &t, true, why, sizeof(why)), VA_OK);
	assert_memory_equal(&t, &before, sizeof(t));
}

static void test_id_cannot_change(void **state)
{
	struct va_tenant t, before;
	char why[200];

	va_tenant_demo(&t);
	before = t;
	assert_int_equal(parse("{\"id\":\"other\",\"name\":\"X\"}", &t, true, why, sizeof(why)),
			 VA_E_INVAL);
	assert_non_null(strstr(why, "id cannot change"));
	assert_memory_equal(&t, &before, sizeof(t));
}

static void test_preset_then_override(void **state)
{
	struct va_tenant t;
	char why[200];

	/* Key order must not matter: the preset lands first. */
	assert_int_equal(parse("{\"id\":\"p\",\"name\":\"P\",\"twilio_auth_token\":\"t\","
			       "\"api_key\":\"12345678\",\"relay\":{\"speech_timeout\":900,"
			       "\"preset\":\"noisy\"}}",
			       &t, false, why, sizeof(why)),
			 VA_OK);
	assert_int_equal(t.relay.preset, VA_PRESET_NOISY);
	assert_string_equal(t.relay.speech_timeout, "900");
	assert_string_equal(t.relay.interrupt_sensitivity, "low");

	assert_int_equal(parse("{\"relay\":{\"interrupt_sensitivity\":\"high\","
			       "\"preset\":\"patient\"}}",
			       &t, true, why, sizeof(why)),
			 VA_OK);
	assert_int_equal(t.relay.preset, VA_PRESET_PATIENT);
	assert_string_equal(t.relay.speech_timeout, "2500");
	assert_string_equal(t.relay.interrupt_sensitivity, "high");

	/* A preset alone resets both of its settings. */
	assert_int_equal(parse("{\"relay\":{\"preset\":\"quiet\"}}", &t, true, why, sizeof(why)),
			 VA_OK);
	assert_string_equal(t.relay.speech_timeout, "700");
	assert_string_equal(t.relay.interrupt_sensitivity, "high");
	/* And an explicit setting alone keeps the preset's name. */
	assert_int_equal(
	    parse("{\"relay\":{\"speech_timeout\":\"auto\"}}", &t, true, why, sizeof(why)), VA_OK);
	assert_string_equal(t.relay.speech_timeout, "auto");
	assert_int_equal(t.relay.preset, VA_PRESET_QUIET);
}

static void test_speech_timeout_forms(void **state)
{
	static const struct {
		const char *json;
		const char *want; /* NULL: refused */
	} cases[] = {
	    {"600", "600"},	     {"5000", "5000"}, {"\"auto\"", "auto"}, {"\"1200\"", "1200"},
	    {"599", NULL},	     {"5001", NULL},   {"-700", NULL},	     {"1e9", NULL},
	    {"99999999999", NULL},   {"1500.0", NULL}, {"true", NULL},	     {"\"fast\"", NULL},
	    {"\"123456789\"", NULL}, {"null", NULL},   {"[700]", NULL},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct va_tenant t;
		char doc[128], why[200];
		int rc;

		va_tenant_demo(&t);
		snprintf(doc, sizeof(doc), "{\"relay\":{\"speech_timeout\":%s}}", cases[i].json);
		rc = parse(doc, &t, true, why, sizeof(why));
		if (cases[i].want) {
			if (rc != VA_OK)
				fail_msg("%s refused: %s", cases[i].json, why);
			assert_string_equal(t.relay.speech_timeout, cases[i].want);
		} else {
			if (rc != VA_E_INVAL)
				fail_msg("%s accepted", cases[i].json);
			assert_non_null(strstr(why, "relay.speech_timeout"));
			assert_string_equal(t.relay.speech_timeout, "auto");
		}
	}
}

static void test_rejections_name_the_field(void **state)
{
	static const struct {
		const char *doc, *field;
	} cases[] = {
	    {"{\"name\":5}", "name"},
	    {"{\"name\":\"\"}", "name"},
	    {"{\"name\":true}", "name"},
	    {"{\"id\":7}", "id"},
	    {"{\"timezone\":\"Nowhere/Land!\"}", "timezone"},
	    {"{\"api_key\":\"short\"}", "api_key"},
	    {"{\"api_key\":null}", "api_key"},
	    {"{\"twilio_auth_token\":{}}", "twilio_auth_token"},
	    {"{\"front_desk_number\":\"555-0100\"}", "front_desk_number"},
	    {"{\"greeting\":\"two\\nlines\"}", "greeting"},
	    {"{\"relay\":[]}", "relay"},
	    {"{\"relay\":{\"language\":\"english\"}}", "relay.language"},
	    {"{\"relay\":{\"tts_provider\":\"Azure\"}}", "relay.tts_provider"},
	    {"{\"relay\":{\"tts_provider\":\"Amazon\"}}", "relay.voice"},
	    {"{\"relay\":{\"transcription_provider\":\"whisper\"}}",
	     "relay.transcription_provider"},
	    {"{\"relay\":{\"interruptible\":true}}", "relay.interruptible"},
	    {"{\"relay\":{\"interrupt_sensitivity\":\"max\"}}", "relay.interrupt_sensitivity"},
	    {"{\"relay\":{\"report_input_during_agent_speech\":\"all\"}}",
	     "relay.report_input_during_agent_speech"},
	    {"{\"relay\":{\"welcome_greeting_interruptible\":1}}",
	     "relay.welcome_greeting_interruptible"},
	    {"{\"relay\":{\"dtmf_detection\":\"yes\"}}", "relay.dtmf_detection"},
	    {"{\"relay\":{\"preemptible\":1}}", "relay.preemptible"},
	    {"{\"relay\":{\"preset\":\"loud\"}}", "relay.preset"},
	    {"{\"relay\":{\"preset\":3}}", "relay.preset"},
	    {"{\"relay\":{\"voice\":\"a b\"}}", "relay.voice"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct va_tenant t, before;
		char why[200];
		int rc;

		va_tenant_demo(&t);
		before = t;
		rc = parse(cases[i].doc, &t, true, why, sizeof(why));
		if (rc != VA_E_INVAL)
			fail_msg("%s: rc %d, why \"%s\"", cases[i].doc, rc, why);
		if (strncmp(why, cases[i].field, strlen(cases[i].field)) != 0 ||
		    why[strlen(cases[i].field)] != ':')
			fail_msg("%s: why \"%s\" does not name %s", cases[i].doc, why,
				 cases[i].field);
		/* All or nothing. */
		assert_memory_equal(&t, &before, sizeof(t));
	}
}

static void test_too_long(void **state)
{
	char doc[1024], big[600], why[200];
	struct va_tenant t;

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	va_tenant_demo(&t);
	snprintf(doc, sizeof(doc), "{\"greeting\":\"%s\"}", big);
	assert_int_equal(parse(doc, &t, true, why, sizeof(why)), VA_E_INVAL);
	assert_non_null(strstr(why, "greeting: too long"));

	/* Exactly the field size minus the terminator fits. */
	big[511] = '\0';
	snprintf(doc, sizeof(doc), "{\"greeting\":\"%s\"}", big);
	assert_int_equal(parse(doc, &t, true, why, sizeof(why)), VA_OK);
	assert_int_equal(strlen(t.greeting), 511);

	big[64] = '\0';
	snprintf(doc, sizeof(doc),
		 "{\"id\":\"%s\",\"name\":\"n\",\"twilio_auth_token\":\"t\","
		 "\"api_key\":\"12345678\"}",
		 big);
	assert_int_equal(parse(doc, &t, false, why, sizeof(why)), VA_E_INVAL);
	assert_non_null(strstr(why, "id"));
}

static void test_malformed(void **state)
{
	struct va_tenant t, before;
	char why[200];

	va_tenant_demo(&t);
	before = t;
	assert_int_equal(parse("{\"name\":", &t, true, why, sizeof(why)), VA_E_PARSE);
	assert_non_null(strstr(why, "json"));
	assert_int_equal(parse("", &t, true, why, sizeof(why)), VA_E_PARSE);
	assert_int_equal(va_tenant_from_json(NULL, 0, &t, true, why, sizeof(why)), VA_E_PARSE);
	assert_int_equal(parse("{\"name\":\"a\",\"name\":\"b\"}", &t, true, why, sizeof(why)),
			 VA_E_PARSE);
	assert_int_equal(parse("{\"name\":\"a\\u0000b\"}", &t, true, why, sizeof(why)), VA_E_PARSE);
	assert_int_equal(parse("[1,2]", &t, true, why, sizeof(why)), VA_E_INVAL);
	assert_int_equal(parse("\"x\"", &t, true, NULL, 0), VA_E_INVAL);
	assert_memory_equal(&t, &before, sizeof(t));
	/* Not NUL-terminated: only len bytes are read. */
	assert_int_equal(va_tenant_from_json("{}garbage", 2, &t, true, why, sizeof(why)), VA_OK);
}

static void test_to_json_masks_secrets(void **state)
{
	struct va_buf b = VA_BUF_INIT(64 * 1024);
	struct va_tenant t;
	json_t *root, *relay;
	json_error_t err;
	char why[200];

	assert_int_equal(parse(minimal, &t, false, why, sizeof(why)), VA_OK);
	strcpy(t.connecting_message, "Hold \"please\"");
	va_tenant_apply_preset(&t.relay, VA_PRESET_PATIENT);
	assert_int_equal(va_tenant_to_json(&t, &b), VA_OK);
	assert_null(strstr(va_buf_cstr(&b), TOKEN));
	assert_null(strstr(va_buf_cstr(&b), APIKEY));
	/* Not even most of it. */
	assert_null(strstr(va_buf_cstr(&b), "0123456789abcdef"));

	root = json_loadb(b.data, b.len, 0, &err);
	assert_non_null(root);
	assert_string_equal(json_string_value(json_object_get(root, "id")), "smith-dental");
	assert_string_equal(json_string_value(json_object_get(root, "name")), "Smith Dental");
	assert_string_equal(json_string_value(json_object_get(root, "timezone")),
			    "America/Chicago");
	assert_string_equal(json_string_value(json_object_get(root, "twilio_auth_token")),
			    "****cdef");
	assert_string_equal(json_string_value(json_object_get(root, "api_key")), "****xW4m");
	assert_string_equal(json_string_value(json_object_get(root, "front_desk_number")), "");
	assert_string_equal(json_string_value(json_object_get(root, "connecting_message")),
			    "Hold \"please\"");
	assert_non_null(json_object_get(root, "greeting"));
	relay = json_object_get(root, "relay");
	assert_true(json_is_object(relay));
	assert_string_equal(json_string_value(json_object_get(relay, "preset")), "patient");
	assert_string_equal(json_string_value(json_object_get(relay, "speech_timeout")), "2500");
	assert_string_equal(
	    json_string_value(json_object_get(relay, "report_input_during_agent_speech")),
	    "speech");
	assert_string_equal(
	    json_string_value(json_object_get(relay, "welcome_greeting_interruptible")), "any");
	assert_true(json_is_true(json_object_get(relay, "dtmf_detection")));
	assert_true(json_is_false(json_object_get(relay, "application_reconnect")));
	assert_int_equal(json_object_size(relay), 16);
	/* The schedule document rides along under "practice". */
	assert_true(json_is_object(json_object_get(json_object_get(root, "practice"), "hours")));
	assert_true(json_is_object(json_object_get(root, "llm")));
	assert_true(json_is_object(json_object_get(root, "audio")));
	assert_int_equal(json_object_size(root), 12);
	json_decref(root);
	va_buf_release(&b);
}

static void test_round_trip_keeps_secrets(void **state)
{
	struct va_buf b = VA_BUF_INIT(64 * 1024);
	struct va_tenant t, back;
	char why[200];

	assert_int_equal(parse(minimal, &t, false, why, sizeof(why)), VA_OK);
	assert_int_equal(va_tenant_to_json(&t, &b), VA_OK);
	/* A client sends back what it read: the masks must not become secrets. */
	back = t;
	if (va_tenant_from_json(b.data, b.len, &back, true, why, sizeof(why)) != VA_OK)
		fail_msg("round trip refused: %s", why);
	assert_memory_equal(&back, &t, sizeof(t));

	/* A mask of some other value, or on create, is refused. */
	assert_int_equal(parse("{\"api_key\":\"****zzzz\"}", &back, true, why, sizeof(why)),
			 VA_E_INVAL);
	assert_non_null(strstr(why, "api_key"));
	va_buf_reset(&b);
	va_tenant_demo(&back);
	assert_int_equal(va_tenant_to_json(&back, &b), VA_OK);
	assert_non_null(strstr(va_buf_cstr(&b), "\"api_key\":\"****-key\""));
	assert_int_equal(va_tenant_from_json(b.data, b.len, &t, false, why, sizeof(why)),
			 VA_E_INVAL);
	/* A real new secret replaces the old one. */
	assert_int_equal(parse("{\"api_key\":\"new-key-0000\"}", &back, true, why, sizeof(why)),
			 VA_OK);
	assert_string_equal(back.api_key, "new-key-0000");
	va_buf_release(&b);
}

static void test_to_json_failures(void **state)
{
	struct va_buf b = VA_BUF_INIT(64);
	struct va_tenant t;

	va_tenant_demo(&t);
	assert_int_equal(va_buf_append_str(&b, "x"), VA_OK);
	assert_int_equal(va_tenant_to_json(&t, &b), VA_E_TOOBIG);
	assert_string_equal(va_buf_cstr(&b), "x");
	va_buf_release(&b);

	/* Text that is not UTF-8 cannot become JSON. */
	va_buf_init(&b, 64 * 1024);
	strcpy(t.name, "bad \xff name");
	assert_int_equal(va_tenant_to_json(&t, &b), VA_E_INVAL);
	assert_int_equal(b.len, 0);
	va_buf_release(&b);
}

static void test_audio_settings(void **state)
{
	struct va_tenant t, noisy;
	struct va_buf b = VA_BUF_INIT(1 << 20);
	char why[200];

	assert_int_equal(parse(minimal, &t, false, why, sizeof(why)), VA_OK);
	/* ConversationRelay unless a practice chooses the raw audio. */
	assert_int_equal(t.audio.transport, VA_TRANSPORT_RELAY);
	assert_int_equal(t.audio.turn, VA_TURN_DETECT_LOCAL);
	assert_int_equal(parse("{\"audio\":{\"transport\":\"audio\",\"preset\":\"noisy\","
			       "\"end_of_turn_ms\":1200,\"turn_detection\":\"semantic_vad\","
			       "\"model\":\"gpt-realtime-mini\",\"voice\":\"marin\"}}",
			       &t, true, why, sizeof(why)),
			 VA_OK);
	assert_int_equal(t.audio.transport, VA_TRANSPORT_AUDIO);
	assert_int_equal(t.audio.preset, VA_AUDIO_PRESET_NOISY);
	assert_int_equal(t.audio.turn, VA_TURN_DETECT_SEMANTIC_VAD);
	assert_string_equal(t.audio.model, "gpt-realtime-mini");
	/* The preset's thresholds, with the explicit one over it. */
	va_audio_settings_preset(VA_AUDIO_PRESET_NOISY, &noisy.audio.settings);
	assert_int_equal(t.audio.settings.eot_silence_ms, 1200);
	assert_int_equal(t.audio.settings.bargein_onset_ms, noisy.audio.settings.bargein_onset_ms);
	assert_int_equal(va_tenant_to_json(&t, &b), VA_OK);
	assert_non_null(strstr(va_buf_cstr(&b), "\"transport\":\"audio\""));
	assert_non_null(strstr(va_buf_cstr(&b), "\"end_of_turn_ms\":1200"));
	va_buf_release(&b);

	assert_int_equal(
	    parse("{\"audio\":{\"transport\":\"pigeon\"}}", &t, true, why, sizeof(why)),
	    VA_E_INVAL);
	assert_non_null(strstr(why, "audio.transport"));
	assert_int_equal(parse("{\"audio\":{\"end_of_turn_ms\":50}}", &t, true, why, sizeof(why)),
			 VA_E_INVAL);
	assert_non_null(strstr(why, "audio.thresholds"));
	assert_int_equal(parse("{\"audio\":{\"vad_sensitivity\":3}}", &t, true, why, sizeof(why)),
			 VA_E_INVAL);
	assert_int_equal(parse("{\"audio\":{\"voice\":\"a b\"}}", &t, true, why, sizeof(why)),
			 VA_E_INVAL);
	/* A refused update leaves the practice as it was. */
	assert_int_equal(t.audio.transport, VA_TRANSPORT_AUDIO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_minimal_document),
	    cmocka_unit_test(test_full_document),
	    cmocka_unit_test(test_partial_update),
	    cmocka_unit_test(test_id_cannot_change),
	    cmocka_unit_test(test_preset_then_override),
	    cmocka_unit_test(test_speech_timeout_forms),
	    cmocka_unit_test(test_rejections_name_the_field),
	    cmocka_unit_test(test_too_long),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_audio_settings),
	    cmocka_unit_test(test_to_json_masks_secrets),
	    cmocka_unit_test(test_round_trip_keeps_secrets),
	    cmocka_unit_test(test_to_json_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
