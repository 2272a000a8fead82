/* SPDX-License-Identifier: MIT */
/*
 * ical.c - iCalendar in and out through libical 3.0 (contract: ical.h).
 *
 * Writing builds libical components and lets libical serialise them, so TEXT
 * escaping and 75-octet folding are libical's (correct in 3.0.16), never ours.
 * Reading hands the text to libical's parser, then resolves every time itself:
 * libical 3.0 only resolves a TZID against a VTIMEZONE in the same object, and
 * its recurrence iterator can spin for seconds on rules that never match, so
 * this file bounds what it asks of libical (see expand_rrule and zone_lookup).
 *
 * Not here: HTTP, storage, deciding what blocks a slot (the scheduler's job).
 * No state of our own outlives a call; libical's builtin-zone cache is global
 * and not thread-safe, which is why only the loop thread calls this module.
 */
#include "calendar/ical.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"

#include <libical/ical.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define VA_ICAL_PRODID	  "-//VoiceAI//Receptionist " VOICEAI_VERSION "//EN"
#define VA_ICAL_X_APPT_ID "X-VOICEAI-APPOINTMENT-ID"
#define VA_ICAL_TEXT_MAX  (16u << 10)	   /* SUMMARY/DESCRIPTION we write */
#define VA_ICAL_MAX_DEPTH 16		   /* BEGIN nesting; real objects use 3 */
#define VA_ICAL_MAX_SPAN  (3660 * 86400LL) /* an event longer than 10 years is junk */
#define VA_ICAL_MAX_STEPS 20000		   /* iterator calls per series */
#define VA_ICAL_TZ_SUBS	  200		   /* STANDARD/DAYLIGHT per VTIMEZONE (tzdata needs 55) */
#define VA_ICAL_MIN_TIME  (-62135596800LL) /* 0001-01-01T00:00:00Z */
#define VA_ICAL_MAX_TIME  253402300799LL   /* 9999-12-31T23:59:59Z */
#define VA_ICAL_TZ_CACHE  8

/* ---- text ----------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at p (1..4), 0 when it is not one. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
	unsigned c = p[0];
	size_t need;
	uint32_t cp, min;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		need = 2;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 3;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 4;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n < need)
		return 0;
	cp = c & (0x7fu >> need);
	for (size_t i = 1; i < need; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3fu);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need;
}

/*
 * Appends text that libical will escape, minus what it would pass through raw
 * and so make the object invalid: control characters (RFC 5545 TEXT excludes
 * them) and broken UTF-8 (folding must not split a sequence, and servers
 * reject it). CR is dropped so CRLF notes become one "\n".
 */
static int append_clean(struct va_buf *b, const char *s, size_t n, bool newlines)
{
	const unsigned char *p = (const unsigned char *)s;
	int rc = VA_OK;

	for (size_t i = 0; i < n && rc == VA_OK;) {
		size_t k = utf8_seq(p + i, n - i);

		if (k == 0) {
			rc = va_buf_append(b, "?", 1);
			i++;
		} else if (k > 1) {
			rc = va_buf_append(b, p + i, k);
			i += k;
		} else if (p[i] == '\r') {
			i++;
		} else if (p[i] == '\n' && newlines) {
			rc = va_buf_append(b, "\n", 1);
			i++;
		} else if (p[i] < 0x20 || p[i] == 0x7f) {
			rc = va_buf_append(b, " ", 1);
			i++;
		} else {
			rc = va_buf_append(b, p + i, 1);
			i++;
		}
	}
	return rc;
}

/* A fixed-size struct field, which may lack its NUL when the row is corrupt. */
static size_t field_len(const char *s, size_t cap)
{
	return strnlen(s, cap);
}
#define FIELD(f) (f), field_len((f), sizeof(f))

/* Copies src into dst[cap] cut at a UTF-8 boundary. */
static void copy_utf8(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strlen(src) : 0;

	if (n >= cap) {
		n = cap - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;
	}
	if (n)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

/* ---- zones ---------------------------------------------------------------- */

/*
 * Whether a string may be handed to icaltimezone_get_builtin_timezone():
 * libical 3.0 opens "<zoneinfo>/<name>" for any name missing from zone.tab,
 * so a hostile TZID like "../../../proc/self/fd/0" would make it read (and
 * block on) an arbitrary file. IANA names are [A-Za-z0-9_+-] segments.
 */
static bool iana_name_ok(const char *s)
{
	size_t n = strlen(s), seg = 0;

	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i <= n; i++) {
		char c = s[i];

		if (c == '/' || c == '\0') {
			if (seg == 0)
				return false;
			seg = 0;
			continue;
		}
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '+' || c == '-'))
			return false;
		seg++;
	}
	return true;
}

/*
 * An IANA zone by name. Names some producers prefix with a path
 * ("/freeassociation.sourceforge.net/America/New_York",
 * "/mozilla.org/20050126_1/America/New_York") are tried by their suffixes.
 */
static icaltimezone *builtin_zone(const char *name)
{
	const char *s = name;

	if (iana_name_ok(name))
		return icaltimezone_get_builtin_timezone(name);
	if (name[0] != '/')
		return NULL;
	while ((s = strchr(s + 1, '/')) != NULL) {
		if (iana_name_ok(s + 1)) {
			icaltimezone *z = icaltimezone_get_builtin_timezone(s + 1);

			if (z)
				return z;
		}
	}
	return NULL;
}

/* ---- writing -------------------------------------------------------------- */

static struct icaltimetype utc_time(int64_t t)
{
	return icaltime_from_timet_with_zone((time_t)t, 0, icaltimezone_get_utc_timezone());
}

/*
 * DTSTART/DTEND as a UTC instant, or as wall time in tz with TZID=zname.
 * icaltime_from_timet_with_zone() would give tz's wall time still marked UTC
 * (libical 3.0 trap), so convert from UTC instead; and the TZID parameter is
 * set by hand because libical's own would carry its builtin prefix.
 */
