/* SPDX-License-Identifier: MIT */
/*
 * tenant_json.h - the JSON form of a tenant for the admin API.
 *
 * The only place a tenant meets json_t: documents are checked field by field
 * against a table and converted straight into struct va_tenant, and the
 * struct is serialized back with its secrets masked. Keys are snake_case:
 *
 *   {"id","name","timezone","twilio_auth_token","api_key","front_desk_number",
 *    "greeting","connecting_message",
 *    "relay":{"language","tts_provider","voice","transcription_provider",
 *             "speech_model","interruptible","interrupt_sensitivity",
 *             "speech_timeout","report_input_during_agent_speech",
 *             "welcome_greeting_interruptible","hints","dtmf_detection",
 *             "preemptible","partial_prompts","application_reconnect","preset"}}
 *
 * Unknown keys are ignored. A string field may be null, which empties it.
 */
#ifndef VA_HTTP_TENANT_JSON_H
#define VA_HTTP_TENANT_JSON_H

#include "core/buf.h"
#include "tenant/tenant.h"

#include <stdbool.h>
#include <stddef.h>

/* Parses a JSON object (data: len bytes, need not be NUL-terminated) into
 * *inout. With partial false (create) it starts from va_tenant_defaults;
 * with partial true (update) only the fields present change, and an "id"
 * other than inout->id is refused. In the same document "preset" is applied
 * before an explicit speech_timeout or interrupt_sensitivity. A secret equal
 * to its masked form as va_tenant_to_json shows it leaves the secret as it
 * was, so a document read back from the API can be sent again unchanged.
 *
 * The result must pass va_tenant_validate. All or nothing: on any failure
 * *inout is untouched and why (may be NULL) names the field and the reason.
 * Returns VA_E_PARSE for malformed JSON, VA_E_INVAL otherwise. */
int va_tenant_from_json(const char *data, size_t len, struct va_tenant *inout, bool partial,
			char *why, size_t whysz);

/* Appends t as a compact JSON object to out. Secrets appear only masked
 * (va_tenant_mask_secret) under their usual keys; the preset by name. On
 * failure (VA_E_TOOBIG, or VA_E_INVAL for text that is not UTF-8) out is left
 * as it was. */
int va_tenant_to_json(const struct va_tenant *t, struct va_buf *out);

#endif
