/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/store/store_sqlite.c: schema and migrations, the tenant
 * round trip, and the async conversation path driven through a real libuv loop
 * against a temporary database file.
 */
#include "store/store.h"
#include "store/store_internal.h"

#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include <cmocka.h>

struct fixture {
	char path[64];
	uv_loop_t loop;
};

static pthread_t main_thread;

static const char tricky_text[] =
    "She said \"it's fine\" \xe2\x80\x94 na\xc3\xafve caf\xc3\xa9 \xf0\x9f\x98\x80 "
    "'quoted'); DROP TABLE turns; -- %s %n";

/* ---- fixture ----------------------------------------------------------- */

static void remove_db(const char *path)
{
	char side[80];

	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
}

static int setup(void **state)
{
	struct fixture *f = va_xcalloc(1, sizeof(*f));
	int fd;

	va_strlcpy(f->path, "/tmp/va_store_test_XXXXXX", sizeof(f->path));
	fd = mkstemp(f->path);
	if (fd < 0)
		return -1;
	close(fd); /* an empty file is a valid, empty database */
	if (uv_loop_init(&f->loop) != 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	int rc;

	remove_db(f->path);
	/* Lets the store's closed async handle free itself. */
	uv_run(&f->loop, UV_RUN_DEFAULT);
	rc = uv_loop_close(&f->loop);
	free(f);
	return rc == 0 ? 0 : -1;
}

static void on_guard(uv_timer_t *t)
{
	uv_stop(t->loop);
}

/* Runs the loop until the store is idle (it stops holding the loop), with a
 * guard so a store that never lets go fails the test instead of hanging it. */
static void run_loop(uv_loop_t *loop)
{
	uv_timer_t guard;

	uv_timer_init(loop, &guard);
	uv_timer_start(&guard, on_guard, 30000, 0);
	uv_unref((uv_handle_t *)&guard);
	uv_run(loop, UV_RUN_DEFAULT);
	uv_timer_stop(&guard);
	uv_close((uv_handle_t *)&guard, NULL);
	uv_run(loop, UV_RUN_NOWAIT);
}

static struct va_store *open_ok(struct fixture *f, bool async)
{
	struct va_store *s = NULL;
	char why[256] = "";

	assert_int_equal(va_store_open(f->path, async ? &f->loop : NULL, &s, why, sizeof(why)),
			 VA_OK);
	assert_non_null(s);
	return s;
}

static sqlite3 *raw_open(const char *path)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	return db;
}

static int64_t raw_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t v;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Text of column col of the tenant row id; caller frees. Test-only SQL: the
 * column name comes from the test's own table. */
static char *raw_tenant_col(sqlite3 *db, const char *col, const char *id)
{
	sqlite3_stmt *st = NULL;
	char sql[128];
	char *v;

	snprintf(sql, sizeof(sql), "SELECT %s FROM tenants WHERE id = ?1", col);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = va_xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return v;
}

