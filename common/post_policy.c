/* post_policy.c - S3 presigned POST: policy, fields, signature (see
 * post_policy.h). */
#include "post_policy.h"
#include "date.h"
#include "sigv4_int.h"
#include "utf8.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#define SERVICE "s3"

/* "AK/YYYYMMDD/REGION/s3/aws4_request" */
#define CREDENTIAL_MAX (SIGV4_MAX_ACCESS_KEY + SIGV4_MAX_REGION + 32)

/* Appends s[0..n) as a JSON string, quotes included: '"' and '\' escaped,
 * the controls as \b \f \n \r \t or \u00XX, every other byte (UTF-8 the
 * caller checked) as it is. */
static void json_str(struct sbuf *b, const char *s, size_t n)
{
	static const char hx[] = "0123456789abcdef";

	sbuf_addc(b, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char u[7] = { '\\', 'u', '0', '0', hx[c >> 4], hx[c & 15], '\0' };

		switch (c) {
		case '"':  sbuf_adds(b, "\\\""); break;
		case '\\': sbuf_adds(b, "\\\\"); break;
		case '\b': sbuf_adds(b, "\\b"); break;
		case '\f': sbuf_adds(b, "\\f"); break;
		case '\n': sbuf_adds(b, "\\n"); break;
		case '\r': sbuf_adds(b, "\\r"); break;
		case '\t': sbuf_adds(b, "\\t"); break;
		default:
			if (c < 0x20)
				sbuf_adds(b, u);
			else
				sbuf_addc(b, (char)c);
		}
	}
	sbuf_addc(b, '"');
}

/* One condition of the list: a comma unless it is the first. */
static void cond_sep(struct sbuf *b)
{
	if (b->len && b->p[b->len - 1] != '[')
		sbuf_addc(b, ',');
}

/* An exact-match condition {"name":"value"}. */
static void cond_eq(struct sbuf *b, const char *name, const char *v, size_t n)
{
	cond_sep(b);
	sbuf_addc(b, '{');
	json_str(b, name, strlen(name));
	sbuf_addc(b, ':');
	json_str(b, v, n);
	sbuf_addc(b, '}');
}

/* 1 when s[0..n) holds "${filename}", which S3 replaces in a form's key. */
static int has_filename_var(const char *s, size_t n)
{
	static const char var[] = "${filename}";

	for (size_t i = 0; i + sizeof var - 1 <= n; i++)
		if (!memcmp(s + i, var, sizeof var - 1))
			return 1;
	return 0;
}

static int set(const char *s)
{
	return s && *s;
}

/* A value signed as a form field and a condition: visible ASCII and
 * spaces (as a signed header's), at most max bytes. */
static enum s3_err check_value(const char *s, size_t max)
{
	if (strlen(s) > max)
		return S3_ERR_TOOLONG;
	return sigv4__header_ok(s, max) ? S3_OK : S3_ERR_INVAL;
}

static enum s3_err check_input(const struct s3_target *t, const struct s3_creds *c,
                               const struct s3_post_in *in)
{
	enum s3_err e;

	if (!t || !c || !in || !in->key || in->key_len == 0)
		return S3_ERR_INVAL;
	if (in->key_len > SIGV4_MAX_KEY)
		return S3_ERR_TOOLONG;
	if (memchr(in->key, '\0', in->key_len) || !utf8_valid(in->key, in->key_len))
		return S3_ERR_UTF8;
	if (has_filename_var(in->key, in->key_len))
		return S3_ERR_INVAL;
	if (!set(in->content_type))
		return S3_ERR_INVAL;
	if ((e = check_value(in->content_type, SIGV4_MAX_CONTENT_TYPE)))
		return e;
	if (set(in->content_disposition) &&
	    (e = check_value(in->content_disposition, SIGV4_MAX_DISPOSITION)))
		return e;
	if (set(in->acl) && !s3_acl_valid(in->acl))
		return S3_ERR_INVAL;
	if (in->max_size > S3_POST_SIZE_MAX || in->min_size > S3_POST_SIZE_MAX ||
	    (in->min_size && in->max_size && in->min_size > in->max_size) ||
	    in->expires < SIGV4_EXPIRES_MIN || in->expires > SIGV4_EXPIRES_MAX)
		return S3_ERR_RANGE;
	if (!sigv4__label(t->region, SIGV4_MAX_REGION))
		return S3_ERR_INVAL;
	if (!sigv4__visible(c->access_key, SIGV4_MAX_ACCESS_KEY, 0) ||
	    !sigv4__visible(c->secret_key, SIGV4_MAX_SECRET, 1))
		return S3_ERR_NOCREDS;
	if (set(c->session_token) && !sigv4__visible(c->session_token, SIGV4_MAX_TOKEN, 1))
		return S3_ERR_NOCREDS;
	return S3_OK;
}

