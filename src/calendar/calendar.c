/* SPDX-License-Identifier: MIT */
/* calendar.c - names of the calendar enums (calendar.h). */
#include "calendar/calendar.h"
#include "core/err.h"

#include <string.h>

static const char *const auth_names[] = {
    [VA_CAL_AUTH_BASIC] = "basic",
    [VA_CAL_AUTH_BEARER] = "bearer",
    [VA_CAL_AUTH_NONE] = "none",
};

const char *va_cal_auth_name(enum va_cal_auth a)
{
	if ((int)a < 0 || (size_t)a >= sizeof(auth_names) / sizeof(auth_names[0]))
		return "basic";
	return auth_names[a];
}

int va_cal_auth_parse(const char *name, enum va_cal_auth *out)
{
	size_t i;

	for (i = 0; name && i < sizeof(auth_names) / sizeof(auth_names[0]); i++) {
		if (strcmp(name, auth_names[i]) == 0) {
			*out = (enum va_cal_auth)i;
			return VA_OK;
		}
	}
	return VA_E_INVAL;
}
