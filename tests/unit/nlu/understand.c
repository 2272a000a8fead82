/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/nlu/understand.c - caller understanding, table by table:
 * intents (with negations), names, phone numbers, dates of birth, new vs
 * existing, services, symptoms and urgency, insurance, choices and keypad
 * digits, one-sentence bookings with the real date parser, and argument
 * errors. The source is included to check its sorted word lists too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../../src/nlu/understand.c"

#include "core/tz.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define B(x) VA_INTENT_BIT(VA_INTENT_##x)
#define S(x) (1u << VA_SYMPTOM_##x)

static struct va_tz *ny;
static int64_t now_mon; /* Monday 2026-11-23 10:00 America/New_York */

static void run(enum va_expect ex, const char *text, struct va_understanding *u)
{
	int rc = va_understand(text, strlen(text), ex, now_mon, ny, u);

	assert_int_equal(rc, VA_OK);
}

static int setup(void **state)
{
	if (va_tz_load("America/New_York", &ny) != VA_OK)
		return -1;
	return va_iso8601_parse("2026-11-23T10:00:00-05:00", NULL, &now_mon) == VA_OK ? 0 : -1;
}

static int teardown(void **state)
{
	va_tz_free(ny);
	return 0;
}

struct intent_case {
	enum va_expect ex;
	const char *text;
	uint32_t must, must_not;
};

static const struct intent_case intent_cases[] = {
    {VA_EXPECT_ANY, "I'd like to make an appointment", B(BOOK), B(CANCEL)},
    {VA_EXPECT_ANY, "can I come in", B(BOOK), 0},
    {VA_EXPECT_ANY, "I need to see the dentist", B(BOOK), 0},
    {VA_EXPECT_ANY, "schedule a cleaning", B(BOOK), 0},
    {VA_EXPECT_ANY, "do you have anything open on Tuesday", B(BOOK), B(ASK_HOURS)},
    {VA_EXPECT_ANY, "move my appointment", B(RESCHEDULE), B(BOOK)},
    {VA_EXPECT_ANY, "change my appointment to Friday", B(RESCHEDULE), B(BOOK) | B(CORRECTION)},
    {VA_EXPECT_ANY, "can we push it back", B(RESCHEDULE), 0},
    {VA_EXPECT_ANY, "I need to reschedule", B(RESCHEDULE), B(BOOK)},
    {VA_EXPECT_ANY, "cancel my appointment", B(CANCEL), B(BOOK)},
    {VA_EXPECT_ANY, "I can't make it Tuesday", B(CANCEL), B(CORRECTION)},
    {VA_EXPECT_ANY, "do I have an appointment", B(CONFIRM_EXISTING), B(BOOK)},
    {VA_EXPECT_ANY, "when is my appointment", B(CONFIRM_EXISTING), B(BOOK)},
    {VA_EXPECT_ANY, "my tooth is killing me", B(EMERGENCY), 0},
    {VA_EXPECT_ANY, "my son's tooth got knocked out", B(EMERGENCY), 0},
    {VA_EXPECT_ANY, "my face is swollen", B(EMERGENCY), 0},
    {VA_EXPECT_ANY, "the bleeding won't stop", B(EMERGENCY), 0},
    {VA_EXPECT_ANY, "this is an emergency", B(EMERGENCY), 0},
    {VA_EXPECT_ANY, "what time do you open", B(ASK_HOURS), 0},
    {VA_EXPECT_ANY, "are you open Saturday", B(ASK_HOURS), B(BOOK)},
    {VA_EXPECT_ANY, "what are your hours", B(ASK_HOURS), 0},
    {VA_EXPECT_ANY, "where are you", B(ASK_LOCATION), 0},
    {VA_EXPECT_ANY, "what's your address", B(ASK_LOCATION), 0},
    {VA_EXPECT_ANY, "where are you located", B(ASK_LOCATION), 0},
    {VA_EXPECT_ANY, "do you take Delta Dental", B(ASK_INSURANCE), B(BOOK)},
    {VA_EXPECT_ANY, "is Cigna accepted", B(ASK_INSURANCE), 0},
    {VA_EXPECT_ANY, "what insurance do you accept", B(ASK_INSURANCE), 0},
    {VA_EXPECT_ANY, "can you take me tomorrow", 0, B(ASK_INSURANCE)},
    {VA_EXPECT_ANY, "how much is a cleaning", B(ASK_PRICES), B(BOOK)},
    {VA_EXPECT_ANY, "what does it cost", B(ASK_PRICES), 0},
    {VA_EXPECT_ANY, "I want to talk to a person", B(HUMAN), 0},
    {VA_EXPECT_ANY, "real person please", B(HUMAN), 0},
    {VA_EXPECT_ANY, "receptionist", B(HUMAN), 0},
    {VA_EXPECT_ANY, "operator", B(HUMAN), 0},
    {VA_EXPECT_ANY, "representative", B(HUMAN), 0},
    {VA_EXPECT_ANY, "can I speak to someone", B(HUMAN), 0},
    {VA_EXPECT_ANY, "can I come in person", B(BOOK), B(HUMAN)},
    {VA_EXPECT_ANY, "bye", B(GOODBYE), 0},
    {VA_EXPECT_ANY, "that's all", B(GOODBYE), 0},
    {VA_EXPECT_ANY, "no that's it thanks", B(GOODBYE) | B(THANKS), B(CORRECTION)},
    {VA_EXPECT_YES_NO, "yes", B(YES), B(NO)},
    {VA_EXPECT_YES_NO, "yeah", B(YES), 0},
    {VA_EXPECT_YES_NO, "yep", B(YES), 0},
    {VA_EXPECT_YES_NO, "sure", B(YES), B(DONT_KNOW)},
    {VA_EXPECT_YES_NO, "that works", B(YES), B(NO)},
    {VA_EXPECT_YES_NO, "sounds good", B(YES), 0},
    {VA_EXPECT_YES_NO, "correct", B(YES), 0},
    {VA_EXPECT_YES_NO, "perfect", B(YES), 0},
    {VA_EXPECT_YES_NO, "okay", B(YES), 0},
    {VA_EXPECT_YES_NO, "no", B(NO), B(YES) | B(CORRECTION)},
    {VA_EXPECT_YES_NO, "nope", B(NO), B(YES)},
    {VA_EXPECT_YES_NO, "not really", B(NO), B(YES)},
    {VA_EXPECT_YES_NO, "that doesn't work", B(NO), B(YES)},
    {VA_EXPECT_YES_NO, "that's not right", B(NO), B(YES)},
    {VA_EXPECT_YES_NO, "no, Wednesday", B(CORRECTION), B(YES)},
    {VA_EXPECT_ANY, "actually make it the afternoon", B(CORRECTION), 0},
    {VA_EXPECT_ANY, "I meant Thursday", B(CORRECTION), 0},
    {VA_EXPECT_ANY, "sorry, I said Thursday", B(CORRECTION), B(REPEAT)},
    {VA_EXPECT_ANY, "I'm not sure", B(DONT_KNOW), B(YES) | B(NO)},
    {VA_EXPECT_ANY, "I don't know", B(DONT_KNOW), B(NO)},
    {VA_EXPECT_ANY, "I know", 0, B(DONT_KNOW)},
    {VA_EXPECT_ANY, "sorry?", B(REPEAT), 0},
    {VA_EXPECT_ANY, "what was that", B(REPEAT), 0},
    {VA_EXPECT_ANY, "can you repeat that", B(REPEAT), 0},
    {VA_EXPECT_ANY, "what", B(REPEAT), 0},
    {VA_EXPECT_ANY, "thank you so much", B(THANKS), 0},
    {VA_EXPECT_YES_NO, "no problem", 0, B(NO)},
    {VA_EXPECT_ANY, "yes I'd like to cancel", B(YES) | B(CANCEL), B(NO)},
    {VA_EXPECT_ANY, "I don't want to cancel", 0, B(CANCEL)},
    {VA_EXPECT_ANY, "I don't want to book anything", 0, B(BOOK)},
    {VA_EXPECT_ANY, "it's not an emergency, just a cleaning", 0, B(EMERGENCY)},
};

