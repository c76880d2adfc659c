/* config.c - sign_s3's settings: the table of every setting (its name and
 * fallback names, the validator that checks and normalizes a value, the
 * field it fills, the default) and the validators. Loading a configuration
 * from the environment and the configuration file is config_load.c's job
 * (config_int.h between the two). Validators return NULL or a fixed
 * description of what is expected: a value is never put into a message,
 * since some are secrets. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"
#include "syntax.h"
#include "filename.h"
#include "presign.h"
#include "url.h"
#include "utf8.h"

#define CFG_STR_(x) #x
#define CFG_STR(x) CFG_STR_(x)

/* ---- messages --------------------------------------------------------- */

static const char *expect_bytes(struct cfg_res *r, size_t max, const char *what)
{
	snprintf(r->msg, sizeof(r->msg), "expected 1..%zu %s", max, what);
	return r->msg;
}

/* ---- character classes and helpers ------------------------------------ */

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* 1 when every byte of s[0..n) is alphanumeric or in extra. */
static int all_in(const char *s, size_t n, const char *extra)
{
	for (size_t i = 0; i < n; i++) {
		if (s3_is_alnum((unsigned char)s[i]))
			continue;
		if (!s[i] || !strchr(extra, s[i]))
			return 0;
	}
	return 1;
}

/* Decimal digits only, value lo..hi; 0 on anything else. */
static int parse_uint(const char *v, unsigned long lo, unsigned long hi,
                      unsigned long *out)
{
	unsigned long n = 0;

	if (!*v)
		return 0;
	for (; *v; v++) {
		if (!s3_is_digit((unsigned char)*v))
			return 0;
		n = n * 10 + (unsigned long)(*v - '0');
		if (n > hi)
			return 0;   /* also stops before any overflow */
	}
	if (n < lo)
		return 0;
	*out = n;
	return 1;
}

/* ---- validators ------------------------------------------------------- */

/* The loose rules here (a custom endpoint's); S3's own once the endpoint
 * is known (check_bucket). */
static const char *v_bucket(const char *v, struct cfg_res *r)
{
	const char *why;

	if (*v == '\0')
		return "required";
	if ((why = s3_bucket_check(v, 1)))
		return why;
	r->str = v, r->len = strlen(v);
	return NULL;
}

static const char *v_region(const char *v, struct cfg_res *r)
{
	size_t n = strlen(v);

	if (n == 0 || n > SIGV4_MAX_REGION || !all_in(v, n, "_-"))
		return expect_bytes(r, SIGV4_MAX_REGION, "bytes of A-Z a-z 0-9 _ -");
	r->str = v, r->len = n;
	return NULL;
}

/* 1..max bytes of printable ASCII 0x21-0x7e. */
static const char *visible(const char *v, size_t max, struct cfg_res *r)
{
	if (!s3_is_visible(v, max))
		return expect_bytes(r, max, "printable ASCII characters (0x21-0x7e)");
	r->str = v, r->len = strlen(v);
	return NULL;
}

static const char *v_access_key(const char *v, struct cfg_res *r)
{
	return visible(v, SIGV4_MAX_ACCESS_KEY, r);
}

static const char *v_secret(const char *v, struct cfg_res *r)
{
	return visible(v, SIGV4_MAX_SECRET, r);
}

static const char *v_token(const char *v, struct cfg_res *r)
{
	return visible(v, SIGV4_MAX_TOKEN, r);
}

#define ENDPOINT_WHAT "expected http[s]://host[:port] with no userinfo, path, query or fragment"

/* Normalized: scheme and host lower-case, no default port, no '/'. */
static const char *v_endpoint(const char *v, struct cfg_res *r)
{
	struct s3_url u;
	struct sbuf b;
	size_t n = strlen(v);
	const char *why;

	if (n > SIGV4_MAX_ENDPOINT) {
		snprintf(r->msg, sizeof(r->msg), "expected at most %d bytes",
		         SIGV4_MAX_ENDPOINT);
		return r->msg;
	}
	if ((why = s3_url_parse(v, n, &u)))
		return why;
	if (u.rest_len > 1 || (u.rest_len == 1 && u.rest[0] != '/'))
		return ENDPOINT_WHAT;
	sbuf_init(&b, r->buf, SIGV4_MAX_ENDPOINT + 1);
	s3_url_origin(&u, &b);
	if (!sbuf_ok(&b))
		return expect_bytes(r, SIGV4_MAX_ENDPOINT, "bytes");
	r->str = r->buf, r->len = b.len;
	return NULL;
}

