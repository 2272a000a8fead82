/* SPDX-License-Identifier: MIT */
/*
 * g711.c - G.711 mu-law, bit-exact with ITU-T G.191's g711.c (see g711.h).
 * The decoding table below is ulaw_expand evaluated for every code; the
 * encoder is ulaw_compress with the segment search done by counting bits.
 */
#include "audio/g711.h"

/* ulaw_expand(code) for code = 0..255: sign from bit 7, then the inverted
 * exponent and mantissa give the middle of the quantisation interval. */
/* clang-format off */
static const int16_t ulaw_to_linear[256] = {
	-32124, -31100, -30076, -29052, -28028, -27004, -25980, -24956,
	-23932, -22908, -21884, -20860, -19836, -18812, -17788, -16764,
	-15996, -15484, -14972, -14460, -13948, -13436, -12924, -12412,
	-11900, -11388, -10876, -10364, -9852, -9340, -8828, -8316,
	-7932, -7676, -7420, -7164, -6908, -6652, -6396, -6140,
	-5884, -5628, -5372, -5116, -4860, -4604, -4348, -4092,
	-3900, -3772, -3644, -3516, -3388, -3260, -3132, -3004,
	-2876, -2748, -2620, -2492, -2364, -2236, -2108, -1980,
	-1884, -1820, -1756, -1692, -1628, -1564, -1500, -1436,
	-1372, -1308, -1244, -1180, -1116, -1052, -988, -924,
	-876, -844, -812, -780, -748, -716, -684, -652,
	-620, -588, -556, -524, -492, -460, -428, -396,
	-372, -356, -340, -324, -308, -292, -276, -260,
	-244, -228, -212, -196, -180, -164, -148, -132,
	-120, -112, -104, -96, -88, -80, -72, -64,
	-56, -48, -40, -32, -24, -16, -8, 0,
	32124, 31100, 30076, 29052, 28028, 27004, 25980, 24956,
	23932, 22908, 21884, 20860, 19836, 18812, 17788, 16764,
	15996, 15484, 14972, 14460, 13948, 13436, 12924, 12412,
	11900, 11388, 10876, 10364, 9852, 9340, 8828, 8316,
	7932, 7676, 7420, 7164, 6908, 6652, 6396, 6140,
	5884, 5628, 5372, 5116, 4860, 4604, 4348, 4092,
	3900, 3772, 3644, 3516, 3388, 3260, 3132, 3004,
	2876, 2748, 2620, 2492, 2364, 2236, 2108, 1980,
	1884, 1820, 1756, 1692, 1628, 1564, 1500, 1436,
	1372, 1308, 1244, 1180, 1116, 1052, 988, 924,
	876, 844, 812, 780, 748, 716, 684, 652,
	620, 588, 556, 524, 492, 460, 428, 396,
	372, 356, 340, 324, 308, 292, 276, 260,
	244, 228, 212, 196, 180, 164, 148, 132,
	120, 112, 104, 96, 88, 80, 72, 64,
	56, 48, 40, 32, 24, 16, 8, 0,
};
/* clang-format on */

int16_t va_g711_ulaw_decode(uint8_t code)
{
	return ulaw_to_linear[code];
}

uint8_t va_g711_ulaw_encode(int16_t pcm)
{
	/* The reference works on 14-bit magnitudes plus the bias 33, and takes
	 * the one's complement of negative samples (not the negation), which
	 * keeps the quantiser symmetric around -0.5. */
	unsigned absno = pcm < 0 ? ((unsigned)(~pcm) >> 2) + 33u : ((unsigned)pcm >> 2) + 33u;
	unsigned segno, hi, lo;
	uint8_t code;

	if (absno > 0x1FFFu)
		absno = 0x1FFFu;
	/* segno = 1 + the number of significant bits of absno >> 6 (1..8),
	 * the reference's shift loop done by one bit count. */
	segno = 1u + (absno >> 6 ? 32u - (unsigned)__builtin_clz(absno >> 6) : 0u);
	hi = 8u - segno;
	lo = 0xFu - ((absno >> segno) & 0xFu);
	code = (uint8_t)((hi << 4) | lo);
	if (pcm >= 0)
		code |= 0x80u;
	return code;
}

void va_g711_ulaw_decode_buf(const uint8_t *in, size_t n, int16_t *out)
{
	for (size_t i = 0; i < n; i++)
		out[i] = ulaw_to_linear[in[i]];
}

void va_g711_ulaw_encode_buf(const int16_t *in, size_t n, uint8_t *out)
{
	for (size_t i = 0; i < n; i++)
		out[i] = va_g711_ulaw_encode(in[i]);
}
