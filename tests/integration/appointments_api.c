/* SPDX-License-Identifier: MIT */
/*
 * appointments_api.c - the practice's schedule over HTTP against the real
 * server: booking with the scheduler's checks, conflicts refused (also when
 * two requests race for one slot), moves, cancellations, date filters, and
 * tenants kept apart.
 */
#include "core/err.h"
#include "core/tz.h"
#include "harness.h"

#include <jansson.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#define PATH "/api/v1/tenants/demo123/appointments"

static struct it_server srv;
static struct va_tz *ny;

static int setup_server(void **state)
{
	it_server_start(&srv, NULL);
	assert_int_equal(va_tz_load("America/New_York", &ny), VA_OK);
	return 0;
}

static int teardown_server(void **state)
{
	va_tz_free(ny);
	assert_int_equal(it_server_stop(&srv), 0);
	return 0;
}

/* An ISO time `days` ahead on the next weekday (Mon-Fri), at hour:minute local. */
static void weekday_at(int days, int hour, int minute, char *iso, size_t isosz)
{
	int64_t now = (int64_t)time(NULL);
	struct va_civil c;

	for (;; days++) {
		va_tz_to_civil(ny, now + (int64_t)days * 86400, &c);
		/* Weekdays that are not the demo practice's holidays. */
		if (c.wday < 5 && !(c.month == 12 && (c.day == 24 || c.day == 25)) &&
		    !(c.month == 1 && c.day == 1) && !(c.month == 7 && c.day == 4) &&
		    !(c.month == 11 && c.day >= 22 && c.day <= 29 && c.wday >= 3) &&
		    !(c.month == 5 && c.day >= 25 && c.wday == 0) &&
		    !(c.month == 9 && c.day <= 7 && c.wday == 0))
			break;
	}
	c.hour = hour;
	c.minute = minute;
	c.second = 0;
	va_tz_iso8601(ny, va_tz_from_civil(ny, &c), iso, isosz);
}

static int post(const char *key, const char *service, const char *start, const char *provider,
		json_t **out)
{
	char body[600];
	struct va_buf b = VA_BUF_INIT(1 << 16);
	int st;

	snprintf(
	    body, sizeof(body),
	    "{\"patient_name\":\"Api Patient\",\"phone\":\"(555) 010-2030\",\"service\":\"%s\","
	    "\"start\":\"%s\"%s%s%s,\"notes\":\"from the API\"}",
	    service, start, provider ? ",\"provider\":\"" : "", provider ? provider : "",
	    provider ? "\"" : "");
	st = it_http(&srv, "POST", PATH, key, body, &b);
	if (out)
		*out = json_loads(va_buf_cstr(&b), 0, NULL);
	va_buf_release(&b);
	return st;
}

static void test_book_list_move_cancel(void **state)
{
	char start[40], later[40], path[200];
	json_t *a, *list;
	struct va_buf b = VA_BUF_INIT(1 << 20);

	weekday_at(9, 10, 0, start, sizeof(start));
	assert_int_equal(post(IT_KEY, "filling", start, NULL, &a), 201);
	assert_string_equal(json_string_value(json_object_get(a, "start")), start);
	assert_string_equal(json_string_value(json_object_get(a, "status")), "booked");
	assert_string_equal(json_string_value(json_object_get(a, "phone")), "5550102030");
	assert_string_equal(json_string_value(json_object_get(a, "service")), "filling");
	/* A dentist service goes to a dentist; 60 minutes long. */
	assert_int_equal(strncmp(json_string_value(json_object_get(a, "provider")), "dr-", 3), 0);
	snprintf(path, sizeof(path), "%s/%s", PATH, json_string_value(json_object_get(a, "id")));

	/* Listed on its day, not on the day before. */
	char day[16], q[120];
	memcpy(day, start, 10);
	day[10] = '\0';
	snprintf(q, sizeof(q), "%s?from=%s&to=%s", PATH, day, day);
	assert_int_equal(it_http(&srv, "GET", q, IT_KEY, NULL, &b), 200);
	list = json_loads(va_buf_cstr(&b), 0, NULL);
	assert_int_equal(json_array_size(json_object_get(list, "appointments")), 1);
	json_decref(list);
	va_buf_reset(&b);

	/* Move it an hour later. */
	weekday_at(9, 11, 0, later, sizeof(later));
	char body[120];
	snprintf(body, sizeof(body), "{\"start\":\"%s\"}", later);
	assert_int_equal(it_http(&srv, "PATCH", path, IT_KEY, body, &b), 200);
	assert_non_null(strstr(va_buf_cstr(&b), later));
	va_buf_reset(&b);

	/* Cancel it; a cancelled one cannot be moved. */
	assert_int_equal(it_http(&srv, "DELETE", path, IT_KEY, NULL, &b), 200);
	assert_non_null(strstr(va_buf_cstr(&b), "\"cancelled\""));
	va_buf_reset(&b);
	assert_int_equal(it_http(&srv, "PATCH", path, IT_KEY, body, &b), 409);
	va_buf_release(&b);
	json_decref(a);
}

