/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/calendar/ical.c - src/calendar/ical.c: the object we PUT and the
 * practice feed parse back with libical and keep every field; the reader gets
 * times right in every form RFC 5545 allows (UTC, TZID with and without a
 * VTIMEZONE, unknown TZID, floating, DATE, DURATION), expands recurrences in
 * a window with EXDATE and overrides, and stays bounded on hostile input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "calendar/ical.h"
#include "core/err.h"
#include "core/tz.h"

#include <libical/ical.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NY "America/New_York"

static int64_t at(const char *iso)
{
	int64_t t = 0;

	assert_int_equal(va_iso8601_parse(iso, NULL, &t), VA_OK);
	return t;
}

/* ---- collecting what the reader reports ------------------------------------ */

#define MAXEV 1100

struct got {
	struct va_ical_event ev[MAXEV];
	size_t n;
	int stop_after; /* return 7 after this many; 0 = never */
};

static int collect(const struct va_ical_event *ev, void *arg)
{
	struct got *g = arg;

	assert_true(ev->end > ev->start);
	if (g->n < MAXEV)
		g->ev[g->n] = *ev;
	g->n++;
	if (g->stop_after && g->n >= (size_t)g->stop_after)
		return 7;
	return 0;
}

static struct got *parse(const char *text, int64_t from, int64_t to, int expect_rc, int *unknown)
{
	struct got *g = calloc(1, sizeof(*g));
	int rc;

	assert_non_null(g);
	rc = va_ical_parse(text, strlen(text), NY, from, to, collect, g, unknown);
	assert_int_equal(rc, expect_rc);
	return g;
}

/* ---- the object we write ---------------------------------------------------- */

static void sample(struct va_appointment *ap)
{
	memset(ap, 0, sizeof(*ap));
	snprintf(ap->id, sizeof(ap->id), "apt_0123456789abcdef01234567");
	snprintf(ap->tenant_id, sizeof(ap->tenant_id), "demo123");
	snprintf(ap->patient_name, sizeof(ap->patient_name), "O'Brien, Jane; \"JJ\" Café");
	snprintf(ap->phone, sizeof(ap->phone), "15550100100");
	ap->new_patient = true;
	ap->service = VA_SERVICE_ROOT_CANAL;
	snprintf(ap->provider_id, sizeof(ap->provider_id), "dr_patel");
	ap->start = 1795532400; /* 2026-11-24T10:00:00-05:00 */
	ap->end = ap->start + 3600;
	ap->status = VA_APPT_BOOKED;
	ap->urgent = true;
	snprintf(ap->notes, sizeof(ap->notes),
		 "Pain, lower left; swelling\\since Sunday.\r\nInsurance: Delta Dental, PPO. "
		 "A long note that certainly needs folding over more than one line of the object "
		 "ééééééééééééééééééééééééééééééééééééééé end");
	snprintf(ap->session_id, sizeof(ap->session_id), "CA0123456789abcdef");
	ap->created_ms = 1795400000123;
	ap->updated_ms = 1795450000456;
}

static void assert_lines_ok(const char *s)
{
	size_t len = strlen(s), start = 0;

	assert_true(len > 2);
	assert_memory_equal(s + len - 2, "\r\n", 2);
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n') {
			assert_true(i > 0 && s[i - 1] == '\r'); /* CRLF only */
			assert_true(i - 1 - start <= 75);	/* octets, CRLF excluded */
			start = i + 1;
		}
	}
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static icalproperty *xprop(icalcomponent *ev, const char *name)
{
	for (icalproperty *p = icalcomponent_get_first_property(ev, ICAL_X_PROPERTY); p;
	     p = icalcomponent_get_next_property(ev, ICAL_X_PROPERTY))
		if (!strcmp(icalproperty_get_x_name(p), name))
			return p;
	return NULL;
}

static int64_t prop_utc(icalcomponent *ev, icalproperty_kind k)
{
	icalproperty *p = icalcomponent_get_first_property(ev, k);
	struct icaltimetype t;

	assert_non_null(p);
	t = icalvalue_get_datetime(icalproperty_get_value(p));
	assert_true(icaltime_is_utc(t));
	return (int64_t)icaltime_as_timet(t);
}

static void test_uid(void **state)
{
	char buf[64], small[8];

	(void)state;
	va_ical_uid("apt_1", buf, sizeof(buf));
	assert_string_equal(buf, "apt_1@voiceai");
	va_ical_uid("apt_0123456789", small, sizeof(small));
	assert_int_equal(strlen(small), sizeof(small) - 1);
	va_ical_uid("x", buf, 0); /* no write, no crash */
}

