/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/http/router.c - path to route of src/http/router.c: every route,
 * the id alphabet and length, and the shapes that must not match.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "http/router.h"

#include <stdio.h>
#include <string.h>

static struct va_route_match match(const char *path)
{
	struct va_route_match m;

	/* Garbage first: the router must fill every field. */
	memset(&m, 0x5a, sizeof(m));
	va_route_match(path, strlen(path), &m);
	return m;
}

static void expect(const char *path, enum va_route r, const char *tenant, const char *session)
{
	struct va_route_match m = match(path);

	if (m.route != r)
		fail_msg("%s: route %s, expected %s", path, va_route_name(m.route),
			 va_route_name(r));
	assert_non_null(memchr(m.tenant_id, '\0', sizeof(m.tenant_id)));
	assert_non_null(memchr(m.session_id, '\0', sizeof(m.session_id)));
	assert_string_equal(m.tenant_id, tenant);
	assert_string_equal(m.session_id, session);
}

static void not_found(const char *path)
{
	expect(path, VA_ROUTE_NOT_FOUND, "", "");
}

static void test_every_route(void **state)
{
	expect("/healthz", VA_ROUTE_HEALTHZ, "", "");
	expect("/api/v1/voice/demo123", VA_ROUTE_VOICE, "demo123", "");
	expect("/api/v1/voice/demo123/stream", VA_ROUTE_VOICE_STREAM, "demo123", "");
	expect("/api/v1/voice/demo123/action", VA_ROUTE_VOICE_ACTION, "demo123", "");
	expect("/api/v1/voice/demo123/gather", VA_ROUTE_VOICE_GATHER, "demo123", "");
	expect("/api/v1/relay/status", VA_ROUTE_RELAY_STATUS, "", "");
	expect("/api/v1/conversations/VX0123abcd", VA_ROUTE_CONVERSATION, "", "VX0123abcd");
	expect("/api/v1/tenants", VA_ROUTE_TENANTS, "", "");
	expect("/api/v1/tenants/practice-1", VA_ROUTE_TENANT, "practice-1", "");
}

static void test_trailing_slash(void **state)
{
	expect("/healthz/", VA_ROUTE_HEALTHZ, "", "");
	expect("/api/v1/voice/demo123/", VA_ROUTE_VOICE, "demo123", "");
	expect("/api/v1/voice/demo123/stream/", VA_ROUTE_VOICE_STREAM, "demo123", "");
	expect("/api/v1/relay/status/", VA_ROUTE_RELAY_STATUS, "", "");
	expect("/api/v1/conversations/s1/", VA_ROUTE_CONVERSATION, "", "s1");
	expect("/api/v1/tenants/", VA_ROUTE_TENANTS, "", "");
	expect("/api/v1/tenants/t1/", VA_ROUTE_TENANT, "t1", "");
	/* Only one. */
	not_found("/healthz//");
	not_found("/api/v1/tenants//");
	not_found("/api/v1/voice/demo123//");
}

static void test_id_alphabet(void **state)
{
	expect("/api/v1/voice/a_b-C9", VA_ROUTE_VOICE, "a_b-C9", "");
	expect("/api/v1/voice/-", VA_ROUTE_VOICE, "-", "");
	expect("/api/v1/voice/_/gather", VA_ROUTE_VOICE_GATHER, "_", "");
	expect("/api/v1/tenants/ABC_def-123", VA_ROUTE_TENANT, "ABC_def-123", "");
	expect("/api/v1/conversations/x-y_z", VA_ROUTE_CONVERSATION, "", "x-y_z");
}