static const char *v_style(const char *v, struct cfg_res *r)
{
	if (strcmp(v, "1") == 0)
		r->num = S3_STYLE_PATH;
	else if (strcmp(v, "0") == 0)
		r->num = S3_STYLE_VIRTUAL;
	else
		return "expected 1 (path-style) or 0 (virtual-hosted)";
	return NULL;
}

static const char *v_active(const char *v, struct cfg_res *r)
{
	if (strcmp(v, "attachment") == 0)
		r->num = S3_ACTIVE_ATTACHMENT;
	else if (strcmp(v, "refuse") == 0)
		r->num = S3_ACTIVE_REFUSE;
	else if (strcmp(v, "allow") == 0)
		r->num = S3_ACTIVE_ALLOW;
	else
		return "expected attachment (signed as a download), refuse (415) or allow";
	return NULL;
}

/* No "." or ".." segment, no empty segment but a final one. */
static int segments_ok(const char *v)
{
	while (*v) {
		size_t n = strcspn(v, "/");

		if (n == 0)
			return 0;       /* leading '/' or "//" */
		if ((n == 1 && v[0] == '.') || (n == 2 && v[0] == '.' && v[1] == '.'))
			return 0;
		v += n;
		if (*v == '/')
			v++;
	}
	return 1;
}

static const char *v_prefix(const char *v, struct cfg_res *r)
{
	size_t n = strlen(v);

	if (n > S3_CONFIG_MAX_PREFIX) {
		snprintf(r->msg, sizeof(r->msg), "expected at most %d bytes",
		         S3_CONFIG_MAX_PREFIX);
		return r->msg;
	}
	if (!utf8_valid(v, n))
		return "expected valid UTF-8";
	for (size_t i = 0; i < n; i++)
		if (s3_is_ctl((unsigned char)v[i]))
			return "expected no control characters";
	if (!segments_ok(v))
		return "expected no leading '/', no \"//\" and no \".\" or \"..\" segment";
	r->str = v, r->len = n;
	return NULL;
}

/* An absolute path to a file that is only read. */
static const char *v_path(const char *v, struct cfg_res *r)
{
	size_t n = strlen(v);

	if (n > S3_CONFIG_MAX_PATH) {
		snprintf(r->msg, sizeof(r->msg), "expected at most %d bytes",
		         S3_CONFIG_MAX_PATH);
		return r->msg;
	}
	if (v[0] != '/')
		return "expected an absolute path";
	for (size_t i = 0; i < n; i++)
		if (s3_is_ctl((unsigned char)v[i]))
			return "expected no control characters";
	r->str = v, r->len = n;
	return NULL;
}

static const char *v_expires(const char *v, struct cfg_res *r)
{
	if (!parse_uint(v, SIGV4_EXPIRES_MIN, SIGV4_EXPIRES_MAX, &r->num)) {
		snprintf(r->msg, sizeof(r->msg), "expected an integer %d..%d (seconds)",
		         SIGV4_EXPIRES_MIN, SIGV4_EXPIRES_MAX);
		return r->msg;
	}
	return NULL;
}

static const char *v_acl(const char *v, struct cfg_res *r)
{
	if (s3_acl_valid(v)) {
		r->str = v, r->len = strlen(v);
		return NULL;
	}
	return "expected a canned ACL: private, public-read, public-read-write, "
	       "authenticated-read, aws-exec-read, bucket-owner-read, "
	       "bucket-owner-full-control";
}

/* A URL with a path, no query; trailing slashes dropped. */
static const char *v_public(const char *v, struct cfg_res *r)
{
	struct s3_url u;
	size_t n = strlen(v);
	const char *why;

	if (n > S3_CONFIG_MAX_PUBLIC) {
		snprintf(r->msg, sizeof(r->msg), "expected at most %d bytes",
		         S3_CONFIG_MAX_PUBLIC);
		return r->msg;
	}
	if ((why = s3_url_parse(v, n, &u)))
		return why;
	if (memchr(u.rest, '?', u.rest_len))
		return "expected no query ('?')";
	while (v[n - 1] == '/')
		n--;
	r->str = v, r->len = n;
	return NULL;
}

static const char *v_max_body(const char *v, struct cfg_res *r)
{
	if (!parse_uint(v, 1, S3_CONFIG_MAX_BODY_MAX, &r->num)) {
		snprintf(r->msg, sizeof(r->msg), "expected an integer 1..%d (bytes)",
		         S3_CONFIG_MAX_BODY_MAX);
		return r->msg;
	}
	return NULL;
}

