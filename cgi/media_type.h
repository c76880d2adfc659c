/* media_type.h - the request body's media type, from its Content-Type header
 * (RFC 9110 8.3: type/subtype, then ;-separated name=value parameters, a
 * value a token or a quoted-string). The request decoder (request.h) reads
 * two: application/json and application/x-www-form-urlencoded, compared
 * ASCII case-insensitively; a charset parameter must be utf-8 or us-ascii,
 * other parameters are allowed; empty parameters (";;") are skipped. */
#ifndef SIGN_S3_MEDIA_TYPE_H
#define SIGN_S3_MEDIA_TYPE_H

enum s3_media {
	S3_MEDIA_JSON,          /* application/json */
	S3_MEDIA_FORM,          /* application/x-www-form-urlencoded */
	S3_MEDIA_UNSUPPORTED,   /* absent (NULL), or another type */
	S3_MEDIA_CHARSET,       /* one of the two, with another charset */
	S3_MEDIA_MALFORMED,     /* one of the two, with a parameter not name=value */
};

/* Classifies a Content-Type header value (NULL when absent). */
enum s3_media s3_media_type(const char *content_type);

#endif
