/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/tenant/tenant.c - defaults, presets, validation and secret
 * helpers of src/tenant/tenant.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/err.h"
#include "tenant/tenant.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A tenant that passes validation, built from the defaults. */
static void valid_tenant(struct va_tenant *t)
{
	va_tenant_defaults(t);
	strcpy(t->id, "practice-1");
	strcpy(t->name, "Test Practice");
	strcpy(t->twilio_auth_token, "0123456789abcdef0123456789abcdef");
	strcpy(t->api_key, "key-12345678");
}

static void test_defaults(void **state)
{
	struct va_tenant t;
	char why[128];

	memset(&t, 0x5a, sizeof(t));
	va_tenant_defaults(&t);
	assert_string_equal(t.id, "");
	assert_string_equal(t.timezone, "America/New_York");
	assert_string_equal(t.greeting, "Thank you for calling. How can I help you today?");
	assert_string_equal(t.connecting_message, "");
	assert_string_equal(t.front_desk_number, "");
	assert_string_equal(t.relay.language, "en-US");
	assert_string_equal(t.relay.tts_provider, "Google");
	assert_string_equal(t.relay.voice, "en-US-Journey-O");
	assert_string_equal(t.relay.transcription_provider, "Deepgram");
	assert_string_equal(t.relay.speech_model, "nova-3-general");
	assert_string_equal(t.relay.interruptible, "any");
	assert_string_equal(t.relay.report_input_during_agent, "speech");
	assert_string_equal(t.relay.welcome_interruptible, "any");
	assert_string_equal(t.relay.hints, "");
	assert_string_equal(t.relay.speech_timeout, "auto");
	assert_string_equal(t.relay.interrupt_sensitivity, "medium");
	assert_int_equal(t.relay.preset, VA_PRESET_STANDARD);
	assert_true(t.relay.dtmf_detection);
	assert_false(t.relay.preemptible);
	assert_false(t.relay.partial_prompts);
	assert_false(t.relay.application_reconnect);

	/* Defaults alone lack identity and secrets. */
	assert_int_equal(va_tenant_validate(&t, why, sizeof(why)), VA_E_INVAL);
	assert_non_null(strstr(why, "id"));

	valid_tenant(&t);
	assert_int_equal(va_tenant_validate(&t, why, sizeof(why)), VA_OK);
	assert_string_equal(why, "");
}

static void test_demo(void **state)
{
	struct va_tenant t;
	char why[128];

	va_tenant_demo(&t);
	assert_string_equal(t.id, "demo123");
	assert_string_equal(t.name, "Bright Smile Dental");
	assert_string_equal(t.timezone, "America/New_York");
	assert_string_equal(t.twilio_auth_token, "demo-auth-token");
	assert_string_equal(t.api_key, "demo-api-key");
	assert_string_equal(t.front_desk_number, "+15555550100");
	assert_string_equal(t.greeting, "Thank you for calling Bright Smile Dental. This is the "
					"virtual receptionist. How can I help you today?");
	assert_string_equal(t.relay.hints, "cleaning,checkup,crown,filling,root canal,extraction,"
					   "hygienist,Invisalign,emergency");
	/* Inherited from the defaults. */
	assert_string_equal(t.relay.report_input_during_agent, "speech");
	assert_string_equal(t.relay.speech_timeout, "auto");
	assert_int_equal(va_tenant_validate(&t, why, sizeof(why)), VA_OK);
}

static void test_presets(void **state)
{
	static const struct {
		enum va_line_preset p;
		const char *name, *timeout, *sens;
	} want[] = {
	    {VA_PRESET_STANDARD, "standard", "auto", "medium"},
	    {VA_PRESET_QUIET, "quiet", "700", "high"},
	    {VA_PRESET_NOISY, "noisy", "1500", "low"},
	    {VA_PRESET_PATIENT, "patient", "2500", "medium"},
	};
	struct va_tenant t;
	enum va_line_preset p;
	char why[128];
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		valid_tenant(&t);
		va_tenant_apply_preset(&t.relay, want[i].p);
		assert_string_equal(t.relay.speech_timeout, want[i].timeout);
		assert_string_equal(t.relay.interrupt_sensitivity, want[i].sens);
		assert_int_equal(t.relay.preset, want[i].p);
		assert_string_equal(va_preset_name(want[i].p), want[i].name);
		assert_int_equal(va_preset_parse(want[i].name, &p), VA_OK);
		assert_int_equal(p, want[i].p);
		/* Every preset must produce settings Twilio accepts. */
		assert_int_equal(va_tenant_validate(&t, why, sizeof(why)), VA_OK);
	}
	assert_int_equal(va_preset_parse("Noisy", &p), VA_OK);
	assert_int_equal(p, VA_PRESET_NOISY);
	p = VA_PRESET_QUIET;
	assert_int_equal(va_preset_parse("loud", &p), VA_E_INVAL);
	assert_int_equal(va_preset_parse("", &p), VA_E_INVAL);
	assert_int_equal(va_preset_parse(NULL, &p), VA_E_INVAL);
	assert_int_equal(p, VA_PRESET_QUIET);
	assert_string_equal(va_preset_name(VA_PRESET__COUNT), "unknown");
}

