/* route.h - which handler answers a request: one table of
 * {path pattern, methods, handler}.
 *
 * The path is what the web server says the request was for: under
 * FastCGI DOCUMENT_URI, else SCRIPT_NAME + PATH_INFO; under CGI
 * PATH_INFO (serve.c picks it). Patterns are matched against the END of
 * the path, segment by segment, so the routes work wherever they are
 * mounted: with nginx's `location /api/ { fastcgi_pass ...; }` the path
 * /api/s3/multipart/ID/complete matches "/s3/multipart/:id/complete".
 * ":id" is one non-empty segment, ":n" one of decimal digits. The first
 * pattern in the table that matches, with a method it lists, wins; a
 * path some pattern matches with none of its methods is 405 with Allow
 * (the methods of every pattern that matches); a path no pattern
 * matches is 404. No path at all (a CGI without PATH_INFO, a FastCGI
 * request without DOCUMENT_URI or SCRIPT_NAME) is /api/sign_s3, so the
 * deployments of the one-route design keep working.
 *
 *  pattern                        methods    handler (file)
 *  /sign_s3                       GET POST   s3_handle (handler.c)
 *  /sign_s3/verify                POST       h_verify (h_verify.c; verify.h)
 *  /sign_s3/status                GET        h_status (h_status.c; stats.h):
 *                                            only with S3_STATUS=1, else not
 *                                            there at all (404 for any method)
 *  /s3/params                     GET        h_params (h_params.c)
 *  /s3/verify                     POST       h_verify (h_verify.c; verify.h)
 *  /s3/multipart                  POST       h_mp_create (h_mp_create.c)
 *  /s3/multipart/:id/batch        GET        h_mp_sign_batch (h_mp_sign_batch.c)
 *  /s3/multipart/:id/complete     POST       h_mp_complete (h_mp_complete.c)
 *  /s3/multipart/:id/:n           GET        h_mp_sign_part (h_mp_sign_part.c)
 *  /s3/multipart/:id              GET        h_mp_list (h_mp_list.c)
 *  /s3/multipart/:id              DELETE     h_mp_abort (h_mp_abort.c)
 *  /s3/sts                        GET        404: sign_s3 never hands out
 *                                            credentials (README)
 * The multipart and verify routes call S3 (and verify the application,
 * S3_NOTIFY_URL); with S3_MULTIPART=0 they answer 404, and the sandbox
 * keeps no INET sockets. */
#ifndef SIGN_S3_ROUTE_H
#define SIGN_S3_ROUTE_H

#include <stddef.h>
#include <time.h>
#include "handler.h"

#define S3_ROUTE_MAX_PATH     4096  /* bytes of a path */
#define S3_ROUTE_MAX_SEGMENTS 64    /* segments of a path */
#define S3_ROUTE_MAX_ARGS     2     /* :captures in a pattern */

enum {
	S3_M_GET = 1u,
	S3_M_POST = 2u,
	S3_M_DELETE = 4u,
};

/* A pattern's captures, in order: pointers into the path, not
 * NUL-terminated. */
struct s3_route_args {
	const char *arg[S3_ROUTE_MAX_ARGS];
	size_t len[S3_ROUTE_MAX_ARGS];
};

typedef void (*s3_route_fn)(struct s3_app *app, const struct s3_req_in *in,
                            const struct s3_route_args *a, time_t now,
                            struct s3_response *out);

struct s3_route {
	const char *pattern;
	unsigned methods;
	s3_route_fn fn;
	int s3;              /* calls S3: off with S3_MULTIPART=0 */
	size_t body_max;     /* its body limit when above S3_MAX_BODY (0: S3_MAX_BODY) */
	const char *name;    /* its name on the status page (stats.h) */
	int status;          /* the status page: there only with S3_STATUS=1 */
};

/* Answers in (in->path picks the route) at time now into out. Returns the
 * index of the route whose handler answered (s3_route_name), or -1 when
 * none did (401, 404, 405, 414, multipart off). */
int s3_route(struct s3_app *app, const struct s3_req_in *in, time_t now,
             struct s3_response *out);

/* The number of routes in the table, and the name of route i ("none" for
 * any other i): the status page's route labels. */
int s3_route_count(void);
const char *s3_route_name(int i);

/* The body limit of the route method and path pick: S3_MAX_BODY, or the
 * route's own when larger (a complete's list of parts, S3_ROUTE_BODY_MAX). */
size_t s3_route_body_max(const struct s3_app *app, const char *method, const char *path);

/* The largest body limit of any route: what a FastCGI connection keeps. */
size_t s3_route_body_max_any(const struct s3_app *app);

#define S3_ROUTE_BODY_MAX (1024 * 1024)   /* a complete's body (10,000 parts) */

/* The table's entry for method and path, or NULL; *allow gets the 405's
 * Allow text when the path matches with other methods only (else NULL).
 * Every route counts here, the status page's too (S3_STATUS is s3_route's
 * business). For tests and for the body limits. */
const struct s3_route *s3_route_find(const char *method, const char *path,
                                     struct s3_route_args *a, const char **allow);

/* The handlers of the table (each in its own file). */
void h_params(struct s3_app *app, const struct s3_req_in *in, const struct s3_route_args *a,
              time_t now, struct s3_response *out);
void h_mp_create(struct s3_app *app, const struct s3_req_in *in,
                 const struct s3_route_args *a, time_t now, struct s3_response *out);
void h_mp_sign_part(struct s3_app *app, const struct s3_req_in *in,
                    const struct s3_route_args *a, time_t now, struct s3_response *out);
void h_mp_sign_batch(struct s3_app *app, const struct s3_req_in *in,
                     const struct s3_route_args *a, time_t now, struct s3_response *out);
void h_mp_list(struct s3_app *app, const struct s3_req_in *in, const struct s3_route_args *a,
               time_t now, struct s3_response *out);
void h_mp_complete(struct s3_app *app, const struct s3_req_in *in,
                   const struct s3_route_args *a, time_t now, struct s3_response *out);
void h_mp_abort(struct s3_app *app, const struct s3_req_in *in, const struct s3_route_args *a,
                time_t now, struct s3_response *out);
void h_verify(struct s3_app *app, const struct s3_req_in *in, const struct s3_route_args *a,
              time_t now, struct s3_response *out);
void h_status(struct s3_app *app, const struct s3_req_in *in, const struct s3_route_args *a,
              time_t now, struct s3_response *out);

#endif
