/* SPDX-License-Identifier: MIT */
/*
 * buf.h - growable byte buffer with a hard maximum (curl's dynbuf).
 *
 * Every buffer that the network fills is created with a maximum; an append
 * past it fails with VA_E_TOOBIG and leaves the buffer unchanged. The data is
 * always NUL-terminated so text can be used in place.
 */
#ifndef VA_CORE_BUF_H
#define VA_CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct va_buf {
	char *data; /* owned; NULL until the first append */
	size_t len;
	size_t cap;
	size_t max; /* largest len allowed */
};

#define VA_BUF_INIT(maxlen) {NULL, 0, 0, (maxlen)}

void va_buf_init(struct va_buf *b, size_t max);
/* Frees the storage; the buffer may be reused after va_buf_init. */
void va_buf_release(struct va_buf *b);
/* Empties the buffer, keeping its storage. */
void va_buf_reset(struct va_buf *b);
int va_buf_append(struct va_buf *b, const void *p, size_t n);
int va_buf_append_str(struct va_buf *b, const char *s);
int va_buf_appendf(struct va_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int va_buf_vappendf(struct va_buf *b, const char *fmt, va_list ap);
/* Borrowed NUL-terminated view; "" for an empty buffer. */
const char *va_buf_cstr(const struct va_buf *b);
/* Transfers the storage to the caller (free with free()); the buffer is reset. */
char *va_buf_take(struct va_buf *b, size_t *len);

#endif
