/* SPDX-License-Identifier: MIT */
/*
 * call.c - the call session: turn bookkeeping, the agent host, barge-in,
 * reconnect grace and turn-by-turn persistence. Transport-agnostic.
 */
#include "call/call.h"
#include "agent/receptionist.h"
#include "app/server.h"
#include "core/alloc.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TURN_TEXT_MAX (64 * 1024)
#define MAX_TURNS     4096

static const char *const state_names[VA_CALL__COUNT] = {"active", "detached", "ending", "ended"};

const char *va_call_state_name(enum va_call_state s)
{
	return s < VA_CALL__COUNT ? state_names[s] : "unknown";
}

static void set_state(struct va_call *c, enum va_call_state s)
{
	if (c->state == s)
		return;
	VA_DEBUG("call", c->call_sid, "state", "from=%s to=%s", va_call_state_name(c->state),
		 va_call_state_name(s));
	c->state = s;
}

/* ---- persistence ------------------------------------------------------ */

static void details_json(const struct va_call *c, struct va_buf *out)
{
	char q1[128], q2[600];

	va_buf_append_str(out, "{");
	for (size_t i = 0; i < c->n_details; i++) {
		/* JSON string escaping is the same as our logfmt quoting for the
		 * characters that matter, minus control characters (dropped). */
		va_buf_appendf(out, "%s%s:%s", i ? "," : "",
			       va_log_quote(q1, sizeof(q1), c->details[i].key),
			       va_log_quote(q2, sizeof(q2), c->details[i].value));
	}
	va_buf_append_str(out, "}");
}

static void conv_row(const struct va_call *c, struct va_conv_row *r)
{
	struct va_buf d = VA_BUF_INIT(64 * 1024);

	memset(r, 0, sizeof(*r));
	va_strlcpy(r->session_id, c->session_id, sizeof(r->session_id));
	va_strlcpy(r->call_sid, c->call_sid, sizeof(r->call_sid));
	va_strlcpy(r->tenant_id, c->tenant_id, sizeof(r->tenant_id));
	va_strlcpy(r->from, c->from, sizeof(r->from));
	va_strlcpy(r->to, c->to, sizeof(r->to));
	va_strlcpy(r->state,
		   c->state == VA_CALL_ENDED ? c->end_reason : va_call_state_name(c->state),
		   sizeof(r->state));
	va_strlcpy(r->agent, c->agent_name ? c->agent_name : "", sizeof(r->agent));
	r->started_ms = c->started_ms;
	r->ended_ms = c->ended_ms;
	r->turns = (int)c->n_turns;
	r->interruptions = c->interruptions;
	details_json(c, &d);
	r->details_json = va_buf_take(&d, NULL);
}

static void save_conv(struct va_call *c)
{
	struct va_conv_row r;

	if (!c->srv->store)
		return;
	conv_row(c, &r);
	if (va_store_conv_save(c->srv->store, &r, NULL, NULL) != VA_OK)
		VA_WARN("call", c->call_sid, "persist_failed", "what=conversation");
	va_conv_row_release(&r);
}

static void turn_row(const struct va_call *c, size_t i, struct va_turn_row *r)
{
	const struct va_turn *t = &c->turns[i];

	memset(r, 0, sizeof(*r));
	va_strlcpy(r->session_id, c->session_id, sizeof(r->session_id));
	r->seq = (int)i;
	r->role = t->role;
	r->text = (char *)va_buf_cstr(&t->text);
	r->heard = t->heard;
	r->interrupted = t->interrupted;
	r->started_ms = t->started_ms;
	r->ended_ms = t->ended_ms;
	r->first_token_us = t->first_us;
	r->last_token_us = t->last_us;
	r->model_request_us = t->model_request_us;
	r->model_first_us = t->model_first_us;
}

