/* SPDX-License-Identifier: MIT */
/*
 * tenants.c - practices as the operator and the practices see them, against
 * the real server: the admin API (auth, masking, create, validation,
 * update reaching the TwiML), isolation of two practices' calls, keys and
 * signatures, tenants surviving a restart, and the `voiceai tenant` CLI.
 */
#include "core/err.h"
#include "harness.h"
#include "relay/msg.h"

#include <fcntl.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#define T2	 "smile2"
#define T2_TOKEN "tok-second-123456"
#define T2_KEY	 "key-second-123456"
#define T2_DOC                                                                                     \
	"{\"id\":\"smile2\",\"name\":\"Second Smile\",\"timezone\":\"America/Chicago\","           \
	"\"twilio_auth_token\":\"tok-second-123456\",\"api_key\":\"key-second-123456\","           \
	"\"front_desk_number\":\"+15555550199\"}"

static struct it_server srv;
static struct it_server cli_srv; /* the CLI test's own server */
static char dir[128];		 /* our own scratch dir: the database outlives a server */
static char db[200];
static const char *extra_args[3];

/* Sessions made by the isolation test, read again after the restart. */
static char demo_session[40], t2_session[40];

/* ---- helpers ----------------------------------------------------------- */

static int http(const char *method, const char *path, const char *bearer, const char *body,
		struct va_buf *resp)
{
	va_buf_reset(resp);
	return it_http(&srv, method, path, bearer, body, resp);
}

static json_t *parse(const struct va_buf *b)
{
	json_error_t err;
	json_t *j = json_loads(va_buf_cstr(b), 0, &err);

	if (!j)
		fail_msg("not JSON (%s): %s", err.text, va_buf_cstr(b));
	return j;
}

static const char *jstr(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	if (!s)
		fail_msg("no string %s", key);
	return s;
}

/* A JSON error body that names the offending field. */
static void expect_400_naming(const char *method, const char *path, const char *doc,
			      const char *field)
{
	struct va_buf b = VA_BUF_INIT(64 * 1024);
	json_t *j;

	assert_int_equal(http(method, path, IT_ADMIN, doc, &b), 400);
	j = parse(&b);
	if (!strstr(jstr(j, "error"), field))
		fail_msg("error for %s does not name %s: %s", doc, field, va_buf_cstr(&b));
	json_decref(j);
	va_buf_release(&b);
}

static void no_secrets_in(const char *text)
{
	static const char *const secrets[] = {IT_TOKEN, IT_KEY, T2_TOKEN, T2_KEY};

	for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
		if (strstr(text, secrets[i]))
			fail_msg("secret %s shown in: %s", secrets[i], text);
}

static void expect_echo(struct it_call *c, const char *text)
{
	struct va_buf reply = VA_BUF_INIT(64 * 1024);
	char want[256];

	snprintf(want, sizeof(want), "echo: %s", text);
	assert_int_equal(it_send_prompt(c, text), VA_OK);
	assert_int_equal(it_read_reply(c, 3000, &reply, NULL, NULL), VA_OK);
	assert_string_equal(va_buf_cstr(&reply), want);
	va_buf_release(&reply);
}

static int webhook(const char *tenant, const char *token, const char *call_sid, struct va_buf *body)
{
	struct va_kv params[] = {
	    {"AccountSid", "AC00000000000000000000000000000000"},
	    {"ApiVersion", "2010-04-01"},
	    {"CallSid", call_sid},
	    {"CallStatus", "ringing"},
	    {"Direction", "inbound"},
	    {"From", "+15551230009"},
	    {"To", "+15555550199"},
	};
	char path[128];
	int status = 0;

	snprintf(path, sizeof(path), "/api/v1/voice/%s", tenant);
	va_buf_reset(body);
	assert_int_equal(va_sim_webhook(srv.base, path, token, NULL, params, 7, &status, body),
			 VA_OK);
	return status;
}

static void send_setup(struct va_sim_ws *ws, const char *call_sid, char *session, size_t sz)
{
	struct va_relay_setup s;
	struct va_buf b = VA_BUF_INIT(64 * 1024);

	it_random_sid("VX", session, sz);
	memset(&s, 0, sizeof(s));
	strcpy(s.session_id, session);
	strcpy(s.call_sid, call_sid);
	strcpy(s.account_sid, "AC00000000000000000000000000000000");
	strcpy(s.from, "+15551230009");
	strcpy(s.to, "+15555550199");
	strcpy(s.call_type, "PSTN");
	strcpy(s.direction, "inbound");
	strcpy(s.call_status, "RINGING");
	assert_int_equal(va_relay_write_setup(&b, &s), VA_OK);
	assert_int_equal(va_sim_ws_send_text(ws, b.data, b.len), VA_OK);
	va_buf_release(&b);
}

