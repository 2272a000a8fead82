/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/llm/sse.c: the event-stream framing of protocols.md
 * §6.2 (line ends, data joining, comments and other fields, dispatch only on
 * a blank line, splits anywhere across feeds, the size bound).
 */
#include "llm/openai.h"

#include "core/err.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define MAX_EV 16

struct events {
	size_t n;
	char *ev[MAX_EV];
	size_t len[MAX_EV];
	int stop_at; /* return non-zero from the callback on this event (1-based) */
};

static int on_event(const char *data, size_t len, void *arg)
{
	struct events *e = arg;

	assert_true(e->n < MAX_EV);
	assert_int_equal(data[len], '\0');
	e->ev[e->n] = malloc(len + 1);
	memcpy(e->ev[e->n], data, len + 1);
	e->len[e->n] = len;
	e->n++;
	return e->stop_at && (int)e->n == e->stop_at ? 42 : 0;
}

static void events_free(struct events *e)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		free(e->ev[i]);
	memset(e, 0, sizeof(*e));
}

/* Feeds s in pieces of `step` bytes (0: whole). */
static int feed(struct va_sse *s, const char *txt, size_t step, struct events *e)
{
	size_t n = strlen(txt), i, k;
	int rc;

	if (!step)
		step = n ? n : 1;
	for (i = 0; i < n; i += k) {
		k = n - i < step ? n - i : step;
		rc = va_sse_feed(s, txt + i, k, on_event, e);
		if (rc)
			return rc;
	}
	return VA_OK;
}

/* Decodes txt whole and in every piece size; each must give want[]. */
static void expect_events(const char *txt, const char *const *want, size_t n_want)
{
	size_t step, i, len = strlen(txt);

	for (step = 0; step <= len; step++) {
		struct va_sse s;
		struct events e = {0};

		va_sse_init(&s, 1024);
		assert_int_equal(feed(&s, txt, step, &e), VA_OK);
		assert_int_equal(e.n, n_want);
		for (i = 0; i < n_want; i++)
			assert_string_equal(e.ev[i], want[i]);
		events_free(&e);
		va_sse_release(&s);
	}
}

static void test_lf(void **state)
{
	const char *want[] = {"{\"a\":1}", "[DONE]"};

	expect_events("data: {\"a\":1}\n\ndata: [DONE]\n\n", want, 2);
}

static void test_crlf(void **state)
{
	const char *want[] = {"{\"a\":1}", "[DONE]"};

	expect_events("data: {\"a\":1}\r\n\r\ndata: [DONE]\r\n\r\n", want, 2);
}

static void test_cr(void **state)
{
	const char *want[] = {"{\"a\":1}", "[DONE]"};

	expect_events("data: {\"a\":1}\r\rdata: [DONE]\r\r", want, 2);
}

static void test_mixed_line_ends(void **state)
{
	const char *want[] = {"x\ny", "z"};

	/* CR LF CRLF all in one stream; CR+LF is one line end, LF+CR is two */
	expect_events("data: x\rdata: y\r\n\ndata: z\n\r", want, 2);
}

/* A CRLF split exactly between two reads is one line end, not two. */
static void test_crlf_split_across_feeds(void **state)
{
	struct va_sse s;
	struct events e = {0};

	va_sse_init(&s, 1024);
	assert_int_equal(va_sse_feed(&s, "data: a\r", 8, on_event, &e), VA_OK);
	assert_int_equal(e.n, 0);
	/* if the LF counted as a second line end, "a" would be dispatched here */
	assert_int_equal(va_sse_feed(&s, "\ndata: b\r", 9, on_event, &e), VA_OK);
	assert_int_equal(e.n, 0);
	assert_int_equal(va_sse_feed(&s, "\n\r\n", 3, on_event, &e), VA_OK);
	assert_int_equal(e.n, 1);
	assert_string_equal(e.ev[0], "a\nb");
	assert_false(va_sse_pending(&s));
	events_free(&e);
	va_sse_release(&s);
}

static void test_leading_space(void **state)
{
	const char *want[] = {"x", " y", "", "z "};

	/* exactly one space is dropped; a line without ':' is a field with no value */
	expect_events("data:x\n\ndata:  y\n\ndata\n\ndata: z \n\n", want, 4);
}

static void test_multi_data_lines(void **state)
{
	const char *want[] = {"{\"a\":\n1}", "\n"};

	expect_events("data: {\"a\":\ndata: 1}\n\ndata:\ndata:\n\n", want, 2);
}

