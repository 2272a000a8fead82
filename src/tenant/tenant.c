/* SPDX-License-Identifier: MIT */
/*
 * tenant.c - defaults, line presets, validation and secret handling for a
 * practice. Pure apart from one optional look into the zoneinfo database;
 * no allocation, no logging (callers log, and never a secret).
 */
#include "tenant/tenant.h"
#include "core/alloc.h"
#include "core/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <strings.h>
#include <sys/stat.h>

struct preset_def {
	const char *name;
	const char *speech_timeout;
	const char *sensitivity;
};

static const struct preset_def presets[VA_PRESET__COUNT] = {
    [VA_PRESET_STANDARD] = {"standard", "auto", "medium"},
    [VA_PRESET_QUIET] = {"quiet", "700", "high"},
    [VA_PRESET_NOISY] = {"noisy", "1500", "low"},
    [VA_PRESET_PATIENT] = {"patient", "2500", "medium"},
};

/* The documented default voice of each TTS provider: a voice of one provider
 * sent with another is the usual mistake after switching provider, and Twilio
 * answers it by dropping the call. */
static const struct {
	const char *provider;
	const char *voice;
} default_voices[] = {
    {"Google", "en-US-Journey-O"},
    {"Amazon", "Joanna-Neural"},
    {"ElevenLabs", "UgBBYS2sOqTuMpoF3BR0"},
};

#define COPY(dst, src) ((void)va_strlcpy((dst), (src), sizeof(dst)))

void va_tenant_apply_preset(struct va_relay_settings *r, enum va_line_preset p)
{
	if ((int)p < 0 || p >= VA_PRESET__COUNT)
		p = VA_PRESET_STANDARD;
	COPY(r->speech_timeout, presets[p].speech_timeout);
	COPY(r->interrupt_sensitivity, presets[p].sensitivity);
	r->preset = p;
}

const char *va_preset_name(enum va_line_preset p)
{
	if ((int)p < 0 || p >= VA_PRESET__COUNT)
		return "unknown";
	return presets[p].name;
}

int va_preset_parse(const char *name, enum va_line_preset *out)
{
	int i;

	if (!name)
		return VA_E_INVAL;
	for (i = 0; i < VA_PRESET__COUNT; i++) {
		if (strcasecmp(name, presets[i].name) == 0) {
			*out = (enum va_line_preset)i;
			return VA_OK;
		}
	}
	return VA_E_INVAL;
}

static int current_year(void)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	return tm.tm_year + 1900;
}

void va_tenant_defaults(struct va_tenant *t)
{
	struct va_relay_settings *r = &t->relay;

	memset(t, 0, sizeof(*t));
	COPY(t->timezone, "America/New_York");
	COPY(t->greeting, "Thank you for calling. How can I help you today?");

	/* Every provider setting is pinned: Twilio's own defaults changed twice
	 * in 2025 and differ between accounts. */
	COPY(r->language, "en-US");
	COPY(r->tts_provider, "Google");
	COPY(r->voice, "en-US-Journey-O");
	COPY(r->transcription_provider, "Deepgram");
	COPY(r->speech_model, "nova-3-general");
	COPY(r->interruptible, "any");
	/* Twilio's default "none" drops the words that caused a barge-in, so
	 * the agent would go deaf right when the caller interrupts. */
	COPY(r->report_input_during_agent, "speech");
	COPY(r->welcome_interruptible, "any");
	r->dtmf_detection = true;
	r->preemptible = false;
	r->partial_prompts = false;
	r->application_reconnect = false;
	va_tenant_apply_preset(r, VA_PRESET_STANDARD);
	t->audio.transport = VA_TRANSPORT_RELAY;
	t->audio.preset = VA_AUDIO_PRESET_NORMAL;
	va_audio_settings_default(&t->audio.settings);
	t->audio.turn = VA_TURN_DETECT_LOCAL;
	/* A practice that says nothing of its schedule starts from the demo
	 * practice's hours, providers and services (not its address or plans). */
	va_practice_fill_defaults(&t->practice, current_year());
	t->llm.temperature = -1;
}

