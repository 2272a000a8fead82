/* SPDX-License-Identifier: MIT */
/*
 * sync.c - the calendar sync engine (sync.h). Everything runs on the loop
 * thread: store calls are asynchronous, CalDAV requests go through libcurl
 * multi. Each calendar has at most one push and one pull in flight.
 *
 * Lifetimes: a calendar's runtime record lives as long as the engine (a
 * disconnected calendar is only marked gone), and the engine itself is freed
 * only when no store job or request of its own is outstanding (refs).
 */
#include "calendar/sync.h"

#include "calendar/caldav.h"
#include "calendar/davxml.h"
#include "calendar/ical.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TICK_MS 250
/* Attempts after which a change that keeps failing with a 4xx is dropped. */
#define MAX_REJECTS 3
/* Credentials refused: retry slowly, the practice has been told. */
#define AUTH_RETRY_MS 60000
/* iCalendar is read on the loop: a pull may spend this much of it. A
 * normal calendar of a thousand events takes a few ms; this bounds what a
 * hostile one (rules that never match make libical search for long) can
 * take from every call. */
#define PARSE_BUDGET_NS (250ull * 1000 * 1000)
#define MAX_OCCURRENCES 20000
/* Hrefs per calendar-multiget request. */
#define MULTIGET_BATCH 100

struct cal_rt {
	struct va_calsync *cs;
	struct va_calendar cal;
	bool gone;
	/* push */
	bool pushing;
	int64_t next_push_ms;
	struct va_outbox_item item;
	int reconcile; /* 412 round trips for this item */
	struct va_dav_req *push_req;
	char put_url[VA_CAL_URL_MAX];
	char put_path[VA_CAL_URL_MAX];
	/* pull */
	bool pulling;
	bool pull_again; /* truncated (507) or token reset: pull again at once */
	bool force_full; /* the token was refused: start over */
	bool no_sync;	 /* the server has no sync-collection: time-range queries */
	int64_t next_pull_ms;
	struct va_dav_req *pull_req;
	struct va_cal_resource *res; /* this pull's resources */
	size_t n_res, cap_res;
	char **fetch; /* hrefs listed without calendar-data */
	size_t n_fetch, i_fetch;
	char new_token[512];
	bool full;
	uint64_t parse_ns;  /* spent reading this pull's iCalendar, on the loop */
	size_t occurrences; /* busy intervals read in this pull */
	bool over_budget;   /* the rest of this pull's objects are skipped */
	struct cal_rt *next;
};

struct va_calsync {
	uv_loop_t *loop;
	struct va_store *store;
	struct va_llm_http *http;
	struct va_holds *holds;
	va_calsync_tenant_fn tenant;
	void *tenant_arg;
	struct va_calsync_opts o;
	uv_timer_t timer;
	bool timer_closed;
	struct cal_rt *cals;
	struct va_calendar *listing; /* last listing, for status */
	size_t n_listing;
	int64_t next_reload_ms;
	bool reloading;
	bool closing;
	int refs; /* store jobs and requests outstanding */
	struct va_calsync_stats stats;
};

static void maybe_free(struct va_calsync *cs);
static void tick(struct va_calsync *cs);
static void push_next(struct cal_rt *rt);
static void pull_start(struct cal_rt *rt);

/* ---- small helpers ------------------------------------------------------- */

static void ref(struct va_calsync *cs)
{
	cs->refs++;
}

/* Drops a reference; true when the engine is closing (the caller returns
 * without touching anything). */
static bool unref(struct va_calsync *cs)
{
	cs->refs--;
	if (cs->closing) {
		maybe_free(cs);
		return true;
	}
	return false;
}

static int64_t backoff_ms(const struct va_calsync *cs, int attempts)
{
	int64_t d = cs->o.retry_base_ms;
	int i;

	for (i = 0; i < attempts && d < cs->o.retry_max_ms; i++)
		d *= 2;
	if (d > cs->o.retry_max_ms)
		d = cs->o.retry_max_ms;
	/* Up to a quarter of jitter, so calendars that failed together do not
	 * all retry in the same instant. */
	return d + (int64_t)((uint64_t)va_clock_mono_ns() % (uint64_t)(d / 4 + 1));
}

/* Percent-encodes a decoded path for a request line or an href. */
static int encode_path(const char *path, char *enc, size_t encsz)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t k = 0;
	const unsigned char *p;

	for (p = (const unsigned char *)path; *p; p++) {
		if (k + 4 >= encsz)
			return VA_E_TOOBIG;
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~/!$&'()*+,;=:@", *p)) {
			enc[k++] = (char)*p;
		} else {
			enc[k++] = '%';
			enc[k++] = hex[*p >> 4];
			enc[k++] = hex[*p & 15];
		}
	}
	enc[k] = '\0';
	return VA_OK;
}

static int path_to_url(const char *cal_url, const char *path, char *out, size_t outsz)
{
	char enc[VA_CAL_URL_MAX * 3];
	int rc = encode_path(path, enc, sizeof(enc));

	return rc ? rc : va_dav_url_join(cal_url, enc, out, outsz);
}

static bool retryable(long status)
{
	return status == 0 || status >= 500 || status == 429 || status == 423 || status == 408 ||
	       (status >= 300 && status < 400);
}

static const char *tenant_zone(struct va_calsync *cs, const char *tenant_id)
{
	const struct va_tenant *t = cs->tenant ? cs->tenant(tenant_id, cs->tenant_arg) : NULL;

	return t && t->timezone[0] ? t->timezone : "UTC";
}