static void test_intents(void **state)
{
	for (size_t i = 0; i < sizeof(intent_cases) / sizeof(intent_cases[0]); i++) {
		const struct intent_case *t = &intent_cases[i];
		struct va_understanding u;

		run(t->ex, t->text, &u);
		if ((u.intents & t->must) != t->must || (u.intents & t->must_not))
			print_error("intents for '%s': got 0x%x\n", t->text, u.intents);
		assert_int_equal(u.intents & t->must, t->must);
		assert_int_equal(u.intents & t->must_not, 0);
	}
}

struct str_case {
	enum va_expect ex;
	const char *text;
	const char *want; /* "" = nothing */
};

static const struct str_case name_cases[] = {
    {VA_EXPECT_ANY, "this is Jane Doe", "Jane Doe"},
    /* a name standing alone between commas */
    {VA_EXPECT_ANY, "Hi, Lou Reed, new patient, need a cleaning", "Lou Reed"},
    {VA_EXPECT_ANY, "an exam for my wife, Jane Chen, existing patient", "Jane Chen"},
    {VA_EXPECT_ANY, "yes, Delta Dental, thanks", ""},
    {VA_EXPECT_ANY, "ok, Monday Morning, works", ""},
    {VA_EXPECT_ANY, "Yes, Thank You, bye", ""},
    {VA_EXPECT_ANY, "Hello, Good Morning, I need a cleaning", ""},
    {VA_EXPECT_ANY, "my name is Jane Doe and I need a cleaning", "Jane Doe"},
    {VA_EXPECT_ANY, "my name's jane doe", "Jane Doe"},
    {VA_EXPECT_ANY, "It's Jane, Jane Doe", "Jane Doe"},
    {VA_EXPECT_ANY, "I'm John Smith", "John Smith"},
    {VA_EXPECT_ANY, "I'm calling about my appointment", ""},
    {VA_EXPECT_ANY, "I'm in pain", ""},
    {VA_EXPECT_ANY, "I'm a new patient", ""},
    {VA_EXPECT_ANY, "I'm not sure", ""},
    {VA_EXPECT_ANY, "I'm wondering about prices", ""},
    {VA_EXPECT_ANY, "it's killing me", ""},
    {VA_EXPECT_NAME, "D O E", "Doe"},
    {VA_EXPECT_NAME, "D-O-E", "Doe"},
    {VA_EXPECT_ANY, "It's Doe, d o e", "Doe"},
    {VA_EXPECT_ANY, "my name is Jane Doh, D O E", "Jane Doe"},
    {VA_EXPECT_NAME, "Jane Doe", "Jane Doe"},
    {VA_EXPECT_NAME, "jane", "Jane"},
    {VA_EXPECT_NAME, "mary-ann o'neil", "Mary-Ann O'Neil"},
    {VA_EXPECT_NAME, "it\xE2\x80\x99s Sean McDonald", "Sean McDonald"},
    {VA_EXPECT_NAME, "sure, Jane Doe", "Jane Doe"},
    {VA_EXPECT_NAME, "yes", ""},
    {VA_EXPECT_NAME, "no", ""},
    {VA_EXPECT_NAME, "cleaning", ""},
    {VA_EXPECT_NAME, "tomorrow", ""},
    {VA_EXPECT_NAME, "tuesday", ""},
    {VA_EXPECT_ANY, "Hi, yes, this is Sarah Connor, I need to cancel my appointment",
     "Sarah Connor"},
    {VA_EXPECT_ANY, "can I come in on May 5th", ""},
};

