/* SPDX-License-Identifier: MIT */
/*
 * practice_json.c - JSON <-> struct va_practice (the practice's schedule:
 * hours, providers, services, closures, insurance, booking rules). Checks
 * each value's type and size here and leaves the rules to
 * va_practice_validate, so there is one definition of a valid practice.
 * Nothing past this file sees json_t.
 */
#include "tenant/practice_json.h"
#include "core/alloc.h"
#include "core/err.h"
#include "core/tz.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *const long_days[7] = {"monday", "tuesday",  "wednesday", "thursday",
					 "friday", "saturday", "sunday"};

/* A provider whose document has no "hours" takes the practice's, which are
 * only final once the whole document (and the defaults) are in. */
struct parse_state {
	bool inherit[VA_PRACTICE_MAX_PROVIDERS];
	char *why;
	size_t whysz;
};

static int fail(struct parse_state *st, const char *field, const char *reason)
{
	if (st->why && st->whysz)
		snprintf(st->why, st->whysz, "%s: %s", field, reason);
	return VA_E_INVAL;
}

static const char *kind_name(enum va_provider_kind k)
{
	return k == VA_PROVIDER_HYGIENIST ? "hygienist" : "dentist";
}

static int parse_kind(const json_t *v, enum va_provider_kind *out)
{
	const char *s = json_string_value(v);

	if (!s)
		return VA_E_INVAL;
	if (strcasecmp(s, "dentist") == 0)
		*out = VA_PROVIDER_DENTIST;
	else if (strcasecmp(s, "hygienist") == 0)
		*out = VA_PROVIDER_HYGIENIST;
	else
		return VA_E_INVAL;
	return VA_OK;
}

static int set_string(struct parse_state *st, const char *field, char *dst, size_t size,
		      const json_t *v, bool nullable)
{
	char reason[64];
	size_t n;

	if (nullable && json_is_null(v)) {
		dst[0] = '\0';
		return VA_OK;
	}
	if (!json_is_string(v))
		return fail(st, field, "must be a string");
	n = json_string_length(v);
	if (n >= size) {
		snprintf(reason, sizeof(reason), "too long (at most %zu bytes)", size - 1);
		return fail(st, field, reason);
	}
	/* jansson refuses \u0000 unless asked, so the length is the C length. */
	memcpy(dst, json_string_value(v), n);
	dst[n] = '\0';
	return VA_OK;
}

static int set_int(struct parse_state *st, const char *field, int *dst, const json_t *v)
{
	json_int_t x;

	if (!json_is_integer(v))
		return fail(st, field, "must be an integer");
	x = json_integer_value(v);
	/* Ranges are va_practice_validate's; this only keeps it in an int. */
	if (x < -1000000 || x > 1000000)
		return fail(st, field, "out of range");
	*dst = (int)x;
	return VA_OK;
}

/* "8:00", "08:00", "24:00" -> minutes after midnight. */
static int parse_hhmm(const char *s, int *out)
{
	int h = 0, m = 0, i = 0, digits = 0;

	while (s[i] >= '0' && s[i] <= '9' && digits < 2) {
		h = h * 10 + (s[i++] - '0');
		digits++;
	}
	if (digits == 0 || s[i++] != ':')
		return VA_E_INVAL;
	if (!(s[i] >= '0' && s[i] <= '5') || !(s[i + 1] >= '0' && s[i + 1] <= '9') || s[i + 2])
		return VA_E_INVAL;
	m = (s[i] - '0') * 10 + (s[i + 1] - '0');
	if (h > 24 || (h == 24 && m != 0))
		return VA_E_INVAL;
	*out = h * 60 + m;
	return VA_OK;
}

static int parse_day(struct parse_state *st, const char *field, const json_t *v,
		     struct va_hours *out)
{
	static const char *const keys[2] = {"open", "close"};
	char sub[160];
	int mins[2], k;

	if (json_is_null(v) ||
	    (json_is_string(v) && strcasecmp(json_string_value(v), "closed") == 0)) {
		out->open_min = -1;
		out->close_min = -1;
		return VA_OK;
	}
	if (!json_is_object(v))
		return fail(st, field,
			    "must be {\"open\":\"HH:MM\",\"close\":\"HH:MM\"}, null or \"closed\"");
	for (k = 0; k < 2; k++) {
		const json_t *t = json_object_get(v, keys[k]);

		if (snprintf(sub, sizeof(sub), "%s.%s", field, keys[k]) >= (int)sizeof(sub))
			return fail(st, field, "name too long");
		if (!json_is_string(t) || parse_hhmm(json_string_value(t), &mins[k]))
			return fail(st, sub, "must be a time \"HH:MM\" (00:00..24:00)");
	}
	out->open_min = mins[0];
	out->close_min = mins[1];
	return VA_OK;
}

