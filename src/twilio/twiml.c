/* SPDX-License-Identifier: MIT */
/*
 * twiml.c - builds the TwiML documents of twiml.h into a bounded buffer.
 * No I/O, no allocation beyond the buffer's own growth.
 */
#include "twilio/twiml.h"
#include "core/err.h"

#include <stdbool.h>
#include <string.h>

#define XML_DECL "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"

#define TRY(expr)                                                                                  \
	do {                                                                                       \
		rc = (expr);                                                                       \
		if (rc)                                                                            \
			goto out;                                                                  \
	} while (0)

/* Undoes a partly written document so a failed call never leaves half a
 * <Response> for the caller to send by mistake. */
static void rollback(struct va_buf *b, size_t len)
{
	if (b->data && b->len > len) {
		b->len = len;
		b->data[len] = '\0';
	}
}

/* Length of the well-formed UTF-8 sequence at s (1-4), or 0 if it is not
 * one, or if it encodes a code point XML 1.0 forbids (U+FFFE, U+FFFF). */
static size_t utf8_seq(const unsigned char *s)
{
	unsigned cp;
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		/* A NUL terminator fails this test, so we never read past it. */
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0; /* overlong or out of range */
	if (cp >= 0xd800 && cp <= 0xdfff)
		return 0; /* UTF-16 surrogate */
	if (cp == 0xfffe || cp == 0xffff)
		return 0;
	return n;
}

static int escape(struct va_buf *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	const unsigned char *run = s;
	const char *rep;
	int rc = VA_OK;
	size_t n;

	while (*s) {
		n = 1;
		switch (*s) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&apos;";
			break;
		case '\t':
			rep = "&#9;";
			break;
		case '\n':
			rep = "&#10;";
			break;
		case '\r':
			rep = "&#13;";
			break;
		default:
			if (*s < 0x20) {
				rep = ""; /* not allowed anywhere in XML 1.0 */
			} else {
				n = utf8_seq(s);
				rep = n ? NULL : "\xef\xbf\xbd";
				if (!n)
					n = 1;
			}
			break;
		}
		if (!rep) {
			s += n;
			continue;
		}
		TRY(va_buf_append(out, run, (size_t)(s - run)));
		TRY(va_buf_append_str(out, rep));
		s += n;
		run = s;
	}
	TRY(va_buf_append(out, run, (size_t)(s - run)));
out:
	return rc;
}

int va_xml_escape_append(struct va_buf *out, const char *s)
{
	size_t mark = out->len;
	int rc;

	if (!s)
		return VA_OK;
	rc = escape(out, s);
	if (rc)
		rollback(out, mark);
	return rc;
}

/* Appends ` name="value"`. */
static int attr(struct va_buf *out, const char *name, const char *value)
{
	int rc;

	TRY(va_buf_appendf(out, " %s=\"", name));
	TRY(escape(out, value ? value : ""));
	TRY(va_buf_append_str(out, "\""));
out:
	return rc;
}

/* Like attr, but an unset value is left out so Twilio's default applies. */
static int attr_opt(struct va_buf *out, const char *name, const char *value)
{
	if (!value || !value[0])
		return VA_OK;
	return attr(out, name, value);
}

static int attr_bool(struct va_buf *out, const char *name, bool value)
{
	return va_buf_appendf(out, " %s=\"%s\"", name, value ? "true" : "false");
}

/* <Say[ language="…"]>text</Say>, nothing for an empty text. */
static int say(struct va_buf *out, const char *text, const char *language)
{
	int rc = VA_OK;

	if (!text || !text[0])
		return VA_OK;
	TRY(va_buf_append_str(out, "<Say"));
	TRY(attr_opt(out, "language", language));
	TRY(va_buf_append_str(out, ">"));
	TRY(escape(out, text));
	TRY(va_buf_append_str(out, "</Say>"));
out:
	return rc;
}

