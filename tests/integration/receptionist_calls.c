/* SPDX-License-Identifier: MIT */
/*
 * receptionist_calls.c - scripted phone calls to the embedded receptionist,
 * through the real path: `voiceai call --script` plays Twilio (signed
 * webhook, TwiML, signed WebSocket, setup, prompts) against the real server,
 * each script's /expect lines check what the receptionist says, and the
 * resulting appointments (or their absence) are checked through the API.
 *
 * Each tests/integration/calls/NN-name.txt is one call. Lines starting with
 * "#!" are directives for this runner:
 *   #! from +15551230042            the caller's number (default derived from NN)
 *   #! phone 5551234567             check appointments under this number
 *                                   instead of the caller's
 *   #! seed SERVICE DAYS HOUR       book one first through the API for this
 *                                   caller: DAYS ahead (skipping days the
 *                                   practice is closed), at HOUR local
 *   #! seed SERVICE DAYS HOUR +K    the same, on a day whose day K later the
 *                                   demo practice is open too (a script that
 *                                   moves the visit by K days)
 *   #! seedfor PHONE DOB SERVICE DAYS HOUR   the same for another number,
 *                                   patient "Pat Seeded" born DOB
 *   #! expect booked N              booked appointments for this caller after
 *   #! expect cancelled N           cancelled ones
 *   #! expect service CODE          of the (last) booked appointment
 *   #! expect weekday NAME          monday..sunday, local
 *   #! expect hour FROM TO          local start hour in [FROM, TO)
 *   #! expect urgent true|false
 *   #! expect new_patient true|false
 *   #! expect name TEXT             patient name
 *   #! expect moved true            the booked one is not at the seeded time
 *   #! expect moved_by DAYS         it is DAYS later than the seeded time, at
 *                                   the same local clock time
 *   #! exit N                       the simulator's exit code (default 0)
 */
#include "core/err.h"
#include "core/tz.h"
#include "schedule/practice.h"
#include "harness.h"

#include <dirent.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#define CALLS_DIR VA_TEST_SOURCE_DIR "/integration/calls"

static struct it_server srv;
static char scripts[64][300];
static int n_scripts;

static int setup_server(void **state)
{
	const char *args[] = {"--agent", "receptionist", NULL};
	it_server_start(&srv, args);
	return 0;
}

static int teardown_server(void **state)
{
	assert_int_equal(it_server_stop(&srv), 0);
	return 0;
}

static json_t *appointments_for(const char *phone)
{
	struct va_buf b = VA_BUF_INIT(1 << 22);
	json_t *root, *all, *mine = json_array();
	size_t i;
	json_t *a;

	assert_int_equal(it_http(&srv, "GET",
				 "/api/v1/tenants/demo123/appointments?from=2000-01-01", IT_KEY,
				 NULL, &b),
			 200);
	root = json_loads(va_buf_cstr(&b), 0, NULL);
	all = json_object_get(root, "appointments");
	assert_non_null(all);
	json_array_foreach(all, i, a)
	{
		if (!strcmp(json_string_value(json_object_get(a, "phone")), phone))
			json_array_append(mine, a);
	}
	json_decref(root);
	va_buf_release(&b);
	return mine;
}

/* Local hour and weekday (0 = Monday) of an ISO time with offset. */
static void local_parts(const char *iso, int *hour, int *wday)
{
	int y, mo, d, h, mi;

	assert_int_equal(sscanf(iso, "%4d-%2d-%2dT%2d:%2d", &y, &mo, &d, &h, &mi), 5);
	*hour = h;
	*wday = va_civil_weekday(y, mo, d);
}

static const char *const wdays[7] = {"monday", "tuesday",  "wednesday", "thursday",
				     "friday", "saturday", "sunday"};

/* Whether the demo practice is open on the local day of t (a weekday that
 * is not one of its closures). */
static bool demo_open_day(const struct va_tz *tz, int64_t t)
{
	static struct va_practice p;
	struct va_civil c;
	const char *why;

	va_tz_to_civil(tz, t, &c);
	va_practice_demo(&p, c.year);
	return c.wday < 5 && !va_practice_closed_on(&p, c.year, c.month, c.day, &why);
}

