/* SPDX-License-Identifier: MIT */
/*
 * openai.c - the Chat Completions JSON of protocols.md §6: the streaming
 * request body, one stream chunk into typed deltas, tool calls assembled
 * across chunks, and HTTP error bodies. Pure functions; jansson stays here.
 * The parsing side follows the §6.4 defensive rules, because llama.cpp,
 * Ollama and vLLM each bend the OpenAI shape a little differently.
 */
#include "llm/openai.h"

#include "core/alloc.h"
#include "core/err.h"

#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARGS_MAX       (64 * 1024)
#define ERR_BODY_BYTES 200

/* ---- UTF-8 -------------------------------------------------------------- */

/* Length (1..4) of the well-formed sequence at p, or 0 with *bad set to the
 * length of its maximal ill-formed subpart, which becomes one U+FFFD (the
 * Unicode "best practice" that browsers and jansson's checker agree with:
 * no overlongs, no surrogates, nothing past U+10FFFF). */
static size_t utf8_seq(const unsigned char *p, size_t n, size_t *bad)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xBF;
	size_t need, k;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF) {
		need = 2;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else {
		*bad = 1;
		return 0;
	}
	for (k = 1; k < need; k++) {
		if (k >= n || p[k] < lo || p[k] > hi) {
			*bad = k;
			return 0;
		}
		lo = 0x80;
		hi = 0xBF;
	}
	return need;
}

/* A JSON string of text that may not be valid UTF-8: a message is never
 * dropped for a bad byte (a caller's transcript can hold anything); bad
 * bytes become U+FFFD. NULL only if jansson fails. */
static json_t *jstr_n(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, k, bad, o = 0;
	char *tmp;
	json_t *j;

	while (i < n && (k = utf8_seq(u + i, n - i, &bad)) != 0)
		i += k;
	if (i == n)
		return json_stringn(s, n);
	if (n > (SIZE_MAX - 1) / 3)
		return NULL;
	tmp = va_xmalloc(n * 3 + 1); /* worst case: every byte -> EF BF BD */
	for (i = 0; i < n;) {
		k = utf8_seq(u + i, n - i, &bad);
		if (k) {
			memcpy(tmp + o, s + i, k);
			o += k;
			i += k;
		} else {
			memcpy(tmp + o, "\xEF\xBF\xBD", 3);
			o += 3;
			i += bad;
		}
	}
	j = json_stringn(tmp, o);
	free(tmp);
	return j;
}

static json_t *jstr(const char *s)
{
	return jstr_n(s, strlen(s));
}

/* A fixed char[64] field that might lack its NUL. */
static json_t *jfield(const char *f, size_t sz)
{
	return jstr_n(f, strnlen(f, sz));
}

/* Copies text for logs and error displays: whole UTF-8 characters only, a
 * control character or whitespace run becomes one space, ill-formed bytes
 * become '?', ends trimmed. Returns the length written (dst always ends). */
static size_t clean_text(char *dst, size_t dstsz, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, o = 0, k, bad;
	bool gap = false;

	if (dstsz == 0)
		return 0;
	while (i < n) {
		if (u[i] <= 0x20 || u[i] == 0x7F) {
			gap = o > 0;
			i++;
			continue;
		}
		k = utf8_seq(u + i, n - i, &bad);
		if (o + (gap ? 1 : 0) + (k ? k : 1) >= dstsz)
			break;
		if (gap)
			dst[o++] = ' ';
		gap = false;
		if (k) {
			memcpy(dst + o, s + i, k);
			o += k;
			i += k;
		} else {
			dst[o++] = '?';
			i += bad;
		}
	}
	dst[o] = '\0';
	return o;
}

/* Copies a JSON string into a fixed field; truncation keeps whole UTF-8
 * characters (the id/name fields are far larger than any real server's). */
static void set_fixed(char *dst, size_t dstsz, const json_t *v)
{
	const char *s = json_string_value(v);
	size_t n, i = 0, k, bad;

	dst[0] = '\0';
	if (!s)
		return;
	n = strnlen(s, json_string_length(v));
	while (i < n && (k = utf8_seq((const unsigned char *)s + i, n - i, &bad)) != 0 &&
	       i + k < dstsz)
		i += k;
	memcpy(dst, s, i);
	dst[i] = '\0';
}

