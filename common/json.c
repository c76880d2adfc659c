/* json.c - the strict RFC 8259 check of a JSON text (see json.h for what
 * it enforces and why: the cJSON differential). One pass over the bytes,
 * no recursion, no allocation: a value at a time, with the kind of each
 * open container (object or array) on a bit stack. */
#include "json.h"

#include <limits.h>
#include <string.h>

#include "syntax.h"
#include "utf8.h"

#define JSON_BOM      "\xef\xbb\xbf"  /* U+FEFF in UTF-8 */
#define JSON_BOM_LEN  3
#define JSON_UESC_LEN 6               /* \uXXXX */

#define IS_HIGH_SURROGATE(u) ((u) >= 0xD800 && (u) <= 0xDBFF)
#define IS_LOW_SURROGATE(u)  ((u) >= 0xDC00 && (u) <= 0xDFFF)

struct scan {
	const unsigned char *p, *end;
	unsigned             flags;
};

static int is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void skip_ws(struct scan *sc)
{
	while (sc->p < sc->end && is_ws(*sc->p))
		sc->p++;
}

/* The code unit of the \uXXXX escape at p, or -1 when the bytes p[0..end)
 * do not start with one. */
static long uescape(const unsigned char *p, const unsigned char *end)
{
	long v = 0;
	int i, d;

	if (end - p < JSON_UESC_LEN || p[0] != '\\' || p[1] != 'u')
		return -1;
	for (i = 2; i < JSON_UESC_LEN; i++) {
		if ((d = s3_hex_value(p[i])) < 0)
			return -1;
		v = v << 4 | d;
	}
	return v;
}

/* The string at sc->p (its opening '"'); on success sc->p is past the
 * closing '"'. */
static enum s3_json_result scan_string(struct scan *sc)
{
	const unsigned char *p = sc->p + 1, *end = sc->end;
	unsigned long cp;
	size_t k;
	long u, u2;

	for (;;) {
		if (p == end)
			return S3_JSON_INVALID;
		if (*p == '"')
			break;
		if (*p < 0x20)
			return S3_JSON_INVALID;
		if (*p >= 0x80) {
			if (!(k = utf8_decode((const char *)p, (size_t)(end - p), &cp)))
				return S3_JSON_INVALID;
			p += k;
			continue;
		}
		if (*p != '\\') {
			p++;
			continue;
		}
		if (end - p < 2)
			return S3_JSON_INVALID;
		if (p[1] != 'u') {
			if (!memchr("\"\\/bfnrt", p[1], 8))
				return S3_JSON_INVALID;
			p += 2;
			continue;
		}
		if ((u = uescape(p, end)) < 0)
			return S3_JSON_INVALID;
		p += JSON_UESC_LEN;
		u2 = IS_HIGH_SURROGATE(u) ? uescape(p, end) : -1;
		if (IS_LOW_SURROGATE(u2)) {
			p += JSON_UESC_LEN;         /* a pair: one character */
			continue;
		}
		/* a lone surrogate; whatever follows is read on its own */
		if ((IS_HIGH_SURROGATE(u) || IS_LOW_SURROGATE(u)) &&
		    (sc->flags & S3_JSON_NO_LONE_SURROGATES))
			return S3_JSON_LONE_SURROGATE;
	}
	sc->p = p + 1;
	return S3_JSON_OK;
}

/* The number at sc->p (a '-' or a digit). What follows it is the caller's
 * business: "01" is the number 0, then a '1' that no rule allows there. */
static enum s3_json_result scan_number(struct scan *sc)
{
	const unsigned char *p = sc->p, *end = sc->end;

	if (*p == '-')
		p++;
	if (p == end || !s3_is_digit(*p))
		return S3_JSON_INVALID;
	if (*p++ != '0')
		while (p < end && s3_is_digit(*p))
			p++;
	if (p < end && *p == '.') {
		if (++p == end || !s3_is_digit(*p))
			return S3_JSON_INVALID;
		while (p < end && s3_is_digit(*p))
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		if (++p < end && (*p == '+' || *p == '-'))
			p++;
		if (p == end || !s3_is_digit(*p))
			return S3_JSON_INVALID;
		while (p < end && s3_is_digit(*p))
			p++;
	}
	sc->p = p;
	return S3_JSON_OK;
}

/* The literal word at sc->p. */
static enum s3_json_result scan_word(struct scan *sc, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(sc->end - sc->p) < n || memcmp(sc->p, word, n) != 0)
		return S3_JSON_INVALID;
	sc->p += n;
	return S3_JSON_OK;
}

/* A member's name and its ':', white space around them. */
static enum s3_json_result scan_name(struct scan *sc)
{
	enum s3_json_result r;

