/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/schedule/slots.c - the slot finder and re-check of
 * src/schedule/slots.c on the demo practice in America/New_York: hours,
 * closures, provider days, durations, lead time, the step grid, busy time,
 * daily filters, every preference, DST, bad queries, and its speed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/err.h"
#include "core/tz.h"
#include "schedule/practice.h"
#include "schedule/slots.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAXS 400

struct fx {
	struct va_practice p;
	struct va_tz *ny;
	struct va_slot out[MAXS];
	size_t n;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	va_practice_demo(&f->p, 2026);
	if (va_tz_load("America/New_York", &f->ny))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	va_tz_free(f->ny);
	free(f);
	return 0;
}

/* Local New York wall time -> instant. */
static int64_t ny(struct fx *f, int y, int mo, int d, int h, int mi)
{
	struct va_civil c = {.year = y, .month = mo, .day = d, .hour = h, .minute = mi};

	return va_tz_from_civil(f->ny, &c);
}

/* UTC, by plain arithmetic: independent of the zone code. */
static int64_t utc(int y, int mo, int d, int h, int mi)
{
	return va_civil_days_from_date(y, mo, d) * 86400 + h * 3600 + mi * 60;
}

static struct va_civil local(struct fx *f, int64_t t)
{
	struct va_civil c;

	va_tz_to_civil(f->ny, t, &c);
	return c;
}

static int local_min(struct fx *f, int64_t t)
{
	struct va_civil c = local(f, t);

	return c.hour * 60 + c.minute;
}

static struct va_slot_query query(enum va_service_kind s, int64_t from, int64_t to, size_t max)
{
	struct va_slot_query q;

	memset(&q, 0, sizeof(q));
	q.service = s;
	q.from = from;
	q.to = to;
	q.day_from_min = -1;
	q.day_to_min = -1;
	q.pref = VA_SLOT_PREF_EARLIEST;
	q.max_slots = max;
	return q;
}

static int find(struct fx *f, int64_t now, const struct va_busy *busy, size_t n_busy,
		const struct va_slot_query *q)
{
	assert_true(q->max_slots <= MAXS);
	return va_slots_find(&f->p, f->ny, now, busy, n_busy, q, f->out, &f->n);
}

static struct va_busy busy_of(const char *provider, int64_t start, int64_t end)
{
	struct va_busy b;

	memset(&b, 0, sizeof(b));
	strcpy(b.provider_id, provider);
	b.start = start;
	b.end = end;
	return b;
}

/* Every returned slot must pass the booking re-check: the finder and
 * va_slot_fits share one definition of "free". */
static void all_fit(struct fx *f, int64_t now, const struct va_busy *busy, size_t n_busy,
		    enum va_service_kind s)
{
	const char *why;
	size_t i;

	for (i = 0; i < f->n; i++) {
		if (!va_slot_fits(&f->p, f->ny, now, busy, n_busy, s, f->out[i].provider_id,
				  f->out[i].start, &why))
			fail_msg("slot %zu (%s) does not fit: %s", i, f->out[i].provider_id, why);
		assert_int_equal(f->out[i].end - f->out[i].start,
				 va_practice_service(&f->p, s)->duration_min * 60);
	}
}

static void test_hours_and_first_slot(void **state)
{
	struct fx *f = *state;
	int64_t now = ny(f, 2026, 11, 1, 12, 0);
	struct va_slot_query q = query(VA_SERVICE_CLEANING, ny(f, 2026, 11, 9, 0, 0), 0, 3);

	assert_int_equal(find(f, now, NULL, 0, &q), VA_OK);
	assert_int_equal(f->n, 3);
	/* Monday 2026-11-09 08:00 EST is 13:00Z; both hygienists work
	 * Mondays and Maria Garcia is listed first. */
	assert_int_equal(f->out[0].start, utc(2026, 11, 9, 13, 0));
	assert_string_equal(f->out[0].provider_id, "hyg-garcia");
	assert_int_equal(f->out[1].start, utc(2026, 11, 9, 13, 15));
	assert_int_equal(f->out[2].start, utc(2026, 11, 9, 13, 30));
	all_fit(f, now, NULL, 0, VA_SERVICE_CLEANING);
}

