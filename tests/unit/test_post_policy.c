/* test_post_policy.c - s3_presign_post (common/post_policy.h): the fields
 * and their order, the policy JSON byte for byte and as JSON, the
 * signature recomputed here with OpenSSL's one-shot HMAC, the escaping of
 * awkward keys, addressing, refusals and limits; then parity with
 * botocore's generate_presigned_post (tests/lib/botocore_post.py). The
 * local S3 (Swift's s3api) has no POST Object: botocore is the reference. */
#include "tap.h"
#include "base64.h"
#include "date.h"
#include "json.h"
#include "post_policy.h"

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WHEN 1796378410   /* 20261204T100010Z */
#define AK   "AKIDEXAMPLE"
#define SK   "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

static const struct s3_creds creds = { AK, SK, NULL };

static const char *field(const struct s3_post_form *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->field[i].name, name))
			return f->field[i].value;
	return NULL;
}

/* The policy field decoded (NUL-terminated) into out; its length or -1. */
static long policy_of(const struct s3_post_form *f, char *out, size_t cap)
{
	const char *b64 = field(f, "policy");
	size_t n = 0;

	if (!b64 || s3_base64_decode(b64, strlen(b64), (unsigned char *)out, cap - 1, &n))
		return -1;
	out[n] = '\0';
	return (long)n;
}

/* hex HMAC-SHA256 chain, independent of sigv4.c: OpenSSL's HMAC(). */
static void expected_signature(const char *secret, const char *date8, const char *region,
                               const char *msg, char hex[65])
{
	unsigned char k[32], t[32];
	unsigned int n = 32;
	char ks[256];

	snprintf(ks, sizeof ks, "AWS4%s", secret);
	HMAC(EVP_sha256(), ks, (int)strlen(ks), (const unsigned char *)date8, 8, k, &n);
	HMAC(EVP_sha256(), k, 32, (const unsigned char *)region, strlen(region), t, &n);
	HMAC(EVP_sha256(), t, 32, (const unsigned char *)"s3", 2, k, &n);
	HMAC(EVP_sha256(), k, 32, (const unsigned char *)"aws4_request", 12, t, &n);
	HMAC(EVP_sha256(), t, 32, (const unsigned char *)msg, strlen(msg), k, &n);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", k[i]);
}

static void names_are(const struct s3_post_form *f, const char *const *want, size_t n,
                      const char *what)
{
	int same = f->n == n;

	for (size_t i = 0; same && i < n; i++)
		same = !strcmp(f->field[i].name, want[i]);
	ok(same, "%s: %zu fields in the fixed order", what, n);
	for (size_t i = 0; !same && i < f->n; i++)
		diag("field %zu: %s", i, f->field[i].name);
}

static void basic(void)
{
	static const char *const names[] = { "key", "Content-Type", "x-amz-algorithm",
		"x-amz-credential", "x-amz-date", "policy", "x-amz-signature" };
	const struct s3_target t = { "bkt", "us-east-1", NULL, S3_STYLE_AUTO };
	struct s3_post_in in = { .key = "uploads/a b.txt", .key_len = 15,
		.content_type = "text/plain", .expires = 3600, .now = WHEN };
	static struct s3_post_form f;
	char json[S3_POST_POLICY_MAX + 1], sig[65];

	is_int(s3_presign_post(&t, &creds, &in, NULL, &f), S3_OK, "basic: signed");
	is_str(f.url, "https://bkt.s3.amazonaws.com/", "basic: virtual-hosted bucket URL");
	names_are(&f, names, 7, "basic");
	is_str(field(&f, "key"), "uploads/a b.txt", "basic: key field");
	is_str(field(&f, "Content-Type"), "text/plain", "basic: Content-Type field");
	is_str(field(&f, "x-amz-algorithm"), "AWS4-HMAC-SHA256", "basic: algorithm");
	is_str(field(&f, "x-amz-credential"), AK "/20261204/us-east-1/s3/aws4_request",
	       "basic: credential");
	is_str(field(&f, "x-amz-date"), "20261204T100010Z", "basic: date");
	ok(policy_of(&f, json, sizeof json) > 0, "basic: the policy is base64");
	is_str(json, "{\"expiration\":\"2026-12-04T11:00:10.000Z\",\"conditions\":["
	       "{\"bucket\":\"bkt\"},{\"key\":\"uploads/a b.txt\"},{\"Content-Type\":\"text/plain\"},"
	       "{\"x-amz-algorithm\":\"AWS4-HMAC-SHA256\"},"
	       "{\"x-amz-credential\":\"" AK "/20261204/us-east-1/s3/aws4_request\"},"
	       "{\"x-amz-date\":\"20261204T100010Z\"}]}", "basic: the policy JSON");
	is_int(s3_json_check(json, strlen(json), 4, 0), S3_JSON_OK, "basic: strict JSON");
	expected_signature(SK, "20261204", "us-east-1", field(&f, "policy"), sig);
	is_str(field(&f, "x-amz-signature"), sig, "basic: signature = HMAC chain over the policy");
	s3_post_form_wipe(&f);
	ok(f.n == 0 && f.url[0] == '\0' && f.buf[0] == '\0', "wipe: the form is zeroed");
}

