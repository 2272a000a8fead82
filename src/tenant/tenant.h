/* SPDX-License-Identifier: MIT */
/*
 * tenant.h - a practice (tenant): identity, secrets and ConversationRelay
 * settings. Plain data with fixed-size fields, so a tenant can be copied by
 * value between the loop and the storage thread without ownership questions.
 *
 * Secrets (twilio_auth_token, api_key) never leave the process: serializers
 * mask them (va_tenant_mask_secret) and loggers never print them.
 */
#ifndef VA_TENANT_TENANT_H
#define VA_TENANT_TENANT_H

#include "audio/settings.h"
#include "schedule/practice.h"

#include <stdbool.h>
#include <stddef.h>

#define VA_TENANT_ID_MAX 64

/* How a practice tunes end-of-speech detection and barge-in for its line.
 * A preset fills speech_timeout and interrupt_sensitivity; either may then be
 * overridden one by one. */
enum va_line_preset {
	VA_PRESET_STANDARD = 0, /* speechTimeout auto, interruptSensitivity medium */
	VA_PRESET_QUIET,	/* quick turn-taking: 700 ms, high sensitivity */
	VA_PRESET_NOISY,	/* a noisy line: 1500 ms, low sensitivity */
	VA_PRESET_PATIENT,	/* elderly or hesitant callers: 2500 ms, medium */
	VA_PRESET__COUNT
};

struct va_relay_settings {
	char language[24];		   /* BCP-47, e.g. en-US */
	char tts_provider[16];		   /* Google | Amazon | ElevenLabs */
	char voice[64];			   /* provider voice id */
	char transcription_provider[16];   /* Google | Deepgram */
	char speech_model[40];		   /* e.g. nova-3-general; "" = provider default */
	char interruptible[8];		   /* none | dtmf | speech | any */
	char interrupt_sensitivity[8];	   /* low | medium | high */
	char speech_timeout[8];		   /* "auto" or 600..5000 (ms) */
	char report_input_during_agent[8]; /* none | dtmf | speech | any */
	char welcome_interruptible[8];	   /* none | dtmf | speech | any */
	char hints[256];		   /* comma-separated words for STT */
	bool dtmf_detection;
	bool preemptible;
	bool partial_prompts;
	bool application_reconnect; /* Twilio's opt-in socket reconnect */
	enum va_line_preset preset;
};

/* A language model for this practice (overrides the server's environment).
 * base_url "" = the server's setting. The key: api_key (a secret, stored and
 * masked like the others) or the environment variable named api_key_env. */
struct va_tenant_llm {
	char base_url[256];
	char model[96];
	char api_key[256];
	char api_key_env[64];
	double temperature; /* < 0: the server's */
	int first_token_ms; /* 0: the server's */
	int timeout_ms;	    /* 0: the server's */
};

/* How calls reach the practice: ConversationRelay (Twilio does speech to
 * text and text to speech), or the raw call audio (Media Streams) bridged to
 * a speech-to-speech model with our own voice-activity detection. */
enum va_transport { VA_TRANSPORT_RELAY = 0, VA_TRANSPORT_AUDIO = 1 };

enum va_turn_detection {
	VA_TURN_DETECT_LOCAL = 0, /* our detector decides when the caller is done */
	VA_TURN_DETECT_SERVER_VAD,
	VA_TURN_DETECT_SEMANTIC_VAD,
};

struct va_tenant_audio {
	enum va_transport transport;
	enum va_audio_preset preset;	   /* the starting point of settings */
	struct va_audio_settings settings; /* the preset, with explicit overrides */
	enum va_turn_detection turn;
	char model[64]; /* Realtime model; "" = gpt-realtime */
	char voice[32]; /* "" = the model's */
};

struct va_tenant {
	char id[VA_TENANT_ID_MAX];    /* [A-Za-z0-9_-]{1,63} */
	char name[128];		      /* practice name */
	char timezone[64];	      /* IANA, e.g. America/New_York */
	char twilio_auth_token[128];  /* secret: signs Twilio's requests */
	char api_key[128];	      /* secret: the practice's API key */
	char front_desk_number[32];   /* E.164, for transfers */
	char greeting[512];	      /* welcomeGreeting */
	char connecting_message[256]; /* optional <Say> before <Connect>; "" = off */
	struct va_relay_settings relay;
	struct va_practice practice;  /* hours, providers, services, plans */
	struct va_tenant_llm llm;     /* optional language model settings */
	struct va_tenant_audio audio; /* transport and raw-audio settings */
};

/* Fills t with the defaults every new tenant starts from (id left empty). */
void va_tenant_defaults(struct va_tenant *t);
/* The demo practice created on first run: demo123, "Bright Smile Dental". */
void va_tenant_demo(struct va_tenant *t);

/* Applies a preset to t->relay (speech_timeout, interrupt_sensitivity). */
void va_tenant_apply_preset(struct va_relay_settings *r, enum va_line_preset p);
const char *va_preset_name(enum va_line_preset p);
/* VA_E_INVAL for an unknown name. */
int va_preset_parse(const char *name, enum va_line_preset *out);

/* Checks every field against what Twilio accepts; on failure writes the
 * offending field's name and the reason into why and returns VA_E_INVAL. */
int va_tenant_validate(const struct va_tenant *t, char *why, size_t whysz);
bool va_tenant_id_valid(const char *id);

/* Writes a masked form of a secret ("••••abcd" style: "****" + last 4) into dst. */
void va_tenant_mask_secret(const char *secret, char *dst, size_t dstsz);

/* Constant-time comparison of two NUL-terminated secrets. */
bool va_secret_equal(const char *a, const char *b);

#endif
