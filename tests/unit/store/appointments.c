/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/store/appointments_sqlite.c: booking, listing, moving and
 * cancelling appointments and the patient record, through a real libuv loop
 * against a temporary database file; the database's own refusal of
 * overlapping bookings, including from several connections racing for one
 * slot; and the migration of a v1 database.
 */
#include "store/store.h"
#include "store/store_internal.h"

#include "core/alloc.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "schedule/appointment.h"
#include "schedule/service.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include <cmocka.h>

struct fixture {
	char path[64];
	uv_loop_t loop;
};

static pthread_t main_thread;

/* 2026-11-24 15:00:00Z, and an hour. */
#define T0   ((int64_t)1795532400)
#define HOUR ((int64_t)3600)

static const char tricky_text[] =
    "Crown fell off \xe2\x80\x94 Delta Dental; 'quoted'); DROP TABLE appointments; -- %s %n";

/* ---- fixture ----------------------------------------------------------- */

static void remove_db(const char *path)
{
	char side[80];

	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
}

static int setup(void **state)
{
	struct fixture *f = va_xcalloc(1, sizeof(*f));
	int fd;

	va_strlcpy(f->path, "/tmp/va_appt_test_XXXXXX", sizeof(f->path));
	fd = mkstemp(f->path);
	if (fd < 0)
		return -1;
	close(fd);
	if (uv_loop_init(&f->loop) != 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int rc;

	remove_db(f->path);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	rc = uv_loop_close(&f->loop);
	free(f);
	return rc == 0 ? 0 : -1;
}

static void on_guard(uv_timer_t *t)
{
	uv_stop(t->loop);
}

/* Runs the loop until the store is idle, with a guard against a hang. */
static void run_loop(uv_loop_t *loop)
{
	uv_timer_t guard;

	uv_timer_init(loop, &guard);
	uv_timer_start(&guard, on_guard, 30000, 0);
	uv_unref((uv_handle_t *)&guard);
	uv_run(loop, UV_RUN_DEFAULT);
	uv_timer_stop(&guard);
	uv_close((uv_handle_t *)&guard, NULL);
	uv_run(loop, UV_RUN_NOWAIT);
}

static struct va_store *open_ok(struct fixture *f, bool async)
{
	struct va_store *s = NULL;
	char why[256] = "";

	assert_int_equal(va_store_open(f->path, async ? &f->loop : NULL, &s, why, sizeof(why)),
			 VA_OK);
	assert_non_null(s);
	return s;
}

static sqlite3 *raw_open(const char *path)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	return db;
}

static int64_t raw_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t v;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* One value of the appointment row id, as text (caller frees) or NULL. */
static char *raw_appt_text(sqlite3 *db, const char *col, const char *id)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *v;
	char sql[128];
	char *out;

	snprintf(sql, sizeof(sql), "SELECT %s FROM appointments WHERE id = ?1", col);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_text(st, 0);
	out = v ? va_xstrdup((const char *)v) : NULL;
	sqlite3_finalize(st);
	return out;
}

