/* SPDX-License-Identifier: MIT */
/*
 * store_sqlite.c - the SQLite implementation of store.h: opening and tuning the
 * connection, the statements behind each operation, and the async jobs that
 * carry them to the storage thread (worker.c). The schema is in migrations.c.
 *
 * Every value reaches SQL through a bound parameter of a prepared statement;
 * statements are prepared once and cached. Row values are patient data: errors
 * log the operation and SQLite's message, never what was being written.
 */
#include "store/store.h"
#include "store/store_internal.h"
#include "tenant/audio_json.h"
#include "tenant/llm_json.h"
#include "tenant/practice_json.h"

#include "core/alloc.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum stmt_id {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_TENANT_PUT,
	ST_TENANT_GET,
	ST_TENANT_LIST,
	ST_CONV_SAVE,
	ST_CONV_GET,
	ST_CONV_COUNT,
	ST_TURN_SAVE,
	ST_TURNS_GET,
	ST_PRACTICE_PUT,
	ST_PRACTICE_GET,
	ST_LLM_PUT,
	ST_LLM_GET,
	ST_AUDIO_PUT,
	ST_AUDIO_GET,
	ST__COUNT
};

/* The tenant columns in the order of tenant_text[], tenant_bool[], preset. */
#define TENANT_COLS                                                                                \
	"id, name, timezone, twilio_auth_token, api_key, front_desk_number, greeting,"             \
	" connecting_message, language, tts_provider, voice, transcription_provider,"              \
	" speech_model, interruptible, interrupt_sensitivity, speech_timeout,"                     \
	" report_input_during_agent, welcome_interruptible, hints, dtmf_detection, preemptible,"   \
	" partial_prompts, application_reconnect, preset"

#define CONV_COLS                                                                                  \
	"session_id, call_sid, tenant_id, from_number, to_number, state, agent, started_ms,"       \
	" ended_ms, turns, interruptions, details_json"

#define TURN_COLS                                                                                  \
	"session_id, seq, role, text, heard, interrupted, started_ms, ended_ms, first_token_us,"   \
	" last_token_us, model_request_us, model_first_us"

static const char *const stmt_sql[ST__COUNT] = {
    [ST_BEGIN] = "BEGIN",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    /* An upsert rather than REPLACE keeps created_at. */
    [ST_TENANT_PUT] = "INSERT INTO tenants (" TENANT_COLS ", created_at, updated_at)"
		      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
		      " ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?25)"
		      " ON CONFLICT(id) DO UPDATE SET name = excluded.name,"
		      " timezone = excluded.timezone,"
		      " twilio_auth_token = excluded.twilio_auth_token,"
		      " api_key = excluded.api_key,"
		      " front_desk_number = excluded.front_desk_number,"
		      " greeting = excluded.greeting,"
		      " connecting_message = excluded.connecting_message,"
		      " language = excluded.language,"
		      " tts_provider = excluded.tts_provider,"
		      " voice = excluded.voice,"
		      " transcription_provider = excluded.transcription_provider,"
		      " speech_model = excluded.speech_model,"
		      " interruptible = excluded.interruptible,"
		      " interrupt_sensitivity = excluded.interrupt_sensitivity,"
		      " speech_timeout = excluded.speech_timeout,"
		      " report_input_during_agent = excluded.report_input_during_agent,"
		      " welcome_interruptible = excluded.welcome_interruptible,"
		      " hints = excluded.hints,"
		      " dtmf_detection = excluded.dtmf_detection,"
		      " preemptible = excluded.preemptible,"
		      " partial_prompts = excluded.partial_prompts,"
		      " application_reconnect = excluded.application_reconnect,"
		      " preset = excluded.preset,"
		      " updated_at = excluded.updated_at",
    [ST_TENANT_GET] = "SELECT " TENANT_COLS " FROM tenants WHERE id = ?1",
    /* The schedule is one document: lists of providers, services, closures. */
    [ST_PRACTICE_PUT] = "UPDATE tenants SET practice_json = ?2 WHERE id = ?1",
    [ST_PRACTICE_GET] = "SELECT practice_json FROM tenants WHERE id = ?1",
    [ST_LLM_PUT] = "UPDATE tenants SET llm_json = ?2 WHERE id = ?1",
    [ST_LLM_GET] = "SELECT llm_json FROM tenants WHERE id = ?1",
    [ST_AUDIO_PUT] = "UPDATE tenants SET audio_json = ?2 WHERE id = ?1",
    [ST_AUDIO_GET] = "SELECT audio_json FROM tenants WHERE id = ?1",
    [ST_TENANT_LIST] = "SELECT " TENANT_COLS " FROM tenants ORDER BY id",
    /* An upsert, not REPLACE: REPLACE deletes the row, which would cascade
     * to the conversation's turns. */
    [ST_CONV_SAVE] = "INSERT INTO conversations (" CONV_COLS ")"
		     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
		     " ON CONFLICT(session_id) DO UPDATE SET call_sid = excluded.call_sid,"
		     " tenant_id = excluded.tenant_id,"
		     " from_number = excluded.from_number,"
		     " to_number = excluded.to_number,"
		     " state = excluded.state,"
		     " agent = excluded.agent,"
		     " started_ms = excluded.started_ms,"
		     " ended_ms = excluded.ended_ms,"
		     " turns = excluded.turns,"
		     " interruptions = excluded.interruptions,"
		     " details_json = excluded.details_json",
    [ST_CONV_GET] = "SELECT " CONV_COLS " FROM conversations WHERE session_id = ?1",
    [ST_CONV_COUNT] = "SELECT count(*) FROM conversations",
    [ST_TURN_SAVE] = "INSERT OR REPLACE INTO turns (" TURN_COLS ")"
		     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    [ST_TURNS_GET] = "SELECT " TURN_COLS " FROM turns WHERE session_id = ?1 ORDER BY seq",
};

