/* SPDX-License-Identifier: MIT */
/*
 * http_stream.c - libcurl's multi socket interface driven by the server's
 * libuv loop (the pattern of curl's docs/examples/multi-uv.c and Kore's
 * src/curl.c): curl tells us which sockets to watch and when to wake it, a
 * uv_poll_t per socket and one uv_timer_t do the watching, and every wake-up
 * goes back to curl_multi_socket_action.
 *
 * libcurl forbids adding, removing or cleaning up easy handles from inside
 * its own callbacks (CURLM_RECURSIVE_API_CALL), and our callers' on_data may
 * well want to abort or start a request. So while curl_multi_socket_action
 * runs (h->in_curl) such operations are only recorded - an abort marks the
 * request and makes its next write return 0, a post is queued - and carried
 * out as soon as curl returns. Completions are dispatched afterwards too, so
 * no user callback ever runs inside another curl call.
 */
#include "llm/http_stream.h"

#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define CONNECT_TIMEOUT_MS 5000L
/* A Retry-After larger than a day is nonsense for an API; clamp it. */
#define RETRY_AFTER_MAX_S 86400L

/* One watched socket; freed in its close callback, never before. */
struct va_llm_poll {
	uv_poll_t poll;
	struct va_llm_http *h;
	curl_socket_t fd;
	struct va_llm_poll *prev, *next; /* h->polls */
};

struct va_llm_req {
	struct va_llm_http *h;
	CURL *easy;
	struct curl_slist *hdrs;
	struct va_llm_req_cbs cbs;
	void *arg;
	long retry_after_s;
	bool added;			 /* curl_multi_add_handle done */
	bool aborted;			 /* no callback may run any more */
	bool headers_sent;		 /* on_headers delivered */
	bool finishing;			 /* inside its own completion callbacks */
	struct va_llm_req *prev, *next;	 /* h->live: in flight, counted by active */
	struct va_llm_req *next_pending; /* h->pending: posted while in_curl */
	struct va_llm_req *next_dead;	 /* h->dead: aborted while in_curl */
};