static void raw_exec(const char *path, const char *sql)
{
	sqlite3 *db = raw_open(path);

	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/* ---- data -------------------------------------------------------------- */

static void fill_appt(struct va_appointment *a, const char *tenant, const char *provider,
		      const char *phone, int64_t start, int64_t end)
{
	memset(a, 0, sizeof(*a));
	va_strlcpy(a->tenant_id, tenant, sizeof(a->tenant_id));
	va_strlcpy(a->provider_id, provider, sizeof(a->provider_id));
	va_strlcpy(a->phone, phone, sizeof(a->phone));
	snprintf(a->patient_name, sizeof(a->patient_name), "Patient %s", phone);
	a->service = VA_SERVICE_CLEANING;
	a->start = start;
	a->end = end;
}

/* Every field the caller chooses (not id, status or times, which the store sets). */
static void assert_same_booking(const struct va_appointment *want, const struct va_appointment *got)
{
	assert_string_equal(got->tenant_id, want->tenant_id);
	assert_string_equal(got->patient_name, want->patient_name);
	assert_string_equal(got->phone, want->phone);
	assert_string_equal(got->dob, want->dob);
	assert_int_equal(got->new_patient, want->new_patient);
	assert_int_equal(got->service, want->service);
	assert_string_equal(got->provider_id, want->provider_id);
	assert_int_equal(got->start, want->start);
	assert_int_equal(got->end, want->end);
	assert_int_equal(got->urgent, want->urgent);
	assert_string_equal(got->notes, want->notes);
	assert_string_equal(got->session_id, want->session_id);
}

static void assert_appt_equal(const struct va_appointment *a, const struct va_appointment *b)
{
	assert_string_equal(a->id, b->id);
	assert_same_booking(a, b);
	assert_int_equal(a->status, b->status);
	assert_int_equal(a->created_ms, b->created_ms);
	assert_int_equal(a->updated_ms, b->updated_ms);
}

static bool id_well_formed(const char *id)
{
	if (strncmp(id, "apt_", 4) != 0 || strlen(id) != 28)
		return false;
	for (const char *p = id + 4; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

/* ---- async helpers: queue one call, run the loop, return its status ---- */

struct one {
	int calls;
	int wrong_thread;
	int status;
	bool got;
	struct va_appointment appt;
};

static void on_appt(int status, const struct va_appointment *a, void *arg)
{
	struct one *o = arg;

	o->calls++;
	if (!pthread_equal(pthread_self(), main_thread))
		o->wrong_thread++;
	o->status = status;
	o->got = a != NULL;
	/* Errors must come without a row; success with one. */
	if ((status == VA_OK) != (a != NULL))
		o->status = 9999;
	if (a)
		o->appt = *a;
}

struct many {
	int calls;
	int wrong_thread;
	int status;
	size_t n;
	struct va_appointment *arr; /* our copy */
};

static void on_list(int status, const struct va_appointment *appts, size_t n, void *arg)
{
	struct many *m = arg;

	m->calls++;
	if (!pthread_equal(pthread_self(), main_thread))
		m->wrong_thread++;
	m->status = status;
	m->n = n;
	free(m->arr);
	m->arr = NULL;
	if (n) {
		/* The store frees its array after we return. */
		m->arr = va_xmalloc(n * sizeof(*m->arr));
		memcpy(m->arr, appts, n * sizeof(*m->arr));
	}
}

static int wait_one(struct fixture *f, struct one *o, int submit_rc)
{
	assert_int_equal(submit_rc, VA_OK);
	run_loop(&f->loop);
	assert_int_equal(o->calls, 1);
	assert_int_equal(o->wrong_thread, 0);
	assert_int_not_equal(o->status, 9999);
	return o->status;
}

static int book(struct fixture *f, struct va_store *s, const struct va_appointment *a,
		struct va_appointment *out)
{
	struct one o = {0};
	int rc = wait_one(f, &o, va_store_appt_book(s, a, on_appt, &o));

	if (out && rc == VA_OK)
		*out = o.appt;
	return rc;
}

static int cancel(struct fixture *f, struct va_store *s, const char *tenant, const char *id,
		  struct va_appointment *out)
{
	struct one o = {0};
	int rc = wait_one(f, &o, va_store_appt_cancel(s, tenant, id, on_appt, &o));

	if (out && rc == VA_OK)
		*out = o.appt;
	return rc;
}

static int move(struct fixture *f, struct va_store *s, const char *tenant, const char *id,
		int64_t start, int64_t end, const char *provider, struct va_appointment *out)
{
	struct one o = {0};
	int rc =
	    wait_one(f, &o, va_store_appt_move(s, tenant, id, start, end, provider, on_appt, &o));

	if (out && rc == VA_OK)
		*out = o.appt;
	return rc;
}

static int patient(struct fixture *f, struct va_store *s, const char *tenant, const char *phone,
		   struct va_appointment *out)
{
	struct one o = {0};
	int rc = wait_one(f, &o, va_store_patient_find(s, tenant, phone, on_appt, &o));

	if (out && rc == VA_OK)
		*out = o.appt;
	return rc;
}

static int patient_by_name(struct fixture *f, struct va_store *s, const char *tenant,
			   const char *name, const char *dob, struct va_appointment *out)
{
	struct one o = {0};
	int rc = wait_one(f, &o, va_store_patient_find_by_name(s, tenant, name, dob, on_appt, &o));

	if (out && rc == VA_OK)
		*out = o.appt;
	return rc;
}

static void wait_many(struct fixture *f, struct many *m, int submit_rc)
{
	assert_int_equal(submit_rc, VA_OK);
	run_loop(&f->loop);
	assert_int_equal(m->calls, 1);
	assert_int_equal(m->wrong_thread, 0);
	assert_int_equal(m->status, VA_OK);
}

static void list(struct fixture *f, struct va_store *s, const char *tenant, int64_t from,
		 int64_t to, struct many *m)
{
	memset(m, 0, sizeof(*m));
	wait_many(f, m, va_store_appt_list(s, tenant, from, to, on_list, m));
}

static void by_phone(struct fixture *f, struct va_store *s, const char *tenant, const char *phone,
		     int64_t from, struct many *m)
{
	memset(m, 0, sizeof(*m));
	wait_many(f, m, va_store_appt_find_by_phone(s, tenant, phone, from, on_list, m));
}

/* ---- booking ----------------------------------------------------------- */

static void test_book_list_roundtrip(void **state)
{
	struct fixture *f = *state;
	struct va_store *s = open_ok(f, true);
	struct va_appointment a, got, second, *arr = NULL;
	int64_t before = va_clock_wall_ms(), after;
	struct many m;
	size_t n = 0;
	sqlite3 *db;
	char *v;

	fill_appt(&a, "demo123", "dr_patel", "5551234567", T0, T0 + HOUR);
	va_strlcpy(a.patient_name, "Zo\xc3\xab O'Brien-\"Smith\"", sizeof(a.patient_name));
	va_strlcpy(a.dob, "1984-07-09", sizeof(a.dob));
	a.new_patient = true;
	a.service = VA_SERVICE_CROWN;
	a.urgent = true;
	va_strlcpy(a.notes, tricky_text, sizeof(a.notes));
	va_strlcpy(a.session_id, "VX0123456789abcdef", sizeof(a.session_id));
	/* Whatever the caller claims, a new booking is booked. */
	a.status = VA_APPT_COMPLETED;
	a.created_ms = 7;

	assert_int_equal(book(f, s, &a, &got), VA_OK);
	after = va_clock_wall_ms();
	assert_true(id_well_formed(got.id));
	assert_same_booking(&a, &got);
	assert_int_equal(got.status, VA_APPT_BOOKED);
	assert_true(got.created_ms >= before && got.created_ms <= after);
	assert_int_equal(got.updated_ms, got.created_ms);

	/* A second booking gets its own id. */
	fill_appt(&a, "demo123", "dr_patel", "5550000000", T0 + 2 * HOUR, T0 + 3 * HOUR);
	assert_int_equal(book(f, s, &a, &second), VA_OK);
	assert_true(id_well_formed(second.id));
	assert_string_not_equal(second.id, got.id);

	list(f, s, "demo123", 0, 0, &m);
	assert_int_equal(m.n, 2);
	assert_appt_equal(&m.arr[0], &got);
	assert_appt_equal(&m.arr[1], &second);
	free(m.arr);

	assert_int_equal(va_store_appt_list_sync(s, "demo123", 0, 0, &arr, &n), VA_OK);
	assert_int_equal(n, 2);
	assert_appt_equal(&arr[0], &got);
	assert_appt_equal(&arr[1], &second);
	free(arr);
	va_store_free(s);

	/* Stored as codes and names, not enum numbers. */
	db = raw_open(f->path);
	v = raw_appt_text(db, "service", got.id);
	assert_string_equal(v, "crown");
	free(v);
	v = raw_appt_text(db, "status", got.id);
	assert_string_equal(v, "booked");
	free(v);
	assert_null(raw_appt_text(db, "moved_from_s", got.id));
	sqlite3_close(db);
}

static void test_book_keeps_given_id(void **state)
{
	struct fixture *f = *state;
	struct va_store *s = open_ok(f, false);
	struct va_appointment a, got;

	fill_appt(&a, "demo123", "dr_patel", "5551234567", T0, T0 + HOUR);
	va_strlcpy(a.id, "apt_given", sizeof(a.id));
	assert_int_equal(va_store_appt_book_sync(s, &a, &got), VA_OK);
	assert_string_equal(got.id, "apt_given");
	/* The same id again (elsewhere in the day) already exists. */
	a.start += 4 * HOUR;
	a.end += 4 * HOUR;
	assert_int_equal(va_store_appt_book_sync(s, &a, &got), VA_E_EXISTS);
	/* out may be NULL. */
	a.id[0] = '\0';
	assert_int_equal(va_store_appt_book_sync(s, &a, NULL), VA_OK);
	va_store_free(s);
}

static void test_overlap_refused(void **state)
{
	struct fixture *f = *state;
	struct va_store *s = open_ok(f, false);
	struct va_appointment a, first, got;
	int64_t nine = T0, ten = T0 + HOUR, half = HOUR / 2;
	struct {
		const char *tenant, *provider;
		int64_t start, end;
		int want;
	} cases[] = {
	    {"demo123", "dr_patel", nine, ten, VA_E_EXISTS},		    /* the same */
	    {"demo123", "dr_patel", nine + half, ten + half, VA_E_EXISTS},  /* tail */
	    {"demo123", "dr_patel", nine - half, nine + half, VA_E_EXISTS}, /* head */
	    {"demo123", "dr_patel", nine + 60, ten - 60, VA_E_EXISTS},	    /* inside */
	    {"demo123", "dr_patel", nine - HOUR, ten + HOUR, VA_E_EXISTS},  /* around */
	    {"demo123", "dr_patel", ten, ten + HOUR, VA_OK},		    /* touching after */
	    {"demo123", "dr_patel", nine - HOUR, nine, VA_OK},		    /* touching before */
	    {"demo123", "hyg_kim", nine, ten, VA_OK},			    /* another provider */
	    {"other", "dr_patel", nine, ten, VA_OK}, /* another practice's dr_patel */
	};
	sqlite3 *db;

	fill_appt(&a, "demo123", "dr_patel", "5551110000", nine, ten);
	assert_int_equal(va_store_appt_book_sync(s, &a, &first), VA_OK);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char phone[24];

		snprintf(phone, sizeof(phone), "55522200%02zu", i);
		fill_appt(&a, cases[i].tenant, cases[i].provider, phone, cases[i].start,
			  cases[i].end);
		assert_int_equal(va_store_appt_book_sync(s, &a, &got), cases[i].want);
	}
	va_store_free(s);

	db = raw_open(f->path);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM appointments"), 5);
	/* A refused booking leaves no patient behind either. */
	assert_int_equal(raw_int(db, "SELECT count(*) FROM patients"), 5);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM patients WHERE phone = '5552220000'"),
			 0);
	/* The guard is the database's: SQL that bypasses the store is refused too. */
	assert_int_not_equal(sqlite3_exec(db,
					  "INSERT INTO appointments (id, tenant_id, provider_id,"
					  " start_s, end_s, status, created_ms, updated_ms) VALUES"
					  " ('apt_raw', 'demo123', 'dr_patel', 1795533000,"
					  " 1795534000, 'booked', 0, 0)",
					  NULL, NULL, NULL),
			     SQLITE_OK);
	assert_string_equal(sqlite3_errmsg(db), "slot taken");
	assert_int_not_equal(sqlite3_exec(db,
					  "UPDATE appointments SET provider_id = 'dr_patel'"
					  " WHERE provider_id = 'hyg_kim'",
					  NULL, NULL, NULL),
			     SQLITE_OK);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM appointments"), 5);
	sqlite3_close(db);
}

static void test_cancelled_does_not_block(void **state)
{
	struct fixture *f = *state;
	struct va_store *s = open_ok(f, true);
	struct va_appointment a, first, again;
	struct many m;

	fill_appt(&a, "demo123", "dr_patel", "5551110000", T0, T0 + HOUR);
	assert_int_equal(book(f, s, &a, &first), VA_OK);
	fill_appt(&a, "demo123", "dr_patel", "5553330000", T0, T0 + HOUR);
	assert_int_equal(book(f, s, &a, NULL), VA_E_EXISTS);
	assert_int_equal(cancel(f, s, "demo123", first.id, NULL), VA_OK);
	assert_int_equal(book(f, s, &a, &again), VA_OK);

	list(f, s, "demo123", 0, 0, &m);
	assert_int_equal(m.n, 2);
	/* Same start: ordered by id. */
	for (size_t i = 0; i < 2; i++) {
		const struct va_appointment *r = &m.arr[i];

		if (strcmp(r->id, first.id) == 0)
			assert_int_equal(r->status, VA_APPT_CANCELLED);
		else
			assert_int_equal(r->status, VA_APPT_BOOKED);
	}
	assert_true(strcmp(m.arr[0].id, m.arr[1].id) < 0);
	free(m.arr);
	/* And the cancelled one cannot come back over the new booking. */
	assert_int_equal(move(f, s, "demo123", first.id, T0, T0 + HOUR, NULL, NULL), VA_E_STATE);
	va_store_free(s);
}

/* ---- move and cancel --------------------------------------------------- */

static void test_move(void **state)
{
	struct fixture *f = *state;
	struct va_store *s = open_ok(f, true);
	struct va_appointment a, A, B, got;
	struct many m;
	sqlite3 *db;
	char *v;

	fill_appt(&a, "demo123", "dr_patel", "5551110000", T0, T0 + HOUR);
	va_strlcpy(a.notes, "keep me", sizeof(a.notes));
	assert_int_equal(book(f, s, &a, &A), VA_OK);
	fill_appt(&a, "demo123", "dr_patel", "5552220000", T0 + 2 * HOUR, T0 + 3 * HOUR);
	assert_int_equal(book(f, s, &a, &B), VA_OK);

	/* Onto B: refused, and A is untouched. */
	assert_int_equal(
	    move(f, s, "demo123", A.id, T0 + 2 * HOUR + 900, T0 + 3 * HOUR + 900, NULL, NULL),
	    VA_E_EXISTS);
	list(f, s, "demo123", 0, 0, &m);
	assert_int_equal(m.n, 2);
	assert_appt_equal(&m.arr[0], &A);
	free(m.arr);

	/* Onto a free slot: same id, new times, still booked. */
	assert_int_equal(move(f, s, "demo123", A.id, T0 + 4 * HOUR, T0 + 5 * HOUR, NULL, &got),
			 VA_OK);
	assert_string_equal(got.id, A.id);
	assert_int_equal(got.start, T0 + 4 * HOUR);
	assert_int_equal(got.end, T0 + 5 * HOUR);
	assert_int_equal(got.status, VA_APPT_BOOKED);
	assert_string_equal(got.provider_id, "dr_patel");
	assert_string_equal(got.notes, "keep me");
	assert_int_equal(got.created_ms, A.created_ms);
	assert_true(got.updated_ms >= A.updated_ms);

	/* Its old slot is free again. */
	fill_appt(&a, "demo123", "dr_patel", "5554440000", T0, T0 + HOUR);
	assert_int_equal(book(f, s, &a, NULL), VA_OK);

	/* To another provider at B's time: free for them. */
	assert_int_equal(move(f, s, "demo123", A.id, T0 + 2 * HOUR, T0 + 3 * HOUR, "hyg_kim", &got),
			 VA_OK);
	assert_string_equal(got.provider_id, "hyg_kim");
	/* Now B cannot join A's provider at that time. */
	assert_int_equal(move(f, s, "demo123", B.id, T0 + 2 * HOUR, T0 + 3 * HOUR, "hyg_kim", NULL),
			 VA_E_EXISTS);
	/* A row never conflicts with itself: shifting by half an hour is fine. */
	assert_int_equal(
	    move(f, s, "demo123", A.id, T0 + 2 * HOUR + 1800, T0 + 3 * HOUR + 1800, "", &got),
	    VA_OK);
	assert_string_equal(got.provider_id, "hyg_kim");

	assert_int_equal(move(f, s, "demo123", "apt_000000000000000000000000", T0 + 9 * HOUR,
			      T0 + 10 * HOUR, NULL, NULL),
			 VA_E_NOTFOUND);
	assert_int_equal(cancel(f, s, "demo123", B.id, NULL), VA_OK);
	assert_int_equal(move(f, s, "demo123", B.id, T0 + 9 * HOUR, T0 + 10 * HOUR, NULL, NULL),
			 VA_E_STATE);
	va_store_free(s);

	/* The first start is remembered across moves; an unmoved row has none. */
	db = raw_open(f->path);
	v = raw_appt_text(db, "moved_from_s", A.id);
	assert_non_null(v);
	assert_int_equal(strtoll(v, NULL, 10), T0);
	free(v);
	assert_null(raw_appt_text(db, "moved_from_s", B.id));
	sqlite3_close(db);
}

static void test_cancel(void **state)
{
	struct fixture *f = *state;
	struct va_store *s = open_ok(f, true);
	struct va_appointment a, A, got, again;
	struct many m;
	char sql[160];

	fill_appt(&a, "demo123", "dr_patel", "5551110000", T0, T0 + HOUR);
	assert_int_equal(book(f, s, &a, &A), VA_OK);
	assert_int_equal(cancel(f, s, "demo123", A.id, &got), VA_OK);
	assert_string_equal(got.id, A.id);
	assert_int_equal(got.status, VA_APPT_CANCELLED);
	assert_same_booking(&A, &got);
	assert_true(got.updated_ms >= A.updated_ms);
	/* Again: still fine, still cancelled, nothing rewritten. */
	assert_int_equal(cancel(f, s, "demo123", A.id, &again), VA_OK);
	assert_appt_equal(&again, &got);

	/* Listed with its status (lists show every status). */
	list(f, s, "demo123", 0, 0, &m);
	assert_int_equal(m.n, 1);
	assert_appt_equal(&m.arr[0], &got);
	free(m.arr);

	assert_int_equal(cancel(f, s, "demo123", "apt_nope", NULL), VA_E_NOTFOUND);

	/* A visit that already happened is not cancellable. */
	fill_appt(&a, "demo123", "dr_patel", "5551110000", T0 - 48 * HOUR, T0 - 47 * HOUR);
	assert_int_equal(book(f, s, &a, &A), VA_OK);
	snprintf(sql, sizeof(sql), "UPDATE appointments SET status = 'completed' WHERE id = '%s'",
		 A.id);
	raw_exec(f->path, sql);
	assert_int_equal(cancel(f, s, "demo123", A.id, NULL), VA_E_STATE);
	assert_int_equal(move(f, s, "demo123", A.id, T0 + HOUR, T0 + 2 * HOUR, NULL, NULL),
			 VA_E_STATE);
	va_store_free(s);
}

/* ---- reading ----------------------------------------------------------- */

static void test_list_range(void **state)
{
	struct fixture *f = *state;
	struct va_store *s = open_ok(f, true);
	struct va_appointment a, r9, r10, r12, r12b;
	struct many m;

	/* Booked out of order: the list sorts. */
	fill_appt(&a, "demo123", "dr_patel", "5550000012", T0 + 3 * HOUR, T0 + 4 * HOUR);
	assert_int_equal(book(f, s, &a, &r12), VA_OK);
	fill_appt(&a, "demo123", "dr_patel", "5550000009", T0, T0 + HOUR);
	assert_int_equal(book(f, s, &a, &r9), VA_OK);
	fill_appt(&a, "demo123", "dr_patel", "5550000010", T0 + HOUR, T0 + 2 * HOUR);
	assert_int_equal(book(f, s, &a, &r10), VA_OK);
	fill_appt(&a, "demo123", "hyg_kim", "5550000013", T0 + 3 * HOUR, T0 + 3 * HOUR + 1800);
	assert_int_equal(book(f, s, &a, &r12b), VA_OK);

	list(f, s, "demo123", 0, 0, &m);
	assert_int_equal(m.n, 4);
	assert_string_equal(m.arr[0].id, r9.id);
	assert_string_equal(m.arr[1].id, r10.id);
	/* Equal starts: by id. */
	assert_string_equal(m.arr[2].id, strcmp(r12.id, r12b.id) < 0 ? r12.id : r12b.id);
	assert_string_equal(m.arr[3].id, strcmp(r12.id, r12b.id) < 0 ? r12b.id : r12.id);
	free(m.arr);

	/* [9:30, 10:00) overlaps only the 9 o'clock. */
	list(f, s, "demo123", T0 + 1800, T0 + HOUR, &m);
	assert_int_equal(m.n, 1);
	assert_string_equal(m.arr[0].id, r9.id);
	free(m.arr);
	/* [10, 12): the 10 o'clock; the 12 o'clocks start at its end. */
	list(f, s, "demo123", T0 + HOUR, T0 + 3 * HOUR, &m);
	assert_int_equal(m.n, 1);
	assert_string_equal(m.arr[0].id, r10.id);
	free(m.arr);
	/* Open-ended either side. */
	list(f, s, "demo123", T0 + HOUR + 1800, 0, &m);
	assert_int_equal(m.n, 3);
	assert_string_equal(m.arr[0].id, r10.id);
	free(m.arr);
	list(f, s, "demo123", 0, T0 + HOUR, &m);
	assert_int_equal(m.n, 1);
	assert_string_equal(m.arr[0].id, r9.id);
	free(m.arr);
	/* Nothing there: success, no rows. */
	list(f, s, "demo123", T0 + 10 * HOUR, T0 + 11 * HOUR, &m);
	assert_int_equal(m.n, 0);
	assert_null(m.arr);
	list(f, s, "nobody", 0, 0, &m);
	assert_int_equal(m.n, 0);
	va_store_free(s);
}

static void test_find_by_phone(void **state)
{
	struct fixture *f = *state;
	struct va_store *s = open_ok(f, true);
	int64_t now = T0;
	struct va_appointment a, past, later, sooner, dropped;
	struct many m;

	fill_appt(&a, "demo123", "dr_patel", "5551234567", now - 24 * HOUR, now - 23 * HOUR);
	assert_int_equal(book(f, s, &a, &past), VA_OK);
	fill_appt(&a, "demo123", "dr_patel", "5551234567", now + 48 * HOUR, now + 49 * HOUR);
	assert_int_equal(book(f, s, &a, &later), VA_OK);
	fill_appt(&a, "demo123", "hyg_kim", "5551234567", now + 2 * HOUR, now + 3 * HOUR);
	assert_int_equal(book(f, s, &a, &sooner), VA_OK);
	fill_appt(&a, "demo123", "dr_patel", "5551234567", now + 5 * HOUR, now + 6 * HOUR);
	assert_int_equal(book(f, s, &a, &dropped), VA_OK);
	assert_int_equal(cancel(f, s, "demo123", dropped.id, NULL), VA_OK);
	/* Other phones and another practice with the same phone. */
	fill_appt(&a, "demo123", "dr_patel", "5559999999", now + 4 * HOUR, now + 5 * HOUR);
	assert_int_equal(book(f, s, &a, NULL), VA_OK);
	fill_appt(&a, "other", "dr_patel", "5551234567", now + 4 * HOUR, now + 5 * HOUR);
	assert_int_equal(book(f, s, &a, NULL), VA_OK);

	by_phone(f, s, "demo123", "5551234567", now, &m);
	assert_int_equal(m.n, 2);
	assert_string_equal(m.arr[0].id, sooner.id);
	assert_string_equal(m.arr[1].id, later.id);
	assert_appt_equal(&m.arr[1], &later);
	free(m.arr);

	/* From the start of time: the past one too, still not the cancelled one. */
	by_phone(f, s, "demo123", "5551234567", 0, &m);
	assert_int_equal(m.n, 3);
	assert_string_equal(m.arr[0].id, past.id);
	free(m.arr);

	/* Starting exactly at `from` counts as upcoming. */
	by_phone(f, s, "demo123", "5551234567", now + 48 * HOUR, &m);
	assert_int_equal(m.n, 1);
	assert_string_equal(m.arr[0].id, later.id);
	free(m.arr);

	by_phone(f, s, "demo123", "5550000000", now, &m);
	assert_int_equal(m.n, 0);
	va_store_free(s);
}

/* A caller on another phone is found by name (any case) and date of birth. */
static void test_patient_find_by_name_and_dob(void **state)
{
	struct fixture *f = *state;
	struct va_store *s = open_ok(f, true);
	struct va_appointment a, p;

	fill_appt(&a, "demo123", "dr_patel", "5551112222", T0, T0 + HOUR);
	va_strlcpy(a.patient_name, "Jane Doe", sizeof(a.patient_name));
	va_strlcpy(a.dob, "1980-02-03", sizeof(a.dob));
	assert_int_equal(book(f, s, &a, NULL), VA_OK);
	assert_int_equal(patient_by_name(f, s, "demo123", "jane doe", "1980-02-03", &p), VA_OK);
	assert_string_equal(p.phone, "5551112222");
	assert_string_equal(p.patient_name, "Jane Doe");
	/* Both must match, in the same practice. */
	assert_int_equal(patient_by_name(f, s, "demo123", "Jane Doe", "1980-02-04", NULL),
			 VA_E_NOTFOUND);
	assert_int_equal(patient_by_name(f, s, "demo123", "John Doe", "1980-02-03", NULL),
			 VA_E_NOTFOUND);
	assert_int_equal(patient_by_name(f, s, "other", "Jane Doe", "1980-02-03", NULL),
			 VA_E_NOTFOUND);
	/* Without a date of birth there is nothing to match on. */
	assert_int_equal(va_store_patient_find_by_name(s, "demo123", "Jane Doe", "", on_appt, NULL),
			 VA_E_INVAL);
	va_store_free(s);
}

static void test_patient_upsert_and_find(void **state)
{
	struct fixture *f = *state;
	struct va_store *s = open_ok(f, true);
	struct va_appointment a, p;
	int64_t first_seen;
	sqlite3 *db;

	assert_int_equal(patient(f, s, "demo123", "5551234567", NULL), VA_E_NOTFOUND);

	fill_appt(&a, "demo123", "dr_patel", "5551234567", T0, T0 + HOUR);
	va_strlcpy(a.patient_name, "Jane Doe", sizeof(a.patient_name));
	va_strlcpy(a.dob, "1980-02-03", sizeof(a.dob));
	assert_int_equal(book(f, s, &a, NULL), VA_OK);
	assert_int_equal(patient(f, s, "demo123", "5551234567", &p), VA_OK);
	assert_string_equal(p.tenant_id, "demo123");
	assert_string_equal(p.phone, "5551234567");
	assert_string_equal(p.patient_name, "Jane Doe");
	assert_string_equal(p.dob, "1980-02-03");
	first_seen = p.created_ms;
	assert_true(first_seen > 0);

	/* A later call that did not ask the date of birth keeps the one we had;
	 * a new name replaces the old. */
	fill_appt(&a, "demo123", "dr_patel", "5551234567", T0 + 24 * HOUR, T0 + 25 * HOUR);
	va_strlcpy(a.patient_name, "Jane Q. Doe", sizeof(a.patient_name));
	assert_int_equal(book(f, s, &a, NULL), VA_OK);
	assert_int_equal(patient(f, s, "demo123", "5551234567", &p), VA_OK);
	assert_string_equal(p.patient_name, "Jane Q. Doe");
	assert_string_equal(p.dob, "1980-02-03");
	assert_int_equal(p.created_ms, first_seen);
	assert_true(p.updated_ms >= first_seen);

	/* A known date of birth can still be corrected. */
	fill_appt(&a, "demo123", "dr_patel", "5551234567", T0 + 48 * HOUR, T0 + 49 * HOUR);
	va_strlcpy(a.patient_name, "Jane Q. Doe", sizeof(a.patient_name));
	va_strlcpy(a.dob, "1980-03-02", sizeof(a.dob));
	assert_int_equal(book(f, s, &a, NULL), VA_OK);
	assert_int_equal(patient(f, s, "demo123", "5551234567", &p), VA_OK);
	assert_string_equal(p.dob, "1980-03-02");

	/* Patients belong to a practice. */
	assert_int_equal(patient(f, s, "other", "5551234567", NULL), VA_E_NOTFOUND);
	va_store_free(s);

	db = raw_open(f->path);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM patients"), 1);
	sqlite3_close(db);
}

static void test_tenant_isolation(void **state)
{
	struct fixture *f = *state;
	struct va_store *s = open_ok(f, true);
	struct va_appointment a, mine, theirs;
	struct many m;

	fill_appt(&a, "practice_a", "dr_1", "5551110000", T0, T0 + HOUR);
	assert_int_equal(book(f, s, &a, &mine), VA_OK);
	fill_appt(&a, "practice_b", "dr_1", "5551110000", T0, T0 + HOUR);
	assert_int_equal(book(f, s, &a, &theirs), VA_OK);

	/* B cannot touch A's appointment, even knowing its id. */
	assert_int_equal(cancel(f, s, "practice_b", mine.id, NULL), VA_E_NOTFOUND);
	assert_int_equal(
	    move(f, s, "practice_b", mine.id, T0 + 5 * HOUR, T0 + 6 * HOUR, NULL, NULL),
	    VA_E_NOTFOUND);

	list(f, s, "practice_a", 0, 0, &m);
	assert_int_equal(m.n, 1);
	assert_appt_equal(&m.arr[0], &mine);
	free(m.arr);
	list(f, s, "practice_b", 0, 0, &m);
	assert_int_equal(m.n, 1);
	assert_appt_equal(&m.arr[0], &theirs);
	free(m.arr);
	by_phone(f, s, "practice_b", "5551110000", 0, &m);
	assert_int_equal(m.n, 1);
	assert_string_equal(m.arr[0].id, theirs.id);
	free(m.arr);
	va_store_free(s);
}

/* ---- argument checks --------------------------------------------------- */

static void test_invalid_args(void **state)
{
	struct fixture *f = *state;
	struct va_store *s = open_ok(f, true);
	struct va_store *sync_only;
	struct va_appointment a, good, *arr = NULL;
	struct one o = {0};
	size_t n = 0;
	char big[200];

	fill_appt(&good, "demo123", "dr_patel", "5551234567", T0, T0 + HOUR);
	a = good;
	a.tenant_id[0] = '\0';
	assert_int_equal(va_store_appt_book_sync(s, &a, NULL), VA_E_INVAL);
	a = good;
	a.provider_id[0] = '\0';
	assert_int_equal(va_store_appt_book_sync(s, &a, NULL), VA_E_INVAL);
	a = good;
	a.phone[0] = '\0';
	assert_int_equal(va_store_appt_book_sync(s, &a, NULL), VA_E_INVAL);
	a = good;
	a.patient_name[0] = '\0';
	assert_int_equal(va_store_appt_book_sync(s, &a, NULL), VA_E_INVAL);
	a = good;
	a.end = a.start;
	assert_int_equal(va_store_appt_book_sync(s, &a, NULL), VA_E_INVAL);
	a.end = a.start - 1;
	assert_int_equal(va_store_appt_book(s, &a, on_appt, &o), VA_E_INVAL);
	a = good;
	a.service = (enum va_service_kind)VA_SERVICE__COUNT;
	assert_int_equal(va_store_appt_book(s, &a, on_appt, &o), VA_E_INVAL);
	a = good;
	/* An unterminated field is refused, not read past. */
	memset(a.phone, '5', sizeof(a.phone));
	assert_int_equal(va_store_appt_book_sync(s, &a, NULL), VA_E_INVAL);
	assert_int_equal(va_store_appt_book_sync(NULL, &good, NULL), VA_E_INVAL);
	assert_int_equal(va_store_appt_book_sync(s, NULL, NULL), VA_E_INVAL);
	assert_int_equal(va_store_appt_book(NULL, &good, on_appt, &o), VA_E_INVAL);

	assert_int_equal(va_store_appt_list(s, "demo123", 0, 0, NULL, NULL), VA_E_INVAL);
	assert_int_equal(va_store_appt_list(s, "", 0, 0, on_list, NULL), VA_E_INVAL);
	assert_int_equal(va_store_appt_list(s, NULL, 0, 0, on_list, NULL), VA_E_INVAL);
	assert_int_equal(va_store_appt_find_by_phone(s, "demo123", NULL, 0, on_list, NULL),
			 VA_E_INVAL);
	memset(big, '7', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(va_store_appt_find_by_phone(s, "demo123", big, 0, on_list, NULL),
			 VA_E_INVAL);
	assert_int_equal(va_store_appt_cancel(s, "demo123", "", on_appt, &o), VA_E_INVAL);
	assert_int_equal(va_store_appt_cancel(s, NULL, "apt_x", on_appt, &o), VA_E_INVAL);
	assert_int_equal(va_store_appt_move(s, "demo123", "apt_x", T0, T0, NULL, on_appt, &o),
			 VA_E_INVAL);
	assert_int_equal(va_store_appt_move(s, "demo123", "apt_x", T0, T0 + 1, big, on_appt, &o),
			 VA_E_INVAL);
	assert_int_equal(va_store_patient_find(s, "demo123", "5551234567", NULL, NULL), VA_E_INVAL);
	assert_int_equal(va_store_appt_list_sync(s, "demo123", 0, 0, NULL, &n), VA_E_INVAL);
	assert_int_equal(va_store_appt_list_sync(s, NULL, 0, 0, &arr, &n), VA_E_INVAL);
	/* None of the refused calls queued anything or will call back. */
	assert_int_equal(va_store_pending(s), 0);
	run_loop(&f->loop);
	assert_int_equal(o.calls, 0);
	va_store_free(s);

	/* A store opened without a loop has no async calls. */
	sync_only = open_ok(f, false);
	assert_int_equal(va_store_appt_book(sync_only, &good, on_appt, &o), VA_E_STATE);
	assert_int_equal(va_store_appt_list(sync_only, "demo123", 0, 0, on_list, NULL), VA_E_STATE);
	assert_int_equal(va_store_appt_cancel(sync_only, "demo123", "apt_x", NULL, NULL),
			 VA_E_STATE);
	assert_int_equal(va_store_appt_list_sync(sync_only, "demo123", 0, 0, &arr, &n), VA_OK);
	assert_int_equal(n, 0);
	assert_null(arr);
	va_store_free(sync_only);
}

/* ---- migration --------------------------------------------------------- */

/* Migration 1 exactly as shipped: what an older build left on disk. */
static const char v1_schema[] =
    "CREATE TABLE tenants ("
    " id TEXT PRIMARY KEY NOT NULL,"
    " name TEXT NOT NULL DEFAULT '',"
    " timezone TEXT NOT NULL DEFAULT '',"
    " twilio_auth_token TEXT NOT NULL DEFAULT '',"
    " api_key TEXT NOT NULL DEFAULT '',"
    " front_desk_number TEXT NOT NULL DEFAULT '',"
    " greeting TEXT NOT NULL DEFAULT '',"
    " connecting_message TEXT NOT NULL DEFAULT '',"
    " language TEXT NOT NULL DEFAULT '',"
    " tts_provider TEXT NOT NULL DEFAULT '',"
    " voice TEXT NOT NULL DEFAULT '',"
    " transcription_provider TEXT NOT NULL DEFAULT '',"
    " speech_model TEXT NOT NULL DEFAULT '',"
    " interruptible TEXT NOT NULL DEFAULT '',"
    " interrupt_sensitivity TEXT NOT NULL DEFAULT '',"
    " speech_timeout TEXT NOT NULL DEFAULT '',"
    " report_input_during_agent TEXT NOT NULL DEFAULT '',"
    " welcome_interruptible TEXT NOT NULL DEFAULT '',"
    " hints TEXT NOT NULL DEFAULT '',"
    " dtmf_detection INTEGER NOT NULL DEFAULT 0,"
    " preemptible INTEGER NOT NULL DEFAULT 0,"
    " partial_prompts INTEGER NOT NULL DEFAULT 0,"
    " application_reconnect INTEGER NOT NULL DEFAULT 0,"
    " preset TEXT NOT NULL DEFAULT 'standard',"
    " created_at INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL"
    ");"
    "CREATE TABLE conversations ("
    " session_id TEXT PRIMARY KEY NOT NULL,"
    " call_sid TEXT NOT NULL DEFAULT '',"
    " tenant_id TEXT NOT NULL DEFAULT '',"
    " from_number TEXT NOT NULL DEFAULT '',"
    " to_number TEXT NOT NULL DEFAULT '',"
    " state TEXT NOT NULL DEFAULT '',"
    " agent TEXT NOT NULL DEFAULT '',"
    " started_ms INTEGER NOT NULL DEFAULT 0,"
    " ended_ms INTEGER NOT NULL DEFAULT 0,"
    " turns INTEGER NOT NULL DEFAULT 0,"
    " interruptions INTEGER NOT NULL DEFAULT 0,"
    " details_json TEXT"
    ");"
    "CREATE INDEX conversations_call_sid ON conversations(call_sid);"
    "CREATE INDEX conversations_tenant_started ON conversations(tenant_id, started_ms);"
    "CREATE TABLE turns ("
    " session_id TEXT NOT NULL REFERENCES conversations(session_id) ON DELETE CASCADE,"
    " seq INTEGER NOT NULL CHECK (seq >= 0),"
    " role TEXT NOT NULL CHECK (role IN ('caller', 'agent', 'system')),"
    " text TEXT NOT NULL DEFAULT '',"
    " heard TEXT,"
    " interrupted INTEGER NOT NULL DEFAULT 0,"
    " started_ms INTEGER NOT NULL DEFAULT 0,"
    " ended_ms INTEGER NOT NULL DEFAULT 0,"
    " first_token_us INTEGER NOT NULL DEFAULT -1,"
    " last_token_us INTEGER NOT NULL DEFAULT -1,"
    " PRIMARY KEY (session_id, seq)"
    ");";

static void test_migrate_from_v1(void **state)
{
	struct fixture *f = *state;
	struct va_appointment a, *arr = NULL;
	struct va_tenant t;
	struct va_store *s;
	int64_t convs = 0;
	size_t n = 0;
	sqlite3 *db;

	db = raw_open(f->path);
	assert_int_equal(sqlite3_exec(db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, v1_schema, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(db,
			 "INSERT INTO tenants (id, name, timezone, preset, created_at, updated_at)"
			 " VALUES ('demo123', 'Bright Smile Dental', 'America/New_York', 'quiet',"
			 " 1, 2);"
			 "INSERT INTO conversations (session_id, tenant_id, state, turns)"
			 " VALUES ('VXold', 'demo123', 'ended', 1);"
			 "INSERT INTO turns (session_id, seq, role, text)"
			 " VALUES ('VXold', 0, 'caller', 'hello');"
			 "PRAGMA user_version = 1;",
			 NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);

	s = open_ok(f, false);
	assert_int_equal(va_store_tenant_get_sync(s, "demo123", &t), VA_OK);
	assert_string_equal(t.name, "Bright Smile Dental");
	assert_int_equal(t.relay.preset, VA_PRESET_QUIET);
	assert_int_equal(va_store_conv_count_sync(s, &convs), VA_OK);
	assert_int_equal(convs, 1);
	assert_int_equal(va_store_appt_list_sync(s, "demo123", 0, 0, &arr, &n), VA_OK);
	assert_int_equal(n, 0);
	fill_appt(&a, "demo123", "dr_patel", "5551234567", T0, T0 + HOUR);
	assert_int_equal(va_store_appt_book_sync(s, &a, NULL), VA_OK);
	assert_int_equal(va_store_appt_book_sync(s, &a, NULL), VA_E_EXISTS);
	va_store_free(s);

	db = raw_open(f->path);
	/* Migrated to the newest schema (v2 brought appointments). */
	assert_true(va_store__schema_version() >= 2);
	assert_int_equal(raw_int(db, "PRAGMA user_version"), va_store__schema_version());
	assert_int_equal(raw_int(db, "SELECT count(*) FROM turns WHERE text = 'hello'"), 1);
	/* Two overlap guards (v4) and two calendar outbox writers (v7). */
	assert_int_equal(raw_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"
				     " AND tbl_name = 'appointments'"),
			 4);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index'"
				     " AND tbl_name = 'appointments' AND sql IS NOT NULL"),
			 3);
	sqlite3_close(db);

	/* Opening again applies nothing twice. */
	s = open_ok(f, false);
	va_store_free(s);
}

/* ---- concurrency ------------------------------------------------------- */

#define RACERS 8
#define ROUNDS 50

struct race {
	const char *path;
	pthread_barrier_t *gate;
	int idx;
	int open_rc;
	int rc[ROUNDS];
};

/* Each racer is a separate connection (as a separate process would be) and
 * books the same provider and slot as every other racer in each round. */
static void *racer(void *arg)
{
	struct race *r = arg;
	struct va_store *s = NULL;
	struct va_appointment a;
	char phone[24];

	r->open_rc = va_store_open(r->path, NULL, &s, NULL, 0);
	snprintf(phone, sizeof(phone), "55500000%02d", r->idx);
	for (int round = 0; round < ROUNDS; round++) {
		/* Everyone leaves the gate together, every round. */
		pthread_barrier_wait(r->gate);
		if (r->open_rc) {
			r->rc[round] = r->open_rc;
			continue;
		}
		fill_appt(&a, "demo123", "dr_patel", phone, T0 + round * HOUR,
			  T0 + round * HOUR + 1800);
		r->rc[round] = va_store_appt_book_sync(s, &a, NULL);
	}
	va_store_free(s);
	return NULL;
}

static void test_concurrent_bookers(void **state)
{
	struct fixture *f = *state;
	struct race races[RACERS];
	pthread_t threads[RACERS];
	pthread_barrier_t gate;
	struct va_store *s = open_ok(f, false);
	sqlite3 *db;

	/* Created and migrated before the race. */
	va_store_free(s);
	assert_int_equal(pthread_barrier_init(&gate, NULL, RACERS), 0);
	for (int i = 0; i < RACERS; i++) {
		memset(&races[i], 0, sizeof(races[i]));
		races[i].path = f->path;
		races[i].gate = &gate;
		races[i].idx = i;
		assert_int_equal(pthread_create(&threads[i], NULL, racer, &races[i]), 0);
	}
	for (int i = 0; i < RACERS; i++)
		pthread_join(threads[i], NULL);
	pthread_barrier_destroy(&gate);

	for (int i = 0; i < RACERS; i++)
		assert_int_equal(races[i].open_rc, VA_OK);
	for (int round = 0; round < ROUNDS; round++) {
		int won = 0, refused = 0;

		for (int i = 0; i < RACERS; i++) {
			if (races[i].rc[round] == VA_OK)
				won++;
			else if (races[i].rc[round] == VA_E_EXISTS)
				refused++;
		}
		if (won != 1 || refused != RACERS - 1)
			fail_msg("round %d: %d won, %d refused", round, won, refused);
	}

	db = raw_open(f->path);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM appointments"), ROUNDS);
	assert_int_equal(raw_int(db, "SELECT count(DISTINCT start_s) FROM appointments"
				     " WHERE status = 'booked'"),
			 ROUNDS);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM (SELECT start_s FROM appointments"
				     " WHERE status = 'booked' GROUP BY start_s"
				     " HAVING count(*) > 1)"),
			 0);
	sqlite3_close(db);
}

