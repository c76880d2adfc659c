/* url.c - http[s] URLs with a strict authority (see url.h). */
#include "url.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "sbuf.h"
#include "syntax.h"

#define WHY_LONG     "expected at most " S3_STR(S3_URL_MAX) " bytes"
#define WHY_CTL      "expected no whitespace or control characters"
#define WHY_ASCII    "expected ASCII only (percent-encode other bytes)"
#define WHY_FRAGMENT "expected no fragment ('#')"
#define WHY_SCHEME   "expected http:// or https://"
#define WHY_USERINFO "expected no userinfo ('@')"
#define WHY_NOHOST   "expected a host after the scheme"
#define WHY_HOST     "expected a host name or IPv4 address (A-Z a-z 0-9 . -, 1.." \
                     S3_STR(S3_URL_MAX_HOST) " bytes)"
#define WHY_IPV6     "expected a valid bracketed IPv6 address"
#define WHY_PORT     "expected a port 1.." S3_STR(S3_URL_MAX_PORT)

static int is_xdigit(unsigned char c)
{
	return s3_is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* A label a URL parser reads as a number: decimal digits, or 0x and hex. */
static int numeric_label(const char *l, size_t n)
{
	size_t i;
	int hex = n >= 2 && l[0] == '0' && (l[1] == 'x' || l[1] == 'X');

	for (i = hex ? 2 : 0; i < n; i++)
		if (hex ? !is_xdigit((unsigned char)l[i]) : !s3_is_digit((unsigned char)l[i]))
			return 0;
	return 1;
}

/* h[0..n): DNS labels; a name ending in a numeric label must be IPv4. */
static int host_ok(const char *h, size_t n, struct s3_url *u)
{
	char tmp[INET_ADDRSTRLEN];
	size_t start = 0;

	if (n == 0 || n > S3_URL_MAX_HOST)
		return 0;
	for (size_t i = 0; i <= n; i++) {
		size_t len = i - start;

		if (i < n && h[i] != '.') {
			if (!s3_is_alnum((unsigned char)h[i]) && h[i] != '-')
				return 0;
			continue;
		}
		if (len == 0 || len > S3_URL_MAX_LABEL || h[start] == '-' || h[i - 1] == '-')
			return 0;
		if (i == n && !numeric_label(h + start, len)) {
			u->kind = S3_URL_NAME;
			return 1;
		}
		start = i + 1;
	}
	if (n >= sizeof(tmp))
		return 0;
	memcpy(tmp, h, n);
	tmp[n] = '\0';
	u->kind = S3_URL_IPV4;
	return inet_pton(AF_INET, tmp, u->addr) == 1;
}

/* The inside of "[...]". */
static int ipv6_ok(const char *h, size_t n, struct s3_url *u)
{
	char tmp[INET6_ADDRSTRLEN];

	if (n < 2 || n >= sizeof(tmp))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!is_xdigit((unsigned char)h[i]) && h[i] != ':' && h[i] != '.')
			return 0;
	memcpy(tmp, h, n);
	tmp[n] = '\0';
	u->kind = S3_URL_IPV6;
	return inet_pton(AF_INET6, tmp, u->addr) == 1;
}

static int port_ok(const char *p, size_t n, unsigned *port)
{
	unsigned v = 0;

	if (n == 0 || n > S3_URL_PORT_DIGITS)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (!s3_is_digit((unsigned char)p[i]))
			return 0;
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	if (v < 1 || v > S3_URL_MAX_PORT)
		return 0;
	*port = v;
	return 1;
}

static const char *parse(const char *s, size_t n, struct s3_url *u)
{
	const char *end = s + n, *p, *auth_end, *host_end;

	if (n > S3_URL_MAX)
		return WHY_LONG;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c == 0x7f)
			return WHY_CTL;
		if (c > 0x7f)
			return WHY_ASCII;
		if (c == '#')
			return WHY_FRAGMENT;
	}
	if (n >= 7 && !strncasecmp(s, "http://", 7)) {
		p = s + 7;
	} else if (n >= 8 && !strncasecmp(s, "https://", 8)) {
		p = s + 8;
		u->https = 1;
	} else {
		return WHY_SCHEME;
	}
	for (auth_end = p; auth_end < end && *auth_end != '/' && *auth_end != '?'; auth_end++)
		if (*auth_end == '@')
			return WHY_USERINFO;
	if (p == auth_end || *p == ':')
		return WHY_NOHOST;
	if (*p == '[') {
		const char *close = memchr(p, ']', (size_t)(auth_end - p));

		if (!close || !ipv6_ok(p + 1, (size_t)(close - p - 1), u))
			return WHY_IPV6;
		host_end = close + 1;
		if (host_end < auth_end && *host_end != ':')
			return WHY_IPV6;
	} else {
		host_end = memchr(p, ':', (size_t)(auth_end - p));
		if (!host_end)
			host_end = auth_end;
		if (!host_ok(p, (size_t)(host_end - p), u))
			return WHY_HOST;
	}
	if (host_end < auth_end &&
	    !port_ok(host_end + 1, (size_t)(auth_end - host_end - 1), &u->port))
		return WHY_PORT;
	u->host = p;
	u->host_len = (size_t)(host_end - p);
	u->rest = auth_end;
	u->rest_len = (size_t)(end - auth_end);
	return NULL;
}

const char *s3_url_parse(const char *s, size_t n, struct s3_url *out)
{
	const char *why;

	memset(out, 0, sizeof(*out));
	if (!s)
		return WHY_SCHEME;
	if ((why = parse(s, n, out)))
		memset(out, 0, sizeof(*out));
	return why;
}

void s3_url_origin(const struct s3_url *u, struct sbuf *b)
{
	sbuf_adds(b, u->https ? "https://" : "http://");
	for (size_t i = 0; i < u->host_len; i++) {
		char c = u->host[i];

		sbuf_addc(b, c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c);
	}
	if (u->port && u->port != (u->https ? 443u : 80u)) {
		char num[12];

		snprintf(num, sizeof num, ":%u", u->port);
		sbuf_adds(b, num);
	}
}
