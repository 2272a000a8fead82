/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/schedule/practice.c - the practice schedule of
 * src/schedule/practice.c: the demo practice and its holidays, defaults for
 * a bare practice, validation naming the field, look-ups, insurance
 * matching; and the appointment status names of src/schedule/appointment.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/err.h"
#include "core/tz.h"
#include "schedule/appointment.h"
#include "schedule/practice.h"

#include <stdio.h>
#include <string.h>

static const struct va_closure *find_closure(const struct va_practice *p, const char *reason,
					     int year)
{
	size_t i;

	for (i = 0; i < p->n_closures; i++) {
		if (strcmp(p->closures[i].reason, reason) == 0 && p->closures[i].year == year)
			return &p->closures[i];
	}
	return NULL;
}

static void test_demo_basics(void **state)
{
	struct va_practice p;
	const struct va_provider *v;
	char why[128];

	va_practice_demo(&p, 2026);
	assert_int_equal(va_practice_validate(&p, why, sizeof(why)), VA_OK);
	assert_string_equal(p.address, "120 Harbor Street, Portland, Maine 04101");
	assert_string_equal(p.phone, "+15555550100");
	/* Mon-Fri 8-17, Sat 9-13, Sun closed. */
	for (int d = 0; d < 5; d++) {
		assert_int_equal(p.hours[d].open_min, 480);
		assert_int_equal(p.hours[d].close_min, 1020);
	}
	assert_int_equal(p.hours[5].open_min, 540);
	assert_int_equal(p.hours[5].close_min, 780);
	assert_int_equal(p.hours[6].open_min, -1);
	assert_int_equal(p.min_lead_min, 60);
	assert_int_equal(p.slot_step_min, 15);
	assert_int_equal(p.hold_seconds, 300);

	assert_int_equal(p.n_providers, 4);
	v = va_practice_provider(&p, "dr-nguyen");
	assert_non_null(v);
	assert_string_equal(v->name, "Dr. Michael Nguyen");
	assert_int_equal(v->kind, VA_PROVIDER_DENTIST);
	assert_int_equal(v->hours[0].open_min, -1); /* not on Monday */
	assert_int_equal(v->hours[1].open_min, 480);
	assert_int_equal(v->hours[5].open_min, 540);
	assert_int_equal(v->hours[5].close_min, 780);
	assert_int_equal(v->hours[6].open_min, -1);
	v = va_practice_provider(&p, "hyg-brooks");
	assert_non_null(v);
	assert_int_equal(v->kind, VA_PROVIDER_HYGIENIST);
	assert_int_equal(v->hours[0].open_min, 480); /* Mon */
	assert_int_equal(v->hours[1].open_min, -1);  /* Tue */
	assert_int_equal(v->hours[2].open_min, 480); /* Wed */
	assert_int_equal(v->hours[3].open_min, -1);  /* Thu */
	assert_int_equal(v->hours[4].open_min, 480); /* Fri */
	assert_int_equal(v->hours[5].open_min, 540); /* Sat */
	v = va_practice_provider(&p, "dr-patel");
	assert_non_null(v);
	assert_string_equal(v->name, "Dr. Anita Patel");
	assert_int_equal(v->hours[5].open_min, -1);
	assert_non_null(va_practice_provider(&p, "hyg-garcia"));
	assert_null(va_practice_provider(&p, "dr-who"));
	assert_null(va_practice_provider(&p, NULL));

	assert_int_equal(p.n_services, 11);
	assert_int_equal(va_practice_service(&p, VA_SERVICE_CLEANING)->duration_min, 60);
	assert_int_equal(va_practice_service(&p, VA_SERVICE_CLEANING)->provider_kind,
			 VA_PROVIDER_HYGIENIST);
	assert_int_equal(va_practice_service(&p, VA_SERVICE_CHILD_VISIT)->duration_min, 45);
	assert_int_equal(va_practice_service(&p, VA_SERVICE_CHILD_VISIT)->provider_kind,
			 VA_PROVIDER_HYGIENIST);
	assert_int_equal(va_practice_service(&p, VA_SERVICE_NEW_PATIENT_EXAM)->duration_min, 90);
	assert_int_equal(va_practice_service(&p, VA_SERVICE_EMERGENCY)->duration_min, 30);
	assert_int_equal(va_practice_service(&p, VA_SERVICE_EMERGENCY)->provider_kind,
			 VA_PROVIDER_DENTIST);
	assert_int_equal(va_practice_service(&p, VA_SERVICE_ROOT_CANAL)->duration_min, 90);
	assert_null(va_practice_service(&p, VA_SERVICE_NONE));

	assert_int_equal(p.n_plans, 8);
	assert_string_equal(p.plans[0], "Delta Dental");
	assert_string_equal(p.plans[7], "Blue Cross Blue Shield");
}

