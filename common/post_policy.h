/* post_policy.h - S3 presigned POST: the fields of an HTML form a browser
 * uploads one object with (POST Object, SigV4: AWS's
 * sigv4-UsingHTTPPOST / sigv4-HTTPPOSTConstructPolicy).
 *
 * s3_presign_post() writes the URL the form is POSTed to and its hidden
 * fields. The policy is a JSON document
 *   {"expiration":"YYYY-MM-DDTHH:MM:SS.000Z","conditions":[...]}
 * (expiration = now + expires) whose conditions pin everything the form
 * says, in this order:
 *   {"bucket":B}  {"key":K}  {"Content-Type":T}
 *   [{"Content-Disposition":D}]  [{"acl":A}]
 *   [["content-length-range",0,max_size]]
 *   {"x-amz-algorithm":"AWS4-HMAC-SHA256"}
 *   {"x-amz-credential":"AK/YYYYMMDD/REGION/s3/aws4_request"}
 *   {"x-amz-date":"YYYYMMDDTHHMMSSZ"}  [{"x-amz-security-token":TOKEN}]
 * Each {"name":value} is an exact match; there is no starts-with, so the
 * browser can change nothing but the file's bytes (within max_size).
 * Strings are escaped for JSON here (" \ and the controls; other UTF-8 is
 * written as it is), so a key may hold quotes, backslashes, any UTF-8.
 *
 * The fields, in this order (the form's order: S3 reads every field
 * before "file", which the caller appends last):
 *   key, Content-Type, [Content-Disposition], [acl], x-amz-algorithm,
 *   x-amz-credential, x-amz-date, [x-amz-security-token], policy,
 *   x-amz-signature
 * policy = base64(policy JSON), x-amz-signature = lowercase hex
 * HMAC-SHA256(kSigning, policy) with SigV4's signing key for (secret,
 * date, region, "s3") from sigv4.h (stages 4 and 5, the same cache).
 *
 * The URL is s3_bucket_url()'s (presign.h): the addressing of the
 * presigned PUT URLs, bucket in the host (https://BUCKET.s3.REGION.
 * amazonaws.com/, ...) or in the path (ENDPOINT/BUCKET). botocore 1.29
 * (Debian 12) posts a virtual-hosted form outside us-east-1 to the global
 * https://BUCKET.s3.amazonaws.com/ instead; the regional host is the one
 * the bucket lives on (no redirect for a new bucket), as for PUT.
 *
 * Verified by parity with botocore only (tests/unit/test_post_policy.c,
 * tests/lib/botocore_post.py: same URL, fields, expiration and set of
 * conditions; botocore's signer gives the same signature over our
 * policy): the local S3 of the tests (Swift's s3api) has no POST Object.
 *
 * Limits and errors (nothing is ever truncated; on any error the form is
 * wiped and n is 0):
 *  - key: 1..SIGV4_MAX_KEY bytes (none: S3_ERR_INVAL, more:
 *    S3_ERR_TOOLONG) of UTF-8 without NUL (S3_ERR_UTF8); controls are
 *    escaped, not refused; a key holding "${filename}" is S3_ERR_INVAL (S3
 *    would replace it with the browser's file name: not the key pinned);
 *  - content_type: required, visible ASCII and spaces (S3_ERR_INVAL), at
 *    most SIGV4_MAX_CONTENT_TYPE bytes (S3_ERR_TOOLONG); the same for
 *    content_disposition (SIGV4_MAX_DISPOSITION) when set; acl one of
 *    s3_acl_valid()'s (S3_ERR_INVAL); NULL or "" is none for both;
 *  - max_size at most S3_POST_SIZE_MAX (S3's ceiling for a POST upload):
 *    S3_ERR_RANGE;
 *  - expires SIGV4_EXPIRES_MIN..SIGV4_EXPIRES_MAX, and now and now +
 *    expires in the years 1970..9999: S3_ERR_RANGE;
 *  - bucket, region, endpoint as for s3_presign(): S3_ERR_INVAL;
 *    credentials as SigV4 checks them: S3_ERR_NOCREDS;
 *  - the policy JSON over S3_POST_POLICY_MAX bytes (a long key with a
 *    long session token): S3_ERR_TOOLONG;
 *  - S3_ERR_CRYPTO when OpenSSL fails.
 *
 * The form holds credential-bearing values (the security token, the
 * signature): s3_post_form_wipe() it when done. Its fields point into its
 * own buf: do not copy the struct by value. */
#ifndef SIGN_S3_POST_POLICY_H
#define SIGN_S3_POST_POLICY_H

#include "presign.h"

#define S3_POST_MAX_FIELDS 12
#define S3_POST_POLICY_MAX 4096      /* bytes of the policy JSON before base64 */
#define S3_POST_SIZE_MAX   5368709120ULL   /* 5 GiB: S3's POST Object ceiling */
#define S3_POST_POLICY_B64_MAX (4 * ((S3_POST_POLICY_MAX + 2) / 3))
/* The bucket URL: scheme, host (bucket. included) and /bucket. */
#define S3_POST_URL_MAX    (SIGV4_MAX_HOST + SIGV4_MAX_BUCKET + 16)
/* Every field value with its NUL: key, type, disposition, the credential,
 * the token, the policy, the signature and the short ones. */
#define S3_POST_BUF_MAX    (SIGV4_MAX_KEY + SIGV4_MAX_CONTENT_TYPE \
                            + SIGV4_MAX_DISPOSITION + SIGV4_MAX_ACCESS_KEY \
                            + SIGV4_MAX_REGION + SIGV4_MAX_TOKEN \
                            + S3_POST_POLICY_B64_MAX + 256)

struct s3_post_in {
	const char *key;                     /* the exact key, pinned by an eq condition */
	size_t key_len;
	const char *content_type;            /* pinned: {"Content-Type": ...} field + condition */
	const char *content_disposition;     /* NULL: none; else field + eq condition */
	const char *acl;                     /* NULL: none; else field "acl" + condition */
	unsigned long long max_size;         /* 0: no content-length-range; else ["content-length-range", 0, max_size] */
	unsigned long long min_size;         /* 0: none; else the range starts there (and ends at
	                                        max_size, or S3_POST_SIZE_MAX) */
	unsigned expires;                    /* seconds from now */
	time_t now;
};

struct s3_post_field {
	const char *name;
	const char *value;
};

struct s3_post_form {
	char url[S3_POST_URL_MAX];           /* where the form is POSTed */
	struct s3_post_field field[S3_POST_MAX_FIELDS];   /* in the order above */
	size_t n;
	char buf[S3_POST_BUF_MAX];           /* storage the values point into */
};

/* Fills out for an upload of in->key to t's bucket, signed with c; cache
 * as for s3_presign() (NULL: a local one). Errors above. */
enum s3_err s3_presign_post(const struct s3_target *t, const struct s3_creds *c,
                            const struct s3_post_in *in, struct sigv4_cache *cache,
                            struct s3_post_form *out);

/* OPENSSL_cleanse of the whole form: the policy signature is a
 * credential-bearing token, and the token may be in it. NULL is fine. */
void s3_post_form_wipe(struct s3_post_form *f);

#endif