static icalproperty *time_prop(icalproperty *(*make)(struct icaltimetype), int64_t t,
			       icaltimezone *tz, const char *zname)
{
	icalproperty *p;

	if (!tz)
		return make(utc_time(t));
	p = make(icaltime_convert_to_zone(utc_time(t), tz));
	icalproperty_add_parameter(p, icalparameter_new_tzid(zname));
	return p;
}

/* "root_canal" -> "Root canal": a label for a busy person scanning a week. */
static void service_label(enum va_service_kind k, char *out, size_t n)
{
	const char *code = va_service_code(k);

	if (!*code)
		code = "appointment";
	copy_utf8(out, n, code);
	for (char *p = out; *p; p++)
		if (*p == '_')
			*p = ' ';
	if (out[0] >= 'a' && out[0] <= 'z')
		out[0] = (char)(out[0] - 'a' + 'A');
}

/* The spoken form without its article: "a cleaning and checkup" -> "cleaning and checkup". */
static const char *service_words(enum va_service_kind k)
{
	const char *s = va_service_spoken(k);

	if (!strncmp(s, "a ", 2))
		return s + 2;
	if (!strncmp(s, "an ", 3))
		return s + 3;
	return *s ? s : "not given";
}

/* Digits as stored; a NANP number reads as "+1 555-010-0100". */
static void format_phone(const char *digits, size_t len, char *out, size_t n)
{
	bool all = len > 0;

	for (size_t i = 0; i < len; i++)
		all = all && digits[i] >= '0' && digits[i] <= '9';
	if (all && len == 11 && digits[0] == '1')
		snprintf(out, n, "+1 %.3s-%.3s-%.4s", digits + 1, digits + 4, digits + 7);
	else
		snprintf(out, n, "%.*s", (int)len, digits);
}

static bool appt_cancelled(const struct va_appointment *ap)
{
	/* A rescheduled row no longer holds its slot either. */
	return ap->status == VA_APPT_CANCELLED || ap->status == VA_APPT_RESCHEDULED;
}

static int summary_text(const struct va_ical_appt *a, struct va_buf *b)
{
	const struct va_appointment *ap = a->appt;
	char label[64];
	int rc;

	service_label(ap->service, label, sizeof(label));
	if (ap->urgent && (rc = va_buf_append_str(b, "URGENT - ")) != VA_OK)
		return rc;
	if ((rc = va_buf_append_str(b, label)) != VA_OK)
		return rc;
	if (field_len(ap->patient_name, sizeof(ap->patient_name)) == 0)
		return VA_OK;
	if ((rc = va_buf_append_str(b, " - ")) != VA_OK)
		return rc;
	return append_clean(b, FIELD(ap->patient_name), false);
}

/* What the front desk needs to act without opening another system. */
static int description_text(const struct va_ical_appt *a, struct va_buf *b)
{
	const struct va_appointment *ap = a->appt;
	char phone[40];
	int rc = VA_OK;

	format_phone(FIELD(ap->phone), phone, sizeof(phone));
	rc = va_buf_append_str(b, "Patient: ");
	if (rc == VA_OK)
		rc = append_clean(b, FIELD(ap->patient_name), false);
	if (rc == VA_OK)
		rc = va_buf_appendf(
		    b, "\nPhone: %s\n%s\nService: %s\nProvider: ", phone[0] ? phone : "not given",
		    ap->new_patient ? "New patient" : "Existing patient",
		    service_words(ap->service));
	if (rc == VA_OK && a->provider_name && a->provider_name[0])
		rc = append_clean(b, a->provider_name, strlen(a->provider_name), false);
	else if (rc == VA_OK)
		rc = append_clean(b, FIELD(ap->provider_id), false);
	if (rc == VA_OK)
		rc = va_buf_appendf(b, "\nUrgent: %s", ap->urgent ? "yes" : "no");
	if (rc == VA_OK && field_len(ap->notes, sizeof(ap->notes))) {
		rc = va_buf_append_str(b, "\nNotes: ");
		if (rc == VA_OK)
			rc = append_clean(b, FIELD(ap->notes), true);
	}
	if (rc == VA_OK && field_len(ap->session_id, sizeof(ap->session_id))) {
		rc = va_buf_append_str(b, "\nBooked by phone (call ");
		if (rc == VA_OK)
			rc = append_clean(b, FIELD(ap->session_id), false);
		if (rc == VA_OK)
			rc = va_buf_append_str(b, ")");
	} else if (rc == VA_OK) {
		rc = va_buf_append_str(b, "\nBooked through the API");
	}
	if (rc == VA_OK && appt_cancelled(ap))
		rc = va_buf_append_str(b, "\nCancelled");
	return rc;
}

