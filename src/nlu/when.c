/* SPDX-License-Identifier: MIT */
/*
 * when.c - the date/time parser behind "next Tuesday afternoon": one pass of
 * a small tokenizer over the caller's words, then a scan for the first run of
 * date/time components ("next Tuesday" + "afternoon"), resolved against now
 * in the practice's zone. Runs on every utterance, so it never allocates: the
 * tokens live in a fixed array on the stack and long texts are read in
 * overlapping chunks. Conventions: nlu/when.h and datetime_cases.tsv.
 */
#include "nlu/when.h"
#include "core/err.h"

#include <stdlib.h>
#include <string.h>

/* ---- words ---------------------------------------------------------------- */

enum word_cat { C_NONE = 0, C_WDAY, C_MONTH, C_CARD, C_ORD, C_KEY };

struct word_entry {
	const char *w;
	uint8_t cat;
	int8_t val;
	uint8_t weak; /* means a date only in a date-like context ("sat", "may") */
};

/* Keywords, and every word the parser knows (sorted by strcmp: bsearch). */
/* clang-format off */
enum word_key {
	K_NONE = 0, K_A, K_AFTER, K_AFTERNOON, K_AM, K_AND, K_ANY, K_ANYTIME, K_AROUND, K_AS,
	K_ASAP, K_AT, K_AVAILABLE, K_BEFORE, K_BEGINNING, K_BETWEEN, K_BUSINESS, K_BY,
	K_CHRISTMAS, K_CLOCK, K_CLOSE, K_COMING, K_COUPLE, K_DAY, K_EARLIEST, K_EARLY, K_EASTER,
	K_END, K_EOD, K_EVE, K_EVENING, K_FEW, K_FILLER, K_FOLLOWING, K_FOR, K_FORTNIGHT, K_FROM,
	K_HALF, K_HALLOWEEN, K_HESITATE, K_HOUR, K_IN, K_INDEPENDENCE, K_ISH, K_JUNETEENTH, K_LABOR, K_LAST,
	K_LATE, K_LATER, K_LUNCH, K_M, K_MEMORIAL, K_MID, K_MIDNIGHT, K_MINUTE, K_MONTH,
	K_MORNING, K_NEW, K_NEXT, K_NIGHT, K_NOON, K_NOW, K_O, K_OCLOCK, K_OF, K_ON, K_OPENING,
	K_OR, K_P, K_PAST, K_PM, K_POSSIBLE, K_PRESIDENTS, K_QUARTER, K_RIGHT, K_SCHOOL, K_SO,
	K_SOON, K_SUFFIX, K_THANKSGIVING, K_THE, K_THING, K_THIS, K_TILL, K_TIME, K_TO, K_TODAY,
	K_TOMORROW, K_TONIGHT, K_VALENTINES, K_VETERANS, K_WEEK, K_WEEKEND, K_WHENEVER, K_WITHIN,
	K_WORK, K_YEAR, K_YESTERDAY,
};

static const struct word_entry words[] = {
	{"a", C_KEY, K_A, 0}, {"about", C_KEY, K_AROUND, 0}, {"after", C_KEY, K_AFTER, 0},
	{"afternoon", C_KEY, K_AFTERNOON, 0}, {"afternoons", C_KEY, K_AFTERNOON, 0},
	{"ah", C_KEY, K_HESITATE, 0}, {"am", C_KEY, K_AM, 0}, {"an", C_KEY, K_A, 0},
	{"and", C_KEY, K_AND, 0}, {"any", C_KEY, K_ANY, 0}, {"anytime", C_KEY, K_ANYTIME, 0},
	{"appointment", C_KEY, K_OPENING, 0}, {"approx", C_KEY, K_AROUND, 0},
	{"approximately", C_KEY, K_AROUND, 0}, {"apr", C_MONTH, 4, 1}, {"april", C_MONTH, 4, 0},
	{"around", C_KEY, K_AROUND, 0}, {"as", C_KEY, K_AS, 0}, {"asap", C_KEY, K_ASAP, 0},
	{"at", C_KEY, K_AT, 0}, {"aug", C_MONTH, 8, 1}, {"august", C_MONTH, 8, 0},
	{"available", C_KEY, K_AVAILABLE, 0}, {"before", C_KEY, K_BEFORE, 0},
	{"beginning", C_KEY, K_BEGINNING, 0}, {"between", C_KEY, K_BETWEEN, 0},
	{"business", C_KEY, K_BUSINESS, 0}, {"by", C_KEY, K_BY, 0},
	{"christmas", C_KEY, K_CHRISTMAS, 0}, {"circa", C_KEY, K_AROUND, 0},
	{"clock", C_KEY, K_CLOCK, 0}, {"close", C_KEY, K_CLOSE, 0}, {"coming", C_KEY, K_COMING, 0},
	{"couple", C_KEY, K_COUPLE, 0}, {"day", C_KEY, K_DAY, 0}, {"days", C_KEY, K_DAY, 0},
	{"dec", C_MONTH, 12, 1}, {"december", C_MONTH, 12, 0}, {"earliest", C_KEY, K_EARLIEST, 0},
	{"early", C_KEY, K_EARLY, 0}, {"easter", C_KEY, K_EASTER, 0}, {"eh", C_KEY, K_HESITATE, 0},
	{"ehm", C_KEY, K_HESITATE, 0}, {"eight", C_CARD, 8, 0}, {"eighteen", C_CARD, 18, 0},
	{"eighteenth", C_ORD, 18, 0}, {"eighth", C_ORD, 8, 0}, {"eleven", C_CARD, 11, 0},
	{"eleventh", C_ORD, 11, 0}, {"end", C_KEY, K_END, 0}, {"eod", C_KEY, K_EOD, 0},
	{"er", C_KEY, K_HESITATE, 0}, {"erm", C_KEY, K_HESITATE, 0}, {"eve", C_KEY, K_EVE, 0},
	{"evening", C_KEY, K_EVENING, 0}, {"evenings", C_KEY, K_EVENING, 0}, {"feb", C_MONTH, 2, 1},
	{"february", C_MONTH, 2, 0}, {"few", C_KEY, K_FEW, 0}, {"fifteen", C_CARD, 15, 0},
	{"fifteenth", C_ORD, 15, 0}, {"fifth", C_ORD, 5, 0}, {"fifty", C_CARD, 50, 0},
	{"first", C_ORD, 1, 1}, {"five", C_CARD, 5, 0}, {"following", C_KEY, K_FOLLOWING, 0},
	{"for", C_KEY, K_FOR, 0}, {"fortnight", C_KEY, K_FORTNIGHT, 0}, {"forty", C_CARD, 40, 0},
	{"four", C_CARD, 4, 0}, {"fourteen", C_CARD, 14, 0}, {"fourteenth", C_ORD, 14, 0},
	{"fourth", C_ORD, 4, 0}, {"fri", C_WDAY, 4, 1}, {"friday", C_WDAY, 4, 0},
	{"fridays", C_WDAY, 4, 0}, {"from", C_KEY, K_FROM, 0}, {"half", C_KEY, K_HALF, 0},
	{"halloween", C_KEY, K_HALLOWEEN, 0}, {"hm", C_KEY, K_HESITATE, 0},
	{"hmm", C_KEY, K_HESITATE, 0}, {"hour", C_KEY, K_HOUR, 0}, {"hours", C_KEY, K_HOUR, 0},
	{"hr", C_KEY, K_HOUR, 0}, {"hrs", C_KEY, K_HOUR, 0}, {"ideally", C_KEY, K_FILLER, 0},
	{"in", C_KEY, K_IN, 0}, {"independence", C_KEY, K_INDEPENDENCE, 0},
	{"ish", C_KEY, K_ISH, 0}, {"jan", C_MONTH, 1, 1}, {"january", C_MONTH, 1, 0},
	{"jul", C_MONTH, 7, 1}, {"july", C_MONTH, 7, 0}, {"jun", C_MONTH, 6, 1},
	{"june", C_MONTH, 6, 0}, {"juneteenth", C_KEY, K_JUNETEENTH, 0},
	{"labor", C_KEY, K_LABOR, 0}, {"labour", C_KEY, K_LABOR, 0}, {"last", C_KEY, K_LAST, 0},
	{"late", C_KEY, K_LATE, 0}, {"later", C_KEY, K_LATER, 0}, {"lets", C_KEY, K_FILLER, 0},
	{"like", C_KEY, K_FILLER, 0}, {"lunch", C_KEY, K_LUNCH, 0},
	{"lunchtime", C_KEY, K_LUNCH, 0}, {"m", C_KEY, K_M, 0}, {"mar", C_MONTH, 3, 1},
	{"march", C_MONTH, 3, 1}, {"may", C_MONTH, 5, 1}, {"maybe", C_KEY, K_FILLER, 0},
	{"memorial", C_KEY, K_MEMORIAL, 0}, {"mid", C_KEY, K_MID, 0}, {"midday", C_KEY, K_NOON, 0},
	{"middle", C_KEY, K_MID, 0}, {"midnight", C_KEY, K_MIDNIGHT, 0},
	{"min", C_KEY, K_MINUTE, 0}, {"mins", C_KEY, K_MINUTE, 0}, {"minute", C_KEY, K_MINUTE, 0},
	{"minutes", C_KEY, K_MINUTE, 0}, {"mm", C_KEY, K_HESITATE, 0},
	{"mmm", C_KEY, K_HESITATE, 0}, {"mon", C_WDAY, 0, 1}, {"monday", C_WDAY, 0, 0},
	{"mondays", C_WDAY, 0, 0}, {"month", C_KEY, K_MONTH, 0}, {"months", C_KEY, K_MONTH, 0},
	{"morning", C_KEY, K_MORNING, 0}, {"mornings", C_KEY, K_MORNING, 0},
	{"nd", C_KEY, K_SUFFIX, 0}, {"new", C_KEY, K_NEW, 0}, {"next", C_KEY, K_NEXT, 0},
	{"night", C_KEY, K_NIGHT, 0}, {"nine", C_CARD, 9, 0}, {"nineteen", C_CARD, 19, 0},
	{"nineteenth", C_ORD, 19, 0}, {"ninth", C_ORD, 9, 0}, {"nite", C_KEY, K_NIGHT, 0},
	{"noon", C_KEY, K_NOON, 0}, {"nov", C_MONTH, 11, 1}, {"november", C_MONTH, 11, 0},
	{"now", C_KEY, K_NOW, 0}, {"o", C_KEY, K_O, 0}, {"oclock", C_KEY, K_OCLOCK, 0},
	{"oct", C_MONTH, 10, 1}, {"october", C_MONTH, 10, 0}, {"of", C_KEY, K_OF, 0},
	{"oh", C_KEY, K_O, 0}, {"on", C_KEY, K_ON, 0}, {"one", C_CARD, 1, 0},
	{"opening", C_KEY, K_OPENING, 0}, {"or", C_KEY, K_OR, 0}, {"over", C_KEY, K_WITHIN, 0},
	{"p", C_KEY, K_P, 0}, {"past", C_KEY, K_PAST, 0}, {"perhaps", C_KEY, K_FILLER, 0},
	{"pm", C_KEY, K_PM, 0}, {"possible", C_KEY, K_POSSIBLE, 0},
	{"preferably", C_KEY, K_FILLER, 0}, {"presidents", C_KEY, K_PRESIDENTS, 0},
	{"probably", C_KEY, K_FILLER, 0}, {"quarter", C_KEY, K_QUARTER, 0},
	{"rd", C_KEY, K_SUFFIX, 0}, {"right", C_KEY, K_RIGHT, 0}, {"roughly", C_KEY, K_AROUND, 0},
	{"sat", C_WDAY, 5, 1}, {"saturday", C_WDAY, 5, 0}, {"saturdays", C_WDAY, 5, 0},
	{"say", C_KEY, K_FILLER, 0}, {"school", C_KEY, K_SCHOOL, 0}, {"second", C_ORD, 2, 1},
	{"sep", C_MONTH, 9, 1}, {"sept", C_MONTH, 9, 1}, {"september", C_MONTH, 9, 0},
	{"seven", C_CARD, 7, 0}, {"seventeen", C_CARD, 17, 0}, {"seventeenth", C_ORD, 17, 0},
	{"seventh", C_ORD, 7, 0}, {"six", C_CARD, 6, 0}, {"sixteen", C_CARD, 16, 0},
	{"sixteenth", C_ORD, 16, 0}, {"sixth", C_ORD, 6, 0}, {"slot", C_KEY, K_OPENING, 0},
	{"so", C_KEY, K_SO, 0}, {"some", C_KEY, K_FILLER, 0}, {"sometime", C_KEY, K_FILLER, 0},
	{"soon", C_KEY, K_SOON, 0}, {"soonest", C_KEY, K_EARLIEST, 0}, {"st", C_KEY, K_SUFFIX, 0},
	{"start", C_KEY, K_BEGINNING, 0}, {"sun", C_WDAY, 6, 1}, {"sunday", C_WDAY, 6, 0},
	{"sundays", C_WDAY, 6, 0}, {"ten", C_CARD, 10, 0}, {"tenth", C_ORD, 10, 0},
	{"th", C_KEY, K_SUFFIX, 0}, {"thanksgiving", C_KEY, K_THANKSGIVING, 0},
	{"the", C_KEY, K_THE, 0}, {"thing", C_KEY, K_THING, 0}, {"third", C_ORD, 3, 1},
	{"thirteen", C_CARD, 13, 0}, {"thirteenth", C_ORD, 13, 0}, {"thirtieth", C_ORD, 30, 0},
	{"thirty", C_CARD, 30, 0}, {"this", C_KEY, K_THIS, 0}, {"three", C_CARD, 3, 0},
	{"through", C_KEY, K_TILL, 0}, {"thu", C_WDAY, 3, 1}, {"thur", C_WDAY, 3, 1},
	{"thurs", C_WDAY, 3, 1}, {"thursday", C_WDAY, 3, 0}, {"thursdays", C_WDAY, 3, 0},
	{"til", C_KEY, K_TILL, 0}, {"till", C_KEY, K_TILL, 0}, {"time", C_KEY, K_TIME, 0},
	{"tmr", C_KEY, K_TOMORROW, 0}, {"tmrw", C_KEY, K_TOMORROW, 0}, {"to", C_KEY, K_TO, 0},
	{"today", C_KEY, K_TODAY, 0}, {"tommorow", C_KEY, K_TOMORROW, 0},
	{"tomorow", C_KEY, K_TOMORROW, 0}, {"tomorrow", C_KEY, K_TOMORROW, 0},
	{"tomorrows", C_KEY, K_TOMORROW, 0}, {"tonight", C_KEY, K_TONIGHT, 0},
	{"tue", C_WDAY, 1, 1}, {"tues", C_WDAY, 1, 1}, {"tuesday", C_WDAY, 1, 0},
	{"tuesdays", C_WDAY, 1, 0}, {"twelfth", C_ORD, 12, 0}, {"twelve", C_CARD, 12, 0},
	{"twentieth", C_ORD, 20, 0}, {"twenty", C_CARD, 20, 0}, {"two", C_CARD, 2, 0},
	{"uh", C_KEY, K_HESITATE, 0}, {"uhh", C_KEY, K_HESITATE, 0}, {"uhm", C_KEY, K_HESITATE, 0},
	{"uhmm", C_KEY, K_HESITATE, 0}, {"um", C_KEY, K_HESITATE, 0}, {"umm", C_KEY, K_HESITATE, 0},
	{"until", C_KEY, K_TILL, 0}, {"upcoming", C_KEY, K_COMING, 0},
	{"valentine", C_KEY, K_VALENTINES, 0}, {"valentines", C_KEY, K_VALENTINES, 0},
	{"veteran", C_KEY, K_VETERANS, 0}, {"veterans", C_KEY, K_VETERANS, 0},
	{"wed", C_WDAY, 2, 1}, {"wednesday", C_WDAY, 2, 0}, {"wednesdays", C_WDAY, 2, 0},
	{"weds", C_WDAY, 2, 1}, {"week", C_KEY, K_WEEK, 0}, {"weekend", C_KEY, K_WEEKEND, 0},
	{"weekends", C_KEY, K_WEEKEND, 0}, {"weeks", C_KEY, K_WEEK, 0},
	{"whenever", C_KEY, K_WHENEVER, 0}, {"within", C_KEY, K_WITHIN, 0},
	{"work", C_KEY, K_WORK, 0}, {"xmas", C_KEY, K_CHRISTMAS, 0}, {"year", C_KEY, K_YEAR, 0},
	{"years", C_KEY, K_YEAR, 0}, {"yesterday", C_KEY, K_YESTERDAY, 0}, {"zero", C_CARD, 0, 0}};
