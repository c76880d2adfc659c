/* test_handler.c - the whole flow with time and randomness pinned: exact
 * answers for the reference request, and the status of each failure class. */
#include "tap.h"
#include "handler.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>

#define NOW 1369353600   /* 2013-05-24T00:00:00Z */

struct kv { const char *k, *v; };

static const struct kv *vars;

static const char *lookup(void *ctx, const char *name)
{
	(void)ctx;
	for (const struct kv *p = vars; p && p->k; p++)
		if (!strcmp(p->k, name))
			return p->v;
	return NULL;
}

static enum s3_err pinned_uuid(char out[37])
{
	strcpy(out, "0b7f3c2e-6a1d-4e8f-9c3b-5d2a1e0f4c6b");
	return S3_OK;
}

static enum s3_err failing_uuid(char out[37])
{
	(void)out;
	return S3_ERR_CRYPTO;
}

static const struct kv base[] = {
	{ "S3_BUCKET", "examplebucket" },
	{ "AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE" },
	{ "AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" },
	{ NULL, NULL },
};

static void run_in(const struct kv *env, const struct s3_req_in *in, int preload,
                   struct s3_response *r)
{
	struct s3_app app;
	char err[256];

	vars = env;
	if (s3_app_init(&app, lookup, NULL, preload, err, sizeof err) != S3_OK) {
		diag("init: %s", err);
		memset(r, 0, sizeof *r);
		return;
	}
	app.uuid = pinned_uuid;
	s3_handle(&app, in, NOW, r);
	s3_app_free(&app);
}

static void run(const struct kv *env, const char *method, const char *ctype,
                const char *body, struct s3_response *r)
{
	struct s3_req_in in = {
		.method = method, .content_type = ctype,
		.body = body, .body_len = body ? strlen(body) : 0,
	};

	run_in(env, &in, 0, r);
}

static void reference(void)
{
	struct s3_response r;

	s3_response_init(&r);
	run(base, "POST", "application/json",
	    "{\"file_name\":\" My File.PDF \",\"file_type\":\"\"}", &r);
	is_int(r.status, 200, "reference request: 200");
	{
		/* the signature is checked against botocore elsewhere; here the
		 * whole shape, with the signature cut out */
		char *b = strdup(r.body ? r.body : ""), *s = strstr(b, "X-Amz-Signature=");

		if (s && strlen(s) > 16 + 64) {
			memmove(s + 16 + 3, s + 16 + 64, strlen(s + 16 + 64) + 1);
			memcpy(s + 16, "SIG", 3);
		}
		is_str(b,
		       "{\"file_type\":\"application/pdf\","
		       "\"signed_request\":\"https://examplebucket.s3.amazonaws.com/uploads/"
		       "0b7f3c2e-6a1d-4e8f-9c3b-5d2a1e0f4c6b/my_file.pdf"
		       "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
		       "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
		       "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=60"
		       "&X-Amz-SignedHeaders=content-type%3Bhost"
		       "&X-Amz-Signature=SIG\","
		       "\"url\":\"https://examplebucket.s3.amazonaws.com/uploads/"
		       "0b7f3c2e-6a1d-4e8f-9c3b-5d2a1e0f4c6b/my_file.pdf\","
		       "\"key\":\"uploads/0b7f3c2e-6a1d-4e8f-9c3b-5d2a1e0f4c6b/my_file.pdf\","
		       "\"method\":\"PUT\",\"headers\":{\"Content-Type\":\"application/pdf\"},"
		       "\"expires_at\":\"2013-05-24T00:01:00Z\"}",
		       "reference request: exact answer");
		free(b);
	}
	is_str(r.message, "signed uploads/0b7f3c2e-6a1d-4e8f-9c3b-5d2a1e0f4c6b/my_file.pdf",
	       "reference request: log message is the key");
	s3_response_free(&r);
}

static void config_effects(void)
{
	static const struct kv env[] = {
		{ "S3_BUCKET", "examplebucket" },
		{ "AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE" },
		{ "AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" },
		{ "S3_PUBLIC_URL", "https://cdn.example.com/files/" },
		{ "S3_KEY_PREFIX", "in/" },
		{ "S3_ACL", "public-read" },
		{ "S3_EXPIRES", "300" },
		{ NULL, NULL },
	};
	struct s3_response r;

	s3_response_init(&r);
	run(env, "POST", "application/x-www-form-urlencoded",
	    "file_name=a+b%C3%A9.png&file_type=image%2Fpng", &r);
	is_int(r.status, 200, "configured: 200");
	ok(r.body && strstr(r.body, "\"url\":\"https://cdn.example.com/files/in/"
	   "0b7f3c2e-6a1d-4e8f-9c3b-5d2a1e0f4c6b/a_b%C3%A9.png\""), "public URL, key encoded");
	ok(r.body && strstr(r.body, "\"key\":\"in/0b7f3c2e-6a1d-4e8f-9c3b-5d2a1e0f4c6b/a_b\xc3\xa9.png\""),
	   "prefix in the key");
	ok(r.body && strstr(r.body, "x-amz-acl=public-read"), "ACL in the signed URL");
	ok(r.body && strstr(r.body, "X-Amz-Expires=300"), "expiry from S3_EXPIRES");
	ok(r.body && strstr(r.body, "\"expires_at\":\"2013-05-24T00:05:00Z\""), "expires_at");
	s3_response_free(&r);
}

