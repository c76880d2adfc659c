/* sigv4.c - AWS Signature Version 4 presigning (see sigv4.h).
 *
 * The canonical request, for a presigned URL, is six lines:
 *   METHOD
 *   /canonical/path            (already encoded by the caller)
 *   canonical&query=string     (X-Amz-* included, X-Amz-Signature excluded)
 *   content-disposition:VALUE  (only when a Content-Disposition is signed)
 *   content-type:VALUE         (only when a Content-Type is signed)
 *   host:HOST
 *                              (blank line ending the headers)
 *   [content-disposition;][content-type;]host   (signed headers)
 *   UNSIGNED-PAYLOAD           (payload hash)
 */
#include "sigv4.h"
#include "sigv4_int.h"
#include "date.h"
#include "syntax.h"
#include "uri.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#define ALGORITHM       SIGV4_ALGORITHM
#define SCOPE_TERM      SIGV4_SCOPE_TERM
#define MAX_QPARAMS     (SIGV4_MAX_PARAMS + 6)   /* extras + X-Amz-* */
#define QUERY_MAX       (SIGV4_URL_MAX)
#define STS_MAX         512
#define MAX_HEADERS     4        /* signed headers besides host */
/* "content-disposition%3Bcontent-type%3Bhost" and room to spare */
#define SIGNED_LIST_MAX 128

/* ---- small validators ------------------------------------------------ */

int sigv4__label(const char *s, size_t max)
{
	size_t n = 0;

	if (!s || !*s)
		return 0;
	for (; s[n]; n++) {
		unsigned char c = (unsigned char)s[n];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return 0;
	}
	return n <= max;
}

int sigv4__visible(const char *s, size_t max, int allow_slash)
{
	size_t n = 0;

	if (!s || !*s)
		return 0;
	for (; s[n]; n++) {
		unsigned char c = (unsigned char)s[n];

		if (c < 0x21 || c > 0x7e || (!allow_slash && c == '/'))
			return 0;
	}
	return n <= max;
}

int sigv4__method(const char *m)
{
	size_t n = 0;

	if (!m || !*m)
		return 0;
	for (; m[n]; n++)
		if (m[n] < 'A' || m[n] > 'Z')
			return 0;
	return n <= 16;
}

/* A signed header's value: visible ASCII and spaces, no controls. */
int sigv4__header_ok(const char *s, size_t max)
{
	size_t n = 0;

	for (; s[n]; n++) {
		unsigned char c = (unsigned char)s[n];

		if (c < 0x20 || c > 0x7e)
			return 0;
	}
	return n <= max;
}

/* Content-Length: 1..SIGV4_MAX_LENGTH_DIGITS decimal digits, no leading 0
 * but "0" itself. */
static int length_ok(const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n > SIGV4_MAX_LENGTH_DIGITS || (v[0] == '0' && n > 1))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (v[i] < '0' || v[i] > '9')
			return 0;
	return 1;
}

/* Content-MD5: base64 (RFC 4648, standard alphabet) of 16 bytes: 22
 * characters and "==". */
static int md5_ok(const char *v)
{
	if (strlen(v) != 24 || v[22] != '=' || v[23] != '=')
		return 0;
	for (int i = 0; i < 22; i++)
		if (!s3_is_alnum((unsigned char)v[i]) && v[i] != '+' && v[i] != '/')
			return 0;
	return 1;
}

enum s3_err sigv4__check(const char *method, const char *host, const char *path,
                         const char *payload_hash, const char *region, const char *service,
                         const struct s3_creds *c)
{
	if (!c || !sigv4__method(method) || !host || !*host || !path || path[0] != '/' ||
	    !payload_hash)
		return S3_ERR_INVAL;
	if (strlen(host) > SIGV4_MAX_HOST)
		return S3_ERR_TOOLONG;
	if (!sigv4__label(region, SIGV4_MAX_REGION) || !sigv4__label(service, SIGV4_MAX_SERVICE))
		return S3_ERR_INVAL;
	if (!sigv4__visible(c->access_key, SIGV4_MAX_ACCESS_KEY, 0) ||
	    !sigv4__visible(c->secret_key, SIGV4_MAX_SECRET, 1))
		return S3_ERR_NOCREDS;
	if (c->session_token && *c->session_token &&
	    !sigv4__visible(c->session_token, SIGV4_MAX_TOKEN, 1))
		return S3_ERR_NOCREDS;
	return S3_OK;
}

