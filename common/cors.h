/* cors.h - reading CORS as a browser and S3 do, for `sign_s3 doctor`
 * (cgi/doctor.h): does a preflight's answer let a page send what sign_s3
 * signs, does a PUT's answer let it read the ETag, and which rule of a
 * bucket's CORSConfiguration (s3xml.h) matches. Pure functions: no I/O,
 * no allocation.
 *
 * Matching follows S3's documented rules: an AllowedOrigin or
 * AllowedHeader may hold one '*' wildcard; origins are compared as
 * written (S3 compares them case-sensitively), methods exactly, header
 * names without regard to case; the first rule that allows the origin,
 * the method and every requested header is the one S3 applies. */
#ifndef SIGN_S3_CORS_H
#define SIGN_S3_CORS_H

#include <stddef.h>
#include "s3xml.h"

#define S3_CORS_MAX_TOKEN 256     /* bytes of one name in a header list */

/* 1 when pattern (at most one '*', matching any run of bytes) matches s;
 * nocase: ASCII letters compared without regard to case. */
int s3_cors_glob(const char *pattern, const char *s, int nocase);

/* 1 when the comma-separated list (a header's value: "ETag, x-amz-id",
 * spaces and tabs around the names ignored) holds name, compared without
 * regard to case; star: a "*" in the list counts as every name. */
int s3_cors_list_has(const char *list, const char *name, int star);

/* A preflight's answer as the browser reads it. */
struct s3_cors_preflight {
	long status;                      /* the HTTP status of the OPTIONS */
	const char *allow_origin;         /* Access-Control-Allow-Origin, NULL: none */
	const char *allow_methods;        /* Access-Control-Allow-Methods */
	const char *allow_headers;        /* Access-Control-Allow-Headers */
};

/* What a preflight answer allows, as bits: */
#define S3_CORS_OK_STATUS  1u   /* a 2xx */
#define S3_CORS_OK_ORIGIN  2u   /* Access-Control-Allow-Origin is origin or "*" */
#define S3_CORS_OK_METHOD  4u   /* the method is listed (or "*") */
/* The answer's verdict for origin, method and the requested headers
 * (headers[0..n)): the bits above, and in *missing (may be NULL) a bit
 * 1 << i for each header i the answer does not list (n at most 32). A
 * simple method (GET, HEAD, POST) needs no Access-Control-Allow-Methods. */
unsigned s3_cors_preflight_check(const struct s3_cors_preflight *p, const char *origin,
                                 const char *method, const char *const *headers, size_t n,
                                 unsigned *missing);

/* The first rule of c that allows origin, method and every header of
 * headers[0..n): its index, or -1. */
long s3_cors_rule_match(const struct s3xml_cors *c, const char *origin, const char *method,
                        const char *const *headers, size_t n);

#endif
