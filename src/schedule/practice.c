/* SPDX-License-Identifier: MIT */
/*
 * practice.c - the demo practice, defaults for a partly configured one,
 * validation, and the look-ups the scheduler and the receptionist make
 * (service, provider, closure, accepted insurance). Pure: no allocation, no
 * I/O, no logging; the only clock is the year the caller passes in.
 */
#include "schedule/practice.h"
#include "core/alloc.h"
#include "core/err.h"
#include "core/tz.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define COPY(dst, src) ((void)va_strlcpy((dst), (src), sizeof(dst)))
#define COUNT(a)       (sizeof(a) / sizeof((a)[0]))

static const char *const day_keys[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

/* dental.md §6.1 "practical defaults"; hygiene visits go to hygienists. */
static const struct va_service_def demo_services[] = {
    {VA_SERVICE_CLEANING, 60, VA_PROVIDER_HYGIENIST},
    {VA_SERVICE_EXAM, 30, VA_PROVIDER_DENTIST},
    {VA_SERVICE_NEW_PATIENT_EXAM, 90, VA_PROVIDER_DENTIST},
    {VA_SERVICE_FILLING, 60, VA_PROVIDER_DENTIST},
    {VA_SERVICE_CROWN, 90, VA_PROVIDER_DENTIST},
    {VA_SERVICE_ROOT_CANAL, 90, VA_PROVIDER_DENTIST},
    {VA_SERVICE_EXTRACTION, 60, VA_PROVIDER_DENTIST},
    {VA_SERVICE_EMERGENCY, 30, VA_PROVIDER_DENTIST},
    {VA_SERVICE_WHITENING, 90, VA_PROVIDER_DENTIST},
    {VA_SERVICE_CONSULTATION, 30, VA_PROVIDER_DENTIST},
    {VA_SERVICE_CHILD_VISIT, 45, VA_PROVIDER_HYGIENIST},
};

static const char *const demo_plans[] = {
    "Delta Dental",	      "Cigna", "Aetna", "MetLife", "Guardian", "UnitedHealthcare", "Humana",
    "Blue Cross Blue Shield",
};

/* Which days of the week (bit 0 = Monday) each demo provider works; on those
 * days they work the practice's full hours. */
static const struct {
	const char *id, *name;
	enum va_provider_kind kind;
	unsigned days;
} demo_providers[] = {
    {"dr-patel", "Dr. Anita Patel", VA_PROVIDER_DENTIST, 0x1f},
    {"dr-nguyen", "Dr. Michael Nguyen", VA_PROVIDER_DENTIST, 0x3e},
    {"hyg-garcia", "Maria Garcia", VA_PROVIDER_HYGIENIST, 0x1f},
    {"hyg-brooks", "Emily Brooks", VA_PROVIDER_HYGIENIST, 0x35},
};

const char *va_practice_day_key(int wday)
{
	return wday >= 0 && wday < 7 ? day_keys[wday] : "";
}

static void demo_hours(struct va_hours h[7])
{
	int d;

	for (d = 0; d < 5; d++) {
		h[d].open_min = 8 * 60;
		h[d].close_min = 17 * 60;
	}
	h[5].open_min = 9 * 60;
	h[5].close_min = 13 * 60;
	h[6].open_min = -1;
	h[6].close_min = -1;
}

static void demo_provider_list(struct va_practice *p)
{
	struct va_hours week[7];
	size_t i;
	int d;

	demo_hours(week);
	memset(p->providers, 0, sizeof(p->providers));
	for (i = 0; i < COUNT(demo_providers); i++) {
		struct va_provider *v = &p->providers[i];

		COPY(v->id, demo_providers[i].id);
		COPY(v->name, demo_providers[i].name);
		v->kind = demo_providers[i].kind;
		for (d = 0; d < 7; d++) {
			if (demo_providers[i].days & (1u << d)) {
				v->hours[d] = week[d];
			} else {
				v->hours[d].open_min = -1;
				v->hours[d].close_min = -1;
			}
		}
	}
	p->n_providers = COUNT(demo_providers);
}

static void demo_service_list(struct va_practice *p)
{
	memset(p->services, 0, sizeof(p->services));
	memcpy(p->services, demo_services, sizeof(demo_services));
	p->n_services = COUNT(demo_services);
}

const struct va_service_def *va_practice_default_service(enum va_service_kind k)
{
	size_t i;

	for (i = 0; i < COUNT(demo_services); i++) {
		if (demo_services[i].kind == k)
			return &demo_services[i];
	}
	return NULL;
}

/* The n-th (1-based) weekday wd of a month; n = -1 for the last one. */
static int nth_weekday(int year, int month, int wd, int n)
{
	int first = va_civil_weekday(year, month, 1), day;

	if (n > 0)
		return 1 + (wd - first + 7) % 7 + 7 * (n - 1);
	day = va_civil_days_in_month(year, month);
	return day - (va_civil_weekday(year, month, day) - wd + 7) % 7;
}

static void add_closure(struct va_practice *p, int y, int m, int d, const char *reason)
{
	struct va_closure *c;

	if (p->n_closures >= VA_PRACTICE_MAX_CLOSURES)
		return;
	c = &p->closures[p->n_closures++];
	memset(c, 0, sizeof(*c));
	c->year = y;
	c->month = m;
	c->day = d;
	COPY(c->reason, reason);
}

/* The holidays a US practice usually closes for, in date order. Observed
 * weekday shifts are left out on purpose: a Saturday holiday simply falls on
 * a day the demo practice is open only in the morning anyway. */
static void add_holidays(struct va_practice *p, int y)
{
	int thanks = nth_weekday(y, 11, 3, 4);

	add_closure(p, y, 1, 1, "New Year's Day");
	add_closure(p, y, 5, nth_weekday(y, 5, 0, -1), "Memorial Day");
	add_closure(p, y, 7, 4, "Independence Day");
	add_closure(p, y, 9, nth_weekday(y, 9, 0, 1), "Labor Day");
	add_closure(p, y, 11, thanks, "Thanksgiving");
	/* The fourth Thursday is the 22nd..28th, so Friday stays in November. */
	add_closure(p, y, 11, thanks + 1, "Day after Thanksgiving");
	add_closure(p, y, 12, 24, "Christmas Eve");
	add_closure(p, y, 12, 25, "Christmas Day");
}

void va_practice_empty(struct va_practice *p)
{
	int d;

	memset(p, 0, sizeof(*p));
	for (d = 0; d < 7; d++) {
		p->hours[d].open_min = -1;
		p->hours[d].close_min = -1;
	}
}

void va_practice_demo(struct va_practice *p, int year)
{
	size_t i;

	va_practice_empty(p);
	COPY(p->address, "120 Harbor Street, Portland, Maine 04101");
	COPY(p->phone, "+15555550100");
	demo_hours(p->hours);
	demo_provider_list(p);
	demo_service_list(p);
	add_holidays(p, year);
	add_holidays(p, year + 1);
	for (i = 0; i < COUNT(demo_plans); i++)
		COPY(p->plans[i], demo_plans[i]);
	p->n_plans = COUNT(demo_plans);
	p->min_lead_min = VA_PRACTICE_DEFAULT_LEAD_MIN;
	p->slot_step_min = VA_PRACTICE_DEFAULT_STEP_MIN;
	p->hold_seconds = VA_PRACTICE_DEFAULT_HOLD_SECONDS;
}

static bool hours_open(const struct va_hours *h)
{
	return h->open_min >= 0 && h->open_min < h->close_min;
}

void va_practice_fill_defaults(struct va_practice *p, int year)
{
	bool any_open = false;
	int d;

	(void)year; /* closures are never invented for a practice: see practice.h */
	for (d = 0; d < 7; d++)
		any_open |= hours_open(&p->hours[d]);
	if (!any_open)
		demo_hours(p->hours);
	if (p->n_providers == 0)
		demo_provider_list(p);
	if (p->n_services == 0)
		demo_service_list(p);
	if (p->min_lead_min == 0)
		p->min_lead_min = VA_PRACTICE_DEFAULT_LEAD_MIN;
	if (p->slot_step_min == 0)
		p->slot_step_min = VA_PRACTICE_DEFAULT_STEP_MIN;
	if (p->hold_seconds == 0)
		p->hold_seconds = VA_PRACTICE_DEFAULT_HOLD_SECONDS;
}

static int fail(char *why, size_t whysz, const char *field, const char *reason)
{
	if (why && whysz)
		snprintf(why, whysz, "%s: %s", field, reason);
	return VA_E_INVAL;
}

static bool has_alnum(const char *s)
{
	for (; *s; s++) {
		if (isalnum((unsigned char)*s) && (unsigned char)*s < 0x80)
			return true;
	}
	return false;
}

static bool terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

/* A closed day is exactly {-1, -1} so that a practice has one spelling of
 * "closed" and its JSON form reads back as the same struct. */
static int check_hours(const struct va_hours h[7], const char *prefix, char *why, size_t whysz)
{
	char field[64];
	int d;

	for (d = 0; d < 7; d++) {
		snprintf(field, sizeof(field), "%s%s", prefix, day_keys[d]);
		if (h[d].open_min == -1 && h[d].close_min == -1)
			continue;
		if (h[d].open_min < 0 || h[d].open_min > 1440 || h[d].close_min < 0 ||
		    h[d].close_min > 1440)
			return fail(why, whysz, field, "times must be between 00:00 and 24:00");
		if (h[d].open_min >= h[d].close_min)
			return fail(why, whysz, field, "must open before it closes");
	}
	return VA_OK;
}

static bool valid_id(const char *id, size_t size)
{
	size_t n;

	if (!terminated(id, size))
		return false;
	n = strlen(id);
	if (n < 1 || n > 31)
		return false;
	for (; *id; id++) {
		if (!((*id >= 'a' && *id <= 'z') || (*id >= '0' && *id <= '9') || *id == '_' ||
		      *id == '-'))
			return false;
	}
	return true;
}

static int check_providers(const struct va_practice *p, char *why, size_t whysz)
{
	char field[64];
	size_t i, j;
	int rc;

	if (p->n_providers > VA_PRACTICE_MAX_PROVIDERS)
		return fail(why, whysz, "providers", "too many (at most 16)");
	for (i = 0; i < p->n_providers; i++) {
		const struct va_provider *v = &p->providers[i];

		snprintf(field, sizeof(field), "providers[%zu].id", i);
		if (!valid_id(v->id, sizeof(v->id)))
			return fail(why, whysz, field, "must be 1-31 characters of a-z 0-9 _ -");
		for (j = 0; j < i; j++) {
			if (strcmp(p->providers[j].id, v->id) == 0)
				return fail(why, whysz, field, "duplicate provider id");
		}
		snprintf(field, sizeof(field), "providers[%zu].name", i);
		if (!terminated(v->name, sizeof(v->name)))
			return fail(why, whysz, field, "too long");
		snprintf(field, sizeof(field), "providers[%zu].kind", i);
		if (v->kind != VA_PROVIDER_DENTIST && v->kind != VA_PROVIDER_HYGIENIST)
			return fail(why, whysz, field, "must be dentist or hygienist");
		snprintf(field, sizeof(field), "providers[%zu].hours.", i);
		rc = check_hours(v->hours, field, why, whysz);
		if (rc)
			return rc;
	}
	return VA_OK;
}

static bool has_provider_kind(const struct va_practice *p, enum va_provider_kind k)
{
	size_t i;

	for (i = 0; i < p->n_providers; i++) {
		if (p->providers[i].kind == k)
			return true;
	}
	return false;
}

static int check_services(const struct va_practice *p, char *why, size_t whysz)
{
	char field[64], reason[96];
	size_t i, j;

	if (p->n_services > VA_PRACTICE_MAX_SERVICES)
		return fail(why, whysz, "services", "too many");
	for (i = 0; i < p->n_services; i++) {
		const struct va_service_def *s = &p->services[i];

		snprintf(field, sizeof(field), "services[%zu].service", i);
		if ((int)s->kind <= VA_SERVICE_NONE || s->kind >= VA_SERVICE__COUNT)
			return fail(why, whysz, field, "unknown service");
		for (j = 0; j < i; j++) {
			if (p->services[j].kind == s->kind)
				return fail(why, whysz, field, "listed twice");
		}
		snprintf(field, sizeof(field), "services[%zu].duration_min", i);
		if (s->duration_min < 5 || s->duration_min > 480 || s->duration_min % 5)
			return fail(why, whysz, field, "must be 5..480 minutes, a multiple of 5");
		snprintf(field, sizeof(field), "services[%zu].provider_kind", i);
		if (s->provider_kind != VA_PROVIDER_DENTIST &&
		    s->provider_kind != VA_PROVIDER_HYGIENIST)
			return fail(why, whysz, field, "must be dentist or hygienist");
		if (!has_provider_kind(p, s->provider_kind)) {
			snprintf(reason, sizeof(reason), "needs a %s but the practice has none",
				 s->provider_kind == VA_PROVIDER_HYGIENIST ? "hygienist"
									   : "dentist");
			return fail(why, whysz, field, reason);
		}
	}
	return VA_OK;
}

static int check_closures(const struct va_practice *p, char *why, size_t whysz)
{
	char field[64];
	size_t i;

	if (p->n_closures > VA_PRACTICE_MAX_CLOSURES)
		return fail(why, whysz, "closures", "too many (at most 64)");
	for (i = 0; i < p->n_closures; i++) {
		const struct va_closure *c = &p->closures[i];

		snprintf(field, sizeof(field), "closures[%zu].date", i);
		if (c->year < 1970 || c->year > 9999 || c->month < 1 || c->month > 12 ||
		    c->day < 1 || c->day > va_civil_days_in_month(c->year, c->month))
			return fail(why, whysz, field, "not a valid date");
		snprintf(field, sizeof(field), "closures[%zu].reason", i);
		if (!terminated(c->reason, sizeof(c->reason)))
			return fail(why, whysz, field, "too long");
	}
	return VA_OK;
}

int va_practice_validate(const struct va_practice *p, char *why, size_t whysz)
{
	char field[32];
	size_t i;
	int rc;

	if (why && whysz)
		why[0] = '\0';
	if (!terminated(p->address, sizeof(p->address)))
		return fail(why, whysz, "address", "too long");
	if (!terminated(p->phone, sizeof(p->phone)))
		return fail(why, whysz, "phone", "too long");
	/* A practice that books nothing, or has nobody to book with, is a
	 * mistake (an empty list in a document), not a configuration. */
	if (p->n_services == 0)
		return fail(why, whysz, "services", "at least one service is needed");
	if (p->n_providers == 0)
		return fail(why, whysz, "providers", "at least one provider is needed");
	rc = check_hours(p->hours, "hours.", why, whysz);
	if (rc)
		return rc;
	{
		bool open = false;
		for (int d = 0; d < 7; d++)
			open |= p->hours[d].open_min >= 0 && p->hours[d].open_min < p->hours[d].close_min;
		if (!open)
			return fail(why, whysz, "hours", "the practice must be open at least one day");
	}
	rc = check_providers(p, why, whysz);
	if (rc)
		return rc;
	rc = check_services(p, why, whysz);
	if (rc)
		return rc;
	rc = check_closures(p, why, whysz);
	if (rc)
		return rc;
	if (p->n_plans > VA_PRACTICE_MAX_PLANS)
		return fail(why, whysz, "insurance", "too many (at most 32)");
	for (i = 0; i < p->n_plans; i++) {
		snprintf(field, sizeof(field), "insurance[%zu]", i);
		if (!terminated(p->plans[i], sizeof(p->plans[i])))
			return fail(why, whysz, field, "too long");
		/* It must be matchable: va_practice_match_plan ignores the rest. */
		if (!has_alnum(p->plans[i]))
			return fail(why, whysz, field, "must name a carrier (letters or digits)");
	}
	if (p->min_lead_min < 0 || p->min_lead_min > VA_PRACTICE_MAX_LEAD_MIN)
		return fail(why, whysz, "min_lead_min", "must be 0..20160 minutes");
	switch (p->slot_step_min) {
	case 5:
	case 10:
	case 15:
	case 20:
	case 30:
	case 60:
		break;
	default:
		return fail(why, whysz, "slot_step_min", "must be 5, 10, 15, 20, 30 or 60");
	}
	if (p->hold_seconds < 10 || p->hold_seconds > 3600)
		return fail(why, whysz, "hold_seconds", "must be 10..3600 seconds");
	return VA_OK;
}

static bool hours_equal(const struct va_hours *a, const struct va_hours *b)
{
	int d;

	for (d = 0; d < 7; d++) {
		if (a[d].open_min != b[d].open_min || a[d].close_min != b[d].close_min)
			return false;
	}
	return true;
}

bool va_practice_equal(const struct va_practice *a, const struct va_practice *b)
{
	size_t i;

	if (strcmp(a->address, b->address) || strcmp(a->phone, b->phone) ||
	    !hours_equal(a->hours, b->hours) || a->n_providers != b->n_providers ||
	    a->n_services != b->n_services || a->n_closures != b->n_closures ||
	    a->n_plans != b->n_plans || a->min_lead_min != b->min_lead_min ||
	    a->slot_step_min != b->slot_step_min || a->hold_seconds != b->hold_seconds)
		return false;
	for (i = 0; i < a->n_providers; i++) {
		const struct va_provider *x = &a->providers[i], *y = &b->providers[i];

		if (strcmp(x->id, y->id) || strcmp(x->name, y->name) || x->kind != y->kind ||
		    !hours_equal(x->hours, y->hours))
			return false;
	}
	for (i = 0; i < a->n_services; i++) {
		const struct va_service_def *x = &a->services[i], *y = &b->services[i];

		if (x->kind != y->kind || x->duration_min != y->duration_min ||
		    x->provider_kind != y->provider_kind)
			return false;
	}
	for (i = 0; i < a->n_closures; i++) {
		const struct va_closure *x = &a->closures[i], *y = &b->closures[i];

		if (x->year != y->year || x->month != y->month || x->day != y->day ||
		    strcmp(x->reason, y->reason))
			return false;
	}
	for (i = 0; i < a->n_plans; i++) {
		if (strcmp(a->plans[i], b->plans[i]))
			return false;
	}
	return true;
}

const struct va_service_def *va_practice_service(const struct va_practice *p,
						 enum va_service_kind k)
{
	size_t i;

	for (i = 0; i < p->n_services && i < VA_PRACTICE_MAX_SERVICES; i++) {
		if (p->services[i].kind == k)
			return &p->services[i];
	}
	return NULL;
}

const struct va_provider *va_practice_provider(const struct va_practice *p, const char *id)
{
	size_t i;

	if (!id)
		return NULL;
	for (i = 0; i < p->n_providers && i < VA_PRACTICE_MAX_PROVIDERS; i++) {
		if (strcmp(p->providers[i].id, id) == 0)
			return &p->providers[i];
	}
	return NULL;
}

bool va_practice_closed_on(const struct va_practice *p, int year, int month, int day,
			   const char **reason)
{
	size_t i;

	for (i = 0; i < p->n_closures && i < VA_PRACTICE_MAX_CLOSURES; i++) {
		const struct va_closure *c = &p->closures[i];

		if (c->year == year && c->month == month && c->day == day) {
			if (reason)
				*reason = c->reason;
			return true;
		}
	}
	return false;
}

/* Lower-case letters and digits only: "Blue-Cross  Blue Shield" and
 * "bluecross blueshield" compare equal. */
static void normalize(const char *s, char *dst, size_t dstsz)
{
	size_t n = 0;

	for (; *s && n + 1 < dstsz; s++) {
		unsigned char c = (unsigned char)*s;

		if (isalnum(c) && c < 0x80)
			dst[n++] = (char)tolower(c);
	}
	dst[n] = '\0';
}

/* What callers say for carriers whose names they shorten to something that
 * is not a prefix of the plan's name. */
static const struct {
	const char *said, *plan;
} plan_aliases[] = {
    {"uhc", "unitedhealthcare"},
    {"bcbs", "bluecrossblueshield"},
    {"blueshield", "bluecrossblueshield"},
    {"bluecrossandblueshield", "bluecrossblueshield"},
    {"unitedhealthgroup", "unitedhealthcare"},
    {"metropolitanlife", "metlife"},
};

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Matching order, first hit wins, so an exact name is never shadowed by a
 * shorter plan that happens to be its prefix:
 *   1. the same name once normalized;
 *   2. an alias ("uhc", "bcbs") for the plan;
 *   3. the plan's full name followed by more words ("Delta Dental PPO",
 *      "aetna insurance"), or inside what was said ("I have Cigna");
 *   4. a shortening of at least 4 letters ("delta", "united", "blue cross").
 * A shortening never matches across a different name: "united concordia" is
 * not a prefix of "unitedhealthcare", so it stays unmatched. */
const char *va_practice_match_plan(const struct va_practice *p, const char *spoken)
{
	char said[128], plan[64];
	const char *alias = NULL;
	size_t i, n, rule;

	if (!spoken)
		return NULL;
	normalize(spoken, said, sizeof(said));
	n = strlen(said);
	if (n == 0)
		return NULL;
	for (i = 0; i < COUNT(plan_aliases); i++) {
		if (starts_with(said, plan_aliases[i].said)) {
			alias = plan_aliases[i].plan;
			break;
		}
	}
	for (rule = 1; rule <= 4; rule++) {
		for (i = 0; i < p->n_plans && i < VA_PRACTICE_MAX_PLANS; i++) {
			normalize(p->plans[i], plan, sizeof(plan));
			if (!plan[0])
				continue;
			if ((rule == 1 && strcmp(said, plan) == 0) ||
			    (rule == 2 && alias && strcmp(alias, plan) == 0) ||
			    (rule == 3 && strstr(said, plan)) ||
			    (rule == 4 && n >= 4 && starts_with(plan, said)))
				return p->plans[i];
		}
	}
	return NULL;
}