static int day_index(const char *key)
{
	int d;

	for (d = 0; d < 7; d++) {
		if (strcasecmp(key, va_practice_day_key(d)) == 0 ||
		    strcasecmp(key, long_days[d]) == 0)
			return d;
	}
	return -1;
}

/* The object describes the whole week, so days it leaves out are closed. An
 * unknown day name is refused rather than ignored: "tues" silently closing
 * Tuesday would be worse than an error. */
static int parse_week(struct parse_state *st, const char *field, const json_t *v,
		      struct va_hours week[7])
{
	struct va_hours tmp[7];
	char sub[160];
	const char *key;
	const json_t *day;
	int d, rc;

	if (!json_is_object(v))
		return fail(st, field, "must be an object with mon..sun");
	for (d = 0; d < 7; d++) {
		tmp[d].open_min = -1;
		tmp[d].close_min = -1;
	}
	json_object_foreach((json_t *)v, key, day)
	{
		d = day_index(key);
		snprintf(sub, sizeof(sub), "%s.%s", field, key);
		if (d < 0)
			return fail(st, sub, "unknown day (use mon..sun)");
		snprintf(sub, sizeof(sub), "%s.%s", field, va_practice_day_key(d));
		rc = parse_day(st, sub, day, &tmp[d]);
		if (rc)
			return rc;
	}
	memcpy(week, tmp, sizeof(tmp));
	return VA_OK;
}

static int parse_provider(struct parse_state *st, size_t i, const json_t *v,
			  struct va_provider *out)
{
	char field[64];
	const json_t *x;
	int rc;

	snprintf(field, sizeof(field), "providers[%zu]", i);
	if (!json_is_object(v))
		return fail(st, field, "must be an object");
	memset(out, 0, sizeof(*out));
	snprintf(field, sizeof(field), "providers[%zu].id", i);
	x = json_object_get(v, "id");
	if (!x)
		return fail(st, field, "missing");
	rc = set_string(st, field, out->id, sizeof(out->id), x, false);
	if (rc)
		return rc;
	x = json_object_get(v, "name");
	if (x) {
		snprintf(field, sizeof(field), "providers[%zu].name", i);
		rc = set_string(st, field, out->name, sizeof(out->name), x, true);
		if (rc)
			return rc;
	}
	snprintf(field, sizeof(field), "providers[%zu].kind", i);
	if (parse_kind(json_object_get(v, "kind"), &out->kind))
		return fail(st, field, "must be \"dentist\" or \"hygienist\"");
	x = json_object_get(v, "hours");
	st->inherit[i] = !x;
	if (x) {
		snprintf(field, sizeof(field), "providers[%zu].hours", i);
		return parse_week(st, field, x, out->hours);
	}
	return VA_OK;
}

static int parse_service(struct parse_state *st, size_t i, const json_t *v,
			 struct va_service_def *out)
{
	const struct va_service_def *def;
	char field[64];
	const json_t *x;
	int rc;

	snprintf(field, sizeof(field), "services[%zu]", i);
	if (!json_is_object(v))
		return fail(st, field, "must be an object");
	snprintf(field, sizeof(field), "services[%zu].service", i);
	x = json_object_get(v, "service");
	if (!json_is_string(x))
		return fail(st, field, "must be a service code such as \"cleaning\"");
	memset(out, 0, sizeof(*out));
	out->kind = va_service_from_code(json_string_value(x));
	def = va_practice_default_service(out->kind);
	if (out->kind == VA_SERVICE_NONE || !def)
		return fail(st, field, "unknown service");
	out->duration_min = def->duration_min;
	out->provider_kind = def->provider_kind;
	x = json_object_get(v, "duration_min");
	if (x) {
		snprintf(field, sizeof(field), "services[%zu].duration_min", i);
		rc = set_int(st, field, &out->duration_min, x);
		if (rc)
			return rc;
	}
	x = json_object_get(v, "provider_kind");
	if (x) {
		snprintf(field, sizeof(field), "services[%zu].provider_kind", i);
		if (parse_kind(x, &out->provider_kind))
			return fail(st, field, "must be \"dentist\" or \"hygienist\"");
	}
	return VA_OK;
}

