/* SPDX-License-Identifier: MIT */
/*
 * bench.c - `voiceai bench`: many concurrent ConversationRelay sessions on one
 * libuv loop, for latency percentiles and per-call memory of a running
 * server. Each session plays Twilio: signed WebSocket handshake, setup, then
 * K prompts one after another; the time from a prompt to the first text
 * frame and to the last:true frame is measured with uv_hrtime. No threads;
 * framing is sim/ws_codec. Only the address given by --url is contacted.
 *
 * Phases: CONNECT (sessions started over --ramp-ms) -> SETTLE (all sessions
 * idle; the server's RSS is read) -> PROMPT -> REPORT.
 */
#include "sim/sim.h"

#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "relay/msg.h"
#include "sim/client.h"
#include "sim/ws_codec.h"
#include "twilio/signature.h"

#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <uv.h>

#define SETTLE_MS     300 /* let the server finish processing the setups */
#define MAX_HANDSHAKE (16 * 1024)
#define MAX_MESSAGE   (1024 * 1024)

static const char *const prompts[] = {
    "What are your opening hours?",
    "Do you take new patients?",
    "How much is a cleaning without insurance?",
    "Where are you located?",
    "Can I book a checkup next Tuesday morning?",
    "Do you accept Delta Dental insurance?",
    "Is there parking near the office?",
    "Are you open on Saturdays?",
};

struct bench_opts {
	const char *url;
	const char *public_url;
	const char *tenant;
	const char *token;
	int calls;
	int prompts;
	int ramp_ms;
	int think_ms;
	int timeout_ms;
	long server_pid;
	bool json;
};

enum sess_state {
	S_WAIT = 0,   /* not started yet (ramp) */
	S_CONNECTING, /* TCP connect in flight */
	S_HANDSHAKE,  /* GET sent, waiting for 101 */
	S_IDLE,	      /* set up, waiting for the prompt phase */
	S_PROMPT,     /* prompt sent, reply streaming */
	S_THINK,      /* between replies */
	S_DONE,
	S_FAILED,
};

struct bench;

struct sess {
	struct bench *b;
	int idx;
	enum sess_state state;
	uv_tcp_t tcp;
	uv_connect_t creq;
	uv_timer_t timer;
	bool tcp_init;
	char key[VA_WS_KEY_LEN + 1];
	struct va_buf hs; /* handshake answer so far */
	struct va_ws_decoder dec;
	int sent;	   /* prompts sent */
	uint64_t t_prompt; /* uv_hrtime at the prompt */
	bool got_first;
};

struct bench {
	uv_loop_t *loop;
	uint64_t rng; /* think-time jitter */
	struct bench_opts o;
	struct sockaddr_storage addr;
	char authority[300];
	char path[512];
	char sign_url[1024];
	char sig[64];
	struct sess *s;
	uv_timer_t phase_timer;

	int n_ready;	/* sessions that reached IDLE */
	int n_failed;	/* sessions that failed before IDLE */
	int n_finished; /* sessions DONE or FAILED */
	int err_connect, err_protocol, err_timeout;
	bool settling; /* the settle timer was armed */
	bool prompting;

	double *first_ms, *last_ms;
	size_t n_first, n_last;

	long rss_before_kib, rss_idle_kib;
	uint64_t t_start, t_prompts, t_end;
};

struct wreq {
	uv_write_t req;
	char data[];
};

/* One shared read buffer: the loop is single-threaded and read callbacks
 * consume it before the next allocation. */
static char read_buf[64 * 1024];

static void usage(FILE *f)
{
	fputs("usage: voiceai bench [options]\n"
	      "Opens N concurrent ConversationRelay sessions and measures reply latency.\n"
	      "\n"
	      "  --url URL          server (default http://127.0.0.1:8000)\n"
	      "  --public-url URL   base URL the server signs against (default --url)\n"
	      "  --tenant ID        tenant (default demo123)\n"
	      "  --token TOKEN      its Twilio auth token (default $VOICEAI_CALL_TOKEN, else\n"
	      "                     demo-auth-token)\n"
	      "  --calls N          concurrent sessions (default 100)\n"
	      "  --prompts K        prompts per session, one after another (default 10)\n"
	      "  --ramp-ms MS       spread the connects over MS (default 2000)\n"
	      "  --think-ms MS      mean pause between a reply and the next prompt, jittered\n"
	      "                     0.5x-1.5x; first prompts spread over one pause (default 0:\n"
	      "                     every session prompts again at once, all in lock step)\n"
	      "  --timeout-ms MS    handshake and reply timeout (default 10000)\n"
	      "  --server-pid PID   read the server's VmRSS before connecting and when idle\n"
	      "  --json             print only the final JSON line\n"
	      "  --help             this text\n"
	      "\n"
	      "The last line of output is one JSON object with the figures; latencies are in\n"
	      "ms from a prompt to its first text frame and to its last:true frame, and\n"
	      "per_call_kib = (idle RSS - RSS before connecting) / sessions set up.\n"
	      "Exit: 0 no errors, 1 some session failed, 2 bad setup, 64 bad usage.\n",
	      f);
}

