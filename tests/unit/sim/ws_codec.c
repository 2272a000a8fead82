/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/sim/ws_codec.c: the RFC 6455 handshake check against the
 * RFC's own example, client frames checked byte by byte (header, mask, length
 * forms), and the incremental decoder fed with server frames built here by
 * hand, whole, split and byte by byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/err.h"
#include "sim/ws_codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers independent of the encoder ---- */

/* Builds an unmasked server frame: b0, the minimal length form, payload. */
static void server_frame(struct va_buf *out, uint8_t b0, const void *payload, size_t len)
{
	uint8_t h[10];
	size_t n = 0;

	h[n++] = b0;
	if (len < 126) {
		h[n++] = (uint8_t)len;
	} else if (len < 65536) {
		h[n++] = 126;
		h[n++] = (uint8_t)(len >> 8);
		h[n++] = (uint8_t)(len & 0xff);
	} else {
		h[n++] = 127;
		for (int i = 0; i < 8; i++)
			h[n++] = (uint8_t)(((uint64_t)len >> (56 - 8 * i)) & 0xff);
	}
	assert_int_equal(va_buf_append(out, h, n), VA_OK);
	if (len)
		assert_int_equal(va_buf_append(out, payload, len), VA_OK);
}

static char *pattern(size_t len)
{
	char *p = malloc(len + 1);
	for (size_t i = 0; i < len; i++)
		p[i] = (char)('a' + (i * 7 + i / 26) % 26);
	p[len] = '\0';
	return p;
}

/* Feeds all of data in pieces of step bytes (0 = all at once); collects the
 * frames into frames[] (payload copies). Returns the first error or VA_OK. */
struct got {
	int n;
	enum va_ws_opcode op[8];
	char *payload[8];
	size_t len[8];
	unsigned frags[8];
	int close_code[8];
	char reason[8][128];
};

static void got_release(struct got *g)
{
	for (int i = 0; i < g->n; i++)
		free(g->payload[i]);
	memset(g, 0, sizeof(*g));
}

static int feed_all(struct va_ws_decoder *d, const char *data, size_t len, size_t step,
		    struct got *g)
{
	size_t off = 0;

	while (off < len) {
		size_t chunk = step && len - off > step ? step : len - off;
		const char *p = data + off;
		size_t left = chunk;

		off += chunk;
		while (left > 0) {
			struct va_ws_frame f;
			size_t used = 0;
			int rc = va_ws_decoder_feed(d, p, left, &used, &f);

			assert_true(used <= left);
			p += used;
			left -= used;
			if (rc == VA_E_AGAIN) {
				assert_int_equal(left, 0);
				break;
			}
			if (rc)
				return rc;
			assert_true(g->n < 8);
			g->op[g->n] = f.opcode;
			g->payload[g->n] = malloc(f.len + 1);
			memcpy(g->payload[g->n], f.payload, f.len + 1);
			assert_int_equal(f.payload[f.len], '\0');
			g->len[g->n] = f.len;
			g->frags[g->n] = f.fragments;
			g->close_code[g->n] = f.close_code;
			if (f.close_reason)
				snprintf(g->reason[g->n], sizeof(g->reason[0]), "%s",
					 f.close_reason);
			g->n++;
		}
	}
	return VA_OK;
}

/* ---- handshake ---- */

