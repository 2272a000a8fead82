/* SPDX-License-Identifier: MIT */
/*
 * Tests for the calendar part of the store: the outbox rows the database
 * writes with every appointment change, delivery bookkeeping (in order,
 * idempotent by version, retries, giving up), pulls (staff's busy time, staff
 * moving or deleting our events, collisions left for a person), feed tokens,
 * and practices kept apart.
 */
#include "store/store.h"

#include "core/alloc.h"
#include "core/clock.h"
#include "core/err.h"
#include "schedule/appointment.h"

#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include <cmocka.h>

#define T0   ((int64_t)1795532400)
#define HOUR ((int64_t)3600)

struct fixture {
	char path[64];
	uv_loop_t loop;
	struct va_store *s;
};

static int setup(void **state)
{
	struct fixture *f = va_xcalloc(1, sizeof(*f));
	char why[200];
	int fd;

	va_strlcpy(f->path, "/tmp/va_cal_test_XXXXXX", sizeof(f->path));
	fd = mkstemp(f->path);
	if (fd < 0)
		return -1;
	close(fd);
	uv_loop_init(&f->loop);
	if (va_store_open(f->path, &f->loop, &f->s, why, sizeof(why)) != VA_OK)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char side[80];

	va_store_free(f->s);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	uv_loop_close(&f->loop);
	unlink(f->path);
	snprintf(side, sizeof(side), "%s-wal", f->path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", f->path);
	unlink(side);
	free(f);
	return 0;
}

/* ---- async plumbing -------------------------------------------------------- */

struct got {
	int status;
	bool done;
	struct va_outbox_item item;
	int64_t next_due;
	struct va_busy busy[16];
	size_t n;
	struct va_appointment appt;
	struct va_calendar cal;
};

static void wait_done(struct fixture *f, struct got *g)
{
	while (!g->done)
		uv_run(&f->loop, UV_RUN_ONCE);
}

static void on_item(int status, const struct va_outbox_item *it, int64_t next_due, void *arg)
{
	struct got *g = arg;

	g->status = status;
	g->done = true;
	g->next_due = next_due;
	if (it)
		g->item = *it;
}

static void on_done(int status, void *arg)
{
	struct got *g = arg;

	g->status = status;
	g->done = true;
}

static void on_busy(int status, const struct va_busy *v, size_t n, void *arg)
{
	struct got *g = arg;

	g->status = status;
	g->done = true;
	g->n = n;
	for (size_t i = 0; i < n && i < 16; i++)
		g->busy[i] = v[i];
}

static void on_appt(int status, const struct va_appointment *a, void *arg)
{
	struct got *g = arg;

	g->status = status;
	g->done = true;
	if (a)
		g->appt = *a;
}

static void on_cal(int status, const struct va_calendar *c, void *arg)
{
	struct got *g = arg;

	g->status = status;
	g->done = true;
	if (c)
		g->cal = *c;
}

static struct got next_item(struct fixture *f, const char *cal, int64_t now)
{
	struct got g = {0};

	assert_int_equal(va_store_outbox_next(f->s, cal, now, on_item, &g), VA_OK);
	wait_done(f, &g);
	return g;
}

static void result(struct fixture *f, const struct va_outbox_result *r)
{
	struct got g = {0};

	assert_int_equal(va_store_outbox_result(f->s, r, on_done, &g), VA_OK);
	wait_done(f, &g);
	assert_int_equal(g.status, VA_OK);
}

static void delivered(struct fixture *f, const struct va_outbox_item *it, const char *etag)
{
	struct va_outbox_result r = {0};

	r.row_id = it->row_id;
	va_strlcpy(r.calendar_id, it->calendar_id, sizeof(r.calendar_id));
	va_strlcpy(r.appointment_id, it->appt.id, sizeof(r.appointment_id));
	r.delivered = true;
	r.version = it->appt.version;
	r.link = it->appt.status == VA_APPT_BOOKED ? VA_OUTBOX_LINK_SET : VA_OUTBOX_LINK_DROP;
	snprintf(r.href, sizeof(r.href), "/dentist/practice/%s.ics", it->appt.id);
	va_strlcpy(r.etag, etag, sizeof(r.etag));
	result(f, &r);
}

static struct va_appointment book(struct fixture *f, const char *tenant, const char *provider,
				  int64_t start)
{
	struct va_appointment a = {0}, out;

	va_strlcpy(a.tenant_id, tenant, sizeof(a.tenant_id));
	va_strlcpy(a.provider_id, provider, sizeof(a.provider_id));
	va_strlcpy(a.phone, "5551230000", sizeof(a.phone));
	va_strlcpy(a.patient_name, "Pat Test", sizeof(a.patient_name));
	a.service = VA_SERVICE_FILLING;
	a.start = start;
	a.end = start + HOUR;
	assert_int_equal(va_store_appt_book_sync(f->s, &a, &out), VA_OK);
	return out;
}

static struct va_calendar connect_cal(struct fixture *f, const char *tenant, const char *provider)
{
	struct va_calendar c = {0}, out;

	va_strlcpy(c.tenant_id, tenant, sizeof(c.tenant_id));
	va_strlcpy(c.provider_id, provider, sizeof(c.provider_id));
	snprintf(c.url, sizeof(c.url), "http://127.0.0.1:5232/%s/cal/", tenant);
	va_strlcpy(c.username, "dentist", sizeof(c.username));
	va_strlcpy(c.secret, "s3cret", sizeof(c.secret));
	assert_int_equal(va_store_cal_put_sync(f->s, &c, &out), VA_OK);
	assert_int_equal(strncmp(out.id, "cal_", 4), 0);
	return out;
}

/* ---- tests --------------------------------------------------------------- */

static void test_outbox_written_with_each_change(void **state)
{
	struct fixture *f = *state;
	int64_t now = va_clock_wall_ms();
	struct va_calendar cal, *list = NULL;
	struct va_appointment a, b;
	struct got g;
	size_t n = 0;

	/* Booked before the calendar was connected: backfilled on connect. */
	a = book(f, "demo123", "dr-patel", T0 + 400 * 86400);
	cal = connect_cal(f, "demo123", "");
	g = next_item(f, cal.id, now);
	assert_int_equal(g.status, VA_OK);
	assert_string_equal(g.item.appt.id, a.id);
	assert_false(g.item.linked);
	assert_int_equal(g.item.appt_version, 1);

	/* Strictly in order: the head row stays the head until it is done. */
	b = book(f, "demo123", "dr-nguyen", T0 + 401 * 86400);
	g = next_item(f, cal.id, now);
	assert_string_equal(g.item.appt.id, a.id);
	delivered(f, &g.item, "\"e1\"");
	g = next_item(f, cal.id, now);
	assert_string_equal(g.item.appt.id, b.id);
	assert_int_equal(g.item.appt.version, 1);
	delivered(f, &g.item, "\"e2\"");
	g = next_item(f, cal.id, now);
	assert_int_equal(g.status, VA_E_NOTFOUND);
	assert_int_equal(g.next_due, 0);

	/* A move and a cancel bump the version; the link is carried along. */
	{
		struct got m = {0};

		assert_int_equal(va_store_appt_move(f->s, "demo123", a.id, a.start + HOUR,
						    a.end + HOUR, NULL, on_appt, &m),
				 VA_OK);
		wait_done(f, &m);
		assert_int_equal(m.status, VA_OK);
		assert_int_equal(m.appt.version, 2);
		assert_string_equal(m.appt.changed_by, VA_APPT_BY_VOICEAI);
	}
	g = next_item(f, cal.id, now);
	assert_string_equal(g.item.appt.id, a.id);
	assert_true(g.item.linked);
	assert_string_equal(g.item.etag, "\"e1\"");
	assert_int_equal(g.item.published_version, 1);
	assert_int_equal(g.item.appt.version, 2);
	assert_int_equal(g.item.appt.start, a.start + HOUR);
	delivered(f, &g.item, "\"e3\"");

	assert_int_equal(va_store_cal_list_sync(f->s, "demo123", &list, &n), VA_OK);
	assert_int_equal(n, 1);
	assert_int_equal(list[0].outbox_depth, 0);
	assert_int_equal(list[0].delivered, 3);
	assert_string_equal(list[0].secret, "s3cret");
	free(list);
}

static void test_done_up_to_version_and_retries(void **state)
{
	struct fixture *f = *state;
	int64_t now = va_clock_wall_ms();
	struct va_calendar cal = connect_cal(f, "demo123", "dr-patel"), *list = NULL;
	struct va_appointment a = book(f, "demo123", "dr-patel", T0 + 410 * 86400);
	struct va_outbox_result r = {0};
	struct got g, m = {0};
	size_t n = 0;

	/* Another provider's visit does not reach a provider's calendar. */
	book(f, "demo123", "dr-nguyen", T0 + 410 * 86400);
	/* Two changes before the first delivery: publishing the current
	 * state settles both rows. */
	assert_int_equal(va_store_appt_move(f->s, "demo123", a.id, a.start + HOUR, a.end + HOUR,
					    NULL, on_appt, &m),
			 VA_OK);
	wait_done(f, &m);
	g = next_item(f, cal.id, now);
	assert_int_equal(g.item.appt_version, 1);
	assert_int_equal(g.item.appt.version, 2);

	/* A failure: retried later, the error recorded, the state kept. */
	r.row_id = g.item.row_id;
	va_strlcpy(r.calendar_id, cal.id, sizeof(r.calendar_id));
	va_strlcpy(r.appointment_id, a.id, sizeof(r.appointment_id));
	r.next_attempt_ms = now + 60000;
	va_strlcpy(r.error, "PUT: HTTP 503", sizeof(r.error));
	va_strlcpy(r.cal_state, "error", sizeof(r.cal_state));
	result(f, &r);
	g = next_item(f, cal.id, now);
	assert_int_equal(g.status, VA_E_NOTFOUND);
	assert_int_equal(g.next_due, now + 60000);
	g = next_item(f, cal.id, now + 60000);
	assert_int_equal(g.status, VA_OK);
	assert_int_equal(g.item.attempts, 1);

	assert_int_equal(va_store_cal_list_sync(f->s, "demo123", &list, &n), VA_OK);
	assert_int_equal(list[0].outbox_depth, 2);
	assert_string_equal(list[0].state, "error");
	assert_string_equal(list[0].last_error, "PUT: HTTP 503");
	assert_true(list[0].oldest_pending_ms > 0);
	free(list);

	/* Retry now makes it due at once. */
	{
		struct got d = {0};

		assert_int_equal(va_store_outbox_retry_now(f->s, "demo123", on_done, &d), VA_OK);
		wait_done(f, &d);
	}
	g = next_item(f, cal.id, now);
	assert_int_equal(g.status, VA_OK);
	delivered(f, &g.item, "\"x\"");
	g = next_item(f, cal.id, now);
	assert_int_equal(g.status, VA_E_NOTFOUND);
	assert_int_equal(va_store_cal_list_sync(f->s, "demo123", &list, &n), VA_OK);
	assert_int_equal(list[0].outbox_depth, 0);
	assert_string_equal(list[0].state, "ok");
	assert_string_equal(list[0].last_error, "");
	free(list);
}

static void test_pull_busy_and_own_events(void **state)
{
	struct fixture *f = *state;
	int64_t now = va_clock_wall_ms(), future = (now / 1000) + 30 * 86400;
	struct va_calendar cal = connect_cal(f, "demo123", "");
	struct va_appointment a = book(f, "demo123", "dr-patel", future);
	struct va_appointment other = book(f, "demo123", "dr-patel", future + 3 * HOUR);
	struct va_cal_event_in staff[2] = {
	    {.start = future + 5 * HOUR, .end = future + 6 * HOUR},
	    {.start = future + 7 * HOUR, .end = future + 8 * HOUR, .transparent = true}};
	struct va_cal_event_in moved = {.start = future + HOUR, .end = future + 2 * HOUR};
	struct va_cal_event_in collide = {.start = other.start, .end = other.end};
	struct va_cal_resource res[2] = {0};
	struct va_cal_pull p = {0};
	struct got g;

	/* Deliver both so the calendar holds links to them. */
	for (int i = 0; i < 2; i++) {
		g = next_item(f, cal.id, now);
		delivered(f, &g.item, i == 0 ? "\"a1\"" : "\"o1\"");
	}
	va_strlcpy(p.calendar_id, cal.id, sizeof(p.calendar_id));
	va_strlcpy(p.tenant_id, "demo123", sizeof(p.tenant_id));
	p.now_ms = now;
	p.save_token = true;
	va_strlcpy(p.sync_token, "tok-1", sizeof(p.sync_token));

	/* Staff's event blocks time; a transparent one does not; our own
	 * unchanged event (same ETag) is not staff's time. */
	snprintf(res[0].href, sizeof(res[0].href), "/dentist/practice/lunch.ics");
	va_strlcpy(res[0].etag, "\"s1\"", sizeof(res[0].etag));
	res[0].n = 2;
	res[0].ev = staff;
	snprintf(res[1].href, sizeof(res[1].href), "/dentist/practice/%s.ics", a.id);
	va_strlcpy(res[1].etag, "\"a1\"", sizeof(res[1].etag));
	res[1].n = 1;
	res[1].ev = &moved;
	p.n = 2;
	p.res = res;
	g = (struct got){0};
	assert_int_equal(va_store_cal_pull_apply(f->s, &p, on_busy, &g), VA_OK);
	wait_done(f, &g);
	assert_int_equal(g.status, VA_OK);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.busy[0].start, future + 5 * HOUR);
	assert_string_equal(g.busy[0].provider_id, "");

	/* Staff moved our event (new ETag): the appointment follows, marked
	 * as the calendar's doing, and nothing goes back out. */
	va_strlcpy(res[1].etag, "\"a2\"", sizeof(res[1].etag));
	p.n = 2;
	g = (struct got){0};
	assert_int_equal(va_store_cal_pull_apply(f->s, &p, on_busy, &g), VA_OK);
	wait_done(f, &g);
	{
		struct va_appointment *list = NULL;
		size_t n = 0;

		assert_int_equal(va_store_appt_list_sync(f->s, "demo123", 0, 0, &list, &n), VA_OK);
		for (size_t i = 0; i < n; i++)
			if (!strcmp(list[i].id, a.id)) {
				assert_int_equal(list[i].start, future + HOUR);
				assert_int_equal(list[i].version, 2);
				assert_non_null(strstr(list[i].changed_by, "calendar:"));
			}
		free(list);
	}
	g = next_item(f, cal.id, now);
	assert_int_equal(g.status, VA_OK);
	assert_true(g.item.linked);
	assert_int_equal(g.item.published_version, 2);
	assert_string_equal(g.item.etag, "\"a2\"");
	delivered(f, &g.item, "\"a2\"");

	/* Moved onto another booking: not applied, reported for a person. */
	va_strlcpy(res[1].etag, "\"a3\"", sizeof(res[1].etag));
	res[1].ev = &collide;
	p.res = &res[1];
	p.n = 1;
	g = (struct got){0};
	assert_int_equal(va_store_cal_pull_apply(f->s, &p, on_busy, &g), VA_OK);
	wait_done(f, &g);
	{
		struct va_calendar *list = NULL;
		size_t n = 0;

		assert_int_equal(va_store_cal_list_sync(f->s, "demo123", &list, &n), VA_OK);
		assert_non_null(strstr(list[0].last_error, a.id));
		assert_string_equal(list[0].sync_token, "tok-1");
		free(list);
	}

	/* Staff deleted it: cancelled, link gone; staff's lunch deleted too. */
	res[0].deleted = true;
	res[1].deleted = true;
	p.res = res;
	p.n = 2;
	g = (struct got){0};
	assert_int_equal(va_store_cal_pull_apply(f->s, &p, on_busy, &g), VA_OK);
	wait_done(f, &g);
	assert_int_equal(g.n, 0);
	{
		struct va_appointment *list = NULL;
		size_t n = 0;

		assert_int_equal(va_store_appt_list_sync(f->s, "demo123", 0, 0, &list, &n), VA_OK);
		for (size_t i = 0; i < n; i++)
			if (!strcmp(list[i].id, a.id))
				assert_int_equal(list[i].status, VA_APPT_CANCELLED);
		free(list);
	}
	g = next_item(f, cal.id, now);
	assert_int_equal(g.status, VA_OK);
	assert_false(g.item.linked); /* nothing left to delete */
}