static void raw_exec(const char *path, const char *sql)
{
	sqlite3 *db = raw_open(path);

	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/* ---- callbacks --------------------------------------------------------- */

struct tally {
	int calls;
	int ok;
	int wrong_thread;
	int last_status;
	int notfound_null; /* loads that reported NOTFOUND with no result */
};

static void note(struct tally *t, int status)
{
	t->calls++;
	if (status == VA_OK)
		t->ok++;
	if (!pthread_equal(pthread_self(), main_thread))
		t->wrong_thread++;
	t->last_status = status;
}

static void on_done(int status, void *arg)
{
	note(arg, status);
}

struct load_result {
	struct tally tally;
	struct va_conv_loaded *loaded;
};

static void on_loaded(int status, struct va_conv_loaded *l, void *arg)
{
	struct load_result *r = arg;

	note(&r->tally, status);
	va_conv_loaded_free(r->loaded);
	r->loaded = l;
}

static void on_loaded_discard(int status, struct va_conv_loaded *l, void *arg)
{
	struct tally *t = arg;

	note(t, status);
	if (status == VA_E_NOTFOUND && !l)
		t->notfound_null++;
	va_conv_loaded_free(l);
}

/* ---- data -------------------------------------------------------------- */

static void fill_tenant(struct va_tenant *t, const char *id, int v)
{
	static const char *const tts[] = {"Google", "Amazon", "ElevenLabs"};
	static const char *const intr[] = {"none", "dtmf", "speech", "any"};
	static const char *const sens[] = {"low", "medium", "high"};

	memset(t, 0, sizeof(*t));
	va_strlcpy(t->id, id, sizeof(t->id));
	snprintf(t->name, sizeof(t->name),
		 "O'Brien \"Family\" Dentistry \xe2\x80\x94 Zo\xc3\xab %d", v);
	va_strlcpy(t->timezone, v ? "Europe/Berlin" : "America/New_York", sizeof(t->timezone));
	snprintf(t->twilio_auth_token, sizeof(t->twilio_auth_token), "tok_%d_0123456789abcdef", v);
	snprintf(t->api_key, sizeof(t->api_key), "key_%d_fedcba", v);
	snprintf(t->front_desk_number, sizeof(t->front_desk_number), "+1555000%04d", v);
	snprintf(t->greeting, sizeof(t->greeting),
		 "Hello, you've reached practice %d. How can I help?", v);
	va_strlcpy(t->connecting_message, v % 2 ? "" : "Connecting you now\xe2\x80\xa6",
		   sizeof(t->connecting_message));
	va_strlcpy(t->relay.language, v % 2 ? "es-ES" : "en-US", sizeof(t->relay.language));
	va_strlcpy(t->relay.tts_provider, tts[v % 3], sizeof(t->relay.tts_provider));
	snprintf(t->relay.voice, sizeof(t->relay.voice), "voice-%d", v);
	va_strlcpy(t->relay.transcription_provider, v % 2 ? "Google" : "Deepgram",
		   sizeof(t->relay.transcription_provider));
	va_strlcpy(t->relay.speech_model, v % 2 ? "" : "nova-3-general",
		   sizeof(t->relay.speech_model));
	va_strlcpy(t->relay.interruptible, intr[v % 4], sizeof(t->relay.interruptible));
	va_strlcpy(t->relay.interrupt_sensitivity, sens[v % 3],
		   sizeof(t->relay.interrupt_sensitivity));
	va_strlcpy(t->relay.speech_timeout, v % 2 ? "1500" : "auto",
		   sizeof(t->relay.speech_timeout));
	va_strlcpy(t->relay.report_input_during_agent, intr[(v + 1) % 4],
		   sizeof(t->relay.report_input_during_agent));
	va_strlcpy(t->relay.welcome_interruptible, intr[(v + 2) % 4],
		   sizeof(t->relay.welcome_interruptible));
	if (v % 2) {
		/* A field filled to its last byte must survive whole. */
		memset(t->relay.hints, 'h', sizeof(t->relay.hints) - 1);
	} else {
		va_strlcpy(t->relay.hints, "crown,implant,Invisalign", sizeof(t->relay.hints));
	}
	t->relay.dtmf_detection = v & 1;
	t->relay.preemptible = (v >> 1) & 1;
	t->relay.partial_prompts = !(v & 1);
	t->relay.application_reconnect = !((v >> 1) & 1);
	t->relay.preset = (enum va_line_preset)(v % VA_PRESET__COUNT);
}

static void assert_tenant_equal(const struct va_tenant *a, const struct va_tenant *b)
{
	assert_string_equal(a->id, b->id);
	assert_string_equal(a->name, b->name);
	assert_string_equal(a->timezone, b->timezone);
	assert_string_equal(a->twilio_auth_token, b->twilio_auth_token);
	assert_string_equal(a->api_key, b->api_key);
	assert_string_equal(a->front_desk_number, b->front_desk_number);
	assert_string_equal(a->greeting, b->greeting);
	assert_string_equal(a->connecting_message, b->connecting_message);
	assert_string_equal(a->relay.language, b->relay.language);
	assert_string_equal(a->relay.tts_provider, b->relay.tts_provider);
	assert_string_equal(a->relay.voice, b->relay.voice);
	assert_string_equal(a->relay.transcription_provider, b->relay.transcription_provider);
	assert_string_equal(a->relay.speech_model, b->relay.speech_model);
	assert_string_equal(a->relay.interruptible, b->relay.interruptible);
	assert_string_equal(a->relay.interrupt_sensitivity, b->relay.interrupt_sensitivity);
	assert_string_equal(a->relay.speech_timeout, b->relay.speech_timeout);
	assert_string_equal(a->relay.report_input_during_agent, b->relay.report_input_during_agent);
	assert_string_equal(a->relay.welcome_interruptible, b->relay.welcome_interruptible);
	assert_string_equal(a->relay.hints, b->relay.hints);
	assert_int_equal(a->relay.dtmf_detection, b->relay.dtmf_detection);
	assert_int_equal(a->relay.preemptible, b->relay.preemptible);
	assert_int_equal(a->relay.partial_prompts, b->relay.partial_prompts);
	assert_int_equal(a->relay.application_reconnect, b->relay.application_reconnect);
	assert_int_equal(a->relay.preset, b->relay.preset);
}

static void fill_conv(struct va_conv_row *c, const char *sid)
{
	memset(c, 0, sizeof(*c));
	va_strlcpy(c->session_id, sid, sizeof(c->session_id));
	va_strlcpy(c->call_sid, "CA0123456789abcdef0123456789abcdef", sizeof(c->call_sid));
	va_strlcpy(c->tenant_id, "demo123", sizeof(c->tenant_id));
	va_strlcpy(c->from, "+15551230001", sizeof(c->from));
	va_strlcpy(c->to, "+15559870002", sizeof(c->to));
	va_strlcpy(c->state, "active", sizeof(c->state));
	va_strlcpy(c->agent, "receptionist", sizeof(c->agent));
	c->started_ms = 1795000000123LL;
	c->ended_ms = 0;
	c->turns = 0;
	c->interruptions = 0;
	c->details_json = NULL;
}

static void fill_turn(struct va_turn_row *t, const char *sid, int seq)
{
	memset(t, 0, sizeof(*t));
	va_strlcpy(t->session_id, sid, sizeof(t->session_id));
	t->seq = seq;
	t->role = seq % 2 ? VA_TURN_AGENT : VA_TURN_CALLER;
	t->interrupted = seq == 3;
	t->started_ms = 1795000001000LL + seq * 1000;
	t->ended_ms = t->started_ms + 900;
	t->first_token_us = t->role == VA_TURN_AGENT ? 250000 + seq : -1;
	t->last_token_us = t->role == VA_TURN_AGENT ? 900000 + seq : -1;
}

/* Text unique per turn, so order mistakes show. Caller owns the result. */
static char *turn_text(int seq)
{
	char *p = va_xmalloc(sizeof(tricky_text) + 32);

	snprintf(p, sizeof(tricky_text) + 32, "#%d %s", seq, tricky_text);
	return p;
}

/* ---- schema ------------------------------------------------------------ */

static void test_open_creates_schema(void **state)
{
	struct fixture *f = *state;
	struct va_store *s = open_ok(f, false);
	sqlite3 *db;

	va_store_free(s);

	db = raw_open(f->path);
	assert_true(va_store__schema_version() >= 1);
	assert_int_equal(raw_int(db, "PRAGMA user_version"), va_store__schema_version());
	assert_int_equal(raw_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
				     " AND name IN ('tenants', 'conversations', 'turns')"),
			 3);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index'"
				     " AND tbl_name = 'conversations' AND sql LIKE '%call_sid%'"),
			 1);
	assert_int_equal(
	    raw_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index'"
			" AND tbl_name = 'conversations' AND sql LIKE '%tenant_id, started_ms%'"),
	    1);
	/* WAL is a property of the file, so it is visible from outside. */
	assert_int_equal(raw_int(db, "SELECT journal_mode = 'wal' FROM pragma_journal_mode"), 1);
	sqlite3_close(db);
}