void va_tenant_demo(struct va_tenant *t)
{
	va_tenant_defaults(t);
	COPY(t->id, "demo123");
	COPY(t->name, "Bright Smile Dental");
	COPY(t->timezone, "America/New_York");
	/* Demo-only credentials: anyone reading the source knows them. A real
	 * practice replaces both through the admin API. */
	COPY(t->twilio_auth_token, "demo-auth-token");
	COPY(t->api_key, "demo-api-key");
	COPY(t->front_desk_number, "+15555550100");
	COPY(t->greeting, "Thank you for calling Bright Smile Dental. This is the virtual "
			  "receptionist. How can I help you today?");
	COPY(t->relay.hints, "cleaning,checkup,crown,filling,root canal,extraction,hygienist,"
			     "Invisalign,emergency");
	va_practice_demo(&t->practice, current_year());
}

bool va_tenant_id_valid(const char *id)
{
	size_t n;

	if (!id)
		return false;
	for (n = 0; id[n]; n++) {
		char c = id[n];
		if (n >= VA_TENANT_ID_MAX - 1)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return false;
	}
	return n > 0;
}

static int fail(char *why, size_t whysz, const char *field, const char *reason)
{
	if (why && whysz)
		snprintf(why, whysz, "%s: %s", field, reason);
	return VA_E_INVAL;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Text spoken by TTS or shown on the dashboard: any control byte would end
 * up in XML attributes or log lines, and Twilio has no use for one. */
static bool text_clean(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c == 0x7f)
			return false;
	}
	return true;
}

/* Secrets travel in HTTP headers and HMAC keys: printable ASCII, no spaces. */
static bool secret_clean(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c <= 0x20 || c >= 0x7f)
			return false;
	}
	return true;
}

/* Voice and model ids: "en-US-Journey-O", "UgBBYS2sOqTuMpoF3BR0-1.0_0.8_0.8". */
static bool token_clean(const char *s)
{
	for (; *s; s++) {
		if (!(is_alpha(*s) || is_digit(*s) || *s == '-' || *s == '_' || *s == '.'))
			return false;
	}
	return true;
}

static bool one_of(const char *s, const char *const *set, bool nocase)
{
	for (; *set; set++) {
		if (nocase ? strcasecmp(s, *set) == 0 : strcmp(s, *set) == 0)
			return true;
	}
	return false;
}

static bool timezone_valid(const char *tz)
{
	const char *dir;
	char path[512];
	struct stat st;
	size_t i;

	if (!tz[0] || tz[0] == '/' || tz[0] == '-' || tz[0] == '+')
		return false;
	for (i = 0; tz[i]; i++) {
		char c = tz[i];
		if (!(is_alpha(c) || is_digit(c) || c == '/' || c == '_' || c == '-' || c == '+'))
			return false;
		if (c == '/' && (tz[i + 1] == '/' || tz[i + 1] == '\0'))
			return false;
	}
	/* The charset alone keeps the name from escaping the directory ('.' is
	 * not allowed). If the zone database is installed, the zone must exist
	 * in it, otherwise local times would silently fall back to UTC. */
	dir = getenv("TZDIR");
	if (!dir || !dir[0])
		dir = "/usr/share/zoneinfo";
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return true;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, tz) >= sizeof(path))
		return false;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool e164_valid(const char *s)
{
	size_t n;

	if (s[0] != '+' || s[1] < '1' || s[1] > '9')
		return false;
	for (n = 0; s[1 + n]; n++) {
		if (!is_digit(s[1 + n]))
			return false;
	}
	return n >= 8 && n <= 15;
}

