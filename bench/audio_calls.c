/* SPDX-License-Identifier: MIT */
/*
 * audio_calls.c - N concurrent raw-audio calls (Twilio Media Streams)
 * against a running `voiceai serve` whose practice uses the audio transport,
 * bridged by the server to a (mock) OpenAI Realtime server.
 *
 * Each call plays Twilio: the signed voice webhook, the <Stream url> of its
 * TwiML, the signed WebSocket handshake, `connected`, `start`, then one
 * 160-byte mu-law `media` frame every 20 ms (low noise by default, so the
 * server's own VAD sees no speech and never barges in; or a file, looped),
 * marks echoed when the audio before them has played, `stop` at the end.
 * Every call is on one thread, poll() over the sockets.
 *
 * Phases: RAMP (calls set up one after another over --ramp-ms) -> WARM (until
 * every call hears its reply, plus a second) -> MEASURE (--seconds: frame
 * counts, the server's CPU from /proc/PID/stat, its VmRSS at the end, its
 * latency.model_audio_to_twilio read every --status-ms) -> REPORT.
 *
 *   ./build/voiceai-bench-audio-calls --url http://127.0.0.1:8000 --calls 200 \
 *       --seconds 20 --server-pid PID [--mock-pid PID] [--json]
 */
#include "audio/g711.h"
#include "core/buf.h"
#include "core/err.h"
#include "media/msg.h"
#include "sim/client.h"

#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define FRAME_BYTES 160
#define FRAME_US    20000
#define MAX_MARKS   256
#define NOISE_LEN   (8000 * 8) /* 8 s of noise, looped */
#define MAX_WINDOWS 4096
#define GAP_US	    60000 /* an inter-arrival gap the caller would hear */

struct opts {
	const char *url;
	const char *tenant;
	const char *token;
	const char *audio;
	int calls;
	int seconds;
	int ramp_ms;
	int warm_ms;
	int status_ms;
	double noise_dbfs;
	long server_pid;
	long mock_pid;
	bool aligned;
	bool json;
};

struct pending {
	char name[128]; /* as va_media_out's */
	int64_t due_us;
};

struct call {
	struct va_sim_ws *ws;
	char call_sid[40], stream_sid[40];
	long seq, chunk;
	size_t audio_off;
	int64_t next_send_us;
	int64_t play_until_us;
	int64_t last_media_us;
	struct pending marks[MAX_MARKS];
	size_t n_marks;
	bool live, closed;
	bool heard; /* a first reply frame arrived */
	/* counters (cumulative) */
	uint64_t sent, received, marks_in, marks_out, clears, gaps;
	int64_t max_gap_us;
};

struct counters {
	uint64_t sent, received, marks_in, marks_out, clears, gaps;
};

struct stat_window {
	uint64_t count;
	double p50, p90, p99, max;
};

static struct opts o = {
    .url = "http://127.0.0.1:8000",
    .tenant = "demo123",
    .calls = 200,
    .seconds = 20,
    .ramp_ms = -1,
    .warm_ms = 1000,
    .status_ms = 500,
    .noise_dbfs = -60,
};

static struct call *calls;
static uint8_t *audio;
static size_t audio_len;
static struct va_media_out out_msg; /* large: one for every call */
static int err_webhook, err_connect, err_send, err_closed, err_parse, late_sends;
static int64_t max_send_lag_us, setup_us_sum, setup_us_max, t_start;
/* the longest silence in any call's reply, and when (since the start) */
static int64_t worst_gap_us, worst_gap_at_us;

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void usage(FILE *f)
{
	fputs("usage: voiceai-bench-audio-calls [options]\n"
	      "Opens N concurrent Media Streams calls against a running server (practice on\n"
	      "the audio transport) and measures what the audio path costs it.\n"
	      "\n"
	      "  --url URL          server (default http://127.0.0.1:8000)\n"
	      "  --tenant ID        practice (default demo123)\n"
	      "  --token TOKEN      its Twilio auth token (default demo-auth-token)\n"
	      "  --calls N          concurrent calls (default 200)\n"
	      "  --seconds D        measured time with every call live (default 20)\n"
	      "  --ramp-ms MS       spread the call set-ups over MS (default 10 per call)\n"
	      "  --warm-ms MS       wait after every call hears audio, before measuring\n"
	      "                     (default 1000)\n"
	      "  --status-ms MS     read the server's status this often (default 500)\n"
	      "  --audio FILE.ul    the caller's audio, looped (default: low noise)\n"
	      "  --noise-dbfs DB    level of that noise (default -60)\n"
	      "  --server-pid PID   read the server's CPU time and VmRSS from /proc\n"
	      "  --mock-pid PID     read the mock Realtime server's CPU time too\n"
	      "  --aligned          open calls exactly --ramp-ms/N apart, without spreading\n"
	      "                     their 20 ms frame clocks (10 ms apart: every call in one\n"
	      "                     of two phases, a worst case)\n"
	      "  --json             only the summary line\n",
	      f);
}

