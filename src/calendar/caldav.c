/* SPDX-License-Identifier: MIT */
/*
 * caldav.c - CalDAV requests and discovery (caldav.h). Requests ride on the
 * server's shared libcurl multi handle; this file adds the WebDAV headers,
 * the credentials (only where they may go), the body cap, and collects the
 * ETag and Location the callers need.
 */
#include "calendar/caldav.h"

#include "calendar/davxml.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct va_dav_req {
	struct va_llm_req *http;
	struct va_buf body;
	struct va_dav_reply rep;
	va_dav_cb cb;
	void *arg;
};

/* ---- URLs ---------------------------------------------------------------- */

/* Length of "scheme://host[:port]" of an absolute http(s) URL; 0 if not one. */
static size_t origin_len(const char *url)
{
	const char *p;

	if (strncasecmp(url, "http://", 7) == 0)
		p = url + 7;
	else if (strncasecmp(url, "https://", 8) == 0)
		p = url + 8;
	else
		return 0;
	p += strcspn(p, "/?#");
	return (size_t)(p - url);
}

int va_dav_url_join(const char *base, const char *href, char *out, size_t outsz)
{
	size_t ol = origin_len(base);
	const char *slash;
	int n;

	if (!ol || !href)
		return VA_E_INVAL;
	if (origin_len(href))
		n = snprintf(out, outsz, "%s", href);
	else if (href[0] == '/')
		n = snprintf(out, outsz, "%.*s%s", (int)ol, base, href);
	else {
		/* Relative: replace what follows the base's last '/'. */
		slash = strrchr(base + ol, '/');
		if (!slash)
			n = snprintf(out, outsz, "%.*s/%s", (int)ol, base, href);
		else
			n = snprintf(out, outsz, "%.*s%s", (int)(slash + 1 - base), base, href);
	}
	if (n < 0 || (size_t)n >= outsz)
		return VA_E_TOOBIG;
	return VA_OK;
}

int va_dav_url_path(const char *url, char *out, size_t outsz)
{
	size_t ol = origin_len(url);
	char tmp[VA_CAL_URL_MAX];
	const char *p = ol ? url + ol : url;
	size_t n = strcspn(p, "?#");

	if (n == 0)
		return va_strlcpy(out, "/", outsz) == VA_OK ? VA_OK : VA_E_TOOBIG;
	if (n >= sizeof(tmp))
		return VA_E_TOOBIG;
	memcpy(tmp, p, n);
	tmp[n] = '\0';
	return va_dav_href_decode(tmp, out, outsz);
}

/* The last two labels of the host ("icloud.com" of "p42-caldav.icloud.com"). */
static void host_suffix(const char *url, char *out, size_t outsz)
{
	size_t ol = origin_len(url);
	const char *h = strstr(url, "://");
	char host[256];
	size_t n;
	char *dot1, *dot2 = NULL;

	out[0] = '\0';
	if (!ol || !h)
		return;
	h += 3;
	n = (size_t)(url + ol - h);
	if (n >= sizeof(host))
		return;
	memcpy(host, h, n);
	host[n] = '\0';
	host[strcspn(host, ":@")] = '\0';
	dot1 = strrchr(host, '.');
	if (dot1) {
		*dot1 = '\0';
		dot2 = strrchr(host, '.');
		*dot1 = '.';
	}
	va_strlcpy(out, dot2 ? dot2 + 1 : host, outsz);
}

bool va_dav_creds_allowed(const char *cal_url, const char *url)
{
	size_t a = origin_len(cal_url), b = origin_len(url);
	char sa[256], sb[256];

	if (!a || !b)
		return false;
	if (a == b && strncasecmp(cal_url, url, a) == 0)
		return true;
	/* Another host of the same provider, never from https down to http. */
	if (strncasecmp(url, "https://", 8) != 0 || strncasecmp(cal_url, "https://", 8) != 0)
		return false;
	host_suffix(cal_url, sa, sizeof(sa));
	host_suffix(url, sb, sizeof(sb));
	return sa[0] && strchr(sa, '.') && strcasecmp(sa, sb) == 0;
}

/* ---- requests ------------------------------------------------------------ */