static void test_id_valid(void **state)
{
	char id[80];

	assert_true(va_tenant_id_valid("demo123"));
	assert_true(va_tenant_id_valid("A_b-9"));
	assert_true(va_tenant_id_valid("x"));
	assert_false(va_tenant_id_valid(""));
	assert_false(va_tenant_id_valid(NULL));
	assert_false(va_tenant_id_valid("a b"));
	assert_false(va_tenant_id_valid("a/b"));
	assert_false(va_tenant_id_valid("../x"));
	assert_false(va_tenant_id_valid("caf\xc3\xa9"));
	memset(id, 'a', 63);
	id[63] = '\0';
	assert_true(va_tenant_id_valid(id));
	id[63] = 'a';
	id[64] = '\0';
	assert_false(va_tenant_id_valid(id));
}

/* One field set to one value, and whether validation must accept it. */
struct check {
	size_t off, size;
	const char *value;
	const char *field; /* expected in why; NULL = must pass */
};

#define CK(member, value, field)                                                                   \
	{                                                                                          \
		offsetof(struct va_tenant, member), sizeof(((struct va_tenant *)0)->member),       \
		    value, field                                                                   \
	}

static const struct check checks[] = {
    CK(id, "", "id"),
    CK(id, "bad id", "id"),
    CK(name, "", "name"),
    CK(name, "Tab\there", "name"),
    CK(timezone, "", "timezone"),
    CK(timezone, "/etc/passwd", "timezone"),
    CK(timezone, "../../etc/passwd", "timezone"),
    CK(timezone, "America//New_York", "timezone"),
    CK(timezone, "America/", "timezone"),
    CK(timezone, "America/New York", "timezone"),
    CK(timezone, "UTC", NULL),
    CK(twilio_auth_token, "", "twilio_auth_token"),
    CK(twilio_auth_token, "has space", "twilio_auth_token"),
    CK(api_key, "", "api_key"),
    CK(api_key, "1234567", "api_key"),
    CK(api_key, "12345678", NULL),
    CK(api_key, "1234\n5678", "api_key"),
    CK(front_desk_number, "", NULL),
    CK(front_desk_number, "+15555550100", NULL),
    CK(front_desk_number, "+12345678", NULL),
    CK(front_desk_number, "+1234567", "front_desk_number"),
    CK(front_desk_number, "+1234567890123456", "front_desk_number"),
    CK(front_desk_number, "15555550100", "front_desk_number"),
    CK(front_desk_number, "+05555550100", "front_desk_number"),
    CK(front_desk_number, "+1555555010x", "front_desk_number"),
    CK(greeting, "", NULL),
    CK(greeting, "Hello \xe2\x80\x94 welcome & \"hi\"", NULL),
    CK(greeting, "line1\nline2", "greeting"),
    CK(greeting, "bell\x07", "greeting"),
    CK(connecting_message, "del\x7f", "connecting_message"),
    CK(connecting_message, "Please hold.", NULL),
    CK(relay.language, "en", NULL),
    CK(relay.language, "es-419", NULL),
    CK(relay.language, "fr-CA", NULL),
    CK(relay.language, "", "relay.language"),
    CK(relay.language, "english", "relay.language"),
    CK(relay.language, "en-us", "relay.language"),
    CK(relay.language, "en-USA", "relay.language"),
    CK(relay.language, "en-", "relay.language"),
    CK(relay.tts_provider, "google", NULL),
    CK(relay.tts_provider, "Azure", "relay.tts_provider"),
    CK(relay.tts_provider, "", "relay.tts_provider"),
    CK(relay.voice, "", NULL),
    CK(relay.voice, "en-US-Neural2-F", NULL),
    CK(relay.voice, "voice\"x", "relay.voice"),
    CK(relay.voice, "Joanna-Neural", "relay.voice"),
    CK(relay.transcription_provider, "deepgram", NULL),
    CK(relay.transcription_provider, "whisper", "relay.transcription_provider"),
    CK(relay.speech_model, "", NULL),
    CK(relay.speech_model, "flux-general-en", NULL),
    CK(relay.speech_model, "nova 3", "relay.speech_model"),
    CK(relay.interruptible, "speech", NULL),
    CK(relay.interruptible, "true", "relay.interruptible"),
    CK(relay.interruptible, "ANY", "relay.interruptible"),
    CK(relay.interrupt_sensitivity, "low", NULL),
    CK(relay.interrupt_sensitivity, "max", "relay.interrupt_sensitivity"),
    CK(relay.speech_timeout, "auto", NULL),
    CK(relay.speech_timeout, "600", NULL),
    CK(relay.speech_timeout, "5000", NULL),
    CK(relay.speech_timeout, "599", "relay.speech_timeout"),
    CK(relay.speech_timeout, "5001", "relay.speech_timeout"),
    CK(relay.speech_timeout, "5", "relay.speech_timeout"),
    CK(relay.speech_timeout, "0700", "relay.speech_timeout"),
    CK(relay.speech_timeout, "-700", "relay.speech_timeout"),
    CK(relay.speech_timeout, "7e2", "relay.speech_timeout"),
    CK(relay.speech_timeout, "", "relay.speech_timeout"),
    CK(relay.speech_timeout, "AUTO", "relay.speech_timeout"),
    CK(relay.report_input_during_agent, "any", NULL),
    CK(relay.report_input_during_agent, "", "relay.report_input_during_agent_speech"),
    CK(relay.welcome_interruptible, "none", NULL),
    CK(relay.welcome_interruptible, "yes", "relay.welcome_greeting_interruptible"),
    CK(relay.hints, "a,b,c", NULL),
    CK(relay.hints, "a\r\nb", "relay.hints"),
};

