/* request.h - decode and validate one HTTP request's fields.
 *
 * The caller has already read the request (method, Content-Type, query
 * string, body); this module turns those bytes into a plain struct of the
 * fields a route names in its field table (s3_req_decode), or, for
 * /api/sign_s3, file_name, file_type and file_head (s3_req_parse). It does no
 * I/O, knows nothing of FastCGI, and does not sanitize file names (that is
 * done later, elsewhere): it only decodes the transport and refuses what is
 * malformed, oversized or not UTF-8.
 *
 *   GET   fields come from the query string (form syntax); the body is
 *         ignored.
 *   POST  fields come from the body: application/json (an object) or
 *         application/x-www-form-urlencoded. A charset parameter, if present,
 *         must be utf-8 or us-ascii. Anything else is 415.
 *   other methods are 405 (the caller sends "Allow: GET, POST").
 *
 * Every refusal comes with a short message that never echoes client data,
 * so it is safe to send back in the response body. Oversized input is
 * refused, never truncated. The body does not need to be NUL-terminated
 * and is never read past body_len. */
#ifndef SIGN_S3_REQUEST_H
#define SIGN_S3_REQUEST_H

#include <stddef.h>

#define S3_REQ_MAX_BODY_DEFAULT 16384 /* a sane max_body for s3_req_check_length */
#define S3_REQ_MAX_FIELD        4096  /* decoded bytes of file_name, file_type */
#define S3_REQ_MAX_HEAD_FIELD   8192  /* decoded bytes of file_head */
#define S3_REQ_MAX_INTEGER      20    /* digits of file_size */
#define S3_REQ_MAX_MD5          24    /* file_md5: base64 of 16 bytes */
#define S3_REQ_MAX_QUERY        16384 /* bytes of a GET query string */
#define S3_REQ_MAX_FIELDS       64    /* form fields / top-level JSON members */
#define S3_REQ_MAX_DEPTH        32    /* JSON nesting of [ and { */
#define S3_REQ_MAX_NAME         256   /* decoded bytes of a form field's name */
#define S3_REQ_SPEC_MAX         16    /* fields in one route's table */
#define S3_REQ_META_MAX         32    /* members of a metadata map */
#define S3_REQ_MAX_META_NAME    128   /* bytes of a metadata member's name */
#define S3_REQ_MAX_META_VALUE   2048  /* decoded bytes of its value */

/* The outcome of parsing; maps 1:1 to an HTTP status. */
enum s3_req_status {
	S3_REQ_OK = 0,      /* 200 */
	S3_REQ_BAD,         /* 400 */
	S3_REQ_METHOD,      /* 405; the caller adds "Allow: GET, POST" */
	S3_REQ_TOO_LARGE,   /* 413 */
	S3_REQ_MEDIA_TYPE,  /* 415 */
	S3_REQ_INTERNAL,    /* 500: out of memory */
};

/* The raw request, as read by the caller. Only body may lack a NUL.
 * s3_req_parse() does not look at remote_user: the handler does, and only
 * when S3_REQUIRE_USER=1 (policy.h). */
struct s3_req_in {
	const char *method;        /* REQUEST_METHOD, exact ("GET", "POST") */
	const char *content_type;  /* CONTENT_TYPE, may be NULL */
	const char *query;         /* QUERY_STRING, may be NULL */
	const char *body;          /* body_len bytes, need not be NUL-terminated */
	size_t      body_len;
	const char *path;          /* the route's path (route.h), or NULL */
	const char *remote_user;   /* REMOTE_USER as the web server set it, or NULL */
	int         remote_user_conflict;  /* REMOTE_USER given twice, differently */
};

/* The decoded fields. Each is malloc'd and NUL-terminated, with its length
 * alongside (no field contains a NUL byte; all are valid UTF-8), or NULL
 * with length 0 when absent. file_name is always set after a successful
 * parse and never empty. file_size (a JSON number or a string) and file_md5
 * are checked by the handler, not here. An empty file_type or file_head (a browser sends
 * File.type "" when it does not know the type) counts as absent. */
struct s3_req_fields {
	char  *file_name;
	size_t file_name_len;
	char  *file_type;
	size_t file_type_len;
	char  *file_head;
	size_t file_head_len;
	char  *file_size;          /* decimal digits as sent (a JSON number: its digits) */
	size_t file_size_len;
	char  *file_md5;
	size_t file_md5_len;
};