static void test_accept_rfc_example(void **state)
{
	char acc[VA_WS_ACCEPT_LEN + 1];

	assert_int_equal(va_ws_accept_compute("dGhlIHNhbXBsZSBub25jZQ==", acc), VA_OK);
	assert_string_equal(acc, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

static void test_key_new(void **state)
{
	char a[VA_WS_KEY_LEN + 1], b[VA_WS_KEY_LEN + 1];

	assert_int_equal(va_ws_key_new(a), VA_OK);
	assert_int_equal(va_ws_key_new(b), VA_OK);
	assert_int_equal(strlen(a), 24);
	assert_string_equal(a + 22, "=="); /* 16 bytes -> 22 chars + padding */
	assert_string_not_equal(a, b);
}

static void test_handshake_request(void **state)
{
	struct va_buf b = VA_BUF_INIT(4096);

	assert_int_equal(
	    va_ws_handshake_request(&b, "127.0.0.1:8000", "/api/v1/voice/demo123/stream",
				    "dGhlIHNhbXBsZSBub25jZQ==", "X-Twilio-Signature: abc=\r\n"),
	    VA_OK);
	assert_non_null(strstr(b.data, "GET /api/v1/voice/demo123/stream HTTP/1.1\r\n"));
	assert_non_null(strstr(b.data, "\r\nHost: 127.0.0.1:8000\r\n"));
	assert_non_null(strstr(b.data, "\r\nUpgrade: websocket\r\n"));
	assert_non_null(strstr(b.data, "\r\nConnection: Upgrade\r\n"));
	assert_non_null(strstr(b.data, "\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"));
	assert_non_null(strstr(b.data, "\r\nSec-WebSocket-Version: 13\r\n"));
	assert_non_null(strstr(b.data, "\r\nX-Twilio-Signature: abc=\r\n\r\n"));
	assert_int_equal(strncmp(b.data + b.len - 4, "\r\n\r\n", 4), 0);

	/* Header injection through any value is refused and leaves out as it was. */
	va_buf_reset(&b);
	assert_int_equal(va_ws_handshake_request(&b, "h", "/x\r\nEvil: 1", "k", NULL), VA_E_INVAL);
	assert_int_equal(va_ws_handshake_request(&b, "h\r\n", "/x", "k", NULL), VA_E_INVAL);
	assert_int_equal(va_ws_handshake_request(&b, "h", "/x", "k", "X-A: 1"), VA_E_INVAL);
	assert_int_equal(va_ws_handshake_request(&b, "h", "x", "k", NULL), VA_E_INVAL);
	assert_int_equal(b.len, 0);
	va_buf_release(&b);
}

static void test_handshake_response(void **state)
{
	const char *key = "dGhlIHNhbXBsZSBub25jZQ==";
	const char *ok = "HTTP/1.1 101 Switching Protocols\r\n"
			 "upgrade: WebSocket\r\n"
			 "Connection: keep-alive, Upgrade\r\n"
			 "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
			 "\r\n\x81\x02hi";
	const char *bad_accept = "HTTP/1.1 101 Switching Protocols\r\n"
				 "Upgrade: websocket\r\nConnection: Upgrade\r\n"
				 "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOx=\r\n\r\n";
	const char *dup_accept = "HTTP/1.1 101 Switching Protocols\r\n"
				 "Upgrade: websocket\r\nConnection: Upgrade\r\n"
				 "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
				 "Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n";
	const char *no_upgrade = "HTTP/1.1 101 Switching Protocols\r\n"
				 "Connection: Upgrade\r\n"
				 "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
	const char *refused = "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n";
	int status;
	size_t hl;

	/* Incomplete at every prefix short of the blank line. */
	size_t full = strstr(ok, "\r\n\r\n") + 4 - ok;
	for (size_t i = 0; i < full; i++) {
		int rc = va_ws_handshake_parse_response(ok, i, key, &status, &hl);
		assert_int_equal(rc, VA_E_AGAIN);
	}
	assert_int_equal(va_ws_handshake_parse_response(ok, strlen(ok), key, &status, &hl), VA_OK);
	assert_int_equal(status, 101);
	assert_int_equal(hl, full);
	assert_memory_equal(ok + hl, "\x81\x02hi", 4);

	assert_int_equal(
	    va_ws_handshake_parse_response(bad_accept, strlen(bad_accept), key, &status, &hl),
	    VA_E_AUTH);
	assert_int_equal(
	    va_ws_handshake_parse_response(dup_accept, strlen(dup_accept), key, &status, &hl),
	    VA_E_AUTH);
	assert_int_equal(
	    va_ws_handshake_parse_response(no_upgrade, strlen(no_upgrade), key, &status, &hl),
	    VA_E_PARSE);
	assert_int_equal(
	    va_ws_handshake_parse_response(refused, strlen(refused), key, &status, &hl),
	    VA_E_STATE);
	assert_int_equal(status, 403);
	assert_int_equal(hl, strlen(refused));
	assert_int_equal(va_ws_handshake_parse_response("SSH-2.0-x\r\n\r\n", 13, key, &status, &hl),
			 VA_E_PARSE);
	assert_int_equal(status, 0);
}

/* ---- encoder ---- */

/* Parses a masked client frame by hand and unmasks its payload into *payload. */
static size_t parse_client_frame(const uint8_t *f, size_t avail, uint8_t *b0, char **payload,
				 size_t *plen)
{
	size_t pos = 2;
	uint64_t len = f[1] & 0x7f;
	const uint8_t *mask;

	assert_true(avail >= 2);
	assert_true(f[1] & 0x80); /* clients must mask */
	*b0 = f[0];
	if (len == 126) {
		len = ((uint64_t)f[2] << 8) | f[3];
		pos = 4;
		assert_true(len >= 126);
	} else if (len == 127) {
		len = 0;
		for (int i = 0; i < 8; i++)
			len = (len << 8) | f[2 + i];
		pos = 10;
		assert_true(len > 65535);
	}
	mask = f + pos;
	pos += 4;
	assert_true(avail >= pos + len);
	*payload = malloc(len + 1);
	for (size_t i = 0; i < len; i++)
		(*payload)[i] = (char)(f[pos + i] ^ mask[i % 4]);
	(*payload)[len] = '\0';
	*plen = (size_t)len;
	return pos + (size_t)len;
}

static void test_encode_lengths(void **state)
{
	const size_t lens[] = {0, 1, 125, 126, 65535, 65536, 70000};

	for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		struct va_buf b = VA_BUF_INIT(1 << 20);
		char *src = pattern(lens[k]);
		char *got = NULL;
		size_t glen = 0, hdr;
		uint8_t b0;

		assert_int_equal(va_ws_encode_message(&b, VA_WS_OP_TEXT, src, lens[k], 0), VA_OK);
		hdr = lens[k] < 126 ? 6 : lens[k] < 65536 ? 8 : 14;
		assert_int_equal(b.len, hdr + lens[k]);
		assert_int_equal(parse_client_frame((uint8_t *)b.data, b.len, &b0, &got, &glen),
				 b.len);
		assert_int_equal(b0, 0x81);
		assert_int_equal(glen, lens[k]);
		assert_memory_equal(got, src, lens[k]);
		free(got);
		free(src);
		va_buf_release(&b);
	}
}

static void test_encode_fragmented(void **state)
{
	struct va_buf b = VA_BUF_INIT(1 << 16);
	const char *msg = "{\"type\":\"prompt\",\"voicePrompt\":\"hello there\",\"last\":true}";
	size_t len = strlen(msg), off = 0, pos = 0;
	const uint8_t want_b0[] = {0x01, 0x00, 0x00, 0x00, 0x80};
	int i = 0;

	/* 57 bytes in pieces of 13: 13+13+13+13+5 */
	assert_int_equal(len, 57);
	assert_int_equal(va_ws_encode_message(&b, VA_WS_OP_TEXT, msg, len, 13), VA_OK);
	while (pos < b.len) {
		char *got;
		size_t glen;
		uint8_t b0;

		pos += parse_client_frame((uint8_t *)b.data + pos, b.len - pos, &b0, &got, &glen);
		assert_true(i < 5);
		assert_int_equal(b0, want_b0[i]);
		assert_memory_equal(got, msg + off, glen);
		off += glen;
		free(got);
		i++;
	}
	assert_int_equal(i, 5);
	assert_int_equal(off, len);

	/* Control frames cannot be fragmented or exceed 125 bytes. */
	assert_int_equal(va_ws_encode_message(&b, VA_WS_OP_PING, "x", 1, 1), VA_E_INVAL);
	assert_int_equal(va_ws_encode_message(&b, VA_WS_OP_CLOSE, "x", 1, 0), VA_E_INVAL);
	va_buf_release(&b);
}

static void test_encode_close_and_raw(void **state)
{
	struct va_buf b = VA_BUF_INIT(1024);
	const uint8_t mask[4] = {1, 2, 3, 4};
	char *got;
	size_t glen;
	uint8_t b0;

	assert_int_equal(va_ws_encode_close(&b, 1000, "bye"), VA_OK);
	parse_client_frame((uint8_t *)b.data, b.len, &b0, &got, &glen);
	assert_int_equal(b0, 0x88);
	assert_int_equal(glen, 5);
	assert_memory_equal(got,
			    "\x03\xe8"
			    "bye",
			    5);
	free(got);

	va_buf_reset(&b);
	assert_int_equal(va_ws_encode_close(&b, 0, NULL), VA_OK);
	assert_int_equal(b.len, 6);
	assert_int_equal((uint8_t)b.data[1], 0x80);

	/* Raw frames: whatever b0, an explicit mask or none. */
	va_buf_reset(&b);
	assert_int_equal(va_ws_encode_raw(&b, 0xC1 /* FIN|RSV1|TEXT */, "ab", 2, mask), VA_OK);
	assert_memory_equal(b.data, "\xC1\x82\x01\x02\x03\x04\x60\x60", 8);
	va_buf_reset(&b);
	assert_int_equal(va_ws_encode_raw(&b, 0x82, "ab", 2, NULL), VA_OK);
	assert_memory_equal(b.data,
			    "\x82\x02"
			    "ab",
			    4);
	va_buf_release(&b);
}

/* ---- decoder ---- */

static void test_decode_lengths_roundtrip(void **state)
{
	const size_t lens[] = {0, 125, 126, 65535, 65536, 70000};
	const size_t steps[] = {0, 1, 7, 4096};

	for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
			struct va_buf wire = VA_BUF_INIT(1 << 20);
			struct va_ws_decoder d;
			struct got g = {0};
			char *src = pattern(lens[k]);

			/* Byte-by-byte feeding of the large ones is slow; 7 suffices. */
			if (steps[s] == 1 && lens[k] > 126) {
				free(src);
				continue;
			}
			server_frame(&wire, 0x81, src, lens[k]);
			server_frame(&wire, 0x82, "\x00\x01", 2);
			va_ws_decoder_init(&d, 70000);
			assert_int_equal(feed_all(&d, wire.data, wire.len, steps[s], &g), VA_OK);
			assert_int_equal(g.n, 2);
			assert_int_equal(g.op[0], VA_WS_OP_TEXT);
			assert_int_equal(g.len[0], lens[k]);
			assert_memory_equal(g.payload[0], src, lens[k]);
			assert_int_equal(g.frags[0], 1);
			assert_int_equal(g.op[1], VA_WS_OP_BINARY);
			assert_int_equal(g.len[1], 2);
			assert_memory_equal(g.payload[1], "\x00\x01", 2);
			got_release(&g);
			va_ws_decoder_release(&d);
			va_buf_release(&wire);
			free(src);
		}
	}
}

