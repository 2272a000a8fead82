/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/core/tz.c - time zones of src/core/tz.c against the system's
 * tzdata (offsets either side of real DST changes, dates beyond the table
 * that only the POSIX footer can answer, gaps and overlaps) and against
 * hand-built TZif files (v1, slim v2 with a footer, truncated), plus the
 * civil calendar helpers and ISO 8601.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/err.h"
#include "core/tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Instant of a UTC civil time. */
static int64_t utc(int y, int mo, int d, int h, int mi, int s)
{
	return va_civil_days_from_date(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

static int offset_at(const struct va_tz *tz, int64_t t)
{
	struct va_civil c;

	va_tz_to_civil(tz, t, &c);
	return c.utc_offset;
}

static struct va_tz *load(const char *name)
{
	struct va_tz *tz = NULL;

	assert_int_equal(va_tz_load(name, &tz), VA_OK);
	assert_non_null(tz);
	return tz;
}

static int64_t local(const struct va_tz *tz, int y, int mo, int d, int h, int mi)
{
	struct va_civil c = {.year = y, .month = mo, .day = d, .hour = h, .minute = mi};

	return va_tz_from_civil(tz, &c);
}

static void assert_iso(const struct va_tz *tz, int64_t t, const char *want)
{
	char buf[64];

	va_tz_iso8601(tz, t, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void test_new_york_2026(void **state)
{
	struct va_tz *tz = load("America/New_York");
	struct va_civil c;

	assert_string_equal(va_tz_name(tz), "America/New_York");
	/* Spring forward: 2026-03-08 02:00 EST = 07:00Z. */
	assert_int_equal(offset_at(tz, utc(2026, 3, 8, 6, 59, 59)), -5 * 3600);
	assert_int_equal(offset_at(tz, utc(2026, 3, 8, 7, 0, 0)), -4 * 3600);
	/* Fall back: 2026-11-01 02:00 EDT = 06:00Z. */
	assert_int_equal(offset_at(tz, utc(2026, 11, 1, 5, 59, 59)), -4 * 3600);
	assert_int_equal(offset_at(tz, utc(2026, 11, 1, 6, 0, 0)), -5 * 3600);

	va_tz_to_civil(tz, utc(2026, 11, 23, 15, 0, 0), &c);
	assert_int_equal(c.year, 2026);
	assert_int_equal(c.month, 11);
	assert_int_equal(c.day, 23);
	assert_int_equal(c.hour, 10);
	assert_int_equal(c.minute, 0);
	assert_int_equal(c.wday, 0); /* Monday */
	/* Just before midnight local is still the previous day. */
	va_tz_to_civil(tz, utc(2026, 11, 24, 4, 59, 59), &c);
	assert_int_equal(c.day, 23);
	assert_int_equal(c.hour, 23);
	assert_int_equal(c.second, 59);
	va_tz_free(tz);
}

static void test_new_york_future(void **state)
{
	struct va_tz *tz = load("America/New_York");

	/* 2027: first Sunday rules of the US, March 14 and November 7. */
	assert_int_equal(offset_at(tz, utc(2027, 3, 14, 6, 59, 59)), -5 * 3600);
	assert_int_equal(offset_at(tz, utc(2027, 3, 14, 7, 0, 0)), -4 * 3600);
	assert_int_equal(offset_at(tz, utc(2027, 11, 7, 5, 59, 59)), -4 * 3600);
	assert_int_equal(offset_at(tz, utc(2027, 11, 7, 6, 0, 0)), -5 * 3600);
	/* 2040 is past any table (fat files stop in 2037): footer only.
	 * DST 2040 starts March 11 and ends November 4. */
	assert_int_equal(offset_at(tz, utc(2040, 3, 11, 6, 59, 59)), -5 * 3600);
	assert_int_equal(offset_at(tz, utc(2040, 3, 11, 7, 0, 0)), -4 * 3600);
	assert_int_equal(offset_at(tz, utc(2040, 7, 1, 12, 0, 0)), -4 * 3600);
	assert_int_equal(offset_at(tz, utc(2040, 11, 4, 5, 59, 59)), -4 * 3600);
	assert_int_equal(offset_at(tz, utc(2040, 11, 4, 6, 0, 0)), -5 * 3600);
	assert_int_equal(offset_at(tz, utc(2040, 12, 25, 12, 0, 0)), -5 * 3600);
	assert_iso(tz, local(tz, 2040, 7, 4, 9, 0), "2040-07-04T09:00:00-04:00");
	/* Far past: before the first transition, local mean time. */
	assert_int_equal(offset_at(tz, utc(1800, 1, 1, 0, 0, 0)), -(4 * 3600 + 56 * 60 + 2));
	va_tz_free(tz);
}

static void test_gap_and_overlap(void **state)
{
	struct va_tz *tz = load("America/New_York");
	struct va_civil c;

	/* 02:30 does not exist on 2026-03-08: forward by the gap, 03:30 EDT. */
	assert_true(local(tz, 2026, 3, 8, 2, 30) == utc(2026, 3, 8, 7, 30, 0));
	assert_iso(tz, local(tz, 2026, 3, 8, 2, 30), "2026-03-08T03:30:00-04:00");
	assert_true(local(tz, 2026, 3, 8, 1, 59) == utc(2026, 3, 8, 6, 59, 0));
	assert_true(local(tz, 2026, 3, 8, 3, 0) == utc(2026, 3, 8, 7, 0, 0));
	/* 01:30 happens twice on 2026-11-01: the earlier one, EDT. */
	assert_true(local(tz, 2026, 11, 1, 1, 30) == utc(2026, 11, 1, 5, 30, 0));
	assert_iso(tz, local(tz, 2026, 11, 1, 1, 30), "2026-11-01T01:30:00-04:00");
	assert_true(local(tz, 2026, 11, 1, 2, 0) == utc(2026, 11, 1, 7, 0, 0));
	/* Same rules from the footer in 2040 (March 11, November 4). */
	assert_iso(tz, local(tz, 2040, 3, 11, 2, 15), "2040-03-11T03:15:00-04:00");
	assert_iso(tz, local(tz, 2040, 11, 4, 1, 15), "2040-11-04T01:15:00-04:00");
	/* Local round trip for every hour of the fall-back day but the repeat. */
	for (int h = 0; h < 24; h++) {
		int64_t t = local(tz, 2026, 11, 1, h, 0);

		va_tz_to_civil(tz, t, &c);
		assert_int_equal(c.hour, h);
		assert_int_equal(c.day, 1);
	}
	/* Out-of-range fields are civil arithmetic. */
	assert_iso(tz, local(tz, 2026, 11, 23 + 14, 10, 0), "2026-12-07T10:00:00-05:00");
	assert_iso(tz, local(tz, 2026, 11, 23, 10, -30), "2026-11-23T09:30:00-05:00");
	assert_iso(tz, local(tz, 2026, 14, 1, 0, 0), "2027-02-01T00:00:00-05:00");
	assert_iso(tz, local(tz, 2026, 3, 1, 24 * 7, 0), "2026-03-08T00:00:00-05:00");
	va_tz_free(tz);
}

static void test_other_zones(void **state)
{
	struct va_tz *tz = load("Europe/London");

	assert_int_equal(offset_at(tz, utc(2026, 1, 15, 12, 0, 0)), 0);
	assert_int_equal(offset_at(tz, utc(2026, 3, 29, 0, 59, 59)), 0);
	assert_int_equal(offset_at(tz, utc(2026, 3, 29, 1, 0, 0)), 3600);
	assert_int_equal(offset_at(tz, utc(2026, 10, 25, 0, 59, 59)), 3600);
	assert_int_equal(offset_at(tz, utc(2026, 10, 25, 1, 0, 0)), 0);
	assert_iso(tz, utc(2026, 7, 1, 12, 0, 0), "2026-07-01T13:00:00+01:00");
	assert_iso(tz, utc(2026, 12, 1, 12, 0, 0), "2026-12-01T12:00:00+00:00");
	va_tz_free(tz);

	tz = load("Asia/Kolkata");
	assert_int_equal(offset_at(tz, utc(2026, 6, 1, 0, 0, 0)), 19800);
	assert_int_equal(offset_at(tz, utc(2045, 6, 1, 0, 0, 0)), 19800);
	assert_iso(tz, utc(2026, 11, 23, 4, 30, 0), "2026-11-23T10:00:00+05:30");
	va_tz_free(tz);

	/* Half-hour DST: +10:30 standard, +11:00 in (southern) summer. */
	tz = load("Australia/Lord_Howe");
	assert_int_equal(offset_at(tz, utc(2026, 1, 15, 0, 0, 0)), 11 * 3600);
	assert_int_equal(offset_at(tz, utc(2026, 7, 15, 0, 0, 0)), 10 * 3600 + 1800);
	assert_int_equal(offset_at(tz, utc(2045, 1, 15, 0, 0, 0)), 11 * 3600);
	assert_int_equal(offset_at(tz, utc(2045, 7, 15, 0, 0, 0)), 10 * 3600 + 1800);
	va_tz_free(tz);

	/* Southern rule from the footer, where DST spans the new year. */
	tz = load("Australia/Sydney");
	assert_int_equal(offset_at(tz, utc(2044, 12, 31, 0, 0, 0)), 11 * 3600);
	assert_int_equal(offset_at(tz, utc(2045, 1, 1, 0, 0, 0)), 11 * 3600);
	assert_int_equal(offset_at(tz, utc(2045, 6, 1, 0, 0, 0)), 10 * 3600);
	assert_iso(tz, local(tz, 2045, 4, 2, 2, 30), "2045-04-02T02:30:00+11:00");
	va_tz_free(tz);
}

static void test_utc_without_files(void **state)
{
	struct va_tz *tz = NULL;
	const char *old = getenv("TZDIR");
	char *saved = old ? strdup(old) : NULL;

	setenv("TZDIR", "/nonexistent-zoneinfo", 1);
	assert_int_equal(va_tz_load("UTC", &tz), VA_OK);
	assert_int_equal(offset_at(tz, utc(2026, 7, 1, 0, 0, 0)), 0);
	assert_iso(tz, utc(2026, 7, 1, 12, 34, 56), "2026-07-01T12:34:56+00:00");
	assert_true(local(tz, 2026, 7, 1, 12, 0) == utc(2026, 7, 1, 12, 0, 0));
	va_tz_free(tz);
	tz = NULL;
	assert_int_equal(va_tz_load("Etc/UTC", &tz), VA_OK);
	assert_string_equal(va_tz_name(tz), "Etc/UTC");
	va_tz_free(tz);
	tz = NULL;
	assert_int_equal(va_tz_load("America/New_York", &tz), VA_E_NOTFOUND);
	assert_null(tz);
	if (saved)
		setenv("TZDIR", saved, 1);
	else
		unsetenv("TZDIR");
	free(saved);
	/* A NULL zone is UTC for the conversions. */
	assert_int_equal(offset_at(NULL, utc(2026, 7, 1, 0, 0, 0)), 0);
}

static void test_bad_names(void **state)
{
	static const char *const bad[] = {
	    "",
	    "/etc/passwd",
	    "../../etc/passwd",
	    "America/../../etc/passwd",
	    "America/New York",
	    "America/New_York;rm",
	    "Europe/Lon\\don",
	    "Zone\nName",
	    "America/New_York\x7f",
	};
	struct va_tz *tz = (struct va_tz *)0x1;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(va_tz_load(bad[i], &tz), VA_E_INVAL);
		assert_null(tz);
	}
	assert_int_equal(va_tz_load(NULL, &tz), VA_E_INVAL);
	assert_int_equal(va_tz_load("UTC", NULL), VA_E_INVAL);
	assert_int_equal(va_tz_load("Mars/Olympus_Mons", &tz), VA_E_NOTFOUND);
	assert_int_equal(va_tz_load("America", &tz), VA_E_NOTFOUND); /* a directory */
	assert_null(tz);
	va_tz_free(NULL);
}

/* ---- hand-built TZif files ---- */

static size_t put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return 4;
}

/* A TZif block: one transition at t from EST (type 0) to EDT (type 1). */
static size_t tzif_block(uint8_t *p, char version, int tsz, int64_t t)
{
	size_t n = 0;

	memcpy(p, "TZif", 4);
	p[4] = (uint8_t)version;
	memset(p + 5, 0, 15);
	n = 20;
	n += put32(p + n, 0); /* isutcnt */
	n += put32(p + n, 0); /* isstdcnt */
	n += put32(p + n, 0); /* leapcnt */
	n += put32(p + n, 1); /* timecnt */
	n += put32(p + n, 2); /* typecnt */
	n += put32(p + n, 8); /* charcnt */
	if (tsz == 8) {
		n += put32(p + n, (uint32_t)((uint64_t)t >> 32));
		n += put32(p + n, (uint32_t)t);
	} else {
		n += put32(p + n, (uint32_t)t);
	}
	p[n++] = 1;
	n += put32(p + n, (uint32_t)-18000);
	p[n++] = 0;
	p[n++] = 0;
	n += put32(p + n, (uint32_t)-14400);
	p[n++] = 1;
	p[n++] = 4;
	memcpy(p + n, "EST\0EDT\0", 8);
	return n + 8;
}

static void write_file(const char *dir, const char *name, const uint8_t *p, size_t n)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	fclose(f);
}

static void test_handmade_files(void **state)
{
	char dir[] = "/tmp/va_tz_test_XXXXXX";
	const char *old = getenv("TZDIR");
	char *saved = old ? strdup(old) : NULL;
	uint8_t buf[512];
	size_t n;
	struct va_tz *tz = NULL;
	int64_t t2026 = utc(2026, 3, 8, 7, 0, 0);

	assert_non_null(mkdtemp(dir));
	setenv("TZDIR", dir, 1);

	/* v1: the table only; after its last transition the last type holds. */
	n = tzif_block(buf, 0, 4, t2026);
	write_file(dir, "V1", buf, n);
	tz = load("V1");
	assert_int_equal(offset_at(tz, t2026 - 1), -18000);
	assert_int_equal(offset_at(tz, t2026), -14400);
	assert_int_equal(offset_at(tz, utc(2027, 1, 1, 0, 0, 0)), -14400);
	va_tz_free(tz);

	/* Slim v2: one transition in 2026, then the footer decides 2027. */
	n = tzif_block(buf, '2', 4, t2026);
	n += tzif_block(buf + n, '2', 8, t2026);
	memcpy(buf + n, "\nEST5EDT,M3.2.0,M11.1.0\n", 24);
	n += 24;
	write_file(dir, "Slim", buf, n);
	tz = load("Slim");
	assert_int_equal(offset_at(tz, utc(2026, 12, 1, 0, 0, 0)), -18000);
	assert_int_equal(offset_at(tz, utc(2027, 3, 14, 6, 59, 59)), -18000);
	assert_int_equal(offset_at(tz, utc(2027, 3, 14, 7, 0, 0)), -14400);
	assert_iso(tz, local(tz, 2027, 3, 16, 14, 0), "2027-03-16T14:00:00-04:00");
	va_tz_free(tz);

	/* Julian-day rules (Jn never counts Feb 29, n does) and explicit times. */
	n = tzif_block(buf, '3', 4, t2026);
	n += tzif_block(buf + n, '3', 8, t2026);
	memcpy(buf + n, "\n<-05>5<-04>,J60/0,300/25\n", 26);
	n += 26;
	write_file(dir, "Julian", buf, n);
	tz = load("Julian");
	/* 2028 is leap: J60 is March 1 (not Feb 29); day 300 is Oct 27. */
	assert_int_equal(offset_at(tz, utc(2028, 3, 1, 4, 59, 59)), -18000);
	assert_int_equal(offset_at(tz, utc(2028, 3, 1, 5, 0, 0)), -14400);
	assert_int_equal(offset_at(tz, utc(2028, 10, 28, 4, 59, 59)), -14400);
	assert_int_equal(offset_at(tz, utc(2028, 10, 28, 5, 0, 0)), -18000);
	va_tz_free(tz);

	/* Damaged files are PARSE errors, not crashes. */
	write_file(dir, "Trunc", buf, 30);
	assert_int_equal(va_tz_load("Trunc", &tz), VA_E_PARSE);
	memcpy(buf, "TZxx", 4);
	write_file(dir, "Magic", buf, n);
	assert_int_equal(va_tz_load("Magic", &tz), VA_E_PARSE);
	n = tzif_block(buf, '2', 4, t2026);
	n += tzif_block(buf + n, '2', 8, t2026);
	memcpy(buf + n, "\nEST5EDT,M13.2.0,M11.1.0\n", 25);
	write_file(dir, "BadRule", buf, n + 25);
	assert_int_equal(va_tz_load("BadRule", &tz), VA_E_PARSE);
	assert_null(tz);

	{
		static const char *const names[] = {"V1",    "Slim",  "Julian",
						    "Trunc", "Magic", "BadRule"};
		char path[600];

		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
			unlink(path);
		}
	}
	rmdir(dir);
	if (saved)
		setenv("TZDIR", saved, 1);
	else
		unsetenv("TZDIR");
	free(saved);
}