static void test_closures_sunday_saturday(void **state)
{
	struct fx *f = *state;
	int64_t now = ny(f, 2026, 11, 1, 12, 0);
	struct va_slot_query q;
	size_t i;

	/* Thanksgiving and the day after: nothing. */
	q = query(VA_SERVICE_EXAM, ny(f, 2026, 11, 26, 0, 0), ny(f, 2026, 11, 28, 0, 0), 50);
	assert_int_equal(find(f, now, NULL, 0, &q), VA_OK);
	assert_int_equal(f->n, 0);
	/* Sunday: nothing. */
	q = query(VA_SERVICE_EXAM, ny(f, 2026, 11, 8, 0, 0), ny(f, 2026, 11, 9, 0, 0), 50);
	assert_int_equal(find(f, now, NULL, 0, &q), VA_OK);
	assert_int_equal(f->n, 0);
	/* Thursday to Sunday night: only Saturday 9-13, Dr. Nguyen alone. */
	q = query(VA_SERVICE_EXAM, ny(f, 2026, 11, 26, 0, 0), ny(f, 2026, 11, 30, 0, 0), 50);
	assert_int_equal(find(f, now, NULL, 0, &q), VA_OK);
	assert_int_equal(f->n, 15); /* 09:00 .. 12:30 for a 30-minute exam */
	for (i = 0; i < f->n; i++) {
		struct va_civil c = local(f, f->out[i].start);

		assert_int_equal(c.day, 28);
		assert_int_equal(c.wday, 5);
		assert_true(local_min(f, f->out[i].start) >= 540);
		assert_true(local_min(f, f->out[i].end) <= 780);
		assert_string_equal(f->out[i].provider_id, "dr-nguyen");
	}
	assert_int_equal(local_min(f, f->out[14].start), 12 * 60 + 30);
	all_fit(f, now, NULL, 0, VA_SERVICE_EXAM);
}

static void test_provider_days(void **state)
{
	struct fx *f = *state;
	int64_t now = ny(f, 2026, 11, 1, 12, 0);
	int64_t mon = ny(f, 2026, 11, 9, 0, 0), tue = ny(f, 2026, 11, 10, 0, 0);
	struct va_busy patel_mon = busy_of("dr-patel", mon, tue);
	struct va_slot_query q = query(VA_SERVICE_EXAM, mon, tue, 10);

	/* Dr. Nguyen does not work Mondays. */
	q.provider_id = "dr-nguyen";
	assert_int_equal(find(f, now, NULL, 0, &q), VA_OK);
	assert_int_equal(f->n, 0);
	q.provider_id = NULL;
	assert_int_equal(find(f, now, &patel_mon, 1, &q), VA_OK);
	assert_int_equal(f->n, 0);
	/* On Tuesday he does, so a busy Dr. Patel leaves him. */
	patel_mon = busy_of("dr-patel", tue, tue + 86400);
	q = query(VA_SERVICE_EXAM, tue, tue + 86400, 3);
	assert_int_equal(find(f, now, &patel_mon, 1, &q), VA_OK);
	assert_int_equal(f->n, 3);
	assert_string_equal(f->out[0].provider_id, "dr-nguyen");
	assert_int_equal(local_min(f, f->out[0].start), 480);
	/* Asking for one provider returns only them. */
	q.provider_id = "dr-patel";
	assert_int_equal(find(f, now, NULL, 0, &q), VA_OK);
	assert_int_equal(f->n, 3);
	for (size_t i = 0; i < f->n; i++)
		assert_string_equal(f->out[i].provider_id, "dr-patel");
}

static void test_duration_fits_before_closing(void **state)
{
	struct fx *f = *state;
	int64_t now = ny(f, 2026, 11, 1, 12, 0);
	struct va_slot_query q =
	    query(VA_SERVICE_CROWN, ny(f, 2026, 11, 9, 0, 0), ny(f, 2026, 11, 10, 0, 0), 1);
	const char *why;

	q.pref = VA_SLOT_PREF_LATEST;
	assert_int_equal(find(f, now, NULL, 0, &q), VA_OK);
	assert_int_equal(f->n, 1);
	assert_int_equal(local_min(f, f->out[0].start), 15 * 60 + 30); /* ends 17:00 */
	assert_false(va_slot_fits(&f->p, f->ny, now, NULL, 0, VA_SERVICE_CROWN, "dr-patel",
				  ny(f, 2026, 11, 9, 16, 0), &why));
	assert_string_equal(why, "outside hours");
	assert_true(va_slot_fits(&f->p, f->ny, now, NULL, 0, VA_SERVICE_CROWN, "dr-patel",
				 ny(f, 2026, 11, 9, 15, 30), &why));
	/* A 30-minute exam may still start at 16:30. */
	q.service = VA_SERVICE_EXAM;
	assert_int_equal(find(f, now, NULL, 0, &q), VA_OK);
	assert_int_equal(local_min(f, f->out[0].start), 16 * 60 + 30);
	/* Saturday closes at 13:00: a 90-minute visit starts by 11:30. */
	q = query(VA_SERVICE_NEW_PATIENT_EXAM, ny(f, 2026, 11, 7, 0, 0), ny(f, 2026, 11, 8, 0, 0),
		  1);
	q.pref = VA_SLOT_PREF_LATEST;
	assert_int_equal(find(f, now, NULL, 0, &q), VA_OK);
	assert_int_equal(f->n, 1);
	assert_int_equal(local_min(f, f->out[0].start), 11 * 60 + 30);
	assert_string_equal(f->out[0].provider_id, "dr-nguyen");
}

