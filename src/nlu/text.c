/* SPDX-License-Identifier: MIT */
/*
 * text.c - splits a speech-to-text transcript into normalized words for
 * caller understanding (see text.h). Transcripts mix digits and number
 * words, curly apostrophes and stray punctuation, so all of that is folded
 * here once instead of in every matcher.
 */
#include "nlu/text.h"

#include <string.h>

struct numword {
	const char *w;
	int v;
	bool ord;
};

static const struct numword numwords[] = {
    {"zero", 0, false},	       {"one", 1, false},	 {"two", 2, false},
    {"three", 3, false},       {"four", 4, false},	 {"five", 5, false},
    {"six", 6, false},	       {"seven", 7, false},	 {"eight", 8, false},
    {"nine", 9, false},	       {"ten", 10, false},	 {"eleven", 11, false},
    {"twelve", 12, false},     {"thirteen", 13, false},	 {"fourteen", 14, false},
    {"fifteen", 15, false},    {"sixteen", 16, false},	 {"seventeen", 17, false},
    {"eighteen", 18, false},   {"nineteen", 19, false},	 {"twenty", 20, false},
    {"thirty", 30, false},     {"forty", 40, false},	 {"fourty", 40, false},
    {"fifty", 50, false},      {"sixty", 60, false},	 {"seventy", 70, false},
    {"eighty", 80, false},     {"ninety", 90, false},	 {"hundred", 100, false},
    {"thousand", 1000, false}, {"first", 1, true},	 {"second", 2, true},
    {"third", 3, true},	       {"fourth", 4, true},	 {"fifth", 5, true},
    {"sixth", 6, true},	       {"seventh", 7, true},	 {"eighth", 8, true},
    {"ninth", 9, true},	       {"tenth", 10, true},	 {"eleventh", 11, true},
    {"twelfth", 12, true},     {"thirteenth", 13, true}, {"fourteenth", 14, true},
    {"fifteenth", 15, true},   {"sixteenth", 16, true},	 {"seventeenth", 17, true},
    {"eighteenth", 18, true},  {"nineteenth", 19, true}, {"twentieth", 20, true},
    {"thirtieth", 30, true},
};

int va_text_number_word(const char *w, bool *ordinal)
{
	if (ordinal)
		*ordinal = false;
	if (!w || !*w)
		return -1;
	for (size_t i = 0; i < sizeof(numwords) / sizeof(numwords[0]); i++) {
		if (!strcmp(w, numwords[i].w)) {
			if (ordinal)
				*ordinal = numwords[i].ord;
			return numwords[i].v;
		}
	}
	return -1;
}

static bool is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* Curly apostrophes (U+2018, U+2019) are three bytes; speech-to-text emits
 * them in contractions ("I’m"). */
static size_t curly_quote(const unsigned char *s, size_t i, size_t len)
{
	if (i + 2 < len && s[i] == 0xE2 && s[i + 1] == 0x80 &&
	    (s[i + 2] == 0x98 || s[i + 2] == 0x99))
		return 3;
	return 0;
}

/* Other three-byte punctuation that must not be read as letters: curly
 * double quotes, en and em dashes, the ellipsis. */
static char wide_punct(const unsigned char *s, size_t i, size_t len)
{
	if (i + 2 < len && s[i] == 0xE2 && s[i + 1] == 0x80) {
		switch (s[i + 2]) {
		case 0x9C:
		case 0x9D:
			return '"';
		case 0x93:
		case 0x94:
			return '-';
		case 0xA6:
			return '.';
		}
	}
	return 0;
}

static bool ordinal_suffix(const unsigned char *s, size_t i, size_t len)
{
	char a, b;

	if (i + 1 >= len)
		return false;
	a = (char)(s[i] | 0x20);
	b = (char)(s[i + 1] | 0x20);
	if (!((a == 's' && b == 't') || (a == 'n' && b == 'd') || (a == 'r' && b == 'd') ||
	      (a == 't' && b == 'h')))
		return false;
	return i + 2 >= len || !(is_alpha(s[i + 2]) || is_digit(s[i + 2]));
}