struct va_store {
	sqlite3 *db;
	/* Serializes the connection and the statement cache between the storage
	 * thread and the sync calls. */
	pthread_mutex_t db_mu;
	sqlite3_stmt *stmt[ST__COUNT];		     /* prepared on first use, under db_mu */
	sqlite3_stmt *ext_stmt[VA_STORE__EXT_STMTS]; /* the other files' (store_internal.h) */
	bool has_worker;
	struct va_store_worker worker;
	/* Loop thread only. */
	void (*change_hook)(const char *tenant_id, void *arg);
	void *change_arg;
};

/* ---- tenant columns ---------------------------------------------------- */

struct field {
	size_t off;
	size_t size;
};

#define TFIELD(f)                                                                                  \
	{                                                                                          \
		offsetof(struct va_tenant, f), sizeof(((struct va_tenant *)0)->f)                  \
	}

static const struct field tenant_text[] = {
    TFIELD(id),
    TFIELD(name),
    TFIELD(timezone),
    TFIELD(twilio_auth_token),
    TFIELD(api_key),
    TFIELD(front_desk_number),
    TFIELD(greeting),
    TFIELD(connecting_message),
    TFIELD(relay.language),
    TFIELD(relay.tts_provider),
    TFIELD(relay.voice),
    TFIELD(relay.transcription_provider),
    TFIELD(relay.speech_model),
    TFIELD(relay.interruptible),
    TFIELD(relay.interrupt_sensitivity),
    TFIELD(relay.speech_timeout),
    TFIELD(relay.report_input_during_agent),
    TFIELD(relay.welcome_interruptible),
    TFIELD(relay.hints),
};

static const struct field tenant_bool[] = {
    TFIELD(relay.dtmf_detection),
    TFIELD(relay.preemptible),
    TFIELD(relay.partial_prompts),
    TFIELD(relay.application_reconnect),
};

#define N_TEXT	    (sizeof(tenant_text) / sizeof(tenant_text[0]))
#define N_BOOL	    (sizeof(tenant_bool) / sizeof(tenant_bool[0]))
#define COL_PRESET  ((int)(N_TEXT + N_BOOL))
#define COL_CREATED (COL_PRESET + 1)

/* The stored spelling of each preset belongs to the database format, so it is
 * kept here rather than borrowed from tenant.c, whose names may change. */
static const char *const preset_names[] = {"standard", "quiet", "noisy", "patient"};
_Static_assert(N_TEXT + N_BOOL == 23, "store: tenant_text/tenant_bool must match TENANT_COLS");
_Static_assert(sizeof(preset_names) / sizeof(preset_names[0]) == VA_PRESET__COUNT,
	       "store: give every preset a stored name");

static const char *const role_names[] = {"caller", "agent", "system"};

/* Enums arrive from callers as plain ints; an out-of-range one must not index
 * the name tables. */
static bool preset_ok(enum va_line_preset p)
{
	return (int)p >= 0 && (int)p < VA_PRESET__COUNT;
}

/* ---- helpers ----------------------------------------------------------- */

static int db_error(struct va_store *s, const char *op)
{
	char q[256];

	VA_ERROR("store", NULL, "sqlite_error", "op=%s err=%s", op,
		 va_log_quote(q, sizeof(q), sqlite3_errmsg(s->db)));
	return VA_E_DB;
}

static int stmt_get(struct va_store *s, enum stmt_id id, sqlite3_stmt **out)
{
	if (!s->stmt[id] && sqlite3_prepare_v3(s->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
					       &s->stmt[id], NULL) != SQLITE_OK)
		return db_error(s, "prepare");
	*out = s->stmt[id];
	return VA_OK;
}

