/* SPDX-License-Identifier: MIT */
/* err.c - names and messages for enum va_err, generated from VA_ERR_MAP. */
#include "core/err.h"

const char *va_err_name(int err)
{
	switch (err) {
	case VA_OK:
		return "OK";
#define VA__ERR_NAME(name, code, msg)                                                              \
	case code:                                                                                 \
		return #name;
		VA_ERR_MAP(VA__ERR_NAME)
#undef VA__ERR_NAME
	}
	return "UNKNOWN";
}

const char *va_err_str(int err)
{
	switch (err) {
	case VA_OK:
		return "success";
#define VA__ERR_MSG(name, code, msg)                                                               \
	case code:                                                                                 \
		return msg;
		VA_ERR_MAP(VA__ERR_MSG)
#undef VA__ERR_MSG
	}
	return "unknown error";
}
