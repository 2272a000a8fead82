/* SPDX-License-Identifier: MIT */
/*
 * client.c - blocking HTTP, webhook and WebSocket client playing Twilio's
 * part (see client.h). Plain POSIX sockets; every wait is a poll() against an
 * overall deadline, so a silent server can never hang a test.
 */
#include "sim/client.h"

#include "core/alloc.h"
#include "core/clock.h"
#include "core/err.h"

#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <fcntl.h>

#define DEFAULT_TIMEOUT_MS 10000
#define MAX_HEADERS	   (64 * 1024)
#define USER_AGENT	   "voiceai-sim/1.0"

/* ---- URLs ---- */

int va_sim_url_parse(const char *url, struct va_sim_url *out)
{
	const char *p, *auth, *auth_end, *host_end;
	size_t sl, hl;

	memset(out, 0, sizeof(*out));
	if (!url)
		return VA_E_INVAL;
	p = strstr(url, "://");
	if (!p || p == url || (size_t)(p - url) >= sizeof(out->scheme))
		return VA_E_INVAL;
	sl = (size_t)(p - url);
	for (size_t i = 0; i < sl; i++)
		out->scheme[i] = (char)tolower((unsigned char)url[i]);
	if (strcmp(out->scheme, "http") == 0 || strcmp(out->scheme, "ws") == 0)
		snprintf(out->port, sizeof(out->port), "80");
	else if (strcmp(out->scheme, "https") == 0 || strcmp(out->scheme, "wss") == 0)
		snprintf(out->port, sizeof(out->port), "443");
	else
		return VA_E_INVAL;
	auth = p + 3;
	auth_end = auth + strcspn(auth, "/?#");
	/* userinfo is never part of what we connect to */
	for (const char *q = auth; q < auth_end; q++)
		if (*q == '@')
			auth = q + 1;
	if (*auth == '[') {
		const char *rb = memchr(auth, ']', (size_t)(auth_end - auth));
		if (!rb)
			return VA_E_INVAL;
		hl = (size_t)(rb - auth - 1);
		if (hl == 0 || hl >= sizeof(out->host))
			return VA_E_INVAL;
		memcpy(out->host, auth + 1, hl);
		host_end = rb + 1;
		if (host_end != auth_end && *host_end != ':')
			return VA_E_INVAL;
	} else {
		host_end = memchr(auth, ':', (size_t)(auth_end - auth));
		if (!host_end)
			host_end = auth_end;
		hl = (size_t)(host_end - auth);
		if (hl == 0 || hl >= sizeof(out->host))
			return VA_E_INVAL;
		memcpy(out->host, auth, hl);
	}
	if (host_end < auth_end && *host_end == ':') {
		size_t pl = (size_t)(auth_end - host_end - 1);
		long port = 0;
		if (pl == 0 || pl > 5)
			return VA_E_INVAL;
		for (size_t i = 0; i < pl; i++) {
			char c = host_end[1 + i];
			if (c < '0' || c > '9')
				return VA_E_INVAL;
			port = port * 10 + (c - '0');
		}
		if (port < 1 || port > 65535)
			return VA_E_INVAL;
		snprintf(out->port, sizeof(out->port), "%ld", port);
		out->port_given = true;
	}
	if (*auth_end == '\0' || *auth_end == '#') {
		snprintf(out->path, sizeof(out->path), "/");
	} else {
		size_t pl = strcspn(auth_end, "#");
		if (*auth_end == '?') {
			if (pl + 2 > sizeof(out->path))
				return VA_E_INVAL;
			out->path[0] = '/';
			memcpy(out->path + 1, auth_end, pl);
		} else {
			if (pl + 1 > sizeof(out->path))
				return VA_E_INVAL;
			memcpy(out->path, auth_end, pl);
		}
	}
	return VA_OK;
}

void va_sim_url_authority(const struct va_sim_url *u, char *dst, size_t dstsz)
{
	bool v6 = strchr(u->host, ':') != NULL;

	snprintf(dst, dstsz, "%s%s%s%s%s", v6 ? "[" : "", u->host, v6 ? "]" : "",
		 u->port_given ? ":" : "", u->port_given ? u->port : "");
}

/* ---- sockets ---- */

static int ms_left(uint64_t deadline_ns)
{
	uint64_t now = va_clock_mono_ns();

	if (now >= deadline_ns)
		return 0;
	return (int)((deadline_ns - now + 999999) / 1000000);
}

static uint64_t deadline_in(int timeout_ms)
{
	return va_clock_mono_ns() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000000ULL;
}

