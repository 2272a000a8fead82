/* SPDX-License-Identifier: MIT */
/*
 * service.c - names of the visit kinds and provider kinds of service.h, all
 * generated from its X-macro table so codes, spoken forms and the enum never
 * drift apart.
 */
#include "schedule/service.h"

#include <string.h>

static const char *const codes[VA_SERVICE__COUNT] = {[VA_SERVICE_NONE] = "",
#define VA__SERVICE_CODE(id, code, spoken) [VA_SERVICE_##id] = code,
						     VA_SERVICE_MAP(VA__SERVICE_CODE)
#undef VA__SERVICE_CODE
};

static const char *const spoken[VA_SERVICE__COUNT] = {[VA_SERVICE_NONE] = "",
#define VA__SERVICE_SPOKEN(id, code, said) [VA_SERVICE_##id] = said,
						      VA_SERVICE_MAP(VA__SERVICE_SPOKEN)
#undef VA__SERVICE_SPOKEN
};

const char *va_service_code(enum va_service_kind k)
{
	if ((int)k < 0 || k >= VA_SERVICE__COUNT)
		return "";
	return codes[k];
}

const char *va_service_spoken(enum va_service_kind k)
{
	if ((int)k < 0 || k >= VA_SERVICE__COUNT)
		return "";
	return spoken[k];
}

enum va_service_kind va_service_from_code(const char *code)
{
	if (!code || !*code)
		return VA_SERVICE_NONE;
	for (int k = VA_SERVICE_NONE + 1; k < VA_SERVICE__COUNT; k++) {
		if (!strcmp(code, codes[k]))
			return (enum va_service_kind)k;
	}
	return VA_SERVICE_NONE;
}

const char *va_provider_kind_name(enum va_provider_kind k)
{
	switch (k) {
	case VA_PROVIDER_DENTIST:
		return "dentist";
	case VA_PROVIDER_HYGIENIST:
		return "hygienist";
	}
	return "unknown";
}
