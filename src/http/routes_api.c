/* SPDX-License-Identifier: MIT */
/*
 * routes_api.c - the operator and practice API: health, relay status with
 * latency percentiles, conversations (transcripts are patient data: the
 * tenant's API key or the admin token), and tenant administration (admin
 * token). A tenant's key never reads another tenant's data: such requests
 * get the same 404 as a conversation that does not exist.
 */
#include "app/server.h"
#include "calendar/sync.h"
#include "call/call.h"
#include "core/alloc.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "http/http.h"
#include "http/tenant_json.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static void respond_json(struct va_http_req *r, int status, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);

	if (!s) {
		va_http_error(r, 500, "serialization failed");
		return;
	}
	va_http_respond(r, status, "application/json", s, strlen(s));
	free(s);
}

static bool is_admin(const struct va_http_req *r)
{
	const char *tok = va_http_bearer(r);
	return r->srv->cfg.admin_token[0] && tok[0] &&
	       va_secret_equal(tok, r->srv->cfg.admin_token);
}

static bool is_tenant(const struct va_http_req *r, const struct va_tenant *t)
{
	const char *tok = va_http_bearer(r);
	return t && tok[0] && va_secret_equal(tok, t->api_key);
}

bool va_http_tenant_allowed(struct va_http_req *r, const struct va_tenant *t)
{
	if (!va_http_bearer(r)[0]) {
		va_http_error(r, 401, "authorization required (Bearer token)");
		return false;
	}
	/* Even the admin token finds no practice that does not exist. */
	if (t && (is_admin(r) || is_tenant(r, t)))
		return true;
	va_http_error(r, 404, "tenant not found");
	return false;
}

/* 401 when no credentials were given at all, else the given status. */
static void deny(struct va_http_req *r, int status, const char *msg)
{
	if (!va_http_bearer(r)[0]) {
		va_http_error(r, 401, "authorization required (Bearer token)");
		return;
	}
	va_http_error(r, status, msg);
}

void va_routes_healthz(struct va_http_req *r)
{
	const char *body = r->srv->draining ? "{\"status\":\"draining\"}" : "{\"status\":\"ok\"}";
	va_http_respond(r, r->srv->draining ? 503 : 200, "application/json", body, strlen(body));
}

static json_t *iso_or_null(int64_t ms);

static json_t *latency_json(const struct va_latency *l)
{
	struct va_latency_summary s;

	va_latency_summarize(l, &s);
	return json_pack("{s:I,s:f,s:f,s:f,s:f}", "count", (json_int_t)s.count, "p50_ms", s.p50_ms,
			 "p90_ms", s.p90_ms, "p99_ms", s.p99_ms, "max_ms", s.max_ms);
}

/* Every practice's calendars summed (as of the sync's last re-read, at most
 * a few seconds old), with the delivery counters since start. */
static json_t *calendars_json(const struct va_server *srv)
{
	const struct va_calsync_stats *st = va_calsync_stats(srv->calsync);
	const struct va_calendar *v;
	int64_t depth = 0, oldest = 0, connected = 0, attention = 0;
	size_t i, n;
	json_t *j;

	v = va_calsync_calendars(srv->calsync, &n);
	for (i = 0; i < n; i++) {
		depth += v[i].outbox_depth;
		connected += strcmp(v[i].state, "ok") == 0;
		attention += strcmp(v[i].state, "attention") == 0;
		if (v[i].oldest_pending_ms && (!oldest || v[i].oldest_pending_ms < oldest))
			oldest = v[i].oldest_pending_ms;
	}
	j = json_pack("{s:I,s:I,s:I,s:I,s:o}", "calendars", (json_int_t)n, "connected",
		      (json_int_t)connected, "needing_attention", (json_int_t)attention,
		      "outbox_depth", (json_int_t)depth, "oldest_undelivered", iso_or_null(oldest));
	if (st) {
		json_object_set_new(j, "delivered", json_integer((json_int_t)st->delivered));
		json_object_set_new(j, "retries", json_integer((json_int_t)st->retries));
		json_object_set_new(j, "dead", json_integer((json_int_t)st->dead));
		json_object_set_new(j, "pulls", json_integer((json_int_t)st->pulls));
		json_object_set_new(j, "pull_errors", json_integer((json_int_t)st->pull_errors));
		json_object_set_new(j, "change_to_calendar", latency_json(&st->delivery));
	}
	return j;
}

