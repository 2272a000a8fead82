/* SPDX-License-Identifier: MIT */
/*
 * routes_appointments.c - a practice's appointments over HTTP: list, book,
 * move, cancel. Booking and moving go through the same checks as a call
 * (the scheduler's rules, other callers' holds, and the database's refusal
 * of overlaps). The tenant's API key or the admin token; another tenant's
 * key gets the same 404 as a tenant that does not exist.
 */
#include "app/server.h"
#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"
#include "http/appointment_json.h"
#include "http/http.h"
#include "schedule/slots.h"
#include "store/store.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct appt_op {
	struct va_http_req *r;
	const struct va_tenant *tenant;
	const struct va_tz *tz;
	struct va_appointment a; /* the booking, or the move target */
	bool move;
	int64_t new_start;
	char provider[32];
};

static void respond_appt(struct va_http_req *r, int status, const struct va_appointment *a,
			 const struct va_tz *tz)
{
	struct va_buf b = VA_BUF_INIT(64 * 1024);

	if (va_appointment_to_json(a, tz, &b) == VA_OK)
		va_http_respond(r, status, "application/json", b.data, b.len);
	else
		va_http_error(r, 500, "serialization failed");
	va_buf_release(&b);
}

/* ---- list ------------------------------------------------------------- */

struct list_ctx {
	struct va_http_req *r;
	const struct va_tz *tz;
};

static void on_listed(int status, const struct va_appointment *appts, size_t n, void *arg)
{
	struct list_ctx *lc = arg;
	struct va_buf b = VA_BUF_INIT(64u << 20);

	if (status != VA_OK) {
		va_http_error(lc->r, 500, "storage error");
	} else {
		va_buf_append_str(&b, "{\"appointments\":[");
		for (size_t i = 0; i < n; i++) {
			if (i)
				va_buf_append_str(&b, ",");
			va_appointment_to_json(&appts[i], lc->tz, &b);
		}
		va_buf_append_str(&b, "]}");
		va_http_respond(lc->r, 200, "application/json", b.data, b.len);
	}
	va_buf_release(&b);
	free(lc);
}

/* "2026-12-01" (a local day: its start) or a full ISO 8601 time. */
static int parse_bound(const char *s, const struct va_tz *tz, bool end_of_day, int64_t *out)
{
	int y, m, d;
	char tail;

	if (sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3 && strlen(s) == 10) {
		struct va_civil c = {.year = y, .month = m, .day = d + (end_of_day ? 1 : 0)};
		if (m < 1 || m > 12 || d < 1 || d > va_civil_days_in_month(y, m))
			return VA_E_INVAL;
		*out = va_tz_from_civil(tz, &c);
		return VA_OK;
	}
	return va_iso8601_parse(s, tz, out);
}

static void list(struct va_http_req *r, const struct va_tenant *t, const struct va_tz *tz)
{
	char from_s[64], to_s[64];
	int64_t from = 0, to = 0;
	struct list_ctx *lc;

	if ((va_http_query_get(r, "from", from_s, sizeof(from_s)) == VA_OK && from_s[0] &&
	     parse_bound(from_s, tz, false, &from) != VA_OK) ||
	    (va_http_query_get(r, "to", to_s, sizeof(to_s)) == VA_OK && to_s[0] &&
	     parse_bound(to_s, tz, true, &to) != VA_OK)) {
		va_http_error(r, 400, "from/to must be YYYY-MM-DD or ISO 8601 times");
		return;
	}
	if (from && !to)
		to = INT64_MAX / 4;
	if (to && !from)
		from = 1;
	lc = va_xcalloc(1, sizeof(*lc));
	lc->r = r;
	lc->tz = tz;
	r->deferred = true;
	if (va_store_appt_list(r->srv->store, t->id, from, to, on_listed, lc) != VA_OK) {
		r->deferred = false;
		free(lc);
		va_http_error(r, 503, "storage busy");
	}
}

/* ---- book and move ---------------------------------------------------- */

