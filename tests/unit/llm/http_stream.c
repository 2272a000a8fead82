/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/llm/http_stream.c - the libcurl-on-libuv streaming client of
 * src/llm/http_stream.c against a small HTTP/1.1 server on 127.0.0.1 that
 * runs on its own threads (one per connection) and records what it saw:
 * the request, and whether the client went away before the response ended.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/err.h"
#include "llm/http_stream.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BIG_SIZE (2u * 1024u * 1024u)
#define MAX_IDS	 64

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* ---- the test server ---------------------------------------------------- */

struct srv_rec {
	bool seen;
	bool gone_early; /* the client closed while we still had bytes to send */
	bool finished;	 /* the whole response was sent */
	uint64_t gone_ns;
	char head[2048];
	char body[1024];
};

static struct {
	int lfd;
	int port;
	pthread_t accept_th;
	atomic_bool stop;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int handlers;
	int peak;
	struct srv_rec rec[MAX_IDS];
} srv = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

struct srv_req {
	char path[64];
	int n, ms, id;
};

static int send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Waits up to ms; true as soon as the client has closed its side. */
static bool wait_gone(int fd, int ms)
{
	uint64_t end = now_ns() + (uint64_t)ms * 1000000u;
	char scratch[256];

	for (;;) {
		uint64_t now = now_ns();
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int left;

		if (now >= end || atomic_load(&srv.stop))
			return false;
		left = (int)((end - now) / 1000000u) + 1;
		if (poll(&pfd, 1, left) > 0) {
			ssize_t r = recv(fd, scratch, sizeof(scratch), MSG_DONTWAIT);

			if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
				return true;
		}
	}
}

static void rec_gone(int id)
{
	if (id <= 0 || id >= MAX_IDS)
		return;
	pthread_mutex_lock(&srv.mu);
	if (!srv.rec[id].gone_early) {
		srv.rec[id].gone_early = true;
		srv.rec[id].gone_ns = now_ns();
	}
	pthread_mutex_unlock(&srv.mu);
}

static void rec_finished(int id)
{
	if (id <= 0 || id >= MAX_IDS)
		return;
	pthread_mutex_lock(&srv.mu);
	srv.rec[id].finished = true;
	pthread_mutex_unlock(&srv.mu);
}

static int query_int(const char *q, const char *key, int dflt)
{
	size_t kl = strlen(key);

	while (q && *q) {
		if (strncmp(q, key, kl) == 0 && q[kl] == '=')
			return atoi(q + kl + 1);
		q = strchr(q, '&');
		if (q)
			q++;
	}
	return dflt;
}

/* Reads one request: headers, then Content-Length bytes of body. */
static int read_request(int fd, struct srv_req *rq)
{
	static const size_t cap = 16384;
	char *buf = malloc(cap + 1);
	size_t len = 0, clen = 0, hlen;
	char *end = NULL, *cl, *sp, *q;
	int rc = -1, id;

	if (!buf)
		return -1;
	while (!end || len < hlen + clen) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		ssize_t r;

		if (atomic_load(&srv.stop) || len == cap)
			goto out;
		if (poll(&pfd, 1, 50) <= 0)
			continue;
		r = recv(fd, buf + len, cap - len, 0);
		if (r <= 0)
			goto out;
		len += (size_t)r;
		buf[len] = '\0';
		if (!end && (end = strstr(buf, "\r\n\r\n"))) {
			hlen = (size_t)(end - buf) + 4;
			*end = '\0';
			cl = strcasestr(buf, "\r\ncontent-length:");
			clen = cl ? strtoul(cl + 17, NULL, 10) : 0;
			*end = '\r';
		}
	}
	/* "POST /path?query HTTP/1.1"; the query ends where the line's
	 * " HTTP/1.1" starts, so the request is recorded before cutting it. */
	sp = strchr(buf, ' ');
	q = sp ? strchr(sp + 1, '?') : NULL;
	id = q ? query_int(q + 1, "id", 0) : 0;
	if (id > 0 && id < MAX_IDS) {
		pthread_mutex_lock(&srv.mu);
		srv.rec[id].seen = true;
		snprintf(srv.rec[id].head, sizeof(srv.rec[id].head), "%.*s", (int)hlen, buf);
		snprintf(srv.rec[id].body, sizeof(srv.rec[id].body), "%.*s", (int)clen, buf + hlen);
		pthread_mutex_unlock(&srv.mu);
	}
	if (!sp)
		goto out;
	snprintf(rq->path, sizeof(rq->path), "%.*s", (int)strcspn(sp + 1, " ?"), sp + 1);
	q = sp + 1 + strcspn(sp + 1, " ?");
	if (*q == '?') {
		q[strcspn(q, " ")] = '\0';
		q++;
	} else {
		q = NULL;
	}
	rq->n = query_int(q, "n", 5);
	rq->ms = query_int(q, "ms", 10);
	rq->id = query_int(q, "id", 0);
	rc = 0;
out:
	free(buf);
	return rc;
}