/* ---- the request -------------------------------------------------------- */

static const char *const role_names[] = {"system", "user", "assistant", "tool"};

static json_t *call_json(const struct va_llm_tool_call *tc)
{
	json_t *o = json_object(), *fn = json_object();
	const char *args = tc->arguments && tc->arguments[0] ? tc->arguments : "{}";
	int bad = 0;

	/* "" is not JSON: llama.cpp's templates parse the arguments and fail */
	bad |= json_object_set_new(fn, "name", jfield(tc->name, sizeof(tc->name)));
	bad |= json_object_set_new(fn, "arguments", jstr(args));
	bad |= json_object_set_new(o, "id", jfield(tc->id, sizeof(tc->id)));
	bad |= json_object_set_new(o, "type", json_string("function"));
	bad |= json_object_set_new(o, "function", fn);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int message_json(const struct va_llm_message *m, json_t **out)
{
	json_t *o = NULL, *content, *calls;
	bool with_calls = m->role == VA_LLM_ASSISTANT && m->n_calls > 0;
	size_t i;
	int rc = VA_E_INVAL, bad = 0;

	if ((unsigned)m->role > VA_LLM_TOOL || m->n_calls > VA_LLM_MAX_CALLS)
		goto out;
	o = json_object();
	bad |= json_object_set_new(o, "role", json_string(role_names[m->role]));
	/* null only where the API allows it; every other role requires a string */
	if (m->content)
		content = jstr(m->content);
	else
		content = with_calls ? json_null() : json_string("");
	bad |= json_object_set_new(o, "content", content);
	if (with_calls) {
		calls = json_array();
		for (i = 0; i < m->n_calls; i++)
			bad |= json_array_append_new(calls, call_json(&m->calls[i]));
		bad |= json_object_set_new(o, "tool_calls", calls);
	}
	if (m->role == VA_LLM_TOOL)
		bad |= json_object_set_new(o, "tool_call_id",
					   jfield(m->tool_call_id, sizeof(m->tool_call_id)));
	if (bad)
		goto out;
	*out = o;
	o = NULL;
	rc = VA_OK;
out:
	json_decref(o);
	return rc;
}

static int tool_json(const struct va_llm_tool *t, json_t **out)
{
	json_t *o = NULL, *fn, *params;
	int rc = VA_E_INVAL, bad = 0;

	if (!t->name || !t->name[0])
		goto out;
	o = json_object();
	fn = json_object();
	bad |= json_object_set_new(o, "type", json_string("function"));
	bad |= json_object_set_new(o, "function", fn);
	bad |= json_object_set_new(fn, "name", jstr(t->name));
	if (t->description)
		bad |= json_object_set_new(fn, "description", jstr(t->description));
	/* absent parameters = a tool without arguments, which the API allows */
	if (t->parameters_json) {
		params = json_loads(t->parameters_json, JSON_REJECT_DUPLICATES, NULL);
		if (!json_is_object(params)) {
			json_decref(params);
			goto out;
		}
		bad |= json_object_set_new(fn, "parameters", params);
	}
	if (bad)
		goto out;
	*out = o;
	o = NULL;
	rc = VA_OK;
out:
	json_decref(o);
	return rc;
}

struct dump_ctx {
	struct va_buf *out;
	int rc;
};

static int dump_cb(const char *p, size_t n, void *arg)
{
	struct dump_ctx *d = arg;

	d->rc = va_buf_append(d->out, p, n);
	return d->rc ? -1 : 0;
}

int va_llm_request_json(const struct va_llm_request *req, struct va_buf *out)
{
	json_t *root = NULL, *arr, *v, *opts;
	struct dump_ctx d = {out, VA_OK};
	size_t i, mark;
	int rc = VA_E_INVAL, bad = 0;

	if (!req || !out || !req->model || (req->n_messages && !req->messages) ||
	    (req->n_tools && !req->tools))
		return VA_E_INVAL;
	mark = out->len;
	root = json_object();
	bad |= json_object_set_new(root, "model", jstr(req->model));
	bad |= json_object_set_new(root, "stream", json_true());
	opts = json_object();
	bad |= json_object_set_new(opts, "include_usage", json_true());
	bad |= json_object_set_new(root, "stream_options", opts);
	arr = json_array();
	bad |= json_object_set_new(root, "messages", arr);
	for (i = 0; i < req->n_messages; i++) {
		rc = message_json(&req->messages[i], &v);
		if (rc)
			goto out;
		bad |= json_array_append_new(arr, v);
	}
	if (req->n_tools) {
		arr = json_array();
		bad |= json_object_set_new(root, "tools", arr);
		for (i = 0; i < req->n_tools; i++) {
			rc = tool_json(&req->tools[i], &v);
			if (rc)
				goto out;
			bad |= json_array_append_new(arr, v);
		}
		/* sent explicitly: llama.cpp leaves parallel calls off by default */
		bad |= json_object_set_new(root, "tool_choice", json_string("auto"));
		bad |= json_object_set_new(root, "parallel_tool_calls", json_true());
	}
	if (req->temperature >= 0)
		bad |= json_object_set_new(root, "temperature", json_real(req->temperature));
	/* max_tokens, not max_completion_tokens: the only one local servers know */
	if (req->max_tokens > 0)
		bad |= json_object_set_new(root, "max_tokens", json_integer(req->max_tokens));
	rc = VA_E_INVAL; /* a NULL from jansson here means a value it cannot hold (inf) */
	if (bad)
		goto out;
	/* precision 10 writes 0.7, not 0.69999999999999996 */
	if (json_dump_callback(root, dump_cb, &d, JSON_COMPACT | JSON_REAL_PRECISION(10))) {
		rc = d.rc ? d.rc : VA_E_INVAL;
		out->len = mark; /* all or nothing */
		if (out->data)
			out->data[mark] = '\0';
		goto out;
	}
	rc = VA_OK;
out:
	json_decref(root);
	return rc;
}

void va_llm_message_release(struct va_llm_message *m)
{
	size_t i, n;

	if (!m)
		return;
	free(m->content);
	m->content = NULL;
	n = m->n_calls < VA_LLM_MAX_CALLS ? m->n_calls : VA_LLM_MAX_CALLS;
	for (i = 0; i < n; i++) {
		free(m->calls[i].arguments);
		m->calls[i].arguments = NULL;
	}
	m->n_calls = 0;
}

/* ---- one chunk ---------------------------------------------------------- */

static enum va_llm_finish finish_of(const json_t *v)
{
	const char *s = json_string_value(v);

	/* "" is what a few servers put on intermediate chunks instead of null */
	if (!s || !s[0])
		return VA_LLM_FINISH_NONE;
	if (!strcmp(s, "stop"))
		return VA_LLM_FINISH_STOP;
	if (!strcmp(s, "length"))
		return VA_LLM_FINISH_LENGTH;
	/* legacy function_call, and llama.cpp's old "tool" sample */
	if (!strcmp(s, "tool_calls") || !strcmp(s, "function_call") || !strcmp(s, "tool"))
		return VA_LLM_FINISH_TOOL_CALLS;
	if (!strcmp(s, "content_filter"))
		return VA_LLM_FINISH_CONTENT_FILTER;
	return VA_LLM_FINISH_OTHER;
}

/* name + arguments of a "function" object (tool_calls[].function or the
 * legacy delta.function_call). */
static void function_fields(json_t *fn, struct va_llm_tool_delta *d)
{
	json_t *args;
	char *text;

	d->args = "";
	d->args_len = 0;
	if (!json_is_object(fn))
		return;
	set_fixed(d->name, sizeof(d->name), json_object_get(fn, "name"));
	args = json_object_get(fn, "arguments");
	if (json_is_object(args) || json_is_array(args)) {
		/* some servers send the arguments as JSON rather than as text;
		 * keep the text in the tree so the borrowed pointer stays valid */
		text = json_dumps(args, JSON_COMPACT);
		if (!text)
			return;
		json_object_set_new(fn, "arguments", json_string(text));
		free(text);
		args = json_object_get(fn, "arguments");
	}
	if (json_is_string(args)) {
		d->args = json_string_value(args);
		d->args_len = json_string_length(args);
	}
}

static void tool_delta(json_t *tc, struct va_llm_tool_delta *d)
{
	json_t *idx = json_object_get(tc, "index");
	json_int_t i = json_integer_value(idx);

	d->index = json_is_integer(idx) && i >= 0 && i <= INT_MAX ? (int)i : -1;
	set_fixed(d->id, sizeof(d->id), json_object_get(tc, "id"));
	function_fields(json_object_get(tc, "function"), d);
}

static void error_text(const json_t *root, char *dst, size_t dstsz)
{
	const json_t *e = json_object_get(root, "error");
	const json_t *m = json_is_object(e) ? json_object_get(e, "message") : e;

	if (!json_is_string(m))
		m = json_object_get(root, "message"); /* vLLM's {"object":"error",...} */
	if (!json_is_string(m) ||
	    !clean_text(dst, dstsz, json_string_value(m), json_string_length(m)))
		va_strlcpy(dst, "unknown error", dstsz);
}

static bool is_error(const json_t *root)
{
	const json_t *e = json_object_get(root, "error");
	const char *obj = json_string_value(json_object_get(root, "object"));

	if (obj && !strcmp(obj, "error"))
		return true;
	/* the SDK's test is truthiness */
	if (json_is_string(e))
		return json_string_length(e) > 0;
	return json_is_object(e) || json_is_true(e);
}

int va_llm_chunk_parse(struct va_llm_chunk_parser *p, const char *data, size_t len,
		       struct va_llm_chunk *out)
{
	json_t *root, *choices, *choice, *delta, *v, *calls, *usage;
	size_t i, skip = 0;

	va_llm_chunk_parser_release(p);
	memset(out, 0, sizeof(*out));
	if (!data)
		return VA_E_PARSE;
	while (skip < len && (data[skip] == ' ' || data[skip] == '\t'))
		skip++;
	if (len - skip >= 6 && !memcmp(data + skip, "[DONE]", 6)) {
		out->done = true;
		return VA_OK;
	}
	/* ALLOW_NUL: a "\u0000" a model emits must not kill the whole stream */
	root = json_loadb(data, len, JSON_ALLOW_NUL, NULL);
	if (!json_is_object(root)) {
		json_decref(root);
		return VA_E_PARSE;
	}
	p->_json = root;
	if (is_error(root)) {
		out->is_error = true;
		error_text(root, out->error, sizeof(out->error));
		return VA_OK;
	}
	usage = json_object_get(root, "usage");
	if (json_is_object(usage)) {
		out->has_usage = true;
		out->prompt_tokens = json_integer_value(json_object_get(usage, "prompt_tokens"));
		out->completion_tokens =
		    json_integer_value(json_object_get(usage, "completion_tokens"));
	}
	/* the usage chunk (and Azure's prompt_filter_results one) has choices:[] */
	choices = json_object_get(root, "choices");
	choice = json_array_size(choices) ? json_array_get(choices, 0) : NULL;
	if (!json_is_object(choice))
		return VA_OK;
	out->finish = finish_of(json_object_get(choice, "finish_reason"));
	delta = json_object_get(choice, "delta");
	if (!json_is_object(delta))
		return VA_OK;
	v = json_object_get(delta, "content");
	if (json_is_string(v)) {
		out->content = json_string_value(v);
		out->content_len = json_string_length(v);
	}
	calls = json_object_get(delta, "tool_calls");
	for (i = 0; i < json_array_size(calls) && out->n_tools < VA_LLM_MAX_TOOL_DELTAS; i++) {
		v = json_array_get(calls, i);
		if (json_is_object(v))
			tool_delta(v, &out->tools[out->n_tools++]);
	}
	v = json_object_get(delta, "function_call");
	if (json_is_object(v) && out->n_tools < VA_LLM_MAX_TOOL_DELTAS) {
		out->tools[out->n_tools].index = 0; /* legacy: one call per response */
		function_fields(v, &out->tools[out->n_tools++]);
	}
	return VA_OK;
}

void va_llm_chunk_parser_release(struct va_llm_chunk_parser *p)
{
	if (!p)
		return;
	json_decref(p->_json);
	p->_json = NULL;
}

/* ---- tool-call assembly ------------------------------------------------- */

void va_llm_calls_init(struct va_llm_calls *c)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < VA_LLM_MAX_CALLS; i++)
		va_buf_init(&c->c[i].args, ARGS_MAX);
}