static void save_turn(struct va_call *c, size_t i)
{
	struct va_turn_row r;

	if (!c->srv->store)
		return;
	turn_row(c, i, &r);
	/* The store copies its input; r only borrows from the turn. */
	if (va_store_turn_save(c->srv->store, &r, NULL, NULL) != VA_OK)
		VA_WARN("call", c->call_sid, "persist_failed", "what=turn seq=%zu", i);
}

/* ---- turns ------------------------------------------------------------ */

static struct va_turn *add_turn(struct va_call *c, enum va_turn_role role)
{
	struct va_turn *t;

	if (c->n_turns == MAX_TURNS)
		return NULL;
	if (c->n_turns == c->cap_turns) {
		c->cap_turns = c->cap_turns ? c->cap_turns * 2 : 8;
		c->turns = va_xrealloc(c->turns, c->cap_turns * sizeof(*c->turns));
	}
	t = &c->turns[c->n_turns++];
	memset(t, 0, sizeof(*t));
	t->role = role;
	va_buf_init(&t->text, TURN_TEXT_MAX);
	t->started_ms = va_clock_wall_ms();
	t->first_us = -1;
	t->last_us = -1;
	t->model_request_us = -1;
	t->model_first_us = -1;
	c->srv->total_turns++;
	return t;
}

static struct va_turn *current_agent_turn(struct va_call *c)
{
	return c->agent_turn >= 0 ? &c->turns[c->agent_turn] : NULL;
}

static bool can_send(const struct va_call *c)
{
	return c->sink_ops && c->state != VA_CALL_DETACHED && c->state != VA_CALL_ENDED;
}

static void send_end(struct va_call *c)
{
	va_strlcpy(c->end_reason, c->handoff ? "handoff" : "ended", sizeof(c->end_reason));
	if (can_send(c) && c->sink_ops->end(c->sink, c->handoff) != VA_OK)
		VA_WARN("call", c->call_sid, "send_failed", "what=end");
	set_state(c, VA_CALL_ENDING);
	save_conv(c);
	VA_INFO("call", c->call_sid, "end_sent", "handoff=%d", c->handoff != NULL);
}

/* Closes the open agent turn: cut short (interrupted/superseded) or complete. */
static void close_agent_turn(struct va_call *c, const char *heard, bool interrupted)
{
	struct va_turn *t = current_agent_turn(c);

	if (!t || t->saved_final)
		return;
	if (interrupted) {
		t->interrupted = true;
		free(t->heard);
		t->heard = va_xstrdup(heard ? heard : "");
	}
	t->open = false;
	t->ended_ms = va_clock_wall_ms();
	t->saved_final = true;
	save_turn(c, (size_t)c->agent_turn);
}

/* ---- the agent's host ------------------------------------------------- */

static int host_token(void *host, uint64_t turn_id, const char *text, size_t len)
{
	struct va_call *c = host;
	struct va_turn *t = current_agent_turn(c);
	enum va_call_mark mark;

	if (turn_id != c->turn_id || !t || !t->open || c->state != VA_CALL_ACTIVE)
		return VA_E_STATE;
	if (len == 0)
		return VA_OK;
	if (va_buf_append(&t->text, text, len) != VA_OK && !t->truncated) {
		/* The caller still hears it all; only the transcript is capped. */
		t->truncated = true;
		VA_WARN("call", c->call_sid, "turn_text_truncated", "seq=%ld limit=%d",
			c->agent_turn, TURN_TEXT_MAX);
	}
	mark = t->first_us < 0 ? VA_MARK_FIRST : VA_MARK_NONE;
	if (t->first_us < 0)
		t->first_us = (int64_t)((va_clock_mono_ns() - t->t0_ns) / 1000);
	if (can_send(c) && c->sink_ops->text(c->sink, text, len, false, mark, t->t0_ns) != VA_OK)
		VA_WARN("call", c->call_sid, "send_failed", "what=text");
	return VA_OK;
}

