/* SPDX-License-Identifier: MIT */
/*
 * tz.c - IANA zones read straight from TZif files (RFC 8536, versions 1-3),
 * so that a practice's time zone never depends on the process's TZ or on
 * localtime_r's global state. The 64-bit section of v2+ files is used; after
 * the last transition the footer's POSIX TZ rule takes over, which is what
 * makes dates beyond a "slim" table (or beyond 2037 in a "fat" one) right.
 * Leap-second records are skipped: "right/" zones are not supported.
 */
#include "core/tz.h"
#include "core/alloc.h"
#include "core/err.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define TZ_MAX_FILE (256 * 1024)
#define TZ_NAME_MAX 128

/* One date of a POSIX rule: 'J' (Julian 1-365, no Feb 29), 'N' (0-365
 * counting Feb 29) or 'M' (month.week.weekday, weekday 0 = Sunday). */
struct tz_rule_date {
	char type;
	int m, w, d;  /* for 'J' and 'N' the day is in d */
	int32_t secs; /* local time of the change, may be negative or > 24 h */
};

struct tz_rule {
	bool present;
	bool has_dst;
	int32_t std_off, dst_off; /* seconds east of UTC */
	struct tz_rule_date start, end;
};

struct va_tz {
	char name[TZ_NAME_MAX];
	size_t ntrans;
	int64_t *trans; /* ascending transition instants */
	uint8_t *tidx;	/* local time type in effect from trans[i] */
	size_t ntypes;
	int32_t *toff; /* type -> seconds east of UTC */
	struct tz_rule rule;
};

/* ---- civil calendar (Howard Hinnant's days_from_civil) ------------------ */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int va_civil_days_in_month(int year, int month)
{
	static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (month < 1 || month > 12)
		return 0;
	if (month == 2 && is_leap(year))
		return 29;
	return dim[month - 1];
}

/* Month and day may be out of range: the month is carried into the year and
 * the day counted from the first of the month, so callers can do civil
 * arithmetic ("day 32", "month 13") without normalizing first. */
