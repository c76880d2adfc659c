/* serve_int.h - between the two halves of the request loops (serve.h is
 * the API): serve.c (signals, the log line, a request from its body to its
 * answer, CGI) and serve_fcgi.c (the FastCGI loop). Not for other callers. */
#ifndef SIGN_S3_SERVE_INT_H
#define SIGN_S3_SERVE_INT_H

#include <stdio.h>
#include <time.h>

#include "serve.h"

/* The part shared by both modes: length check, body, handler. A read_fn
 * reads up to n bytes into buf and returns how many it got. */
typedef size_t (*read_fn)(void *ctx, char *buf, size_t n);

/* Where the body comes from: a stream read here (CGI's stdin), or memory
 * that already holds it (FastCGI: fcgi_conn keeps the request whole). */
struct body_src {
	read_fn rd;            /* NULL: mem, memlen */
	void *ctx;
	const char *mem;
	size_t memlen;
};

/* Who the web server says the caller is (S3_REQUIRE_USER, policy.h). */
struct remote_user {
	const char *name;      /* REMOTE_USER, or NULL */
	int conflict;          /* given twice with two different non-empty values */
};

/* Answers one request: the body's length checked against the route's
 * limit, the body read (or taken from memory), the route's handler run,
 * and the request counted for the status page (stats.h). */
void serve__answer(struct s3_app *app, const char *method, const char *path, const char *ctype,
                   const char *query, const char *clen, const struct remote_user *ru,
                   const struct body_src *src, time_t now, struct s3_response *out);

/* 1 when r is worth a log line (not a 200, a warning, or S3_LOG_REQUESTS). */
int serve__want_log(const struct s3_app *app, const struct s3_response *r);

/* One log line; status 0 is printed "-" (no answer was sent). */
void serve__log_line(FILE *f, int status, const char *method, const char *remote,
                     const char *msg, time_t now);

#endif
