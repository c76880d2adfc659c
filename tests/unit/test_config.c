/* test_config.c - s3_config_load(): defaults, every setting's accepted
 * forms and normalization, every refusal (return code, the variable named,
 * the value never echoed), region fallback, the SIGN_S3_CONFIG file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "policy.h"
#include "tap.h"

#define MAX_KV      8
#define BASE_BUCKET "base-bucket"
#define ERRCAP      S3_CONFIG_ERRMAX

struct kv {
	const char *name;
	const char *value;     /* NULL: explicitly unset */
};

/* The fake environment: kv (NULL-terminated) first; S3_BUCKET defaults to
 * BASE_BUCKET when base is set and kv does not name it. */
struct fake {
	const struct kv *kv;
	const char *file;      /* SIGN_S3_CONFIG, or NULL */
	int base;
};

static const char *fake_get(void *ctx, const char *name)
{
	const struct fake *f = ctx;

	for (const struct kv *kv = f->kv; kv && kv->name; kv++)
		if (strcmp(kv->name, name) == 0)
			return kv->value;
	if (f->file && strcmp(name, "SIGN_S3_CONFIG") == 0)
		return f->file;
	if (f->base && strcmp(name, "S3_BUCKET") == 0)
		return BASE_BUCKET;
	return NULL;
}

enum field {
	F_BUCKET, F_REGION, F_ENDPOINT, F_PREFIX, F_ACL, F_PUBLIC,
	F_AKEY, F_SKEY, F_TOKEN, F_TYPES, F_CORS, F_MAGIC,   /* strings above, numbers below */
	F_HTTPS, F_STYLE, F_EXPIRES, F_BODY, F_LOG, F_REQUSER, F_REQHEAD, F_NAMEMAX,
	F_ACTIVE,
};

static const char *field_str(const struct s3_config *c, enum field f)
{
	switch (f) {
	case F_BUCKET:   return c->bucket;
	case F_REGION:   return c->region;
	case F_ENDPOINT: return c->endpoint;
	case F_PREFIX:   return c->key_prefix;
	case F_ACL:      return c->acl;
	case F_PUBLIC:   return c->public_url;
	case F_AKEY:     return c->access_key;
	case F_SKEY:     return c->secret_key;
	case F_TOKEN:    return c->session_token;
	case F_TYPES:    return c->allowed_types;
	case F_CORS:     return c->cors_origins;
	case F_MAGIC:    return c->magic_file;
	default:         return NULL;
	}
}

static long long field_num(const struct s3_config *c, enum field f)
{
	switch (f) {
	case F_HTTPS:   return c->endpoint_https;
	case F_STYLE:   return c->style;
	case F_EXPIRES: return c->expires;
	case F_BODY:    return (long long)c->max_body;
	case F_LOG:     return c->log_requests;
	case F_REQUSER: return c->require_user;
	case F_REQHEAD: return c->require_file_head;
	case F_NAMEMAX: return (long long)c->max_name_bytes;
	case F_ACTIVE:  return c->active_types;
	default:        return -1;
	}
}

static void check_field(const struct s3_config *c, enum field f, const char *ws,
                        long long wn, const char *desc)
{
	if (f <= F_MAGIC)
		is_str(field_str(c, f), ws, "%s: value", desc);
	else
		is_int(field_num(c, f), wn, "%s: value", desc);
}

/* 1 when every field is zero/NULL (a failed load leaves nothing behind). */
static int cfg_empty(const struct s3_config *c)
{
	return !c->bucket && !c->region && !c->endpoint && !c->key_prefix &&
	       !c->acl && !c->public_url && !c->access_key && !c->secret_key &&
	       !c->session_token && !c->expires && !c->max_body &&
	       !c->log_requests && !c->endpoint_https && c->style == S3_STYLE_AUTO &&
	       !c->require_user && !c->allowed_types && !c->require_file_head &&
	       !c->max_name_bytes && c->active_types == S3_ACTIVE_ATTACHMENT;
}

/* Long values, filled in by fill_long(). */
static char bucket255[SIGV4_MAX_BUCKET + 1], bucket256[SIGV4_MAX_BUCKET + 2];
static char bucket63[S3_BUCKET_MAX + 1], bucket64[S3_BUCKET_MAX + 2];
static char region64[SIGV4_MAX_REGION + 1], region65[SIGV4_MAX_REGION + 2];
static char akey128[SIGV4_MAX_ACCESS_KEY + 1], akey129[SIGV4_MAX_ACCESS_KEY + 2];
static char secret128[SIGV4_MAX_SECRET + 1], secret129[SIGV4_MAX_SECRET + 2];
static char token8192[SIGV4_MAX_TOKEN + 1], token8193[SIGV4_MAX_TOKEN + 2];
static char prefix512[S3_CONFIG_MAX_PREFIX + 1], prefix513[S3_CONFIG_MAX_PREFIX + 2];
static char public1024[S3_CONFIG_MAX_PUBLIC + 1], public1025[S3_CONFIG_MAX_PUBLIC + 2];
static char host253[300], host254[300], endpoint301[SIGV4_MAX_ENDPOINT + 2];
static char types2048[S3_TYPES_LIST_MAX + 1], types2049[S3_TYPES_LIST_MAX + 2];
static char path4096[S3_CONFIG_MAX_PATH + 1], path4097[S3_CONFIG_MAX_PATH + 2];
static char types64[64 * 4], types65[65 * 4];   /* "a/b,a/b,..." */
static char prefix_user512[S3_CONFIG_MAX_PREFIX + 1];

static void fill(char *buf, size_t n, const char *head, char c)
{
	size_t h = strlen(head);

	memcpy(buf, head, h);
	memset(buf + h, c, n - h);
	buf[n] = '\0';
}

/* host of n bytes: labels of 63 'h' separated by dots. */
static void fill_host(char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = (i % 64 == 63) ? '.' : 'h';
	buf[n] = '\0';
}

/* n entries "a/b" joined by ',' (4n bytes with the NUL). */
static void fill_types(char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			*buf++ = ',';
		memcpy(buf, "a/b", 3);
		buf += 3;
	}
	*buf = '\0';
}

static void fill_long(void)
{
	fill(bucket255, SIGV4_MAX_BUCKET, "", 'b');
	fill(bucket256, SIGV4_MAX_BUCKET + 1, "", 'b');
	fill(bucket63, S3_BUCKET_MAX, "", 'b');
	fill(bucket64, S3_BUCKET_MAX + 1, "", 'b');
	fill(region64, SIGV4_MAX_REGION, "", 'r');
	fill(region65, SIGV4_MAX_REGION + 1, "", 'r');
	fill(akey128, SIGV4_MAX_ACCESS_KEY, "AKIA", 'K');
	fill(akey129, SIGV4_MAX_ACCESS_KEY + 1, "AKIA", 'K');
	fill(secret128, SIGV4_MAX_SECRET, "sec", 'S');
	fill(secret129, SIGV4_MAX_SECRET + 1, "sec", 'S');
	fill(token8192, SIGV4_MAX_TOKEN, "tok", 'T');
	fill(token8193, SIGV4_MAX_TOKEN + 1, "tok", 'T');
	fill(prefix512, S3_CONFIG_MAX_PREFIX, "", 'p');
	fill(prefix513, S3_CONFIG_MAX_PREFIX + 1, "", 'p');
	fill(public1024, S3_CONFIG_MAX_PUBLIC, "https://cdn/", 'u');
	fill(public1025, S3_CONFIG_MAX_PUBLIC + 1, "https://cdn/", 'u');
	memcpy(host253, "http://", 7);
	fill_host(host253 + 7, 253);
	memcpy(host254, "http://", 7);
	fill_host(host254 + 7, 254);
	fill(endpoint301, SIGV4_MAX_ENDPOINT + 1, "http://", 'e');
	/* "image/aaa...a": one entry of exactly 2048 bytes is too long a
	 * subtype (127 at most), so 2048 bytes of entries: "a/bbbb,a/bbbb,..." */
	for (size_t i = 0; i < S3_TYPES_LIST_MAX; i++)
		types2048[i] = i % 32 == 31 ? ',' : i % 32 == 1 ? '/' : 'b';
	types2048[S3_TYPES_LIST_MAX - 1] = 'b';
	types2048[S3_TYPES_LIST_MAX] = '\0';
	memcpy(types2049, types2048, S3_TYPES_LIST_MAX);
	types2049[S3_TYPES_LIST_MAX] = 'b';
	types2049[S3_TYPES_LIST_MAX + 1] = '\0';
	fill_types(types64, 64);
	fill_types(types65, 65);
	fill(prefix_user512, S3_CONFIG_MAX_PREFIX, "{user}/", 'p');
	fill(path4096, S3_CONFIG_MAX_PATH, "/", 'm');
	fill(path4097, S3_CONFIG_MAX_PATH + 1, "/", 'm');
}

/* ---- defaults --------------------------------------------------------- */