void va_routes_status(struct va_http_req *r)
{
	struct va_server *srv = r->srv;
	json_t *j;

	if (r->method != VA_HTTP_GET) {
		va_http_error(r, 405, "method not allowed");
		return;
	}
	j = json_pack(
	    "{s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:[s,s,s,s,s,s,s,s],s:{s:o,s:o}}",
	    "service", "voiceai-relay", "status", srv->draining ? "draining" : "running", "version",
	    VOICEAI_VERSION, "uptime_s",
	    (json_int_t)((va_clock_wall_ms() - srv->started_ms) / 1000), "active_calls",
	    (json_int_t)srv->n_active, "live_calls", (json_int_t)srv->n_calls, "max_calls",
	    (json_int_t)srv->cfg.max_calls, "total_conversations",
	    (json_int_t)srv->total_conversations, "total_turns", (json_int_t)srv->total_turns,
	    "interruptions", (json_int_t)srv->total_interruptions, "refused_calls",
	    (json_int_t)srv->refused_calls, "bad_messages", (json_int_t)srv->bad_messages,
	    "features", "conversation-relay", "streaming-tokens", "barge-in", "dtmf", "handoff",
	    "gather-fallback", "session-resume", "multi-tenant", "latency", "prompt_to_first_token",
	    latency_json(&srv->first_token), "prompt_to_last_token",
	    latency_json(&srv->last_token));
	json_object_set_new(j, "agent", json_string(srv->agent->name));
	json_object_set_new(json_object_get(j, "latency"), "prompt_to_model_first_token",
			    latency_json(&srv->model_first_token));
	json_object_set_new(json_object_get(j, "latency"), "model_audio_to_twilio",
			    latency_json(&srv->model_audio_out));
	json_object_set_new(j, "calendars", calendars_json(srv));
	respond_json(r, 200, j);
	json_decref(j);
}

/* ---- conversations ---------------------------------------------------- */

static const char *role_name(enum va_turn_role role)
{
	return role == VA_TURN_CALLER ? "caller" : role == VA_TURN_AGENT ? "agent" : "system";
}

static json_t *iso_or_null(int64_t ms)
{
	char buf[40];

	if (ms <= 0)
		return json_null();
	va_clock_iso8601(ms, buf, sizeof(buf));
	return json_string(buf);
}

static json_t *ms_or_null(int64_t us)
{
	return us < 0 ? json_null() : json_real((double)us / 1000.0);
}

