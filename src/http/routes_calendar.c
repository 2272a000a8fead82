/* SPDX-License-Identifier: MIT */
/*
 * routes_calendar.c - a practice's calendars over HTTP:
 *
 *   GET    /api/v1/tenants/{t}/calendar            status of each connected calendar
 *   POST   /api/v1/tenants/{t}/calendar            connect: discovery from a base URL
 *   DELETE /api/v1/tenants/{t}/calendar/{id}       disconnect
 *   POST   /api/v1/tenants/{t}/calendar/sync       pull now, retry failed changes now
 *   POST   /api/v1/tenants/{t}/calendar/feeds      a new secret feed address
 *   DELETE /api/v1/tenants/{t}/calendar/feeds      revoke the feed addresses
 *   GET    /api/v1/tenants/{t}/calendar.ics?token= the iCalendar feed (token only)
 *
 * All but the feed take the tenant's API key or the admin token; another
 * tenant's key gets the same 404 as an unknown tenant. The feed token is a
 * capability: kept only as its SHA-256, shown once, revocable. Credentials a
 * practice gives are stored like its other secrets and never echoed back.
 */
#include "app/server.h"
#include "calendar/caldav.h"
#include "calendar/ical.h"
#include "calendar/sync.h"
#include "core/alloc.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "http/http.h"
#include "store/store.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The feed lists visits from this far back. */
#define FEED_PAST_S (90 * 86400)

static void respond_json(struct va_http_req *r, int status, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);

	if (!s) {
		va_http_error(r, 500, "serialization failed");
	} else {
		va_http_respond(r, status, "application/json", s, strlen(s));
		free(s);
	}
	json_decref(j);
}

static void iso_ms(int64_t ms, char *dst, size_t n)
{
	if (ms > 0)
		va_clock_iso8601(ms, dst, n);
	else
		dst[0] = '\0';
}

static json_t *calendar_json(const struct va_calendar *c)
{
	char ok[40], pull[40], oldest[40];
	json_t *j;

	iso_ms(c->last_ok_ms, ok, sizeof(ok));
	iso_ms(c->last_pull_ms, pull, sizeof(pull));
	iso_ms(c->oldest_pending_ms, oldest, sizeof(oldest));
	j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:s}", "id", c->id, "provider_id",
		      c->provider_id, "url", c->url, "username", c->username, "auth",
		      va_cal_auth_name(c->auth), "secret_set", c->secret[0] != '\0', "display_name",
		      c->display_name, "state", c->state, "last_error", c->last_error);
	json_object_set_new(j, "connected", json_boolean(strcmp(c->state, "ok") == 0));
	json_object_set_new(j, "last_success", ok[0] ? json_string(ok) : json_null());
	json_object_set_new(j, "last_pull", pull[0] ? json_string(pull) : json_null());
	json_object_set_new(j, "outbox_depth", json_integer(c->outbox_depth));
	json_object_set_new(j, "oldest_undelivered", oldest[0] ? json_string(oldest) : json_null());
	json_object_set_new(j, "delivered", json_integer(c->delivered));
	json_object_set_new(j, "dead", json_integer(c->dead));
	json_object_set_new(j, "busy_blocks", json_integer(c->busy_blocks));
	return j;
}

/* ---- status ---------------------------------------------------------------- */

static void on_status(int status, const struct va_calendar *v, size_t n, void *arg)
{
	struct va_http_req *r = arg;
	json_t *arr, *j;
	int64_t depth = 0, oldest = 0;
	char when[40];
	size_t i;

	if (status != VA_OK) {
		va_http_error(r, 500, "storage error");
		return;
	}
	arr = json_array();
	for (i = 0; i < n; i++) {
		json_array_append_new(arr, calendar_json(&v[i]));
		depth += v[i].outbox_depth;
		if (v[i].oldest_pending_ms && (!oldest || v[i].oldest_pending_ms < oldest))
			oldest = v[i].oldest_pending_ms;
	}
	iso_ms(oldest, when, sizeof(when));
	j = json_pack("{s:o, s:I}", "calendars", arr, "outbox_depth", (json_int_t)depth);
	json_object_set_new(j, "oldest_undelivered", when[0] ? json_string(when) : json_null());
	respond_json(r, 200, j);
}

static void status_get(struct va_http_req *r, const struct va_tenant *t)
{
	r->deferred = true;
	if (va_store_cal_list(r->srv->store, t->id, on_status, r) != VA_OK) {
		r->deferred = false;
		va_http_error(r, 503, "storage busy");
	}
}

/* ---- connect ------------------------------------------------------------- */

struct connect_op {
	struct va_http_req *r;
	struct va_calendar cal;
	char pick[VA_CAL_URL_MAX]; /* a calendar's name or URL; "" = the first */
	json_t *found;
};

