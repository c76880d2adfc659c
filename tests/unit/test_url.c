/* test_url.c - common/url.c: which URLs are accepted and what is reported
 * for them, which are refused and why. Every case is written out here, not
 * derived from the code. Nothing is contacted; the addresses are loopback
 * or documentation ones (192.0.2.0/24, 2001:db8::/32), never a metadata
 * service's. */
#include <stdio.h>
#include <string.h>
#include "tap.h"
#include "sbuf.h"
#include "url.h"

struct good {
	const char *url;
	int https;
	enum s3_url_host kind;
	const char *host;          /* as written */
	unsigned port;
	const char *rest;
};

static const struct good good[] = {
	{ "http://minio", 0, S3_URL_NAME, "minio", 0, "" },
	{ "https://s3.example.com", 1, S3_URL_NAME, "s3.example.com", 0, "" },
	{ "HTTP://LocalHost:9000/", 0, S3_URL_NAME, "LocalHost", 9000, "/" },
	{ "HtTpS://S3.Example.COM/a/b?x=1&y", 1, S3_URL_NAME, "S3.Example.COM", 0, "/a/b?x=1&y" },
	{ "http://a", 0, S3_URL_NAME, "a", 0, "" },
	{ "http://a-b.c-d", 0, S3_URL_NAME, "a-b.c-d", 0, "" },
	{ "http://1a.example", 0, S3_URL_NAME, "1a.example", 0, "" },
	{ "http://123.example", 0, S3_URL_NAME, "123.example", 0, "" },
	{ "http://example.1a", 0, S3_URL_NAME, "example.1a", 0, "" },
	{ "http://x?q", 0, S3_URL_NAME, "x", 0, "?q" },
	{ "http://x/%41%zz@", 0, S3_URL_NAME, "x", 0, "/%41%zz@" },   /* path bytes are the caller's */
	/* default ports are reported as written */
	{ "http://minio:80", 0, S3_URL_NAME, "minio", 80, "" },
	{ "https://minio:443/", 1, S3_URL_NAME, "minio", 443, "/" },
	{ "http://minio:443", 0, S3_URL_NAME, "minio", 443, "" },
	{ "https://minio:80", 1, S3_URL_NAME, "minio", 80, "" },
	/* ports: 1..65535, leading zeros count for nothing, 5 digits at most */
	{ "http://minio:1", 0, S3_URL_NAME, "minio", 1, "" },
	{ "http://minio:65535", 0, S3_URL_NAME, "minio", 65535, "" },
	{ "http://minio:09000", 0, S3_URL_NAME, "minio", 9000, "" },
	{ "http://minio:00080/x", 0, S3_URL_NAME, "minio", 80, "/x" },
	/* IPv4 */
	{ "http://127.0.0.1", 0, S3_URL_IPV4, "127.0.0.1", 0, "" },
	{ "http://192.0.2.2:8080/v2/creds", 0, S3_URL_IPV4, "192.0.2.2", 8080, "/v2/creds" },
	{ "http://255.255.255.255", 0, S3_URL_IPV4, "255.255.255.255", 0, "" },
	/* IPv6, with and without a port, any case, IPv4-mapped */
	{ "http://[::1]", 0, S3_URL_IPV6, "[::1]", 0, "" },
	{ "http://[::1]:9000/x", 0, S3_URL_IPV6, "[::1]", 9000, "/x" },
	{ "https://[2001:DB8::1]:443/", 1, S3_URL_IPV6, "[2001:DB8::1]", 443, "/" },
	{ "http://[fd00:db8::254]", 0, S3_URL_IPV6, "[fd00:db8::254]", 0, "" },
	{ "http://[::ffff:127.0.0.1]", 0, S3_URL_IPV6, "[::ffff:127.0.0.1]", 0, "" },
	{ "http://[1:2:3:4:5:6:7:8]?q", 0, S3_URL_IPV6, "[1:2:3:4:5:6:7:8]", 0, "?q" },
};

struct bad {
	const char *url;
	const char *why;           /* the start of the message */
};