static void test_lead_time_and_grid(void **state)
{
	struct fx *f = *state;
	int64_t now = ny(f, 2026, 11, 10, 10, 0);
	struct va_slot_query q = query(VA_SERVICE_EXAM, now, 0, 40);
	size_t i;

	assert_int_equal(find(f, now, NULL, 0, &q), VA_OK);
	assert_int_equal(f->n, 40);
	assert_int_equal(f->out[0].start, ny(f, 2026, 11, 10, 11, 0));
	/* 10:07 + 60 min rounds up to the next step. */
	now = ny(f, 2026, 11, 10, 10, 7);
	q.from = now;
	assert_int_equal(find(f, now, NULL, 0, &q), VA_OK);
	assert_int_equal(f->out[0].start, ny(f, 2026, 11, 10, 11, 15));
	for (i = 0; i < f->n; i++) {
		assert_int_equal(local_min(f, f->out[i].start) % 15, 0);
		assert_int_equal(f->out[i].start % 60, 0);
		if (i)
			assert_true(f->out[i].start > f->out[i - 1].start);
	}
	all_fit(f, now, NULL, 0, VA_SERVICE_EXAM);
	/* A window that starts earlier than now + lead is cut, not refused. */
	q.from = ny(f, 2026, 11, 10, 0, 0);
	assert_int_equal(find(f, now, NULL, 0, &q), VA_OK);
	assert_int_equal(f->out[0].start, ny(f, 2026, 11, 10, 11, 15));

	/* A 20-minute grid. */
	f->p.slot_step_min = 20;
	q = query(VA_SERVICE_EXAM, ny(f, 2026, 11, 11, 0, 0), 0, 4);
	assert_int_equal(find(f, now, NULL, 0, &q), VA_OK);
	assert_int_equal(local_min(f, f->out[0].start), 480);
	assert_int_equal(local_min(f, f->out[1].start), 500);
	assert_int_equal(local_min(f, f->out[2].start), 520);
	assert_int_equal(local_min(f, f->out[3].start), 540);
	f->p.slot_step_min = 15;
}

static void test_busy_overlap_and_touching(void **state)
{
	struct fx *f = *state;
	int64_t now = ny(f, 2026, 11, 1, 12, 0);
	struct va_busy busy[2] = {
	    busy_of("hyg-garcia", ny(f, 2026, 11, 9, 9, 0), ny(f, 2026, 11, 9, 10, 0)),
	    busy_of("hyg-brooks", ny(f, 2026, 11, 9, 9, 0), ny(f, 2026, 11, 9, 10, 0)),
	};
	struct va_slot_query q =
	    query(VA_SERVICE_CLEANING, ny(f, 2026, 11, 9, 0, 0), ny(f, 2026, 11, 9, 12, 0), 50);
	bool seen[24 * 4] = {false};
	size_t i;

	assert_int_equal(find(f, now, busy, 2, &q), VA_OK);
	for (i = 0; i < f->n; i++)
		seen[local_min(f, f->out[i].start) / 15] = true;
	assert_true(seen[8 * 4]); /* 08:00-09:00 touches the busy hour */
	for (int m = 8 * 60 + 15; m < 10 * 60; m += 15)
		assert_false(seen[m / 15]);
	assert_true(seen[10 * 4]); /* busy [9:00,10:00) does not block 10:00 */
	assert_true(seen[11 * 4 + 3]);
	/* 9 distinct times (08:00, 10:00 .. 11:45); asked for 50, the same
	 * times with the other hygienist fill up after them. */
	assert_int_equal(f->n, 18);
	for (i = 0; i < 9; i++) {
		assert_int_equal(f->out[2 * i].start, f->out[2 * i + 1].start);
		assert_string_equal(f->out[2 * i].provider_id, "hyg-garcia");
		assert_string_equal(f->out[2 * i + 1].provider_id, "hyg-brooks");
	}
	all_fit(f, now, busy, 2, VA_SERVICE_CLEANING);

	/* Only one hygienist busy: the other takes those times. */
	assert_int_equal(find(f, now, busy, 1, &q), VA_OK);
	for (i = 0; i < f->n; i++) {
		int m = local_min(f, f->out[i].start);

		if (m > 8 * 60 && m < 10 * 60)
			assert_string_equal(f->out[i].provider_id, "hyg-brooks");
	}
	/* Busy time for "" closes the whole practice; an unknown provider's
	 * busy time blocks nobody. */
	busy[0] = busy_of("", ny(f, 2026, 11, 9, 0, 0), ny(f, 2026, 11, 9, 11, 0));
	busy[1] = busy_of("dr-gone", ny(f, 2026, 11, 9, 0, 0), ny(f, 2026, 11, 10, 0, 0));
	assert_int_equal(find(f, now, busy, 2, &q), VA_OK);
	assert_int_equal(f->n, 8); /* 11:00 .. 11:45, with either hygienist */
	assert_int_equal(local_min(f, f->out[0].start), 11 * 60);
	assert_int_equal(local_min(f, f->out[7].start), 11 * 60 + 45);
}

