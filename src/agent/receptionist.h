/* SPDX-License-Identifier: MIT */
/*
 * receptionist.h - the embedded dental receptionist: the agent that answers
 * every call when no language model is configured. It understands each
 * utterance deterministically (nlu/understand.h), keeps what it learned, asks
 * only for what is missing, offers concrete times from the scheduler
 * (schedule/slots.h) and books through the store, never inventing
 * availability.
 */
#ifndef VA_AGENT_RECEPTIONIST_H
#define VA_AGENT_RECEPTIONIST_H

#include "agent/agent.h"

extern const struct va_agent_factory va_agent_receptionist_factory;

/* Takes in what a caller said earlier in the call (to another agent) without
 * answering it: names, numbers, the service, symptoms, the wished time and the
 * goal are remembered, so a receptionist taking over mid-call does not ask
 * for them again. a must come from va_agent_receptionist_factory. */
void va_receptionist_absorb(struct va_agent *a, const char *caller_text);

#endif