static void connect_free(struct connect_op *op)
{
	json_decref(op->found);
	explicit_bzero(&op->cal, sizeof(op->cal));
	free(op);
}

static void on_connected(int status, const struct va_calendar *c, void *arg)
{
	struct connect_op *op = arg;
	json_t *j;

	if (status != VA_OK) {
		va_http_error(op->r, status == VA_E_NOTFOUND ? 404 : 500,
			      status == VA_E_NOTFOUND ? "calendar not found" : "storage error");
	} else {
		va_calsync_reload(op->r->srv->calsync);
		j = json_pack("{s:o, s:O}", "calendar", calendar_json(c), "found", op->found);
		respond_json(op->r, 201, j);
	}
	connect_free(op);
}

static void on_discovered(int err, const struct va_dav_found *f, size_t n, const char *why,
			  void *arg)
{
	struct connect_op *op = arg;
	struct va_http_req *r = op->r;
	const struct va_dav_found *chosen = NULL;
	size_t i;

	if (err != VA_OK) {
		VA_INFO("calendar", NULL, "discovery_failed", "tenant=%s err=%s", op->cal.tenant_id,
			va_err_name(err));
		va_http_error(r, err == VA_E_AUTH ? 422 : 502, why && *why ? why : va_err_str(err));
		connect_free(op);
		return;
	}
	op->found = json_array();
	for (i = 0; i < n; i++) {
		json_array_append_new(op->found,
				      json_pack("{s:s, s:s}", "url", f[i].url, "name", f[i].name));
		if (!chosen && (!op->pick[0] || strcmp(op->pick, f[i].name) == 0 ||
				strcmp(op->pick, f[i].url) == 0))
			chosen = &f[i];
	}
	if (!chosen) {
		va_http_error(r, 422,
			      n ? "no calendar of that name; see the calendars found"
				: "the account has no calendar for events: create one first");
		connect_free(op);
		return;
	}
	va_strlcpy(op->cal.url, chosen->url, sizeof(op->cal.url));
	if (!op->cal.display_name[0])
		va_strlcpy(op->cal.display_name, chosen->name, sizeof(op->cal.display_name));
	if (va_store_cal_put(r->srv->store, &op->cal, on_connected, op) != VA_OK) {
		va_http_error(r, 503, "storage busy");
		connect_free(op);
	}
}

static const char *jstr(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static void connect_post(struct va_http_req *r, const struct va_tenant *t)
{
	json_error_t jerr;
	json_t *body = json_loadb(r->body.data ? r->body.data : "", r->body.len, 0, &jerr);
	struct connect_op *op = NULL;
	const char *url, *user, *pass, *token, *prov, *pick, *name;

	if (!json_is_object(body)) {
		va_http_error(r, 400, "body must be a JSON object");
		goto out;
	}
	url = jstr(body, "url");
	user = jstr(body, "username");
	pass = jstr(body, "password");
	token = jstr(body, "token");
	prov = jstr(body, "provider_id");
	pick = jstr(body, "calendar");
	name = jstr(body, "display_name");
	if (!url || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)) {
		va_http_error(r, 400, "url must be the CalDAV server's http(s) address");
		goto out;
	}
	if (prov && prov[0] && !va_practice_provider(&t->practice, prov)) {
		va_http_error(r, 400, "provider_id is not one of the practice's providers");
		goto out;
	}
	op = va_xcalloc(1, sizeof(*op));
	op->r = r;
	if (va_strlcpy(op->cal.tenant_id, t->id, sizeof(op->cal.tenant_id)) ||
	    va_strlcpy(op->cal.url, url, sizeof(op->cal.url)) ||
	    va_strlcpy(op->cal.username, user ? user : "", sizeof(op->cal.username)) ||
	    va_strlcpy(op->cal.secret,
		       token  ? token
		       : pass ? pass
			      : "",
		       sizeof(op->cal.secret)) ||
	    va_strlcpy(op->cal.provider_id, prov ? prov : "", sizeof(op->cal.provider_id)) ||
	    va_strlcpy(op->pick, pick ? pick : "", sizeof(op->pick)) ||
	    va_strlcpy(op->cal.display_name, name ? name : "", sizeof(op->cal.display_name))) {
		va_http_error(r, 400, "a field is too long");
		goto out;
	}
	op->cal.auth = token		? VA_CAL_AUTH_BEARER
		       : (user || pass) ? VA_CAL_AUTH_BASIC
					: VA_CAL_AUTH_NONE;
	r->deferred = true;
	if (va_dav_discover(r->srv->http, &op->cal, on_discovered, op) != VA_OK) {
		r->deferred = false;
		va_http_error(r, 400, "cannot use that address");
		goto out;
	}
	op = NULL;
out:
	if (op)
		connect_free(op);
	json_decref(body);
}

