/* s3client.c - the S3 multipart calls sign_s3 makes itself (see
 * s3client.h). One path for every call: locate (presign.c's
 * s3_object_location), hash the body, sign the headers, send, retry,
 * read the answer; each call only says its method, query, headers, body
 * and how to read a success. */
#include "s3client.h"
#include "s3client_int.h"
#include "syntax.h"
#include "utf8.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

_Static_assert(S3XML_MAX_BODY <= S3_HTTP_MAX_BODY_LIMIT,
               "a ListParts page must fit the HTTP client's largest answer");

#define SEND_HEADERS (5 + 3 + S3_CLIENT_MAX_META)  /* Host, Authorization, X-Amz-Date,
                                                      sha256, token; type, disposition,
                                                      acl; meta */
_Static_assert(SEND_HEADERS <= S3_HTTP_MAX_HEADERS, "headers fit the HTTP client");
_Static_assert(3 + S3_CLIENT_MAX_META <= SIGV4_MAX_HEADERS, "headers fit the signer");

#define MAX_QUERY 4     /* query parameters of one call */


/* ---- errors ----------------------------------------------------------- */

static void set_err(struct s3_call_error *err, int status, int s3_status, const char *code,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void set_err(struct s3_call_error *err, int status, int s3_status, const char *code,
                    const char *fmt, ...)
{
	va_list ap;

	err->status = status;
	err->s3_status = s3_status;
	snprintf(err->code, sizeof err->code, "%s", code ? code : "");
	va_start(ap, fmt);
	vsnprintf(err->why, sizeof err->why, fmt, ap);
	va_end(ap);
	/* one line: S3's text could carry a line break */
	for (char *p = err->why; *p; p++)
		if (s3_is_ctl((unsigned char)*p))
			*p = ' ';
}

enum s3_err s3c_fail(struct s3_call_error *err, int status, int s3_status, const char *op,
                     const char *what, enum s3_err e)
{
	memset(err, 0, sizeof *err);
	err->status = status;
	err->s3_status = s3_status;
	snprintf(err->why, sizeof err->why, "%s: %s", op, what);
	return e;
}

static void clear_err(struct s3_call_error *err)
{
	memset(err, 0, sizeof *err);
}

/* A local refusal (the caller's input, memory, signing). */
static enum s3_err local_err(struct s3_call_error *err, const char *op, enum s3_err e,
                             const char *what)
{
	set_err(err, 500, 0, NULL, "%s: %s: %s", op, what, s3_strerror(e));
	return e;
}

/* ---- pieces ----------------------------------------------------------- */

static void default_sleep(unsigned ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static unsigned retries_of(const struct s3_client *cl)
{
	if (cl->retries == 0)
		return S3_CLIENT_RETRIES;
	if (cl->retries == S3_CLIENT_NO_RETRIES)
		return 0;
	return cl->retries > S3_CLIENT_MAX_RETRIES ? S3_CLIENT_MAX_RETRIES : cl->retries;
}

/* The pause before retry number k (0 first): d = BACKOFF << k (at most
 * BACKOFF_MAX), a random point of [d/2, d]. */
static unsigned backoff_ms(unsigned k)
{
	unsigned d = S3_CLIENT_BACKOFF_MS << (k > 10 ? 10 : k), r = 0;

	if (d > S3_CLIENT_BACKOFF_MAX_MS)
		d = S3_CLIENT_BACKOFF_MAX_MS;

	if (RAND_bytes((unsigned char *)&r, sizeof r) != 1)
		r = 0;
	return d / 2 + r % (d / 2 + 1);
}

static enum s3_err sha256_hex(const char *p, size_t n, char hex[65])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;

	if (EVP_Digest(p ? p : "", n, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
		return S3_ERR_CRYPTO;
	for (unsigned i = 0; i < 32; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[64] = '\0';
	return S3_OK;
}

static int upload_id_ok(const char *id)
{
	size_t n = id ? strlen(id) : 0;

	return n > 0 && n <= S3_CLIENT_MAX_UPLOAD_ID && s3_is_visible(id, S3_CLIENT_MAX_UPLOAD_ID);
}

static int retryable_code(const char *code)
{
	return !strcmp(code, "SlowDown") || !strcmp(code, "InternalError");
}

/* ---- the one request path --------------------------------------------- */

/* What one attempt came to. */
enum outcome { DONE, RETRY, FAIL };

/* Reads an answer that is not a success (or a 200 <Error>) into err;
 * RETRY when it is one to try again. */
static enum outcome s3_error(const struct s3c_call *k, const struct s3_http_response *rs,
                             struct s3_call_error *err)
{
	struct s3xml_error xe;
	int st = (int)rs->status;
	const char *rid = rs->header_values[0];

	if (s3xml_error(rs->body, rs->len, &xe) != 1)
		xe.code[0] = '\0';
	set_err(err, s3xml_status(xe.code, st), st, xe.code, "%s: S3 answered HTTP %d%s%s%s%s",
	        k->op, st, xe.code[0] ? " " : "", xe.code, rid ? ", request id " : "",
	        rid ? rid : "");
	if (st >= 400 && st < 500)
		return FAIL;           /* never retried */
	if (st == 500 || st == 503 || (xe.code[0] && retryable_code(xe.code)))
		return RETRY;
	return FAIL;
}

/* s3client_int.h */
enum s3_err s3c_perform(const struct s3_client *cl, const struct s3_creds *c, time_t now,
                        const struct s3c_call *k, struct s3_http_response *rs,
                        struct s3_call_error *err)
{
	const char *want[1 + S3C_MAX_WANT] = { "x-amz-request-id" };
	char query[SIGV4_URL_MAX], hash[65], msg[S3_HTTP_WHY_MAX];
	char *url = NULL;
	size_t ucap;
	struct s3_location loc;
	struct sigv4_hauth auth;
	struct s3_http_header h[SEND_HEADERS];
	struct s3_http_request rq;
	struct sigv4_hrequest sr;
	struct sbuf q, u;
	size_t nh = 0;
	unsigned tries = retries_of(cl);
	s3_http_fn http = cl->http ? cl->http : s3_http_curl;
	void (*pause)(unsigned) = cl->sleep_ms ? cl->sleep_ms : default_sleep;
	enum s3_err e;

	memset(rs, 0, sizeof *rs);
	if (!c)
		return local_err(err, k->op, S3_ERR_NOCREDS, "credentials");
	if (k->nwant > S3C_MAX_WANT)
		return local_err(err, k->op, S3_ERR_INVAL, "response headers");
	for (size_t i = 0; i < k->nwant; i++)
		want[1 + i] = k->want[i];
	if ((e = k->key ? s3_object_location(&cl->target, k->key, k->key_len, &loc) :
	                  s3_bucket_location(&cl->target, &loc)))
		return local_err(err, k->op, e, "bucket or key");
	sbuf_init(&q, query, sizeof query);
	if ((e = sigv4_query(&q, k->params, k->nparams)))
		return local_err(err, k->op, e, "query");
	if ((e = sha256_hex(k->body, k->body_len, hash)))
		return local_err(err, k->op, e, "payload hash");
	sr = (struct sigv4_hrequest){
		.method = k->method, .host = loc.host, .path = loc.path,
		.params = k->params, .nparams = k->nparams,
		.headers = k->headers, .nheaders = k->nheaders,
		.service = "s3", .region = cl->target.region,
		.payload_hash = hash, .content_sha256 = 1, .when = now,
	};
	if ((e = sigv4_sign_headers(&auth, &sr, c, cl->cache))) {
		OPENSSL_cleanse(&auth, sizeof auth);
		return local_err(err, k->op, e, "signing");
	}
	ucap = strlen(loc.scheme) + 3 + strlen(loc.host) + loc.path_len + 1 + q.len + 1;
	if (!(url = malloc(ucap))) {
		OPENSSL_cleanse(&auth, sizeof auth);
		return local_err(err, k->op, S3_ERR_NOMEM, "URL");
	}
	sbuf_init(&u, url, ucap);
	sbuf_adds(&u, loc.scheme);
	sbuf_adds(&u, "://");
	sbuf_adds(&u, loc.host);
	sbuf_addn(&u, loc.path, loc.path_len);
	if (q.len) {
		sbuf_addc(&u, '?');
		sbuf_addn(&u, q.p, q.len);
	}

	h[nh++] = (struct s3_http_header){ "Host", loc.host };
	h[nh++] = (struct s3_http_header){ "Authorization", auth.authorization };
	h[nh++] = (struct s3_http_header){ "X-Amz-Date", auth.amz_date };
	h[nh++] = (struct s3_http_header){ "x-amz-content-sha256", hash };
	if (c->session_token && *c->session_token)
		h[nh++] = (struct s3_http_header){ "X-Amz-Security-Token", c->session_token };
	for (size_t i = 0; i < k->nheaders; i++)
		h[nh++] = (struct s3_http_header){ k->headers[i].name, k->headers[i].value };
	rq = (struct s3_http_request){
		.method = k->method, .url = url, .headers = h, .nheaders = nh,
		.timeout_ms = (long)cl->timeout_ms, .body = k->body, .body_len = k->body_len,
		.want_headers = want, .nwant = 1 + k->nwant, .max_body = k->max_body,
	};

	e = S3_ERR_IO;
	for (unsigned attempt = 0, lost = 0;; attempt++) {
		enum outcome o;
		enum s3_err he;

		err->attempts = attempt + 1;
		he = http(cl->http_ctx, &rq, rs, msg, sizeof msg);
		if (he == S3_ERR_IO) {
			set_err(err, 502, 0, NULL, "%s: %s", k->op, msg);
			o = RETRY;
			lost = 1;
		} else if (he) {
			/* refused by the HTTP client, or an answer over a limit */
			set_err(err, he == S3_ERR_TOOLONG ? 502 : 500, 0, NULL, "%s: %s", k->op, msg);
			e = he;
			goto out;
		} else if (rs->status >= 200 && rs->status < 300) {
			struct s3xml_error xe;

			if (!k->error_on_200 || s3xml_error(rs->body, rs->len, &xe) != 1) {
				e = S3_OK;
				goto out;
			}
			o = s3_error(k, rs, err);
			s3_http_response_free(rs);
		} else {
			o = s3_error(k, rs, err);
			if (o != FAIL || !k->keep_answer)
				s3_http_response_free(rs);
		}
		if (o == FAIL && lost && k->gone_ok_on_retry && !strcmp(err->code, "NoSuchUpload")) {
			unsigned n = err->attempts;

			s3_http_response_free(rs);     /* a kept answer: not one to read */
			clear_err(err);
			err->attempts = n;
			e = S3_OK;
			goto out;
		}
		if (o == FAIL) {
			/* a 5xx not retried is the service failing; the rest S3's verdict */
			e = err->s3_status >= 500 ? S3_ERR_IO : S3_ERR_REMOTE;
			goto out;
		}
		if (attempt >= tries) {
			size_t n = strlen(err->why);

			snprintf(err->why + n, sizeof err->why - n, " (%u attempts)", attempt + 1);
			err->status = 502;
			e = S3_ERR_IO;
			goto out;
		}
		pause(backoff_ms(attempt));
	}
out:
	OPENSSL_cleanse(&auth, sizeof auth);
	OPENSSL_cleanse(h, sizeof h);
	OPENSSL_cleanse(&rq, sizeof rq);
	free(url);
	return e;
}

/* ---- the calls --------------------------------------------------------- */

static int meta_name_ok(const char *n)
{
	if (!n || strncmp(n, "x-amz-meta-", 11) || !n[11])
		return 0;
	for (; *n; n++)
		if (*n >= 'A' && *n <= 'Z')
			return 0;
	return 1;
}

enum s3_err s3_client_create(const struct s3_client *cl, const struct s3_creds *c, time_t now,
                             const struct s3_create_in *in, char *upload_id, size_t cap,
                             struct s3_call_error *err)
{
	static const char op[] = "CreateMultipartUpload";
	struct sigv4_param p[] = { { "uploads", "" } };
	struct sigv4_header hd[3 + S3_CLIENT_MAX_META];
	struct s3_call_error local;
	struct s3_http_response rs;
	struct s3c_call k;
	size_t nh = 0;
	enum s3_err e;

	if (!err)
		err = &local;
	clear_err(err);
	if (!cl || !in || !upload_id || !cap || in->nmeta > S3_CLIENT_MAX_META ||
	    (in->nmeta && !in->meta))
		return local_err(err, op, S3_ERR_INVAL, "arguments");
	upload_id[0] = '\0';
	if (in->content_type)
		hd[nh++] = (struct sigv4_header){ "Content-Type", in->content_type };
	if (in->content_disposition)
		hd[nh++] = (struct sigv4_header){ "Content-Disposition", in->content_disposition };
	if (in->acl)
		hd[nh++] = (struct sigv4_header){ "x-amz-acl", in->acl };
	for (size_t i = 0; i < in->nmeta; i++) {
		if (!meta_name_ok(in->meta[i].name) || !in->meta[i].value)
			return local_err(err, op, S3_ERR_INVAL, "metadata header");
		hd[nh++] = (struct sigv4_header){ in->meta[i].name, in->meta[i].value };
	}
	k = (struct s3c_call){
		.op = op, .method = "POST", .key = in->key, .key_len = in->key_len,
		.params = p, .nparams = 1, .headers = hd, .nheaders = nh,
	};
	if ((e = s3c_perform(cl, c, now, &k, &rs, err)))
		return e;
	e = s3xml_initiate(rs.body, rs.len, upload_id, cap);
	if (e == S3_OK && !upload_id_ok(upload_id))
		e = S3_ERR_PARSE;
	if (e) {
		upload_id[0] = '\0';
		set_err(err, 502, (int)rs.status, NULL, "%s: %s in S3's answer", op,
		        e == S3_ERR_TOOLONG ? "an UploadId too long" : "no usable UploadId");
	}
	s3_http_response_free(&rs);
	return e;
}

/* Appends a page's parts to out. */
static enum s3_err take_page(struct s3xml_parts *out, const struct s3xml_parts *page)
{
	struct s3xml_part *np;

	if (page->n > S3_CLIENT_MAX_PARTS - out->n)
		return S3_ERR_RANGE;
	if (!page->n)
		return S3_OK;
	if (!(np = realloc(out->part, (out->n + page->n) * sizeof *np)))
		return S3_ERR_NOMEM;
	memcpy(np + out->n, page->part, page->n * sizeof *np);
	out->part = np;
	out->n += page->n;
	return S3_OK;
}

enum s3_err s3_client_list_parts(const struct s3_client *cl, const struct s3_creds *c, time_t now,
                                 const char *key, size_t key_len, const char *upload_id,
                                 struct s3xml_parts *out, struct s3_call_error *err)
{
	static const char op[] = "ListParts";
	struct s3_call_error local;
	char marker[16], maxp[16];
	unsigned at = 0;
	enum s3_err e = S3_OK;

	if (!err)
		err = &local;
	clear_err(err);
	if (!out)
		return local_err(err, op, S3_ERR_INVAL, "arguments");
	memset(out, 0, sizeof *out);
	if (!cl || !upload_id_ok(upload_id))
		return local_err(err, op, S3_ERR_INVAL, "upload id");
	for (unsigned page_no = 0;; page_no++) {
		struct sigv4_param p[3] = {
			{ "uploadId", upload_id }, { "max-parts", maxp },
			{ "part-number-marker", marker },
		};
		struct s3xml_parts page;
		struct s3_http_response rs;
		unsigned next;
		int truncated;
		struct s3c_call k = {
			.op = op, .method = "GET", .key = key, .key_len = key_len,
			.params = p, .nparams = at ? 3 : 2, .max_body = S3XML_MAX_BODY,
		};

		snprintf(marker, sizeof marker, "%u", at);
		snprintf(maxp, sizeof maxp, "%u", cl->page_parts && cl->page_parts < S3_CLIENT_PAGE_PARTS ?
		         cl->page_parts : S3_CLIENT_PAGE_PARTS);
		if ((e = s3c_perform(cl, c, now, &k, &rs, err)))
			break;
		e = s3xml_list_parts(rs.body, rs.len, &page);
		s3_http_response_free(&rs);
		if (e) {
			set_err(err, 502, 200, NULL, "%s: page %u: %s", op, page_no + 1,
			        e == S3_ERR_RANGE ? "more parts than a page holds" :
			                            "not a ListPartsResult");
			break;
		}
		e = take_page(out, &page);
		truncated = page.truncated;
		next = page.next_marker;
		s3xml_parts_free(&page);
		if (e == S3_OK && truncated && next <= at)
			e = S3_ERR_PARSE;
		if (e == S3_OK && !truncated)
			return S3_OK;
		if (e) {
			if (e == S3_ERR_RANGE)
				set_err(err, 502, 200, NULL, "%s: more than %d parts", op,
				        S3_CLIENT_MAX_PARTS);
			else if (e == S3_ERR_PARSE)
				set_err(err, 502, 200, NULL, "%s: page %u: the part marker does not "
				        "move forward", op, page_no + 1);
			else
				local_err(err, op, e, "parts");
			break;
		}
		at = next;
	}
	s3xml_parts_free(out);
	return e;
}

/* The text of an ETag in XML: & < > escaped; a control character or
 * invalid UTF-8 is refused. */
static int add_escaped(struct sbuf *b, const char *s)
{
	size_t n = strlen(s);

	if (!n || n > S3XML_MAX_ETAG || !utf8_valid(s, n))
		return 0;
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (s3_is_ctl(ch))
			return 0;
		if (ch == '&')
			sbuf_adds(b, "&amp;");
		else if (ch == '<')
			sbuf_adds(b, "&lt;");
		else if (ch == '>')
			sbuf_adds(b, "&gt;");
		else
			sbuf_addc(b, (char)ch);
	}
	return 1;
}

#define XML_HEAD "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
#define XML_TAIL "</CompleteMultipartUpload>"
#define XML_PART_MAX (sizeof "<Part><PartNumber>10000</PartNumber><ETag></ETag></Part>" \
                      + 5 * S3XML_MAX_ETAG)

enum s3_err s3_client_complete(const struct s3_client *cl, const struct s3_creds *c, time_t now,
                               const char *key, size_t key_len, const char *upload_id,
                               const struct s3_complete_part *parts, size_t nparts,
                               char location[S3XML_MAX_LOCATION + 1], char etag[S3XML_MAX_ETAG + 1],
                               struct s3_call_error *err)
{
	static const char op[] = "CompleteMultipartUpload";
	struct sigv4_param p[] = { { "uploadId", upload_id } };
	struct sigv4_header hd[] = { { "Content-Type", "application/xml" } };
	struct s3_call_error local;
	struct s3_http_response rs;
	struct s3c_call k;
	struct sbuf b;
	size_t cap;
	char *xml;
	enum s3_err e;

	if (!err)
		err = &local;
	clear_err(err);
	if (location)
		location[0] = '\0';
	if (etag)
		etag[0] = '\0';
	if (!cl || !location || !etag || !upload_id_ok(upload_id))
		return local_err(err, op, S3_ERR_INVAL, "arguments");
	if (!parts || nparts == 0 || nparts > S3_CLIENT_MAX_PARTS)
		return local_err(err, op, S3_ERR_RANGE, "part count");
	cap = sizeof XML_HEAD + sizeof XML_TAIL + nparts * XML_PART_MAX;
	if (!(xml = malloc(cap)))
		return local_err(err, op, S3_ERR_NOMEM, "body");
	sbuf_init(&b, xml, cap);
	sbuf_adds(&b, XML_HEAD);
	for (size_t i = 0; i < nparts; i++) {
		char num[16];

		if (parts[i].number < 1 || parts[i].number > S3_CLIENT_MAX_PARTS || !parts[i].etag) {
			free(xml);
			return local_err(err, op, S3_ERR_RANGE, "part number");
		}
		snprintf(num, sizeof num, "%u", parts[i].number);
		sbuf_adds(&b, "<Part><PartNumber>");
		sbuf_adds(&b, num);
		sbuf_adds(&b, "</PartNumber><ETag>");
		if (!add_escaped(&b, parts[i].etag)) {
			free(xml);
			return local_err(err, op, S3_ERR_INVAL, "part ETag");
		}
		sbuf_adds(&b, "</ETag></Part>");
	}
	sbuf_adds(&b, XML_TAIL);
	if (!sbuf_ok(&b)) {
		free(xml);
		return local_err(err, op, S3_ERR_TOOLONG, "body");
	}
	k = (struct s3c_call){
		.op = op, .method = "POST", .key = key, .key_len = key_len,
		.params = p, .nparams = 1, .headers = hd, .nheaders = 1,
		.body = b.p, .body_len = b.len, .error_on_200 = 1,
	};
	e = s3c_perform(cl, c, now, &k, &rs, err);
	free(xml);
	if (e)
		return e;
	if ((e = s3xml_complete(rs.body, rs.len, location, etag)))
		set_err(err, 502, (int)rs.status, NULL, "%s: not a CompleteMultipartUploadResult",
		        op);
	s3_http_response_free(&rs);
	return e;
}

enum s3_err s3_client_abort(const struct s3_client *cl, const struct s3_creds *c, time_t now,
                            const char *key, size_t key_len, const char *upload_id,
                            struct s3_call_error *err)
{
	static const char op[] = "AbortMultipartUpload";
	struct sigv4_param p[] = { { "uploadId", upload_id } };
	struct s3_call_error local;
	struct s3_http_response rs;
	struct s3c_call k;
	enum s3_err e;

	if (!err)
		err = &local;
	clear_err(err);
	if (!cl || !upload_id_ok(upload_id))
		return local_err(err, op, S3_ERR_INVAL, "upload id");
	k = (struct s3c_call){
		.op = op, .method = "DELETE", .key = key, .key_len = key_len,
		.params = p, .nparams = 1, .gone_ok_on_retry = 1,
	};
	if ((e = s3c_perform(cl, c, now, &k, &rs, err)))
		return e;
	s3_http_response_free(&rs);
	return S3_OK;
}
