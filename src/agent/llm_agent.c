/* SPDX-License-Identifier: MIT */
/*
 * llm_agent.c - the language-model agent (see llm_agent.h).
 *
 * A turn: the caller's words join the history; a streaming request goes out
 * on the loop; content deltas go to the caller as they arrive; tool calls are
 * assembled, run against the scheduling core, their results appended, and
 * the model asked again (a few rounds at most). A first-token timer guards
 * the caller from silence: past it, or on any model failure, the embedded
 * receptionist takes over this turn and the rest of the call, having taken
 * in everything the caller said so far.
 *
 * Barge-in: the stream is aborted at once (the model server sees the
 * connection close), and the history keeps the assistant message cut to what
 * the caller heard.
 */
#include "agent/llm_agent.h"
#include "agent/receptionist.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "llm/http_stream.h"
#include "llm/openai.h"
#include "llm/instructions.h"
#include "llm/tools.h"
#include "schedule/slots.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_ROUNDS  4
#define MAX_HISTORY 200
#define SSE_MAX	    (1 << 20)

struct la {
	struct va_agent base;
	uv_loop_t *loop;
	const struct va_tenant *tenant;
	const struct va_tz *tz;
	struct va_store *store;
	struct va_holds *holds;
	struct va_llm_http *http;
	struct va_llm_settings llm;
	char call_sid[64], session_id[64], caller[24];

	struct va_llm_message hist[MAX_HISTORY];
	size_t n_hist;

	/* the turn */
	uint64_t turn;
	char *prompt; /* the caller's words of this turn (for a fallback) */
	struct va_llm_req *req;
	long status;
	struct va_buf errbody;
	struct va_sse sse;
	struct va_llm_chunk_parser cp;
	struct va_llm_calls calls;
	struct va_buf said; /* content streamed this round */
	bool got_done;
	bool stream_error;
	bool spoke; /* a token reached the caller this turn */
	int rounds, retries;
	uv_timer_t *timer;  /* first-token guard, then retry delay */
	bool retry_pending; /* waiting out a 429 */
	bool want_retry;    /* the response in flight is a 429 worth retrying */
	long replied_idx;   /* history index of the last finished reply, -1 none */
	struct va_tool_run *runs[VA_LLM_MAX_CALLS];
	char *results[VA_LLM_MAX_CALLS];
	char call_ids[VA_LLM_MAX_CALLS][64];
	struct tool_slot {
		struct la *a;
		size_t i;
	} slots[VA_LLM_MAX_CALLS];
	size_t n_runs, runs_done;
	long retry_ms;
	enum va_tool_action after;
	char handoff[300];
	uint64_t t_prompt, t_sent, t_first;

	struct va_agent *fallback; /* the receptionist, once it took over */
	bool over;
	bool lookup_pending; /* the caller's patient record is being read */
	bool freed;	     /* free() came while it was */
};

static void start_round(struct la *a);

/* ---- helpers ---------------------------------------------------------- */

static void hist_add(struct la *a, enum va_llm_role role, const char *content)
{
	struct va_llm_message *m;

	if (a->n_hist == MAX_HISTORY) {
		/* Keep the system prompt; drop the oldest exchange whole (up to the
		 * next caller message), so no tool result loses its call. */
		size_t k = 2;
		while (k < a->n_hist && a->hist[k].role != VA_LLM_USER)
			k++;
		for (size_t i = 1; i < k; i++)
			va_llm_message_release(&a->hist[i]);
		memmove(&a->hist[1], &a->hist[k], (a->n_hist - k) * sizeof(a->hist[0]));
		a->n_hist -= k - 1;
		a->replied_idx = -1;
	}
	m = &a->hist[a->n_hist++];
	memset(m, 0, sizeof(*m));
	m->role = role;
	m->content = content ? va_xstrdup(content) : NULL;
}

static void stop_timer(struct la *a)
{
	if (a->timer)
		uv_timer_stop(a->timer);
}

