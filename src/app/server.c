/* SPDX-License-Identifier: MIT */
/*
 * server.c - `voiceai serve`: wires the loop, the store, the tenant cache,
 * libwebsockets and the signal handling together, and drains on SIGTERM
 * (new calls refused, live calls get drain_grace_ms, the database is closed
 * cleanly).
 */
#include "app/server.h"
#include "calendar/sync.h"
#include "call/call.h"
#include "core/alloc.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "http/http.h"
#include "llm/http_stream.h"
#include "media/session.h"
#include "schedule/slots.h"

#include <libwebsockets.h>

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#define DRAIN_POLL_MS 100

static long tenant_index(const struct va_server *srv, const char *id)
{
	for (size_t i = 0; i < srv->n_tenants; i++)
		if (!strcmp(srv->tenants[i]->id, id))
			return (long)i;
	return -1;
}

const struct va_tenant *va_server_tenant(const struct va_server *srv, const char *id)
{
	long i = tenant_index(srv, id);
	return i < 0 ? NULL : srv->tenants[i];
}

const struct va_tz *va_server_tenant_tz(const struct va_server *srv, const char *id)
{
	long i = tenant_index(srv, id);
	return i < 0 ? NULL : srv->tzs[i];
}

static struct va_tz *load_zone(const char *name)
{
	struct va_tz *tz = NULL;

	if (va_tz_load(name, &tz) != VA_OK && va_tz_load("UTC", &tz) != VA_OK)
		return NULL;
	return tz;
}

void va_server_tenant_put(struct va_server *srv, const struct va_tenant *t)
{
	long i = tenant_index(srv, t->id);

	if (i >= 0) {
		if (strcmp(srv->tenants[i]->timezone, t->timezone) != 0) {
			/* Live calls still hold the old zone: keep it until shutdown. */
			srv->old_tzs =
			    va_xrealloc(srv->old_tzs, (srv->n_old_tzs + 1) * sizeof(*srv->old_tzs));
			srv->old_tzs[srv->n_old_tzs++] = srv->tzs[i];
			srv->tzs[i] = load_zone(t->timezone);
		}
		*srv->tenants[i] = *t;
		return;
	}
	srv->tenants = va_xrealloc(srv->tenants, (srv->n_tenants + 1) * sizeof(*srv->tenants));
	srv->tzs = va_xrealloc(srv->tzs, (srv->n_tenants + 1) * sizeof(*srv->tzs));
	srv->tenants[srv->n_tenants] = va_xmalloc(sizeof(struct va_tenant));
	*srv->tenants[srv->n_tenants] = *t;
	srv->tzs[srv->n_tenants] = load_zone(t->timezone);
	srv->n_tenants++;
}

void va_server_tenants_free(struct va_server *srv)
{
	for (size_t i = 0; i < srv->n_tenants; i++) {
		free(srv->tenants[i]);
		va_tz_free(srv->tzs[i]);
	}
	for (size_t i = 0; i < srv->n_old_tzs; i++)
		va_tz_free(srv->old_tzs[i]);
	free(srv->old_tzs);
	srv->old_tzs = NULL;
	srv->n_old_tzs = 0;
	free(srv->tenants);
	free(srv->tzs);
	srv->tenants = NULL;
	srv->tzs = NULL;
	srv->n_tenants = 0;
}

/* ---- calendars ----------------------------------------------------------- */

static const struct va_tenant *calendar_tenant(const char *tenant_id, void *arg)
{
	return va_server_tenant(arg, tenant_id);
}

static void on_appointment_change(const char *tenant_id, void *arg)
{
	struct va_server *srv = arg;

	va_calsync_kick(srv->calsync, tenant_id);
}

static int start_calendars(struct va_server *srv)
{
	struct va_calsync_opts o = {
	    .pull_ms = srv->cfg.cal_pull_ms,
	    .retry_base_ms = srv->cfg.cal_retry_ms,
	    .retry_max_ms = srv->cfg.cal_retry_max_ms,
	};
	int rc;

	if (!srv->http)
		return VA_E_STATE;
	rc = va_calsync_new(srv->loop, srv->store, srv->http, srv->holds, calendar_tenant, srv, &o,
			    &srv->calsync);
	if (rc == VA_OK)
		va_store_set_change_hook(srv->store, on_appointment_change, srv);
	return rc;
}

