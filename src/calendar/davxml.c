/* SPDX-License-Identifier: MIT */
/*
 * davxml.c - WebDAV/CalDAV multistatus bodies into plain structs, with
 * libxml2 (contract: davxml.h).
 *
 * Elements are matched by namespace URI and local name, never by prefix:
 * Radicale answers with a default DAV: namespace, SabreDAV with d:/cal:.
 * Text is read only from text and CDATA nodes, so an entity reference is
 * never expanded here; a body with a DTD is refused outright, since no DAV
 * server sends one and a DTD is the only way to declare entities. The parser
 * runs without XML_PARSE_NOENT, DTDLOAD or HUGE (libxml2's own expansion
 * and depth limits stay on) and with NONET.
 *
 * Not here: HTTP, deciding what a response means for sync (the caller's job).
 */
#include "calendar/davxml.h"
#include "core/alloc.h"
#include "core/err.h"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NS_DAV	  "DAV:"
#define NS_CALDAV "urn:ietf:params:xml:ns:caldav"
#define NS_CS	  "http://calendarserver.org/ns/"

/* Parser options: see the file comment for why each one is or is not here. */
#define VA_DAVXML_OPTIONS                                                                          \
	(XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA)

static bool is_el(const xmlNode *n, const char *ns, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
	       !strcmp((const char *)n->ns->href, ns) && !strcmp((const char *)n->name, name);
}

static xmlNode *first_child(const xmlNode *n, const char *ns, const char *name)
{
	for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
		if (is_el(c, ns, name))
			return c;
	return NULL;
}

/* The element's own text (text and CDATA children), malloc'ed. Entity
 * references are skipped, never expanded. */
static char *text_of(const xmlNode *n)
{
	size_t len = 0, off = 0;
	char *s;

	for (const xmlNode *c = n->children; c; c = c->next)
		if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content)
			len += strlen((const char *)c->content);
	s = va_xmalloc(len + 1);
	for (const xmlNode *c = n->children; c; c = c->next) {
		if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content) {
			size_t k = strlen((const char *)c->content);

			memcpy(s + off, c->content, k);
			off += k;
		}
	}
	s[off] = '\0';
	return s;
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Text with surrounding whitespace removed (a pretty-printed body indents). */
static char *trimmed_text(const xmlNode *n)
{
	char *s = text_of(n);
	size_t a = 0, b = strlen(s);

	while (a < b && is_ws(s[a]))
		a++;
	while (b > a && is_ws(s[b - 1]))
		b--;
	memmove(s, s + a, b - a);
	s[b - a] = '\0';
	return s;
}

/* An href's text, trimmed and percent-decoded; NULL when malformed. */
static char *href_of(const xmlNode *n)
{
	char *raw = trimmed_text(n), *out = NULL;
	size_t sz = strlen(raw) + 1; /* decoding never lengthens */

	out = va_xmalloc(sz);
	if (va_dav_href_decode(raw, out, sz) != VA_OK) {
		free(out);
		out = NULL;
	}
	free(raw);
	return out;
}

/* "HTTP/1.1 404 Not Found" -> 404; 0 when it is not a status line. */
static int status_code(const xmlNode *n)
{
	char *s = trimmed_text(n);
	const char *p = s;
	int code = 0;

	if (!strncasecmp(p, "HTTP/", 5)) {
		p += 5;
		while (*p && *p != ' ')
			p++;
		while (*p == ' ')
			p++;
		if (p[0] >= '1' && p[0] <= '5' && p[1] >= '0' && p[1] <= '9' && p[2] >= '0' &&
		    p[2] <= '9' && (p[3] == '\0' || p[3] == ' '))
			code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
	}
	free(s);
	return code;
}

/* Sets *dst from a property once: a second propstat repeating it is ignored. */
static void set_once(char **dst, char *val)
{
	if (*dst || !val)
		free(val);
	else
		*dst = val;
}

static void read_resourcetype(const xmlNode *prop, struct va_dav_resp *r)
{
	for (const xmlNode *c = prop->children; c; c = c->next) {
		if (is_el(c, NS_DAV, "collection"))
			r->collection = true;
		else if (is_el(c, NS_CALDAV, "calendar"))
			r->calendar = true;
	}
}

static void read_components(const xmlNode *prop, struct va_dav_resp *r)
{
	r->vevent = false;
	for (const xmlNode *c = prop->children; c; c = c->next) {
		xmlChar *name;

		if (!is_el(c, NS_CALDAV, "comp"))
			continue;
		name = xmlGetNoNsProp(c, (const xmlChar *)"name");
		if (name && !strcasecmp((const char *)name, "VEVENT"))
			r->vevent = true;
		xmlFree(name);
	}
}