/* The values both the policy and the fields carry. */
struct post_values {
	char amz_date[S3_DATE_AMZ_LEN + 1];
	char date8[9];
	char expiration[S3_DATE_ISO8601_LEN + 5];   /* with ".000" */
	char credential[CREDENTIAL_MAX];
};

static enum s3_err post_values(struct post_values *v, const struct s3_target *t,
                               const struct s3_creds *c, const struct s3_post_in *in)
{
	char iso[S3_DATE_ISO8601_LEN + 1];
	enum s3_err e;
	int n;

	/* now first: once it is a year 1970..9999, now + expires cannot overflow */
	if ((e = s3_date_amz(in->now, v->amz_date)) ||
	    (e = s3_date_iso8601(in->now + (time_t)in->expires, iso)))
		return e;
	memcpy(v->date8, v->amz_date, 8);
	v->date8[8] = '\0';
	memcpy(v->expiration, iso, S3_DATE_ISO8601_LEN - 1);    /* up to the Z */
	memcpy(v->expiration + S3_DATE_ISO8601_LEN - 1, ".000Z", 6);
	n = snprintf(v->credential, sizeof v->credential, "%s/%s/%s/" SERVICE "/" SIGV4_SCOPE_TERM,
	             c->access_key, v->date8, t->region);
	return n > 0 && (size_t)n < sizeof v->credential ? S3_OK : S3_ERR_TOOLONG;
}

/* The policy JSON into p (conditions in post_policy.h's order). */
static enum s3_err policy_json(struct sbuf *p, const struct s3_target *t,
                               const struct s3_creds *c, const struct s3_post_in *in,
                               const struct post_values *v)
{
	sbuf_adds(p, "{\"expiration\":\"");
	sbuf_adds(p, v->expiration);
	sbuf_adds(p, "\",\"conditions\":[");
	cond_eq(p, "bucket", t->bucket, strlen(t->bucket));
	cond_eq(p, "key", in->key, in->key_len);
	cond_eq(p, "Content-Type", in->content_type, strlen(in->content_type));
	if (set(in->content_disposition))
		cond_eq(p, "Content-Disposition", in->content_disposition,
		        strlen(in->content_disposition));
	if (set(in->acl))
		cond_eq(p, "acl", in->acl, strlen(in->acl));
	if (in->max_size || in->min_size) {
		char range[80];

		snprintf(range, sizeof range, "[\"content-length-range\",%llu,%llu]", in->min_size,
		         in->max_size ? in->max_size : S3_POST_SIZE_MAX);
		cond_sep(p);
		sbuf_adds(p, range);
	}
	cond_eq(p, "x-amz-algorithm", SIGV4_ALGORITHM, strlen(SIGV4_ALGORITHM));
	cond_eq(p, "x-amz-credential", v->credential, strlen(v->credential));
	cond_eq(p, "x-amz-date", v->amz_date, strlen(v->amz_date));
	if (set(c->session_token))
		cond_eq(p, "x-amz-security-token", c->session_token, strlen(c->session_token));
	sbuf_adds(p, "]}");
	return sbuf_ok(p) ? S3_OK : S3_ERR_TOOLONG;
}

/* x-amz-signature: hex HMAC-SHA256(kSigning, b64) by sigv4's stages 4
 * and 5, with the caller's cache or a local one. */
