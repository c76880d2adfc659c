/* http.c - minimal HTTP requests over a dlopen'ed libcurl (see http.h).
 *
 * The libcurl entry points live in one table, filled by s3_http_load()
 * from dlsym. curl.h is used for types and constants only; its
 * compile-time type checking of curl_easy_setopt() is a macro over the
 * linked name, which is not used here, so every option value is passed
 * with its exact type by hand (long, curl_off_t, pointer). */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "http.h"
#include "syntax.h"

#ifndef SIGN_S3_VERSION
#define SIGN_S3_VERSION "0"
#endif

#define HTTP_USER_AGENT "sign_s3/" SIGN_S3_VERSION
#define HTTP_PROTOCOLS  "http,https"

/* The part of libcurl sign_s3 uses. */
struct curl_api {
	void *dl;
	int inited;                /* curl_global_init done */
	CURLcode (*global_init)(long flags);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	void (*easy_reset)(CURL *h);
	CURLcode (*easy_setopt)(CURL *h, CURLoption opt, ...);
	CURLcode (*easy_perform)(CURL *h);
	CURLcode (*easy_getinfo)(CURL *h, CURLINFO info, ...);
	void (*easy_cleanup)(CURL *h);
	const char *(*easy_strerror)(CURLcode c);
	struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
	void (*slist_free_all)(struct curl_slist *l);
};

static struct curl_api api;

/* The process's one easy handle (its connection cache is the keep-alive
 * pool), the process that made it, and the connections it opened. */
static CURL *handle;
static pid_t handle_pid;
static long total_connects;

_Static_assert(sizeof(void *) == sizeof(void (*)(void)),
               "dlsym results must fit function pointers (POSIX)");

/* ---- loading ---------------------------------------------------------- */

/* dlsym into a function pointer of any type, through memcpy (ISO C has no
 * conversion from void * to a function pointer). */
#define LOAD(field, name) do {                                         \
	void *p_ = dlsym(dl, name);                                     \
	if (!p_) {                                                      \
		s3_msgf(why, whycap, "libcurl not available: %s has no %s", \
		     soname, name);                                     \
		goto fail;                                              \
	}                                                               \
	memcpy(&t.field, &p_, sizeof(p_));                              \
} while (0)

enum s3_err s3_http_load(const char *soname, char *why, size_t whycap)
{
	struct curl_api t;
	const char *err;
	void *dl;

	if (api.dl)
		return S3_OK;
	if (!soname)
		soname = S3_HTTP_LIBCURL;
	memset(&t, 0, sizeof(t));
	dl = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (!dl) {
		err = dlerror();
		s3_msgf(why, whycap, "libcurl not available: %s", err ? err : soname);
		return S3_ERR_IO;
	}
	t.dl = dl;
	LOAD(global_init, "curl_global_init");
	LOAD(global_cleanup, "curl_global_cleanup");
	LOAD(easy_init, "curl_easy_init");
	LOAD(easy_reset, "curl_easy_reset");
	LOAD(easy_setopt, "curl_easy_setopt");
	LOAD(easy_perform, "curl_easy_perform");
	LOAD(easy_getinfo, "curl_easy_getinfo");
	LOAD(easy_cleanup, "curl_easy_cleanup");
	LOAD(easy_strerror, "curl_easy_strerror");
	LOAD(slist_append, "curl_slist_append");
	LOAD(slist_free_all, "curl_slist_free_all");
	api = t;
	return S3_OK;
fail:
	dlclose(dl);
	return S3_ERR_IO;
}

#undef LOAD

void s3_http_cleanup(void)
{
	if (handle && handle_pid == getpid())
		api.easy_cleanup(handle);
	handle = NULL;     /* a parent's handle is left alone, see http.h */
	if (api.dl && api.inited) {
		api.global_cleanup();
		api.inited = 0;
	}
}

long s3_http_connects(void)
{
	return total_connects;
}

