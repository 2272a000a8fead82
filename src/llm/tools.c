/* SPDX-License-Identifier: MIT */
/*
 * tools.c - the language model's scheduling tools (see tools.h). Arguments
 * are validated here; availability comes only from the slot finder over the
 * store's bookings and other callers' holds; bookings go through the store's
 * overlap guard.
 */
#include "llm/tools.h"
#include "agent/say.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "schedule/appointment.h"
#include "schedule/slots.h"
#include "store/store.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_SLOTS 4

const struct va_llm_tool va_tools[] = {
    {"check_availability",
     "Find free appointment times. Always call this before offering times; never invent "
     "availability.",
     "{\"type\":\"object\",\"properties\":{"
     "\"service\":{\"type\":\"string\",\"enum\":[\"cleaning\",\"exam\",\"new_patient_exam\","
     "\"filling\",\"crown\",\"root_canal\",\"extraction\",\"emergency\",\"whitening\","
     "\"consultation\",\"child_visit\"]},"
     "\"earliest\":{\"type\":\"string\",\"description\":\"ISO 8601 date or time; default now\"},"
     "\"latest\":{\"type\":\"string\",\"description\":\"ISO 8601 date or time; default two "
     "weeks after earliest\"},"
     "\"part_of_day\":{\"type\":\"string\",\"enum\":[\"any\",\"morning\",\"afternoon\","
     "\"evening\"]}},\"required\":[\"service\"]}"},
    {"book_appointment",
     "Book a time returned by check_availability, after the caller confirmed it.",
     "{\"type\":\"object\",\"properties\":{"
     "\"service\":{\"type\":\"string\"},\"start\":{\"type\":\"string\",\"description\":\"ISO "
     "8601 start time exactly as check_availability returned it\"},"
     "\"provider\":{\"type\":\"string\"},\"patient_name\":{\"type\":\"string\"},"
     "\"phone\":{\"type\":\"string\"},\"new_patient\":{\"type\":\"boolean\"},"
     "\"date_of_birth\":{\"type\":\"string\",\"description\":\"YYYY-MM-DD\"},"
     "\"urgent\":{\"type\":\"boolean\"},\"notes\":{\"type\":\"string\",\"description\":"
     "\"reason, symptoms, insurance carrier\"}},"
     "\"required\":[\"service\",\"start\",\"patient_name\",\"phone\"]}"},
    {"find_appointments", "List the caller's upcoming appointments by phone number.",
     "{\"type\":\"object\",\"properties\":{\"phone\":{\"type\":\"string\",\"description\":"
     "\"defaults to the caller's number\"}}}"},
    {"cancel_appointment", "Cancel an appointment, after the caller confirmed it.",
     "{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"string\"}},"
     "\"required\":[\"id\"]}"},
    {"reschedule_appointment",
     "Move an appointment to a new time returned by check_availability, after the caller "
     "confirmed it.",
     "{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"string\"},\"start\":{\"type\":"
     "\"string\"}},\"required\":[\"id\",\"start\"]}"},
    {"transfer_to_front_desk",
     "Transfer the caller to a person at the front desk (they asked, or you cannot help).",
     "{\"type\":\"object\",\"properties\":{\"reason\":{\"type\":\"string\"}}}"},
    {"end_call", "End the call after saying goodbye.", "{\"type\":\"object\",\"properties\":{}}"},
};
const size_t va_n_tools = sizeof(va_tools) / sizeof(va_tools[0]);

enum tool { T_AVAIL = 0, T_BOOK, T_FIND, T_CANCEL, T_MOVE, T_TRANSFER, T_END };

struct va_tool_run {
	struct va_tools_ctx ctx;
	char owner[64], session_id[64], caller_phone[24];
	enum tool tool;
	va_tool_done_cb cb;
	void *arg;
	bool cancelled;
	/* parsed arguments */
	enum va_service_kind service;
	int64_t from, to, start;
	int day_from, day_to;
	struct va_appointment appt; /* book; or id (cancel, move) */
};

