/* multipart.h - what the multipart routes share (route.h): reading the
 * uploadId of the path and the key of the query, checking both before
 * anything is signed or sent, the S3 client of this process, and S3's
 * errors as answers.
 *
 * uploadId: 1..S3_MP_UPLOAD_ID_MAX bytes of A-Z a-z 0-9 and - . _ ~ = +
 * (AWS writes base64url-like ids, Swift s3api and MinIO uuid-like ones),
 * else 400. key: the "key" query field, which must be one this server
 * could have issued to this caller (handler.h's s3_key_of_caller), else
 * 403. partNumber: 1..S3_MAX_PARTS, else 400. */
#ifndef SIGN_S3_MULTIPART_H
#define SIGN_S3_MULTIPART_H

#include "route.h"
#include "s3client.h"

#define S3_MP_UPLOAD_ID_MAX 512     /* bytes of an uploadId (<= SIGV4_MAX_PARAM) */
#define S3_MP_BATCH_MAX     1000    /* part numbers in one batch */

_Static_assert(S3_MP_UPLOAD_ID_MAX <= SIGV4_MAX_PARAM, "an uploadId is a signed parameter");

/* The request's uploadId and key, both checked (see above): 0, or -1
 * with out holding the refusal. key_field is the decoded "key" (NULL:
 * absent, 400). */
int mp_target(struct s3_app *app, const struct s3_req_in *in, const struct s3_route_args *a,
              const char *key, size_t key_len, char id[S3_MP_UPLOAD_ID_MAX + 1],
              struct s3_response *out);

/* The field table of a route that takes only the key. */
extern const struct s3_field_spec mp_key_field[1];

/* What every route on an upload does first: decode the request with
 * fields (fields[0] is the "key"), check uploadId and key (mp_target), get
 * credentials (s3_app_creds; *expires: S3_PART_EXPIRES clamped). 0, or -1 with out filled; v is the caller's
 * to free (s3_req_values_free) either way. */
int mp_begin(struct s3_app *app, const struct s3_req_in *in, const struct s3_route_args *a,
             const struct s3_field_spec *fields, size_t nfields, time_t now,
             struct s3_req_values *v, char id[S3_MP_UPLOAD_ID_MAX + 1], struct s3_creds *c,
             unsigned *expires, char why[S3_CREDS_WHY_MAX], struct s3_response *out);

/* A part number s[0..n) of decimal digits, 1..S3_MAX_PARTS: the number,
 * or 0 (then out holds a 400 when out is not NULL). */
unsigned mp_part_number(const struct s3_app *app, const char *s, size_t n,
                        struct s3_response *out);

/* A presigned UploadPart URL for part n into url (cap bytes), with md5
 * (base64, checked by the caller; NULL: none) signed as Content-MD5: 0,
 * or -1 with a 500 in out. */
int mp_sign_part(struct s3_app *app, const char *key, size_t key_len, const char *id,
                 unsigned n, const char *md5, const struct s3_creds *c, unsigned expires,
                 time_t now, char *url, size_t cap, struct s3_response *out);

/* A part's md5 field s[0..n) (base64 of 16 bytes, base64.h): 0, or -1
 * with a 400 in out. */
int mp_md5(const char *s, size_t n, struct s3_response *out);

/* This process's S3 client (the handle and its connections are kept). */
void mp_client(struct s3_app *app, struct s3_client *cl);

/* S3's refusal (or a network failure) as the answer: its status
 * (s3xml_status: NoSuchUpload 404, AccessDenied 403, ... 502), a
 * client-safe message naming S3's code, err->why for the log. */
void mp_s3_error(struct s3_response *out, const char *what, const struct s3_call_error *err);

#endif
