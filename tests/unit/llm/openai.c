/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/llm/openai.c: the request body of protocols.md §6.1
 * (checked by parsing it back), the §6.2/§6.3 wire examples through the SSE
 * decoder and the chunk parser however the bytes are split, tool-call
 * assembly (fragments, parallel calls, the §6.4 local-server quirks), in-stream
 * and HTTP errors.
 */
#include "llm/openai.h"

#include "core/alloc.h"
#include "core/err.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#define SET(dst, src) va_strlcpy((dst), (src), sizeof(dst))

/* ---- a stream driver: SSE -> chunk -> calls, with a log of every delta -- */

struct run {
	struct va_llm_chunk_parser p;
	struct va_llm_calls calls;
	struct va_buf log;  /* every decoded delta, in order, as text */
	struct va_buf text; /* the content deltas joined */
	bool done;
	int last_finish;
};

static int on_event(const char *data, size_t len, void *arg)
{
	struct run *r = arg;
	struct va_llm_chunk ch;
	size_t i;
	int rc;

	rc = va_llm_chunk_parse(&r->p, data, len, &ch);
	if (rc)
		return rc;
	if (ch.done) {
		va_buf_appendf(&r->log, "D;");
		r->done = true;
	}
	if (ch.is_error)
		va_buf_appendf(&r->log, "E%s;", ch.error);
	if (ch.content) {
		va_buf_appendf(&r->log, "c[%zu]%.*s;", ch.content_len, (int)ch.content_len,
			       ch.content);
		va_buf_append(&r->text, ch.content, ch.content_len);
	}
	for (i = 0; i < ch.n_tools; i++) {
		const struct va_llm_tool_delta *d = &ch.tools[i];

		va_buf_appendf(&r->log, "t%d,%s,%s,%.*s;", d->index, d->id, d->name,
			       (int)d->args_len, d->args);
		rc = va_llm_calls_add(&r->calls, d);
		if (rc)
			return rc;
	}
	if (ch.finish) {
		va_buf_appendf(&r->log, "f%d;", (int)ch.finish);
		r->last_finish = (int)ch.finish;
	}
	if (ch.has_usage)
		va_buf_appendf(&r->log, "u%lld/%lld;", (long long)ch.prompt_tokens,
			       (long long)ch.completion_tokens);
	return 0;
}

static void run_init(struct run *r)
{
	memset(r, 0, sizeof(*r));
	va_llm_calls_init(&r->calls);
	va_buf_init(&r->log, 1 << 20);
	va_buf_init(&r->text, 1 << 20);
}

static void run_release(struct run *r)
{
	va_llm_chunk_parser_release(&r->p);
	va_llm_calls_release(&r->calls);
	va_buf_release(&r->log);
	va_buf_release(&r->text);
}

/* Feeds wire through a fresh decoder: in `step`-byte pieces (0: whole), or
 * when split > 0 in two pieces cut at byte split. */
static int run_wire(struct run *r, const char *wire, size_t step, size_t split)
{
	struct va_sse s;
	size_t n = strlen(wire), i, k;
	int rc = VA_OK;

	run_init(r);
	va_sse_init(&s, 1 << 20);
	if (split) {
		rc = va_sse_feed(&s, wire, split, on_event, r);
		if (!rc)
			rc = va_sse_feed(&s, wire + split, n - split, on_event, r);
	} else {
		if (!step)
			step = n;
		for (i = 0; i < n && !rc; i += k) {
			k = n - i < step ? n - i : step;
			rc = va_sse_feed(&s, wire + i, k, on_event, r);
		}
	}
	if (!rc && va_sse_pending(&s))
		rc = VA_E_PARSE;
	va_sse_release(&s);
	return rc;
}

/* The whole wire, then byte by byte and cut at every position: the same
 * deltas each time. Leaves r holding the whole-feed result. */
static void run_every_split(struct run *r, const char *wire)
{
	size_t n = strlen(wire), k;
	struct run o;

	assert_int_equal(run_wire(r, wire, 0, 0), VA_OK);
	assert_int_equal(run_wire(&o, wire, 1, 0), VA_OK);
	assert_string_equal(va_buf_cstr(&o.log), va_buf_cstr(&r->log));
	run_release(&o);
	for (k = 1; k < n; k++) {
		assert_int_equal(run_wire(&o, wire, 0, k), VA_OK);
		assert_string_equal(va_buf_cstr(&o.log), va_buf_cstr(&r->log));
		run_release(&o);
	}
}

/* Rewrites LF line ends of a wire text as CRLF or CR. */
static char *with_line_ends(const char *wire, const char *eol)
{
	struct va_buf b = VA_BUF_INIT(1 << 20);
	const char *p;

	for (p = wire; *p; p++) {
		if (*p == '\n')
			va_buf_append_str(&b, eol);
		else
			va_buf_append(&b, p, 1);
	}
	return va_buf_take(&b, NULL);
}

/* ---- §6.2: the content reply ------------------------------------------- */

#define CHUNK_HEAD                                                                                 \
	"{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1764000000,"      \
	"\"model\":\"gpt-4o-mini\","

static const char wire_62[] =
    "data: " CHUNK_HEAD "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":"
    "\"\"},\"finish_reason\":null}],\"usage\":null}\n\n"
    "data: " CHUNK_HEAD "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Tuesday at nine\"},"
    "\"finish_reason\":null}],\"usage\":null}\n\n"
    "data: " CHUNK_HEAD "\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],"
    "\"usage\":null}\n\n"
    "data: " CHUNK_HEAD "\"choices\":[],\"usage\":{\"prompt_tokens\":62,\"completion_tokens\":9,"
    "\"total_tokens\":71}}\n\n"
    "data: [DONE]\n\n";

