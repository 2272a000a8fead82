/* SPDX-License-Identifier: MIT */
/* llm_json.c - a practice's language-model settings <-> JSON. */
#include "tenant/llm_json.h"
#include "core/alloc.h"
#include "core/err.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static int fail(char *why, size_t whysz, const char *field, const char *reason)
{
	if (why && whysz)
		snprintf(why, whysz, "llm.%s: %s", field, reason);
	return VA_E_INVAL;
}

static int text(json_t *o, const char *k, char *dst, size_t n, char *why, size_t whysz)
{
	json_t *v = json_object_get(o, k);

	if (!v)
		return VA_OK;
	if (json_is_null(v)) {
		dst[0] = '\0';
		return VA_OK;
	}
	if (!json_is_string(v))
		return fail(why, whysz, k, "must be a string");
	if (json_string_length(v) >= n)
		return fail(why, whysz, k, "too long");
	for (const char *p = json_string_value(v); *p; p++)
		if ((unsigned char)*p < 0x20)
			return fail(why, whysz, k, "contains control characters");
	memcpy(dst, json_string_value(v), json_string_length(v) + 1);
	return VA_OK;
}

static int num(json_t *o, const char *k, int *dst, int max, char *why, size_t whysz)
{
	json_t *v = json_object_get(o, k);

	if (!v || json_is_null(v))
		return VA_OK;
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max)
		return fail(why, whysz, k, "must be an integer in range");
	*dst = (int)json_integer_value(v);
	return VA_OK;
}

int va_tenant_llm_from_json(const char *data, size_t len, struct va_tenant_llm *inout, char *why,
			    size_t whysz)
{
	struct va_tenant_llm t = *inout;
	char key[sizeof(t.api_key)], mask[16];
	json_error_t e;
	json_t *o = json_loadb(data, len, JSON_REJECT_DUPLICATES, &e), *v;
	int rc;

	if (!o)
		return fail(why, whysz, "json", e.text), VA_E_PARSE;
	if (!json_is_object(o)) {
		json_decref(o);
		return fail(why, whysz, "json", "must be an object");
	}
	va_strlcpy(key, t.api_key, sizeof(key));
	if ((rc = text(o, "base_url", t.base_url, sizeof(t.base_url), why, whysz)) ||
	    (rc = text(o, "model", t.model, sizeof(t.model), why, whysz)) ||
	    (rc = text(o, "api_key", t.api_key, sizeof(t.api_key), why, whysz)) ||
	    (rc = text(o, "api_key_env", t.api_key_env, sizeof(t.api_key_env), why, whysz)) ||
	    (rc = num(o, "first_token_ms", &t.first_token_ms, 60000, why, whysz)) ||
	    (rc = num(o, "timeout_ms", &t.timeout_ms, 600000, why, whysz)))
		goto out;
	/* A key read back from the API (masked) leaves the stored one. */
	va_tenant_mask_secret(key, mask, sizeof(mask));
	if (key[0] && !strcmp(t.api_key, mask))
		va_strlcpy(t.api_key, key, sizeof(t.api_key));
	else if (!strncmp(t.api_key, "****", 4)) {
		rc = fail(why, whysz, "api_key", "looks masked; send the key itself");
		goto out;
	}
	v = json_object_get(o, "temperature");
	if (v && !json_is_null(v)) {
		if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 2) {
			rc = fail(why, whysz, "temperature", "must be a number 0..2");
			goto out;
		}
		t.temperature = json_number_value(v);
	} else if (v) {
		t.temperature = -1;
	}
	if (t.base_url[0] && strncmp(t.base_url, "http://", 7) && strncmp(t.base_url, "https://", 8)) {
		rc = fail(why, whysz, "base_url", "must be an http(s) URL");
		goto out;
	}
	for (const char *p = t.api_key_env; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_')) {
			rc = fail(why, whysz, "api_key_env", "must be an environment variable name");
			goto out;
		}
	*inout = t;
out:
	explicit_bzero(key, sizeof(key));
	explicit_bzero(&t, sizeof(t));
	json_decref(o);
	return rc;
}

static int dump_cb(const char *buffer, size_t size, void *data)
{
	return va_buf_append(data, buffer, size) ? -1 : 0;
}

int va_tenant_llm_to_json(const struct va_tenant_llm *l, bool with_secret, struct va_buf *out)
{
	char mask[16];
	json_t *o;
	int rc = VA_OK;

	va_tenant_mask_secret(l->api_key, mask, sizeof(mask));
	o = json_pack("{s:s,s:s,s:s,s:s,s:i,s:i}", "base_url", l->base_url, "model", l->model,
		      "api_key", with_secret ? l->api_key : mask, "api_key_env", l->api_key_env,
		      "first_token_ms", l->first_token_ms, "timeout_ms", l->timeout_ms);
	if (!o)
		return VA_E_INVAL;
	json_object_set_new(o, "temperature", l->temperature >= 0 ? json_real(l->temperature)
								  : json_null());
	if (json_dump_callback(o, dump_cb, out, JSON_COMPACT))
		rc = VA_E_TOOBIG;
	json_decref(o);
	return rc;
}