static int send_chunk(int fd, const char *p)
{
	char hdr[32];

	snprintf(hdr, sizeof(hdr), "%zx\r\n", strlen(p));
	if (send_all(fd, hdr, strlen(hdr)) < 0 || send_all(fd, p, strlen(p)) < 0)
		return -1;
	return send_all(fd, "\r\n", 2);
}

static const char sse_head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
			       "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";

static void serve_sse(int fd, const struct srv_req *rq)
{
	char piece[64];

	if (send_all(fd, sse_head, strlen(sse_head)) < 0)
		goto gone;
	for (int i = 0; i < rq->n; i++) {
		snprintf(piece, sizeof(piece), "data: {\"i\":%d}\n\n", i);
		if (send_chunk(fd, piece) < 0)
			goto gone;
		if (i + 1 < rq->n && wait_gone(fd, rq->ms))
			goto gone;
	}
	if (send_all(fd, "0\r\n\r\n", 5) == 0) {
		rec_finished(rq->id);
		return;
	}
gone:
	rec_gone(rq->id);
}

static void serve_fixed(int fd, const struct srv_req *rq, const char *status, const char *extra,
			const char *body)
{
	char head[512];

	snprintf(head, sizeof(head),
		 "HTTP/1.1 %s\r\nContent-Type: application/json\r\n%sContent-Length: %zu\r\n"
		 "Connection: close\r\n\r\n",
		 status, extra, strlen(body));
	if (send_all(fd, head, strlen(head)) < 0 || send_all(fd, body, strlen(body)) < 0)
		rec_gone(rq->id);
	else
		rec_finished(rq->id);
}

static void serve_big(int fd, const struct srv_req *rq)
{
	char head[256];
	char *blk = malloc(65536);
	size_t off = 0;

	snprintf(head, sizeof(head),
		 "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
		 "Content-Length: %u\r\nConnection: close\r\n\r\n",
		 BIG_SIZE);
	if (!blk || send_all(fd, head, strlen(head)) < 0)
		goto gone;
	while (off < BIG_SIZE) {
		for (size_t i = 0; i < 65536; i++)
			blk[i] = (char)('a' + (off + i) % 26);
		if (send_all(fd, blk, 65536) < 0)
			goto gone;
		off += 65536;
	}
	free(blk);
	rec_finished(rq->id);
	return;
gone:
	free(blk);
	rec_gone(rq->id);
}

static void serve(int fd)
{
	struct srv_req rq = {0};
	char extra[128];
	time_t later;
	struct tm tm;

	if (read_request(fd, &rq) < 0)
		return;
	if (strcmp(rq.path, "/sse") == 0) {
		serve_sse(fd, &rq);
	} else if (strcmp(rq.path, "/error") == 0) {
		serve_fixed(fd, &rq, "500 Internal Server Error", "",
			    "{\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}");
	} else if (strcmp(rq.path, "/ratelimit") == 0) {
		serve_fixed(fd, &rq, "429 Too Many Requests", "Retry-After: 7\r\n",
			    "{\"error\":{\"message\":\"slow down\",\"type\":\"rate_limit\"}}");
	} else if (strcmp(rq.path, "/ratelimit-date") == 0) {
		later = time(NULL) + 30;
		gmtime_r(&later, &tm);
		strftime(extra, sizeof(extra), "Retry-After: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
		serve_fixed(fd, &rq, "429 Too Many Requests", extra, "{}");
	} else if (strcmp(rq.path, "/empty") == 0) {
		serve_fixed(fd, &rq, "200 OK", "", "");
	} else if (strcmp(rq.path, "/slow") == 0) {
		if (wait_gone(fd, 2000))
			rec_gone(rq.id);
		else
			serve_fixed(fd, &rq, "200 OK", "", "slow-ok");
	} else if (strcmp(rq.path, "/hang") == 0) {
		while (!atomic_load(&srv.stop)) {
			if (wait_gone(fd, 50)) {
				rec_gone(rq.id);
				break;
			}
		}
	} else if (strcmp(rq.path, "/close") == 0) {
		if (send_all(fd, sse_head, strlen(sse_head)) == 0)
			send_chunk(fd, "data: {\"partial\":true}\n\n");
		/* Gone without the terminating chunk. */
	} else if (strcmp(rq.path, "/big") == 0) {
		serve_big(fd, &rq);
	} else {
		serve_fixed(fd, &rq, "404 Not Found", "", "{}");
	}
}

static void *handler_main(void *arg)
{
	int fd = (int)(intptr_t)arg;

	serve(fd);
	close(fd);
	pthread_mutex_lock(&srv.mu);
	srv.handlers--;
	pthread_cond_broadcast(&srv.cv);
	pthread_mutex_unlock(&srv.mu);
	return NULL;
}

static void *accept_main(void *arg)
{
	pthread_attr_t attr;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 1024 * 1024);
	while (!atomic_load(&srv.stop)) {
		struct pollfd pfd = {.fd = srv.lfd, .events = POLLIN};
		pthread_t th;
		int fd;

		if (poll(&pfd, 1, 50) <= 0)
			continue;
		fd = accept(srv.lfd, NULL, NULL);
		if (fd < 0)
			continue;
		pthread_mutex_lock(&srv.mu);
		srv.handlers++;
		if (srv.handlers > srv.peak)
			srv.peak = srv.handlers;
		pthread_mutex_unlock(&srv.mu);
		if (pthread_create(&th, &attr, handler_main, (void *)(intptr_t)fd) != 0) {
			close(fd);
			pthread_mutex_lock(&srv.mu);
			srv.handlers--;
			pthread_mutex_unlock(&srv.mu);
		}
	}
	pthread_attr_destroy(&attr);
	return NULL;
}

