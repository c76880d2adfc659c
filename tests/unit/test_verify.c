/* test_verify.c - POST /api/sign_s3/verify and /s3/verify (cgi/verify.h)
 * through the router, with the S3 client's transport (and the
 * notification's: the same app.s3_http) replaced by a fake that stores
 * one object: what is sent, the verdicts, the delete, the signed
 * notification. (Against real nginx and the local S3:
 * tests/verify_routes.py.) */
#include "tap.h"
#include "fake_env.h"
#include "route.h"
#include "notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#define NOW 1369353600
#define UUID "0b7f3c2e-6a1d-4e8f-9c3b-5d2a1e0f4c6b"
#define KEY "uploads/" UUID "/cat.png"
#define SECRET "s3cr3t-notify-key-0123456789"
#define HOOK "http://127.0.0.1:8999/hook"

static const unsigned char png[] = {
	0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R',
	0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89,
};
static const char html[] = "<!DOCTYPE html>\n<html><head><title>x</title></head><body>"
                           "<script>alert(document.cookie)</script></body></html>\n";

/* The one object the fake S3 holds. */
static struct {
	int present;
	const void *bytes;
	size_t len;
	const char *type, *disposition;
} obj;
static long hook_status;          /* the application's answer */
static char hook_body[4096], hook_sig[128], methods[256];
static size_t sent;

static enum s3_err fake_http(void *ctx, const struct s3_http_request *rq,
                             struct s3_http_response *rs, char *why, size_t whycap)
{
	(void)ctx, (void)why, (void)whycap;
	memset(rs, 0, sizeof *rs);
	sent++;
	snprintf(methods + strlen(methods), sizeof methods - strlen(methods), "%s ", rq->method);
	rs->body = calloc(1, 1);
	if (!strcmp(rq->url, HOOK)) {
		snprintf(hook_body, sizeof hook_body, "%.*s", (int)rq->body_len, rq->body);
		for (size_t i = 0; i < rq->nheaders; i++)
			if (!strcmp(rq->headers[i].name, S3_NOTIFY_HEADER))
				snprintf(hook_sig, sizeof hook_sig, "%s", rq->headers[i].value);
		rs->status = hook_status;
		return S3_OK;
	}
	if (!obj.present && strcmp(rq->method, "DELETE")) {
		rs->status = 404;
		return S3_OK;
	}
	if (!strcmp(rq->method, "HEAD")) {
		for (size_t i = 0; i < rq->nwant; i++) {
			const char *w = rq->want_headers[i];
			char n[24];

			snprintf(n, sizeof n, "%zu", obj.len);
			if (!strcmp(w, "content-length"))
				rs->header_values[i] = strdup(n);
			else if (!strcmp(w, "content-type") && obj.type)
				rs->header_values[i] = strdup(obj.type);
			else if (!strcmp(w, "content-disposition") && obj.disposition)
				rs->header_values[i] = strdup(obj.disposition);
			else if (!strcmp(w, "etag"))
				rs->header_values[i] = strdup("\"d41d8cd98f00b204e9800998ecf8427e\"");
		}
		rs->status = 200;
	} else if (!strcmp(rq->method, "GET")) {
		size_t n = obj.len < 4096 ? obj.len : 4096;

		free(rs->body);
		rs->body = malloc(n + 1);
		memcpy(rs->body, obj.bytes, n);
		rs->body[n] = '\0';
		rs->len = n;
		rs->status = 206;
	} else if (!strcmp(rq->method, "DELETE")) {
		obj.present = 0;
		rs->status = 204;
	} else {
		rs->status = 400;
	}
	return S3_OK;
}

static void no_sleep(unsigned ms)
{
	(void)ms;
}

static void put_object(const void *bytes, size_t len, const char *type, const char *disp)
{
	obj.present = 1;
	obj.bytes = bytes;
	obj.len = len;
	obj.type = type;
	obj.disposition = disp;
}

/* One request: conf is NULL-terminated name, value pairs over the base. */
static void run(const char *const *conf, const char *path, const char *body, const char *user,
                struct s3_response *r)
{
	struct s3_app app;
	char err[256];
	struct s3_req_in in = {
		.method = "POST", .path = path, .content_type = "application/json",
		.body = body, .body_len = strlen(body), .remote_user = user,
	};

