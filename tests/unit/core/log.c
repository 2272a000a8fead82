/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/core/log.c - logfmt quoting, level names and the one-line rule of
 * src/core/log.c. stderr is redirected into a temporary file so the exact
 * bytes written can be checked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/err.h"
#include "core/log.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- capture of stderr ------------------------------------------------- */

struct capture {
	FILE *tmp;
	int saved;
};

static void capture_begin(struct capture *cap)
{
	fflush(stderr);
	cap->tmp = tmpfile();
	assert_non_null(cap->tmp);
	cap->saved = dup(STDERR_FILENO);
	assert_true(cap->saved >= 0);
	assert_true(dup2(fileno(cap->tmp), STDERR_FILENO) >= 0);
}

/* Restores stderr and returns what was written (heap, NUL-terminated). */
static char *capture_end(struct capture *cap, size_t *len)
{
	char *out;
	long n;

	fflush(stderr);
	assert_true(dup2(cap->saved, STDERR_FILENO) >= 0);
	close(cap->saved);
	assert_int_equal(fseek(cap->tmp, 0, SEEK_END), 0);
	n = ftell(cap->tmp);
	assert_true(n >= 0);
	rewind(cap->tmp);
	out = malloc((size_t)n + 1);
	assert_non_null(out);
	assert_int_equal(fread(out, 1, (size_t)n, cap->tmp), (size_t)n);
	out[n] = '\0';
	fclose(cap->tmp);
	if (len)
		*len = (size_t)n;
	return out;
}

static size_t count_char(const char *s, size_t n, char c)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += s[i] == c;
	return k;
}

static int setup_level(void **state)
{
	va_log_set_level(VA_LOG_DEBUG);
	return 0;
}

static int restore_level(void **state)
{
	va_log_set_level(VA_LOG_INFO);
	return 0;
}

/* ---- va_log_quote ------------------------------------------------------ */

static void test_quote_plain(void **state)
{
	char q[64];

	assert_ptr_equal(va_log_quote(q, sizeof(q), "hello world"), q);
	assert_string_equal(q, "\"hello world\"");
	assert_string_equal(va_log_quote(q, sizeof(q), ""), "\"\"");
	assert_string_equal(va_log_quote(q, sizeof(q), NULL), "\"\"");
	/* UTF-8 passes through untouched. */
	assert_string_equal(va_log_quote(q, sizeof(q), "Zoë café"), "\"Zoë café\"");
}

static void test_quote_escapes(void **state)
{
	char q[128];

	assert_string_equal(va_log_quote(q, sizeof(q), "say \"hi\""), "\"say \\\"hi\\\"\"");
	assert_string_equal(va_log_quote(q, sizeof(q), "a\\b"), "\"a\\\\b\"");
	assert_string_equal(va_log_quote(q, sizeof(q), "line1\nline2"), "\"line1\\nline2\"");
	/* Other control characters (and DEL) become spaces. */
	assert_string_equal(va_log_quote(q, sizeof(q),
					 "a\rb\tc\x01"
					 "d\x1b"
					 "e\x7f"
					 "f"),
			    "\"a b c d e f\"");
	/* A forged logfmt line cannot come through. */
	va_log_quote(q, sizeof(q), "x\" level=error event=forged\n ts=");
	assert_null(strchr(q, '\n'));
	assert_string_equal(q, "\"x\\\" level=error event=forged\\n ts=\"");
}

/* Checks the shape every quoted value must have, whatever its size. */
static void check_well_formed(const char *q, size_t dstsz)
{
	size_t n = strlen(q);

	assert_true(n < dstsz);
	if (n == 0)
		return;
	assert_true(n >= 2);
	assert_int_equal(q[0], '"');
	assert_int_equal(q[n - 1], '"');
	for (size_t i = 1; i + 1 < n; i++) {
		unsigned char c = (unsigned char)q[i];
		assert_true(c >= 0x20 && c != 0x7f);
		if (c == '\\') {
			/* Every backslash starts an escape pair. */
			assert_true(i + 2 < n);
			assert_true(q[i + 1] == '\\' || q[i + 1] == '"' || q[i + 1] == 'n');
			i++;
		} else {
			assert_true(c != '"');
		}
	}
}

