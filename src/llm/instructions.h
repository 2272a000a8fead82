/* SPDX-License-Identifier: MIT */
/*
 * instructions.h - what a language model is told about the practice and its
 * job: one text for every model-led path (the Chat Completions agent's system
 * prompt, the Realtime session's instructions), so they cannot drift apart.
 */
#ifndef VA_LLM_INSTRUCTIONS_H
#define VA_LLM_INSTRUCTIONS_H

#include "core/buf.h"
#include "core/tz.h"
#include "tenant/tenant.h"

#include <stdint.h>

/* Appends the instructions for a call to the practice t (its zone tz) at
 * now (epoch seconds) from caller (digits, "" when withheld). */
void va_llm_instructions(const struct va_tenant *t, const struct va_tz *tz, int64_t now,
			 const char *caller, struct va_buf *b);

#endif