/* ---- disconnect, sync, feeds -------------------------------------------- */

static void on_deleted(int status, void *arg)
{
	struct va_http_req *r = arg;

	if (status == VA_OK) {
		va_calsync_reload(r->srv->calsync);
		va_http_respond(r, 204, "application/json", "", 0);
	} else {
		va_http_error(r, status == VA_E_NOTFOUND ? 404 : 500,
			      status == VA_E_NOTFOUND ? "calendar not found" : "storage error");
	}
}

struct feed_op {
	struct va_http_req *r;
	char token[65];
	char provider[32];
};

static void on_feed_added(int status, void *arg)
{
	struct feed_op *op = arg;
	char base[300], url[600];

	if (status != VA_OK) {
		va_http_error(op->r, 500, "storage error");
	} else {
		va_http_public_base(op->r, false, base, sizeof(base));
		snprintf(url, sizeof(url), "%s/api/v1/tenants/%s/calendar.ics?token=%s", base,
			 op->r->route.tenant_id, op->token);
		respond_json(op->r, 201,
			     json_pack("{s:s, s:s, s:s}", "url", url, "token", op->token,
				       "provider_id", op->provider));
	}
	explicit_bzero(op->token, sizeof(op->token));
	free(op);
}

static void on_feeds_revoked(int status, void *arg)
{
	struct va_http_req *r = arg;

	if (status == VA_OK)
		va_http_respond(r, 204, "application/json", "", 0);
	else
		va_http_error(r, 500, "storage error");
}

static void feeds(struct va_http_req *r, const struct va_tenant *t)
{
	struct feed_op *op;
	json_t *body = NULL;
	const char *prov = NULL;
	char hash[65], pq[32] = "";

	if (r->method == VA_HTTP_DELETE) {
		if (va_http_query_get(r, "provider_id", pq, sizeof(pq)) != VA_OK)
			pq[0] = '\0';
		r->deferred = true;
		if (va_store_feed_revoke(r->srv->store, t->id, pq[0] ? pq : NULL, on_feeds_revoked,
					 r) != VA_OK) {
			r->deferred = false;
			va_http_error(r, 503, "storage busy");
		}
		return;
	}
	if (r->method != VA_HTTP_POST) {
		va_http_error(r, 405, "use POST to create a feed address, DELETE to revoke");
		return;
	}
	if (r->body.len) {
		body = json_loadb(r->body.data, r->body.len, 0, NULL);
		if (!json_is_object(body)) {
			json_decref(body);
			va_http_error(r, 400, "body must be a JSON object");
			return;
		}
		prov = jstr(body, "provider_id");
	}
	if (prov && prov[0] && !va_practice_provider(&t->practice, prov)) {
		json_decref(body);
		va_http_error(r, 400, "provider_id is not one of the practice's providers");
		return;
	}
	op = va_xcalloc(1, sizeof(*op));
	op->r = r;
	if (va_cal_feed_token_new(op->token, hash) != VA_OK) {
		free(op);
		json_decref(body);
		va_http_error(r, 500, "no randomness");
		return;
	}
	va_strlcpy(op->provider, prov ? prov : "", sizeof(op->provider));
	json_decref(body);
	r->deferred = true;
	if (va_store_feed_add(r->srv->store, t->id, op->provider, hash, on_feed_added, op) !=
	    VA_OK) {
		r->deferred = false;
		free(op);
		va_http_error(r, 503, "storage busy");
	}
}

void va_routes_calendar(struct va_http_req *r)
{
	const struct va_tenant *t = va_server_tenant(r->srv, r->route.tenant_id);

	if (!va_http_tenant_allowed(r, t))
		return;
	if (r->route.route == VA_ROUTE_CALENDAR) {
		if (r->method == VA_HTTP_GET)
			status_get(r, t);
		else if (r->method == VA_HTTP_POST)
			connect_post(r, t);
		else
			va_http_error(r, 405, "use GET for status, POST to connect");
		return;
	}
	if (strcmp(r->route.item_id, "sync") == 0) {
		if (r->method != VA_HTTP_POST) {
			va_http_error(r, 405, "use POST");
			return;
		}
		va_calsync_sync_now(r->srv->calsync, t->id);
		va_http_respond(r, 202, "application/json", "{\"status\":\"syncing\"}", 20);
		return;
	}
	if (strcmp(r->route.item_id, "feeds") == 0) {
		feeds(r, t);
		return;
	}
	if (r->method != VA_HTTP_DELETE) {
		va_http_error(r, 405, "use DELETE to disconnect a calendar");
		return;
	}
	r->deferred = true;
	if (va_store_cal_delete(r->srv->store, t->id, r->route.item_id, on_deleted, r) != VA_OK) {
		r->deferred = false;
		va_http_error(r, 503, "storage busy");
	}
}

