/* SPDX-License-Identifier: MIT */
/*
 * client.c - the Realtime WebSocket client (client.h) on libwebsockets'
 * client mode. The struct outlives its connection when the user has not
 * closed it yet (wsi NULL), and the connection outlives the struct when the
 * user closes first (the wsi's opaque pointer is cleared, lws then closes).
 */
#include "realtime/client.h"

#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "realtime/events.h"

#include <libwebsockets.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct msg {
	struct msg *next;
	size_t len;
	unsigned char data[]; /* LWS_PRE bytes of headroom, then the text */
};

struct va_rt_client {
	struct lws *wsi;
	struct va_rt_client_cbs cbs;
	void *arg;
	char auth[300];
	struct msg *head, *tail;
	size_t queued;
	struct va_buf in;
	bool open;
	bool closed;	  /* on_closed delivered (or the user closed) */
	int in_cb;	  /* inside one of the user's callbacks */
	bool user_closed; /* va_rt_client_close called from a callback: free after it */
};

static void queue_free(struct va_rt_client *c)
{
	struct msg *m, *next;

	for (m = c->head; m; m = next) {
		next = m->next;
		free(m);
	}
	c->head = c->tail = NULL;
	c->queued = 0;
}

static void client_free(struct va_rt_client *c)
{
	queue_free(c);
	va_buf_release(&c->in);
	explicit_bzero(c->auth, sizeof(c->auth));
	free(c);
}

static bool cb_enter(struct va_rt_client *c);
static bool cb_leave(struct va_rt_client *c);

static void report_closed(struct va_rt_client *c, const char *why)
{
	if (c->closed)
		return;
	c->closed = true;
	c->wsi = NULL;
	cb_enter(c);
	if (c->cbs.on_closed)
		c->cbs.on_closed(why, c->arg);
	cb_leave(c);
}

int va_rt_client_open(struct lws_context *ctx, const char *url, const char *api_key,
		      const struct va_rt_client_cbs *cbs, void *arg, struct va_rt_client **out)
{
	struct lws_client_connect_info ci;
	char tmp[600], host[256], path[512];
	const char *proto = NULL, *addr = NULL, *p = NULL;
	struct va_rt_client *c;
	int port = 0, tls;

	*out = NULL;
	if (!ctx || !url || !cbs || strlen(url) >= sizeof(tmp))
		return VA_E_INVAL;
	snprintf(tmp, sizeof(tmp), "%s", url);
	if (lws_parse_uri(tmp, &proto, &addr, &port, &p) || !proto || !addr || !*addr)
		return VA_E_INVAL;
	if (strcmp(proto, "wss") == 0 || strcmp(proto, "https") == 0)
		tls = 1;
	else if (strcmp(proto, "ws") == 0 || strcmp(proto, "http") == 0)
		tls = 0;
	else
		return VA_E_INVAL;
	snprintf(host, sizeof(host), "%s", addr);
	/* lws_parse_uri drops the leading '/'. */
	snprintf(path, sizeof(path), "/%s", p ? p : "");

	c = va_xcalloc(1, sizeof(*c));
	c->cbs = *cbs;
	c->arg = arg;
	va_buf_init(&c->in, VA_RT_MAX_EVENT);
	if (api_key && api_key[0] &&
	    snprintf(c->auth, sizeof(c->auth), "Bearer %s", api_key) >= (int)sizeof(c->auth)) {
		client_free(c);
		return VA_E_INVAL;
	}
	memset(&ci, 0, sizeof(ci));
	ci.context = ctx;
	ci.address = host;
	ci.port = port;
	ci.path = path;
	ci.host = host;
	ci.origin = host;
	ci.ssl_connection = tls ? LCCSCF_USE_SSL : 0;
	ci.protocol = NULL; /* no Sec-WebSocket-Protocol: the API takes none */
	ci.local_protocol_name = VA_RT_CLIENT_PROTOCOL;
	ci.opaque_user_data = c;
	ci.pwsi = &c->wsi;
	if (!lws_client_connect_via_info(&ci)) {
		/* A failure reported through the callback has already set
		 * c->wsi to NULL; either way nothing is pending. */
		client_free(c);
		return VA_E_IO;
	}
	*out = c;
	return VA_OK;
}