/* The properties of one propstat whose status is 2xx. */
static void read_props(const xmlNode *prop, struct va_dav_resp *r)
{
	for (const xmlNode *p = prop->children; p; p = p->next) {
		const xmlNode *h;

		if (p->type != XML_ELEMENT_NODE)
			continue;
		if (is_el(p, NS_DAV, "getetag")) {
			set_once(&r->etag, trimmed_text(p));
		} else if (is_el(p, NS_CALDAV, "calendar-data")) {
			/* Verbatim: iCalendar's line structure is significant. */
			set_once(&r->calendar_data, text_of(p));
		} else if (is_el(p, NS_DAV, "displayname")) {
			set_once(&r->displayname, trimmed_text(p));
		} else if (is_el(p, NS_DAV, "current-user-principal")) {
			if ((h = first_child(p, NS_DAV, "href")))
				set_once(&r->principal, href_of(h));
		} else if (is_el(p, NS_CALDAV, "calendar-home-set")) {
			if ((h = first_child(p, NS_DAV, "href")))
				set_once(&r->home, href_of(h));
		} else if (is_el(p, NS_CS, "getctag")) {
			set_once(&r->ctag, trimmed_text(p));
		} else if (is_el(p, NS_DAV, "sync-token")) {
			set_once(&r->sync_token, trimmed_text(p));
		} else if (is_el(p, NS_DAV, "resourcetype")) {
			read_resourcetype(p, r);
		} else if (is_el(p, NS_CALDAV, "supported-calendar-component-set")) {
			read_components(p, r);
		}
	}
}

static void resp_release(struct va_dav_resp *r)
{
	free(r->href);
	free(r->etag);
	free(r->calendar_data);
	free(r->displayname);
	free(r->principal);
	free(r->home);
	free(r->ctag);
	free(r->sync_token);
	memset(r, 0, sizeof(*r));
}

static struct va_dav_resp *push(struct va_dav_multistatus *m, size_t *cap)
{
	if (m->n == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		m->v = va_xrealloc(m->v, *cap * sizeof(*m->v));
	}
	memset(&m->v[m->n], 0, sizeof(m->v[0]));
	return &m->v[m->n++];
}

/*
 * One <D:response>: either hrefs with a status (RFC 4918 allows several
 * hrefs sharing it; each becomes an entry) or one href with propstats. A 507
 * marks a truncated sync-collection and is not a member, so it only sets
 * m->truncated. A response whose href cannot be decoded is dropped: nothing
 * could address it.
 */
static void read_response(const xmlNode *resp, struct va_dav_multistatus *m, size_t *cap)
{
	const xmlNode *st = first_child(resp, NS_DAV, "status");
	int status = st ? status_code(st) : 0;
	struct va_dav_resp *r;
	bool first = true;

	if (status == 507) {
		m->truncated = true;
		return;
	}
	for (const xmlNode *h = resp->children; h; h = h->next) {
		char *href;

		if (!is_el(h, NS_DAV, "href"))
			continue;
		/* With propstats only the first href counts (RFC 4918 14.24). */
		if (!first && !st)
			break;
		first = false;
		if (!(href = href_of(h)))
			continue;
		r = push(m, cap);
		r->href = href;
		r->status = status;
		r->vevent = true; /* absent supported-calendar-component-set: any */
		if (st)
			continue;
		for (const xmlNode *ps = resp->children; ps; ps = ps->next) {
			const xmlNode *pst, *prop;
			int code;

			if (!is_el(ps, NS_DAV, "propstat"))
				continue;
			pst = first_child(ps, NS_DAV, "status");
			prop = first_child(ps, NS_DAV, "prop");
			code = pst ? status_code(pst) : 0;
			if (code == 507)
				m->truncated = true;
			if (prop && code >= 200 && code < 300)
				read_props(prop, r);
		}
	}
}

int va_dav_parse_multistatus(const char *xml, size_t len, struct va_dav_multistatus *out)
{
	xmlDoc *doc = NULL;
	xmlNode *root;
	size_t cap = 0;
	int rc = VA_OK;

	if (!out)
		return VA_E_INVAL;
	memset(out, 0, sizeof(*out));
	if (!xml && len)
		return VA_E_INVAL;
	if (len > VA_DAVXML_MAX_BYTES)
		return VA_E_TOOBIG;
	if (len == 0)
		return VA_E_PARSE;
	doc = xmlReadMemory(xml, (int)len, NULL, NULL, VA_DAVXML_OPTIONS);
	if (!doc || doc->intSubset || doc->extSubset) {
		rc = VA_E_PARSE;
		goto out;
	}
	root = xmlDocGetRootElement(doc);
	if (!is_el(root, NS_DAV, "multistatus")) {
		rc = VA_E_PARSE;
		goto out;
	}
	for (const xmlNode *c = root->children; c; c = c->next) {
		if (is_el(c, NS_DAV, "response"))
			read_response(c, out, &cap);
		else if (is_el(c, NS_DAV, "sync-token"))
			set_once(&out->sync_token, trimmed_text(c));
	}
out:
	if (rc != VA_OK)
		va_dav_multistatus_release(out);
	xmlFreeDoc(doc);
	return rc;
}

void va_dav_multistatus_release(struct va_dav_multistatus *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		resp_release(&m->v[i]);
	free(m->v);
	free(m->sync_token);
	memset(m, 0, sizeof(*m));
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int va_dav_href_decode(const char *in, char *out, size_t outsz)
{
	size_t o = 0;

	if (!in || !out || outsz == 0)
		return VA_E_INVAL;
	for (size_t i = 0; in[i]; i++) {
		char c = in[i];

		if (c == '%') {
			int hi = hexval(in[i + 1]), lo = hi < 0 ? -1 : hexval(in[i + 2]);

			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
				out[o] = '\0';
				return VA_E_PARSE;
			}
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		if (o + 1 >= outsz) {
			out[o] = '\0';
			return VA_E_TOOBIG;
		}
		out[o++] = c;
	}
	out[o] = '\0';
	return VA_OK;
}
