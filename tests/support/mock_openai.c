/* SPDX-License-Identifier: MIT */
/*
 * mock_openai.c - a mock OpenAI-compatible Chat Completions server for the
 * integration tests and the benchmark. It speaks the streaming wire format of
 * the real API (protocols.md §6: SSE over chunked HTTP/1.1, chunk shapes,
 * tool-call deltas, JSON error bodies) with a scripted behaviour chosen per
 * request, and records what it saw (including clients that hang up mid-reply)
 * under GET /_log. One libuv loop serves every connection, so the benchmark's
 * hundreds of concurrent streams cost no threads; delays are loop timers.
 * See mock_openai.md for the behaviours.
 */
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <time.h>
#include <uv.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"

#define MOCK_HDR_MAX	    (64 * 1024)
#define MOCK_BODY_MAX	    (8 * 1024 * 1024)
#define MOCK_INBUF_MAX	    (MOCK_HDR_MAX + MOCK_BODY_MAX + 64 * 1024)
#define MOCK_OUT_MAX	    (32 * 1024 * 1024)
#define MOCK_BODIES_KEPT    50
#define MOCK_SPLIT_DELAY_MS 10
#define MOCK_SLOW_DEFAULT   3000
#define MOCK_LONG_TOKEN_MS  20
#define MOCK_LONG_WORDS	    200
#define MOCK_QUOTE_MAX	    80

static const char plain_reply[] = "Sure, I can help with that.";
static const char default_tool[] = "check_availability";
static const char tool_args_cleaning[] =
    "{\"service\":\"cleaning\",\"earliest\":\"2026-12-01T12:00:00-05:00\","
    "\"latest\":\"2026-12-01T17:00:00-05:00\"}";
static const char tool_args_exam[] =
    "{\"service\":\"exam\",\"earliest\":\"2026-12-01T12:00:00-05:00\","
    "\"latest\":\"2026-12-01T17:00:00-05:00\"}";

enum mock_scenario {
	SC_PLAIN,
	SC_ECHO,
	SC_TOOL_FRAGMENTS,
	SC_PARALLEL_TOOLS,
	SC_TOOL_THEN_ANSWER,
	SC_SCRIPT,
	SC_ERROR500,
	SC_RATELIMIT,
	SC_SLOW,
	SC_MIDSTOP,
	SC_SPLIT,
	SC_LONG,
	SC_MALFORMED,
	SC_INSTREAM_ERROR,
	SC_RATELIMIT_BRIEF,
	SC_COUNT
};

static const char *const scenario_names[SC_COUNT] = {
    "plain",  "echo",	  "tool_fragments", "parallel_tools", "tool_then_answer",
    "script", "error500", "ratelimit",	    "slow",	      "midstop",
    "split",  "long",	  "malformed",	    "instream_error", "ratelimit_brief",
};

struct mock_opts {
	int port;
	int first_token_ms; /* -1: not given, the scenario's default applies */
	int token_ms;	    /* -1: likewise */
	int no_auth;
	int ratelimit_n;
	const char *log_path;
	const char *script_path;
	const char *default_scenario;
};

struct mock_step {
	char *data;
	size_t len;
	unsigned delay_ms; /* waited before this step is written */
	int event;	   /* counts as one SSE event in the log */
};

struct mock_resp {
	struct mock_step *steps;
	size_t n, cap, next;
	int active;
	int close_after; /* close the connection once everything is written */
	int streaming;	 /* SSE: a hang-up before the end is a disconnect */
	json_t *entry;	 /* the request's log entry (own reference) */
	unsigned events;
};

struct mock_server;

struct mock_conn {
	uv_tcp_t tcp;
	uv_timer_t timer;
	uv_shutdown_t shutdown;
	struct mock_server *srv;
	struct mock_conn *prev, *next;
	struct va_buf in;
	struct mock_resp resp;
	int closing; /* no more requests or writes */
	int closed;  /* uv_close issued */
	int handles_open;
	int waited; /* the delay of resp.steps[resp.next] has elapsed */
	int sent_continue;
};

struct mock_server {
	uv_loop_t loop;
	uv_tcp_t listener;
	uv_signal_t sigterm, sigint;
	struct mock_opts opt;
	struct mock_conn *conns;
	json_t *requests; /* log entries, oldest first */
	json_t *bodies;	  /* [{n, body}] of the last MOCK_BODIES_KEPT requests */
	json_t *script;
	unsigned long nreq;
	unsigned long disconnects;
	int ratelimited;
	unsigned long brief_seen; /* ratelimit_brief requests: odd ones get 429 */
	FILE *logf;
	int stopping;
};

struct mock_req {
	char method[16];
	char path[512];
	int keep_alive;
	int auth; /* 0: no Authorization, 1: not a usable bearer token, 2: ok */
	char *body;
	size_t body_len;
};

/* Everything one streamed reply needs while its events are generated. */
struct mock_gen {
	struct mock_conn *c;
	const char *model;
	char id[48];
	json_int_t created;
	unsigned long n;
	int include_usage;
	unsigned first_delay, token_delay;
	int stage; /* 0: next event is the first, 1: the one right after, 2: others */
	int split;
	unsigned prompt_tokens, completion_tokens;
};

struct mock_call {
	const char *name;
	const char *args;
};

static struct mock_server server;

static void conn_close(struct mock_conn *c);
static void conn_process(struct mock_conn *c);

/* ---- log entries ---- */

static void entry_emit_line(struct mock_server *srv, json_t *entry)
{
	char *s;

	if (!srv->logf)
		return;
	s = json_dumps(entry, JSON_COMPACT);
	if (s) {
		fprintf(srv->logf, "%s\n", s);
		fflush(srv->logf);
		free(s);
	}
}

static void entry_mark_completed(struct mock_server *srv, json_t *entry)
{
	if (!entry || json_is_true(json_object_get(entry, "completed")) ||
	    json_is_true(json_object_get(entry, "disconnected_early")))
		return;
	json_object_set_new(entry, "completed", json_true());
	entry_emit_line(srv, entry);
}

static void entry_mark_disconnected(struct mock_server *srv, json_t *entry)
{
	if (!entry || json_is_true(json_object_get(entry, "completed")) ||
	    json_is_true(json_object_get(entry, "disconnected_early")))
		return;
	json_object_set_new(entry, "disconnected_early", json_true());
	srv->disconnects++;
	VA_INFO("mock", NULL, "disconnect", "n=%lld",
		(long long)json_integer_value(json_object_get(entry, "n")));
	entry_emit_line(srv, entry);
}

/* ---- writing ---- */

struct mock_write {
	uv_write_t req;
	struct mock_conn *c;
	char *data;
};

