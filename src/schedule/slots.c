/* SPDX-License-Identifier: MIT */
/*
 * slots.c - the free-slot finder and the re-check before booking. Pure and
 * allocation-free on the usual path: the receptionist calls it on every
 * offer, so it walks local days and the slot grid directly and keeps only
 * the best max_slots candidates in the caller's array (no candidate list, no
 * sort of thousands of slots).
 *
 * Generation order is the core of the preferences: days, then grid minutes,
 * then providers in the practice's order, ascending (or descending for
 * LATEST). Taking the first fitting provider per start time gives distinct
 * start times; duplicates across providers are only used to fill up.
 */
#include "schedule/slots.h"
#include "core/alloc.h"
#include "core/err.h"

#include <stdlib.h>
#include <string.h>

#define DAY_SECONDS	86400
#define MAX_SEARCH_DAYS 366
#define SPREAD_GAP	(2 * 3600)
#define DAY_BUSY_MAX	128
#define BUSY_IDX_STACK	256
#define BUSY_NONE	(-1) /* a provider this practice does not have */
#define BUSY_ALL	(-2) /* "" provider: the whole practice is busy */

/* One local day being searched. */
struct day {
	int year, month, day, wday;
	int64_t daynum;	  /* days since the epoch, for "same day" */
	int64_t midnight; /* local 00:00 as an instant */
	bool linear;	  /* no UTC offset change today: instant = midnight + min */
};

enum pass {
	PASS_DISTINCT, /* one slot per start time, the preference's own rule */
	PASS_RELAXED,  /* SPREAD only: distinct start times without the gap rule */
	PASS_FILL,     /* any provider at a start time already chosen */
};

struct search {
	const struct va_practice *p;
	const struct va_tz *tz;
	const struct va_service_def *svc;
	const struct va_slot_query *q;
	const struct va_busy *busy;
	size_t n_busy;
	const signed char *bidx; /* provider index per busy interval */
	int64_t from, to;	 /* starts allowed in [from, to): lead and window applied */
	int step;
	size_t prov[VA_PRACTICE_MAX_PROVIDERS]; /* candidate providers, practice order */
	size_t n_prov;
	/* busy intervals touching the current day, when they fit */
	struct {
		int64_t start, end;
		int pidx;
	} day_busy[DAY_BUSY_MAX];
	size_t n_day_busy;
	bool day_busy_overflow;
	/* output */
	struct va_slot *out;
	size_t max, n, first_today; /* first_today: SPREAD's chosen slots on the last day */
	int64_t last_daynum;
	enum pass pass;
};

static int64_t local_instant(const struct va_tz *tz, const struct day *d, int min)
{
	struct va_civil c;

	if (d->linear)
		return d->midnight + (int64_t)min * 60;
	memset(&c, 0, sizeof(c));
	c.year = d->year;
	c.month = d->month;
	c.day = d->day;
	c.minute = min; /* normalized by the conversion */
	return va_tz_from_civil(tz, &c);
}

static void day_from_num(const struct va_tz *tz, int64_t daynum, struct day *d)
{
	struct va_civil c;
	int64_t next;

	memset(d, 0, sizeof(*d));
	va_civil_date_from_days(daynum, &d->year, &d->month, &d->day);
	d->daynum = daynum;
	d->wday = va_civil_weekday(d->year, d->month, d->day);
	memset(&c, 0, sizeof(c));
	c.year = d->year;
	c.month = d->month;
	c.day = d->day;
	d->midnight = va_tz_from_civil(tz, &c);
	c.day++;
	next = va_tz_from_civil(tz, &c);
	d->linear = next - d->midnight == DAY_SECONDS;
}

static int64_t local_daynum(const struct va_tz *tz, int64_t t)
{
	struct va_civil c;

	va_tz_to_civil(tz, t, &c);
	return va_civil_days_from_date(c.year, c.month, c.day);
}