static void seed(const char *phone, const char *dob, const char *service, int days, int hour,
		 int clear_days, char *start_out)
{
	struct va_tz *tz;
	struct va_civil c;
	char body[512], iso[40];
	struct va_buf b = VA_BUF_INIT(1 << 16);
	int64_t now = (int64_t)time(NULL);
	int st = 0;

	assert_int_equal(va_tz_load("America/New_York", &tz), VA_OK);
	for (int tries = 0; tries < 14; tries++, days++) {
		va_tz_to_civil(tz, now + (int64_t)days * 86400, &c);
		if (c.wday >= 5)
			continue; /* weekdays only: open, and every provider kind works */
		if (clear_days && !demo_open_day(tz, now + (int64_t)(days + clear_days) * 86400))
			continue;
		c.hour = hour;
		c.minute = 0;
		c.second = 0;
		va_tz_iso8601(tz, va_tz_from_civil(tz, &c), iso, sizeof(iso));
		snprintf(body, sizeof(body),
			 "{\"patient_name\":\"Pat Seeded\",\"phone\":\"%s\",\"service\":\"%s\","
			 "\"start\":\"%s\"%s%s%s}",
			 phone, service, iso, dob ? ",\"date_of_birth\":\"" : "", dob ? dob : "",
			 dob ? "\"" : "");
		va_buf_reset(&b);
		st =
		    it_http(&srv, "POST", "/api/v1/tenants/demo123/appointments", IT_KEY, body, &b);
		if (st == 201)
			break;
	}
	if (st != 201)
		fail_msg("could not seed an appointment: %d %s", st, va_buf_cstr(&b));
	strcpy(start_out, iso);
	va_buf_release(&b);
	va_tz_free(tz);
}