/* clang-format on */

static int word_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct word_entry *)elem)->w);
}

/* ---- tokens ---------------------------------------------------------------- */

enum tok_kind { TK_WORD, TK_NUM, TK_HHMM, TK_MD };

#define TOK_MAX	    48
#define TOK_OVERLAP 12
#define NUM_CAP	    1000000

struct tok {
	uint32_t off, end; /* bytes of the text */
	int32_t num;	   /* NUM value (capped), HHMM hour, MD month */
	int16_t v1, v2;	   /* HHMM minute; MD day, year (-1 when absent) */
	uint8_t kind, cat, ndig, weak;
	int8_t val;	  /* word category value: weekday, month, number, key */
	bool glued;	  /* no separator before it ("3pm", "14th") */
	bool dash_before; /* only a '-' before it ("2-4", "3-ish") */
};

static bool is_digit(unsigned char ch)
{
	return ch >= '0' && ch <= '9';
}

static bool is_alpha(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static int digits_at(const char *s, size_t len, size_t i, int maxn, int *val)
{
	int n = 0, v = 0;

	while (i + (size_t)n < len && n <= maxn && is_digit((unsigned char)s[i + (size_t)n]))
		v = v * 10 + (s[i + (size_t)n++] - '0');
	if (n == 0 || n > maxn)
		return 0;
	*val = v;
	return n;
}

/* Reads "930", "9:30", "12/3", "12/3/2026" at s[i]; returns the end. */
static size_t tok_number(const char *s, size_t len, size_t i, struct tok *k)
{
	int64_t v = 0;
	int nd = 0, a, b;

	while (i < len && is_digit((unsigned char)s[i])) {
		if (v < NUM_CAP)
			v = v * 10 + (s[i] - '0');
		nd++;
		i++;
	}
	k->kind = TK_NUM;
	k->num = (int32_t)(v < NUM_CAP ? v : NUM_CAP);
	k->ndig = (uint8_t)(nd < 255 ? nd : 255);
	if (nd > 2 || i + 1 >= len)
		return i;
	if (s[i] == ':' && digits_at(s, len, i + 1, 2, &a) == 2) {
		k->kind = TK_HHMM;
		k->v1 = (int16_t)a;
		i += 3;
		if (i + 2 < len && s[i] == ':' && digits_at(s, len, i + 1, 2, &a) == 2)
			i += 3; /* seconds are noise in speech */
		return i;
	}
	if (s[i] == '/' && (a = digits_at(s, len, i + 1, 2, &b)) > 0) {
		size_t j = i + 1 + (size_t)a;
		int y, ny;

		k->kind = TK_MD;
		k->v1 = (int16_t)b;
		k->v2 = -1;
		if (j + 1 < len && s[j] == '/' &&
		    ((ny = digits_at(s, len, j + 1, 4, &y)) == 2 || ny == 4)) {
			k->v2 = (int16_t)(ny == 2 ? 2000 + y : y);
			j += 1 + (size_t)ny;
		}
		return j;
	}
	return i;
}

static size_t tok_word(const char *s, size_t len, size_t i, struct tok *k)
{
	char w[16];
	size_t wl = 0;
	bool too_long = false;
	const struct word_entry *e;

	while (i < len) {
		unsigned char ch = (unsigned char)s[i];

		if (is_alpha(ch)) {
			if (wl < sizeof(w) - 1)
				w[wl++] = (char)(ch | 0x20);
			else
				too_long = true;
			i++;
		} else if (ch == '\'' && i + 1 < len && is_alpha((unsigned char)s[i + 1])) {
			i++; /* "o'clock", "year's" */
		} else if (ch == 0xe2 && i + 3 < len && (unsigned char)s[i + 1] == 0x80 &&
			   (unsigned char)s[i + 2] == 0x99 && is_alpha((unsigned char)s[i + 3])) {
			i += 3; /* typographic apostrophe */
		} else {
			break;
		}
	}
	w[wl] = '\0';
	k->kind = TK_WORD;
	if (too_long ||
	    !(e = bsearch(w, words, sizeof(words) / sizeof(words[0]), sizeof(words[0]), word_cmp)))
		return i;
	k->cat = e->cat;
	k->val = e->val;
	k->weak = e->weak;
	return i;
}

/* Tokenizes from pos until max tokens; *stop is where reading ended. */
static int tokenize(const char *s, size_t len, size_t pos, struct tok *t, int max, size_t *stop)
{
	size_t i = pos, prev_end = (size_t)-1;
	int n = 0;

	while (i < len && n < max) {
		unsigned char ch = (unsigned char)s[i];
		struct tok *k = &t[n];
		size_t st = i;

		if (!is_digit(ch) && !is_alpha(ch)) {
			i++;
			continue;
		}
		memset(k, 0, sizeof(*k));
		i = is_digit(ch) ? tok_number(s, len, i, k) : tok_word(s, len, i, k);
		/* Hesitations carry nothing and would split "next uh thursday". */
		if (k->kind == TK_WORD && k->cat == C_KEY && k->val == K_HESITATE)
			continue;
		/* "the monday one at noon": "one" stands for the visit, not 1 —
		 * unless a time goes on ("monday one thirty", "monday one pm"). */
		if (k->kind == TK_WORD && k->cat == C_CARD && k->val == 1 && n > 0 &&
		    (t[n - 1].cat == C_WDAY ||
		     (t[n - 1].cat == C_KEY &&
		      (t[n - 1].val == K_MORNING || t[n - 1].val == K_AFTERNOON ||
		       t[n - 1].val == K_EVENING || t[n - 1].val == K_OCLOCK)))) {
			struct tok nx;
			size_t j = i;
			while (j < len && !is_digit((unsigned char)s[j]) &&
			       !is_alpha((unsigned char)s[j]))
				j++;
			memset(&nx, 0, sizeof(nx));
			if (j < len && is_alpha((unsigned char)s[j]))
				tok_word(s, len, j, &nx);
			if (j >= len || (is_alpha((unsigned char)s[j]) && nx.cat != C_CARD &&
					 !(nx.cat == C_KEY &&
					   (nx.val == K_AM || nx.val == K_PM ||
					    nx.val == K_OCLOCK || nx.val == K_O || nx.val == K_P))))
				continue;
		}
		k->off = (uint32_t)st;
		k->end = (uint32_t)i;
		k->glued = st == prev_end;
		k->dash_before = prev_end != (size_t)-1 && st == prev_end + 1 && s[prev_end] == '-';
		prev_end = i;
		n++;
	}
	*stop = i;
	return n;
}

/* ---- what was said ------------------------------------------------------------ */

enum tspec { TS_NONE = 0, TS_POINT, TS_RANGE };

/* The components of one expression, merged as they are read. */
struct spec {
	bool has_day;
	int64_t d0;	  /* first local day (days since epoch) */
	int nd;		  /* number of days */
	bool day_is_wday; /* the day came from a weekday name alone */
	int wday;	  /* that weekday, or -1 */
	int wday_req;	  /* a weekday said alongside a date, or -1 */

	enum tspec ts; /* time of day */
	int t0, t1;    /* minutes after local midnight; t1 for ranges */
	bool bare;     /* hour without am/pm: a daypart may move it */

	bool has_part; /* daypart */
	int p0, p1;

	bool has_rel; /* "in 2 hours": a point relative to now */
	int64_t rel;
	bool has_abs; /* "in the next 2 hours": a window of instants */
	int64_t a0, a1;

	int open; /* 1: as soon as possible, 2: any time */
	enum va_when_pref pref;
	bool confirm, approx, invalid;
};

struct ctx {
	const struct tok *t;
	int n;
	const struct va_tz *tz;
	int64_t now, today; /* instant; local day */
	int y, m, d, wday;
	int depth; /* nesting of "the day after X" */
};

static void spec_init(struct spec *s)
{
	memset(s, 0, sizeof(*s));
	s->wday = -1;
	s->wday_req = -1;
}

static bool is_key(const struct ctx *c, int i, int key)
{
	return i >= 0 && i < c->n && c->t[i].kind == TK_WORD && c->t[i].cat == C_KEY &&
	       c->t[i].val == key;
}

static int cat_val(const struct ctx *c, int i, int cat)
{
	if (i < 0 || i >= c->n || c->t[i].kind != TK_WORD || c->t[i].cat != cat)
		return -1;
	return c->t[i].val;
}

static bool is_num(const struct ctx *c, int i)
{
	return i >= 0 && i < c->n && c->t[i].kind == TK_NUM;
}

static void set_day(struct spec *s, int64_t d0, int nd)
{
	s->has_day = true;
	s->d0 = d0;
	s->nd = nd;
}

static void set_part(struct spec *s, int p0, int p1)
{
	s->has_part = true;
	s->p0 = p0;
	s->p1 = p1;
}

static void set_range(struct spec *s, int t0, int t1)
{
	s->ts = TS_RANGE;
	s->t0 = t0;
	s->t1 = t1;
}

static int64_t days_of(int y, int m, int d)
{
	return va_civil_days_from_date(y, m, d);
}

static int wday_of(int64_t days)
{
	int64_t r = (days + 3) % 7;

	return (int)(r < 0 ? r + 7 : r);
}

/* ---- numbers -------------------------------------------------------------- */

/* A cardinal: digits (not an ordinal like "3rd") or words up to fifty-nine. */
static int card(const struct ctx *c, int i, int *v)
{
	int a, b;

	if (is_num(c, i)) {
		if (is_key(c, i + 1, K_SUFFIX) && c->t[i + 1].glued)
			return 0;
		*v = c->t[i].num;
		return 1;
	}
	if ((a = cat_val(c, i, C_CARD)) < 0)
		return 0;
	if (a >= 20 && (b = cat_val(c, i + 1, C_CARD)) >= 1 && b <= 9) {
		*v = a + b;
		return 2;
	}
	*v = a;
	return 1;
}

/* An ordinal: "14th", "fourteenth", "twenty-third". *weak for the words
 * first/second/third, which are as often a choice ("the second one"). */
static int ordinal(const struct ctx *c, int i, int *v, bool *weak)
{
	int a, b;

	*weak = false;
	if (is_num(c, i) && c->t[i].ndig <= 2 && is_key(c, i + 1, K_SUFFIX)) {
		*v = c->t[i].num;
		return 2;
	}
	if ((a = cat_val(c, i, C_CARD)) == 20 || a == 30) {
		if ((b = cat_val(c, i + 1, C_ORD)) >= 1 && b <= 9) {
			*v = a + b;
			return 2;
		}
		return 0;
	}
	if ((a = cat_val(c, i, C_ORD)) < 0)
		return 0;
	*v = a;
	*weak = c->t[i].weak;
	return 1;
}

/* A count: "2", "two", "a", "a couple of", "a few". */
static int quantity(const struct ctx *c, int i, int *v)
{
	int j = i, n;

	if (is_key(c, j, K_A) && !is_key(c, j + 1, K_COUPLE) && !is_key(c, j + 1, K_FEW)) {
		*v = 1;
		return 1;
	}
	if (is_key(c, j, K_A))
		j++;
	if (is_key(c, j, K_COUPLE)) {
		*v = 2;
		return j + 1 - i + is_key(c, j + 1, K_OF);
	}
	if (is_key(c, j, K_FEW)) {
		*v = 3;
		return j + 1 - i + is_key(c, j + 1, K_OF);
	}
	if (j != i || !(n = card(c, i, v)) || *v > 9999)
		return 0;
	return n;
}

/* ---- times of day ---------------------------------------------------------- */

static bool part_range(const struct ctx *c, int i, int *p0, int *p1);

struct tod {
	int min;     /* minutes after midnight (1440 = midnight at the end) */
	bool strong; /* unmistakably a time: "3pm", "9:30", "noon", "half past" */
	bool bare;   /* the hour rule chose am/pm */
	bool ish;    /* "3-ish", "3 or so" */
	bool pair;   /* hour and minute words: "two thirty" */
};

/* Hours said without am/pm: 1-6 are afternoon, 7-11 morning, 12 noon. */
static int bare_hour(int h)
{
	return h >= 1 && h <= 6 ? h + 12 : h;
}

/* am/pm after a time: returns tokens used, *pm = 0 am, 1 pm. */
static int meridiem(const struct ctx *c, int i, int *pm)
{
	if (is_key(c, i, K_AM) || is_key(c, i, K_PM)) {
		*pm = is_key(c, i, K_PM);
		return 1;
	}
	if ((is_key(c, i, K_A) || is_key(c, i, K_P)) && is_key(c, i + 1, K_M) &&
	    c->t[i + 1].off - c->t[i].end <= 2) {
		*pm = is_key(c, i, K_P);
		return 2;
	}
	return 0;
}

/* An hour 1-12 as digits or a word, for "half past two". */
static int hour12(const struct ctx *c, int i, int *h)
{
	int n = card(c, i, h);

	if (!n || *h < 1 || *h > 12 || (is_num(c, i) && c->t[i].ndig > 2))
		return 0;
	return n;
}

/* Minutes said as words after an hour word: "thirty", "forty five", "oh five". */
static int minute_words(const struct ctx *c, int i, int *mm)
{
	int n;

	if (is_key(c, i, K_O) && (*mm = cat_val(c, i + 1, C_CARD)) >= 1 && *mm <= 9)
		return 2;
	if (cat_val(c, i, C_CARD) < 10 || !(n = card(c, i, mm)) || *mm > 59)
		return 0;
	return n;
}

/* Reads the time itself at i (no "at"/"around"). 0 when there is none. */
static int tod_core(const struct ctx *c, int i, bool allow_to, struct tod *r)
{
	int j = i, h = -1, mm = 0, n, pm, v, m2 = 0;
	bool h24 = false;

	memset(r, 0, sizeof(*r));
	if (is_key(c, j, K_NOON) || is_key(c, j, K_MIDNIGHT)) {
		r->min = is_key(c, j, K_NOON) ? 720 : 1440;
		r->strong = true;
		return 1;
	}
	if ((is_key(c, j, K_HALF) || is_key(c, j, K_QUARTER)) &&
	    (is_key(c, j + 1, K_PAST) || is_key(c, j + 1, K_AFTER) ||
	     (is_key(c, j, K_QUARTER) &&
	      (is_key(c, j + 1, K_TO) || is_key(c, j + 1, K_OF) || is_key(c, j + 1, K_TILL))))) {
		int delta = is_key(c, j, K_HALF) ? 30 : 15;

		if (!is_key(c, j + 1, K_PAST) && !is_key(c, j + 1, K_AFTER))
			delta = -15;
		if (!(n = hour12(c, j + 2, &h)))
			return 0;
		j += 2 + n;
		r->strong = true;
		m2 = delta;
		goto suffix;
	}
	/* "ten past three", "twenty to four" */
	if ((n = card(c, j, &v)) && v >= 1 && v <= 29) {
		int k = j + n + is_key(c, j + n, K_MINUTE);
		bool past = is_key(c, k, K_PAST) || is_key(c, k, K_AFTER);
		bool to = allow_to && !is_num(c, j) && (v == 5 || v == 10 || v == 20 || v == 25) &&
			  (is_key(c, k, K_TO) || is_key(c, k, K_TILL) || is_key(c, k, K_OF));
		int hn;

		if ((past || to) && (hn = hour12(c, k + 1, &h))) {
			j = k + 1 + hn;
			m2 = past ? v : -v;
			r->strong = true;
			goto suffix;
		}
	}
	if (j >= c->n)
		return 0;
	if (c->t[j].kind == TK_HHMM) {
		h = c->t[j].num;
		mm = c->t[j].v1;
		h24 = c->t[j].ndig == 2 && h < 10;
		if (h > 24 || mm > 59 || (h == 24 && mm))
			return 0;
		r->strong = true;
		j++;
	} else if (is_num(c, j) && !(is_key(c, j + 1, K_SUFFIX) && c->t[j + 1].glued)) {
		int v0 = c->t[j].num, nd = c->t[j].ndig;

		if (nd <= 2) {
			h = v0;
			h24 = nd == 2 && h < 10;
		} else if (nd <= 4 && meridiem(c, j + 1, &pm)) {
			h = v0 / 100; /* "930am"; without am/pm it is as likely a phone number */
			mm = v0 % 100;
			if (mm > 59)
				return 0;
		} else {
			return 0;
		}
		if (h > 23)
			return 0;
		j++;
	} else if ((n = card(c, j, &h)) == 1 && h <= 12 && !is_num(c, j)) {
		j++;
		if ((n = minute_words(c, j, &mm))) {
			j += n;
			r->pair = true; /* "two thirty" */
		}
	} else {
		return 0;
	}
	if ((n = meridiem(c, j, &pm))) {
		if (h < 1 || h > 12)
			return 0;
		h = pm ? (h % 12) + 12 : h % 12;
		j += n;
		r->strong = true;
		r->min = h * 60 + mm;
		goto ish;
	}
	if (is_key(c, j, K_OCLOCK) || (is_key(c, j, K_O) && is_key(c, j + 1, K_CLOCK))) {
		j += is_key(c, j, K_OCLOCK) ? 1 : 2;
		r->strong = true;
	}
	if (is_key(c, j, K_NOON) && h == 12) {
		j++;
		r->strong = true;
	}
	if (!h24 && h >= 1 && h <= 12) {
		r->bare = true;
		h = bare_hour(h);
	}
	r->min = h * 60 + mm;
	goto ish;
suffix:
	if ((n = meridiem(c, j, &pm))) {
		h = pm ? (h % 12) + 12 : h % 12;
		j += n;
	} else {
		r->bare = true;
		h = bare_hour(h);
	}
	r->min = h * 60 + m2;
ish:
	if (is_key(c, j, K_ISH)) {
		r->ish = true;
		r->strong = true;
		j++;
	} else if (is_key(c, j, K_OR) && is_key(c, j + 1, K_SO)) {
		r->ish = true;
		j += 2;
	}
	return j - i;
}

/* Whether a day or daypart word starts at i ("two thirty tomorrow"). */
static bool dayish(const struct ctx *c, int i)
{
	int p0, p1;

	if (is_key(c, i, K_ON) || is_key(c, i, K_IN) || is_key(c, i, K_THIS))
		i++;
	if (is_key(c, i, K_THE))
		i++;
	return is_key(c, i, K_TODAY) || is_key(c, i, K_TOMORROW) || is_key(c, i, K_TONIGHT) ||
	       is_key(c, i, K_NEXT) || (cat_val(c, i, C_WDAY) >= 0 && !c->t[i].weak) ||
	       part_range(c, i, &p0, &p1);
}

/* "in the evening", "this afternoon", "at night" at i. */
static bool part_follows(const struct ctx *c, int i)
{
	int p0, p1;

	if (is_key(c, i, K_IN) && is_key(c, i + 1, K_THE))
		return part_range(c, i + 2, &p0, &p1) && !is_key(c, i + 2, K_LUNCH);
	return (is_key(c, i, K_THIS) || is_key(c, i, K_AT)) && part_range(c, i + 1, &p0, &p1) &&
	       !is_key(c, i + 1, K_LUNCH);
}

/* A time with what introduces it: "at 3", "around 3", "after 3",
 * "between 2 and 4", "from 2 to 4", "before noon", "3pm", "2:30". */
static int comp_time(const struct ctx *c, int i, const struct spec *g, struct spec *s)
{
	struct tod a, b;
	int n, m, j = i;

	if (is_key(c, j, K_BETWEEN) || is_key(c, j, K_FROM)) {
		bool between = is_key(c, j, K_BETWEEN);

		if (!(n = tod_core(c, j + 1, false, &a)) || a.min < 0)
			return 0;
		j += 1 + n;
		if (!(between ? is_key(c, j, K_AND) : (is_key(c, j, K_TO) || is_key(c, j, K_TILL))))
			return 0;
		if (!(m = tod_core(c, j + 1, false, &b)) || b.min < 0)
			return 0;
		if (b.min <= a.min && b.bare && b.min < 720)
			b.min += 720;
		if (a.bare && !b.bare && b.min >= 720 && a.min < 720 && a.min + 720 < b.min)
			a.min += 720; /* "from 2 to 4pm" */
		if (b.min <= a.min)
			return 0;
		set_range(s, a.min, b.min);
		return j + 1 + m - i;
	}
	if (is_key(c, j, K_AFTER) || is_key(c, j, K_BEFORE) || is_key(c, j, K_BY) ||
	    is_key(c, j, K_TILL)) {
		bool after = is_key(c, j, K_AFTER);
		int t;

		if (is_key(c, j + 1, K_LUNCH))
			t = after ? 780 : 720, n = 1;
		else if (is_key(c, j + 1, K_WORK))
			t = after ? 1020 : 540, n = 1;
		else if (is_key(c, j + 1, K_SCHOOL))
			t = after ? 900 : 480, n = 1;
		else if ((n = tod_core(c, j + 1, true, &a)) && a.min >= 0)
			t = a.min;
		else
			return 0;
		if (after && t < 1440)
			set_range(s, t, 1440);
		else if (!after && t > 0)
			set_range(s, 0, t);
		else
			return 0;
		return 1 + n;
	}
	if (is_key(c, j, K_AT) && is_key(c, j + 1, K_AROUND))
		j++;
	if (is_key(c, j, K_AT) || is_key(c, j, K_AROUND)) {
		bool around = is_key(c, j, K_AROUND);

		if (!(n = tod_core(c, j + 1, true, &a)) || a.min < 0)
			return 0;
		/* "call me at 5 5 5 1 2 3 4" */
		if (!a.strong && is_num(c, j + 1 + n))
			return 0;
		j += 1 + n;
		if (around || a.ish) {
			set_range(s, a.min - 30, a.min + 30);
			s->pref = VA_WHEN_PREF_CLOSEST;
		} else {
			s->ts = TS_POINT;
			s->t0 = a.min;
			s->bare = a.bare;
		}
		return j - i;
	}
	if (!(n = tod_core(c, j, true, &a)) || a.min < 0)
		return 0;
	j += n;
	/* "2-4pm", "2 to 4pm": the second time vouches for the first */
	if (!a.strong && j < c->n && (c->t[j].dash_before || is_key(c, j, K_TO)) &&
	    (m = tod_core(c, j + is_key(c, j, K_TO), false, &b)) && b.strong && b.min > 720 &&
	    a.bare && a.min - 720 < b.min) {
		if (a.min > b.min)
			a.min -= 720;
		else if (a.min < 720 && a.min + 720 < b.min)
			a.min += 720; /* "8-10pm" */
		if (a.min >= b.min)
			return 0;
		set_range(s, a.min, b.min);
		return j + is_key(c, j, K_TO) + m - i;
	}
	/* A bare number is only a time when something says so: "I have 3 kids".
	 * "two thirty" is one next to a day ("Thursday two thirty"), and any hour
	 * is before "in the evening". */
	if (!a.strong && !(a.pair && (g->has_day || g->has_part || dayish(c, j))) &&
	    !part_follows(c, j))
		return 0;
	if ((is_key(c, j, K_TO) || is_key(c, j, K_TILL) ||
	     (j < c->n && c->t[j].dash_before && c->t[j].kind != TK_WORD)) &&
	    (m = tod_core(c, j + (c->t[j].kind == TK_WORD), false, &b)) && b.min > a.min &&
	    (a.strong || b.strong)) {
		set_range(s, a.min, b.min);
		return j + (c->t[j].kind == TK_WORD) + m - i;
	}
	if (j < c->n && c->t[j].dash_before && c->t[j].kind != TK_WORD &&
	    (m = tod_core(c, j, false, &b)) && b.strong && b.min >= 720 && a.bare && a.min < 720) {
		/* "10-2pm" */
		set_range(s, a.min, b.min);
		return j + m - i;
	}
	if (a.ish) {
		set_range(s, a.min - 30, a.min + 30);
		s->pref = VA_WHEN_PREF_CLOSEST;
	} else {
		s->ts = TS_POINT;
		s->t0 = a.min;
		s->bare = a.bare;
	}
	return j - i;
}

/* ---- dayparts ------------------------------------------------------------------ */

static bool part_range(const struct ctx *c, int i, int *p0, int *p1)
{
	if (is_key(c, i, K_MORNING))
		*p0 = 480, *p1 = 720;
	else if (is_key(c, i, K_AFTERNOON))
		*p0 = 720, *p1 = 1020;
	else if (is_key(c, i, K_EVENING) || is_key(c, i, K_NIGHT))
		*p0 = 1020, *p1 = 1200;
	else if (is_key(c, i, K_LUNCH))
		*p0 = 720, *p1 = 780;
	else
		return false;
	return true;
}

/* "afternoon", "early morning", "this evening", "tonight", "first thing",
 * "end of day". */
static int comp_part(const struct ctx *c, int i, struct spec *s)
{
	int j = i, p0, p1, mod = 0;

	if (cat_val(c, j, C_ORD) == 1 && c->t[j].kind == TK_WORD && is_key(c, j + 1, K_THING)) {
		set_part(s, 480, 720);
		s->pref = VA_WHEN_PREF_EARLIEST;
		return 2;
	}
	if (is_key(c, j, K_LAST) && is_key(c, j + 1, K_THING)) {
		set_part(s, 900, 1020);
		s->pref = VA_WHEN_PREF_LATEST;
		return 2;
	}
	if (is_key(c, j, K_EOD)) {
		set_part(s, 900, 1020);
		s->pref = VA_WHEN_PREF_LATEST;
		return 1;
	}
	if (is_key(c, j, K_THE))
		j++;
	if ((is_key(c, j, K_END) || is_key(c, j, K_CLOSE)) && is_key(c, j + 1, K_OF)) {
		int k = j + 2 + is_key(c, j + 2, K_THE);

		if (is_key(c, k, K_DAY) || is_key(c, k, K_BUSINESS)) {
			set_part(s, 900, 1020);
			s->pref = VA_WHEN_PREF_LATEST;
			return k + 1 - i;
		}
		return 0;
	}
	j = i;
	if (is_key(c, j, K_LAST) && is_key(c, j + 1, K_NIGHT)) {
		/* "it broke last night": yesterday evening, in the past. */
		set_part(s, 1020, 1200);
		set_day(s, c->today - 1, 1);
		return 2;
	}
	if (is_key(c, j, K_TONIGHT)) {
		set_part(s, 1020, 1200);
		set_day(s, c->today, 1);
		return 1;
	}
	if (is_key(c, j, K_ANY))
		j++;
	if (is_key(c, j, K_THIS) && part_range(c, j + 1, &p0, &p1))
		set_day(s, c->today, 1), j++;
	if (is_key(c, j, K_EARLY))
		mod = 1, j++;
	else if (is_key(c, j, K_MID))
		mod = 2, j++;
	else if (is_key(c, j, K_LATE))
		mod = 3, j++;
	if (!part_range(c, j, &p0, &p1))
		return 0;
	if (mod && !is_key(c, j, K_LUNCH)) {
		int half = (p0 + p1) / 2, q = (p1 - p0) / 4;

		if (mod == 1)
			p1 = half;
		else if (mod == 2)
			p0 += q, p1 -= q;
		else
			p0 = half;
	}
	set_part(s, p0, p1);
	return j + 1 - i;
}

/* ---- days ------------------------------------------------------------------------- */

/* The next day-of-month dom on or after today, skipping months without it. */
static bool next_dom(const struct ctx *c, int dom, int64_t *out)
{
	int y = c->y, m = c->m, k;

	if (dom < 1 || dom > 31)
		return false;
	for (k = 0; k < 14; k++) {
		if (dom <= va_civil_days_in_month(y, m) && (k > 0 || dom >= c->d)) {
			*out = days_of(y, m, dom);
			return true;
		}
		if (++m > 12)
			m = 1, y++;
	}
	return false;
}

/* Month and day, with a year or the next time it comes round. */
static void month_day(const struct ctx *c, int m, int d, int year, struct spec *s)
{
	int y = c->y, k;

	if (year >= 0) {
		if (d < 1 || d > va_civil_days_in_month(year, m)) {
			s->invalid = true;
			return;
		}
		set_day(s, days_of(year, m, d), 1);
		return;
	}
	if (d < 1 || d > va_civil_days_in_month(2000, m)) {
		s->invalid = true; /* "February 30th" */
		return;
	}
	if (m < c->m || (m == c->m && d < c->d))
		y++;
	for (k = 0; k < 8 && d > va_civil_days_in_month(y, m); k++)
		y++; /* February 29th: the next leap year */
	set_day(s, days_of(y, m, d), 1);
}

static int year_after(const struct ctx *c, int i, int *year)
{
	if (is_num(c, i) && c->t[i].ndig == 4 && c->t[i].num >= 1900 && c->t[i].num <= 2199) {
		*year = c->t[i].num;
		return 1;
	}
	*year = -1;
	return 0;
}

/* The year of the next time month m comes round (this month counts). */
static int month_year(const struct ctx *c, int m)
{
	return m >= c->m ? c->y : c->y + 1;
}

/* n-th (1-5, or -1 for last) weekday w of month m in year y; false if none. */
static bool nth_weekday(int y, int m, int n, int w, int64_t *out)
{
	int64_t first = days_of(y, m, 1);
	int dim = va_civil_days_in_month(y, m), day;

	if (n < 0) {
		int64_t last = first + dim - 1;

		*out = last - ((wday_of(last) - w + 7) % 7);
		return true;
	}
	day = 1 + (w - wday_of(first) + 7) % 7 + (n - 1) * 7;
	if (day > dim)
		return false;
	*out = first + day - 1;
	return true;
}

/* "the 14th", "December 3rd", "3rd of December", "14 December", "12/3",
 * "the second Tuesday in December". */
static int comp_date(const struct ctx *c, int i, const struct spec *g, struct spec *s)
{
	int j = i, n, v, m, year, w;
	bool weak, the = false;

	if (is_key(c, j, K_THE))
		j++, the = true;
	/* nth weekday of a month */
	if (((n = ordinal(c, j, &v, &weak)) && v >= 1 && v <= 5) || is_key(c, j, K_LAST)) {
		int k, nth = n ? v : -1, y, mo;
		bool by_name = false;
		int64_t day;

		k = j + (n ? n : 1);
		if ((w = cat_val(c, k, C_WDAY)) >= 0 &&
		    (is_key(c, k + 1, K_IN) || is_key(c, k + 1, K_OF))) {
			k += 2;
			if ((mo = cat_val(c, k, C_MONTH)) > 0) {
				y = month_year(c, mo);
				k++;
				by_name = true;
				if (year_after(c, k, &year))
					y = year, k++, by_name = false;
			} else if ((is_key(c, k, K_NEXT) || is_key(c, k, K_THIS) ||
				    is_key(c, k, K_THE)) &&
				   is_key(c, k + 1, K_MONTH)) {
				y = c->y;
				mo = c->m + is_key(c, k, K_NEXT);
				if (mo > 12)
					mo = 1, y++;
				k += 2;
			} else {
				return 0;
			}
			if (!nth_weekday(y, mo, nth, w, &day)) {
				s->invalid = true; /* "the fifth Monday in February" */
				return k - i;
			}
			/* "the first Monday in November" said on the 23rd: next year's */
			if (day < c->today && by_name && !nth_weekday(y + 1, mo, nth, w, &day))
				return 0;
			set_day(s, day, 1);
			return k - i;
		}
	}
	j = i + the;
	if ((n = ordinal(c, j, &v, &weak))) {
		int k = j + n;

		if (is_key(c, k, K_OF) && (m = cat_val(c, k + 1, C_MONTH)) > 0) {
			k += 2;
			k += year_after(c, k, &year);
			month_day(c, m, v, year, s);
			return k - i;
		}
		if ((m = cat_val(c, k, C_MONTH)) > 0) {
			k++;
			k += year_after(c, k, &year);
			month_day(c, m, v, year, s);
			return k - i;
		}
		/* A bare ordinal word needs "the" and, for first-third, a context
		 * that makes it a date: "on the second", "Thursday the third". */
		if (c->t[j].kind == TK_WORD && !the && !is_key(c, i - 1, K_ON))
			return 0;
		if (weak && !is_key(c, i - 1, K_ON) && !g->has_day && !g->has_part)
			return 0;
		if (c->t[j].kind == TK_WORD &&
		    (cat_val(c, k, C_CARD) == 1 || is_key(c, k, K_OPENING)))
			return 0; /* "the fourth one": a choice among offered times */
		if (v > 31)
			return 0;
		if (!next_dom(c, v, &s->d0))
			return 0;
		set_day(s, s->d0, 1);
		return k - i;
	}
	if (the)
		return 0;
	if ((m = cat_val(c, j, C_MONTH)) > 0) {
		int k = j + 1 + is_key(c, j + 1, K_THE), v2, pm;

		if ((n = ordinal(c, k, &v, &weak)) ||
		    ((n = card(c, k, &v)) && (!c->t[j].weak || is_num(c, k)) && v >= 1)) {
			if (v > 31 || (is_num(c, k) && c->t[k].ndig > 2))
				return 0;
			/* "may 3pm work?" is a time, not May 3 */
			if (card(c, k, &v2) &&
			    (meridiem(c, k + n, &pm) || is_key(c, k + n, K_OCLOCK)))
				return 0;
			k += n;
			k += year_after(c, k, &year);
			month_day(c, m, v, year, s);
			return k - i;
		}
		return 0;
	}
	if (is_num(c, j) && c->t[j].ndig <= 2 && (m = cat_val(c, j + 1, C_MONTH)) > 0 &&
	    !c->t[j + 1].weak) {
		int k = j + 2;

		v = c->t[j].num;
		if (v < 1 || v > 31)
			return 0;
		k += year_after(c, k, &year);
		month_day(c, m, v, year, s);
		return k - i;
	}
	if (j < c->n && c->t[j].kind == TK_MD) {
		m = c->t[j].num;
		v = c->t[j].v1;
		if (m < 1 || m > 12 || v < 1 || v > 31)
			return 0;
		month_day(c, m, v, c->t[j].v2, s);
		return 1;
	}
	return 0;
}

/* Easter Sunday (anonymous Gregorian algorithm). */
static int64_t easter(int y)
{
	int a = y % 19, b = y / 100, cc = y % 100, d = b / 4, e = b % 4;
	int f = (b + 8) / 25, g = (b - f + 1) / 3, h = (19 * a + b - d - g + 15) % 30;
	int i = cc / 4, k = cc % 4, l = (32 + 2 * e + 2 * i - h - k) % 7;
	int m = (a + 11 * h + 22 * l) / 451;
	int mo = (h + l - 7 * m + 114) / 31, da = (h + l - 7 * m + 114) % 31 + 1;

	return days_of(y, mo, da);
}

enum holiday {
	H_NEWYEAR = 1,
	H_NEWYEAREVE,
	H_MLK,
	H_VALENTINE,
	H_PRESIDENTS,
	H_EASTER,
	H_EASTERMON,
	H_MEMORIAL,
	H_JUNETEENTH,
	H_JULY4,
	H_LABOR,
	H_HALLOWEEN,
	H_VETERANS,
	H_THANKSGIVING,
	H_XMASEVE,
	H_XMAS,
};

static int64_t holiday_day(int h, int y)
{
	int64_t d = 0;

	switch (h) {
	case H_NEWYEAR:
		return days_of(y, 1, 1);
	case H_NEWYEAREVE:
		return days_of(y, 12, 31);
	case H_VALENTINE:
		return days_of(y, 2, 14);
	case H_PRESIDENTS:
		nth_weekday(y, 2, 3, 0, &d);
		return d;
	case H_EASTER:
		return easter(y);
	case H_EASTERMON:
		return easter(y) + 1;
	case H_MEMORIAL:
		nth_weekday(y, 5, -1, 0, &d);
		return d;
	case H_JUNETEENTH:
		return days_of(y, 6, 19);
	case H_JULY4:
		return days_of(y, 7, 4);
	case H_LABOR:
		nth_weekday(y, 9, 1, 0, &d);
		return d;
	case H_HALLOWEEN:
		return days_of(y, 10, 31);
	case H_VETERANS:
		return days_of(y, 11, 11);
	case H_THANKSGIVING:
		nth_weekday(y, 11, 4, 3, &d);
		return d;
	case H_XMASEVE:
		return days_of(y, 12, 24);
	case H_XMAS:
		return days_of(y, 12, 25);
	default:
		nth_weekday(y, 1, 3, 0, &d); /* H_MLK */
		return d;
	}
}

/* US holidays: the next time each comes round (today included). */
static int comp_holiday(const struct ctx *c, int i, struct spec *s)
{
	int j = i + is_key(c, i, K_THE), h = 0, n = 1;
	int64_t d;

	if (is_key(c, j, K_THANKSGIVING))
		h = H_THANKSGIVING, n += is_key(c, j + 1, K_DAY);
	else if (is_key(c, j, K_CHRISTMAS)) {
		h = is_key(c, j + 1, K_EVE) ? H_XMASEVE : H_XMAS;
		n += is_key(c, j + 1, K_EVE) || is_key(c, j + 1, K_DAY);
	} else if (is_key(c, j, K_NEW) && is_key(c, j + 1, K_YEAR)) {
		h = is_key(c, j + 2, K_EVE) ? H_NEWYEAREVE : H_NEWYEAR;
		n += 1 + (is_key(c, j + 2, K_EVE) || is_key(c, j + 2, K_DAY));
	} else if (is_key(c, j, K_INDEPENDENCE) && is_key(c, j + 1, K_DAY))
		h = H_JULY4, n++;
	else if (is_key(c, j, K_MEMORIAL) && is_key(c, j + 1, K_DAY))
		h = H_MEMORIAL, n++;
	else if (is_key(c, j, K_LABOR) && is_key(c, j + 1, K_DAY))
		h = H_LABOR, n++;
	else if (is_key(c, j, K_VETERANS) && is_key(c, j + 1, K_DAY))
		h = H_VETERANS, n++;
	else if (is_key(c, j, K_PRESIDENTS) && is_key(c, j + 1, K_DAY))
		h = H_PRESIDENTS, n++;
	else if (is_key(c, j, K_HALLOWEEN))
		h = H_HALLOWEEN;
	else if (is_key(c, j, K_JUNETEENTH))
		h = H_JUNETEENTH;
	else if (is_key(c, j, K_VALENTINES) && is_key(c, j + 1, K_DAY))
		h = H_VALENTINE, n++;
	else if (is_key(c, j, K_EASTER)) {
		h = cat_val(c, j + 1, C_WDAY) == 0 ? H_EASTERMON : H_EASTER;
		n += cat_val(c, j + 1, C_WDAY) == 0 || cat_val(c, j + 1, C_WDAY) == 6;
	}
	if (!h)
		return 0;
	d = holiday_day(h, c->y);
	if (d < c->today)
		d = holiday_day(h, c->y + 1);
	set_day(s, d, 1);
	return j - i + n;
}

/* Whether a weak weekday abbreviation ("sat", "wed") stands in a date. */
static bool wday_context(const struct ctx *c, int i)
{
	const struct tok *k = i + 1 < c->n ? &c->t[i + 1] : NULL;
	int p0, p1;

	if (is_key(c, i - 1, K_ON) || is_key(c, i - 1, K_BY) || is_key(c, i - 1, K_TILL) ||
	    is_key(c, i - 1, K_THIS) || is_key(c, i - 1, K_NEXT) || is_key(c, i - 1, K_LAST) ||
	    is_key(c, i - 1, K_COMING) || is_key(c, i - 1, K_OR) || is_key(c, i - 1, K_AND))
		return true;
	if (!k)
		return false;
	/* "sat at the desk" is not Saturday, "sat the 5th" and "wed 9:30" are */
	return k->kind == TK_HHMM || k->kind == TK_MD ||
	       (k->kind == TK_NUM && is_key(c, i + 2, K_SUFFIX)) ||
	       part_range(c, i + 1, &p0, &p1) ||
	       (is_key(c, i + 1, K_THE) && i + 2 < c->n && c->t[i + 2].kind == TK_NUM) ||
	       is_key(c, i + 1, K_NOON) || (cat_val(c, i + 1, C_MONTH) > 0 && !k->weak);
}

/* Monday of the week holding day d. */
static int64_t week_start(int64_t d)
{
	return d - wday_of(d);
}

/* "Tuesday", "this Tuesday", "next Tuesday", "last Tuesday", "Tuesday next
 * week", "Wednesday or Thursday". */
static int comp_weekday(const struct ctx *c, int i, struct spec *s)
{
	int j = i, w, w2, mode = 0; /* 0 bare, 1 this, 2 next, 3 last, 4 coming */
	int64_t d, d2;

	if (is_key(c, j, K_THIS) && is_key(c, j + 1, K_COMING))
		mode = 4, j += 2;
	else if (is_key(c, j, K_THIS) && is_key(c, j + 1, K_PAST))
		mode = 3, j += 2;
	else if (is_key(c, j, K_THIS))
		mode = 1, j++;
	else if (is_key(c, j, K_NEXT))
		mode = 2, j++;
	else if (is_key(c, j, K_LAST))
		mode = 3, j++;
	else if (is_key(c, j, K_COMING))
		mode = 4, j++;
	if ((w = cat_val(c, j, C_WDAY)) < 0)
		return 0;
	if (c->t[j].weak && !wday_context(c, j))
		return 0;
	j++;
	/* "Tuesday next week", "Tuesday this week" */
	if (mode == 0 && (is_key(c, j, K_NEXT) || is_key(c, j, K_THIS)) &&
	    is_key(c, j + 1, K_WEEK)) {
		d = week_start(c->today) + w + (is_key(c, j, K_NEXT) ? 7 : 0);
		j += 2;
		set_day(s, d, 1);
		return j - i;
	}
	switch (mode) {
	case 1:
		d = week_start(c->today) + w;
		if (d < c->today) {
			d += 7; /* a day of this week already gone: they likely mean the next */
			s->confirm = true;
		}
		break;
	case 2:
		d = week_start(c->today) + 7 + w;
		s->confirm = true;
		break;
	case 3:
		d = c->today - ((c->wday - w + 7) % 7 ? (c->wday - w + 7) % 7 : 7);
		break;
	default:
		d = c->today + ((w - c->wday + 7) % 7 ? (w - c->wday + 7) % 7 : 7);
		if (mode == 0 && w == c->wday)
			s->confirm = true; /* "Monday" on a Monday */
		break;
	}
	set_day(s, d, 1);
	s->day_is_wday = true;
	s->wday = w;
	if ((is_key(c, j, K_OR) || is_key(c, j, K_AND)) && (w2 = cat_val(c, j + 1, C_WDAY)) >= 0) {
		d2 = d + ((w2 - w + 7) % 7);
		if (d2 == d + 1) {
			s->nd = 2;
		} else if (d2 == d + 6) {
			s->d0 = d - 1;
			s->nd = 2;
		} else {
			s->confirm = true; /* not adjacent: take the first, read it back */
		}
		s->day_is_wday = false;
		j += 2;
	}
	return j - i;
}

static int comp_day(const struct ctx *c, int i, const struct spec *g, struct spec *s);

/* "today", "tomorrow", "yesterday", "the day after tomorrow", "the day
 * before Christmas". */
static int comp_relday(const struct ctx *c, int i, const struct spec *g, struct spec *s)
{
	int j = i, n, dir;

	if (is_key(c, j, K_TODAY)) {
		set_day(s, c->today, 1);
		return 1;
	}
	if (is_key(c, j, K_TOMORROW)) {
		set_day(s, c->today + 1, 1);
		return 1;
	}
	if (is_key(c, j, K_YESTERDAY)) {
		set_day(s, c->today - 1, 1);
		return 1;
	}
	if (is_key(c, j, K_THE))
		j++;
	if (!is_key(c, j, K_DAY) || !(is_key(c, j + 1, K_AFTER) || is_key(c, j + 1, K_BEFORE)))
		return 0;
	dir = is_key(c, j + 1, K_AFTER) ? 1 : -1;
	j += 2;
	if (c->depth > 2)
		return 0;
	{
		struct ctx sub = *c;
		struct spec x;

		sub.depth++;
		spec_init(&x);
		if (!(n = comp_day(&sub, j, g, &x)) || !x.has_day || x.nd != 1)
			return 0;
		*s = x;
		s->d0 += dir;
		s->day_is_wday = false;
	}
	return j + n - i;
}

/* Unit words for relative dates: days per unit, or 0 for months; seconds
 * for hours and minutes. */
static bool unit_of(const struct ctx *c, int i, int *days, int *secs, int *months)
{
	*days = *secs = *months = 0;
	if (is_key(c, i, K_DAY))
		*days = 1;
	else if (is_key(c, i, K_WEEK))
		*days = 7;
	else if (is_key(c, i, K_FORTNIGHT))
		*days = 14;
	else if (is_key(c, i, K_MONTH))
		*months = 1;
	else if (is_key(c, i, K_YEAR))
		*months = 12;
	else if (is_key(c, i, K_HOUR))
		*secs = 3600;
	else if (is_key(c, i, K_MINUTE))
		*secs = 60;
	else
		return false;
	return true;
}

static int64_t add_months(const struct ctx *c, int64_t n)
{
	int64_t mi = (int64_t)c->y * 12 + (c->m - 1) + n;
	int y = (int)(mi / 12), m = (int)(mi % 12) + 1;
	int dim = va_civil_days_in_month(y, m);

	return days_of(y, m, c->d < dim ? c->d : dim);
}

/* "in two weeks", "in 2 hours", "in half an hour", "in the next couple of
 * days", "within a week", "a week from Tuesday", "three days from now". */
static int comp_relative(const struct ctx *c, int i, const struct spec *g, struct spec *s)
{
	int j = i, n, q, days, secs, months;
	bool in = false, next = false;

	if (is_key(c, j, K_IN) || is_key(c, j, K_WITHIN)) {
		in = true;
		next = is_key(c, j, K_WITHIN);
		j++;
	}
	if (is_key(c, j, K_THE) && is_key(c, j + 1, K_NEXT))
		j += 2, next = true;
	else if (in && is_key(c, j, K_NEXT))
		j++, next = true;
	if (in && ((is_key(c, j, K_HALF) && is_key(c, j + 1, K_A) && is_key(c, j + 2, K_HOUR)) ||
		   (is_key(c, j, K_A) && is_key(c, j + 1, K_HALF) && is_key(c, j + 2, K_HOUR)))) {
		if (next) {
			s->has_abs = true;
			s->a0 = c->now;
			s->a1 = c->now + 1800;
		} else {
			s->has_rel = true;
			s->rel = 1800;
		}
		return j + 3 - i;
	}
	if (next && unit_of(c, j, &days, &secs, &months)) {
		q = 1; /* "in the next week" */
		n = 0;
	} else if (!(n = quantity(c, j, &q)) || !unit_of(c, j + n, &days, &secs, &months)) {
		return 0;
	}
	j += n + 1;
	if (!in && !next) {
		/* "three days from now", "a week from Tuesday" */
		struct spec x;
		int m;

		if (!is_key(c, j, K_FROM) || secs)
			return 0;
		if (is_key(c, j + 1, K_NOW) || is_key(c, j + 1, K_TODAY)) {
			j += 2;
		} else {
			spec_init(&x);
			if (!(m = comp_day(c, j + 1, g, &x)) || !x.has_day || x.nd != 1)
				return 0;
			if (months)
				return 0;
			*s = x;
			s->d0 += (int64_t)q * days;
			s->day_is_wday = false;
			return j + 1 + m - i;
		}
	}
	if (next) {
		if (secs) {
			s->has_abs = true;
			s->a0 = c->now;
			s->a1 = c->now + (int64_t)q * secs;
		} else if (months) {
			set_day(s, c->today,
				(int)(add_months(c, (int64_t)q * months) - c->today + 1));
		} else {
			set_day(s, c->today, q * days + 1);
		}
		return j - i;
	}
	if (secs) {
		s->has_rel = true;
		s->rel = (int64_t)q * secs;
		return j - i;
	}
	set_day(s, months ? add_months(c, (int64_t)q * months) : c->today + (int64_t)q * days, 1);
	s->approx = true;
	return j - i;
}

/* Days [a, b) of the month that starts on day first (dim days long) for a
 * part: 1 early, 2 mid, 3 late/end, 0 whole. */
static void month_part(struct spec *s, int64_t first, int dim, int part)
{
	if (part == 1)
		set_day(s, first, 10);
	else if (part == 2)
		set_day(s, first + 10, 10);
	else if (part == 3)
		set_day(s, first + 20, dim - 20);
	else
		set_day(s, first, dim);
}

/* "next week", "this week", "later this week", "the week after next",
 * "next weekend", "early next month", "end of the month", "in December". */
static int comp_span(const struct ctx *c, int i, struct spec *s)
{
	int j = i, part = 0, m, y, k;
	int64_t ws = week_start(c->today);

	if (is_key(c, j, K_THE) && is_key(c, j + 1, K_WEEK) && is_key(c, j + 2, K_AFTER) &&
	    is_key(c, j + 3, K_NEXT)) {
		set_day(s, ws + 14, 7);
		return 4;
	}
	if (is_key(c, j, K_LATER) && (is_key(c, j + 1, K_THIS) || is_key(c, j + 1, K_IN)) &&
	    is_key(c, j + 1 + (is_key(c, j + 1, K_IN) ? 2 : 1), K_WEEK)) {
		k = j + 2 + is_key(c, j + 1, K_IN);
		if (is_key(c, j + 1, K_IN) && !is_key(c, j + 2, K_THE))
			return 0;
		if (c->today + 1 < ws + 7)
			set_day(s, c->today + 1, (int)(ws + 7 - c->today - 1));
		else
			set_day(s, c->today, 1);
		return k + 1 - i;
	}
	if (is_key(c, j, K_THE))
		j++;
	if (is_key(c, j, K_EARLY))
		part = 1, j++;
	else if (is_key(c, j, K_MID))
		part = 2, j++;
	else if (is_key(c, j, K_LATE))
		part = 3, j++;
	else if ((is_key(c, j, K_BEGINNING) || is_key(c, j, K_END)) && is_key(c, j + 1, K_OF))
		part = is_key(c, j, K_END) ? 3 : 1, j += 2;
	else if (is_key(c, j, K_MID) && is_key(c, j + 1, K_OF))
		part = 2, j += 2;
	if (part && is_key(c, j, K_OF))
		j++; /* "middle of" */
	if (part && is_key(c, j, K_THE) && !is_key(c, j + 1, K_MONTH) && !is_key(c, j + 1, K_WEEK))
		return 0;
	/* weeks */
	k = j;
	if (is_key(c, k, K_THE) || is_key(c, k, K_THIS) || is_key(c, k, K_NEXT) ||
	    is_key(c, k, K_LAST) || is_key(c, k, K_FOLLOWING) ||
	    (is_key(c, k, K_THE) && is_key(c, k + 1, K_FOLLOWING)))
		k += 1 + (is_key(c, k, K_THE) && is_key(c, k + 1, K_FOLLOWING));
	if (is_key(c, k, K_WEEK) && k > j) {
		int64_t w0 = ws;
		int w;

		if (is_key(c, k - 1, K_NEXT) || is_key(c, k - 1, K_FOLLOWING))
			w0 += 7;
		else if (is_key(c, k - 1, K_LAST))
			w0 -= 7;
		else if (is_key(c, k - 1, K_THE) && !part)
			return 0; /* "the week" on its own */
		k++;
		if (part == 1)
			set_day(s, w0, 3);
		else if (part == 2)
			set_day(s, w0 + 2, 2);
		else if (part == 3)
			set_day(s, w0 + 3, 4);
		else
			set_day(s, w0, 7);
		if (!part && w0 > ws && (w = cat_val(c, k + is_key(c, k, K_ON), C_WDAY)) >= 0) {
			set_day(s, w0 + w, 1); /* "next week on Tuesday" */
			k += 1 + is_key(c, k, K_ON);
		}
		return k - i;
	}
	if (is_key(c, k, K_WEEKEND) && !part) {
		int64_t sat = ws + 5;

		if (k > j && is_key(c, k - 1, K_NEXT))
			sat += 7, s->confirm = true;
		else if (k > j && is_key(c, k - 1, K_LAST))
			sat -= 7;
		set_day(s, sat, 2);
		return k + 1 - i;
	}
	/* months */
	if (is_key(c, k, K_MONTH) && k > j) {
		if (is_key(c, k - 1, K_LAST))
			return 0;
		y = c->y;
		m = c->m + (is_key(c, k - 1, K_NEXT) || is_key(c, k - 1, K_FOLLOWING));
		if (m > 12)
			m = 1, y++;
		if (is_key(c, k - 1, K_THE) && !part)
			return 0;
		month_part(s, days_of(y, m, 1), va_civil_days_in_month(y, m), part);
		return k + 1 - i;
	}
	if (k == j && !part && is_key(c, j, K_IN))
		j++; /* "in December" */
	if ((m = cat_val(c, j, C_MONTH)) > 0 && (part || j > k)) {
		int year;

		y = month_year(c, m);
		k = j + 1;
		if (year_after(c, k, &year))
			y = year, k++;
		month_part(s, days_of(y, m, 1), va_civil_days_in_month(y, m), part);
		return k - i;
	}
	return 0;
}

/* "as soon as possible", "asap", "first available", "earliest", "whenever",
 * "any time". */
static int comp_open(const struct ctx *c, int i, struct spec *s)
{
	int j = i;

	if (is_key(c, j, K_AS) && is_key(c, j + 1, K_SOON) && is_key(c, j + 2, K_AS)) {
		s->open = 1;
		s->pref = VA_WHEN_PREF_EARLIEST;
		if (is_key(c, j + 3, K_POSSIBLE))
			return 4;
		return 3;
	}
	if (is_key(c, j, K_AS) && is_key(c, j + 1, K_EARLY) && is_key(c, j + 2, K_AS) &&
	    is_key(c, j + 3, K_POSSIBLE)) {
		s->open = 1;
		s->pref = VA_WHEN_PREF_EARLIEST;
		return 4;
	}
	if (is_key(c, j, K_ASAP) ||
	    (is_key(c, j, K_A) && j + 3 < c->n && c->t[j + 1].kind == TK_WORD &&
	     c->t[j + 1].end - c->t[j + 1].off == 1 && is_key(c, j + 2, K_A) &&
	     is_key(c, j + 3, K_P) && c->t[j + 3].end - c->t[j].off <= 8)) {
		s->open = 1;
		s->pref = VA_WHEN_PREF_EARLIEST;
		return is_key(c, j, K_ASAP) ? 1 : 4;
	}
	if (is_key(c, j, K_EARLIEST) ||
	    ((cat_val(c, j, C_ORD) == 1 || is_key(c, j, K_NEXT)) && c->t[j].kind == TK_WORD &&
	     (is_key(c, j + 1, K_AVAILABLE) || is_key(c, j + 1, K_OPENING)))) {
		s->open = 1;
		s->pref = VA_WHEN_PREF_EARLIEST;
		j++;
		if (is_key(c, j, K_AVAILABLE) || is_key(c, j, K_POSSIBLE) ||
		    is_key(c, j, K_OPENING))
			j++;
		return j - i;
	}
	if (is_key(c, j, K_RIGHT) && is_key(c, j + 1, K_NOW)) {
		s->open = 1;
		s->pref = VA_WHEN_PREF_EARLIEST;
		return 2;
	}
	if (is_key(c, j, K_WHENEVER) || is_key(c, j, K_ANYTIME) ||
	    (is_key(c, j, K_ANY) && (is_key(c, j + 1, K_TIME) || is_key(c, j + 1, K_DAY)))) {
		s->open = 2;
		return is_key(c, j, K_ANY) ? 2 : 1;
	}
	return 0;
}

/* One day: relative, holiday, weekday or date. */
static int comp_day(const struct ctx *c, int i, const struct spec *g, struct spec *s)
{
	int n;

	if ((n = comp_relday(c, i, g, s)) || (n = comp_holiday(c, i, s)) ||
	    (n = comp_weekday(c, i, s)))
		return n;
	spec_init(s);
	return comp_date(c, i, g, s);
}

/* Any component at i; 0 when none starts there. */
static int component(const struct ctx *c, int i, const struct spec *g, struct spec *s)
{
	int n;

	spec_init(s);
	if ((n = comp_open(c, i, s)))
		return n;
	spec_init(s);
	if ((n = comp_span(c, i, s)))
		return n;
	spec_init(s);
	if ((n = comp_relative(c, i, g, s)))
		return n;
	spec_init(s);
	if ((n = comp_part(c, i, s)))
		return n;
	spec_init(s);
	if ((n = comp_day(c, i, g, s)))
		return n;
	spec_init(s);
	return comp_time(c, i, g, s);
}

/* Folds component x into the expression g; false when they clash (two
 * times, two days), which ends the expression before x. */
static bool merge(struct spec *g, const struct spec *x)
{
	bool day_ok = !x->has_day || !g->has_day ||
		      (g->day_is_wday && !x->day_is_wday && x->nd == 1 && g->nd == 1) ||
		      (!g->day_is_wday && x->day_is_wday && g->nd == 1 && g->wday_req < 0);
	bool g_rel = g->has_rel || g->has_abs, x_rel = x->has_rel || x->has_abs;

	if (!day_ok || (x->ts && (g->ts || g_rel)) ||
	    (x->has_part && g->has_part && (x->p0 != g->p0 || x->p1 != g->p1)) ||
	    (x_rel && (g->has_day || g->ts || g_rel)) || (g_rel && (x->has_day || x->ts)))
		return false;
	if (x->has_day) {
		if (!g->has_day) {
			set_day(g, x->d0, x->nd);
			g->day_is_wday = x->day_is_wday;
			g->wday = x->wday;
		} else if (g->day_is_wday) {
			/* "Thursday the 3rd": the date, checked against the weekday */
			g->wday_req = g->wday;
			set_day(g, x->d0, 1);
			g->day_is_wday = false;
		} else {
			g->wday_req = x->wday;
		}
	}
	if (x->ts) {
		g->ts = x->ts;
		g->t0 = x->t0;
		g->t1 = x->t1;
		g->bare = x->bare;
	}
	if (x->has_part)
		set_part(g, x->p0, x->p1);
	if (x->has_rel)
		g->has_rel = true, g->rel = x->rel;
	if (x->has_abs)
		g->has_abs = true, g->a0 = x->a0, g->a1 = x->a1;
	if (!g->open)
		g->open = x->open;
	if (x->pref != VA_WHEN_PREF_NONE &&
	    (g->pref == VA_WHEN_PREF_NONE || g->pref == VA_WHEN_PREF_EARLIEST))
		g->pref = x->pref;
	g->confirm |= x->confirm;
	g->approx |= x->approx;
	g->invalid |= x->invalid;
	return true;
}

static bool is_connector(const struct ctx *c, int i)
{
	return is_key(c, i, K_AT) || is_key(c, i, K_ON) || is_key(c, i, K_IN) ||
	       is_key(c, i, K_THE) || is_key(c, i, K_OF) || is_key(c, i, K_FOR) ||
	       is_key(c, i, K_FILLER) || is_key(c, i, K_TIME) || is_key(c, i, K_ANY);
}

/* Reads the longest run of components from i; returns the token after it. */
static int group(const struct ctx *c, int i, struct spec *g)
{
	int j = i, end = i, n;
	struct spec x;

	spec_init(g);
	while (j < c->n) {
		if ((n = component(c, j, g, &x)) > 0) {
			if (!merge(g, &x))
				break;
			j += n;
			end = j;
			continue;
		}
		if (end > i && is_connector(c, j)) {
			j++;
			continue;
		}
		break;
	}
	return end;
}

/* ---- resolution ----------------------------------------------------------------- */

/* The instant of minute min (may exceed a day) of local day d. */
static int64_t at(const struct ctx *c, int64_t d, int min)
{
	struct va_civil cv = {0};
	int y, m, dd;

	va_civil_date_from_days(d, &y, &m, &dd);
	cv.year = y;
	cv.month = m;
	cv.day = dd;
	cv.minute = min;
	return va_tz_from_civil(c->tz, &cv);
}

static void out_window(const struct ctx *c, int64_t a, int64_t b, struct va_when *w)
{
	if (b <= c->now) {
		w->kind = VA_WHEN_PAST;
		w->start = a;
		w->end = b;
		return;
	}
	w->kind = VA_WHEN_WINDOW;
	w->start = a < c->now ? c->now : a;
	w->end = b;
}

static void resolve(const struct ctx *c, const struct spec *g, struct va_when *w)
{
	int64_t d0 = g->has_day ? g->d0 : c->today, a, b;
	int nd = g->has_day ? g->nd : 1, t0 = g->t0, t1 = g->t1;
	bool explicit_day = g->has_day;

	w->confirm = g->confirm;
	w->approx = g->approx;
	w->pref = g->pref;
	if (g->invalid || (g->wday_req >= 0 && wday_of(d0) != g->wday_req)) {
		w->kind = VA_WHEN_INVALID;
		w->pref = VA_WHEN_PREF_NONE;
		w->confirm = w->approx = false;
		return;
	}
	if (g->has_rel) {
		w->kind = VA_WHEN_POINT;
		w->start = w->end = c->now + g->rel;
		return;
	}
	if (g->has_abs) {
		w->kind = VA_WHEN_WINDOW;
		w->start = g->a0;
		w->end = g->a1;
		return;
	}
	if (!g->has_day && !g->ts && !g->has_part) {
		w->kind = g->open ? VA_WHEN_OPEN : VA_WHEN_NONE;
		w->start = g->open ? c->now : 0;
		if (g->open == 1)
			w->pref = VA_WHEN_PREF_EARLIEST;
		return;
	}
	if (g->open == 1 && w->pref == VA_WHEN_PREF_NONE)
		w->pref = VA_WHEN_PREF_EARLIEST;
	if (g->ts == TS_POINT) {
		if (g->has_part && g->bare) {
			/* "9 in the evening", "6 in the morning" */
			if (g->p0 >= 720 && t0 < 720)
				t0 += 720;
			else if (g->p1 <= 720 && t0 >= 780)
				t0 -= 720;
		}
		if (nd > 1) {
			out_window(c, at(c, d0, 0), at(c, d0 + nd, 0), w);
			w->day_from_min = t0 - 30 < 0 ? 0 : t0 - 30;
			w->day_to_min = t0 + 30;
			w->pref = VA_WHEN_PREF_CLOSEST;
			return;
		}
		a = at(c, d0, t0);
		if (!explicit_day && a < c->now)
			a = at(c, d0 + 1, t0);
		w->kind = a < c->now ? VA_WHEN_PAST : VA_WHEN_POINT;
		w->start = w->end = a;
		return;
	}
	if (g->ts == TS_NONE && g->has_part)
		t0 = g->p0, t1 = g->p1;
	if (g->ts != TS_NONE || g->has_part) {
		if (nd > 1) {
			out_window(c, at(c, d0, 0), at(c, d0 + nd, 0), w);
			w->day_from_min = t0 < 0 ? 0 : t0;
			w->day_to_min = t1 > 1440 ? 1440 : t1;
			return;
		}
		a = at(c, d0, t0);
		b = at(c, d0, t1);
		if (!explicit_day && b <= c->now) {
			a = at(c, d0 + 1, t0);
			b = at(c, d0 + 1, t1);
		}
		out_window(c, a, b, w);
		return;
	}
	out_window(c, at(c, d0, 0), at(c, d0 + nd, 0), w);
}

int va_when_parse(const char *text, size_t len, int64_t now, const struct va_tz *tz,
		  struct va_when *out)
{
	struct tok toks[TOK_MAX];
	struct ctx c;
	struct va_civil nc;
	size_t pos = 0, stop;

	if (!out)
		return VA_E_INVAL;
	memset(out, 0, sizeof(*out));
	out->day_from_min = out->day_to_min = -1;
	/* Keeps the civil arithmetic far from overflow (about +-3000 years). */
	if ((!text && len) || now < -100000000000LL || now > 100000000000LL ||
	    len > UINT32_MAX - 16)
		return VA_E_INVAL;
	memset(&c, 0, sizeof(c));
	c.t = toks;
	c.tz = tz;
	c.now = now;
	va_tz_to_civil(tz, now, &nc);
	c.y = nc.year;
	c.m = nc.month;
	c.d = nc.day;
	c.wday = nc.wday;
	c.today = days_of(nc.year, nc.month, nc.day);
	while (pos < len) {
		int i;

		c.n = tokenize(text, len, pos, toks, TOK_MAX, &stop);
		for (i = 0; i < c.n; i++) {
			struct spec g;
			int end = group(&c, i, &g);

			if (end == i)
				continue;
			resolve(&c, &g, out);
			if (out->kind == VA_WHEN_WINDOW && out->end <= out->start) {
				/* Cannot happen by the rules above; never hand on an empty window.
				 */
				memset(out, 0, sizeof(*out));
				out->kind = VA_WHEN_INVALID;
				out->day_from_min = out->day_to_min = -1;
			}
			if (out->kind == VA_WHEN_NONE) {
				out->day_from_min = out->day_to_min = -1;
				continue;
			}
			/* A daily filter that selects nothing ("midnight to midnight")
			 * is no filter: the window alone stands. */
			if ((out->day_from_min < 0) != (out->day_to_min < 0) ||
			    (out->day_from_min >= 0 &&
			     (out->day_from_min >= out->day_to_min || out->day_to_min > 1440)))
				out->day_from_min = out->day_to_min = -1;
			out->match_start = toks[i].off;
			out->match_len = toks[end - 1].end - toks[i].off;
			return VA_OK;
		}
		if (stop >= len || c.n < TOK_MAX)
			break;
		/* Read on, overlapping so an expression cut at the edge is seen whole. */
		pos = toks[TOK_MAX - TOK_OVERLAP].off;
	}
	return VA_OK;
}

const char *va_when_kind_name(enum va_when_kind k)
{
	switch (k) {
	case VA_WHEN_NONE:
		return "none";
	case VA_WHEN_POINT:
		return "point";
	case VA_WHEN_WINDOW:
		return "window";
	case VA_WHEN_OPEN:
		return "open";
	case VA_WHEN_PAST:
		return "past";
	case VA_WHEN_INVALID:
		return "invalid";
	}
	return "none";
}

const char *va_when_pref_name(enum va_when_pref p)
{
	switch (p) {
	case VA_WHEN_PREF_NONE:
		return "none";
	case VA_WHEN_PREF_EARLIEST:
		return "earliest";
	case VA_WHEN_PREF_LATEST:
		return "latest";
	case VA_WHEN_PREF_CLOSEST:
		return "closest";
	}
	return "none";
}
