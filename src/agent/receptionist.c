/* SPDX-License-Identifier: MIT */
/*
 * receptionist.c - the embedded dental receptionist (see receptionist.h).
 *
 * Each caller turn runs the same way: understand the utterance with what was
 * just asked in mind, merge the details into what is known, answer any side
 * question, then advance(): pick the one next thing the booking needs and
 * either ask for it or fetch what is needed to say it (free slots, the
 * caller's appointments) from the store, speaking when that completes. The
 * reply is composed whole and streamed word by word through the host.
 *
 * Store completions may arrive after the caller spoke again or hung up: each
 * operation keeps the agent alive (pending count) and speaks only for the
 * current turn; freeing waits for the last completion.
 */
#include "agent/receptionist.h"
#include "agent/say.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "nlu/understand.h"
#include "schedule/appointment.h"
#include "schedule/slots.h"
#include "store/store.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MAX_OFFER    3
#define MAX_FOUND    4
#define MAX_MISSES   3
#define MAX_SILENCES 3
#define SEARCH_DAYS  14
#define URGENT_DAYS  2

enum goal { G_NONE = 0, G_BOOK, G_RESCHEDULE, G_CANCEL, G_CHECK };

enum step {
	S_OPEN = 0,	   /* nothing in progress */
	S_COLLECT,	   /* gathering details */
	S_OFFERED,	   /* times offered, waiting for a pick */
	S_CONFIRM,	   /* booking read back, waiting for yes */
	S_TARGET_CONFIRM,  /* "cancel your cleaning on …?" */
	S_DANGER_FOLLOWUP, /* 911 advice given: book a follow-up too? */
	S_PHONE_CONFIRM,   /* "is the number ending in … best?" */
	S_ANYTHING_ELSE,   /* done; anything else? */
	S_ENDED,
};

struct rx {
	struct va_agent base;
	uv_loop_t *loop;
	const struct va_tenant *tenant;
	const struct va_tz *tz;
	struct va_store *store;
	struct va_holds *holds;
	char call_sid[64], session_id[64];
	char caller_id[24]; /* digits of the caller's number, "" if withheld */

	int pending;	/* store operations in flight */
	bool freed;	/* free() was called while operations were pending */
	bool over;	/* on_end seen: speak no more */
	uint64_t turn;	/* the turn replies go to */
	bool busy_turn; /* a reply for this turn is waiting on the store */

	enum goal goal;
	enum step step;
	enum va_expect expect;
	char last_question[400];
	int misses, silences;
	int repeats;	    /* the last question asked again and again */
	bool bye_checked;   /* "bye" before confirming: asked once whether to book */
	bool surname_asked; /* only a first name was given: asked once for the rest */
	bool advised;	    /* first-aid advice given */

	/* what the caller told us */
	char name[96];
	char phone[24];
	bool phone_ok;
	char dob[11];
	enum va_patient_status patient;
	bool patient_looked_up;
	enum va_service_kind service;
	bool urgent, danger_told, triage_asked;
	uint32_t symptoms;
	int pain;
	char insurance[48];
	struct va_when wish;
	bool have_wish;

	/* scheduling */
	struct va_slot cand[12]; /* what the finder returned */
	size_t n_cand;
	struct va_slot offered[MAX_OFFER];
	size_t n_offered;
	struct va_slot chosen;
	bool have_chosen;
	bool searched;		/* offered reflects the current wish */
	bool pick_after_search; /* the caller named a time: book it if it is free */

	/* cancel / reschedule / check */
	struct va_appointment found[MAX_FOUND];
	size_t n_found;
	bool looked_up;
	bool by_name_tried; /* phone found nothing: name + date of birth tried */
	bool phone_missed;  /* told the caller the number found nothing */
	bool target_confirmed;
	char booked_id[40];
	/* "a week later", "same time on Friday": a new time relative to the
	 * visit being moved, applied once that visit is known. */
	bool has_shift;
	int64_t shift_s;
	struct va_when shift_when; /* the day(s) of "same time ..."; kind NONE otherwise */

	struct va_buf out; /* the reply being composed */
	int64_t now;
};

static int64_t clock_now(void)
{
	return (int64_t)time(NULL);
}

static const struct va_practice *practice(const struct rx *r)
{
	return &r->tenant->practice;
}

/* ---- speaking --------------------------------------------------------- */

