/* test_filename.c - s3_filename_sanitize(): the table covers every step. */
#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>
#include "tap.h"
#include "filename.h"

#define NOLEN ((size_t)-1)      /* len: use strlen(in) */

struct tcase {
	const char *name;
	const char *in;
	size_t len;
	size_t max;                 /* 0: S3_FILENAME_MAX */
	enum s3_err err;
	const char *want;           /* "" when err != S3_OK */
};

static const struct tcase cases[] = {
	/* reference examples */
	{ "spec: spaces, case", " My File.PDF ", NOLEN, 0, S3_OK, "my_file.pdf" },
	{ "spec: fakepath", "C:\\fakepath\\Résumé Final.docx", NOLEN, 0, S3_OK, "résumé_final.docx" },
	{ "spec: tab", "a\tb", NOLEN, 0, S3_OK, "a_b" },
	{ "spec: angle brackets", "x<y>.txt", NOLEN, 0, S3_OK, "x_y_.txt" },
	{ "spec: traversal", "../../etc/passwd", NOLEN, 0, S3_OK, "passwd" },
	{ "spec: ..", "..", NOLEN, 0, S3_ERR_INVAL, "" },
	{ "spec: blanks", "   ", NOLEN, 0, S3_ERR_INVAL, "" },
	{ "spec: slash", "/", NOLEN, 0, S3_ERR_INVAL, "" },

	/* a: UTF-8 validity and NUL */
	{ "a: empty", "", 0, 0, S3_ERR_INVAL, "" },
	{ "a: stray continuation", "a\x80.txt", NOLEN, 0, S3_ERR_UTF8, "" },
	{ "a: overlong / (C0 AF)", "\xC0\xAF" "etc", NOLEN, 0, S3_ERR_UTF8, "" },
	{ "a: overlong C1 BF", "\xC1\xBF", NOLEN, 0, S3_ERR_UTF8, "" },
	{ "a: overlong 3-byte", "\xE0\x80\xAF", NOLEN, 0, S3_ERR_UTF8, "" },
	{ "a: overlong 4-byte", "\xF0\x80\x80\xAF", NOLEN, 0, S3_ERR_UTF8, "" },
	{ "a: surrogate U+D800", "\xED\xA0\x80", NOLEN, 0, S3_ERR_UTF8, "" },
	{ "a: surrogate U+DFFF", "\xED\xBF\xBF", NOLEN, 0, S3_ERR_UTF8, "" },
	{ "a: CESU-8 pair", "\xED\xA0\xBD\xED\xB8\x80", NOLEN, 0, S3_ERR_UTF8, "" },
	{ "a: above U+10FFFF", "\xF4\x90\x80\x80", NOLEN, 0, S3_ERR_UTF8, "" },
	{ "a: F5 lead", "\xF5\x80\x80\x80", NOLEN, 0, S3_ERR_UTF8, "" },
	{ "a: FF byte", "x\xFF", NOLEN, 0, S3_ERR_UTF8, "" },
	{ "a: truncated 2-byte", "abc\xC3", NOLEN, 0, S3_ERR_UTF8, "" },
	{ "a: truncated 3-byte", "abc\xE2\x82", NOLEN, 0, S3_ERR_UTF8, "" },
	{ "a: truncated emoji", "\xF0\x9F\x98" ".png", NOLEN, 0, S3_ERR_UTF8, "" },
	{ "a: bad continuation", "\xC3\x28", NOLEN, 0, S3_ERR_UTF8, "" },
	{ "a: invalid in dropped dir", "\xFF/ok.txt", NOLEN, 0, S3_ERR_UTF8, "" },
	{ "a: NUL inside", "a\0b.txt", 7, 0, S3_ERR_UTF8, "" },
	{ "a: NUL at end", "abc\0", 4, 0, S3_ERR_UTF8, "" },
	{ "a: U+D7FF valid", "\xED\x9F\xBF", NOLEN, 0, S3_OK, "\xED\x9F\xBF" },
	{ "a: U+E000 valid", "\xEE\x80\x80", NOLEN, 0, S3_OK, "\xEE\x80\x80" },
	{ "a: U+10FFFF valid", "\xF4\x8F\xBF\xBF", NOLEN, 0, S3_OK, "\xF4\x8F\xBF\xBF" },

	/* b: last path segment */
	{ "b: unix path", "dir/sub/file.txt", NOLEN, 0, S3_OK, "file.txt" },
	{ "b: mixed separators", "dir/sub\\file.txt", NOLEN, 0, S3_OK, "file.txt" },
	{ "b: trailing slash", "a/", NOLEN, 0, S3_ERR_INVAL, "" },
	{ "b: trailing backslash", "C:\\fakepath\\", NOLEN, 0, S3_ERR_INVAL, "" },
	{ "b: ends in ..", "a/b/../..", NOLEN, 0, S3_ERR_INVAL, "" },
	{ "b: ends in .", "a/.", NOLEN, 0, S3_ERR_INVAL, "" },

	/* c: trimming */
	{ "c: ASCII white space", "\t\n\r\v\f name \r\n", NOLEN, 0, S3_OK, "name" },
	{ "c: U+3000 and U+00A0", "\u3000x.txt\u00A0", NOLEN, 0, S3_OK, "x.txt" },
	{ "c: U+0085 trailing", "x.txt\xC2\x85", NOLEN, 0, S3_OK, "x.txt" },
	{ "c: after separator", "dir/  a b  ", NOLEN, 0, S3_OK, "a_b" },
	{ "c: only Unicode spaces", "\u2003\u2009\u3000", NOLEN, 0, S3_ERR_INVAL, "" },

	/* d: lowercasing */
	{ "d: ASCII", "ABCXYZ.JPG", NOLEN, 0, S3_OK, "abcxyz.jpg" },
	{ "d: Latin-1", "ÀÖØÞ", NOLEN, 0, S3_OK, "àöøþ" },
	{ "d: Latin-1 non-letters kept", "×÷ßÿµ", NOLEN, 0, S3_OK, "×÷ßÿµ" },
	{ "d: Latin Ext-A", "ĀĞŁŒŠŽŸ", NOLEN, 0, S3_OK, "āğłœšžÿ" },
	{ "d: U+0130 -> i (shorter)", "İSTANBUL", NOLEN, 0, S3_OK, "istanbul" },
	{ "d: dotless i, long s kept", "ıſ", NOLEN, 0, S3_OK, "ıſ" },
	{ "d: Greek", "ΑΘΗΝΑ Άσ", NOLEN, 0, S3_OK, "αθηνα_άσ" },
	{ "d: Greek sigma simple", "ΟΔΟΣ", NOLEN, 0, S3_OK, "οδοσ" },
	{ "d: Cyrillic", "МОСКВА ЁЂЏ", NOLEN, 0, S3_OK, "москва_ёђџ" },
	{ "d: Cyrillic ext", "ѢӁӀԮ", NOLEN, 0, S3_OK, "ѣӂӏԯ" },
	{ "d: other scripts kept", "ԱἈＡƁ", NOLEN, 0, S3_OK, "ԱἈＡƁ" },

	/* e: inner white space */
	{ "e: two spaces", "a  b", NOLEN, 0, S3_OK, "a__b" },
	{ "e: U+00A0", "a\u00A0b", NOLEN, 0, S3_OK, "a_b" },
	{ "e: U+3000", "a\u3000b", NOLEN, 0, S3_OK, "a_b" },
	{ "e: U+0085", "a\xC2\x85" "b", NOLEN, 0, S3_OK, "a_b" },
	{ "e: line/para separators", "a\u2028b\u2029c", NOLEN, 0, S3_OK, "a_b_c" },
	{ "e: assorted spaces", "a\u1680b\u200Ac\u202Fd\u205Fe", NOLEN, 0, S3_OK, "a_b_c_d_e" },
	{ "e: newline", "a\nb", NOLEN, 0, S3_OK, "a_b" },

	/* f: controls */
	{ "f: C0 and DEL", "a\x01" "b\x1F" "c\x7F", NOLEN, 0, S3_OK, "abc" },
	{ "f: C1", "a\xC2\x80" "b\xC2\x9F", NOLEN, 0, S3_OK, "ab" },
	{ "f: ANSI escape", "\x1B[31mred", NOLEN, 0, S3_OK, "_31mred" },
	{ "f: zero width space", "a\u200Bb", NOLEN, 0, S3_OK, "ab" },
	{ "f: LRM RLM", "\u200Ea\u200Fb", NOLEN, 0, S3_OK, "ab" },
	{ "f: RLO spoof", "invoice\u202Efdp.exe", NOLEN, 0, S3_OK, "invoicefdp.exe" },
	{ "f: embeddings", "\u202Aa\u202Bb\u202Cc\u202D", NOLEN, 0, S3_OK, "abc" },
	{ "f: isolates", "\u2066a\u2067b\u2068c\u2069", NOLEN, 0, S3_OK, "abc" },
	{ "f: word joiner etc", "a\u2060b\u2064c", NOLEN, 0, S3_OK, "abc" },
	{ "f: BOM", "\uFEFFdoc.txt", NOLEN, 0, S3_OK, "doc.txt" },
	{ "f: ZWJ in emoji", "\U0001F468\u200D\U0001F469.png", NOLEN, 0, S3_OK, "\U0001F468\U0001F469.png" },
	{ "f: controls only", "\x01\x02\u200B", NOLEN, 0, S3_ERR_INVAL, "" },
	{ "f: becomes ..", ".\u200B.", NOLEN, 0, S3_ERR_INVAL, "" },
	{ "f: control before space", "\x01 a", NOLEN, 0, S3_OK, "_a" },

	/* g': look-alike slashes (confusables of '/' and '\\'), one by one */
	{ "g': U+FF0F fullwidth solidus", "invoice\uFF0Fpaid.pdf", NOLEN, 0, S3_OK, "invoice_paid.pdf" },
	{ "g': U+FF3C fullwidth reverse solidus", "a\uFF3Cb", NOLEN, 0, S3_OK, "a_b" },
	{ "g': U+2044 fraction slash", "a\u2044b", NOLEN, 0, S3_OK, "a_b" },
	{ "g': U+2215 division slash", "a\u2215b", NOLEN, 0, S3_OK, "a_b" },
	{ "g': U+2216 set minus", "a\u2216b", NOLEN, 0, S3_OK, "a_b" },
	{ "g': U+29F8 U+29F9 big solidi", "a\u29F8b\u29F9c", NOLEN, 0, S3_OK, "a_b_c" },
	{ "g': U+29F5 reverse solidus operator", "a\u29F5b", NOLEN, 0, S3_OK, "a_b" },
	{ "g': U+FE68 small reverse solidus", "a\uFE68b", NOLEN, 0, S3_OK, "a_b" },
	{ "g': U+2571 U+2572 box diagonals", "a\u2571b\u2572c", NOLEN, 0, S3_OK, "a_b_c" },
	{ "g': U+27CB U+27CD math diagonals", "a\u27CBb\u27CDc", NOLEN, 0, S3_OK, "a_b_c" },
	{ "g': U+1735 U+2041", "a\u1735b\u2041c", NOLEN, 0, S3_OK, "a_b_c" },
	{ "g': CJK strokes, Kangxi radicals", "a\u31D3b\u31D4c\u2F02d\u2F03e", NOLEN, 0, S3_OK,
	  "a_b_c_d_e" },
	{ "g': Greek notation U+1D20F U+1D23A U+1D23B", "a\U0001D20Fb\U0001D23Ac\U0001D23Bd",
	  NOLEN, 0, S3_OK, "a_b_c_d" },
	{ "g': letters that look like a slash kept", "\u30CE\u30FC\u30C8\u4E3F\u4E36\u2CC6",
	  NOLEN, 0, S3_OK, "\u30CE\u30FC\u30C8\u4E3F\u4E36\u2CC6" },
	{ "g': look-alike as the extension's dot's neighbour", "x.pdf\u2215.exe", NOLEN, 0, S3_OK,
	  "x.pdf_.exe" },
	/* g': default-ignorable code points, one of each range */
	{ "g': U+00AD soft hyphen", "a\u00ADb", NOLEN, 0, S3_OK, "a_b" },
	{ "g': U+034F grapheme joiner", "a\u034Fb", NOLEN, 0, S3_OK, "a_b" },
	{ "g': U+061C Arabic letter mark", "a\u061Cb", NOLEN, 0, S3_OK, "a_b" },
	{ "g': U+115F U+1160 Hangul fillers", "a\u115Fb\u1160c", NOLEN, 0, S3_OK, "a_b_c" },
	{ "g': U+17B4 U+17B5 Khmer", "a\u17B4b\u17B5c", NOLEN, 0, S3_OK, "a_b_c" },
	{ "g': U+180B-180F Mongolian", "a\u180Bb\u180Ec\u180Fd", NOLEN, 0, S3_OK, "a_b_c_d" },
	{ "g': U+2065 U+206A-206F", "a\u2065b\u206Ac\u206Fd", NOLEN, 0, S3_OK, "a_b_c_d" },
	{ "g': U+3164 Hangul filler", "a\u3164b", NOLEN, 0, S3_OK, "a_b" },
	{ "g': U+FFA0 halfwidth Hangul filler", "a\uFFA0b", NOLEN, 0, S3_OK, "a_b" },
	{ "g': U+FE00 U+FE0F variation selectors", "a\uFE00b\uFE0Fc", NOLEN, 0, S3_OK, "a_b_c" },
	{ "g': emoji with VS16", "\u2764\uFE0F.png", NOLEN, 0, S3_OK, "\u2764_.png" },
	{ "g': U+FFF0 U+FFF8 reserved", "a\xEF\xBF\xB0" "b\xEF\xBF\xB8" "c", NOLEN, 0, S3_OK, "a_b_c" },
	{ "g': U+1BCA0-1BCA3 shorthand", "a\U0001BCA0b\U0001BCA3c", NOLEN, 0, S3_OK, "a_b_c" },
	{ "g': U+1D173-1D17A beams", "a\U0001D173b\U0001D17Ac", NOLEN, 0, S3_OK, "a_b_c" },
	{ "g': U+E0001 U+E0041 tags", "a\U000E0001b\U000E0041c", NOLEN, 0, S3_OK, "a_b_c" },
	{ "g': U+E0100 U+E0FFF", "a\U000E0100b\U000E0FFFc", NOLEN, 0, S3_OK, "a_b_c" },
	{ "g': U+E1000 (no longer ignorable) kept", "a\U000E1000b", NOLEN, 0, S3_OK,
	  "a\U000E1000b" },
	{ "g': an ignorable alone", "\u3164", NOLEN, 0, S3_OK, "_" },
	{ "g': around the dot", "\u00AD.\u00AD", NOLEN, 0, S3_OK, "_._" },

	/* g: characters S3 advises against */
	{ "g: {", "a{b", NOLEN, 0, S3_OK, "a_b" },
	{ "g: }", "a}b", NOLEN, 0, S3_OK, "a_b" },
	{ "g: ^", "a^b", NOLEN, 0, S3_OK, "a_b" },
	{ "g: %", "a%2Fb", NOLEN, 0, S3_OK, "a_2fb" },
	{ "g: `", "a`b", NOLEN, 0, S3_OK, "a_b" },
	{ "g: [", "a[b", NOLEN, 0, S3_OK, "a_b" },
	{ "g: ]", "a]b", NOLEN, 0, S3_OK, "a_b" },
	{ "g: \"", "a\"b", NOLEN, 0, S3_OK, "a_b" },
	{ "g: <", "a<b", NOLEN, 0, S3_OK, "a_b" },
	{ "g: >", "a>b", NOLEN, 0, S3_OK, "a_b" },
	{ "g: ~", "a~b", NOLEN, 0, S3_OK, "a_b" },
	{ "g: #", "a#b", NOLEN, 0, S3_OK, "a_b" },
	{ "g: |", "a|b", NOLEN, 0, S3_OK, "a_b" },
	{ "g: all together", "{}^%`[]\"<>~#|", NOLEN, 0, S3_OK, "_____________" },
	{ "g: other punctuation kept", "a-b_c.d+e=f&g@h!i(j)k'l,m;n$o:p?q*r",
	  NOLEN, 0, S3_OK, "a-b_c.d+e=f&g@h!i(j)k'l,m;n$o:p?q*r" },

	/* kept as is */
	{ "NFD kept", "Re\u0301sume\u0301.pdf", NOLEN, 0, S3_OK, "re\u0301sume\u0301.pdf" },
	{ "NFD uppercase base", "E\u0301", NOLEN, 0, S3_OK, "e\u0301" },
	{ "emoji kept", "\U0001F600 party.png", NOLEN, 0, S3_OK, "\U0001F600_party.png" },
	{ "flag kept", "\U0001F1EB\U0001F1F7.jpg", NOLEN, 0, S3_OK, "\U0001F1EB\U0001F1F7.jpg" },
	{ "CJK kept", "報告書.pdf", NOLEN, 0, S3_OK, "報告書.pdf" },
	{ "dotfile kept", ".bashrc", NOLEN, 0, S3_OK, ".bashrc" },
	{ "three dots kept", "...", NOLEN, 0, S3_OK, "..." },

	/* h: small max_bytes */
	{ "h: max 8 keeps ext", "abcdefghij.txt", NOLEN, 8, S3_OK, "abcd.txt" },
	{ "h: max 5 keeps ext", "abcdefghij.txt", NOLEN, 5, S3_OK, "a.txt" },
	{ "h: ext as long as max", "abcdefghij.txt", NOLEN, 4, S3_OK, "abcd" },
	{ "h: max 1", "xyz", NOLEN, 1, S3_OK, "x" },
	{ "h: multibyte at small cut", "ab€.txt", NOLEN, 6, S3_OK, "ab.txt" },
	{ "h: no room for base", "€€€€.txt", NOLEN, 6, S3_OK, "€€" },
	{ "i: cut leaves ..", "..a", NOLEN, 2, S3_ERR_INVAL, "" },
};

