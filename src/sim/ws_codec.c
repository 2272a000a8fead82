/* SPDX-License-Identifier: MIT */
/*
 * ws_codec.c - RFC 6455 client-side handshake, frame encoder and incremental
 * frame decoder. No I/O: the blocking client (client.c) and the libuv load
 * generator (bench.c) move the bytes.
 */
#include "sim/ws_codec.h"

#include "core/err.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <errno.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#define WS_GUID		    "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WS_MAX_RESPONSE_HDR (16 * 1024)

static int fill_random(void *p, size_t n)
{
	uint8_t *b = p;

	while (n > 0) {
		ssize_t got = getrandom(b, n, 0);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return VA_E_IO;
		}
		b += got;
		n -= (size_t)got;
	}
	return VA_OK;
}

int va_ws_key_new(char key[VA_WS_KEY_LEN + 1])
{
	uint8_t raw[16];
	int rc = fill_random(raw, sizeof(raw));

	if (rc)
		return rc;
	EVP_EncodeBlock((unsigned char *)key, raw, sizeof(raw));
	key[VA_WS_KEY_LEN] = '\0';
	return VA_OK;
}

int va_ws_accept_compute(const char *key, char accept[VA_WS_ACCEPT_LEN + 1])
{
	uint8_t md[SHA_DIGEST_LENGTH];
	uint8_t tmp[256];
	size_t klen;

	if (!key)
		return VA_E_INVAL;
	klen = strlen(key);
	if (klen > sizeof(tmp) - sizeof(WS_GUID))
		return VA_E_INVAL;
	memcpy(tmp, key, klen);
	memcpy(tmp + klen, WS_GUID, sizeof(WS_GUID) - 1);
	SHA1(tmp, klen + sizeof(WS_GUID) - 1, md);
	EVP_EncodeBlock((unsigned char *)accept, md, sizeof(md));
	accept[VA_WS_ACCEPT_LEN] = '\0';
	return VA_OK;
}

static bool has_crlf(const char *s)
{
	return strpbrk(s, "\r\n") != NULL;
}

int va_ws_handshake_request(struct va_buf *out, const char *host, const char *path, const char *key,
			    const char *extra_headers)
{
	size_t start = out->len;
	int rc;

	if (!host || !path || !key || !*host || path[0] != '/')
		return VA_E_INVAL;
	if (has_crlf(host) || has_crlf(path) || has_crlf(key) || strpbrk(path, " \t"))
		return VA_E_INVAL;
	if (extra_headers && *extra_headers) {
		size_t n = strlen(extra_headers);
		if (n < 2 || strcmp(extra_headers + n - 2, "\r\n") != 0)
			return VA_E_INVAL;
	}
	rc = va_buf_appendf(out,
			    "GET %s HTTP/1.1\r\n"
			    "Host: %s\r\n"
			    "Upgrade: websocket\r\n"
			    "Connection: Upgrade\r\n"
			    "Sec-WebSocket-Key: %s\r\n"
			    "Sec-WebSocket-Version: 13\r\n"
			    "%s\r\n",
			    path, host, key, extra_headers ? extra_headers : "");
	if (rc) {
		out->len = start;
		if (out->data)
			out->data[start] = '\0';
	}
	return rc;
}

/* Finds "\r\n\r\n" in data; returns the offset just past it or 0. */
static size_t header_end(const char *data, size_t len)
{
	for (size_t i = 3; i < len; i++) {
		if (data[i] == '\n' && data[i - 1] == '\r' && data[i - 2] == '\n' &&
		    data[i - 3] == '\r')
			return i + 1;
	}
	return 0;
}

/* True if the comma-separated header value v (n bytes) lists token. */
static bool value_has_token(const char *v, size_t n, const char *token)
{
	size_t tl = strlen(token);
	size_t i = 0;

	while (i < n) {
		size_t s, e;
		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		s = i;
		while (i < n && v[i] != ',')
			i++;
		e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e - s == tl && strncasecmp(v + s, token, tl) == 0)
			return true;
	}
	return false;
}