static int parse_opts(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"url", required_argument, NULL, 'u'},
	    {"tenant", required_argument, NULL, 't'},
	    {"token", required_argument, NULL, 'k'},
	    {"calls", required_argument, NULL, 'n'},
	    {"seconds", required_argument, NULL, 'd'},
	    {"ramp-ms", required_argument, NULL, 'r'},
	    {"warm-ms", required_argument, NULL, 'w'},
	    {"status-ms", required_argument, NULL, 's'},
	    {"audio", required_argument, NULL, 'a'},
	    {"noise-dbfs", required_argument, NULL, 'N'},
	    {"server-pid", required_argument, NULL, 'p'},
	    {"mock-pid", required_argument, NULL, 'm'},
	    {"aligned", no_argument, NULL, 'A'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'u':
			o.url = optarg;
			break;
		case 't':
			o.tenant = optarg;
			break;
		case 'k':
			o.token = optarg;
			break;
		case 'n':
			o.calls = atoi(optarg);
			break;
		case 'd':
			o.seconds = atoi(optarg);
			break;
		case 'r':
			o.ramp_ms = atoi(optarg);
			break;
		case 'w':
			o.warm_ms = atoi(optarg);
			break;
		case 's':
			o.status_ms = atoi(optarg);
			break;
		case 'a':
			o.audio = optarg;
			break;
		case 'N':
			o.noise_dbfs = atof(optarg);
			break;
		case 'p':
			o.server_pid = atol(optarg);
			break;
		case 'm':
			o.mock_pid = atol(optarg);
			break;
		case 'A':
			o.aligned = true;
			break;
		case 'j':
			o.json = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (o.calls < 1 || o.seconds < 1 || o.status_ms < 50) {
		usage(stderr);
		return -1;
	}
	if (!o.token)
		o.token =
		    getenv("VOICEAI_CALL_TOKEN") ? getenv("VOICEAI_CALL_TOKEN") : "demo-auth-token";
	if (o.ramp_ms < 0)
		o.ramp_ms = o.calls * 10;
	return 0;
}

/* ---- /proc ------------------------------------------------------------------ */

/* utime + stime of every thread of pid, in µs; -1 when unreadable. */
static int64_t proc_cpu_us(long pid)
{
	char path[64], line[1024], *p;
	unsigned long long ut, st;
	FILE *f;
	int n;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	p = fgets(line, sizeof(line), f);
	fclose(f);
	/* The command name may hold spaces: the fields follow its ')'. */
	if (!p || !(p = strrchr(line, ')')))
		return -1;
	n = sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st);
	if (n != 2)
		return -1;
	return (int64_t)((ut + st) * 1000000ULL / (unsigned long long)sysconf(_SC_CLK_TCK));
}

static long proc_rss_kib(long pid)
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
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* The whole machine from /proc/stat: busy and total jiffies (all CPUs). */
static void machine_jiffies(unsigned long long *busy, unsigned long long *total)
{
	unsigned long long v[8] = {0};
	FILE *f = fopen("/proc/stat", "r");

	*busy = *total = 0;
	if (!f)
		return;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5], &v[6], &v[7]) == 8) {
		for (int i = 0; i < 8; i++)
			*total += v[i];
		*busy = *total - v[3] - v[4];
	}
	fclose(f);
}

/* Times the scheduler took the CPU from pid (nonvoluntary_ctxt_switches). */
static long proc_preempted(long pid)
{
	char path[64], line[256];
	long n = -1;
	FILE *f;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "nonvoluntary_ctxt_switches: %ld", &n) == 1)
			break;
	fclose(f);
	return n;
}

