/* SPDX-License-Identifier: MIT */
/*
 * call.h - one phone call's conversation: state machine, turns, the agent,
 * per-call figures, persistence turn by turn.
 *
 * A call is keyed by its CallSid and outlives any one WebSocket: when the
 * socket drops the call is DETACHED for a grace period, and a new session for
 * the same CallSid (the <Connect action> callback returning a fresh
 * ConversationRelay, or Twilio's application reconnect) resumes it with its
 * history. The call never sees JSON or sockets: the transport hands it typed
 * messages and it writes outbound messages through struct va_call_sink.
 *
 * States:  ACTIVE -> ENDING (end sent) -> ENDED
 *          ACTIVE -> DETACHED (socket lost) -> ACTIVE (resumed) | ENDED (grace over)
 */
#ifndef VA_CALL_CALL_H
#define VA_CALL_CALL_H

#include "agent/agent.h"
#include "core/buf.h"
#include "relay/msg.h"
#include "store/store.h"

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

struct va_server;
struct va_call;

enum va_call_state {
	VA_CALL_ACTIVE = 0,
	VA_CALL_DETACHED,
	VA_CALL_ENDING,
	VA_CALL_ENDED,
	VA_CALL__COUNT
};

const char *va_call_state_name(enum va_call_state s);

enum va_call_mark { VA_MARK_NONE = 0, VA_MARK_FIRST = 1, VA_MARK_LAST = 2 };

/* The transport under a call: a ConversationRelay WebSocket, or one
 * turn-based <Gather> request. Calls are typed; each transport serializes. */
struct va_call_sink_ops {
	/* One piece of the reply (last closes the talk cycle). VA_E_FULL if the
	 * peer is not reading (the transport then drops it). mark says whether
	 * this carries a reply's first and/or last token: the transport records
	 * prompt (t0_ns, monotonic) -> written in the server's figures. */
	int (*text)(void *sink, const char *token, size_t len, bool last, enum va_call_mark mark,
		    uint64_t t0_ns);
	/* Ends the session; handoff_json (may be NULL) goes back to Twilio. */
	int (*end)(void *sink, const char *handoff_json);
	/* DTMF toward the far end. */
	int (*send_digits)(void *sink, const char *digits);
	/* The call is done with this transport (close after what is queued). */
	void (*close)(void *sink);
};

struct va_turn {
	enum va_turn_role role;
	struct va_buf text;
	char *heard; /* agent turn cut short: what the caller heard */
	bool interrupted;
	bool open; /* agent turn still streaming */
	bool saved_final;
	bool truncated; /* transcript text hit its cap */
	int64_t started_ms, ended_ms;
	uint64_t t0_ns;				  /* when the prompt it answers arrived */
	int64_t first_us, last_us;		  /* -1 until known */
	int64_t model_request_us, model_first_us; /* model turns; -1 otherwise */
};

struct va_detail {
	char key[32];
	char value[256];
};

#define VA_CALL_MAX_DETAILS 24
#define VA_CALL_MAX_ALIASES 4

struct va_call {
	struct va_server *srv;
	struct va_call *next, *prev; /* registry list */

	char tenant_id[64];
	char call_sid[64];
	char session_id[64];		       /* the first session's id: the key */
	char aliases[VA_CALL_MAX_ALIASES][64]; /* later sessions of the same call */
	char from[32], to[32];
	enum va_call_state state;
	char end_reason[24]; /* completed, handoff, dropped, shutdown, ended */
	char *handoff;	     /* owned: handoffData sent with end, if any */
	int64_t started_ms, ended_ms;

	struct va_agent *agent;
	const char *agent_name; /* static: what the conversation shows as its agent */
	bool absorbs;		/* the agent is the receptionist: it takes in recorded words */

	const struct va_call_sink_ops *sink_ops;
	void *sink;

