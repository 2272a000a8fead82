/* SPDX-License-Identifier: MIT */
/*
 * msg.c - ConversationRelay JSON codec (protocols.md §1.8, §1.9).
 *
 * The only place that touches json_t for ConversationRelay: inbound frames
 * become struct va_relay_in, outbound messages are built from plain C
 * arguments. Parsing is lenient about what Twilio may add (unknown fields and
 * types) and strict about what we rely on (required fields, sizes). It does
 * no I/O and no logging; callers log the `why` it returns.
 */
#include "relay/msg.h"

#include "core/alloc.h"
#include "core/err.h"

#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void set_why(char *why, size_t whysz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_why(char *why, size_t whysz, const char *fmt, ...)
{
	va_list ap;

	if (!why || !whysz)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whysz, fmt, ap);
	va_end(ap);
}

/* ---- UTF-8 helpers ---------------------------------------------------- */

/*
 * Length of the well-formed UTF-8 sequence at p (RFC 3629: no overlongs, no
 * surrogates, nothing past U+10FFFF), or 0 if it is ill-formed. *consumed gets
 * the length of the maximal ill-formed prefix so one U+FFFD replaces it, as
 * the Unicode standard recommends.
 */
static size_t utf8_seq(const unsigned char *p, size_t n, size_t *consumed)
{
	unsigned char c = p[0];
	unsigned char lo = 0x80, hi = 0xBF;
	size_t need, i;

	*consumed = 1;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF) {
		need = 2;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 3;
		if (c == 0xE0)
			lo = 0xA0; /* overlong */
		else if (c == 0xED)
			hi = 0x9F; /* surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 4;
		if (c == 0xF0)
			lo = 0x90; /* overlong */
		else if (c == 0xF4)
			hi = 0x8F; /* > U+10FFFF */
	} else {
		return 0;
	}
	for (i = 1; i < need; i++) {
		if (i >= n || p[i] < lo || p[i] > hi)
			return 0;
		lo = 0x80;
		hi = 0xBF;
		*consumed = i + 1;
	}
	return need;
}

size_t va_relay_utf8_sanitize(const char *s, size_t n, char **out)
{
	static const char repl[] = "\xEF\xBF\xBD";
	const unsigned char *p = (const unsigned char *)s;
	char *dst;
	size_t i = 0, o = 0, len, consumed;

	if (n > (SIZE_MAX - 1) / 3)
		abort(); /* cannot happen for any buffer in memory */
	dst = va_xmalloc(n * 3 + 1);
	while (i < n) {
		len = utf8_seq(p + i, n - i, &consumed);
		if (len) {
			memcpy(dst + o, p + i, len);
			o += len;
			i += len;
		} else {
			memcpy(dst + o, repl, 3);
			o += 3;
			i += consumed;
		}
	}
	dst[o] = '\0';
	*out = dst;
	return o;
}

/*
 * Copies at most dstsz-1 bytes of src without splitting a UTF-8 sequence; for
 * values only ever logged (an unknown type name), where truncation is fine.
 */
static void copy_trunc_utf8(char *dst, size_t dstsz, const char *src, size_t n)
{
	size_t cut = n;

	if (cut >= dstsz) {
		cut = dstsz - 1;
		/* step back over continuation bytes to a sequence start */
		while (cut > 0 && ((unsigned char)src[cut] & 0xC0) == 0x80)
			cut--;
	}
	memcpy(dst, src, cut);
	dst[cut] = '\0';
}

/* ---- JSON building ---------------------------------------------------- */

/* A JSON string from n bytes; invalid UTF-8 becomes U+FFFD instead of failing,
 * so a token from a model that split a character is never lost. */
static json_t *jstrn(const char *s, size_t n)
{
	json_t *j = json_stringn(s, n);
	char *clean;
	size_t cn;

	if (j)
		return j;
	cn = va_relay_utf8_sanitize(s, n, &clean);
	j = json_stringn(clean, cn);
	free(clean);
	return j;
}

static json_t *jstr(const char *s)
{
	return jstrn(s ? s : "", s ? strlen(s) : 0);
}

