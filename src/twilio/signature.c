/* SPDX-License-Identifier: MIT */
/*
 * signature.c - X-Twilio-Signature computation and validation.
 *
 * Twilio signs the URL as *it* wrote it, which is not always the URL we
 * reconstruct: voice callbacks over HTTPS drop the port, userinfo is always
 * dropped, WebSocket handshakes may be signed with a trailing slash or with
 * the query folded into parameters. So validation recomputes the HMAC for each
 * plausible form and accepts any match (protocols.md §1.7, §3). The parameter
 * order follows twilio-python: names in byte order, each name's distinct
 * values in byte order.
 */
#include "twilio/signature.h"

#include "core/alloc.h"
#include "core/err.h"
#include "http/form.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SIG_RAW_LEN 20 /* SHA-1 */
#define SIG_B64_LEN 28 /* 4 * ceil(20 / 3) */

/* Longest text a URL variant adds: ":443" and a '/'. */
#define URL_GROWTH 8

struct signer {
	EVP_MAC *mac;
	EVP_MAC_CTX *ctx;
	const char *key;
	size_t keylen;
};

enum port_mode {
	PORT_AS_GIVEN, /* keep whatever the URL says */
	PORT_OTHER,    /* drop an explicit port, or add the scheme's default */
};

/* Offsets into a URL, split the way the variants need it. */
struct url_parts {
	size_t len;
	int hierarchical;	  /* has "scheme://"; otherwise used verbatim */
	size_t host;		  /* after "scheme://" and any userinfo */
	size_t host_end;	  /* start of ":port", or path when there is none */
	size_t path;		  /* end of the authority */
	size_t query;		  /* the '?', or len */
	int has_port;		  /* host_end..path is ":digits" */
	const char *default_port; /* for the scheme, or NULL if unknown */
	size_t scheme_end;	  /* index just past "://" */
};

static int signer_init(struct signer *s, const char *key)
{
	s->key = key;
	s->keylen = strlen(key);
	s->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!s->mac)
		return VA_E_UNSUPPORTED;
	s->ctx = EVP_MAC_CTX_new(s->mac);
	if (!s->ctx)
		return VA_E_NOMEM;
	return VA_OK;
}

static void signer_release(struct signer *s)
{
	EVP_MAC_CTX_free(s->ctx);
	EVP_MAC_free(s->mac);
	s->ctx = NULL;
	s->mac = NULL;
}

static int kv_cmp(const void *a, const void *b)
{
	const struct va_kv *x = *(const struct va_kv *const *)a;
	const struct va_kv *y = *(const struct va_kv *const *)b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->value, y->value);
}

/* Caller owns *out (free()); NULL names or values are VA_E_INVAL. */
static int sort_params(const struct va_kv *params, size_t n, const struct va_kv ***out)
{
	const struct va_kv **v;
	size_t i;

	*out = NULL;
	if (n && !params)
		return VA_E_INVAL;
	if (n > SIZE_MAX / sizeof(*v))
		return VA_E_TOOBIG;
	for (i = 0; i < n; i++) {
		if (!params[i].name || !params[i].value)
			return VA_E_INVAL;
	}
	v = va_xmalloc(n * sizeof(*v));
	for (i = 0; i < n; i++)
		v[i] = &params[i];
	if (n > 1)
		qsort(v, n, sizeof(*v), kv_cmp);
	*out = v;
	return VA_OK;
}

/* HMAC-SHA1 of url followed by the sorted params, Base64 into out (29 bytes). */
static int signer_run(struct signer *s, const char *url, size_t url_len,
		      const struct va_kv *const *sorted, size_t n, char *out)
{
	char digest[] = "SHA1";
	OSSL_PARAM mp[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
	    OSSL_PARAM_construct_end(),
	};
	unsigned char raw[EVP_MAX_MD_SIZE];
	size_t rawlen = 0, i;

	if (!EVP_MAC_init(s->ctx, (const unsigned char *)s->key, s->keylen, mp))
		return VA_E_UNSUPPORTED;
	if (!EVP_MAC_update(s->ctx, (const unsigned char *)url, url_len))
		return VA_E_UNSUPPORTED;
	for (i = 0; i < n; i++) {
		const struct va_kv *kv = sorted[i];

		/* Both SDKs append a repeated value only once. */
		if (i > 0 && kv_cmp(&sorted[i - 1], &sorted[i]) == 0)
			continue;
		if (!EVP_MAC_update(s->ctx, (const unsigned char *)kv->name, strlen(kv->name)) ||
		    !EVP_MAC_update(s->ctx, (const unsigned char *)kv->value, strlen(kv->value)))
			return VA_E_UNSUPPORTED;
	}
	if (!EVP_MAC_final(s->ctx, raw, &rawlen, sizeof(raw)) || rawlen != SIG_RAW_LEN)
		return VA_E_UNSUPPORTED;
	EVP_EncodeBlock((unsigned char *)out, raw, (int)rawlen);
	return VA_OK;
}