static void stmt_done(sqlite3_stmt *st)
{
	if (!st)
		return;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* Runs a statement that returns no rows. */
static int exec_simple(struct va_store *s, enum stmt_id id, const char *op)
{
	sqlite3_stmt *st = NULL;
	int rc = stmt_get(s, id, &st);

	if (rc)
		return rc;
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = db_error(s, op);
	stmt_done(st);
	return rc;
}

/* Fixed-size fields may lack a terminator; never read past them. */
static int bind_field(sqlite3_stmt *st, int col, const char *p, size_t size)
{
	return sqlite3_bind_text(st, col, p, (int)strnlen(p, size), SQLITE_STATIC);
}

static int bind_opt_text(sqlite3_stmt *st, int col, const char *p)
{
	if (!p)
		return sqlite3_bind_null(st, col);
	return sqlite3_bind_text(st, col, p, -1, SQLITE_STATIC);
}

static void column_field(sqlite3_stmt *st, int col, char *dst, size_t size)
{
	const unsigned char *v = sqlite3_column_text(st, col);

	va_strlcpy(dst, v ? (const char *)v : "", size);
}

static char *column_dup(sqlite3_stmt *st, int col)
{
	const unsigned char *v = sqlite3_column_text(st, col);

	return v ? va_xstrdup((const char *)v) : NULL;
}

static void lock_db(struct va_store *s)
{
	pthread_mutex_lock(&s->db_mu);
}

static void unlock_db(struct va_store *s)
{
	pthread_mutex_unlock(&s->db_mu);
}

/* ---- seams for the other files of src/store/ ---------------------------- */

void va_store_set_change_hook(struct va_store *s, void (*fn)(const char *tenant_id, void *arg),
			      void *arg)
{
	if (!s)
		return;
	s->change_hook = fn;
	s->change_arg = arg;
}

void va_store__changed(struct va_store *s, const char *tenant_id)
{
	if (s && s->change_hook)
		s->change_hook(tenant_id, s->change_arg);
}

void va_store__lock(struct va_store *s)
{
	lock_db(s);
}

void va_store__unlock(struct va_store *s)
{
	unlock_db(s);
}

sqlite3 *va_store__db(struct va_store *s)
{
	return s->db;
}

int va_store__stmt(struct va_store *s, int slot, const char *sql, sqlite3_stmt **out)
{
	if (slot < 0 || slot >= VA_STORE__EXT_STMTS)
		return VA_E_INVAL;
	if (!s->ext_stmt[slot] && sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
						     &s->ext_stmt[slot], NULL) != SQLITE_OK)
		return db_error(s, "prepare");
	*out = s->ext_stmt[slot];
	return VA_OK;
}

void va_store__stmt_done(sqlite3_stmt *st)
{
	stmt_done(st);
}

int va_store__db_error(struct va_store *s, const char *op)
{
	return db_error(s, op);
}

/* ---- operations (connection locked) ------------------------------------ */

static int practice_put_locked(struct va_store *s, const struct va_tenant *t)
{
	struct va_buf doc = VA_BUF_INIT(1 << 20);
	sqlite3_stmt *st = NULL;
	struct va_practice p = t->practice;
	int rc;

	/* What a practice leaves out is the defaults' (practice.h): stored so. */
	va_practice_fill_defaults(&p, 0);
	rc = va_practice_to_json(&p, &doc);

	if (rc == VA_OK)
		rc = stmt_get(s, ST_PRACTICE_PUT, &st);
	if (rc == VA_OK) {
		if (sqlite3_bind_text(st, 1, t->id, -1, SQLITE_STATIC) != SQLITE_OK ||
		    sqlite3_bind_text(st, 2, va_buf_cstr(&doc), (int)doc.len, SQLITE_STATIC) !=
			SQLITE_OK ||
		    sqlite3_step(st) != SQLITE_DONE)
			rc = db_error(s, "practice_put");
		stmt_done(st);
	}
	va_buf_release(&doc);
	return rc;
}

/* A tenant saved before the schedule existed reads back with the defaults. */
static int practice_get_locked(struct va_store *s, struct va_tenant *t)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *doc;
	char why[160];
	int rc = stmt_get(s, ST_PRACTICE_GET, &st);

	memset(&t->practice, 0, sizeof(t->practice));
	if (rc)
		return rc;
	if (sqlite3_bind_text(st, 1, t->id, -1, SQLITE_STATIC) != SQLITE_OK) {
		rc = db_error(s, "practice_get");
		goto out;
	}
	if (sqlite3_step(st) == SQLITE_ROW && (doc = sqlite3_column_text(st, 0)) != NULL &&
	    va_practice_from_json((const char *)doc, (size_t)sqlite3_column_bytes(st, 0),
				  &t->practice, false, why, sizeof(why)) != VA_OK) {
		VA_ERROR("store", NULL, "sqlite_error", "op=practice_read err=\"bad document\"");
		rc = VA_E_DB;
	}
out:
	stmt_done(st);
	if (rc == VA_OK)
		va_practice_fill_defaults(&t->practice, 0);
	return rc;
}

/* One small document per tenant; the stored form keeps the key. */
static int llm_put_locked(struct va_store *s, const struct va_tenant *t)
{
	struct va_buf doc = VA_BUF_INIT(8192);
	sqlite3_stmt *st = NULL;
	int rc = va_tenant_llm_to_json(&t->llm, true, &doc);

	if (rc == VA_OK)
		rc = stmt_get(s, ST_LLM_PUT, &st);
	if (rc == VA_OK) {
		if (sqlite3_bind_text(st, 1, t->id, -1, SQLITE_STATIC) != SQLITE_OK ||
		    sqlite3_bind_text(st, 2, va_buf_cstr(&doc), (int)doc.len, SQLITE_STATIC) !=
			SQLITE_OK ||
		    sqlite3_step(st) != SQLITE_DONE)
			rc = db_error(s, "llm_put");
		stmt_done(st);
	}
	if (doc.data)
		explicit_bzero(doc.data, doc.len);
	va_buf_release(&doc);
	return rc;
}