static size_t turn_count(const char *session, const char *bearer)
{
	struct va_buf b = VA_BUF_INIT(1 << 20);
	char path[128];
	json_t *j;
	size_t n;

	snprintf(path, sizeof(path), "/api/v1/conversations/%s", session);
	assert_int_equal(http("GET", path, bearer, NULL, &b), 200);
	j = parse(&b);
	n = json_array_size(json_object_get(j, "turns"));
	json_decref(j);
	va_buf_release(&b);
	return n;
}

/* ---- group setup ------------------------------------------------------- */

static int setup_group(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/voiceai-it-tenants-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(db, sizeof(db), "%s/tenants.db", dir);
	extra_args[0] = "--db";
	extra_args[1] = db;
	extra_args[2] = NULL;
	it_server_start(&srv, extra_args);
	return 0;
}

static int teardown_group(void **state)
{
	bool alive = it_server_alive(&srv);
	int status = it_server_stop(&srv);
	static const char *const secrets[] = {IT_TOKEN, IT_KEY,	  T2_TOKEN,
					      T2_KEY,	IT_ADMIN, "tok-rotated-654321"};

	/* Secrets never reach the log, whatever was done with them. */
	for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
		if (it_log_count(&srv, secrets[i]))
			fail_msg("secret %s in the log %s", secrets[i], srv.log);

	assert_true(alive);
	assert_int_equal(status, 0);
	return 0;
}

/* A test that failed half-way must not leave its own server running. */
static int stop_cli_server(void **state)
{
	if (cli_srv.pid > 0)
		it_server_stop(&cli_srv);
	return 0;
}

/* ---- admin API --------------------------------------------------------- */

static void test_admin_list_needs_admin_token(void **state)
{
	struct va_buf b = VA_BUF_INIT(1 << 20);
	json_t *j, *list, *demo = NULL;

	assert_int_equal(http("GET", "/api/v1/tenants", NULL, NULL, &b), 401);
	assert_int_equal(http("GET", "/api/v1/tenants", "not-the-admin-token", NULL, &b), 403);
	/* A practice's own key is not an admin token. */
	assert_int_equal(http("GET", "/api/v1/tenants", IT_KEY, NULL, &b), 403);
	no_secrets_in(va_buf_cstr(&b));

	assert_int_equal(http("GET", "/api/v1/tenants", IT_ADMIN, NULL, &b), 200);
	no_secrets_in(va_buf_cstr(&b));
	j = parse(&b);
	list = json_object_get(j, "tenants");
	assert_true(json_is_array(list));
	for (size_t i = 0; i < json_array_size(list); i++)
		if (!strcmp(jstr(json_array_get(list, i), "id"), "demo123"))
			demo = json_array_get(list, i);
	assert_non_null(demo);
	assert_string_equal(jstr(demo, "name"), "Bright Smile Dental");
	/* Masked, but recognisably: the operator can tell which key it is. */
	assert_int_equal(strncmp(jstr(demo, "twilio_auth_token"), "****", 4), 0);
	assert_int_equal(strncmp(jstr(demo, "api_key"), "****", 4), 0);
	json_decref(j);
	va_buf_release(&b);
}

static void test_create_tenant(void **state)
{
	struct va_buf b = VA_BUF_INIT(1 << 20);
	json_t *j;

	/* Only the admin creates practices. */
	assert_int_equal(http("POST", "/api/v1/tenants", NULL, T2_DOC, &b), 401);
	assert_int_equal(http("POST", "/api/v1/tenants", IT_KEY, T2_DOC, &b), 403);

	assert_int_equal(http("POST", "/api/v1/tenants", IT_ADMIN, T2_DOC, &b), 201);
	no_secrets_in(va_buf_cstr(&b));
	j = parse(&b);
	assert_string_equal(jstr(j, "id"), T2);
	assert_string_equal(jstr(j, "name"), "Second Smile");
	assert_string_equal(jstr(j, "timezone"), "America/Chicago");
	assert_string_equal(jstr(j, "front_desk_number"), "+15555550199");
	assert_string_equal(jstr(j, "twilio_auth_token"), "****3456");
	assert_string_equal(jstr(j, "api_key"), "****3456");
	json_decref(j);

	/* Again: the id is taken, and the original is untouched. */
	assert_int_equal(
	    http("POST", "/api/v1/tenants", IT_ADMIN,
		 "{\"id\":\"smile2\",\"name\":\"Impostor\",\"timezone\":\"UTC\","
		 "\"twilio_auth_token\":\"other-token-999\",\"api_key\":\"other-key-999\"}",
		 &b),
	    409);
	assert_int_equal(http("GET", "/api/v1/tenants/smile2", IT_ADMIN, NULL, &b), 200);
	j = parse(&b);
	assert_string_equal(jstr(j, "name"), "Second Smile");
	json_decref(j);

	/* The new practice takes calls with its own token at once. */
	assert_int_equal(webhook(T2, T2_TOKEN, "CA00000000000000000000000000000201", &b), 200);
	assert_non_null(strstr(va_buf_cstr(&b), "/api/v1/voice/smile2/stream"));
	va_buf_release(&b);
}

