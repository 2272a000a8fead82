/* SPDX-License-Identifier: MIT */
/*
 * signature.c - tests for X-Twilio-Signature. Expected signatures are the
 * published vectors of protocols.md §1.7, §3.2 and §3.3, or were computed
 * independently with Python's hmac over the string Twilio's SDKs build.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "twilio/signature.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

#define TOKEN	  "12345"
#define URL1	  "https://mycompany.com/myapp.php?foo=1&bar=2"
#define URL1_443  "https://mycompany.com:443/myapp.php?foo=1&bar=2"
#define URL1_HTTP "http://mycompany.com/myapp.php?foo=1&bar=2"
#define URL1_80	  "http://mycompany.com:80/myapp.php?foo=1&bar=2"
#define URL_DEMO  "https://example.com/api/v1/voice/demo123"
#define WS_URL	  "wss://example.com/api/v1/voice/demo123/stream"
#define ZEROS	  "00000000000000000000000000000000"

static const struct va_kv sdk_params[] = {
    {"CallSid", "CA1234567890ABCDE"}, {"Caller", "+14158675309"}, {"Digits", "1234"},
    {"From", "+14158675309"},	      {"To", "+18005551212"},
};

static const struct va_kv doc_params[] = {
    {"CallSid", "CA1234567890ABCDE"}, {"Caller", "+14158675310"}, {"Digits", "1234"},
    {"From", "+14158675310"},	      {"To", "+18005551212"},
};

/* Given out of order on purpose: the signer must sort. */
static const struct va_kv demo_params[] = {
    {"To", "+18005550101"},	{"From", "+18005550100"},     {"Direction", "inbound"},
    {"Caller", "+18005550100"}, {"Called", "+18005550101"},   {"CallStatus", "ringing"},
    {"CallSid", "CA" ZEROS},	{"ApiVersion", "2010-04-01"}, {"AccountSid", "AC" ZEROS},
};

static const struct va_kv multi_params[] = {
    {"Sid", "CA123"},	{"SidAccount", "AC123"}, {"Digits", "5678"},
    {"Digits", "1234"}, {"Digits", "1234"},
};

struct vector {
	const char *url;
	const struct va_kv *params;
	size_t n;
	const char *sig;
};

static const struct vector vectors[] = {
    {URL1, sdk_params, N(sdk_params), "RSOYDt4T1cUTdK1PDd93/VVr8B8="},
    {"https://example.com/myapp.php?foo=1&bar=2", doc_params, N(doc_params),
     "L/OH5YylLD5NRKLltdqwSvS0BnU="},
    {URL1_443, sdk_params, N(sdk_params), "kvajT1Ptam85bY51eRf/AJRuM3w="},
    {URL1_80, sdk_params, N(sdk_params), "0ZXoZLH/DfblKGATFgpif+LLRf4="},
    {URL_DEMO, demo_params, N(demo_params), "0Um/aVx5KEDpJtLkQxaJQcdK+kU="},
    {URL1, multi_params, N(multi_params), "IK+Dwps556ElfBT0I3Rgjkr1wJU="},
};

static void test_sign_vectors(void **state)
{
	char out[29];
	size_t i;

	for (i = 0; i < N(vectors); i++) {
		const struct vector *v = &vectors[i];

		assert_int_equal(va_twilio_sign(TOKEN, v->url, v->params, v->n, out, sizeof(out)),
				 VA_OK);
		assert_string_equal(out, v->sig);
		assert_true(va_twilio_validate(TOKEN, v->url, v->params, v->n, v->sig));
	}
}

