/* SPDX-License-Identifier: MIT */
/*
 * calendar_faults.c - a calendar server that misbehaves: 5xx, revoked
 * credentials (401), a redirect, a hang, malformed XML, a response far past
 * the size cap, unusable iCalendar and a time zone nobody knows. The CalDAV
 * peer here is a small in-test HTTP server so each fault can be produced on
 * demand (Radicale cannot be made to fail like this); the happy path against
 * a real server is calendar_sync.c. Through all of it bookings are confirmed
 * at once, calls carry on, and every change arrives once the server behaves.
 */
#include "core/buf.h"
#include "core/err.h"
#include "harness.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#define CAL   "/api/v1/tenants/demo123/calendar"
#define APPTS "/api/v1/tenants/demo123/appointments"

/* ---- the misbehaving CalDAV server ---------------------------------------- */

enum mode { OK, FAIL_500, FAIL_401, REDIRECT, HANG, BAD_XML, HUGE, BAD_ICS, HEAVY };

static struct {
	int fd, port;
	pthread_t thread;
	_Atomic int put_mode, report_mode;
	_Atomic int puts_ok, puts_seen, reports_seen;
	_Atomic bool stop;
	pthread_mutex_t mu;
	char last_put_body[8192];
} fake;

static void send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static void respond(int fd, int status, const char *extra, const char *body, size_t len)
{
	char head[512];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d X\r\nContent-Length: %zu\r\nConnection: close\r\n%s\r\n",
			 status, len, extra ? extra : "");

	send_all(fd, head, (size_t)n);
	if (len)
		send_all(fd, body, len);
}

static const char ok_sync[] =
    "<?xml version=\"1.0\"?><d:multistatus xmlns:d=\"DAV:\" "
    "xmlns:c=\"urn:ietf:params:xml:ns:caldav\"><d:sync-token>tok-%d</d:sync-token>%s"
    "</d:multistatus>";

static const char bad_ics_resp[] =
    "<d:response><d:href>/cal/staff-1.ics</d:href><d:propstat><d:prop>"
    "<d:getetag>\"s1\"</d:getetag><c:calendar-data>this is not a calendar</c:calendar-data>"
    "</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>"
    "<d:response><d:href>/cal/staff-2.ics</d:href><d:propstat><d:prop>"
    "<d:getetag>\"s2\"</d:getetag><c:calendar-data>BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
    "PRODID:x\r\nBEGIN:VEVENT\r\nUID:staff-2\r\nDTSTAMP:20261101T000000Z\r\n"
    "DTSTART;TZID=Mars/Olympus_Mons:20270105T090000\r\n"
    "DTEND;TZID=Mars/Olympus_Mons:20270105T100000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    "</c:calendar-data></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>"
    "</d:response>";