static void test_defaults(void)
{
	struct fake f = { NULL, NULL, 1 };
	struct s3_config c;
	struct s3_target t;
	char err[ERRCAP];

	is_int(s3_config_load(&c, fake_get, &f, err, sizeof(err)), S3_OK, "defaults: load");
	is_str(err, "", "defaults: errmsg empty on success");
	is_str(c.bucket, BASE_BUCKET, "defaults: bucket");
	is_str(c.region, "us-east-1", "defaults: region us-east-1");
	ok(c.endpoint == NULL, "defaults: endpoint NULL (AWS)");
	is_int(c.endpoint_https, 1, "defaults: https");
	is_int(c.style, S3_STYLE_AUTO, "defaults: style auto");
	is_str(c.key_prefix, "uploads/", "defaults: key prefix");
	is_int(c.expires, 60, "defaults: expires 60");
	ok(c.acl == NULL, "defaults: no acl");
	ok(c.public_url == NULL, "defaults: no public url");
	is_int(c.max_body, S3_CONFIG_DEFAULT_BODY, "defaults: max body");
	is_int(c.log_requests, 0, "defaults: log off");
	is_int(c.active_types, S3_ACTIVE_ATTACHMENT, "defaults: active types attachment");
	ok(!c.access_key && !c.secret_key && !c.session_token, "defaults: no credentials");

	s3_config_target(&c, &t);
	ok(t.bucket == c.bucket && t.region == c.region && t.endpoint == NULL &&
	   t.style == S3_STYLE_AUTO, "target: copied from cfg");
	s3_config_free(&c);
	ok(cfg_empty(&c), "free: cfg zeroed");
	s3_config_free(&c);
	ok(cfg_empty(&c), "free: twice is safe");
	s3_config_free(NULL);
}

/* ---- accepted values -------------------------------------------------- */

struct ok_case {
	const char *desc;
	struct kv env[MAX_KV];
	enum field f;
	const char *want;      /* string fields */
	long long num;         /* number fields */
};

#define CREDS { "AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE" }, \
              { "AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" }

