/* s3xml.h - S3's XML answers, read with expat (never by string search):
 * <Error>, InitiateMultipartUploadResult, ListPartsResult,
 * CompleteMultipartUploadResult, LocationConstraint, CORSConfiguration
 * (the last two for `sign_s3 doctor`); and the HTTP status sign_s3 answers for
 * an S3 error (the S3 client of issue 11 uses them).
 *
 * Every reader takes the whole body (at most S3XML_MAX_BODY bytes) and
 * refuses what is not one well-formed document within the limits: nesting
 * deeper than S3XML_MAX_DEPTH, an element's text over S3XML_MAX_TEXT, a
 * DOCTYPE (so no entity is ever declared or expanded: S3 never sends one),
 * a value over its field's size. Element names are matched by local name
 * (expat's namespace processing strips S3's
 * xmlns="http://s3.amazonaws.com/doc/2006-03-01/"), so a prefixed
 * element reads the same. Nothing here allocates but s3xml_parts_free's
 * array; nothing reads the network. */
#ifndef SIGN_S3_S3XML_H
#define SIGN_S3_S3XML_H

#include <stddef.h>
#include "err.h"

#define S3XML_MAX_BODY      (1024 * 1024)  /* an answer's bytes */
#define S3XML_MAX_DEPTH     8              /* element nesting */
#define S3XML_MAX_TEXT      4096           /* one element's text */
#define S3XML_MAX_CODE      64             /* <Code> */
#define S3XML_MAX_MESSAGE   512            /* <Message> */
#define S3XML_MAX_UPLOAD_ID 1024           /* <UploadId> */
#define S3XML_MAX_ETAG      128            /* <ETag>, quotes included */
#define S3XML_MAX_LOCATION  2048           /* <Location> */
#define S3XML_MAX_PARTS     1000           /* <Part>s in one ListParts page (S3's limit) */
#define S3XML_MAX_REGION    64             /* <Region>, <LocationConstraint> */
#define S3XML_MAX_CORS_RULES 100           /* <CORSRule>s (S3's limit) */
#define S3XML_MAX_CORS_ID   255            /* a rule's <ID> */
#define S3XML_MAX_CORS_LIST 1024           /* one rule's values of one kind, joined */

/* <Error><Code/><Message/><Region/></Error>: code and message, as S3
 * wrote them; region "" unless S3 named the bucket's (PermanentRedirect,
 * AuthorizationHeaderMalformed: too long, it is left ""). */
struct s3xml_error {
	char code[S3XML_MAX_CODE + 1];
	char message[S3XML_MAX_MESSAGE + 1];
	char region[S3XML_MAX_REGION + 1];
};

/* 1 when body is an <Error> document (e filled; its Code may be empty), 0
 * when it is another well-formed document, -1 when it is not XML within
 * the limits (e's code is then "" too). CompleteMultipartUpload can answer
 * 200 with an <Error>: the caller asks this first. */
int s3xml_error(const char *body, size_t n, struct s3xml_error *e);

/* InitiateMultipartUploadResult's UploadId into id (cap bytes with its
 * NUL). S3_ERR_PARSE when absent, empty, or not that document;
 * S3_ERR_TOOLONG when it does not fit. */
enum s3_err s3xml_initiate(const char *body, size_t n, char *id, size_t cap);

/* One part of ListPartsResult. */
struct s3xml_part {
	unsigned number;                      /* PartNumber, 1..10000 */
	char etag[S3XML_MAX_ETAG + 1];        /* as S3 wrote it, quotes included */
	unsigned long long size;              /* Size */
};

/* One page of ListPartsResult: its parts in document order, and where the
 * next page starts. */
struct s3xml_parts {
	struct s3xml_part *part;              /* malloc'd; s3xml_parts_free */
	size_t n;
	int truncated;                        /* IsTruncated true */
	unsigned next_marker;                 /* NextPartNumberMarker (0: none) */
};

/* Reads a ListPartsResult page into out (zeroed first). S3_ERR_PARSE for
 * another document or a part without a valid PartNumber, ETag and Size;
 * S3_ERR_RANGE for more than S3XML_MAX_PARTS parts; S3_ERR_NOMEM. */
enum s3_err s3xml_list_parts(const char *body, size_t n, struct s3xml_parts *out);
void s3xml_parts_free(struct s3xml_parts *p);

/* CompleteMultipartUploadResult: Location and ETag (either may be left
 * "" when S3 omits it). S3_ERR_PARSE for another document (an <Error>
 * included: ask s3xml_error first). */
enum s3_err s3xml_complete(const char *body, size_t n, char location[S3XML_MAX_LOCATION + 1],
                           char etag[S3XML_MAX_ETAG + 1]);

/* GetBucketLocation's <LocationConstraint> into region: "" is us-east-1,
 * "EU" eu-west-1 (S3's legacy names). S3_ERR_PARSE for another document;
 * S3_ERR_TOOLONG over S3XML_MAX_REGION. */
enum s3_err s3xml_location(const char *body, size_t n, char region[S3XML_MAX_REGION + 1]);

/* One <CORSRule> of GetBucketCors: each kind of value joined with ","
 * in document order ("" when the rule has none). */
struct s3xml_cors_rule {
	char id[S3XML_MAX_CORS_ID + 1];
	char origins[S3XML_MAX_CORS_LIST + 1];    /* AllowedOrigin */
	char methods[S3XML_MAX_CORS_LIST + 1];    /* AllowedMethod */
	char headers[S3XML_MAX_CORS_LIST + 1];    /* AllowedHeader */
	char expose[S3XML_MAX_CORS_LIST + 1];     /* ExposeHeader */
	long max_age;                             /* MaxAgeSeconds; -1: none */
};

struct s3xml_cors {
	struct s3xml_cors_rule *rule;             /* malloc'd; s3xml_cors_free */
	size_t n;
};

/* Reads a CORSConfiguration into out (zeroed first). S3_ERR_PARSE for
 * another document, a value that is empty or holds a ',' or a control
 * character, a bad MaxAgeSeconds; S3_ERR_TOOLONG for an ID or a joined
 * list over its size; S3_ERR_RANGE for more than S3XML_MAX_CORS_RULES
 * rules; S3_ERR_NOMEM. */
enum s3_err s3xml_cors(const char *body, size_t n, struct s3xml_cors *out);
void s3xml_cors_free(struct s3xml_cors *c);

/* The status sign_s3 answers when S3 answered s3_status with error code
 * code (NULL or "" when there was no <Error>): NoSuchUpload and NoSuchKey
 * 404, AccessDenied 403, InvalidPart, InvalidPartOrder and EntityTooSmall
 * 400, EntityTooLarge 413; what is the server's own fault, not the
 * caller's, 502: NoSuchBucket, SignatureDoesNotMatch, InvalidAccessKeyId,
 * RequestTimeTooSkewed, PermanentRedirect (a bucket in another region),
 * SlowDown, InternalError, ServiceUnavailable, any 5xx (after the client's
 * retries) and any redirect; another 4xx is S3's own status (the caller's
 * fault, never a 500). */
int s3xml_status(const char *code, int s3_status);

#endif