/* Racers that move: each owns one appointment and a loop of its own (move
 * has no sync form), and every round all of them move theirs onto the same
 * free slot. Moving reads the row before writing it, the case where a
 * deferred transaction would fail with BUSY instead of waiting. */
struct mover {
	const char *path;
	pthread_barrier_t *gate;
	int idx;
	int setup_rc;
	int rc[ROUNDS];
};

static void on_moved(int status, const struct va_appointment *a, void *arg)
{
	*(int *)arg = status;
}

static void *move_racer(void *arg)
{
	struct mover *r = arg;
	struct va_store *s = NULL;
	struct va_appointment a, mine;
	uv_loop_t loop;
	char phone[24];
	bool loop_ok = uv_loop_init(&loop) == 0;

	r->setup_rc = loop_ok ? VA_OK : VA_E_IO;
	if (!r->setup_rc)
		r->setup_rc = va_store_open(r->path, &loop, &s, NULL, 0);
	/* Its own slot far from the targets, so the setup does not race. */
	snprintf(phone, sizeof(phone), "55500000%02d", r->idx);
	fill_appt(&a, "demo123", "dr_patel", phone, T0 - (r->idx + 1) * 24 * HOUR,
		  T0 - (r->idx + 1) * 24 * HOUR + 1800);
	if (!r->setup_rc)
		r->setup_rc = va_store_appt_book_sync(s, &a, &mine);
	for (int round = 0; round < ROUNDS; round++) {
		int rc = 9999;

		pthread_barrier_wait(r->gate);
		if (r->setup_rc) {
			r->rc[round] = r->setup_rc;
			continue;
		}
		r->rc[round] = va_store_appt_move(s, "demo123", mine.id, T0 + round * HOUR,
						  T0 + round * HOUR + 1800, NULL, on_moved, &rc);
		if (r->rc[round] == VA_OK) {
			uv_run(&loop, UV_RUN_DEFAULT);
			r->rc[round] = rc;
		}
	}
	va_store_free(s);
	if (loop_ok) {
		/* Lets the closed async handle free itself. */
		uv_run(&loop, UV_RUN_DEFAULT);
		if (uv_loop_close(&loop) != 0)
			r->setup_rc = VA_E_STATE;
	}
	return NULL;
}