static bool wall_time_exists(const struct va_tz *tz, int64_t t, int min)
{
	struct va_civil c;

	va_tz_to_civil(tz, t, &c);
	return c.hour * 60 + c.minute == min;
}

/* A provider's working span on a weekday: their hours inside the
 * practice's. False when either is closed. */
static bool work_span(const struct va_practice *p, const struct va_provider *v, int wday, int *lo,
		      int *hi)
{
	const struct va_hours *ph = &p->hours[wday], *vh = &v->hours[wday];

	if (ph->open_min < 0 || vh->open_min < 0)
		return false;
	*lo = ph->open_min > vh->open_min ? ph->open_min : vh->open_min;
	*hi = ph->close_min < vh->close_min ? ph->close_min : vh->close_min;
	return *lo < *hi;
}

static bool overlaps(int64_t s1, int64_t e1, int64_t s2, int64_t e2)
{
	return s1 < e2 && s2 < e1;
}

static bool busy_applies(int bidx, int pidx)
{
	return bidx == pidx || bidx == BUSY_ALL;
}

/* Collects the busy intervals that touch [lo, hi) so each slot of the day
 * compares against a handful instead of all of them. */
static void gather_day_busy(struct search *s, int64_t lo, int64_t hi)
{
	size_t i;

	s->n_day_busy = 0;
	s->day_busy_overflow = false;
	for (i = 0; i < s->n_busy; i++) {
		if (s->bidx[i] == BUSY_NONE || !overlaps(s->busy[i].start, s->busy[i].end, lo, hi))
			continue;
		if (s->n_day_busy == DAY_BUSY_MAX) {
			s->day_busy_overflow = true;
			return;
		}
		s->day_busy[s->n_day_busy].start = s->busy[i].start;
		s->day_busy[s->n_day_busy].end = s->busy[i].end;
		s->day_busy[s->n_day_busy].pidx = s->bidx[i];
		s->n_day_busy++;
	}
}

static bool is_busy(const struct search *s, int pidx, int64_t start, int64_t end)
{
	size_t i;

	if (s->day_busy_overflow) {
		for (i = 0; i < s->n_busy; i++) {
			if (busy_applies(s->bidx[i], pidx) &&
			    overlaps(s->busy[i].start, s->busy[i].end, start, end))
				return true;
		}
		return false;
	}
	for (i = 0; i < s->n_day_busy; i++) {
		if (busy_applies(s->day_busy[i].pidx, pidx) &&
		    overlaps(s->day_busy[i].start, s->day_busy[i].end, start, end))
			return true;
	}
	return false;
}

static size_t provider_index(const struct va_practice *p, const char *id)
{
	size_t i;

	for (i = 0; i < p->n_providers; i++) {
		if (strcmp(p->providers[i].id, id) == 0)
			return i;
	}
	return p->n_providers;
}

static bool in_out(const struct search *s, int64_t start, const char *provider_id)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (s->out[i].start == start &&
		    (!provider_id || strcmp(s->out[i].provider_id, provider_id) == 0))
			return true;
	}
	return false;
}

static uint64_t distance(const struct search *s, int64_t start)
{
	return start > s->q->target ? (uint64_t)(start - s->q->target)
				    : (uint64_t)(s->q->target - start);
}

/* Strict "a is better than b" for the preference; ties go to the earlier
 * start, then to the provider listed first. */
static bool better(const struct search *s, const struct va_slot *a, const struct va_slot *b)
{
	uint64_t da, db;

	if (a->start != b->start) {
		switch (s->q->pref) {
		case VA_SLOT_PREF_LATEST:
			return a->start > b->start;
		case VA_SLOT_PREF_CLOSEST:
			da = distance(s, a->start);
			db = distance(s, b->start);
			if (da != db)
				return da < db;
			return a->start < b->start;
		default:
			return a->start < b->start;
		}
	}
	return provider_index(s->p, a->provider_id) < provider_index(s->p, b->provider_id);
}