static void test_daily_filter(void **state)
{
	struct fx *f = *state;
	int64_t now = ny(f, 2026, 11, 1, 12, 0);
	struct va_slot_query q = query(VA_SERVICE_FILLING, ny(f, 2026, 11, 9, 0, 0), 0, 60);
	size_t i;

	q.day_from_min = 13 * 60; /* afternoons */
	assert_int_equal(find(f, now, NULL, 0, &q), VA_OK);
	assert_int_equal(f->n, 60);
	assert_int_equal(local_min(f, f->out[0].start), 13 * 60);
	for (i = 0; i < f->n; i++) {
		int m = local_min(f, f->out[i].start);

		assert_true(m >= 13 * 60 && m <= 16 * 60);
	}
	/* Saturday afternoon does not exist: Sat 14th is skipped entirely. */
	for (i = 0; i < f->n; i++)
		assert_int_not_equal(local(f, f->out[i].start).wday, 5);
	q.day_from_min = -1;
	q.day_to_min = 12 * 60; /* mornings: starts before noon */
	assert_int_equal(find(f, now, NULL, 0, &q), VA_OK);
	for (i = 0; i < f->n; i++)
		assert_true(local_min(f, f->out[i].start) < 12 * 60);
	assert_int_equal(local_min(f, f->out[f->n - 1].start) % 15, 0);
	/* A bad filter is refused. */
	q.day_to_min = 2000;
	assert_int_equal(find(f, now, NULL, 0, &q), VA_E_INVAL);
}

static void test_latest_and_closest(void **state)
{
	struct fx *f = *state;
	int64_t now = ny(f, 2026, 11, 1, 12, 0);
	struct va_slot_query q =
	    query(VA_SERVICE_EXAM, ny(f, 2026, 11, 9, 0, 0), ny(f, 2026, 11, 14, 0, 0), 5);
	size_t i;

	q.pref = VA_SLOT_PREF_LATEST;
	assert_int_equal(find(f, now, NULL, 0, &q), VA_OK);
	assert_int_equal(f->n, 5);
	assert_int_equal(f->out[0].start, ny(f, 2026, 11, 13, 16, 30));
	for (i = 1; i < f->n; i++)
		assert_true(f->out[i].start < f->out[i - 1].start);

	q.pref = VA_SLOT_PREF_CLOSEST;
	q.target = ny(f, 2026, 11, 11, 14, 7);
	assert_int_equal(find(f, now, NULL, 0, &q), VA_OK);
	assert_int_equal(f->n, 5);
	assert_int_equal(f->out[0].start, ny(f, 2026, 11, 11, 14, 0));
	assert_int_equal(f->out[1].start, ny(f, 2026, 11, 11, 14, 15));
	assert_int_equal(f->out[2].start, ny(f, 2026, 11, 11, 13, 45));
	assert_int_equal(f->out[3].start, ny(f, 2026, 11, 11, 14, 30));
	assert_int_equal(f->out[4].start, ny(f, 2026, 11, 11, 13, 30));
	/* A target at night: the closest are the evening's last and the next
	 * morning's first, whichever is nearer first. */
	q.target = ny(f, 2026, 11, 11, 20, 0);
	q.max_slots = 2;
	assert_int_equal(find(f, now, NULL, 0, &q), VA_OK);
	assert_int_equal(f->out[0].start, ny(f, 2026, 11, 11, 16, 30));
	assert_int_equal(f->out[1].start, ny(f, 2026, 11, 11, 16, 15));
	q.target = ny(f, 2026, 11, 12, 6, 0);
	assert_int_equal(find(f, now, NULL, 0, &q), VA_OK);
	assert_int_equal(f->out[0].start, ny(f, 2026, 11, 12, 8, 0));
	/* Target before the window: like EARLIEST. */
	q.target = 0;
	assert_int_equal(find(f, now, NULL, 0, &q), VA_OK);
	assert_int_equal(f->out[0].start, ny(f, 2026, 11, 9, 8, 0));
	assert_int_equal(f->out[1].start, ny(f, 2026, 11, 9, 8, 15));
}

