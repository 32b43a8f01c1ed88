/* Thread-local error message storage behind error.h. */
#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MC_ERROR_MAX 1024

static _Thread_local char error_message[MC_ERROR_MAX];
static _Thread_local int error_code;

int mc_error_set(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(error_message, sizeof error_message, fmt, ap);
	va_end(ap);
	error_code = code;
	return code;
}

int mc_error_recode(int code)
{
	error_code = code;
	return code;
}

int mc_error_wrap(int code, const char *fmt, ...)
{
	char prefix[MC_ERROR_MAX], old[MC_ERROR_MAX];
	va_list ap;
	memcpy(old, error_message, sizeof old);
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	/* Build by appending so that truncation of a long chain is silent and safe. */
	snprintf(error_message, sizeof error_message, "%s", prefix);
	if (old[0]) {
		size_t n = strlen(error_message);
		snprintf(error_message + n, sizeof error_message - n, ": %.*s",
			 (int)(sizeof error_message - n), old);
	}
	error_code = code;
	return code;
}

const char *mc_error_message(void)
{
	return error_message[0] ? error_message : "unknown error";
}

int mc_error_code(void) { return error_code; }

void mc_error_clear(void)
{
	error_message[0] = '\0';
	error_code = 0;
}

const char *mc_error_name(int code)
{
	switch (code) {
	case MC_OK: return "OK";
	case MC_EINVAL: return "EINVAL";
	case MC_ENOTFOUND: return "ENOTFOUND";
	case MC_EIO: return "EIO";
	case MC_ENOMEM: return "ENOMEM";
	case MC_EGIT: return "EGIT";
	case MC_EDB: return "EDB";
	case MC_ECONFIG: return "ECONFIG";
	case MC_EENV: return "EENV";
	case MC_EINTERNAL: return "EINTERNAL";
	case MC_ELIMIT: return "ELIMIT";
	case MC_EEMPTY: return "EEMPTY";
	case MC_EVERIFY: return "EVERIFY";
	default: return "EUNKNOWN";
	}
}
