/* SPDX-License-Identifier: MIT */
/*
 * routes_voice.c - Twilio's voice webhooks: the incoming call (answered with
 * ConversationRelay TwiML), the <Connect action> callback when a session ends
 * (hand-off, resume, or the turn-based fallback), and that fallback itself:
 * <Gather input="speech"> driving the same agent one turn per request.
 *
 * Every request is authenticated with X-Twilio-Signature against the
 * tenant's auth token over the public URL Twilio used.
 */
#include "app/server.h"
#include "call/call.h"
#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"
#include "http/form.h"
#include "http/http.h"
#include "media/session.h"
#include "tenant/audio_json.h"
#include "twilio/signature.h"
#include "twilio/twiml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define GATHER_REPLY_TIMEOUT_MS 8000
#define GATHER_MAX_EMPTY	3

static void respond_twiml(struct va_http_req *r, struct va_buf *twiml)
{
	va_http_respond(r, 200, "text/xml", twiml->data, twiml->len);
}

/*
 * Common entry of every voice webhook: tenant, form body and signature.
 * Returns the tenant, or NULL after answering the request with 404/400/403.
 */
static const struct va_tenant *authenticate(struct va_http_req *r, struct va_form *f)
{
	const struct va_tenant *t = va_server_tenant(r->srv, r->route.tenant_id);
	char base[512], url[2048];

	if (!t) {
		VA_WARN("voice", NULL, "unknown_tenant", "tenant=%s path=%s", r->route.tenant_id,
			r->path);
		va_http_error(r, 404, "unknown tenant");
		return NULL;
	}
	if (r->method != VA_HTTP_POST && r->method != VA_HTTP_GET) {
		va_http_error(r, 405, "method not allowed");
		return NULL;
	}
	/* GET webhooks carry their parameters in the signed URL itself. */
	if (va_form_parse(f, r->method == VA_HTTP_POST ? va_buf_cstr(&r->body) : r->query,
			  r->method == VA_HTTP_POST ? r->body.len : strlen(r->query)) != VA_OK) {
		VA_WARN("voice", NULL, "malformed_form", "tenant=%s", t->id);
		va_http_error(r, 400, "malformed form body");
		return NULL;
	}
	va_http_public_base(r, false, base, sizeof(base));
	snprintf(url, sizeof(url), "%s%s%s%s", base, r->path, r->query[0] ? "?" : "", r->query);
	if (!r->signature[0] ||
	    !va_twilio_validate(t->twilio_auth_token, url,
				r->method == VA_HTTP_POST ? f->pairs : NULL,
				r->method == VA_HTTP_POST ? f->n : 0, r->signature)) {
		const char *sid = va_form_get(f, "CallSid");
		VA_WARN("voice", sid, "signature_rejected", "tenant=%s reason=%s route=%s", t->id,
			r->signature[0] ? "mismatch" : "missing", va_route_name(r->route.route));
		va_http_error(r, 403, "invalid Twilio signature");
		return NULL;
	}
	return t;
}

static const char *field(const struct va_form *f, const char *name)
{
	const char *v = va_form_get(f, name);
	return v ? v : "";
}

/* The ConversationRelay TwiML for tenant t, greeting overridable for resumes. */
static void connect_twiml(struct va_http_req *r, const struct va_tenant *t, const struct va_form *f,
			  const char *greeting, bool relay_only, struct va_buf *out)
{
	char wsbase[512], base[512], ws[768], action[768];
	struct va_tenant copy;
	struct va_kv params[4];
	size_t n = 0;
	bool audio = !relay_only && va_media_available(r->srv, t);

	va_http_public_base(r, true, wsbase, sizeof(wsbase));
	va_http_public_base(r, false, base, sizeof(base));
	snprintf(ws, sizeof(ws), "%s/api/v1/voice/%s/%s", wsbase, t->id,
		 audio ? "media" : "stream");
	snprintf(action, sizeof(action), "%s/api/v1/voice/%s/action", base, t->id);
	params[n++] = (struct va_kv){"tenant", t->id};
	if (va_form_get(f, "From"))
		params[n++] = (struct va_kv){"caller", va_form_get(f, "From")};
	if (va_form_get(f, "CallSid"))
		params[n++] = (struct va_kv){"callSid", va_form_get(f, "CallSid")};
	if (greeting) {
		copy = *t;
		va_strlcpy(copy.greeting, greeting, sizeof(copy.greeting));
		copy.connecting_message[0] = '\0';
		t = &copy;
	}
	if (audio) {
		va_twiml_connect_stream(out, t, ws, action, params, n);
		return;
	}
	if (!relay_only && t->audio.transport == VA_TRANSPORT_AUDIO)
		VA_INFO("voice", va_form_get(f, "CallSid"), "audio_unavailable",
			"tenant=%s then=relay reason=\"no Realtime key\"", t->id);
	va_twiml_connect_relay(out, t, ws, action, params, n);
}