int va_ws_handshake_parse_response(const char *data, size_t len, const char *key, int *status,
				   size_t *header_len)
{
	char want[VA_WS_ACCEPT_LEN + 1];
	bool upgrade = false, connection = false, accept_ok = false, accept_seen = false;
	size_t end, pos;
	const char *p;
	int code = 0;

	*status = 0;
	*header_len = 0;
	end = header_end(data, len);
	if (!end) {
		if (len >= 5 && strncmp(data, "HTTP/", 5) != 0)
			return VA_E_PARSE;
		return len > WS_MAX_RESPONSE_HDR ? VA_E_TOOBIG : VA_E_AGAIN;
	}
	if (end > WS_MAX_RESPONSE_HDR)
		return VA_E_TOOBIG;

	/* Status line: HTTP/1.x SP DDD [SP reason] CRLF */
	if (end < 12 || strncmp(data, "HTTP/1.", 7) != 0 || data[8] != ' ')
		return VA_E_PARSE;
	p = data + 9;
	for (int i = 0; i < 3; i++) {
		if (p[i] < '0' || p[i] > '9')
			return VA_E_PARSE;
		code = code * 10 + (p[i] - '0');
	}
	if (p[3] != ' ' && p[3] != '\r')
		return VA_E_PARSE;
	*status = code;
	*header_len = end;
	if (code != 101)
		return VA_E_STATE;
	if (va_ws_accept_compute(key, want))
		return VA_E_INVAL;

	pos = (size_t)((const char *)memchr(data, '\n', end) - data) + 1;
	while (pos < end - 2) {
		const char *line = data + pos;
		const char *eol = memchr(line, '\n', end - pos);
		const char *colon;
		size_t llen, nlen, vlen;
		const char *v;

		if (!eol)
			return VA_E_PARSE;
		llen = (size_t)(eol - line);
		if (llen > 0 && line[llen - 1] == '\r')
			llen--;
		pos += (size_t)(eol - line) + 1;
		colon = memchr(line, ':', llen);
		if (!colon || colon == line)
			return VA_E_PARSE;
		nlen = (size_t)(colon - line);
		v = colon + 1;
		vlen = llen - nlen - 1;
		while (vlen > 0 && (*v == ' ' || *v == '\t'))
			v++, vlen--;
		while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
			vlen--;
		if (nlen == 7 && strncasecmp(line, "Upgrade", 7) == 0)
			upgrade = upgrade || value_has_token(v, vlen, "websocket");
		else if (nlen == 10 && strncasecmp(line, "Connection", 10) == 0)
			connection = connection || value_has_token(v, vlen, "upgrade");
		else if (nlen == 20 && strncasecmp(line, "Sec-WebSocket-Accept", 20) == 0) {
			/* A repeated header must not let a wrong value hide behind a right one. */
			accept_ok = !accept_seen && vlen == VA_WS_ACCEPT_LEN &&
				    memcmp(v, want, VA_WS_ACCEPT_LEN) == 0;
			accept_seen = true;
		}
	}
	if (!upgrade || !connection || !accept_seen)
		return VA_E_PARSE;
	return accept_ok ? VA_OK : VA_E_AUTH;
}

int va_ws_encode_raw(struct va_buf *out, uint8_t b0, const void *payload, size_t len,
		     const uint8_t *mask)
{
	uint8_t hdr[VA_WS_MAX_HEADER];
	size_t hl = 0, start = out->len;
	const uint8_t *src = payload;
	uint8_t chunk[512];
	int rc;

	hdr[hl++] = b0;
	if (len < 126) {
		hdr[hl++] = (uint8_t)len;
	} else if (len <= 0xffff) {
		hdr[hl++] = 126;
		hdr[hl++] = (uint8_t)(len >> 8);
		hdr[hl++] = (uint8_t)len;
	} else {
		hdr[hl++] = 127;
		for (int i = 7; i >= 0; i--)
			hdr[hl++] = (uint8_t)((uint64_t)len >> (8 * i));
	}
	if (mask) {
		hdr[1] |= 0x80;
		memcpy(hdr + hl, mask, 4);
		hl += 4;
	}
	rc = va_buf_append(out, hdr, hl);
	if (rc)
		return rc;
	if (!mask) {
		rc = len ? va_buf_append(out, payload, len) : VA_OK;
		goto out;
	}
	for (size_t off = 0; off < len;) {
		size_t n = len - off < sizeof(chunk) ? len - off : sizeof(chunk);
		for (size_t i = 0; i < n; i++)
			chunk[i] = src[off + i] ^ mask[(off + i) & 3];
		rc = va_buf_append(out, chunk, n);
		if (rc)
			goto out;
		off += n;
	}
out:
	if (rc) {
		out->len = start;
		if (out->data)
			out->data[start] = '\0';
	}
	return rc;
}

static int encode_masked(struct va_buf *out, uint8_t b0, const void *payload, size_t len)
{
	uint8_t mask[4];
	int rc = fill_random(mask, sizeof(mask));

	if (rc)
		return rc;
	return va_ws_encode_raw(out, b0, payload, len, mask);
}

