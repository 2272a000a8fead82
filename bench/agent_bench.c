/* SPDX-License-Identifier: MIT */
/*
 * agent_bench.c - the receptionist's own cost, without sockets.
 *
 * 1. Compute per turn: N simulated calls, each a full booking conversation
 *    with the real receptionist agent, the real SQLite store (on its own
 *    thread) and the demo practice. For every caller turn it measures the CPU
 *    time the loop thread spends from the prompt to the end of the reply
 *    (CLOCK_THREAD_CPUTIME_ID): understanding, deciding, finding slots and
 *    composing the reply, including the store completions it waits for — but
 *    not the database work itself, which runs on the store's thread.
 * 2. Bookings per second on SQLite: synchronous and queued (async) bookings of
 *    distinct slots through the store, each going through the database's
 *    overlap guard.
 *
 *   ./build/voiceai-bench-agent [--calls N] [--bookings N] [--json]
 */
#include "agent/receptionist.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/tz.h"
#include "schedule/slots.h"
#include "store/store.h"
#include "tenant/tenant.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

struct host {
	struct va_buf reply;
	bool turn_done, ended;
	int n_details;
};

static int h_token(void *h, uint64_t turn, const char *t, size_t n)
{
	return va_buf_append(&((struct host *)h)->reply, t, n);
}

static int h_end_turn(void *h, uint64_t turn)
{
	((struct host *)h)->turn_done = true;
	return VA_OK;
}

static int h_end_call(void *h, const char *handoff)
{
	((struct host *)h)->ended = true;
	return VA_OK;
}

static int h_detail(void *h, const char *k, const char *v)
{
	((struct host *)h)->n_details++;
	return VA_OK;
}

static int h_digits(void *h, const char *d)
{
	return VA_OK;
}

static const struct va_agent_host_ops host_ops = {
	.token = h_token,
	.end_turn = h_end_turn,
	.end_call = h_end_call,
	.set_detail = h_detail,
	.send_digits = h_digits,
};

static uint64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static double pct(const uint64_t *v, size_t n, double p)
{
	size_t i = (size_t)(p * (double)n);
	if (i >= n)
		i = n - 1;
	return (double)v[i] / 1000.0;
}

/* Callers ask for different services and days, as a practice's callers do. */
static const char *const openers[] = {
    "Hi, I'm John Smith, I'm a new patient and I need a cleaning next Tuesday afternoon",
    "This is Mary Jones, existing patient, I'd like a checkup next Wednesday morning",
    "I'm Alan Brown, a new patient, can I get a filling in two weeks",
    "Hi, my name is Sara Lee and I need a cleaning as soon as possible, I've been there before",
    "I'm Tom Green, I want to book an exam next Friday afternoon, first time",
    "This is Kim Park, existing patient, I need a crown appointment the week after next",
};

static const char *const script[] = {
    NULL, /* an opener */
    "the first one",
    "yes",
    "yes",
    "no thanks, bye",
};

struct booked {
	int done, ok;
};

static void on_book(int status, const struct va_appointment *a, void *arg)
{
	struct booked *b = arg;
	b->done++;
	b->ok += status == VA_OK;
}