static int64_t self_cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 + ru.ru_utime.tv_usec +
	       ru.ru_stime.tv_usec;
}

/* ---- the caller's audio ----------------------------------------------------- */

static int load_audio(void)
{
	if (o.audio) {
		FILE *f = fopen(o.audio, "rb");

		if (!f) {
			fprintf(stderr, "bench: cannot open %s\n", o.audio);
			return -1;
		}
		audio = malloc(16 << 20);
		audio_len = audio ? fread(audio, 1, 16 << 20, f) : 0;
		fclose(f);
		audio_len -= audio_len % FRAME_BYTES;
		if (audio_len < FRAME_BYTES) {
			fprintf(stderr, "bench: %s holds less than a frame\n", o.audio);
			return -1;
		}
		return 0;
	}
	/* Low white noise, the hiss of a quiet line. */
	{
		double amp = 32767.0 * pow(10.0, o.noise_dbfs / 20.0) * sqrt(3.0);
		uint64_t rng = 0x9e3779b97f4a7c15ULL;

		audio_len = NOISE_LEN;
		audio = malloc(audio_len);
		if (!audio)
			return -1;
		for (size_t i = 0; i < audio_len; i++) {
			double u;

			rng ^= rng << 13;
			rng ^= rng >> 7;
			rng ^= rng << 17;
			u = (double)(rng >> 11) / (double)(1ULL << 53) * 2.0 - 1.0;
			audio[i] = va_g711_ulaw_encode((int16_t)lrint(u * amp));
		}
	}
	return 0;
}

/* ---- one call --------------------------------------------------------------- */

static void make_sid(const char *prefix, int i, char *dst, size_t n)
{
	snprintf(dst, n, "%s%08lx%08x%016llx", prefix, (unsigned long)getpid(), (unsigned)i,
		 (unsigned long long)now_us());
}

static int send_json(struct call *c, const struct va_buf *b)
{
	if (c->closed)
		return VA_E_CLOSED;
	if (va_sim_ws_send_text(c->ws, b->data, b->len) != VA_OK) {
		err_send++;
		c->closed = true;
		return VA_E_IO;
	}
	return VA_OK;
}

/* Webhook -> TwiML <Stream url> -> signed handshake -> connected, start. */
static int call_open(struct call *c, int i)
{
	struct va_kv params[] = {
	    {"AccountSid", "AC00000000000000000000000000000000"},
	    {"CallSid", c->call_sid},
	    {"CallStatus", "ringing"},
	    {"From", "+15551234567"},
	    {"To", "+15555550100"},
	    {"Direction", "inbound"},
	};
	struct va_buf twiml = VA_BUF_INIT(1 << 16), b = VA_BUF_INIT(8192);
	struct va_media_start st = {0};
	struct va_sim_url su, bu;
	char path[200], stream_url[600], connect_url[2400], *sig = NULL;
	const char *u, *e;
	int status = 0, rc = VA_E_STATE;

	make_sid("CA", i, c->call_sid, sizeof(c->call_sid));
	make_sid("MZ", i, c->stream_sid, sizeof(c->stream_sid));
	snprintf(path, sizeof(path), "/api/v1/voice/%s", o.tenant);
	if (va_sim_webhook(o.url, path, o.token, NULL, params, sizeof(params) / sizeof(params[0]),
			   &status, &twiml) != VA_OK ||
	    status != 200) {
		err_webhook++;
		goto out;
	}
	u = strstr(va_buf_cstr(&twiml), "<Stream url=\"");
	if (!u || !(e = strchr(u + 13, '"'))) {
		fprintf(stderr, "bench: no <Stream> in the TwiML (is the practice on audio?)\n");
		err_webhook++;
		goto out;
	}
	u += 13;
	snprintf(stream_url, sizeof(stream_url), "%.*s", (int)(e - u), u);
	/* Signed as the TwiML says; reached at --url (a public wss:// URL too). */
	if (va_sim_url_parse(stream_url, &su) != VA_OK || va_sim_url_parse(o.url, &bu) != VA_OK) {
		err_webhook++;
		goto out;
	}
	snprintf(connect_url, sizeof(connect_url), "ws://%s:%s%s", bu.host, bu.port, su.path);
	sig = va_sim_ws_sign(o.token, stream_url);
	if (!sig || va_sim_ws_connect(connect_url, sig, 5000, &c->ws, &status) != VA_OK) {
		fprintf(stderr, "bench: call %d: handshake refused (HTTP %d)\n", i, status);
		err_connect++;
		c->ws = NULL;
		goto out;
	}
	va_buf_append_str(&b,
			  "{\"event\":\"connected\",\"protocol\":\"Call\",\"version\":\"1.0.0\"}");
	if (send_json(c, &b) != VA_OK)
		goto out;
	snprintf(st.stream_sid, sizeof(st.stream_sid), "%s", c->stream_sid);
	snprintf(st.call_sid, sizeof(st.call_sid), "%s", c->call_sid);
	snprintf(st.account_sid, sizeof(st.account_sid), "AC00000000000000000000000000000000");
	st.n_params = 2;
	snprintf(st.params[0].name, sizeof(st.params[0].name), "tenant");
	snprintf(st.params[0].value, sizeof(st.params[0].value), "%s", o.tenant);
	snprintf(st.params[1].name, sizeof(st.params[1].name), "caller");
	snprintf(st.params[1].value, sizeof(st.params[1].value), "+1555%07d", i);
	va_buf_reset(&b);
	if (va_media_write_start(&b, &st) != VA_OK || send_json(c, &b) != VA_OK)
		goto out;
	c->live = true;
	c->audio_off = (size_t)i * 7 * FRAME_BYTES % audio_len;
	c->next_send_us = now_us();
	rc = VA_OK;
out:
	free(sig);
	va_buf_release(&twiml);
	va_buf_release(&b);
	return rc;
}