static void test_wire_62_every_split(void **state)
{
	struct run r;

	run_every_split(&r, wire_62);
	assert_string_equal(va_buf_cstr(&r.log), "c[0];c[15]Tuesday at nine;f1;u62/9;D;");
	assert_string_equal(va_buf_cstr(&r.text), "Tuesday at nine");
	assert_true(r.done);
	assert_int_equal(r.last_finish, VA_LLM_FINISH_STOP);
	assert_int_equal(r.calls.n, 0);
	run_release(&r);
}

static void test_wire_62_crlf_and_cr(void **state)
{
	static const char *const eols[] = {"\r\n", "\r"};
	struct run want, r;
	size_t i;
	char *w;

	assert_int_equal(run_wire(&want, wire_62, 0, 0), VA_OK);
	for (i = 0; i < 2; i++) {
		w = with_line_ends(wire_62, eols[i]);
		run_every_split(&r, w);
		assert_string_equal(va_buf_cstr(&r.log), va_buf_cstr(&want.log));
		run_release(&r);
		free(w);
	}
	run_release(&want);
}

/* The chunk parser on its own: the usage chunk has choices:[] and must not
 * be indexed; "" content is content, null content is none. */
static void test_chunk_usage_and_empty_choices(void **state)
{
	struct va_llm_chunk_parser p = {0};
	struct va_llm_chunk ch;
	const char *u = CHUNK_HEAD "\"choices\":[],\"usage\":{\"prompt_tokens\":62,"
				   "\"completion_tokens\":9,\"total_tokens\":71}}";
	const char *nul = "{\"choices\":[{\"delta\":{\"content\":null},\"finish_reason\":null}]}";
	const char *none = "{\"choices\":[{\"delta\":{}}],\"usage\":null}";

	assert_int_equal(va_llm_chunk_parse(&p, u, strlen(u), &ch), VA_OK);
	assert_true(ch.has_usage);
	assert_int_equal(ch.prompt_tokens, 62);
	assert_int_equal(ch.completion_tokens, 9);
	assert_null(ch.content);
	assert_int_equal(ch.n_tools, 0);
	assert_int_equal(ch.finish, VA_LLM_FINISH_NONE);
	assert_false(ch.done || ch.is_error);
	assert_int_equal(va_llm_chunk_parse(&p, nul, strlen(nul), &ch), VA_OK);
	assert_null(ch.content);
	assert_false(ch.has_usage);
	assert_int_equal(va_llm_chunk_parse(&p, none, strlen(none), &ch), VA_OK);
	assert_null(ch.content);
	assert_false(ch.has_usage); /* usage:null on every other chunk */
	va_llm_chunk_parser_release(&p);
	va_llm_chunk_parser_release(&p);
	va_llm_chunk_parser_release(NULL);
}

static void test_chunk_done_and_garbage(void **state)
{
	struct va_llm_chunk_parser p = {0};
	struct va_llm_chunk ch;
	static const char *const bad[] = {"", "[DON", "null", "[1,2]", "\"x\"", "{\"a\":", "42"};
	size_t i;

	assert_int_equal(va_llm_chunk_parse(&p, "[DONE]", 6, &ch), VA_OK);
	assert_true(ch.done);
	assert_int_equal(va_llm_chunk_parse(&p, " [DONE] trailing", 16, &ch), VA_OK);
	assert_true(ch.done);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ch.done = true;
		assert_int_equal(va_llm_chunk_parse(&p, bad[i], strlen(bad[i]), &ch), VA_E_PARSE);
		assert_false(ch.done);
	}
	va_llm_chunk_parser_release(&p);
}

static void test_chunk_in_stream_error(void **state)
{
	static const char wire[] =
	    "data: " CHUNK_HEAD "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Let me\"},"
	    "\"finish_reason\":null}]}\n\n"
	    "data: {\"error\":{\"message\":\"The server had an error\\nwhile processing\","
	    "\"type\":\"server_error\",\"code\":null}}\n\n";
	struct va_llm_chunk_parser p = {0};
	struct va_llm_chunk ch;
	const char *olla = "{\"error\":\"model 'x' not found\"}";
	const char *vllm =
	    "{\"object\":\"error\",\"message\":\"bad\",\"type\":\"BadRequestError\"}";
	const char *noerr = "{\"error\":null,\"choices\":[]}";
	const char *nomsg = "{\"error\":{\"code\":500}}";
	struct run r;

	run_every_split(&r, wire);
	/* the message is cleaned for logs: the newline becomes a space */
	assert_string_equal(va_buf_cstr(&r.log),
			    "c[6]Let me;EThe server had an error while processing;");
	run_release(&r);

	assert_int_equal(va_llm_chunk_parse(&p, olla, strlen(olla), &ch), VA_OK);
	assert_true(ch.is_error);
	assert_string_equal(ch.error, "model 'x' not found");
	assert_int_equal(va_llm_chunk_parse(&p, vllm, strlen(vllm), &ch), VA_OK);
	assert_true(ch.is_error);
	assert_string_equal(ch.error, "bad");
	assert_int_equal(va_llm_chunk_parse(&p, noerr, strlen(noerr), &ch), VA_OK);
	assert_false(ch.is_error);
	assert_int_equal(va_llm_chunk_parse(&p, nomsg, strlen(nomsg), &ch), VA_OK);
	assert_true(ch.is_error);
	assert_string_equal(ch.error, "unknown error");
	va_llm_chunk_parser_release(&p);
}