/* ---- push ---------------------------------------------------------------- */

static void on_result_saved(int status, void *arg)
{
	struct cal_rt *rt = arg;
	struct va_calsync *cs = rt->cs;

	if (unref(cs))
		return;
	rt->pushing = false;
	if (status != VA_OK) {
		/* The store will say why in its log; try again shortly. */
		rt->next_push_ms = va_clock_wall_ms() + cs->o.retry_base_ms;
		return;
	}
	tick(cs);
}

static void save_result(struct cal_rt *rt, struct va_outbox_result *r)
{
	struct va_calsync *cs = rt->cs;
	int64_t now = va_clock_wall_ms();

	r->row_id = rt->item.row_id;
	va_strlcpy(r->calendar_id, rt->cal.id, sizeof(r->calendar_id));
	va_strlcpy(r->appointment_id, rt->item.appt.id, sizeof(r->appointment_id));
	if (r->delivered) {
		cs->stats.delivered++;
		if (now > rt->item.created_ms)
			va_latency_add_us(&cs->stats.delivery,
					  (uint64_t)(now - rt->item.created_ms) * 1000);
		rt->next_push_ms = now;
		VA_INFO("calendar", NULL, "delivered",
			"calendar=%s tenant=%s appt=%s version=%d link=%s", rt->cal.id,
			rt->cal.tenant_id, rt->item.appt.id, r->version,
			r->link == VA_OUTBOX_LINK_SET	 ? "set"
			: r->link == VA_OUTBOX_LINK_DROP ? "drop"
							 : "keep");
	} else {
		if (r->dead)
			cs->stats.dead++;
		else
			cs->stats.retries++;
		rt->next_push_ms = r->next_attempt_ms;
		VA_WARN("calendar", NULL, r->dead ? "delivery_dropped" : "delivery_retry",
			"calendar=%s tenant=%s appt=%s attempts=%d err=\"%s\"", rt->cal.id,
			rt->cal.tenant_id, rt->item.appt.id, rt->item.attempts + 1, r->error);
	}
	ref(cs);
	if (va_store_outbox_result(cs->store, r, on_result_saved, rt) != VA_OK) {
		cs->refs--;
		rt->pushing = false;
		rt->next_push_ms = now + cs->o.retry_base_ms;
	}
}

static void push_failed(struct cal_rt *rt, long status, int err, const char *what)
{
	struct va_outbox_result r = {0};
	int64_t now = va_clock_wall_ms();

	r.delivered = false;
	if (status == 401 || status == 403) {
		snprintf(r.error, sizeof(r.error), "%s: HTTP %ld (credentials refused)", what,
			 status);
		va_strlcpy(r.cal_state, "attention", sizeof(r.cal_state));
		r.next_attempt_ms = now + AUTH_RETRY_MS;
	} else if (status == 0 || retryable(status)) {
		if (status)
			snprintf(r.error, sizeof(r.error), "%s: HTTP %ld", what, status);
		else
			snprintf(r.error, sizeof(r.error), "%s: %s", what, va_err_str(err));
		va_strlcpy(r.cal_state, "error", sizeof(r.cal_state));
		r.next_attempt_ms = now + backoff_ms(rt->cs, rt->item.attempts);
	} else {
		/* The server refuses this change as such (400, 409, 415 ...):
		 * retrying the same request cannot help for long. */
		snprintf(r.error, sizeof(r.error), "%s: HTTP %ld (refused)", what, status);
		r.dead = rt->item.attempts + 1 >= MAX_REJECTS;
		r.next_attempt_ms = now + backoff_ms(rt->cs, rt->item.attempts);
	}
	save_result(rt, &r);
}

static void push_done(struct cal_rt *rt, enum va_outbox_link link, const char *etag)
{
	struct va_outbox_result r = {0};

	r.delivered = true;
	r.version = rt->item.appt.version;
	r.link = link;
	if (link == VA_OUTBOX_LINK_SET) {
		va_strlcpy(r.href, rt->put_path, sizeof(r.href));
		va_strlcpy(r.etag, etag ? etag : "", sizeof(r.etag));
	}
	save_result(rt, &r);
}

static void push_put(struct cal_rt *rt, const char *if_match, bool create);
static void push_delete(struct cal_rt *rt, const char *if_match);

/* After a 412: read what the calendar holds now, then write over it with
 * its current ETag (our database is the source of truth), or delete it. */
static void on_refetched(const struct va_dav_reply *rep, void *arg)
{
	struct cal_rt *rt = arg;
	bool deleting = rt->item.appt.status != VA_APPT_BOOKED;
	char uid[300];

	rt->push_req = NULL;
	if (unref(rt->cs))
		return;
	if (rep->err != VA_OK || (rep->status != 200 && rep->status != 404)) {
		push_failed(rt, rep->status, rep->err, "GET after 412");
		return;
	}
	if (rep->status == 404) {
		if (deleting)
			push_done(rt, VA_OUTBOX_LINK_DROP, NULL);
		else
			push_put(rt, NULL, true);
		return;
	}
	/* A resource at our name that is not our event: never overwrite it. */
	va_ical_uid(rt->item.appt.id, uid, sizeof(uid));
	if (!rep->body || !strstr(rep->body, uid)) {
		push_failed(rt, 409, VA_OK, "resource name taken by another event");
		return;
	}
	VA_INFO("calendar", NULL, "reconciled", "calendar=%s appt=%s", rt->cal.id,
		rt->item.appt.id);
	if (deleting)
		push_delete(rt, rep->etag[0] ? rep->etag : NULL);
	else
		push_put(rt, rep->etag[0] ? rep->etag : NULL, false);
}

