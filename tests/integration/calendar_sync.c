/* SPDX-License-Identifier: MIT */
/*
 * calendar_sync.c - calendar sync against a real CalDAV server: Radicale is
 * started on a free port for this suite and stopped after. The practice
 * connects its calendar by discovery from the server's base URL; bookings
 * made on a scripted call and through the API must appear there within a
 * second, moves and cancellations follow, nothing is lost while the server
 * is down, staff's own events block time, staff's moves of our events move
 * the appointments, and two practices never see each other's events.
 */
#include "calendar/ical.h"
#include "core/err.h"
#include "core/tz.h"
#include "harness.h"
#include "radicale.h"

#include <jansson.h>
#include <libical/ical.h>
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#define APPTS "/api/v1/tenants/demo123/appointments"
#define CAL   "/api/v1/tenants/demo123/calendar"
#define DCOL  "/dentist/practice/"
#define OCOL  "/other/clinic/"

static struct it_server srv;
static struct it_radicale rad;
static struct va_tz *ny;

static const char *const server_args[] = {"--agent",
					  "receptionist",
					  "--calendar-pull-ms",
					  "300",
					  "--calendar-retry-ms",
					  "100",
					  "--calendar-retry-max-ms",
					  "400",
					  NULL};

static int setup(void **state)
{
	assert_int_equal(va_tz_load("America/New_York", &ny), VA_OK);
	it_radicale_start(&rad);
	/* The practices' calendars, as their staff created them. */
	it_dav_mkcalendar(&rad, "dentist", DCOL);
	it_dav_mkcalendar(&rad, "other", OCOL);
	it_server_start(&srv, server_args);
	return 0;
}

