/* media_type.c - which body a request's Content-Type announces (media_type.h). */
#include "media_type.h"

#include <string.h>

#include "syntax.h"

static char ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* 1 when s[0..n) equals the lowercase want, ASCII case-insensitively. */
static int eq_nocase(const char *s, size_t n, const char *want)
{
	size_t i;

	if (strlen(want) != n)
		return 0;
	for (i = 0; i < n; i++)
		if (ascii_lower(s[i]) != want[i])
			return 0;
	return 1;
}

static int is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static const char *skip_ows(const char *p)
{
	while (is_ows(*p))
		p++;
	return p;
}

static int charset_ok(const char *v, size_t n)
{
	return eq_nocase(v, n, "utf-8") || eq_nocase(v, n, "us-ascii");
}

/* Reads one parameter value (token or quoted-string) at *pp, advancing
 * *pp past it. Its unquoted bytes go to buf, cut at cap - 1 (no accepted
 * value is that long); *len is its full length. Returns 0, or -1 when the
 * value is malformed. */
static int param_value(const char **pp, char *buf, size_t cap, size_t *len)
{
	const char *p = *pp;
	size_t n = 0;

	if (*p != '"') {
		for (; s3_is_tchar((unsigned char)*p); p++, n++)
			if (n < cap - 1)
				buf[n] = *p;
		if (n == 0)
			return -1;
	} else {
		for (p++; *p && *p != '"'; p++, n++) {
			if (*p == '\\' && !*++p)
				return -1;
			if (n < cap - 1)
				buf[n] = *p;
		}
		if (*p++ != '"')
			return -1;
	}
	buf[n < cap - 1 ? n : cap - 1] = '\0';
	*pp = p;
	*len = n;
	return 0;
}

/* Checks the parameters at p (which is at ';' or the end): each is
 * name=value, empty ones are allowed, a charset must be UTF-8 or ASCII.
 * Returns kind when they are acceptable. */
static enum s3_media check_params(const char *p, enum s3_media kind)
{
	const char *name;
	size_t nlen, vlen;
	char val[16];

	while (*p) {
		p = skip_ows(p + 1);    /* past the ';' */
		if (*p == ';' || *p == '\0')
			continue;
		for (name = p; s3_is_tchar((unsigned char)*p); p++)
			;
		nlen = (size_t)(p - name);
		if (nlen == 0 || *p++ != '=')
			return S3_MEDIA_MALFORMED;
		if (param_value(&p, val, sizeof val, &vlen) < 0)
			return S3_MEDIA_MALFORMED;
		if (eq_nocase(name, nlen, "charset") &&
		    (vlen >= sizeof val || !charset_ok(val, vlen)))
			return S3_MEDIA_CHARSET;
		p = skip_ows(p);
		if (*p != ';' && *p != '\0')
			return S3_MEDIA_MALFORMED;
	}
	return kind;
}

enum s3_media s3_media_type(const char *ct)
{
	const char *p, *end, *e;
	enum s3_media kind;

	if (!ct)
		return S3_MEDIA_UNSUPPORTED;
	p = skip_ows(ct);
	for (end = p; *end && *end != ';'; end++)
		;
	for (e = end; e > p && is_ows(e[-1]); e--)
		;
	if (eq_nocase(p, (size_t)(e - p), "application/json"))
		kind = S3_MEDIA_JSON;
	else if (eq_nocase(p, (size_t)(e - p), "application/x-www-form-urlencoded"))
		kind = S3_MEDIA_FORM;
	else
		return S3_MEDIA_UNSUPPORTED;
	return check_params(end, kind);
}
