/* SPDX-License-Identifier: MIT */
/*
 * audio_call.c - `voiceai call --audio FILE.ul`: plays Twilio's part of a
 * Media Streams call. The signed webhook; the signed WebSocket to the
 * <Stream url>; connected and start; then the recording as 20 ms mu-law
 * frames in real time, followed by silence, as a phone line would carry it.
 * Marks are echoed when the audio before them has played (at once after a
 * clear), as Twilio does. What comes back is written to --out, and the time
 * from the end of the recording to the first reply frame is reported.
 */
#include "sim/audio.h"

#include "core/alloc.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "media/msg.h"
#include "sim/client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define FRAME	  160
#define MAX_MARKS 1024

struct pending {
	char name[128];
	int64_t due;
};

struct player {
	const struct va_sim_audio_opts *o;
	struct va_sim_ws *ws;
	char stream_sid[40], call_sid[40];
	long seq, chunk;
	FILE *out;
	size_t got;	    /* reply bytes received */
	int64_t play_until; /* when what Twilio holds has played */
	int64_t last_media; /* when the last media frame came */
	int clears;
	bool closed;
	struct pending marks[MAX_MARKS];
	size_t n_marks;
	struct va_media_out msg;
};

static int64_t now_ms(void)
{
	return (int64_t)(va_clock_mono_ns() / 1000000);
}

static void sid(char *dst, const char *prefix)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char r[16];

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		memset(r, 7, sizeof(r));
	strcpy(dst, prefix);
	for (size_t i = 0; i < sizeof(r); i++) {
		dst[2 + 2 * i] = hex[r[i] >> 4];
		dst[3 + 2 * i] = hex[r[i] & 15];
	}
	dst[2 + 2 * sizeof(r)] = '\0';
}

/* Reads what the server sends for up to ms, playing it like Twilio. */
static void pump(struct player *p, int ms)
{
	struct va_buf b = VA_BUF_INIT(1024);
	int64_t end = now_ms() + ms;

	do {
		struct va_sim_frame f;
		int64_t now;
		int rc = va_sim_ws_recv(p->ws, 1, &f);

		now = now_ms();
		for (size_t i = 0; i < p->n_marks;) {
			if (p->marks[i].due > now) {
				i++;
				continue;
			}
			va_buf_reset(&b);
			va_media_write_mark_in(&b, p->stream_sid, ++p->seq, p->marks[i].name);
			va_sim_ws_send_text(p->ws, b.data, b.len);
			memmove(&p->marks[i], &p->marks[i + 1],
				(p->n_marks - i - 1) * sizeof(p->marks[0]));
			p->n_marks--;
		}
		if (rc == VA_E_CLOSED || (rc == VA_OK && f.opcode == VA_WS_OP_CLOSE)) {
			p->closed = true;
			if (rc == VA_OK)
				va_sim_frame_release(&f);
			break;
		}
		if (rc != VA_OK)
			continue;
		if (f.opcode == VA_WS_OP_TEXT &&
		    va_media_parse_out(f.payload, f.len, &p->msg) == 0) {
			if (p->msg.type == VA_MEDIA_OUT_MEDIA) {
				if (p->out)
					fwrite(p->msg.audio, 1, p->msg.len, p->out);
				p->got += p->msg.len;
				p->last_media = now;
				if (p->play_until < now)
					p->play_until = now;
				p->play_until += (int64_t)p->msg.len / 8;
			} else if (p->msg.type == VA_MEDIA_OUT_MARK && p->n_marks < MAX_MARKS) {
				snprintf(p->marks[p->n_marks].name, sizeof(p->marks[0].name), "%s",
					 p->msg.mark_name);
				p->marks[p->n_marks++].due = p->play_until;
			} else if (p->msg.type == VA_MEDIA_OUT_CLEAR) {
				p->clears++;
				p->play_until = now;
				for (size_t i = 0; i < p->n_marks; i++)
					p->marks[i].due = now;
				if (!p->o->quiet)
					printf("-- clear (the caller barged in)\n");
			}
		}
		va_sim_frame_release(&f);
	} while (now_ms() < end);
	va_buf_release(&b);
}

