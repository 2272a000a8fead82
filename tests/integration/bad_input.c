/* SPDX-License-Identifier: MIT */
/*
 * bad_input.c - every kind of bad input the issue lists, each against the
 * real server over real sockets: forged or missing signatures, unknown
 * tenants, malformed and oversized bodies and messages, a client that stops
 * reading, more calls than configured and sockets full of garbage. Each must
 * get a clear error while a healthy call kept open across the whole run goes
 * on answering, so a failure here means one bad peer hurt everybody else.
 */
#include "core/err.h"
#include "harness.h"
#include "relay/msg.h"
#include "twilio/signature.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#define OTHER_TENANT "other1"
#define OTHER_TOKEN  "other-auth-token-77"

static struct it_server srv;
static struct it_server extra_srv; /* a second server some tests need */
static struct it_call healthy;
static int healthy_turns;

/* ---- helpers ----------------------------------------------------------- */

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* One prompt on a call and its exact echo, within timeout_ms. */
static void expect_echo(struct it_call *c, const char *text, int timeout_ms)
{
	struct va_buf reply = VA_BUF_INIT(64 * 1024);
	char want[512];
	int rc;

	snprintf(want, sizeof(want), "echo: %s", text);
	assert_int_equal(it_send_prompt(c, text), VA_OK);
	rc = it_read_reply(c, timeout_ms, &reply, NULL, NULL);
	if (rc != VA_OK)
		fail_msg("no echo for '%s': %s (got '%s')", text, va_err_name(rc),
			 va_buf_cstr(&reply));
	assert_string_equal(va_buf_cstr(&reply), want);
	va_buf_release(&reply);
}

/* The call opened at the start is still fine: the point of every test. */
static void check_healthy(struct it_call *c)
{
	char text[64];

	snprintf(text, sizeof(text), "healthy turn %d", ++healthy_turns);
	expect_echo(c, text, 3000);
}

static const struct va_kv base_params[] = {
    {"AccountSid", "AC00000000000000000000000000000000"},
    {"ApiVersion", "2010-04-01"},
    {"CallSid", "CA11111111111111111111111111111111"},
    {"CallStatus", "ringing"},
    {"Direction", "inbound"},
    {"From", "+15551230001"},
    {"To", "+15555550100"},
};
#define N_BASE (sizeof(base_params) / sizeof(base_params[0]))

/* POSTs body as a form with the given X-Twilio-Signature (NULL: none). */
static int post_form(struct it_server *s, const char *path, const char *body, size_t len,
		     const char *sig, struct va_buf *resp)
{
	char url[512], hdr[512];
	int status = 0, rc;

	snprintf(url, sizeof(url), "%s%s", s->base, path);
	snprintf(hdr, sizeof(hdr), "Content-Type: application/x-www-form-urlencoded\r\n%s%s%s",
		 sig ? "X-Twilio-Signature: " : "", sig ? sig : "", sig ? "\r\n" : "");
	rc = va_sim_http("POST", url, hdr, body, len, 10000, &status, resp, NULL);
	if (rc != VA_OK)
		fail_msg("POST %s failed: %s", path, va_err_name(rc));
	return status;
}

static int webhook_status(struct it_server *s, const char *path, const char *token,
			  const char *signed_base, const struct va_kv *params, size_t n,
			  struct va_buf *body)
{
	int status = 0;

	assert_int_equal(
	    va_sim_webhook(s->base, path, token, signed_base, params, n, &status, body), VA_OK);
	return status;
}

/* Setup on an open socket, as Twilio sends it first. */
static void send_setup(struct va_sim_ws *ws, const char *call_sid, char *session_id, size_t sz)
{
	struct va_relay_setup setup;
	struct va_buf b = VA_BUF_INIT(64 * 1024);

	it_random_sid("VX", session_id, sz);
	memset(&setup, 0, sizeof(setup));
	strcpy(setup.session_id, session_id);
	strcpy(setup.call_sid, call_sid);
	strcpy(setup.account_sid, "AC00000000000000000000000000000000");
	strcpy(setup.from, "+15551230001");
	strcpy(setup.to, "+15555550100");
	strcpy(setup.call_type, "PSTN");
	strcpy(setup.direction, "inbound");
	strcpy(setup.call_status, "RINGING");
	assert_int_equal(va_relay_write_setup(&b, &setup), VA_OK);
	assert_int_equal(va_sim_ws_send_text(ws, b.data, b.len), VA_OK);
	va_buf_release(&b);
}

/* Connects to tenant's stream with a signature over signed_url (NULL: no
 * header; token NULL: signature taken literally from signed_url). */
static int ws_try(struct it_server *s, const char *tenant, const char *token,
		  const char *signed_url, struct va_sim_ws **ws, int *status)
{
	char url[1024];
	char *sig = NULL;
	int rc;

	snprintf(url, sizeof(url), "%s/api/v1/voice/%s/stream", s->ws_base, tenant);
	if (signed_url) {
		sig = token ? va_sim_ws_sign(token, signed_url) : strdup(signed_url);
		assert_non_null(sig);
	}
	*ws = NULL;
	*status = 0;
	rc = va_sim_ws_connect(url, sig, 5000, ws, status);
	free(sig);
	return rc;
}

/* Waits for the server to close ws: a CLOSE frame (its code in *code) or the
 * TCP close. Text frames on the way are skipped. */
