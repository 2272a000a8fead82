/* SPDX-License-Identifier: MIT */
/*
 * client.h - a WebSocket client to the OpenAI Realtime API (or any server
 * speaking it), on the server's libwebsockets context and so on its one
 * event loop: no thread per call, nothing blocks. One client per call.
 * Messages out are queued (bounded) and written one per writable callback;
 * messages in are reassembled (bounded by VA_RT_MAX_EVENT) and handed over
 * whole. The API key goes only into the handshake's Authorization header and
 * is never logged.
 */
#ifndef VA_REALTIME_CLIENT_H
#define VA_REALTIME_CLIENT_H

#include <stddef.h>

struct lws;
struct lws_context;
struct va_rt_client;

struct va_rt_client_cbs {
	/* The handshake succeeded; queued messages are being written. */
	void (*on_open)(void *arg);
	/* One whole text message. */
	void (*on_message)(const char *data, size_t len, void *arg);
	/* The connection failed or closed (once, and nothing after). why is a
	 * short reason for the log. The client must still be freed with
	 * va_rt_client_close. */
	void (*on_closed)(const char *why, void *arg);
};

/* Outbound messages queued before the peer reads them; past it, send fails. */
#define VA_RT_CLIENT_MAX_QUEUE 4096

/* Connects to url (ws:// or wss://host[:port]/path?query). VA_E_INVAL for a
 * bad URL; VA_E_IO when lws refuses at once. Callbacks come later. */
int va_rt_client_open(struct lws_context *ctx, const char *url, const char *api_key,
		      const struct va_rt_client_cbs *cbs, void *arg, struct va_rt_client **out);
/* Queues one text message (copied); may be called before on_open. VA_E_FULL
 * past VA_RT_CLIENT_MAX_QUEUE, VA_E_CLOSED once closed. */
int va_rt_client_send(struct va_rt_client *c, const char *data, size_t len);
/* Closes (if open) and frees; no callback after this. Accepts NULL. */
void va_rt_client_close(struct va_rt_client *c);

/* The libwebsockets protocol callback for these clients (http/server.c lists
 * it among the context's protocols under VA_RT_CLIENT_PROTOCOL). */
#define VA_RT_CLIENT_PROTOCOL "voiceai-realtime"
int va_rt_client_lws_callback(struct lws *wsi, int reason, void *user, void *in, size_t len);

#endif