static void on_header(struct va_llm_req *hr, const char *name, size_t nlen, const char *value,
		      size_t vlen, void *arg)
{
	struct va_dav_req *r = arg;

	if (nlen == 4 && strncasecmp(name, "ETag", 4) == 0 && vlen < sizeof(r->rep.etag)) {
		memcpy(r->rep.etag, value, vlen);
		r->rep.etag[vlen] = '\0';
	} else if (nlen == 8 && strncasecmp(name, "Location", 8) == 0 &&
		   vlen < sizeof(r->rep.location)) {
		memcpy(r->rep.location, value, vlen);
		r->rep.location[vlen] = '\0';
	}
}

static void on_headers(struct va_llm_req *hr, long status, long retry_after_s, void *arg)
{
	struct va_dav_req *r = arg;

	r->rep.status = status;
}

static void finish(struct va_dav_req *r, int err, long status);

static int on_data(struct va_llm_req *hr, const char *p, size_t n, void *arg)
{
	struct va_dav_req *r = arg;

	if (va_buf_append(&r->body, p, n) != VA_OK) {
		/* Past the cap: stop reading now and say so. A non-zero return
		 * makes the client drop the transfer without calling back, so
		 * this is the request's completion. */
		finish(r, VA_E_TOOBIG, r->rep.status);
		return 1;
	}
	return 0;
}

static void finish(struct va_dav_req *r, int err, long status)
{
	r->rep.err = err;
	r->rep.status = status;
	r->rep.body = va_buf_cstr(&r->body);
	r->rep.len = r->body.len;
	r->cb(&r->rep, r->arg);
	va_buf_release(&r->body);
	free(r);
}

static void on_done(struct va_llm_req *hr, int err, long status, void *arg)
{
	finish(arg, err, status);
}

static const struct va_llm_req_cbs dav_cbs = {
    .on_headers = on_headers,
    .on_data = on_data,
    .on_done = on_done,
    .on_header = on_header,
};

static int auth_header(const struct va_calendar *cal, char *out, size_t outsz)
{
	char plain[sizeof(cal->username) + sizeof(cal->secret) + 2];
	unsigned char b64[((sizeof(plain) + 2) / 3) * 4 + 1];
	int n;

	out[0] = '\0';
	if (cal->auth == VA_CAL_AUTH_BEARER) {
		n = snprintf(out, outsz, "Authorization: Bearer %s", cal->secret);
	} else if (cal->auth == VA_CAL_AUTH_BASIC && (cal->username[0] || cal->secret[0])) {
		n = snprintf(plain, sizeof(plain), "%s:%s", cal->username, cal->secret);
		if (n < 0 || (size_t)n >= sizeof(plain))
			return VA_E_TOOBIG;
		EVP_EncodeBlock(b64, (const unsigned char *)plain, n);
		explicit_bzero(plain, sizeof(plain));
		n = snprintf(out, outsz, "Authorization: Basic %s", (const char *)b64);
		explicit_bzero(b64, sizeof(b64));
	} else {
		return VA_OK;
	}
	if (n < 0 || (size_t)n >= outsz || strpbrk(out, "\r\n"))
		return VA_E_INVAL;
	return VA_OK;
}

int va_dav_request(struct va_llm_http *http, const struct va_calendar *cal,
		   const struct va_dav_opts *o, va_dav_cb cb, void *arg, struct va_dav_req **out)
{
	char auth[sizeof(cal->username) + sizeof(cal->secret) * 2 + 64];
	char depth[32], ifm[300], ctype[128];
	const char *hdrs[8];
	struct va_dav_req *r;
	size_t k = 0;
	int rc;

	if (out)
		*out = NULL;
	if (!http || !cal || !o || !o->method || !o->url || !cb || !origin_len(o->url))
		return VA_E_INVAL;
	if (va_dav_creds_allowed(cal->url, o->url)) {
		rc = auth_header(cal, auth, sizeof(auth));
		if (rc)
			return rc;
		if (auth[0])
			hdrs[k++] = auth;
	}
	if (o->depth) {
		snprintf(depth, sizeof(depth), "Depth: %s", o->depth);
		hdrs[k++] = depth;
	}
	if (o->if_match && o->if_match[0]) {
		if (snprintf(ifm, sizeof(ifm), "If-Match: %s", o->if_match) >= (int)sizeof(ifm))
			return VA_E_INVAL;
		hdrs[k++] = ifm;
	} else if (o->if_none_match) {
		hdrs[k++] = "If-None-Match: *";
	}
	if (o->content_type) {
		snprintf(ctype, sizeof(ctype), "Content-Type: %s", o->content_type);
		hdrs[k++] = ctype;
	}
	hdrs[k] = NULL;

	r = va_xcalloc(1, sizeof(*r));
	va_buf_init(&r->body, VA_CALDAV_MAX_BODY);
	r->cb = cb;
	r->arg = arg;
	rc = va_llm_http_request(http, o->method, o->url, hdrs, o->body, o->body ? o->len : 0,
				 o->timeout_ms ? o->timeout_ms : VA_CALDAV_TIMEOUT_MS, &dav_cbs, r,
				 &r->http);
	explicit_bzero(auth, sizeof(auth));
	if (rc) {
		va_buf_release(&r->body);
		free(r);
		return rc;
	}
	if (out)
		*out = r;
	return VA_OK;
}

