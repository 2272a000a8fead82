/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/calendar/davxml.c - src/calendar/davxml.c on the bodies Radicale
 * 3.1.8 really sent (../shared/reference/calendar/smoke_transcript.txt) and on
 * the same answers as SabreDAV (Nextcloud) writes them (d:/cal:/cs: prefixes,
 * pretty-printed): discovery, calendar listing, calendar-query, multiget,
 * sync-collection with deletions and truncation, and hostile XML.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "calendar/davxml.h"
#include "calendar/ical.h"
#include "core/err.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define XMLDECL "<?xml version='1.0' encoding='utf-8'?>\n"

static void parse_ok(const char *xml, struct va_dav_multistatus *m)
{
	assert_int_equal(va_dav_parse_multistatus(xml, strlen(xml), m), VA_OK);
}

static void parse_fails(const char *xml, int rc)
{
	struct va_dav_multistatus m;

	assert_int_equal(va_dav_parse_multistatus(xml, strlen(xml), &m), rc);
	assert_null(m.v);
	assert_int_equal(m.n, 0);
	assert_null(m.sync_token);
	assert_false(m.truncated);
	va_dav_multistatus_release(&m);
}

/* ---- discovery -------------------------------------------------------------- */

static void test_principal(void **state)
{
	struct va_dav_multistatus m;

	(void)state;
	/* Radicale, step 3. */
	parse_ok(XMLDECL
		 "<multistatus xmlns=\"DAV:\"><response><href>/</href><propstat><prop>"
		 "<current-user-principal><href>/dentist/</href></current-user-principal>"
		 "</prop><status>HTTP/1.1 200 OK</status></propstat></response></multistatus>",
		 &m);
	assert_int_equal(m.n, 1);
	assert_string_equal(m.v[0].href, "/");
	assert_int_equal(m.v[0].status, 0);
	assert_string_equal(m.v[0].principal, "/dentist/");
	assert_null(m.v[0].home);
	assert_null(m.v[0].etag);
	assert_false(m.v[0].collection || m.v[0].calendar);
	va_dav_multistatus_release(&m);

	/* SabreDAV: prefixes, whitespace, a percent-encoded principal. */
	parse_ok(XMLDECL
		 "<d:multistatus xmlns:d=\"DAV:\" xmlns:s=\"http://sabredav.org/ns\">\n"
		 "  <d:response>\n    <d:href>/remote.php/dav/</d:href>\n    <d:propstat>\n"
		 "      <d:prop>\n        <d:current-user-principal>\n"
		 "          <d:href>/remote.php/dav/principals/users/front%40desk/</d:href>\n"
		 "        </d:current-user-principal>\n      </d:prop>\n"
		 "      <d:status>HTTP/1.1 200 OK</d:status>\n    </d:propstat>\n"
		 "  </d:response>\n</d:multistatus>\n",
		 &m);
	assert_int_equal(m.n, 1);
	assert_string_equal(m.v[0].href, "/remote.php/dav/");
	assert_string_equal(m.v[0].principal, "/remote.php/dav/principals/users/front@desk/");
	va_dav_multistatus_release(&m);
}

static void test_home_set(void **state)
{
	struct va_dav_multistatus m;

	(void)state;
	/* Radicale, step 4: the 404 propstat (displayname) is ignored. */
	parse_ok(XMLDECL
		 "<multistatus xmlns=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\"><response>"
		 "<href>/dentist/</href><propstat><prop><C:calendar-home-set><href>/dentist/</href>"
		 "</C:calendar-home-set><C:calendar-user-address-set><href>/dentist/</href>"
		 "</C:calendar-user-address-set></prop><status>HTTP/1.1 200 OK</status></propstat>"
		 "<propstat><prop><displayname /></prop><status>HTTP/1.1 404 Not Found</status>"
		 "</propstat></response></multistatus>",
		 &m);
	assert_int_equal(m.n, 1);
	assert_string_equal(m.v[0].home, "/dentist/");
	assert_null(m.v[0].displayname);
	assert_null(m.v[0].principal);
	va_dav_multistatus_release(&m);

	/* iCloud-style: the home is absolute, on another host. */
	parse_ok("<D:multistatus xmlns:D=\"DAV:\"><D:response><D:href>/123/principal/</D:href>"
		 "<D:propstat><D:prop><calendar-home-set xmlns=\"urn:ietf:params:xml:ns:caldav\">"
		 "<href xmlns=\"DAV:\">https://p42-caldav.icloud.com:443/123/calendars/</href>"
		 "<href xmlns=\"DAV:\">/second/</href></calendar-home-set></D:prop>"
		 "<D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response></D:multistatus>",
		 &m);
	assert_string_equal(m.v[0].home, "https://p42-caldav.icloud.com:443/123/calendars/");
	va_dav_multistatus_release(&m);
}

