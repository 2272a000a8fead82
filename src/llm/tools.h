/* SPDX-License-Identifier: MIT */
/*
 * tools.h - the scheduling tools a language model may call, and the only way
 * it can touch the practice's schedule. Each tool parses its JSON arguments
 * into typed values at this boundary, runs against the same scheduling core
 * and store the embedded receptionist uses (schedule/slots.h, store.h), and
 * answers with a JSON result for the model. Invalid arguments, a taken slot
 * or a time outside hours come back as {"error": "..."} — never a booking the
 * core would refuse.
 */
#ifndef VA_LLM_TOOLS_H
#define VA_LLM_TOOLS_H

#include "core/tz.h"
#include "llm/openai.h"
#include "tenant/tenant.h"

#include <stddef.h>
#include <stdint.h>

struct va_store;
struct va_holds;

struct va_tools_ctx {
	const struct va_tenant *tenant; /* borrowed for the call's life */
	const struct va_tz *tz;
	struct va_store *store;
	struct va_holds *holds;
	const char *owner;	    /* the call: holds and bookings are its */
	const char *session_id;	    /* recorded on bookings */
	const char *caller_phone;   /* digits, "" if withheld */
	int64_t now;
};

enum va_tool_action {
	VA_TOOL_CONTINUE = 0, /* send the result to the model and go on */
	VA_TOOL_TRANSFER,     /* hand the call to the front desk after the reply */
	VA_TOOL_END_CALL,     /* end the call after the reply */
};

/* result_json is owned by the callback (free()). detail_key/value: something
 * learned worth showing on the conversation (e.g. "appointment_id"), or NULL. */
typedef void (*va_tool_done_cb)(char *result_json, enum va_tool_action action,
				const char *detail_key, const char *detail_value, void *arg);

/* The tool definitions for the request. */
extern const struct va_llm_tool va_tools[];
extern const size_t va_n_tools;

/* Runs tool name with args (JSON text). The callback runs later on the loop
 * (or at once when no store access is needed) exactly once — unless this
 * returns an error. A pending run can be abandoned with va_tool_cancel (its
 * callback will then not run). */
struct va_tool_run;
int va_tool_run(const struct va_tools_ctx *ctx, const char *name, const char *args,
		va_tool_done_cb cb, void *arg, struct va_tool_run **out);
void va_tool_cancel(struct va_tool_run *run);

#endif