void va_dav_req_abort(struct va_dav_req *r)
{
	if (!r)
		return;
	va_llm_req_abort(r->http);
	va_buf_release(&r->body);
	free(r);
}

/* ---- discovery ----------------------------------------------------------- */

#define MAX_HOPS 8

static const char propfind_start[] =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
    "<d:propfind xmlns:d=\"DAV:\" xmlns:c=\"urn:ietf:params:xml:ns:caldav\">"
    "<d:prop><d:current-user-principal/><d:resourcetype/><d:displayname/>"
    "<c:calendar-home-set/><c:supported-calendar-component-set/></d:prop></d:propfind>";

static const char propfind_list[] =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
    "<d:propfind xmlns:d=\"DAV:\" xmlns:c=\"urn:ietf:params:xml:ns:caldav\">"
    "<d:prop><d:resourcetype/><d:displayname/><c:supported-calendar-component-set/>"
    "</d:prop></d:propfind>";

enum disc_step { STEP_START, STEP_PRINCIPAL, STEP_LIST };

struct discover {
	struct va_llm_http *http;
	struct va_calendar cal; /* credentials; cal.url is the first URL */
	char url[VA_CAL_URL_MAX];
	enum disc_step step;
	bool tried_well_known;
	int hops;
	va_dav_discover_cb cb;
	void *arg;
};

static void disc_finish(struct discover *d, int err, const struct va_dav_found *f, size_t n,
			const char *why)
{
	d->cb(err, f, n, why, d->arg);
	explicit_bzero(&d->cal, sizeof(d->cal));
	free(d);
}

static void disc_reply(const struct va_dav_reply *rep, void *arg);

static void disc_send(struct discover *d)
{
	struct va_dav_opts o = {
	    .method = "PROPFIND",
	    .url = d->url,
	    .depth = d->step == STEP_LIST ? "1" : "0",
	    .content_type = "application/xml; charset=utf-8",
	    .body = d->step == STEP_LIST ? propfind_list : propfind_start,
	};
	int rc;

	o.len = strlen(o.body);
	if (++d->hops > MAX_HOPS) {
		disc_finish(d, VA_E_NOTFOUND, NULL, 0, "too many redirects or steps");
		return;
	}
	rc = va_dav_request(d->http, &d->cal, &o, disc_reply, d, NULL);
	if (rc)
		disc_finish(d, rc, NULL, 0, "could not start the request");
}

static bool try_well_known(struct discover *d)
{
	size_t ol = origin_len(d->cal.url);

	if (d->tried_well_known || !ol || ol + 17 >= sizeof(d->url))
		return false;
	d->tried_well_known = true;
	snprintf(d->url, sizeof(d->url), "%.*s/.well-known/caldav", (int)ol, d->cal.url);
	d->step = STEP_START;
	disc_send(d);
	return true;
}

/* The response about the URL asked for (servers may list others). */
static const struct va_dav_resp *self_resp(const struct va_dav_multistatus *ms, const char *url)
{
	char want[VA_CAL_URL_MAX], got[VA_CAL_URL_MAX];
	size_t i, wl, gl;

	if (va_dav_url_path(url, want, sizeof(want)) != VA_OK)
		return ms->n ? &ms->v[0] : NULL;
	wl = strlen(want);
	while (wl > 1 && want[wl - 1] == '/')
		want[--wl] = '\0';
	for (i = 0; i < ms->n; i++) {
		if (!ms->v[i].href || va_dav_url_path(ms->v[i].href, got, sizeof(got)) != VA_OK)
			continue;
		gl = strlen(got);
		while (gl > 1 && got[gl - 1] == '/')
			got[--gl] = '\0';
		if (strcmp(want, got) == 0)
			return &ms->v[i];
	}
	return ms->n ? &ms->v[0] : NULL;
}

