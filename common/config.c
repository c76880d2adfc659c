/* config.c - sign_s3's configuration: the validation table.
 *
 * Every setting is a row of vars[]: its name (and fallback names), the
 * validator that checks (and normalizes) a value, the field it fills and
 * the default. A value is looked up in the environment first, then in the
 * configuration file (settings.h), which is read once into memory.
 * Validators return NULL or a fixed description of what is expected: a
 * value is never put into a message, since some are secrets. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "config.h"
#include "config_file.h"
#include "settings.h"
#include "syntax.h"
#include "filename.h"
#include "policy.h"
#include "presign.h"
#include "url.h"
#include "utf8.h"

#define CFG_MAX_NAMES    3       /* a setting's name and its fallbacks */
#define CFG_MSG_MAX      128     /* a validator's own "what is expected" */

#define CFG_STR_(x) #x
#define CFG_STR(x) CFG_STR_(x)

/* What a validator accepted: a string (str, len: into the value or into
 * buf) or a number. msg holds a message built at run time. */
struct cfg_res {
	const char *str;
	size_t len;
	unsigned long num;
	char buf[S3_TYPES_LIST_MAX + 1];   /* >= SIGV4_MAX_ENDPOINT + 1 */
	char msg[CFG_MSG_MAX];
};

_Static_assert(S3_TYPES_LIST_MAX >= SIGV4_MAX_ENDPOINT, "cfg_res.buf holds an endpoint");

typedef const char *(*cfg_check_fn)(const char *v, struct cfg_res *r);

enum cfg_kind { K_STR, K_UNSIGNED, K_SIZE, K_INT, K_STYLE, K_ACTIVE, K_U64 };

enum {
	F_REQUIRED   = 1,    /* unset is an error */
	F_EMPTY_NONE = 2,    /* "" means none: the field stays NULL */
};

struct cfg_var {
	const char *names[CFG_MAX_NAMES];  /* tried in order; first set wins */
	cfg_check_fn check;
	enum cfg_kind kind;
	size_t off;                        /* the field in struct s3_config */
	const char *def;                   /* used when unset; NULL: none */
	unsigned flags;
};

/* The environment over the file (settings.h). */
struct cfg_src {
	const struct s3_settings *s;
};

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

static int is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
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
	sbuf_adds(&b, u.https ? "https://" : "http://");
	for (size_t i = 0; i < u.host_len; i++)
		sbuf_addc(&b, lower(u.host[i]));
	if (u.port && u.port != (u.https ? 443u : 80u)) {
		char num[12];

		snprintf(num, sizeof(num), ":%u", u.port);
		sbuf_adds(&b, num);
	}
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
		if (is_ctl((unsigned char)v[i]))
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
		if (is_ctl((unsigned char)v[i]))
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
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x21 || (unsigned char)v[i] > 0x7e)
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
		sbuf_adds(&b, u.https ? "https://" : "http://");
		for (size_t i = 0; i < u.host_len; i++)
			sbuf_addc(&b, lower(u.host[i]));
		if (u.port && u.port != (u.https ? 443u : 80u)) {
			char num[12];

			snprintf(num, sizeof num, ":%u", u.port);
			sbuf_adds(&b, num);
		}
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

