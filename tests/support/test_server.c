/* SPDX-License-Identifier: MIT */
/*
 * test_server.c - the real server with the scripted test agent first in the
 * list, so integration tests can drive every path of the call session.
 */
#include "agent/llm_agent.h"
#include "agent/receptionist.h"
#include "app/server.h"
#include "test_agent.h"

int main(int argc, char **argv)
{
	const struct va_agent_factory *const agents[] = {
		&va_test_agent_factory,
		&va_agent_receptionist_factory,
		&va_agent_llm_factory,
		&va_agent_echo_factory,
		NULL,
	};

	return va_server_main(argc, argv, agents);
}