static void test_spread(void **state)
{
	struct fx *f = *state;
	int64_t now = ny(f, 2026, 11, 1, 12, 0);
	struct va_slot_query q = query(VA_SERVICE_CLEANING, ny(f, 2026, 11, 9, 0, 0), 0, 4);
	size_t i, j;

	q.pref = VA_SLOT_PREF_SPREAD;
	q.day_to_min = 12 * 60;
	assert_int_equal(find(f, now, NULL, 0, &q), VA_OK);
	assert_int_equal(f->n, 4);
	assert_int_equal(f->out[0].start, ny(f, 2026, 11, 9, 8, 0));
	assert_int_equal(f->out[1].start, ny(f, 2026, 11, 9, 10, 0));
	assert_int_equal(f->out[2].start, ny(f, 2026, 11, 10, 8, 0));
	assert_int_equal(f->out[3].start, ny(f, 2026, 11, 10, 10, 0));
	for (i = 0; i < f->n; i++) {
		for (j = 0; j < i; j++) {
			bool other_day =
			    local(f, f->out[i].start).day != local(f, f->out[j].start).day;

			assert_true(other_day || llabs(f->out[i].start - f->out[j].start) >= 7200);
		}
	}
	/* With room for only a few times, SPREAD still fills up: one free
	 * hour on the only day searched gives 10:00 and 10:00 nothing else
	 * but distinct starts without the gap. */
	struct va_busy busy[2] = {
	    busy_of("hyg-garcia", ny(f, 2026, 11, 9, 0, 0), ny(f, 2026, 11, 9, 10, 0)),
	    busy_of("hyg-brooks", ny(f, 2026, 11, 9, 0, 0), ny(f, 2026, 11, 9, 10, 0)),
	};
	q = query(VA_SERVICE_CLEANING, ny(f, 2026, 11, 9, 0, 0), ny(f, 2026, 11, 9, 11, 0), 3);
	q.pref = VA_SLOT_PREF_SPREAD;
	assert_int_equal(find(f, now, busy, 2, &q), VA_OK);
	assert_int_equal(f->n, 3);
	assert_int_equal(f->out[0].start, ny(f, 2026, 11, 9, 10, 0));
	assert_int_equal(f->out[1].start, ny(f, 2026, 11, 9, 10, 15));
	assert_int_equal(f->out[2].start, ny(f, 2026, 11, 9, 10, 30));
}

static void test_distinct_starts_first(void **state)
{
	struct fx *f = *state;
	int64_t now = ny(f, 2026, 11, 1, 12, 0);
	int64_t mon = ny(f, 2026, 11, 9, 0, 0);
	struct va_slot_query q = query(VA_SERVICE_CLEANING, mon, mon + 86400, 2);
	struct va_busy busy[4];

	/* Plenty of time: two different times, not one time twice. */
	assert_int_equal(find(f, now, NULL, 0, &q), VA_OK);
	assert_int_equal(f->n, 2);
	assert_int_not_equal(f->out[0].start, f->out[1].start);
	/* Only 10:00-11:00 free for both hygienists: the same time with each
	 * is the only way to offer two. */
	busy[0] = busy_of("hyg-garcia", mon, ny(f, 2026, 11, 9, 10, 0));
	busy[1] = busy_of("hyg-garcia", ny(f, 2026, 11, 9, 11, 0), mon + 86400);
	busy[2] = busy_of("hyg-brooks", mon, ny(f, 2026, 11, 9, 10, 0));
	busy[3] = busy_of("hyg-brooks", ny(f, 2026, 11, 9, 11, 0), mon + 86400);
	q.max_slots = 5;
	for (int pref = VA_SLOT_PREF_EARLIEST; pref <= VA_SLOT_PREF_SPREAD; pref++) {
		q.pref = pref;
		q.target = ny(f, 2026, 11, 9, 15, 0);
		assert_int_equal(find(f, now, busy, 4, &q), VA_OK);
		assert_int_equal(f->n, 2);
		assert_int_equal(f->out[0].start, ny(f, 2026, 11, 9, 10, 0));
		assert_int_equal(f->out[1].start, f->out[0].start);
		assert_string_equal(f->out[0].provider_id, "hyg-garcia");
		assert_string_equal(f->out[1].provider_id, "hyg-brooks");
	}
}

static void test_bad_queries(void **state)
{
	struct fx *f = *state;
	int64_t now = ny(f, 2026, 11, 20, 12, 0);
	struct va_slot_query q =
	    query(VA_SERVICE_EXAM, ny(f, 2026, 11, 9, 0, 0), ny(f, 2026, 11, 14, 0, 0), 5);

	/* A window entirely in the past: no slots, no error. */
	assert_int_equal(find(f, now, NULL, 0, &q), VA_OK);
	assert_int_equal(f->n, 0);
	/* A window ending within the lead time: none either. */
	q.to = now + 30 * 60;
	q.from = now - 3600;
	assert_int_equal(find(f, now, NULL, 0, &q), VA_OK);
	assert_int_equal(f->n, 0);

	q = query(VA_SERVICE_NONE, now, 0, 5);
	assert_int_equal(find(f, now, NULL, 0, &q), VA_E_INVAL);
	f->p.n_services = 2; /* cleaning and exam only */
	q.service = VA_SERVICE_WHITENING;
	assert_int_equal(find(f, now, NULL, 0, &q), VA_E_INVAL);
	f->p.n_services = 11;
	q.service = VA_SERVICE_EXAM;
	q.provider_id = "dr-who";
	assert_int_equal(find(f, now, NULL, 0, &q), VA_E_INVAL);
	q.provider_id = "hyg-garcia"; /* a hygienist does not do exams */
	assert_int_equal(find(f, now, NULL, 0, &q), VA_E_INVAL);
	q.provider_id = "";
	assert_int_equal(find(f, now, NULL, 0, &q), VA_OK);
	q.to = q.from - 1;
	assert_int_equal(find(f, now, NULL, 0, &q), VA_E_INVAL);
	q.to = 0;
	q.max_slots = 0;
	assert_int_equal(find(f, now, NULL, 0, &q), VA_OK);
	assert_int_equal(f->n, 0);
}

