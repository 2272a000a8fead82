/* SPDX-License-Identifier: MIT */
/*
 * calendar_sqlite.c - the calendar part of store.h on SQLite: connected
 * calendars, the durable outbox, links (what each calendar holds of ours),
 * busy time pulled from the practice's calendars, and feed tokens. The schema
 * and the outbox triggers are migration 7 (migrations.c).
 *
 * The outbox is written by triggers on the appointments table, inside the
 * transaction of the change itself; this file only reads it and records what
 * delivery did. Secrets (calendars.secret) are stored like the tenant's other
 * secrets and never logged; nor are hrefs of staff events (they can carry
 * names).
 */
#include "store/store.h"
#include "store/store_internal.h"

#include "core/alloc.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"

#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

enum cal_stmt {
	CS_CAL_UPSERT,
	CS_CAL_EXISTS,
	CS_CAL_GET,
	CS_CAL_LIST,
	CS_CAL_DELETE,
	CS_DEL_OUTBOX,
	CS_DEL_LINKS,
	CS_DEL_BUSY,
	CS_BACKFILL,
	CS_OB_NEXT,
	CS_LINK_GET,
	CS_OB_DONE,
	CS_LINK_SET,
	CS_LINK_DROP,
	CS_CAL_OK,
	CS_OB_FAIL,
	CS_CAL_FAIL,
	CS_OB_RETRY_NOW,
	CS_LINK_BY_HREF,
	CS_LINK_ETAG,
	CS_BUSY_DEL_HREF,
	CS_BUSY_INSERT,
	CS_BUSY_LIST,
	CS_CAL_TOKEN,
	CS_CAL_MARK,
	CS_LINKS,
	CS_FEED_ADD,
	CS_FEED_REVOKE,
	CS_FEED_FIND,
	CS_APPT_TENANT,
	CS__COUNT
};

_Static_assert(VA_STORE__CAL_STMTS + CS__COUNT <= VA_STORE__EXT_STMTS,
	       "store: too many calendar statements");

#define CAL_COLS                                                                                   \
	"id, tenant_id, provider_id, url, username, secret, auth, display_name, sync_token,"       \
	" state, last_error, last_ok_ms, last_pull_ms, created_ms"

/* Staff's busy time is kept from a day back; older blocks cannot matter. */
#define BUSY_KEEP_S 86400

static const char *const cal_sql[CS__COUNT] = {
    /* Reconnecting keeps the sync state unless the collection changed. */
    [CS_CAL_UPSERT] =
	"INSERT INTO calendars (" CAL_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, '', 'ok',"
	" '', 0, 0, ?9) ON CONFLICT(id) DO UPDATE SET provider_id = excluded.provider_id,"
	" sync_token = CASE WHEN url = excluded.url THEN sync_token ELSE '' END,"
	" url = excluded.url, username = excluded.username, secret = excluded.secret,"
	" auth = excluded.auth, display_name = excluded.display_name, state = 'ok',"
	" last_error = '' WHERE tenant_id = excluded.tenant_id",
    [CS_CAL_EXISTS] = "SELECT tenant_id FROM calendars WHERE id = ?1",
    [CS_CAL_GET] = "SELECT " CAL_COLS " FROM calendars WHERE id = ?1",
    [CS_CAL_LIST] =
	"SELECT " CAL_COLS ","
	" (SELECT count(*) FROM calendar_outbox o WHERE o.calendar_id = c.id"
	"  AND o.state = 'pending'),"
	" (SELECT min(created_ms) FROM calendar_outbox o WHERE o.calendar_id = c.id"
	"  AND o.state = 'pending'),"
	" (SELECT count(*) FROM calendar_outbox o WHERE o.calendar_id = c.id"
	"  AND o.state = 'dead'),"
	" (SELECT count(*) FROM calendar_outbox o WHERE o.calendar_id = c.id"
	"  AND o.state = 'done'),"
	" (SELECT count(*) FROM calendar_busy b WHERE b.calendar_id = c.id)"
	" FROM calendars c WHERE (?1 IS NULL OR tenant_id = ?1) ORDER BY tenant_id, created_ms, id",
    [CS_CAL_DELETE] = "DELETE FROM calendars WHERE id = ?1 AND tenant_id = ?2",
    [CS_DEL_OUTBOX] = "DELETE FROM calendar_outbox WHERE calendar_id = ?1",
    [CS_DEL_LINKS] = "DELETE FROM calendar_links WHERE calendar_id = ?1",
    [CS_DEL_BUSY] = "DELETE FROM calendar_busy WHERE calendar_id = ?1",
    /* A calendar connected today gets the visits already booked. */
    [CS_BACKFILL] = "INSERT INTO calendar_outbox (calendar_id, appointment_id, appt_version,"
		    " created_ms) SELECT ?1, id, version, ?4 FROM appointments"
		    " WHERE tenant_id = ?2 AND status = 'booked' AND end_s > ?3"
		    " AND (?5 = '' OR provider_id = ?5) ORDER BY start_s, id",
    /* Strictly the oldest pending row: a calendar gets its changes in the
     * order they were made, so a failing head row holds the rest back. */
    [CS_OB_NEXT] = "SELECT o.id, o.appointment_id, o.appt_version, o.attempts, o.created_ms,"
		   " o.next_attempt_ms, c.tenant_id FROM calendar_outbox o"
		   " JOIN calendars c ON c.id = o.calendar_id"
		   " WHERE o.calendar_id = ?1 AND o.state = 'pending' ORDER BY o.id LIMIT 1",
    [CS_LINK_GET] = "SELECT href, etag, published_version FROM calendar_links"
		    " WHERE calendar_id = ?1 AND appointment_id = ?2",
    [CS_OB_DONE] = "UPDATE calendar_outbox SET state = 'done', done_ms = ?4, last_error = ''"
		   " WHERE calendar_id = ?1 AND appointment_id = ?2 AND state = 'pending'"
		   " AND appt_version <= ?3",
    [CS_LINK_SET] = "INSERT INTO calendar_links (calendar_id, appointment_id, href, etag,"
		    " published_version) VALUES (?1, ?2, ?3, ?4, ?5)"
		    " ON CONFLICT(calendar_id, appointment_id) DO UPDATE SET href = excluded.href,"
		    " etag = excluded.etag, published_version = excluded.published_version",
    [CS_LINK_DROP] = "DELETE FROM calendar_links WHERE calendar_id = ?1 AND appointment_id = ?2",
    [CS_CAL_OK] = "UPDATE calendars SET last_ok_ms = ?2, state = 'ok', last_error = ''"
		  " WHERE id = ?1",
    [CS_OB_FAIL] = "UPDATE calendar_outbox SET attempts = attempts + 1, last_error = ?2,"
		   " next_attempt_ms = ?3, state = CASE WHEN ?4 THEN 'dead' ELSE 'pending' END"
		   " WHERE id = ?1",
    [CS_CAL_FAIL] = "UPDATE calendars SET state = CASE WHEN ?2 = '' THEN state ELSE ?2 END,"
		    " last_error = ?3 WHERE id = ?1",
    [CS_OB_RETRY_NOW] = "UPDATE calendar_outbox SET next_attempt_ms = 0 WHERE state = 'pending'"
			" AND calendar_id IN (SELECT id FROM calendars WHERE tenant_id = ?1)",
    [CS_LINK_BY_HREF] = "SELECT l.appointment_id, l.etag FROM calendar_links l"
			" WHERE l.calendar_id = ?1 AND l.href = ?2",
    [CS_LINK_ETAG] = "UPDATE calendar_links SET etag = ?3, published_version = ?4"
		     " WHERE calendar_id = ?1 AND appointment_id = ?2",
    [CS_BUSY_DEL_HREF] = "DELETE FROM calendar_busy WHERE calendar_id = ?1 AND href = ?2",
    [CS_BUSY_INSERT] = "INSERT INTO calendar_busy (calendar_id, href, etag, start_s, end_s)"
		       " VALUES (?1, ?2, ?3, ?4, ?5)",
    [CS_BUSY_LIST] = "SELECT start_s, end_s FROM calendar_busy WHERE calendar_id = ?1"
		     " AND end_s > ?2 ORDER BY start_s",
    [CS_CAL_TOKEN] = "UPDATE calendars SET sync_token = ?2, last_pull_ms = ?3, last_ok_ms = ?3"
		     " WHERE id = ?1",
    [CS_CAL_MARK] = "UPDATE calendars SET"
		    " state = CASE WHEN ?2 = '' THEN state ELSE ?2 END,"
		    " last_error = CASE WHEN ?3 IS NULL THEN last_error ELSE ?3 END,"
		    " last_ok_ms = CASE WHEN ?4 = 0 THEN last_ok_ms ELSE ?4 END,"
		    " last_pull_ms = CASE WHEN ?5 = 0 THEN last_pull_ms ELSE ?5 END WHERE id = ?1",
    [CS_LINKS] = "SELECT appointment_id, href, etag FROM calendar_links WHERE calendar_id = ?1",
    [CS_FEED_ADD] = "INSERT INTO calendar_feeds (token_sha256, tenant_id, provider_id,"
		    " created_ms) VALUES (?1, ?2, ?3, ?4)",
    [CS_FEED_REVOKE] = "UPDATE calendar_feeds SET revoked_ms = ?3 WHERE tenant_id = ?1"
		       " AND (?2 IS NULL OR provider_id = ?2) AND revoked_ms IS NULL",
    [CS_FEED_FIND] = "SELECT tenant_id, provider_id FROM calendar_feeds WHERE token_sha256 = ?1"
		     " AND revoked_ms IS NULL",
    [CS_APPT_TENANT] = "SELECT 1 FROM appointments WHERE id = ?1 AND tenant_id = ?2",
};

