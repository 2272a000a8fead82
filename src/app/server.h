/* SPDX-License-Identifier: MIT */
/*
 * server.h - the server context: the one struct that holds what the running
 * server owns (loop, libwebsockets context, store, tenants, live calls,
 * figures). Passed explicitly everywhere; there is no other global state
 * beyond the log level.
 */
#ifndef VA_APP_SERVER_H
#define VA_APP_SERVER_H

#include "agent/agent.h"
#include "agent/llm_agent.h"
#include "app/config.h"
#include "core/latency.h"
#include "store/store.h"
#include "core/tz.h"
#include "tenant/tenant.h"

#include <stdint.h>
#include <uv.h>

struct lws_context;
struct va_call;
struct va_holds;
struct va_calsync;

struct va_server {
	uv_loop_t *loop;
	struct lws_context *lws;
	struct va_config cfg;
	struct va_store *store;
	int port; /* the port actually bound */

	/* Cache of the store's tenants. Each entry is heap-allocated and updated
	 * in place, so a borrowed pointer stays valid for the server's life
	 * (tenants are never deleted while it runs). tzs[i] is tenants[i]'s zone. */
	struct va_tenant **tenants;
	struct va_tz **tzs;
	size_t n_tenants;
	struct va_tz **old_tzs; /* zones replaced while calls may use them */
	size_t n_old_tzs;
	struct va_holds *holds;	    /* slots offered to callers, held for a while */
	struct va_llm_settings llm; /* the language model, when configured */
	struct va_llm_http *http;   /* model and calendar requests on the loop */
	struct va_calsync *calsync; /* practices' calendars kept in step */

	struct va_call *calls; /* live and detached calls (list) */
	size_t n_calls;	       /* calls in the list */
	size_t n_active;       /* calls with a live socket */

	const struct va_agent_factory *const *agents; /* borrowed, NULL-terminated */
	const struct va_agent_factory *agent;	      /* the one answering calls */

	/* Figures for the status endpoint. */
	struct va_latency first_token;	     /* prompt received -> first token written */
	struct va_latency last_token;	     /* prompt received -> last token written */
	struct va_latency model_first_token; /* prompt received -> first token from a model */
	struct va_latency model_audio_out;   /* Realtime audio delta in -> Twilio frame written */
	uint64_t total_conversations;
	uint64_t total_turns;
	uint64_t total_interruptions;
	uint64_t refused_calls;
	uint64_t bad_messages;
	int64_t started_ms;

	int draining; /* SIGTERM seen: refuse new calls */
	int64_t drain_deadline_ms;
	int stopping; /* shutdown begun */
	uv_signal_t sig_term, sig_int;
	uv_timer_t drain_timer;
	uv_idle_t *stop_idle;
};

/* Borrowed tenant by id, or NULL. Valid for the server's life; its content
 * may change (an API update) between loop callbacks. */
const struct va_tenant *va_server_tenant(const struct va_server *srv, const char *id);
/* Frees the tenant cache (shutdown, tests). */
void va_server_tenants_free(struct va_server *srv);
/* The tenant's time zone (loaded with it; UTC if its zone could not be read). */
const struct va_tz *va_server_tenant_tz(const struct va_server *srv, const char *id);
/* Inserts or replaces the tenant in the cache (the caller persists it). */
void va_server_tenant_put(struct va_server *srv, const struct va_tenant *t);

/*
 * Runs `voiceai serve` with the given agent factories (NULL-terminated; the
 * first is the default unless the configuration names another). The test
 * server calls this with its scripted agent added.
 */
int va_server_main(int argc, char **argv, const struct va_agent_factory *const *agents);

#endif
