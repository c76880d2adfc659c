/* date.h - the one date codec: UTC times written and read in the two
 * forms sign_s3 meets; and the one monotonic clock reading (deadlines). Years 1970..9999 only; no locale, no TZ, no
 * normalization (Feb 30 is refused, not moved to March).
 *
 *   amz       "YYYYMMDDTHHMMSSZ" (ISO 8601 basic): SigV4's X-Amz-Date and
 *             the CLI's --time.
 *   iso8601   "YYYY-MM-DDTHH:MM:SSZ" (ISO 8601 extended): expires_at, log
 *             lines; read as RFC 3339 (fractions, 'T'/'t', 'Z'/'z' or a
 *             +HH:MM / -HH:MM offset): credential Expiration times.
 *   http      "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 5.6.7 IMF-fixdate):
 *             read only, an HTTP answer's Date (`sign_s3 doctor`'s clock). */
#ifndef SIGN_S3_DATE_H
#define SIGN_S3_DATE_H

#include <time.h>

#include "err.h"

#define S3_DATE_AMZ_LEN     16    /* "YYYYMMDDTHHMMSSZ" */
#define S3_DATE_ISO8601_LEN 20    /* "YYYY-MM-DDTHH:MM:SSZ" */
#define S3_DATE_RFC3339_MAX 64    /* longest RFC 3339 text read (fractions) */

/* t as "YYYYMMDDTHHMMSSZ" (S3_DATE_AMZ_LEN + 1 bytes with the NUL);
 * S3_ERR_RANGE outside the years 1970..9999. */
enum s3_err s3_date_amz(time_t t, char out[S3_DATE_AMZ_LEN + 1]);

/* t as "YYYY-MM-DDTHH:MM:SSZ" (S3_DATE_ISO8601_LEN + 1 bytes with the
 * NUL); S3_ERR_RANGE outside the years 1970..9999. */
enum s3_err s3_date_iso8601(time_t t, char out[S3_DATE_ISO8601_LEN + 1]);

/* Reads exactly "YYYYMMDDTHHMMSSZ". S3_ERR_INVAL when malformed or not a
 * real date (seconds 00..59). */
enum s3_err s3_date_parse_amz(const char *s, time_t *out);

/* Reads an RFC 3339 date-time with seconds and a zone:
 * YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM), at most
 * S3_DATE_RFC3339_MAX bytes; the fraction is dropped; a leap second (:60)
 * is the next second. S3_ERR_INVAL when malformed, not a real date, or
 * before 1970-01-01T00:00:00Z. */
enum s3_err s3_date_parse_rfc3339(const char *s, time_t *out);

#define S3_DATE_HTTP_LEN    29    /* "Sun, 06 Nov 1994 08:49:37 GMT" */

/* Reads exactly an IMF-fixdate (RFC 9110 5.6.7): a day name that matches
 * the date, two-digit day, English month abbreviation, four-digit year,
 * HH:MM:SS (no leap second), "GMT". The obsolete RFC 850 and asctime forms
 * are refused (S3 and every current server send IMF-fixdate).
 * S3_ERR_INVAL when malformed or not a real date. */
enum s3_err s3_date_parse_http(const char *s, time_t *out);

/* CLOCK_MONOTONIC in milliseconds: deadlines and back-offs, which a
 * change of the wall clock must not move. */
long long s3_mono_ms(void);

/* The same clock in microseconds: how long a request's handler took (the
 * status page's latency histogram, cgi/stats.h). */
long long s3_mono_us(void);

#endif