static int host_end_turn(void *host, uint64_t turn_id)
{
	struct va_call *c = host;
	struct va_turn *t = current_agent_turn(c);
	enum va_call_mark mark;

	if (turn_id != c->turn_id || !t || !t->open || c->state != VA_CALL_ACTIVE)
		return VA_E_STATE;
	mark = (enum va_call_mark)(VA_MARK_LAST | (t->first_us < 0 ? VA_MARK_FIRST : 0));
	t->last_us = (int64_t)((va_clock_mono_ns() - t->t0_ns) / 1000);
	if (t->first_us < 0)
		t->first_us = t->last_us;
	if (can_send(c) && c->sink_ops->text(c->sink, "", 0, true, mark, t->t0_ns) != VA_OK)
		VA_WARN("call", c->call_sid, "send_failed", "what=last");
	close_agent_turn(c, NULL, false);
	if (c->end_after_turn)
		send_end(c);
	return VA_OK;
}

static int host_end_call(void *host, const char *handoff_json)
{
	struct va_call *c = host;
	struct va_turn *t = current_agent_turn(c);

	if (c->state != VA_CALL_ACTIVE)
		return VA_E_STATE;
	if (handoff_json && strlen(handoff_json) > 4096)
		return VA_E_TOOBIG;
	if (handoff_json && *handoff_json) {
		free(c->handoff);
		c->handoff = va_xstrdup(handoff_json);
	}
	if (t && t->open) {
		c->end_after_turn = true;
		return VA_OK;
	}
	send_end(c);
	return VA_OK;
}

static int host_set_detail(void *host, const char *key, const char *value)
{
	struct va_call *c = host;
	size_t i;

	for (i = 0; i < c->n_details; i++)
		if (!strcmp(c->details[i].key, key))
			break;
	if (i == c->n_details) {
		if (c->n_details == VA_CALL_MAX_DETAILS)
			return VA_E_FULL;
		if (!c->details)
			c->details = va_xcalloc(VA_CALL_MAX_DETAILS, sizeof(*c->details));
		c->n_details++;
	}
	va_strlcpy(c->details[i].key, key, sizeof(c->details[i].key));
	va_strlcpy(c->details[i].value, value, sizeof(c->details[i].value));
	return VA_OK;
}

static int host_send_digits(void *host, const char *digits)
{
	struct va_call *c = host;

	if (!can_send(c))
		return VA_E_STATE;
	return c->sink_ops->send_digits(c->sink, digits);
}

static int host_turn_timing(void *host, uint64_t turn_id, int64_t request_us,
			    int64_t model_first_us)
{
	struct va_call *c = host;
	struct va_turn *t = current_agent_turn(c);

	if (turn_id != c->turn_id || !t)
		return VA_E_STATE;
	t->model_request_us = request_us;
	t->model_first_us = model_first_us;
	if (model_first_us >= 0)
		va_latency_add_us(&c->srv->model_first_token, (uint64_t)model_first_us);
	return VA_OK;
}

static const struct va_agent_host_ops host_ops = {
    .token = host_token,
    .end_turn = host_end_turn,
    .end_call = host_end_call,
    .set_detail = host_set_detail,
    .send_digits = host_send_digits,
    .turn_timing = host_turn_timing,
};

/* ---- registry --------------------------------------------------------- */

struct va_call *va_call_find_by_sid(struct va_server *srv, const char *call_sid)
{
	for (struct va_call *c = srv->calls; c; c = c->next)
		if (!strcmp(c->call_sid, call_sid))
			return c;
	return NULL;
}

struct va_call *va_call_find_by_session(struct va_server *srv, const char *session_id)
{
	for (struct va_call *c = srv->calls; c; c = c->next) {
		if (!strcmp(c->session_id, session_id))
			return c;
		for (int i = 0; i < VA_CALL_MAX_ALIASES; i++)
			if (c->aliases[i][0] && !strcmp(c->aliases[i], session_id))
				return c;
	}
	return NULL;
}

