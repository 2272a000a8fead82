/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/schedule/holds.c - soft holds of src/schedule/holds.c: other
 * callers see a held slot as busy, its owner does not; holds expire, renew,
 * conflict, are released per call, and stay within their tenant; and a held
 * slot is not offered again by the slot finder.
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

static struct va_slot slot(const char *provider, int64_t start, int minutes)
{
	struct va_slot s;

	memset(&s, 0, sizeof(s));
	strcpy(s.provider_id, provider);
	s.start = start;
	s.end = start + minutes * 60;
	return s;
}

static void test_owner_sees_own_holds_free(void **state)
{
	struct va_holds *h = va_holds_new();
	struct va_slot a = slot("hyg-garcia", 1000000, 60), b = slot("dr-patel", 1000000, 30);
	struct va_busy *busy = NULL;
	size_t n = 0;

	assert_int_equal(va_holds_add(h, "demo123", "CA1", &a, 100, 300), VA_OK);
	assert_int_equal(va_holds_add(h, "demo123", "CA1", &b, 100, 300), VA_OK);
	/* The caller it was offered to: nothing is busy for them. */
	assert_int_equal(va_holds_busy(h, "demo123", "CA1", 150, &busy, &n), VA_OK);
	assert_int_equal(n, 0);
	assert_null(busy);
	/* Another caller: both slots are busy, as intervals of their provider. */
	assert_int_equal(va_holds_busy(h, "demo123", "CA2", 150, &busy, &n), VA_OK);
	assert_int_equal(n, 2);
	assert_string_equal(busy[0].provider_id, "hyg-garcia");
	assert_int_equal(busy[0].start, 1000000);
	assert_int_equal(busy[0].end, 1000000 + 3600);
	assert_string_equal(busy[1].provider_id, "dr-patel");
	/* NULL owner: everybody's holds. */
	assert_int_equal(va_holds_busy(h, "demo123", NULL, 150, &busy, &n), VA_OK);
	assert_int_equal(n, 4); /* appended to what was there */
	free(busy);
	va_holds_free(h);
}

static void test_expiry_and_renewal(void **state)
{
	struct va_holds *h = va_holds_new();
	struct va_slot a = slot("hyg-garcia", 1000000, 60);
	struct va_busy *busy = NULL;
	size_t n = 0;

	assert_int_equal(va_holds_add(h, "demo123", "CA1", &a, 100, 300), VA_OK);
	assert_int_equal(va_holds_count(h, 399), 1);
	assert_int_equal(va_holds_busy(h, "demo123", "CA2", 399, &busy, &n), VA_OK);
	assert_int_equal(n, 1);
	n = 0;
	/* Expired exactly at now + seconds. */
	assert_int_equal(va_holds_busy(h, "demo123", "CA2", 400, &busy, &n), VA_OK);
	assert_int_equal(n, 0);
	assert_int_equal(va_holds_count(h, 400), 0);

	/* Holding the same slot again renews it rather than adding one. */
	assert_int_equal(va_holds_add(h, "demo123", "CA1", &a, 500, 300), VA_OK);
	assert_int_equal(va_holds_add(h, "demo123", "CA1", &a, 700, 300), VA_OK);
	assert_int_equal(va_holds_count(h, 710), 1);
	assert_int_equal(va_holds_count(h, 999), 1);
	assert_int_equal(va_holds_count(h, 1000), 0);
	/* After expiry another caller may hold it. */
	assert_int_equal(va_holds_add(h, "demo123", "CA2", &a, 1000, 300), VA_OK);
	free(busy);
	va_holds_free(h);
}

static void test_conflict_release_and_tenants(void **state)
{
	struct va_holds *h = va_holds_new();
	struct va_slot a = slot("hyg-garcia", 1000000, 60);
	struct va_slot overlap = slot("hyg-garcia", 1000000 + 1800, 60);
	struct va_slot touching = slot("hyg-garcia", 1000000 + 3600, 60);
	struct va_slot other_provider = slot("hyg-brooks", 1000000, 60);
	struct va_slot later = slot("dr-patel", 5000000, 30);
	struct va_busy *busy = NULL;
	size_t n = 0;
	char owner[64];

	assert_int_equal(va_holds_add(h, "demo123", "CA1", &a, 100, 300), VA_OK);
	assert_int_equal(va_holds_add(h, "demo123", "CA2", &a, 100, 300), VA_E_EXISTS);
	assert_int_equal(va_holds_add(h, "demo123", "CA2", &overlap, 100, 300), VA_E_EXISTS);
	assert_int_equal(va_holds_add(h, "demo123", "CA2", &touching, 100, 300), VA_OK);
	assert_int_equal(va_holds_add(h, "demo123", "CA2", &other_provider, 100, 300), VA_OK);
	/* Another practice's provider of the same id is another person. */
	assert_int_equal(va_holds_add(h, "smith", "CA3", &a, 100, 300), VA_OK);
	assert_int_equal(va_holds_busy(h, "smith", "CA9", 150, &busy, &n), VA_OK);
	assert_int_equal(n, 1);
	free(busy);
	busy = NULL;
	n = 0;

	/* The owner string is copied: the caller's buffer may change. */
	strcpy(owner, "CA4");
	assert_int_equal(va_holds_add(h, "demo123", owner, &later, 100, 300), VA_OK);
	strcpy(owner, "XXX");
	assert_int_equal(va_holds_count(h, 150), 5);
	va_holds_release(h, "CA4");
	assert_int_equal(va_holds_count(h, 150), 4);

	/* The call books or hangs up: all its holds go. */
	va_holds_release(h, "CA2");
	assert_int_equal(va_holds_count(h, 150), 2);
	assert_int_equal(va_holds_busy(h, "demo123", "CA9", 150, &busy, &n), VA_OK);
	assert_int_equal(n, 1);
	assert_int_equal(busy[0].start, a.start);
	va_holds_release(h, "nobody");
	va_holds_release(h, NULL);
	va_holds_release(NULL, "CA1");
	assert_int_equal(va_holds_count(h, 150), 2);

	assert_int_equal(va_holds_add(h, "demo123", "CA5", &a, 100, 0), VA_E_INVAL);
	assert_int_equal(va_holds_add(h, NULL, "CA5", &a, 100, 300), VA_E_INVAL);
	assert_int_equal(va_holds_add(h, "demo123", NULL, &a, 100, 300), VA_E_INVAL);
	assert_int_equal(va_holds_busy(h, NULL, "CA5", 100, &busy, &n), VA_E_INVAL);
	free(busy);
	va_holds_free(h);
	va_holds_free(NULL);
}