static void test_practices_apart_and_feeds(void **state)
{
	struct fixture *f = *state;
	struct va_calendar mine = connect_cal(f, "demo123", ""),
			   theirs = connect_cal(f, "other1", "");
	struct va_calendar steal = theirs, *list = NULL;
	int64_t now = va_clock_wall_ms();
	struct got g;
	size_t n = 0;

	book(f, "other1", "dr-x", T0 + 420 * 86400);
	g = next_item(f, mine.id, now);
	assert_int_equal(g.status, VA_E_NOTFOUND);
	g = next_item(f, theirs.id, now);
	assert_int_equal(g.status, VA_OK);
	assert_string_equal(g.item.appt.tenant_id, "other1");

	/* One practice cannot take over, list or drop another's calendar. */
	va_strlcpy(steal.tenant_id, "demo123", sizeof(steal.tenant_id));
	assert_int_equal(va_store_cal_put_sync(f->s, &steal, NULL), VA_E_NOTFOUND);
	assert_int_equal(va_store_cal_delete_sync(f->s, "demo123", theirs.id), VA_E_NOTFOUND);
	assert_int_equal(va_store_cal_list_sync(f->s, "demo123", &list, &n), VA_OK);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].id, mine.id);
	free(list);

	/* Feed tokens: found while live, gone when revoked. */
	assert_int_equal(va_store_feed_add_sync(f->s, "demo123", "dr-patel", "abc123"), VA_OK);
	g = (struct got){0};
	assert_int_equal(va_store_feed_find(f->s, "abc123", on_cal, &g), VA_OK);
	wait_done(f, &g);
	assert_int_equal(g.status, VA_OK);
	assert_string_equal(g.cal.tenant_id, "demo123");
	assert_string_equal(g.cal.provider_id, "dr-patel");
	assert_int_equal(va_store_feed_revoke_sync(f->s, "demo123", NULL), VA_OK);
	g = (struct got){0};
	assert_int_equal(va_store_feed_find(f->s, "abc123", on_cal, &g), VA_OK);
	wait_done(f, &g);
	assert_int_equal(g.status, VA_E_NOTFOUND);

	/* Disconnecting drops its outbox and links, keeps the appointments. */
	assert_int_equal(va_store_cal_delete_sync(f->s, "other1", theirs.id), VA_OK);
	assert_int_equal(va_store_cal_list_sync(f->s, NULL, &list, &n), VA_OK);
	assert_int_equal(n, 1);
	free(list);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_outbox_written_with_each_change, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_done_up_to_version_and_retries, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pull_busy_and_own_events, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_practices_apart_and_feeds, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