static void test_finish_reasons(void **state)
{
	static const struct {
		const char *json;
		enum va_llm_finish want;
	} cases[] = {
	    {"\"stop\"", VA_LLM_FINISH_STOP},
	    {"\"length\"", VA_LLM_FINISH_LENGTH},
	    {"\"tool_calls\"", VA_LLM_FINISH_TOOL_CALLS},
	    {"\"content_filter\"", VA_LLM_FINISH_CONTENT_FILTER},
	    {"\"function_call\"", VA_LLM_FINISH_TOOL_CALLS},
	    {"\"tool\"", VA_LLM_FINISH_TOOL_CALLS},
	    {"\"eos_token\"", VA_LLM_FINISH_OTHER},
	    {"null", VA_LLM_FINISH_NONE},
	    {"\"\"", VA_LLM_FINISH_NONE},
	    {"7", VA_LLM_FINISH_NONE},
	};
	struct va_llm_chunk_parser p = {0};
	struct va_llm_chunk ch;
	char buf[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(buf, sizeof(buf),
			 "{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":%s}]}",
			 cases[i].json);
		assert_int_equal(va_llm_chunk_parse(&p, buf, strlen(buf), &ch), VA_OK);
		assert_int_equal(ch.finish, cases[i].want);
	}
	/* absent altogether */
	assert_int_equal(va_llm_chunk_parse(&p, "{\"choices\":[{}]}", 16, &ch), VA_OK);
	assert_int_equal(ch.finish, VA_LLM_FINISH_NONE);
	va_llm_chunk_parser_release(&p);
}

/* ---- §6.3: tool calls ---------------------------------------------------- */

/* Builds a §6.3-style stream: each delta in the chunk envelope of the
 * example, then a finish chunk (when finish is given) and [DONE]. */
struct wire {
	struct va_buf b;
};

static void w_delta(struct wire *w, const char *delta_json)
{
	va_buf_appendf(&w->b,
		       "data: {\"id\":\"chatcmpl-2\",\"object\":\"chat.completion.chunk\","
		       "\"created\":1764000001,\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,"
		       "\"delta\":%s,\"finish_reason\":null}]}\n\n",
		       delta_json);
}

/* A tool_calls delta for one call; NULL parts are left out, index < 0 too. */
static void w_call(struct wire *w, int index, const char *id, const char *name, const char *args)
{
	json_t *tc = json_object(), *fn = json_object(), *d;
	char *txt;

	if (index >= 0)
		json_object_set_new(tc, "index", json_integer(index));
	if (id) {
		json_object_set_new(tc, "id", json_string(id));
		json_object_set_new(tc, "type", json_string("function"));
	}
	if (name)
		json_object_set_new(fn, "name", json_string(name));
	if (args)
		json_object_set_new(fn, "arguments", json_string(args));
	json_object_set_new(tc, "function", fn);
	d = json_pack("{s:[o]}", "tool_calls", tc);
	txt = json_dumps(d, JSON_COMPACT);
	w_delta(w, txt);
	free(txt);
	json_decref(d);
}

static const char *w_end(struct wire *w, const char *finish)
{
	if (finish)
		va_buf_appendf(
		    &w->b,
		    "data: {\"id\":\"chatcmpl-2\",\"choices\":[{\"index\":0,\"delta\":{},"
		    "\"finish_reason\":\"%s\"}]}\n\n",
		    finish);
	va_buf_append_str(&w->b, "data: [DONE]\n\n");
	return va_buf_cstr(&w->b);
}

/* Parses assembled arguments, which must be one valid JSON object. */
static json_t *args_of(const struct va_llm_calls *c, size_t i)
{
	json_t *j = json_loadb(c->c[i].args.data, c->c[i].args.len, 0, NULL);

	assert_non_null(j);
	assert_true(json_is_object(j));
	return j;
}

static void test_tool_call_fragments(void **state)
{
	static const char *const frags[] = {"{\"",    "date\":\"2026-", "12-01\",",
					    "\"serv", "ice\":\"clea",	"ning\"}"};
	struct wire w = {VA_BUF_INIT(1 << 20)};
	struct run r;
	json_t *a;
	size_t i;

	/* the first chunk exactly as §6.3 shows it */
	w_delta(&w, "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"index\":0,\"id\":"
		    "\"call_abc123\",\"type\":\"function\",\"function\":{\"name\":\"find_slots\","
		    "\"arguments\":\"\"}}]}");
	for (i = 0; i < sizeof(frags) / sizeof(frags[0]); i++)
		w_call(&w, 0, NULL, NULL, frags[i]);
	run_every_split(&r, w_end(&w, "tool_calls"));
	assert_int_equal(r.last_finish, VA_LLM_FINISH_TOOL_CALLS);
	assert_int_equal(r.text.len, 0); /* content:null is no content */
	assert_int_equal(r.calls.n, 1);
	assert_string_equal(r.calls.c[0].id, "call_abc123");
	assert_string_equal(r.calls.c[0].name, "find_slots");
	a = args_of(&r.calls, 0);
	assert_string_equal(json_string_value(json_object_get(a, "date")), "2026-12-01");
	assert_string_equal(json_string_value(json_object_get(a, "service")), "cleaning");
	json_decref(a);
	run_release(&r);
	va_buf_release(&w.b);
}