static void test_concurrent_movers(void **state)
{
	struct fixture *f = *state;
	struct mover movers[RACERS];
	pthread_t threads[RACERS];
	pthread_barrier_t gate;
	struct va_store *s = open_ok(f, false);
	sqlite3 *db;

	va_store_free(s);
	assert_int_equal(pthread_barrier_init(&gate, NULL, RACERS), 0);
	for (int i = 0; i < RACERS; i++) {
		memset(&movers[i], 0, sizeof(movers[i]));
		movers[i].path = f->path;
		movers[i].gate = &gate;
		movers[i].idx = i;
		assert_int_equal(pthread_create(&threads[i], NULL, move_racer, &movers[i]), 0);
	}
	for (int i = 0; i < RACERS; i++)
		pthread_join(threads[i], NULL);
	pthread_barrier_destroy(&gate);

	for (int i = 0; i < RACERS; i++)
		assert_int_equal(movers[i].setup_rc, VA_OK);
	for (int round = 0; round < ROUNDS; round++) {
		int won = 0, refused = 0;

		for (int i = 0; i < RACERS; i++) {
			if (movers[i].rc[round] == VA_OK)
				won++;
			else if (movers[i].rc[round] == VA_E_EXISTS)
				refused++;
		}
		if (won != 1 || refused != RACERS - 1)
			fail_msg("round %d: %d won, %d refused", round, won, refused);
	}

	db = raw_open(f->path);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM appointments"), RACERS);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM appointments a JOIN appointments b"
				     " ON a.id < b.id AND a.tenant_id = b.tenant_id"
				     " AND a.provider_id = b.provider_id"
				     " AND a.status = 'booked' AND b.status = 'booked'"
				     " AND a.start_s < b.end_s AND a.end_s > b.start_s"),
			 0);
	/* The last round's winner sits on the last target. */
	assert_int_equal(raw_int(db, "SELECT count(*) FROM appointments WHERE start_s = "
				     "1795532400 + 49 * 3600"),
			 1);
	sqlite3_close(db);
}

