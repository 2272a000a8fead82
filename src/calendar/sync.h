/* SPDX-License-Identifier: MIT */
/*
 * sync.h - keeps the practices' calendars in step with the appointments, on
 * the server's event loop:
 *
 *  - push: drains each calendar's outbox (store.h) in order, one request at a
 *    time per calendar, so a calendar receives the changes in the order they
 *    were made; a failure is retried with capped exponential back-off while
 *    other calendars (and every call) carry on. A booking wakes its
 *    practice's calendars at once (the store's change hook).
 *  - pull: asks each calendar what changed (sync-collection with the stored
 *    token, or a time-range query where the server has no sync), turns
 *    staff's events into busy time for the scheduler (va_holds blocks), and
 *    applies staff's moves and deletions of our own events to the
 *    appointments.
 *
 * Calendars are read from the store, so one connected from the command line
 * or another server is picked up within reload_ms.
 */
#ifndef VA_CALENDAR_SYNC_H
#define VA_CALENDAR_SYNC_H

#include "calendar/calendar.h"
#include "core/latency.h"
#include "llm/http_stream.h"
#include "schedule/slots.h"
#include "store/store.h"
#include "tenant/tenant.h"

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct va_calsync;

struct va_calsync_opts {
	int64_t pull_ms;       /* between pulls of one calendar (default 5 s) */
	int64_t reload_ms;     /* between re-reads of the calendar list (default 5 s) */
	int64_t retry_base_ms; /* first retry delay (default 1 s), doubling */
	int64_t retry_max_ms;  /* retry delay cap (default 5 min) */
	int window_days;       /* busy time is read this far ahead (default 120) */
};

/* The practice of a calendar (its zone and provider names); NULL when the
 * tenant is unknown. Borrowed for the duration of the call. */
typedef const struct va_tenant *(*va_calsync_tenant_fn)(const char *tenant_id, void *arg);

struct va_calsync_stats {
	uint64_t delivered;	    /* changes the calendars now have */
	uint64_t retries;	    /* failed attempts that will be retried */
	uint64_t dead;		    /* changes given up on */
	uint64_t pulls;		    /* successful pulls */
	uint64_t pull_errors;	    /* failed pulls */
	struct va_latency delivery; /* change committed -> calendar has it (us) */
};

/* holds receives every calendar's busy time as blocks (source = calendar
 * id). All borrowed; they must outlive the sync. opts NULL = defaults. */
int va_calsync_new(uv_loop_t *loop, struct va_store *store, struct va_llm_http *http,
		   struct va_holds *holds, va_calsync_tenant_fn tenant, void *tenant_arg,
		   const struct va_calsync_opts *opts, struct va_calsync **out);
/* Stops: aborts requests in flight (their changes stay in the outbox and are
 * delivered after a restart) and frees once the store has answered what was
 * asked of it. Call before va_store_free. Accepts NULL. */
void va_calsync_free(struct va_calsync *cs);

/* Deliver tenant_id's pending changes now (NULL: every tenant's). */
void va_calsync_kick(struct va_calsync *cs, const char *tenant_id);
/* Pull tenant_id's calendars now and retry their failed changes now. */
void va_calsync_sync_now(struct va_calsync *cs, const char *tenant_id);
/* Re-read the calendar list now (after a connect or disconnect). */
void va_calsync_reload(struct va_calsync *cs);

const struct va_calsync_stats *va_calsync_stats(const struct va_calsync *cs);
/* The calendars as last read (counts as of then), for status pages. */
const struct va_calendar *va_calsync_calendars(const struct va_calsync *cs, size_t *n);

#endif