/* ---- shutdown --------------------------------------------------------- */

static void shutdown_now(struct va_server *srv)
{
	if (srv->stopping)
		return;
	srv->stopping = 1;
	while (srv->calls)
		va_call_finish(srv->calls, "shutdown");
	uv_timer_stop(&srv->drain_timer);
	uv_close((uv_handle_t *)&srv->drain_timer, NULL);
	uv_close((uv_handle_t *)&srv->sig_term, NULL);
	uv_close((uv_handle_t *)&srv->sig_int, NULL);
	va_http_server_stop(srv);
	/* Before the store: its last completions still reach the sync. */
	va_store_set_change_hook(srv->store, NULL, NULL);
	va_calsync_free(srv->calsync);
	srv->calsync = NULL;
	va_llm_http_free(srv->http);
	srv->http = NULL;
	va_store_free(srv->store);
	srv->store = NULL;
	VA_INFO("server", NULL, "stopped", "conversations=%llu",
		(unsigned long long)srv->total_conversations);
}

static void drain_check(uv_timer_t *t)
{
	struct va_server *srv = t->data;
	struct va_call *c, *next;

	/* A call whose socket is gone cannot come back while we refuse new
	 * sockets: it is over now. */
	for (c = srv->calls; c; c = next) {
		next = c->next;
		if (!c->sink_ops)
			va_call_finish(c, c->end_reason[0] ? c->end_reason : "dropped");
	}
	if (srv->n_calls == 0 || va_clock_wall_ms() >= srv->drain_deadline_ms) {
		if (srv->n_calls)
			VA_WARN("server", NULL, "drain_grace_over", "calls_cut=%zu", srv->n_calls);
		shutdown_now(srv);
	}
}

static void on_signal(uv_signal_t *h, int signum)
{
	struct va_server *srv = h->data;

	if (srv->draining) {
		VA_WARN("server", NULL, "second_signal", "signal=%d calls_cut=%zu", signum,
			srv->n_calls);
		shutdown_now(srv);
		return;
	}
	srv->draining = 1;
	srv->drain_deadline_ms = va_clock_wall_ms() + srv->cfg.drain_grace_ms;
	VA_INFO("server", NULL, "draining", "signal=%d live_calls=%zu grace_ms=%d", signum,
		srv->n_calls, srv->cfg.drain_grace_ms);
	uv_timer_start(&srv->drain_timer, drain_check, 0, DRAIN_POLL_MS);
}

/* ---- start-up --------------------------------------------------------- */

static int ensure_parent_dir(const char *path)
{
	char *copy = va_xstrdup(path);
	char *dir = dirname(copy);
	int rc = VA_OK;

	if (strcmp(dir, ".") && mkdir(dir, 0750) != 0 && errno != EEXIST)
		rc = VA_E_IO;
	free(copy);
	return rc;
}

static int load_tenants(struct va_server *srv)
{
	struct va_tenant *list = NULL;
	size_t n = 0;
	int rc = va_store_tenant_list_sync(srv->store, &list, &n);

	if (rc != VA_OK)
		return rc;
	if (n == 0 && srv->cfg.demo) {
		struct va_tenant demo;
		va_tenant_demo(&demo);
		rc = va_store_tenant_put_sync(srv->store, &demo);
		if (rc != VA_OK) {
			free(list);
			return rc;
		}
		VA_INFO("server", NULL, "demo_practice_created", "tenant=%s", demo.id);
		va_server_tenant_put(srv, &demo);
	}
	for (size_t i = 0; i < n; i++)
		va_server_tenant_put(srv, &list[i]);
	free(list);
	return VA_OK;
}

static const struct va_agent_factory *pick_agent(const struct va_agent_factory *const *agents,
						 const char *name)
{
	for (size_t i = 0; agents[i]; i++)
		if (!name[0] || !strcmp(agents[i]->name, name))
			return agents[i];
	return NULL;
}