void va_routes_voice(struct va_http_req *r)
{
	struct va_form f = {0};
	struct va_buf out = VA_BUF_INIT(64 * 1024);
	const struct va_tenant *t = authenticate(r, &f);
	const char *sid;

	if (!t)
		goto out;
	sid = field(&f, "CallSid");
	if (r->srv->draining || r->srv->n_active >= (size_t)r->srv->cfg.max_calls) {
		r->srv->refused_calls++;
		VA_WARN("voice", sid, "call_refused", "tenant=%s reason=%s calls=%zu", t->id,
			r->srv->draining ? "draining" : "capacity", r->srv->n_calls);
		va_twiml_reject_busy(&out, t->name);
		respond_twiml(r, &out);
		goto out;
	}
	connect_twiml(r, t, &f, NULL, false, &out);
	VA_INFO("voice", sid, "incoming_call", "tenant=%s status=%s", t->id,
		field(&f, "CallStatus"));
	respond_twiml(r, &out);
out:
	va_form_release(&f);
	va_buf_release(&out);
}

/* ---- <Connect action> ------------------------------------------------- */

static bool wants_person(const char *handoff)
{
	/* handoffData is ours (the agent's end_call); a capacity refusal is the
	 * only end that must not ring the front desk. */
	return handoff && *handoff && !strstr(handoff, "\"capacity\"");
}

static void answer_handoff(const struct va_tenant *t, struct va_buf *out)
{
	if (t->front_desk_number[0])
		va_twiml_dial(out, "Please hold while I connect you to our front desk.",
			      t->front_desk_number, NULL);
	else
		va_twiml_say_hangup(out, "I'm sorry, nobody can take your call right now. Please "
					 "call back during our opening hours. Goodbye.");
}