static void test_appt_object_roundtrip(void **state)
{
	struct va_appointment ap;
	struct va_ical_appt a = {&ap,	      "apt_0123456789abcdef01234567@voiceai",
				 3,	      1795460000,
				 "Dr. Patel", "Bright Smiles"};
	icalcomponent *root, *ev;
	icalproperty *p;
	char *out = NULL;
	const char *desc;
	struct got *g;

	(void)state;
	sample(&ap);
	assert_int_equal(va_ical_appt_object(&a, &out), VA_OK);
	assert_non_null(out);
	assert_lines_ok(out);
	/* Escaped by libical, not by us. */
	assert_non_null(strstr(out, "O'Brien\\, Jane\\; \"JJ\""));
	assert_null(strstr(out, "VTIMEZONE"));
	assert_null(strstr(out, "ORGANIZER"));
	assert_null(strstr(out, "ATTENDEE"));
	assert_null(strstr(out, "METHOD"));
	assert_non_null(strstr(out, "DTSTART:20261124T150000Z\r\n"));

	root = icalparser_parse_string(out);
	assert_non_null(root);
	assert_int_equal(icalcomponent_count_errors(root), 0);
	assert_int_equal(icalcomponent_isa(root), ICAL_VCALENDAR_COMPONENT);
	assert_int_equal(icalcomponent_count_components(root, ICAL_VEVENT_COMPONENT), 1);
	assert_int_equal(icalcomponent_count_components(root, ICAL_ANY_COMPONENT), 1);
	assert_non_null(icalcomponent_get_first_property(root, ICAL_PRODID_PROPERTY));
	assert_string_equal(
	    icalproperty_get_version(icalcomponent_get_first_property(root, ICAL_VERSION_PROPERTY)),
	    "2.0");
	ev = icalcomponent_get_first_component(root, ICAL_VEVENT_COMPONENT);
	assert_string_equal(icalcomponent_get_uid(ev), "apt_0123456789abcdef01234567@voiceai");
	assert_true(prop_utc(ev, ICAL_DTSTART_PROPERTY) == ap.start);
	assert_true(prop_utc(ev, ICAL_DTEND_PROPERTY) == ap.end);
	assert_true(prop_utc(ev, ICAL_DTSTAMP_PROPERTY) == 1795460000);
	assert_true(prop_utc(ev, ICAL_LASTMODIFIED_PROPERTY) == ap.updated_ms / 1000);
	assert_true(prop_utc(ev, ICAL_CREATED_PROPERTY) == ap.created_ms / 1000);
	assert_int_equal(icalcomponent_get_sequence(ev), 3);
	assert_int_equal(icalcomponent_get_status(ev), ICAL_STATUS_CONFIRMED);
	p = icalcomponent_get_first_property(ev, ICAL_TRANSP_PROPERTY);
	assert_int_equal(icalproperty_get_transp(p), ICAL_TRANSP_OPAQUE);
	p = icalcomponent_get_first_property(ev, ICAL_CLASS_PROPERTY);
	assert_int_equal(icalproperty_get_class(p), ICAL_CLASS_PRIVATE);
	assert_string_equal(icalcomponent_get_summary(ev),
			    "URGENT - Root canal - O'Brien, Jane; \"JJ\" Café");
	assert_string_equal(icalcomponent_get_location(ev), "Bright Smiles");
	desc = icalcomponent_get_description(ev);
	assert_non_null(strstr(desc, "Patient: O'Brien, Jane; \"JJ\" Café\n"));
	assert_non_null(strstr(desc, "\nPhone: +1 555-010-0100\n"));
	assert_non_null(strstr(desc, "\nNew patient\n"));
	assert_non_null(strstr(desc, "\nService: root canal\n"));
	assert_non_null(strstr(desc, "\nProvider: Dr. Patel\n"));
	assert_non_null(strstr(desc, "\nUrgent: yes\n"));
	/* The notes come back whole, CRLF read as one newline. */
	assert_non_null(strstr(desc, "\nNotes: Pain, lower left; swelling\\since Sunday.\n"
				     "Insurance: Delta Dental, PPO. A long note"));
	assert_non_null(strstr(desc, "éééé end\n"));
	assert_non_null(strstr(desc, "(call CA0123456789abcdef)"));
	p = xprop(ev, "X-VOICEAI-APPOINTMENT-ID");
	assert_non_null(p);
	assert_string_equal(icalproperty_get_x(p), "apt_0123456789abcdef01234567");
	icalcomponent_free(root);

	/* And through our own reader. */
	g = parse(out, 0, 1, VA_OK, NULL);
	assert_int_equal(g->n, 1);
	assert_string_equal(g->ev[0].uid, "apt_0123456789abcdef01234567@voiceai");
	assert_string_equal(g->ev[0].appointment_id, "apt_0123456789abcdef01234567");
	assert_true(g->ev[0].start == ap.start && g->ev[0].end == ap.end);
	assert_int_equal(g->ev[0].sequence, 3);
	assert_false(g->ev[0].cancelled || g->ev[0].transparent || g->ev[0].all_day ||
		     g->ev[0].recurring);
	free(g);
	free(out);
}

static void test_appt_object_cancelled_and_plain(void **state)
{
	struct va_appointment ap;
	struct va_ical_appt a = {&ap, "u1@voiceai", 0, 1795460000, NULL, NULL};
	icalcomponent *root, *ev;
	char *out = NULL;

	(void)state;
	sample(&ap);
	ap.status = VA_APPT_CANCELLED;
	ap.urgent = false;
	ap.new_patient = false;
	ap.service = VA_SERVICE_NONE;
	ap.phone[0] = '\0';
	snprintf(ap.phone, sizeof(ap.phone), "5550100");
	ap.notes[0] = '\0';
	ap.session_id[0] = '\0';
	ap.updated_ms = 0;
	assert_int_equal(va_ical_appt_object(&a, &out), VA_OK);
	assert_lines_ok(out);
	assert_non_null(strstr(out, "STATUS:CANCELLED\r\n"));
	assert_non_null(strstr(out, "TRANSP:TRANSPARENT\r\n"));
	assert_null(strstr(out, "LOCATION"));
	root = icalparser_parse_string(out);
	ev = icalcomponent_get_first_component(root, ICAL_VEVENT_COMPONENT);
	assert_string_equal(icalcomponent_get_summary(ev),
			    "Appointment - O'Brien, Jane; \"JJ\" Café");
	assert_non_null(strstr(icalcomponent_get_description(ev), "\nPhone: 5550100\n"));
	assert_non_null(strstr(icalcomponent_get_description(ev), "\nExisting patient\n"));
	assert_non_null(strstr(icalcomponent_get_description(ev), "\nProvider: dr_patel\n"));
	assert_non_null(strstr(icalcomponent_get_description(ev), "Booked through the API"));
	/* No updated time: LAST-MODIFIED is the write time. */
	assert_true(prop_utc(ev, ICAL_LASTMODIFIED_PROPERTY) == 1795460000);
	icalcomponent_free(root);
	free(out);

	/* Control characters and broken UTF-8 never reach the object. */
	snprintf(ap.patient_name, sizeof(ap.patient_name), "Bad\x01Name\xff\xfe\tX");
	assert_int_equal(va_ical_appt_object(&a, &out), VA_OK);
	assert_null(strchr(out, '\x01'));
	assert_null(strchr(out, '\t'));
	assert_null(strstr(out, "\xff"));
	assert_non_null(strstr(out, "Bad Name?? X"));
	free(out);

	assert_int_equal(va_ical_appt_object(NULL, &out), VA_E_INVAL);
	a.uid = "";
	assert_int_equal(va_ical_appt_object(&a, &out), VA_E_INVAL);
	assert_null(out);
	a.uid = "u1@voiceai";
	ap.end = ap.start;
	assert_int_equal(va_ical_appt_object(&a, &out), VA_E_INVAL);
	a.appt = NULL;
	assert_int_equal(va_ical_appt_object(&a, &out), VA_E_INVAL);
}

