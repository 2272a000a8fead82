/* SPDX-License-Identifier: MIT */
/*
 * tz.h - IANA time zones without touching the process's TZ: a zone is read
 * from the system's TZif files (/usr/share/zoneinfo, or $TZDIR) into a
 * struct va_tz, then converts instants to local civil time and back.
 *
 * Civil time is proleptic Gregorian; instants are seconds since the Unix
 * epoch (UTC). Pure apart from va_tz_load reading the file; no globals.
 */
#ifndef VA_CORE_TZ_H
#define VA_CORE_TZ_H

#include <stddef.h>
#include <stdint.h>

struct va_tz;

/* A local civil time. */
struct va_civil {
	int year, month, day;	  /* month 1-12, day 1-31 */
	int hour, minute, second; /* 0-23, 0-59, 0-59 */
	int wday;		  /* 0 = Monday .. 6 = Sunday (filled by conversions) */
	int utc_offset;		  /* seconds east of UTC (filled by conversions) */
};

/* Loads zone name ("America/New_York", "UTC"). VA_E_NOTFOUND for an unknown
 * zone, VA_E_PARSE for a bad file, VA_E_INVAL for a name that could escape
 * the zone directory (leading '/', "..", characters outside [A-Za-z0-9/_+-]).
 * "UTC" and "Etc/UTC" are built in. Caller owns *out; free with va_tz_free. */
int va_tz_load(const char *name, struct va_tz **out);
void va_tz_free(struct va_tz *tz);
const char *va_tz_name(const struct va_tz *tz);

/* Instant -> local civil time (wday and utc_offset filled). */
void va_tz_to_civil(const struct va_tz *tz, int64_t t, struct va_civil *out);
/* Local civil time -> instant. A time that does not exist (spring-forward
 * gap) maps forward by the gap; an ambiguous time (fall-back) takes the
 * earlier instant. Fields may be out of range (day 32, minute -30): they are
 * normalized first, so "date + 14 days" is civil arithmetic. */
int64_t va_tz_from_civil(const struct va_tz *tz, const struct va_civil *c);

/* Calendar helpers (pure). */
int va_civil_days_in_month(int year, int month);
/* 0 = Monday .. 6 = Sunday. */
int va_civil_weekday(int year, int month, int day);
/* Days since 1970-01-01 for a civil date, and back. */
int64_t va_civil_days_from_date(int year, int month, int day);
void va_civil_date_from_days(int64_t days, int *year, int *month, int *day);

/* ISO 8601 with the zone's offset at t: "2026-11-24T15:00:00-05:00". */
void va_tz_iso8601(const struct va_tz *tz, int64_t t, char *dst, size_t dstsz);
/* Parses ISO 8601 with an offset or Z ("2026-11-23T10:00:00-05:00"); a
 * value without offset is local time in tz (tz may be NULL for UTC). */
int va_iso8601_parse(const char *s, const struct va_tz *tz, int64_t *out);

#endif
