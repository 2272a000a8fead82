/* SPDX-License-Identifier: MIT */
/*
 * radicale.h - a real CalDAV server for integration tests: Radicale (Debian's
 * package) on a free loopback port with its own storage directory and two
 * users (dentist/secret, other/other), started by the test and stopped after.
 */
#ifndef VA_TEST_RADICALE_H
#define VA_TEST_RADICALE_H

#include "core/buf.h"

#include <sys/types.h>

struct it_radicale {
	pid_t pid;
	int port;
	char dir[256];
	char base[64]; /* http://127.0.0.1:PORT */
	char log[300];
};

/* Fails the test when Radicale is missing or does not answer. */
void it_radicale_start(struct it_radicale *r);
/* The same server (port, storage) again after it_radicale_stop. */
void it_radicale_restart(struct it_radicale *r);
void it_radicale_stop(struct it_radicale *r);
/* Stops it and removes its directory. */
void it_radicale_cleanup(struct it_radicale *r);

/* One request as user (password = the user's, see above) to path (or an
 * absolute URL). extra: "Name: value\r\n" lines or NULL. Returns the status;
 * body and headers appended when not NULL. */
int it_dav(struct it_radicale *r, const char *user, const char *method, const char *path,
	   const char *extra, const char *body, struct va_buf *resp, struct va_buf *headers);
/* Creates the calendar collection path ("/dentist/practice/") for user. */
void it_dav_mkcalendar(struct it_radicale *r, const char *user, const char *path);
/* Number of lines of the server's log containing needle. */
int it_radicale_log_count(const struct it_radicale *r, const char *needle);

#endif