/* libical 3.0.16 splits a property's own CRLF when a line ends exactly at a
 * fold point; every length of an unbroken name and note must come out whole. */
static void test_fold_boundaries(void **state)
{
	struct va_appointment ap;
	struct va_ical_appt a = {&ap, "u@voiceai", 0, 1795460000, NULL, NULL};

	(void)state;
	sample(&ap);
	ap.urgent = false;
	for (size_t n = 1; n < sizeof(ap.notes); n++) {
		icalcomponent *root, *ev;
		char *out = NULL;

		memset(ap.patient_name, 0, sizeof(ap.patient_name));
		memset(ap.patient_name, 'a', n % (sizeof(ap.patient_name) - 1));
		memset(ap.notes, 0, sizeof(ap.notes));
		memset(ap.notes, n & 1 ? 'b' : 'c', n);
		assert_int_equal(va_ical_appt_object(&a, &out), VA_OK);
		assert_lines_ok(out);
		assert_null(strstr(out, "\r\r"));
		root = icalparser_parse_string(out);
		assert_int_equal(icalcomponent_count_errors(root), 0);
		ev = icalcomponent_get_first_component(root, ICAL_VEVENT_COMPONENT);
		assert_non_null(strstr(icalcomponent_get_summary(ev), ap.patient_name));
		assert_non_null(strstr(icalcomponent_get_description(ev), ap.notes));
		icalcomponent_free(root);
		free(out);
	}
}

static void test_feed(void **state)
{
	struct va_appointment ap[3];
	struct va_ical_appt v[3];
	icalcomponent *root, *ev, *vtz;
	char *out = NULL;
	size_t i = 0;
	struct got *g;

	(void)state;
	for (int k = 0; k < 3; k++) {
		sample(&ap[k]);
		snprintf(ap[k].id, sizeof(ap[k].id), "apt_%024d", k);
		v[k] = (struct va_ical_appt){&ap[k], NULL, k, 1795460000, "Dr. Patel", NULL};
	}
	v[0].uid = "apt_0@voiceai";
	v[1].uid = "apt_1@voiceai";
	v[2].uid = "apt_2@voiceai";
	/* After the March 2027 change: 10:00 EDT is 14:00Z, not 15:00Z. */
	ap[1].start = at("2027-03-15T14:00:00Z");
	ap[1].end = ap[1].start + 1800;
	ap[2].status = VA_APPT_CANCELLED;

	assert_int_equal(va_ical_feed("Bright Smiles; Dr. Patel", NY, v, 3, &out), VA_OK);
	assert_lines_ok(out);
	assert_int_equal(count(out, "BEGIN:VTIMEZONE"), 1);
	assert_int_equal(count(out, "TZID:America/New_York\r\n"), 1);
	assert_null(strstr(out, "freeassociation"));
	assert_non_null(strstr(out, "X-WR-TIMEZONE:America/New_York\r\n"));
	assert_non_null(strstr(out, "DTSTART;TZID=America/New_York:20261124T100000\r\n"));
	assert_non_null(strstr(out, "DTSTART;TZID=America/New_York:20270315T100000\r\n"));
	assert_non_null(strstr(out, "DTEND;TZID=America/New_York:20270315T103000\r\n"));
	assert_int_equal(count(out, "STATUS:CANCELLED"), 1);
	assert_int_equal(count(out, "BEGIN:VEVENT"), 3);

	root = icalparser_parse_string(out);
	assert_non_null(root);
	assert_int_equal(icalcomponent_count_errors(root), 0);
	assert_int_equal(icalcomponent_count_components(root, ICAL_VTIMEZONE_COMPONENT), 1);
	vtz = icalcomponent_get_first_component(root, ICAL_VTIMEZONE_COMPONENT);
	assert_string_equal(
	    icalproperty_get_tzid(icalcomponent_get_first_property(vtz, ICAL_TZID_PROPERTY)), NY);
	for (ev = icalcomponent_get_first_component(root, ICAL_VEVENT_COMPONENT); ev;
	     ev = icalcomponent_get_next_component(root, ICAL_VEVENT_COMPONENT), i++) {
		/* libical resolves the TZID against the feed's own VTIMEZONE. */
		struct icaltimetype s = icalcomponent_get_dtstart(ev);
		struct icaltimetype e = icalcomponent_get_dtend(ev);

		assert_non_null(s.zone);
		assert_string_equal(icaltimezone_get_tzid((icaltimezone *)s.zone), NY);
		assert_true((int64_t)icaltime_as_timet_with_zone(s, s.zone) == ap[i].start);
		assert_true((int64_t)icaltime_as_timet_with_zone(e, e.zone) == ap[i].end);
		assert_int_equal(icalcomponent_get_sequence(ev), (int)i);
		assert_int_equal(icalcomponent_get_status(ev),
				 i == 2 ? ICAL_STATUS_CANCELLED : ICAL_STATUS_CONFIRMED);
		assert_string_equal(icalproperty_get_x(xprop(ev, "X-VOICEAI-APPOINTMENT-ID")),
				    ap[i].id);
	}
	assert_int_equal(i, 3);
	assert_string_equal(icalproperty_get_x(xprop(root, "X-WR-CALNAME")),
			    "Bright Smiles; Dr. Patel");
	icalcomponent_free(root);

	g = parse(out, 0, 1, VA_OK, NULL);
	assert_int_equal(g->n, 3);
	for (i = 0; i < 3; i++)
		assert_true(g->ev[i].start == ap[i].start && g->ev[i].end == ap[i].end);
	assert_true(g->ev[2].cancelled && g->ev[2].transparent);
	free(g);
	free(out);

	/* An empty feed is still a calendar; UTC needs no VTIMEZONE. */
	assert_int_equal(va_ical_feed(NULL, "UTC", NULL, 0, &out), VA_OK);
	assert_null(strstr(out, "VTIMEZONE"));
	free(out);
	assert_int_equal(va_ical_feed("x", "Mars/Olympus_Mons", v, 3, &out), VA_E_INVAL);
	assert_int_equal(va_ical_feed("x", "../../../etc/passwd", v, 3, &out), VA_E_INVAL);
	assert_int_equal(va_ical_feed("x", NULL, v, 3, &out), VA_E_INVAL);
	assert_null(out);
}