/* Radicale, step 8: the home and two calendars. */
static const char radicale_list[] = XMLDECL
    "<multistatus xmlns=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\" "
    "xmlns:CS=\"http://calendarserver.org/ns/\"><response><href>/dentist/</href><propstat><prop>"
    "<resourcetype><principal /><collection /></resourcetype><current-user-privilege-set>"
    "<privilege><read /></privilege><privilege><all /></privilege><privilege><write /></privilege>"
    "<privilege><write-properties /></privilege><privilege><write-content /></privilege>"
    "</current-user-privilege-set></prop><status>HTTP/1.1 200 OK</status></propstat><propstat>"
    "<prop><displayname /><CS:getctag /><sync-token /><C:supported-calendar-component-set />"
    "</prop><status>HTTP/1.1 404 Not Found</status></propstat></response><response>"
    "<href>/dentist/appointments-27536-19819-mkcol/</href><propstat><prop><resourcetype>"
    "<C:calendar /><collection /></resourcetype><displayname>Hygienist</displayname><CS:getctag>"
    "\"1e9a58a91cbebf06f163dc64458e9c94a6de4874cba68765ee727ab2ee3d9b6e\"</CS:getctag>"
    "<sync-token>http://radicale.org/ns/sync/"
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855</sync-token>"
    "<C:supported-calendar-component-set><C:comp name=\"VEVENT\" />"
    "</C:supported-calendar-component-set><current-user-privilege-set><privilege><read />"
    "</privilege><privilege><all /></privilege><privilege><write /></privilege><privilege>"
    "<write-properties /></privilege><privilege><write-content /></privilege>"
    "</current-user-privilege-set></prop><status>HTTP/1.1 200 OK</status></propstat></response>"
    "<response><href>/dentist/appointments-27536-19819/</href><propstat><prop><resourcetype>"
    "<C:calendar /><collection /></resourcetype><displayname>Dr. Smith appointments"
    "</displayname><CS:getctag>"
    "\"82101de334c9893baaaa5181ccaee4e237ba4feb0ab20cd87656737b718756e9\"</CS:getctag>"
    "<sync-token>http://radicale.org/ns/sync/"
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855</sync-token>"
    "<C:supported-calendar-component-set><C:comp name=\"VEVENT\" />"
    "</C:supported-calendar-component-set></prop><status>HTTP/1.1 200 OK</status></propstat>"
    "</response></multistatus>";

