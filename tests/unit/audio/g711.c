/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/audio/g711.c - G.711 mu-law against an independent
 * transcription of the ITU-T G.191 reference (ulaw_compress/ulaw_expand in
 * STL's g711.c): all 256 codes decode, and all 65536 samples encode, to
 * exactly the reference's values. Also the classic Sun g711.c for the
 * inputs where the two references agree, and known fixed points.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "audio/g711.h"

/* ITU-T G.191 STL g711.c, ulaw_compress for one sample, as published. */
static short ref_ulaw_compress(short lin)
{
	short absno, segno, low_nibble, high_nibble, i, out;

	absno = lin < 0 ? (short)(((~lin) >> 2) + 33) : (short)(((lin) >> 2) + 33);
	if (absno > 0x1FFF)
		absno = 0x1FFF;
	i = (short)(absno >> 6);
	segno = 1;
	while (i != 0) {
		segno++;
		i >>= 1;
	}
	high_nibble = (short)(0x0008 - segno);
	low_nibble = (short)((absno >> segno) & 0x000F);
	low_nibble = (short)(0x000F - low_nibble);
	out = (short)((high_nibble << 4) | low_nibble);
	if (lin >= 0)
		out = (short)(out | 0x0080);
	return out;
}

/* ITU-T G.191 STL g711.c, ulaw_expand for one code. */
static short ref_ulaw_expand(short log)
{
	short segment, mantissa, exponent, sign, step;

	sign = log < 0x0080 ? -1 : 1;
	mantissa = (short)~log;
	exponent = (short)((mantissa >> 4) & 0x0007);
	segment = (short)(exponent + 1);
	mantissa = (short)(mantissa & 0x000F);
	step = (short)(4 << segment);
	return (short)(sign * ((0x0080 << exponent) + step * mantissa + step / 2 - 4 * 33));
}

/* Sun Microsystems' g711.c linear2ulaw (the one sox and many tools use). */
static unsigned char sun_linear2ulaw(int pcm_val)
{
	static const int seg_uend[8] = {0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF};
	int mask, seg;

	pcm_val = pcm_val >> 2;
	if (pcm_val < 0) {
		pcm_val = -pcm_val;
		mask = 0x7F;
	} else {
		mask = 0xFF;
	}
	if (pcm_val > 8159)
		pcm_val = 8159;
	pcm_val += (0x84 >> 2);
	for (seg = 0; seg < 8; seg++)
		if (pcm_val <= seg_uend[seg])
			break;
	if (seg >= 8)
		return (unsigned char)(0x7F ^ mask);
	return (unsigned char)(((seg << 4) | ((pcm_val >> (seg + 1)) & 0xF)) ^ mask);
}

static void test_decode_all_codes(void **state)
{
	for (int c = 0; c < 256; c++)
		assert_int_equal(va_g711_ulaw_decode((uint8_t)c), ref_ulaw_expand((short)c));
}

static void test_encode_all_samples(void **state)
{
	for (int x = -32768; x <= 32767; x++)
		assert_int_equal(va_g711_ulaw_encode((int16_t)x),
				 (uint8_t)ref_ulaw_compress((short)x));
}

static void test_sun_agrees_where_it_should(void **state)
{
	/* The two references differ only for negative samples, where G.191
	 * takes the one's complement: a code apart at most. */
	for (int x = -32768; x <= 32767; x++) {
		int ours = va_g711_ulaw_encode((int16_t)x), sun = sun_linear2ulaw(x);

		if (x >= 0)
			assert_int_equal(ours, sun);
		else
			assert_true(ours == sun || ours == sun + 1);
	}
}

static void test_fixed_points(void **state)
{
	assert_int_equal(va_g711_ulaw_decode(0xFF), 0);
	assert_int_equal(va_g711_ulaw_decode(0x7F), 0);
	assert_int_equal(va_g711_ulaw_decode(0x80), 32124);
	assert_int_equal(va_g711_ulaw_decode(0x00), -32124);
	assert_int_equal(va_g711_ulaw_decode(0xFE), 8);
	assert_int_equal(va_g711_ulaw_encode(0), VA_G711_ULAW_SILENCE);
	assert_int_equal(va_g711_ulaw_encode(32767), 0x80);
	assert_int_equal(va_g711_ulaw_encode(-32768), 0x00);
	/* Decoding every code and encoding it again gives it back, except
	 * negative zero (0x7F), which encodes as positive zero. */
	for (int c = 0; c < 256; c++) {
		int back = va_g711_ulaw_encode(va_g711_ulaw_decode((uint8_t)c));

		assert_int_equal(back, c == 0x7F ? 0xFF : c);
	}
}

static void test_buffers(void **state)
{
	uint8_t codes[VA_G711_FRAME_20MS], again[VA_G711_FRAME_20MS];
	int16_t pcm[VA_G711_FRAME_20MS];

	for (int i = 0; i < VA_G711_FRAME_20MS; i++)
		codes[i] = (uint8_t)(i * 37 + 11);
	codes[3] = 0x7F;
	va_g711_ulaw_decode_buf(codes, VA_G711_FRAME_20MS, pcm);
	for (int i = 0; i < VA_G711_FRAME_20MS; i++)
		assert_int_equal(pcm[i], va_g711_ulaw_decode(codes[i]));
	va_g711_ulaw_encode_buf(pcm, VA_G711_FRAME_20MS, again);
	for (int i = 0; i < VA_G711_FRAME_20MS; i++)
		assert_int_equal(again[i], codes[i] == 0x7F ? 0xFF : codes[i]);
	va_g711_ulaw_decode_buf(codes, 0, pcm);
	va_g711_ulaw_encode_buf(pcm, 0, again);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decode_all_codes),
	    cmocka_unit_test(test_encode_all_samples),
	    cmocka_unit_test(test_sun_agrees_where_it_should),
	    cmocka_unit_test(test_fixed_points),
	    cmocka_unit_test(test_buffers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
