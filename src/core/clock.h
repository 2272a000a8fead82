/* SPDX-License-Identifier: MIT */
/* clock.h - the two clocks: wall time for records, monotonic for latency. */
#ifndef VA_CORE_CLOCK_H
#define VA_CORE_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Milliseconds since the Unix epoch (wall clock; for timestamps people read). */
int64_t va_clock_wall_ms(void);
/* Nanoseconds from an arbitrary origin (monotonic; for durations). */
uint64_t va_clock_mono_ns(void);
/* Formats epoch milliseconds as ISO 8601 UTC "2026-11-25T11:00:00.123Z". */
void va_clock_iso8601(int64_t wall_ms, char *dst, size_t dstsz);

#endif