static void test_decode_fragmented_with_ping(void **state)
{
	struct va_buf wire = VA_BUF_INIT(4096);
	struct va_ws_decoder d;
	struct got g = {0};

	server_frame(&wire, 0x01, "{\"type\":\"te", 11);  /* TEXT, not FIN */
	server_frame(&wire, 0x89, "p1", 2);		  /* PING in between */
	server_frame(&wire, 0x00, "xt\",\"token\":", 12); /* CONT */
	server_frame(&wire, 0x80, "\"Hi\"}", 5);	  /* CONT, FIN */
	server_frame(&wire, 0x8A, "", 0);		  /* PONG */

	for (size_t step = 0; step <= 3; step++) {
		va_ws_decoder_init(&d, 1024);
		assert_int_equal(feed_all(&d, wire.data, wire.len, step, &g), VA_OK);
		assert_int_equal(g.n, 3);
		assert_int_equal(g.op[0], VA_WS_OP_PING);
		assert_string_equal(g.payload[0], "p1");
		assert_int_equal(g.op[1], VA_WS_OP_TEXT);
		assert_string_equal(g.payload[1], "{\"type\":\"text\",\"token\":\"Hi\"}");
		assert_int_equal(g.frags[1], 3);
		assert_int_equal(g.op[2], VA_WS_OP_PONG);
		assert_int_equal(g.len[2], 0);
		got_release(&g);
		va_ws_decoder_release(&d);
	}
	va_buf_release(&wire);
}

