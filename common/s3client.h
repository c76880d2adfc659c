/* s3client.h - the server-side S3 client: the multipart-upload calls
 * sign_s3 makes itself (CreateMultipartUpload, ListParts,
 * CompleteMultipartUpload, AbortMultipartUpload).
 *
 * Each call is signed in the Authorization-header style (sigv4.h,
 * sigv4_sign_headers) with x-amz-content-sha256 the hex SHA-256 of its
 * body and X-Amz-Security-Token when the credentials carry a token; its
 * host and path come from s3_object_location (presign.h), the same
 * addressing as the presigned URLs. S3's answers are read by s3xml.h.
 * Requests go out through an s3_http_fn (http.h; s3_http_curl unless the
 * caller gives another), one attempt limited to timeout_ms.
 *
 * Retries: a transport failure (S3_ERR_IO from the HTTP client), HTTP 500
 * or 503, or an <Error> with code SlowDown or InternalError that is not a
 * 4xx (CompleteMultipartUpload may answer 200 with one) is tried again,
 * at most `retries` more times, after a back-off of S3_CLIENT_BACKOFF_MS
 * doubled at each retry (at most S3_CLIENT_BACKOFF_MAX_MS), with equal
 * jitter (a random pause in [d/2, d], RAND_bytes). The request is signed
 * once, so every attempt carries the same signature. A 4xx is never
 * retried, nor is any other 5xx than 500 and 503 (S3 uses those two for
 * what passes).
 *
 * Errors: every call returns S3_OK or an error with *err filled:
 *  - S3_ERR_REMOTE: S3 answered an error (err->code, err->s3_status);
 *  - S3_ERR_IO: transport failure, or a 5xx / SlowDown / InternalError
 *    still there after the retries (err->status 502);
 *  - S3_ERR_PARSE: a success answer that is not the document it must be
 *    (502);
 *  - S3_ERR_INVAL, S3_ERR_TOOLONG, S3_ERR_UTF8, S3_ERR_NOCREDS,
 *    S3_ERR_RANGE, S3_ERR_NOMEM: refused before or after sending (500, or
 *    502 for an answer over a limit).
 * err->status is what sign_s3 should answer: s3xml_status(code,
 * s3_status) for an S3 error, 502 for transport. err->why is one line for
 * the log naming the call, the cause (libcurl's message, S3's status,
 * code and request id): never a secret, a signature, a header value, the
 * URL or its query.
 *
 * Secrets: the Authorization value and the header array that carried it
 * are wiped with OPENSSL_cleanse after each call; nothing is logged here.
 * Not thread-safe beyond what cl->cache and cl->http are. */
#ifndef SIGN_S3_S3CLIENT_H
#define SIGN_S3_S3CLIENT_H

#include <stddef.h>
#include <time.h>

#include "err.h"
#include "http.h"
#include "presign.h"
#include "s3xml.h"
#include "sigv4.h"

#define S3_CLIENT_MAX_PARTS 10000          /* parts listed in all pages */
#define S3_CLIENT_RETRIES 3                /* extra attempts after the first */
#define S3_CLIENT_BACKOFF_MS 100           /* first back-off; doubles, with jitter */
#define S3_CLIENT_WHY_MAX 256
#define S3_CLIENT_NO_RETRIES ((unsigned)-1) /* retries: none at all */
#define S3_CLIENT_MAX_RETRIES 10           /* retries above this are this */
#define S3_CLIENT_BACKOFF_MAX_MS 2000      /* no single back-off is longer */
#define S3_CLIENT_MAX_META 8               /* x-amz-meta-* headers of a create */
#define S3_CLIENT_PAGE_PARTS 1000          /* max-parts asked per ListParts page */

struct s3_client {                          /* filled by the caller, per process */
	struct s3_target target;            /* presign.h */
	struct sigv4_cache *cache;          /* may be NULL */
	s3_http_fn http; void *http_ctx;     /* NULL: s3_http_curl */
	unsigned timeout_ms;                /* one attempt's limit (0: S3_HTTP_TIMEOUT_MS) */
	unsigned retries;                   /* extra attempts: 0 (a zeroed struct) means
	                                       S3_CLIENT_RETRIES, S3_CLIENT_NO_RETRIES none,
	                                       at most S3_CLIENT_MAX_RETRIES */
	void (*sleep_ms)(unsigned ms);      /* NULL: nanosleep; tests pin it */
	unsigned page_parts;                /* max-parts of a ListParts page: 0 means
	                                       S3_CLIENT_PAGE_PARTS, at most that */
};