void s3_http_response_free(struct s3_http_response *resp)
{
	if (!resp)
		return;
	if (resp->body) {
		OPENSSL_cleanse(resp->body, resp->len);
		free(resp->body);
	}
	for (size_t i = 0; i < S3_HTTP_MAX_WANT; i++)
		if (resp->header_values[i]) {
			OPENSSL_cleanse(resp->header_values[i], strlen(resp->header_values[i]));
			free(resp->header_values[i]);
		}
	memset(resp, 0, sizeof(*resp));
}

/* ---- request checks ---------------------------------------------------- */

/* A header name: an RFC 9110 token (syntax.h). */
static int name_ok(const char *s)
{
	size_t n = strlen(s);

	return n && s3_token_len(s, n) == n;
}

static const char *const methods[] = { "GET", "PUT", "POST", "DELETE", "HEAD", "OPTIONS" };

static int method_ok(const char *m)
{
	for (size_t i = 0; m && i < sizeof methods / sizeof *methods; i++)
		if (!strcmp(m, methods[i]))
			return 1;
	return 0;
}

static int has_body(const char *m)
{
	return !strcmp(m, "POST") || !strcmp(m, "PUT");
}

static size_t body_limit(const struct s3_http_request *rq)
{
	return rq->max_body ? rq->max_body : S3_HTTP_MAX_BODY;
}

/* 1 when rq is one this client sends; otherwise 0 and why says what is wrong. */
static int check_request(const struct s3_http_request *rq, char *why, size_t whycap)
{
	struct s3_url u;
	const char *bad;

	if (!method_ok(rq->method)) {
		s3_msgf(why, whycap, "method must be GET, PUT, POST, DELETE, HEAD or OPTIONS");
		return 0;
	}
	if (!rq->url) {
		s3_msgf(why, whycap, "no URL");
		return 0;
	}
	if ((bad = s3_url_parse(rq->url, strnlen(rq->url, S3_HTTP_MAX_URL + 1), &u))) {
		s3_msgf(why, whycap, "URL: %s", bad);
		return 0;
	}
	if (rq->nheaders > S3_HTTP_MAX_HEADERS || (rq->nheaders && !rq->headers)) {
		s3_msgf(why, whycap, "too many request headers");
		return 0;
	}
	for (size_t i = 0; i < rq->nheaders; i++) {
		const struct s3_http_header *h = &rq->headers[i];

		if (!h->name || !h->value || !name_ok(h->name) ||
		    !s3_is_printable(h->value, strlen(h->value))) {
			s3_msgf(why, whycap, "request header with a bad name or value");
			return 0;
		}
		if (strlen(h->name) + 2 + strlen(h->value) >= S3_HTTP_MAX_HEADER) {
			s3_msgf(why, whycap, "request header too long");
			return 0;
		}
	}
	if (rq->body_len && (!rq->body || !has_body(rq->method))) {
		s3_msgf(why, whycap, "a body is sent with POST or PUT only");
		return 0;
	}
	if (rq->body_len > S3_HTTP_MAX_REQUEST_BODY) {
		s3_msgf(why, whycap, "request body over %d bytes", S3_HTTP_MAX_REQUEST_BODY);
		return 0;
	}
	if (rq->max_body > S3_HTTP_MAX_BODY_LIMIT) {
		s3_msgf(why, whycap, "answer limit over %d bytes", S3_HTTP_MAX_BODY_LIMIT);
		return 0;
	}
	if (rq->nwant > S3_HTTP_MAX_WANT || (rq->nwant && !rq->want_headers)) {
		s3_msgf(why, whycap, "too many response headers asked for");
		return 0;
	}
	for (size_t i = 0; i < rq->nwant; i++)
		if (!rq->want_headers[i] || !name_ok(rq->want_headers[i])) {
			s3_msgf(why, whycap, "a bad response header name asked for");
			return 0;
		}
	return 1;
}

/* ---- transfer ------------------------------------------------------- */

/* The answer's body, grown by doubling up to max bytes (+ the NUL); each
 * old buffer is wiped before it is freed. */