static void cancel_tools(struct la *a)
{
	for (size_t i = 0; i < a->n_runs; i++) {
		if (a->runs[i])
			va_tool_cancel(a->runs[i]);
		a->runs[i] = NULL;
		/* Every tool call in the history needs its answer, or the model
		 * server refuses the next request. */
		hist_add(a, VA_LLM_TOOL,
			 a->results[i] ? a->results[i]
				       : "{\"error\":\"interrupted by the caller; the result is "
					 "unknown (check with find_appointments)\"}");
		va_strlcpy(a->hist[a->n_hist - 1].tool_call_id, a->call_ids[i],
			   sizeof(a->hist[0].tool_call_id));
		free(a->results[i]);
		a->results[i] = NULL;
	}
	a->n_runs = a->runs_done = 0;
}

static void reset_stream(struct la *a)
{
	va_sse_release(&a->sse);
	va_sse_init(&a->sse, SSE_MAX);
	va_llm_chunk_parser_release(&a->cp);
	va_llm_calls_release(&a->calls);
	va_llm_calls_init(&a->calls);
	va_buf_reset(&a->said);
	va_buf_reset(&a->errbody);
	a->got_done = false;
	a->stream_error = false;
	a->want_retry = false;
	a->status = 0;
}

/* Stops whatever the model is doing for the current turn. */
static void abort_turn(struct la *a)
{
	if (a->req) {
		va_llm_req_abort(a->req);
		a->req = NULL;
	}
	cancel_tools(a);
	stop_timer(a);
	a->retry_pending = false;
}

/* ---- fallback --------------------------------------------------------- */

/* The receptionist takes this turn and the rest of the call. */
static void fall_back(struct la *a, const char *why)
{
	struct va_agent_call info;

	abort_turn(a);
	VA_WARN("llm", a->call_sid, "fallback_to_receptionist", "reason=%s spoke=%d", why,
		a->spoke);
	a->base.host_ops->set_detail(a->base.host, "agent", "receptionist (model fallback)");
	a->base.host_ops->set_detail(a->base.host, "fallback_reason", why);
	if (!a->fallback) {
		info = (struct va_agent_call){.loop = a->loop,
					      .tenant = a->tenant,
					      .tz = a->tz,
					      .store = a->store,
					      .holds = a->holds,
					      .call_sid = a->call_sid,
					      .session_id = a->session_id,
					      .from = a->caller};
		a->fallback =
		    va_agent_receptionist_factory.create(&info, a->base.host_ops, a->base.host);
		if (!a->fallback)
			return;
		/* What the caller said before this turn (this turn's words come
		 * as its prompt). */
		size_t last_user = a->n_hist;
		for (size_t i = 0; i < a->n_hist; i++)
			if (a->hist[i].role == VA_LLM_USER)
				last_user = i;
		for (size_t i = 0; i < a->n_hist; i++)
			if (a->hist[i].role == VA_LLM_USER && a->hist[i].content &&
			    (i != last_user || !a->prompt))
				va_receptionist_absorb(a->fallback, a->hist[i].content);
	}
	/* Words already spoken this turn stay; a pause joins them to what follows. */
	if (a->spoke)
		va_agent_token(&a->base, a->turn, "... ", 4);
	if (a->prompt)
		a->fallback->ops->on_prompt(a->fallback, a->turn, a->prompt);
}

static void on_timer(uv_timer_t *t)
{
	struct la *a = t->data;

	if (a->retry_pending) {
		int64_t left =
		    a->llm.first_token_ms - (int64_t)((va_clock_mono_ns() - a->t_prompt) / 1000000);
		a->retry_pending = false;
		start_round(a);
		/* The caller is still waiting: the first-token guard goes on. */
		if (a->req && !a->fallback)
			uv_timer_start(a->timer, on_timer, (uint64_t)(left > 1 ? left : 1), 0);
		return;
	}
	if (!a->spoke)
		fall_back(a, "first token too late");
}

/* ---- the stream ------------------------------------------------------- */