static const char *v_request_timeout(const char *v, struct cfg_res *r)
{
	if (!parse_uint(v, 1, S3_CONFIG_MAX_REQUEST_TIMEOUT, &r->num)) {
		snprintf(r->msg, sizeof(r->msg), "expected an integer 1..%d (seconds)",
		         S3_CONFIG_MAX_REQUEST_TIMEOUT);
		return r->msg;
	}
	return NULL;
}

static const char *v_bool(const char *v, struct cfg_res *r)
{
	if (strcmp(v, "1") && strcmp(v, "0"))
		return "expected 1 or 0";
	r->num = v[0] == '1';
	return NULL;
}

static const char *v_name_bytes(const char *v, struct cfg_res *r)
{
	if (!parse_uint(v, 1, S3_FILENAME_MAX, &r->num)) {
		snprintf(r->msg, sizeof(r->msg), "expected an integer 1..%d (bytes)",
		         S3_FILENAME_MAX);
		return r->msg;
	}
	return NULL;
}

static const char *v_types(const char *v, struct cfg_res *r)
{
	const char *what = s3_types_parse(v, r->buf, sizeof(r->buf), &r->len);

	if (what)
		return what;
	r->str = r->buf;
	return NULL;
}

/* ---- the table -------------------------------------------------------- */

#define OFF(f) offsetof(struct s3_config, f)

static const char *v_max_parts(const char *v, struct cfg_res *r)
{
	if (!parse_uint(v, 1, S3_CONFIG_MAX_PARTS_MAX, &r->num)) {
		snprintf(r->msg, sizeof r->msg, "expected 1..%d parts", S3_CONFIG_MAX_PARTS_MAX);
		return r->msg;
	}
	return NULL;
}

static const char *v_max_file_size(const char *v, struct cfg_res *r)
{
	_Static_assert(sizeof(unsigned long) >= 8, "a size up to 5 TiB fits");
	if (!parse_uint(v, 1, S3_CONFIG_MAX_FILE_SIZE_MAX, &r->num)) {
		snprintf(r->msg, sizeof r->msg, "expected 1..%llu bytes (S3's largest object)",
		         S3_CONFIG_MAX_FILE_SIZE_MAX);
		return r->msg;
	}
	return NULL;
}

static const char *v_simple(const char *v, struct cfg_res *r)
{
	if (!strcmp(v, "put"))
		r->num = S3_SIMPLE_PUT;
	else if (!strcmp(v, "post"))
		r->num = S3_SIMPLE_POST;
	else
		return "expected put or post";
	return NULL;
}

/* S3_METADATA_FIELDS: names of Companion metadata members kept as
 * x-amz-meta-*: a comma list, white space around names ignored, each
 * 1..S3_META_NAME_MAX bytes of a-z 0-9 - _ (lowercased: S3 stores metadata
 * names in lowercase), at most S3_META_FIELDS_MAX, no duplicates; stored
 * normalized as "a,b,c". */
static const char *v_meta_fields(const char *v, struct cfg_res *r)
{
	size_t out = 0, count = 0;
	const char *p = v;

	while (*p) {
		const char *s, *e;
		size_t n;

		while (*p == ' ' || *p == '\t')
			p++;
		s = p;
		while (*p && *p != ',' && *p != ' ' && *p != '\t')
			p++;
		e = p;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p && *p != ',')
			return "expected a comma-separated list of names of a-z 0-9 - _";
		if (*p == ',')
			p++;
		n = (size_t)(e - s);
		if (!n)
			return "expected a comma-separated list of names of a-z 0-9 - _ "
			       "(an empty name)";
		if (n > S3_META_NAME_MAX || !all_in(s, n, "-_") || ++count > S3_META_FIELDS_MAX) {
			snprintf(r->msg, sizeof r->msg, "expected at most %d names of 1..%d "
			         "bytes of a-z 0-9 - _", S3_META_FIELDS_MAX, S3_META_NAME_MAX);
			return r->msg;
		}
		if (out + n + 1 >= sizeof r->buf)
			return "too long";
		if (out)
			r->buf[out++] = ',';
		for (size_t i = 0; i < n; i++)
			r->buf[out + i] = lower(s[i]);
		r->buf[out + n] = '\0';
		if (s3_list_has(r->buf, out, r->buf + out, n))
			return "a name is given twice";
		out += n;
	}
	r->buf[out] = '\0';
	r->str = r->buf;
	r->len = out;
	return NULL;
}

/* 1 when the comma list list[0..len) holds name[0..n). */
int s3_list_has(const char *list, size_t len, const char *name, size_t n)
{
	const char *p = list, *end = list + len;

	while (p < end) {
		const char *c = memchr(p, ',', (size_t)(end - p));
		size_t k = c ? (size_t)(c - p) : (size_t)(end - p);

		if (k == n && !memcmp(p, name, n))
			return 1;
		if (!c)
			break;
		p = c + 1;
	}
	return 0;
}

