/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/twilio/twiml.c - the TwiML builders of src/twilio/twiml.c.
 *
 * Every document is run through a small strict XML parser below (one
 * declaration, one root, balanced tags, quoted and unique attributes, only
 * the five named entities and numeric references), and assertions are made
 * on the parsed, entity-decoded tree rather than on substrings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "tenant/tenant.h"
#include "twilio/twiml.h"

#include <stdlib.h>
#include <string.h>

/* ---- a tiny strict XML reader ---------------------------------------- */

#define X_MAX_NODES 32
#define X_MAX_ATTRS 24

struct xnode {
	char *name;
	char *attr_name[X_MAX_ATTRS];
	char *attr_val[X_MAX_ATTRS];
	int nattr;
	char *text; /* concatenated character data */
	int parent;
	int nchild;
};

struct xdoc {
	struct xnode n[X_MAX_NODES];
	int count;
};

static void xdoc_free(struct xdoc *d)
{
	int i, j;

	for (i = 0; i < d->count; i++) {
		free(d->n[i].name);
		free(d->n[i].text);
		for (j = 0; j < d->n[i].nattr; j++) {
			free(d->n[i].attr_name[j]);
			free(d->n[i].attr_val[j]);
		}
	}
	memset(d, 0, sizeof(*d));
}

static void put_utf8(char **o, unsigned long cp)
{
	unsigned char *p = (unsigned char *)*o;

	if (cp < 0x80) {
		*p++ = (unsigned char)cp;
	} else if (cp < 0x800) {
		*p++ = (unsigned char)(0xc0 | (cp >> 6));
		*p++ = (unsigned char)(0x80 | (cp & 0x3f));
	} else {
		*p++ = (unsigned char)(0xe0 | (cp >> 12));
		*p++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		*p++ = (unsigned char)(0x80 | (cp & 0x3f));
	}
	*o = (char *)p;
}

/* Decodes s[0..len) into a new string; NULL on a raw '<', a stray '&' or
 * (in attributes) a raw quote or a control character XML would normalise. */
static char *decode(const char *s, size_t len, int in_attr)
{
	char *out = malloc(len + 1), *o = out;
	size_t i = 0;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		if (c == '<' || (in_attr && c == '"') || (c < 0x20 && (in_attr || c != '\n')))
			goto bad;
		if (c != '&') {
			*o++ = (char)c;
			i++;
			continue;
		}
		if (!strncmp(s + i, "&amp;", 5)) {
			*o++ = '&';
			i += 5;
		} else if (!strncmp(s + i, "&lt;", 4)) {
			*o++ = '<';
			i += 4;
		} else if (!strncmp(s + i, "&gt;", 4)) {
			*o++ = '>';
			i += 4;
		} else if (!strncmp(s + i, "&quot;", 6)) {
			*o++ = '"';
			i += 6;
		} else if (!strncmp(s + i, "&apos;", 6)) {
			*o++ = '\'';
			i += 6;
		} else if (s[i + 1] == '#') {
			char *end;
			unsigned long cp = strtoul(s + i + 2, &end, 10);
			if (end == s + i + 2 || *end != ';' || cp == 0 || cp > 0xffff)
				goto bad;
			put_utf8(&o, cp);
			i = (size_t)(end - s) + 1;
		} else {
			goto bad;
		}
	}
	*o = '\0';
	return out;
bad:
	free(out);
	return NULL;
}