/* <Parameter name value/> for each (they reach the session as custom parameters). */
static int parameters(struct va_buf *out, const struct va_kv *params, size_t n)
{
	int rc = VA_OK;

	for (size_t i = 0; i < n; i++) {
		TRY(va_buf_append_str(out, "<Parameter"));
		TRY(attr(out, "name", params[i].name));
		TRY(attr(out, "value", params[i].value));
		TRY(va_buf_append_str(out, "/>"));
	}
out:
	return rc;
}

int va_twiml_connect_relay(struct va_buf *out, const struct va_tenant *t, const char *ws_url,
			   const char *action_url, const struct va_kv *params, size_t n_params)
{
	const struct va_relay_settings *r;
	size_t mark = out->len, i;
	int rc = VA_OK;

	if (!t || !ws_url || !ws_url[0] || (n_params && !params))
		return VA_E_INVAL;
	for (i = 0; i < n_params; i++) {
		if (!params[i].name || !params[i].name[0])
			return VA_E_INVAL;
	}
	r = &t->relay;

	TRY(va_buf_append_str(out, XML_DECL "<Response>"));
	TRY(say(out, t->connecting_message, r->language));
	TRY(va_buf_append_str(out, "<Connect"));
	if (action_url && action_url[0]) {
		TRY(attr(out, "action", action_url));
		TRY(attr(out, "method", "POST"));
	}
	TRY(va_buf_append_str(out, "><ConversationRelay"));
	TRY(attr(out, "url", ws_url));
	TRY(attr_opt(out, "welcomeGreeting", t->greeting));
	TRY(attr_opt(out, "welcomeGreetingInterruptible", r->welcome_interruptible));
	TRY(attr_opt(out, "language", r->language));
	TRY(attr_opt(out, "ttsProvider", r->tts_provider));
	TRY(attr_opt(out, "voice", r->voice));
	TRY(attr_opt(out, "transcriptionProvider", r->transcription_provider));
	TRY(attr_opt(out, "speechModel", r->speech_model));
	TRY(attr_opt(out, "interruptible", r->interruptible));
	TRY(attr_opt(out, "interruptSensitivity", r->interrupt_sensitivity));
	TRY(attr_opt(out, "speechTimeout", r->speech_timeout));
	TRY(attr_opt(out, "reportInputDuringAgentSpeech", r->report_input_during_agent));
	TRY(attr_bool(out, "dtmfDetection", r->dtmf_detection));
	TRY(attr_bool(out, "preemptible", r->preemptible));
	TRY(attr_opt(out, "hints", r->hints));
	if (r->partial_prompts)
		TRY(attr_bool(out, "partialPrompts", true));
	if (r->application_reconnect)
		TRY(attr_bool(out, "applicationReconnect", true));
	TRY(va_buf_append_str(out, ">"));
	TRY(parameters(out, params, n_params));
	TRY(va_buf_append_str(out, "</ConversationRelay></Connect></Response>"));
out:
	if (rc)
		rollback(out, mark);
	return rc;
}

int va_twiml_connect_stream(struct va_buf *out, const struct va_tenant *t, const char *ws_url,
			    const char *action_url, const struct va_kv *params, size_t n_params)
{
	size_t mark = out->len, i;
	int rc = VA_OK;

	if (!t || !ws_url || !ws_url[0] || (n_params && !params))
		return VA_E_INVAL;
	for (i = 0; i < n_params; i++)
		if (!params[i].name || !params[i].name[0])
			return VA_E_INVAL;
	TRY(va_buf_append_str(out, XML_DECL "<Response>"));
	TRY(say(out, t->connecting_message, t->relay.language));
	TRY(va_buf_append_str(out, "<Connect"));
	if (action_url && action_url[0]) {
		TRY(attr(out, "action", action_url));
		TRY(attr(out, "method", "POST"));
	}
	/* Twilio drops a query string on a Stream URL: everything the
	 * session needs rides in <Parameter>s (start.customParameters). */
	TRY(va_buf_append_str(out, "><Stream"));
	TRY(attr(out, "url", ws_url));
	TRY(va_buf_append_str(out, ">"));
	TRY(parameters(out, params, n_params));
	TRY(va_buf_append_str(out, "</Stream></Connect></Response>"));
out:
	if (rc)
		rollback(out, mark);
	return rc;
}

