/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/app/config.c - settings of src/app/config.c: defaults, the
 * environment, flags over the environment, and every way a value is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "app/config.h"
#include "core/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const env_names[] = {
    "PORT",
    "BIND",
    "PUBLIC_URL",
    "VOICEAI_DB",
    "VOICEAI_ADMIN_TOKEN",
    "LOG_LEVEL",
    "VOICEAI_AGENT",
    "VOICEAI_MAX_CALLS",
    "VOICEAI_RECONNECT_GRACE_MS",
    "VOICEAI_DRAIN_GRACE_MS",
    "VOICEAI_MAX_BODY",
    "VOICEAI_MAX_FRAME",
    "VOICEAI_MAX_QUEUE",
};

static int clear_env(void **state)
{
	for (size_t i = 0; i < sizeof(env_names) / sizeof(env_names[0]); i++)
		unsetenv(env_names[i]);
	return 0;
}

struct result {
	struct va_config c;
	int rc;
	int help;
	char why[256];
};

/* Loads with argv = {"serve", args..., NULL-terminated list}. */
static struct result load_v(const char *first, va_list ap)
{
	struct result r;
	char *argv[32];
	int argc = 0;

	memset(&r, 0x5a, sizeof(r));
	r.why[0] = '\0';
	argv[argc++] = (char *)"serve";
	for (const char *a = first; a; a = va_arg(ap, const char *)) {
		assert_true(argc < 31);
		argv[argc++] = (char *)a;
	}
	argv[argc] = NULL;
	r.rc = va_config_load(&r.c, argc, argv, &r.help, r.why, sizeof(r.why));
	return r;
}

static struct result load(const char *first, ...)
{
	struct result r;
	va_list ap;

	va_start(ap, first);
	r = load_v(first, ap);
	va_end(ap);
	return r;
}

/* Expects VA_E_INVAL with why mentioning each of the given words. */
static void expect_inval(const char *word, const char *first, ...)
{
	struct result r;
	va_list ap;

	va_start(ap, first);
	r = load_v(first, ap);
	va_end(ap);
	assert_int_equal(r.rc, VA_E_INVAL);
	if (!strstr(r.why, word))
		fail_msg("why \"%s\" does not mention \"%s\"", r.why, word);
}

static void test_defaults(void **state)
{
	struct result r = load(NULL);

	assert_int_equal(r.rc, VA_OK);
	assert_int_equal(r.help, 0);
	assert_int_equal(r.c.port, 8000);
	assert_string_equal(r.c.bind, "0.0.0.0");
	assert_string_equal(r.c.public_url, "");
	assert_string_equal(r.c.db_path, "var/voiceai.db");
	assert_string_equal(r.c.admin_token, "");
	assert_string_equal(r.c.log_level, "info");
	assert_string_equal(r.c.agent, "");
	assert_int_equal(r.c.max_calls, 2000);
	assert_int_equal(r.c.reconnect_grace_ms, 30000);
	assert_int_equal(r.c.drain_grace_ms, 30000);
	assert_int_equal(r.c.max_body, 65536);
	assert_int_equal(r.c.max_frame, 65536);
	assert_int_equal(r.c.max_queue, 1024);
	assert_int_equal(r.c.demo, 1);
}

static void test_environment(void **state)
{
	struct result r;

	setenv("PORT", "9001", 1);
	setenv("BIND", "127.0.0.1", 1);
	setenv("PUBLIC_URL", "https://example.test", 1);
	setenv("VOICEAI_DB", "/tmp/x.db", 1);
	setenv("VOICEAI_ADMIN_TOKEN", "tok-123", 1);
	setenv("LOG_LEVEL", "debug", 1);
	setenv("VOICEAI_AGENT", "echo", 1);
	setenv("VOICEAI_MAX_CALLS", "7", 1);
	setenv("VOICEAI_RECONNECT_GRACE_MS", "0", 1);
	setenv("VOICEAI_DRAIN_GRACE_MS", "3600000", 1);
	setenv("VOICEAI_MAX_BODY", "1024", 1);
	setenv("VOICEAI_MAX_FRAME", "2048", 1);
	setenv("VOICEAI_MAX_QUEUE", "4", 1);
	r = load(NULL);
	assert_int_equal(r.rc, VA_OK);
	assert_int_equal(r.c.port, 9001);
	assert_string_equal(r.c.bind, "127.0.0.1");
	assert_string_equal(r.c.public_url, "https://example.test");
	assert_string_equal(r.c.db_path, "/tmp/x.db");
	assert_string_equal(r.c.admin_token, "tok-123");
	assert_string_equal(r.c.log_level, "debug");
	assert_string_equal(r.c.agent, "echo");
	assert_int_equal(r.c.max_calls, 7);
	assert_int_equal(r.c.reconnect_grace_ms, 0);
	assert_int_equal(r.c.drain_grace_ms, 3600000);
	assert_int_equal(r.c.max_body, 1024);
	assert_int_equal(r.c.max_frame, 2048);
	assert_int_equal(r.c.max_queue, 4);
	assert_int_equal(r.c.demo, 1);

	/* Flags win over the environment, in both forms. */
	r = load("--port", "9002", "--bind=::1", "--max-calls=9", "--db", "other.db", NULL);
	assert_int_equal(r.rc, VA_OK);
	assert_int_equal(r.c.port, 9002);
	assert_string_equal(r.c.bind, "::1");
	assert_int_equal(r.c.max_calls, 9);
	assert_string_equal(r.c.db_path, "other.db");
	/* ... and leave the rest as the environment set it. */
	assert_string_equal(r.c.admin_token, "tok-123");
	assert_int_equal(r.c.max_queue, 4);
}

