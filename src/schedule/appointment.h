/* SPDX-License-Identifier: MIT */
/*
 * appointment.h - an appointment in a practice's schedule, and a patient as
 * the practice knows them (by phone number, then name and date of birth).
 * Plain data; persisted by the store (store.h), checked by the scheduler.
 */
#ifndef VA_SCHEDULE_APPOINTMENT_H
#define VA_SCHEDULE_APPOINTMENT_H

#include "schedule/service.h"

#include <stdbool.h>
#include <stdint.h>

#define VA_APPT_STATUS_MAP(X)                                                                      \
	X(BOOKED, "booked")                                                                        \
	X(CANCELLED, "cancelled")                                                                  \
	X(RESCHEDULED, "rescheduled")                                                              \
	X(COMPLETED, "completed")                                                                  \
	X(NO_SHOW, "no-show")

enum va_appt_status {
#define VA__APPT_ENUM(id, name) VA_APPT_##id,
	VA_APPT_STATUS_MAP(VA__APPT_ENUM)
#undef VA__APPT_ENUM
	    VA_APPT__COUNT
};

struct va_appointment {
	char id[40]; /* "apt_" + 24 hex, assigned by the store when empty */
	char tenant_id[64];
	char patient_name[96];
	char phone[24]; /* digits */
	char dob[11];	/* "YYYY-MM-DD" or "" */
	bool new_patient;
	enum va_service_kind service;
	char provider_id[32];
	int64_t start, end; /* epoch seconds */
	enum va_appt_status status;
	bool urgent;
	char notes[512];     /* reason, insurance carrier, triage answers */
	char session_id[64]; /* the call that made it ("" for the API) */
	int64_t created_ms, updated_ms;
	int version;	     /* 1 when booked, +1 on every change (SEQUENCE = version - 1) */
	char changed_by[56]; /* who made the last change: VA_APPT_BY_VOICEAI (a call or the
			      * API) or "calendar:<calendar id>" (staff, in their calendar) */
};

#define VA_APPT_BY_VOICEAI "voiceai"

const char *va_appt_status_name(enum va_appt_status s);
/* VA_E_INVAL for an unknown name. */
int va_appt_status_parse(const char *name, enum va_appt_status *out);

#endif
