/* SPDX-License-Identifier: MIT */
/*
 * text.h - the word-level view of a transcript that caller understanding
 * works on: lowercase words without punctuation or apostrophes ("I'm" ->
 * "im"), each with its byte span in the original text (so names keep the
 * caller's spelling and parsers can skip a span another parser claimed), the
 * punctuation that preceded it, and its value when it is a number ("7",
 * "seven", "7th", "seventh"). No allocation; a fixed token budget.
 */
#ifndef VA_NLU_TEXT_H
#define VA_NLU_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Words past this are not looked at: a turn of speech is far shorter. */
#define VA_TEXT_MAX_TOKENS 96
/* Longer words are truncated in w (the span still covers the whole word). */
#define VA_TEXT_WORD_MAX 24

enum va_token_flag {
	VA_TOK_DIGITS = 1 << 0,	 /* written with digits only ("4567") */
	VA_TOK_ALPHA = 1 << 1,	 /* letters (and apostrophes / UTF-8) only */
	VA_TOK_SPACE = 1 << 2,	 /* whitespace between this and the previous token */
	VA_TOK_CAP = 1 << 3,	 /* first letter written upper-case */
	VA_TOK_MIXED = 1 << 4,	 /* upper-case after the first letter too ("McDonald") */
	VA_TOK_ORDINAL = 1 << 5, /* "3rd", "third" */
	VA_TOK_CLAUSE = 1 << 6,	 /* , ; . ? ! between this and the previous token */
};

struct va_token {
	char w[VA_TEXT_WORD_MAX]; /* normalized: ASCII lower-case, no apostrophes */
	uint32_t start, len;	  /* bytes in the original text */
	int32_t num;		  /* value of a number (0-99, 100 "hundred", 1000); -1 */
	char punct;		  /* last punctuation byte before it since the previous token */
	uint8_t flags;		  /* enum va_token_flag */
	uint8_t mark;		  /* free for the caller (0 after tokenizing) */
	uint8_t wlen;		  /* strlen(w) */
};

struct va_tokens {
	size_t n;
	struct va_token t[VA_TEXT_MAX_TOKENS];
};

/* Splits text (len bytes, need not be NUL-terminated) into out. Never fails:
 * text past the token budget is ignored. */
void va_text_tokenize(const char *text, size_t len, struct va_tokens *out);

/* The value of a number word ("seven" 7, "twenty" 20, "third" 3 with
 * *ordinal set, "hundred" 100); -1 when w is not one. ordinal may be NULL. */
int va_text_number_word(const char *w, bool *ordinal);

/* Reads a number said over one or more tokens starting at i: "42",
 * "forty two", "a hundred and three", "one oh three" is not one (that is
 * digits, see phone parsing). Returns the value (-1 when none) and sets
 * *used to the number of tokens read. */
int va_text_number_at(const struct va_tokens *tk, size_t i, size_t *used);

#endif