/* ---- the feed ------------------------------------------------------------ */

struct feed_req {
	struct va_http_req *r;
	char provider[32];
};

static void on_feed_listed(int status, const struct va_appointment *v, size_t n, void *arg)
{
	struct feed_req *fr = arg;
	struct va_http_req *r = fr->r;
	const struct va_tenant *t = va_server_tenant(r->srv, r->route.tenant_id);
	struct va_ical_appt *items = NULL;
	char(*uids)[300] = NULL;
	const struct va_provider *pv;
	char *body = NULL, hash[65], etag[72];
	size_t i, k = 0;
	int rc;

	if (status != VA_OK || !t) {
		va_http_error(r, 500, "storage error");
		goto out;
	}
	if (n) {
		items = va_xcalloc(n, sizeof(*items));
		uids = va_xcalloc(n, sizeof(*uids));
	}
	for (i = 0; i < n; i++) {
		if (fr->provider[0] && strcmp(v[i].provider_id, fr->provider) != 0)
			continue;
		va_ical_uid(v[i].id, uids[k], sizeof(uids[k]));
		items[k].appt = &v[i];
		items[k].uid = uids[k];
		items[k].sequence = v[i].version > 0 ? v[i].version - 1 : 0;
		/* The row's own time, not now: an unchanged feed is byte for
		 * byte the same, so its ETag holds and pollers get 304. */
		items[k].dtstamp = v[i].updated_ms / 1000;
		items[k].practice_name = t->name;
		if ((pv = va_practice_provider(&t->practice, v[i].provider_id)) != NULL)
			items[k].provider_name = pv->name;
		k++;
	}
	rc = va_ical_feed(t->name, t->timezone, items, k, &body);
	if (rc != VA_OK) {
		va_http_error(r, 500, "calendar generation failed");
		goto out;
	}
	va_cal_sha256_hex(body, strlen(body), hash);
	snprintf(etag, sizeof(etag), "\"%.32s\"", hash);
	if (r->if_none_match[0] &&
	    (strstr(r->if_none_match, etag) || strcmp(r->if_none_match, "*") == 0)) {
		snprintf(r->resp_extra, sizeof(r->resp_extra),
			 "ETag: %s\r\nCache-Control: private, max-age=60\r\n", etag);
		va_http_respond(r, 304, "text/calendar; charset=utf-8", "", 0);
		goto out;
	}
	snprintf(r->resp_extra, sizeof(r->resp_extra),
		 "ETag: %s\r\nCache-Control: private, max-age=60\r\n", etag);
	va_http_respond(r, 200, "text/calendar; charset=utf-8", body, strlen(body));
out:
	free(body);
	free(items);
	free(uids);
	free(fr);
}

static void on_feed_token(int status, const struct va_calendar *c, void *arg)
{
	struct feed_req *fr = arg;
	struct va_http_req *r = fr->r;
	int64_t now = va_clock_wall_ms() / 1000;

	/* A token of another practice is as unknown as no token. */
	if (status != VA_OK || strcmp(c->tenant_id, r->route.tenant_id) != 0 ||
	    !va_server_tenant(r->srv, r->route.tenant_id)) {
		va_http_error(r, status == VA_OK || status == VA_E_NOTFOUND ? 404 : 500,
			      status == VA_OK || status == VA_E_NOTFOUND ? "feed not found"
									 : "storage error");
		free(fr);
		return;
	}
	va_strlcpy(fr->provider, c->provider_id, sizeof(fr->provider));
	if (va_store_appt_list(r->srv->store, r->route.tenant_id, now - FEED_PAST_S, 0,
			       on_feed_listed, fr) != VA_OK) {
		va_http_error(r, 503, "storage busy");
		free(fr);
	}
}

void va_routes_calendar_feed(struct va_http_req *r)
{
	char token[128], hash[65];
	struct feed_req *fr;

	if (r->method != VA_HTTP_GET) {
		va_http_error(r, 405, "use GET");
		return;
	}
	if (va_http_query_get(r, "token", token, sizeof(token)) != VA_OK || !token[0]) {
		va_http_error(r, 401, "the feed address needs its token");
		return;
	}
	va_cal_sha256_hex(token, strlen(token), hash);
	explicit_bzero(token, sizeof(token));
	fr = va_xcalloc(1, sizeof(*fr));
	fr->r = r;
	r->deferred = true;
	if (va_store_feed_find(r->srv->store, hash, on_feed_token, fr) != VA_OK) {
		r->deferred = false;
		free(fr);
		va_http_error(r, 503, "storage busy");
	}
}