static void test_names(void **state)
{
	for (size_t i = 0; i < sizeof(name_cases) / sizeof(name_cases[0]); i++) {
		struct va_understanding u;

		run(name_cases[i].ex, name_cases[i].text, &u);
		if (strcmp(u.name, name_cases[i].want))
			print_error("name for '%s': '%s'\n", name_cases[i].text, u.name);
		assert_string_equal(u.name, name_cases[i].want);
	}
}

struct phone_case {
	enum va_expect ex;
	const char *text;
	const char *want;
	bool caller_id;
};

static const struct phone_case phone_cases[] = {
    {VA_EXPECT_ANY, "five five five one two three four five six seven", "5551234567", false},
    {VA_EXPECT_ANY, "my number is five five five oh one two three four five six", "5550123456",
     false},
    {VA_EXPECT_ANY, "double five five one two three four five six seven", "5551234567", false},
    {VA_EXPECT_ANY, "555 123 4567", "5551234567", false},
    {VA_EXPECT_ANY, "(555) 123-4567", "5551234567", false},
    {VA_EXPECT_ANY, "+1 555 123 4567", "5551234567", false},
    {VA_EXPECT_ANY, "call me at 555.867.5309", "5558675309", false},
    {VA_EXPECT_ANY, "it's 1-800-555-1234", "8005551234", false},
    {VA_EXPECT_ANY, "five five five one two one two", "5551212", false},
    {VA_EXPECT_PHONE, "five five five, um, eight six seven, five three oh nine", "5558675309",
     false},
    {VA_EXPECT_PHONE, "it's 555 dash 867 dash 5309", "5558675309", false},
    {VA_EXPECT_ANY, "my number is 555 1234 567 8", "", false},
    {VA_EXPECT_ANY, "I have 2 kids and 3 cats", "", false},
    {VA_EXPECT_ANY, "you can use this number", "", true},
    {VA_EXPECT_ANY, "the number I'm calling from", "", true},
    {VA_EXPECT_PHONE, "the one I'm calling from", "", true},
    {VA_EXPECT_ANY, "I'm calling from work", "", false},
};

static void test_phones(void **state)
{
	for (size_t i = 0; i < sizeof(phone_cases) / sizeof(phone_cases[0]); i++) {
		struct va_understanding u;

		run(phone_cases[i].ex, phone_cases[i].text, &u);
		if (strcmp(u.phone, phone_cases[i].want))
			print_error("phone for '%s': '%s'\n", phone_cases[i].text, u.phone);
		assert_string_equal(u.phone, phone_cases[i].want);
		assert_int_equal(u.phone_is_caller_id, phone_cases[i].caller_id);
	}
}

struct dob_case {
	enum va_expect ex;
	const char *text;
	int y, m, d;
};

static const struct dob_case dob_cases[] = {
    {VA_EXPECT_ANY, "born March 3rd 1985", 1985, 3, 3},
    {VA_EXPECT_ANY, "my birthday is 3/3/85", 1985, 3, 3},
    {VA_EXPECT_DOB, "03/03/1985", 1985, 3, 3},
    {VA_EXPECT_ANY, "March third nineteen eighty five is my birthday", 1985, 3, 3},
    {VA_EXPECT_DOB, "June 5 1990", 1990, 6, 5},
    {VA_EXPECT_DOB, "the fifth of June two thousand three", 2003, 6, 5},
    {VA_EXPECT_DOB, "12/25/05", 2005, 12, 25},
    {VA_EXPECT_DOB, "1/2/30", 1930, 1, 2},
    {VA_EXPECT_ANY, "my date of birth is July 4th 1976", 1976, 7, 4},
    {VA_EXPECT_DOB, "February 30 1990", 0, 0, 0},
    {VA_EXPECT_DOB, "February 29 2001", 0, 0, 0},
    {VA_EXPECT_DOB, "February 29 2000", 2000, 2, 29},
    {VA_EXPECT_DOB, "December 1 2030", 0, 0, 0},
    {VA_EXPECT_ANY, "can I come in December 3rd", 0, 0, 0},
};