/* ---- helpers ----------------------------------------------------------- */

static int stmt_get(struct va_store *s, enum cal_stmt id, sqlite3_stmt **out)
{
	return va_store__stmt(s, VA_STORE__CAL_STMTS + (int)id, cal_sql[id], out);
}

static int bind_str(sqlite3_stmt *st, int c, const char *p, size_t size)
{
	return sqlite3_bind_text(st, c, p, (int)strnlen(p, size), SQLITE_STATIC);
}

#define BIND(st, c, obj, f) bind_str((st), (c), (obj)->f, sizeof((obj)->f))

/* Runs a bound statement that returns no rows; finishes it. */
static int run_bound(struct va_store *s, sqlite3_stmt *st, int src, const char *op)
{
	if (src == SQLITE_OK)
		src = sqlite3_step(st);
	va_store__stmt_done(st);
	if (src != SQLITE_DONE)
		return va_store__step_error(s, src, op);
	return VA_OK;
}


static void read_cal(sqlite3_stmt *st, struct va_calendar *c, bool with_counts)
{
	char auth[16];

	memset(c, 0, sizeof(*c));
	va_store__column_text(st, 0, c->id, sizeof(c->id));
	va_store__column_text(st, 1, c->tenant_id, sizeof(c->tenant_id));
	va_store__column_text(st, 2, c->provider_id, sizeof(c->provider_id));
	va_store__column_text(st, 3, c->url, sizeof(c->url));
	va_store__column_text(st, 4, c->username, sizeof(c->username));
	va_store__column_text(st, 5, c->secret, sizeof(c->secret));
	va_store__column_text(st, 6, auth, sizeof(auth));
	if (va_cal_auth_parse(auth, &c->auth) != VA_OK)
		c->auth = VA_CAL_AUTH_BASIC;
	va_store__column_text(st, 7, c->display_name, sizeof(c->display_name));
	va_store__column_text(st, 8, c->sync_token, sizeof(c->sync_token));
	va_store__column_text(st, 9, c->state, sizeof(c->state));
	va_store__column_text(st, 10, c->last_error, sizeof(c->last_error));
	c->last_ok_ms = sqlite3_column_int64(st, 11);
	c->last_pull_ms = sqlite3_column_int64(st, 12);
	c->created_ms = sqlite3_column_int64(st, 13);
	if (with_counts) {
		c->outbox_depth = sqlite3_column_int64(st, 14);
		c->oldest_pending_ms = sqlite3_column_int64(st, 15);
		c->dead = sqlite3_column_int64(st, 16);
		c->delivered = sqlite3_column_int64(st, 17);
		c->busy_blocks = sqlite3_column_int64(st, 18);
	}
}

/* ---- calendars ----------------------------------------------------------- */

static bool cal_valid(const struct va_calendar *c)
{
	size_t n = strnlen(c->tenant_id, sizeof(c->tenant_id));
	size_t u = strnlen(c->url, sizeof(c->url));

	return n > 0 && n < sizeof(c->tenant_id) && u > 0 && u < sizeof(c->url) &&
	       (strncmp(c->url, "http://", 7) == 0 || strncmp(c->url, "https://", 8) == 0) &&
	       strnlen(c->provider_id, sizeof(c->provider_id)) < sizeof(c->provider_id) &&
	       strnlen(c->username, sizeof(c->username)) < sizeof(c->username) &&
	       strnlen(c->secret, sizeof(c->secret)) < sizeof(c->secret) &&
	       strnlen(c->display_name, sizeof(c->display_name)) < sizeof(c->display_name) &&
	       (int)c->auth >= 0 && c->auth <= VA_CAL_AUTH_NONE;
}

static int cal_get_locked(struct va_store *s, const char *id, struct va_calendar *out)
{
	sqlite3_stmt *st = NULL;
	int src, rc = stmt_get(s, CS_CAL_GET, &st);

	if (rc)
		return rc;
	src = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (src == SQLITE_OK)
		src = sqlite3_step(st);
	if (src == SQLITE_ROW)
		read_cal(st, out, false);
	else if (src == SQLITE_DONE)
		rc = VA_E_NOTFOUND;
	else
		rc = va_store__step_error(s, src, "cal_get");
	va_store__stmt_done(st);
	return rc;
}