static int srv_start(void **state)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	int one = 1;

	srv.lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (srv.lfd < 0)
		return -1;
	setsockopt(srv.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(srv.lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(srv.lfd, 1024) < 0 ||
	    getsockname(srv.lfd, (struct sockaddr *)&sa, &sl) < 0)
		return -1;
	srv.port = ntohs(sa.sin_port);
	atomic_store(&srv.stop, false);
	return pthread_create(&srv.accept_th, NULL, accept_main, NULL) == 0 ? 0 : -1;
}

static int srv_stop(void **state)
{
	atomic_store(&srv.stop, true);
	pthread_join(srv.accept_th, NULL);
	pthread_mutex_lock(&srv.mu);
	while (srv.handlers > 0)
		pthread_cond_wait(&srv.cv, &srv.mu);
	pthread_mutex_unlock(&srv.mu);
	close(srv.lfd);
	return 0;
}

static struct srv_rec rec_get(int id)
{
	struct srv_rec r;

	pthread_mutex_lock(&srv.mu);
	r = srv.rec[id];
	pthread_mutex_unlock(&srv.mu);
	return r;
}

/* Waits (off the loop) for the server to see the client go; its time. */
static uint64_t rec_wait_gone(int id, int ms)
{
	uint64_t end = now_ns() + (uint64_t)ms * 1000000u;
	struct srv_rec r;

	do {
		r = rec_get(id);
		if (r.gone_early)
			return r.gone_ns;
		sleep_ms(2);
	} while (now_ns() < end);
	return 0;
}

static void url_for(char *dst, size_t n, const char *path_query)
{
	snprintf(dst, n, "http://127.0.0.1:%d%s", srv.port, path_query);
}

/* ---- the client side ---------------------------------------------------- */

enum abort_mode { AB_NONE = 0, AB_CALL_IN_DATA, AB_RETURN_IN_DATA, AB_IN_HEADERS, AB_FREE_IN_DATA };

struct tc {
	/* set up by the test */
	enum abort_mode mode;
	int abort_at; /* on_data call number that aborts */
	bool check_big;
	struct va_llm_req *other_abort; /* aborted from our first on_data */
	const char *post_url;		/* posted from our first on_data */
	struct tc *post_tc;
	struct va_llm_http *post_h;
	int post_rc;
	struct va_llm_http **free_h; /* AB_FREE_IN_DATA: freed and NULLed */
	int *ndone;
	/* what happened */
	struct va_llm_req *req;
	int headers_calls, data_calls, done_calls;
	bool data_before_headers, big_bad;
	long status, retry_after, done_status;
	int err;
	char data[4096];
	size_t total;
	bool aborted;
	int after_abort; /* callbacks after our own abort: must stay 0 */
	uint64_t abort_ns, first_data_ns, done_ns;
	int id;		     /* the server's record of this request */
	uint64_t gone_in_cb; /* the server saw it go before the abort's caller returned */
};

static const struct va_llm_req_cbs cbs;

static void on_headers(struct va_llm_req *r, long status, long retry_after_s, void *arg)
{
	struct tc *c = arg;

	if (c->aborted)
		c->after_abort++;
	c->headers_calls++;
	c->status = status;
	c->retry_after = retry_after_s;
	if (c->mode == AB_IN_HEADERS) {
		c->aborted = true;
		c->abort_ns = now_ns();
		va_llm_req_abort(r);
	}
}

static int on_data(struct va_llm_req *r, const char *p, size_t n, void *arg)
{
	struct tc *c = arg;
	size_t room = sizeof(c->data) - 1 - (c->total < sizeof(c->data) ? c->total : 0);

	if (c->aborted)
		c->after_abort++;
	if (!c->headers_calls)
		c->data_before_headers = true;
	if (!c->data_calls)
		c->first_data_ns = now_ns();
	c->data_calls++;
	if (c->check_big) {
		for (size_t i = 0; i < n; i++)
			if (p[i] != (char)('a' + (c->total + i) % 26))
				c->big_bad = true;
	} else if (c->total < sizeof(c->data) - 1) {
		memcpy(c->data + c->total, p, n < room ? n : room);
	}
	c->total += n;
	if (c->data_calls == 1 && c->other_abort) {
		va_llm_req_abort(c->other_abort);
		c->other_abort = NULL;
	}
	if (c->data_calls == 1 && c->post_url)
		c->post_rc = va_llm_http_post(c->post_h, c->post_url, NULL, "{}", 2, 5000, &cbs,
					      c->post_tc, &c->post_tc->req);
	if (c->data_calls == c->abort_at) {
		c->aborted = true;
		c->abort_ns = now_ns();
		switch (c->mode) {
		case AB_CALL_IN_DATA:
			va_llm_req_abort(r);
			return 0;
		case AB_RETURN_IN_DATA:
			return 1;
		case AB_FREE_IN_DATA:
			va_llm_http_free(*c->free_h);
			*c->free_h = NULL;
			return 0;
		default:
			c->aborted = false;
			break;
		}
	}
	return 0;
}

