/* SPDX-License-Identifier: MIT */
/*
 * config.h - server configuration: one schema table, parsed once from the
 * environment and then flags (flags win), into an immutable struct.
 */
#ifndef VA_APP_CONFIG_H
#define VA_APP_CONFIG_H

#include <stdio.h>

struct va_config {
	int port;		 /* PORT, --port (0 = any free port) */
	char bind[64];		 /* BIND, --bind: listen address */
	char public_url[256];	 /* PUBLIC_URL: https base Twilio reaches; "" = from Host */
	char db_path[512];	 /* VOICEAI_DB, --db */
	char admin_token[256];	 /* VOICEAI_ADMIN_TOKEN; "" = admin API disabled */
	char log_level[16];	 /* LOG_LEVEL */
	char agent[32];		 /* VOICEAI_AGENT, --agent: agent for calls */
	int max_calls;		 /* VOICEAI_MAX_CALLS, --max-calls */
	int reconnect_grace_ms;	 /* VOICEAI_RECONNECT_GRACE_MS: a dropped session may come back */
	int drain_grace_ms;	 /* VOICEAI_DRAIN_GRACE_MS: live calls' time after SIGTERM */
	int max_body;		 /* largest HTTP body (413 past it) */
	int max_frame;		 /* largest WebSocket message (close 1009 past it) */
	int max_queue;		 /* outbound frames queued per socket before it is dropped */
	int demo;		 /* create the demo practice on first run (--no-demo clears) */
	int cal_pull_ms;	 /* VOICEAI_CALENDAR_PULL_MS: between pulls of a calendar */
	int cal_retry_ms;	 /* VOICEAI_CALENDAR_RETRY_MS: first retry of a failed push */
	int cal_retry_max_ms;	 /* VOICEAI_CALENDAR_RETRY_MAX_MS: retry delay cap */
	int realtime_silence_ms; /* VOICEAI_REALTIME_SILENCE_MS: a model this quiet has failed */
};

/* Defaults, then environment, then argv flags (argv[0] is the subcommand).
 * On a bad value writes the reason into why and returns VA_E_INVAL. Sets
 * *help when --help was given. */
int va_config_load(struct va_config *c, int argc, char **argv, int *help, char *why, size_t whysz);
void va_config_usage(FILE *out);

#endif