void va_routes_voice_action(struct va_http_req *r)
{
	struct va_form f = {0};
	struct va_buf out = VA_BUF_INIT(64 * 1024);
	const struct va_tenant *t = authenticate(r, &f);
	const char *sid, *call_status, *session_status, *handoff, *err;
	struct va_call *c;

	if (!t)
		goto out;
	sid = field(&f, "CallSid");
	call_status = field(&f, "CallStatus");
	session_status = field(&f, "SessionStatus");
	handoff = field(&f, "HandoffData");
	err = field(&f, "ErrorCode");
	c = sid[0] ? va_call_find_by_sid(r->srv, sid) : NULL;
	if (c && strcmp(c->tenant_id, t->id) != 0)
		c = NULL; /* never act on another practice's call */
	VA_INFO("voice", sid, "session_ended",
		"tenant=%s call_status=%s session_status=%s error=%s", t->id, call_status,
		session_status, err[0] ? err : "-");

	if (!strcasecmp(call_status, "completed") || !strcasecmp(call_status, "canceled") ||
	    !strcasecmp(call_status, "failed") || !strcasecmp(call_status, "no-answer") ||
	    !strcasecmp(call_status, "busy")) {
		/* Nobody is on the line any more. */
		if (c)
			va_call_finish(c, "completed");
		va_twiml_empty(&out);
	} else if (wants_person(handoff) || (c && wants_person(c->handoff))) {
		if (c)
			va_call_finish(c, "handoff");
		answer_handoff(t, &out);
	} else if (handoff[0]) {
		/* Ended for capacity: the goodbye was already spoken. */
		if (c)
			va_call_finish(c, "ended");
		va_twiml_say_hangup(&out, "Goodbye.");
	} else if (!strcasecmp(session_status, "ended") || (c && c->media_ended)) {
		/* The agent ended the session after saying goodbye itself. */
		if (c)
			va_call_finish(c, "ended");
		va_twiml_say_hangup(&out, NULL);
	} else if (!strcmp(err, "39001") || (c && va_call_relay_failures(c) >= 1)) {
		/* Our WebSocket cannot be reached, or it failed again after a
		 * resume: continue turn by turn over plain webhooks. */
		char base[512], action[768];
		if (c)
			va_call_note_relay_failure(c);
		va_http_public_base(r, false, base, sizeof(base));
		snprintf(action, sizeof(action), "%s/api/v1/voice/%s/gather", base, t->id);
		va_twiml_gather(
		    &out, "Sorry, we had a connection problem. I'm still here. How can I help you?",
		    action, t);
		VA_WARN("voice", sid, "fallback_gather", "tenant=%s", t->id);
	} else if (c && c->media_failed) {
		/* The raw-audio model failed: the same call goes on over
		 * ConversationRelay with the receptionist, who heard it all. */
		connect_twiml(r, t, &f, "Sorry, one moment. I'm still here. Please go on.", true,
			      &out);
		VA_WARN("voice", sid, "audio_fallback_relay", "tenant=%s turns=%zu", t->id,
			c->n_turns);
	} else {
		/* The session dropped while the caller is still there: a fresh
		 * ConversationRelay resumes the same call (state is keyed by CallSid). */
		if (c)
			va_call_note_relay_failure(c);
		connect_twiml(r, t, &f,
			      "Sorry about that, we had a brief connection problem. Please go on.",
			      c != NULL && c->media_failed, &out);
		VA_WARN("voice", sid, "relay_resume", "tenant=%s known_call=%d", t->id, c != NULL);
	}
	respond_twiml(r, &out);
out:
	va_form_release(&f);
	va_buf_release(&out);
}

/* ---- <Gather> fallback ------------------------------------------------ */

/* One turn of the turn-based fallback: the agent's reply is collected here
 * and becomes the <Say> of the next <Gather>. */
struct gather_turn {
	struct va_http_req *r;
	struct va_call *call;
	const struct va_tenant *tenant_copy_src;
	struct va_tenant tenant;
	struct va_buf reply;
	char action[768];
	char handoff[512];
	bool answered, ended;
	uv_timer_t *timer; /* reply timeout, then the deferred clean-up */
};

static void gather_timer_closed(uv_handle_t *h)
{
	free(h->data);
	free(h);
}

static void gather_release(struct gather_turn *g)
{
	va_buf_release(&g->reply);
	g->timer->data = g;
	uv_close((uv_handle_t *)g->timer, gather_timer_closed);
}

static void gather_answer(struct gather_turn *g)
{
	struct va_buf out = VA_BUF_INIT(64 * 1024);
	const char *say =
	    g->reply.len ? va_buf_cstr(&g->reply) : "Sorry, could you say that again?";

	if (g->answered)
		return;
	g->answered = true;
	if (g->ended && wants_person(g->handoff))
		answer_handoff(&g->tenant, &out);
	else if (g->ended)
		va_twiml_say_hangup(&out, say);
	else
		va_twiml_gather(&out, say, g->action, &g->tenant);
	respond_twiml(g->r, &out);
	va_buf_release(&out);
}

/* Runs on the loop after the reply: the call leaves this transport (waiting
 * for the next <Gather> request, or finished if it ended). */
static void gather_done(uv_timer_t *t)
{
	struct gather_turn *g = t->data;

	if (!g->answered) {
		/* The agent took too long for a turn-based exchange. */
		VA_WARN("voice", g->call ? g->call->call_sid : NULL, "gather_reply_timeout", "");
		gather_answer(g);
	}
	if (g->call) {
		struct va_call *c = g->call;
		g->call = NULL;
		if (g->ended)
			va_call_finish(c, g->handoff[0] ? "handoff" : "ended");
		else
			va_call_detach(c);
	}
	gather_release(g);
}

static void gather_finish_soon(struct gather_turn *g)
{
	uv_timer_stop(g->timer);
	uv_timer_start(g->timer, gather_done, 0, 0);
}