static void on_done(struct va_llm_req *r, int err, long status, void *arg)
{
	struct tc *c = arg;

	if (c->aborted)
		c->after_abort++;
	c->done_calls++;
	c->err = err;
	c->done_status = status;
	c->done_ns = now_ns();
	c->req = NULL;
	if (c->ndone)
		(*c->ndone)++;
}

static const struct va_llm_req_cbs cbs = {on_headers, on_data, on_done, NULL};

struct fx {
	uv_loop_t loop;
	struct va_llm_http *h;
};

static void fx_init(struct fx *f)
{
	assert_int_equal(uv_loop_init(&f->loop), 0);
	assert_int_equal(va_llm_http_new(&f->loop, &f->h), VA_OK);
	assert_non_null(f->h);
	assert_int_equal(va_llm_http_active(f->h), 0);
}

static void fx_fini(struct fx *f)
{
	va_llm_http_free(f->h);
	f->h = NULL;
	/* Every handle the client made is closed through the loop. */
	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&f->loop), 0);
}

static void on_guard(uv_timer_t *t)
{
	*(bool *)t->data = true;
}

/* Runs the loop until *count reaches target (count NULL: for ms). False on
 * the deadline. */
static bool run_until(uv_loop_t *loop, const int *count, int target, int ms)
{
	uv_timer_t guard;
	bool expired = false;

	uv_timer_init(loop, &guard);
	guard.data = &expired;
	uv_timer_start(&guard, on_guard, (uint64_t)ms, 0);
	while (!expired && (!count || *count < target))
		uv_run(loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&guard, NULL);
	uv_run(loop, UV_RUN_NOWAIT);
	return !count || *count >= target;
}

static int post(struct fx *f, const char *pq, long timeout_ms, struct tc *c)
{
	char url[256];

	url_for(url, sizeof(url), pq);
	return va_llm_http_post(f->h, url, NULL, "{}", 2, timeout_ms, &cbs, c, &c->req);
}

static void expect_sse(char *dst, size_t n, int pieces)
{
	size_t len = 0;

	dst[0] = '\0';
	for (int i = 0; i < pieces; i++)
		len += (size_t)snprintf(dst + len, n - len, "data: {\"i\":%d}\n\n", i);
}

/* ---- tests -------------------------------------------------------------- */

static void test_bad_arguments(void **state)
{
	const char *crlf[] = {"X-Evil: a\r\nHost: b", NULL};
	const char *nocolon[] = {"Authorization Bearer x", NULL};
	struct va_llm_req *r = (struct va_llm_req *)&r;
	struct va_llm_http *bad = (struct va_llm_http *)&bad;
	struct tc c = {0};
	struct fx f;

	assert_int_equal(va_llm_http_new(NULL, &bad), VA_E_INVAL);
	fx_init(&f);
	assert_int_equal(va_llm_http_post(f.h, NULL, NULL, "{}", 2, 0, &cbs, &c, &r), VA_E_INVAL);
	assert_null(r);
	assert_int_equal(
	    va_llm_http_post(f.h, "http://127.0.0.1:1/", crlf, "{}", 2, 0, &cbs, &c, &r),
	    VA_E_INVAL);
	assert_int_equal(
	    va_llm_http_post(f.h, "http://127.0.0.1:1/", nocolon, "{}", 2, 0, &cbs, &c, &r),
	    VA_E_INVAL);
	assert_int_equal(
	    va_llm_http_post(f.h, "http://127.0.0.1:1/", NULL, NULL, 5, 0, &cbs, &c, &r),
	    VA_E_INVAL);
	assert_int_equal(
	    va_llm_http_post(f.h, "http://127.0.0.1:1/", NULL, "{}", 2, 0, NULL, &c, &r),
	    VA_E_INVAL);
	assert_int_equal(va_llm_http_active(f.h), 0);
	run_until(&f.loop, NULL, 0, 20);
	/* A refused post never calls back. */
	assert_int_equal(c.headers_calls + c.data_calls + c.done_calls, 0);
	va_llm_http_free(NULL);
	va_llm_req_abort(NULL);
	assert_int_equal(va_llm_http_active(NULL), 0);
	fx_fini(&f);
}