static int is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Parses a complete document; 0 on success. */
static int xml_parse(const char *s, struct xdoc *d)
{
	static const char decl[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";
	int cur = -1, closed_root = 0;
	const char *p;

	memset(d, 0, sizeof(*d));
	if (strncmp(s, decl, strlen(decl)) != 0)
		return -1;
	p = s + strlen(decl);
	while (*p) {
		if (*p != '<') {
			const char *e = strchr(p, '<');
			size_t n = e ? (size_t)(e - p) : strlen(p);
			char *txt, *joined;
			if (cur < 0)
				return -1; /* text outside the root */
			txt = decode(p, n, 0);
			if (!txt)
				return -1;
			joined = malloc(strlen(d->n[cur].text ? d->n[cur].text : "") + n + 1);
			strcpy(joined, d->n[cur].text ? d->n[cur].text : "");
			strcat(joined, txt);
			free(txt);
			free(d->n[cur].text);
			d->n[cur].text = joined;
			p += n;
			continue;
		}
		if (p[1] == '/') {
			const char *q = p + 2;
			while (is_name_char(*q))
				q++;
			if (cur < 0 || *q != '>' || (size_t)(q - p - 2) != strlen(d->n[cur].name) ||
			    strncmp(p + 2, d->n[cur].name, (size_t)(q - p - 2)) != 0)
				return -1;
			cur = d->n[cur].parent;
			if (cur < 0)
				closed_root = 1;
			p = q + 1;
			continue;
		}
		{
			struct xnode *n;
			const char *q = p + 1;
			int idx;

			if (closed_root || (cur < 0 && d->count > 0) || d->count == X_MAX_NODES)
				return -1; /* a second root */
			idx = d->count++;
			n = &d->n[idx];
			n->parent = cur;
			if (cur >= 0)
				d->n[cur].nchild++;
			while (is_name_char(*q))
				q++;
			if (q == p + 1)
				return -1;
			n->name = strndup(p + 1, (size_t)(q - p - 1));
			for (;;) {
				const char *an, *ae, *vs, *ve;
				int j;
				if (*q == '>' || (q[0] == '/' && q[1] == '>'))
					break;
				if (*q != ' ')
					return -1;
				an = ++q;
				while (is_name_char(*q))
					q++;
				ae = q;
				if (an == ae || q[0] != '=' || q[1] != '"')
					return -1;
				vs = q + 2;
				ve = strchr(vs, '"');
				if (!ve || n->nattr == X_MAX_ATTRS)
					return -1;
				n->attr_name[n->nattr] = strndup(an, (size_t)(ae - an));
				n->attr_val[n->nattr] = decode(vs, (size_t)(ve - vs), 1);
				if (!n->attr_val[n->nattr]) {
					free(n->attr_name[n->nattr]);
					return -1;
				}
				for (j = 0; j < n->nattr; j++) {
					if (!strcmp(n->attr_name[j], n->attr_name[n->nattr])) {
						n->nattr++;
						return -1; /* duplicate attribute */
					}
				}
				n->nattr++;
				q = ve + 1;
			}
			if (*q == '/') {
				if (cur < 0)
					closed_root = 1;
				p = q + 2;
			} else {
				cur = idx;
				p = q + 1;
			}
		}
	}
	return (cur == -1 && closed_root) ? 0 : -1;
}

static const char *xattr(const struct xdoc *d, int node, const char *name)
{
	int j;

	for (j = 0; j < d->n[node].nattr; j++) {
		if (!strcmp(d->n[node].attr_name[j], name))
			return d->n[node].attr_val[j];
	}
	return NULL;
}

/* The k-th child (0-based) of node, or -1. */
static int xchild(const struct xdoc *d, int node, int k)
{
	int i;

	for (i = 0; i < d->count; i++) {
		if (d->n[i].parent == node && k-- == 0)
			return i;
	}
	return -1;
}

static const char *xtext(const struct xdoc *d, int node)
{
	return d->n[node].text ? d->n[node].text : "";
}

static void parse_ok(const struct va_buf *b, struct xdoc *d)
{
	if (xml_parse(va_buf_cstr(b), d) != 0) {
		xdoc_free(d);
		fail_msg("not well-formed: %s", va_buf_cstr(b));
	}
	assert_string_equal(d->n[0].name, "Response");
}

/* ---- tests ------------------------------------------------------------ */

static void test_parser_rejects(void **state)
{
	/* The checker itself must catch what a broken builder would emit. */
	static const char *const bad[] = {
	    "<Response/>",
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>",
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Say>a & b</Say></Response>",
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Say a=\"x\" a=\"y\"/></Response>",
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Say a=\"x\"y\"/></Response>",
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Say></Response>",
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/><Response/>",
	};
	struct xdoc d;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_not_equal(xml_parse(bad[i], &d), 0);
		xdoc_free(&d);
	}
}