static void refetch(struct cal_rt *rt)
{
	struct va_dav_opts o = {.method = "GET", .url = rt->put_url};

	if (++rt->reconcile > 2) {
		push_failed(rt, 412, VA_OK, "the event keeps changing under us");
		return;
	}
	ref(rt->cs);
	if (va_dav_request(rt->cs->http, &rt->cal, &o, on_refetched, rt, &rt->push_req) != VA_OK) {
		rt->cs->refs--;
		push_failed(rt, 0, VA_E_IO, "GET");
	}
}

static void on_put(const struct va_dav_reply *rep, void *arg)
{
	struct cal_rt *rt = arg;

	rt->push_req = NULL;
	if (unref(rt->cs))
		return;
	if (rep->err == VA_OK && rep->status >= 200 && rep->status < 300) {
		push_done(rt, VA_OUTBOX_LINK_SET, rep->etag);
		return;
	}
	if (rep->err == VA_OK && rep->status == 412) {
		refetch(rt);
		return;
	}
	if (rep->err == VA_OK && rep->status == 404 && rt->item.linked) {
		/* Deleted remotely before our pull noticed: create it again. */
		rt->item.linked = false;
		push_put(rt, NULL, true);
		return;
	}
	push_failed(rt, rep->status, rep->err, "PUT");
}

static void push_put(struct cal_rt *rt, const char *if_match, bool create)
{
	struct va_calsync *cs = rt->cs;
	const struct va_tenant *t =
	    cs->tenant ? cs->tenant(rt->cal.tenant_id, cs->tenant_arg) : NULL;
	struct va_ical_appt ia = {0};
	struct va_dav_opts o = {0};
	const struct va_provider *pv;
	char uid[300];
	char *body = NULL;
	int rc;

	va_ical_uid(rt->item.appt.id, uid, sizeof(uid));
	ia.appt = &rt->item.appt;
	ia.uid = uid;
	ia.sequence = rt->item.appt.version > 0 ? rt->item.appt.version - 1 : 0;
	ia.dtstamp = va_clock_wall_ms() / 1000;
	if (t) {
		ia.practice_name = t->name;
		pv = va_practice_provider(&t->practice, rt->item.appt.provider_id);
		ia.provider_name = pv ? pv->name : NULL;
	}
	rc = va_ical_appt_object(&ia, &body);
	if (rc) {
		push_failed(rt, 400, rc, "iCalendar");
		return;
	}
	o.method = "PUT";
	o.url = rt->put_url;
	o.content_type = "text/calendar; charset=utf-8";
	o.body = body;
	o.len = strlen(body);
	o.if_match = if_match;
	o.if_none_match = create && !if_match;
	ref(cs);
	rc = va_dav_request(cs->http, &rt->cal, &o, on_put, rt, &rt->push_req);
	free(body);
	if (rc) {
		cs->refs--;
		push_failed(rt, 0, rc, "PUT");
	}
}

static void on_deleted(const struct va_dav_reply *rep, void *arg)
{
	struct cal_rt *rt = arg;

	rt->push_req = NULL;
	if (unref(rt->cs))
		return;
	if (rep->err == VA_OK && ((rep->status >= 200 && rep->status < 300) || rep->status == 404 ||
				  rep->status == 410)) {
		push_done(rt, VA_OUTBOX_LINK_DROP, NULL);
		return;
	}
	if (rep->err == VA_OK && rep->status == 412) {
		refetch(rt);
		return;
	}
	push_failed(rt, rep->status, rep->err, "DELETE");
}

static void push_delete(struct cal_rt *rt, const char *if_match)
{
	struct va_dav_opts o = {.method = "DELETE", .url = rt->put_url, .if_match = if_match};

	ref(rt->cs);
	if (va_dav_request(rt->cs->http, &rt->cal, &o, on_deleted, rt, &rt->push_req) != VA_OK) {
		rt->cs->refs--;
		push_failed(rt, 0, VA_E_IO, "DELETE");
	}
}

/* Does this appointment belong on this calendar as it is now? */
static bool wanted(const struct cal_rt *rt, const struct va_appointment *a)
{
	return a->status == VA_APPT_BOOKED &&
	       (!rt->cal.provider_id[0] || strcmp(rt->cal.provider_id, a->provider_id) == 0);
}

