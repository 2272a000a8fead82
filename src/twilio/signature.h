/* SPDX-License-Identifier: MIT */
/*
 * signature.h - Twilio request validation (X-Twilio-Signature).
 *
 * HMAC-SHA1 over the full URL followed by every POST parameter, sorted by
 * name in byte order, name and value concatenated (a repeated name appends
 * each distinct value in sorted order), Base64 encoded. Validation accepts the
 * URL as given, with the default port removed and with it added (443 for
 * https/wss, 80 for http/ws), and — for WebSocket handshakes — with a trailing
 * slash and with the query folded in as parameters. All comparisons are
 * constant time. Pure: no I/O, no globals.
 */
#ifndef VA_TWILIO_SIGNATURE_H
#define VA_TWILIO_SIGNATURE_H

#include <stdbool.h>
#include <stddef.h>

struct va_kv {
	const char *name; /* decoded */
	const char *value; /* decoded */
};

/* Computes the Base64 signature of url + params into out (>= 29 bytes). */
int va_twilio_sign(const char *auth_token, const char *url, const struct va_kv *params,
		   size_t n_params, char *out, size_t outsz);

/* True if signature matches url+params under any accepted URL form (port
 * variants). For form-encoded webhooks. */
bool va_twilio_validate(const char *auth_token, const char *url, const struct va_kv *params,
			size_t n_params, const char *signature);

/* True if signature matches a WebSocket handshake to url (no body): tries the
 * URL as is, port variants, a trailing slash, and the query string folded in
 * as sorted parameters of the query-less URL. */
bool va_twilio_validate_ws(const char *auth_token, const char *url, const char *signature);

#endif