int64_t va_civil_days_from_date(int year, int month, int day)
{
	int64_t m0 = (int64_t)month - 1;
	int64_t y = (int64_t)year + floor_div(m0, 12);
	int64_t m = m0 - floor_div(m0, 12) * 12 + 1; /* 1..12 */
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = floor_div(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468 + ((int64_t)day - 1);
}

void va_civil_date_from_days(int64_t days, int *year, int *month, int *day)
{
	int64_t z = days + 719468;
	int64_t era = floor_div(z, 146097);
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t d = doy - (153 * mp + 2) / 5 + 1;
	int64_t m = mp < 10 ? mp + 3 : mp - 9;
	int64_t y = yoe + era * 400 + (m <= 2);

	*year = (int)y;
	*month = (int)m;
	*day = (int)d;
}

static int weekday_of_days(int64_t days)
{
	/* 1970-01-01 was a Thursday (3 with Monday = 0). */
	return (int)(days + 3 - floor_div(days + 3, 7) * 7);
}

int va_civil_weekday(int year, int month, int day)
{
	return weekday_of_days(va_civil_days_from_date(year, month, day));
}

/* ---- POSIX TZ rules (the TZif footer) ------------------------------------ */

static const char *rule_name(const char *p)
{
	if (*p == '<') {
		const char *q = strchr(p, '>');

		return q && q - p >= 4 ? q + 1 : NULL;
	}
	{
		const char *q = p;

		while ((*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z'))
			q++;
		return q - p >= 3 ? q : NULL;
	}
}

static const char *rule_num(const char *p, int lo, int hi, int *out)
{
	int v = 0, n = 0;

	while (*p >= '0' && *p <= '9' && n < 4) {
		v = v * 10 + (*p++ - '0');
		n++;
	}
	if (n == 0 || v < lo || v > hi)
		return NULL;
	*out = v;
	return p;
}

/* [+-]hh[:mm[:ss]] with hours up to maxh; returns seconds (sign as written). */
static const char *rule_hms(const char *p, int maxh, int32_t *out)
{
	int sign = 1, h, m = 0, s = 0;

	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	if (!(p = rule_num(p, 0, maxh, &h)))
		return NULL;
	if (*p == ':') {
		if (!(p = rule_num(p + 1, 0, 59, &m)))
			return NULL;
		if (*p == ':' && !(p = rule_num(p + 1, 0, 59, &s)))
			return NULL;
	}
	*out = sign * (h * 3600 + m * 60 + s);
	return p;
}

static const char *rule_date(const char *p, struct tz_rule_date *d)
{
	d->secs = 7200; /* 02:00 unless given */
	if (*p == 'M') {
		d->type = 'M';
		if (!(p = rule_num(p + 1, 1, 12, &d->m)) || *p != '.')
			return NULL;
		if (!(p = rule_num(p + 1, 1, 5, &d->w)) || *p != '.')
			return NULL;
		if (!(p = rule_num(p + 1, 0, 6, &d->d)))
			return NULL;
	} else if (*p == 'J') {
		d->type = 'J';
		if (!(p = rule_num(p + 1, 1, 365, &d->d)))
			return NULL;
	} else {
		d->type = 'N';
		if (!(p = rule_num(p, 0, 365, &d->d)))
			return NULL;
	}
	if (*p == '/' && !(p = rule_hms(p + 1, 167, &d->secs)))
		return NULL;
	return p;
}

/* Parses "EST5EDT,M3.2.0,M11.1.0", "<+0530>-5:30", "IST-2IDT,M3.4.4/26,...". */
static int rule_parse(const char *s, struct tz_rule *r)
{
	const char *p = s;
	int32_t off;

	memset(r, 0, sizeof(*r));
	if (!*s)
		return VA_OK; /* empty footer: no rule */
	if (!(p = rule_name(p)) || !(p = rule_hms(p, 24, &off)))
		return VA_E_PARSE;
	r->std_off = -off;
	r->dst_off = r->std_off;
	if (*p) {
		if (!(p = rule_name(p)))
			return VA_E_PARSE;
		r->has_dst = true;
		r->dst_off = r->std_off + 3600;
		if (*p && *p != ',') {
			if (!(p = rule_hms(p, 24, &off)))
				return VA_E_PARSE;
			r->dst_off = -off;
		}
		if (*p != ',') /* the pre-2007 US default rule is obsolete: require one */
			return VA_E_PARSE;
		if (!(p = rule_date(p + 1, &r->start)) || *p != ',')
			return VA_E_PARSE;
		if (!(p = rule_date(p + 1, &r->end)))
			return VA_E_PARSE;
	}
	if (*p)
		return VA_E_PARSE;
	r->present = true;
	return VA_OK;
}

/* Local day (days since epoch) on which the rule date falls in year y. */
static int64_t rule_day(const struct tz_rule_date *d, int y)
{
	int64_t jan1 = va_civil_days_from_date(y, 1, 1);

	if (d->type == 'J')
		return jan1 + d->d - 1 + (is_leap(y) && d->d >= 60);
	if (d->type == 'N')
		return jan1 + d->d;
	{
		int64_t first = va_civil_days_from_date(y, d->m, 1);
		int wd1 = (weekday_of_days(first) + 1) % 7; /* Sunday = 0 */
		int day = 1 + (d->d - wd1 + 7) % 7 + (d->w - 1) * 7;
		int dim = va_civil_days_in_month(y, d->m);

		while (day > dim)
			day -= 7;
		return first + day - 1;
	}
}

static int32_t rule_offset(const struct tz_rule *r, int64_t t)
{
	int64_t s, e;
	int y, m, d;

	if (!r->has_dst)
		return r->std_off;
	va_civil_date_from_days(floor_div(t + r->std_off, 86400), &y, &m, &d);
	s = rule_day(&r->start, y) * 86400 + r->start.secs - r->std_off;
	e = rule_day(&r->end, y) * 86400 + r->end.secs - r->dst_off;
	if (s < e)
		return t >= s && t < e ? r->dst_off : r->std_off;
	return t >= e && t < s ? r->std_off : r->dst_off;
}

/* ---- TZif ----------------------------------------------------------------- */

struct tzif_hdr {
	int version;
	uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const uint8_t *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

static int tzif_header(const uint8_t *p, size_t len, struct tzif_hdr *h)
{
	if (len < 44 || memcmp(p, "TZif", 4) != 0)
		return VA_E_PARSE;
	h->version = p[4] == 0 ? 1 : p[4] - '0';
	if (h->version < 1 || h->version > 9)
		return VA_E_PARSE;
	h->isutcnt = be32(p + 20);
	h->isstdcnt = be32(p + 24);
	h->leapcnt = be32(p + 28);
	h->timecnt = be32(p + 32);
	h->typecnt = be32(p + 36);
	h->charcnt = be32(p + 40);
	if (h->typecnt == 0 || h->typecnt > 256 || h->timecnt > 100000 || h->leapcnt > 10000 ||
	    h->charcnt > 65536 || (h->isutcnt && h->isutcnt != h->typecnt) ||
	    (h->isstdcnt && h->isstdcnt != h->typecnt))
		return VA_E_PARSE;
	return VA_OK;
}

static size_t tzif_body_len(const struct tzif_hdr *h, size_t tsz)
{
	return (size_t)h->timecnt * tsz + h->timecnt + (size_t)h->typecnt * 6 + h->charcnt +
	       (size_t)h->leapcnt * (tsz + 4) + h->isstdcnt + h->isutcnt;
}

static int tzif_parse(const uint8_t *p, size_t len, struct va_tz *tz)
{
	struct tzif_hdr h;
	size_t tsz = 4, body, i;
	const uint8_t *b;
	char footer[128];
	int rc;

	if ((rc = tzif_header(p, len, &h)) != VA_OK)
		return rc;
	body = tzif_body_len(&h, 4);
	if (len - 44 < body)
		return VA_E_PARSE;
	if (h.version >= 2) {
		/* Skip the 32-bit data: the 64-bit block after it is the one to trust. */
		p += 44 + body;
		len -= 44 + body;
		if ((rc = tzif_header(p, len, &h)) != VA_OK)
			return rc;
		tsz = 8;
		body = tzif_body_len(&h, 8);
		if (len - 44 < body)
			return VA_E_PARSE;
	}
	b = p + 44;
	tz->ntrans = h.timecnt;
	tz->ntypes = h.typecnt;
	tz->trans = va_xcalloc(h.timecnt ? h.timecnt : 1, sizeof(*tz->trans));
	tz->tidx = va_xcalloc(h.timecnt ? h.timecnt : 1, 1);
	tz->toff = va_xcalloc(h.typecnt, sizeof(*tz->toff));
	for (i = 0; i < h.timecnt; i++) {
		tz->trans[i] = tsz == 8 ? be64(b + i * 8) : (int32_t)be32(b + i * 4);
		if (i && tz->trans[i] <= tz->trans[i - 1])
			return VA_E_PARSE;
	}
	b += (size_t)h.timecnt * tsz;
	for (i = 0; i < h.timecnt; i++) {
		if (b[i] >= h.typecnt)
			return VA_E_PARSE;
		tz->tidx[i] = b[i];
	}
	b += h.timecnt;
	for (i = 0; i < h.typecnt; i++) {
		int32_t off = (int32_t)be32(b + i * 6);

		/* RFC 8536: -2^31 is invalid; real offsets are within a day. */
		if (off <= -89999 || off >= 93600 || b[i * 6 + 4] > 1)
			return VA_E_PARSE;
		tz->toff[i] = off;
	}
	b += (size_t)h.typecnt * 6 + h.charcnt + (size_t)h.leapcnt * (tsz + 4) + h.isstdcnt +
	     h.isutcnt;
	if (h.version >= 2) {
		const uint8_t *end = p + len, *nl;
		size_t flen;

		if (b >= end || *b != '\n')
			return VA_E_PARSE;
		b++;
		nl = memchr(b, '\n', (size_t)(end - b));
		if (!nl || (flen = (size_t)(nl - b)) >= sizeof(footer))
			return VA_E_PARSE;
		memcpy(footer, b, flen);
		footer[flen] = '\0';
		if (memchr(footer, '\0', flen))
			return VA_E_PARSE;
		if ((rc = rule_parse(footer, &tz->rule)) != VA_OK)
			return rc;
	}
	return VA_OK;
}

static bool name_ok(const char *name)
{
	size_t n = strlen(name), i;

	if (n == 0 || n >= TZ_NAME_MAX || name[0] == '/' || strstr(name, ".."))
		return false;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '/' || c == '_' || c == '+' || c == '-'))
			return false;
	}
	return true;
}

static int read_zone_file(const char *path, uint8_t **data, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	uint8_t *buf = NULL;
	int rc = VA_OK;

	if (!f)
		return errno == ENOENT || errno == ENOTDIR ? VA_E_NOTFOUND : VA_E_IO;
	if (fstat(fileno(f), &st) != 0) {
		rc = VA_E_IO;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = VA_E_NOTFOUND; /* "America" is a directory, not a zone */
		goto out;
	}
	if (st.st_size > TZ_MAX_FILE) {
		rc = VA_E_PARSE;
		goto out;
	}
	buf = va_xmalloc((size_t)st.st_size + 1);
	*len = fread(buf, 1, (size_t)st.st_size, f);
	if (ferror(f)) {
		rc = VA_E_IO;
		goto out;
	}
	*data = buf;
	buf = NULL;
out:
	free(buf);
	fclose(f);
	return rc;
}

int va_tz_load(const char *name, struct va_tz **out)
{
	struct va_tz *tz = NULL;
	const char *dir;
	char path[4096];
	uint8_t *data = NULL;
	size_t len = 0;
	int rc = VA_OK;

	if (!name || !out)
		return VA_E_INVAL;
	*out = NULL;
	if (!name_ok(name))
		return VA_E_INVAL;
	tz = va_xcalloc(1, sizeof(*tz));
	va_strlcpy(tz->name, name, sizeof(tz->name));
	if (!strcmp(name, "UTC") || !strcmp(name, "Etc/UTC")) {
		/* Built in: must work on a machine without tzdata. */
		tz->ntypes = 1;
		tz->toff = va_xcalloc(1, sizeof(*tz->toff));
		goto out;
	}
	dir = getenv("TZDIR");
	if (!dir || !*dir)
		dir = "/usr/share/zoneinfo";
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path)) {
		rc = VA_E_NOTFOUND;
		goto out;
	}
	if ((rc = read_zone_file(path, &data, &len)) != VA_OK)
		goto out;
	rc = tzif_parse(data, len, tz);
