/* serve.c - CGI and FastCGI request loops (see serve.h). */
#define _GNU_SOURCE 1          /* ppoll, accept4 */
#include "serve.h"
#include "route.h"
#include "date.h"
#include "stats.h"
#include "fcgi_conn.h"
#include "syntax.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define SERVE_DRAIN_IDLE_MS 200   /* longest wait for more of an unread body */
#define SERVE_DRAIN_GRACE_MS 50   /* SIGTERM: stop once the socket is quiet this long */
#define SERVE_BODY_STACK 4096     /* bodies up to this size are read onto the stack */
#define SERVE_ACCEPT_BACKOFF_MS 100   /* accept() out of descriptors/memory: retry after */

volatile sig_atomic_t serve_stop;

static void on_stop(int sig)
{
	(void)sig;
	serve_stop = 1;
}

void serve_install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop;         /* no SA_RESTART: accept() returns EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

static void log_quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (s3_is_ctl(c))
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* A header value for the log: printable ASCII only, short, never empty. */
static void log_token(FILE *f, const char *s, size_t max)
{
	size_t n = 0;

	if (!s || !*s) {
		fputc('-', f);
		return;
	}
	for (; *s && n < max; s++, n++)
		fputc((*s > 0x20 && *s < 0x7f) ? *s : '?', f);
}

/* One log line; status 0 is printed "-" (no answer was sent). */
static void log_line(FILE *f, int status, const char *method, const char *remote,
                     const char *msg, time_t now)
{
	char ts[S3_DATE_ISO8601_LEN + 1];

	if (s3_date_iso8601(now, ts))
		strcpy(ts, "-");
	if (status)
		fprintf(f, "sign_s3[%ld]: %s %d ", (long)getpid(), ts, status);
	else
		fprintf(f, "sign_s3[%ld]: %s - ", (long)getpid(), ts);
	log_token(f, method, 16);
	fputc(' ', f);
	log_token(f, remote, 64);
	fputc(' ', f);
	log_quoted(f, msg);
	fputc('\n', f);
	fflush(f);
}

void serve_log(FILE *f, const struct s3_response *r, const char *method,
               const char *remote, time_t now)
{
	log_line(f, r->status, method, remote, r->message, now);
}

static int want_log(const struct s3_app *app, const struct s3_response *r)
{
	return r->status != 200 || r->warn || app->cfg.log_requests;
}

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

/* Counted at the end, whatever answered it, for the status page (stats.h). */
static void answer(struct s3_app *app, const char *method, const char *path, const char *ctype,
                   const char *query, const char *clen, const struct remote_user *ru,
                   const struct body_src *src, time_t now, struct s3_response *out)
{
	long long t0 = app->cfg.status_page ? s3_mono_us() : 0;
	char msg[128], num[24], *buf = NULL, small[SERVE_BODY_STACK];
	const char *body = NULL;
	size_t max = s3_route_body_max(app, method, path), want = 0, len = 0;
	int streamed = 0, route = -1;
	enum s3_req_status st;
	struct s3_req_in in;

	/* GET ignores any body. A POST must fit the limit before its body is
	 * read; without CONTENT_LENGTH (a chunked body that Apache's mod_cgid
	 * or mod_proxy_fcgi passes on as a stream) it is read to its end, and
	 * one byte past the limit is enough to refuse it. */
	if (method && !strcmp(method, "POST")) {
		if (clen && *clen) {
			st = s3_req_check_length(clen, max, &want, msg, sizeof msg);
			if (st != S3_REQ_OK) {
				s3_response_error(out, s3_req_status_http(st), msg);
				goto done;
			}
		} else {
			streamed = 1;
			want = max + 1;
		}
	}
	if (want && !src->rd) {
		body = src->mem;
		len = src->memlen < want ? src->memlen : want;
	} else if (want) {
		if (want <= sizeof small)
			buf = small;
		else if (!(buf = malloc(want))) {
			s3_response_error(out, 500, S3_MSG_INTERNAL);
			goto done;
		}
		len = src->rd(src->ctx, buf, want);
		body = buf;
	}
	if (streamed && len > max) {
		snprintf(num, sizeof num, "%zu", len);
		st = s3_req_check_length(num, max, &want, msg, sizeof msg);
		s3_response_error(out, s3_req_status_http(st), msg);
	} else if (!streamed && len != want) {
		s3_response_error(out, 400, "request body shorter than Content-Length");
	} else {
		in = (struct s3_req_in){
			.method = method, .content_type = ctype, .query = query,
			.body = body, .body_len = len, .path = path,
			.remote_user = ru->name, .remote_user_conflict = ru->conflict,
		};
		route = s3_route(app, &in, now, out);
	}
	if (buf != small)
		free(buf);
done:
	if (app->cfg.status_page)
		s3_stats_request(app, route, out, t0);
}