static void test_calendar_listing(void **state)
{
	struct va_dav_multistatus m;

	(void)state;
	parse_ok(radicale_list, &m);
	assert_int_equal(m.n, 3);
	assert_string_equal(m.v[0].href, "/dentist/");
	assert_true(m.v[0].collection);
	assert_false(m.v[0].calendar);
	assert_true(m.v[0].vevent); /* its 404 component set says nothing */
	assert_null(m.v[0].displayname);
	assert_null(m.v[0].ctag);
	assert_null(m.v[0].sync_token);

	assert_string_equal(m.v[1].href, "/dentist/appointments-27536-19819-mkcol/");
	assert_true(m.v[1].collection && m.v[1].calendar && m.v[1].vevent);
	assert_string_equal(m.v[1].displayname, "Hygienist");
	assert_string_equal(m.v[1].ctag,
			    "\"1e9a58a91cbebf06f163dc64458e9c94a6de4874cba68765ee727ab2ee3d9b6e\"");
	assert_string_equal(m.v[1].sync_token, "http://radicale.org/ns/sync/"
					       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca49"
					       "5991b7852b855");
	assert_string_equal(m.v[2].displayname, "Dr. Smith appointments");
	assert_true(m.v[2].calendar);
	assert_null(m.sync_token);
	assert_false(m.truncated);
	va_dav_multistatus_release(&m);

	/* SabreDAV: a task list (no VEVENT), a calendar without the component
	 * set (any component), an inbox, and a prop in a foreign namespace that
	 * only looks like ours by prefix. */
	parse_ok(XMLDECL
		 "<d:multistatus xmlns:d=\"DAV:\" xmlns:s=\"http://sabredav.org/ns\" "
		 "xmlns:cal=\"urn:ietf:params:xml:ns:caldav\" "
		 "xmlns:cs=\"http://calendarserver.org/ns/\" "
		 "xmlns:oc=\"http://owncloud.org/ns\" xmlns:x=\"urn:not-dav\">\n"
		 " <d:response>\n  <d:href>/remote.php/dav/calendars/front/tasks/</d:href>\n"
		 "  <d:propstat>\n   <d:prop>\n    <d:resourcetype><d:collection/><cal:calendar/>"
		 "</d:resourcetype>\n    <d:displayname>Tasks</d:displayname>\n"
		 "    <cal:supported-calendar-component-set>\n     <cal:comp name=\"VTODO\"/>\n"
		 "    </cal:supported-calendar-component-set>\n   </d:prop>\n"
		 "   <d:status>HTTP/1.1 200 OK</d:status>\n  </d:propstat>\n </d:response>\n"
		 " <d:response>\n  <d:href>/remote.php/dav/calendars/front/personal/</d:href>\n"
		 "  <d:propstat>\n   <d:prop>\n    <d:resourcetype><d:collection/><cal:calendar/>"
		 "</d:resourcetype>\n    <d:displayname>  Personal  </d:displayname>\n"
		 "    <cs:getctag>http://sabre.io/ns/sync/42</cs:getctag>\n"
		 "    <d:sync-token>http://sabre.io/ns/sync/42</d:sync-token>\n"
		 "    <x:displayname>not this</x:displayname>\n"
		 "   </d:prop>\n   <d:status>HTTP/1.1 200 OK</d:status>\n  </d:propstat>\n"
		 "  <d:propstat>\n   <d:prop><cal:supported-calendar-component-set/></d:prop>\n"
		 "   <d:status>HTTP/1.1 404 Not Found</d:status>\n  </d:propstat>\n </d:response>\n"
		 " <d:response>\n  <d:href>/remote.php/dav/calendars/front/inbox/</d:href>\n"
		 "  <d:propstat>\n   <d:prop>\n    <d:resourcetype><d:collection/>"
		 "<cal:schedule-inbox/><x:calendar/></d:resourcetype>\n   </d:prop>\n"
		 "   <d:status>HTTP/1.1 200 OK</d:status>\n  </d:propstat>\n </d:response>\n"
		 "</d:multistatus>\n",
		 &m);
	assert_int_equal(m.n, 3);
	assert_true(m.v[0].calendar);
	assert_false(m.v[0].vevent);
	assert_string_equal(m.v[0].displayname, "Tasks");
	assert_true(m.v[1].calendar && m.v[1].vevent);
	assert_string_equal(m.v[1].displayname, "Personal");
	assert_string_equal(m.v[1].ctag, "http://sabre.io/ns/sync/42");
	assert_string_equal(m.v[1].sync_token, "http://sabre.io/ns/sync/42");
	assert_true(m.v[2].collection);
	assert_false(m.v[2].calendar);
	va_dav_multistatus_release(&m);
}

/* ---- reports ---------------------------------------------------------------- */