static const struct bad bad[] = {
	/* scheme */
	{ "", "expected http:// or https://" },
	{ "minio:9000", "expected http:// or https://" },
	{ "ftp://minio", "expected http:// or https://" },
	{ "file:///etc/passwd", "expected http:// or https://" },
	{ "http:/minio", "expected http:// or https://" },
	{ "httpss://minio", "expected http:// or https://" },
	{ "//minio", "expected http:// or https://" },
	/* empty host */
	{ "http://", "expected a host" },
	{ "https://", "expected a host" },
	{ "http:///x", "expected a host" },
	{ "http://?x", "expected a host" },
	{ "http://:80", "expected a host" },
	/* names */
	{ "http://-minio", "expected a host name" },
	{ "http://minio-", "expected a host name" },
	{ "http://a.-b", "expected a host name" },
	{ "http://a..b", "expected a host name" },
	{ "http://.a", "expected a host name" },
	{ "http://example.com.", "expected a host name" },      /* trailing dot */
	{ "http://mi_nio", "expected a host name" },
	{ "http://mi*nio", "expected a host name" },
	{ "http://[::1", "expected a valid bracketed IPv6" },
	{ "http://mi]nio", "expected a host name" },
	/* 64-byte label */
	{ "http://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com",
	  "expected a host name" },
	/* IPv4 and names a URL parser reads as IPv4 */
	{ "http://256.1.1.1", "expected a host name" },
	{ "http://1.2.3", "expected a host name" },
	{ "http://1.2.3.4.5", "expected a host name" },
	{ "http://127.1", "expected a host name" },
	{ "http://2130706433", "expected a host name" },
	{ "http://010.0.0.1", "expected a host name" },         /* octal to curl */
	{ "http://0x7f.0.0.1", "expected a host name" },
	{ "http://1.2.3.0x7f", "expected a host name" },
	{ "http://example.123", "expected a host name" },
	{ "http://example.0x1f", "expected a host name" },
	/* IPv6 */
	{ "http://[]", "expected a valid bracketed IPv6" },
	{ "http://[:]", "expected a valid bracketed IPv6" },
	{ "http://[::1:9000", "expected a valid bracketed IPv6" },
	{ "http://[zz::1]", "expected a valid bracketed IPv6" },
	{ "http://[1:::2]", "expected a valid bracketed IPv6" },
	{ "http://[1:2:3:4:5:6:7:8:9]", "expected a valid bracketed IPv6" },
	{ "http://[127.0.0.1]", "expected a valid bracketed IPv6" },
	{ "http://[::1]x", "expected a valid bracketed IPv6" },
	{ "http://[::1]]", "expected a valid bracketed IPv6" },
	{ "http://::1", "expected a host" },
	{ "http://[fe80::1%25eth0]", "expected a valid bracketed IPv6" },   /* zone: '%' */
	{ "http://[fe80::1%eth0]", "expected a valid bracketed IPv6" },
	/* ports */
	{ "http://minio:", "expected a port" },
	{ "http://minio:/x", "expected a port" },
	{ "http://minio:0", "expected a port" },
	{ "http://minio:00000", "expected a port" },
	{ "http://minio:65536", "expected a port" },
	{ "http://minio:99999", "expected a port" },
	{ "http://minio:000080", "expected a port" },            /* 6 digits */
	{ "http://minio:99999999999999999999", "expected a port" },
	{ "http://minio:+80", "expected a port" },
	{ "http://minio:-80", "expected a port" },
	{ "http://minio:80a", "expected a port" },
	{ "http://minio:0x50", "expected a port" },
	{ "http://minio:80:81", "expected a port" },
	{ "http://[::1]:", "expected a port" },
	{ "http://[::1]:0", "expected a port" },
	/* userinfo */
	{ "http://user@minio", "expected no userinfo" },
	{ "http://user:pw@minio", "expected no userinfo" },
	{ "http://@minio", "expected no userinfo" },
	{ "http://minio@", "expected no userinfo" },
	{ "http://[::1]@evil", "expected no userinfo" },
	/* '%' anywhere in the authority */
	{ "http://mi%6eio", "expected a host name" },
	{ "http://minio:%38%30", "expected a port" },
	/* fragments, whitespace, control and non-ASCII bytes */
	{ "http://minio#frag", "expected no fragment" },
	{ "http://minio/x#frag", "expected no fragment" },
	{ "http://mi nio", "expected no whitespace" },
	{ " http://minio", "expected no whitespace" },
	{ "http://minio ", "expected no whitespace" },
	{ "http://minio/a b", "expected no whitespace" },
	{ "http://minio/\t", "expected no whitespace" },
	{ "http://minio/\r\nHost: evil", "expected no whitespace" },
	{ "http://minio/\x7f", "expected no whitespace" },
	{ "http://b\xc3\xbc" "cher.example", "expected ASCII only" },
	{ "http://minio/\xc3\xa9", "expected ASCII only" },
};

static void accepted(void)
{
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		const struct good *g = &good[i];
		struct s3_url u;
		const char *why = s3_url_parse(g->url, strlen(g->url), &u);

		if (!ok(why == NULL, "accepted: %s", g->url)) {
			diag("why: %s", why);
			continue;
		}
		ok(u.https == g->https && u.kind == g->kind && u.port == g->port &&
		   u.host_len == strlen(g->host) && !memcmp(u.host, g->host, u.host_len) &&
		   u.rest_len == strlen(g->rest) && !memcmp(u.rest, g->rest, u.rest_len) &&
		   u.rest == g->url + strlen(g->url) - strlen(g->rest),
		   "%s: https %d, kind %d, host %s, port %u, rest '%s'", g->url, g->https,
		   (int)g->kind, g->host, g->port, g->rest);
	}
}

