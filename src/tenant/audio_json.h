/* SPDX-License-Identifier: MIT */
/*
 * audio_json.h - a practice's transport and raw-audio settings as JSON
 * {"transport":"relay|audio","preset":"quiet|normal|noisy",
 *  "vad_sensitivity":0..1,"end_of_turn_ms":200..5000,"barge_in_ms":20..1000,
 *  "turn_detection":"local|server_vad|semantic_vad","model","voice"},
 * for the tenant API and the store. A preset sets the three thresholds; the
 * explicit ones given with it (or later) override it.
 */
#ifndef VA_TENANT_AUDIO_JSON_H
#define VA_TENANT_AUDIO_JSON_H

#include "core/buf.h"
#include "tenant/tenant.h"

#include <stddef.h>

/* Applies the fields present in data to *inout. VA_E_INVAL / VA_E_PARSE with
 * the field in why. */
int va_tenant_audio_from_json(const char *data, size_t len, struct va_tenant_audio *inout,
			      char *why, size_t whysz);
int va_tenant_audio_to_json(const struct va_tenant_audio *a, struct va_buf *out);
const char *va_transport_name(enum va_transport t);
const char *va_turn_detection_name(enum va_turn_detection t);

#endif
