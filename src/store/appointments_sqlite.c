/* SPDX-License-Identifier: MIT */
/*
 * appointments_sqlite.c - the appointments part of store.h on SQLite: booking,
 * listing, moving and cancelling appointments, and remembering patients by
 * phone. The schema and its overlap triggers are migration 2 (migrations.c);
 * the connection, its lock and the storage thread come from store_sqlite.c
 * through store_internal.h. Nothing here decides which slots are free: that is
 * the scheduler's job; this file only makes sure two bookings cannot both win.
 *
 * Double booking is refused by the database, not by a check in C: every write
 * runs in BEGIN IMMEDIATE, so writers on other connections (or processes) queue
 * on busy_timeout instead of racing a stale read, and the triggers abort any
 * booked row that overlaps another booked row of the same tenant and provider.
 * That abort is reported as VA_E_EXISTS.
 *
 * Row values are patient data: logs carry ids, tenant and provider, never
 * names, phone numbers or notes.
 */
#include "store/store.h"
#include "store/store_internal.h"

#include "core/alloc.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "schedule/appointment.h"
#include "schedule/service.h"

#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* Our slots in the store's statement cache (store_internal.h). */
enum appt_stmt {
	AS_BEGIN_IMMEDIATE,
	AS_COMMIT,
	AS_ROLLBACK,
	AS_PATIENT_UPSERT,
	AS_PATIENT_GET,
	AS_PATIENT_BY_NAME,
	AS_INSERT,
	AS_GET,
	AS_LIST,
	AS_BY_PHONE,
	AS_CANCEL,
	AS_MOVE,
	AS__COUNT
};

_Static_assert(AS__COUNT <= VA_STORE__CAL_STMTS, "store: too many appointment statements");

/* What the overlap triggers (migrations 2 and 4) raise. */
#define SLOT_TAKEN "slot taken"
#define TOO_LONG   "too long"

/* The columns of struct va_appointment, in read_appt()/bind_appt() order. */
#define APPT_COLS                                                                                  \
	"id, tenant_id, patient_name, phone, dob, new_patient, service, provider_id, start_s,"     \
	" end_s, status, urgent, notes, session_id, created_ms, updated_ms, version, changed_by"

static const char *const appt_sql[AS__COUNT] = {
    [AS_BEGIN_IMMEDIATE] = "BEGIN IMMEDIATE",
    [AS_COMMIT] = "COMMIT",
    [AS_ROLLBACK] = "ROLLBACK",
    /* A later call may know less (no date of birth yet): keep what we had. */
    [AS_PATIENT_UPSERT] = "INSERT INTO patients (tenant_id, phone, name, dob, created_ms,"
			  " updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?5)"
			  " ON CONFLICT(tenant_id, phone) DO UPDATE SET"
			  " name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE name END,"
			  " dob = CASE WHEN excluded.dob <> '' THEN excluded.dob ELSE dob END,"
			  " updated_ms = excluded.updated_ms",
    [AS_PATIENT_GET] = "SELECT phone, name, dob, created_ms, updated_ms FROM patients"
		       " WHERE tenant_id = ?1 AND phone = ?2",
    /* A caller on another phone: the same name and date of birth. The most
     * recently seen such patient wins. */
    [AS_PATIENT_BY_NAME] = "SELECT phone, name, dob, created_ms, updated_ms FROM patients"
			   " WHERE tenant_id = ?1 AND lower(name) = lower(?2) AND dob = ?3"
			   " AND dob <> '' ORDER BY updated_ms DESC LIMIT 1",
    [AS_INSERT] = "INSERT INTO appointments (" APPT_COLS ")"
		  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,"
		  " ?17, ?18)",
    [AS_GET] = "SELECT " APPT_COLS " FROM appointments WHERE id = ?1 AND tenant_id = ?2",
    /* 0 leaves that end of the range open. */
    [AS_LIST] = "SELECT " APPT_COLS " FROM appointments WHERE tenant_id = ?1"
		" AND (?2 = 0 OR end_s > ?2) AND (?3 = 0 OR start_s < ?3)"
		" ORDER BY start_s, id",
    [AS_BY_PHONE] = "SELECT " APPT_COLS " FROM appointments WHERE tenant_id = ?1 AND phone = ?2"
		    " AND status = ?3 AND start_s >= ?4 ORDER BY start_s, id",
    /* Every change bumps version: the calendar outbox triggers (migration 7)
     * fire on it, in this same transaction. */
    [AS_CANCEL] = "UPDATE appointments SET status = ?3, updated_ms = ?4,"
		  " version = version + 1, changed_by = ?5"
		  " WHERE id = ?1 AND tenant_id = ?2",
    /* The right-hand sides see the old row: moved_from_s keeps the first start. */
    [AS_MOVE] = "UPDATE appointments SET start_s = ?3, end_s = ?4,"
		" provider_id = COALESCE(?5, provider_id),"
		" moved_from_s = COALESCE(moved_from_s, start_s), updated_ms = ?6,"
		" version = version + 1, changed_by = ?7"
		" WHERE id = ?1 AND tenant_id = ?2",
};

