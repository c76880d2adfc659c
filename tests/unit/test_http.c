/* test_http.c - the libcurl client (common/http.c) against a small HTTP/1.1
 * server of the test's own: a forked child on 127.0.0.1, a port the kernel
 * picks, one process per connection, keep-alive. Only 127.0.0.1 is ever
 * contacted.
 *
 * The server's paths:
 *   /echo      200, the body "METHOD m\nCL n\nEXPECT e\nCT t\nTE t\n\n"
 *              followed by the request's body; headers ETag and
 *              x-amz-request-id
 *   /big/N     200 with N bytes of 'x'
 *   /longhdr   200 with one header line of 20000 bytes
 *   /slow      answers after 2 s
 *   anything else 404 */
#define _GNU_SOURCE 1
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "date.h"
#include "http.h"

#define REQ_MAX (512 * 1024)

static pid_t server_pid;
static int port;

static int send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w <= 0)
			return -1;
		p += w, n -= (size_t)w;
	}
	return 0;
}

/* The value of header name in the head (NUL-terminated), into out; "" when absent. */
static void header_of(const char *head, const char *name, char *out, size_t cap)
{
	size_t n = strlen(name);

	out[0] = '\0';
	for (const char *l = strstr(head, "\r\n"); l; l = strstr(l + 2, "\r\n")) {
		const char *s = l + 2, *e;

		if (!strncasecmp(s, name, n) && s[n] == ':') {
			s += n + 1;
			while (*s == ' ')
				s++;
			e = strstr(s, "\r\n");
			snprintf(out, cap, "%.*s", (int)(e ? e - s : (long)strlen(s)), s);
			return;
		}
	}
}

/* One connection, request after request until the client closes it. */
static void serve_conn(int fd)
{
	static char buf[REQ_MAX];
	size_t have = 0;

	for (;;) {
		char *end, method[16] = "", path[256] = "", cl[32], expect[64], ct[128], te[64];
		char head[1024];
		size_t hlen, blen;
		ssize_t r;

		while (!(end = memmem(buf, have, "\r\n\r\n", 4))) {
			if (have == sizeof buf || (r = recv(fd, buf + have, sizeof buf - have, 0)) <= 0)
				return;
			have += (size_t)r;
		}
		hlen = (size_t)(end - buf) + 4;
		end[2] = '\0';
		sscanf(buf, "%15s %255s", method, path);
		header_of(buf, "Content-Length", cl, sizeof cl);
		header_of(buf, "Expect", expect, sizeof expect);
		header_of(buf, "Content-Type", ct, sizeof ct);
		header_of(buf, "Transfer-Encoding", te, sizeof te);
		blen = cl[0] ? strtoul(cl, NULL, 10) : 0;
		if (blen > sizeof buf - hlen)
			return;
		while (have < hlen + blen) {
			if ((r = recv(fd, buf + have, sizeof buf - have, 0)) <= 0)
				return;
			have += (size_t)r;
		}
		if (!strcmp(path, "/echo")) {
			char pre[512];
			int pn = snprintf(pre, sizeof pre, "METHOD %s\nCL %s\nEXPECT %s\nCT %s\nTE %s\n\n",
			                  method, cl[0] ? cl : "-", expect[0] ? expect : "-",
			                  ct[0] ? ct : "-", te[0] ? te : "-");
			int n = snprintf(head, sizeof head,
			                 "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n"
			                 "ETag:   \"0123abc\"  \r\nx-amz-request-id: REQ42\r\n\r\n",
			                 (size_t)pn + blen);

			if (send_all(fd, head, (size_t)n) || (strcmp(method, "HEAD") &&
			    (send_all(fd, pre, (size_t)pn) || send_all(fd, buf + hlen, blen))))
				return;
		} else if (!strncmp(path, "/big/", 5)) {
			size_t n = strtoul(path + 5, NULL, 10);
			char *b = malloc(n + 1);
			int hn = snprintf(head, sizeof head,
			                  "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", n);

			memset(b, 'x', n);
			if (send_all(fd, head, (size_t)hn) ||
			    (strcmp(method, "HEAD") && send_all(fd, b, n))) {
				free(b);
				return;
			}
			free(b);
		} else if (!strcmp(path, "/longhdr")) {
			size_t n = 20000;
			char *b = malloc(n + 64);
			int hn = snprintf(b, 64, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Long: ");

			memset(b + hn, 'y', n);
			memcpy(b + hn + n, "\r\n\r\n", 4);
			if (send_all(fd, b, (size_t)hn + n + 4)) {
				free(b);
				return;
			}
			free(b);
		} else if (!strcmp(path, "/slow")) {
			const char *a = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";

			sleep(2);
			if (send_all(fd, a, strlen(a)))
				return;
		} else {
			const char *a = "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nno\n";

			if (send_all(fd, a, strlen(a)))
				return;
		}
		memmove(buf, buf + hlen + blen, have - hlen - blen);
		have -= hlen + blen;
	}
}

static void server_start(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof a;
	int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) || listen(s, 16) ||
	    getsockname(s, (struct sockaddr *)&a, &al)) {
		perror("server socket");
		exit(1);
	}
	port = ntohs(a.sin_port);
	fflush(stdout);
	if ((server_pid = fork()) == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		/* prove waits for every holder of the TAP pipe: not this one */
		if (devnull >= 0)
			dup2(devnull, 1);
		signal(SIGCHLD, SIG_IGN);   /* connection children reap themselves */
		for (;;) {
			int c = accept(s, NULL, NULL);

			if (c < 0)
				continue;
			if (fork() == 0) {
				close(s);
				serve_conn(c);
				_exit(0);
			}
			close(c);
		}
	}
	close(s);
}

