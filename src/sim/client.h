/* SPDX-License-Identifier: MIT */
/*
 * client.h - a small blocking client that plays Twilio against a VoiceAI
 * server: plain HTTP/1.1 requests, signed Voice webhooks, and a signed
 * ConversationRelay WebSocket. Used by `voiceai call` and by the integration
 * tests. Not for production paths: it blocks, handles one connection per
 * object, and speaks neither TLS nor keep-alive.
 *
 * Conventions: every function returns VA_OK or a negative VA_E_* code
 * (core/err.h). Network failures are VA_E_IO (connect refused, reset, name
 * not resolved), VA_E_TIMEOUT when timeout_ms elapses first (timeouts are
 * overall deadlines for the call, not per read; for va_sim_http and the
 * connects, timeout_ms <= 0 means 10 s). Bodies and frames received
 * are bounded: a peer that sends more than the limit gets VA_E_TOOBIG.
 * URLs are "scheme://host[:port][/path][?query]" with scheme http or ws
 * (https/wss are parsed but cannot be connected to: VA_E_UNSUPPORTED);
 * IPv6 literals go in brackets. SIGPIPE is never raised (MSG_NOSIGNAL).
 *
 * Typical integration test:
 *
 *     struct va_buf body = VA_BUF_INIT(64 * 1024);
 *     struct va_sim_twiml tw;
 *     int status;
 *     va_sim_webhook("http://127.0.0.1:18123", "/api/v1/voice/demo123",
 *                    "demo-auth-token", NULL, params, n, &status, &body);
 *     va_sim_twiml_parse(body.data, &tw);                 // tw.relay_url
 *     char *sig = va_sim_ws_sign("demo-auth-token", tw.relay_url);
 *     va_sim_ws_connect("ws://127.0.0.1:18123/api/v1/voice/demo123/stream",
 *                       sig, 5000, &ws, &status);          // status == 101
 *     va_sim_ws_send_text(ws, setup_json, len);
 *     va_sim_ws_recv(ws, 5000, &frame);                    // frame.payload
 *     va_sim_frame_release(&frame);
 *     va_sim_ws_free(ws); free(sig); va_sim_twiml_release(&tw);
 */
#ifndef VA_SIM_CLIENT_H
#define VA_SIM_CLIENT_H

#include "core/buf.h"
#include "sim/ws_codec.h"
#include "twilio/signature.h"

#include <stdbool.h>
#include <stddef.h>

/* ---- URLs ---- */

struct va_sim_url {
	char scheme[8];	 /* lower case: http, https, ws, wss */
	char host[256];	 /* without brackets for IPv6 */
	char port[8];	 /* explicit port, or the scheme's default */
	bool port_given; /* the URL spelled a port */
	char path[2048]; /* path and query; "/" when the URL has none */
};

/* Splits url. VA_E_INVAL for a missing or unknown scheme, an empty host, a
 * bad port or parts that do not fit. */
int va_sim_url_parse(const char *url, struct va_sim_url *out);

/* Writes "host[:port]" as a Host header wants it (port only when given,
 * brackets around IPv6) into dst. */
void va_sim_url_authority(const struct va_sim_url *u, char *dst, size_t dstsz);

/* ---- HTTP ---- */

/*
 * One HTTP/1.1 request with "Connection: close" on a fresh connection.
 * url: http://host:port/path?q. extra_headers: complete "Name: value\r\n"
 * lines or NULL (Host, Content-Length, Connection and User-Agent are added
 * here). body may be NULL when body_len is 0; Content-Length is sent for
 * every method but GET/HEAD without a body.
 * The response body is read to Content-Length, through chunked transfer
 * encoding, or to the close, and appended to resp_body (caller-initialised:
 * its maximum bounds what is accepted). resp_headers, when not NULL, receives
 * the raw status line and header block (bounded at 64 KiB).
 * *status is the response status code (0 until one was read). Any status is
 * VA_OK: the caller judges it.
 */
