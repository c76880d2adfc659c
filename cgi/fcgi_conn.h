/* fcgi_conn.h - one FastCGI connection of a responder, read without ever
 * waiting: bytes in, records parsed as they come, a whole request out
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
 * A worker holds many connections at once (serve_fcgi.c: up to
 * FCGI_CONN_MAX_PER_WORKER, in one epoll set) and calls fcgi_conn_progress
 * whenever one is readable: it reads what is there and returns at once, so
 * a peer that sends nothing, or half a record, holds a descriptor and a
 * few hundred bytes, never the worker. Each connection has one deadline,
 * S3_REQUEST_TIMEOUT, from accept (or from the end of the previous answer
 * on a kept connection) to the end of the request body; past it the worker
 * drops it (FCGI_CONN_TIMEOUT). After SIGTERM a connection has at most
 * FCGI_CONN_STOP_WAIT_MS more (a request already read is answered; a peer
 * still sending is dropped, FCGI_CONN_STOPPED).
 *
 * The request is kept whole before it is answered: its parameters are
 * limited (FCGI_CONN_PARAMS_MAX bytes of names and values in all,
 * FCGI_CONN_PARAM_VALUE_MAX for one value, FCGI_CONN_PARAMS_COUNT_MAX
 * pairs: nginx sends about 1 KiB plus the request's headers, which its
 * large_client_header_buffers keep under 32 KiB; beyond them the request
 * is FCGI_CONN_TOO_LARGE, answered 431, and nothing more is stored), and
 * of its body at most body_max bytes are kept (S3_MAX_BODY + 1: one byte
 * over is enough to refuse it), the rest read and dropped.
 *
 * Records other than the request's own are answered as the specification
 * says: FCGI_GET_VALUES (management) with FCGI_MAX_CONNS, FCGI_MAX_REQS
 * (FCGI_CONN_MAX_PER_WORKER) and FCGI_MPXS_CONNS 0; another management
 * type with FCGI_UNKNOWN_TYPE; a second FCGI_BEGIN_REQUEST while a request
 * is open with FCGI_CANT_MPX_CONN (the first request goes on, the second's
 * records are dropped); a role other than RESPONDER with
 * FCGI_UNKNOWN_ROLE. Any other record of another request id (a stray
 * FCGI_ABORT_REQUEST, an unknown type) is dropped. An FCGI_ABORT_REQUEST of
 * the open request ends it (FCGI_CONN_ABORTED): FCGI_END_REQUEST, no
 * answer. Writes (those replies, the answer) never wait more than
 * FCGI_CONN_WRITE_WAIT_MS for room in the socket: a peer that does not
 * read is dropped. */
#ifndef SIGN_S3_FCGI_CONN_H
#define SIGN_S3_FCGI_CONN_H

#include <signal.h>
#include <stddef.h>

#define FCGI_CONN_PARAMS_MAX        (64 * 1024)  /* name and value bytes, all pairs */
#define FCGI_CONN_PARAM_VALUE_MAX   (16 * 1024)  /* one value */
#define FCGI_CONN_PARAMS_COUNT_MAX  512          /* pairs */
#define FCGI_CONN_MAX_PER_WORKER    64    /* connections a worker holds at once */
#define FCGI_CONN_STOP_WAIT_MS      100   /* after SIGTERM, longest wait for bytes */
#define FCGI_CONN_LINGER_MS         1000  /* after an early answer, longest wait for EOF */
#define FCGI_CONN_WRITE_WAIT_MS     500   /* longest wait for room to write */
#define FCGI_CONN_SMALL             256   /* kept bytes of a BEGIN/ABORT/management record */
#define FCGI_CONN_READ              65536 /* bytes read at a time */