static void server_stop(void)
{
	kill(server_pid, SIGTERM);
	waitpid(server_pid, NULL, 0);
}

static char url_buf[256];

static const char *url(const char *path)
{
	snprintf(url_buf, sizeof url_buf, "http://127.0.0.1:%d%s", port, path);
	return url_buf;
}

static enum s3_err call(struct s3_http_request *rq, struct s3_http_response *rs, char *why)
{
	return s3_http_curl(NULL, rq, rs, why, S3_HTTP_WHY_MAX);
}

static void test_methods(void)
{
	static const char *const want[] = { "etag", "X-Amz-Request-Id", "x-missing" };
	struct s3_http_header ct = { "Content-Type", "application/xml" };
	struct s3_http_request rq = { .url = url("/echo"), .want_headers = want, .nwant = 3 };
	struct s3_http_response rs;
	char why[S3_HTTP_WHY_MAX], body[300];

	rq.method = "GET";
	is_int(call(&rq, &rs, why), S3_OK, "GET /echo (%s)", why);
	is_int(rs.status, 200, "GET: 200");
	ok(!strncmp(rs.body, "METHOD GET\nCL -\n", 16), "GET: no Content-Length sent");
	is_str(rs.header_values[0], "\"0123abc\"", "ETag captured, trimmed, any case asked");
	is_str(rs.header_values[1], "REQ42", "x-amz-request-id captured");
	ok(rs.header_values[2] == NULL, "an absent header is NULL");
	s3_http_response_free(&rs);
	ok(rs.body == NULL && rs.header_values[0] == NULL, "free clears the response");

	/* a POST body with a NUL, a CR LF, all 256 byte values */
	for (size_t i = 0; i < sizeof body; i++)
		body[i] = (char)(i & 0xff);
	rq.method = "POST";
	rq.body = body;
	rq.body_len = sizeof body;
	is_int(call(&rq, &rs, why), S3_OK, "POST /echo (%s)", why);
	ok(strstr(rs.body, "METHOD POST\nCL 300\nEXPECT -\nCT -\nTE -\n\n") == rs.body,
	   "POST: exact Content-Length, no Expect, no Content-Type of curl's, not chunked");
	ok(rs.len > sizeof body && !memcmp(rs.body + rs.len - sizeof body, body, sizeof body),
	   "POST: body arrived byte-exact");
	s3_http_response_free(&rs);

	rq.headers = &ct;
	rq.nheaders = 1;
	rq.body = "<x/>";
	rq.body_len = 4;
	is_int(call(&rq, &rs, why), S3_OK, "POST with a Content-Type (%s)", why);
	ok(strstr(rs.body, "CT application/xml\n") != NULL, "POST: the caller's Content-Type sent");
	s3_http_response_free(&rs);
	rq.headers = NULL;
	rq.nheaders = 0;

	rq.method = "POST";
	rq.body = NULL;
	rq.body_len = 0;
	is_int(call(&rq, &rs, why), S3_OK, "POST without a body (%s)", why);
	ok(strstr(rs.body, "METHOD POST\nCL 0\n") == rs.body, "POST: Content-Length: 0");
	s3_http_response_free(&rs);

	rq.method = "PUT";
	rq.body = body;
	rq.body_len = sizeof body;
	is_int(call(&rq, &rs, why), S3_OK, "PUT /echo (%s)", why);
	ok(strstr(rs.body, "METHOD PUT\nCL 300\nEXPECT -\n") == rs.body, "PUT: exact Content-Length, no Expect");
	ok(rs.len > sizeof body && !memcmp(rs.body + rs.len - sizeof body, body, sizeof body),
	   "PUT: body arrived byte-exact");
	s3_http_response_free(&rs);

	rq.body = NULL;
	rq.body_len = 0;
	is_int(call(&rq, &rs, why), S3_OK, "PUT empty (%s)", why);
	ok(strstr(rs.body, "METHOD PUT\nCL 0\n") == rs.body, "PUT empty: Content-Length: 0");
	s3_http_response_free(&rs);

	rq.method = "DELETE";
	is_int(call(&rq, &rs, why), S3_OK, "DELETE /echo (%s)", why);
	ok(strstr(rs.body, "METHOD DELETE\n") == rs.body, "DELETE sent as DELETE");
	s3_http_response_free(&rs);

	rq.method = "OPTIONS";
	is_int(call(&rq, &rs, why), S3_OK, "OPTIONS /echo (%s)", why);
	ok(strstr(rs.body, "METHOD OPTIONS\nCL -\n") == rs.body,
	   "OPTIONS sent as OPTIONS, without a body");
	s3_http_response_free(&rs);

	rq.method = "HEAD";
	is_int(call(&rq, &rs, why), S3_OK, "HEAD /echo (%s)", why);
	is_int(rs.status, 200, "HEAD: 200");
	is_int(rs.len, 0, "HEAD: no body read");
	is_str(rs.header_values[1], "REQ42", "HEAD: header captured");
	s3_http_response_free(&rs);

	rq.method = "GET";
	rq.url = url("/nope");
	is_int(call(&rq, &rs, why), S3_OK, "a 404 is an answer");
	is_int(rs.status, 404, "404 returned as is");
	s3_http_response_free(&rs);
}