static void test_invalid_tenant_documents(void **state)
{
	struct va_buf b = VA_BUF_INIT(1 << 20);
	json_t *j;
	size_t before;

	assert_int_equal(http("GET", "/api/v1/tenants", IT_ADMIN, NULL, &b), 200);
	j = parse(&b);
	before = json_array_size(json_object_get(j, "tenants"));
	json_decref(j);

	expect_400_naming(
	    "POST", "/api/v1/tenants",
	    "{\"id\":\"tz1\",\"name\":\"X\",\"timezone\":\"Mars/Olympus_Mons\","
	    "\"twilio_auth_token\":\"tok-tz1-123456\",\"api_key\":\"key-tz1-123456\"}",
	    "timezone");
	expect_400_naming("POST", "/api/v1/tenants",
			  "{\"id\":\"a/b\",\"name\":\"X\",\"timezone\":\"UTC\","
			  "\"twilio_auth_token\":\"tok-ab-123456\",\"api_key\":\"key-ab-123456\"}",
			  "id");
	expect_400_naming("POST", "/api/v1/tenants",
			  "{\"id\":\"st1\",\"name\":\"X\",\"timezone\":\"UTC\","
			  "\"twilio_auth_token\":\"tok-st1-123456\",\"api_key\":\"key-st1-123456\","
			  "\"relay\":{\"speech_timeout\":100}}",
			  "speech_timeout");
	expect_400_naming("POST", "/api/v1/tenants",
			  "{\"id\":\"nk1\",\"name\":\"X\",\"timezone\":\"UTC\","
			  "\"twilio_auth_token\":\"tok-nk1-123456\"}",
			  "api_key");
	expect_400_naming("POST", "/api/v1/tenants",
			  "{\"id\":\"fd1\",\"name\":\"X\",\"timezone\":\"UTC\","
			  "\"twilio_auth_token\":\"tok-fd1-123456\",\"api_key\":\"key-fd1-123456\","
			  "\"front_desk_number\":\"call the desk\"}",
			  "front_desk_number");
	expect_400_naming("POST", "/api/v1/tenants",
			  "{\"id\":\"ps1\",\"name\":\"X\",\"timezone\":\"UTC\","
			  "\"twilio_auth_token\":\"tok-ps1-123456\",\"api_key\":\"key-ps1-123456\","
			  "\"relay\":{\"preset\":\"stadium\"}}",
			  "preset");
	expect_400_naming(
	    "POST", "/api/v1/tenants",
	    "{\"id\":\"cc1\",\"name\":\"Line\\nbreak\",\"timezone\":\"UTC\","
	    "\"twilio_auth_token\":\"tok-cc1-123456\",\"api_key\":\"key-cc1-123456\"}",
	    "name");
	expect_400_naming(
	    "POST", "/api/v1/tenants",
	    "{\"id\":\"sp1\",\"name\":\"X\",\"timezone\":\"UTC\","
	    "\"twilio_auth_token\":\"tok with spaces\",\"api_key\":\"key-sp1-123456\"}",
	    "twilio_auth_token");
	/* Not JSON at all, JSON that is not an object, a key given twice. */
	assert_int_equal(http("POST", "/api/v1/tenants", IT_ADMIN,
			      "{\"id\":\"dup1\",\"id\":\"dup2\",\"name\":\"X\",\"timezone\":"
			      "\"UTC\",\"twilio_auth_token\":\"tok-dup-123456\",\"api_key\":"
			      "\"key-dup-123456\"}",
			      &b),
			 400);
	assert_int_equal(http("POST", "/api/v1/tenants", IT_ADMIN, "{\"id\":", &b), 400);
	assert_int_equal(http("POST", "/api/v1/tenants", IT_ADMIN, "[]", &b), 400);
	/* Updates are validated the same way, and a failed one changes nothing. */
	expect_400_naming("PUT", "/api/v1/tenants/smile2",
			  "{\"greeting\":\"changed?\",\"relay\":{\"speech_timeout\":100}}",
			  "speech_timeout");
	expect_400_naming("PUT", "/api/v1/tenants/smile2", "{\"timezone\":\"Nowhere/Land\"}",
			  "timezone");
	expect_400_naming("PUT", "/api/v1/tenants/smile2", "{\"id\":\"smile3\"}", "id");

	assert_int_equal(http("GET", "/api/v1/tenants", IT_ADMIN, NULL, &b), 200);
	j = parse(&b);
	assert_int_equal(json_array_size(json_object_get(j, "tenants")), before);
	json_decref(j);
	assert_int_equal(http("GET", "/api/v1/tenants/smile2", IT_ADMIN, NULL, &b), 200);
	assert_null(strstr(va_buf_cstr(&b), "changed?"));
	assert_non_null(strstr(va_buf_cstr(&b), "America/Chicago"));
	va_buf_release(&b);
}