int main(int argc, char **argv)
{
	int calls = 120, bookings = 2000, json = 0;
	char dir[] = "/tmp/voiceai-agent-bench-XXXXXX", path[128], why[200];
	uv_loop_t loop;
	struct va_store *store = NULL;
	struct va_tenant t;
	struct va_tz *tz = NULL;
	struct va_holds *holds = va_holds_new();
	uint64_t *turn_ns, *turn_wall;
	size_t n_turns = 0, booked_calls = 0;
	double sync_rate, async_rate;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--calls") && i + 1 < argc)
			calls = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--bookings") && i + 1 < argc)
			bookings = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--json"))
			json = 1;
		else {
			fprintf(stderr, "usage: %s [--calls N] [--bookings N] [--json]\n", argv[0]);
			return 2;
		}
	}
	va_log_set_level(VA_LOG_ERROR);
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/bench.db", dir);
	uv_loop_init(&loop);
	if (va_store_open(path, &loop, &store, why, sizeof(why)) != VA_OK) {
		fprintf(stderr, "store: %s\n", why);
		return 1;
	}
	va_tenant_demo(&t);
	va_store_tenant_put_sync(store, &t);
	if (va_tz_load(t.timezone, &tz) != VA_OK)
		return 1;

	/* 1. Compute per turn. */
	turn_ns = va_xcalloc((size_t)calls * 8, sizeof(*turn_ns));
	turn_wall = va_xcalloc((size_t)calls * 8, sizeof(*turn_wall));
	for (int c = 0; c < calls; c++) {
		struct host h = {.reply = VA_BUF_INIT(1 << 16)};
		char sid[40], sess[40], from[20];
		struct va_agent_call info;
		struct va_agent *a;

		snprintf(sid, sizeof(sid), "CAbench%08d", c);
		snprintf(sess, sizeof(sess), "VXbench%08d", c);
		/* Every caller a different number: a new patient each time. */
		snprintf(from, sizeof(from), "+1555%07d", c);
		info = (struct va_agent_call){.loop = &loop, .tenant = &t, .tz = tz,
					      .store = store, .holds = holds, .call_sid = sid,
					      .session_id = sess, .from = from, .to = "+15555550100"};
		a = va_agent_receptionist_factory.create(&info, &host_ops, &h);
		for (size_t s = 0; s < sizeof(script) / sizeof(script[0]) && !h.ended; s++) {
			uint64_t c0 = cpu_ns(), w0 = wall_ns();
			h.turn_done = false;
			va_buf_reset(&h.reply);
			a->ops->on_prompt(a, (uint64_t)s + 1,
					  s ? script[s]
					    : openers[(size_t)c % (sizeof(openers) / sizeof(*openers))]);
			while (!h.turn_done)
				uv_run(&loop, UV_RUN_ONCE);
			turn_ns[n_turns] = cpu_ns() - c0;
			turn_wall[n_turns++] = wall_ns() - w0;
			if (strstr(va_buf_cstr(&h.reply), "all set"))
				booked_calls++;
		}
		a->ops->on_end(a);
		a->ops->free(a);
		va_buf_release(&h.reply);
	}
	qsort(turn_ns, n_turns, sizeof(*turn_ns), cmp_u64);
	qsort(turn_wall, n_turns, sizeof(*turn_wall), cmp_u64);

	/* 2. Bookings per second: distinct slots, every one through the guard. */
	{
		struct va_appointment ap;
		uint64_t w0;
		int64_t base = (int64_t)time(NULL) + 86400 * 400;
		struct booked b = {0, 0};
		int ok = 0;

		memset(&ap, 0, sizeof(ap));
		va_strlcpy(ap.tenant_id, t.id, sizeof(ap.tenant_id));
		va_strlcpy(ap.patient_name, "Bench Patient", sizeof(ap.patient_name));
		va_strlcpy(ap.phone, "5550000000", sizeof(ap.phone));
		ap.service = VA_SERVICE_CLEANING;
		va_strlcpy(ap.provider_id, "hyg-garcia", sizeof(ap.provider_id));
		w0 = wall_ns();
		for (int i = 0; i < bookings; i++) {
			struct va_appointment out;
			ap.start = base + (int64_t)i * 3600;
			ap.end = ap.start + 3600;
			ap.id[0] = '\0';
			ok += va_store_appt_book_sync(store, &ap, &out) == VA_OK;
		}
		sync_rate = ok / ((double)(wall_ns() - w0) / 1e9);
		va_strlcpy(ap.provider_id, "hyg-brooks", sizeof(ap.provider_id));
		w0 = wall_ns();
		for (int i = 0; i < bookings; i++) {
			ap.start = base + (int64_t)i * 3600;
			ap.end = ap.start + 3600;
			ap.id[0] = '\0';
			if (va_store_appt_book(store, &ap, on_book, &b) != VA_OK)
				b.done++;
		}
		while (b.done < bookings)
			uv_run(&loop, UV_RUN_ONCE);
		async_rate = b.ok / ((double)(wall_ns() - w0) / 1e9);
		if (ok != bookings || b.ok != bookings)
			fprintf(stderr, "warning: %d/%d sync and %d/%d async bookings succeeded\n", ok,
				bookings, b.ok, bookings);
	}

	if (!json) {
		printf("receptionist: %d calls, %zu turns, %zu bookings made in conversation\n",
		       calls, n_turns, booked_calls);
		printf("loop-thread CPU per turn: p50 %.1f us  p90 %.1f us  p99 %.1f us  max %.1f "
		       "us\n",
		       pct(turn_ns, n_turns, 0.50), pct(turn_ns, n_turns, 0.90),
		       pct(turn_ns, n_turns, 0.99), (double)turn_ns[n_turns - 1] / 1000.0);
		printf("wall time per turn (incl. the store's thread): p50 %.1f us  p99 %.1f us\n",
		       pct(turn_wall, n_turns, 0.50), pct(turn_wall, n_turns, 0.99));
		printf("SQLite bookings: %.0f/s synchronous, %.0f/s queued on the store thread\n",
		       sync_rate, async_rate);
	}
	printf("{\"calls\":%d,\"turns\":%zu,\"booked\":%zu,\"turn_cpu_us\":{\"p50\":%.1f,\"p90\":%.1f,"
	       "\"p99\":%.1f,\"max\":%.1f},\"turn_wall_us\":{\"p50\":%.1f,\"p99\":%.1f},"
	       "\"bookings_per_s\":{\"sync\":%.0f,\"async\":%.0f}}\n",
	       calls, n_turns, booked_calls, pct(turn_ns, n_turns, 0.50),
	       pct(turn_ns, n_turns, 0.90), pct(turn_ns, n_turns, 0.99),
	       (double)turn_ns[n_turns - 1] / 1000.0, pct(turn_wall, n_turns, 0.50),
	       pct(turn_wall, n_turns, 0.99), sync_rate, async_rate);

	free(turn_ns);
	free(turn_wall);
	va_holds_free(holds);
	va_tz_free(tz);
	va_store_free(store);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	if (system(path) != 0)
		return 1;
	return 0;
}
