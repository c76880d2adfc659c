/* fcgi_conn.c - one FastCGI connection, read under a deadline and within
 * limits (see fcgi_conn.h). */
#define _GNU_SOURCE 1          /* ppoll */
#include "fcgi_conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fastcgi.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define IOV_MAX_RECORDS  8     /* FCGI_STDOUT records per writev */

/* One whole record in c->buf, valid until the next get_record. */
struct rec {
	unsigned type, id;
	const unsigned char *data;
	size_t len;
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static enum fcgi_conn_end stop_with(struct fcgi_conn *c, enum fcgi_conn_end e)
{
	if (c->end == FCGI_CONN_OK)
		c->end = e;
	return c->end;
}

/* Waits for events on the socket until deadline: 1 ready, 0 timed out,
 * -1 error. wait lets SIGTERM in (reading); NULL keeps the mask (writing,
 * never cut by SIGTERM). After SIGTERM a read waits at most
 * FCGI_CONN_STOP_WAIT_MS; *stopped then tells why it gave up. */
static int wait_fd(struct fcgi_conn *c, short events, long long deadline,
                   const sigset_t *wait, int *stopped)
{
	struct pollfd p = { .fd = c->fd, .events = events };

	for (;;) {
		long long now = now_ms(), end = deadline;
		struct timespec ts;
		int k;

		if (wait && *c->stop) {
			if (!c->stop_at)
				c->stop_at = now + FCGI_CONN_STOP_WAIT_MS;
			if (c->stop_at < end)
				end = c->stop_at;
		}
		if (now >= end) {
			if (wait && c->stop_at && end == c->stop_at)
				*stopped = 1;
			return 0;
		}
		ts.tv_sec = (time_t)((end - now) / 1000);
		ts.tv_nsec = (long)((end - now) % 1000) * 1000000L;
		k = ppoll(&p, 1, &ts, wait);
		if (k > 0)
			return 1;
		if (k < 0 && errno != EINTR)
			return -1;
	}
}

/* Reads what the peer has sent into c->buf (compacting first). 0, or -1
 * with c->end set. */
static int fill(struct fcgi_conn *c)
{
	int stopped = 0;

	if (c->off) {
		memmove(c->buf, c->buf + c->off, c->len - c->off);
		c->len -= c->off;
		c->off = 0;
	}
	for (;;) {
		ssize_t k = read(c->fd, c->buf + c->len, sizeof c->buf - c->len);
		int w;

		if (k > 0) {
			c->len += (size_t)k;
			c->got += (size_t)k;
			return 0;
		}
		if (k == 0) {
			stop_with(c, c->got || c->len ? FCGI_CONN_EOF : FCGI_CONN_CLOSED);
			return -1;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			stop_with(c, errno == ECONNRESET && !c->got ? FCGI_CONN_CLOSED
			                                           : FCGI_CONN_IO);
			return -1;
		}
		w = wait_fd(c, POLLIN, c->deadline, c->wait_mask, &stopped);
		if (w < 0) {
			stop_with(c, FCGI_CONN_IO);
			return -1;
		}
		if (w == 0) {
			/* an idle kept connection that SIGTERM ends is not an error */
			if (stopped)
				stop_with(c, c->got ? FCGI_CONN_STOPPED : FCGI_CONN_CLOSED);
			else
				stop_with(c, FCGI_CONN_TIMEOUT);
			return -1;
		}
	}
}

/* The next whole record. 0, or -1 with c->end set. */
static int get_record(struct fcgi_conn *c, struct rec *r)
{
	for (;;) {
		size_t avail = c->len - c->off;

		if (avail >= FCGI_HEADER_LEN) {
			const unsigned char *h = c->buf + c->off;
			size_t clen = (size_t)h[4] << 8 | h[5];
			size_t total = FCGI_HEADER_LEN + clen + h[6];

			if (h[0] != FCGI_VERSION_1) {
				stop_with(c, FCGI_CONN_PROTOCOL);
				return -1;
			}
			if (avail >= total) {
				r->type = h[1];
				r->id = (unsigned)h[2] << 8 | h[3];
				r->data = h + FCGI_HEADER_LEN;
				r->len = clen;
				c->off += total;
				return 0;
			}
		}
		if (fill(c) < 0)
			return -1;
	}
}

/* ---- writing -------------------------------------------------------- */

static void put_header(unsigned char *h, unsigned type, unsigned id, size_t len)
{
	h[0] = FCGI_VERSION_1;
	h[1] = (unsigned char)type;
	h[2] = (unsigned char)(id >> 8);
	h[3] = (unsigned char)id;
	h[4] = (unsigned char)(len >> 8);
	h[5] = (unsigned char)len;
	h[6] = 0;
	h[7] = 0;
}

/* Writes every iov under one deadline (never cut by SIGTERM). */
static int write_all(struct fcgi_conn *c, struct iovec *iov, int n)
{
	long long deadline = now_ms() + c->timeout_ms;
	int stopped = 0;

	while (n > 0) {
		ssize_t k = writev(c->fd, iov, n);

		if (k < 0) {
			int w;

			if (errno == EINTR)
				continue;
			if (errno == EPIPE || errno == ECONNRESET) {
				stop_with(c, FCGI_CONN_EOF);    /* the web server went away */
				return -1;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				stop_with(c, FCGI_CONN_IO);
				return -1;
			}
			w = wait_fd(c, POLLOUT, deadline, NULL, &stopped);
			if (w <= 0) {
				stop_with(c, w < 0 ? FCGI_CONN_IO : FCGI_CONN_TIMEOUT);
				return -1;
			}
			continue;
		}
		while (n > 0 && (size_t)k >= iov->iov_len) {
			k -= (ssize_t)iov->iov_len;
			iov++, n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + k;
			iov->iov_len -= (size_t)k;
		}
	}
	return 0;
}

static int end_request(struct fcgi_conn *c, unsigned id, unsigned char proto)
{
	unsigned char m[FCGI_HEADER_LEN + 8] = { 0 };
	struct iovec iov = { m, sizeof m };

	put_header(m, FCGI_END_REQUEST, id, 8);
	m[FCGI_HEADER_LEN + 4] = proto;     /* appStatus 0 */
	return write_all(c, &iov, 1);
}

int fcgi_conn_answer(struct fcgi_conn *c, const char *head, size_t hl,
                     const char *body, size_t bl)
{
	unsigned char hdr[IOV_MAX_RECORDS + 1][FCGI_HEADER_LEN];
	unsigned char end[FCGI_HEADER_LEN + 8] = { 0 };
	struct iovec iov[2 * IOV_MAX_RECORDS + 2];
	const char *part[2] = { head, body };
	size_t plen[2] = { hl, bl };
	int n = 0, h = 0;

	if (c->end == FCGI_CONN_ABORTED)
		return end_request(c, c->id, FCGI_REQUEST_COMPLETE);
	for (int i = 0; i < 2; i++) {
		while (plen[i]) {
			size_t k = plen[i] > FCGI_MAX_LENGTH ? FCGI_MAX_LENGTH : plen[i];

			if (h == IOV_MAX_RECORDS) {       /* a long answer: flush */
				if (write_all(c, iov, n) < 0)
					return -1;
				n = h = 0;
			}
			put_header(hdr[h], FCGI_STDOUT, c->id, k);
			iov[n++] = (struct iovec){ hdr[h++], FCGI_HEADER_LEN };
			iov[n++] = (struct iovec){ (char *)part[i], k };
			part[i] += k;
			plen[i] -= k;
		}
	}
	put_header(hdr[h], FCGI_STDOUT, c->id, 0);          /* end of the stream */
	iov[n++] = (struct iovec){ hdr[h], FCGI_HEADER_LEN };
	put_header(end, FCGI_END_REQUEST, c->id, 8);
	end[FCGI_HEADER_LEN + 4] = FCGI_REQUEST_COMPLETE;
	iov[n++] = (struct iovec){ end, sizeof end };
	return write_all(c, iov, n);
}

/* ---- records of others ------------------------------------------------ */

/* One name-value pair's lengths at p (n bytes left): 0, or -1 when they
 * do not fit. */
static int pair_lengths(const unsigned char *p, size_t n, size_t *hl,
                        size_t *nl, size_t *vl)
{
	size_t off = 0, v[2];

	for (int i = 0; i < 2; i++) {
		if (off >= n)
			return -1;
		if (p[off] & 0x80) {
			if (n - off < 4)
				return -1;
			v[i] = ((size_t)(p[off] & 0x7f) << 24) | (size_t)p[off + 1] << 16 |
			       (size_t)p[off + 2] << 8 | p[off + 3];
			off += 4;
		} else {
			v[i] = p[off++];
		}
	}
	if (v[0] > n - off || v[1] > n - off - v[0])
		return -1;
	*hl = off, *nl = v[0], *vl = v[1];
	return 0;
}

/* FCGI_GET_VALUES: the names asked for that we know, with their values. */
static int get_values(struct fcgi_conn *c, const struct rec *r)
{
	static const struct { const char *name, *value; } known[] = {
		{ FCGI_MAX_CONNS, "1" }, { FCGI_MAX_REQS, "1" }, { FCGI_MPXS_CONNS, "0" },
	};
	unsigned char out[FCGI_HEADER_LEN + 64];
	size_t o = FCGI_HEADER_LEN, off = 0, hl, nl, vl;
	struct iovec iov;

	while (off < r->len && !pair_lengths(r->data + off, r->len - off, &hl, &nl, &vl)) {
		const unsigned char *name = r->data + off + hl;

		for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
			size_t kn = strlen(known[i].name), kv = strlen(known[i].value);

			if (nl == kn && !memcmp(name, known[i].name, kn) &&
			    o + 2 + kn + kv <= sizeof out) {
				out[o++] = (unsigned char)kn;
				out[o++] = (unsigned char)kv;
				memcpy(out + o, known[i].name, kn);
				memcpy(out + o + kn, known[i].value, kv);
				o += kn + kv;
			}
		}
		off += hl + nl + vl;
	}
	put_header(out, FCGI_GET_VALUES_RESULT, FCGI_NULL_REQUEST_ID, o - FCGI_HEADER_LEN);
	iov = (struct iovec){ out, o };
	return write_all(c, &iov, 1);
}