static void everything(void)
{
	static const char *const names[] = { "key", "Content-Type", "Content-Disposition", "acl",
		"x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-security-token",
		"policy", "x-amz-signature" };
	const struct s3_target t = { "bkt", "eu-west-1", NULL, S3_STYLE_PATH };
	const struct s3_creds c = { AK, SK, "FQoGZXIvYXdzEXAMPLE//token+=" };
	struct s3_post_in in = { .key = "k.pdf", .key_len = 5, .content_type = "application/pdf",
		.content_disposition = "attachment; filename=\"k.pdf\"", .acl = "public-read",
		.max_size = 10485760, .expires = 60, .now = WHEN };
	static struct s3_post_form f, g;
	struct sigv4_cache cache = { 0 };
	char json[S3_POST_POLICY_MAX + 1], sig[65];

	is_int(s3_presign_post(&t, &c, &in, &cache, &f), S3_OK, "all options: signed (cache)");
	is_str(f.url, "https://s3.eu-west-1.amazonaws.com/bkt/", "all options: path-style URL, ending in /");
	names_are(&f, names, 10, "all options");
	is_str(field(&f, "Content-Disposition"), in.content_disposition, "all options: disposition");
	is_str(field(&f, "acl"), "public-read", "all options: acl");
	is_str(field(&f, "x-amz-security-token"), c.session_token, "all options: token field");
	policy_of(&f, json, sizeof json);
	is_str(json, "{\"expiration\":\"2026-12-04T10:01:10.000Z\",\"conditions\":["
	       "{\"bucket\":\"bkt\"},{\"key\":\"k.pdf\"},{\"Content-Type\":\"application/pdf\"},"
	       "{\"Content-Disposition\":\"attachment; filename=\\\"k.pdf\\\"\"},"
	       "{\"acl\":\"public-read\"},[\"content-length-range\",0,10485760],"
	       "{\"x-amz-algorithm\":\"AWS4-HMAC-SHA256\"},"
	       "{\"x-amz-credential\":\"" AK "/20261204/eu-west-1/s3/aws4_request\"},"
	       "{\"x-amz-date\":\"20261204T100010Z\"},"
	       "{\"x-amz-security-token\":\"FQoGZXIvYXdzEXAMPLE//token+=\"}]}",
	       "all options: the policy JSON");
	expected_signature(SK, "20261204", "eu-west-1", field(&f, "policy"), sig);
	is_str(field(&f, "x-amz-signature"), sig, "all options: signature");
	is_int(s3_presign_post(&t, &c, &in, &cache, &g), S3_OK, "again with the warm cache");
	is_str(field(&g, "x-amz-signature"), sig, "the cached key signs alike");
	is_int(s3_presign_post(&t, &c, &in, NULL, &g), S3_OK, "without a cache");
	is_str(field(&g, "x-amz-signature"), sig, "a local key signs alike");
	sigv4_cache_clear(&cache);
	s3_post_form_wipe(&f);
	s3_post_form_wipe(&g);
}

