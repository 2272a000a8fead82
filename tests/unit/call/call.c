/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/call/call.c - the call session of src/call/call.c without
 * sockets: a minimal server context, a recording sink in place of the
 * transport and a passive agent the tests drive by hand, so every turn,
 * barge-in and reconnect rule can be checked step by step.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "app/server.h"
#include "call/call.h"
#include "core/err.h"
#include "core/log.h"
#include "store/store.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

/* ---- a passive agent ---------------------------------------------------- */

/* Counters that outlive the agent (the call frees it on finish). */
static int g_created, g_ended, g_freed;
static struct tagent *g_last;

struct tagent {
	struct va_agent base;
	char call_sid[64];
	char session_id[64];
	int prompts;
	uint64_t prompt_turn;
	char prompt[256];
	int interrupts;
	uint64_t interrupt_turn;
	char heard[256];
	int dtmfs;
	uint64_t dtmf_turn;
	char digit;
};

static void ta_on_prompt(struct va_agent *a, uint64_t turn_id, const char *text)
{
	struct tagent *t = (struct tagent *)a;

	t->prompts++;
	t->prompt_turn = turn_id;
	snprintf(t->prompt, sizeof(t->prompt), "%s", text);
}

static void ta_on_interrupt(struct va_agent *a, uint64_t turn_id, const char *heard)
{
	struct tagent *t = (struct tagent *)a;

	t->interrupts++;
	t->interrupt_turn = turn_id;
	snprintf(t->heard, sizeof(t->heard), "%s", heard);
}

static void ta_on_dtmf(struct va_agent *a, uint64_t turn_id, char digit)
{
	struct tagent *t = (struct tagent *)a;

	t->dtmfs++;
	t->dtmf_turn = turn_id;
	t->digit = digit;
}

static void ta_on_end(struct va_agent *a)
{
	g_ended++;
}

static void ta_free(struct va_agent *a)
{
	if (g_last == (struct tagent *)a)
		g_last = NULL;
	g_freed++;
	free(a);
}

static const struct va_agent_ops ta_ops = {
    .name = "unit",
    .on_prompt = ta_on_prompt,
    .on_interrupt = ta_on_interrupt,
    .on_dtmf = ta_on_dtmf,
    .on_end = ta_on_end,
    .free = ta_free,
};

static int g_fail_create;

static struct va_agent *ta_create(const struct va_agent_call *call,
				  const struct va_agent_host_ops *host_ops, void *host)
{
	struct tagent *t;

	if (g_fail_create)
		return NULL;
	t = calloc(1, sizeof(*t));
	assert_non_null(t);
	t->base.ops = &ta_ops;
	t->base.host_ops = host_ops;
	t->base.host = host;
	snprintf(t->call_sid, sizeof(t->call_sid), "%s", call->call_sid);
	snprintf(t->session_id, sizeof(t->session_id), "%s", call->session_id);
	g_created++;
	g_last = t;
	return &t->base;
}

static const struct va_agent_factory ta_factory = {
    .name = "unit",
    .description = "passive agent driven by the test",
    .create = ta_create,
};

/* ---- a recording sink ---------------------------------------------------- */

struct sink {
	int texts;	 /* text() calls */
	int lasts;	 /* of which last:true */
	char said[1024]; /* tokens concatenated */
	bool last_flag;
	enum va_call_mark last_mark;
	int firsts; /* tokens carrying VA_MARK_FIRST */
	int ends;
	bool end_handoff_null;
	char end_handoff[512];
	int closes;
	int digit_sends;
	char digits[32];
};

static int sink_text(void *p, const char *token, size_t len, bool last, enum va_call_mark mark,
		     uint64_t t0_ns)
{
	struct sink *s = p;
	size_t n = strlen(s->said);

	assert_true(n + len < sizeof(s->said));
	memcpy(s->said + n, token, len);
	s->said[n + len] = '\0';
	s->texts++;
	s->lasts += last;
	s->last_flag = last;
	s->last_mark = mark;
	if (mark & VA_MARK_FIRST)
		s->firsts++;
	assert_true(t0_ns > 0);
	return VA_OK;
}

static int sink_end(void *p, const char *handoff_json)
{
	struct sink *s = p;

	s->ends++;
	s->end_handoff_null = handoff_json == NULL;
	snprintf(s->end_handoff, sizeof(s->end_handoff), "%s", handoff_json ? handoff_json : "");
	return VA_OK;
}

static int sink_send_digits(void *p, const char *digits)
{
	struct sink *s = p;

	s->digit_sends++;
	snprintf(s->digits, sizeof(s->digits), "%s", digits);
	return VA_OK;
}

static void sink_close(void *p)
{
	struct sink *s = p;

	s->closes++;
}

static const struct va_call_sink_ops sink_ops = {
    .text = sink_text,
    .end = sink_end,
    .send_digits = sink_send_digits,
    .close = sink_close,
};

/* ---- fixture -------------------------------------------------------------- */

struct fx {
	uv_loop_t loop;
	struct va_server srv;
	struct sink s1, s2, s3;
	char db_path[256];	       /* set while a test uses a store */
	struct va_conv_loaded *loaded; /* freed by the teardown, even after a failure */
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct va_tenant t;
	char *argv[] = {(char *)"serve", NULL};
	char why[128];
	int help;