/* Serializes obj compactly and appends it to out; always consumes obj. */
static int append_json(struct va_buf *out, json_t *obj)
{
	char *txt = NULL;
	int rc;

	if (!obj) {
		rc = VA_E_NOMEM;
		goto out;
	}
	txt = json_dumps(obj, JSON_COMPACT);
	if (!txt) {
		rc = VA_E_NOMEM;
		goto out;
	}
	rc = va_buf_append(out, txt, strlen(txt));
out:
	free(txt);
	json_decref(obj);
	return rc;
}

/* json_object_set_new that reports failure (NULL value or OOM) to the caller. */
static int put(json_t *obj, const char *key, json_t *val)
{
	if (!val)
		return -1;
	return json_object_set_new(obj, key, val);
}

/* ---- inbound parsing -------------------------------------------------- */

/*
 * Fetches an optional string member. Absent, null or non-string -> "" (Twilio
 * adds and changes optional fields without notice; a call must not die for
 * one). Too long for dst -> VA_E_INVAL: a silently cut SID would be worse.
 */
static int get_opt_str(json_t *obj, const char *msg, const char *key, char *dst, size_t dstsz,
		       char *why, size_t whysz)
{
	json_t *v = json_object_get(obj, key);
	size_t n;

	dst[0] = '\0';
	if (!json_is_string(v))
		return VA_OK;
	n = json_string_length(v);
	if (n >= dstsz) {
		set_why(why, whysz, "%s.%s too long", msg, key);
		return VA_E_INVAL;
	}
	memcpy(dst, json_string_value(v), n);
	dst[n] = '\0';
	return VA_OK;
}

static int get_req_str(json_t *obj, const char *msg, const char *key, char *dst, size_t dstsz,
		       char *why, size_t whysz)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_string(v)) {
		set_why(why, whysz, "%s.%s missing or not a string", msg, key);
		return VA_E_INVAL;
	}
	if (json_string_length(v) == 0) {
		set_why(why, whysz, "%s.%s is empty", msg, key);
		return VA_E_INVAL;
	}
	return get_opt_str(obj, msg, key, dst, dstsz, why, whysz);
}

/* Owned copy of a string member, "" when absent or not a string. */
static char *dup_opt_str(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_string(v))
		return va_xstrdup("");
	return va_xstrndup(json_string_value(v), json_string_length(v));
}

/* Declarative shape of setup (house style habit 18). */
struct setup_field {
	const char *key;
	size_t off;
	size_t size;
	bool required;
};

#define SETUP_FIELD(key, member, req)                                                              \
	{                                                                                          \
		key, offsetof(struct va_relay_setup, member),                                      \
		    sizeof(((struct va_relay_setup *)0)->member), req                              \
	}

static const struct setup_field setup_fields[] = {
    SETUP_FIELD("sessionId", session_id, true),
    SETUP_FIELD("accountSid", account_sid, false),
    SETUP_FIELD("parentCallSid", parent_call_sid, false),
    SETUP_FIELD("callSid", call_sid, true),
    SETUP_FIELD("from", from, false),
    SETUP_FIELD("to", to, false),
    SETUP_FIELD("forwardedFrom", forwarded_from, false),
    SETUP_FIELD("callType", call_type, false),
    SETUP_FIELD("callerName", caller_name, false),
    SETUP_FIELD("direction", direction, false),
    SETUP_FIELD("callStatus", call_status, false),
};

static int parse_params(json_t *root, struct va_relay_setup *s, char *why, size_t whysz)
{
	json_t *params = json_object_get(root, "customParameters");
	const char *name;
	json_t *v;
	size_t nlen, vlen;

	s->n_params = 0;
	if (!json_is_object(params))
		return VA_OK;
	json_object_foreach(params, name, v)
	{
		if (s->n_params == VA_RELAY_MAX_PARAMS)
			break;
		if (!json_is_string(v))
			continue;
		nlen = strlen(name);
		vlen = json_string_length(v);
		if (nlen == 0)
			continue;
		if (nlen >= sizeof(s->params[0].name)) {
			set_why(why, whysz, "setup.customParameters name too long");
			return VA_E_INVAL;
		}
		if (vlen >= sizeof(s->params[0].value)) {
			set_why(why, whysz, "setup.customParameters.%s too long", name);
			return VA_E_INVAL;
		}
		memcpy(s->params[s->n_params].name, name, nlen + 1);
		memcpy(s->params[s->n_params].value, json_string_value(v), vlen);
		s->params[s->n_params].value[vlen] = '\0';
		s->n_params++;
	}
	return VA_OK;
}