static void finish(struct va_tool_run *run, json_t *result, enum va_tool_action action,
		   const char *dkey, const char *dval)
{
	char *s = json_dumps(result, JSON_COMPACT);

	json_decref(result);
	if (!s)
		s = va_xstrdup("{\"error\":\"internal error\"}");
	if (!run->cancelled)
		run->cb(s, action, dkey, dval, run->arg);
	else
		free(s);
	free(run);
}

static void fail(struct va_tool_run *run, const char *msg)
{
	finish(run, json_pack("{s:s}", "error", msg), VA_TOOL_CONTINUE, NULL, NULL);
}

void va_tool_cancel(struct va_tool_run *run)
{
	if (run)
		run->cancelled = true;
}

static json_t *iso(const struct va_tools_ctx *c, int64_t t)
{
	char b[40];

	va_tz_iso8601(c->tz, t, b, sizeof(b));
	return json_string(b);
}

static json_t *spoken(const struct va_tools_ctx *c, int64_t t)
{
	struct va_buf b = VA_BUF_INIT(256);
	json_t *j;

	va_say_when(&b, c->tz, c->now, t);
	j = json_string(va_buf_cstr(&b));
	va_buf_release(&b);
	return j;
}

static const char *provider_name(const struct va_tools_ctx *c, const char *id)
{
	const struct va_provider *p = va_practice_provider(&c->tenant->practice, id);
	return p ? p->name : id;
}

/* "2026-12-01" (a local day) or a full ISO time. */
static int parse_time(const struct va_tools_ctx *c, const char *s, bool end_of_day, int64_t *out)
{
	int y, m, d;

	if (strlen(s) == 10 && sscanf(s, "%4d-%2d-%2d", &y, &m, &d) == 3) {
		struct va_civil cv = {.year = y, .month = m, .day = d + (end_of_day ? 1 : 0)};
		if (m < 1 || m > 12 || d < 1 || d > va_civil_days_in_month(y, m))
			return VA_E_INVAL;
		*out = va_tz_from_civil(c->tz, &cv);
		return VA_OK;
	}
	return va_iso8601_parse(s, c->tz, out);
}