int va_sim_http(const char *method, const char *url, const char *extra_headers, const char *body,
		size_t body_len, int timeout_ms, int *status, struct va_buf *resp_body,
		struct va_buf *resp_headers);

/* Appends params form-encoded (application/x-www-form-urlencoded: unreserved
 * A-Z a-z 0-9 - . _ * kept, space as '+', everything else %XX) to out. */
int va_sim_form_encode(struct va_buf *out, const struct va_kv *params, size_t n);

/* Looks up a header in a raw header block (as va_sim_http returns it),
 * case-insensitively; copies the first value, trimmed, into dst.
 * VA_E_NOTFOUND when absent, VA_E_TOOBIG when truncated. */
int va_sim_header_get(const char *headers, const char *name, char *dst, size_t dstsz);

/*
 * POSTs a Twilio-style Voice webhook: params form-encoded, Content-Type
 * application/x-www-form-urlencoded, and X-Twilio-Signature computed with
 * va_twilio_sign over (signed_url_base ? signed_url_base : base_url) + path
 * and params. auth_token NULL sends no signature header (for refusal tests).
 * path starts with '/' and may carry a query (it is signed as part of the
 * URL, as Twilio does). Timeout 10 s. Response status in *status, body
 * appended to body (caller-initialised).
 */
int va_sim_webhook(const char *base_url, const char *path, const char *auth_token,
		   const char *signed_url_base, const struct va_kv *params, size_t n, int *status,
		   struct va_buf *body);

/* Same, with extra request header lines ("Name: value\r\n…", or NULL), e.g.
 * the X-Forwarded-Proto/Host a tunnel in front of the server would add. */
int va_sim_webhook_ex(const char *base_url, const char *path, const char *auth_token,
		      const char *signed_url_base, const char *extra_headers,
		      const struct va_kv *params, size_t n, int *status, struct va_buf *body);

/* ---- TwiML ---- */

#define VA_SIM_TWIML_MAX_PARAMS 16

/* What `call` needs from the TwiML the webhook answers. Every string is
 * owned, XML entities already decoded, NULL when absent. */
struct va_sim_twiml {
	char *relay_url;	/* <ConversationRelay url> */
	char *action_url;	/* <Connect action> */
	char *welcome_greeting; /* <ConversationRelay welcomeGreeting> */
	char *say;		/* text of every <Say>, joined by " " */
	char *dial;		/* text of the first <Dial> (number or <Number>) */
	bool hangup;		/* a <Hangup/> is present */
	size_t n_params;
	struct va_kv params[VA_SIM_TWIML_MAX_PARAMS]; /* <Parameter name value>, owned strings */
};

/* Extracts the above from xml (NUL-terminated). VA_E_PARSE when xml is not
 * a <Response> document; a document without ConversationRelay is VA_OK with
 * relay_url NULL. Release with va_sim_twiml_release even on failure. */
int va_sim_twiml_parse(const char *xml, struct va_sim_twiml *out);
void va_sim_twiml_release(struct va_sim_twiml *t);
/* Decodes &amp; &lt; &gt; &quot; &apos; &#N; &#xN; in s[0..len) into a new
 * string (caller frees); unknown entities are kept verbatim. */
char *va_sim_xml_unescape(const char *s, size_t len);

/* ---- WebSocket ---- */

/* Default largest message va_sim_ws_recv accepts (the server's own cap on
 * what it receives is VA_RELAY_MAX_FRAME; replies are far smaller). */
#define VA_SIM_WS_MAX_MESSAGE (1024 * 1024)

struct va_sim_ws;

/* A received frame. Control frames other than CLOSE never reach the caller
 * from va_sim_ws_recv except PONG (PING is answered automatically). */
struct va_sim_frame {
	enum va_ws_opcode opcode; /* TEXT, BINARY, CLOSE or PONG */
	char *payload;		  /* owned, NUL-terminated; CLOSE: the reason text */
	size_t len;
	int close_code; /* CLOSE: the code (VA_WS_CLOSE_NO_STATUS without one); else 0 */
};

