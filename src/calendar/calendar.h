/* SPDX-License-Identifier: MIT */
/*
 * calendar.h - a calendar a practice has connected (CalDAV), and what we keep
 * about its sync. Plain data with fixed-size fields, copied by value between
 * the loop and the storage thread, like struct va_tenant.
 *
 * secret (a password, an app password or a bearer token) never leaves the
 * process: serializers print only whether one is set, loggers never print it.
 */
#ifndef VA_CALENDAR_CALENDAR_H
#define VA_CALENDAR_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VA_CAL_URL_MAX 512

enum va_cal_auth {
	VA_CAL_AUTH_BASIC = 0, /* user + password (an app password for iCloud, Fastmail) */
	VA_CAL_AUTH_BEARER,    /* an OAuth access token (Google) */
	VA_CAL_AUTH_NONE,
};

struct va_calendar {
	char id[40]; /* "cal_" + 24 hex, assigned when connected */
	char tenant_id[64];
	char provider_id[32];	  /* "" = the whole practice (its busy time blocks everyone) */
	char url[VA_CAL_URL_MAX]; /* the collection, absolute, ending in '/' */
	char username[128];
	char secret[512];
	enum va_cal_auth auth;
	char display_name[128];
	char sync_token[512]; /* RFC 6578 token of the last pull ("" = none yet) */
	char state[16];	      /* ok | attention (credentials refused) | error */
	char last_error[200]; /* never holds a secret or patient data */
	int64_t last_ok_ms;   /* last successful exchange with the server */
	int64_t last_pull_ms; /* last successful pull */
	int64_t created_ms;

	/* Filled by listings (not stored in the row). */
	int64_t outbox_depth;	   /* changes not yet delivered */
	int64_t oldest_pending_ms; /* when the oldest of them was made; 0 = none */
	int64_t dead;		   /* changes given up on (see last_error) */
	int64_t delivered;	   /* changes delivered so far */
	int64_t busy_blocks;	   /* busy intervals pulled from the calendar */
};

/* SHA-256 of data as 64 lowercase hex digits (out NUL-terminated). */
void va_cal_sha256_hex(const void *data, size_t len, char out[65]);
/* A new feed address token (64 hex digits: 256 random bits) and its
 * SHA-256, which is all the store keeps. VA_E_IO without randomness. */
int va_cal_feed_token_new(char token[65], char hash[65]);

const char *va_cal_auth_name(enum va_cal_auth a);
/* VA_E_INVAL for an unknown name. */
int va_cal_auth_parse(const char *name, enum va_cal_auth *out);

#endif
