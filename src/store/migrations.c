/* SPDX-License-Identifier: MIT */
/*
 * migrations.c - the SQLite schema, as an append-only list of migrations.
 * PRAGMA user_version records how many have been applied; each runs in its own
 * transaction together with the version bump, so a failed migration leaves the
 * database exactly as it was. Never edit a shipped migration: append a new one.
 *
 * Conversations keep no foreign key to tenants on purpose: call records must
 * survive a practice's removal. Turns do reference their conversation, so a
 * conversation row has to be saved before its first turn.
 */
#include "store/store_internal.h"

#include "core/err.h"
#include "core/log.h"

#include <stdbool.h>
#include <stdio.h>

static const char *const migrations[] = {
    /* 1: tenants, conversations, turns */
    "CREATE TABLE tenants ("
    " id TEXT PRIMARY KEY NOT NULL,"
    " name TEXT NOT NULL DEFAULT '',"
    " timezone TEXT NOT NULL DEFAULT '',"
    " twilio_auth_token TEXT NOT NULL DEFAULT '',"
    " api_key TEXT NOT NULL DEFAULT '',"
    " front_desk_number TEXT NOT NULL DEFAULT '',"
    " greeting TEXT NOT NULL DEFAULT '',"
    " connecting_message TEXT NOT NULL DEFAULT '',"
    " language TEXT NOT NULL DEFAULT '',"
    " tts_provider TEXT NOT NULL DEFAULT '',"
    " voice TEXT NOT NULL DEFAULT '',"
    " transcription_provider TEXT NOT NULL DEFAULT '',"
    " speech_model TEXT NOT NULL DEFAULT '',"
    " interruptible TEXT NOT NULL DEFAULT '',"
    " interrupt_sensitivity TEXT NOT NULL DEFAULT '',"
    " speech_timeout TEXT NOT NULL DEFAULT '',"
    " report_input_during_agent TEXT NOT NULL DEFAULT '',"
    " welcome_interruptible TEXT NOT NULL DEFAULT '',"
    " hints TEXT NOT NULL DEFAULT '',"
    " dtmf_detection INTEGER NOT NULL DEFAULT 0,"
    " preemptible INTEGER NOT NULL DEFAULT 0,"
    " partial_prompts INTEGER NOT NULL DEFAULT 0,"
    " application_reconnect INTEGER NOT NULL DEFAULT 0,"
    " preset TEXT NOT NULL DEFAULT 'standard',"
    " created_at INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL"
    ");"
    "CREATE TABLE conversations ("
    " session_id TEXT PRIMARY KEY NOT NULL,"
    " call_sid TEXT NOT NULL DEFAULT '',"
    " tenant_id TEXT NOT NULL DEFAULT '',"
    " from_number TEXT NOT NULL DEFAULT '',"
    " to_number TEXT NOT NULL DEFAULT '',"
    " state TEXT NOT NULL DEFAULT '',"
    " agent TEXT NOT NULL DEFAULT '',"
    " started_ms INTEGER NOT NULL DEFAULT 0,"
    " ended_ms INTEGER NOT NULL DEFAULT 0,"
    " turns INTEGER NOT NULL DEFAULT 0,"
    " interruptions INTEGER NOT NULL DEFAULT 0,"
    " details_json TEXT"
    ");"
    "CREATE INDEX conversations_call_sid ON conversations(call_sid);"
    "CREATE INDEX conversations_tenant_started ON conversations(tenant_id, started_ms);"
    "CREATE TABLE turns ("
    " session_id TEXT NOT NULL REFERENCES conversations(session_id) ON DELETE CASCADE,"
    " seq INTEGER NOT NULL CHECK (seq >= 0),"
    " role TEXT NOT NULL CHECK (role IN ('caller', 'agent', 'system')),"
    " text TEXT NOT NULL DEFAULT '',"
    " heard TEXT,"
    " interrupted INTEGER NOT NULL DEFAULT 0,"
    " started_ms INTEGER NOT NULL DEFAULT 0,"
    " ended_ms INTEGER NOT NULL DEFAULT 0,"
    " first_token_us INTEGER NOT NULL DEFAULT -1,"
    " last_token_us INTEGER NOT NULL DEFAULT -1,"
    " PRIMARY KEY (session_id, seq)"
    ");",
    /* 2: patients, appointments, and the database's own guard against double
     * booking. The triggers are the invariant, whatever the code does: a
     * booked row may not overlap [start_s, end_s) of another booked row of the
     * same tenant and provider (touching ends do not overlap). Only booked rows
     * count, so a cancelled slot can be booked again. The message 'slot taken'
     * is matched by appointments_sqlite.c. */
    "CREATE TABLE patients ("
    " tenant_id TEXT NOT NULL,"
    " phone TEXT NOT NULL,"
    " name TEXT NOT NULL DEFAULT '',"
    " dob TEXT NOT NULL DEFAULT '',"
    " created_ms INTEGER NOT NULL,"
    " updated_ms INTEGER NOT NULL,"
    " PRIMARY KEY (tenant_id, phone)"
    ");"
    "CREATE TABLE appointments ("
    " id TEXT PRIMARY KEY NOT NULL,"
    " tenant_id TEXT NOT NULL,"
    " patient_name TEXT NOT NULL DEFAULT '',"
    " phone TEXT NOT NULL DEFAULT '',"
    " dob TEXT NOT NULL DEFAULT '',"
    " new_patient INTEGER NOT NULL DEFAULT 0,"
    " service TEXT NOT NULL DEFAULT '',"
    " provider_id TEXT NOT NULL,"
    " start_s INTEGER NOT NULL,"
    " end_s INTEGER NOT NULL,"
    " status TEXT NOT NULL DEFAULT 'booked',"
    " urgent INTEGER NOT NULL DEFAULT 0,"
    " notes TEXT NOT NULL DEFAULT '',"
    " session_id TEXT NOT NULL DEFAULT '',"
    " moved_from_s INTEGER,"
    " created_ms INTEGER NOT NULL,"
    " updated_ms INTEGER NOT NULL,"
    " CHECK (end_s > start_s)"
    ");"
    "CREATE INDEX appointments_tenant_start ON appointments(tenant_id, start_s);"
    "CREATE INDEX appointments_tenant_phone ON appointments(tenant_id, phone);"
    /* What the triggers search: live rows of one provider by start. */
    "CREATE INDEX appointments_booked_provider ON appointments(tenant_id, provider_id, start_s)"
    " WHERE status = 'booked';"
    "CREATE TRIGGER appointments_no_overlap_insert BEFORE INSERT ON appointments"
    " WHEN NEW.status = 'booked'"
    " BEGIN"
    " SELECT RAISE(ABORT, 'slot taken') FROM appointments"
    " WHERE tenant_id = NEW.tenant_id AND provider_id = NEW.provider_id"
    " AND status = 'booked' AND id <> NEW.id"
    " AND start_s < NEW.end_s AND end_s > NEW.start_s;"
    " END;"
    "CREATE TRIGGER appointments_no_overlap_update"
    " BEFORE UPDATE OF tenant_id, provider_id, start_s, end_s, status ON appointments"
    " WHEN NEW.status = 'booked'"
    " BEGIN"
    " SELECT RAISE(ABORT, 'slot taken') FROM appointments"
    " WHERE tenant_id = NEW.tenant_id AND provider_id = NEW.provider_id"
    " AND status = 'booked' AND id <> NEW.id"
    " AND start_s < NEW.end_s AND end_s > NEW.start_s;"
    " END;",
    /* 3: the practice's schedule document (hours, providers, services, plans) */
    "ALTER TABLE tenants ADD COLUMN practice_json TEXT;",
    /* 4: the overlap guard looks only a day back (no visit is longer than a
     * day, which the guard also enforces), so its index range stays short
     * however many appointments a provider has. */
    "DROP TRIGGER appointments_no_overlap_insert;"
    "DROP TRIGGER appointments_no_overlap_update;"
    "CREATE TRIGGER appointments_no_overlap_insert"
    " BEFORE INSERT ON appointments"
    " WHEN NEW.status = 'booked'"
    " BEGIN"
    " SELECT RAISE(ABORT, 'too long') WHERE NEW.end_s - NEW.start_s > 86400;"
    " SELECT RAISE(ABORT, 'slot taken') FROM appointments"
    " WHERE tenant_id = NEW.tenant_id AND provider_id = NEW.provider_id"
    " AND status = 'booked' AND id <> NEW.id"
    " AND start_s > NEW.start_s - 86400"
    " AND start_s < NEW.end_s AND end_s > NEW.start_s;"
    " END;"
    "CREATE TRIGGER appointments_no_overlap_update"
    " BEFORE UPDATE OF tenant_id, provider_id, start_s, end_s, status ON appointments"
    " WHEN NEW.status = 'booked'"
    " BEGIN"
    " SELECT RAISE(ABORT, 'too long') WHERE NEW.end_s - NEW.start_s > 86400;"
    " SELECT RAISE(ABORT, 'slot taken') FROM appointments"
    " WHERE tenant_id = NEW.tenant_id AND provider_id = NEW.provider_id"
    " AND status = 'booked' AND id <> NEW.id"
    " AND start_s > NEW.start_s - 86400"
    " AND start_s < NEW.end_s AND end_s > NEW.start_s;"
    " END;",
    /* 5: the practice's language-model settings (its key is a secret, like
     * the Twilio auth token in the same row) */
    "ALTER TABLE tenants ADD COLUMN llm_json TEXT;",
    /* 6: where a language model's turn spent its time */
    ("ALTER TABLE turns ADD COLUMN model_request_us INTEGER NOT NULL DEFAULT -1;"
     "ALTER TABLE turns ADD COLUMN model_first_us INTEGER NOT NULL DEFAULT -1;"),
    /* 7: calendar sync. Every appointment change bumps version; triggers
     * write one outbox row per connected calendar in the same transaction,
     * so a change is never committed without its delivery being recorded
     * (the outbox pattern: the local row is the truth, the calendar a copy).
     * calendar_links is what a calendar holds of ours (href, ETag, the
     * version it has); calendar_busy the time staff blocked there. */
    ("ALTER TABLE appointments ADD COLUMN version INTEGER NOT NULL DEFAULT 1;"
     "ALTER TABLE appointments ADD COLUMN changed_by TEXT NOT NULL DEFAULT 'voiceai';"
     "CREATE TABLE calendars ("
     " id TEXT PRIMARY KEY NOT NULL,"
     " tenant_id TEXT NOT NULL,"
     " provider_id TEXT NOT NULL DEFAULT '',"
     " url TEXT NOT NULL,"
     " username TEXT NOT NULL DEFAULT '',"
     " secret TEXT NOT NULL DEFAULT '',"
     " auth TEXT NOT NULL DEFAULT 'basic',"
     " display_name TEXT NOT NULL DEFAULT '',"
     " sync_token TEXT NOT NULL DEFAULT '',"
     " state TEXT NOT NULL DEFAULT 'ok',"
     " last_error TEXT NOT NULL DEFAULT '',"
     " last_ok_ms INTEGER NOT NULL DEFAULT 0,"
     " last_pull_ms INTEGER NOT NULL DEFAULT 0,"
     " created_ms INTEGER NOT NULL"
     ");"
     "CREATE INDEX calendars_tenant ON calendars(tenant_id);"
     "CREATE TABLE calendar_outbox ("
     " id INTEGER PRIMARY KEY AUTOINCREMENT,"
     " calendar_id TEXT NOT NULL,"
     " appointment_id TEXT NOT NULL,"
     " appt_version INTEGER NOT NULL,"
     " state TEXT NOT NULL DEFAULT 'pending',"
     " attempts INTEGER NOT NULL DEFAULT 0,"
     " next_attempt_ms INTEGER NOT NULL DEFAULT 0,"
     " last_error TEXT NOT NULL DEFAULT '',"
     " created_ms INTEGER NOT NULL,"
     " done_ms INTEGER"
     ");"
     "CREATE INDEX calendar_outbox_pending ON calendar_outbox(calendar_id, id)"
     " WHERE state = 'pending';"
     "CREATE TABLE calendar_links ("
     " calendar_id TEXT NOT NULL,"
     " appointment_id TEXT NOT NULL,"
     " href TEXT NOT NULL,"
     " etag TEXT NOT NULL DEFAULT '',"
     " published_version INTEGER NOT NULL,"
     " PRIMARY KEY (calendar_id, appointment_id)"
     ");"
     "CREATE INDEX calendar_links_href ON calendar_links(calendar_id, href);"
     "CREATE TABLE calendar_busy ("
     " calendar_id TEXT NOT NULL,"
     " href TEXT NOT NULL,"
     " etag TEXT NOT NULL DEFAULT '',"
     " start_s INTEGER NOT NULL,"
     " end_s INTEGER NOT NULL"
     ");"
     "CREATE INDEX calendar_busy_href ON calendar_busy(calendar_id, href);"
     "CREATE TABLE calendar_feeds ("
     " token_sha256 TEXT PRIMARY KEY NOT NULL,"
     " tenant_id TEXT NOT NULL,"
     " provider_id TEXT NOT NULL DEFAULT '',"
     " created_ms INTEGER NOT NULL,"
     " revoked_ms INTEGER"
     ");"
     "CREATE TRIGGER appointments_outbox_insert AFTER INSERT ON appointments"
     " BEGIN"
     " INSERT INTO calendar_outbox (calendar_id, appointment_id, appt_version, created_ms)"
     " SELECT c.id, NEW.id, NEW.version, NEW.updated_ms FROM calendars c"
     " WHERE c.tenant_id = NEW.tenant_id"
     " AND (c.provider_id = '' OR c.provider_id = NEW.provider_id);"
     " END;"
     /* A move to another provider must reach the old provider's calendar
      * too (as a removal). */
     "CREATE TRIGGER appointments_outbox_update AFTER UPDATE OF version ON appointments"
     " BEGIN"
     " INSERT INTO calendar_outbox (calendar_id, appointment_id, appt_version, created_ms)"
     " SELECT c.id, NEW.id, NEW.version, NEW.updated_ms FROM calendars c"
     " WHERE c.tenant_id = NEW.tenant_id"
     " AND (c.provider_id = '' OR c.provider_id IN (NEW.provider_id, OLD.provider_id));"
     " END;"),
    /* 8: the practice's transport (relay or raw audio) and audio settings */
    "ALTER TABLE tenants ADD COLUMN audio_json TEXT;",
};