static void run_table(void)
{
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct tcase *t = &cases[i];
		size_t len = t->len == NOLEN ? strlen(t->in) : t->len;
		size_t max = t->max ? t->max : S3_FILENAME_MAX;
		char out[S3_FILENAME_MAX + 1];
		enum s3_err e;

		memset(out, 'Z', sizeof out);
		e = s3_filename_sanitize(t->in, len, max, out, sizeof out);
		if (e != t->err) {
			is_int(e, t->err, "%s: error", t->name);
			continue;
		}
		is_str(out, t->want, "%s", t->name);
	}
}

/* Every successful result is a fixed point. */
static void check_idempotent(void)
{
	size_t i, bad = 0;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct tcase *t = &cases[i];
		size_t len = t->len == NOLEN ? strlen(t->in) : t->len;
		size_t max = t->max ? t->max : S3_FILENAME_MAX;
		char a[S3_FILENAME_MAX + 1], b[S3_FILENAME_MAX + 1];

		if (s3_filename_sanitize(t->in, len, max, a, sizeof a) != S3_OK)
			continue;
		if (s3_filename_sanitize(a, strlen(a), max, b, sizeof b) != S3_OK ||
		    strcmp(a, b)) {
			diag("not idempotent: %s", t->name);
			bad++;
		}
	}
	is_int(bad, 0, "sanitizing a sanitized name changes nothing");
}