static void deliver(struct cal_rt *rt)
{
	const struct va_outbox_item *it = &rt->item;
	char name[64], path[VA_CAL_URL_MAX];
	size_t i;

	rt->reconcile = 0;
	if (it->linked) {
		va_strlcpy(rt->put_path, it->href, sizeof(rt->put_path));
	} else {
		/* Resource names of [a-z0-9-] only: no server needs them encoded. */
		snprintf(name, sizeof(name), "%s.ics", it->appt.id);
		for (i = 0; name[i]; i++)
			if (name[i] == '_')
				name[i] = '-';
		if (va_dav_url_path(rt->cal.url, path, sizeof(path)) != VA_OK ||
		    strlen(path) + strlen(name) + 2 >= sizeof(rt->put_path)) {
			push_failed(rt, 400, VA_E_TOOBIG, "calendar URL");
			return;
		}
		va_strlcpy(rt->put_path, path, sizeof(rt->put_path));
		if (path[strlen(path) - 1] != '/')
			strcat(rt->put_path, "/");
		strcat(rt->put_path, name); /* fits: checked above */
	}
	if (path_to_url(rt->cal.url, rt->put_path, rt->put_url, sizeof(rt->put_url)) != VA_OK) {
		push_failed(rt, 400, VA_E_TOOBIG, "calendar URL");
		return;
	}
	if (wanted(rt, &it->appt)) {
		if (it->linked && it->published_version >= it->appt.version) {
			push_done(rt, VA_OUTBOX_LINK_KEEP, NULL); /* it has this already */
			return;
		}
		push_put(rt, it->linked && it->etag[0] ? it->etag : NULL, !it->linked);
	} else if (it->linked) {
		push_delete(rt, it->etag[0] ? it->etag : NULL);
	} else {
		push_done(rt, VA_OUTBOX_LINK_KEEP, NULL); /* never there: nothing to remove */
	}
}

static void on_next(int status, const struct va_outbox_item *item, int64_t next_due_ms, void *arg)
{
	struct cal_rt *rt = arg;
	struct va_calsync *cs = rt->cs;

	if (unref(cs))
		return;
	if (status != VA_OK || !item || rt->gone) {
		rt->pushing = false;
		/* Nothing due: sleep until the earliest retry, or a poll
		 * (another server's bookings reach us this way). */
		rt->next_push_ms = va_clock_wall_ms() + cs->o.pull_ms;
		if (status == VA_E_NOTFOUND && next_due_ms && next_due_ms < rt->next_push_ms)
			rt->next_push_ms = next_due_ms;
		return;
	}
	rt->item = *item;
	deliver(rt);
}

static void push_next(struct cal_rt *rt)
{
	struct va_calsync *cs = rt->cs;

	rt->pushing = true;
	ref(cs);
	if (va_store_outbox_next(cs->store, rt->cal.id, va_clock_wall_ms(), on_next, rt) != VA_OK) {
		cs->refs--;
		rt->pushing = false;
		rt->next_push_ms = va_clock_wall_ms() + cs->o.retry_base_ms;
	}
}

/* ---- pull ---------------------------------------------------------------- */

static void pull_reset(struct cal_rt *rt)
{
	size_t i;

	for (i = 0; i < rt->n_res; i++)
		free(rt->res[i].ev);
	free(rt->res);
	rt->res = NULL;
	rt->n_res = rt->cap_res = 0;
	for (i = 0; i < rt->n_fetch; i++)
		free(rt->fetch[i]);
	free(rt->fetch);
	rt->fetch = NULL;
	rt->n_fetch = rt->i_fetch = 0;
	rt->new_token[0] = '\0';
	rt->full = false;
	rt->parse_ns = 0;
	rt->occurrences = 0;
	rt->over_budget = false;
}

static void pull_end(struct cal_rt *rt, bool ok)
{
	struct va_calsync *cs = rt->cs;

	pull_reset(rt);
	rt->pulling = false;
	if (ok) {
		cs->stats.pulls++;
	} else {
		cs->stats.pull_errors++;
		rt->pull_again = false;
	}
	rt->next_pull_ms = va_clock_wall_ms() + (rt->pull_again ? 0 : cs->o.pull_ms);
	rt->pull_again = false;
}

static void pull_failed(struct cal_rt *rt, long status, int err, const char *what)
{
	struct va_calsync *cs = rt->cs;
	char msg[200];
	const char *state = "error";

	if (status == 401 || status == 403) {
		snprintf(msg, sizeof(msg), "%s: HTTP %ld (credentials refused)", what, status);
		state = "attention";
	} else if (status) {
		snprintf(msg, sizeof(msg), "%s: HTTP %ld", what, status);
	} else {
		snprintf(msg, sizeof(msg), "%s: %s", what, va_err_str(err));
	}
	VA_WARN("calendar", NULL, "pull_failed", "calendar=%s tenant=%s err=\"%s\"", rt->cal.id,
		rt->cal.tenant_id, msg);
	va_store_cal_mark(cs->store, rt->cal.id, state, msg, 0, 0, NULL, NULL);
	pull_end(rt, false);
}

/* Adds the occurrences of one calendar object to the pull. */
struct parse_ctx {
	struct va_cal_resource *r;
	size_t cap;
	size_t *total; /* occurrences in the whole pull */
};

static int on_event(const struct va_ical_event *ev, void *arg)
{
	struct parse_ctx *p = arg;
	struct va_cal_event_in *e;

	/* Busy time the scheduler scans on every offer: a calendar gets this
	 * much of it per pull, whatever its server sends. */
	if (++*p->total > MAX_OCCURRENCES)
		return 1;
	if (p->r->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 4;
		p->r->ev = va_xrealloc(p->r->ev, p->cap * sizeof(*p->r->ev));
	}
	e = &p->r->ev[p->r->n++];
	memset(e, 0, sizeof(*e));
	e->start = ev->start;
	e->end = ev->end;
	e->cancelled = ev->cancelled;
	e->transparent = ev->transparent;
	va_strlcpy(e->appointment_id, ev->appointment_id, sizeof(e->appointment_id));
	return 0;
}

