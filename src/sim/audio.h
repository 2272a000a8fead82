/* SPDX-License-Identifier: MIT */
/*
 * audio.h - the simulator's raw-audio call (`voiceai call --audio FILE.ul`):
 * Twilio's part of a Media Streams call, with a mu-law recording as the
 * caller's voice.
 */
#ifndef VA_SIM_AUDIO_H
#define VA_SIM_AUDIO_H

#include <stdbool.h>

struct va_sim_audio_opts {
	const char *base_url;	/* where the server is */
	const char *public_url; /* what Twilio signs (usually base_url) */
	const char *fwd;	/* X-Forwarded-* lines or NULL */
	const char *tenant;
	const char *token; /* the practice's Twilio auth token */
	const char *from, *to;
	const char *audio; /* headerless 8 kHz mu-law, the caller's voice */
	const char *out;   /* where the reply audio is written (NULL: nowhere) */
	int timeout_ms;
	bool quiet;
};

/* Exit codes of the command. */
#define VA_SIM_AUDIO_NO_REPLY  1
#define VA_SIM_AUDIO_CONNECT   2
#define VA_SIM_AUDIO_NO_STREAM 3
#define VA_SIM_AUDIO_USAGE     64

int va_sim_audio_call(const struct va_sim_audio_opts *o);

#endif