static int llm_get_locked(struct va_store *s, struct va_tenant *t)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *doc;
	char why[160];
	int rc = stmt_get(s, ST_LLM_GET, &st);

	memset(&t->llm, 0, sizeof(t->llm));
	t->llm.temperature = -1;
	if (rc)
		return rc;
	if (sqlite3_bind_text(st, 1, t->id, -1, SQLITE_STATIC) != SQLITE_OK) {
		rc = db_error(s, "llm_get");
	} else if (sqlite3_step(st) == SQLITE_ROW && (doc = sqlite3_column_text(st, 0)) != NULL &&
		   va_tenant_llm_from_json((const char *)doc, (size_t)sqlite3_column_bytes(st, 0),
					   &t->llm, why, sizeof(why)) != VA_OK) {
		VA_ERROR("store", NULL, "sqlite_error", "op=llm_read err=\"bad document\"");
		rc = VA_E_DB;
	}
	stmt_done(st);
	return rc;
}

static int audio_put_locked(struct va_store *s, const struct va_tenant *t)
{
	struct va_buf doc = VA_BUF_INIT(4096);
	struct va_tenant_audio a = t->audio;
	sqlite3_stmt *st = NULL;
	int rc;

	/* A practice made without defaults (zeroed) stores the defaults, so
	 * what is stored always reads back. */
	if (va_audio_settings_validate(&a.settings) != VA_OK) {
		a.preset = VA_AUDIO_PRESET_NORMAL;
		va_audio_settings_default(&a.settings);
	}
	rc = va_tenant_audio_to_json(&a, &doc);

	if (rc == VA_OK)
		rc = stmt_get(s, ST_AUDIO_PUT, &st);
	if (rc == VA_OK) {
		if (sqlite3_bind_text(st, 1, t->id, -1, SQLITE_STATIC) != SQLITE_OK ||
		    sqlite3_bind_text(st, 2, va_buf_cstr(&doc), (int)doc.len, SQLITE_STATIC) !=
			SQLITE_OK ||
		    sqlite3_step(st) != SQLITE_DONE)
			rc = db_error(s, "audio_put");
		stmt_done(st);
	}
	va_buf_release(&doc);
	return rc;
}

/* A practice saved before audio settings existed gets the defaults. */
static int audio_get_locked(struct va_store *s, struct va_tenant *t)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *doc;
	char why[160];
	int rc = stmt_get(s, ST_AUDIO_GET, &st);

	memset(&t->audio, 0, sizeof(t->audio));
	t->audio.preset = VA_AUDIO_PRESET_NORMAL;
	va_audio_settings_default(&t->audio.settings);
	if (rc)
		return rc;
	if (sqlite3_bind_text(st, 1, t->id, -1, SQLITE_STATIC) != SQLITE_OK) {
		rc = db_error(s, "audio_get");
	} else if (sqlite3_step(st) == SQLITE_ROW && (doc = sqlite3_column_text(st, 0)) != NULL &&
		   va_tenant_audio_from_json((const char *)doc, (size_t)sqlite3_column_bytes(st, 0),
					     &t->audio, why, sizeof(why)) != VA_OK) {
		VA_ERROR("store", NULL, "sqlite_error", "op=audio_read err=\"bad document\"");
		rc = VA_E_DB;
	}
	stmt_done(st);
	return rc;
}

static int tenant_put_locked(struct va_store *s, const struct va_tenant *t)
{
	const char *base = (const char *)t;
	sqlite3_stmt *st = NULL;
	int src = SQLITE_OK;
	int rc;

	if (!preset_ok(t->relay.preset))
		return VA_E_INVAL;
	rc = stmt_get(s, ST_TENANT_PUT, &st);
	if (rc)
		return rc;
	for (size_t i = 0; i < N_TEXT && src == SQLITE_OK; i++)
		src = bind_field(st, (int)i + 1, base + tenant_text[i].off, tenant_text[i].size);
	for (size_t i = 0; i < N_BOOL && src == SQLITE_OK; i++)
		src = sqlite3_bind_int(st, (int)(N_TEXT + i) + 1,
				       *(const bool *)(base + tenant_bool[i].off) ? 1 : 0);
	if (src == SQLITE_OK)
		src = sqlite3_bind_text(st, COL_PRESET + 1, preset_names[t->relay.preset], -1,
					SQLITE_STATIC);
	if (src == SQLITE_OK)
		src = sqlite3_bind_int64(st, COL_CREATED + 1, va_clock_wall_ms());
	if (src == SQLITE_OK)
		src = sqlite3_step(st);
	if (src != SQLITE_DONE)
		rc = db_error(s, "tenant_put");
	stmt_done(st);
	if (rc == VA_OK)
		rc = practice_put_locked(s, t);
	if (rc == VA_OK)
		rc = llm_put_locked(s, t);
	if (rc == VA_OK)
		rc = audio_put_locked(s, t);
	return rc;
}

static int read_tenant(struct va_store *s, sqlite3_stmt *st, struct va_tenant *t)
{
	char *base = (char *)t;
	const unsigned char *preset;

	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < N_TEXT; i++)
		column_field(st, (int)i, base + tenant_text[i].off, tenant_text[i].size);
	for (size_t i = 0; i < N_BOOL; i++)
		*(bool *)(base + tenant_bool[i].off) =
		    sqlite3_column_int(st, (int)(N_TEXT + i)) != 0;
	preset = sqlite3_column_text(st, COL_PRESET);
	for (int p = 0; p < VA_PRESET__COUNT; p++) {
		if (preset && strcmp((const char *)preset, preset_names[p]) == 0) {
			t->relay.preset = (enum va_line_preset)p;
			if (practice_get_locked(s, t) || llm_get_locked(s, t))
				return VA_E_DB;
			return audio_get_locked(s, t);
		}
	}
	VA_ERROR("store", NULL, "sqlite_error", "op=tenant_read err=\"unknown preset\"");
	return VA_E_DB;
}

