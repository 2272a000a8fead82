/* SPDX-License-Identifier: MIT */
/*
 * cmd_understand.c - `voiceai understand [--now ISO8601] [--tz ZONE]
 * [--expect WHAT] "utterance"`: prints, as one JSON line, what the
 * caller-understanding engine (nlu/understand.h) makes of an utterance. For
 * people tuning the engine and for tests; no server or database involved.
 */
#include "app/commands.h"
#include "core/err.h"
#include "core/tz.h"
#include "nlu/understand.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const expect_names[] = {
    [VA_EXPECT_ANY] = "any",
    [VA_EXPECT_NAME] = "name",
    [VA_EXPECT_PHONE] = "phone",
    [VA_EXPECT_DOB] = "dob",
    [VA_EXPECT_NEW_OR_EXISTING] = "new_or_existing",
    [VA_EXPECT_SERVICE] = "service",
    [VA_EXPECT_TIME] = "time",
    [VA_EXPECT_YES_NO] = "yes_no",
    [VA_EXPECT_CHOICE] = "choice",
    [VA_EXPECT_PAIN] = "pain",
    [VA_EXPECT_INSURANCE] = "insurance",
};

static void usage(FILE *out)
{
	fprintf(out, "usage: voiceai understand [--now ISO8601] [--tz ZONE] [--expect WHAT] "
		     "\"utterance\"\n\n"
		     "Prints the intents and details the receptionist understands in a caller's\n"
		     "utterance as one JSON line. --now defaults to the current time, --tz to\n"
		     "America/New_York. --expect tells what was just asked: name, phone, dob,\n"
		     "new_or_existing, service, time, yes_no, choice, pain or insurance.\n");
}

static int parse_expect(const char *s, enum va_expect *out)
{
	for (size_t i = 0; i < sizeof(expect_names) / sizeof(expect_names[0]); i++) {
		if (expect_names[i] && !strcmp(s, expect_names[i])) {
			*out = (enum va_expect)i;
			return VA_OK;
		}
	}
	return VA_E_INVAL;
}

static json_t *iso_or_null(const struct va_tz *tz, int64_t t, bool set)
{
	char buf[64];

	if (!set)
		return json_null();
	va_tz_iso8601(tz, t, buf, sizeof(buf));
	return json_string(buf);
}

static json_t *when_json(const struct va_tz *tz, const struct va_when *w)
{
	bool has_start = w->kind == VA_WHEN_POINT || w->kind == VA_WHEN_WINDOW ||
			 w->kind == VA_WHEN_OPEN || w->kind == VA_WHEN_PAST;
	bool has_end = w->kind == VA_WHEN_POINT || w->kind == VA_WHEN_WINDOW ||
		       (w->kind == VA_WHEN_PAST && w->end != 0);

	return json_pack("{s:s, s:o, s:o, s:s, s:b}", "kind", va_when_kind_name(w->kind), "start",
			 iso_or_null(tz, w->start, has_start), "end",
			 iso_or_null(tz, w->end, has_end), "pref", va_when_pref_name(w->pref),
			 "confirm", w->confirm);
}

static json_t *str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

/* The JSON form of an understanding; caller owns the result. */
static json_t *understanding_json(const struct va_tz *tz, const struct va_understanding *u)
{
	json_t *intents = json_array(), *symptoms = json_array(), *o;
	char dob[16], digit[2] = {u->digit, 0};
	static const char *const patient[] = {"unknown", "new", "existing"};
	static const char *const urgency[] = {"none", "urgent", "danger"};

	for (int i = 0; i < VA_INTENT__COUNT; i++) {
		if (u->intents & VA_INTENT_BIT(i))
			json_array_append_new(intents, json_string(va_intent_name(i)));
	}
	for (int s = 0; s < VA_SYMPTOM__COUNT; s++) {
		if (u->symptoms & (1u << s))
			json_array_append_new(symptoms, json_string(va_symptom_name(s)));
	}
	snprintf(dob, sizeof(dob), "%04d-%02d-%02d", u->dob_year % 10000, u->dob_month % 100,
		 u->dob_day % 100);
	o = json_object();
	json_object_set_new(o, "intents", intents);
	json_object_set_new(o, "name", str_or_null(u->name));
	json_object_set_new(o, "phone", str_or_null(u->phone));
	json_object_set_new(o, "phone_is_caller_id", json_boolean(u->phone_is_caller_id));
	json_object_set_new(o, "dob", u->dob_year ? json_string(dob) : json_null());
	json_object_set_new(o, "patient", json_string(patient[u->patient]));
	json_object_set_new(o, "service",
			    u->service != VA_SERVICE_NONE ? json_string(va_service_code(u->service))
							  : json_null());
	json_object_set_new(o, "symptoms", symptoms);
	json_object_set_new(o, "urgency", json_string(urgency[u->urgency]));
	json_object_set_new(o, "pain_level",
			    u->pain_level >= 0 ? json_integer(u->pain_level) : json_null());
	json_object_set_new(o, "insurance", str_or_null(u->insurance));
	json_object_set_new(o, "when", when_json(tz, &u->when));
	json_object_set_new(o, "choice", u->choice ? json_integer(u->choice) : json_null());
	json_object_set_new(o, "digit", u->digit ? json_string(digit) : json_null());
	json_object_set_new(o, "shift_s", u->shift_s ? json_integer(u->shift_s) : json_null());
	json_object_set_new(o, "same_time", json_boolean(u->same_time));
	return o;
}

int va_cmd_understand(int argc, char **argv)
{
	const char *now_s = NULL, *zone = "America/New_York", *text = NULL;
	enum va_expect expect = VA_EXPECT_ANY;
	struct va_understanding u;
	struct va_tz *tz = NULL;
	json_t *doc = NULL;
	char *line = NULL;
	int64_t now = (int64_t)time(NULL);
	int rc = 2;

	for (int a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--help") || !strcmp(argv[a], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[a], "--now") && a + 1 < argc) {
			now_s = argv[++a];
		} else if (!strcmp(argv[a], "--tz") && a + 1 < argc) {
			zone = argv[++a];
		} else if (!strcmp(argv[a], "--expect") && a + 1 < argc) {
			if (parse_expect(argv[++a], &expect) != VA_OK) {
				fprintf(stderr, "voiceai understand: unknown --expect '%s'\n",
					argv[a]);
				usage(stderr);
				goto out;
			}
		} else if (argv[a][0] == '-' && argv[a][1] == '-' && !text) {
			fprintf(stderr, "voiceai understand: unknown option '%s'\n", argv[a]);
			usage(stderr);
			goto out;
		} else if (!text) {
			text = argv[a];
		} else {
			usage(stderr);
			goto out;
		}
	}
	if (!text) {
		usage(stderr);
		goto out;
	}
	rc = 1;
	if (va_tz_load(zone, &tz) != VA_OK) {
		fprintf(stderr, "voiceai understand: unknown time zone '%s'\n", zone);
		goto out;
	}
	if (now_s && va_iso8601_parse(now_s, tz, &now) != VA_OK) {
		fprintf(stderr, "voiceai understand: bad --now '%s'\n", now_s);
		goto out;
	}
	if (va_understand(text, strlen(text), expect, now, tz, &u) != VA_OK)
		goto out;
	doc = understanding_json(tz, &u);
	line = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!line)
		goto out;
	printf("%s\n", line);
	rc = 0;
out:
	free(line);
	json_decref(doc);
	va_tz_free(tz);
	return rc;
}