/* Strictly "YYYY-MM-DD"; the calendar check is va_practice_validate's. */
static int parse_date(const char *s, int *y, int *m, int *d)
{
	int i;

	for (i = 0; i < 10; i++) {
		if (i == 4 || i == 7) {
			if (s[i] != '-')
				return VA_E_INVAL;
		} else if (s[i] < '0' || s[i] > '9') {
			return VA_E_INVAL;
		}
	}
	if (s[10])
		return VA_E_INVAL;
	*y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	*m = (s[5] - '0') * 10 + (s[6] - '0');
	*d = (s[8] - '0') * 10 + (s[9] - '0');
	return VA_OK;
}

static int parse_closure(struct parse_state *st, size_t i, const json_t *v, struct va_closure *out)
{
	char field[64];
	const json_t *date = v, *reason = NULL;

	memset(out, 0, sizeof(*out));
	if (json_is_object(v)) {
		date = json_object_get(v, "date");
		reason = json_object_get(v, "reason");
	}
	snprintf(field, sizeof(field), "closures[%zu].date", i);
	if (!json_is_string(date) ||
	    parse_date(json_string_value(date), &out->year, &out->month, &out->day))
		return fail(st, field, "must be a date \"YYYY-MM-DD\"");
	if (reason) {
		snprintf(field, sizeof(field), "closures[%zu].reason", i);
		return set_string(st, field, out->reason, sizeof(out->reason), reason, true);
	}
	return VA_OK;
}

/* Checks that key, when present, is an array of at most max items. */
static int get_array(struct parse_state *st, const json_t *root, const char *key, size_t max,
		     const json_t **out)
{
	char reason[48];
	const json_t *v = json_object_get(root, key);

	*out = v;
	if (!v)
		return VA_OK;
	if (!json_is_array(v))
		return fail(st, key, "must be an array");
	if (json_array_size(v) > max) {
		snprintf(reason, sizeof(reason), "too many (at most %zu)", max);
		return fail(st, key, reason);
	}
	return VA_OK;
}

static int apply_lists(struct parse_state *st, const json_t *root, struct va_practice *p)
{
	const json_t *arr, *v;
	char field[32];
	size_t i;
	int rc;

	rc = get_array(st, root, "providers", VA_PRACTICE_MAX_PROVIDERS, &arr);
	if (rc)
		return rc;
	if (arr) {
		memset(p->providers, 0, sizeof(p->providers));
		json_array_foreach(arr, i, v)
		{
			rc = parse_provider(st, i, v, &p->providers[i]);
			if (rc)
				return rc;
		}
		p->n_providers = json_array_size(arr);
	}
	/* The enum's NONE slot is never a service, so one fewer than the array. */
	rc = get_array(st, root, "services", VA_PRACTICE_MAX_SERVICES - 1, &arr);
	if (rc)
		return rc;
	if (arr) {
		memset(p->services, 0, sizeof(p->services));
		json_array_foreach(arr, i, v)
		{
			rc = parse_service(st, i, v, &p->services[i]);
			if (rc)
				return rc;
		}
		p->n_services = json_array_size(arr);
	}
	rc = get_array(st, root, "closures", VA_PRACTICE_MAX_CLOSURES, &arr);
	if (rc)
		return rc;
	if (arr) {
		memset(p->closures, 0, sizeof(p->closures));
		json_array_foreach(arr, i, v)
		{
			rc = parse_closure(st, i, v, &p->closures[i]);
			if (rc)
				return rc;
		}
		p->n_closures = json_array_size(arr);
	}
	rc = get_array(st, root, "insurance", VA_PRACTICE_MAX_PLANS, &arr);
	if (rc)
		return rc;
	if (arr) {
		memset(p->plans, 0, sizeof(p->plans));
		json_array_foreach(arr, i, v)
		{
			snprintf(field, sizeof(field), "insurance[%zu]", i);
			rc = set_string(st, field, p->plans[i], sizeof(p->plans[i]), v, false);
			if (rc)
				return rc;
		}
		p->n_plans = json_array_size(arr);
	}
	return VA_OK;
}