static void test_slot_fits_reasons(void **state)
{
	struct fx *f = *state;
	int64_t now = ny(f, 2026, 11, 10, 10, 0);
	struct va_busy b =
	    busy_of("hyg-garcia", ny(f, 2026, 11, 11, 9, 0), ny(f, 2026, 11, 11, 10, 0));
	const char *why;

#define FITS(svc, prov, t) va_slot_fits(&f->p, f->ny, now, &b, 1, svc, prov, t, &why)
	assert_false(FITS(VA_SERVICE_CLEANING, NULL, ny(f, 2026, 11, 9, 9, 0)));
	assert_string_equal(why, "in the past");
	assert_false(FITS(VA_SERVICE_CLEANING, NULL, ny(f, 2026, 11, 10, 10, 45)));
	assert_string_equal(why, "too soon");
	assert_true(FITS(VA_SERVICE_CLEANING, NULL, ny(f, 2026, 11, 10, 11, 0)));
	assert_false(FITS(VA_SERVICE_CLEANING, NULL, ny(f, 2026, 11, 15, 10, 0)));
	assert_string_equal(why, "closed"); /* Sunday */
	assert_false(FITS(VA_SERVICE_CLEANING, NULL, ny(f, 2026, 11, 26, 10, 0)));
	assert_string_equal(why, "closed"); /* Thanksgiving */
	assert_false(FITS(VA_SERVICE_CLEANING, NULL, ny(f, 2026, 11, 11, 10, 5)));
	assert_string_equal(why, "not on the slot grid");
	assert_false(FITS(VA_SERVICE_CLEANING, NULL, ny(f, 2026, 11, 11, 7, 0)));
	assert_string_equal(why, "outside hours");
	assert_false(FITS(VA_SERVICE_CLEANING, NULL, ny(f, 2026, 11, 14, 12, 30)));
	assert_string_equal(why, "outside hours"); /* Saturday closes at 13:00 */
	assert_false(FITS(VA_SERVICE_CLEANING, "hyg-garcia", ny(f, 2026, 11, 11, 9, 30)));
	assert_string_equal(why, "taken");
	assert_false(FITS(VA_SERVICE_CLEANING, "hyg-garcia", ny(f, 2026, 11, 11, 8, 15)));
	assert_string_equal(why, "taken");
	assert_true(FITS(VA_SERVICE_CLEANING, "hyg-garcia", ny(f, 2026, 11, 11, 8, 0)));
	assert_true(FITS(VA_SERVICE_CLEANING, "hyg-garcia", ny(f, 2026, 11, 11, 10, 0)));
	/* Any provider: Emily Brooks works Wednesdays and is free. */
	assert_true(FITS(VA_SERVICE_CLEANING, NULL, ny(f, 2026, 11, 11, 9, 30)));
	assert_false(FITS(VA_SERVICE_CLEANING, "hyg-brooks", ny(f, 2026, 11, 12, 9, 0)));
	assert_string_equal(why, "outside hours"); /* not on Thursdays */
	assert_false(FITS(VA_SERVICE_CLEANING, "dr-patel", ny(f, 2026, 11, 11, 9, 0)));
	assert_string_equal(why, "wrong provider kind");
	assert_false(FITS(VA_SERVICE_CLEANING, "dr-who", ny(f, 2026, 11, 11, 9, 0)));
	assert_string_equal(why, "unknown provider");
	assert_false(FITS(VA_SERVICE_NONE, NULL, ny(f, 2026, 11, 11, 9, 0)));
	assert_string_equal(why, "unknown service");
	assert_false(FITS(VA_SERVICE_CLEANING, NULL, ny(f, 2026, 11, 11, 9, 0) + 30));
	assert_string_equal(why, "not on the slot grid");
#undef FITS
	assert_false(va_slot_fits(&f->p, f->ny, now, NULL, 0, VA_SERVICE_EXAM, NULL,
				  ny(f, 2026, 11, 9, 9, 0), NULL));
}

/* America/New_York leaves DST on Sunday 2026-11-01: a 09:00 slot is 09:00 on
 * the wall clock on both sides (13:00Z before, 14:00Z after). */