static json_t *conversation_json(const struct va_conv_loaded *l, bool live)
{
	const struct va_conv_row *c = &l->conv;
	json_t *turns = json_array(), *details = NULL, *j;
	json_error_t jerr;
	int64_t sum_first = 0, sum_last = 0;
	int n_lat = 0, agent_turns = 0;

	for (size_t i = 0; i < l->n_turns; i++) {
		const struct va_turn_row *t = &l->turns[i];
		json_t *tj = json_pack("{s:i,s:s,s:s,s:o,s:o,s:b}", "seq", t->seq, "role",
				       role_name(t->role), "text", t->text ? t->text : "",
				       "started_at", iso_or_null(t->started_ms), "ended_at",
				       iso_or_null(t->ended_ms), "interrupted", t->interrupted);
		if (!tj)
			continue; /* text that is not UTF-8 cannot be shown as JSON */
		if (t->role == VA_TURN_AGENT) {
			agent_turns++;
			json_object_set_new(tj, "heard",
					    t->interrupted ? json_string(t->heard ? t->heard : "")
							   : json_string(t->text ? t->text : ""));
			json_object_set_new(tj, "first_token_ms", ms_or_null(t->first_token_us));
			json_object_set_new(tj, "last_token_ms", ms_or_null(t->last_token_us));
			if (t->model_first_us >= 0 || t->model_request_us >= 0) {
				json_object_set_new(tj, "model_request_sent_ms",
						    ms_or_null(t->model_request_us));
				json_object_set_new(tj, "model_first_token_ms",
						    ms_or_null(t->model_first_us));
			}
			if (t->first_token_us >= 0 && t->last_token_us >= 0) {
				sum_first += t->first_token_us;
				sum_last += t->last_token_us;
				n_lat++;
			}
		}
		json_array_append_new(turns, tj);
	}
	if (c->details_json)
		details = json_loads(c->details_json, 0, &jerr);
	if (!details)
		details = json_object();
	j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:o,s:o,s:o,s:o,s:{s:i,s:i,s:i,s:o,s:o}}",
		      "session_id", c->session_id, "call_sid", c->call_sid, "tenant_id",
		      c->tenant_id, "caller", c->from, "to", c->to, "state", c->state, "agent",
		      c->agent, "live", live, "started_at", iso_or_null(c->started_ms), "ended_at",
		      iso_or_null(c->ended_ms), "details", details, "turns", turns, "metrics",
		      "turns", c->turns, "agent_turns", agent_turns, "interruptions",
		      c->interruptions, "avg_first_token_ms",
		      n_lat ? json_real((double)sum_first / n_lat / 1000.0) : json_null(),
		      "avg_last_token_ms",
		      n_lat ? json_real((double)sum_last / n_lat / 1000.0) : json_null());
	return j;
}

/* Answers the conversation if the caller may see it; 404 otherwise. */
static void answer_conversation(struct va_http_req *r, const struct va_conv_loaded *l, bool live)
{
	const struct va_tenant *t = va_server_tenant(r->srv, l->conv.tenant_id);
	json_t *j;

	if (!is_admin(r) && !is_tenant(r, t)) {
		deny(r, 404, "conversation not found");
		return;
	}
	j = conversation_json(l, live);
	if (!j) {
		va_http_error(r, 500, "conversation could not be serialized");
		return;
	}
	respond_json(r, 200, j);
	json_decref(j);
}

static void on_conversation_loaded(int status, struct va_conv_loaded *l, void *arg)
{
	struct va_http_req *r = arg;

	if (status == VA_OK && l)
		answer_conversation(r, l, false);
	else if (status == VA_E_NOTFOUND)
		deny(r, 404, "conversation not found");
	else
		va_http_error(r, 500, "storage error");
	va_conv_loaded_free(l);
}

void va_routes_conversation(struct va_http_req *r)
{
	struct va_call *c;
	struct va_conv_loaded l;

	if (r->method != VA_HTTP_GET) {
		va_http_error(r, 405, "method not allowed");
		return;
	}
	if (!va_http_bearer(r)[0]) {
		va_http_error(r, 401, "authorization required (Bearer token)");
		return;
	}
	c = va_call_find_by_session(r->srv, r->route.session_id);
	if (c) {
		va_call_snapshot(c, &l);
		answer_conversation(r, &l, true);
		va_conv_row_release(&l.conv);
		for (size_t i = 0; i < l.n_turns; i++)
			va_turn_row_release(&l.turns[i]);
		free(l.turns);
		return;
	}
	r->deferred = true;
	if (va_store_conv_load(r->srv->store, r->route.session_id, on_conversation_loaded, r) !=
	    VA_OK) {
		r->deferred = false;
		va_http_error(r, 503, "storage busy");
	}
}

/* ---- tenants ---------------------------------------------------------- */