static int apply(struct parse_state *st, const json_t *root, struct va_practice *p)
{
	static const struct {
		const char *key;
		size_t off;
	} ints[] = {
	    {"min_lead_min", offsetof(struct va_practice, min_lead_min)},
	    {"slot_step_min", offsetof(struct va_practice, slot_step_min)},
	    {"hold_seconds", offsetof(struct va_practice, hold_seconds)},
	};
	const json_t *v;
	size_t i;
	int rc;

	v = json_object_get(root, "address");
	if (v && (rc = set_string(st, "address", p->address, sizeof(p->address), v, true)))
		return rc;
	v = json_object_get(root, "phone");
	if (v && (rc = set_string(st, "phone", p->phone, sizeof(p->phone), v, true)))
		return rc;
	v = json_object_get(root, "hours");
	if (v && (rc = parse_week(st, "hours", v, p->hours)))
		return rc;
	rc = apply_lists(st, root, p);
	if (rc)
		return rc;
	for (i = 0; i < COUNT(ints); i++) {
		v = json_object_get(root, ints[i].key);
		if (v &&
		    (rc = set_int(st, ints[i].key, (int *)(void *)((char *)p + ints[i].off), v)))
			return rc;
	}
	return VA_OK;
}

int va_practice_from_json(const char *data, size_t len, struct va_practice *inout, bool partial,
			  char *why, size_t whysz)
{
	struct parse_state st;
	struct va_practice *tmp;
	char reason[200];
	json_error_t jerr;
	json_t *root = NULL;
	size_t i;
	int rc;

	memset(&st, 0, sizeof(st));
	st.why = why;
	st.whysz = whysz;
	/* About 12 KiB: the heap keeps it off the callers' stacks. */
	tmp = va_xmalloc(sizeof(*tmp));
	if (why && whysz)
		why[0] = '\0';
	root = json_loadb(data ? data : "", data ? len : 0,
			  JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (!root) {
		snprintf(reason, sizeof(reason), "line %d column %d: %s", jerr.line, jerr.column,
			 jerr.text);
		fail(&st, "json", reason);
		rc = VA_E_PARSE;
		goto out;
	}
	if (!json_is_object(root)) {
		rc = fail(&st, "json", "must be an object");
		goto out;
	}
	/* Work on a copy so a document that fails halfway changes nothing. */
	if (partial)
		*tmp = *inout;
	else
		va_practice_empty(tmp);
	rc = apply(&st, root, tmp);
	if (rc)
		goto out;
	if (!partial) {
		/* A lead time of 0 given in the document is a rule ("book any
		 * time"), not a gap to fill; only what is absent gets defaults. */
		int lead = tmp->min_lead_min, step = tmp->slot_step_min, hold = tmp->hold_seconds;

		va_practice_fill_defaults(tmp, 0);
		if (json_object_get(root, "min_lead_min"))
			tmp->min_lead_min = lead;
		if (json_object_get(root, "slot_step_min"))
			tmp->slot_step_min = step;
		if (json_object_get(root, "hold_seconds"))
			tmp->hold_seconds = hold;
	}
	for (i = 0; i < tmp->n_providers && i < VA_PRACTICE_MAX_PROVIDERS; i++) {
		if (st.inherit[i])
			memcpy(tmp->providers[i].hours, tmp->hours, sizeof(tmp->hours));
	}
	rc = va_practice_validate(tmp, why, whysz);
	if (rc)
		goto out;
	*inout = *tmp;
out:
	free(tmp);
	json_decref(root);
	return rc;
}

static json_t *string_field(const char *s, size_t size)
{
	return json_stringn(s, strnlen(s, size));
}

static json_t *hhmm(int min)
{
	char s[8];

	snprintf(s, sizeof(s), "%02d:%02d", (min / 60) % 100, min % 60);
	return json_string(s);
}

/* NULL (and everything freed) when jansson fails. */
static json_t *week_to_json(const struct va_hours week[7])
{
	json_t *obj = json_object(), *day;
	int d;

	for (d = 0; obj && d < 7; d++) {
		if (week[d].open_min < 0) {
			day = json_null();
		} else {
			day = json_object();
			if (day && (json_object_set_new(day, "open", hhmm(week[d].open_min)) ||
				    json_object_set_new(day, "close", hhmm(week[d].close_min)))) {
				json_decref(day);
				day = NULL;
			}
		}
		if (json_object_set_new(obj, va_practice_day_key(d), day)) {
			json_decref(obj);
			obj = NULL;
		}
	}
	return obj;
}

static int add_providers(json_t *root, const struct va_practice *p)
{
	json_t *arr = json_array(), *o;
	size_t i;

	if (!arr || json_object_set_new(root, "providers", arr))
		return VA_E_INVAL;
	for (i = 0; i < p->n_providers && i < VA_PRACTICE_MAX_PROVIDERS; i++) {
		const struct va_provider *v = &p->providers[i];

		o = json_object();
		if (json_array_append_new(arr, o) ||
		    json_object_set_new(o, "id", string_field(v->id, sizeof(v->id))) ||
		    json_object_set_new(o, "name", string_field(v->name, sizeof(v->name))) ||
		    json_object_set_new(o, "kind", json_string(kind_name(v->kind))) ||
		    json_object_set_new(o, "hours", week_to_json(v->hours)))
			return VA_E_INVAL;
	}
	return VA_OK;
}

static int add_services(json_t *root, const struct va_practice *p)
{
	json_t *arr = json_array(), *o;
	size_t i;

	if (!arr || json_object_set_new(root, "services", arr))
		return VA_E_INVAL;
	for (i = 0; i < p->n_services && i < VA_PRACTICE_MAX_SERVICES; i++) {
		const struct va_service_def *s = &p->services[i];

		o = json_object();
		if (json_array_append_new(arr, o) ||
		    json_object_set_new(o, "service", json_string(va_service_code(s->kind))) ||
		    json_object_set_new(o, "duration_min", json_integer(s->duration_min)) ||
		    json_object_set_new(o, "provider_kind",
					json_string(kind_name(s->provider_kind))))
			return VA_E_INVAL;
	}
	return VA_OK;
}

static int add_closures_and_plans(json_t *root, const struct va_practice *p)
{
	json_t *arr = json_array(), *plans = json_array(), *o;
	char date[16];
	size_t i;

	if (!arr || json_object_set_new(root, "closures", arr)) {
		json_decref(plans);
		return VA_E_INVAL;
	}
	if (!plans || json_object_set_new(root, "insurance", plans))
		return VA_E_INVAL;
	for (i = 0; i < p->n_closures && i < VA_PRACTICE_MAX_CLOSURES; i++) {
		const struct va_closure *c = &p->closures[i];

		snprintf(date, sizeof(date), "%04d-%02d-%02d", c->year % 10000, c->month % 100,
			 c->day % 100);
		o = json_object();
		if (json_array_append_new(arr, o) ||
		    json_object_set_new(o, "date", json_string(date)) ||
		    json_object_set_new(o, "reason", string_field(c->reason, sizeof(c->reason))))
			return VA_E_INVAL;
	}
	for (i = 0; i < p->n_plans && i < VA_PRACTICE_MAX_PLANS; i++) {
		if (json_array_append_new(plans, string_field(p->plans[i], sizeof(p->plans[i]))))
			return VA_E_INVAL;
	}
	return VA_OK;
}

static int dump_cb(const char *buffer, size_t size, void *data)
{
	return va_buf_append(data, buffer, size) ? -1 : 0;
}

int va_practice_to_json(const struct va_practice *p, struct va_buf *out)
{
	json_t *root = json_object();
	size_t mark = out->len;
	int rc = VA_E_INVAL;

	/* json_*_set_new steals its value even when it fails, so a NULL from
	 * a builder (text that is not UTF-8) needs no cleanup here. */
	if (!root ||
	    json_object_set_new(root, "address", string_field(p->address, sizeof(p->address))) ||
	    json_object_set_new(root, "phone", string_field(p->phone, sizeof(p->phone))) ||
	    json_object_set_new(root, "hours", week_to_json(p->hours)) || add_providers(root, p) ||
	    add_services(root, p) || add_closures_and_plans(root, p) ||
	    json_object_set_new(root, "min_lead_min", json_integer(p->min_lead_min)) ||
	    json_object_set_new(root, "slot_step_min", json_integer(p->slot_step_min)) ||
	    json_object_set_new(root, "hold_seconds", json_integer(p->hold_seconds)))
		goto out;
	if (json_dump_callback(root, dump_cb, out, JSON_COMPACT)) {
		rc = VA_E_TOOBIG;
		goto out;
	}
	rc = VA_OK;
out:
	if (rc && out->data && out->len > mark) {
		out->len = mark;
		out->data[mark] = '\0';
	}
	json_decref(root);
	return rc;
}