/* Malloc'ed X-Twilio-Signature of a WebSocket handshake to ws_url_to_sign
 * (the URL exactly as the TwiML gave it, no params); NULL on failure. */
char *va_sim_ws_sign(const char *auth_token, const char *ws_url_to_sign);

/*
 * Opens a WebSocket: TCP connect to ws_url's host and port, GET ws_url's path
 * with the upgrade headers, X-Twilio-Signature: signature when signature is
 * not NULL, and checks the 101 answer (Sec-WebSocket-Accept).
 * *http_status receives the status line's code whenever one was read (101 on
 * success, 403/404/503… on refusal; 0 if none). Returns:
 *   VA_OK             connected, *out set (free with va_sim_ws_free)
 *   VA_E_FORBIDDEN    403        VA_E_AUTH      401, or a wrong Accept
 *   VA_E_NOTFOUND     404        VA_E_BUSY      429 or 503
 *   VA_E_STATE        any other non-101 status
 *   VA_E_IO / VA_E_TIMEOUT / VA_E_PARSE (not an HTTP answer) /
 *   VA_E_UNSUPPORTED (wss://) / VA_E_INVAL (bad URL)
 */
int va_sim_ws_connect(const char *ws_url, const char *signature, int timeout_ms,
		      struct va_sim_ws **out, int *http_status);
/* Same, with extra request header lines ("Name: value\r\n…", or NULL) such as
 * X-Forwarded-Host, and a given maximum message size (0 = the default). */
int va_sim_ws_connect_ex(const char *ws_url, const char *signature, const char *extra_headers,
			 size_t max_message, int timeout_ms, struct va_sim_ws **out,
			 int *http_status);

/* Sends one masked TEXT frame. VA_E_IO if the socket is gone, VA_E_STATE
 * after a close was sent. */
int va_sim_ws_send_text(struct va_sim_ws *ws, const char *data, size_t len);
/* Sends a masked data message of the given opcode (TEXT or BINARY) cut into
 * frames of fragment_size bytes (0 = one frame). */
int va_sim_ws_send_message(struct va_sim_ws *ws, enum va_ws_opcode opcode, const void *data,
			   size_t len, size_t fragment_size);
/* Sends a masked PING with payload (<= 125 bytes); the PONG comes back
 * through va_sim_ws_recv. */
int va_sim_ws_send_ping(struct va_sim_ws *ws, const void *data, size_t len);
/* Writes bytes to the socket as they are: for malformed-frame tests. */
int va_sim_ws_send_raw(struct va_sim_ws *ws, const void *bytes, size_t len);
/* Sends a close frame with code (0 = no status code). Further sends are
 * VA_E_STATE; va_sim_ws_recv still returns what the server sends, normally
 * its CLOSE answer and then VA_E_CLOSED. */
int va_sim_ws_send_close(struct va_sim_ws *ws, int code);

/*
 * Waits up to timeout_ms (0 = only what is already there, no waiting) for
 * the next TEXT, BINARY, CLOSE or PONG frame. PINGs are answered with a
 * PONG and skipped; a CLOSE is answered with a CLOSE carrying the same code
 * (unless one was sent already) and returned. Returns VA_OK with *out filled
 * (release with va_sim_frame_release), VA_E_TIMEOUT, VA_E_CLOSED when the
 * server closed the TCP connection (after all buffered frames were
 * returned), VA_E_PARSE / VA_E_TOOBIG for a protocol violation by the server
 * (the connection is unusable afterwards), VA_E_IO on a socket error.
 */
int va_sim_ws_recv(struct va_sim_ws *ws, int timeout_ms, struct va_sim_frame *out);
void va_sim_frame_release(struct va_sim_frame *f);

/* The socket, for poll() alongside other descriptors. Frames may already be
 * buffered: call va_sim_ws_recv(ws, 0, …) until VA_E_TIMEOUT before polling. */
int va_sim_ws_fd(const struct va_sim_ws *ws);

/* Closes the socket without a close handshake (as a dropped call would) and
 * frees ws. NULL is fine. */
void va_sim_ws_free(struct va_sim_ws *ws);

#endif