#define RADICALE_EVENT                                                                             \
	"BEGIN:VCALENDAR\nVERSION:2.0\nCALSCALE:GREGORIAN\nPRODID:-//Dental Agent//smoke//EN\n"    \
	"BEGIN:VTIMEZONE\nTZID:America/New_York\nBEGIN:STANDARD\nDTSTART:19701101T020000\n"        \
	"RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\nTZNAME:EST\nTZOFFSETFROM:-0400\n"                 \
	"TZOFFSETTO:-0500\nEND:STANDARD\nBEGIN:DAYLIGHT\nDTSTART:19700308T020000\n"                \
	"RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\nTZNAME:EDT\nTZOFFSETFROM:-0500\n"                  \
	"TZOFFSETTO:-0400\nEND:DAYLIGHT\nEND:VTIMEZONE\nBEGIN:VEVENT\n"                            \
	"UID:appt-1795479353-26595@dental.example\n"                                               \
	"DTSTART;TZID=America/New_York:20261124T110000\n"                                          \
	"DTEND;TZID=America/New_York:20261124T113000\n"                                            \
	"DESCRIPTION:Patient: Doe\\, Jane\\; phone +1-555-0100\\nReason: cleaning \\\\ x-\n"       \
	" rays. Booked by the phone agent.\nDTSTAMP:20261124T001553Z\nSEQUENCE:1\n"                \
	"STATUS:CONFIRMED\nSUMMARY:Cleaning - Jane Doe (moved)\nTRANSP:OPAQUE\nEND:VEVENT\n"       \
	"END:VCALENDAR\n"

static int one_event(const struct va_ical_event *ev, void *arg)
{
	*(struct va_ical_event *)arg = *ev;
	return 0;
}

static void test_calendar_query(void **state)
{
	struct va_dav_multistatus m;
	struct va_ical_event ev;

	(void)state;
	/* Radicale, step 17: the body's newlines are the object's own. */
	parse_ok(XMLDECL "<multistatus xmlns=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\">"
			 "<response><href>/dentist/appointments-27536-19819/"
			 "appt-1795479353-26595.ics</href><propstat><prop><getetag>"
			 "\"f1cad93347995e1f138e8ac826958ec065230b5cc5a0ba6b2a0f3ddcc3ad5f42\""
			 "</getetag><C:calendar-data>" RADICALE_EVENT
			 "</C:calendar-data></prop><status>HTTP/1.1 200 OK</status></propstat>"
			 "</response></multistatus>",
		 &m);
	assert_int_equal(m.n, 1);
	assert_string_equal(m.v[0].href,
			    "/dentist/appointments-27536-19819/appt-1795479353-26595.ics");
	assert_string_equal(m.v[0].etag,
			    "\"f1cad93347995e1f138e8ac826958ec065230b5cc5a0ba6b2a0f3ddcc3ad5f42\"");
	assert_string_equal(m.v[0].calendar_data, RADICALE_EVENT);
	/* And it is iCalendar the reader takes as is. */
	memset(&ev, 0, sizeof(ev));
	assert_int_equal(va_ical_parse(m.v[0].calendar_data, strlen(m.v[0].calendar_data),
				       "America/New_York", 0, 1, one_event, &ev, NULL),
			 VA_OK);
	assert_string_equal(ev.uid, "appt-1795479353-26595@dental.example");
	assert_true(ev.start == 1795536000); /* 2026-11-24T16:00:00Z */
	va_dav_multistatus_release(&m);

	/* Empty results, as Radicale writes them (steps 18, 19). */
	parse_ok(XMLDECL "<multistatus xmlns=\"DAV:\" />", &m);
	assert_int_equal(m.n, 0);
	assert_null(m.v);
	va_dav_multistatus_release(&m);

	/* SabreDAV with CDATA, entities and a percent-encoded href. */
	parse_ok("<d:multistatus xmlns:d=\"DAV:\" xmlns:cal=\"urn:ietf:params:xml:ns:caldav\">"
		 "<d:response><d:href>/cal/appt-1%40x.ics</d:href><d:propstat><d:prop>"
		 "<d:getetag>&quot;a&amp;b&quot;</d:getetag>"
		 "<cal:calendar-data><![CDATA[BEGIN:VCALENDAR\r\n]]>END:VCALENDAR&#13;&#10;"
		 "</cal:calendar-data></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>"
		 "</d:response></d:multistatus>",
		 &m);
	assert_string_equal(m.v[0].href, "/cal/appt-1@x.ics");
	assert_string_equal(m.v[0].etag, "\"a&b\"");
	/* XML turns a literal CRLF into LF (XML 1.0 2.11); only &#13; keeps a CR.
	 * libical reads either. */
	assert_string_equal(m.v[0].calendar_data, "BEGIN:VCALENDAR\nEND:VCALENDAR\r\n");
	va_dav_multistatus_release(&m);
}