static void test_two_parallel_calls_interleaved(void **state)
{
	struct wire w = {VA_BUF_INIT(1 << 20)};
	struct run r;
	json_t *a;

	w_call(&w, 0, "call_A", "check_availability", "");
	w_call(&w, 0, NULL, NULL, "{\"service\":");
	w_call(&w, 1, "call_B", "find_appointments", "{\"pho");
	w_call(&w, 0, NULL, NULL, "\"cleaning\"}");
	w_call(&w, 1, NULL, NULL, "ne\":\"+15550100\"}");
	run_every_split(&r, w_end(&w, "tool_calls"));
	assert_int_equal(r.calls.n, 2);
	assert_string_equal(r.calls.c[0].id, "call_A");
	assert_string_equal(r.calls.c[0].name, "check_availability");
	assert_string_equal(r.calls.c[1].id, "call_B");
	assert_string_equal(r.calls.c[1].name, "find_appointments");
	a = args_of(&r.calls, 0);
	assert_string_equal(json_string_value(json_object_get(a, "service")), "cleaning");
	json_decref(a);
	a = args_of(&r.calls, 1);
	assert_string_equal(json_string_value(json_object_get(a, "phone")), "+15550100");
	json_decref(a);
	run_release(&r);
	va_buf_release(&w.b);
}

/* Ollama: whole arguments in the first chunk, no index; two calls arrive as
 * two such chunks (and finish_reason may even say "stop"). */
static void test_ollama_whole_calls_without_index(void **state)
{
	struct wire w = {VA_BUF_INIT(1 << 20)};
	struct run r;
	json_t *a;

	w_call(&w, -1, "call_x1", "cancel_appointment", "{\"id\":17}");
	w_call(&w, -1, NULL, "end_call", "{}");
	run_every_split(&r, w_end(&w, "stop"));
	assert_int_equal(r.last_finish, VA_LLM_FINISH_STOP);
	assert_int_equal(r.calls.n, 2);
	assert_string_equal(r.calls.c[0].id, "call_x1");
	assert_string_equal(r.calls.c[0].name, "cancel_appointment");
	a = args_of(&r.calls, 0);
	assert_int_equal(json_integer_value(json_object_get(a, "id")), 17);
	json_decref(a);
	assert_string_equal(r.calls.c[1].id, "call_1"); /* synthesised */
	assert_string_equal(r.calls.c[1].name, "end_call");
	assert_string_equal(va_buf_cstr(&r.calls.c[1].args), "{}");
	/* the index was missing on the wire and reported as such */
	assert_non_null(strstr(va_buf_cstr(&r.log), "t-1,call_x1,cancel_appointment,"));
	run_release(&r);
	va_buf_release(&w.b);
}

/* No id on any fragment: call_<index>; an id arriving later fills it. */
static void test_missing_id(void **state)
{
	struct wire w = {VA_BUF_INIT(1 << 20)};
	struct run r;

	w_call(&w, 0, NULL, "end_call", "{");
	w_call(&w, 0, NULL, NULL, "}");
	w_call(&w, 1, NULL, "transfer_to_front_desk", "{}");
	w_call(&w, 1, "late_id", NULL, NULL);
	w_call(&w, 1, "ignored", "x", NULL);
	run_every_split(&r, w_end(&w, "tool_calls"));
	assert_int_equal(r.calls.n, 2);
	assert_string_equal(r.calls.c[0].id, "call_0");
	assert_string_equal(r.calls.c[0].name, "end_call");
	assert_string_equal(va_buf_cstr(&r.calls.c[0].args), "{}");
	/* a later id fills a missing one, but never replaces a real one; the
	 * name is set once */
	assert_string_equal(r.calls.c[1].id, "late_id");
	assert_string_equal(r.calls.c[1].name, "transfer_to_front_desk");
	assert_string_equal(va_buf_cstr(&r.calls.c[1].args), "{}");
	run_release(&r);
	va_buf_release(&w.b);
}

static void test_legacy_function_call(void **state)
{
	struct wire w = {VA_BUF_INIT(1 << 20)};
	struct run r;

	w_delta(&w, "{\"role\":\"assistant\",\"function_call\":{\"name\":\"end_call\","
		    "\"arguments\":\"\"}}");
	w_delta(&w, "{\"function_call\":{\"arguments\":\"{}\"}}");
	run_every_split(&r, w_end(&w, "function_call"));
	assert_int_equal(r.last_finish, VA_LLM_FINISH_TOOL_CALLS);
	assert_int_equal(r.calls.n, 1);
	assert_string_equal(r.calls.c[0].id, "call_0");
	assert_string_equal(r.calls.c[0].name, "end_call");
	assert_string_equal(va_buf_cstr(&r.calls.c[0].args), "{}");
	run_release(&r);
	va_buf_release(&w.b);
}

/* Arguments sent as a JSON object instead of text come back as text. */
static void test_arguments_as_object(void **state)
{
	const char *c = "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c1\","
			"\"function\":{\"name\":\"f\",\"arguments\":{\"a\":[1,\"\\u00e9\"]}}}]}}]}";
	struct va_llm_chunk_parser p = {0};
	struct va_llm_chunk ch;

	assert_int_equal(va_llm_chunk_parse(&p, c, strlen(c), &ch), VA_OK);
	assert_int_equal(ch.n_tools, 1);
	assert_int_equal(ch.tools[0].index, 0);
	assert_int_equal(ch.tools[0].args_len, strlen("{\"a\":[1,\"\xc3\xa9\"]}"));
	assert_memory_equal(ch.tools[0].args, "{\"a\":[1,\"\xc3\xa9\"]}", ch.tools[0].args_len);
	va_llm_chunk_parser_release(&p);
}