struct s3_call_error {
	int status;                         /* what sign_s3 answers: s3xml_status(), 502 for transport */
	int s3_status;                      /* S3's HTTP status, 0 when none came */
	char code[S3XML_MAX_CODE + 1];      /* S3's error Code, "" when none */
	char why[S3_CLIENT_WHY_MAX];        /* one line for the log: no secret, no signature, no URL query */
	unsigned attempts;                  /* requests sent (1 + the retries made) */
};

struct s3_meta_header { const char *name; const char *value; };  /* e.g. x-amz-meta-foo */

struct s3_create_in {
	const char *key; size_t key_len;
	const char *content_type;           /* NULL: none */
	const char *content_disposition;    /* NULL: none */
	const char *acl;                    /* NULL: none; sent as x-amz-acl */
	const struct s3_meta_header *meta; size_t nmeta;  /* names already lowercase x-amz-meta-*,
	                                                     values already checked/encoded;
	                                                     at most S3_CLIENT_MAX_META */
};

struct s3_complete_part { unsigned number; const char *etag; };  /* etag as S3 wrote it, quotes included */

/* CreateMultipartUpload (POST KEY?uploads=): the new UploadId into
 * upload_id (cap bytes with its NUL; S3_ERR_TOOLONG when it does not
 * fit). Content-Type, Content-Disposition, x-amz-acl and the meta headers
 * are signed and sent as given. */
enum s3_err s3_client_create(const struct s3_client *cl, const struct s3_creds *c, time_t now,
                             const struct s3_create_in *in, char *upload_id, size_t cap,
                             struct s3_call_error *err);

/* ListParts (GET KEY?uploadId=&max-parts=1000[&part-number-marker=];
 * max-parts is cl->page_parts when set):
 * every page of ListParts (part-number-marker), at most S3_CLIENT_MAX_PARTS
 * (more: S3_ERR_RANGE); out->part malloc'd, s3xml_parts_free. A page whose
 * NextPartNumberMarker does not move forward is S3_ERR_PARSE. */
enum s3_err s3_client_list_parts(const struct s3_client *cl, const struct s3_creds *c, time_t now,
                                 const char *key, size_t key_len, const char *upload_id,
                                 struct s3xml_parts *out, struct s3_call_error *err);

/* CompleteMultipartUpload (POST KEY?uploadId=) with the
 * <CompleteMultipartUpload> document of parts (1..S3_CLIENT_MAX_PARTS, in
 * the caller's order, ETags XML-escaped): the object's Location and ETag
 * (either "" when S3 leaves it out). A 200 carrying an <Error> is an
 * error (retried when SlowDown or InternalError). */
enum s3_err s3_client_complete(const struct s3_client *cl, const struct s3_creds *c, time_t now,
                               const char *key, size_t key_len, const char *upload_id,
                               const struct s3_complete_part *parts, size_t nparts,
                               char location[S3XML_MAX_LOCATION + 1], char etag[S3XML_MAX_ETAG + 1],
                               struct s3_call_error *err);

/* AbortMultipartUpload (DELETE KEY?uploadId=): any 2xx is success; so is
 * NoSuchUpload answering a retry after a transport failure (the first
 * attempt may have gone through: S3 takes its time over many parts, and
 * the upload is gone either way). */
enum s3_err s3_client_abort(const struct s3_client *cl, const struct s3_creds *c, time_t now,
                            const char *key, size_t key_len, const char *upload_id,
                            struct s3_call_error *err);

/* The upload ids these calls take: 1..SIGV4_MAX_PARAM bytes (a query
 * value sigv4_query signs) of visible ASCII. */
#define S3_CLIENT_MAX_UPLOAD_ID SIGV4_MAX_PARAM

/* ---- objects (s3client_obj.c): what verify (cgi/verify.h) reads and
 * deletes. Same signing, retries and errors as above. */