static void test_sse_stream(void **state)
{
	const char *hdrs[] = {"Authorization: Bearer sk-test-123", NULL};
	const char *body = "{\"model\":\"m\",\"stream\":true}";
	char url[256], want[1024];
	struct tc c = {0};
	struct srv_rec rec;
	struct fx f;
	int done = 0;

	fx_init(&f);
	c.ndone = &done;
	url_for(url, sizeof(url), "/sse?n=5&ms=40&id=1");
	assert_int_equal(
	    va_llm_http_post(f.h, url, hdrs, body, strlen(body), 5000, &cbs, &c, &c.req), VA_OK);
	assert_non_null(c.req);
	assert_int_equal(va_llm_http_active(f.h), 1);
	assert_true(run_until(&f.loop, &done, 1, 5000));

	expect_sse(want, sizeof(want), 5);
	assert_int_equal(c.headers_calls, 1);
	assert_false(c.data_before_headers);
	assert_int_equal(c.status, 200);
	assert_int_equal(c.retry_after, -1);
	assert_int_equal(c.total, strlen(want));
	assert_string_equal(c.data, want);
	/* Delivered as it was sent, not at the end in one piece. */
	assert_true(c.data_calls >= 3);
	assert_true(c.done_ns - c.first_data_ns >= 4 * 40 * 1000000ull * 7 / 10);
	assert_int_equal(c.done_calls, 1);
	assert_int_equal(c.err, VA_OK);
	assert_int_equal(c.done_status, 200);
	assert_int_equal(va_llm_http_active(f.h), 0);

	rec = rec_get(1);
	assert_true(rec.seen);
	assert_true(rec.finished);
	assert_false(rec.gone_early);
	assert_string_equal(rec.body, body);
	assert_true(strncmp(rec.head, "POST /sse?", 10) == 0);
	assert_non_null(strcasestr(rec.head, "\r\nContent-Type: application/json\r\n"));
	assert_non_null(strcasestr(rec.head, "\r\nAccept: text/event-stream\r\n"));
	assert_non_null(strstr(rec.head, "\r\nAuthorization: Bearer sk-test-123\r\n"));
	assert_non_null(strcasestr(rec.head, "\r\nContent-Length: 27\r\n"));
	assert_null(strcasestr(rec.head, "Expect:"));
	assert_non_null(strstr(rec.head, " HTTP/1.1\r\n"));
	fx_fini(&f);
}

static void test_caller_content_type_wins(void **state)
{
	const char *hdrs[] = {"content-type: application/x-ndjson", "Accept: */*", NULL};
	char url[256];
	struct tc c = {0};
	struct srv_rec rec;
	struct fx f;
	int done = 0;

	fx_init(&f);
	c.ndone = &done;
	url_for(url, sizeof(url), "/empty?id=2");
	assert_int_equal(va_llm_http_post(f.h, url, hdrs, "x", 1, 5000, &cbs, &c, &c.req), VA_OK);
	assert_true(run_until(&f.loop, &done, 1, 5000));
	rec = rec_get(2);
	assert_non_null(strstr(rec.head, "\r\ncontent-type: application/x-ndjson\r\n"));
	assert_null(strstr(rec.head, "application/json"));
	assert_null(strstr(rec.head, "text/event-stream"));
	/* An empty body still reports its headers, once. */
	assert_int_equal(c.headers_calls, 1);
	assert_int_equal(c.status, 200);
	assert_int_equal(c.data_calls, 0);
	assert_int_equal(c.err, VA_OK);
	assert_int_equal(c.done_status, 200);
	fx_fini(&f);
}

static void test_http_500(void **state)
{
	struct tc c = {0};
	struct fx f;
	int done = 0;

	fx_init(&f);
	c.ndone = &done;
	assert_int_equal(post(&f, "/error", 5000, &c), VA_OK);
	assert_true(run_until(&f.loop, &done, 1, 5000));
	assert_int_equal(c.headers_calls, 1);
	assert_false(c.data_before_headers);
	assert_int_equal(c.status, 500);
	assert_int_equal(c.retry_after, -1);
	assert_string_equal(c.data, "{\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}");
	/* The transfer worked; judging the status is the caller's job. */
	assert_int_equal(c.err, VA_OK);
	assert_int_equal(c.done_status, 500);
	fx_fini(&f);
}

static void test_http_429_retry_after(void **state)
{
	struct tc c = {0}, d = {0};
	struct fx f;
	int done = 0;

	fx_init(&f);
	c.ndone = d.ndone = &done;
	assert_int_equal(post(&f, "/ratelimit", 5000, &c), VA_OK);
	assert_int_equal(post(&f, "/ratelimit-date", 5000, &d), VA_OK);
	assert_int_equal(va_llm_http_active(f.h), 2);
	assert_true(run_until(&f.loop, &done, 2, 5000));
	assert_int_equal(c.headers_calls, 1);
	assert_int_equal(c.status, 429);
	assert_int_equal(c.retry_after, 7);
	assert_string_equal(c.data,
			    "{\"error\":{\"message\":\"slow down\",\"type\":\"rate_limit\"}}");
	assert_int_equal(c.err, VA_OK);
	assert_int_equal(c.done_status, 429);
	/* An HTTP-date 30 s ahead, as seconds from now. */
	assert_int_equal(d.status, 429);
	assert_in_range(d.retry_after, 25, 31);
	assert_int_equal(d.err, VA_OK);
	fx_fini(&f);
}

