/* presign.c - S3 presigned URLs (see presign.h). */
#include "presign.h"
#include "uri.h"
#include "url.h"
#include "utf8.h"

#include <string.h>

#define AWS_DOMAIN      "amazonaws.com"
#define AWS_DOMAIN_CN   "amazonaws.com.cn"   /* the aws-cn partition: cn-* regions */
#define DEFAULT_REGION  "us-east-1"

static int is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* Looks like a dotted IPv4 address ("192.168.5.4"): S3 forbids such names
 * as virtual hosts. */
static int looks_ipv4(const char *s)
{
	int dots = 0;

	for (; *s; s++) {
		if (*s == '.')
			dots++;
		else if (*s < '0' || *s > '9')
			return 0;
	}
	return dots == 3;
}

static const char *const canned_acls[] = {
	"private", "public-read", "public-read-write", "authenticated-read",
	"aws-exec-read", "bucket-owner-read", "bucket-owner-full-control",
};

int s3_acl_valid(const char *acl)
{
	for (size_t i = 0; acl && i < sizeof canned_acls / sizeof *canned_acls; i++)
		if (!strcmp(acl, canned_acls[i]))
			return 1;
	return 0;
}

int s3_bucket_virtual_ok(const char *bucket, int https)
{
	size_t n = bucket ? strlen(bucket) : 0;

	if (n < 3 || n > 63 || !is_lower_alnum(bucket[0]) ||
	    !is_lower_alnum(bucket[n - 1]) || looks_ipv4(bucket))
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = bucket[i];

		if (c == '.') {
			if (https || bucket[i + 1] == '.' || bucket[i + 1] == '-' ||
			    bucket[i - 1] == '-')
				return 0;
		} else if (!is_lower_alnum(c) && c != '-') {
			return 0;
		}
	}
	return 1;
}

/* What AWS reserves at either end of a general purpose bucket's name. */
static const char *const aws_reserved_prefix[] = { "xn--", "sthree-", "amzn-s3-demo-" };
static const char *const aws_reserved_suffix[] = {
	"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3",
};

static int ends_with(const char *s, size_t n, const char *tail)
{
	size_t tn = strlen(tail);

	return n >= tn && !memcmp(s + n - tn, tail, tn);
}

const char *s3_bucket_check(const char *b, int legacy)
{
	size_t n = b ? strlen(b) : 0;

	if (n == 0)
		return "expected a bucket name";
	if (legacy) {
		if (n > SIGV4_MAX_BUCKET)
			return "expected at most " S3_STR(SIGV4_MAX_BUCKET) " bytes";
		for (size_t i = 0; i < n; i++) {
			char c = b[i];

			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_'))
				return "expected A-Z a-z 0-9 . _ - only";
		}
		if (!strcmp(b, ".") || !strcmp(b, ".."))
			return "\".\" and \"..\" are path segments, not buckets";
		return NULL;
	}
	if (n < S3_BUCKET_MIN || n > S3_BUCKET_MAX)
		return "expected " S3_STR(S3_BUCKET_MIN) ".." S3_STR(S3_BUCKET_MAX)
		       " bytes (S3's bucket naming rules)";
	for (size_t i = 0; i < n; i++)
		if (!is_lower_alnum(b[i]) && b[i] != '.' && b[i] != '-')
			return "expected lower-case letters, digits, . and - only "
			       "(S3's bucket naming rules)";
	if (!is_lower_alnum(b[0]) || !is_lower_alnum(b[n - 1]))
		return "expected a letter or digit first and last";
	if (strstr(b, ".."))
		return "expected no two adjacent periods";
	if (looks_ipv4(b))
		return "expected a name, not an IP address";
	for (size_t i = 0; i < sizeof aws_reserved_prefix / sizeof *aws_reserved_prefix; i++)
		if (!strncmp(b, aws_reserved_prefix[i], strlen(aws_reserved_prefix[i])))
			return "expected a name without a prefix AWS reserves "
			       "(xn--, sthree-, amzn-s3-demo-)";
	for (size_t i = 0; i < sizeof aws_reserved_suffix / sizeof *aws_reserved_suffix; i++)
		if (ends_with(b, n, aws_reserved_suffix[i]))
			return "expected a name without a suffix AWS reserves "
			       "(-s3alias, --ol-s3, .mrap, --x-s3, --table-s3)";
	return NULL;
}

static int valid_method(const char *m)
{
	return m && (!strcmp(m, "PUT") || !strcmp(m, "GET") ||
	             !strcmp(m, "HEAD") || !strcmp(m, "DELETE"));
}

/* Locates the request: the scheme and host of the endpoint (as s3_config
 * normalized it: no path) or of AWS for the region, and the addressing. */
static enum s3_err locate(const struct s3_target *t, struct s3_location *w)
{
	struct s3_url u = { 0 };
	int https = 1, ip = 0, vok;
	struct sbuf h;

	if (t->endpoint) {
		if (s3_url_parse(t->endpoint, strlen(t->endpoint), &u) || u.rest_len)
			return S3_ERR_INVAL;
		https = u.https;
		ip = u.kind != S3_URL_NAME;
	}
	w->scheme = https ? "https" : "http";
	vok = s3_bucket_virtual_ok(t->bucket, https) && !ip;
	switch (t->style) {
	case S3_STYLE_PATH:
		w->virtual_host = 0;
		break;
	case S3_STYLE_VIRTUAL:
		w->virtual_host = vok;
		break;
	default:
		w->virtual_host = vok && !t->endpoint;
	}

