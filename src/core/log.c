/* SPDX-License-Identifier: MIT */
/* log.c - logfmt lines on stderr, written with one write(2) each. */
#include "core/log.h"
#include "core/err.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* The one piece of process state outside the server context: log verbosity is
 * set once at start-up and read everywhere, as in Redis's server.verbosity. */
static enum va_log_level g_level = VA_LOG_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error", "off"};

void va_log_set_level(enum va_log_level lvl)
{
	g_level = lvl;
}

enum va_log_level va_log_get_level(void)
{
	return g_level;
}

int va_log_parse_level(const char *s, enum va_log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcasecmp(s, level_names[i]) == 0) {
			*out = (enum va_log_level)i;
			return VA_OK;
		}
	}
	if (strcasecmp(s, "warning") == 0) {
		*out = VA_LOG_WARN;
		return VA_OK;
	}
	return VA_E_INVAL;
}

static const char *quote_escape(unsigned char c, char tmp[2])
{
	if (c == '"')
		return "\\\"";
	if (c == '\\')
		return "\\\\";
	if (c == '\n')
		return "\\n";
	if (c < 0x20 || c == 0x7f)
		return " ";
	tmp[0] = (char)c;
	tmp[1] = '\0';
	return tmp;
}

const char *va_log_quote(char *dst, size_t dstsz, const char *s)
{
	size_t o = 0, need = 2, room;
	char tmp[2];
	bool cut;

	if (dstsz < 8) {
		if (dstsz)
			dst[0] = '\0';
		return dst;
	}
	for (const char *p = s; p && *p; p++)
		need += strlen(quote_escape((unsigned char)*p, tmp));
	/* Whole value when it fits; otherwise as much as fits before "...". */
	cut = need + 1 > dstsz;
	room = cut ? dstsz - 6 : dstsz - 2;
	dst[o++] = '"';
	for (; s && *s; s++) {
		const char *esc = quote_escape((unsigned char)*s, tmp);
		size_t n = strlen(esc);
		if (o + n > room)
			break;
		memcpy(dst + o, esc, n);
		o += n;
	}
	if (cut) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o++] = '"';
	dst[o] = '\0';
	return dst;
}

void va_log_write(enum va_log_level lvl, const char *sub, const char *call, const char *event,
		  const char *fmt, ...)
{
	char line[2048];
	struct timespec ts;
	struct tm tm;
	size_t o;
	int n;
	va_list ap;

	if (lvl < g_level || lvl >= VA_LOG_OFF)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(line, sizeof(line),
		     "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s sub=%s%s%s event=%s",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		     tm.tm_sec, ts.tv_nsec / 1000000L, level_names[lvl], sub ? sub : "-",
		     call && *call ? " call=" : "", call && *call ? call : "", event ? event : "-");
	o = n < 0 ? 0 : (size_t)n;
	if (o >= sizeof(line))
		o = sizeof(line) - 1;
	if (fmt && *fmt && o < sizeof(line) - 2) {
		line[o++] = ' ';
		va_start(ap, fmt);
		n = vsnprintf(line + o, sizeof(line) - o, fmt, ap);
		va_end(ap);
		if (n > 0)
			o += (size_t)n;
		if (o >= sizeof(line))
			o = sizeof(line) - 1;
	}
	/* A peer-supplied value must never break the one-line-per-event rule. */
	for (size_t i = 0; i < o; i++)
		if ((unsigned char)line[i] < 0x20)
			line[i] = ' ';
	line[o++] = '\n';
	ssize_t w = write(STDERR_FILENO, line, o);
	(void)w;
}
