/* SPDX-License-Identifier: MIT */
/*
 * cmd_tenant.c - `voiceai tenant add|list|show`: practice administration
 * straight on the database (no server needed). Secrets are shown masked.
 */
#include "app/commands.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "http/tenant_json.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
	fprintf(out,
		"usage: voiceai tenant add --file practice.json | add 'JSON'\n"
		"       voiceai tenant list\n"
		"       voiceai tenant show ID\n\n"
		"Manages practices in the database given by --db or VOICEAI_DB\n"
		"(default var/voiceai.db). A practice needs at least\n"
		"{\"id\",\"name\",\"timezone\",\"twilio_auth_token\",\"api_key\"}; everything else\n"
		"starts from the defaults (see examples/practice.json). Changes made here are\n"
		"seen by a running server after a restart; the tenant API applies them at once.\n");
}

static int read_file(const char *path, struct va_buf *out)
{
	FILE *f = fopen(path, "rb");
	char chunk[4096];
	size_t n;

	if (!f)
		return VA_E_IO;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (va_buf_append(out, chunk, n) != VA_OK) {
			fclose(f);
			return VA_E_TOOBIG;
		}
	}
	fclose(f);
	return VA_OK;
}

static void print_tenant(const struct va_tenant *t)
{
	struct va_buf b = VA_BUF_INIT(1 << 20);

	va_tenant_to_json(t, &b);
	printf("%s\n", va_buf_cstr(&b));
	va_buf_release(&b);
}

int va_cmd_tenant(int argc, char **argv)
{
	const char *db = getenv("VOICEAI_DB");
	struct va_store *store = NULL;
	struct va_buf doc = VA_BUF_INIT(1 << 20);
	char why[256];
	int a = 1, rc = 1;
	const char *verb;

	if (!db || !*db)
		db = "var/voiceai.db";
	/* A command prints its result; routine store events are noise here. */
	if (!getenv("LOG_LEVEL"))
		va_log_set_level(VA_LOG_WARN);
	for (; a < argc; a++) {
		if (!strcmp(argv[a], "--db") && a + 1 < argc)
			db = argv[++a];
		else if (!strcmp(argv[a], "--help") || !strcmp(argv[a], "-h")) {
			usage(stdout);
			return 0;
		} else
			break;
	}
	if (a >= argc) {
		usage(stderr);
		return 2;
	}
	verb = argv[a++];
	if (va_store_open(db, NULL, &store, why, sizeof(why)) != VA_OK) {
		fprintf(stderr, "voiceai tenant: cannot open %s: %s\n", db, why);
		return 1;
	}
	if (!strcmp(verb, "list")) {
		struct va_tenant *list = NULL;
		size_t n = 0;
		if (va_store_tenant_list_sync(store, &list, &n) != VA_OK)
			goto out;
		for (size_t i = 0; i < n; i++)
			printf("%-20s %-32s %s\n", list[i].id, list[i].name, list[i].timezone);
		free(list);
		rc = 0;
	} else if (!strcmp(verb, "show") && a < argc) {
		struct va_tenant t;
		int err = va_store_tenant_get_sync(store, argv[a], &t);
		if (err != VA_OK) {
			fprintf(stderr, "voiceai tenant: %s: %s\n", argv[a], va_err_str(err));
			goto out;
		}
		print_tenant(&t);
		rc = 0;
	} else if (!strcmp(verb, "add") && a < argc) {
		struct va_tenant t, existing;
		int err;
		if (!strcmp(argv[a], "--file") && a + 1 < argc) {
			if (read_file(argv[a + 1], &doc) != VA_OK) {
				fprintf(stderr, "voiceai tenant: cannot read %s\n", argv[a + 1]);
				goto out;
			}
		} else {
			va_buf_append_str(&doc, argv[a]);
		}
		memset(&t, 0, sizeof(t));
		err = va_tenant_from_json(va_buf_cstr(&doc), doc.len, &t, false, why, sizeof(why));
		if (err != VA_OK) {
			fprintf(stderr, "voiceai tenant: invalid practice: %s\n", why);
			goto out;
		}
		if (va_store_tenant_get_sync(store, t.id, &existing) == VA_OK) {
			fprintf(stderr, "voiceai tenant: %s already exists\n", t.id);
			goto out;
		}
		if (va_store_tenant_put_sync(store, &t) != VA_OK) {
			fprintf(stderr, "voiceai tenant: could not save %s\n", t.id);
			goto out;
		}
		print_tenant(&t);
		rc = 0;
	} else {
		usage(stderr);
		rc = 2;
	}
out:
	va_buf_release(&doc);
	va_store_free(store);
	return rc;
}