/* An answer longer than the inline buffer (a session token in the URL, a
 * long name) is printed into allocated memory instead: the same JSON. */
static void long_answer(void)
{
	static char token[4001], name_body[512];
	struct kv env[] = {
		{ "S3_BUCKET", "examplebucket" },
		{ "AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE" },
		{ "AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" },
		{ "AWS_SESSION_TOKEN", token },
		{ NULL, NULL },
	};
	char name[201];
	struct s3_response r;
	cJSON *j, *sr, *key;

	s3_response_init(&r);
	for (size_t i = 0; i < sizeof token - 1; i++)
		token[i] = "AB/+="[i % 5];            /* 3 of 5 encode to 3 bytes */
	memset(name, 'n', 196);
	memcpy(name + 196, ".png", 5);
	snprintf(name_body, sizeof name_body, "{\"file_name\":\"%s\",\"file_type\":\"\"}", name);
	run(env, "POST", "application/json", name_body, &r);
	is_int(r.status, 200, "long answer: 200");
	ok(r.body_len > S3_RESP_INLINE_BODY && r.body_owned && r.body != r.inline_body,
	   "long answer: %zu bytes, in allocated memory", r.body_len);
	j = r.body ? cJSON_Parse(r.body) : NULL;
	sr = cJSON_GetObjectItemCaseSensitive(j, "signed_request");
	key = cJSON_GetObjectItemCaseSensitive(j, "key");
	ok(cJSON_IsString(sr) && strstr(sr->valuestring, "X-Amz-Security-Token=AB%2F%2B%3DAB%2F") &&
	   strlen(r.body) == r.body_len, "long answer: valid JSON with the token in the URL");
	ok(cJSON_IsString(key) && strlen(key->valuestring) == 8 + 37 + 200 &&
	   !strcmp(key->valuestring + 45, name), "long answer: the whole key");
	cJSON_Delete(j);
	s3_response_free(&r);
	ok(r.body == NULL && !r.body_owned, "long answer: freed");

	run(base, "POST", "application/json", "{\"file_name\":\"a.png\"}", &r);
	ok(r.status == 200 && r.body == r.inline_body && !r.body_owned,
	   "short answer: in the inline buffer, no allocation");
	s3_response_free(&r);
}

struct fail_case {
	const char *what, *method, *ctype, *body;
	int status;
	const char *msg;
};

static void failures(void)
{
	static const struct kv nocreds[] = { { "S3_BUCKET", "b1b" },
		{ "AWS_EC2_METADATA_DISABLED", "true" }, { NULL, NULL } };
	const struct fail_case cs[] = {
		{ "no file_name", "POST", "application/json", "{}", 400, "file_name is required" },
		{ "dot dot", "POST", "application/json", "{\"file_name\":\"..\"}", 400, "usable" },
		{ "bad type", "POST", "application/json",
		  "{\"file_name\":\"a\",\"file_type\":\"image png\"}", 400, "media type" },
		{ "PUT", "PUT", "application/json", "{}", 405, "method" },
		{ "text/plain", "POST", "text/plain", "x", 415, "content type" },
	};
	struct s3_response r;

	s3_response_init(&r);
	for (size_t i = 0; i < sizeof cs / sizeof *cs; i++) {
		run(base, cs[i].method, cs[i].ctype, cs[i].body, &r);
		is_int(r.status, cs[i].status, "%s: status", cs[i].what);
		ok(r.body && strstr(r.body, "\"statusCode\":") && strstr(r.message, cs[i].msg),
		   "%s: JSON error, message", cs[i].what);
		s3_response_free(&r);
	}
	run(nocreds, "POST", "application/json", "{\"file_name\":\"a.txt\"}", &r);
	is_int(r.status, 503, "no credentials: 503");
	ok(r.body && strstr(r.body, "Service Unavailable"), "no credentials: reason");
	s3_response_free(&r);
	{
		struct s3_app app;
		char err[256];
		struct s3_req_in in = { .method = "POST", .content_type = "application/json",
		                        .body = "{\"file_name\":\"a.txt\"}", .body_len = 21 };

		vars = base;
		s3_app_init(&app, lookup, NULL, 1, err, sizeof err);
		app.uuid = failing_uuid;
		s3_handle(&app, &in, NOW, &r);
		is_int(r.status, 500, "random source failure: 500");
		ok(r.body && strstr(r.body, S3_MSG_INTERNAL), "500: generic message");
		ok(strstr(r.message, "uuid") != NULL, "500: the log says why");
		ok(!strstr(r.body, "wJalr"), "500: no secret");
		s3_response_free(&r);
		s3_app_free(&app);
	}
}


/* ---- policy: S3_REQUIRE_USER, {user}, S3_MAX_NAME_BYTES ------------------- */

static const char *user_env_prefix = "users/{user}/";

