/* SPDX-License-Identifier: MIT */
/*
 * g711.h - G.711 mu-law <-> 16-bit linear PCM, bit-exact with the ITU-T
 * reference (G.191 Software Tool Library, g711.c: ulaw_compress and
 * ulaw_expand).
 *
 * This is the codec of Twilio Media Streams: 8000 Hz mono, one byte per
 * sample, 20 ms = 160 bytes per media frame (VA_G711_FRAME_20MS).
 *
 * Decoding is a 256-entry table lookup. Encoding follows the reference's
 * rounding exactly: a negative sample x is quantised like its one's
 * complement ~x (so -1..-4 share the code of 0..3 with the sign bit clear).
 * The older Sun g711.c (used by sox) differs from the reference only there,
 * for negative inputs, by at most one quantisation step. Pure, no state.
 */
#ifndef VA_AUDIO_G711_H
#define VA_AUDIO_G711_H

#include <stddef.h>
#include <stdint.h>

#define VA_G711_RATE	     8000
#define VA_G711_FRAME_20MS   160  /* bytes (= samples) in one Twilio media frame */
#define VA_G711_ULAW_SILENCE 0xFF /* the code of linear 0 */

/* One mu-law code to linear PCM (range -32124..32124). */
int16_t va_g711_ulaw_decode(uint8_t code);
/* One linear PCM sample to its mu-law code. */
uint8_t va_g711_ulaw_encode(int16_t pcm);

/* n codes in -> n samples out. in and out must not overlap. */
void va_g711_ulaw_decode_buf(const uint8_t *in, size_t n, int16_t *out);
/* n samples in -> n codes out. in and out must not overlap. */
void va_g711_ulaw_encode_buf(const int16_t *in, size_t n, uint8_t *out);

#endif