	if (!f)
		return -1;
	va_log_set_level(VA_LOG_ERROR);
	if (uv_loop_init(&f->loop) != 0)
		return -1;
	f->srv.loop = &f->loop;
	/* Settings come from the environment too: pin the ones that matter. */
	unsetenv("VOICEAI_MAX_CALLS");
	unsetenv("VOICEAI_RECONNECT_GRACE_MS");
	if (va_config_load(&f->srv.cfg, 1, argv, &help, why, sizeof(why)) != VA_OK)
		return -1;
	f->srv.store = NULL;
	va_tenant_demo(&t);
	va_server_tenant_put(&f->srv, &t);
	snprintf(t.id, sizeof(t.id), "%s", "other");
	va_server_tenant_put(&f->srv, &t);
	f->srv.agent = &ta_factory;
	g_created = g_ended = g_freed = 0;
	g_fail_create = 0;
	g_last = NULL;
	*state = f;
	return 0;
}

static void close_store(struct fx *f);

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	int rc;

	while (f->srv.calls)
		va_call_finish(f->srv.calls, "shutdown");
	va_conv_loaded_free(f->loaded);
	if (f->srv.store)
		close_store(f);
	/* Deliver the close callbacks of grace timers. */
	uv_run(&f->loop, UV_RUN_DEFAULT);
	rc = uv_loop_close(&f->loop);
	va_server_tenants_free(&f->srv);
	free(f);
	va_log_set_level(VA_LOG_INFO);
	if (rc != 0 || g_created != g_freed)
		return -1;
	return 0;
}

static void mk_setup(struct va_relay_setup *s, const char *call_sid, const char *session_id)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->call_sid, sizeof(s->call_sid), "%s", call_sid);
	snprintf(s->session_id, sizeof(s->session_id), "%s", session_id);
	snprintf(s->from, sizeof(s->from), "%s", "+15551230000");
	snprintf(s->to, sizeof(s->to), "%s", "+15559870000");
	snprintf(s->caller_name, sizeof(s->caller_name), "%s", "Ann");
}

static struct va_call *start(struct fx *f, const char *tenant, const char *sid, const char *sess,
			     struct sink *sk)
{
	struct va_relay_setup s;
	struct va_call *c = NULL;

	mk_setup(&s, sid, sess);
	assert_int_equal(va_call_setup(&f->srv, tenant, &s, &sink_ops, sk, &c), VA_OK);
	assert_non_null(c);
	return c;
}

static struct va_agent *agent_of(struct va_call *c)
{
	return c->agent;
}

static struct tagent *tagent_of(struct va_call *c)
{
	return (struct tagent *)c->agent;
}

static int tok(struct va_call *c, uint64_t turn, const char *s)
{
	return va_agent_token(agent_of(c), turn, s, strlen(s));
}

static void snapshot_release(struct va_conv_loaded *l)
{
	va_conv_row_release(&l->conv);
	for (size_t i = 0; i < l->n_turns; i++)
		va_turn_row_release(&l->turns[i]);
	free(l->turns);
}

/* ---- tests ------------------------------------------------------------------ */

static void test_setup_registers(void **state)
{
	struct fx *f = *state;
	struct va_call *c = start(f, "demo123", "CA1", "VX1", &f->s1);

	assert_int_equal(f->srv.n_calls, 1);
	assert_int_equal(f->srv.n_active, 1);
	assert_int_equal(f->srv.total_conversations, 1);
	assert_ptr_equal(va_call_find_by_sid(&f->srv, "CA1"), c);
	assert_ptr_equal(va_call_find_by_session(&f->srv, "VX1"), c);
	assert_null(va_call_find_by_sid(&f->srv, "CA2"));
	assert_null(va_call_find_by_session(&f->srv, "CA1"));
	assert_null(va_call_find_by_session(&f->srv, "VX2"));
	assert_int_equal(c->state, VA_CALL_ACTIVE);
	assert_string_equal(c->tenant_id, "demo123");
	assert_string_equal(c->from, "+15551230000");
	assert_string_equal(c->to, "+15559870000");
	assert_string_equal(c->agent_name, "unit");
	assert_int_equal(c->sessions, 1);
	/* The agent got the call's identity. */
	assert_int_equal(g_created, 1);
	assert_string_equal(tagent_of(c)->call_sid, "CA1");
	assert_string_equal(tagent_of(c)->session_id, "VX1");

	/* A second call is a second entry. */
	struct va_call *c2 = start(f, "demo123", "CA2", "VX2", &f->s2);
	assert_ptr_not_equal(c2, c);
	assert_int_equal(f->srv.n_calls, 2);
	assert_ptr_equal(va_call_find_by_sid(&f->srv, "CA1"), c);
	assert_ptr_equal(va_call_find_by_session(&f->srv, "VX2"), c2);
}

static void test_setup_unknown_tenant(void **state)
{
	struct fx *f = *state;
	struct va_relay_setup s;
	struct va_call *c = NULL;

	mk_setup(&s, "CA1", "VX1");
	assert_int_equal(va_call_setup(&f->srv, "nope", &s, &sink_ops, &f->s1, &c), VA_E_NOTFOUND);
	assert_null(c);
	assert_int_equal(f->srv.n_calls, 0);
	assert_int_equal(f->srv.n_active, 0);
	assert_int_equal(g_created, 0);
}