static long read_rss_kib(long pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "VmRSS:", 6) == 0) {
			kib = strtol(line + 6, NULL, 10);
			break;
		}
	}
	fclose(f);
	return kib;
}

static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void check_phase(struct bench *b);
static void send_prompt(struct sess *s);

static void on_write(uv_write_t *req, int status)
{
	free(req);
}

static int sess_write(struct sess *s, const char *data, size_t len)
{
	struct wreq *w = va_xmalloc(sizeof(*w) + len);
	uv_buf_t buf;
	int rc;

	memcpy(w->data, data, len);
	buf = uv_buf_init(w->data, (unsigned int)len);
	rc = uv_write(&w->req, (uv_stream_t *)&s->tcp, &buf, 1, on_write);
	if (rc) {
		free(w);
		return VA_E_IO;
	}
	return VA_OK;
}

/* Encodes and writes one masked text message. */
static int sess_send_text(struct sess *s, const struct va_buf *json)
{
	struct va_buf frame = VA_BUF_INIT(MAX_MESSAGE + 16);
	int rc = va_ws_encode_message(&frame, VA_WS_OP_TEXT, json->data, json->len, 0);

	if (!rc)
		rc = sess_write(s, frame.data, frame.len);
	va_buf_release(&frame);
	return rc;
}

static void sess_close_tcp(struct sess *s)
{
	if (s->tcp_init && !uv_is_closing((uv_handle_t *)&s->tcp))
		uv_close((uv_handle_t *)&s->tcp, NULL);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
	uv_handle_t *h = (uv_handle_t *)req->handle;

	if (!uv_is_closing(h))
		uv_close(h, NULL);
	free(req);
}

/* A session ends (well or badly); counted once. */
static void sess_finish(struct sess *s, enum sess_state st)
{
	struct bench *b = s->b;

	if (s->state == S_DONE || s->state == S_FAILED)
		return;
	if (st == S_FAILED && s->state < S_IDLE)
		b->n_failed++;
	s->state = st;
	uv_timer_stop(&s->timer);
	if (st == S_DONE && s->tcp_init && !uv_is_closing((uv_handle_t *)&s->tcp)) {
		/* Hang up like Twilio: close 1000, then FIN once it is written. */
		struct va_buf cl = VA_BUF_INIT(64);
		uv_shutdown_t *req = va_xmalloc(sizeof(*req));

		uv_read_stop((uv_stream_t *)&s->tcp);
		if (!va_ws_encode_close(&cl, VA_WS_CLOSE_NORMAL, NULL))
			sess_write(s, cl.data, cl.len);
		va_buf_release(&cl);
		if (uv_shutdown(req, (uv_stream_t *)&s->tcp, on_shutdown)) {
			free(req);
			sess_close_tcp(s);
		}
	} else {
		sess_close_tcp(s);
	}
	va_buf_release(&s->hs);
	va_ws_decoder_release(&s->dec);
	b->n_finished++;
	check_phase(b);
}

static void sess_fail(struct sess *s, int *counter)
{
	if (s->state == S_DONE || s->state == S_FAILED)
		return;
	(*counter)++;
	sess_finish(s, S_FAILED);
}

static void on_sess_timer(uv_timer_t *t)
{
	struct sess *s = t->data;

	switch (s->state) {
	case S_CONNECTING:
	case S_HANDSHAKE:
	case S_PROMPT:
		sess_fail(s, &s->b->err_timeout);
		break;
	case S_THINK:
		send_prompt(s);
		break;
	default:
		break;
	}
}