static void emit(struct la *a, const char *p, size_t n)
{
	if (!n)
		return;
	if (!a->spoke) {
		a->spoke = true;
		a->t_first = va_clock_mono_ns();
		stop_timer(a);
		VA_DEBUG("llm", a->call_sid, "first_token",
			 "prompt_to_request_us=%llu request_to_token_us=%llu",
			 (unsigned long long)((a->t_sent - a->t_prompt) / 1000),
			 (unsigned long long)((a->t_first - a->t_sent) / 1000));
		if (a->base.host_ops->turn_timing)
			a->base.host_ops->turn_timing(a->base.host, a->turn,
						      (int64_t)((a->t_sent - a->t_prompt) / 1000),
						      (int64_t)((a->t_first - a->t_prompt) / 1000));
	}
	va_buf_append(&a->said, p, n);
	if (va_agent_token(&a->base, a->turn, p, n) != VA_OK)
		abort_turn(a); /* the caller moved on */
}

static int on_event(const char *data, size_t len, void *arg)
{
	struct la *a = arg;
	struct va_llm_chunk c;

	if (va_llm_chunk_parse(&a->cp, data, len, &c) != VA_OK || c.is_error) {
		a->stream_error = true;
		return -1;
	}
	if (c.done) {
		a->got_done = true;
		return 0;
	}
	if (c.content && c.content_len)
		emit(a, c.content, c.content_len);
	if (!a->req)
		return -1; /* the caller moved on */
	/* Some servers end with finish_reason and never send [DONE]. */
	if (c.finish == VA_LLM_FINISH_STOP || c.finish == VA_LLM_FINISH_LENGTH)
		a->got_done = true;
	for (size_t i = 0; i < c.n_tools; i++)
		if (va_llm_calls_add(&a->calls, &c.tools[i]) != VA_OK) {
			a->stream_error = true;
			return -1;
		}
	return 0;
}

static void on_headers(struct va_llm_req *r, long status, long retry_after, void *arg)
{
	struct la *a = arg;

	if (r != a->req)
		return;
	a->status = status;
	if (status == 429 && a->retries < a->llm.max_retries && !a->spoke) {
		/* Retry within the first-token budget, if the wait fits. */
		long ms = retry_after >= 0 ? retry_after * 1000 : 250;
		if (ms < 250)
			ms = 250;
		if ((int64_t)((va_clock_mono_ns() - a->t_prompt) / 1000000) + ms <
		    a->llm.first_token_ms) {
			a->retries++;
			a->want_retry = true;
			a->retry_ms = ms;
		}
	}
}

static int on_data(struct va_llm_req *r, const char *p, size_t n, void *arg)
{
	struct la *a = arg;

	if (r != a->req)
		return 1; /* not the current request: never speak for it */

	if (a->status != 200) {
		va_buf_append(&a->errbody, p, n);
		return 0;
	}
	int rc = va_sse_feed(&a->sse, p, n, on_event, a);

	if (!a->req)
		return 1; /* aborted from inside emit(): the caller moved on */
	if (rc == VA_E_TOOBIG)
		a->stream_error = true;
	if (a->stream_error) {
		/* A returning non-zero ends the request without on_done. */
		a->req = NULL;
		fall_back(a, "malformed stream");
		return 1;
	}
	return 0;
}

static void tool_done(char *result, enum va_tool_action action, const char *dkey, const char *dval,
		      void *arg);

static void run_tools(struct la *a)
{
	struct va_llm_message *m;
	struct va_tools_ctx ctx = {.tenant = a->tenant,
				   .tz = a->tz,
				   .store = a->store,
				   .holds = a->holds,
				   .owner = a->call_sid,
				   .session_id = a->session_id,
				   .caller_phone = a->caller,
				   .now = (int64_t)time(NULL)};

	hist_add(a, VA_LLM_ASSISTANT, a->said.len ? va_buf_cstr(&a->said) : NULL);
	m = &a->hist[a->n_hist - 1];
	for (size_t i = 0; i < a->calls.n; i++) {
		va_strlcpy(m->calls[i].id, a->calls.c[i].id, sizeof(m->calls[i].id));
		va_strlcpy(m->calls[i].name, a->calls.c[i].name, sizeof(m->calls[i].name));
		m->calls[i].arguments = va_xstrdup(va_buf_cstr(&a->calls.c[i].args));
	}
	m->n_calls = a->calls.n;
	a->n_runs = a->calls.n;
	a->runs_done = 0;
	for (size_t i = 0; i < m->n_calls; i++)
		va_strlcpy(a->call_ids[i], m->calls[i].id, sizeof(a->call_ids[i]));
	for (size_t i = 0; i < m->n_calls; i++) {
		VA_INFO("llm", a->call_sid, "tool_call", "tool=%s", m->calls[i].name);
		a->slots[i] = (struct tool_slot){a, i};
		if (va_tool_run(&ctx, m->calls[i].name, m->calls[i].arguments, tool_done,
				&a->slots[i], &a->runs[i]) != VA_OK)
			tool_done(va_xstrdup("{\"error\":\"the schedule is busy\"}"),
				  VA_TOOL_CONTINUE, NULL, NULL, &a->slots[i]);
	}
}

