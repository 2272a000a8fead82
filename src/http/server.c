/* SPDX-License-Identifier: MIT */
/*
 * server.c - libwebsockets glue: one protocol on a foreign libuv loop serves
 * both HTTP (webhooks, API) and the ConversationRelay WebSocket. The switch
 * on the callback reason stays thin: each case calls one named function.
 *
 * HTTP requests are gathered into struct va_http_req (headers we use, body
 * bounded by max_body), dispatched by route, and answered through
 * va_http_respond(): headers on one writable callback, the body on the next
 * ones, as lws requires (one write per WRITEABLE).
 */
#include "http/http.h"
#include "app/server.h"
#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"
#include "http/form.h"
#include "media/session.h"
#include "realtime/client.h"
#include "relay/transport.h"

#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>

#define BODY_CHUNK 16384

struct pss {
	struct va_http_req *req;
	struct va_relay_conn *relay;
	struct va_media_conn *media;
};

/* ---- request helpers -------------------------------------------------- */

static void copy_hdr(struct lws *wsi, enum lws_token_indexes h, char *dst, size_t dstsz)
{
	dst[0] = '\0';
	if (lws_hdr_total_length(wsi, h) <= 0 || lws_hdr_total_length(wsi, h) >= (int)dstsz)
		return;
	if (lws_hdr_copy(wsi, dst, (int)dstsz, h) < 0)
		dst[0] = '\0';
}

static void copy_custom(struct lws *wsi, const char *name, char *dst, size_t dstsz)
{
	int n = (int)strlen(name);
	int l = lws_hdr_custom_length(wsi, name, n);

	dst[0] = '\0';
	if (l <= 0 || l >= (int)dstsz)
		return;
	if (lws_hdr_custom_copy(wsi, dst, (int)dstsz, name, n) < 0)
		dst[0] = '\0';
}

static void first_value(char *s)
{
	char *comma = strchr(s, ',');
	if (comma)
		*comma = '\0';
	while (*s == ' ')
		memmove(s, s + 1, strlen(s));
	for (size_t n = strlen(s); n && s[n - 1] == ' '; n--)
		s[n - 1] = '\0';
}

static void copy_query(struct lws *wsi, char *dst, size_t dstsz)
{
	char frag[512];
	size_t o = 0;

	dst[0] = '\0';
	for (int i = 0; i < 32; i++) {
		int n = lws_hdr_copy_fragment(wsi, frag, sizeof(frag), WSI_TOKEN_HTTP_URI_ARGS, i);
		if (n <= 0)
			break;
		if (o + (size_t)n + 2 >= dstsz)
			break;
		if (o)
			dst[o++] = '&';
		memcpy(dst + o, frag, (size_t)n);
		o += (size_t)n;
		dst[o] = '\0';
	}
}

static enum va_http_method method_of(int m)
{
	switch (m) {
	case LWSHUMETH_GET:
		return VA_HTTP_GET;
	case LWSHUMETH_POST:
		return VA_HTTP_POST;
	case LWSHUMETH_PUT:
		return VA_HTTP_PUT;
	case LWSHUMETH_PATCH:
		return VA_HTTP_PATCH;
	case LWSHUMETH_DELETE:
		return VA_HTTP_DELETE;
	}
	return VA_HTTP_OTHER;
}

static void req_free(struct va_http_req *r)
{
	if (!r)
		return;
	va_buf_release(&r->body);
	va_buf_release(&r->resp);
	free(r);
}

void va_http_req_release_deferred(struct va_http_req *r)
{
	if (r->free_when_done)
		req_free(r);
}

void va_http_respond(struct va_http_req *r, int status, const char *content_type, const char *body,
		     size_t len)
{
	if (r->responded)
		return;
	r->responded = true;
	if (r->free_when_done || !r->wsi) {
		/* The client left while we were working on its answer. */
		req_free(r);
		return;
	}
	r->status = status;
	r->resp_type = content_type;
	va_buf_reset(&r->resp);
	if (len && va_buf_append(&r->resp, body, len) != VA_OK) {
		r->status = 500;
		r->resp_type = "application/json";
		va_buf_reset(&r->resp);
		va_buf_append_str(&r->resp, "{\"error\":\"response too large\"}");
	}
	lws_callback_on_writable(r->wsi);
}