static int tenant_get_locked(struct va_store *s, const char *id, struct va_tenant *out)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = stmt_get(s, ST_TENANT_GET, &st);
	if (rc)
		return rc;
	if (sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC) != SQLITE_OK) {
		rc = db_error(s, "tenant_get");
		goto out;
	}
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		rc = read_tenant(s, st, out);
		break;
	case SQLITE_DONE:
		rc = VA_E_NOTFOUND;
		break;
	default:
		rc = db_error(s, "tenant_get");
		break;
	}
out:
	stmt_done(st);
	return rc;
}

static int tenant_list_locked(struct va_store *s, struct va_tenant **out, size_t *n)
{
	struct va_tenant *arr = NULL;
	size_t len = 0, cap = 0;
	sqlite3_stmt *st = NULL;
	int step;
	int rc;

	rc = stmt_get(s, ST_TENANT_LIST, &st);
	if (rc)
		return rc;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (len == cap) {
			cap = cap ? cap * 2 : 8;
			arr = va_xrealloc(arr, cap * sizeof(*arr));
		}
		rc = read_tenant(s, st, &arr[len]);
		if (rc)
			goto out;
		len++;
	}
	if (step != SQLITE_DONE) {
		rc = db_error(s, "tenant_list");
		goto out;
	}
	*out = arr;
	*n = len;
	arr = NULL;
out:
	stmt_done(st);
	free(arr);
	return rc;
}

static int conv_count_locked(struct va_store *s, int64_t *n)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = stmt_get(s, ST_CONV_COUNT, &st);
	if (rc)
		return rc;
	if (sqlite3_step(st) == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0);
	else
		rc = db_error(s, "conv_count");
	stmt_done(st);
	return rc;
}

static int conv_save_locked(struct va_store *s, const struct va_conv_row *c)
{
	sqlite3_stmt *st = NULL;
	int src;
	int rc;

	rc = stmt_get(s, ST_CONV_SAVE, &st);
	if (rc)
		return rc;
	src = bind_field(st, 1, c->session_id, sizeof(c->session_id));
	if (src == SQLITE_OK)
		src = bind_field(st, 2, c->call_sid, sizeof(c->call_sid));
	if (src == SQLITE_OK)
		src = bind_field(st, 3, c->tenant_id, sizeof(c->tenant_id));
	if (src == SQLITE_OK)
		src = bind_field(st, 4, c->from, sizeof(c->from));
	if (src == SQLITE_OK)
		src = bind_field(st, 5, c->to, sizeof(c->to));
	if (src == SQLITE_OK)
		src = bind_field(st, 6, c->state, sizeof(c->state));
	if (src == SQLITE_OK)
		src = bind_field(st, 7, c->agent, sizeof(c->agent));
	if (src == SQLITE_OK)
		src = sqlite3_bind_int64(st, 8, c->started_ms);
	if (src == SQLITE_OK)
		src = sqlite3_bind_int64(st, 9, c->ended_ms);
	if (src == SQLITE_OK)
		src = sqlite3_bind_int(st, 10, c->turns);
	if (src == SQLITE_OK)
		src = sqlite3_bind_int(st, 11, c->interruptions);
	if (src == SQLITE_OK)
		src = bind_opt_text(st, 12, c->details_json);
	if (src == SQLITE_OK)
		src = sqlite3_step(st);
	if (src != SQLITE_DONE)
		rc = db_error(s, "conv_save");
	stmt_done(st);
	return rc;
}

static int turn_save_locked(struct va_store *s, const struct va_turn_row *t)
{
	sqlite3_stmt *st = NULL;
	int src;
	int rc;

	rc = stmt_get(s, ST_TURN_SAVE, &st);
	if (rc)
		return rc;
	src = bind_field(st, 1, t->session_id, sizeof(t->session_id));
	if (src == SQLITE_OK)
		src = sqlite3_bind_int(st, 2, t->seq);
	if (src == SQLITE_OK)
		src = sqlite3_bind_text(st, 3, role_names[t->role], -1, SQLITE_STATIC);
	if (src == SQLITE_OK)
		src = sqlite3_bind_text(st, 4, t->text ? t->text : "", -1, SQLITE_STATIC);
	if (src == SQLITE_OK)
		src = bind_opt_text(st, 5, t->heard);
	if (src == SQLITE_OK)
		src = sqlite3_bind_int(st, 6, t->interrupted ? 1 : 0);
	if (src == SQLITE_OK)
		src = sqlite3_bind_int64(st, 7, t->started_ms);
	if (src == SQLITE_OK)
		src = sqlite3_bind_int64(st, 8, t->ended_ms);
	if (src == SQLITE_OK)
		src = sqlite3_bind_int64(st, 9, t->first_token_us);
	if (src == SQLITE_OK)
		src = sqlite3_bind_int64(st, 10, t->last_token_us);
	if (src == SQLITE_OK)
		src = sqlite3_bind_int64(st, 11, t->model_request_us);
	if (src == SQLITE_OK)
		src = sqlite3_bind_int64(st, 12, t->model_first_us);
	if (src == SQLITE_OK)
		src = sqlite3_step(st);
	if (src != SQLITE_DONE)
		rc = db_error(s, "turn_save");
	stmt_done(st);
	return rc;
}