static void run_user(const char *user, int conflict, const char *method,
                     const char *body, struct s3_response *r)
{
	const struct kv env[] = {
		{ "S3_BUCKET", "examplebucket" },
		{ "AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE" },
		{ "AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" },
		{ "S3_REQUIRE_USER", "1" },
		{ "S3_KEY_PREFIX", user_env_prefix },
		{ NULL, NULL },
	};
	struct s3_req_in in = {
		.method = method, .content_type = "application/json",
		.body = body, .body_len = body ? strlen(body) : 0,
		.remote_user = user, .remote_user_conflict = conflict,
	};

	run_in(env, &in, 0, r);
}

static int has_key(const struct s3_response *r, const char *key)
{
	char want[1200];

	snprintf(want, sizeof want, "\"key\":\"%s\"", key);
	return r->body && strstr(r->body, want) != NULL;
}

static void users(void)
{
	static const struct { const char *user, *seg; } good[] = {
		{ "alice", "alice" },
		{ "a_b", "a_5Fb" },
		{ "a b", "a_20b" },
		{ "a_20b", "a_5F20b" },
		{ ".", "_2E" },
		{ "..", "_2E_2E" },
		{ "caf\xc3\xa9", "caf_C3_A9" },
		{ "bob@example.com", "bob@example.com" },
	};
	static const char body[] = "{\"file_name\":\"a.txt\"}";
	char user129[130], user128[129], key[600];
	struct s3_response r;

	s3_response_init(&r);
	for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
		run_user(good[i].user, 0, "POST", body, &r);
		is_int(r.status, 200, "user %s: 200", good[i].seg);
		snprintf(key, sizeof key, "users/%s/0b7f3c2e-6a1d-4e8f-9c3b-5d2a1e0f4c6b/a.txt",
		         good[i].seg);
		ok(has_key(&r, key), "user %s: key %s", good[i].seg, key);
		s3_response_free(&r);
	}
	run_user(NULL, 0, "POST", body, &r);
	is_int(r.status, 401, "no REMOTE_USER: 401");
	ok(r.body && strstr(r.body, "\"error\":\"Unauthorized\"") &&
	   strstr(r.body, "authentication required"), "no REMOTE_USER: JSON message");
	s3_response_free(&r);
	run_user("", 0, "POST", body, &r);
	is_int(r.status, 401, "empty REMOTE_USER: 401");
	s3_response_free(&r);
	run_user("alice", 1, "POST", body, &r);
	is_int(r.status, 401, "REMOTE_USER given twice, differently: 401");
	ok(strstr(r.message, "twice") != NULL, "conflict: the log says why");
	ok(r.body && !strstr(r.body, "twice"), "conflict: the client is told no more");
	s3_response_free(&r);
	memset(user128, 'u', 128);
	user128[128] = '\0';
	memset(user129, 'u', 129);
	user129[129] = '\0';
	run_user(user128, 0, "POST", body, &r);
	is_int(r.status, 200, "128-byte user: 200");
	s3_response_free(&r);
	run_user(user129, 0, "POST", body, &r);
	is_int(r.status, 401, "129-byte user: 401");
	ok(r.body && strstr(r.body, "user name too long (limit 128 bytes)"),
	   "129-byte user: message");
	ok(!strstr(r.body, user129) && !strstr(r.message, user129), "129-byte user: not echoed");
	s3_response_free(&r);
	run_user("caf\xe9", 0, "POST", body, &r);
	is_int(r.status, 401, "Latin-1 user: 401");
	ok(r.body && strstr(r.body, "user name is not valid UTF-8"), "Latin-1 user: message");
	s3_response_free(&r);
	run_user(NULL, 0, "PUT", "{}", &r);
	is_int(r.status, 401, "no user, PUT: 401 before anything else");
	s3_response_free(&r);
	run_user(NULL, 0, "POST", "{", &r);
	is_int(r.status, 401, "no user, invalid JSON: 401 before anything else");
	s3_response_free(&r);
	/* S3_REQUIRE_USER=1 without {user}: the prefix as it is */
	user_env_prefix = "in/";
	run_user("alice", 0, "POST", body, &r);
	ok(r.status == 200 && has_key(&r, "in/0b7f3c2e-6a1d-4e8f-9c3b-5d2a1e0f4c6b/a.txt"),
	   "S3_REQUIRE_USER=1, no {user}: plain prefix");
	s3_response_free(&r);
	/* without S3_REQUIRE_USER, REMOTE_USER is not looked at */
	{
		struct s3_req_in in = { .method = "POST", .content_type = "application/json",
		                        .body = body, .body_len = strlen(body),
		                        .remote_user = "x", .remote_user_conflict = 1 };

		run_in(base, &in, 0, &r);
		is_int(r.status, 200, "S3_REQUIRE_USER unset: REMOTE_USER ignored");
		s3_response_free(&r);
	}
	/* the longest prefix and user: the name is cut so the key fits 1024 */
	{
		char prefix[S3_CONFIG_MAX_PREFIX + 1], user[129], want_name[256];
		char b[400];
		const char *k, *e;
		size_t klen;

		memset(prefix, 'p', sizeof prefix - 1);
		memcpy(prefix, "{user}/", 7);
		prefix[S3_CONFIG_MAX_PREFIX] = '\0';
		memset(user, '_', 128);
		user[128] = '\0';
		user_env_prefix = prefix;
		memset(want_name, 'n', 255);
		want_name[255] = '\0';
		snprintf(b, sizeof b, "{\"file_name\":\"%s\"}", want_name);
		run_user(user, 0, "POST", b, &r);
		is_int(r.status, 200, "longest prefix and user: 200");
		k = r.body ? strstr(r.body, "\"key\":\"") : NULL;
		e = k ? strchr(k + 7, '"') : NULL;
		klen = e ? (size_t)(e - k - 7) : 0;
		is_int(klen, 1024, "longest prefix and user: key of exactly 1024 bytes");
		s3_response_free(&r);
	}
	user_env_prefix = "users/{user}/";
}