struct va_llm_http {
	uv_loop_t *loop;
	CURLM *multi;
	uv_timer_t timer; /* h is freed in its close callback */
	struct va_llm_poll *polls;
	struct va_llm_req *live;
	struct va_llm_req *pending;
	struct va_llm_req *dead;
	size_t active;
	int in_curl;	   /* inside curl_multi_socket_action */
	int dispatching;   /* inside completion dispatch */
	bool free_pending; /* va_llm_http_free called from a callback */
	bool closed;	   /* torn down; only the timer close remains */
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_once_rc = CURLE_FAILED_INIT;

static void curl_init_once(void)
{
	curl_once_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ---- request bookkeeping ------------------------------------------------ */

static void live_link(struct va_llm_http *h, struct va_llm_req *r)
{
	r->prev = NULL;
	r->next = h->live;
	if (h->live)
		h->live->prev = r;
	h->live = r;
	h->active++;
}

static void live_unlink(struct va_llm_http *h, struct va_llm_req *r)
{
	if (r->prev)
		r->prev->next = r->next;
	else
		h->live = r->next;
	if (r->next)
		r->next->prev = r->prev;
	r->prev = r->next = NULL;
	h->active--;
}

static void req_destroy(struct va_llm_req *r)
{
	if (r->easy) {
		if (r->added)
			curl_multi_remove_handle(r->h->multi, r->easy);
		curl_easy_cleanup(r->easy);
	}
	curl_slist_free_all(r->hdrs);
	free(r);
}

/* ---- sockets and the timer ---------------------------------------------- */

static void on_poll_closed(uv_handle_t *handle)
{
	free(handle->data);
}

static void poll_close(struct va_llm_http *h, struct va_llm_poll *p)
{
	if (p->prev)
		p->prev->next = p->next;
	else
		h->polls = p->next;
	if (p->next)
		p->next->prev = p->prev;
	p->prev = p->next = NULL;
	uv_poll_stop(&p->poll);
	uv_close((uv_handle_t *)&p->poll, on_poll_closed);
}

static void after_curl(struct va_llm_http *h);

static void socket_action(struct va_llm_http *h, curl_socket_t s, int ev)
{
	int running = 0;
	CURLMcode mc;

	/* Only the loop calls us, never curl: no nesting is possible. */
	if (h->in_curl || h->closed)
		return;
	h->in_curl++;
	mc = curl_multi_socket_action(h->multi, s, ev, &running);
	h->in_curl--;
	if (mc != CURLM_OK)
		VA_ERROR("llm", NULL, "curl_multi", "err=%s", curl_multi_strerror(mc));
	after_curl(h);
}

static void on_poll(uv_poll_t *handle, int status, int events)
{
	struct va_llm_poll *p = handle->data;
	int ev = 0;

	if (status < 0) {
		ev = CURL_CSELECT_ERR;
	} else {
		if (events & UV_READABLE)
			ev |= CURL_CSELECT_IN;
		if (events & UV_WRITABLE)
			ev |= CURL_CSELECT_OUT;
	}
	socket_action(p->h, p->fd, ev);
}

static void on_timer(uv_timer_t *t)
{
	socket_action(t->data, CURL_SOCKET_TIMEOUT, 0);
}

static int on_curl_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct va_llm_http *h = userp;
	struct va_llm_poll *p = socketp;
	int events = 0;
	int rc;

	if (what == CURL_POLL_REMOVE) {
		if (p) {
			poll_close(h, p);
			curl_multi_assign(h->multi, s, NULL);
		}
		return 0;
	}
	if (!p) {
		p = va_xcalloc(1, sizeof(*p));
		rc = uv_poll_init_socket(h->loop, &p->poll, s);
		if (rc < 0) {
			/* Returning -1 would kill the whole multi handle; the
			 * transfer's own timeouts end it instead. */
			VA_ERROR("llm", NULL, "poll_init", "err=%s", uv_strerror(rc));
			free(p);
			return 0;
		}
		p->h = h;
		p->fd = s;
		p->poll.data = p;
		p->next = h->polls;
		if (h->polls)
			h->polls->prev = p;
		h->polls = p;
		curl_multi_assign(h->multi, s, p);
	}
	if (what & CURL_POLL_IN)
		events |= UV_READABLE;
	if (what & CURL_POLL_OUT)
		events |= UV_WRITABLE;
	rc = uv_poll_start(&p->poll, events, on_poll);
	if (rc < 0)
		VA_ERROR("llm", NULL, "poll_start", "err=%s", uv_strerror(rc));
	return 0;
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
	struct va_llm_http *h = userp;

	/* Even a 0 timeout goes through the loop: curl must not be re-entered
	 * from inside the call that asked for the timer. */
	if (timeout_ms < 0)
		uv_timer_stop(&h->timer);
	else if (!h->closed)
		uv_timer_start(&h->timer, on_timer, (uint64_t)timeout_ms, 0);
	return 0;
}

/* ---- the response ------------------------------------------------------- */

/* Calls on_headers once; false when the request was aborted meanwhile. */
static bool deliver_headers(struct va_llm_req *r)
{
	long status = 0;

	if (r->headers_sent)
		return !r->aborted;
	r->headers_sent = true;
	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
	if (r->cbs.on_headers)
		r->cbs.on_headers(r, status, r->retry_after_s, r->arg);
	return !r->aborted && !r->h->free_pending;
}

static long parse_retry_after(const char *v, size_t n)
{
	char tmp[64];
	long secs = 0;
	time_t when;
	size_t i;

	while (n && (*v == ' ' || *v == '\t')) {
		v++;
		n--;
	}
	while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	if (!n || n >= sizeof(tmp))
		return -1;
	for (i = 0; i < n && v[i] >= '0' && v[i] <= '9'; i++) {
		secs = secs * 10 + (v[i] - '0');
		if (secs > RETRY_AFTER_MAX_S)
			secs = RETRY_AFTER_MAX_S;
	}
	if (i == n)
		return secs;
	/* Not delta-seconds: an HTTP-date, relative to our clock. */
	memcpy(tmp, v, n);
	tmp[n] = '\0';
	when = curl_getdate(tmp, NULL);
	if (when == (time_t)-1)
		return -1;
	when -= time(NULL);
	if (when < 0)
		return 0;
	return when > RETRY_AFTER_MAX_S ? RETRY_AFTER_MAX_S : (long)when;
}

static size_t on_curl_header(char *p, size_t size, size_t nmemb, void *ud)
{
	static const char ra[] = "retry-after:";
	struct va_llm_req *r = ud;
	size_t n = size * nmemb;
	long status = 0;

	if (r->aborted || r->h->free_pending)
		return 0;
	if (r->headers_sent)
		return n; /* trailers of a chunked body */
	if (n >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		/* A new response (after a 1xx): forget the previous one's. */
		r->retry_after_s = -1;
	} else if (n > sizeof(ra) - 1 && strncasecmp(p, ra, sizeof(ra) - 1) == 0) {
		r->retry_after_s = parse_retry_after(p + sizeof(ra) - 1, n - (sizeof(ra) - 1));
	} else if (r->cbs.on_header && n > 2 && memchr(p, ':', n)) {
		const char *c = memchr(p, ':', n), *v = c + 1, *e = p + n;

		while (v < e && (*v == ' ' || *v == '\t'))
			v++;
		while (e > v && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' ' || e[-1] == '\t'))
			e--;
		r->cbs.on_header(r, p, (size_t)(c - p), v, (size_t)(e - v), r->arg);
		if (r->aborted || r->h->free_pending)
			return 0;
	}
	if ((n == 2 && p[0] == '\r' && p[1] == '\n') || (n == 1 && p[0] == '\n')) {
		/* End of a header block: tell the caller now rather than at the
		 * first body byte, so a 429 or 500 is known without waiting. */
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
		if (status >= 200 && !deliver_headers(r))
			return 0;
	}
	return n;
}

