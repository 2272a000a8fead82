/* SPDX-License-Identifier: MIT */
/* harness.c - see harness.h. */
#include "harness.h"
#include "core/alloc.h"
#include "core/err.h"
#include "relay/msg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

pid_t it_mock_start(const char *const *argv, const char *stderr_path, int *port)
{
	int fds[2];
	char line[64] = "";
	pid_t pid;
	FILE *f;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int err = stderr_path ? open(stderr_path, O_WRONLY | O_CREAT | O_TRUNC, 0600)
				      : open("/dev/null", O_WRONLY);

		dup2(fds[1], 1);
		dup2(err, 2);
		close(fds[0]);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	f = fdopen(fds[0], "r");
	assert_non_null(fgets(line, sizeof(line), f));
	assert_int_equal(sscanf(line, "port=%d", port), 1);
	fclose(f);
	return pid;
}

int it_free_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static void server_exec(struct it_server *s, const char *const *extra, bool append);

void it_server_start(struct it_server *s, const char *const *extra)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->dir, sizeof(s->dir), "/tmp/voiceai-it-XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	snprintf(s->log, sizeof(s->log), "%s/server.log", s->dir);
	s->port = it_free_port();
	snprintf(s->base, sizeof(s->base), "http://127.0.0.1:%d", s->port);
	snprintf(s->ws_base, sizeof(s->ws_base), "ws://127.0.0.1:%d", s->port);
	server_exec(s, extra, false);
}

void it_server_restart(struct it_server *s, const char *const *extra)
{
	if (s->pid > 0)
		it_server_stop(s);
	server_exec(s, extra, true);
}

static void server_exec(struct it_server *s, const char *const *extra, bool append)
{
	char port[16], db[320];
	const char *argv[48];
	int n = 0;

	snprintf(db, sizeof(db), "%s/voiceai.db", s->dir);
	snprintf(port, sizeof(port), "%d", s->port);
	argv[n++] = VA_TEST_SERVER;
	argv[n++] = "--port";
	argv[n++] = port;
	argv[n++] = "--bind";
	argv[n++] = "127.0.0.1";
	argv[n++] = "--db";
	argv[n++] = db;
	argv[n++] = "--admin-token";
	argv[n++] = IT_ADMIN;
	argv[n++] = "--log-level";
	argv[n++] = "debug";
	for (int i = 0; extra && extra[i] && n < 46; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;

	s->pid = fork();
	assert_true(s->pid >= 0);
	if (s->pid == 0) {
		int fd = open(s->log, O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC), 0600);
		int nul = open("/dev/null", O_WRONLY);
		dup2(fd, 2);
		dup2(nul, 1);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	for (int i = 0; i < 200; i++) {
		struct va_buf b = VA_BUF_INIT(4096);
		int status = 0;
		char url[128];
		snprintf(url, sizeof(url), "%s/healthz", s->base);
		if (va_sim_http("GET", url, NULL, NULL, 0, 1000, &status, &b, NULL) == VA_OK &&
		    status == 200) {
			va_buf_release(&b);
			return;
		}
		va_buf_release(&b);
		usleep(25000);
	}
	fail_msg("server did not start (log: %s)", s->log);
}

bool it_server_alive(struct it_server *s)
{
	int st;
	return s->pid > 0 && waitpid(s->pid, &st, WNOHANG) == 0;
}

int it_server_stop(struct it_server *s)
{
	int st = 0;

	if (s->pid <= 0)
		return -1;
	kill(s->pid, SIGTERM);
	for (int i = 0; i < 400; i++) {
		pid_t p = waitpid(s->pid, &st, WNOHANG);
		if (p == s->pid) {
			s->pid = 0;
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		}
		usleep(25000);
	}
	kill(s->pid, SIGKILL);
	waitpid(s->pid, &st, 0);
	s->pid = 0;
	return -1;
}

int it_log_count(const struct it_server *s, const char *needle)
{
	return it_file_count(s->log, needle);
}

int it_file_count(const char *path, const char *needle)
{
	FILE *f = fopen(path, "r");
	char line[4096];
	int n = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, needle))
			n++;
	fclose(f);
	return n;
}

void it_random_sid(const char *prefix, char *dst, size_t dstsz)
{
	static const char hex[] = "0123456789abcdef";
	static unsigned seed;
	size_t o = strlen(prefix);

	if (!seed)
		seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	memcpy(dst, prefix, o);
	for (int i = 0; i < 32 && o + 1 < dstsz; i++)
		dst[o++] = hex[rand_r(&seed) % 16];
	dst[o] = '\0';
}

static void connect_session(struct it_server *s, struct it_call *c, const char *tenant,
			    const char *token)
{
	struct va_relay_setup setup;
	struct va_buf b = VA_BUF_INIT(64 * 1024);
	char *sig, url[256];
	int status = 0;

	assert_non_null(c->twiml.relay_url);
	sig = va_sim_ws_sign(token, c->twiml.relay_url);
	snprintf(url, sizeof(url), "%s/api/v1/voice/%s/stream", s->ws_base, tenant);
	assert_int_equal(va_sim_ws_connect(url, sig, 5000, &c->ws, &status), VA_OK);
	assert_int_equal(status, 101);
	free(sig);
	it_random_sid("VX", c->session_id, sizeof(c->session_id));
	memset(&setup, 0, sizeof(setup));
	strcpy(setup.session_id, c->session_id);
	strcpy(setup.call_sid, c->call_sid);
	strcpy(setup.account_sid, "AC00000000000000000000000000000000");
	strcpy(setup.from, "+15551230001");
	strcpy(setup.to, "+15555550100");
	strcpy(setup.call_type, "PSTN");
	strcpy(setup.direction, "inbound");
	strcpy(setup.call_status, "RINGING");
	for (size_t i = 0; i < c->twiml.n_params && i < VA_RELAY_MAX_PARAMS; i++) {
		snprintf(setup.params[i].name, sizeof(setup.params[i].name), "%s",
			 c->twiml.params[i].name);
		snprintf(setup.params[i].value, sizeof(setup.params[i].value), "%s",
			 c->twiml.params[i].value);
		setup.n_params++;
	}
	assert_int_equal(va_relay_write_setup(&b, &setup), VA_OK);
	assert_int_equal(va_sim_ws_send_text(c->ws, b.data, b.len), VA_OK);
	va_buf_release(&b);
}