static void test_update_reaches_twiml(void **state)
{
	struct va_buf b = VA_BUF_INIT(1 << 20);
	struct va_sim_twiml tw;
	json_t *j, *relay;
	const char *put =
	    "{\"greeting\":\"Hello from Second Smile\",\"relay\":{\"preset\":\"noisy\"}}";

	/* Only the admin may change a practice, not the practice's own key. */
	assert_int_equal(http("PUT", "/api/v1/tenants/smile2", T2_KEY, put, &b), 403);
	assert_int_equal(http("PUT", "/api/v1/tenants/smile2", NULL, put, &b), 401);
	assert_int_equal(http("PUT", "/api/v1/tenants/nosuch", IT_ADMIN, put, &b), 404);

	assert_int_equal(http("PUT", "/api/v1/tenants/smile2", IT_ADMIN, put, &b), 200);
	no_secrets_in(va_buf_cstr(&b));
	j = parse(&b);
	assert_string_equal(jstr(j, "greeting"), "Hello from Second Smile");
	/* Fields not in the update are kept. */
	assert_string_equal(jstr(j, "name"), "Second Smile");
	assert_string_equal(jstr(j, "front_desk_number"), "+15555550199");
	relay = json_object_get(j, "relay");
	assert_string_equal(jstr(relay, "preset"), "noisy");
	assert_string_equal(jstr(relay, "speech_timeout"), "1500");
	assert_string_equal(jstr(relay, "interrupt_sensitivity"), "low");
	json_decref(j);

	/* The very next call gets the new settings as real attributes. */
	assert_int_equal(webhook(T2, T2_TOKEN, "CA00000000000000000000000000000202", &b), 200);
	assert_int_equal(va_sim_twiml_parse(va_buf_cstr(&b), &tw), VA_OK);
	assert_non_null(tw.welcome_greeting);
	assert_string_equal(tw.welcome_greeting, "Hello from Second Smile");
	va_sim_twiml_release(&tw);
	assert_non_null(strstr(va_buf_cstr(&b), "speechTimeout=\"1500\""));
	assert_non_null(strstr(va_buf_cstr(&b), "interruptSensitivity=\"low\""));

	/* Whatever a practice writes in its greeting stays text in the TwiML:
	 * quotes and angle brackets cannot add verbs, UTF-8 survives. */
	{
		static const char greeting[] = "Gr\xc3\xbc\xc3\x9f Gott & \"welcome\" "
					       "<Hangup/> \xc2\xa1hola! 'ok'";
		json_t *doc = json_pack("{s:s}", "greeting", greeting);
		char *text = json_dumps(doc, JSON_COMPACT);
		json_decref(doc);
		assert_int_equal(http("PUT", "/api/v1/tenants/smile2", IT_ADMIN, text, &b), 200);
		free(text);
		assert_int_equal(webhook(T2, T2_TOKEN, "CA00000000000000000000000000000209", &b),
				 200);
		assert_int_equal(va_sim_twiml_parse(va_buf_cstr(&b), &tw), VA_OK);
		assert_non_null(tw.welcome_greeting);
		assert_string_equal(tw.welcome_greeting, greeting);
		assert_false(tw.hangup);
		assert_null(strstr(va_buf_cstr(&b), "<Hangup"));
		va_sim_twiml_release(&tw);
		assert_int_equal(http("PUT", "/api/v1/tenants/smile2", IT_ADMIN,
				      "{\"greeting\":\"Hello from Second Smile\"}", &b),
				 200);
	}

	/* A document read back (masked secrets) and PUT again keeps the real
	 * secrets: calls still validate with the real token. */
	assert_int_equal(http("GET", "/api/v1/tenants/smile2", IT_ADMIN, NULL, &b), 200);
	{
		char *doc = strdup(va_buf_cstr(&b));
		assert_int_equal(http("PUT", "/api/v1/tenants/smile2", IT_ADMIN, doc, &b), 200);
		free(doc);
	}
	assert_int_equal(webhook(T2, T2_TOKEN, "CA00000000000000000000000000000203", &b), 200);
	assert_int_equal(http("GET", "/api/v1/tenants/smile2", T2_KEY, NULL, &b), 200);
	/* Secrets can be rotated; the old token stops working at once. */
	assert_int_equal(http("PUT", "/api/v1/tenants/smile2", IT_ADMIN,
			      "{\"twilio_auth_token\":\"tok-rotated-654321\"}", &b),
			 200);
	assert_int_equal(webhook(T2, T2_TOKEN, "CA00000000000000000000000000000204", &b), 403);
	assert_int_equal(
	    webhook(T2, "tok-rotated-654321", "CA00000000000000000000000000000205", &b), 200);
	assert_int_equal(http("PUT", "/api/v1/tenants/smile2", IT_ADMIN,
			      "{\"twilio_auth_token\":\"" T2_TOKEN "\"}", &b),
			 200);
	assert_int_equal(webhook(T2, T2_TOKEN, "CA00000000000000000000000000000206", &b), 200);
	va_buf_release(&b);
}