static void test_dst_fall_back(void **state)
{
	struct fx *f = *state;
	int64_t now = utc(2026, 10, 1, 12, 0);
	struct va_slot_query q =
	    query(VA_SERVICE_EXAM, ny(f, 2026, 10, 31, 0, 0), ny(f, 2026, 11, 3, 0, 0), 10);

	q.day_from_min = 9 * 60;
	q.day_to_min = 9 * 60 + 15;
	assert_int_equal(find(f, now, NULL, 0, &q), VA_OK);
	assert_int_equal(f->n, 2);
	assert_int_equal(f->out[0].start, utc(2026, 10, 31, 13, 0)); /* Sat, EDT */
	assert_int_equal(f->out[1].start, utc(2026, 11, 2, 14, 0));  /* Mon, EST */
	assert_int_equal(local(f, f->out[0].start).hour, 9);
	assert_int_equal(local(f, f->out[1].start).hour, 9);
	assert_int_equal(f->out[1].end - f->out[1].start, 1800);
	all_fit(f, now, NULL, 0, VA_SERVICE_EXAM);
	/* LATEST across the change: Monday 16:30 EST, then Saturday 12:30 EDT. */
	q.day_from_min = -1;
	q.day_to_min = -1;
	q.pref = VA_SLOT_PREF_LATEST;
	assert_int_equal(find(f, now, NULL, 0, &q), VA_OK);
	assert_int_equal(f->out[0].start, utc(2026, 11, 2, 21, 30));
	q.from = ny(f, 2026, 10, 31, 0, 0);
	q.to = ny(f, 2026, 11, 2, 0, 0);
	assert_int_equal(find(f, now, NULL, 0, &q), VA_OK);
	assert_int_equal(f->out[0].start, utc(2026, 10, 31, 16, 30));
	/* And spring forward (Sunday 2026-03-08): Monday 09:00 EDT = 13:00Z,
	 * the Friday before 09:00 EST = 14:00Z. */
	q = query(VA_SERVICE_EXAM, ny(f, 2026, 3, 6, 0, 0), ny(f, 2026, 3, 10, 0, 0), 3);
	q.day_from_min = 9 * 60;
	q.day_to_min = 9 * 60 + 15;
	now = utc(2026, 2, 1, 0, 0);
	f->p.closures[0].year = 2000; /* keep the demo's holidays out of the way */
	assert_int_equal(find(f, now, NULL, 0, &q), VA_OK);
	assert_int_equal(f->n, 3); /* Fri, Sat, Mon */
	assert_int_equal(f->out[0].start, utc(2026, 3, 6, 14, 0));
	assert_int_equal(f->out[1].start, utc(2026, 3, 7, 14, 0));
	assert_int_equal(f->out[2].start, utc(2026, 3, 9, 13, 0));
	va_practice_demo(&f->p, 2026);
}

/* A practice open around the clock in a zone whose change happens inside
 * opening hours: a 02:00 wall-clock slot does not exist on spring-forward
 * day, and no appointment may run past closing by the lost hour. */
static void test_dst_inside_hours(void **state)
{
	struct fx *f = *state;
	struct va_slot_query q;
	int64_t now = utc(2026, 3, 1, 0, 0);
	size_t i;

	for (int d = 0; d < 7; d++) {
		f->p.hours[d].open_min = 0;
		f->p.hours[d].close_min = 1440;
		for (size_t k = 0; k < f->p.n_providers; k++)
			f->p.providers[k].hours[d] = f->p.hours[d];
	}
	f->p.n_closures = 0;
	q = query(VA_SERVICE_EXAM, ny(f, 2026, 3, 8, 0, 0), ny(f, 2026, 3, 9, 0, 0), MAXS);
	q.provider_id = "dr-patel";
	assert_int_equal(find(f, now, NULL, 0, &q), VA_OK);
	/* 30-minute visits on a 15-minute grid start 00:00 .. 23:30 local
	 * (95 times) less the four of 02:00-02:45 that do not exist; none
	 * twice, every one fits. */
	assert_int_equal(f->n, 91);
	for (i = 1; i < f->n; i++)
		assert_true(f->out[i].start > f->out[i - 1].start);
	for (i = 0; i < f->n; i++)
		assert_true(f->out[i].end <= ny(f, 2026, 3, 9, 0, 0));
	all_fit(f, now, NULL, 0, VA_SERVICE_EXAM);
	va_practice_demo(&f->p, 2026);
}

/* More busy intervals than the finder keeps on its stack, on one day. */
static void test_many_busy(void **state)
{
	struct fx *f = *state;
	int64_t now = ny(f, 2026, 11, 1, 12, 0), mon = ny(f, 2026, 11, 9, 0, 0);
	static struct va_busy busy[300];
	struct va_slot_query q = query(VA_SERVICE_CLEANING, mon, mon + 86400, 3);
	const char *why;

	/* Maria Garcia busy minute by minute from 08:00 to 13:00. */
	for (int k = 0; k < 300; k++)
		busy[k] =
		    busy_of("hyg-garcia", ny(f, 2026, 11, 9, 8, k), ny(f, 2026, 11, 9, 8, k + 1));
	q.provider_id = "hyg-garcia";
	assert_int_equal(find(f, now, busy, 300, &q), VA_OK);
	assert_int_equal(f->n, 3);
	assert_int_equal(f->out[0].start, ny(f, 2026, 11, 9, 13, 0));
	all_fit(f, now, busy, 300, VA_SERVICE_CLEANING);
	assert_false(va_slot_fits(&f->p, f->ny, now, busy, 300, VA_SERVICE_CLEANING, "hyg-garcia",
				  ny(f, 2026, 11, 9, 12, 45), &why));
	assert_string_equal(why, "taken");
	q.provider_id = NULL;
	assert_int_equal(find(f, now, busy, 300, &q), VA_OK);
	assert_int_equal(f->out[0].start, ny(f, 2026, 11, 9, 8, 0));
	assert_string_equal(f->out[0].provider_id, "hyg-brooks");
}