static void test_refusals(void **state)
{
	char start[40], sunday[40], early[40], off_grid[40];
	struct va_buf b = VA_BUF_INIT(1 << 16);
	int64_t now = (int64_t)time(NULL);
	struct va_civil c;

	weekday_at(10, 14, 0, start, sizeof(start));
	assert_int_equal(post(IT_KEY, "cleaning", start, "hyg-garcia", NULL), 201);
	/* Same hygienist, overlapping: taken. */
	weekday_at(10, 14, 30, early, sizeof(early));
	assert_int_equal(post(IT_KEY, "cleaning", early, "hyg-garcia", NULL), 409);
	/* A Sunday: the practice is closed. */
	for (int d = 1;; d++) {
		va_tz_to_civil(ny, now + (int64_t)d * 86400, &c);
		if (c.wday == 6)
			break;
	}
	c.hour = 10;
	c.minute = 0;
	va_tz_iso8601(ny, va_tz_from_civil(ny, &c), sunday, sizeof(sunday));
	assert_int_equal(post(IT_KEY, "cleaning", sunday, NULL, NULL), 422);
	/* Off the 15-minute grid, and in the past. */
	weekday_at(11, 9, 7, off_grid, sizeof(off_grid));
	assert_int_equal(post(IT_KEY, "exam", off_grid, "dr-patel", NULL), 422);
	assert_int_equal(post(IT_KEY, "exam", "2020-01-06T10:00:00-05:00", "dr-patel", NULL), 422);
	/* Bad documents name the field. */
	assert_int_equal(post(IT_KEY, "massage", start, NULL, NULL), 400);
	assert_int_equal(it_http(&srv, "POST", PATH, IT_KEY, "{\"patient_name\":\"x\"}", &b), 400);
	assert_non_null(strstr(va_buf_cstr(&b), "phone"));
	va_buf_release(&b);
}

struct racer {
	char start[40];
	int status;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	r->status = post(IT_KEY, "crown", r->start, "dr-patel", NULL);
	return NULL;
}

static void test_concurrent_bookings_one_wins(void **state)
{
	for (int round = 0; round < 5; round++) {
		struct racer r[6];
		pthread_t th[6];
		int won = 0, taken = 0;

		for (int i = 0; i < 6; i++) {
			weekday_at(20 + round, 9, 0, r[i].start, sizeof(r[i].start));
			pthread_create(&th[i], NULL, race, &r[i]);
		}
		for (int i = 0; i < 6; i++) {
			pthread_join(th[i], NULL);
			won += r[i].status == 201;
			taken += r[i].status == 409;
		}
		assert_int_equal(won, 1);
		assert_int_equal(taken, 5);
	}
}

static void test_tenants_kept_apart(void **state)
{
	struct va_buf b = VA_BUF_INIT(1 << 16);
	const char *doc =
	    "{\"id\":\"other1\",\"name\":\"Other Dental\",\"timezone\":\"America/Chicago\","
	    "\"twilio_auth_token\":\"tok-other-123456\",\"api_key\":\"key-other-123456\"}";

	assert_int_equal(it_http(&srv, "POST", "/api/v1/tenants", IT_ADMIN, doc, &b), 201);
	va_buf_reset(&b);
	/* Another practice's key sees nothing of demo123's schedule. */
	assert_int_equal(it_http(&srv, "GET", PATH, "key-other-123456", NULL, &b), 404);
	va_buf_reset(&b);
	assert_int_equal(it_http(&srv, "GET", PATH, NULL, NULL, &b), 401);
	va_buf_reset(&b);
	assert_int_equal(it_http(&srv, "GET", "/api/v1/tenants/other1/appointments",
				 "key-other-123456", NULL, &b),
			 200);
	assert_string_equal(va_buf_cstr(&b), "{\"appointments\":[]}");
	va_buf_reset(&b);
	/* The admin token reads any practice's schedule, and finds no
	 * practice that does not exist. */
	assert_int_equal(it_http(&srv, "GET", PATH, IT_ADMIN, NULL, &b), 200);
	va_buf_reset(&b);
	assert_int_equal(
	    it_http(&srv, "GET", "/api/v1/tenants/nope/appointments", IT_ADMIN, NULL, &b), 404);
	va_buf_reset(&b);
	assert_int_equal(it_http(&srv, "GET", "/api/v1/tenants/nope/calendar", IT_ADMIN, NULL, &b),
			 404);
	va_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_book_list_move_cancel),
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_concurrent_bookings_one_wins),
	    cmocka_unit_test(test_tenants_kept_apart),
	};
	return cmocka_run_group_tests(tests, setup_server, teardown_server);
}