static void test_reopen_keeps_data(void **state)
{
	struct fixture *f = *state;
	struct va_tenant t, got;
	struct va_store *s = open_ok(f, false);
	sqlite3 *db;

	fill_tenant(&t, "demo123", 0);
	assert_int_equal(va_store_tenant_put_sync(s, &t), VA_OK);
	va_store_free(s);

	/* Migration 1 creates tables without IF NOT EXISTS: re-running it would
	 * fail the open. */
	s = open_ok(f, false);
	assert_int_equal(va_store_tenant_get_sync(s, "demo123", &got), VA_OK);
	assert_tenant_equal(&t, &got);
	va_store_free(s);

	db = raw_open(f->path);
	assert_int_equal(raw_int(db, "PRAGMA user_version"), va_store__schema_version());
	sqlite3_close(db);
}

static void test_migrations_follow_user_version(void **state)
{
	struct fixture *f = *state;
	struct va_store *s = open_ok(f, false);
	struct va_tenant t;
	char why[256] = "";
	sqlite3 *db;

	fill_tenant(&t, "keepme", 1);
	assert_int_equal(va_store_tenant_put_sync(s, &t), VA_OK);
	va_store_free(s);

	/* Claiming no migrations were applied makes open re-run v1, which fails
	 * on the existing tables and must roll back entirely. */
	raw_exec(f->path, "PRAGMA user_version = 0");
	s = NULL;
	assert_int_equal(va_store_open(f->path, NULL, &s, why, sizeof(why)), VA_E_DB);
	assert_null(s);
	assert_true(strlen(why) > 0);
	db = raw_open(f->path);
	assert_int_equal(raw_int(db, "PRAGMA user_version"), 0);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM tenants WHERE id = 'keepme'"), 1);
	sqlite3_close(db);

	/* A file from a newer build is refused, not touched. */
	raw_exec(f->path, "PRAGMA user_version = 999");
	why[0] = '\0';
	assert_int_equal(va_store_open(f->path, NULL, &s, why, sizeof(why)), VA_E_DB);
	assert_null(s);
	assert_non_null(strstr(why, "newer"));
	db = raw_open(f->path);
	assert_int_equal(raw_int(db, "PRAGMA user_version"), 999);
	sqlite3_close(db);
}