static int wait_closed(struct va_sim_ws *ws, int timeout_ms, int *code)
{
	long end = now_ms() + timeout_ms;

	*code = 0;
	while (now_ms() < end) {
		struct va_sim_frame f;
		int rc = va_sim_ws_recv(ws, (int)(end - now_ms()), &f);
		if (rc == VA_E_CLOSED || rc == VA_E_IO)
			return VA_E_CLOSED;
		if (rc != VA_OK)
			return rc;
		if (f.opcode == VA_WS_OP_CLOSE) {
			*code = f.close_code;
			va_sim_frame_release(&f);
			return VA_OK;
		}
		va_sim_frame_release(&f);
	}
	return VA_E_TIMEOUT;
}

static int wait_log(struct it_server *s, const char *needle, int at_least, int timeout_ms)
{
	long end = now_ms() + timeout_ms;
	int n;

	while ((n = it_log_count(s, needle)) < at_least && now_ms() < end)
		usleep(50000);
	return n;
}

/* ---- setup ------------------------------------------------------------- */

static int setup_server(void **state)
{
	struct va_buf b = VA_BUF_INIT(64 * 1024);
	const char *doc = "{\"id\":\"" OTHER_TENANT "\",\"name\":\"Other Practice\","
			  "\"timezone\":\"America/Denver\",\"twilio_auth_token\":\"" OTHER_TOKEN
			  "\",\"api_key\":\"other-api-key-77\"}";

	it_server_start(&srv, NULL);
	assert_int_equal(it_http(&srv, "POST", "/api/v1/tenants", IT_ADMIN, doc, &b), 201);
	va_buf_release(&b);
	it_call_start(&srv, &healthy, "demo123", IT_TOKEN);
	check_healthy(&healthy);
	return 0;
}

static int teardown_server(void **state)
{
	bool alive = it_server_alive(&srv);
	int status;

	if (alive)
		check_healthy(&healthy);
	it_call_end(&healthy);
	status = it_server_stop(&srv);
	assert_true(alive);
	assert_int_equal(status, 0);
	return 0;
}

/* A test that failed half-way must not leave its second server running. */
static int stop_extra(void **state)
{
	if (extra_srv.pid > 0)
		it_server_stop(&extra_srv);
	return 0;
}

/* ---- webhooks ---------------------------------------------------------- */

static void test_webhook_signature_checks(void **state)
{
	struct va_buf body = VA_BUF_INIT(64 * 1024), form = VA_BUF_INIT(64 * 1024);
	char url[1024], sig[64];
	int rejected0 = it_log_count(&srv, "event=signature_rejected");
	int unknown0 = it_log_count(&srv, "event=unknown_tenant");

	/* The genuine article first, so the refusals below mean something. */
	assert_int_equal(webhook_status(&srv, "/api/v1/voice/demo123", IT_TOKEN, NULL, base_params,
					N_BASE, &body),
			 200);
	assert_non_null(strstr(va_buf_cstr(&body), "<ConversationRelay"));

	/* Missing signature. */
	va_buf_reset(&body);
	assert_int_equal(
	    webhook_status(&srv, "/api/v1/voice/demo123", NULL, NULL, base_params, N_BASE, &body),
	    403);
	assert_null(strstr(va_buf_cstr(&body), "<ConversationRelay"));

	/* Wrong signature: right shape, wrong bytes. */
	assert_int_equal(va_sim_form_encode(&form, base_params, N_BASE), VA_OK);
	va_buf_reset(&body);
	assert_int_equal(post_form(&srv, "/api/v1/voice/demo123", form.data, form.len,
				   "AAAAAAAAAAAAAAAAAAAAAAAAAAA=", &body),
			 403);
	assert_null(strstr(va_buf_cstr(&body), "<ConversationRelay"));

	/* Signed with another practice's auth token, both ways round. */
	va_buf_reset(&body);
	assert_int_equal(webhook_status(&srv, "/api/v1/voice/demo123", OTHER_TOKEN, NULL,
					base_params, N_BASE, &body),
			 403);
	va_buf_reset(&body);
	assert_int_equal(webhook_status(&srv, "/api/v1/voice/" OTHER_TENANT, IT_TOKEN, NULL,
					base_params, N_BASE, &body),
			 403);
	va_buf_reset(&body);
	assert_int_equal(webhook_status(&srv, "/api/v1/voice/" OTHER_TENANT, OTHER_TOKEN, NULL,
					base_params, N_BASE, &body),
			 200);

	/* A parameter changed after signing: the signature covers the body. */
	snprintf(url, sizeof(url), "%s/api/v1/voice/demo123", srv.base);
	assert_int_equal(va_twilio_sign(IT_TOKEN, url, base_params, N_BASE, sig, sizeof(sig)),
			 VA_OK);
	{
		struct va_kv tampered[N_BASE];
		memcpy(tampered, base_params, sizeof(tampered));
		tampered[5].value = "+15559999999"; /* From */
		va_buf_reset(&form);
		assert_int_equal(va_sim_form_encode(&form, tampered, N_BASE), VA_OK);
	}
	va_buf_reset(&body);
	assert_int_equal(post_form(&srv, "/api/v1/voice/demo123", form.data, form.len, sig, &body),
			 403);
	/* The untampered body with that very signature passes. */
	va_buf_reset(&form);
	assert_int_equal(va_sim_form_encode(&form, base_params, N_BASE), VA_OK);
	va_buf_reset(&body);
	assert_int_equal(post_form(&srv, "/api/v1/voice/demo123", form.data, form.len, sig, &body),
			 200);

	/* A genuine signature, but over another path of the same tenant. */
	{
		char action[1024];
		snprintf(action, sizeof(action), "%s/api/v1/voice/demo123/action", srv.base);
		assert_int_equal(
		    va_twilio_sign(IT_TOKEN, action, base_params, N_BASE, sig, sizeof(sig)), VA_OK);
		va_buf_reset(&body);
		assert_int_equal(
		    post_form(&srv, "/api/v1/voice/demo123", form.data, form.len, sig, &body), 403);
	}

	/* Unknown tenant. */
	va_buf_reset(&body);
	assert_int_equal(webhook_status(&srv, "/api/v1/voice/nosuchpractice", IT_TOKEN, NULL,
					base_params, N_BASE, &body),
			 404);
	assert_null(strstr(va_buf_cstr(&body), "<ConversationRelay"));

	/* Malformed form body (a bad percent escape), signed. */
	{
		static const char bad[] = "a=%G1&CallSid=CA1";
		struct va_kv p[] = {{"a", "%G1"}, {"CallSid", "CA1"}};
		assert_int_equal(va_twilio_sign(IT_TOKEN, url, p, 2, sig, sizeof(sig)), VA_OK);
		va_buf_reset(&body);
		assert_int_equal(
		    post_form(&srv, "/api/v1/voice/demo123", bad, sizeof(bad) - 1, sig, &body),
		    400);
	}

	/* Each refusal is in the log, with the reason a support person needs. */
	assert_true(it_log_count(&srv, "event=signature_rejected") >= rejected0 + 6);
	assert_true(it_log_count(&srv, "reason=missing") >= 1);
	assert_true(it_log_count(&srv, "reason=mismatch") >= 5);
	assert_true(it_log_count(&srv, "event=unknown_tenant") >= unknown0 + 1);
	assert_true(it_log_count(&srv, "event=malformed_form") >= 1);
	/* Secrets never reach the log. */
	assert_int_equal(it_log_count(&srv, IT_TOKEN), 0);
	assert_int_equal(it_log_count(&srv, OTHER_TOKEN), 0);

	va_buf_release(&body);
	va_buf_release(&form);
	check_healthy(&healthy);
}

