/* SPDX-License-Identifier: MIT */
/*
 * fuzz_sse.c - libFuzzer target for the Chat Completions stream path
 * (src/llm/sse.c, src/llm/openai.c): arbitrary bytes go through the SSE
 * decoder in pieces whose sizes come from the input's first bytes, every
 * event through the chunk parser and every tool delta into the call
 * assembler. The same bytes fed whole must give the same events and deltas,
 * and whatever calls were assembled must make a request body that parses.
 */
#include "llm/openai.h"

#include "core/buf.h"
#include "core/err.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

#define SSE_MAX 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct sink {
	struct va_llm_chunk_parser p;
	struct va_llm_calls calls;
	struct va_buf log;
};

static void log_chunk(struct sink *k, int rc, const struct va_llm_chunk *ch)
{
	size_t i;

	va_buf_appendf(&k->log, "rc%d d%d e%d f%d u%d;", rc, ch->done, ch->is_error, ch->finish,
		       ch->has_usage);
	if (ch->content)
		va_buf_append(&k->log, ch->content, ch->content_len);
	for (i = 0; i < ch->n_tools; i++) {
		va_buf_appendf(&k->log, "t%d,%s,%s,", ch->tools[i].index, ch->tools[i].id,
			       ch->tools[i].name);
		va_buf_append(&k->log, ch->tools[i].args, ch->tools[i].args_len);
	}
}

static int on_event(const char *d, size_t len, void *arg)
{
	struct sink *k = arg;
	struct va_llm_chunk ch;
	size_t i;
	int rc;

	CHECK(len <= SSE_MAX && d[len] == '\0');
	rc = va_llm_chunk_parse(&k->p, d, len, &ch);
	CHECK(rc == VA_OK || rc == VA_E_PARSE);
	CHECK(ch.n_tools <= VA_LLM_MAX_TOOL_DELTAS);
	CHECK(memchr(ch.error, '\0', sizeof(ch.error)));
	log_chunk(k, rc, &ch);
	for (i = 0; i < ch.n_tools; i++) {
		CHECK(ch.tools[i].args && ch.tools[i].index >= -1);
		CHECK(memchr(ch.tools[i].id, '\0', sizeof(ch.tools[i].id)));
		CHECK(memchr(ch.tools[i].name, '\0', sizeof(ch.tools[i].name)));
		rc = va_llm_calls_add(&k->calls, &ch.tools[i]);
		CHECK(rc == VA_OK || rc == VA_E_FULL || rc == VA_E_TOOBIG);
		va_buf_appendf(&k->log, "a%d;", rc);
	}
	CHECK(k->calls.n <= VA_LLM_MAX_CALLS);
	return 0;
}

/* Feeds body in pieces of sizes[i % n] bytes (n == 0: whole). */
static int decode(struct sink *k, const char *body, size_t len, const uint8_t *sizes, size_t n)
{
	struct va_sse s;
	size_t i = 0, j = 0, step;
	int rc = VA_OK;

	memset(k, 0, sizeof(*k));
	va_llm_calls_init(&k->calls);
	va_buf_init(&k->log, 1 << 24);
	va_sse_init(&s, SSE_MAX);
	while (i < len && !rc) {
		step = n ? (size_t)sizes[j++ % n] + 1 : len;
		if (step > len - i)
			step = len - i;
		rc = va_sse_feed(&s, body + i, step, on_event, k);
		i += step;
	}
	CHECK(rc == VA_OK || rc == VA_E_TOOBIG);
	va_buf_appendf(&k->log, "end%d,%d", rc, va_sse_pending(&s));
	va_sse_release(&s);
	return rc;
}

/* What was assembled must be sendable back: an assistant turn with those
 * calls becomes a request body that parses as JSON with the same ids. */
static void check_round_trip(const struct va_llm_calls *c)
{
	struct va_llm_message m;
	struct va_llm_request req = {"m", 0.5, 10, &m, 1, NULL, 0};
	struct va_buf b = VA_BUF_INIT(1 << 22);
	json_t *j, *calls;
	size_t i;

	memset(&m, 0, sizeof(m));
	m.role = VA_LLM_ASSISTANT;
	m.n_calls = c->n;
	for (i = 0; i < c->n; i++) {
		memcpy(m.calls[i].id, c->c[i].id, sizeof(m.calls[i].id));
		memcpy(m.calls[i].name, c->c[i].name, sizeof(m.calls[i].name));
		m.calls[i].arguments = strdup(va_buf_cstr(&c->c[i].args));
	}
	CHECK(va_llm_request_json(&req, &b) == VA_OK);
	j = json_loadb(b.data, b.len, 0, NULL);
	CHECK(j);
	calls = json_object_get(json_array_get(json_object_get(j, "messages"), 0), "tool_calls");
	CHECK(json_array_size(calls) == c->n);
	for (i = 0; i < c->n; i++) {
		const char *id = json_string_value(json_object_get(json_array_get(calls, i), "id"));

		/* the parser only hands out UTF-8, so ids go back unchanged */
		CHECK(id && !strcmp(id, c->c[i].id));
	}
	json_decref(j);
	va_buf_release(&b);
	va_llm_message_release(&m);
}

static void sink_release(struct sink *k)
{
	va_llm_chunk_parser_release(&k->p);
	va_llm_calls_release(&k->calls);
	va_buf_release(&k->log);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sink split, whole;
	const uint8_t *sizes;
	size_t n_sizes;
	const char *body;
	size_t len;
	char msg[256];

	if (size < 1)
		return 0;
	/* byte 0: how many piece sizes follow (0..15); then the body */
	n_sizes = data[0] & 0x0F;
	if (n_sizes > size - 1)
		n_sizes = size - 1;
	sizes = data + 1;
	body = (const char *)data + 1 + n_sizes;
	len = size - 1 - n_sizes;

	decode(&split, body, len, sizes, n_sizes);
	decode(&whole, body, len, NULL, 0);
	CHECK(split.log.len == whole.log.len &&
	      !memcmp(va_buf_cstr(&split.log), va_buf_cstr(&whole.log), split.log.len));
	check_round_trip(&split.calls);
	sink_release(&split);
	sink_release(&whole);

	if (va_llm_error_message(body, len, msg, sizeof(msg)) == VA_OK)
		CHECK(msg[0] != '\0' && !strchr(msg, '\n') && !strchr(msg, '\r'));
	return 0;
}