static void test_decode_toobig(void **state)
{
	struct va_buf wire = VA_BUF_INIT(1 << 16);
	struct va_ws_decoder d;
	struct got g = {0};
	char *big = pattern(101);

	/* One frame over the limit: refused from the header alone. */
	server_frame(&wire, 0x81, big, 101);
	va_ws_decoder_init(&d, 100);
	assert_int_equal(feed_all(&d, wire.data, 2, 0, &g), VA_E_TOOBIG);
	/* Spent: stays failed. */
	assert_int_equal(feed_all(&d, "\x81\x00", 2, 0, &g), VA_E_TOOBIG);
	va_ws_decoder_release(&d);

	/* Exactly at the limit is fine. */
	va_buf_reset(&wire);
	server_frame(&wire, 0x81, big, 100);
	va_ws_decoder_init(&d, 100);
	assert_int_equal(feed_all(&d, wire.data, wire.len, 0, &g), VA_OK);
	assert_int_equal(g.n, 1);
	got_release(&g);
	va_ws_decoder_release(&d);

	/* Fragments adding up past the limit. */
	va_buf_reset(&wire);
	server_frame(&wire, 0x01, big, 60);
	server_frame(&wire, 0x80, big, 41);
	va_ws_decoder_init(&d, 100);
	assert_int_equal(feed_all(&d, wire.data, wire.len, 5, &g), VA_E_TOOBIG);
	assert_int_equal(g.n, 0);
	va_ws_decoder_release(&d);
	va_buf_release(&wire);
	free(big);
}

