/* sigv4_header.c - SigV4 with the Authorization header (see sigv4.h), the
 * style of the S3 client's own calls. The canonical request:
 *   METHOD
 *   /canonical/path              (already encoded by the caller)
 *   canonical&query=string       (the request's own parameters only)
 *   name:value                   (each signed header, lowercase, sorted:
 *   ...                           host, x-amz-date, x-amz-content-sha256,
 *                                 x-amz-security-token and the caller's)
 *                                (blank line ending the headers)
 *   name;name;...                (signed headers)
 *   payload hash
 * Stages 3 to 5 (string to sign, key, signature) are the query style's. */
#include "sigv4.h"
#include "sigv4_int.h"
#include "date.h"
#include "syntax.h"

#include <string.h>

#define ALL_HEADERS (SIGV4_MAX_HEADERS + 4)   /* + host, x-amz-date, sha256, token */
#define NAME_MAX_LEN 64

struct hdr {
	char name[NAME_MAX_LEN + 1];   /* lowercase */
	const char *value;
};

struct hstate {
	struct hdr h[ALL_HEADERS];
	size_t n;
	char signed_list[ALL_HEADERS * (NAME_MAX_LEN + 1)];
};

/* Adds one header, lowercased; refuses a bad or repeated name. */
static enum s3_err add(struct hstate *st, const char *name, const char *value)
{
	struct hdr *h;
	size_t n = strlen(name);

	if (!n || n > NAME_MAX_LEN || !value)
		return S3_ERR_INVAL;
	if (strlen(value) > SIGV4_MAX_HEADER_VALUE)
		return S3_ERR_TOOLONG;
	if (!sigv4__header_ok(value, SIGV4_MAX_HEADER_VALUE) || st->n == ALL_HEADERS)
		return S3_ERR_INVAL;
	h = &st->h[st->n];
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (!s3_is_tchar(c))
			return S3_ERR_INVAL;
		h->name[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	h->name[n] = '\0';
	for (size_t i = 0; i < st->n; i++)
		if (!strcmp(st->h[i].name, h->name))
			return S3_ERR_INVAL;    /* one value per name */
	h->value = value;
	st->n++;
	return S3_OK;
}

static enum s3_err collect(struct hstate *st, const struct sigv4_hrequest *r,
                           const struct s3_creds *c, const char *amz_date)
{
	enum s3_err e;
	struct sbuf b;

	if (!r || r->nheaders > SIGV4_MAX_HEADERS || (r->nheaders && !r->headers))
		return S3_ERR_INVAL;
	if ((e = sigv4__check(r->method, r->host, r->path, r->payload_hash, r->region,
	                      r->service, c)))
		return e;
	st->n = 0;
	if ((e = add(st, "host", r->host)) || (e = add(st, "x-amz-date", amz_date)))
		return e;
	if (r->content_sha256 && (e = add(st, "x-amz-content-sha256", r->payload_hash)))
		return e;
	if (c->session_token && *c->session_token &&
	    (e = add(st, "x-amz-security-token", c->session_token)))
		return e;
	for (size_t i = 0; i < r->nheaders; i++)
		if ((e = add(st, r->headers[i].name, r->headers[i].value)))
			return e;
	/* insertion sort by name: a handful of entries */
	for (size_t i = 1; i < st->n; i++) {
		struct hdr t = st->h[i];
		size_t j = i;

		for (; j > 0 && strcmp(st->h[j - 1].name, t.name) > 0; j--)
			st->h[j] = st->h[j - 1];
		st->h[j] = t;
	}
	sbuf_init(&b, st->signed_list, sizeof st->signed_list);
	for (size_t i = 0; i < st->n; i++) {
		if (i)
			sbuf_addc(&b, ';');
		sbuf_adds(&b, st->h[i].name);
	}
	return sbuf_ok(&b) ? S3_OK : S3_ERR_TOOLONG;
}

static enum s3_err canonical(struct sbuf *out, const struct sigv4_hrequest *r,
                             const struct hstate *st)
{
	char query[SIGV4_URL_MAX];
	struct sigv4__hdr h[ALL_HEADERS];
	struct sbuf q;
	enum s3_err e;

	sbuf_init(&q, query, sizeof query);
	if ((e = sigv4_query(&q, r->params, r->nparams)))
		return e;
	for (size_t i = 0; i < st->n; i++)
		h[i] = (struct sigv4__hdr){ st->h[i].name, st->h[i].value };
	return sigv4__canonical(out, r->method, r->path, q.p, q.len, h, st->n, st->signed_list,
	                        r->payload_hash);
}

enum s3_err sigv4_header_canonical_request(struct sbuf *out, const struct sigv4_hrequest *r,
                                           const struct s3_creds *c)
{
	struct hstate st;
	char amz_date[17];
	enum s3_err e;

	if (!r)
		return S3_ERR_INVAL;
	if ((e = s3_date_amz(r->when, amz_date)) || (e = collect(&st, r, c, amz_date)))
		return e;
	return canonical(out, r, &st);
}

static enum s3_err sign(struct sigv4_hauth *a, const struct sigv4_hrequest *r,
                        const struct s3_creds *c, struct sigv4_cache *k)
{
	char creq[SIGV4_CANON_MAX], sts[512], hash[65], sig[65], date8[9];
	struct hstate st;
	struct sbuf b;
	enum s3_err e;

	if ((e = s3_date_amz(r->when, a->amz_date)) || (e = collect(&st, r, c, a->amz_date)))
		return e;
	sbuf_init(&b, creq, sizeof creq);
	if ((e = canonical(&b, r, &st)) || (e = sigv4__sha256_hex(k, b.p, b.len, hash)))
		return e;
	sbuf_init(&b, sts, sizeof sts);
	if ((e = sigv4__string_to_sign(&b, r->region, r->service, a->amz_date, hash)))
		return e;
	memcpy(date8, a->amz_date, 8);
	date8[8] = '\0';
	if ((e = sigv4_signing_key(k, c->secret_key, date8, r->region, r->service)) ||
	    (e = sigv4_signature(sig, k, b.p, b.len)))
		return e;
	sbuf_init(&b, a->authorization, sizeof a->authorization);
	sbuf_adds(&b, SIGV4_ALGORITHM " Credential=");
	sbuf_adds(&b, c->access_key);
	sbuf_addc(&b, '/');
	sbuf_adds(&b, date8);
	sbuf_addc(&b, '/');
	sbuf_adds(&b, r->region);
	sbuf_addc(&b, '/');
	sbuf_adds(&b, r->service);
	sbuf_adds(&b, "/" SIGV4_SCOPE_TERM ", SignedHeaders=");
	sbuf_adds(&b, st.signed_list);
	sbuf_adds(&b, ", Signature=");
	sbuf_adds(&b, sig);
	return sbuf_ok(&b) ? S3_OK : S3_ERR_TOOLONG;
}

enum s3_err sigv4_sign_headers(struct sigv4_hauth *a, const struct sigv4_hrequest *r,
                               const struct s3_creds *c, struct sigv4_cache *cache)
{
	struct sigv4_cache local, *k;
	enum s3_err e;

	if (!a || !r)
		return S3_ERR_INVAL;
	if ((e = sigv4__cache_get(cache, &local, &k)))
		return e;
	e = sign(a, r, c, k);
	sigv4__cache_done(k, &local);
	return e;
}