/* ---- helpers ----------------------------------------------------------- */

static int stmt_get(struct va_store *s, enum appt_stmt id, sqlite3_stmt **out)
{
	return va_store__stmt(s, (int)id, appt_sql[id], out);
}

/* Maps a failed step: the overlap triggers and a duplicate id are
 * VA_E_EXISTS, a lock still held by another writer after busy_timeout is
 * VA_E_AGAIN, anything else is logged as a database error. */
int va_store__step_error(struct va_store *s, int src, const char *op)
{
	sqlite3 *db = va_store__db(s);

	if (src == SQLITE_CONSTRAINT_TRIGGER && strcmp(sqlite3_errmsg(db), SLOT_TAKEN) == 0)
		return VA_E_EXISTS;
	if (src == SQLITE_CONSTRAINT_TRIGGER && strcmp(sqlite3_errmsg(db), TOO_LONG) == 0)
		return VA_E_INVAL;
	if (src == SQLITE_CONSTRAINT_PRIMARYKEY)
		return VA_E_EXISTS;
	if ((src & 0xff) == SQLITE_BUSY || (src & 0xff) == SQLITE_LOCKED) {
		VA_WARN("store", NULL, "db_busy", "op=%s", op);
		return VA_E_AGAIN;
	}
	return va_store__db_error(s, op);
}

/* Runs a statement that returns no rows. */
static int exec_simple(struct va_store *s, enum appt_stmt id, const char *op)
{
	sqlite3_stmt *st = NULL;
	int src;
	int rc = stmt_get(s, id, &st);

	if (rc)
		return rc;
	src = sqlite3_step(st);
	if (src != SQLITE_DONE)
		rc = va_store__step_error(s, src, op);
	va_store__stmt_done(st);
	return rc;
}

int va_store__begin(struct va_store *s, const char *op)
{
	return exec_simple(s, AS_BEGIN_IMMEDIATE, op);
}

int va_store__commit(struct va_store *s, const char *op)
{
	return exec_simple(s, AS_COMMIT, op);
}

void va_store__rollback(struct va_store *s)
{
	/* Fails harmlessly when SQLite already rolled back (e.g. on SQLITE_FULL). */
	if (sqlite3_get_autocommit(va_store__db(s)) == 0)
		exec_simple(s, AS_ROLLBACK, "appt_rollback");
}

/* Fixed-size fields may lack a terminator; never read past them. */
static int bind_field(sqlite3_stmt *st, int col, const char *p, size_t size)
{
	return sqlite3_bind_text(st, col, p, (int)strnlen(p, size), SQLITE_STATIC);
}

#define BIND_FIELD(st, col, a, f) bind_field((st), (col), (a)->f, sizeof((a)->f))

void va_store__column_text(sqlite3_stmt *st, int col, char *dst, size_t size)
{
	const unsigned char *v = sqlite3_column_text(st, col);

	va_strlcpy(dst, v ? (const char *)v : "", size);
}

/* A required text field: present and terminated inside its array. */
static bool field_ok(const char *p, size_t size)
{
	size_t n = strnlen(p, size);

	return n > 0 && n < size;
}

#define FIELD_OK(a, f) field_ok((a)->f, sizeof((a)->f))

static bool service_ok(enum va_service_kind k)
{
	return (int)k >= 0 && (int)k < VA_SERVICE__COUNT;
}

/* Copies a caller's string argument into a job's field. */
static int copy_arg(char *dst, size_t size, const char *src)
{
	if (!src || !src[0])
		return VA_E_INVAL;
	return va_strlcpy(dst, src, size) == VA_OK ? VA_OK : VA_E_INVAL;
}

/* prefix + 24 lowercase hex digits: 96 random bits, so ids from separate
 * processes on one file do not collide in practice (the primary key would
 * refuse it with VA_E_EXISTS if they ever did). */