static void test_civil_helpers(void **state)
{
	int y, m, d;

	assert_int_equal(va_civil_days_in_month(2000, 2), 29);
	assert_int_equal(va_civil_days_in_month(1900, 2), 28);
	assert_int_equal(va_civil_days_in_month(2024, 2), 29);
	assert_int_equal(va_civil_days_in_month(2026, 2), 28);
	assert_int_equal(va_civil_days_in_month(2026, 4), 30);
	assert_int_equal(va_civil_days_in_month(2026, 12), 31);
	assert_int_equal(va_civil_days_in_month(2026, 13), 0);

	assert_int_equal(va_civil_weekday(1970, 1, 1), 3);   /* Thursday */
	assert_int_equal(va_civil_weekday(2000, 1, 1), 5);   /* Saturday */
	assert_int_equal(va_civil_weekday(2026, 11, 23), 0); /* Monday */
	assert_int_equal(va_civil_weekday(2026, 12, 3), 3);  /* Thursday */
	assert_int_equal(va_civil_weekday(1969, 12, 31), 2); /* Wednesday */
	assert_int_equal(va_civil_weekday(2024, 2, 29), 3);  /* Thursday */

	assert_int_equal(va_civil_days_from_date(1970, 1, 1), 0);
	assert_int_equal(va_civil_days_from_date(2000, 3, 1), 11017);
	assert_int_equal(va_civil_days_from_date(1969, 12, 31), -1);
	/* Normalization: month 13 and day 0 carry. */
	assert_int_equal(va_civil_days_from_date(2026, 13, 1), va_civil_days_from_date(2027, 1, 1));
	assert_int_equal(va_civil_days_from_date(2026, 3, 0), va_civil_days_from_date(2026, 2, 28));
	assert_int_equal(va_civil_days_from_date(2026, 0, 1), va_civil_days_from_date(2025, 12, 1));

	for (int64_t days = -800000; days <= 800000; days += 97) {
		va_civil_date_from_days(days, &y, &m, &d);
		assert_true(m >= 1 && m <= 12 && d >= 1 && d <= va_civil_days_in_month(y, m));
		assert_true(va_civil_days_from_date(y, m, d) == days);
	}
	va_civil_date_from_days(va_civil_days_from_date(2024, 2, 29), &y, &m, &d);
	assert_int_equal(y * 10000 + m * 100 + d, 20240229);
}

