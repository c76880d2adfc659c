/* test_fcgi_conn.c - the FastCGI connection reader (cgi/fcgi_conn.c) over a
 * socketpair: a request fed one byte at a time, a kept connection with a
 * pipelined second request, the limits, the roles, the deadlines. */
#include "date.h"
#include "fcgi_conn.h"
#include "../tap.h"

#include <fastcgi.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static unsigned char rbuf[FCGI_CONN_READ];
static char env[FCGI_CONN_PARAMS_MAX];
static char *envp[FCGI_CONN_PARAMS_COUNT_MAX + 1];

struct bytes {
	unsigned char b[400000];
	size_t n;
};

static void rec(struct bytes *o, unsigned type, unsigned id, const void *p, size_t n,
                unsigned pad)
{
	unsigned char h[8] = { 1, (unsigned char)type, (unsigned char)(id >> 8),
	                       (unsigned char)id, (unsigned char)(n >> 8),
	                       (unsigned char)n, (unsigned char)pad, 0 };

	memcpy(o->b + o->n, h, 8);
	memcpy(o->b + o->n + 8, p, n);
	memset(o->b + o->n + 8 + n, 0, pad);
	o->n += 8 + n + pad;
}

static void begin(struct bytes *o, unsigned id, unsigned role, unsigned flags)
{
	unsigned char b[8] = { 0, (unsigned char)role, (unsigned char)flags };

	rec(o, FCGI_BEGIN_REQUEST, id, b, 8, 0);
}

static size_t pair(unsigned char *p, const char *n, const char *v)
{
	size_t nl = strlen(n), vl = strlen(v), o = 0;

	p[o++] = (unsigned char)nl;
	if (vl < 128) {
		p[o++] = (unsigned char)vl;
	} else {
		p[o++] = (unsigned char)(0x80 | vl >> 24);
		p[o++] = (unsigned char)(vl >> 16);
		p[o++] = (unsigned char)(vl >> 8);
		p[o++] = (unsigned char)vl;
	}
	memcpy(p + o, n, nl);
	memcpy(p + o + nl, v, vl);
	return o + nl + vl;
}

/* BEGIN, PARAMS (method, length), STDIN body; padding 3 on the body. */
static void request(struct bytes *o, unsigned id, unsigned flags, const char *body)
{
	unsigned char p[256];
	char len[24];
	size_t n;

	snprintf(len, sizeof len, "%zu", strlen(body));
	begin(o, id, FCGI_RESPONDER, flags);
	n = pair(p, "REQUEST_METHOD", "POST");
	n += pair(p + n, "CONTENT_LENGTH", len);
	rec(o, FCGI_PARAMS, id, p, n, 0);
	rec(o, FCGI_PARAMS, id, "", 0, 0);
	if (*body)
		rec(o, FCGI_STDIN, id, body, strlen(body), 3);
	rec(o, FCGI_STDIN, id, "", 0, 0);
}

/* Everything the connection wrote, as records: counts of STDOUT bytes and
 * the END_REQUEST protocol status of id (-1: none). */
static int reply(int fd, unsigned id, size_t *out)
{
	unsigned char b[65536];
	ssize_t k = read(fd, b, sizeof b);
	size_t i = 0;
	int proto = -1;

	*out = 0;
	while (k > 0 && i + 8 <= (size_t)k) {
		size_t cl = (size_t)b[i + 4] << 8 | b[i + 5];
		unsigned rid = (unsigned)b[i + 2] << 8 | b[i + 3];

		if (b[i + 1] == FCGI_STDOUT && rid == id)
			*out += cl;
		if (b[i + 1] == FCGI_END_REQUEST && rid == id)
			proto = b[i + 8 + 4];
		i += 8 + cl + b[i + 6];
	}
	return proto;
}

static struct fcgi_conn *pairconn(int sv[2], size_t body_max)
{
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) != 0)
		return NULL;
	return fcgi_conn_new(sv[0], 5000, body_max);
}