int va_twilio_sign(const char *auth_token, const char *url, const struct va_kv *params,
		   size_t n_params, char *out, size_t outsz)
{
	struct signer s = {0};
	const struct va_kv **sorted = NULL;
	int rc;

	if (!auth_token || !*auth_token || !url || !out)
		return VA_E_INVAL;
	if (outsz < SIG_B64_LEN + 1)
		return VA_E_TOOBIG;
	rc = sort_params(params, n_params, &sorted);
	if (rc < 0)
		goto out;
	rc = signer_init(&s, auth_token);
	if (rc < 0)
		goto out;
	rc = signer_run(&s, url, strlen(url), (const struct va_kv *const *)sorted, n_params, out);
out:
	signer_release(&s);
	free(sorted);
	return rc;
}

static int is_scheme_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '-' || c == '.';
}

static void url_split(const char *url, struct url_parts *u)
{
	const char *sep = strstr(url, "://");
	size_t i, scheme_len;

	memset(u, 0, sizeof(*u));
	u->len = strlen(url);
	u->query = strcspn(url, "?");
	if (!sep || sep == url)
		return;
	scheme_len = (size_t)(sep - url);
	for (i = 0; i < scheme_len; i++) {
		if (!is_scheme_char(url[i]))
			return;
	}
	u->hierarchical = 1;
	u->scheme_end = scheme_len + 3;
	if ((scheme_len == 5 && strncasecmp(url, "https", 5) == 0) ||
	    (scheme_len == 3 && strncasecmp(url, "wss", 3) == 0))
		u->default_port = "443";
	else if ((scheme_len == 4 && strncasecmp(url, "http", 4) == 0) ||
		 (scheme_len == 2 && strncasecmp(url, "ws", 2) == 0))
		u->default_port = "80";

	u->path = u->scheme_end + strcspn(url + u->scheme_end, "/?#");
	u->host = u->scheme_end;
	for (i = u->scheme_end; i < u->path; i++) {
		if (url[i] == '@')
			u->host = i + 1;
	}
	u->host_end = u->path;
	if (url[u->host] == '[') {
		/* IPv6 literal: its colons are not a port separator. */
		const char *rb = memchr(url + u->host, ']', u->path - u->host);

		if (rb && (size_t)(rb - url) + 1 < u->path && rb[1] == ':')
			u->host_end = (size_t)(rb - url) + 1;
	} else {
		for (i = u->path; i > u->host; i--) {
			if (url[i - 1] == ':') {
				u->host_end = i - 1;
				break;
			}
		}
	}
	if (u->host_end == u->path)
		return;
	for (i = u->host_end + 1; i < u->path; i++) {
		if (url[i] < '0' || url[i] > '9') {
			u->host_end = u->path;
			return;
		}
	}
	u->has_port = 1;
}

static size_t put(char *dst, size_t o, const char *src, size_t n)
{
	memcpy(dst + o, src, n);
	return o + n;
}

/*
 * Writes one variant of url into dst (u->len + URL_GROWTH bytes) and its
 * length into *outlen; returns 0 when the variant would repeat another one.
 * An empty URL is a valid (if useless) variant, hence the separate length.
 */
static int url_variant(char *dst, size_t *outlen, const char *url, const struct url_parts *u,
		       enum port_mode pm, int add_slash, int keep_query)
{
	size_t o = 0;