int va_rt_client_send(struct va_rt_client *c, const char *data, size_t len)
{
	struct msg *m;

	if (!c || !data)
		return VA_E_INVAL;
	if (c->closed)
		return VA_E_CLOSED;
	if (c->queued >= VA_RT_CLIENT_MAX_QUEUE)
		return VA_E_FULL;
	m = va_xmalloc(sizeof(*m) + LWS_PRE + len);
	m->next = NULL;
	m->len = len;
	memcpy(m->data + LWS_PRE, data, len);
	if (c->tail)
		c->tail->next = m;
	else
		c->head = m;
	c->tail = m;
	c->queued++;
	if (c->open && c->wsi)
		lws_callback_on_writable(c->wsi);
	return VA_OK;
}

void va_rt_client_close(struct va_rt_client *c)
{
	if (!c || c->user_closed)
		return;
	if (c->wsi) {
		/* lws closes it on the next writable; it must no longer find us. */
		lws_set_opaque_user_data(c->wsi, NULL);
		lws_set_timeout(c->wsi, PENDING_TIMEOUT_KILLED_BY_PARENT, LWS_TO_KILL_ASYNC);
		c->wsi = NULL;
	}
	c->closed = true;
	if (c->in_cb) {
		c->user_closed = true; /* the callback that called us frees it */
		return;
	}
	client_free(c);
}

/* Runs around each user callback: true when the user closed the client
 * meanwhile (it is then freed here and must not be touched). */
static bool cb_enter(struct va_rt_client *c)
{
	c->in_cb++;
	return false;
}

static bool cb_leave(struct va_rt_client *c)
{
	if (--c->in_cb == 0 && c->user_closed) {
		client_free(c);
		return true;
	}
	return false;
}

static int on_writeable(struct va_rt_client *c, struct lws *wsi)
{
	struct msg *m;
	int n = 0;

	/* What is queued, while the socket takes it: audio that waits a turn
	 * of the loop reaches the model late. */
	while ((m = c->head) && n++ < 64) {
		if (n > 1 && lws_send_pipe_choked(wsi))
			break;
		if (lws_write(wsi, m->data + LWS_PRE, m->len, LWS_WRITE_TEXT) < (int)m->len)
			return -1;
		c->head = m->next;
		if (!c->head)
			c->tail = NULL;
		c->queued--;
		free(m);
	}
	if (c->head)
		lws_callback_on_writable(wsi);
	return 0;
}

static int on_receive(struct va_rt_client *c, struct lws *wsi, const void *in, size_t len)
{
	if (va_buf_append(&c->in, in, len) != VA_OK) {
		VA_WARN("realtime", NULL, "event_too_large", "limit=%u", VA_RT_MAX_EVENT);
		return -1;
	}
	if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi))
		return 0;
	cb_enter(c);
	if (c->cbs.on_message)
		c->cbs.on_message(va_buf_cstr(&c->in), c->in.len, c->arg);
	if (cb_leave(c))
		return -1; /* closed by the user: lws closes the socket */
	/* A rare big event (the session) must not keep its buffer for the
	 * call's life. */
	if (c->in.cap > 16384) {
		va_buf_release(&c->in);
		va_buf_init(&c->in, VA_RT_MAX_EVENT);
	} else {
		va_buf_reset(&c->in);
	}
	return 0;
}

int va_rt_client_lws_callback(struct lws *wsi, int reason, void *user, void *in, size_t len)
{
	struct va_rt_client *c = wsi ? lws_get_opaque_user_data(wsi) : NULL;
	char why[160];

	switch (reason) {
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
		unsigned char **p = in, *end = *p + len;

		if (c && c->auth[0] &&
		    lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_AUTHORIZATION,
						 (const unsigned char *)c->auth,
						 (int)strlen(c->auth), p, end))
			return -1;
		return 0;
	}
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		if (!c)
			return -1;
		c->open = true;
		cb_enter(c);
		if (c->cbs.on_open)
			c->cbs.on_open(c->arg);
		if (cb_leave(c))
			return -1;
		if (c->head)
			lws_callback_on_writable(wsi);
		return 0;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (!c)
			return -1;
		return on_receive(c, wsi, in, len);
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		if (!c)
			return -1;
		return on_writeable(c, wsi);
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		if (c) {
			snprintf(why, sizeof(why), "connect failed: %.*s",
				 in && len ? (int)(len < 120 ? len : 120) : 9,
				 in && len ? (const char *)in : "no answer");
			lws_set_opaque_user_data(wsi, NULL);
			report_closed(c, why);
		}
		return 0;
	case LWS_CALLBACK_CLIENT_CLOSED:
		if (c) {
			lws_set_opaque_user_data(wsi, NULL);
			report_closed(c, "closed");
		}
		return 0;
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		return 0;
	default:
		break;
	}
	return 0;
}
