/* fcgi_null.c - the FastCGI transport ceiling for `make bench-http`: a
 * responder that does no work. It reads each request's body (as sign_s3
 * does) and answers with fixed bytes, the same head and body as a real
 * sign_s3 200 (captured by bench/http.sh from sign_s3 in CGI mode), so
 * nginx and the socket carry exactly what they carry for sign_s3. Its
 * loop is sign_s3's own (serve_fastcgi_loop, cgi/fcgi_conn.c), so the gap
 * between the two is the handler alone; with FCGI_NULL_LOOP=libfcgi it is
 * libfcgi's FCGX_Accept_r loop instead (what sign_s3 used before issue 15,
 * and what a libfcgi responder can at best do).
 *
 *   fcgi_null RESPONSE_FILE                       FastCGI on fd 0 (spawn-fcgi)
 *   fcgi_null RESPONSE_FILE ADDR [WORKERS]        own socket, prefork
 *
 * ADDR is a unix socket path (/path or unix:/path) or HOST:PORT. With
 * WORKERS (default 1) the parent opens the socket and forks that many
 * workers sharing it, then only waits, as sign_s3 --listen does, so the
 * two compare like for like. SIGTERM or SIGINT: the parent stops the
 * workers, removes a unix socket and exits. */
#include "serve.h"

#include <errno.h>
#include <fcgiapp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_WORKERS   256
#define MAX_RESPONSE  65536
#define BACKLOG       1024

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
	FCGX_ShutdownPending();
}

static void on_chld(int sig)
{
	(void)sig;
}

static void install(int sig, void (*fn)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = fn;              /* no SA_RESTART: accept() sees EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

static int serve(int fd, const char *resp, int len)
{
	FCGX_Request req;
	char sink[4096];

	if (FCGX_InitRequest(&req, fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0)
		return 1;
	while (!stop) {
		if (FCGX_Accept_r(&req) < 0) {
			if (!stop && errno == EINTR)
				continue;
			break;
		}
		while (FCGX_GetStr(sink, (int)sizeof sink, req.in) > 0)
			;
		FCGX_PutStr(resp, len, req.out);
		FCGX_Finish_r(&req);
	}
	FCGX_Free(&req, 0);
	return 0;
}

struct fixed {
	const char *resp;
	int len;
};

static enum fcgi_conn_end null_request(void *ctx, struct fcgi_conn *c, enum fcgi_conn_end e,
                                       unsigned char *buf)
{
	const struct fixed *f = ctx;

	(void)e;
	return fcgi_conn_answer(c, f->resp, (size_t)f->len, "", 0, serve_stop, buf);
}

/* One worker on fd: sign_s3's loop, or libfcgi's. */
static int work(int fd, const char *resp, int len, int own)
{
	struct fixed f = { resp, len };
	struct serve_loop l = { 5000, 16385, null_request, &f, NULL, NULL };

	if (!own)
		return serve(fd, resp, len);
	serve_install_signals();
	return serve_fastcgi_loop(fd, &l);
}

static char *load(const char *path, int *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = malloc(MAX_RESPONSE);
	size_t n;

	if (!f || !buf) {
		fprintf(stderr, "fcgi_null: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	n = fread(buf, 1, MAX_RESPONSE, f);
	fclose(f);
	if (n == 0 || n == MAX_RESPONSE) {
		fprintf(stderr, "fcgi_null: %s: empty or too large\n", path);
		exit(1);
	}
	*len = (int)n;
	return buf;
}

int main(int argc, char **argv)
{
	pid_t pids[MAX_WORKERS];
	const char *addr, *path = NULL;
	sigset_t block, old;
	const char *loop = getenv("FCGI_NULL_LOOP");
	int own = !loop || strcmp(loop, "libfcgi");
	char *resp;
	int len, fd, n = 1;

	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: fcgi_null RESPONSE_FILE [ADDR [WORKERS]]\n");
		return 2;
	}
	resp = load(argv[1], &len);
	if (FCGX_Init() != 0)
		return 1;
	install(SIGPIPE, SIG_IGN);
	if (argc == 2) {                 /* socket on fd 0, one process */
		install(SIGTERM, on_stop);
		install(SIGINT, on_stop);
		return work(0, resp, len, own);
	}

	addr = argv[2];
	if (!strncmp(addr, "unix:", 5))
		addr += 5;
	if (addr[0] == '/')
		path = addr;
	if (argc == 4 && ((n = atoi(argv[3])) < 1 || n > MAX_WORKERS)) {
		fprintf(stderr, "fcgi_null: WORKERS must be 1..%d\n", MAX_WORKERS);
		return 2;
	}
	if ((fd = FCGX_OpenSocket(addr, BACKLOG)) < 0) {
		fprintf(stderr, "fcgi_null: cannot listen on %s\n", argv[2]);
		return 1;
	}
	if (path)
		chmod(path, 0666);

	install(SIGTERM, on_stop);
	install(SIGINT, on_stop);
	install(SIGCHLD, on_chld);
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &old);
	for (int i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			sigprocmask(SIG_SETMASK, &old, NULL);
			install(SIGCHLD, SIG_DFL);
			_exit(work(fd, resp, len, own));
		}
	}
	fprintf(stderr, "fcgi_null[%ld]: listening on %s with %d workers (%s loop)\n",
	        (long)getpid(), argv[2], n, own ? "sign_s3's" : "libfcgi's");
	/* a worker that exits ends the run: the benchmark must not go on
	 * with fewer workers than it says */
	while (!stop && waitpid(-1, NULL, WNOHANG) == 0)
		sigsuspend(&old);
	for (int i = 0; i < n; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGTERM);
	sigprocmask(SIG_SETMASK, &old, NULL);
	for (int i = 0; i < n; i++)
		if (pids[i] > 0)
			while (waitpid(pids[i], NULL, 0) < 0 && errno == EINTR)
				;
	close(fd);
	if (path)
		unlink(path);
	free(resp);
	return 0;
}
