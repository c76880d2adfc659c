/* presign.h - S3 presigned URLs.
 *
 * s3_presign() makes a presigned URL from bucket, key, region, endpoint and
 * addressing style, on top of the SigV4 stages in sigv4.h. The key is
 * URI-encoded once; that one string is used both on the wire and in the
 * canonical request (S3 neither normalizes nor double-encodes paths). The
 * payload hash is UNSIGNED-PAYLOAD; no checksum or other SDK parameters are
 * added.
 *
 * Addressing:
 *  - AWS (no endpoint), virtual-hosted: https://BUCKET.s3.amazonaws.com in
 *    us-east-1, https://BUCKET.s3.REGION.amazonaws.com elsewhere;
 *  - AWS, path-style: https://s3[.REGION].amazonaws.com/BUCKET/KEY;
 *  - custom endpoint: ENDPOINT/BUCKET/KEY (path-style unless virtual is
 *    asked for), the Host carrying the port;
 *  - a bucket that is not DNS-compatible (upper case, underscores, dots
 *    under https, ...) is always path-style. */
#ifndef SIGN_S3_PRESIGN_H
#define SIGN_S3_PRESIGN_H

#include "sigv4.h"

enum s3_style {
	S3_STYLE_AUTO = 0,   /* virtual-hosted on AWS, path-style on an endpoint */
	S3_STYLE_VIRTUAL,    /* virtual-hosted when the bucket allows it */
	S3_STYLE_PATH,
};

struct s3_target {
	const char *bucket;
	const char *region;
	const char *endpoint;   /* NULL for AWS; else "http[s]://host[:port]" */
	enum s3_style style;
};

struct s3_presign_in {
	const char *method;       /* PUT, GET, HEAD or DELETE */
	const char *key;          /* raw object key, UTF-8, 1..SIGV4_MAX_KEY bytes */
	size_t key_len;
	const char *content_type; /* NULL or "" for none */
	const char *content_disposition;   /* NULL or "" for none; signed like it */
	const char *content_length;        /* NULL or "": none; decimal: signed, S3
	                                      refuses a body of any other length */
	const char *content_md5;           /* NULL or "": none; base64 MD5: signed, S3
	                                      refuses other bytes (BadDigest) */
	const struct sigv4_param *params;
	size_t nparams;
	unsigned expires;
	time_t now;
};

/* 1 when acl is one of S3's canned ACLs (private, public-read, ...). */
int s3_acl_valid(const char *acl);

#define S3_BUCKET_MIN 3       /* S3's bucket naming rules, on AWS */
#define S3_BUCKET_MAX 63

/* NULL when bucket is a name this server will sign for, else why not (a
 * client-safe phrase). On AWS (legacy 0): S3's rules for general purpose
 * buckets: S3_BUCKET_MIN..S3_BUCKET_MAX bytes of a-z 0-9 . -, a letter or
 * digit first and last, no "..", not shaped like an IPv4 address, none of
 * the prefixes and suffixes AWS reserves. Behind a custom endpoint (legacy
 * 1: MinIO, Ceph, Swift may keep older names): 1..SIGV4_MAX_BUCKET bytes of
 * A-Z a-z 0-9 . _ -, but never "." or ".." (a browser normalizes a
 * path-style /../key away). */
const char *s3_bucket_check(const char *bucket, int legacy);

/* 1 when the bucket name can be a DNS label under this scheme. */
int s3_bucket_virtual_ok(const char *bucket, int https);

/* The bucket's own URL, in the addressing s3_presign() uses for its
 * objects (one decision, locate() in presign.c): SCHEME://BUCKET.HOST/
 * virtual-hosted, SCHEME://HOST/BUCKET/ path-style, both ending in '/' so
 * that a key resolved against it (a browser's new URL(key, url), Uppy 6's
 * location of a POST upload) lands in the bucket; botocore's presigned
 * POST leaves the path-style one without it, which S3 takes the same
 * (post_policy.h). Writes url (cap bytes, NUL-terminated, "" on error).
 * S3_ERR_INVAL for a bucket s3_bucket_check() refuses, no region or an
 * endpoint that is not "http[s]://host[:port]"; S3_ERR_TOOLONG when it
 * does not fit in cap. The region is not checked beyond being there:
 * callers that sign check it as SigV4 does. */
enum s3_err s3_bucket_url(const struct s3_target *t, char *url, size_t cap);

/* Where an object's requests go, in the addressing above: what both the
 * presigned URLs and the S3 client's own calls (s3client.h) use. */
#define S3_LOCATION_MAX_PATH (SIGV4_MAX_BUCKET + 3 * SIGV4_MAX_KEY + 4)
struct s3_location {
	const char *scheme;                 /* "https" or "http" */
	char host[SIGV4_MAX_HOST + 1];      /* the Host header, with :port when given */
	char path[S3_LOCATION_MAX_PATH];    /* "/BUCKET/KEY" or "/KEY", key URI-encoded
	                                       once ('/' kept): the wire's and the
	                                       canonical request's path */
	size_t path_len;
	int virtual_host;                   /* 1: the bucket is in the host */
};

/* Locates key (raw, UTF-8, 1..SIGV4_MAX_KEY bytes) of t's bucket into
 * loc. S3_ERR_INVAL for a bucket s3_bucket_check refuses, no region, an
 * empty key or a bad endpoint; S3_ERR_TOOLONG; S3_ERR_UTF8 for a key with
 * a NUL or invalid UTF-8. */
enum s3_err s3_object_location(const struct s3_target *t, const char *key, size_t key_len,
                               struct s3_location *loc);

/* The bucket's own requests (HeadBucket, GET ?cors, GET ?location) in the
 * same addressing: path "/BUCKET" path-style, "/" virtual-hosted. Errors
 * as s3_object_location's, without the key's. */
enum s3_err s3_bucket_location(const struct s3_target *t, struct s3_location *loc);

/* Writes the presigned URL to url (cap bytes, NUL-terminated). When
 * object_url is not NULL, also the unsigned object URL in the same
 * addressing style. */
enum s3_err s3_presign(const struct s3_target *t, const struct s3_creds *c,
                       const struct s3_presign_in *in, struct sigv4_cache *cache,
                       char *url, size_t cap, char *object_url, size_t ocap);

#endif
