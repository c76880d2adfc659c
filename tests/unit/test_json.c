/* test_json.c - common/json.c, the strict RFC 8259 check run before cJSON:
 * the cases of issue 15 (what cJSON 1.7.15 takes and cuts or reads as
 * something else), then a table of valid and invalid texts by rule, the
 * depth limit at and over it, lone surrogates with and without the flag,
 * and s3_json_nul_escape. Every text is copied into a malloc of exactly its
 * length (no terminator), so an over-read trips ASan. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "tap.h"

#define OK   S3_JSON_OK
#define BAD  S3_JSON_INVALID
#define TRL  S3_JSON_TRAILING
#define DEEP S3_JSON_TOO_DEEP
#define LONE S3_JSON_LONE_SURROGATE
#define NOLS S3_JSON_NO_LONE_SURROGATES

/* A literal with its exact length (embedded NULs included). */
#define B(s) s, sizeof(s) - 1

static enum s3_json_result check(const char *s, size_t n, int depth, unsigned flags)
{
	char *copy = malloc(n ? n : 1);
	enum s3_json_result r;

	if (!copy)
		abort();
	memcpy(copy, s, n);
	r = s3_json_check(copy, n, depth, flags);
	free(copy);
	return r;
}

/* A printable form of s[0..n) for test names. */
static const char *show(const char *s, size_t n)
{
	static char buf[160];
	size_t o = 0;

	for (size_t i = 0; i < n && o + 5 < sizeof buf; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, sizeof buf - o, "\\x%02x", c);
	}
	buf[o] = '\0';
	return buf;
}

struct jcase {
	const char *s;
	size_t      n;
	enum s3_json_result want;
};

/* Issue 15: cJSON takes these and reads something else than a strict
 * parser would (or refuses nothing where it should). */
static const struct jcase issue[] = {
	{ B("{\"file_name\":\"shell.php\\u00GG.jpg\",\"file_type\":\"image/jpeg\"}"), BAD },
	{ B("{\"file_name\":\"a.html\",\"file_type\":\"text/html\\uZZZZ\"}"), BAD },
	{ B("{\"file_name\\uZZZZjunk\":\"shell.php\"}"), BAD },
	{ B("{\"file_name\":\"a\x01.txt\"}"), BAD },          /* raw control character */
	{ B("{\"file_name\":\"a\tb.txt\"}"), BAD },           /* raw tab */
	{ B("{\"file_name\":\"a\nb.txt\"}"), BAD },           /* raw newline */
	{ B("\x0b{\"file_name\":\"a.txt\"}"), BAD },          /* VT as white space */
	{ B("{\"file_name\":\"a.txt\"}\x0c"), TRL },          /* FF as white space */
	{ B("{\x01\"file_name\":\"a.txt\"}"), BAD },
	{ B("{\"file_name\":\"a.txt\",\"n\":0001}"), BAD },   /* leading zeros */
};