static void on_done(int status, const struct va_appointment *a, void *arg)
{
	struct appt_op *op = arg;

	if (status == VA_OK && a) {
		VA_INFO("api", NULL, op->move ? "appointment_moved" : "appointment_booked",
			"tenant=%s appointment=%s", op->tenant->id, a->id);
		respond_appt(op->r, op->move ? 200 : 201, a, op->tz);
	} else if (status == VA_E_EXISTS) {
		va_http_error(op->r, 409, "that time is already taken");
	} else if (status == VA_E_NOTFOUND) {
		va_http_error(op->r, 404, "appointment not found");
	} else if (status == VA_E_STATE) {
		va_http_error(op->r, 409, "a cancelled appointment cannot be moved");
	} else {
		va_http_error(op->r, 500, "storage error");
	}
	free(op);
}

/* With the practice's bookings in hand: checks the time as a call would,
 * picks a provider when none was named, then books or moves. */
static void on_busy(int status, const struct va_appointment *appts, size_t n, void *arg)
{
	struct appt_op *op = arg;
	struct va_http_req *r = op->r;
	const struct va_practice *p = &op->tenant->practice;
	const struct va_service_def *sd;
	struct va_busy *busy = NULL;
	size_t n_busy = 0;
	int64_t now = (int64_t)time(NULL), start = op->move ? op->new_start : op->a.start;
	const char *why = NULL;
	int err;

	if (status != VA_OK) {
		va_http_error(r, 500, "storage error");
		free(op);
		return;
	}
	va_holds_busy(r->srv->holds, op->tenant->id, "api", now, &busy, &n_busy);
	busy = va_xrealloc(busy, (n_busy + n + 1) * sizeof(*busy));
	for (size_t i = 0; i < n; i++) {
		if (appts[i].status != VA_APPT_BOOKED ||
		    (op->move && !strcmp(appts[i].id, op->a.id)))
			continue;
		va_strlcpy(busy[n_busy].provider_id, appts[i].provider_id,
			   sizeof(busy[n_busy].provider_id));
		busy[n_busy].start = appts[i].start;
		busy[n_busy].end = appts[i].end;
		n_busy++;
	}
	sd = va_practice_service(p, op->a.service);
	if (!sd) {
		va_http_error(r, 422, "this practice does not offer that service");
		goto out;
	}
	if (!op->provider[0]) {
		/* The first provider free at that time, as the phone agent would. */
		struct va_slot_query q = {.service = op->a.service,
					  .from = start,
					  .to = start + 1,
					  .day_from_min = -1,
					  .day_to_min = -1,
					  .pref = VA_SLOT_PREF_EARLIEST,
					  .max_slots = 1};
		struct va_slot s;
		size_t ns = 0;
		if (va_slots_find(p, op->tz, now, busy, n_busy, &q, &s, &ns) == VA_OK && ns == 1)
			va_strlcpy(op->provider, s.provider_id, sizeof(op->provider));
	}
	if (!op->provider[0]) {
		/* Nobody free: say why as the first provider of the kind sees it
		 * (closed, outside hours, too soon...), or that it is taken. */
		for (size_t i = 0; i < p->n_providers && !why; i++)
			if (p->providers[i].kind == sd->provider_kind &&
			    va_slot_fits(p, op->tz, now, busy, n_busy, op->a.service,
					 p->providers[i].id, start, &why))
				why = "taken";
		if (!why || !strcmp(why, "outside hours"))
			why = why ? why : "no provider is free at that time";
		va_http_error(r, !strcmp(why, "taken") ? 409 : 422, why);
		goto out;
	}
	if (!va_slot_fits(p, op->tz, now, busy, n_busy, op->a.service, op->provider, start, &why)) {
		va_http_error(r, why && !strcmp(why, "taken") ? 409 : 422,
			      why ? why : "not bookable");
		goto out;
	}
	if (op->move)
		err = va_store_appt_move(r->srv->store, op->tenant->id, op->a.id, start,
					 start + (int64_t)sd->duration_min * 60, op->provider,
					 on_done, op);
	else {
		va_strlcpy(op->a.provider_id, op->provider, sizeof(op->a.provider_id));
		op->a.end = start + (int64_t)sd->duration_min * 60;
		err = va_store_appt_book(r->srv->store, &op->a, on_done, op);
	}
	free(busy);
	if (err != VA_OK) {
		va_http_error(r, 503, "storage busy");
		free(op);
	}
	return;
out:
	free(busy);
	free(op);
}