/* Keys that need escaping: the policy must read back to the very bytes. */
static void escaping(void)
{
	static const char *const keys[] = {
		"say \"hi\".txt", "back\\slash\\", "dossier/\xc3\xa9t\xc3\xa9 \xe2\x82\xac.pdf",
		"\xf0\x9f\x98\x80/emoji", "ctl\x01\x1f\t\n\r\b\f\x7f.bin", "</script><x>&amp;",
		"'single' {json} [x]", "slash/\\\"/mix",
	};
	const struct s3_target t = { "bkt", "us-east-1", NULL, S3_STYLE_AUTO };
	static struct s3_post_form f;
	char json[S3_POST_POLICY_MAX + 1];

	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
		struct s3_post_in in = { .key = keys[i], .key_len = strlen(keys[i]),
			.content_type = "text/plain", .expires = 60, .now = WHEN };
		cJSON *root, *cond, *k;
		long n;

		is_int(s3_presign_post(&t, &creds, &in, NULL, &f), S3_OK, "escaping %zu: signed", i);
		is_str(field(&f, "key"), keys[i], "escaping %zu: the key field is the raw key", i);
		n = policy_of(&f, json, sizeof json);
		is_int(s3_json_check(json, (size_t)n, 4, S3_JSON_NO_LONE_SURROGATES), S3_JSON_OK,
		       "escaping %zu: the policy is strict JSON", i);
		root = cJSON_ParseWithLength(json, (size_t)n);
		cond = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "conditions"), 1);
		k = cJSON_GetObjectItemCaseSensitive(cond, "key");
		is_str(cJSON_GetStringValue(k), keys[i], "escaping %zu: the key condition reads back", i);
		cJSON_Delete(root);
	}
	{
		struct s3_post_in in = { .key = "a\x01\"\\", .key_len = 4,
			.content_type = "text/plain", .expires = 60, .now = WHEN };

		s3_presign_post(&t, &creds, &in, NULL, &f);
		policy_of(&f, json, sizeof json);
		ok(strstr(json, "{\"key\":\"a\\u0001\\\"\\\\\"}") != NULL,
		   "escaping: a control as \\u0001, quote and backslash escaped");
	}
	s3_post_form_wipe(&f);
}

static void addressing(void)
{
	static const struct { struct s3_target t; const char *url; } cases[] = {
		{ { "bkt", "us-east-1", NULL, S3_STYLE_AUTO }, "https://bkt.s3.amazonaws.com/" },
		{ { "bkt", "eu-west-1", NULL, S3_STYLE_VIRTUAL }, "https://bkt.s3.eu-west-1.amazonaws.com/" },
		{ { "bkt", "cn-north-1", NULL, S3_STYLE_AUTO }, "https://bkt.s3.cn-north-1.amazonaws.com.cn/" },
		{ { "bkt", "us-east-1", NULL, S3_STYLE_PATH }, "https://s3.amazonaws.com/bkt/" },
		{ { "my.bkt", "us-east-1", NULL, S3_STYLE_AUTO }, "https://s3.amazonaws.com/my.bkt/" },
		{ { "bkt", "us-east-1", "http://127.0.0.1:8080", S3_STYLE_AUTO }, "http://127.0.0.1:8080/bkt/" },
		{ { "bkt", "us-east-1", "http://127.0.0.1:8080", S3_STYLE_VIRTUAL }, "http://127.0.0.1:8080/bkt/" },
		{ { "Old_Bkt", "us-east-1", "http://s3.local:8080", S3_STYLE_AUTO }, "http://s3.local:8080/Old_Bkt/" },
		{ { "bkt", "us-east-1", "https://minio.example.com:9000", S3_STYLE_VIRTUAL },
		  "https://bkt.minio.example.com:9000/" },
	};
	struct s3_post_in in = { .key = "k", .key_len = 1, .content_type = "text/plain",
		.expires = 60, .now = WHEN };
	static struct s3_post_form f;
	char want[S3_POST_URL_MAX];

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		is_int(s3_presign_post(&cases[i].t, &creds, &in, NULL, &f), S3_OK,
		       "addressing %zu: signed", i);
		is_str(f.url, cases[i].url, "addressing %zu: the bucket URL", i);
		s3_bucket_url(&cases[i].t, want, sizeof want);
		is_str(f.url, want, "addressing %zu: s3_bucket_url's", i);
	}
	is_int(s3_bucket_url(&cases[0].t, want, 10), S3_ERR_TOOLONG, "s3_bucket_url: too small");
	is_str(want, "", "s3_bucket_url: nothing on error");
	s3_post_form_wipe(&f);
}