static const struct jcase table[] = {
	/* ---- valid ---- */
	{ B("{}"), OK }, { B("[]"), OK }, { B("\"\""), OK }, { B("0"), OK },
	{ B("-0"), OK }, { B("1"), OK }, { B("-1"), OK }, { B("10"), OK },
	{ B("1.5"), OK }, { B("-0.0"), OK }, { B("1e5"), OK }, { B("1E+5"), OK },
	{ B("1e-5"), OK }, { B("0e0"), OK }, { B("1.25E-10"), OK }, { B("1e999"), OK },
	{ B("123456789012345678901234567890"), OK },
	{ B("true"), OK }, { B("false"), OK }, { B("null"), OK },
	{ B(" \t\r\n{ \"a\" : [ 1 , 2 , { } , [ ] ] , \"b\" : null } \n\t\r "), OK },
	{ B("{\"a\":1,\"a\":2}"), OK },                        /* duplicates: grammar only */
	{ B("\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u0041 \\u00e9 \\u00E9 \\uFFFF\""), OK },
	{ B("\"\\u0000\""), OK },                              /* valid; the callers decide */
	{ B("\"\\ud83d\\ude00\""), OK },                       /* a surrogate pair */
	{ B("\"\\uD83D\\uDE00\""), OK },
	{ B("\"r\xc3\xa9sum\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\""), OK },
	{ B("\"\x7f\""), OK },                                 /* DEL is no control here */
	{ B("\"[{]}\""), OK },
	{ B("\xef\xbb\xbf{\"file_name\":\"bom.txt\"}"), OK },  /* one leading BOM */
	{ B("\xef\xbb\xbf 1"), OK },
	/* ---- numbers ---- */
	{ B("01"), TRL }, { B("00"), TRL }, { B("-01"), TRL }, { B("[01]"), BAD },
	{ B("-"), BAD }, { B("[-]"), BAD }, { B("--1"), BAD }, { B("1."), BAD },
	{ B("[1.]"), BAD }, { B(".5"), BAD }, { B("[.5]"), BAD }, { B("1e"), BAD },
	{ B("1e+"), BAD }, { B("1E-"), BAD }, { B("[1e]"), BAD }, { B("+1"), BAD },
	{ B("[+1]"), BAD }, { B("0x10"), TRL }, { B("1.e5"), BAD }, { B("- 1"), BAD },
	{ B("1 2"), TRL }, { B("NaN"), BAD }, { B("[NaN]"), BAD }, { B("Infinity"), BAD },
	{ B("-Infinity"), BAD }, { B("[-Infinity]"), BAD }, { B("nan"), BAD },
	/* ---- literals ---- */
	{ B("True"), BAD }, { B("nul"), BAD }, { B("nulll"), TRL }, { B("[truefalse]"), BAD },
	{ B("undefined"), BAD }, { B("tru"), BAD },
	/* ---- strings ---- */
	{ B("\"a\x01\""), BAD }, { B("\"a\x1f\""), BAD }, { B("\"a\0\""), BAD },
	{ B("\"\\u00GG\""), BAD }, { B("\"\\uZZZZ\""), BAD }, { B("\"\\u12\""), BAD },
	{ B("\"\\u\""), BAD }, { B("\"\\u004\""), BAD }, { B("\"\\U0041\""), BAD },
	{ B("\"\\'\""), BAD }, { B("\"\\x41\""), BAD }, { B("\"\\a\""), BAD },
	{ B("\"\\0\""), BAD }, { B("\"\\\""), BAD }, { B("\"\\"), BAD },
	{ B("\"abc"), BAD }, { B("'a'"), BAD }, { B("\"\\ud800\\uZZZZ\""), BAD },
	{ B("\"\xc0\xaf\""), BAD }, { B("\"\xed\xa0\x80\""), BAD }, /* overlong, raw surrogate */
	{ B("\"\xf4\x90\x80\x80\""), BAD }, { B("\"\xff\""), BAD }, { B("\"\xe2\x82\""), BAD },
	{ B("\"\xc3"), BAD },
	/* ---- white space and structure ---- */
	{ B(""), BAD }, { B(" "), BAD }, { B("\xef\xbb\xbf"), BAD },
	{ B("\x0b" "1"), BAD }, { B("\x0c" "1"), BAD }, { B("1\x0b"), TRL },
	{ B("\xc2\xa0" "1"), BAD },                             /* U+00A0 is no white space */
	{ B("\xef\xbb\xbf\xef\xbb\xbf{}"), BAD },              /* one BOM only */
	{ B(" \xef\xbb\xbf{}"), BAD },                         /* and first */
	{ B("{\"a\":1,}"), BAD }, { B("[1,]"), BAD }, { B("[,1]"), BAD }, { B("[1,,2]"), BAD },
	{ B("{,}"), BAD }, { B("{\"a\"}"), BAD }, { B("{\"a\":}"), BAD }, { B("{\"a\" 1}"), BAD },
	{ B("{a:1}"), BAD }, { B("{1:1}"), BAD }, { B("{\"a\":1 \"b\":2}"), BAD },
	{ B("[1 2]"), BAD }, { B("[1}"), BAD }, { B("{\"a\":1]"), BAD }, { B("["), BAD },
	{ B("{"), BAD }, { B("]"), BAD }, { B("}"), BAD }, { B("{\"a\":1"), BAD },
	{ B("{}x"), TRL }, { B("{} {}"), TRL }, { B("{}{}"), TRL }, { B("{}\0"), TRL },
	{ B("{} // c"), TRL }, { B("{/* c */}"), BAD }, { B("[1]]"), TRL },
	{ B("{\"file_name\":\"a\"}\xf0\x9f"), TRL },
};

