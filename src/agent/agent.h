/* SPDX-License-Identifier: MIT */
/*
 * agent.h - the conversation's brain, behind one interface.
 *
 * An agent instance belongs to one call. The call session feeds it events
 * (start, each final prompt, interrupts, DTMF, end) and the agent answers
 * asynchronously through its host: tokens of a reply, then the end of that
 * reply. Every reply is tagged with the turn id it answers; the host drops
 * tokens for any turn that is no longer current (interrupted, or superseded by
 * a newer prompt), so a slow agent that keeps streaming after a barge-in can
 * never reach the caller. A synchronous rule engine simply emits its whole
 * reply inside on_prompt; a streaming model emits over seconds from its own
 * I/O callbacks on the same loop.
 *
 * All calls happen on the loop thread. The agent must not call host functions
 * after on_end returns.
 */
#ifndef VA_AGENT_AGENT_H
#define VA_AGENT_AGENT_H

#include "core/tz.h"
#include "tenant/tenant.h"

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct va_agent;

/* What the host (the call session) offers its agent. Borrowed; valid until on_end. */
struct va_agent_host_ops {
	/* Streams a piece of the reply for turn_id. VA_E_STATE if that turn is
	 * over (interrupted / superseded): the agent should stop producing it. */
	int (*token)(void *host, uint64_t turn_id, const char *text, size_t len);
	/* Marks the reply for turn_id complete (sends last:true). */
	int (*end_turn)(void *host, uint64_t turn_id);
	/* Ends the call after the current reply; handoff_json (may be NULL) is
	 * passed to Twilio as handoffData, e.g. to transfer to the front desk. */
	int (*end_call)(void *host, const char *handoff_json);
	/* Records a detail learned about the caller (name, reason …), shown on the
	 * conversation. key and value are copied. */
	int (*set_detail)(void *host, const char *key, const char *value);
	/* Sends DTMF toward the far end. */
	int (*send_digits)(void *host, const char *digits);
	/* A model-backed agent reports where turn_id's time went: prompt ->
	 * request sent, and prompt -> first model token (microseconds). */
	int (*turn_timing)(void *host, uint64_t turn_id, int64_t request_us, int64_t model_first_us);
};

/* Facts about the call given to an agent at creation. Strings are borrowed
 * for the duration of create(); the agent copies what it keeps. */
struct va_store;
struct va_holds;
struct va_llm_http;
struct va_llm_settings;

struct va_agent_call {
	uv_loop_t *loop;
	/* Borrowed for the call's life (owned by the server): */
	const struct va_tenant *tenant; /* content may change between callbacks */
	const struct va_tz *tz;		/* the practice's zone */
	struct va_store *store;		/* appointments, patients (completion-based) */
	struct va_holds *holds;		/* soft holds on offered slots */
	struct va_llm_http *http;	/* model requests on the loop (NULL: none) */
	const struct va_llm_settings *llm; /* model settings (NULL or disabled: none) */
	const char *call_sid;
	const char *session_id;
	const char *from;
	const char *to;
	const char *caller_name;
};

struct va_agent_ops {
	const char *name;
	/* A final caller prompt for turn_id. */
	void (*on_prompt)(struct va_agent *a, uint64_t turn_id, const char *text);
	/* The caller barged in on turn_id; heard is what they actually heard. The
	 * agent stops producing that turn (abort its request etc.). */
	void (*on_interrupt)(struct va_agent *a, uint64_t turn_id, const char *heard);
	/* A keypress. turn_id is the turn a reply to it must use. */
	void (*on_dtmf)(struct va_agent *a, uint64_t turn_id, char digit);
	/* The session ended (hang-up, end, drop past its grace). No host calls after. */
	void (*on_end)(struct va_agent *a);
	/* Frees the agent; may be called only after on_end. */
	void (*free)(struct va_agent *a);
};

struct va_agent {
	const struct va_agent_ops *ops;
	const struct va_agent_host_ops *host_ops;
	void *host;
};

/* A named way to create agents; the server picks one per call. */
struct va_agent_factory {
	const char *name;
	const char *description;
	/* Returns a new agent, or NULL on failure. host_ops/host are stored in the
	 * returned struct va_agent by the factory. */
	struct va_agent *(*create)(const struct va_agent_call *call,
				   const struct va_agent_host_ops *host_ops, void *host);
};

/* Helpers for agents: forward to the host. */
static inline int va_agent_token(struct va_agent *a, uint64_t turn, const char *s, size_t n)
{
	return a->host_ops->token(a->host, turn, s, n);
}
static inline int va_agent_end_turn(struct va_agent *a, uint64_t turn)
{
	return a->host_ops->end_turn(a->host, turn);
}

/* The built-in loopback agent: answers each prompt at once, word by word.
 * Used by `voiceai bench` and until a receptionist is configured. */
extern const struct va_agent_factory va_agent_echo_factory;

#endif
