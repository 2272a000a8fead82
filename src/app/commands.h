/* SPDX-License-Identifier: MIT */
/* commands.h - the subcommands of the voiceai binary that live in src/app. */
#ifndef VA_APP_COMMANDS_H
#define VA_APP_COMMANDS_H

int va_cmd_tenant(int argc, char **argv);
int va_cmd_appointments(int argc, char **argv);
int va_cmd_when(int argc, char **argv);
int va_cmd_understand(int argc, char **argv);
int va_cmd_calendar(int argc, char **argv);
int va_cmd_vad_eval(int argc, char **argv);

#endif
