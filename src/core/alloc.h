/* SPDX-License-Identifier: MIT */
/*
 * alloc.h - allocation policy. va_x* abort on exhaustion (git's xmalloc): used
 * for internal, bounded allocations where recovery is meaningless. Buffers a
 * peer fills use struct va_buf with a maximum instead (core/buf.h).
 */
#ifndef VA_CORE_ALLOC_H
#define VA_CORE_ALLOC_H

#include <stddef.h>

void *va_xmalloc(size_t n);
void *va_xcalloc(size_t nmemb, size_t size);
void *va_xrealloc(void *p, size_t n);
char *va_xstrdup(const char *s);
char *va_xstrndup(const char *s, size_t n);

/* Copies src into dst of size dstsz, always NUL-terminating; returns
 * VA_E_TOOBIG (and a truncated copy) when src does not fit. */
int va_strlcpy(char *dst, const char *src, size_t dstsz);

#endif