static void read_conv(sqlite3_stmt *st, struct va_conv_row *c)
{
	memset(c, 0, sizeof(*c));
	column_field(st, 0, c->session_id, sizeof(c->session_id));
	column_field(st, 1, c->call_sid, sizeof(c->call_sid));
	column_field(st, 2, c->tenant_id, sizeof(c->tenant_id));
	column_field(st, 3, c->from, sizeof(c->from));
	column_field(st, 4, c->to, sizeof(c->to));
	column_field(st, 5, c->state, sizeof(c->state));
	column_field(st, 6, c->agent, sizeof(c->agent));
	c->started_ms = sqlite3_column_int64(st, 7);
	c->ended_ms = sqlite3_column_int64(st, 8);
	c->turns = sqlite3_column_int(st, 9);
	c->interruptions = sqlite3_column_int(st, 10);
	c->details_json = column_dup(st, 11);
}

static int read_turn(sqlite3_stmt *st, struct va_turn_row *t)
{
	const unsigned char *role = sqlite3_column_text(st, 2);
	int r;

	memset(t, 0, sizeof(*t));
	for (r = 0; r < (int)(sizeof(role_names) / sizeof(role_names[0])); r++)
		if (role && strcmp((const char *)role, role_names[r]) == 0)
			break;
	if (r == (int)(sizeof(role_names) / sizeof(role_names[0]))) {
		VA_ERROR("store", NULL, "sqlite_error", "op=turn_read err=\"unknown role\"");
		return VA_E_DB;
	}
	column_field(st, 0, t->session_id, sizeof(t->session_id));
	t->seq = sqlite3_column_int(st, 1);
	t->role = (enum va_turn_role)r;
	t->text = column_dup(st, 3);
	if (!t->text)
		t->text = va_xstrdup("");
	t->heard = column_dup(st, 4);
	t->interrupted = sqlite3_column_int(st, 5) != 0;
	t->started_ms = sqlite3_column_int64(st, 6);
	t->ended_ms = sqlite3_column_int64(st, 7);
	t->first_token_us = sqlite3_column_int64(st, 8);
	t->last_token_us = sqlite3_column_int64(st, 9);
	t->model_request_us = sqlite3_column_int64(st, 10);
	t->model_first_us = sqlite3_column_int64(st, 11);
	return VA_OK;
}

static int load_turns(struct va_store *s, const char *sid, struct va_conv_loaded *l)
{
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	int step;
	int rc;

	rc = stmt_get(s, ST_TURNS_GET, &st);
	if (rc)
		return rc;
	if (sqlite3_bind_text(st, 1, sid, -1, SQLITE_STATIC) != SQLITE_OK) {
		rc = db_error(s, "conv_load");
		goto out;
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (l->n_turns == cap) {
			cap = cap ? cap * 2 : 16;
			l->turns = va_xrealloc(l->turns, cap * sizeof(*l->turns));
		}
		rc = read_turn(st, &l->turns[l->n_turns]);
		if (rc)
			goto out;
		l->n_turns++;
	}
	if (step != SQLITE_DONE)
		rc = db_error(s, "conv_load");
out:
	stmt_done(st);
	return rc;
}

/* One read transaction, so the row and its turns are a consistent snapshot
 * even if another process writes the file meanwhile. */
static int conv_load_locked(struct va_store *s, const char *sid, struct va_conv_loaded **out)
{
	struct va_conv_loaded *l = NULL;
	sqlite3_stmt *st = NULL;
	bool in_tx = false;
	int rc;

	rc = exec_simple(s, ST_BEGIN, "conv_load_begin");
	if (rc)
		goto out;
	in_tx = true;
	rc = stmt_get(s, ST_CONV_GET, &st);
	if (rc)
		goto out;
	if (sqlite3_bind_text(st, 1, sid, -1, SQLITE_STATIC) != SQLITE_OK) {
		rc = db_error(s, "conv_load");
		goto out;
	}
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		l = va_xcalloc(1, sizeof(*l));
		read_conv(st, &l->conv);
		break;
	case SQLITE_DONE:
		rc = VA_E_NOTFOUND;
		goto out;
	default:
		rc = db_error(s, "conv_load");
		goto out;
	}
	stmt_done(st);
	st = NULL;
	rc = load_turns(s, sid, l);
	if (rc)
		goto out;
	rc = exec_simple(s, ST_COMMIT, "conv_load_commit");
	if (rc)
		goto out;
	in_tx = false;
	*out = l;
	l = NULL;
out:
	stmt_done(st);
	if (in_tx)
		exec_simple(s, ST_ROLLBACK, "conv_load_rollback");
	va_conv_loaded_free(l);
	return rc;
}

/* ---- open / close ------------------------------------------------------ */

static void exec_job(void *ctx, struct va_store_job *j)
{
	struct va_store *s = ctx;

	lock_db(s);
	j->run(j, s);
	unlock_db(s);
}

static void set_why(char *why, size_t whysz, const char *what, const char *detail)
{
	if (why && whysz)
		snprintf(why, whysz, "%s: %s", what, detail);
}

