/* SPDX-License-Identifier: MIT */
/*
 * openai.h - the OpenAI Chat Completions wire format, both directions, as
 * pure functions (no I/O): building a streaming request body from typed
 * messages and tools, decoding the server-sent-events stream incrementally
 * (bytes may split anywhere across reads), and turning each chunk into typed
 * deltas. JSON stops here. See ../shared/reference/protocols.md §6.
 */
#ifndef VA_LLM_OPENAI_H
#define VA_LLM_OPENAI_H

#include "core/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- the request ------------------------------------------------------- */

enum va_llm_role { VA_LLM_SYSTEM = 0, VA_LLM_USER, VA_LLM_ASSISTANT, VA_LLM_TOOL };

#define VA_LLM_MAX_CALLS 8

struct va_llm_tool_call {
	char id[64];
	char name[64];
	char *arguments; /* owned: JSON text as the model produced it */
};

struct va_llm_message {
	enum va_llm_role role;
	char *content; /* owned; may be NULL (an assistant turn that only calls tools) */
	size_t n_calls; /* assistant: tool calls it made */
	struct va_llm_tool_call calls[VA_LLM_MAX_CALLS];
	char tool_call_id[64]; /* tool: which call this answers */
};

struct va_llm_tool {
	const char *name;
	const char *description;
	const char *parameters_json; /* a JSON Schema object, as text */
};

struct va_llm_request {
	const char *model;
	double temperature; /* < 0: omit */
	int max_tokens;	    /* <= 0: omit */
	const struct va_llm_message *messages;
	size_t n_messages;
	const struct va_llm_tool *tools;
	size_t n_tools;
};

/* Appends the JSON body: {"model","stream":true,"stream_options":{"include_usage":true},
 * "messages":[...],"tools":[...],"tool_choice":"auto",...}. VA_E_TOOBIG at out's max. */
int va_llm_request_json(const struct va_llm_request *req, struct va_buf *out);

void va_llm_message_release(struct va_llm_message *m);

/* ---- the stream -------------------------------------------------------- */

/* Incremental SSE decoder (WHATWG rules: LF, CRLF or CR line ends; ':'
 * comments; "data:" lines joined with "\n"; dispatch on a blank line). */
struct va_sse {
	struct va_buf line;  /* the line being read */
	struct va_buf data;  /* the event's data */
	bool cr;	     /* the previous byte was CR (a following LF is not a new line) */
};

/* max bounds one line and one event's data (a bigger one is VA_E_TOOBIG). */
void va_sse_init(struct va_sse *s, size_t max);
void va_sse_release(struct va_sse *s);

/* Feeds bytes; for every complete event calls on_event(data, len, arg) with
 * the joined data (NUL-terminated). A non-zero return from on_event stops
 * the feed and is returned. VA_E_TOOBIG past max. */
int va_sse_feed(struct va_sse *s, const char *p, size_t n,
		int (*on_event)(const char *data, size_t len, void *arg), void *arg);

/* One decoded chunk ("data: {...}" of a chat.completion.chunk). */
enum va_llm_finish {
	VA_LLM_FINISH_NONE = 0,
	VA_LLM_FINISH_STOP,
	VA_LLM_FINISH_LENGTH,
	VA_LLM_FINISH_TOOL_CALLS,
	VA_LLM_FINISH_CONTENT_FILTER,
	VA_LLM_FINISH_OTHER,
};

struct va_llm_tool_delta {
	int index;	      /* -1 when the server omitted it (see the defensive rules) */
	char id[64];	      /* "" unless this fragment carries it */
	char name[64];	      /* "" unless this fragment carries it */
	const char *args;     /* borrowed fragment (valid during the callback), may be "" */
	size_t args_len;
};

#define VA_LLM_MAX_TOOL_DELTAS 8

struct va_llm_chunk {
	bool done;	/* "[DONE]" */
	bool is_error;	/* an in-stream {"error":{...}} */
	char error[256];
	const char *content; /* borrowed; NULL when the chunk has none */
	size_t content_len;
	size_t n_tools;
	struct va_llm_tool_delta tools[VA_LLM_MAX_TOOL_DELTAS];
	enum va_llm_finish finish;
	bool has_usage;
	int64_t prompt_tokens, completion_tokens;
};

/* Decodes one event's data. The chunk borrows from an internal parse that
 * lives until the next call or va_llm_chunk_parser_release. VA_E_PARSE for
 * data that is neither [DONE] nor a JSON object. */
struct va_llm_chunk_parser {
	void *_json; /* json_t of the last chunk */
};

int va_llm_chunk_parse(struct va_llm_chunk_parser *p, const char *data, size_t len,
		       struct va_llm_chunk *out);
void va_llm_chunk_parser_release(struct va_llm_chunk_parser *p);

/* Assembles tool calls across chunks by index (several calls, arguments in
 * any number of fragments; an index missing -> the only open call or a new
 * one; a missing id -> "call_<index>"). */
struct va_llm_calls {
	size_t n;
	struct {
		char id[64];
		char name[64];
		struct va_buf args;
	} c[VA_LLM_MAX_CALLS];
};

void va_llm_calls_init(struct va_llm_calls *c);
void va_llm_calls_release(struct va_llm_calls *c);
/* VA_E_FULL past VA_LLM_MAX_CALLS; VA_E_TOOBIG past 64 KiB of arguments. */
int va_llm_calls_add(struct va_llm_calls *c, const struct va_llm_tool_delta *d);

/* An HTTP error body {"error":{"message":..,"type":..,"code":..}} -> message. */
int va_llm_error_message(const char *body, size_t len, char *dst, size_t dstsz);

#endif