static void test_connect_relay_demo(void **state)
{
	struct va_buf b = VA_BUF_INIT(64 * 1024);
	struct va_kv params[] = {{"tenant", "demo123"}, {"callToken", "tok-1"}};
	struct va_tenant t;
	struct xdoc d;
	int connect, relay, p0, p1;

	va_tenant_demo(&t);
	assert_int_equal(va_twiml_connect_relay(&b, &t, "wss://voice.example.com/ws/demo123",
						"https://voice.example.com/action?x=1&y=2", params,
						2),
			 VA_OK);
	parse_ok(&b, &d);
	assert_int_equal(d.n[0].nchild, 1); /* no <Say>: connecting_message is empty */
	connect = xchild(&d, 0, 0);
	assert_string_equal(d.n[connect].name, "Connect");
	assert_string_equal(xattr(&d, connect, "action"),
			    "https://voice.example.com/action?x=1&y=2");
	assert_string_equal(xattr(&d, connect, "method"), "POST");
	relay = xchild(&d, connect, 0);
	assert_string_equal(d.n[relay].name, "ConversationRelay");
	assert_string_equal(xattr(&d, relay, "url"), "wss://voice.example.com/ws/demo123");
	assert_string_equal(xattr(&d, relay, "welcomeGreeting"),
			    "Thank you for calling Bright Smile Dental. This is the virtual "
			    "receptionist. How can I help you today?");
	assert_string_equal(xattr(&d, relay, "welcomeGreetingInterruptible"), "any");
	assert_string_equal(xattr(&d, relay, "language"), "en-US");
	assert_string_equal(xattr(&d, relay, "ttsProvider"), "Google");
	assert_string_equal(xattr(&d, relay, "voice"), "en-US-Journey-O");
	assert_string_equal(xattr(&d, relay, "transcriptionProvider"), "Deepgram");
	assert_string_equal(xattr(&d, relay, "speechModel"), "nova-3-general");
	assert_string_equal(xattr(&d, relay, "interruptible"), "any");
	assert_string_equal(xattr(&d, relay, "interruptSensitivity"), "medium");
	assert_string_equal(xattr(&d, relay, "speechTimeout"), "auto");
	assert_string_equal(xattr(&d, relay, "reportInputDuringAgentSpeech"), "speech");
	assert_string_equal(xattr(&d, relay, "dtmfDetection"), "true");
	assert_string_equal(xattr(&d, relay, "preemptible"), "false");
	assert_string_equal(xattr(&d, relay, "hints"), "cleaning,checkup,crown,filling,root canal,"
						       "extraction,hygienist,Invisalign,emergency");
	assert_null(xattr(&d, relay, "partialPrompts"));
	assert_null(xattr(&d, relay, "applicationReconnect"));
	/* Nothing from the seed's invented attributes. */
	assert_null(xattr(&d, relay, "maxDuration"));
	assert_int_equal(d.n[relay].nattr, 15);

	assert_int_equal(d.n[relay].nchild, 2);
	p0 = xchild(&d, relay, 0);
	p1 = xchild(&d, relay, 1);
	assert_string_equal(d.n[p0].name, "Parameter");
	assert_string_equal(xattr(&d, p0, "name"), "tenant");
	assert_string_equal(xattr(&d, p0, "value"), "demo123");
	assert_string_equal(xattr(&d, p1, "name"), "callToken");
	assert_string_equal(xattr(&d, p1, "value"), "tok-1");
	xdoc_free(&d);
	va_buf_release(&b);
}

static void test_connect_stream(void **state)
{
	struct va_buf b = VA_BUF_INIT(64 * 1024);
	struct va_kv params[] = {{"tenant", "demo123"}, {"caller", "+1555 <&\">"}};
	struct va_tenant t;
	struct xdoc d;
	int connect, stream, p1;

	va_tenant_demo(&t);
	assert_int_equal(va_twiml_connect_stream(&b, &t,
						 "wss://voice.example.com/api/v1/voice/d/media",
						 "https://voice.example.com/action", params, 2),
			 VA_OK);
	parse_ok(&b, &d);
	connect = xchild(&d, 0, 0);
	assert_string_equal(d.n[connect].name, "Connect");
	assert_string_equal(xattr(&d, connect, "action"), "https://voice.example.com/action");
	stream = xchild(&d, connect, 0);
	assert_string_equal(d.n[stream].name, "Stream");
	assert_string_equal(xattr(&d, stream, "url"),
			    "wss://voice.example.com/api/v1/voice/d/media");
	/* Everything the session needs rides in <Parameter>s, escaped. */
	assert_int_equal(d.n[stream].nchild, 2);
	p1 = xchild(&d, stream, 1);
	assert_string_equal(d.n[p1].name, "Parameter");
	assert_string_equal(xattr(&d, p1, "name"), "caller");
	assert_string_equal(xattr(&d, p1, "value"), "+1555 <&\">");
	assert_int_equal(va_twiml_connect_stream(&b, &t, "", NULL, NULL, 0), VA_E_INVAL);
	xdoc_free(&d);
	va_buf_release(&b);
}