/* S3_NOTIFY_URL (verify's notification, common/notify.h): an http(s)
 * URL as the one parser reads it, query allowed, no fragment. */
static const char *v_notify_url(const char *v, struct cfg_res *r)
{
	struct s3_url u;
	const char *why;

	if ((why = s3_url_parse(v, strlen(v), &u)))
		return why;
	r->str = v, r->len = strlen(v);
	return NULL;
}

/* S3_NOTIFY_SECRET: the HMAC key, 16..S3_CONFIG_MAX_NOTIFY_SECRET bytes
 * of printable ASCII (never echoed). */
static const char *v_notify_secret(const char *v, struct cfg_res *r)
{
	size_t n = strlen(v);

	if (n < 16 || n > S3_CONFIG_MAX_NOTIFY_SECRET) {
		snprintf(r->msg, sizeof r->msg, "expected 16..%d bytes of printable ASCII",
		         S3_CONFIG_MAX_NOTIFY_SECRET);
		return r->msg;
	}
	if (!s3_is_visible(v, n))
		return "expected printable ASCII without spaces";
	r->str = v, r->len = n;
	return NULL;
}

static const char *v_notify_timeout(const char *v, struct cfg_res *r)
{
	if (!parse_uint(v, 100, S3_CONFIG_MAX_NOTIFY_TIMEOUT, &r->num)) {
		snprintf(r->msg, sizeof r->msg, "expected 100..%d (milliseconds)",
		         S3_CONFIG_MAX_NOTIFY_TIMEOUT);
		return r->msg;
	}
	return NULL;
}

/* S3_CORS_ORIGINS (`sign_s3 doctor`'s CORS checks, cgi/doctor.h): a comma
 * list of web origins, http[s]://host[:port] as a browser sends them in
 * Origin (no path, no trailing '/'), white space around them ignored;
 * stored normalized (scheme and host lower-cased, the default port
 * dropped) as "a,b", at most S3_CORS_ORIGINS_MAX, no duplicates. */
static const char *v_cors_origins(const char *v, struct cfg_res *r)
{
	struct sbuf b;
	size_t count = 0;

	sbuf_init(&b, r->buf, S3_CONFIG_MAX_CORS_ORIGINS + 1);
	while (*v) {
		struct s3_url u;
		const char *s, *e;
		size_t start = b.len;

		while (*v == ' ' || *v == '\t' || *v == ',')
			v++;
		if (!*v)
			break;
		s = v;
		while (*v && *v != ',' && *v != ' ' && *v != '\t')
			v++;
		e = v;
		if (++count > S3_CORS_ORIGINS_MAX) {
			snprintf(r->msg, sizeof r->msg, "expected at most %d origins",
			         S3_CORS_ORIGINS_MAX);
			return r->msg;
		}
		if (s3_url_parse(s, (size_t)(e - s), &u) || u.rest_len)
			return "expected a comma list of origins http[s]://host[:port], "
			       "without a path";
		if (start)
			sbuf_addc(&b, ',');
		s3_url_origin(&u, &b);
		if (!sbuf_ok(&b))
			return expect_bytes(r, S3_CONFIG_MAX_CORS_ORIGINS, "bytes of origins");
		if (s3_list_has(r->buf, start, r->buf + start + (start ? 1 : 0),
		                b.len - start - (start ? 1 : 0)))
			return "an origin is given twice";
	}
	if (!b.len)
		return "expected at least one origin (unset it for none)";
	r->str = r->buf;
	r->len = b.len;
	return NULL;
}

_Static_assert(S3_CONFIG_MAX_CORS_ORIGINS <= S3_TYPES_LIST_MAX, "cfg_res.buf holds the origins");