/* Caller ID is the caller's to choose (client: names, spoofed numbers):
 * whatever it holds must not be able to write TwiML. */
static void test_webhook_fields_cannot_inject_twiml(void **state)
{
	static const char evil[] =
	    "client:x\"/><Hangup/><Say>pwned</Say><Parameter name=\"a\" value=\"&amp;";
	struct va_buf body = VA_BUF_INIT(64 * 1024);
	struct va_sim_twiml tw;
	struct va_kv p[N_BASE];
	bool seen = false;

	memcpy(p, base_params, sizeof(p));
	p[5].value = evil; /* From */
	assert_int_equal(
	    webhook_status(&srv, "/api/v1/voice/demo123", IT_TOKEN, NULL, p, N_BASE, &body), 200);
	assert_int_equal(va_sim_twiml_parse(va_buf_cstr(&body), &tw), VA_OK);
	assert_non_null(tw.relay_url);
	assert_false(tw.hangup);
	assert_null(tw.say);
	assert_null(strstr(va_buf_cstr(&body), "<Hangup"));
	for (size_t i = 0; i < tw.n_params; i++) {
		assert_string_not_equal(tw.params[i].name, "a");
		if (!strcmp(tw.params[i].name, "caller")) {
			assert_string_equal(tw.params[i].value, evil);
			seen = true;
		}
	}
	assert_true(seen);
	va_sim_twiml_release(&tw);
	va_buf_release(&body);
	check_healthy(&healthy);
}

/* The action and gather callbacks are webhooks too: same checks. */
static void test_callback_signature_checks(void **state)
{
	struct va_buf body = VA_BUF_INIT(64 * 1024);
	struct va_kv params[] = {
	    {"CallSid", healthy.call_sid},
	    {"CallStatus", "completed"},
	    {"SessionStatus", "completed"},
	};

	/* A forged "caller hung up" must not end the healthy call. */
	assert_int_equal(webhook_status(&srv, "/api/v1/voice/demo123/action", OTHER_TOKEN, NULL,
					params, 3, &body),
			 403);
	va_buf_reset(&body);
	assert_int_equal(
	    webhook_status(&srv, "/api/v1/voice/demo123/action", NULL, NULL, params, 3, &body),
	    403);
	va_buf_reset(&body);
	assert_int_equal(webhook_status(&srv, "/api/v1/voice/demo123/gather", OTHER_TOKEN, NULL,
					params, 3, &body),
			 403);
	va_buf_reset(&body);
	assert_int_equal(webhook_status(&srv, "/api/v1/voice/nosuchpractice/action", IT_TOKEN, NULL,
					params, 3, &body),
			 404);
	va_buf_release(&body);
	check_healthy(&healthy);
}