static const struct ok_case ok_cases[] = {
	{ "bucket plain", { { "S3_BUCKET", "my-bucket" } }, F_BUCKET, "my-bucket", 0 },
	{ "bucket 3 bytes", { { "S3_BUCKET", "a-1" } }, F_BUCKET, "a-1", 0 },
	{ "bucket 63 bytes", { { "S3_BUCKET", bucket63 } }, F_BUCKET, bucket63, 0 },
	{ "bucket dotted", { { "S3_BUCKET", "my.bucket.1" } }, F_BUCKET, "my.bucket.1", 0 },
	{ "bucket one char, endpoint", { { "S3_BUCKET", "a" }, { "S3_ENDPOINT", "http://minio:9000" } },
	  F_BUCKET, "a", 0 },
	{ "bucket mixed, endpoint", { { "S3_BUCKET", "My.Bucket_1-x" },
	  { "S3_ENDPOINT", "http://minio:9000" } }, F_BUCKET, "My.Bucket_1-x", 0 },
	{ "bucket 255 bytes, endpoint", { { "S3_BUCKET", bucket255 },
	  { "S3_ENDPOINT", "https://s3.amazonaws.com" } }, F_BUCKET, bucket255, 0 },
	{ "bucket ..., endpoint", { { "S3_BUCKET", "..." }, { "S3_ENDPOINT", "http://minio:9000" } },
	  F_BUCKET, "...", 0 },

	{ "S3_REGION", { { "S3_REGION", "eu-west-1" } }, F_REGION, "eu-west-1", 0 },
	{ "AWS_REGION", { { "AWS_REGION", "ap-south-1" } }, F_REGION, "ap-south-1", 0 },
	{ "AWS_DEFAULT_REGION", { { "AWS_DEFAULT_REGION", "ca-central-1" } },
	  F_REGION, "ca-central-1", 0 },
	{ "S3_REGION beats AWS_REGION",
	  { { "AWS_REGION", "us-west-1" }, { "S3_REGION", "us-west-2" },
	    { "AWS_DEFAULT_REGION", "eu-north-1" } }, F_REGION, "us-west-2", 0 },
	{ "AWS_REGION beats AWS_DEFAULT_REGION",
	  { { "AWS_DEFAULT_REGION", "eu-north-1" }, { "AWS_REGION", "us-west-1" } },
	  F_REGION, "us-west-1", 0 },
	{ "region 64 bytes", { { "S3_REGION", region64 } }, F_REGION, region64, 0 },
	{ "region underscore", { { "S3_REGION", "my_region-1" } }, F_REGION, "my_region-1", 0 },

	{ "access key", { CREDS }, F_AKEY, "AKIAIOSFODNN7EXAMPLE", 0 },
	{ "secret key", { CREDS }, F_SKEY, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", 0 },
	{ "session token", { CREDS, { "AWS_SESSION_TOKEN", "FwoGZXIvYXdz+/=" } },
	  F_TOKEN, "FwoGZXIvYXdz+/=", 0 },
	{ "empty token is none", { CREDS, { "AWS_SESSION_TOKEN", "" } }, F_TOKEN, NULL, 0 },
	{ "key 128, secret 128",
	  { { "AWS_ACCESS_KEY_ID", akey128 }, { "AWS_SECRET_ACCESS_KEY", secret128 } },
	  F_SKEY, secret128, 0 },
	{ "token 8192", { CREDS, { "AWS_SESSION_TOKEN", token8192 } }, F_TOKEN, token8192, 0 },
	{ "secret all printable",
	  { { "AWS_ACCESS_KEY_ID", "!~" }, { "AWS_SECRET_ACCESS_KEY", "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~" } },
	  F_SKEY, "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", 0 },

	{ "endpoint upper, port, slash", { { "S3_ENDPOINT", "HTTP://LocalHost:9000/" } },
	  F_ENDPOINT, "http://localhost:9000", 0 },
	{ "endpoint https default port", { { "S3_ENDPOINT", "https://s3.example.com:443" } },
	  F_ENDPOINT, "https://s3.example.com", 0 },
	{ "endpoint ipv6", { { "S3_ENDPOINT", "http://[::1]:9000" } },
	  F_ENDPOINT, "http://[::1]:9000", 0 },
	{ "endpoint ipv4 default port", { { "S3_ENDPOINT", "http://127.0.0.1:80" } },
	  F_ENDPOINT, "http://127.0.0.1", 0 },
	{ "endpoint trailing slash", { { "S3_ENDPOINT", "https://S3.Example.COM/" } },
	  F_ENDPOINT, "https://s3.example.com", 0 },
	{ "endpoint http on 443 keeps port", { { "S3_ENDPOINT", "http://minio:443" } },
	  F_ENDPOINT, "http://minio:443", 0 },
	{ "endpoint https on 80 keeps port", { { "S3_ENDPOINT", "https://minio:80/" } },
	  F_ENDPOINT, "https://minio:80", 0 },
	{ "endpoint ipv6 upper, 443", { { "S3_ENDPOINT", "HtTpS://[2001:DB8::1]:443/" } },
	  F_ENDPOINT, "https://[2001:db8::1]", 0 },
	{ "endpoint port leading zero", { { "S3_ENDPOINT", "http://minio:09000" } },
	  F_ENDPOINT, "http://minio:9000", 0 },
	{ "endpoint port 65535", { { "S3_ENDPOINT", "http://minio:65535" } },
	  F_ENDPOINT, "http://minio:65535", 0 },
	{ "endpoint host 253", { { "S3_ENDPOINT", host253 } }, F_ENDPOINT, host253, 0 },
	{ "endpoint empty is AWS", { { "S3_ENDPOINT", "" } }, F_ENDPOINT, NULL, 0 },
	{ "endpoint http: not https", { { "S3_ENDPOINT", "http://minio:9000" } }, F_HTTPS, NULL, 0 },
	{ "endpoint https: https", { { "S3_ENDPOINT", "HTTPS://minio" } }, F_HTTPS, NULL, 1 },
	{ "endpoint empty: https", { { "S3_ENDPOINT", "" } }, F_HTTPS, NULL, 1 },

	{ "path style 1", { { "S3_PATH_STYLE", "1" } }, F_STYLE, NULL, S3_STYLE_PATH },
	{ "path style 0", { { "S3_PATH_STYLE", "0" } }, F_STYLE, NULL, S3_STYLE_VIRTUAL },

	{ "prefix empty", { { "S3_KEY_PREFIX", "" } }, F_PREFIX, "", 0 },
	{ "prefix nested", { { "S3_KEY_PREFIX", "a/b/" } }, F_PREFIX, "a/b/", 0 },
	{ "prefix no slash", { { "S3_KEY_PREFIX", "photos-" } }, F_PREFIX, "photos-", 0 },
	{ "prefix utf-8", { { "S3_KEY_PREFIX", "\xc3\xa9t\xc3\xa9/\xf0\x9f\x93\xb7/" } },
	  F_PREFIX, "\xc3\xa9t\xc3\xa9/\xf0\x9f\x93\xb7/", 0 },
	{ "prefix dots inside names", { { "S3_KEY_PREFIX", "a/.b/..c/d./" } },
	  F_PREFIX, "a/.b/..c/d./", 0 },
	{ "prefix spaces", { { "S3_KEY_PREFIX", " a b /" } }, F_PREFIX, " a b /", 0 },
	{ "prefix 512 bytes", { { "S3_KEY_PREFIX", prefix512 } }, F_PREFIX, prefix512, 0 },

	{ "expires min", { { "S3_EXPIRES", "1" } }, F_EXPIRES, NULL, 1 },
	{ "expires max", { { "S3_EXPIRES", "604800" } }, F_EXPIRES, NULL, 604800 },
	{ "expires hour", { { "S3_EXPIRES", "3600" } }, F_EXPIRES, NULL, 3600 },
	{ "expires leading zero", { { "S3_EXPIRES", "0060" } }, F_EXPIRES, NULL, 60 },

	{ "acl private", { { "S3_ACL", "private" } }, F_ACL, "private", 0 },
	{ "acl public-read", { { "S3_ACL", "public-read" } }, F_ACL, "public-read", 0 },
	{ "acl public-read-write", { { "S3_ACL", "public-read-write" } }, F_ACL, "public-read-write", 0 },
	{ "acl authenticated-read", { { "S3_ACL", "authenticated-read" } }, F_ACL, "authenticated-read", 0 },
	{ "acl aws-exec-read", { { "S3_ACL", "aws-exec-read" } }, F_ACL, "aws-exec-read", 0 },
	{ "acl bucket-owner-read", { { "S3_ACL", "bucket-owner-read" } }, F_ACL, "bucket-owner-read", 0 },
	{ "acl bucket-owner-full-control", { { "S3_ACL", "bucket-owner-full-control" } },
	  F_ACL, "bucket-owner-full-control", 0 },
	{ "acl empty is none", { { "S3_ACL", "" } }, F_ACL, NULL, 0 },

	{ "public url slash dropped", { { "S3_PUBLIC_URL", "https://cdn.example.com/" } },
	  F_PUBLIC, "https://cdn.example.com", 0 },
	{ "public url slashes dropped", { { "S3_PUBLIC_URL", "https://cdn.example.com/a///" } },
	  F_PUBLIC, "https://cdn.example.com/a", 0 },
	{ "public url http short", { { "S3_PUBLIC_URL", "http://x" } }, F_PUBLIC, "http://x", 0 },
	{ "public url path kept", { { "S3_PUBLIC_URL", "https://cdn:8443/b/c" } },
	  F_PUBLIC, "https://cdn:8443/b/c", 0 },
	{ "public url 1024", { { "S3_PUBLIC_URL", public1024 } }, F_PUBLIC, public1024, 0 },
	{ "public url empty is none", { { "S3_PUBLIC_URL", "" } }, F_PUBLIC, NULL, 0 },

	{ "max body 1", { { "S3_MAX_BODY", "1" } }, F_BODY, NULL, 1 },
	{ "max body max", { { "S3_MAX_BODY", "1048576" } }, F_BODY, NULL, S3_CONFIG_MAX_BODY_MAX },
	{ "max body 4096", { { "S3_MAX_BODY", "4096" } }, F_BODY, NULL, 4096 },

	{ "log 1", { { "S3_LOG_REQUESTS", "1" } }, F_LOG, NULL, 1 },
	{ "log 0", { { "S3_LOG_REQUESTS", "0" } }, F_LOG, NULL, 0 },

	{ "require user default", { { NULL, NULL } }, F_REQUSER, NULL, 0 },
	{ "require user 1", { { "S3_REQUIRE_USER", "1" } }, F_REQUSER, NULL, 1 },
	{ "require user 0", { { "S3_REQUIRE_USER", "0" } }, F_REQUSER, NULL, 0 },
	{ "prefix {user} with S3_REQUIRE_USER=1",
	  { { "S3_REQUIRE_USER", "1" }, { "S3_KEY_PREFIX", "users/{user}/" } },
	  F_PREFIX, "users/{user}/", 0 },
	{ "prefix {user} first", { { "S3_REQUIRE_USER", "1" }, { "S3_KEY_PREFIX", "{user}/" } },
	  F_PREFIX, "{user}/", 0 },
	{ "prefix {user} inside a segment",
	  { { "S3_REQUIRE_USER", "1" }, { "S3_KEY_PREFIX", "u-{user}/in/" } },
	  F_PREFIX, "u-{user}/in/", 0 },
	{ "prefix {user} 512 bytes",
	  { { "S3_REQUIRE_USER", "1" }, { "S3_KEY_PREFIX", prefix_user512 } },
	  F_PREFIX, prefix_user512, 0 },
	{ "prefix other braces", { { "S3_KEY_PREFIX", "{users}/{x}/" } },
	  F_PREFIX, "{users}/{x}/", 0 },

	{ "allowed types default: any", { { NULL, NULL } }, F_TYPES, NULL, 0 },
	{ "allowed types empty: any", { { "S3_ALLOWED_TYPES", "" } }, F_TYPES, NULL, 0 },
	{ "allowed types list", { { "S3_ALLOWED_TYPES", "image/*,application/pdf" } },
	  F_TYPES, "image/*,application/pdf", 0 },
	{ "allowed types normalized", { { "S3_ALLOWED_TYPES", " Image/PNG ,\tTEXT/* , */*" } },
	  F_TYPES, "image/png,text/*,*/*", 0 },
	{ "allowed types one", { { "S3_ALLOWED_TYPES", "application/vnd.ms-excel" } },
	  F_TYPES, "application/vnd.ms-excel", 0 },
	{ "allowed types RFC 6838 chars",
	  { { "S3_ALLOWED_TYPES", "application/x.a!b#c$d&e-f^g_h+i" } },
	  F_TYPES, "application/x.a!b#c$d&e-f^g_h+i", 0 },
	{ "allowed types 64 entries", { { "S3_ALLOWED_TYPES", types64 } }, F_TYPES, types64, 0 },
	{ "allowed types 2048 bytes", { { "S3_ALLOWED_TYPES", types2048 } },
	  F_TYPES, types2048, 0 },

	{ "require file_head default", { { NULL, NULL } }, F_REQHEAD, NULL, 0 },
	{ "require file_head 1", { { "S3_REQUIRE_FILE_HEAD", "1" } }, F_REQHEAD, NULL, 1 },

	{ "max name bytes default", { { NULL, NULL } }, F_NAMEMAX, NULL, 255 },
	{ "max name bytes 1", { { "S3_MAX_NAME_BYTES", "1" } }, F_NAMEMAX, NULL, 1 },
	{ "magic file default: none", { { NULL, NULL } }, F_MAGIC, NULL, 0 },
	{ "magic file empty: none", { { "S3_MAGIC_FILE", "" } }, F_MAGIC, NULL, 0 },
	{ "magic file absolute", { { "S3_MAGIC_FILE", "/home/u/sign_s3/magic.mgc" } },
	  F_MAGIC, "/home/u/sign_s3/magic.mgc", 0 },
	{ "magic file 4096 bytes", { { "S3_MAGIC_FILE", path4096 } }, F_MAGIC, path4096, 0 },
	{ "max name bytes 100", { { "S3_MAX_NAME_BYTES", "100" } }, F_NAMEMAX, NULL, 100 },
	{ "max name bytes 255", { { "S3_MAX_NAME_BYTES", "255" } }, F_NAMEMAX, NULL, 255 },

	{ "active types default", { { NULL, NULL } }, F_ACTIVE, NULL, S3_ACTIVE_ATTACHMENT },
	{ "active types attachment", { { "S3_ACTIVE_TYPES", "attachment" } }, F_ACTIVE, NULL,
	  S3_ACTIVE_ATTACHMENT },
	{ "active types refuse", { { "S3_ACTIVE_TYPES", "refuse" } }, F_ACTIVE, NULL,
	  S3_ACTIVE_REFUSE },
	{ "active types allow", { { "S3_ACTIVE_TYPES", "allow" } }, F_ACTIVE, NULL,
	  S3_ACTIVE_ALLOW },

	{ "cors origins", { { "S3_CORS_ORIGINS", "https://app.example.com" } }, F_CORS,
	  "https://app.example.com", 0 },
	{ "cors origins normalized", { { "S3_CORS_ORIGINS",
	  " HTTPS://App.Example.com:443 , http://127.0.0.1:8000,http://[::1]:80 " } }, F_CORS,
	  "https://app.example.com,http://127.0.0.1:8000,http://[::1]", 0 },
	{ "cors origins empty is none", { { "S3_CORS_ORIGINS", "" } }, F_CORS, NULL, 0 },
	{ "cors origins unset", { { "S3_CORS_ORIGINS", NULL } }, F_CORS, NULL, 0 },

	{ "unknown env names ignored", { { "S3_BUCKETS", "x y" }, { "S3_FOO", "" } },
	  F_BUCKET, BASE_BUCKET, 0 },
};

static void test_ok_cases(void)
{
	for (size_t i = 0; i < sizeof(ok_cases) / sizeof(ok_cases[0]); i++) {
		const struct ok_case *tc = &ok_cases[i];
		struct fake f = { tc->env, NULL, 1 };
		struct s3_config c;
		char err[ERRCAP];
		enum s3_err rc = s3_config_load(&c, fake_get, &f, err, sizeof(err));

		if (!ok(rc == S3_OK, "%s: accepted", tc->desc))
			diag("rc %d: %s", rc, err);
		check_field(&c, tc->f, tc->want, tc->num, tc->desc);
		s3_config_free(&c);
	}
}

/* ---- refusals --------------------------------------------------------- */

struct bad_case {
	const char *desc;
	struct kv env[MAX_KV];
	const char *var;       /* the variable the message must start with */
	const char *exact;     /* NULL, or the whole message */
	int echo_ok;           /* the value legitimately appears in the message */
};

static const struct bad_case bad_cases[] = {
	{ "bucket unset", { { "S3_BUCKET", NULL } }, "S3_BUCKET", "S3_BUCKET: required", 0 },
	{ "bucket empty", { { "S3_BUCKET", "" } }, "S3_BUCKET", "S3_BUCKET: required", 0 },
	{ "bucket space", { { "S3_BUCKET", "bad bucket!" } }, "S3_BUCKET", NULL, 0 },
	{ "bucket slash", { { "S3_BUCKET", "abc/def" } }, "S3_BUCKET", NULL, 0 },
	{ "bucket 256", { { "S3_BUCKET", bucket256 } }, "S3_BUCKET", NULL, 0 },
	{ "bucket non-ascii", { { "S3_BUCKET", "buck\xc3\xa9t" } }, "S3_BUCKET", NULL, 0 },
	{ "bucket .", { { "S3_BUCKET", "." } }, "S3_BUCKET", NULL, 0 },
	{ "bucket ..", { { "S3_BUCKET", ".." } }, "S3_BUCKET", NULL, 0 },
	{ "bucket ., endpoint", { { "S3_BUCKET", "." }, { "S3_ENDPOINT", "http://minio:9000" } },
	  "S3_BUCKET", NULL, 0 },
	{ "bucket .., endpoint", { { "S3_BUCKET", ".." }, { "S3_ENDPOINT", "http://minio:9000" } },
	  "S3_BUCKET", NULL, 0 },
	{ "bucket 2 bytes on AWS", { { "S3_BUCKET", "ab" } }, "S3_BUCKET", NULL, 0 },
	{ "bucket 64 bytes on AWS", { { "S3_BUCKET", bucket64 } }, "S3_BUCKET", NULL, 0 },
	{ "bucket upper case on AWS", { { "S3_BUCKET", "MyBucket" } }, "S3_BUCKET", NULL, 0 },
	{ "bucket underscore on AWS", { { "S3_BUCKET", "my_bucket" } }, "S3_BUCKET", NULL, 0 },
	{ "bucket leading dot on AWS", { { "S3_BUCKET", ".bucket" } }, "S3_BUCKET", NULL, 0 },
	{ "bucket trailing dash on AWS", { { "S3_BUCKET", "bucket-" } }, "S3_BUCKET", NULL, 0 },
	{ "bucket a..b on AWS", { { "S3_BUCKET", "a..b" } }, "S3_BUCKET", NULL, 0 },
	{ "bucket IPv4 on AWS", { { "S3_BUCKET", "192.168.5.4" } }, "S3_BUCKET", NULL, 0 },
	{ "bucket xn-- on AWS", { { "S3_BUCKET", "xn--bucket" } }, "S3_BUCKET", NULL, 0 },
	{ "bucket sthree- on AWS", { { "S3_BUCKET", "sthree-bucket" } }, "S3_BUCKET", NULL, 0 },
	{ "bucket -s3alias on AWS", { { "S3_BUCKET", "bucket-s3alias" } }, "S3_BUCKET", NULL, 0 },
	{ "bucket --x-s3 on AWS", { { "S3_BUCKET", "bucket--x-s3" } }, "S3_BUCKET", NULL, 0 },
	{ "bucket .mrap on AWS", { { "S3_BUCKET", "bucket.mrap" } }, "S3_BUCKET", NULL, 0 },

	{ "S3_REGION empty", { { "S3_REGION", "" } }, "S3_REGION", NULL, 0 },
	{ "S3_REGION space", { { "S3_REGION", "us east 1" } }, "S3_REGION", NULL, 0 },
	{ "S3_REGION dot", { { "S3_REGION", "eu.west" } }, "S3_REGION", NULL, 0 },
	{ "S3_REGION 65", { { "S3_REGION", region65 } }, "S3_REGION", NULL, 0 },
	{ "AWS_REGION bad", { { "AWS_REGION", "bad/region" } }, "AWS_REGION", NULL, 0 },
	{ "AWS_DEFAULT_REGION bad", { { "AWS_DEFAULT_REGION", "bad region" } },
	  "AWS_DEFAULT_REGION", NULL, 0 },
	{ "S3_REGION bad over good AWS_REGION",
	  { { "S3_REGION", "bad!region" }, { "AWS_REGION", "us-west-1" } }, "S3_REGION", NULL, 0 },
	{ "S3_REGION empty over good AWS_REGION",
	  { { "S3_REGION", "" }, { "AWS_REGION", "us-west-1" } }, "S3_REGION", NULL, 0 },
	{ "AWS_REGION bad over good default",
	  { { "AWS_REGION", "x y z" }, { "AWS_DEFAULT_REGION", "us-west-1" } }, "AWS_REGION", NULL, 0 },

	{ "access key empty", { { "AWS_ACCESS_KEY_ID", "" }, { "AWS_SECRET_ACCESS_KEY", "sekrit" } },
	  "AWS_ACCESS_KEY_ID", NULL, 0 },
	{ "access key space", { { "AWS_ACCESS_KEY_ID", "AKIA EXAMPLE" }, { "AWS_SECRET_ACCESS_KEY", "sekrit" } },
	  "AWS_ACCESS_KEY_ID", NULL, 0 },
	{ "access key DEL", { { "AWS_ACCESS_KEY_ID", "AKIA\x7fXMPL" }, { "AWS_SECRET_ACCESS_KEY", "sekrit" } },
	  "AWS_ACCESS_KEY_ID", NULL, 0 },
	{ "access key 129", { { "AWS_ACCESS_KEY_ID", akey129 }, { "AWS_SECRET_ACCESS_KEY", "sekrit" } },
	  "AWS_ACCESS_KEY_ID", NULL, 0 },
	{ "secret empty", { { "AWS_ACCESS_KEY_ID", "AKIAX" }, { "AWS_SECRET_ACCESS_KEY", "" } },
	  "AWS_SECRET_ACCESS_KEY", NULL, 0 },
	{ "secret space", { { "AWS_ACCESS_KEY_ID", "AKIAX" },
	                    { "AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI K7MDENGbPxRfiCY" } },
	  "AWS_SECRET_ACCESS_KEY", NULL, 0 },
	{ "secret tab", { { "AWS_ACCESS_KEY_ID", "AKIAX" },
	                  { "AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI\tK7MDENGbPxRfiCY" } },
	  "AWS_SECRET_ACCESS_KEY", NULL, 0 },
	{ "secret non-ascii", { { "AWS_ACCESS_KEY_ID", "AKIAX" },
	                        { "AWS_SECRET_ACCESS_KEY", "wJalr\xc3\xa9XUtnFEMI" } },
	  "AWS_SECRET_ACCESS_KEY", NULL, 0 },
	{ "secret 129", { { "AWS_ACCESS_KEY_ID", "AKIAX" }, { "AWS_SECRET_ACCESS_KEY", secret129 } },
	  "AWS_SECRET_ACCESS_KEY", NULL, 0 },
	{ "token space", { CREDS, { "AWS_SESSION_TOKEN", "FwoGZXIv YXdzEXAMPLETOKEN" } },
	  "AWS_SESSION_TOKEN", NULL, 0 },
	{ "token newline", { CREDS, { "AWS_SESSION_TOKEN", "FwoGZXIv\nYXdzEXAMPLETOKEN" } },
	  "AWS_SESSION_TOKEN", NULL, 0 },
	{ "token 8193", { CREDS, { "AWS_SESSION_TOKEN", token8193 } }, "AWS_SESSION_TOKEN", NULL, 0 },
	{ "secret without key", { { "AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMIsecretonly" } },
	  "AWS_SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY: set without AWS_ACCESS_KEY_ID", 0 },
	{ "key without secret", { { "AWS_ACCESS_KEY_ID", "AKIAKEYONLY" } },
	  "AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID: set without AWS_SECRET_ACCESS_KEY", 0 },
	{ "token without creds", { { "AWS_SESSION_TOKEN", "FwoGZXIvTOKENONLY" } },
	  "AWS_SESSION_TOKEN",
	  "AWS_SESSION_TOKEN: set without AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", 0 },
	{ "token with key only", { { "AWS_SESSION_TOKEN", "FwoGZXIvTOKEN" }, { "AWS_ACCESS_KEY_ID", "AKIAK" } },
	  "AWS_ACCESS_KEY_ID", NULL, 0 },

	{ "endpoint ftp", { { "S3_ENDPOINT", "ftp://minio" } }, "S3_ENDPOINT", NULL, 0 },
	{ "endpoint no scheme", { { "S3_ENDPOINT", "minio:9000" } }, "S3_ENDPOINT", NULL, 0 },
	{ "endpoint scheme only", { { "S3_ENDPOINT", "http://" } }, "S3_ENDPOINT", NULL, 0 },
	{ "endpoint path", { { "S3_ENDPOINT", "http://minio/bucket" } }, "S3_ENDPOINT", NULL, 0 },
	{ "endpoint query", { { "S3_ENDPOINT", "http://minio?x=1" } }, "S3_ENDPOINT", NULL, 0 },
	{ "endpoint query after slash", { { "S3_ENDPOINT", "http://minio/?x=1" } }, "S3_ENDPOINT", NULL, 0 },
	{ "endpoint fragment", { { "S3_ENDPOINT", "http://minio#frag" } }, "S3_ENDPOINT", NULL, 0 },
	{ "endpoint userinfo", { { "S3_ENDPOINT", "http://user:pw@minio" } }, "S3_ENDPOINT", NULL, 0 },
	{ "endpoint port 0", { { "S3_ENDPOINT", "http://minio:0" } }, "S3_ENDPOINT", NULL, 0 },
	{ "endpoint port 65536", { { "S3_ENDPOINT", "http://minio:65536" } }, "S3_ENDPOINT", NULL, 0 },
	{ "endpoint port empty", { { "S3_ENDPOINT", "http://minio:" } }, "S3_ENDPOINT", NULL, 0 },
	{ "endpoint port sign", { { "S3_ENDPOINT", "http://minio:+80" } }, "S3_ENDPOINT", NULL, 0 },
	{ "endpoint port garbage", { { "S3_ENDPOINT", "http://minio:80a" } }, "S3_ENDPOINT", NULL, 0 },
	{ "endpoint port huge", { { "S3_ENDPOINT", "http://minio:99999999999999999999" } },
	  "S3_ENDPOINT", NULL, 0 },
	{ "endpoint two slashes", { { "S3_ENDPOINT", "http://minio//" } }, "S3_ENDPOINT", NULL, 0 },
	{ "endpoint ipv6 unclosed", { { "S3_ENDPOINT", "http://[::1:9000" } }, "S3_ENDPOINT", NULL, 0 },
	{ "endpoint ipv6 bad hex", { { "S3_ENDPOINT", "http://[zz::1]" } }, "S3_ENDPOINT", NULL, 0 },
	{ "endpoint ipv6 empty", { { "S3_ENDPOINT", "http://[]" } }, "S3_ENDPOINT", NULL, 0 },
	{ "endpoint ipv6 bad form", { { "S3_ENDPOINT", "http://[1:::2]" } }, "S3_ENDPOINT", NULL, 0 },
	{ "endpoint ipv6 zone", { { "S3_ENDPOINT", "http://[fe80::1%25eth0]" } }, "S3_ENDPOINT", NULL, 0 },
	{ "endpoint ipv6 garbage after", { { "S3_ENDPOINT", "http://[::1]x" } }, "S3_ENDPOINT", NULL, 0 },
	{ "endpoint host dash", { { "S3_ENDPOINT", "http://-minio" } }, "S3_ENDPOINT", NULL, 0 },
	{ "endpoint host empty label", { { "S3_ENDPOINT", "http://a..b" } }, "S3_ENDPOINT", NULL, 0 },
	{ "endpoint host space", { { "S3_ENDPOINT", "http://mi nio" } }, "S3_ENDPOINT", NULL, 0 },
	{ "endpoint host underscore", { { "S3_ENDPOINT", "http://mi_nio" } }, "S3_ENDPOINT", NULL, 0 },
	{ "endpoint bad ipv4", { { "S3_ENDPOINT", "http://256.1.1.1" } }, "S3_ENDPOINT", NULL, 0 },
	{ "endpoint host 254", { { "S3_ENDPOINT", host254 } }, "S3_ENDPOINT", NULL, 0 },
	{ "endpoint 301 bytes", { { "S3_ENDPOINT", endpoint301 } }, "S3_ENDPOINT", NULL, 0 },
	{ "endpoint numeric last label", { { "S3_ENDPOINT", "http://127.1" } }, "S3_ENDPOINT", NULL, 0 },
	{ "endpoint hex IPv4", { { "S3_ENDPOINT", "http://0x7f.0.0.1" } }, "S3_ENDPOINT", NULL, 0 },

	{ "path style empty", { { "S3_PATH_STYLE", "" } }, "S3_PATH_STYLE", NULL, 0 },
	{ "path style true", { { "S3_PATH_STYLE", "true" } }, "S3_PATH_STYLE", NULL, 0 },
	{ "path style 01", { { "S3_PATH_STYLE", "01" } }, "S3_PATH_STYLE", NULL, 0 },
	{ "path style space", { { "S3_PATH_STYLE", " 1" } }, "S3_PATH_STYLE", NULL, 0 },
	{ "path style 2", { { "S3_PATH_STYLE", "2" } }, "S3_PATH_STYLE", NULL, 0 },

	{ "prefix absolute", { { "S3_KEY_PREFIX", "/abs/" } }, "S3_KEY_PREFIX", NULL, 0 },
	{ "prefix double slash", { { "S3_KEY_PREFIX", "ab//cd" } }, "S3_KEY_PREFIX", NULL, 0 },
	{ "prefix dot segment", { { "S3_KEY_PREFIX", "./up" } }, "S3_KEY_PREFIX", NULL, 0 },
	{ "prefix dotdot segment", { { "S3_KEY_PREFIX", "up/../x" } }, "S3_KEY_PREFIX", NULL, 0 },
	{ "prefix trailing dot", { { "S3_KEY_PREFIX", "up/." } }, "S3_KEY_PREFIX", NULL, 0 },
	{ "prefix dotdot", { { "S3_KEY_PREFIX", ".." } }, "S3_KEY_PREFIX", NULL, 0 },
	{ "prefix tab", { { "S3_KEY_PREFIX", "up\tload" } }, "S3_KEY_PREFIX", NULL, 0 },
	{ "prefix newline", { { "S3_KEY_PREFIX", "up\nload" } }, "S3_KEY_PREFIX", NULL, 0 },
	{ "prefix DEL", { { "S3_KEY_PREFIX", "up\x7fload" } }, "S3_KEY_PREFIX", NULL, 0 },
	{ "prefix bad utf-8", { { "S3_KEY_PREFIX", "up\xffload" } }, "S3_KEY_PREFIX", NULL, 0 },
	{ "prefix overlong", { { "S3_KEY_PREFIX", "up\xc0\xafload" } }, "S3_KEY_PREFIX", NULL, 0 },
	{ "prefix surrogate", { { "S3_KEY_PREFIX", "up\xed\xa0\x80load" } }, "S3_KEY_PREFIX", NULL, 0 },
	{ "prefix truncated utf-8", { { "S3_KEY_PREFIX", "upload\xe2\x82" } }, "S3_KEY_PREFIX", NULL, 0 },
	{ "prefix past U+10FFFF", { { "S3_KEY_PREFIX", "up\xf4\x90\x80\x80" } }, "S3_KEY_PREFIX", NULL, 0 },
	{ "prefix 513", { { "S3_KEY_PREFIX", prefix513 } }, "S3_KEY_PREFIX", NULL, 0 },

	{ "expires empty", { { "S3_EXPIRES", "" } }, "S3_EXPIRES", NULL, 0 },
	{ "expires 0", { { "S3_EXPIRES", "0" } }, "S3_EXPIRES", NULL, 0 },
	{ "expires 604801", { { "S3_EXPIRES", "604801" } }, "S3_EXPIRES", NULL, 0 },
	{ "expires negative", { { "S3_EXPIRES", "-1" } }, "S3_EXPIRES", NULL, 0 },
	{ "expires plus", { { "S3_EXPIRES", "+60" } }, "S3_EXPIRES", NULL, 0 },
	{ "expires leading space", { { "S3_EXPIRES", " 60" } }, "S3_EXPIRES", NULL, 0 },
	{ "expires trailing space", { { "S3_EXPIRES", "60 " } }, "S3_EXPIRES", NULL, 0 },
	{ "expires unit", { { "S3_EXPIRES", "60s" } }, "S3_EXPIRES", NULL, 0 },
	{ "expires overflow", { { "S3_EXPIRES", "18446744073709551677" } }, "S3_EXPIRES", NULL, 0 },
	{ "expires exponent", { { "S3_EXPIRES", "1e3" } }, "S3_EXPIRES", NULL, 0 },
	{ "expires hex", { { "S3_EXPIRES", "0x10" } }, "S3_EXPIRES", NULL, 0 },

	{ "acl public", { { "S3_ACL", "public" } }, "S3_ACL", NULL, 1 },
	{ "acl upper", { { "S3_ACL", "PRIVATE" } }, "S3_ACL", NULL, 0 },
	{ "acl trailing space", { { "S3_ACL", "private " } }, "S3_ACL", NULL, 1 },
	{ "acl bucket-only", { { "S3_ACL", "log-delivery-write" } }, "S3_ACL", NULL, 0 },

	{ "public no scheme", { { "S3_PUBLIC_URL", "cdn.example.com" } }, "S3_PUBLIC_URL", NULL, 0 },
	{ "public ftp", { { "S3_PUBLIC_URL", "ftp://cdn" } }, "S3_PUBLIC_URL", NULL, 0 },
	{ "public scheme only", { { "S3_PUBLIC_URL", "https://" } }, "S3_PUBLIC_URL", NULL, 1 },
	{ "public http only", { { "S3_PUBLIC_URL", "http://" } }, "S3_PUBLIC_URL", NULL, 1 },
	{ "public no host", { { "S3_PUBLIC_URL", "https:///x" } }, "S3_PUBLIC_URL", NULL, 0 },
	{ "public space", { { "S3_PUBLIC_URL", "https://cdn/a b" } }, "S3_PUBLIC_URL", NULL, 0 },
	{ "public control", { { "S3_PUBLIC_URL", "https://cdn/\x01x" } }, "S3_PUBLIC_URL", NULL, 0 },
	{ "public query", { { "S3_PUBLIC_URL", "https://cdn/?a=1" } }, "S3_PUBLIC_URL", NULL, 0 },
	{ "public fragment", { { "S3_PUBLIC_URL", "https://cdn/#frag" } }, "S3_PUBLIC_URL", NULL, 0 },
	{ "public 1025", { { "S3_PUBLIC_URL", public1025 } }, "S3_PUBLIC_URL", NULL, 0 },
	{ "public userinfo", { { "S3_PUBLIC_URL", "https://user@cdn.example.com/a" } },
	  "S3_PUBLIC_URL", NULL, 0 },
	{ "public bad port", { { "S3_PUBLIC_URL", "https://cdn:x/a" } }, "S3_PUBLIC_URL", NULL, 0 },
	{ "public bad host", { { "S3_PUBLIC_URL", "https://cdn_1/a" } }, "S3_PUBLIC_URL", NULL, 0 },
	{ "public non-ASCII", { { "S3_PUBLIC_URL", "https://cdn/\xc3\xa9" } },
	  "S3_PUBLIC_URL", NULL, 0 },

	{ "max body empty", { { "S3_MAX_BODY", "" } }, "S3_MAX_BODY", NULL, 0 },
	{ "max body 0", { { "S3_MAX_BODY", "0" } }, "S3_MAX_BODY", NULL, 0 },
	{ "max body over", { { "S3_MAX_BODY", "1048577" } }, "S3_MAX_BODY", NULL, 0 },
	{ "max body negative", { { "S3_MAX_BODY", "-5" } }, "S3_MAX_BODY", NULL, 0 },
	{ "max body unit", { { "S3_MAX_BODY", "16k" } }, "S3_MAX_BODY", NULL, 0 },

	{ "log empty", { { "S3_LOG_REQUESTS", "" } }, "S3_LOG_REQUESTS", NULL, 0 },
	{ "log yes", { { "S3_LOG_REQUESTS", "yes" } }, "S3_LOG_REQUESTS", NULL, 0 },
	{ "log 2", { { "S3_LOG_REQUESTS", "2" } }, "S3_LOG_REQUESTS", NULL, 0 },
	{ "log true", { { "S3_LOG_REQUESTS", "true" } }, "S3_LOG_REQUESTS", NULL, 0 },

	{ "require user yes", { { "S3_REQUIRE_USER", "yes" } }, "S3_REQUIRE_USER", NULL, 0 },
	{ "require user empty", { { "S3_REQUIRE_USER", "" } }, "S3_REQUIRE_USER", NULL, 0 },
	{ "prefix {user} without S3_REQUIRE_USER", { { "S3_KEY_PREFIX", "users/{user}/" } },
	  "S3_KEY_PREFIX", "S3_KEY_PREFIX: {user} needs S3_REQUIRE_USER=1", 1 },
	{ "prefix {user} with S3_REQUIRE_USER=0",
	  { { "S3_REQUIRE_USER", "0" }, { "S3_KEY_PREFIX", "{user}/" } },
	  "S3_KEY_PREFIX", "S3_KEY_PREFIX: {user} needs S3_REQUIRE_USER=1", 1 },
	{ "prefix {user} at the end",
	  { { "S3_REQUIRE_USER", "1" }, { "S3_KEY_PREFIX", "users/{user}" } },
	  "S3_KEY_PREFIX", "S3_KEY_PREFIX: expected {user} at most once, followed by '/'", 1 },
	{ "prefix {user} then text",
	  { { "S3_REQUIRE_USER", "1" }, { "S3_KEY_PREFIX", "users/{user}-x/" } },
	  "S3_KEY_PREFIX", NULL, 1 },
	{ "prefix {user} twice",
	  { { "S3_REQUIRE_USER", "1" }, { "S3_KEY_PREFIX", "{user}/{user}/" } },
	  "S3_KEY_PREFIX", NULL, 1 },
	{ "prefix {user} and a bad segment",
	  { { "S3_REQUIRE_USER", "1" }, { "S3_KEY_PREFIX", "{user}//" } },
	  "S3_KEY_PREFIX", NULL, 0 },

	{ "allowed types no slash", { { "S3_ALLOWED_TYPES", "image" } }, "S3_ALLOWED_TYPES", NULL, 0 },
	{ "allowed types spaces only", { { "S3_ALLOWED_TYPES", "  " } }, "S3_ALLOWED_TYPES", NULL, 0 },
	{ "allowed types empty entry", { { "S3_ALLOWED_TYPES", "image/png,,text/plain" } },
	  "S3_ALLOWED_TYPES", NULL, 0 },
	{ "allowed types trailing comma", { { "S3_ALLOWED_TYPES", "image/png," } },
	  "S3_ALLOWED_TYPES", NULL, 0 },
	{ "allowed types leading comma", { { "S3_ALLOWED_TYPES", ",image/png" } },
	  "S3_ALLOWED_TYPES", NULL, 0 },
	{ "allowed types star type", { { "S3_ALLOWED_TYPES", "*/png" } }, "S3_ALLOWED_TYPES", NULL, 0 },
	{ "allowed types partial star", { { "S3_ALLOWED_TYPES", "image/p*" } },
	  "S3_ALLOWED_TYPES", NULL, 0 },
	{ "allowed types parameter", { { "S3_ALLOWED_TYPES", "text/plain;charset=utf-8" } },
	  "S3_ALLOWED_TYPES", NULL, 0 },
	{ "allowed types space inside", { { "S3_ALLOWED_TYPES", "image /png" } },
	  "S3_ALLOWED_TYPES", NULL, 0 },
	{ "allowed types two slashes", { { "S3_ALLOWED_TYPES", "image/png/x" } },
	  "S3_ALLOWED_TYPES", NULL, 0 },
	{ "allowed types empty subtype", { { "S3_ALLOWED_TYPES", "image/" } }, "S3_ALLOWED_TYPES", NULL, 0 },
	{ "allowed types empty type", { { "S3_ALLOWED_TYPES", "/png" } }, "S3_ALLOWED_TYPES", NULL, 0 },
	{ "allowed types non-ascii", { { "S3_ALLOWED_TYPES", "image/p\xc3\xa9g" } },
	  "S3_ALLOWED_TYPES", NULL, 0 },
	{ "allowed types 65 entries", { { "S3_ALLOWED_TYPES", types65 } }, "S3_ALLOWED_TYPES", NULL, 0 },
	{ "allowed types 2049 bytes", { { "S3_ALLOWED_TYPES", types2049 } },
	  "S3_ALLOWED_TYPES", NULL, 0 },

	{ "require file_head 2", { { "S3_REQUIRE_FILE_HEAD", "2" } }, "S3_REQUIRE_FILE_HEAD", NULL, 0 },

	{ "magic file relative", { { "S3_MAGIC_FILE", "magic.mgc" } }, "S3_MAGIC_FILE",
	  "S3_MAGIC_FILE: expected an absolute path", 0 },
	{ "magic file newline", { { "S3_MAGIC_FILE", "/a/magic\n.mgc" } }, "S3_MAGIC_FILE",
	  "S3_MAGIC_FILE: expected no control characters", 0 },
	{ "magic file 4097 bytes", { { "S3_MAGIC_FILE", path4097 } }, "S3_MAGIC_FILE",
	  "S3_MAGIC_FILE: expected at most 4096 bytes", 0 },
	{ "max name bytes 0", { { "S3_MAX_NAME_BYTES", "0" } }, "S3_MAX_NAME_BYTES",
	  "S3_MAX_NAME_BYTES: expected an integer 1..255 (bytes)", 0 },
	{ "max name bytes 256", { { "S3_MAX_NAME_BYTES", "256" } }, "S3_MAX_NAME_BYTES", NULL, 0 },
	{ "max name bytes empty", { { "S3_MAX_NAME_BYTES", "" } }, "S3_MAX_NAME_BYTES", NULL, 0 },
	{ "max name bytes unit", { { "S3_MAX_NAME_BYTES", "100b" } }, "S3_MAX_NAME_BYTES", NULL, 0 },

	{ "active types inline", { { "S3_ACTIVE_TYPES", "inline" } }, "S3_ACTIVE_TYPES",
	  "S3_ACTIVE_TYPES: expected attachment (signed as a download), refuse (415) or allow", 0 },
	{ "active types empty", { { "S3_ACTIVE_TYPES", "" } }, "S3_ACTIVE_TYPES", NULL, 0 },
	{ "active types upper", { { "S3_ACTIVE_TYPES", "REFUSE" } }, "S3_ACTIVE_TYPES", NULL, 0 },
	{ "active types trailing space", { { "S3_ACTIVE_TYPES", "attachment " } },
	  "S3_ACTIVE_TYPES", NULL, 1 },
	{ "active types 1", { { "S3_ACTIVE_TYPES", "1" } }, "S3_ACTIVE_TYPES", NULL, 0 },

	{ "cors origin with a path", { { "S3_CORS_ORIGINS", "https://app.example.com/" } },
	  "S3_CORS_ORIGINS", NULL, 0 },
	{ "cors origin not a URL", { { "S3_CORS_ORIGINS", "app.example.com" } },
	  "S3_CORS_ORIGINS", NULL, 0 },
	{ "cors origin ftp", { { "S3_CORS_ORIGINS", "ftp://app.example.com" } },
	  "S3_CORS_ORIGINS", NULL, 0 },
	{ "cors origin twice", { { "S3_CORS_ORIGINS", "http://a.example,HTTP://A.example:80" } },
	  "S3_CORS_ORIGINS", "S3_CORS_ORIGINS: an origin is given twice", 0 },
	{ "cors origins only commas", { { "S3_CORS_ORIGINS", " , ," } }, "S3_CORS_ORIGINS", NULL, 0 },
	{ "cors origins 17", { { "S3_CORS_ORIGINS", "http://a1.x,http://a2.x,http://a3.x,"
	  "http://a4.x,http://a5.x,http://a6.x,http://a7.x,http://a8.x,http://a9.x,http://a10.x,"
	  "http://a11.x,http://a12.x,http://a13.x,http://a14.x,http://a15.x,http://a16.x,"
	  "http://a17.x" } }, "S3_CORS_ORIGINS", "S3_CORS_ORIGINS: expected at most 16 origins", 0 },
};

/* No value of env (4 bytes or more) appears in msg. */
static int echoes(const struct kv *env, const char *msg)
{
	for (const struct kv *kv = env; kv->name; kv++)
		if (kv->value && strlen(kv->value) >= 4 && strstr(msg, kv->value))
			return 1;
	return 0;
}

static int starts_with_var(const char *msg, const char *var)
{
	size_t n = strlen(var);

	return strncmp(msg, var, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ';
}

static void test_bad_cases(void)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *tc = &bad_cases[i];
		struct fake f = { tc->env, NULL, 1 };
		struct s3_config c;
		char err[ERRCAP];
		enum s3_err rc = s3_config_load(&c, fake_get, &f, err, sizeof(err));

		is_int(rc, S3_ERR_CONFIG, "%s: refused", tc->desc);
		if (!ok(starts_with_var(err, tc->var), "%s: names %s", tc->desc, tc->var))
			diag("errmsg: %s", err);
		if (tc->exact)
			is_str(err, tc->exact, "%s: message", tc->desc);
		if (!tc->echo_ok)
			ok(!echoes(tc->env, err), "%s: value not echoed", tc->desc);
		ok(cfg_empty(&c), "%s: cfg left empty", tc->desc);
		s3_config_free(&c);
	}
}