int va_store__new_id(const char *prefix, char *dst, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char r[12];
	char id[8 + 2 * sizeof(r) + 1];
	size_t got = 0, pl = strlen(prefix);

	if (pl > 8)
		return VA_E_INVAL;
	while (got < sizeof(r)) {
		ssize_t n = getrandom(r + got, sizeof(r) - got, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			VA_ERROR("store", NULL, "new_id", "err=%s", strerror(errno));
			return VA_E_IO;
		}
		got += (size_t)n;
	}
	memcpy(id, prefix, pl);
	for (size_t i = 0; i < sizeof(r); i++) {
		id[pl + 2 * i] = hex[r[i] >> 4];
		id[pl + 2 * i + 1] = hex[r[i] & 0xf];
	}
	id[pl + 2 * sizeof(r)] = '\0';
	return va_strlcpy(dst, id, size);
}

static int bind_appt(sqlite3_stmt *st, const struct va_appointment *a)
{
	const char *status = va_appt_status_name(a->status);
	const char *service = va_service_code(a->service);
	int src;

	src = BIND_FIELD(st, 1, a, id);
	if (src == SQLITE_OK)
		src = BIND_FIELD(st, 2, a, tenant_id);
	if (src == SQLITE_OK)
		src = BIND_FIELD(st, 3, a, patient_name);
	if (src == SQLITE_OK)
		src = BIND_FIELD(st, 4, a, phone);
	if (src == SQLITE_OK)
		src = BIND_FIELD(st, 5, a, dob);
	if (src == SQLITE_OK)
		src = sqlite3_bind_int(st, 6, a->new_patient ? 1 : 0);
	if (src == SQLITE_OK)
		src = sqlite3_bind_text(st, 7, service ? service : "", -1, SQLITE_STATIC);
	if (src == SQLITE_OK)
		src = BIND_FIELD(st, 8, a, provider_id);
	if (src == SQLITE_OK)
		src = sqlite3_bind_int64(st, 9, a->start);
	if (src == SQLITE_OK)
		src = sqlite3_bind_int64(st, 10, a->end);
	if (src == SQLITE_OK)
		src = sqlite3_bind_text(st, 11, status ? status : "", -1, SQLITE_STATIC);
	if (src == SQLITE_OK)
		src = sqlite3_bind_int(st, 12, a->urgent ? 1 : 0);
	if (src == SQLITE_OK)
		src = BIND_FIELD(st, 13, a, notes);
	if (src == SQLITE_OK)
		src = BIND_FIELD(st, 14, a, session_id);
	if (src == SQLITE_OK)
		src = sqlite3_bind_int64(st, 15, a->created_ms);
	if (src == SQLITE_OK)
		src = sqlite3_bind_int64(st, 16, a->updated_ms);
	if (src == SQLITE_OK)
		src = sqlite3_bind_int(st, 17, a->version > 0 ? a->version : 1);
	if (src == SQLITE_OK)
		src =
		    sqlite3_bind_text(st, 18, a->changed_by[0] ? a->changed_by : VA_APPT_BY_VOICEAI,
				      -1, SQLITE_STATIC);
	return src;
}

static int read_appt(sqlite3_stmt *st, struct va_appointment *a)
{
	const unsigned char *status = sqlite3_column_text(st, 10);
	const unsigned char *service = sqlite3_column_text(st, 6);

	memset(a, 0, sizeof(*a));
	va_store__column_text(st, 0, a->id, sizeof(a->id));
	va_store__column_text(st, 1, a->tenant_id, sizeof(a->tenant_id));
	va_store__column_text(st, 2, a->patient_name, sizeof(a->patient_name));
	va_store__column_text(st, 3, a->phone, sizeof(a->phone));
	va_store__column_text(st, 4, a->dob, sizeof(a->dob));
	a->new_patient = sqlite3_column_int(st, 5) != 0;
	/* An unknown code (a service retired since) reads as NONE, not an error:
	 * the visit itself is still real. */
	a->service =
	    service && service[0] ? va_service_from_code((const char *)service) : VA_SERVICE_NONE;
	va_store__column_text(st, 7, a->provider_id, sizeof(a->provider_id));
	a->start = sqlite3_column_int64(st, 8);
	a->end = sqlite3_column_int64(st, 9);
	a->urgent = sqlite3_column_int(st, 11) != 0;
	va_store__column_text(st, 12, a->notes, sizeof(a->notes));
	va_store__column_text(st, 13, a->session_id, sizeof(a->session_id));
	a->created_ms = sqlite3_column_int64(st, 14);
	a->updated_ms = sqlite3_column_int64(st, 15);
	a->version = sqlite3_column_int(st, 16);
	va_store__column_text(st, 17, a->changed_by, sizeof(a->changed_by));
	if (!status || va_appt_status_parse((const char *)status, &a->status) != VA_OK) {
		VA_ERROR("store", NULL, "sqlite_error", "op=appt_read err=\"unknown status\"");
		return VA_E_DB;
	}
	return VA_OK;
}