static void test_body_over_limit(void **state)
{
	struct it_server *small = &extra_srv;
	const char *const extra[] = {"--max-body", "4096", NULL};
	struct va_buf body = VA_BUF_INIT(64 * 1024), form = VA_BUF_INIT(1 << 20);
	struct va_kv params[N_BASE + 1];
	char *pad = malloc(8001);
	char url[1024], sig[64];

	memset(pad, 'x', 8000);
	pad[8000] = '\0';
	memcpy(params, base_params, sizeof(base_params));
	params[N_BASE] = (struct va_kv){"Padding", pad};

	it_server_start(small, extra);
	/* Under the limit is fine on that server. */
	assert_int_equal(webhook_status(small, "/api/v1/voice/demo123", IT_TOKEN, NULL, base_params,
					N_BASE, &body),
			 200);
	/* Exactly at the limit is not over it. */
	{
		char exact_sig[64];
		struct va_kv e[N_BASE + 1];
		memcpy(e, params, sizeof(e));
		va_buf_reset(&form);
		assert_int_equal(va_sim_form_encode(&form, base_params, N_BASE), VA_OK);
		size_t fixed = form.len + strlen("&Padding=");
		pad[4096 - fixed] = '\0';
		e[N_BASE].value = pad;
		va_buf_reset(&form);
		assert_int_equal(va_sim_form_encode(&form, e, N_BASE + 1), VA_OK);
		assert_int_equal(form.len, 4096);
		snprintf(url, sizeof(url), "%s/api/v1/voice/demo123", small->base);
		assert_int_equal(
		    va_twilio_sign(IT_TOKEN, url, e, N_BASE + 1, exact_sig, sizeof(exact_sig)),
		    VA_OK);
		va_buf_reset(&body);
		assert_int_equal(post_form(small, "/api/v1/voice/demo123", form.data, form.len,
					   exact_sig, &body),
				 200);
		/* One byte more is. */
		pad[4096 - fixed] = 'x';
		pad[4097 - fixed] = '\0';
		va_buf_reset(&form);
		assert_int_equal(va_sim_form_encode(&form, e, N_BASE + 1), VA_OK);
		assert_int_equal(form.len, 4097);
		assert_int_equal(
		    va_twilio_sign(IT_TOKEN, url, e, N_BASE + 1, exact_sig, sizeof(exact_sig)),
		    VA_OK);
		va_buf_reset(&body);
		assert_int_equal(post_form(small, "/api/v1/voice/demo123", form.data, form.len,
					   exact_sig, &body),
				 413);
		memset(pad, 'x', 8000);
		va_buf_reset(&form);
	}
	/* Over it: 413, even with a valid signature. */
	snprintf(url, sizeof(url), "%s/api/v1/voice/demo123", small->base);
	assert_int_equal(va_twilio_sign(IT_TOKEN, url, params, N_BASE + 1, sig, sizeof(sig)),
			 VA_OK);
	assert_int_equal(va_sim_form_encode(&form, params, N_BASE + 1), VA_OK);
	va_buf_reset(&body);
	assert_int_equal(post_form(small, "/api/v1/voice/demo123", form.data, form.len, sig, &body),
			 413);
	assert_true(it_log_count(small, "event=body_too_large") >= 1);
	/* The server still answers afterwards. */
	va_buf_reset(&body);
	assert_int_equal(webhook_status(small, "/api/v1/voice/demo123", IT_TOKEN, NULL, base_params,
					N_BASE, &body),
			 200);
	assert_true(it_server_alive(small));
	assert_int_equal(it_server_stop(small), 0);

	/* The default limit is 64 KiB. */
	char *big = malloc(70001);
	memset(big, 'y', 70000);
	big[70000] = '\0';
	params[N_BASE].value = big;
	snprintf(url, sizeof(url), "%s/api/v1/voice/demo123", srv.base);
	assert_int_equal(va_twilio_sign(IT_TOKEN, url, params, N_BASE + 1, sig, sizeof(sig)),
			 VA_OK);
	va_buf_reset(&form);
	assert_int_equal(va_sim_form_encode(&form, params, N_BASE + 1), VA_OK);
	va_buf_reset(&body);
	assert_int_equal(post_form(&srv, "/api/v1/voice/demo123", form.data, form.len, sig, &body),
			 413);
	/* Also on the admin API. */
	{
		char *doc = malloc(80000);
		memset(doc, ' ', 79999);
		doc[0] = '{';
		doc[79998] = '}';
		doc[79999] = '\0';
		va_buf_reset(&body);
		assert_int_equal(it_http(&srv, "POST", "/api/v1/tenants", IT_ADMIN, doc, &body),
				 413);
		free(doc);
	}
	free(big);
	free(pad);
	va_buf_release(&body);
	va_buf_release(&form);
	check_healthy(&healthy);
}

/* Behind TLS termination Twilio signs the public https URL, without a port. */
static void test_public_url_signatures(void **state)
{
	struct it_server *pub = &extra_srv;
	const char *const extra[] = {"--public-url", "https://voice.example.com", NULL};
	struct va_buf body = VA_BUF_INIT(64 * 1024);
	struct va_sim_twiml tw;
	struct va_sim_ws *ws;
	int status;

	it_server_start(pub, extra);
	assert_int_equal(webhook_status(pub, "/api/v1/voice/demo123", IT_TOKEN,
					"https://voice.example.com", base_params, N_BASE, &body),
			 200);
	assert_int_equal(va_sim_twiml_parse(va_buf_cstr(&body), &tw), VA_OK);
	assert_non_null(tw.relay_url);
	assert_string_equal(tw.relay_url, "wss://voice.example.com/api/v1/voice/demo123/stream");
	assert_non_null(tw.action_url);
	assert_string_equal(tw.action_url, "https://voice.example.com/api/v1/voice/demo123/action");

	/* The handshake is signed over that wss:// URL, with or without :443. */
	assert_int_equal(ws_try(pub, "demo123", IT_TOKEN, tw.relay_url, &ws, &status), VA_OK);
	assert_int_equal(status, 101);
	va_sim_ws_free(ws);
	assert_int_equal(ws_try(pub, "demo123", IT_TOKEN,
				"wss://voice.example.com:443/api/v1/voice/demo123/stream", &ws,
				&status),
			 VA_OK);
	va_sim_ws_free(ws);
	/* Not over the address the socket happened to reach. */
	{
		char local[1024];
		snprintf(local, sizeof(local), "%s/api/v1/voice/demo123/stream", pub->ws_base);
		assert_int_equal(ws_try(pub, "demo123", IT_TOKEN, local, &ws, &status),
				 VA_E_FORBIDDEN);
		assert_int_equal(status, 403);
	}
	va_sim_twiml_release(&tw);

	/* The same URL with the default port spelled out is accepted too. */
	va_buf_reset(&body);
	assert_int_equal(webhook_status(pub, "/api/v1/voice/demo123", IT_TOKEN,
					"https://voice.example.com:443", base_params, N_BASE,
					&body),
			 200);
	assert_non_null(strstr(va_buf_cstr(&body), "<ConversationRelay"));
	/* A signature over the local address is not the URL Twilio used. */
	va_buf_reset(&body);
	assert_int_equal(webhook_status(pub, "/api/v1/voice/demo123", IT_TOKEN, NULL, base_params,
					N_BASE, &body),
			 403);
	/* Nor is another host, or plain http. */
	va_buf_reset(&body);
	assert_int_equal(webhook_status(pub, "/api/v1/voice/demo123", IT_TOKEN,
					"https://evil.example.com", base_params, N_BASE, &body),
			 403);
	va_buf_reset(&body);
	assert_int_equal(webhook_status(pub, "/api/v1/voice/demo123", IT_TOKEN,
					"http://voice.example.com", base_params, N_BASE, &body),
			 403);
	assert_true(it_server_alive(pub));
	assert_int_equal(it_server_stop(pub), 0);
	va_buf_release(&body);
	check_healthy(&healthy);
}

