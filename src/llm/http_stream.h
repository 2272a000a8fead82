/* SPDX-License-Identifier: MIT */
/*
 * http_stream.h - streaming HTTP POSTs on the server's libuv loop through
 * libcurl's multi interface (CURLMOPT_SOCKETFUNCTION/TIMERFUNCTION driven by
 * uv_poll_t and uv_timer_t; no threads). One va_llm_http per server, any
 * number of concurrent requests; each delivers its response body as it
 * arrives and can be aborted at once (the connection is closed, so the
 * server sees the client go away).
 */
#ifndef VA_LLM_HTTP_STREAM_H
#define VA_LLM_HTTP_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct va_llm_http;
struct va_llm_req;

struct va_llm_req_cbs {
	/* The status line and headers are in (called once, before any body).
	 * retry_after_s: the Retry-After header in seconds, -1 when absent. */
	void (*on_headers)(struct va_llm_req *r, long status, long retry_after_s, void *arg);
	/* A piece of the body. Return non-zero to abort the request. */
	int (*on_data)(struct va_llm_req *r, const char *p, size_t n, void *arg);
	/* Done: err VA_OK (the whole body arrived), VA_E_IO (connection failed
	 * or dropped), VA_E_TIMEOUT. Not called after va_llm_req_abort. The
	 * request is freed right after this returns. */
	void (*on_done)(struct va_llm_req *r, int err, long status, void *arg);
};

int va_llm_http_new(uv_loop_t *loop, struct va_llm_http **out);
/* Aborts every request still running (no callbacks) and frees; handles are
 * closed through the loop. Accepts NULL. */
void va_llm_http_free(struct va_llm_http *h);

/* Starts POST url with body (copied) and extra headers ("Name: value" lines,
 * NULL-terminated array; an Authorization header among them is never
 * logged). timeout_ms bounds the whole request (0 = none); connect timeout
 * 5 s. On success *out may be used to abort until on_done runs. */
int va_llm_http_post(struct va_llm_http *h, const char *url, const char *const *headers,
		     const char *body, size_t len, long timeout_ms,
		     const struct va_llm_req_cbs *cbs, void *arg, struct va_llm_req **out);
/* Aborts now: the connection is closed, no further callback. */
void va_llm_req_abort(struct va_llm_req *r);
/* Requests in flight. */
size_t va_llm_http_active(const struct va_llm_http *h);

#endif