/* The frames due by now: Twilio sends one every 20 ms, on time. */
static void call_send_due(struct call *c, int64_t now, struct va_buf *b)
{
	while (c->live && !c->closed && c->next_send_us <= now) {
		int64_t lag = now - c->next_send_us;

		if (lag > max_send_lag_us)
			max_send_lag_us = lag;
		if (lag > FRAME_US)
			late_sends++;
		va_buf_reset(b);
		c->chunk++;
		va_media_write_audio_in(b, c->stream_sid, ++c->seq, c->chunk, c->chunk * 20,
					audio + c->audio_off, FRAME_BYTES);
		c->audio_off = (c->audio_off + FRAME_BYTES) % audio_len;
		if (send_json(c, b) != VA_OK)
			return;
		c->sent++;
		c->next_send_us += FRAME_US;
	}
}

/* Marks whose audio has played are echoed, as Twilio does. */
static void call_echo_marks(struct call *c, int64_t now, struct va_buf *b)
{
	size_t i = 0;

	while (i < c->n_marks && !c->closed) {
		if (c->marks[i].due_us > now) {
			i++;
			continue;
		}
		va_buf_reset(b);
		va_media_write_mark_in(b, c->stream_sid, ++c->seq, c->marks[i].name);
		if (send_json(c, b) == VA_OK)
			c->marks_out++;
		memmove(&c->marks[i], &c->marks[i + 1], (c->n_marks - i - 1) * sizeof(c->marks[0]));
		c->n_marks--;
	}
}

static void call_on_frame(struct call *c, const struct va_sim_frame *f, int64_t now)
{
	if (f->opcode == VA_WS_OP_CLOSE) {
		c->closed = true;
		return;
	}
	if (f->opcode != VA_WS_OP_TEXT ||
	    va_media_parse_out(f->payload, f->len, &out_msg) != VA_OK) {
		err_parse++;
		return;
	}
	switch (out_msg.type) {
	case VA_MEDIA_OUT_MEDIA:
		c->received++;
		if (c->heard) {
			int64_t gap = now - c->last_media_us;

			if (gap > c->max_gap_us)
				c->max_gap_us = gap;
			if (gap > GAP_US)
				c->gaps++;
			if (gap > worst_gap_us) {
				worst_gap_us = gap;
				worst_gap_at_us = now - t_start;
			}
		}
		c->heard = true;
		c->last_media_us = now;
		if (c->play_until_us < now)
			c->play_until_us = now;
		c->play_until_us += (int64_t)out_msg.len * 125; /* 8 bytes a ms */
		break;
	case VA_MEDIA_OUT_MARK:
		c->marks_in++;
		if (c->n_marks < MAX_MARKS) {
			snprintf(c->marks[c->n_marks].name, sizeof(c->marks[0].name), "%s",
				 out_msg.mark_name);
			c->marks[c->n_marks++].due_us = c->play_until_us;
		}
		break;
	case VA_MEDIA_OUT_CLEAR:
		/* Buffered audio dropped; pending marks come back at once. */
		c->clears++;
		c->play_until_us = now;
		for (size_t i = 0; i < c->n_marks; i++)
			c->marks[i].due_us = now;
		break;
	default:
		err_parse++;
		break;
	}
}