static char *repeat(char *p, const char *s, size_t times)
{
	size_t n = strlen(s);

	while (times--) {
		memcpy(p, s, n);
		p += n;
	}
	*p = '\0';
	return p;
}

/* Builds count copies of unit followed by tail, and the expected result
 * as want_count copies of want_unit followed by want_tail. */
static void long_case(const char *name, const char *unit, size_t count,
		      const char *tail, enum s3_err want_err,
		      const char *want_unit, size_t want_count, const char *want_tail)
{
	static char in[S3_FILENAME_MAX_INPUT * 2], want[S3_FILENAME_MAX_INPUT * 2];
	char out[S3_FILENAME_MAX + 1];
	enum s3_err e;

	strcpy(repeat(in, unit, count), tail);
	strcpy(repeat(want, want_unit, want_count), want_tail);
	e = s3_filename_sanitize(in, strlen(in), S3_FILENAME_MAX, out, sizeof out);
	if (e != want_err) {
		is_int(e, want_err, "%s: error", name);
		return;
	}
	if (!ok(!strcmp(out, want) && strlen(out) <= S3_FILENAME_MAX, "%s", name))
		diag("got %zu bytes, want %zu: '%s'", strlen(out), strlen(want), out);
}

static void run_long(void)
{
	long_case("h: exactly 255", "a", 255, "", S3_OK, "a", 255, "");
	long_case("h: 256 cut to 255", "a", 256, "", S3_OK, "a", 255, "");
	long_case("h: 255 with ext", "a", 251, ".pdf", S3_OK, "a", 251, ".pdf");
	long_case("h: 256 with ext", "a", 252, ".pdf", S3_OK, "a", 251, ".pdf");
	long_case("h: 300 with ext", "a", 300, ".PDF", S3_OK, "a", 251, ".pdf");
	long_case("h: 2-byte char fits at 255", "a", 253, "é", S3_OK, "a", 253, "é");
	long_case("h: 2-byte char across 255", "a", 254, "é", S3_OK, "a", 254, "");
	long_case("h: 4-byte char fits at 255", "a", 251, "\U0001F600", S3_OK,
		  "a", 251, "\U0001F600");
	long_case("h: 4-byte char across 255", "a", 252, "\U0001F600", S3_OK, "a", 252, "");
	long_case("h: 3-byte char before ext", "a", 249, "€.pdf", S3_OK, "a", 249, ".pdf");
	long_case("h: all 2-byte chars", "é", 200, "", S3_OK, "é", 127, "");
	long_case("h: all 2-byte with ext", "é", 200, ".txt", S3_OK, "é", 125, ".txt");
	long_case("h: 16-byte ext kept", "a", 300, ".xxxxxxxxxxxxxxx", S3_OK,
		  "a", 239, ".xxxxxxxxxxxxxxx");
	long_case("h: 17-byte ext dropped", "a", 300, ".xxxxxxxxxxxxxxxx", S3_OK,
		  "a", 255, "");
	long_case("h: dot only at start", ".", 1, "", S3_ERR_INVAL, "", 0, "");
	long_case("h: U+0130 shrinks", "İ", 200, ".TXT", S3_OK, "i", 200, ".txt");
	long_case("h: U+0130 shrinks then cut", "İ", 300, ".txt", S3_OK, "i", 251, ".txt");
	long_case("c: 4095 spaces then x", " ", 4095, "x", S3_OK, "", 0, "x");
	long_case("h: input at limit", "a", S3_FILENAME_MAX_INPUT - 4, ".zip", S3_OK,
		  "a", 251, ".zip");
	long_case("a: input over limit", "a", S3_FILENAME_MAX_INPUT - 3, ".zip",
		  S3_ERR_TOOLONG, "", 0, "");
	long_case("h: control chars removed before cut", "\x01", 3000, "ok.txt", S3_OK,
		  "", 0, "ok.txt");
	long_case("e: 3-byte spaces become 1 byte", "a\u3000", 100, "x", S3_OK,
		  "a_", 100, "x");
}