static void refusals(void)
{
	const struct s3_target t = { "bkt", "us-east-1", NULL, S3_STYLE_AUTO };
	const struct s3_target bad_bucket = { "Bad_Bucket", "us-east-1", NULL, S3_STYLE_AUTO };
	const struct s3_target bad_region = { "bkt", "us east", NULL, S3_STYLE_AUTO };
	const struct s3_target bad_ep = { "bkt", "us-east-1", "ftp://x", S3_STYLE_AUTO };
	const struct s3_creds nocreds = { "", SK, NULL }, badtok = { AK, SK, "a b" };
	const struct s3_post_in base = { .key = "k", .key_len = 1, .content_type = "text/plain",
		.expires = 60, .now = WHEN };
	static char big[SIGV4_MAX_KEY + 2], token[SIGV4_MAX_TOKEN + 1], ctype[SIGV4_MAX_CONTENT_TYPE + 2];
	static struct s3_post_form f;
	struct s3_post_in in;
	long n;
	char json[S3_POST_POLICY_MAX + 1];

#define REFUSED(want, what) do {                                                         \
	f.n = 99, f.url[0] = 'x';                                                        \
	is_int(s3_presign_post(&t, &creds, &in, NULL, &f), want, "refused: %s", what);   \
	ok(f.n == 0 && f.url[0] == '\0', "refused: %s: the form is empty", what);         \
} while (0)
	in = base, in.key_len = 0;
	REFUSED(S3_ERR_INVAL, "an empty key");
	memset(big, 'a', sizeof big - 1);
	in = base, in.key = big, in.key_len = SIGV4_MAX_KEY + 1;
	REFUSED(S3_ERR_TOOLONG, "a key over SIGV4_MAX_KEY");
	in = base, in.key = "a\xc3", in.key_len = 2;
	REFUSED(S3_ERR_UTF8, "a key that is not UTF-8");
	in = base, in.key = "a\0b", in.key_len = 3;
	REFUSED(S3_ERR_UTF8, "a key with a NUL");
	in = base, in.key = "up/${filename}", in.key_len = 14;
	REFUSED(S3_ERR_INVAL, "a key with ${filename}");
	in = base, in.content_type = NULL;
	REFUSED(S3_ERR_INVAL, "no Content-Type");
	in = base, in.content_type = "";
	REFUSED(S3_ERR_INVAL, "an empty Content-Type");
	in = base, in.content_type = "text/plain\r\nX: y";
	REFUSED(S3_ERR_INVAL, "CR LF in the Content-Type");
	memset(ctype, 'a', sizeof ctype - 1);
	in = base, in.content_type = ctype;
	REFUSED(S3_ERR_TOOLONG, "a Content-Type over SIGV4_MAX_CONTENT_TYPE");
	in = base, in.content_disposition = "inline\n";
	REFUSED(S3_ERR_INVAL, "a control in the Content-Disposition");
	in = base, in.acl = "everyone";
	REFUSED(S3_ERR_INVAL, "an acl that is not canned");
	in = base, in.expires = 0;
	REFUSED(S3_ERR_RANGE, "expires 0");
	in = base, in.expires = SIGV4_EXPIRES_MAX + 1;
	REFUSED(S3_ERR_RANGE, "expires over 7 days");
	in = base, in.max_size = S3_POST_SIZE_MAX + 1;
	REFUSED(S3_ERR_RANGE, "max_size over 5 GiB");
	in = base, in.min_size = 11, in.max_size = 10;
	REFUSED(S3_ERR_RANGE, "min_size over max_size");
	in = base, in.now = -1;
	REFUSED(S3_ERR_RANGE, "a time before 1970");
	in = base, in.now = 253402300799, in.expires = 1;   /* 9999-12-31T23:59:59Z + 1 */
	REFUSED(S3_ERR_RANGE, "an expiration after 9999");
