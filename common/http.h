/* http.h - a minimal outbound HTTP client (GET, PUT, POST, DELETE, HEAD,
 * OPTIONS) over libcurl.
 *
 * Used by the credential providers (creds.h) to talk to the container
 * credentials endpoint and to the EC2 instance metadata service, and by
 * the S3 client (s3client.h), and by `sign_s3 doctor` (cgi/doctor.h: a
 * presigned PUT, a CORS preflight OPTIONS); nothing else in sign_s3 makes
 * outbound requests.
 *
 * libcurl is not linked: it is loaded with dlopen("libcurl.so.4") on first
 * use and its few entry points resolved with dlsym. Linking it would add
 * some 30 shared libraries to every plain-CGI exec (what that costs: README,
 * Performance, `make bench-cgi`), and a request served with static
 * credentials never needs it. When it cannot be loaded,
 * a request fails with S3_ERR_IO and "libcurl not available: ...". The
 * types and constants come from <curl/curl.h> at build time.
 *
 * Every request is bounded and direct:
 *  - connect timeout S3_HTTP_CONNECT_TIMEOUT_MS, whole call S3_HTTP_TIMEOUT_MS
 *    (a request may ask for less, never more); CURLOPT_NOSIGNAL;
 *  - no redirects followed (a 3xx is returned as is), no proxy whatever
 *    http_proxy / HTTPS_PROXY / ALL_PROXY say (metadata requests must never
 *    leave the host through a proxy), http and https only, no compression;
 *  - the answer's body is limited to S3_HTTP_MAX_BODY bytes (a request
 *    may ask for up to S3_HTTP_MAX_BODY_LIMIT): a larger one is an error
 *    (S3_ERR_TOOLONG), never truncated; so is a response header line over
 *    S3_HTTP_MAX_HEADER bytes;
 *  - a request body (POST, PUT) is sent with its exact Content-Length and
 *    no "Expect: 100-continue"; libcurl adds no Content-Type of its own.
 *
 * Connections: one libcurl easy handle is kept per process and reused
 * (curl_easy_reset between calls, every option set again), so a second
 * request to the same host rides the same keep-alive connection;
 * resp->connects and s3_http_connects() say how many new connections were
 * opened. The handle belongs to the process that made it: a child of
 * fork() never uses its parent's (it would share the parent's sockets),
 * it makes its own and leaves the inherited one alone. Do not use this
 * client in a parent before fork (the --listen parent never does): its
 * open connections would stay open in every child.
 * Bodies (they hold credentials) are wiped with OPENSSL_cleanse when freed,
 * and so are the request header lines once sent. Messages (why) never
 * contain a header value or a body: only fixed text, the HTTP status, and
 * libcurl's error string.
 *
 * Not thread-safe (libcurl's global init is done on first use): sign_s3
 * calls it from one thread per process. */
#ifndef SIGN_S3_HTTP_H
#define SIGN_S3_HTTP_H

#include <stddef.h>
#include "err.h"
#include "url.h"

#define S3_HTTP_LIBCURL            "libcurl.so.4"
#define S3_HTTP_MAX_BODY           (64 * 1024)  /* bytes of an answer's body, default */
#define S3_HTTP_MAX_BODY_LIMIT     (1024 * 1024) /* the most max_body may ask for */
#define S3_HTTP_MAX_REQUEST_BODY   (8 * 1024 * 1024) /* bytes of a request's body */
#define S3_HTTP_MAX_URL            S3_URL_MAX   /* bytes of a URL (url.h) */
#define S3_HTTP_MAX_HEADERS        16           /* request headers */
#define S3_HTTP_MAX_WANT           8            /* response headers asked for */
#define S3_HTTP_MAX_HEADER         (16 * 1024)  /* bytes of one "Name: value" line */
#define S3_HTTP_CONNECT_TIMEOUT_MS 1000
#define S3_HTTP_TIMEOUT_MS         3000
#define S3_HTTP_WHY_MAX            160          /* suggested size of why */

struct s3_http_header {
	const char *name;          /* token characters only */
	const char *value;         /* printable ASCII and spaces; no CR/LF */
};

struct s3_http_request {
	const char *method;        /* "GET", "PUT", "POST", "DELETE", "HEAD" or "OPTIONS" */
	const char *url;           /* http:// or https://, as s3_url_parse accepts */
	const struct s3_http_header *headers;
	size_t nheaders;           /* at most S3_HTTP_MAX_HEADERS */
	long connect_timeout_ms;   /* 0 or above the default: the default */
	long timeout_ms;           /* likewise */
	const char *body;          /* POST and PUT only; NULL: empty */
	size_t body_len;           /* at most S3_HTTP_MAX_REQUEST_BODY */
	const char *const *want_headers;  /* response headers wanted (any case) */
	size_t nwant;              /* at most S3_HTTP_MAX_WANT */
	size_t max_body;           /* answer's body limit; 0: S3_HTTP_MAX_BODY,
	                              at most S3_HTTP_MAX_BODY_LIMIT */
};

struct s3_http_response {
	long status;               /* HTTP status code */
	char *body;                /* NUL-terminated; free with s3_http_response_free */
	size_t len;
	/* header_values[i]: the value of want_headers[i] in the final answer
	 * (spaces around it trimmed; the first when repeated), malloc'd and
	 * NUL-terminated, or NULL when absent */
	char *header_values[S3_HTTP_MAX_WANT];
	long connects;             /* new connections this call opened (0: reused) */
};

/* The signature of an HTTP client: fills resp (free it with
 * s3_http_response_free) and returns S3_OK once an answer with any status
 * came back; otherwise an error with one line in why (resp is then
 * empty). Tests substitute their own. */
typedef enum s3_err (*s3_http_fn)(void *ctx, const struct s3_http_request *req,
                                  struct s3_http_response *resp,
                                  char *why, size_t whycap);

/* The libcurl client (ctx unused). Errors: S3_ERR_INVAL for a request this
 * client refuses (method, URL, header, a body on GET/HEAD/DELETE, a limit
 * asked beyond its ceiling), S3_ERR_IO for a transport failure or timeout,
 * or libcurl missing, S3_ERR_TOOLONG for an answer's body over the limit
 * or a response header line over S3_HTTP_MAX_HEADER, S3_ERR_NOMEM. */
enum s3_err s3_http_curl(void *ctx, const struct s3_http_request *req,
                         struct s3_http_response *resp, char *why, size_t whycap);

/* Loads libcurl now (soname NULL: S3_HTTP_LIBCURL). Done implicitly by
 * the first s3_http_curl(); once loaded, later calls return S3_OK. A
 * failed load is not remembered (tests load a missing name first). */
enum s3_err s3_http_load(const char *soname, char *why, size_t whycap);

/* Releases the process's handle (its connections close) and libcurl's
 * global state (the library stays mapped). */
void s3_http_cleanup(void);

/* New connections this process's handle has opened in all (a test or a
 * bench shows that a second call opened none). */
long s3_http_connects(void);

/* Wipes and frees the body and the header values; resp is zeroed. */
void s3_http_response_free(struct s3_http_response *resp);

#endif