static void test_too_many_tool_deltas(void **state)
{
	struct va_buf b = VA_BUF_INIT(1 << 16);
	struct va_llm_chunk_parser p = {0};
	struct va_llm_chunk ch;
	int i;

	va_buf_append_str(&b, "{\"choices\":[{\"delta\":{\"tool_calls\":[");
	for (i = 0; i < 11; i++)
		va_buf_appendf(&b,
			       "%s{\"index\":%d,\"id\":\"id%d\",\"function\":{\"name\":\"n%d\"}}",
			       i ? "," : "", i, i, i);
	va_buf_append_str(&b, "]}}]}");
	assert_int_equal(va_llm_chunk_parse(&p, b.data, b.len, &ch), VA_OK);
	assert_int_equal(ch.n_tools, VA_LLM_MAX_TOOL_DELTAS);
	for (i = 0; i < VA_LLM_MAX_TOOL_DELTAS; i++) {
		char want[16];

		assert_int_equal(ch.tools[i].index, i);
		snprintf(want, sizeof(want), "id%d", i);
		assert_string_equal(ch.tools[i].id, want);
		assert_int_equal(ch.tools[i].args_len, 0);
		assert_non_null(ch.tools[i].args);
	}
	va_llm_chunk_parser_release(&p);
	va_buf_release(&b);
}

/* Odd values in a tool delta: a bad index is "missing", an overlong id is
 * cut on a character boundary, a non-string name is none. */
static void test_tool_delta_odd_values(void **state)
{
	struct va_llm_chunk_parser p = {0};
	struct va_llm_chunk ch;
	struct va_buf b = VA_BUF_INIT(4096);
	int i;

	va_buf_append_str(&b, "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":-2,\"id\":\"");
	for (i = 0; i < 40; i++)
		va_buf_append_str(&b, "\xc3\xa9"); /* 80 bytes */
	va_buf_append_str(&b,
			  "\",\"function\":{\"name\":5}},{\"index\":1.5},{\"index\":\"1\"},7]}}]}");
	assert_int_equal(va_llm_chunk_parse(&p, b.data, b.len, &ch), VA_OK);
	assert_int_equal(ch.n_tools, 3);
	assert_int_equal(ch.tools[0].index, -1);
	assert_int_equal(strlen(ch.tools[0].id), 62); /* 31 whole characters */
	assert_string_equal(ch.tools[0].name, "");
	assert_int_equal(ch.tools[1].index, -1);
	assert_int_equal(ch.tools[2].index, -1);
	va_llm_chunk_parser_release(&p);
	va_buf_release(&b);
}

/* ---- va_llm_calls on its own --------------------------------------------- */

static struct va_llm_tool_delta delta(int index, const char *id, const char *name, const char *args)
{
	struct va_llm_tool_delta d;

	memset(&d, 0, sizeof(d));
	d.index = index;
	SET(d.id, id);
	SET(d.name, name);
	d.args = args;
	d.args_len = strlen(args);
	return d;
}

static void test_calls_limits(void **state)
{
	struct va_llm_calls c;
	struct va_llm_tool_delta d;
	char *big;
	int i;

	va_llm_calls_init(&c);
	d = delta(VA_LLM_MAX_CALLS, "x", "f", "{}");
	assert_int_equal(va_llm_calls_add(&c, &d), VA_E_FULL);
	assert_int_equal(c.n, 0);
	for (i = 0; i < VA_LLM_MAX_CALLS; i++) {
		char id[16];

		snprintf(id, sizeof(id), "id%d", i);
		d = delta(-1, id, "f", "{}");
		assert_int_equal(va_llm_calls_add(&c, &d), VA_OK);
	}
	assert_int_equal(c.n, VA_LLM_MAX_CALLS);
	assert_string_equal(c.c[7].id, "id7");
	d = delta(-1, "id8", "f", "{}");
	assert_int_equal(va_llm_calls_add(&c, &d), VA_E_FULL);

	/* 64 KiB of arguments per call and not one byte more */
	big = calloc(1, 64 * 1024 + 2);
	memset(big, 'a', 64 * 1024 - 2);
	d = delta(3, "", "", big);
	assert_int_equal(va_llm_calls_add(&c, &d), VA_OK);
	assert_int_equal(c.c[3].args.len, 64 * 1024);
	d = delta(3, "", "", "b");
	assert_int_equal(va_llm_calls_add(&c, &d), VA_E_TOOBIG);
	assert_int_equal(c.c[3].args.len, 64 * 1024);
	free(big);
	va_llm_calls_release(&c);
	va_llm_calls_release(NULL);
}

/* The index-less rules of §6.4, fragment by fragment. */
static void test_calls_without_index(void **state)
{
	struct va_llm_calls c;
	struct va_llm_tool_delta d;

	va_llm_calls_init(&c);
	/* a first fragment opens call 0; a bare one continues it */
	d = delta(-1, "", "book_appointment", "{\"a\":");
	assert_int_equal(va_llm_calls_add(&c, &d), VA_OK);
	d = delta(-1, "", "", "1}");
	assert_int_equal(va_llm_calls_add(&c, &d), VA_OK);
	/* the same id continues too (and fills the synthesised one) */
	d = delta(-1, "real", "", "");
	assert_int_equal(va_llm_calls_add(&c, &d), VA_OK);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.c[0].id, "real");
	d = delta(-1, "real", "", "");
	assert_int_equal(va_llm_calls_add(&c, &d), VA_OK);
	assert_int_equal(c.n, 1);
	assert_string_equal(va_buf_cstr(&c.c[0].args), "{\"a\":1}");
	/* another id is another call */
	d = delta(-1, "other", "", "{}");
	assert_int_equal(va_llm_calls_add(&c, &d), VA_OK);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.c[1].id, "other");
	/* an indexed fragment goes where its index says */
	d = delta(0, "", "", " ");
	assert_int_equal(va_llm_calls_add(&c, &d), VA_OK);
	assert_string_equal(va_buf_cstr(&c.c[0].args), "{\"a\":1} ");
	assert_string_equal(va_buf_cstr(&c.c[1].args), "{}");
	/* call 1 has no name yet: a named fragment completes it... */
	d = delta(-1, "", "end_call", "");
	assert_int_equal(va_llm_calls_add(&c, &d), VA_OK);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.c[1].name, "end_call");
	/* ...and a second name means a second call */
	d = delta(-1, "", "end_call", "{}");
	assert_int_equal(va_llm_calls_add(&c, &d), VA_OK);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.c[2].id, "call_2");
	va_llm_calls_release(&c);
	/* reusable after release */
	d = delta(-1, "", "f", "{}");
	assert_int_equal(va_llm_calls_add(&c, &d), VA_OK);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.c[0].id, "call_0");
	va_llm_calls_release(&c);
}

