/* test_date.c - common/date.c: the RFC 3339 times the credential sources
 * read, the amz times the CLI reads, both formats written, every day from
 * 1970 to 9999 against glibc's gmtime_r, and round trips. Expected values
 * are written out (epoch seconds computed with `date -u -d ... +%s`). */
#include <string.h>
#include <time.h>
#include "tap.h"
#include "date.h"

static void test_rfc3339(void)
{
	static const struct { const char *s; long long want; } good[] = {
		{ "1970-01-01T00:00:00Z", 0 },
		{ "2026-05-28T20:26:40Z", 1780000000 },
		{ "2026-05-28T20:26:40.123Z", 1780000000 },
		{ "2026-05-28T20:26:40.123456789Z", 1780000000 },
		{ "2026-05-28T20:26:40+00:00", 1780000000 },
		{ "2026-05-28T20:26:40-00:00", 1780000000 },
		{ "2026-05-28T22:26:40+02:00", 1780000000 },
		{ "2026-05-28T15:56:40-04:30", 1780000000 },
		{ "2026-05-28t20:26:40z", 1780000000 },
		{ "2024-02-29T00:00:00Z", 1709164800 },
		{ "2000-02-29T12:00:00Z", 951825600 },
		{ "2026-12-31T23:59:59Z", 1798761599 },
		{ "2026-12-31T23:59:60Z", 1798761600 },
		{ "9999-12-31T23:59:59Z", 253402300799LL },
	};
	static const char *const bad[] = {
		"", "2026-05-28", "2026-05-28T20:26:40", "2026-05-28 20:26:40Z",
		"2026-05-28T20:26Z", "2026-5-28T20:26:40Z", "2026-05-28T20:26:40ZZ",
		"2026-05-28T20:26:40.Z", "2026-05-28T20:26:40+0000", "2026-05-28T20:26:40+00",
		"2026-05-28T20:26:40+24:00", "2026-02-29T00:00:00Z", "2100-02-29T00:00:00Z",
		"2026-04-31T00:00:00Z", "2026-13-01T00:00:00Z", "2026-00-01T00:00:00Z",
		"2026-01-00T00:00:00Z", "2026-01-01T24:00:00Z", "2026-01-01T00:60:00Z",
		"2026-01-01T00:00:61Z", "1969-12-31T23:59:59Z", "1970-01-01T00:00:00+00:01",
		"+2026-05-28T20:26:40Z", "2026-05-28T20:26:40Z ", " 2026-05-28T20:26:40Z",
		"2026-05-28T20:26:40.1234567890123456789012345678901234567890123456Z",
		"２026-05-28T20:26:40Z", "2026-05-28T20:26:4OZ",
	};
	time_t t;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		t = -1;
		is_int(s3_date_parse_rfc3339(good[i].s, &t), S3_OK, "rfc3339: '%s' accepted", good[i].s);
		is_int(t, good[i].want, "rfc3339: '%s' value", good[i].s);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(s3_date_parse_rfc3339(bad[i], &t), S3_ERR_INVAL, "rfc3339: '%s' refused", bad[i]);
	is_int(s3_date_parse_rfc3339(NULL, &t), S3_ERR_INVAL, "rfc3339: NULL refused");
}

static void test_amz(void)
{
	static const struct { const char *s; long long want; } good[] = {
		{ "19700101T000000Z", 0 },
		{ "20130524T000000Z", 1369353600 },
		{ "20240229T235959Z", 1709251199 },
		{ "99991231T235959Z", 253402300799LL },
	};
	static const char *const bad[] = {
		"", "20130524T000000", "20130524T000000z", "20130524t000000Z",
		"2013-05-24T00:00:00Z", "20130230T000000Z", "21000229T000000Z",
		"20131301T000000Z", "20130001T000000Z", "20130100T000000Z",
		"20130524T240000Z", "20130524T006000Z", "20130524T000060Z",
		"19691231T235959Z", "20130524T000000Z ", "2013052AT000000Z",
		"+0130524T000000Z", "201305240T00000Z",
	};
	time_t t;

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		t = -1;
		is_int(s3_date_parse_amz(good[i].s, &t), S3_OK, "amz: '%s' accepted", good[i].s);
		is_int(t, good[i].want, "amz: '%s' value", good[i].s);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		is_int(s3_date_parse_amz(bad[i], &t), S3_ERR_INVAL, "amz: '%s' refused", bad[i]);
	is_int(s3_date_parse_amz(NULL, &t), S3_ERR_INVAL, "amz: NULL refused");
}