/* Each tool's result; when all are in, they go back to the model. */
static void tool_done(char *result, enum va_tool_action action, const char *dkey, const char *dval,
		      void *arg)
{
	struct tool_slot *slot = arg;
	struct la *a = slot->a;

	free(a->results[slot->i]);
	a->results[slot->i] = result;
	a->runs[slot->i] = NULL;
	a->runs_done++;
	if (action != VA_TOOL_CONTINUE)
		a->after = action;
	if (action == VA_TOOL_TRANSFER && dval)
		va_strlcpy(a->handoff, dval, sizeof(a->handoff));
	else if (dkey && dval)
		a->base.host_ops->set_detail(a->base.host, dkey, dval);
	if (a->runs_done < a->n_runs)
		return;
	for (size_t i = 0; i < a->n_runs; i++) {
		hist_add(a, VA_LLM_TOOL,
			 a->results[i] ? a->results[i] : "{\"error\":\"no result\"}");
		va_strlcpy(a->hist[a->n_hist - 1].tool_call_id, a->call_ids[i],
			   sizeof(a->hist[0].tool_call_id));
		free(a->results[i]);
		a->results[i] = NULL;
	}
	a->n_runs = a->runs_done = 0;
	if (++a->rounds >= MAX_ROUNDS) {
		fall_back(a, "too many tool rounds");
		return;
	}
	start_round(a);
}

static void end_of_reply(struct la *a)
{
	char json[400], q[320];

	stop_timer(a);
	hist_add(a, VA_LLM_ASSISTANT, va_buf_cstr(&a->said));
	a->replied_idx = (long)a->n_hist - 1;
	va_buf_reset(&a->said);
	va_agent_end_turn(&a->base, a->turn);
	if (a->after == VA_TOOL_TRANSFER) {
		snprintf(json, sizeof(json),
			 "{\"reasonCode\":\"live-agent-handoff\",\"reason\":%s}",
			 va_log_quote(q, sizeof(q), a->handoff[0] ? a->handoff : "transfer"));
		a->base.host_ops->end_call(a->base.host, json);
	} else if (a->after == VA_TOOL_END_CALL) {
		a->base.host_ops->end_call(a->base.host, NULL);
	}
}

static void on_done(struct va_llm_req *r, int err, long status, void *arg)
{
	struct la *a = arg;
	char msg[200];

	if (r != a->req)
		return;
	a->req = NULL;
	if (a->want_retry) {
		a->want_retry = false;
		a->retry_pending = true;
		/* A 429 within budget: try again after the wait. */
		VA_INFO("llm", a->call_sid, "model_retry", "status=429 wait_ms=%ld attempt=%d",
			a->retry_ms, a->retries);
		uv_timer_stop(a->timer);
		uv_timer_start(a->timer, on_timer, (uint64_t)a->retry_ms, 0);
		reset_stream(a);
		return;
	}
	if (err != VA_OK || status != 200 || a->stream_error ||
	    (!a->got_done && !a->calls.n && !a->said.len)) {
		char q[260];
		if (status != 200 && va_llm_error_message(va_buf_cstr(&a->errbody), a->errbody.len,
							  msg, sizeof(msg)) == VA_OK)
			VA_WARN("llm", a->call_sid, "model_error", "status=%ld message=%s", status,
				va_log_quote(q, sizeof(q), msg));
		fall_back(a, err == VA_E_TIMEOUT ? "model timeout"
			     : err != VA_OK	 ? "model unreachable"
			     : status != 200	 ? "model error"
						 : "malformed stream");
		return;
	}
	if (a->calls.n) {
		run_tools(a);
		return;
	}
	if (!a->got_done && a->said.len) {
		/* Cut mid-reply: what was said stands; the receptionist goes on. */
		fall_back(a, "stream stopped mid-reply");
		return;
	}
	if (!a->spoke && !a->said.len && a->after == VA_TOOL_CONTINUE) {
		/* A reply with nothing in it: the caller must not sit in silence. */
		fall_back(a, "empty reply");
		return;
	}
	end_of_reply(a);
}