static void test_empty_env_ignored(void **state)
{
	struct result r;

	setenv("PORT", "", 1);
	setenv("BIND", "", 1);
	r = load(NULL);
	assert_int_equal(r.rc, VA_OK);
	assert_int_equal(r.c.port, 8000);
	assert_string_equal(r.c.bind, "0.0.0.0");
}

static void test_bad_env(void **state)
{
	setenv("PORT", "eighty", 1);
	expect_inval("--port", NULL);
	setenv("PORT", "70000", 1);
	expect_inval("--port", NULL);
	unsetenv("PORT");
	setenv("VOICEAI_MAX_CALLS", "0", 1);
	expect_inval("--max-calls", NULL);
	unsetenv("VOICEAI_MAX_CALLS");
	/* A bad environment value is not rescued by a flag: it is reported. */
	setenv("VOICEAI_MAX_QUEUE", "1", 1);
	expect_inval("--max-queue", "--max-queue", "8", NULL);
}

static void test_flag_forms(void **state)
{
	struct result r;

	r = load("--port=1234", "--agent", "scripted", "--log-level=warn", "--public-url",
		 "https://a.example/x", "--admin-token=t0k", "--reconnect-grace-ms", "5",
		 "--drain-grace-ms=6", "--max-body", "2048", "--max-frame=4096", "--max-queue",
		 "16", NULL);
	assert_int_equal(r.rc, VA_OK);
	assert_int_equal(r.help, 0);
	assert_int_equal(r.c.port, 1234);
	assert_string_equal(r.c.agent, "scripted");
	assert_string_equal(r.c.log_level, "warn");
	assert_string_equal(r.c.public_url, "https://a.example/x");
	assert_string_equal(r.c.admin_token, "t0k");
	assert_int_equal(r.c.reconnect_grace_ms, 5);
	assert_int_equal(r.c.drain_grace_ms, 6);
	assert_int_equal(r.c.max_body, 2048);
	assert_int_equal(r.c.max_frame, 4096);
	assert_int_equal(r.c.max_queue, 16);

	/* The last occurrence wins; '=' inside a value is kept. */
	r = load("--port", "1", "--port=2", "--public-url=https://h/?a=b", NULL);
	assert_int_equal(r.rc, VA_OK);
	assert_int_equal(r.c.port, 2);
	assert_string_equal(r.c.public_url, "https://h/?a=b");

	/* An empty string value is allowed for strings. */
	r = load("--bind=", NULL);
	assert_int_equal(r.rc, VA_OK);
	assert_string_equal(r.c.bind, "");
}

static void test_int_ranges(void **state)
{
	struct result r;

	r = load("--port", "0", NULL);
	assert_int_equal(r.rc, VA_OK);
	assert_int_equal(r.c.port, 0);
	r = load("--port", "65535", "--max-calls", "100000", NULL);
	assert_int_equal(r.rc, VA_OK);
	assert_int_equal(r.c.port, 65535);
	assert_int_equal(r.c.max_calls, 100000);
	r = load("--max-body", "16777216", NULL);
	assert_int_equal(r.rc, VA_OK);
	assert_int_equal(r.c.max_body, 16 << 20);

	expect_inval("--port", "--port", "65536", NULL);
	expect_inval("--port", "--port=-1", NULL);
	expect_inval("--max-calls", "--max-calls", "0", NULL);
	expect_inval("--max-calls", "--max-calls", "100001", NULL);
	expect_inval("--max-body", "--max-body", "1023", NULL);
	expect_inval("--max-body", "--max-body", "16777217", NULL);
	expect_inval("--max-frame", "--max-frame=100", NULL);
	expect_inval("--max-queue", "--max-queue", "3", NULL);
	expect_inval("--reconnect-grace-ms", "--reconnect-grace-ms", "3600001", NULL);
	expect_inval("--drain-grace-ms", "--drain-grace-ms=-5", NULL);
	/* Beyond long: out of range, not wrapped. */
	expect_inval("--port", "--port", "99999999999999999999999", NULL);
	expect_inval("--port", "--port", "-99999999999999999999999", NULL);
	/* 2^32 + 80 must not wrap into a valid port through int. */
	expect_inval("--port", "--port", "4294967376", NULL);
}