/* ---- reading ---------------------------------------------------------------- */

#define CAL_HEAD "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
#define CAL_TAIL "END:VCALENDAR\r\n"
#define EV(body) "BEGIN:VEVENT\r\nDTSTAMP:20261101T000000Z\r\n" body "END:VEVENT\r\n"

/* What Radicale returned in the smoke run (calendar.md, smoke_transcript.txt). */
static const char radicale_obj[] =
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nCALSCALE:GREGORIAN\r\nPRODID:-//Dental Agent//smoke//EN\r\n"
    "BEGIN:VTIMEZONE\r\nTZID:America/New_York\r\nBEGIN:STANDARD\r\nDTSTART:19701101T020000\r\n"
    "RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\r\nTZNAME:EST\r\nTZOFFSETFROM:-0400\r\n"
    "TZOFFSETTO:-0500\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\nDTSTART:19700308T020000\r\n"
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\r\nTZNAME:EDT\r\nTZOFFSETFROM:-0500\r\n"
    "TZOFFSETTO:-0400\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT\r\n"
    "UID:appt-1795479353-26595@dental.example\r\n"
    "DTSTART;TZID=America/New_York:20261124T110000\r\n"
    "DTEND;TZID=America/New_York:20261124T113000\r\n"
    "DESCRIPTION:Patient: Doe\\, Jane\\; phone +1-555-0100\\nReason: cleaning \\\\ x-\r\n"
    " rays. Booked by the phone agent.\r\nDTSTAMP:20261124T001553Z\r\nSEQUENCE:1\r\n"
    "STATUS:CONFIRMED\r\nSUMMARY:Cleaning - Jane Doe (moved)\r\nTRANSP:OPAQUE\r\n"
    "END:VEVENT\r\nEND:VCALENDAR\r\n";

static void test_parse_utc_and_vtimezone(void **state)
{
	struct got *g;
	int unknown = -1;

	(void)state;
	g = parse(CAL_HEAD EV("UID:a@x\r\nDTSTART:20261124T150000Z\r\nDTEND:20261124T153000Z\r\n"
			      "SEQUENCE:4\r\nSUMMARY:Lunch\\, team\r\n"
			      "X-VOICEAI-APPOINTMENT-ID:apt_abc\r\n") CAL_TAIL,
		  0, 1, VA_OK, &unknown);
	assert_int_equal(g->n, 1);
	assert_int_equal(unknown, 0);
	assert_string_equal(g->ev[0].uid, "a@x");
	assert_true(g->ev[0].start == at("2026-11-24T15:00:00Z"));
	assert_true(g->ev[0].end == at("2026-11-24T15:30:00Z"));
	assert_int_equal(g->ev[0].sequence, 4);
	assert_string_equal(g->ev[0].summary, "Lunch, team");
	assert_string_equal(g->ev[0].appointment_id, "apt_abc");
	free(g);

	g = parse(radicale_obj, 0, 1, VA_OK, &unknown);
	assert_int_equal(g->n, 1);
	assert_int_equal(unknown, 0);
	assert_true(g->ev[0].start == at("2026-11-24T16:00:00Z"));
	assert_true(g->ev[0].end == at("2026-11-24T16:30:00Z"));
	assert_string_equal(g->ev[0].summary, "Cleaning - Jane Doe (moved)");
	assert_string_equal(g->ev[0].appointment_id, "");
	assert_int_equal(g->ev[0].sequence, 1);
	free(g);
}

