/* SPDX-License-Identifier: MIT */
/*
 * appointment_json.h - appointments as the API shows and takes them. Times
 * are ISO 8601 with the practice's offset ("2026-12-01T14:00:00-05:00");
 * input accepts any offset (or local time without one).
 */
#ifndef VA_HTTP_APPOINTMENT_JSON_H
#define VA_HTTP_APPOINTMENT_JSON_H

#include "core/buf.h"
#include "core/tz.h"
#include "schedule/appointment.h"

#include <stdbool.h>
#include <stddef.h>

/* {"id","patient_name","phone","date_of_birth","service","provider","start","end","status",
 *  "urgent","new_patient","notes","session_id","created_at","updated_at"} */
int va_appointment_to_json(const struct va_appointment *a, const struct va_tz *tz,
			   struct va_buf *out);

/* A booking request: patient_name, phone (any format; digits kept), service
 * (code), start; optional provider, date_of_birth, new_patient, urgent, notes.
 * Fills a (tenant_id and end are left to the caller). VA_E_PARSE / VA_E_INVAL
 * with the field named in why. */
int va_appointment_from_json(const char *data, size_t len, const struct va_tz *tz,
			     struct va_appointment *a, char *why, size_t whysz);

/* A change: {"start": ISO, "provider": id} to move, {"status":"cancelled"}
 * to cancel. *cancel is set for the latter; *start = 0 when not moving. */
int va_appointment_patch_from_json(const char *data, size_t len, const struct va_tz *tz,
				   int64_t *start, char *provider, size_t provsz, bool *cancel,
				   char *why, size_t whysz);

/* Normalizes a phone as spoken or typed to digits (US 11-digit with a
 * leading 1 -> 10 digits). VA_E_INVAL unless 7-15 digits. */
int va_phone_digits(const char *in, char *dst, size_t dstsz);

#endif