#define S3_CLIENT_MAX_TYPE 255             /* bytes of a Content-Type kept */
#define S3_CLIENT_MAX_DISPOSITION 255      /* bytes of a Content-Disposition kept */

struct s3_object_head {
	unsigned long long size;                        /* Content-Length */
	char etag[S3XML_MAX_ETAG + 1];                  /* as S3 wrote it, quotes included */
	char content_type[S3_CLIENT_MAX_TYPE + 1];      /* "" when none */
	char content_disposition[S3_CLIENT_MAX_DISPOSITION + 1];  /* "" when none */
};

/* HeadObject (HEAD KEY): the object's size, ETag, Content-Type and
 * Content-Disposition. A HEAD answer has no body, so a 404 is reported as
 * S3_ERR_REMOTE with code "NoSuchKey" and err->status 404; a 2xx without a
 * valid Content-Length is S3_ERR_PARSE (502); a header too long for its
 * field is S3_ERR_TOOLONG (502). */
enum s3_err s3_client_head(const struct s3_client *cl, const struct s3_creds *c, time_t now,
                           const char *key, size_t key_len, struct s3_object_head *out,
                           struct s3_call_error *err);

/* GetObject of the first cap bytes (GET KEY, Range: bytes=0-(cap-1),
 * signed), cap 1..S3_CLIENT_MAX_RANGE: the bytes into buf, their count
 * in *len. 206, or a 200 whose whole body fits (a store that ignores
 * Range, a small object); a body over cap is S3_ERR_TOOLONG (502), never
 * truncated. A 416 (an empty object) is success with *len 0. */
#define S3_CLIENT_MAX_RANGE 4096
enum s3_err s3_client_get_range(const struct s3_client *cl, const struct s3_creds *c,
                                time_t now, const char *key, size_t key_len, void *buf,
                                size_t cap, size_t *len, struct s3_call_error *err);

/* DeleteObject (DELETE KEY): any 2xx is success (S3 answers 204 for a key
 * that is not there too). */
enum s3_err s3_client_delete(const struct s3_client *cl, const struct s3_creds *c, time_t now,
                             const char *key, size_t key_len, struct s3_call_error *err);

/* ---- the bucket (s3client_bucket.c): what `sign_s3 doctor` asks
 * (cgi/doctor.h). Same signing and errors; a bucket's own request has
 * the path "/BUCKET" path-style, "/" virtual-hosted (s3_bucket_location). */

/* What S3 said of the bucket, also when it refused. */
struct s3_bucket_answer {
	int status;                               /* S3's HTTP status; 0: none came */
	char region[S3XML_MAX_REGION + 1];        /* x-amz-bucket-region, else an <Error>'s
	                                             <Region>, else LocationConstraint; "" */
};

/* HeadBucket (HEAD /): S3_OK for a 2xx; else the error with out->status
 * and the region header of S3's refusal (AWS sends x-amz-bucket-region
 * with a 301, 400 or 403 too). A HEAD answer has no body: a 404 gets the
 * code NoSuchBucket, a 301 PermanentRedirect; a 400 or 403 has none (ask
 * s3_client_bucket_region, whose answer has a body). */
enum s3_err s3_client_head_bucket(const struct s3_client *cl, const struct s3_creds *c,
                                  time_t now, struct s3_bucket_answer *out,
                                  struct s3_call_error *err);

/* GetBucketLocation (GET /?location): the region from LocationConstraint
 * (s3xml_location); else the error, out->status, and the <Region> S3's
 * <Error> names, if any. */
enum s3_err s3_client_bucket_region(const struct s3_client *cl, const struct s3_creds *c,
                                    time_t now, struct s3_bucket_answer *out,
                                    struct s3_call_error *err);

/* GetBucketCors (GET /?cors): the rules into out (s3xml_cors; free with
 * s3xml_cors_free). S3 answers NoSuchCORSConfiguration (404) for none; a
 * store without the call NotImplemented (501, S3_ERR_IO: a 5xx). */
enum s3_err s3_client_get_cors(const struct s3_client *cl, const struct s3_creds *c,
                               time_t now, struct s3xml_cors *out, struct s3_call_error *err);

#endif
