/* serve.h - the web-server side: read one request, answer it, log it.
 *
 * CGI: the request is in the environment and on stdin, the answer goes to
 * stdout, one request per process. FastCGI: an accept loop on a
 * listening socket (fd 0 under spawn-fcgi / mod_fcgid, or one made by
 * --listen), each connection read by fcgi_conn.h under S3_REQUEST_TIMEOUT,
 * until SIGTERM or SIGINT: a request already read is answered, a peer
 * still sending is dropped, then the loop ends.
 *
 * Log lines go to the process's stderr (in CGI mode the web server's error
 * log; in FastCGI mode a file or the journal, never the FastCGI error
 * stream), one per refused or failed request, and one per signed request
 * only with S3_LOG_REQUESTS=1:
 *   sign_s3[PID]: 2026-11-24T12:00:00Z 400 POST 203.0.113.9 "file_name is required"
 * time, status, method, REMOTE_ADDR, then the message (for 200, the key
 * signed), quoted; a FastCGI connection dropped without an answer (its
 * deadline, SIGTERM, not FastCGI) has '-' for its status:
 *   sign_s3[PID]: 2026-11-24T12:00:00Z - - - "connection dropped: no request within S3_REQUEST_TIMEOUT (5 s)"
 * Messages have '"', '\' and control characters escaped. No secret
 * is ever part of a message. */
#ifndef SIGN_S3_SERVE_H
#define SIGN_S3_SERVE_H

#include <signal.h>
#include <stdio.h>
#include "fcgi_conn.h"
#include "handler.h"

/* Set by SIGTERM / SIGINT (see serve_install_signals). */
extern volatile sig_atomic_t serve_stop;

/* SIGTERM and SIGINT set serve_stop and end a FastCGI worker's wait for
 * a connection (serve_fastcgi holds them everywhere else); SIGPIPE is
 * ignored (a client that went away is not a reason to die). */
void serve_install_signals(void);

/* One CGI request from environ/stdin to stdout. Returns 0 (an answer was
 * written, whatever its status) or 1 (could not write). */
int serve_cgi(struct s3_app *app);

/* The CGI answer when the process has no configuration to serve with: a
 * generic JSON 500, "configuration error: WHY" in the log, and the body
 * drained as serve_cgi does. Returns as serve_cgi. */
int serve_cgi_config_error(const char *why);

/* FastCGI accept loop on listen_fd until serve_stop, answering with the
 * handler. Returns 0 (1 when the loop cannot be set up). */
int serve_fastcgi(struct s3_app *app, int listen_fd);

/* The same loop with another answer (bench/fcgi_null.c: the transport
 * alone). fn answers the request c holds, in state e (READY, TOO_LARGE,
 * MALFORMED or ABORTED), with fcgi_conn_answer(..., serve_stop, buf) and
 * returns what that returns. */
typedef enum fcgi_conn_end (*serve_request_fn)(void *ctx, struct fcgi_conn *c,
                                               enum fcgi_conn_end e, unsigned char *buf);
struct serve_loop {
	unsigned timeout_ms;        /* S3_REQUEST_TIMEOUT */
	size_t body_max;            /* body bytes kept per request */
	serve_request_fn fn;
	void *ctx;
	s3_lookup_fn get;           /* FCGI_WEB_SERVER_ADDRS's lookup (the settings); NULL: getenv */
	void *get_ctx;
};
int serve_fastcgi_loop(int listen_fd, const struct serve_loop *l);

/* Writes one log line for r (see above). */
void serve_log(FILE *f, const struct s3_response *r, const char *method,
               const char *remote, time_t now);

#endif