/* ---- CGI ----------------------------------------------------------------- */

static size_t stdin_consumed;

static size_t read_stdin(void *ctx, char *buf, size_t n)
{
	size_t got = fread(buf, 1, n, stdin);

	(void)ctx;
	stdin_consumed += got;
	return got;
}

/* Apache's mod_cgid passes the body over a socket: exiting with part of it
 * unread resets that socket and the answer is lost. So a body left unread
 * (a refused request) is read and dropped after the answer is out: up to
 * CONTENT_LENGTH (to EOF for a streamed POST), at most
 * S3_CONFIG_MAX_BODY_MAX bytes, and never waiting more than
 * SERVE_DRAIN_IDLE_MS for the next bytes, so a client that announced more
 * than it sends cannot hold the process. */
static void drain_stdin(const char *method, const char *clen)
{
	unsigned long long want = S3_CONFIG_MAX_BODY_MAX;
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
	char buf[4096], *end;

	if (clen && *clen) {
		if (*clen < '0' || *clen > '9')
			return;
		errno = 0;
		want = strtoull(clen, &end, 10);
		if (errno || *end)
			return;
		if (want > S3_CONFIG_MAX_BODY_MAX)
			want = S3_CONFIG_MAX_BODY_MAX;
	} else if (!method || strcmp(method, "POST")) {
		return;
	}
	while (stdin_consumed < want) {
		size_t n = (size_t)(want - stdin_consumed);
		ssize_t k;

		if (poll(&p, 1, SERVE_DRAIN_IDLE_MS) != 1)
			break;
		k = read(STDIN_FILENO, buf, n < sizeof buf ? n : sizeof buf);
		if (k <= 0)
			break;
		stdin_consumed += (size_t)k;
	}
}

/* Writes r to stdout, then drains what is left of the body (see above).
 * Returns 0, or 1 when the answer could not be written. */
static int cgi_write(const struct s3_response *r, const char *method)
{
	char head[S3_RESP_HEAD_MAX];
	size_t hl = s3_response_head(r, head, sizeof head);
	int rc = 0;

	if (fwrite(head, 1, hl, stdout) != hl ||
	    fwrite(r->body, 1, r->body_len, stdout) != r->body_len || fflush(stdout))
		rc = 1;
	drain_stdin(method, getenv("CONTENT_LENGTH"));
	return rc;
}

int serve_cgi(struct s3_app *app)
{
	struct s3_response r;
	const char *method = getenv("REQUEST_METHOD");
	struct remote_user ru = { getenv("REMOTE_USER"), 0 };
	struct body_src src = { read_stdin, NULL, NULL, 0 };
	time_t now = time(NULL);
	int rc;

	s3_stats_process_init();
	s3_response_init(&r);
	/* under CGI the route is PATH_INFO (SCRIPT_NAME names this program) */
	answer(app, method, getenv("PATH_INFO"), getenv("CONTENT_TYPE"), getenv("QUERY_STRING"),
	       getenv("CONTENT_LENGTH"), &ru, &src, now, &r);
	rc = cgi_write(&r, method);
	if (want_log(app, &r))
		serve_log(stderr, &r, method, getenv("REMOTE_ADDR"), now);
	s3_response_free(&r);
	return rc;
}

int serve_cgi_config_error(const char *why)
{
	struct s3_response r;
	const char *method = getenv("REQUEST_METHOD");
	int rc;

	s3_response_init(&r);
	s3_response_error(&r, 500, S3_MSG_INTERNAL);
	snprintf(r.message, sizeof r.message, "configuration error: %s", why);
	serve_log(stderr, &r, method, getenv("REMOTE_ADDR"), time(NULL));
	rc = cgi_write(&r, method);
	s3_response_free(&r);
	return rc;
}

