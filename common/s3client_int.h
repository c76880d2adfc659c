/* s3client_int.h - the S3 client's one request path, shared by the
 * multipart calls (s3client.c), the object calls (s3client_obj.c) and the
 * bucket calls (s3client_bucket.c).
 * Not for other callers: use s3client.h. */
#ifndef SIGN_S3_S3CLIENT_INT_H
#define SIGN_S3_S3CLIENT_INT_H

#include "s3client.h"

#define S3C_MAX_WANT 4      /* response headers a call asks for beyond the request id */
_Static_assert(1 + S3C_MAX_WANT <= S3_HTTP_MAX_WANT, "wanted headers fit the HTTP client");

/* One call, as the operations describe it. */
struct s3c_call {
	const char *op;                       /* "CreateMultipartUpload", ... (why) */
	const char *method;
	const char *key;                      /* NULL: the bucket's own request
	                                         (s3_bucket_location) */
	size_t key_len;
	const struct sigv4_param *params;
	size_t nparams;
	const struct sigv4_header *headers;  /* signed and sent */
	size_t nheaders;
	const char *body;
	size_t body_len;
	size_t max_body;                      /* 0: the HTTP client's default */
	int error_on_200;                     /* a 200 may carry an <Error> */
	int gone_ok_on_retry;                 /* NoSuchUpload after a transport failure: done */
	int keep_answer;                      /* S3's refusal (a final non-2xx answer) is
	                                         left in rs too, headers and body, beside
	                                         err: a caller that reads its headers */
	const char *const *want;              /* response headers wanted: their values are
	                                         rs->header_values[1 + i] (0: x-amz-request-id) */
	size_t nwant;                         /* at most S3C_MAX_WANT */
};

/* Sends k (signed once: one signing time for every attempt, retried as
 * s3client.h says) and leaves a 2xx answer in rs (free it with
 * s3_http_response_free); else err is filled and rs is empty (with
 * k->keep_answer, S3_ERR_REMOTE or S3_ERR_IO for an answer S3 gave leaves
 * it in rs: free it then too). */
enum s3_err s3c_perform(const struct s3_client *cl, const struct s3_creds *c, time_t now,
                        const struct s3c_call *k, struct s3_http_response *rs,
                        struct s3_call_error *err);

/* Fills err with a failure of the call op that S3 did not name (a bad
 * argument, an answer that is not what op expects): the status to answer,
 * S3's own status (0: none), and "op: what"; returns e. */
enum s3_err s3c_fail(struct s3_call_error *err, int status, int s3_status, const char *op,
                     const char *what, enum s3_err e);

#endif
