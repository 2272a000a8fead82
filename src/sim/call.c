/* SPDX-License-Identifier: MIT */
/*
 * call.c - `voiceai call`: a caller simulator that plays Twilio's part of a
 * ConversationRelay call against a running server: the signed Voice webhook,
 * the signed WebSocket with setup/prompt/interrupt/dtmf frames, and the
 * <Connect action> callback when the session ends. Interactive on a terminal
 * (poll on stdin and the socket, so /interrupt can cut a streaming reply),
 * scripted otherwise (--script FILE, or stdin that is not a terminal).
 */
#include "sim/sim.h"

#include "core/alloc.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "relay/msg.h"
#include "sim/audio.h"
#include "sim/client.h"

#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define EXIT_FAILED_EXPECT 1
#define EXIT_CONNECT	   2
#define EXIT_NO_RELAY	   3
#define MS_PER_CHAR	   65 /* speaking rate used to fake durationUntilInterruptMs */
#define DTMF_REPLY_WAIT_MS 2000

struct call_opts {
	const char *tenant;
	const char *url;
	const char *public_url;
	const char *token;
	const char *from;
	const char *to;
	const char *script;
	const char *audio; /* --audio: a Media Streams call playing this recording */
	const char *out;   /* --out: where its reply audio goes */
	int timeout_ms;
	bool quiet;
};

enum reply_result {
	REPLY_DONE = 0, /* last:true arrived */
	REPLY_FIRST,	/* first token arrived (when only that was asked) */
	REPLY_TIMEOUT,
	REPLY_ENDED, /* the session is over (end, close, drop) */
	REPLY_ERROR,
};

struct call {
	const struct call_opts *o;
	char base_url[512];   /* --url without a trailing slash */
	char public_url[512]; /* what Twilio would sign */
	char fwd[600];	      /* X-Forwarded-* lines when public_url is not base_url */
	char call_sid[40], account_sid[40], session_id[40];
	struct va_sim_twiml tw;
	struct va_sim_ws *ws;
	bool ended;
	bool protocol_error;
	int64_t session_start_ms;

	/* the agent's current reply */
	bool replying;	   /* a prompt (or dtmf) was sent; reply not closed */
	bool reply_open;   /* tokens of it were printed on the current line */
	bool discarding;   /* after an interrupt: drop the rest of the cut reply */
	bool last_fresh;   /* no prompt since last_reply completed */
	uint64_t sent_ns;  /* when the prompt was sent */
	uint64_t first_ns; /* first token of the reply, 0 before */
	struct va_buf cur;
	struct va_buf last_reply;
	char *end_twiml; /* the action callback's answer after `end` */
};

static void usage(FILE *f)
{
	fputs("usage: voiceai call [TENANT] [options]\n"
	      "Plays Twilio's part of a ConversationRelay call against a running server.\n"
	      "\n"
	      "  TENANT               tenant id (default demo123)\n"
	      "  --url URL            server to connect to (default http://127.0.0.1:8000)\n"
	      "  --public-url URL     base URL Twilio would use and sign (default --url)\n"
	      "  --token TOKEN        tenant's Twilio auth token (default $VOICEAI_CALL_TOKEN,\n"
	      "                       else demo-auth-token)\n"
	      "  --from NUMBER        caller (default +15555550123)\n"
	      "  --to NUMBER          called number (default +15555550100)\n"
	      "  --script FILE        run a script instead of reading the terminal ('-' = stdin)\n"
	      "  --timeout-ms MS      wait for a reply at most MS (default 10000)\n"
	      "  --quiet              transcript only: no status lines or timings\n"
	      "  --audio FILE.ul      a raw-audio call (Media Streams) instead: plays FILE\n"
	      "                       (8 kHz mu-law, headerless) in real time after the\n"
	      "                       greeting, answers marks as Twilio does, and reports\n"
	      "                       the time from the end of FILE to the first reply frame\n"
	      "  --out FILE.ul        with --audio: write the audio received to FILE\n"
	      "  --help               this text\n"
	      "\n"
	      "Lines are sent as caller speech (prompt), except:\n"
	      "  /interrupt           barge in on the current reply (in a script, right after\n"
	      "                       a prompt: once its first token arrived)\n"
	      "  /dtmf D              press a key (0-9 * #)\n"
	      "  /wait MS             wait, printing what arrives\n"
	      "  /expect TEXT         fail (exit 1) unless the last complete reply contains TEXT\n"
	      "                       (case-insensitive)\n"
	      "  /expect-end TEXT     fail unless the session ended and the action callback's\n"
	      "                       TwiML contains TEXT (e.g. <Dial>)\n"
	      "  /hangup              hang up (close 1000, then the action callback)\n"
	      "  /silence             send an empty prompt (the caller said nothing)\n"
	      "  # comment, blank     skipped in scripts\n"
	      "\n"
	      "Exit: 0 ok, 1 failed /expect or protocol error, 2 connection failure,\n"
	      "3 the server answered without ConversationRelay (e.g. busy).\n",
	      f);
}

