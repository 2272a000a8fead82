/* SPDX-License-Identifier: MIT */
/*
 * cmd_calendar.c - `voiceai calendar`: connect a practice's calendar (with
 * discovery from a server's base URL), show its sync status, disconnect it,
 * and make or revoke the secret iCalendar feed address. Works on the
 * database directly; a running server picks changes up within seconds.
 * Passwords and tokens come from the environment (--password-env), never
 * from the command line, where any user could read them in the process list.
 */
#include "app/commands.h"
#include "calendar/caldav.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "llm/http_stream.h"
#include "store/store.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
	fprintf(out,
		"usage: voiceai calendar [--db PATH] COMMAND TENANT [options]\n\n"
		"  connect TENANT --url URL [--user NAME] [--password-env VAR | --token-env VAR]\n"
		"          [--provider ID] [--calendar NAME|URL]\n"
		"      finds the calendars of the account at URL (a server's base address is\n"
		"      enough) and connects one (the first, or the one named) for the\n"
		"      practice, or for one provider with --provider. Bookings, moves and\n"
		"      cancellations reach it; its busy time blocks booking.\n"
		"  status TENANT [--json]      each calendar's sync state and outbox depth\n"
		"  disconnect TENANT ID        stop syncing a calendar\n"
		"  feed TENANT [--provider ID] [--base URL]\n"
		"      a new secret iCalendar feed address (shown once)\n"
		"  revoke-feeds TENANT [--provider ID]\n");
}

struct discovery {
	int err;
	char why[200];
	char url[VA_CAL_URL_MAX];
	char name[128];
	const char *pick;
	size_t n;
	bool done;
};

static void on_found(int err, const struct va_dav_found *f, size_t n, const char *why, void *arg)
{
	struct discovery *d = arg;
	size_t i;

	d->done = true;
	d->err = err;
	d->n = n;
	snprintf(d->why, sizeof(d->why), "%s", why ? why : "");
	for (i = 0; err == VA_OK && i < n; i++) {
		printf("found: %s%s%s\n", f[i].url, f[i].name[0] ? "  " : "", f[i].name);
		if (!d->url[0] && (!d->pick || strcmp(d->pick, f[i].name) == 0 ||
				   strcmp(d->pick, f[i].url) == 0)) {
			snprintf(d->url, sizeof(d->url), "%s", f[i].url);
			snprintf(d->name, sizeof(d->name), "%s", f[i].name);
		}
	}
}

static int discover(struct va_calendar *c, const char *pick)
{
	struct discovery d = {.pick = pick};
	struct va_llm_http *http = NULL;
	uv_loop_t loop;
	int rc;

	uv_loop_init(&loop);
	rc = va_llm_http_new(&loop, &http);
	if (rc == VA_OK)
		rc = va_dav_discover(http, c, on_found, &d);
	if (rc == VA_OK) {
		while (!d.done && uv_run(&loop, UV_RUN_ONCE))
			;
		rc = d.done ? d.err : VA_E_IO;
	}
	va_llm_http_free(http);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	if (rc != VA_OK) {
		fprintf(stderr, "voiceai calendar: discovery failed: %s\n",
			d.why[0] ? d.why : va_err_str(rc));
		return rc;
	}
	if (!d.url[0]) {
		fprintf(stderr, "voiceai calendar: %s\n",
			d.n ? "no calendar of that name (see the ones found)" : d.why);
		return VA_E_NOTFOUND;
	}
	snprintf(c->url, sizeof(c->url), "%s", d.url);
	if (!c->display_name[0])
		snprintf(c->display_name, sizeof(c->display_name), "%s", d.name);
	return VA_OK;
}

static void when(int64_t ms, char *dst, size_t n)
{
	if (ms > 0)
		va_clock_iso8601(ms, dst, n);
	else
		snprintf(dst, n, "never");
}

