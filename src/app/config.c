/* SPDX-License-Identifier: MIT */
/*
 * config.c - the server's settings as one table: name, environment variable,
 * flag, type, target field and range. Parsing lives here; the running server
 * only reads the resulting struct.
 */
#include "app/config.h"
#include "core/alloc.h"
#include "core/err.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum opt_type { OPT_INT, OPT_STR, OPT_FLAG_OFF };

struct opt {
	const char *flag;
	const char *env;
	enum opt_type type;
	size_t offset;
	size_t size; /* OPT_STR: buffer size */
	long min, max;
	const char *help;
};

#define F(field) offsetof(struct va_config, field)
#define S(field) sizeof(((struct va_config *)0)->field)

static const struct opt opts[] = {
    {"--port", "PORT", OPT_INT, F(port), 0, 0, 65535, "TCP port to listen on (default 8000)"},
    {"--bind", "BIND", OPT_STR, F(bind), S(bind), 0, 0, "listen address (default 0.0.0.0)"},
    {"--public-url", "PUBLIC_URL", OPT_STR, F(public_url), S(public_url), 0, 0,
     "https base URL Twilio reaches (default: from Host and X-Forwarded-Proto)"},
    {"--db", "VOICEAI_DB", OPT_STR, F(db_path), S(db_path), 0, 0,
     "SQLite database path (default ./var/voiceai.db)"},
    {"--admin-token", "VOICEAI_ADMIN_TOKEN", OPT_STR, F(admin_token), S(admin_token), 0, 0,
     "bearer token for the admin API (default: admin API off)"},
    {"--log-level", "LOG_LEVEL", OPT_STR, F(log_level), S(log_level), 0, 0,
     "debug, info, warn or error (default info)"},
    {"--agent", "VOICEAI_AGENT", OPT_STR, F(agent), S(agent), 0, 0,
     "agent that answers calls (default: the best one available)"},
    {"--max-calls", "VOICEAI_MAX_CALLS", OPT_INT, F(max_calls), 0, 1, 100000,
     "concurrent calls before new ones are politely refused (default 2000)"},
    {"--reconnect-grace-ms", "VOICEAI_RECONNECT_GRACE_MS", OPT_INT, F(reconnect_grace_ms), 0, 0,
     3600000, "how long a dropped session may resume (default 30000)"},
    {"--drain-grace-ms", "VOICEAI_DRAIN_GRACE_MS", OPT_INT, F(drain_grace_ms), 0, 0, 3600000,
     "after SIGTERM, how long live calls may finish (default 30000)"},
    {"--max-body", "VOICEAI_MAX_BODY", OPT_INT, F(max_body), 0, 1024, 16 << 20,
     "largest HTTP request body in bytes (default 65536)"},
    {"--max-frame", "VOICEAI_MAX_FRAME", OPT_INT, F(max_frame), 0, 1024, 16 << 20,
     "largest WebSocket message in bytes (default 65536)"},
    {"--max-queue", "VOICEAI_MAX_QUEUE", OPT_INT, F(max_queue), 0, 4, 1 << 20,
     "outbound frames queued per socket before a stalled client is dropped (default 1024)"},
    {"--calendar-pull-ms", "VOICEAI_CALENDAR_PULL_MS", OPT_INT, F(cal_pull_ms), 0, 100, 86400000,
     "how often each connected calendar is read (default 5000)"},
    {"--calendar-retry-ms", "VOICEAI_CALENDAR_RETRY_MS", OPT_INT, F(cal_retry_ms), 0, 50, 3600000,
     "first retry of a change a calendar did not take, doubling (default 1000)"},
    {"--calendar-retry-max-ms", "VOICEAI_CALENDAR_RETRY_MAX_MS", OPT_INT, F(cal_retry_max_ms), 0,
     50, 86400000, "longest wait between retries (default 300000)"},
    {"--realtime-silence-ms", "VOICEAI_REALTIME_SILENCE_MS", OPT_INT, F(realtime_silence_ms), 0,
     500, 600000,
     "a speech-to-speech model that has not answered for this long has failed: the call goes "
     "on over ConversationRelay (default 10000)"},
    {"--no-demo", NULL, OPT_FLAG_OFF, F(demo), 0, 0, 0,
     "do not create the demo practice on first run"},
};