static void test_dobs(void **state)
{
	for (size_t i = 0; i < sizeof(dob_cases) / sizeof(dob_cases[0]); i++) {
		const struct dob_case *t = &dob_cases[i];
		struct va_understanding u;

		run(t->ex, t->text, &u);
		if (u.dob_year != t->y || u.dob_month != t->m || u.dob_day != t->d)
			print_error("dob for '%s': %d-%d-%d\n", t->text, u.dob_year, u.dob_month,
				    u.dob_day);
		assert_int_equal(u.dob_year, t->y);
		assert_int_equal(u.dob_month, t->m);
		assert_int_equal(u.dob_day, t->d);
	}
}

static void test_dob_not_a_when(void **state)
{
	struct va_understanding u;

	run(VA_EXPECT_DOB, "June 5 1990", &u);
	assert_int_equal(u.when.kind, VA_WHEN_NONE);
	run(VA_EXPECT_ANY, "I was born March 3rd 1985 and I'd like to come in tomorrow", &u);
	assert_int_equal(u.dob_year, 1985);
	assert_int_equal(u.when.kind, VA_WHEN_WINDOW);
}

struct patient_case {
	enum va_expect ex;
	const char *text;
	enum va_patient_status want;
};

static const struct patient_case patient_cases[] = {
    {VA_EXPECT_ANY, "I'm a new patient", VA_PATIENT_NEW},
    {VA_EXPECT_ANY, "it's my first time", VA_PATIENT_NEW},
    {VA_EXPECT_ANY, "I've never been there", VA_PATIENT_NEW},
    {VA_EXPECT_ANY, "I haven't been there before", VA_PATIENT_NEW},
    {VA_EXPECT_ANY, "I've been there before", VA_PATIENT_EXISTING},
    {VA_EXPECT_ANY, "existing patient", VA_PATIENT_EXISTING},
    {VA_EXPECT_ANY, "I'm a patient of Dr. Patel", VA_PATIENT_EXISTING},
    {VA_EXPECT_ANY, "I'm already a patient", VA_PATIENT_EXISTING},
    {VA_EXPECT_ANY, "I'm not a new patient", VA_PATIENT_EXISTING},
    {VA_EXPECT_NEW_OR_EXISTING, "new", VA_PATIENT_NEW},
    {VA_EXPECT_NEW_OR_EXISTING, "existing", VA_PATIENT_EXISTING},
    {VA_EXPECT_NEW_OR_EXISTING, "yes I've been before", VA_PATIENT_EXISTING},
    {VA_EXPECT_ANY, "I need a new crown", VA_PATIENT_UNKNOWN},
};

static void test_patient(void **state)
{
	for (size_t i = 0; i < sizeof(patient_cases) / sizeof(patient_cases[0]); i++) {
		struct va_understanding u;

		run(patient_cases[i].ex, patient_cases[i].text, &u);
		if (u.patient != patient_cases[i].want)
			print_error("patient for '%s': %d\n", patient_cases[i].text, u.patient);
		assert_int_equal(u.patient, patient_cases[i].want);
	}
}

struct service_case {
	const char *text;
	enum va_service_kind want;
};

static const struct service_case service_cases[] = {
    {"I need my teeth cleaned", VA_SERVICE_CLEANING},
    {"cleaning", VA_SERVICE_CLEANING},
    {"I want to see the hygienist", VA_SERVICE_CLEANING},
    {"a checkup and cleaning", VA_SERVICE_CLEANING},
    {"I need a checkup", VA_SERVICE_EXAM},
    {"I need a check-up", VA_SERVICE_EXAM},
    {"just an exam", VA_SERVICE_EXAM},
    {"can someone look at my teeth", VA_SERVICE_EXAM},
    {"I'm a new patient and I'd like a checkup", VA_SERVICE_NEW_PATIENT_EXAM},
    {"I'm a new patient and I need a cleaning", VA_SERVICE_CLEANING},
    {"I think I have a cavity", VA_SERVICE_FILLING},
    {"I need a filling", VA_SERVICE_FILLING},
    {"there's a hole in my tooth", VA_SERVICE_FILLING},
    {"I need a crown", VA_SERVICE_CROWN},
    {"my crown fell off", VA_SERVICE_CROWN},
    {"I was told I need a root canal", VA_SERVICE_ROOT_CANAL},
    {"I need to get a tooth pulled", VA_SERVICE_EXTRACTION},
    {"I need a tooth taken out", VA_SERVICE_EXTRACTION},
    {"I want my wisdom tooth removed", VA_SERVICE_EXTRACTION},
    {"I need an extraction", VA_SERVICE_EXTRACTION},
    {"my tooth hurts really bad", VA_SERVICE_EMERGENCY},
    {"I want to whiten my teeth", VA_SERVICE_WHITENING},
    {"teeth whitening", VA_SERVICE_WHITENING},
    {"I'd like a brighter smile", VA_SERVICE_WHITENING},
    {"I'd like a consult", VA_SERVICE_CONSULTATION},
    {"I want to talk about implants", VA_SERVICE_CONSULTATION},
    {"I'm interested in veneers", VA_SERVICE_CONSULTATION},
    {"what about invisalign", VA_SERVICE_CONSULTATION},
    {"I need a cleaning for my son", VA_SERVICE_CHILD_VISIT},
    {"my daughter needs a checkup", VA_SERVICE_CHILD_VISIT},
    {"for my kid", VA_SERVICE_CHILD_VISIT},
    {"I don't need a cleaning", VA_SERVICE_NONE},
    {"hello", VA_SERVICE_NONE},
};