static size_t on_curl_write(char *p, size_t size, size_t nmemb, void *ud)
{
	struct va_llm_req *r = ud;
	size_t n = size * nmemb;

	/* Returning less than n makes curl fail the transfer with
	 * CURLE_WRITE_ERROR and stop calling us; after_curl cleans up. */
	if (r->aborted || r->h->free_pending || !deliver_headers(r))
		return 0;
	if (r->cbs.on_data && r->cbs.on_data(r, p, n, r->arg) != 0) {
		va_llm_req_abort(r);
		return 0;
	}
	if (r->aborted || r->h->free_pending)
		return 0;
	return n;
}

static int map_curl_err(CURLcode rc)
{
	if (rc == CURLE_OK)
		return VA_OK;
	if (rc == CURLE_OPERATION_TIMEDOUT)
		return VA_E_TIMEOUT;
	return VA_E_IO;
}

/* Finishes a request curl is done with (or could not start): completion
 * callbacks, then the request is gone. Runs outside curl. */
static void req_finish(struct va_llm_req *r, CURLcode rc)
{
	struct va_llm_http *h = r->h;
	long status = 0;
	int err = map_curl_err(rc);

	live_unlink(h, r);
	if (r->added) {
		curl_multi_remove_handle(h->multi, r->easy);
		r->added = false;
	}
	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
	VA_DEBUG("llm", NULL, "http_done", "status=%ld err=%s curl=%d", status, va_err_name(err),
		 (int)rc);
	r->finishing = true;
	/* An empty body never reached the write callback. Without a status
	 * no response arrived at all: there are no headers to report. */
	if (status > 0 && !r->headers_sent)
		deliver_headers(r);
	if (!r->aborted && !h->free_pending && r->cbs.on_done)
		r->cbs.on_done(r, err, status, r->arg);
	req_destroy(r);
}

static void do_free(struct va_llm_http *h);