/* ---- operations (connection locked) ------------------------------------ */

int va_store__appt_get_locked(struct va_store *s, const char *tenant_id, const char *id,
			      struct va_appointment *out)
{
	sqlite3_stmt *st = NULL;
	int src;
	int rc;

	rc = stmt_get(s, AS_GET, &st);
	if (rc)
		return rc;
	src = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (src == SQLITE_OK)
		src = sqlite3_bind_text(st, 2, tenant_id, -1, SQLITE_STATIC);
	if (src == SQLITE_OK)
		src = sqlite3_step(st);
	if (src == SQLITE_ROW)
		rc = read_appt(st, out);
	else if (src == SQLITE_DONE)
		rc = VA_E_NOTFOUND;
	else
		rc = va_store__step_error(s, src, "appt_get");
	va_store__stmt_done(st);
	return rc;
}

static int patient_upsert_locked(struct va_store *s, const struct va_appointment *a)
{
	sqlite3_stmt *st = NULL;
	int src;
	int rc;

	rc = stmt_get(s, AS_PATIENT_UPSERT, &st);
	if (rc)
		return rc;
	src = BIND_FIELD(st, 1, a, tenant_id);
	if (src == SQLITE_OK)
		src = BIND_FIELD(st, 2, a, phone);
	if (src == SQLITE_OK)
		src = BIND_FIELD(st, 3, a, patient_name);
	if (src == SQLITE_OK)
		src = BIND_FIELD(st, 4, a, dob);
	if (src == SQLITE_OK)
		src = sqlite3_bind_int64(st, 5, a->updated_ms);
	if (src == SQLITE_OK)
		src = sqlite3_step(st);
	if (src != SQLITE_DONE)
		rc = va_store__step_error(s, src, "patient_upsert");
	va_store__stmt_done(st);
	return rc;
}

static bool appt_valid(const struct va_appointment *a)
{
	return FIELD_OK(a, tenant_id) && FIELD_OK(a, provider_id) && FIELD_OK(a, phone) &&
	       FIELD_OK(a, patient_name) && a->start < a->end && service_ok(a->service) &&
	       (a->id[0] == '\0' || FIELD_OK(a, id));
}

/* The insert and the patient row commit together or not at all: a refused
 * booking leaves no trace. */
static int book_locked(struct va_store *s, const struct va_appointment *in,
		       struct va_appointment *out)
{
	struct va_appointment a = *in;
	sqlite3_stmt *st = NULL;
	bool in_tx = false;
	int src;
	int rc;

	if (!appt_valid(in))
		return VA_E_INVAL;
	if (!a.id[0]) {
		rc = va_store__new_id("apt_", a.id, sizeof(a.id));
		if (rc)
			return rc;
	}
	a.status = VA_APPT_BOOKED;
	a.created_ms = a.updated_ms = va_clock_wall_ms();

	rc = exec_simple(s, AS_BEGIN_IMMEDIATE, "appt_book_begin");
	if (rc)
		goto out;
	in_tx = true;
	rc = stmt_get(s, AS_INSERT, &st);
	if (rc)
		goto out;
	src = bind_appt(st, &a);
	if (src == SQLITE_OK)
		src = sqlite3_step(st);
	if (src != SQLITE_DONE) {
		rc = va_store__step_error(s, src, "appt_book");
		goto out;
	}
	va_store__stmt_done(st);
	st = NULL;
	rc = patient_upsert_locked(s, &a);
	if (rc)
		goto out;
	/* Hand back what was stored, not what was asked. */
	rc = va_store__appt_get_locked(s, a.tenant_id, a.id, out);
	if (rc)
		goto out;
	rc = exec_simple(s, AS_COMMIT, "appt_book_commit");
	if (rc)
		goto out;
	in_tx = false;
	VA_INFO("store", a.session_id[0] ? a.session_id : NULL, "appt_booked",
		"id=%s tenant=%s provider=%s start=%" PRId64 " end=%" PRId64, a.id, a.tenant_id,
		a.provider_id, a.start, a.end);
out:
	va_store__stmt_done(st);
	if (in_tx)
		va_store__rollback(s);
	if (rc == VA_E_EXISTS)
		VA_INFO("store", a.session_id[0] ? a.session_id : NULL, "appt_refused",
			"tenant=%s provider=%s start=%" PRId64 " end=%" PRId64, a.tenant_id,
			a.provider_id, a.start, a.end);
	return rc;
}