static void test_open_bad_path(void **state)
{
	struct va_store *s = NULL;
	char why[256] = "";

	assert_int_equal(va_store_open("/nonexistent-dir-va/x/y.db", NULL, &s, why, sizeof(why)),
			 VA_E_DB);
	assert_null(s);
	assert_true(strlen(why) > 0);
	assert_int_equal(va_store_open(NULL, NULL, &s, why, sizeof(why)), VA_E_INVAL);
	va_store_free(NULL);
	assert_int_equal(va_store_pending(NULL), 0);
}

/* ---- tenants ----------------------------------------------------------- */

static void test_tenant_roundtrip_and_list(void **state)
{
	struct fixture *f = *state;
	struct va_store *s = open_ok(f, false);
	struct va_tenant in[4], got, *list = NULL;
	const char *ids[4] = {"zeta", "alpha", "mid_1", "Beta-2"};
	size_t n = 99;

	for (int i = 0; i < 4; i++) {
		fill_tenant(&in[i], ids[i], i);
		assert_int_equal(va_store_tenant_put_sync(s, &in[i]), VA_OK);
	}
	for (int i = 0; i < 4; i++) {
		memset(&got, 0x5a, sizeof(got));
		assert_int_equal(va_store_tenant_get_sync(s, ids[i], &got), VA_OK);
		assert_tenant_equal(&in[i], &got);
	}

	assert_int_equal(va_store_tenant_list_sync(s, &list, &n), VA_OK);
	assert_int_equal(n, 4);
	/* Ordered by id (SQLite's binary collation: upper case first). */
	assert_string_equal(list[0].id, "Beta-2");
	assert_tenant_equal(&list[0], &in[3]);
	assert_string_equal(list[1].id, "alpha");
	assert_tenant_equal(&list[1], &in[1]);
	assert_string_equal(list[2].id, "mid_1");
	assert_tenant_equal(&list[2], &in[2]);
	assert_string_equal(list[3].id, "zeta");
	assert_tenant_equal(&list[3], &in[0]);
	free(list);
	va_store_free(s);
}

static void test_tenant_list_empty(void **state)
{
	struct fixture *f = *state;
	struct va_store *s = open_ok(f, false);
	struct va_tenant *list = (struct va_tenant *)&list;
	size_t n = 7;

	assert_int_equal(va_store_tenant_list_sync(s, &list, &n), VA_OK);
	assert_int_equal(n, 0);
	assert_null(list);
	va_store_free(s);
}

static void test_tenant_columns_by_name(void **state)
{
	struct fixture *f = *state;
	struct va_store *s = open_ok(f, false);
	struct va_tenant t;
	sqlite3 *db;

	/* The round trip alone cannot see two columns swapped consistently; the
	 * CLI, the dashboard and a future PostgreSQL port read these by name. */
	fill_tenant(&t, "cols", 2);
	assert_int_equal(va_store_tenant_put_sync(s, &t), VA_OK);
	va_store_free(s);

	const struct {
		const char *col;
		const char *want;
	} cols[] = {
	    {"name", t.name},
	    {"timezone", t.timezone},
	    {"twilio_auth_token", t.twilio_auth_token},
	    {"api_key", t.api_key},
	    {"front_desk_number", t.front_desk_number},
	    {"greeting", t.greeting},
	    {"connecting_message", t.connecting_message},
	    {"language", t.relay.language},
	    {"tts_provider", t.relay.tts_provider},
	    {"voice", t.relay.voice},
	    {"transcription_provider", t.relay.transcription_provider},
	    {"speech_model", t.relay.speech_model},
	    {"interruptible", t.relay.interruptible},
	    {"interrupt_sensitivity", t.relay.interrupt_sensitivity},
	    {"speech_timeout", t.relay.speech_timeout},
	    {"report_input_during_agent", t.relay.report_input_during_agent},
	    {"welcome_interruptible", t.relay.welcome_interruptible},
	    {"hints", t.relay.hints},
	    {"dtmf_detection", t.relay.dtmf_detection ? "1" : "0"},
	    {"preemptible", t.relay.preemptible ? "1" : "0"},
	    {"partial_prompts", t.relay.partial_prompts ? "1" : "0"},
	    {"application_reconnect", t.relay.application_reconnect ? "1" : "0"},
	    {"preset", "noisy"}, /* variant 2: VA_PRESET_NOISY, stored by name */
	};
	db = raw_open(f->path);
	for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
		char *v = raw_tenant_col(db, cols[i].col, "cols");

		assert_string_equal(v, cols[i].want);
		free(v);
	}
	sqlite3_close(db);
}