/* xx, xxx, xx-YY or xx-419 (a UN M.49 region such as es-419). */
static bool language_valid(const char *s)
{
	size_t n = 0;

	while (s[n] >= 'a' && s[n] <= 'z')
		n++;
	if (n < 2 || n > 3)
		return false;
	if (s[n] == '\0')
		return true;
	if (s[n] != '-')
		return false;
	s += n + 1;
	if (s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' && !s[2])
		return true;
	return is_digit(s[0]) && is_digit(s[1]) && is_digit(s[2]) && !s[3];
}

static bool speech_timeout_valid(const char *s)
{
	long v = 0;
	size_t i;

	if (strcmp(s, "auto") == 0)
		return true;
	if (!s[0] || s[0] == '0')
		return false;
	for (i = 0; s[i]; i++) {
		if (!is_digit(s[i]) || i >= 5)
			return false;
		v = v * 10 + (s[i] - '0');
	}
	return v >= 600 && v <= 5000;
}

/* A fixed-size field read from memory we did not fill ourselves must still
 * hold its terminator before any string function touches it. */
#define TERMINATED(field) (memchr((field), '\0', sizeof(field)) != NULL)

int va_tenant_validate(const struct va_tenant *t, char *why, size_t whysz)
{
	static const char *const modes[] = {"none", "dtmf", "speech", "any", NULL};
	static const char *const sens[] = {"low", "medium", "high", NULL};
	static const char *const tts[] = {"Google", "Amazon", "ElevenLabs", NULL};
	static const char *const stt[] = {"Google", "Deepgram", NULL};
	const struct va_relay_settings *r = &t->relay;
	size_t i;

	if (why && whysz)
		why[0] = '\0';
	if (!TERMINATED(t->id) || !TERMINATED(t->name) || !TERMINATED(t->timezone) ||
	    !TERMINATED(t->twilio_auth_token) || !TERMINATED(t->api_key) ||
	    !TERMINATED(t->front_desk_number) || !TERMINATED(t->greeting) ||
	    !TERMINATED(t->connecting_message) || !TERMINATED(r->language) ||
	    !TERMINATED(r->tts_provider) || !TERMINATED(r->voice) ||
	    !TERMINATED(r->transcription_provider) || !TERMINATED(r->speech_model) ||
	    !TERMINATED(r->interruptible) || !TERMINATED(r->interrupt_sensitivity) ||
	    !TERMINATED(r->speech_timeout) || !TERMINATED(r->report_input_during_agent) ||
	    !TERMINATED(r->welcome_interruptible) || !TERMINATED(r->hints))
		return fail(why, whysz, "tenant", "unterminated field");

	if (!t->id[0])
		return fail(why, whysz, "id", "required");
	if (!va_tenant_id_valid(t->id))
		return fail(why, whysz, "id", "must be 1-63 characters of A-Z a-z 0-9 _ -");
	if (!t->name[0])
		return fail(why, whysz, "name", "required");
	if (!text_clean(t->name))
		return fail(why, whysz, "name", "contains control characters");
	if (!timezone_valid(t->timezone))
		return fail(why, whysz, "timezone", "not a known IANA zone name");
	if (!t->twilio_auth_token[0])
		return fail(why, whysz, "twilio_auth_token", "required");
	if (!secret_clean(t->twilio_auth_token))
		return fail(why, whysz, "twilio_auth_token",
			    "must be printable ASCII without spaces");
	if (!t->api_key[0])
		return fail(why, whysz, "api_key", "required");
	if (strlen(t->api_key) < 8)
		return fail(why, whysz, "api_key", "must be at least 8 characters");
	if (!secret_clean(t->api_key))
		return fail(why, whysz, "api_key", "must be printable ASCII without spaces");
	if (t->front_desk_number[0] && !e164_valid(t->front_desk_number))
		return fail(why, whysz, "front_desk_number", "must be E.164, e.g. +15555550100");
	if (!text_clean(t->greeting))
		return fail(why, whysz, "greeting", "contains control characters");
	if (!text_clean(t->connecting_message))
		return fail(why, whysz, "connecting_message", "contains control characters");

	if (!language_valid(r->language))
		return fail(why, whysz, "relay.language", "must look like en-US or en");
	if (!one_of(r->tts_provider, tts, true))
		return fail(why, whysz, "relay.tts_provider",
			    "must be Google, Amazon or ElevenLabs");
	if (!token_clean(r->voice))
		return fail(why, whysz, "relay.voice", "may only hold A-Z a-z 0-9 . _ -");
	for (i = 0; i < sizeof(default_voices) / sizeof(default_voices[0]); i++) {
		if (strcmp(r->voice, default_voices[i].voice) == 0 &&
		    strcasecmp(r->tts_provider, default_voices[i].provider) != 0)
			return fail(why, whysz, "relay.voice",
				    "is a voice of another tts_provider; set a voice for this one");
	}
	if (!one_of(r->transcription_provider, stt, true))
		return fail(why, whysz, "relay.transcription_provider",
			    "must be Google or Deepgram");
	if (!token_clean(r->speech_model))
		return fail(why, whysz, "relay.speech_model", "may only hold A-Z a-z 0-9 . _ -");
	if (strcasecmp(r->transcription_provider, "Google") == 0 &&
	    (strncmp(r->speech_model, "nova", 4) == 0 || strncmp(r->speech_model, "flux", 4) == 0))
		return fail(why, whysz, "relay.speech_model",
			    "is a Deepgram model but transcription_provider is Google");
	if (!one_of(r->interruptible, modes, false))
		return fail(why, whysz, "relay.interruptible", "must be none, dtmf, speech or any");
	if (!one_of(r->interrupt_sensitivity, sens, false))
		return fail(why, whysz, "relay.interrupt_sensitivity",
			    "must be low, medium or high");
	if (!speech_timeout_valid(r->speech_timeout))
		return fail(why, whysz, "relay.speech_timeout",
			    "must be auto or an integer 600..5000 (ms)");
	if (!one_of(r->report_input_during_agent, modes, false))
		return fail(why, whysz, "relay.report_input_during_agent_speech",
			    "must be none, dtmf, speech or any");
	if (!one_of(r->welcome_interruptible, modes, false))
		return fail(why, whysz, "relay.welcome_greeting_interruptible",
			    "must be none, dtmf, speech or any");
	if (!text_clean(r->hints))
		return fail(why, whysz, "relay.hints", "contains control characters");
	if ((int)r->preset < 0 || r->preset >= VA_PRESET__COUNT)
		return fail(why, whysz, "relay.preset", "unknown preset");
	/* The schedule is checked by its own module. */
	return va_practice_validate(&t->practice, why, whysz);
}

void va_tenant_mask_secret(const char *secret, char *dst, size_t dstsz)
{
	char tmp[9];
	size_t n;

	if (!dst || !dstsz)
		return;
	n = secret ? strlen(secret) : 0;
	if (n == 0) {
		dst[0] = '\0';
		return;
	}
	/* Four characters of a short secret would be too large a share of it. */
	if (n < 12) {
		(void)va_strlcpy(dst, "****", dstsz);
		return;
	}
	memcpy(tmp, "****", 4);
	memcpy(tmp + 4, secret + n - 4, 4);
	tmp[8] = '\0';
	(void)va_strlcpy(dst, tmp, dstsz);
}

bool va_secret_equal(const char *a, const char *b)
{
	size_t la, lb, n, i;
	volatile unsigned char diff = 0;

	if (!a || !b)
		return false;
	la = strlen(a);
	lb = strlen(b);
	n = la > lb ? la : lb;
	/* Walk the longer length whatever the content so the time depends on
	 * the lengths only, never on where the first mismatch is. */
	for (i = 0; i < n; i++) {
		unsigned char ca = (unsigned char)a[i < la ? i : la];
		unsigned char cb = (unsigned char)b[i < lb ? i : lb];
		diff |= ca ^ cb;
	}
	diff |= (unsigned char)(la != lb);
	return diff == 0;
}