/* ---- the request, parsed back ------------------------------------------- */

static const char params_find[] =
    "{\"type\":\"object\",\"properties\":{\"date\":{\"type\":\"string\"}},\"required\":[\"date\"]}";

static json_t *build(const struct va_llm_request *req)
{
	struct va_buf b = VA_BUF_INIT(1 << 20);
	json_error_t err;
	json_t *j;

	assert_int_equal(va_llm_request_json(req, &b), VA_OK);
	j = json_loadb(b.data, b.len, JSON_REJECT_DUPLICATES, &err);
	assert_non_null(j);
	/* compact: no newline or ": " anywhere outside strings of ours */
	assert_null(memchr(b.data, '\n', b.len));
	va_buf_release(&b);
	return j;
}

#define JGET(o, k) json_object_get((o), (k))
#define JSTR(o, k) json_string_value(JGET((o), (k)))

static void test_request_full(void **state)
{
	struct va_llm_message m[5];
	struct va_llm_tool tools[2] = {
	    {"find_slots", "List free slots on a date", params_find},
	    {"end_call", NULL, NULL},
	};
	struct va_llm_request req = {"gpt-4o-mini", 0.7, 200, m, 5, tools, 2};
	json_t *j, *msgs, *x, *tc;

	memset(m, 0, sizeof(m));
	m[0].role = VA_LLM_SYSTEM;
	m[0].content = va_xstrdup("You are the receptionist.");
	m[1].role = VA_LLM_USER;
	m[1].content = va_xstrdup("Can I come in \"Tuesday\" morning?");
	m[2].role = VA_LLM_ASSISTANT;
	m[2].n_calls = 2;
	SET(m[2].calls[0].id, "call_abc123");
	SET(m[2].calls[0].name, "find_slots");
	m[2].calls[0].arguments = va_xstrdup("{\"date\":\"2026-12-01\"}");
	SET(m[2].calls[1].id, "call_2");
	SET(m[2].calls[1].name, "end_call");
	m[3].role = VA_LLM_TOOL;
	SET(m[3].tool_call_id, "call_abc123");
	m[3].content = va_xstrdup("{\"slots\":[\"09:00\",\"10:30\"]}");
	m[4].role = VA_LLM_ASSISTANT;
	m[4].content = va_xstrdup("Nine works.");

	j = build(&req);
	assert_string_equal(JSTR(j, "model"), "gpt-4o-mini");
	assert_true(json_is_true(JGET(j, "stream")));
	assert_true(json_is_true(JGET(JGET(j, "stream_options"), "include_usage")));
	assert_true(json_real_value(JGET(j, "temperature")) == 0.7);
	assert_int_equal(json_integer_value(JGET(j, "max_tokens")), 200);
	assert_null(JGET(j, "max_completion_tokens"));
	assert_string_equal(JSTR(j, "tool_choice"), "auto");
	assert_true(json_is_true(JGET(j, "parallel_tool_calls")));

	msgs = JGET(j, "messages");
	assert_int_equal(json_array_size(msgs), 5);
	x = json_array_get(msgs, 0);
	assert_string_equal(JSTR(x, "role"), "system");
	assert_string_equal(JSTR(x, "content"), "You are the receptionist.");
	x = json_array_get(msgs, 1);
	assert_string_equal(JSTR(x, "role"), "user");
	assert_string_equal(JSTR(x, "content"), "Can I come in \"Tuesday\" morning?");
	x = json_array_get(msgs, 2);
	assert_string_equal(JSTR(x, "role"), "assistant");
	assert_true(json_is_null(JGET(x, "content"))); /* present, and null */
	assert_int_equal(json_array_size(JGET(x, "tool_calls")), 2);
	tc = json_array_get(JGET(x, "tool_calls"), 0);
	assert_string_equal(JSTR(tc, "id"), "call_abc123");
	assert_string_equal(JSTR(tc, "type"), "function");
	assert_string_equal(JSTR(JGET(tc, "function"), "name"), "find_slots");
	assert_string_equal(JSTR(JGET(tc, "function"), "arguments"), "{\"date\":\"2026-12-01\"}");
	/* no arguments is "{}" (an empty string is not JSON to llama.cpp) */
	tc = json_array_get(JGET(x, "tool_calls"), 1);
	assert_string_equal(JSTR(JGET(tc, "function"), "arguments"), "{}");
	x = json_array_get(msgs, 3);
	assert_string_equal(JSTR(x, "role"), "tool");
	assert_string_equal(JSTR(x, "tool_call_id"), "call_abc123");
	assert_string_equal(JSTR(x, "content"), "{\"slots\":[\"09:00\",\"10:30\"]}");
	assert_null(JGET(x, "tool_calls"));
	x = json_array_get(msgs, 4);
	assert_string_equal(JSTR(x, "content"), "Nine works.");
	assert_null(JGET(x, "tool_calls"));
	assert_null(JGET(x, "tool_call_id"));

	x = JGET(j, "tools");
	assert_int_equal(json_array_size(x), 2);
	tc = json_array_get(x, 0);
	assert_string_equal(JSTR(tc, "type"), "function");
	assert_string_equal(JSTR(JGET(tc, "function"), "name"), "find_slots");
	assert_string_equal(JSTR(JGET(tc, "function"), "description"), "List free slots on a date");
	/* embedded as an object, not as a string */
	assert_true(json_is_object(JGET(JGET(tc, "function"), "parameters")));
	assert_string_equal(
	    JSTR(JGET(JGET(JGET(JGET(tc, "function"), "parameters"), "properties"), "date"),
		 "type"),
	    "string");
	tc = json_array_get(x, 1);
	assert_null(JGET(JGET(tc, "function"), "description"));
	assert_null(JGET(JGET(tc, "function"), "parameters"));
	json_decref(j);
	for (size_t i = 0; i < 5; i++)
		va_llm_message_release(&m[i]);
	assert_null(m[2].calls[0].arguments);
	va_llm_message_release(NULL);
}

