/* SPDX-License-Identifier: MIT */
/* say.c - spoken forms of times, days, hours and offers. */
#include "agent/say.h"

#include <stdio.h>
#include <string.h>

static const char *const weekday_names[7] = {"Monday", "Tuesday", "Wednesday", "Thursday",
					     "Friday", "Saturday", "Sunday"};
static const char *const month_names[12] = {"January", "February", "March",	"April",
					    "May",     "June",	   "July",	"August",
					    "September", "October", "November", "December"};

void va_say_clock(struct va_buf *out, int m)
{
	int h = m / 60, min = m % 60;
	int h12 = h % 12 == 0 ? 12 : h % 12;

	if (h == 12 && min == 0) {
		va_buf_append_str(out, "noon");
		return;
	}
	if (min)
		va_buf_appendf(out, "%d:%02d %s", h12, min, h < 12 ? "AM" : "PM");
	else
		va_buf_appendf(out, "%d %s", h12, h < 12 ? "AM" : "PM");
}

static const char *ordinal_suffix(int d)
{
	if (d % 100 >= 11 && d % 100 <= 13)
		return "th";
	switch (d % 10) {
	case 1:
		return "st";
	case 2:
		return "nd";
	case 3:
		return "rd";
	}
	return "th";
}

void va_say_day(struct va_buf *out, const struct va_tz *tz, int64_t now, int64_t t)
{
	struct va_civil c, n;
	int64_t dc, dn;

	va_tz_to_civil(tz, t, &c);
	va_tz_to_civil(tz, now, &n);
	dc = va_civil_days_from_date(c.year, c.month, c.day);
	dn = va_civil_days_from_date(n.year, n.month, n.day);
	if (dc == dn) {
		va_buf_append_str(out, "today");
		return;
	}
	if (dc == dn + 1) {
		va_buf_append_str(out, "tomorrow");
		return;
	}
	va_buf_appendf(out, "%s, %s %d%s", weekday_names[c.wday], month_names[c.month - 1], c.day,
		       ordinal_suffix(c.day));
	if (c.year != n.year)
		va_buf_appendf(out, " %d", c.year);
}

void va_say_when(struct va_buf *out, const struct va_tz *tz, int64_t now, int64_t t)
{
	struct va_civil c;

	va_tz_to_civil(tz, t, &c);
	va_say_day(out, tz, now, t);
	va_buf_append_str(out, " at ");
	va_say_clock(out, c.hour * 60 + c.minute);
}

static bool same_hours(const struct va_hours *a, const struct va_hours *b)
{
	return a->open_min == b->open_min && a->close_min == b->close_min;
}

void va_say_hours(struct va_buf *out, const struct va_practice *p)
{
	int d = 0, groups = 0;

	while (d < 7) {
		int e = d;
		if (p->hours[d].open_min < 0) {
			d++;
			continue;
		}
		while (e + 1 < 7 && same_hours(&p->hours[e + 1], &p->hours[d]))
			e++;
		if (groups)
			va_buf_append_str(out, ", and ");
		if (e == d)
			va_buf_appendf(out, "%s ", weekday_names[d]);
		else
			va_buf_appendf(out, "%s to %s ", weekday_names[d], weekday_names[e]);
		va_say_clock(out, p->hours[d].open_min);
		va_buf_append_str(out, " to ");
		va_say_clock(out, p->hours[d].close_min);
		groups++;
		d = e + 1;
	}
	if (!groups)
		va_buf_append_str(out, "by appointment only");
}

void va_say_offer(struct va_buf *out, const struct va_tz *tz, int64_t now,
		  const struct va_slot *slots, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i && i + 1 == n)
			va_buf_append_str(out, n > 2 ? ", or " : " or ");
		else if (i)
			va_buf_append_str(out, ", ");
		va_say_when(out, tz, now, slots[i].start);
	}
}

void va_say_phone_tail(struct va_buf *out, const char *digits)
{
	size_t n = strlen(digits);
	const char *tail = n > 4 ? digits + n - 4 : digits;

	va_buf_append_str(out, "ending in");
	for (; *tail; tail++)
		va_buf_appendf(out, " %c", *tail);
}

bool va_practice_open_at(const struct va_practice *p, const struct va_tz *tz, int64_t t)
{
	struct va_civil c;
	int m;

	va_tz_to_civil(tz, t, &c);
	if (va_practice_closed_on(p, c.year, c.month, c.day, NULL))
		return false;
	m = c.hour * 60 + c.minute;
	return p->hours[c.wday].open_min >= 0 && m >= p->hours[c.wday].open_min &&
	       m < p->hours[c.wday].close_min;
}