static struct va_cal_resource *add_resource(struct cal_rt *rt, const char *href, const char *etag)
{
	struct va_cal_resource *r;

	if (rt->n_res == rt->cap_res) {
		rt->cap_res = rt->cap_res ? rt->cap_res * 2 : 16;
		rt->res = va_xrealloc(rt->res, rt->cap_res * sizeof(*rt->res));
	}
	r = &rt->res[rt->n_res++];
	memset(r, 0, sizeof(*r));
	va_dav_url_path(href, r->href, sizeof(r->href));
	va_strlcpy(r->etag, etag ? etag : "", sizeof(r->etag));
	return r;
}

/* Reads one response of a listing into the pull: a deletion, an object with
 * its data, or an href whose data must be fetched. */
static void take_response(struct cal_rt *rt, const struct va_dav_resp *x, int64_t from, int64_t to)
{
	struct va_calsync *cs = rt->cs;
	struct va_cal_resource *r;
	struct parse_ctx pc;
	int unknown = 0, rc;
	uint64_t t0;
	size_t l;

	if (!x->href)
		return;
	l = strlen(x->href);
	if (l && x->href[l - 1] == '/')
		return; /* the collection itself (iCloud lists it) */
	if (x->status == 404 || x->status == 410) {
		r = add_resource(rt, x->href, NULL);
		r->deleted = true;
		return;
	}
	if (!x->calendar_data) {
		if (rt->n_fetch % 16 == 0)
			rt->fetch = va_xrealloc(rt->fetch, (rt->n_fetch + 16) * sizeof(char *));
		rt->fetch[rt->n_fetch++] = va_xstrdup(x->href);
		return;
	}
	if (rt->over_budget)
		return;
	if (rt->parse_ns > PARSE_BUDGET_NS) {
		rt->over_budget = true;
		VA_WARN("calendar", NULL, "parse_budget",
			"calendar=%s tenant=%s ms=%llu rest of this pull skipped", rt->cal.id,
			rt->cal.tenant_id, (unsigned long long)(rt->parse_ns / 1000000));
		return;
	}
	r = add_resource(rt, x->href, x->etag);
	pc.r = r;
	pc.cap = 0;
	pc.total = &rt->occurrences;
	t0 = va_clock_mono_ns();
	rc = va_ical_parse(x->calendar_data, strlen(x->calendar_data),
			   tenant_zone(cs, rt->cal.tenant_id), from, to, on_event, &pc, &unknown);
	rt->parse_ns += va_clock_mono_ns() - t0;
	if (rc == 1) {
		/* Stopped by the occurrence cap: keep what was read, skip the rest. */
		rc = VA_OK;
		rt->over_budget = true;
		VA_WARN("calendar", NULL, "busy_cap",
			"calendar=%s tenant=%s occurrences=%d rest of this pull skipped",
			rt->cal.id, rt->cal.tenant_id, MAX_OCCURRENCES);
	}
	if (rc != VA_OK) {
		/* Not usable: keep nothing from it, and say so (without its
		 * content, which is staff's). */
		VA_WARN("calendar", NULL, "bad_event", "calendar=%s tenant=%s err=%s", rt->cal.id,
			rt->cal.tenant_id, va_err_name(rc));
		free(r->ev);
		r->ev = NULL;
		r->n = 0;
		rt->n_res--;
	} else if (unknown) {
		VA_WARN("calendar", NULL, "unknown_tz",
			"calendar=%s tenant=%s events=%d read in the practice's zone", rt->cal.id,
			rt->cal.tenant_id, unknown);
	}
}

static void on_applied(int status, const struct va_busy *v, size_t n, void *arg)
{
	struct cal_rt *rt = arg;
	struct va_calsync *cs = rt->cs;

	if (unref(cs))
		return;
	if (status != VA_OK) {
		pull_failed(rt, 0, status, "saving the pull");
		return;
	}
	if (!rt->gone)
		va_holds_set_blocks(cs->holds, rt->cal.tenant_id, rt->cal.id, v, n);
	pull_end(rt, true);
}

static void pull_apply(struct cal_rt *rt, bool save_token)
{
	struct va_calsync *cs = rt->cs;
	struct va_cal_pull p = {0};

	va_strlcpy(p.calendar_id, rt->cal.id, sizeof(p.calendar_id));
	va_strlcpy(p.tenant_id, rt->cal.tenant_id, sizeof(p.tenant_id));
	p.full = rt->full;
	p.save_token = save_token;
	va_strlcpy(p.sync_token, rt->new_token, sizeof(p.sync_token));
	if (save_token)
		va_strlcpy(rt->cal.sync_token, rt->new_token, sizeof(rt->cal.sync_token));
	p.n = rt->n_res;
	p.res = rt->res;
	p.now_ms = va_clock_wall_ms();
	ref(cs);
	if (va_store_cal_pull_apply(cs->store, &p, on_applied, rt) != VA_OK) {
		cs->refs--;
		pull_failed(rt, 0, VA_E_FULL, "saving the pull");
	}
}

static void window(const struct va_calsync *cs, int64_t *from, int64_t *to)
{
	int64_t now = va_clock_wall_ms() / 1000;

	*from = now - 86400;
	*to = now + (int64_t)cs->o.window_days * 86400;
}

static void fetch_next(struct cal_rt *rt);