static const struct cfg_var vars[] = {
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

#define NVARS (sizeof(vars) / sizeof(vars[0]))

int s3_config_known(const char *name)
{
	for (size_t i = 0; i < NVARS; i++)
		for (size_t j = 0; j < CFG_MAX_NAMES && vars[i].names[j]; j++)
			if (strcmp(vars[i].names[j], name) == 0)
				return 1;
	return 0;
}

/* ---- loading ---------------------------------------------------------- */

/* The environment's value, else the file's (then *line is its line). */
static const char *src_get(const struct cfg_src *src, const char *name,
                           unsigned *line)
{
	return s3_settings_find(src->s, name, line);
}

static enum s3_err store(struct s3_config *cfg, const struct cfg_var *var,
                         const struct cfg_res *r)
{
	char *field = (char *)cfg + var->off;
	char *s;

	switch (var->kind) {
	case K_STR:
		s = malloc(r->len + 1);
		if (!s)
			return S3_ERR_NOMEM;
		memcpy(s, r->str, r->len);
		s[r->len] = '\0';
		memcpy(field, &s, sizeof(s));
		break;
	case K_UNSIGNED:
		*(unsigned *)(void *)field = (unsigned)r->num;
		break;
	case K_SIZE:
		*(size_t *)(void *)field = (size_t)r->num;
		break;
	case K_INT:
		*(int *)(void *)field = (int)r->num;
		break;
	case K_STYLE:
		*(enum s3_style *)(void *)field = (enum s3_style)r->num;
		break;
	case K_ACTIVE:
		*(enum s3_active *)(void *)field = (enum s3_active)r->num;
		break;
	case K_U64:
		*(unsigned long long *)(void *)field = (unsigned long long)r->num;
		break;
	}
	return S3_OK;
}

static enum s3_err load_var(struct s3_config *cfg, const struct cfg_var *var,
                            const struct cfg_src *src, char *err, size_t cap)
{
	struct cfg_res r;
	const char *name = var->names[0], *v = NULL, *what;
	unsigned line = 0;

	for (size_t j = 0; j < CFG_MAX_NAMES && var->names[j] && !v; j++) {
		name = var->names[j];
		v = src_get(src, name, &line);
	}
	if (!v || (!*v && (var->flags & F_EMPTY_NONE))) {
		name = var->names[0];
		v = var->def;
		line = 0;
	}
	if (!v) {
		if (!(var->flags & F_REQUIRED))
			return S3_OK;
		s3_msgf(err, cap, "%s: required", name);
		return S3_ERR_CONFIG;
	}
	memset(&r, 0, sizeof(r));
	what = var->check(v, &r);
	if (what && line)
		s3_msgf(err, cap, "%s: %s (%s: %s line %u)", name, what, src->s->label,
		     src->s->path, line);
	else if (what)
		s3_msgf(err, cap, "%s: %s", name, what);
	if (what)
		return S3_ERR_CONFIG;
	if (store(cfg, var, &r)) {
		s3_msgf(err, cap, "%s: out of memory", name);
		return S3_ERR_NOMEM;
	}
	return S3_OK;
}

/* S3_BUCKET on AWS (no S3_ENDPOINT) follows S3's naming rules; behind an
 * endpoint the legacy names v_bucket let through are kept. */
/* S3_MIN_FILE_SIZE above S3_MAX_FILE_SIZE would refuse every file. */
static enum s3_err check_sizes(const struct s3_config *cfg, char *err, size_t cap)
{
	if (cfg->min_file_size && cfg->max_file_size && cfg->min_file_size > cfg->max_file_size) {
		s3_msgf(err, cap, "S3_MIN_FILE_SIZE: above S3_MAX_FILE_SIZE");
		return S3_ERR_CONFIG;
	}
	return S3_OK;
}

static enum s3_err check_bucket(const struct s3_config *cfg, char *err, size_t cap)
{
	const char *why = s3_bucket_check(cfg->bucket, cfg->endpoint != NULL);

	if (why) {
		s3_msgf(err, cap, "S3_BUCKET: %s; set S3_ENDPOINT for a store that "
		        "allows other names", why);
		return S3_ERR_CONFIG;
	}
	return S3_OK;
}

/* Static credentials: key id and secret both or neither; a token only
 * with them. */
static enum s3_err check_creds(const struct s3_config *cfg, char *err, size_t cap)
{
	if (cfg->secret_key && !cfg->access_key) {
		s3_msgf(err, cap, "AWS_SECRET_ACCESS_KEY: set without AWS_ACCESS_KEY_ID");
		return S3_ERR_CONFIG;
	}
	if (cfg->access_key && !cfg->secret_key) {
		s3_msgf(err, cap, "AWS_ACCESS_KEY_ID: set without AWS_SECRET_ACCESS_KEY");
		return S3_ERR_CONFIG;
	}
	if (cfg->session_token && !cfg->access_key) {
		s3_msgf(err, cap, "AWS_SESSION_TOKEN: set without AWS_ACCESS_KEY_ID "
		     "and AWS_SECRET_ACCESS_KEY");
		return S3_ERR_CONFIG;
	}
	return S3_OK;
}

/* {user} in S3_KEY_PREFIX: once, followed by '/', and only when the web
 * server's authentication is required (else every anonymous caller would
 * share one prefix, or the request would have no user to put there). */
static enum s3_err check_user_prefix(const struct s3_config *cfg, char *err,
                                     size_t cap)
{
	int u = s3_prefix_user(cfg->key_prefix);

	if (u < 0) {
		s3_msgf(err, cap, "S3_KEY_PREFIX: expected %s at most once, followed by '/'",
		     S3_PREFIX_USER);
		return S3_ERR_CONFIG;
	}
	if (u > 0 && !cfg->require_user) {
		s3_msgf(err, cap, "S3_KEY_PREFIX: %s needs S3_REQUIRE_USER=1", S3_PREFIX_USER);
		return S3_ERR_CONFIG;
	}
	return S3_OK;
}

/* S3_NOTIFY_URL and S3_NOTIFY_SECRET: both or neither. */
static enum s3_err check_notify(const struct s3_config *cfg, char *err, size_t cap)
{
	if (cfg->notify_url && !cfg->notify_secret) {
		s3_msgf(err, cap, "S3_NOTIFY_SECRET: required with S3_NOTIFY_URL");
		return S3_ERR_CONFIG;
	}
	if (cfg->notify_secret && !cfg->notify_url) {
		s3_msgf(err, cap, "S3_NOTIFY_SECRET: set without S3_NOTIFY_URL");
		return S3_ERR_CONFIG;
	}
	return S3_OK;
}

const char *s3_config_getenv(void *ctx, const char *name)
{
	(void)ctx;
	return getenv(name);
}

/* Validates what s holds into cfg. */
static enum s3_err load_from(struct s3_config *cfg, const struct s3_settings *s,
                             char *errmsg, size_t errcap)
{
	struct cfg_src src = { s };
	enum s3_err rc = S3_OK;

	memset(cfg, 0, sizeof(*cfg));
	s3_msgf(errmsg, errcap, "%s", "");
	for (size_t i = 0; i < NVARS; i++) {
		rc = load_var(cfg, &vars[i], &src, errmsg, errcap);
		if (rc)
			goto fail;
	}
	rc = check_bucket(cfg, errmsg, errcap);
	if (rc)
		goto fail;
	rc = check_creds(cfg, errmsg, errcap);
	if (rc)
		goto fail;
	rc = check_user_prefix(cfg, errmsg, errcap);
	if (rc)
		goto fail;
	rc = check_sizes(cfg, errmsg, errcap);
	if (rc)
		goto fail;
	rc = check_notify(cfg, errmsg, errcap);
	if (rc)
		goto fail;
	cfg->endpoint_https = !cfg->endpoint || strncmp(cfg->endpoint, "https:", 6) == 0;
fail:
	if (rc)
		s3_config_free(cfg);
	return rc;
}

enum s3_err s3_config_load(struct s3_config *cfg, s3_lookup_fn get, void *ctx,
                           char *errmsg, size_t errcap)
{
	struct s3_settings s;
	struct s3_settings_where w = { .uid = geteuid() };
	enum s3_err rc;

	if (get == s3_settings_get)       /* the file is read already */
		return load_from(cfg, ctx, errmsg, errcap);
	memset(cfg, 0, sizeof(*cfg));
	rc = s3_settings_open(&s, get, ctx, &w, errmsg, errcap);
	if (rc)
		return rc;
	rc = load_from(cfg, &s, errmsg, errcap);
	s3_settings_close(&s);   /* it may hold secrets */
	return rc;
}

static void free_secret(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

void s3_config_free(struct s3_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->bucket);
	free(cfg->region);
	free(cfg->endpoint);
	free(cfg->key_prefix);
	free(cfg->acl);
	free(cfg->public_url);
	free(cfg->allowed_types);
	free(cfg->metadata_fields);
	free(cfg->magic_file);
	free_secret(cfg->access_key);
	free_secret(cfg->secret_key);
	free_secret(cfg->session_token);
	free(cfg->notify_url);
	free(cfg->cors_origins);
	free_secret(cfg->notify_secret);
	memset(cfg, 0, sizeof(*cfg));
}

void s3_config_target(const struct s3_config *cfg, struct s3_target *t)
{
	t->bucket = cfg->bucket;
	t->region = cfg->region;
	t->endpoint = cfg->endpoint;
	t->style = cfg->style;
}