static enum s3_err check_request(const struct sigv4_request *r, const struct s3_creds *c)
{
	enum s3_err e;

	if (!r)
		return S3_ERR_INVAL;
	if ((e = sigv4__check(r->method, r->host, r->path, r->payload_hash, r->region,
	                      r->service, c)))
		return e;
	if (r->expires < SIGV4_EXPIRES_MIN || r->expires > SIGV4_EXPIRES_MAX)
		return S3_ERR_RANGE;
	if (r->content_type && !sigv4__header_ok(r->content_type, SIGV4_MAX_CONTENT_TYPE))
		return S3_ERR_INVAL;
	if (r->content_disposition &&
	    !sigv4__header_ok(r->content_disposition, SIGV4_MAX_DISPOSITION))
		return S3_ERR_INVAL;
	if (r->content_length && !length_ok(r->content_length))
		return S3_ERR_INVAL;
	if (r->content_md5 && !md5_ok(r->content_md5))
		return S3_ERR_INVAL;
	if (r->nparams > SIGV4_MAX_PARAMS || (r->nparams && !r->params))
		return S3_ERR_INVAL;
	for (size_t i = 0; i < r->nparams; i++) {
		const struct sigv4_param *p = &r->params[i];

		if (!p->name || !*p->name || !p->value)
			return S3_ERR_INVAL;
		if (strlen(p->name) > SIGV4_MAX_PARAM || strlen(p->value) > SIGV4_MAX_PARAM)
			return S3_ERR_TOOLONG;
	}
	return S3_OK;
}

/* ---- stage 1: canonical query ------------------------------------------ */

/* A query parameter, encoded once into scratch space; sorted by encoded
 * name, then encoded value, as SigV4 asks. */
struct qparam {
	const char *name, *value;   /* encoded */
	size_t nlen, vlen;
};

static int qparam_cmp(const struct qparam *a, const struct qparam *b)
{
	int d = strcmp(a->name, b->name);

	return d ? d : strcmp(a->value, b->value);
}

/* Encodes raw into the scratch buffer; returns the start or NULL. */
static const char *scratch_encode(struct sbuf *s, const char *raw, size_t *len)
{
	size_t start = s->len;

	uri_encode(s, raw, strlen(raw), URI_ENCODE_SLASH);
	sbuf_addc(s, '\0');   /* keep each string terminated in the scratch */
	if (!sbuf_ok(s))
		return NULL;
	*len = s->len - start - 1;
	return s->p + start;
}

static int qparam_set(struct qparam *p, struct sbuf *s, const char *name,
                      const char *value, int value_encoded)
{
	if (!(p->name = scratch_encode(s, name, &p->nlen)))
		return -1;
	if (value_encoded) {
		p->value = value;
		p->vlen = strlen(value);
		return 0;
	}
	return (p->value = scratch_encode(s, value, &p->vlen)) ? 0 : -1;
}

/* A signed header besides host: lowercase name, raw value. */
struct sig_header {
	const char *name;
	const char *value;
};

/* The credential value and the other X-Amz-* values, formatted once. */
struct auth_values {
	char amz_date[17];
	char credential[SIGV4_MAX_ACCESS_KEY * 3 + SIGV4_MAX_REGION + SIGV4_MAX_SERVICE + 64];
	char expires[16];
	struct sig_header headers[MAX_HEADERS];   /* sorted by name, all before host */
	size_t nheaders;
	char signed_headers[SIGNED_LIST_MAX];      /* as in the canonical request */
	char signed_headers_enc[SIGNED_LIST_MAX];  /* as in the query */
};