	uint64_t turn_id;      /* current turn; replies for others are dropped */
	struct va_turn *turns; /* growable array */
	size_t n_turns, cap_turns;
	long agent_turn;     /* index of the latest agent turn, -1 none */
	bool end_after_turn; /* end_call asked while a reply streams */

	size_t n_details;
	struct va_detail
	    *details; /* owned; allocated on the first detail, so idle calls stay small */

	int interruptions;
	int errors_from_twilio;
	int sessions; /* how many transports this call has had */
	int relay_failures;
	bool media_failed; /* the raw-audio model failed: continue on ConversationRelay */
	bool media_ended;  /* the raw-audio model ended the call (goodbye said) */

	uv_timer_t *grace_timer; /* heap: freed in its close callback */
};

/*
 * Starts a call for a setup message, or resumes the call with the same
 * CallSid if one is live or detached. On success *out is the call, attached
 * to sink. VA_E_BUSY when the server is at capacity or draining.
 */
int va_call_setup(struct va_server *srv, const char *tenant_id, const struct va_relay_setup *setup,
		  const struct va_call_sink_ops *ops, void *sink, struct va_call **out);

/* As va_call_setup with a given agent (NULL = the server's). The raw-audio
 * transport keeps the embedded receptionist listening in the background, so
 * a fall back to ConversationRelay continues with what was said. */
int va_call_setup_with(struct va_server *srv, const char *tenant_id,
		       const struct va_relay_setup *setup, const struct va_agent_factory *factory,
		       const struct va_call_sink_ops *ops, void *sink, struct va_call **out);

/* A transport whose own model talks (the Realtime bridge) records the turns
 * as they happen, without asking the call's agent to answer: the caller's
 * words (also taken in by a receptionist agent), and the model's reply with
 * what was heard when cut short and its timing (t0: end of the caller's
 * speech, monotonic; microseconds to the first and last audio sent, -1 n/a). */
void va_call_record_caller(struct va_call *c, const char *text);
void va_call_record_agent(struct va_call *c, const char *text, const char *heard, bool interrupted,
			  uint64_t t0_ns, int64_t first_us, int64_t last_us);
void va_call_set_detail(struct va_call *c, const char *key, const char *value);
/* What the conversation shows as the call's agent (name static, e.g.
 * "realtime" while a speech-to-speech model talks). */
void va_call_set_agent_label(struct va_call *c, const char *name);
/* Where the call goes after its transport closes (the <Connect action>):
 * handoff_json as an agent's end_call would give it (NULL clears). */
void va_call_set_handoff(struct va_call *c, const char *handoff_json);

/* How many times this call's relay session failed and came back through the
 * action callback (see http/routes_voice.c). */
int va_call_relay_failures(const struct va_call *c);
void va_call_note_relay_failure(struct va_call *c);

/* Inbound events, already validated by the protocol layer. */
void va_call_on_prompt(struct va_call *c, const char *text, bool last);
void va_call_on_interrupt(struct va_call *c, const char *heard, long duration_ms);
void va_call_on_dtmf(struct va_call *c, char digit);
void va_call_on_twilio_error(struct va_call *c, const char *description);

/* The socket under the call is gone. An ended call is finalized; a live one
 * waits reconnect_grace_ms for its session to come back. */
void va_call_detach(struct va_call *c);

/* Ends the call now with reason (e.g. "completed" from the action callback,
 * "shutdown"): the agent is told, figures and state are persisted, the call
 * leaves the registry and is freed. */
void va_call_finish(struct va_call *c, const char *reason);

/* Registry lookups (borrowed). By CallSid, or by any of its session ids. */
struct va_call *va_call_find_by_sid(struct va_server *srv, const char *call_sid);
struct va_call *va_call_find_by_session(struct va_server *srv, const char *session_id);

/* Snapshot of the call as a store row + turns (for the conversation API). */
void va_call_snapshot(const struct va_call *c, struct va_conv_loaded *out);

#endif