static void record(double **arr, size_t *n, size_t cap, double v)
{
	if (!*arr)
		*arr = va_xcalloc(cap ? cap : 1, sizeof(double));
	if (*n < cap)
		(*arr)[(*n)++] = v;
}

/* A think time drawn uniformly from [lo, hi] thousandths of --think-ms, so
 * simulated callers drift apart like real ones (xorshift; no libc state). */
static uint64_t think_delay(struct bench *b, unsigned lo, unsigned hi)
{
	uint64_t x = b->rng ? b->rng : 0x9e3779b97f4a7c15ull;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	b->rng = x;
	return (uint64_t)b->o.think_ms * (lo + x % (hi - lo + 1)) / 1000;
}

static void send_prompt(struct sess *s)
{
	struct bench *b = s->b;
	struct va_buf j = VA_BUF_INIT(4096);
	const char *text =
	    prompts[(size_t)(s->idx + s->sent) % (sizeof(prompts) / sizeof(*prompts))];

	if (va_relay_write_prompt(&j, text, true, "en-US") || sess_send_text(s, &j)) {
		va_buf_release(&j);
		sess_fail(s, &b->err_protocol);
		return;
	}
	va_buf_release(&j);
	s->state = S_PROMPT;
	s->sent++;
	s->got_first = false;
	s->t_prompt = uv_hrtime();
	uv_timer_start(&s->timer, on_sess_timer, (uint64_t)b->o.timeout_ms, 0);
}

static void on_reply_done(struct sess *s)
{
	struct bench *b = s->b;

	if (s->sent >= b->o.prompts) {
		sess_finish(s, S_DONE);
		return;
	}
	if (b->o.think_ms > 0) {
		s->state = S_THINK;
		uv_timer_start(&s->timer, on_sess_timer, think_delay(b, 500, 1500), 0);
	} else {
		send_prompt(s);
	}
}

/* A complete server message in a session. */
static void on_message(struct sess *s, const struct va_ws_frame *f)
{
	struct bench *b = s->b;
	struct va_relay_out m;
	uint64_t now = uv_hrtime();

	if (f->opcode == VA_WS_OP_PING) {
		struct va_buf pong = VA_BUF_INIT(256);
		if (!va_ws_encode_message(&pong, VA_WS_OP_PONG, f->payload, f->len, 0))
			sess_write(s, pong.data, pong.len);
		va_buf_release(&pong);
		return;
	}
	if (f->opcode == VA_WS_OP_PONG)
		return;
	if (f->opcode == VA_WS_OP_CLOSE || f->opcode != VA_WS_OP_TEXT) {
		sess_fail(s, &b->err_protocol);
		return;
	}
	if (va_relay_parse_out(f->payload, f->len, &m)) {
		sess_fail(s, &b->err_protocol);
		return;
	}
	if (m.type == VA_RELAY_OUT_END) {
		/* The agent hung up on a benchmark question: not a healthy reply. */
		va_relay_out_release(&m);
		sess_fail(s, &b->err_protocol);
		return;
	}
	if (m.type == VA_RELAY_OUT_TEXT && s->state == S_PROMPT) {
		size_t cap = (size_t)b->o.calls * (size_t)b->o.prompts;
		if (!s->got_first) {
			s->got_first = true;
			record(&b->first_ms, &b->n_first, cap, (double)(now - s->t_prompt) / 1e6);
		}
		if (m.last) {
			record(&b->last_ms, &b->n_last, cap, (double)(now - s->t_prompt) / 1e6);
			uv_timer_stop(&s->timer);
			va_relay_out_release(&m);
			on_reply_done(s);
			return;
		}
	}
	va_relay_out_release(&m);
}

static void feed_frames(struct sess *s, const char *p, size_t len)
{
	while (len > 0 && s->state != S_DONE && s->state != S_FAILED) {
		struct va_ws_frame f;
		size_t used = 0;
		int rc = va_ws_decoder_feed(&s->dec, p, len, &used, &f);

		p += used;
		len -= used;
		if (rc == VA_E_AGAIN)
			break;
		if (rc) {
			sess_fail(s, &s->b->err_protocol);
			return;
		}
		on_message(s, &f);
	}
}