static void test_iso8601(void **state)
{
	struct va_tz *ny = load("America/New_York");
	int64_t t;
	char buf[64];
	static const char *const bad[] = {
	    "",
	    "2026",
	    "2026-11-23T",
	    "2026-02-30T00:00:00Z",
	    "2026-13-01T00:00:00Z",
	    "2026-11-23T24:00:00Z",
	    "2026-11-23T10:60:00Z",
	    "2026-11-23T10:00:00+5",
	    "2026-11-23T10:00:00-05:00junk",
	    "2026/11/23 10:00",
	    "tomorrow",
	};

	assert_int_equal(va_iso8601_parse("2026-11-23T10:00:00-05:00", ny, &t), VA_OK);
	assert_true(t == utc(2026, 11, 23, 15, 0, 0));
	va_tz_iso8601(ny, t, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-23T10:00:00-05:00");
	assert_int_equal(va_iso8601_parse(buf, NULL, &t), VA_OK);
	assert_true(t == utc(2026, 11, 23, 15, 0, 0));

	assert_int_equal(va_iso8601_parse("2026-11-23T15:00:00Z", NULL, &t), VA_OK);
	assert_true(t == utc(2026, 11, 23, 15, 0, 0));
	assert_int_equal(va_iso8601_parse("2026-11-23T20:30:00+0530", NULL, &t), VA_OK);
	assert_true(t == utc(2026, 11, 23, 15, 0, 0));
	assert_int_equal(va_iso8601_parse("2026-11-23T15:00:00.250Z", NULL, &t), VA_OK);
	assert_true(t == utc(2026, 11, 23, 15, 0, 0));
	/* Without an offset: local time in the zone (DST aware), or UTC. */
	assert_int_equal(va_iso8601_parse("2026-07-04T09:00:00", ny, &t), VA_OK);
	assert_true(t == utc(2026, 7, 4, 13, 0, 0));
	assert_int_equal(va_iso8601_parse("2026-07-04T09:00", NULL, &t), VA_OK);
	assert_true(t == utc(2026, 7, 4, 9, 0, 0));
	assert_int_equal(va_iso8601_parse("2026-07-04", ny, &t), VA_OK);
	assert_true(t == utc(2026, 7, 4, 4, 0, 0));

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(va_iso8601_parse(bad[i], ny, &t), VA_E_PARSE);
	assert_int_equal(va_iso8601_parse(NULL, ny, &t), VA_E_INVAL);

	/* Format -> parse round trips across a year, through both DST changes. */
	for (int64_t x = utc(2026, 1, 1, 0, 0, 0); x < utc(2027, 1, 1, 0, 0, 0); x += 3607) {
		va_tz_iso8601(ny, x, buf, sizeof(buf));
		assert_int_equal(va_iso8601_parse(buf, NULL, &t), VA_OK);
		assert_true(t == x);
	}
	/* A small buffer is truncated, never overrun. */
	va_tz_iso8601(ny, 0, buf, 8);
	assert_int_equal(strlen(buf), 7);
	va_tz_free(ny);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_new_york_2026),     cmocka_unit_test(test_new_york_future),
	    cmocka_unit_test(test_gap_and_overlap),   cmocka_unit_test(test_other_zones),
	    cmocka_unit_test(test_utc_without_files), cmocka_unit_test(test_bad_names),
	    cmocka_unit_test(test_handmade_files),    cmocka_unit_test(test_civil_helpers),
	    cmocka_unit_test(test_iso8601),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