static const struct va_llm_req_cbs cbs = {
    .on_headers = on_headers,
    .on_data = on_data,
    .on_done = on_done,
};

static void start_round(struct la *a)
{
	struct va_llm_request rq = {.model = a->llm.model,
				    .temperature = a->llm.temperature,
				    .max_tokens = 300,
				    .messages = a->hist,
				    .n_messages = a->n_hist,
				    .tools = va_tools,
				    .n_tools = va_n_tools};
	struct va_buf body = VA_BUF_INIT(4u << 20);
	char url[300], auth[300];
	const char *headers[2] = {NULL, NULL};

	reset_stream(a);
	if (va_llm_request_json(&rq, &body) != VA_OK) {
		va_buf_release(&body);
		fall_back(a, "request too large");
		return;
	}
	snprintf(url, sizeof(url), "%s/chat/completions", a->llm.base_url);
	if (a->llm.api_key[0]) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", a->llm.api_key);
		headers[0] = auth;
	}
	a->t_sent = va_clock_mono_ns();
	if (va_llm_http_post(a->http, url, headers, body.data, body.len, a->llm.timeout_ms, &cbs, a,
			     &a->req) != VA_OK) {
		a->req = NULL;
		va_buf_release(&body);
		fall_back(a, "model unreachable");
		return;
	}
	explicit_bzero(auth, sizeof(auth));
	va_buf_release(&body);
}

/* ---- the system prompt ------------------------------------------------- */

static void system_prompt(struct la *a, struct va_buf *b)
{
	va_llm_instructions(a->tenant, a->tz, (int64_t)time(NULL), a->caller, b);
}

/* ---- the agent interface ---------------------------------------------- */

static void la_on_prompt(struct va_agent *ag, uint64_t turn, const char *text)
{
	struct la *a = (struct la *)ag;

	if (a->fallback) {
		a->fallback->ops->on_prompt(a->fallback, turn, text);
		return;
	}
	/* A new prompt while a reply streams: that reply is over. */
	abort_turn(a);
	a->turn = turn;
	a->spoke = false;
	a->rounds = 0;
	a->retries = 0;
	a->after = VA_TOOL_CONTINUE;
	a->handoff[0] = '\0';
	a->replied_idx = -1;
	free(a->prompt);
	a->prompt = va_xstrdup(text);
	a->t_prompt = va_clock_mono_ns();
	hist_add(a, VA_LLM_USER, text[0] ? text : "(the caller said nothing)");
	uv_timer_start(a->timer, on_timer, (uint64_t)a->llm.first_token_ms, 0);
	start_round(a);
}

static void la_on_interrupt(struct va_agent *ag, uint64_t turn, const char *heard)
{
	struct la *a = (struct la *)ag;

	if (a->fallback) {
		a->fallback->ops->on_interrupt(a->fallback, turn, heard);
		return;
	}
	if (turn != a->turn)
		return;
	abort_turn(a);
	/* The history keeps what the caller actually heard: a finished reply
	 * still playing is cut in place; a streaming one is recorded cut. */
	if (!a->said.len && a->replied_idx >= 0 && (size_t)a->replied_idx == a->n_hist - 1) {
		free(a->hist[a->replied_idx].content);
		a->hist[a->replied_idx].content = va_xstrdup(heard);
	} else if (a->said.len || heard[0]) {
		hist_add(a, VA_LLM_ASSISTANT, heard);
	}
	va_buf_reset(&a->said);
}