static void test_byte_at_a_time(void)
{
	static struct bytes o;
	int sv[2], mores = 0;
	struct fcgi_conn *c = pairconn(sv, 100);
	enum fcgi_conn_end e = FCGI_CONN_MORE;
	const char *body;
	size_t blen, out;

	o.n = 0;
	request(&o, 1, 0, "hello");
	for (size_t i = 0; i < o.n; i++) {
		if (write(sv[1], o.b + i, 1) != 1)
			break;
		e = fcgi_conn_progress(c, rbuf);
		if (i + 1 < o.n)
			mores += e == FCGI_CONN_MORE;
	}
	ok(mores == (int)o.n - 1, "one byte at a time: MORE until the last byte (%d of %zu)",
	   mores, o.n - 1);
	ok(e == FCGI_CONN_READY, "... READY at the last");
	fcgi_conn_params(c, env, envp);
	is_str(envp[0], "REQUEST_METHOD=POST", "params decoded");
	is_str(envp[1], "CONTENT_LENGTH=5", "... both");
	ok(envp[2] == NULL, "... NULL-terminated");
	body = fcgi_conn_body(c, &blen);
	ok(blen == 5 && !memcmp(body, "hello", 5), "the body, padding skipped");
	e = fcgi_conn_answer(c, "Status: 200\r\n\r\n", 15, "{}", 2, 0, rbuf);
	ok(e == FCGI_CONN_CLOSED, "not kept, all read: closed at once");
	ok(reply(sv[1], 1, &out) == FCGI_REQUEST_COMPLETE && out == 17,
	   "the answer: 17 bytes of STDOUT, END_REQUEST complete");
	fcgi_conn_free(c);
	close(sv[1]);
}

static void test_keep_pipelined(void)
{
	static struct bytes o;
	int sv[2];
	struct fcgi_conn *c = pairconn(sv, 100);
	enum fcgi_conn_end e;
	const char *body;
	size_t blen, out;

	o.n = 0;
	request(&o, 1, FCGI_KEEP_CONN, "one");
	request(&o, 2, FCGI_KEEP_CONN, "second");
	ok(write(sv[1], o.b, o.n) == (ssize_t)o.n, "two kept requests in one write");
	e = fcgi_conn_progress(c, rbuf);
	body = fcgi_conn_body(c, &blen);
	ok(e == FCGI_CONN_READY && blen == 3 && !memcmp(body, "one", 3), "the first is READY");
	e = fcgi_conn_answer(c, "H\r\n\r\n", 5, "1", 1, 0, rbuf);
	body = fcgi_conn_body(c, &blen);
	ok(e == FCGI_CONN_READY && blen == 6 && !memcmp(body, "second", 6),
	   "after its answer the second is READY from the bytes kept");
	ok(reply(sv[1], 1, &out) == FCGI_REQUEST_COMPLETE && out == 6, "the first's answer");
	e = fcgi_conn_answer(c, "H\r\n\r\n", 5, "2", 1, 0, rbuf);
	ok(e == FCGI_CONN_MORE, "after the second: waiting for a third (kept)");
	ok(reply(sv[1], 2, &out) == FCGI_REQUEST_COMPLETE && out == 6, "the second's answer");
	ok(fcgi_conn_expire(c, 0) == FCGI_CONN_CLOSED, "an idle kept connection expires CLOSED");
	fcgi_conn_free(c);
	close(sv[1]);
}

static enum fcgi_conn_end run(const struct bytes *o, size_t body_max, int *peer)
{
	int sv[2];
	struct fcgi_conn *c = pairconn(sv, body_max);
	enum fcgi_conn_end e = FCGI_CONN_MORE;
	size_t off = 0;

	while (off < o->n && e == FCGI_CONN_MORE) {
		ssize_t k = write(sv[1], o->b + off, o->n - off);

		if (k > 0)
			off += (size_t)k;
		e = fcgi_conn_progress(c, rbuf);
	}
	if (e == FCGI_CONN_READY) {
		size_t blen;

		fcgi_conn_body(c, &blen);
		e = blen == body_max ? FCGI_CONN_READY : FCGI_CONN_MORE;
	}
	fcgi_conn_free(c);
	if (peer)
		*peer = sv[1];
	else
		close(sv[1]);
	return e;
}

