/* SPDX-License-Identifier: MIT */
/*
 * main.c - the voiceai binary: one executable, one subcommand per job.
 */
#include "agent/agent.h"
#include "agent/llm_agent.h"
#include "agent/receptionist.h"
#include "app/commands.h"
#include "app/server.h"
#include "sim/sim.h"

#include <stdio.h>
#include <string.h>

/* The first is the default: the language model when one is configured, else
 * the embedded receptionist. `--agent receptionist` or `--agent echo` pick. */
static const struct va_agent_factory *const agents[] = {
    &va_agent_llm_factory,
    &va_agent_receptionist_factory,
    &va_agent_echo_factory,
    NULL,
};

static void usage(FILE *out)
{
	fprintf(out, "usage: voiceai COMMAND [options]   (voiceai COMMAND --help for more)\n\n"
		     "commands:\n"
		     "  serve    run the server (Twilio webhooks, ConversationRelay, API)\n"
		     "  call     simulate a phone call against a server, as Twilio would\n"
		     "  bench    open many concurrent simulated calls and measure latency\n"
		     "  tenant   add, list or show practices\n"
		     "  appointments  list a practice's appointments\n"
		     "  when     show how a date/time phrase is understood\n"
		     "  understand    show what the receptionist understands in an utterance\n"
		     "  calendar connect, show or sync a practice's calendars\n"
		     "  vad-eval score voice-activity and end-of-turn detection on a corpus\n"
		     "  version  print the version\n");
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd || !strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		usage(stdout);
		return cmd ? 0 : 2;
	}
	if (!strcmp(cmd, "serve"))
		return va_server_main(argc - 1, argv + 1, agents);
	if (!strcmp(cmd, "call"))
		return va_cmd_call(argc - 1, argv + 1);
	if (!strcmp(cmd, "bench"))
		return va_cmd_bench(argc - 1, argv + 1);
	if (!strcmp(cmd, "tenant"))
		return va_cmd_tenant(argc - 1, argv + 1);
	if (!strcmp(cmd, "appointments"))
		return va_cmd_appointments(argc - 1, argv + 1);
	if (!strcmp(cmd, "when"))
		return va_cmd_when(argc - 1, argv + 1);
	if (!strcmp(cmd, "understand"))
		return va_cmd_understand(argc - 1, argv + 1);
	if (!strcmp(cmd, "calendar"))
		return va_cmd_calendar(argc - 1, argv + 1);
	if (!strcmp(cmd, "vad-eval"))
		return va_cmd_vad_eval(argc - 1, argv + 1);
	if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
		printf("voiceai %s\n", VOICEAI_VERSION);
		return 0;
	}
	fprintf(stderr, "voiceai: unknown command '%s'\n", cmd);
	usage(stderr);
	return 2;
}