static void test_request_minimal(void **state)
{
	struct va_llm_message m = {.role = VA_LLM_USER};
	struct va_llm_request req = {"local", -1, 0, &m, 1, NULL, 0};
	json_t *j;

	/* a NULL user content still has to be a string for the API */
	j = build(&req);
	assert_null(JGET(j, "temperature"));
	assert_null(JGET(j, "max_tokens"));
	assert_null(JGET(j, "tools"));
	assert_null(JGET(j, "tool_choice"));
	assert_null(JGET(j, "parallel_tool_calls"));
	assert_string_equal(JSTR(json_array_get(JGET(j, "messages"), 0), "content"), "");
	json_decref(j);

	req.temperature = 0;
	j = build(&req);
	assert_true(json_is_real(JGET(j, "temperature")));
	assert_true(json_real_value(JGET(j, "temperature")) == 0);
	json_decref(j);
}

static void test_request_invalid_utf8(void **state)
{
	struct va_llm_message m[2];
	struct va_llm_request req = {"m", -1, 0, m, 2, NULL, 0};
	json_t *j;

	memset(m, 0, sizeof(m));
	m[0].role = VA_LLM_USER;
	/* a cut 3-byte sequence is one U+FFFD; a lone continuation, a stray
	 * 0xFF, an overlong and a surrogate are one each per bad byte */
	m[0].content =
	    va_xstrdup("caf\xC3 a\xE2\x82z \x80\xFF \xC0\xAF \xED\xA0\x80 ok \xE2\x82\xAC");
	m[1].role = VA_LLM_ASSISTANT;
	/* overlong 3-byte, past U+10FFFF; then U+10FFFF itself, which is fine */
	m[1].content =
	    va_xstrdup("\xE0\x80\x80|\xF4\x90\x80\x80|fine \xF0\x9F\x98\x80\xF4\x8F\xBF\xBF");
	j = build(&req);
	assert_string_equal(JSTR(json_array_get(JGET(j, "messages"), 0), "content"),
			    "caf\xEF\xBF\xBD a\xEF\xBF\xBDz \xEF\xBF\xBD\xEF\xBF\xBD "
			    "\xEF\xBF\xBD\xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD ok "
			    "\xE2\x82\xAC");
	assert_string_equal(JSTR(json_array_get(JGET(j, "messages"), 1), "content"),
			    "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD|"
			    "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD|"
			    "fine \xF0\x9F\x98\x80\xF4\x8F\xBF\xBF");
	json_decref(j);
	va_llm_message_release(&m[0]);
	va_llm_message_release(&m[1]);
}

static void test_request_errors(void **state)
{
	struct va_llm_message m = {.role = VA_LLM_USER};
	struct va_llm_tool bad_params[] = {
	    {"f", NULL, "[1,2]"},
	    {"f", NULL, "{\"type\":"},
	    {"f", NULL, "\"object\""},
	    {"", NULL, "{}"},
	};
	struct va_llm_request req = {"m", -1, 0, &m, 1, NULL, 0};
	struct va_buf b = VA_BUF_INIT(1 << 16);
	size_t i;

	va_buf_append_str(&b, "KEEP");
	for (i = 0; i < sizeof(bad_params) / sizeof(bad_params[0]); i++) {
		req.tools = &bad_params[i];
		req.n_tools = 1;
		assert_int_equal(va_llm_request_json(&req, &b), VA_E_INVAL);
		assert_string_equal(va_buf_cstr(&b), "KEEP");
	}
	req.tools = NULL;
	req.n_tools = 0;
	m.role = (enum va_llm_role)9;
	assert_int_equal(va_llm_request_json(&req, &b), VA_E_INVAL);
	m.role = VA_LLM_ASSISTANT;
	m.n_calls = VA_LLM_MAX_CALLS + 1;
	assert_int_equal(va_llm_request_json(&req, &b), VA_E_INVAL);
	m.n_calls = 0;
	req.temperature = 1.0 / 0.0; /* JSON has no infinity */
	assert_int_equal(va_llm_request_json(&req, &b), VA_E_INVAL);
	req.temperature = -1;
	req.model = NULL;
	assert_int_equal(va_llm_request_json(&req, &b), VA_E_INVAL);
	assert_string_equal(va_buf_cstr(&b), "KEEP");
	va_buf_release(&b);
}