#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

int va_store__schema_version(void)
{
	return N_MIGRATIONS;
}

static int fail(sqlite3 *db, const char *op, char *why, size_t whysz)
{
	char q[256];

	VA_ERROR("store", NULL, "sqlite_error", "op=%s err=%s", op,
		 va_log_quote(q, sizeof(q), sqlite3_errmsg(db)));
	if (why && whysz)
		snprintf(why, whysz, "%s: %s", op, sqlite3_errmsg(db));
	return VA_E_DB;
}

static int read_version(sqlite3 *db, int *version)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*version = sqlite3_column_int(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

/* Applies the next missing migration, if any; *done set when none is left.
 * The version is read inside the write transaction, so two processes opening
 * the same file at once cannot both apply the same step. */
static int step(sqlite3 *db, bool *done, char *why, size_t whysz)
{
	char pragma[48];
	int version = 0;
	int rc = VA_OK;

	*done = false;
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return fail(db, "migrate_begin", why, whysz);
	if (read_version(db, &version) != SQLITE_OK) {
		rc = fail(db, "schema_version", why, whysz);
		goto out;
	}
	if (version < 0 || version > N_MIGRATIONS) {
		/* A newer build wrote this file; running old code on it would corrupt it. */
		VA_ERROR("store", NULL, "schema_too_new", "have=%d know=%d", version, N_MIGRATIONS);
		if (why && whysz)
			snprintf(why, whysz, "database schema version %d is newer than %d", version,
				 N_MIGRATIONS);
		rc = VA_E_DB;
		goto out;
	}
	if (version == N_MIGRATIONS) {
		*done = true;
		goto out;
	}
	if (sqlite3_exec(db, migrations[version], NULL, NULL, NULL) != SQLITE_OK) {
		rc = fail(db, "migrate", why, whysz);
		goto out;
	}
	/* PRAGMA takes no bound parameters; the value is our own counter. */
	snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", version + 1);
	if (sqlite3_exec(db, pragma, NULL, NULL, NULL) != SQLITE_OK) {
		rc = fail(db, "migrate_version", why, whysz);
		goto out;
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		rc = fail(db, "migrate_commit", why, whysz);
		goto out;
	}
	VA_INFO("store", NULL, "migrated", "version=%d", version + 1);
	return VA_OK;
out:
	/* Also ends the read-only transaction of the up-to-date case. */
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

int va_store__migrate(sqlite3 *db, char *why, size_t whysz)
{
	bool done = false;
	int rc = VA_OK;

	while (!done) {
		rc = step(db, &done, why, whysz);
		if (rc)
			break;
	}
	return rc;
}