/* A record that is not the open request's next one. 0 to go on, -1 when
 * the connection must end (c->end set). */
static int other_record(struct fcgi_conn *c, const struct rec *r)
{
	if (r->id == FCGI_NULL_REQUEST_ID) {
		unsigned char m[FCGI_HEADER_LEN + 8] = { 0 };
		struct iovec iov = { m, sizeof m };

		if (r->type == FCGI_GET_VALUES)
			return get_values(c, r);
		put_header(m, FCGI_UNKNOWN_TYPE, FCGI_NULL_REQUEST_ID, 8);
		m[FCGI_HEADER_LEN] = (unsigned char)r->type;
		return write_all(c, &iov, 1);
	}
	if (r->type == FCGI_BEGIN_REQUEST && r->id != c->id)
		return end_request(c, r->id, FCGI_CANT_MPX_CONN);
	if (r->type == FCGI_ABORT_REQUEST && r->id == c->id && c->id) {
		stop_with(c, FCGI_CONN_ABORTED);
		return -1;
	}
	if (r->id == c->id && c->id && r->type != FCGI_DATA) {
		/* the open request's own records out of order */
		stop_with(c, FCGI_CONN_PROTOCOL);
		return -1;
	}
	return 0;     /* another id's, or a type we do not know: dropped */
}