static void test_refusals(void)
{
	static const char *const bad_want[] = { "Bad Name" };
	struct s3_http_request rq = { .method = "GET", .url = url("/echo"), .body = "x", .body_len = 1 };
	struct s3_http_response rs;
	char why[S3_HTTP_WHY_MAX];

	is_int(call(&rq, &rs, why), S3_ERR_INVAL, "a GET with a body refused");
	rq.method = "DELETE";
	is_int(call(&rq, &rs, why), S3_ERR_INVAL, "a DELETE with a body refused");
	rq.method = "OPTIONS";
	is_int(call(&rq, &rs, why), S3_ERR_INVAL, "an OPTIONS with a body refused");
	rq.method = "PATCH";
	rq.body_len = 0;
	is_int(call(&rq, &rs, why), S3_ERR_INVAL, "PATCH refused");
	rq.method = "GET";
	rq.max_body = S3_HTTP_MAX_BODY_LIMIT + 1;
	is_int(call(&rq, &rs, why), S3_ERR_INVAL, "max_body over the ceiling refused");
	rq.max_body = 0;
	rq.want_headers = bad_want;
	rq.nwant = 1;
	is_int(call(&rq, &rs, why), S3_ERR_INVAL, "a bad wanted header name refused");
	rq.nwant = S3_HTTP_MAX_WANT + 1;
	is_int(call(&rq, &rs, why), S3_ERR_INVAL, "too many wanted headers refused");
}

static void test_limits(void)
{
	struct s3_http_request rq = { .method = "GET" };
	struct s3_http_response rs;
	char why[S3_HTTP_WHY_MAX], path[64];

	snprintf(path, sizeof path, "/big/%d", S3_HTTP_MAX_BODY);
	rq.url = url(path);
	is_int(call(&rq, &rs, why), S3_OK, "a body of exactly S3_HTTP_MAX_BODY (%s)", why);
	is_int(rs.len, S3_HTTP_MAX_BODY, "whole");
	s3_http_response_free(&rs);
	snprintf(path, sizeof path, "/big/%d", S3_HTTP_MAX_BODY + 1);
	rq.url = url(path);
	is_int(call(&rq, &rs, why), S3_ERR_TOOLONG, "one byte more: S3_ERR_TOOLONG (%s)", why);
	ok(rs.body == NULL, "never truncated");
	rq.max_body = 300 * 1024 + 1;
	is_int(call(&rq, &rs, why), S3_OK, "allowed when the request raises max_body (%s)", why);
	is_int(rs.len, S3_HTTP_MAX_BODY + 1, "whole");
	s3_http_response_free(&rs);
	snprintf(path, sizeof path, "/big/%d", 300 * 1024);
	rq.url = url(path);
	rq.max_body = S3_HTTP_MAX_BODY_LIMIT;
	is_int(call(&rq, &rs, why), S3_OK, "a 300 KiB answer (a ListParts page) with 1 MiB asked");
	is_int(rs.len, 300 * 1024, "whole");
	s3_http_response_free(&rs);
	snprintf(path, sizeof path, "/big/%d", S3_HTTP_MAX_BODY_LIMIT + 1);
	rq.url = url(path);
	is_int(call(&rq, &rs, why), S3_ERR_TOOLONG, "1 MiB + 1: S3_ERR_TOOLONG");

	rq.method = "HEAD";
	rq.max_body = 0;
	is_int(call(&rq, &rs, why), S3_OK, "HEAD of a resource over the body limit: fine (%s)", why);
	is_int(rs.status, 200, "HEAD: 200");
	s3_http_response_free(&rs);
	rq.method = "GET";

	rq.url = url("/longhdr");
	rq.max_body = 0;
	is_int(call(&rq, &rs, why), S3_ERR_TOOLONG, "a header line over S3_HTTP_MAX_HEADER: S3_ERR_TOOLONG (%s)", why);
}

