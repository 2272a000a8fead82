/* SPDX-License-Identifier: MIT */
/*
 * caldav.h - CalDAV requests on the server's event loop (libcurl multi, via
 * the shared HTTP client), and the discovery walk from a server's base URL
 * to its calendars (RFC 6764 .well-known, RFC 5397 principal, RFC 4791
 * calendar-home-set, PROPFIND Depth 1).
 *
 * Credentials go only where they belong: the calendar's own origin (scheme,
 * host, port), or a sibling host of the same provider over https (iCloud
 * serves each account from its own pNN host). Authorization headers are never
 * logged. Every response body is capped (VA_CALDAV_MAX_BODY).
 */
#ifndef VA_CALENDAR_CALDAV_H
#define VA_CALENDAR_CALDAV_H

#include "calendar/calendar.h"
#include "llm/http_stream.h"

#include <stdbool.h>
#include <stddef.h>

#define VA_CALDAV_MAX_BODY   (4u << 20)
#define VA_CALDAV_TIMEOUT_MS 15000L

struct va_dav_reply {
	int err;     /* VA_OK (a response arrived), VA_E_IO, VA_E_TIMEOUT, VA_E_TOOBIG */
	long status; /* HTTP status; 0 when no response arrived */
	char etag[256];
	char location[VA_CAL_URL_MAX];
	const char *body; /* NUL-terminated; valid during the callback */
	size_t len;
};

typedef void (*va_dav_cb)(const struct va_dav_reply *rep, void *arg);

struct va_dav_req;

/* One request to url (absolute) with cal's credentials when url is within
 * their reach. depth, if_match, content_type may be NULL; if_none_match adds
 * "If-None-Match: *". cb runs exactly once unless the call fails or the
 * request is aborted. */
struct va_dav_opts {
	const char *method;
	const char *url;
	const char *depth;
	const char *if_match;
	bool if_none_match;
	const char *content_type;
	const char *body;
	size_t len;
	long timeout_ms; /* 0 = VA_CALDAV_TIMEOUT_MS */
};
int va_dav_request(struct va_llm_http *http, const struct va_calendar *cal,
		   const struct va_dav_opts *o, va_dav_cb cb, void *arg, struct va_dav_req **out);
void va_dav_req_abort(struct va_dav_req *r);

/* URL helpers. Joins href (absolute URL, absolute path or relative) to base;
 * VA_E_TOOBIG / VA_E_INVAL. */
int va_dav_url_join(const char *base, const char *href, char *out, size_t outsz);
/* The path of an absolute URL ("/" when none), percent-decoded. */
int va_dav_url_path(const char *url, char *out, size_t outsz);
/* May cal's credentials be sent to url? */
bool va_dav_creds_allowed(const char *cal_url, const char *url);

/* A calendar found by discovery. */
struct va_dav_found {
	char url[VA_CAL_URL_MAX]; /* absolute collection URL, ending in '/' */
	char name[128];		  /* displayname ("" when none) */
};

/* err VA_OK with n >= 0 calendars (n 0: the account has none that hold
 * events); VA_E_AUTH when the server refused the credentials; VA_E_NOTFOUND
 * when no CalDAV service was found; VA_E_IO/VA_E_TIMEOUT/VA_E_PARSE.
 * why: a short human reason (never a secret). found valid during the call. */
typedef void (*va_dav_discover_cb)(int err, const struct va_dav_found *found, size_t n,
				   const char *why, void *arg);
/* Starts discovery from cal->url (a server base URL, a principal, a home
 * or a calendar collection) with cal's credentials. */
int va_dav_discover(struct va_llm_http *http, const struct va_calendar *cal, va_dav_discover_cb cb,
		    void *arg);

#endif