static void send_setup(struct sess *s)
{
	static const char hex[] = "0123456789abcdef";
	struct va_relay_setup setup;
	struct va_buf j = VA_BUF_INIT(8192);
	unsigned char raw[32];
	char sid[33], csid[33];

	memset(&setup, 0, sizeof(setup));
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		memset(raw, s->idx & 0xff, sizeof(raw));
	for (int i = 0; i < 16; i++) {
		sid[2 * i] = hex[raw[i] >> 4];
		sid[2 * i + 1] = hex[raw[i] & 15];
		csid[2 * i] = hex[raw[16 + i] >> 4];
		csid[2 * i + 1] = hex[raw[16 + i] & 15];
	}
	sid[32] = csid[32] = '\0';
	snprintf(setup.session_id, sizeof(setup.session_id), "VX%s", sid);
	snprintf(setup.call_sid, sizeof(setup.call_sid), "CA%s", csid);
	snprintf(setup.account_sid, sizeof(setup.account_sid), "AC%032d", 0);
	snprintf(setup.from, sizeof(setup.from), "+1555%07d", s->idx);
	snprintf(setup.to, sizeof(setup.to), "+15555550100");
	snprintf(setup.call_type, sizeof(setup.call_type), "PSTN");
	snprintf(setup.direction, sizeof(setup.direction), "inbound");
	snprintf(setup.call_status, sizeof(setup.call_status), "RINGING");
	setup.n_params = 1;
	snprintf(setup.params[0].name, sizeof(setup.params[0].name), "tenant");
	snprintf(setup.params[0].value, sizeof(setup.params[0].value), "%s", s->b->o.tenant);
	if (va_relay_write_setup(&j, &setup) || sess_send_text(s, &j)) {
		va_buf_release(&j);
		sess_fail(s, &s->b->err_protocol);
		return;
	}
	va_buf_release(&j);
	uv_timer_stop(&s->timer);
	s->state = S_IDLE;
	s->b->n_ready++;
	check_phase(s->b);
}

static void on_handshake_bytes(struct sess *s, const char *p, size_t len)
{
	size_t hl = 0;
	int status = 0, rc;

	if (va_buf_append(&s->hs, p, len)) {
		sess_fail(s, &s->b->err_connect);
		return;
	}
	rc = va_ws_handshake_parse_response(s->hs.data, s->hs.len, s->key, &status, &hl);
	if (rc == VA_E_AGAIN)
		return;
	if (rc) {
		if (!s->b->o.json && s->b->err_connect < 3)
			fprintf(stderr, "bench: session %d: handshake refused: HTTP %d (%s)\n",
				s->idx, status, va_err_name(rc));
		sess_fail(s, &s->b->err_connect);
		return;
	}
	{
		/* Bytes after the headers are already frames. */
		size_t extra = s->hs.len - hl;
		char *rest = extra ? va_xstrndup(s->hs.data + hl, extra) : NULL;

		va_buf_release(&s->hs);
		send_setup(s);
		if (rest && s->state == S_IDLE)
			feed_frames(s, rest, extra);
		free(rest);
	}
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	*buf = uv_buf_init(read_buf, sizeof(read_buf));
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
	struct sess *s = stream->data;

	if (nread == 0)
		return;
	if (nread < 0) {
		if (s->state == S_DONE || s->state == S_FAILED)
			return;
		/* The server closing a session we still use is an error wherever it happens. */
		sess_fail(s, s->state <= S_HANDSHAKE ? &s->b->err_connect : &s->b->err_protocol);
		return;
	}
	if (s->state == S_HANDSHAKE)
		on_handshake_bytes(s, buf->base, (size_t)nread);
	else if (s->state != S_DONE && s->state != S_FAILED)
		feed_frames(s, buf->base, (size_t)nread);
}

static void on_connect(uv_connect_t *req, int status)
{
	struct sess *s = req->data;
	struct bench *b = s->b;
	struct va_buf hreq = VA_BUF_INIT(8192);
	char extra[128];

	if (s->state != S_CONNECTING)
		return;
	if (status < 0) {
		if (!b->o.json && b->err_connect < 3)
			fprintf(stderr, "bench: session %d: connect: %s\n", s->idx,
				uv_strerror(status));
		sess_fail(s, &b->err_connect);
		return;
	}
	uv_tcp_nodelay(&s->tcp, 1);
	snprintf(extra, sizeof(extra), "X-Twilio-Signature: %s\r\n", b->sig);
	if (va_ws_key_new(s->key) ||
	    va_ws_handshake_request(&hreq, b->authority, b->path, s->key, extra) ||
	    sess_write(s, hreq.data, hreq.len) ||
	    uv_read_start((uv_stream_t *)&s->tcp, on_alloc, on_read)) {
		va_buf_release(&hreq);
		sess_fail(s, &b->err_connect);
		return;
	}
	va_buf_release(&hreq);
	s->state = S_HANDSHAKE;
}