void it_call_start(struct it_server *s, struct it_call *c, const char *tenant, const char *token)
{
	struct va_buf body = VA_BUF_INIT(64 * 1024);
	char path[128];
	int status = 0;

	memset(c, 0, sizeof(*c));
	it_random_sid("CA", c->call_sid, sizeof(c->call_sid));
	struct va_kv params[] = {
	    {"AccountSid", "AC00000000000000000000000000000000"},
	    {"ApiVersion", "2010-04-01"},
	    {"CallSid", c->call_sid},
	    {"CallStatus", "ringing"},
	    {"Direction", "inbound"},
	    {"From", "+15551230001"},
	    {"To", "+15555550100"},
	    {"Caller", "+15551230001"},
	    {"Called", "+15555550100"},
	};
	snprintf(path, sizeof(path), "/api/v1/voice/%s", tenant);
	assert_int_equal(va_sim_webhook(s->base, path, token, NULL, params,
					sizeof(params) / sizeof(params[0]), &status, &body),
			 VA_OK);
	assert_int_equal(status, 200);
	assert_int_equal(va_sim_twiml_parse(va_buf_cstr(&body), &c->twiml), VA_OK);
	va_buf_release(&body);
	connect_session(s, c, tenant, token);
}

void it_call_reconnect(struct it_server *s, struct it_call *c, const char *tenant,
		       const char *token)
{
	va_sim_ws_free(c->ws);
	c->ws = NULL;
	connect_session(s, c, tenant, token);
}

void it_call_end(struct it_call *c)
{
	va_sim_ws_free(c->ws);
	c->ws = NULL;
	va_sim_twiml_release(&c->twiml);
}

static int send_buf(struct it_call *c, struct va_buf *b, int rc)
{
	if (rc == VA_OK)
		rc = va_sim_ws_send_text(c->ws, b->data, b->len);
	va_buf_release(b);
	return rc;
}

int it_send_prompt(struct it_call *c, const char *text)
{
	struct va_buf b = VA_BUF_INIT(1 << 20);
	return send_buf(c, &b, va_relay_write_prompt(&b, text, true, "en-US"));
}

int it_send_interrupt(struct it_call *c, const char *heard, long ms)
{
	struct va_buf b = VA_BUF_INIT(1 << 20);
	return send_buf(c, &b, va_relay_write_interrupt(&b, heard, ms));
}

int it_send_dtmf(struct it_call *c, char digit)
{
	struct va_buf b = VA_BUF_INIT(256);
	return send_buf(c, &b, va_relay_write_dtmf(&b, digit));
}

int it_read_reply(struct it_call *c, int timeout_ms, struct va_buf *reply, int *frames,
		  struct va_buf *handoff)
{
	struct timespec t0, t1;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct va_sim_frame f;
		struct va_relay_out m;
		long left;

		clock_gettime(CLOCK_MONOTONIC, &t1);
		left = timeout_ms -
		       ((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0)
			return VA_E_TIMEOUT;
		rc = va_sim_ws_recv(c->ws, (int)left, &f);
		if (rc != VA_OK)
			return rc;
		if (f.opcode == VA_WS_OP_CLOSE) {
			va_sim_frame_release(&f);
			return VA_E_CLOSED;
		}
		if (f.opcode != VA_WS_OP_TEXT ||
		    va_relay_parse_out(f.payload, f.len, &m) != VA_OK) {
			va_sim_frame_release(&f);
			continue;
		}
		va_sim_frame_release(&f);
		if (m.type == VA_RELAY_OUT_TEXT) {
			bool last = m.last;
			if (m.text && *m.text) {
				if (reply)
					va_buf_append_str(reply, m.text);
				if (frames)
					(*frames)++;
			}
			va_relay_out_release(&m);
			if (last)
				return VA_OK;
			continue;
		}
		if (m.type == VA_RELAY_OUT_END) {
			if (handoff && m.text)
				va_buf_append_str(handoff, m.text);
			va_relay_out_release(&m);
			return VA_E_STATE;
		}
		va_relay_out_release(&m);
	}
}

int it_count_frames(struct it_call *c, int ms)
{
	int frames = 0;
	struct va_buf reply = VA_BUF_INIT(1 << 20);

	while (it_read_reply(c, ms, &reply, &frames, NULL) == VA_OK)
		;
	va_buf_release(&reply);
	return frames;
}

int it_http(struct it_server *s, const char *method, const char *path, const char *bearer,
	    const char *body, struct va_buf *resp)
{
	char url[512], hdr[512] = "";
	int status = 0;

	snprintf(url, sizeof(url), "%s%s", s->base, path);
	if (bearer)
		snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s\r\n%s", bearer,
			 body ? "Content-Type: application/json\r\n" : "");
	else if (body)
		snprintf(hdr, sizeof(hdr), "Content-Type: application/json\r\n");
	if (va_sim_http(method, url, hdr[0] ? hdr : NULL, body, body ? strlen(body) : 0, 10000,
			&status, resp, NULL) != VA_OK)
		return -1;
	return status;
}
