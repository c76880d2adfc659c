/* mime.h - Content-Type from a file name's extension, and validation of a
 * client-supplied Content-Type.
 *
 * s3_mime_load() reads a mime.types file once at start (Debian's
 * media-types package installs /etc/mime.types): lines
 * "type/subtype ext1 ext2 ...", blank lines, and comments (a token starting
 * with '#' ends the line). Lines whose type is not a valid type/subtype are
 * ignored, as are extensions longer than S3_MIME_EXT_MAX or containing bytes
 * other than printable ASCII. Extensions are matched case-insensitively
 * (ASCII); when one appears twice, the first line wins. If the file does
 * not exist, a built-in table of common web upload types is used
 * instead and that is not an error (s3_mime_is_builtin() tells).
 *
 * The database is a hash table: a lookup is a few dozen instructions, and
 * loading the 75 KB Debian file takes well under a millisecond. The loaded
 * database is read-only, so it can be shared between threads.
 *
 * s3_mime_type_check() accepts only a strict, whitespace-free form:
 *   type/subtype *( ";" name "=" value )
 * type and subtype are RFC 6838 restricted-names (an ASCII letter or digit,
 * then up to 126 of letters, digits and ! # $ & - ^ _ . +), name is an RFC
 * 7230 token, value a token or a quoted-string (quoted-pairs allowed). No
 * white space anywhere (so no header can be injected, and "; " is refused
 * too), no control characters, no bytes above 0x7E. */
#ifndef SIGN_S3_MIME_H
#define SIGN_S3_MIME_H

#include <stddef.h>
#include "err.h"

#define S3_MIME_TYPE_MAX   255                  /* bytes in a Content-Type */
#define S3_MIME_EXT_MAX    32                   /* bytes in an extension */
#define S3_MIME_FILE_MAX   (1024 * 1024)        /* bytes in a mime.types file */
#define S3_MIME_DEFAULT    "application/octet-stream"
#define S3_MIME_TYPES_PATH "/etc/mime.types"

struct s3_mime_db;

/* Loads path (NULL: S3_MIME_TYPES_PATH) into *out. A file that does not
 * exist gives the built-in table and S3_OK. Errors: S3_ERR_TOOLONG (file
 * over S3_MIME_FILE_MAX), S3_ERR_IO (cannot be opened or read, e.g. a
 * directory or no permission),
 * S3_ERR_NOMEM, S3_ERR_INVAL (out is NULL). *out is NULL on error. */
enum s3_err s3_mime_load(struct s3_mime_db **out, const char *path);

/* 1 when db holds the built-in table (the file does not exist). */
int s3_mime_is_builtin(const struct s3_mime_db *db);

/* The type for the extension after the last '.' of filename's last path
 * segment; S3_MIME_DEFAULT when there is no extension (no dot, a trailing
 * dot, a name like ".bashrc"), when it is unknown, or when db or filename is
 * NULL. Never NULL; the string lives as long as db. */
const char *s3_mime_lookup(const struct s3_mime_db *db, const char *filename);

void s3_mime_free(struct s3_mime_db *db);

/* Checks a client-supplied Content-Type type[0..len) (see above): S3_OK,
 * S3_ERR_TOOLONG over S3_MIME_TYPE_MAX bytes, else S3_ERR_INVAL. */
enum s3_err s3_mime_type_check(const char *type, size_t len);

#endif