/* One VEVENT for a, times in UTC (tz NULL) or local in tz named zname. */
static int build_vevent(const struct va_ical_appt *a, icaltimezone *tz, const char *zname,
			icalcomponent **out)
{
	const struct va_appointment *ap = a ? a->appt : NULL;
	struct va_buf text = VA_BUF_INIT(VA_ICAL_TEXT_MAX);
	icalcomponent *ev = NULL;
	icalproperty *x;
	int64_t modified;
	bool cancelled;
	int rc;

	*out = NULL;
	if (!ap || !a->uid || !a->uid[0] || ap->end <= ap->start)
		return VA_E_INVAL;
	cancelled = appt_cancelled(ap);
	modified = ap->updated_ms > 0 ? ap->updated_ms / 1000 : a->dtstamp;

	ev = icalcomponent_new_vevent();
	if ((rc = append_clean(&text, a->uid, strlen(a->uid), false)) != VA_OK)
		goto out;
	icalcomponent_add_property(ev, icalproperty_new_uid(va_buf_cstr(&text)));
	icalcomponent_add_property(ev, icalproperty_new_dtstamp(utc_time(a->dtstamp)));
	if (ap->created_ms > 0)
		icalcomponent_add_property(
		    ev, icalproperty_new_created(utc_time(ap->created_ms / 1000)));
	icalcomponent_add_property(ev, icalproperty_new_lastmodified(utc_time(modified)));
	icalcomponent_add_property(ev, time_prop(icalproperty_new_dtstart, ap->start, tz, zname));
	icalcomponent_add_property(ev, time_prop(icalproperty_new_dtend, ap->end, tz, zname));
	icalcomponent_add_property(ev,
				   icalproperty_new_sequence(a->sequence < 0 ? 0 : a->sequence));
	icalcomponent_add_property(
	    ev, icalproperty_new_status(cancelled ? ICAL_STATUS_CANCELLED : ICAL_STATUS_CONFIRMED));
	/* A cancelled visit stays visible (struck through) but frees the time. */
	icalcomponent_add_property(
	    ev, icalproperty_new_transp(cancelled ? ICAL_TRANSP_TRANSPARENT : ICAL_TRANSP_OPAQUE));
	/* Patient data: other viewers of a shared calendar see only "busy". */
	icalcomponent_add_property(ev, icalproperty_new_class(ICAL_CLASS_PRIVATE));

	va_buf_reset(&text);
	if ((rc = summary_text(a, &text)) != VA_OK)
		goto out;
	icalcomponent_add_property(ev, icalproperty_new_summary(va_buf_cstr(&text)));
	va_buf_reset(&text);
	if ((rc = description_text(a, &text)) != VA_OK)
		goto out;
	icalcomponent_add_property(ev, icalproperty_new_description(va_buf_cstr(&text)));
	if (a->practice_name && a->practice_name[0]) {
		va_buf_reset(&text);
		rc = append_clean(&text, a->practice_name, strlen(a->practice_name), false);
		if (rc != VA_OK)
			goto out;
		icalcomponent_add_property(ev, icalproperty_new_location(va_buf_cstr(&text)));
	}
	/* libical writes X- values unescaped: only the clean id goes there. */
	va_buf_reset(&text);
	if ((rc = append_clean(&text, FIELD(ap->id), false)) != VA_OK)
		goto out;
	x = icalproperty_new_x(va_buf_cstr(&text));
	icalproperty_set_x_name(x, VA_ICAL_X_APPT_ID);
	icalcomponent_add_property(ev, x);

	*out = ev;
	ev = NULL;
out:
	if (ev)
		icalcomponent_free(ev);
	va_buf_release(&text);
	return rc;
}

static icalcomponent *new_vcalendar(void)
{
	return icalcomponent_vanew(ICAL_VCALENDAR_COMPONENT, icalproperty_new_version("2.0"),
				   icalproperty_new_prodid(VA_ICAL_PRODID),
				   icalproperty_new_calscale("GREGORIAN"), (void *)0);
}

/*
 * libical 3.0.16 folds a property's own line end when the line fills up
 * exactly there (a 73-letter SUMMARY does it): "...\r" "\r\n " "\n", a bare
 * CR and a stray line. Our text never holds a CR (append_clean drops them)
 * and libical writes a newline in a value as "\n", so CR CR LF SP LF can
 * only be that bug: put the line end back together.
 */