struct sink {
	char *buf;
	size_t len, cap, max;
	int over;
};

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
	struct sink *s = ud;
	size_t k = size * n;

	if (k > s->max - s->len) {
		s->over = 1;
		return 0;          /* aborts the transfer: CURLE_WRITE_ERROR */
	}
	if (s->len + k + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		char *nb;

		while (cap < s->len + k + 1)
			cap *= 2;
		if (cap > s->max + 1)
			cap = s->max + 1;
		if (!(nb = malloc(cap)))
			return 0;
		if (s->buf) {
			memcpy(nb, s->buf, s->len);
			OPENSSL_cleanse(s->buf, s->cap);
			free(s->buf);
		}
		s->buf = nb;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, p, k);
	s->len += k;
	return k;
}

static void sink_free(struct sink *s)
{
	if (s->buf) {
		OPENSSL_cleanse(s->buf, s->cap);
		free(s->buf);
	}
	s->buf = NULL;
}

/* The response headers asked for. A status line ("HTTP/...") starts a new
 * answer (a 1xx before the final one): what was captured is dropped. */
struct hsink {
	const struct s3_http_request *rq;
	char *value[S3_HTTP_MAX_WANT];
	int over, nomem;
};

static void hsink_clear(struct hsink *hs)
{
	for (size_t i = 0; i < S3_HTTP_MAX_WANT; i++) {
		if (hs->value[i]) {
			OPENSSL_cleanse(hs->value[i], strlen(hs->value[i]));
			free(hs->value[i]);
		}
		hs->value[i] = NULL;
	}
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct hsink *hs = ud;
	size_t k = size * n, len = k, nl;
	const char *colon, *v;

	if (k > S3_HTTP_MAX_HEADER) {
		hs->over = 1;
		return 0;
	}
	if (k >= 5 && !memcmp(p, "HTTP/", 5)) {
		hsink_clear(hs);
		return k;
	}
	while (len && (p[len - 1] == '\n' || p[len - 1] == '\r'))
		len--;
	if (!(colon = memchr(p, ':', len)))
		return k;
	nl = (size_t)(colon - p);
	for (size_t i = 0; i < hs->rq->nwant; i++) {
		const char *want = hs->rq->want_headers[i];
		size_t vl;

		if (hs->value[i] || strlen(want) != nl || strncasecmp(p, want, nl))
			continue;
		v = colon + 1;
		vl = len - nl - 1;
		while (vl && (*v == ' ' || *v == '\t'))
			v++, vl--;
		while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
			vl--;
		if (!(hs->value[i] = malloc(vl + 1))) {
			hs->nomem = 1;
			return 0;
		}
		memcpy(hs->value[i], v, vl);
		hs->value[i][vl] = '\0';
	}
	return k;
}

/* The request body of a PUT, handed out as libcurl asks. */
struct source {
	const char *p;
	size_t left;
};

static size_t on_read(char *p, size_t size, size_t n, void *ud)
{
	struct source *src = ud;
	size_t k = size * n;

	if (k > src->left)
		k = src->left;
	memcpy(p, src->p, k);
	src->p += k;
	src->left -= k;
	return k;
}

/* Wipes the header lines libcurl copied, then frees them. */
static void slist_wipe_free(struct curl_slist *l)
{
	for (struct curl_slist *e = l; e; e = e->next)
		if (e->data)
			OPENSSL_cleanse(e->data, strlen(e->data));
	api.slist_free_all(l);
}

static long clamp_ms(long want, long max)
{
	return want > 0 && want < max ? want : max;
}

struct xfer {
	struct sink sink;
	struct hsink hs;
	struct source src;
};

/* The options every request gets. Returns the first failing option's
 * code. CURLOPT_PROTOCOLS_STR is new in 7.85: an older library refuses it
 * (the URL scheme is checked here anyway, and redirects are not
 * followed). */