static void test_sign_order_independent(void **state)
{
	struct va_kv rev[N(sdk_params)];
	char out[29];
	size_t i;

	for (i = 0; i < N(sdk_params); i++)
		rev[i] = sdk_params[N(sdk_params) - 1 - i];
	assert_int_equal(va_twilio_sign(TOKEN, URL1, rev, N(rev), out, sizeof(out)), VA_OK);
	assert_string_equal(out, "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
}

static void test_multi_value_dedup(void **state)
{
	/* Same distinct values as multi_params, in another order, once each. */
	static const struct va_kv once[] = {
	    {"Digits", "1234"},
	    {"SidAccount", "AC123"},
	    {"Digits", "5678"},
	    {"Sid", "CA123"},
	};
	/* Dropping the duplicate "1234" must not matter; dropping 5678 must. */
	static const struct va_kv missing[] = {
	    {"Digits", "1234"},
	    {"SidAccount", "AC123"},
	    {"Sid", "CA123"},
	};
	char out[29];

	assert_int_equal(va_twilio_sign(TOKEN, URL1, once, N(once), out, sizeof(out)), VA_OK);
	assert_string_equal(out, "IK+Dwps556ElfBT0I3Rgjkr1wJU=");
	assert_false(
	    va_twilio_validate(TOKEN, URL1, missing, N(missing), "IK+Dwps556ElfBT0I3Rgjkr1wJU="));
}

static void test_values_with_space_and_empty(void **state)
{
	static const struct va_kv speech[] = {{"SpeechResult", "I need a cleaning"}};
	static const struct va_kv empty[] = {{"From", "+1"}, {"Digits", ""}};

	assert_true(va_twilio_validate(TOKEN, "https://example.com/voice", speech, 1,
				       "X1J7PIx5ZiQ3M36pK/O5RYCmYRk="));
	assert_true(va_twilio_validate(TOKEN, "https://example.com/voice", empty, 2,
				       "pWdncxi2YeDCk7vTZJKjR1ZtIPA="));
}

static void test_json_body_sha256_url(void **state)
{
	static const char url[] =
	    "https://mycompany.com/myapp.php?foo=1&bar=2&bodySHA256="
	    "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";
	char out[29];

	assert_int_equal(va_twilio_sign(TOKEN, url, NULL, 0, out, sizeof(out)), VA_OK);
	assert_string_equal(out, "a9nBmqA0ju/hNViExpshrM61xv4=");
	assert_true(va_twilio_validate(TOKEN, url, NULL, 0, "a9nBmqA0ju/hNViExpshrM61xv4="));
	assert_false(va_twilio_validate(TOKEN, URL1, NULL, 0, "a9nBmqA0ju/hNViExpshrM61xv4="));
}

static void test_port_variants(void **state)
{
	/* Signed with :443, request seen without a port, and vice versa. */
	assert_true(va_twilio_validate(TOKEN, URL1, sdk_params, N(sdk_params),
				       "kvajT1Ptam85bY51eRf/AJRuM3w="));
	assert_true(va_twilio_validate(TOKEN, URL1_443, sdk_params, N(sdk_params),
				       "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
	/* Same for http and :80. */
	assert_true(va_twilio_validate(TOKEN, URL1_HTTP, sdk_params, N(sdk_params),
				       "0ZXoZLH/DfblKGATFgpif+LLRf4="));
	assert_true(va_twilio_validate(TOKEN, URL1_80, sdk_params, N(sdk_params),
				       "OyGYPqTF6ztdbRNCvuQO/oPvqQ4="));
	/* The default port depends on the scheme: https never means :80. */
	assert_false(va_twilio_validate(TOKEN, URL1_HTTP, sdk_params, N(sdk_params),
					"kvajT1Ptam85bY51eRf/AJRuM3w="));
	assert_false(va_twilio_validate(TOKEN, URL1, sdk_params, N(sdk_params),
					"0ZXoZLH/DfblKGATFgpif+LLRf4="));
}

static void test_url_oddities(void **state)
{
	static const struct va_kv ab[] = {{"a", "b"}};

	/* Userinfo is never part of what Twilio signs. */
	assert_true(va_twilio_validate(TOKEN, "https://user:pass@example.com/voice", ab, 1,
				       "qBKbnWGEURv17koog9yYChgiGRU="));
	/* A non-default explicit port may be dropped by Twilio too. */
	assert_true(va_twilio_validate(TOKEN, "http://example.com:8080/voice", ab, 1,
				       "Vs2RtFGF4QoCxG0bKiwShjY5kyw="));
	/* IPv6 literal: its colons are not a port. */
	assert_true(va_twilio_validate(TOKEN, "https://[::1]:8443/voice", ab, 1,
				       "x1jS3zyougtNyCrkJSK+iDnp5yQ="));
	assert_true(va_twilio_validate(TOKEN, "https://[::1]:8443/voice", ab, 1,
				       "wRlI1StU6C4eh9KtONYIdsTdeok="));
	/* Not a URL at all: signed verbatim, no crash. */
	assert_true(
	    va_twilio_validate(TOKEN, "not a url", NULL, 0, "LfzgGORiRdOAXylLR6uF47zw5vA="));
	/* Fuzz regression: an empty URL is still signed (HMAC of ""). */
	assert_true(va_twilio_validate(TOKEN, "", NULL, 0, "KT7FsM8VSFUliCTsf6xdxj0XaRU="));
	assert_true(va_twilio_validate_ws(TOKEN, "", "KT7FsM8VSFUliCTsf6xdxj0XaRU="));
}

static void test_rejections(void **state)
{
	struct va_kv p[N(sdk_params) + 1];
	const char *good = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";

	/* Sanity: the untouched request passes. */
	assert_true(va_twilio_validate(TOKEN, URL1, sdk_params, N(sdk_params), good));

	assert_false(va_twilio_validate("54321", URL1, sdk_params, N(sdk_params), good));

	memcpy(p, sdk_params, sizeof(sdk_params));
	p[2].value = "1235";
	assert_false(va_twilio_validate(TOKEN, URL1, p, N(sdk_params), good));

	memcpy(p, sdk_params, sizeof(sdk_params));
	assert_false(va_twilio_validate(TOKEN, URL1, p, N(sdk_params) - 1, good));
	assert_false(va_twilio_validate(TOKEN, URL1, p + 1, N(sdk_params) - 1, good));

	p[N(sdk_params)].name = "Extra";
	p[N(sdk_params)].value = "1";
	assert_false(va_twilio_validate(TOKEN, URL1, p, N(sdk_params) + 1, good));

	/* The URL is signed too. */
	assert_false(va_twilio_validate(TOKEN, "https://mycompany.com/myapp.php?foo=1&bar=3",
					sdk_params, N(sdk_params), good));
}

static void test_bad_signatures(void **state)
{
	const char *good = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";
	char sig[40];

	assert_false(va_twilio_validate(TOKEN, URL1, sdk_params, N(sdk_params), ""));
	assert_false(va_twilio_validate(TOKEN, URL1, sdk_params, N(sdk_params), NULL));
	assert_false(va_twilio_validate(NULL, URL1, sdk_params, N(sdk_params), good));
	assert_false(va_twilio_validate("", URL1, sdk_params, N(sdk_params), good));
	assert_false(va_twilio_validate(TOKEN, NULL, sdk_params, N(sdk_params), good));
	assert_false(va_twilio_validate(TOKEN, URL1, NULL, 3, good));

	/* Truncated: a prefix must not validate. */
	memcpy(sig, good, 27);
	sig[27] = '\0';
	assert_false(va_twilio_validate(TOKEN, URL1, sdk_params, N(sdk_params), sig));
	assert_false(va_twilio_validate(TOKEN, URL1, sdk_params, N(sdk_params), "R"));

	/* Longer, then same length with the last character changed. */
	snprintf(sig, sizeof(sig), "%sA", good);
	assert_false(va_twilio_validate(TOKEN, URL1, sdk_params, N(sdk_params), sig));
	snprintf(sig, sizeof(sig), "%s", good);
	sig[26] = 'A';
	assert_false(va_twilio_validate(TOKEN, URL1, sdk_params, N(sdk_params), sig));

	assert_false(va_twilio_validate_ws(TOKEN, WS_URL, ""));
	assert_false(va_twilio_validate_ws(TOKEN, WS_URL, NULL));
	assert_false(va_twilio_validate_ws("", WS_URL, "H5izVM+zZm8RJJyaSsttR1gcpA4="));
	assert_false(va_twilio_validate_ws(NULL, WS_URL, "H5izVM+zZm8RJJyaSsttR1gcpA4="));
	assert_false(va_twilio_validate_ws(TOKEN, WS_URL, "H5izVM+zZm8RJJyaSsttR1gcpA4"));
}

static void test_sign_args(void **state)
{
	char out[29];

	assert_int_equal(va_twilio_sign(TOKEN, URL1, NULL, 0, out, 28), VA_E_TOOBIG);
	assert_int_equal(va_twilio_sign(TOKEN, NULL, NULL, 0, out, sizeof(out)), VA_E_INVAL);
	assert_int_equal(va_twilio_sign("", URL1, NULL, 0, out, sizeof(out)), VA_E_INVAL);
	assert_int_equal(va_twilio_sign(NULL, URL1, NULL, 0, out, sizeof(out)), VA_E_INVAL);
	assert_int_equal(va_twilio_sign(TOKEN, URL1, NULL, 2, out, sizeof(out)), VA_E_INVAL);
	assert_int_equal(va_twilio_sign(TOKEN, URL1, NULL, 0, NULL, 29), VA_E_INVAL);
}

static void test_ws_vectors(void **state)
{
	char out[29];

	assert_int_equal(va_twilio_sign(TOKEN, WS_URL, NULL, 0, out, sizeof(out)), VA_OK);
	assert_string_equal(out, "H5izVM+zZm8RJJyaSsttR1gcpA4=");
	assert_int_equal(va_twilio_sign(TOKEN, WS_URL "/", NULL, 0, out, sizeof(out)), VA_OK);
	assert_string_equal(out, "dKX3hzLKn/DDTa/BURnmwv0FboM=");

	assert_true(va_twilio_validate_ws(TOKEN, WS_URL, "H5izVM+zZm8RJJyaSsttR1gcpA4="));
	assert_true(va_twilio_validate_ws(TOKEN, WS_URL "/", "dKX3hzLKn/DDTa/BURnmwv0FboM="));
	/* Signed with the trailing slash, seen without it. */
	assert_true(va_twilio_validate_ws(TOKEN, WS_URL, "dKX3hzLKn/DDTa/BURnmwv0FboM="));
	/* Slashes are only added, never removed. */
	assert_false(va_twilio_validate_ws(TOKEN, WS_URL "/", "H5izVM+zZm8RJJyaSsttR1gcpA4="));
	assert_false(va_twilio_validate_ws("54321", WS_URL, "H5izVM+zZm8RJJyaSsttR1gcpA4="));
	/* The scheme is signed: https:// is not wss://. */
	assert_false(va_twilio_validate_ws(TOKEN, "https://example.com/api/v1/voice/demo123/stream",
					   "H5izVM+zZm8RJJyaSsttR1gcpA4="));
}

static void test_ws_ports(void **state)
{
	/* Signed with :443, seen without; signed without, seen with. */
	assert_true(va_twilio_validate_ws(TOKEN, WS_URL, "r/Ctym0gGTAkC2VJCi7fIeNPeFo="));
	assert_true(va_twilio_validate_ws(TOKEN,
					  "wss://example.com:443/api/v1/voice/demo123/stream",
					  "H5izVM+zZm8RJJyaSsttR1gcpA4="));
	/* Port added and slash added together. */
	assert_true(va_twilio_validate_ws(TOKEN, WS_URL, "jCDz+Vn+Z6RRTqOgd3shP4lJqnU="));
	assert_true(va_twilio_validate_ws(TOKEN, "wss://example.com:8443/stream",
					  "KG4JbhDlv15BMlxSTOWKt9btbgg="));
}

static void test_ws_query(void **state)
{
	static const char url[] = WS_URL "?tenant=demo123&x=a+b";

	/* Query kept in the URL, no params. */
	assert_true(va_twilio_validate_ws(TOKEN, url, "0e0ytdVqqS9ZC+UYHgCRYTbahK0="));
	/* Query folded in as decoded, sorted params of the query-less URL. */
	assert_true(va_twilio_validate_ws(TOKEN, url, "ShVnQ0WVGfFLxozYgF6jcgodFzA="));
	/* ... and the trailing slash goes before the query. */
	assert_true(va_twilio_validate_ws(TOKEN, url, "JvTG+VgeT20cmDj4SEZGKOeXjUs="));
	/* The query-less signature does not cover a URL carrying a query. */
	assert_false(va_twilio_validate_ws(TOKEN, url, "H5izVM+zZm8RJJyaSsttR1gcpA4="));
	assert_false(va_twilio_validate_ws(TOKEN, WS_URL "?tenant=demo124&x=a+b",
					   "ShVnQ0WVGfFLxozYgF6jcgodFzA="));
	/* A malformed query cannot be folded but the URL as is still counts. */
	assert_true(va_twilio_validate_ws(TOKEN, "wss://example.com/s?x=%G1",
					  "u4CgpcJKZrLTX9RvkBTWYLs9oY8="));
	assert_false(va_twilio_validate_ws(TOKEN, "wss://example.com/s?x=%G1",
					   "H5izVM+zZm8RJJyaSsttR1gcpA4="));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sign_vectors),
	    cmocka_unit_test(test_sign_order_independent),
	    cmocka_unit_test(test_multi_value_dedup),
	    cmocka_unit_test(test_values_with_space_and_empty),
	    cmocka_unit_test(test_json_body_sha256_url),
	    cmocka_unit_test(test_port_variants),
	    cmocka_unit_test(test_url_oddities),
	    cmocka_unit_test(test_rejections),
	    cmocka_unit_test(test_bad_signatures),
	    cmocka_unit_test(test_sign_args),
	    cmocka_unit_test(test_ws_vectors),
	    cmocka_unit_test(test_ws_ports),
	    cmocka_unit_test(test_ws_query),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
