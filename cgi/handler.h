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
#include "mime.h"
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

/* Answers one request at time now. out is always filled (free it with
 * s3_response_free); out->message holds the line to log: the error, or the
 * key signed. */
void s3_handle(struct s3_app *app, const struct s3_req_in *in, time_t now,
               struct s3_response *out);

#endif