static void test_tenant_update_overwrites(void **state)
{
	struct fixture *f = *state;
	struct va_store *s = open_ok(f, false);
	struct va_tenant a, b, got, *list = NULL;
	size_t n = 0;
	sqlite3 *db;
	int64_t created;

	fill_tenant(&a, "demo123", 0);
	assert_int_equal(va_store_tenant_put_sync(s, &a), VA_OK);
	db = raw_open(f->path);
	created = raw_int(db, "SELECT created_at FROM tenants WHERE id = 'demo123'");
	sqlite3_close(db);

	fill_tenant(&b, "demo123", 3); /* another variant: most fields differ */
	usleep(5000);
	assert_int_equal(va_store_tenant_put_sync(s, &b), VA_OK);
	assert_int_equal(va_store_tenant_get_sync(s, "demo123", &got), VA_OK);
	assert_tenant_equal(&b, &got);
	assert_int_equal(va_store_tenant_list_sync(s, &list, &n), VA_OK);
	assert_int_equal(n, 1);
	free(list);

	db = raw_open(f->path);
	assert_int_equal(raw_int(db, "SELECT created_at FROM tenants WHERE id = 'demo123'"),
			 created);
	assert_true(raw_int(db, "SELECT updated_at FROM tenants WHERE id = 'demo123'") > created);
	sqlite3_close(db);
	va_store_free(s);
}

static void test_tenant_errors(void **state)
{
	struct fixture *f = *state;
	struct va_store *s = open_ok(f, false);
	struct va_tenant t;

	assert_int_equal(va_store_tenant_get_sync(s, "nobody", &t), VA_E_NOTFOUND);
	/* An id that looks like SQL is just an id. */
	assert_int_equal(va_store_tenant_get_sync(s, "x' OR '1'='1", &t), VA_E_NOTFOUND);

	fill_tenant(&t, "", 0);
	assert_int_equal(va_store_tenant_put_sync(s, &t), VA_E_INVAL);
	fill_tenant(&t, "ok", 0);
	t.relay.preset = VA_PRESET__COUNT;
	assert_int_equal(va_store_tenant_put_sync(s, &t), VA_E_INVAL);
	assert_int_equal(va_store_tenant_get_sync(s, "ok", &t), VA_E_NOTFOUND);
	assert_int_equal(va_store_tenant_put_sync(NULL, &t), VA_E_INVAL);
	va_store_free(s);
}

/* ---- conversations (async) --------------------------------------------- */