/* Appends after what is there; at out's max, nothing is appended. */
static void test_request_append_and_toobig(void **state)
{
	struct va_llm_message m = {.role = VA_LLM_USER};
	struct va_llm_request req = {"m", -1, 0, &m, 1, NULL, 0};
	struct va_buf b = VA_BUF_INIT(1 << 16), small = VA_BUF_INIT(40);
	json_t *j;

	m.content = va_xstrdup("a long enough message to overflow a small buffer");
	va_buf_append_str(&b, "PREFIX");
	assert_int_equal(va_llm_request_json(&req, &b), VA_OK);
	assert_memory_equal(b.data, "PREFIX{", 7);
	j = json_loads(b.data + 6, 0, NULL);
	assert_non_null(j);
	json_decref(j);
	va_buf_append_str(&small, "xy");
	assert_int_equal(va_llm_request_json(&req, &small), VA_E_TOOBIG);
	assert_int_equal(small.len, 2);
	assert_string_equal(va_buf_cstr(&small), "xy");
	va_buf_release(&b);
	va_buf_release(&small);
	va_llm_message_release(&m);
}

/* ---- HTTP error bodies ---------------------------------------------------- */

static void test_error_message(void **state)
{
	static const char openai[] =
	    "{\"error\":{\"message\":\"Incorrect API key provided: sk-xxx.\","
	    "\"type\":\"invalid_request_error\",\"param\":null,\"code\":\"invalid_api_key\"}}";
	static const char ollama[] = "{\"error\":\"model \\\"llama9\\\" not found\"}";
	static const char vllm[] =
	    "{\"object\":\"error\",\"message\":\"The model `x` does not "
	    "exist.\",\"type\":\"NotFoundError\",\"param\":null,\"code\":404}";
	static const char html[] =
	    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n</html>";
	char dst[256], tiny[8];
	char big[1000];

	assert_int_equal(va_llm_error_message(openai, strlen(openai), dst, sizeof(dst)), VA_OK);
	assert_string_equal(dst, "Incorrect API key provided: sk-xxx.");
	assert_int_equal(va_llm_error_message(ollama, strlen(ollama), dst, sizeof(dst)), VA_OK);
	assert_string_equal(dst, "model \"llama9\" not found");
	assert_int_equal(va_llm_error_message(vllm, strlen(vllm), dst, sizeof(dst)), VA_OK);
	assert_string_equal(dst, "The model `x` does not exist.");
	/* not our JSON: the text itself, controls folded into spaces */
	assert_int_equal(va_llm_error_message(html, strlen(html), dst, sizeof(dst)), VA_OK);
	assert_string_equal(dst, "<html> <head><title>502 Bad Gateway</title></head> </html>");
	assert_int_equal(va_llm_error_message("{\"a\":1}", 7, dst, sizeof(dst)), VA_OK);
	assert_string_equal(dst, "{\"a\":1}");
	/* at most the first 200 bytes of a body */
	memset(big, 'x', sizeof(big));
	assert_int_equal(va_llm_error_message(big, sizeof(big), dst, sizeof(dst)), VA_OK);
	assert_int_equal(strlen(dst), 200);
	/* cut to dst, never inside a UTF-8 character */
	assert_int_equal(
	    va_llm_error_message("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 8, tiny, sizeof(tiny)), VA_OK);
	assert_string_equal(tiny, "\xc3\xa9\xc3\xa9\xc3\xa9");
	/* bytes that are not UTF-8 show as '?' */
	assert_int_equal(va_llm_error_message("bad \xff\xc3x", 7, dst, sizeof(dst)), VA_OK);
	assert_string_equal(dst, "bad ??x");
	/* nothing printable */
	assert_int_equal(va_llm_error_message("", 0, dst, sizeof(dst)), VA_E_PARSE);
	assert_string_equal(dst, "");
	assert_int_equal(va_llm_error_message(" \r\n\t", 4, dst, sizeof(dst)), VA_E_PARSE);
	assert_int_equal(va_llm_error_message(NULL, 5, dst, sizeof(dst)), VA_E_PARSE);
	assert_int_equal(va_llm_error_message("x", 1, dst, 0), VA_E_INVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_wire_62_every_split),
	    cmocka_unit_test(test_wire_62_crlf_and_cr),
	    cmocka_unit_test(test_chunk_usage_and_empty_choices),
	    cmocka_unit_test(test_chunk_done_and_garbage),
	    cmocka_unit_test(test_chunk_in_stream_error),
	    cmocka_unit_test(test_finish_reasons),
	    cmocka_unit_test(test_tool_call_fragments),
	    cmocka_unit_test(test_two_parallel_calls_interleaved),
	    cmocka_unit_test(test_ollama_whole_calls_without_index),
	    cmocka_unit_test(test_missing_id),
	    cmocka_unit_test(test_legacy_function_call),
	    cmocka_unit_test(test_arguments_as_object),
	    cmocka_unit_test(test_too_many_tool_deltas),
	    cmocka_unit_test(test_tool_delta_odd_values),
	    cmocka_unit_test(test_calls_limits),
	    cmocka_unit_test(test_calls_without_index),
	    cmocka_unit_test(test_request_full),
	    cmocka_unit_test(test_request_minimal),
	    cmocka_unit_test(test_request_invalid_utf8),
	    cmocka_unit_test(test_request_errors),
	    cmocka_unit_test(test_request_append_and_toobig),
	    cmocka_unit_test(test_error_message),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
