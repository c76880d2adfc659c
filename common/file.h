/* file.h - read a whole file with a limit, once for every reader: the
 * configuration file (config_file.c, with the ownership rule), mime.types
 * (mime.c), the AWS shared files and the container token file
 * (creds_file.c, creds_http.c).
 *
 * The buffer may hold secrets (keys in ~/.aws/credentials, a token):
 * s3_file_wipe() cleanses it before freeing, and growing it never leaves a
 * copy behind (no realloc). */
#ifndef SIGN_S3_FILE_H
#define SIGN_S3_FILE_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"

struct s3_file {
	char *buf;        /* len bytes, then a NUL; NULL before a read */
	size_t len;
	size_t alloc;     /* bytes allocated at buf (for the wipe) */
};

/* Reads path whole, at most max bytes, into f (f is cleared first).
 * Returns S3_OK; S3_ERR_NOTFOUND when path or a directory on the way does
 * not exist; S3_ERR_TOOLONG when it holds more than max bytes;
 * S3_ERR_IO (cannot open, read error, a directory); S3_ERR_NOMEM. why (may
 * be NULL) gets "PATH: <strerror>" or "PATH: larger than N bytes". On failure f holds nothing. */
enum s3_err s3_file_read(struct s3_file *f, const char *path, size_t max,
                         char *why, size_t cap);

/* As s3_file_read, for a file that configures the program: refused with
 * S3_ERR_CONFIG (why: "PATH: refused: <the rule>") unless it is a regular
 * file owned by uid or by root and writable by neither group nor others,
 * as OpenSSH and suEXEC refuse such files. Checked with fstat on the
 * descriptor that is then read, so the file cannot be swapped between the
 * check and the read. */
enum s3_err s3_file_read_owned(struct s3_file *f, const char *path, size_t max,
                               uid_t uid, char *why, size_t cap);

/* Cleanses and frees what f holds, and clears f. NULL is allowed. */
void s3_file_wipe(struct s3_file *f);

#endif