static void test_validate_fields(void **state)
{
	struct va_tenant t;
	char why[160];
	size_t i;

	for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		const struct check *c = &checks[i];
		int rc;

		valid_tenant(&t);
		assert_true(strlen(c->value) < c->size);
		strcpy((char *)&t + c->off, c->value);
		rc = va_tenant_validate(&t, why, sizeof(why));
		if (!c->field) {
			if (rc != VA_OK)
				fail_msg("value \"%s\" refused: %s", c->value, why);
			continue;
		}
		if (rc != VA_E_INVAL)
			fail_msg("value \"%s\" accepted, expected %s error", c->value, c->field);
		/* why starts with the field name, then the reason. */
		assert_int_equal(strncmp(why, c->field, strlen(c->field)), 0);
		assert_int_equal(why[strlen(c->field)], ':');
		assert_true(strlen(why) > strlen(c->field) + 3);
	}
}

static void test_validate_cross_fields(void **state)
{
	struct va_tenant t;
	char why[160];

	/* Switching provider without switching voice: Twilio would hang up. */
	valid_tenant(&t);
	strcpy(t.relay.tts_provider, "Amazon");
	assert_int_equal(va_tenant_validate(&t, why, sizeof(why)), VA_E_INVAL);
	assert_non_null(strstr(why, "relay.voice"));
	strcpy(t.relay.voice, "Joanna-Neural");
	assert_int_equal(va_tenant_validate(&t, why, sizeof(why)), VA_OK);
	strcpy(t.relay.tts_provider, "ElevenLabs");
	assert_int_equal(va_tenant_validate(&t, why, sizeof(why)), VA_E_INVAL);
	strcpy(t.relay.voice, "UgBBYS2sOqTuMpoF3BR0-1.0_0.8_0.8");
	assert_int_equal(va_tenant_validate(&t, why, sizeof(why)), VA_OK);

	/* A Deepgram model under Google STT. */
	valid_tenant(&t);
	strcpy(t.relay.transcription_provider, "Google");
	assert_int_equal(va_tenant_validate(&t, why, sizeof(why)), VA_E_INVAL);
	assert_non_null(strstr(why, "relay.speech_model"));
	strcpy(t.relay.speech_model, "telephony");
	assert_int_equal(va_tenant_validate(&t, why, sizeof(why)), VA_OK);

	/* An out-of-range preset read back from storage. */
	valid_tenant(&t);
	t.relay.preset = VA_PRESET__COUNT;
	assert_int_equal(va_tenant_validate(&t, why, sizeof(why)), VA_E_INVAL);
	assert_non_null(strstr(why, "relay.preset"));

	/* A field without its terminator must be caught, not read past. */
	valid_tenant(&t);
	memset(t.name, 'A', sizeof(t.name));
	assert_int_equal(va_tenant_validate(&t, why, sizeof(why)), VA_E_INVAL);

	/* why may be NULL or tiny. */
	valid_tenant(&t);
	t.id[0] = '\0';
	assert_int_equal(va_tenant_validate(&t, NULL, 0), VA_E_INVAL);
	assert_int_equal(va_tenant_validate(&t, why, 3), VA_E_INVAL);
	assert_string_equal(why, "id");
}