void va_llm_calls_release(struct va_llm_calls *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < VA_LLM_MAX_CALLS; i++) {
		va_buf_release(&c->c[i].args);
		c->c[i].id[0] = '\0';
		c->c[i].name[0] = '\0';
	}
	c->n = 0;
}

static void synth_id(char *dst, size_t dstsz, size_t slot)
{
	snprintf(dst, dstsz, "call_%zu", slot);
}

/* The id was made up by us (no fragment carried one yet): a real one may
 * still replace it. */
static bool id_synthetic(const struct va_llm_calls *c, size_t slot)
{
	char tmp[32];

	synth_id(tmp, sizeof(tmp), slot);
	return !c->c[slot].id[0] || !strcmp(c->c[slot].id, tmp);
}

/* Where an index-less fragment goes. §6.4 says "the only open call, else a
 * new one"; we refine it by what the fragment carries, so that Ollama's whole
 * calls without index or id (each has a name) never merge, and a bare
 * argument fragment continues the latest call instead of opening a nameless
 * one that could never run. */
static bool continues_last(const struct va_llm_calls *c, const struct va_llm_tool_delta *d,
			   size_t did_len)
{
	size_t last;

	if (c->n == 0)
		return false;
	last = c->n - 1;
	if (did_len && !id_synthetic(c, last) && strncmp(d->id, c->c[last].id, sizeof(d->id)))
		return false;
	if (d->name[0] && c->c[last].name[0])
		return false;
	return true;
}