static void test_limits(void)
{
	static struct bytes o;
	static unsigned char p[70000];
	static char v[FCGI_CONN_PARAM_VALUE_MAX + 2];
	size_t n = 0;
	int peer;
	size_t out;

	o.n = 0;
	begin(&o, 1, FCGI_RESPONDER, 0);
	memset(v, 'x', FCGI_CONN_PARAM_VALUE_MAX + 1);
	n = pair(p, "HTTP_X", v);
	rec(&o, FCGI_PARAMS, 1, p, n, 0);
	rec(&o, FCGI_PARAMS, 1, "", 0, 0);
	ok(run(&o, 10, NULL) == FCGI_CONN_TOO_LARGE, "a value one byte over the limit: TOO_LARGE");

	o.n = 0;
	begin(&o, 1, FCGI_RESPONDER, 0);
	for (int i = 0; i < 4; i++)
		rec(&o, FCGI_PARAMS, 1, p, 65535, 0);    /* 256 KiB of PARAMS */
	ok(run(&o, 10, NULL) == FCGI_CONN_TOO_LARGE, "PARAMS over 64 KiB: TOO_LARGE, at once");

	o.n = 0;
	begin(&o, 1, FCGI_RESPONDER, 0);
	n = 0;
	for (int i = 0; i <= FCGI_CONN_PARAMS_COUNT_MAX; i++)
		n += pair(p + n, "A", "");
	rec(&o, FCGI_PARAMS, 1, p, n, 0);
	rec(&o, FCGI_PARAMS, 1, "", 0, 0);
	ok(run(&o, 10, NULL) == FCGI_CONN_TOO_LARGE, "%d pairs: TOO_LARGE",
	   FCGI_CONN_PARAMS_COUNT_MAX + 1);

	o.n = 0;
	begin(&o, 1, FCGI_RESPONDER, 0);
	n = pair(p, "A=B", "x");
	rec(&o, FCGI_PARAMS, 1, p, n, 0);
	rec(&o, FCGI_PARAMS, 1, "", 0, 0);
	ok(run(&o, 10, NULL) == FCGI_CONN_MALFORMED, "a name holding '=': MALFORMED");

	o.n = 0;
	begin(&o, 1, FCGI_RESPONDER, 0);
	p[0] = 10;                                   /* a name longer than the stream */
	p[1] = 0;
	rec(&o, FCGI_PARAMS, 1, p, 2, 0);
	rec(&o, FCGI_PARAMS, 1, "", 0, 0);
	ok(run(&o, 10, NULL) == FCGI_CONN_MALFORMED, "lengths past the stream: MALFORMED");

	o.n = 0;
	request(&o, 1, 0, "0123456789abcdefghij");
	ok(run(&o, 8, NULL) == FCGI_CONN_READY, "a body over body_max: READY with body_max bytes kept");

	o.n = 0;
	request(&o, 1, 0, "x");
	o.b[0] = 2;
	ok(run(&o, 8, NULL) == FCGI_CONN_PROTOCOL, "version 2: PROTOCOL");

	o.n = 0;
	request(&o, 1, 0, "x");
	o.b[8 + 1] = FCGI_AUTHORIZER;
	ok(run(&o, 8, &peer) == FCGI_CONN_REFUSED, "AUTHORIZER without keep: REFUSED");
	ok(reply(peer, 1, &out) == FCGI_UNKNOWN_ROLE && out == 0, "... told FCGI_UNKNOWN_ROLE");
	close(peer);
}

static void test_deadlines(void)
{
	int sv[2];
	struct fcgi_conn *c = pairconn(sv, 10);
	long long d;

	ok(fcgi_conn_progress(c, rbuf) == FCGI_CONN_MORE, "nothing sent: MORE");
	d = fcgi_conn_deadline(c, 0);
	ok(d - s3_mono_ms() > 4000, "the deadline is the timeout from now");
	d = fcgi_conn_deadline(c, 1);
	ok(d - s3_mono_ms() <= FCGI_CONN_STOP_WAIT_MS, "after SIGTERM: at most %d ms",
	   FCGI_CONN_STOP_WAIT_MS);
	ok(fcgi_conn_expire(c, 1) == FCGI_CONN_CLOSED, "stopped with no byte: CLOSED, quietly");
	fcgi_conn_free(c);
	close(sv[1]);

	c = pairconn(sv, 10);
	ok(write(sv[1], "\1\1", 2) == 2 && fcgi_conn_progress(c, rbuf) == FCGI_CONN_MORE,
	   "two bytes of a header: MORE");
	fcgi_conn_deadline(c, 1);
	ok(fcgi_conn_expire(c, 1) == FCGI_CONN_STOPPED, "stopped mid-request: STOPPED");
	fcgi_conn_free(c);
	close(sv[1]);

	c = pairconn(sv, 10);
	ok(fcgi_conn_expire(c, 0) == FCGI_CONN_TIMEOUT, "past the deadline: TIMEOUT");
	fcgi_conn_free(c);
	c = pairconn(sv, 10);
	close(sv[1]);
	ok(fcgi_conn_progress(c, rbuf) == FCGI_CONN_CLOSED, "EOF before a byte: CLOSED");
	fcgi_conn_free(c);
}

int main(void)
{
	test_byte_at_a_time();
	test_keep_pipelined();
	test_limits();
	test_deadlines();
	return done_testing();
}
