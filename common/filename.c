/* filename.c - file name sanitizing; the rules are in filename.h. */
#include <stdint.h>
#include <string.h>
#include "filename.h"
#include "utf8.h"

/* Unicode White_Space. */
static int is_space(uint32_t c)
{
	return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 ||
	       c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
	       c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
	       c == 0x3000;
}

/* C0, DEL, C1, and invisible format / bidi controls. */
static int is_control(uint32_t c)
{
	return c <= 0x1F || (c >= 0x7F && c <= 0x9F) ||
	       (c >= 0x200B && c <= 0x200F) || (c >= 0x202A && c <= 0x202E) ||
	       (c >= 0x2060 && c <= 0x2064) || (c >= 0x2066 && c <= 0x2069) ||
	       c == 0xFEFF;
}

/* A range of code points, inclusive. */
struct cp_range {
	uint32_t lo, hi;
};

static int in_ranges(uint32_t c, const struct cp_range *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (c >= r[i].lo && c <= r[i].hi)
			return 1;
	return 0;
}

/* Step g': characters that pass for '/' or '\' in a listing or a URL bar.
 * The entries of Unicode's confusables.txt (UTS #39) whose prototype is
 * U+002F or U+005C and whose general category is punctuation or symbol,
 * plus the fullwidth forms (confusables.txt leaves out what NFKC already
 * folds). Letters and ideographs it also lists are kept, being text of
 * their own script: KATAKANA LETTER NO U+30CE, U+4E3F, U+4E36, VERTICAL
 * KANA REPEAT MARK U+3033, COPTIC CAPITAL LETTER OLD COPTIC ESH U+2CC6. */
static const struct cp_range slash_like[] = {
	{ 0x1735, 0x1735 },     /* PHILIPPINE SINGLE PUNCTUATION */
	{ 0x2041, 0x2041 },     /* CARET INSERTION POINT */
	{ 0x2044, 0x2044 },     /* FRACTION SLASH */
	{ 0x2215, 0x2216 },     /* DIVISION SLASH, SET MINUS */
	{ 0x2571, 0x2572 },     /* BOX DRAWINGS LIGHT DIAGONAL (both directions) */
	{ 0x27CB, 0x27CB },     /* MATHEMATICAL RISING DIAGONAL */
	{ 0x27CD, 0x27CD },     /* MATHEMATICAL FALLING DIAGONAL */
	{ 0x29F5, 0x29F5 },     /* REVERSE SOLIDUS OPERATOR */
	{ 0x29F8, 0x29F9 },     /* BIG SOLIDUS, BIG REVERSE SOLIDUS */
	{ 0x2F02, 0x2F03 },     /* KANGXI RADICAL DOT, KANGXI RADICAL SLASH */
	{ 0x31D3, 0x31D4 },     /* CJK STROKE SP, CJK STROKE D */
	{ 0xFE68, 0xFE68 },     /* SMALL REVERSE SOLIDUS */
	{ 0xFF0F, 0xFF0F },     /* FULLWIDTH SOLIDUS */
	{ 0xFF3C, 0xFF3C },     /* FULLWIDTH REVERSE SOLIDUS */
	{ 0x1D20F, 0x1D20F },   /* GREEK VOCAL NOTATION SYMBOL-16 */
	{ 0x1D23A, 0x1D23B },   /* GREEK INSTRUMENTAL NOTATION SYMBOL-47, -48 */
};

/* Step g': Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties,
 * Unicode 15): code points a renderer shows as nothing. Those step f
 * already removes (U+200B-200F, U+202A-202E, U+2060-2064, U+2066-2069,
 * U+FEFF) never get here. */
