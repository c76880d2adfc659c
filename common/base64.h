/* base64.h - strict base64 decoding (RFC 4648, section 4) of a client's
 * file_head.
 *
 * The rules, which s3_base64_decode() enforces:
 *  - the standard alphabet A-Z a-z 0-9 + / only: the URL-safe alphabet
 *    (- _), a "data:...;base64," prefix or any other byte is refused;
 *  - ASCII white space (space, tab, CR, LF) is ignored wherever it is, so
 *    MIME-style line breaks are fine;
 *  - padding is optional: "QQ==" and "QQ" both decode to "A". When present
 *    it must complete the last group of four (one or two '=') and only
 *    white space may follow it;
 *  - a last group of one character, and unused low bits that are not zero
 *    ("QR==" instead of "QQ==") are refused, so every byte string has
 *    exactly one accepted encoding (up to padding and white space);
 *  - nothing (or only white space) decodes to zero bytes.
 * Pure: no allocation, no I/O. */
#ifndef SIGN_S3_BASE64_H
#define SIGN_S3_BASE64_H

#include <stddef.h>
#include "err.h"

/* The most bytes n characters of base64 can decode to. */
#define S3_BASE64_DECODED_MAX(n) ((n) / 4 * 3 + 2)

/* Decodes in[0..len) (need not be NUL-terminated) into out (cap bytes);
 * *outlen is the number of bytes written. S3_OK; S3_ERR_INVAL for input
 * that breaks a rule above; S3_ERR_TOOLONG when the result would exceed
 * cap (out then holds the first cap bytes; the rest of the input is still
 * checked, so INVAL wins over TOOLONG). */
enum s3_err s3_base64_decode(const char *in, size_t len, unsigned char *out,
                             size_t cap, size_t *outlen);

/* 1 when s[0..n) is the base64 of exactly 16 bytes (an MD5 digest as
 * Content-MD5 carries it: 24 characters, "==" last). */
int s3_base64_md5_ok(const char *s, size_t n);

#endif