static void repair_folds(char *s)
{
	char *w = s;

	for (const char *r = s; *r;) {
		if (!strncmp(r, "\r\r\n \n", 5)) {
			memcpy(w, "\r\n", 2);
			w += 2;
			r += 5;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
}

/* libical's serialisation (CRLF, folded), moved into a plain malloc'ed string. */
static char *serialise(icalcomponent *c)
{
	char *s = icalcomponent_as_ical_string_r(c);
	char *copy = s ? va_xstrdup(s) : NULL;

	icalmemory_free_buffer(s);
	if (copy)
		repair_folds(copy);
	return copy;
}

void va_ical_uid(const char *appt_id, char *out, size_t outsz)
{
	if (!out || outsz == 0)
		return;
	snprintf(out, outsz, "%s@voiceai", appt_id ? appt_id : "");
}

int va_ical_appt_object(const struct va_ical_appt *a, char **out)
{
	icalcomponent *cal = NULL, *ev = NULL;
	int rc;

	if (!out)
		return VA_E_INVAL;
	*out = NULL;
	if ((rc = build_vevent(a, NULL, NULL, &ev)) != VA_OK)
		goto out;
	cal = new_vcalendar();
	icalcomponent_add_component(cal, ev);
	if (!(*out = serialise(cal)))
		rc = VA_E_NOMEM;
out:
	if (cal)
		icalcomponent_free(cal);
	return rc;
}

int va_ical_feed(const char *calname, const char *zone, const struct va_ical_appt *v, size_t n,
		 char **out)
{
	icalcomponent *cal = NULL, *vtz = NULL, *ev;
	icaltimezone *tz = NULL;
	icalproperty *p;
	struct va_buf text = VA_BUF_INIT(VA_ICAL_TEXT_MAX);
	int rc = VA_OK;

	if (!out)
		return VA_E_INVAL;
	*out = NULL;
	if (!zone || (n && !v) || !iana_name_ok(zone) ||
	    !(tz = icaltimezone_get_builtin_timezone(zone)))
		return VA_E_INVAL;
	cal = new_vcalendar();
	icalcomponent_add_property(cal, icalproperty_new_method(ICAL_METHOD_PUBLISH));
	if (calname && calname[0]) {
		if ((rc = append_clean(&text, calname, strlen(calname), false)) != VA_OK)
			goto out;
		p = icalproperty_new_x(va_buf_cstr(&text));
		icalproperty_set_x_name(p, "X-WR-CALNAME");
		icalcomponent_add_property(cal, p);
	}
	p = icalproperty_new_x(zone);
	icalproperty_set_x_name(p, "X-WR-TIMEZONE");
	icalcomponent_add_property(cal, p);

	if (tz == icaltimezone_get_utc_timezone()) {
		/* "UTC" has no VTIMEZONE in libical: UTC times need none. */
		tz = NULL;
	} else {
		icalcomponent *src = icaltimezone_get_component(tz);

		if (!src) {
			rc = VA_E_INVAL;
			goto out;
		}
		/* Subscribers look the TZID up by name: not libical's prefixed one. */
		vtz = icalcomponent_new_clone(src);
		if ((p = icalcomponent_get_first_property(vtz, ICAL_TZID_PROPERTY)))
			icalproperty_set_tzid(p, zone);
		else
			icalcomponent_add_property(vtz, icalproperty_new_tzid(zone));
		icalcomponent_add_component(cal, vtz);
	}
	for (size_t i = 0; i < n; i++) {
		if ((rc = build_vevent(&v[i], tz, zone, &ev)) != VA_OK)
			goto out;
		icalcomponent_add_component(cal, ev);
	}
	if (!(*out = serialise(cal)))
		rc = VA_E_NOMEM;
out:
	if (cal)
		icalcomponent_free(cal);
	va_buf_release(&text);
	return rc;
}

/* ---- reading -------------------------------------------------------------- */

struct zone_memo {
	icaltimezone *tz;
	bool ok;
};

struct parse_ctx {
	icaltimezone *local; /* the practice's zone: floating, DATE, unknown TZID */
	icaltimezone *utc;
	int64_t from, to;
	va_ical_event_cb cb;
	void *arg;
	int unknown;
	struct zone_memo memo[VA_ICAL_TZ_CACHE];
	size_t nmemo;
};

/* A resolved DATE or DATE-TIME: the wall time, the zone it is read in, the instant. */
struct when {
	struct icaltimetype wall; /* zone field: what the recurrence iterator needs */
	icaltimezone *tz;	  /* for to_epoch(); utc for "Z" values */
	int64_t epoch;
	bool is_date;
};

/* One VEVENT of the object, for pairing overrides with their series. */
struct vev {
	icalcomponent *c;
	icalcomponent *vcal;
	const char *uid;
	size_t idx;
	bool has_rid;
};

struct occ {
	int64_t start, end;
};

struct occ_list {
	struct occ *v;
	size_t n, cap;
};

static int64_t to_epoch(struct icaltimetype wall, icaltimezone *tz)
{
	wall.zone = NULL;
	return (int64_t)icaltime_as_timet_with_zone(wall, tz);
}

/*
 * Whether some month has one of the rule's BYMONTHDAYs. libical's monthly
 * search never gives up on a day no month has ("BYMONTH=2;BYMONTHDAY=30"
 * costs it a quarter of a second per series, UNTIL or not), so such a rule
 * is recognised here as the empty set it is.
 */
static bool rule_feasible(const struct icalrecurrencetype *r)
{
	static const short mdays[13] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (r->by_month_day[0] == ICAL_RECURRENCE_ARRAY_MAX ||
	    r->by_month[0] == ICAL_RECURRENCE_ARRAY_MAX)
		return true;
	for (size_t i = 0; i < ICAL_BY_MONTH_SIZE && r->by_month[i] != ICAL_RECURRENCE_ARRAY_MAX;
	     i++) {
		int m = icalrecurrencetype_month_month(r->by_month[i]);

		for (size_t j = 0;
		     j < ICAL_BY_MONTHDAY_SIZE && r->by_month_day[j] != ICAL_RECURRENCE_ARRAY_MAX;
		     j++) {
			int d = abs(r->by_month_day[j]);

			if (m >= 1 && m <= 12 && d >= 1 && d <= mdays[m])
				return true;
		}
	}
	return false;
}

/*
 * Whether a VTIMEZONE from the object is safe to let libical expand: libical
 * walks every observance RRULE from its DTSTART to 2035 with no limit of its
 * own, so a hostile "FREQ=SECONDLY" observance would hang the loop thread.
 * Real zones use yearly rules (Outlook's start in 1601).
 */
static bool vtimezone_ok(icalcomponent *vtz)
{
	size_t n = 0;

	if (!vtz)
		return false;
	for (icalcomponent *s = icalcomponent_get_first_component(vtz, ICAL_ANY_COMPONENT); s;
	     s = icalcomponent_get_next_component(vtz, ICAL_ANY_COMPONENT)) {
		icalproperty *p = icalcomponent_get_first_property(s, ICAL_DTSTART_PROPERTY);

		if (++n > VA_ICAL_TZ_SUBS || !p || icalproperty_get_dtstart(p).year < 1600)
			return false;
		for (p = icalcomponent_get_first_property(s, ICAL_RRULE_PROPERTY); p;
		     p = icalcomponent_get_next_property(s, ICAL_RRULE_PROPERTY)) {
			struct icalrecurrencetype r = icalproperty_get_rrule(p);

			if (r.freq != ICAL_YEARLY_RECURRENCE || !rule_feasible(&r))
				return false;
		}
	}
	return true;
}

static bool zone_ok(struct parse_ctx *c, icaltimezone *tz)
{
	bool ok;

	for (size_t i = 0; i < c->nmemo; i++)
		if (c->memo[i].tz == tz)
			return c->memo[i].ok;
	ok = vtimezone_ok(icaltimezone_get_component(tz));
	if (c->nmemo < VA_ICAL_TZ_CACHE)
		c->memo[c->nmemo++] = (struct zone_memo){tz, ok};
	return ok;
}

/* A TZID: the object's own VTIMEZONE, else an IANA name (RFC 7809), else NULL. */
static icaltimezone *zone_lookup(struct parse_ctx *c, icalcomponent *vcal, const char *tzid)
{
	icaltimezone *tz = icalcomponent_get_timezone(vcal, tzid);

	if (tz && zone_ok(c, tz))
		return tz;
	return builtin_zone(tzid);
}

/*
 * Resolves the value v of property p (DTSTART, DTEND, RECURRENCE-ID, EXDATE,
 * RDATE). False when the value is unusable; *unknown is set when a TZID could
 * not be resolved (the time is then read in the practice's zone).
 */
static bool resolve(struct parse_ctx *c, icalcomponent *vcal, icalproperty *p,
		    struct icaltimetype v, struct when *w, bool *unknown)
{
	icalparameter *param;

	memset(w, 0, sizeof(*w));
	if (icaltime_is_null_time(v) || !icaltime_is_valid_time(v) || v.year < 1 || v.month < 1 ||
	    v.month > 12 || v.day < 1 || v.day > 31)
		return false;
	w->wall = v;
	w->is_date = v.is_date != 0;
	if (w->is_date) {
		w->tz = c->local;
		w->wall.zone = NULL;
	} else if (icaltime_is_utc(v)) {
		w->tz = c->utc;
		w->wall.zone = c->utc;
	} else if ((param = icalproperty_get_first_parameter(p, ICAL_TZID_PARAMETER)) &&
		   icalparameter_get_tzid(param)) {
		icaltimezone *tz = zone_lookup(c, vcal, icalparameter_get_tzid(param));

		if (!tz) {
			*unknown = true;
			tz = c->local;
		}
		w->tz = tz;
		w->wall.zone = tz;
	} else {
		w->tz = c->local; /* floating */
		w->wall.zone = NULL;
	}
	w->epoch = to_epoch(w->wall, w->tz);
	return true;
}

static bool prop_when(struct parse_ctx *c, icalcomponent *vcal, icalcomponent *ev,
		      icalproperty_kind kind, struct when *w, bool *unknown)
{
	icalproperty *p = icalcomponent_get_first_property(ev, kind);
	icalvalue *v = p ? icalproperty_get_value(p) : NULL;

	/* DATE or DATE-TIME only: a PERIOD here is not a start or an end. */
	if (!v || (icalvalue_isa(v) != ICAL_DATETIME_VALUE && icalvalue_isa(v) != ICAL_DATE_VALUE))
		return false;
	return resolve(c, vcal, p, icalvalue_get_datetime(v), w, unknown);
}

static int64_t duration_seconds(struct icaldurationtype d)
{
	return (int64_t)d.weeks * 7 * 86400 + (int64_t)d.days * 86400 + (int64_t)d.hours * 3600 +
	       (int64_t)d.minutes * 60 + (int64_t)d.seconds;
}

/*
 * The length of each occurrence. An all-day event's is whole days (its end is
 * local midnight ndays later, whatever DST does); a timed one's is seconds.
 * False when it has none or an absurd one.
 */
static bool event_length(struct parse_ctx *c, icalcomponent *vcal, icalcomponent *ev,
			 const struct when *ws, int64_t *secs, int *ndays, bool *unknown)
{
	icalproperty *p;
	struct when we;

	*secs = 0;
	*ndays = 0;
	int64_t days = 0;

	if (prop_when(c, vcal, ev, ICAL_DTEND_PROPERTY, &we, unknown)) {
		if (ws->is_date && we.is_date)
			days = (to_epoch(we.wall, c->utc) - to_epoch(ws->wall, c->utc)) / 86400;
		else if (ws->is_date)
			days = 1;
		else
			*secs = we.epoch - ws->epoch;
	} else if ((p = icalcomponent_get_first_property(ev, ICAL_DURATION_PROPERTY))) {
		struct icaldurationtype d = icalproperty_get_duration(p);

		if (d.is_neg || icaldurationtype_is_bad_duration(d))
			return false;
		if (ws->is_date)
			days = duration_seconds(d) / 86400;
		else
			*secs = duration_seconds(d);
	} else if (ws->is_date) {
		days = 1;
	}
	if (ws->is_date) {
		if (days <= 0 || days > VA_ICAL_MAX_SPAN / 86400)
			return false;
		*ndays = (int)days;
		return true;
	}
	return *secs > 0 && *secs <= VA_ICAL_MAX_SPAN;
}

/* An occurrence starting at wall time t (in ws's zone): [start, end). */
static struct occ occ_at(struct parse_ctx *c, const struct when *ws, struct icaltimetype t,
			 int64_t secs, int ndays)
{
	struct occ o;

	o.start = to_epoch(t, ws->tz);
	if (ws->is_date) {
		t.is_date = 1;
		icaltime_adjust(&t, ndays, 0, 0, 0);
		o.end = to_epoch(t, c->local);
	} else {
		o.end = o.start + secs;
	}
	return o;
}

static void fill_common(icalcomponent *ev, const char *uid, struct va_ical_event *e)
{
	icalproperty *p;

	memset(e, 0, sizeof(*e));
	copy_utf8(e->uid, sizeof(e->uid), uid);
	e->cancelled = icalcomponent_get_status(ev) == ICAL_STATUS_CANCELLED;
	if ((p = icalcomponent_get_first_property(ev, ICAL_TRANSP_PROPERTY))) {
		icalproperty_transp t = icalproperty_get_transp(p);

		e->transparent =
		    t == ICAL_TRANSP_TRANSPARENT || t == ICAL_TRANSP_TRANSPARENTNOCONFLICT;
	}
	e->sequence = icalcomponent_get_sequence(ev);
	for (p = icalcomponent_get_first_property(ev, ICAL_X_PROPERTY); p;
	     p = icalcomponent_get_next_property(ev, ICAL_X_PROPERTY)) {
		const char *name = icalproperty_get_x_name(p), *val = icalproperty_get_x(p);

		/* Longer than an id of ours: not ours, and never truncated into one. */
		if (name && val && !strcasecmp(name, VA_ICAL_X_APPT_ID) &&
		    strlen(val) < sizeof(e->appointment_id)) {
			copy_utf8(e->appointment_id, sizeof(e->appointment_id), val);
			break;
		}
	}
	copy_utf8(e->summary, sizeof(e->summary), icalcomponent_get_summary(ev));
}

static int emit(struct parse_ctx *c, const struct va_ical_event *tmpl, struct occ o, bool all_day,
		bool recurring)
{
	struct va_ical_event e = *tmpl;

	if (o.end <= o.start)
		return 0; /* unusable times are skipped, whatever produced them */
	e.start = o.start;
	e.end = o.end;
	e.all_day = all_day;
	e.recurring = recurring;
	return c->cb(&e, c->arg);
}

static bool overlaps(const struct parse_ctx *c, struct occ o)
{
	return o.start < c->to && o.end > c->from;
}

static void occ_push(struct occ_list *l, struct occ o)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = va_xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = o;
}

static int occ_cmp(const void *a, const void *b)
{
	const struct occ *x = a, *y = b;

	return (x->start > y->start) - (x->start < y->start);
}

/* Whether t is in the excluded list (EXDATE and overridden RECURRENCE-IDs). */
static bool excluded(const struct when *ex, size_t nex, int64_t start)
{
	for (size_t i = 0; i < nex; i++) {
		if (ex[i].is_date) {
			/* A DATE EXDATE on a timed series drops that local day. */
			if (start >= ex[i].epoch && start < ex[i].epoch + 86400)
				return true;
		} else if (ex[i].epoch == start) {
			return true;
		}
	}
	return false;
}

/*
 * Feeds l with the occurrences of one RRULE that overlap [from, to).
 * libical's iterator is asked for as little as possible: UNTIL is clamped to
 * the window (it checks UNTIL inside its daily search loop, so a rule that
 * never matches stops there instead of at year 2582), a rule without COUNT
 * starts at the window, impossible month days are caught by rule_feasible,
 * and rules finer than daily are not expanded at all (one that never
 * matches costs libical seconds per call, even with UNTIL).
 */
static void expand_rrule(struct parse_ctx *c, const struct when *ws, struct icalrecurrencetype r,
			 int64_t secs, int ndays, const struct when *ex, size_t nex,
			 struct occ_list *l)
{
	int64_t span = ws->is_date ? (int64_t)ndays * 86400 + 86400 : secs;
	struct icaltimetype horizon, t;
	icalrecur_iterator *it;
	icaltimezone *wz = ws->wall.zone ? (icaltimezone *)ws->wall.zone : ws->tz;

	if (r.freq != ICAL_DAILY_RECURRENCE && r.freq != ICAL_WEEKLY_RECURRENCE &&
	    r.freq != ICAL_MONTHLY_RECURRENCE && r.freq != ICAL_YEARLY_RECURRENCE)
		return;
	if (!rule_feasible(&r))
		return;
	/* One day of margin: DST and DATE values shift wall times by hours. */
	horizon = icaltime_convert_to_zone(utc_time(c->to + 86400), wz);
	horizon.zone = ws->wall.zone;
	if (ws->is_date) {
		horizon.is_date = 1;
		horizon.hour = horizon.minute = horizon.second = 0;
	}
	if (icaltime_is_null_time(r.until) || icaltime_compare(r.until, horizon) > 0)
		r.until = horizon;
	if (!(it = icalrecur_iterator_new(r, ws->wall)))
		return;
	if (r.count == 0 && c->from - span - 86400 > ws->epoch) {
		struct icaltimetype s =
		    icaltime_convert_to_zone(utc_time(c->from - span - 86400), wz);

		s.zone = ws->wall.zone;
		if (ws->is_date) {
			s.is_date = 1;
			s.hour = s.minute = s.second = 0;
		}
		icalrecur_iterator_set_start(it, s);
	}
	for (int steps = 0; steps < VA_ICAL_MAX_STEPS && l->n <= VA_ICAL_MAX_OCCURRENCES; steps++) {
		struct occ o;

		t = icalrecur_iterator_next(it);
		if (icaltime_is_null_time(t))
			break;
		o = occ_at(c, ws, t, secs, ndays);
		if (o.start >= c->to)
			break;
		if (overlaps(c, o) && !excluded(ex, nex, o.start))
			occ_push(l, o);
	}
	icalrecur_iterator_free(it);
}

static int vev_cmp(const void *a, const void *b)
{
	const struct vev *x = *(const struct vev *const *)a, *y = *(const struct vev *const *)b;
	int d = strcmp(x->uid, y->uid);

	if (d)
		return d;
	if (x->has_rid != y->has_rid)
		return x->has_rid ? 1 : -1;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

/* The first index in sorted[] holding uid, or n. */
static size_t find_uid(struct vev **sorted, size_t n, const char *uid)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(sorted[mid]->uid, uid) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* A VEVENT with RRULE/RDATE: its occurrences in the window, overrides excepted. */
static int do_series(struct parse_ctx *c, const struct vev *m, struct vev **sorted, size_t nsorted,
		     const struct va_ical_event *tmpl, const struct when *ws, int64_t secs,
		     int ndays, bool *unknown)
{
	struct occ_list l = {NULL, 0, 0};
	struct when *ex = NULL;
	size_t nex = 0, cap = 0, first;
	icalproperty *p;
	int rc = VA_OK;

	/* Exclusions: EXDATEs, and instances an override replaces. */
	for (p = icalcomponent_get_first_property(m->c, ICAL_EXDATE_PROPERTY); p;
	     p = icalcomponent_get_next_property(m->c, ICAL_EXDATE_PROPERTY)) {
		struct when w;

		if (!resolve(c, m->vcal, p, icalproperty_get_exdate(p), &w, unknown))
			continue;
		if (nex == cap) {
			cap = cap ? cap * 2 : 8;
			ex = va_xrealloc(ex, cap * sizeof(*ex));
		}
		ex[nex++] = w;
	}
	first = find_uid(sorted, nsorted, m->uid);
	for (size_t i = first; i < nsorted && !strcmp(sorted[i]->uid, m->uid); i++) {
		struct when w;

		if (!sorted[i]->has_rid || !prop_when(c, sorted[i]->vcal, sorted[i]->c,
						      ICAL_RECURRENCEID_PROPERTY, &w, unknown))
			continue;
		if (nex == cap) {
			cap = cap ? cap * 2 : 8;
			ex = va_xrealloc(ex, cap * sizeof(*ex));
		}
		ex[nex++] = w;
	}

	/* DTSTART is always the first instance (RFC 5545 3.8.5.3). */
	{
		struct occ o = occ_at(c, ws, ws->wall, secs, ndays);

		if (overlaps(c, o) && !excluded(ex, nex, o.start))
			occ_push(&l, o);
	}
	for (p = icalcomponent_get_first_property(m->c, ICAL_RRULE_PROPERTY); p;
	     p = icalcomponent_get_next_property(m->c, ICAL_RRULE_PROPERTY))
		expand_rrule(c, ws, icalproperty_get_rrule(p), secs, ndays, ex, nex, &l);
	for (p = icalcomponent_get_first_property(m->c, ICAL_RDATE_PROPERTY); p;
	     p = icalcomponent_get_next_property(m->c, ICAL_RDATE_PROPERTY)) {
		struct icaldatetimeperiodtype rd = icalproperty_get_rdate(p);
		struct when w, we;
		struct occ o;

		if (!icaltime_is_null_time(rd.time)) {
			/* A DATE among DATE-TIMEs (or the reverse) has no length. */
			if (!resolve(c, m->vcal, p, rd.time, &w, unknown) ||
			    w.is_date != ws->is_date)
				continue;
			o = occ_at(c, &w, w.wall, secs, ndays);
		} else {
			if (!resolve(c, m->vcal, p, rd.period.start, &w, unknown))
				continue;
			o.start = w.epoch;
			if (resolve(c, m->vcal, p, rd.period.end, &we, unknown))
				o.end = we.epoch;
			else
				o.end = w.epoch + duration_seconds(rd.period.duration);
			if (o.end <= o.start || o.end - o.start > VA_ICAL_MAX_SPAN)
				continue;
		}
		if (overlaps(c, o) && !excluded(ex, nex, o.start))
			occ_push(&l, o);
	}

	if (l.n)
		qsort(l.v, l.n, sizeof(*l.v), occ_cmp);
	for (size_t i = 0, sent = 0; i < l.n && sent < VA_ICAL_MAX_OCCURRENCES && rc == 0; i++) {
		if (i > 0 && l.v[i].start == l.v[i - 1].start)
			continue; /* RDATE or DTSTART repeating an RRULE instance */
		rc = emit(c, tmpl, l.v[i], ws->is_date, true);
		sent++;
	}
	free(l.v);
	free(ex);
	return rc;
}

/* One VEVENT: a single event, an override, or a series master. */
static int do_vevent(struct parse_ctx *c, const struct vev *e, struct vev **sorted, size_t nsorted)
{
	struct va_ical_event tmpl;
	struct when ws;
	int64_t secs;
	int ndays, rc = VA_OK;
	bool unknown = false, recurring;

	if (!prop_when(c, e->vcal, e->c, ICAL_DTSTART_PROPERTY, &ws, &unknown) ||
	    !event_length(c, e->vcal, e->c, &ws, &secs, &ndays, &unknown))
		goto out; /* unusable times: skipped */
	fill_common(e->c, e->uid, &tmpl);
	recurring = icalcomponent_get_first_property(e->c, ICAL_RRULE_PROPERTY) ||
		    icalcomponent_get_first_property(e->c, ICAL_RDATE_PROPERTY);

	if (e->has_rid) {
		/* An override is an occurrence of a series, reported in the window
		 * like the others (with its master or, when a server sends only
		 * the instance, without). */
		struct occ o = occ_at(c, &ws, ws.wall, secs, ndays);

		if (overlaps(c, o))
			rc = emit(c, &tmpl, o, ws.is_date, true);
	} else if (recurring) {
		rc = do_series(c, e, sorted, nsorted, &tmpl, &ws, secs, ndays, &unknown);
	} else {
		rc = emit(c, &tmpl, occ_at(c, &ws, ws.wall, secs, ndays), ws.is_date, false);
	}
out:
	if (unknown)
		c->unknown++;
	return rc;
}

/*
 * Whether libical found lines that are not iCalendar at all. It inserts
 * X-LIC-ERROR properties instead of failing; errors that only drop one
 * property (an empty DESCRIPTION, as Google writes, or an IANA property
 * libical does not know) are tolerated, as RFC 5545 asks of a reader.
 */
static bool has_structure_errors(icalcomponent *c)
{
	for (icalproperty *p = icalcomponent_get_first_property(c, ICAL_XLICERROR_PROPERTY); p;
	     p = icalcomponent_get_next_property(c, ICAL_XLICERROR_PROPERTY)) {
		icalparameter *t =
		    icalproperty_get_first_parameter(p, ICAL_XLICERRORTYPE_PARAMETER);

		if (!t ||
		    icalparameter_get_xlicerrortype(t) == ICAL_XLICERRORTYPE_COMPONENTPARSEERROR)
			return true;
	}
	for (icalcomponent *s = icalcomponent_get_first_component(c, ICAL_ANY_COMPONENT); s;
	     s = icalcomponent_get_next_component(c, ICAL_ANY_COMPONENT))
		if (has_structure_errors(s))
			return true;
	return false;
}

/*
 * Whether BEGIN/END nest, and shallowly. libical builds, counts and frees
 * components recursively, so thousands of nested BEGIN lines would overflow
 * the stack inside libical. Lines are unfolded as libical does before their
 * name is read, so a BEGIN split across a fold is still seen.
 */
static bool nesting_ok(const char *s, size_t len)
{
	int depth = 0;
	size_t i = 0;

	while (i < len) {
		char name[6];
		size_t k = 0, brk;

		/* The first characters of the logical line, folds removed. libical
		 * ends a line at LF, CR or CRLF. */
		while (i < len && k < sizeof(name)) {
			if (s[i] != '\r' && s[i] != '\n') {
				name[k++] = s[i++];
				continue;
			}
			brk = (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n') ? 2 : 1;
			if (i + brk < len && (s[i + brk] == ' ' || s[i + brk] == '\t')) {
				i += brk + 1;
				continue;
			}
			break;
		}
		if (k >= 6 && !strncasecmp(name, "BEGIN", 5) &&
		    (name[5] == ':' || name[5] == ';')) {
			if (++depth > VA_ICAL_MAX_DEPTH)
				return false;
		} else if (k >= 4 && !strncasecmp(name, "END", 3) &&
			   (name[3] == ':' || name[3] == ';')) {
			/* An END closing nothing: broken, and libical would
			 * print a warning to stderr for it. */
			if (depth-- == 0)
				return false;
		}
		/* Skip to the start of the next logical line. */
		while (i < len) {
			if (s[i] != '\r' && s[i] != '\n') {
				i++;
				continue;
			}
			brk = (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n') ? 2 : 1;
			i += brk;
			if (i < len && (s[i] == ' ' || s[i] == '\t'))
				continue;
			break;
		}
	}
	return true;
}

static void collect_vevents(icalcomponent *vcal, struct vev **v, size_t *n, size_t *cap)
{
	for (icalcomponent *e = icalcomponent_get_first_component(vcal, ICAL_VEVENT_COMPONENT); e;
	     e = icalcomponent_get_next_component(vcal, ICAL_VEVENT_COMPONENT)) {
		const char *uid = icalcomponent_get_uid(e);

		if (*n == *cap) {
			*cap = *cap ? *cap * 2 : 16;
			*v = va_xrealloc(*v, *cap * sizeof(**v));
		}
		(*v)[*n] = (struct vev){
		    e, vcal, uid ? uid : "", *n,
		    icalcomponent_get_first_property(e, ICAL_RECURRENCEID_PROPERTY) != NULL};
		(*n)++;
	}
}

int va_ical_parse(const char *text, size_t len, const char *zone, int64_t from, int64_t to,
		  va_ical_event_cb cb, void *arg, int *unknown_tz)
{
	struct parse_ctx c;
	icalcomponent *root = NULL;
	struct vev *v = NULL, **sorted = NULL;
	size_t n = 0, cap = 0, ncal = 0;
	char *copy = NULL;
	int rc = VA_OK;

	if (unknown_tz)
		*unknown_tz = 0;
	if ((!text && len) || !zone || !cb || to < from)
		return VA_E_INVAL;
	if (len > VA_ICAL_MAX_BYTES)
		return VA_E_TOOBIG;
	memset(&c, 0, sizeof(c));
	c.utc = icaltimezone_get_utc_timezone();
	if (!iana_name_ok(zone) || !(c.local = icaltimezone_get_builtin_timezone(zone)))
		return VA_E_INVAL;
	/* iCalendar years are 0001-9999; clamping keeps window arithmetic
	 * (to + a day) from overflowing on "everything" windows. */
	c.from = from < VA_ICAL_MIN_TIME ? VA_ICAL_MIN_TIME : from;
	c.to = to > VA_ICAL_MAX_TIME ? VA_ICAL_MAX_TIME : to;
	if (c.from > c.to)
		c.from = c.to;
	c.cb = cb;
	c.arg = arg;
	if (!nesting_ok(text, len))
		return VA_E_PARSE;

	/* libical wants a C string; the text may be neither terminated nor clean. */
	copy = va_xstrndup(text ? text : "", len);
	root = icalparser_parse_string(copy);
	if (!root || has_structure_errors(root)) {
		rc = VA_E_PARSE;
		goto out;
	}
	if (icalcomponent_isa(root) == ICAL_VCALENDAR_COMPONENT) {
		collect_vevents(root, &v, &n, &cap);
		ncal = 1;
	} else if (icalcomponent_isa(root) == ICAL_XROOT_COMPONENT) {
		/* Several VCALENDARs in one text (a concatenated feed). */
		for (icalcomponent *k =
			 icalcomponent_get_first_component(root, ICAL_VCALENDAR_COMPONENT);
		     k; k = icalcomponent_get_next_component(root, ICAL_VCALENDAR_COMPONENT)) {
			collect_vevents(k, &v, &n, &cap);
			ncal++;
		}
	}
	if (ncal == 0) {
		rc = VA_E_PARSE;
		goto out;
	}
	if (n) {
		sorted = va_xmalloc(n * sizeof(*sorted));
		for (size_t i = 0; i < n; i++)
			sorted[i] = &v[i];
		qsort(sorted, n, sizeof(*sorted), vev_cmp);
	}
	for (size_t i = 0; i < n && rc == VA_OK; i++)
		rc = do_vevent(&c, &v[i], sorted, n);
out:
	if (unknown_tz)
		*unknown_tz = c.unknown;
	free(sorted);
	free(v);
	if (root)
		icalcomponent_free(root);
	free(copy);
	return rc;
}
