/* err.c - messages for enum s3_err. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>

static const char *const messages[S3_ERR__COUNT] = {
	[S3_OK]          = "success",
	[S3_ERR_NOMEM]   = "out of memory",
	[S3_ERR_INVAL]   = "invalid argument",
	[S3_ERR_TOOLONG] = "value too long",
	[S3_ERR_RANGE]   = "value out of range",
	[S3_ERR_UTF8]    = "invalid UTF-8",
	[S3_ERR_CRYPTO]  = "cryptographic library failure",
	[S3_ERR_NOCREDS] = "no credentials available",
	[S3_ERR_CONFIG]  = "invalid configuration",
	[S3_ERR_IO]      = "input/output error",
	[S3_ERR_NOTFOUND] = "not found",
	[S3_ERR_PARSE]   = "malformed answer",
	[S3_ERR_REMOTE]  = "storage service answered an error",
};

const char *s3_strerror(enum s3_err e)
{
	if ((unsigned)e >= S3_ERR__COUNT)
		return "unknown error";
	return messages[e];
}

void s3_msgf(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;

	if (!buf || !cap)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
}
