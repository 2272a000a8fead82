/* SPDX-License-Identifier: MIT */
/*
 * fuzz_when.c - arbitrary bytes as a caller's words for the date/time parser,
 * at a fixed now (Monday 2026-11-23 10:00 in New York): no crash, no read
 * outside the text, and every result keeps the invariants of nlu/when.h.
 */
#include "core/err.h"
#include "core/tz.h"
#include "nlu/when.h"

#include <stdint.h>
#include <stdlib.h>

#define FUZZ_NOW 1795446000 /* 2026-11-23T10:00:00-05:00 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct va_tz *zone(void)
{
	/* Loaded once for the whole run; UTC where tzdata is missing. */
	static struct va_tz *tz;

	if (!tz && va_tz_load("America/New_York", &tz) != VA_OK && va_tz_load("UTC", &tz) != VA_OK)
		abort();
	return tz;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct va_when w;

	if (va_when_parse((const char *)data, size, FUZZ_NOW, zone(), &w) != VA_OK)
		abort();
	if (w.match_start > size || w.match_len > size - w.match_start)
		abort();
	switch (w.kind) {
	case VA_WHEN_NONE:
		if (w.match_len != 0)
			abort();
		break;
	case VA_WHEN_POINT:
		if (w.end != w.start || w.start < FUZZ_NOW)
			abort();
		break;
	case VA_WHEN_WINDOW:
		if (w.end <= w.start || w.start < FUZZ_NOW)
			abort();
		break;
	case VA_WHEN_OPEN:
		if (w.start != FUZZ_NOW || w.end != 0)
			abort();
		break;
	case VA_WHEN_PAST:
		if (w.end > FUZZ_NOW || w.start > w.end)
			abort();
		break;
	case VA_WHEN_INVALID:
		if (w.start || w.end)
			abort();
		break;
	default:
		abort();
	}
	if (w.kind != VA_WHEN_NONE && w.match_len == 0)
		abort();
	if ((w.day_from_min < 0) != (w.day_to_min < 0) ||
	    (w.day_from_min >= 0 && (w.day_from_min >= w.day_to_min || w.day_to_min > 1440)))
		abort();
	return 0;
}