static int parse_setup(json_t *root, struct va_relay_setup *s, char *why, size_t whysz)
{
	const struct setup_field *f;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(setup_fields) / sizeof(setup_fields[0]); i++) {
		f = &setup_fields[i];
		if (f->required)
			rc = get_req_str(root, "setup", f->key, (char *)s + f->off, f->size, why,
					 whysz);
		else
			rc = get_opt_str(root, "setup", f->key, (char *)s + f->off, f->size, why,
					 whysz);
		if (rc)
			return rc;
	}
	return parse_params(root, s, why, whysz);
}

static int parse_prompt(json_t *root, struct va_relay_prompt *p, char *why, size_t whysz)
{
	json_t *v = json_object_get(root, "voicePrompt");
	int rc;

	if (!json_is_string(v)) {
		set_why(why, whysz, "prompt.voicePrompt missing or not a string");
		return VA_E_INVAL;
	}
	rc = get_opt_str(root, "prompt", "lang", p->lang, sizeof(p->lang), why, whysz);
	if (rc)
		return rc;
	/* Only partial prompts carry last:false; absent means a final one. */
	p->last = !json_is_false(json_object_get(root, "last"));
	p->text = va_xstrndup(json_string_value(v), json_string_length(v));
	return VA_OK;
}

/* Non-negative whole milliseconds from a JSON number or numeric string; -1
 * for anything else (the field is informational, never worth a rejection). */
static long duration_ms(json_t *v)
{
	const char *s;
	char *end;
	double d;

	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);
		return (i < 0 || i > LONG_MAX) ? -1 : (long)i;
	}
	if (json_is_real(v)) {
		d = json_real_value(v);
	} else if (json_is_string(v)) {
		s = json_string_value(v);
		/* strtod alone would take "inf", "0x1p3" and leading blanks */
		if (s[0] < '0' || s[0] > '9')
			return -1;
		d = strtod(s, &end);
		if (*end != '\0' || end - s != (ptrdiff_t)json_string_length(v))
			return -1;
	} else {
		return -1;
	}
	if (!isfinite(d) || d < 0 || d >= 9.0e15)
		return -1;
	return (long)d;
}

static int parse_interrupt(json_t *root, struct va_relay_interrupt *m)
{
	m->duration_ms = duration_ms(json_object_get(root, "durationUntilInterruptMs"));
	m->heard = dup_opt_str(root, "utteranceUntilInterrupt");
	return VA_OK;
}

static bool is_dtmf_digit(char c)
{
	return (c >= '0' && c <= '9') || c == '*' || c == '#';
}

static int parse_dtmf(json_t *root, struct va_relay_dtmf *d, char *why, size_t whysz)
{
	json_t *v = json_object_get(root, "digit");

	if (!json_is_string(v)) {
		set_why(why, whysz, "dtmf.digit missing or not a string");
		return VA_E_INVAL;
	}
	if (json_string_length(v) != 1 || !is_dtmf_digit(json_string_value(v)[0])) {
		set_why(why, whysz, "dtmf.digit must be one of 0-9 * #");
		return VA_E_INVAL;
	}
	d->digit = json_string_value(v)[0];
	return VA_OK;
}

static int parse_info(json_t *root, struct va_relay_info *m, char *why, size_t whysz)
{
	json_t *v = json_object_get(root, "value");
	char *dumped = NULL;
	int n, rc;

	rc = get_opt_str(root, "info", "name", m->name, sizeof(m->name), why, whysz);
	if (rc)
		goto out;
	if (json_is_string(v)) {
		rc = get_opt_str(root, "info", "value", m->value, sizeof(m->value), why, whysz);
		goto out;
	}
	if (json_is_integer(v)) {
		n = snprintf(m->value, sizeof(m->value), "%" JSON_INTEGER_FORMAT,
			     json_integer_value(v));
	} else if (json_is_real(v)) {
		n = snprintf(m->value, sizeof(m->value), "%.15g", json_real_value(v));
	} else if (json_is_boolean(v)) {
		n = snprintf(m->value, sizeof(m->value), "%s", json_is_true(v) ? "true" : "false");
	} else if (json_is_object(v) || json_is_array(v)) {
		/* not seen from Twilio; keep it readable for the log */
		dumped = json_dumps(v, JSON_COMPACT);
		if (!dumped) {
			rc = VA_E_NOMEM;
			goto out;
		}
		n = snprintf(m->value, sizeof(m->value), "%s", dumped);
	} else {
		m->value[0] = '\0'; /* absent or null */
		n = 0;
	}
	if (n < 0 || (size_t)n >= sizeof(m->value)) {
		m->value[0] = '\0';
		set_why(why, whysz, "info.value too long");
		rc = VA_E_INVAL;
	}
out:
	free(dumped);
	return rc;
}

