/* SPDX-License-Identifier: MIT */
/*
 * session.h - one Twilio Media Streams WebSocket (the raw call audio) and its
 * bridge to a speech-to-speech model (OpenAI Realtime):
 *
 *   caller audio -> our detector (src/audio) -> Realtime  -> reply audio -> caller
 *
 * Our detector decides when the caller has finished (commit + response) and
 * when they barge in (clear Twilio's buffer, cancel the response, truncate
 * the model's item to what the caller heard, drop late audio), unless the
 * practice chose the model's own turn detection. Marks are the playback
 * clock. The model acts on the schedule only through the scheduling tools.
 * Turns, interruptions and timing are recorded on the call like a relay call.
 *
 * If the model cannot be reached, errors or goes silent, the stream is
 * closed and the <Connect action> callback continues the same call on
 * ConversationRelay with the embedded receptionist, which has been taking in
 * what the caller said all along.
 *
 * Called only from the libwebsockets callback (http/server.c).
 */
#ifndef VA_MEDIA_SESSION_H
#define VA_MEDIA_SESSION_H

#include <stdbool.h>
#include <stddef.h>

struct va_server;
struct va_tenant;
struct va_media_conn;
struct lws;

/* LWS_CALLBACK_ESTABLISHED on /api/v1/voice/{tenant}/media. NULL if refused. */
struct va_media_conn *va_media_conn_new(struct va_server *srv, struct lws *wsi,
					const char *tenant_id);
/* LWS_CALLBACK_RECEIVE. Returns -1 when the connection must close. */
int va_media_on_receive(struct va_media_conn *mc, const void *in, size_t len);
/* LWS_CALLBACK_SERVER_WRITEABLE. Returns -1 when the connection must close. */
int va_media_on_writeable(struct va_media_conn *mc);
/* LWS_CALLBACK_CLOSED: frees mc and detaches its call. Accepts NULL. */
void va_media_on_closed(struct va_media_conn *mc);

/* Can this practice's calls use the raw audio now (transport "audio" and a
 * Realtime key available)? Otherwise they are served by ConversationRelay. */
bool va_media_available(const struct va_server *srv, const struct va_tenant *t);

#endif