static void test_services(void **state)
{
	for (size_t i = 0; i < sizeof(service_cases) / sizeof(service_cases[0]); i++) {
		struct va_understanding u;

		run(VA_EXPECT_ANY, service_cases[i].text, &u);
		if (u.service != service_cases[i].want)
			print_error("service for '%s': %s\n", service_cases[i].text,
				    va_service_code(u.service));
		assert_int_equal(u.service, service_cases[i].want);
	}
}

struct symptom_case {
	enum va_expect ex;
	const char *text;
	uint32_t must, must_not;
	enum va_urgency urgency;
	int pain;
};

static const struct symptom_case symptom_cases[] = {
    {VA_EXPECT_ANY, "my tooth hurts", S(PAIN), 0, VA_URGENCY_URGENT, -1},
    {VA_EXPECT_ANY, "it hurts, it's an 8", S(PAIN), 0, VA_URGENCY_URGENT, 8},
    {VA_EXPECT_ANY, "the pain is 8 out of 10", S(PAIN), 0, VA_URGENCY_URGENT, 8},
    {VA_EXPECT_PAIN, "eight", S(PAIN), 0, VA_URGENCY_URGENT, 8},
    {VA_EXPECT_PAIN, "um probably a 6", S(PAIN), 0, VA_URGENCY_URGENT, 6},
    {VA_EXPECT_ANY, "it's an 8", 0, S(PAIN), VA_URGENCY_NONE, -1},
    {VA_EXPECT_ANY, "my cheek is swollen", S(SWELLING), S(SWELLING_EYE_OR_NECK), VA_URGENCY_URGENT,
     -1},
    {VA_EXPECT_ANY, "my gums are bleeding", S(BLEEDING), S(UNCONTROLLED_BLEEDING),
     VA_URGENCY_URGENT, -1},
    {VA_EXPECT_ANY, "my gums bleed when I brush", S(BLEEDING), 0, VA_URGENCY_NONE, -1},
    {VA_EXPECT_ANY, "my gums bleed when I floss and my tooth hurts", S(BLEEDING) | S(PAIN), 0,
     VA_URGENCY_URGENT, -1},
    {VA_EXPECT_ANY, "I chipped my tooth", S(BROKEN_TOOTH), 0, VA_URGENCY_URGENT, -1},
    {VA_EXPECT_ANY, "I cracked a tooth", S(BROKEN_TOOTH), 0, VA_URGENCY_URGENT, -1},
    {VA_EXPECT_ANY, "my tooth got knocked out", S(KNOCKED_OUT), 0, VA_URGENCY_URGENT, -1},
    {VA_EXPECT_ANY, "my filling fell out", S(LOST_FILLING_OR_CROWN), S(PAIN), VA_URGENCY_NONE, -1},
    {VA_EXPECT_ANY, "I have a fever", S(FEVER), S(HIGH_FEVER), VA_URGENCY_URGENT, -1},
    {VA_EXPECT_ANY, "I have a fever of 103", S(FEVER) | S(HIGH_FEVER), 0, VA_URGENCY_DANGER, -1},
    {VA_EXPECT_ANY, "fever of a hundred and three", S(HIGH_FEVER), 0, VA_URGENCY_DANGER, -1},
    {VA_EXPECT_ANY, "I'm having trouble breathing", S(TROUBLE_BREATHING), 0, VA_URGENCY_DANGER, -1},
    {VA_EXPECT_ANY, "it's hard to swallow", S(TROUBLE_SWALLOWING), 0, VA_URGENCY_DANGER, -1},
    {VA_EXPECT_ANY, "the swelling is spreading to my eye", S(SWELLING_EYE_OR_NECK), 0,
     VA_URGENCY_DANGER, -1},
    {VA_EXPECT_ANY, "I can't open my eye", S(SWELLING_EYE_OR_NECK), 0, VA_URGENCY_DANGER, -1},
    {VA_EXPECT_ANY, "my neck is swollen", S(SWELLING_EYE_OR_NECK), 0, VA_URGENCY_DANGER, -1},
    {VA_EXPECT_ANY, "the bleeding is uncontrolled", S(UNCONTROLLED_BLEEDING), 0, VA_URGENCY_DANGER,
     -1},
    {VA_EXPECT_ANY, "my gums are bleeding and it won't stop", S(UNCONTROLLED_BLEEDING), 0,
     VA_URGENCY_DANGER, -1},
    {VA_EXPECT_ANY, "he hit his head and passed out", S(HEAD_INJURY), 0, VA_URGENCY_DANGER, -1},
    {VA_EXPECT_ANY, "no fever", 0, S(FEVER), VA_URGENCY_NONE, -1},
    {VA_EXPECT_ANY, "it doesn't hurt", 0, S(PAIN), VA_URGENCY_NONE, -1},
    {VA_EXPECT_ANY, "no swelling", 0, S(SWELLING), VA_URGENCY_NONE, -1},
    {VA_EXPECT_ANY, "no trouble breathing or swallowing", 0,
     S(TROUBLE_BREATHING) | S(TROUBLE_SWALLOWING), VA_URGENCY_NONE, -1},
    {VA_EXPECT_ANY, "I can breathe fine", 0, S(TROUBLE_BREATHING), VA_URGENCY_NONE, -1},
};