static void test_multiget(void **state)
{
	struct va_dav_multistatus m;

	(void)state;
	/* Radicale, step 21 (bodies shortened). */
	parse_ok(XMLDECL "<multistatus xmlns=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\">"
			 "<response><href>/dentist/a/appt-1795479353-18608-b.ics</href><propstat>"
			 "<prop><getetag>\"a83a\"</getetag><C:calendar-data>BEGIN:VCALENDAR\n"
			 "END:VCALENDAR\n</C:calendar-data></prop><status>HTTP/1.1 200 OK</status>"
			 "</propstat></response><response><href>/dentist/a/appt-2.ics</href>"
			 "<propstat><prop><getetag>\"f1ca\"</getetag><C:calendar-data>"
			 "BEGIN:VCALENDAR\nEND:VCALENDAR\n</C:calendar-data></prop><status>"
			 "HTTP/1.1 200 OK</status></propstat></response><response><href>"
			 "/dentist/a/gone.ics</href><status>HTTP/1.1 404 Not Found</status>"
			 "</response></multistatus>",
		 &m);
	assert_int_equal(m.n, 3);
	assert_string_equal(m.v[0].etag, "\"a83a\"");
	assert_string_equal(m.v[1].href, "/dentist/a/appt-2.ics");
	assert_non_null(m.v[1].calendar_data);
	assert_int_equal(m.v[2].status, 404);
	assert_null(m.v[2].calendar_data);
	va_dav_multistatus_release(&m);
}

static void test_sync_collection(void **state)
{
	struct va_dav_multistatus m;

	(void)state;
	/* Radicale, step 9: the first sync of an empty calendar. */
	parse_ok(XMLDECL "<multistatus xmlns=\"DAV:\"><sync-token>http://radicale.org/ns/sync/"
			 "e3b0</sync-token></multistatus>",
		 &m);
	assert_int_equal(m.n, 0);
	assert_string_equal(m.sync_token, "http://radicale.org/ns/sync/e3b0");
	va_dav_multistatus_release(&m);

	/* Step 26: three changed members, the token first. */
	parse_ok(XMLDECL "<multistatus xmlns=\"DAV:\"><sync-token>http://radicale.org/ns/sync/598e"
			 "</sync-token><response><href>/dentist/a/appt-1.ics</href><propstat><prop>"
			 "<getetag>\"f1ca\"</getetag></prop><status>HTTP/1.1 200 OK</status>"
			 "</propstat></response><response><href>/dentist/a/staff-meeting.ics</href>"
			 "<propstat><prop><getetag>\"27c3\"</getetag></prop><status>HTTP/1.1 200 OK"
			 "</status></propstat></response><response><href>/dentist/a/appt-1-b.ics"
			 "</href><propstat><prop><getetag>\"a83a\"</getetag></prop><status>"
			 "HTTP/1.1 200 OK</status></propstat></response></multistatus>",
		 &m);
	assert_int_equal(m.n, 3);
	assert_string_equal(m.sync_token, "http://radicale.org/ns/sync/598e");
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(m.v[i].status, 0);
		assert_non_null(m.v[i].etag);
		assert_null(m.v[i].sync_token);
	}
	assert_string_equal(m.v[1].etag, "\"27c3\"");
	va_dav_multistatus_release(&m);

	/* Step 30: a deletion is a 404 with no propstat. */
	parse_ok(XMLDECL "<multistatus xmlns=\"DAV:\"><sync-token>http://radicale.org/ns/sync/a9e2"
			 "</sync-token><response><href>/dentist/a/appt-1-b.ics</href><status>"
			 "HTTP/1.1 404 Not Found</status></response></multistatus>",
		 &m);
	assert_int_equal(m.n, 1);
	assert_int_equal(m.v[0].status, 404);
	assert_string_equal(m.v[0].href, "/dentist/a/appt-1-b.ics");
	assert_null(m.v[0].etag);
	assert_string_equal(m.sync_token, "http://radicale.org/ns/sync/a9e2");
	assert_false(m.truncated);
	va_dav_multistatus_release(&m);

	/* SabreDAV-style page: changed + deleted, then a 507 on the collection
	 * (more to fetch), the token last. The 507 is not a member. */
	parse_ok("<d:multistatus xmlns:d=\"DAV:\">\n"
		 " <d:response><d:href>/dav/cal/new%20one.ics</d:href><d:propstat><d:prop>"
		 "<d:getetag>\"e1\"</d:getetag></d:prop><d:status>HTTP/1.1 200 OK</d:status>"
		 "</d:propstat></d:response>\n"
		 " <d:response><d:href>/dav/cal/old.ics</d:href>"
		 "<d:status>HTTP/1.1 404 Not Found</d:status></d:response>\n"
		 " <d:response><d:href>/dav/cal/</d:href>"
		 "<d:status>HTTP/1.1 507 Insufficient Storage</d:status></d:response>\n"
		 " <d:sync-token>http://sabre.io/ns/sync/77</d:sync-token>\n"
		 "</d:multistatus>",
		 &m);
	assert_int_equal(m.n, 2);
	assert_true(m.truncated);
	assert_string_equal(m.v[0].href, "/dav/cal/new one.ics");
	assert_string_equal(m.v[0].etag, "\"e1\"");
	assert_int_equal(m.v[1].status, 404);
	assert_string_equal(m.sync_token, "http://sabre.io/ns/sync/77");
	va_dav_multistatus_release(&m);

	/* Several hrefs sharing one status; an undecodable href is dropped. */
	parse_ok("<multistatus xmlns=\"DAV:\"><response><href>/a.ics</href><href>/b%zz.ics</href>"
		 "<href>/c.ics</href><status>HTTP/1.1 404 Not Found</status></response>"
		 "<response><href>/bad%00.ics</href><propstat><prop><getetag>\"x\"</getetag>"
		 "</prop><status>HTTP/1.1 200 OK</status></propstat></response>"
		 "<response><status>HTTP/1.1 404 Not Found</status></response></multistatus>",
		 &m);
	assert_int_equal(m.n, 2);
	assert_string_equal(m.v[0].href, "/a.ics");
	assert_string_equal(m.v[1].href, "/c.ics");
	assert_int_equal(m.v[1].status, 404);
	va_dav_multistatus_release(&m);
}