int va_ws_encode_message(struct va_buf *out, enum va_ws_opcode opcode, const void *payload,
			 size_t len, size_t fragment_size)
{
	const uint8_t *p = payload;
	size_t start = out->len, off = 0;
	int rc = VA_OK;

	if (opcode == VA_WS_OP_PING || opcode == VA_WS_OP_PONG) {
		if (fragment_size || len > 125)
			return VA_E_INVAL;
		return encode_masked(out, VA_WS_FIN | opcode, payload, len);
	}
	if (opcode != VA_WS_OP_TEXT && opcode != VA_WS_OP_BINARY)
		return VA_E_INVAL;
	if (!fragment_size || len <= fragment_size)
		return encode_masked(out, VA_WS_FIN | opcode, payload, len);
	while (off < len) {
		size_t n = len - off < fragment_size ? len - off : fragment_size;
		uint8_t b0 = off == 0 ? (uint8_t)opcode : (uint8_t)VA_WS_OP_CONT;
		if (off + n == len)
			b0 |= VA_WS_FIN;
		rc = encode_masked(out, b0, p + off, n);
		if (rc)
			goto out;
		off += n;
	}
out:
	if (rc) {
		out->len = start;
		if (out->data)
			out->data[start] = '\0';
	}
	return rc;
}

int va_ws_encode_close(struct va_buf *out, int code, const char *reason)
{
	uint8_t body[125];
	size_t rl = reason ? strlen(reason) : 0;

	if (code == 0)
		return encode_masked(out, VA_WS_FIN | VA_WS_OP_CLOSE, NULL, 0);
	if (code < 0 || code > 0xffff || rl > sizeof(body) - 2)
		return VA_E_INVAL;
	body[0] = (uint8_t)(code >> 8);
	body[1] = (uint8_t)code;
	if (rl)
		memcpy(body + 2, reason, rl);
	return encode_masked(out, VA_WS_FIN | VA_WS_OP_CLOSE, body, rl + 2);
}

bool va_ws_utf8_valid(const char *s, size_t len)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t i = 0;

	while (i < len) {
		uint8_t c = p[i];
		size_t n;
		uint32_t cp, min;

		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0)
			n = 1, cp = c & 0x1f, min = 0x80;
		else if ((c & 0xf0) == 0xe0)
			n = 2, cp = c & 0x0f, min = 0x800;
		else if ((c & 0xf8) == 0xf0)
			n = 3, cp = c & 0x07, min = 0x10000;
		else
			return false;
		if (len - i - 1 < n)
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

void va_ws_decoder_init(struct va_ws_decoder *d, size_t max_message)
{
	memset(d, 0, sizeof(*d));
	d->max_message = max_message;
	d->state = VA_WS_DEC_HEADER;
	va_buf_init(&d->msg, max_message);
}

void va_ws_decoder_release(struct va_ws_decoder *d)
{
	if (!d)
		return;
	va_buf_release(&d->msg);
	d->in_message = false;
}

static int fail(struct va_ws_decoder *d, int err)
{
	d->state = VA_WS_DEC_FAILED;
	d->err = err;
	return err;
}

static bool close_code_valid(int code)
{
	return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
	       (code >= 3000 && code <= 4999);
}

/* Needed header size once the first two bytes are known. */
static size_t header_size(const uint8_t *hdr)
{
	size_t n = 2;
	uint8_t l7 = hdr[1] & 0x7f;

	if (l7 == 126)
		n += 2;
	else if (l7 == 127)
		n += 8;
	return n; /* server frames carry no mask (a masked one is refused first) */
}

/* Validates the complete header in d->hdr and sets up the payload phase. */
static int start_frame(struct va_ws_decoder *d)
{
	uint8_t b0 = d->hdr[0], b1 = d->hdr[1];
	uint8_t op = b0 & 0x0f, l7 = b1 & 0x7f;
	bool fin = (b0 & VA_WS_FIN) != 0;
	uint64_t len = l7;

	if (l7 == 126) {
		len = ((uint64_t)d->hdr[2] << 8) | d->hdr[3];
		if (len < 126)
			return fail(d, VA_E_PARSE);
	} else if (l7 == 127) {
		len = 0;
		for (int i = 0; i < 8; i++)
			len = (len << 8) | d->hdr[2 + i];
		if ((len >> 63) || len <= 0xffff)
			return fail(d, VA_E_PARSE);
	}
	d->b0 = b0;
	d->remaining = len;
	d->control = (op & 0x8) != 0;
	if (d->control) {
		if (!fin || len > 125)
			return fail(d, VA_E_PARSE);
		d->ctrl_len = 0;
		d->ctrl[0] = '\0';
	} else {
		if (op == VA_WS_OP_CONT) {
			if (!d->in_message)
				return fail(d, VA_E_PARSE);
		} else {
			if (d->in_message)
				return fail(d, VA_E_PARSE);
			d->in_message = true;
			d->msg_opcode = (enum va_ws_opcode)op;
			d->msg_fragments = 0;
			va_buf_reset(&d->msg);
		}
		d->msg_fragments++;
		if (len > d->max_message || d->msg.len > d->max_message - len)
			return fail(d, VA_E_TOOBIG);
	}
	d->state = VA_WS_DEC_PAYLOAD;
	return VA_OK;
}

