/* fcgi_conn.c - one FastCGI connection, parsed as its bytes come, never
 * waiting for them (see fcgi_conn.h). */
#define _GNU_SOURCE 1          /* ppoll */
#include "fcgi_conn.h"
#include "date.h"

#include <errno.h>
#include <fastcgi.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define IOV_MAX_RECORDS  8     /* FCGI_STDOUT records per writev */
#define READS_PER_CALL   16    /* reads of one connection per fcgi_conn_progress */

/* Where the content of the record being read goes. */
enum dest { D_DROP, D_PARAMS, D_BODY, D_SMALL };

struct fcgi_conn {
	int fd;
	enum fcgi_conn_end st;
	unsigned timeout_ms;
	long long deadline;           /* CLOCK_MONOTONIC ms */
	long long stop_at;            /* deadline once SIGTERM was seen; 0 before */
	int served;                   /* requests answered on this connection */

	/* the record being read */
	unsigned char hdr[FCGI_HEADER_LEN];
	size_t hlen;                  /* header bytes so far */
	unsigned rtype, rid;
	size_t clen, rleft, pleft;    /* content length; content and padding left */
	enum dest dest;
	unsigned char small[FCGI_CONN_SMALL];
	size_t slen;

	/* the request */
	unsigned id;                  /* its id; 0: none open */
	int keep;                     /* FCGI_KEEP_CONN */
	int params_done;
	size_t got;                   /* bytes read since the request began */
	unsigned char *raw;           /* its PARAMS stream */
	size_t rawlen, rawcap;
	char *body;                   /* the first body_max bytes of its FCGI_STDIN */
	size_t blen, bcap, body_max;

	/* bytes read past a whole request (a kept connection's next one) */
	unsigned char *pend;
	size_t plen;
};