out:
	free(data);
	if (rc != VA_OK) {
		va_tz_free(tz);
		return rc;
	}
	*out = tz;
	return VA_OK;
}

void va_tz_free(struct va_tz *tz)
{
	if (!tz)
		return;
	free(tz->trans);
	free(tz->tidx);
	free(tz->toff);
	free(tz);
}

const char *va_tz_name(const struct va_tz *tz)
{
	return tz ? tz->name : "UTC";
}

/* Seconds east of UTC in effect at instant t. A NULL zone is UTC. */
static int32_t offset_at(const struct va_tz *tz, int64_t t)
{
	size_t lo, hi;

	if (!tz)
		return 0;
	if (tz->ntrans == 0 || t >= tz->trans[tz->ntrans - 1]) {
		if (tz->rule.present)
			return rule_offset(&tz->rule, t);
		return tz->toff[tz->ntrans ? tz->tidx[tz->ntrans - 1] : 0];
	}
	if (t < tz->trans[0])
		return tz->toff[0];
	/* Largest i with trans[i] <= t. */
	lo = 0;
	hi = tz->ntrans - 1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo + 1) / 2;

		if (tz->trans[mid] <= t)
			lo = mid;
		else
			hi = mid - 1;
	}
	return tz->toff[tz->tidx[lo]];
}

