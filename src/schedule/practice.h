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

struct va_hours {
	int open_min;  /* -1 = closed that day */
	int close_min; /* exclusive */
};

struct va_provider {
	char id[32];	/* stable, e.g. "dr-patel" */
	char name[64];	/* "Dr. Anita Patel" */
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
	int min_lead_min;  /* no booking sooner than now + this (default 60) */
	int slot_step_min; /* slot starts on multiples of this (default 15) */
	int hold_seconds;  /* an offered slot is held this long (default 300) */
};

/* The demo practice's schedule (Bright Smile Dental): Mon-Fri 8-17, Sat 9-13,
 * two dentists, two hygienists, every service with the defaults of
 * ../shared/reference/dental.md, US holidays of the next 12 months from the
 * given year as closures, common insurance plans. */
void va_practice_demo(struct va_practice *p, int year);
/* Fills what a partial practice left empty (no hours, providers or services)
 * from the demo practice, so a bare practice works. */
void va_practice_fill_defaults(struct va_practice *p, int year);
/* VA_E_INVAL with the field and reason in why. */
int va_practice_validate(const struct va_practice *p, char *why, size_t whysz);

const struct va_service_def *va_practice_service(const struct va_practice *p,
						 enum va_service_kind k);
const struct va_provider *va_practice_provider(const struct va_practice *p, const char *id);
bool va_practice_closed_on(const struct va_practice *p, int year, int month, int day,
			   const char **reason);
/* Case-insensitive fuzzy match of a spoken carrier ("delta dental",
 * "Delta") against the accepted plans; returns the plan or NULL. */
const char *va_practice_match_plan(const struct va_practice *p, const char *spoken);

#endif