static void test_reuse(void)
{
	struct s3_http_request rq = { .method = "GET", .url = url("/echo") };
	struct s3_http_response rs;
	char why[S3_HTTP_WHY_MAX];
	long before;
	int st = -1;
	pid_t pid;

	s3_http_cleanup();   /* a fresh handle: the first call connects */
	before = s3_http_connects();
	is_int(call(&rq, &rs, why), S3_OK, "first call (%s)", why);
	is_int(rs.connects, 1, "first call: one new connection");
	s3_http_response_free(&rs);
	rq.method = "POST";
	rq.body = "abc";
	rq.body_len = 3;
	is_int(call(&rq, &rs, why), S3_OK, "second call");
	is_int(rs.connects, 0, "second call: the connection reused");
	s3_http_response_free(&rs);
	is_int(s3_http_connects() - before, 1, "s3_http_connects: 2 calls, 1 connect");

	/* a child of fork() makes its own handle, and the parent's stays usable */
	fflush(stdout);
	if ((pid = fork()) == 0) {
		struct s3_http_request crq = { .method = "GET", .url = url("/echo") };
		struct s3_http_response crs;
		char cwhy[S3_HTTP_WHY_MAX];
		int rc = call(&crq, &crs, cwhy) == S3_OK && crs.status == 200 && crs.connects == 1;

		s3_http_response_free(&crs);
		_exit(rc ? 0 : 1);
	}
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "a forked child connects on its own handle");
	rq.method = "GET";
	rq.body = NULL;
	rq.body_len = 0;
	is_int(call(&rq, &rs, why), S3_OK, "parent after the child (%s)", why);
	is_int(rs.connects, 0, "parent: its connection still reused");
	s3_http_response_free(&rs);
}

static void test_failures(void)
{
	struct s3_http_request rq = { .method = "GET", .url = url("/slow"), .timeout_ms = 300 };
	struct s3_http_response rs;
	char why[S3_HTTP_WHY_MAX], u[64];
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof a;
	long long t0 = s3_mono_ms();
	int s;

	is_int(call(&rq, &rs, why), S3_ERR_IO, "a slow answer: S3_ERR_IO");
	ok(s3_mono_ms() - t0 < 1500, "within the request's timeout (%lld ms)", s3_mono_ms() - t0);
	ok(strstr(why, "timed out") != NULL, "why says timed out (%s)", why);

	/* a closed port */
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s = socket(AF_INET, SOCK_STREAM, 0);
	bind(s, (struct sockaddr *)&a, sizeof a);
	getsockname(s, (struct sockaddr *)&a, &al);
	close(s);
	snprintf(u, sizeof u, "http://127.0.0.1:%d/x?secret=1", ntohs(a.sin_port));
	rq.url = u;
	is_int(call(&rq, &rs, why), S3_ERR_IO, "a closed port: S3_ERR_IO (%s)", why);
	ok(!strstr(why, "secret"), "why names no URL query");
}

int main(void)
{
	char why[S3_HTTP_WHY_MAX];

	if (s3_http_load(NULL, why, sizeof why) != S3_OK) {
		printf("1..0 # SKIP %s\n", why);
		return 0;
	}
	server_start();
	test_methods();
	test_refusals();
	test_limits();
	test_reuse();
	test_failures();
	server_stop();
	s3_http_cleanup();
	return done_testing();
}