/* Runs AS_CANCEL or AS_MOVE on (tenant_id, id), bound from column 3 on by
 * the caller (src: how that binding went); then reads the row back into out. */
static int update_locked(struct va_store *s, sqlite3_stmt *st, int src, const char *tenant_id,
			 const char *id, const char *op, struct va_appointment *out)
{
	if (src == SQLITE_OK)
		src = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (src == SQLITE_OK)
		src = sqlite3_bind_text(st, 2, tenant_id, -1, SQLITE_STATIC);
	if (src == SQLITE_OK)
		src = sqlite3_step(st);
	va_store__stmt_done(st);
	if (src != SQLITE_DONE)
		return va_store__step_error(s, src, op);
	return va_store__appt_get_locked(s, tenant_id, id, out);
}

int va_store__appt_cancel_locked(struct va_store *s, const char *tenant_id, const char *id,
				 const char *by, bool own_tx, struct va_appointment *out)
{
	struct va_appointment cur;
	sqlite3_stmt *st = NULL;
	bool in_tx = false;
	int src;
	int rc;

	if (own_tx) {
		rc = exec_simple(s, AS_BEGIN_IMMEDIATE, "appt_cancel_begin");
		if (rc)
			goto out;
		in_tx = true;
	}
	rc = va_store__appt_get_locked(s, tenant_id, id, &cur);
	if (rc)
		goto out;
	if (cur.status == VA_APPT_CANCELLED) {
		/* Idempotent: a retried cancel (the caller asked twice, a client
		 * resent) is not an error. Nothing was written. */
		*out = cur;
		goto out;
	}
	if (cur.status != VA_APPT_BOOKED) {
		/* A visit that happened (or was missed) is history, not a booking. */
		rc = VA_E_STATE;
		goto out;
	}
	rc = stmt_get(s, AS_CANCEL, &st);
	if (rc)
		goto out;
	src = sqlite3_bind_text(st, 3, va_appt_status_name(VA_APPT_CANCELLED), -1, SQLITE_STATIC);
	if (src == SQLITE_OK)
		src = sqlite3_bind_int64(st, 4, va_clock_wall_ms());
	if (src == SQLITE_OK)
		src = sqlite3_bind_text(st, 5, by, -1, SQLITE_STATIC);
	rc = update_locked(s, st, src, tenant_id, id, "appt_cancel", out);
	if (rc)
		goto out;
	if (own_tx) {
		rc = exec_simple(s, AS_COMMIT, "appt_cancel_commit");
		if (rc)
			goto out;
		in_tx = false;
	}
	VA_INFO("store", NULL, "appt_cancelled", "id=%s tenant=%s by=%s", cur.id, cur.tenant_id,
		by);
out:
	if (in_tx)
		va_store__rollback(s);
	return rc;
}

int va_store__appt_move_locked(struct va_store *s, const char *tenant_id, const char *id,
			       int64_t start, int64_t end, const char *provider_id, const char *by,
			       bool own_tx, struct va_appointment *out)
{
	struct va_appointment cur;
	sqlite3_stmt *st = NULL;
	bool in_tx = false;
	int src;
	int rc;

	if (start >= end)
		return VA_E_INVAL;
	if (own_tx) {
		rc = exec_simple(s, AS_BEGIN_IMMEDIATE, "appt_move_begin");
		if (rc)
			goto out;
		in_tx = true;
	}
	rc = va_store__appt_get_locked(s, tenant_id, id, &cur);
	if (rc)
		goto out;
	if (cur.status != VA_APPT_BOOKED) {
		rc = VA_E_STATE;
		goto out;
	}
	rc = stmt_get(s, AS_MOVE, &st);
	if (rc)
		goto out;
	src = sqlite3_bind_int64(st, 3, start);
	if (src == SQLITE_OK)
		src = sqlite3_bind_int64(st, 4, end);
	if (src == SQLITE_OK)
		src = provider_id && provider_id[0]
			  ? sqlite3_bind_text(st, 5, provider_id, -1, SQLITE_STATIC)
			  : sqlite3_bind_null(st, 5);
	if (src == SQLITE_OK)
		src = sqlite3_bind_int64(st, 6, va_clock_wall_ms());
	if (src == SQLITE_OK)
		src = sqlite3_bind_text(st, 7, by, -1, SQLITE_STATIC);
	/* The update trigger refuses an overlap here, as on insert. */
	rc = update_locked(s, st, src, tenant_id, id, "appt_move", out);
	if (rc)
		goto out;
	if (own_tx) {
		rc = exec_simple(s, AS_COMMIT, "appt_move_commit");
		if (rc)
			goto out;
		in_tx = false;
	}
	VA_INFO("store", NULL, "appt_moved",
		"id=%s tenant=%s provider=%s from=%" PRId64 " start=%" PRId64 " end=%" PRId64
		" by=%s",
		cur.id, cur.tenant_id, out->provider_id, cur.start, start, end, by);
out:
	if (in_tx)
		va_store__rollback(s);
	return rc;
}

