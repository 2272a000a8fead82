/* SPDX-License-Identifier: MIT */
/*
 * form.h - application/x-www-form-urlencoded bodies (Twilio's webhooks).
 *
 * Decodes '+' as space and %XX escapes; a malformed escape is VA_E_PARSE, and
 * so is a NUL byte, raw or as %00, because every consumer uses C strings.
 * Pairs keep their order; a name without '=' has an empty value. Bounded by
 * VA_FORM_MAX_PAIRS and the body size the HTTP layer already capped.
 */
#ifndef VA_HTTP_FORM_H
#define VA_HTTP_FORM_H

#include "twilio/signature.h"

#include <stddef.h>

#define VA_FORM_MAX_PAIRS 128

struct va_form {
	size_t n;
	struct va_kv pairs[VA_FORM_MAX_PAIRS]; /* point into _storage */
	char *_storage;			       /* owned */
};

/* Parses body (len bytes, need not be NUL-terminated) into f. Release with
 * va_form_release even on failure. VA_E_TOOBIG past VA_FORM_MAX_PAIRS. */
int va_form_parse(struct va_form *f, const char *body, size_t len);
void va_form_release(struct va_form *f);
/* Borrowed value of the first pair named name, or NULL. */
const char *va_form_get(const struct va_form *f, const char *name);

/* Percent-decodes src (len bytes) into dst (at least len+1 bytes, always
 * NUL-terminated on success), '+' as space when plus_is_space; returns decoded
 * length or VA_E_PARSE (VA_E_TOOBIG if len exceeds INT_MAX). */
int va_url_decode(char *dst, const char *src, size_t len, int plus_is_space);

#endif