static void expect_parse_error(const char *bytes, size_t len)
{
	struct va_ws_decoder d;
	struct got g = {0};

	va_ws_decoder_init(&d, 1 << 20);
	assert_int_equal(feed_all(&d, bytes, len, 0, &g), VA_E_PARSE);
	got_release(&g);
	va_ws_decoder_release(&d);
	/* The same bytes one at a time fail the same way. */
	va_ws_decoder_init(&d, 1 << 20);
	assert_int_equal(feed_all(&d, bytes, len, 1, &g), VA_E_PARSE);
	got_release(&g);
	va_ws_decoder_release(&d);
}

static void test_decode_protocol_errors(void **state)
{
	/* Masked server frame. */
	expect_parse_error("\x81\x82\x01\x02\x03\x04\x60\x60", 8);
	/* Reserved bits. */
	expect_parse_error("\xC1\x01x", 3);
	expect_parse_error("\x91\x01x", 3);
	/* Unknown opcodes (data 3, control 0xB). */
	expect_parse_error("\x83\x01x", 3);
	expect_parse_error("\x8B\x00", 2);
	/* Control frames: over 125 bytes, or fragmented. */
	expect_parse_error("\x89\x7e\x00\x7e", 4);
	expect_parse_error("\x09\x00", 2);
	/* CONT without a message; a new message inside one. */
	expect_parse_error("\x80\x01x", 3);
	expect_parse_error("\x01\x01x\x81\x01y", 6);
	/* Non-minimal lengths; 64-bit length with the top bit set. */
	expect_parse_error("\x81\x7e\x00\x05hello", 9);
	expect_parse_error("\x82\x7f\x00\x00\x00\x00\x00\x00\x00\x05hello", 15);
	expect_parse_error("\x82\x7f\x80\x00\x00\x00\x00\x00\x00\x05", 10);
	/* Close with a 1-byte payload, or with codes that must not be sent. */
	expect_parse_error("\x88\x01\x03", 3);
	expect_parse_error("\x88\x02\x03\xed", 4); /* 1005 */
	expect_parse_error("\x88\x02\x03\xe7", 4); /* 999 */
	/* Text that is not UTF-8 (lone continuation byte, overlong '/'). */
	expect_parse_error("\x81\x01\x80", 3);
	expect_parse_error("\x81\x02\xc0\xaf", 4);
}

static void test_decode_close(void **state)
{
	struct va_ws_decoder d;
	struct got g = {0};
	const char frames[] = "\x88\x0d\x03\xf1policy\xc3\xa9 ok" /* 1009 "policyé ok" */
			      "\x88\x00";
	va_ws_decoder_init(&d, 1024);
	assert_int_equal(feed_all(&d, frames, sizeof(frames) - 1, 1, &g), VA_OK);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.op[0], VA_WS_OP_CLOSE);
	assert_int_equal(g.close_code[0], 1009);
	assert_string_equal(g.reason[0], "policy\xc3\xa9 ok");
	assert_int_equal(g.op[1], VA_WS_OP_CLOSE);
	assert_int_equal(g.close_code[1], VA_WS_CLOSE_NO_STATUS);
	assert_string_equal(g.reason[1], "");
	got_release(&g);
	va_ws_decoder_release(&d);
}

static void test_utf8(void **state)
{
	assert_true(va_ws_utf8_valid("", 0));
	assert_true(va_ws_utf8_valid("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14));
	assert_false(va_ws_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
	assert_false(va_ws_utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
	assert_false(va_ws_utf8_valid("\xe2\x82", 2));	       /* truncated */
	assert_false(va_ws_utf8_valid("\xe0\x80\xaf", 3));     /* overlong */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_accept_rfc_example),
	    cmocka_unit_test(test_key_new),
	    cmocka_unit_test(test_handshake_request),
	    cmocka_unit_test(test_handshake_response),
	    cmocka_unit_test(test_encode_lengths),
	    cmocka_unit_test(test_encode_fragmented),
	    cmocka_unit_test(test_encode_close_and_raw),
	    cmocka_unit_test(test_decode_lengths_roundtrip),
	    cmocka_unit_test(test_decode_fragmented_with_ping),
	    cmocka_unit_test(test_decode_toobig),
	    cmocka_unit_test(test_decode_protocol_errors),
	    cmocka_unit_test(test_decode_close),
	    cmocka_unit_test(test_utf8),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