static void name_bytes(void)
{
	static const struct kv env[] = {
		{ "S3_BUCKET", "examplebucket" },
		{ "AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE" },
		{ "AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" },
		{ "S3_MAX_NAME_BYTES", "12" },
		{ NULL, NULL },
	};
	struct s3_response r;

	s3_response_init(&r);
	run(env, "POST", "application/json", "{\"file_name\":\"a-long-file-name.pdf\"}", &r);
	is_int(r.status, 200, "S3_MAX_NAME_BYTES=12: 200");
	ok(has_key(&r, "uploads/0b7f3c2e-6a1d-4e8f-9c3b-5d2a1e0f4c6b/a-long-f.pdf"),
	   "S3_MAX_NAME_BYTES=12: name cut to 12 bytes, extension kept");
	s3_response_free(&r);
}

/* ---- policy: S3_ALLOWED_TYPES, file_head, sniffing ------------------------- */

static const unsigned char png[] =
	"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0";
static const unsigned char jpeg[] = "\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0";
static const unsigned char elf[] =
	"\x7f" "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0\x01\0\0\0";
static const unsigned char html[] = "<!DOCTYPE html>\n<html><script>alert(1)</script>";
static const unsigned char text[] = "a,b,c\n1,2,3\n";
static const unsigned char noise[] = "\x01\x02\x03\xfe\xfd\x00\x10\x99";

#define HEAD(a) a, sizeof(a) - 1

/* A JSON body; type NULL: no file_type; head NULL: no file_head. */
static char *body_with(const char *name, const char *type, const unsigned char *head,
                       size_t len)
{
	size_t cap = 4 * len / 3 + 256;
	char *b = malloc(cap), *h = malloc(4 * len / 3 + 8);
	int n;

	if (!b || !h)
		exit(1);
	if (head)
		EVP_EncodeBlock((unsigned char *)h, head, (int)len);
	n = snprintf(b, cap, "{\"file_name\":\"%s\"", name);
	if (type)
		n += snprintf(b + n, cap - (size_t)n, ",\"file_type\":\"%s\"", type);
	if (head)
		n += snprintf(b + n, cap - (size_t)n, ",\"file_head\":\"%s\"", h);
	snprintf(b + n, cap - (size_t)n, "}");
	free(h);
	return b;
}

struct sniff_case {
	const char *what;
	const char *name, *type;
	const unsigned char *head;
	size_t len;
	const char *allowed;       /* S3_ALLOWED_TYPES or NULL */
	int status;
	const char *want;          /* file_type signed, or a message */
};