static void set(struct fcgi_conn *c, enum fcgi_conn_end e)
{
	if (c->st == FCGI_CONN_MORE)
		c->st = e;
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

/* Writes every iov, waiting at most FCGI_CONN_WRITE_WAIT_MS in all for
 * room (SIGTERM stays blocked). 0, or -1 with the error state in *e. */
static int write_all(int fd, struct iovec *iov, int n, enum fcgi_conn_end *e)
{
	long long end = s3_mono_ms() + FCGI_CONN_WRITE_WAIT_MS;

	while (n > 0) {
		ssize_t k = writev(fd, iov, n);

		if (k < 0) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };
			long long left = end - s3_mono_ms();
			struct timespec ts;

			if (errno == EINTR)
				continue;
			if (errno == EPIPE || errno == ECONNRESET) {
				*e = FCGI_CONN_EOF;     /* the web server went away */
				return -1;
			}
			if ((errno != EAGAIN && errno != EWOULDBLOCK) || left <= 0) {
				*e = left <= 0 ? FCGI_CONN_TIMEOUT : FCGI_CONN_IO;
				return -1;
			}
			ts.tv_sec = (time_t)(left / 1000);
			ts.tv_nsec = (long)(left % 1000) * 1000000L;
			if (ppoll(&p, 1, &ts, NULL) < 0 && errno != EINTR) {
				*e = FCGI_CONN_IO;
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

static int send_one(struct fcgi_conn *c, void *p, size_t n)
{
	struct iovec iov = { p, n };
	enum fcgi_conn_end e = FCGI_CONN_IO;

	if (write_all(c->fd, &iov, 1, &e) == 0)
		return 0;
	set(c, e);
	return -1;
}

static int end_request(struct fcgi_conn *c, unsigned id, unsigned char proto)
{
	unsigned char m[FCGI_HEADER_LEN + 8] = { 0 };

	put_header(m, FCGI_END_REQUEST, id, 8);
	m[FCGI_HEADER_LEN + 4] = proto;     /* appStatus 0 */
	return send_one(c, m, sizeof m);
}

/* ---- name-value pairs -------------------------------------------------- */

/* One pair's lengths at p (n bytes left): 0, or -1 when they do not fit. */
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

/* Walks the PARAMS stream: checks it (env NULL), or decodes it into env
 * and envp. Each pair has at least 2 length bytes, its string '=' and a
 * NUL, so the strings never take more room than the stream. */
static enum fcgi_conn_end walk_params(const struct fcgi_conn *c, char *env, char **envp)
{
	size_t off = 0, o = 0, count = 0, hl, nl, vl;

	while (off < c->rawlen) {
		const unsigned char *p = c->raw + off;

		if (pair_lengths(p, c->rawlen - off, &hl, &nl, &vl))
			return FCGI_CONN_MALFORMED;
		if (count == FCGI_CONN_PARAMS_COUNT_MAX || vl > FCGI_CONN_PARAM_VALUE_MAX)
			return FCGI_CONN_TOO_LARGE;
		if (!nl || memchr(p + hl, '=', nl) || memchr(p + hl, '\0', nl + vl))
			return FCGI_CONN_MALFORMED;
		if (env) {
			envp[count] = env + o;
			memcpy(env + o, p + hl, nl);
			env[o + nl] = '=';
			memcpy(env + o + nl + 1, p + hl + nl, vl);
			env[o + nl + 1 + vl] = '\0';
			o += nl + vl + 2;
		}
		count++;
		off += hl + nl + vl;
	}
	if (envp)
		envp[count] = NULL;
	return FCGI_CONN_MORE;
}

void fcgi_conn_params(const struct fcgi_conn *c, char *env, char **envp)
{
	if (walk_params(c, env, envp) != FCGI_CONN_MORE)
		envp[0] = NULL;    /* not READY: checked when PARAMS ended */
}

const char *fcgi_conn_body(const struct fcgi_conn *c, size_t *len)
{
	*len = c->blen;
	return c->body;
}

/* FCGI_GET_VALUES: the names asked for that we know, with their values
 * (the names come from the first FCGI_CONN_SMALL bytes of the record). */
static void get_values(struct fcgi_conn *c)
{
#define STR_(x) #x
#define STR(x) STR_(x)
	static const struct { const char *name, *value; } known[] = {
		{ FCGI_MAX_CONNS, STR(FCGI_CONN_MAX_PER_WORKER) },
		{ FCGI_MAX_REQS, STR(FCGI_CONN_MAX_PER_WORKER) },
		{ FCGI_MPXS_CONNS, "0" },
	};
	unsigned char out[FCGI_HEADER_LEN + 64];
	size_t o = FCGI_HEADER_LEN, off = 0, hl, nl, vl;

	while (off < c->slen && !pair_lengths(c->small + off, c->slen - off, &hl, &nl, &vl)) {
		const unsigned char *name = c->small + off + hl;

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
	send_one(c, out, o);
#undef STR
#undef STR_
}

/* ---- records ------------------------------------------------------------ */

/* Appends n bytes to *buf (capacity *cap, growing), at most max in all.
 * 0, or -1 when that is over max or out of memory. */
static int append(void *bufp, size_t *len, size_t *cap, size_t max,
                  const unsigned char *p, size_t n)
{
	unsigned char **buf = bufp;

	if (n > max - *len)
		return -1;
	if (*len + n > *cap) {
		size_t want = *cap ? *cap : 1024;
		unsigned char *b;

		while (want < *len + n)
			want *= 2;
		if (want > max)
			want = max;
		if (!(b = realloc(*buf, want)))
			return -1;
		*buf = b;
		*cap = want;
	}
	memcpy(*buf + *len, p, n);
	*len += n;
	return 0;
}

/* A whole header: where its content goes. */
static void start_record(struct fcgi_conn *c)
{
	const unsigned char *h = c->hdr;
	int mine;

	if (h[0] != FCGI_VERSION_1) {
		set(c, FCGI_CONN_PROTOCOL);
		return;
	}
	c->rtype = h[1];
	c->rid = (unsigned)h[2] << 8 | h[3];
	c->clen = c->rleft = (size_t)h[4] << 8 | h[5];
	c->pleft = h[6];
	c->slen = 0;
	mine = c->id && c->rid == c->id;
	if (mine && c->rtype == FCGI_PARAMS && !c->params_done)
		c->dest = D_PARAMS;
	else if (mine && c->rtype == FCGI_STDIN && c->params_done)
		c->dest = D_BODY;
	else if (mine && (c->rtype == FCGI_PARAMS || c->rtype == FCGI_STDIN))
		set(c, FCGI_CONN_PROTOCOL);     /* its own records out of order */
	else if (c->rid == FCGI_NULL_REQUEST_ID || c->rtype == FCGI_BEGIN_REQUEST ||
	         c->rtype == FCGI_ABORT_REQUEST)
		c->dest = D_SMALL;
	else
		c->dest = D_DROP;     /* another id's, or a type we do not know */
}

static void content(struct fcgi_conn *c, const unsigned char *p, size_t n)
{
	size_t k;

	switch (c->dest) {
	case D_PARAMS:
		if (append(&c->raw, &c->rawlen, &c->rawcap, FCGI_CONN_PARAMS_MAX, p, n))
			set(c, FCGI_CONN_TOO_LARGE);
		break;
	case D_BODY:
		k = c->body_max - c->blen;      /* past body_max: read and dropped */
		if (k > n)
			k = n;
		if (k && append(&c->body, &c->blen, &c->bcap, c->body_max, p, k))
			set(c, FCGI_CONN_IO);       /* out of memory */
		break;
	case D_SMALL:
		k = sizeof c->small - c->slen;
		if (k > n)
			k = n;
		memcpy(c->small + c->slen, p, k);
		c->slen += k;
		break;
	case D_DROP:
		break;
	}
}

static void begin_request(struct fcgi_conn *c)
{
	unsigned role;

	if (c->id) {    /* one is open: a second id is refused, the same is wrong */
		if (c->rid != c->id)
			end_request(c, c->rid, FCGI_CANT_MPX_CONN);
		else
			set(c, FCGI_CONN_PROTOCOL);
		return;
	}
	if (c->slen < 8) {
		set(c, FCGI_CONN_PROTOCOL);
		return;
	}
	role = (unsigned)c->small[0] << 8 | c->small[1];
	if (role != FCGI_RESPONDER) {
		if (end_request(c, c->rid, FCGI_UNKNOWN_ROLE) == 0 &&
		    !(c->small[2] & FCGI_KEEP_CONN))
			set(c, FCGI_CONN_REFUSED);
		return;
	}
	c->id = c->rid;
	c->keep = c->small[2] & FCGI_KEEP_CONN;
}

/* The whole record was read. */
static void end_record(struct fcgi_conn *c)
{
	enum fcgi_conn_end e;

	switch (c->dest) {
	case D_PARAMS:
		if (!c->clen) {
			c->params_done = 1;
			if ((e = walk_params(c, NULL, NULL)) != FCGI_CONN_MORE)
				set(c, e);
		}
		break;
	case D_BODY:
		if (!c->clen)
			set(c, FCGI_CONN_READY);
		break;
	case D_SMALL:
		if (c->rid == FCGI_NULL_REQUEST_ID) {
			unsigned char m[FCGI_HEADER_LEN + 8] = { 0 };

			if (c->rtype == FCGI_GET_VALUES) {
				get_values(c);
				break;
			}
			put_header(m, FCGI_UNKNOWN_TYPE, FCGI_NULL_REQUEST_ID, 8);
			m[FCGI_HEADER_LEN] = (unsigned char)c->rtype;
			send_one(c, m, sizeof m);
		} else if (c->rtype == FCGI_BEGIN_REQUEST) {
			begin_request(c);
		} else if (c->id && c->rid == c->id) {
			set(c, FCGI_CONN_ABORTED);      /* FCGI_ABORT_REQUEST */
		}
		break;
	case D_DROP:
		break;
	}
}

/* Parses n bytes until the state leaves MORE; returns the bytes used. */
static size_t feed(struct fcgi_conn *c, const unsigned char *p, size_t n)
{
	size_t i = 0, k;

	while (c->st == FCGI_CONN_MORE) {
		if (c->hlen == FCGI_HEADER_LEN && !c->rleft && !c->pleft) {
			end_record(c);
			c->hlen = 0;
			continue;
		}
		if (i == n)
			break;
		if (c->hlen < FCGI_HEADER_LEN) {
			k = FCGI_HEADER_LEN - c->hlen;
			if (k > n - i)
				k = n - i;
			memcpy(c->hdr + c->hlen, p + i, k);
			c->hlen += k;
			i += k;
			if (c->hlen == FCGI_HEADER_LEN)
				start_record(c);
		} else if (c->rleft) {
			k = c->rleft < n - i ? c->rleft : n - i;
			content(c, p + i, k);
			c->rleft -= k;
			i += k;
		} else {
			k = c->pleft < n - i ? c->pleft : n - i;
			c->pleft -= k;
			i += k;
		}
	}
	return i;
}

/* feed, keeping what a whole request left over (a kept connection's next
 * request). */
static void feed_keep(struct fcgi_conn *c, const unsigned char *p, size_t n)
{
	size_t used = feed(c, p, n);

	if (used < n && c->st == FCGI_CONN_READY) {
		unsigned char *b = malloc(n - used);

		if (!b) {
			c->st = FCGI_CONN_IO;
			return;
		}
		memcpy(b, p + used, n - used);
		c->pend = b;
		c->plen = n - used;
	}
}

/* The bytes kept from before, first. */
static void feed_pending(struct fcgi_conn *c)
{
	unsigned char *b = c->pend;
	size_t n = c->plen;

	if (!b)
		return;
	c->pend = NULL;
	c->plen = 0;
	feed_keep(c, b, n);
	free(b);
}

struct fcgi_conn *fcgi_conn_new(int fd, unsigned timeout_ms, size_t body_max)
{
	struct fcgi_conn *c = calloc(1, sizeof *c);

	if (!c)
		return NULL;
	c->fd = fd;
	c->st = FCGI_CONN_MORE;
	c->timeout_ms = timeout_ms;
	c->deadline = s3_mono_ms() + timeout_ms;
	c->body_max = body_max;
	return c;
}

void fcgi_conn_free(struct fcgi_conn *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c->raw);
	free(c->body);
	free(c->pend);
	free(c);
}

void fcgi_conn_close(struct fcgi_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

int fcgi_conn_fd(const struct fcgi_conn *c)
{
	return c->fd;
}

size_t fcgi_conn_got(const struct fcgi_conn *c)
{
	return c->got;
}

enum fcgi_conn_end fcgi_conn_progress(struct fcgi_conn *c, unsigned char *buf)
{
	if (c->st == FCGI_CONN_MORE)
		feed_pending(c);
	for (int r = 0; r < READS_PER_CALL; r++) {
		ssize_t k;

		if (c->st != FCGI_CONN_MORE && c->st != FCGI_CONN_LINGER)
			break;
		k = read(c->fd, buf, FCGI_CONN_READ);
		if (k > 0) {
			if (c->st == FCGI_CONN_MORE) {
				c->got += (size_t)k;
				feed_keep(c, buf, (size_t)k);
			}
			continue;      /* LINGER: dropped */
		}
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (c->st == FCGI_CONN_LINGER)
			c->st = FCGI_CONN_CLOSED;
		else if (k == 0 || errno == ECONNRESET)
			c->st = c->got ? FCGI_CONN_EOF : FCGI_CONN_CLOSED;
		else
			c->st = FCGI_CONN_IO;
	}
	return c->st;
}

long long fcgi_conn_deadline(struct fcgi_conn *c, int stop)
{
	if (stop && c->st == FCGI_CONN_MORE) {
		if (!c->stop_at)
			c->stop_at = s3_mono_ms() + FCGI_CONN_STOP_WAIT_MS;
		if (c->stop_at < c->deadline)
			return c->stop_at;
	}
	return c->deadline;
}

enum fcgi_conn_end fcgi_conn_expire(struct fcgi_conn *c, int stop)
{
	if (c->st == FCGI_CONN_LINGER || (c->served && !c->got))
		c->st = FCGI_CONN_CLOSED;     /* done, or an idle kept connection */
	else if (stop && c->stop_at && c->stop_at <= c->deadline)
		c->st = c->got ? FCGI_CONN_STOPPED : FCGI_CONN_CLOSED;
	else
		c->st = FCGI_CONN_TIMEOUT;
	return c->st;
}

/* Ready for the next request on a kept connection. */
static void next_request(struct fcgi_conn *c)
{
	c->st = FCGI_CONN_MORE;
	c->id = 0;
	c->keep = 0;
	c->params_done = 0;
	c->got = c->plen;
	c->rawlen = 0;
	c->blen = 0;
	c->stop_at = 0;
	c->deadline = s3_mono_ms() + c->timeout_ms;
}

enum fcgi_conn_end fcgi_conn_answer(struct fcgi_conn *c, const char *head, size_t hl,
                                    const char *body, size_t bl, int stop,
                                    unsigned char *buf)
{
	unsigned char hdr[IOV_MAX_RECORDS + 1][FCGI_HEADER_LEN];
	unsigned char end[FCGI_HEADER_LEN + 8] = { 0 };
	struct iovec iov[2 * IOV_MAX_RECORDS + 2];
	const char *part[2] = { head, body };
	size_t plen[2] = { hl, bl };
	enum fcgi_conn_end e = FCGI_CONN_IO;
	int n = 0, h = 0;

	if (c->st != FCGI_CONN_ABORTED) {
		for (int i = 0; i < 2; i++) {
			while (plen[i]) {
				size_t k = plen[i] > FCGI_MAX_LENGTH ? FCGI_MAX_LENGTH : plen[i];

				if (h == IOV_MAX_RECORDS) {       /* a long answer: flush */
					if (write_all(c->fd, iov, n, &e) < 0)
						return c->st = e;
					n = h = 0;
				}
				put_header(hdr[h], FCGI_STDOUT, c->id, k);
				iov[n++] = (struct iovec){ hdr[h++], FCGI_HEADER_LEN };
				iov[n++] = (struct iovec){ (char *)part[i], k };
				part[i] += k;
				plen[i] -= k;
			}
		}
		put_header(hdr[h], FCGI_STDOUT, c->id, 0);      /* end of the stream */
		iov[n++] = (struct iovec){ hdr[h], FCGI_HEADER_LEN };
	}
	put_header(end, FCGI_END_REQUEST, c->id, 8);
	end[FCGI_HEADER_LEN + 4] = FCGI_REQUEST_COMPLETE;
	iov[n++] = (struct iovec){ end, sizeof end };
	if (write_all(c->fd, iov, n, &e) < 0)
		return c->st = e;
	c->served++;
	if (c->st == FCGI_CONN_READY && c->keep && !stop) {
		next_request(c);
		feed_pending(c);
		return c->st;
	}
	if (c->st == FCGI_CONN_READY && !c->pend && !c->hlen)
		return c->st = FCGI_CONN_CLOSED;    /* all of it read: close at once */
	/* answered before the peer was done (refused, aborted, or bytes past
	 * the request) */
	return fcgi_conn_linger(c, buf);
}

enum fcgi_conn_end fcgi_conn_linger(struct fcgi_conn *c, unsigned char *buf)
{
	free(c->pend);
	c->pend = NULL;
	c->plen = 0;
	shutdown(c->fd, SHUT_WR);
	c->st = FCGI_CONN_LINGER;
	c->deadline = s3_mono_ms() + FCGI_CONN_LINGER_MS;
	return fcgi_conn_progress(c, buf);
}

const char *fcgi_conn_why(enum fcgi_conn_end e, int got_bytes)
{
	switch (e) {
	case FCGI_CONN_TIMEOUT:
		return got_bytes ? "request not complete within S3_REQUEST_TIMEOUT"
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
	case FCGI_CONN_LINGER:    return "answered";
	case FCGI_CONN_READY:     return "ready";
	case FCGI_CONN_MORE:      break;
	}
	return "reading";
}