static void test_setup_agent_fails(void **state)
{
	struct fx *f = *state;
	struct va_relay_setup s;
	struct va_call *c = NULL;

	g_fail_create = 1;
	mk_setup(&s, "CA1", "VX1");
	assert_int_not_equal(va_call_setup(&f->srv, "demo123", &s, &sink_ops, &f->s1, &c), VA_OK);
	assert_int_equal(f->srv.n_calls, 0);
	assert_int_equal(f->srv.n_active, 0);
	assert_null(va_call_find_by_sid(&f->srv, "CA1"));
}

static void test_prompt_new_turn(void **state)
{
	struct fx *f = *state;
	struct va_call *c = start(f, "demo123", "CA1", "VX1", &f->s1);
	struct tagent *a = tagent_of(c);
	uint64_t t1, t2;

	/* A partial prompt is not a turn. */
	va_call_on_prompt(c, "I need a", false);
	assert_int_equal(a->prompts, 0);
	assert_int_equal(c->n_turns, 0);

	va_call_on_prompt(c, "I need a cleaning", true);
	assert_int_equal(a->prompts, 1);
	assert_string_equal(a->prompt, "I need a cleaning");
	t1 = a->prompt_turn;
	assert_int_equal(t1, c->turn_id);

	va_call_on_prompt(c, "next Tuesday", true);
	assert_int_equal(a->prompts, 2);
	t2 = a->prompt_turn;
	assert_true(t2 != t1);
	assert_int_equal(t2, c->turn_id);

	/* Before any reply, the snapshot holds only what the caller said. */
	struct va_conv_loaded l;
	va_call_snapshot(c, &l);
	assert_string_equal(l.conv.call_sid, "CA1");
	assert_string_equal(l.conv.session_id, "VX1");
	assert_string_equal(l.conv.tenant_id, "demo123");
	assert_string_equal(l.conv.state, "active");
	assert_string_equal(l.conv.agent, "unit");
	assert_true(l.n_turns >= 2);
	assert_int_equal(l.turns[0].role, VA_TURN_CALLER);
	assert_string_equal(l.turns[0].text, "I need a cleaning");
	assert_int_equal(l.turns[l.n_turns - 1].role, VA_TURN_CALLER);
	assert_string_equal(l.turns[l.n_turns - 1].text, "next Tuesday");
	snapshot_release(&l);
}

static void test_tokens_reach_sink(void **state)
{
	struct fx *f = *state;
	struct va_call *c = start(f, "demo123", "CA1", "VX1", &f->s1);
	struct tagent *a = tagent_of(c);
	struct va_conv_loaded l;
	uint64_t t;

	va_call_on_prompt(c, "hello", true);
	t = a->prompt_turn;
	assert_int_equal(tok(c, t, "Hi "), VA_OK);
	assert_int_equal(f->s1.last_mark, VA_MARK_FIRST);
	assert_false(f->s1.last_flag);
	assert_int_equal(tok(c, t, "there."), VA_OK);
	assert_int_equal(f->s1.last_mark, VA_MARK_NONE);
	/* An empty token is accepted and sends nothing. */
	assert_int_equal(tok(c, t, ""), VA_OK);
	assert_int_equal(f->s1.texts, 2);
	assert_string_equal(f->s1.said, "Hi there.");

	assert_int_equal(va_agent_end_turn(agent_of(c), t), VA_OK);
	assert_int_equal(f->s1.texts, 3);
	assert_int_equal(f->s1.lasts, 1);
	assert_true(f->s1.last_flag);
	assert_int_equal(f->s1.last_mark, VA_MARK_LAST);
	assert_int_equal(f->s1.firsts, 1);

	/* The reply is over: its turn takes nothing more. */
	assert_int_equal(tok(c, t, "late"), VA_E_STATE);
	assert_int_equal(va_agent_end_turn(agent_of(c), t), VA_E_STATE);
	assert_string_equal(f->s1.said, "Hi there.");

	va_call_snapshot(c, &l);
	assert_int_equal(l.n_turns, 2);
	assert_int_equal(l.turns[1].role, VA_TURN_AGENT);
	assert_string_equal(l.turns[1].text, "Hi there.");
	assert_false(l.turns[1].interrupted);
	assert_null(l.turns[1].heard);
	assert_true(l.turns[1].first_token_us >= 0);
	assert_true(l.turns[1].last_token_us >= l.turns[1].first_token_us);
	assert_true(l.turns[0].seq < l.turns[1].seq);
	assert_int_equal(l.conv.turns, 2);
	snapshot_release(&l);

	/* A reply with no tokens still closes, marked first and last at once. */
	va_call_on_prompt(c, "ok", true);
	assert_int_equal(va_agent_end_turn(agent_of(c), a->prompt_turn), VA_OK);
	assert_int_equal(f->s1.last_mark, VA_MARK_FIRST | VA_MARK_LAST);
}