static const struct sniff_case sniff_cases[] = {
	{ "PNG declared image/png", "a.png", "image/png", HEAD(png), NULL, 200, "image/png" },
	{ "PNG declared IMAGE/PNG;x=1", "a.png", "IMAGE/PNG;x=1", HEAD(png), NULL, 200,
	  "IMAGE/PNG;x=1" },
	{ "JPEG declared image/png: same top level", "a.png", "image/png", HEAD(jpeg), NULL,
	  200, "image/png" },
	{ "ELF declared image/png", "a.png", "image/png", HEAD(elf), NULL, 415,
	  "file content is application/x-executable, which contradicts file_type image/png" },
	{ "HTML declared image/png", "a.png", "image/png", HEAD(html), NULL, 415,
	  "file content is text/html, which contradicts file_type image/png" },
	{ "HTML declared text/plain", "a.txt", "text/plain", HEAD(html), NULL, 415,
	  "file content is text/html, which contradicts file_type text/plain" },
	{ "PNG declared application/pdf", "a.pdf", "application/pdf", HEAD(png), NULL, 415,
	  "file content is image/png, which contradicts file_type application/pdf" },
	{ "ELF declared application/octet-stream", "a", "application/octet-stream", HEAD(elf),
	  NULL, 200, "application/octet-stream" },
	{ "noise declared image/png: nothing to contradict", "a.png", "image/png",
	  HEAD(noise), NULL, 200, "image/png" },
	{ "JPEG, no file_type: sniffed", "a.png", NULL, HEAD(jpeg), NULL, 200, "image/jpeg" },
	{ "JPEG, empty file_type: sniffed", "x", "", HEAD(jpeg), NULL, 200, "image/jpeg" },
	{ "ELF, no file_type: sniffed", "a.png", NULL, HEAD(elf), NULL, 200,
	  "application/x-executable" },
	{ "noise, no file_type: the extension", "a.pdf", NULL, HEAD(noise), NULL, 200,
	  "application/pdf" },
	{ "noise, no file_type, no extension", "a", NULL, HEAD(noise), NULL, 200,
	  "application/octet-stream" },
	{ "text, no file_type, .csv: the extension", "a.csv", NULL, HEAD(text), NULL, 200,
	  "text/csv" },
	{ "text, no file_type, no extension: text/plain", "data", NULL, HEAD(text), NULL, 200,
	  "text/plain" },
	{ "allowed: image/png in image/*", "a.png", "image/png", HEAD(png),
	  "image/*,application/pdf", 200, "image/png" },
	{ "allowed: no head", "a.pdf", "application/pdf", NULL, 0, "image/*,application/pdf",
	  200, "application/pdf" },
	{ "not allowed: declared", "a.html", "text/html", NULL, 0, "image/*,application/pdf",
	  415, "file type text/html is not allowed" },
	{ "not allowed: declared with parameters", "a.txt", "Text/Plain;charset=utf-8", NULL, 0,
	  "image/*", 415, "file type text/plain is not allowed" },
	{ "not allowed: from the extension", "a.exe", NULL, NULL, 0, "image/*,application/pdf",
	  415, "file type application/x-msdos-program is not allowed" },
	{ "not allowed: no extension", "readme", NULL, NULL, 0, "image/*", 415,
	  "file type application/octet-stream is not allowed" },
	{ "not allowed: sniffed, no file_type", "a.png", NULL, HEAD(elf), "image/*", 415,
	  "file type application/x-executable is not allowed" },
	{ "not allowed: sniffed type, declared allowed", "a.bin", "application/octet-stream",
	  HEAD(elf), "application/octet-stream,image/*", 415,
	  "file content is application/x-executable (file_type application/octet-stream), "
	  "which is not allowed" },
	{ "allowed: generic sniffed type not checked", "a.png", "image/png", HEAD(noise),
	  "image/png", 200, "image/png" },
	{ "allowed: JPEG sniffed, image/* allowed", "a.png", "image/png", HEAD(jpeg),
	  "image/*", 200, "image/png" },
	{ "not allowed: JPEG sniffed, only image/png allowed", "a.png", "image/png", HEAD(jpeg),
	  "image/png", 415, "file content is image/jpeg (file_type image/png), which is not allowed" },
	{ "wildcard */*", "a.exe", NULL, NULL, 0, "*/*", 200, "application/x-msdos-program" },
};

static void sniffing(void)
{
	for (size_t i = 0; i < sizeof sniff_cases / sizeof *sniff_cases; i++) {
		const struct sniff_case *c = &sniff_cases[i];
		struct kv env[] = {
			{ "S3_BUCKET", "examplebucket" },
			{ "AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE" },
			{ "AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" },
			{ c->allowed ? "S3_ALLOWED_TYPES" : NULL, c->allowed },
			{ NULL, NULL },
		};
		char *b = body_with(c->name, c->type, c->head, c->len), want[400];
		struct s3_response r;

		s3_response_init(&r);
		for (int preload = 0; preload <= 1; preload++) {
			struct s3_req_in in = { .method = "POST", .content_type = "application/json",
			                        .body = b, .body_len = strlen(b) };

			run_in(env, &in, preload, &r);
			is_int(r.status, c->status, "%s%s: %d", c->what,
			       preload ? " (preloaded)" : "", c->status);
			if (c->status == 200)
				snprintf(want, sizeof want, "\"headers\":{\"Content-Type\":\"%s\"}",
				         c->want);
			else
				snprintf(want, sizeof want, "\"message\":\"%s\"", c->want);
			if (!ok(r.body && strstr(r.body, want), "%s%s: %s", c->what,
			        preload ? " (preloaded)" : "", c->want))
				diag("body: %s", r.body ? r.body : "(none)");
			if (c->status != 200)
				is_str(r.message, c->want, "%s: logged", c->what);
			s3_response_free(&r);
		}
		free(b);
	}
}

/* S3_MAGIC_FILE: the database sniffing uses; a bad one is a 500 whose log
 * line names it (the client sees only the generic message). */
