/* SPDX-License-Identifier: MIT */
/*
 * appointment.c - the names of appointment statuses, as stored and as the
 * API shows them. One table (VA_APPT_STATUS_MAP) drives both directions.
 */
#include "schedule/appointment.h"
#include "core/err.h"

#include <string.h>

static const char *const status_names[VA_APPT__COUNT] = {
#define VA__APPT_NAME(id, name) [VA_APPT_##id] = name,
    VA_APPT_STATUS_MAP(VA__APPT_NAME)
#undef VA__APPT_NAME
};

const char *va_appt_status_name(enum va_appt_status s)
{
	if ((int)s < 0 || s >= VA_APPT__COUNT)
		return "unknown";
	return status_names[s];
}

int va_appt_status_parse(const char *name, enum va_appt_status *out)
{
	int i;

	if (!name)
		return VA_E_INVAL;
	for (i = 0; i < VA_APPT__COUNT; i++) {
		if (strcmp(name, status_names[i]) == 0) {
			*out = (enum va_appt_status)i;
			return VA_OK;
		}
	}
	return VA_E_INVAL;
}