static void test_old_turn_after_interrupt(void **state)
{
	struct fx *f = *state;
	struct va_call *c = start(f, "demo123", "CA1", "VX1", &f->s1);
	struct tagent *a = tagent_of(c);
	struct va_conv_loaded l;
	uint64_t t;

	va_call_on_prompt(c, "what are your hours", true);
	t = a->prompt_turn;
	assert_int_equal(tok(c, t, "We are open "), VA_OK);
	assert_int_equal(tok(c, t, "Monday "), VA_OK);

	va_call_on_interrupt(c, "We are open", 850);
	assert_int_equal(a->interrupts, 1);
	assert_int_equal(a->interrupt_turn, t);
	assert_string_equal(a->heard, "We are open");
	assert_int_equal(c->interruptions, 1);
	assert_int_equal(f->srv.total_interruptions, 1);

	/* The slow agent keeps streaming the old reply: none of it gets out. */
	assert_int_equal(tok(c, t, "through Friday"), VA_E_STATE);
	assert_int_equal(va_agent_end_turn(agent_of(c), t), VA_E_STATE);
	assert_string_equal(f->s1.said, "We are open Monday ");
	assert_int_equal(f->s1.lasts, 0);

	va_call_snapshot(c, &l);
	assert_int_equal(l.n_turns, 2);
	assert_int_equal(l.turns[1].role, VA_TURN_AGENT);
	assert_true(l.turns[1].interrupted);
	assert_non_null(l.turns[1].heard);
	assert_string_equal(l.turns[1].heard, "We are open");
	assert_string_equal(l.turns[1].text, "We are open Monday ");
	assert_int_equal(l.conv.interruptions, 1);
	snapshot_release(&l);

	/* The next prompt works normally. */
	va_call_on_prompt(c, "and Saturday?", true);
	assert_true(a->prompt_turn != t);
	assert_int_equal(tok(c, a->prompt_turn, "Closed."), VA_OK);
	assert_string_equal(f->s1.said, "We are open Monday Closed.");
}

static void test_old_turn_after_supersede(void **state)
{
	struct fx *f = *state;
	struct va_call *c = start(f, "demo123", "CA1", "VX1", &f->s1);
	struct tagent *a = tagent_of(c);
	struct va_conv_loaded l;
	uint64_t t1, t2;

	va_call_on_prompt(c, "book me in", true);
	t1 = a->prompt_turn;
	assert_int_equal(tok(c, t1, "Sure, "), VA_OK);

	/* The caller speaks again before the reply is done. */
	va_call_on_prompt(c, "actually cancel", true);
	t2 = a->prompt_turn;
	assert_true(t2 != t1);
	assert_int_equal(a->interrupts, 1);
	assert_int_equal(a->interrupt_turn, t1);

	assert_int_equal(tok(c, t1, "what day?"), VA_E_STATE);
	assert_int_equal(va_agent_end_turn(agent_of(c), t1), VA_E_STATE);
	assert_string_equal(f->s1.said, "Sure, ");
	assert_int_equal(tok(c, t2, "Cancelled."), VA_OK);
	assert_int_equal(f->s1.last_mark, VA_MARK_FIRST);
	assert_int_equal(va_agent_end_turn(agent_of(c), t2), VA_OK);
	assert_string_equal(f->s1.said, "Sure, Cancelled.");

	va_call_snapshot(c, &l);
	assert_int_equal(l.n_turns, 4);
	assert_int_equal(l.turns[1].role, VA_TURN_AGENT);
	assert_true(l.turns[1].interrupted);
	assert_string_equal(l.turns[1].text, "Sure, ");
	assert_string_equal(l.turns[2].text, "actually cancel");
	assert_false(l.turns[3].interrupted);
	assert_string_equal(l.turns[3].text, "Cancelled.");
	snapshot_release(&l);
}

static void test_interrupt_after_reply_done(void **state)
{
	struct fx *f = *state;
	struct va_call *c = start(f, "demo123", "CA1", "VX1", &f->s1);
	struct tagent *a = tagent_of(c);
	struct va_conv_loaded l;

	/* No agent turn yet: an interrupt is meaningless and ignored. */
	va_call_on_interrupt(c, "", 10);
	assert_int_equal(c->interruptions, 0);
	assert_int_equal(a->interrupts, 0);

	va_call_on_prompt(c, "where are you", true);
	assert_int_equal(tok(c, a->prompt_turn, "At 12 Main Street."), VA_OK);
	assert_int_equal(va_agent_end_turn(agent_of(c), a->prompt_turn), VA_OK);
	/* Streamed, but still playing when the caller cut in. */
	va_call_on_interrupt(c, "At 12", 400);
	va_call_snapshot(c, &l);
	assert_int_equal(l.n_turns, 2);
	assert_true(l.turns[1].interrupted);
	assert_string_equal(l.turns[1].heard, "At 12");
	assert_string_equal(l.turns[1].text, "At 12 Main Street.");
	snapshot_release(&l);
}