void va_http_error(struct va_http_req *r, int status, const char *msg)
{
	struct va_buf b = VA_BUF_INIT(1024);
	char q[512];

	/* Our messages are plain ASCII; quoting keeps them valid JSON anyway. */
	va_buf_appendf(&b, "{\"error\":%s}", va_log_quote(q, sizeof(q), msg));
	va_http_respond(r, status, "application/json", b.data, b.len);
	va_buf_release(&b);
}

void va_http_public_base(const struct va_http_req *r, bool scheme_ws, char *dst, size_t dstsz)
{
	const char *pub = r->srv->cfg.public_url;
	const char *proto, *host;
	bool tls;

	if (pub[0]) {
		const char *rest = strstr(pub, "://");
		tls = strncasecmp(pub, "https", 5) == 0 || strncasecmp(pub, "wss", 3) == 0;
		rest = rest ? rest + 3 : pub;
		snprintf(dst, dstsz, "%s://%s",
			 scheme_ws ? (tls ? "wss" : "ws") : (tls ? "https" : "http"), rest);
	} else {
		proto = r->forwarded_proto[0] ? r->forwarded_proto : "http";
		host = r->forwarded_host[0] ? r->forwarded_host : r->host;
		tls = strcasecmp(proto, "https") == 0 || strcasecmp(proto, "wss") == 0;
		snprintf(dst, dstsz, "%s://%s",
			 scheme_ws ? (tls ? "wss" : "ws") : (tls ? "https" : "http"),
			 host[0] ? host : "localhost");
	}
	for (size_t n = strlen(dst); n && dst[n - 1] == '/'; n--)
		dst[n - 1] = '\0';
}

const char *va_http_bearer(const struct va_http_req *r)
{
	const char *a = r->authorization;

	if (strncasecmp(a, "Bearer ", 7) != 0)
		return "";
	a += 7;
	while (*a == ' ')
		a++;
	return a;
}

int va_http_query_get(const struct va_http_req *r, const char *name, char *dst, size_t dstsz)
{
	struct va_form f;
	const char *v;
	int rc;

	if (va_form_parse(&f, r->query, strlen(r->query)) != VA_OK) {
		va_form_release(&f);
		return VA_E_PARSE;
	}
	v = va_form_get(&f, name);
	rc = v ? va_strlcpy(dst, v, dstsz) : VA_E_NOTFOUND;
	va_form_release(&f);
	return rc;
}

/* ---- dispatch --------------------------------------------------------- */

static void dispatch(struct va_http_req *r)
{
	char q[600];

	VA_DEBUG("http", NULL, "request", "route=%s path=%s", va_route_name(r->route.route),
		 va_log_quote(q, sizeof(q), r->path));
	if (r->body_too_big) {
		VA_WARN("http", NULL, "body_too_large", "path=%s limit=%d",
			va_log_quote(q, sizeof(q), r->path), r->srv->cfg.max_body);
		va_http_error(r, 413, "request body too large");
		return;
	}
	switch (r->route.route) {
	case VA_ROUTE_HEALTHZ:
		va_routes_healthz(r);
		break;
	case VA_ROUTE_VOICE:
		va_routes_voice(r);
		break;
	case VA_ROUTE_VOICE_ACTION:
		va_routes_voice_action(r);
		break;
	case VA_ROUTE_VOICE_GATHER:
		va_routes_voice_gather(r);
		break;
	case VA_ROUTE_VOICE_STREAM:
		va_http_error(r, 426, "this endpoint is a WebSocket (ConversationRelay)");
		break;
	case VA_ROUTE_VOICE_MEDIA:
		va_http_error(r, 426, "this endpoint is a WebSocket (Media Streams)");
		break;
	case VA_ROUTE_RELAY_STATUS:
		va_routes_status(r);
		break;
	case VA_ROUTE_CONVERSATION:
		va_routes_conversation(r);
		break;
	case VA_ROUTE_TENANTS:
		va_routes_tenants(r);
		break;
	case VA_ROUTE_TENANT:
		va_routes_tenant(r);
		break;
	case VA_ROUTE_APPOINTMENTS:
	case VA_ROUTE_APPOINTMENT:
		va_routes_appointments(r);
		break;
	case VA_ROUTE_CALENDAR:
	case VA_ROUTE_CALENDAR_ITEM:
		va_routes_calendar(r);
		break;
	case VA_ROUTE_CALENDAR_ICS:
		va_routes_calendar_feed(r);
		break;
	default:
		va_http_error(r, 404, "not found");
	}
}

