/* SPDX-License-Identifier: MIT */
/*
 * fuzz_relay_msg.c - libFuzzer target for the ConversationRelay codec
 * (src/relay/msg.c). Arbitrary bytes go to both parsers; whatever parses is
 * written back and re-parsed, which must give the same values, and the bytes
 * are also sent as a text token, which must survive (sanitized) a round trip.
 */
#include "relay/msg.h"

#include "core/buf.h"
#include "core/err.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_in_round_trip(const struct va_relay_in *m)
{
	struct va_buf b = VA_BUF_INIT(4 * VA_RELAY_MAX_FRAME);
	struct va_relay_in again;
	char why[128];
	size_t i;
	int rc = VA_OK;

	switch (m->type) {
	case VA_RELAY_IN_SETUP:
		rc = va_relay_write_setup(&b, &m->u.setup);
		break;
	case VA_RELAY_IN_PROMPT:
		rc = va_relay_write_prompt(&b, m->u.prompt.text, m->u.prompt.last,
					   m->u.prompt.lang[0] ? m->u.prompt.lang : NULL);
		break;
	case VA_RELAY_IN_INTERRUPT:
		rc = va_relay_write_interrupt(&b, m->u.interrupt.heard, m->u.interrupt.duration_ms);
		break;
	case VA_RELAY_IN_DTMF:
		rc = va_relay_write_dtmf(&b, m->u.dtmf.digit);
		break;
	default:
		goto out;
	}
	CHECK(rc == VA_OK);
	CHECK(va_relay_parse(b.data, b.len, &again, why, sizeof(why)) == VA_OK);
	CHECK(again.type == m->type);
	switch (m->type) {
	case VA_RELAY_IN_SETUP:
		CHECK(strcmp(again.u.setup.session_id, m->u.setup.session_id) == 0);
		CHECK(strcmp(again.u.setup.call_sid, m->u.setup.call_sid) == 0);
		CHECK(strcmp(again.u.setup.caller_name, m->u.setup.caller_name) == 0);
		CHECK(again.u.setup.n_params == m->u.setup.n_params);
		for (i = 0; i < m->u.setup.n_params; i++) {
			CHECK(strcmp(again.u.setup.params[i].name, m->u.setup.params[i].name) == 0);
			CHECK(strcmp(again.u.setup.params[i].value, m->u.setup.params[i].value) ==
			      0);
		}
		break;
	case VA_RELAY_IN_PROMPT:
		CHECK(strcmp(again.u.prompt.text, m->u.prompt.text) == 0);
		CHECK(again.u.prompt.last == m->u.prompt.last);
		break;
	case VA_RELAY_IN_INTERRUPT:
		CHECK(strcmp(again.u.interrupt.heard, m->u.interrupt.heard) == 0);
		CHECK(again.u.interrupt.duration_ms == m->u.interrupt.duration_ms);
		break;
	case VA_RELAY_IN_DTMF:
		CHECK(again.u.dtmf.digit == m->u.dtmf.digit);
		break;
	default:
		break;
	}
	va_relay_in_release(&again);
out:
	va_buf_release(&b);
}

/* Any bytes as a token: never lost, and identical when already valid UTF-8. */
static void check_token(const uint8_t *data, size_t size)
{
	struct va_buf b = VA_BUF_INIT(4 * VA_RELAY_MAX_FRAME);
	struct va_relay_out o;
	char *clean;
	size_t n;

	if (size > VA_RELAY_MAX_FRAME)
		return;
	/* jansson refuses NUL in parsed strings, so only NUL-free tokens come back */
	if (memchr(data, '\0', size))
		return;
	CHECK(va_relay_write_text(&b, (const char *)data, size, true, NULL) == VA_OK);
	CHECK(va_relay_parse_out(b.data, b.len, &o) == VA_OK);
	CHECK(o.type == VA_RELAY_OUT_TEXT && o.text && o.last);
	n = va_relay_utf8_sanitize((const char *)data, size, &clean);
	CHECK(strlen(o.text) == n && memcmp(o.text, clean, n) == 0);
	free(clean);
	va_relay_out_release(&o);
	va_buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct va_relay_in in;
	struct va_relay_out out;
	char why[96];

	if (va_relay_parse((const char *)data, size, &in, why, sizeof(why)) == VA_OK) {
		CHECK(in.type >= VA_RELAY_IN_SETUP && in.type <= VA_RELAY_IN_UNKNOWN);
		CHECK(memchr(in.type_name, '\0', sizeof(in.type_name)) != NULL);
		check_in_round_trip(&in);
		va_relay_in_release(&in);
	} else {
		CHECK(memchr(why, '\0', sizeof(why)) != NULL && why[0] != '\0');
	}
	if (va_relay_parse_out((const char *)data, size, &out) == VA_OK)
		va_relay_out_release(&out);
	check_token(data, size);
	return 0;
}