static void test_end_call_waits_for_turn(void **state)
{
	struct fx *f = *state;
	struct va_call *c = start(f, "demo123", "CA1", "VX1", &f->s1);
	struct tagent *a = tagent_of(c);
	const char *handoff = "{\"reason\":\"transfer\",\"to\":\"+15550001111\"}";
	uint64_t t;

	va_call_on_prompt(c, "talk to a person", true);
	t = a->prompt_turn;
	assert_int_equal(tok(c, t, "Transferring you "), VA_OK);
	assert_int_equal(agent_of(c)->host_ops->end_call(agent_of(c)->host, handoff), VA_OK);
	/* Not yet: the reply is still streaming. */
	assert_int_equal(f->s1.ends, 0);
	assert_int_equal(c->state, VA_CALL_ACTIVE);
	assert_int_equal(tok(c, t, "now."), VA_OK);
	assert_int_equal(f->s1.ends, 0);

	assert_int_equal(va_agent_end_turn(agent_of(c), t), VA_OK);
	assert_int_equal(f->s1.lasts, 1);
	assert_int_equal(f->s1.ends, 1);
	assert_false(f->s1.end_handoff_null);
	assert_string_equal(f->s1.end_handoff, handoff);
	assert_string_equal(f->s1.said, "Transferring you now.");
	assert_int_equal(c->state, VA_CALL_ENDING);
	assert_string_equal(c->end_reason, "handoff");

	/* An ending call takes no new turns and no second end. */
	va_call_on_prompt(c, "hello?", true);
	assert_int_equal(a->prompts, 1);
	assert_int_equal(agent_of(c)->host_ops->end_call(agent_of(c)->host, NULL), VA_E_STATE);
	assert_int_equal(f->s1.ends, 1);
}

static void test_end_call_idle(void **state)
{
	struct fx *f = *state;
	struct va_call *c = start(f, "demo123", "CA1", "VX1", &f->s1);
	struct va_agent *ag = agent_of(c);
	char big[5000];

	/* Too large a handoff is refused and nothing is sent. */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(ag->host_ops->end_call(ag->host, big), VA_E_TOOBIG);
	assert_int_equal(f->s1.ends, 0);

	/* No reply streaming: the end goes out at once, without handoff. */
	assert_int_equal(ag->host_ops->end_call(ag->host, NULL), VA_OK);
	assert_int_equal(f->s1.ends, 1);
	assert_true(f->s1.end_handoff_null);
	assert_int_equal(c->state, VA_CALL_ENDING);
	assert_string_equal(c->end_reason, "ended");
}

static void test_detach_and_resume(void **state)
{
	struct fx *f = *state;
	struct va_call *c = start(f, "demo123", "CA1", "VX1", &f->s1);
	struct tagent *a = tagent_of(c);
	struct va_call *r = NULL;
	struct va_relay_setup s;
	struct va_conv_loaded l;
	uint64_t t;

	va_call_on_prompt(c, "my name is Ann", true);
	t = a->prompt_turn;
	assert_int_equal(tok(c, t, "Hello Ann, "), VA_OK);

	va_call_detach(c);
	assert_int_equal(c->state, VA_CALL_DETACHED);
	assert_int_equal(f->srv.n_active, 0);
	assert_int_equal(f->srv.n_calls, 1);
	assert_ptr_equal(va_call_find_by_sid(&f->srv, "CA1"), c);
	/* The reply in flight died with the socket. */
	assert_int_equal(tok(c, t, "how can I help?"), VA_E_STATE);
	assert_int_equal(a->interrupts, 1);
	/* Detaching twice is harmless. */
	va_call_detach(c);
	assert_int_equal(f->srv.n_active, 0);
	/* Nothing is sent while detached. */
	assert_int_equal(agent_of(c)->host_ops->send_digits(agent_of(c)->host, "1"), VA_E_STATE);
	uv_run(&f->loop, UV_RUN_NOWAIT);
	assert_ptr_equal(va_call_find_by_sid(&f->srv, "CA1"), c);

	/* The same call comes back on a new session. */
	mk_setup(&s, "CA1", "VX2");
	assert_int_equal(va_call_setup(&f->srv, "demo123", &s, &sink_ops, &f->s2, &r), VA_OK);
	assert_ptr_equal(r, c);
	assert_int_equal(c->state, VA_CALL_ACTIVE);
	assert_int_equal(c->sessions, 2);
	assert_int_equal(f->srv.n_calls, 1);
	assert_int_equal(f->srv.n_active, 1);
	assert_int_equal(f->srv.total_conversations, 1);
	assert_int_equal(g_created, 1);
	assert_ptr_equal(tagent_of(c), a);
	assert_ptr_equal(va_call_find_by_session(&f->srv, "VX1"), c);
	assert_ptr_equal(va_call_find_by_session(&f->srv, "VX2"), c);
	assert_string_equal(c->session_id, "VX1");
	assert_null(c->grace_timer);

	/* History kept; the cut reply is recorded as interrupted. */
	va_call_snapshot(c, &l);
	assert_int_equal(l.n_turns, 2);
	assert_string_equal(l.turns[0].text, "my name is Ann");
	assert_string_equal(l.turns[1].text, "Hello Ann, ");
	assert_true(l.turns[1].interrupted);
	snapshot_release(&l);

	/* The new session carries the conversation on. */
	va_call_on_prompt(c, "I want a checkup", true);
	assert_int_equal(a->prompts, 2);
	assert_int_equal(tok(c, a->prompt_turn, "Sure."), VA_OK);
	assert_string_equal(f->s2.said, "Sure.");
	assert_string_equal(f->s1.said, "Hello Ann, ");
	assert_int_equal(f->s1.closes, 0);
}

