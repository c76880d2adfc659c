/* verify.h - what landed: the upload policy applied again, to the object
 * S3 actually stores (issue 12, README "Verify what landed"). Used by
 * POST /api/sign_s3/verify and POST /s3/verify (h_verify.c) and by the
 * multipart complete (h_mp_complete.c), on the joined object.
 *
 * The check, on a key the caller has already been checked for
 * (s3_key_of_caller):
 *  1. HeadObject: size, ETag, Content-Type (none, or binary/octet-stream:
 *     application/octet-stream), Content-Disposition. Absent: 404.
 *  2. GetObject of the first S3_SNIFF_HEAD_MAX bytes (Range); libmagic
 *     names them (s3_sniff_type): the detected type.
 *  3. The rules signing applied (handler.h, policy.h), now on the stored
 *     type S and the detected type D:
 *     - S3_ALLOWED_TYPES: S must be allowed; so must D when it is specific
 *       (not s3_type_generic) and not S or an alias of it;
 *     - S3_ACTIVE_TYPES (unless allow): an active S is refused (refuse),
 *       or must be stored with Content-Disposition: attachment
 *       (attachment); an active D stored as another type is refused;
 *     - s3_type_contradicts(S, D).
 *  A refusal is a 415 naming both types; with S3_DELETE_REJECTED=1 the
 *  object is deleted first and the message says "it was deleted" (a
 *  failed delete is logged and said too).
 * S3's failures are mp_s3_error's statuses (502 for S3 unreachable). */
#ifndef SIGN_S3_VERIFY_H
#define SIGN_S3_VERIFY_H

#include "multipart.h"
#include "sniff.h"

struct cJSON;

struct s3_verified {
	unsigned long long size;
	char etag[S3XML_MAX_ETAG + 1];
	char file_type[S3_TYPE_BASE_MAX + 1];       /* stored, type/subtype */
	char detected_type[S3_SNIFF_TYPE_MAX + 1];  /* libmagic's */
};

/* The check above on key[0..klen) through cl with credentials c: 0 when
 * it passes (v filled), else -1 with out holding the answer (404, 415,
 * 5xx) and its log line. */
int s3_verify_object(struct s3_app *app, const struct s3_client *cl, const struct s3_creds *c,
                     time_t now, const char *key, size_t klen, struct s3_verified *v,
                     struct s3_response *out);

/* The object's URL as the answers give it (as /api/sign_s3's url):
 * S3_PUBLIC_URL + '/' + the encoded key when set, else SCHEME://HOST/PATH
 * of the object (s3_object_location). 0, or -1 when it does not fit cap. */
int s3_object_url(const struct s3_app *app, const char *key, size_t klen, char *buf,
                  size_t cap);

/* Adds key, size, etag, file_type, detected_type and url (S3_PUBLIC_URL +
 * key when set, else the object's URL; as /api/sign_s3's url) to obj: 0,
 * or -1 (out of memory, a URL too long). */
int s3_verified_json(struct s3_app *app, const char *key, size_t klen,
                     const struct s3_verified *v, struct cJSON *obj);

/* With S3_NOTIFY_URL: POSTs obj plus "timestamp" (now, Unix seconds) to
 * the application, signed (notify.h). 0 when it answered 2xx (or there
 * is no S3_NOTIFY_URL); else -1 with a 502 in out whose log line says
 * why (never the secret). */
int s3_verify_notify(struct s3_app *app, const struct cJSON *obj, time_t now,
                     struct s3_response *out);

#endif