/* Loads data as one JSON object with a string "type"; *type gets the member. */
static int load_object(const char *data, size_t len, json_t **root, json_t **type, char *why,
		       size_t whysz)
{
	json_error_t jerr;

	*root = NULL;
	*type = NULL;
	if (!data) {
		set_why(why, whysz, "empty message");
		return VA_E_PARSE;
	}
	*root = json_loadb(data, len, 0, &jerr);
	if (!*root) {
		set_why(why, whysz, "malformed JSON at line %d column %d", jerr.line, jerr.column);
		return VA_E_PARSE;
	}
	if (!json_is_object(*root)) {
		set_why(why, whysz, "message is not a JSON object");
		return VA_E_PARSE;
	}
	*type = json_object_get(*root, "type");
	if (!json_is_string(*type)) {
		set_why(why, whysz, "type missing or not a string");
		return VA_E_PARSE;
	}
	return VA_OK;
}

static const struct {
	const char *name;
	enum va_relay_in_type type;
} in_types[] = {
    {"setup", VA_RELAY_IN_SETUP},	  {"prompt", VA_RELAY_IN_PROMPT},
    {"interrupt", VA_RELAY_IN_INTERRUPT}, {"dtmf", VA_RELAY_IN_DTMF},
    {"error", VA_RELAY_IN_ERROR},	  {"info", VA_RELAY_IN_INFO},
};

int va_relay_parse(const char *data, size_t len, struct va_relay_in *out, char *why, size_t whysz)
{
	json_t *root = NULL, *type;
	const char *tname;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	set_why(why, whysz, "%s", "");
	rc = load_object(data, len, &root, &type, why, whysz);
	if (rc)
		goto out;
	tname = json_string_value(type);
	copy_trunc_utf8(out->type_name, sizeof(out->type_name), tname, json_string_length(type));
	out->type = VA_RELAY_IN_UNKNOWN;
	for (i = 0; i < sizeof(in_types) / sizeof(in_types[0]); i++) {
		/* strcmp: an embedded NUL cannot occur, jansson rejects \u0000 here */
		if (strcmp(tname, in_types[i].name) == 0) {
			out->type = in_types[i].type;
			break;
		}
	}
	switch (out->type) {
	case VA_RELAY_IN_SETUP:
		rc = parse_setup(root, &out->u.setup, why, whysz);
		break;
	case VA_RELAY_IN_PROMPT:
		rc = parse_prompt(root, &out->u.prompt, why, whysz);
		break;
	case VA_RELAY_IN_INTERRUPT:
		rc = parse_interrupt(root, &out->u.interrupt);
		break;
	case VA_RELAY_IN_DTMF:
		rc = parse_dtmf(root, &out->u.dtmf, why, whysz);
		break;
	case VA_RELAY_IN_ERROR:
		out->u.error.description = dup_opt_str(root, "description");
		break;
	case VA_RELAY_IN_INFO:
		rc = parse_info(root, &out->u.info, why, whysz);
		break;
	case VA_RELAY_IN_UNKNOWN:
		break;
	}
out:
	json_decref(root);
	if (rc) {
		/* each parse_* allocates last, so there is nothing owned to free */
		memset(out, 0, sizeof(*out));
	}
	return rc;
}

void va_relay_in_release(struct va_relay_in *m)
{
	if (!m)
		return;
	switch (m->type) {
	case VA_RELAY_IN_PROMPT:
		free(m->u.prompt.text);
		m->u.prompt.text = NULL;
		break;
	case VA_RELAY_IN_INTERRUPT:
		free(m->u.interrupt.heard);
		m->u.interrupt.heard = NULL;
		break;
	case VA_RELAY_IN_ERROR:
		free(m->u.error.description);
		m->u.error.description = NULL;
		break;
	default:
		break;
	}
}