static void call_read(struct call *c, int64_t now)
{
	for (;;) {
		struct va_sim_frame f;
		int rc = va_sim_ws_recv(c->ws, 0, &f);

		if (rc == VA_E_TIMEOUT)
			return;
		if (rc != VA_OK) {
			c->closed = true;
			return;
		}
		call_on_frame(c, &f, now);
		va_sim_frame_release(&f);
		if (c->closed)
			return;
	}
}

static void call_stop(struct call *c)
{
	struct va_buf b = VA_BUF_INIT(1024);

	if (c->ws && !c->closed) {
		va_media_write_stop_in(&b, c->stream_sid, ++c->seq, c->call_sid);
		send_json(c, &b);
	}
	va_buf_release(&b);
}

/* ---- the loop --------------------------------------------------------------- */

/* When call i is opened. Calls are o.ramp_ms / N apart; unless --aligned,
 * each is also shifted by a low-discrepancy fraction of a 20 ms frame, so
 * the calls' frame clocks (ours, and the model's that follows the start)
 * spread over the frame as independent calls' would, instead of falling
 * into the few phases a round ramp step gives. */
static int64_t open_due(int64_t t_ramp, int i)
{
	int64_t due = t_ramp + (int64_t)i * o.ramp_ms * 1000 / o.calls;
	double frac = fmod(i * 0.6180339887498949, 1.0);

	return o.aligned ? due : due + (int64_t)(frac * FRAME_US);
}

static struct pollfd *pfds;
static int *pfd_call;

/* Services every call until `until` (µs); opens calls [*opened, n) on the
 * ramp schedule from t_ramp. */
static void run_until(int64_t until, int *opened, int64_t t_ramp, bool (*done)(void))
{
	struct va_buf b = VA_BUF_INIT(8192);

	for (;;) {
		int64_t now = now_us(), next = until;
		int n = 0, timeout;

		if (now >= until || (done && done()))
			break;
		/* One set-up per turn, when due: a few ms of blocking HTTP. */
		if (*opened < o.calls) {
			int64_t due = open_due(t_ramp, *opened);

			if (due <= now) {
				int i = (*opened)++;
				int64_t t = now_us();

				call_open(&calls[i], i);
				t = now_us() - t;
				setup_us_sum += t;
				if (t > setup_us_max)
					setup_us_max = t;
				/* the others are served before the next set-up */
				due = now_us();
			}
			if (due < next)
				next = due;
		}
		for (int i = 0; i < *opened; i++) {
			struct call *c = &calls[i];

			if (!c->live || c->closed)
				continue;
			call_send_due(c, now, &b);
			call_echo_marks(c, now, &b);
			if (c->closed)
				continue;
			if (c->next_send_us < next)
				next = c->next_send_us;
			for (size_t k = 0; k < c->n_marks; k++)
				if (c->marks[k].due_us < next)
					next = c->marks[k].due_us;
			pfds[n].fd = va_sim_ws_fd(c->ws);
			pfds[n].events = POLLIN;
			pfds[n].revents = 0;
			pfd_call[n++] = i;
		}
		now = now_us();
		timeout = next > now ? (int)((next - now + 999) / 1000) : 0;
		if (poll(pfds, (nfds_t)n, timeout) <= 0)
			continue;
		now = now_us();
		for (int k = 0; k < n; k++)
			if (pfds[k].revents)
				call_read(&calls[pfd_call[k]], now);
	}
	for (int i = 0; i < *opened; i++)
		if (calls[i].live && calls[i].closed && calls[i].ws) {
			/* Counted once: the server (or the network) ended a call. */
			err_closed++;
			calls[i].live = false;
		}
	va_buf_release(&b);
}