static void registry_add(struct va_server *srv, struct va_call *c)
{
	c->prev = NULL;
	c->next = srv->calls;
	if (srv->calls)
		srv->calls->prev = c;
	srv->calls = c;
	srv->n_calls++;
}

static void registry_remove(struct va_server *srv, struct va_call *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		srv->calls = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->next = c->prev = NULL;
	srv->n_calls--;
}

/* ---- lifecycle -------------------------------------------------------- */

static void on_timer_closed(uv_handle_t *h)
{
	free(h);
}

static void stop_grace_timer(struct va_call *c)
{
	if (!c->grace_timer)
		return;
	uv_timer_stop(c->grace_timer);
	uv_close((uv_handle_t *)c->grace_timer, on_timer_closed);
	c->grace_timer = NULL;
}

static void call_free(struct va_call *c)
{
	stop_grace_timer(c);
	if (c->agent)
		c->agent->ops->free(c->agent);
	for (size_t i = 0; i < c->n_turns; i++) {
		va_buf_release(&c->turns[i].text);
		free(c->turns[i].heard);
	}
	free(c->turns);
	free(c->details);
	free(c->handoff);
	free(c);
}

static void attach(struct va_call *c, const struct va_call_sink_ops *ops, void *sink)
{
	c->sink_ops = ops;
	c->sink = sink;
	c->sessions++;
	c->srv->n_active++;
}

int va_call_setup(struct va_server *srv, const char *tenant_id, const struct va_relay_setup *setup,
		  const struct va_call_sink_ops *ops, void *sink, struct va_call **out)
{
	return va_call_setup_with(srv, tenant_id, setup, NULL, ops, sink, out);
}

int va_call_setup_with(struct va_server *srv, const char *tenant_id,
		       const struct va_relay_setup *setup, const struct va_agent_factory *factory,
		       const struct va_call_sink_ops *ops, void *sink, struct va_call **out)
{
	const struct va_tenant *tenant = va_server_tenant(srv, tenant_id);
	struct va_call *c = va_call_find_by_sid(srv, setup->call_sid);
	struct va_agent_call info;

	if (!tenant)
		return VA_E_NOTFOUND;
	if (c) {
		/* Same call, new session: only the call's own tenant may resume it. */
		if (strcmp(c->tenant_id, tenant_id) != 0)
			return VA_E_FORBIDDEN;
		if (c->state == VA_CALL_ACTIVE && c->sink_ops) {
			/* A second live socket for one call: the newer one wins, the
			 * old transport is told to go. */
			c->sink_ops->close(c->sink);
			c->sink_ops = NULL;
			c->srv->n_active--;
		}
		if (current_agent_turn(c) && current_agent_turn(c)->open)
			c->agent->ops->on_interrupt(c->agent, c->turn_id, "");
		stop_grace_timer(c);
		if (strcmp(c->session_id, setup->session_id) != 0) {
			for (int i = 0; i < VA_CALL_MAX_ALIASES; i++) {
				if (!c->aliases[i][0] ||
				    !strcmp(c->aliases[i], setup->session_id)) {
					va_strlcpy(c->aliases[i], setup->session_id,
						   sizeof(c->aliases[i]));
					break;
				}
			}
		}
		set_state(c, VA_CALL_ACTIVE);
		attach(c, ops, sink);
		/* Whatever reply was streaming when the socket died is over. */
		if (current_agent_turn(c) && current_agent_turn(c)->open)
			close_agent_turn(c, "", true);
		c->turn_id++;
		VA_INFO("call", c->call_sid, "resumed", "session=%s sessions=%d turns=%zu",
			setup->session_id, c->sessions, c->n_turns);
		save_conv(c);
		*out = c;
		return VA_OK;
	}
	/* Capacity counts calls on the line; calls waiting out a reconnect grace
	 * are cheap but still bounded. */
	if (srv->draining || srv->n_active >= (size_t)srv->cfg.max_calls ||
	    srv->n_calls >= 2 * (size_t)srv->cfg.max_calls)
		return VA_E_BUSY;

	c = va_xcalloc(1, sizeof(*c));
	c->srv = srv;
	va_strlcpy(c->tenant_id, tenant_id, sizeof(c->tenant_id));
	va_strlcpy(c->call_sid, setup->call_sid, sizeof(c->call_sid));
	va_strlcpy(c->session_id, setup->session_id, sizeof(c->session_id));
	va_strlcpy(c->from, setup->from, sizeof(c->from));
	va_strlcpy(c->to, setup->to, sizeof(c->to));
	c->started_ms = va_clock_wall_ms();
	c->agent_turn = -1;
	c->state = VA_CALL_ACTIVE;

	info = (struct va_agent_call){
	    .loop = srv->loop,
	    .tenant = tenant,
	    .tz = va_server_tenant_tz(srv, tenant_id),
	    .store = srv->store,
	    .holds = srv->holds,
	    .http = srv->http,
	    .llm = &srv->llm,
	    .call_sid = c->call_sid,
	    .session_id = c->session_id,
	    .from = c->from,
	    .to = c->to,
	    .caller_name = setup->caller_name,
	};
	if (!factory)
		factory = srv->agent;
	c->agent = factory->create(&info, &host_ops, c);
	if (!c->agent) {
		VA_ERROR("call", c->call_sid, "agent_failed", "agent=%s", factory->name);
		free(c);
		return VA_E_STATE;
	}
	c->agent_name = factory->name;
	c->absorbs = factory == &va_agent_receptionist_factory;
	registry_add(srv, c);
	attach(c, ops, sink);
	srv->total_conversations++;
	VA_INFO("call", c->call_sid, "started", "tenant=%s session=%s agent=%s", tenant_id,
		c->session_id, c->agent_name);
	save_conv(c);
	*out = c;
	return VA_OK;
}

