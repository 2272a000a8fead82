/* SPDX-License-Identifier: MIT */
/*
 * transport.c - ConversationRelay over libwebsockets.
 *
 * Inbound: fragments are reassembled up to max_frame (close 1009 past it),
 * each complete text message is parsed by relay/msg.c and handed to the call
 * as a typed event. A malformed or unknown message is logged and skipped; the
 * session carries on, as Twilio's own side does.
 *
 * Outbound: the call queues serialized messages here; the queue is bounded by
 * max_queue frames. A client that stops reading fills it and is dropped, so
 * no one else waits and memory stays bounded. Frames are written one per
 * writable callback, as lws requires.
 */
#include "relay/transport.h"
#include "app/server.h"
#include "call/call.h"
#include "core/alloc.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "http/http.h"
#include "relay/msg.h"
#include "twilio/signature.h"

#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>

/* A queued outbound message. Reply tokens stay raw until written, so tokens
 * that pile up while the socket is busy go out as one text message (fewer
 * frames, same words, nothing delayed); everything else is serialized JSON. */
struct frame {
	struct frame *next;
	bool token; /* data is a raw reply token */
	bool last;  /* token: closes the talk cycle */
	size_t len;
	enum va_call_mark mark;
	uint64_t t0_ns;
	struct va_buf tok;    /* token: the text, grown as tokens join */
	unsigned char data[]; /* JSON: LWS_PRE headroom first */
};

struct va_relay_conn {
	struct va_server *srv;
	struct lws *wsi;
	char tenant_id[64];
	struct va_call *call;
	struct va_buf rx;
	struct frame *head, *tail;
	size_t queued;
	bool closing; /* close once the queue is written */
	bool dropped; /* queue overflow: kill */
	unsigned bad_in_row;
};

static const char *log_id(const struct va_relay_conn *rc)
{
	return rc->call ? rc->call->call_sid : NULL;
}

/* ---- handshake -------------------------------------------------------- */

int va_relay_confirm_upgrade(struct va_server *srv, struct lws *wsi)
{
	struct va_http_req *r = va_xcalloc(1, sizeof(*r));
	const struct va_tenant *t;
	char base[512], url[2048];
	int status = 0;
	const char *why = NULL;

	r->srv = srv;
	va_http_req_fill(r, wsi, NULL);
	/* Media Streams handshakes are signed the same way (protocols.md §2.6). */
	if (r->route.route != VA_ROUTE_VOICE_STREAM && r->route.route != VA_ROUTE_VOICE_MEDIA) {
		status = 404;
		why = "no such WebSocket endpoint";
		goto out;
	}
	t = va_server_tenant(srv, r->route.tenant_id);
	if (!t) {
		status = 404;
		why = "unknown tenant";
		goto out;
	}
	va_http_public_base(r, true, base, sizeof(base));
	snprintf(url, sizeof(url), "%s%s%s%s", base, r->path, r->query[0] ? "?" : "", r->query);
	if (!r->signature[0] || !va_twilio_validate_ws(t->twilio_auth_token, url, r->signature)) {
		status = 403;
		why = r->signature[0] ? "signature mismatch" : "signature missing";
		goto out;
	}
	if (srv->draining) {
		status = 503;
		why = "server is shutting down";
		goto out;
	}
out:
	if (status) {
		char q[300];
		VA_WARN("relay", NULL, "handshake_refused", "status=%d tenant=%s reason=%s path=%s",
			status, r->route.tenant_id[0] ? r->route.tenant_id : "-",
			va_log_quote(q, sizeof(q), why), r->path);
		lws_return_http_status(wsi, (unsigned int)status, why);
	}
	free(r);
	return status ? 1 : 0;
}

/* ---- outbound --------------------------------------------------------- */

static int enqueue(struct va_relay_conn *rc, const void *data, size_t len, bool token, bool last,
		   enum va_call_mark mark, uint64_t t0_ns)
{
	struct frame *f;