static void test_comments_and_other_fields(void **state)
{
	const char *want[] = {"x", "y"};

	expect_events(": keep-alive\n\n"		       /* comment-only block: no event */
		      "event: message\nid: 7\nretry: 1000\n\n" /* no data: no event */
		      ":comment\nevent: chunk\ndata: x\nid: 8\n\n"
		      "Data: no\ndatax: no\ndata : no\nfoo: bar\ndata: y\n\n",
		      want, 2);
}

/* An event is only complete at the blank line; the end of the body without
 * one leaves it pending, for the caller to judge. */
static void test_no_dispatch_without_blank_line(void **state)
{
	struct va_sse s;
	struct events e = {0};

	va_sse_init(&s, 1024);
	assert_false(va_sse_pending(&s));
	assert_int_equal(feed(&s, "data: [DONE]\n", 0, &e), VA_OK);
	assert_int_equal(e.n, 0);
	assert_true(va_sse_pending(&s));
	assert_int_equal(feed(&s, "\n", 0, &e), VA_OK);
	assert_int_equal(e.n, 1);
	assert_false(va_sse_pending(&s));
	assert_int_equal(feed(&s, "data: x", 0, &e), VA_OK);
	assert_true(va_sse_pending(&s)); /* half a line */
	assert_int_equal(e.n, 1);
	events_free(&e);
	va_sse_release(&s);
}

static void test_callback_stops_feed(void **state)
{
	struct va_sse s;
	struct events e = {0};
	const char *txt = "data: 1\n\ndata: 2\n\ndata: 3\n\n";

	e.stop_at = 2;
	va_sse_init(&s, 1024);
	assert_int_equal(va_sse_feed(&s, txt, strlen(txt), on_event, &e), 42);
	assert_int_equal(e.n, 2);
	assert_string_equal(e.ev[1], "2");
	events_free(&e);
	va_sse_release(&s);
}

static void test_null_callback(void **state)
{
	struct va_sse s;

	va_sse_init(&s, 64);
	assert_int_equal(va_sse_feed(&s, "data: 1\n\n", 9, NULL, NULL), VA_OK);
	assert_false(va_sse_pending(&s));
	va_sse_release(&s);
}

static void test_line_too_big(void **state)
{
	struct va_sse s;
	struct events e = {0};
	char line[64];

	/* a line of exactly max bytes is fine */
	va_sse_init(&s, 16);
	memset(line, 'a', sizeof(line));
	memcpy(line, "data: ", 6);
	assert_int_equal(va_sse_feed(&s, line, 16, on_event, &e), VA_OK);
	assert_int_equal(va_sse_feed(&s, "\n\n", 2, on_event, &e), VA_OK);
	assert_int_equal(e.n, 1);
	assert_int_equal(e.len[0], 10);
	/* one more byte, even spread over feeds, is not */
	assert_int_equal(va_sse_feed(&s, line, 10, on_event, &e), VA_OK);
	assert_int_equal(va_sse_feed(&s, line, 7, on_event, &e), VA_E_TOOBIG);
	assert_false(va_sse_pending(&s));
	assert_int_equal(e.n, 1);
	events_free(&e);
	va_sse_release(&s);
}

static void test_event_too_big(void **state)
{
	struct va_sse s;
	struct events e = {0};

	/* each line fits, their sum does not */
	va_sse_init(&s, 16);
	assert_int_equal(feed(&s, "data: 0123456789\ndata: 01234\n", 0, &e), VA_OK);
	assert_int_equal(feed(&s, "data: 0123456789\n", 0, &e), VA_E_TOOBIG);
	assert_int_equal(e.n, 0);
	/* "0123456789\n1234\n" is exactly max, and the bound forgot the failed one */
	assert_int_equal(feed(&s, "data: 0123456789\ndata: 1234\ndata:\n\n", 0, &e), VA_OK);
	assert_int_equal(e.n, 1);
	assert_int_equal(e.len[0], 16);
	assert_string_equal(e.ev[0], "0123456789\n1234\n");
	events_free(&e);
	va_sse_release(&s);
}

static void test_release_null(void **state)
{
	va_sse_release(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lf),
	    cmocka_unit_test(test_crlf),
	    cmocka_unit_test(test_cr),
	    cmocka_unit_test(test_mixed_line_ends),
	    cmocka_unit_test(test_crlf_split_across_feeds),
	    cmocka_unit_test(test_leading_space),
	    cmocka_unit_test(test_multi_data_lines),
	    cmocka_unit_test(test_comments_and_other_fields),
	    cmocka_unit_test(test_no_dispatch_without_blank_line),
	    cmocka_unit_test(test_callback_stops_feed),
	    cmocka_unit_test(test_null_callback),
	    cmocka_unit_test(test_line_too_big),
	    cmocka_unit_test(test_event_too_big),
	    cmocka_unit_test(test_release_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
