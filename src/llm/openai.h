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
	char *content;	/* owned; may be NULL (an assistant turn that only calls tools) */
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
 * "messages":[...],"tools":[...],"tool_choice":"auto","parallel_tool_calls":true,
 * "temperature","max_tokens"} (compact; tools and what follows only when
 * present). Content that is not UTF-8 is sent with U+FFFD for the bad bytes;
 * NULL content is null for an assistant turn with calls, "" otherwise; NULL
 * or "" arguments are sent as "{}"; a tool without parameters_json has no
 * "parameters". VA_E_INVAL for a bad role, n_calls past VA_LLM_MAX_CALLS,
 * parameters_json that is not a JSON object, a nameless tool, no model or a
 * non-finite temperature. VA_E_TOOBIG at out's max. On error out is as it was. */
int va_llm_request_json(const struct va_llm_request *req, struct va_buf *out);

/* Frees content and the first n_calls arguments; accepts NULL. */
void va_llm_message_release(struct va_llm_message *m);

/* ---- the stream -------------------------------------------------------- */

/* Incremental SSE decoder (WHATWG rules: LF, CRLF or CR line ends; ':'
 * comments; "data:" lines joined with "\n"; dispatch on a blank line). */
struct va_sse {
	struct va_buf line; /* the line being read */
	struct va_buf data; /* the event's data */
	bool cr;	    /* the previous byte was CR (a following LF is not a new line) */
};

/* max bounds one line and one event's data (a bigger one is VA_E_TOOBIG). */
void va_sse_init(struct va_sse *s, size_t max);
void va_sse_release(struct va_sse *s);

/* Feeds bytes; for every complete event calls on_event(data, len, arg) with
 * the joined data (NUL-terminated, borrowed until on_event returns; on_event
 * may be NULL). Only blocks with at least one "data" line are events; one
 * with an empty "data:" line is an event with len 0. A non-zero return from
 * on_event stops the feed and is returned. VA_E_TOOBIG past max (the
 * partial line and event are dropped; treat the stream as failed). */
int va_sse_feed(struct va_sse *s, const char *p, size_t n,
		int (*on_event)(const char *data, size_t len, void *arg), void *arg);
/* True when bytes of an unfinished line or event are held: at the end of the
 * body this means the stream was cut (or its last event had no blank line;
 * such an event is never dispatched, the caller decides what it means). */
bool va_sse_pending(const struct va_sse *s);

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
	int index;	  /* -1 when the server omitted it (see the defensive rules) */
	char id[64];	  /* "" unless this fragment carries it */
	char name[64];	  /* "" unless this fragment carries it */
	const char *args; /* borrowed fragment (valid during the callback), may be "" */
	size_t args_len;
};

#define VA_LLM_MAX_TOOL_DELTAS 8

struct va_llm_chunk {
	bool done;     /* "[DONE]" */
	bool is_error; /* an in-stream {"error":{...}} */
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
 * lives until the next call or va_llm_chunk_parser_release (start from a
 * zeroed parser). VA_E_PARSE for data that is neither [DONE] nor a JSON
 * object. Only choices[0] is read (an empty choices, as in the usage chunk,
 * gives a chunk with no delta). content is NULL when absent or null, and may
 * be "" (the first chunk). finish "" counts as NONE; "function_call" and
 * llama.cpp's "tool" as TOOL_CALLS. A legacy delta.function_call is a tool
 * delta with index 0; arguments a server sent as a JSON object or array come
 * as their compact text. An in-stream error (an "error" object or string, or
 * vLLM's {"object":"error","message"}) is is_error with the message cleaned
 * for logs (control characters as spaces). */
struct va_llm_chunk_parser {
	void *_json; /* json_t of the last chunk */
};

int va_llm_chunk_parse(struct va_llm_chunk_parser *p, const char *data, size_t len,
		       struct va_llm_chunk *out);
void va_llm_chunk_parser_release(struct va_llm_chunk_parser *p);

/* Assembles tool calls across chunks by index (several calls, arguments in
 * any number of fragments; a missing id -> "call_<slot>", replaced by the
 * first real id a later fragment carries; a name is set once). A fragment
 * without index continues the latest call when it is compatible with it (no
 * id, the same id, or the latest has only a made-up one; and not a second
 * name), else opens a new call: with one call open this is §6.4's rule, and
 * Ollama's whole, index-less calls never merge. An index past the open calls
 * opens the ones in between (nameless; the caller rejects those). A stream
 * that ends with calls and finish STOP is a tool-call turn (§6.4): the caller
 * decides that from calls.n. */
struct va_llm_calls {
	size_t n;
	struct {
		char id[64];
		char name[64];
		struct va_buf args;
	} c[VA_LLM_MAX_CALLS];
};

void va_llm_calls_init(struct va_llm_calls *c);
/* Frees the arguments and empties c (which may be used again); accepts NULL. */
void va_llm_calls_release(struct va_llm_calls *c);
/* VA_E_FULL past VA_LLM_MAX_CALLS; VA_E_TOOBIG past 64 KiB of arguments in
 * one call. A failed add changes nothing. */
int va_llm_calls_add(struct va_llm_calls *c, const struct va_llm_tool_delta *d);

/* An HTTP error body {"error":{"message":..,"type":..,"code":..}} -> message
 * (also {"error":"..."} of Ollama, {"message"} of vLLM, {"detail"}); any
 * other body -> its first 200 bytes as one line of text (whole UTF-8
 * characters, control runs as one space, bad bytes as '?'). dst always ends
 * with NUL. VA_E_PARSE when nothing printable is left, VA_E_INVAL for dstsz 0. */
int va_llm_error_message(const char *body, size_t len, char *dst, size_t dstsz);

#endif