static int cal_put_locked(struct va_store *s, const struct va_calendar *in, struct va_calendar *out)
{
	struct va_calendar c = *in;
	sqlite3_stmt *st = NULL;
	bool in_tx = false, fresh = true;
	int64_t now = va_clock_wall_ms();
	int src, rc;

	if (!cal_valid(in))
		return VA_E_INVAL;
	if (!c.id[0] && (rc = va_store__new_id("cal_", c.id, sizeof(c.id))) != VA_OK)
		return rc;
	rc = va_store__begin(s, "cal_put_begin");
	if (rc)
		goto out;
	in_tx = true;
	/* An id of another practice is not ours to overwrite. */
	if ((rc = stmt_get(s, CS_CAL_EXISTS, &st)) != VA_OK)
		goto out;
	src = sqlite3_bind_text(st, 1, c.id, -1, SQLITE_STATIC);
	if (src == SQLITE_OK)
		src = sqlite3_step(st);
	if (src == SQLITE_ROW) {
		fresh = false;
		if (strcmp((const char *)sqlite3_column_text(st, 0), c.tenant_id) != 0)
			rc = VA_E_NOTFOUND;
	} else if (src != SQLITE_DONE) {
		rc = va_store__step_error(s, src, "cal_put");
	}
	va_store__stmt_done(st);
	if (rc)
		goto out;

	if ((rc = stmt_get(s, CS_CAL_UPSERT, &st)) != VA_OK)
		goto out;
	src = BIND(st, 1, &c, id);
	if (src == SQLITE_OK)
		src = BIND(st, 2, &c, tenant_id);
	if (src == SQLITE_OK)
		src = BIND(st, 3, &c, provider_id);
	if (src == SQLITE_OK)
		src = BIND(st, 4, &c, url);
	if (src == SQLITE_OK)
		src = BIND(st, 5, &c, username);
	if (src == SQLITE_OK)
		src = BIND(st, 6, &c, secret);
	if (src == SQLITE_OK)
		src = sqlite3_bind_text(st, 7, va_cal_auth_name(c.auth), -1, SQLITE_STATIC);
	if (src == SQLITE_OK)
		src = BIND(st, 8, &c, display_name);
	if (src == SQLITE_OK)
		src = sqlite3_bind_int64(st, 9, now);
	if ((rc = run_bound(s, st, src, "cal_put")) != VA_OK)
		goto out;
	if (fresh) {
		if ((rc = stmt_get(s, CS_BACKFILL, &st)) != VA_OK)
			goto out;
		src = BIND(st, 1, &c, id);
		if (src == SQLITE_OK)
			src = BIND(st, 2, &c, tenant_id);
		if (src == SQLITE_OK)
			src = sqlite3_bind_int64(st, 3, now / 1000);
		if (src == SQLITE_OK)
			src = sqlite3_bind_int64(st, 4, now);
		if (src == SQLITE_OK)
			src = BIND(st, 5, &c, provider_id);
		if ((rc = run_bound(s, st, src, "cal_backfill")) != VA_OK)
			goto out;
	}
	if ((rc = cal_get_locked(s, c.id, out)) != VA_OK)
		goto out;
	rc = va_store__commit(s, "cal_put_commit");
	if (rc)
		goto out;
	in_tx = false;
	VA_INFO("store", NULL, "calendar_connected", "id=%s tenant=%s provider=%s new=%d", c.id,
		c.tenant_id, c.provider_id[0] ? c.provider_id : "-", fresh);
out:
	if (in_tx)
		va_store__rollback(s);
	return rc;
}

static int cal_delete_locked(struct va_store *s, const char *tenant_id, const char *id)
{
	static const enum cal_stmt drops[] = {CS_DEL_OUTBOX, CS_DEL_LINKS, CS_DEL_BUSY};
	sqlite3_stmt *st = NULL;
	bool in_tx = false;
	int src, rc;
	size_t i;

	rc = va_store__begin(s, "cal_delete_begin");
	if (rc)
		return rc;
	in_tx = true;
	if ((rc = stmt_get(s, CS_CAL_DELETE, &st)) != VA_OK)
		goto out;
	src = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (src == SQLITE_OK)
		src = sqlite3_bind_text(st, 2, tenant_id, -1, SQLITE_STATIC);
	if ((rc = run_bound(s, st, src, "cal_delete")) != VA_OK)
		goto out;
	if (sqlite3_changes(va_store__db(s)) == 0) {
		rc = VA_E_NOTFOUND;
		goto out;
	}
	for (i = 0; i < sizeof(drops) / sizeof(drops[0]); i++) {
		if ((rc = stmt_get(s, drops[i], &st)) != VA_OK)
			goto out;
		src = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		if ((rc = run_bound(s, st, src, "cal_delete")) != VA_OK)
			goto out;
	}
	rc = va_store__commit(s, "cal_delete_commit");
	if (rc == VA_OK) {
		in_tx = false;
		VA_INFO("store", NULL, "calendar_disconnected", "id=%s tenant=%s", id, tenant_id);
	}
out:
	if (in_tx)
		va_store__rollback(s);
	return rc;
}

static int cal_list_locked(struct va_store *s, const char *tenant_id, struct va_calendar **out,
			   size_t *n)
{
	struct va_calendar *v = NULL;
	size_t k = 0, cap = 0;
	sqlite3_stmt *st = NULL;
	int src, rc = stmt_get(s, CS_CAL_LIST, &st);

	*out = NULL;
	*n = 0;
	if (rc)
		return rc;
	src = tenant_id ? sqlite3_bind_text(st, 1, tenant_id, -1, SQLITE_STATIC)
			: sqlite3_bind_null(st, 1);
	while (src == SQLITE_OK && (src = sqlite3_step(st)) == SQLITE_ROW) {
		if (k == cap) {
			cap = cap ? cap * 2 : 4;
			v = va_xrealloc(v, cap * sizeof(*v));
		}
		read_cal(st, &v[k++], true);
		src = SQLITE_OK;
	}
	if (src != SQLITE_DONE) {
		rc = va_store__step_error(s, src, "cal_list");
		free(v);
		v = NULL;
		k = 0;
	}
	va_store__stmt_done(st);
	*out = v;
	*n = k;
	return rc;
}

/* ---- outbox ------------------------------------------------------------ */

static int link_get_locked(struct va_store *s, struct va_outbox_item *it)
{
	sqlite3_stmt *st = NULL;
	int src, rc = stmt_get(s, CS_LINK_GET, &st);

	if (rc)
		return rc;
	src = sqlite3_bind_text(st, 1, it->calendar_id, -1, SQLITE_STATIC);
	if (src == SQLITE_OK)
		src = sqlite3_bind_text(st, 2, it->appt.id, -1, SQLITE_STATIC);
	if (src == SQLITE_OK)
		src = sqlite3_step(st);
	if (src == SQLITE_ROW) {
		it->linked = true;
		va_store__column_text(st, 0, it->href, sizeof(it->href));
		va_store__column_text(st, 1, it->etag, sizeof(it->etag));
		it->published_version = sqlite3_column_int(st, 2);
	} else if (src != SQLITE_DONE) {
		rc = va_store__step_error(s, src, "cal_link_get");
	}
	va_store__stmt_done(st);
	return rc;
}

static int outbox_next_locked(struct va_store *s, const char *calendar_id, int64_t now_ms,
			      struct va_outbox_item *it, int64_t *next_due)
{
	char appt_id[40], tenant[64];
	sqlite3_stmt *st = NULL;
	int64_t due;
	int src, rc = stmt_get(s, CS_OB_NEXT, &st);

