/* SPDX-License-Identifier: MIT */
/*
 * davxml.h - reading WebDAV / CalDAV XML (RFC 4918 multistatus, RFC 4791,
 * RFC 6578 sync-collection, RFC 5397 current-user-principal), with libxml2,
 * namespace-aware: servers pick their own prefixes (Radicale a default DAV:
 * namespace, SabreDAV d:/cal:), so nothing here matches on prefixes.
 * Pure: no I/O, no network entities (XML_PARSE_NONET, no DTD loading, no
 * entity expansion); safe on hostile input (fuzzed).
 */
#ifndef VA_CALENDAR_DAVXML_H
#define VA_CALENDAR_DAVXML_H

#include <stdbool.h>
#include <stddef.h>

#define VA_DAVXML_MAX_BYTES (8u << 20)

/* One <D:response>. Strings are malloc'ed and NUL-terminated, NULL when
 * absent. Properties come only from propstats whose status is 2xx. */
struct va_dav_resp {
	char *href;	     /* percent-decoded, as given (path or absolute URL) */
	int status;	     /* the response's own <D:status> code (a sync-collection
			      * deletion is 404); 0 when it has none (props only) */
	char *etag;	     /* D:getetag, verbatim (quotes kept) */
	char *calendar_data; /* C:calendar-data text */
	char *displayname;   /* D:displayname */
	char *principal;     /* D:current-user-principal/D:href, decoded */
	char *home;	     /* C:calendar-home-set/D:href (first), decoded */
	char *ctag;	     /* CS:getctag */
	char *sync_token;    /* D:sync-token as a property */
	bool collection;     /* D:resourcetype has D:collection */
	bool calendar;	     /* D:resourcetype has C:calendar */
	bool vevent;	     /* C:supported-calendar-component-set lists VEVENT,
			      * or the property is absent (RFC 4791: any) */
};

struct va_dav_multistatus {
	struct va_dav_resp *v; /* owned array */
	size_t n;
	char *sync_token; /* top-level D:sync-token of a sync-collection answer */
	bool truncated;	  /* a response carried status 507 (more to fetch) */
};

/* Parses a 207 body. VA_E_PARSE when it is not XML or its root is not
 * D:multistatus, VA_E_TOOBIG above VA_DAVXML_MAX_BYTES. On error *out is
 * left empty (safe to release). */
int va_dav_parse_multistatus(const char *xml, size_t len, struct va_dav_multistatus *out);
/* Frees what parse allocated and empties *m. Accepts NULL. */
void va_dav_multistatus_release(struct va_dav_multistatus *m);

/* Decodes %XX escapes of an href into out (NUL-terminated). VA_E_PARSE for
 * a malformed escape or a decoded NUL, VA_E_TOOBIG when out is too small. */
int va_dav_href_decode(const char *in, char *out, size_t outsz);

#endif