/* ---- FastCGI ------------------------------------------------------------- */

/* The request's FastCGI parameters, read in one pass over them. */
struct fcgi_vars {
	const char *method, *ctype, *query, *clen, *addr;
	const char *doc_uri, *script, *path_info;
	struct remote_user ru;
};

/* The value of entry e ("NAME=value") when its name is name (n bytes). */
static const char *param(const char *e, const char *name, size_t n)
{
	return !strncmp(e, name, n) && e[n] == '=' ? e + n + 1 : NULL;
}

/* As with libfcgi's FCGX_GetParam, the first of a parameter sent twice
 * wins, except for REMOTE_USER. nginx sends a parameter once per
 * fastcgi_param line, and Debian's fastcgi_params already has
 * "REMOTE_USER $remote_user" (the Basic user name from the request,
 * checked or not): a second line after it, e.g. with auth_request's user,
 * adds a second value. The last one wins, as in PHP-FPM; two different
 * non-empty values are a conflict that S3_REQUIRE_USER=1 refuses, so a
 * configuration with the lines the other way round fails closed. */
static void fcgi_vars(char *const *envp, struct fcgi_vars *v)
{
#define P(s) s, sizeof s - 1
	const char *first_user = NULL, *x;

	memset(v, 0, sizeof *v);
	for (; envp && *envp; envp++) {
		const char *e = *envp;

		switch (e[0]) {
		case 'C':
			if (!v->ctype && (x = param(e, P("CONTENT_TYPE"))))
				v->ctype = x;
			else if (!v->clen && (x = param(e, P("CONTENT_LENGTH"))))
				v->clen = x;
			break;
		case 'Q':
			if (!v->query && (x = param(e, P("QUERY_STRING"))))
				v->query = x;
			break;
		case 'D':
			if (!v->doc_uri && (x = param(e, P("DOCUMENT_URI"))))
				v->doc_uri = x;
			break;
		case 'S':
			if (!v->script && (x = param(e, P("SCRIPT_NAME"))))
				v->script = x;
			break;
		case 'P':
			if (!v->path_info && (x = param(e, P("PATH_INFO"))))
				v->path_info = x;
			break;
		case 'R':
			if (!v->method && (x = param(e, P("REQUEST_METHOD")))) {
				v->method = x;
			} else if (!v->addr && (x = param(e, P("REMOTE_ADDR")))) {
				v->addr = x;
			} else if ((x = param(e, P("REMOTE_USER")))) {
				if (*x && first_user && strcmp(first_user, x))
					v->ru.conflict = 1;
				if (*x && !first_user)
					first_user = x;
				v->ru.name = x;
			}
			break;
		}
	}
#undef P
}

/* The route's path (route.h): DOCUMENT_URI (nginx), else SCRIPT_NAME +
 * PATH_INFO (Apache, spawn-fcgi setups), joined in buf; cut one byte past
 * S3_ROUTE_MAX_PATH, which s3_route refuses (414). NULL when none is set. */
static const char *fcgi_path(const struct fcgi_vars *v, char *buf, size_t cap)
{
	if (v->doc_uri && *v->doc_uri)
		return v->doc_uri;
	if (!v->script && !v->path_info)
		return NULL;
	snprintf(buf, cap, "%s%s", v->script ? v->script : "", v->path_info ? v->path_info : "");
	return buf;
}

/* A worker's connections (fcgi_conn.h), each a slot of the epoll set. A
 * slot ended while a batch of events is handled is freed after the batch
 * (an event of the same batch may still name it). */
struct slot {
	struct fcgi_conn *c;     /* NULL: free */
	int in_epoll;
	int dead;
};

static struct slot slots[FCGI_CONN_MAX_PER_WORKER];
static int nslots;                       /* slots in use */
static unsigned char rbuf[FCGI_CONN_READ];
static char env[FCGI_CONN_PARAMS_MAX];
static char *envp[FCGI_CONN_PARAMS_COUNT_MAX + 1];
static char listen_tag;                  /* the listening socket's epoll data */