/* Connects a non-blocking TCP socket to host:port before the deadline. */
static int tcp_connect(const char *host, const char *port, uint64_t deadline, int *fd_out)
{
	struct addrinfo hints = {0}, *res = NULL, *ai;
	int rc = VA_E_IO, fd = -1;

	*fd_out = -1;
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return VA_E_IO;
	for (ai = res; ai; ai = ai->ai_next) {
		int one = 1, err = 0;
		socklen_t elen = sizeof(err);
		struct pollfd pfd;
		int pr;

		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			goto connected;
		if (errno != EINPROGRESS) {
			close(fd);
			fd = -1;
			continue;
		}
		pfd.fd = fd;
		pfd.events = POLLOUT;
		do {
			pr = poll(&pfd, 1, ms_left(deadline));
		} while (pr < 0 && errno == EINTR);
		if (pr == 0) {
			close(fd);
			fd = -1;
			rc = VA_E_TIMEOUT;
			goto out;
		}
		if (pr < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0 || err != 0) {
			close(fd);
			fd = -1;
			continue;
		}
		goto connected;
	}
	goto out;
connected:
	*fd_out = fd;
	rc = VA_OK;
out:
	freeaddrinfo(res);
	return rc;
}

static int send_all(int fd, const void *data, size_t len, uint64_t deadline)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd pfd = {.fd = fd, .events = POLLOUT};
			int pr = poll(&pfd, 1, ms_left(deadline));
			if (pr == 0)
				return VA_E_TIMEOUT;
			if (pr < 0 && errno != EINTR)
				return VA_E_IO;
			continue;
		}
		return VA_E_IO;
	}
	return VA_OK;
}

/* Reads what is available, waiting until the deadline. *n = 0 at EOF.
 * VA_E_TIMEOUT, VA_E_IO on error; a reset counts as EOF (the peer is gone). */
static int recv_some(int fd, void *buf, size_t cap, uint64_t deadline, bool wait, size_t *n)
{
	*n = 0;
	for (;;) {
		ssize_t r = recv(fd, buf, cap, 0);
		if (r >= 0) {
			*n = (size_t)r;
			return VA_OK;
		}
		if (errno == EINTR)
			continue;
		if (errno == ECONNRESET)
			return VA_OK;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return VA_E_IO;
		{
			struct pollfd pfd = {.fd = fd, .events = POLLIN};
			int pr = poll(&pfd, 1, wait ? ms_left(deadline) : 0);
			if (pr == 0)
				return VA_E_TIMEOUT;
			if (pr < 0 && errno != EINTR)
				return VA_E_IO;
		}
	}
}

/* ---- HTTP ---- */

static bool has_crlf(const char *s)
{
	return s && strpbrk(s, "\r\n") != NULL;
}

int va_sim_header_get(const char *headers, const char *name, char *dst, size_t dstsz)
{
	size_t nl = strlen(name);
	const char *line = strstr(headers, "\r\n"); /* skip the status line */

	if (dstsz)
		dst[0] = '\0';
	while (line) {
		const char *v, *eol;
		size_t vl;

		line += 2;
		eol = strstr(line, "\r\n");
		if (!eol || eol == line)
			break;
		if (strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
			v = line + nl + 1;
			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			vl = (size_t)(eol - v);
			while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
				vl--;
			if (vl + 1 > dstsz) {
				if (dstsz) {
					memcpy(dst, v, dstsz - 1);
					dst[dstsz - 1] = '\0';
				}
				return VA_E_TOOBIG;
			}
			memcpy(dst, v, vl);
			dst[vl] = '\0';
			return VA_OK;
		}
		line = eol;
	}
	return VA_E_NOTFOUND;
}

/* Decodes a chunked body from raw[0..n) into out (reset first). *complete is
 * set once the last chunk and the trailer were seen. */
static int dechunk(const char *raw, size_t n, struct va_buf *out, bool *complete)
{
	size_t pos = 0;

	va_buf_reset(out);
	*complete = false;
	for (;;) {
		const char *eol = NULL;
		unsigned long long sz = 0;
		size_t i;
		int digits = 0, rc;

		for (i = pos; i + 1 < n; i++) {
			if (raw[i] == '\r' && raw[i + 1] == '\n') {
				eol = raw + i;
				break;
			}
		}
		if (!eol)
			return i - pos > 1024 ? VA_E_PARSE : VA_OK;
		for (i = pos; raw + i < eol && isxdigit((unsigned char)raw[i]); i++) {
			int c = tolower((unsigned char)raw[i]);
			sz = sz * 16 + (unsigned long long)(c <= '9' ? c - '0' : c - 'a' + 10);
			if (++digits > 15)
				return VA_E_PARSE;
		}
		if (!digits || (raw + i < eol && raw[i] != ';' && raw[i] != ' '))
			return VA_E_PARSE;
		pos = (size_t)(eol - raw) + 2;
		if (sz == 0) {
			/* Trailer section: header lines until an empty one. */
			for (;;) {
				const char *t = NULL;
				for (i = pos; i + 1 < n; i++) {
					if (raw[i] == '\r' && raw[i + 1] == '\n') {
						t = raw + i;
						break;
					}
				}
				if (!t)
					return VA_OK;
				if (t == raw + pos) {
					*complete = true;
					return VA_OK;
				}
				pos = (size_t)(t - raw) + 2;
			}
		}
		if (n - pos < sz + 2)
			return VA_OK;
		rc = va_buf_append(out, raw + pos, (size_t)sz);
		if (rc)
			return rc;
		pos += (size_t)sz;
		if (raw[pos] != '\r' || raw[pos + 1] != '\n')
			return VA_E_PARSE;
		pos += 2;
	}
}

