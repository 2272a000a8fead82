/* SPDX-License-Identifier: MIT */
/*
 * fuzz_ical.c - arbitrary bytes as a calendar object from a CalDAV server,
 * read in New York over a fixed month: no crash, no hang (libical is asked
 * only bounded questions), and every reported occurrence keeps the
 * invariants of calendar/ical.h. The same bytes then go into the text fields
 * of an appointment we publish: the object must parse back with exactly that
 * event at exactly its times, whatever the patient's name or notes hold.
 */
#include "calendar/ical.h"
#include "core/err.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_FROM 1795446000 /* 2026-11-23T10:00:00-05:00 */
#define FUZZ_TO	  (FUZZ_FROM + 31 * 86400)
#define FUZZ_ZONE "America/New_York"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	size_t n, recurring;
	int64_t start, end;
};

static int check_event(const struct va_ical_event *ev, void *arg)
{
	struct seen *s = arg;

	if (ev->end <= ev->start)
		abort();
	if (strnlen(ev->uid, sizeof(ev->uid)) == sizeof(ev->uid) ||
	    strnlen(ev->summary, sizeof(ev->summary)) == sizeof(ev->summary) ||
	    strnlen(ev->appointment_id, sizeof(ev->appointment_id)) == sizeof(ev->appointment_id))
		abort();
	/* A series is expanded inside the window only. */
	if (ev->recurring && (ev->start >= FUZZ_TO || ev->end <= FUZZ_FROM))
		abort();
	s->n++;
	s->recurring += ev->recurring;
	s->start = ev->start;
	s->end = ev->end;
	return 0;
}

static void roundtrip(const uint8_t *data, size_t size)
{
	struct va_appointment ap;
	struct va_ical_appt a = {&ap, "apt_fuzz@voiceai", 1, FUZZ_FROM, NULL, NULL};
	struct seen s = {0};
	size_t half = size / 2;
	char *out = NULL;
	int rc;

	memset(&ap, 0, sizeof(ap));
	memcpy(ap.id, "apt_fuzz", 8);
	memcpy(ap.patient_name, data,
	       half < sizeof(ap.patient_name) - 1 ? half : sizeof(ap.patient_name) - 1);
	memcpy(ap.notes, data + half,
	       size - half < sizeof(ap.notes) - 1 ? size - half : sizeof(ap.notes) - 1);
	ap.start = FUZZ_FROM + 3600;
	ap.end = ap.start + 1800;
	ap.urgent = size & 1;
	ap.service = (enum va_service_kind)(size % VA_SERVICE__COUNT);
	if (va_ical_appt_object(&a, &out) != VA_OK)
		abort();
	/* Every line within 75 octets, CRLF only. */
	for (size_t i = 0, start = 0; out[i]; i++) {
		if (out[i] == '\n') {
			if (i == 0 || out[i - 1] != '\r' || i - 1 - start > 75)
				abort();
			start = i + 1;
		}
	}
	rc = va_ical_parse(out, strlen(out), FUZZ_ZONE, FUZZ_FROM, FUZZ_TO, check_event, &s, NULL);
	if (rc != VA_OK || s.n != 1 || s.start != ap.start || s.end != ap.end)
		abort();
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen s = {0};
	int unknown = -1, rc;

	rc = va_ical_parse((const char *)data, size, FUZZ_ZONE, FUZZ_FROM, FUZZ_TO, check_event, &s,
			   &unknown);
	if (rc != VA_OK && rc != VA_E_PARSE)
		abort();
	if (rc != VA_OK && s.n != 0)
		abort(); /* structure errors are found before any callback */
	if (unknown < 0)
		abort();
	roundtrip(data, size);
	return 0;
}