static void test_concurrent_async_one_store(void **state)
{
	struct fixture *f = *state;
	struct va_store *s = open_ok(f, true);
	struct va_appointment a, b;
	struct one first = {0}, second = {0};
	struct va_appointment *arr = NULL;
	size_t n = 0;

	fill_appt(&a, "demo123", "dr_patel", "5551110000", T0, T0 + 1800);
	fill_appt(&b, "demo123", "dr_patel", "5552220000", T0 + 900, T0 + 2700);
	/* Both queued before either runs: the queue's order decides. */
	assert_int_equal(va_store_appt_book(s, &a, on_appt, &first), VA_OK);
	assert_int_equal(va_store_appt_book(s, &b, on_appt, &second), VA_OK);
	assert_int_equal(va_store_pending(s), 2);
	run_loop(&f->loop);
	assert_int_equal(first.calls, 1);
	assert_int_equal(second.calls, 1);
	assert_int_equal(first.status, VA_OK);
	assert_int_equal(second.status, VA_E_EXISTS);
	assert_false(second.got);

	assert_int_equal(va_store_appt_list_sync(s, "demo123", 0, 0, &arr, &n), VA_OK);
	assert_int_equal(n, 1);
	assert_string_equal(arr[0].id, first.appt.id);
	assert_string_equal(arr[0].phone, "5551110000");
	free(arr);
	va_store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_book_list_roundtrip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_book_keeps_given_id, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_overlap_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cancelled_does_not_block, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_move, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_list_range, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_find_by_phone, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_patient_upsert_and_find, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_patient_find_by_name_and_dob, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tenant_isolation, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_invalid_args, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_migrate_from_v1, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent_bookers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent_movers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent_async_one_store, setup, teardown),
	};

	main_thread = pthread_self();
	va_log_set_level(VA_LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
