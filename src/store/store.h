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

#include "calendar/calendar.h"
#include "schedule/appointment.h"
#include "schedule/slots.h"
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
	char
	    *details_json; /* owned, may be NULL: what the agent extracted, as a JSON object text */
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
	int64_t first_token_us;	  /* agent turn: prompt -> first token, microseconds; -1 n/a */
	int64_t last_token_us;	  /* agent turn: prompt -> last token; -1 n/a */
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

/* ---- calendars -----------------------------------------------------------
 *
 * Each change of an appointment (booking, move, cancellation, from any path)
 * writes one outbox row per connected calendar of its practice in the same
 * transaction (a database trigger, so no path can forget). The calendar sync
 * (src/calendar/sync.h) drains the outbox, one row at a time per calendar in
 * row order, and records each result here. What a calendar holds of ours is a
 * link (href, ETag, the version it has), so delivery is idempotent: a row
 * whose version the calendar already has completes without a request.
 */

/* Registers fn to run on the loop thread after any appointment change has
 * committed (tenant_id borrowed for the call). One hook per store; NULL
 * removes it. Lets the sync deliver at once instead of at its next poll. */
void va_store_set_change_hook(struct va_store *s, void (*fn)(const char *tenant_id, void *arg),
			      void *arg);

/* Connects (id "" assigns one; an existing id of the same tenant is
 * updated, keeping its sync state) or disconnects a calendar. Disconnecting
 * drops its outbox rows, links and busy time, not the appointments. */
int va_store_cal_put_sync(struct va_store *s, const struct va_calendar *c, struct va_calendar *out);
int va_store_cal_delete_sync(struct va_store *s, const char *tenant_id, const char *id);
/* tenant_id NULL = every practice's. *out malloc'ed (free()), with the
 * outbox and busy counts filled, ordered by tenant then creation. */
int va_store_cal_list_sync(struct va_store *s, const char *tenant_id, struct va_calendar **out,
			   size_t *n);

typedef void (*va_store_cal_list_cb)(int status, const struct va_calendar *v, size_t n, void *arg);
typedef void (*va_store_cal_cb)(int status, const struct va_calendar *c, void *arg);
int va_store_cal_list(struct va_store *s, const char *tenant_id, va_store_cal_list_cb cb,
		      void *arg);
int va_store_cal_put(struct va_store *s, const struct va_calendar *c, va_store_cal_cb cb,
		     void *arg);
int va_store_cal_delete(struct va_store *s, const char *tenant_id, const char *id, va_store_cb cb,
			void *arg);

/* The next change to deliver to a calendar: its oldest pending row that is
 * due, with the appointment as it is now and the calendar's link to it. */
struct va_outbox_item {
	int64_t row_id;
	char calendar_id[40];
	int appt_version; /* the version the row asks for */
	int attempts;	  /* failed attempts so far */
	int64_t created_ms;
	struct va_appointment appt;
	bool linked; /* the calendar holds a copy: */
	char href[VA_CAL_URL_MAX];
	char etag[256];
	int published_version;
};
/* item NULL with VA_E_NOTFOUND when nothing is due; next_due_ms is then the
 * earliest retry time of a pending row (0 = none pending). */
typedef void (*va_store_outbox_cb)(int status, const struct va_outbox_item *item,
				   int64_t next_due_ms, void *arg);
int va_store_outbox_next(struct va_store *s, const char *calendar_id, int64_t now_ms,
			 va_store_outbox_cb cb, void *arg);

enum va_outbox_link { VA_OUTBOX_LINK_KEEP, VA_OUTBOX_LINK_SET, VA_OUTBOX_LINK_DROP };

/* What became of a delivery. */
struct va_outbox_result {
	int64_t row_id;
	char calendar_id[40];
	char appointment_id[40];
	bool delivered; /* the calendar now has `version` (or its removal) */
	int version;	/* delivered: rows of this appointment up to it are done */
	enum va_outbox_link link;
	char href[VA_CAL_URL_MAX]; /* LINK_SET */
	char etag[256];		   /* LINK_SET; "" when the server gave none */
	/* Not delivered: */
	bool dead;		 /* give up on this row (kept, with the error) */
	int64_t next_attempt_ms; /* retry time */
	char error[200];	 /* what went wrong (no secrets, no patient data) */
	char cal_state[16];	 /* "" = leave; else ok | attention | error */
};
int va_store_outbox_result(struct va_store *s, const struct va_outbox_result *r, va_store_cb cb,
			   void *arg);