/* ---- isolation --------------------------------------------------------- */

static void test_tenants_kept_apart(void **state)
{
	struct it_call demo, two;
	struct va_buf b = VA_BUF_INIT(1 << 20);
	char demo_path[128], t2_path[128];
	json_t *j;

	it_call_start(&srv, &demo, "demo123", IT_TOKEN);
	it_call_start(&srv, &two, T2, T2_TOKEN);
	expect_echo(&demo, "demo patient speaking");
	expect_echo(&two, "second patient speaking");
	strcpy(demo_session, demo.session_id);
	strcpy(t2_session, two.session_id);
	snprintf(demo_path, sizeof(demo_path), "/api/v1/conversations/%s", demo.session_id);
	snprintf(t2_path, sizeof(t2_path), "/api/v1/conversations/%s", two.session_id);

	/* Conversations: each key reads its own, never the other's. */
	assert_int_equal(http("GET", demo_path, T2_KEY, NULL, &b), 404);
	assert_null(strstr(va_buf_cstr(&b), "demo patient"));
	assert_int_equal(http("GET", t2_path, IT_KEY, NULL, &b), 404);
	assert_null(strstr(va_buf_cstr(&b), "second patient"));
	assert_int_equal(http("GET", demo_path, IT_KEY, NULL, &b), 200);
	j = parse(&b);
	assert_string_equal(jstr(j, "tenant_id"), "demo123");
	json_decref(j);
	assert_int_equal(http("GET", t2_path, T2_KEY, NULL, &b), 200);
	j = parse(&b);
	assert_string_equal(jstr(j, "tenant_id"), T2);
	assert_non_null(strstr(va_buf_cstr(&b), "second patient speaking"));
	json_decref(j);
	assert_int_equal(http("GET", demo_path, IT_ADMIN, NULL, &b), 200);
	assert_int_equal(http("GET", t2_path, IT_ADMIN, NULL, &b), 200);
	assert_int_equal(http("GET", t2_path, NULL, NULL, &b), 401);
	assert_int_equal(http("GET", t2_path, "garbage-key", NULL, &b), 404);
	/* Another practice's conversation looks exactly like a missing one. */
	{
		struct va_buf missing = VA_BUF_INIT(4096);
		assert_int_equal(
		    http("GET", "/api/v1/conversations/VXnosuchsession", T2_KEY, NULL, &missing),
		    404);
		assert_int_equal(http("GET", demo_path, T2_KEY, NULL, &b), 404);
		assert_string_equal(va_buf_cstr(&b), va_buf_cstr(&missing));
		va_buf_release(&missing);
	}

	/* Settings: same rule. */
	assert_int_equal(http("GET", "/api/v1/tenants/demo123", T2_KEY, NULL, &b), 404);
	assert_null(strstr(va_buf_cstr(&b), "Bright Smile"));
	assert_int_equal(http("GET", "/api/v1/tenants/smile2", IT_KEY, NULL, &b), 404);
	assert_int_equal(http("GET", "/api/v1/tenants/demo123", IT_KEY, NULL, &b), 200);
	no_secrets_in(va_buf_cstr(&b));
	j = parse(&b);
	assert_string_equal(jstr(j, "id"), "demo123");
	assert_int_equal(strncmp(jstr(j, "api_key"), "****", 4), 0);
	json_decref(j);
	assert_int_equal(
	    http("PUT", "/api/v1/tenants/demo123", T2_KEY, "{\"name\":\"Taken over\"}", &b), 403);
	assert_int_equal(
	    http("PUT", "/api/v1/tenants/demo123", IT_KEY, "{\"name\":\"Renamed\"}", &b), 403);
	assert_int_equal(http("GET", "/api/v1/tenants/demo123", IT_ADMIN, NULL, &b), 200);
	assert_non_null(strstr(va_buf_cstr(&b), "Bright Smile Dental"));

	/* Signatures: one practice's token opens nothing of the other. */
	assert_int_equal(webhook(T2, IT_TOKEN, "CA00000000000000000000000000000207", &b), 403);
	assert_int_equal(webhook("demo123", T2_TOKEN, "CA00000000000000000000000000000208", &b),
			 403);
	{
		struct va_sim_ws *ws = NULL;
		char url[256], signed_url[256];
		char *sig;
		int status = 0;
		snprintf(url, sizeof(url), "%s/api/v1/voice/smile2/stream", srv.ws_base);
		sig = va_sim_ws_sign(IT_TOKEN, url);
		assert_int_equal(va_sim_ws_connect(url, sig, 3000, &ws, &status), VA_E_FORBIDDEN);
		assert_int_equal(status, 403);
		free(sig);
		/* demo's token over demo's URL, used on smile2's path. */
		snprintf(signed_url, sizeof(signed_url), "%s/api/v1/voice/demo123/stream",
			 srv.ws_base);
		sig = va_sim_ws_sign(IT_TOKEN, signed_url);
		assert_int_equal(va_sim_ws_connect(url, sig, 3000, &ws, &status), VA_E_FORBIDDEN);
		free(sig);
	}

	/* A smile2 socket whose setup names demo's live CallSid must not
	 * take over (or join) the demo call. */
	{
		struct va_sim_ws *ws = NULL;
		struct it_call intruder;
		char url[256], session[40];
		char *sig;
		int status = 0;
		size_t demo_turns = turn_count(demo.session_id, IT_KEY);

		snprintf(url, sizeof(url), "%s/api/v1/voice/smile2/stream", srv.ws_base);
		sig = va_sim_ws_sign(T2_TOKEN, url);
		assert_int_equal(va_sim_ws_connect(url, sig, 3000, &ws, &status), VA_OK);
		free(sig);
		send_setup(ws, demo.call_sid, session, sizeof(session));
		memset(&intruder, 0, sizeof(intruder));
		intruder.ws = ws;
		/* Whatever the server does with the socket, a prompt on it must
		 * not be answered as (or recorded in) the demo call. */
		if (it_send_prompt(&intruder, "intruder was here") == VA_OK) {
			struct va_buf reply = VA_BUF_INIT(4096);
			int rc = it_read_reply(&intruder, 1000, &reply, NULL, NULL);
			assert_int_not_equal(rc, VA_OK);
			va_buf_release(&reply);
		}
		va_sim_ws_free(ws);
		assert_true(it_log_count(&srv, "event=setup_refused") >= 1);
		/* The demo call keeps its socket and its transcript. */
		expect_echo(&demo, "demo still on the line");
		assert_int_equal(http("GET", demo_path, IT_KEY, NULL, &b), 200);
		assert_null(strstr(va_buf_cstr(&b), "intruder"));
		assert_int_equal(turn_count(demo.session_id, IT_KEY), demo_turns + 2);
		/* Nor may the intruder's session id read anything. */
		snprintf(url, sizeof(url), "/api/v1/conversations/%s", session);
		assert_int_equal(http("GET", url, T2_KEY, NULL, &b), 404);
	}

	/* smile2's action callback naming demo's CallSid must not end it. */
	{
		struct va_kv params[] = {
		    {"CallSid", demo.call_sid},
		    {"CallStatus", "completed"},
		    {"SessionStatus", "completed"},
		};
		int status = 0;
		va_buf_reset(&b);
		assert_int_equal(va_sim_webhook(srv.base, "/api/v1/voice/smile2/action", T2_TOKEN,
						NULL, params, 3, &status, &b),
				 VA_OK);
		assert_int_equal(status, 200);
		expect_echo(&demo, "demo not hung up by another practice");
		assert_int_equal(http("GET", demo_path, IT_KEY, NULL, &b), 200);
		j = parse(&b);
		assert_true(json_is_true(json_object_get(j, "live")));
		json_decref(j);
	}

	/* After both calls end, the stored conversations keep the same rule. */
	it_call_end(&demo);
	it_call_end(&two);
	{
		struct va_kv params[] = {
		    {"CallSid", NULL},
		    {"CallStatus", "completed"},
		    {"SessionStatus", "completed"},
		};
		int status = 0;
		params[0].value = demo.call_sid;
		va_buf_reset(&b);
		assert_int_equal(va_sim_webhook(srv.base, "/api/v1/voice/demo123/action", IT_TOKEN,
						NULL, params, 3, &status, &b),
				 VA_OK);
		assert_int_equal(status, 200);
		params[0].value = two.call_sid;
		va_buf_reset(&b);
		assert_int_equal(va_sim_webhook(srv.base, "/api/v1/voice/smile2/action", T2_TOKEN,
						NULL, params, 3, &status, &b),
				 VA_OK);
		assert_int_equal(status, 200);
	}
	assert_int_equal(http("GET", demo_path, IT_KEY, NULL, &b), 200);
	j = parse(&b);
	assert_false(json_is_true(json_object_get(j, "live")));
	json_decref(j);
	assert_int_equal(http("GET", demo_path, T2_KEY, NULL, &b), 404);
	assert_int_equal(http("GET", t2_path, IT_KEY, NULL, &b), 404);
	assert_int_equal(http("GET", t2_path, T2_KEY, NULL, &b), 200);
	va_buf_release(&b);
}