	if (rc->dropped || rc->closing)
		return VA_E_CLOSED;
	/* A token joins the unwritten token before it (same reply: a reply's
	 * last token is never joined onto), so a fast agent costs one queue
	 * entry, not one per token. */
	if (token && rc->tail && rc->tail->token && !rc->tail->last &&
	    va_buf_append(&rc->tail->tok, data, len) == VA_OK) {
		f = rc->tail;
		f->last = last;
		if (mark) {
			if (!f->mark)
				f->t0_ns = t0_ns;
			f->mark = (enum va_call_mark)(f->mark | mark);
		}
		lws_callback_on_writable(rc->wsi);
		return VA_OK;
	}
	if (rc->queued >= (size_t)rc->srv->cfg.max_queue) {
		/* The peer stopped reading: drop it rather than buffer without end. */
		VA_WARN("relay", log_id(rc), "slow_client_dropped", "queued=%zu", rc->queued);
		rc->dropped = true;
		lws_set_timeout(rc->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
		return VA_E_FULL;
	}
	f = va_xmalloc(sizeof(*f) + (token ? 0 : LWS_PRE + len));
	f->next = NULL;
	f->token = token;
	f->last = last;
	f->len = len;
	f->mark = mark;
	f->t0_ns = t0_ns;
	va_buf_init(&f->tok, VA_RELAY_MAX_FRAME);
	if (token)
		va_buf_append(&f->tok, data, len);
	else if (len)
		memcpy(f->data + LWS_PRE, data, len);
	if (rc->tail)
		rc->tail->next = f;
	else
		rc->head = f;
	rc->tail = f;
	rc->queued++;
	lws_callback_on_writable(rc->wsi);
	return VA_OK;
}

static int enqueue_json(struct va_relay_conn *rc, const struct va_buf *b)
{
	return enqueue(rc, b->data, b->len, false, false, VA_MARK_NONE, 0);
}

static int sink_text(void *sink, const char *token, size_t len, bool last, enum va_call_mark mark,
		     uint64_t t0_ns)
{
	struct va_relay_conn *rc = sink;
	int err = VA_OK;

	/* A huge token goes out in pieces no bigger than one message. */
	while (err == VA_OK && len > (size_t)VA_RELAY_MAX_FRAME) {
		size_t n = VA_RELAY_MAX_FRAME;
		while (n > 1 && ((unsigned char)token[n] & 0xC0) == 0x80)
			n--; /* never cut a UTF-8 character in two */
		err = enqueue(rc, token, n, true, false, mark, t0_ns);
		token += n;
		len -= n;
		mark = VA_MARK_NONE;
	}
	return err == VA_OK ? enqueue(rc, token, len, true, last, mark, t0_ns) : err;
}

static int sink_end(void *sink, const char *handoff_json)
{
	struct va_buf b = VA_BUF_INIT(8192);
	int err = va_relay_write_end(&b, handoff_json);

	if (err == VA_OK)
		err = enqueue_json(sink, &b);
	va_buf_release(&b);
	return err;
}

static int sink_send_digits(void *sink, const char *digits)
{
	struct va_buf b = VA_BUF_INIT(1024);
	int err = va_relay_write_send_digits(&b, digits);

	if (err == VA_OK)
		err = enqueue_json(sink, &b);
	va_buf_release(&b);
	return err;
}

static void sink_close(void *sink)
{
	struct va_relay_conn *rc = sink;

	/* The call no longer uses this socket. */
	rc->call = NULL;
	rc->closing = true;
	lws_callback_on_writable(rc->wsi);
}

static const struct va_call_sink_ops sink_ops = {
    .text = sink_text,
    .end = sink_end,
    .send_digits = sink_send_digits,
    .close = sink_close,
};

static void record_marks(struct va_relay_conn *rc, enum va_call_mark mark, uint64_t t0_ns)
{
	uint64_t now;

	if (!mark)
		return;
	now = va_clock_mono_ns();
	if (mark & VA_MARK_FIRST)
		va_latency_add_us(&rc->srv->first_token, (now - t0_ns) / 1000);
	if (mark & VA_MARK_LAST)
		va_latency_add_us(&rc->srv->last_token, (now - t0_ns) / 1000);
}

static void pop(struct va_relay_conn *rc)
{
	struct frame *f = rc->head;

	rc->head = f->next;
	if (!rc->head)
		rc->tail = NULL;
	rc->queued--;
	va_buf_release(&f->tok);
	free(f);
}

/* Joins the queued tokens at the head (up to one that closes the reply)
 * into one text message and writes it. */
/* Writes the token entry at the head as one text message. */
static int write_tokens(struct va_relay_conn *rc)
{
	struct frame *f = rc->head;
	struct va_buf json = VA_BUF_INIT((size_t)VA_RELAY_MAX_FRAME * 8);
	unsigned char *out;
	int rc2 = -1;

	if (va_relay_write_text(&json, va_buf_cstr(&f->tok), f->tok.len, f->last, NULL) != VA_OK)
		goto out;
	out = va_xmalloc(LWS_PRE + json.len);
	memcpy(out + LWS_PRE, json.data, json.len);
	if (lws_write(rc->wsi, out + LWS_PRE, json.len, LWS_WRITE_TEXT) >= (int)json.len) {
		record_marks(rc, f->mark, f->t0_ns);
		rc2 = 0;
	}
	free(out);
	pop(rc);
out:
	va_buf_release(&json);
	return rc2;
}

int va_relay_on_writeable(struct va_relay_conn *rc)
{
	struct frame *f = rc->head;

	if (rc->dropped)
		return -1;
	if (!f) {
		if (rc->closing) {
			/* lws drops a socket whose writable callback returns -1
			 * without a Close frame, so write the frame here (opcode
			 * value 4 is lws's internal LWS_WRITE_CLOSE), then close. */
			unsigned char cl[LWS_PRE + 2];
			cl[LWS_PRE] = (unsigned char)(LWS_CLOSE_STATUS_NORMAL >> 8);
			cl[LWS_PRE + 1] = (unsigned char)(LWS_CLOSE_STATUS_NORMAL & 0xff);
			lws_write(rc->wsi, cl + LWS_PRE, 2, (enum lws_write_protocol)4);
			return -1;
		}
		return 0;
	}
	if (f->token) {
		if (write_tokens(rc) != 0)
			return -1;
	} else {
		if (lws_write(rc->wsi, f->data + LWS_PRE, f->len, LWS_WRITE_TEXT) < (int)f->len)
			return -1;
		pop(rc);
	}
	if (rc->head || rc->closing)
		lws_callback_on_writable(rc->wsi);
	return 0;
}

/* ---- inbound ---------------------------------------------------------- */

static void bad_message(struct va_relay_conn *rc, const char *event, const char *why)
{
	char q[300];

	rc->srv->bad_messages++;
	rc->bad_in_row++;
	VA_WARN("relay", log_id(rc), event, "tenant=%s reason=%s in_a_row=%u", rc->tenant_id,
		va_log_quote(q, sizeof(q), why), rc->bad_in_row);
}

static void refuse_setup(struct va_relay_conn *rc, const char *text)
{
	/* A polite goodbye through Twilio's own TTS, then end the session. */
	sink_text(rc, text, strlen(text), true, VA_MARK_NONE, 0);
	sink_end(rc, "{\"reason\":\"capacity\"}");
	rc->closing = true;
}

static void on_setup(struct va_relay_conn *rc, const struct va_relay_setup *s)
{
	int rc2;

	if (rc->call) {
		bad_message(rc, "duplicate_setup", "setup already received on this socket");
		return;
	}
	rc2 = va_call_setup(rc->srv, rc->tenant_id, s, &sink_ops, rc, &rc->call);
	if (rc2 == VA_OK)
		return;
	rc->call = NULL;
	if (rc2 == VA_E_BUSY) {
		rc->srv->refused_calls++;
		VA_WARN("relay", s->call_sid, "call_refused", "reason=capacity active=%zu",
			rc->srv->n_calls);
		refuse_setup(rc, "Sorry, all our lines are busy right now. Please call back in a "
				 "few minutes.");
		return;
	}
	VA_WARN("relay", s->call_sid, "setup_refused", "err=%s", va_err_name(rc2));
	lws_close_reason(rc->wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION,
			 (unsigned char *)"setup refused", 13);
	rc->dropped = true;
	lws_set_timeout(rc->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

static void handle_message(struct va_relay_conn *rc, const char *data, size_t len)
{
	struct va_relay_in m;
	char why[160];
	int err = va_relay_parse(data, len, &m, why, sizeof(why));

	if (err != VA_OK) {
		bad_message(rc, "malformed_message", why);
		return;
	}
	if (!rc->call && m.type != VA_RELAY_IN_SETUP && m.type != VA_RELAY_IN_INFO &&
	    m.type != VA_RELAY_IN_ERROR && m.type != VA_RELAY_IN_UNKNOWN) {
		bad_message(rc, "message_before_setup", m.type_name);
		va_relay_in_release(&m);
		return;
	}
	rc->bad_in_row = 0;
	switch (m.type) {
	case VA_RELAY_IN_SETUP:
		on_setup(rc, &m.u.setup);
		break;
	case VA_RELAY_IN_PROMPT:
		va_call_on_prompt(rc->call, m.u.prompt.text, m.u.prompt.last);
		break;
	case VA_RELAY_IN_INTERRUPT:
		va_call_on_interrupt(rc->call, m.u.interrupt.heard, m.u.interrupt.duration_ms);
		break;
	case VA_RELAY_IN_DTMF:
		va_call_on_dtmf(rc->call, m.u.dtmf.digit);
		break;
	case VA_RELAY_IN_ERROR:
		if (rc->call)
			va_call_on_twilio_error(rc->call, m.u.error.description);
		else
			bad_message(rc, "twilio_error_before_setup", m.u.error.description);
		break;
	case VA_RELAY_IN_INFO:
		VA_DEBUG("relay", log_id(rc), "info", "name=%s", m.u.info.name);
		break;
	default:
		VA_INFO("relay", log_id(rc), "unknown_message_type", "type=%s", m.type_name);
		break;
	}
	va_relay_in_release(&m);
}

int va_relay_on_receive(struct va_relay_conn *rc, const void *in, size_t len)
{
	if (rc->dropped)
		return -1;
	if (va_buf_append(&rc->rx, in, len) != VA_OK) {
		VA_WARN("relay", log_id(rc), "frame_too_large", "limit=%d", rc->srv->cfg.max_frame);
		lws_close_reason(rc->wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
				 (unsigned char *)"message too large", 17);
		return -1;
	}
	if (!lws_is_final_fragment(rc->wsi) || lws_remaining_packet_payload(rc->wsi))
		return 0;
	if (lws_frame_is_binary(rc->wsi))
		bad_message(rc, "binary_message", "ConversationRelay messages are JSON text");
	else
		handle_message(rc, va_buf_cstr(&rc->rx), rc->rx.len);
	/* Idle sockets hold no receive buffer. */
	va_buf_release(&rc->rx);
	return rc->dropped ? -1 : 0;
}

/* ---- lifecycle -------------------------------------------------------- */

struct va_relay_conn *va_relay_conn_new(struct va_server *srv, struct lws *wsi)
{
	struct va_relay_conn *rc = va_xcalloc(1, sizeof(*rc));
	struct va_route_match m;
	char path[512];

	rc->srv = srv;
	rc->wsi = wsi;
	va_buf_init(&rc->rx, (size_t)srv->cfg.max_frame);
	if (lws_hdr_copy(wsi, path, sizeof(path), WSI_TOKEN_GET_URI) > 0) {
		va_route_match(path, strlen(path), &m);
		va_strlcpy(rc->tenant_id, m.tenant_id, sizeof(rc->tenant_id));
	}
	if (!rc->tenant_id[0]) {
		free(rc);
		return NULL;
	}
	VA_DEBUG("relay", NULL, "session_open", "tenant=%s", rc->tenant_id);
	return rc;
}

void va_relay_on_closed(struct va_relay_conn *rc)
{
	struct frame *f, *n;

	if (!rc)
		return;
	if (rc->call)
		va_call_detach(rc->call);
	for (f = rc->head; f; f = n) {
		n = f->next;
		va_buf_release(&f->tok);
		free(f);
	}
	va_buf_release(&rc->rx);
	free(rc);
}