static int on_http(struct va_server *srv, struct lws *wsi, struct pss *pss, const char *uri)
{
	struct va_http_req *r;
	char clen[32];
	long expect = 0;

	req_free(pss->req);
	r = va_xcalloc(1, sizeof(*r));
	pss->req = r;
	r->srv = srv;
	r->wsi = wsi;
	va_buf_init(&r->body, (size_t)srv->cfg.max_body);
	va_buf_init(&r->resp, 16u << 20);
	va_http_req_fill(r, wsi, uri);

	copy_hdr(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH, clen, sizeof(clen));
	if (clen[0])
		expect = strtol(clen, NULL, 10);
	if (expect > srv->cfg.max_body) {
		r->body_too_big = true;
		dispatch(r);
		return 0;
	}
	if (!clen[0] &&
	    (r->method == VA_HTTP_POST || r->method == VA_HTTP_PUT || r->method == VA_HTTP_PATCH) &&
	    lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0) {
		/* Twilio and our API clients send Content-Length; a chunked body
		 * is refused clearly rather than read as empty. */
		r->body_too_big = true;
		va_http_error(r, 411, "Content-Length required");
		return 0;
	}
	if (expect <= 0 || r->method == VA_HTTP_GET)
		dispatch(r);
	return 0;
}

void va_http_req_fill(struct va_http_req *r, struct lws *wsi, const char *uri)
{
	char *muri = NULL;
	int mlen = 0, m;

	m = lws_http_get_uri_and_method(wsi, &muri, &mlen);
	r->method = method_of(m);
	if (uri)
		va_strlcpy(r->path, uri, sizeof(r->path));
	else if (muri && mlen > 0 && (size_t)mlen < sizeof(r->path)) {
		memcpy(r->path, muri, (size_t)mlen);
		r->path[mlen] = '\0';
	} else
		va_strlcpy(r->path, "/", sizeof(r->path));
	copy_query(wsi, r->query, sizeof(r->query));
	copy_hdr(wsi, WSI_TOKEN_HOST, r->host, sizeof(r->host));
	copy_hdr(wsi, WSI_TOKEN_HTTP_AUTHORIZATION, r->authorization, sizeof(r->authorization));
	copy_hdr(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE, r->content_type, sizeof(r->content_type));
	copy_hdr(wsi, WSI_TOKEN_HTTP_IF_NONE_MATCH, r->if_none_match, sizeof(r->if_none_match));
	copy_custom(wsi, "x-twilio-signature:", r->signature, sizeof(r->signature));
	copy_custom(wsi, "x-forwarded-proto:", r->forwarded_proto, sizeof(r->forwarded_proto));
	copy_custom(wsi, "x-forwarded-host:", r->forwarded_host, sizeof(r->forwarded_host));
	first_value(r->forwarded_proto);
	first_value(r->forwarded_host);
	va_route_match(r->path, strlen(r->path), &r->route);
}

static int on_http_body(struct va_http_req *r, const void *in, size_t len)
{
	if (!r || r->responded)
		return 0;
	if (!r->body_too_big && va_buf_append(&r->body, in, len) != VA_OK) {
		r->body_too_big = true;
		va_buf_release(&r->body);
	}
	return 0;
}

static int on_http_body_done(struct va_http_req *r)
{
	if (r && !r->responded && !r->deferred)
		dispatch(r);
	return 0;
}