/* Many holds from many calls: the array grows and shrinks correctly. */
static void test_many(void **state)
{
	struct va_holds *h = va_holds_new();
	struct va_busy *busy = NULL;
	size_t n = 0;
	char owner[16];
	int i;

	for (i = 0; i < 1000; i++) {
		snprintf(owner, sizeof(owner), "CA%d", i % 50);
		struct va_slot s = slot("dr-patel", (int64_t)i * 3600, 30);

		assert_int_equal(va_holds_add(h, "demo123", owner, &s, i, 100 + i), VA_OK);
	}
	/* Hold i lives until i + 100 + i, and each add dropped the expired
	 * ones: at 999 those with 2i + 100 > 999 are left, at 1000 one fewer. */
	assert_int_equal(va_holds_count(h, 999), 550);
	assert_int_equal(va_holds_count(h, 1000), 549);
	va_holds_release(h, "CA7");
	assert_int_equal(va_holds_busy(h, "demo123", "CA8", 1000, &busy, &n), VA_OK);
	for (size_t k = 0; k < n; k++)
		assert_true(busy[k].start / 3600 % 50 != 7 && busy[k].start / 3600 % 50 != 8);
	assert_true(n > 400 && n < 549);
	free(busy);
	va_holds_free(h);
}

/* The point of it all: a slot offered to one caller is not offered to the
 * next one until the hold lapses. */
static void test_finder_skips_held(void **state)
{
	struct va_practice p;
	struct va_tz *tz;
	struct va_holds *h = va_holds_new();
	struct va_slot out[3], out2[3];
	struct va_busy *busy = NULL;
	struct va_slot_query q;
	struct va_civil c = {.year = 2026, .month = 11, .day = 10, .hour = 7};
	int64_t now;
	size_t n, n2, n_busy = 0, i, j;

	va_practice_demo(&p, 2026);
	assert_int_equal(va_tz_load("America/New_York", &tz), VA_OK);
	now = va_tz_from_civil(tz, &c);
	memset(&q, 0, sizeof(q));
	q.service = VA_SERVICE_EXAM;
	q.from = now;
	q.day_from_min = q.day_to_min = -1;
	q.pref = VA_SLOT_PREF_SPREAD;
	q.max_slots = 3;
	assert_int_equal(va_slots_find(&p, tz, now, NULL, 0, &q, out, &n), VA_OK);
	assert_int_equal(n, 3);
	for (i = 0; i < n; i++)
		assert_int_equal(va_holds_add(h, "demo123", "CA1", &out[i], now, p.hold_seconds),
				 VA_OK);
	assert_int_equal(va_holds_busy(h, "demo123", "CA2", now + 10, &busy, &n_busy), VA_OK);
	assert_int_equal(n_busy, 3);
	assert_int_equal(va_slots_find(&p, tz, now + 10, busy, n_busy, &q, out2, &n2), VA_OK);
	assert_int_equal(n2, 3);
	for (i = 0; i < n2; i++) {
		for (j = 0; j < n; j++)
			assert_false(out2[i].start == out[j].start &&
				     strcmp(out2[i].provider_id, out[j].provider_id) == 0);
	}
	/* Past the hold, the first caller's times are back. */
	free(busy);
	busy = NULL;
	n_busy = 0;
	assert_int_equal(va_holds_busy(h, "demo123", "CA2", now + 300, &busy, &n_busy), VA_OK);
	assert_int_equal(n_busy, 0);
	va_tz_free(tz);
	va_holds_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_owner_sees_own_holds_free),
	    cmocka_unit_test(test_expiry_and_renewal),
	    cmocka_unit_test(test_conflict_release_and_tenants),
	    cmocka_unit_test(test_many),
	    cmocka_unit_test(test_finder_skips_held),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
