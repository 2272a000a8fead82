/* SPDX-License-Identifier: MIT */
/*
 * say.h - how the receptionist says things: times, dates, opening hours,
 * slot offers and phone numbers, as short spoken English (no lists, no
 * symbols a text-to-speech voice would read out). Pure.
 */
#ifndef VA_AGENT_SAY_H
#define VA_AGENT_SAY_H

#include "core/buf.h"
#include "core/tz.h"
#include "schedule/practice.h"
#include "schedule/slots.h"

#include <stdint.h>

/* "2 PM", "9:30 AM", "noon" for minutes after midnight. */
void va_say_clock(struct va_buf *out, int minute_of_day);
/* "Tuesday, December 1st at 2:30 PM" (today/tomorrow said as such). */
void va_say_when(struct va_buf *out, const struct va_tz *tz, int64_t now, int64_t t);
/* "Tuesday, December 1st". */
void va_say_day(struct va_buf *out, const struct va_tz *tz, int64_t now, int64_t t);
/* "Monday to Friday 8 AM to 5 PM, and Saturday 9 AM to 1 PM". */
void va_say_hours(struct va_buf *out, const struct va_practice *p);
/* "Tuesday at 9 AM, Tuesday at 2 PM, or Wednesday at 10 AM". */
void va_say_offer(struct va_buf *out, const struct va_tz *tz, int64_t now,
		  const struct va_slot *slots, size_t n);
/* "ending in 4 5 6 7". */
void va_say_phone_tail(struct va_buf *out, const char *digits);
/* Whether the practice is open at t. */
bool va_practice_open_at(const struct va_practice *p, const struct va_tz *tz, int64_t t);

#endif