/* phone NULL: AS_LIST over [from, to); else AS_BY_PHONE from `from` on. */
static int list_locked(struct va_store *s, const char *tenant_id, const char *phone, int64_t from,
		       int64_t to, struct va_appointment **out, size_t *n)
{
	struct va_appointment *arr = NULL;
	size_t len = 0, cap = 0;
	sqlite3_stmt *st = NULL;
	int src;
	int rc;

	*out = NULL;
	*n = 0;
	rc = stmt_get(s, phone ? AS_BY_PHONE : AS_LIST, &st);
	if (rc)
		return rc;
	src = sqlite3_bind_text(st, 1, tenant_id, -1, SQLITE_STATIC);
	if (phone) {
		if (src == SQLITE_OK)
			src = sqlite3_bind_text(st, 2, phone, -1, SQLITE_STATIC);
		if (src == SQLITE_OK)
			src = sqlite3_bind_text(st, 3, va_appt_status_name(VA_APPT_BOOKED), -1,
						SQLITE_STATIC);
		if (src == SQLITE_OK)
			src = sqlite3_bind_int64(st, 4, from);
	} else {
		if (src == SQLITE_OK)
			src = sqlite3_bind_int64(st, 2, from);
		if (src == SQLITE_OK)
			src = sqlite3_bind_int64(st, 3, to);
	}
	if (src != SQLITE_OK) {
		rc = va_store__step_error(s, src, "appt_list");
		goto out;
	}
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		if (len == cap) {
			cap = cap ? cap * 2 : 16;
			arr = va_xrealloc(arr, cap * sizeof(*arr));
		}
		rc = read_appt(st, &arr[len]);
		if (rc)
			goto out;
		len++;
	}
	if (src != SQLITE_DONE) {
		rc = va_store__step_error(s, src, "appt_list");
		goto out;
	}
	*out = arr;
	*n = len;
	arr = NULL;
out:
	va_store__stmt_done(st);
	free(arr);
	return rc;
}

/* By phone, or (dob not NULL) by name and date of birth. */
static int patient_find_locked(struct va_store *s, const char *tenant_id, const char *key,
			       const char *dob, struct va_appointment *out)
{
	sqlite3_stmt *st = NULL;
	int src;
	int rc;

	rc = stmt_get(s, dob ? AS_PATIENT_BY_NAME : AS_PATIENT_GET, &st);
	if (rc)
		return rc;
	src = sqlite3_bind_text(st, 1, tenant_id, -1, SQLITE_STATIC);
	if (src == SQLITE_OK)
		src = sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	if (src == SQLITE_OK && dob)
		src = sqlite3_bind_text(st, 3, dob, -1, SQLITE_STATIC);
	if (src == SQLITE_OK)
		src = sqlite3_step(st);
	if (src == SQLITE_ROW) {
		memset(out, 0, sizeof(*out));
		va_strlcpy(out->tenant_id, tenant_id, sizeof(out->tenant_id));
		va_store__column_text(st, 0, out->phone, sizeof(out->phone));
		va_store__column_text(st, 1, out->patient_name, sizeof(out->patient_name));
		va_store__column_text(st, 2, out->dob, sizeof(out->dob));
		out->created_ms = sqlite3_column_int64(st, 3);
		out->updated_ms = sqlite3_column_int64(st, 4);
	} else if (src == SQLITE_DONE) {
		rc = VA_E_NOTFOUND;
	} else {
		rc = va_store__step_error(s, src, "patient_find");
	}
	va_store__stmt_done(st);
	return rc;
}