	env_clear();
	env_set("S3_BUCKET", "examplebucket");
	env_set("S3_ENDPOINT", "http://127.0.0.1:9");
	env_set("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE");
	env_set("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
	for (; conf && conf[0]; conf += 2)
		env_set(conf[0], conf[1]);
	sent = 0;
	methods[0] = hook_body[0] = hook_sig[0] = '\0';
	s3_response_init(r);
	if (s3_app_init(&app, env_get, NULL, 0, err, sizeof err) != S3_OK) {
		diag("init: %s", err);
		return;
	}
	app.s3_http = fake_http;
	app.s3_sleep_ms = no_sleep;
	s3_route(&app, &in, NOW, r);
	s3_app_free(&app);
}

static const char *str_of(const cJSON *o, const char *k)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(m) ? m->valuestring : "";
}

static void hmac_hex(const char *key, const char *msg, char out[7 + 65])
{
	unsigned char md[32];
	unsigned n = 0;

	HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)msg, strlen(msg), md, &n);
	strcpy(out, "sha256=");
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
}

#define BODY "{\"key\":\"" KEY "\"}"

int main(void)
{
	static const char *const keep[] = { "S3_DELETE_REJECTED", "0", NULL };
	static const char *const notify[] = {
		"S3_NOTIFY_URL", HOOK, "S3_NOTIFY_SECRET", SECRET, NULL,
	};
	static const char *const users[] = {
		"S3_REQUIRE_USER", "1", "S3_KEY_PREFIX", "users/{user}/", NULL,
	};
	struct s3_response r;
	cJSON *j;

	/* a real PNG passes */
	put_object(png, sizeof png, "image/png", NULL);
	run(NULL, "/api/sign_s3/verify", BODY, NULL, &r);
	j = cJSON_ParseWithLength(r.body, r.body_len);
	ok(r.status == 200, "PNG: 200 (%d %.*s)", r.status, (int)r.body_len, r.body);
	ok(!strcmp(str_of(j, "key"), KEY) && !strcmp(str_of(j, "file_type"), "image/png") &&
	   !strcmp(str_of(j, "detected_type"), "image/png") &&
	   !strcmp(str_of(j, "etag"), "\"d41d8cd98f00b204e9800998ecf8427e\"") &&
	   cJSON_GetObjectItem(j, "size") &&
	   cJSON_GetObjectItem(j, "size")->valuedouble == (double)sizeof png,
	   "PNG: key, size, etag, file_type, detected_type");
	is_str(str_of(j, "url"), "http://127.0.0.1:9/examplebucket/" KEY, "PNG: url, the object's");
	is_str(methods, "HEAD GET ", "PNG: a HEAD and a ranged GET, nothing else");
	cJSON_Delete(j);
	s3_response_free(&r);

	/* the same by form, on /s3/verify, with S3_PUBLIC_URL */
	{
		static const char *const pub[] = { "S3_PUBLIC_URL", "https://cdn.example.com/f", NULL };
		struct s3_app app;
		char err[256];
		struct s3_req_in in = {
			.method = "POST", .path = "/api/s3/verify",
			.content_type = "application/x-www-form-urlencoded",
			.body = "key=uploads%2F" UUID "%2Fcat.png", .body_len = 0,
		};

		in.body_len = strlen(in.body);
		env_clear();
		env_set("S3_BUCKET", "examplebucket");
		env_set("S3_ENDPOINT", "http://127.0.0.1:9");
		env_set("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE");
		env_set("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
		env_set(pub[0], pub[1]);
		s3_response_init(&r);
		if (s3_app_init(&app, env_get, NULL, 0, err, sizeof err) == S3_OK) {
			app.s3_http = fake_http;
			app.s3_sleep_ms = no_sleep;
			s3_route(&app, &in, NOW, &r);
			s3_app_free(&app);
		}
		j = cJSON_ParseWithLength(r.body, r.body_len);
		ok(r.status == 200 && !strcmp(str_of(j, "url"), "https://cdn.example.com/f/" KEY),
		   "/s3/verify, form body: 200, url under S3_PUBLIC_URL (%d)", r.status);
		cJSON_Delete(j);
		s3_response_free(&r);
	}

	/* HTML stored as image/png: 415, deleted */
	put_object(html, strlen(html), "image/png", NULL);
	run(NULL, "/api/sign_s3/verify", BODY, NULL, &r);
	ok(r.status == 415 && strstr(r.body, "text/html") && strstr(r.body, "image/png") &&
	   strstr(r.body, "it was deleted"), "HTML as image/png: 415 naming both, deleted (%.*s)",
	   (int)r.body_len, r.body);
	ok(!strcmp(methods, "HEAD GET DELETE ") && !obj.present, "... DELETE sent (%s)", methods);
	s3_response_free(&r);

	/* S3_DELETE_REJECTED=0: 415, kept */
	put_object(html, strlen(html), "image/png", NULL);
	run(keep, "/api/sign_s3/verify", BODY, NULL, &r);
	ok(r.status == 415 && !strstr(r.body, "deleted") && obj.present &&
	   !strcmp(methods, "HEAD GET "), "S3_DELETE_REJECTED=0: 415, nothing deleted (%s)", methods);
	s3_response_free(&r);

	/* active content: stored as text/html without attachment fails, with it passes */
	put_object(html, strlen(html), "text/html", NULL);
	run(keep, "/api/sign_s3/verify", BODY, NULL, &r);
	ok(r.status == 415 && strstr(r.body, "Content-Disposition: attachment"),
	   "text/html stored without attachment: 415 (%.*s)", (int)r.body_len, r.body);
	s3_response_free(&r);
	put_object(html, strlen(html), "text/html; charset=utf-8", "attachment; filename=\"a.html\"");
	run(keep, "/api/sign_s3/verify", BODY, NULL, &r);
	ok(r.status == 200, "text/html stored with attachment: 200 (%d)", r.status);
	s3_response_free(&r);
	put_object(html, strlen(html), "application/octet-stream", NULL);
	run(keep, "/api/sign_s3/verify", BODY, NULL, &r);
	ok(r.status == 415 && strstr(r.body, "active content"),
	   "HTML stored as application/octet-stream: 415 (active content)");
	s3_response_free(&r);

	/* S3_ALLOWED_TYPES on the stored and the detected type */
	{
		static const char *const imgs[] = { "S3_ALLOWED_TYPES", "image/*", NULL };

		put_object("%PDF-1.4\n%\xe2\xe3\n1 0 obj\n", 19, "application/pdf", NULL);
		run(imgs, "/api/sign_s3/verify", BODY, NULL, &r);
		ok(r.status == 415 && strstr(r.body, "application/pdf is not allowed"),
		   "S3_ALLOWED_TYPES: a stored type outside it 415 (%.*s)", (int)r.body_len, r.body);
		s3_response_free(&r);
		put_object(png, sizeof png, "image/png", NULL);
		run(imgs, "/api/sign_s3/verify", BODY, NULL, &r);
		ok(r.status == 200, "S3_ALLOWED_TYPES: a PNG passes");
		s3_response_free(&r);
	}

	/* missing: 404 */
	obj.present = 0;
	run(NULL, "/api/sign_s3/verify", BODY, NULL, &r);
	ok(r.status == 404 && strstr(r.body, "no such object") && !strcmp(methods, "HEAD "),
	   "missing: 404 after the HEAD alone (%d %s)", r.status, methods);
	s3_response_free(&r);

	/* another user's key: 403, nothing sent */
	put_object(png, sizeof png, "image/png", NULL);
	run(users, "/api/sign_s3/verify", "{\"key\":\"users/bob/" UUID "/cat.png\"}", "ann", &r);
	ok(r.status == 403 && sent == 0, "another user's key: 403, nothing sent (%d, %zu)",
	   r.status, sent);
	s3_response_free(&r);
	run(users, "/api/sign_s3/verify", "{\"key\":\"users/ann/" UUID "/cat.png\"}", "ann", &r);
	ok(r.status == 200, "the user's own key: 200 (%d)", r.status);
	s3_response_free(&r);
	run(NULL, "/api/sign_s3/verify", "{\"key\":\"uploads/../etc/passwd\"}", NULL, &r);
	ok(r.status == 403 && sent == 0, "a key this server never issues: 403, nothing sent");
	s3_response_free(&r);
	run(NULL, "/api/sign_s3/verify", "{}", NULL, &r);
	ok(r.status == 400 && sent == 0, "no key: 400");
	s3_response_free(&r);

	/* notify: signed body, timestamp inside */
	hook_status = 204;
	run(notify, "/api/sign_s3/verify", BODY, NULL, &r);
	ok(r.status == 200 && !strcmp(methods, "HEAD GET POST "), "notify: 200 after the POST (%s)",
	   methods);
	{
		char want[7 + 65], other[7 + 65];
		cJSON *h = cJSON_Parse(hook_body), *t = cJSON_GetObjectItem(h, "timestamp");

		hmac_hex(SECRET, hook_body, want);
		hmac_hex("another-secret-0123456789", hook_body, other);
		is_str(hook_sig, want, "notify: X-Sign-S3-Signature is sha256=HMAC(secret, body)");
		ok(strcmp(hook_sig, other), "notify: ... and not that of another secret");
		ok(!strcmp(str_of(h, "key"), KEY) && !strcmp(str_of(h, "detected_type"), "image/png") &&
		   cJSON_IsNumber(t) && t->valuedouble == NOW, "notify: the verify JSON + timestamp");
		ok(!strstr(r.body, "timestamp"), "notify: the answer to the browser has no timestamp");
		ok(!strstr(r.message, SECRET), "notify: the log line has no secret");
		cJSON_Delete(h);
	}
	s3_response_free(&r);
	hook_status = 500;
	run(notify, "/api/sign_s3/verify", BODY, NULL, &r);
	ok(r.status == 502 && strstr(r.message, "HTTP 500") && !strstr(r.message, SECRET),
	   "notify: the application answers 500: 502, logged (%s)", r.message);
	s3_response_free(&r);
	hook_status = 302;
	run(notify, "/api/sign_s3/verify", BODY, NULL, &r);
	ok(r.status == 502, "notify: a redirect is not a 2xx: 502");
	s3_response_free(&r);
	put_object(html, strlen(html), "image/png", NULL);
	hook_status = 200;
	run(notify, "/api/sign_s3/verify", BODY, NULL, &r);
	ok(r.status == 415 && hook_body[0] == '\0', "notify: a refused object is never notified");
	s3_response_free(&r);

	/* S3_MULTIPART=0: off */
	{
		static const char *const off[] = { "S3_MULTIPART", "0", NULL };

		run(off, "/api/sign_s3/verify", BODY, NULL, &r);
		ok(r.status == 404 && sent == 0, "S3_MULTIPART=0: verify answers 404");
		s3_response_free(&r);
	}
	/* config: the secret is required with the URL */
	{
		struct s3_app app;
		char err[256];

		env_clear();
		env_set("S3_BUCKET", "examplebucket");
		env_set("S3_NOTIFY_URL", HOOK);
		ok(s3_app_init(&app, env_get, NULL, 0, err, sizeof err) != S3_OK &&
		   strstr(err, "S3_NOTIFY_SECRET"), "config: S3_NOTIFY_URL without its secret refused");
		env_set("S3_NOTIFY_SECRET", "short");
		ok(s3_app_init(&app, env_get, NULL, 0, err, sizeof err) != S3_OK &&
		   !strstr(err, "short"), "config: a short secret refused, never echoed (%s)", err);
		env_set("S3_NOTIFY_SECRET", SECRET);
		env_set("S3_NOTIFY_URL", "ftp://127.0.0.1/x");
		ok(s3_app_init(&app, env_get, NULL, 0, err, sizeof err) != S3_OK &&
		   strstr(err, "S3_NOTIFY_URL"), "config: a URL other than http(s) refused");
	}
	return done_testing();
}