static const char *str_arg(json_t *a, const char *k)
{
	json_t *v = json_object_get(a, k);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static void phone_digits(const char *in, char *dst, size_t dstsz)
{
	size_t o = 0;

	for (; in && *in && o + 1 < dstsz; in++)
		if (*in >= '0' && *in <= '9')
			dst[o++] = *in;
	dst[o] = '\0';
	if (o == 11 && dst[0] == '1')
		memmove(dst, dst + 1, o);
}

/* ---- busy time, then the tool --------------------------------------- */

static struct va_busy *busy_from(const struct va_tool_run *run, const struct va_appointment *a,
				 size_t n, size_t *n_busy, const char *skip_id)
{
	struct va_busy *busy = NULL;
	size_t nb = 0;

	if (run->ctx.holds)
		va_holds_busy(run->ctx.holds, run->ctx.tenant->id, run->owner, run->ctx.now, &busy,
			      &nb);
	busy = va_xrealloc(busy, (nb + n + 1) * sizeof(*busy));
	for (size_t i = 0; i < n; i++) {
		if (a[i].status != VA_APPT_BOOKED || (skip_id && !strcmp(a[i].id, skip_id)))
			continue;
		va_strlcpy(busy[nb].provider_id, a[i].provider_id, sizeof(busy[nb].provider_id));
		busy[nb].start = a[i].start;
		busy[nb].end = a[i].end;
		nb++;
	}
	*n_busy = nb;
	return busy;
}

static void avail_with(struct va_tool_run *run, const struct va_busy *busy, size_t nb)
{
	const struct va_tools_ctx *c = &run->ctx;
	struct va_slot slots[MAX_SLOTS];
	struct va_slot_query q = {.service = run->service,
				  .from = run->from,
				  .to = run->to,
				  .horizon_days = 14,
				  .day_from_min = run->day_from,
				  .day_to_min = run->day_to,
				  .pref = VA_SLOT_PREF_SPREAD,
				  .max_slots = MAX_SLOTS};
	size_t n = 0;
	json_t *arr = json_array();

	if (va_slots_find(&c->tenant->practice, c->tz, c->now, busy, nb, &q, slots, &n) != VA_OK) {
		json_decref(arr);
		fail(run, "this practice does not offer that service");
		return;
	}
	if (c->holds)
		va_holds_release(c->holds, run->owner);
	for (size_t i = 0; i < n; i++) {
		if (c->holds)
			va_holds_add(c->holds, c->tenant->id, run->owner, &slots[i], c->now,
				     c->tenant->practice.hold_seconds);
		json_array_append_new(arr, json_pack("{s:o,s:s,s:s,s:o}", "start",
						     iso(c, slots[i].start), "provider",
						     slots[i].provider_id, "provider_name",
						     provider_name(c, slots[i].provider_id),
						     "spoken", spoken(c, slots[i].start)));
	}
	finish(run,
	       json_pack("{s:o,s:s}", "slots", arr, "note",
			 n ? "offer two or three of these; say them as in 'spoken'"
			   : "nothing free in that range: suggest another day"),
	       VA_TOOL_CONTINUE, NULL, NULL);
}

static void on_booked(int status, const struct va_appointment *a, void *arg)
{
	struct va_tool_run *run = arg;
	const struct va_tools_ctx *c = &run->ctx;

	if (run->cancelled) {
		/* The turn is gone; its holds may be a newer turn's now. */
		free(run);
		return;
	}

	if (status == VA_E_EXISTS) {
		fail(run, "that time was just taken; check availability again");
		return;
	}
	if (status != VA_OK || !a) {
		fail(run, "the booking could not be saved");
		return;
	}
	if (c->holds)
		va_holds_release(c->holds, run->owner);
	char id[40];
	va_strlcpy(id, a->id, sizeof(id));
	finish(run,
	       json_pack("{s:b,s:s,s:s,s:o,s:s,s:o}", "booked", 1, "appointment_id", a->id,
			 "service", va_service_code(a->service), "start", iso(c, a->start),
			 "provider_name", provider_name(c, a->provider_id), "spoken",
			 spoken(c, a->start)),
	       VA_TOOL_CONTINUE, "appointment_id", id);
}

static void on_moved(int status, const struct va_appointment *a, void *arg)
{
	struct va_tool_run *run = arg;
	const struct va_tools_ctx *c = &run->ctx;

	if (run->cancelled) {
		free(run);
		return;
	}

	if (status == VA_E_EXISTS) {
		fail(run, "that time was just taken; check availability again");
		return;
	}
	if (status == VA_E_NOTFOUND || status == VA_E_STATE) {
		fail(run, "no such booked appointment");
		return;
	}
	if (status != VA_OK || !a) {
		fail(run, "the change could not be saved");
		return;
	}
	if (a->status == VA_APPT_CANCELLED)
		finish(run,
		       json_pack("{s:b,s:s,s:o}", "cancelled", 1, "appointment_id", a->id, "spoken",
				 spoken(c, a->start)),
		       VA_TOOL_CONTINUE, NULL, NULL);
	else
		finish(run,
		       json_pack("{s:b,s:s,s:o,s:o}", "rescheduled", 1, "appointment_id", a->id,
				 "start", iso(c, a->start), "spoken", spoken(c, a->start)),
		       VA_TOOL_CONTINUE, NULL, NULL);
}

/* Checks the requested time as the receptionist would, then writes. */
static void write_with(struct va_tool_run *run, const struct va_busy *busy, size_t nb)
{
	const struct va_tools_ctx *c = &run->ctx;
	const struct va_practice *p = &c->tenant->practice;
	const struct va_service_def *sd = va_practice_service(p, run->appt.service);
	const char *why = NULL;
	char provider[32];
	int err;

	if (!sd) {
		fail(run, "this practice does not offer that service");
		return;
	}
	va_strlcpy(provider, run->appt.provider_id, sizeof(provider));
	if (!provider[0] || !va_practice_provider(p, provider)) {
		/* The first provider of the right kind free then. */
		provider[0] = '\0';
		for (size_t i = 0; i < p->n_providers && !provider[0]; i++)
			if (p->providers[i].kind == sd->provider_kind &&
			    va_slot_fits(p, c->tz, c->now, busy, nb, run->appt.service,
					 p->providers[i].id, run->start, &why))
				va_strlcpy(provider, p->providers[i].id, sizeof(provider));
	} else if (!va_slot_fits(p, c->tz, c->now, busy, nb, run->appt.service, provider,
				 run->start, &why)) {
		provider[0] = '\0';
	}
	if (!provider[0]) {
		char msg[160];
		snprintf(msg, sizeof(msg), "that time cannot be booked (%s); check availability",
			 why ? why : "no provider free");
		fail(run, msg);
		return;
	}
	if (run->tool == T_MOVE) {
		err = va_store_appt_move(c->store, c->tenant->id, run->appt.id, run->start,
					 run->start + (int64_t)sd->duration_min * 60, provider,
					 on_moved, run);
	} else {
		va_strlcpy(run->appt.provider_id, provider, sizeof(run->appt.provider_id));
		run->appt.start = run->start;
		run->appt.end = run->start + (int64_t)sd->duration_min * 60;
		err = va_store_appt_book(c->store, &run->appt, on_booked, run);
	}
	if (err != VA_OK)
		fail(run, "the schedule is busy; try again");
}

static void on_listed(int status, const struct va_appointment *a, size_t n, void *arg)
{
	struct va_tool_run *run = arg;
	struct va_busy *busy;
	size_t nb = 0;

	if (run->cancelled) {
		free(run);
		return;
	}
	if (status != VA_OK) {
		fail(run, "the schedule is unavailable");
		return;
	}
	if (run->tool == T_MOVE) {
		/* The appointment's own service and time. */
		bool found = false;
		for (size_t i = 0; i < n; i++) {
			if (!strcmp(a[i].id, run->appt.id)) {
				run->appt.service = a[i].service;
				found = a[i].status == VA_APPT_BOOKED;
			}
		}
		if (!found) {
			fail(run, "no such booked appointment");
			return;
		}
	}
	busy = busy_from(run, a, n, &nb, run->tool == T_MOVE ? run->appt.id : NULL);
	if (run->tool == T_AVAIL)
		avail_with(run, busy, nb);
	else
		write_with(run, busy, nb);
	free(busy);
}

static void on_found(int status, const struct va_appointment *a, size_t n, void *arg)
{
	struct va_tool_run *run = arg;
	const struct va_tools_ctx *c = &run->ctx;
	json_t *arr;

	if (run->cancelled) {
		free(run);
		return;
	}
	if (status != VA_OK) {
		fail(run, "the schedule is unavailable");
		return;
	}
	arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr,
				      json_pack("{s:s,s:s,s:o,s:o,s:s,s:s}", "id", a[i].id,
						"service", va_service_code(a[i].service), "start",
						iso(c, a[i].start), "spoken", spoken(c, a[i].start),
						"provider_name", provider_name(c, a[i].provider_id),
						"patient_name", a[i].patient_name));
	finish(run, json_pack("{s:o}", "appointments", arr), VA_TOOL_CONTINUE, NULL, NULL);
}