static void test_symptoms(void **state)
{
	for (size_t i = 0; i < sizeof(symptom_cases) / sizeof(symptom_cases[0]); i++) {
		const struct symptom_case *t = &symptom_cases[i];
		struct va_understanding u;

		run(t->ex, t->text, &u);
		if ((u.symptoms & t->must) != t->must || (u.symptoms & t->must_not) ||
		    u.urgency != t->urgency || u.pain_level != t->pain)
			print_error("symptoms for '%s': 0x%x urgency %d pain %d\n", t->text,
				    u.symptoms, u.urgency, u.pain_level);
		assert_int_equal(u.symptoms & t->must, t->must);
		assert_int_equal(u.symptoms & t->must_not, 0);
		assert_int_equal(u.urgency, t->urgency);
		assert_int_equal(u.pain_level, t->pain);
	}
}

static const struct str_case insurance_cases[] = {
    {VA_EXPECT_ANY, "do you take Delta Dental", "Delta Dental"},
    {VA_EXPECT_ANY, "is Cigna accepted", "Cigna"},
    {VA_EXPECT_ANY, "I have Aetna", "Aetna"},
    {VA_EXPECT_ANY, "I have met life", "MetLife"},
    {VA_EXPECT_INSURANCE, "Guardian", "Guardian"},
    {VA_EXPECT_ANY, "I'm her legal guardian", ""},
    {VA_EXPECT_INSURANCE, "United Healthcare", "UnitedHealthcare"},
    {VA_EXPECT_INSURANCE, "UHC", "UnitedHealthcare"},
    {VA_EXPECT_INSURANCE, "Humana", "Humana"},
    {VA_EXPECT_ANY, "do you take Blue Cross Blue Shield", "Blue Cross Blue Shield"},
    {VA_EXPECT_ANY, "I have blue cross", "Blue Cross Blue Shield"},
    {VA_EXPECT_INSURANCE, "Ameritas", "Ameritas"},
    {VA_EXPECT_INSURANCE, "Principal", "Principal"},
    {VA_EXPECT_ANY, "I'm on Medicaid", "Medicaid"},
    {VA_EXPECT_ANY, "I don't have insurance", "none"},
    {VA_EXPECT_ANY, "no insurance", "none"},
    {VA_EXPECT_INSURANCE, "no", "none"},
    {VA_EXPECT_INSURANCE, "I have Sun Life", "Sun Life"},
    {VA_EXPECT_INSURANCE, "it's through Acme Benefits", "Acme Benefits"},
    {VA_EXPECT_INSURANCE, "I don't know", ""},
    {VA_EXPECT_ANY, "what insurance do you accept", ""},
};

static void test_insurance(void **state)
{
	for (size_t i = 0; i < sizeof(insurance_cases) / sizeof(insurance_cases[0]); i++) {
		struct va_understanding u;

		run(insurance_cases[i].ex, insurance_cases[i].text, &u);
		if (strcmp(u.insurance, insurance_cases[i].want))
			print_error("insurance for '%s': '%s'\n", insurance_cases[i].text,
				    u.insurance);
		assert_string_equal(u.insurance, insurance_cases[i].want);
	}
}

struct choice_case {
	enum va_expect ex;
	const char *text;
	int choice;
	char digit;
};

