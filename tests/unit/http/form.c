/* SPDX-License-Identifier: MIT */
/*
 * form.c - tests for the x-www-form-urlencoded parser that reads Twilio's
 * webhook bodies before their signature is checked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "http/form.h"
#include "twilio/signature.h"

static int parse_str(struct va_form *f, const char *s)
{
	return va_form_parse(f, s, strlen(s));
}

static void test_plus_and_percent(void **state)
{
	struct va_form f;

	assert_int_equal(parse_str(&f, "SpeechResult=I+need+a+cleaning&From=%2B15551234567"),
			 VA_OK);
	assert_int_equal(f.n, 2);
	assert_string_equal(va_form_get(&f, "SpeechResult"), "I need a cleaning");
	assert_string_equal(va_form_get(&f, "From"), "+15551234567");
	va_form_release(&f);

	/* Escapes in names too, hex in either case, multi-byte UTF-8. */
	assert_int_equal(parse_str(&f, "a%5fb=%4a%4A&caf%C3%A9=%e2%82%ac"), VA_OK);
	assert_int_equal(f.n, 2);
	assert_string_equal(f.pairs[0].name, "a_b");
	assert_string_equal(f.pairs[0].value, "JJ");
	assert_string_equal(f.pairs[1].name, "caf\xc3\xa9");
	assert_string_equal(f.pairs[1].value, "\xe2\x82\xac");
	va_form_release(&f);
}

static void test_malformed_escapes(void **state)
{
	static const char *const bad[] = {
	    "a=%G1", "a=%1G", "a=%", "a=%4", "a=1&b=%", "%zz=1", "a%=1", "a=%%41",
	};
	struct va_form f;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse_str(&f, bad[i]), VA_E_PARSE);
		assert_int_equal(f.n, 0);
		va_form_release(&f);
	}
}

static void test_empty_body(void **state)
{
	struct va_form f;

	assert_int_equal(va_form_parse(&f, "", 0), VA_OK);
	assert_int_equal(f.n, 0);
	assert_null(va_form_get(&f, "CallSid"));
	va_form_release(&f);

	assert_int_equal(va_form_parse(&f, NULL, 0), VA_OK);
	assert_int_equal(f.n, 0);
	va_form_release(&f);

	assert_int_equal(va_form_parse(&f, NULL, 3), VA_E_INVAL);
	va_form_release(&f);
	assert_int_equal(va_form_parse(NULL, "a=1", 3), VA_E_INVAL);
}

static void test_name_without_equals(void **state)
{
	struct va_form f;

	assert_int_equal(parse_str(&f, "flag&a=1&other"), VA_OK);
	assert_int_equal(f.n, 3);
	assert_string_equal(f.pairs[0].name, "flag");
	assert_string_equal(f.pairs[0].value, "");
	assert_string_equal(f.pairs[1].name, "a");
	assert_string_equal(f.pairs[1].value, "1");
	assert_string_equal(va_form_get(&f, "other"), "");
	va_form_release(&f);
}

static void test_empty_values_and_segments(void **state)
{
	struct va_form f;

	assert_int_equal(parse_str(&f, "&&Digits=&b=&=x&c=a=b&"), VA_OK);
	assert_int_equal(f.n, 4);
	assert_string_equal(va_form_get(&f, "Digits"), "");
	assert_string_equal(va_form_get(&f, "b"), "");
	assert_string_equal(f.pairs[2].name, "");
	assert_string_equal(f.pairs[2].value, "x");
	/* Only the first '=' separates. */
	assert_string_equal(va_form_get(&f, "c"), "a=b");
	assert_null(va_form_get(&f, "missing"));
	va_form_release(&f);
}

static void test_order_and_duplicates(void **state)
{
	struct va_form f;

	assert_int_equal(parse_str(&f, "z=1&Digits=5678&a=2&Digits=1234"), VA_OK);
	assert_int_equal(f.n, 4);
	assert_string_equal(f.pairs[0].name, "z");
	assert_string_equal(f.pairs[1].value, "5678");
	assert_string_equal(f.pairs[2].name, "a");
	assert_string_equal(f.pairs[3].value, "1234");
	assert_string_equal(va_form_get(&f, "Digits"), "5678");
	va_form_release(&f);
}

static void test_too_many_pairs(void **state)
{
	char body[VA_FORM_MAX_PAIRS * 16 + 32];
	struct va_form f;
	size_t o = 0;
	int i;

	for (i = 0; i < VA_FORM_MAX_PAIRS; i++)
		o += (size_t)snprintf(body + o, sizeof(body) - o, "%sk%d=%d", i ? "&" : "", i, i);
	assert_int_equal(va_form_parse(&f, body, o), VA_OK);
	assert_int_equal(f.n, VA_FORM_MAX_PAIRS);
	assert_string_equal(va_form_get(&f, "k127"), "127");
	va_form_release(&f);

	/* Empty segments do not count toward the limit. */
	o += (size_t)snprintf(body + o, sizeof(body) - o, "&&&");
	assert_int_equal(va_form_parse(&f, body, o), VA_OK);
	va_form_release(&f);

	o += (size_t)snprintf(body + o, sizeof(body) - o, "x=1");
	assert_int_equal(va_form_parse(&f, body, o), VA_E_TOOBIG);
	assert_int_equal(f.n, 0);
	va_form_release(&f);
}