static void check_and_write(struct appt_op *op)
{
	int64_t start = op->move ? op->new_start : op->a.start;

	op->r->deferred = true;
	if (va_store_appt_list(op->r->srv->store, op->tenant->id, start - 86400, start + 86400,
			       on_busy, op) != VA_OK) {
		op->r->deferred = false;
		va_http_error(op->r, 503, "storage busy");
		free(op);
	}
}

static void book(struct va_http_req *r, const struct va_tenant *t, const struct va_tz *tz)
{
	struct appt_op *op = va_xcalloc(1, sizeof(*op));
	char why[200];

	op->r = r;
	op->tenant = t;
	op->tz = tz;
	if (va_appointment_from_json(va_buf_cstr(&r->body), r->body.len, tz, &op->a, why,
				     sizeof(why)) != VA_OK) {
		va_http_error(r, 400, why);
		free(op);
		return;
	}
	va_strlcpy(op->a.tenant_id, t->id, sizeof(op->a.tenant_id));
	va_strlcpy(op->provider, op->a.provider_id, sizeof(op->provider));
	check_and_write(op);
}

/* PATCH needs the appointment's service: look it up among the tenant's. */
static void on_found_for_move(int status, const struct va_appointment *appts, size_t n, void *arg)
{
	struct appt_op *op = arg;

	for (size_t i = 0; status == VA_OK && i < n; i++) {
		if (!strcmp(appts[i].id, op->a.id)) {
			op->a = appts[i];
			if (!op->provider[0])
				va_strlcpy(op->provider, appts[i].provider_id,
					   sizeof(op->provider));
			if (op->a.status == VA_APPT_CANCELLED) {
				va_http_error(op->r, 409,
					      "a cancelled appointment cannot be moved");
				free(op);
				return;
			}
			check_and_write(op);
			return;
		}
	}
	va_http_error(op->r, status == VA_OK ? 404 : 500,
		      status == VA_OK ? "appointment not found" : "storage error");
	free(op);
}

static void change(struct va_http_req *r, const struct va_tenant *t, const struct va_tz *tz)
{
	struct appt_op *op = va_xcalloc(1, sizeof(*op));
	char why[200];
	bool cancel = r->method == VA_HTTP_DELETE;
	int err;

	op->r = r;
	op->tenant = t;
	op->tz = tz;
	va_strlcpy(op->a.id, r->route.item_id, sizeof(op->a.id));
	if (!cancel && va_appointment_patch_from_json(
			   va_buf_cstr(&r->body), r->body.len, tz, &op->new_start, op->provider,
			   sizeof(op->provider), &cancel, why, sizeof(why)) != VA_OK) {
		va_http_error(r, 400, why);
		free(op);
		return;
	}
	r->deferred = true;
	if (cancel) {
		op->move = true; /* answered 200 */
		err = va_store_appt_cancel(r->srv->store, t->id, op->a.id, on_done, op);
	} else {
		op->move = true;
		err = va_store_appt_list(r->srv->store, t->id, 0, 0, on_found_for_move, op);
	}
	if (err != VA_OK) {
		r->deferred = false;
		va_http_error(r, 503, "storage busy");
		free(op);
	}
}

void va_routes_appointments(struct va_http_req *r)
{
	const struct va_tenant *t = va_server_tenant(r->srv, r->route.tenant_id);
	const struct va_tz *tz = va_server_tenant_tz(r->srv, r->route.tenant_id);

	if (!va_http_tenant_allowed(r, t))
		return;
	if (r->route.route == VA_ROUTE_APPOINTMENTS) {
		if (r->method == VA_HTTP_GET)
			list(r, t, tz);
		else if (r->method == VA_HTTP_POST)
			book(r, t, tz);
		else
			va_http_error(r, 405, "method not allowed");
		return;
	}
	if (r->method == VA_HTTP_PATCH || r->method == VA_HTTP_PUT || r->method == VA_HTTP_DELETE)
		change(r, t, tz);
	else
		va_http_error(r, 405, "method not allowed");
}