static enum s3_err sign(char sig[65], const struct s3_target *t, const struct s3_creds *c,
                        const struct post_values *v, struct sigv4_cache *cache,
                        const char *b64, size_t len)
{
	struct sigv4_cache local, *k;
	enum s3_err e;

	if ((e = sigv4__cache_get(cache, &local, &k)))
		return e;
	if (!(e = sigv4_signing_key(k, c->secret_key, v->date8, t->region, SERVICE)))
		e = sigv4_signature(sig, k, b64, len);
	sigv4__cache_done(k, &local);
	return e;
}

/* Appends one field, its value stored in f->buf through b. */
static void add_field(struct s3_post_form *f, struct sbuf *b, const char *name,
                      const char *v, size_t n)
{
	f->field[f->n].name = name;
	f->field[f->n].value = b->p + b->len;
	f->n++;
	sbuf_addn(b, v, n);
	sbuf_addc(b, '\0');   /* each value terminated in buf */
}

static void add_fields(struct s3_post_form *f, struct sbuf *b, const struct s3_creds *c,
                       const struct s3_post_in *in, const struct post_values *v,
                       const char *b64, size_t b64len, const char *sig)
{
	add_field(f, b, "key", in->key, in->key_len);
	add_field(f, b, "Content-Type", in->content_type, strlen(in->content_type));
	if (set(in->content_disposition))
		add_field(f, b, "Content-Disposition", in->content_disposition,
		          strlen(in->content_disposition));
	if (set(in->acl))
		add_field(f, b, "acl", in->acl, strlen(in->acl));
	add_field(f, b, "x-amz-algorithm", SIGV4_ALGORITHM, strlen(SIGV4_ALGORITHM));
	add_field(f, b, "x-amz-credential", v->credential, strlen(v->credential));
	add_field(f, b, "x-amz-date", v->amz_date, strlen(v->amz_date));
	if (set(c->session_token))
		add_field(f, b, "x-amz-security-token", c->session_token,
		          strlen(c->session_token));
	add_field(f, b, "policy", b64, b64len);
	add_field(f, b, "x-amz-signature", sig, 64);
}

static enum s3_err presign_post(const struct s3_target *t, const struct s3_creds *c,
                                const struct s3_post_in *in, struct sigv4_cache *cache,
                                struct s3_post_form *out, char *policy, char *b64,
                                char sig[65])
{
	struct post_values v;
	struct sbuf p, b;
	enum s3_err e;
	int len;

	if ((e = check_input(t, c, in)) || (e = post_values(&v, t, c, in)) ||
	    (e = s3_bucket_url(t, out->url, sizeof out->url)))
		return e;
	sbuf_init(&p, policy, S3_POST_POLICY_MAX + 1);
	if ((e = policy_json(&p, t, c, in, &v)))
		return e;
	len = EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)p.p, (int)p.len);
	if (len < 0 || (size_t)len > S3_POST_POLICY_B64_MAX)
		return S3_ERR_CRYPTO;
	if ((e = sign(sig, t, c, &v, cache, b64, (size_t)len)))
		return e;
	sbuf_init(&b, out->buf, sizeof out->buf);
	add_fields(out, &b, c, in, &v, b64, (size_t)len, sig);
	return sbuf_ok(&b) ? S3_OK : S3_ERR_TOOLONG;
}

enum s3_err s3_presign_post(const struct s3_target *t, const struct s3_creds *c,
                            const struct s3_post_in *in, struct sigv4_cache *cache,
                            struct s3_post_form *out)
{
	char policy[S3_POST_POLICY_MAX + 1], b64[S3_POST_POLICY_B64_MAX + 1], sig[65];
	enum s3_err e;

	if (!out)
		return S3_ERR_INVAL;
	s3_post_form_wipe(out);
	e = presign_post(t, c, in, cache, out, policy, b64, sig);
	if (e)
		s3_post_form_wipe(out);
	/* the policy holds the session token */
	OPENSSL_cleanse(policy, sizeof policy);
	OPENSSL_cleanse(b64, sizeof b64);
	OPENSSL_cleanse(sig, sizeof sig);
	return e;
}

void s3_post_form_wipe(struct s3_post_form *f)
{
	if (f)
		OPENSSL_cleanse(f, sizeof *f);
}
