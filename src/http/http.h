/* SPDX-License-Identifier: MIT */
/*
 * http.h - one HTTP request as the route handlers see it, and how they answer.
 *
 * The libwebsockets glue (http/server.c) fills a struct va_http_req with the
 * method, path, the headers we use and the body (bounded by max_body; 413
 * past it), then calls the route's handler. A handler answers at once with
 * va_http_respond(), or later (after a store round trip) by marking the
 * request deferred and calling va_http_respond() from its completion; if the
 * client went away meanwhile, the response is dropped and the request freed.
 */
#ifndef VA_HTTP_HTTP_H
#define VA_HTTP_HTTP_H

#include "core/buf.h"
#include "http/router.h"

#include <stdbool.h>
#include <stddef.h>

struct va_server;
struct va_tenant;
struct lws;

enum va_http_method {
	VA_HTTP_GET = 0,
	VA_HTTP_POST,
	VA_HTTP_PUT,
	VA_HTTP_PATCH,
	VA_HTTP_DELETE,
	VA_HTTP_OTHER,
};

struct va_http_req {
	struct va_server *srv;
	struct lws *wsi; /* NULL once the connection is gone */
	enum va_http_method method;
	struct va_route_match route;
	char path[512];
	char query[1024];	  /* raw "a=1&b=2" (lws hands it over in fragments) */
	char host[256];		  /* Host header */
	char forwarded_proto[16]; /* X-Forwarded-Proto, first value */
	char forwarded_host[256]; /* X-Forwarded-Host, first value */
	char signature[128];	  /* X-Twilio-Signature */
	char authorization[512];  /* Authorization */
	char content_type[128];
	char if_none_match[128]; /* If-None-Match (feed polling) */
	struct va_buf body;
	bool body_too_big;

	/* response */
	int status;
	const char *resp_type;
	char resp_extra[256]; /* extra header lines "Name: value\r\n" */
	struct va_buf resp;
	bool responded;
	bool deferred;
	bool headers_sent;
	size_t resp_sent;
	bool free_when_done; /* connection closed while deferred */
};

/* Answers with status and a body (copied). */
void va_http_respond(struct va_http_req *r, int status, const char *content_type, const char *body,
		     size_t len);
/* Answers {"error":msg} with status. */
void va_http_error(struct va_http_req *r, int status, const char *msg);
/* Called by a deferred handler's completion when it will not respond (never
 * needed after va_http_respond). */
void va_http_req_release_deferred(struct va_http_req *r);

/* The public base URL for this request: PUBLIC_URL, or built from
 * X-Forwarded-Proto/Host or Host. scheme_ws selects ws/wss instead of
 * http/https. No trailing slash. */
void va_http_public_base(const struct va_http_req *r, bool scheme_ws, char *dst, size_t dstsz);

/* May this request act for practice t (NULL: unknown)? Its API key or the
 * admin token. Otherwise answers 401 (no token) or 404 (a wrong token gets
 * the same answer as an unknown practice) and returns false. */
bool va_http_tenant_allowed(struct va_http_req *r, const struct va_tenant *t);

/* The bearer token of the Authorization header, or "" (borrowed). */
const char *va_http_bearer(const struct va_http_req *r);
/* Value of a query parameter (decoded), or NULL if absent. */
int va_http_query_get(const struct va_http_req *r, const char *name, char *dst, size_t dstsz);

/* Route handlers (http/routes_*.c). */
void va_routes_voice(struct va_http_req *r);
void va_routes_voice_action(struct va_http_req *r);
void va_routes_voice_gather(struct va_http_req *r);
void va_routes_status(struct va_http_req *r);
void va_routes_healthz(struct va_http_req *r);
void va_routes_conversation(struct va_http_req *r);
void va_routes_tenants(struct va_http_req *r);
void va_routes_tenant(struct va_http_req *r);
void va_routes_appointments(struct va_http_req *r);
void va_routes_calendar(struct va_http_req *r);
void va_routes_calendar_feed(struct va_http_req *r);

/* Fills r's path, query, headers and route from wsi's request (both for
 * plain requests and WebSocket handshakes). r->srv must be set. */
void va_http_req_fill(struct va_http_req *r, struct lws *wsi, const char *uri);

/* Starts libwebsockets on srv->loop listening on srv->cfg.port (bound port
 * stored in srv->port). */
int va_http_server_start(struct va_server *srv);
/* Starts destroying the lws context; with a foreign loop this completes as
 * the loop runs on (srv->lws becomes NULL). Call again after the loop ends
 * to finish a destroy that is still pending. */
void va_http_server_stop(struct va_server *srv);

#endif