static void on_write(uv_write_t *req, int status)
{
	struct mock_write *w = (struct mock_write *)req;
	struct mock_conn *c = w->c;

	free(w->data);
	free(w);
	if (status < 0 && status != UV_ECANCELED && !c->closing) {
		/* The peer is gone (EPIPE, ECONNRESET): a stream still being
		 * written is a disconnect. */
		if (c->resp.active && c->resp.streaming)
			entry_mark_disconnected(c->srv, c->resp.entry);
		conn_close(c);
	}
}

/* Takes ownership of data (malloc'd). */
static void conn_write_take(struct mock_conn *c, char *data, size_t len)
{
	struct mock_write *w;
	uv_buf_t b;
	int rc;

	if (c->closing) {
		free(data);
		return;
	}
	w = va_xcalloc(1, sizeof(*w));
	w->c = c;
	w->data = data;
	b = uv_buf_init(data, (unsigned)len);
	rc = uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, on_write);
	if (rc < 0) {
		free(w->data);
		free(w);
		if (c->resp.active && c->resp.streaming)
			entry_mark_disconnected(c->srv, c->resp.entry);
		conn_close(c);
	}
}

/* ---- response plans: steps written in order, each after its delay ---- */

static void resp_add_take(struct mock_conn *c, unsigned delay_ms, char *data, size_t len, int event)
{
	struct mock_resp *r = &c->resp;

	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 16;
		r->steps = va_xrealloc(r->steps, r->cap * sizeof(*r->steps));
	}
	r->steps[r->n].data = data;
	r->steps[r->n].len = len;
	r->steps[r->n].delay_ms = delay_ms;
	r->steps[r->n].event = event;
	r->n++;
}

static void resp_release(struct mock_resp *r)
{
	size_t i;

	for (i = r->next; i < r->n; i++)
		free(r->steps[i].data);
	free(r->steps);
	json_decref(r->entry);
	memset(r, 0, sizeof(*r));
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
	conn_close(req->data);
}

static void resp_finish(struct mock_conn *c)
{
	struct mock_resp *r = &c->resp;
	int close_after = r->close_after;

	entry_mark_completed(c->srv, r->entry);
	resp_release(r);
	c->sent_continue = 0;
	if (close_after) {
		/* Shut down rather than close so queued writes still go out. */
		c->closing = 1;
		c->shutdown.data = c;
		if (uv_shutdown(&c->shutdown, (uv_stream_t *)&c->tcp, on_shutdown) < 0)
			conn_close(c);
	}
}

static void on_step_timer(uv_timer_t *t);

/* Writes the steps whose delays have elapsed; returns with a timer armed, or
 * with the response finished. */
static void resp_pump(struct mock_conn *c)
{
	struct mock_resp *r = &c->resp;

	while (!c->closing && r->active && r->next < r->n) {
		struct mock_step *s = &r->steps[r->next];

		if (s->delay_ms && !c->waited) {
			c->waited = 1;
			uv_timer_start(&c->timer, on_step_timer, s->delay_ms, 0);
			return;
		}
		c->waited = 0;
		r->next++;
		if (s->event) {
			r->events++;
			if (r->entry)
				json_object_set_new(r->entry, "events", json_integer(r->events));
		}
		conn_write_take(c, s->data, s->len);
		s->data = NULL;
	}
	if (!c->closing && r->active)
		resp_finish(c);
}

static void on_step_timer(uv_timer_t *t)
{
	struct mock_conn *c = t->data;

	resp_pump(c);
	if (!c->closing && !c->resp.active)
		conn_process(c);
}

static void resp_simple(struct mock_conn *c, int status, const char *reason, const char *ctype,
			const char *extra_headers, const char *body, int keep_alive)
{
	struct va_buf b = VA_BUF_INIT(MOCK_OUT_MAX);
	size_t len;
	char *data;

	va_buf_appendf(&b,
		       "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		       "Connection: %s\r\n%s\r\n%s",
		       status, reason, ctype, strlen(body), keep_alive ? "keep-alive" : "close",
		       extra_headers ? extra_headers : "", body);
	data = va_buf_take(&b, &len);
	c->resp.active = 1;
	c->resp.close_after = !keep_alive;
	resp_add_take(c, 0, data, len, 0);
}

static char *error_json(const char *message, const char *type, const char *param, const char *code)
{
	json_t *o = json_pack("{s:{s:s,s:s,s:s?,s:s?}}", "error", "message", message, "type", type,
			      "param", param, "code", code);
	char *s = json_dumps(o, JSON_COMPACT);

	json_decref(o);
	return s;
}

static void resp_error(struct mock_conn *c, int status, const char *reason, const char *extra,
		       const char *message, const char *type, const char *param, const char *code,
		       int keep_alive)
{
	char *body = error_json(message, type, param, code);

	resp_simple(c, status, reason, "application/json", extra, body, keep_alive);
	free(body);
	if (c->resp.entry)
		json_object_set_new(c->resp.entry, "status", json_integer(status));
}

/* ---- SSE events ---- */

static unsigned gen_next_delay(struct mock_gen *g)
{
	if (g->stage == 0) {
		g->stage = 1;
		return g->first_delay;
	}
	if (g->stage == 1) {
		/* The role chunk and the first token leave together, as from
		 * the real API, so first-token latency is exactly the delay. */
		g->stage = 2;
		return 0;
	}
	return g->token_delay;
}

/* Frames payload as one HTTP chunk holding "data: <payload>\n\n"; the split
 * scenario writes it in three pieces cut at awkward places. */
static void gen_add_event(struct mock_gen *g, unsigned delay, const char *payload)
{
	struct va_buf b = VA_BUF_INIT(MOCK_OUT_MAX);
	size_t plen = strlen(payload), hlen, len, cut[2];
	char *data;
	unsigned idx = (unsigned)g->c->resp.n;

	va_buf_appendf(&b, "%zx\r\n", plen + 8);
	hlen = b.len;
	va_buf_appendf(&b, "data: %s\n\n\r\n", payload);
	data = va_buf_take(&b, &len);
	if (!g->split) {
		resp_add_take(g->c, delay, data, len, 1);
		return;
	}
	switch (idx % 3) {
	case 0: /* "da|ta: {..|..}" */
		cut[0] = hlen + 2;
		cut[1] = hlen + 6 + plen / 2;
		break;
	case 1: /* chunk size line "\r|\n", then between the two LFs */
		cut[0] = hlen - 1;
		cut[1] = hlen + 6 + plen + 1;
		break;
	default: /* "data|: ", then a third into the JSON */
		cut[0] = hlen + 4;
		cut[1] = hlen + 6 + plen / 3;
		break;
	}
	if (cut[1] <= cut[0])
		cut[1] = cut[0] + 1;
	resp_add_take(g->c, delay, va_xstrndup(data, cut[0]), cut[0], 1);
	resp_add_take(g->c, MOCK_SPLIT_DELAY_MS, va_xstrndup(data + cut[0], cut[1] - cut[0]),
		      cut[1] - cut[0], 0);
	resp_add_take(g->c, MOCK_SPLIT_DELAY_MS, va_xstrndup(data + cut[1], len - cut[1]),
		      len - cut[1], 0);
	free(data);
}