static void test_connect_relay_escaping(void **state)
{
	static const char greeting[] = "Tom & Jerry's \"Dental\" <Care> > all";
	struct va_buf b = VA_BUF_INIT(64 * 1024);
	struct va_kv params[] = {{"note", "a\"b<c>&'d"}};
	struct va_tenant t;
	struct xdoc d;
	int relay;

	va_tenant_demo(&t);
	strcpy(t.greeting, greeting);
	assert_int_equal(va_twiml_connect_relay(&b, &t, "wss://h/ws?a=1&b=2", NULL, params, 1),
			 VA_OK);
	/* Raw bytes: every special character is an entity. */
	assert_non_null(strstr(va_buf_cstr(&b), "Tom &amp; Jerry&apos;s &quot;Dental&quot; "
						"&lt;Care&gt; &gt; all"));
	assert_null(strstr(va_buf_cstr(&b), "Jerry's"));
	parse_ok(&b, &d);
	relay = xchild(&d, xchild(&d, 0, 0), 0);
	assert_string_equal(xattr(&d, relay, "welcomeGreeting"), greeting);
	assert_string_equal(xattr(&d, relay, "url"), "wss://h/ws?a=1&b=2");
	assert_string_equal(xattr(&d, xchild(&d, relay, 0), "value"), "a\"b<c>&'d");
	/* No action given: a bare <Connect>. */
	assert_null(xattr(&d, xchild(&d, 0, 0), "action"));
	assert_null(xattr(&d, xchild(&d, 0, 0), "method"));
	xdoc_free(&d);
	va_buf_release(&b);
}

static void test_connect_relay_connecting_message(void **state)
{
	struct va_buf b = VA_BUF_INIT(64 * 1024);
	struct va_tenant t;
	struct xdoc d;
	int say;

	va_tenant_demo(&t);
	strcpy(t.connecting_message, "Please hold while we connect you to Smith & Sons.");
	assert_int_equal(va_twiml_connect_relay(&b, &t, "wss://h/ws", "https://h/a", NULL, 0),
			 VA_OK);
	parse_ok(&b, &d);
	assert_int_equal(d.n[0].nchild, 2);
	say = xchild(&d, 0, 0);
	assert_string_equal(d.n[say].name, "Say");
	assert_string_equal(xtext(&d, say), "Please hold while we connect you to Smith & Sons.");
	assert_string_equal(d.n[xchild(&d, 0, 1)].name, "Connect");
	/* No params: the relay element has no children. */
	assert_int_equal(d.n[xchild(&d, xchild(&d, 0, 1), 0)].nchild, 0);
	xdoc_free(&d);
	va_buf_release(&b);
}

static void test_connect_relay_presets(void **state)
{
	static const struct {
		enum va_line_preset p;
		const char *timeout, *sens;
	} want[] = {
	    {VA_PRESET_STANDARD, "auto", "medium"},
	    {VA_PRESET_QUIET, "700", "high"},
	    {VA_PRESET_NOISY, "1500", "low"},
	    {VA_PRESET_PATIENT, "2500", "medium"},
	};
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct va_buf b = VA_BUF_INIT(64 * 1024);
		struct va_tenant t;
		struct xdoc d;
		int relay;

		va_tenant_demo(&t);
		va_tenant_apply_preset(&t.relay, want[i].p);
		assert_int_equal(
		    va_twiml_connect_relay(&b, &t, "wss://h/ws", "https://h/a", NULL, 0), VA_OK);
		parse_ok(&b, &d);
		relay = xchild(&d, xchild(&d, 0, 0), 0);
		assert_string_equal(xattr(&d, relay, "speechTimeout"), want[i].timeout);
		assert_string_equal(xattr(&d, relay, "interruptSensitivity"), want[i].sens);
		xdoc_free(&d);
		va_buf_release(&b);
	}
}