static const struct choice_case choice_cases[] = {
    {VA_EXPECT_CHOICE, "the first one", 1, 0},
    {VA_EXPECT_CHOICE, "the second", 2, 0},
    {VA_EXPECT_CHOICE, "the last one", VA_CHOICE_LAST, 0},
    {VA_EXPECT_CHOICE, "the earlier one", 1, 0},
    {VA_EXPECT_CHOICE, "the later one please", VA_CHOICE_LAST, 0},
    {VA_EXPECT_ANY, "option two", 2, 0},
    {VA_EXPECT_ANY, "number 2", 2, 0},
    {VA_EXPECT_ANY, "I'll take the third one", 3, 0},
    {VA_EXPECT_YES_NO, "press 1", 0, '1'},
    {VA_EXPECT_YES_NO, "one", 0, '1'},
    {VA_EXPECT_YES_NO, "1", 0, '1'},
    {VA_EXPECT_CHOICE, "two", 2, '2'},
    {VA_EXPECT_ANY, "one", 0, 0},
    {VA_EXPECT_ANY, "it's my first time", 0, 0},
    {VA_EXPECT_ANY, "wait a second", 0, 0},
};

static void test_choices(void **state)
{
	for (size_t i = 0; i < sizeof(choice_cases) / sizeof(choice_cases[0]); i++) {
		struct va_understanding u;

		run(choice_cases[i].ex, choice_cases[i].text, &u);
		if (u.choice != choice_cases[i].choice || u.digit != choice_cases[i].digit)
			print_error("choice for '%s': %d '%c'\n", choice_cases[i].text, u.choice,
				    u.digit ? u.digit : '-');
		assert_int_equal(u.choice, choice_cases[i].choice);
		assert_int_equal(u.digit, choice_cases[i].digit);
	}
}

static int64_t at(const char *iso)
{
	int64_t t = 0;

	assert_int_equal(va_iso8601_parse(iso, NULL, &t), VA_OK);
	return t;
}

/* A new time relative to the visit being moved. */
static void test_shifts(void **state)
{
	static const struct {
		const char *text;
		int64_t shift;
		bool same;
	} cases[] = {
	    {"can I push it back a week", 7 * 86400, false},
	    {"I need to move my cleaning two weeks later", 14 * 86400, false},
	    {"an hour earlier would be better", -3600, false},
	    {"could we move it up a day", -86400, false},
	    {"a couple of days later", 2 * 86400, false},
	    {"push it back by 3 days please", 3 * 86400, false},
	    {"same time the week after", 7 * 86400, true},
	    {"same time next week please", 0, true},
	    /* relative to today, not to the visit: no shift */
	    {"I can come in a week", 0, false},
	    {"the day after tomorrow", 0, false},
	    {"in two weeks", 0, false},
	    {"my tooth has hurt for a week", 0, false},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct va_understanding u;

		run(VA_EXPECT_ANY, cases[i].text, &u);
		if (u.shift_s != cases[i].shift || u.same_time != cases[i].same)
			print_error("shift for '%s': %lld %d\n", cases[i].text,
				    (long long)u.shift_s, u.same_time);
		assert_true(u.shift_s == cases[i].shift);
		assert_true(u.same_time == cases[i].same);
	}
}

static void test_one_sentence(void **state)
{
	struct va_understanding u;

	run(VA_EXPECT_ANY,
	    "Hi, I'm John Smith, I'm a new patient and I need a cleaning next Tuesday afternoon, "
	    "my number is 555 123 4567",
	    &u);
	assert_string_equal(u.name, "John Smith");
	assert_int_equal(u.patient, VA_PATIENT_NEW);
	assert_int_equal(u.service, VA_SERVICE_CLEANING);
	assert_string_equal(u.phone, "5551234567");
	assert_true(u.intents & B(BOOK));
	assert_int_equal(u.urgency, VA_URGENCY_NONE);
	assert_int_equal(u.when.kind, VA_WHEN_WINDOW);
	assert_true(u.when.start == at("2026-12-01T12:00:00-05:00"));
	assert_true(u.when.end == at("2026-12-01T17:00:00-05:00"));

	run(VA_EXPECT_ANY, "I'm John Smith and I need a cleaning next Tuesday afternoon", &u);
	assert_string_equal(u.name, "John Smith");
	assert_int_equal(u.when.kind, VA_WHEN_WINDOW);
	assert_true(u.when.start == at("2026-12-01T12:00:00-05:00"));
	assert_true(u.when.end == at("2026-12-01T17:00:00-05:00"));
}

static void test_when_span_set_aside(void **state)
{
	struct va_understanding u;

	/* "the 14th" is a date, not phone digits or a choice; "May" is not a name. */
	run(VA_EXPECT_ANY, "can I come in on the 14th", &u);
	assert_int_not_equal(u.when.kind, VA_WHEN_NONE);
	assert_int_equal(u.choice, 0);
	assert_string_equal(u.phone, "");
	run(VA_EXPECT_NAME, "May 5th", &u);
	assert_int_not_equal(u.when.kind, VA_WHEN_NONE);
	assert_string_equal(u.name, "");
	run(VA_EXPECT_ANY, "no, Wednesday", &u);
	assert_int_equal(u.when.kind, VA_WHEN_WINDOW);
	assert_true(u.intents & B(CORRECTION));
}