/* Steals chunk. */
static void gen_add_json(struct mock_gen *g, unsigned delay, json_t *chunk)
{
	char *s = json_dumps(chunk, JSON_COMPACT);

	json_decref(chunk);
	if (!s)
		return;
	gen_add_event(g, delay, s);
	free(s);
}

/* A chunk shaped like the real API's; steals delta. */
static json_t *gen_chunk(struct mock_gen *g, json_t *delta, const char *finish)
{
	json_t *choice = json_pack("{s:i,s:o,s:n,s:o}", "index", 0, "delta", delta, "logprobs",
				   "finish_reason", finish ? json_string(finish) : json_null());

	return json_pack("{s:s,s:s,s:I,s:s,s:s,s:s,s:[o],s:n}", "id", g->id, "object",
			 "chat.completion.chunk", "created", g->created, "model", g->model,
			 "service_tier", "default", "system_fingerprint", "fp_mock", "choices",
			 choice, "usage");
}

static void gen_headers(struct mock_gen *g, int close_after)
{
	struct va_buf b = VA_BUF_INIT(MOCK_OUT_MAX);
	size_t len;
	char *data;

	va_buf_appendf(&b,
		       "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
		       "Cache-Control: no-cache\r\nConnection: %s\r\nTransfer-Encoding: chunked\r\n"
		       "x-request-id: req_mock%06lu\r\nopenai-processing-ms: 1\r\n\r\n",
		       close_after ? "close" : "keep-alive", g->n);
	data = va_buf_take(&b, &len);
	g->c->resp.active = 1;
	g->c->resp.streaming = 1;
	g->c->resp.close_after = close_after;
	json_object_set_new(g->c->resp.entry, "status", json_integer(200));
	resp_add_take(g->c, 0, data, len, 0);
}

static void gen_role(struct mock_gen *g)
{
	gen_add_json(
	    g, gen_next_delay(g),
	    gen_chunk(g, json_pack("{s:s,s:s,s:n}", "role", "assistant", "content", "", "refusal"),
		      NULL));
}

static void gen_content(struct mock_gen *g, const char *p, size_t n)
{
	json_t *s = json_stringn(p, n);

	if (!s)
		return;
	g->completion_tokens++;
	gen_add_json(g, gen_next_delay(g), gen_chunk(g, json_pack("{s:o}", "content", s), NULL));
}

/* One chunk per word; a word carries the spaces before it, like tokens. */
static void gen_words(struct mock_gen *g, const char *text)
{
	const char *p = text;

	while (*p) {
		const char *q = p;

		while (*q == ' ')
			q++;
		while (*q && *q != ' ')
			q++;
		gen_content(g, p, (size_t)(q - p));
		p = q;
	}
}

static void gen_finish(struct mock_gen *g, const char *reason)
{
	gen_add_json(g, gen_next_delay(g), gen_chunk(g, json_object(), reason));
	if (g->include_usage) {
		json_t *u =
		    json_pack("{s:s,s:s,s:I,s:s,s:s,s:s,s:[],s:{s:i,s:i,s:i}}", "id", g->id,
			      "object", "chat.completion.chunk", "created", g->created, "model",
			      g->model, "service_tier", "default", "system_fingerprint", "fp_mock",
			      "choices", "usage", "prompt_tokens", (int)g->prompt_tokens,
			      "completion_tokens", (int)g->completion_tokens, "total_tokens",
			      (int)(g->prompt_tokens + g->completion_tokens));
		gen_add_json(g, 0, u);
	}
	gen_add_event(g, 0, "[DONE]");
}

static void gen_end_chunked(struct mock_gen *g)
{
	resp_add_take(g->c, 0, va_xstrdup("0\r\n\r\n"), 5, 0);
}

static json_t *tool_delta(unsigned idx, const char *id, const char *name, const char *args,
			  int with_role)
{
	json_t *fn = name ? json_pack("{s:s,s:s}", "name", name, "arguments", args)
			  : json_pack("{s:s}", "arguments", args);
	json_t *call = id ? json_pack("{s:i,s:s,s:s,s:o}", "index", (int)idx, "id", id, "type",
				      "function", "function", fn)
			  : json_pack("{s:i,s:o}", "index", (int)idx, "function", fn);

	if (with_role)
		return json_pack("{s:s,s:n,s:[o],s:n}", "role", "assistant", "content",
				 "tool_calls", call, "refusal");
	return json_pack("{s:[o]}", "tool_calls", call);
}

/* Next argument fragment of 5-10 bytes, never splitting a UTF-8 sequence. */
static size_t frag_len(const char *p, unsigned k)
{
	static const unsigned sizes[] = {5, 7, 10, 6, 8, 9};
	size_t n = sizes[k % (sizeof(sizes) / sizeof(sizes[0]))], have = strlen(p);

	if (n >= have)
		return have;
	while (n < have && ((unsigned char)p[n] & 0xC0) == 0x80)
		n++;
	return n;
}

static void gen_tool_header(struct mock_gen *g, unsigned idx, const char *name, int with_role)
{
	char id[48];

	snprintf(id, sizeof(id), "call_mock%06lux%u", g->n, idx);
	gen_add_json(g, gen_next_delay(g),
		     gen_chunk(g, tool_delta(idx, id, name, "", with_role), NULL));
}

/* Returns the bytes consumed from args. */
static size_t gen_tool_frag(struct mock_gen *g, unsigned idx, const char *args, unsigned k)
{
	size_t n = frag_len(args, k);
	char *frag;

	if (!n)
		return 0;
	frag = va_xstrndup(args, n);
	g->completion_tokens++;
	gen_add_json(g, gen_next_delay(g),
		     gen_chunk(g, tool_delta(idx, NULL, NULL, frag, 0), NULL));
	free(frag);
	return n;
}

/* Tool calls with fragmented arguments: one after another as OpenAI sends
 * them, or interleaved by index (harder on the client's assembly). */
static void gen_tools(struct mock_gen *g, const struct mock_call *calls, unsigned n, int interleave,
		      int with_role)
{
	unsigned i, k = 0;

	if (!interleave) {
		for (i = 0; i < n; i++) {
			const char *p = calls[i].args;
			size_t used;

			gen_tool_header(g, i, calls[i].name, with_role && i == 0);
			while ((used = gen_tool_frag(g, i, p, k++)) > 0)
				p += used;
		}
		return;
	}
	{
		const char *pos[2] = {calls[0].args, n > 1 ? calls[1].args : ""};
		int open1 = 0, more = 1;

		gen_tool_header(g, 0, calls[0].name, with_role);
		while (more) {
			size_t used;

			more = 0;
			if ((used = gen_tool_frag(g, 0, pos[0], k++)) > 0) {
				pos[0] += used;
				more = 1;
			}
			if (n > 1 && !open1) {
				gen_tool_header(g, 1, calls[1].name, 0);
				open1 = 1;
			}
			if (n > 1 && (used = gen_tool_frag(g, 1, pos[1], k++)) > 0) {
				pos[1] += used;
				more = 1;
			}
		}
	}
}