static void dispatch_done(struct va_llm_http *h)
{
	struct va_llm_req *r;
	char *priv;
	CURLMsg *m;
	CURLcode rc;
	int left;

	h->dispatching++;
	while (!h->free_pending && (m = curl_multi_info_read(h->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		priv = NULL;
		rc = m->data.result;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
		r = (struct va_llm_req *)priv;
		if (!r)
			continue;
		if (r->aborted)
			continue; /* on h->dead; after_curl destroys it */
		req_finish(r, rc);
	}
	h->dispatching--;
}

/* Carries out what was deferred while curl ran, then the completions. */
static void after_curl(struct va_llm_http *h)
{
	struct va_llm_req *r;
	CURLMcode mc;

	if (h->free_pending) {
		do_free(h);
		return;
	}
	while ((r = h->dead)) {
		h->dead = r->next_dead;
		req_destroy(r);
	}
	/* Taken one at a time from h->pending so that, if a callback frees h,
	 * do_free still finds the rest. */
	while ((r = h->pending)) {
		h->pending = r->next_pending;
		if (r->aborted) {
			req_destroy(r);
			continue;
		}
		mc = curl_multi_add_handle(h->multi, r->easy);
		if (mc == CURLM_OK) {
			r->added = true;
			continue;
		}
		VA_ERROR("llm", NULL, "curl_add", "err=%s", curl_multi_strerror(mc));
		req_finish(r, CURLE_FAILED_INIT);
		if (h->free_pending) {
			do_free(h);
			return;
		}
	}
	dispatch_done(h);
	if (h->free_pending)
		do_free(h);
}

/* ---- the public API ----------------------------------------------------- */

int va_llm_http_new(uv_loop_t *loop, struct va_llm_http **out)
{
	struct va_llm_http *h = NULL;
	int err = VA_OK;

	if (!loop || !out)
		return VA_E_INVAL;
	*out = NULL;
	pthread_once(&curl_once, curl_init_once);
	if (curl_once_rc != CURLE_OK) {
		VA_ERROR("llm", NULL, "curl_init", "err=%s", curl_easy_strerror(curl_once_rc));
		err = VA_E_IO;
		goto out;
	}
	h = va_xcalloc(1, sizeof(*h));
	h->loop = loop;
	h->multi = curl_multi_init();
	if (!h->multi) {
		err = VA_E_NOMEM;
		goto out;
	}
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	if (uv_timer_init(loop, &h->timer) < 0) {
		err = VA_E_IO;
		goto out;
	}
	h->timer.data = h;
	*out = h;
	h = NULL;
out:
	if (h) {
		if (h->multi)
			curl_multi_cleanup(h->multi);
		free(h);
	}
	return err;
}

static void on_timer_closed(uv_handle_t *handle)
{
	free(handle->data);
}

static void do_free(struct va_llm_http *h)
{
	struct va_llm_req *r;

	if (h->closed)
		return;
	h->closed = true;
	/* Aborted before curl ever saw them; the live ones are on h->live. */
	while ((r = h->pending)) {
		h->pending = r->next_pending;
		if (r->aborted)
			req_destroy(r);
	}
	while ((r = h->live)) {
		live_unlink(h, r);
		req_destroy(r);
	}
	while ((r = h->dead)) {
		h->dead = r->next_dead;
		req_destroy(r);
	}
	/* May report the cached connections' sockets as removed: still fine. */
	curl_multi_cleanup(h->multi);
	h->multi = NULL;
	while (h->polls)
		poll_close(h, h->polls);
	uv_timer_stop(&h->timer);
	uv_close((uv_handle_t *)&h->timer, on_timer_closed);
}

void va_llm_http_free(struct va_llm_http *h)
{
	if (!h || h->closed)
		return;
	if (h->in_curl || h->dispatching) {
		/* Called from a callback: finish after it returns. */
		h->free_pending = true;
		return;
	}
	do_free(h);
}

static bool has_header(const char *const *headers, const char *name)
{
	size_t n = strlen(name);

	for (; headers && *headers; headers++)
		if (strncasecmp(*headers, name, n) == 0 && (*headers)[n] == ':')
			return true;
	return false;
}

int va_llm_http_post(struct va_llm_http *h, const char *url, const char *const *headers,
		     const char *body, size_t len, long timeout_ms,
		     const struct va_llm_req_cbs *cbs, void *arg, struct va_llm_req **out)
{
	/* A POST always has a body, if only an empty one. */
	return va_llm_http_request(h, "POST", url, headers, body || len ? body : "", len,
				   timeout_ms, cbs, arg, out);
}

int va_llm_http_request(struct va_llm_http *h, const char *method, const char *url,
			const char *const *headers, const char *body, size_t len, long timeout_ms,
			const struct va_llm_req_cbs *cbs, void *arg, struct va_llm_req **out)
{
	bool post = method && strcmp(method, "POST") == 0;
	struct va_llm_req *r = NULL;
	struct curl_slist *l;
	const char *const *hp;
	CURLMcode mc;
	int err = VA_OK;

	if (out)
		*out = NULL;
	if (!h || h->closed || h->free_pending || !url || !*url || !cbs || (!body && len) ||
	    timeout_ms < 0 || !method || !*method || strpbrk(method, " \r\n"))
		return VA_E_INVAL;
	for (hp = headers; hp && *hp; hp++)
		if (!strchr(*hp, ':') || strpbrk(*hp, "\r\n"))
			return VA_E_INVAL; /* never let a value inject a header */

	r = va_xcalloc(1, sizeof(*r));
	r->h = h;
	r->cbs = *cbs;
	r->arg = arg;
	r->retry_after_s = -1;
	r->easy = curl_easy_init();
	if (!r->easy) {
		err = VA_E_NOMEM;
		goto out;
	}
	for (hp = headers; hp && *hp; hp++) {
		if (!(l = curl_slist_append(r->hdrs, *hp))) {
			err = VA_E_NOMEM;
			goto out;
		}
		r->hdrs = l;
	}
	if (post && !has_header(headers, "Content-Type")) {
		if (!(l = curl_slist_append(r->hdrs, "Content-Type: application/json"))) {
			err = VA_E_NOMEM;
			goto out;
		}
		r->hdrs = l;
	}
	if (post && !has_header(headers, "Accept")) {
		if (!(l = curl_slist_append(r->hdrs, "Accept: text/event-stream"))) {
			err = VA_E_NOMEM;
			goto out;
		}
		r->hdrs = l;
	}
	/* curl would wait up to a second for "100 Continue" on a big body. */
	if (!(l = curl_slist_append(r->hdrs, "Expect:"))) {
		err = VA_E_NOMEM;
		goto out;
	}
	r->hdrs = l;

	if (curl_easy_setopt(r->easy, CURLOPT_URL, url) != CURLE_OK) {
		err = VA_E_INVAL;
		goto out;
	}
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(r->easy, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(r->easy, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	if (body) {
		curl_easy_setopt(r->easy, CURLOPT_POST, 1L);
		curl_easy_setopt(r->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		if (curl_easy_setopt(r->easy, CURLOPT_COPYPOSTFIELDS, body) != CURLE_OK) {
			err = VA_E_NOMEM;
			goto out;
		}
	}
	if (!post && curl_easy_setopt(r->easy, CURLOPT_CUSTOMREQUEST, method) != CURLE_OK) {
		err = VA_E_NOMEM;
		goto out;
	}
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(r->easy, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->hdrs);
	curl_easy_setopt(r->easy, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(r->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(r->easy, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(r->easy, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
	if (timeout_ms > 0)
		curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(r->easy, CURLOPT_HEADERFUNCTION, on_curl_header);
	curl_easy_setopt(r->easy, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION, on_curl_write);
	curl_easy_setopt(r->easy, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(r->easy, CURLOPT_PRIVATE, (char *)r);

	if (h->in_curl) {
		/* Posted from on_data/on_headers: curl refuses new handles
		 * from its callbacks; after_curl adds it. */
		r->next_pending = h->pending;
		h->pending = r;
	} else {
		mc = curl_multi_add_handle(h->multi, r->easy);
		if (mc != CURLM_OK) {
			VA_ERROR("llm", NULL, "curl_add", "err=%s", curl_multi_strerror(mc));
			err = VA_E_IO;
			goto out;
		}
		r->added = true;
	}
	live_link(h, r);
	if (out)
		*out = r;
	r = NULL;
out:
	if (r)
		req_destroy(r);
	return err;
}

void va_llm_req_abort(struct va_llm_req *r)
{
	struct va_llm_http *h;

	if (!r || r->aborted)
		return;
	r->aborted = true;
	if (r->finishing)
		return; /* from its own on_headers at completion: no on_done */
	h = r->h;
	live_unlink(h, r);
	if (!r->added)
		return; /* still on h->pending, which destroys it */
	if (h->in_curl) {
		/* Inside a curl callback: its write returns 0 and after_curl
		 * removes it once curl has returned. */
		r->next_dead = h->dead;
		h->dead = r;
		return;
	}
	/* Removing a transfer mid-response closes its connection now. */
	req_destroy(r);
}

size_t va_llm_http_active(const struct va_llm_http *h)
{
	return h ? h->active : 0;
}
