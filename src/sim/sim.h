/* SPDX-License-Identifier: MIT */
/*
 * sim.h - entry points of the client-side commands that play Twilio's part:
 * `voiceai call` (the caller simulator) and `voiceai bench` (load and latency).
 */
#ifndef VA_SIM_SIM_H
#define VA_SIM_SIM_H

int va_cmd_call(int argc, char **argv);
int va_cmd_bench(int argc, char **argv);

#endif