static void test_id_length(void **state)
{
	char id63[64], id64[65], path[128];

	memset(id63, 'a', 63);
	id63[63] = '\0';
	memset(id64, 'b', 64);
	id64[64] = '\0';

	snprintf(path, sizeof(path), "/api/v1/voice/%s/stream", id63);
	expect(path, VA_ROUTE_VOICE_STREAM, id63, "");
	snprintf(path, sizeof(path), "/api/v1/tenants/%s", id63);
	expect(path, VA_ROUTE_TENANT, id63, "");
	snprintf(path, sizeof(path), "/api/v1/conversations/%s", id63);
	expect(path, VA_ROUTE_CONVERSATION, "", id63);

	snprintf(path, sizeof(path), "/api/v1/voice/%s", id64);
	not_found(path);
	snprintf(path, sizeof(path), "/api/v1/voice/%s/stream", id64);
	not_found(path);
	snprintf(path, sizeof(path), "/api/v1/tenants/%s", id64);
	not_found(path);
	snprintf(path, sizeof(path), "/api/v1/conversations/%s", id64);
	not_found(path);
}

static void test_bad_id_chars(void **state)
{
	const char *bad[] = {"a.b",  "..",	    ".",     "%2e%2e", "%2E", "a b",
			     " ",    "a+b",	    "a%20b", "a;b",    "a:b", "a\\b",
			     "a\tb", "caf\xc3\xa9", "a?x=1", "a#f",    "*"};
	char path[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(path, sizeof(path), "/api/v1/voice/%s", bad[i]);
		not_found(path);
		snprintf(path, sizeof(path), "/api/v1/voice/%s/stream", bad[i]);
		not_found(path);
		snprintf(path, sizeof(path), "/api/v1/tenants/%s", bad[i]);
		not_found(path);
		snprintf(path, sizeof(path), "/api/v1/conversations/%s", bad[i]);
		not_found(path);
	}
}

static void test_empty_segments(void **state)
{
	not_found("//");
	not_found("//healthz");
	not_found("/api//v1/tenants");
	not_found("/api/v1//tenants");
	not_found("/api/v1/voice//stream");
	not_found("/api/v1/voice/");
	not_found("/api/v1/conversations/");
	not_found("/api/v1/tenants//t1");
	not_found("///");
}

static void test_extra_segments(void **state)
{
	not_found("/healthz/x");
	not_found("/api/v1/voice/t1/stream/x");
	not_found("/api/v1/voice/t1/other");
	not_found("/api/v1/voice/t1/STREAM");
	not_found("/api/v1/relay/status/x");
	not_found("/api/v1/relay");
	not_found("/api/v1/conversations/s1/turns");
	not_found("/api/v1/conversations");
	not_found("/api/v1/tenants/t1/x");
	not_found("/api/v1/tenants/t1/appointments/a1/x");
	not_found("/api/v1/tenants/t1/appointments/a.1");
	expect("/api/v1/tenants/t1/appointments", VA_ROUTE_APPOINTMENTS, "t1", "");
	{
		struct va_route_match m;
		const char *p = "/api/v1/tenants/t1/appointments/apt_0123abcd/";
		va_route_match(p, strlen(p), &m);
		assert_int_equal(m.route, VA_ROUTE_APPOINTMENT);
		assert_string_equal(m.tenant_id, "t1");
		assert_string_equal(m.item_id, "apt_0123abcd");
	}
	expect("/api/v1/tenants/t1/calendar", VA_ROUTE_CALENDAR, "t1", "");
	expect("/api/v1/voice/t1/media", VA_ROUTE_VOICE_MEDIA, "t1", "");
	expect("/api/v1/tenants/t1/calendar.ics", VA_ROUTE_CALENDAR_ICS, "t1", "");
	{
		struct va_route_match m;
		const char *p = "/api/v1/tenants/t1/calendar/cal_00ff";
		va_route_match(p, strlen(p), &m);
		assert_int_equal(m.route, VA_ROUTE_CALENDAR_ITEM);
		assert_string_equal(m.item_id, "cal_00ff");
	}
	not_found("/api/v1/tenants/t1/calendar/sync/x");
	not_found("/api/v1/tenants/t1/calendar.ics/x");
	not_found("/api/v1/tenants/t1/calendars");
	not_found("/api/v1/voice");
	not_found("/api/v1/a/b/c/d/e/f/g/h");
}