static void utoa(unsigned u, char out[16])
{
	char tmp[16];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	for (int i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	out[n] = '\0';
}

static enum s3_err auth_values(struct auth_values *v, const struct sigv4_request *r,
                               const struct s3_creds *c)
{
	struct sbuf b;
	enum s3_err e = s3_date_amz(r->when, v->amz_date);

	if (e)
		return e;
	sbuf_init(&b, v->credential, sizeof v->credential);
	uri_encode(&b, c->access_key, strlen(c->access_key), URI_ENCODE_SLASH);
	sbuf_adds(&b, "%2F");
	sbuf_addn(&b, v->amz_date, 8);
	sbuf_adds(&b, "%2F");
	sbuf_adds(&b, r->region);
	sbuf_adds(&b, "%2F");
	sbuf_adds(&b, r->service);
	sbuf_adds(&b, "%2F" SCOPE_TERM);
	if (!sbuf_ok(&b))
		return S3_ERR_TOOLONG;
	utoa(r->expires, v->expires);
	/* SigV4 sorts the signed headers by name: content-disposition,
	 * content-length, content-md5, content-type, host */
	v->nheaders = 0;
	if (r->content_disposition)
		v->headers[v->nheaders++] = (struct sig_header){ "content-disposition",
		                                                 r->content_disposition };
	if (r->content_length)
		v->headers[v->nheaders++] = (struct sig_header){ "content-length", r->content_length };
	if (r->content_md5)
		v->headers[v->nheaders++] = (struct sig_header){ "content-md5", r->content_md5 };
	if (r->content_type)
		v->headers[v->nheaders++] = (struct sig_header){ "content-type", r->content_type };
	{
		struct sbuf q;

		sbuf_init(&b, v->signed_headers, sizeof v->signed_headers);
		sbuf_init(&q, v->signed_headers_enc, sizeof v->signed_headers_enc);
		for (size_t i = 0; i < v->nheaders; i++) {
			sbuf_adds(&b, v->headers[i].name);
			sbuf_addc(&b, ';');
			sbuf_adds(&q, v->headers[i].name);
			sbuf_adds(&q, "%3B");
		}
		sbuf_adds(&b, "host");
		sbuf_adds(&q, "host");
		if (!sbuf_ok(&b) || !sbuf_ok(&q))
			return S3_ERR_TOOLONG;
	}
	return S3_OK;
}

static enum s3_err join_sorted(struct sbuf *out, struct qparam *q, size_t n);

static enum s3_err canonical_query(struct sbuf *out, const struct sigv4_request *r,
                                   const struct s3_creds *c, const struct auth_values *v)
{
	char scratch[2 * 3 * SIGV4_MAX_PARAM * SIGV4_MAX_PARAMS + 3 * SIGV4_MAX_TOKEN + 512];
	struct qparam q[MAX_QPARAMS];
	struct sbuf s;
	size_t n = 0;
	int bad = 0;

	sbuf_init(&s, scratch, sizeof scratch);
	for (size_t i = 0; i < r->nparams; i++)
		bad |= qparam_set(&q[n++], &s, r->params[i].name, r->params[i].value, 0);
	bad |= qparam_set(&q[n++], &s, "X-Amz-Algorithm", ALGORITHM, 1);
	bad |= qparam_set(&q[n++], &s, "X-Amz-Credential", v->credential, 1);
	bad |= qparam_set(&q[n++], &s, "X-Amz-Date", v->amz_date, 1);
	bad |= qparam_set(&q[n++], &s, "X-Amz-Expires", v->expires, 1);
	if (c->session_token && *c->session_token)
		bad |= qparam_set(&q[n++], &s, "X-Amz-Security-Token", c->session_token, 0);
	bad |= qparam_set(&q[n++], &s, "X-Amz-SignedHeaders", v->signed_headers_enc, 1);
	if (bad)
		return S3_ERR_TOOLONG;
	return join_sorted(out, q, n);
}

enum s3_err sigv4_query(struct sbuf *out, const struct sigv4_param *p, size_t n)
{
	char scratch[2 * 3 * SIGV4_MAX_PARAM * SIGV4_MAX_PARAMS + 64];
	struct qparam q[SIGV4_MAX_PARAMS];
	struct sbuf s;
	int bad = 0;

	if (n > SIGV4_MAX_PARAMS || (n && !p))
		return S3_ERR_INVAL;
	sbuf_init(&s, scratch, sizeof scratch);
	for (size_t i = 0; i < n; i++) {
		if (!p[i].name || !*p[i].name || !p[i].value)
			return S3_ERR_INVAL;
		if (strlen(p[i].name) > SIGV4_MAX_PARAM || strlen(p[i].value) > SIGV4_MAX_PARAM)
			return S3_ERR_TOOLONG;
		bad |= qparam_set(&q[i], &s, p[i].name, p[i].value, 0);
	}
	return bad ? S3_ERR_TOOLONG : join_sorted(out, q, n);
}

/* Sorts q (insertion sort: a few entries, X-Amz-* already in order) and
 * joins it name=value&... into out. */
static enum s3_err join_sorted(struct sbuf *out, struct qparam *q, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct qparam t = q[i];
		size_t j = i;

		for (; j > 0 && qparam_cmp(&q[j - 1], &t) > 0; j--)
			q[j] = q[j - 1];
		q[j] = t;
	}
	for (size_t i = 0; i < n; i++) {
		if (i)
			sbuf_addc(out, '&');
		sbuf_addn(out, q[i].name, q[i].nlen);
		sbuf_addc(out, '=');
		sbuf_addn(out, q[i].value, q[i].vlen);
	}
	return sbuf_ok(out) ? S3_OK : S3_ERR_TOOLONG;
}

