/* SPDX-License-Identifier: MIT */
/*
 * practice.h - what the scheduler knows of a practice: opening hours per
 * weekday, closures, providers with their own hours, the services it books
 * with their durations and provider kind, the insurance plans it accepts,
 * its address and phone, and booking rules (lead time, slot step, how long an
 * offered slot is held). Plain fixed-size data: copyable by value.
 *
 * Times of day are minutes after local midnight in the practice's time zone;
 * weekday index 0 = Monday .. 6 = Sunday.
 */
#ifndef VA_SCHEDULE_PRACTICE_H
#define VA_SCHEDULE_PRACTICE_H

#include "schedule/service.h"

#include <stdbool.h>
#include <stddef.h>

#define VA_PRACTICE_MAX_PROVIDERS 16
#define VA_PRACTICE_MAX_SERVICES  VA_SERVICE__COUNT
#define VA_PRACTICE_MAX_CLOSURES  64
#define VA_PRACTICE_MAX_PLANS	  32

#define VA_PRACTICE_DEFAULT_LEAD_MIN	 60
#define VA_PRACTICE_DEFAULT_STEP_MIN	 15
#define VA_PRACTICE_DEFAULT_HOLD_SECONDS 300
#define VA_PRACTICE_MAX_LEAD_MIN	 (14 * 24 * 60)

/* A closed day is exactly {-1, -1}; an open one has 0 <= open < close <= 1440. */
struct va_hours {
	int open_min;  /* -1 = closed that day */
	int close_min; /* exclusive */
};

struct va_provider {
	char id[32];   /* stable, e.g. "dr-patel" */
	char name[64]; /* "Dr. Anita Patel" */
	enum va_provider_kind kind;
	struct va_hours hours[7]; /* within the practice's hours */
};

struct va_service_def {
	enum va_service_kind kind;
	int duration_min;
	enum va_provider_kind provider_kind;
};

struct va_closure {
	int year, month, day; /* a whole local day */
	char reason[64];      /* "Thanksgiving" */
};

struct va_practice {
	char address[200];
	char phone[32];
	struct va_hours hours[7];
	size_t n_providers;
	struct va_provider providers[VA_PRACTICE_MAX_PROVIDERS];
	size_t n_services;
	struct va_service_def services[VA_PRACTICE_MAX_SERVICES];
	size_t n_closures;
	struct va_closure closures[VA_PRACTICE_MAX_CLOSURES];
	size_t n_plans;
	char plans[VA_PRACTICE_MAX_PLANS][48]; /* accepted insurance carriers */
	int min_lead_min;		       /* no booking sooner than now + this (default 60) */
	int slot_step_min;		       /* slot starts on multiples of this (default 15) */
	int hold_seconds;		       /* an offered slot is held this long (default 300) */
};

/* An empty practice: every day closed, no providers, services, closures or
 * plans, zero lead/step/hold (which va_practice_fill_defaults replaces). */
void va_practice_empty(struct va_practice *p);
/* The demo practice's schedule (Bright Smile Dental, Portland, Maine):
 * Mon-Fri 8-17, Sat 9-13, two dentists (dr-patel Mon-Fri, dr-nguyen Tue-Sat)
 * and two hygienists (hyg-garcia Mon-Fri, hyg-brooks Mon/Wed/Fri/Sat), every
 * service with the defaults of ../shared/reference/dental.md §6.1, the usual
 * US holiday closures of year and year + 1, eight common insurance plans. */
void va_practice_demo(struct va_practice *p, int year);
/* Fills what a partial practice left empty from the demo practice, so a bare
 * practice works: no open day -> the demo hours; no providers -> the demo
 * providers; no services -> the demo services; lead, step or hold of 0 ->
 * 60 min, 15 min, 300 s. Everything set is kept. Closures and insurance plans
 * are never invented: a practice that lists none has none. (year is kept for
 * callers; the defaults filled here do not depend on it.) */
void va_practice_fill_defaults(struct va_practice *p, int year);
/* Checks every rule the scheduler relies on: hours in 0..1440 with open <
 * close (or exactly {-1,-1}), provider ids [a-z0-9_-]{1,31} and unique,
 * services known, listed once, 5..480 min in multiples of 5, with at least
 * one provider of the kind they need; closures real dates; step one of 5, 10,
 * 15, 20, 30, 60; lead 0..14 days; hold 10..3600 s; strings terminated.
 * VA_E_INVAL with "field: reason" in why (field as in the JSON document,
 * e.g. "providers[1].hours.tue"). */
int va_practice_validate(const struct va_practice *p, char *why, size_t whysz);
/* Field-by-field equality (ignores bytes past a string's NUL and unused
 * array slots, which memcmp would not). */
bool va_practice_equal(const struct va_practice *a, const struct va_practice *b);

/* Borrowed pointers into p (or static data); NULL when absent. */
const struct va_service_def *va_practice_service(const struct va_practice *p,
						 enum va_service_kind k);
const struct va_provider *va_practice_provider(const struct va_practice *p, const char *id);
/* The demo practice's definition of a service (duration, provider kind). */
const struct va_service_def *va_practice_default_service(enum va_service_kind k);
/* True when the local date is a closure; *reason (may be NULL) borrows its
 * reason. */
bool va_practice_closed_on(const struct va_practice *p, int year, int month, int day,
			   const char **reason);
/* Case-insensitive fuzzy match of a spoken carrier ("delta dental",
 * "Delta", "UHC", "bcbs") against the accepted plans, ignoring spaces and
 * punctuation; returns the plan as configured, or NULL when the carrier is
 * not accepted. */
const char *va_practice_match_plan(const struct va_practice *p, const char *spoken);
/* "mon".."sun" for 0..6, "" otherwise: the keys of the JSON hours objects. */
const char *va_practice_day_key(int wday);

#endif
