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

/* All three run on the loop's thread: on_headers and on_data from inside
 * libcurl's header/write callbacks, on_done after libcurl has returned. Any
 * of them may call va_llm_http_post, va_llm_req_abort (this request or any
 * other) and va_llm_http_free: what libcurl forbids inside its callbacks is
 * deferred until it returns, and whatever is aborted or freed gets no
 * further callback. */
struct va_llm_req_cbs {
	/* The status line and headers are in (called once, before any body).
	 * retry_after_s: the Retry-After header in seconds, -1 when absent.
	 * Called at the end of the final header block (so before any body,
	 * and also for an empty body); not called at all when no response
	 * arrived (refused, timed out before the status line). An HTTP-date
	 * Retry-After is turned into seconds from now (0 if already past). */
	void (*on_headers)(struct va_llm_req *r, long status, long retry_after_s, void *arg);
	/* A piece of the body. Return non-zero to abort the request. */
	int (*on_data)(struct va_llm_req *r, const char *p, size_t n, void *arg);
	/* Done: err VA_OK (the whole body arrived), VA_E_IO (connection failed
	 * or dropped), VA_E_TIMEOUT. Not called after va_llm_req_abort. The
	 * request is freed right after this returns. VA_OK whatever the HTTP
	 * status: judging a 4xx/5xx is the caller's job. status 0 when no
	 * response arrived. */
	void (*on_done)(struct va_llm_req *r, int err, long status, void *arg);
	/* Optional: each header of the final response (name and value trimmed,
	 * not NUL-terminated), before on_headers. */
	void (*on_header)(struct va_llm_req *r, const char *name, size_t nlen, const char *value,
			  size_t vlen, void *arg);
};

int va_llm_http_new(uv_loop_t *loop, struct va_llm_http **out);
/* Aborts every request still running (no callbacks) and frees; handles are
 * closed through the loop. Accepts NULL. The loop must run once more (the
 * close callbacks free the memory) before uv_loop_close. */
void va_llm_http_free(struct va_llm_http *h);

/* Starts POST url with body (copied) and extra headers ("Name: value" lines,
 * NULL-terminated array; an Authorization header among them is never
 * logged). timeout_ms bounds the whole request (0 = none); connect timeout
 * 5 s. On success *out may be used to abort until on_done runs.
 * "Content-Type: application/json" and "Accept: text/event-stream" are
 * added unless headers has its own; HTTP/1.1, no "Expect: 100-continue".
 * VA_E_INVAL for a missing url/cbs, a negative timeout or a header line
 * without ':' or with CR/LF; an error return never calls back. */
int va_llm_http_post(struct va_llm_http *h, const char *url, const char *const *headers,
		     const char *body, size_t len, long timeout_ms,
		     const struct va_llm_req_cbs *cbs, void *arg, struct va_llm_req **out);
/* Any method (GET, PUT, DELETE, PROPFIND, REPORT, MKCALENDAR ...), as
 * va_llm_http_post but with no default Content-Type or Accept; body NULL
 * sends none. Redirects are not followed (the caller decides where its
 * credentials may go). */
int va_llm_http_request(struct va_llm_http *h, const char *method, const char *url,
			const char *const *headers, const char *body, size_t len, long timeout_ms,
			const struct va_llm_req_cbs *cbs, void *arg, struct va_llm_req **out);
/* Aborts now: the connection is closed, no further callback. From inside
 * a callback the close happens as soon as libcurl returns (same loop turn).
 * Accepts NULL. */
void va_llm_req_abort(struct va_llm_req *r);
/* Requests in flight. */
size_t va_llm_http_active(const struct va_llm_http *h);

#endif