static void test_table(const char *what, const struct jcase *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		is_int(check(c[i].s, c[i].n, 32, 0), c[i].want, "%s: '%s'", what,
		       show(c[i].s, c[i].n));
}

/* [ * n, then ] * n; or objects {"a": * n, 1, } * n. */
static char *nest(size_t n, int obj, size_t *len)
{
	size_t open = obj ? 5 : 1, i, o = 0;
	char *s = malloc(n * (open + 1) + 2);

	if (!s)
		abort();
	for (i = 0; i < n; i++) {
		memcpy(s + o, obj ? "{\"a\":" : "[", open);
		o += open;
	}
	s[o++] = '1';
	for (i = 0; i < n; i++)
		s[o++] = obj ? '}' : ']';
	*len = o;
	return s;
}

static void test_depth(void)
{
	static const int limits[] = { 1, 2, 32, 1000, S3_JSON_DEPTH_MAX };
	size_t len;
	char *s;

	for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
		int d = limits[i];

		for (int obj = 0; obj < 2; obj++) {
			s = nest((size_t)d, obj, &len);
			is_int(check(s, len, d, 0), OK, "%s nested %d deep, limit %d: ok",
			       obj ? "objects" : "arrays", d, d);
			free(s);
			s = nest((size_t)d + 1, obj, &len);
			is_int(check(s, len, d, 0), DEEP, "%s nested %d deep, limit %d: too deep",
			       obj ? "objects" : "arrays", d + 1, d);
			free(s);
		}
	}
	is_int(check(B("1"), 0, 0), OK, "limit 0: a scalar is fine");
	is_int(check(B("[]"), 0, 0), DEEP, "limit 0: an array is too deep");
	is_int(check(B("[]"), -5, 0), DEEP, "a negative limit is 0");
	s = nest(S3_JSON_DEPTH_MAX + 1, 0, &len);
	is_int(check(s, len, S3_JSON_DEPTH_MAX + 100, 0), DEEP,
	       "a limit above S3_JSON_DEPTH_MAX is S3_JSON_DEPTH_MAX");
	free(s);
	/* siblings do not add up */
	is_int(check(B("[[[1]],[[2]],{\"a\":[[3]]},[[[]]]]"), 4, 0), OK,
	       "depth is nesting, not count");
	is_int(check(B("[[[[[]]]]]"), 4, 0), DEEP, "5 levels over limit 4");
	/* too deep wins over a later or an earlier error, as the prescan did */
	is_int(check(B("[[[[[x"), 4, 0), DEEP, "too deep before garbage: too deep");
	is_int(check(B("x[[[[["), 4, 0), DEEP, "garbage before too deep: too deep");
	is_int(check(B("]]][[[[["), 4, 0), DEEP, "unbalanced closers first: too deep");
	is_int(check(B("{}[[[[["), 4, 0), DEEP, "trailing data too deep: too deep");
	is_int(check(B("\"\\ud800\"[[[[["), 4, NOLS), DEEP, "lone surrogate, then too deep");
	is_int(check(B("x[[[["), 4, 0), BAD, "garbage, 4 levels: invalid");
	is_int(check(B("[\"[[[[[\"]"), 4, 0), OK, "brackets in strings do not count");
	is_int(check(B("[\"\\\"[[[[[\"]"), 4, 0), OK, "nor after an escaped quote");
	is_int(check(B("x\"[[[[[\""), 4, 0), BAD, "nor in a string after garbage");
	is_int(check(B("\"\\\\\"[[[[["), 4, 0), DEEP, "an escaped backslash ends no string");
}