static void test_quote_truncates(void **state)
{
	char long_in[1000];
	char q[32];
	size_t n;

	memset(long_in, 'a', sizeof(long_in) - 1);
	long_in[sizeof(long_in) - 1] = '\0';
	va_log_quote(q, sizeof(q), long_in);
	n = strlen(q);
	check_well_formed(q, sizeof(q));
	assert_true(n > 8);
	assert_string_equal(q + n - 4, "...\"");
	for (size_t i = 1; i < n - 4; i++)
		assert_int_equal(q[i], 'a');

	/* Truncation never splits an escape sequence. */
	for (size_t sz = 8; sz < 40; sz++) {
		char qq[40];
		memset(qq, 0x5a, sizeof(qq));
		va_log_quote(qq, sz, "\"\\\n\"\\\n\"\\\n\"\\\n\"\\\n\"\\\n\"\\\n\"\\\n");
		check_well_formed(qq, sz);
		for (size_t i = sz; i < sizeof(qq); i++)
			assert_int_equal((unsigned char)qq[i], 0x5a);
	}
}

static void test_quote_small_buffers(void **state)
{
	const char *inputs[] = {"", "a", "ab", "abc", "hello \"world\"\n", "\\\\\\\\"};

	for (size_t k = 0; k < sizeof(inputs) / sizeof(inputs[0]); k++) {
		for (size_t sz = 0; sz <= 10; sz++) {
			char q[16];

			memset(q, 0x5a, sizeof(q));
			assert_ptr_equal(va_log_quote(q, sz, inputs[k]), q);
			/* Never a byte past dstsz. */
			for (size_t i = sz; i < sizeof(q); i++)
				assert_int_equal((unsigned char)q[i], 0x5a);
			if (sz == 0)
				continue;
			assert_non_null(memchr(q, '\0', sz));
			check_well_formed(q, sz);
		}
	}
}

/* A value whose quoted form fits in dst should be copied whole, not cut. */
static void test_quote_exact_fit_not_truncated(void **state)
{
	char q[8];
	char q16[16];

	/* "\"abc\"" is 5 bytes + NUL: fits in 8. */
	assert_string_equal(va_log_quote(q, sizeof(q), "abc"), "\"abc\"");
	/* "\"abcdefghijklm\"" is 15 bytes + NUL: fits in 16 exactly. */
	assert_string_equal(va_log_quote(q16, sizeof(q16), "abcdefghijklm"), "\"abcdefghijklm\"");
}

/* ---- levels ------------------------------------------------------------ */

static void test_parse_level(void **state)
{
	enum va_log_level l;

	assert_int_equal(va_log_parse_level("debug", &l), VA_OK);
	assert_int_equal(l, VA_LOG_DEBUG);
	assert_int_equal(va_log_parse_level("info", &l), VA_OK);
	assert_int_equal(l, VA_LOG_INFO);
	assert_int_equal(va_log_parse_level("warn", &l), VA_OK);
	assert_int_equal(l, VA_LOG_WARN);
	assert_int_equal(va_log_parse_level("error", &l), VA_OK);
	assert_int_equal(l, VA_LOG_ERROR);
	assert_int_equal(va_log_parse_level("off", &l), VA_OK);
	assert_int_equal(l, VA_LOG_OFF);
	l = VA_LOG_DEBUG;
	assert_int_equal(va_log_parse_level("warning", &l), VA_OK);
	assert_int_equal(l, VA_LOG_WARN);
	assert_int_equal(va_log_parse_level("ERROR", &l), VA_OK);
	assert_int_equal(l, VA_LOG_ERROR);
	assert_int_equal(va_log_parse_level("Debug", &l), VA_OK);
	assert_int_equal(l, VA_LOG_DEBUG);

	l = VA_LOG_ERROR;
	assert_int_equal(va_log_parse_level("", &l), VA_E_INVAL);
	assert_int_equal(va_log_parse_level("inf", &l), VA_E_INVAL);
	assert_int_equal(va_log_parse_level("information", &l), VA_E_INVAL);
	assert_int_equal(va_log_parse_level("info ", &l), VA_E_INVAL);
	assert_int_equal(va_log_parse_level("3", &l), VA_E_INVAL);
	assert_int_equal(l, VA_LOG_ERROR);
}