/* ---- persistence ------------------------------------------------------- */

static void test_tenants_survive_restart(void **state)
{
	struct va_buf b = VA_BUF_INIT(1 << 20);
	struct it_call two;
	char path[128];
	json_t *j;

	for (size_t i = 0; i < 4; i++) {
		static const char *const secrets[] = {IT_TOKEN, IT_KEY, T2_TOKEN, T2_KEY};
		assert_int_equal(it_log_count(&srv, secrets[i]), 0);
	}
	/* A clean stop: SIGTERM drains and the database is closed properly. */
	assert_int_equal(it_server_stop(&srv), 0);
	it_server_start(&srv, extra_args);

	assert_int_equal(http("GET", "/api/v1/tenants/smile2", IT_ADMIN, NULL, &b), 200);
	no_secrets_in(va_buf_cstr(&b));
	j = parse(&b);
	assert_string_equal(jstr(j, "name"), "Second Smile");
	assert_string_equal(jstr(j, "greeting"), "Hello from Second Smile");
	assert_string_equal(jstr(json_object_get(j, "relay"), "preset"), "noisy");
	json_decref(j);
	/* The demo practice is not duplicated on the second start. */
	assert_int_equal(http("GET", "/api/v1/tenants", IT_ADMIN, NULL, &b), 200);
	j = parse(&b);
	{
		int demos = 0;
		json_t *list = json_object_get(j, "tenants");
		for (size_t i = 0; i < json_array_size(list); i++)
			demos += !strcmp(jstr(json_array_get(list, i), "id"), "demo123");
		assert_int_equal(demos, 1);
	}
	json_decref(j);

	/* Its secrets survived too: the token signs calls, the key reads. */
	it_call_start(&srv, &two, T2, T2_TOKEN);
	assert_non_null(two.twiml.welcome_greeting);
	assert_string_equal(two.twiml.welcome_greeting, "Hello from Second Smile");
	expect_echo(&two, "after the restart");
	it_call_end(&two);
	assert_int_equal(http("GET", "/api/v1/tenants/smile2", T2_KEY, NULL, &b), 200);
	/* Conversations from before the restart, still kept apart. */
	snprintf(path, sizeof(path), "/api/v1/conversations/%s", t2_session);
	assert_int_equal(http("GET", path, T2_KEY, NULL, &b), 200);
	assert_non_null(strstr(va_buf_cstr(&b), "second patient speaking"));
	assert_int_equal(http("GET", path, IT_KEY, NULL, &b), 404);
	snprintf(path, sizeof(path), "/api/v1/conversations/%s", demo_session);
	assert_int_equal(http("GET", path, IT_KEY, NULL, &b), 200);
	assert_int_equal(http("GET", path, T2_KEY, NULL, &b), 404);
	va_buf_release(&b);
}