static void sess_start(uv_timer_t *t)
{
	struct sess *s = t->data;
	struct bench *b = s->b;
	int rc;

	if (uv_tcp_init(b->loop, &s->tcp)) {
		sess_fail(s, &b->err_connect);
		return;
	}
	s->tcp_init = true;
	s->tcp.data = s;
	s->creq.data = s;
	s->state = S_CONNECTING;
	uv_timer_start(&s->timer, on_sess_timer, (uint64_t)b->o.timeout_ms, 0);
	rc = uv_tcp_connect(&s->creq, &s->tcp, (const struct sockaddr *)&b->addr, on_connect);
	if (rc) {
		if (!b->o.json && b->err_connect < 3)
			fprintf(stderr, "bench: session %d: connect: %s\n", s->idx,
				uv_strerror(rc));
		sess_fail(s, &b->err_connect);
	}
}

static void on_settled(uv_timer_t *t)
{
	struct bench *b = t->data;

	b->rss_idle_kib = read_rss_kib(b->o.server_pid);
	if (!b->o.json)
		fprintf(stderr, "bench: %d sessions idle (%d failed)%s; prompting\n", b->n_ready,
			b->n_failed, b->rss_idle_kib >= 0 ? ", server RSS read" : "");
	b->prompting = true;
	b->t_prompts = uv_hrtime();
	for (int i = 0; i < b->o.calls; i++) {
		struct sess *s = &b->s[i];
		if (s->state == S_IDLE) {
			if (b->o.prompts > 0 && b->o.think_ms > 0) {
				/* Independent callers: first prompts spread over one
				 * think time instead of arriving all at once. */
				s->state = S_THINK;
				uv_timer_start(&s->timer, on_sess_timer, think_delay(b, 0, 1000), 0);
			} else if (b->o.prompts > 0)
				send_prompt(s);
			else
				sess_finish(s, S_DONE);
		}
	}
	check_phase(b);
}

static void close_walk(uv_handle_t *h, void *arg)
{
	bool timers_only = arg != NULL;

	if (!uv_is_closing(h) && (!timers_only || h->type == UV_TIMER))
		uv_close(h, NULL);
}

static void on_linger_over(uv_timer_t *t)
{
	uv_walk(t->loop, close_walk, NULL);
}