/* ---- stage 2: canonical request ---------------------------------------- */

/* Header value as SigV4 canonicalizes it: trimmed, inner runs of spaces
 * folded to one. */
void sigv4__header_value(struct sbuf *out, const char *v)
{
	int pending = 0;

	while (*v == ' ')
		v++;
	for (; *v; v++) {
		if (*v == ' ') {
			pending = 1;
			continue;
		}
		if (pending)
			sbuf_addc(out, ' ');
		pending = 0;
		sbuf_addc(out, *v);
	}
}

enum s3_err sigv4__canonical(struct sbuf *out, const char *method, const char *path,
                             const char *query, size_t qlen, const struct sigv4__hdr *h,
                             size_t n, const char *signed_list, const char *payload_hash)
{
	sbuf_adds(out, method);
	sbuf_addc(out, '\n');
	sbuf_adds(out, path);
	sbuf_addc(out, '\n');
	sbuf_addn(out, query, qlen);
	sbuf_addc(out, '\n');
	for (size_t i = 0; i < n; i++) {
		sbuf_adds(out, h[i].name);
		sbuf_addc(out, ':');
		sigv4__header_value(out, h[i].value);
		sbuf_addc(out, '\n');
	}
	sbuf_addc(out, '\n');
	sbuf_adds(out, signed_list);
	sbuf_addc(out, '\n');
	sbuf_adds(out, payload_hash);
	return sbuf_ok(out) ? S3_OK : S3_ERR_TOOLONG;
}

static enum s3_err canonical_request(struct sbuf *out, const struct sigv4_request *r,
                                     const char *query, size_t qlen,
                                     const struct auth_values *v)
{
	struct sigv4__hdr h[MAX_HEADERS + 1];
	size_t n = 0;

	for (size_t i = 0; i < v->nheaders; i++)
		h[n++] = (struct sigv4__hdr){ v->headers[i].name, v->headers[i].value };
	h[n++] = (struct sigv4__hdr){ "host", r->host };    /* sorts after both */
	return sigv4__canonical(out, r->method, r->path, query, qlen, h, n, v->signed_headers,
	                        r->payload_hash);
}

