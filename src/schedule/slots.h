/* SPDX-License-Identifier: MIT */
/*
 * slots.h - finding free appointment slots. Pure: the caller supplies the
 * practice, its time zone, "now", what is already booked and held, and the
 * caller's wish; the finder returns concrete slots, never invented ones.
 *
 * A slot fits when it lies inside the practice's hours and the provider's
 * hours that day, the day is not a closure, it starts on the slot step, at or
 * after now + min_lead_min, and it overlaps no busy interval of that provider
 * (bookings, holds by other calls, and busy time pulled from the practice's
 * calendar all come in as busy intervals).
 */
#ifndef VA_SCHEDULE_SLOTS_H
#define VA_SCHEDULE_SLOTS_H

#include "core/tz.h"
#include "schedule/practice.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct va_busy {
	char provider_id[32];
	int64_t start, end; /* epoch seconds, [start, end) */
};

struct va_slot {
	int64_t start, end;
	char provider_id[32];
};

enum va_slot_pref {
	VA_SLOT_PREF_EARLIEST = 0,
	VA_SLOT_PREF_LATEST,
	VA_SLOT_PREF_CLOSEST, /* to target */
	VA_SLOT_PREF_SPREAD,  /* different days/times, for offering choices */
};

struct va_slot_query {
	enum va_service_kind service;
	int64_t from, to;	  /* search window [from, to); to = 0: from + horizon_days */
	int horizon_days;	  /* for open-ended searches (default 30) */
	int day_from_min, day_to_min; /* daily filter ("mornings"), -1 = none */
	enum va_slot_pref pref;
	int64_t target;		  /* for CLOSEST */
	const char *provider_id;  /* only this provider, or NULL */
	size_t max_slots;	  /* how many to return */
};

/*
 * Fills out[0..*n) with up to q->max_slots slots for q, best first by the
 * preference (SPREAD picks slots on different days or parts of day). Returns
 * VA_OK (possibly *n = 0), or VA_E_INVAL (unknown service for this practice,
 * bad window).
 */
int va_slots_find(const struct va_practice *p, const struct va_tz *tz, int64_t now,
		  const struct va_busy *busy, size_t n_busy, const struct va_slot_query *q,
		  struct va_slot *out, size_t *n);

/* True when [start, end) for provider fits every rule above (used to
 * re-check a requested time before booking it). why (may be NULL) gets the
 * reason when it does not: "closed", "outside hours", "taken", "too soon",
 * "in the past". */
bool va_slot_fits(const struct va_practice *p, const struct va_tz *tz, int64_t now,
		  const struct va_busy *busy, size_t n_busy, enum va_service_kind service,
		  const char *provider_id, int64_t start, const char **why);

/*
 * Soft holds: a slot offered to a caller is held for hold_seconds so another
 * caller is not offered the same time. In memory, per server; expired holds
 * are dropped lazily on each call (no timers, no scans beyond the list).
 */
struct va_holds;

struct va_holds *va_holds_new(void);
void va_holds_free(struct va_holds *h);
/* Holds slot for owner (a call's id) until now + seconds. Replaces any hold
 * the owner already had on the same slot. */
int va_holds_add(struct va_holds *h, const char *tenant_id, const char *owner,
		 const struct va_slot *slot, int64_t now, int seconds);
/* Releases every hold of owner (booked, or the call ended). */
void va_holds_release(struct va_holds *h, const char *owner);
/* Appends the live holds of tenant_id NOT owned by owner as busy intervals
 * (into a growable array the caller frees). */
int va_holds_busy(struct va_holds *h, const char *tenant_id, const char *owner, int64_t now,
		  struct va_busy **busy, size_t *n_busy);

#endif
