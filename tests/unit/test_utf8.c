/* test_utf8.c - common/utf8.c: every scalar value encodes and decodes back
 * to itself, and the invalid forms of RFC 3629 section 3 are refused. */
#include <string.h>
#include "tap.h"
#include "utf8.h"

static const struct { const char *bytes; size_t n; const char *why; } bad[] = {
	{ "\x80", 1, "stray continuation" },
	{ "\xc0\xaf", 2, "overlong '/' (C0)" },
	{ "\xc1\xbf", 2, "overlong (C1)" },
	{ "\xe0\x80\xaf", 3, "overlong 3-byte" },
	{ "\xf0\x80\x80\xaf", 4, "overlong 4-byte" },
	{ "\xed\xa0\x80", 3, "surrogate U+D800" },
	{ "\xed\xbf\xbf", 3, "surrogate U+DFFF" },
	{ "\xf4\x90\x80\x80", 4, "above U+10FFFF" },
	{ "\xf5\x80\x80\x80", 4, "F5 lead" },
	{ "\xff", 1, "FF" },
	{ "\xe2\x82", 2, "truncated 3-byte" },
	{ "\xc3\x28", 2, "bad continuation" },
};

int main(void)
{
	unsigned long cp, mismatches = 0, checked = 0;
	char buf[4];

	for (unsigned long c = 0; c <= 0x10FFFF; c++) {
		size_t n, m;

		if (c >= 0xD800 && c <= 0xDFFF)
			continue;
		n = utf8_encode(c, buf);
		m = utf8_decode(buf, n, &cp);
		checked++;
		if (m != n || cp != c || !utf8_valid(buf, n) ||
		    n != (c < 0x80 ? 1u : c < 0x800 ? 2u : c < 0x10000 ? 3u : 4u))
			mismatches++;
	}
	is_int(mismatches, 0, "all %lu scalar values round-trip at the shortest length", checked);
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		ok(utf8_decode(bad[i].bytes, bad[i].n, &cp) == 0, "decode refuses %s", bad[i].why);
		ok(!utf8_valid(bad[i].bytes, bad[i].n), "valid refuses %s", bad[i].why);
	}
	ok(utf8_decode("", 0, &cp) == 0, "nothing to decode: 0");
	ok(utf8_valid("a\0b", 3), "NUL is valid UTF-8 (callers check it)");
	return done_testing();
}