static void test_connect_relay_optional(void **state)
{
	struct va_buf b = VA_BUF_INIT(64 * 1024);
	struct va_tenant t;
	struct xdoc d;
	int relay;

	va_tenant_demo(&t);
	t.relay.speech_model[0] = '\0';
	t.relay.hints[0] = '\0';
	t.greeting[0] = '\0';
	t.relay.partial_prompts = true;
	t.relay.application_reconnect = true;
	t.relay.preemptible = true;
	t.relay.dtmf_detection = false;
	assert_int_equal(va_twiml_connect_relay(&b, &t, "wss://h/ws", "https://h/a", NULL, 0),
			 VA_OK);
	parse_ok(&b, &d);
	relay = xchild(&d, xchild(&d, 0, 0), 0);
	assert_null(xattr(&d, relay, "speechModel"));
	assert_null(xattr(&d, relay, "hints"));
	assert_null(xattr(&d, relay, "welcomeGreeting"));
	assert_string_equal(xattr(&d, relay, "partialPrompts"), "true");
	assert_string_equal(xattr(&d, relay, "applicationReconnect"), "true");
	assert_string_equal(xattr(&d, relay, "preemptible"), "true");
	assert_string_equal(xattr(&d, relay, "dtmfDetection"), "false");
	xdoc_free(&d);
	va_buf_release(&b);
}

static void test_connect_relay_errors(void **state)
{
	struct va_buf b = VA_BUF_INIT(64 * 1024);
	struct va_kv bad[] = {{NULL, "x"}};
	struct va_kv nullval[] = {{"empty", NULL}};
	struct va_tenant t;
	struct xdoc d;

	va_tenant_demo(&t);
	assert_int_equal(va_buf_append_str(&b, "keep"), VA_OK);
	assert_int_equal(va_twiml_connect_relay(&b, &t, NULL, NULL, NULL, 0), VA_E_INVAL);
	assert_int_equal(va_twiml_connect_relay(&b, &t, "", NULL, NULL, 0), VA_E_INVAL);
	assert_int_equal(va_twiml_connect_relay(&b, NULL, "wss://h", NULL, NULL, 0), VA_E_INVAL);
	assert_int_equal(va_twiml_connect_relay(&b, &t, "wss://h", NULL, bad, 1), VA_E_INVAL);
	assert_int_equal(va_twiml_connect_relay(&b, &t, "wss://h", NULL, NULL, 1), VA_E_INVAL);
	assert_string_equal(va_buf_cstr(&b), "keep");

	va_buf_reset(&b);
	assert_int_equal(va_twiml_connect_relay(&b, &t, "wss://h", NULL, nullval, 1), VA_OK);
	parse_ok(&b, &d);
	assert_string_equal(xattr(&d, xchild(&d, xchild(&d, xchild(&d, 0, 0), 0), 0), "value"), "");
	xdoc_free(&d);
	va_buf_release(&b);
}

static void test_too_big_leaves_buffer(void **state)
{
	struct va_buf b = VA_BUF_INIT(300);
	struct va_tenant t;
	size_t len;
	char *prev;

	va_tenant_demo(&t);
	assert_int_equal(va_buf_append_str(&b, "prefix"), VA_OK);
	assert_int_equal(va_twiml_connect_relay(&b, &t, "wss://h/ws", "https://h/a", NULL, 0),
			 VA_E_TOOBIG);
	assert_int_equal(b.len, 6);
	assert_string_equal(va_buf_cstr(&b), "prefix");
	assert_int_equal(va_twiml_reject_busy(&b, "x"), VA_OK);
	len = b.len;
	prev = strdup(va_buf_cstr(&b));
	/* Fails while escaping text, half-way through a <Say>. */
	assert_int_equal(va_twiml_say_hangup(&b,
					     "&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&"
					     "&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&"),
			 VA_E_TOOBIG);
	assert_int_equal(b.len, len);
	assert_string_equal(va_buf_cstr(&b), prev);
	assert_int_equal(va_xml_escape_append(&b,
					      "<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<"
					      "<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<"),
			 VA_E_TOOBIG);
	assert_string_equal(va_buf_cstr(&b), prev);
	free(prev);
	va_buf_release(&b);
}