int va_twiml_dial(struct va_buf *out, const char *say_text, const char *number,
		  const char *action_url)
{
	size_t mark = out->len;
	int rc = VA_OK;

	if (!number || !number[0])
		return VA_E_INVAL;
	TRY(va_buf_append_str(out, XML_DECL "<Response>"));
	TRY(say(out, say_text, NULL));
	TRY(va_buf_append_str(out, "<Dial"));
	if (action_url && action_url[0]) {
		TRY(attr(out, "action", action_url));
		TRY(attr(out, "method", "POST"));
	}
	TRY(va_buf_append_str(out, ">"));
	TRY(escape(out, number));
	TRY(va_buf_append_str(out, "</Dial></Response>"));
out:
	if (rc)
		rollback(out, mark);
	return rc;
}

int va_twiml_gather(struct va_buf *out, const char *say_text, const char *action_url,
		    const struct va_tenant *t)
{
	const char *language = t && t->relay.language[0] ? t->relay.language : "en-US";
	size_t mark = out->len;
	int rc = VA_OK;

	/* Without an action Twilio re-requests the current document: a loop. */
	if (!action_url || !action_url[0])
		return VA_E_INVAL;
	TRY(va_buf_append_str(out, XML_DECL "<Response><Gather"));
	TRY(attr(out, "input", "speech"));
	TRY(attr(out, "action", action_url));
	TRY(attr(out, "method", "POST"));
	/* Seconds here, unlike ConversationRelay's milliseconds: "auto" is the
	 * one value that means the same in both. */
	TRY(attr(out, "speechTimeout", "auto"));
	TRY(attr(out, "language", language));
	TRY(attr(out, "actionOnEmptyResult", "true"));
	if (t)
		TRY(attr_opt(out, "hints", t->relay.hints));
	if (say_text && say_text[0]) {
		TRY(va_buf_append_str(out, ">"));
		TRY(say(out, say_text, language));
		TRY(va_buf_append_str(out, "</Gather>"));
	} else {
		TRY(va_buf_append_str(out, "/>"));
	}
	TRY(va_buf_append_str(out, "</Response>"));
out:
	if (rc)
		rollback(out, mark);
	return rc;
}

int va_twiml_say_hangup(struct va_buf *out, const char *text)
{
	size_t mark = out->len;
	int rc = VA_OK;

	TRY(va_buf_append_str(out, XML_DECL "<Response>"));
	TRY(say(out, text, NULL));
	TRY(va_buf_append_str(out, "<Hangup/></Response>"));
out:
	if (rc)
		rollback(out, mark);
	return rc;
}

int va_twiml_empty(struct va_buf *out)
{
	return va_buf_append_str(out, XML_DECL "<Response/>");
}

int va_twiml_reject_busy(struct va_buf *out, const char *practice_name)
{
	size_t mark = out->len;
	int rc = VA_OK;

	TRY(va_buf_append_str(out, XML_DECL "<Response><Say>"));
	if (practice_name && practice_name[0]) {
		TRY(va_buf_append_str(out, "Thank you for calling "));
		TRY(escape(out, practice_name));
		TRY(va_buf_append_str(out, ". "));
	}
	TRY(va_buf_append_str(out, "Sorry, all our lines are busy right now. Please call back in "
				   "a few minutes."));
	TRY(va_buf_append_str(out, "</Say><Hangup/></Response>"));
out:
	if (rc)
		rollback(out, mark);
	return rc;
}