/* ---- CLI --------------------------------------------------------------- */

/* Runs voiceai with args; stdout and stderr land in out and err. */
static int run_cli(const char *const *args, struct va_buf *out, struct va_buf *err)
{
	char out_path[256], err_path[256];
	const char *argv[16];
	int n = 0, st;
	pid_t pid;

	snprintf(out_path, sizeof(out_path), "%s/cli.out", dir);
	snprintf(err_path, sizeof(err_path), "%s/cli.err", dir);
	argv[n++] = VA_VOICEAI_BIN;
	for (int i = 0; args[i] && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fo = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int fe = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fo, 1);
		dup2(fe, 2);
		unsetenv("VOICEAI_DB");
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	va_buf_reset(out);
	va_buf_reset(err);
	{
		const char *paths[2] = {out_path, err_path};
		struct va_buf *bufs[2] = {out, err};
		for (int k = 0; k < 2; k++) {
			FILE *f = fopen(paths[k], "r");
			char chunk[4096];
			size_t got;
			assert_non_null(f);
			while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
				va_buf_append(bufs[k], chunk, got);
			fclose(f);
		}
	}
	if (!WIFEXITED(st))
		fail_msg("voiceai %s died with signal %d", args[0], WTERMSIG(st));
	return WEXITSTATUS(st);
}