/* ---- synchronous API --------------------------------------------------- */

int va_store_appt_book_sync(struct va_store *s, const struct va_appointment *a,
			    struct va_appointment *out)
{
	struct va_appointment got;
	int rc;

	if (!s || !a || !appt_valid(a))
		return VA_E_INVAL;
	va_store__lock(s);
	rc = book_locked(s, a, &got);
	va_store__unlock(s);
	if (rc == VA_OK && out)
		*out = got;
	return rc;
}

int va_store_appt_list_sync(struct va_store *s, const char *tenant_id, int64_t from, int64_t to,
			    struct va_appointment **out, size_t *n)
{
	int rc;

	if (!s || !tenant_id || !tenant_id[0] || !out || !n)
		return VA_E_INVAL;
	va_store__lock(s);
	rc = list_locked(s, tenant_id, NULL, from, to, out, n);
	va_store__unlock(s);
	return rc;
}

/* ---- asynchronous API -------------------------------------------------- */

enum appt_op { OP_BOOK, OP_CANCEL, OP_MOVE, OP_PATIENT, OP_PATIENT_BY_NAME, OP_LIST, OP_BY_PHONE };

/* One job shape for every appointment call; `in` carries the appointment to
 * book, or the tenant_id/id/phone/provider_id arguments of the others. */
struct appt_job {
	struct va_store_job base;
	struct va_store *s;
	enum appt_op op;
	struct va_appointment in;
	int64_t from, to; /* list: the range; move: the new start and end */
	struct va_appointment out;
	struct va_appointment *list; /* list result, owned until freed after the callback */
	size_t n;
	va_store_appt_cb cb;
	va_store_appt_list_cb list_cb;
	void *arg;
};

static void run_appt(struct va_store_job *j, void *ctx)
{
	struct appt_job *aj = va_store__job_of(j, struct appt_job);
	struct va_store *s = ctx;
	const struct va_appointment *in = &aj->in;

	switch (aj->op) {
	case OP_BOOK:
		j->status = book_locked(s, in, &aj->out);
		break;
	case OP_CANCEL:
		j->status = va_store__appt_cancel_locked(s, in->tenant_id, in->id,
							 VA_APPT_BY_VOICEAI, true, &aj->out);
		break;
	case OP_MOVE:
		j->status = va_store__appt_move_locked(s, in->tenant_id, in->id, aj->from, aj->to,
						       in->provider_id[0] ? in->provider_id : NULL,
						       VA_APPT_BY_VOICEAI, true, &aj->out);
		break;
	case OP_PATIENT:
		j->status = patient_find_locked(s, in->tenant_id, in->phone, NULL, &aj->out);
		break;
	case OP_PATIENT_BY_NAME:
		j->status =
		    patient_find_locked(s, in->tenant_id, in->patient_name, in->dob, &aj->out);
		break;
	case OP_LIST:
		j->status =
		    list_locked(s, in->tenant_id, NULL, aj->from, aj->to, &aj->list, &aj->n);
		break;
	case OP_BY_PHONE:
		j->status =
		    list_locked(s, in->tenant_id, in->phone, aj->from, 0, &aj->list, &aj->n);
		break;
	}
}

static void complete_appt(struct va_store_job *j)
{
	struct appt_job *aj = va_store__job_of(j, struct appt_job);
	bool ok = j->status == VA_OK;

	if (aj->op == OP_LIST || aj->op == OP_BY_PHONE) {
		if (aj->list_cb)
			aj->list_cb(j->status, ok ? aj->list : NULL, ok ? aj->n : 0, aj->arg);
		free(aj->list);
	} else if (aj->cb) {
		aj->cb(j->status, ok ? &aj->out : NULL, aj->arg);
	}
	/* After the caller's callback: a booking is confirmed to the caller
	 * before anything is sent to a calendar. */
	if (ok && (aj->op == OP_BOOK || aj->op == OP_CANCEL || aj->op == OP_MOVE))
		va_store__changed(aj->s, aj->out.tenant_id);
	free(aj);
}

static struct appt_job *job_new(enum appt_op op)
{
	struct appt_job *j = va_xcalloc(1, sizeof(*j));

	j->base.run = run_appt;
	j->base.complete = complete_appt;
	j->op = op;
	return j;
}

/* Takes j on success; frees it otherwise (its callback never runs). */
static int job_submit(struct va_store *s, struct appt_job *j)
{
	int rc;

	j->s = s;
	rc = va_store__submit(s, &j->base);

	if (rc)
		free(j);
	return rc;
}