static void test_escape(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"", ""},
	    {"plain text", "plain text"},
	    {"&<>\"'", "&amp;&lt;&gt;&quot;&apos;"},
	    {"a\tb\nc\rd", "a&#9;b&#10;c&#13;d"},
	    {"bell\x07|esc\x1b|nul-free", "bell|esc|nul-free"},
	    {"caf\xc3\xa9 \xe2\x80\x94 \xf0\x9f\xa6\xb7",
	     "caf\xc3\xa9 \xe2\x80\x94 \xf0\x9f\xa6\xb7"},
	    {"bad\xff|", "bad\xef\xbf\xbd|"},
	    {"trunc\xc3", "trunc\xef\xbf\xbd"},
	    {"overlong\xc0\xaf", "overlong\xef\xbf\xbd\xef\xbf\xbd"},
	    {"surrogate\xed\xa0\x80", "surrogate\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
	    {"nonchar\xef\xbf\xbf", "nonchar\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct va_buf b = VA_BUF_INIT(1024);
		assert_int_equal(va_xml_escape_append(&b, cases[i].in), VA_OK);
		assert_string_equal(va_buf_cstr(&b), cases[i].out);
		va_buf_release(&b);
	}
	{
		struct va_buf b = VA_BUF_INIT(16);
		assert_int_equal(va_xml_escape_append(&b, NULL), VA_OK);
		assert_int_equal(b.len, 0);
		va_buf_release(&b);
	}
}

static void test_dial(void **state)
{
	struct va_buf b = VA_BUF_INIT(4096);
	struct xdoc d;
	int say, dial;

	assert_int_equal(va_twiml_dial(&b, "Connecting you to the front desk.", "+15555550100",
				       "https://h/dial-done?t=demo&x=1"),
			 VA_OK);
	parse_ok(&b, &d);
	assert_int_equal(d.n[0].nchild, 2);
	say = xchild(&d, 0, 0);
	dial = xchild(&d, 0, 1);
	assert_string_equal(d.n[say].name, "Say");
	assert_string_equal(xtext(&d, say), "Connecting you to the front desk.");
	assert_string_equal(d.n[dial].name, "Dial");
	assert_string_equal(xtext(&d, dial), "+15555550100");
	assert_string_equal(xattr(&d, dial, "action"), "https://h/dial-done?t=demo&x=1");
	assert_string_equal(xattr(&d, dial, "method"), "POST");
	xdoc_free(&d);

	va_buf_reset(&b);
	assert_int_equal(va_twiml_dial(&b, NULL, "+15555550100", NULL), VA_OK);
	parse_ok(&b, &d);
	assert_int_equal(d.n[0].nchild, 1);
	dial = xchild(&d, 0, 0);
	assert_string_equal(d.n[dial].name, "Dial");
	assert_int_equal(d.n[dial].nattr, 0);
	xdoc_free(&d);

	va_buf_reset(&b);
	assert_int_equal(va_twiml_dial(&b, "hi", NULL, NULL), VA_E_INVAL);
	assert_int_equal(va_twiml_dial(&b, "hi", "", NULL), VA_E_INVAL);
	assert_int_equal(b.len, 0);
	va_buf_release(&b);
}

