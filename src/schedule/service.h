/* SPDX-License-Identifier: MIT */
/*
 * service.h - the kinds of visit a dental practice books, and the kinds of
 * provider they need. Shared by caller understanding (which maps everyday
 * words to a kind) and the scheduler (which knows each kind's duration).
 */
#ifndef VA_SCHEDULE_SERVICE_H
#define VA_SCHEDULE_SERVICE_H

#define VA_SERVICE_MAP(X)                                                                          \
	X(CLEANING, "cleaning", "a cleaning and checkup")                                          \
	X(EXAM, "exam", "an exam")                                                                 \
	X(NEW_PATIENT_EXAM, "new_patient_exam", "a new-patient exam")                              \
	X(FILLING, "filling", "a filling")                                                         \
	X(CROWN, "crown", "a crown appointment")                                                   \
	X(ROOT_CANAL, "root_canal", "a root canal")                                                \
	X(EXTRACTION, "extraction", "an extraction")                                               \
	X(EMERGENCY, "emergency", "an emergency visit")                                            \
	X(WHITENING, "whitening", "a whitening appointment")                                       \
	X(CONSULTATION, "consultation", "a consultation")                                          \
	X(CHILD_VISIT, "child_visit", "a children's visit")

enum va_service_kind {
	VA_SERVICE_NONE = 0,
#define VA__SERVICE_ENUM(id, code, spoken) VA_SERVICE_##id,
	VA_SERVICE_MAP(VA__SERVICE_ENUM)
#undef VA__SERVICE_ENUM
	VA_SERVICE__COUNT
};

enum va_provider_kind {
	VA_PROVIDER_DENTIST = 0,
	VA_PROVIDER_HYGIENIST = 1,
};

/* "cleaning" etc.; "" for NONE. */
const char *va_service_code(enum va_service_kind k);
/* How the receptionist says it: "a cleaning and checkup". */
const char *va_service_spoken(enum va_service_kind k);
/* VA_SERVICE_NONE for an unknown code. */
enum va_service_kind va_service_from_code(const char *code);
const char *va_provider_kind_name(enum va_provider_kind k);

#endif