static CURLcode set_common(CURL *h, const struct s3_http_request *rq,
                           struct xfer *x, struct curl_slist *hdrs)
{
	CURLcode c;

#define SET(opt, val) do { if ((c = api.easy_setopt(h, opt, val)) != CURLE_OK) return c; } while (0)
	SET(CURLOPT_URL, rq->url);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_CONNECTTIMEOUT_MS,
	    clamp_ms(rq->connect_timeout_ms, S3_HTTP_CONNECT_TIMEOUT_MS));
	SET(CURLOPT_TIMEOUT_MS, clamp_ms(rq->timeout_ms, S3_HTTP_TIMEOUT_MS));
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_MAXREDIRS, 0L);
	SET(CURLOPT_PROXY, "");
	SET(CURLOPT_NOPROXY, "*");
	/* a HEAD's Content-Length is the object's size, not a body to come */
	if (strcmp(rq->method, "HEAD"))
		SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)body_limit(rq));
	SET(CURLOPT_WRITEFUNCTION, on_data);
	SET(CURLOPT_WRITEDATA, (void *)&x->sink);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, (void *)&x->hs);
	SET(CURLOPT_USERAGENT, HTTP_USER_AGENT);
	SET(CURLOPT_HTTPHEADER, hdrs);
	if (!strcmp(rq->method, "PUT")) {
		SET(CURLOPT_UPLOAD, 1L);
		SET(CURLOPT_INFILESIZE_LARGE, (curl_off_t)rq->body_len);
		SET(CURLOPT_READFUNCTION, on_read);
		SET(CURLOPT_READDATA, (void *)&x->src);
	} else if (!strcmp(rq->method, "POST")) {
		SET(CURLOPT_POST, 1L);
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_len);
		SET(CURLOPT_POSTFIELDS, rq->body_len ? rq->body : "");
	} else if (!strcmp(rq->method, "HEAD")) {
		SET(CURLOPT_NOBODY, 1L);
	} else if (!strcmp(rq->method, "DELETE") || !strcmp(rq->method, "OPTIONS")) {
		SET(CURLOPT_CUSTOMREQUEST, rq->method);
	} else {
		SET(CURLOPT_HTTPGET, 1L);
	}
#undef SET
	c = api.easy_setopt(h, CURLOPT_PROTOCOLS_STR, HTTP_PROTOCOLS);
	if (c != CURLE_OK && c != CURLE_UNKNOWN_OPTION)
		return c;
	return CURLE_OK;
}

static int has_header(const struct s3_http_request *rq, const char *name)
{
	for (size_t i = 0; i < rq->nheaders; i++)
		if (!strcasecmp(rq->headers[i].name, name))
			return 1;
	return 0;
}

static enum s3_err build_headers(const struct s3_http_request *rq,
                                 struct curl_slist **out)
{
	struct curl_slist *l = NULL, *n;
	char *line;
	enum s3_err rc = S3_OK;

	line = malloc(S3_HTTP_MAX_HEADER);
	if (!line)
		return S3_ERR_NOMEM;
	/* no "Expect: 100-continue" round trip for a PUT or POST body */
	n = api.slist_append(l, "Expect:");
	if (!n) {
		rc = S3_ERR_NOMEM;
		goto fail;
	}
	l = n;
	/* no "Content-Type: application/x-www-form-urlencoded" on a POST */
	if (!strcmp(rq->method, "POST") && !has_header(rq, "Content-Type")) {
		if (!(n = api.slist_append(l, "Content-Type:"))) {
			rc = S3_ERR_NOMEM;
			goto fail;
		}
		l = n;
	}
	for (size_t i = 0; i < rq->nheaders; i++) {
		snprintf(line, S3_HTTP_MAX_HEADER, "%s: %s", rq->headers[i].name,
		         rq->headers[i].value);
		n = api.slist_append(l, line);
		OPENSSL_cleanse(line, S3_HTTP_MAX_HEADER);
		if (!n) {
			rc = S3_ERR_NOMEM;
			goto fail;
		}
		l = n;
	}
	free(line);
	*out = l;
	return S3_OK;
fail:
	OPENSSL_cleanse(line, S3_HTTP_MAX_HEADER);
	free(line);
	if (l)
		slist_wipe_free(l);
	return rc;
}

/* The process's handle, reset for a new request; NULL when out of memory.
 * One inherited through fork() is abandoned, never reset or cleaned up:
 * its connections are the parent's. */
static CURL *get_handle(void)
{
	pid_t me = getpid();

	if (handle && handle_pid == me) {
		api.easy_reset(handle);
		return handle;
	}
	handle = api.easy_init();
	handle_pid = me;
	return handle;
}