static const struct cp_range ignorable[] = {
	{ 0x00AD, 0x00AD },     /* SOFT HYPHEN */
	{ 0x034F, 0x034F },     /* COMBINING GRAPHEME JOINER */
	{ 0x061C, 0x061C },     /* ARABIC LETTER MARK */
	{ 0x115F, 0x1160 },     /* HANGUL CHOSEONG / JUNGSEONG FILLER */
	{ 0x17B4, 0x17B5 },     /* KHMER VOWEL INHERENT AQ, AA */
	{ 0x180B, 0x180F },     /* MONGOLIAN FREE VARIATION SELECTORS, VOWEL SEPARATOR */
	{ 0x200B, 0x200F },     /* ZERO WIDTH SPACE .. RIGHT-TO-LEFT MARK */
	{ 0x202A, 0x202E },     /* bidi embeddings and overrides */
	{ 0x2060, 0x206F },     /* WORD JOINER .. NOMINAL DIGIT SHAPES (and unassigned U+2065) */
	{ 0x3164, 0x3164 },     /* HANGUL FILLER */
	{ 0xFE00, 0xFE0F },     /* VARIATION SELECTORS 1-16 */
	{ 0xFEFF, 0xFEFF },     /* ZERO WIDTH NO-BREAK SPACE */
	{ 0xFFA0, 0xFFA0 },     /* HALFWIDTH HANGUL FILLER */
	{ 0xFFF0, 0xFFF8 },     /* unassigned, reserved as ignorable */
	{ 0x1BCA0, 0x1BCA3 },   /* SHORTHAND FORMAT CONTROLS */
	{ 0x1D173, 0x1D17A },   /* MUSICAL SYMBOL BEGIN / END BEAM, TIE, SLUR, PHRASE */
	{ 0xE0000, 0xE0FFF },   /* TAGS, VARIATION SELECTORS 17-256, reserved */
};

#define NRANGES(t) (sizeof(t) / sizeof((t)[0]))

/* Look-alike slashes and default-ignorable code points: become '_'. */
static int is_spoofing(uint32_t c)
{
	return c >= 0xAD && (in_ranges(c, slash_like, NRANGES(slash_like)) ||
	                     in_ranges(c, ignorable, NRANGES(ignorable)));
}

/* Characters S3 advises against in object keys, plus the separators. */
static int is_advised_against(uint32_t c)
{
	return c < 0x80 && c != 0 && strchr("\\{}^%`[]\"<>~#|/", (int)c);
}

/* Simple lowercase mappings of U+00C0-052F, generated from UnicodeData
 * (Unicode 14): every code point lo, lo+step, ... hi maps to cp + delta. */
static const struct lower_run {
	uint16_t lo, hi;
	uint8_t step;
	int16_t delta;
} lower_runs[] = {
	{ 0x00C0, 0x00D6, 1, 32 },   { 0x00D8, 0x00DE, 1, 32 },
	{ 0x0100, 0x012E, 2, 1 },    { 0x0130, 0x0130, 1, -199 },
	{ 0x0132, 0x0136, 2, 1 },    { 0x0139, 0x0147, 2, 1 },
	{ 0x014A, 0x0176, 2, 1 },    { 0x0178, 0x0178, 1, -121 },
	{ 0x0179, 0x017D, 2, 1 },    { 0x0370, 0x0372, 2, 1 },
	{ 0x0376, 0x0376, 1, 1 },    { 0x037F, 0x037F, 1, 116 },
	{ 0x0386, 0x0386, 1, 38 },   { 0x0388, 0x038A, 1, 37 },
	{ 0x038C, 0x038C, 1, 64 },   { 0x038E, 0x038F, 1, 63 },
	{ 0x0391, 0x03A1, 1, 32 },   { 0x03A3, 0x03AB, 1, 32 },
	{ 0x03CF, 0x03CF, 1, 8 },    { 0x03D8, 0x03EE, 2, 1 },
	{ 0x03F4, 0x03F4, 1, -60 },  { 0x03F7, 0x03F7, 1, 1 },
	{ 0x03F9, 0x03F9, 1, -7 },   { 0x03FA, 0x03FA, 1, 1 },
	{ 0x03FD, 0x03FF, 1, -130 }, { 0x0400, 0x040F, 1, 80 },
	{ 0x0410, 0x042F, 1, 32 },   { 0x0460, 0x0480, 2, 1 },
	{ 0x048A, 0x04BE, 2, 1 },    { 0x04C0, 0x04C0, 1, 15 },
	{ 0x04C1, 0x04CD, 2, 1 },    { 0x04D0, 0x052E, 2, 1 },
};

static uint32_t to_lower(uint32_t c)
{
	size_t i;

	if (c >= 'A' && c <= 'Z')
		return c + 32;
	if (c < 0xC0 || c > 0x52F)
		return c;
	for (i = 0; i < sizeof lower_runs / sizeof lower_runs[0]; i++) {
		const struct lower_run *r = &lower_runs[i];
		if (c < r->lo)
			break;
		if (c <= r->hi && (c - r->lo) % r->step == 0)
			return (uint32_t)((int32_t)c + r->delta);
	}
	return c;
}

