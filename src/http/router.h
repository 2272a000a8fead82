/* SPDX-License-Identifier: MIT */
/*
 * router.h - maps a request path to a route and its path parameters. Pure:
 * no I/O; path segments are checked against the id alphabet so a handler
 * never sees "..", slashes or control characters in an id.
 */
#ifndef VA_HTTP_ROUTER_H
#define VA_HTTP_ROUTER_H

#include <stddef.h>

enum va_route {
	VA_ROUTE_NOT_FOUND = 0,
	VA_ROUTE_HEALTHZ,	/* /healthz */
	VA_ROUTE_VOICE,		/* /api/v1/voice/{tenant} */
	VA_ROUTE_VOICE_STREAM,	/* /api/v1/voice/{tenant}/stream  (WebSocket) */
	VA_ROUTE_VOICE_ACTION,	/* /api/v1/voice/{tenant}/action */
	VA_ROUTE_VOICE_GATHER,	/* /api/v1/voice/{tenant}/gather */
	VA_ROUTE_RELAY_STATUS,	/* /api/v1/relay/status */
	VA_ROUTE_CONVERSATION,	/* /api/v1/conversations/{session} */
	VA_ROUTE_TENANTS,	/* /api/v1/tenants */
	VA_ROUTE_TENANT,	/* /api/v1/tenants/{tenant} */
	VA_ROUTE_APPOINTMENTS,	/* /api/v1/tenants/{tenant}/appointments */
	VA_ROUTE_APPOINTMENT,	/* /api/v1/tenants/{tenant}/appointments/{item} */
	VA_ROUTE_CALENDAR,	/* /api/v1/tenants/{tenant}/calendar */
	VA_ROUTE_CALENDAR_ITEM, /* /api/v1/tenants/{tenant}/calendar/{item} (sync, feeds, id) */
	VA_ROUTE_CALENDAR_ICS,	/* /api/v1/tenants/{tenant}/calendar.ics */
	VA_ROUTE_VOICE_MEDIA,	/* /api/v1/voice/{tenant}/media  (WebSocket, Media Streams) */
};

#define VA_ROUTE_ID_MAX 64

struct va_route_match {
	enum va_route route;
	char tenant_id[VA_ROUTE_ID_MAX];
	char session_id[VA_ROUTE_ID_MAX];
	char item_id[VA_ROUTE_ID_MAX]; /* appointment id, calendar item */
};

/* Matches path (no query string; a single trailing slash is tolerated).
 * Always fills m; m->route is VA_ROUTE_NOT_FOUND when nothing matches. */
void va_route_match(const char *path, size_t len, struct va_route_match *m);
const char *va_route_name(enum va_route r);

#endif
