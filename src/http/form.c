/* SPDX-License-Identifier: MIT */
/*
 * form.c - application/x-www-form-urlencoded decoding for Twilio's webhooks.
 *
 * Every decoded name and value is later used as a C string (signature input,
 * lookups, storage), so a NUL byte, raw or escaped as %00, is rejected with
 * VA_E_PARSE: silently truncating would let two different bodies look alike.
 */
#include "http/form.h"

#include "core/alloc.h"
#include "core/err.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int va_url_decode(char *dst, const char *src, size_t len, int plus_is_space)
{
	size_t i, o = 0;

	if (!dst || (!src && len))
		return VA_E_INVAL;
	/* The length travels back in an int. */
	if (len > INT_MAX)
		return VA_E_TOOBIG;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)src[i];
		int hi, lo;

		if (c == '%') {
			if (len - i < 3)
				return VA_E_PARSE;
			hi = hexval((unsigned char)src[i + 1]);
			lo = hexval((unsigned char)src[i + 2]);
			if (hi < 0 || lo < 0)
				return VA_E_PARSE;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		} else if (c == '+' && plus_is_space) {
			c = ' ';
		}
		if (c == '\0')
			return VA_E_PARSE;
		dst[o++] = (char)c;
	}
	dst[o] = '\0';
	return (int)o;
}

/* Decodes one "name[=value]" segment into storage at *pos. */
static int add_pair(struct va_form *f, char *storage, size_t *pos, const char *seg, size_t n)
{
	const char *eq = memchr(seg, '=', n);
	size_t nlen = eq ? (size_t)(eq - seg) : n;
	char *name = storage + *pos, *value;
	int rc;

	if (f->n == VA_FORM_MAX_PAIRS)
		return VA_E_TOOBIG;
	rc = va_url_decode(name, seg, nlen, 1);
	if (rc < 0)
		return rc;
	*pos += (size_t)rc + 1;
	value = storage + *pos;
	if (eq)
		rc = va_url_decode(value, eq + 1, n - nlen - 1, 1);
	else
		rc = va_url_decode(value, "", 0, 1);
	if (rc < 0)
		return rc;
	*pos += (size_t)rc + 1;
	f->pairs[f->n].name = name;
	f->pairs[f->n].value = value;
	f->n++;
	return VA_OK;
}

int va_form_parse(struct va_form *f, const char *body, size_t len)
{
	size_t pos = 0, i = 0;
	int rc = VA_OK;

	if (!f)
		return VA_E_INVAL;
	f->n = 0;
	f->_storage = NULL;
	if (!body && len)
		return VA_E_INVAL;
	/* Decoding never grows a segment; each pair adds at most two NULs. */
	if (len > SIZE_MAX - 2 * VA_FORM_MAX_PAIRS - 1)
		return VA_E_TOOBIG;
	f->_storage = va_xmalloc(len + 2 * VA_FORM_MAX_PAIRS + 1);

	while (i < len) {
		const char *seg = body + i;
		const char *amp = memchr(seg, '&', len - i);
		size_t n = amp ? (size_t)(amp - seg) : len - i;

		i += n + 1;
		/* Empty segments ("a=1&&b=2", a trailing '&') carry nothing. */
		if (n == 0)
			continue;
		rc = add_pair(f, f->_storage, &pos, seg, n);
		if (rc < 0)
			goto out;
	}
out:
	if (rc < 0)
		f->n = 0;
	return rc;
}

void va_form_release(struct va_form *f)
{
	if (!f)
		return;
	free(f->_storage);
	f->_storage = NULL;
	f->n = 0;
}

const char *va_form_get(const struct va_form *f, const char *name)
{
	size_t i;

	if (!f || !name)
		return NULL;
	for (i = 0; i < f->n; i++) {
		if (strcmp(f->pairs[i].name, name) == 0)
			return f->pairs[i].value;
	}
	return NULL;
}
