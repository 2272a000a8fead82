/* SPDX-License-Identifier: MIT */
/*
 * twiml.h - the TwiML documents VoiceAI answers Twilio with.
 *
 * Pure: each function appends one complete document (XML declaration
 * included) to a caller-owned struct va_buf. Every attribute value and every
 * text node goes through va_xml_escape_append, so tenant or LLM text can never
 * break the markup. On failure (VA_E_TOOBIG from the buffer's maximum,
 * VA_E_INVAL for a missing required argument) the buffer is left as it was.
 *
 * Settings of ConversationRelay are attributes (protocols.md §1.3);
 * <Parameter> children are opaque data echoed in setup.customParameters.
 */
#ifndef VA_TWILIO_TWIML_H
#define VA_TWILIO_TWIML_H

#include "core/buf.h"
#include "tenant/tenant.h"
#include "twilio/signature.h"

#include <stddef.h>

/* Appends s XML-escaped (& < > " ' as entities; tab, CR, LF as character
 * references so they survive attribute normalisation; other control bytes
 * dropped; invalid UTF-8 replaced by U+FFFD). NULL appends nothing. */
int va_xml_escape_append(struct va_buf *out, const char *s);

/* <Connect action=… method="POST"><ConversationRelay url=ws_url …> with every
 * relay setting of t as attributes and params as <Parameter> children.
 * t->connecting_message, when set, is spoken by a <Say> before <Connect>.
 * action_url may be NULL (no action: the call hangs up when the session ends).
 * Empty optional settings are omitted so Twilio's defaults apply. t is
 * expected to have passed va_tenant_validate. */
int va_twiml_connect_relay(struct va_buf *out, const struct va_tenant *t, const char *ws_url,
			   const char *action_url, const struct va_kv *params, size_t n_params);

/* [<Say>say_text</Say>]<Dial [action=… method="POST"]>number</Dial>: the
 * transfer to the front desk. say_text and action_url may be NULL. */
/* <Connect action><Stream url><Parameter/>...</Stream></Connect>: the raw
 * call audio (Media Streams) to ws_url, with the optional <Say> first. */
int va_twiml_connect_stream(struct va_buf *out, const struct va_tenant *t, const char *ws_url,
			    const char *action_url, const struct va_kv *params, size_t n_params);
int va_twiml_dial(struct va_buf *out, const char *say_text, const char *number,
		  const char *action_url);

/* One turn of the <Gather input="speech"> fallback: says say_text and posts
 * the transcript (or nothing, actionOnEmptyResult) to action_url. Language and
 * hints come from t, which may be NULL (en-US, no hints). */
int va_twiml_gather(struct va_buf *out, const char *say_text, const char *action_url,
		    const struct va_tenant *t);

/* <Say>text</Say><Hangup/>; the <Say> is left out for NULL or "". */
int va_twiml_say_hangup(struct va_buf *out, const char *text);

/* <Response/>: for an action callback after the caller already hung up. */
int va_twiml_empty(struct va_buf *out);

/* A polite refusal when every line is taken: apology, then <Hangup/>.
 * practice_name (may be NULL) is named in the apology when set. */
int va_twiml_reject_busy(struct va_buf *out, const char *practice_name);

#endif