static int gather_text(void *sink, const char *token, size_t len, bool last, enum va_call_mark mark,
		       uint64_t t0_ns)
{
	struct gather_turn *g = sink;

	if (g->answered)
		return VA_E_CLOSED;
	va_buf_append(&g->reply, token, len);
	if (last) {
		gather_answer(g);
		gather_finish_soon(g);
	}
	return VA_OK;
}

static int gather_end(void *sink, const char *handoff_json)
{
	struct gather_turn *g = sink;

	g->ended = true;
	if (handoff_json)
		va_strlcpy(g->handoff, handoff_json, sizeof(g->handoff));
	gather_answer(g);
	gather_finish_soon(g);
	return VA_OK;
}

static int gather_send_digits(void *sink, const char *digits)
{
	return VA_E_UNSUPPORTED;
}

static void gather_close(void *sink)
{
	struct gather_turn *g = sink;

	g->call = NULL;
	gather_answer(g);
	gather_finish_soon(g);
}

static const struct va_call_sink_ops gather_ops = {
    .text = gather_text,
    .end = gather_end,
    .send_digits = gather_send_digits,
    .close = gather_close,
};

void va_routes_voice_gather(struct va_http_req *r)
{
	struct va_form f = {0};
	struct va_buf out = VA_BUF_INIT(64 * 1024);
	const struct va_tenant *t = authenticate(r, &f);
	struct va_relay_setup setup;
	struct gather_turn *g;
	const char *sid, *speech, *status, *digits;
	char base[512];
	int err;

	if (!t)
		goto out;
	sid = field(&f, "CallSid");
	speech = field(&f, "SpeechResult");
	digits = field(&f, "Digits");
	status = field(&f, "CallStatus");
	if (!sid[0]) {
		va_http_error(r, 400, "CallSid missing");
		goto out;
	}
	if (!strcasecmp(status, "completed")) {
		struct va_call *c = va_call_find_by_sid(r->srv, sid);
		if (c && !strcmp(c->tenant_id, t->id))
			va_call_finish(c, "completed");
		va_twiml_empty(&out);
		respond_twiml(r, &out);
		goto out;
	}

	g = va_xcalloc(1, sizeof(*g));
	g->r = r;
	g->tenant = *t;
	va_buf_init(&g->reply, 16 * 1024);
	va_http_public_base(r, false, base, sizeof(base));
	snprintf(g->action, sizeof(g->action), "%s/api/v1/voice/%s/gather", base, t->id);
	g->timer = va_xmalloc(sizeof(*g->timer));
	uv_timer_init(r->srv->loop, g->timer);
	g->timer->data = g;

	memset(&setup, 0, sizeof(setup));
	va_strlcpy(setup.call_sid, sid, sizeof(setup.call_sid));
	va_strlcpy(setup.session_id, sid, sizeof(setup.session_id));
	va_strlcpy(setup.from, field(&f, "From"), sizeof(setup.from));
	va_strlcpy(setup.to, field(&f, "To"), sizeof(setup.to));
	err = va_call_setup(r->srv, t->id, &setup, &gather_ops, g, &g->call);
	if (err != VA_OK) {
		g->call = NULL;
		if (err == VA_E_BUSY)
			va_twiml_reject_busy(&out, t->name);
		else
			va_twiml_say_hangup(&out, "Sorry, we cannot take your call right now.");
		respond_twiml(r, &out);
		g->answered = true;
		gather_release(g);
		goto out;
	}
	r->deferred = true;
	if (speech[0]) {
		va_call_on_prompt(g->call, speech, true);
	} else if (digits[0] && strchr("0123456789*#", digits[0])) {
		va_call_on_dtmf(g->call, digits[0]);
	} else {
		va_buf_append_str(&g->reply, "Sorry, I didn't catch that. How can I help you?");
		gather_answer(g);
		gather_finish_soon(g);
	}
	if (!g->answered && !uv_is_active((uv_handle_t *)g->timer))
		uv_timer_start(g->timer, gather_done, GATHER_REPLY_TIMEOUT_MS, 0);
out:
	va_form_release(&f);
	va_buf_release(&out);
}
