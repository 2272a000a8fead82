/* SPDX-License-Identifier: MIT */
/*
 * latency.h - a fixed-size window of recent latency samples with percentiles.
 * Holds the last VA_LATENCY_WINDOW samples (older ones are overwritten), so
 * the status endpoint reports current behaviour at constant memory.
 */
#ifndef VA_CORE_LATENCY_H
#define VA_CORE_LATENCY_H

#include <stddef.h>
#include <stdint.h>

#define VA_LATENCY_WINDOW 8192

struct va_latency {
	uint32_t samples_us[VA_LATENCY_WINDOW];
	size_t next;
	uint64_t count; /* all samples ever added */
};

struct va_latency_summary {
	uint64_t count;
	double p50_ms, p90_ms, p99_ms, max_ms;
};

void va_latency_init(struct va_latency *l);
void va_latency_add_us(struct va_latency *l, uint64_t us);
/* Percentiles over the window (nearest-rank); zeros when empty. */
void va_latency_summarize(const struct va_latency *l, struct va_latency_summary *out);

#endif