static void on_multiget(const struct va_dav_reply *rep, void *arg)
{
	struct cal_rt *rt = arg;
	struct va_dav_multistatus ms = {0};
	int64_t from, to;
	size_t i;

	rt->pull_req = NULL;
	if (unref(rt->cs))
		return;
	if (rep->err != VA_OK || rep->status != 207) {
		pull_failed(rt, rep->status, rep->err, "calendar-multiget");
		return;
	}
	if (va_dav_parse_multistatus(rep->body, rep->len, &ms) != VA_OK) {
		pull_failed(rt, 0, VA_E_PARSE, "calendar-multiget");
		return;
	}
	window(rt->cs, &from, &to);
	for (i = 0; i < ms.n; i++)
		if (ms.v[i].calendar_data || ms.v[i].status == 404)
			take_response(rt, &ms.v[i], from, to);
	va_dav_multistatus_release(&ms);
	fetch_next(rt);
}

/* Fetches the listed hrefs that came without data, a batch at a time; then
 * applies the pull. */
static void fetch_next(struct cal_rt *rt)
{
	struct va_buf b = VA_BUF_INIT(VA_CALDAV_MAX_BODY);
	struct va_dav_opts o = {0};
	size_t i, end = rt->i_fetch + MULTIGET_BATCH;

	if (rt->i_fetch >= rt->n_fetch) {
		pull_apply(rt, !rt->no_sync);
		return;
	}
	if (end > rt->n_fetch)
		end = rt->n_fetch;
	va_buf_append_str(&b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
			      "<c:calendar-multiget xmlns:d=\"DAV:\" "
			      "xmlns:c=\"urn:ietf:params:xml:ns:caldav\">"
			      "<d:prop><d:getetag/><c:calendar-data/></d:prop>");
	for (i = rt->i_fetch; i < end; i++) {
		char path[VA_CAL_URL_MAX], enc[VA_CAL_URL_MAX * 3];

		/* Hrefs are decoded: send them encoded again, and escape XML. */
		if (va_dav_url_path(rt->fetch[i], path, sizeof(path)) != VA_OK ||
		    encode_path(path, enc, sizeof(enc)) != VA_OK)
			continue;
		va_buf_append_str(&b, "<d:href>");
		for (const char *p = enc; *p; p++) {
			if (*p == '&')
				va_buf_append_str(&b, "&amp;");
			else if (*p == '<')
				va_buf_append_str(&b, "&lt;");
			else
				va_buf_append(&b, p, 1);
		}
		va_buf_append_str(&b, "</d:href>");
	}
	va_buf_append_str(&b, "</c:calendar-multiget>");
	rt->i_fetch = end;
	o.method = "REPORT";
	o.url = rt->cal.url;
	o.depth = "1";
	o.content_type = "application/xml; charset=utf-8";
	o.body = va_buf_cstr(&b);
	o.len = b.len;
	ref(rt->cs);
	if (va_dav_request(rt->cs->http, &rt->cal, &o, on_multiget, rt, &rt->pull_req) != VA_OK) {
		rt->cs->refs--;
		pull_failed(rt, 0, VA_E_IO, "calendar-multiget");
	}
	va_buf_release(&b);
}

static void on_listing(const struct va_dav_reply *rep, void *arg)
{
	struct cal_rt *rt = arg;
	struct va_dav_multistatus ms = {0};
	bool sync = !rt->no_sync;
	int64_t from, to;
	size_t i;

	rt->pull_req = NULL;
	if (unref(rt->cs))
		return;
	if (rep->err != VA_OK) {
		pull_failed(rt, 0, rep->err, sync ? "sync-collection" : "calendar-query");
		return;
	}
	if (sync && rt->cal.sync_token[0] && (rep->status == 403 || rep->status == 409) &&
	    strstr(rep->body, "valid-sync-token")) {
		/* The token expired: start over from nothing. */
		VA_INFO("calendar", NULL, "sync_token_reset", "calendar=%s", rt->cal.id);
		rt->cal.sync_token[0] = '\0';
		rt->pulling = false;
		rt->next_pull_ms = 0;
		pull_reset(rt);
		tick(rt->cs);
		return;
	}
	if (sync && rep->status != 207 && rep->status != 401 && rep->status != 403 &&
	    !retryable(rep->status)) {
		/* No sync-collection here (400, 404, 405, 501 ...): list by
		 * time range from now on. */
		VA_INFO("calendar", NULL, "no_sync_collection", "calendar=%s status=%ld",
			rt->cal.id, rep->status);
		rt->no_sync = true;
		rt->pulling = false;
		rt->next_pull_ms = 0;
		pull_reset(rt);
		tick(rt->cs);
		return;
	}
	if (rep->status != 207) {
		pull_failed(rt, rep->status, VA_OK, sync ? "sync-collection" : "calendar-query");
		return;
	}
	if (va_dav_parse_multistatus(rep->body, rep->len, &ms) != VA_OK) {
		pull_failed(rt, 0, VA_E_PARSE, sync ? "sync-collection" : "calendar-query");
		return;
	}
	window(rt->cs, &from, &to);
	rt->full = !sync || !rt->cal.sync_token[0];
	for (i = 0; i < ms.n; i++)
		take_response(rt, &ms.v[i], from, to);
	if (sync) {
		va_strlcpy(rt->new_token, ms.sync_token ? ms.sync_token : "",
			   sizeof(rt->new_token));
		rt->pull_again = ms.truncated;
	}
	va_dav_multistatus_release(&ms);
	fetch_next(rt);
}