static void test_set_get_level(void **state)
{
	va_log_set_level(VA_LOG_ERROR);
	assert_int_equal(va_log_get_level(), VA_LOG_ERROR);
	va_log_set_level(VA_LOG_DEBUG);
	assert_int_equal(va_log_get_level(), VA_LOG_DEBUG);
}

/* ---- va_log_write ------------------------------------------------------ */

static void test_write_fields(void **state)
{
	struct capture cap;
	size_t n;
	char *out;

	capture_begin(&cap);
	va_log_write(VA_LOG_WARN, "relay", "CA0123", "prompt", "len=%d who=%s", 42, "x");
	out = capture_end(&cap, &n);

	assert_int_equal(count_char(out, n, '\n'), 1);
	assert_int_equal(out[n - 1], '\n');
	/* ts=YYYY-MM-DDTHH:MM:SS.mmmZ */
	assert_true(n > 28);
	assert_memory_equal(out, "ts=", 3);
	for (size_t i = 3; i < 27; i++) {
		const char *pat = "dddd-dd-ddTdd:dd:dd.dddZ";
		if (pat[i - 3] == 'd')
			assert_true(isdigit((unsigned char)out[i]));
		else
			assert_int_equal(out[i], pat[i - 3]);
	}
	assert_int_equal(out[27], ' ');
	assert_non_null(strstr(out, " level=warn "));
	assert_non_null(strstr(out, " sub=relay "));
	assert_non_null(strstr(out, " call=CA0123 "));
	assert_non_null(strstr(out, " event=prompt "));
	assert_non_null(strstr(out, " len=42 who=x\n"));
	/* Fields in the documented order. */
	assert_true(strstr(out, "level=") < strstr(out, "sub="));
	assert_true(strstr(out, "sub=") < strstr(out, "call="));
	assert_true(strstr(out, "call=") < strstr(out, "event="));
	free(out);
}

static void test_write_no_call_no_fmt(void **state)
{
	struct capture cap;
	size_t n;
	char *out;

	capture_begin(&cap);
	va_log_write(VA_LOG_INFO, NULL, NULL, NULL, "");
	va_log_write(VA_LOG_ERROR, "app", "", "started", "");
	out = capture_end(&cap, &n);
	assert_int_equal(count_char(out, n, '\n'), 2);
	assert_null(strstr(out, "call="));
	assert_non_null(strstr(out, " level=info sub=- event=-\n"));
	assert_non_null(strstr(out, " level=error sub=app event=started\n"));
	free(out);
}

static void test_write_one_line_with_newlines(void **state)
{
	struct capture cap;
	size_t n;
	char *out;

	capture_begin(&cap);
	va_log_write(VA_LOG_INFO, "relay", "CA1", "prompt", "text=%s",
		     "first\nts=2020-01-01 level=error forged\r\nthird\r");
	out = capture_end(&cap, &n);
	assert_int_equal(count_char(out, n, '\n'), 1);
	assert_int_equal(count_char(out, n, '\r'), 0);
	assert_int_equal(out[n - 1], '\n');
	assert_non_null(strstr(out, "text=first ts=2020-01-01 level=error forged  third \n"));
	free(out);

	/* Newlines in the fixed fields are neutralised as well. */
	capture_begin(&cap);
	va_log_write(VA_LOG_INFO, "s\nub", "CA\r1", "ev\nent", "k=v");
	out = capture_end(&cap, &n);
	assert_int_equal(count_char(out, n, '\n'), 1);
	assert_int_equal(count_char(out, n, '\r'), 0);
	free(out);
}

