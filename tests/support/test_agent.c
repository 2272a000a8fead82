/* SPDX-License-Identifier: MIT */
/* test_agent.c - the scripted agent described in test_agent.h. */
#include "test_agent.h"
#include "core/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct test_agent {
	struct va_agent base;
	uv_timer_t timer; /* streaming clock; the agent is freed in its close callback */
	uint64_t turn;
	int left, sent;
	bool zombie;
	bool end_call_after;
};

static void say(struct va_agent *a, uint64_t turn, const char *s)
{
	while (*s) {
		const char *e = s;
		while (*e && *e != ' ')
			e++;
		while (*e == ' ')
			e++;
		if (va_agent_token(a, turn, s, (size_t)(e - s)) != 0)
			return;
		s = e;
	}
}

static void on_tick(uv_timer_t *t)
{
	struct test_agent *ta = t->data;
	char tok[32];

	if (ta->left <= 0) {
		uv_timer_stop(t);
		va_agent_end_turn(&ta->base, ta->turn);
		return;
	}
	snprintf(tok, sizeof(tok), "tok%d ", ta->sent++);
	ta->left--;
	if (va_agent_token(&ta->base, ta->turn, tok, strlen(tok)) != 0 && !ta->zombie)
		uv_timer_stop(t);
}

static void ta_prompt(struct va_agent *a, uint64_t turn, const char *text)
{
	struct test_agent *ta = (struct test_agent *)a;
	int n = 0, ms = 20;
	char k[64], v[128];

	if (!ta->zombie)
		uv_timer_stop(&ta->timer);
	if (sscanf(text, "slow %d %d", &n, &ms) >= 1 || sscanf(text, "zombie %d", &n) == 1) {
		ta->zombie = strncmp(text, "zombie", 6) == 0;
		ta->turn = turn;
		ta->left = n;
		ta->sent = 0;
		uv_timer_start(&ta->timer, on_tick, (uint64_t)ms, (uint64_t)ms);
		return;
	}
	if (!strcmp(text, "handoff")) {
		say(a, turn, "Let me transfer you to our front desk.");
		va_agent_end_turn(a, turn);
		a->host_ops->end_call(a->host, "{\"reasonCode\":\"live-agent-handoff\","
					       "\"reason\":\"caller asked for a person\"}");
		return;
	}
	if (!strcmp(text, "bye")) {
		say(a, turn, "Goodbye!");
		va_agent_end_turn(a, turn);
		a->host_ops->end_call(a->host, NULL);
		return;
	}
	if (sscanf(text, "detail %63s %127[^\n]", k, v) == 2) {
		a->host_ops->set_detail(a->host, k, v);
		say(a, turn, "noted ");
		say(a, turn, k);
		va_agent_end_turn(a, turn);
		return;
	}
	if (sscanf(text, "digits %63s", k) == 1) {
		a->host_ops->send_digits(a->host, k);
		say(a, turn, "sent ");
		say(a, turn, k);
		va_agent_end_turn(a, turn);
		return;
	}
	say(a, turn, "echo: ");
	say(a, turn, text);
	va_agent_end_turn(a, turn);
}

static void ta_interrupt(struct va_agent *a, uint64_t turn, const char *heard)
{
	struct test_agent *ta = (struct test_agent *)a;

	if (!ta->zombie)
		uv_timer_stop(&ta->timer);
}

static void ta_dtmf(struct va_agent *a, uint64_t turn, char digit)
{
	char msg[32];

	snprintf(msg, sizeof(msg), "pressed %c", digit);
	say(a, turn, msg);
	va_agent_end_turn(a, turn);
}

static void ta_end(struct va_agent *a)
{
	struct test_agent *ta = (struct test_agent *)a;

	uv_timer_stop(&ta->timer);
}

static void on_closed(uv_handle_t *h)
{
	free(h->data);
}

static void ta_free(struct va_agent *a)
{
	struct test_agent *ta = (struct test_agent *)a;

	uv_close((uv_handle_t *)&ta->timer, on_closed);
}

static const struct va_agent_ops ops = {
	.name = "test",
	.on_prompt = ta_prompt,
	.on_interrupt = ta_interrupt,
	.on_dtmf = ta_dtmf,
	.on_end = ta_end,
	.free = ta_free,
};

static struct va_agent *ta_create(const struct va_agent_call *call,
				  const struct va_agent_host_ops *host_ops, void *host)
{
	struct test_agent *ta = va_xcalloc(1, sizeof(*ta));

	ta->base.ops = &ops;
	ta->base.host_ops = host_ops;
	ta->base.host = host;
	uv_timer_init(call->loop, &ta->timer);
	ta->timer.data = ta;
	return &ta->base;
}

const struct va_agent_factory va_test_agent_factory = {
	.name = "test",
	.description = "scripted agent for integration tests",
	.create = ta_create,
};