/* The message always fits errcap and is NUL-terminated. */
static void test_errcap(void)
{
	static const struct kv env[] = { { "S3_EXPIRES", "0" }, { NULL, NULL } };
	struct fake f = { env, NULL, 1 };
	struct s3_config c;
	char err[8];

	memset(err, 'X', sizeof(err));
	is_int(s3_config_load(&c, fake_get, &f, err, 5), S3_ERR_CONFIG, "errcap 5: refused");
	is_str(err, "S3_E", "errcap 5: cut and NUL-terminated");
	is_int(err[5], 'X', "errcap 5: nothing past errcap");
	is_int(s3_config_load(&c, fake_get, &f, NULL, 0), S3_ERR_CONFIG, "errcap 0: refused");
}

static void test_getenv(void)
{
	setenv("SIGN_S3_TEST_VAR", "value-1", 1);
	is_str(s3_config_getenv(NULL, "SIGN_S3_TEST_VAR"), "value-1", "getenv: set");
	unsetenv("SIGN_S3_TEST_VAR");
	ok(s3_config_getenv(NULL, "SIGN_S3_TEST_VAR") == NULL, "getenv: unset");
}

/* ---- the SIGN_S3_CONFIG file ------------------------------------------ */

static char tmp_path[64];

/* Writes n bytes (strlen when n is 0) to a new temp file; its path. */
static const char *write_tmp(const char *content, size_t n)
{
	int fd;

	snprintf(tmp_path, sizeof(tmp_path), "/tmp/test_config.XXXXXX");
	fd = mkstemp(tmp_path);
	if (fd < 0) {
		diag("mkstemp: %s", strerror(errno));
		exit(1);
	}
	if (!n)
		n = strlen(content);
	if (write(fd, content, n) != (ssize_t)n) {
		diag("write: %s", strerror(errno));
		exit(1);
	}
	close(fd);
	return tmp_path;
}