static size_t find_header_end(const char *d, size_t n)
{
	for (size_t i = 3; i < n; i++)
		if (d[i] == '\n' && d[i - 1] == '\r' && d[i - 2] == '\n' && d[i - 3] == '\r')
			return i + 1;
	return 0;
}

int va_sim_http(const char *method, const char *url, const char *extra_headers, const char *body,
		size_t body_len, int timeout_ms, int *status, struct va_buf *resp_body,
		struct va_buf *resp_headers)
{
	struct va_sim_url u;
	struct va_buf req = VA_BUF_INIT(MAX_HEADERS + 16 * 1024 * 1024);
	struct va_buf raw;
	char authority[300], val[64];
	uint64_t deadline;
	size_t hend = 0;
	long long clen = -1;
	bool chunked = false, no_body = false, done = false, eof = false;
	char *hdrs = NULL;
	int fd = -1, rc;
	size_t raw_max;

	*status = 0;
	if (!method || !*method || has_crlf(method) || strchr(method, ' '))
		return VA_E_INVAL;
	if (extra_headers && *extra_headers) {
		size_t el = strlen(extra_headers);
		if (el < 2 || strcmp(extra_headers + el - 2, "\r\n") != 0)
			return VA_E_INVAL;
	}
	rc = va_sim_url_parse(url, &u);
	if (rc)
		return rc;
	if (strcmp(u.scheme, "http") != 0)
		return VA_E_UNSUPPORTED;
	raw_max = resp_body->max > SIZE_MAX / 2 - MAX_HEADERS
		      ? SIZE_MAX / 2
		      : MAX_HEADERS + resp_body->max * 2 + 4096;
	va_buf_init(&raw, raw_max);
	if (timeout_ms <= 0)
		timeout_ms = DEFAULT_TIMEOUT_MS;
	deadline = deadline_in(timeout_ms);
	va_sim_url_authority(&u, authority, sizeof(authority));

	rc = va_buf_appendf(&req,
			    "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: " USER_AGENT
			    "\r\nConnection: close\r\n",
			    method, u.path, authority);
	if (!rc && (body_len > 0 || (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)))
		rc = va_buf_appendf(&req, "Content-Length: %zu\r\n", body_len);
	if (!rc && extra_headers)
		rc = va_buf_append_str(&req, extra_headers);
	if (!rc)
		rc = va_buf_append_str(&req, "\r\n");
	if (!rc && body_len)
		rc = va_buf_append(&req, body, body_len);
	if (rc)
		goto out;

	rc = tcp_connect(u.host, u.port, deadline, &fd);
	if (rc)
		goto out;
	rc = send_all(fd, req.data, req.len, deadline);
	if (rc)
		goto out;

