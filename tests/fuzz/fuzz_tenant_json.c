/* SPDX-License-Identifier: MIT */
/*
 * fuzz_tenant_json.c - an admin API document all the way to TwiML: JSON ->
 * tenant (as a create and as an update of the demo practice) -> validate ->
 * <ConversationRelay> and <Gather> documents -> JSON again.
 *
 * Beyond "never crash" it traps when an invariant breaks: an accepted tenant
 * validates, its TwiML is well-formed with balanced tags and only known
 * entities, and its JSON (secrets masked) reads back as the same tenant.
 */
#include "core/buf.h"
#include "core/err.h"
#include "http/tenant_json.h"
#include "tenant/tenant.h"
#include "twilio/twiml.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

static bool entity_ok(const char *p)
{
	static const char *const named[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
	size_t i;

	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		if (strncmp(p, named[i], strlen(named[i])) == 0)
			return true;
	}
	return strncmp(p, "&#9;", 4) == 0 || strncmp(p, "&#10;", 5) == 0 ||
	       strncmp(p, "&#13;", 5) == 0;
}

/* Well-formedness as far as our builders can break it: declaration, tags
 * balanced and properly nested, quoted attributes, no raw '<' or stray '&',
 * no control bytes. */
static void check_xml(const char *s)
{
	static const char decl[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";
	const char *stack[16];
	size_t stack_len[16];
	int depth = 0, roots = 0;

	CHECK(strncmp(s, decl, strlen(decl)) == 0);
	s += strlen(decl);
	while (*s) {
		if ((unsigned char)*s < 0x20)
			abort();
		if (*s == '&') {
			CHECK(entity_ok(s));
		} else if (*s == '>') {
			abort(); /* only ever inside a tag, consumed below */
		} else if (*s == '<') {
			const char *name;
			size_t n;
			bool in_quote = false, closing = s[1] == '/';

			name = s + (closing ? 2 : 1);
			for (n = 0; (name[n] >= 'A' && name[n] <= 'Z') ||
				    (name[n] >= 'a' && name[n] <= 'z');
			     n++)
				;
			CHECK(n > 0);
			for (s = name + n; *s && (in_quote || *s != '>'); s++) {
				CHECK(*s != '<' && (unsigned char)*s >= 0x20);
				if (*s == '"')
					in_quote = !in_quote;
				else if (*s == '&')
					CHECK(in_quote && entity_ok(s));
				else if (*s == '\'')
					abort();
			}
			CHECK(*s == '>');
			if (closing) {
				CHECK(depth > 0 && stack_len[depth - 1] == n &&
				      strncmp(stack[depth - 1], name, n) == 0);
				depth--;
			} else if (s[-1] != '/') {
				CHECK(depth < 16);
				if (depth == 0)
					roots++;
				stack[depth] = name;
				stack_len[depth++] = n;
			} else if (depth == 0) {
				roots++;
			}
		} else {
			CHECK(depth > 0); /* text only inside the root */
		}
		s++;
	}
	CHECK(depth == 0 && roots == 1);
}

static void exercise(const struct va_tenant *t)
{
	struct va_buf b = VA_BUF_INIT(256 * 1024);
	struct va_kv params[] = {{"tenant", t->id}, {"name", t->name}};
	struct va_tenant back;
	char why[256];

	CHECK(va_tenant_validate(t, why, sizeof(why)) == VA_OK);

	CHECK(va_twiml_connect_relay(&b, t, "wss://voice.example.com/ws", "https://h/a?x=1&y=2",
				     params, 2) == VA_OK);
	check_xml(va_buf_cstr(&b));
	va_buf_reset(&b);
	CHECK(va_twiml_gather(&b, t->greeting, "/gather", t) == VA_OK);
	check_xml(va_buf_cstr(&b));
	va_buf_reset(&b);
	CHECK(va_twiml_reject_busy(&b, t->name) == VA_OK);
	check_xml(va_buf_cstr(&b));
	va_buf_reset(&b);
	if (t->front_desk_number[0]) {
		CHECK(va_twiml_dial(&b, t->connecting_message, t->front_desk_number, NULL) ==
		      VA_OK);
		check_xml(va_buf_cstr(&b));
		va_buf_reset(&b);
	}

	/* The masked JSON, sent back as an update, changes nothing. */
	CHECK(va_tenant_to_json(t, &b) == VA_OK);
	back = *t;
	CHECK(va_tenant_from_json(b.data, b.len, &back, true, why, sizeof(why)) == VA_OK);
	CHECK(memcmp(&back, t, sizeof(back)) == 0);
	va_buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct va_buf b = VA_BUF_INIT(1024 * 1024);
	struct va_tenant t, demo;
	char why[256];
	char *text;
	int rc;

	if (size > 64 * 1024)
		return 0;

	memset(&t, 0, sizeof(t));
	rc = va_tenant_from_json((const char *)data, size, &t, false, why, sizeof(why));
	CHECK(rc == VA_OK || rc == VA_E_INVAL || rc == VA_E_PARSE);
	if (rc == VA_OK)
		exercise(&t);
	else
		CHECK(strchr(why, ':') != NULL);

	va_tenant_demo(&demo);
	t = demo;
	rc = va_tenant_from_json((const char *)data, size, &t, true, why, sizeof(why));
	if (rc == VA_OK)
		exercise(&t);
	else
		CHECK(memcmp(&t, &demo, sizeof(t)) == 0);

	/* The escaper on raw bytes: nothing in its output may look like markup. */
	text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	CHECK(va_xml_escape_append(&b, text) == VA_OK);
	for (size_t i = 0; i < b.len; i++) {
		unsigned char c = (unsigned char)b.data[i];
		CHECK(c >= 0x20 && c != '<' && c != '>' && c != '"' && c != '\'');
		if (c == '&')
			CHECK(entity_ok(b.data + i));
	}
	va_buf_release(&b);
	free(text);
	return 0;
}