static void serve_one(int fd)
{
	char req[65536], method[16] = "", path[256] = "";
	size_t got = 0, need = 0;
	char *hdr_end = NULL, *cl;
	char body[4096];
	int mode;

	while (got < sizeof(req) - 1) {
		ssize_t r = recv(fd, req + got, sizeof(req) - 1 - got, 0);

		if (r <= 0)
			return;
		got += (size_t)r;
		req[got] = '\0';
		if (!hdr_end && (hdr_end = strstr(req, "\r\n\r\n"))) {
			cl = strcasestr(req, "\ncontent-length:");
			need = (size_t)(hdr_end + 4 - req) + (cl ? strtoul(cl + 16, NULL, 10) : 0);
		}
		if (hdr_end && got >= need)
			break;
	}
	sscanf(req, "%15s %255s", method, path);
	if (!strcmp(method, "PROPFIND")) {
		/* Discovery: the address is a calendar collection. */
		snprintf(body, sizeof(body),
			 "<?xml version=\"1.0\"?><d:multistatus xmlns:d=\"DAV:\" "
			 "xmlns:c=\"urn:ietf:params:xml:ns:caldav\"><d:response><d:href>/cal/"
			 "</d:href><d:propstat><d:prop><d:resourcetype><d:collection/>"
			 "<c:calendar/></d:resourcetype><d:displayname>Faulty</d:displayname>"
			 "</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>"
			 "</d:multistatus>");
		respond(fd, 207, "Content-Type: application/xml\r\n", body, strlen(body));
		return;
	}
	if (!strcmp(method, "PUT")) {
		fake.puts_seen++;
		mode = fake.put_mode;
		if (mode == OK) {
			pthread_mutex_lock(&fake.mu);
			snprintf(fake.last_put_body, sizeof(fake.last_put_body), "%s",
				 hdr_end ? hdr_end + 4 : "");
			pthread_mutex_unlock(&fake.mu);
			fake.puts_ok++;
			respond(fd, 201, "ETag: \"e1\"\r\n", "", 0);
		} else if (mode == FAIL_500) {
			respond(fd, 500, NULL, "oops", 4);
		} else if (mode == FAIL_401) {
			respond(fd, 401, "WWW-Authenticate: Basic realm=\"x\"\r\n", "", 0);
		} else if (mode == REDIRECT) {
			respond(fd, 301, "Location: http://elsewhere.invalid/cal/\r\n", "", 0);
		} else if (mode == HANG) {
			for (int i = 0; i < 400 && !fake.stop && fake.put_mode == HANG; i++)
				usleep(50000);
		}
		return;
	}
	if (!strcmp(method, "REPORT")) {
		int n = ++fake.reports_seen;

		mode = fake.report_mode;
		if (mode == BAD_XML) {
			respond(fd, 207, NULL, "<d:multistatus><<<", 18);
		} else if (mode == HUGE) {
			size_t len = 6u << 20;
			char *big = malloc(len);

			memset(big, ' ', len);
			respond(fd, 207, NULL, big, len);
			free(big);
		} else if (mode == HEAVY) {
			/* Thousands of daily series: a lot of loop time to read. */
			size_t cap = 3u << 20, len = 0;
			char *big = malloc(cap);

			len += (size_t)snprintf(big + len, cap - len,
						"<?xml version=\"1.0\"?><d:multistatus "
						"xmlns:d=\"DAV:\" xmlns:c=\"urn:ietf:params:xml:"
						"ns:caldav\"><d:sync-token>tok-h%d</d:sync-token>",
						n);
			for (int i = 0; i < 6000 && len + 600 < cap; i++)
				len += (size_t)snprintf(
				    big + len, cap - len,
				    "<d:response><d:href>/cal/h%d.ics</d:href><d:propstat><d:prop>"
				    "<d:getetag>\"h%d\"</d:getetag><c:calendar-data>BEGIN:VCALENDAR"
				    "\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:h%d\r\n"
				    "DTSTAMP:20261101T000000Z\r\nDTSTART:20261101T%02d0000Z\r\n"
				    "DTEND:20261101T%02d1500Z\r\nRRULE:FREQ=DAILY\r\nEND:VEVENT\r\n"
				    "END:VCALENDAR\r\n</c:calendar-data></d:prop><d:status>HTTP/"
				    "1.1 "
				    "200 OK</d:status></d:propstat></d:response>",
				    i, i, i, i % 24, i % 24);
			len += (size_t)snprintf(big + len, cap - len, "</d:multistatus>");
			respond(fd, 207, NULL, big, len);
			free(big);
		} else if (mode == BAD_ICS) {
			snprintf(body, sizeof(body), ok_sync, n, bad_ics_resp);
			respond(fd, 207, NULL, body, strlen(body));
		} else if (mode == FAIL_500) {
			respond(fd, 503, "Retry-After: 1\r\n", "", 0);
		} else {
			snprintf(body, sizeof(body), ok_sync, n, "");
			respond(fd, 207, NULL, body, strlen(body));
		}
		return;
	}
	respond(fd, 200, NULL, "", 0);
}

static void *serve_thread(void *arg)
{
	int c = (int)(intptr_t)arg;

	serve_one(c);
	close(c);
	return NULL;
}

