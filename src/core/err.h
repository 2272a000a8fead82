/* SPDX-License-Identifier: MIT */
/*
 * err.h - the one error convention of VoiceAI.
 *
 * Functions return int: 0 (VA_OK) on success, a negative VA_E* code on failure.
 * Names and messages come from one X-macro table so they never drift apart
 * (libuv's UV_ERRNO_MAP). Real outputs travel through out-parameters.
 */
#ifndef VA_CORE_ERR_H
#define VA_CORE_ERR_H

#define VA_ERR_MAP(X)                                                                              \
	X(AGAIN, -1, "try again later")                                                            \
	X(NOMEM, -2, "out of memory")                                                              \
	X(INVAL, -3, "invalid argument")                                                           \
	X(PARSE, -4, "malformed input")                                                            \
	X(TOOBIG, -5, "input too large")                                                           \
	X(NOTFOUND, -6, "not found")                                                               \
	X(EXISTS, -7, "already exists")                                                            \
	X(AUTH, -8, "authentication failed")                                                       \
	X(FORBIDDEN, -9, "forbidden")                                                              \
	X(IO, -10, "i/o error")                                                                    \
	X(DB, -11, "database error")                                                               \
	X(STATE, -12, "not allowed in this state")                                                 \
	X(FULL, -13, "queue full")                                                                 \
	X(CLOSED, -14, "closed")                                                                   \
	X(UNSUPPORTED, -15, "unsupported")                                                         \
	X(BUSY, -16, "at capacity")                                                                \
	X(TIMEOUT, -17, "timed out")

enum va_err {
	VA_OK = 0,
#define VA__ERR_ENUM(name, code, msg) VA_E_##name = (code),
	VA_ERR_MAP(VA__ERR_ENUM)
#undef VA__ERR_ENUM
};

/* Static string naming the code ("NOTFOUND"); "OK" for 0, "UNKNOWN" otherwise. */
const char *va_err_name(int err);
/* Static human-readable message for the code. */
const char *va_err_str(int err);

#endif
