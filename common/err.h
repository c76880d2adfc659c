/* err.h - the one error enum of sign_s3 and its message table.
 *
 * Every fallible function in common/ returns an enum s3_err (S3_OK is 0).
 * s3_strerror() gives a short, fixed English message: it never contains
 * caller data, so it is always safe to show to a client or write to a log. */
#ifndef SIGN_S3_ERR_H
#define SIGN_S3_ERR_H

#include <stddef.h>

enum s3_err {
	S3_OK = 0,
	S3_ERR_NOMEM,      /* out of memory */
	S3_ERR_INVAL,      /* invalid argument */
	S3_ERR_TOOLONG,    /* input or output exceeds a named limit */
	S3_ERR_RANGE,      /* number out of its allowed range */
	S3_ERR_UTF8,       /* invalid UTF-8 */
	S3_ERR_CRYPTO,     /* OpenSSL failure */
	S3_ERR_NOCREDS,    /* no usable credentials */
	S3_ERR_CONFIG,     /* bad configuration value */
	S3_ERR_IO,         /* file or socket error */
	S3_ERR_NOTFOUND,   /* a file that does not exist */
	S3_ERR_PARSE,      /* an answer that is not what it must be (S3's XML) */
	S3_ERR_REMOTE,     /* S3 answered with an error (its code in the caller's record) */
	S3_ERR__COUNT
};

const char *s3_strerror(enum s3_err e);

/* printf into an optional message buffer: nothing when buf is NULL or cap
 * is 0, always NUL-terminated otherwise (a long message is cut). */
void s3_msgf(char *buf, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* S3_STR(LIMIT): a named limit's value as a string literal, for messages. */
#define S3_STR_(x) #x
#define S3_STR(x) S3_STR_(x)

#endif
