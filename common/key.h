/* key.h - the object keys this server issues, and the check that a key a
 * caller names is one of them.
 *
 * A key is PREFIX + UUID + "/" + NAME: PREFIX is S3_KEY_PREFIX with its
 * {user} expanded for the caller (policy.h), UUID a fresh version 4 UUID
 * in lowercase (uuid.h), NAME the sanitized file name (filename.h). Every
 * route that creates an upload makes its key with s3_key_make; every route
 * that continues one (sign a part, list, complete, abort) first checks the
 * key the client sends with s3_key_check, so a caller can never sign for,
 * complete or abort an object outside its own prefix or one whose key this
 * server could not have made: a key of another user, "../", a path under
 * the prefix that is not UUID/NAME, a name that is not its own sanitized
 * form. No I/O, no allocation. */
#ifndef SIGN_S3_KEY_H
#define SIGN_S3_KEY_H

#include <stddef.h>
#include "err.h"

/* prefix[0..plen) + uuid + "/" + name into out (cap bytes, NUL added),
 * its length in *len. S3_ERR_TOOLONG when over max_key bytes or cap. */
enum s3_err s3_key_make(const char *prefix, size_t plen, const char uuid[37],
                        const char *name, size_t max_key, char *out, size_t cap,
                        size_t *len);

/* S3_OK when key[0..klen) is prefix[0..plen), then a lowercase version 4
 * UUID (8-4-4-4-12 hex, version nibble 4, variant 8, 9, a or b), then
 * "/", then a name of 1..name_max bytes that s3_filename_sanitize leaves
 * as it is; S3_ERR_INVAL otherwise. */
enum s3_err s3_key_check(const char *prefix, size_t plen, const char *key, size_t klen,
                         size_t name_max);

/* 1 when s is a lowercase version 4 UUID as s3_uuid_v4 writes them. */
int s3_uuid_v4_valid(const char *s, size_t n);

#endif