const char *va_relay_setup_param(const struct va_relay_setup *s, const char *name)
{
	size_t i;

	if (!s || !name)
		return NULL;
	for (i = 0; i < s->n_params && i < VA_RELAY_MAX_PARAMS; i++) {
		if (strcmp(s->params[i].name, name) == 0)
			return s->params[i].value;
	}
	return NULL;
}

/* ---- outbound writers (server -> Twilio) ------------------------------ */

int va_relay_write_text(struct va_buf *out, const char *token, size_t token_len, bool last,
			const char *lang)
{
	json_t *o;

	if (!token && token_len)
		return VA_E_INVAL;
	o = json_object();
	if (put(o, "type", json_string("text")) ||
	    put(o, "token", jstrn(token ? token : "", token_len)) ||
	    put(o, "last", json_boolean(last)) || (lang && put(o, "lang", jstr(lang)))) {
		json_decref(o);
		return VA_E_NOMEM;
	}
	return append_json(out, o);
}

int va_relay_write_end(struct va_buf *out, const char *handoff_data)
{
	json_t *o = json_object();

	if (put(o, "type", json_string("end")) ||
	    (handoff_data && put(o, "handoffData", jstr(handoff_data)))) {
		json_decref(o);
		return VA_E_NOMEM;
	}
	return append_json(out, o);
}

bool va_relay_digits_valid(const char *digits)
{
	const char *p;

	if (!digits || !*digits)
		return false;
	for (p = digits; *p; p++) {
		if (!((*p >= '0' && *p <= '9') || *p == 'w' || *p == 'W' || *p == '#' || *p == '*'))
			return false;
	}
	return true;
}

int va_relay_write_send_digits(struct va_buf *out, const char *digits)
{
	json_t *o;

	if (!va_relay_digits_valid(digits))
		return VA_E_INVAL;
	o = json_object();
	if (put(o, "type", json_string("sendDigits")) || put(o, "digits", jstr(digits))) {
		json_decref(o);
		return VA_E_NOMEM;
	}
	return append_json(out, o);
}

int va_relay_write_play(struct va_buf *out, const char *source, int loop, bool interruptible,
			bool preemptible)
{
	json_t *o;

	if (!source || !*source || loop < 0)
		return VA_E_INVAL;
	o = json_object();
	if (put(o, "type", json_string("play")) || put(o, "source", jstr(source)) ||
	    put(o, "loop", json_integer(loop)) ||
	    put(o, "preemptible", json_boolean(preemptible)) ||
	    put(o, "interruptible", json_boolean(interruptible))) {
		json_decref(o);
		return VA_E_NOMEM;
	}
	return append_json(out, o);
}

int va_relay_write_language(struct va_buf *out, const char *tts_language,
			    const char *transcription_language)
{
	json_t *o;

	if (!tts_language && !transcription_language)
		return VA_E_INVAL;
	o = json_object();
	if (put(o, "type", json_string("language")) ||
	    (tts_language && put(o, "ttsLanguage", jstr(tts_language))) ||
	    (transcription_language &&
	     put(o, "transcriptionLanguage", jstr(transcription_language)))) {
		json_decref(o);
		return VA_E_NOMEM;
	}
	return append_json(out, o);
}

/* ---- outbound parsing (caller simulator) ------------------------------ */

static const struct {
	const char *name;
	enum va_relay_out_type type;
	const char *text_key; /* member that goes to va_relay_out.text */
	bool text_required;
} out_types[] = {
    {"text", VA_RELAY_OUT_TEXT, "token", true},
    {"end", VA_RELAY_OUT_END, "handoffData", false},
    {"sendDigits", VA_RELAY_OUT_SEND_DIGITS, "digits", true},
    {"play", VA_RELAY_OUT_PLAY, "source", true},
    {"language", VA_RELAY_OUT_LANGUAGE, NULL, false},
};