/* One 20 ms frame, then the rest of its 20 ms spent listening. */
static int send_frame(struct player *p, const uint8_t *audio, int64_t due)
{
	struct va_buf b = VA_BUF_INIT(1024);
	int rc;

	p->chunk++;
	va_media_write_audio_in(&b, p->stream_sid, ++p->seq, p->chunk, p->chunk * 20, audio, FRAME);
	rc = va_sim_ws_send_text(p->ws, b.data, b.len);
	va_buf_release(&b);
	if (rc)
		p->closed = true;
	else if (due > now_ms())
		pump(p, (int)(due - now_ms()));
	return rc;
}

static char *stream_url(const char *twiml)
{
	const char *u = strstr(twiml, "<Stream"), *e;

	if (!u || !(u = strstr(u, "url=\"")))
		return NULL;
	u += 5;
	e = strchr(u, '"');
	return e ? va_sim_xml_unescape(u, (size_t)(e - u)) : NULL;
}

int va_sim_audio_call(const struct va_sim_audio_opts *o)
{
	struct va_buf body = VA_BUF_INIT(256 * 1024), b = VA_BUF_INIT(4096);
	struct va_sim_twiml tw = {0};
	struct va_media_start st = {0};
	struct player p = {0};
	struct va_sim_url base, su;
	struct va_kv kv[8];
	uint8_t *rec = NULL, silence[FRAME];
	char path[256], ws[2400], auth[300], acct[40];
	char *url = NULL, *sig = NULL;
	size_t len = 0, n = 0;
	int status = 0, rc, exit_code = VA_SIM_AUDIO_CONNECT;
	int64_t t, end_speech, first = -1;
	FILE *f;

	p.o = o;
	memset(silence, 0xff, sizeof(silence));
	f = fopen(o->audio, "rb");
	if (!f) {
		fprintf(stderr, "call: cannot open %s: %s\n", o->audio, strerror(errno));
		return VA_SIM_AUDIO_USAGE;
	}
	rec = va_xmalloc(16u << 20);
	len = fread(rec, 1, 16u << 20, f);
	fclose(f);
	if (o->out && !(p.out = fopen(o->out, "wb"))) {
		fprintf(stderr, "call: cannot write %s: %s\n", o->out, strerror(errno));
		free(rec);
		return VA_SIM_AUDIO_USAGE;
	}
	sid(p.call_sid, "CA");
	sid(p.stream_sid, "MZ");
	sid(acct, "AC");

	/* 1. The webhook: its TwiML must carry a <Stream>. */
	snprintf(path, sizeof(path), "/api/v1/voice/%s", o->tenant);
	kv[n++] = (struct va_kv){"AccountSid", acct};
	kv[n++] = (struct va_kv){"CallSid", p.call_sid};
	kv[n++] = (struct va_kv){"CallStatus", "ringing"};
	kv[n++] = (struct va_kv){"Direction", "inbound"};
	kv[n++] = (struct va_kv){"From", o->from};
	kv[n++] = (struct va_kv){"To", o->to};
	rc = va_sim_webhook_ex(o->base_url, path, o->token, o->public_url, o->fwd, kv, n, &status,
			       &body);
	if (rc || status != 200) {
		fprintf(stderr, "call: webhook failed: %s (HTTP %d)\n", va_err_str(rc), status);
		goto out;
	}
	url = stream_url(va_buf_cstr(&body));
	if (!url) {
		fprintf(stderr, "call: the server answered without <Stream> (is the practice's "
				"transport audio, with a Realtime key?)\n");
		exit_code = VA_SIM_AUDIO_NO_STREAM;
		goto out;
	}
	va_sim_twiml_parse(va_buf_cstr(&body), &tw);

	/* 2. The signed WebSocket, to --url's host with the TwiML's path. */
	if (va_sim_url_parse(o->base_url, &base) || va_sim_url_parse(url, &su)) {
		fprintf(stderr, "call: bad stream url %s\n", url);
		goto out;
	}
	va_sim_url_authority(&base, auth, sizeof(auth));
	if ((size_t)snprintf(ws, sizeof(ws), "ws://%.299s%.2047s", auth, su.path) >= sizeof(ws))
		goto out;
	sig = va_sim_ws_sign(o->token, url);
	rc = va_sim_ws_connect_ex(ws, sig, o->fwd, 0, o->timeout_ms, &p.ws, &status);
	if (rc) {
		fprintf(stderr, "call: WebSocket %s failed: %s (HTTP %d)\n", ws, va_err_str(rc),
			status);
		goto out;
	}
	if (!o->quiet)
		printf("-- media stream %s (signed as %s) -> HTTP %d\n", ws, url, status);
	va_buf_append_str(&b,
			  "{\"event\":\"connected\",\"protocol\":\"Call\",\"version\":\"1.0.0\"}");
	va_sim_ws_send_text(p.ws, b.data, b.len);
	snprintf(st.stream_sid, sizeof(st.stream_sid), "%s", p.stream_sid);
	snprintf(st.call_sid, sizeof(st.call_sid), "%s", p.call_sid);
	snprintf(st.account_sid, sizeof(st.account_sid), "%s", acct);
	for (size_t i = 0; i < tw.n_params && i < VA_MEDIA_MAX_PARAMS; i++) {
		snprintf(st.params[i].name, sizeof(st.params[i].name), "%s", tw.params[i].name);
		snprintf(st.params[i].value, sizeof(st.params[i].value), "%s", tw.params[i].value);
		st.n_params++;
	}
	va_buf_reset(&b);
	va_media_write_start(&b, &st);
	if (va_sim_ws_send_text(p.ws, b.data, b.len)) {
		fprintf(stderr, "call: sending start failed\n");
		goto out;
	}
	exit_code = VA_SIM_AUDIO_NO_REPLY;

	/* 3. The greeting, with a silent line under it, until it has played. */
	t = now_ms();
	while (!p.closed && now_ms() - t < o->timeout_ms &&
	       !(p.got && now_ms() - p.last_media > 300 && p.play_until <= now_ms()))
		send_frame(&p, silence, now_ms() + 20);
	if (!o->quiet)
		printf("-- greeting: %zu ms of audio\n", p.got / 8);

	/* 4. The recording in real time, then silence until the reply. */
	t = now_ms();
	for (size_t off = 0; off + FRAME <= len && !p.closed; off += FRAME)
		send_frame(&p, rec + off, t + (int64_t)(off / FRAME + 1) * 20);
	end_speech = now_ms();
	{
		size_t before = p.got;

		while (!p.closed && now_ms() - end_speech < o->timeout_ms) {
			send_frame(&p, silence, now_ms() + 20);
			if (p.got > before && first < 0)
				first = p.last_media - end_speech;
			if (first >= 0 && now_ms() - p.last_media > 600 && p.play_until <= now_ms())
				break;
		}
	}
	printf("-- played %s: %zu ms\n", o->audio, len / 8);
	if (first >= 0) {
		printf("-- first reply frame %lld ms after the end of the recording\n",
		       (long long)first);
		exit_code = 0;
	} else {
		printf("-- no reply within %d ms%s\n", o->timeout_ms,
		       p.closed ? " (the server closed the stream)" : "");
	}
	printf("-- received %zu ms of audio in all%s%s, %d clear(s)\n", p.got / 8,
	       o->out ? ", written to " : "", o->out ? o->out : "", p.clears);
	if (!p.closed) {
		va_buf_reset(&b);
		va_media_write_stop_in(&b, p.stream_sid, ++p.seq, p.call_sid);
		va_sim_ws_send_text(p.ws, b.data, b.len);
		pump(&p, 100);
	}
out:
	if (p.out)
		fclose(p.out);
	va_sim_ws_free(p.ws);
	va_sim_twiml_release(&tw);
	free(url);
	free(sig);
	free(rec);
	va_buf_release(&body);
	va_buf_release(&b);
	return exit_code;
}
