/* syntax.h - the lexical rules of HTTP and media types, once: RFC 9110's
 * token (tchar) and RFC 6838's restricted-name. Used by the media-type
 * checks (mime.c, policy.c) and the request decoder's Content-Type
 * parameters (cgi/media_type.c); the hex digit of %XX and \uXXXX escapes
 * (cgi/request.c, json.c); a plain decimal number (Content-Length, S3's
 * numbers, systemd's LISTEN_*). ASCII only: every byte >= 0x80 is outside. */
#ifndef SIGN_S3_SYNTAX_H
#define SIGN_S3_SYNTAX_H

#include <stddef.h>

#define S3_RESTRICTED_NAME_MAX 127   /* RFC 6838 4.2: 1 + up to 126 */

/* 0-9. */
int s3_is_digit(unsigned char c);

/* s[0..n) as a decimal number: one or more digits 0-9 and nothing else
 * (no sign, no space), its value at most max. Returns 0 and sets *out, or
 * -1 (nothing digits, empty, or over max; never overflows). Callers that
 * also bound the number of digits check n themselves. */
int s3_decimal(const char *s, size_t n, unsigned long long max, unsigned long long *out);

/* The value (0-15) of the hex digit c (0-9 A-F a-f), or -1. */
int s3_hex_value(unsigned char c);

/* A-Z a-z 0-9. */
int s3_is_alnum(unsigned char c);

/* RFC 9110 5.6.2 tchar: A-Z a-z 0-9 ! # $ % & ' * + - . ^ _ ` | ~ */
int s3_is_tchar(unsigned char c);

/* Length of the token (tchars) at the start of s[0..n), 0 when none. */
size_t s3_token_len(const char *s, size_t n);

/* Length of the RFC 6838 restricted-name at the start of s[0..n): an
 * alphanumeric, then alphanumerics and ! # $ & - ^ _ . +; 0 when there is
 * none or it is longer than S3_RESTRICTED_NAME_MAX. */
size_t s3_restricted_name_len(const char *s, size_t n);

/* 1 when s is 1..max bytes of visible ASCII (0x21-0x7e): the rule for
 * keys, secrets and tokens. */
int s3_is_visible(const char *s, size_t max);

/* RFC 5234 CTL: 0x00-0x1f and 0x7f. */
int s3_is_ctl(unsigned char c);

/* 1 when s[0..n) is printable ASCII, spaces included (0x20-0x7e): no CR,
 * LF or other control character, no byte >= 0x80. The rule for header
 * values, tokens of the credential sources and the broker's messages. */
int s3_is_printable(const char *s, size_t n);

#endif