static void test_resume_replaces_live_socket(void **state)
{
	struct fx *f = *state;
	struct va_call *c = start(f, "demo123", "CA1", "VX1", &f->s1);
	struct tagent *a = tagent_of(c);
	struct va_call *r = NULL;
	struct va_relay_setup s;

	va_call_on_prompt(c, "hi", true);
	assert_int_equal(tok(c, a->prompt_turn, "Hel"), VA_OK);

	/* A second socket for a live call: the newer one wins. */
	mk_setup(&s, "CA1", "VX2");
	assert_int_equal(va_call_setup(&f->srv, "demo123", &s, &sink_ops, &f->s2, &r), VA_OK);
	assert_ptr_equal(r, c);
	assert_int_equal(f->s1.closes, 1);
	assert_int_equal(f->srv.n_active, 1);
	assert_int_equal(f->srv.n_calls, 1);
	assert_int_equal(tok(c, a->prompt_turn, "lo"), VA_E_STATE);

	va_call_on_prompt(c, "hi again", true);
	assert_int_equal(tok(c, a->prompt_turn, "Hello."), VA_OK);
	assert_string_equal(f->s2.said, "Hello.");
	assert_string_equal(f->s1.said, "Hel");

	/* The same session id again adds no alias twice. */
	mk_setup(&s, "CA1", "VX2");
	assert_int_equal(va_call_setup(&f->srv, "demo123", &s, &sink_ops, &f->s3, &r), VA_OK);
	assert_int_equal(f->s2.closes, 1);
	int n = 0;
	for (int i = 0; i < VA_CALL_MAX_ALIASES; i++)
		n += strcmp(c->aliases[i], "VX2") == 0;
	assert_int_equal(n, 1);
}

static void test_resume_other_tenant_forbidden(void **state)
{
	struct fx *f = *state;
	struct va_call *c = start(f, "demo123", "CA1", "VX1", &f->s1);
	struct va_call *r = NULL;
	struct va_relay_setup s;

	mk_setup(&s, "CA1", "VX9");
	assert_int_equal(va_call_setup(&f->srv, "other", &s, &sink_ops, &f->s2, &r),
			 VA_E_FORBIDDEN);
	assert_null(r);
	/* The call is untouched. */
	assert_int_equal(f->s1.closes, 0);
	assert_int_equal(c->state, VA_CALL_ACTIVE);
	assert_int_equal(c->sessions, 1);
	assert_ptr_equal(c->sink, &f->s1);
	assert_null(va_call_find_by_session(&f->srv, "VX9"));
	assert_int_equal(f->srv.n_active, 1);

	/* Also while detached. */
	va_call_detach(c);
	assert_int_equal(va_call_setup(&f->srv, "other", &s, &sink_ops, &f->s2, &r),
			 VA_E_FORBIDDEN);
	assert_int_equal(c->state, VA_CALL_DETACHED);
	assert_non_null(c->grace_timer);
}

static void test_capacity(void **state)
{
	struct fx *f = *state;
	struct va_relay_setup s;
	struct va_call *c1, *c2, *r = NULL;

	f->srv.cfg.max_calls = 1;
	c1 = start(f, "demo123", "CA1", "VX1", &f->s1);
	mk_setup(&s, "CA2", "VX2");
	assert_int_equal(va_call_setup(&f->srv, "demo123", &s, &sink_ops, &f->s2, &r), VA_E_BUSY);
	assert_null(r);
	assert_int_equal(f->srv.n_calls, 1);
	assert_null(va_call_find_by_sid(&f->srv, "CA2"));
	assert_int_equal(g_created, 1);

	/* A detached call no longer holds a line. */
	va_call_detach(c1);
	c2 = start(f, "demo123", "CA2", "VX2", &f->s2);
	assert_int_equal(f->srv.n_calls, 2);
	assert_int_equal(f->srv.n_active, 1);

	/* ... but detached calls are bounded too (2 x max_calls in all). */
	va_call_detach(c2);
	mk_setup(&s, "CA3", "VX3");
	assert_int_equal(va_call_setup(&f->srv, "demo123", &s, &sink_ops, &f->s3, &r), VA_E_BUSY);

	/* Draining refuses new calls whatever the count. */
	f->srv.cfg.max_calls = 100;
	f->srv.draining = 1;
	assert_int_equal(va_call_setup(&f->srv, "demo123", &s, &sink_ops, &f->s3, &r), VA_E_BUSY);
	f->srv.draining = 0;
	assert_int_equal(va_call_setup(&f->srv, "demo123", &s, &sink_ops, &f->s3, &r), VA_OK);
}

static void test_finish_removes(void **state)
{
	struct fx *f = *state;
	struct va_call *c = start(f, "demo123", "CA1", "VX1", &f->s1);
	struct va_call *c2 = start(f, "demo123", "CA2", "VX2", &f->s2);
	struct tagent *a = tagent_of(c);

	va_call_on_prompt(c, "bye", true);
	assert_int_equal(tok(c, a->prompt_turn, "Good"), VA_OK);
	va_call_finish(c, "completed");
	assert_null(va_call_find_by_sid(&f->srv, "CA1"));
	assert_null(va_call_find_by_session(&f->srv, "VX1"));
	assert_int_equal(f->srv.n_calls, 1);
	assert_int_equal(f->srv.n_active, 1);
	assert_int_equal(f->s1.closes, 1);
	assert_int_equal(g_ended, 1);
	assert_int_equal(g_freed, 1);
	/* The other call is untouched. */
	assert_ptr_equal(va_call_find_by_sid(&f->srv, "CA2"), c2);
	assert_int_equal(f->s2.closes, 0);

	/* A detached call is finished without touching its old sink. */
	va_call_detach(c2);
	va_call_finish(c2, "completed");
	assert_int_equal(f->s2.closes, 0);
	assert_int_equal(f->srv.n_calls, 0);
	assert_int_equal(f->srv.n_active, 0);
	assert_null(f->srv.calls);
	assert_int_equal(g_ended, 2);
}