	sbuf_init(&h, w->host, sizeof w->host);
	if (w->virtual_host) {
		sbuf_adds(&h, t->bucket);
		sbuf_addc(&h, '.');
	}
	if (t->endpoint) {
		sbuf_addn(&h, u.host, (size_t)(u.rest - u.host));   /* host[:port] */
	} else if (!strcmp(t->region, DEFAULT_REGION)) {
		sbuf_adds(&h, "s3." AWS_DOMAIN);
	} else {
		sbuf_adds(&h, "s3.");
		sbuf_adds(&h, t->region);
		sbuf_adds(&h, strncmp(t->region, "cn-", 3) ? "." AWS_DOMAIN : "." AWS_DOMAIN_CN);
	}
	return sbuf_ok(&h) ? S3_OK : S3_ERR_TOOLONG;
}

enum s3_err s3_bucket_url(const struct s3_target *t, char *url, size_t cap)
{
	struct s3_location w;
	struct sbuf u;
	enum s3_err e;

	if (!url || cap == 0)
		return S3_ERR_INVAL;
	url[0] = '\0';
	if (!t || s3_bucket_check(t->bucket, t->endpoint != NULL) || !t->region)
		return S3_ERR_INVAL;
	if ((e = locate(t, &w)))
		return e;
	sbuf_init(&u, url, cap);
	sbuf_adds(&u, w.scheme);
	sbuf_adds(&u, "://");
	sbuf_adds(&u, w.host);
	sbuf_addc(&u, '/');
	if (!w.virtual_host) {
		sbuf_adds(&u, t->bucket);
		sbuf_addc(&u, '/');
	}
	if (!sbuf_ok(&u)) {
		url[0] = '\0';
		return S3_ERR_TOOLONG;
	}
	return S3_OK;
}

enum s3_err s3_object_location(const struct s3_target *t, const char *key, size_t key_len,
                               struct s3_location *loc)
{
	struct sbuf p;
	enum s3_err e;

	if (!t || !loc || s3_bucket_check(t->bucket, t->endpoint != NULL) || !t->region)
		return S3_ERR_INVAL;
	if (!key || key_len == 0)
		return S3_ERR_INVAL;
	if (key_len > SIGV4_MAX_KEY)
		return S3_ERR_TOOLONG;
	if (memchr(key, '\0', key_len) || !utf8_valid(key, key_len))
		return S3_ERR_UTF8;
	if ((e = locate(t, loc)))
		return e;
	sbuf_init(&p, loc->path, sizeof loc->path);
	sbuf_addc(&p, '/');
	if (!loc->virtual_host) {
		sbuf_adds(&p, t->bucket);
		sbuf_addc(&p, '/');
	}
	uri_encode(&p, key, key_len, URI_KEEP_SLASH);
	if (!sbuf_ok(&p))
		return S3_ERR_TOOLONG;
	loc->path_len = p.len;
	return S3_OK;
}

enum s3_err s3_bucket_location(const struct s3_target *t, struct s3_location *loc)
{
	struct sbuf p;
	enum s3_err e;

	if (!t || !loc || s3_bucket_check(t->bucket, t->endpoint != NULL) || !t->region)
		return S3_ERR_INVAL;
	if ((e = locate(t, loc)))
		return e;
	sbuf_init(&p, loc->path, sizeof loc->path);
	sbuf_addc(&p, '/');
	if (!loc->virtual_host)
		sbuf_adds(&p, t->bucket);
	if (!sbuf_ok(&p))
		return S3_ERR_TOOLONG;
	loc->path_len = p.len;
	return S3_OK;
}

enum s3_err s3_presign(const struct s3_target *t, const struct s3_creds *c,
                       const struct s3_presign_in *in, struct sigv4_cache *cache,
                       char *url, size_t cap, char *object_url, size_t ocap)
{
	struct sigv4_request r;
	struct s3_location w;
	struct sbuf u;
	enum s3_err e;

	if (!url || cap == 0)
		return S3_ERR_INVAL;
	url[0] = '\0';
	if (!in || !valid_method(in->method))
		return S3_ERR_INVAL;
	if ((e = s3_object_location(t, in->key, in->key_len, &w)))
		return e;

	r = (struct sigv4_request){
		.method = in->method,
		.host = w.host,
		.path = w.path,
		.params = in->params,
		.nparams = in->nparams,
		.content_type = in->content_type && *in->content_type ? in->content_type : NULL,
		.content_disposition = in->content_disposition && *in->content_disposition ?
		                       in->content_disposition : NULL,
		.content_length = in->content_length && *in->content_length ?
		                  in->content_length : NULL,
		.content_md5 = in->content_md5 && *in->content_md5 ? in->content_md5 : NULL,
		.service = "s3",
		.region = t->region,
		.payload_hash = SIGV4_UNSIGNED_PAYLOAD,
		.when = in->now,
		.expires = in->expires,
	};

	sbuf_init(&u, url, cap);
	sbuf_adds(&u, w.scheme);
	sbuf_adds(&u, "://");
	sbuf_adds(&u, w.host);
	sbuf_addn(&u, w.path, w.path_len);
	if (object_url) {
		struct sbuf o;

		sbuf_init(&o, object_url, ocap);
		sbuf_addn(&o, u.p, u.len);
		if (!sbuf_ok(&o))
			return S3_ERR_TOOLONG;
	}
	sbuf_addc(&u, '?');
	if (!sbuf_ok(&u))
		return S3_ERR_TOOLONG;
	if ((e = sigv4_presign_query(&u, &r, c, cache))) {
		url[0] = '\0';
		return e;
	}
	return S3_OK;
}