/* A handler's extra "Name: value\r\n" lines (ETag, Cache-Control). */
static int add_extra_headers(struct lws *wsi, const char *extra, unsigned char **p,
			     unsigned char *end)
{
	char name[64];
	const char *line = extra, *colon, *eol, *v;
	size_t nl, i;

	while (*line) {
		eol = strstr(line, "\r\n");
		if (!eol)
			eol = line + strlen(line);
		colon = memchr(line, ':', (size_t)(eol - line));
		nl = colon ? (size_t)(colon - line) : 0;
		if (colon && nl + 2 <= sizeof(name)) {
			for (i = 0; i < nl; i++)
				name[i] = (char)tolower((unsigned char)line[i]);
			name[nl] = ':';
			name[nl + 1] = '\0';
			for (v = colon + 1; v < eol && *v == ' '; v++)
				;
			if (lws_add_http_header_by_name(wsi, (const unsigned char *)name,
							(const unsigned char *)v, (int)(eol - v), p,
							end))
				return -1;
		}
		line = *eol ? eol + 2 : eol;
	}
	return 0;
}

static int on_http_writeable(struct lws *wsi, struct pss *pss)
{
	struct va_http_req *r = pss->req;
	unsigned char buf[LWS_PRE + BODY_CHUNK];
	unsigned char *start = buf + LWS_PRE, *p = start, *end = buf + sizeof(buf) - 1;
	size_t left, n;
	int final;

	if (!r || !r->responded)
		return 0;
	if (!r->headers_sent) {
		if (lws_add_http_common_headers(wsi, (unsigned int)r->status, r->resp_type,
						r->resp.len, &p, end))
			return -1;
		if (!strcasestr(r->resp_extra, "cache-control:") &&
		    lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:",
						(const unsigned char *)"no-store", 8, &p, end))
			return -1;
		if (add_extra_headers(wsi, r->resp_extra, &p, end))
			return -1;
		if (r->body_too_big &&
		    lws_add_http_header_by_token(wsi, WSI_TOKEN_CONNECTION,
						 (const unsigned char *)"close", 5, &p, end))
			return -1;
		if (lws_finalize_write_http_header(wsi, start, &p, end))
			return -1;
		r->headers_sent = true;
		if (r->resp.len) {
			lws_callback_on_writable(wsi);
			return 0;
		}
	} else {
		left = r->resp.len - r->resp_sent;
		n = left > BODY_CHUNK ? BODY_CHUNK : left;
		final = n == left;
		memcpy(start, r->resp.data + r->resp_sent, n);
		if (lws_write(wsi, start, n, final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) !=
		    (int)n)
			return -1;
		r->resp_sent += n;
		if (!final) {
			lws_callback_on_writable(wsi);
			return 0;
		}
	}
	/* Response complete. A refused oversized body is not read: close. */
	{
		bool close_it = r->body_too_big;
		req_free(r);
		pss->req = NULL;
		if (close_it)
			return -1;
	}
	if (lws_http_transaction_completed(wsi))
		return -1;
	return 0;
}

static void on_http_closed(struct pss *pss)
{
	struct va_http_req *r = pss->req;

	if (!r)
		return;
	pss->req = NULL;
	if (r->deferred && !r->responded) {
		r->wsi = NULL;
		r->free_when_done = true; /* its completion frees it */
		return;
	}
	req_free(r);
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		    size_t len)
{
	struct pss *pss = user;
	struct lws_context *ctx = lws_get_context(wsi);
	struct va_server *srv = ctx ? lws_context_user(ctx) : NULL;

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		return on_http(srv, wsi, pss, in);
	case LWS_CALLBACK_HTTP_BODY:
		return on_http_body(pss->req, in, len);
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		return on_http_body_done(pss->req);
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return on_http_writeable(wsi, pss);
	case LWS_CALLBACK_CLOSED_HTTP:
		on_http_closed(pss);
		return 0;
	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
		return va_relay_confirm_upgrade(srv, wsi);
	case LWS_CALLBACK_ESTABLISHED: {
		char uri[512];
		struct va_route_match m;
		int n = lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI);

		pss->req = NULL;
		va_route_match(uri, n > 0 ? (size_t)n : 0, &m);
		if (m.route == VA_ROUTE_VOICE_MEDIA) {
			pss->media = va_media_conn_new(srv, wsi, m.tenant_id);
			return pss->media ? 0 : -1;
		}
		pss->relay = va_relay_conn_new(srv, wsi);
		return pss->relay ? 0 : -1;
	}
	case LWS_CALLBACK_RECEIVE:
		if (pss->media)
			return va_media_on_receive(pss->media, in, len);
		return pss->relay ? va_relay_on_receive(pss->relay, in, len) : -1;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		if (pss->media)
			return va_media_on_writeable(pss->media);
		return pss->relay ? va_relay_on_writeable(pss->relay) : 0;
	case LWS_CALLBACK_CLOSED:
		va_media_on_closed(pss->media);
		pss->media = NULL;
		va_relay_on_closed(pss->relay);
		pss->relay = NULL;
		return 0;
	default:
		break;
	}
	return 0;
}

