/* SPDX-License-Identifier: MIT */
/*
 * store_internal.h - shared by the files of src/store/ only: the job queue that
 * carries work to the storage thread and completions back to the loop thread,
 * and the schema migrations. Nothing here is part of the store's contract.
 */
#ifndef VA_STORE_STORE_INTERNAL_H
#define VA_STORE_STORE_INTERNAL_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

/* Recovers the job of a given kind from its embedded base (field `base`). */
#define va_store__job_of(ptr, type) ((type *)(void *)((char *)(ptr)-offsetof(type, base)))

/* One unit of work. Kinds embed this as `base` and add their owned input. */
struct va_store_job {
	struct va_store_job *next;
	/* Storage thread: does the work and sets status. */
	void (*run)(struct va_store_job *j, void *ctx);
	/* Loop thread: calls the user's callback, then frees the job. */
	void (*complete)(struct va_store_job *j);
	int status;
};

/*
 * The storage thread and its two lists. `queue` is filled on the loop thread
 * and drained by the storage thread; `done` the other way round, woken by a
 * uv_async_t. Both lists are under `mu`. `pending` and `closing` are touched on
 * the loop thread only, so they need no lock: a job counts as pending from
 * submit until its completion has run, which makes the bound deterministic.
 */
struct va_store_worker {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct va_store_job *queue_head, *queue_tail;
	struct va_store_job *done_head, *done_tail;
	bool stop; /* under mu: finish the queue, then exit */

	pthread_t thread;
	uv_async_t *async; /* own allocation, freed by its close callback */
	/* Wraps every job's run (the store takes its connection lock there). */
	void (*exec)(void *ctx, struct va_store_job *j);
	void *ctx;

	size_t pending; /* loop thread only */
	size_t max_pending;
	bool closing; /* loop thread only: refuse new jobs */
};

/* Starts the thread and the async handle on loop (call on the loop thread). */
int va_store__worker_start(struct va_store_worker *w, uv_loop_t *loop, size_t max_pending,
			   void (*exec)(void *ctx, struct va_store_job *j), void *ctx);
/* Queues j (ownership passes on success). VA_E_FULL at max_pending,
 * VA_E_CLOSED once stopping; on error the caller still owns j. */
int va_store__worker_submit(struct va_store_worker *w, struct va_store_job *j);
/* Runs every queued job, joins the thread, delivers the remaining completions
 * on the calling (loop) thread and closes the async handle. */
void va_store__worker_stop(struct va_store_worker *w);

/*
 * The connection, for the other files of src/store/ (appointments_sqlite.c).
 * struct va_store stays private to store_sqlite.c; these are its seams.
 */
struct va_store;

/* Statement slots a store keeps for the other files (each file owns a range:
 * appointments_sqlite.c from 0, calendar_sqlite.c from VA_STORE__CAL_STMTS). */
#define VA_STORE__EXT_STMTS 64
#define VA_STORE__CAL_STMTS 24

/* Serializes the connection between the storage thread and the sync calls.
 * Jobs' run functions are already called with it held. */
void va_store__lock(struct va_store *s);
void va_store__unlock(struct va_store *s);
/* The connection (lock held). */
sqlite3 *va_store__db(struct va_store *s);
/* The prepared statement cached in slot (0..VA_STORE__EXT_STMTS-1), prepared
 * from sql on first use; every use of a slot must pass the same sql. Lock held. */
int va_store__stmt(struct va_store *s, int slot, const char *sql, sqlite3_stmt **out);
/* Resets a cached statement and clears its bindings (NULL is fine). */
void va_store__stmt_done(sqlite3_stmt *st);
/* Logs op with SQLite's message (never the row values); returns VA_E_DB. */
int va_store__db_error(struct va_store *s, const char *op);
/* Queues j on the storage thread: VA_E_INVAL without a store, VA_E_STATE when
 * it was opened without a loop, else as va_store__worker_submit. */
int va_store__submit(struct va_store *s, struct va_store_job *j);

/* Shared by the files of src/store/ (lock held). step_error maps a failed
 * sqlite3_step: a lock still held by another writer after busy_timeout is
 * VA_E_AGAIN, the overlap triggers and duplicate keys VA_E_EXISTS, the
 * "too long" trigger VA_E_INVAL, anything else is logged (never the row's
 * values) as VA_E_DB. begin is BEGIN IMMEDIATE; rollback does nothing when no
 * transaction is open. column_text copies a text column ("" for NULL),
 * truncated to size. */
int va_store__step_error(struct va_store *s, int src, const char *op);
int va_store__begin(struct va_store *s, const char *op);
int va_store__commit(struct va_store *s, const char *op);
void va_store__rollback(struct va_store *s);
void va_store__column_text(sqlite3_stmt *st, int col, char *dst, size_t size);
/* A new random id: prefix (at most 8 characters) + 24 hex digits. */
int va_store__new_id(const char *prefix, char *dst, size_t size);

/* Appointment changes for the other files of src/store/ (lock held). by is
 * who made the change (changed_by); with own_tx false the caller holds an
 * open write transaction and commits or rolls back itself. Same results as
 * the public va_store_appt_cancel / va_store_appt_move. */
struct va_appointment;
int va_store__appt_get_locked(struct va_store *s, const char *tenant_id, const char *id,
			      struct va_appointment *out);
int va_store__appt_cancel_locked(struct va_store *s, const char *tenant_id, const char *id,
				 const char *by, bool own_tx, struct va_appointment *out);
int va_store__appt_move_locked(struct va_store *s, const char *tenant_id, const char *id,
			       int64_t start, int64_t end, const char *provider_id, const char *by,
			       bool own_tx, struct va_appointment *out);

/* Loop thread: an appointment change committed (runs the change hook). */
void va_store__changed(struct va_store *s, const char *tenant_id);

/* Applies the migrations the database lacks, one transaction each. */
int va_store__migrate(sqlite3 *db, char *why, size_t whysz);
/* The schema version this build migrates to (number of migrations). */
int va_store__schema_version(void);

#endif
