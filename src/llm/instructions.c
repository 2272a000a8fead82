/* SPDX-License-Identifier: MIT */
/* instructions.c - the practice's instructions for a language model (instructions.h). */
#include "llm/instructions.h"

#include "schedule/practice.h"
#include "schedule/service.h"

#include <stdio.h>

void va_llm_instructions(const struct va_tenant *t, const struct va_tz *tz, int64_t when,
			 const char *caller, struct va_buf *b)
{
	const struct va_practice *p = &t->practice;
	static const char *const days[7] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
					    "Friday", "Saturday", "Sunday"};
	struct va_civil now;
	char iso[40];

	va_tz_to_civil(tz, when, &now);
	va_tz_iso8601(tz, when, iso, sizeof(iso));
	va_buf_appendf(
	    b,
	    "You are the friendly, efficient front-desk receptionist of %s, a dental "
	    "practice, answering the phone. Your words are spoken aloud by a voice: use "
	    "short, natural spoken sentences, one or two at a time; no lists, no "
	    "markdown, no emojis. Ask only for what is missing, one or two things at a "
	    "time. To book, you need the service, the caller's full name, whether they "
	    "are a new or existing patient, a phone number, and a time that suits. Only "
	    "offer times returned by check_availability (offer two or three, as in their "
	    "'spoken' form); never invent availability. Read the booking back and get a "
	    "clear yes before calling book_appointment. Never diagnose and never quote "
	    "what insurance will cover; note the carrier for the front desk. For severe "
	    "pain, swelling, a broken or knocked-out tooth, book the earliest urgent "
	    "slot (urgent=true). For trouble breathing or swallowing, swelling spreading "
	    "to the eye or neck, bleeding that will not stop, or a high fever, tell the "
	    "caller to call 911 or go to the emergency room now. If the caller wants a "
	    "person, call transfer_to_front_desk. After goodbye, call end_call.\n\n",
	    t->name);
	va_buf_appendf(b, "Now: %s, %s (time zone %s).\n", days[now.wday], iso, t->timezone);
	if (p->address[0])
		va_buf_appendf(b, "Address: %s.\n", p->address);
	va_buf_append_str(b, "Opening hours:");
	for (int d = 0; d < 7; d++) {
		if (p->hours[d].open_min < 0)
			va_buf_appendf(b, " %s closed;", days[d]);
		else
			va_buf_appendf(b, " %s %02d:%02d-%02d:%02d;", days[d],
				       p->hours[d].open_min / 60, p->hours[d].open_min % 60,
				       p->hours[d].close_min / 60, p->hours[d].close_min % 60);
	}
	va_buf_append_str(b, "\nServices (minutes):");
	for (size_t i = 0; i < p->n_services; i++)
		va_buf_appendf(b, " %s (%d);", va_service_code(p->services[i].kind),
			       p->services[i].duration_min);
	if (p->n_plans) {
		va_buf_append_str(b, "\nInsurance accepted:");
		for (size_t i = 0; i < p->n_plans; i++)
			va_buf_appendf(b, "%s %s", i ? "," : "", p->plans[i]);
	}
	va_buf_appendf(b, "\nThe caller's number: %s.\n",
		       caller && caller[0] ? caller : "withheld");
}