/* Closes what va_store_open set up, worker excepted. */
static void store_destroy(struct va_store *s)
{
	for (int i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(s->stmt[i]);
	for (int i = 0; i < VA_STORE__EXT_STMTS; i++)
		sqlite3_finalize(s->ext_stmt[i]);
	sqlite3_close_v2(s->db);
	pthread_mutex_destroy(&s->db_mu);
	free(s);
}

int va_store_open(const char *path, uv_loop_t *loop, struct va_store **out, char *why, size_t whysz)
{
	static const char *const pragmas =
	    "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;";
	struct va_store *s = NULL;
	char q[256];
	int rc = VA_OK;

	if (why && whysz)
		why[0] = '\0';
	if (!path || !out) {
		set_why(why, whysz, "open", "no path");
		return VA_E_INVAL;
	}
	*out = NULL;
	s = va_xcalloc(1, sizeof(*s));
	pthread_mutex_init(&s->db_mu, NULL);

	/* Our own mutex serializes the connection; SQLite's would be redundant. */
	if (sqlite3_open_v2(path, &s->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		set_why(why, whysz, "open",
			s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(SQLITE_NOMEM));
		rc = s->db ? db_error(s, "open") : VA_E_DB;
		goto out;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, 5000);
	if (sqlite3_exec(s->db, pragmas, NULL, NULL, NULL) != SQLITE_OK) {
		set_why(why, whysz, "pragmas", sqlite3_errmsg(s->db));
		rc = db_error(s, "pragmas");
		goto out;
	}
	rc = va_store__migrate(s->db, why, whysz);
	if (rc)
		goto out;
	if (loop) {
		rc = va_store__worker_start(&s->worker, loop, VA_STORE_MAX_PENDING, exec_job, s);
		if (rc) {
			set_why(why, whysz, "open", "cannot start the storage thread");
			goto out;
		}
		s->has_worker = true;
	}
	VA_INFO("store", NULL, "open", "path=%s schema=%d async=%d",
		va_log_quote(q, sizeof(q), path), va_store__schema_version(), loop ? 1 : 0);
	*out = s;
	s = NULL;
out:
	if (s)
		store_destroy(s);
	return rc;
}

void va_store_free(struct va_store *s)
{
	if (!s)
		return;
	if (s->has_worker)
		va_store__worker_stop(&s->worker);
	store_destroy(s);
}

size_t va_store_pending(const struct va_store *s)
{
	return s && s->has_worker ? s->worker.pending : 0;
}

/* ---- synchronous API --------------------------------------------------- */

static bool tenant_id_ok(const struct va_tenant *t)
{
	size_t n = strnlen(t->id, sizeof(t->id));

	return n > 0 && n < sizeof(t->id);
}

int va_store_tenant_put_sync(struct va_store *s, const struct va_tenant *t)
{
	int rc;

	if (!s || !t || !tenant_id_ok(t))
		return VA_E_INVAL;
	lock_db(s);
	rc = tenant_put_locked(s, t);
	unlock_db(s);
	return rc;
}

int va_store_tenant_get_sync(struct va_store *s, const char *id, struct va_tenant *out)
{
	int rc;

	if (!s || !id || !out)
		return VA_E_INVAL;
	lock_db(s);
	rc = tenant_get_locked(s, id, out);
	unlock_db(s);
	return rc;
}

int va_store_tenant_list_sync(struct va_store *s, struct va_tenant **out, size_t *n)
{
	int rc;

	if (!s || !out || !n)
		return VA_E_INVAL;
	*out = NULL;
	*n = 0;
	lock_db(s);
	rc = tenant_list_locked(s, out, n);
	unlock_db(s);
	return rc;
}

int va_store_conv_count_sync(struct va_store *s, int64_t *n)
{
	int rc;

	if (!s || !n)
		return VA_E_INVAL;
	lock_db(s);
	rc = conv_count_locked(s, n);
	unlock_db(s);
	return rc;
}

/* ---- asynchronous API -------------------------------------------------- */

struct tenant_put_job {
	struct va_store_job base;
	struct va_tenant t;
	va_store_cb cb;
	void *arg;
};

struct conv_save_job {
	struct va_store_job base;
	struct va_conv_row row;
	va_store_cb cb;
	void *arg;
};

struct turn_save_job {
	struct va_store_job base;
	struct va_turn_row row;
	va_store_cb cb;
	void *arg;
};

struct conv_load_job {
	struct va_store_job base;
	char session_id[64];
	struct va_conv_loaded *loaded; /* result, until handed to the callback */
	va_store_load_cb cb;
	void *arg;
};

static int async_ready(struct va_store *s)
{
	if (!s)
		return VA_E_INVAL;
	if (!s->has_worker)
		return VA_E_STATE;
	return VA_OK;
}

int va_store__submit(struct va_store *s, struct va_store_job *j)
{
	int rc = async_ready(s);

	if (rc)
		return rc;
	return va_store__worker_submit(&s->worker, j);
}

static void run_tenant_put(struct va_store_job *j, void *ctx)
{
	struct tenant_put_job *tj = va_store__job_of(j, struct tenant_put_job);

	j->status = tenant_put_locked(ctx, &tj->t);
}

static void complete_tenant_put(struct va_store_job *j)
{
	struct tenant_put_job *tj = va_store__job_of(j, struct tenant_put_job);

	if (tj->cb)
		tj->cb(j->status, tj->arg);
	free(tj);
}

int va_store_tenant_put(struct va_store *s, const struct va_tenant *t, va_store_cb cb, void *arg)
{
	struct tenant_put_job *j;
	int rc = async_ready(s);

	if (rc)
		return rc;
	if (!t || !tenant_id_ok(t) || !preset_ok(t->relay.preset))
		return VA_E_INVAL;
	j = va_xcalloc(1, sizeof(*j));
	j->base.run = run_tenant_put;
	j->base.complete = complete_tenant_put;
	j->t = *t;
	j->cb = cb;
	j->arg = arg;
	rc = va_store__worker_submit(&s->worker, &j->base);
	if (rc)
		free(j);
	return rc;
}

static void run_conv_save(struct va_store_job *j, void *ctx)
{
	struct conv_save_job *cj = va_store__job_of(j, struct conv_save_job);

	j->status = conv_save_locked(ctx, &cj->row);
}

static void complete_conv_save(struct va_store_job *j)
{
	struct conv_save_job *cj = va_store__job_of(j, struct conv_save_job);

	if (cj->cb)
		cj->cb(j->status, cj->arg);
	va_conv_row_release(&cj->row);
	free(cj);
}

int va_store_conv_save(struct va_store *s, const struct va_conv_row *c, va_store_cb cb, void *arg)
{
	struct conv_save_job *j;
	int rc = async_ready(s);

	if (rc)
		return rc;
	if (!c || strnlen(c->session_id, sizeof(c->session_id)) == 0)
		return VA_E_INVAL;
	j = va_xcalloc(1, sizeof(*j));
	j->base.run = run_conv_save;
	j->base.complete = complete_conv_save;
	j->row = *c;
	j->row.details_json = c->details_json ? va_xstrdup(c->details_json) : NULL;
	j->cb = cb;
	j->arg = arg;
	rc = va_store__worker_submit(&s->worker, &j->base);
	if (rc) {
		va_conv_row_release(&j->row);
		free(j);
	}
	return rc;
}

static void run_turn_save(struct va_store_job *j, void *ctx)
{
	struct turn_save_job *tj = va_store__job_of(j, struct turn_save_job);

	j->status = turn_save_locked(ctx, &tj->row);
}

static void complete_turn_save(struct va_store_job *j)
{
	struct turn_save_job *tj = va_store__job_of(j, struct turn_save_job);

	if (tj->cb)
		tj->cb(j->status, tj->arg);
	va_turn_row_release(&tj->row);
	free(tj);
}

int va_store_turn_save(struct va_store *s, const struct va_turn_row *t, va_store_cb cb, void *arg)
{
	struct turn_save_job *j;
	int rc = async_ready(s);

	if (rc)
		return rc;
	if (!t || strnlen(t->session_id, sizeof(t->session_id)) == 0 || t->seq < 0 ||
	    (int)t->role < VA_TURN_CALLER || (int)t->role > VA_TURN_SYSTEM)
		return VA_E_INVAL;
	j = va_xcalloc(1, sizeof(*j));
	j->base.run = run_turn_save;
	j->base.complete = complete_turn_save;
	j->row = *t;
	j->row.text = va_xstrdup(t->text ? t->text : "");
	j->row.heard = t->heard ? va_xstrdup(t->heard) : NULL;
	j->cb = cb;
	j->arg = arg;
	rc = va_store__worker_submit(&s->worker, &j->base);
	if (rc) {
		va_turn_row_release(&j->row);
		free(j);
	}
	return rc;
}

static void run_conv_load(struct va_store_job *j, void *ctx)
{
	struct conv_load_job *lj = va_store__job_of(j, struct conv_load_job);

	j->status = conv_load_locked(ctx, lj->session_id, &lj->loaded);
}

static void complete_conv_load(struct va_store_job *j)
{
	struct conv_load_job *lj = va_store__job_of(j, struct conv_load_job);
	struct va_conv_loaded *l = lj->loaded;

	lj->loaded = NULL;
	if (lj->cb)
		lj->cb(j->status, l, lj->arg);
	else
		va_conv_loaded_free(l);
	free(lj);
}

int va_store_conv_load(struct va_store *s, const char *session_id, va_store_load_cb cb, void *arg)
{
	struct conv_load_job *j;
	int rc = async_ready(s);

	if (rc)
		return rc;
	if (!session_id || !session_id[0] || !cb)
		return VA_E_INVAL;
	j = va_xcalloc(1, sizeof(*j));
	if (va_strlcpy(j->session_id, session_id, sizeof(j->session_id)) != VA_OK) {
		free(j);
		return VA_E_INVAL;
	}
	j->base.run = run_conv_load;
	j->base.complete = complete_conv_load;
	j->cb = cb;
	j->arg = arg;
	rc = va_store__worker_submit(&s->worker, &j->base);
	if (rc)
		free(j);
	return rc;
}

/* ---- row ownership ----------------------------------------------------- */

void va_conv_row_release(struct va_conv_row *c)
{
	if (!c)
		return;
	free(c->details_json);
	c->details_json = NULL;
}

void va_turn_row_release(struct va_turn_row *t)
{
	if (!t)
		return;
	free(t->text);
	free(t->heard);
	t->text = NULL;
	t->heard = NULL;
}

void va_conv_loaded_free(struct va_conv_loaded *l)
{
	if (!l)
		return;
	va_conv_row_release(&l->conv);
	for (size_t i = 0; i < l->n_turns; i++)
		va_turn_row_release(&l->turns[i]);
	free(l->turns);
	free(l);
}