/* ---- reading the request ---- */

/* The text of a message: a string content, or its text parts joined. */
static char *msg_text(json_t *msg)
{
	json_t *ct = json_object_get(msg, "content"), *part;
	struct va_buf b = VA_BUF_INIT(MOCK_BODY_MAX);
	size_t i;

	if (json_is_string(ct))
		return va_xstrdup(json_string_value(ct));
	json_array_foreach(ct, i, part)
	{
		const char *t = json_string_value(json_object_get(part, "text"));

		if (t)
			va_buf_append_str(&b, t);
	}
	return va_buf_take(&b, NULL);
}

static const char *msg_role(json_t *msg)
{
	const char *r = json_string_value(json_object_get(msg, "role"));

	return r ? r : "";
}

static json_t *last_with_role(json_t *messages, const char *role)
{
	size_t i = json_array_size(messages);

	while (i-- > 0) {
		json_t *m = json_array_get(messages, i);

		if (!strcmp(msg_role(m), role))
			return m;
	}
	return NULL;
}

static int scenario_lookup(const char *name, size_t n)
{
	int i;

	for (i = 0; i < SC_COUNT; i++)
		if (strlen(scenario_names[i]) == n && !strncmp(scenario_names[i], name, n))
			return i;
	return -1;
}

/* Where the text after a "#scenario NAME" first line starts (else text). */
static const char *after_directive(const char *text)
{
	const char *nl;

	if (strncmp(text, "#scenario", 9))
		return text;
	nl = strchr(text, '\n');
	return nl ? nl + 1 : text + strlen(text);
}

/* The model "mock-NAME", else a "#scenario NAME" first line of the last user
 * message, else the default. Returns -1 for an unknown name (in *name). */
static int scenario_pick(struct mock_server *srv, const char *model, const char *last_user,
			 char *name, size_t namesz)
{
	const char *p = NULL;
	size_t n = 0;

	if (!strncmp(model, "mock-", 5)) {
		p = model + 5;
		n = strlen(p);
	} else if (!strncmp(last_user, "#scenario", 9) &&
		   (last_user[9] == ' ' || last_user[9] == '\t')) {
		p = last_user + 9;
		while (*p == ' ' || *p == '\t')
			p++;
		while (p[n] && p[n] != ' ' && p[n] != '\t' && p[n] != '\r' && p[n] != '\n')
			n++;
	} else {
		p = srv->opt.default_scenario;
		n = strlen(p);
	}
	snprintf(name, namesz, "%.*s", (int)(n < namesz ? n : namesz - 1), p);
	return scenario_lookup(p, n);
}