/* Makes every pending row of tenant_id's calendars due now (retry now). */
int va_store_outbox_retry_now(struct va_store *s, const char *tenant_id, va_store_cb cb, void *arg);

/* A pull's outcome for one calendar resource (href). */
struct va_cal_event_in {
	int64_t start, end;
	bool cancelled;		 /* STATUS:CANCELLED */
	bool transparent;	 /* TRANSP:TRANSPARENT */
	char appointment_id[40]; /* X-VOICEAI-APPOINTMENT-ID, "" when not ours */
};
struct va_cal_resource {
	char href[VA_CAL_URL_MAX];
	char etag[256];
	bool deleted;		    /* gone from the calendar */
	size_t n;		    /* occurrences (a series is expanded) */
	struct va_cal_event_in *ev; /* owned by the caller of apply */
};
struct va_cal_pull {
	char calendar_id[40];
	char tenant_id[64];
	bool full;	 /* every resource is listed: forget busy time of others */
	bool save_token; /* store sync_token (may be "") */
	char sync_token[512];
	size_t n;
	const struct va_cal_resource *res;
	int64_t now_ms;
};
/* Applies a pull: staff's events become busy time (transparent and
 * cancelled ones do not block); a change to one of our events moves or
 * cancels the appointment (changed_by "calendar:<id>"), the link taking the
 * new ETag in the same transaction so nothing echoes back; a move that
 * collides with another booking is not applied and is reported in the
 * calendar's last_error for a person to settle. cb gets the calendar's busy
 * time afterwards (provider_id = the calendar's provider). */
typedef void (*va_store_busy_cb)(int status, const struct va_busy *v, size_t n, void *arg);
int va_store_cal_pull_apply(struct va_store *s, const struct va_cal_pull *p, va_store_busy_cb cb,
			    void *arg);
/* The calendar's busy time as stored (at start-up). */
int va_store_cal_busy(struct va_store *s, const char *calendar_id, va_store_busy_cb cb, void *arg);
/* Links of a calendar: href -> etag, for telling our own writes apart. */
struct va_cal_link {
	char appointment_id[40];
	char href[VA_CAL_URL_MAX];
	char etag[256];
};
typedef void (*va_store_links_cb)(int status, const struct va_cal_link *v, size_t n, void *arg);
int va_store_cal_links(struct va_store *s, const char *calendar_id, va_store_links_cb cb,
		       void *arg);
/* Records a calendar's state after an exchange: state/last_error ("" =
 * leave), ok_ms / pull_ms (0 = leave). */
int va_store_cal_mark(struct va_store *s, const char *calendar_id, const char *state,
		      const char *last_error, int64_t ok_ms, int64_t pull_ms, va_store_cb cb,
		      void *arg);

/* Feed addresses: a token (shown once) is stored as its SHA-256 hex. */
int va_store_feed_add_sync(struct va_store *s, const char *tenant_id, const char *provider_id,
			   const char *token_sha256);
/* Revokes every feed of tenant_id (and provider_id, NULL = all). */
int va_store_feed_revoke_sync(struct va_store *s, const char *tenant_id, const char *provider_id);
/* cb gets VA_OK with the feed's tenant and provider in c->tenant_id and
 * c->provider_id (other fields empty), VA_E_NOTFOUND for an unknown or
 * revoked token. */
int va_store_feed_find(struct va_store *s, const char *token_sha256, va_store_cal_cb cb, void *arg);
int va_store_feed_add(struct va_store *s, const char *tenant_id, const char *provider_id,
		      const char *token_sha256, va_store_cb cb, void *arg);
int va_store_feed_revoke(struct va_store *s, const char *tenant_id, const char *provider_id,
			 va_store_cb cb, void *arg);

void va_conv_row_release(struct va_conv_row *c);
void va_turn_row_release(struct va_turn_row *t);
void va_conv_loaded_free(struct va_conv_loaded *l);

#endif