/* ---- bad and hostile input ------------------------------------------------------ */

static void test_bad_input(void **state)
{
	struct va_dav_multistatus m;
	char *big;

	(void)state;
	parse_fails("", VA_E_PARSE);
	parse_fails("not xml at all", VA_E_PARSE);
	parse_fails("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", VA_E_PARSE);
	parse_fails("<multistatus xmlns=\"DAV:\"><response>", VA_E_PARSE); /* truncated */
	/* Radicale's 403 body for a stale token, step 31: XML, but no multistatus. */
	parse_fails(XMLDECL "<error xmlns=\"DAV:\"><valid-sync-token /></error>", VA_E_PARSE);
	/* The right local name in no namespace, or in another one. */
	parse_fails("<multistatus><response><href>/x</href></response></multistatus>", VA_E_PARSE);
	parse_fails("<d:multistatus xmlns:d=\"urn:not-dav\"/>", VA_E_PARSE);
	/* An undeclared entity is not well-formed. */
	parse_fails("<multistatus xmlns=\"DAV:\"><sync-token>&foo;</sync-token></multistatus>",
		    VA_E_PARSE);

	/* Elements of ours only by prefix or local name are not read. */
	parse_ok("<multistatus xmlns=\"DAV:\" xmlns:D=\"urn:x\"><D:response><href>/x</href>"
		 "</D:response><response xmlns=\"urn:y\"><href>/y</href></response>"
		 "<D:sync-token>t</D:sync-token></multistatus>",
		 &m);
	assert_int_equal(m.n, 0);
	assert_null(m.sync_token);
	va_dav_multistatus_release(&m);

	big = malloc(VA_DAVXML_MAX_BYTES + 1);
	assert_non_null(big);
	memset(big, ' ', VA_DAVXML_MAX_BYTES + 1);
	assert_int_equal(va_dav_parse_multistatus(big, VA_DAVXML_MAX_BYTES + 1, &m), VA_E_TOOBIG);
	assert_int_equal(m.n, 0);
	free(big);

	/* Only len bytes are read: the text need not be terminated. */
	{
		static const char body[] = "<multistatus xmlns=\"DAV:\"/>GARBAGE";

		assert_int_equal(va_dav_parse_multistatus(body, sizeof(body) - 1 - 7, &m), VA_OK);
		va_dav_multistatus_release(&m);
	}
	assert_int_equal(va_dav_parse_multistatus(NULL, 3, &m), VA_E_INVAL);
	assert_int_equal(va_dav_parse_multistatus("x", 1, NULL), VA_E_INVAL);
	va_dav_multistatus_release(NULL);
	va_dav_multistatus_release(&m); /* twice is fine */
}

