/* SPDX-License-Identifier: MIT */
/* router.c - path to route; ids restricted to [A-Za-z0-9_-]{1,63}. */
#include "http/router.h"

#include <string.h>

static const char *const route_names[] = {
    "not_found",    "healthz",	     "voice",	     "voice_stream", "voice_action", "voice_gather",
    "relay_status", "conversation",  "tenants",	     "tenant",	     "appointments", "appointment",
    "calendar",	    "calendar_item", "calendar_ics", "voice_media",
};

const char *va_route_name(enum va_route r)
{
	return (size_t)r < sizeof(route_names) / sizeof(route_names[0]) ? route_names[r] : "?";
}

static int id_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

/* Splits path into at most max segments; returns the count, or -1 when a
 * segment is empty or there are too many. */
static int split(const char *p, size_t len, const char **seg, size_t *seglen, int max)
{
	int n = 0;
	size_t i = 0;

	if (len == 0 || p[0] != '/')
		return -1;
	if (len > 1 && p[len - 1] == '/')
		len--; /* one trailing slash */
	i = 1;
	if (len == 1)
		return 0;
	while (i <= len) {
		size_t s = i;
		while (i < len && p[i] != '/')
			i++;
		if (i == s || n == max)
			return -1;
		seg[n] = p + s;
		seglen[n] = i - s;
		n++;
		i++;
	}
	return n;
}

static int is(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

static int take_id(const char *s, size_t n, char *dst)
{
	if (n == 0 || n >= VA_ROUTE_ID_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!id_char(s[i]))
			return 0;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 1;
}

void va_route_match(const char *path, size_t len, struct va_route_match *m)
{
	const char *seg[7];
	size_t sl[7];
	int n;

	memset(m, 0, sizeof(*m));
	n = split(path, len, seg, sl, 7);
	if (n == 1 && is(seg[0], sl[0], "healthz")) {
		m->route = VA_ROUTE_HEALTHZ;
		return;
	}
	if (n < 3 || !is(seg[0], sl[0], "api") || !is(seg[1], sl[1], "v1"))
		return;
	if (is(seg[2], sl[2], "voice") && (n == 4 || n == 5)) {
		if (!take_id(seg[3], sl[3], m->tenant_id))
			return;
		if (n == 4)
			m->route = VA_ROUTE_VOICE;
		else if (is(seg[4], sl[4], "stream"))
			m->route = VA_ROUTE_VOICE_STREAM;
		else if (is(seg[4], sl[4], "action"))
			m->route = VA_ROUTE_VOICE_ACTION;
		else if (is(seg[4], sl[4], "gather"))
			m->route = VA_ROUTE_VOICE_GATHER;
		else if (is(seg[4], sl[4], "media"))
			m->route = VA_ROUTE_VOICE_MEDIA;
		if (m->route == VA_ROUTE_NOT_FOUND)
			m->tenant_id[0] = '\0';
		return;
	}
	if (n == 4 && is(seg[2], sl[2], "relay") && is(seg[3], sl[3], "status")) {
		m->route = VA_ROUTE_RELAY_STATUS;
		return;
	}
	if (n == 4 && is(seg[2], sl[2], "conversations")) {
		if (take_id(seg[3], sl[3], m->session_id))
			m->route = VA_ROUTE_CONVERSATION;
		return;
	}
	if (is(seg[2], sl[2], "tenants")) {
		if (n == 3)
			m->route = VA_ROUTE_TENANTS;
		else if (n == 4 && take_id(seg[3], sl[3], m->tenant_id))
			m->route = VA_ROUTE_TENANT;
		else if (n >= 5 && is(seg[4], sl[4], "appointments") &&
			 take_id(seg[3], sl[3], m->tenant_id)) {
			if (n == 5)
				m->route = VA_ROUTE_APPOINTMENTS;
			else if (n == 6 && take_id(seg[5], sl[5], m->item_id))
				m->route = VA_ROUTE_APPOINTMENT;
		} else if (n == 5 && is(seg[4], sl[4], "calendar.ics") &&
			   take_id(seg[3], sl[3], m->tenant_id)) {
			m->route = VA_ROUTE_CALENDAR_ICS;
		} else if (n >= 5 && is(seg[4], sl[4], "calendar") &&
			   take_id(seg[3], sl[3], m->tenant_id)) {
			if (n == 5)
				m->route = VA_ROUTE_CALENDAR;
			else if (n == 6 && take_id(seg[5], sl[5], m->item_id))
				m->route = VA_ROUTE_CALENDAR_ITEM;
		}
		if (m->route == VA_ROUTE_NOT_FOUND)
			m->tenant_id[0] = '\0';
	}
}