static void test_demo_holidays(void **state)
{
	static const struct {
		const char *reason;
		int year, month, day;
	} want[] = {
	    {"New Year's Day", 2026, 1, 1},
	    {"Memorial Day", 2026, 5, 25},
	    {"Independence Day", 2026, 7, 4},
	    {"Labor Day", 2026, 9, 7},
	    {"Thanksgiving", 2026, 11, 26},
	    {"Day after Thanksgiving", 2026, 11, 27},
	    {"Christmas Eve", 2026, 12, 24},
	    {"Christmas Day", 2026, 12, 25},
	    {"New Year's Day", 2027, 1, 1},
	    {"Memorial Day", 2027, 5, 31},
	    {"Labor Day", 2027, 9, 6},
	    {"Thanksgiving", 2027, 11, 25},
	    {"Day after Thanksgiving", 2027, 11, 26},
	};
	struct va_practice p;
	const char *reason = NULL;
	size_t i;

	va_practice_demo(&p, 2026);
	assert_int_equal(p.n_closures, 16);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct va_closure *c = find_closure(&p, want[i].reason, want[i].year);

		assert_non_null(c);
		assert_int_equal(c->month, want[i].month);
		assert_int_equal(c->day, want[i].day);
		assert_true(va_practice_closed_on(&p, c->year, c->month, c->day, NULL));
	}
	/* Every year's rules as properties, over a few decades. */
	for (int y = 2024; y < 2060; y += 2) {
		const struct va_closure *c;

		va_practice_demo(&p, y);
		c = find_closure(&p, "Thanksgiving", y);
		assert_int_equal(va_civil_weekday(y, 11, c->day), 3);
		assert_true(c->day >= 22 && c->day <= 28);
		c = find_closure(&p, "Memorial Day", y + 1);
		assert_int_equal(va_civil_weekday(y + 1, 5, c->day), 0);
		assert_true(c->day + 7 > 31);
		c = find_closure(&p, "Labor Day", y);
		assert_int_equal(va_civil_weekday(y, 9, c->day), 0);
		assert_true(c->day <= 7);
	}

	va_practice_demo(&p, 2026);
	assert_true(va_practice_closed_on(&p, 2026, 11, 26, &reason));
	assert_string_equal(reason, "Thanksgiving");
	assert_false(va_practice_closed_on(&p, 2026, 11, 25, &reason));
	assert_false(va_practice_closed_on(&p, 2028, 11, 23, NULL)); /* beyond year + 1 */
}

static void test_fill_defaults(void **state)
{
	struct va_practice p, demo;
	char why[128];

	va_practice_demo(&demo, 2026);

	/* A zeroed struct, and one from va_practice_empty, both become working
	 * schedules: demo hours, providers and services, default rules. */
	memset(&p, 0, sizeof(p));
	va_practice_fill_defaults(&p, 2026);
	assert_int_equal(va_practice_validate(&p, why, sizeof(why)), VA_OK);
	assert_memory_equal(p.hours, demo.hours, sizeof(p.hours));
	assert_int_equal(p.n_providers, 4);
	assert_string_equal(p.providers[1].id, "dr-nguyen");
	assert_int_equal(p.n_services, 11);
	assert_int_equal(p.min_lead_min, 60);
	assert_int_equal(p.slot_step_min, 15);
	assert_int_equal(p.hold_seconds, 300);
	/* Never invented. */
	assert_int_equal(p.n_closures, 0);
	assert_int_equal(p.n_plans, 0);

	/* What was set stays. */
	va_practice_empty(&p);
	p.hours[2].open_min = 600;
	p.hours[2].close_min = 900;
	p.n_providers = 1;
	strcpy(p.providers[0].id, "dr-solo");
	p.providers[0].kind = VA_PROVIDER_DENTIST;
	memcpy(p.providers[0].hours, p.hours, sizeof(p.hours));
	p.n_services = 1;
	p.services[0].kind = VA_SERVICE_EXAM;
	p.services[0].duration_min = 20;
	p.services[0].provider_kind = VA_PROVIDER_DENTIST;
	p.slot_step_min = 30;
	p.min_lead_min = 120;
	va_practice_fill_defaults(&p, 2026);
	assert_int_equal(va_practice_validate(&p, why, sizeof(why)), VA_OK);
	assert_int_equal(p.hours[0].open_min, -1);
	assert_int_equal(p.hours[2].open_min, 600);
	assert_int_equal(p.n_providers, 1);
	assert_string_equal(p.providers[0].id, "dr-solo");
	assert_int_equal(p.n_services, 1);
	assert_int_equal(p.services[0].duration_min, 20);
	assert_int_equal(p.slot_step_min, 30);
	assert_int_equal(p.min_lead_min, 120);
	assert_int_equal(p.hold_seconds, 300);

	/* The demo is already complete: nothing changes. */
	p = demo;
	va_practice_fill_defaults(&p, 2030);
	assert_true(va_practice_equal(&p, &demo));
}