/* Searches are cut to 366 days, however far the window reaches. */
static void test_window_cap(void **state)
{
	struct fx *f = *state;
	int64_t now = ny(f, 2026, 11, 1, 12, 0);
	struct va_slot_query q = query(VA_SERVICE_EXAM, now, now + 2000LL * 86400, 1);

	q.pref = VA_SLOT_PREF_LATEST;
	assert_int_equal(find(f, now, NULL, 0, &q), VA_OK);
	assert_int_equal(f->n, 1);
	assert_true(f->out[0].start < now + 367LL * 86400);
	assert_true(f->out[0].start > now + 360LL * 86400);
	q.to = 0;
	q.horizon_days = 5000;
	assert_int_equal(find(f, now, NULL, 0, &q), VA_OK);
	assert_true(f->out[0].start < now + 367LL * 86400);
	/* Open-ended with no horizon: 30 days. */
	q.horizon_days = 0;
	assert_int_equal(find(f, now, NULL, 0, &q), VA_OK);
	assert_true(f->out[0].start < now + 30LL * 86400);
	assert_true(f->out[0].start > now + 27LL * 86400);
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* 200 bookings spread over the month, then open 30-day searches: the
 * figure is printed for the README and kept under a generous bound (this
 * also runs under the sanitizers). */
static void test_speed(void **state)
{
	struct fx *f = *state;
	static const enum va_slot_pref prefs[] = {VA_SLOT_PREF_EARLIEST, VA_SLOT_PREF_LATEST,
						  VA_SLOT_PREF_CLOSEST, VA_SLOT_PREF_SPREAD};
	struct va_busy busy[200];
	int64_t now = ny(f, 2026, 11, 2, 7, 0);
	struct va_slot_query q;
	struct timespec t0;
	size_t i;
	int iters = 200;

	for (i = 0; i < 200; i++) {
		int day = 2 + (int)(i % 28), hour = 8 + (int)(i * 7 % 8);

		busy[i] = busy_of(f->p.providers[i % 4].id, ny(f, 2026, 11, day, hour, 0),
				  ny(f, 2026, 11, day, hour + 1, 0));
	}
	for (size_t p = 0; p < 4; p++) {
		q = query(VA_SERVICE_EXAM, now, 0, 3);
		q.horizon_days = 30;
		q.pref = prefs[p];
		q.target = ny(f, 2026, 11, 18, 14, 0);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (int k = 0; k < iters; k++)
			assert_int_equal(find(f, now, busy, 200, &q), VA_OK);
		double ms = ms_since(&t0) / iters;

		print_message("30-day search, 200 busy, pref %d: %.1f us per call (%zu slots)\n",
			      (int)prefs[p], ms * 1e3, f->n);
		assert_int_equal(f->n, 3);
		assert_true(ms < 20.0);
		all_fit(f, now, busy, 200, VA_SERVICE_EXAM);
	}
	/* The worst case: every slot of the month, all providers. */
	q = query(VA_SERVICE_EXAM, now, 0, MAXS);
	q.horizon_days = 30;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(find(f, now, busy, 200, &q), VA_OK);
	print_message("30-day search, 200 busy, %zu slots: %.1f us\n", f->n, ms_since(&t0) * 1e3);
	assert_int_equal(f->n, MAXS);
	all_fit(f, now, busy, 200, VA_SERVICE_EXAM);
	/* And a search that finds nothing, so every day is walked: a 90-minute
	 * visit starting after 16:00. */
	q = query(VA_SERVICE_CROWN, now, 0, 3);
	q.horizon_days = 30;
	q.day_from_min = 16 * 60;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int k = 0; k < iters; k++)
		assert_int_equal(find(f, now, busy, 200, &q), VA_OK);
	print_message("30-day search, 200 busy, nothing fits: %.1f us per call\n",
		      ms_since(&t0) / iters * 1e3);
	assert_int_equal(f->n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_hours_and_first_slot, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_closures_sunday_saturday, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_provider_days, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_duration_fits_before_closing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lead_time_and_grid, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_busy_overlap_and_touching, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_daily_filter, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_latest_and_closest, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_spread, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_distinct_starts_first, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_queries, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_slot_fits_reasons, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dst_fall_back, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dst_inside_hours, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_many_busy, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_window_cap, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_speed, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
