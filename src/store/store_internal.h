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

/* Statement slots a store keeps for the other files (each file owns a range). */
#define VA_STORE__EXT_STMTS 32

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

/* Applies the migrations the database lacks, one transaction each. */
int va_store__migrate(sqlite3 *db, char *why, size_t whysz);
/* The schema version this build migrates to (number of migrations). */
int va_store__schema_version(void);

#endif