#undef REFUSED
	in = base;
	is_int(s3_presign_post(&bad_bucket, &creds, &in, NULL, &f), S3_ERR_INVAL, "refused: a bad AWS bucket");
	is_int(s3_presign_post(&bad_region, &creds, &in, NULL, &f), S3_ERR_INVAL, "refused: a bad region");
	is_int(s3_presign_post(&bad_ep, &creds, &in, NULL, &f), S3_ERR_INVAL, "refused: a bad endpoint");
	is_int(s3_presign_post(&t, &nocreds, &in, NULL, &f), S3_ERR_NOCREDS, "refused: no access key");
	is_int(s3_presign_post(&t, &badtok, &in, NULL, &f), S3_ERR_NOCREDS, "refused: a token with a space");
	is_int(s3_presign_post(NULL, &creds, &in, NULL, &f), S3_ERR_INVAL, "refused: no target");
	is_int(s3_presign_post(&t, &creds, &in, NULL, NULL), S3_ERR_INVAL, "refused: no form");

	/* S3_POST_POLICY_MAX exactly: the policy of key "k" with a token is
	 * fixed + token bytes; fill it to 4096, then one byte more */
	{
		struct s3_creds c = { AK, SK, "x" };
		size_t fixed, room;

		is_int(s3_presign_post(&t, &c, &in, NULL, &f), S3_OK, "limit: a short token signs");
		n = policy_of(&f, json, sizeof json);
		fixed = (size_t)n - 1;
		room = S3_POST_POLICY_MAX - fixed;
		ok(room < sizeof token, "limit: a token can reach the policy limit");
		memset(token, 'T', room);
		token[room] = '\0';
		c.session_token = token;
		is_int(s3_presign_post(&t, &c, &in, NULL, &f), S3_OK, "limit: a policy of exactly %d bytes",
		       S3_POST_POLICY_MAX);
		is_int(policy_of(&f, json, sizeof json), S3_POST_POLICY_MAX, "limit: it is that long");
		is_str(field(&f, "x-amz-security-token"), token, "limit: the whole token in the form");
		token[room] = 'T', token[room + 1] = '\0';
		is_int(s3_presign_post(&t, &c, &in, NULL, &f), S3_ERR_TOOLONG,
		       "limit: one byte more is refused, not cut");
		ok(f.n == 0, "limit: the form is empty");
		memset(big, '\x01', SIGV4_MAX_KEY);   /* 6 bytes each in JSON */
		in.key = big, in.key_len = SIGV4_MAX_KEY;
		is_int(s3_presign_post(&t, &creds, &in, NULL, &f), S3_ERR_TOOLONG,
		       "limit: a key that escapes past the limit is refused");
	}
	s3_post_form_wipe(&f);
}

/* ---- parity with botocore ---------------------------------------------- */

struct pcase {
	struct s3_target t;
	const char *boto_endpoint, *boto_style;   /* the botocore client's */
	const char *token, *key, *ctype, *disp, *acl;
	unsigned long long max_size;
	unsigned expires;
};

static const struct pcase pcases[] = {
	{ { "bkt", "us-east-1", NULL, S3_STYLE_AUTO }, "-", "virtual",
	  NULL, "uploads/a b.txt", "text/plain", NULL, NULL, 0, 3600 },
	/* regional virtual host: botocore's client on the regional endpoint
	 * (its default posts to the global one: post_policy.h) */
	{ { "bkt", "eu-west-1", NULL, S3_STYLE_AUTO }, "https://s3.eu-west-1.amazonaws.com", "virtual",
	  "FQoGZXIvYXdzEXAMPLE//token+=", "we\"ird\\name.png", "image/png",
	  "attachment; filename=\"x.png\"", "public-read", 10485760, 600 },
	{ { "bkt", "eu-west-1", NULL, S3_STYLE_PATH }, "-", "path",
	  NULL, "dossier/\xc3\xa9t\xc3\xa9 \xe2\x82\xac\x01\x1f.pdf", "application/pdf", NULL,
	  "private", 1, 604800 },
	{ { "bkt", "us-east-1", NULL, S3_STYLE_PATH }, "-", "path",
	  NULL, "\xf0\x9f\x98\x80", "image/jpeg", "inline", NULL, S3_POST_SIZE_MAX, 1 },
	{ { "Old_Bkt", "us-east-1", "http://127.0.0.1:8080", S3_STYLE_AUTO }, "http://127.0.0.1:8080", "path",
	  "tok/with+slash=", "a/b/c", "application/octet-stream", NULL, "bucket-owner-full-control",
	  0, 900 },
	{ { "my-bucket", "ap-southeast-2", "https://minio.example.com:9000", S3_STYLE_VIRTUAL },
	  "https://minio.example.com:9000", "virtual", NULL, "x", "text/csv; charset=utf-8",
	  NULL, NULL, 5, 3600 },
	{ { "bkt", "cn-north-1", NULL, S3_STYLE_AUTO }, "-", "virtual",
	  NULL, "</script>&'", "text/html", "attachment", NULL, 0, 60 },
};