void va_tz_to_civil(const struct va_tz *tz, int64_t t, struct va_civil *out)
{
	int32_t off = offset_at(tz, t);
	int64_t local = t + off;
	int64_t days = floor_div(local, 86400);
	int64_t secs = local - days * 86400;

	va_civil_date_from_days(days, &out->year, &out->month, &out->day);
	out->hour = (int)(secs / 3600);
	out->minute = (int)(secs / 60 % 60);
	out->second = (int)(secs % 60);
	out->wday = weekday_of_days(days);
	out->utc_offset = off;
}

int64_t va_tz_from_civil(const struct va_tz *tz, const struct va_civil *c)
{
	int64_t local = va_civil_days_from_date(c->year, c->month, c->day) * 86400 +
			(int64_t)c->hour * 3600 + (int64_t)c->minute * 60 + c->second;
	/* The offsets a day either side bracket any single transition. */
	int32_t ob = offset_at(tz, local - 86400);
	int32_t oa = offset_at(tz, local + 86400);
	int64_t tb = local - ob, ta = local - oa;
	bool vb, va;

	if (ob == oa)
		return tb;
	vb = offset_at(tz, tb) == ob;
	va = offset_at(tz, ta) == oa;
	if (vb && va)
		return tb < ta ? tb : ta; /* fall-back overlap: the earlier instant */
	if (va)
		return ta;
	/* Valid before the change, or in the spring-forward gap: with the old
	 * offset the instant lands after the change, i.e. forward by the gap. */
	return tb;
}