const struct cfg_var cfg_vars[] = {
	{ { "S3_BUCKET" }, v_bucket, K_STR, OFF(bucket), NULL, F_REQUIRED },
	{ { "S3_REGION", "AWS_REGION", "AWS_DEFAULT_REGION" }, v_region, K_STR,
	  OFF(region), "us-east-1", 0 },
	{ { "AWS_ACCESS_KEY_ID" }, v_access_key, K_STR, OFF(access_key), NULL, 0 },
	{ { "AWS_SECRET_ACCESS_KEY" }, v_secret, K_STR, OFF(secret_key), NULL, 0 },
	{ { "AWS_SESSION_TOKEN" }, v_token, K_STR, OFF(session_token), NULL,
	  F_EMPTY_NONE },
	{ { "S3_ENDPOINT" }, v_endpoint, K_STR, OFF(endpoint), NULL, F_EMPTY_NONE },
	{ { "S3_PATH_STYLE" }, v_style, K_STYLE, OFF(style), NULL, 0 },
	{ { "S3_KEY_PREFIX" }, v_prefix, K_STR, OFF(key_prefix), "uploads/", 0 },
	{ { "S3_EXPIRES" }, v_expires, K_UNSIGNED, OFF(expires), "60", 0 },
	{ { "S3_PART_EXPIRES" }, v_expires, K_UNSIGNED, OFF(part_expires), "600", 0 },
	{ { "S3_ACL" }, v_acl, K_STR, OFF(acl), NULL, F_EMPTY_NONE },
	{ { "S3_PUBLIC_URL" }, v_public, K_STR, OFF(public_url), NULL, F_EMPTY_NONE },
	{ { "S3_MAX_BODY" }, v_max_body, K_SIZE, OFF(max_body),
	  CFG_STR(S3_CONFIG_DEFAULT_BODY), 0 },
	{ { "S3_REQUEST_TIMEOUT" }, v_request_timeout, K_UNSIGNED, OFF(request_timeout),
	  CFG_STR(S3_CONFIG_DEFAULT_REQUEST_TIMEOUT), 0 },
	{ { "S3_LOG_REQUESTS" }, v_bool, K_INT, OFF(log_requests), "0", 0 },
	{ { "S3_REQUIRE_USER" }, v_bool, K_INT, OFF(require_user), "0", 0 },
	{ { "S3_ALLOWED_TYPES" }, v_types, K_STR, OFF(allowed_types), NULL,
	  F_EMPTY_NONE },
	{ { "S3_REQUIRE_FILE_HEAD" }, v_bool, K_INT, OFF(require_file_head), "0", 0 },
	{ { "S3_MAX_NAME_BYTES" }, v_name_bytes, K_SIZE, OFF(max_name_bytes),
	  CFG_STR(S3_FILENAME_MAX), 0 },
	{ { "S3_MAGIC_FILE" }, v_path, K_STR, OFF(magic_file), NULL, F_EMPTY_NONE },
	{ { "S3_ACTIVE_TYPES" }, v_active, K_ACTIVE, OFF(active_types), "attachment", 0 },
	{ { "S3_MULTIPART" }, v_bool, K_INT, OFF(multipart), "1", 0 },
	{ { "S3_MAX_PARTS" }, v_max_parts, K_UNSIGNED, OFF(max_parts),
	  CFG_STR(S3_CONFIG_MAX_PARTS_MAX), 0 },
	{ { "S3_MAX_FILE_SIZE" }, v_max_file_size, K_U64, OFF(max_file_size), NULL,
	  F_EMPTY_NONE },
	{ { "S3_MIN_FILE_SIZE" }, v_max_file_size, K_U64, OFF(min_file_size), NULL,
	  F_EMPTY_NONE },
	{ { "S3_REQUIRE_MD5" }, v_bool, K_INT, OFF(require_md5), "0", 0 },
	{ { "S3_METADATA_FIELDS" }, v_meta_fields, K_STR, OFF(metadata_fields), NULL,
	  F_EMPTY_NONE },
	{ { "S3_SIMPLE_UPLOAD" }, v_simple, K_INT, OFF(simple_upload), "put", 0 },
	{ { "S3_DELETE_REJECTED" }, v_bool, K_INT, OFF(delete_rejected), "1", 0 },
	{ { "S3_STATUS" }, v_bool, K_INT, OFF(status_page), "0", 0 },
	{ { "S3_NOTIFY_URL" }, v_notify_url, K_STR, OFF(notify_url), NULL, F_EMPTY_NONE },
	{ { "S3_NOTIFY_SECRET" }, v_notify_secret, K_STR, OFF(notify_secret), NULL,
	  F_EMPTY_NONE },
	{ { "S3_NOTIFY_TIMEOUT" }, v_notify_timeout, K_UNSIGNED, OFF(notify_timeout_ms),
	  "2000", 0 },
	{ { "S3_CORS_ORIGINS" }, v_cors_origins, K_STR, OFF(cors_origins), NULL, F_EMPTY_NONE },
};

const size_t cfg_nvars = sizeof(cfg_vars) / sizeof(cfg_vars[0]);

int s3_config_known(const char *name)
{
	for (size_t i = 0; i < cfg_nvars; i++)
		for (size_t j = 0; j < CFG_MAX_NAMES && cfg_vars[i].names[j]; j++)
			if (strcmp(cfg_vars[i].names[j], name) == 0)
				return 1;
	return 0;
}
