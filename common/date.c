/* date.c - UTC dates written and read (see date.h). */
#include "date.h"

#include <string.h>

#include "syntax.h"

#define YEAR_MIN 1970
#define YEAR_MAX 9999

/* ---- the calendar ------------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date, and back
 * (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms"). */
static long long days_from_civil(long long y, int m, int d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(long long z, long long *y, int *m, int *d)
{
	long long era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int y, int m)
{
	static const int dm[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : dm[m - 1];
}

/* ---- writing ------------------------------------------------------------ */

/* t after a template where each "##" is the next two digits of century,
 * year, month, day, hour, minute, second. */
static enum s3_err format(time_t t, const char *tmpl, char *out)
{
	long long days, secs, y;
	int v[7], k = 0, m, d;

	if (t < 0)
		return S3_ERR_RANGE;
	days = (long long)t / 86400;
	secs = (long long)t % 86400;
	civil_from_days(days, &y, &m, &d);
	if (y > YEAR_MAX)
		return S3_ERR_RANGE;
	v[0] = (int)(y / 100), v[1] = (int)(y % 100), v[2] = m, v[3] = d;
	v[4] = (int)(secs / 3600), v[5] = (int)(secs / 60 % 60), v[6] = (int)(secs % 60);
	for (; *tmpl; tmpl++) {
		if (*tmpl == '#') {
			*out++ = (char)('0' + v[k] / 10);
			*out++ = (char)('0' + v[k++] % 10);
			tmpl++;
		} else {
			*out++ = *tmpl;
		}
	}
	*out = '\0';
	return S3_OK;
}

enum s3_err s3_date_amz(time_t t, char out[S3_DATE_AMZ_LEN + 1])
{
	return format(t, "########T######Z", out);
}

enum s3_err s3_date_iso8601(time_t t, char out[S3_DATE_ISO8601_LEN + 1])
{
	return format(t, "####-##-##T##:##:##Z", out);
}

/* ---- reading ------------------------------------------------------------ */

/* n digits at s as a number, or -1. */
static int num(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!s3_is_digit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* The fields, checked; max_sec 59 or 60 (RFC 3339 allows a leap second). */
static enum s3_err from_fields(int y, int mo, int d, int h, int mi, int se, int max_sec,
                               long long off, time_t *out)
{
	long long t;

	if (y < YEAR_MIN || y > YEAR_MAX || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 ||
	    mi < 0 || mi > 59 || se < 0 || se > max_sec || d > days_in_month(y, mo))
		return S3_ERR_INVAL;
	t = days_from_civil(y, mo, d) * 86400LL + h * 3600LL + mi * 60LL + se - off;
	if (t < 0)
		return S3_ERR_INVAL;
	*out = (time_t)t;
	return S3_OK;
}

enum s3_err s3_date_parse_amz(const char *s, time_t *out)
{
	if (!s || strlen(s) != S3_DATE_AMZ_LEN || s[8] != 'T' || s[15] != 'Z')
		return S3_ERR_INVAL;
	return from_fields(num(s, 4), num(s + 4, 2), num(s + 6, 2), num(s + 9, 2),
	                   num(s + 11, 2), num(s + 13, 2), 59, 0, out);
}

enum s3_err s3_date_parse_rfc3339(const char *s, time_t *out)
{
	const char *z;
	long long off;
	size_t n;

	if (!s || (n = strnlen(s, S3_DATE_RFC3339_MAX + 1)) < S3_DATE_ISO8601_LEN ||
	    n > S3_DATE_RFC3339_MAX)
		return S3_ERR_INVAL;
	if (s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
	    s[13] != ':' || s[16] != ':')
		return S3_ERR_INVAL;
	z = s + 19;
	if (*z == '.') {
		z++;
		if (!s3_is_digit((unsigned char)*z))
			return S3_ERR_INVAL;
		while (s3_is_digit((unsigned char)*z))
			z++;       /* fraction: dropped (whole seconds are enough) */
	}
	if ((*z == 'Z' || *z == 'z') && !z[1]) {
		off = 0;
	} else if ((*z == '+' || *z == '-') && strlen(z) == 6 && z[3] == ':') {
		int oh = num(z + 1, 2), om = num(z + 4, 2);

		if (oh < 0 || oh > 23 || om < 0 || om > 59)
			return S3_ERR_INVAL;
		off = (oh * 60LL + om) * 60 * (*z == '-' ? -1 : 1);
	} else {
		return S3_ERR_INVAL;
	}
	return from_fields(num(s, 4), num(s + 5, 2), num(s + 8, 2), num(s + 11, 2),
	                   num(s + 14, 2), num(s + 17, 2), 60, off, out);
}

enum s3_err s3_date_parse_http(const char *s, time_t *out)
{
	static const char days[] = "ThuFriSatSunMonTueWed";     /* 1970-01-01 was a Thursday */
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	const char *m;
	time_t t;
	int mo;

	/* "Sun, 06 Nov 1994 08:49:37 GMT" */
	if (!s || strnlen(s, S3_DATE_HTTP_LEN + 1) != S3_DATE_HTTP_LEN || s[3] != ',' ||
	    s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' || s[19] != ':' ||
	    s[22] != ':' || s[25] != ' ' || memcmp(s + 26, "GMT", 3))
		return S3_ERR_INVAL;
	for (m = months; *m && memcmp(m, s + 8, 3); m += 3)
		;
	if (!*m)
		return S3_ERR_INVAL;
	mo = (int)(m - months) / 3 + 1;
	if (from_fields(num(s + 12, 4), mo, num(s + 5, 2), num(s + 17, 2), num(s + 20, 2),
	                num(s + 23, 2), 59, 0, &t))
		return S3_ERR_INVAL;
	if (memcmp(s, days + (t / 86400 % 7) * 3, 3))
		return S3_ERR_INVAL;         /* the day name must be the date's */
	*out = t;
	return S3_OK;
}

long long s3_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long s3_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