static void test_file_parse(void)
{
	static const char text[] =
		"# sign_s3 configuration\n"
		"\n"
		"   \t \n"
		"  S3_BUCKET = file-bucket  \n"
		"S3_REGION=\"eu-west-2\"\n"
		"S3_KEY_PREFIX='  spaced/ '\n"
		"\t# indented comment\n"
		"AWS_ACCESS_KEY_ID=AKIAFILEKEY\n"
		"AWS_SECRET_ACCESS_KEY = \"sec/ret+KEY=\"\r\n"
		"AWS_SESSION_TOKEN=abc==\n"
		"S3_ENDPOINT=HTTP://Minio:9000/\r\n"
		"S3_PUBLIC_URL='https://cdn.example.com/x/'\n"
		"S3_ACL=\n"
		"S3_EXPIRES= 300\n"
		"S3_PATH_STYLE=1\n"
		"S3_MAX_BODY=2048\n"
		"S3_REQUIRE_USER=1\n"
		"S3_ALLOWED_TYPES=\"image/*, application/pdf\"\n"
		"S3_REQUIRE_FILE_HEAD=1\n"
		"S3_MAX_NAME_BYTES=64\n"
		"S3_LOG_REQUESTS=1";          /* no final newline */
	static const struct kv none[] = { { NULL, NULL } };
	struct fake f = { none, write_tmp(text, 0), 0 };
	struct s3_config c;
	char err[ERRCAP];
	enum s3_err rc = s3_config_load(&c, fake_get, &f, err, sizeof(err));

	if (!ok(rc == S3_OK, "file: loaded"))
		diag("rc %d: %s", rc, err);
	is_str(c.bucket, "file-bucket", "file: whitespace trimmed");
	is_str(c.region, "eu-west-2", "file: double quotes removed");
	is_str(c.key_prefix, "  spaced/ ", "file: single quotes keep inner spaces");
	is_str(c.access_key, "AKIAFILEKEY", "file: access key");
	is_str(c.secret_key, "sec/ret+KEY=", "file: CRLF and quotes, '=' in value");
	is_str(c.session_token, "abc==", "file: value keeps '='");
	is_str(c.endpoint, "http://minio:9000", "file: endpoint normalized");
	is_int(c.endpoint_https, 0, "file: endpoint http");
	is_str(c.public_url, "https://cdn.example.com/x", "file: public url");
	ok(c.acl == NULL, "file: empty acl is none");
	is_int(c.expires, 300, "file: expires");
	is_int(c.style, S3_STYLE_PATH, "file: path style");
	is_int(c.max_body, 2048, "file: max body");
	is_int(c.log_requests, 1, "file: last line without newline");
	is_int(c.require_user, 1, "file: S3_REQUIRE_USER");
	is_str(c.allowed_types, "image/*,application/pdf", "file: S3_ALLOWED_TYPES");
	is_int(c.require_file_head, 1, "file: S3_REQUIRE_FILE_HEAD");
	is_int(c.max_name_bytes, 64, "file: S3_MAX_NAME_BYTES");
	s3_config_free(&c);
	unlink(f.file);
}

