/* handler.h - one /api/sign_s3 request, from decoded transport to answer.
 *
 * The flow, each step another module's job:
 *   request bytes  -> s3_req_parse        (cgi/request)   fields
 *   file_name      -> s3_filename_sanitize (common/filename)
 *   file_type      -> s3_mime_type_check, or s3_mime_lookup (common/mime)
 *   key            =  S3_KEY_PREFIX + uuid v4 (common/uuid) + "/" + name
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

#define S3_MSG_INTERNAL "An internal server error occurred"
#define S3_MSG_NOCREDS  "upload signing is not available right now"

/* Per-process state, built once at start and reused for every request. */
struct s3_app {
	struct s3_config cfg;
	struct s3_mime_db *mime;     /* loaded at start, or on first need */
	const char *mime_path;       /* NULL: /etc/mime.types */
	struct sigv4_cache cache;    /* derived signing key */
	struct s3_creds_chain *creds;  /* where credentials come from (creds.h) */
	enum s3_err (*uuid)(char out[37]);   /* s3_uuid_v4; tests may pin it */
};

/* Loads the configuration (errors in err, naming the variable). With
 * preload, the MIME table is read now (FastCGI); otherwise only when a
 * request needs it (CGI: one request per process). */
enum s3_err s3_app_init(struct s3_app *app, s3_lookup_fn get, void *ctx,
                        int preload, char *err, size_t errcap);
void s3_app_free(struct s3_app *app);

/* Answers one request at time now. out is always filled (free it with
 * s3_response_free); out->message holds the line to log: the error, or the
 * key signed. */
void s3_handle(struct s3_app *app, const struct s3_req_in *in, time_t now,
               struct s3_response *out);

#endif
