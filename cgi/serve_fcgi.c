/* serve_fcgi.c - the FastCGI loop (see serve.h): many connections per
 * worker read as their bytes come (fcgi_conn.h), each request answered by
 * serve.c's serve__answer, the accept loop with its peer check and
 * back-off, and SIGTERM's drain. */
#define _GNU_SOURCE 1          /* accept4 */
#include "serve_int.h"
#include "date.h"
#include "fcgi_conn.h"
#include "route.h"
#include "stats.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define SERVE_DRAIN_GRACE_MS 50   /* SIGTERM: stop once the socket is quiet this long */
#define SERVE_ACCEPT_BACKOFF_MS 100   /* accept() out of descriptors/memory: retry after */

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
	serve__log_line(stderr, 0, NULL, NULL, msg, now);
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
		serve__answer(app, v.method, fcgi_path(&v, path, sizeof path), v.ctype, v.query, v.clen,
		       &v.ru, &src, now, &r);
	} else if (e == FCGI_CONN_TOO_LARGE) {
		s3_response_error(&r, 431, "request header fields too large");
	} else if (e == FCGI_CONN_MALFORMED) {
		s3_response_error(&r, 400, "malformed FastCGI parameters");
	}
	hl = s3_response_head(&r, head, sizeof head);
	if (e != FCGI_CONN_ABORTED && serve__want_log(app, &r))
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