static void make_slot(struct va_slot *sl, int64_t start, int64_t end, const char *provider_id)
{
	memset(sl, 0, sizeof(*sl));
	sl->start = start;
	sl->end = end;
	(void)va_strlcpy(sl->provider_id, provider_id, sizeof(sl->provider_id));
}

/* CLOSEST keeps the best max slots seen so far, in order (insertion into a
 * short sorted array). During PASS_FILL the slots of the earlier passes stay
 * put: duplicates only fill, they never push out a distinct time. */
static void keep_best(struct search *s, const struct va_slot *c, size_t fixed)
{
	size_t i;

	if (s->n == s->max) {
		if (s->n == fixed || !better(s, c, &s->out[s->n - 1]))
			return;
		s->n--;
	}
	i = s->n;
	while (i > fixed && better(s, c, &s->out[i - 1])) {
		s->out[i] = s->out[i - 1];
		i--;
	}
	s->out[i] = *c;
	s->n++;
}

/* SPREAD's rule: another day, or two hours from every slot already chosen
 * that day. Candidates arrive in time order, so only the tail of out (the
 * slots of the current day) can be on the same day. */
static bool spread_ok(struct search *s, const struct day *d, int64_t start)
{
	size_t i;

	if (d->daynum != s->last_daynum)
		return true;
	for (i = s->first_today; i < s->n; i++) {
		if (llabs(s->out[i].start - start) < SPREAD_GAP)
			return false;
	}
	return true;
}

/* Offers one fitting slot to the selection; returns true when the search
 * can stop. */
static bool offer(struct search *s, const struct day *d, const struct va_slot *c, size_t fixed)
{
	if (s->pass != PASS_DISTINCT &&
	    in_out(s, c->start, s->pass == PASS_FILL ? c->provider_id : NULL))
		return false;
	if (s->q->pref == VA_SLOT_PREF_CLOSEST) {
		keep_best(s, c, fixed);
		return false;
	}
	if (s->q->pref == VA_SLOT_PREF_SPREAD && s->pass == PASS_DISTINCT) {
		if (!spread_ok(s, d, c->start))
			return false;
		if (d->daynum != s->last_daynum) {
			s->last_daynum = d->daynum;
			s->first_today = s->n;
		}
	}
	s->out[s->n++] = *c;
	return s->n == s->max;
}

/* Walks one day's grid; returns true when the search can stop. */
static bool search_day(struct search *s, const struct day *d, size_t fixed)
{
	const struct va_practice *p = s->p;
	const struct va_slot_query *q = s->q;
	int lo[VA_PRACTICE_MAX_PROVIDERS], hi[VA_PRACTICE_MAX_PROVIDERS];
	int64_t close_t[VA_PRACTICE_MAX_PROVIDERS], start, end;
	int first = 1440, last = 0, dur = s->svc->duration_min, m, i, n_min;
	bool any = false, reverse = q->pref == VA_SLOT_PREF_LATEST;
	struct va_slot c;
	size_t k;

	if (p->hours[d->wday].open_min < 0 ||
	    va_practice_closed_on(p, d->year, d->month, d->day, NULL))
		return false;
	for (k = 0; k < s->n_prov; k++) {
		if (!work_span(p, &p->providers[s->prov[k]], d->wday, &lo[k], &hi[k])) {
			lo[k] = 1440;
			hi[k] = 0;
			continue;
		}
		/* On a day the UTC offset changes, wall-clock minutes and real
		 * length disagree: the real end must still be by closing. */
		close_t[k] = local_instant(s->tz, d, hi[k]);
		any = true;
		first = lo[k] < first ? lo[k] : first;
		last = hi[k] > last ? hi[k] : last;
	}
	if (!any)
		return false;
	if (q->day_from_min >= 0 && q->day_from_min > first)
		first = q->day_from_min;
	first = (first + s->step - 1) / s->step * s->step;
	if (first + dur > last)
		return false;
	gather_day_busy(s, local_instant(s->tz, d, first), local_instant(s->tz, d, last));
	n_min = (last - dur - first) / s->step + 1;
	for (i = 0; i < n_min; i++) {
		m = reverse ? first + (n_min - 1 - i) * s->step : first + i * s->step;
		if (q->day_to_min >= 0 && m >= q->day_to_min)
			continue;
		start = local_instant(s->tz, d, m);
		if (start < s->from || start >= s->to)
			continue;
		/* A wall time in a spring-forward gap does not exist; it would
		 * only repeat a later start. */
		if (!d->linear && !wall_time_exists(s->tz, start, m))
			continue;
		end = start + (int64_t)dur * 60;
		for (k = 0; k < s->n_prov; k++) {
			if (m < lo[k] || m + dur > hi[k] || end > close_t[k] ||
			    is_busy(s, (int)s->prov[k], start, end))
				continue;
			make_slot(&c, start, end, p->providers[s->prov[k]].id);
			if (offer(s, d, &c, fixed))
				return true;
			if (s->pass != PASS_FILL)
				break; /* one provider per start time */
		}
	}
	return false;
}

