/* SPDX-License-Identifier: MIT */
/* Tests for base64: the RFC 4648 vectors both ways, and strictness. */
#include "core/b64.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void test_rfc4648_vectors(void **state)
{
	static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	static const char *const enc[] = {"",	      "Zg==",	  "Zm8=",    "Zm9v",
					  "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
	uint8_t out[16];

	for (size_t i = 0; i < 7; i++) {
		char *e = va_b64_encode((const uint8_t *)plain[i], strlen(plain[i]));
		long n;

		assert_string_equal(e, enc[i]);
		assert_int_equal(strlen(e), va_b64_encoded_len(strlen(plain[i])));
		free(e);
		n = va_b64_decode(enc[i], strlen(enc[i]), out, sizeof(out));
		assert_int_equal(n, (long)strlen(plain[i]));
		assert_memory_equal(out, plain[i], (size_t)n);
	}
}

static void test_strict(void **state)
{
	uint8_t out[16];

	assert_int_equal(va_b64_decode("Zg=", 3, out, sizeof(out)), -1);      /* length */
	assert_int_equal(va_b64_decode("Zg==Zg==", 8, out, sizeof(out)), -1); /* inner pad */
	assert_int_equal(va_b64_decode("Z===", 4, out, sizeof(out)), -1);
	assert_int_equal(va_b64_decode("Zm 9", 4, out, sizeof(out)), -1);
	assert_int_equal(va_b64_decode("Zm9-", 4, out, sizeof(out)), -1); /* url alphabet */
	assert_int_equal(va_b64_decode("Zm9vYmFy", 8, out, 5), -1);	  /* too long */
	assert_int_equal(va_b64_decode("Zm9vYmFy", 8, out, 6), 6);
	/* Checking without decoding agrees with decoding. */
	assert_int_equal(va_b64_check("Zm9vYmFy", 8), 6);
	assert_int_equal(va_b64_check("Zm9vYg==", 8), 4);
	assert_int_equal(va_b64_check("Zm9vYmE=", 8), 5);
	assert_int_equal(va_b64_check("", 0), 0);
	assert_int_equal(va_b64_check("Zg=A", 4), -1);
	assert_int_equal(va_b64_check("Z=g=", 4), -1);
	assert_int_equal(va_b64_check("Zm9", 3), -1);
	assert_int_equal(va_b64_check("Zm9-", 4), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rfc4648_vectors),
	    cmocka_unit_test(test_strict),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
