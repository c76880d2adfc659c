/* sigv4.h - AWS Signature Version 4, query-string (presigned URL) style.
 *
 * Generic SigV4 query signing, split into the stages the AWS test suite
 * checks one by one: canonical query, canonical request, string to sign,
 * signing key, signature. Any service; the path comes in already encoded.
 * S3 URLs (hosts, addressing styles, key encoding) are built on top of this
 * in presign.h.
 *
 * Time and credentials are parameters; nothing here reads the clock, the
 * environment or a file. SHA-256 and HMAC-SHA256 are OpenSSL's. */
#ifndef SIGN_S3_SIGV4_H
#define SIGN_S3_SIGV4_H

#include <stddef.h>
#include <time.h>
#include "err.h"
#include "sbuf.h"

/* Limits (bytes unless stated). */
#define SIGV4_EXPIRES_MIN      1
#define SIGV4_EXPIRES_MAX      604800          /* 7 days: SigV4's ceiling */
#define SIGV4_MAX_KEY          1024            /* S3 object key limit */
#define SIGV4_MAX_BUCKET       255
#define SIGV4_MAX_REGION       64
#define SIGV4_MAX_SERVICE      32
#define SIGV4_MAX_ACCESS_KEY   128
#define SIGV4_MAX_SECRET       128
#define SIGV4_MAX_TOKEN        8192            /* STS tokens are ~1-2 KiB */
#define SIGV4_MAX_CONTENT_TYPE 255
#define SIGV4_MAX_DISPOSITION  255             /* a Content-Disposition value */
#define SIGV4_MAX_LENGTH_DIGITS 20             /* a Content-Length value */
#define SIGV4_MAX_HOST         300
#define SIGV4_MAX_PARAMS       8               /* extra query parameters */
#define SIGV4_MAX_PARAM        512             /* one extra name or value (an uploadId) */
#define SIGV4_MAX_ENDPOINT     300
/* Room for the largest URL the limits above allow (all encoded x3). */
#define SIGV4_URL_MAX          (SIGV4_MAX_ENDPOINT + SIGV4_MAX_BUCKET + 3 * SIGV4_MAX_KEY \
                                + 3 * SIGV4_MAX_TOKEN + 3 * SIGV4_MAX_ACCESS_KEY \
                                + 2 * 3 * SIGV4_MAX_PARAM * SIGV4_MAX_PARAMS + 1024)
#define SIGV4_CANON_MAX        (SIGV4_URL_MAX + 3 * SIGV4_MAX_CONTENT_TYPE \
                                + SIGV4_MAX_DISPOSITION + 1024)

#define SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
#define SIGV4_EMPTY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* Credentials, borrowed from the caller. session_token may be NULL. */
struct s3_creds {
	const char *access_key;
	const char *secret_key;
	const char *session_token;
};

/* An extra query parameter, raw (unencoded); it becomes part of the
 * canonical query and so of the signature (e.g. x-amz-acl=public-read). */
struct sigv4_param {
	const char *name;
	const char *value;
};

/* ---- layer 1: generic SigV4 query signing ---------------------------- */

struct sigv4_request {
	const char *method;        /* "GET", "PUT", ... */
	const char *host;          /* Host header, with :port when not default */
	const char *path;          /* canonical path, already URI-encoded */
	const struct sigv4_param *params;  /* extra query parameters, raw */
	size_t nparams;
	const char *content_type;  /* NULL: not signed; else signed header */
	const char *content_disposition;   /* the same, for Content-Disposition */
	const char *content_length;        /* the same, decimal (S3 refuses another length) */
	const char *content_md5;           /* the same, base64 of 16 bytes (S3: BadDigest) */
	const char *service;       /* "s3" */
	const char *region;
	const char *payload_hash;  /* SIGV4_UNSIGNED_PAYLOAD for S3 */
	time_t when;               /* signing time, UTC seconds */
	unsigned expires;          /* seconds, SIGV4_EXPIRES_MIN..MAX */
};

/* Stage 2: the canonical request, six lines joined by '\n' (its query line
 * is the canonical query: every parameter, X-Amz-* included but
 * X-Amz-Signature, encoded and sorted by name then value). */
enum s3_err sigv4_canonical_request(struct sbuf *out, const struct sigv4_request *r,
                                    const struct s3_creds *c);

/* Stage 3: the string to sign for a canonical request. */
enum s3_err sigv4_string_to_sign(struct sbuf *out, const struct sigv4_request *r,
                                 const char *canonical_request, size_t len);

/* Derived-key cache: the signing key changes once a day, so it is kept per
 * (secret, date, region, service) and reused, with the hash and HMAC
 * contexts. One per thread. Start it with sigv4_cache_init() (or zero it:
 * sigv4_presign_query() initializes a zeroed cache on first use);
 * sigv4_cache_clear() frees it and wipes it with OPENSSL_cleanse. */
