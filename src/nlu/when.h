/* SPDX-License-Identifier: MIT */
/*
 * when.h - natural-language dates and times, as callers say them, resolved
 * against "now" in the practice's time zone.
 *
 * The conventions are those of ../shared/data/datetime_cases.tsv:
 *   point   an instant ("tomorrow at 3"): start set, end = start
 *   window  [start, end) ("next Tuesday afternoon", "tomorrow"); a window on
 *           today never starts before now
 *   open    from start (now) with no end ("as soon as possible")
 *   past    resolved but already over ("yesterday", "9am today" at 10am)
 *   invalid cannot be resolved as said ("February 30th", "Tuesday the 3rd"
 *           when the 3rd is a Thursday): ask again
 *   none    no date or time in the text at all
 * Bare hours: 1-6 -> pm, 7-11 -> am, 12 -> noon. 'next <weekday>' is that
 * weekday in next Mon-Sun week and asks for confirmation. Pure: no I/O.
 */
#ifndef VA_NLU_WHEN_H
#define VA_NLU_WHEN_H

#include "core/tz.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum va_when_kind {
	VA_WHEN_NONE = 0,
	VA_WHEN_POINT,
	VA_WHEN_WINDOW,
	VA_WHEN_OPEN,
	VA_WHEN_PAST,
	VA_WHEN_INVALID,
};

enum va_when_pref {
	VA_WHEN_PREF_NONE = 0,
	VA_WHEN_PREF_EARLIEST, /* "first thing", "as soon as possible" */
	VA_WHEN_PREF_LATEST,   /* "end of day" */
	VA_WHEN_PREF_CLOSEST,  /* "around 3" */
};

struct va_when {
	enum va_when_kind kind;
	int64_t start; /* epoch seconds; 0 when not applicable */
	int64_t end;   /* exclusive; = start for a point; 0 for open/none/invalid */
	enum va_when_pref pref;
	bool confirm; /* read the date back: speakers disagree on its meaning */
	bool approx;  /* "in two weeks": nearby days are fine */
	/* A daypart filter applied to each day of a multi-day window ("any
	 * morning next week"): minutes after local midnight, -1 when none. */
	int day_from_min, day_to_min;
	/* Where in the text the date/time expression was found (bytes), so a
	 * caller-understanding layer can tell what else was said. */
	size_t match_start, match_len;
};

/* Parses the first date/time expression in text (len bytes; need not be
 * NUL-terminated; case-insensitive; number words allowed). Always fills
 * *out (VA_WHEN_NONE when there is none) and returns VA_OK, or VA_E_INVAL
 * for bad arguments. */
int va_when_parse(const char *text, size_t len, int64_t now, const struct va_tz *tz,
		  struct va_when *out);

const char *va_when_kind_name(enum va_when_kind k);
const char *va_when_pref_name(enum va_when_pref p);

#endif