/* A thread per connection: a hanging PUT must not hold the pulls up. */
static void *fake_main(void *arg)
{
	while (!fake.stop) {
		int c = accept(fake.fd, NULL, NULL);
		pthread_t t;

		if (c < 0)
			continue;
		if (pthread_create(&t, NULL, serve_thread, (void *)(intptr_t)c) == 0)
			pthread_detach(t);
		else
			close(c);
	}
	return NULL;
}

/* ---- the suite ------------------------------------------------------------- */

static struct it_server srv;

static int setup(void **state)
{
	const char *args[] = {"--calendar-pull-ms",
			      "200",
			      "--calendar-retry-ms",
			      "100",
			      "--calendar-retry-max-ms",
			      "300",
			      NULL};
	struct sockaddr_in a = {0};
	socklen_t len = sizeof(a);

	pthread_mutex_init(&fake.mu, NULL);
	fake.fd = socket(AF_INET, SOCK_STREAM, 0);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fake.fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fake.fd, 64), 0);
	getsockname(fake.fd, (struct sockaddr *)&a, &len);
	fake.port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&fake.thread, NULL, fake_main, NULL), 0);
	it_server_start(&srv, args);
	return 0;
}

static int teardown(void **state)
{
	assert_int_equal(it_server_stop(&srv), 0);
	fake.stop = true;
	shutdown(fake.fd, SHUT_RDWR);
	close(fake.fd);
	pthread_join(fake.thread, NULL);
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static json_t *cal_status(void)
{
	struct va_buf b = VA_BUF_INIT(1 << 16);
	json_t *j;

	assert_int_equal(it_http(&srv, "GET", CAL, IT_KEY, NULL, &b), 200);
	j = json_loads(va_buf_cstr(&b), 0, NULL);
	va_buf_release(&b);
	return json_array_get(json_object_get(j, "calendars"), 0) ? j : (json_decref(j), NULL);
}

/* Waits until the calendar's state and last_error contain what is expected. */
static void wait_state(const char *state, const char *error_part)
{
	for (int i = 0; i < 200; i++) {
		json_t *j = cal_status();
		json_t *c = j ? json_array_get(json_object_get(j, "calendars"), 0) : NULL;
		bool ok = c && !strcmp(json_string_value(json_object_get(c, "state")), state) &&
			  strstr(json_string_value(json_object_get(c, "last_error")), error_part);

		json_decref(j);
		if (ok)
			return;
		usleep(25000);
	}
	fail_msg("calendar never reached state %s with error containing '%s'", state, error_part);
}

static void book_quickly(int n)
{
	char body[400], start[64];
	struct va_buf b = VA_BUF_INIT(1 << 16);
	time_t t = time(NULL) + (time_t)(30 + n) * 86400;
	struct tm tm;
	int64_t t0;

	/* A weekday, 14+n o'clock UTC: inside New York's opening hours in
	 * summer and winter alike. */
	gmtime_r(&t, &tm);
	while (tm.tm_wday == 0 || tm.tm_wday == 6) {
		t += 86400;
		gmtime_r(&t, &tm);
	}
	snprintf(start, sizeof(start), "%04d-%02d-%02dT%02d:00:00Z", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, 14 + n);
	snprintf(body, sizeof(body),
		 "{\"patient_name\":\"Fault Patient\",\"phone\":\"55512390%02d\",\"service\":"
		 "\"filling\",\"start\":\"%s\",\"provider\":\"dr-patel\"}",
		 n, start);
	t0 = now_ms();
	assert_int_equal(it_http(&srv, "POST", APPTS, IT_KEY, body, &b), 201);
	/* Confirmed at once, whatever the calendar is doing. */
	assert_true(now_ms() - t0 < 1000);
	va_buf_release(&b);
}

static void test_faults(void **state)
{
	struct va_buf b = VA_BUF_INIT(1 << 16);
	char body[200];
	json_t *j;
	int puts;

	snprintf(body, sizeof(body), "{\"url\":\"http://127.0.0.1:%d/cal/\"}", fake.port);
	assert_int_equal(it_http(&srv, "POST", CAL, IT_KEY, body, &b), 201);
	va_buf_release(&b);

	/* 5xx: retried, the booking kept. */
	fake.put_mode = FAIL_500;
	book_quickly(1);
	wait_state("error", "HTTP 500");
	assert_true(it_log_count(&srv, "event=delivery_retry") >= 1);
	/* Logged with the practice and the calendar. */
	assert_true(it_log_count(&srv, "tenant=demo123 appt=") >= 1);

	/* Credentials revoked: the calendar needs attention, rows kept. */
	fake.put_mode = FAIL_401;
	wait_state("attention", "credentials refused");
	j = cal_status();
	assert_int_equal(json_integer_value(json_object_get(j, "outbox_depth")), 1);
	json_decref(j);

	/* A redirect is not followed with our credentials: retried. */
	fake.put_mode = REDIRECT;
	{
		struct va_buf s = VA_BUF_INIT(1 << 16);

		assert_int_equal(it_http(&srv, "POST", CAL "/sync", IT_KEY, NULL, &s), 202);
		va_buf_release(&s);
	}
	wait_state("error", "HTTP 301");

	/* A hanging server holds nothing else up: a call is answered at once. */
	fake.put_mode = HANG;
	book_quickly(2);
	usleep(300000);
	{
		struct it_call c;
		struct va_buf reply = VA_BUF_INIT(1 << 16);
		int frames = 0;
		int64_t t0;

		it_call_start(&srv, &c, "demo123", IT_TOKEN);
		t0 = now_ms();
		assert_int_equal(it_send_prompt(&c, "hello"), VA_OK);
		assert_int_equal(it_read_reply(&c, 2000, &reply, &frames, NULL), VA_OK);
		assert_true(now_ms() - t0 < 1000);
		it_call_end(&c);
		va_buf_release(&reply);
	}

	/* Malformed XML, a response past the cap, unusable iCalendar and an
	 * unknown zone: each logged, none fatal. */
	fake.report_mode = BAD_XML;
	for (int i = 0; i < 200 && it_log_count(&srv, "malformed input") < 1; i++)
		usleep(25000);
	assert_true(it_log_count(&srv, "malformed input") >= 1);
	fake.report_mode = HUGE;
	for (int i = 0; i < 200 && it_log_count(&srv, "input too large") < 1; i++)
		usleep(25000);
	assert_true(it_log_count(&srv, "input too large") >= 1);
	fake.report_mode = BAD_ICS;
	for (int i = 0; i < 200 && it_log_count(&srv, "event=unknown_tz") < 1; i++)
		usleep(25000);
	assert_true(it_log_count(&srv, "event=bad_event") >= 1);
	assert_true(it_log_count(&srv, "event=unknown_tz") >= 1);
	/* A calendar that would take the loop (or the scheduler) for long is
	 * read only so far: a time budget and a cap on busy intervals. */
	fake.report_mode = HEAVY;
	for (int i = 0; i < 400 && it_log_count(&srv, "rest of this pull skipped") < 1; i++)
		usleep(25000);
	assert_true(it_log_count(&srv, "rest of this pull skipped") >= 1);
	fake.report_mode = OK;

	/* The server behaves again: both changes arrive, each once. */
	puts = fake.puts_ok;
	fake.put_mode = OK;
	{
		struct va_buf s = VA_BUF_INIT(1 << 16);

		assert_int_equal(it_http(&srv, "POST", CAL "/sync", IT_KEY, NULL, &s), 202);
		va_buf_release(&s);
	}
	for (int i = 0; i < 400; i++) {
		json_int_t d;

		j = cal_status();
		d = json_integer_value(json_object_get(j, "outbox_depth"));
		json_decref(j);
		if (d == 0 && fake.puts_ok - puts >= 2)
			break;
		usleep(50000);
	}
	assert_int_equal(fake.puts_ok - puts, 2);
	wait_state("ok", "");
	pthread_mutex_lock(&fake.mu);
	assert_non_null(strstr(fake.last_put_body, "BEGIN:VEVENT"));
	assert_non_null(strstr(fake.last_put_body, "@voiceai"));
	pthread_mutex_unlock(&fake.mu);
	assert_true(it_server_alive(&srv));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_faults),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
