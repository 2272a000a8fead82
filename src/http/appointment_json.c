/* SPDX-License-Identifier: MIT */
/* appointment_json.c - the appointment API's JSON, in and out. */
#include "http/appointment_json.h"
#include "core/alloc.h"
#include "core/clock.h"
#include "core/err.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *why, size_t whysz, const char *field, const char *reason)
{
	if (why && whysz)
		snprintf(why, whysz, "%s: %s", field, reason);
	return VA_E_INVAL;
}

int va_phone_digits(const char *in, char *dst, size_t dstsz)
{
	size_t o = 0;

	for (; in && *in; in++) {
		if (*in >= '0' && *in <= '9') {
			if (o + 1 >= dstsz)
				return VA_E_INVAL;
			dst[o++] = *in;
		} else if (!strchr(" +-().", *in)) {
			return VA_E_INVAL;
		}
	}
	dst[o] = '\0';
	if (o == 11 && dst[0] == '1') {
		memmove(dst, dst + 1, o);
		o--;
	}
	return o >= 7 && o <= 15 ? VA_OK : VA_E_INVAL;
}

static json_t *iso(const struct va_tz *tz, int64_t t)
{
	char b[40];

	va_tz_iso8601(tz, t, b, sizeof(b));
	return json_string(b);
}

static json_t *iso_ms(int64_t ms)
{
	char b[40];

	if (ms <= 0)
		return json_null();
	va_clock_iso8601(ms, b, sizeof(b));
	return json_string(b);
}

static int dump_cb(const char *buffer, size_t size, void *data)
{
	return va_buf_append(data, buffer, size) ? -1 : 0;
}

int va_appointment_to_json(const struct va_appointment *a, const struct va_tz *tz,
			   struct va_buf *out)
{
	json_t *j = json_object();
	int rc = VA_OK;

	json_object_set_new(j, "id", json_string(a->id));
	json_object_set_new(j, "tenant_id", json_string(a->tenant_id));
	json_object_set_new(j, "patient_name", json_string(a->patient_name));
	json_object_set_new(j, "phone", json_string(a->phone));
	json_object_set_new(j, "date_of_birth", a->dob[0] ? json_string(a->dob) : json_null());
	json_object_set_new(j, "service", json_string(va_service_code(a->service)));
	json_object_set_new(j, "provider", json_string(a->provider_id));
	json_object_set_new(j, "start", iso(tz, a->start));
	json_object_set_new(j, "end", iso(tz, a->end));
	json_object_set_new(j, "status", json_string(va_appt_status_name(a->status)));
	json_object_set_new(j, "urgent", json_boolean(a->urgent));
	json_object_set_new(j, "new_patient", json_boolean(a->new_patient));
	json_object_set_new(j, "notes", json_string(a->notes));
	json_object_set_new(j, "session_id",
			    a->session_id[0] ? json_string(a->session_id) : json_null());
	json_object_set_new(j, "created_at", iso_ms(a->created_ms));
	json_object_set_new(j, "updated_at", iso_ms(a->updated_ms));
	json_object_set_new(j, "version", json_integer(a->version));
	json_object_set_new(j, "changed_by",
			    json_string(a->changed_by[0] ? a->changed_by : VA_APPT_BY_VOICEAI));
	if (json_dump_callback(j, dump_cb, out, JSON_COMPACT))
		rc = VA_E_TOOBIG;
	json_decref(j);
	return rc;
}

static int get_str(json_t *o, const char *key, char *dst, size_t dstsz, bool required, char *why,
		   size_t whysz)
{
	json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v)) {
		dst[0] = '\0';
		return required ? fail(why, whysz, key, "required") : VA_OK;
	}
	if (!json_is_string(v))
		return fail(why, whysz, key, "must be a string");
	if (va_strlcpy(dst, json_string_value(v), dstsz) != VA_OK)
		return fail(why, whysz, key, "too long");
	for (const char *p = dst; *p; p++)
		if ((unsigned char)*p < 0x20)
			return fail(why, whysz, key, "contains control characters");
	return VA_OK;
}

static int get_bool(json_t *o, const char *key, bool *dst, char *why, size_t whysz)
{
	json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v))
		return VA_OK;
	if (!json_is_boolean(v))
		return fail(why, whysz, key, "must be true or false");
	*dst = json_is_true(v);
	return VA_OK;
}