static void test_write_long_line(void **state)
{
	struct capture cap;
	char *big = malloc(10000);
	size_t n;
	char *out;

	assert_non_null(big);
	memset(big, 'x', 9999);
	big[9999] = '\0';
	capture_begin(&cap);
	va_log_write(VA_LOG_INFO, "t", "CA1", "big", "v=%s", big);
	va_log_write(VA_LOG_INFO, "t", "CA1", "after", "k=1");
	out = capture_end(&cap, &n);
	/* Still one line per call; the second is intact. */
	assert_int_equal(count_char(out, n, '\n'), 2);
	char *second = strchr(out, '\n') + 1;
	assert_true((size_t)(second - out) <= 2048);
	assert_memory_equal(second, "ts=", 3);
	assert_non_null(strstr(second, " event=after k=1\n"));
	free(out);
	free(big);
}

static void test_level_filter(void **state)
{
	struct capture cap;
	size_t n;
	char *out;

	va_log_set_level(VA_LOG_WARN);
	capture_begin(&cap);
	va_log_write(VA_LOG_DEBUG, "t", NULL, "dbg", "k=1");
	va_log_write(VA_LOG_INFO, "t", NULL, "inf", "k=1");
	VA_INFO("t", NULL, "inf_macro", "k=%d", 1);
	VA_DEBUG("t", NULL, "dbg_macro", "k=%d", 1);
	out = capture_end(&cap, &n);
	assert_int_equal(n, 0);
	free(out);

	capture_begin(&cap);
	VA_WARN("t", NULL, "warned", "k=%d", 2);
	va_log_write(VA_LOG_ERROR, "t", NULL, "errored", "k=3");
	out = capture_end(&cap, &n);
	assert_int_equal(count_char(out, n, '\n'), 2);
	assert_non_null(strstr(out, "level=warn sub=t event=warned k=2\n"));
	assert_non_null(strstr(out, "level=error sub=t event=errored k=3\n"));
	free(out);

	/* off silences everything, and OFF is never a level to write at. */
	va_log_set_level(VA_LOG_OFF);
	capture_begin(&cap);
	VA_ERROR("t", NULL, "e", "k=1");
	va_log_write(VA_LOG_ERROR, "t", NULL, "e", "k=1");
	out = capture_end(&cap, &n);
	assert_int_equal(n, 0);
	free(out);

	va_log_set_level(VA_LOG_DEBUG);
	capture_begin(&cap);
	va_log_write(VA_LOG_OFF, "t", NULL, "e", "k=1");
	VA_DEBUG("t", NULL, "dbg", "k=%d", 4);
	out = capture_end(&cap, &n);
	assert_int_equal(count_char(out, n, '\n'), 1);
	assert_non_null(strstr(out, "level=debug sub=t event=dbg k=4\n"));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_quote_plain),
	    cmocka_unit_test(test_quote_escapes),
	    cmocka_unit_test(test_quote_truncates),
	    cmocka_unit_test(test_quote_small_buffers),
	    cmocka_unit_test(test_quote_exact_fit_not_truncated),
	    cmocka_unit_test(test_parse_level),
	    cmocka_unit_test_teardown(test_set_get_level, restore_level),
	    cmocka_unit_test_setup_teardown(test_write_fields, setup_level, restore_level),
	    cmocka_unit_test_setup_teardown(test_write_no_call_no_fmt, setup_level, restore_level),
	    cmocka_unit_test_setup_teardown(test_write_one_line_with_newlines, setup_level,
					    restore_level),
	    cmocka_unit_test_setup_teardown(test_write_long_line, setup_level, restore_level),
	    cmocka_unit_test_teardown(test_level_filter, restore_level),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
