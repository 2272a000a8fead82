/* SPDX-License-Identifier: MIT */
/*
 * ws_codec.h - the client side of RFC 6455, without I/O.
 *
 * What the caller simulator and the load generator need to play Twilio's part
 * of a WebSocket: the opening handshake (request text, check of the 101
 * answer), masked client frames, and an incremental decoder of server frames.
 * Pure: no sockets, no globals (the random key and masks come from
 * getrandom()). Not a server-side codec: the decoder refuses masked frames, as
 * a client must.
 *
 * Decoder contract: bytes may arrive in pieces of any size; the decoder keeps
 * at most one partial frame header (14 bytes), the message being reassembled
 * (bounded by the maximum given at init) and one control payload (125 bytes).
 * Fragmented data messages are returned once, reassembled; control frames
 * interleaved between fragments are returned as they complete. After any
 * error the decoder is spent: every later call returns the same error.
 */
#ifndef VA_SIM_WS_CODEC_H
#define VA_SIM_WS_CODEC_H

#include "core/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum va_ws_opcode {
	VA_WS_OP_CONT = 0x0,
	VA_WS_OP_TEXT = 0x1,
	VA_WS_OP_BINARY = 0x2,
	VA_WS_OP_CLOSE = 0x8,
	VA_WS_OP_PING = 0x9,
	VA_WS_OP_PONG = 0xA,
};

/* First header byte bits, for va_ws_encode_raw. */
#define VA_WS_FIN  0x80
#define VA_WS_RSV1 0x40
#define VA_WS_RSV2 0x20
#define VA_WS_RSV3 0x10

/* Close codes of RFC 6455 §7.4.1 used by VoiceAI and its tests. */
#define VA_WS_CLOSE_NORMAL     1000
#define VA_WS_CLOSE_GOING_AWAY 1001
#define VA_WS_CLOSE_PROTOCOL   1002
#define VA_WS_CLOSE_BAD_DATA   1007
#define VA_WS_CLOSE_POLICY     1008
#define VA_WS_CLOSE_TOO_BIG    1009
#define VA_WS_CLOSE_NO_STATUS  1005 /* reported, never sent: close frame without a code */

#define VA_WS_KEY_LEN	 24 /* base64 of 16 random bytes */
#define VA_WS_ACCEPT_LEN 28 /* base64 of a SHA-1 digest */
#define VA_WS_MAX_HEADER 14 /* 2 + 8 (64-bit length) + 4 (mask) */

/* ---- Opening handshake ---- */

/* Writes a fresh Sec-WebSocket-Key (24 chars + NUL) into key. VA_E_IO if the
 * system has no randomness to give. */
int va_ws_key_new(char key[VA_WS_KEY_LEN + 1]);

/* Computes the Sec-WebSocket-Accept a server must answer for key:
 * base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")). */
int va_ws_accept_compute(const char *key, char accept[VA_WS_ACCEPT_LEN + 1]);

/*
 * Appends the GET request that opens a WebSocket to out:
 *   GET path HTTP/1.1, Host, Upgrade: websocket, Connection: Upgrade,
 *   Sec-WebSocket-Key, Sec-WebSocket-Version: 13, then extra_headers
 *   (complete "Name: value\r\n" lines, or NULL), then the blank line.
 * host is the Host header value as is ("127.0.0.1:8000"); path includes any
 * query. VA_E_INVAL when a value holds CR or LF (header injection), or
 * extra_headers does not end with CRLF.
 */
int va_ws_handshake_request(struct va_buf *out, const char *host, const char *path, const char *key,
			    const char *extra_headers);

/*
 * Checks the server's answer to a handshake sent with key. data holds what
 * was received so far (need not be NUL-terminated).
 *   VA_E_AGAIN   the header block is not complete yet (no blank line)
 *   VA_OK        101 with Upgrade: websocket, Connection: Upgrade and the
 *                right Sec-WebSocket-Accept; *header_len = bytes of the header
 *                block: anything after it is already frame data
 *   VA_E_STATE   a well-formed answer with another status (in *status; the
 *                refusal's body, if any, follows *header_len)
 *   VA_E_AUTH    101 whose Sec-WebSocket-Accept does not match the key
 *   VA_E_PARSE   not HTTP, or 101 without the upgrade headers
 *   VA_E_TOOBIG  more than 16 KiB without the end of the headers
 * *status is set whenever the status line could be read (0 otherwise).
 */
int va_ws_handshake_parse_response(const char *data, size_t len, const char *key, int *status,
				   size_t *header_len);