struct sigv4_cache {
	int valid;
	char date8[9];
	char region[SIGV4_MAX_REGION + 1];
	char service[SIGV4_MAX_SERVICE + 1];
	char secret[SIGV4_MAX_SECRET + 1];
	unsigned char key[32];
	void *mac;                 /* EVP_MAC_CTX, HMAC-SHA256, keyed with key */
	void *md;                  /* EVP_MD for SHA-256, fetched once */
	void *mdctx;               /* EVP_MD_CTX reused for each hash */
};
enum s3_err sigv4_cache_init(struct sigv4_cache *k);
void sigv4_cache_clear(struct sigv4_cache *k);

/* HMAC-SHA256(key, msg) into out with k's context (an initialized cache):
 * the one HMAC of sign_s3, which stages 4 and 5 use too. Other users (the
 * notification's signature, notify.h) pass a cache of their own; keying
 * the context with another key forgets the signing key k held. */
enum s3_err sigv4_hmac(struct sigv4_cache *k, const void *key, size_t klen,
                       const void *msg, size_t len, unsigned char out[32]);

/* Stage 4: kSigning, the HMAC chain over date (YYYYMMDD), region, service,
 * into k (an initialized cache); nothing is derived when k already holds
 * the key for these four. */
enum s3_err sigv4_signing_key(struct sigv4_cache *k, const char *secret,
                              const char *date8, const char *region,
                              const char *service);

/* Stage 5: lowercase hex HMAC-SHA256(kSigning, string_to_sign), 64 chars +
 * NUL, with the key stage 4 put in k. Stages 4 and 5 are the production
 * path: sigv4_presign_query() calls them. */
enum s3_err sigv4_signature(char hex[65], struct sigv4_cache *k, const char *sts, size_t len);

/* All stages: appends the full query string to out: the canonical query
 * (sorted) followed by &X-Amz-Signature=. cache may be NULL. */
enum s3_err sigv4_presign_query(struct sbuf *out, const struct sigv4_request *r,
                                const struct s3_creds *c, struct sigv4_cache *cache);

/* The canonical query of n raw parameters: each name and value encoded,
 * sorted by name then value, joined name=value&... (a parameter without
 * a value is "name="). It is also the query a request's URL carries. */
enum s3_err sigv4_query(struct sbuf *out, const struct sigv4_param *p, size_t n);

/* ---- the Authorization header style (the S3 client) ------------------ */

#define SIGV4_MAX_HEADERS      16        /* headers signed besides host, x-amz-* */
#define SIGV4_MAX_HEADER_VALUE 2048
#define SIGV4_AUTH_MAX         (SIGV4_MAX_ACCESS_KEY + SIGV4_MAX_REGION + SIGV4_MAX_SERVICE \
                                + 32 * (SIGV4_MAX_HEADERS + 4) + 256)

/* A header to sign: any-case name (a token), raw value. */
struct sigv4_header {
	const char *name;
	const char *value;
};

struct sigv4_hrequest {
	const char *method;
	const char *host;          /* Host header, with :port when not default */
	const char *path;          /* canonical path, already URI-encoded */
	const struct sigv4_param *params;  /* query parameters, raw */
	size_t nparams;
	const struct sigv4_header *headers;  /* signed besides host and x-amz-* */
	size_t nheaders;
	const char *service;
	const char *region;
	const char *payload_hash;  /* hex SHA-256 of the body, or UNSIGNED-PAYLOAD */
	int content_sha256;        /* 1: sent and signed as x-amz-content-sha256 (S3) */
	time_t when;
};

/* What the request must carry: X-Amz-Date, Authorization (and, as the
 * caller sends them, X-Amz-Security-Token with the credentials' token and
 * x-amz-content-sha256 with payload_hash when asked). */
struct sigv4_hauth {
	char amz_date[17];
	char authorization[SIGV4_AUTH_MAX];
};

/* Stage 2, header style: METHOD, path, canonical query, the signed
 * headers (lowercase names, sorted; values trimmed, spaces folded) each
 * "name:value", a blank line, their names joined by ';', payload hash. */
enum s3_err sigv4_header_canonical_request(struct sbuf *out, const struct sigv4_hrequest *r,
                                           const struct s3_creds *c);

/* All stages into a; cache as for sigv4_presign_query (NULL: none). The
 * Authorization value is never logged (it names the access key). */
enum s3_err sigv4_sign_headers(struct sigv4_hauth *a, const struct sigv4_hrequest *r,
                               const struct s3_creds *c, struct sigv4_cache *cache);

#endif