static void test_parse_tzid_forms(void **state)
{
	struct got *g;
	int unknown = -1;

	(void)state;
	/* No VTIMEZONE: the TZID is an IANA name (RFC 7809), whatever our zone. */
	g = parse(CAL_HEAD EV("UID:b\r\nDTSTART;TZID=Europe/Berlin:20261124T100000\r\n"
			      "DTEND;TZID=Europe/Berlin:20261124T110000\r\n") CAL_TAIL,
		  0, 1, VA_OK, &unknown);
	assert_int_equal(g->n, 1);
	assert_int_equal(unknown, 0);
	assert_true(g->ev[0].start == at("2026-11-24T09:00:00Z"));
	assert_true(g->ev[0].end == at("2026-11-24T10:00:00Z"));
	free(g);

	/* libical's own prefix, or another producer's, without a VTIMEZONE. */
	g = parse(CAL_HEAD EV("UID:c\r\nDTSTART;TZID=/freeassociation.sourceforge.net/Europe/"
			      "Berlin:20260701T100000\r\nDURATION:PT1H\r\n") CAL_TAIL,
		  0, 1, VA_OK, &unknown);
	assert_int_equal(unknown, 0);
	assert_true(g->ev[0].start == at("2026-07-01T08:00:00Z"));
	free(g);

	/* Unknown TZIDs: read in the practice's zone and counted, per event. */
	g = parse(CAL_HEAD EV("UID:d\r\nDTSTART;TZID=Mars/Olympus_Mons:20261124T100000\r\n"
			      "DTEND;TZID=Mars/Olympus_Mons:20261124T110000\r\n")
		      EV("UID:e\r\nDTSTART;TZID=\"../../../../etc/passwd\":20261124T100000\r\n"
			 "DURATION:PT1H\r\n")
			  EV("UID:f\r\nDTSTART;TZID=Eastern Standard Time:20261124T100000\r\n"
			     "DURATION:PT1H\r\n") CAL_TAIL,
		  0, 1, VA_OK, &unknown);
	assert_int_equal(g->n, 3);
	assert_int_equal(unknown, 3);
	for (size_t i = 0; i < 3; i++)
		assert_true(g->ev[i].start == at("2026-11-24T15:00:00Z"));
	free(g);

	/* Floating: the practice's wall clock, on both sides of the DST change. */
	g = parse(CAL_HEAD EV("UID:g\r\nDTSTART:20261124T100000\r\nDTEND:20261124T103000\r\n")
		      EV("UID:h\r\nDTSTART:20270315T100000\r\nDTEND:20270315T103000\r\n") CAL_TAIL,
		  0, 1, VA_OK, &unknown);
	assert_int_equal(unknown, 0);
	assert_true(g->ev[0].start == at("2026-11-24T15:00:00Z"));
	assert_true(g->ev[1].start == at("2027-03-15T14:00:00Z"));
	assert_true(g->ev[1].end == at("2027-03-15T14:30:00Z"));
	free(g);

	/* A hostile VTIMEZONE (a secondly observance) is not used: the name is. */
	g = parse(CAL_HEAD
		  "BEGIN:VTIMEZONE\r\nTZID:America/Chicago\r\nBEGIN:STANDARD\r\n"
		  "DTSTART:19700101T000000\r\nRRULE:FREQ=SECONDLY\r\nTZOFFSETFROM:+0000\r\n"
		  "TZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n" EV(
		      "UID:i\r\nDTSTART;TZID=America/Chicago:20261124T100000\r\n"
		      "DURATION:PT1H\r\n") CAL_TAIL,
		  0, 1, VA_OK, &unknown);
	assert_int_equal(unknown, 0);
	assert_true(g->ev[0].start == at("2026-11-24T16:00:00Z"));
	free(g);
}

static void test_parse_allday_duration_flags(void **state)
{
	struct got *g;

	(void)state;
	g = parse(CAL_HEAD EV(
		      "UID:ad\r\nDTSTART;VALUE=DATE:20261127\r\nDTEND;VALUE=DATE:20261128\r\n"
		      "SUMMARY:Office closed\r\n") EV("UID:ad1\r\nDTSTART;VALUE=DATE:20270314\r\n")
		      EV("UID:ad3\r\nDTSTART;VALUE=DATE:20261230\r\nDTEND;VALUE=DATE:20270102\r\n")
			  EV("UID:dur\r\nDTSTART:20261124T150000Z\r\nDURATION:PT45M\r\n") EV(
			      "UID:tr\r\nDTSTART:20261124T150000Z\r\nDTEND:20261124T160000Z\r\n"
			      "TRANSP:TRANSPARENT\r\n")
			      EV("UID:cx\r\nDTSTART:20261124T150000Z\r\nDTEND:20261124T16"
				 "0000Z\r\nSTATUS:CANCELLED\r\n")
				  EV("UID:zero\r\nDTSTART:20261124T150000Z\r\n")
				      EV("UID:neg\r\nDTSTART:20261124T150000Z\r\nDTEND:"
					 "20261124T140000Z\r\n") EV("UID:nostart\r\n"
								    "DURATION:PT1H\r\n") CAL_TAIL,
		  0, 1, VA_OK, NULL);
	assert_int_equal(g->n, 6);
	/* Midnight to midnight in New York, end exclusive. */
	assert_string_equal(g->ev[0].uid, "ad");
	assert_true(g->ev[0].all_day);
	assert_true(g->ev[0].start == at("2026-11-27T05:00:00Z"));
	assert_true(g->ev[0].end == at("2026-11-28T05:00:00Z"));
	assert_string_equal(g->ev[0].summary, "Office closed");
	/* No DTEND: one day, here the 23-hour day of the March change. */
	assert_true(g->ev[1].all_day);
	assert_true(g->ev[1].start == at("2027-03-14T05:00:00Z"));
	assert_true(g->ev[1].end == at("2027-03-15T04:00:00Z"));
	assert_true(g->ev[2].start == at("2026-12-30T05:00:00Z"));
	assert_true(g->ev[2].end == at("2027-01-02T05:00:00Z"));
	assert_true(g->ev[3].end - g->ev[3].start == 45 * 60);
	assert_false(g->ev[3].all_day || g->ev[3].transparent || g->ev[3].cancelled);
	assert_true(g->ev[4].transparent && !g->ev[4].cancelled);
	assert_true(g->ev[5].cancelled && !g->ev[5].transparent);
	free(g);
}

/* A weekly Monday 10:00 New York meeting across the March change, with an
 * EXDATE, one instance moved (RECURRENCE-ID), one cancelled by override. */
