/* SPDX-License-Identifier: MIT */
/*
 * harness.h - integration-test harness: starts the real test server (the
 * product server with the scripted test agent) on a free port with its own
 * database, and plays Twilio against it over real sockets through the
 * simulator's client (src/sim/client.h).
 */
#ifndef VA_TEST_HARNESS_H
#define VA_TEST_HARNESS_H

#include "core/buf.h"
#include "sim/client.h"

#include <stdbool.h>
#include <sys/types.h>

#define IT_ADMIN "test-admin-token"
#define IT_TOKEN "demo-auth-token" /* the demo practice's Twilio auth token */
#define IT_KEY	 "demo-api-key"	   /* the demo practice's API key */

struct it_server {
	pid_t pid;
	int port;
	char base[64];	  /* http://127.0.0.1:PORT */
	char ws_base[64]; /* ws://127.0.0.1:PORT */
	char dir[256];	  /* scratch directory: database, logs */
	char log[300];	  /* the server's stderr */
};

/* Starts the server with extra flags (NULL-terminated list, may be NULL) and
 * waits until /healthz answers. Fails the test on error. */
void it_server_start(struct it_server *s, const char *const *extra_args);
/* Starts it again on the same port, database and log (appended). */
void it_server_restart(struct it_server *s, const char *const *extra_args);
/* Starts a mock server (argv[0] is its path; NULL-terminated) whose first
 * stdout line is "port=N"; stderr goes to stderr_path (NULL: /dev/null).
 * Returns its pid and sets *port. Fails the test on error. */
pid_t it_mock_start(const char *const *argv, const char *stderr_path, int *port);

/* A TCP port on 127.0.0.1 that was free a moment ago. */
int it_free_port(void);
/* SIGTERM, waits for exit; returns the exit status (or -1). */
int it_server_stop(struct it_server *s);
/* True while the server process is alive. */
bool it_server_alive(struct it_server *s);
/* Number of log lines containing needle. */
int it_log_count(const struct it_server *s, const char *needle);
/* Number of lines of the file at path containing needle (0 if unreadable). */
int it_file_count(const char *path, const char *needle);

/* A simulated call: the signed webhook, its TwiML, the signed socket, setup. */
struct it_call {
	char call_sid[40];
	char session_id[40];
	struct va_sim_twiml twiml;
	struct va_sim_ws *ws;
};

void it_random_sid(const char *prefix, char *dst, size_t dstsz);
/* Webhook + WebSocket + setup for tenant with its auth token. Fails the
 * test on error. */
void it_call_start(struct it_server *s, struct it_call *c, const char *tenant, const char *token);
/* Connects a socket for an existing call (same CallSid) with a new session. */
void it_call_reconnect(struct it_server *s, struct it_call *c, const char *tenant,
		       const char *token);
void it_call_end(struct it_call *c);

int it_send_prompt(struct it_call *c, const char *text);
int it_send_interrupt(struct it_call *c, const char *heard, long ms);
int it_send_dtmf(struct it_call *c, char digit);

/* Reads text frames until last:true (or an end/other message arrives, or the
 * timeout). Appends tokens to reply; *frames counts text frames with a
 * token. Returns VA_OK on last:true, VA_E_STATE if an end came first (its
 * handoffData, if any, in handoff), VA_E_TIMEOUT, VA_E_CLOSED. */
int it_read_reply(struct it_call *c, int timeout_ms, struct va_buf *reply, int *frames,
		  struct va_buf *handoff);
/* Counts text frames that arrive within ms (the session must stay silent). */
int it_count_frames(struct it_call *c, int ms);

/* GET/POST/PUT with an optional bearer token; status returned, body appended. */
int it_http(struct it_server *s, const char *method, const char *path, const char *bearer,
	    const char *body, struct va_buf *resp);

#endif