/* No slot on a day k days from the target's day can be closer than this
 * (an hour of slack on each side for offset changes). */
static uint64_t closest_bound(int64_t k)
{
	return k <= 1 ? 0 : (uint64_t)((k - 1) * DAY_SECONDS - 2 * 3600);
}

static bool closest_done(const struct search *s, int64_t k)
{
	return s->n == s->max && closest_bound(k) > distance(s, s->out[s->n - 1].start);
}

/* CLOSEST walks outwards from the target's day (that day, the next, the
 * one before, ...) and stops once no day left can beat the worst kept slot. */
static void run_closest(struct search *s, int64_t first, int64_t last, size_t fixed)
{
	int64_t tday = local_daynum(s->tz, s->q->target), k, num;
	struct day d;
	bool any;
	int side;

	tday = tday < first ? first : tday > last ? last : tday;
	for (k = 0; !closest_done(s, k); k++) {
		any = false;
		for (side = 1; side >= -1; side -= 2) {
			num = tday + side * k;
			if ((k == 0 && side < 0) || num < first || num > last)
				continue;
			any = true;
			day_from_num(s->tz, num, &d);
			search_day(s, &d, fixed);
		}
		if (!any)
			break;
	}
}

/* One pass over the window's days in the preference's order. */
static void run_pass(struct search *s, enum pass pass)
{
	int64_t first = local_daynum(s->tz, s->from), last = local_daynum(s->tz, s->to - 1);
	size_t fixed = s->n;
	int64_t i, n_days;
	struct day d;

	s->pass = pass;
	s->last_daynum = INT64_MIN;
	s->first_today = s->n;
	if (s->q->pref == VA_SLOT_PREF_CLOSEST) {
		run_closest(s, first, last, fixed);
		return;
	}
	n_days = last - first + 1;
	for (i = 0; i < n_days; i++) {
		int64_t num = s->q->pref == VA_SLOT_PREF_LATEST ? last - i : first + i;

		day_from_num(s->tz, num, &d);
		if (search_day(s, &d, fixed))
			break;
	}
}

/* Best first: by start for EARLIEST and SPREAD (chronological reads best on
 * the phone), reversed for LATEST, by distance for CLOSEST. */
static void sort_out(struct search *s)
{
	struct va_slot tmp;
	size_t i, j;

	for (i = 1; i < s->n; i++) {
		tmp = s->out[i];
		for (j = i; j > 0 && better(s, &tmp, &s->out[j - 1]); j--)
			s->out[j] = s->out[j - 1];
		s->out[j] = tmp;
	}
}

