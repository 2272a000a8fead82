/* SPDX-License-Identifier: MIT */
/*
 * store.h - persistence behind one interface (SQLite today; PostgreSQL later).
 *
 * The loop thread never blocks on the database. Asynchronous calls copy their
 * input, queue a job for the store's own thread and return at once; the
 * callback runs later on the loop thread (through a uv_async_t). An async call
 * that returns an error never calls its callback (libuv's rule). Jobs run in
 * the order they were queued, so a conversation's turns land in order.
 *
 * The *_sync calls are for start-up and the command line only (before or
 * without a serving loop). The schema is versioned: migrations run in
 * va_store_open inside a transaction and record PRAGMA user_version.
 *
 * Nothing outside src/store/ sees SQL.
 *
 * Threads: every call, async or sync, is made on the loop thread (the one that
 * owns loop). The *_sync calls share the connection with the storage thread
 * under a lock, so a sync call made while jobs are in flight is safe but blocks
 * the loop until the current job finishes: keep them out of serving code.
 * While jobs are pending the store keeps the loop alive (like uv_queue_work);
 * an idle store does not. Never call va_store_free from a store callback.
 *
 * Turns reference their conversation: save the conversation row (at least
 * once) before its first turn; queue order makes that free.
 */
#ifndef VA_STORE_STORE_H
#define VA_STORE_STORE_H

#include "schedule/appointment.h"
#include "tenant/tenant.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct va_store;

/* Async jobs that may be outstanding (queued, running or with a completion not
 * yet delivered); beyond it the async calls return VA_E_FULL. */
#define VA_STORE_MAX_PENDING 65536

/* One call's conversation, as persisted. Times are epoch milliseconds; 0 = not yet. */
struct va_conv_row {
	char session_id[64]; /* ConversationRelay sessionId (primary key) */
	char call_sid[64];
	char tenant_id[64];
	char from[64];
	char to[64];
	char state[24]; /* e.g. active, ended, handoff, failed */
	char agent[32]; /* which agent answered */
	int64_t started_ms;
	int64_t ended_ms;
	int turns;
	int interruptions;
	char *details_json; /* owned, may be NULL: what the agent extracted, as a JSON object text */
};

enum va_turn_role { VA_TURN_CALLER = 0, VA_TURN_AGENT = 1, VA_TURN_SYSTEM = 2 };

struct va_turn_row {
	char session_id[64];
	int seq; /* 0-based order within the conversation */
	enum va_turn_role role;
	char *text;  /* owned: what was said (agent: everything it produced) */
	char *heard; /* owned, may be NULL: agent turn cut by an interrupt: what the caller heard */
	bool interrupted;
	int64_t started_ms;
	int64_t ended_ms;
	int64_t first_token_us; /* agent turn: prompt -> first token, microseconds; -1 n/a */
	int64_t last_token_us;	/* agent turn: prompt -> last token; -1 n/a */
	int64_t model_request_us; /* language model turns: prompt -> request sent; -1 n/a */
	int64_t model_first_us;	  /* language model turns: prompt -> first model token; -1 n/a */
};

struct va_conv_loaded {
	struct va_conv_row conv;
	size_t n_turns;
	struct va_turn_row *turns; /* owned array */
};

typedef void (*va_store_cb)(int status, void *arg);
/* loaded is owned by the callback (free with va_conv_loaded_free); NULL on error. */
typedef void (*va_store_load_cb)(int status, struct va_conv_loaded *loaded, void *arg);

/* Opens (creating) the database at path and migrates it. loop may be NULL for
 * command-line use, in which case only the *_sync calls work. */
int va_store_open(const char *path, uv_loop_t *loop, struct va_store **out, char *why,
		  size_t whysz);
/* Runs every queued job, then closes. Call on the loop thread, with the loop
 * still able to run (pending callbacks are delivered before it returns).
 * Accepts NULL. */
void va_store_free(struct va_store *s);
/* Jobs queued but not yet completed. */
size_t va_store_pending(const struct va_store *s);

/* Tenants (synchronous: start-up, CLI). */
int va_store_tenant_put_sync(struct va_store *s, const struct va_tenant *t);
int va_store_tenant_get_sync(struct va_store *s, const char *id, struct va_tenant *out);
/* *out is a malloc'ed array (free()); *n its length, ordered by id. */
int va_store_tenant_list_sync(struct va_store *s, struct va_tenant **out, size_t *n);
int va_store_conv_count_sync(struct va_store *s, int64_t *n);

