/* SPDX-License-Identifier: MIT */
/*
 * cmd_appointments.c - `voiceai appointments list TENANT [--day YYYY-MM-DD]`:
 * a practice's schedule from the database, in the practice's local time.
 */
#include "app/commands.h"
#include "core/err.h"
#include "core/log.h"
#include <stdbool.h>
#include "core/tz.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void usage(FILE *out)
{
	fprintf(out, "usage: voiceai appointments [--db PATH] list TENANT [--day YYYY-MM-DD] "
		     "[--all]\n\n"
		     "Lists a practice's appointments (upcoming ones by default; --day for one "
		     "local day; --all for every one), in the practice's time zone.\n");
}

static void hhmm(const struct va_tz *tz, int64_t t, char *dst, size_t dstsz)
{
	struct va_civil c;

	va_tz_to_civil(tz, t, &c);
	snprintf(dst, dstsz, "%04d-%02d-%02d %02d:%02d", c.year, c.month, c.day, c.hour,
		 c.minute);
}

int va_cmd_appointments(int argc, char **argv)
{
	const char *db = getenv("VOICEAI_DB"), *tenant = NULL, *day = NULL;
	struct va_store *store = NULL;
	struct va_tenant t;
	struct va_tz *tz = NULL;
	struct va_appointment *list = NULL;
	size_t n = 0;
	int64_t from = (int64_t)time(NULL) - 3600, to = from + (int64_t)3650 * 86400;
	bool all = false;
	char why[256];
	int rc = 1, a = 1;

	if (!db || !*db)
		db = "var/voiceai.db";
	/* A command prints its result; routine store events are noise here. */
	if (!getenv("LOG_LEVEL"))
		va_log_set_level(VA_LOG_WARN);
	for (; a < argc; a++) {
		if (!strcmp(argv[a], "--help") || !strcmp(argv[a], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[a], "--db") && a + 1 < argc) {
			db = argv[++a];
		} else if (!strcmp(argv[a], "--day") && a + 1 < argc) {
			day = argv[++a];
		} else if (!strcmp(argv[a], "--all")) {
			all = true;
		} else if (!strcmp(argv[a], "list") && !tenant && a + 1 < argc) {
			tenant = argv[++a];
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (!tenant) {
		usage(stderr);
		return 2;
	}
	if (va_store_open(db, NULL, &store, why, sizeof(why)) != VA_OK) {
		fprintf(stderr, "voiceai appointments: cannot open %s: %s\n", db, why);
		return 1;
	}
	if (va_store_tenant_get_sync(store, tenant, &t) != VA_OK) {
		fprintf(stderr, "voiceai appointments: unknown practice %s\n", tenant);
		goto out;
	}
	if (va_tz_load(t.timezone, &tz) != VA_OK && va_tz_load("UTC", &tz) != VA_OK)
		goto out;
	if (day) {
		struct va_civil c = {0};
		if (sscanf(day, "%4d-%2d-%2d", &c.year, &c.month, &c.day) != 3 || c.month < 1 ||
		    c.month > 12 || c.day < 1 || c.day > va_civil_days_in_month(c.year, c.month)) {
			fprintf(stderr, "voiceai appointments: --day wants YYYY-MM-DD\n");
			rc = 2;
			goto out;
		}
		from = va_tz_from_civil(tz, &c);
		c.day++;
		to = va_tz_from_civil(tz, &c);
	} else if (all) {
		from = 0;
		to = 0;
	}
	if (va_store_appt_list_sync(store, tenant, from, to, &list, &n) != VA_OK) {
		fprintf(stderr, "voiceai appointments: cannot read the schedule\n");
		goto out;
	}
	printf("%-16s  %-5s  %-10s  %-16s  %-12s  %-24s  %-12s  %s\n", "START", "END", "STATUS",
	       "SERVICE", "PROVIDER", "PATIENT", "PHONE", "ID");
	for (size_t i = 0; i < n; i++) {
		char s[32], e[32];
		hhmm(tz, list[i].start, s, sizeof(s));
		hhmm(tz, list[i].end, e, sizeof(e));
		printf("%-16s  %-5s  %-10s  %-16s  %-12s  %-24s  %-12s  %s%s\n", s, e + 11,
		       va_appt_status_name(list[i].status), va_service_code(list[i].service),
		       list[i].provider_id, list[i].patient_name, list[i].phone, list[i].id,
		       list[i].urgent ? "  URGENT" : "");
	}
	printf("%zu appointment%s (%s)\n", n, n == 1 ? "" : "s", t.timezone);
	rc = 0;
out:
	free(list);
	va_tz_free(tz);
	va_store_free(store);
	return rc;
}
