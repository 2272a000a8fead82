/* SPDX-License-Identifier: MIT */
/*
 * llm_agent.h - the language-model agent: an OpenAI-compatible Chat
 * Completions model leads the conversation, streaming its words to the
 * caller as they arrive, and acts on the schedule only through the tools of
 * llm/tools.h. On any model failure, or when its first token is late, the
 * embedded receptionist takes over the turn and the rest of the call with
 * what was said so far.
 */
#ifndef VA_AGENT_LLM_AGENT_H
#define VA_AGENT_LLM_AGENT_H

#include "agent/agent.h"
#include "tenant/tenant.h"

#include <stdbool.h>

struct va_llm_settings {
	bool enabled;
	char base_url[256]; /* e.g. https://api.openai.com/v1 or http://127.0.0.1:8080/v1 */
	char model[96];
	char api_key[256];  /* secret: never logged or returned */
	double temperature; /* < 0: server default */
	int first_token_ms; /* fallback when the first token is later than this */
	int timeout_ms;	    /* a whole model request */
	int max_retries;    /* on 429, within the first-token budget */
};

/* From the environment: OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_MODEL,
 * VOICEAI_LLM_FIRST_TOKEN_MS, VOICEAI_LLM_TIMEOUT_MS, VOICEAI_LLM_TEMPERATURE.
 * Enabled when a key or a base URL is set. */
void va_llm_settings_from_env(struct va_llm_settings *s);

/* Overlays a practice's own model settings (base URL, model, key or the
 * environment variable holding it, temperature, timeouts) on s. */
void va_llm_settings_apply_tenant(struct va_llm_settings *s, const struct va_tenant_llm *t);

/* "llm": the model when configured for the call, else the receptionist. */
extern const struct va_agent_factory va_agent_llm_factory;

#endif
