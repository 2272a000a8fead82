/* SPDX-License-Identifier: MIT */
/*
 * practice_json.h - the JSON form of a practice's schedule (struct
 * va_practice): the only place it meets json_t. The caller may pass a whole
 * document or the value of its "practice" key; keys it does not know (id,
 * name, timezone, ...) are ignored, so both work.
 *
 *   {"address":"120 Harbor Street, Portland, Maine 04101",
 *    "phone":"+15555550100",
 *    "hours":{"mon":{"open":"08:00","close":"17:00"}, ..., "sun":null},
 *    "providers":[{"id":"dr-patel","name":"Dr. Anita Patel","kind":"dentist",
 *                  "hours":{...same shape...}}],
 *    "services":[{"service":"cleaning","duration_min":60,
 *                 "provider_kind":"hygienist"}],
 *    "closures":[{"date":"2026-12-25","reason":"Christmas Day"}],
 *    "insurance":["Delta Dental", ...],
 *    "min_lead_min":60,"slot_step_min":15,"hold_seconds":300}
 *
 * A day is {"open":"HH:MM","close":"HH:MM"} ("24:00" allowed for close), or
 * null, or "closed". An "hours" object describes the whole week: days it
 * leaves out are closed. A provider without "hours" works the practice's
 * hours. A service without duration_min or provider_kind takes the demo
 * practice's (dental.md §6.1). A closure may also be just "2026-12-25".
 */
#ifndef VA_TENANT_PRACTICE_JSON_H
#define VA_TENANT_PRACTICE_JSON_H

#include "core/buf.h"
#include "schedule/practice.h"

#include <stdbool.h>
#include <stddef.h>

/* Parses a JSON object (data: len bytes, need not be NUL-terminated) into
 * *inout.
 *
 * partial false (a new practice): starts from an empty practice, applies the
 * document, then va_practice_fill_defaults for what it left out, so that {}
 * is the demo schedule without closures or insurance plans (an explicit
 * "min_lead_min":0 stays 0). partial true (an update): starts
 * from *inout and changes only what the document has. Either way a list
 * ("hours", "providers", "services", "closures", "insurance") that is
 * present replaces the old one wholesale; a string field may be null, which
 * empties it.
 *
 * The result must pass va_practice_validate. All or nothing: on failure
 * *inout is untouched and why (may be NULL) holds "field: reason", e.g.
 * "providers[1].hours.mon.open: must be HH:MM". VA_E_PARSE for malformed
 * JSON, VA_E_INVAL otherwise. */
int va_practice_from_json(const char *data, size_t len, struct va_practice *inout, bool partial,
			  char *why, size_t whysz);

/* Appends the full document for p (every key above) as compact JSON to out,
 * so va_practice_from_json reads it back as the same practice. On failure
 * (VA_E_TOOBIG, or VA_E_INVAL for text that is not UTF-8) out is left as it
 * was. */
int va_practice_to_json(const struct va_practice *p, struct va_buf *out);

#endif