static void pull_start(struct cal_rt *rt)
{
	struct va_calsync *cs = rt->cs;
	struct va_buf b = VA_BUF_INIT(8192);
	struct va_dav_opts o = {0};
	char s[32], e[32];
	int64_t from, to;
	time_t t;
	struct tm tm;

	rt->pulling = true;
	pull_reset(rt);
	if (!rt->no_sync) {
		/* calendar-data in the same answer saves a round trip where the
		 * server gives it; missing data is fetched by multiget. */
		va_buf_append_str(&b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
				      "<d:sync-collection xmlns:d=\"DAV:\" "
				      "xmlns:c=\"urn:ietf:params:xml:ns:caldav\"><d:sync-token>");
		for (const char *p = rt->cal.sync_token; *p; p++) {
			if (*p == '&')
				va_buf_append_str(&b, "&amp;");
			else if (*p == '<')
				va_buf_append_str(&b, "&lt;");
			else
				va_buf_append(&b, p, 1);
		}
		va_buf_append_str(&b, "</d:sync-token><d:sync-level>1</d:sync-level>"
				      "<d:prop><d:getetag/><c:calendar-data/></d:prop>"
				      "</d:sync-collection>");
		o.depth = "0";
	} else {
		window(cs, &from, &to);
		t = (time_t)from;
		gmtime_r(&t, &tm);
		strftime(s, sizeof(s), "%Y%m%dT%H%M%SZ", &tm);
		t = (time_t)to;
		gmtime_r(&t, &tm);
		strftime(e, sizeof(e), "%Y%m%dT%H%M%SZ", &tm);
		va_buf_appendf(&b,
			       "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
			       "<c:calendar-query xmlns:d=\"DAV:\" "
			       "xmlns:c=\"urn:ietf:params:xml:ns:caldav\">"
			       "<d:prop><d:getetag/><c:calendar-data/></d:prop>"
			       "<c:filter><c:comp-filter name=\"VCALENDAR\">"
			       "<c:comp-filter name=\"VEVENT\">"
			       "<c:time-range start=\"%s\" end=\"%s\"/>"
			       "</c:comp-filter></c:comp-filter></c:filter></c:calendar-query>",
			       s, e);
		o.depth = "1";
	}
	o.method = "REPORT";
	o.url = rt->cal.url;
	o.content_type = "application/xml; charset=utf-8";
	o.body = va_buf_cstr(&b);
	o.len = b.len;
	ref(cs);
	if (va_dav_request(cs->http, &rt->cal, &o, on_listing, rt, &rt->pull_req) != VA_OK) {
		cs->refs--;
		pull_failed(rt, 0, VA_E_IO, "REPORT");
	}
	va_buf_release(&b);
}

/* ---- calendars ----------------------------------------------------------- */

static void on_busy_loaded(int status, const struct va_busy *v, size_t n, void *arg)
{
	struct cal_rt *rt = arg;

	if (unref(rt->cs))
		return;
	if (status == VA_OK && !rt->gone)
		va_holds_set_blocks(rt->cs->holds, rt->cal.tenant_id, rt->cal.id, v, n);
}

static void on_listed(int status, const struct va_calendar *v, size_t n, void *arg)
{
	struct va_calsync *cs = arg;
	struct cal_rt *rt;
	size_t i;

	if (unref(cs))
		return;
	cs->reloading = false;
	cs->next_reload_ms = va_clock_wall_ms() + cs->o.reload_ms;
	if (status != VA_OK)
		return;
	free(cs->listing);
	cs->listing = n ? va_xmalloc(n * sizeof(*v)) : NULL;
	if (n)
		memcpy(cs->listing, v, n * sizeof(*v));
	cs->n_listing = n;
	for (rt = cs->cals; rt; rt = rt->next)
		rt->gone = true;
	for (i = 0; i < n; i++) {
		for (rt = cs->cals; rt; rt = rt->next)
			if (strcmp(rt->cal.id, v[i].id) == 0)
				break;
		if (rt) {
			/* Keep our view of the sync token: the row may lag a
			 * pull still being saved. */
			char token[sizeof(rt->cal.sync_token)];

			memcpy(token, rt->cal.sync_token, sizeof(token));
			if (strcmp(rt->cal.url, v[i].url) != 0)
				token[0] = '\0';
			rt->cal = v[i];
			memcpy(rt->cal.sync_token, token, sizeof(token));
			if (!rt->cal.sync_token[0])
				va_strlcpy(rt->cal.sync_token, v[i].sync_token,
					   sizeof(rt->cal.sync_token));
			rt->gone = false;
			continue;
		}
		rt = va_xcalloc(1, sizeof(*rt));
		rt->cs = cs;
		rt->cal = v[i];
		rt->next = cs->cals;
		cs->cals = rt;
		VA_INFO("calendar", NULL, "calendar_active", "calendar=%s tenant=%s", rt->cal.id,
			rt->cal.tenant_id);
		ref(cs);
		if (va_store_cal_busy(cs->store, rt->cal.id, on_busy_loaded, rt) != VA_OK)
			cs->refs--;
	}
	for (rt = cs->cals; rt; rt = rt->next) {
		if (!rt->gone)
			continue;
		va_holds_set_blocks(cs->holds, rt->cal.tenant_id, rt->cal.id, NULL, 0);
	}
	tick(cs);
}

