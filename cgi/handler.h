/* handler.h - one /api/sign_s3 request, from decoded transport to answer.
 *
 * The flow, each step another module's job:
 *   REMOTE_USER    -> s3_user_keysafe      (common/policy), with S3_REQUIRE_USER=1:
 *                     401 when unset, empty, too long or not UTF-8
 *   request bytes  -> s3_req_parse        (cgi/request)   fields
 *   file_name      -> s3_filename_sanitize (common/filename), at most
 *                     S3_MAX_NAME_BYTES (less if the key would pass 1024)
 *   file_head      -> s3_base64_decode (common/base64): 400 when invalid,
 *                     over S3_SNIFF_HEAD_MAX bytes, or missing with
 *                     S3_REQUIRE_FILE_HEAD=1; then s3_sniff_type (common/sniff)
 *   file_type      -> s3_mime_type_check; checked against the sniffed type
 *                     (s3_type_contradicts: 415). Empty: the sniffed type,
 *                     or s3_mime_lookup (common/mime) when libmagic only
 *                     says octet-stream / empty, or text/plain of a name
 *                     whose extension says more
 *   S3_ALLOWED_TYPES  the type signed, and a specific sniffed type: 415
 *   key            =  S3_KEY_PREFIX ({user} expanded) + uuid v4 (common/uuid)
 *                     + "/" + name
 *   presigned PUT  -> s3_presign          (common/presign)
 *   JSON answer    -> s3_response_ok/error (cgi/response)
 * No web-server I/O here: the caller reads the request and writes the
 * answer (serve.c). */
#ifndef SIGN_S3_HANDLER_H
#define SIGN_S3_HANDLER_H

#include <time.h>
#include "config.h"
#include "creds.h"
#include "http.h"
#include "mime.h"
#include "policy.h"
#include "presign.h"
#include "request.h"
#include "response.h"
#include "sniff.h"

#define S3_MSG_INTERNAL "An internal server error occurred"
#define S3_MSG_NOCREDS  "upload signing is not available right now"

/* Per-process state, built once at start and reused for every request. */
struct s3_app {
	struct s3_config cfg;
	struct s3_mime_db *mime;     /* loaded at start, or on first need */
	struct s3_sniff *sniff;      /* libmagic: at start, or on first need */
	const char *mime_path;       /* NULL: /etc/mime.types */
	struct sigv4_cache cache;    /* derived signing key */
	struct s3_creds_chain *creds;  /* where credentials come from (creds.h) */
	enum s3_err (*uuid)(char out[37]);   /* s3_uuid_v4; tests may pin it */
	s3_http_fn s3_http;          /* the S3 client's transport: NULL is libcurl
	                                (http.h); tests and fuzzers pin a fake */
	void *s3_http_ctx;
	void (*s3_sleep_ms)(unsigned ms);   /* its back-off; NULL: nanosleep */
	s3_lookup_fn get;            /* where the settings came from (s3_app_init's) */
	void *get_ctx;
};

/* Loads the configuration (errors in err, naming the variable). With
 * preload, the MIME table and libmagic's database are read now (FastCGI);
 * otherwise only when a request needs them (CGI: one request per
 * process). A libmagic that cannot be loaded is not an error here (one
 * line on stderr): only requests with a file_head need it, and they get
 * a 500 naming the cause. */
enum s3_err s3_app_init(struct s3_app *app, s3_lookup_fn get, void *ctx,
                        int preload, char *err, size_t errcap);
void s3_app_free(struct s3_app *app);

#define S3_PREFIX_MAX (S3_CONFIG_MAX_PREFIX + S3_USER_KEY_MAX)   /* {user} expanded */

/* The decisions of the upload rules for one new upload (s3_upload_prepare),
 * shared by every route that starts one (/api/sign_s3, /s3/params, the
 * multipart create): the key, the type to sign or send, the disposition of
 * active content, and the credentials to sign with. */