/* ---- WebSocket handshake ----------------------------------------------- */

static void test_ws_handshake_checks(void **state)
{
	struct va_sim_ws *ws = NULL;
	char signed_url[1024], session[40], call_sid[40];
	int status, code;
	int refused0 = it_log_count(&srv, "event=handshake_refused");

	snprintf(signed_url, sizeof(signed_url), "%s/api/v1/voice/demo123/stream", srv.ws_base);

	/* No signature. */
	assert_int_equal(ws_try(&srv, "demo123", IT_TOKEN, NULL, &ws, &status), VA_E_FORBIDDEN);
	assert_int_equal(status, 403);
	assert_null(ws);
	/* A bad one. */
	assert_int_equal(
	    ws_try(&srv, "demo123", NULL, "AAAAAAAAAAAAAAAAAAAAAAAAAAA=", &ws, &status),
	    VA_E_FORBIDDEN);
	assert_int_equal(status, 403);
	/* Another practice's token over the right URL. */
	assert_int_equal(ws_try(&srv, "demo123", OTHER_TOKEN, signed_url, &ws, &status),
			 VA_E_FORBIDDEN);
	assert_int_equal(status, 403);
	/* A signature that is valid, but for another path. */
	{
		char other[1024];
		snprintf(other, sizeof(other), "%s/api/v1/voice/demo123", srv.ws_base);
		assert_int_equal(ws_try(&srv, "demo123", IT_TOKEN, other, &ws, &status),
				 VA_E_FORBIDDEN);
		assert_int_equal(status, 403);
		snprintf(other, sizeof(other), "%s/api/v1/voice/" OTHER_TENANT "/stream",
			 srv.ws_base);
		assert_int_equal(ws_try(&srv, "demo123", IT_TOKEN, other, &ws, &status),
				 VA_E_FORBIDDEN);
		assert_int_equal(status, 403);
	}
	/* Unknown tenant. */
	{
		char unk[1024];
		snprintf(unk, sizeof(unk), "%s/api/v1/voice/nosuchpractice/stream", srv.ws_base);
		assert_int_equal(ws_try(&srv, "nosuchpractice", IT_TOKEN, unk, &ws, &status),
				 VA_E_NOTFOUND);
		assert_int_equal(status, 404);
	}
	/* An upgrade anywhere but a stream is not a ConversationRelay socket. */
	{
		static const char *const paths[] = {"/api/v1/voice/demo123", "/healthz",
						    "/api/v1/voice/demo123/stream/extra"};
		for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
			char url[1024], *sig;
			snprintf(url, sizeof(url), "%s%s", srv.ws_base, paths[i]);
			sig = va_sim_ws_sign(IT_TOKEN, url);
			assert_int_equal(va_sim_ws_connect(url, sig, 3000, &ws, &status),
					 VA_E_NOTFOUND);
			assert_int_equal(status, 404);
			free(sig);
		}
	}
	assert_true(it_log_count(&srv, "event=handshake_refused") >= refused0 + 6);

	/* Twilio's trailing-slash form (protocols.md 1.7) is accepted, and the
	 * socket then carries a normal session. */
	{
		char slash[1100];
		snprintf(slash, sizeof(slash), "%s/", signed_url);
		assert_int_equal(ws_try(&srv, "demo123", IT_TOKEN, slash, &ws, &status), VA_OK);
		assert_int_equal(status, 101);
		struct it_call c;
		memset(&c, 0, sizeof(c));
		c.ws = ws;
		it_random_sid("CA", call_sid, sizeof(call_sid));
		send_setup(ws, call_sid, session, sizeof(session));
		expect_echo(&c, "through the slash", 3000);
		va_sim_ws_free(ws);
	}
	/* A clean close handshake on a correctly signed socket. */
	assert_int_equal(ws_try(&srv, "demo123", IT_TOKEN, signed_url, &ws, &status), VA_OK);
	assert_int_equal(va_sim_ws_send_close(ws, VA_WS_CLOSE_NORMAL), VA_OK);
	assert_int_equal(wait_closed(ws, 3000, &code), VA_OK);
	va_sim_ws_free(ws);
	check_healthy(&healthy);
}

/* ---- bad messages on a live session ------------------------------------ */