/* The current frame's payload is complete: returns VA_OK with *out filled if
 * it completes something to hand over, VA_E_AGAIN if it was a non-final
 * fragment. */
static int finish_frame(struct va_ws_decoder *d, struct va_ws_frame *out)
{
	uint8_t op = d->b0 & 0x0f;

	d->state = VA_WS_DEC_HEADER;
	d->hdr_len = 0;
	memset(out, 0, sizeof(*out));
	if (d->control) {
		d->ctrl[d->ctrl_len] = '\0';
		out->opcode = (enum va_ws_opcode)op;
		out->payload = d->ctrl;
		out->len = d->ctrl_len;
		out->fragments = 1;
		out->close_reason = "";
		if (op == VA_WS_OP_CLOSE) {
			if (d->ctrl_len == 1)
				return fail(d, VA_E_PARSE);
			if (d->ctrl_len == 0) {
				out->close_code = VA_WS_CLOSE_NO_STATUS;
			} else {
				out->close_code = ((uint8_t)d->ctrl[0] << 8) | (uint8_t)d->ctrl[1];
				if (!close_code_valid(out->close_code) ||
				    !va_ws_utf8_valid(d->ctrl + 2, d->ctrl_len - 2))
					return fail(d, VA_E_PARSE);
				out->close_reason = d->ctrl + 2;
			}
		}
		return VA_OK;
	}
	if (!(d->b0 & VA_WS_FIN))
		return VA_E_AGAIN;
	d->in_message = false;
	if (d->msg_opcode == VA_WS_OP_TEXT && !va_ws_utf8_valid(d->msg.data, d->msg.len))
		return fail(d, VA_E_PARSE);
	out->opcode = d->msg_opcode;
	out->payload = va_buf_cstr(&d->msg);
	out->len = d->msg.len;
	out->fragments = d->msg_fragments;
	return VA_OK;
}

int va_ws_decoder_feed(struct va_ws_decoder *d, const void *data, size_t len, size_t *consumed,
		       struct va_ws_frame *out)
{
	const uint8_t *p = data;
	size_t used = 0;
	int rc;

	*consumed = 0;
	if (d->state == VA_WS_DEC_FAILED)
		return d->err;
	for (;;) {
		if (d->state == VA_WS_DEC_HEADER) {
			size_t need = d->hdr_len < 2 ? 2 : header_size(d->hdr);

			while (d->hdr_len < need && used < len) {
				d->hdr[d->hdr_len++] = p[used++];
				if (d->hdr_len == 2) {
					uint8_t b0 = d->hdr[0], op = b0 & 0x0f;
					/* Refuse early, before reading a length that may be absurd.
					 */
					if (d->hdr[1] & 0x80)
						rc = VA_E_PARSE;
					else if (b0 & (VA_WS_RSV1 | VA_WS_RSV2 | VA_WS_RSV3))
						rc = VA_E_PARSE;
					else if (op != VA_WS_OP_CONT && op != VA_WS_OP_TEXT &&
						 op != VA_WS_OP_BINARY && op != VA_WS_OP_CLOSE &&
						 op != VA_WS_OP_PING && op != VA_WS_OP_PONG)
						rc = VA_E_PARSE;
					else
						rc = VA_OK;
					if (rc) {
						*consumed = used;
						return fail(d, rc);
					}
					need = header_size(d->hdr);
				}
			}
			if (d->hdr_len < need) {
				*consumed = used;
				return VA_E_AGAIN;
			}
			rc = start_frame(d);
			if (rc) {
				*consumed = used;
				return rc;
			}
		}
		/* VA_WS_DEC_PAYLOAD */
		if (d->remaining > 0) {
			size_t avail = len - used;
			size_t n = (uint64_t)avail < d->remaining ? avail : (size_t)d->remaining;

			if (d->control) {
				memcpy(d->ctrl + d->ctrl_len, p + used, n);
				d->ctrl_len += n;
			} else if (n) {
				rc = va_buf_append(&d->msg, p + used, n);
				if (rc) {
					*consumed = used;
					return fail(d, rc);
				}
			}
			used += n;
			d->remaining -= n;
			if (d->remaining > 0) {
				*consumed = used;
				return VA_E_AGAIN;
			}
		}
		rc = finish_frame(d, out);
		if (rc != VA_E_AGAIN) {
			*consumed = used;
			return rc;
		}
		if (used == len) {
			*consumed = used;
			return VA_E_AGAIN;
		}
	}
}
