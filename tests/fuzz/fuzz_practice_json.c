/* SPDX-License-Identifier: MIT */
/*
 * fuzz_practice_json.c - a practice document all the way to offered slots:
 * JSON -> practice (as a new practice and as an update of the demo) ->
 * validate -> JSON again -> slot search in America/New_York.
 *
 * Beyond "never crash" it traps when an invariant breaks: an accepted
 * practice validates and reads back from its own JSON as the same practice;
 * a refused document leaves the practice untouched and names a field; every
 * slot the finder offers passes va_slot_fits, lies in the window, and comes
 * in the preference's order.
 */
#include "core/buf.h"
#include "core/err.h"
#include "core/tz.h"
#include "schedule/practice.h"
#include "schedule/slots.h"
#include "tenant/practice_json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

static struct va_tz *zone(void)
{
	static struct va_tz *tz;

	if (!tz && va_tz_load("America/New_York", &tz))
		abort();
	return tz;
}

/* 2026-10-30 12:00 UTC, so searches cross the 2026-11-01 DST change. */
#define NOW ((int64_t)1793361600)

static void search(const struct va_practice *p, const uint8_t *data, size_t size)
{
	struct va_slot out[8];
	struct va_busy busy[2];
	struct va_slot_query q;
	const char *why;
	size_t n, i, k;
	uint8_t seed = size ? data[size - 1] : 0;

	memset(busy, 0, sizeof(busy));
	if (p->n_providers)
		memcpy(busy[0].provider_id, p->providers[0].id, sizeof(busy[0].provider_id));
	busy[0].start = NOW + 86400;
	busy[0].end = NOW + 86400 + 5400;
	busy[1].start = NOW + 3 * 86400; /* "" : the whole practice */
	busy[1].end = NOW + 3 * 86400 + 3600;
	for (k = 0; k < p->n_services; k++) {
		memset(&q, 0, sizeof(q));
		q.service = p->services[k].kind;
		q.from = NOW;
		q.horizon_days = 1 + seed % 10;
		q.day_from_min = seed & 1 ? 600 : -1;
		q.day_to_min = seed & 2 ? 900 : -1;
		q.pref = (enum va_slot_pref)((seed >> 2) % 4 + k) % 4;
		q.target = NOW + (int64_t)seed * 3600;
		q.max_slots = 1 + (seed >> 4) % 8;
		CHECK(va_slots_find(p, zone(), NOW, busy, 2, &q, out, &n) == VA_OK);
		CHECK(n <= q.max_slots);
		for (i = 0; i < n; i++) {
			CHECK(out[i].start >= NOW && out[i].start < NOW + q.horizon_days * 86400);
			CHECK(out[i].end - out[i].start == p->services[k].duration_min * 60);
			CHECK(va_slot_fits(p, zone(), NOW, busy, 2, q.service, out[i].provider_id,
					   out[i].start, &why));
			if (i && q.pref == VA_SLOT_PREF_EARLIEST)
				CHECK(out[i].start >= out[i - 1].start);
			if (i && q.pref == VA_SLOT_PREF_LATEST)
				CHECK(out[i].start <= out[i - 1].start);
		}
	}
}

static void exercise(const struct va_practice *p, const uint8_t *data, size_t size)
{
	struct va_buf b = VA_BUF_INIT(1024 * 1024);
	struct va_practice back;
	char why[256];

	CHECK(va_practice_validate(p, why, sizeof(why)) == VA_OK);
	CHECK(va_practice_to_json(p, &b) == VA_OK);
	va_practice_demo(&back, 2030);
	CHECK(va_practice_from_json(b.data, b.len, &back, false, why, sizeof(why)) == VA_OK);
	CHECK(va_practice_equal(&back, p));
	va_buf_release(&b);
	for (size_t i = 0; i < p->n_plans; i++)
		CHECK(va_practice_match_plan(p, p->plans[i]) != NULL);
	search(p, data, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct va_practice p, demo;
	char why[256];
	int rc;

	if (size > 64 * 1024)
		return 0;

	memset(&p, 0, sizeof(p));
	rc = va_practice_from_json((const char *)data, size, &p, false, why, sizeof(why));
	CHECK(rc == VA_OK || rc == VA_E_INVAL || rc == VA_E_PARSE);
	if (rc == VA_OK)
		exercise(&p, data, size);
	else
		CHECK(strchr(why, ':') != NULL);

	va_practice_demo(&demo, 2026);
	p = demo;
	rc = va_practice_from_json((const char *)data, size, &p, true, why, sizeof(why));
	if (rc == VA_OK)
		exercise(&p, data, size);
	else
		CHECK(memcmp(&p, &demo, sizeof(p)) == 0 && strchr(why, ':') != NULL);
	return 0;
}