/* Accepted files: each checks one field. */
struct file_ok_case {
	const char *desc;
	const char *text;
	struct kv env[MAX_KV];
	enum field f;
	const char *want;
	long long num;
};

static const struct file_ok_case file_ok_cases[] = {
	{ "env wins over file", "S3_BUCKET=file-bucket\n",
	  { { "S3_BUCKET", "env-bucket" } }, F_BUCKET, "env-bucket", 0 },
	{ "file fills what env lacks", "S3_BUCKET=file-bucket\nS3_EXPIRES=90\n",
	  { { "S3_BUCKET", "env-bucket" } }, F_EXPIRES, NULL, 90 },
	{ "empty env endpoint wins", "S3_BUCKET=bkt\nS3_ENDPOINT=http://minio\n",
	  { { "S3_ENDPOINT", "" } }, F_ENDPOINT, NULL, 0 },
	{ "file S3_REGION beats env AWS_REGION", "S3_BUCKET=bkt\nS3_REGION=eu-west-3\n",
	  { { "AWS_REGION", "us-west-1" } }, F_REGION, "eu-west-3", 0 },
	{ "file AWS_DEFAULT_REGION", "S3_BUCKET=bkt\nAWS_DEFAULT_REGION=sa-east-1\n",
	  { { NULL, NULL } }, F_REGION, "sa-east-1", 0 },
	{ "empty file", "", { { "S3_BUCKET", "env-bucket" } }, F_BUCKET, "env-bucket", 0 },
	{ "only comments", "# a\n#b=c\n\n", { { "S3_BUCKET", "env-bucket" } },
	  F_PREFIX, "uploads/", 0 },
	{ "empty quotes", "S3_BUCKET=bkt\nS3_KEY_PREFIX=\"\"\n", { { NULL, NULL } },
	  F_PREFIX, "", 0 },
	{ "'#' inside a value", "S3_BUCKET=bkt\nS3_KEY_PREFIX=a#b/\n", { { NULL, NULL } },
	  F_PREFIX, "a#b/", 0 },
	{ "quote inside a value", "S3_BUCKET=bkt\nS3_KEY_PREFIX=it's/\n", { { NULL, NULL } },
	  F_PREFIX, "it's/", 0 },
	{ "file S3_ACTIVE_TYPES", "S3_BUCKET=bkt\nS3_ACTIVE_TYPES=refuse\n", { { NULL, NULL } },
	  F_ACTIVE, NULL, S3_ACTIVE_REFUSE },
	{ "file {user} prefix, env S3_REQUIRE_USER",
	  "S3_BUCKET=bkt\nS3_KEY_PREFIX=home/{user}/\n", { { "S3_REQUIRE_USER", "1" } },
	  F_PREFIX, "home/{user}/", 0 },
};