static void raise_fd_limit(void)
{
	struct rlimit rl;

	/* Each call is a socket: let the process use what the system allows. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void banner(const struct va_server *srv)
{
	const char *pub = srv->cfg.public_url;
	char local[64];
	const struct va_tenant *demo = va_server_tenant(srv, "demo123");

	snprintf(local, sizeof(local), "http://localhost:%d", srv->port);
	printf("VoiceAI %s listening on %s:%d (agent: %s, database: %s)\n", VOICEAI_VERSION,
	       srv->cfg.bind, srv->port, srv->agent->name, srv->cfg.db_path);
	if (srv->llm.enabled && !strcmp(srv->agent->name, "llm"))
		printf("  language model: %s at %s (the receptionist takes over on any failure)\n",
		       srv->llm.model, srv->llm.base_url);
	else if (!strcmp(srv->agent->name, "llm"))
		printf("  no language model configured (OPENAI_API_KEY / OPENAI_BASE_URL): the "
		       "embedded receptionist answers\n");
	for (size_t i = 0; i < srv->n_tenants; i++) {
		const struct va_tenant *t = srv->tenants[i];
		printf("\n  practice %s (%s)\n", t->id, t->name);
		printf("    Twilio voice webhook (POST): %s/api/v1/voice/%s\n",
		       pub[0] ? pub : local, t->id);
		if (pub[0]) {
			const char *rest = strstr(pub, "://");
			printf("    ConversationRelay WebSocket: %s://%s/api/v1/voice/%s/stream\n",
			       strncmp(pub, "https", 5) ? "ws" : "wss", rest ? rest + 3 : pub,
			       t->id);
		} else {
			printf("    ConversationRelay WebSocket: "
			       "ws://localhost:%d/api/v1/voice/%s/stream\n",
			       srv->port, t->id);
		}
	}
	printf("\n  Call it without a phone:  ./build/voiceai call %s --url %s\n",
	       demo ? demo->id : (srv->n_tenants ? srv->tenants[0]->id : "TENANT"), local);
	printf("  Live status:              curl %s/api/v1/relay/status\n", local);
	if (!pub[0])
		printf("  For real calls, set PUBLIC_URL to the https address Twilio reaches "
		       "(e.g. a tunnel) and point the number's voice webhook at it.\n");
	printf("\n");
	fflush(stdout);
}

int va_server_main(int argc, char **argv, const struct va_agent_factory *const *agents)
{
	struct va_server *srv = va_xcalloc(1, sizeof(*srv));
	char why[512];
	int help = 0, rc = 1, err;
	enum va_log_level lvl;
	uv_loop_t loop;
	int64_t count = 0;

	if (va_config_load(&srv->cfg, argc, argv, &help, why, sizeof(why)) != VA_OK) {
		fprintf(stderr, "voiceai serve: %s (see --help)\n", why);
		free(srv);
		return 2;
	}
	if (help) {
		va_config_usage(stdout);
		free(srv);
		return 0;
	}
	if (va_log_parse_level(srv->cfg.log_level, &lvl) != VA_OK) {
		fprintf(stderr, "voiceai serve: unknown LOG_LEVEL %s\n", srv->cfg.log_level);
		free(srv);
		return 2;
	}
	va_log_set_level(lvl);
	srv->agents = agents;
	srv->agent = pick_agent(agents, srv->cfg.agent);
	if (!srv->agent) {
		fprintf(stderr, "voiceai serve: unknown agent '%s'; available:", srv->cfg.agent);
		for (size_t i = 0; agents[i]; i++)
			fprintf(stderr, " %s", agents[i]->name);
		fprintf(stderr, "\n");
		free(srv);
		return 2;
	}
	raise_fd_limit();
	uv_loop_init(&loop);
	srv->loop = &loop;
	srv->started_ms = va_clock_wall_ms();
	srv->holds = va_holds_new();
	va_llm_settings_from_env(&srv->llm);
	/* Always ready: a practice may configure its own model. */
	if (va_llm_http_new(&loop, &srv->http) != VA_OK) {
		VA_ERROR("server", NULL, "llm_client_failed", "");
		srv->llm.enabled = false;
	}
	if (srv->llm.enabled)
		VA_INFO("server", NULL, "llm_enabled",
			"base_url=%s model=%s key=%s first_token_ms=%d", srv->llm.base_url,
			srv->llm.model, srv->llm.api_key[0] ? "set" : "none",
			srv->llm.first_token_ms);
	va_latency_init(&srv->first_token);
	va_latency_init(&srv->last_token);
	va_latency_init(&srv->model_first_token);
	va_latency_init(&srv->model_audio_out);

	if (ensure_parent_dir(srv->cfg.db_path) != VA_OK ||
	    va_store_open(srv->cfg.db_path, &loop, &srv->store, why, sizeof(why)) != VA_OK) {
		VA_ERROR("server", NULL, "store_open_failed", "path=%s", srv->cfg.db_path);
		fprintf(stderr, "voiceai serve: cannot open database %s: %s\n", srv->cfg.db_path,
			why);
		goto out;
	}
	if ((err = load_tenants(srv)) != VA_OK) {
		fprintf(stderr, "voiceai serve: cannot load practices: %s\n", va_err_str(err));
		goto out;
	}
	if (va_store_conv_count_sync(srv->store, &count) == VA_OK)
		srv->total_conversations = (uint64_t)count;
	if (start_calendars(srv) != VA_OK) {
		fprintf(stderr, "voiceai serve: cannot start calendar sync\n");
		goto out;
	}
	if (va_http_server_start(srv) != VA_OK) {
		fprintf(stderr, "voiceai serve: cannot listen on %s:%d\n", srv->cfg.bind,
			srv->cfg.port);
		goto out;
	}
	uv_timer_init(&loop, &srv->drain_timer);
	srv->drain_timer.data = srv;
	uv_signal_init(&loop, &srv->sig_term);
	uv_signal_init(&loop, &srv->sig_int);
	srv->sig_term.data = srv->sig_int.data = srv;
	uv_signal_start(&srv->sig_term, on_signal, SIGTERM);
	uv_signal_start(&srv->sig_int, on_signal, SIGINT);
	signal(SIGPIPE, SIG_IGN);

	VA_INFO("server", NULL, "listening", "port=%d agent=%s tenants=%zu admin_api=%s", srv->port,
		srv->agent->name, srv->n_tenants, srv->cfg.admin_token[0] ? "on" : "off");
	/* A practice set to the raw audio that cannot have it is served by
	 * ConversationRelay: say so now, not only when a call comes in. */
	for (size_t i = 0; i < srv->n_tenants; i++)
		if (srv->tenants[i]->audio.transport == VA_TRANSPORT_AUDIO &&
		    !va_media_available(srv, srv->tenants[i]))
			VA_WARN("server", NULL, "audio_unavailable",
				"tenant=%s then=relay reason=\"no Realtime key\"",
				srv->tenants[i]->id);
	banner(srv);
	uv_run(&loop, UV_RUN_DEFAULT);
	rc = 0;
out:
	if (srv->lws && !srv->stopping)
		shutdown_now(srv);
	if (srv->store)
		va_store_set_change_hook(srv->store, NULL, NULL);
	va_calsync_free(srv->calsync);
	srv->calsync = NULL;
	va_store_free(srv->store);
	srv->store = NULL;
	/* Let every closing handle (ours and lws's) finish before closing the
	 * loop; a context destroy lws deferred is completed by a second call. */
	uv_run(&loop, UV_RUN_DEFAULT);
	if (srv->lws) {
		lws_context_destroy(srv->lws);
		uv_run(&loop, UV_RUN_DEFAULT);
	}
	if (uv_loop_close(&loop) != 0)
		VA_WARN("server", NULL, "loop_not_empty_at_exit", "");
	va_server_tenants_free(srv);
	va_holds_free(srv->holds);
	free(srv);
	return rc;
}