static void defaults(struct va_config *c)
{
	memset(c, 0, sizeof(*c));
	c->port = 8000;
	va_strlcpy(c->bind, "0.0.0.0", sizeof(c->bind));
	va_strlcpy(c->db_path, "var/voiceai.db", sizeof(c->db_path));
	va_strlcpy(c->log_level, "info", sizeof(c->log_level));
	c->max_calls = 2000;
	c->reconnect_grace_ms = 30000;
	c->drain_grace_ms = 30000;
	c->max_body = 64 * 1024;
	c->max_frame = 64 * 1024;
	c->max_queue = 1024;
	c->demo = 1;
	c->cal_pull_ms = 5000;
	c->cal_retry_ms = 1000;
	c->cal_retry_max_ms = 300000;
	c->realtime_silence_ms = 10000;
}

static int set(struct va_config *c, const struct opt *o, const char *val, char *why, size_t whysz)
{
	char *base = (char *)c;

	if (o->type == OPT_FLAG_OFF) {
		*(int *)(base + o->offset) = 0;
		return VA_OK;
	}
	if (o->type == OPT_STR) {
		if (va_strlcpy(base + o->offset, val, o->size) != VA_OK) {
			snprintf(why, whysz, "%s: value too long", o->flag);
			return VA_E_INVAL;
		}
		return VA_OK;
	}
	errno = 0;
	char *end;
	long v = strtol(val, &end, 10);
	if (errno || end == val || *end || v < o->min || v > o->max) {
		snprintf(why, whysz, "%s: expected an integer in %ld..%ld", o->flag, o->min,
			 o->max);
		return VA_E_INVAL;
	}
	*(int *)(base + o->offset) = (int)v;
	return VA_OK;
}

int va_config_load(struct va_config *c, int argc, char **argv, int *help, char *why, size_t whysz)
{
	size_t nopts = sizeof(opts) / sizeof(opts[0]);
	int rc;

	defaults(c);
	*help = 0;
	for (size_t i = 0; i < nopts; i++) {
		const char *v = opts[i].env ? getenv(opts[i].env) : NULL;
		if (v && *v && (rc = set(c, &opts[i], v, why, whysz)) != VA_OK)
			return rc;
	}
	for (int a = 1; a < argc; a++) {
		const char *arg = argv[a];
		const struct opt *o = NULL;
		const char *val = NULL;

		if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
			*help = 1;
			return VA_OK;
		}
		for (size_t i = 0; i < nopts && !o; i++) {
			size_t fl = strlen(opts[i].flag);
			if (!strncmp(arg, opts[i].flag, fl) &&
			    (arg[fl] == '\0' || arg[fl] == '=')) {
				o = &opts[i];
				if (arg[fl] == '=')
					val = arg + fl + 1;
			}
		}
		if (!o) {
			snprintf(why, whysz, "unknown option %s", arg);
			return VA_E_INVAL;
		}
		if (o->type != OPT_FLAG_OFF && !val) {
			if (a + 1 >= argc) {
				snprintf(why, whysz, "%s needs a value", o->flag);
				return VA_E_INVAL;
			}
			val = argv[++a];
		}
		if ((rc = set(c, o, val ? val : "", why, whysz)) != VA_OK)
			return rc;
	}
	return VA_OK;
}

void va_config_usage(FILE *out)
{
	fprintf(out, "usage: voiceai serve [options]\n\n"
		     "Runs the server: Twilio voice webhooks, ConversationRelay sessions, the\n"
		     "tenant and conversation API. Every option can also be set from the\n"
		     "environment variable shown.\n\noptions:\n");
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		fprintf(out, "  %-22s %-28s %s\n", opts[i].flag, opts[i].env ? opts[i].env : "",
			opts[i].help);
}
