/* utf8.h - UTF-8 (RFC 3629) decoding, encoding and validation: no overlong forms, no surrogates,
 * nothing above U+10FFFF, no truncated sequences. */
#ifndef SIGN_S3_UTF8_H
#define SIGN_S3_UTF8_H

#include <stddef.h>

/* 1 when s[0..n) is valid UTF-8 (NUL bytes are valid UTF-8: check them
 * separately where they matter). */
int utf8_valid(const char *s, size_t n);

/* Decodes one character at s (n bytes available). Returns its length in
 * bytes and stores the code point in *cp, or returns 0 when the bytes there
 * are not valid UTF-8. */
size_t utf8_decode(const char *s, size_t n, unsigned long *cp);

/* Encodes cp (a Unicode scalar value: at most U+10FFFF, not a surrogate)
 * into out[0..4); returns its length in bytes (1-4). */
size_t utf8_encode(unsigned long cp, char *out);

#endif