static void test_timeout(void **state)
{
	struct tc c = {0};
	struct fx f;
	int done = 0;
	uint64_t t0;

	fx_init(&f);
	c.ndone = &done;
	t0 = now_ns();
	assert_int_equal(post(&f, "/hang?id=3", 300, &c), VA_OK);
	assert_true(run_until(&f.loop, &done, 1, 5000));
	assert_int_equal(c.err, VA_E_TIMEOUT);
	assert_int_equal(c.done_status, 0);
	assert_int_equal(c.headers_calls, 0);
	assert_int_equal(c.data_calls, 0);
	assert_in_range((c.done_ns - t0) / 1000000u, 280, 2000);
	/* The timed-out connection is closed, not left to the server. */
	assert_true(rec_wait_gone(3, 1000) != 0);
	fx_fini(&f);
}

static void test_connection_refused(void **state)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	char url[128];
	struct tc c = {0};
	struct fx f;
	int done = 0;
	int fd;

	/* Bound but not listening: the port is ours and refuses. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1/chat/completions", ntohs(sa.sin_port));

	fx_init(&f);
	c.ndone = &done;
	assert_int_equal(va_llm_http_post(f.h, url, NULL, "{}", 2, 0, &cbs, &c, &c.req), VA_OK);
	assert_true(run_until(&f.loop, &done, 1, 5000));
	assert_int_equal(c.err, VA_E_IO);
	assert_int_equal(c.done_status, 0);
	assert_int_equal(c.headers_calls, 0);
	assert_int_equal(c.data_calls, 0);
	fx_fini(&f);
	close(fd);
}

static void test_closed_mid_body(void **state)
{
	struct tc c = {0};
	struct fx f;
	int done = 0;

	fx_init(&f);
	c.ndone = &done;
	assert_int_equal(post(&f, "/close", 5000, &c), VA_OK);
	assert_true(run_until(&f.loop, &done, 1, 5000));
	/* A chunked body without its last chunk: libcurl reports
	 * CURLE_PARTIAL_FILE, which is a dropped connection to us. */
	assert_int_equal(c.err, VA_E_IO);
	assert_int_equal(c.headers_calls, 1);
	assert_int_equal(c.status, 200);
	assert_int_equal(c.done_status, 200);
	assert_string_equal(c.data, "data: {\"partial\":true}\n\n");
	fx_fini(&f);
}

static int ticks;

static void on_tick(uv_timer_t *t)
{
	ticks++;
}

static void test_slow_server_does_not_block_loop(void **state)
{
	uv_timer_t tick;
	struct tc c = {0};
	struct fx f;
	int done = 0;

	fx_init(&f);
	c.ndone = &done;
	ticks = 0;
	uv_timer_init(&f.loop, &tick);
	uv_timer_start(&tick, on_tick, 20, 20);
	assert_int_equal(post(&f, "/slow", 10000, &c), VA_OK);
	assert_true(run_until(&f.loop, &done, 1, 6000));
	uv_close((uv_handle_t *)&tick, NULL);
	assert_int_equal(c.err, VA_OK);
	assert_int_equal(c.status, 200);
	assert_string_equal(c.data, "slow-ok");
	/* ~100 ticks of 20 ms fit in the 2 s wait when nothing blocks. */
	assert_true(ticks >= 50);
	fx_fini(&f);
}

static void test_big_body(void **state)
{
	struct tc c = {0};
	struct fx f;
	int done = 0;

	fx_init(&f);
	c.ndone = &done;
	c.check_big = true;
	assert_int_equal(post(&f, "/big", 20000, &c), VA_OK);
	assert_true(run_until(&f.loop, &done, 1, 20000));
	assert_int_equal(c.err, VA_OK);
	assert_int_equal(c.status, 200);
	assert_int_equal(c.total, BIG_SIZE);
	assert_false(c.big_bad);
	assert_true(c.data_calls > 1);
	fx_fini(&f);
}

/* Aborts /sse mid-stream by mode; the server must see the disconnect
 * within 200 ms and no callback may follow the abort. */