static void check_phase(struct bench *b)
{
	if (!b->settling && b->n_ready + b->n_failed == b->o.calls) {
		b->settling = true;
		uv_timer_start(&b->phase_timer, on_settled, SETTLE_MS, 0);
		return;
	}
	if (b->prompting && b->n_finished == b->o.calls && !b->t_end) {
		b->t_end = uv_hrtime();
		/* Sockets close themselves once their close frame is written; the
		 * timers go now, and a last unref'd timer stops a socket that hangs. */
		for (int i = 0; i < b->o.calls; i++)
			if (!uv_is_closing((uv_handle_t *)&b->s[i].timer))
				uv_close((uv_handle_t *)&b->s[i].timer, NULL);
		uv_timer_start(&b->phase_timer, on_linger_over, 2000, 0);
		uv_unref((uv_handle_t *)&b->phase_timer);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v; NAN when empty. */
static double pct(const double *v, size_t n, double p)
{
	size_t rank;

	if (!n)
		return NAN;
	rank = (size_t)ceil(p / 100.0 * (double)n);
	if (rank < 1)
		rank = 1;
	return v[rank - 1];
}

static void json_num(FILE *f, double v)
{
	if (isnan(v))
		fputs("null", f);
	else
		fprintf(f, "%.3f", v);
}

static void json_dist(FILE *f, const char *name, double *v, size_t n)
{
	fprintf(f, "\"%s\":{\"p50\":", name);
	json_num(f, pct(v, n, 50));
	fputs(",\"p90\":", f);
	json_num(f, pct(v, n, 90));
	fputs(",\"p99\":", f);
	json_num(f, pct(v, n, 99));
	fputs(",\"max\":", f);
	json_num(f, n ? v[n - 1] : NAN);
	fprintf(f, ",\"n\":%zu}", n);
}

/* The server's own figures (prompt received -> token written), read from
 * its status endpoint once the run is over. */
struct server_lat {
	bool ok;
	double p50, p90, p99, max;
	long long count;
};

static void read_server_latency(struct bench *b, struct server_lat *first,
				struct server_lat *last)
{
	struct va_buf body = VA_BUF_INIT(1 << 20);
	char url[600];
	int status = 0;
	json_t *j, *lat;

	memset(first, 0, sizeof(*first));
	memset(last, 0, sizeof(*last));
	snprintf(url, sizeof(url), "%s/api/v1/relay/status", b->o.url);
	if (va_sim_http("GET", url, NULL, NULL, 0, 5000, &status, &body, NULL) != VA_OK ||
	    status != 200) {
		va_buf_release(&body);
		return;
	}
	j = json_loads(va_buf_cstr(&body), 0, NULL);
	lat = j ? json_object_get(j, "latency") : NULL;
	for (int i = 0; lat && i < 2; i++) {
		json_t *d = json_object_get(lat, i ? "prompt_to_last_token" : "prompt_to_first_token");
		struct server_lat *o = i ? last : first;
		if (!json_is_object(d))
			continue;
		o->ok = true;
		o->p50 = json_number_value(json_object_get(d, "p50_ms"));
		o->p90 = json_number_value(json_object_get(d, "p90_ms"));
		o->p99 = json_number_value(json_object_get(d, "p99_ms"));
		o->max = json_number_value(json_object_get(d, "max_ms"));
		o->count = (long long)json_integer_value(json_object_get(d, "count"));
	}
	json_decref(j);
	va_buf_release(&body);
}

static void json_server(FILE *f, const char *name, const struct server_lat *s)
{
	if (!s->ok) {
		fprintf(f, ",\"%s\":null", name);
		return;
	}
	fprintf(f, ",\"%s\":{\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"max\":%.3f,\"n\":%lld}",
		name, s->p50, s->p90, s->p99, s->max, s->count);
}

static void report(struct bench *b)
{
	struct server_lat sfirst, slast;

	int errors = b->err_connect + b->err_protocol + b->err_timeout;
	double wall = (double)(b->t_end - b->t_start) / 1e9;
	double prompt_wall = b->t_prompts ? (double)(b->t_end - b->t_prompts) / 1e9 : 0;
	long per_call = -1;

	if (b->first_ms)
		qsort(b->first_ms, b->n_first, sizeof(double), cmp_double);
	if (b->last_ms)
		qsort(b->last_ms, b->n_last, sizeof(double), cmp_double);
	if (b->rss_before_kib >= 0 && b->rss_idle_kib >= 0 && b->n_ready > 0)
		per_call = (b->rss_idle_kib - b->rss_before_kib) / b->n_ready;
	read_server_latency(b, &sfirst, &slast);
	if (!b->o.json) {
		printf("calls %d, prompts per call %d, replies %zu, wall %.3f s (prompt phase "
		       "%.3f s)\n",
		       b->o.calls, b->o.prompts, b->n_last, wall, prompt_wall);
		printf("first token ms: p50 %.3f  p90 %.3f  p99 %.3f  max %.3f\n",
		       pct(b->first_ms, b->n_first, 50), pct(b->first_ms, b->n_first, 90),
		       pct(b->first_ms, b->n_first, 99),
		       b->n_first ? b->first_ms[b->n_first - 1] : NAN);
		printf("last token ms:  p50 %.3f  p90 %.3f  p99 %.3f  max %.3f\n",
		       pct(b->last_ms, b->n_last, 50), pct(b->last_ms, b->n_last, 90),
		       pct(b->last_ms, b->n_last, 99), b->n_last ? b->last_ms[b->n_last - 1] : NAN);
		if (sfirst.ok)
			printf("server-measured (prompt received -> token written, last %lld "
			       "replies): first p50 %.3f  p99 %.3f  max %.3f; last p50 %.3f  p99 %.3f\n",
			       sfirst.count < 8192 ? sfirst.count : 8192, sfirst.p50, sfirst.p99,
			       sfirst.max, slast.p50, slast.p99);
		printf("errors %d (connect %d, protocol %d, timeout %d)\n", errors, b->err_connect,
		       b->err_protocol, b->err_timeout);
		if (b->rss_before_kib >= 0)
			printf("server RSS: before %ld KiB, idle with %d calls %ld KiB, per call "
			       "%ld KiB\n",
			       b->rss_before_kib, b->n_ready, b->rss_idle_kib, per_call);
	}
	printf("{\"calls\":%d,\"prompts\":%d,\"think_ms\":%d,", b->o.calls, b->o.prompts,
	       b->o.think_ms);
	json_dist(stdout, "first_token_ms", b->first_ms, b->n_first);
	putchar(',');
	json_dist(stdout, "last_token_ms", b->last_ms, b->n_last);
	json_server(stdout, "server_first_token_ms", &sfirst);
	json_server(stdout, "server_last_token_ms", &slast);
	printf(",\"errors\":%d,\"errors_connect\":%d,\"errors_protocol\":%d,\"errors_timeout\":%d,"
	       "\"wall_s\":%.3f",
	       errors, b->err_connect, b->err_protocol, b->err_timeout, wall);
	if (b->rss_before_kib >= 0)
		printf(",\"rss_before_kib\":%ld", b->rss_before_kib);
	else
		fputs(",\"rss_before_kib\":null", stdout);
	if (b->rss_idle_kib >= 0)
		printf(",\"rss_idle_kib\":%ld", b->rss_idle_kib);
	else
		fputs(",\"rss_idle_kib\":null", stdout);
	if (b->rss_before_kib >= 0 && b->rss_idle_kib >= 0 && b->n_ready > 0)
		printf(",\"per_call_kib\":%ld}\n", per_call);
	else
		fputs(",\"per_call_kib\":null}\n", stdout);
	fflush(stdout);
}

static int parse_int(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < lo || v > hi)
		return VA_E_INVAL;
	*out = v;
	return VA_OK;
}

static int parse_args(int argc, char **argv, struct bench_opts *o, int *help)
{
	static const struct option longopts[] = {
	    {"url", required_argument, NULL, 'u'},
	    {"public-url", required_argument, NULL, 'P'},
	    {"tenant", required_argument, NULL, 'n'},
	    {"token", required_argument, NULL, 't'},
	    {"calls", required_argument, NULL, 'c'},
	    {"prompts", required_argument, NULL, 'k'},
	    {"ramp-ms", required_argument, NULL, 'r'},
	    {"think-ms", required_argument, NULL, 'w'},
	    {"timeout-ms", required_argument, NULL, 'm'},
	    {"server-pid", required_argument, NULL, 'p'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int ch;
	long v;

	*help = 0;
	o->url = "http://127.0.0.1:8000";
	o->public_url = NULL;
	o->tenant = "demo123";
	o->token = getenv("VOICEAI_CALL_TOKEN") && *getenv("VOICEAI_CALL_TOKEN")
		       ? getenv("VOICEAI_CALL_TOKEN")
		       : "demo-auth-token";
	o->calls = 100;
	o->prompts = 10;
	o->ramp_ms = 2000;
	o->think_ms = 0;
	o->timeout_ms = 10000;
	o->server_pid = 0;
	o->json = false;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'u':
			o->url = optarg;
			break;
		case 'P':
			o->public_url = optarg;
			break;
		case 'n':
			o->tenant = optarg;
			break;
		case 't':
			o->token = optarg;
			break;
		case 'c':
			if (parse_int(optarg, 1, 100000, &v))
				goto bad;
			o->calls = (int)v;
			break;
		case 'k':
			if (parse_int(optarg, 0, 100000, &v))
				goto bad;
			o->prompts = (int)v;
			break;
		case 'r':
			if (parse_int(optarg, 0, 3600000, &v))
				goto bad;
			o->ramp_ms = (int)v;
			break;
		case 'w':
			if (parse_int(optarg, 0, 3600000, &v))
				goto bad;
			o->think_ms = (int)v;
			break;
		case 'm':
			if (parse_int(optarg, 1, 3600000, &v))
				goto bad;
			o->timeout_ms = (int)v;
			break;
		case 'p':
			if (parse_int(optarg, 1, 1L << 30, &v))
				goto bad;
			o->server_pid = v;
			break;
		case 'j':
			o->json = true;
			break;
		case 'h':
			*help = 1;
			return VA_OK;
		default:
			fprintf(stderr, "bench: unknown option %s\n", argv[optind - 1]);
			return VA_E_INVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "bench: unexpected argument %s\n", argv[optind]);
		return VA_E_INVAL;
	}
	return VA_OK;
bad:
	fprintf(stderr, "bench: bad value %s for %s\n", optarg, argv[optind - 1]);
	return VA_E_INVAL;
}

/* Resolves --url and the signed URL (what the server rebuilds: the public
 * base with ws/wss, the stream path). */
static int bench_prepare(struct bench *b)
{
	struct va_sim_url u, pu;
	struct addrinfo hints = {0}, *res = NULL;
	char pauth[300];
	bool tls;

	if (va_sim_url_parse(b->o.url, &u) || strcmp(u.scheme, "http") != 0) {
		fprintf(stderr, "bench: --url must be http://host:port\n");
		return VA_E_INVAL;
	}
	if (va_sim_url_parse(b->o.public_url ? b->o.public_url : b->o.url, &pu)) {
		fprintf(stderr, "bench: bad --public-url\n");
		return VA_E_INVAL;
	}
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(u.host, u.port, &hints, &res) != 0 || !res) {
		fprintf(stderr, "bench: cannot resolve %s\n", u.host);
		return VA_E_IO;
	}
	memcpy(&b->addr, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	va_sim_url_authority(&u, b->authority, sizeof(b->authority));
	snprintf(b->path, sizeof(b->path), "/api/v1/voice/%s/stream", b->o.tenant);
	va_sim_url_authority(&pu, pauth, sizeof(pauth));
	tls = strcmp(pu.scheme, "https") == 0 || strcmp(pu.scheme, "wss") == 0;
	snprintf(b->sign_url, sizeof(b->sign_url), "%s://%s%s", tls ? "wss" : "ws", pauth, b->path);
	if (va_twilio_sign(b->o.token, b->sign_url, NULL, 0, b->sig, sizeof(b->sig))) {
		fprintf(stderr, "bench: cannot sign %s\n", b->sign_url);
		return VA_E_INVAL;
	}
	return VA_OK;
}

int va_cmd_bench(int argc, char **argv)
{
	struct bench b;
	uv_loop_t loop;
	int help, exit_code = 0;

	memset(&b, 0, sizeof(b));
	if (parse_args(argc, argv, &b.o, &help)) {
		usage(stderr);
		return 64;
	}
	if (help) {
		usage(stdout);
		return 0;
	}
	if (bench_prepare(&b))
		return 2;
	raise_nofile();
	if (uv_loop_init(&loop))
		return 2;
	b.loop = &loop;
	b.rss_before_kib = read_rss_kib(b.o.server_pid);
	b.rss_idle_kib = -1;
	if (b.o.server_pid && b.rss_before_kib < 0)
		fprintf(stderr, "bench: cannot read /proc/%ld/status\n", b.o.server_pid);
	if (!b.o.json)
		fprintf(stderr, "bench: %d sessions to %s (signed as %s), %d prompts each\n",
			b.o.calls, b.authority, b.sign_url, b.o.prompts);
	b.s = va_xcalloc((size_t)b.o.calls, sizeof(*b.s));
	uv_timer_init(&loop, &b.phase_timer);
	b.phase_timer.data = &b;
	b.t_start = uv_hrtime();
	for (int i = 0; i < b.o.calls; i++) {
		struct sess *s = &b.s[i];
		uint64_t at = b.o.calls > 1
				  ? (uint64_t)b.o.ramp_ms * (uint64_t)i / (uint64_t)(b.o.calls - 1)
				  : 0;

		s->b = &b;
		s->idx = i;
		va_buf_init(&s->hs, MAX_HANDSHAKE);
		va_ws_decoder_init(&s->dec, MAX_MESSAGE);
		uv_timer_init(&loop, &s->timer);
		s->timer.data = s;
		uv_timer_start(&s->timer, sess_start, at, 0);
	}
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_walk(&loop, close_walk, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	if (!b.t_end)
		b.t_end = uv_hrtime();
	report(&b);
	if (b.err_connect + b.err_protocol + b.err_timeout > 0)
		exit_code = 1;
	for (int i = 0; i < b.o.calls; i++) {
		va_buf_release(&b.s[i].hs);
		va_ws_decoder_release(&b.s[i].dec);
	}
	uv_loop_close(&loop);
	free(b.s);
	free(b.first_ms);
	free(b.last_ms);
	return exit_code;
}