static void test_tenant_cli(void **state)
{
	struct va_buf out = VA_BUF_INIT(1 << 20), err = VA_BUF_INIT(1 << 20);
	char cli_db[256], file[256];
	const char *doc = "{\"id\":\"cli1\",\"name\":\"Command Line Dental\",\"timezone\":"
			  "\"Europe/Berlin\",\"twilio_auth_token\":\"cli-token-abcdef\","
			  "\"api_key\":\"cli-key-abcdef\",\"front_desk_number\":\"+4930123456\"}";
	json_t *j;

	snprintf(cli_db, sizeof(cli_db), "%s/cli.db", dir);

	{
		const char *a[] = {"tenant", "--help", NULL};
		assert_int_equal(run_cli(a, &out, &err), 0);
		assert_non_null(strstr(va_buf_cstr(&out), "add"));
		assert_non_null(strstr(va_buf_cstr(&out), "list"));
		assert_non_null(strstr(va_buf_cstr(&out), "show"));
	}
	{
		const char *a[] = {"tenant", "--db", cli_db, "add", doc, NULL};
		assert_int_equal(run_cli(a, &out, &err), 0);
		assert_null(strstr(va_buf_cstr(&out), "cli-token-abcdef"));
		assert_null(strstr(va_buf_cstr(&out), "cli-key-abcdef"));
		assert_null(strstr(va_buf_cstr(&err), "cli-token-abcdef"));
	}
	{
		const char *a[] = {"tenant", "--db", cli_db, "list", NULL};
		assert_int_equal(run_cli(a, &out, &err), 0);
		assert_non_null(strstr(va_buf_cstr(&out), "cli1"));
		assert_non_null(strstr(va_buf_cstr(&out), "Command Line Dental"));
		assert_null(strstr(va_buf_cstr(&out), "cli-token-abcdef"));
	}
	{
		const char *a[] = {"tenant", "--db", cli_db, "show", "cli1", NULL};
		assert_int_equal(run_cli(a, &out, &err), 0);
		j = parse(&out);
		assert_string_equal(jstr(j, "id"), "cli1");
		assert_string_equal(jstr(j, "timezone"), "Europe/Berlin");
		assert_string_equal(jstr(j, "twilio_auth_token"), "****cdef");
		assert_string_equal(jstr(j, "api_key"), "****cdef");
		json_decref(j);
		assert_null(strstr(va_buf_cstr(&out), "cli-token-abcdef"));
		assert_null(strstr(va_buf_cstr(&out), "cli-key-abcdef"));
	}
	/* The same id again fails, and says why. */
	{
		const char *a[] = {"tenant", "--db", cli_db, "add", doc, NULL};
		assert_int_not_equal(run_cli(a, &out, &err), 0);
		assert_true(err.len > 0);
	}
	/* An invalid practice fails, naming the field. */
	{
		const char *a[] = {
		    "tenant",
		    "--db",
		    cli_db,
		    "add",
		    "{\"id\":\"cli2\",\"name\":\"X\",\"timezone\":\"Atlantis/Capital\","
		    "\"twilio_auth_token\":\"cli2-token-1\",\"api_key\":\"cli2-key-1\"}",
		    NULL};
		assert_int_not_equal(run_cli(a, &out, &err), 0);
		assert_non_null(strstr(va_buf_cstr(&err), "timezone"));
	}
	/* --file works too. */
	{
		FILE *f;
		snprintf(file, sizeof(file), "%s/practice.json", dir);
		f = fopen(file, "w");
		assert_non_null(f);
		fputs("{\"id\":\"cli3\",\"name\":\"File Dental\",\"timezone\":\"UTC\","
		      "\"twilio_auth_token\":\"cli3-token-xyz\",\"api_key\":\"cli3-key-xyz\"}\n",
		      f);
		fclose(f);
		const char *a[] = {"tenant", "--db", cli_db, "add", "--file", file, NULL};
		assert_int_equal(run_cli(a, &out, &err), 0);
		const char *l[] = {"tenant", "--db", cli_db, "list", NULL};
		assert_int_equal(run_cli(l, &out, &err), 0);
		assert_non_null(strstr(va_buf_cstr(&out), "cli1"));
		assert_non_null(strstr(va_buf_cstr(&out), "cli3"));
		assert_null(strstr(va_buf_cstr(&out), "cli2"));
	}
	{
		const char *a[] = {"tenant", "--db", cli_db, "show", "nosuch", NULL};
		assert_int_not_equal(run_cli(a, &out, &err), 0);
	}
	{
		const char *a[] = {"tenant", "--db", cli_db, "frobnicate", NULL};
		assert_int_not_equal(run_cli(a, &out, &err), 0);
	}

	/* A server started on that database takes the practice's calls. */
	{
		const char *const args[] = {"--db", cli_db, NULL};
		struct it_call c;
		it_server_start(&cli_srv, args);
		it_call_start(&cli_srv, &c, "cli1", "cli-token-abcdef");
		expect_echo(&c, "called a practice made on the command line");
		it_call_end(&c);
		assert_int_equal(it_server_stop(&cli_srv), 0);
	}
	va_buf_release(&out);
	va_buf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_admin_list_needs_admin_token),
	    cmocka_unit_test(test_create_tenant),
	    cmocka_unit_test(test_invalid_tenant_documents),
	    cmocka_unit_test(test_update_reaches_twiml),
	    cmocka_unit_test(test_tenants_kept_apart),
	    cmocka_unit_test(test_tenants_survive_restart),
	    cmocka_unit_test_teardown(test_tenant_cli, stop_cli_server),
	};
	return cmocka_run_group_tests(tests, setup_group, teardown_group);
}
