/* url.h - the one URL parser of sign_s3: http and https URLs with a
 * strict authority. Used by the S3_ENDPOINT and S3_PUBLIC_URL validators
 * (config.c), the container and IMDS endpoints (creds_http.c), the
 * presigner's endpoint split (presign.c) and the outbound client's request
 * check (http.c).
 *
 *   scheme "://" host [ ":" port ] rest
 *
 *  - scheme: http or https, in any case;
 *  - host: a DNS name (labels of A-Z a-z 0-9 -, 1..S3_URL_MAX_LABEL bytes,
 *    not starting or ending with '-', S3_URL_MAX_HOST bytes in all, no
 *    empty label, so no trailing dot), an IPv4 dotted quad, or an IPv6
 *    address in brackets (inet_pton decides; no zone, so no '%'). A name
 *    whose last label is a number ("1.2.3", "a.0x7f") is read by URL
 *    parsers (WHATWG, curl) as an IPv4 address, so it must be a valid
 *    dotted quad;
 *  - port: 1 to S3_URL_PORT_DIGITS digits, value 1..65535. Leading zeros
 *    count for nothing ("09000" is 9000); an empty port ("host:") is
 *    refused;
 *  - rest: empty, or from the first '/' or '?' on (path and query);
 *  - no userinfo ('@' before the rest), no fragment ('#' anywhere), no
 *    byte outside printable ASCII 0x21-0x7e (percent-encode the others),
 *    at most S3_URL_MAX bytes.
 * The parser does not rewrite anything: the host keeps its case and a port
 * equal to the scheme's default is reported as written. */
#ifndef SIGN_S3_URL_H
#define SIGN_S3_URL_H

#include <stddef.h>

#define S3_URL_MAX          2048    /* bytes of a whole URL */
#define S3_URL_MAX_HOST     253     /* bytes of a DNS name */
#define S3_URL_MAX_LABEL    63      /* bytes of one DNS label */
#define S3_URL_MAX_PORT     65535
#define S3_URL_PORT_DIGITS  5       /* at most, leading zeros included */

enum s3_url_host {
	S3_URL_NAME,               /* a DNS name */
	S3_URL_IPV4,               /* a dotted quad */
	S3_URL_IPV6,               /* "[...]" */
};

struct s3_url {
	int https;                 /* 1: https, 0: http */
	enum s3_url_host kind;
	const char *host;          /* into the input, as written; IPv6 with its
	                            * brackets. host .. rest is "host[:port]" */
	size_t host_len;
	unsigned char addr[16];    /* IPv4 (4 bytes) or IPv6 (16), network order */
	unsigned port;             /* 1..65535; 0 when none is written */
	const char *rest;          /* into the input: "", or from '/' or '?' */
	size_t rest_len;
};

/* Parses s[0..n) (a NUL inside is refused) into out. Returns NULL, or a
 * fixed message starting "expected ..." (never a part of s). On failure
 * out is zeroed. */
const char *s3_url_parse(const char *s, size_t n, struct s3_url *out);

struct sbuf;

/* Appends u's origin, the way a browser writes one in Origin and the way
 * S3_ENDPOINT is stored: "http://" or "https://", the host in lower case,
 * ":port" unless the port is the scheme's default (or none was written). */
void s3_url_origin(const struct s3_url *u, struct sbuf *b);

#endif