static int check_query(const struct va_practice *p, const struct va_slot_query *q, struct search *s)
{
	const struct va_provider *only = NULL;
	size_t i;

	s->svc = va_practice_service(p, q->service);
	if (!s->svc)
		return VA_E_INVAL;
	if (q->to != 0 && q->to <= q->from)
		return VA_E_INVAL;
	if ((q->day_from_min != -1 && (q->day_from_min < 0 || q->day_from_min > 1440)) ||
	    (q->day_to_min != -1 && (q->day_to_min < 0 || q->day_to_min > 1440)))
		return VA_E_INVAL;
	if ((int)q->pref < VA_SLOT_PREF_EARLIEST || q->pref > VA_SLOT_PREF_SPREAD)
		return VA_E_INVAL;
	if (q->provider_id && q->provider_id[0]) {
		only = va_practice_provider(p, q->provider_id);
		if (!only || only->kind != s->svc->provider_kind)
			return VA_E_INVAL;
	}
	s->n_prov = 0;
	for (i = 0; i < p->n_providers && i < VA_PRACTICE_MAX_PROVIDERS; i++) {
		if (p->providers[i].kind == s->svc->provider_kind &&
		    (!only || only == &p->providers[i]))
			s->prov[s->n_prov++] = i;
	}
	return VA_OK;
}

int va_slots_find(const struct va_practice *p, const struct va_tz *tz, int64_t now,
		  const struct va_busy *busy, size_t n_busy, const struct va_slot_query *q,
		  struct va_slot *out, size_t *n)
{
	signed char bidx_stack[BUSY_IDX_STACK], *bidx = bidx_stack;
	struct search s;
	int64_t earliest, horizon;
	size_t i;
	int rc;

	if (n)
		*n = 0;
	if (!p || !tz || !q || !n || (!out && q->max_slots) || (!busy && n_busy))
		return VA_E_INVAL;
	memset(&s, 0, sizeof(s));
	rc = check_query(p, q, &s);
	if (rc)
		return rc;
	if (q->max_slots == 0 || s.n_prov == 0)
		return VA_OK;

	s.p = p;
	s.tz = tz;
	s.q = q;
	s.busy = busy;
	s.n_busy = n_busy;
	s.out = out;
	s.max = q->max_slots;
	s.step = p->slot_step_min > 0 ? p->slot_step_min : VA_PRACTICE_DEFAULT_STEP_MIN;
	horizon = (int64_t)(q->horizon_days > 0 ? q->horizon_days : 30) * DAY_SECONDS;
	if (horizon > (int64_t)MAX_SEARCH_DAYS * DAY_SECONDS)
		horizon = (int64_t)MAX_SEARCH_DAYS * DAY_SECONDS;
	earliest = now + (int64_t)(p->min_lead_min > 0 ? p->min_lead_min : 0) * 60;
	s.from = q->from > earliest ? q->from : earliest;
	s.to = q->to ? q->to : q->from + horizon;
	/* Bound the work whatever window comes in. */
	if (s.to - s.from > (int64_t)MAX_SEARCH_DAYS * DAY_SECONDS)
		s.to = s.from + (int64_t)MAX_SEARCH_DAYS * DAY_SECONDS;
	if (s.from >= s.to)
		return VA_OK;

	if (n_busy > BUSY_IDX_STACK)
		bidx = va_xmalloc(n_busy);
	for (i = 0; i < n_busy; i++) {
		size_t k = provider_index(p, busy[i].provider_id);

		if (!busy[i].provider_id[0])
			bidx[i] = BUSY_ALL;
		else
			bidx[i] = k < p->n_providers ? (signed char)k : BUSY_NONE;
	}
	s.bidx = bidx;

	run_pass(&s, PASS_DISTINCT);
	if (s.n < s.max && q->pref == VA_SLOT_PREF_SPREAD)
		run_pass(&s, PASS_RELAXED);
	if (s.n < s.max)
		run_pass(&s, PASS_FILL);
	sort_out(&s);
	*n = s.n;
	if (bidx != bidx_stack)
		free(bidx);
	return VA_OK;
}