static void la_on_dtmf(struct va_agent *ag, uint64_t turn, char digit)
{
	struct la *a = (struct la *)ag;
	char text[48];

	if (a->fallback) {
		a->fallback->ops->on_dtmf(a->fallback, turn, digit);
		return;
	}

	snprintf(text, sizeof(text), "(the caller pressed %c on the keypad)", digit);
	la_on_prompt(ag, turn, text);
}

static void la_on_end(struct va_agent *ag)
{
	struct la *a = (struct la *)ag;

	a->over = true;
	abort_turn(a);
	if (a->fallback)
		a->fallback->ops->on_end(a->fallback);
	if (a->holds)
		va_holds_release(a->holds, a->call_sid);
}

static void la_destroy(struct la *a);

/* What the practice already knows of the caller joins the system prompt. */
static void on_patient(int status, const struct va_appointment *p, void *arg)
{
	struct la *a = arg;
	char line[300];
	size_t n;

	a->lookup_pending = false;
	if (a->freed) {
		la_destroy(a);
		return;
	}
	if (status != VA_OK || !p || !a->n_hist || !a->hist[0].content)
		return;
	snprintf(line, sizeof(line),
		 "The caller is a known patient of the practice: %s%s%s (an existing patient; "
		 "confirm the name before booking).\n",
		 p->patient_name, p->dob[0] ? ", born " : "", p->dob[0] ? p->dob : "");
	n = strlen(a->hist[0].content);
	a->hist[0].content = va_xrealloc(a->hist[0].content, n + strlen(line) + 1);
	memcpy(a->hist[0].content + n, line, strlen(line) + 1);
}

static void on_timer_closed(uv_handle_t *h)
{
	struct la *a = h->data;

	for (size_t i = 0; i < a->n_hist; i++)
		va_llm_message_release(&a->hist[i]);
	va_sse_release(&a->sse);
	va_llm_chunk_parser_release(&a->cp);
	va_llm_calls_release(&a->calls);
	va_buf_release(&a->said);
	va_buf_release(&a->errbody);
	free(a->prompt);
	explicit_bzero(&a->llm, sizeof(a->llm));
	free(a->timer);
	free(a);
}

static void la_destroy(struct la *a)
{
	a->timer->data = a;
	uv_close((uv_handle_t *)a->timer, on_timer_closed);
}

static void la_free(struct va_agent *ag)
{
	struct la *a = (struct la *)ag;

	abort_turn(a);
	if (a->fallback)
		a->fallback->ops->free(a->fallback);
	a->fallback = NULL;
	if (a->lookup_pending) {
		a->freed = true; /* the lookup's completion finishes the job */
		return;
	}
	la_destroy(a);
}

static const struct va_agent_ops la_ops = {
    .name = "llm",
    .on_prompt = la_on_prompt,
    .on_interrupt = la_on_interrupt,
    .on_dtmf = la_on_dtmf,
    .on_end = la_on_end,
    .free = la_free,
};

static void digits_of(const char *from, char *dst, size_t dstsz)
{
	size_t o = 0;

	for (; from && *from && o + 1 < dstsz; from++)
		if (*from >= '0' && *from <= '9')
			dst[o++] = *from;
	dst[o] = '\0';
	if (o == 11 && dst[0] == '1')
		memmove(dst, dst + 1, o);
}

void va_llm_settings_apply_tenant(struct va_llm_settings *s, const struct va_tenant_llm *t)
{
	const char *env;
	size_t n;

	if (t->base_url[0]) {
		s->enabled = true;
		va_strlcpy(s->base_url, t->base_url, sizeof(s->base_url));
		n = strlen(s->base_url);
		while (n && s->base_url[n - 1] == '/')
			s->base_url[--n] = '\0';
	}
	if (t->model[0])
		va_strlcpy(s->model, t->model, sizeof(s->model));
	if (t->api_key[0])
		va_strlcpy(s->api_key, t->api_key, sizeof(s->api_key));
	else if (t->api_key_env[0] && (env = getenv(t->api_key_env)) != NULL)
		va_strlcpy(s->api_key, env, sizeof(s->api_key));
	if (t->temperature >= 0)
		s->temperature = t->temperature;
	if (t->first_token_ms > 0)
		s->first_token_ms = t->first_token_ms;
	if (t->timeout_ms > 0)
		s->timeout_ms = t->timeout_ms;
}

