/* SPDX-License-Identifier: MIT */
/*
 * test_agent.h - a scripted agent for integration tests. What it does is
 * chosen by the prompt text:
 *   "slow N [MS]"  N tokens "tok0 " … one every MS ms (default 20), then end
 *   "zombie N"     like slow, but keeps emitting after an interrupt (the host
 *                  must drop those tokens)
 *   "handoff"      a sentence, then end_call with a front-desk handoff
 *   "bye"          "Goodbye!" then end_call without handoff
 *   "detail K V"   records detail K=V, replies "noted K"
 *   "digits D"     sends DTMF D, replies "sent D"
 *   anything else  "echo: " + the prompt, at once, word by word
 * A keypress D is answered "pressed D".
 */
#ifndef VA_TEST_AGENT_H
#define VA_TEST_AGENT_H

#include "agent/agent.h"

extern const struct va_agent_factory va_test_agent_factory;

#endif