static void run_long_dotfile(void)
{
	char in[400], out[S3_FILENAME_MAX + 1];

	in[0] = '.';
	memset(in + 1, 'b', 299);
	in[300] = '\0';
	is_int(s3_filename_sanitize(in, 300, S3_FILENAME_MAX, out, sizeof out), S3_OK,
	       "h: 300-byte dotfile ok");
	ok(strlen(out) == 255 && out[0] == '.' && out[254] == 'b',
	   "h: 300-byte dotfile cut plainly");
}

static void run_args(void)
{
	char out[S3_FILENAME_MAX + 1], small[10];

	is_int(s3_filename_sanitize("a", 1, 0, out, sizeof out), S3_ERR_INVAL, "max_bytes 0");
	is_int(s3_filename_sanitize("a", 1, S3_FILENAME_MAX + 1, out, sizeof out),
	       S3_ERR_INVAL, "max_bytes over S3_FILENAME_MAX");
	is_int(s3_filename_sanitize("a", 1, 10, small, sizeof small), S3_ERR_INVAL,
	       "outcap == max_bytes");
	is_int(s3_filename_sanitize("a", 1, 9, small, sizeof small), S3_OK,
	       "outcap == max_bytes + 1");
	is_int(s3_filename_sanitize("a", 1, 1, NULL, 0), S3_ERR_INVAL, "out NULL");
	is_int(s3_filename_sanitize(NULL, 3, 9, small, sizeof small), S3_ERR_INVAL, "in NULL");
	is_int(s3_filename_sanitize(NULL, 0, 9, small, sizeof small), S3_ERR_INVAL,
	       "in NULL, len 0");
	strcpy(out, "junk");
	s3_filename_sanitize("\xFF", 1, S3_FILENAME_MAX, out, sizeof out);
	is_str(out, "", "out is empty after an error");
	s3_filename_sanitize("A B", 2, 9, small, sizeof small);
	is_str(small, "a", "len is honoured (no NUL needed)");
}