static void send_bad_then_echo(struct it_call *c, enum va_ws_opcode op, const char *msg, size_t len,
			       const char *tag)
{
	char text[64];

	assert_int_equal(va_sim_ws_send_message(c->ws, op, msg, len, 0), VA_OK);
	snprintf(text, sizeof(text), "after %s", tag);
	expect_echo(c, text, 3000);
}

static void test_session_survives_bad_messages(void **state)
{
	struct it_call c;
	int malformed0 = it_log_count(&srv, "event=malformed_message");
	int binary0 = it_log_count(&srv, "event=binary_message");
	int unknown0 = it_log_count(&srv, "event=unknown_message_type");
	static const char bad_utf8[] =
	    "{\"type\":\"prompt\",\"voicePrompt\":\"caf\xc3\x28 \xff\xfe\",\"lang\":\"en-US\","
	    "\"last\":true}";
	static const char *const malformed[] = {
	    "{not json",
	    "[1,2,3]",
	    "\"just a string\"",
	    "{}",
	    "{\"type\":42}",
	    "{\"type\":\"prompt\",\"lang\":\"en-US\",\"last\":true}",
	    "{\"type\":\"prompt\",\"voicePrompt\":17,\"last\":true}",
	    "{\"type\":\"dtmf\",\"digit\":\"12\"}",
	    "{\"type\":\"dtmf\",\"digit\":\"x\"}",
	    "{\"type\":\"dtmf\"}",
	};
	size_t n_malformed = sizeof(malformed) / sizeof(malformed[0]);

	it_call_start(&srv, &c, "demo123", IT_TOKEN);
	expect_echo(&c, "first", 3000);

	for (size_t i = 0; i < n_malformed; i++) {
		char tag[32];
		snprintf(tag, sizeof(tag), "malformed %zu", i);
		send_bad_then_echo(&c, VA_WS_OP_TEXT, malformed[i], strlen(malformed[i]), tag);
	}
	/* An empty text frame. */
	send_bad_then_echo(&c, VA_WS_OP_TEXT, "", 0, "empty");
	/* Unknown message types are logged and skipped (new ones appear). */
	send_bad_then_echo(&c, VA_WS_OP_TEXT, "{\"type\":\"foo\"}", 14, "unknown type");
	/* Binary frames are not ConversationRelay. */
	send_bad_then_echo(&c, VA_WS_OP_BINARY, "\x01\x02\x03\x00\xff", 5, "binary");
	/* Text that is not UTF-8. */
	send_bad_then_echo(&c, VA_WS_OP_TEXT, bad_utf8, sizeof(bad_utf8) - 1, "bad utf8");
	/* A second setup on the same socket. */
	{
		char session[40];
		send_setup(c.ws, c.call_sid, session, sizeof(session));
		expect_echo(&c, "after duplicate setup", 3000);
	}
	/* Still a working session: dtmf, a fragmented prompt, a ping. */
	{
		struct va_buf reply = VA_BUF_INIT(4096), b = VA_BUF_INIT(4096);
		struct va_sim_frame f;
		assert_int_equal(it_send_dtmf(&c, '7'), VA_OK);
		assert_int_equal(it_read_reply(&c, 3000, &reply, NULL, NULL), VA_OK);
		assert_string_equal(va_buf_cstr(&reply), "pressed 7");
		va_buf_reset(&reply);
		assert_int_equal(va_relay_write_prompt(&b, "in small pieces", true, "en-US"),
				 VA_OK);
		assert_int_equal(va_sim_ws_send_message(c.ws, VA_WS_OP_TEXT, b.data, b.len, 7),
				 VA_OK);
		assert_int_equal(it_read_reply(&c, 3000, &reply, NULL, NULL), VA_OK);
		assert_string_equal(va_buf_cstr(&reply), "echo: in small pieces");
		assert_int_equal(va_sim_ws_send_ping(c.ws, "hi", 2), VA_OK);
		assert_int_equal(va_sim_ws_recv(c.ws, 3000, &f), VA_OK);
		assert_int_equal(f.opcode, VA_WS_OP_PONG);
		assert_string_equal(f.payload, "hi");
		va_sim_frame_release(&f);
		va_buf_release(&reply);
		va_buf_release(&b);
	}

	assert_true(it_log_count(&srv, "event=malformed_message") >=
		    malformed0 + (int)n_malformed + 1);
	assert_true(it_log_count(&srv, "event=binary_message") >= binary0 + 1);
	assert_true(it_log_count(&srv, "event=unknown_message_type") >= unknown0 + 1);
	assert_true(it_log_count(&srv, "event=duplicate_setup") >= 1);
	assert_true(it_server_alive(&srv));

	/* The bad turns never became part of the transcript. */
	{
		struct va_buf b = VA_BUF_INIT(1 << 20);
		char path[128];
		snprintf(path, sizeof(path), "/api/v1/conversations/%s", c.session_id);
		assert_int_equal(it_http(&srv, "GET", path, IT_KEY, NULL, &b), 200);
		assert_null(strstr(va_buf_cstr(&b), "not json"));
		assert_non_null(strstr(va_buf_cstr(&b), "after bad utf8"));
		va_buf_release(&b);
	}
	it_call_end(&c);
	check_healthy(&healthy);
}