static void say(struct rx *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void shift_wish(struct rx *r);
static bool said_any(const char *text, const char *const *phrases);

static void say(struct rx *r, const char *fmt, ...)
{
	va_list ap;

	if (r->out.len && r->out.data[r->out.len - 1] != ' ')
		va_buf_append_str(&r->out, " ");
	va_start(ap, fmt);
	va_buf_vappendf(&r->out, fmt, ap);
	va_end(ap);
}

/* Asks a question: remembered so "sorry?" can repeat it. */
static void ask(struct rx *r, enum va_expect expect, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void ask(struct rx *r, enum va_expect expect, const char *fmt, ...)
{
	char q[sizeof(r->last_question)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(q, sizeof(q), fmt, ap);
	va_end(ap);
	/* The same question a third time in a row: this is not working. */
	r->repeats = strcmp(q, r->last_question) == 0 ? r->repeats + 1 : 0;
	memcpy(r->last_question, q, sizeof(q));
	say(r, "%s", q);
	r->expect = expect;
}

/* Streams the composed reply word by word, ends the turn, and ends the call
 * when asked (handoff_json NULL = plain goodbye). */
static void handoff(struct rx *r, const char *reason);

static void flush(struct rx *r, bool end_call, const char *handoff_json)
{
	const char *s;

	if (!end_call && r->repeats >= 2) {
		/* Asked the same thing three times: a person will do better. */
		r->repeats = 0;
		va_buf_reset(&r->out);
		say(r, "I'm sorry, I'm having trouble with that.");
		handoff(r, "repeated misunderstanding");
		return;
	}
	s = va_buf_cstr(&r->out);

	if (r->over) {
		va_buf_reset(&r->out);
		return;
	}
	while (*s) {
		const char *e = s;
		while (*e && *e != ' ')
			e++;
		while (*e == ' ')
			e++;
		if (va_agent_token(&r->base, r->turn, s, (size_t)(e - s)) != VA_OK)
			break; /* the caller moved on: this reply is void */
		s = e;
	}
	va_agent_end_turn(&r->base, r->turn);
	va_buf_reset(&r->out);
	if (end_call && r->base.host_ops->end_call(r->base.host, handoff_json) == VA_OK)
		r->step = S_ENDED;
}

static void detail(struct rx *r, const char *key, const char *value)
{
	if (!r->over && value && *value)
		r->base.host_ops->set_detail(r->base.host, key, value);
}

static void say_service(struct rx *r, struct va_buf *b)
{
	va_buf_append_str(b, va_service_spoken(r->service ? r->service : VA_SERVICE_EXAM));
}

static const char *provider_name(const struct rx *r, const char *id)
{
	const struct va_provider *p = va_practice_provider(practice(r), id);
	return p ? p->name : "our team";
}

/* " on Tuesday, December 1st at 2 PM", or " today at 2 PM" / " tomorrow at …". */
static void say_on_when(struct rx *r, int64_t t)
{
	struct va_buf day = VA_BUF_INIT(128);

	va_say_day(&day, r->tz, r->now, t);
	va_buf_append_str(&r->out, strcmp(va_buf_cstr(&day), "today") &&
					   strcmp(va_buf_cstr(&day), "tomorrow")
				       ? " on "
				       : " ");
	va_say_when(&r->out, r->tz, r->now, t);
	va_buf_release(&day);
}

static void goodbye(struct rx *r)
{
	say(r, "Thank you for calling %s. Have a great day, goodbye!", r->tenant->name);
	flush(r, true, NULL);
}

static void handoff(struct rx *r, const char *reason)
{
	char json[600], q[300];

	/* "Of course" only answers a caller who asked for a person. */
	say(r, "%sLet me transfer you to our front desk, one moment please.",
	    !strcmp(reason, "caller asked for a person") ? "Of course. " : "");
	snprintf(json, sizeof(json), "{\"reasonCode\":\"live-agent-handoff\",\"reason\":%s}",
		 va_log_quote(q, sizeof(q), reason));
	VA_INFO("receptionist", r->call_sid, "handoff", "reason=%s", q);
	flush(r, true, json);
}

/* ---- store operations ------------------------------------------------- */

/* Every operation holds the agent; the last completion frees a freed agent. */
static bool op_begin(struct rx *r)
{
	if (!r->store)
		return false;
	r->pending++;
	r->busy_turn = true;
	return true;
}

static void rx_destroy(struct rx *r)
{
	if (r->holds)
		va_holds_release(r->holds, r->call_sid);
	va_buf_release(&r->out);
	free(r);
}

/* Returns false when the agent is gone or the call is over (nothing to say). */
static bool op_end(struct rx *r)
{
	r->pending--;
	r->busy_turn = false;
	if (r->freed) {
		if (r->pending == 0)
			rx_destroy(r);
		return false;
	}
	return !r->over;
}

static void advance(struct rx *r);

/* ---- slots ------------------------------------------------------------ */

static int local_minute(const struct rx *r, int64_t t)
{
	struct va_civil c;

	va_tz_to_civil(r->tz, t, &c);
	return c.hour * 60 + c.minute;
}

static int64_t local_day(const struct rx *r, int64_t t)
{
	struct va_civil c;

	va_tz_to_civil(r->tz, t, &c);
	return va_civil_days_from_date(c.year, c.month, c.day);
}

struct search_ctx {
	struct rx *r;
	int64_t from, to;
};

static void search_window(const struct rx *r, int64_t *from, int64_t *to, int *dfrom, int *dto,
			  enum va_slot_pref *pref, int64_t *target)
{
	*dfrom = -1;
	*dto = -1;
	*pref = VA_SLOT_PREF_SPREAD;
	*target = 0;
	*from = r->now;
	*to = r->now + (int64_t)SEARCH_DAYS * 86400;
	if (r->urgent) {
		*pref = VA_SLOT_PREF_EARLIEST;
		*to = r->now + (int64_t)URGENT_DAYS * 86400;
		if (!r->have_wish)
			return;
	}
	if (!r->have_wish)
		return;
	switch (r->wish.kind) {
	case VA_WHEN_POINT:
		*from = r->wish.start - 12 * 3600;
		*to = r->wish.start + 12 * 3600;
		*pref = VA_SLOT_PREF_CLOSEST;
		*target = r->wish.start;
		break;
	case VA_WHEN_WINDOW:
		*from = r->wish.start;
		*to = r->wish.end;
		*dfrom = r->wish.day_from_min;
		*dto = r->wish.day_to_min;
		if (r->wish.pref == VA_WHEN_PREF_EARLIEST)
			*pref = VA_SLOT_PREF_EARLIEST;
		else if (r->wish.pref == VA_WHEN_PREF_LATEST)
			*pref = VA_SLOT_PREF_LATEST;
		break;
	case VA_WHEN_OPEN:
		*from = r->wish.start > r->now ? r->wish.start : r->now;
		*to = *from + (int64_t)SEARCH_DAYS * 86400;
		*pref = VA_SLOT_PREF_EARLIEST;
		break;
	default:
		break;
	}
	if (*from < r->now)
		*from = r->now;
}

static size_t find_slots(struct rx *r, const struct va_busy *busy, size_t n_busy, int64_t from,
			 int64_t to, int dfrom, int dto, enum va_slot_pref pref, int64_t target)
{
	struct va_slot_query q;
	size_t n = 0;

	memset(&q, 0, sizeof(q));
	q.service = r->service ? r->service : VA_SERVICE_EXAM;
	q.from = from;
	q.to = to;
	q.horizon_days = SEARCH_DAYS;
	q.day_from_min = dfrom;
	q.day_to_min = dto;
	q.pref = pref;
	q.target = target;
	q.max_slots = sizeof(r->cand) / sizeof(r->cand[0]);
	if (va_slots_find(practice(r), r->tz, r->now, busy, n_busy, &q, r->cand, &n) != VA_OK)
		n = 0;
	r->n_cand = n;
	return n;
}

static void hold_offered(struct rx *r)
{
	/* Only the times on offer now are held for this caller. */
	if (r->holds)
		va_holds_release(r->holds, r->call_sid);
	for (size_t i = 0; r->holds && i < r->n_offered; i++)
		va_holds_add(r->holds, r->tenant->id, r->call_sid, &r->offered[i], r->now,
			     practice(r)->hold_seconds);
}

/* " on Tuesday, December 1st" or " today" / " tomorrow". */
static void say_day_phrase(struct rx *r, int64_t t)
{
	struct va_buf day = VA_BUF_INIT(128);

	va_say_day(&day, r->tz, r->now, t);
	if (strcmp(va_buf_cstr(&day), "today") && strcmp(va_buf_cstr(&day), "tomorrow"))
		va_buf_append_str(&r->out, " on");
	va_buf_appendf(&r->out, " %s", va_buf_cstr(&day));
	va_buf_release(&day);
}

/* Says why the wished time has nothing and what is closest instead. */
static void explain_none(struct rx *r)
{
	struct va_civil c;
	const char *reason = NULL;

	if (r->have_wish && r->wish.kind != VA_WHEN_OPEN) {
		va_tz_to_civil(r->tz, r->wish.start, &c);
		if (va_practice_closed_on(practice(r), c.year, c.month, c.day, &reason)) {
			say(r, "We're closed");
			say_day_phrase(r, r->wish.start);
			va_buf_appendf(&r->out, "%s%s.", reason && *reason ? " for " : "",
				       reason && *reason ? reason : "");
			return;
		}
		if (practice(r)->hours[c.wday].open_min < 0 &&
		    r->wish.end - r->wish.start <= 86400) {
			say(r, "We're not open");
			say_day_phrase(r, r->wish.start);
			va_buf_append_str(&r->out, ".");
			return;
		}
	}
	say(r, "I'm sorry, I don't have anything open then.");
}

static int cmp_slot(const void *a, const void *b)
{
	const struct va_slot *x = a, *y = b;
	return (x->start > y->start) - (x->start < y->start);
}

/* Of what the finder returned, the choices worth saying: the exact time the
 * caller asked for alone when it is free; otherwise different days first,
 * never two offers within 45 minutes of each other, in time order. */
static void choose_offers(struct rx *r)
{
	size_t nk = 0, max = r->urgent ? 2 : MAX_OFFER;

	r->n_offered = 0;
	/* Moving an appointment: its own time is not an offer. */
	if (r->goal == G_RESCHEDULE && r->n_found) {
		size_t k = 0;
		for (size_t i = 0; i < r->n_cand; i++)
			if (r->cand[i].start != r->found[0].start)
				r->cand[k++] = r->cand[i];
		r->n_cand = k;
	}
	for (size_t i = 0; r->have_wish && r->wish.kind == VA_WHEN_POINT && i < r->n_cand; i++) {
		if (r->cand[i].start == r->wish.start) {
			r->offered[0] = r->cand[i];
			r->n_offered = 1;
			return;
		}
	}
	/* The finder's order is its preference; urgent: the earliest only. */
	for (int pass = r->urgent ? 1 : 0; pass < 2 && nk < max; pass++) {
		for (size_t i = 0; i < r->n_cand && nk < max; i++) {
			bool ok = true;
			for (size_t k = 0; k < nk && ok; k++) {
				int64_t d = r->cand[i].start - r->offered[k].start;
				if (d < 0)
					d = -d;
				if (d < 45 * 60 ||
				    (pass == 0 && local_day(r, r->cand[i].start) ==
						      local_day(r, r->offered[k].start)))
					ok = false;
			}
			if (ok)
				r->offered[nk++] = r->cand[i];
		}
	}
	/* Too few far apart: take the closest remaining ones. */
	for (size_t i = 0; i < r->n_cand && nk < max && nk < 1; i++)
		r->offered[nk++] = r->cand[i];
	if (!(r->have_wish && r->wish.kind == VA_WHEN_POINT))
		qsort(r->offered, nk, sizeof(r->offered[0]), cmp_slot);
	r->n_offered = nk;
}

/* "I have Tuesday at 9 or Tuesday at 10." */
static void say_offered(struct rx *r, const char *lead)
{
	say(r, "%s", lead);
	va_buf_append_str(&r->out, " ");
	va_say_offer(&r->out, r->tz, r->now, r->offered, r->n_offered);
	va_buf_append_str(&r->out, ".");
}

static void ask_pick(struct rx *r)
{
	ask(r, VA_EXPECT_CHOICE,
	    r->n_offered == 1 ? "Would that work for you?" : "Which would you prefer?");
}

static void offer(struct rx *r, bool widened)
{
	if (r->n_offered == 0) {
		say(r, "I'm sorry, I don't see any openings in the next two weeks.");
		handoff(r, "no availability for the requested service");
		return;
	}
	hold_offered(r);
	r->step = S_OFFERED;
	r->searched = true;
	say_offered(r, widened ? "The closest openings I have are" : "I have");
	ask_pick(r);
}

/* The same offer again: still choosing, or after a side question. */
static void reoffer(struct rx *r)
{
	say_offered(r, "I have");
	ask_pick(r);
	flush(r, false, NULL);
}

static void on_busy_listed(int status, const struct va_appointment *appts, size_t n, void *arg)
{
	struct search_ctx *sc = arg;
	struct rx *r = sc->r;
	struct va_busy *busy = NULL;
	size_t n_busy = 0;
	int64_t from, to, target;
	int dfrom, dto;
	enum va_slot_pref pref;
	bool widened = false;

	free(sc);
	if (!op_end(r))
		return;
	if (status != VA_OK) {
		say(r, "I'm sorry, I can't reach our schedule right now.");
		handoff(r, "schedule unavailable");
		return;
	}
	/* Holds by other callers count as busy. */
	if (r->holds)
		va_holds_busy(r->holds, r->tenant->id, r->call_sid, r->now, &busy, &n_busy);
	busy = va_xrealloc(busy, (n_busy + n + 1) * sizeof(*busy));
	for (size_t i = 0; i < n; i++) {
		if (appts[i].status != VA_APPT_BOOKED)
			continue;
		/* Moving an appointment: its own time is not in the way. */
		if (r->goal == G_RESCHEDULE && r->n_found && !strcmp(appts[i].id, r->found[0].id))
			continue;
		va_strlcpy(busy[n_busy].provider_id, appts[i].provider_id,
			   sizeof(busy[n_busy].provider_id));
		busy[n_busy].start = appts[i].start;
		busy[n_busy].end = appts[i].end;
		n_busy++;
	}
	search_window(r, &from, &to, &dfrom, &dto, &pref, &target);
	find_slots(r, busy, n_busy, from, to, dfrom, dto, pref, target);
	if (r->n_cand == 0 && (r->have_wish || r->urgent)) {
		explain_none(r);
		widened = true;
		find_slots(r, busy, n_busy, from > r->now ? from : r->now,
			   (from > r->now ? from : r->now) + (int64_t)SEARCH_DAYS * 86400, -1, -1,
			   VA_SLOT_PREF_SPREAD, 0);
	}
	free(busy);
	choose_offers(r);
	if (r->pick_after_search && !widened && r->n_offered == 1 &&
	    r->offered[0].start == r->wish.start) {
		/* The time the caller picked is free: take it. */
		r->pick_after_search = false;
		r->chosen = r->offered[0];
		r->have_chosen = true;
		r->searched = true;
		r->step = S_COLLECT;
		advance(r);
		return;
	}
	if (r->pick_after_search && !widened && r->have_wish && r->wish.kind == VA_WHEN_POINT &&
	    r->n_offered)
		say(r, "That exact time isn't free.");
	r->pick_after_search = false;
	offer(r, widened);
	if (r->step != S_ENDED)
		flush(r, false, NULL);
}

static void start_search(struct rx *r)
{
	struct search_ctx *sc = va_xcalloc(1, sizeof(*sc));

	sc->r = r;
	sc->from = r->now - 86400;
	sc->to = r->now + (int64_t)(SEARCH_DAYS + 45) * 86400;
	if (r->have_wish && r->wish.end > sc->to)
		sc->to = r->wish.end + (int64_t)SEARCH_DAYS * 86400;
	if (!op_begin(r) || va_store_appt_list(r->store, r->tenant->id, sc->from, sc->to,
					       on_busy_listed, sc) != VA_OK) {
		if (r->store)
			op_end(r);
		free(sc);
		say(r, "I'm sorry, I can't reach our schedule right now.");
		handoff(r, "schedule unavailable");
	}
}

/* ---- booking ---------------------------------------------------------- */

static void notes_for(const struct rx *r, char *dst, size_t dstsz)
{
	size_t o = 0;

	dst[0] = '\0';
	if (r->urgent)
		o += (size_t)snprintf(dst + o, dstsz - o, "Urgent. ");
	if (r->pain >= 0 && o < dstsz)
		o += (size_t)snprintf(dst + o, dstsz - o, "Pain %d/10. ", r->pain);
	for (int s = 0; s < VA_SYMPTOM__COUNT && o < dstsz; s++)
		if (r->symptoms & (1u << s))
			o += (size_t)snprintf(dst + o, dstsz - o, "%s. ",
					      va_symptom_name((enum va_symptom)s));
	if (r->insurance[0] && o < dstsz)
		o += (size_t)snprintf(dst + o, dstsz - o, "Insurance: %s. ", r->insurance);
	if (o < dstsz)
		snprintf(dst + o, dstsz - o, "Booked by phone.");
}

static void on_booked(int status, const struct va_appointment *a, void *arg)
{
	struct rx *r = arg;

	if (!op_end(r))
		return;
	if (status == VA_E_EXISTS) {
		say(r, "I'm sorry, that time was just taken.");
		r->have_chosen = false;
		r->searched = false;
		r->step = S_COLLECT;
		advance(r);
		return;
	}
	if (status != VA_OK || !a) {
		say(r, "I'm sorry, something went wrong while booking.");
		handoff(r, "booking failed");
		return;
	}
	va_strlcpy(r->booked_id, a->id, sizeof(r->booked_id));
	detail(r, "appointment_id", a->id);
	if (r->holds)
		va_holds_release(r->holds, r->call_sid);
	VA_INFO("receptionist", r->call_sid, "booked", "appointment=%s service=%s provider=%s",
		a->id, va_service_code(a->service), a->provider_id);
	say(r, "You're all set. I've booked");
	va_buf_append_str(&r->out, " ");
	say_service(r, &r->out);
	va_buf_append_str(&r->out, " with ");
	va_buf_append_str(&r->out, provider_name(r, a->provider_id));
	say_on_when(r, a->start);
	va_buf_append_str(&r->out, ".");
	if (!va_practice_open_at(practice(r), r->tz, r->now))
		say(r, "Our office is closed right now, but your booking is in our schedule and "
		       "the team will see it when we open.");
	if (r->urgent)
		say(r, "If it gets worse before then, please call us back right away.");
	r->goal = G_NONE;
	r->step = S_ANYTHING_ELSE;
	r->have_chosen = false;
	r->have_wish = false;
	r->n_offered = 0;
	ask(r, VA_EXPECT_ANY, "Is there anything else I can help you with?");
	flush(r, false, NULL);
}

static void book(struct rx *r)
{
	struct va_appointment a;
	const struct va_service_def *sd;

	memset(&a, 0, sizeof(a));
	va_strlcpy(a.tenant_id, r->tenant->id, sizeof(a.tenant_id));
	va_strlcpy(a.patient_name, r->name, sizeof(a.patient_name));
	va_strlcpy(a.phone, r->phone, sizeof(a.phone));
	va_strlcpy(a.dob, r->dob, sizeof(a.dob));
	a.new_patient = r->patient == VA_PATIENT_NEW;
	a.service = r->service ? r->service : VA_SERVICE_EXAM;
	va_strlcpy(a.provider_id, r->chosen.provider_id, sizeof(a.provider_id));
	sd = va_practice_service(practice(r), a.service);
	a.start = r->chosen.start;
	a.end = sd ? r->chosen.start + (int64_t)sd->duration_min * 60 : r->chosen.end;
	a.urgent = r->urgent;
	notes_for(r, a.notes, sizeof(a.notes));
	va_strlcpy(a.session_id, r->session_id, sizeof(a.session_id));
	if (!op_begin(r) || va_store_appt_book(r->store, &a, on_booked, r) != VA_OK) {
		if (r->store)
			op_end(r);
		say(r, "I'm sorry, I can't reach our schedule right now.");
		handoff(r, "booking unavailable");
	}
}

/* ---- existing appointments -------------------------------------------- */

static void on_found(int status, const struct va_appointment *appts, size_t n, void *arg)
{
	struct rx *r = arg;

	if (!op_end(r))
		return;
	r->looked_up = true;
	r->n_found = 0;
	for (size_t i = 0; status == VA_OK && i < n && r->n_found < MAX_FOUND; i++)
		r->found[r->n_found++] = appts[i];
	if (r->n_found && !r->name[0])
		va_strlcpy(r->name, r->found[0].patient_name, sizeof(r->name));
	advance(r);
}

static void on_patient(int status, const struct va_appointment *a, void *arg)
{
	struct rx *r = arg;

	if (!op_end(r))
		return;
	r->patient_looked_up = true;
	if (status == VA_OK && a) {
		r->patient = VA_PATIENT_EXISTING;
		detail(r, "patient", "existing");
		if (!r->name[0])
			va_strlcpy(r->name, a->patient_name, sizeof(r->name));
		if (!r->dob[0])
			va_strlcpy(r->dob, a->dob, sizeof(r->dob));
	}
	advance(r);
}

static void on_patient_by_name(int status, const struct va_appointment *a, void *arg)
{
	struct rx *r = arg;

	if (!op_end(r))
		return;
	if (status == VA_OK && a && a->phone[0]) {
		/* Known under another number: look their appointments up there. */
		va_strlcpy(r->phone, a->phone, sizeof(r->phone));
		r->looked_up = false;
		r->patient = VA_PATIENT_EXISTING;
	}
	advance(r);
}

static void on_changed(int status, const struct va_appointment *a, void *arg)
{
	struct rx *r = arg;

	if (!op_end(r))
		return;
	if (status == VA_E_EXISTS) {
		say(r, "I'm sorry, that time was just taken.");
		r->have_chosen = false;
		r->searched = false;
		r->step = S_COLLECT;
		advance(r);
		return;
	}
	if (status != VA_OK || !a) {
		say(r, "I'm sorry, I couldn't change that appointment.");
		handoff(r, "appointment change failed");
		return;
	}
	if (r->holds)
		va_holds_release(r->holds, r->call_sid);
	detail(r, "appointment_id", a->id);
	if (a->status == VA_APPT_CANCELLED) {
		say(r, "Done. Your appointment");
		say_on_when(r, a->start);
		va_buf_append_str(&r->out, " is cancelled.");
		VA_INFO("receptionist", r->call_sid, "cancelled", "appointment=%s", a->id);
	} else {
		say(r, "Done. Your appointment is now");
		say_on_when(r, a->start);
		va_buf_appendf(&r->out, " with %s.", provider_name(r, a->provider_id));
		VA_INFO("receptionist", r->call_sid, "rescheduled", "appointment=%s", a->id);
	}
	r->goal = G_NONE;
	r->step = S_ANYTHING_ELSE;
	r->n_found = 0;
	r->looked_up = false;
	r->have_chosen = false;
	r->target_confirmed = false;
	ask(r, VA_EXPECT_ANY, "Is there anything else I can help you with?");
	flush(r, false, NULL);
}

/* ---- the next step ---------------------------------------------------- */

static const char *phone_for_lookup(const struct rx *r)
{
	if (r->phone[0])
		return r->phone;
	return r->caller_id;
}

static void ask_phone(struct rx *r)
{
	if (r->caller_id[0] && !r->phone[0]) {
		struct va_buf tail = VA_BUF_INIT(64);
		r->step = S_PHONE_CONFIRM;
		va_say_phone_tail(&tail, r->caller_id);
		ask(r, VA_EXPECT_YES_NO,
		    "Is the number you're calling from, %s, the best number to reach you?",
		    va_buf_cstr(&tail));
		va_buf_release(&tail);
	} else {
		ask(r, VA_EXPECT_PHONE, "What's the best phone number to reach you?");
	}
}

static void read_back(struct rx *r)
{
	r->step = S_CONFIRM;
	say(r, "Let me make sure I have this right:");
	va_buf_append_str(&r->out, " ");
	say_service(r, &r->out);
	va_buf_append_str(&r->out, " with ");
	va_buf_append_str(&r->out, provider_name(r, r->chosen.provider_id));
	say_on_when(r, r->chosen.start);
	va_buf_appendf(&r->out, ", for %s.", r->name);
	ask(r, VA_EXPECT_YES_NO, "Shall I book it? You can say yes, or press 1.");
}

static void advance_book(struct rx *r)
{
	if (!r->service) {
		if (r->urgent) {
			r->service = VA_SERVICE_EMERGENCY;
		} else {
			ask(r, VA_EXPECT_SERVICE,
			    "What would you like to come in for? For example a cleaning, a "
			    "checkup, or a problem with a tooth.");
			flush(r, false, NULL);
			return;
		}
	}
	if (r->urgent && !r->advised && (r->symptoms & (1u << VA_SYMPTOM_KNOCKED_OUT))) {
		r->advised = true;
		say(r, "If you have the tooth, hold it by the top, don't scrub it, and keep it in "
		       "milk; the sooner we see you, the better.");
	}
	/* What the caller already told us is not asked again. */
	if (r->pain >= 0)
		r->triage_asked = true;
	if (r->urgent && !r->triage_asked) {
		r->triage_asked = true;
		ask(r, VA_EXPECT_PAIN,
		    r->symptoms & ((1u << VA_SYMPTOM_SWELLING) | (1u << VA_SYMPTOM_FEVER))
			? "I'm sorry you're dealing with that. On a scale of 1 to 10, how bad "
			  "is the pain?"
			: "I'm sorry you're dealing with that. On a scale of 1 to 10, how bad "
			  "is the pain, and do you have any swelling or fever?");
		flush(r, false, NULL);
		return;
	}
	/* A caller the practice knows by their number is not asked who they are. */
	if ((!r->name[0] || r->patient == VA_PATIENT_UNKNOWN) && !r->patient_looked_up &&
	    phone_for_lookup(r)[0] && r->store) {
		if (op_begin(r) &&
		    va_store_patient_find(r->store, r->tenant->id, phone_for_lookup(r), on_patient,
					  r) == VA_OK)
			return;
		op_end(r);
		r->patient_looked_up = true;
	}
	if (!r->name[0]) {
		ask(r, VA_EXPECT_NAME, "May I have your first and last name, please?");
		flush(r, false, NULL);
		return;
	}
	if (!strchr(r->name, ' ') && !r->surname_asked) {
		r->surname_asked = true;
		ask(r, VA_EXPECT_NAME, "And your last name, please?");
		flush(r, false, NULL);
		return;
	}
	if (r->patient == VA_PATIENT_UNKNOWN) {
		ask(r, VA_EXPECT_NEW_OR_EXISTING,
		    "Have you been to our office before, or will this be your first visit?");
		flush(r, false, NULL);
		return;
	}
	if (!r->have_chosen) {
		if (!r->have_wish && !r->urgent) {
			ask(r, VA_EXPECT_TIME, "What day and time would work best for you?");
			flush(r, false, NULL);
			return;
		}
		if (r->step == S_OFFERED && r->searched) {
			reoffer(r);
			return;
		}
		start_search(r);
		if (r->step == S_ENDED)
			return;
		return;
	}
	if (!r->phone_ok) {
		if (r->phone[0] && strlen(r->phone) < 10)
			ask(r, VA_EXPECT_PHONE,
			    "Could I have the full number, with the area code?");
		else
			ask_phone(r);
		flush(r, false, NULL);
		return;
	}
	read_back(r);
	flush(r, false, NULL);
}

static void describe_found(struct rx *r, const struct va_appointment *a)
{
	va_buf_append_str(&r->out, " ");
	va_buf_append_str(&r->out, va_service_spoken(a->service));
	say_on_when(r, a->start);
	va_buf_appendf(&r->out, " with %s", provider_name(r, a->provider_id));
}

static void advance_existing(struct rx *r)
{
	if (!phone_for_lookup(r)[0]) {
		ask(r, VA_EXPECT_PHONE, "What phone number is the appointment under?");
		flush(r, false, NULL);
		return;
	}
	if (!r->looked_up) {
		if (op_begin(r) &&
		    va_store_appt_find_by_phone(r->store, r->tenant->id, phone_for_lookup(r),
						r->now, on_found, r) == VA_OK)
			return;
		if (r->store)
			op_end(r);
		say(r, "I'm sorry, I can't reach our schedule right now.");
		handoff(r, "schedule unavailable");
		return;
	}
	if (r->n_found == 0 && !r->by_name_tried) {
		/* Maybe they call from another phone: match by name and birth date. */
		if (!r->phone_missed) {
			r->phone_missed = true;
			say(r, "I couldn't find an upcoming appointment under the number");
			va_buf_append_str(&r->out, " ");
			va_say_phone_tail(&r->out, phone_for_lookup(r));
			va_buf_append_str(&r->out, ".");
		}
		if (!r->name[0]) {
			ask(r, VA_EXPECT_NAME, "What's the name on the appointment?");
			flush(r, false, NULL);
			return;
		}
		if (!r->dob[0]) {
			ask(r, VA_EXPECT_DOB, "And what's the patient's date of birth?");
			flush(r, false, NULL);
			return;
		}
		r->by_name_tried = true;
		if (op_begin(r) &&
		    va_store_patient_find_by_name(r->store, r->tenant->id, r->name, r->dob,
						  on_patient_by_name, r) == VA_OK)
			return;
		if (r->store)
			op_end(r);
	}
	if (r->n_found == 0 && strstr(va_buf_cstr(&r->out), "couldn't find")) {
		/* Already said in this reply. */
		r->goal = G_NONE;
		r->step = S_OPEN;
		r->looked_up = false;
		ask(r, VA_EXPECT_ANY,
		    "Would you like to book a new appointment, or try another number?");
		flush(r, false, NULL);
		return;
	}
	if (r->n_found == 0) {
		say(r, "I couldn't find an upcoming appointment under the number");
		va_buf_append_str(&r->out, " ");
		va_say_phone_tail(&r->out, phone_for_lookup(r));
		va_buf_append_str(&r->out, ".");
		r->goal = G_NONE;
		r->step = S_OPEN;
		r->looked_up = false;
		ask(r, VA_EXPECT_ANY,
		    "Would you like to book a new appointment, or try another number?");
		flush(r, false, NULL);
		return;
	}
	if (r->goal == G_CHECK) {
		say(r, "You're booked for");
		describe_found(r, &r->found[0]);
		va_buf_append_str(&r->out, ".");
		r->goal = G_NONE;
		r->step = S_ANYTHING_ELSE;
		r->looked_up = false;
		ask(r, VA_EXPECT_ANY, "Is there anything else I can help you with?");
		flush(r, false, NULL);
		return;
	}
	if (r->goal == G_CANCEL) {
		if (!r->target_confirmed) {
			r->step = S_TARGET_CONFIRM;
			say(r, "I see");
			describe_found(r, &r->found[0]);
			va_buf_append_str(&r->out, ".");
			ask(r, VA_EXPECT_YES_NO, "Would you like me to cancel it?");
			flush(r, false, NULL);
			return;
		}
		if (op_begin(r) && va_store_appt_cancel(r->store, r->tenant->id, r->found[0].id,
							on_changed, r) == VA_OK)
			return;
		if (r->store)
			op_end(r);
		handoff(r, "cancel unavailable");
		return;
	}
	/* Reschedule: the visit keeps its service; find a new time. */
	r->service = r->found[0].service;
	if (r->has_shift)
		shift_wish(r);
	if (!r->target_confirmed) {
		r->target_confirmed = true;
		say(r, "I see");
		describe_found(r, &r->found[0]);
		va_buf_append_str(&r->out, ".");
		if (!r->have_wish) {
			ask(r, VA_EXPECT_TIME, "What day and time would you like instead?");
			flush(r, false, NULL);
			return;
		}
	}
	if (!r->have_wish) {
		ask(r, VA_EXPECT_TIME, "What day and time would you like instead?");
		flush(r, false, NULL);
		return;
	}
	if (!r->have_chosen) {
		start_search(r);
		return;
	}
	{
		r->step = S_CONFIRM;
		say(r, "So that's");
		say_on_when(r, r->chosen.start);
		va_buf_appendf(&r->out, " with %s instead.",
			       provider_name(r, r->chosen.provider_id));
		ask(r, VA_EXPECT_YES_NO, "Shall I move it? You can say yes, or press 1.");
		flush(r, false, NULL);
		return;
	}
}

/* Turns "a week later" / "same time on Friday" into a time, now that the
 * visit being moved is known. */
static void shift_wish(struct rx *r)
{
	int64_t at = r->found[0].start;

	if (r->shift_when.kind != VA_WHEN_NONE) {
		struct va_civil v, d;
		int64_t d0 = local_day(r, r->shift_when.start), d1 = d0, day;

		if (r->shift_when.kind == VA_WHEN_WINDOW && r->shift_when.end > r->shift_when.start)
			d1 = local_day(r, r->shift_when.end - 1);
		va_tz_to_civil(r->tz, at, &v);
		day = d0;
		/* "same time next week" when the visit is itself next week: the
		 * caller means the week after it. */
		if (d1 > d0 && local_day(r, at) >= d0 && local_day(r, at) <= d1)
			d0 = d1 = local_day(r, at) + 7, day = d0;
		/* "same time next week": the visit's weekday in that week. */
		for (int64_t k = d0; k <= d1 && d1 > d0; k++) {
			int y, m, dd;
			va_civil_date_from_days(k, &y, &m, &dd);
			if (va_civil_weekday(y, m, dd) == v.wday) {
				day = k;
				break;
			}
		}
		memset(&d, 0, sizeof(d));
		va_civil_date_from_days(day, &d.year, &d.month, &d.day);
		d.hour = v.hour;
		d.minute = v.minute;
		at = va_tz_from_civil(r->tz, &d);
	}
	at += r->shift_s;
	r->has_shift = false;
	memset(&r->wish, 0, sizeof(r->wish));
	r->wish.kind = VA_WHEN_POINT;
	r->wish.start = r->wish.end = at;
	r->wish.day_from_min = r->wish.day_to_min = -1;
	r->have_wish = true;
	r->have_chosen = false;
	r->pick_after_search = true;
}

static void move_now(struct rx *r)
{
	const struct va_service_def *sd = va_practice_service(practice(r), r->found[0].service);
	int64_t end = sd ? r->chosen.start + (int64_t)sd->duration_min * 60 : r->chosen.end;

	if (op_begin(r) &&
	    va_store_appt_move(r->store, r->tenant->id, r->found[0].id, r->chosen.start, end,
			       r->chosen.provider_id, on_changed, r) == VA_OK)
		return;
	if (r->store)
		op_end(r);
	handoff(r, "reschedule unavailable");
}

static void advance(struct rx *r)
{
	if (r->over || r->step == S_ENDED)
		return;
	switch (r->goal) {
	case G_BOOK:
		advance_book(r);
		return;
	case G_CANCEL:
	case G_RESCHEDULE:
	case G_CHECK:
		advance_existing(r);
		return;
	case G_NONE:
		break;
	}
	if (r->step == S_ANYTHING_ELSE) {
		ask(r, VA_EXPECT_ANY, "Is there anything else I can help you with?");
	} else if (r->out.len == 0) {
		ask(r, VA_EXPECT_ANY,
		    "I can book, move or cancel an appointment, or answer questions about the "
		    "practice. What can I do for you?");
	} else {
		ask(r, VA_EXPECT_ANY, "Is there anything else, or would you like to book a visit?");
	}
	flush(r, false, NULL);
}

/* ---- understanding a turn --------------------------------------------- */

static bool has(const struct va_understanding *u, enum va_intent i)
{
	return (u->intents & VA_INTENT_BIT(i)) != 0;
}

/* A clear yes: "no" anywhere in the answer outweighs a "yes" (a booking is
 * only made on an unambiguous confirmation). */
static bool affirm(const struct va_understanding *u)
{
	/* Keys arrive through rx_on_dtmf as "yes"/"no"; a digit in speech
	 * ("if I press one...") is never a confirmation. */
	return has(u, VA_INTENT_YES) && !has(u, VA_INTENT_NO) && !has(u, VA_INTENT_CORRECTION);
}

static bool deny(const struct va_understanding *u)
{
	return has(u, VA_INTENT_NO);
}

static void clear_offer(struct rx *r)
{
	r->n_offered = 0;
	r->have_chosen = false;
	r->searched = false;
	if (r->step == S_OFFERED || r->step == S_CONFIRM)
		r->step = S_COLLECT;
	if (r->holds)
		va_holds_release(r->holds, r->call_sid);
}

static void merge(struct rx *r, const struct va_understanding *u)
{
	char dob[16];

	if (u->name[0] && r->surname_asked && r->expect == VA_EXPECT_NAME && r->name[0] &&
	    !strchr(r->name, ' ') && !strchr(u->name, ' ') && strcasecmp(r->name, u->name)) {
		/* "Jim" ... "Halpert": the last name asked for. */
		size_t n = strlen(r->name);
		snprintf(r->name + n, sizeof(r->name) - n, " %s", u->name);
		detail(r, "patient_name", r->name);
	} else if (u->name[0] &&
		   (!r->name[0] || r->expect == VA_EXPECT_NAME || has(u, VA_INTENT_CORRECTION))) {
		va_strlcpy(r->name, u->name, sizeof(r->name));
		detail(r, "patient_name", r->name);
	}
	if (u->phone[0]) {
		va_strlcpy(r->phone, u->phone, sizeof(r->phone));
		/* Seven digits lack the area code: asked for again below. */
		r->phone_ok = strlen(r->phone) >= 10;
		detail(r, "phone", r->phone);
	} else if (u->phone_is_caller_id && r->caller_id[0]) {
		va_strlcpy(r->phone, r->caller_id, sizeof(r->phone));
		r->phone_ok = true;
		detail(r, "phone", r->phone);
	}
	if (u->dob_year) {
		snprintf(dob, sizeof(dob), "%04d-%02d-%02d", u->dob_year, u->dob_month, u->dob_day);
		va_strlcpy(r->dob, dob, sizeof(r->dob));
		detail(r, "date_of_birth", r->dob);
	}
	if (u->patient != VA_PATIENT_UNKNOWN) {
		r->patient = u->patient;
		detail(r, "patient", u->patient == VA_PATIENT_NEW ? "new" : "existing");
	}
	if (u->service && (!r->service || r->expect == VA_EXPECT_SERVICE ||
			   has(u, VA_INTENT_CORRECTION) || r->service == VA_SERVICE_EXAM)) {
		if (r->service != u->service && r->have_chosen)
			clear_offer(r);
		/* An emergency visit stays one even if the caller names the tooth problem. */
		if (!(r->urgent && r->service == VA_SERVICE_EMERGENCY))
			r->service = u->service;
		detail(r, "service", va_service_code(r->service));
	}
	if (u->urgency >= VA_URGENCY_URGENT && !r->urgent) {
		r->urgent = true;
		detail(r, "urgency", u->urgency == VA_URGENCY_DANGER ? "danger" : "urgent");
		if (!r->service || r->goal == G_NONE)
			r->service = VA_SERVICE_EMERGENCY;
	}
	r->symptoms |= u->symptoms;
	if (u->pain_level >= 0)
		r->pain = u->pain_level;
	if (u->insurance[0]) {
		va_strlcpy(r->insurance, u->insurance, sizeof(r->insurance));
		detail(r, "insurance", r->insurance);
	}
	if (u->shift_s ||
	    (u->same_time && (u->when.kind == VA_WHEN_WINDOW || u->when.kind == VA_WHEN_POINT))) {
		r->has_shift = true;
		r->shift_s = u->shift_s;
		r->shift_when = u->when;
		if (!u->same_time)
			r->shift_when.kind = VA_WHEN_NONE;
		if (r->goal == G_RESCHEDULE && r->target_confirmed) {
			r->have_wish = false; /* re-read against the visit below */
			clear_offer(r);
		}
		return;
	}
	if (u->when.kind != VA_WHEN_NONE) {
		bool same = r->have_wish && r->wish.kind == u->when.kind &&
			    r->wish.start == u->when.start && r->wish.end == u->when.end;
		if (!same) {
			r->wish = u->when;
			r->have_wish = true;
			if (r->step != S_OFFERED)
				clear_offer(r);
		}
	}
}

/* Answers side questions from the practice's data; true if one was asked. */
static bool side_questions(struct rx *r, const struct va_understanding *u, const char *text)
{
	static const char *const new_patients[] = {
	    "accepting new",	"taking new",	      "accept new",	 "take new", "seeing new",
	    "see new patients", "accepting patients", "taking patients", NULL};
	static const char *const what_to_do[] = {"what should i do",
						 "what do i do",
						 "what can i do",
						 "what should we do",
						 "what do we do",
						 "should i take",
						 NULL};
	static const char *const come_now[] = {"right now",
					       "right away",
					       "asap",
					       "as soon as",
					       "get me in today",
					       "get him in today",
					       "get her in today",
					       "come in today",
					       "see me today",
					       NULL};
	const struct va_practice *p = practice(r);
	bool any = false;

	if (said_any(text, new_patients)) {
		say(r, "Yes, we're happy to welcome new patients.");
		any = true;
	}
	if (r->urgent && said_any(text, what_to_do)) {
		/* First aid while they wait, from what they told us. */
		if (r->symptoms & (1u << VA_SYMPTOM_KNOCKED_OUT))
			say(r, "If you have the tooth, hold it by the top, don't scrub it, and "
			       "keep it in milk.");
		if (r->symptoms & (1u << VA_SYMPTOM_BLEEDING))
			say(r, "Press a clean, damp gauze on the spot and bite down gently for "
			       "fifteen minutes.");
		if (r->symptoms & (1u << VA_SYMPTOM_SWELLING))
			say(r, "A cold compress on the outside of your cheek can ease the "
			       "swelling.");
		say(r, "Over-the-counter pain relief, taken as the package says, can help "
		       "until we see you. If swelling spreads toward your eye or neck, or you "
		       "have trouble breathing or swallowing, call 911 right away.");
		r->advised = true;
		any = true;
	} else if (r->urgent && said_any(text, come_now)) {
		say(r, "Yes, we'll find you the earliest visit we can.");
		any = true;
	}

	if (has(u, VA_INTENT_ASK_HOURS)) {
		struct va_civil c;
		const char *reason = NULL;
		if ((u->when.kind == VA_WHEN_WINDOW || u->when.kind == VA_WHEN_POINT) &&
		    u->when.end - u->when.start <= 86400) {
			/* A question about one day gets that day's answer. */
			va_tz_to_civil(r->tz, u->when.start, &c);
			if (va_practice_closed_on(p, c.year, c.month, c.day, &reason)) {
				say(r, "We're closed");
				say_day_phrase(r, u->when.start);
				va_buf_appendf(&r->out, "%s%s.", reason && *reason ? " for " : "",
					       reason && *reason ? reason : "");
			} else if (p->hours[c.wday].open_min < 0) {
				say(r, "We're not open");
				say_day_phrase(r, u->when.start);
				va_buf_append_str(&r->out, ".");
			} else {
				say(r, "We're open");
				say_day_phrase(r, u->when.start);
				va_buf_append_str(&r->out, " from ");
				va_say_clock(&r->out, p->hours[c.wday].open_min);
				va_buf_append_str(&r->out, " to ");
				va_say_clock(&r->out, p->hours[c.wday].close_min);
				va_buf_append_str(&r->out, ".");
			}
		} else {
			say(r, "We're open");
			va_buf_append_str(&r->out, " ");
			va_say_hours(&r->out, p);
			va_buf_append_str(&r->out, ".");
		}
		any = true;
	}
	if (has(u, VA_INTENT_ASK_LOCATION)) {
		if (p->address[0])
			say(r, "We're at %s.", p->address);
		else
			say(r, "Our front desk can give you directions.");
		any = true;
	}
	if (has(u, VA_INTENT_ASK_INSURANCE)) {
		const char *plan = u->insurance[0] ? va_practice_match_plan(p, u->insurance) : NULL;
		if (u->insurance[0] && !strcmp(u->insurance, "none"))
			say(r, "That's fine, we see patients without insurance too.");
		else if (plan)
			say(r,
			    "Yes, we accept %s. I'll note it for the front desk; they can tell "
			    "you what your plan covers.",
			    plan);
		else if (u->insurance[0])
			say(r,
			    "%s isn't on our list of accepted plans, but I'll note it and our "
			    "front desk can check it for you.",
			    u->insurance);
		else if (p->n_plans) {
			say(r, "We accept");
			for (size_t i = 0; i < p->n_plans && i < 5; i++)
				va_buf_appendf(&r->out, "%s %s",
					       i ? (i + 1 == p->n_plans || i == 4 ? " and" : ",")
						 : "",
					       p->plans[i]);
			va_buf_append_str(&r->out, ", among others.");
		} else {
			say(r, "Our front desk can check your insurance for you.");
		}
		any = true;
	}
	if (has(u, VA_INTENT_ASK_PRICES)) {
		say(r, "Prices depend on your treatment and insurance, so our front desk will "
		       "go over costs with you.");
		any = true;
	}
	return any;
}

static enum goal goal_from(const struct va_understanding *u)
{
	const uint32_t asks =
	    VA_INTENT_BIT(VA_INTENT_ASK_HOURS) | VA_INTENT_BIT(VA_INTENT_ASK_LOCATION) |
	    VA_INTENT_BIT(VA_INTENT_ASK_INSURANCE) | VA_INTENT_BIT(VA_INTENT_ASK_PRICES);

	/* "Are you open tomorrow?", "how much is a crown?": questions, not bookings. */
	if ((u->intents & asks) && !has(u, VA_INTENT_BOOK) && !has(u, VA_INTENT_EMERGENCY) &&
	    !has(u, VA_INTENT_RESCHEDULE) && !has(u, VA_INTENT_CANCEL) &&
	    u->urgency < VA_URGENCY_URGENT)
		return G_NONE;
	if (has(u, VA_INTENT_RESCHEDULE))
		return G_RESCHEDULE;
	if (has(u, VA_INTENT_CANCEL))
		return G_CANCEL;
	if (has(u, VA_INTENT_CONFIRM_EXISTING))
		return G_CHECK;
	if (has(u, VA_INTENT_BOOK) || has(u, VA_INTENT_EMERGENCY) || u->service ||
	    u->urgency >= VA_URGENCY_URGENT || u->when.kind != VA_WHEN_NONE)
		return G_BOOK;
	return G_NONE;
}

static void start_goal(struct rx *r, enum goal g)
{
	r->goal = g;
	r->step = S_COLLECT;
	r->looked_up = false;
	r->n_found = 0;
	r->target_confirmed = false;
	r->have_chosen = false;
	r->n_offered = 0;
	r->searched = false;
	if (g == G_RESCHEDULE || g == G_CANCEL || g == G_CHECK)
		r->have_wish = false; /* a time said for a past booking is not this one's */
	if (g != G_RESCHEDULE)
		r->has_shift = false;
	detail(r, "intent",
	       g == G_BOOK	   ? "book"
	       : g == G_CANCEL	   ? "cancel"
	       : g == G_RESCHEDULE ? "reschedule"
				   : "check");
}

static bool said_any(const char *text, const char *const *phrases)
{
	char low[512];
	size_t i;

	for (i = 0; text[i] && i + 1 < sizeof(low); i++)
		low[i] = (char)(text[i] >= 'A' && text[i] <= 'Z' ? text[i] + 32 : text[i]);
	low[i] = '\0';
	for (; *phrases; phrases++)
		if (strstr(low, *phrases))
			return true;
	return false;
}

/* Whether the time the caller said names today ("today at 2", "this
 * afternoon") rather than only a time of day ("at 2", "the afternoon"). */
static bool names_today(const struct va_understanding *u, const char *text)
{
	static const char *const today_words[] = {"today", "tonight", "this ", "now", NULL};
	char said[64];
	size_t n = u->when.match_len < sizeof(said) - 1 ? u->when.match_len : sizeof(said) - 1;

	if (u->when.match_start + n > strlen(text))
		return false;
	memcpy(said, text + u->when.match_start, n);
	said[n] = '\0';
	return said_any(said, today_words);
}

/* Picks one of the offered slots from what was said; true if picked. Times
 * are matched by their time of day too: "the 2 o'clock" is the offer at 2,
 * whatever day the bare time would mean on its own. */
static bool pick_offered(struct rx *r, const struct va_understanding *u, const char *text)
{
	static const char *const any_of[] = {
	    "either",	 "whichever",	"doesn't matter", "doesnt matter", "any of", "any one",
	    "anyone is", "any is fine", "you pick",	  "you choose",	   NULL};
	size_t n = r->n_offered;

	if (!n)
		return false;
	if (u->choice > 0 && (size_t)u->choice <= n) {
		r->chosen = r->offered[u->choice - 1];
		return true;
	}
	if (u->choice < 0) { /* "the last one" */
		r->chosen = r->offered[n - 1];
		return true;
	}
	if (u->when.kind == VA_WHEN_POINT || u->when.kind == VA_WHEN_WINDOW) {
		int from = local_minute(r, u->when.start);
		int to = u->when.kind == VA_WHEN_POINT ? from + 1 : local_minute(r, u->when.end);
		bool short_window = u->when.end - u->when.start <= 86400 && !names_today(u, text);
		for (size_t i = 0; i < n; i++) {
			int64_t st = r->offered[i].start;
			int m = local_minute(r, st);
			bool same_day = u->when.kind == VA_WHEN_POINT
					    ? st == u->when.start
					    : st >= u->when.start && st < u->when.end;
			bool same_time =
			    short_window && (to > from ? m >= from && m < to : m >= from || m < to);
			if (same_day || same_time) {
				r->chosen = r->offered[i];
				return true;
			}
		}
	}
	/* "eight", "the 10": a bare hour among the offers. */
	if (u->choice > (int)n && u->choice <= 12) {
		int h = u->choice <= 6 ? u->choice + 12 : u->choice == 12 ? 12 : u->choice;
		for (size_t i = 0; i < n; i++)
			if (local_minute(r, r->offered[i].start) / 60 == h) {
				r->chosen = r->offered[i];
				return true;
			}
	}
	/* "12 works", "the 2:30": a clock time in digits among the offers. */
	for (const char *q = text; *q; q++) {
		if (*q >= '0' && *q <= '9' && (q == text || q[-1] < '0' || q[-1] > '9')) {
			int h = 0, m = 0, k = 0;
			while (q[k] >= '0' && q[k] <= '9' && k < 3)
				h = h * 10 + (q[k++] - '0');
			if (q[k] == ':' && q[k + 1] >= '0' && q[k + 1] <= '5' && q[k + 2] >= '0' &&
			    q[k + 2] <= '9')
				m = (q[k + 1] - '0') * 10 + (q[k + 2] - '0');
			if (h >= 1 && h <= 12) {
				int h24 = h <= 6 ? h + 12 : h; /* the bare-hour rule: 1-6 pm */
				for (size_t i = 0; i < n; i++)
					if (local_minute(r, r->offered[i].start) == h24 * 60 + m) {
						r->chosen = r->offered[i];
						return true;
					}
			}
			break;
		}
	}
	if (said_any(text, any_of) || (affirm(u) && !deny(u))) {
		/* Any of them, or a plain yes: the one they asked for, else the first
		 * (the read-back lets them change it). */
		r->chosen = r->offered[0];
		for (size_t i = 0; r->have_wish && r->wish.kind == VA_WHEN_POINT && i < n; i++)
			if (r->offered[i].start == r->wish.start)
				r->chosen = r->offered[i];
		return true;
	}
	return false;
}

/* Forgets who the booking was for (a second booking may be for someone
 * else); keeps the number and the call's history. */
static void reset_patient(struct rx *r)
{
	r->name[0] = '\0';
	r->surname_asked = false;
	r->dob[0] = '\0';
	r->patient = VA_PATIENT_UNKNOWN;
	r->patient_looked_up = true; /* the number is the caller's: known already */
	r->service = VA_SERVICE_NONE;
	r->urgent = r->danger_told = r->triage_asked = r->advised = false;
	r->symptoms = 0;
	r->pain = -1;
	r->have_wish = false;
	r->have_chosen = false;
	r->n_offered = 0;
	r->searched = false;
}

static int64_t day_start(const struct rx *r, int64_t day)
{
	struct va_civil c;

	memset(&c, 0, sizeof(c));
	va_civil_date_from_days(day, &c.year, &c.month, &c.day);
	return va_tz_from_civil(r->tz, &c);
}

/* "Anything later?" / "Do you have anything earlier in the day?" while times
 * are on offer: look past the latest one, or before the earliest. */
static void offer_beyond(struct rx *r, int dir, bool same_day)
{
	int64_t lo = r->offered[0].start, hi = r->offered[0].start;

	for (size_t i = 1; i < r->n_offered; i++) {
		if (r->offered[i].start < lo)
			lo = r->offered[i].start;
		if (r->offered[i].start > hi)
			hi = r->offered[i].start;
	}
	memset(&r->wish, 0, sizeof(r->wish));
	r->wish.kind = VA_WHEN_WINDOW;
	r->wish.day_from_min = r->wish.day_to_min = -1;
	if (dir > 0) {
		r->wish.start = hi + 60;
		r->wish.end = same_day ? day_start(r, local_day(r, hi) + 1)
				       : hi + (int64_t)SEARCH_DAYS * 86400;
		r->wish.pref = VA_WHEN_PREF_EARLIEST;
	} else {
		r->wish.start = same_day ? day_start(r, local_day(r, lo)) : r->now;
		r->wish.end = lo;
		r->wish.pref = VA_WHEN_PREF_LATEST;
	}
	r->have_wish = true;
	r->pick_after_search = false;
	r->searched = false;
	clear_offer(r);
	r->step = S_COLLECT;
	advance(r);
}

/* "The afternoon", "2 o'clock" while a later day is being talked about:
 * that day, not today (unless the caller said "today"). */
static void anchor_wish(struct rx *r, const struct va_understanding *u, const char *text,
			int64_t ref)
{
	int64_t shift = local_day(r, ref) - local_day(r, r->now);

	if ((u->when.kind == VA_WHEN_POINT || u->when.kind == VA_WHEN_WINDOW) &&
	    u->when.end - u->when.start <= 86400 &&
	    local_day(r, u->when.start) == local_day(r, r->now) && shift > 0 &&
	    !names_today(u, text)) {
		struct va_civil c;
		int64_t len = u->when.end - u->when.start;
		va_tz_to_civil(r->tz, u->when.start, &c);
		c.day += (int)shift;
		r->wish = u->when;
		r->wish.start = va_tz_from_civil(r->tz, &c);
		r->wish.end = r->wish.start + len;
		r->have_wish = true;
	}
}

static void process(struct rx *r, const char *text)
{
	struct va_understanding u;
	bool side;
	enum goal g;

	static const char *const backing_out[] = {"never mind", "nevermind",	 "forget it",
						  "call back",	"call you back", NULL};
	static const char *const agreeing[] = {"uh huh", "uh-huh", "mm hmm", "mhm", NULL};
	static const char *const want_later[] = {"later", "anything after", "after that", NULL};
	static const char *const want_earlier[] = {"earlier", "sooner", "before that", NULL};
	static const char *const in_that_day[] = {"in the day",	    "that day",		"same day",
						  "in the morning", "in the afternoon", NULL};
	static const char *const none_fit[] = {
	    "none of",	    "neither",	 "dont work",	  "don't work",	 "doesnt work",
	    "doesn't work", "wont work", "won't work",	  "other time",	 "different time",
	    "another time", "other day", "different day", "another day", "other option",
	    "can't make",   "cant make", "can't do",	  "cant do",	 NULL};
	struct va_when wish0;
	struct va_slot chosen0;
	bool have_wish0, have_chosen0;

	if (r->pending > 0) {
		/* A booking or lookup is on its way: its answer becomes the reply
		 * to this turn; the words are not acted on twice. */
		return;
	}
	r->now = clock_now();
	va_understand(text, strlen(text), r->expect, r->now, r->tz, &u);
	/* "It broke last night": when it happened, not when to come. */
	if (u.when.kind == VA_WHEN_PAST)
		u.when.kind = VA_WHEN_NONE;
	/* "uh huh" agrees; it is not "huh?". */
	if (said_any(text, agreeing)) {
		u.intents &= ~VA_INTENT_BIT(VA_INTENT_REPEAT);
		u.intents |= VA_INTENT_BIT(VA_INTENT_YES);
	}
	/* "Never mind, I'll call back": leaving, whatever else it sounds like. */
	if (said_any(text, backing_out) && goal_from(&u) == G_NONE) {
		goodbye(r);
		return;
	}
	/* Another booking after one is done: for someone else, maybe. */
	if (r->step == S_ANYTHING_ELSE && goal_from(&u) == G_BOOK)
		reset_patient(r);
	/* "Have you been here before?" — "yes" / "no". */
	if (r->expect == VA_EXPECT_NEW_OR_EXISTING && u.patient == VA_PATIENT_UNKNOWN) {
		if (affirm(&u))
			u.patient = VA_PATIENT_EXISTING;
		else if (deny(&u))
			u.patient = VA_PATIENT_NEW;
	}
	wish0 = r->wish;
	have_wish0 = r->have_wish;
	chosen0 = r->chosen;
	have_chosen0 = r->have_chosen && r->step == S_CONFIRM;
	merge(r, &u);
	/* "The afternoon instead" at the read-back: that day's afternoon. */
	if (have_chosen0 && u.when.kind != VA_WHEN_NONE)
		anchor_wish(r, &u, text, chosen0.start);

	/* Danger signs first: this is not a booking question any more. */
	if (u.urgency == VA_URGENCY_DANGER && !r->danger_told) {
		r->danger_told = true;
		r->goal = G_BOOK;
		r->urgent = true;
		r->service = VA_SERVICE_EMERGENCY;
		r->triage_asked = true;
		r->step = S_DANGER_FOLLOWUP;
		say(r, "That could be serious. Please call 911 or go to the nearest emergency room "
		       "right now.");
		ask(r, VA_EXPECT_YES_NO,
		    "Would you also like me to book the earliest urgent visit with our dentist "
		    "for a follow-up?");
		VA_INFO("receptionist", r->call_sid, "danger_signs", "symptoms=%u", u.symptoms);
		flush(r, false, NULL);
		return;
	}
	if (has(&u, VA_INTENT_HUMAN)) {
		handoff(r, "caller asked for a person");
		return;
	}
	if (has(&u, VA_INTENT_REPEAT) && r->last_question[0] &&
	    u.intents == VA_INTENT_BIT(VA_INTENT_REPEAT)) {
		say(r, "Sure.");
		if (r->step == S_OFFERED && r->n_offered)
			say_offered(r, "I have");
		say(r, "%s", r->last_question);
		r->repeats = 0;
		flush(r, false, NULL);
		return;
	}
	side = side_questions(r, &u, text);
	if (side)
		r->repeats = 0; /* answering a question is progress */

	switch (r->step) {
	case S_CONFIRM:
		if (affirm(&u)) {
			if (r->goal == G_RESCHEDULE)
				move_now(r);
			else
				book(r);
			return;
		}
		if (has(&u, VA_INTENT_GOODBYE)) {
			if (!r->bye_checked && !deny(&u)) {
				/* Leaving mid-confirmation: say it is not done yet. */
				r->bye_checked = true;
				say(r, "Before you go, I haven't %s yet.",
				    r->goal == G_RESCHEDULE ? "moved it" : "booked that");
				ask(r, VA_EXPECT_YES_NO,
				    r->goal == G_RESCHEDULE ? "Shall I move it?"
							    : "Shall I book it?");
				flush(r, false, NULL);
				return;
			}
			goodbye(r);
			return;
		}
		if (deny(&u) || has(&u, VA_INTENT_CORRECTION) || u.when.kind != VA_WHEN_NONE) {
			r->have_chosen = false;
			if (r->step == S_CONFIRM)
				r->step = S_COLLECT;
			if (u.when.kind == VA_WHEN_NONE && !u.service && !u.name[0]) {
				r->have_wish = false;
				r->searched = false;
				say(r, "No problem, I won't book that.");
				ask(r, VA_EXPECT_TIME,
				    "Would you like a different day or time, or is there something "
				    "else I can help with?");
				flush(r, false, NULL);
				return;
			}
			r->searched = false;
			advance(r);
			return;
		}
		break;
	case S_OFFERED:
		if (side && !u.choice && r->n_offered) {
			/* A question while choosing: answer it, keep the offer. */
			r->wish = wish0;
			r->have_wish = have_wish0;
			reoffer(r);
			return;
		}
		if (r->n_offered && !u.choice && said_any(text, want_later)) {
			offer_beyond(r, 1, said_any(text, in_that_day));
			return;
		}
		if (r->n_offered && !u.choice && said_any(text, want_earlier)) {
			offer_beyond(r, -1, said_any(text, in_that_day));
			return;
		}
		if (pick_offered(r, &u, text)) {
			r->have_chosen = true;
			r->step = S_COLLECT;
			advance(r);
			return;
		}
		if (u.when.kind != VA_WHEN_NONE) {
			/* "The 2 o'clock", "the afternoon one" while times on another day
			 * are on offer: that time on the offered day, not today. */
			anchor_wish(r, &u, text, r->offered[0].start);
			r->pick_after_search = r->wish.kind == VA_WHEN_POINT;
			/* A new wish: look again. */
			r->searched = false;
			r->step = S_COLLECT;
			advance(r);
			return;
		}
		if (has(&u, VA_INTENT_GOODBYE)) {
			goodbye(r);
			return;
		}
		if (has(&u, VA_INTENT_NO) || has(&u, VA_INTENT_CORRECTION) ||
		    said_any(text, none_fit)) {
			clear_offer(r);
			r->have_wish = false;
			ask(r, VA_EXPECT_TIME,
			    "No problem. What day and time would suit you better?");
			flush(r, false, NULL);
			return;
		}
		break;
	case S_PHONE_CONFIRM:
		if (u.phone[0] || u.phone_is_caller_id) {
			/* "Yes, but my cell is better: …": the number given wins. */
			r->step = S_COLLECT;
			advance(r);
			return;
		}
		if (affirm(&u)) {
			va_strlcpy(r->phone, r->caller_id, sizeof(r->phone));
			r->phone_ok = true;
			detail(r, "phone", r->phone);
			r->step = S_COLLECT;
			advance(r);
			return;
		}
		if (!r->phone_ok && deny(&u)) {
			r->step = S_COLLECT;
			ask(r, VA_EXPECT_PHONE, "What's the best number to reach you?");
			flush(r, false, NULL);
			return;
		}
		if (r->phone_ok) {
			r->step = S_COLLECT;
			advance(r);
			return;
		}
		if (!side) {
			r->step = S_COLLECT;
			ask(r, VA_EXPECT_PHONE, "What's the best number to reach you?");
			flush(r, false, NULL);
			return;
		}
		break;
	case S_TARGET_CONFIRM:
		if (affirm(&u) || (r->goal == G_CANCEL && has(&u, VA_INTENT_CANCEL) && !deny(&u))) {
			r->target_confirmed = true;
			advance(r);
			return;
		}
		if (deny(&u) && has(&u, VA_INTENT_RESCHEDULE) && r->n_found) {
			/* "No, I'd rather move it." */
			r->goal = G_RESCHEDULE;
			r->step = S_COLLECT;
			r->target_confirmed = false;
			advance(r);
			return;
		}
		if (deny(&u)) {
			r->goal = G_NONE;
			r->step = S_ANYTHING_ELSE;
			say(r, "Okay, I'll leave it as it is.");
			advance(r);
			return;
		}
		break;
	case S_DANGER_FOLLOWUP:
		if (affirm(&u)) {
			r->step = S_COLLECT;
			advance(r);
			return;
		}
		if (deny(&u) || has(&u, VA_INTENT_GOODBYE)) {
			say(r, "Okay. Please get help right away, and call us back when you can. "
			       "Take care.");
			flush(r, true, NULL);
			return;
		}
		ask(r, VA_EXPECT_YES_NO,
		    "Please get help right away. Should I also book the earliest urgent visit "
		    "for a follow-up, yes or no?");
		flush(r, false, NULL);
		return;
	case S_ANYTHING_ELSE:
		if ((has(&u, VA_INTENT_NO) || has(&u, VA_INTENT_GOODBYE) ||
		     has(&u, VA_INTENT_THANKS)) &&
		    goal_from(&u) == G_NONE && !side) {
			goodbye(r);
			return;
		}
		break;
	default:
		break;
	}

	if (has(&u, VA_INTENT_GOODBYE) && goal_from(&u) == G_NONE && !side) {
		goodbye(r);
		return;
	}
	g = goal_from(&u);
	if (g != G_NONE && (r->goal == G_NONE || (g != G_BOOK && g != r->goal)))
		start_goal(r, g);
	if (r->goal == G_NONE && !side && has(&u, VA_INTENT_THANKS) && !has(&u, VA_INTENT_YES)) {
		say(r, "You're welcome!");
		r->step = S_ANYTHING_ELSE;
		advance(r);
		return;
	}
	if (r->goal == G_NONE && !side) {
		if (r->step == S_ANYTHING_ELSE && has(&u, VA_INTENT_YES)) {
			ask(r, VA_EXPECT_ANY, "Sure, what else can I do for you?");
			flush(r, false, NULL);
			return;
		}
		if (++r->misses >= MAX_MISSES) {
			say(r, "I'm sorry, I'm having trouble understanding.");
			handoff(r, "repeated misunderstanding");
			return;
		}
		if (r->misses > 1)
			say(r, "Sorry, I didn't quite get that.");
	} else if (r->goal != G_NONE) {
		r->misses = 0;
	}
	advance(r);
}

void va_receptionist_absorb(struct va_agent *a, const char *caller_text)
{
	struct rx *r = (struct rx *)a;
	struct va_understanding u;
	enum goal g;

	r->now = clock_now();
	va_understand(caller_text, strlen(caller_text), VA_EXPECT_ANY, r->now, r->tz, &u);
	if (u.when.kind == VA_WHEN_PAST)
		u.when.kind = VA_WHEN_NONE;
	merge(r, &u);
	g = goal_from(&u);
	if (g != G_NONE && r->goal == G_NONE)
		start_goal(r, g);
}

/* ---- the agent interface ---------------------------------------------- */

static void rx_on_prompt(struct va_agent *a, uint64_t turn, const char *text)
{
	struct rx *r = (struct rx *)a;
	const char *p = text;

	r->turn = turn;
	va_buf_reset(&r->out);
	if (r->step == S_ENDED)
		return;
	while (*p == ' ' || *p == '\t' || *p == '.')
		p++;
	if (!*p) {
		if (++r->silences >= MAX_SILENCES) {
			say(r, "I haven't heard anything for a while.");
			goodbye(r);
			return;
		}
		say(r, "Are you still there?");
		if (r->last_question[0])
			say(r, "%s", r->last_question);
		flush(r, false, NULL);
		return;
	}
	r->silences = 0;
	process(r, text);
}

static void rx_on_interrupt(struct va_agent *a, uint64_t turn, const char *heard)
{
	/* Nothing to undo: what was said stays said, and the caller's next words
	 * are taken in from where the conversation is. */
}

static void rx_on_dtmf(struct va_agent *a, uint64_t turn, char digit)
{
	struct rx *r = (struct rx *)a;
	char text[8];

	r->turn = turn;
	va_buf_reset(&r->out);
	if (r->step == S_ENDED)
		return;
	/* Keys stand for the answers the prompts name: 1 yes, 2 no, or a choice. */
	if (r->step == S_OFFERED && digit >= '1' && digit <= '0' + (int)r->n_offered) {
		r->chosen = r->offered[digit - '1'];
		r->have_chosen = true;
		r->step = S_COLLECT;
		r->now = clock_now();
		advance(r);
		return;
	}
	snprintf(text, sizeof(text), "%s", digit == '1' ? "yes" : digit == '2' ? "no" : "");
	if (!text[0]) {
		say(r, "Sorry, that key doesn't do anything here.");
		if (r->last_question[0])
			say(r, "%s", r->last_question);
		flush(r, false, NULL);
		return;
	}
	process(r, text);
}

static void rx_on_end(struct va_agent *a)
{
	struct rx *r = (struct rx *)a;

	r->over = true;
	if (r->holds)
		va_holds_release(r->holds, r->call_sid);
}

static void rx_free(struct va_agent *a)
{
	struct rx *r = (struct rx *)a;

	if (r->pending) {
		r->freed = true; /* the last store completion frees it */
		return;
	}
	rx_destroy(r);
}

static const struct va_agent_ops rx_ops = {
    .name = "receptionist",
    .on_prompt = rx_on_prompt,
    .on_interrupt = rx_on_interrupt,
    .on_dtmf = rx_on_dtmf,
    .on_end = rx_on_end,
    .free = rx_free,
};

static void caller_digits(const char *from, char *dst, size_t dstsz)
{
	size_t o = 0;

	dst[0] = '\0';
	if (!from || strncmp(from, "client:", 7) == 0)
		return;
	for (; *from && o + 1 < dstsz; from++)
		if (*from >= '0' && *from <= '9')
			dst[o++] = *from;
	dst[o] = '\0';
	/* US numbers are kept as 10 digits, like numbers the caller says. */
	if (o == 11 && dst[0] == '1')
		memmove(dst, dst + 1, o);
	if (strlen(dst) < 7)
		dst[0] = '\0';
}

static struct va_agent *rx_create(const struct va_agent_call *call,
				  const struct va_agent_host_ops *host_ops, void *host)
{
	struct rx *r;

	if (!call->tenant || !call->tz)
		return NULL;
	r = va_xcalloc(1, sizeof(*r));
	r->base.ops = &rx_ops;
	r->base.host_ops = host_ops;
	r->base.host = host;
	r->loop = call->loop;
	r->tenant = call->tenant;
	r->tz = call->tz;
	r->store = call->store;
	r->holds = call->holds;
	va_strlcpy(r->call_sid, call->call_sid ? call->call_sid : "", sizeof(r->call_sid));
	va_strlcpy(r->session_id, call->session_id ? call->session_id : "", sizeof(r->session_id));
	caller_digits(call->from, r->caller_id, sizeof(r->caller_id));
	r->pain = -1;
	va_buf_init(&r->out, 8192);
	return &r->base;
}

const struct va_agent_factory va_agent_receptionist_factory = {
    .name = "receptionist",
    .description = "embedded dental receptionist: understands callers and books without a "
		   "language model",
    .create = rx_create,
};