/* Every condition of a is in b, and they are as many (no duplicates in ours). */
static int same_conditions(const cJSON *a, const cJSON *b)
{
	const cJSON *x, *y;

	if (!cJSON_IsArray(a) || !cJSON_IsArray(b) || cJSON_GetArraySize(a) != cJSON_GetArraySize(b))
		return 0;
	cJSON_ArrayForEach(x, a) {
		int found = 0;

		cJSON_ArrayForEach(y, b)
			found |= cJSON_Compare(x, y, 1);
		if (!found) {
			char *s = cJSON_PrintUnformatted(x);

			diag("not in botocore's policy: %s", s ? s : "?");
			free(s);
			return 0;
		}
	}
	return 1;
}

static time_t expiration_of(const cJSON *policy)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(policy, "expiration"));
	time_t t = 0;

	return s && !s3_date_parse_rfc3339(s, &t) ? t : (time_t)-1;
}

static void compare(size_t i, const struct s3_post_form *f, const char *line)
{
	cJSON *r = cJSON_Parse(line), *bf, *ours, *mine;
	char json[S3_POST_POLICY_MAX + 1];
	long n = policy_of(f, json, sizeof json);
	int same = 1;

	if (!ok(r != NULL, "botocore %zu: an answer", i)) {
		diag("%s", line);
		return;
	}
	{
		/* botocore leaves a path-style form URL without the trailing '/'
		 * sign_s3 adds (presign.h, s3_bucket_url); S3 takes both */
		const char *bu = cJSON_GetStringValue(cJSON_GetObjectItem(r, "url"));
		char want[S3_POST_URL_MAX + 2];

		snprintf(want, sizeof want, "%s%s", bu ? bu : "",
		         bu && *bu && bu[strlen(bu) - 1] != '/' ? "/" : "");
		is_str(f->url, want, "botocore %zu: url (a '/' added to a path-style one)", i);
	}
	bf = cJSON_GetObjectItemCaseSensitive(r, "fields");
	is_int(cJSON_GetArraySize(bf), f->n, "botocore %zu: as many fields", i);
	for (size_t j = 0; j < f->n; j++) {
		const char *name = f->field[j].name, *v =
			cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(bf, name));

		if (!v || (strcmp(name, "policy") && strcmp(name, "x-amz-signature") &&
		           strcmp(v, f->field[j].value))) {
			diag("field %s: ours '%s', botocore's '%s'", name, f->field[j].value, v ? v : "-");
			same = 0;
		}
	}
	ok(same, "botocore %zu: the same field names and values", i);
	ours = cJSON_GetObjectItemCaseSensitive(r, "ours");
	mine = cJSON_ParseWithLength(json, n > 0 ? (size_t)n : 0);
	ok(mine && cJSON_Compare(mine, ours, 1), "botocore %zu: Python reads our policy as cJSON does", i);
	cJSON_Delete(mine);
	ok(expiration_of(ours) == WHEN + (time_t)pcases[i].expires &&
	   expiration_of(ours) == expiration_of(cJSON_GetObjectItemCaseSensitive(r, "policy")),
	   "botocore %zu: the same expiration", i);
	ok(same_conditions(cJSON_GetObjectItemCaseSensitive(ours, "conditions"),
	                   cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r, "policy"),
	                                                    "conditions")),
	   "botocore %zu: the same set of conditions", i);
	is_str(field(f, "x-amz-signature"),
	       cJSON_GetStringValue(cJSON_GetObjectItem(r, "signature")),
	       "botocore %zu: S3SigV4PostAuth signs our policy alike", i);
	cJSON_Delete(r);
}