/* A connection that ended without an answer: one log line, except for a
 * web server that went away (nginx logs its client's abort, 499, itself)
 * or closed between requests. */
static void log_drop(enum fcgi_conn_end e, const struct fcgi_conn *c, unsigned timeout_ms,
                     time_t now)
{
	char msg[160];

	if (e == FCGI_CONN_EOF || e == FCGI_CONN_CLOSED)
		return;
	if (e == FCGI_CONN_TIMEOUT)
		snprintf(msg, sizeof msg, "connection dropped: %s (%u s)",
		         fcgi_conn_why(e, fcgi_conn_got(c) > 0), timeout_ms / 1000);
	else if (e == FCGI_CONN_REFUSED)
		snprintf(msg, sizeof msg, "%s", fcgi_conn_why(e, 1));
	else
		snprintf(msg, sizeof msg, "connection dropped: %s",
		         fcgi_conn_why(e, fcgi_conn_got(c) > 0));
	log_line(stderr, 0, NULL, NULL, msg, now);
}

/* sign_s3's serve_request_fn: answers the request c holds with the
 * handler, and logs it. */
static enum fcgi_conn_end app_request(void *ctx, struct fcgi_conn *c, enum fcgi_conn_end e,
                                      unsigned char *buf)
{
	struct s3_app *app = ctx;
	char head[S3_RESP_HEAD_MAX];
	struct s3_response r;
	struct fcgi_vars v;
	struct body_src src = { NULL, NULL, NULL, 0 };
	char path[S3_ROUTE_MAX_PATH + 2];
	time_t now = time(NULL);
	size_t hl;

	memset(&v, 0, sizeof v);
	s3_response_init(&r);
	if (e == FCGI_CONN_READY) {
		fcgi_conn_params(c, env, envp);
		fcgi_vars(envp, &v);
		src.mem = fcgi_conn_body(c, &src.memlen);
		answer(app, v.method, fcgi_path(&v, path, sizeof path), v.ctype, v.query, v.clen,
		       &v.ru, &src, now, &r);
	} else if (e == FCGI_CONN_TOO_LARGE) {
		s3_response_error(&r, 431, "request header fields too large");
	} else if (e == FCGI_CONN_MALFORMED) {
		s3_response_error(&r, 400, "malformed FastCGI parameters");
	}
	hl = s3_response_head(&r, head, sizeof head);
	if (e != FCGI_CONN_ABORTED && want_log(app, &r))
		serve_log(stderr, &r, v.method, v.addr, now);
	e = fcgi_conn_answer(c, head, hl, r.body, r.body_len, serve_stop, buf);
	s3_response_free(&r);
	return e;
}

/* Carries a connection on from state e until it must wait or has ended. */
static void drive(const struct serve_loop *l, int ep, struct slot *s, enum fcgi_conn_end e)
{
	unsigned timeout_ms = l->timeout_ms;

	for (;;) {
		switch (e) {
		case FCGI_CONN_MORE:
		case FCGI_CONN_LINGER:
			if (!s->in_epoll) {
				struct epoll_event ev = { .events = EPOLLIN, .data.ptr = s };

				if (epoll_ctl(ep, EPOLL_CTL_ADD, fcgi_conn_fd(s->c), &ev) != 0)
					break;      /* cannot wait for it: dropped */
				s->in_epoll = 1;
			}
			return;
		case FCGI_CONN_READY:
		case FCGI_CONN_TOO_LARGE:
		case FCGI_CONN_MALFORMED:
		case FCGI_CONN_ABORTED:
			e = l->fn(l->ctx, s->c, e, rbuf);
			continue;
		case FCGI_CONN_REFUSED:
			log_drop(e, s->c, timeout_ms, time(NULL));
			e = fcgi_conn_linger(s->c, rbuf);
			continue;
		default:
			log_drop(e, s->c, timeout_ms, time(NULL));
			break;
		}
		/* ended: the descriptor is closed now (which takes it out of
		 * the epoll set), the memory after the batch */
		fcgi_conn_close(s->c);
		s->dead = 1;
		return;
	}
}

static void reap(void)
{
	for (int i = 0; i < FCGI_CONN_MAX_PER_WORKER; i++) {
		struct slot *s = &slots[i];

		if (s->c && s->dead) {
			fcgi_conn_free(s->c);
			*s = (struct slot){ 0 };
			nslots--;
		}
	}
}