/* The first MOCK_QUOTE_MAX bytes of s, cut on a UTF-8 boundary. */
static char *quote_prefix(const char *s)
{
	size_t n = strlen(s);

	if (n > MOCK_QUOTE_MAX) {
		n = MOCK_QUOTE_MAX;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	return va_xstrndup(s, n);
}

static void gen_text_reply(struct mock_gen *g, const char *text)
{
	gen_role(g);
	gen_words(g, text);
	gen_finish(g, "stop");
}

static void gen_tool_result_answer(struct mock_gen *g, json_t *messages, const char *prefix)
{
	char *result = msg_text(json_array_get(messages, json_array_size(messages) - 1));
	char *q = quote_prefix(result);
	struct va_buf b = VA_BUF_INIT(MOCK_OUT_MAX);

	va_buf_appendf(&b, "%s%s", prefix, q);
	gen_text_reply(g, va_buf_cstr(&b));
	va_buf_release(&b);
	free(q);
	free(result);
}

static const char *first_tool_name(json_t *req, size_t i, const char *dflt)
{
	json_t *tool = json_array_get(json_object_get(req, "tools"), i);
	const char *name =
	    json_string_value(json_object_get(json_object_get(tool, "function"), "name"));

	if (!name) /* also accept the flat (Realtime / Responses) tool shape */
		name = json_string_value(json_object_get(tool, "name"));
	return name ? name : dflt;
}

static int script_matches(json_t *rule, const char *text)
{
	const char *m = json_string_value(json_object_get(rule, "match"));

	return !m || !*m || strcasestr(text, m) != NULL;
}

/* args may be an object (sent compact) or a string (sent verbatim, so a
 * script can feed the client invalid JSON). */
static char *script_args(json_t *args)
{
	if (json_is_string(args))
		return va_xstrdup(json_string_value(args));
	if (!args)
		return va_xstrdup("{}");
	return json_dumps(args, JSON_COMPACT | JSON_ENCODE_ANY);
}

static void gen_script(struct mock_gen *g, json_t *req, json_t *messages, const char *last_user)
{
	json_t *script = g->c->srv->script, *rule;
	json_t *last = json_array_get(messages, json_array_size(messages) - 1);
	const char *text = after_directive(last_user);
	size_t i;

	if (!strcmp(msg_role(last), "tool")) {
		json_array_foreach(script, i, rule)
		{
			const char *after = json_string_value(json_object_get(rule, "after_tool"));

			if (after && script_matches(rule, text)) {
				gen_text_reply(g, after);
				return;
			}
		}
		gen_tool_result_answer(g, messages, "The tool said: ");
		return;
	}
	json_array_foreach(script, i, rule)
	{
		const char *say = json_string_value(json_object_get(rule, "say"));
		const char *tool = json_string_value(json_object_get(rule, "tool"));
		json_t *tools = json_object_get(rule, "tools"), *t;
		struct mock_call calls[16];
		char *argv[16];
		unsigned n = 0, k;
		size_t j;

		if ((!say && !tool && !json_is_array(tools)) || !script_matches(rule, text))
			continue;
		if (tool) {
			argv[n] = script_args(json_object_get(rule, "args"));
			calls[n].name = tool;
			calls[n].args = argv[n];
			n++;
		}
		json_array_foreach(tools, j, t)
		{
			const char *name = json_string_value(json_object_get(t, "name"));

			if (!name || n == 16)
				continue;
			argv[n] = script_args(json_object_get(t, "args"));
			calls[n].name = name;
			calls[n].args = argv[n];
			n++;
		}
		if (say || !n) {
			gen_role(g);
			gen_words(g, say ? say : "");
		}
		if (n)
			gen_tools(g, calls, n, 0, !say);
		gen_finish(g, n ? "tool_calls" : "stop");
		for (k = 0; k < n; k++)
			free(argv[k]);
		return;
	}
	gen_text_reply(g, plain_reply);
}

static void gen_long(struct mock_gen *g)
{
	static const char *const words[] = {
	    "Our",  "office", "offers", "cleanings,", "exams,", "fillings,", "crowns,",
	    "and",  "same",   "day",	"emergency",  "visits", "every",     "weekday",
	    "from", "eight",  "until",	"five,",      "with",	"Saturday",  "mornings.",
	};
	size_t nw = sizeof(words) / sizeof(words[0]);
	struct va_buf b = VA_BUF_INIT(MOCK_OUT_MAX);
	unsigned i;

	for (i = 0; i < MOCK_LONG_WORDS; i++)
		va_buf_appendf(&b, "%s%s", i ? " " : "", words[i % nw]);
	gen_text_reply(g, va_buf_cstr(&b));
	va_buf_release(&b);
}

static unsigned prompt_tokens(json_t *messages)
{
	size_t i, chars = 0;
	json_t *m;

	json_array_foreach(messages, i, m)
	{
		char *t = msg_text(m);

		chars += strlen(t) + 4;
		free(t);
	}
	return (unsigned)(chars / 4 + 1);
}

static void entry_new(struct mock_conn *c, const struct mock_req *rq)
{
	struct mock_server *srv = c->srv;
	json_t *e = json_pack("{s:I,s:s,s:n,s:n,s:i,s:n,s:n,s:i,s:n,s:i,s:i,s:b,s:b}", "n",
			      (json_int_t)++srv->nreq, "path", rq->path, "scenario", "model",
			      "messages", 0, "last_user", "last_role", "tools", 0, "tool_choice",
			      "status", 0, "events", 0, "disconnected_early", 0, "completed", 0);

	json_array_append(srv->requests, e);
	c->resp.entry = e;
}

static void remember_body(struct mock_server *srv, json_t *body)
{
	json_array_append_new(srv->bodies,
			      json_pack("{s:I,s:O}", "n", (json_int_t)srv->nreq, "body", body));
	while (json_array_size(srv->bodies) > MOCK_BODIES_KEPT)
		json_array_remove(srv->bodies, 0);
}

static void handle_chat(struct mock_conn *c, struct mock_req *rq)
{
	struct mock_server *srv = c->srv;
	json_t *req = NULL, *messages, *last, *e, *tools, *so;
	json_error_t jerr;
	struct mock_gen g;
	char name[64], *last_user = NULL, *msg = NULL;
	const char *model;
	int sc;

	entry_new(c, rq);
	e = c->resp.entry;
	if (!srv->opt.no_auth && rq->auth != 2) {
		resp_error(c, 401, "Unauthorized", NULL,
			   rq->auth ? "Incorrect API key provided."
				    : "You didn't provide an API key. You need to provide your API "
				      "key in an Authorization header using Bearer auth.",
			   "invalid_request_error", NULL, "invalid_api_key", rq->keep_alive);
		goto out;
	}
	req = json_loadb(rq->body ? rq->body : "", rq->body_len, 0, &jerr);
	if (!json_is_object(req)) {
		resp_error(c, 400, "Bad Request", NULL,
			   "We could not parse the JSON body of your request.",
			   "invalid_request_error", NULL, NULL, rq->keep_alive);
		goto out;
	}
	remember_body(srv, req);
	messages = json_object_get(req, "messages");
	model = json_string_value(json_object_get(req, "model"));
	if (!model) {
		resp_error(c, 400, "Bad Request", NULL, "you must provide a model parameter",
			   "invalid_request_error", NULL, NULL, rq->keep_alive);
		goto out;
	}
	json_object_set_new(e, "model", json_string(model));
	if (!json_is_array(messages) || !json_array_size(messages)) {
		resp_error(c, 400, "Bad Request", NULL, "'messages' must be a non-empty array",
			   "invalid_request_error", "messages", NULL, rq->keep_alive);
		goto out;
	}
	last = last_with_role(messages, "user");
	last_user = last ? msg_text(last) : va_xstrdup("");
	tools = json_object_get(req, "tools");
	json_object_set_new(e, "messages", json_integer((json_int_t)json_array_size(messages)));
	json_object_set_new(e, "last_user", json_string(last_user));
	json_object_set_new(
	    e, "last_role",
	    json_string(msg_role(json_array_get(messages, json_array_size(messages) - 1))));
	json_object_set_new(e, "tools", json_integer((json_int_t)json_array_size(tools)));
	if (json_object_get(req, "tool_choice"))
		json_object_set(e, "tool_choice", json_object_get(req, "tool_choice"));
	if (!json_is_true(json_object_get(req, "stream"))) {
		resp_error(c, 400, "Bad Request", NULL, "This mock only serves stream: true",
			   "invalid_request_error", "stream", NULL, rq->keep_alive);
		goto out;
	}
	sc = scenario_pick(srv, model, last_user, name, sizeof(name));
	json_object_set_new(e, "scenario", json_string(name));
	VA_INFO("mock", NULL, "request", "n=%lu scenario=%s messages=%zu tools=%zu", srv->nreq,
		sc >= 0 ? scenario_names[sc] : "unknown", json_array_size(messages),
		json_array_size(tools));
	if (sc < 0) {
		msg = va_xmalloc(128);
		snprintf(msg, 128, "The model `%s` does not exist (unknown mock scenario)", model);
		resp_error(c, 404, "Not Found", NULL, msg, "invalid_request_error", NULL,
			   "model_not_found", rq->keep_alive);
		goto out;
	}
	if (sc == SC_SCRIPT && !srv->script)
		sc = SC_PLAIN;
	if (sc == SC_ERROR500) {
		resp_error(c, 500, "Internal Server Error", NULL, "The server had an error",
			   "server_error", NULL, NULL, rq->keep_alive);
		goto out;
	}
	if (sc == SC_RATELIMIT) {
		if (srv->ratelimited < srv->opt.ratelimit_n) {
			srv->ratelimited++;
			resp_error(c, 429, "Too Many Requests",
				   "Retry-After: 2\r\nx-ratelimit-reset-requests: 2s\r\n",
				   "Rate limit reached for requests", "requests", NULL,
				   "rate_limit_exceeded", rq->keep_alive);
			goto out;
		}
		sc = SC_PLAIN;
	}
	if (sc == SC_RATELIMIT_BRIEF) {
		/* A short rate limit a client should wait out and retry: every
		 * first attempt is refused, the retry served. */
		if (srv->brief_seen++ % 2 == 0) {
			resp_error(c, 429, "Too Many Requests",
				   "Retry-After: 0\r\nx-ratelimit-reset-requests: 0s\r\n",
				   "Rate limit reached for requests", "requests", NULL,
				   "rate_limit_exceeded", rq->keep_alive);
			goto out;
		}
		sc = SC_PLAIN;
	}

	memset(&g, 0, sizeof(g));
	g.c = c;
	g.model = model;
	g.n = srv->nreq;
	g.created = (json_int_t)time(NULL);
	snprintf(g.id, sizeof(g.id), "chatcmpl-mock%06lu", g.n);
	so = json_object_get(req, "stream_options");
	g.include_usage = json_is_true(json_object_get(so, "include_usage"));
	g.first_delay = (unsigned)(srv->opt.first_token_ms >= 0 ? srv->opt.first_token_ms
				   : sc == SC_SLOW		? MOCK_SLOW_DEFAULT
								: 0);
	g.token_delay = (unsigned)(srv->opt.token_ms >= 0 ? srv->opt.token_ms
				   : sc == SC_LONG	  ? MOCK_LONG_TOKEN_MS
							  : 0);
	g.split = sc == SC_SPLIT;
	g.prompt_tokens = prompt_tokens(messages);
	gen_headers(&g, sc == SC_MIDSTOP || sc == SC_MALFORMED || !rq->keep_alive);

	switch (sc) {
	case SC_ECHO: {
		struct va_buf b = VA_BUF_INIT(MOCK_OUT_MAX);

		va_buf_appendf(&b, "You said: %s", after_directive(last_user));
		gen_text_reply(&g, va_buf_cstr(&b));
		va_buf_release(&b);
		break;
	}
	case SC_TOOL_THEN_ANSWER:
		if (!strcmp(msg_role(json_array_get(messages, json_array_size(messages) - 1)),
			    "tool")) {
			gen_tool_result_answer(&g, messages, "The tool said: ");
			break;
		}
		/* fall through */
	case SC_TOOL_FRAGMENTS: {
		struct mock_call call = {first_tool_name(req, 0, default_tool), tool_args_cleaning};

		gen_tools(&g, &call, 1, 0, 1);
		gen_finish(&g, "tool_calls");
		break;
	}
	case SC_PARALLEL_TOOLS: {
		const char *t = first_tool_name(req, 0, default_tool);
		struct mock_call calls[2] = {{t, tool_args_cleaning}, {t, tool_args_exam}};

		gen_tools(&g, calls, 2, 1, 1);
		gen_finish(&g, "tool_calls");
		break;
	}
	case SC_SCRIPT:
		gen_script(&g, req, messages, last_user);
		break;
	case SC_MIDSTOP:
		gen_role(&g);
		gen_content(&g, "Sure,", 5);
		gen_content(&g, " I", 2);
		goto out; /* no [DONE], no last chunk: the connection just closes */
	case SC_LONG:
		gen_long(&g);
		break;
	case SC_MALFORMED:
		gen_add_event(&g, gen_next_delay(&g), "{not json}");
		break;
	case SC_INSTREAM_ERROR:
		gen_role(&g);
		gen_add_json(&g, gen_next_delay(&g),
			     json_pack("{s:{s:s,s:s,s:n,s:n}}", "error", "message", "overloaded",
				       "type", "server_error", "param", "code"));
		break;
	default: /* plain, slow, split, and ratelimit once its 429s are spent */
		gen_text_reply(&g, plain_reply);
		break;
	}
	gen_end_chunked(&g);
out:
	if (c->resp.active && !c->resp.streaming)
		entry_mark_completed(srv, e);
	free(msg);
	free(last_user);
	json_decref(req);
}

static void handle_log(struct mock_conn *c, struct mock_req *rq)
{
	struct mock_server *srv = c->srv;
	json_t *o = json_pack("{s:O,s:I,s:O}", "requests", srv->requests, "disconnects",
			      (json_int_t)srv->disconnects, "bodies", srv->bodies);
	char *s = json_dumps(o, JSON_COMPACT);

	resp_simple(c, 200, "OK", "application/json", NULL, s ? s : "{}", rq->keep_alive);
	free(s);
	json_decref(o);
}

static void handle_request(struct mock_conn *c, struct mock_req *rq)
{
	struct mock_server *srv = c->srv;
	int post = !strcmp(rq->method, "POST"), get = !strcmp(rq->method, "GET");

	if (!strcmp(rq->path, "/v1/chat/completions") || !strcmp(rq->path, "/chat/completions")) {
		if (post) {
			handle_chat(c, rq);
			return;
		}
	} else if (!strcmp(rq->path, "/_log")) {
		if (get) {
			handle_log(c, rq);
			return;
		}
	} else if (!strcmp(rq->path, "/_health")) {
		if (get) {
			resp_simple(c, 200, "OK", "text/plain", NULL, "ok", rq->keep_alive);
			return;
		}
	} else if (!strcmp(rq->path, "/_reset")) {
		if (post) {
			json_array_clear(srv->requests);
			json_array_clear(srv->bodies);
			srv->nreq = 0;
			srv->disconnects = 0;
			srv->ratelimited = 0;
			srv->brief_seen = 0;
			resp_simple(c, 200, "OK", "application/json", NULL, "{\"ok\":true}",
				    rq->keep_alive);
			return;
		}
	} else {
		resp_error(c, 404, "Not Found", NULL, "Unknown request URL",
			   "invalid_request_error", NULL, "unknown_url", rq->keep_alive);
		return;
	}
	resp_error(c, 405, "Method Not Allowed", NULL, "Method not allowed",
		   "invalid_request_error", NULL, NULL, rq->keep_alive);
}

/* ---- HTTP/1.1 request parsing ---- */

/* Decodes a chunked body from p; 1 with *used set when complete, 0 when more
 * is needed, a negative VA_E* when malformed or too large. */
static int chunked_decode(const char *p, size_t len, struct va_buf *out, size_t *used)
{
	size_t off = 0;

	for (;;) {
		const char *eol = memmem(p + off, len - off, "\r\n", 2), *q = p + off;
		unsigned long long sz = 0;
		int digits = 0;

		if (!eol)
			return len - off > 1024 ? VA_E_PARSE : 0;
		for (; q < eol; q++, digits++) {
			int v = *q >= '0' && *q <= '9'	 ? *q - '0'
				: *q >= 'a' && *q <= 'f' ? *q - 'a' + 10
				: *q >= 'A' && *q <= 'F' ? *q - 'A' + 10
							 : -1;

			if (v < 0)
				break;
			if (sz > MOCK_BODY_MAX)
				return VA_E_TOOBIG;
			sz = sz * 16 + (unsigned)v;
		}
		if (!digits || (q < eol && *q != ';' && *q != ' ' && *q != '\t'))
			return VA_E_PARSE;
		off = (size_t)(eol - p) + 2;
		if (sz == 0) {
			for (;;) { /* trailers, up to the empty line */
				size_t l;

				eol = memmem(p + off, len - off, "\r\n", 2);
				if (!eol)
					return 0;
				l = (size_t)(eol - (p + off));
				off += l + 2;
				if (!l) {
					*used = off;
					return 1;
				}
			}
		}
		if (sz > MOCK_BODY_MAX)
			return VA_E_TOOBIG;
		if (len - off < sz + 2)
			return 0;
		if (va_buf_append(out, p + off, (size_t)sz) < 0)
			return VA_E_TOOBIG;
		if (memcmp(p + off + sz, "\r\n", 2))
			return VA_E_PARSE;
		off += (size_t)sz + 2;
	}
}

static int header_is(const char *name, size_t n, const char *want)
{
	return strlen(want) == n && !strncasecmp(name, want, n);
}

/* 1 with *rq filled and *consumed set when a whole request is buffered, 0 when
 * more is needed, a negative VA_E* when it is malformed or too large. */
static int http_parse(struct mock_conn *c, struct mock_req *rq, size_t *consumed)
{
	const char *d = c->in.data, *end, *eol, *line, *sp1, *sp2, *q;
	size_t len = c->in.len, hlen, used = 0;
	unsigned long long cl = 0;
	int chunked = 0, expect = 0, rc;

	memset(rq, 0, sizeof(*rq));
	if (!len)
		return 0;
	end = memmem(d, len, "\r\n\r\n", 4);
	if (!end)
		return len > MOCK_HDR_MAX ? VA_E_TOOBIG : 0;
	hlen = (size_t)(end - d) + 4;
	eol = memmem(d, hlen, "\r\n", 2);
	sp1 = memchr(d, ' ', (size_t)(eol - d));
	sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1)) : NULL;
	if (!sp2 || (size_t)(sp1 - d) >= sizeof(rq->method) ||
	    (size_t)(sp2 - sp1 - 1) >= sizeof(rq->path) || strncmp(sp2 + 1, "HTTP/1.", 7))
		return VA_E_PARSE;
	memcpy(rq->method, d, (size_t)(sp1 - d));
	memcpy(rq->path, sp1 + 1, (size_t)(sp2 - sp1 - 1));
	rq->path[strcspn(rq->path, "?")] = '\0';
	rq->keep_alive = sp2[8] == '1';
	for (line = eol + 2; line < end + 2; line = eol + 2) {
		const char *colon, *v, *ve;
		size_t nlen;

		eol = memmem(line, (size_t)(end + 2 - line), "\r\n", 2);
		colon = memchr(line, ':', (size_t)(eol - line));
		if (!colon)
			return VA_E_PARSE;
		nlen = (size_t)(colon - line);
		for (v = colon + 1; v < eol && (*v == ' ' || *v == '\t'); v++)
			;
		for (ve = eol; ve > v && (ve[-1] == ' ' || ve[-1] == '\t'); ve--)
			;
		if (header_is(line, nlen, "content-length")) {
			char *e;

			errno = 0;
			cl = strtoull(v, &e, 10);
			if (e == v || e != ve || errno)
				return VA_E_PARSE;
		} else if (header_is(line, nlen, "transfer-encoding")) {
			chunked = memmem(v, (size_t)(ve - v), "chunked", 7) != NULL;
		} else if (header_is(line, nlen, "connection")) {
			if ((size_t)(ve - v) == 5 && !strncasecmp(v, "close", 5))
				rq->keep_alive = 0;
			else if ((size_t)(ve - v) == 10 && !strncasecmp(v, "keep-alive", 10))
				rq->keep_alive = 1;
		} else if (header_is(line, nlen, "expect")) {
			expect = (size_t)(ve - v) == 12 && !strncasecmp(v, "100-continue", 12);
		} else if (header_is(line, nlen, "authorization")) {
			rq->auth = 1;
			if (ve - v > 7 && !strncasecmp(v, "Bearer ", 7)) {
				for (q = v + 7; q < ve && (*q == ' ' || *q == '\t'); q++)
					;
				if (q < ve)
					rq->auth = 2;
			}
		}
	}
	if (chunked) {
		struct va_buf body = VA_BUF_INIT(MOCK_BODY_MAX);

		rc = chunked_decode(d + hlen, len - hlen, &body, &used);
		if (rc <= 0) {
			va_buf_release(&body);
			goto incomplete;
		}
		rq->body = va_buf_take(&body, &rq->body_len);
	} else {
		if (cl > MOCK_BODY_MAX)
			return VA_E_TOOBIG;
		if (len - hlen < cl) {
			rc = 0;
			goto incomplete;
		}
		used = (size_t)cl;
		rq->body = va_xstrndup(d + hlen, used);
		rq->body_len = used;
	}
	*consumed = hlen + used;
	return 1;
