/* SPDX-License-Identifier: MIT */
/*
 * fuzz_router.c - feeds arbitrary bytes (NULs included) as a request path to
 * the router and checks what every handler relies on: ids are terminated,
 * short, and drawn only from [A-Za-z0-9_-], and a miss carries no ids.
 */
#include "http/router.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_id(const char *id, int required)
{
	const char *end = memchr(id, '\0', VA_ROUTE_ID_MAX);
	size_t n;

	if (!end)
		abort();
	n = (size_t)(end - id);
	if (required && n == 0)
		abort();
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct va_route_match m;
	/* An exact-size copy so ASan catches any read past len. */
	char *path = malloc(size ? size : 1);

	if (!path)
		return 0;
	if (size)
		memcpy(path, data, size);
	memset(&m, 0xa5, sizeof(m));
	va_route_match(path, size, &m);

	if ((unsigned)m.route > VA_ROUTE_VOICE_MEDIA)
		abort();
	check_id(m.tenant_id, 0);
	check_id(m.session_id, 0);
	check_id(m.item_id, 0);
	if (m.item_id[0] && m.route != VA_ROUTE_APPOINTMENT && m.route != VA_ROUTE_CALENDAR_ITEM)
		abort();
	switch (m.route) {
	case VA_ROUTE_NOT_FOUND:
	case VA_ROUTE_HEALTHZ:
	case VA_ROUTE_RELAY_STATUS:
	case VA_ROUTE_TENANTS:
		if (m.tenant_id[0] || m.session_id[0])
			abort();
		break;
	case VA_ROUTE_VOICE:
	case VA_ROUTE_VOICE_STREAM:
	case VA_ROUTE_VOICE_ACTION:
	case VA_ROUTE_VOICE_GATHER:
	case VA_ROUTE_VOICE_MEDIA:
	case VA_ROUTE_TENANT:
	case VA_ROUTE_APPOINTMENTS:
	case VA_ROUTE_APPOINTMENT:
	case VA_ROUTE_CALENDAR:
	case VA_ROUTE_CALENDAR_ITEM:
	case VA_ROUTE_CALENDAR_ICS:
		check_id(m.tenant_id, 1);
		if (m.route == VA_ROUTE_APPOINTMENT || m.route == VA_ROUTE_CALENDAR_ITEM) {
			check_id(m.item_id, 1);
			if (!memmem(path, size, m.item_id, strlen(m.item_id)))
				abort();
		}
		if (m.session_id[0])
			abort();
		/* The id is a segment of the path, found verbatim. */
		if (!memmem(path, size, m.tenant_id, strlen(m.tenant_id)))
			abort();
		break;
	case VA_ROUTE_CONVERSATION:
		check_id(m.session_id, 1);
		if (m.tenant_id[0])
			abort();
		if (!memmem(path, size, m.session_id, strlen(m.session_id)))
			abort();
		break;
	}
	/* A match needs a leading slash and never a NUL inside the path. */
	if (m.route != VA_ROUTE_NOT_FOUND && (size == 0 || path[0] != '/' || memchr(path, 0, size)))
		abort();
	if ((unsigned)m.route <= VA_ROUTE_TENANT && !va_route_name(m.route)[0])
		abort();
	free(path);
	return 0;
}