static int n_opened;

/* Every call set up, and every live one hearing its reply. */
static bool all_heard(void)
{
	if (n_opened < o.calls)
		return false;
	for (int i = 0; i < o.calls; i++)
		if (calls[i].live && !calls[i].closed && !calls[i].heard)
			return false;
	return true;
}

static void totals(struct counters *t)
{
	memset(t, 0, sizeof(*t));
	for (int i = 0; i < o.calls; i++) {
		t->sent += calls[i].sent;
		t->received += calls[i].received;
		t->marks_in += calls[i].marks_in;
		t->marks_out += calls[i].marks_out;
		t->clears += calls[i].clears;
		t->gaps += calls[i].gaps;
	}
}

/* latency.model_audio_to_twilio from the server's status. */
static int read_status(struct stat_window *w)
{
	struct va_buf body = VA_BUF_INIT(1 << 20);
	char url[600];
	json_t *j = NULL, *l;
	int st = 0, rc = -1;

	snprintf(url, sizeof(url), "%s/api/v1/relay/status", o.url);
	if (va_sim_http("GET", url, NULL, NULL, 0, 5000, &st, &body, NULL) != VA_OK || st != 200)
		goto out;
	j = json_loads(va_buf_cstr(&body), 0, NULL);
	l = json_object_get(json_object_get(j, "latency"), "model_audio_to_twilio");
	if (!json_is_object(l))
		goto out;
	w->count = (uint64_t)json_integer_value(json_object_get(l, "count"));
	w->p50 = json_number_value(json_object_get(l, "p50_ms"));
	w->p90 = json_number_value(json_object_get(l, "p90_ms"));
	w->p99 = json_number_value(json_object_get(l, "p99_ms"));
	w->max = json_number_value(json_object_get(l, "max_ms"));
	rc = 0;
out:
	json_decref(j);
	va_buf_release(&body);
	return rc;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double per(double num, double den)
{
	return den > 0 ? num / den : 0;
}

int main(int argc, char **argv)
{
	struct stat_window win[MAX_WINDOWS], first = {0}, last = {0};
	struct counters c0, c1;
	double p99s[MAX_WINDOWS], worst_p99 = 0, worst_max = 0, med_p99 = 0;
	int64_t t_ramp, t_warm, t0, t1, cpu0 = -1, cpu1 = -1, mcpu0, mcpu1, scpu0, scpu1;
	long rss_before, rss_live = -1;
	int late0, n_win = 0, live = 0, heard = 0, rc = 1;
	double secs, call_s, per_call_kib = -1;
	uint64_t samples;
	unsigned long long mbusy0, mtotal0, mbusy1, mtotal1;
	long preempt0, preempt1;
	double machine_pct;

	if (parse_opts(argc, argv) || load_audio())
		return 2;
	calls = calloc((size_t)o.calls, sizeof(*calls));
	pfds = calloc((size_t)o.calls, sizeof(*pfds));
	pfd_call = calloc((size_t)o.calls, sizeof(*pfd_call));
	if (!calls || !pfds || !pfd_call)
		return 2;
	rss_before = proc_rss_kib(o.server_pid);
	if (o.server_pid && rss_before < 0)
		fprintf(stderr, "bench: cannot read /proc/%ld\n", o.server_pid);

	/* RAMP and WARM: every call set up and hearing its reply. */
	t_ramp = now_us();
	t_start = t_ramp;
	run_until(t_ramp + (int64_t)o.ramp_ms * 1000 + 30000000, &n_opened, t_ramp, all_heard);
	for (int i = 0; i < o.calls; i++)
		live += calls[i].live;
	if (!live) {
		fprintf(stderr, "bench: no call could be set up\n");
		goto out;
	}
	if (!all_heard())
		fprintf(stderr, "bench: some calls heard no audio after 30 s\n");
	t_warm = now_us();
	run_until(now_us() + (int64_t)o.warm_ms * 1000, &n_opened, t_ramp, NULL);

	/* MEASURE. */
	totals(&c0);
	read_status(&first);
	cpu0 = proc_cpu_us(o.server_pid);
	mcpu0 = proc_cpu_us(o.mock_pid);
	machine_jiffies(&mbusy0, &mtotal0);
	preempt0 = proc_preempted(o.server_pid);
	scpu0 = self_cpu_us();
	late0 = late_sends;
	max_send_lag_us = 0;
	worst_gap_us = 0;
	t0 = now_us();
	for (int64_t next = t0 + (int64_t)o.status_ms * 1000,
		     end = t0 + (int64_t)o.seconds * 1000000;
	     ; next += (int64_t)o.status_ms * 1000) {
		run_until(next < end ? next : end, &n_opened, t_ramp, NULL);
		if (n_win < MAX_WINDOWS && read_status(&win[n_win]) == 0)
			n_win++;
		if (next >= end)
			break;
	}
	t1 = now_us();
	cpu1 = proc_cpu_us(o.server_pid);
	mcpu1 = proc_cpu_us(o.mock_pid);
	machine_jiffies(&mbusy1, &mtotal1);
	preempt1 = proc_preempted(o.server_pid);
	scpu1 = self_cpu_us();
	rss_live = proc_rss_kib(o.server_pid);
	totals(&c1);
	if (n_win)
		last = win[n_win - 1];
	live = heard = 0;
	for (int i = 0; i < o.calls; i++) {
		live += calls[i].live && !calls[i].closed;
		heard += calls[i].heard;
	}
	for (int i = 0; i < n_win; i++) {
		p99s[i] = win[i].p99;
		if (win[i].p99 > worst_p99)
			worst_p99 = win[i].p99;
		if (win[i].max > worst_max)
			worst_max = win[i].max;
	}
	if (n_win) {
		qsort(p99s, (size_t)n_win, sizeof(p99s[0]), cmp_double);
		med_p99 = p99s[n_win / 2];
	}

	/* stop, and let the server see it before the sockets close */
	for (int i = 0; i < n_opened; i++)
		call_stop(&calls[i]);
	usleep(200000);
	for (int i = 0; i < n_opened; i++)
		va_sim_ws_free(calls[i].ws);

	/* REPORT */
	secs = (double)(t1 - t0) / 1e6;
	call_s = secs * live;
	samples = last.count - first.count;
	machine_pct = per((double)(mbusy1 - mbusy0), (double)(mtotal1 - mtotal0)) * 100;
	if (rss_before >= 0 && rss_live >= 0 && live > 0)
		per_call_kib = (double)(rss_live - rss_before) / live;
	if (!o.json) {
		printf("calls: %d asked, %d live through the run, %d heard audio; set-up %.1f ms "
		       "mean, "
		       "%.1f ms max; all hearing audio after %.1f s; measured %.1f s\n",
		       o.calls, live, heard, per((double)setup_us_sum / 1000, n_opened),
		       (double)setup_us_max / 1000, (double)(t_warm - t_ramp) / 1e6, secs);
		printf("frames per call per second: caller->server %.2f, server->caller %.2f "
		       "(marks %.2f in, %.2f echoed)\n",
		       per((double)(c1.sent - c0.sent), call_s),
		       per((double)(c1.received - c0.received), call_s),
		       per((double)(c1.marks_in - c0.marks_in), call_s),
		       per((double)(c1.marks_out - c0.marks_out), call_s));
		printf(
		    "errors: webhook %d, connect %d, send %d, closed by server %d, bad frames %d, "
		    "clears %llu, reply gaps > %d ms %llu (longest %.1f ms, at %.1f s); bench late "
		    "sends %d (max lag %.1f ms)\n",
		    err_webhook, err_connect, err_send, err_closed, err_parse,
		    (unsigned long long)(c1.clears - c0.clears), GAP_US / 1000,
		    (unsigned long long)(c1.gaps - c0.gaps), (double)worst_gap_us / 1000,
		    (double)worst_gap_at_us / 1e6, late_sends - late0,
		    (double)max_send_lag_us / 1000);
		printf("delta -> Twilio frame (server, last %llu of %llu samples in the run): p50 "
		       "%.3f ms  p90 %.3f ms  p99 %.3f ms  max %.3f ms\n",
		       (unsigned long long)(samples < 8192 ? samples : 8192),
		       (unsigned long long)samples, last.p50, last.p90, last.p99, last.max);
		printf("  over %d status reads every %d ms: p99 median %.3f ms, worst %.3f ms; max "
		       "%.3f ms\n",
		       n_win, o.status_ms, med_p99, worst_p99, worst_max);
		if (cpu0 >= 0 && cpu1 >= 0)
			printf("server CPU: %.1f%% of a core; %.1f us per call-second, %.2f us per "
			       "20 ms call-frame (one in + one out)\n",
			       per((double)(cpu1 - cpu0), (double)(t1 - t0)) * 100,
			       per((double)(cpu1 - cpu0), call_s),
			       per((double)(cpu1 - cpu0), call_s * 50));
		if (per_call_kib >= 0)
			printf("server RSS: before %ld KiB, %d calls live %ld KiB, per call %.1f "
			       "KiB\n",
			       rss_before, live, rss_live, per_call_kib);
		if (mcpu0 >= 0 && mcpu1 >= 0)
			printf("mock Realtime CPU: %.1f%% of a core\n",
			       per((double)(mcpu1 - mcpu0), (double)(t1 - t0)) * 100);
		printf("machine: %.1f%% busy over %ld CPUs; server preempted %ld times\n",
		       machine_pct, sysconf(_SC_NPROCESSORS_ONLN), preempt1 - preempt0);
		printf("bench CPU: %.1f%% of a core\n",
		       per((double)(scpu1 - scpu0), (double)(t1 - t0)) * 100);
	}
	printf(
	    "{\"calls\":%d,\"aligned\":%s,\"live\":%d,\"heard\":%d,\"seconds\":%.2f,"
	    "\"in_fps_per_call\":%.3f,\"out_fps_per_call\":%.3f,"
	    "\"errors\":{\"webhook\":%d,\"connect\":%d,\"send\":%d,\"closed\":%d,\"bad_frames\":%d,"
	    "\"clears\":%llu,\"gaps\":%llu,\"longest_gap_ms\":%.1f,\"late_sends\":%d},"
	    "\"delta_to_frame_ms\":{\"samples\":%llu,\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,"
	    "\"max\":%.3f,\"windows\":%d,\"p99_median\":%.3f,\"p99_worst\":%.3f,\"max_worst\":%.3f}"
	    ",",
	    o.calls, o.aligned ? "true" : "false", live, heard, secs,
	    per((double)(c1.sent - c0.sent), call_s),
	    per((double)(c1.received - c0.received), call_s), err_webhook, err_connect, err_send,
	    err_closed, err_parse, (unsigned long long)(c1.clears - c0.clears),
	    (unsigned long long)(c1.gaps - c0.gaps), (double)worst_gap_us / 1000,
	    late_sends - late0, (unsigned long long)samples, last.p50, last.p90, last.p99, last.max,
	    n_win, med_p99, worst_p99, worst_max);
	if (cpu0 >= 0 && cpu1 >= 0)
		printf(
		    "\"server_cpu_pct\":%.2f,\"cpu_us_per_call_s\":%.2f,\"cpu_us_per_frame\":%.3f,",
		    per((double)(cpu1 - cpu0), (double)(t1 - t0)) * 100,
		    per((double)(cpu1 - cpu0), call_s), per((double)(cpu1 - cpu0), call_s * 50));
	else
		fputs(
		    "\"server_cpu_pct\":null,\"cpu_us_per_call_s\":null,\"cpu_us_per_frame\":null,",
		    stdout);
	printf("\"machine_busy_pct\":%.1f,\"server_preempted\":%ld,", machine_pct,
	       preempt1 - preempt0);
	if (per_call_kib >= 0)
		printf("\"rss_before_kib\":%ld,\"rss_live_kib\":%ld,\"kib_per_call\":%.2f}\n",
		       rss_before, rss_live, per_call_kib);
	else
		fputs("\"rss_before_kib\":null,\"rss_live_kib\":null,\"kib_per_call\":null}\n",
		      stdout);
	rc = live == o.calls && !err_webhook && !err_connect ? 0 : 1;
out:
	free(calls);
	free(pfds);
	free(pfd_call);
	free(audio);
	return rc;
}