/* A new caller input supersedes whatever reply is streaming: that reply's
 * turn is closed as cut short, with everything sent counted as heard (Twilio
 * only tells us what was heard through an interrupt). */
static uint64_t begin_caller_turn(struct va_call *c, const char *text)
{
	struct va_turn *cur = current_agent_turn(c);
	struct va_turn *t, *a;
	uint64_t now = va_clock_mono_ns();

	if (cur && cur->open) {
		uint64_t old = c->turn_id;
		close_agent_turn(c, va_buf_cstr(&cur->text), true);
		c->agent->ops->on_interrupt(c->agent, old, va_buf_cstr(&cur->text));
		VA_INFO("call", c->call_sid, "reply_superseded", "turn=%llu",
			(unsigned long long)old);
	}
	c->turn_id++;
	t = add_turn(c, VA_TURN_CALLER);
	if (t) {
		va_buf_append_str(&t->text, text);
		t->ended_ms = t->started_ms;
		t->saved_final = true;
		save_turn(c, c->n_turns - 1);
	}
	a = add_turn(c, VA_TURN_AGENT);
	if (a) {
		a->open = true;
		a->t0_ns = now;
		c->agent_turn = (long)(c->n_turns - 1);
	} else {
		c->agent_turn = -1;
	}
	return c->turn_id;
}

void va_call_record_caller(struct va_call *c, const char *text)
{
	struct va_turn *t;

	if (!text || !text[0] || c->state == VA_CALL_ENDED)
		return;
	t = add_turn(c, VA_TURN_CALLER);
	if (!t)
		return;
	va_buf_append_str(&t->text, text);
	t->ended_ms = t->started_ms;
	t->saved_final = true;
	save_turn(c, c->n_turns - 1);
	if (c->absorbs)
		va_receptionist_absorb(c->agent, text);
}