static void test_validate_timezone_db(void **state)
{
	char dir[] = "/tmp/va_tzdir_XXXXXX";
	char path[256];
	struct va_tenant t;
	char why[160];
	const char *old = getenv("TZDIR");
	char *saved = old ? strdup(old) : NULL;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/Test", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/Test/Zone", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("TZif", f);
	fclose(f);

	setenv("TZDIR", dir, 1);
	valid_tenant(&t);
	strcpy(t.timezone, "Test/Zone");
	assert_int_equal(va_tenant_validate(&t, why, sizeof(why)), VA_OK);
	/* Well-formed but not in this database. */
	strcpy(t.timezone, "America/New_York");
	assert_int_equal(va_tenant_validate(&t, why, sizeof(why)), VA_E_INVAL);
	assert_non_null(strstr(why, "timezone"));
	/* A directory is not a zone. */
	strcpy(t.timezone, "Test");
	assert_int_equal(va_tenant_validate(&t, why, sizeof(why)), VA_E_INVAL);

	/* Without a database only the shape is checked. */
	setenv("TZDIR", "/nonexistent/zoneinfo", 1);
	strcpy(t.timezone, "Mars/Olympus_Mons");
	assert_int_equal(va_tenant_validate(&t, why, sizeof(why)), VA_OK);
	strcpy(t.timezone, "Mars/../Olympus");
	assert_int_equal(va_tenant_validate(&t, why, sizeof(why)), VA_E_INVAL);

	unlink(path);
	snprintf(path, sizeof(path), "%s/Test", dir);
	rmdir(path);
	rmdir(dir);
	if (saved)
		setenv("TZDIR", saved, 1);
	else
		unsetenv("TZDIR");
	free(saved);
}

static void test_mask_secret(void **state)
{
	char dst[32];

	va_tenant_mask_secret("", dst, sizeof(dst));
	assert_string_equal(dst, "");
	va_tenant_mask_secret(NULL, dst, sizeof(dst));
	assert_string_equal(dst, "");
	va_tenant_mask_secret("abc", dst, sizeof(dst));
	assert_string_equal(dst, "****");
	va_tenant_mask_secret("abcdefghijk", dst, sizeof(dst)); /* 11 */
	assert_string_equal(dst, "****");
	va_tenant_mask_secret("abcdefghijkl", dst, sizeof(dst)); /* 12 */
	assert_string_equal(dst, "****ijkl");
	va_tenant_mask_secret("0123456789abcdef0123456789abcdef", dst, sizeof(dst));
	assert_string_equal(dst, "****cdef");
	/* Truncated, still terminated, never more of the secret. */
	va_tenant_mask_secret("0123456789abcdef", dst, 6);
	assert_string_equal(dst, "****c");
	dst[0] = 'x';
	va_tenant_mask_secret("0123456789abcdef", dst, 0);
	assert_int_equal(dst[0], 'x');
}

static void test_secret_equal(void **state)
{
	assert_true(va_secret_equal("s3cret-token", "s3cret-token"));
	assert_true(va_secret_equal("", ""));
	assert_false(va_secret_equal("s3cret-token", "s3cret-tokeN"));
	assert_false(va_secret_equal("s3cret", "s3cret-token"));
	assert_false(va_secret_equal("s3cret-token", "s3cret"));
	assert_false(va_secret_equal("", "x"));
	assert_false(va_secret_equal(NULL, "x"));
	assert_false(va_secret_equal("x", NULL));
	assert_false(va_secret_equal(NULL, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_demo),
	    cmocka_unit_test(test_presets),
	    cmocka_unit_test(test_id_valid),
	    cmocka_unit_test(test_validate_fields),
	    cmocka_unit_test(test_validate_cross_fields),
	    cmocka_unit_test(test_validate_timezone_db),
	    cmocka_unit_test(test_mask_secret),
	    cmocka_unit_test(test_secret_equal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