static void on_cancelled(int status, const struct va_appointment *a, void *arg)
{
	on_moved(status, a, arg);
}

/* ---- argument parsing ------------------------------------------------- */

static int parse_avail(struct va_tool_run *run, json_t *args, const char **why)
{
	const char *svc = str_arg(args, "service"), *e = str_arg(args, "earliest"),
		   *l = str_arg(args, "latest"), *part = str_arg(args, "part_of_day");

	run->service = svc ? va_service_from_code(svc) : VA_SERVICE_NONE;
	if (!run->service)
		return *why = "service must be one of the listed services", VA_E_INVAL;
	run->from = run->ctx.now;
	if (e && *e && parse_time(&run->ctx, e, false, &run->from) != VA_OK)
		return *why = "earliest must be an ISO 8601 date or time", VA_E_INVAL;
	if (run->from < run->ctx.now)
		run->from = run->ctx.now;
	run->to = run->from + 14 * 86400;
	if (l && *l && parse_time(&run->ctx, l, true, &run->to) != VA_OK)
		return *why = "latest must be an ISO 8601 date or time", VA_E_INVAL;
	if (run->to <= run->from)
		return *why = "latest must be after earliest (and in the future)", VA_E_INVAL;
	run->day_from = run->day_to = -1;
	if (part && !strcasecmp(part, "morning")) {
		run->day_from = 0;
		run->day_to = 12 * 60;
	} else if (part && !strcasecmp(part, "afternoon")) {
		run->day_from = 12 * 60;
		run->day_to = 17 * 60;
	} else if (part && !strcasecmp(part, "evening")) {
		run->day_from = 17 * 60;
		run->day_to = 24 * 60;
	}
	return VA_OK;
}