static void hexs(FILE *o, const char *s)
{
	for (; *s; s++)
		fprintf(o, "%02x", (unsigned char)*s);
}

static void botocore_parity(void)
{
	const size_t n = sizeof pcases / sizeof *pcases;
	static struct s3_post_form forms[sizeof pcases / sizeof *pcases];
	static char line[65536];
	char in[] = "/tmp/test_post_policy.XXXXXX", cmd[256];
	size_t i = 0;
	FILE *o, *p;
	int fd;

	if (access("/usr/bin/python3", X_OK) != 0 ||
	    system("/usr/bin/python3 -c 'import botocore' 2>/dev/null") != 0) {
		ok(1, "# SKIP botocore parity: /usr/bin/python3 has no botocore (python3-botocore)");
		return;
	}
	if ((fd = mkstemp(in)) < 0 || !(o = fdopen(fd, "w"))) {
		ok(0, "a temporary file for botocore's cases");
		return;
	}
	for (size_t k = 0; k < n; k++) {
		const struct pcase *c = &pcases[k];
		const struct s3_creds cr = { AK, SK, c->token };
		struct s3_post_in pi = { .key = c->key, .key_len = strlen(c->key),
			.content_type = c->ctype, .content_disposition = c->disp, .acl = c->acl,
			.max_size = c->max_size, .expires = c->expires, .now = WHEN };

		is_int(s3_presign_post(&c->t, &cr, &pi, NULL, &forms[k]), S3_OK, "botocore %zu: signed", k);
		fprintf(o, "%s\t%s\t%s\t%s\t20261204T100010Z\t%s\t%s\t%s\t%u\t", c->t.region,
		        c->boto_endpoint, c->boto_style, c->t.bucket, AK, SK, c->token ? c->token : "-",
		        c->expires);
		hexs(o, c->key);
		fprintf(o, "\t%s\t%s\t%s\t%llu\t%s\n", c->ctype, c->disp ? c->disp : "-",
		        c->acl ? c->acl : "-", c->max_size, field(&forms[k], "policy"));
	}
	fclose(o);
	snprintf(cmd, sizeof cmd, "/usr/bin/python3 tests/lib/botocore_post.py < %s 2>&1", in);
	if (!(p = popen(cmd, "r"))) {
		ok(0, "botocore_post.py runs");
		unlink(in);
		return;
	}
	while (i < n && fgets(line, sizeof line, p))
		compare(i, &forms[i], line), i++;
	while (fgets(line, sizeof line, p))
		diag("%s", line);
	pclose(p);
	unlink(in);
	ok(i == n, "botocore answered every case (%zu of %zu)", i, n);
	for (i = 0; i < n; i++)
		s3_post_form_wipe(&forms[i]);
}

/* S3_MIN_FILE_SIZE: the range starts there, and ends at the maximum (or
 * S3's 5 GiB when only a minimum is set). */
static void min_size(void)
{
	const struct s3_target t = { "bkt", "eu-west-1", NULL, S3_STYLE_VIRTUAL };
	const struct s3_creds c = { AK, SK, NULL };
	struct s3_post_in in = { .key = "k", .key_len = 1, .content_type = "text/plain",
		.min_size = 10, .max_size = 100, .expires = 60, .now = WHEN };
	static struct s3_post_form f;
	char json[S3_POST_POLICY_MAX + 1];

	is_int(s3_presign_post(&t, &c, &in, NULL, &f), S3_OK, "min_size: signed");
	policy_of(&f, json, sizeof json);
	ok(strstr(json, "[\"content-length-range\",10,100]") != NULL, "min_size: [10,100]");
	in.max_size = 0;
	is_int(s3_presign_post(&t, &c, &in, NULL, &f), S3_OK, "min_size alone: signed");
	policy_of(&f, json, sizeof json);
	ok(strstr(json, "[\"content-length-range\",10,5368709120]") != NULL,
	   "min_size alone: up to S3's 5 GiB");
}

int main(void)
{
	basic();
	min_size();
	everything();
	escaping();
	addressing();
	refusals();
	botocore_parity();
	return done_testing();
}