static void run_script(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[1024], from[40] = "", phone[48] = "", seeded_start[40] = "", cmd[2048];
	char out_path[400];
	int want_exit = 0, st;
	json_t *mine, *last = NULL;
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

	assert_non_null(f);
	snprintf(from, sizeof(from), "+1555777%04d", atoi(base));
	/* First pass: who calls, and what exists before the call. */
	while (fgets(line, sizeof(line), f)) {
		char a[64], b2[64];
		int n1, n2;
		if (sscanf(line, "#! from %39s", from) == 1)
			continue;
		if (sscanf(line, "#! exit %d", &want_exit) == 1)
			continue;
		if (!strncmp(line, "#! seedfor ", 11)) {
			char p2[24], dob[16];
			if (sscanf(line, "#! seedfor %23s %15s %63s %d %d", p2, dob, a, &n1, &n2) !=
			    5)
				fail_msg("%s: bad seedfor line", base);
			seed(p2, dob, a, n1, n2, 0, seeded_start);
		} else if (sscanf(line, "#! seed %63s %d %d", a, &n1, &n2) == 3) {
			int k = 0;
			if (sscanf(line, "#! seed %*s %*d %*d +%d", &k) != 1)
				k = 0;
			snprintf(phone, sizeof(phone), "%s", from + 2);
			seed(phone, NULL, a, n1, n2, k, seeded_start);
		}
		(void)b2;
	}
	snprintf(phone, sizeof(phone), "%s", from + 2); /* +1 dropped: 10 digits */
	rewind(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "#! phone %23s", phone) == 1)
			break;
	snprintf(out_path, sizeof(out_path), "%s/%s.out", srv.dir, base);
	snprintf(cmd, sizeof(cmd),
		 "%s call demo123 --url %s --token %s --from '%s' --script '%s' --timeout-ms 8000 "
		 "> '%s' 2>&1",
		 VA_VOICEAI_BIN, srv.base, IT_TOKEN, from, path, out_path);
	st = system(cmd);
	st = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	if (st != want_exit) {
		char show[600];
		snprintf(show, sizeof(show), "cat '%s' >&2", out_path);
		if (system(show) != 0)
			fprintf(stderr, "(no transcript)\n");
		fail_msg("%s: voiceai call exited %d, expected %d", base, st, want_exit);
	}

	/* Second pass: the schedule after the call. */
	mine = appointments_for(phone);
	{
		size_t i;
		json_t *a;
		/* The one this call made: the most recently written booked one. */
		json_array_foreach(mine, i, a)
		{
			if (strcmp(json_string_value(json_object_get(a, "status")), "booked") != 0)
				continue;
			if (!last ||
			    strcmp(json_string_value(json_object_get(a, "updated_at")),
				   json_string_value(json_object_get(last, "updated_at"))) >= 0)
				last = a;
		}
	}
	rewind(f);
	while (fgets(line, sizeof(line), f)) {
		char key[32], v1[64], v2[64];
		int nf = sscanf(line, "#! expect %31s %63s %63s", key, v1, v2);
		if (nf < 2)
			continue;
		if (!strcmp(key, "booked") || !strcmp(key, "cancelled")) {
			size_t i, count = 0;
			json_t *a;
			json_array_foreach(mine, i, a)
			{
				const char *s = json_string_value(json_object_get(a, "status"));
				if (!strcmp(s, key))
					count++;
			}
			if (count != (size_t)atoi(v1))
				fail_msg("%s: %zu %s appointments, expected %s", base, count, key,
					 v1);
			continue;
		}
		if (!last)
			fail_msg("%s: no booked appointment to check %s", base, key);
		if (!strcmp(key, "service")) {
			assert_string_equal(json_string_value(json_object_get(last, "service")),
					    v1);
		} else if (!strcmp(key, "weekday") || !strcmp(key, "hour")) {
			int hour, wday;
			local_parts(json_string_value(json_object_get(last, "start")), &hour,
				    &wday);
			if (!strcmp(key, "weekday"))
				assert_string_equal(wdays[wday], v1);
			else if (hour < atoi(v1) || hour >= atoi(v2))
				fail_msg("%s: booked at %d h, expected [%s, %s)", base, hour, v1,
					 v2);
		} else if (!strcmp(key, "urgent") || !strcmp(key, "new_patient")) {
			assert_int_equal(json_is_true(json_object_get(last, key)),
					 !strcmp(v1, "true"));
		} else if (!strcmp(key, "name")) {
			char want[128];
			snprintf(want, sizeof(want), "%s%s%s", v1, nf == 3 ? " " : "",
				 nf == 3 ? v2 : "");
			assert_string_equal(
			    json_string_value(json_object_get(last, "patient_name")), want);
		} else if (!strcmp(key, "moved_by")) {
			struct va_tz *tz;
			struct va_civil was, now_at;
			int64_t t0, t1;
			assert_int_equal(va_tz_load("America/New_York", &tz), VA_OK);
			assert_int_equal(va_iso8601_parse(seeded_start, tz, &t0), VA_OK);
			assert_int_equal(
			    va_iso8601_parse(json_string_value(json_object_get(last, "start")), tz,
					     &t1),
			    VA_OK);
			va_tz_to_civil(tz, t0, &was);
			va_tz_to_civil(tz, t1, &now_at);
			va_tz_free(tz);
			if (va_civil_days_from_date(now_at.year, now_at.month, now_at.day) -
				    va_civil_days_from_date(was.year, was.month, was.day) !=
				atoi(v1) ||
			    now_at.hour != was.hour || now_at.minute != was.minute)
				fail_msg("%s: moved from %s to %s, expected %s days later", base,
					 seeded_start,
					 json_string_value(json_object_get(last, "start")), v1);
		} else if (!strcmp(key, "moved")) {
			assert_string_not_equal(json_string_value(json_object_get(last, "start")),
						seeded_start);
		} else {
			fail_msg("%s: unknown expectation %s", base, key);
		}
	}
	json_decref(mine);
	fclose(f);
}

static void test_script(void **state)
{
	run_script((const char *)*state);
}

static int by_name(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

int main(void)
{
	DIR *d = opendir(CALLS_DIR);
	struct dirent *e;
	struct CMUnitTest tests[64];

	if (!d) {
		fprintf(stderr, "no scripts in %s\n", CALLS_DIR);
		return 1;
	}
	while ((e = readdir(d)) && n_scripts < 64) {
		size_t l = strlen(e->d_name);
		if (l > 4 && !strcmp(e->d_name + l - 4, ".txt"))
			snprintf(scripts[n_scripts++], sizeof(scripts[0]), "%s/%s", CALLS_DIR,
				 e->d_name);
	}
	closedir(d);
	qsort(scripts, (size_t)n_scripts, sizeof(scripts[0]), by_name);
	for (int i = 0; i < n_scripts; i++) {
		const char *name = strrchr(scripts[i], '/') + 1;
		tests[i] = (struct CMUnitTest){name, test_script, NULL, NULL, scripts[i]};
	}
	return _cmocka_run_group_tests("receptionist_calls", tests, (size_t)n_scripts, setup_server,
				       teardown_server);
}