static const char weekly[] =
    CAL_HEAD EV("UID:staff@x\r\nDTSTART;TZID=America/New_York:20270301T100000\r\n"
		"DTEND;TZID=America/New_York:20270301T110000\r\nRRULE:FREQ=WEEKLY;COUNT=10\r\n"
		"EXDATE;TZID=America/New_York:20270322T100000\r\nSUMMARY:Staff meeting\r\n")
	EV("UID:staff@x\r\nRECURRENCE-ID;TZID=America/New_York:20270315T100000\r\n"
	   "DTSTART;TZID=America/New_York:20270316T140000\r\n"
	   "DTEND;TZID=America/New_York:20270316T150000\r\nSUMMARY:Staff meeting (moved)\r\n")
	    EV("UID:staff@x\r\nRECURRENCE-ID;TZID=America/New_York:20270405T100000\r\n"
	       "DTSTART;TZID=America/New_York:20270405T100000\r\n"
	       "DTEND;TZID=America/New_York:20270405T110000\r\nSTATUS:CANCELLED\r\n")
		EV("UID:staff@x\r\nRECURRENCE-ID;TZID=America/New_York:20270503T100000\r\n"
		   "DTSTART;TZID=America/New_York:20270503T120000\r\n"
		   "DTEND;TZID=America/New_York:20270503T130000\r\n") CAL_TAIL;

static void test_parse_weekly_rrule(void **state)
{
	struct got *g;
	int64_t from = at("2027-03-01T00:00:00-05:00"), to = at("2027-04-10T00:00:00-04:00");

	(void)state;
	g = parse(weekly, from, to, VA_OK, NULL);
	/* Series in window: 03-01, 03-08, (03-15 moved), (03-22 excluded), 03-29,
	 * (04-05 overridden); then the two overrides in the window. */
	assert_int_equal(g->n, 5);
	assert_true(g->ev[0].start == at("2027-03-01T15:00:00Z")); /* EST */
	assert_true(g->ev[1].start == at("2027-03-08T15:00:00Z"));
	assert_true(g->ev[2].start == at("2027-03-29T14:00:00Z")); /* EDT */
	assert_true(g->ev[2].end == at("2027-03-29T15:00:00Z"));
	for (size_t i = 0; i < 3; i++) {
		assert_true(g->ev[i].recurring);
		assert_string_equal(g->ev[i].summary, "Staff meeting");
		assert_false(g->ev[i].cancelled);
	}
	assert_string_equal(g->ev[3].summary, "Staff meeting (moved)");
	assert_true(g->ev[3].start == at("2027-03-16T18:00:00Z"));
	assert_true(g->ev[3].recurring);
	assert_true(g->ev[4].cancelled);
	assert_true(g->ev[4].start == at("2027-04-05T14:00:00Z"));
	free(g);

	/* A window on the excluded 4th week only: nothing. */
	g = parse(weekly, at("2027-03-22T00:00:00Z"), at("2027-03-23T00:00:00Z"), VA_OK, NULL);
	assert_int_equal(g->n, 0);
	free(g);

	/* An instance without its master (a server may send just that): in
	 * the window like any occurrence. */
	g = parse(CAL_HEAD EV("UID:orphan\r\nRECURRENCE-ID:20270315T140000Z\r\n"
			      "DTSTART:20270316T180000Z\r\nDURATION:PT1H\r\n") CAL_TAIL,
		  from, to, VA_OK, NULL);
	assert_int_equal(g->n, 1);
	assert_true(g->ev[0].recurring);
	assert_true(g->ev[0].start == at("2027-03-16T18:00:00Z"));
	free(g);
	g = parse(CAL_HEAD EV("UID:orphan\r\nRECURRENCE-ID:20270315T140000Z\r\n"
			      "DTSTART:20270316T180000Z\r\nDURATION:PT1H\r\n") CAL_TAIL,
		  to, to + 86400, VA_OK, NULL);
	assert_int_equal(g->n, 0);
	free(g);

	/* COUNT=10 ends on 05-03 (overridden); the override shows in its window. */
	g = parse(weekly, at("2027-04-20T00:00:00Z"), at("2027-06-01T00:00:00Z"), VA_OK, NULL);
	assert_int_equal(g->n, 2);
	assert_true(g->ev[0].start == at("2027-04-26T14:00:00Z"));
	assert_true(g->ev[1].start == at("2027-05-03T16:00:00Z"));
	free(g);
}