incomplete:
	if (rc == 0 && expect && !c->sent_continue) {
		c->sent_continue = 1;
		conn_write_take(c, va_xstrdup("HTTP/1.1 100 Continue\r\n\r\n"), 25);
	}
	return rc;
}

/* Serves the buffered requests one at a time; a reply still streaming holds
 * back the next (pipelined) request. */
static void conn_process(struct mock_conn *c)
{
	while (!c->closing && !c->resp.active) {
		struct mock_req rq;
		size_t consumed = 0;
		int rc = http_parse(c, &rq, &consumed);

		if (rc == 0)
			return;
		if (rc < 0) {
			if (rc == VA_E_TOOBIG)
				resp_error(c, 413, "Payload Too Large", NULL, "Request too large",
					   "invalid_request_error", NULL, NULL, 0);
			else
				resp_error(c, 400, "Bad Request", NULL, "Malformed HTTP request",
					   "invalid_request_error", NULL, NULL, 0);
			va_buf_reset(&c->in);
			resp_pump(c);
			return;
		}
		memmove(c->in.data, c->in.data + consumed, c->in.len - consumed);
		c->in.len -= consumed;
		c->in.data[c->in.len] = '\0';
		handle_request(c, &rq);
		free(rq.body);
		resp_pump(c);
	}
}