static void test_grace_expires(void **state)
{
	struct fx *f = *state;
	struct va_call *c;

	f->srv.cfg.reconnect_grace_ms = 20;
	c = start(f, "demo123", "CA1", "VX1", &f->s1);
	va_call_detach(c);
	uv_run(&f->loop, UV_RUN_NOWAIT);
	assert_ptr_equal(va_call_find_by_sid(&f->srv, "CA1"), c);
	for (int i = 0; i < 500 && va_call_find_by_sid(&f->srv, "CA1"); i++) {
		struct timespec ts = {0, 2 * 1000 * 1000};
		nanosleep(&ts, NULL);
		uv_run(&f->loop, UV_RUN_NOWAIT);
	}
	assert_null(va_call_find_by_sid(&f->srv, "CA1"));
	assert_int_equal(f->srv.n_calls, 0);
	assert_int_equal(g_ended, 1);
	assert_int_equal(g_freed, 1);
	assert_int_equal(f->s1.closes, 0);
}

static void test_dtmf(void **state)
{
	struct fx *f = *state;
	struct va_call *c = start(f, "demo123", "CA1", "VX1", &f->s1);
	struct tagent *a = tagent_of(c);
	struct va_conv_loaded l;

	va_call_on_dtmf(c, '5');
	assert_int_equal(a->dtmfs, 1);
	assert_int_equal(a->digit, '5');
	assert_int_equal(a->dtmf_turn, c->turn_id);
	assert_int_equal(tok(c, a->dtmf_turn, "You pressed five."), VA_OK);
	assert_string_equal(f->s1.said, "You pressed five.");

	va_call_snapshot(c, &l);
	assert_int_equal(l.n_turns, 2);
	assert_int_equal(l.turns[0].role, VA_TURN_CALLER);
	assert_non_null(strchr(l.turns[0].text, '5'));
	snapshot_release(&l);

	/* The agent can press keys toward the far end. */
	assert_int_equal(agent_of(c)->host_ops->send_digits(agent_of(c)->host, "12#"), VA_OK);
	assert_int_equal(f->s1.digit_sends, 1);
	assert_string_equal(f->s1.digits, "12#");
}

static void test_details_json(void **state)
{
	struct fx *f = *state;
	struct va_call *c = start(f, "demo123", "CA1", "VX1", &f->s1);
	struct va_agent *ag = agent_of(c);
	struct va_conv_loaded l;
	json_error_t err;
	json_t *j;
	char key[40];

	assert_int_equal(ag->host_ops->set_detail(ag->host, "name", "Ann \"Annie\" O\\Neil"),
			 VA_OK);
	assert_int_equal(ag->host_ops->set_detail(ag->host, "reason", "tooth ache\nsince Monday"),
			 VA_OK);
	/* The same key again replaces the value. */
	assert_int_equal(ag->host_ops->set_detail(ag->host, "reason", "cleaning"), VA_OK);
	assert_int_equal(c->n_details, 2);

	/* The details are a JSON object that a JSON parser accepts. */
	va_call_snapshot(c, &l);
	j = json_loads(l.conv.details_json, 0, &err);
	if (!j)
		fail_msg("details_json %s: %s", l.conv.details_json, err.text);
	assert_true(json_is_object(j));
	assert_int_equal(json_object_size(j), 2);
	assert_string_equal(json_string_value(json_object_get(j, "name")), "Ann \"Annie\" O\\Neil");
	assert_string_equal(json_string_value(json_object_get(j, "reason")), "cleaning");
	json_decref(j);
	snapshot_release(&l);

	for (int i = 2; i < VA_CALL_MAX_DETAILS; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		assert_int_equal(ag->host_ops->set_detail(ag->host, key, "v"), VA_OK);
	}
	assert_int_equal(ag->host_ops->set_detail(ag->host, "one_too_many", "v"), VA_E_FULL);
	assert_int_equal(ag->host_ops->set_detail(ag->host, "name", "Bo"), VA_OK);
	assert_int_equal(c->n_details, VA_CALL_MAX_DETAILS);
}

static void test_misc(void **state)
{
	struct fx *f = *state;
	struct va_call *c = start(f, "demo123", "CA1", "VX1", &f->s1);

	assert_string_equal(va_call_state_name(VA_CALL_ACTIVE), "active");
	assert_string_equal(va_call_state_name(VA_CALL_DETACHED), "detached");
	assert_string_equal(va_call_state_name(VA_CALL_ENDING), "ending");
	assert_string_equal(va_call_state_name(VA_CALL_ENDED), "ended");
	assert_string_equal(va_call_state_name(VA_CALL__COUNT), "unknown");

	assert_int_equal(va_call_relay_failures(c), 0);
	va_call_note_relay_failure(c);
	va_call_note_relay_failure(c);
	assert_int_equal(va_call_relay_failures(c), 2);

	va_call_on_twilio_error(c, "Invalid \"message\"\nfoo");
	assert_int_equal(c->errors_from_twilio, 1);
}