static json_t *load(const char *data, size_t len, char *why, size_t whysz, int *rc)
{
	json_error_t e;
	json_t *j = json_loadb(data ? data : "", data ? len : 0, JSON_REJECT_DUPLICATES, &e);

	if (!j) {
		if (why && whysz)
			snprintf(why, whysz, "json: %s", e.text);
		*rc = VA_E_PARSE;
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		*rc = fail(why, whysz, "json", "must be an object");
		return NULL;
	}
	return j;
}

int va_appointment_from_json(const char *data, size_t len, const struct va_tz *tz,
			     struct va_appointment *a, char *why, size_t whysz)
{
	char service[40], start[64], phone[40];
	int rc = VA_OK;
	json_t *j = load(data, len, why, whysz, &rc);

	if (!j)
		return rc;
	memset(a, 0, sizeof(*a));
	if ((rc = get_str(j, "patient_name", a->patient_name, sizeof(a->patient_name), true, why,
			  whysz)) ||
	    (rc = get_str(j, "phone", phone, sizeof(phone), true, why, whysz)) ||
	    (rc = get_str(j, "service", service, sizeof(service), true, why, whysz)) ||
	    (rc = get_str(j, "start", start, sizeof(start), true, why, whysz)) ||
	    (rc = get_str(j, "provider", a->provider_id, sizeof(a->provider_id), false, why,
			  whysz)) ||
	    (rc = get_str(j, "date_of_birth", a->dob, sizeof(a->dob), false, why, whysz)) ||
	    (rc = get_str(j, "notes", a->notes, sizeof(a->notes), false, why, whysz)) ||
	    (rc = get_bool(j, "new_patient", &a->new_patient, why, whysz)) ||
	    (rc = get_bool(j, "urgent", &a->urgent, why, whysz)))
		goto out;
	if (!a->patient_name[0]) {
		rc = fail(why, whysz, "patient_name", "required");
		goto out;
	}
	if (va_phone_digits(phone, a->phone, sizeof(a->phone)) != VA_OK) {
		rc = fail(why, whysz, "phone", "must be a phone number");
		goto out;
	}
	a->service = va_service_from_code(service);
	if (a->service == VA_SERVICE_NONE) {
		rc = fail(why, whysz, "service", "unknown service");
		goto out;
	}
	if (va_iso8601_parse(start, tz, &a->start) != VA_OK) {
		rc = fail(why, whysz, "start", "must be an ISO 8601 time");
		goto out;
	}
	if (a->dob[0]) {
		int y, m, d;
		if (sscanf(a->dob, "%4d-%2d-%2d", &y, &m, &d) != 3 || m < 1 || m > 12 || d < 1 ||
		    d > va_civil_days_in_month(y, m) || strlen(a->dob) != 10) {
			rc = fail(why, whysz, "date_of_birth", "must be YYYY-MM-DD");
			goto out;
		}
	}
out:
	json_decref(j);
	return rc;
}

int va_appointment_patch_from_json(const char *data, size_t len, const struct va_tz *tz,
				   int64_t *start, char *provider, size_t provsz, bool *cancel,
				   char *why, size_t whysz)
{
	char s[64], status[24];
	int rc = VA_OK;
	json_t *j = load(data, len, why, whysz, &rc);

	*start = 0;
	*cancel = false;
	provider[0] = '\0';
	if (!j)
		return rc;
	if ((rc = get_str(j, "start", s, sizeof(s), false, why, whysz)) ||
	    (rc = get_str(j, "provider", provider, provsz, false, why, whysz)) ||
	    (rc = get_str(j, "status", status, sizeof(status), false, why, whysz)))
		goto out;
	if (status[0]) {
		if (strcmp(status, "cancelled") != 0) {
			rc = fail(why, whysz, "status", "only \"cancelled\" can be set");
			goto out;
		}
		*cancel = true;
	}
	if (s[0] && va_iso8601_parse(s, tz, start) != VA_OK) {
		rc = fail(why, whysz, "start", "must be an ISO 8601 time");
		goto out;
	}
	if (!*cancel && !*start)
		rc = fail(why, whysz, "start", "required (or status \"cancelled\")");
out:
	json_decref(j);
	return rc;
}