static void test_gather(void **state)
{
	struct va_buf b = VA_BUF_INIT(4096);
	struct va_tenant t;
	struct xdoc d;
	int g, say;

	va_tenant_demo(&t);
	strcpy(t.relay.language, "es-MX");
	assert_int_equal(va_twiml_gather(&b, "Which day works best for you?",
					 "/api/v1/voice/demo123/gather", &t),
			 VA_OK);
	parse_ok(&b, &d);
	assert_int_equal(d.n[0].nchild, 1);
	g = xchild(&d, 0, 0);
	assert_string_equal(d.n[g].name, "Gather");
	assert_string_equal(xattr(&d, g, "input"), "speech");
	assert_string_equal(xattr(&d, g, "action"), "/api/v1/voice/demo123/gather");
	assert_string_equal(xattr(&d, g, "method"), "POST");
	assert_string_equal(xattr(&d, g, "speechTimeout"), "auto");
	assert_string_equal(xattr(&d, g, "language"), "es-MX");
	assert_string_equal(xattr(&d, g, "actionOnEmptyResult"), "true");
	assert_string_equal(xattr(&d, g, "hints"), t.relay.hints);
	say = xchild(&d, g, 0);
	assert_string_equal(d.n[say].name, "Say");
	assert_string_equal(xtext(&d, say), "Which day works best for you?");
	xdoc_free(&d);

	/* No tenant: en-US, no hints; no text: an empty Gather. */
	va_buf_reset(&b);
	assert_int_equal(va_twiml_gather(&b, NULL, "/g", NULL), VA_OK);
	parse_ok(&b, &d);
	g = xchild(&d, 0, 0);
	assert_string_equal(xattr(&d, g, "language"), "en-US");
	assert_null(xattr(&d, g, "hints"));
	assert_int_equal(d.n[g].nchild, 0);
	xdoc_free(&d);

	/* Without an action Twilio would loop on the same document. */
	va_buf_reset(&b);
	assert_int_equal(va_twiml_gather(&b, "hi", NULL, &t), VA_E_INVAL);
	assert_int_equal(va_twiml_gather(&b, "hi", "", &t), VA_E_INVAL);
	assert_int_equal(b.len, 0);
	va_buf_release(&b);
}

static void test_say_hangup_empty_busy(void **state)
{
	struct va_buf b = VA_BUF_INIT(4096);
	struct xdoc d;
	int say;

	assert_int_equal(va_twiml_say_hangup(&b, "Goodbye <3 & take care"), VA_OK);
	parse_ok(&b, &d);
	assert_int_equal(d.n[0].nchild, 2);
	assert_string_equal(xtext(&d, xchild(&d, 0, 0)), "Goodbye <3 & take care");
	assert_string_equal(d.n[xchild(&d, 0, 1)].name, "Hangup");
	xdoc_free(&d);

	va_buf_reset(&b);
	assert_int_equal(va_twiml_say_hangup(&b, ""), VA_OK);
	parse_ok(&b, &d);
	assert_int_equal(d.n[0].nchild, 1);
	assert_string_equal(d.n[xchild(&d, 0, 0)].name, "Hangup");
	xdoc_free(&d);

	va_buf_reset(&b);
	assert_int_equal(va_twiml_empty(&b), VA_OK);
	assert_string_equal(va_buf_cstr(&b),
			    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>");
	parse_ok(&b, &d);
	assert_int_equal(d.count, 1);
	xdoc_free(&d);

	va_buf_reset(&b);
	assert_int_equal(va_twiml_reject_busy(&b, "Smith & Sons Dental"), VA_OK);
	parse_ok(&b, &d);
	assert_int_equal(d.n[0].nchild, 2);
	say = xchild(&d, 0, 0);
	assert_string_equal(d.n[say].name, "Say");
	assert_non_null(strstr(xtext(&d, say), "Smith & Sons Dental"));
	assert_non_null(strstr(xtext(&d, say), "Sorry, all our lines are busy right now. Please "
					       "call back in a few minutes."));
	assert_string_equal(d.n[xchild(&d, 0, 1)].name, "Hangup");
	xdoc_free(&d);

	va_buf_reset(&b);
	assert_int_equal(va_twiml_reject_busy(&b, NULL), VA_OK);
	parse_ok(&b, &d);
	assert_string_equal(xtext(&d, xchild(&d, 0, 0)),
			    "Sorry, all our lines are busy right now. Please call back in a few "
			    "minutes.");
	xdoc_free(&d);
	va_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parser_rejects),
	    cmocka_unit_test(test_connect_relay_demo),
	    cmocka_unit_test(test_connect_relay_escaping),
	    cmocka_unit_test(test_connect_stream),
	    cmocka_unit_test(test_connect_relay_connecting_message),
	    cmocka_unit_test(test_connect_relay_presets),
	    cmocka_unit_test(test_connect_relay_optional),
	    cmocka_unit_test(test_connect_relay_errors),
	    cmocka_unit_test(test_too_big_leaves_buffer),
	    cmocka_unit_test(test_escape),
	    cmocka_unit_test(test_dial),
	    cmocka_unit_test(test_gather),
	    cmocka_unit_test(test_say_hangup_empty_busy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