static void test_file_ok(void)
{
	for (size_t i = 0; i < sizeof(file_ok_cases) / sizeof(file_ok_cases[0]); i++) {
		const struct file_ok_case *tc = &file_ok_cases[i];
		struct fake f = { tc->env, NULL, 0 };
		struct s3_config c;
		char err[ERRCAP];
		enum s3_err rc;

		f.file = write_tmp(tc->text, 0);
		rc = s3_config_load(&c, fake_get, &f, err, sizeof(err));
		if (!ok(rc == S3_OK, "file %s: accepted", tc->desc))
			diag("rc %d: %s", rc, err);
		check_field(&c, tc->f, tc->want, tc->num, tc->desc);
		s3_config_free(&c);
		unlink(f.file);
	}
}

/* Refused files: the message is exactly "SIGN_S3_CONFIG: <path> line N: <what>". */
struct file_bad_case {
	const char *desc;
	const char *text;
	size_t len;            /* 0: strlen */
	unsigned line;
	const char *what;
	const char *secret;    /* NULL, or a value that must not be echoed */
};

#define NUL_TEXT "S3_BUCKET=bkt\nS3_REGION=eu\0west\n"

static const struct file_bad_case file_bad_cases[] = {
	{ "unknown name", "S3_BUCKET=bkt\nS3_NOPE=1\n", 0, 2, "unknown name", NULL },
	{ "name is case-sensitive", "s3_bucket=b\n", 0, 1, "unknown name", NULL },
	{ "SIGN_S3_CONFIG in file", "SIGN_S3_CONFIG=/etc/x\n", 0, 1, "unknown name", NULL },
	{ "unknown name with secret", "# c\nAWS_SECRET_KEY=wJalrSECRETvalue\n", 0, 2,
	  "unknown name", "wJalrSECRETvalue" },
	{ "no '='", "S3_BUCKET=bkt\n\njust some text\n", 0, 3, "expected NAME=value", NULL },
	{ "secret without name", "wJalrSECRETnoname\n", 0, 1, "expected NAME=value",
	  "wJalrSECRETnoname" },
	{ "empty name", "  = value\n", 0, 1, "expected NAME=value", NULL },
	{ "duplicate", "S3_BUCKET=a\n# c\nS3_BUCKET=b\n", 0, 3,
	  "duplicate name (first set on line 1)", NULL },
	{ "duplicate secret", "AWS_SECRET_ACCESS_KEY=wJalrFIRST\nAWS_SECRET_ACCESS_KEY=wJalrSECOND\n",
	  0, 2, "duplicate name (first set on line 1)", "wJalrSECOND" },
	{ "NUL byte", NUL_TEXT, sizeof(NUL_TEXT) - 1, 2, "NUL byte", NULL },
	{ "unmatched double quote", "S3_BUCKET=\"abc\n", 0, 1, "unmatched quote", NULL },
	{ "mismatched quotes", "S3_BUCKET=bkt\nS3_KEY_PREFIX=\"a'\n", 0, 2, "unmatched quote", NULL },
	{ "lone quote", "S3_BUCKET='\n", 0, 1, "unmatched quote", NULL },
};