/* The listening socket in the epoll set or out of it (full, backing off). */
static int listen_watch(int ep, int fd, int *watched, int want)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE, .data.ptr = &listen_tag };

	if (*watched == want)
		return 0;
	if (epoll_ctl(ep, want ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, fd, &ev) != 0)
		return -1;
	*watched = want;
	return 0;
}

/* FCGI_WEB_SERVER_ADDRS (as libfcgi): list is a comma-separated list of
 * IP addresses; 1 when list is NULL or empty, or fd's peer is not an IP
 * socket, or its address is in the list. */
static int peer_allowed(int fd, const char *list)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	char addr[INET6_ADDRSTRLEN];
	const void *a;
	size_t n;

	if (!list || !*list || getpeername(fd, (struct sockaddr *)&ss, &sl) != 0)
		return 1;
	if (ss.ss_family == AF_INET)
		a = &((struct sockaddr_in *)&ss)->sin_addr;
	else if (ss.ss_family == AF_INET6)
		a = &((struct sockaddr_in6 *)&ss)->sin6_addr;
	else
		return 1;
	if (!inet_ntop(ss.ss_family, a, addr, sizeof addr))
		return 0;
	n = strlen(addr);
	while (*list) {
		size_t k = strcspn(list, ",");
		const char *s = list, *e = list + k;

		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if ((size_t)(e - s) == n && !memcmp(s, addr, n))
			return 1;
		list += k + (list[k] == ',');
	}
	return 0;
}

/* One accepted connection: read at once (under load its request is
 * usually there already), answered or put in the epoll set. */
static void take(const struct serve_loop *l, int ep, int fd, const char *allowed)
{
	struct slot *s = NULL;

	if (!peer_allowed(fd, allowed)) {
		close(fd);    /* as libfcgi: not one of the web servers */
		return;
	}
	for (int i = 0; i < FCGI_CONN_MAX_PER_WORKER && !s; i++)
		if (!slots[i].c)
			s = &slots[i];
	if (!s || !(s->c = fcgi_conn_new(fd, l->timeout_ms, l->body_max))) {
		close(fd);
		return;
	}
	nslots++;
	drive(l, ep, s, fcgi_conn_progress(s->c, rbuf));
}

/* The worker holds SIGTERM/SIGINT all the time and lets them in only in
 * epoll_pwait, its one wait (a signal must never land inside a request,
 * and holding them costs no system call per request). It holds up to
 * FCGI_CONN_MAX_PER_WORKER connections at once, each read as its bytes come (fcgi_conn.h), so a
 * peer that sends nothing holds a descriptor, not the worker, until
 * S3_REQUEST_TIMEOUT drops it. The listening socket is non-blocking and a
 * worker tries accept first: under load a connection is usually queued,
 * and the wait is skipped. Workers share the socket with EPOLLEXCLUSIVE,
 * so one connection wakes one waiting worker, not all of them. After
 * SIGTERM the worker answers what is already queued (the parent removed a
 * unix socket's path first, so nothing new comes; a connect() that found
 * the path just before is waited for SERVE_DRAIN_GRACE_MS) and every
 * request already read, gives a peer still sending
 * FCGI_CONN_STOP_WAIT_MS, then stops. FCGI_WEB_SERVER_ADDRS is honoured
 * as libfcgi does. */