	skip_ws(sc);
	if (sc->p == sc->end || *sc->p != '"')
		return S3_JSON_INVALID;
	if ((r = scan_string(sc)) != S3_JSON_OK)
		return r;
	skip_ws(sc);
	if (sc->p == sc->end || *sc->p != ':')
		return S3_JSON_INVALID;
	sc->p++;
	return S3_JSON_OK;
}

/* The grammar, first error wins. */
static enum s3_json_result check_strict(const char *s, size_t n, unsigned max,
					unsigned flags)
{
	unsigned char is_obj[S3_JSON_DEPTH_MAX / CHAR_BIT] = { 0 };
	struct scan sc = { (const unsigned char *)s, (const unsigned char *)s + n, flags };
	enum s3_json_result r;
	unsigned depth = 0, top;
	int want_value = 1;
	unsigned char c;

	if (n >= JSON_BOM_LEN && memcmp(s, JSON_BOM, JSON_BOM_LEN) == 0)
		sc.p += JSON_BOM_LEN;
	for (;;) {
		if (want_value) {
			skip_ws(&sc);
			if (sc.p == sc.end)
				return S3_JSON_INVALID;
			c = *sc.p;
			if (c == '{' || c == '[') {
				if (depth == max)
					return S3_JSON_TOO_DEEP;
				if (c == '{')
					is_obj[depth / CHAR_BIT] |= (unsigned char)(1u << depth % CHAR_BIT);
				else
					is_obj[depth / CHAR_BIT] &= (unsigned char)~(1u << depth % CHAR_BIT);
				depth++;
				sc.p++;
				skip_ws(&sc);
				if (sc.p < sc.end && *sc.p == (c == '{' ? '}' : ']')) {
					sc.p++;             /* empty */
					depth--;
					want_value = 0;
				} else if (c == '{' && (r = scan_name(&sc)) != S3_JSON_OK) {
					return r;
				}
				continue;
			}
			if (c == '"')
				r = scan_string(&sc);
			else if (c == '-' || s3_is_digit(c))
				r = scan_number(&sc);
			else if (c == 't')
				r = scan_word(&sc, "true");
			else if (c == 'f')
				r = scan_word(&sc, "false");
			else if (c == 'n')
				r = scan_word(&sc, "null");
			else
				r = S3_JSON_INVALID;
			if (r != S3_JSON_OK)
				return r;
			want_value = 0;
		}
		/* after a value: the end, a closer or a comma */
		skip_ws(&sc);
		if (depth == 0)
			return sc.p == sc.end ? S3_JSON_OK : S3_JSON_TRAILING;
		if (sc.p == sc.end)
			return S3_JSON_INVALID;
		top = depth - 1;
		c = (is_obj[top / CHAR_BIT] >> top % CHAR_BIT) & 1u ? '}' : ']';
		if (*sc.p == c) {
			sc.p++;
			depth--;
			continue;
		}
		if (*sc.p != ',')
			return S3_JSON_INVALID;
		sc.p++;
		if (c == '}' && (r = scan_name(&sc)) != S3_JSON_OK)
			return r;
		want_value = 1;
	}
}

/* 1 when the brackets outside strings nest deeper than max, counted the
 * lenient way of json.h (the rule of the request decoder's former
 * prescan, whatever the grammar says). */
static int lenient_too_deep(const char *s, size_t n, unsigned max)
{
	size_t i, depth = 0;
	int in_str = 0;

	for (i = 0; i < n; i++) {
		if (in_str) {
			if (s[i] == '"')
				in_str = 0;
			else if (s[i] == '\\')
				i++;        /* the escaped byte */
		} else if (s[i] == '"') {
			in_str = 1;
		} else if (s[i] == '[' || s[i] == '{') {
			if (++depth > max)
				return 1;
		} else if ((s[i] == ']' || s[i] == '}') && depth > 0) {
			depth--;
		}
	}
	return 0;
}

enum s3_json_result s3_json_check(const char *s, size_t n, int max_depth,
				  unsigned flags)
{
	unsigned max = max_depth < 0 ? 0
		     : max_depth > S3_JSON_DEPTH_MAX ? S3_JSON_DEPTH_MAX
		     : (unsigned)max_depth;
	enum s3_json_result r;

	if (!s)
		return S3_JSON_INVALID;
	r = check_strict(s, n, max, flags);
	/* On a valid text both counts agree: only a refusal needs the second. */
	if (r != S3_JSON_OK && r != S3_JSON_TOO_DEEP && lenient_too_deep(s, n, max))
		r = S3_JSON_TOO_DEEP;
	return r;
}

const char *s3_json_nul_escape(const char *s, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++) {
		if (s[i] != '\\')
			continue;
		if (n - i >= JSON_UESC_LEN && memcmp(s + i + 1, "u0000", 5) == 0)
			return s + i;
		i++;                /* the escaped character */
	}
	return NULL;
}