/* ---- Client frames (masked) ---- */

/*
 * Appends one frame to out. b0 is the first header byte verbatim (FIN, RSV
 * bits and opcode: any value, so tests can forge reserved bits and opcodes);
 * the length uses the shortest of the 7/16/64-bit forms. mask: the 4-byte
 * masking key, or NULL for an unmasked (server-style) frame. Nothing checks
 * that the frame is legal: this is the tool for building bad ones.
 */
int va_ws_encode_raw(struct va_buf *out, uint8_t b0, const void *payload, size_t len,
		     const uint8_t *mask);

/*
 * Appends a complete, legal client message: opcode TEXT or BINARY, masked with
 * fresh random keys. fragment_size 0 sends one frame; otherwise the payload is
 * cut into frames of at most fragment_size bytes (first with the opcode, the
 * rest CONT, FIN on the last), which is how tests exercise the server's
 * reassembly. Control opcodes (PING, PONG) are accepted with fragment_size 0
 * and at most 125 bytes; VA_E_INVAL otherwise.
 */
int va_ws_encode_message(struct va_buf *out, enum va_ws_opcode opcode, const void *payload,
			 size_t len, size_t fragment_size);

/* Appends a masked close frame: code 0 sends no payload (no status), else the
 * two-byte code and reason (may be NULL; at most 123 bytes, VA_E_INVAL past). */
int va_ws_encode_close(struct va_buf *out, int code, const char *reason);

/* ---- Incremental decoder of server frames ---- */

struct va_ws_frame {
	enum va_ws_opcode opcode; /* TEXT/BINARY (whole message), CLOSE, PING or PONG */
	const char *payload;	  /* borrowed, NUL-terminated; valid until the next feed */
	size_t len;
	unsigned fragments;	  /* frames the message arrived in (1 = unfragmented) */
	int close_code;		  /* CLOSE: the code, VA_WS_CLOSE_NO_STATUS without one */
	const char *close_reason; /* CLOSE: borrowed reason text ("" when none) */
};

enum va_ws_dec_state {
	VA_WS_DEC_HEADER = 0, /* collecting header bytes */
	VA_WS_DEC_PAYLOAD,    /* collecting payload bytes of the current frame */
	VA_WS_DEC_FAILED,     /* spent: err holds the error */
};

struct va_ws_decoder {
	size_t max_message;
	enum va_ws_dec_state state;
	int err;

	uint8_t hdr[VA_WS_MAX_HEADER];
	size_t hdr_len;

	/* Current frame. */
	uint8_t b0;
	uint64_t remaining; /* payload bytes still to come */
	bool control;

	/* Data message being reassembled. */
	struct va_buf msg;
	bool in_message;
	enum va_ws_opcode msg_opcode;
	unsigned msg_fragments;

	/* Control frame payload (NUL-terminated; reason of a close). */
	char ctrl[126];
	size_t ctrl_len;
};

/* max_message: the largest data message (after reassembly) accepted. */
void va_ws_decoder_init(struct va_ws_decoder *d, size_t max_message);
void va_ws_decoder_release(struct va_ws_decoder *d);

/*
 * Consumes bytes from data until one frame (or reassembled message) is
 * complete or data is used up; *consumed says how many bytes were taken, so
 * the caller loops over the rest:
 *
 *     while (len > 0) {
 *             rc = va_ws_decoder_feed(&d, p, len, &used, &f);
 *             p += used, len -= used;
 *             if (rc == VA_E_AGAIN) break;      // all taken, need more bytes
 *             if (rc) fail(rc);                 // PARSE or TOOBIG: close the socket
 *             handle(&f);                       // f valid until the next feed
 *     }
 *
 * Errors: VA_E_PARSE for a masked frame, reserved bits, an unknown opcode, a
 * fragmented or over-125-byte control frame, a CONT without a message or a
 * new message inside one, a non-minimal or 64-bit-with-MSB length, a close
 * payload of 1 byte or with an invalid code, a TEXT message that is not
 * UTF-8. VA_E_TOOBIG when a data message would exceed max_message (detected
 * from the header, before the payload is buffered).
 */
int va_ws_decoder_feed(struct va_ws_decoder *d, const void *data, size_t len, size_t *consumed,
		       struct va_ws_frame *out);

/* True if s (len bytes) is well-formed UTF-8 (no overlongs, no surrogates, at
 * most U+10FFFF). */
bool va_ws_utf8_valid(const char *s, size_t len);

#endif