/* Applies one change to the demo practice and checks that validation names
 * the field. */
static void expect_invalid(void (*change)(struct va_practice *), const char *field)
{
	struct va_practice p;
	char why[160];

	va_practice_demo(&p, 2026);
	change(&p);
	assert_int_equal(va_practice_validate(&p, why, sizeof(why)), VA_E_INVAL);
	if (strncmp(why, field, strlen(field)) != 0 || why[strlen(field)] != ':')
		fail_msg("expected field %s, got \"%s\"", field, why);
}

static void open_after_close(struct va_practice *p)
{
	p->hours[0].open_min = 900;
	p->hours[0].close_min = 600;
}
static void hours_past_midnight(struct va_practice *p)
{
	p->hours[4].close_min = 1441;
}
static void half_closed(struct va_practice *p)
{
	p->hours[6].close_min = 600;
}
static void bad_provider_id(struct va_practice *p)
{
	strcpy(p->providers[1].id, "Dr Nguyen");
}
static void empty_provider_id(struct va_practice *p)
{
	p->providers[2].id[0] = '\0';
}
static void duplicate_provider(struct va_practice *p)
{
	strcpy(p->providers[3].id, "dr-patel");
}
static void provider_hours_bad(struct va_practice *p)
{
	p->providers[1].hours[1].close_min = 2000;
}
static void no_hygienist(struct va_practice *p)
{
	p->n_providers = 2; /* only the dentists: cleaning needs a hygienist */
}
static void odd_duration(struct va_practice *p)
{
	p->services[3].duration_min = 47;
}
static void long_duration(struct va_practice *p)
{
	p->services[0].duration_min = 485;
}
static void duplicate_service(struct va_practice *p)
{
	p->services[1].kind = VA_SERVICE_CLEANING;
}
static void bad_closure(struct va_practice *p)
{
	p->closures[2].month = 2;
	p->closures[2].day = 29; /* 2026 is not a leap year */
	p->closures[2].year = 2026;
}
static void bad_step(struct va_practice *p)
{
	p->slot_step_min = 25;
}
static void negative_lead(struct va_practice *p)
{
	p->min_lead_min = -5;
}
static void empty_plan(struct va_practice *p)
{
	p->plans[3][0] = '\0';
}

static void test_validate(void **state)
{
	struct va_practice p;
	char why[160];

	expect_invalid(open_after_close, "hours.mon");
	expect_invalid(hours_past_midnight, "hours.fri");
	expect_invalid(half_closed, "hours.sun");
	expect_invalid(bad_provider_id, "providers[1].id");
	expect_invalid(empty_provider_id, "providers[2].id");
	expect_invalid(duplicate_provider, "providers[3].id");
	expect_invalid(provider_hours_bad, "providers[1].hours.tue");
	expect_invalid(no_hygienist, "services[0].provider_kind");
	expect_invalid(odd_duration, "services[3].duration_min");
	expect_invalid(long_duration, "services[0].duration_min");
	expect_invalid(duplicate_service, "services[1].service");
	expect_invalid(bad_closure, "closures[2].date");
	expect_invalid(bad_step, "slot_step_min");
	expect_invalid(negative_lead, "min_lead_min");
	expect_invalid(empty_plan, "insurance[3]");

	/* Leap day is a real date in 2028; 24:00 closing is fine; every
	 * allowed step validates. */
	va_practice_demo(&p, 2026);
	p.closures[0].year = 2028;
	p.closures[0].month = 2;
	p.closures[0].day = 29;
	p.hours[4].close_min = 1440;
	assert_int_equal(va_practice_validate(&p, why, sizeof(why)), VA_OK);
	for (int step = 1; step <= 60; step++) {
		p.slot_step_min = step;
		assert_int_equal(va_practice_validate(&p, NULL, 0) == VA_OK,
				 step == 5 || step == 10 || step == 15 || step == 20 ||
				     step == 30 || step == 60);
	}
	/* A practice that books nothing is a mistake (an emptied list), not a
	 * configuration: refused, naming the list. */
	va_practice_empty(&p);
	p.slot_step_min = 15;
	p.hold_seconds = 300;
	assert_int_equal(va_practice_validate(&p, why, sizeof(why)), VA_E_INVAL);
	assert_non_null(strstr(why, "services"));
}