static void test_conv_roundtrip(void **state)
{
	struct fixture *f = *state;
	struct va_store *s = open_ok(f, true);
	static const int order[] = {4, 0, 3, 1, 2, 5};
	enum { N = sizeof(order) / sizeof(order[0]) };
	struct tally saves = {0};
	struct load_result r = {0};
	struct va_conv_row c;
	struct va_turn_row t;
	char *texts[N];
	char long_text[20000];

	fill_conv(&c, "VX00000000000000000000000000000001");
	c.details_json = va_xstrdup("{\"patient\":\"Zo\xc3\xab O'Neil\",\"reason\":\"toothache\"}");
	c.turns = N;
	c.interruptions = 1;
	assert_int_equal(va_store_conv_save(s, &c, on_done, &saves), VA_OK);
	/* The store copied its input: the caller may scribble over it at once. */
	memset(c.details_json, 'X', strlen(c.details_json));

	memset(long_text, 'a', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	for (int i = 0; i < N; i++) {
		int seq = order[i];

		fill_turn(&t, c.session_id, seq);
		texts[seq] = seq == 5 ? va_xstrdup(long_text) : turn_text(seq);
		t.text = va_xstrdup(texts[seq]);
		t.heard = seq == 3 ? va_xstrdup("She said \"it's") : NULL;
		assert_int_equal(va_store_turn_save(s, &t, on_done, &saves), VA_OK);
		va_turn_row_release(&t);
	}
	assert_int_equal(va_store_conv_load(s, c.session_id, on_loaded, &r), VA_OK);
	assert_int_equal(va_store_pending(s), N + 2);
	assert_int_equal(saves.calls, 0); /* nothing is delivered before the loop runs */

	run_loop(&f->loop);
	assert_int_equal(va_store_pending(s), 0);
	assert_int_equal(saves.calls, N + 1);
	assert_int_equal(saves.ok, N + 1);
	assert_int_equal(saves.wrong_thread, 0);
	assert_int_equal(r.tally.calls, 1);
	assert_int_equal(r.tally.last_status, VA_OK);
	assert_int_equal(r.tally.wrong_thread, 0);
	assert_non_null(r.loaded);

	struct va_conv_row *lc = &r.loaded->conv;
	assert_string_equal(lc->session_id, "VX00000000000000000000000000000001");
	assert_string_equal(lc->call_sid, "CA0123456789abcdef0123456789abcdef");
	assert_string_equal(lc->tenant_id, "demo123");
	assert_string_equal(lc->from, "+15551230001");
	assert_string_equal(lc->to, "+15559870002");
	assert_string_equal(lc->state, "active");
	assert_string_equal(lc->agent, "receptionist");
	assert_int_equal(lc->started_ms, 1795000000123LL);
	assert_int_equal(lc->ended_ms, 0);
	assert_int_equal(lc->turns, N);
	assert_int_equal(lc->interruptions, 1);
	assert_string_equal(lc->details_json,
			    "{\"patient\":\"Zo\xc3\xab O'Neil\",\"reason\":\"toothache\"}");

	assert_int_equal(r.loaded->n_turns, N);
	for (int seq = 0; seq < N; seq++) {
		struct va_turn_row *lt = &r.loaded->turns[seq];
		struct va_turn_row want;

		fill_turn(&want, lc->session_id, seq);
		assert_string_equal(lt->session_id, lc->session_id);
		assert_int_equal(lt->seq, seq);
		assert_int_equal(lt->role, want.role);
		assert_string_equal(lt->text, texts[seq]);
		if (seq == 3)
			assert_string_equal(lt->heard, "She said \"it's");
		else
			assert_null(lt->heard);
		assert_int_equal(lt->interrupted, want.interrupted);
		assert_int_equal(lt->started_ms, want.started_ms);
		assert_int_equal(lt->ended_ms, want.ended_ms);
		assert_int_equal(lt->first_token_us, want.first_token_us);
		assert_int_equal(lt->last_token_us, want.last_token_us);
		free(texts[seq]);
	}
	va_conv_loaded_free(r.loaded);
	va_conv_row_release(&c);
	va_store_free(s);
}

static void test_conv_upsert(void **state)
{
	struct fixture *f = *state;
	struct va_store *s = open_ok(f, true);
	struct tally saves = {0};
	struct load_result r = {0};
	struct va_conv_row c;
	struct va_turn_row t;
	int64_t n = -1;

	fill_conv(&c, "VXupsert");
	assert_int_equal(va_store_conv_save(s, &c, NULL, NULL), VA_OK);
	fill_turn(&t, "VXupsert", 0);
	t.text = (char *)"hello";
	assert_int_equal(va_store_turn_save(s, &t, on_done, &saves), VA_OK);
	/* Replacing a turn by (session, seq) keeps one row. */
	t.text = (char *)"hello again";
	assert_int_equal(va_store_turn_save(s, &t, on_done, &saves), VA_OK);

	va_strlcpy(c.state, "ended", sizeof(c.state));
	c.ended_ms = 1795000099999LL;
	c.turns = 1;
	c.details_json = (char *)"{\"booked\":true}";
	assert_int_equal(va_store_conv_save(s, &c, on_done, &saves), VA_OK);
	assert_int_equal(va_store_conv_load(s, "VXupsert", on_loaded, &r), VA_OK);
	run_loop(&f->loop);

	assert_int_equal(saves.ok, 3);
	assert_int_equal(r.tally.last_status, VA_OK);
	assert_non_null(r.loaded);
	assert_string_equal(r.loaded->conv.state, "ended");
	assert_int_equal(r.loaded->conv.ended_ms, 1795000099999LL);
	assert_int_equal(r.loaded->conv.started_ms, 1795000000123LL);
	assert_int_equal(r.loaded->conv.turns, 1);
	assert_string_equal(r.loaded->conv.details_json, "{\"booked\":true}");
	/* The update must not have deleted (and cascaded to) the turns. */
	assert_int_equal(r.loaded->n_turns, 1);
	assert_string_equal(r.loaded->turns[0].text, "hello again");

	assert_int_equal(va_store_conv_count_sync(s, &n), VA_OK);
	assert_int_equal(n, 1);
	va_conv_loaded_free(r.loaded);
	va_store_free(s);
}

static void test_conv_load_unknown(void **state)
{
	struct fixture *f = *state;
	struct va_store *s = open_ok(f, true);
	struct load_result r = {0};

	r.loaded = va_xcalloc(1, sizeof(*r.loaded)); /* must be replaced by NULL */
	assert_int_equal(va_store_conv_load(s, "VXnobody", on_loaded, &r), VA_OK);
	run_loop(&f->loop);
	assert_int_equal(r.tally.calls, 1);
	assert_int_equal(r.tally.last_status, VA_E_NOTFOUND);
	assert_int_equal(r.tally.wrong_thread, 0);
	assert_null(r.loaded);
	va_store_free(s);
}

static void test_async_errors(void **state)
{
	struct fixture *f = *state;
	struct va_store *s = open_ok(f, false);
	struct tally tl = {0};
	struct va_conv_row c;
	struct va_turn_row t;
	struct va_tenant tn;

	/* Without a loop only the sync calls work, and no callback ever runs. */
	fill_conv(&c, "VXa");
	fill_turn(&t, "VXa", 0);
	fill_tenant(&tn, "t1", 0);
	assert_int_equal(va_store_conv_save(s, &c, on_done, &tl), VA_E_STATE);
	assert_int_equal(va_store_turn_save(s, &t, on_done, &tl), VA_E_STATE);
	assert_int_equal(va_store_tenant_put(s, &tn, on_done, &tl), VA_E_STATE);
	assert_int_equal(va_store_conv_load(s, "VXa", on_loaded_discard, &tl), VA_E_STATE);
	assert_int_equal(va_store_pending(s), 0);
	va_store_free(s);

	s = open_ok(f, true);
	c.session_id[0] = '\0';
	assert_int_equal(va_store_conv_save(s, &c, on_done, &tl), VA_E_INVAL);
	t.seq = -1;
	assert_int_equal(va_store_turn_save(s, &t, on_done, &tl), VA_E_INVAL);
	t.seq = 0;
	t.role = (enum va_turn_role)7;
	assert_int_equal(va_store_turn_save(s, &t, on_done, &tl), VA_E_INVAL);
	assert_int_equal(va_store_conv_load(s, "", on_loaded_discard, &tl), VA_E_INVAL);
	assert_int_equal(va_store_pending(s), 0);

	/* A turn of a conversation never saved breaks the foreign key: the
	 * error arrives through the callback. */
	t.role = VA_TURN_CALLER;
	t.text = (char *)"orphan";
	assert_int_equal(va_store_turn_save(s, &t, on_done, &tl), VA_OK);
	run_loop(&f->loop);
	assert_int_equal(tl.calls, 1);
	assert_int_equal(tl.last_status, VA_E_DB);
	va_store_free(s);
}

static void test_tenant_put_async(void **state)
{
	struct fixture *f = *state;
	struct va_store *s = open_ok(f, true);
	struct tally tl = {0};
	struct va_tenant t, got;

	fill_tenant(&t, "async1", 2);
	assert_int_equal(va_store_tenant_put(s, &t, on_done, &tl), VA_OK);
	memset(&t, 0, sizeof(t)); /* copied at enqueue */
	run_loop(&f->loop);
	assert_int_equal(tl.ok, 1);
	assert_int_equal(tl.wrong_thread, 0);

	fill_tenant(&t, "async1", 2);
	assert_int_equal(va_store_tenant_get_sync(s, "async1", &got), VA_OK);
	assert_tenant_equal(&t, &got);
	va_store_free(s);
}

static void test_free_completes_queued(void **state)
{
	struct fixture *f = *state;
	struct va_store *s = open_ok(f, true);
	enum { N = 300 };
	struct tally tl = {0};
	struct va_conv_row c;
	struct va_turn_row t;
	int64_t n = 0;

	for (int i = 0; i < N; i++) {
		char sid[64];

		snprintf(sid, sizeof(sid), "VXfree%04d", i);
		fill_conv(&c, sid);
		c.details_json = (char *)"{\"k\":1}";
		assert_int_equal(va_store_conv_save(s, &c, on_done, &tl), VA_OK);
		fill_turn(&t, sid, 0);
		t.text = (char *)tricky_text;
		assert_int_equal(va_store_turn_save(s, &t, on_done, &tl), VA_OK);
	}
	assert_int_equal(va_store_pending(s), 2 * N);

	/* No loop run: va_store_free itself must finish and deliver everything. */
	va_store_free(s);
	assert_int_equal(tl.calls, 2 * N);
	assert_int_equal(tl.ok, 2 * N);
	assert_int_equal(tl.wrong_thread, 0);

	s = open_ok(f, false);
	assert_int_equal(va_store_conv_count_sync(s, &n), VA_OK);
	assert_int_equal(n, N);
	va_store_free(s);
}

struct resubmit {
	struct va_store *s;
	struct tally tl;
	int refused;
};

/* A callback that queues more work while the store is closing. */
static void on_done_resubmit(int status, void *arg)
{
	struct resubmit *rs = arg;
	struct va_conv_row c;

	note(&rs->tl, status);
	fill_conv(&c, "VXlate");
	if (va_store_conv_save(rs->s, &c, on_done_resubmit, rs) == VA_E_CLOSED)
		rs->refused++;
}

static void test_callback_submits_during_free(void **state)
{
	struct fixture *f = *state;
	struct resubmit rs = {0};
	struct va_conv_row c;

	rs.s = open_ok(f, true);
	fill_conv(&c, "VXfirst");
	assert_int_equal(va_store_conv_save(rs.s, &c, on_done_resubmit, &rs), VA_OK);
	va_store_free(rs.s);
	assert_int_equal(rs.tl.calls, 1);
	assert_int_equal(rs.refused, 1);
}

static void test_queue_full(void **state)
{
	struct fixture *f = *state;
	struct va_store *s = open_ok(f, true);
	struct tally tl = {0};

	/* Completions are not delivered until the loop runs, so the bound is hit
	 * exactly, however fast the storage thread is. */
	for (int i = 0; i < VA_STORE_MAX_PENDING; i++)
		assert_int_equal(va_store_conv_load(s, "VXnone", on_loaded_discard, &tl), VA_OK);
	assert_int_equal(va_store_conv_load(s, "VXnone", on_loaded_discard, &tl), VA_E_FULL);
	assert_int_equal(va_store_pending(s), VA_STORE_MAX_PENDING);

	run_loop(&f->loop);
	assert_int_equal(tl.calls, VA_STORE_MAX_PENDING);
	assert_int_equal(tl.notfound_null, VA_STORE_MAX_PENDING);
	assert_int_equal(tl.wrong_thread, 0);
	assert_int_equal(va_store_pending(s), 0);
	/* Room again once delivered. */
	assert_int_equal(va_store_conv_load(s, "VXnone", on_loaded_discard, &tl), VA_OK);
	run_loop(&f->loop);
	assert_int_equal(tl.calls, VA_STORE_MAX_PENDING + 1);
	va_store_free(s);
}

static void test_sync_while_async(void **state)
{
	struct fixture *f = *state;
	struct va_store *s = open_ok(f, true);
	struct tally tl = {0};
	struct va_conv_row c;
	int64_t n = -1;

	for (int i = 0; i < 50; i++) {
		char sid[64];

		snprintf(sid, sizeof(sid), "VXmix%02d", i);
		fill_conv(&c, sid);
		assert_int_equal(va_store_conv_save(s, &c, on_done, &tl), VA_OK);
	}
	/* Misuse, but safe: serialized with the storage thread by the lock. */
	assert_int_equal(va_store_conv_count_sync(s, &n), VA_OK);
	assert_true(n >= 0 && n <= 50);
	run_loop(&f->loop);
	assert_int_equal(tl.ok, 50);
	assert_int_equal(va_store_conv_count_sync(s, &n), VA_OK);
	assert_int_equal(n, 50);
	va_store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_open_creates_schema, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reopen_keeps_data, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_migrations_follow_user_version, setup, teardown),
	    cmocka_unit_test(test_open_bad_path),
	    cmocka_unit_test_setup_teardown(test_tenant_roundtrip_and_list, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tenant_list_empty, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tenant_columns_by_name, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tenant_update_overwrites, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tenant_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_conv_roundtrip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_conv_upsert, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_conv_load_unknown, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_async_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tenant_put_async, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_free_completes_queued, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_callback_submits_during_free, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_queue_full, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sync_while_async, setup, teardown),
	};

	main_thread = pthread_self();
	/* Migrations and opens log at info; keep the test output readable. */
	va_log_set_level(VA_LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
