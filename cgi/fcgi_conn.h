/* fcgi_conn.h - one FastCGI connection of a responder: its records read
 * under a deadline and within limits, its answer written back
 * (FastCGI 1.0; the record layouts and constants are libfcgi's fastcgi.h).
 *
 * Why not libfcgi's FCGX_Accept_r: it reads a request with blocking reads
 * and no deadline (four bytes of a record header pin a worker for ever),
 * grows the parameters without a limit (one request of 512 MiB of PARAMS
 * grew a worker to 518 MiB), answers AUTHORIZER and FILTER requests as if
 * they were responses, and cannot be woken by SIGTERM while it waits.
 * libfcgi still opens the --listen socket (FCGX_OpenSocket) and tells a
 * FastCGI start from a command line (FCGX_IsCGI).
 *
 * A connection, from accept (or from the end of the previous answer on a
 * kept connection) to the end of the request body, has one deadline,
 * S3_REQUEST_TIMEOUT seconds: past it the connection is dropped, not
 * answered (end = FCGI_CONN_TIMEOUT). Waits for the peer's bytes let
 * SIGTERM in (wait_mask): once *stop is set, the connection has at most
 * FCGI_CONN_STOP_WAIT_MS more (bytes already sent are still read, a
 * request already read is still answered; a peer still sending is
 * dropped, FCGI_CONN_STOPPED). Writing the answer has a
 * deadline of its own, as long, and is never cut by SIGTERM.
 *
 * The parameters of one request are limited (FCGI_CONN_PARAMS_MAX bytes
 * of names and values in all, FCGI_CONN_PARAM_VALUE_MAX for one value,
 * FCGI_CONN_PARAMS_COUNT_MAX pairs): nginx sends about 1 KiB plus the
 * request's headers, which its large_client_header_buffers keep under
 * 32 KiB. Beyond them the request is FCGI_CONN_TOO_LARGE, answered 431
 * by the caller; what the peer sends after that is read and dropped,
 * never stored.
 *
 * Records other than the request's own are answered as the specification
 * says: FCGI_GET_VALUES (management) with FCGI_MAX_CONNS 1, FCGI_MAX_REQS 1
 * and FCGI_MPXS_CONNS 0; another management type with FCGI_UNKNOWN_TYPE; a
 * second FCGI_BEGIN_REQUEST while a request is open with FCGI_CANT_MPX_CONN
 * (the first request goes on, the second's records are dropped); a role
 * other than RESPONDER with FCGI_UNKNOWN_ROLE. Any other record of another
 * request id (a stray FCGI_ABORT_REQUEST, an unknown type) is dropped. An
 * FCGI_ABORT_REQUEST of the open request ends it (FCGI_CONN_ABORTED): it
 * gets FCGI_END_REQUEST and no answer. */
#ifndef SIGN_S3_FCGI_CONN_H
#define SIGN_S3_FCGI_CONN_H

#include <signal.h>
#include <stddef.h>

#define FCGI_CONN_PARAMS_MAX        (64 * 1024)  /* name and value bytes, all pairs */
#define FCGI_CONN_PARAM_VALUE_MAX   (16 * 1024)  /* one value */
#define FCGI_CONN_PARAMS_COUNT_MAX  512          /* pairs */
#define FCGI_CONN_STOP_WAIT_MS      100   /* after SIGTERM, longest wait for bytes */
#define FCGI_CONN_LINGER_MS         1000  /* after the answer, longest wait for EOF */
/* one whole record: header, at most 65535 content bytes, 255 padding */
#define FCGI_CONN_BUF               (8 + 65535 + 255)