static void disc_list(struct discover *d, const struct va_dav_multistatus *ms)
{
	struct va_dav_found *f = NULL;
	size_t i, n = 0;

	if (ms->n)
		f = va_xcalloc(ms->n, sizeof(*f));
	for (i = 0; i < ms->n; i++) {
		const struct va_dav_resp *x = &ms->v[i];
		size_t l;

		if (!x->href || !x->calendar || !x->vevent)
			continue;
		if (va_dav_url_join(d->url, x->href, f[n].url, sizeof(f[n].url) - 1) != VA_OK)
			continue;
		l = strlen(f[n].url);
		if (f[n].url[l - 1] != '/') {
			f[n].url[l] = '/';
			f[n].url[l + 1] = '\0';
		}
		va_strlcpy(f[n].name, x->displayname ? x->displayname : "", sizeof(f[n].name));
		n++;
	}
	disc_finish(d, VA_OK, f, n, n ? "" : "the account has no calendar for events");
	free(f);
}

static void disc_reply(const struct va_dav_reply *rep, void *arg)
{
	struct discover *d = arg;
	struct va_dav_multistatus ms = {0};
	const struct va_dav_resp *self;
	char next[VA_CAL_URL_MAX];
	int rc;

	if (rep->err != VA_OK) {
		disc_finish(d, rep->err == VA_E_TOOBIG ? VA_E_TOOBIG : rep->err, NULL, 0,
			    rep->err == VA_E_TIMEOUT ? "the server did not answer in time"
						     : "could not reach the server");
		return;
	}
	if (rep->status >= 300 && rep->status < 400 && rep->location[0]) {
		if (va_dav_url_join(d->url, rep->location, next, sizeof(next)) != VA_OK) {
			disc_finish(d, VA_E_PARSE, NULL, 0, "bad redirect");
			return;
		}
		va_strlcpy(d->url, next, sizeof(d->url));
		disc_send(d);
		return;
	}
	if (rep->status == 401 || rep->status == 403) {
		disc_finish(d, VA_E_AUTH, NULL, 0, "the server refused the credentials");
		return;
	}
	if (rep->status != 207) {
		if (d->step == STEP_START && try_well_known(d))
			return;
		disc_finish(d, VA_E_NOTFOUND, NULL, 0, "no CalDAV service at that address");
		return;
	}
	rc = va_dav_parse_multistatus(rep->body, rep->len, &ms);
	if (rc) {
		disc_finish(d, rc, NULL, 0, "the server's answer is not valid WebDAV XML");
		return;
	}
	if (d->step == STEP_LIST) {
		disc_list(d, &ms);
		goto out;
	}
	self = self_resp(&ms, d->url);
	if (self && self->calendar) {
		/* The address is a calendar collection itself. */
		struct va_dav_found f = {0};
		size_t l;

		va_strlcpy(f.url, d->url, sizeof(f.url) - 1);
		l = strlen(f.url);
		if (f.url[l - 1] != '/') {
			f.url[l] = '/';
			f.url[l + 1] = '\0';
		}
		va_strlcpy(f.name, self->displayname ? self->displayname : "", sizeof(f.name));
		disc_finish(d, VA_OK, &f, 1, "");
		goto out;
	}
	if (self && self->home &&
	    va_dav_url_join(d->url, self->home, next, sizeof(next)) == VA_OK) {
		va_strlcpy(d->url, next, sizeof(d->url));
		d->step = STEP_LIST;
		disc_send(d);
		goto out;
	}
	if (d->step == STEP_START && self && self->principal &&
	    va_dav_url_join(d->url, self->principal, next, sizeof(next)) == VA_OK) {
		va_strlcpy(d->url, next, sizeof(d->url));
		d->step = STEP_PRINCIPAL;
		disc_send(d);
		goto out;
	}
	if (!(d->step == STEP_START && try_well_known(d)))
		disc_finish(d, VA_E_NOTFOUND, NULL, 0, "no calendar home found for this account");
out:
	va_dav_multistatus_release(&ms);
}

int va_dav_discover(struct va_llm_http *http, const struct va_calendar *cal, va_dav_discover_cb cb,
		    void *arg)
{
	struct discover *d;

	if (!http || !cal || !cb || !origin_len(cal->url))
		return VA_E_INVAL;
	d = va_xcalloc(1, sizeof(*d));
	d->http = http;
	d->cal = *cal;
	d->cb = cb;
	d->arg = arg;
	va_strlcpy(d->url, cal->url, sizeof(d->url));
	d->step = STEP_START;
	disc_send(d);
	return VA_OK;
}