static void test_parse_recurrence_bounds(void **state)
{
	struct got *g;
	int64_t from = at("2026-01-01T00:00:00Z");

	(void)state;
	/* Daily without end over ten years: capped per series. */
	g = parse(CAL_HEAD EV("UID:daily\r\nDTSTART:20200101T120000Z\r\nDURATION:PT30M\r\n"
			      "RRULE:FREQ=DAILY\r\n") CAL_TAIL,
		  from, from + 3650LL * 86400, VA_OK, NULL);
	assert_int_equal(g->n, VA_ICAL_MAX_OCCURRENCES);
	assert_true(g->ev[0].start == at("2026-01-01T12:00:00Z"));
	assert_true(g->ev[999].start == g->ev[0].start + 999LL * 86400);
	free(g);

	/* RDATE adds instances; a duplicate of an RRULE instance counts once. */
	g = parse(
	    CAL_HEAD EV("UID:rd\r\nDTSTART:20260105T150000Z\r\nDURATION:PT1H\r\n"
			"RRULE:FREQ=WEEKLY;COUNT=2\r\nRDATE:20260107T150000Z,20260112T150000Z\r\n"
			"RDATE;VALUE=PERIOD:20260109T150000Z/PT2H\r\n") CAL_TAIL,
	    from, from + 30LL * 86400, VA_OK, NULL);
	assert_int_equal(g->n, 4);
	assert_true(g->ev[0].start == at("2026-01-05T15:00:00Z"));
	assert_true(g->ev[1].start == at("2026-01-07T15:00:00Z"));
	assert_true(g->ev[2].start == at("2026-01-09T15:00:00Z"));
	assert_true(g->ev[2].end == at("2026-01-09T17:00:00Z"));
	assert_true(g->ev[3].start == at("2026-01-12T15:00:00Z"));
	free(g);

	/* An all-day yearly series (a holiday) expands as dates in our zone. */
	g = parse(CAL_HEAD EV("UID:hol\r\nDTSTART;VALUE=DATE:20201225\r\nRRULE:FREQ=YEARLY\r\n"
			      "EXDATE;VALUE=DATE:20270101,20271225\r\n") CAL_TAIL,
		  from, at("2029-01-01T00:00:00Z"), VA_OK, NULL);
	assert_int_equal(g->n, 2); /* 2026 and 2028 */
	assert_true(g->ev[0].all_day && g->ev[0].recurring);
	assert_true(g->ev[0].start == at("2026-12-25T05:00:00Z"));
	assert_true(g->ev[1].start == at("2028-12-25T05:00:00Z"));
	free(g);

	/* Rules that never match, or finer than daily, finish at once; only
	 * DTSTART stands for a sub-daily series. */
	{
		clock_t t0 = clock();

		g = parse(CAL_HEAD EV("UID:p1\r\nDTSTART:19000101T000000Z\r\nDURATION:PT1H\r\n"
				      "RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;COUNT=3\r\n")
			      EV("UID:p2\r\nDTSTART:20260101T000000Z\r\nDURATION:PT1S\r\n"
				 "RRULE:FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30\r\n")
				  EV("UID:p3\r\nDTSTART:00010101T000000Z\r\nDURATION:PT1H\r\n"
				     "RRULE:FREQ=DAILY;BYMONTH=4;BYMONTHDAY=31\r\n")
				      EV("UID:p4\r\nDTSTART:20260101T100000Z\r\nDURATION:PT1M\r\n"
					 "RRULE:FREQ=MINUTELY\r\n") CAL_TAIL,
			  from, from + 366LL * 86400, VA_OK, NULL);
		assert_true(clock() - t0 < 2 * CLOCKS_PER_SEC);
		assert_int_equal(g->n, 2); /* p2 and p4's DTSTART */
		free(g);
	}

	/* Month days no month has: libical would search for a quarter second
	 * per series. */
	{
		char text[4096];
		size_t n = (size_t)snprintf(text, sizeof(text), CAL_HEAD);
		clock_t t0 = clock();

		for (int i = 0; i < 16; i++)
			n +=
			    (size_t)snprintf(text + n, sizeof(text) - n,
					     EV("UID:m%d\r\nDTSTART:20250101T000000Z\r\n"
						"DURATION:PT1H\r\nRRULE:FREQ=MONTHLY;BYMONTH=2,4,6;"
						"BYMONTHDAY=31,-31\r\n"),
					     i);
		snprintf(text + n, sizeof(text) - n, CAL_TAIL);
		g = parse(text, from, from + 366LL * 86400, VA_OK, NULL);
		assert_int_equal(g->n, 0);
		assert_true(clock() - t0 < CLOCKS_PER_SEC);
		free(g);
	}

	/* An RDATE of the other value type than DTSTART has no length: ignored. */
	g = parse(
	    CAL_HEAD EV("UID:k\r\nDTSTART;VALUE=DATE:20260105\r\nRRULE:FREQ=WEEKLY;COUNT=1\r\n"
			"RDATE:20260107T150000Z\r\n") CAL_TAIL,
	    from, from + 30LL * 86400, VA_OK, NULL);
	assert_int_equal(g->n, 1);
	assert_true(g->ev[0].all_day);
	free(g);

	/* The widest window there is. */
	g = parse(CAL_HEAD EV("UID:w\r\nDTSTART:20260105T150000Z\r\nDURATION:PT1H\r\n"
			      "RRULE:FREQ=WEEKLY;COUNT=3\r\n") CAL_TAIL,
		  INT64_MIN, INT64_MAX, VA_OK, NULL);
	assert_int_equal(g->n, 3);
	free(g);

	/* Outside the window a single event is still reported, a series is not. */
	g = parse(CAL_HEAD EV("UID:old\r\nDTSTART:20000101T100000Z\r\nDURATION:PT1H\r\n")
		      EV("UID:oldser\r\nDTSTART:20000101T100000Z\r\nDURATION:PT1H\r\n"
			 "RRULE:FREQ=WEEKLY;COUNT=3\r\n") CAL_TAIL,
		  from, from + 86400, VA_OK, NULL);
	assert_int_equal(g->n, 1);
	assert_string_equal(g->ev[0].uid, "old");
	assert_false(g->ev[0].recurring);
	free(g);
}