static void oversized_message(size_t n, size_t fragment_size)
{
	struct it_call c;
	char *big = malloc(n + 1);
	int code = 0, rc;

	/* A syntactically fine prompt, just too long. */
	memset(big, 'a', n);
	memcpy(big, "{\"type\":\"prompt\",\"voicePrompt\":\"", 32);
	memcpy(big + n - 14, "\",\"last\":true}", 14);
	big[n] = '\0';

	it_call_start(&srv, &c, "demo123", IT_TOKEN);
	expect_echo(&c, "before the big one", 3000);
	rc = va_sim_ws_send_message(c.ws, VA_WS_OP_TEXT, big, n, fragment_size);
	/* The server may close before it has read everything we sent. */
	assert_true(rc == VA_OK || rc == VA_E_IO);
	rc = wait_closed(c.ws, 5000, &code);
	if (rc == VA_OK)
		assert_int_equal(code, VA_WS_CLOSE_TOO_BIG);
	else
		assert_int_equal(rc, VA_E_CLOSED);
	it_call_end(&c);
	free(big);
}

static void test_message_over_64k_closes_1009(void **state)
{
	int n0 = it_log_count(&srv, "event=frame_too_large");

	oversized_message(65537, 0);
	check_healthy(&healthy);
	oversized_message(70000, 4096);
	check_healthy(&healthy);
	assert_true(it_log_count(&srv, "event=frame_too_large") >= n0 + 2);

	/* Exactly 64 KiB is still a message (the limit is on what is over). */
	{
		struct it_call c;
		struct va_buf reply = VA_BUF_INIT(1 << 20);
		size_t n = 65536;
		char *msg = malloc(n + 1);
		memset(msg, 'b', n);
		memcpy(msg, "{\"type\":\"prompt\",\"voicePrompt\":\"", 32);
		memcpy(msg + n - 14, "\",\"last\":true}", 14);
		msg[n] = '\0';
		it_call_start(&srv, &c, "demo123", IT_TOKEN);
		assert_int_equal(va_sim_ws_send_message(c.ws, VA_WS_OP_TEXT, msg, n, 4096), VA_OK);
		assert_int_equal(it_read_reply(&c, 5000, &reply, NULL, NULL), VA_OK);
		assert_int_equal(reply.len, strlen("echo: ") + n - 32 - 14);
		assert_int_equal(strncmp(va_buf_cstr(&reply), "echo: bbbb", 10), 0);
		expect_echo(&c, "after the long one", 3000);
		it_call_end(&c);
		free(msg);
		va_buf_release(&reply);
	}
	check_healthy(&healthy);
}

/* ---- a client that stops reading ---------------------------------------- */

static void test_slow_client_dropped(void **state)
{
	struct it_server *q = &extra_srv;
	const char *const extra[] = {"--max-queue", "8", NULL};
	struct it_call slow, ok;
	struct va_buf big = VA_BUF_INIT(1 << 20);
	char *word = malloc(15001);
	int dropped = 0, i;
	long t0, worst = 0, started;

	it_server_start(q, extra);
	it_call_start(q, &ok, "demo123", IT_TOKEN);
	it_call_start(q, &slow, "demo123", IT_TOKEN);
	expect_echo(&slow, "I will stop reading now", 3000);

	/*
	 * From here on the slow caller never reads. A token stream ("slow N 1")
	 * alone is ~50 KB/s, and loopback TCP buffers absorb megabytes before
	 * the server sees the socket stall, so the echo of long words is used
	 * to fill them quickly: each prompt below is answered with ~60 KB in 6
	 * frames, fewer than the queue bound, so only the stalled socket can
	 * overflow it.
	 */
	memset(word, 'w', 15000);
	word[15000] = '\0';
	for (int k = 0; k < 4; k++)
		va_buf_appendf(&big, "%s%s", k ? " " : "", word);
	assert_int_equal(it_send_prompt(&slow, "slow 100000 1"), VA_OK);

	started = now_ms();
	for (i = 0; i < 400 && !dropped && now_ms() - started < 15000; i++) {
		char text[32];
		long dt;
		/* The stalled caller keeps talking; the server may already have
		 * cut it off, which makes this fail. */
		(void)it_send_prompt(&slow, va_buf_cstr(&big));
		/* Meanwhile the other caller is served at once, again and again. */
		snprintf(text, sizeof(text), "are you there %d", i);
		t0 = now_ms();
		expect_echo(&ok, text, 2000);
		dt = now_ms() - t0;
		if (dt > worst)
			worst = dt;
		dropped = it_log_count(q, "event=slow_client_dropped");
		usleep(20000);
	}
	if (!dropped)
		fail_msg("the stalled client was not dropped within 15 s (see %s)", q->log);
	print_message("stalled client dropped after %ld ms, %d prompts; worst echo %ld ms\n",
		      now_ms() - started, i, worst);
	/* Nobody waited on the stalled one. */
	assert_true(worst < 500);
	expect_echo(&ok, "after the drop", 1000);

	/* The dropped socket really is closed: draining it ends in a close. */
	{
		long end = now_ms() + 10000;
		int rc = VA_OK;
		while (now_ms() < end) {
			struct va_sim_frame f;
			rc = va_sim_ws_recv(slow.ws, 1000, &f);
			if (rc != VA_OK)
				break;
			if (f.opcode == VA_WS_OP_CLOSE) {
				va_sim_frame_release(&f);
				rc = VA_E_CLOSED;
				break;
			}
			va_sim_frame_release(&f);
		}
		assert_true(rc == VA_E_CLOSED || rc == VA_E_IO);
	}
	it_call_end(&slow);
	expect_echo(&ok, "still fine", 1000);
	it_call_end(&ok);
	assert_true(it_server_alive(q));
	assert_int_equal(it_server_stop(q), 0);
	free(word);
	va_buf_release(&big);
	check_healthy(&healthy);
}

/* ---- capacity ---------------------------------------------------------- */