static void set_why(const char **why, const char *reason)
{
	if (why)
		*why = reason;
}

/* How far a provider got through the rules: a higher rank is the more useful
 * reason to tell the caller when no provider fits. */
enum fit_rank { FIT_KIND = 0, FIT_HOURS, FIT_TAKEN, FIT_OK };

static enum fit_rank fits_provider(const struct va_practice *p, const struct va_provider *v,
				   const struct va_tz *tz, const struct va_busy *busy,
				   size_t n_busy, const struct va_service_def *svc,
				   const struct va_civil *c, int64_t start, int64_t end)
{
	int lo, hi, m = c->hour * 60 + c->minute;
	struct va_civil ce;
	int64_t close_t;
	size_t i;

	if (v->kind != svc->provider_kind)
		return FIT_KIND;
	if (!work_span(p, v, c->wday, &lo, &hi) || m < lo || m + svc->duration_min > hi)
		return FIT_HOURS;
	/* The wall-clock check above is wrong by the offset change on a DST
	 * day; the real end must still be by closing time. */
	memset(&ce, 0, sizeof(ce));
	ce.year = c->year;
	ce.month = c->month;
	ce.day = c->day;
	ce.minute = hi;
	close_t = va_tz_from_civil(tz, &ce);
	if (end > close_t)
		return FIT_HOURS;
	for (i = 0; i < n_busy; i++) {
		if ((!busy[i].provider_id[0] || strcmp(busy[i].provider_id, v->id) == 0) &&
		    overlaps(busy[i].start, busy[i].end, start, end))
			return FIT_TAKEN;
	}
	return FIT_OK;
}

bool va_slot_fits(const struct va_practice *p, const struct va_tz *tz, int64_t now,
		  const struct va_busy *busy, size_t n_busy, enum va_service_kind service,
		  const char *provider_id, int64_t start, const char **why)
{
	const struct va_service_def *svc;
	enum fit_rank best = FIT_KIND, r;
	struct va_civil c;
	int step, lead;
	int64_t end;
	size_t i;

	set_why(why, NULL);
	if (!p || !tz || (!busy && n_busy)) {
		set_why(why, "invalid");
		return false;
	}
	svc = va_practice_service(p, service);
	if (!svc) {
		set_why(why, "unknown service");
		return false;
	}
	if (provider_id && provider_id[0] && !va_practice_provider(p, provider_id)) {
		set_why(why, "unknown provider");
		return false;
	}
	if (start < now) {
		set_why(why, "in the past");
		return false;
	}
	lead = p->min_lead_min > 0 ? p->min_lead_min : 0;
	if (start < now + (int64_t)lead * 60) {
		set_why(why, "too soon");
		return false;
	}
	va_tz_to_civil(tz, start, &c);
	if (p->hours[c.wday].open_min < 0 ||
	    va_practice_closed_on(p, c.year, c.month, c.day, NULL)) {
		set_why(why, "closed");
		return false;
	}
	step = p->slot_step_min > 0 ? p->slot_step_min : VA_PRACTICE_DEFAULT_STEP_MIN;
	if (c.second != 0 || (c.hour * 60 + c.minute) % step != 0) {
		set_why(why, "not on the slot grid");
		return false;
	}
	end = start + (int64_t)svc->duration_min * 60;
	for (i = 0; i < p->n_providers && i < VA_PRACTICE_MAX_PROVIDERS; i++) {
		const struct va_provider *v = &p->providers[i];

		if (provider_id && provider_id[0] && strcmp(v->id, provider_id) != 0)
			continue;
		r = fits_provider(p, v, tz, busy, n_busy, svc, &c, start, end);
		if (r == FIT_OK)
			return true;
		if (r > best)
			best = r;
	}
	set_why(why, best == FIT_TAKEN	 ? "taken"
		     : best == FIT_HOURS ? "outside hours"
					 : "wrong provider kind");
	return false;
}
