/* SPDX-License-Identifier: MIT */
/* latency.c - sliding window of latency samples, summarized on request. */
#include "core/latency.h"
#include "core/alloc.h"

#include <stdlib.h>
#include <string.h>

void va_latency_init(struct va_latency *l)
{
	memset(l, 0, sizeof(*l));
}

void va_latency_add_us(struct va_latency *l, uint64_t us)
{
	l->samples_us[l->next] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
	l->next = (l->next + 1) % VA_LATENCY_WINDOW;
	l->count++;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static double rank(const uint32_t *s, size_t n, double p)
{
	size_t idx = (size_t)(p * (double)n + 0.999999);
	if (idx == 0)
		idx = 1;
	if (idx > n)
		idx = n;
	return s[idx - 1] / 1000.0;
}

void va_latency_summarize(const struct va_latency *l, struct va_latency_summary *out)
{
	size_t n = l->count < VA_LATENCY_WINDOW ? (size_t)l->count : VA_LATENCY_WINDOW;
	uint32_t *s;

	memset(out, 0, sizeof(*out));
	out->count = l->count;
	if (n == 0)
		return;
	s = va_xmalloc(n * sizeof(*s));
	memcpy(s, l->samples_us, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_u32);
	out->p50_ms = rank(s, n, 0.50);
	out->p90_ms = rank(s, n, 0.90);
	out->p99_ms = rank(s, n, 0.99);
	out->max_ms = s[n - 1] / 1000.0;
	free(s);
}
