/* response.h - the JSON answers of /api/sign_s3 and their HTTP head.
 *
 * Success (200), as the reference design plus what a browser needs:
 *   {"file_type":..., "signed_request":..., "url":..., "key":...,
 *    "method":"PUT", "headers":{"Content-Type":...}, "expires_at":"...Z"}
 * where headers also holds "Content-Disposition":"attachment" when that is
 * signed (S3_ACTIVE_TYPES) and "Content-MD5" when file_md5 was given: the
 * browser sends every one of them. A signed Content-Length (file_size) is
 * not listed: the browser sets it itself.
 * Errors, in the reference's (Hapi/Boom) shape:
 *   {"statusCode":400, "error":"Bad Request", "message":"file_name is required"}
 * Every answer carries Content-Type: application/json, Cache-Control:
 * no-store and X-Content-Type-Options: nosniff; a 405 also Allow. The head
 * is written as CGI header lines ("Status: 200 OK"), which both CGI and
 * FastCGI use. Other routes' answers are built with s3_response_json; an
 * answer that is not JSON (the status page's Prometheus text) with
 * s3_response_body, which names its own Content-Type. */
#ifndef SIGN_S3_RESPONSE_H
#define SIGN_S3_RESPONSE_H

#include <stddef.h>

#define S3_RESP_HEAD_MAX 512     /* bytes of the CGI head */
#define S3_RESP_MSG_MAX  1280     /* bytes of a log message (error, or "signed " + a 1024-byte key) */
#define S3_RESP_INLINE_BODY 4096  /* answers up to this long need no allocation */
#define S3_RESP_ALLOW    "GET, POST"

/* What a signed upload needs; strings borrowed from the caller. */
struct s3_signed {
	const char *file_type;
	const char *content_disposition;   /* NULL: none signed */
	const char *content_md5;           /* NULL: none signed */
	const char *signed_request;
	const char *url;
	const char *key;
	const char *expires_at;     /* ISO 8601 UTC */
};

struct s3_response {
	int status;
	char *body;                 /* JSON: inline_body, or malloc'd, or a static fallback */
	size_t body_len;
	int body_owned;             /* body was malloc'd */
	char inline_body[S3_RESP_INLINE_BODY];
	char message[S3_RESP_MSG_MAX];   /* the error message, for the log */
	int warn;                   /* log this 200 too (e.g. a failed credentials refresh) */
	const char *allow;          /* a 405's Allow (static text); NULL: S3_RESP_ALLOW */
	const char *content_type;   /* static text; NULL: application/json */
	int cause;                  /* an enum s3_err: why sign_s3 failed (a 5xx of
	                               s3_internal, no credentials, S3 unreachable);
	                               0: none. Counted by the status page (stats.h) */
};

/* Reason phrase for a status ("Bad Request"), "Error" when unknown. */
const char *s3_http_reason(int status);

/* Makes r an empty answer owning nothing: call it once on a new response
 * before the first s3_response_error/ok (which free what an earlier answer
 * in r owned, so r can be refilled). Only the fields are set, not the
 * buffers, so it is cheap enough per request. */
void s3_response_init(struct s3_response *r);

/* Fill r with an error answer. message must be client-safe (no secrets,
 * no echo of client data it did not already see). */
void s3_response_error(struct s3_response *r, int status, const char *message);

/* Fill r with value (any cJSON value: an object, or an array) printed as
 * the body of status; value stays the caller's. The generic builder of
 * the routes' answers (cgi/route.h); falls back to a 500 on allocation
 * failure. */
struct cJSON;
void s3_response_json(struct s3_response *r, int status, const struct cJSON *value);

/* Fill r with body[0..len) as the body of status, sent with Content-Type
 * ctype (static text, e.g. "text/plain; version=0.0.4; charset=utf-8").
 * body is malloc'd and r owns it from here on (s3_response_free frees
 * it); NULL (allocation failed) gives the JSON 500. */
void s3_response_body(struct s3_response *r, int status, const char *ctype, char *body,
                      size_t len);

/* Fill r with the success answer; falls back to a 500 on allocation failure. */
void s3_response_ok(struct s3_response *r, const struct s3_signed *s);

/* The CGI head (Status, Content-Type, ...) for r, NUL-terminated; returns
 * its length. */
size_t s3_response_head(const struct s3_response *r, char *buf, size_t cap);

/* Frees what r owns and leaves it empty (as s3_response_init). */
void s3_response_free(struct s3_response *r);

#endif