int va_store_appt_book(struct va_store *s, const struct va_appointment *a, va_store_appt_cb cb,
		       void *arg)
{
	struct appt_job *j;

	if (!s || !a || !appt_valid(a))
		return VA_E_INVAL;
	j = job_new(OP_BOOK);
	j->in = *a;
	j->cb = cb;
	j->arg = arg;
	return job_submit(s, j);
}

int va_store_appt_list(struct va_store *s, const char *tenant_id, int64_t from, int64_t to,
		       va_store_appt_list_cb cb, void *arg)
{
	struct appt_job *j;

	if (!s || !cb)
		return VA_E_INVAL;
	j = job_new(OP_LIST);
	if (copy_arg(j->in.tenant_id, sizeof(j->in.tenant_id), tenant_id)) {
		free(j);
		return VA_E_INVAL;
	}
	j->from = from;
	j->to = to;
	j->list_cb = cb;
	j->arg = arg;
	return job_submit(s, j);
}

int va_store_appt_find_by_phone(struct va_store *s, const char *tenant_id, const char *phone,
				int64_t from, va_store_appt_list_cb cb, void *arg)
{
	struct appt_job *j;

	if (!s || !cb)
		return VA_E_INVAL;
	j = job_new(OP_BY_PHONE);
	if (copy_arg(j->in.tenant_id, sizeof(j->in.tenant_id), tenant_id) ||
	    copy_arg(j->in.phone, sizeof(j->in.phone), phone)) {
		free(j);
		return VA_E_INVAL;
	}
	j->from = from;
	j->list_cb = cb;
	j->arg = arg;
	return job_submit(s, j);
}

int va_store_appt_cancel(struct va_store *s, const char *tenant_id, const char *id,
			 va_store_appt_cb cb, void *arg)
{
	struct appt_job *j;

	if (!s)
		return VA_E_INVAL;
	j = job_new(OP_CANCEL);
	if (copy_arg(j->in.tenant_id, sizeof(j->in.tenant_id), tenant_id) ||
	    copy_arg(j->in.id, sizeof(j->in.id), id)) {
		free(j);
		return VA_E_INVAL;
	}
	j->cb = cb;
	j->arg = arg;
	return job_submit(s, j);
}

int va_store_appt_move(struct va_store *s, const char *tenant_id, const char *id, int64_t start,
		       int64_t end, const char *provider_id, va_store_appt_cb cb, void *arg)
{
	struct appt_job *j;

	if (!s || start >= end)
		return VA_E_INVAL;
	j = job_new(OP_MOVE);
	if (copy_arg(j->in.tenant_id, sizeof(j->in.tenant_id), tenant_id) ||
	    copy_arg(j->in.id, sizeof(j->in.id), id) ||
	    (provider_id && provider_id[0] &&
	     copy_arg(j->in.provider_id, sizeof(j->in.provider_id), provider_id))) {
		free(j);
		return VA_E_INVAL;
	}
	j->from = start;
	j->to = end;
	j->cb = cb;
	j->arg = arg;
	return job_submit(s, j);
}

int va_store_patient_find(struct va_store *s, const char *tenant_id, const char *phone,
			  va_store_appt_cb cb, void *arg)
{
	struct appt_job *j;

	if (!s || !cb)
		return VA_E_INVAL;
	j = job_new(OP_PATIENT);
	if (copy_arg(j->in.tenant_id, sizeof(j->in.tenant_id), tenant_id) ||
	    copy_arg(j->in.phone, sizeof(j->in.phone), phone)) {
		free(j);
		return VA_E_INVAL;
	}
	j->cb = cb;
	j->arg = arg;
	return job_submit(s, j);
}

int va_store_patient_find_by_name(struct va_store *s, const char *tenant_id, const char *name,
				  const char *dob, va_store_appt_cb cb, void *arg)
{
	struct appt_job *j;

	if (!s || !cb || !dob || !dob[0] || !name || !name[0])
		return VA_E_INVAL;
	j = job_new(OP_PATIENT_BY_NAME);
	if (copy_arg(j->in.tenant_id, sizeof(j->in.tenant_id), tenant_id) ||
	    copy_arg(j->in.patient_name, sizeof(j->in.patient_name), name) ||
	    copy_arg(j->in.dob, sizeof(j->in.dob), dob)) {
		free(j);
		return VA_E_INVAL;
	}
	j->cb = cb;
	j->arg = arg;
	return job_submit(s, j);
}