static void test_parse_bad_input(void **state)
{
	struct got g0 = {0};
	struct got *g;
	char *big;
	int unknown = -1;
	size_t n;

	(void)state;
	g = parse("hello world", 0, 1, VA_E_PARSE, &unknown);
	assert_int_equal(unknown, 0);
	free(g);
	free(parse("", 0, 1, VA_E_PARSE, NULL));
	free(parse("<?xml version='1.0'?><multistatus xmlns=\"DAV:\"/>", 0, 1, VA_E_PARSE, NULL));
	free(parse(CAL_HEAD "this is not a content line\r\n" CAL_TAIL, 0, 1, VA_E_PARSE, NULL));
	free(parse(CAL_HEAD EV("UID:a\r\nDTSTART:20261124T150000Z\r\ngarbage here\r\n") CAL_TAIL, 0,
		   1, VA_E_PARSE, NULL));
	free(parse(EV("UID:a\r\nDTSTART:20261124T150000Z\r\n"), 0, 1, VA_E_PARSE, NULL));
	free(parse("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\n", 0, 1, VA_E_PARSE, NULL));
	/* An END before its BEGIN (libical would only warn on stderr). */
	free(parse("END:VEVENT\r\n" CAL_HEAD EV("UID:a\r\nDTSTART:20261124T150000Z\r\n") CAL_TAIL,
		   0, 1, VA_E_PARSE, NULL));

	/* What RFC 5545 allows (or Google writes) is not an error: an empty
	 * DESCRIPTION, an IANA property libical does not know. */
	g = parse(CAL_HEAD EV("UID:a\r\nDTSTART:20261124T150000Z\r\nDURATION:PT1H\r\n"
			      "DESCRIPTION:\r\nLOCATION:\r\nFOO-BAR:baz\r\nDTEND:garbage\r\n")
		      CAL_TAIL,
		  0, 1, VA_OK, NULL);
	assert_int_equal(g->n, 1);
	free(g);

	/* Nesting deep enough to matter to libical's recursion, folded too. */
	{
		char deep[4096];

		n = (size_t)snprintf(deep, sizeof(deep), "BEGIN:VCALENDAR\r\n");
		for (int i = 0; i < 40; i++)
			n += (size_t)snprintf(deep + n, sizeof(deep) - n, "BEG\r\n IN:X-A\r\n");
		assert_int_equal(va_ical_parse(deep, n, NY, 0, 1, collect, &g0, NULL), VA_E_PARSE);
	}

	/* Size cap, checked before anything is read. */
	big = malloc(VA_ICAL_MAX_BYTES + 1);
	assert_non_null(big);
	memset(big, 'A', VA_ICAL_MAX_BYTES + 1);
	assert_int_equal(va_ical_parse(big, VA_ICAL_MAX_BYTES + 1, NY, 0, 1, collect, &g0, NULL),
			 VA_E_TOOBIG);
	free(big);

	/* Arguments. */
	assert_int_equal(va_ical_parse(NULL, 5, NY, 0, 1, collect, &g0, NULL), VA_E_INVAL);
	assert_int_equal(va_ical_parse("x", 1, NULL, 0, 1, collect, &g0, NULL), VA_E_INVAL);
	assert_int_equal(va_ical_parse("x", 1, "No/Such_Zone", 0, 1, collect, &g0, NULL),
			 VA_E_INVAL);
	assert_int_equal(va_ical_parse("x", 1, NY, 0, 1, NULL, &g0, NULL), VA_E_INVAL);
	assert_int_equal(va_ical_parse("x", 1, NY, 5, 1, collect, &g0, NULL), VA_E_INVAL);
	assert_int_equal(g0.n, 0);

	/* Not NUL-terminated: only len bytes are read. */
	{
		static const char obj[] = CAL_HEAD EV("UID:t\r\nDTSTART:20261124T150000Z\r\n"
						      "DURATION:PT1H\r\n") CAL_TAIL "GARBAGE";

		assert_int_equal(
		    va_ical_parse(obj, sizeof(obj) - 1 - 7, NY, 0, 1, collect, &g0, NULL), VA_OK);
		assert_int_equal(g0.n, 1);
	}
}

static void test_parse_misc(void **state)
{
	struct got *g;
	char text[2048], longsum[400];
	size_t n = 0;

	(void)state;
	/* A non-zero callback return stops the parse and is returned. */
	g = calloc(1, sizeof(*g));
	g->stop_after = 1;
	assert_int_equal(va_ical_parse(weekly, strlen(weekly), NY, at("2027-03-01T00:00:00Z"),
				       at("2027-04-10T00:00:00Z"), collect, g, NULL),
			 7);
	assert_int_equal(g->n, 1);
	free(g);

	/* Summaries are cut at a UTF-8 boundary; oversize ids are not ours. */
	for (size_t i = 0; i < 150; i++)
		n += (size_t)snprintf(longsum + n, sizeof(longsum) - n, "é");
	snprintf(
	    text, sizeof(text),
	    CAL_HEAD EV("UID:s\r\nDTSTART:20261124T150000Z\r\nDURATION:PT1H\r\nSUMMARY:x%s\r\n"
			"X-VOICEAI-APPOINTMENT-ID:apt_0123456789012345678901234567890123456789\r\n")
		CAL_TAIL,
	    longsum);
	g = parse(text, 0, 1, VA_OK, NULL);
	assert_int_equal(g->n, 1);
	assert_int_equal(strlen(g->ev[0].summary), 127); /* "x" + 63 two-byte chars */
	assert_string_equal(g->ev[0].appointment_id, "");
	free(g);

	/* Two VCALENDARs back to back (a concatenated export). */
	g = parse(CAL_HEAD EV("UID:1\r\nDTSTART:20261124T150000Z\r\nDURATION:PT1H\r\n")
		      CAL_TAIL CAL_HEAD EV("UID:2\r\nDTSTART:20261125T150000Z\r\nDURATION:PT1H\r\n")
			  CAL_TAIL,
		  0, 1, VA_OK, NULL);
	assert_int_equal(g->n, 2);
	assert_string_equal(g->ev[1].uid, "2");
	free(g);

	/* LF-only line ends and lower-case names are read too. */
	g = parse("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:x\nBEGIN:VEVENT\nUID:lf\n"
		  "dtstart:20261124T150000Z\nDTEND:20261124T160000Z\nEND:VEVENT\nEND:VCALENDAR\n",
		  0, 1, VA_OK, NULL);
	assert_int_equal(g->n, 1);
	assert_true(g->ev[0].start == at("2026-11-24T15:00:00Z"));
	free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_uid),
	    cmocka_unit_test(test_appt_object_roundtrip),
	    cmocka_unit_test(test_appt_object_cancelled_and_plain),
	    cmocka_unit_test(test_fold_boundaries),
	    cmocka_unit_test(test_feed),
	    cmocka_unit_test(test_parse_utc_and_vtimezone),
	    cmocka_unit_test(test_parse_tzid_forms),
	    cmocka_unit_test(test_parse_allday_duration_flags),
	    cmocka_unit_test(test_parse_weekly_rrule),
	    cmocka_unit_test(test_parse_recurrence_bounds),
	    cmocka_unit_test(test_parse_bad_input),
	    cmocka_unit_test(test_parse_misc),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	icaltimezone_free_builtin_timezones();
	return rc;
}