/* ---- the request ------------------------------------------------------ */

/* c->raw into c->env / c->envp. */
static enum fcgi_conn_end decode_params(struct fcgi_conn *c)
{
	size_t off = 0, o = 0, count = 0, hl, nl, vl;

	while (off < c->rawlen) {
		const unsigned char *p = c->raw + off;

		if (pair_lengths(p, c->rawlen - off, &hl, &nl, &vl))
			return stop_with(c, FCGI_CONN_MALFORMED);
		if (count == FCGI_CONN_PARAMS_COUNT_MAX || vl > FCGI_CONN_PARAM_VALUE_MAX)
			return stop_with(c, FCGI_CONN_TOO_LARGE);
		if (!nl || memchr(p + hl, '=', nl) || memchr(p + hl, '\0', nl + vl))
			return stop_with(c, FCGI_CONN_MALFORMED);
		/* each pair has >= 2 length bytes, its string "=" and NUL: o <= off */
		c->envp[count++] = c->env + o;
		memcpy(c->env + o, p + hl, nl);
		c->env[o + nl] = '=';
		memcpy(c->env + o + nl + 1, p + hl + nl, vl);
		c->env[o + nl + 1 + vl] = '\0';
		o += nl + vl + 2;
		off += hl + nl + vl;
	}
	c->envp[count] = NULL;
	return FCGI_CONN_OK;
}

void fcgi_conn_open(struct fcgi_conn *c, int fd, unsigned timeout_ms,
                    const sigset_t *wait_mask, volatile sig_atomic_t *stop)
{
	c->fd = fd;
	c->timeout_ms = timeout_ms;
	c->wait_mask = wait_mask;
	c->stop = stop;
	c->off = c->len = 0;
	c->deadline = now_ms() + timeout_ms;
	c->stop_at = 0;
	c->end = FCGI_CONN_OK;
	c->id = 0;
	c->keep = 0;
	c->got = 0;
}

enum fcgi_conn_end fcgi_conn_read_params(struct fcgi_conn *c)
{
	struct rec r;