void va_call_record_agent(struct va_call *c, const char *text, const char *heard, bool interrupted,
			  uint64_t t0_ns, int64_t first_us, int64_t last_us)
{
	struct va_turn *t;

	if (c->state == VA_CALL_ENDED)
		return;
	t = add_turn(c, VA_TURN_AGENT);
	if (!t)
		return;
	va_buf_append_str(&t->text, text ? text : "");
	t->interrupted = interrupted;
	if (interrupted)
		t->heard = va_xstrdup(heard ? heard : "");
	t->t0_ns = t0_ns;
	t->first_us = first_us;
	t->last_us = last_us;
	t->ended_ms = va_clock_wall_ms();
	t->saved_final = true;
	if (interrupted)
		c->interruptions++, c->srv->total_interruptions++;
	save_turn(c, c->n_turns - 1);
	if (first_us >= 0)
		va_latency_add_us(&c->srv->first_token, (uint64_t)first_us);
}

void va_call_set_detail(struct va_call *c, const char *key, const char *value)
{
	host_set_detail(c, key, value);
}

void va_call_set_agent_label(struct va_call *c, const char *name)
{
	c->agent_name = name;
	save_conv(c);
}

void va_call_set_handoff(struct va_call *c, const char *handoff_json)
{
	free(c->handoff);
	c->handoff = handoff_json ? va_xstrdup(handoff_json) : NULL;
}

int va_call_relay_failures(const struct va_call *c)
{
	return c->relay_failures;
}

void va_call_note_relay_failure(struct va_call *c)
{
	c->relay_failures++;
}

void va_call_on_prompt(struct va_call *c, const char *text, bool last)
{
	uint64_t turn;

	if (c->state != VA_CALL_ACTIVE)
		return;
	if (!last) {
		VA_DEBUG("call", c->call_sid, "partial_prompt", "len=%zu", strlen(text));
		return;
	}
	turn = begin_caller_turn(c, text);
	VA_INFO("call", c->call_sid, "prompt", "turn=%llu len=%zu", (unsigned long long)turn,
		strlen(text));
	c->agent->ops->on_prompt(c->agent, turn, text);
}

void va_call_on_interrupt(struct va_call *c, const char *heard, long duration_ms)
{
	struct va_turn *t = current_agent_turn(c);
	uint64_t old = c->turn_id;

	if (c->state != VA_CALL_ACTIVE || !t)
		return;
	c->interruptions++;
	c->srv->total_interruptions++;
	/* The turn may have finished streaming but still be playing: an
	 * interrupt then rewrites it with what was actually heard. */
	if (t->saved_final && !t->interrupted) {
		t->interrupted = true;
		free(t->heard);
		t->heard = va_xstrdup(heard);
		save_turn(c, (size_t)c->agent_turn);
	} else {
		close_agent_turn(c, heard, true);
	}
	c->turn_id++;
	c->end_after_turn = false;
	VA_INFO("call", c->call_sid, "interrupted", "turn=%llu heard_len=%zu duration_ms=%ld",
		(unsigned long long)old, strlen(heard), duration_ms);
	c->agent->ops->on_interrupt(c->agent, old, heard);
	save_conv(c);
}

void va_call_on_dtmf(struct va_call *c, char digit)
{
	char text[24];
	uint64_t turn;

	if (c->state != VA_CALL_ACTIVE)
		return;
	snprintf(text, sizeof(text), "[DTMF %c]", digit);
	turn = begin_caller_turn(c, text);
	VA_INFO("call", c->call_sid, "dtmf", "turn=%llu digit=%c", (unsigned long long)turn, digit);
	c->agent->ops->on_dtmf(c->agent, turn, digit);
}

void va_call_on_twilio_error(struct va_call *c, const char *description)
{
	char q[300];

	c->errors_from_twilio++;
	VA_WARN("call", c->call_sid, "twilio_error", "description=%s",
		va_log_quote(q, sizeof(q), description));
}