/* Step a: valid UTF-8 without NUL. */
static enum s3_err check_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0, k;
	unsigned long cp;

	while (i < n) {
		if (s[i] == 0)
			return S3_ERR_UTF8;
		k = utf8_decode((const char *)s + i, n - i, &cp);
		if (k == 0)
			return S3_ERR_UTF8;
		i += k;
	}
	return S3_OK;
}

/* Step b: offset just after the last '/' or '\'. */
static size_t basename_start(const char *s, size_t n)
{
	size_t start = 0, i;

	for (i = 0; i < n; i++)
		if (s[i] == '/' || s[i] == '\\')
			start = i + 1;
	return start;
}

/* Step c: narrows [*b, *e) of valid UTF-8 to exclude outer white space. */
static void trim_space(const unsigned char *s, size_t *b, size_t *e)
{
	size_t i = *b, first = *e, last = *b, k;
	unsigned long cp;

	while (i < *e) {
		k = utf8_decode((const char *)s + i, *e - i, &cp);
		if (!is_space((uint32_t)cp)) {
			if (first == *e)
				first = i;
			last = i + k;
		}
		i += k;
	}
	if (first == *e)
		first = last = *b;
	*b = first;
	*e = last;
}

/* Steps d-g' on valid UTF-8 s[0..n) into tmp (cap bytes); returns the length,
 * or (size_t)-1 if it would not fit (not possible: nothing grows). */
static size_t transform(const unsigned char *s, size_t n, char *tmp, size_t cap)
{
	size_t i = 0, o = 0, k;
	unsigned long cp;

	while (i < n) {
		k = utf8_decode((const char *)s + i, n - i, &cp);
		i += k;
		cp = to_lower((uint32_t)cp);
		if (is_space((uint32_t)cp) || is_advised_against((uint32_t)cp))
			cp = '_';
		else if (is_control((uint32_t)cp))
			continue;
		else if (is_spoofing((uint32_t)cp))
			cp = '_';
		if (cap - o < 4)
			return (size_t)-1;
		o += utf8_encode(cp, tmp + o);
	}
	return o;
}

/* Largest prefix length <= n of s that ends on a character boundary;
 * s[n] must exist. */
static size_t char_boundary(const char *s, size_t n)
{
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

static const char *last_dot(const char *s, size_t n)
{
	while (n > 0)
		if (s[--n] == '.')
			return s + n;
	return NULL;
}

/* Step h: copies s[0..n) into out, cut to at most max bytes. */
static void cut_copy(const char *s, size_t n, size_t max, char *out)
{
	const char *dot;
	size_t keep, ext;

	if (n <= max) {
		memcpy(out, s, n);
		out[n] = '\0';
		return;
	}
	dot = last_dot(s, n);
	ext = dot ? n - (size_t)(dot - s) : 0;
	if (dot && dot != s && ext <= S3_FILENAME_EXT_MAX && ext < max) {
		keep = char_boundary(s, max - ext);
		if (keep > 0) {
			memcpy(out, s, keep);
			memcpy(out + keep, dot, ext);
			out[keep + ext] = '\0';
			return;
		}
	}
	keep = char_boundary(s, max);
	memcpy(out, s, keep);
	out[keep] = '\0';
}

enum s3_err s3_filename_sanitize(const char *in, size_t len, size_t max_bytes,
				 char *out, size_t outcap)
{
	const unsigned char *s = (const unsigned char *)in;
	char tmp[S3_FILENAME_MAX_INPUT + 4];
	size_t b, e, n;
	enum s3_err err;

	if (!out || outcap == 0)
		return S3_ERR_INVAL;
	out[0] = '\0';
	if ((!in && len) || max_bytes == 0 || max_bytes > S3_FILENAME_MAX ||
	    outcap < max_bytes + 1)
		return S3_ERR_INVAL;
	if (len > S3_FILENAME_MAX_INPUT)
		return S3_ERR_TOOLONG;
	if (!in)
		s = (const unsigned char *)(in = "");
	err = check_utf8(s, len);
	if (err != S3_OK)
		return err;

	b = basename_start(in, len);
	e = len;
	trim_space(s, &b, &e);
	n = transform(s + b, e - b, tmp, sizeof tmp);
	if (n == (size_t)-1)
		return S3_ERR_TOOLONG;
	cut_copy(tmp, n, max_bytes, out);

	if (!strcmp(out, "") || !strcmp(out, ".") || !strcmp(out, "..")) {
		out[0] = '\0';
		return S3_ERR_INVAL;
	}
	return S3_OK;
}