static void respond_tenant(struct va_http_req *r, int status, const struct va_tenant *t)
{
	struct va_buf b = VA_BUF_INIT(64 * 1024);

	if (va_tenant_to_json(t, &b) != VA_OK)
		va_http_error(r, 500, "serialization failed");
	else
		va_http_respond(r, status, "application/json", b.data, b.len);
	va_buf_release(&b);
}

struct tenant_write {
	struct va_http_req *r;
	struct va_tenant t;
	int status;
};

static void on_tenant_saved(int status, void *arg)
{
	struct tenant_write *w = arg;

	if (status == VA_OK) {
		VA_INFO("api", NULL, "tenant_saved", "tenant=%s", w->t.id);
		respond_tenant(w->r, w->status, &w->t);
	} else {
		VA_ERROR("api", NULL, "tenant_save_failed", "tenant=%s err=%s", w->t.id,
			 va_err_name(status));
		va_http_error(w->r, 500, "storage error");
	}
	free(w);
}

/* Puts t in the cache (so calls see it at once) and persists it; the
 * response waits for the database. */
static void save_tenant(struct va_http_req *r, const struct va_tenant *t, int status)
{
	struct tenant_write *w = va_xcalloc(1, sizeof(*w));

	w->r = r;
	w->t = *t;
	w->status = status;
	va_server_tenant_put(r->srv, t);
	r->deferred = true;
	if (va_store_tenant_put(r->srv->store, t, on_tenant_saved, w) != VA_OK) {
		r->deferred = false;
		free(w);
		va_http_error(r, 503, "storage busy");
	}
}

void va_routes_tenants(struct va_http_req *r)
{
	struct va_tenant t;
	char why[256];
	json_t *arr;

	if (!is_admin(r)) {
		deny(r, 403, "admin token required");
		return;
	}
	if (r->method == VA_HTTP_GET) {
		struct va_buf b = VA_BUF_INIT(16u << 20);
		va_buf_append_str(&b, "{\"tenants\":[");
		for (size_t i = 0; i < r->srv->n_tenants; i++) {
			if (i)
				va_buf_append_str(&b, ",");
			va_tenant_to_json(r->srv->tenants[i], &b);
		}
		va_buf_append_str(&b, "]}");
		va_http_respond(r, 200, "application/json", b.data, b.len);
		va_buf_release(&b);
		return;
	}
	if (r->method != VA_HTTP_POST) {
		va_http_error(r, 405, "method not allowed");
		return;
	}
	(void)arr;
	memset(&t, 0, sizeof(t));
	if (va_tenant_from_json(va_buf_cstr(&r->body), r->body.len, &t, false, why, sizeof(why)) !=
	    VA_OK) {
		va_http_error(r, 400, why);
		return;
	}
	if (va_server_tenant(r->srv, t.id)) {
		va_http_error(r, 409, "tenant already exists");
		return;
	}
	save_tenant(r, &t, 201);
}

void va_routes_tenant(struct va_http_req *r)
{
	const struct va_tenant *cur = va_server_tenant(r->srv, r->route.tenant_id);
	struct va_tenant t;
	char why[256];

	if (r->method == VA_HTTP_GET) {
		if (!is_admin(r) && !is_tenant(r, cur)) {
			deny(r, 404, "tenant not found");
			return;
		}
		if (!cur) {
			va_http_error(r, 404, "tenant not found");
			return;
		}
		respond_tenant(r, 200, cur);
		return;
	}
	if (r->method != VA_HTTP_PUT && r->method != VA_HTTP_PATCH) {
		va_http_error(r, 405, "method not allowed");
		return;
	}
	if (!is_admin(r)) {
		deny(r, 403, "admin token required");
		return;
	}
	if (!cur) {
		va_http_error(r, 404, "tenant not found");
		return;
	}
	t = *cur;
	if (va_tenant_from_json(va_buf_cstr(&r->body), r->body.len, &t, true, why, sizeof(why)) !=
	    VA_OK) {
		va_http_error(r, 400, why);
		return;
	}
	save_tenant(r, &t, 200);
}