void va_tz_iso8601(const struct va_tz *tz, int64_t t, char *dst, size_t dstsz)
{
	struct va_civil c;
	int off, sign;

	if (!dst || dstsz == 0)
		return;
	va_tz_to_civil(tz, t, &c);
	off = c.utc_offset;
	sign = off < 0 ? '-' : '+';
	if (off < 0)
		off = -off;
	if (off % 60)
		snprintf(dst, dstsz, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d:%02d", c.year,
			 c.month, c.day, c.hour, c.minute, c.second, sign, off / 3600,
			 off / 60 % 60, off % 60);
	else
		snprintf(dst, dstsz, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", c.year, c.month,
			 c.day, c.hour, c.minute, c.second, sign, off / 3600, off / 60 % 60);
}

/* Exactly n digits at *p. */
static bool iso_digits(const char **p, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		char ch = (*p)[i];

		if (ch < '0' || ch > '9')
			return false;
		v = v * 10 + (ch - '0');
	}
	*p += n;
	*out = v;
	return true;
}

int va_iso8601_parse(const char *s, const struct va_tz *tz, int64_t *out)
{
	struct va_civil c = {0};
	const char *p = s;
	bool has_off = false;
	int off = 0;

	if (!s || !out)
		return VA_E_INVAL;
	if (!iso_digits(&p, 4, &c.year) || *p++ != '-' || !iso_digits(&p, 2, &c.month) ||
	    *p++ != '-' || !iso_digits(&p, 2, &c.day))
		return VA_E_PARSE;
	if (c.month < 1 || c.month > 12 || c.day < 1 ||
	    c.day > va_civil_days_in_month(c.year, c.month))
		return VA_E_PARSE;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (!iso_digits(&p, 2, &c.hour) || *p++ != ':' || !iso_digits(&p, 2, &c.minute))
			return VA_E_PARSE;
		if (*p == ':') {
			p++;
			if (!iso_digits(&p, 2, &c.second))
				return VA_E_PARSE;
			if (*p == '.' || *p == ',') { /* fractions are dropped */
				p++;
				if (*p < '0' || *p > '9')
					return VA_E_PARSE;
				while (*p >= '0' && *p <= '9')
					p++;
			}
		}
		if (c.hour > 23 || c.minute > 59 || c.second > 59)
			return VA_E_PARSE;
		if (*p == 'Z' || *p == 'z') {
			p++;
			has_off = true;
		} else if (*p == '+' || *p == '-') {
			int sign = *p++ == '-' ? -1 : 1, oh, om = 0;

			if (!iso_digits(&p, 2, &oh))
				return VA_E_PARSE;
			if (*p == ':')
				p++;
			if (*p >= '0' && *p <= '9' && !iso_digits(&p, 2, &om))
				return VA_E_PARSE;
			if (oh > 23 || om > 59)
				return VA_E_PARSE;
			off = sign * (oh * 3600 + om * 60);
			has_off = true;
		}
	}
	if (*p)
		return VA_E_PARSE;
	if (has_off)
		*out = va_civil_days_from_date(c.year, c.month, c.day) * 86400 +
		       (int64_t)c.hour * 3600 + c.minute * 60 + c.second - off;
	else
		*out = va_tz_from_civil(tz, &c);
	return VA_OK;
}