static int parse_book(struct va_tool_run *run, json_t *args, const char **why)
{
	const char *svc = str_arg(args, "service"), *start = str_arg(args, "start"),
		   *name = str_arg(args, "patient_name"), *phone = str_arg(args, "phone"),
		   *dob = str_arg(args, "date_of_birth"), *notes = str_arg(args, "notes"),
		   *prov = str_arg(args, "provider");
	struct va_appointment *a = &run->appt;

	memset(a, 0, sizeof(*a));
	a->service = svc ? va_service_from_code(svc) : VA_SERVICE_NONE;
	if (!a->service)
		return *why = "service must be one of the listed services", VA_E_INVAL;
	if (!start || parse_time(&run->ctx, start, false, &run->start) != VA_OK)
		return *why = "start must be an ISO 8601 time from check_availability", VA_E_INVAL;
	if (!name || !*name || strlen(name) >= sizeof(a->patient_name))
		return *why = "patient_name is required", VA_E_INVAL;
	phone_digits(phone && *phone ? phone : run->caller_phone, a->phone, sizeof(a->phone));
	if (strlen(a->phone) < 7)
		return *why = "a phone number is required", VA_E_INVAL;
	va_strlcpy(a->tenant_id, run->ctx.tenant->id, sizeof(a->tenant_id));
	va_strlcpy(a->patient_name, name, sizeof(a->patient_name));
	if (dob && strlen(dob) == 10)
		va_strlcpy(a->dob, dob, sizeof(a->dob));
	if (notes)
		va_strlcpy(a->notes, notes, sizeof(a->notes));
	if (prov)
		va_strlcpy(a->provider_id, prov, sizeof(a->provider_id));
	a->new_patient = json_is_true(json_object_get(args, "new_patient"));
	a->urgent = json_is_true(json_object_get(args, "urgent"));
	va_strlcpy(a->session_id, run->session_id, sizeof(a->session_id));
	return VA_OK;
}