/* ---- connections ---- */

static void on_conn_closed(uv_handle_t *h)
{
	struct mock_conn *c = h->data;

	if (--c->handles_open > 0)
		return;
	resp_release(&c->resp);
	va_buf_release(&c->in);
	free(c);
}

static void conn_close(struct mock_conn *c)
{
	if (c->closed)
		return;
	c->closed = 1;
	c->closing = 1;
	if (c->prev)
		c->prev->next = c->next;
	else if (c->srv->conns == c)
		c->srv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
	uv_timer_stop(&c->timer);
	uv_close((uv_handle_t *)&c->timer, on_conn_closed);
	uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	static char slab[64 * 1024]; /* one loop thread; copied out in on_read */

	*buf = uv_buf_init(slab, sizeof(slab));
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct mock_conn *c = s->data;

	if (nread < 0) {
		/* EOF or reset: a stream with steps still unwritten was cut by
		 * the client (a barge-in, or a test's hang-up). */
		if (c->resp.active && c->resp.streaming && c->resp.next < c->resp.n)
			entry_mark_disconnected(c->srv, c->resp.entry);
		conn_close(c);
		return;
	}
	if (nread == 0 || c->closing)
		return;
	if (va_buf_append(&c->in, buf->base, (size_t)nread) < 0) {
		conn_close(c);
		return;
	}
	if (!c->resp.active)
		conn_process(c);
}

