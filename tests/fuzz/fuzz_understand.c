/* SPDX-License-Identifier: MIT */
/*
 * fuzz_understand.c - feeds arbitrary bytes to va_understand under every
 * expect value (the first byte picks one to start from) and checks what the
 * receptionist relies on: text fields terminated inside their buffers,
 * phone digits only and of an accepted length, values in range.
 */
#include "core/err.h"
#include "core/tz.h"
#include "nlu/understand.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct va_tz *tz;

static void check(const struct va_understanding *u)
{
	size_t n;

	if (!memchr(u->name, '\0', sizeof(u->name)) || !memchr(u->phone, '\0', sizeof(u->phone)) ||
	    !memchr(u->insurance, '\0', sizeof(u->insurance)))
		abort();
	n = strlen(u->phone);
	for (size_t i = 0; i < n; i++) {
		if (u->phone[i] < '0' || u->phone[i] > '9')
			abort();
	}
	if (n != 0 && n != 7 && n != 10)
		abort();
	if (u->intents >> VA_INTENT__COUNT || u->symptoms >> VA_SYMPTOM__COUNT)
		abort();
	if (u->pain_level < -1 || u->pain_level > 10)
		abort();
	if ((int)u->service < 0 || u->service >= VA_SERVICE__COUNT)
		abort();
	if (u->urgency > VA_URGENCY_DANGER || u->patient > VA_PATIENT_EXISTING)
		abort();
	if (u->digit && (u->digit < '0' || u->digit > '9'))
		abort();
	if (u->choice < VA_CHOICE_LAST || u->choice > 9)
		abort();
	if (u->dob_year && (u->dob_month < 1 || u->dob_month > 12 || u->dob_day < 1 ||
			    u->dob_day > 31 || u->dob_year < 1900))
		abort();
	if (u->name[0] == ' ')
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct va_understanding u;
	/* An exact-size copy so ASan catches any read past len. */
	char *text;
	int64_t now = 1795446000; /* 2026-11-23T10:00:00-05:00 */

	if (!tz && va_tz_load("America/New_York", &tz) != VA_OK)
		tz = NULL;
	if (size == 0)
		return 0;
	now += (int64_t)data[0] * 86400 * 97;
	text = malloc(size - 1 ? size - 1 : 1);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	for (int e = VA_EXPECT_ANY; e <= VA_EXPECT_INSURANCE; e++) {
		if (va_understand(text, size - 1, (enum va_expect)e, now, tz, &u) != VA_OK)
			abort();
		check(&u);
	}
	if (va_understand(text, size - 1, VA_EXPECT_ANY, now, NULL, &u) != VA_OK)
		abort();
	check(&u);
	free(text);
	return 0;
}
