/* serve.c - what both modes share (signals, the log line, a request from
 * its body to its answer) and the CGI request (see serve.h); the FastCGI
 * loop is serve_fcgi.c. */
#include "serve_int.h"
#include "route.h"
#include "date.h"
#include "stats.h"
#include "syntax.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SERVE_DRAIN_IDLE_MS 200   /* longest wait for more of an unread body */
#define SERVE_BODY_STACK 4096     /* bodies up to this size are read onto the stack */

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
void serve__log_line(FILE *f, int status, const char *method, const char *remote,
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
	serve__log_line(f, r->status, method, remote, r->message, now);
}

int serve__want_log(const struct s3_app *app, const struct s3_response *r)
{
	return r->status != 200 || r->warn || app->cfg.log_requests;
}

/* Counted at the end, whatever answered it, for the status page (stats.h). */
void serve__answer(struct s3_app *app, const char *method, const char *path, const char *ctype,
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
	char buf[4096];

	if (clen && *clen) {
		if (s3_decimal(clen, strlen(clen), ~0ULL, &want))
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
	serve__answer(app, method, getenv("PATH_INFO"), getenv("CONTENT_TYPE"), getenv("QUERY_STRING"),
	       getenv("CONTENT_LENGTH"), &ru, &src, now, &r);
	rc = cgi_write(&r, method);
	if (serve__want_log(app, &r))
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