	while (!done) {
		char tmp[16384];
		size_t n;

		if (eof)
			break;
		rc = recv_some(fd, tmp, sizeof(tmp), deadline, true, &n);
		if (rc)
			goto out;
		if (n == 0) {
			eof = true;
		} else {
			rc = va_buf_append(&raw, tmp, n);
			if (rc)
				goto out;
		}
		if (!hend) {
			hend = find_header_end(raw.data ? raw.data : "", raw.len);
			if (!hend) {
				if (raw.len > MAX_HEADERS) {
					rc = VA_E_TOOBIG;
					goto out;
				}
				if (eof) {
					rc = VA_E_PARSE;
					goto out;
				}
				continue;
			}
			if (raw.len < 12 || strncmp(raw.data, "HTTP/1.", 7) != 0 ||
			    !isdigit((unsigned char)raw.data[9]) ||
			    !isdigit((unsigned char)raw.data[10]) ||
			    !isdigit((unsigned char)raw.data[11])) {
				rc = VA_E_PARSE;
				goto out;
			}
			*status = (raw.data[9] - '0') * 100 + (raw.data[10] - '0') * 10 +
				  (raw.data[11] - '0');
			hdrs = va_xstrndup(raw.data, hend);
			if (va_sim_header_get(hdrs, "Transfer-Encoding", val, sizeof(val)) !=
				VA_E_NOTFOUND &&
			    strcasestr(val, "chunked"))
				chunked = true;
			else if (va_sim_header_get(hdrs, "Content-Length", val, sizeof(val)) ==
				 VA_OK) {
				char *end;
				clen = strtoll(val, &end, 10);
				if (end == val || *end || clen < 0) {
					rc = VA_E_PARSE;
					goto out;
				}
				if ((unsigned long long)clen > resp_body->max) {
					rc = VA_E_TOOBIG;
					goto out;
				}
			}
			no_body = strcmp(method, "HEAD") == 0 || *status == 204 || *status == 304 ||
				  (*status >= 100 && *status < 200);
		}
		if (no_body) {
			done = true;
		} else if (chunked) {
			bool complete;
			rc = dechunk(raw.data + hend, raw.len - hend, resp_body, &complete);
			if (rc)
				goto out;
			done = complete;
		} else if (clen >= 0) {
			done = raw.len - hend >= (size_t)clen;
		}
	}
	if (!hend) {
		rc = VA_E_PARSE;
		goto out;
	}
	if (!no_body && !chunked) {
		size_t blen = raw.len - hend;
		if (clen >= 0) {
			if (blen < (size_t)clen) {
				rc = VA_E_IO; /* closed before the announced length */
				goto out;
			}
			blen = (size_t)clen;
		}
		rc = va_buf_append(resp_body, raw.data + hend, blen);
		if (rc)
			goto out;
	} else if (chunked && !done) {
		rc = VA_E_IO; /* closed inside the chunked body */
		goto out;
	}
	if (resp_headers)
		rc = va_buf_append_str(resp_headers, hdrs);
out:
	if (fd >= 0)
		close(fd);
	free(hdrs);
	va_buf_release(&raw);
	va_buf_release(&req);
	return rc;
}

int va_sim_form_encode(struct va_buf *out, const struct va_kv *params, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	int rc = VA_OK;

	for (size_t i = 0; i < n && !rc; i++) {
		const char *parts[2] = {params[i].name, params[i].value ? params[i].value : ""};
		if (i > 0)
			rc = va_buf_append(out, "&", 1);
		for (int k = 0; k < 2 && !rc; k++) {
			if (k == 1)
				rc = va_buf_append(out, "=", 1);
			for (const unsigned char *s = (const unsigned char *)parts[k]; *s && !rc;
			     s++) {
				char e[3];
				if (isalnum(*s) || *s == '-' || *s == '.' || *s == '_' ||
				    *s == '*') {
					rc = va_buf_append(out, s, 1);
				} else if (*s == ' ') {
					rc = va_buf_append(out, "+", 1);
				} else {
					e[0] = '%';
					e[1] = hex[*s >> 4];
					e[2] = hex[*s & 15];
					rc = va_buf_append(out, e, 3);
				}
			}
		}
	}
	return rc;
}

/* Malloc'ed a followed by b. */
static char *join2(const char *a, const char *b)
{
	size_t al = strlen(a), bl = strlen(b);
	char *s = va_xmalloc(al + bl + 1);

	memcpy(s, a, al);
	memcpy(s + al, b, bl + 1);
	return s;
}

int va_sim_webhook(const char *base_url, const char *path, const char *auth_token,
		   const char *signed_url_base, const struct va_kv *params, size_t n, int *status,
		   struct va_buf *body)
{
	return va_sim_webhook_ex(base_url, path, auth_token, signed_url_base, NULL, params, n,
				 status, body);
}

int va_sim_webhook_ex(const char *base_url, const char *path, const char *auth_token,
		      const char *signed_url_base, const char *extra_headers,
		      const struct va_kv *params, size_t n, int *status, struct va_buf *body)
{
	struct va_buf form = VA_BUF_INIT(1024 * 1024);
	struct va_buf hdr = VA_BUF_INIT(4096);
	char *url = NULL, *signed_url = NULL;
	char sig[64];
	int rc;

	*status = 0;
	if (!base_url || !path || path[0] != '/')
		return VA_E_INVAL;
	url = join2(base_url, path);
	rc = va_sim_form_encode(&form, params, n);
	if (rc)
		goto out;
	rc = va_buf_append_str(&hdr, "Content-Type: application/x-www-form-urlencoded\r\n");
	if (!rc && extra_headers)
		rc = va_buf_append_str(&hdr, extra_headers);
	if (rc)
		goto out;
	if (auth_token) {
		const char *base = signed_url_base ? signed_url_base : base_url;
		signed_url = join2(base, path);
		rc = va_twilio_sign(auth_token, signed_url, params, n, sig, sizeof(sig));
		if (rc)
			goto out;
		rc = va_buf_appendf(&hdr, "X-Twilio-Signature: %s\r\n", sig);
		if (rc)
			goto out;
	}
	rc = va_sim_http("POST", url, hdr.data, form.data ? form.data : "", form.len,
			 DEFAULT_TIMEOUT_MS, status, body, NULL);
out:
	free(url);
	free(signed_url);
	va_buf_release(&form);
	va_buf_release(&hdr);
	return rc;
}