static size_t enc(uint32_t cp, char *o)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	o[0] = (char)(0xC0 | (cp >> 6));
	o[1] = (char)(0x80 | (cp & 0x3F));
	return 2;
}

/* Cross-check the lowercase table against the C library's towlower() for
 * every character of the covered blocks in U+00A1-052F (but the
 * default-ignorable U+00AD and U+034F, which become '_'); Latin Extended-B,
 * IPA and combining marks (U+0180-036F) must be left as they are. Skipped
 * when no UTF-8 locale is available. */
static void check_towlower(void)
{
	uint32_t cp;
	size_t bad = 0;

	if (!setlocale(LC_CTYPE, "C.UTF-8") && !setlocale(LC_CTYPE, "en_US.UTF-8")) {
		ok(1, "# SKIP no UTF-8 locale for the towlower cross-check");
		return;
	}
	for (cp = 0xA1; cp <= 0x52F; cp++) {
		char in[4], out[8], want[4];
		int covered = cp <= 0x17F || cp >= 0x370;

		if (cp == 0xAD || cp == 0x34F)    /* default-ignorable: '_' (g') */
			continue;
		uint32_t lc = !covered ? cp : cp == 0x130 ? 'i' : (uint32_t)towlower((wint_t)cp);
		size_t n = enc(cp, in), wn = enc(lc, want);

		want[wn] = '\0';
		if (s3_filename_sanitize(in, n, 7, out, sizeof out) != S3_OK ||
		    strcmp(out, want)) {
			if (bad++ < 5)
				diag("U+%04X: got '%s' want '%s'", (unsigned)cp, out, want);
		}
	}
	setlocale(LC_CTYPE, "C");
	is_int(bad, 0, "d: lowercase table agrees with towlower(), U+0180-036F untouched");
}

int main(void)
{
	run_table();
	check_idempotent();
	run_long();
	run_long_dotfile();
	run_args();
	check_towlower();
	return done_testing();
}