static void expect_file_msg(const char *err, const char *path, unsigned line,
                            const char *what, const char *desc)
{
	char want[ERRCAP + 128];

	snprintf(want, sizeof(want), "SIGN_S3_CONFIG: %s line %u: %s", path, line, what);
	is_str(err, want, "file %s: message", desc);
}

static void test_file_bad(void)
{
	for (size_t i = 0; i < sizeof(file_bad_cases) / sizeof(file_bad_cases[0]); i++) {
		const struct file_bad_case *tc = &file_bad_cases[i];
		struct fake f = { NULL, write_tmp(tc->text, tc->len), 1 };
		struct s3_config c;
		char err[ERRCAP];

		is_int(s3_config_load(&c, fake_get, &f, err, sizeof(err)), S3_ERR_CONFIG,
		       "file %s: refused", tc->desc);
		expect_file_msg(err, f.file, tc->line, tc->what, tc->desc);
		if (tc->secret)
			ok(!strstr(err, tc->secret), "file %s: value not echoed", tc->desc);
		ok(cfg_empty(&c), "file %s: cfg left empty", tc->desc);
		unlink(f.file);
	}
}

/* A value from the file that fails validation names the variable, the
 * file and the line, not the value. */
static void test_file_invalid_value(void)
{
	static const char text[] = "S3_BUCKET=bkt\n\nAWS_ACCESS_KEY_ID=AKIAX\n"
	                           "AWS_SECRET_ACCESS_KEY=wJalr BADSECRET\n";
	struct fake f = { NULL, write_tmp(text, 0), 0 };
	struct s3_config c;
	char err[ERRCAP], want[ERRCAP];

	is_int(s3_config_load(&c, fake_get, &f, err, sizeof(err)), S3_ERR_CONFIG,
	       "file bad secret: refused");
	snprintf(want, sizeof(want), "AWS_SECRET_ACCESS_KEY: expected 1..%d printable ASCII "
	         "characters (0x21-0x7e) (SIGN_S3_CONFIG: %s line 4)", SIGV4_MAX_SECRET, f.file);
	is_str(err, want, "file bad secret: names variable, file and line");
	ok(!strstr(err, "BADSECRET"), "file bad secret: value not echoed");
	unlink(f.file);
}

/* An environment value that fails is reported without the file's line. */
static void test_file_env_bad(void)
{
	static const struct kv env[] = { { "S3_EXPIRES", "0" }, { NULL, NULL } };
	struct fake f = { env, write_tmp("S3_BUCKET=bkt\nS3_EXPIRES=30\n", 0), 0 };
	struct s3_config c;
	char err[ERRCAP];

	is_int(s3_config_load(&c, fake_get, &f, err, sizeof(err)), S3_ERR_CONFIG,
	       "env bad over good file: refused");
	is_str(err, "S3_EXPIRES: expected an integer 1..604800 (seconds)",
	       "env bad over good file: env value named");
	unlink(f.file);
}

static char *make_text(size_t n, const char *head)
{
	char *s = malloc(n + 1);

	if (!s)
		exit(1);
	fill(s, n, head, 'x');
	return s;
}

static void test_file_limits(void)
{
	/* "S3_BUCKET=bkt\n#xxx...": line 2 is exactly the limit, then one more */
	const char *head = "S3_BUCKET=bkt\n#";
	size_t hl = strlen(head) - 1;
	struct fake f = { NULL, NULL, 0 };
	struct s3_config c;
	char err[ERRCAP], *t;

	t = make_text(hl + S3_CONFIG_MAX_LINE, head);
	f.file = write_tmp(t, 0);
	is_int(s3_config_load(&c, fake_get, &f, err, sizeof(err)), S3_OK,
	       "line of exactly S3_CONFIG_MAX_LINE bytes: accepted");
	s3_config_free(&c);
	unlink(f.file);
	free(t);

	t = make_text(hl + S3_CONFIG_MAX_LINE + 1, head);
	f.file = write_tmp(t, 0);
	is_int(s3_config_load(&c, fake_get, &f, err, sizeof(err)), S3_ERR_CONFIG,
	       "line over S3_CONFIG_MAX_LINE: refused");
	expect_file_msg(err, f.file, 2, "longer than 16384 bytes", "long line");
	unlink(f.file);
	free(t);

	/* whole file: lines of 1000 bytes ("#xxx\n"), padded to the size */
	t = make_text(S3_CONFIG_MAX_FILE, "S3_BUCKET=bkt\n");
	for (size_t i = 14; i < S3_CONFIG_MAX_FILE; i += 1000) {
		t[i] = '#';
		if (i + 999 < S3_CONFIG_MAX_FILE)
			t[i + 999] = '\n';
	}
	f.file = write_tmp(t, 0);
	is_int(s3_config_load(&c, fake_get, &f, err, sizeof(err)), S3_OK,
	       "file of exactly S3_CONFIG_MAX_FILE bytes: accepted");
	if (err[0])
		diag("%s", err);
	s3_config_free(&c);
	unlink(f.file);
	free(t);

	t = make_text(S3_CONFIG_MAX_FILE + 1, "S3_BUCKET=bkt\n#");
	f.file = write_tmp(t, 0);
	is_int(s3_config_load(&c, fake_get, &f, err, sizeof(err)), S3_ERR_CONFIG,
	       "file over S3_CONFIG_MAX_FILE: refused");
	{
		char want[ERRCAP];

		snprintf(want, sizeof(want), "SIGN_S3_CONFIG: %s: larger than %d bytes",
		         f.file, S3_CONFIG_MAX_FILE);
		is_str(err, want, "big file: message");
	}
	ok(cfg_empty(&c), "big file: cfg left empty");
	unlink(f.file);
	free(t);
}

static void test_file_missing(void)
{
	struct fake f = { NULL, "/tmp/test_config.does-not-exist", 1 };
	struct s3_config c;
	char err[ERRCAP];

	is_int(s3_config_load(&c, fake_get, &f, err, sizeof(err)), S3_ERR_IO,
	       "missing file: S3_ERR_IO");
	is_str(err, "SIGN_S3_CONFIG: cannot read /tmp/test_config.does-not-exist: "
	       "No such file or directory", "missing file: message");
	ok(cfg_empty(&c), "missing file: cfg left empty");

	f.file = "/tmp";
	is_int(s3_config_load(&c, fake_get, &f, err, sizeof(err)), S3_ERR_IO,
	       "directory: S3_ERR_IO");
	is_str(err, "SIGN_S3_CONFIG: cannot read /tmp: Is a directory", "directory: message");

	f.file = "";
	is_int(s3_config_load(&c, fake_get, &f, err, sizeof(err)), S3_ERR_CONFIG,
	       "empty SIGN_S3_CONFIG: refused");
	ok(starts_with_var(err, "SIGN_S3_CONFIG"), "empty SIGN_S3_CONFIG: named");
}

int main(void)
{
	fill_long();
	test_defaults();
	test_ok_cases();
	test_bad_cases();
	test_errcap();
	test_getenv();
	test_file_parse();
	test_file_ok();
	test_file_bad();
	test_file_invalid_value();
	test_file_env_bad();
	test_file_limits();
	test_file_missing();
	return done_testing();
}