static void test_non_numeric(void **state)
{
	expect_inval("--port", "--port", "abc", NULL);
	expect_inval("--port", "--port", "80abc", NULL);
	expect_inval("--port", "--port", "", NULL);
	expect_inval("--port", "--port=", NULL);
	expect_inval("--port", "--port", "8.0", NULL);
	expect_inval("--port", "--port", "1e3", NULL);
	expect_inval("--port", "--port", "0x50", NULL);
	expect_inval("--max-calls", "--max-calls", "ten", NULL);
	/* The reason gives the accepted range. */
	expect_inval("1..100000", "--max-calls", "ten", NULL);
}

static void test_string_too_long(void **state)
{
	char long_bind[100];

	memset(long_bind, 'h', sizeof(long_bind) - 1);
	long_bind[sizeof(long_bind) - 1] = '\0';
	expect_inval("--bind", "--bind", long_bind, NULL);
	expect_inval("--log-level", "--log-level", "0123456789abcdef", NULL);
	/* 15 characters fit in log_level[16]. */
	struct result r = load("--log-level", "0123456789abcde", NULL);
	assert_int_equal(r.rc, VA_OK);
	assert_string_equal(r.c.log_level, "0123456789abcde");
}

static void test_unknown_option(void **state)
{
	expect_inval("--nope", "--nope", NULL);
	expect_inval("--portx=1", "--portx=1", NULL);
	expect_inval("--ports", "--ports", "1", NULL);
	expect_inval("--max-calls-x", "--max-calls-x", "1", NULL);
	expect_inval("-p", "-p", "80", NULL);
	expect_inval("extra", "--port", "80", "extra", NULL);
	expect_inval("--PORT", "--PORT", "80", NULL);
}

static void test_missing_value(void **state)
{
	expect_inval("--port", "--port", NULL);
	expect_inval("needs a value", "--port", NULL);
	expect_inval("--db", "--no-demo", "--db", NULL);
	expect_inval("--admin-token", "--admin-token", NULL);
}

static void test_help(void **state)
{
	struct result r;

	r = load("--help", NULL);
	assert_int_equal(r.rc, VA_OK);
	assert_int_equal(r.help, 1);
	r = load("-h", NULL);
	assert_int_equal(r.rc, VA_OK);
	assert_int_equal(r.help, 1);
	r = load("--port", "1", "--help", NULL);
	assert_int_equal(r.rc, VA_OK);
	assert_int_equal(r.help, 1);
	/* A bad option before --help is still reported. */
	r = load("--port", "x", "--help", NULL);
	assert_int_equal(r.rc, VA_E_INVAL);
	/* help is cleared when not asked for. */
	r = load("--port", "1", NULL);
	assert_int_equal(r.help, 0);
}

static void test_no_demo(void **state)
{
	struct result r = load("--no-demo", NULL);

	assert_int_equal(r.rc, VA_OK);
	assert_int_equal(r.c.demo, 0);
	r = load("--no-demo", "--port", "5", NULL);
	assert_int_equal(r.rc, VA_OK);
	assert_int_equal(r.c.demo, 0);
	assert_int_equal(r.c.port, 5);
	/* It takes no value: the next argument is parsed as an option. */
	expect_inval("5", "--no-demo", "5", NULL);
}

static void test_small_why(void **state)
{
	struct va_config c;
	char why[8];
	int help;
	char *argv[] = {(char *)"serve", (char *)"--port", (char *)"nonsense", NULL};

	memset(why, 0x5a, sizeof(why));
	assert_int_equal(va_config_load(&c, 3, argv, &help, why, sizeof(why)), VA_E_INVAL);
	assert_non_null(memchr(why, '\0', sizeof(why)));
	assert_int_equal(strncmp(why, "--port", 6), 0);
}

static void test_usage(void **state)
{
	FILE *f = tmpfile();
	char text[8192];
	size_t n;

	assert_non_null(f);
	va_config_usage(f);
	rewind(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	const char *expect[] = {"--port",
				"PORT",
				"--bind",
				"--public-url",
				"PUBLIC_URL",
				"--db",
				"VOICEAI_DB",
				"--admin-token",
				"--log-level",
				"--agent",
				"--max-calls",
				"VOICEAI_MAX_CALLS",
				"--reconnect-grace-ms",
				"--drain-grace-ms",
				"--max-body",
				"--max-frame",
				"--max-queue",
				"--no-demo"};
	for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++)
		if (!strstr(text, expect[i]))
			fail_msg("usage lacks %s", expect[i]);
}

#define T(f) cmocka_unit_test_setup_teardown(f, clear_env, clear_env)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_defaults),
	    T(test_environment),
	    T(test_empty_env_ignored),
	    T(test_bad_env),
	    T(test_flag_forms),
	    T(test_int_ranges),
	    T(test_non_numeric),
	    T(test_string_too_long),
	    T(test_unknown_option),
	    T(test_missing_value),
	    T(test_help),
	    T(test_no_demo),
	    T(test_small_why),
	    T(test_usage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