	if (!u->hierarchical) {
		if (pm != PORT_AS_GIVEN || add_slash)
			return 0;
		o = put(dst, o, url, keep_query ? u->len : u->query);
		dst[o] = '\0';
		*outlen = o;
		return 1;
	}
	if (pm == PORT_OTHER && !u->has_port && !u->default_port)
		return 0;
	if (add_slash && u->query > u->path && url[u->query - 1] == '/')
		return 0;

	o = put(dst, o, url, u->scheme_end);
	o = put(dst, o, url + u->host, u->host_end - u->host);
	if (pm == PORT_AS_GIVEN) {
		o = put(dst, o, url + u->host_end, u->path - u->host_end);
	} else if (!u->has_port) {
		o = put(dst, o, ":", 1);
		o = put(dst, o, u->default_port, strlen(u->default_port));
	}
	o = put(dst, o, url + u->path, u->query - u->path);
	if (add_slash)
		o = put(dst, o, "/", 1);
	if (keep_query)
		o = put(dst, o, url + u->query, u->len - u->query);
	dst[o] = '\0';
	*outlen = o;
	return 1;
}

static int sig_equal(const char *computed, const char *signature)
{
	/* Length is not secret; the caller already checked it is SIG_B64_LEN. */
	return CRYPTO_memcmp(computed, signature, SIG_B64_LEN) == 0;
}

/* Tries every port (and, if slashes, trailing-slash) variant of url. */
static int try_variants(struct signer *s, const char *url, const struct url_parts *u,
			const struct va_kv *const *sorted, size_t n, const char *signature,
			int slashes, int keep_query, char *scratch)
{
	char b64[SIG_B64_LEN + 1];
	int slash, pm;

	for (slash = 0; slash <= slashes; slash++) {
		for (pm = PORT_AS_GIVEN; pm <= PORT_OTHER; pm++) {
			size_t len;

			if (!url_variant(scratch, &len, url, u, (enum port_mode)pm, slash,
					 keep_query))
				continue;
			if (signer_run(s, scratch, len, sorted, n, b64) < 0)
				return 0;
			if (sig_equal(b64, signature))
				return 1;
		}
	}
	return 0;
}

static int usable_inputs(const char *auth_token, const char *url, const char *signature)
{
	if (!auth_token || !*auth_token || !url || !signature)
		return 0;
	return strnlen(signature, SIG_B64_LEN + 1) == SIG_B64_LEN;
}

bool va_twilio_validate(const char *auth_token, const char *url, const struct va_kv *params,
			size_t n_params, const char *signature)
{
	struct signer s = {0};
	struct url_parts u;
	const struct va_kv **sorted = NULL;
	char *scratch = NULL;
	int ok = 0;

	if (!usable_inputs(auth_token, url, signature))
		return false;
	if (sort_params(params, n_params, &sorted) < 0)
		goto out;
	if (signer_init(&s, auth_token) < 0)
		goto out;
	url_split(url, &u);
	scratch = va_xmalloc(u.len + URL_GROWTH);
	ok = try_variants(&s, url, &u, (const struct va_kv *const *)sorted, n_params, signature, 0,
			  1, scratch);
out:
	free(scratch);
	signer_release(&s);
	free(sorted);
	return ok;
}

bool va_twilio_validate_ws(const char *auth_token, const char *url, const char *signature)
{
	struct signer s = {0};
	struct url_parts u;
	struct va_form q = {0};
	const struct va_kv **sorted = NULL;
	char *scratch = NULL;
	int ok = 0;

	if (!usable_inputs(auth_token, url, signature))
		return false;
	if (signer_init(&s, auth_token) < 0)
		goto out;
	url_split(url, &u);
	scratch = va_xmalloc(u.len + URL_GROWTH);
	ok = try_variants(&s, url, &u, NULL, 0, signature, 1, 1, scratch);
	if (ok || u.query == u.len)
		goto out;

	/* TAC-python signs the query-less URL with the query pairs as params. */
	if (va_form_parse(&q, url + u.query + 1, u.len - u.query - 1) < 0)
		goto out;
	if (sort_params(q.pairs, q.n, &sorted) < 0)
		goto out;
	ok = try_variants(&s, url, &u, (const struct va_kv *const *)sorted, q.n, signature, 1, 0,
			  scratch);
out:
	va_form_release(&q);
	free(scratch);
	signer_release(&s);
	free(sorted);
	return ok;
}