int va_llm_calls_add(struct va_llm_calls *c, const struct va_llm_tool_delta *d)
{
	size_t slot, i, did_len = strnlen(d->id, sizeof(d->id));
	size_t name_len = strnlen(d->name, sizeof(d->name));

	if (d->index >= 0) {
		if (d->index >= VA_LLM_MAX_CALLS)
			return VA_E_FULL;
		slot = (size_t)d->index;
	} else if (continues_last(c, d, did_len)) {
		slot = c->n - 1;
	} else {
		if (c->n >= VA_LLM_MAX_CALLS)
			return VA_E_FULL;
		slot = c->n;
	}
	/* checked before anything changes, so a failed add leaves c as it was */
	if (d->args_len > ARGS_MAX || c->c[slot].args.len > ARGS_MAX - d->args_len)
		return VA_E_TOOBIG;
	if (d->args_len && va_buf_append(&c->c[slot].args, d->args, d->args_len))
		return VA_E_TOOBIG;
	/* an index past the open ones opens the ones in between too (they stay
	 * nameless; the caller skips or rejects them) */
	for (i = c->n; i <= slot; i++)
		synth_id(c->c[i].id, sizeof(c->c[i].id), i);
	if (c->n <= slot)
		c->n = slot + 1;
	if (did_len && id_synthetic(c, slot)) {
		memcpy(c->c[slot].id, d->id, did_len < 64 ? did_len : 63);
		c->c[slot].id[did_len < 64 ? did_len : 63] = '\0';
	}
	if (name_len && !c->c[slot].name[0]) {
		memcpy(c->c[slot].name, d->name, name_len < 64 ? name_len : 63);
		c->c[slot].name[name_len < 64 ? name_len : 63] = '\0';
	}
	return VA_OK;
}

/* ---- HTTP error bodies -------------------------------------------------- */

int va_llm_error_message(const char *body, size_t len, char *dst, size_t dstsz)
{
	json_t *root = NULL;
	const json_t *e, *m = NULL;
	size_t n = 0;

	if (!dst || dstsz == 0)
		return VA_E_INVAL;
	dst[0] = '\0';
	if (!body)
		len = 0;
	if (len)
		root = json_loadb(body, len, JSON_ALLOW_NUL, NULL);
	if (json_is_object(root)) {
		e = json_object_get(root, "error");
		m = json_is_object(e) ? json_object_get(e, "message") : e; /* Ollama: a string */
		if (!json_is_string(m))
			m = json_object_get(root, "message"); /* vLLM */
		if (!json_is_string(m))
			m = json_object_get(root, "detail"); /* FastAPI-based servers */
		if (json_is_string(m))
			n = clean_text(dst, dstsz, json_string_value(m), json_string_length(m));
	}
	if (!n)
		n = clean_text(dst, dstsz, body, len < ERR_BODY_BYTES ? len : ERR_BODY_BYTES);
	json_decref(root);
	return n ? VA_OK : VA_E_PARSE;
}
