/* SPDX-License-Identifier: MIT */
/*
 * log.h - one line per event, logfmt, on stderr.
 *
 *   ts=2026-11-25T11:00:00.123Z level=info sub=relay call=CA… event=prompt len=42
 *
 * The level is checked before anything is formatted (Redis serverLog). The
 * caller's format supplies the trailing key=value pairs; values that may hold
 * spaces or quotes from a peer must go through va_log_quote(). Control
 * characters are replaced in the final line, so a peer can never forge a line.
 * Secrets are never passed here: callers log a secret's presence, not its value.
 */
#ifndef VA_CORE_LOG_H
#define VA_CORE_LOG_H

#include <stddef.h>

enum va_log_level { VA_LOG_DEBUG = 0, VA_LOG_INFO, VA_LOG_WARN, VA_LOG_ERROR, VA_LOG_OFF };

void va_log_set_level(enum va_log_level lvl);
enum va_log_level va_log_get_level(void);
/* Parses "debug", "info", "warn", "error", "off"; VA_E_INVAL otherwise. */
int va_log_parse_level(const char *s, enum va_log_level *out);

void va_log_write(enum va_log_level lvl, const char *sub, const char *call, const char *event,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Quotes s for a logfmt value into dst (always NUL-terminated, truncated with
 * "..." if needed); returns dst so it can be used inline as a %s argument. */
const char *va_log_quote(char *dst, size_t dstsz, const char *s);

#define VA_LOG(lvl, sub, call, event, ...)                                                         \
	do {                                                                                       \
		if ((lvl) >= va_log_get_level())                                                   \
			va_log_write((lvl), (sub), (call), (event), __VA_ARGS__);                  \
	} while (0)

#define VA_DEBUG(sub, call, event, ...) VA_LOG(VA_LOG_DEBUG, sub, call, event, __VA_ARGS__)
#define VA_INFO(sub, call, event, ...)  VA_LOG(VA_LOG_INFO, sub, call, event, __VA_ARGS__)
#define VA_WARN(sub, call, event, ...)  VA_LOG(VA_LOG_WARN, sub, call, event, __VA_ARGS__)
#define VA_ERROR(sub, call, event, ...) VA_LOG(VA_LOG_ERROR, sub, call, event, __VA_ARGS__)

#endif
