/* SPDX-License-Identifier: MIT */
/*
 * llm_json.h - a practice's language-model settings as a JSON document
 * {"base_url","model","api_key","api_key_env","temperature","first_token_ms",
 * "timeout_ms"}, for the tenant API and the store. The key is masked on the
 * way out unless asked for (the store keeps it).
 */
#ifndef VA_TENANT_LLM_JSON_H
#define VA_TENANT_LLM_JSON_H

#include "core/buf.h"
#include "tenant/tenant.h"

#include <stdbool.h>
#include <stddef.h>

/* Applies the fields present in data to *inout. A masked key equal to
 * what va_tenant_llm_to_json shows keeps the key. VA_E_INVAL / VA_E_PARSE
 * with the field in why. */
int va_tenant_llm_from_json(const char *data, size_t len, struct va_tenant_llm *inout, char *why,
			    size_t whysz);
int va_tenant_llm_to_json(const struct va_tenant_llm *l, bool with_secret, struct va_buf *out);

#endif
