/* SPDX-License-Identifier: MIT */
/*
 * sse.c - incremental server-sent-events decoder for the Chat Completions
 * stream (protocols.md §6.2, the WHATWG event-stream rules). Bytes may be
 * split anywhere across reads, a CRLF included; only "data" fields matter to
 * us, so event/id/retry are parsed and dropped.
 */
#include "llm/openai.h"

#include "core/err.h"

#include <string.h>

void va_sse_init(struct va_sse *s, size_t max)
{
	va_buf_init(&s->line, max);
	/* +1: every data line is stored with its LF (WHATWG), the last one is
	 * dropped at dispatch, so an event of exactly max bytes still fits */
	va_buf_init(&s->data, max < SIZE_MAX ? max + 1 : max);
	s->cr = false;
}

void va_sse_release(struct va_sse *s)
{
	if (!s)
		return;
	va_buf_release(&s->line);
	va_buf_release(&s->data);
	s->cr = false;
}

bool va_sse_pending(const struct va_sse *s)
{
	return s->line.len > 0 || s->data.len > 0;
}

/* An over-long line or event fails the stream; forget it so the decoder
 * holds no half state. */
static int too_big(struct va_sse *s)
{
	va_buf_reset(&s->line);
	va_buf_reset(&s->data);
	return VA_E_TOOBIG;
}

static int dispatch(struct va_sse *s, int (*on_event)(const char *, size_t, void *), void *arg)
{
	int rc = VA_OK;

	/* no data field at all (a comment or "event:" only block): no event */
	if (s->data.len == 0)
		return VA_OK;
	s->data.len--;
	s->data.data[s->data.len] = '\0';
	if (on_event)
		rc = on_event(s->data.data, s->data.len, arg);
	va_buf_reset(&s->data);
	return rc;
}

static int end_of_line(struct va_sse *s, int (*on_event)(const char *, size_t, void *), void *arg)
{
	const char *l = va_buf_cstr(&s->line);
	size_t n = s->line.len, flen;
	const char *colon, *val;
	size_t vlen;
	int rc = VA_OK;

	if (n == 0)
		return dispatch(s, on_event, arg);
	if (l[0] == ':')
		goto out;
	colon = memchr(l, ':', n);
	flen = colon ? (size_t)(colon - l) : n;
	if (flen != 4 || memcmp(l, "data", 4) != 0)
		goto out; /* event, id, retry and unknown fields: nothing we act on */
	val = colon ? colon + 1 : l + n;
	vlen = n - (size_t)(val - l);
	if (vlen && val[0] == ' ') {
		val++;
		vlen--;
	}
	if (va_buf_append(&s->data, val, vlen) || va_buf_append(&s->data, "\n", 1)) {
		va_buf_reset(&s->line);
		return too_big(s);
	}
out:
	va_buf_reset(&s->line);
	return rc;
}

int va_sse_feed(struct va_sse *s, const char *p, size_t n,
		int (*on_event)(const char *data, size_t len, void *arg), void *arg)
{
	size_t i = 0, j;
	int rc;

	while (i < n) {
		if (s->cr) {
			s->cr = false;
			if (p[i] == '\n') {
				i++;
				continue;
			}
		}
		/* copy the run up to the next line end in one append */
		for (j = i; j < n && p[j] != '\n' && p[j] != '\r'; j++)
			;
		if (j > i && va_buf_append(&s->line, p + i, j - i))
			return too_big(s);
		if (j == n)
			break;
		s->cr = p[j] == '\r';
		i = j + 1;
		rc = end_of_line(s, on_event, arg);
		if (rc)
			return rc;
	}
	return VA_OK;
}