	memset(it, 0, sizeof(*it));
	*next_due = 0;
	if (rc)
		return rc;
	src = sqlite3_bind_text(st, 1, calendar_id, -1, SQLITE_STATIC);
	if (src == SQLITE_OK)
		src = sqlite3_step(st);
	if (src == SQLITE_DONE) {
		va_store__stmt_done(st);
		return VA_E_NOTFOUND;
	}
	if (src != SQLITE_ROW) {
		rc = va_store__step_error(s, src, "outbox_next");
		va_store__stmt_done(st);
		return rc;
	}
	it->row_id = sqlite3_column_int64(st, 0);
	va_store__column_text(st, 1, appt_id, sizeof(appt_id));
	it->appt_version = sqlite3_column_int(st, 2);
	it->attempts = sqlite3_column_int(st, 3);
	it->created_ms = sqlite3_column_int64(st, 4);
	due = sqlite3_column_int64(st, 5);
	va_store__column_text(st, 6, tenant, sizeof(tenant));
	va_store__stmt_done(st);
	va_strlcpy(it->calendar_id, calendar_id, sizeof(it->calendar_id));
	if (due > now_ms) {
		*next_due = due;
		return VA_E_NOTFOUND;
	}
	rc = va_store__appt_get_locked(s, tenant, appt_id, &it->appt);
	if (rc == VA_E_NOTFOUND) {
		/* The appointment is gone (another practice's id cannot reach
		 * here: the row was written for its tenant). Nothing to send. */
		va_strlcpy(it->appt.id, appt_id, sizeof(it->appt.id));
		va_strlcpy(it->appt.tenant_id, tenant, sizeof(it->appt.tenant_id));
		it->appt.status = VA_APPT_CANCELLED;
		rc = VA_OK;
	}
	if (rc == VA_OK)
		rc = link_get_locked(s, it);
	return rc;
}

static int outbox_result_locked(struct va_store *s, const struct va_outbox_result *r)
{
	sqlite3_stmt *st = NULL;
	int64_t now = va_clock_wall_ms();
	bool in_tx = false;
	int src, rc;

	rc = va_store__begin(s, "outbox_result_begin");
	if (rc)
		return rc;
	in_tx = true;
	if (r->delivered) {
		if ((rc = stmt_get(s, CS_OB_DONE, &st)) != VA_OK)
			goto out;
		src = BIND(st, 1, r, calendar_id);
		if (src == SQLITE_OK)
			src = BIND(st, 2, r, appointment_id);
		if (src == SQLITE_OK)
			src = sqlite3_bind_int(st, 3, r->version);
		if (src == SQLITE_OK)
			src = sqlite3_bind_int64(st, 4, now);
		if ((rc = run_bound(s, st, src, "outbox_done")) != VA_OK)
			goto out;
		if (r->link == VA_OUTBOX_LINK_SET) {
			if ((rc = stmt_get(s, CS_LINK_SET, &st)) != VA_OK)
				goto out;
			src = BIND(st, 1, r, calendar_id);
			if (src == SQLITE_OK)
				src = BIND(st, 2, r, appointment_id);
			if (src == SQLITE_OK)
				src = BIND(st, 3, r, href);
			if (src == SQLITE_OK)
				src = BIND(st, 4, r, etag);
			if (src == SQLITE_OK)
				src = sqlite3_bind_int(st, 5, r->version);
			if ((rc = run_bound(s, st, src, "link_set")) != VA_OK)
				goto out;
		} else if (r->link == VA_OUTBOX_LINK_DROP) {
			if ((rc = stmt_get(s, CS_LINK_DROP, &st)) != VA_OK)
				goto out;
			src = BIND(st, 1, r, calendar_id);
			if (src == SQLITE_OK)
				src = BIND(st, 2, r, appointment_id);
			if ((rc = run_bound(s, st, src, "link_drop")) != VA_OK)
				goto out;
		}
		if ((rc = stmt_get(s, CS_CAL_OK, &st)) != VA_OK)
			goto out;
		src = BIND(st, 1, r, calendar_id);
		if (src == SQLITE_OK)
			src = sqlite3_bind_int64(st, 2, now);
		if ((rc = run_bound(s, st, src, "cal_ok")) != VA_OK)
			goto out;
	} else {
		if ((rc = stmt_get(s, CS_OB_FAIL, &st)) != VA_OK)
			goto out;
		src = sqlite3_bind_int64(st, 1, r->row_id);
		if (src == SQLITE_OK)
			src = BIND(st, 2, r, error);
		if (src == SQLITE_OK)
			src = sqlite3_bind_int64(st, 3, r->next_attempt_ms);
		if (src == SQLITE_OK)
			src = sqlite3_bind_int(st, 4, r->dead ? 1 : 0);
		if ((rc = run_bound(s, st, src, "outbox_fail")) != VA_OK)
			goto out;
		if ((rc = stmt_get(s, CS_CAL_FAIL, &st)) != VA_OK)
			goto out;
		src = BIND(st, 1, r, calendar_id);
		if (src == SQLITE_OK)
			src = BIND(st, 2, r, cal_state);
		if (src == SQLITE_OK)
			src = BIND(st, 3, r, error);
		if ((rc = run_bound(s, st, src, "cal_fail")) != VA_OK)
			goto out;
	}
	rc = va_store__commit(s, "outbox_result_commit");
	if (rc == VA_OK)
		in_tx = false;
out:
	if (in_tx)
		va_store__rollback(s);
	return rc;
}

static int retry_now_locked(struct va_store *s, const char *tenant_id)
{
	sqlite3_stmt *st = NULL;
	int rc = stmt_get(s, CS_OB_RETRY_NOW, &st);

	if (rc)
		return rc;
	return run_bound(s, st, sqlite3_bind_text(st, 1, tenant_id, -1, SQLITE_STATIC),
			 "outbox_retry_now");
}

/* ---- pulling ------------------------------------------------------------- */

static int busy_list_locked(struct va_store *s, const struct va_calendar *c, int64_t now_ms,
			    struct va_busy **out, size_t *n)
{
	struct va_busy *v = NULL;
	size_t k = 0, cap = 0;
	sqlite3_stmt *st = NULL;
	int src, rc = stmt_get(s, CS_BUSY_LIST, &st);

	*out = NULL;
	*n = 0;
	if (rc)
		return rc;
	src = sqlite3_bind_text(st, 1, c->id, -1, SQLITE_STATIC);
	if (src == SQLITE_OK)
		src = sqlite3_bind_int64(st, 2, now_ms / 1000 - BUSY_KEEP_S);
	while (src == SQLITE_OK && (src = sqlite3_step(st)) == SQLITE_ROW) {
		if (k == cap) {
			cap = cap ? cap * 2 : 16;
			v = va_xrealloc(v, cap * sizeof(*v));
		}
		memset(&v[k], 0, sizeof(v[k]));
		va_strlcpy(v[k].provider_id, c->provider_id, sizeof(v[k].provider_id));
		v[k].start = sqlite3_column_int64(st, 0);
		v[k].end = sqlite3_column_int64(st, 1);
		k++;
		src = SQLITE_OK;
	}
	va_store__stmt_done(st);
	if (src != SQLITE_DONE) {
		free(v);
		return va_store__step_error(s, src, "cal_busy_list");
	}
	*out = v;
	*n = k;
	return VA_OK;
}

