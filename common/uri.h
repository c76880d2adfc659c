/* uri.h - URI encoding the way S3 and SigV4 want it.
 *
 * Every byte other than the unreserved set A-Z a-z 0-9 - _ . ~ becomes %XX
 * with uppercase hex; a space is %20, never '+'. Multi-byte UTF-8 is encoded
 * byte by byte. With URI_KEEP_SLASH, '/' is kept (an object key in a path);
 * without it '/' becomes %2F (query names and values). Nothing is
 * normalized: "a//b", "./" and "../" are encoded exactly as given. */
#ifndef SIGN_S3_URI_H
#define SIGN_S3_URI_H

#include <stddef.h>
#include "sbuf.h"

enum { URI_ENCODE_SLASH = 0, URI_KEEP_SLASH = 1 };

/* Appends the encoding of s[0..n) to b (overflow is flagged in b). */
void uri_encode(struct sbuf *b, const char *s, size_t n, int keep_slash);

/* Length of the encoding of s[0..n), without writing it. */
size_t uri_encoded_len(const char *s, size_t n, int keep_slash);

#endif