/* ---- TwiML ---- */

char *va_sim_xml_unescape(const char *s, size_t len)
{
	char *out = va_xmalloc(len + 1);
	size_t o = 0;

	for (size_t i = 0; i < len;) {
		static const struct {
			const char *ent;
			char c;
		} named[] = {{"&amp;", '&'},
			     {"&lt;", '<'},
			     {"&gt;", '>'},
			     {"&quot;", '"'},
			     {"&apos;", '\''}};
		bool done = false;

		if (s[i] != '&') {
			out[o++] = s[i++];
			continue;
		}
		for (size_t k = 0; k < sizeof(named) / sizeof(named[0]); k++) {
			size_t el = strlen(named[k].ent);
			if (len - i >= el && memcmp(s + i, named[k].ent, el) == 0) {
				out[o++] = named[k].c;
				i += el;
				done = true;
				break;
			}
		}
		if (!done && len - i >= 4 && s[i + 1] == '#') {
			bool hexa = s[i + 2] == 'x' || s[i + 2] == 'X';
			size_t j = i + (hexa ? 3 : 2);
			unsigned long cp = 0;
			int digits = 0;

			while (
			    j < len && digits < 8 &&
			    (hexa ? isxdigit((unsigned char)s[j]) : isdigit((unsigned char)s[j]))) {
				int c = tolower((unsigned char)s[j]);
				cp = cp * (hexa ? 16 : 10) +
				     (unsigned long)(c <= '9' ? c - '0' : c - 'a' + 10);
				j++, digits++;
			}
			if (digits && j < len && s[j] == ';' && cp > 0 && cp <= 0x10ffff &&
			    !(cp >= 0xd800 && cp <= 0xdfff) && j + 1 - i >= 4) {
				/* The entity is at least 4 bytes; UTF-8 of cp at most 4. */
				if (cp < 0x80) {
					out[o++] = (char)cp;
				} else if (cp < 0x800) {
					out[o++] = (char)(0xc0 | (cp >> 6));
					out[o++] = (char)(0x80 | (cp & 0x3f));
				} else if (cp < 0x10000) {
					out[o++] = (char)(0xe0 | (cp >> 12));
					out[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
					out[o++] = (char)(0x80 | (cp & 0x3f));
				} else {
					out[o++] = (char)(0xf0 | (cp >> 18));
					out[o++] = (char)(0x80 | ((cp >> 12) & 0x3f));
					out[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
					out[o++] = (char)(0x80 | (cp & 0x3f));
				}
				i = j + 1;
				done = true;
			}
		}
		if (!done)
			out[o++] = s[i++];
	}
	out[o] = '\0';
	return out;
}

/* Finds attribute name in the tag text [p, end) and returns its decoded
 * value (caller frees) or NULL. */
static char *tag_attr(const char *p, const char *end, const char *name)
{
	size_t nl = strlen(name);

	while (p < end) {
		const char *an, *ae, *vs;
		char q;

		while (p < end && isspace((unsigned char)*p))
			p++;
		an = p;
		while (p < end && !isspace((unsigned char)*p) && *p != '=' && *p != '/' &&
		       *p != '>')
			p++;
		ae = p;
		if (ae == an) {
			p++;
			continue;
		}
		while (p < end && isspace((unsigned char)*p))
			p++;
		if (p >= end || *p != '=')
			continue;
		p++;
		while (p < end && isspace((unsigned char)*p))
			p++;
		if (p >= end || (*p != '"' && *p != '\''))
			return NULL;
		q = *p++;
		vs = p;
		while (p < end && *p != q)
			p++;
		if (p >= end)
			return NULL;
		if ((size_t)(ae - an) == nl && memcmp(an, name, nl) == 0)
			return va_sim_xml_unescape(vs, (size_t)(p - vs));
		p++;
	}
	return NULL;
}

/* Text content of an element from just after its start tag to </name>, with
 * nested tags removed, decoded and trimmed. *next is set past the end tag. */
static char *element_text(const char *start, const char *name, const char **next)
{
	char close_tag[64];
	const char *end;
	struct va_buf t = VA_BUF_INIT(64 * 1024);
	char *dec, *s, *e;

	snprintf(close_tag, sizeof(close_tag), "</%s", name);
	end = strstr(start, close_tag);
	if (!end)
		end = start + strlen(start);
	*next = end;
	for (const char *p = start; p < end;) {
		const char *lt = memchr(p, '<', (size_t)(end - p));
		if (!lt)
			lt = end;
		if (va_buf_append(&t, p, (size_t)(lt - p)))
			break;
		if (lt == end)
			break;
		p = memchr(lt, '>', (size_t)(end - lt));
		if (!p)
			break;
		p++;
		if (t.len && va_buf_append(&t, " ", 1))
			break;
	}
	dec = va_sim_xml_unescape(t.data ? t.data : "", t.len);
	va_buf_release(&t);
	s = dec;
	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	*e = '\0';
	memmove(dec, s, (size_t)(e - s) + 1);
	return dec;
}

int va_sim_twiml_parse(const char *xml, struct va_sim_twiml *out)
{
	const char *p = xml;
	bool response = false;

	memset(out, 0, sizeof(*out));
	if (!xml)
		return VA_E_INVAL;
	while ((p = strchr(p, '<'))) {
		const char *ns, *ne, *tag_end;
		size_t nl;
		char q = 0;

		if (strncmp(p, "<?", 2) == 0) {
			p = strstr(p, "?>");
			if (!p)
				break;
			continue;
		}
		if (strncmp(p, "<!--", 4) == 0) {
			p = strstr(p, "-->");
			if (!p)
				break;
			continue;
		}
		if (p[1] == '/' || p[1] == '!') {
			p++;
			continue;
		}
		ns = p + 1;
		ne = ns;
		while (*ne && !isspace((unsigned char)*ne) && *ne != '>' && *ne != '/')
			ne++;
		nl = (size_t)(ne - ns);
		/* the end of the start tag, skipping '>' inside quoted values */
		for (tag_end = ne; *tag_end; tag_end++) {
			if (q) {
				if (*tag_end == q)
					q = 0;
			} else if (*tag_end == '"' || *tag_end == '\'') {
				q = *tag_end;
			} else if (*tag_end == '>') {
				break;
			}
		}
		if (!*tag_end)
			break;
#define IS(lit) (nl == sizeof(lit) - 1 && memcmp(ns, lit, nl) == 0)
		if (IS("Response")) {
			response = true;
		} else if (IS("Connect")) {
			if (!out->action_url)
				out->action_url = tag_attr(ne, tag_end, "action");
		} else if (IS("ConversationRelay")) {
			if (!out->relay_url) {
				out->relay_url = tag_attr(ne, tag_end, "url");
				out->welcome_greeting = tag_attr(ne, tag_end, "welcomeGreeting");
			}
		} else if (IS("Parameter")) {
			if (out->n_params < VA_SIM_TWIML_MAX_PARAMS) {
				char *n = tag_attr(ne, tag_end, "name");
				char *v = tag_attr(ne, tag_end, "value");
				if (n) {
					out->params[out->n_params].name = n;
					out->params[out->n_params].value = v ? v : va_xstrdup("");
					out->n_params++;
				} else {
					free(v);
				}
			}
		} else if (IS("Hangup")) {
			out->hangup = true;
		} else if ((IS("Say") || IS("Dial")) && tag_end[-1] != '/') {
			const char *next;
			char *text = element_text(tag_end + 1, IS("Say") ? "Say" : "Dial", &next);
			if (IS("Dial") && !out->dial) {
				out->dial = text;
			} else if (IS("Say") && *text) {
				if (out->say) {
					char *j = join2(out->say, " ");
					free(out->say);
					out->say = join2(j, text);
					free(j);
				} else {
					out->say = va_xstrdup(text);
				}
				free(text);
			} else {
				free(text);
			}
			p = next;
			continue;
		}
#undef IS
		p = tag_end + 1;
	}
	return response ? VA_OK : VA_E_PARSE;
}

void va_sim_twiml_release(struct va_sim_twiml *t)
{
	if (!t)
		return;
	free(t->relay_url);
	free(t->action_url);
	free(t->welcome_greeting);
	free(t->say);
	free(t->dial);
	for (size_t i = 0; i < t->n_params; i++) {
		free((char *)t->params[i].name);
		free((char *)t->params[i].value);
	}
	memset(t, 0, sizeof(*t));
}

/* ---- WebSocket ---- */

struct va_sim_ws {
	int fd;
	struct va_ws_decoder dec;
	struct va_buf out; /* scratch for encoding */
	uint8_t in[64 * 1024];
	size_t in_off, in_len;
	bool close_sent;
	bool peer_eof;
	int err; /* sticky decoder error */
};

char *va_sim_ws_sign(const char *auth_token, const char *ws_url_to_sign)
{
	char sig[64];

	if (!auth_token || !ws_url_to_sign)
		return NULL;
	if (va_twilio_sign(auth_token, ws_url_to_sign, NULL, 0, sig, sizeof(sig)))
		return NULL;
	return va_xstrdup(sig);
}

int va_sim_ws_connect(const char *ws_url, const char *signature, int timeout_ms,
		      struct va_sim_ws **out, int *http_status)
{
	return va_sim_ws_connect_ex(ws_url, signature, NULL, 0, timeout_ms, out, http_status);
}

static int status_error(int status)
{
	switch (status) {
	case 401:
		return VA_E_AUTH;
	case 403:
		return VA_E_FORBIDDEN;
	case 404:
		return VA_E_NOTFOUND;
	case 429:
	case 503:
		return VA_E_BUSY;
	default:
		return VA_E_STATE;
	}
}

int va_sim_ws_connect_ex(const char *ws_url, const char *signature, const char *extra_headers,
			 size_t max_message, int timeout_ms, struct va_sim_ws **out,
			 int *http_status)
{
	struct va_sim_url u;
	struct va_buf req = VA_BUF_INIT(MAX_HEADERS);
	struct va_buf hdrs = VA_BUF_INIT(MAX_HEADERS);
	struct va_sim_ws *ws = NULL;
	char key[VA_WS_KEY_LEN + 1], authority[300];
	uint64_t deadline;
	size_t hl = 0;
	int rc, fd = -1;

	*out = NULL;
	*http_status = 0;
	rc = va_sim_url_parse(ws_url, &u);
	if (rc)
		return rc;
	if (strcmp(u.scheme, "wss") == 0 || strcmp(u.scheme, "https") == 0)
		return VA_E_UNSUPPORTED;
	if (has_crlf(signature))
		return VA_E_INVAL;
	if (timeout_ms <= 0)
		timeout_ms = DEFAULT_TIMEOUT_MS;
	deadline = deadline_in(timeout_ms);
	va_sim_url_authority(&u, authority, sizeof(authority));
	rc = va_ws_key_new(key);
	if (rc)
		goto out;
	if (signature) {
		rc = va_buf_appendf(&hdrs, "X-Twilio-Signature: %s\r\n", signature);
		if (rc)
			goto out;
	}
	if (extra_headers) {
		rc = va_buf_append_str(&hdrs, extra_headers);
		if (rc)
			goto out;
	}
	rc = va_buf_append_str(&hdrs, "User-Agent: " USER_AGENT "\r\n");
	if (rc)
		goto out;
	rc = va_ws_handshake_request(&req, authority, u.path, key, hdrs.data);
	if (rc)
		goto out;
	rc = tcp_connect(u.host, u.port, deadline, &fd);
	if (rc)
		goto out;
	rc = send_all(fd, req.data, req.len, deadline);
	if (rc)
		goto out;

	ws = va_xcalloc(1, sizeof(*ws));
	ws->fd = fd;
	va_buf_init(&ws->out, 2 * VA_SIM_WS_MAX_MESSAGE + 1024);
	va_ws_decoder_init(&ws->dec, max_message ? max_message : VA_SIM_WS_MAX_MESSAGE);
	fd = -1;
	for (;;) {
		size_t n;

		if (ws->in_len == sizeof(ws->in)) {
			rc = VA_E_TOOBIG;
			goto out;
		}
		rc = recv_some(ws->fd, ws->in + ws->in_len, sizeof(ws->in) - ws->in_len, deadline,
			       true, &n);
		if (rc)
			goto out;
		if (n == 0) {
			/* Closed before a complete answer: judge what came. */
			rc = va_ws_handshake_parse_response((char *)ws->in, ws->in_len, key,
							    http_status, &hl);
			if (rc == VA_E_STATE)
				rc = status_error(*http_status);
			else
				rc = rc == VA_E_AGAIN || rc == VA_OK ? VA_E_IO : rc;
			goto out;
		}
		ws->in_len += n;
		rc = va_ws_handshake_parse_response((char *)ws->in, ws->in_len, key, http_status,
						    &hl);
		if (rc == VA_E_AGAIN)
			continue;
		if (rc == VA_E_STATE)
			rc = status_error(*http_status);
		if (rc)
			goto out;
		break;
	}
	/* Anything after the headers is already frame data. */
	ws->in_off = hl;
	*out = ws;
	ws = NULL;
out:
	if (fd >= 0)
		close(fd);
	va_sim_ws_free(ws);
	va_buf_release(&req);
	va_buf_release(&hdrs);
	return rc;
}

static int ws_flush(struct va_sim_ws *ws)
{
	int rc = send_all(ws->fd, ws->out.data, ws->out.len, deadline_in(DEFAULT_TIMEOUT_MS));

	va_buf_reset(&ws->out);
	return rc;
}

int va_sim_ws_send_message(struct va_sim_ws *ws, enum va_ws_opcode opcode, const void *data,
			   size_t len, size_t fragment_size)
{
	int rc;

	if (!ws)
		return VA_E_INVAL;
	if (ws->close_sent)
		return VA_E_STATE;
	va_buf_reset(&ws->out);
	rc = va_ws_encode_message(&ws->out, opcode, data, len, fragment_size);
	if (rc)
		return rc;
	return ws_flush(ws);
}

int va_sim_ws_send_text(struct va_sim_ws *ws, const char *data, size_t len)
{
	return va_sim_ws_send_message(ws, VA_WS_OP_TEXT, data, len, 0);
}

int va_sim_ws_send_ping(struct va_sim_ws *ws, const void *data, size_t len)
{
	return va_sim_ws_send_message(ws, VA_WS_OP_PING, data, len, 0);
}

int va_sim_ws_send_raw(struct va_sim_ws *ws, const void *bytes, size_t len)
{
	if (!ws)
		return VA_E_INVAL;
	return send_all(ws->fd, bytes, len, deadline_in(DEFAULT_TIMEOUT_MS));
}

int va_sim_ws_send_close(struct va_sim_ws *ws, int code)
{
	int rc;

	if (!ws)
		return VA_E_INVAL;
	if (ws->close_sent)
		return VA_E_STATE;
	va_buf_reset(&ws->out);
	rc = va_ws_encode_close(&ws->out, code, NULL);
	if (rc)
		return rc;
	ws->close_sent = true;
	return ws_flush(ws);
}

static void frame_copy(struct va_sim_frame *out, const struct va_ws_frame *f)
{
	memset(out, 0, sizeof(*out));
	out->opcode = f->opcode;
	if (f->opcode == VA_WS_OP_CLOSE) {
		out->close_code = f->close_code;
		out->payload = va_xstrdup(f->close_reason ? f->close_reason : "");
		out->len = strlen(out->payload);
	} else {
		out->payload = va_xmalloc(f->len + 1);
		memcpy(out->payload, f->payload, f->len);
		out->payload[f->len] = '\0';
		out->len = f->len;
	}
}

int va_sim_ws_recv(struct va_sim_ws *ws, int timeout_ms, struct va_sim_frame *out)
{
	uint64_t deadline = deadline_in(timeout_ms);

	memset(out, 0, sizeof(*out));
	if (!ws)
		return VA_E_INVAL;
	for (;;) {
		size_t n;
		int rc;

		if (ws->err)
			return ws->err;
		while (ws->in_off < ws->in_len) {
			struct va_ws_frame f;
			size_t used = 0;

			rc = va_ws_decoder_feed(&ws->dec, ws->in + ws->in_off,
						ws->in_len - ws->in_off, &used, &f);
			ws->in_off += used;
			if (rc == VA_E_AGAIN)
				break;
			if (rc) {
				ws->err = rc;
				return rc;
			}
			if (f.opcode == VA_WS_OP_PING) {
				if (!ws->close_sent) {
					va_buf_reset(&ws->out);
					if (!va_ws_encode_message(&ws->out, VA_WS_OP_PONG,
								  f.payload, f.len, 0))
						ws_flush(ws);
				}
				continue;
			}
			if (f.opcode == VA_WS_OP_CLOSE && !ws->close_sent) {
				int code = f.close_code == VA_WS_CLOSE_NO_STATUS ? 0 : f.close_code;
				va_sim_ws_send_close(ws, code);
			}
			frame_copy(out, &f);
			return VA_OK;
		}
		ws->in_off = ws->in_len = 0;
		if (ws->peer_eof)
			return VA_E_CLOSED;
		rc = recv_some(ws->fd, ws->in, sizeof(ws->in), deadline, timeout_ms > 0, &n);
		if (rc)
			return rc;
		if (n == 0)
			ws->peer_eof = true;
		ws->in_len = n;
	}
}

void va_sim_frame_release(struct va_sim_frame *f)
{
	if (!f)
		return;
	free(f->payload);
	f->payload = NULL;
	f->len = 0;
}

int va_sim_ws_fd(const struct va_sim_ws *ws)
{
	return ws ? ws->fd : -1;
}

void va_sim_ws_free(struct va_sim_ws *ws)
{
	if (!ws)
		return;
	if (ws->fd >= 0)
		close(ws->fd);
	va_ws_decoder_release(&ws->dec);
	va_buf_release(&ws->out);
	free(ws);
}
