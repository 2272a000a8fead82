/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/nlu/when.c - the date/time parser of src/nlu/when.c: every row
 * of datetime_cases.tsv (the shared conventions), then cases of our own:
 * phrases inside longer sentences, number words, things that are not dates,
 * other "now"s (a Saturday evening, New Year's Eve, DST weeks) and zones.
 *
 * The cases file is looked for in $VA_DATETIME_CASES, then the copy in
 * tests/data (VA_TEST_DATA_DIR), then ../shared/data beside the checkout.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/err.h"
#include "core/tz.h"
#include "nlu/when.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOW_MON "2026-11-23T10:00:00-05:00" /* the cases file's now */
#define NY	"America/New_York"

static struct va_tz *load(const char *zone)
{
	struct va_tz *tz = NULL;

	assert_int_equal(va_tz_load(zone, &tz), VA_OK);
	return tz;
}

static void iso(const struct va_tz *tz, int64_t t, char *buf, size_t n)
{
	va_tz_iso8601(tz, t, buf, n);
}

/* What every result must satisfy, whatever the text. */
static void check_invariants(const struct va_when *w, size_t len, int64_t now)
{
	assert_true(w->match_start <= len && w->match_len <= len - w->match_start);
	switch (w->kind) {
	case VA_WHEN_NONE:
		assert_int_equal(w->match_len, 0);
		break;
	case VA_WHEN_POINT:
		assert_true(w->end == w->start);
		assert_true(w->start >= now);
		break;
	case VA_WHEN_WINDOW:
		assert_true(w->end > w->start);
		assert_true(w->start >= now);
		break;
	case VA_WHEN_OPEN:
		assert_true(w->start == now && w->end == 0);
		break;
	case VA_WHEN_PAST:
		assert_true(w->end <= now && w->start <= w->end);
		break;
	case VA_WHEN_INVALID:
		assert_true(w->start == 0 && w->end == 0);
		break;
	}
	if (w->kind != VA_WHEN_NONE)
		assert_true(w->match_len > 0);
	assert_true((w->day_from_min < 0) == (w->day_to_min < 0));
	if (w->day_from_min >= 0)
		assert_true(w->day_from_min < w->day_to_min && w->day_to_min <= 1440);
}

static void parse(const char *text, const char *now_iso, const struct va_tz *tz, struct va_when *w)
{
	int64_t now;

	assert_int_equal(va_iso8601_parse(now_iso, NULL, &now), VA_OK);
	assert_int_equal(va_when_parse(text, strlen(text), now, tz, w), VA_OK);
	check_invariants(w, strlen(text), now);
}

/* ---- the shared cases file ---- */

static FILE *open_cases(char *path, size_t n)
{
	const char *cands[4];
	size_t k = 0;

	cands[k++] = getenv("VA_DATETIME_CASES");
#ifdef VA_TEST_DATA_DIR
	cands[k++] = VA_TEST_DATA_DIR "/datetime_cases.tsv";
#endif
	cands[k++] = "../shared/data/datetime_cases.tsv";
	cands[k++] = "/work/shared/data/datetime_cases.tsv";
	for (size_t i = 0; i < k; i++) {
		FILE *f;

		if (!cands[i] || !*cands[i] || !(f = fopen(cands[i], "r")))
			continue;
		snprintf(path, n, "%s", cands[i]);
		return f;
	}
	return NULL;
}

/* The value of key=value in the notes column, or "" when absent. */
static void note(const char *notes, const char *key, char *out, size_t n)
{
	const char *p = strstr(notes, key);
	size_t len = 0;

	out[0] = '\0';
	if (!p)
		return;
	p += strlen(key);
	while (p[len] && p[len] != ';' && p[len] != ' ' && len + 1 < n)
		len++;
	memcpy(out, p, len);
	out[len] = '\0';
}

static void test_cases_file(void **state)
{
	char path[512], line[1024], kind[32], pref[32], flag[32];
	char got_s[64], got_e[64];
	struct va_tz *tz = load(NY);
	FILE *f = open_cases(path, sizeof(path));
	int rows = 0, failures = 0;

	if (!f)
		fail_msg("datetime_cases.tsv not found (set VA_DATETIME_CASES)");
	while (fgets(line, sizeof(line), f)) {
		char *cols[4] = {0};
		char *p = line;
		struct va_when w;
		bool ok;

		line[strcspn(line, "\r\n")] = '\0';
		for (int c = 0; c < 4 && p; c++) {
			cols[c] = p;
			if ((p = strchr(p, '\t')))
				*p++ = '\0';
		}
		if (!cols[3] || !strcmp(cols[0], "phrase"))
			continue;
		rows++;
		parse(cols[0], NOW_MON, tz, &w);
		note(cols[3], "kind=", kind, sizeof(kind));
		got_s[0] = got_e[0] = '\0';
		if (w.kind == VA_WHEN_POINT || w.kind == VA_WHEN_WINDOW || w.kind == VA_WHEN_OPEN ||
		    w.kind == VA_WHEN_PAST)
			iso(tz, w.start, got_s, sizeof(got_s));
		if ((w.kind == VA_WHEN_WINDOW || w.kind == VA_WHEN_PAST) && w.end != w.start)
			iso(tz, w.end, got_e, sizeof(got_e));
		ok = !strcmp(kind, va_when_kind_name(w.kind)) && !strcmp(got_s, cols[1]) &&
		     !strcmp(got_e, cols[2]);
		note(cols[3], "pref=", pref, sizeof(pref));
		if (*pref && strcmp(pref, va_when_pref_name(w.pref)))
			ok = false;
		note(cols[3], "confirm=", flag, sizeof(flag));
		if (*flag && w.confirm != !strcmp(flag, "yes"))
			ok = false;
		note(cols[3], "approx=", flag, sizeof(flag));
		if (*flag && w.approx != !strcmp(flag, "yes"))
			ok = false;
		note(cols[3], "daypart=", flag, sizeof(flag));
		if (!strcmp(flag, "morning") && (w.day_from_min != 480 || w.day_to_min != 720))
			ok = false;
		if (!ok) {
			failures++;
			print_error(
			    "%s: '%s' -> %s %s %s pref=%s confirm=%d approx=%d (want %s %s %s)\n",
			    path, cols[0], va_when_kind_name(w.kind), got_s, got_e,
			    va_when_pref_name(w.pref), w.confirm, w.approx, kind, cols[1], cols[2]);
		}
	}
	fclose(f);
	va_tz_free(tz);
	assert_true(rows >= 60);
	assert_int_equal(failures, 0);
}

/* ---- our own cases ---- */

struct when_case {
	const char *now, *zone, *text;
	const char *kind, *start, *end; /* end NULL: a point or none */
	const char *pref;		/* NULL: not checked */
	int confirm, approx;		/* -1: not checked */
	const char *match;		/* the expected matched text, NULL: not checked */
};

#define SAT_EVE	 "2026-11-28T18:30:00-05:00"
#define NYE	 "2026-12-31T23:00:00-05:00"
#define DST_FRI	 "2026-03-06T12:00:00-05:00"
#define FALL_FRI "2026-10-30T12:00:00-04:00"

static const struct when_case own[] = {
    /* embedded in longer sentences */
    {NOW_MON, NY, "I need a cleaning next Tuesday afternoon please", "window",
     "2026-12-01T12:00:00-05:00", "2026-12-01T17:00:00-05:00", "none", 1, 0,
     "next Tuesday afternoon"},
    {NOW_MON, NY, "um can I come in tomorrow at 3", "point", "2026-11-24T15:00:00-05:00", NULL,
     NULL, 0, 0, "tomorrow at 3"},
    {NOW_MON, NY, "I lost a filling last night", "past", "2026-11-22T17:00:00-05:00",
     "2026-11-22T20:00:00-05:00", NULL, -1, -1, "last night"},
    /* "one" standing for the visit, unless a time goes on */
    {NOW_MON, NY, "the friday one at noon", "point", "2026-11-27T12:00:00-05:00", NULL, NULL, -1,
     -1, NULL},
    {NOW_MON, NY, "friday one thirty", "point", "2026-11-27T13:30:00-05:00", NULL, NULL, -1, -1,
     NULL},
    {NOW_MON, NY, "the morning one on friday", "window", "2026-11-27T08:00:00-05:00",
     "2026-11-27T12:00:00-05:00", NULL, -1, -1, NULL},
    /* hesitations inside an expression do not split it */
    {NOW_MON, NY, "next uh Tuesday afternoon", "window", "2026-12-01T12:00:00-05:00",
     "2026-12-01T17:00:00-05:00", NULL, 1, 0, "next uh Tuesday afternoon"},
    {NOW_MON, NY, "tomorrow at umm 3", "point", "2026-11-24T15:00:00-05:00", NULL, NULL, 0, 0,
     "tomorrow at umm 3"},
    {NOW_MON, NY, "the 3rd, er, at 2 pm", "point", "2026-12-03T14:00:00-05:00", NULL, NULL, -1, -1,
     NULL},
    {NOW_MON, NY, "may I come in Tuesday", "window", "2026-11-24T00:00:00-05:00",
     "2026-11-25T00:00:00-05:00", NULL, 0, 0, "Tuesday"},
    {NOW_MON, NY, "Hi, I'm John Smith and I need a cleaning next Tuesday afternoon", "window",
     "2026-12-01T12:00:00-05:00", "2026-12-01T17:00:00-05:00", NULL, 1, -1,
     "next Tuesday afternoon"},
    {NOW_MON, NY, "do you have anything on the fourteenth?", "window", "2026-12-14T00:00:00-05:00",
     "2026-12-15T00:00:00-05:00", NULL, -1, -1, "the fourteenth"},
    {NOW_MON, NY, "yeah the day after tomorrow works, around 11 if you can", "window",
     "2026-11-25T00:00:00-05:00", "2026-11-26T00:00:00-05:00", NULL, -1, -1,
     "the day after tomorrow"},
    {NOW_MON, NY, "TOMORROW AT 3PM", "point", "2026-11-24T15:00:00-05:00", NULL, NULL, -1, -1,
     "TOMORROW AT 3PM"},
    /* number words and spoken times */
    {NOW_MON, NY, "on the second", "window", "2026-12-02T00:00:00-05:00",
     "2026-12-03T00:00:00-05:00", NULL, -1, -1, "the second"},
    {NOW_MON, NY, "at ten fifteen", "point", "2026-11-23T10:15:00-05:00", NULL, NULL, -1, -1,
     "at ten fifteen"},
    {NOW_MON, NY, "two thirty tomorrow", "point", "2026-11-24T14:30:00-05:00", NULL, NULL, -1, -1,
     "two thirty tomorrow"},
    {NOW_MON, NY, "Thursday at two oh five", "point", "2026-11-26T14:05:00-05:00", NULL, NULL, -1,
     -1, NULL},
    {NOW_MON, NY, "tomorrow at nine forty-five", "point", "2026-11-24T09:45:00-05:00", NULL, NULL,
     -1, -1, NULL},
    {NOW_MON, NY, "twenty to four on Friday", "point", "2026-11-27T15:40:00-05:00", NULL, NULL, -1,
     -1, NULL},
    {NOW_MON, NY, "the twenty-third of December", "window", "2026-12-23T00:00:00-05:00",
     "2026-12-24T00:00:00-05:00", NULL, -1, -1, NULL},
    {NOW_MON, NY, "3-ish", "window", "2026-11-23T14:30:00-05:00", "2026-11-23T15:30:00-05:00",
     "closest", -1, -1, "3-ish"},
    {NOW_MON, NY, "about 11 tomorrow", "window", "2026-11-24T10:30:00-05:00",
     "2026-11-24T11:30:00-05:00", "closest", -1, -1, NULL},
    {NOW_MON, NY, "any time after 4", "window", "2026-11-23T16:00:00-05:00",
     "2026-11-24T00:00:00-05:00", NULL, -1, -1, NULL},
    {NOW_MON, NY, "tonight at 7", "point", "2026-11-23T19:00:00-05:00", NULL, NULL, -1, -1, NULL},
    {NOW_MON, NY, "9 in the evening", "point", "2026-11-23T21:00:00-05:00", NULL, NULL, -1, -1,
     NULL},
    {NOW_MON, NY, "2-4pm tomorrow", "window", "2026-11-24T14:00:00-05:00",
     "2026-11-24T16:00:00-05:00", NULL, -1, -1, NULL},
    {NOW_MON, NY, "midnight", "point", "2026-11-24T00:00:00-05:00", NULL, NULL, -1, -1, NULL},
    /* not dates */
    {NOW_MON, NY, "I have 3 kids", "none", NULL, NULL, NULL, -1, -1, NULL},
    {NOW_MON, NY, "my number is 555 1234", "none", NULL, NULL, NULL, -1, -1, NULL},
    {NOW_MON, NY, "room 12", "none", NULL, NULL, NULL, -1, -1, NULL},
    {NOW_MON, NY, "wait a second", "none", NULL, NULL, NULL, -1, -1, NULL},
    {NOW_MON, NY, "the second one works", "none", NULL, NULL, NULL, -1, -1, NULL},
    {NOW_MON, NY, "I sat down and the sun was out", "none", NULL, NULL, NULL, -1, -1, NULL},
    {NOW_MON, NY, "may we bring the kids", "none", NULL, NULL, NULL, -1, -1, NULL},
    {NOW_MON, NY, "call me at 5 5 5 1 2 3 4", "none", NULL, NULL, NULL, -1, -1, NULL},
    {NOW_MON, NY, "13/45", "none", NULL, NULL, NULL, -1, -1, NULL},
    {NOW_MON, NY, "", "none", NULL, NULL, NULL, -1, -1, NULL},
    /* calendar */
    {NOW_MON, NY, "in December", "window", "2026-12-01T00:00:00-05:00", "2027-01-01T00:00:00-05:00",
     NULL, -1, -1, NULL},
    {NOW_MON, NY, "July 4th", "window", "2027-07-04T00:00:00-04:00", "2027-07-05T00:00:00-04:00",
     NULL, -1, -1, NULL},
    {NOW_MON, NY, "Memorial Day", "window", "2027-05-31T00:00:00-04:00",
     "2027-06-01T00:00:00-04:00", NULL, -1, -1, NULL},
    {NOW_MON, NY, "Labor Day", "window", "2027-09-06T00:00:00-04:00", "2027-09-07T00:00:00-04:00",
     NULL, -1, -1, NULL},
    {NOW_MON, NY, "Christmas", "window", "2026-12-25T00:00:00-05:00", "2026-12-26T00:00:00-05:00",
     NULL, -1, -1, NULL},
    {NOW_MON, NY, "New Year's Day", "window", "2027-01-01T00:00:00-05:00",
     "2027-01-02T00:00:00-05:00", NULL, -1, -1, NULL},
    {NOW_MON, NY, "the first Monday in November", "window", "2027-11-01T00:00:00-04:00",
     "2027-11-02T00:00:00-04:00", NULL, -1, -1, NULL},
    {NOW_MON, NY, "February 29th", "window", "2028-02-29T00:00:00-05:00",
     "2028-03-01T00:00:00-05:00", NULL, -1, -1, NULL},
    {NOW_MON, NY, "April 31st", "invalid", NULL, NULL, NULL, -1, -1, NULL},
    {NOW_MON, NY, "the fifth Monday in February", "invalid", NULL, NULL, NULL, -1, -1, NULL},
    {NOW_MON, NY, "December 3rd, 2025", "past", "2025-12-03T00:00:00-05:00",
     "2025-12-04T00:00:00-05:00", NULL, -1, -1, NULL},
    {NOW_MON, NY, "last Tuesday", "past", "2026-11-17T00:00:00-05:00", "2026-11-18T00:00:00-05:00",
     NULL, -1, -1, NULL},
    {NOW_MON, NY, "Tuesday next week", "window", "2026-12-01T00:00:00-05:00",
     "2026-12-02T00:00:00-05:00", NULL, 0, -1, NULL},
    {NOW_MON, NY, "on sat", "window", "2026-11-28T00:00:00-05:00", "2026-11-29T00:00:00-05:00",
     NULL, -1, -1, "sat"},
    {NOW_MON, NY, "Monday or Wednesday", "window", "2026-11-30T00:00:00-05:00",
     "2026-12-01T00:00:00-05:00", NULL, 1, -1, NULL},
    /* relative */
    {NOW_MON, NY, "in an hour", "point", "2026-11-23T11:00:00-05:00", NULL, NULL, -1, 0, NULL},
    {NOW_MON, NY, "in the next 2 hours", "window", "2026-11-23T10:00:00-05:00",
     "2026-11-23T12:00:00-05:00", NULL, -1, -1, NULL},
    {NOW_MON, NY, "three days from now", "window", "2026-11-26T00:00:00-05:00",
     "2026-11-27T00:00:00-05:00", NULL, -1, 1, NULL},
    {NOW_MON, NY, "this evening", "window", "2026-11-23T17:00:00-05:00",
     "2026-11-23T20:00:00-05:00", NULL, -1, -1, NULL},
    {NOW_MON, NY, "a.s.a.p.", "open", NOW_MON, NULL, "earliest", -1, -1, NULL},
    {NOW_MON, NY, "whenever is fine", "open", NOW_MON, NULL, "none", -1, -1, "whenever"},
    {NOW_MON, NY, "earliest tomorrow", "window", "2026-11-24T00:00:00-05:00",
     "2026-11-25T00:00:00-05:00", "earliest", -1, -1, NULL},
    /* a Saturday evening */
    {SAT_EVE, NY, "tomorrow", "window", "2026-11-29T00:00:00-05:00", "2026-11-30T00:00:00-05:00",
     NULL, -1, -1, NULL},
    {SAT_EVE, NY, "this afternoon", "past", "2026-11-28T12:00:00-05:00",
     "2026-11-28T17:00:00-05:00", NULL, -1, -1, NULL},
    {SAT_EVE, NY, "this evening", "window", SAT_EVE, "2026-11-28T20:00:00-05:00", NULL, -1, -1,
     NULL},
    {SAT_EVE, NY, "Monday", "window", "2026-11-30T00:00:00-05:00", "2026-12-01T00:00:00-05:00",
     NULL, 0, -1, NULL},
    {SAT_EVE, NY, "next Monday", "window", "2026-11-30T00:00:00-05:00", "2026-12-01T00:00:00-05:00",
     NULL, 1, -1, NULL},
    {SAT_EVE, NY, "later this week", "window", "2026-11-29T00:00:00-05:00",
     "2026-11-30T00:00:00-05:00", NULL, -1, -1, NULL},
    {SAT_EVE, NY, "at 6", "point", "2026-11-29T18:00:00-05:00", NULL, NULL, -1, -1, NULL},
    {SAT_EVE, NY, "in the morning", "window", "2026-11-29T08:00:00-05:00",
     "2026-11-29T12:00:00-05:00", NULL, -1, -1, NULL},
    {SAT_EVE, NY, "this weekend", "window", SAT_EVE, "2026-11-30T00:00:00-05:00", NULL, -1, -1,
     NULL},
    /* New Year's Eve, late */
    {NYE, NY, "tomorrow", "window", "2027-01-01T00:00:00-05:00", "2027-01-02T00:00:00-05:00", NULL,
     -1, -1, NULL},
    {NYE, NY, "the 2nd", "window", "2027-01-02T00:00:00-05:00", "2027-01-03T00:00:00-05:00", NULL,
     -1, -1, NULL},
    {NYE, NY, "next month", "window", "2027-01-01T00:00:00-05:00", "2027-02-01T00:00:00-05:00",
     NULL, -1, -1, NULL},
    {NYE, NY, "in a month", "window", "2027-01-31T00:00:00-05:00", "2027-02-01T00:00:00-05:00",
     NULL, -1, 1, NULL},
    {NYE, NY, "in two months", "window", "2027-02-28T00:00:00-05:00", "2027-03-01T00:00:00-05:00",
     NULL, -1, 1, NULL},
    {NYE, NY, "January 5th", "window", "2027-01-05T00:00:00-05:00", "2027-01-06T00:00:00-05:00",
     NULL, -1, -1, NULL},
    {NYE, NY, "next week", "window", "2027-01-04T00:00:00-05:00", "2027-01-11T00:00:00-05:00", NULL,
     -1, -1, NULL},
    {NYE, NY, "tonight", "past", "2026-12-31T17:00:00-05:00", "2026-12-31T20:00:00-05:00", NULL, -1,
     -1, NULL},
    /* DST weeks */
    {DST_FRI, NY, "Monday at 9", "point", "2026-03-09T09:00:00-04:00", NULL, NULL, -1, -1, NULL},
    {DST_FRI, NY, "Sunday", "window", "2026-03-08T00:00:00-05:00", "2026-03-09T00:00:00-04:00",
     NULL, -1, -1, NULL},
    {DST_FRI, NY, "Sunday at 2:30am", "point", "2026-03-08T03:30:00-04:00", NULL, NULL, -1, -1,
     NULL},
    {DST_FRI, NY, "in 2 days", "window", "2026-03-08T00:00:00-05:00", "2026-03-09T00:00:00-04:00",
     NULL, -1, 1, NULL},
    {FALL_FRI, NY, "Sunday at 1:30am", "point", "2026-11-01T01:30:00-04:00", NULL, NULL, -1, -1,
     NULL},
    {FALL_FRI, NY, "next week", "window", "2026-11-02T00:00:00-05:00", "2026-11-09T00:00:00-05:00",
     NULL, -1, -1, NULL},
    /* other zones */
    {"2026-11-23T10:00:00+05:30", "Asia/Kolkata", "tomorrow at 3", "point",
     "2026-11-24T15:00:00+05:30", NULL, NULL, -1, -1, NULL},
    {"2026-03-27T09:00:00+00:00", "Europe/London", "Sunday at 10", "point",
     "2026-03-29T10:00:00+01:00", NULL, NULL, -1, -1, NULL},
};

static void test_own_cases(void **state)
{
	int failures = 0;

	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
		const struct when_case *k = &own[i];
		struct va_tz *tz = load(k->zone);
		struct va_when w;
		char s[64] = "", e[64] = "";
		bool ok;

		parse(k->text, k->now, tz, &w);
		if (w.kind != VA_WHEN_NONE && w.kind != VA_WHEN_INVALID)
			iso(tz, w.start, s, sizeof(s));
		if ((w.kind == VA_WHEN_WINDOW || w.kind == VA_WHEN_PAST) && w.end != w.start)
			iso(tz, w.end, e, sizeof(e));
		ok = !strcmp(k->kind, va_when_kind_name(w.kind)) &&
		     !strcmp(s, k->start ? k->start : "") && !strcmp(e, k->end ? k->end : "");
		if (k->pref && strcmp(k->pref, va_when_pref_name(w.pref)))
			ok = false;
		if (k->confirm >= 0 && w.confirm != (k->confirm == 1))
			ok = false;
		if (k->approx >= 0 && w.approx != (k->approx == 1))
			ok = false;
		if (k->match && (w.match_len != strlen(k->match) ||
				 strncmp(k->text + w.match_start, k->match, w.match_len)))
			ok = false;
		if (!ok) {
			failures++;
			print_error(
			    "'%s' at %s -> %s %s %s pref=%s confirm=%d approx=%d match='%.*s'\n",
			    k->text, k->now, va_when_kind_name(w.kind), s, e,
			    va_when_pref_name(w.pref), w.confirm, w.approx, (int)w.match_len,
			    k->text + w.match_start);
		}
		va_tz_free(tz);
	}
	assert_int_equal(failures, 0);
}