static void reload(struct va_calsync *cs)
{
	if (cs->reloading || cs->closing)
		return;
	cs->reloading = true;
	ref(cs);
	if (va_store_cal_list(cs->store, NULL, on_listed, cs) != VA_OK) {
		cs->refs--;
		cs->reloading = false;
		cs->next_reload_ms = va_clock_wall_ms() + cs->o.reload_ms;
	}
}

static void tick(struct va_calsync *cs)
{
	int64_t now = va_clock_wall_ms();
	struct cal_rt *rt;

	if (cs->closing)
		return;
	if (now >= cs->next_reload_ms)
		reload(cs);
	for (rt = cs->cals; rt; rt = rt->next) {
		if (rt->gone)
			continue;
		if (!rt->pushing && now >= rt->next_push_ms)
			push_next(rt);
		if (!rt->pulling && now >= rt->next_pull_ms)
			pull_start(rt);
	}
}

static void on_timer(uv_timer_t *t)
{
	tick(t->data);
}

/* ---- public -------------------------------------------------------------- */

int va_calsync_new(uv_loop_t *loop, struct va_store *store, struct va_llm_http *http,
		   struct va_holds *holds, va_calsync_tenant_fn tenant, void *tenant_arg,
		   const struct va_calsync_opts *opts, struct va_calsync **out)
{
	struct va_calsync *cs;

	*out = NULL;
	if (!loop || !store || !http || !holds)
		return VA_E_INVAL;
	cs = va_xcalloc(1, sizeof(*cs));
	cs->loop = loop;
	cs->store = store;
	cs->http = http;
	cs->holds = holds;
	cs->tenant = tenant;
	cs->tenant_arg = tenant_arg;
	if (opts)
		cs->o = *opts;
	if (cs->o.pull_ms <= 0)
		cs->o.pull_ms = 5000;
	if (cs->o.reload_ms <= 0)
		cs->o.reload_ms = 5000;
	if (cs->o.retry_base_ms <= 0)
		cs->o.retry_base_ms = 1000;
	if (cs->o.retry_max_ms < cs->o.retry_base_ms)
		cs->o.retry_max_ms = cs->o.retry_base_ms > 300000 ? cs->o.retry_base_ms : 300000;
	if (cs->o.window_days <= 0)
		cs->o.window_days = 120;
	va_latency_init(&cs->stats.delivery);
	uv_timer_init(loop, &cs->timer);
	cs->timer.data = cs;
	uv_timer_start(&cs->timer, on_timer, 0, TICK_MS);
	/* The timer must not keep a finished loop alive on its own. */
	uv_unref((uv_handle_t *)&cs->timer);
	*out = cs;
	return VA_OK;
}

static void on_timer_closed(uv_handle_t *h)
{
	struct va_calsync *cs = h->data;

	cs->timer_closed = true;
	maybe_free(cs);
}

static void maybe_free(struct va_calsync *cs)
{
	struct cal_rt *rt, *next;

	if (!cs->closing || cs->refs > 0 || !cs->timer_closed)
		return;
	for (rt = cs->cals; rt; rt = next) {
		next = rt->next;
		pull_reset(rt);
		free(rt);
	}
	free(cs->listing);
	free(cs);
}

void va_calsync_free(struct va_calsync *cs)
{
	struct cal_rt *rt;

	if (!cs || cs->closing)
		return;
	cs->closing = true;
	for (rt = cs->cals; rt; rt = rt->next) {
		if (rt->push_req) {
			va_dav_req_abort(rt->push_req);
			rt->push_req = NULL;
			cs->refs--;
		}
		if (rt->pull_req) {
			va_dav_req_abort(rt->pull_req);
			rt->pull_req = NULL;
			cs->refs--;
		}
	}
	uv_close((uv_handle_t *)&cs->timer, on_timer_closed);
}

void va_calsync_kick(struct va_calsync *cs, const char *tenant_id)
{
	struct cal_rt *rt;

	if (!cs || cs->closing)
		return;
	for (rt = cs->cals; rt; rt = rt->next)
		if (!tenant_id || strcmp(rt->cal.tenant_id, tenant_id) == 0)
			rt->next_push_ms = 0;
	tick(cs);
}

static void on_retry_now(int status, void *arg)
{
	struct va_calsync *cs = arg;

	if (unref(cs))
		return;
	tick(cs);
}

void va_calsync_sync_now(struct va_calsync *cs, const char *tenant_id)
{
	struct cal_rt *rt;

	if (!cs || cs->closing)
		return;
	if (tenant_id) {
		ref(cs);
		if (va_store_outbox_retry_now(cs->store, tenant_id, on_retry_now, cs) != VA_OK)
			cs->refs--;
	}
	for (rt = cs->cals; rt; rt = rt->next)
		if (!tenant_id || strcmp(rt->cal.tenant_id, tenant_id) == 0)
			rt->next_pull_ms = rt->next_push_ms = 0;
	tick(cs);
}

void va_calsync_reload(struct va_calsync *cs)
{
	if (!cs || cs->closing)
		return;
	cs->next_reload_ms = 0;
	tick(cs);
}

const struct va_calsync_stats *va_calsync_stats(const struct va_calsync *cs)
{
	return cs ? &cs->stats : NULL;
}

const struct va_calendar *va_calsync_calendars(const struct va_calsync *cs, size_t *n)
{
	*n = cs ? cs->n_listing : 0;
	return cs ? cs->listing : NULL;
}
