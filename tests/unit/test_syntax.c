/* test_syntax.c - common/syntax.c: every byte is classified as RFC 9110's
 * tchar and RFC 6838's restricted-name-chars say (written out here, not
 * derived from the code), hex digits have their values, and the lengths
 * stop where the rules do. */
#include <string.h>
#include "tap.h"
#include "syntax.h"

#define ALNUM "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

int main(void)
{
	const char *tchar = ALNUM "!#$%&'*+-.^_`|~";
	const char *rchar = ALNUM "!#$&-^_.+";
	unsigned bad = 0;
	char name[200];

	for (unsigned c = 0; c < 256; c++) {
		int want_t = c && memchr(tchar, (int)c, strlen(tchar)) != NULL;
		int want_a = c && memchr(ALNUM, (int)c, strlen(ALNUM)) != NULL;
		int want_r = c && memchr(rchar, (int)c, strlen(rchar)) != NULL;
		char two[2] = { 'a', (char)c };

		if (s3_is_tchar((unsigned char)c) != want_t || s3_is_alnum((unsigned char)c) != want_a ||
		    s3_restricted_name_len(two, 2) != (want_r ? 2u : 1u))
			bad++;
	}
	is_int(bad, 0, "every byte: tchar, alnum and restricted-name-chars as written out");

	bad = 0;
	for (unsigned c = 0; c < 256; c++) {
		char one[2] = { (char)c, 0 };

		if (s3_is_digit((unsigned char)c) != (c >= '0' && c <= '9') ||
		    (c && s3_is_visible(one, 1) != (c >= 0x21 && c <= 0x7e)))
			bad++;
	}
	is_int(bad, 0, "every byte: digit and visible (0x21-0x7e) as written out");
	bad = 0;
	for (unsigned c = 0; c < 256; c++) {
		const char *hex = "0123456789abcdef", *HEX = "0123456789ABCDEF";
		const char *h = c ? memchr(hex, (int)c, 16) : NULL;
		const char *H = c ? memchr(HEX, (int)c, 16) : NULL;
		int want = h ? (int)(h - hex) : H ? (int)(H - HEX) : -1;

		if (s3_hex_value((unsigned char)c) != want)
			bad++;
	}
	is_int(bad, 0, "every byte: hex digit value (0-9 a-f A-F, else -1) as written out");
	ok(!s3_is_visible("", 5), "visible: empty is refused");
	ok(s3_is_visible("abcde", 5), "visible: max bytes");
	ok(!s3_is_visible("abcdef", 5), "visible: one more is refused");
	ok(!s3_is_visible("ab cd", 5), "visible: a space is refused");
	bad = 0;
	for (unsigned c = 0; c < 256; c++) {
		char one[1] = { (char)c };

		if (s3_is_ctl((unsigned char)c) != (c < 0x20 || c == 0x7f) ||
		    s3_is_printable(one, 1) != (c >= 0x20 && c <= 0x7e))
			bad++;
	}
	is_int(bad, 0, "every byte: CTL (0x00-0x1f, 0x7f) and printable (0x20-0x7e) as written out");
	ok(s3_is_printable("a b\0c", 2) && !s3_is_printable("a b\0c", 4),
	   "printable: n bytes, a NUL among them refused");
	ok(s3_is_printable("", 0), "printable: zero bytes are");

	is_int(s3_token_len("abc def", 7), 3, "a token stops at a space");
	is_int(s3_token_len("=x", 2), 0, "no token before '='");
	is_int(s3_token_len("ab\0c", 4), 2, "a token stops at NUL");
	is_int(s3_restricted_name_len("+xml", 4), 0, "a restricted-name starts with an alphanumeric");
	is_int(s3_restricted_name_len("svg+xml/", 8), 7, "and stops at '/'");
	is_int(s3_restricted_name_len("", 0), 0, "empty: none");

	memset(name, 'a', sizeof name);
	is_int(s3_restricted_name_len(name, S3_RESTRICTED_NAME_MAX), S3_RESTRICTED_NAME_MAX,
	       "a name of %d characters", S3_RESTRICTED_NAME_MAX);
	is_int(s3_restricted_name_len(name, S3_RESTRICTED_NAME_MAX + 1), 0,
	       "one more is refused, not cut");
	{
		static const struct { const char *s; unsigned long long max; int rc;
		                      unsigned long long v; } d[] = {
			{ "0", 0, 0, 0 },
			{ "1", 0, -1, 0 },
			{ "007", 7, 0, 7 },
			{ "8", 7, -1, 0 },
			{ "65535", 65535, 0, 65535 },
			{ "65536", 65535, -1, 0 },
			{ "18446744073709551615", ~0ULL, 0, ~0ULL },
			{ "18446744073709551616", ~0ULL, -1, 0 },
			{ "99999999999999999999", ~0ULL, -1, 0 },
			{ "", ~0ULL, -1, 0 },
			{ "1a", ~0ULL, -1, 0 },
			{ "-1", ~0ULL, -1, 0 },
			{ "+1", ~0ULL, -1, 0 },
			{ " 1", ~0ULL, -1, 0 },
			{ "1 ", ~0ULL, -1, 0 },
			{ "0x10", ~0ULL, -1, 0 },
		};

		for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) {
			unsigned long long v = 12345;
			int rc = s3_decimal(d[i].s, strlen(d[i].s), d[i].max, &v);

			ok(rc == d[i].rc && (rc || v == d[i].v) && (!rc || v == 12345),
			   "s3_decimal(\"%s\", %llu): %d %llu", d[i].s, d[i].max, rc, v);
		}
		{
			unsigned long long v = 0;

			ok(s3_decimal("12x", 2, ~0ULL, &v) == 0 && v == 12,
			   "s3_decimal reads n bytes only");
			ok(s3_decimal(NULL, 0, ~0ULL, &v) == -1, "s3_decimal(NULL) refused");
		}
	}
	return done_testing();
}