	c->rawlen = 0;
	c->stdin_done = 0;
	c->sp = NULL;
	c->sleft = 0;
	c->envp[0] = NULL;
	while (c->end == FCGI_CONN_OK && get_record(c, &r) == 0) {
		if (r.type == FCGI_BEGIN_REQUEST && !c->id && r.id) {
			unsigned role;

			if (r.len < 8)
				return stop_with(c, FCGI_CONN_PROTOCOL);
			role = (unsigned)r.data[0] << 8 | r.data[1];
			if (role != FCGI_RESPONDER) {
				if (end_request(c, r.id, FCGI_UNKNOWN_ROLE) < 0)
					break;
				if (!(r.data[2] & FCGI_KEEP_CONN))
					return stop_with(c, FCGI_CONN_REFUSED);
				continue;
			}
			c->id = r.id;
			c->keep = r.data[2] & FCGI_KEEP_CONN;
		} else if (r.type == FCGI_PARAMS && r.id == c->id && c->id) {
			if (!r.len)
				return decode_params(c);
			if (r.len > sizeof c->raw - c->rawlen)
				return stop_with(c, FCGI_CONN_TOO_LARGE);
			memcpy(c->raw + c->rawlen, r.data, r.len);
			c->rawlen += r.len;
		} else if (other_record(c, &r) < 0) {
			break;
		}
	}
	return c->end;
}

size_t fcgi_conn_read_body(void *ctx, char *buf, size_t n)
{
	struct fcgi_conn *c = ctx;
	size_t got = 0;
	struct rec r;

	while (got < n && c->end == FCGI_CONN_OK) {
		if (c->sleft) {
			size_t k = c->sleft < n - got ? c->sleft : n - got;

			memcpy(buf + got, c->sp, k);
			c->sp += k;
			c->sleft -= k;
			got += k;
			continue;
		}
		if (c->stdin_done || get_record(c, &r) < 0)
			break;
		if (r.type == FCGI_STDIN && r.id == c->id) {
			if (!r.len)
				c->stdin_done = 1;
			c->sp = r.data;
			c->sleft = r.len;
		} else if (other_record(c, &r) < 0) {
			break;
		}
	}
	return got;
}

/* Reads and drops until EOF or deadline: what nginx sends after the
 * answer, or the rest of a refused request. */
static void linger(struct fcgi_conn *c, long long deadline)
{
	int stopped = 0;

	shutdown(c->fd, SHUT_WR);
	for (;;) {
		ssize_t k = read(c->fd, c->buf, sizeof c->buf);

		if (k > 0)
			continue;
		if (k == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
			break;
		if (wait_fd(c, POLLIN, deadline, NULL, &stopped) <= 0)
			break;
	}
}

int fcgi_conn_next(struct fcgi_conn *c)
{
	long long now = now_ms();

	if (c->keep && c->end == FCGI_CONN_OK && !*c->stop) {
		/* the rest of this request's records (an unread body) first */
		while (!c->stdin_done && c->end == FCGI_CONN_OK) {
			char sink[512];

			fcgi_conn_read_body(c, sink, sizeof sink);
		}
		if (c->end == FCGI_CONN_OK) {
			c->id = 0;
			c->keep = 0;
			c->got = 0;
			c->deadline = now_ms() + c->timeout_ms;
			return 1;
		}
	}
	linger(c, now + FCGI_CONN_LINGER_MS);
	close(c->fd);
	c->fd = -1;
	return 0;
}

void fcgi_conn_drop(struct fcgi_conn *c)
{
	close(c->fd);
	c->fd = -1;
}

const char *fcgi_conn_why(const struct fcgi_conn *c)
{
	switch (c->end) {
	case FCGI_CONN_TIMEOUT:
		return c->got ? "request not complete within S3_REQUEST_TIMEOUT"
		              : "no request within S3_REQUEST_TIMEOUT";
	case FCGI_CONN_STOPPED:   return "stopping (SIGTERM) while the request was read";
	case FCGI_CONN_EOF:       return "peer closed the connection before the answer";
	case FCGI_CONN_PROTOCOL:  return "not a FastCGI record stream";
	case FCGI_CONN_IO:        return "read or write error";
	case FCGI_CONN_TOO_LARGE: return "FastCGI parameters over the limits";
	case FCGI_CONN_MALFORMED: return "malformed FastCGI parameters";
	case FCGI_CONN_REFUSED:   return "FastCGI role other than RESPONDER refused";
	case FCGI_CONN_ABORTED:   return "request aborted by the web server";
	case FCGI_CONN_CLOSED:    return "closed";
	case FCGI_CONN_OK:        break;
	}
	return "ok";
}

int fcgi_conn_peer_allowed(int fd, const char *list)
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