static void abort_mid_stream(enum abort_mode mode, int id)
{
	char pq[64];
	struct tc c = {0};
	struct fx f;
	uint64_t gone;

	fx_init(&f);
	c.mode = mode;
	c.abort_at = 3;
	snprintf(pq, sizeof(pq), "/sse?n=100&ms=20&id=%d", id);
	assert_int_equal(post(&f, pq, 10000, &c), VA_OK);
	run_until(&f.loop, &c.data_calls, 3, 5000);
	assert_true(c.aborted);
	assert_int_equal(va_llm_http_active(f.h), 0);
	gone = rec_wait_gone(id, 1000);
	assert_true(gone != 0);
	assert_true(gone - c.abort_ns < 200 * 1000000ull);
	assert_false(rec_get(id).finished);
	/* Nothing more arrives for the aborted request. */
	run_until(&f.loop, NULL, 0, 200);
	assert_int_equal(c.after_abort, 0);
	assert_int_equal(c.data_calls, 3);
	assert_int_equal(c.done_calls, 0);
	assert_int_equal(c.headers_calls, 1);
	fx_fini(&f);
}

static void test_abort_inside_on_data(void **state)
{
	abort_mid_stream(AB_CALL_IN_DATA, 10);
}

static void test_on_data_nonzero_aborts(void **state)
{
	abort_mid_stream(AB_RETURN_IN_DATA, 11);
}

static void on_abort_timer(uv_timer_t *t)
{
	struct tc *c = t->data;

	c->aborted = true;
	c->abort_ns = now_ns();
	va_llm_req_abort(c->req);
	/* The loop is blocked here, so only a close done inside the abort
	 * call itself can reach the server now. */
	c->gone_in_cb = rec_wait_gone(c->id, 150);
}

static void abort_from_timer(const char *pq, int id)
{
	uv_timer_t t;
	struct tc c = {0};
	struct fx f;
	uint64_t gone;

	fx_init(&f);
	c.id = id;
	assert_int_equal(post(&f, pq, 10000, &c), VA_OK);
	uv_timer_init(&f.loop, &t);
	t.data = &c;
	uv_timer_start(&t, on_abort_timer, 150, 0);
	run_until(&f.loop, NULL, 0, 400);
	uv_close((uv_handle_t *)&t, NULL);
	assert_true(c.aborted);
	assert_true(rec_get(id).seen);
	assert_int_equal(c.after_abort, 0);
	assert_int_equal(c.done_calls, 0);
	assert_int_equal(va_llm_http_active(f.h), 0);
	gone = rec_wait_gone(id, 1000);
	assert_true(gone != 0);
	assert_true(gone - c.abort_ns < 200 * 1000000ull);
	assert_true(c.gone_in_cb != 0);
	assert_false(rec_get(id).finished);
	fx_fini(&f);
}

static void test_abort_from_timer(void **state)
{
	abort_from_timer("/sse?n=100&ms=20&id=12", 12);
}

/* Outside any curl callback the connection closes inside the abort call:
 * even a server that sends nothing more sees it go at once. */
static void test_abort_silent_from_timer(void **state)
{
	abort_from_timer("/hang?id=15", 15);
}

static void test_abort_inside_on_headers(void **state)
{
	struct tc c = {0}, d = {0};
	struct fx f;

	fx_init(&f);
	c.mode = d.mode = AB_IN_HEADERS;
	assert_int_equal(post(&f, "/sse?n=100&ms=20&id=13", 10000, &c), VA_OK);
	assert_int_equal(post(&f, "/ratelimit", 10000, &d), VA_OK);
	run_until(&f.loop, NULL, 0, 300);
	assert_int_equal(c.headers_calls, 1);
	assert_int_equal(c.status, 200);
	assert_int_equal(d.headers_calls, 1);
	assert_int_equal(d.status, 429);
	assert_int_equal(c.after_abort + d.after_abort, 0);
	assert_int_equal(c.data_calls + d.data_calls + c.done_calls + d.done_calls, 0);
	assert_int_equal(va_llm_http_active(f.h), 0);
	assert_true(rec_wait_gone(13, 1000) != 0);
	fx_fini(&f);
}

/* From inside a curl write: abort another request and start a new one. */
static void test_abort_other_and_post_from_on_data(void **state)
{
	char url[256];
	struct tc a = {0}, b = {0}, n = {0};
	struct fx f;
	int done = 0;

	fx_init(&f);
	a.ndone = n.ndone = &done;
	assert_int_equal(post(&f, "/hang?id=14", 10000, &b), VA_OK);
	/* Let /hang connect before /sse's first byte can abort it. */
	run_until(&f.loop, NULL, 0, 50);
	assert_int_equal(post(&f, "/sse?n=4&ms=20", 10000, &a), VA_OK);
	url_for(url, sizeof(url), "/error");
	a.other_abort = b.req;
	a.post_url = url;
	a.post_tc = &n;
	a.post_h = f.h;
	a.post_rc = 1;
	assert_true(run_until(&f.loop, &done, 2, 5000));
	assert_int_equal(a.post_rc, VA_OK);
	assert_int_equal(a.err, VA_OK);
	assert_true(a.data_calls >= 1);
	assert_int_equal(n.err, VA_OK);
	assert_int_equal(n.done_status, 500);
	assert_int_equal(n.headers_calls, 1);
	assert_int_equal(b.headers_calls + b.data_calls + b.done_calls, 0);
	assert_true(rec_wait_gone(14, 1000) != 0);
	assert_int_equal(va_llm_http_active(f.h), 0);
	fx_fini(&f);
}