static void magic_file(void)
{
	static const unsigned char head[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
	struct kv env[] = {
		{ "S3_BUCKET", "examplebucket" },
		{ "AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE" },
		{ "AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" },
		{ "S3_MAGIC_FILE", "/usr/lib/file/magic.mgc" },
		{ NULL, NULL },
	};
	char *b = body_with("pixel", "", head, sizeof head - 1);
	struct s3_req_in in = { .method = "POST", .content_type = "application/json",
	                        .body = b, .body_len = strlen(b) };
	struct s3_response r;

	s3_response_init(&r);
	run_in(env, &in, 0, &r);
	ok(r.status == 200 && strstr(r.body, "\"file_type\":\"image/png\""),
	   "S3_MAGIC_FILE: the named database sniffs image/png");
	s3_response_free(&r);
	env[3].v = "/nonexistent/magic.mgc";
	run_in(env, &in, 0, &r);
	is_int(r.status, 500, "S3_MAGIC_FILE missing: 500 on the first file_head");
	ok(strstr(r.body, S3_MSG_INTERNAL) && !strstr(r.body, "nonexistent"),
	   "S3_MAGIC_FILE missing: the client sees the generic message only");
	ok(strstr(r.message, "/nonexistent/magic.mgc") != NULL,
	   "S3_MAGIC_FILE missing: the log line names the file (%s)", r.message);
	s3_response_free(&r);

	/* Preloaded (FastCGI, --listen): a database that cannot be loaded
	 * does not stop the process; only a request with file_head fails. */
	{
		struct s3_req_in plain = { .method = "POST", .content_type = "application/json",
		                           .body = "{\"file_name\":\"pixel.png\"}" };

		plain.body_len = strlen(plain.body);
		run_in(env, &plain, 1, &r);
		is_int(r.status, 200, "S3_MAGIC_FILE missing, preloaded: starts and signs "
		       "a request without file_head");
		s3_response_free(&r);
		run_in(env, &in, 1, &r);
		is_int(r.status, 500, "S3_MAGIC_FILE missing, preloaded: 500 for file_head");
		ok(strstr(r.message, "/nonexistent/magic.mgc") != NULL,
		   "S3_MAGIC_FILE missing, preloaded: the log line names the file (%s)",
		   r.message);
		s3_response_free(&r);
	}
	free(b);
}

static void head_errors(void)
{
	static const struct kv env[] = {
		{ "S3_BUCKET", "examplebucket" },
		{ "AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE" },
		{ "AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" },
		{ "S3_REQUIRE_FILE_HEAD", "1" },
		{ NULL, NULL },
	};
	static const struct { const char *what, *body; int status; const char *msg; } cs[] = {
		{ "bad base64", "{\"file_name\":\"a.png\",\"file_head\":\"iVBOR!w0K\"}", 400,
		  "file_head must be base64 (RFC 4648, standard alphabet)" },
		{ "URL-safe base64", "{\"file_name\":\"a.png\",\"file_head\":\"-_-_\"}", 400,
		  "file_head must be base64" },
		{ "one character left", "{\"file_name\":\"a.png\",\"file_head\":\"iVBOR\"}", 400,
		  "file_head must be base64" },
		{ "required, missing", "{\"file_name\":\"a.png\"}", 400,
		  "file_head is required" },
		{ "required, empty", "{\"file_name\":\"a.png\",\"file_head\":\"\"}", 400,
		  "file_head is required" },
		{ "required, whitespace: an empty head", "{\"file_name\":\"a.txt\",\"file_head\":\" \"}",
		  200, "text/plain" },
		{ "required, present", "{\"file_name\":\"a.png\",\"file_head\":\"iVBORw0KGgo=\"}", 200,
		  "image/png" },
	};
	struct s3_response r;

	s3_response_init(&r);
	for (size_t i = 0; i < sizeof cs / sizeof *cs; i++) {
		run(env, "POST", "application/json", cs[i].body, &r);
		is_int(r.status, cs[i].status, "%s: %d", cs[i].what, cs[i].status);
		ok(r.body && strstr(r.body, cs[i].msg), "%s: %s", cs[i].what, cs[i].msg);
		s3_response_free(&r);
	}
	/* 4096 bytes decoded: fine; 4097: too long */
	{
		unsigned char *head = calloc(1, 5 * 1024);
		char *b;

		if (!head)
			exit(1);
		memcpy(head, png, sizeof png - 1);
		b = body_with("a.png", "image/png", head, 4096);
		run(base, "POST", "application/json", b, &r);
		is_int(r.status, 200, "4096-byte head: 200");
		s3_response_free(&r);
		free(b);
		b = body_with("a.png", "image/png", head, 4097);
		run(base, "POST", "application/json", b, &r);
		is_int(r.status, 400, "4097-byte head: 400");
		ok(r.body && strstr(r.body, "file_head too long (limit 4096 bytes decoded)"),
		   "4097-byte head: message");
		s3_response_free(&r);
		free(b);
		b = body_with("a.png", "image/png", head, 5 * 1024);
		run(base, "POST", "application/json", b, &r);
		is_int(r.status, 400, "5 KiB head: 400");
		s3_response_free(&r);
		free(b);
		free(head);
	}
}

/* ---- S3_ACTIVE_TYPES --------------------------------------------------- */

static const unsigned char svg[] =
	"<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" "
	"width=\"10\" height=\"10\"><script>alert(1)</script></svg>\n";

struct active_case {
	const char *what;
	const char *mode;          /* S3_ACTIVE_TYPES, NULL: the default */
	const char *name, *type;   /* type NULL: no file_type */
	const unsigned char *head;
	size_t len;
	int status;
	const char *want;          /* 200: the type signed; else the message */
	int attachment;            /* 200: Content-Disposition: attachment signed */
};

static const struct active_case active_cases[] = {
	{ "default: text/html declared", NULL, "a.html", "text/html", NULL, 0, 200,
	  "text/html", 1 },
	{ "attachment: text/html declared", "attachment", "a.html", "text/html", NULL, 0, 200,
	  "text/html", 1 },
	{ "default: parameters, case", NULL, "a.htm", "Text/HTML;charset=utf-8", NULL, 0, 200,
	  "Text/HTML;charset=utf-8", 1 },
	{ "default: .svg, no file_type (the extension)", NULL, "logo.svg", NULL, NULL, 0, 200,
	  "image/svg+xml", 1 },
	{ "default: .html, empty file_type (the extension)", NULL, "index.html", "", NULL, 0,
	  200, "text/html", 1 },
	{ "default: SVG head, no file_type (sniffed)", NULL, "picture", NULL, HEAD(svg), 200,
	  "image/svg+xml", 1 },
	{ "default: HTML head, no file_type (sniffed)", NULL, "page", NULL, HEAD(html), 200,
	  "text/html", 1 },
	{ "default: application/xhtml+xml", NULL, "a.xhtml", "application/xhtml+xml", NULL, 0,
	  200, "application/xhtml+xml", 1 },
	{ "default: a +xml type", NULL, "feed.rss", "application/rss+xml", NULL, 0, 200,
	  "application/rss+xml", 1 },
	{ "default: text/xml", NULL, "a.xml", "text/xml", NULL, 0, 200, "text/xml", 1 },
	{ "default: text/javascript", NULL, "a.js", "text/javascript", NULL, 0, 200,
	  "text/javascript", 1 },
	{ "default: image/png", NULL, "a.png", "image/png", HEAD(png), 200, "image/png", 0 },
	{ "default: .png, no file_type", NULL, "a.png", NULL, NULL, 0, 200, "image/png", 0 },
	{ "default: application/pdf", NULL, "a.pdf", "application/pdf", NULL, 0, 200,
	  "application/pdf", 0 },
	{ "default: text/plain", NULL, "a.txt", "text/plain", NULL, 0, 200, "text/plain", 0 },
	{ "default: HTML head declared octet-stream", NULL, "a.bin",
	  "application/octet-stream", HEAD(html), 200, "application/octet-stream", 0 },
	{ "refuse: text/html", "refuse", "a.html", "text/html", NULL, 0, 415,
	  "file type text/html is active content", 0 },
	{ "refuse: parameters dropped in the message", "refuse", "a.html",
	  "TEXT/html;charset=utf-8", NULL, 0, 415, "file type text/html is active content", 0 },
	{ "refuse: .svg by extension", "refuse", "logo.svg", NULL, NULL, 0, 415,
	  "file type image/svg+xml is active content", 0 },
	{ "refuse: SVG head sniffed", "refuse", "x", "", HEAD(svg), 415,
	  "file type image/svg+xml is active content", 0 },
	{ "refuse: image/png still signed", "refuse", "a.png", "image/png", HEAD(png), 200,
	  "image/png", 0 },
	{ "allow: text/html as before", "allow", "a.html", "text/html", NULL, 0, 200,
	  "text/html", 0 },
	{ "allow: .svg as before", "allow", "logo.svg", NULL, NULL, 0, 200, "image/svg+xml", 0 },
};

static void active_types(void)
{
	for (size_t i = 0; i < sizeof active_cases / sizeof *active_cases; i++) {
		const struct active_case *c = &active_cases[i];
		struct kv env[] = {
			{ "S3_BUCKET", "examplebucket" },
			{ "AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE" },
			{ "AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" },
			{ c->mode ? "S3_ACTIVE_TYPES" : NULL, c->mode },
			{ NULL, NULL },
		};
		char *b = body_with(c->name, c->type, c->head, c->len), want[400];
		struct s3_req_in in = { .method = "POST", .content_type = "application/json",
		                        .body = b, .body_len = strlen(b) };
		struct s3_response r;

		run_in(env, &in, 0, &r);
		is_int(r.status, c->status, "%s: %d", c->what, c->status);
		if (c->status == 200 && c->attachment)
			snprintf(want, sizeof want, "\"headers\":{\"Content-Type\":\"%s\","
			         "\"Content-Disposition\":\"attachment\"}", c->want);
		else if (c->status == 200)
			snprintf(want, sizeof want, "\"headers\":{\"Content-Type\":\"%s\"}",
			         c->want);
		else
			snprintf(want, sizeof want, "\"statusCode\":415,\"error\":"
			         "\"Unsupported Media Type\",\"message\":\"%s\"", c->want);
		if (!ok(r.body && strstr(r.body, want), "%s: %s", c->what, want))
			diag("body: %s", r.body ? r.body : "(none)");
		if (c->status == 200) {
			const char *sh = c->attachment ?
				"X-Amz-SignedHeaders=content-disposition%3Bcontent-type%3Bhost&" :
				"X-Amz-SignedHeaders=content-type%3Bhost&";

			ok(r.body && strstr(r.body, sh), "%s: %s", c->what, sh);
		} else {
			is_str(r.message, c->want, "%s: logged", c->what);
		}
		s3_response_free(&r);
		free(b);
	}
}

/* file_size and file_md5 (issue 12): signed as Content-Length and
 * Content-MD5; the limits that make them required. */
static void sizes(void)
{
	static const struct kv limits[] = {
		{ "S3_BUCKET", "examplebucket" },
		{ "AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE" },
		{ "AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" },
		{ "S3_MAX_FILE_SIZE", "1000" }, { "S3_MIN_FILE_SIZE", "10" },
		{ "S3_REQUIRE_MD5", "1" }, { NULL, NULL },
	};
	static const struct { const struct kv *env; const char *body; int status; const char *msg; }
	cs[] = {
		{ base, "{\"file_name\":\"a.bin\",\"file_size\":-1}", 400, "whole number" },
		{ base, "{\"file_name\":\"a.bin\",\"file_size\":1.5}", 400, "whole number" },
		{ base, "{\"file_name\":\"a.bin\",\"file_size\":\"01\"}", 400, "whole number" },
		{ base, "{\"file_name\":\"a.bin\",\"file_size\":\"1e3\"}", 400, "whole number" },
		{ base, "{\"file_name\":\"a.bin\",\"file_size\":\"5497558138881\"}", 400,
		  "whole number" },
		{ base, "{\"file_name\":\"a.bin\",\"file_size\":5368709121}", 413, "in parts" },
		{ base, "{\"file_name\":\"a.bin\",\"file_md5\":\"abc\"}", 400, "16-byte MD5" },
		{ base, "{\"file_name\":\"a.bin\",\"file_md5\":\"1B2M2Y8AsgTpgAmY7PhCfg=\"}", 400,
		  "16-byte MD5" },
		{ base, "{\"file_name\":\"a.bin\",\"file_md5\":\"1B2M2Y8AsgTpgAmY7PhCf!==\"}", 400,
		  "16-byte MD5" },
		{ limits, "{\"file_name\":\"a.bin\",\"file_md5\":\"1B2M2Y8AsgTpgAmY7PhCfg==\"}", 400,
		  "file_size is required" },
		{ limits, "{\"file_name\":\"a.bin\",\"file_size\":1001,"
		  "\"file_md5\":\"1B2M2Y8AsgTpgAmY7PhCfg==\"}", 413, "limit 1000 bytes" },
		{ limits, "{\"file_name\":\"a.bin\",\"file_size\":9,"
		  "\"file_md5\":\"1B2M2Y8AsgTpgAmY7PhCfg==\"}", 400, "minimum 10 bytes" },
		{ limits, "{\"file_name\":\"a.bin\",\"file_size\":10}", 400, "file_md5 is required" },
	};
	struct s3_response r;
	cJSON *j, *h;

	s3_response_init(&r);
	for (size_t i = 0; i < sizeof cs / sizeof *cs; i++) {
		run(cs[i].env, "POST", "application/json", cs[i].body, &r);
		ok(r.status == cs[i].status && strstr(r.message, cs[i].msg),
		   "size/md5: %s -> %d \"%s\" (%d \"%s\")", cs[i].body, cs[i].status, cs[i].msg,
		   r.status, r.message);
		s3_response_free(&r);
	}
	run(limits, "POST", "application/json", "{\"file_name\":\"a.bin\",\"file_size\":1000,"
	    "\"file_md5\":\"1B2M2Y8AsgTpgAmY7PhCfg==\"}", &r);
	j = cJSON_ParseWithLength(r.body, r.body_len);
	h = cJSON_GetObjectItem(j, "headers");
	ok(r.status == 200 && strstr(cJSON_GetStringValue(cJSON_GetObjectItem(j, "signed_request")),
	                             "X-Amz-SignedHeaders=content-length%3Bcontent-md5%3B"
	                             "content-type%3Bhost&"),
	   "size/md5: 1000 bytes at the limit: Content-Length and Content-MD5 signed");
	ok(h && !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(h, "Content-MD5")),
	                "1B2M2Y8AsgTpgAmY7PhCfg==") && !cJSON_GetObjectItem(h, "Content-Length") &&
	   cJSON_GetArraySize(h) == 2,
	   "size/md5: headers lists Content-MD5 (sent by the page), not Content-Length");
	cJSON_Delete(j);
	s3_response_free(&r);
	run(base, "POST", "application/x-www-form-urlencoded", "file_name=a.bin&file_size=0", &r);
	ok(r.status == 200 && strstr(r.body, "content-length%3Bcontent-type"),
	   "size/md5: a form's file_size=0 is signed too");
	s3_response_free(&r);
	run(base, "POST", "application/json", "{\"file_name\":\"a.bin\"}", &r);
	ok(r.status == 200 && !strstr(r.body, "content-length") && !strstr(r.body, "Content-MD5"),
	   "size/md5: neither given: neither signed (the reference flow)");
	s3_response_free(&r);
}

int main(void)
{
	reference();
	config_effects();
	long_answer();
	failures();
	users();
	name_bytes();
	sniffing();
	magic_file();
	head_errors();
	active_types();
	sizes();
	return done_testing();
}