static void on_connection(uv_stream_t *listener, int status)
{
	struct mock_server *srv = listener->data;
	struct mock_conn *c;

	if (status < 0) {
		VA_WARN("mock", NULL, "accept", "err=%s", uv_strerror(status));
		return;
	}
	c = va_xcalloc(1, sizeof(*c));
	c->srv = srv;
	va_buf_init(&c->in, MOCK_INBUF_MAX);
	uv_tcp_init(&srv->loop, &c->tcp);
	uv_timer_init(&srv->loop, &c->timer);
	c->tcp.data = c;
	c->timer.data = c;
	c->handles_open = 2;
	if (uv_accept(listener, (uv_stream_t *)&c->tcp) < 0) {
		c->closing = 1;
		c->closed = 1;
		uv_close((uv_handle_t *)&c->timer, on_conn_closed);
		uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
		return;
	}
	uv_tcp_nodelay(&c->tcp, 1);
	c->next = srv->conns;
	if (c->next)
		c->next->prev = c;
	srv->conns = c;
	uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

static void on_signal(uv_signal_t *sig, int signum)
{
	struct mock_server *srv = sig->data;

	if (srv->stopping)
		return;
	srv->stopping = 1;
	VA_INFO("mock", NULL, "stop", "signal=%d", signum);
	uv_close((uv_handle_t *)&srv->listener, NULL);
	while (srv->conns)
		conn_close(srv->conns);
	uv_close((uv_handle_t *)&srv->sigterm, NULL);
	uv_close((uv_handle_t *)&srv->sigint, NULL);
}

/* ---- main ---- */

static void usage(void)
{
	fprintf(stderr,
		"usage: mock_openai --port N [--first-token-ms MS] [--token-ms MS] [--log FILE]\n"
		"                   [--script FILE] [--scenario NAME] [--no-auth]\n"
		"                   [--ratelimit-count N] [--log-level LEVEL]\n");
}

static int parse_int(const char *s, int *out)
{
	char *e;
	long v;

	errno = 0;
	v = strtol(s, &e, 10);
	if (e == s || *e || errno || v < 0 || v > 100000000)
		return VA_E_INVAL;
	*out = (int)v;
	return VA_OK;
}

static int parse_args(int argc, char **argv, struct mock_opts *o)
{
	int i;

	o->port = -1;
	o->first_token_ms = -1;
	o->token_ms = -1;
	o->ratelimit_n = 2;
	o->default_scenario = "plain";
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int need = 1, rc = VA_OK;

		if (!strcmp(a, "--no-auth")) {
			o->no_auth = 1;
			need = 0;
		} else if (!v) {
			return VA_E_INVAL;
		} else if (!strcmp(a, "--port")) {
			rc = parse_int(v, &o->port);
			if (!rc && o->port > 65535)
				rc = VA_E_INVAL;
		} else if (!strcmp(a, "--first-token-ms")) {
			rc = parse_int(v, &o->first_token_ms);
		} else if (!strcmp(a, "--token-ms")) {
			rc = parse_int(v, &o->token_ms);
		} else if (!strcmp(a, "--ratelimit-count")) {
			rc = parse_int(v, &o->ratelimit_n);
		} else if (!strcmp(a, "--log")) {
			o->log_path = v;
		} else if (!strcmp(a, "--script")) {
			o->script_path = v;
		} else if (!strcmp(a, "--scenario")) {
			if (scenario_lookup(v, strlen(v)) < 0)
				return VA_E_INVAL;
			o->default_scenario = v;
		} else if (!strcmp(a, "--log-level")) {
			enum va_log_level lvl;

			rc = va_log_parse_level(v, &lvl);
			if (!rc)
				va_log_set_level(lvl);
		} else {
			return VA_E_INVAL;
		}
		if (rc)
			return rc;
		i += need;
	}
	return o->port < 0 ? VA_E_INVAL : VA_OK;
}

/* The benchmark holds hundreds of sockets open at once. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int main(int argc, char **argv)
{
	struct mock_server *srv = &server;
	struct sockaddr_in addr;
	struct sockaddr_storage bound;
	int namelen = sizeof(bound), rc, ret = 1;
	json_error_t jerr;

	va_log_set_level(VA_LOG_WARN);
	if (parse_args(argc, argv, &srv->opt)) {
		usage();
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	raise_fd_limit();
	if (srv->opt.script_path) {
		srv->script = json_load_file(srv->opt.script_path, 0, &jerr);
		if (!json_is_array(srv->script)) {
			fprintf(stderr, "mock_openai: %s: not a JSON array (%s line %d)\n",
				srv->opt.script_path, jerr.text, jerr.line);
			json_decref(srv->script);
			return 2;
		}
	}
	if (srv->opt.log_path) {
		srv->logf = fopen(srv->opt.log_path, "a");
		if (!srv->logf) {
			fprintf(stderr, "mock_openai: %s: %s\n", srv->opt.log_path,
				strerror(errno));
			json_decref(srv->script);
			return 2;
		}
	}
	srv->requests = json_array();
	srv->bodies = json_array();
	uv_loop_init(&srv->loop);
	uv_tcp_init(&srv->loop, &srv->listener);
	srv->listener.data = srv;
	uv_ip4_addr("127.0.0.1", srv->opt.port, &addr);
	rc = uv_tcp_bind(&srv->listener, (const struct sockaddr *)&addr, 0);
	if (!rc)
		rc = uv_listen((uv_stream_t *)&srv->listener, 4096, on_connection);
	if (!rc)
		rc = uv_tcp_getsockname(&srv->listener, (struct sockaddr *)&bound, &namelen);
	if (rc) {
		fprintf(stderr, "mock_openai: listen on 127.0.0.1:%d: %s\n", srv->opt.port,
			uv_strerror(rc));
		uv_close((uv_handle_t *)&srv->listener, NULL);
		uv_run(&srv->loop, UV_RUN_DEFAULT);
		goto out;
	}
	printf("port=%d\n", ntohs(((struct sockaddr_in *)&bound)->sin_port));
	fflush(stdout);
	uv_signal_init(&srv->loop, &srv->sigterm);
	uv_signal_init(&srv->loop, &srv->sigint);
	srv->sigterm.data = srv;
	srv->sigint.data = srv;
	uv_signal_start(&srv->sigterm, on_signal, SIGTERM);
	uv_signal_start(&srv->sigint, on_signal, SIGINT);
	uv_run(&srv->loop, UV_RUN_DEFAULT);
	ret = 0;
out:
	if (uv_loop_close(&srv->loop))
		ret = 1;
	json_decref(srv->requests);
	json_decref(srv->bodies);
	json_decref(srv->script);
	if (srv->logf)
		fclose(srv->logf);
	return ret;
}