static void test_200_concurrent(void **state)
{
	enum { N = 200 };
	struct tc *c = calloc(N, sizeof(*c));
	char want[1024];
	struct fx f;
	int done = 0, peak;

	assert_non_null(c);
	pthread_mutex_lock(&srv.mu);
	srv.peak = srv.handlers;
	pthread_mutex_unlock(&srv.mu);
	fx_init(&f);
	for (int i = 0; i < N; i++) {
		c[i].ndone = &done;
		assert_int_equal(post(&f, "/sse?n=10&ms=30", 30000, &c[i]), VA_OK);
	}
	assert_int_equal(va_llm_http_active(f.h), N);
	/* Serialised they would need 200 x 270 ms; together well under 20 s. */
	assert_true(run_until(&f.loop, &done, N, 20000));
	expect_sse(want, sizeof(want), 10);
	for (int i = 0; i < N; i++) {
		assert_int_equal(c[i].done_calls, 1);
		assert_int_equal(c[i].err, VA_OK);
		assert_int_equal(c[i].status, 200);
		assert_int_equal(c[i].headers_calls, 1);
		assert_string_equal(c[i].data, want);
	}
	pthread_mutex_lock(&srv.mu);
	peak = srv.peak;
	pthread_mutex_unlock(&srv.mu);
	assert_true(peak >= N / 2);
	assert_int_equal(va_llm_http_active(f.h), 0);
	fx_fini(&f);
	free(c);
}

static void test_free_with_requests_in_flight(void **state)
{
	char pq[64];
	struct tc c[6] = {{0}};
	struct fx f;
	int calls;

	fx_init(&f);
	for (int i = 0; i < 5; i++) {
		snprintf(pq, sizeof(pq), "/sse?n=100&ms=20&id=%d", 20 + i);
		assert_int_equal(post(&f, pq, 10000, &c[i]), VA_OK);
	}
	assert_int_equal(post(&f, "/hang?id=25", 10000, &c[5]), VA_OK);
	run_until(&f.loop, NULL, 0, 150);
	assert_int_equal(va_llm_http_active(f.h), 6);
	calls = 0;
	for (int i = 0; i < 6; i++)
		calls += c[i].headers_calls + c[i].data_calls + c[i].done_calls;
	assert_true(calls > 0);
	va_llm_http_free(f.h);
	f.h = NULL;
	for (int i = 0; i < 6; i++)
		c[i].aborted = true;
	/* The server sees every connection go. */
	for (int i = 0; i < 6; i++)
		assert_true(rec_wait_gone(20 + i, 1000) != 0);
	fx_fini(&f);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(c[i].after_abort, 0);
		assert_int_equal(c[i].done_calls, 0);
	}
}

static void test_free_inside_on_data(void **state)
{
	struct tc a = {0}, b = {0};
	struct fx f;

	fx_init(&f);
	a.mode = AB_FREE_IN_DATA;
	a.abort_at = 2;
	a.free_h = &f.h;
	assert_int_equal(post(&f, "/sse?n=100&ms=20&id=30", 10000, &a), VA_OK);
	assert_int_equal(post(&f, "/hang?id=31", 10000, &b), VA_OK);
	run_until(&f.loop, &a.data_calls, 2, 5000);
	assert_null(f.h);
	b.aborted = true;
	run_until(&f.loop, NULL, 0, 200);
	assert_true(rec_wait_gone(30, 1000) != 0);
	assert_true(rec_wait_gone(31, 1000) != 0);
	assert_int_equal(a.after_abort + b.after_abort, 0);
	assert_int_equal(a.done_calls + b.done_calls, 0);
	fx_fini(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bad_arguments),
	    cmocka_unit_test(test_sse_stream),
	    cmocka_unit_test(test_caller_content_type_wins),
	    cmocka_unit_test(test_http_500),
	    cmocka_unit_test(test_http_429_retry_after),
	    cmocka_unit_test(test_timeout),
	    cmocka_unit_test(test_connection_refused),
	    cmocka_unit_test(test_closed_mid_body),
	    cmocka_unit_test(test_slow_server_does_not_block_loop),
	    cmocka_unit_test(test_big_body),
	    cmocka_unit_test(test_abort_inside_on_data),
	    cmocka_unit_test(test_on_data_nonzero_aborts),
	    cmocka_unit_test(test_abort_from_timer),
	    cmocka_unit_test(test_abort_silent_from_timer),
	    cmocka_unit_test(test_abort_inside_on_headers),
	    cmocka_unit_test(test_abort_other_and_post_from_on_data),
	    cmocka_unit_test(test_200_concurrent),
	    cmocka_unit_test(test_free_with_requests_in_flight),
	    cmocka_unit_test(test_free_inside_on_data),
	};

	return cmocka_run_group_tests(tests, srv_start, srv_stop);
}