/* What a connection is doing, and why it stopped. */
enum fcgi_conn_end {
	FCGI_CONN_MORE = 0,     /* reading: wait until readable, or the deadline */
	FCGI_CONN_READY,        /* a whole request: fcgi_conn_params, the body */
	FCGI_CONN_TOO_LARGE,    /* parameters over the limits: answer 431 */
	FCGI_CONN_MALFORMED,    /* a parameter pair that is not NAME, value: answer 400 */
	FCGI_CONN_ABORTED,      /* FCGI_ABORT_REQUEST of this request: END_REQUEST only */
	FCGI_CONN_LINGER,       /* answered; reading and dropping until EOF */
	FCGI_CONN_CLOSED,       /* the peer closed between requests: not an error */
	FCGI_CONN_REFUSED,      /* only a non-RESPONDER request, refused, no keep-alive */
	FCGI_CONN_TIMEOUT,      /* the deadline passed: dropped */
	FCGI_CONN_STOPPED,      /* SIGTERM while the peer was still sending: dropped */
	FCGI_CONN_EOF,          /* the peer went away mid-request: dropped, not logged */
	FCGI_CONN_PROTOCOL,     /* not FastCGI (version, order): dropped */
	FCGI_CONN_IO,           /* read or write error: dropped */
};

struct fcgi_conn;

/* A connection on fd (accepted, non-blocking: accept4 with SOCK_NONBLOCK)
 * with timeout_ms from now and body_max bytes of body kept. NULL when out
 * of memory (fd is then not closed). */
struct fcgi_conn *fcgi_conn_new(int fd, unsigned timeout_ms, size_t body_max);

/* Closes the descriptor (if still open) and frees. */
void fcgi_conn_free(struct fcgi_conn *c);

/* Closes the descriptor now (which takes it out of an epoll set); the
 * memory stays until fcgi_conn_free. */
void fcgi_conn_close(struct fcgi_conn *c);

int fcgi_conn_fd(const struct fcgi_conn *c);

/* Reads what the peer has sent, without waiting, and parses it. Returns
 * MORE (nothing whole yet), READY, TOO_LARGE, MALFORMED or ABORTED (a
 * request to answer with fcgi_conn_answer), LINGER (still dropping bytes
 * after an answer), or an end: close the connection (fcgi_conn_free). buf
 * is scratch space of FCGI_CONN_READ bytes, shared by a worker's
 * connections. */
enum fcgi_conn_end fcgi_conn_progress(struct fcgi_conn *c, unsigned char *buf);

/* The state of a connection whose deadline passed (or that SIGTERM
 * stopped, stop set): TIMEOUT / STOPPED, or CLOSED for an idle kept
 * connection and one lingering after its answer. */
enum fcgi_conn_end fcgi_conn_expire(struct fcgi_conn *c, int stop);

/* CLOCK_MONOTONIC ms of the connection's deadline; with stop set, at most
 * FCGI_CONN_STOP_WAIT_MS after the first call that saw it. */
long long fcgi_conn_deadline(struct fcgi_conn *c, int stop);

/* A READY request's parameters decoded into env (FCGI_CONN_PARAMS_MAX
 * bytes) as NULL-terminated "NAME=value" strings in envp
 * (FCGI_CONN_PARAMS_COUNT_MAX + 1 entries). */
void fcgi_conn_params(const struct fcgi_conn *c, char *env, char **envp);

/* A READY request's body: what was kept of it (at most body_max bytes). */
const char *fcgi_conn_body(const struct fcgi_conn *c, size_t *len);

/* Writes the answer (head then body, as FCGI_STDOUT) and FCGI_END_REQUEST;
 * for ABORTED only FCGI_END_REQUEST. Then, with FCGI_KEEP_CONN and
 * unless stop, the connection waits for its next request (MORE, or READY
 * when it is already there); else it is closed once the peer has nothing
 * more to send (LINGER while it does). Returns the new state, an end when
 * the answer could not be written. */
enum fcgi_conn_end fcgi_conn_answer(struct fcgi_conn *c, const char *head, size_t hl,
                                    const char *body, size_t bl, int stop,
                                    unsigned char *buf);

/* Stops writing and reads and drops what the peer still sends, until its
 * EOF or FCGI_CONN_LINGER_MS (LINGER; CLOSED once done), so that unread
 * bytes do not reset the connection under what was written (after a
 * refused role). */
enum fcgi_conn_end fcgi_conn_linger(struct fcgi_conn *c, unsigned char *buf);

/* A short text for the log of a connection that ended in e. */
const char *fcgi_conn_why(enum fcgi_conn_end e, int got_bytes);

/* Bytes read since the request began (0: nothing of a request yet). */
size_t fcgi_conn_got(const struct fcgi_conn *c);

#endif