/* ---- persistence ---------------------------------------------------------- */

struct loaded {
	int done;
	int status;
	struct va_conv_loaded *l;
};

static void on_loaded(int status, struct va_conv_loaded *l, void *arg)
{
	struct loaded *ld = arg;

	ld->done = 1;
	ld->status = status;
	ld->l = l;
}

/* The result is owned by the fixture. */
static struct va_conv_loaded *load_conv(struct fx *f, const char *session_id)
{
	struct loaded ld = {0};

	va_conv_loaded_free(f->loaded);
	f->loaded = NULL;
	assert_int_equal(va_store_conv_load(f->srv.store, session_id, on_loaded, &ld), VA_OK);
	for (int i = 0; i < 5000 && !ld.done; i++) {
		struct timespec ts = {0, 1000 * 1000};
		uv_run(&f->loop, UV_RUN_NOWAIT);
		if (!ld.done)
			nanosleep(&ts, NULL);
	}
	assert_true(ld.done);
	f->loaded = ld.l;
	assert_int_equal(ld.status, VA_OK);
	assert_non_null(ld.l);
	return ld.l;
}

static void open_store(struct fx *f)
{
	char why[256];

	snprintf(f->db_path, sizeof(f->db_path), "/tmp/va_unit_call_%d.db", (int)getpid());
	unlink(f->db_path);
	if (va_store_open(f->db_path, &f->loop, &f->srv.store, why, sizeof(why)) != VA_OK)
		fail_msg("store: %s", why);
}

static void close_store(struct fx *f)
{
	char side[600];

	va_store_free(f->srv.store);
	f->srv.store = NULL;
	uv_run(&f->loop, UV_RUN_NOWAIT);
	unlink(f->db_path);
	snprintf(side, sizeof(side), "%s-wal", f->db_path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", f->db_path);
	unlink(side);
}

static void test_persisted_turns(void **state)
{
	struct fx *f = *state;
	struct va_call *c;
	struct tagent *a;
	struct va_conv_loaded *l;

	open_store(f);
	c = start(f, "demo123", "CA1", "VX1", &f->s1);
	a = tagent_of(c);
	va_call_on_prompt(c, "hello", true);
	assert_int_equal(tok(c, a->prompt_turn, "Hi."), VA_OK);
	assert_int_equal(va_agent_end_turn(agent_of(c), a->prompt_turn), VA_OK);
	va_call_on_prompt(c, "cut me off", true);
	assert_int_equal(tok(c, a->prompt_turn, "Well, "), VA_OK);
	va_call_on_interrupt(c, "Well", 120);
	va_call_finish(c, "completed");

	l = load_conv(f, "VX1");
	assert_string_equal(l->conv.call_sid, "CA1");
	assert_string_equal(l->conv.state, "completed");
	assert_int_equal(l->conv.interruptions, 1);
	assert_true(l->conv.ended_ms >= l->conv.started_ms);
	assert_int_equal(l->conv.turns, 4);
	assert_int_equal(l->n_turns, 4);
	assert_string_equal(l->turns[0].text, "hello");
	assert_string_equal(l->turns[1].text, "Hi.");
	assert_false(l->turns[1].interrupted);
	assert_string_equal(l->turns[2].text, "cut me off");
	assert_string_equal(l->turns[3].text, "Well, ");
	assert_true(l->turns[3].interrupted);
	assert_string_equal(l->turns[3].heard, "Well");
	close_store(f);
}

/* call.c: "An agent turn opened for a reply that never came is not a turn."
 * A call that ends while the agent has not answered the last prompt must be
 * stored with the caller's turn only. */
static void test_finish_drops_unanswered_agent_turn(void **state)
{
	struct fx *f = *state;
	struct va_call *c;
	struct va_conv_loaded *l;

	open_store(f);
	c = start(f, "demo123", "CA1", "VX1", &f->s1);
	va_call_on_prompt(c, "hello?", true);
	va_call_finish(c, "completed");

	l = load_conv(f, "VX1");
	assert_string_equal(l->conv.state, "completed");
	assert_int_equal(l->n_turns, 1);
	assert_int_equal(l->conv.turns, 1);
	assert_string_equal(l->turns[0].text, "hello?");
	close_store(f);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_setup_registers),
	    T(test_setup_unknown_tenant),
	    T(test_setup_agent_fails),
	    T(test_prompt_new_turn),
	    T(test_tokens_reach_sink),
	    T(test_old_turn_after_interrupt),
	    T(test_old_turn_after_supersede),
	    T(test_interrupt_after_reply_done),
	    T(test_end_call_waits_for_turn),
	    T(test_end_call_idle),
	    T(test_detach_and_resume),
	    T(test_resume_replaces_live_socket),
	    T(test_resume_other_tenant_forbidden),
	    T(test_capacity),
	    T(test_finish_removes),
	    T(test_grace_expires),
	    T(test_dtmf),
	    T(test_details_json),
	    T(test_misc),
	    T(test_persisted_turns),
	    T(test_finish_drops_unanswered_agent_turn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