/* Why reading stopped. */
enum fcgi_conn_end {
	FCGI_CONN_OK = 0,       /* a request is there (params), or its body was read */
	FCGI_CONN_CLOSED,       /* the peer closed between requests: not an error */
	FCGI_CONN_TOO_LARGE,    /* parameters over the limits: answer 431 */
	FCGI_CONN_MALFORMED,    /* a parameter pair that is not NAME, value: answer 400 */
	FCGI_CONN_ABORTED,      /* FCGI_ABORT_REQUEST of this request: END_REQUEST only */
	FCGI_CONN_TIMEOUT,      /* the deadline passed: dropped */
	FCGI_CONN_STOPPED,      /* SIGTERM while waiting for the peer: dropped */
	FCGI_CONN_EOF,          /* the peer went away mid-request: dropped, not logged */
	FCGI_CONN_PROTOCOL,     /* not FastCGI (version, lengths, order): dropped */
	FCGI_CONN_IO,           /* read or write error: dropped */
	FCGI_CONN_REFUSED,      /* only a non-RESPONDER request, refused, no keep-alive */
};

struct fcgi_conn {
	int fd;                       /* non-blocking; -1 when closed */
	unsigned timeout_ms;          /* S3_REQUEST_TIMEOUT */
	long long deadline;           /* CLOCK_MONOTONIC ms */
	long long stop_at;            /* deadline once *stop was seen; 0 before */
	const sigset_t *wait_mask;    /* the mask while waiting (SIGTERM let in) */
	volatile sig_atomic_t *stop;  /* set by SIGTERM */
	enum fcgi_conn_end end;

	unsigned id;                  /* the open request's id; 0: none */
	int keep;                     /* FCGI_KEEP_CONN of the open request */
	int stdin_done;               /* its empty FCGI_STDIN came */
	size_t got;                   /* bytes read since the request began */

	const unsigned char *sp;      /* unread FCGI_STDIN content of the record read */
	size_t sleft;

	unsigned char buf[FCGI_CONN_BUF];
	size_t off, len;              /* unparsed bytes: buf[off, len) */

	unsigned char raw[FCGI_CONN_PARAMS_MAX];   /* the PARAMS stream */
	size_t rawlen;
	char env[FCGI_CONN_PARAMS_MAX];            /* "NAME=value" strings */
	char *envp[FCGI_CONN_PARAMS_COUNT_MAX + 1];
};

/* Takes over fd (an accepted connection, non-blocking: accept4 with
 * SOCK_NONBLOCK) with timeout_ms from now. */
void fcgi_conn_open(struct fcgi_conn *c, int fd, unsigned timeout_ms,
                    const sigset_t *wait_mask, volatile sig_atomic_t *stop);

/* Reads up to the end of the next RESPONDER request's parameters (c->envp,
 * NULL-terminated "NAME=value" strings). Returns c->end: FCGI_CONN_OK, or
 * why there is no request to answer (TOO_LARGE and MALFORMED are answered
 * with an error; the others close the connection). */
enum fcgi_conn_end fcgi_conn_read_params(struct fcgi_conn *c);

/* Reads up to n bytes of the request's body (FCGI_STDIN) into buf:
 * fewer only at the end of the body, or when reading stopped (c->end is
 * then no longer FCGI_CONN_OK). ctx is the struct fcgi_conn. */
size_t fcgi_conn_read_body(void *ctx, char *buf, size_t n);

/* Writes the answer (head then body, as FCGI_STDOUT) and FCGI_END_REQUEST;
 * with ABORTED only FCGI_END_REQUEST. Returns 0, or -1 (c->end = IO or
 * TIMEOUT). */
int fcgi_conn_answer(struct fcgi_conn *c, const char *head, size_t hl,
                     const char *body, size_t bl);

/* After an answer: 1 when the connection is kept for another request (the
 * deadline starts again), else 0 once it is closed (lingering at most
 * FCGI_CONN_LINGER_MS for the peer's EOF, reading and dropping, so that
 * unread bytes never reset the connection under the answer). */
int fcgi_conn_next(struct fcgi_conn *c);

/* Closes the connection at once (a dropped one). */
void fcgi_conn_drop(struct fcgi_conn *c);

/* A short text for a dropped connection's end, for the log. */
const char *fcgi_conn_why(const struct fcgi_conn *c);

/* FCGI_WEB_SERVER_ADDRS (as libfcgi): list is a comma-separated list of
 * IP addresses; 1 when list is NULL or empty, or fd's peer is not an IP
 * socket, or its address is in the list. */
int fcgi_conn_peer_allowed(int fd, const char *list);

#endif
