/* test_handler.c - the whole flow with time and randomness pinned: exact
 * answers for the reference request, and the status of each failure class. */
#include "tap.h"
#include "handler.h"

#include <stdlib.h>
#include <string.h>

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

static void run(const struct kv *env, const char *method, const char *ctype,
                const char *body, struct s3_response *r)
{
	struct s3_app app;
	char err[256];
	struct s3_req_in in = { method, ctype, NULL, body, body ? strlen(body) : 0 };

	vars = env;
	if (s3_app_init(&app, lookup, NULL, 0, err, sizeof err) != S3_OK) {
		diag("init: %s", err);
		memset(r, 0, sizeof *r);
		return;
	}
	app.uuid = pinned_uuid;
	s3_handle(&app, &in, NOW, r);
	s3_app_free(&app);
}

static void reference(void)
{
	struct s3_response r;

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
		struct s3_req_in in = { "POST", "application/json", NULL,
		                        "{\"file_name\":\"a.txt\"}", 21 };

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

int main(void)
{
	reference();
	config_effects();
	failures();
	return done_testing();
}