struct s3_upload {
	char key[SIGV4_MAX_KEY + 1];
	size_t key_len;
	char type[S3_REQ_MAX_FIELD + 1];
	const char *disposition;     /* "attachment" or NULL */
	struct s3_creds creds;
	unsigned expires;            /* S3_EXPIRES clamped to the credentials' life */
	char why[S3_CREDS_WHY_MAX];  /* a failed refresh to log with a 200 (s3_creds_warn) */
	char content_length[SIGV4_MAX_LENGTH_DIGITS + 1];   /* "": none signed */
	char content_md5[S3_REQ_MAX_MD5 + 1];               /* "": none signed */
};

#define S3_SINGLE_PUT_MAX 5368709120ULL   /* 5 GiB: S3's largest single PUT */

/* The rules above (handler.h's flow) on f: who (401), the name (400), the
 * type (400, 415), active content, size and MD5, credentials (503), UUID
 * and key. 0, or -1 with out holding the refusal. single: the file goes
 * up in one PUT, so its size and MD5 are signed: file_size (decimal
 * digits, or a JSON number) becomes a signed Content-Length, required
 * (400) with S3_MAX_FILE_SIZE or S3_MIN_FILE_SIZE set, over the one
 * 413 (over 5 GiB, S3's single PUT, 413 too), under the other 400;
 * file_md5 (base64 of the 16-byte MD5) a signed Content-MD5, required
 * with S3_REQUIRE_MD5=1. Otherwise (a multipart create) a file_size over
 * S3_MAX_FILE_SIZE is 413 all the same, and file_md5 is not used. */
int s3_upload_prepare(struct s3_app *app, const struct s3_req_in *in,
                      const struct s3_req_fields *f, int single, time_t now,
                      struct s3_upload *u, struct s3_response *out);

/* Uppy's fields of a new upload, {filename, type, metadata} (from the
 * query of /s3/params, the JSON body of a create; file_size and file_md5
 * too, which Uppy does not send but a page may): decoded into v (free it
 * with s3_req_values_free, whatever the outcome), then s3_upload_prepare
 * on them. 0, or -1 with out holding the refusal. */
enum { S3_UP_NAME, S3_UP_TYPE, S3_UP_META, S3_UP_SIZE, S3_UP_MD5 };
int s3_upload_decode(struct s3_app *app, const struct s3_req_in *in, int single, time_t now,
                     struct s3_req_values *v, struct s3_upload *u, struct s3_response *out);

/* S3_KEY_PREFIX for the caller ({user} expanded; 401 without a usable
 * REMOTE_USER under S3_REQUIRE_USER=1): 0, or -1 with out filled. */
int s3_caller_prefix(struct s3_app *app, const struct s3_req_in *in,
                     char prefix[S3_PREFIX_MAX + 1], size_t *plen, struct s3_response *out);

/* The longest sanitized name a key under a prefix of plen bytes has. */
size_t s3_name_max(const struct s3_app *app, size_t plen);

/* A key the client names (key[0..klen), NULL: absent) must be one this
 * server could have issued to this caller (key.h's s3_key_check under
 * s3_caller_prefix): 0, or -1 with a 403 (401 for no user) in out, before
 * anything is signed or sent. */
int s3_key_of_caller(struct s3_app *app, const struct s3_req_in *in, const char *key,
                     size_t klen, struct s3_response *out);

/* Credentials to sign with now, and the URL lifetime: *expires on entry
 * (0: S3_EXPIRES) clamped to theirs. 0, or -1 with a 503 (500) in out.
 * why: a failed refresh. */
int s3_app_creds(struct s3_app *app, time_t now, struct s3_creds *c, unsigned *expires,
                 char why[S3_CREDS_WHY_MAX], struct s3_response *out);

/* After a 200: log why (a failed refresh, the old credentials still good). */
void s3_creds_warn(const char *why, struct s3_response *out);

/* A 500 (or status) with the client-safe text client, and "why: e" for the log. */
void s3_internal(struct s3_response *out, int status, const char *client, const char *why,
                 enum s3_err e);

/* Answers one request at time now. out is always filled (free it with
 * s3_response_free); out->message holds the line to log: the error, or the
 * key signed. */
void s3_handle(struct s3_app *app, const struct s3_req_in *in, time_t now,
               struct s3_response *out);

#endif
