/* SPDX-License-Identifier: MIT */
/*
 * understand.h - what a caller's utterance means for a dental front desk:
 * intents (several may hold at once) and the details a booking needs, all in
 * one pass over the text. Deterministic, allocation-free, pure.
 *
 * The receptionist passes what it just asked (expect), so a bare answer is
 * read the right way: "Jane Doe" is a name after "may I have your name?",
 * "five five five one two one two" a phone number after "what number?".
 */
#ifndef VA_NLU_UNDERSTAND_H
#define VA_NLU_UNDERSTAND_H

#include "core/tz.h"
#include "nlu/when.h"
#include "schedule/service.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VA_INTENT_MAP(X)                                                                           \
	X(BOOK, "book")                                                                            \
	X(RESCHEDULE, "reschedule")                                                                \
	X(CANCEL, "cancel")                                                                        \
	X(CONFIRM_EXISTING, "confirm_existing") /* "do I have an appointment?" */                  \
	X(EMERGENCY, "emergency")                                                                  \
	X(ASK_HOURS, "ask_hours")                                                                  \
	X(ASK_LOCATION, "ask_location")                                                            \
	X(ASK_INSURANCE, "ask_insurance")                                                          \
	X(ASK_PRICES, "ask_prices")                                                                \
	X(HUMAN, "human")                                                                          \
	X(GOODBYE, "goodbye")                                                                      \
	X(YES, "yes")                                                                              \
	X(NO, "no")                                                                                \
	X(CORRECTION, "correction") /* "no, Wednesday", "actually make it..." */                   \
	X(DONT_KNOW, "dont_know")                                                                  \
	X(REPEAT, "repeat") /* "sorry, what?", "say that again" */                                 \
	X(THANKS, "thanks")

enum va_intent {
#define VA__INTENT_ENUM(id, name) VA_INTENT_##id,
	VA_INTENT_MAP(VA__INTENT_ENUM)
#undef VA__INTENT_ENUM
	    VA_INTENT__COUNT
};

#define VA_INTENT_BIT(i) (1u << (i))

/* What the receptionist asked last. */
enum va_expect {
	VA_EXPECT_ANY = 0,
	VA_EXPECT_NAME,
	VA_EXPECT_PHONE,
	VA_EXPECT_DOB,
	VA_EXPECT_NEW_OR_EXISTING,
	VA_EXPECT_SERVICE,
	VA_EXPECT_TIME,
	VA_EXPECT_YES_NO, /* a confirmation */
	VA_EXPECT_CHOICE, /* one of the offered times ("the first one", "2:30") */
	VA_EXPECT_PAIN,	  /* triage: pain level / symptoms */
	VA_EXPECT_INSURANCE,
};

enum va_patient_status { VA_PATIENT_UNKNOWN = 0, VA_PATIENT_NEW, VA_PATIENT_EXISTING };

#define VA_SYMPTOM_MAP(X)                                                                          \
	X(PAIN, "pain")                                                                            \
	X(SWELLING, "swelling")                                                                    \
	X(BLEEDING, "bleeding")                                                                    \
	X(BROKEN_TOOTH, "broken_tooth")                                                            \
	X(KNOCKED_OUT, "knocked_out")                                                              \
	X(LOST_FILLING_OR_CROWN, "lost_filling_or_crown")                                          \
	X(FEVER, "fever")                                                                          \
	X(TROUBLE_BREATHING, "trouble_breathing")	  /* danger sign */                        \
	X(TROUBLE_SWALLOWING, "trouble_swallowing")	  /* danger sign */                        \
	X(SWELLING_EYE_OR_NECK, "swelling_eye_or_neck")	  /* danger sign */                        \
	X(UNCONTROLLED_BLEEDING, "uncontrolled_bleeding") /* danger sign */                        \
	X(HIGH_FEVER, "high_fever")			  /* danger sign */                        \
	X(HEAD_INJURY, "head_injury")			  /* danger sign */

enum va_symptom {
#define VA__SYMPTOM_ENUM(id, name) VA_SYMPTOM_##id,
	VA_SYMPTOM_MAP(VA__SYMPTOM_ENUM)
#undef VA__SYMPTOM_ENUM
	    VA_SYMPTOM__COUNT
};

/* choice for "the last one": the caller of va_understand knows how many
 * options it offered. */
#define VA_CHOICE_LAST (-1)

enum va_urgency {
	VA_URGENCY_NONE = 0,
	VA_URGENCY_URGENT, /* same or next day */
	VA_URGENCY_DANGER, /* call 911 / go to the ER now */
};

struct va_understanding {
	uint32_t intents;		  /* VA_INTENT_BIT(...) */
	char name[96];			  /* "Jane Doe"; "" when not said */
	char phone[24];			  /* digits only, "5551234567" (10) or with country code */
	bool phone_is_caller_id;	  /* "this number", "the one I'm calling from" */
	int dob_year, dob_month, dob_day; /* 0 when not said */
	enum va_patient_status patient;
	enum va_service_kind service;
	uint32_t symptoms; /* 1u << enum va_symptom */
	enum va_urgency urgency;
	int pain_level;	     /* 0-10, -1 when not said */
	char insurance[48];  /* carrier as said ("Delta Dental"); "" when none */
	struct va_when when; /* kind VA_WHEN_NONE when no time was said */
	int choice;	     /* 1-based pick among offered options ("the second one"), 0 none */
	char digit;	     /* a keypad digit spoken or pressed, 0 none */
	/* A move relative to the visit being changed: "push it back a week"
	 * (shift_s = 7 days), "an hour earlier" (-3600), "same time next
	 * week" (same_time, with the day(s) in when). Only a reschedule uses
	 * it; when keeps what the date parser read. */
	int64_t shift_s;
	bool same_time;
};

/* Understands text (len bytes, need not be NUL-terminated). Always fills
 * *out; returns VA_OK, or VA_E_INVAL for bad arguments. */
int va_understand(const char *text, size_t len, enum va_expect expect, int64_t now,
		  const struct va_tz *tz, struct va_understanding *out);

const char *va_intent_name(enum va_intent i);
const char *va_symptom_name(enum va_symptom s);

#endif