/* url for a test's name: bytes outside 0x20-0x7e as '?' (TAP is lines). */
static const char *shown(const char *url)
{
	static char buf[128];
	size_t i;

	for (i = 0; url[i] && i < sizeof(buf) - 1; i++)
		buf[i] = url[i] >= 0x20 && url[i] < 0x7f ? url[i] : '?';
	buf[i] = '\0';
	return buf;
}

static void refused(void)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const struct bad *b = &bad[i];
		struct s3_url u;
		const char *why;

		memset(&u, 'X', sizeof(u));
		why = s3_url_parse(b->url, strlen(b->url), &u);
		if (!ok(why && !strncmp(why, b->why, strlen(b->why)), "refused: %s (%s)",
		        shown(b->url), why ? why : "accepted"))
			diag("want: %s...", b->why);
		ok(u.host == NULL && u.rest == NULL && u.port == 0, "refused: %s: nothing reported",
		   shown(b->url));
	}
}

static void addresses(void)
{
	static const unsigned char v4[4] = { 192, 0, 2, 23 };
	static const unsigned char v6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
	                                      0, 0, 0, 0, 0, 0, 0, 0x23 };
	struct s3_url u;

	ok(!s3_url_parse("http://192.0.2.23/x", 19, &u) && !memcmp(u.addr, v4, 4),
	   "IPv4: the address bytes");
	ok(!s3_url_parse("http://[2001:DB8::23]:80", 24, &u) && !memcmp(u.addr, v6, 16),
	   "IPv6: the address bytes");
}

static void lengths(void)
{
	static char url[S3_URL_MAX + 2];
	char host[S3_URL_MAX_HOST + 2];
	struct s3_url u;

	/* n bounds the input: what follows is not read */
	ok(!s3_url_parse("http://minio/x", 12, &u) && u.rest_len == 0, "n stops before the path");
	ok(!s3_url_parse("http://minio:9000", 14, &u) && u.port == 9, "n stops inside the port");
	ok(s3_url_parse("http://minio\0x", 14, &u) != NULL, "a NUL inside n is refused");
	ok(s3_url_parse(NULL, 0, &u) != NULL, "NULL is refused");

	/* a whole URL of S3_URL_MAX bytes, not one more */
	memcpy(url, "http://minio/", 13);
	memset(url + 13, 'p', S3_URL_MAX - 13);
	url[S3_URL_MAX] = '\0';
	ok(!s3_url_parse(url, S3_URL_MAX, &u), "%d bytes accepted", S3_URL_MAX);
	url[S3_URL_MAX] = 'p';
	url[S3_URL_MAX + 1] = '\0';
	is_str(s3_url_parse(url, S3_URL_MAX + 1, &u), "expected at most 2048 bytes",
	       "%d bytes refused", S3_URL_MAX + 1);

	/* a host of 253 bytes (labels of 63), not 254; labels of 63, not 64 */
	for (size_t i = 0; i < sizeof(host) - 1; i++)
		host[i] = i % 64 == 63 ? '.' : 'h';
	host[S3_URL_MAX_HOST] = '\0';
	snprintf(url, sizeof(url), "http://%s", host);
	ok(!s3_url_parse(url, strlen(url), &u) && u.host_len == 253, "host of 253 bytes accepted");
	host[S3_URL_MAX_HOST] = 'h';
	host[S3_URL_MAX_HOST + 1] = '\0';
	snprintf(url, sizeof(url), "http://%s", host);
	ok(s3_url_parse(url, strlen(url), &u) != NULL, "host of 254 bytes refused");
	snprintf(url, sizeof(url), "http://%.63s.com", host);
	ok(!s3_url_parse(url, strlen(url), &u), "label of 63 bytes accepted");
}

/* s3_url_origin: what S3_ENDPOINT, S3_CORS_ORIGINS and doctor's --origin
 * store, as a browser writes Origin. */
static void origins(void)
{
	static const char *const cases[][2] = {
		{ "HTTPS://App.Example.COM:443", "https://app.example.com" },
		{ "http://Host.test:80", "http://host.test" },
		{ "http://host.test:443", "http://host.test:443" },
		{ "https://host.test:80", "https://host.test:80" },
		{ "http://127.0.0.1:9000", "http://127.0.0.1:9000" },
		{ "http://[::1]:8080", "http://[::1]:8080" },
		{ "https://x.test", "https://x.test" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct s3_url u;
		struct sbuf b;
		char out[64];

		sbuf_init(&b, out, sizeof out);
		if (s3_url_parse(cases[i][0], strlen(cases[i][0]), &u)) {
			ok(0, "origin of %s: parsed", cases[i][0]);
			continue;
		}
		s3_url_origin(&u, &b);
		ok(sbuf_ok(&b) && b.len == strlen(cases[i][1]) && !memcmp(out, cases[i][1], b.len),
		   "origin of %s is %s", cases[i][0], cases[i][1]);
	}
}

int main(void)
{
	accepted();
	refused();
	addresses();
	lengths();
	origins();
	return done_testing();
}