static void test_more_calls_than_configured(void **state)
{
	struct it_server *one = &extra_srv;
	const char *const extra[] = {"--max-calls", "1", NULL};
	struct it_call first;
	struct va_buf body = VA_BUF_INIT(64 * 1024);
	struct va_sim_twiml tw;

	it_server_start(one, extra);
	it_call_start(one, &first, "demo123", IT_TOKEN);
	expect_echo(&first, "I got the only line", 3000);

	/* A second caller: a polite spoken refusal, not an error, no relay. */
	{
		struct va_kv p[N_BASE];
		memcpy(p, base_params, sizeof(p));
		p[2].value = "CA22222222222222222222222222222222";
		assert_int_equal(
		    webhook_status(one, "/api/v1/voice/demo123", IT_TOKEN, NULL, p, N_BASE, &body),
		    200);
	}
	assert_int_equal(va_sim_twiml_parse(va_buf_cstr(&body), &tw), VA_OK);
	assert_null(tw.relay_url);
	assert_non_null(tw.say);
	assert_true(strlen(tw.say) > 10);
	assert_true(tw.hangup);
	assert_null(tw.dial);
	va_sim_twiml_release(&tw);
	assert_true(wait_log(one, "event=call_refused", 1, 2000) >= 1);

	/* A socket that sets up a second call anyway is told goodbye. */
	{
		struct va_sim_ws *ws;
		struct it_call c;
		char signed_url[1024], session[40];
		struct va_buf reply = VA_BUF_INIT(4096), handoff = VA_BUF_INIT(4096);
		int status, code, rc;
		snprintf(signed_url, sizeof(signed_url), "%s/api/v1/voice/demo123/stream",
			 one->ws_base);
		assert_int_equal(ws_try(one, "demo123", IT_TOKEN, signed_url, &ws, &status), VA_OK);
		memset(&c, 0, sizeof(c));
		c.ws = ws;
		send_setup(ws, "CA33333333333333333333333333333333", session, sizeof(session));
		assert_int_equal(it_read_reply(&c, 3000, &reply, NULL, NULL), VA_OK);
		assert_true(reply.len > 10);
		assert_int_equal(it_read_reply(&c, 3000, NULL, NULL, &handoff), VA_E_STATE);
		/* Then the server hangs up that socket. */
		rc = wait_closed(ws, 3000, &code);
		assert_true(rc == VA_OK || rc == VA_E_CLOSED);
		va_sim_ws_free(ws);
		va_buf_release(&reply);
		va_buf_release(&handoff);
	}
	expect_echo(&first, "still mine", 3000);
	it_call_end(&first);
	assert_int_equal(it_server_stop(one), 0);
	va_buf_release(&body);
	check_healthy(&healthy);
}

/* ---- garbage ----------------------------------------------------------- */

static void test_garbage_sockets(void **state)
{
	char signed_url[1024];
	unsigned seed = 12345;

	snprintf(signed_url, sizeof(signed_url), "%s/api/v1/voice/demo123/stream", srv.ws_base);
	for (int i = 0; i < 10; i++) {
		struct va_sim_ws *ws;
		unsigned char junk[512];
		int status;
		size_t n = 16 + (size_t)(rand_r(&seed) % (sizeof(junk) - 16));

		for (size_t k = 0; k < n; k++)
			junk[k] = (unsigned char)rand_r(&seed);
		/* Every other one claims a huge frame length. */
		if (i % 2) {
			static const unsigned char huge[] = {0x81, 0xff, 0x7f, 0xff, 0xff,
							     0xff, 0xff, 0xff, 0xff, 0xff};
			memcpy(junk, huge, sizeof(huge));
		}
		assert_int_equal(ws_try(&srv, "demo123", IT_TOKEN, signed_url, &ws, &status),
				 VA_OK);
		va_sim_ws_send_raw(ws, junk, n);
		va_sim_ws_free(ws);
	}
	/* And raw garbage where an HTTP request should be. */
	for (int i = 0; i < 3; i++) {
		struct va_buf b = VA_BUF_INIT(4096);
		int status = 0;
		char url[128];
		snprintf(url, sizeof(url), "%s/api/v1/voice/demo123/stream", srv.base);
		/* A GET to the stream without an upgrade is not a WebSocket. */
		va_sim_http("GET", url, NULL, NULL, 0, 3000, &status, &b, NULL);
		assert_true(status >= 400 && status < 500);
		va_buf_release(&b);
	}
	usleep(200000);
	assert_true(it_server_alive(&srv));
	check_healthy(&healthy);
	/* New calls still work too. */
	{
		struct it_call c;
		it_call_start(&srv, &c, "demo123", IT_TOKEN);
		expect_echo(&c, "new call after garbage", 3000);
		it_call_end(&c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_webhook_signature_checks, stop_extra),
	    cmocka_unit_test_teardown(test_webhook_fields_cannot_inject_twiml, stop_extra),
	    cmocka_unit_test_teardown(test_callback_signature_checks, stop_extra),
	    cmocka_unit_test_teardown(test_body_over_limit, stop_extra),
	    cmocka_unit_test_teardown(test_public_url_signatures, stop_extra),
	    cmocka_unit_test_teardown(test_ws_handshake_checks, stop_extra),
	    cmocka_unit_test_teardown(test_session_survives_bad_messages, stop_extra),
	    cmocka_unit_test_teardown(test_message_over_64k_closes_1009, stop_extra),
	    cmocka_unit_test_teardown(test_slow_client_dropped, stop_extra),
	    cmocka_unit_test_teardown(test_more_calls_than_configured, stop_extra),
	    cmocka_unit_test_teardown(test_garbage_sockets, stop_extra),
	};
	return cmocka_run_group_tests(tests, setup_server, teardown_server);
}