static void test_nul_bytes(void **state)
{
	static const char raw[] = "a=1\0b=2";
	struct va_form f;

	/* %00 would end the C string early and hide what follows: rejected. */
	assert_int_equal(parse_str(&f, "a=x%00y"), VA_E_PARSE);
	va_form_release(&f);
	assert_int_equal(parse_str(&f, "a%00b=1"), VA_E_PARSE);
	va_form_release(&f);

	assert_int_equal(va_form_parse(&f, raw, sizeof(raw) - 1), VA_E_PARSE);
	assert_int_equal(f.n, 0);
	va_form_release(&f);
}

static void test_not_nul_terminated(void **state)
{
	const char body[7] = {'a', '=', '1', '&', 'b', '=', '2'};
	struct va_form f;

	assert_int_equal(va_form_parse(&f, body, sizeof(body)), VA_OK);
	assert_int_equal(f.n, 2);
	assert_string_equal(va_form_get(&f, "b"), "2");
	va_form_release(&f);

	/* The length, not a terminator, bounds the body. */
	assert_int_equal(va_form_parse(&f, body, 3), VA_OK);
	assert_int_equal(f.n, 1);
	assert_null(va_form_get(&f, "b"));
	va_form_release(&f);

	/* An escape cut by the length is malformed, not read past. */
	assert_int_equal(va_form_parse(&f, "a=%41", 4), VA_E_PARSE);
	va_form_release(&f);
}

static void test_url_decode(void **state)
{
	char dst[32];

	assert_int_equal(va_url_decode(dst, "a+b%2Bc", 7, 1), 5);
	assert_string_equal(dst, "a b+c");
	assert_int_equal(va_url_decode(dst, "a+b%2Bc", 7, 0), 5);
	assert_string_equal(dst, "a+b+c");
	assert_int_equal(va_url_decode(dst, "", 0, 1), 0);
	assert_string_equal(dst, "");
	assert_int_equal(va_url_decode(dst, "%7e%7E", 6, 1), 2);
	assert_string_equal(dst, "~~");
	assert_int_equal(va_url_decode(dst, "%4", 2, 1), VA_E_PARSE);
	assert_int_equal(va_url_decode(dst, "%", 1, 1), VA_E_PARSE);
	assert_int_equal(va_url_decode(dst, "x%G1", 4, 1), VA_E_PARSE);
	assert_int_equal(va_url_decode(dst, "%00", 3, 1), VA_E_PARSE);
}

static void test_release_null_and_twice(void **state)
{
	struct va_form f;

	va_form_release(NULL);
	assert_int_equal(parse_str(&f, "a=1"), VA_OK);
	va_form_release(&f);
	va_form_release(&f);
	assert_int_equal(f.n, 0);
	assert_null(va_form_get(NULL, "a"));
}

/* protocols.md §3.6 example body, as Twilio posts it. */
static void test_twilio_voice_webhook(void **state)
{
	static const char body[] =
	    "AccountSid=AC00000000000000000000000000000000&ApiVersion=2010-04-01"
	    "&CallSid=CA00000000000000000000000000000000&CallStatus=ringing"
	    "&Called=%2B18005550101&Caller=%2B18005550100&Direction=inbound"
	    "&From=%2B18005550100&FromCity=SEATTLE&FromCountry=US&FromState=WA"
	    "&To=%2B18005550101&ToCountry=US";
	struct va_form f;

	assert_int_equal(va_form_parse(&f, body, sizeof(body) - 1), VA_OK);
	assert_int_equal(f.n, 13);
	assert_string_equal(va_form_get(&f, "CallSid"), "CA00000000000000000000000000000000");
	assert_string_equal(va_form_get(&f, "AccountSid"), "AC00000000000000000000000000000000");
	assert_string_equal(va_form_get(&f, "From"), "+18005550100");
	assert_string_equal(va_form_get(&f, "To"), "+18005550101");
	assert_string_equal(va_form_get(&f, "CallStatus"), "ringing");
	assert_string_equal(va_form_get(&f, "FromCity"), "SEATTLE");
	assert_string_equal(f.pairs[12].name, "ToCountry");

	/* Signature computed independently (Python hmac over the decoded
	 * pairs); proves the decoded form is what Twilio signs. */
	assert_true(va_twilio_validate("12345", "https://example.com/api/v1/voice/demo123", f.pairs,
				       f.n, "lVDU0sca74qmrmKqTcQtNJbBzyY="));
	/* Every pair is signed: dropping the last one must fail. */
	assert_false(va_twilio_validate("12345", "https://example.com/api/v1/voice/demo123",
					f.pairs, f.n - 1, "lVDU0sca74qmrmKqTcQtNJbBzyY="));
	va_form_release(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plus_and_percent),
	    cmocka_unit_test(test_malformed_escapes),
	    cmocka_unit_test(test_empty_body),
	    cmocka_unit_test(test_name_without_equals),
	    cmocka_unit_test(test_empty_values_and_segments),
	    cmocka_unit_test(test_order_and_duplicates),
	    cmocka_unit_test(test_too_many_pairs),
	    cmocka_unit_test(test_nul_bytes),
	    cmocka_unit_test(test_not_nul_terminated),
	    cmocka_unit_test(test_url_decode),
	    cmocka_unit_test(test_release_null_and_twice),
	    cmocka_unit_test(test_twilio_voice_webhook),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
