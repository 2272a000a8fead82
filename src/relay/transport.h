/* SPDX-License-Identifier: MIT */
/*
 * transport.h - the ConversationRelay WebSocket: handshake check, inbound
 * frames reassembled (bounded by max_frame; 1009 past it) and parsed, the
 * bounded outbound queue written one frame per writable callback.
 *
 * Called only from the libwebsockets callback (http/server.c).
 */
#ifndef VA_RELAY_TRANSPORT_H
#define VA_RELAY_TRANSPORT_H

#include <stddef.h>

struct va_server;
struct va_relay_conn;
struct lws;

/* LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: checks path, tenant and signature.
 * Returns 0 to accept; otherwise it has already answered (403/404/503) and
 * returns what the lws callback must return. */
int va_relay_confirm_upgrade(struct va_server *srv, struct lws *wsi);

/* LWS_CALLBACK_ESTABLISHED: a new session socket. NULL if refused. */
struct va_relay_conn *va_relay_conn_new(struct va_server *srv, struct lws *wsi);
/* LWS_CALLBACK_RECEIVE. Returns -1 when the connection must close. */
int va_relay_on_receive(struct va_relay_conn *rc, const void *in, size_t len);
/* LWS_CALLBACK_SERVER_WRITEABLE. Returns -1 when the connection must close. */
int va_relay_on_writeable(struct va_relay_conn *rc);
/* LWS_CALLBACK_CLOSED: frees rc and detaches its call. Accepts NULL. */
void va_relay_on_closed(struct va_relay_conn *rc);

#endif