static void test_format(void)
{
	{
		char d[17];

		is_int(s3_date_amz((time_t)1369353600, d), S3_OK, "amz date");
		is_str(d, "20130524T000000Z", "amz date format");
		is_int(s3_date_amz((time_t)-1, d), S3_ERR_RANGE, "amz date before 1970 refused");
	}
	{
		char d[21];

		is_int(s3_date_iso8601((time_t)1369353600 + 3723, d), S3_OK, "ISO 8601 date");
		is_str(d, "2013-05-24T01:02:03Z", "ISO 8601 extended format");
		is_int(s3_date_iso8601((time_t)253402300799, d), S3_OK, "ISO 8601 of the last second of 9999");
		is_str(d, "9999-12-31T23:59:59Z", "ISO 8601 year 9999");
		is_int(s3_date_iso8601((time_t)253402300800, d), S3_ERR_RANGE, "ISO 8601 after 9999 refused");
		is_int(s3_date_iso8601((time_t)-1, d), S3_ERR_RANGE, "ISO 8601 before 1970 refused");
	}
}

/* Every day 1970..9999 at a varying second: both formats as gmtime_r and
 * strftime write them, and both parsers read them back. */
static void test_every_day(void)
{
	unsigned bad = 0, n = 0;

	for (long long day = 0; day * 86400 <= 253402300799LL; day++, n++) {
		time_t t = (time_t)(day * 86400 + (day * 7919) % 86400), back;
		char a[S3_DATE_AMZ_LEN + 1], b[S3_DATE_ISO8601_LEN + 1], ra[32], rb[32];
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(ra, sizeof ra, "%Y%m%dT%H%M%SZ", &tm);
		strftime(rb, sizeof rb, "%Y-%m-%dT%H:%M:%SZ", &tm);
		if (s3_date_amz(t, a) || strcmp(a, ra) || s3_date_iso8601(t, b) || strcmp(b, rb) ||
		    s3_date_parse_amz(a, &back) || back != t ||
		    s3_date_parse_rfc3339(b, &back) || back != t) {
			if (bad++ < 5)
				diag("day %lld: %s / %s, want %s / %s", day, a, b, ra, rb);
		}
	}
	is_int(bad, 0, "%u days 1970..9999: written as gmtime_r, read back", n);
}

static void test_http(void)
{
	static const struct { const char *s; long long want; } good[] = {
		{ "Thu, 01 Jan 1970 00:00:00 GMT", 0 },
		{ "Sun, 06 Nov 1994 08:49:37 GMT", 784111777 },
		{ "Thu, 28 May 2026 20:26:40 GMT", 1780000000 },
		{ "Thu, 29 Feb 2024 00:00:00 GMT", 1709164800 },
		{ "Fri, 31 Dec 9999 23:59:59 GMT", 253402300799LL },
	};
	static const char *const bad[] = {
		"", "Sun, 06 Nov 1994 08:49:37", "Sun, 06 Nov 1994 08:49:37 UTC",
		"Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
		"Mon, 06 Nov 1994 08:49:37 GMT", "Sun, 6 Nov 1994 08:49:37 GMT",
		"Sun, 06 nov 1994 08:49:37 GMT", "Sun, 06 Nox 1994 08:49:37 GMT",
		"Sun, 31 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:49:37 GMT",
		"Sun, 06 Nov 1994 08:49:60 GMT", "Sun, 06 Nov 1994 08:49:37 GMT ",
		" Sun, 06 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08-49-37 GMT",
		"Wed, 31 Dec 1969 23:59:59 GMT", "Sun, 06 Nov 1994 08:49:3x GMT",
		"Thu, 29 Feb 2026 00:00:00 GMT",
	};
	time_t t;

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		t = -1;
		is_int(s3_date_parse_http(good[i].s, &t), S3_OK, "http: %s", good[i].s);
		ok((long long)t == good[i].want, "http: %s is %lld", good[i].s, good[i].want);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		t = 12345;
		is_int(s3_date_parse_http(bad[i], &t), S3_ERR_INVAL, "http refused: '%s'", bad[i]);
		ok(t == 12345, "http refused: '%s' leaves the output alone", bad[i]);
	}
	is_int(s3_date_parse_http(NULL, &t), S3_ERR_INVAL, "http: NULL refused");
}

int main(void)
{
	test_http();
	test_rfc3339();
	test_amz();
	test_format();
	test_every_day();
	return done_testing();
}