static void test_args_and_names(void **state)
{
	struct va_understanding u;

	assert_int_equal(va_understand("x", 1, VA_EXPECT_ANY, now_mon, ny, NULL), VA_E_INVAL);
	assert_int_equal(va_understand(NULL, 3, VA_EXPECT_ANY, now_mon, ny, &u), VA_E_INVAL);
	assert_int_equal(u.pain_level, -1);
	assert_int_equal(va_understand(NULL, 0, VA_EXPECT_ANY, now_mon, ny, &u), VA_OK);
	assert_int_equal(u.intents, 0);
	assert_int_equal(u.when.kind, VA_WHEN_NONE);
	/* Not NUL-terminated: only len bytes are read. */
	assert_int_equal(va_understand("yes I'm Jane Doexyz", 12, VA_EXPECT_ANY, now_mon, ny, &u),
			 VA_OK);
	assert_string_equal(u.name, "Jane");
	/* Without a zone the time is skipped, the rest still understood. */
	assert_int_equal(va_understand("cancel tomorrow", 15, VA_EXPECT_ANY, now_mon, NULL, &u),
			 VA_OK);
	assert_true(u.intents & B(CANCEL));
	assert_int_equal(u.when.kind, VA_WHEN_NONE);
	assert_string_equal(va_intent_name(VA_INTENT_DONT_KNOW), "dont_know");
	assert_string_equal(va_intent_name(VA_INTENT__COUNT), "unknown");
	assert_string_equal(va_symptom_name(VA_SYMPTOM_HEAD_INJURY), "head_injury");
	assert_string_equal(va_symptom_name((enum va_symptom) - 1), "unknown");
}

static void test_word_lists_sorted(void **state)
{
	for (size_t i = 1; i < N_OF(stopwords); i++)
		assert_true(strcmp(stopwords[i - 1], stopwords[i]) < 0);
	for (size_t i = 1; i < N_OF(negators); i++)
		assert_true(strcmp(negators[i - 1], negators[i]) < 0);
	for (size_t i = 1; i < N_OF(fillers); i++)
		assert_true(strcmp(fillers[i - 1], fillers[i]) < 0);
}

static void test_long_input(void **state)
{
	char big[4096];
	struct va_understanding u;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = "five Jane cancel 9 "[i % 19];
	assert_int_equal(va_understand(big, sizeof(big), VA_EXPECT_PHONE, now_mon, ny, &u), VA_OK);
	assert_true(strlen(u.phone) < sizeof(u.phone));
	assert_true(strlen(u.name) < sizeof(u.name));
	assert_true(u.intents & B(CANCEL));
}

/* Reported, not asserted: how long one typical turn takes. */
static void test_speed(void **state)
{
	const char *text = "Hi, I'm John Smith, I'm a new patient and I need a cleaning next "
			   "Tuesday afternoon, my number is 555 123 4567";
	struct va_understanding u;
	struct timespec a, b;
	const int n = 20000;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < n; i++)
		va_understand(text, strlen(text), VA_EXPECT_ANY, now_mon, ny, &u);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("# va_understand: %.1f us per 20-word utterance\n",
	       ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / n / 1e3);
	assert_string_equal(u.name, "John Smith");
}

/* Regressions found by probing the receptionist with real-sounding calls. */
static void test_probe_regressions(void **state)
{
	struct va_understanding u;

	run(VA_EXPECT_NAME, "Laurie March", &u);
	assert_string_equal(u.name, "Laurie March");
	run(VA_EXPECT_ANY, "I'm Jo March, existing patient", &u);
	assert_string_equal(u.name, "Jo March");
	assert_int_equal(u.patient, VA_PATIENT_EXISTING);
	run(VA_EXPECT_NAME, "ok never mind thanks", &u);
	assert_string_equal(u.name, "");
	assert_true(u.intents & VA_INTENT_BIT(VA_INTENT_GOODBYE));
	run(VA_EXPECT_ANY, "actually never mind, I'll call back later", &u);
	assert_true(u.intents & VA_INTENT_BIT(VA_INTENT_GOODBYE));
	run(VA_EXPECT_ANY, "can I speak to the dentist please", &u);
	assert_true(u.intents & VA_INTENT_BIT(VA_INTENT_HUMAN));
	run(VA_EXPECT_YES_NO, "go for it", &u);
	assert_true(u.intents & VA_INTENT_BIT(VA_INTENT_YES));
	run(VA_EXPECT_NAME, "hold on let me check my calendar", &u);
	assert_string_equal(u.name, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_probe_regressions),
	    cmocka_unit_test(test_shifts),
	    cmocka_unit_test(test_intents),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_phones),
	    cmocka_unit_test(test_dobs),
	    cmocka_unit_test(test_dob_not_a_when),
	    cmocka_unit_test(test_patient),
	    cmocka_unit_test(test_services),
	    cmocka_unit_test(test_symptoms),
	    cmocka_unit_test(test_insurance),
	    cmocka_unit_test(test_choices),
	    cmocka_unit_test(test_one_sentence),
	    cmocka_unit_test(test_when_span_set_aside),
	    cmocka_unit_test(test_args_and_names),
	    cmocka_unit_test(test_word_lists_sorted),
	    cmocka_unit_test(test_long_input),
	    cmocka_unit_test(test_speed),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