static void test_match_plan(void **state)
{
	static const struct {
		const char *said, *plan;
	} cases[] = {
	    {"Delta Dental", "Delta Dental"},
	    {"delta dental", "Delta Dental"},
	    {"delta", "Delta Dental"},
	    {"DELTA-DENTAL", "Delta Dental"},
	    {"Delta Dental PPO", "Delta Dental"},
	    {"I have delta dental", "Delta Dental"},
	    {"cigna", "Cigna"},
	    {"Cigna Dental", "Cigna"},
	    {"aetna.", "Aetna"},
	    {"met life", "MetLife"},
	    {"Metlife", "MetLife"},
	    {"guardian", "Guardian"},
	    {"united healthcare", "UnitedHealthcare"},
	    {"United Health Care", "UnitedHealthcare"},
	    {"united", "UnitedHealthcare"},
	    {"UHC", "UnitedHealthcare"},
	    {"humana", "Humana"},
	    {"blue cross", "Blue Cross Blue Shield"},
	    {"Blue Cross Blue Shield", "Blue Cross Blue Shield"},
	    {"blue cross and blue shield", "Blue Cross Blue Shield"},
	    {"BCBS", "Blue Cross Blue Shield"},
	    {"bcbs of illinois", "Blue Cross Blue Shield"},
	    {"Kaiser", NULL},
	    {"united concordia", NULL},
	    {"medicaid", NULL},
	    {"del", NULL}, /* too short to be sure */
	    {"", NULL},
	    {"   ", NULL},
	    {"dental", NULL},
	};
	struct va_practice p;
	size_t i;

	va_practice_demo(&p, 2026);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = va_practice_match_plan(&p, cases[i].said);

		if (cases[i].plan == NULL && got != NULL)
			fail_msg("\"%s\" matched %s, expected none", cases[i].said, got);
		if (cases[i].plan != NULL && (got == NULL || strcmp(got, cases[i].plan) != 0))
			fail_msg("\"%s\" matched %s, expected %s", cases[i].said,
				 got ? got : "(none)", cases[i].plan);
	}
	assert_null(va_practice_match_plan(&p, NULL));
	/* The plan comes back as the practice spells it, and a plan the
	 * practice does not accept is not matched through an alias. */
	p.n_plans = 1;
	strcpy(p.plans[0], "Cigna Dental PPO");
	assert_string_equal(va_practice_match_plan(&p, "cigna"), "Cigna Dental PPO");
	assert_null(va_practice_match_plan(&p, "uhc"));
}

static void test_equal(void **state)
{
	struct va_practice a, b;

	va_practice_demo(&a, 2026);
	va_practice_demo(&b, 2026);
	/* Bytes past a terminator do not count... */
	memset(b.providers[0].name + strlen(b.providers[0].name) + 1, 'x', 4);
	assert_true(va_practice_equal(&a, &b));
	/* ...values do. */
	b.providers[0].hours[2].close_min = 1000;
	assert_false(va_practice_equal(&a, &b));
	va_practice_demo(&b, 2027);
	assert_false(va_practice_equal(&a, &b));
}

static void test_appointment_status(void **state)
{
	enum va_appt_status s;
	int i;

	for (i = 0; i < VA_APPT__COUNT; i++) {
		assert_int_equal(va_appt_status_parse(va_appt_status_name(i), &s), VA_OK);
		assert_int_equal(s, i);
	}
	assert_string_equal(va_appt_status_name(VA_APPT_NO_SHOW), "no-show");
	assert_string_equal(va_appt_status_name(VA_APPT_BOOKED), "booked");
	assert_string_equal(va_appt_status_name(VA_APPT__COUNT), "unknown");
	assert_int_equal(va_appt_status_parse("Booked", &s), VA_E_INVAL);
	assert_int_equal(va_appt_status_parse("", &s), VA_E_INVAL);
	assert_int_equal(va_appt_status_parse(NULL, &s), VA_E_INVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_demo_basics),	       cmocka_unit_test(test_demo_holidays),
	    cmocka_unit_test(test_fill_defaults),      cmocka_unit_test(test_validate),
	    cmocka_unit_test(test_match_plan),	       cmocka_unit_test(test_equal),
	    cmocka_unit_test(test_appointment_status),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