static void test_entity_attacks(void **state)
{
	static const char laughs[] =
	    "<?xml version=\"1.0\"?>\n<!DOCTYPE multistatus [\n"
	    " <!ENTITY lol \"lol\">\n"
	    " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
	    " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
	    " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
	    " <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
	    " <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
	    " <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
	    " <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
	    " <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
	    " <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
	    "]>\n<multistatus xmlns=\"DAV:\"><response><href>/x</href><propstat><prop>"
	    "<displayname>&lol9;</displayname></prop><status>HTTP/1.1 200 OK</status></propstat>"
	    "</response></multistatus>";
	static const char xxe[] =
	    "<?xml version=\"1.0\"?>\n<!DOCTYPE multistatus [\n"
	    " <!ENTITY xxe SYSTEM \"file:///etc/passwd\">\n"
	    " <!ENTITY net SYSTEM \"http://127.0.0.1:1/evil.dtd\">\n]>\n"
	    "<multistatus xmlns=\"DAV:\"><response><href>/x</href><propstat><prop>"
	    "<displayname>&xxe;&net;</displayname></prop><status>HTTP/1.1 200 OK</status>"
	    "</propstat></response></multistatus>";
	static const char plain_dtd[] =
	    "<?xml version=\"1.0\"?>\n<!DOCTYPE multistatus SYSTEM \"http://127.0.0.1:1/x.dtd\">\n"
	    "<multistatus xmlns=\"DAV:\"/>";
	clock_t t0 = clock();

	(void)state;
	/* Billion laughs: refused, in bounded time and memory (ASan would
	 * report a giant allocation; libxml2's limits stop the expansion). */
	parse_fails(laughs, VA_E_PARSE);
	parse_fails(xxe, VA_E_PARSE);
	parse_fails(plain_dtd, VA_E_PARSE);
	assert_true(clock() - t0 < 2 * CLOCKS_PER_SEC);
}

static void test_href_decode(void **state)
{
	char out[32], tiny[4];

	(void)state;
	assert_int_equal(va_dav_href_decode("/dentist/appt-1%40x.ics", out, sizeof(out)), VA_OK);
	assert_string_equal(out, "/dentist/appt-1@x.ics");
	assert_int_equal(va_dav_href_decode("%2f%2F%e2%82%ac+", out, sizeof(out)), VA_OK);
	assert_string_equal(out, "//\xe2\x82\xac+"); /* '+' is not a space in a path */
	assert_int_equal(va_dav_href_decode("", out, sizeof(out)), VA_OK);
	assert_string_equal(out, "");
	assert_int_equal(va_dav_href_decode("/a%zz", out, sizeof(out)), VA_E_PARSE);
	assert_int_equal(va_dav_href_decode("/a%4", out, sizeof(out)), VA_E_PARSE);
	assert_int_equal(va_dav_href_decode("/a%", out, sizeof(out)), VA_E_PARSE);
	assert_int_equal(va_dav_href_decode("/a%00b", out, sizeof(out)), VA_E_PARSE);
	assert_int_equal(va_dav_href_decode("/abcdef", tiny, sizeof(tiny)), VA_E_TOOBIG);
	assert_string_equal(tiny, "/ab");
	assert_int_equal(va_dav_href_decode("/ab", tiny, sizeof(tiny)), VA_OK);
	assert_int_equal(va_dav_href_decode("/a%40", tiny, sizeof(tiny)), VA_OK);
	assert_string_equal(tiny, "/a@");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_principal),	     cmocka_unit_test(test_home_set),
	    cmocka_unit_test(test_calendar_listing), cmocka_unit_test(test_calendar_query),
	    cmocka_unit_test(test_multiget),	     cmocka_unit_test(test_sync_collection),
	    cmocka_unit_test(test_bad_input),	     cmocka_unit_test(test_entity_attacks),
	    cmocka_unit_test(test_href_decode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
