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

/* provider_id "" blocks every provider (the whole practice is busy); an id
 * the practice does not have blocks nothing. */
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
	int64_t from, to;	      /* search window [from, to); to = 0: from + horizon_days */
	int horizon_days;	      /* for open-ended searches (default 30) */
	int day_from_min, day_to_min; /* daily filter ("mornings"), -1 = none */
	enum va_slot_pref pref;
	int64_t target;		 /* for CLOSEST */
	const char *provider_id; /* only this provider, or NULL */
	size_t max_slots;	 /* how many to return */
};

/*
 * Fills out[0..*n) with up to q->max_slots slots for q, best first by the
 * preference. Returns VA_OK (possibly *n = 0), or VA_E_INVAL (unknown service
 * for this practice, provider_id unknown or of the wrong kind, bad window or
 * daily filter).
 *
 * Rules: a slot's START lies in [max(from, now + min_lead_min), to) and on
 * the slot step counted from local midnight; the whole appointment (start +
 * duration) lies inside the practice's and the provider's hours that local
 * day; the day is not a closure; it overlaps no busy interval of that
 * provider (touching is fine: busy [9:00,10:00) leaves 10:00 free). The
 * daily filter [day_from_min, day_to_min) applies to the start's local time.
 * Search windows are cut to 366 days.
 *
 * Preferences: EARLIEST by start (ties: the provider listed first); LATEST
 * the reverse; CLOSEST by |start - target| (ties: earlier); SPREAD takes the
 * earliest slot, then each next earliest one that is on another day or at
 * least two hours from every slot chosen that day, and returns them in time
 * order. Start times are distinct across providers unless there are not
 * enough distinct ones to fill max_slots (then SPREAD first relaxes its gap,
 * and only then are duplicates with another provider added).
 *
 * No allocation unless n_busy > 256; cost is linear in the days searched
 * times slots per day times providers (early exit once max_slots are found,
 * except for CLOSEST which stops once a day can no longer be closer).
 */
int va_slots_find(const struct va_practice *p, const struct va_tz *tz, int64_t now,
		  const struct va_busy *busy, size_t n_busy, const struct va_slot_query *q,
		  struct va_slot *out, size_t *n);

/* True when the service starting at start (its end is start + duration)
 * with provider fits every rule above (used to re-check a requested time
 * before booking it). provider_id NULL or "" means any provider of the
 * service's kind. why (may be NULL) gets a static reason when it does not,
 * checked in this order: "unknown service", "unknown provider", "in the
 * past", "too soon", "closed" (closure or closed weekday), "not on the slot
 * grid", then the best any provider reached: "taken", "outside hours",
 * "wrong provider kind". */
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
/* Holds slot for owner (a call's id) until now + seconds (holds are live
 * while now < expiry). Renews the owner's hold on the same slot instead of
 * adding one. VA_E_EXISTS when a live hold of another owner overlaps it (same
 * tenant and provider); VA_E_INVAL for missing arguments or seconds <= 0.
 * tenant_id and owner are copied. */
int va_holds_add(struct va_holds *h, const char *tenant_id, const char *owner,
		 const struct va_slot *slot, int64_t now, int seconds);
/* Releases every hold of owner (booked, or the call ended). */
void va_holds_release(struct va_holds *h, const char *owner);
/* Replaces the time blocked in the practice's own calendar source (a
 * calendar id) for tenant_id with v[0..n) (copied; n 0 clears). Blocks do
 * not expire: the calendar sync replaces them after each pull. */
int va_holds_set_blocks(struct va_holds *h, const char *tenant_id, const char *source,
			const struct va_busy *v, size_t n);
/* How many blocked intervals tenant_id has, over all its sources. */
size_t va_holds_blocks(const struct va_holds *h, const char *tenant_id);
/* Appends the live holds of tenant_id NOT owned by owner (NULL: all of them)
 * and every calendar block of tenant_id as busy intervals to
 * *busy[0..*n_busy), growing it with realloc; the caller frees *busy with
 * free(). *busy may be NULL with *n_busy 0. */
int va_holds_busy(struct va_holds *h, const char *tenant_id, const char *owner, int64_t now,
		  struct va_busy **busy, size_t *n_busy);
/* Live holds across tenants (drops the expired ones first). */
size_t va_holds_count(struct va_holds *h, int64_t now);

#endif