static int random_hex(char *dst, const char *prefix, size_t nhex)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[32];
	size_t pl = strlen(prefix);

	if (nhex / 2 > sizeof(raw) || getrandom(raw, nhex / 2, 0) != (ssize_t)(nhex / 2))
		return VA_E_IO;
	memcpy(dst, prefix, pl);
	for (size_t i = 0; i < nhex / 2; i++) {
		dst[pl + 2 * i] = hex[raw[i] >> 4];
		dst[pl + 2 * i + 1] = hex[raw[i] & 15];
	}
	dst[pl + nhex] = '\0';
	return VA_OK;
}

static double ms_since(uint64_t t0)
{
	return (double)(va_clock_mono_ns() - t0) / 1e6;
}

/* Prints one line of TwiML or body on a single line for the transcript. */
static void print_flat(const char *label, const char *s)
{
	fputs(label, stdout);
	for (; *s; s++) {
		if (*s == '\n' || *s == '\r')
			continue;
		putchar(*s);
	}
	putchar('\n');
	fflush(stdout);
}

static void status_line(const struct call *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void status_line(const struct call *c, const char *fmt, ...)
{
	va_list ap;

	if (c->o->quiet)
		return;
	fputs("-- ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* Splits an absolute URL into "scheme://authority" and "/path?query". */
static int split_origin(const char *url, char *origin, size_t osz, const char **path)
{
	const char *p = strstr(url, "://");
	const char *slash;

	if (!p)
		return VA_E_INVAL;
	slash = strchr(p + 3, '/');
	if (!slash)
		slash = p + strlen(p);
	if ((size_t)(slash - url) >= osz)
		return VA_E_TOOBIG;
	memcpy(origin, url, (size_t)(slash - url));
	origin[slash - url] = '\0';
	*path = *slash ? slash : "/";
	return VA_OK;
}

static void add_kv(struct va_kv *kv, size_t *n, const char *name, const char *value)
{
	kv[*n].name = name;
	kv[*n].value = value;
	(*n)++;
}

/* Twilio's <Connect action> request once the session is over. */
static int post_action(struct call *c, const char *call_status, const char *session_status,
		       const char *handoff, char **twiml_out)
{
	struct va_buf body = VA_BUF_INIT(256 * 1024);
	struct va_kv kv[16];
	char origin[512], dur[32];
	const char *path;
	char *abs = NULL;
	size_t n = 0;
	int status = 0, rc;

	if (twiml_out)
		*twiml_out = NULL;
	if (!c->tw.action_url || !*c->tw.action_url) {
		status_line(c, "no action URL in the TwiML: no callback");
		return VA_OK;
	}
	if (c->tw.action_url[0] == '/') {
		size_t l = strlen(c->public_url) + strlen(c->tw.action_url) + 1;
		abs = va_xmalloc(l);
		snprintf(abs, l, "%s%s", c->public_url, c->tw.action_url);
	} else {
		abs = va_xstrdup(c->tw.action_url);
	}
	rc = split_origin(abs, origin, sizeof(origin), &path);
	if (rc)
		goto out;
	snprintf(dur, sizeof(dur), "%lld",
		 (long long)((va_clock_wall_ms() - c->session_start_ms + 500) / 1000));
	add_kv(kv, &n, "AccountSid", c->account_sid);
	add_kv(kv, &n, "ApiVersion", "2010-04-01");
	add_kv(kv, &n, "CallSid", c->call_sid);
	add_kv(kv, &n, "CallStatus", call_status);
	add_kv(kv, &n, "Called", c->o->to);
	add_kv(kv, &n, "Caller", c->o->from);
	add_kv(kv, &n, "Direction", "inbound");
	add_kv(kv, &n, "From", c->o->from);
	add_kv(kv, &n, "To", c->o->to);
	add_kv(kv, &n, "SessionId", c->session_id);
	add_kv(kv, &n, "SessionStatus", session_status);
	add_kv(kv, &n, "SessionDuration", dur);
	if (handoff)
		add_kv(kv, &n, "HandoffData", handoff);
	if (strcmp(session_status, "failed") == 0) {
		add_kv(kv, &n, "ErrorCode", "64105");
		add_kv(kv, &n, "ErrorMessage", "ConversationRelay WebSocket ended unexpectedly");
	}
	rc = va_sim_webhook_ex(c->base_url, path, c->o->token, origin, c->fwd[0] ? c->fwd : NULL,
			       kv, n, &status, &body);
	if (rc) {
		status_line(c, "action callback POST %s%s failed: %s", c->base_url, path,
			    va_err_str(rc));
		goto out;
	}
	status_line(c, "action callback (SessionStatus %s) -> HTTP %d", session_status, status);
	if (!c->o->quiet || handoff)
		print_flat("twiml: ", va_buf_cstr(&body));
	if (twiml_out)
		*twiml_out = va_buf_take(&body, NULL);
	if (status < 200 || status > 299)
		rc = VA_E_STATE;
out:
	free(abs);
	va_buf_release(&body);
	return rc;
}

static void close_line(struct call *c, const char *suffix)
{
	if (!c->reply_open)
		return;
	fputs(suffix, stdout);
	putchar('\n');
	fflush(stdout);
	c->reply_open = false;
}

/* Closes the socket the way Twilio does when a call ends: close 1000, wait
 * briefly for the server's close, drop the TCP connection. */
static void ws_shutdown(struct call *c)
{
	struct va_sim_frame f;
	uint64_t t0 = va_clock_mono_ns();

	if (!c->ws)
		return;
	va_sim_ws_send_close(c->ws, VA_WS_CLOSE_NORMAL);
	while (ms_since(t0) < 1000) {
		int rc = va_sim_ws_recv(c->ws, 1000, &f);
		if (rc)
			break;
		va_sim_frame_release(&f);
		if (f.opcode == VA_WS_OP_CLOSE)
			break;
	}
	va_sim_ws_free(c->ws);
	c->ws = NULL;
}

static size_t utf8_chars(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

/* The session is over from the server's side (close frame or dropped TCP):
 * Twilio reports it on the action URL as a failed session. */
static void on_dropped(struct call *c, const char *why)
{
	close_line(c, " [cut off]");
	status_line(c, "session dropped by the server: %s", why);
	c->ended = true;
	c->replying = false;
	c->protocol_error = true;
	va_sim_ws_free(c->ws);
	c->ws = NULL;
	post_action(c, "in-progress", "failed", NULL, NULL);
}

/* Handles one frame from the server; returns the reply state it leads to:
 * REPLY_DONE when it closed a reply, REPLY_FIRST for a reply's first token,
 * REPLY_ENDED when the session is over, REPLY_TIMEOUT (= nothing of note). */
static enum reply_result on_frame(struct call *c, const struct va_sim_frame *f)
{
	struct va_relay_out m;
	enum reply_result res = REPLY_TIMEOUT;
	int rc;

	if (f->opcode == VA_WS_OP_CLOSE) {
		char why[160];
		snprintf(why, sizeof(why), "close %d %s", f->close_code, f->payload);
		on_dropped(c, why);
		return REPLY_ENDED;
	}
	if (f->opcode != VA_WS_OP_TEXT) {
		status_line(c, "ignored a non-text frame (opcode %d)", (int)f->opcode);
		return REPLY_TIMEOUT;
	}
	rc = va_relay_parse_out(f->payload, f->len, &m);
	if (rc) {
		close_line(c, "");
		fprintf(stdout, "-- bad message from the server (%s): %.200s\n", va_err_name(rc),
			f->payload);
		c->protocol_error = true;
		return REPLY_TIMEOUT;
	}
	switch (m.type) {
	case VA_RELAY_OUT_TEXT:
		if (c->discarding) {
			if (m.last)
				c->discarding = false;
			break;
		}
		if (!c->reply_open) {
			fputs("agent: ", stdout);
			c->reply_open = true;
			va_buf_reset(&c->cur);
			c->first_ns = va_clock_mono_ns();
			c->replying = true;
			res = REPLY_FIRST;
		}
		fputs(m.text, stdout);
		fflush(stdout);
		if (va_buf_append_str(&c->cur, m.text) == VA_E_TOOBIG)
			status_line(c, "reply longer than %zu bytes: truncated", c->cur.max);
		if (m.last) {
			char timing[96];
			snprintf(timing, sizeof(timing), " [first token %.1f ms, reply %.1f ms]",
				 (double)(c->first_ns - c->sent_ns) / 1e6, ms_since(c->sent_ns));
			close_line(c, c->o->quiet ? "" : timing);
			va_buf_reset(&c->last_reply);
			va_buf_append(&c->last_reply, c->cur.data ? c->cur.data : "", c->cur.len);
			c->last_fresh = true;
			c->replying = false;
			res = REPLY_DONE;
		}
		break;
	case VA_RELAY_OUT_END:
		close_line(c, " [cut by end]");
		printf("agent: [end%s%s]\n", m.text ? " handoffData=" : "", m.text ? m.text : "");
		fflush(stdout);
		c->ended = true;
		c->replying = false;
		ws_shutdown(c);
		free(c->end_twiml);
		post_action(c, "in-progress", "ended", m.text ? m.text : "", &c->end_twiml);
		res = REPLY_ENDED;
		break;
	case VA_RELAY_OUT_SEND_DIGITS:
		close_line(c, "");
		printf("agent: [sendDigits %s]\n", m.text ? m.text : "");
		break;
	case VA_RELAY_OUT_PLAY:
		close_line(c, "");
		printf("agent: [play %s]\n", m.text ? m.text : "");
		break;
	case VA_RELAY_OUT_LANGUAGE:
		close_line(c, "");
		printf("agent: [language %s]\n", m.lang);
		break;
	default:
		close_line(c, "");
		fprintf(stdout, "-- unknown message from the server: %.200s\n", f->payload);
		break;
	}
	fflush(stdout);
	va_relay_out_release(&m);
	return res;
}

/* Receives and handles frames until want (REPLY_DONE or REPLY_FIRST) happens,
 * the session ends, or timeout_ms passes without it. */
static enum reply_result pump(struct call *c, int timeout_ms, enum reply_result want)
{
	uint64_t deadline = va_clock_mono_ns() + (uint64_t)timeout_ms * 1000000ULL;

	for (;;) {
		struct va_sim_frame f;
		enum reply_result r;
		uint64_t now = va_clock_mono_ns();
		int left = now >= deadline ? 0 : (int)((deadline - now) / 1000000ULL);
		int rc;

		if (c->ended || !c->ws)
			return REPLY_ENDED;
		rc = va_sim_ws_recv(c->ws, left, &f);
		if (rc == VA_E_TIMEOUT)
			return REPLY_TIMEOUT;
		if (rc) {
			on_dropped(c, rc == VA_E_CLOSED ? "TCP connection closed" : va_err_str(rc));
			return rc == VA_E_CLOSED ? REPLY_ENDED : REPLY_ERROR;
		}
		r = on_frame(c, &f);
		va_sim_frame_release(&f);
		if (r == REPLY_ENDED || r == want || (want == REPLY_FIRST && r == REPLY_DONE))
			return r;
	}
}

/* After an interrupt the server just stops the cut reply (there may be no
 * closing last:true), and tokens already on the wire still arrive: drop them
 * until last:true or quiet_ms of silence, as a caller pauses after barging
 * in. Without this they would be taken for the next prompt's reply. */
static void drain_cut_reply(struct call *c, int quiet_ms)
{
	uint64_t t0 = va_clock_mono_ns();

	while (c->discarding && !c->ended && c->ws && ms_since(t0) < c->o->timeout_ms) {
		struct va_sim_frame f;
		int rc = va_sim_ws_recv(c->ws, quiet_ms, &f);

		if (rc == VA_E_TIMEOUT)
			break;
		if (rc) {
			on_dropped(c, rc == VA_E_CLOSED ? "TCP connection closed" : va_err_str(rc));
			break;
		}
		on_frame(c, &f);
		va_sim_frame_release(&f);
	}
	c->discarding = false;
}

static int send_json(struct call *c, struct va_buf *b)
{
	int rc = va_sim_ws_send_text(c->ws, b->data, b->len);

	if (rc)
		on_dropped(c, va_err_str(rc));
	return rc;
}

static int send_prompt(struct call *c, const char *text, bool echo)
{
	struct va_buf b = VA_BUF_INIT(256 * 1024);
	int rc;

	close_line(c, " [talked over]");
	if (echo) {
		printf("caller: %s\n", text);
		fflush(stdout);
	}
	rc = va_relay_write_prompt(&b, text, true, "en-US");
	if (!rc) {
		c->sent_ns = va_clock_mono_ns();
		c->first_ns = 0;
		c->replying = true;
		c->discarding = false;
		c->last_fresh = false;
		va_buf_reset(&c->cur);
		rc = send_json(c, &b);
	}
	va_buf_release(&b);
	return rc;
}

static int send_interrupt(struct call *c, bool echo)
{
	struct va_buf b = VA_BUF_INIT(256 * 1024);
	const struct va_buf *heard;
	long dur;
	int rc;

	/* What was heard: the reply streaming now, else the one just finished
	 * (its speech may still be playing when the caller barges in). */
	heard = c->replying ? &c->cur : c->last_fresh ? &c->last_reply : NULL;
	dur =
	    heard ? (long)utf8_chars(heard->data ? heard->data : "", heard->len) * MS_PER_CHAR : 0;
	close_line(c, " [interrupted]");
	if (echo)
		printf("caller: [interrupt after %ld ms]\n", dur);
	fflush(stdout);
	rc = va_relay_write_interrupt(&b, heard ? va_buf_cstr(heard) : "", dur);
	if (!rc) {
		if (c->replying)
			c->discarding = true;
		c->replying = false;
		c->last_fresh = false;
		rc = send_json(c, &b);
	}
	va_buf_release(&b);
	return rc;
}

static int send_dtmf(struct call *c, char digit, bool echo)
{
	struct va_buf b = VA_BUF_INIT(256);
	int rc;

	close_line(c, " [talked over]");
	if (echo)
		printf("caller: [dtmf %c]\n", digit);
	fflush(stdout);
	rc = va_relay_write_dtmf(&b, digit);
	if (rc == VA_E_INVAL) {
		fprintf(stderr, "call: /dtmf wants one of 0-9 * #\n");
		va_buf_release(&b);
		return rc;
	}
	if (!rc) {
		c->sent_ns = va_clock_mono_ns();
		c->first_ns = 0;
		c->discarding = false;
		rc = send_json(c, &b);
	}
	va_buf_release(&b);
	return rc;
}

static void hangup(struct call *c, bool echo)
{
	if (c->ended)
		return;
	close_line(c, " [hung up]");
	if (echo)
		printf("caller: [hangup]\n");
	fflush(stdout);
	c->ended = true;
	c->replying = false;
	ws_shutdown(c);
	post_action(c, "completed", "completed", NULL, NULL);
}

static bool contains_ci(const char *hay, const char *needle)
{
	return strcasestr(hay ? hay : "", needle) != NULL;
}

static const char *skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static bool is_cmd(const char *line, const char *cmd, const char **arg)
{
	size_t n = strlen(cmd);

	if (strncmp(line, cmd, n) != 0 || (line[n] && line[n] != ' ' && line[n] != '\t'))
		return false;
	*arg = skip_ws(line + n);
	return true;
}

static char *rtrim(char *s)
{
	size_t n = strlen(s);

	while (n > 0 &&
	       (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

/* ---- script mode ---- */

static int read_lines(FILE *f, char ***lines_out, size_t *n_out)
{
	char **lines = NULL, *line = NULL;
	size_t n = 0, cap = 0, lcap = 0;

	while (getline(&line, &lcap, f) >= 0) {
		const char *t = skip_ws(rtrim(line));
		if (!*t || *t == '#')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			lines = va_xrealloc(lines, cap * sizeof(*lines));
		}
		lines[n++] = va_xstrdup(t);
	}
	free(line);
	*lines_out = lines;
	*n_out = n;
	return VA_OK;
}

static int run_script(struct call *c, FILE *in)
{
	char **lines = NULL;
	size_t n = 0;
	int exit_code = 0;

	read_lines(in, &lines, &n);
	for (size_t i = 0; i < n && !exit_code; i++) {
		const char *l = lines[i], *arg;
		bool next_interrupt = i + 1 < n && strcmp(lines[i + 1], "/interrupt") == 0;
		enum reply_result want = next_interrupt ? REPLY_FIRST : REPLY_DONE;

		if (is_cmd(l, "/expect-end", &arg)) {
			/* The end may still be on its way after the last reply. */
			if (!c->ended)
				pump(c, c->o->timeout_ms, REPLY_ENDED);
			if (!c->ended || !c->end_twiml || !contains_ci(c->end_twiml, arg)) {
				printf("FAIL: /expect-end %s: %s\n", arg,
				       c->end_twiml ? c->end_twiml : "(no end/action TwiML)");
				exit_code = EXIT_FAILED_EXPECT;
			} else {
				status_line(c, "ok: /expect-end %s", arg);
			}
		} else if (is_cmd(l, "/expect", &arg)) {
			if (c->replying && !c->ended)
				pump(c, c->o->timeout_ms, REPLY_DONE);
			if (!contains_ci(va_buf_cstr(&c->last_reply), arg)) {
				printf("FAIL: /expect %s: last reply was \"%s\"\n", arg,
				       va_buf_cstr(&c->last_reply));
				exit_code = EXIT_FAILED_EXPECT;
			} else {
				status_line(c, "ok: /expect %s", arg);
			}
		} else if (is_cmd(l, "/wait", &arg)) {
			long ms = strtol(arg, NULL, 10);
			uint64_t t0 = va_clock_mono_ns();
			while (!c->ended && ms_since(t0) < (double)ms)
				pump(c, (int)(ms - (long)ms_since(t0)), REPLY_ENDED);
			if (c->ended && ms_since(t0) < (double)ms)
				usleep((useconds_t)((ms - (long)ms_since(t0)) * 1000));
		} else if (is_cmd(l, "/hangup", &arg)) {
			hangup(c, true);
		} else if (c->ended) {
			printf("FAIL: the session is over; not sent: %s\n", l);
			exit_code = EXIT_FAILED_EXPECT;
		} else if (is_cmd(l, "/silence", &arg)) {
			/* What Twilio sends when the caller says nothing audible. */
			enum reply_result r;
			if (send_prompt(c, "", true))
				break;
			r = pump(c, c->o->timeout_ms, want);
			if (r == REPLY_TIMEOUT) {
				close_line(c, " [timed out]");
				printf("FAIL: no reply to silence within %d ms\n",
				       c->o->timeout_ms);
				exit_code = EXIT_FAILED_EXPECT;
			}
		} else if (is_cmd(l, "/interrupt", &arg)) {
			if (!send_interrupt(c, true))
				drain_cut_reply(c, 150);
		} else if (is_cmd(l, "/dtmf", &arg)) {
			if (strlen(arg) != 1 || send_dtmf(c, arg[0], true) == VA_E_INVAL) {
				printf("FAIL: bad /dtmf line: %s\n", l);
				exit_code = EXIT_FAILED_EXPECT;
			} else if (!c->ended) {
				/* A key may or may not get an answer: wait a little. */
				enum reply_result r = pump(c, DTMF_REPLY_WAIT_MS, REPLY_FIRST);
				if (r == REPLY_FIRST && want == REPLY_DONE)
					pump(c, c->o->timeout_ms, REPLY_DONE);
			}
		} else if (l[0] == '/' && strchr(l, ' ') == NULL && strlen(l) < 16) {
			printf("FAIL: unknown command %s\n", l);
			exit_code = EXIT_FAILED_EXPECT;
		} else {
			enum reply_result r;

			if (send_prompt(c, l, true))
				break;
			r = pump(c, c->o->timeout_ms, want);
			if (r == REPLY_TIMEOUT) {
				close_line(c, " [timed out]");
				printf("FAIL: no %s within %d ms\n",
				       c->first_ns ? "end of reply" : "reply", c->o->timeout_ms);
				exit_code = EXIT_FAILED_EXPECT;
			}
		}
	}
	/* An `end` (hand-off, goodbye) may follow the last reply: give it a
	 * moment, as Twilio would, before the caller hangs up. */
	if (!c->ended && !exit_code)
		pump(c, 300, REPLY_ENDED);
	if (!c->ended)
		hangup(c, true);
	if (!exit_code && c->protocol_error)
		exit_code = EXIT_FAILED_EXPECT;
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	return exit_code;
}

/* ---- interactive mode ---- */

static void interactive_line(struct call *c, char *line)
{
	const char *l = skip_ws(rtrim(line)), *arg;

	if (!*l)
		return;
	if (is_cmd(l, "/hangup", &arg)) {
		hangup(c, false);
	} else if (is_cmd(l, "/interrupt", &arg)) {
		send_interrupt(c, false);
	} else if (is_cmd(l, "/dtmf", &arg)) {
		if (strlen(arg) == 1)
			send_dtmf(c, arg[0], false);
		else
			fprintf(stderr, "call: /dtmf D (one of 0-9 * #)\n");
	} else if (is_cmd(l, "/wait", &arg)) {
		long ms = strtol(arg, NULL, 10);
		uint64_t t0 = va_clock_mono_ns();
		while (!c->ended && ms_since(t0) < (double)ms)
			pump(c, (int)(ms - (long)ms_since(t0)), REPLY_ENDED);
	} else if (is_cmd(l, "/expect-end", &arg)) {
		printf("-- /expect-end %s: %s\n", arg,
		       c->end_twiml && contains_ci(c->end_twiml, arg) ? "ok" : "FAILED");
	} else if (is_cmd(l, "/expect", &arg)) {
		printf("-- /expect %s: %s\n", arg,
		       contains_ci(va_buf_cstr(&c->last_reply), arg) ? "ok" : "FAILED");
	} else if (c->ended) {
		printf("-- the session is over\n");
	} else {
		send_prompt(c, l, false);
	}
	fflush(stdout);
}

static int run_interactive(struct call *c)
{
	struct va_buf in = VA_BUF_INIT(64 * 1024);
	bool eof = false;

	while (!c->ended && !eof) {
		struct pollfd pfd[2];
		int timeout = -1, pr;
		char *nl;

		/* Frames already buffered in the client do not wake poll(). */
		if (pump(c, 0, REPLY_ENDED) == REPLY_ENDED)
			break;
		if (c->replying) {
			uint64_t since = c->sent_ns;
			double left = c->o->timeout_ms - ms_since(since);
			if (left <= 0) {
				close_line(c, " [timed out]");
				printf("-- no reply within %d ms\n", c->o->timeout_ms);
				c->replying = false;
				continue;
			}
			timeout = (int)left + 1;
		}
		pfd[0].fd = STDIN_FILENO;
		pfd[0].events = POLLIN;
		pfd[1].fd = va_sim_ws_fd(c->ws);
		pfd[1].events = POLLIN;
		pr = poll(pfd, 2, timeout);
		if (pr < 0 && errno != EINTR)
			break;
		if (pr <= 0)
			continue;
		if (pfd[0].revents & (POLLIN | POLLHUP)) {
			char tmp[4096];
			ssize_t r = read(STDIN_FILENO, tmp, sizeof(tmp));
			if (r <= 0)
				eof = true;
			else if (va_buf_append(&in, tmp, (size_t)r))
				va_buf_reset(&in); /* absurd line: drop it */
			while (in.len && (nl = memchr(in.data, '\n', in.len))) {
				size_t ll = (size_t)(nl - in.data) + 1;
				char *line = va_xstrndup(in.data, ll);
				memmove(in.data, in.data + ll, in.len - ll);
				in.len -= ll;
				in.data[in.len] = '\0';
				interactive_line(c, line);
				free(line);
			}
		}
	}
	if (eof && in.len) {
		char *line = va_xstrndup(in.data, in.len);
		interactive_line(c, line);
		free(line);
	}
	if (!c->ended)
		hangup(c, false);
	va_buf_release(&in);
	return 0;
}

/* ---- the call ---- */

static void strip_slash(char *dst, size_t dsz, const char *url)
{
	size_t n;

	snprintf(dst, dsz, "%s", url);
	n = strlen(dst);
	while (n > 0 && dst[n - 1] == '/')
		dst[--n] = '\0';
}

static int parse_args(int argc, char **argv, struct call_opts *o, int *help)
{
	static const struct option longopts[] = {
	    {"url", required_argument, NULL, 'u'},
	    {"public-url", required_argument, NULL, 'P'},
	    {"token", required_argument, NULL, 't'},
	    {"from", required_argument, NULL, 'f'},
	    {"to", required_argument, NULL, 'T'},
	    {"script", required_argument, NULL, 's'},
	    {"timeout-ms", required_argument, NULL, 'm'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"audio", required_argument, NULL, 'a'},
	    {"out", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *env = getenv("VOICEAI_CALL_TOKEN");
	int ch;

	*help = 0;
	o->tenant = "demo123";
	o->url = "http://127.0.0.1:8000";
	o->public_url = NULL;
	o->token = env && *env ? env : "demo-auth-token";
	o->from = "+15555550123";
	o->to = "+15555550100";
	o->script = NULL;
	o->audio = NULL;
	o->out = NULL;
	o->timeout_ms = 10000;
	o->quiet = false;
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
		case 't':
			o->token = optarg;
			break;
		case 'f':
			o->from = optarg;
			break;
		case 'T':
			o->to = optarg;
			break;
		case 's':
			o->script = optarg;
			break;
		case 'm': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || v <= 0 || v > 3600000) {
				fprintf(stderr, "call: bad --timeout-ms %s\n", optarg);
				return VA_E_INVAL;
			}
			o->timeout_ms = (int)v;
			break;
		}
		case 'q':
			o->quiet = true;
			break;
		case 'a':
			o->audio = optarg;
			break;
		case 'o':
			o->out = optarg;
			break;
		case 'h':
			*help = 1;
			return VA_OK;
		default:
			fprintf(stderr, "call: unknown option %s\n", argv[optind - 1]);
			return VA_E_INVAL;
		}
	}
	if (optind < argc)
		o->tenant = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "call: unexpected argument %s\n", argv[optind]);
		return VA_E_INVAL;
	}
	return VA_OK;
}

/* The URL to connect to for relay_url: --url's host and port with the TwiML
 * URL's path, since the public host is usually a tunnel we cannot reach. */
static int connect_url(const struct call *c, const char *relay_url, char *dst, size_t dsz)
{
	struct va_sim_url base, relay;
	char auth[300];
	int rc;

	rc = va_sim_url_parse(c->base_url, &base);
	if (!rc)
		rc = va_sim_url_parse(relay_url, &relay);
	if (rc)
		return rc;
	va_sim_url_authority(&base, auth, sizeof(auth));
	if ((size_t)snprintf(dst, dsz, "ws://%s%s", auth, relay.path) >= dsz)
		return VA_E_TOOBIG;
	return VA_OK;
}

int va_cmd_call(int argc, char **argv)
{
	struct call_opts o;
	struct call c;
	struct va_buf body = VA_BUF_INIT(256 * 1024);
	struct va_buf setup_json = VA_BUF_INIT(64 * 1024);
	struct va_relay_setup setup;
	struct va_kv kv[12];
	char path[256], ws_url[2300];
	char *sig = NULL;
	FILE *script = NULL;
	size_t n = 0;
	int help, status = 0, rc, exit_code = 0;
	bool script_mode;

	memset(&c, 0, sizeof(c));
	va_buf_init(&c.cur, 64 * 1024);
	va_buf_init(&c.last_reply, 64 * 1024);
	if (parse_args(argc, argv, &o, &help)) {
		usage(stderr);
		exit_code = 64;
		goto out;
	}
	if (help) {
		usage(stdout);
		goto out;
	}
	c.o = &o;
	strip_slash(c.base_url, sizeof(c.base_url), o.url);
	strip_slash(c.public_url, sizeof(c.public_url), o.public_url ? o.public_url : o.url);
	if (strcmp(c.public_url, c.base_url) != 0) {
		/* Behave like the tunnel in front of a server that has no PUBLIC_URL. */
		struct va_sim_url pu;
		char auth[300];
		if (va_sim_url_parse(c.public_url, &pu)) {
			fprintf(stderr, "call: bad --public-url %s\n", c.public_url);
			exit_code = 64;
			goto out;
		}
		va_sim_url_authority(&pu, auth, sizeof(auth));
		snprintf(c.fwd, sizeof(c.fwd), "X-Forwarded-Proto: %s\r\nX-Forwarded-Host: %s\r\n",
			 strcmp(pu.scheme, "https") == 0 || strcmp(pu.scheme, "wss") == 0 ? "https"
											  : "http",
			 auth);
	}
	if (o.audio) {
		struct va_sim_audio_opts ao = {
		    .base_url = c.base_url,
		    .public_url = c.public_url,
		    .fwd = c.fwd[0] ? c.fwd : NULL,
		    .tenant = o.tenant,
		    .token = o.token,
		    .from = o.from,
		    .to = o.to,
		    .audio = o.audio,
		    .out = o.out,
		    .timeout_ms = o.timeout_ms,
		    .quiet = o.quiet,
		};
		exit_code = va_sim_audio_call(&ao);
		goto out;
	}
	script_mode = o.script || !isatty(STDIN_FILENO);
	if (o.script && strcmp(o.script, "-") != 0) {
		script = fopen(o.script, "r");
		if (!script) {
			fprintf(stderr, "call: cannot open %s: %s\n", o.script, strerror(errno));
			exit_code = 64;
			goto out;
		}
	}
	if (random_hex(c.call_sid, "CA", 32) || random_hex(c.account_sid, "AC", 32) ||
	    random_hex(c.session_id, "VX", 32)) {
		exit_code = EXIT_CONNECT;
		goto out;
	}

	/* 1. The Voice webhook, signed as Twilio would sign it. */
	snprintf(path, sizeof(path), "/api/v1/voice/%s", o.tenant);
	add_kv(kv, &n, "AccountSid", c.account_sid);
	add_kv(kv, &n, "ApiVersion", "2010-04-01");
	add_kv(kv, &n, "CallSid", c.call_sid);
	add_kv(kv, &n, "CallStatus", "ringing");
	add_kv(kv, &n, "Called", o.to);
	add_kv(kv, &n, "Caller", o.from);
	add_kv(kv, &n, "Direction", "inbound");
	add_kv(kv, &n, "From", o.from);
	add_kv(kv, &n, "To", o.to);
	rc = va_sim_webhook_ex(c.base_url, path, o.token, c.public_url, c.fwd[0] ? c.fwd : NULL, kv,
			       n, &status, &body);
	if (rc) {
		fprintf(stderr, "call: POST %s%s failed: %s\n", c.base_url, path, va_err_str(rc));
		exit_code = EXIT_CONNECT;
		goto out;
	}
	status_line(&c, "webhook POST %s%s (CallSid %s) -> HTTP %d", c.base_url, path, c.call_sid,
		    status);
	if (status != 200) {
		print_flat("-- body: ", va_buf_cstr(&body));
		exit_code = EXIT_CONNECT;
		goto out;
	}
	if (va_sim_twiml_parse(va_buf_cstr(&body), &c.tw) != VA_OK) {
		print_flat("-- not TwiML: ", va_buf_cstr(&body));
		exit_code = EXIT_FAILED_EXPECT;
		goto out;
	}
	if (!c.tw.relay_url) {
		if (c.tw.say)
			printf("agent: %s\n", c.tw.say);
		if (c.tw.dial)
			printf("agent: [dial %s]\n", c.tw.dial);
		status_line(&c, "no ConversationRelay in the TwiML%s",
			    c.tw.hangup ? " (hangup)" : "");
		exit_code = EXIT_NO_RELAY;
		goto out;
	}

	/* 2. The WebSocket: connect to --url, sign the URL exactly as the TwiML has it. */
	rc = connect_url(&c, c.tw.relay_url, ws_url, sizeof(ws_url));
	if (rc) {
		fprintf(stderr, "call: bad ConversationRelay url %s\n", c.tw.relay_url);
		exit_code = EXIT_CONNECT;
		goto out;
	}
	sig = va_sim_ws_sign(o.token, c.tw.relay_url);
	rc = va_sim_ws_connect_ex(ws_url, sig, c.fwd[0] ? c.fwd : NULL, 0, o.timeout_ms, &c.ws,
				  &status);
	if (rc) {
		fprintf(stderr, "call: WebSocket %s (signed as %s) failed: %s (HTTP %d)\n", ws_url,
			c.tw.relay_url, va_err_str(rc), status);
		exit_code = EXIT_CONNECT;
		goto out;
	}
	c.session_start_ms = va_clock_wall_ms();
	status_line(&c, "relay %s (signed as %s) -> HTTP %d", ws_url, c.tw.relay_url, status);

	memset(&setup, 0, sizeof(setup));
	snprintf(setup.session_id, sizeof(setup.session_id), "%s", c.session_id);
	snprintf(setup.account_sid, sizeof(setup.account_sid), "%s", c.account_sid);
	snprintf(setup.call_sid, sizeof(setup.call_sid), "%s", c.call_sid);
	snprintf(setup.from, sizeof(setup.from), "%s", o.from);
	snprintf(setup.to, sizeof(setup.to), "%s", o.to);
	snprintf(setup.call_type, sizeof(setup.call_type), "PSTN");
	snprintf(setup.direction, sizeof(setup.direction), "inbound");
	snprintf(setup.call_status, sizeof(setup.call_status), "RINGING");
	for (size_t i = 0; i < c.tw.n_params && i < VA_RELAY_MAX_PARAMS; i++) {
		snprintf(setup.params[i].name, sizeof(setup.params[i].name), "%s",
			 c.tw.params[i].name);
		snprintf(setup.params[i].value, sizeof(setup.params[i].value), "%s",
			 c.tw.params[i].value);
		setup.n_params++;
	}
	rc = va_relay_write_setup(&setup_json, &setup);
	if (!rc)
		rc = va_sim_ws_send_text(c.ws, setup_json.data, setup_json.len);
	if (rc) {
		fprintf(stderr, "call: sending setup failed: %s\n", va_err_str(rc));
		exit_code = EXIT_CONNECT;
		goto out;
	}
	if (c.tw.say) /* a <Say> before <Connect>: spoken before the relay starts */
		printf("agent: %s\n", c.tw.say);
	if (c.tw.welcome_greeting) {
		printf("agent: %s\n", c.tw.welcome_greeting);
		va_buf_append_str(&c.last_reply, c.tw.welcome_greeting);
		c.last_fresh = true;
	}
	fflush(stdout);

	/* 3. The conversation. */
	if (script_mode)
		exit_code = run_script(&c, script ? script : stdin);
	else
		exit_code = run_interactive(&c);
out:
	if (script)
		fclose(script);
	free(sig);
	va_sim_ws_free(c.ws);
	va_sim_twiml_release(&c.tw);
	va_buf_release(&c.cur);
	va_buf_release(&c.last_reply);
	free(c.end_twiml);
	va_buf_release(&body);
	va_buf_release(&setup_json);
	return exit_code;
}