static void push_char(struct va_token *t, size_t *wn, unsigned char c)
{
	if (*wn + 1 < VA_TEXT_WORD_MAX) {
		t->w[*wn] = (char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
		(*wn)++;
		t->w[*wn] = '\0';
	}
}

static size_t scan_digits(const unsigned char *s, size_t i, size_t len, struct va_token *t,
			  size_t *wn)
{
	int64_t v = 0;
	size_t nd = 0;

	t->flags |= VA_TOK_DIGITS;
	while (i < len && is_digit(s[i])) {
		if (nd < 9)
			v = v * 10 + (s[i] - '0');
		nd++;
		push_char(t, wn, s[i]);
		i++;
	}
	t->num = nd <= 9 ? (int32_t)v : -1;
	if (ordinal_suffix(s, i, len)) {
		t->flags = (uint8_t)((t->flags & ~VA_TOK_DIGITS) | VA_TOK_ORDINAL);
		push_char(t, wn, s[i]);
		push_char(t, wn, s[i + 1]);
		i += 2;
	}
	return i;
}

static size_t scan_word(const unsigned char *s, size_t i, size_t len, struct va_token *t,
			size_t *wn)
{
	size_t nletters = 0, nupper = 0, nlower = 0;
	bool later_upper = false;

	t->flags |= VA_TOK_ALPHA;
	while (i < len) {
		size_t q = curly_quote(s, i, len);

		if (q || s[i] == '\'' || s[i] == '`') {
			size_t step = q ? q : 1;
			/* An apostrophe belongs to the word only between letters. */
			if (nletters && i + step < len && is_alpha(s[i + step]) &&
			    !wide_punct(s, i + step, len) && !curly_quote(s, i + step, len)) {
				i += step;
				continue;
			}
			break;
		}
		if (wide_punct(s, i, len) || !is_alpha(s[i]))
			break;
		if (s[i] >= 'A' && s[i] <= 'Z') {
			if (nletters == 0)
				t->flags |= VA_TOK_CAP;
			else
				later_upper = true;
			nupper++;
		} else if (s[i] >= 'a' && s[i] <= 'z') {
			nlower++;
		}
		push_char(t, wn, s[i]);
		nletters++;
		i++;
	}
	if (later_upper && nlower > 0)
		t->flags |= VA_TOK_MIXED;
	(void)nupper;
	{
		bool ord = false;
		int v = va_text_number_word(t->w, &ord);

		t->num = v;
		if (v >= 0 && ord)
			t->flags |= VA_TOK_ORDINAL;
	}
	return i;
}

void va_text_tokenize(const char *text, size_t len, struct va_tokens *out)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0;
	char punct = 0;
	bool space = false, clause = false;

	out->n = 0;
	if (!text)
		return;
	while (i < len && out->n < VA_TEXT_MAX_TOKENS) {
		unsigned char c = s[i];
		char wp = wide_punct(s, i, len);
		size_t q = curly_quote(s, i, len);
		struct va_token *t;
		size_t wn = 0;

		if (wp || q) {
			punct = wp ? wp : '\'';
			i += 3;
			continue;
		}
		if (!is_alpha(c) && !is_digit(c)) {
			if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
			    c == '\v' || c == 0)
				space = true;
			else
				punct = (char)c;
			if (c == ',' || c == ';' || c == '.' || c == '?' || c == '!')
				clause = true;
			i++;
			continue;
		}
		t = &out->t[out->n];
		memset(t, 0, sizeof(*t));
		t->start = (uint32_t)i;
		t->punct = punct;
		t->num = -1;
		if (space)
			t->flags |= VA_TOK_SPACE;
		if (clause)
			t->flags |= VA_TOK_CLAUSE;
		if (is_digit(c))
			i = scan_digits(s, i, len, t, &wn);
		else
			i = scan_word(s, i, len, t, &wn);
		t->len = (uint32_t)(i - t->start);
		t->wlen = (uint8_t)wn;
		out->n++;
		punct = 0;
		space = false;
		clause = false;
	}
}

static int word_value(const struct va_tokens *tk, size_t i)
{
	const struct va_token *t;

	if (i >= tk->n)
		return -1;
	t = &tk->t[i];
	if (t->flags & (VA_TOK_DIGITS | VA_TOK_ORDINAL))
		return t->num;
	return t->num;
}

/* 0-99 said as words ("forty two") or digits; -1 when none. */
static int small_at(const struct va_tokens *tk, size_t i, size_t *used)
{
	int v = word_value(tk, i), u;

	*used = 0;
	if (v < 0 || v >= 100)
		return -1;
	*used = 1;
	if (!(tk->t[i].flags & VA_TOK_DIGITS) && v >= 20 && v % 10 == 0 && i + 1 < tk->n &&
	    !(tk->t[i + 1].flags & VA_TOK_DIGITS)) {
		u = word_value(tk, i + 1);
		if (u >= 1 && u <= 9) {
			*used = 2;
			v += u;
		}
	}
	return v;
}

int va_text_number_at(const struct va_tokens *tk, size_t i, size_t *used)
{
	size_t u = 0, u2 = 0;
	int v;

	*used = 0;
	if (!tk || i >= tk->n)
		return -1;
	if (tk->t[i].flags & VA_TOK_DIGITS) {
		*used = 1;
		return tk->t[i].num;
	}
	if (!strcmp(tk->t[i].w, "a") && i + 1 < tk->n && !strcmp(tk->t[i + 1].w, "hundred")) {
		v = 1;
		u = 1;
	} else {
		v = small_at(tk, i, &u);
		if (v < 0) {
			if (!strcmp(tk->t[i].w, "hundred")) {
				*used = 1;
				return 100;
			}
			return -1;
		}
	}
	if (v >= 1 && v <= 99 && i + u < tk->n && !strcmp(tk->t[i + u].w, "hundred")) {
		size_t j = i + u + 1;
		int rest;

		v *= 100;
		if (j < tk->n && !strcmp(tk->t[j].w, "and"))
			j++;
		rest = small_at(tk, j, &u2);
		if (rest >= 0 && !(tk->t[j].flags & VA_TOK_DIGITS)) {
			*used = j + u2 - i;
			return v + rest;
		}
		*used = i + u + 1 - i;
		return v;
	}
	if (!strcmp(tk->t[i].w, "a"))
		return -1;
	*used = u;
	return v;
}
