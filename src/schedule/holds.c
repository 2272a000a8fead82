/* SPDX-License-Identifier: MIT */
/*
 * holds.c - soft holds on offered slots, so two callers are not offered the
 * same time. A plain array scanned per call: a server holds a few slots per
 * call on the line (hundreds at most), and every operation already touches
 * each hold once to drop the expired ones, so an index would buy nothing.
 * Not thread-safe: owned by the thread that runs the agents.
 */
#include "schedule/slots.h"
#include "core/alloc.h"
#include "core/err.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct hold {
	char *tenant_id; /* owned copies: the call that made the hold may end first */
	char *owner;
	struct va_slot slot;
	int64_t expires; /* live while now < expires */
};

/* Time the practice blocked in its own calendar, per (tenant, source): the
 * calendar sync replaces a source's whole list after each pull. */
struct blocks {
	char *tenant_id;
	char *source;
	struct va_busy *v;
	size_t n;
};

struct va_holds {
	struct hold *v;
	size_t n, cap;
	struct blocks *b;
	size_t nb;
};

struct va_holds *va_holds_new(void)
{
	return va_xcalloc(1, sizeof(struct va_holds));
}

static void hold_release(struct hold *h)
{
	free(h->tenant_id);
	free(h->owner);
}

void va_holds_free(struct va_holds *h)
{
	size_t i;

	if (!h)
		return;
	for (i = 0; i < h->n; i++)
		hold_release(&h->v[i]);
	free(h->v);
	for (i = 0; i < h->nb; i++) {
		free(h->b[i].tenant_id);
		free(h->b[i].source);
		free(h->b[i].v);
	}
	free(h->b);
	free(h);
}

/* Drops expired holds, and every hold of owner when owner is set; the others
 * keep their order. */
static void compact(struct va_holds *h, int64_t now, const char *owner)
{
	size_t i, j = 0;

	for (i = 0; i < h->n; i++) {
		struct hold *x = &h->v[i];

		if (now >= x->expires || (owner && strcmp(x->owner, owner) == 0)) {
			hold_release(x);
			continue;
		}
		h->v[j++] = *x;
	}
	h->n = j;
}

int va_holds_add(struct va_holds *h, const char *tenant_id, const char *owner,
		 const struct va_slot *slot, int64_t now, int seconds)
{
	struct hold *x;
	size_t i;

	if (!h || !tenant_id || !owner || !slot || seconds <= 0 || slot->end <= slot->start)
		return VA_E_INVAL;
	compact(h, now, NULL);
	for (i = 0; i < h->n; i++) {
		x = &h->v[i];
		/* Two calls may have computed their offers before either held
		 * them: the second one learns here, before it speaks. */
		if (strcmp(x->owner, owner) != 0 && strcmp(x->tenant_id, tenant_id) == 0 &&
		    strcmp(x->slot.provider_id, slot->provider_id) == 0 &&
		    x->slot.start < slot->end && slot->start < x->slot.end)
			return VA_E_EXISTS;
	}
	for (i = 0; i < h->n; i++) {
		x = &h->v[i];
		if (x->slot.start == slot->start && x->slot.end == slot->end &&
		    strcmp(x->slot.provider_id, slot->provider_id) == 0 &&
		    strcmp(x->owner, owner) == 0 && strcmp(x->tenant_id, tenant_id) == 0) {
			x->expires = now + seconds;
			return VA_OK;
		}
	}
	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 16;
		h->v = va_xrealloc(h->v, h->cap * sizeof(*h->v));
	}
	x = &h->v[h->n++];
	x->tenant_id = va_xstrdup(tenant_id);
	x->owner = va_xstrdup(owner);
	x->slot = *slot;
	x->slot.provider_id[sizeof(x->slot.provider_id) - 1] = '\0';
	x->expires = now + seconds;
	return VA_OK;
}

void va_holds_release(struct va_holds *h, const char *owner)
{
	if (!h || !owner)
		return;
	compact(h, INT64_MIN, owner);
}

size_t va_holds_count(struct va_holds *h, int64_t now)
{
	if (!h)
		return 0;
	compact(h, now, NULL);
	return h->n;
}

int va_holds_set_blocks(struct va_holds *h, const char *tenant_id, const char *source,
			const struct va_busy *v, size_t n)
{
	struct blocks *x = NULL;
	size_t i;

	if (!h || !tenant_id || !source || (!v && n))
		return VA_E_INVAL;
	for (i = 0; i < h->nb; i++)
		if (strcmp(h->b[i].tenant_id, tenant_id) == 0 &&
		    strcmp(h->b[i].source, source) == 0)
			x = &h->b[i];
	if (!x) {
		if (n == 0)
			return VA_OK;
		h->b = va_xrealloc(h->b, (h->nb + 1) * sizeof(*h->b));
		x = &h->b[h->nb++];
		x->tenant_id = va_xstrdup(tenant_id);
		x->source = va_xstrdup(source);
		x->v = NULL;
		x->n = 0;
	}
	free(x->v);
	x->v = NULL;
	x->n = 0;
	if (n) {
		x->v = va_xmalloc(n * sizeof(*v));
		memcpy(x->v, v, n * sizeof(*v));
		for (i = 0; i < n; i++)
			x->v[i].provider_id[sizeof(x->v[i].provider_id) - 1] = '\0';
		x->n = n;
	}
	return VA_OK;
}

size_t va_holds_blocks(const struct va_holds *h, const char *tenant_id)
{
	size_t i, k = 0;

	for (i = 0; h && tenant_id && i < h->nb; i++)
		if (strcmp(h->b[i].tenant_id, tenant_id) == 0)
			k += h->b[i].n;
	return k;
}

int va_holds_busy(struct va_holds *h, const char *tenant_id, const char *owner, int64_t now,
		  struct va_busy **busy, size_t *n_busy)
{
	size_t i, k = 0, n;
	struct va_busy *b;

	if (!h || !tenant_id || !busy || !n_busy)
		return VA_E_INVAL;
	compact(h, now, NULL);
	for (i = 0; i < h->n; i++) {
		if (strcmp(h->v[i].tenant_id, tenant_id) == 0 &&
		    (!owner || strcmp(h->v[i].owner, owner) != 0))
			k++;
	}
	k += va_holds_blocks(h, tenant_id);
	if (k == 0)
		return VA_OK;
	n = *n_busy;
	b = va_xrealloc(*busy, (n + k) * sizeof(*b));
	for (i = 0; i < h->n; i++) {
		const struct hold *x = &h->v[i];

		if (strcmp(x->tenant_id, tenant_id) != 0 || (owner && strcmp(x->owner, owner) == 0))
			continue;
		memset(&b[n], 0, sizeof(b[n]));
		memcpy(b[n].provider_id, x->slot.provider_id, sizeof(b[n].provider_id));
		b[n].start = x->slot.start;
		b[n].end = x->slot.end;
		n++;
	}
	for (i = 0; i < h->nb; i++) {
		if (strcmp(h->b[i].tenant_id, tenant_id) != 0 || !h->b[i].n)
			continue;
		memcpy(&b[n], h->b[i].v, h->b[i].n * sizeof(*b));
		n += h->b[i].n;
	}
	*busy = b;
	*n_busy = n;
	return VA_OK;
}