static int status(struct va_store *s, const char *tenant, bool json)
{
	struct va_calendar *v = NULL;
	char ok[40], pull[40], oldest[40];
	size_t n = 0, i;
	int rc = va_store_cal_list_sync(s, tenant, &v, &n);

	if (rc)
		return rc;
	if (!n && !json)
		printf("%s has no calendar connected\n", tenant);
	if (json)
		printf("{\"tenant_id\":\"%s\",\"calendars\":[", tenant);
	for (i = 0; i < n; i++) {
		when(v[i].last_ok_ms, ok, sizeof(ok));
		when(v[i].last_pull_ms, pull, sizeof(pull));
		when(v[i].oldest_pending_ms, oldest, sizeof(oldest));
		if (json) {
			printf("%s{\"id\":\"%s\",\"url\":\"%s\",\"provider_id\":\"%s\","
			       "\"state\":\"%s\",\"last_success\":\"%s\",\"last_pull\":\"%s\","
			       "\"outbox_depth\":%lld,\"oldest_undelivered\":\"%s\",\"delivered\":%"
			       "lld,"
			       "\"dead\":%lld,\"busy_blocks\":%lld}",
			       i ? "," : "", v[i].id, v[i].url, v[i].provider_id, v[i].state, ok,
			       pull, (long long)v[i].outbox_depth,
			       v[i].oldest_pending_ms ? oldest : "", (long long)v[i].delivered,
			       (long long)v[i].dead, (long long)v[i].busy_blocks);
			continue;
		}
		printf("%s  %s%s%s\n  state %s%s%s\n  last success %s, last pull %s\n"
		       "  outbox %lld waiting%s%s, %lld delivered, %lld given up; "
		       "%lld busy blocks\n",
		       v[i].id, v[i].url, v[i].provider_id[0] ? "  provider " : "",
		       v[i].provider_id, v[i].state, v[i].last_error[0] ? ": " : "",
		       v[i].last_error, ok, pull, (long long)v[i].outbox_depth,
		       v[i].oldest_pending_ms ? " since " : "",
		       v[i].oldest_pending_ms ? oldest : "", (long long)v[i].delivered,
		       (long long)v[i].dead, (long long)v[i].busy_blocks);
	}
	if (json)
		printf("]}\n");
	free(v);
	return VA_OK;
}

static int feed(struct va_store *s, const char *tenant, const char *provider, const char *base)
{
	char token[65], hash[65];
	int rc = va_cal_feed_token_new(token, hash);

	if (rc == VA_OK)
		rc = va_store_feed_add_sync(s, tenant, provider, hash);
	if (rc == VA_OK)
		printf("%s/api/v1/tenants/%s/calendar.ics?token=%s\n", base, tenant, token);
	explicit_bzero(token, sizeof(token));
	return rc;
}