int va_tool_run(const struct va_tools_ctx *ctx, const char *name, const char *args_json,
		va_tool_done_cb cb, void *arg, struct va_tool_run **out)
{
	struct va_tool_run *run;
	json_t *args = NULL;
	const char *why = NULL;
	int err = VA_OK;
	size_t t;

	for (t = 0; t < va_n_tools; t++)
		if (!strcmp(va_tools[t].name, name))
			break;
	run = va_xcalloc(1, sizeof(*run));
	run->ctx = *ctx;
	va_strlcpy(run->owner, ctx->owner ? ctx->owner : "", sizeof(run->owner));
	va_strlcpy(run->session_id, ctx->session_id ? ctx->session_id : "",
		   sizeof(run->session_id));
	va_strlcpy(run->caller_phone, ctx->caller_phone ? ctx->caller_phone : "",
		   sizeof(run->caller_phone));
	run->ctx.owner = run->owner;
	run->cb = cb;
	run->arg = arg;
	run->tool = (enum tool)t;
	if (out)
		*out = NULL; /* set only once a store operation is pending */
	if (t == va_n_tools) {
		fail(run, "unknown tool");
		return VA_OK;
	}
	/* Models sometimes send "" or nothing for no arguments. */
	args = json_loads(args_json && *args_json ? args_json : "{}", 0, NULL);
	if (!json_is_object(args)) {
		json_decref(args);
		fail(run, "arguments must be a JSON object");
		return VA_OK;
	}
	switch (run->tool) {
	case T_AVAIL:
		err = parse_avail(run, args, &why);
		if (!err)
			err = va_store_appt_list(ctx->store, ctx->tenant->id, run->from - 86400,
						 run->to + 86400, on_listed, run);
		break;
	case T_BOOK:
		err = parse_book(run, args, &why);
		if (!err)
			err = va_store_appt_list(ctx->store, ctx->tenant->id, run->start - 86400,
						 run->start + 86400, on_listed, run);
		break;
	case T_FIND: {
		char digits[24];
		const char *p = str_arg(args, "phone");
		phone_digits(p && *p ? p : run->caller_phone, digits, sizeof(digits));
		if (strlen(digits) < 7) {
			why = "a phone number is required";
			err = VA_E_INVAL;
			break;
		}
		err = va_store_appt_find_by_phone(ctx->store, ctx->tenant->id, digits, ctx->now,
						  on_found, run);
		break;
	}
	case T_CANCEL: {
		const char *id = str_arg(args, "id");
		if (!id || !*id || strlen(id) >= sizeof(run->appt.id)) {
			why = "id is required";
			err = VA_E_INVAL;
			break;
		}
		err = va_store_appt_cancel(ctx->store, ctx->tenant->id, id, on_cancelled, run);
		break;
	}
	case T_MOVE: {
		const char *id = str_arg(args, "id"), *start = str_arg(args, "start");
		if (!id || !*id || strlen(id) >= sizeof(run->appt.id)) {
			why = "id is required";
			err = VA_E_INVAL;
			break;
		}
		va_strlcpy(run->appt.id, id, sizeof(run->appt.id));
		if (!start || parse_time(ctx, start, false, &run->start) != VA_OK) {
			why = "start must be an ISO 8601 time from check_availability";
			err = VA_E_INVAL;
			break;
		}
		err = va_store_appt_list(ctx->store, ctx->tenant->id, 0, 0, on_listed, run);
		break;
	}
	case T_TRANSFER: {
		char reason[256];
		/* Copied: args (and the string in it) are freed before finish(). */
		va_strlcpy(reason,
			   str_arg(args, "reason") && *str_arg(args, "reason")
			       ? str_arg(args, "reason")
			       : "the caller asked for a person",
			   sizeof(reason));
		json_decref(args);
		finish(run, json_pack("{s:b}", "ok", 1), VA_TOOL_TRANSFER, "handoff_reason",
		       reason);
		return VA_OK;
	}
	case T_END:
		json_decref(args);
		finish(run, json_pack("{s:b}", "ok", 1), VA_TOOL_END_CALL, NULL, NULL);
		return VA_OK;
	}
	json_decref(args);
	if (err == VA_E_INVAL) {
		fail(run, why ? why : "invalid arguments");
		return VA_OK;
	}
	if (err != VA_OK) {
		free(run);
		return err;
	}
	if (out)
		*out = run;
	return VA_OK;
}