static int rt_client_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
			      void *in, size_t len)
{
	return va_rt_client_lws_callback(wsi, (int)reason, user, in, len);
}

static const struct lws_protocols protocols[] = {
    {
	.name = "voiceai",
	.callback = callback,
	.per_session_data_size = sizeof(struct pss),
	/* Small per-socket receive buffer keeps idle calls cheap; larger
	 * messages arrive in pieces and are reassembled up to max_frame. */
	.rx_buffer_size = 1024,
    },
    {
	/* Outbound: one OpenAI Realtime connection per audio call. */
	.name = VA_RT_CLIENT_PROTOCOL,
	.callback = rt_client_callback,
	/* Messages are reassembled by the client: a small buffer per call. */
	.rx_buffer_size = 4096,
    },
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void lws_log_emit(int level, const char *line)
{
	char q[600];
	enum va_log_level l = level == LLL_ERR ? VA_LOG_ERROR : VA_LOG_WARN;
	size_t n = strlen(line);
	char tmp[512];

	if (n >= sizeof(tmp))
		n = sizeof(tmp) - 1;
	memcpy(tmp, line, n);
	tmp[n] = '\0';
	while (n && (tmp[n - 1] == '\n' || tmp[n - 1] == '\r'))
		tmp[--n] = '\0';
	VA_LOG(l, "lws", NULL, "lws", "msg=%s", va_log_quote(q, sizeof(q), tmp));
}

int va_http_server_start(struct va_server *srv)
{
	struct lws_context_creation_info info;
	void *foreign[1] = {srv->loop};
	struct lws_vhost *vh;

	lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_emit);
	memset(&info, 0, sizeof(info));
	/* No VALIDATE_UTF8: a frame with bad UTF-8 is a malformed message that
	 * the relay layer logs and skips, not a reason to drop the call. */
	/* SSL global init: the Realtime client connects out over wss://. */
	info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_DISABLE_IPV6 |
		       LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.foreign_loops = foreign;
	info.port = srv->cfg.port;
	info.iface = srv->cfg.bind[0] && strcmp(srv->cfg.bind, "0.0.0.0") ? srv->cfg.bind : NULL;
	info.protocols = protocols;
	info.user = srv;
	info.max_http_header_data = 8192;
	info.max_http_header_pool = 256;
	info.pt_serv_buf_size = 32768;
	info.timeout_secs = 30;
	info.server_string = "voiceai";
	info.vhost_name = "default";
	/* lws clears srv->lws itself once a destroy on the foreign loop has
	 * completed; until then another lws_context_destroy() finishes it. */
	info.pcontext = &srv->lws;
	srv->lws = lws_create_context(&info);
	if (!srv->lws)
		return VA_E_IO;
	vh = lws_get_vhost_by_name(srv->lws, "default");
	srv->port = vh ? lws_get_vhost_listen_port(vh) : srv->cfg.port;
	return VA_OK;
}

void va_http_server_stop(struct va_server *srv)
{
	if (srv->lws)
		lws_context_destroy(srv->lws);
}