int va_cmd_calendar(int argc, char **argv)
{
	const char *db = getenv("VOICEAI_DB"), *cmd = NULL, *tenant = NULL, *id = NULL;
	const char *url = NULL, *user = NULL, *pass_env = NULL, *token_env = NULL;
	const char *provider = NULL, *pick = NULL, *base = "http://localhost:8000";
	struct va_store *store = NULL;
	struct va_calendar c, out;
	struct va_tenant t;
	bool json = false;
	char why[256];
	int rc = 1, a, err;

	if (!db || !*db)
		db = "var/voiceai.db";
	if (!getenv("LOG_LEVEL"))
		va_log_set_level(VA_LOG_WARN);
	for (a = 1; a < argc; a++) {
		const char *o = argv[a];
		bool has = a + 1 < argc;

		if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(o, "--db") && has) {
			db = argv[++a];
		} else if (!strcmp(o, "--url") && has) {
			url = argv[++a];
		} else if (!strcmp(o, "--user") && has) {
			user = argv[++a];
		} else if (!strcmp(o, "--password-env") && has) {
			pass_env = argv[++a];
		} else if (!strcmp(o, "--token-env") && has) {
			token_env = argv[++a];
		} else if (!strcmp(o, "--provider") && has) {
			provider = argv[++a];
		} else if (!strcmp(o, "--calendar") && has) {
			pick = argv[++a];
		} else if (!strcmp(o, "--base") && has) {
			base = argv[++a];
		} else if (!strcmp(o, "--json")) {
			json = true;
		} else if (o[0] == '-') {
			usage(stderr);
			return 2;
		} else if (!cmd) {
			cmd = o;
		} else if (!tenant) {
			tenant = o;
		} else if (!id) {
			id = o;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (!cmd || !tenant || (!strcmp(cmd, "connect") && !url) ||
	    (!strcmp(cmd, "disconnect") && !id)) {
		usage(stderr);
		return 2;
	}
	if (va_store_open(db, NULL, &store, why, sizeof(why)) != VA_OK) {
		fprintf(stderr, "voiceai calendar: cannot open %s: %s\n", db, why);
		return 1;
	}
	if (va_store_tenant_get_sync(store, tenant, &t) != VA_OK) {
		fprintf(stderr,
			"voiceai calendar: unknown practice %s in %s (the demo practice is created "
			"when the server first starts; others with voiceai tenant add)\n",
			tenant, db);
		goto out;
	}
	if (!strcmp(cmd, "connect")) {
		const char *secret = NULL;

		memset(&c, 0, sizeof(c));
		if ((pass_env && !(secret = getenv(pass_env))) ||
		    (token_env && !(secret = getenv(token_env)))) {
			fprintf(stderr, "voiceai calendar: %s is not set\n",
				pass_env ? pass_env : token_env);
			goto out;
		}
		if (snprintf(c.tenant_id, sizeof(c.tenant_id), "%s", tenant) >=
			(int)sizeof(c.tenant_id) ||
		    snprintf(c.url, sizeof(c.url), "%s", url) >= (int)sizeof(c.url) ||
		    snprintf(c.username, sizeof(c.username), "%s", user ? user : "") >=
			(int)sizeof(c.username) ||
		    snprintf(c.secret, sizeof(c.secret), "%s", secret ? secret : "") >=
			(int)sizeof(c.secret) ||
		    snprintf(c.provider_id, sizeof(c.provider_id), "%s",
			     provider ? provider : "") >= (int)sizeof(c.provider_id)) {
			fprintf(stderr, "voiceai calendar: an argument is too long\n");
			goto out;
		}
		c.auth = token_env	      ? VA_CAL_AUTH_BEARER
			 : (user || pass_env) ? VA_CAL_AUTH_BASIC
					      : VA_CAL_AUTH_NONE;
		if (discover(&c, pick) != VA_OK)
			goto out;
		err = va_store_cal_put_sync(store, &c, &out);
		explicit_bzero(&c, sizeof(c));
		if (err != VA_OK) {
			fprintf(stderr, "voiceai calendar: cannot save: %s\n", va_err_str(err));
			goto out;
		}
		printf("connected %s to %s (%s)\n", out.id, out.url,
		       out.provider_id[0] ? out.provider_id : "whole practice");
		rc = 0;
	} else if (!strcmp(cmd, "status")) {
		rc = status(store, tenant, json) == VA_OK ? 0 : 1;
	} else if (!strcmp(cmd, "disconnect")) {
		err = va_store_cal_delete_sync(store, tenant, id);
		if (err != VA_OK)
			fprintf(stderr, "voiceai calendar: %s\n",
				err == VA_E_NOTFOUND ? "no such calendar" : va_err_str(err));
		else
			printf("disconnected %s\n", id);
		rc = err == VA_OK ? 0 : 1;
	} else if (!strcmp(cmd, "feed")) {
		rc = feed(store, tenant, provider, base) == VA_OK ? 0 : 1;
	} else if (!strcmp(cmd, "revoke-feeds")) {
		rc = va_store_feed_revoke_sync(store, tenant, provider) == VA_OK ? 0 : 1;
		if (!rc)
			printf("revoked\n");
	} else {
		usage(stderr);
		rc = 2;
	}
out:
	va_store_free(store);
	return rc;
}