int serve_fastcgi_loop(int listen_fd, const struct serve_loop *l)
{
	struct epoll_event evs[FCGI_CONN_MAX_PER_WORKER + 1];
	const char *allowed = l->get ? l->get(l->get_ctx, "FCGI_WEB_SERVER_ADDRS")
	                             : getenv("FCGI_WEB_SERVER_ADDRS");
	long long pause_until = 0;
	sigset_t term, wait_mask;
	int fl, ep = -1, watched = 0, backoff_logged = 0;

	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigaddset(&term, SIGINT);
	if (sigprocmask(SIG_BLOCK, &term, &wait_mask) != 0 ||
	    (fl = fcntl(listen_fd, F_GETFL)) < 0 ||
	    fcntl(listen_fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
	    (ep = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    listen_watch(ep, listen_fd, &watched, 1) != 0) {
		fprintf(stderr, "sign_s3: cannot initialize FastCGI: %s\n", strerror(errno));
		if (ep >= 0)
			close(ep);
		return 1;
	}
	sigdelset(&wait_mask, SIGTERM);
	sigdelset(&wait_mask, SIGINT);
	for (;;) {
		long long now = s3_mono_ms(), next = -1;
		int accepting = now >= pause_until && nslots < FCGI_CONN_MAX_PER_WORKER;
		int k, wait_ms, stop = serve_stop;

		if (accepting) {
			int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

			if (fd >= 0) {
				take(l, ep, fd, allowed);
				reap();
				if (!nslots)
					continue;    /* answered at once: the next one */
			} else if (errno == EBADF || errno == ENOTSOCK || errno == EINVAL) {
				break;           /* the listening socket is gone */
			} else if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			           errno == ENOMEM) {
				/* out of descriptors or memory: the connection stays
				 * queued and epoll would wake at once; back off */
				if (!backoff_logged++)
					fprintf(stderr, "sign_s3[%ld]: accept: %s; retrying every %d ms\n",
					        (long)getpid(), strerror(errno), SERVE_ACCEPT_BACKOFF_MS);
				if (stop && !nslots)
					break;       /* what is queued cannot be taken: stop */
				pause_until = now + SERVE_ACCEPT_BACKOFF_MS;
				accepting = 0;
			}
			/* else nothing queued (EAGAIN: none, or another worker
			 * took it), EINTR, or a client that went away */
		}
		if (listen_watch(ep, listen_fd, &watched, accepting &&
		                 nslots < FCGI_CONN_MAX_PER_WORKER) != 0)
			break;
		/* the nearest deadline (after SIGTERM, FCGI_CONN_STOP_WAIT_MS) */
		for (int i = 0; i < FCGI_CONN_MAX_PER_WORKER; i++) {
			long long d;

			if (!slots[i].c)
				continue;
			d = fcgi_conn_deadline(slots[i].c, stop);
			if (next < 0 || d < next)
				next = d;
		}
		if (pause_until > now && (next < 0 || pause_until < next))
			next = pause_until;
		wait_ms = next < 0 ? -1 : next <= now ? 0 : (int)(next - now);
		if (stop && !nslots)
			wait_ms = SERVE_DRAIN_GRACE_MS;
		k = epoll_pwait(ep, evs, FCGI_CONN_MAX_PER_WORKER + 1, wait_ms, &wait_mask);
		if (k < 0 && errno != EINTR)
			break;
		if (k == 0 && stop && !nslots)
			break;    /* drained: quiet for the grace time */
		for (int i = 0; i < k; i++) {
			struct slot *s = evs[i].data.ptr;

			if (evs[i].data.ptr == &listen_tag || s->dead || !s->c)
				continue;    /* the listening socket: accept above */
			drive(l, ep, s, fcgi_conn_progress(s->c, rbuf));
		}
		now = s3_mono_ms();
		for (int i = 0; i < FCGI_CONN_MAX_PER_WORKER; i++) {
			struct slot *s = &slots[i];

			if (s->c && !s->dead && fcgi_conn_deadline(s->c, serve_stop) <= now)
				drive(l, ep, s, fcgi_conn_expire(s->c, serve_stop));
		}
		reap();
	}
	for (int i = 0; i < FCGI_CONN_MAX_PER_WORKER; i++)
		if (slots[i].c) {
			fcgi_conn_free(slots[i].c);
			slots[i] = (struct slot){ 0 };
		}
	nslots = 0;
	close(ep);
	return 0;
}

int serve_fastcgi(struct s3_app *app, int listen_fd)
{
	struct serve_loop l = {
		.timeout_ms = app->cfg.request_timeout * 1000u,
		.body_max = s3_route_body_max_any(app) + 1,   /* one byte over is enough to refuse */
		.fn = app_request,
		.ctx = app,
		.get = app->get,
		.get_ctx = app->get_ctx,
	};

	s3_stats_process_init();     /* nothing in a --listen worker: the pool's */
	return serve_fastcgi_loop(listen_fd, &l);
}
