/* SPDX-License-Identifier: MIT */
/*
 * simulator.c - `voiceai call --script`, the caller simulator a user runs,
 * against the real server: the transcript it prints and the exit codes a
 * script relies on.
 */
#include "core/err.h"
#include "harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

static struct it_server srv;

static int setup_server(void **state)
{
	it_server_start(&srv, NULL);
	return 0;
}

static int teardown_server(void **state)
{
	assert_int_equal(it_server_stop(&srv), 0);
	return 0;
}

/* Runs `voiceai call TENANT --url … --script FILE` with the script text;
 * returns the exit status and the captured stdout. */
static int run_call(const char *tenant, const char *token, const char *script, struct va_buf *out)
{
	char path[300], cmd[1200], line[4096];
	FILE *f, *p;
	int st;

	snprintf(path, sizeof(path), "%s/script-%d.txt", srv.dir, rand());
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(script, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "%s call %s --url %s --token %s --script %s --timeout-ms 5000 2>&1",
		 VA_VOICEAI_BIN, tenant, srv.base, token, path);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p))
		if (va_buf_append_str(out, line) != VA_OK)
			break;
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_script_call_with_transcript(void **state)
{
	struct va_buf out = VA_BUF_INIT(1 << 20);
	int rc = run_call("demo123", IT_TOKEN,
			  "# a scripted caller\n"
			  "Hello, I need an appointment\n"
			  "/expect echo: hello, i need an appointment\n"
			  "/dtmf 7\n"
			  "/expect pressed 7\n"
			  "handoff\n"
			  "/expect front desk\n",
			  &out);

	if (rc != 0)
		print_message("%s\n", va_buf_cstr(&out));
	assert_int_equal(rc, 0);
	assert_non_null(strstr(va_buf_cstr(&out), "caller: Hello, I need an appointment"));
	assert_non_null(strstr(va_buf_cstr(&out), "agent: echo: Hello, I need an appointment"));
	assert_non_null(strstr(va_buf_cstr(&out), "Bright Smile Dental"));
	/* The hand-off comes back from the action callback as a <Dial>. */
	assert_non_null(strstr(va_buf_cstr(&out), "+15555550100"));
	va_buf_release(&out);
}

static void test_failed_expectation_exits_1(void **state)
{
	struct va_buf out = VA_BUF_INIT(1 << 20);
	int rc = run_call("demo123", IT_TOKEN, "Hello\n/expect something else entirely\n", &out);

	assert_int_equal(rc, 1);
	va_buf_release(&out);
}

static void test_wrong_token_or_tenant_exits_2(void **state)
{
	struct va_buf out = VA_BUF_INIT(1 << 20);

	assert_int_equal(run_call("demo123", "not-the-token", "Hello\n", &out), 2);
	va_buf_reset(&out);
	assert_int_equal(run_call("nosuchpractice", IT_TOKEN, "Hello\n", &out), 2);
	va_buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_script_call_with_transcript),
		cmocka_unit_test(test_failed_expectation_exits_1),
		cmocka_unit_test(test_wrong_token_or_tenant_exits_2),
	};
	return cmocka_run_group_tests(tests, setup_server, teardown_server);
}