static struct va_agent *la_create(const struct va_agent_call *call,
				  const struct va_agent_host_ops *host_ops, void *host)
{
	struct la *a;
	struct va_buf sys = VA_BUF_INIT(64 * 1024);

	struct va_llm_settings eff;

	/* The server's settings, overlaid with the practice's own. */
	if (call->llm)
		eff = *call->llm;
	else
		va_llm_settings_from_env(&eff);
	if (call->tenant)
		va_llm_settings_apply_tenant(&eff, &call->tenant->llm);
	if (!eff.enabled || !call->http)
		return va_agent_receptionist_factory.create(call, host_ops, host);
	a = va_xcalloc(1, sizeof(*a));
	a->base.ops = &la_ops;
	a->base.host_ops = host_ops;
	a->base.host = host;
	a->loop = call->loop;
	a->tenant = call->tenant;
	a->tz = call->tz;
	a->store = call->store;
	a->holds = call->holds;
	a->http = call->http;
	a->llm = eff;
	explicit_bzero(&eff, sizeof(eff));
	va_strlcpy(a->call_sid, call->call_sid ? call->call_sid : "", sizeof(a->call_sid));
	va_strlcpy(a->session_id, call->session_id ? call->session_id : "", sizeof(a->session_id));
	if (call->from && strncmp(call->from, "client:", 7) != 0)
		digits_of(call->from, a->caller, sizeof(a->caller));
	va_sse_init(&a->sse, SSE_MAX);
	va_llm_calls_init(&a->calls);
	a->replied_idx = -1;
	va_buf_init(&a->said, 64 * 1024);
	va_buf_init(&a->errbody, 64 * 1024);
	a->timer = va_xmalloc(sizeof(*a->timer));
	uv_timer_init(a->loop, a->timer);
	a->timer->data = a;
	system_prompt(a, &sys);
	hist_add(a, VA_LLM_SYSTEM, va_buf_cstr(&sys));
	va_buf_release(&sys);
	host_ops->set_detail(host, "agent", "llm");
	if (a->store && a->caller[0] &&
	    va_store_patient_find(a->store, a->tenant->id, a->caller, on_patient, a) == VA_OK)
		a->lookup_pending = true;
	return &a->base;
}

const struct va_agent_factory va_agent_llm_factory = {
    .name = "llm",
    .description = "a language model (OpenAI-compatible) when configured, else the "
		   "receptionist",
    .create = la_create,
};

static int env_int(const char *name, int def)
{
	const char *v = getenv(name);
	return v && *v ? atoi(v) : def;
}

void va_llm_settings_from_env(struct va_llm_settings *s)
{
	const char *key = getenv("OPENAI_API_KEY"), *base = getenv("OPENAI_BASE_URL"),
		   *model = getenv("OPENAI_MODEL"), *temp = getenv("VOICEAI_LLM_TEMPERATURE");
	size_t n;

	memset(s, 0, sizeof(*s));
	s->enabled = (key && *key) || (base && *base);
	va_strlcpy(s->base_url, base && *base ? base : "https://api.openai.com/v1",
		   sizeof(s->base_url));
	n = strlen(s->base_url);
	while (n && s->base_url[n - 1] == '/')
		s->base_url[--n] = '\0';
	va_strlcpy(s->model, model && *model ? model : "gpt-4o-mini", sizeof(s->model));
	va_strlcpy(s->api_key, key ? key : "", sizeof(s->api_key));
	s->temperature = temp && *temp ? atof(temp) : 0.3;
	s->first_token_ms = env_int("VOICEAI_LLM_FIRST_TOKEN_MS", 1500);
	s->timeout_ms = env_int("VOICEAI_LLM_TIMEOUT_MS", 20000);
	s->max_retries = env_int("VOICEAI_LLM_RETRIES", 2);
}