enum s3_err sigv4_canonical_request(struct sbuf *out, const struct sigv4_request *r,
                                    const struct s3_creds *c)
{
	char query[QUERY_MAX];
	struct auth_values v;
	struct sbuf q;
	enum s3_err e = check_request(r, c);

	if (e || (e = auth_values(&v, r, c)))
		return e;
	sbuf_init(&q, query, sizeof query);
	if ((e = canonical_query(&q, r, c, &v)))
		return e;
	return canonical_request(out, r, q.p, q.len, &v);
}

/* ---- stage 3: string to sign ------------------------------------------- */

enum s3_err sigv4__string_to_sign(struct sbuf *out, const char *region, const char *service,
                                  const char *amz_date, const char *creq_hash)
{
	sbuf_adds(out, ALGORITHM "\n");
	sbuf_adds(out, amz_date);
	sbuf_addc(out, '\n');
	sbuf_addn(out, amz_date, 8);
	sbuf_addc(out, '/');
	sbuf_adds(out, region);
	sbuf_addc(out, '/');
	sbuf_adds(out, service);
	sbuf_adds(out, "/" SCOPE_TERM "\n");
	sbuf_addn(out, creq_hash, 64);
	return sbuf_ok(out) ? S3_OK : S3_ERR_TOOLONG;
}

enum s3_err sigv4_string_to_sign(struct sbuf *out, const struct sigv4_request *r,
                                 const char *canonical_request, size_t len)
{
	struct sigv4_cache k;
	char amz_date[17], hash[65];
	enum s3_err e;

	if (!r || !canonical_request || !sigv4__label(r->region, SIGV4_MAX_REGION) ||
	    !sigv4__label(r->service, SIGV4_MAX_SERVICE))
		return S3_ERR_INVAL;
	if ((e = s3_date_amz(r->when, amz_date)))
		return e;
	if ((e = sigv4_cache_init(&k)))
		return e;
	e = sigv4__sha256_hex(&k, canonical_request, len, hash);
	sigv4_cache_clear(&k);
	if (e)
		return e;
	return sigv4__string_to_sign(out, r->region, r->service, amz_date, hash);
}

/* ---- all stages -------------------------------------------------------- */

static enum s3_err presign_query(struct sbuf *out, const struct sigv4_request *r,
                                 const struct s3_creds *c, struct sigv4_cache *k)
{
	char creq[SIGV4_CANON_MAX], sts[STS_MAX], hash[65], sig[65], date8[9];
	struct auth_values v;
	struct sbuf cb, sb;
	size_t qstart = out->len;
	enum s3_err e;

	if ((e = check_request(r, c)) || (e = auth_values(&v, r, c)))
		return e;
	if ((e = canonical_query(out, r, c, &v)))
		return e;
	sbuf_init(&cb, creq, sizeof creq);
	if ((e = canonical_request(&cb, r, out->p + qstart, out->len - qstart, &v)))
		return e;
	if ((e = sigv4__sha256_hex(k, cb.p, cb.len, hash)))
		return e;
	sbuf_init(&sb, sts, sizeof sts);
	if ((e = sigv4__string_to_sign(&sb, r->region, r->service, v.amz_date, hash)))
		return e;
	memcpy(date8, v.amz_date, 8);
	date8[8] = '\0';
	if ((e = sigv4_signing_key(k, c->secret_key, date8, r->region, r->service)))
		return e;
	if ((e = sigv4_signature(sig, k, sb.p, sb.len)))
		return e;
	sbuf_adds(out, "&X-Amz-Signature=");
	sbuf_addn(out, sig, 64);
	return sbuf_ok(out) ? S3_OK : S3_ERR_TOOLONG;
}

enum s3_err sigv4_presign_query(struct sbuf *out, const struct sigv4_request *r,
                                const struct s3_creds *c, struct sigv4_cache *cache)
{
	struct sigv4_cache local, *k;
	enum s3_err e;

	if ((e = sigv4__cache_get(cache, &local, &k)))
		return e;
	e = presign_query(out, r, c, k);
	sigv4__cache_done(k, &local);
	return e;
}