void va_call_finish(struct va_call *c, const char *reason)
{
	struct va_server *srv = c->srv;

	if (c->sink_ops) {
		c->sink_ops->close(c->sink);
		c->sink_ops = NULL;
		srv->n_active--;
	}
	/* An agent turn opened for a reply that never came is not a turn. */
	if (current_agent_turn(c) && current_agent_turn(c)->open &&
	    current_agent_turn(c)->text.len == 0 && c->agent_turn == (long)c->n_turns - 1) {
		va_buf_release(&c->turns[c->n_turns - 1].text);
		free(c->turns[c->n_turns - 1].heard);
		c->n_turns--;
		c->agent_turn = -1;
	}
	if (current_agent_turn(c) && current_agent_turn(c)->open)
		close_agent_turn(c, va_buf_cstr(&current_agent_turn(c)->text), true);
	c->turn_id++;
	c->agent->ops->on_end(c->agent);
	set_state(c, VA_CALL_ENDED);
	if (reason != c->end_reason)
		va_strlcpy(c->end_reason, reason, sizeof(c->end_reason));
	c->ended_ms = va_clock_wall_ms();
	save_conv(c);
	VA_INFO("call", c->call_sid, "finished",
		"reason=%s turns=%zu interruptions=%d seconds=%lld", reason, c->n_turns,
		c->interruptions, (long long)((c->ended_ms - c->started_ms) / 1000));
	registry_remove(srv, c);
	call_free(c);
}

static void on_grace_over(uv_timer_t *t)
{
	struct va_call *c = t->data;

	VA_INFO("call", c->call_sid, "reconnect_grace_over", "");
	va_call_finish(c, c->end_reason[0] ? c->end_reason : "dropped");
}

void va_call_detach(struct va_call *c)
{
	if (!c->sink_ops)
		return;
	c->sink_ops = NULL;
	c->sink = NULL;
	c->srv->n_active--;
	if (c->state == VA_CALL_ENDING || c->state == VA_CALL_ENDED) {
		/* Keep an ended call until Twilio's action callback can read its
		 * handoff, but not forever. */
		set_state(c, VA_CALL_DETACHED);
	} else {
		set_state(c, VA_CALL_DETACHED);
		VA_INFO("call", c->call_sid, "detached", "grace_ms=%d",
			c->srv->cfg.reconnect_grace_ms);
	}
	if (current_agent_turn(c) && current_agent_turn(c)->open) {
		uint64_t old = c->turn_id;
		close_agent_turn(c, va_buf_cstr(&current_agent_turn(c)->text), true);
		c->turn_id++;
		c->agent->ops->on_interrupt(c->agent, old, "");
	}
	save_conv(c);
	c->grace_timer = va_xmalloc(sizeof(*c->grace_timer));
	uv_timer_init(c->srv->loop, c->grace_timer);
	c->grace_timer->data = c;
	uv_timer_start(c->grace_timer, on_grace_over, (uint64_t)c->srv->cfg.reconnect_grace_ms, 0);
}

void va_call_snapshot(const struct va_call *c, struct va_conv_loaded *out)
{
	memset(out, 0, sizeof(*out));
	conv_row(c, &out->conv);
	out->turns = va_xcalloc(c->n_turns ? c->n_turns : 1, sizeof(*out->turns));
	for (size_t i = 0; i < c->n_turns; i++) {
		/* Skip the empty agent turn waiting for a reply. */
		if (c->turns[i].role == VA_TURN_AGENT && c->turns[i].open &&
		    c->turns[i].text.len == 0)
			continue;
		turn_row(c, i, &out->turns[out->n_turns]);
		out->turns[out->n_turns].text = va_xstrdup(va_buf_cstr(&c->turns[i].text));
		out->turns[out->n_turns].heard =
		    c->turns[i].heard ? va_xstrdup(c->turns[i].heard) : NULL;
		out->n_turns++;
	}
}