/* Tenants and conversations (asynchronous, loop thread). Inputs are copied. */
int va_store_tenant_put(struct va_store *s, const struct va_tenant *t, va_store_cb cb, void *arg);
/* Inserts or updates the conversation row (by session_id). cb may be NULL. */
int va_store_conv_save(struct va_store *s, const struct va_conv_row *c, va_store_cb cb, void *arg);
/* Inserts or replaces one turn (by session_id + seq). cb may be NULL. */
int va_store_turn_save(struct va_store *s, const struct va_turn_row *t, va_store_cb cb, void *arg);
/* Loads a conversation and its turns; VA_E_NOTFOUND through cb if absent. */
int va_store_conv_load(struct va_store *s, const char *session_id, va_store_load_cb cb, void *arg);

/* ---- appointments ------------------------------------------------------
 *
 * Booking is atomic and the database itself refuses a second booking that
 * overlaps a live one (status booked) of the same provider, so two calls
 * booking the same slot at the same instant cannot both win — even from two
 * processes on one database file. A refused booking completes with
 * VA_E_EXISTS; VA_E_AGAIN means another writer held the file past the busy
 * timeout (nothing was written).
 */

typedef void (*va_store_appt_cb)(int status, const struct va_appointment *appt, void *arg);
/* appts is owned by the store: valid only during the callback. */
typedef void (*va_store_appt_list_cb)(int status, const struct va_appointment *appts, size_t n,
				      void *arg);

/* Books a (copied; id assigned when empty; status forced to booked;
 * created/updated set). cb gets the stored appointment. Also records the
 * patient (tenant, phone, name, dob) for later calls. */
int va_store_appt_book(struct va_store *s, const struct va_appointment *a, va_store_appt_cb cb,
		       void *arg);
/* Appointments of tenant_id overlapping [from, to) (0, 0 = all), any status,
 * ordered by start. */
int va_store_appt_list(struct va_store *s, const char *tenant_id, int64_t from, int64_t to,
		       va_store_appt_list_cb cb, void *arg);
/* Upcoming (start >= from) booked appointments of tenant_id for a phone. */
int va_store_appt_find_by_phone(struct va_store *s, const char *tenant_id, const char *phone,
				int64_t from, va_store_appt_list_cb cb, void *arg);
/* Cancels appointment id of tenant_id (VA_E_NOTFOUND if absent or another
 * tenant's). cb gets the updated appointment. Cancelling a cancelled one is
 * VA_OK; a completed or no-show one is VA_E_STATE. */
int va_store_appt_cancel(struct va_store *s, const char *tenant_id, const char *id,
			 va_store_appt_cb cb, void *arg);
/* Moves appointment id to [start, end) with provider_id (NULL = keep), with
 * the same overlap guarantee as booking (VA_E_EXISTS when taken). The row
 * keeps its id; its status stays booked and it records that it was moved.
 * VA_E_NOTFOUND as for cancel; VA_E_STATE unless it is booked. */
int va_store_appt_move(struct va_store *s, const char *tenant_id, const char *id, int64_t start,
		       int64_t end, const char *provider_id, va_store_appt_cb cb, void *arg);
/* Is this phone a known patient of tenant_id? cb status VA_OK with a
 * synthesized appointment carrying patient_name/phone/dob, or VA_E_NOTFOUND. */
int va_store_patient_find(struct va_store *s, const char *tenant_id, const char *phone,
			  va_store_appt_cb cb, void *arg);

/* A patient calling from another phone: the same name (case-insensitive)
 * and date of birth ("YYYY-MM-DD"). Like va_store_patient_find; the
 * synthesized appointment carries the phone the practice knows them by. */
int va_store_patient_find_by_name(struct va_store *s, const char *tenant_id, const char *name,
				  const char *dob, va_store_appt_cb cb, void *arg);

/* Synchronous forms for the command line and tests. *out is malloc'ed. */
int va_store_appt_book_sync(struct va_store *s, const struct va_appointment *a,
			    struct va_appointment *out);
int va_store_appt_list_sync(struct va_store *s, const char *tenant_id, int64_t from, int64_t to,
			    struct va_appointment **out, size_t *n);

void va_conv_row_release(struct va_conv_row *c);
void va_turn_row_release(struct va_turn_row *t);
void va_conv_loaded_free(struct va_conv_loaded *l);

#endif