enum s3_err s3_http_curl(void *ctx, const struct s3_http_request *rq,
                         struct s3_http_response *resp, char *why, size_t whycap)
{
	struct xfer x;
	struct curl_slist *hdrs = NULL;
	CURL *h = NULL;
	CURLcode c;
	long status = 0, nconn = 0;
	enum s3_err rc;

	(void)ctx;
	memset(resp, 0, sizeof(*resp));
	memset(&x, 0, sizeof(x));
	s3_msgf(why, whycap, "%s", "");
	if (!check_request(rq, why, whycap))
		return S3_ERR_INVAL;
	if ((rc = s3_http_load(NULL, why, whycap)) != S3_OK)
		return rc;
	if (!api.inited) {
		if (api.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			s3_msgf(why, whycap, "libcurl: global initialization failed");
			return S3_ERR_IO;
		}
		api.inited = 1;
	}
	x.sink.max = body_limit(rq);
	x.hs.rq = rq;
	x.src.p = rq->body;
	x.src.left = rq->body_len;
	rc = S3_ERR_NOMEM;
	if (!(h = get_handle())) {
		s3_msgf(why, whycap, "out of memory");
		goto fail;
	}
	if ((rc = build_headers(rq, &hdrs)) != S3_OK) {
		s3_msgf(why, whycap, "out of memory");
		goto fail;
	}
	rc = S3_ERR_IO;
	if ((c = set_common(h, rq, &x, hdrs)) != CURLE_OK) {
		s3_msgf(why, whycap, "libcurl: %s", api.easy_strerror(c));
		goto fail;
	}
	c = api.easy_perform(h);
	if (api.easy_getinfo(h, CURLINFO_NUM_CONNECTS, &nconn) == CURLE_OK && nconn > 0)
		total_connects += nconn;
	if (c == CURLE_WRITE_ERROR && x.hs.over) {
		rc = S3_ERR_TOOLONG;
		s3_msgf(why, whycap, "answer header line longer than %d bytes", S3_HTTP_MAX_HEADER);
		goto fail;
	}
	if ((c == CURLE_WRITE_ERROR && x.sink.over) || c == CURLE_FILESIZE_EXCEEDED) {
		rc = S3_ERR_TOOLONG;
		s3_msgf(why, whycap, "answer larger than %zu bytes", x.sink.max);
		goto fail;
	}
	if (c == CURLE_WRITE_ERROR) {
		rc = S3_ERR_NOMEM;
		s3_msgf(why, whycap, "out of memory");
		goto fail;
	}
	if (c == CURLE_OPERATION_TIMEDOUT) {
		s3_msgf(why, whycap, "timed out (limit %ld ms)",
		     clamp_ms(rq->timeout_ms, S3_HTTP_TIMEOUT_MS));
		goto fail;
	}
	if (c != CURLE_OK) {
		s3_msgf(why, whycap, "%s", api.easy_strerror(c));
		goto fail;
	}
	if (api.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK) {
		s3_msgf(why, whycap, "libcurl: no response code");
		goto fail;
	}
	if (!x.sink.buf && !(x.sink.buf = malloc(1))) {
		rc = S3_ERR_NOMEM;
		s3_msgf(why, whycap, "out of memory");
		goto fail;
	}
	x.sink.buf[x.sink.len] = '\0';
	resp->status = status;
	resp->body = x.sink.buf;
	resp->len = x.sink.len;
	resp->connects = nconn;
	memcpy(resp->header_values, x.hs.value, sizeof(x.hs.value));
	memset(x.hs.value, 0, sizeof(x.hs.value));
	x.sink.buf = NULL;
	rc = S3_OK;
fail:
	if (hdrs)
		slist_wipe_free(hdrs);
	if (h) {
		/* nothing of this request stays pointed at from the handle */
		api.easy_setopt(h, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);
		api.easy_setopt(h, CURLOPT_POSTFIELDS, (char *)NULL);
	}
	hsink_clear(&x.hs);
	sink_free(&x.sink);
	return rc;
}
