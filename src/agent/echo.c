/* SPDX-License-Identifier: MIT */
/*
 * echo.c - the loopback agent: replies at once, streaming word by word, to
 * every prompt by repeating what it understood. It needs nothing (no model,
 * no schedule) and costs almost nothing, which makes it the reference agent
 * for `voiceai bench` latency figures and a way to check a deployment's
 * telephony before a receptionist is configured.
 */
#include "agent/agent.h"
#include "core/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct echo_agent {
	struct va_agent base;
	int prompts;
};

/* Streams s as word-sized tokens, each keeping its trailing space. */
static int stream_words(struct va_agent *a, uint64_t turn, const char *s)
{
	while (*s) {
		const char *e = s;
		while (*e && *e != ' ')
			e++;
		while (*e == ' ')
			e++;
		if (va_agent_token(a, turn, s, (size_t)(e - s)) != 0)
			return -1;
		s = e;
	}
	return 0;
}

static void echo_on_prompt(struct va_agent *a, uint64_t turn, const char *text)
{
	struct echo_agent *ea = (struct echo_agent *)a;

	ea->prompts++;
	if (stream_words(a, turn, "You said: ") != 0 || stream_words(a, turn, text) != 0)
		return;
	va_agent_end_turn(a, turn);
}

static void echo_on_interrupt(struct va_agent *a, uint64_t turn, const char *heard)
{
	/* Nothing in flight: replies are produced synchronously. */
}

static void echo_on_dtmf(struct va_agent *a, uint64_t turn, char digit)
{
	char msg[48];

	snprintf(msg, sizeof(msg), "You pressed %c.", digit);
	if (stream_words(a, turn, msg) == 0)
		va_agent_end_turn(a, turn);
}

static void echo_on_end(struct va_agent *a)
{
}

static void echo_free(struct va_agent *a)
{
	free(a);
}

static const struct va_agent_ops echo_ops = {
	.name = "echo",
	.on_prompt = echo_on_prompt,
	.on_interrupt = echo_on_interrupt,
	.on_dtmf = echo_on_dtmf,
	.on_end = echo_on_end,
	.free = echo_free,
};

static struct va_agent *echo_create(const struct va_agent_call *call,
				    const struct va_agent_host_ops *host_ops, void *host)
{
	struct echo_agent *ea = va_xcalloc(1, sizeof(*ea));

	ea->base.ops = &echo_ops;
	ea->base.host_ops = host_ops;
	ea->base.host = host;
	return &ea->base;
}

const struct va_agent_factory va_agent_echo_factory = {
	.name = "echo",
	.description = "loopback agent: repeats each prompt at once (bench, line checks)",
	.create = echo_create,
};