static void test_surrogates(void)
{
	static const struct { const char *s; size_t n; int lone; } c[] = {
		{ B("\"\\ud800\""), 1 },
		{ B("\"\\udbff\""), 1 },
		{ B("\"\\udc00\""), 1 },
		{ B("\"\\uDFFF\""), 1 },
		{ B("\"a\\ud800b\""), 1 },
		{ B("\"\\ud800\\u0041\""), 1 },         /* high, then no low */
		{ B("\"\\ud800\\ud800\""), 1 },
		{ B("\"\\udc00\\ud800\""), 1 },         /* low, then high: two lone */
		{ B("\"\\ud800\\\\udc00\""), 1 },       /* the low one is escaped text */
		{ B("{\"\\ud800\":1}"), 1 },            /* in a member name */
		{ B("\"\\ud800\\ud800\\udc00\""), 1 },  /* lone, then a pair */
		{ B("\"\\ud83d\\ude00\""), 0 },
		{ B("\"\\udbff\\udfff\""), 0 },
		{ B("\"\\ud7ff\\ue000\""), 0 },         /* next to the range */
	};

	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		is_int(check(c[i].s, c[i].n, 32, 0), OK, "surrogates, grammar only: '%s' valid",
		       show(c[i].s, c[i].n));
		is_int(check(c[i].s, c[i].n, 32, NOLS), c[i].lone ? LONE : OK,
		       "surrogates, NO_LONE_SURROGATES: '%s' %s", show(c[i].s, c[i].n),
		       c[i].lone ? "refused" : "valid");
	}
	is_int(check(B("\"\\ud800\" x"), 32, 0), TRL, "lone surrogate then garbage, grammar only");
	is_int(check(B("\"\\ud800\" x"), 32, NOLS), LONE, "with the flag the first error wins");
	is_int(check(B("\"\\ud800\\uZZZZ\""), 32, NOLS), LONE, "so the lone one before \\uZZZZ");
}

static void test_misc(void)
{
	is_int(s3_json_check(NULL, 0, 32, 0), BAD, "NULL, 0 bytes: invalid (empty)");
	is_int(check("{}garbage", 2, 32, 0), OK, "never read past n");
	is_int(check("\"abc\"", 4, 32, 0), BAD, "a string cut by n is unterminated");
}

static void test_nul_escape(void)
{
	static const char a[] = "{\"x\":\"a\\u0000b\"}", b[] = "{\"x\":\"a\\\\u0000\"}";
	static const char c[] = "\"\\\\\\u0000\"", d[] = "\"\\u000\"", e[] = "\"\\u00001\"";

	ok(s3_json_nul_escape(a, strlen(a)) == a + 7, "\\u0000 found at its backslash");
	ok(s3_json_nul_escape(b, strlen(b)) == NULL, "an escaped backslash before u0000 is none");
	ok(s3_json_nul_escape(c, strlen(c)) == c + 3, "\\\\ then \\u0000: found");
	ok(s3_json_nul_escape(d, strlen(d)) == NULL, "\\u000 is none");
	ok(s3_json_nul_escape(e, strlen(e)) == e + 1, "\\u00001 has one");
	ok(s3_json_nul_escape(a, 12) == NULL, "cut by n: none");
	ok(s3_json_nul_escape(a, 13) == a + 7, "exactly its six bytes: found");
	ok(s3_json_nul_escape("", 0) == NULL, "empty: none");
}

int main(void)
{
	test_table("issue 15", issue, sizeof issue / sizeof issue[0]);
	test_table("table", table, sizeof table / sizeof table[0]);
	test_depth();
	test_surrogates();
	test_misc();
	test_nul_escape();
	return done_testing();
}