static int teardown(void **state)
{
	/* Radicale goes whatever the server's exit says. */
	int rc = it_server_stop(&srv);

	it_radicale_cleanup(&rad);
	va_tz_free(ny);
	assert_int_equal(rc, 0);
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A weekday (Mon-Fri, not a demo-practice holiday) `days` or more ahead at
 * hour:minute local; *t gets the epoch. */
static void weekday_at(int days, int hour, int minute, char *iso, size_t isosz, int64_t *t)
{
	int64_t now = (int64_t)time(NULL);
	struct va_civil c;

	for (;; days++) {
		va_tz_to_civil(ny, now + (int64_t)days * 86400, &c);
		if (c.wday < 5 && !(c.month == 12 && (c.day == 24 || c.day == 25 || c.day == 31)) &&
		    !(c.month == 1 && c.day <= 2) && !(c.month == 7 && c.day == 4) &&
		    !(c.month == 11 && c.day >= 22 && c.day <= 29 && c.wday >= 3) &&
		    !(c.month == 5 && c.day >= 25 && c.wday == 0) &&
		    !(c.month == 9 && c.day <= 7 && c.wday == 0))
			break;
	}
	c.hour = hour;
	c.minute = minute;
	c.second = 0;
	*t = va_tz_from_civil(ny, &c);
	va_tz_iso8601(ny, *t, iso, isosz);
}

static json_t *book(const char *path, const char *key, const char *name, const char *phone,
		    const char *start, int expect)
{
	char body[600];
	struct va_buf b = VA_BUF_INIT(1 << 16);
	json_t *j;

	snprintf(body, sizeof(body),
		 "{\"patient_name\":\"%s\",\"phone\":\"%s\",\"service\":\"filling\","
		 "\"start\":\"%s\",\"provider\":\"dr-patel\",\"notes\":\"chipped molar\"}",
		 name, phone, start);
	assert_int_equal(it_http(&srv, "POST", path, key, body, &b), expect);
	j = json_loads(va_buf_cstr(&b), 0, NULL);
	va_buf_release(&b);
	assert_non_null(j);
	return j;
}

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* The resource path our sync gives an appointment in a collection. */
static void event_path(const char *col, const char *appt_id, char *out, size_t n)
{
	snprintf(out, n, "%s%s.ics", col, appt_id);
	for (char *p = out + strlen(col); *p; p++)
		if (*p == '_')
			*p = '-';
}

/* GETs an event; its status, body (ics) and ETag. */
static int get_event(const char *user, const char *path, struct va_buf *ics, char *etag,
		     size_t etagsz)
{
	struct va_buf h = VA_BUF_INIT(1 << 16);
	const char *e;
	int st;

	va_buf_reset(ics);
	st = it_dav(&rad, user, "GET", path, NULL, NULL, ics, &h);
	if (etag) {
		etag[0] = '\0';
		e = strcasestr(va_buf_cstr(&h), "\netag:");
		if (e) {
			e += 6;
			while (*e == ' ')
				e++;
			snprintf(etag, etagsz, "%.*s", (int)strcspn(e, "\r\n"), e);
		}
	}
	va_buf_release(&h);
	return st;
}

/* Polls until the event's GET status is want (or timeout_ms); returns the
 * milliseconds it took, -1 on timeout. */
static int64_t wait_event(const char *user, const char *path, int want, int timeout_ms)
{
	struct va_buf b = VA_BUF_INIT(1 << 20);
	int64_t t0 = now_ms();
	int st;

	for (;;) {
		st = get_event(user, path, &b, NULL, 0);
		if (st == want) {
			va_buf_release(&b);
			return now_ms() - t0;
		}
		if (now_ms() - t0 > timeout_ms) {
			va_buf_release(&b);
			return -1;
		}
		usleep(10000);
	}
}

struct first_ev {
	struct va_ical_event ev;
	int n;
};

static int take_first(const struct va_ical_event *ev, void *arg)
{
	struct first_ev *f = arg;

	if (f->n++ == 0)
		f->ev = *ev;
	return 0;
}

static struct first_ev parse_event(const struct va_buf *ics)
{
	struct first_ev f = {0};

	assert_int_equal(va_ical_parse(ics->data, ics->len, "America/New_York", 0, INT64_MAX / 4,
				       take_first, &f, NULL),
			 VA_OK);
	assert_int_equal(f.n, 1);
	return f;
}

/* One appointment of demo123 as the API lists it (caller decrefs). */
static json_t *appointment(const char *id)
{
	struct va_buf b = VA_BUF_INIT(1 << 22);
	json_t *list, *arr, *found = NULL;
	size_t i;

	assert_int_equal(it_http(&srv, "GET", APPTS, IT_KEY, NULL, &b), 200);
	list = json_loads(va_buf_cstr(&b), 0, NULL);
	arr = json_object_get(list, "appointments");
	for (i = 0; i < json_array_size(arr); i++)
		if (strcmp(jstr(json_array_get(arr, i), "id"), id) == 0)
			found = json_incref(json_array_get(arr, i));
	json_decref(list);
	va_buf_release(&b);
	assert_non_null(found);
	return found;
}

static json_t *calendar_status(const char *path, const char *key)
{
	struct va_buf b = VA_BUF_INIT(1 << 16);
	json_t *j;

	assert_int_equal(it_http(&srv, "GET", path, key, NULL, &b), 200);
	j = json_loads(va_buf_cstr(&b), 0, NULL);
	va_buf_release(&b);
	assert_non_null(j);
	return j;
}

/* ---- connecting ---------------------------------------------------------- */

static void test_discovery_and_connect(void **state)
{
	struct va_buf b = VA_BUF_INIT(1 << 16);
	char body[400];
	json_t *j, *cal;

	/* Wrong password: refused clearly, nothing connected. */
	snprintf(body, sizeof(body),
		 "{\"url\":\"%s/\",\"username\":\"dentist\",\"password\":\"wrong\"}", rad.base);
	assert_int_equal(it_http(&srv, "POST", CAL, IT_KEY, body, &b), 422);
	assert_non_null(strstr(va_buf_cstr(&b), "refused the credentials"));
	va_buf_reset(&b);

	/* Only the server's base URL: discovery finds the calendar. */
	snprintf(body, sizeof(body),
		 "{\"url\":\"%s/\",\"username\":\"dentist\",\"password\":\"secret\"}", rad.base);
	assert_int_equal(it_http(&srv, "POST", CAL, IT_KEY, body, &b), 201);
	j = json_loads(va_buf_cstr(&b), 0, NULL);
	cal = json_object_get(j, "calendar");
	assert_non_null(strstr(jstr(cal, "url"), DCOL));
	assert_true(json_is_true(json_object_get(cal, "secret_set")));
	/* The password never comes back. */
	assert_null(strstr(va_buf_cstr(&b), "secret\""));
	assert_null(strstr(va_buf_cstr(&b), ":\"secret"));
	assert_int_equal(json_array_size(json_object_get(j, "found")), 1);
	json_decref(j);
	va_buf_release(&b);

	/* Another practice connects from the command line, password from the
	 * environment. */
	{
		const char *doc = "{\"id\":\"other1\",\"name\":\"Other Dental\","
				  "\"timezone\":\"America/Chicago\","
				  "\"twilio_auth_token\":\"tok-other-123456\","
				  "\"api_key\":\"key-other-123456\"}";
		char db[320], url[100];
		pid_t pid;
		int st;
		struct va_buf r = VA_BUF_INIT(1 << 16);

		assert_int_equal(it_http(&srv, "POST", "/api/v1/tenants", IT_ADMIN, doc, &r), 201);
		va_buf_release(&r);
		snprintf(db, sizeof(db), "%s/voiceai.db", srv.dir);
		snprintf(url, sizeof(url), "%s/", rad.base);
		pid = fork();
		if (pid == 0) {
			setenv("OTHER_CALDAV_PASSWORD", "other", 1);
			execl(VA_VOICEAI_BIN, "voiceai", "calendar", "--db", db, "connect",
			      "other1", "--url", url, "--user", "other", "--password-env",
			      "OTHER_CALDAV_PASSWORD", (char *)NULL);
			_exit(127);
		}
		assert_true(waitpid(pid, &st, 0) == pid);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
}

/* ---- push ---------------------------------------------------------------- */

static void test_scripted_call_booking_appears(void **state)
{
	struct va_buf b = VA_BUF_INIT(1 << 20);
	char path[300], etag[128];
	json_t *list, *a = NULL;
	int64_t start, waited;
	struct first_ev f;
	pid_t pid;
	int st;
	size_t i;

	pid = fork();
	if (pid == 0) {
		freopen("/dev/null", "w", stdout);
		execl(VA_VOICEAI_BIN, "voiceai", "call", "demo123", "--url", srv.base, "--from",
		      "+15551239001", "--script",
		      VA_TEST_SOURCE_DIR "/integration/calls/01-simple-booking.txt", "--quiet",
		      (char *)NULL);
		_exit(127);
	}
	assert_true(waitpid(pid, &st, 0) == pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);

	assert_int_equal(it_http(&srv, "GET", APPTS, IT_KEY, NULL, &b), 200);
	list = json_loads(va_buf_cstr(&b), 0, NULL);
	for (i = 0; i < json_array_size(json_object_get(list, "appointments")); i++) {
		json_t *x = json_array_get(json_object_get(list, "appointments"), i);
		if (strcmp(jstr(x, "phone"), "5551239001") == 0)
			a = x;
	}
	assert_non_null(a);
	event_path(DCOL, jstr(a, "id"), path, sizeof(path));
	/* The booking has committed when the call heard "you're all set";
	 * the calendar has it within a second of that. */
	waited = wait_event("dentist", path, 200, 1000);
	assert_true(waited >= 0);
	assert_int_equal(get_event("dentist", path, &b, etag, sizeof(etag)), 200);
	f = parse_event(&b);
	assert_int_equal(va_iso8601_parse(jstr(a, "start"), ny, &start), VA_OK);
	/* The right instant, so the right time in the practice's zone. */
	assert_int_equal(f.ev.start, start);
	assert_string_equal(f.ev.appointment_id, jstr(a, "id"));
	assert_non_null(strstr(va_buf_cstr(&b), "Jane Doe"));
	assert_int_equal(f.ev.sequence, 0);
	json_decref(list);
	va_buf_release(&b);
}

static void test_move_and_cancel_follow(void **state)
{
	struct va_buf b = VA_BUF_INIT(1 << 20);
	char start[40], later[40], path[300], apath[300], body[100], etag0[128], etag1[128];
	int64_t t0, t1;
	struct first_ev f;
	json_t *a;
	int i;

	weekday_at(15, 9, 0, start, sizeof(start), &t0);
	a = book(APPTS, IT_KEY, "Mo Ved", "5551239002", start, 201);
	event_path(DCOL, jstr(a, "id"), path, sizeof(path));
	snprintf(apath, sizeof(apath), "%s/%s", APPTS, jstr(a, "id"));
	assert_true(wait_event("dentist", path, 200, 1000) >= 0);
	assert_int_equal(get_event("dentist", path, &b, etag0, sizeof(etag0)), 200);

	weekday_at(15, 14, 0, later, sizeof(later), &t1);
	snprintf(body, sizeof(body), "{\"start\":\"%s\"}", later);
	assert_int_equal(it_http(&srv, "PATCH", apath, IT_KEY, body, &b), 200);
	/* Updated in place: same resource, new time, SEQUENCE grows. */
	for (i = 0; i < 100; i++) {
		assert_int_equal(get_event("dentist", path, &b, etag1, sizeof(etag1)), 200);
		if (strcmp(etag0, etag1) != 0)
			break;
		usleep(10000);
	}
	f = parse_event(&b);
	assert_int_equal(f.ev.start, t1);
	assert_int_equal(f.ev.sequence, 1);

	assert_int_equal(it_http(&srv, "DELETE", apath, IT_KEY, NULL, &b), 200);
	assert_true(wait_event("dentist", path, 404, 1000) >= 0);
	json_decref(a);
	va_buf_release(&b);
}

static void test_calendar_down_then_back(void **state)
{
	struct va_buf b = VA_BUF_INIT(1 << 20);
	char start[40], path[3][300], needle[3][340];
	int64_t t;
	json_t *a[3], *s;
	int i, pos[3];

	it_radicale_stop(&rad);
	for (i = 0; i < 3; i++) {
		char phone[16];

		weekday_at(16, 9 + i, 0, start, sizeof(start), &t);
		snprintf(phone, sizeof(phone), "555123910%d", i);
		/* Booked at once: a calendar never holds a caller up. */
		a[i] = book(APPTS, IT_KEY, "Down Patient", phone, start, 201);
		event_path(DCOL, jstr(a[i], "id"), path[i], sizeof(path[i]));
		snprintf(needle[i], sizeof(needle[i]), "PUT request for '%.300s'", path[i]);
	}
	usleep(600000);
	s = calendar_status(CAL, IT_KEY);
	assert_true(json_integer_value(json_object_get(s, "outbox_depth")) >= 3);
	assert_non_null(
	    strstr(jstr(json_array_get(json_object_get(s, "calendars"), 0), "last_error"), "PUT"));
	json_decref(s);

	it_radicale_restart(&rad);
	for (i = 0; i < 3; i++)
		assert_true(wait_event("dentist", path[i], 200, 5000) >= 0);
	/* Each arrived once, in the order booked. */
	for (i = 0; i < 3; i++) {
		FILE *f = fopen(rad.log, "r");
		char line[2048];
		int n = 0, k = 0;

		assert_non_null(f);
		pos[i] = -1;
		while (fgets(line, sizeof(line), f)) {
			k++;
			if (strstr(line, needle[i]) && strstr(line, "PUT")) {
				n++;
				pos[i] = k;
			}
		}
		fclose(f);
		assert_int_equal(n, 1);
	}
	assert_true(pos[0] < pos[1] && pos[1] < pos[2]);
	s = calendar_status(CAL, IT_KEY);
	for (i = 0; i < 50 && json_integer_value(json_object_get(s, "outbox_depth")) != 0; i++) {
		json_decref(s);
		usleep(20000);
		s = calendar_status(CAL, IT_KEY);
	}
	assert_int_equal(json_integer_value(json_object_get(s, "outbox_depth")), 0);
	json_decref(s);
	for (i = 0; i < 3; i++)
		json_decref(a[i]);
	va_buf_release(&b);
}

/* ---- pull ---------------------------------------------------------------- */

static void test_staff_event_blocks_time(void **state)
{
	char start[40], inside[40], outside[40], ics[1200], s_utc[20], e_utc[20];
	int64_t t0, t1, tin, tout;
	struct tm tm;
	time_t tt;
	json_t *a, *s;
	int i;

	/* Staff block 9:00-12:00 on a weekday three weeks out. */
	weekday_at(21, 9, 0, start, sizeof(start), &t0);
	t1 = t0 + 3 * 3600;
	tt = (time_t)t0;
	gmtime_r(&tt, &tm);
	strftime(s_utc, sizeof(s_utc), "%Y%m%dT%H%M%SZ", &tm);
	tt = (time_t)t1;
	gmtime_r(&tt, &tm);
	strftime(e_utc, sizeof(e_utc), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(ics, sizeof(ics),
		 "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Staff//Desk//EN\r\n"
		 "BEGIN:VEVENT\r\nUID:staff-meeting-1@desk\r\nDTSTAMP:20261101T000000Z\r\n"
		 "DTSTART:%s\r\nDTEND:%s\r\nSUMMARY:Staff training\r\nEND:VEVENT\r\n"
		 "END:VCALENDAR\r\n",
		 s_utc, e_utc);
	assert_int_equal(
	    it_dav(&rad, "dentist", "PUT", DCOL "staff-meeting-1.ics", NULL, ics, NULL, NULL), 201);
	/* The next pull sees it. */
	for (i = 0; i < 100; i++) {
		s = calendar_status(CAL, IT_KEY);
		json_int_t busy = json_integer_value(json_object_get(
		    json_array_get(json_object_get(s, "calendars"), 0), "busy_blocks"));
		json_decref(s);
		if (busy >= 1)
			break;
		usleep(20000);
	}
	assert_true(i < 100);
	weekday_at(21, 10, 0, inside, sizeof(inside), &tin);
	weekday_at(21, 13, 0, outside, sizeof(outside), &tout);
	a = book(APPTS, IT_KEY, "Blocked Caller", "5551239201", inside, 409);
	json_decref(a);
	a = book(APPTS, IT_KEY, "Free Caller", "5551239202", outside, 201);
	json_decref(a);

	/* Staff remove it: the time is free again. */
	assert_int_equal(
	    it_dav(&rad, "dentist", "DELETE", DCOL "staff-meeting-1.ics", NULL, NULL, NULL, NULL),
	    200);
	for (i = 0; i < 100; i++) {
		struct va_buf b = VA_BUF_INIT(1 << 16);
		char body[600];
		int st;

		snprintf(body, sizeof(body),
			 "{\"patient_name\":\"Later Caller\",\"phone\":\"5551239203\","
			 "\"service\":\"filling\",\"start\":\"%s\",\"provider\":\"dr-patel\"}",
			 inside);
		st = it_http(&srv, "POST", APPTS, IT_KEY, body, &b);
		va_buf_release(&b);
		if (st == 201)
			break;
		assert_int_equal(st, 409);
		usleep(30000);
	}
	assert_true(i < 100);

	/* A day off entered in the calendar (an all-day event): a caller asking
	 * for that day is told there is nothing then, and offered other days. */
	{
		static const char *const months[] = {
		    "January", "February", "March",	"April",   "May",      "June",
		    "July",    "August",   "September", "October", "November", "December"};
		char day[40], script[300], text[600], exp_no[64];
		struct va_civil c;
		int64_t td;
		FILE *f;
		pid_t pid;
		int st, busy0;

		s = calendar_status(CAL, IT_KEY);
		busy0 = (int)json_integer_value(json_object_get(
		    json_array_get(json_object_get(s, "calendars"), 0), "busy_blocks"));
		json_decref(s);
		weekday_at(40, 12, 0, day, sizeof(day), &td);
		va_tz_to_civil(ny, td, &c);
		snprintf(ics, sizeof(ics),
			 "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Staff//Desk//EN\r\n"
			 "BEGIN:VEVENT\r\nUID:day-off-1@desk\r\nDTSTAMP:20261101T000000Z\r\n"
			 "DTSTART;VALUE=DATE:%04d%02d%02d\r\nSUMMARY:Office closed\r\n"
			 "END:VEVENT\r\nEND:VCALENDAR\r\n",
			 c.year, c.month, c.day);
		assert_int_equal(
		    it_dav(&rad, "dentist", "PUT", DCOL "day-off-1.ics", NULL, ics, NULL, NULL),
		    201);
		for (i = 0; i < 100; i++) {
			s = calendar_status(CAL, IT_KEY);
			json_int_t busy = json_integer_value(json_object_get(
			    json_array_get(json_object_get(s, "calendars"), 0), "busy_blocks"));
			json_decref(s);
			if (busy > busy0)
				break;
			usleep(20000);
		}
		assert_true(i < 100);
		snprintf(script, sizeof(script), "%s/day-off-call.txt", srv.dir);
		snprintf(text, sizeof(text),
			 "I need a filling on %s %d in the morning, my name is Dee Block and "
			 "I'm a new patient\n/expect anything open then\nno thanks, bye\n"
			 "/expect goodbye\n",
			 months[c.month - 1], c.day);
		f = fopen(script, "w");
		assert_non_null(f);
		fputs(text, f);
		fclose(f);
		snprintf(exp_no, sizeof(exp_no), "%s %d", months[c.month - 1], c.day);
		{
			char out[320];

			snprintf(out, sizeof(out), "%s/day-off-call.out", srv.dir);
			pid = fork();
			if (pid == 0) {
				freopen(out, "w", stdout);
				execl(VA_VOICEAI_BIN, "voiceai", "call", "demo123", "--url",
				      srv.base, "--from", "+15551239299", "--script", script,
				      (char *)NULL);
				_exit(127);
			}
			assert_true(waitpid(pid, &st, 0) == pid);
			assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
			/* No time on that day was offered. */
			f = fopen(out, "r");
			assert_non_null(f);
			while (fgets(text, sizeof(text), f))
				if (strncmp(text, "agent:", 6) == 0 && strstr(text, " at ") &&
				    strstr(text, exp_no) && strstr(text, "I have"))
					fail_msg("offered a time on the day off: %s", text);
			fclose(f);
		}
	}
}

static void test_staff_move_and_delete_apply(void **state)
{
	struct va_buf b = VA_BUF_INIT(1 << 20);
	char start[40], path[300], etag[128], from[20], to[20], nfrom[20], nto[20];
	char *ics, *p;
	int64_t t, nt;
	struct tm tm;
	time_t tt;
	json_t *a, *got;
	int i;

	weekday_at(22, 9, 0, start, sizeof(start), &t);
	a = book(APPTS, IT_KEY, "Staff Moved", "5551239301", start, 201);
	event_path(DCOL, jstr(a, "id"), path, sizeof(path));
	assert_true(wait_event("dentist", path, 200, 1000) >= 0);
	assert_int_equal(get_event("dentist", path, &b, etag, sizeof(etag)), 200);

	/* Staff drag it to 15:00 in their calendar app. */
	nt = t + 6 * 3600;
	tt = (time_t)t;
	gmtime_r(&tt, &tm);
	strftime(from, sizeof(from), "%Y%m%dT%H%M%SZ", &tm);
	tt = (time_t)(t + 3600);
	gmtime_r(&tt, &tm);
	strftime(to, sizeof(to), "%Y%m%dT%H%M%SZ", &tm);
	tt = (time_t)nt;
	gmtime_r(&tt, &tm);
	strftime(nfrom, sizeof(nfrom), "%Y%m%dT%H%M%SZ", &tm);
	tt = (time_t)(nt + 3600);
	gmtime_r(&tt, &tm);
	strftime(nto, sizeof(nto), "%Y%m%dT%H%M%SZ", &tm);
	ics = strdup(va_buf_cstr(&b));
	p = strstr(ics, from);
	assert_non_null(p);
	memcpy(p, nfrom, strlen(nfrom));
	p = strstr(ics, to);
	assert_non_null(p);
	memcpy(p, nto, strlen(nto));
	{
		char hdr[200];

		snprintf(hdr, sizeof(hdr), "If-Match: %s\r\n", etag);
		assert_int_equal(it_dav(&rad, "dentist", "PUT", path, hdr, ics, NULL, NULL), 201);
	}
	free(ics);
	for (i = 0; i < 100; i++) {
		int64_t s = 0;

		got = appointment(jstr(a, "id"));
		va_iso8601_parse(jstr(got, "start"), ny, &s);
		if (s == nt) {
			assert_non_null(strstr(jstr(got, "changed_by"), "calendar:"));
			json_decref(got);
			break;
		}
		json_decref(got);
		usleep(30000);
	}
	assert_true(i < 100);

	/* Staff delete it: the appointment is cancelled. */
	assert_int_equal(it_dav(&rad, "dentist", "DELETE", path, NULL, NULL, NULL, NULL), 200);
	for (i = 0; i < 100; i++) {
		bool cancelled;

		got = appointment(jstr(a, "id"));
		cancelled = strcmp(jstr(got, "status"), "cancelled") == 0;
		json_decref(got);
		if (cancelled)
			break;
		usleep(30000);
	}
	assert_true(i < 100);
	json_decref(a);
	va_buf_release(&b);
}

/* ---- practices apart ------------------------------------------------------ */

static void test_practices_apart(void **state)
{
	struct va_buf b = VA_BUF_INIT(1 << 20);
	char start[40], mine[300], theirs[300], cross[300];
	int64_t t;
	json_t *a, *o;

	/* The calendar the other practice connected from the command line is
	 * picked up by the running server at its next re-read (seconds). */
	for (int i = 0;; i++) {
		va_buf_reset(&b);
		assert_int_equal(it_http(&srv, "GET", "/api/v1/relay/status", NULL, NULL, &b), 200);
		if (strstr(va_buf_cstr(&b), "\"calendars\":{\"calendars\":2"))
			break;
		assert_true(i < 200);
		usleep(50000);
	}
	weekday_at(23, 9, 0, start, sizeof(start), &t);
	a = book(APPTS, IT_KEY, "Demo Patient", "5551239401", start, 201);
	o = book("/api/v1/tenants/other1/appointments", "key-other-123456", "Other Patient",
		 "5551239402", start, 201);
	event_path(DCOL, jstr(a, "id"), mine, sizeof(mine));
	event_path(OCOL, jstr(o, "id"), theirs, sizeof(theirs));
	assert_true(wait_event("dentist", mine, 200, 1000) >= 0);
	assert_true(wait_event("other", theirs, 200, 1000) >= 0);
	/* Neither calendar holds the other's event. */
	event_path(OCOL, jstr(a, "id"), cross, sizeof(cross));
	assert_int_equal(get_event("other", cross, &b, NULL, 0), 404);
	event_path(DCOL, jstr(o, "id"), cross, sizeof(cross));
	assert_int_equal(get_event("dentist", cross, &b, NULL, 0), 404);
	/* Nor does either API show the other's calendar. */
	va_buf_reset(&b);
	assert_int_equal(it_http(&srv, "GET", CAL, "key-other-123456", NULL, &b), 404);
	va_buf_reset(&b);
	assert_int_equal(
	    it_http(&srv, "GET", "/api/v1/tenants/other1/calendar", "key-other-123456", NULL, &b),
	    200);
	assert_null(strstr(va_buf_cstr(&b), DCOL));
	assert_non_null(strstr(va_buf_cstr(&b), OCOL));
	json_decref(a);
	json_decref(o);
	va_buf_release(&b);
}

/* ---- the feed ------------------------------------------------------------ */

static void test_feed(void **state)
{
	struct va_buf b = VA_BUF_INIT(1 << 22), h = VA_BUF_INIT(1 << 16);
	char url[700], path[600], etag[100], hdr[200], start[40];
	const char *p, *e;
	icalcomponent *root, *ev, *tzc;
	json_t *j, *a;
	int64_t t;
	int st, n_ev = 0, n_cancelled = 0;

	weekday_at(24, 11, 0, start, sizeof(start), &t);
	a = book(APPTS, IT_KEY, "Feed, Patient; \\\"Q\\\"", "5551239501", start, 201);

	assert_int_equal(it_http(&srv, "POST", CAL "/feeds", IT_KEY, "{}", &b), 201);
	j = json_loads(va_buf_cstr(&b), 0, NULL);
	snprintf(url, sizeof(url), "%s", jstr(j, "url"));
	json_decref(j);
	p = strstr(url, "/api/v1/");
	assert_non_null(p);
	snprintf(path, sizeof(path), "%s", p);

	/* No token, a wrong token, another practice's path: refused. */
	va_buf_reset(&b);
	assert_int_equal(
	    it_http(&srv, "GET", "/api/v1/tenants/demo123/calendar.ics", NULL, NULL, &b), 401);
	va_buf_reset(&b);
	assert_int_equal(
	    it_http(&srv, "GET", "/api/v1/tenants/demo123/calendar.ics?token=nope", NULL, NULL, &b),
	    404);
	{
		char other[700];

		snprintf(other, sizeof(other), "/api/v1/tenants/other1/calendar.ics%s",
			 strchr(path, '?'));
		va_buf_reset(&b);
		assert_int_equal(it_http(&srv, "GET", other, NULL, NULL, &b), 404);
	}

	snprintf(url, sizeof(url), "%s%s", srv.base, path);
	va_buf_reset(&b);
	assert_int_equal(va_sim_http("GET", url, NULL, NULL, 0, 5000, &st, &b, &h), VA_OK);
	assert_int_equal(st, 200);
	assert_non_null(strcasestr(va_buf_cstr(&h), "content-type: text/calendar"));
	e = strcasestr(va_buf_cstr(&h), "\netag:");
	assert_non_null(e);
	e += 6;
	while (*e == ' ')
		e++;
	snprintf(etag, sizeof(etag), "%.*s", (int)strcspn(e, "\r\n"), e);

	/* Parses back with libical: the practice's zone, every visit. */
	root = icalparser_parse_string(va_buf_cstr(&b));
	assert_non_null(root);
	assert_int_equal(icalcomponent_count_errors(root), 0);
	tzc = icalcomponent_get_first_component(root, ICAL_VTIMEZONE_COMPONENT);
	assert_non_null(tzc);
	assert_string_equal(
	    icalproperty_get_tzid(icalcomponent_get_first_property(tzc, ICAL_TZID_PROPERTY)),
	    "America/New_York");
	for (ev = icalcomponent_get_first_component(root, ICAL_VEVENT_COMPONENT); ev;
	     ev = icalcomponent_get_next_component(root, ICAL_VEVENT_COMPONENT)) {
		n_ev++;
		if (icalcomponent_get_status(ev) == ICAL_STATUS_CANCELLED)
			n_cancelled++;
		if (strstr(icalcomponent_get_uid(ev), jstr(a, "id"))) {
			struct icaltimetype dt = icalcomponent_get_dtstart(ev);

			assert_int_equal((int64_t)icaltime_as_timet_with_zone(dt, dt.zone), t);
			assert_non_null(
			    strstr(icalcomponent_get_summary(ev), "Feed, Patient; \"Q\""));
			assert_non_null(strstr(icalcomponent_get_description(ev), "555"));
		}
	}
	icalcomponent_free(root);
	/* Every appointment so far is there, cancellations marked. */
	assert_true(n_ev >= 8);
	assert_true(n_cancelled >= 2);

	/* A subscriber polling with the ETag gets 304, until something changes. */
	snprintf(hdr, sizeof(hdr), "If-None-Match: %s\r\n", etag);
	va_buf_reset(&b);
	assert_int_equal(va_sim_http("GET", url, hdr, NULL, 0, 5000, &st, &b, NULL), VA_OK);
	assert_int_equal(st, 304);
	json_decref(book(APPTS, IT_KEY, "Another One", "5551239502", start, 409));
	{
		char other[40];

		weekday_at(24, 14, 0, other, sizeof(other), &t);
		json_decref(book(APPTS, IT_KEY, "Another One", "5551239502", other, 201));
	}
	va_buf_reset(&b);
	assert_int_equal(va_sim_http("GET", url, hdr, NULL, 0, 5000, &st, &b, NULL), VA_OK);
	assert_int_equal(st, 200);

	/* Revoked: the address stops working. */
	va_buf_reset(&b);
	assert_int_equal(it_http(&srv, "DELETE", CAL "/feeds", IT_KEY, NULL, &b), 204);
	va_buf_reset(&b);
	assert_int_equal(va_sim_http("GET", url, NULL, NULL, 0, 5000, &st, &b, NULL), VA_OK);
	assert_int_equal(st, 404);
	json_decref(a);
	va_buf_release(&b);
	va_buf_release(&h);
}

/* ---- restart: exactly once ---------------------------------------------- */

static void test_restart_delivers_once(void **state)
{
	struct va_buf b = VA_BUF_INIT(1 << 20);
	char start[40], path[300], needle[320], cmd[900];
	int64_t t;
	json_t *a;
	int before, after, i;

	weekday_at(25, 9, 0, start, sizeof(start), &t);
	a = book(APPTS, IT_KEY, "Restart Patient", "5551239601", start, 201);
	event_path(DCOL, jstr(a, "id"), path, sizeof(path));
	assert_true(wait_event("dentist", path, 200, 1000) >= 0);
	/* Recorded as delivered before the server stops (the calendar may
	 * show the event a moment before its answer reaches us). */
	for (i = 0; i < 200; i++) {
		json_t *s = calendar_status(CAL, IT_KEY);
		json_int_t d = json_integer_value(json_object_get(s, "outbox_depth"));

		json_decref(s);
		if (d == 0)
			break;
		usleep(10000);
	}
	it_server_stop(&srv);
	/* As if the server died after the calendar took the event but before
	 * it recorded that: the change is pending again, the link gone. */
	{
		sqlite3 *db = NULL;

		snprintf(cmd, sizeof(cmd), "%s/voiceai.db", srv.dir);
		assert_int_equal(sqlite3_open(cmd, &db), SQLITE_OK);
		snprintf(cmd, sizeof(cmd),
			 "UPDATE calendar_outbox SET state='pending', next_attempt_ms=0"
			 " WHERE appointment_id='%s';"
			 " DELETE FROM calendar_links WHERE appointment_id='%s';",
			 jstr(a, "id"), jstr(a, "id"));
		assert_int_equal(sqlite3_exec(db, cmd, NULL, NULL, NULL), SQLITE_OK);
		assert_true(sqlite3_changes(db) == 1);
		sqlite3_close(db);
	}
	snprintf(needle, sizeof(needle), "PUT request for '%s'", path);
	before = it_radicale_log_count(&rad, needle);
	it_server_restart(&srv, server_args);
	for (i = 0; i < 200; i++) {
		json_t *s = calendar_status(CAL, IT_KEY);
		json_int_t d = json_integer_value(json_object_get(s, "outbox_depth"));

		json_decref(s);
		if (d == 0)
			break;
		usleep(20000);
	}
	assert_true(i < 200);
	after = it_radicale_log_count(&rad, needle);
	/* A create that found the event (412), then one update: still one
	 * event with that UID in the calendar. */
	assert_true(after - before >= 1 && after - before <= 2);
	assert_int_equal(get_event("dentist", path, &b, NULL, 0), 200);
	{
		int n = 0;
		struct va_buf l = VA_BUF_INIT(1 << 22);
		const char *q = "<?xml version=\"1.0\"?><c:calendar-query xmlns:d=\"DAV:\" "
				"xmlns:c=\"urn:ietf:params:xml:ns:caldav\"><d:prop><d:getetag/>"
				"<c:calendar-data/></d:prop><c:filter><c:comp-filter "
				"name=\"VCALENDAR\"/></c:filter></c:calendar-query>";

		assert_int_equal(
		    it_dav(&rad, "dentist", "REPORT", DCOL, "Depth: 1\r\n", q, &l, NULL), 207);
		for (const char *x = l.data; (x = strstr(x, jstr(a, "id"))); x++)
			if (strncmp(x - 4, "UID:", 4) == 0)
				n++;
		assert_int_equal(n, 1);
		va_buf_release(&l);
	}
	json_decref(a);
	va_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_discovery_and_connect),
	    cmocka_unit_test(test_scripted_call_booking_appears),
	    cmocka_unit_test(test_move_and_cancel_follow),
	    cmocka_unit_test(test_calendar_down_then_back),
	    cmocka_unit_test(test_staff_event_blocks_time),
	    cmocka_unit_test(test_staff_move_and_delete_apply),
	    cmocka_unit_test(test_practices_apart),
	    cmocka_unit_test(test_feed),
	    cmocka_unit_test(test_restart_delivers_once),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
