/* serve.c - CGI and FastCGI request loops (see serve.h). */
#include "serve.h"

#include <errno.h>
#include <fcgiapp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

volatile sig_atomic_t serve_stop;

static void on_stop(int sig)
{
	(void)sig;
	serve_stop = 1;
	FCGX_ShutdownPending();
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
		else if (c < 0x20 || c == 0x7f)
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

void serve_log(FILE *f, const struct s3_response *r, const char *method,
               const char *remote, time_t now)
{
	char ts[21];
	struct tm tm;

	if (!gmtime_r(&now, &tm) || !strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm))
		strcpy(ts, "-");
	fprintf(f, "sign_s3[%ld]: %s %d ", (long)getpid(), ts, r->status);
	log_token(f, method, 16);
	fputc(' ', f);
	log_token(f, remote, 64);
	fputc(' ', f);
	log_quoted(f, r->message);
	fputc('\n', f);
	fflush(f);
}

static int want_log(const struct s3_app *app, const struct s3_response *r)
{
	return r->status != 200 || app->cfg.log_requests;
}

/* The part shared by both modes: length check, body, handler. read_body
 * reads up to n bytes into buf and returns how many it got. */
typedef size_t (*read_fn)(void *ctx, char *buf, size_t n);

static void answer(struct s3_app *app, const char *method, const char *ctype,
                   const char *query, const char *clen, read_fn rd, void *rctx,
                   time_t now, struct s3_response *out)
{
	char msg[128], *body = NULL;
	size_t len = 0;
	enum s3_req_status st = S3_REQ_OK;
	struct s3_req_in in;

	/* GET ignores any body; POST must fit the limit before it is read */
	if (method && !strcmp(method, "POST"))
		st = s3_req_check_length(clen, app->cfg.max_body, &len, msg, sizeof msg);
	if (st != S3_REQ_OK) {
		s3_response_error(out, s3_req_status_http(st), msg);
		return;
	}
	if (len && !(body = malloc(len))) {
		s3_response_error(out, 500, S3_MSG_INTERNAL);
		return;
	}
	if (len && rd(rctx, body, len) != len) {
		free(body);
		s3_response_error(out, 400, "request body shorter than Content-Length");
		return;
	}
	in = (struct s3_req_in){ method, ctype, query, body, len };
	s3_handle(app, &in, now, out);
	free(body);
}

/* ---- CGI ----------------------------------------------------------------- */

static size_t read_stdin(void *ctx, char *buf, size_t n)
{
	(void)ctx;
	return fread(buf, 1, n, stdin);
}

int serve_cgi(struct s3_app *app)
{
	struct s3_response r;
	char head[S3_RESP_HEAD_MAX];
	const char *method = getenv("REQUEST_METHOD");
	time_t now = time(NULL);
	size_t hl;
	int rc = 0;

	answer(app, method, getenv("CONTENT_TYPE"), getenv("QUERY_STRING"),
	       getenv("CONTENT_LENGTH"), read_stdin, NULL, now, &r);
	hl = s3_response_head(&r, head, sizeof head);
	if (fwrite(head, 1, hl, stdout) != hl ||
	    fwrite(r.body, 1, r.body_len, stdout) != r.body_len || fflush(stdout))
		rc = 1;
	if (want_log(app, &r))
		serve_log(stderr, &r, method, getenv("REMOTE_ADDR"), now);
	s3_response_free(&r);
	return rc;
}

/* ---- FastCGI ------------------------------------------------------------- */

static size_t read_fcgx(void *ctx, char *buf, size_t n)
{
	FCGX_Stream *in = ctx;
	size_t got = 0;

	while (got < n) {
		size_t chunk = n - got > 65536 ? 65536 : n - got;
		int k = FCGX_GetStr(buf + got, (int)chunk, in);

		if (k <= 0)
			break;
		got += (size_t)k;
	}
	return got;
}

int serve_fastcgi(struct s3_app *app, int listen_fd)
{
	FCGX_Request req;

	if (FCGX_Init() != 0 ||
	    FCGX_InitRequest(&req, listen_fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
		fprintf(stderr, "sign_s3: cannot initialize FastCGI\n");
		return 1;
	}
	while (!serve_stop) {
		struct s3_response r;
		char head[S3_RESP_HEAD_MAX];
		const char *method;
		time_t now;
		size_t hl;

		if (FCGX_Accept_r(&req) < 0) {
			if (serve_stop)
				break;
			if (errno == EINTR)
				continue;
			break;    /* the listening socket is gone */
		}
		now = time(NULL);
		method = FCGX_GetParam("REQUEST_METHOD", req.envp);
		answer(app, method, FCGX_GetParam("CONTENT_TYPE", req.envp),
		       FCGX_GetParam("QUERY_STRING", req.envp),
		       FCGX_GetParam("CONTENT_LENGTH", req.envp),
		       read_fcgx, req.in, now, &r);
		hl = s3_response_head(&r, head, sizeof head);
		FCGX_PutStr(head, (int)hl, req.out);
		FCGX_PutStr(r.body, (int)r.body_len, req.out);
		if (want_log(app, &r))
			serve_log(stderr, &r, method,
			          FCGX_GetParam("REMOTE_ADDR", req.envp), now);
		s3_response_free(&r);
		FCGX_Finish_r(&req);
	}
	FCGX_Free(&req, 0);
	return 0;
}
