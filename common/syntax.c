/* syntax.c - HTTP token and media-type name rules (see syntax.h). */
#include "syntax.h"

#include <string.h>

int s3_is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

int s3_decimal(const char *s, size_t n, unsigned long long max, unsigned long long *out)
{
	unsigned long long v = 0;

	if (!s || n == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned)((unsigned char)s[i] - '0');

		if (d > 9 || v > max / 10)
			return -1;
		v *= 10;                  /* <= max: v was <= max / 10 */
		if (d > max - v)
			return -1;
		v += d;
	}
	*out = v;
	return 0;
}

int s3_hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int s3_is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int s3_is_tchar(unsigned char c)
{
	return s3_is_alnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

size_t s3_token_len(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && s3_is_tchar((unsigned char)s[i]))
		i++;
	return i;
}

static int is_rchar(unsigned char c)
{
	return s3_is_alnum(c) || (c && strchr("!#$&-^_.+", c));
}

size_t s3_restricted_name_len(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || !s3_is_alnum((unsigned char)s[0]))
		return 0;
	for (i = 1; i < n && is_rchar((unsigned char)s[i]); i++)
		if (i == S3_RESTRICTED_NAME_MAX)
			return 0;
	return i;
}

int s3_is_visible(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);

	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

int s3_is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

int s3_is_printable(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}