static void test_wrong_prefix(void **state)
{
	not_found("/api/v2/tenants");
	not_found("/API/v1/tenants");
	not_found("/v1/tenants");
	not_found("/api/tenants");
	not_found("/api/v1");
	not_found("/api");
	not_found("/x/api/v1/tenants");
	not_found("/apix/v1/tenants");
	not_found("/api/v1x/tenants");
	not_found("/healthzz");
	not_found("/health");
	not_found("/HEALTHZ");
	not_found("/api/v1/tenantsx");
}

static void test_degenerate(void **state)
{
	not_found("/");
	not_found("");
	not_found("healthz");
	not_found("api/v1/tenants");
	not_found("api/v1/voice/t1");
	not_found(" /healthz");
	not_found("/healthz ");
	not_found("/healthz?x=1");
}

static void test_length_delimited(void **state)
{
	struct va_route_match m;
	const char with_nul[] = "/api/v1/voice/t\0x/stream";
	const char with_nul2[] = "/healthz\0/more";

	/* len, not the NUL, bounds the path. */
	memset(&m, 0x5a, sizeof(m));
	va_route_match("/healthzXYZ", 8, &m);
	assert_int_equal(m.route, VA_ROUTE_HEALTHZ);

	memset(&m, 0x5a, sizeof(m));
	va_route_match("/api/v1/tenants/t1/garbage", 18, &m);
	assert_int_equal(m.route, VA_ROUTE_TENANT);
	assert_string_equal(m.tenant_id, "t1");

	memset(&m, 0x5a, sizeof(m));
	va_route_match(with_nul, sizeof(with_nul) - 1, &m);
	assert_int_equal(m.route, VA_ROUTE_NOT_FOUND);
	assert_string_equal(m.tenant_id, "");
	assert_string_equal(m.session_id, "");

	memset(&m, 0x5a, sizeof(m));
	va_route_match(with_nul2, sizeof(with_nul2) - 1, &m);
	assert_int_equal(m.route, VA_ROUTE_NOT_FOUND);

	memset(&m, 0x5a, sizeof(m));
	va_route_match("/healthz", 0, &m);
	assert_int_equal(m.route, VA_ROUTE_NOT_FOUND);
}

static void test_names(void **state)
{
	assert_string_equal(va_route_name(VA_ROUTE_NOT_FOUND), "not_found");
	assert_string_equal(va_route_name(VA_ROUTE_HEALTHZ), "healthz");
	assert_string_equal(va_route_name(VA_ROUTE_VOICE_STREAM), "voice_stream");
	assert_string_equal(va_route_name(VA_ROUTE_TENANT), "tenant");
	assert_string_equal(va_route_name(VA_ROUTE_APPOINTMENT), "appointment");
	assert_string_equal(va_route_name(VA_ROUTE_VOICE_MEDIA), "voice_media");
	for (int r = VA_ROUTE_NOT_FOUND; r <= VA_ROUTE_VOICE_MEDIA; r++) {
		for (int s = r + 1; s <= VA_ROUTE_VOICE_MEDIA; s++)
			assert_string_not_equal(va_route_name((enum va_route)r),
						va_route_name((enum va_route)s));
	}
	assert_string_equal(va_route_name((enum va_route)(VA_ROUTE_VOICE_MEDIA + 1)), "?");
	assert_string_equal(va_route_name((enum va_route)1000), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_route),	   cmocka_unit_test(test_trailing_slash),
	    cmocka_unit_test(test_id_alphabet),	   cmocka_unit_test(test_id_length),
	    cmocka_unit_test(test_bad_id_chars),   cmocka_unit_test(test_empty_segments),
	    cmocka_unit_test(test_extra_segments), cmocka_unit_test(test_wrong_prefix),
	    cmocka_unit_test(test_degenerate),	   cmocka_unit_test(test_length_delimited),
	    cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