/* A route's field table (s3_req_decode): each entry a name, the limit of
 * its decoded value, and flags. Where it is read from:
 *   S3_IN_QUERY   the query string, whatever the method;
 *   S3_IN_BODY    a POST's body (JSON or form), or the query of a GET or
 *                 DELETE (a GET's fields are in its query);
 * what it is:
 *   (default)     a string: UTF-8, no NUL, at most limit bytes;
 *   S3_FIELD_META a map of strings: form members "NAME[k]=v", or a JSON
 *                 object whose string members are kept (other values:
 *                 skipped); names 1..S3_REQ_MAX_META_NAME bytes, values
 *                 at most S3_REQ_MAX_META_VALUE, at most S3_REQ_META_MAX;
 *   S3_FIELD_JSON a JSON body's member of any type, kept as parsed (the
 *                 route walks it: the parts of a complete).
 * S3_FIELD_REQUIRED: absent or empty is 400 "NAME is required". */
enum {
	S3_IN_QUERY       = 1u,
	S3_IN_BODY        = 2u,
	S3_FIELD_REQUIRED = 4u,
	S3_FIELD_META     = 8u,
	S3_FIELD_JSON     = 16u,
	S3_FIELD_INTEGER  = 32u,   /* also a JSON number: a whole number 0..2^53,
	                              stored as its decimal string */
};

struct s3_field_spec {
	const char *name;
	size_t limit;              /* decoded bytes (strings) */
	unsigned flags;
};

struct s3_meta_member {
	char *name;                /* NUL-terminated, checked */
	char *value;               /* NUL-terminated, len bytes */
	size_t len;
};

/* The decoded fields, in the order of the table: v[k] for spec[k]. A
 * string is malloc'd (s, len; NULL when absent or empty), a JSON member a
 * detached cJSON (json). */
struct cJSON;
struct s3_req_values {
	struct {
		char *s;
		size_t len;
		struct cJSON *json;
	} v[S3_REQ_SPEC_MAX];
	struct s3_meta_member meta[S3_REQ_META_MAX];
	size_t nmeta;
};

/* Decodes in with the table spec[0..nspec) into out (overwritten on
 * entry; free it with s3_req_values_free, also after a failure). A POST's
 * body is read when a field is S3_IN_BODY (Content-Type as for /api/sign_s3:
 * 415 otherwise); unknown names are ignored, a name twice is 400; messages
 * as s3_req_parse's. The method is the router's business: any is read
 * (POST has a body, the others only a query). */
enum s3_req_status s3_req_decode(const struct s3_req_in *in,
                                 const struct s3_field_spec *spec, size_t nspec,
                                 struct s3_req_values *out, char *msg, size_t msgcap);
void s3_req_values_free(struct s3_req_values *v);

/* HTTP status code for s: 200, 400, 405, 413, 415, 500 (500 also for a
 * value outside the enum). */
int s3_req_status_http(enum s3_req_status s);

/* Parses in into out. out is overwritten (not freed) on entry; on success
 * the caller frees it with s3_req_fields_free, on failure it is left zeroed
 * and msg (when msg != NULL and msgcap > 0) holds a short client-safe
 * message such as "file_name is required" or "invalid JSON". The size of
 * the body is the caller's business (see s3_req_check_length). */
enum s3_req_status s3_req_parse(const struct s3_req_in *in,
				struct s3_req_fields *out,
				char *msg, size_t msgcap);

/* Frees the fields and zeroes f. Safe on a zeroed struct and on NULL. */
void s3_req_fields_free(struct s3_req_fields *f);

/* Classifies CONTENT_LENGTH before the body is read. NULL or "" is a body
 * of 0 bytes. Anything but plain decimal digits (a sign, spaces, a value
 * that does not fit size_t) is S3_REQ_BAD "invalid Content-Length"; more
 * than max_body bytes is S3_REQ_TOO_LARGE. *len_out is the length on
 * success, 0 otherwise. msg as for s3_req_parse. */
enum s3_req_status s3_req_check_length(const char *content_length,
				       size_t max_body, size_t *len_out,
				       char *msg, size_t msgcap);

#endif
