/* SPDX-License-Identifier: MIT */
/* buf.c - bounded growable buffer. */
#include "core/buf.h"
#include "core/alloc.h"
#include "core/err.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void va_buf_init(struct va_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void va_buf_release(struct va_buf *b)
{
	if (!b)
		return;
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void va_buf_reset(struct va_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

static int reserve(struct va_buf *b, size_t extra)
{
	size_t need, ncap;

	if (extra > b->max || b->len > b->max - extra)
		return VA_E_TOOBIG;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return VA_OK;
	ncap = b->cap ? b->cap : 64;
	while (ncap < need)
		ncap *= 2;
	if (b->max < SIZE_MAX && ncap > b->max + 1)
		ncap = b->max + 1;
	b->data = va_xrealloc(b->data, ncap);
	b->cap = ncap;
	return VA_OK;
}

int va_buf_append(struct va_buf *b, const void *p, size_t n)
{
	int rc = reserve(b, n);
	if (rc)
		return rc;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return VA_OK;
}

int va_buf_append_str(struct va_buf *b, const char *s)
{
	return va_buf_append(b, s, strlen(s));
}

int va_buf_vappendf(struct va_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n, rc;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return VA_E_INVAL;
	rc = reserve(b, (size_t)n);
	if (rc)
		return rc;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return VA_OK;
}

int va_buf_appendf(struct va_buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = va_buf_vappendf(b, fmt, ap);
	va_end(ap);
	return rc;
}

const char *va_buf_cstr(const struct va_buf *b)
{
	return b->data ? b->data : "";
}

char *va_buf_take(struct va_buf *b, size_t *len)
{
	char *p = b->data;

	if (!p)
		p = va_xstrdup("");
	if (len)
		*len = b->len;
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	return p;
}