static bool appt_of_tenant(struct va_store *s, const char *tenant_id, const char *appt_id)
{
	sqlite3_stmt *st = NULL;
	int src;
	bool yes = false;

	if (!appt_id[0] || stmt_get(s, CS_APPT_TENANT, &st) != VA_OK)
		return false;
	src = sqlite3_bind_text(st, 1, appt_id, -1, SQLITE_STATIC);
	if (src == SQLITE_OK)
		src = sqlite3_bind_text(st, 2, tenant_id, -1, SQLITE_STATIC);
	if (src == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		yes = true;
	va_store__stmt_done(st);
	return yes;
}

/* One of our events changed or vanished in the calendar: staff moved or
 * cancelled the visit there. The appointment follows, and the link takes the
 * calendar's ETag and the new version, so the outbox row the change writes
 * for this same calendar completes without a request. */
static int apply_own_locked(struct va_store *s, const struct va_calendar *c,
			    const struct va_cal_resource *r, const char *appt_id, bool *changed,
			    char *conflict, size_t conflictsz)
{
	struct va_appointment cur, out;
	const struct va_cal_event_in *ev = NULL;
	char by[56];
	sqlite3_stmt *st = NULL;
	size_t i;
	int src, rc;

	snprintf(by, sizeof(by), "calendar:%s", c->id);
	rc = va_store__appt_get_locked(s, c->tenant_id, appt_id, &cur);
	if (rc == VA_E_NOTFOUND)
		return VA_OK;
	if (rc)
		return rc;
	for (i = 0; i < r->n; i++)
		if (!r->ev[i].transparent || r->ev[i].cancelled) {
			ev = &r->ev[i];
			break;
		}
	if (!ev && r->n)
		ev = &r->ev[0];
	out = cur;
	if (r->deleted || !ev || ev->cancelled) {
		if (cur.status == VA_APPT_BOOKED) {
			rc =
			    va_store__appt_cancel_locked(s, c->tenant_id, appt_id, by, false, &out);
			if (rc)
				return rc;
			*changed = true;
		}
		if ((rc = stmt_get(s, CS_LINK_DROP, &st)) != VA_OK)
			return rc;
		src = sqlite3_bind_text(st, 1, c->id, -1, SQLITE_STATIC);
		if (src == SQLITE_OK)
			src = sqlite3_bind_text(st, 2, appt_id, -1, SQLITE_STATIC);
		return run_bound(s, st, src, "link_drop");
	}
	if (cur.status == VA_APPT_BOOKED && (ev->start != cur.start || ev->end != cur.end)) {
		rc = va_store__appt_move_locked(s, c->tenant_id, appt_id, ev->start, ev->end, NULL,
						by, false, &out);
		if (rc == VA_E_EXISTS || rc == VA_E_INVAL) {
			/* Overwriting either booking would lose one: a person
			 * settles it. The appointment keeps its time here. */
			snprintf(conflict, conflictsz,
				 "appointment %s was moved in the calendar onto a taken time; "
				 "not applied",
				 appt_id);
			VA_WARN("calendar", NULL, "remote_move_conflict",
				"calendar=%s tenant=%s appt=%s", c->id, c->tenant_id, appt_id);
			rc = VA_OK;
		} else if (rc) {
			return rc;
		} else {
			*changed = true;
		}
	}
	if ((rc = stmt_get(s, CS_LINK_ETAG, &st)) != VA_OK)
		return rc;
	src = sqlite3_bind_text(st, 1, c->id, -1, SQLITE_STATIC);
	if (src == SQLITE_OK)
		src = sqlite3_bind_text(st, 2, appt_id, -1, SQLITE_STATIC);
	if (src == SQLITE_OK)
		src = BIND(st, 3, r, etag);
	if (src == SQLITE_OK)
		src = sqlite3_bind_int(st, 4, out.version);
	return run_bound(s, st, src, "link_etag");
}

static int busy_replace_locked(struct va_store *s, const struct va_calendar *c,
			       const struct va_cal_resource *r, bool delete_first)
{
	sqlite3_stmt *st = NULL;
	size_t i;
	int src, rc;

	if (delete_first) {
		if ((rc = stmt_get(s, CS_BUSY_DEL_HREF, &st)) != VA_OK)
			return rc;
		src = sqlite3_bind_text(st, 1, c->id, -1, SQLITE_STATIC);
		if (src == SQLITE_OK)
			src = BIND(st, 2, r, href);
		if ((rc = run_bound(s, st, src, "busy_delete")) != VA_OK)
			return rc;
	}
	if (r->deleted)
		return VA_OK;
	for (i = 0; i < r->n; i++) {
		const struct va_cal_event_in *e = &r->ev[i];

		if (e->cancelled || e->transparent || e->end <= e->start)
			continue;
		if ((rc = stmt_get(s, CS_BUSY_INSERT, &st)) != VA_OK)
			return rc;
		src = sqlite3_bind_text(st, 1, c->id, -1, SQLITE_STATIC);
		if (src == SQLITE_OK)
			src = BIND(st, 2, r, href);
		if (src == SQLITE_OK)
			src = BIND(st, 3, r, etag);
		if (src == SQLITE_OK)
			src = sqlite3_bind_int64(st, 4, e->start);
		if (src == SQLITE_OK)
			src = sqlite3_bind_int64(st, 5, e->end);
		if ((rc = run_bound(s, st, src, "busy_insert")) != VA_OK)
			return rc;
	}
	return VA_OK;
}

static int pull_apply_locked(struct va_store *s, const struct va_cal_pull *p, bool *changed,
			     struct va_busy **busy, size_t *n_busy)
{
	struct va_calendar c;
	char conflict[200] = "";
	sqlite3_stmt *st = NULL;
	bool in_tx = false;
	size_t i, j;
	int src, rc;

	*changed = false;
	rc = va_store__begin(s, "cal_pull_begin");
	if (rc)
		return rc;
	in_tx = true;
	if ((rc = cal_get_locked(s, p->calendar_id, &c)) != VA_OK)
		goto out;
	if (strcmp(c.tenant_id, p->tenant_id) != 0) {
		rc = VA_E_NOTFOUND;
		goto out;
	}
	if (p->full) {
		if ((rc = stmt_get(s, CS_DEL_BUSY, &st)) != VA_OK)
			goto out;
		src = sqlite3_bind_text(st, 1, c.id, -1, SQLITE_STATIC);
		if ((rc = run_bound(s, st, src, "busy_clear")) != VA_OK)
			goto out;
	}
	for (i = 0; i < p->n; i++) {
		const struct va_cal_resource *r = &p->res[i];
		char appt_id[40] = "", etag[256] = "";
		bool linked = false, ours = false;

		if ((rc = stmt_get(s, CS_LINK_BY_HREF, &st)) != VA_OK)
			goto out;
		src = sqlite3_bind_text(st, 1, c.id, -1, SQLITE_STATIC);
		if (src == SQLITE_OK)
			src = BIND(st, 2, r, href);
		if (src == SQLITE_OK)
			src = sqlite3_step(st);
		if (src == SQLITE_ROW) {
			linked = true;
			va_store__column_text(st, 0, appt_id, sizeof(appt_id));
			va_store__column_text(st, 1, etag, sizeof(etag));
		} else if (src != SQLITE_DONE) {
			rc = va_store__step_error(s, src, "link_by_href");
			va_store__stmt_done(st);
			goto out;
		}
		va_store__stmt_done(st);
		if (linked) {
			if (!r->deleted && etag[0] && strcmp(etag, r->etag) == 0)
				continue; /* our own write coming back */
			rc = apply_own_locked(s, &c, r, appt_id, changed, conflict,
					      sizeof(conflict));
			if (rc)
				goto out;
			continue;
		}
		/* Ours but not linked (the link was lost between a PUT and its
		 * record): the outbox reconciles it; it is not staff's time. */
		for (j = 0; j < r->n && !ours; j++)
			ours = appt_of_tenant(s, c.tenant_id, r->ev[j].appointment_id);
		if (ours)
			continue;
		if ((rc = busy_replace_locked(s, &c, r, !p->full)) != VA_OK)
			goto out;
	}
	if (p->save_token) {
		if ((rc = stmt_get(s, CS_CAL_TOKEN, &st)) != VA_OK)
			goto out;
		src = sqlite3_bind_text(st, 1, c.id, -1, SQLITE_STATIC);
		if (src == SQLITE_OK)
			src = BIND(st, 2, p, sync_token);
		if (src == SQLITE_OK)
			src = sqlite3_bind_int64(st, 3, p->now_ms);
		if ((rc = run_bound(s, st, src, "cal_token")) != VA_OK)
			goto out;
	}
	if (conflict[0]) {
		if ((rc = stmt_get(s, CS_CAL_FAIL, &st)) != VA_OK)
			goto out;
		src = sqlite3_bind_text(st, 1, c.id, -1, SQLITE_STATIC);
		if (src == SQLITE_OK)
			src = sqlite3_bind_text(st, 2, "", -1, SQLITE_STATIC);
		if (src == SQLITE_OK)
			src = sqlite3_bind_text(st, 3, conflict, -1, SQLITE_STATIC);
		if ((rc = run_bound(s, st, src, "cal_conflict")) != VA_OK)
			goto out;
	}
	if ((rc = busy_list_locked(s, &c, p->now_ms, busy, n_busy)) != VA_OK)
		goto out;
	rc = va_store__commit(s, "cal_pull_commit");
	if (rc == VA_OK)
		in_tx = false;
out:
	if (in_tx) {
		va_store__rollback(s);
		free(*busy);
		*busy = NULL;
		*n_busy = 0;
		*changed = false;
	}
	return rc;
}

static int links_locked(struct va_store *s, const char *calendar_id, struct va_cal_link **out,
			size_t *n)
{
	struct va_cal_link *v = NULL;
	size_t k = 0, cap = 0;
	sqlite3_stmt *st = NULL;
	int src, rc = stmt_get(s, CS_LINKS, &st);

	*out = NULL;
	*n = 0;
	if (rc)
		return rc;
	src = sqlite3_bind_text(st, 1, calendar_id, -1, SQLITE_STATIC);
	while (src == SQLITE_OK && (src = sqlite3_step(st)) == SQLITE_ROW) {
		if (k == cap) {
			cap = cap ? cap * 2 : 16;
			v = va_xrealloc(v, cap * sizeof(*v));
		}
		va_store__column_text(st, 0, v[k].appointment_id, sizeof(v[k].appointment_id));
		va_store__column_text(st, 1, v[k].href, sizeof(v[k].href));
		va_store__column_text(st, 2, v[k].etag, sizeof(v[k].etag));
		k++;
		src = SQLITE_OK;
	}
	va_store__stmt_done(st);
	if (src != SQLITE_DONE) {
		free(v);
		return va_store__step_error(s, src, "cal_links");
	}
	*out = v;
	*n = k;
	return VA_OK;
}

static int mark_locked(struct va_store *s, const char *id, const char *state, const char *error,
		       int64_t ok_ms, int64_t pull_ms)
{
	sqlite3_stmt *st = NULL;
	int src, rc = stmt_get(s, CS_CAL_MARK, &st);

	if (rc)
		return rc;
	src = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (src == SQLITE_OK)
		src = sqlite3_bind_text(st, 2, state ? state : "", -1, SQLITE_STATIC);
	if (src == SQLITE_OK)
		src = error ? sqlite3_bind_text(st, 3, error, -1, SQLITE_STATIC)
			    : sqlite3_bind_null(st, 3);
	if (src == SQLITE_OK)
		src = sqlite3_bind_int64(st, 4, ok_ms);
	if (src == SQLITE_OK)
		src = sqlite3_bind_int64(st, 5, pull_ms);
	return run_bound(s, st, src, "cal_mark");
}

/* ---- feeds --------------------------------------------------------------- */

static int feed_add_locked(struct va_store *s, const char *tenant_id, const char *provider_id,
			   const char *hash)
{
	sqlite3_stmt *st = NULL;
	int src, rc = stmt_get(s, CS_FEED_ADD, &st);

	if (rc)
		return rc;
	src = sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
	if (src == SQLITE_OK)
		src = sqlite3_bind_text(st, 2, tenant_id, -1, SQLITE_STATIC);
	if (src == SQLITE_OK)
		src = sqlite3_bind_text(st, 3, provider_id ? provider_id : "", -1, SQLITE_STATIC);
	if (src == SQLITE_OK)
		src = sqlite3_bind_int64(st, 4, va_clock_wall_ms());
	return run_bound(s, st, src, "feed_add");
}

static int feed_revoke_locked(struct va_store *s, const char *tenant_id, const char *provider_id)
{
	sqlite3_stmt *st = NULL;
	int src, rc = stmt_get(s, CS_FEED_REVOKE, &st);

	if (rc)
		return rc;
	src = sqlite3_bind_text(st, 1, tenant_id, -1, SQLITE_STATIC);
	if (src == SQLITE_OK)
		src = provider_id ? sqlite3_bind_text(st, 2, provider_id, -1, SQLITE_STATIC)
				  : sqlite3_bind_null(st, 2);
	if (src == SQLITE_OK)
		src = sqlite3_bind_int64(st, 3, va_clock_wall_ms());
	return run_bound(s, st, src, "feed_revoke");
}

static int feed_find_locked(struct va_store *s, const char *hash, struct va_calendar *out)
{
	sqlite3_stmt *st = NULL;
	int src, rc = stmt_get(s, CS_FEED_FIND, &st);

	memset(out, 0, sizeof(*out));
	if (rc)
		return rc;
	src = sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
	if (src == SQLITE_OK)
		src = sqlite3_step(st);
	if (src == SQLITE_ROW) {
		va_store__column_text(st, 0, out->tenant_id, sizeof(out->tenant_id));
		va_store__column_text(st, 1, out->provider_id, sizeof(out->provider_id));
	} else if (src == SQLITE_DONE) {
		rc = VA_E_NOTFOUND;
	} else {
		rc = va_store__step_error(s, src, "feed_find");
	}
	va_store__stmt_done(st);
	return rc;
}

/* ---- synchronous forms ------------------------------------------------- */

int va_store_cal_put_sync(struct va_store *s, const struct va_calendar *c, struct va_calendar *out)
{
	struct va_calendar tmp;
	int rc;

	if (!s || !c)
		return VA_E_INVAL;
	va_store__lock(s);
	rc = cal_put_locked(s, c, out ? out : &tmp);
	va_store__unlock(s);
	return rc;
}

int va_store_cal_delete_sync(struct va_store *s, const char *tenant_id, const char *id)
{
	int rc;

	if (!s || !tenant_id || !id)
		return VA_E_INVAL;
	va_store__lock(s);
	rc = cal_delete_locked(s, tenant_id, id);
	va_store__unlock(s);
	return rc;
}

int va_store_cal_list_sync(struct va_store *s, const char *tenant_id, struct va_calendar **out,
			   size_t *n)
{
	int rc;

	if (!s || !out || !n)
		return VA_E_INVAL;
	va_store__lock(s);
	rc = cal_list_locked(s, tenant_id, out, n);
	va_store__unlock(s);
	return rc;
}

int va_store_feed_add_sync(struct va_store *s, const char *tenant_id, const char *provider_id,
			   const char *token_sha256)
{
	int rc;

	if (!s || !tenant_id || !*tenant_id || !token_sha256 || !*token_sha256)
		return VA_E_INVAL;
	va_store__lock(s);
	rc = feed_add_locked(s, tenant_id, provider_id, token_sha256);
	va_store__unlock(s);
	return rc;
}

int va_store_feed_revoke_sync(struct va_store *s, const char *tenant_id, const char *provider_id)
{
	int rc;

	if (!s || !tenant_id)
		return VA_E_INVAL;
	va_store__lock(s);
	rc = feed_revoke_locked(s, tenant_id, provider_id);
	va_store__unlock(s);
	return rc;
}

/* ---- asynchronous forms ------------------------------------------------ */

enum cal_op {
	OP_LIST,
	OP_PUT,
	OP_DELETE,
	OP_OB_NEXT,
	OP_OB_RESULT,
	OP_RETRY_NOW,
	OP_PULL,
	OP_BUSY,
	OP_LINKS,
	OP_MARK,
	OP_FEED_FIND,
	OP_FEED_ADD,
	OP_FEED_REVOKE,
};

struct cal_job {
	struct va_store_job base;
	struct va_store *s;
	enum cal_op op;
	bool has_tenant;
	struct va_calendar cal; /* inputs (ids, tenant, provider) and single results */
	char text[256];		/* state / feed hash */
	char error[200];
	bool has_error;
	int64_t a, b;
	struct va_outbox_item item;
	int64_t next_due;
	struct va_outbox_result result;
	/* pull: a deep copy of the caller's */
	struct va_cal_pull pull;
	struct va_cal_resource *res;
	bool changed;
	/* results */
	struct va_calendar *cals;
	struct va_busy *busy;
	struct va_cal_link *links;
	size_t n;
	union {
		va_store_cb done;
		va_store_cal_list_cb list;
		va_store_cal_cb one;
		va_store_outbox_cb outbox;
		va_store_busy_cb busy;
		va_store_links_cb links;
	} cb;
	void *arg;
};

static void run_cal(struct va_store_job *j, void *ctx)
{
	struct cal_job *cj = va_store__job_of(j, struct cal_job);
	struct va_store *s = ctx;
	struct va_calendar c;

	switch (cj->op) {
	case OP_LIST:
		j->status = cal_list_locked(s, cj->has_tenant ? cj->cal.tenant_id : NULL, &cj->cals,
					    &cj->n);
		break;
	case OP_PUT:
		c = cj->cal;
		j->status = cal_put_locked(s, &c, &cj->cal);
		break;
	case OP_DELETE:
		j->status = cal_delete_locked(s, cj->cal.tenant_id, cj->cal.id);
		break;
	case OP_OB_NEXT:
		j->status = outbox_next_locked(s, cj->cal.id, cj->a, &cj->item, &cj->next_due);
		break;
	case OP_OB_RESULT:
		j->status = outbox_result_locked(s, &cj->result);
		break;
	case OP_RETRY_NOW:
		j->status = retry_now_locked(s, cj->cal.tenant_id);
		break;
	case OP_PULL:
		j->status = pull_apply_locked(s, &cj->pull, &cj->changed, &cj->busy, &cj->n);
		break;
	case OP_BUSY:
		j->status = cal_get_locked(s, cj->cal.id, &c);
		if (j->status == VA_OK)
			j->status = busy_list_locked(s, &c, cj->a, &cj->busy, &cj->n);
		break;
	case OP_LINKS:
		j->status = links_locked(s, cj->cal.id, &cj->links, &cj->n);
		break;
	case OP_MARK:
		j->status = mark_locked(s, cj->cal.id, cj->text, cj->has_error ? cj->error : NULL,
					cj->a, cj->b);
		break;
	case OP_FEED_FIND:
		j->status = feed_find_locked(s, cj->text, &cj->cal);
		break;
	case OP_FEED_ADD:
		j->status = feed_add_locked(s, cj->cal.tenant_id, cj->cal.provider_id, cj->text);
		break;
	case OP_FEED_REVOKE:
		j->status = feed_revoke_locked(s, cj->cal.tenant_id,
					       cj->has_tenant ? cj->cal.provider_id : NULL);
		break;
	}
}

static void complete_cal(struct va_store_job *j)
{
	struct cal_job *cj = va_store__job_of(j, struct cal_job);
	bool ok = j->status == VA_OK;
	size_t i;

	switch (cj->op) {
	case OP_LIST:
		if (cj->cb.list)
			cj->cb.list(j->status, ok ? cj->cals : NULL, ok ? cj->n : 0, cj->arg);
		break;
	case OP_PUT:
	case OP_FEED_FIND:
		if (cj->cb.one)
			cj->cb.one(j->status, ok ? &cj->cal : NULL, cj->arg);
		break;
	case OP_OB_NEXT:
		if (cj->cb.outbox)
			cj->cb.outbox(j->status, ok ? &cj->item : NULL, cj->next_due, cj->arg);
		break;
	case OP_PULL:
	case OP_BUSY:
		if (cj->cb.busy)
			cj->cb.busy(j->status, ok ? cj->busy : NULL, ok ? cj->n : 0, cj->arg);
		if (cj->changed)
			va_store__changed(cj->s, cj->pull.tenant_id);
		break;
	case OP_LINKS:
		if (cj->cb.links)
			cj->cb.links(j->status, ok ? cj->links : NULL, ok ? cj->n : 0, cj->arg);
		break;
	default:
		if (cj->cb.done)
			cj->cb.done(j->status, cj->arg);
		break;
	}
	free(cj->cals);
	free(cj->busy);
	free(cj->links);
	for (i = 0; cj->res && i < cj->pull.n; i++)
		free(cj->res[i].ev);
	free(cj->res);
	free(cj);
}

static struct cal_job *job_new(struct va_store *s, enum cal_op op, void *arg)
{
	struct cal_job *j = va_xcalloc(1, sizeof(*j));

	j->base.run = run_cal;
	j->base.complete = complete_cal;
	j->s = s;
	j->op = op;
	j->arg = arg;
	return j;
}

static int job_submit(struct va_store *s, struct cal_job *j)
{
	size_t i;
	int rc = va_store__submit(s, &j->base);

	if (rc) {
		for (i = 0; j->res && i < j->pull.n; i++)
			free(j->res[i].ev);
		free(j->res);
		free(j);
	}
	return rc;
}

static int set_id(char *dst, size_t size, const char *src)
{
	if (!src || !*src)
		return VA_E_INVAL;
	return va_strlcpy(dst, src, size) == VA_OK ? VA_OK : VA_E_INVAL;
}

int va_store_cal_list(struct va_store *s, const char *tenant_id, va_store_cal_list_cb cb, void *arg)
{
	struct cal_job *j;

	if (!s)
		return VA_E_INVAL;
	j = job_new(s, OP_LIST, arg);
	j->cb.list = cb;
	if (tenant_id) {
		j->has_tenant = true;
		if (set_id(j->cal.tenant_id, sizeof(j->cal.tenant_id), tenant_id)) {
			free(j);
			return VA_E_INVAL;
		}
	}
	return job_submit(s, j);
}

int va_store_cal_put(struct va_store *s, const struct va_calendar *c, va_store_cal_cb cb, void *arg)
{
	struct cal_job *j;

	if (!s || !c || !cal_valid(c))
		return VA_E_INVAL;
	j = job_new(s, OP_PUT, arg);
	j->cal = *c;
	j->cb.one = cb;
	return job_submit(s, j);
}

int va_store_cal_delete(struct va_store *s, const char *tenant_id, const char *id, va_store_cb cb,
			void *arg)
{
	struct cal_job *j;

	if (!s)
		return VA_E_INVAL;
	j = job_new(s, OP_DELETE, arg);
	j->cb.done = cb;
	if (set_id(j->cal.tenant_id, sizeof(j->cal.tenant_id), tenant_id) ||
	    set_id(j->cal.id, sizeof(j->cal.id), id)) {
		free(j);
		return VA_E_INVAL;
	}
	return job_submit(s, j);
}

int va_store_outbox_next(struct va_store *s, const char *calendar_id, int64_t now_ms,
			 va_store_outbox_cb cb, void *arg)
{
	struct cal_job *j;

	if (!s)
		return VA_E_INVAL;
	j = job_new(s, OP_OB_NEXT, arg);
	j->cb.outbox = cb;
	j->a = now_ms;
	if (set_id(j->cal.id, sizeof(j->cal.id), calendar_id)) {
		free(j);
		return VA_E_INVAL;
	}
	return job_submit(s, j);
}

int va_store_outbox_result(struct va_store *s, const struct va_outbox_result *r, va_store_cb cb,
			   void *arg)
{
	struct cal_job *j;

	if (!s || !r || !r->calendar_id[0] || !r->appointment_id[0])
		return VA_E_INVAL;
	j = job_new(s, OP_OB_RESULT, arg);
	j->cb.done = cb;
	j->result = *r;
	return job_submit(s, j);
}

int va_store_outbox_retry_now(struct va_store *s, const char *tenant_id, va_store_cb cb, void *arg)
{
	struct cal_job *j;

	if (!s)
		return VA_E_INVAL;
	j = job_new(s, OP_RETRY_NOW, arg);
	j->cb.done = cb;
	if (set_id(j->cal.tenant_id, sizeof(j->cal.tenant_id), tenant_id)) {
		free(j);
		return VA_E_INVAL;
	}
	return job_submit(s, j);
}

int va_store_cal_pull_apply(struct va_store *s, const struct va_cal_pull *p, va_store_busy_cb cb,
			    void *arg)
{
	struct cal_job *j;
	size_t i;

	if (!s || !p || !p->calendar_id[0] || !p->tenant_id[0] || (p->n && !p->res))
		return VA_E_INVAL;
	j = job_new(s, OP_PULL, arg);
	j->cb.busy = cb;
	j->pull = *p;
	if (p->n) {
		j->res = va_xcalloc(p->n, sizeof(*j->res));
		for (i = 0; i < p->n; i++) {
			j->res[i] = p->res[i];
			j->res[i].ev = NULL;
			if (p->res[i].n) {
				j->res[i].ev = va_xmalloc(p->res[i].n * sizeof(*p->res[i].ev));
				memcpy(j->res[i].ev, p->res[i].ev,
				       p->res[i].n * sizeof(*p->res[i].ev));
			}
		}
	}
	j->pull.res = j->res;
	return job_submit(s, j);
}

int va_store_cal_busy(struct va_store *s, const char *calendar_id, va_store_busy_cb cb, void *arg)
{
	struct cal_job *j;

	if (!s)
		return VA_E_INVAL;
	j = job_new(s, OP_BUSY, arg);
	j->cb.busy = cb;
	j->a = va_clock_wall_ms();
	if (set_id(j->cal.id, sizeof(j->cal.id), calendar_id)) {
		free(j);
		return VA_E_INVAL;
	}
	return job_submit(s, j);
}

int va_store_cal_links(struct va_store *s, const char *calendar_id, va_store_links_cb cb, void *arg)
{
	struct cal_job *j;

	if (!s)
		return VA_E_INVAL;
	j = job_new(s, OP_LINKS, arg);
	j->cb.links = cb;
	if (set_id(j->cal.id, sizeof(j->cal.id), calendar_id)) {
		free(j);
		return VA_E_INVAL;
	}
	return job_submit(s, j);
}

int va_store_cal_mark(struct va_store *s, const char *calendar_id, const char *state,
		      const char *last_error, int64_t ok_ms, int64_t pull_ms, va_store_cb cb,
		      void *arg)
{
	struct cal_job *j;

	if (!s)
		return VA_E_INVAL;
	j = job_new(s, OP_MARK, arg);
	j->cb.done = cb;
	j->a = ok_ms;
	j->b = pull_ms;
	va_strlcpy(j->text, state ? state : "", sizeof(j->text));
	if (last_error) {
		j->has_error = true;
		va_strlcpy(j->error, last_error, sizeof(j->error));
	}
	if (set_id(j->cal.id, sizeof(j->cal.id), calendar_id)) {
		free(j);
		return VA_E_INVAL;
	}
	return job_submit(s, j);
}

int va_store_feed_find(struct va_store *s, const char *token_sha256, va_store_cal_cb cb, void *arg)
{
	struct cal_job *j;

	if (!s)
		return VA_E_INVAL;
	j = job_new(s, OP_FEED_FIND, arg);
	j->cb.one = cb;
	if (set_id(j->text, sizeof(j->text), token_sha256)) {
		free(j);
		return VA_E_INVAL;
	}
	return job_submit(s, j);
}

int va_store_feed_add(struct va_store *s, const char *tenant_id, const char *provider_id,
		      const char *token_sha256, va_store_cb cb, void *arg)
{
	struct cal_job *j;

	if (!s)
		return VA_E_INVAL;
	j = job_new(s, OP_FEED_ADD, arg);
	j->cb.done = cb;
	if (set_id(j->cal.tenant_id, sizeof(j->cal.tenant_id), tenant_id) ||
	    set_id(j->text, sizeof(j->text), token_sha256) ||
	    va_strlcpy(j->cal.provider_id, provider_id ? provider_id : "",
		       sizeof(j->cal.provider_id)) != VA_OK) {
		free(j);
		return VA_E_INVAL;
	}
	return job_submit(s, j);
}

int va_store_feed_revoke(struct va_store *s, const char *tenant_id, const char *provider_id,
			 va_store_cb cb, void *arg)
{
	struct cal_job *j;

	if (!s)
		return VA_E_INVAL;
	j = job_new(s, OP_FEED_REVOKE, arg);
	j->cb.done = cb;
	j->has_tenant = provider_id != NULL;
	if (set_id(j->cal.tenant_id, sizeof(j->cal.tenant_id), tenant_id) ||
	    va_strlcpy(j->cal.provider_id, provider_id ? provider_id : "",
		       sizeof(j->cal.provider_id)) != VA_OK) {
		free(j);
		return VA_E_INVAL;
	}
	return job_submit(s, j);
}
