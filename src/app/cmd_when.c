/* SPDX-License-Identifier: MIT */
/*
 * cmd_when.c - `voiceai when [--now ISO8601] [--tz ZONE] "phrase"`: shows
 * what the date/time parser makes of a phrase, as one JSON line in the
 * conventions of datetime_cases.tsv, for people tuning the engine and for
 * tests. A point prints "end": null, as the cases file leaves it empty.
 */
#include "app/commands.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/tz.h"
#include "nlu/when.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
	fprintf(out,
		"usage: voiceai when [--now ISO8601] [--tz ZONE] \"phrase\"\n\n"
		"Prints what the date/time parser understands in phrase as one JSON line:\n"
		"{\"kind\":\"point|window|open|past|invalid|none\",\"start\":ISO|null,"
		"\"end\":ISO|null,\n"
		" \"pref\":\"none|earliest|latest|closest\",\"confirm\":bool,\"approx\":bool,\n"
		" \"daypart\":null|{\"from\":\"HH:MM\",\"to\":\"HH:MM\"}}\n\n"
		"  --now ISO8601  the moment the phrase is said (default: now); without an\n"
		"                 offset it is local time in ZONE\n"
		"  --tz ZONE      IANA time zone of the practice (default America/New_York)\n");
}

static void print_time(const struct va_tz *tz, bool set, int64_t t)
{
	char iso[64];

	if (!set) {
		fputs("null", stdout);
		return;
	}
	va_tz_iso8601(tz, t, iso, sizeof(iso));
	printf("\"%s\"", iso);
}

int va_cmd_when(int argc, char **argv)
{
	const char *now_s = NULL, *zone = "America/New_York";
	char phrase[4096];
	size_t plen = 0;
	struct va_tz *tz = NULL;
	struct va_when w;
	int64_t now;
	int a, rc = 2;
	bool has_start, has_end;

	phrase[0] = '\0';
	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--help") || !strcmp(argv[a], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[a], "--now") && a + 1 < argc) {
			now_s = argv[++a];
		} else if (!strcmp(argv[a], "--tz") && a + 1 < argc) {
			zone = argv[++a];
		} else if (!strcmp(argv[a], "--")) {
			a++;
			break;
		} else if (argv[a][0] == '-' && argv[a][1] == '-') {
			fprintf(stderr, "voiceai when: unknown option %s\n", argv[a]);
			usage(stderr);
			return 2;
		} else {
			break;
		}
	}
	if (a >= argc) {
		usage(stderr);
		return 2;
	}
	/* Several words are one phrase: `voiceai when next tuesday` works too. */
	for (; a < argc; a++) {
		size_t n = strlen(argv[a]);

		if (plen + n + 2 > sizeof(phrase)) {
			fprintf(stderr, "voiceai when: phrase too long\n");
			return 2;
		}
		if (plen)
			phrase[plen++] = ' ';
		memcpy(phrase + plen, argv[a], n);
		plen += n;
		phrase[plen] = '\0';
	}
	if ((rc = va_tz_load(zone, &tz)) != VA_OK) {
		fprintf(stderr, "voiceai when: time zone %s: %s\n", zone, va_err_str(rc));
		rc = 2;
		goto out;
	}
	if (now_s) {
		if (va_iso8601_parse(now_s, tz, &now) != VA_OK) {
			fprintf(stderr,
				"voiceai when: bad --now %s (want 2026-11-23T10:00:00-05:00)\n",
				now_s);
			rc = 2;
			goto out;
		}
	} else {
		now = va_clock_wall_ms() / 1000;
	}
	if ((rc = va_when_parse(phrase, plen, now, tz, &w)) != VA_OK) {
		fprintf(stderr, "voiceai when: %s\n", va_err_str(rc));
		rc = 2;
		goto out;
	}
	has_start = w.kind == VA_WHEN_POINT || w.kind == VA_WHEN_WINDOW || w.kind == VA_WHEN_OPEN ||
		    w.kind == VA_WHEN_PAST;
	has_end = (w.kind == VA_WHEN_WINDOW || w.kind == VA_WHEN_PAST) && w.end != w.start;
	printf("{\"kind\":\"%s\",\"start\":", va_when_kind_name(w.kind));
	print_time(tz, has_start, w.start);
	fputs(",\"end\":", stdout);
	print_time(tz, has_end, w.end);
	printf(
	    ",\"pref\":\"%s\",\"confirm\":%s,\"approx\":%s,\"daypart\":", va_when_pref_name(w.pref),
	    w.confirm ? "true" : "false", w.approx ? "true" : "false");
	if (w.day_from_min >= 0 && w.day_to_min >= 0)
		printf("{\"from\":\"%02d:%02d\",\"to\":\"%02d:%02d\"}", w.day_from_min / 60,
		       w.day_from_min % 60, w.day_to_min / 60, w.day_to_min % 60);
	else
		fputs("null", stdout);
	fputs("}\n", stdout);
	rc = 0;
out:
	va_tz_free(tz);
	return rc;
}