int va_relay_parse_out(const char *data, size_t len, struct va_relay_out *out)
{
	json_t *root = NULL, *type, *v;
	const char *lang_key = NULL;
	size_t i, n;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = load_object(data, len, &root, &type, NULL, 0);
	if (rc)
		goto out;
	out->type = VA_RELAY_OUT_UNKNOWN;
	for (i = 0; i < sizeof(out_types) / sizeof(out_types[0]); i++) {
		if (strcmp(json_string_value(type), out_types[i].name) == 0)
			break;
	}
	if (i == sizeof(out_types) / sizeof(out_types[0]))
		goto out;
	out->type = out_types[i].type;
	if (out->type == VA_RELAY_OUT_TEXT)
		lang_key = "lang";
	else if (out->type == VA_RELAY_OUT_LANGUAGE)
		lang_key = "ttsLanguage";
	if (lang_key) {
		rc = get_opt_str(root, "", lang_key, out->lang, sizeof(out->lang), NULL, 0);
		if (rc)
			goto out;
	}
	/* text.last defaults to false on this side of the protocol (§1.9.1) */
	out->last = json_is_true(json_object_get(root, "last"));
	if (out_types[i].text_key) {
		v = json_object_get(root, out_types[i].text_key);
		if (json_is_string(v)) {
			n = json_string_length(v);
			out->text = va_xstrndup(json_string_value(v), n);
		} else if (out_types[i].text_required) {
			rc = VA_E_INVAL;
			goto out;
		}
	}
out:
	json_decref(root);
	if (rc)
		va_relay_out_release(out);
	return rc;
}

void va_relay_out_release(struct va_relay_out *m)
{
	if (!m)
		return;
	free(m->text);
	m->text = NULL;
}

/* ---- writers of Twilio's side (caller simulator) ---------------------- */

int va_relay_write_setup(struct va_buf *out, const struct va_relay_setup *s)
{
	json_t *o, *params;
	const struct setup_field *f;
	size_t i;

	if (!s)
		return VA_E_INVAL;
	o = json_object();
	if (put(o, "type", json_string("setup")))
		goto fail;
	for (i = 0; i < sizeof(setup_fields) / sizeof(setup_fields[0]); i++) {
		f = &setup_fields[i];
		/* strnlen: a caller's unterminated array must not be over-read */
		if (put(o, f->key,
			jstrn((const char *)s + f->off,
			      strnlen((const char *)s + f->off, f->size))))
			goto fail;
	}
	params = json_object();
	if (put(o, "customParameters", params))
		goto fail;
	for (i = 0; i < s->n_params && i < VA_RELAY_MAX_PARAMS; i++) {
		const struct va_relay_param *p = &s->params[i];
		char *key;
		int bad;

		/* object keys must be valid UTF-8 too */
		va_relay_utf8_sanitize(p->name, strnlen(p->name, sizeof(p->name)), &key);
		bad = put(params, key, jstrn(p->value, strnlen(p->value, sizeof(p->value))));
		free(key);
		if (bad)
			goto fail;
	}
	return append_json(out, o);
fail:
	json_decref(o);
	return VA_E_NOMEM;
}

int va_relay_write_prompt(struct va_buf *out, const char *text, bool last, const char *lang)
{
	json_t *o;

	if (!text)
		return VA_E_INVAL;
	o = json_object();
	if (put(o, "type", json_string("prompt")) || put(o, "voicePrompt", jstr(text)) ||
	    put(o, "lang", jstr(lang ? lang : "en-US")) || put(o, "last", json_boolean(last))) {
		json_decref(o);
		return VA_E_NOMEM;
	}
	return append_json(out, o);
}

int va_relay_write_interrupt(struct va_buf *out, const char *heard, long duration_ms)
{
	json_t *o = json_object();

	if (put(o, "type", json_string("interrupt")) ||
	    put(o, "utteranceUntilInterrupt", jstr(heard)) ||
	    (duration_ms >= 0 &&
	     put(o, "durationUntilInterruptMs", json_integer((json_int_t)duration_ms)))) {
		json_decref(o);
		return VA_E_NOMEM;
	}
	return append_json(out, o);
}

int va_relay_write_dtmf(struct va_buf *out, char digit)
{
	char s[2] = {digit, '\0'};
	json_t *o;

	if (!is_dtmf_digit(digit))
		return VA_E_INVAL;
	o = json_object();
	if (put(o, "type", json_string("dtmf")) || put(o, "digit", json_string(s))) {
		json_decref(o);
		return VA_E_NOMEM;
	}
	return append_json(out, o);
}