/* The day filter of a multi-day window ("any morning next week"). */
static void test_daypart_filter(void **state)
{
	struct va_tz *tz = load(NY);
	struct va_when w;

	parse("afternoons next week", NOW_MON, tz, &w);
	assert_int_equal(w.kind, VA_WHEN_WINDOW);
	assert_int_equal(w.day_from_min, 720);
	assert_int_equal(w.day_to_min, 1020);
	parse("Wednesday or Thursday morning", NOW_MON, tz, &w);
	assert_int_equal(w.kind, VA_WHEN_WINDOW);
	assert_int_equal(w.end - w.start, 2 * 86400);
	assert_int_equal(w.day_from_min, 480);
	assert_int_equal(w.day_to_min, 720);
	/* A single day is narrowed instead. */
	parse("tomorrow morning", NOW_MON, tz, &w);
	assert_int_equal(w.day_from_min, -1);
	assert_int_equal(w.end - w.start, 4 * 3600);
	va_tz_free(tz);
}

static void test_arguments_and_buffers(void **state)
{
	struct va_tz *tz = load(NY);
	struct va_when w;
	int64_t now;
	const char text[] = "tomorrow at 3";
	char longtext[2048];
	size_t n = 0;

	assert_int_equal(va_iso8601_parse(NOW_MON, NULL, &now), VA_OK);
	assert_int_equal(va_when_parse(text, strlen(text), now, tz, NULL), VA_E_INVAL);
	assert_int_equal(va_when_parse(NULL, 5, now, tz, &w), VA_E_INVAL);
	assert_int_equal(va_when_parse(NULL, 0, now, tz, &w), VA_OK);
	assert_int_equal(w.kind, VA_WHEN_NONE);
	assert_int_equal(va_when_parse(text, 3, INT64_MAX, tz, &w), VA_E_INVAL);

	/* Only len bytes are read: "tomorrow" without " at 3". */
	assert_int_equal(va_when_parse(text, 8, now, tz, &w), VA_OK);
	assert_int_equal(w.kind, VA_WHEN_WINDOW);
	assert_int_equal(w.match_len, 8);

	/* A NULL zone is UTC. */
	assert_int_equal(va_when_parse(text, strlen(text), now, NULL, &w), VA_OK);
	assert_int_equal(w.kind, VA_WHEN_POINT);
	assert_true(w.start == now + 86400); /* 2026-11-24T15:00:00Z */

	/* Far into a long utterance (past the tokenizer's chunk) it is still found. */
	for (int i = 0; i < 60; i++)
		n += (size_t)snprintf(longtext + n, sizeof(longtext) - n, "blah %d ", i);
	n += (size_t)snprintf(longtext + n, sizeof(longtext) - n, "so next Friday at 10 ok");
	assert_int_equal(va_when_parse(longtext, n, now, tz, &w), VA_OK);
	assert_int_equal(w.kind, VA_WHEN_POINT);
	assert_true(w.match_len == strlen("next Friday at 10"));
	assert_memory_equal(longtext + w.match_start, "next Friday at 10", w.match_len);

	assert_string_equal(va_when_kind_name(VA_WHEN_INVALID), "invalid");
	assert_string_equal(va_when_kind_name(VA_WHEN_OPEN), "open");
	assert_string_equal(va_when_pref_name(VA_WHEN_PREF_CLOSEST), "closest");
	assert_string_equal(va_when_pref_name(VA_WHEN_PREF_LATEST), "latest");
	va_tz_free(tz);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cases_file),
	    cmocka_unit_test(test_own_cases),
	    cmocka_unit_test(test_daypart_filter),
	    cmocka_unit_test(test_arguments_and_buffers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
