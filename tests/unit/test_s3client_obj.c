/* test_s3client_obj.c - the S3 client's object calls (HeadObject, ranged
 * GetObject, DeleteObject; common/s3client_obj.c) against a fake
 * s3_http_fn: what is sent and signed, the headers read, 404 without a
 * body, 416, retries, limits. No network. */

#include "tap.h"
#include "fake_s3.h"

int main(void)
{
	struct s3_object_head h;
	struct s3_call_error err;
	unsigned char buf[S3_CLIENT_MAX_RANGE];
	size_t len;

	{
		static const struct answer a[] = { { S3_OK, 200, "", {
			{ "Content-Length", "12345" }, { "ETag", "\"abc\"" },
			{ "Content-Type", "image/png" }, { "Content-Disposition", "attachment" },
			{ "x-amz-request-id", "R1" } } } };

		setup(a, 1);
		is_int(s3_client_head(&cl, &creds, T0, "k/a b.png", 9, &h, &err), S3_OK, "head (%s)",
		       err.why);
		is_str(sent_method, "HEAD", "head: HEAD");
		is_str(sent_url, "http://127.0.0.1:9000/bkt/k/a%20b.png", "head: the object URL");
		ok(strstr(sent_headers, "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261204/"
		          "us-east-1/s3/aws4_request") != NULL, "head: header-signed");
		ok(h.size == 12345, "head: size from Content-Length");
		is_str(h.etag, "\"abc\"", "head: ETag");
		is_str(h.content_type, "image/png", "head: Content-Type");
		is_str(h.content_disposition, "attachment", "head: Content-Disposition");
	}
	{
		static const struct answer a[] = { { S3_OK, 404, "", { { "x-amz-request-id", "R2" } } } };

		setup(a, 1);
		is_int(s3_client_head(&cl, &creds, T0, "k", 1, &h, &err), S3_ERR_REMOTE, "head 404");
		is_int(err.status, 404, "head 404: answered 404");
		is_str(err.code, "NoSuchKey", "head 404: NoSuchKey, though HEAD has no body");
		is_int(nsent, 1, "head 404: not retried");
		ok(strstr(err.why, "R2") != NULL, "head 404: the request id in why (%s)", err.why);
	}
	{
		static const struct answer a[] = {
			{ S3_OK, 503, "", { { NULL, NULL } } },
			{ S3_OK, 200, "", { { "Content-Length", "0" }, { "Content-Type", "text/plain" } } },
		};

		setup(a, 2);
		is_int(s3_client_head(&cl, &creds, T0, "k", 1, &h, &err), S3_OK, "head: 503 retried");
		ok(nsent == 2 && h.size == 0 && h.etag[0] == '\0', "head: 2 attempts, empty ETag kept");
	}
	{
		static const struct answer a[] = { { S3_OK, 200, "", { { "Content-Length", "12x" } } } };

		setup(a, 1);
		is_int(s3_client_head(&cl, &creds, T0, "k", 1, &h, &err), S3_ERR_PARSE,
		       "head: a bad Content-Length is a parse error");
		is_int(err.status, 502, "head: ... 502");
	}
	{
		static const struct answer a[] = { { S3_OK, 206, "\x89PNG\r\n", { { NULL, NULL } } } };

		setup(a, 1);
		is_int(s3_client_get_range(&cl, &creds, T0, "k", 1, buf, 4096, &len, &err), S3_OK,
		       "get range (%s)", err.why);
		is_str(sent_method, "GET", "get range: GET");
		ok(strstr(sent_headers, "Range: bytes=0-4095\n") != NULL, "get range: Range sent");
		ok(strstr(sent_headers, ";range;") || strstr(sent_headers, "SignedHeaders=host;range"),
		   "get range: Range signed (%s)", sent_headers);
		ok(len == 6 && !memcmp(buf, "\x89PNG\r\n", 6), "get range: the bytes");
		is_int(sent_max_body, 4096, "get range: the HTTP client limits the body to cap");
	}
	{
		static const struct answer a[] = { { S3_OK, 200, "tiny", { { NULL, NULL } } } };

		setup(a, 1);
		is_int(s3_client_get_range(&cl, &creds, T0, "k", 1, buf, 4096, &len, &err), S3_OK,
		       "get range: a 200 (Range ignored) that fits");
		is_int(len, 4, "get range: its 4 bytes");
	}
	{
		static const struct answer a[] = { { S3_OK, 416, "<Error><Code>InvalidRange</Code>"
		                                     "</Error>", { { NULL, NULL } } } };

		setup(a, 1);
		is_int(s3_client_get_range(&cl, &creds, T0, "k", 1, buf, 4096, &len, &err), S3_OK,
		       "get range: 416 of an empty object is no bytes");
		is_int(len, 0, "get range: 0 bytes");
	}
	{
		static const struct answer a[] = { { S3_OK, 403, "<Error><Code>AccessDenied</Code>"
		                                     "</Error>", { { NULL, NULL } } } };

		setup(a, 1);
		is_int(s3_client_get_range(&cl, &creds, T0, "k", 1, buf, 4096, &len, &err),
		       S3_ERR_REMOTE, "get range: AccessDenied");
		ok(err.status == 403 && !strcmp(err.code, "AccessDenied"), "get range: 403 AccessDenied");
		setup(a, 1);
		is_int(s3_client_get_range(&cl, &creds, T0, "k", 1, buf, 4097, &len, &err), S3_ERR_INVAL,
		       "get range: cap over S3_CLIENT_MAX_RANGE refused");
		is_int(nsent, 0, "get range: ... nothing sent");
	}
	{
		static const struct answer a[] = {
			{ S3_ERR_IO, 0, "", { { NULL, NULL } } },
			{ S3_OK, 204, "", { { NULL, NULL } } },
		};

		setup(a, 2);
		is_int(s3_client_delete(&cl, &creds, T0, "k/x.html", 8, &err), S3_OK, "delete (%s)",
		       err.why);
		is_str(sent_method, "DELETE", "delete: DELETE");
		is_str(sent_url, "http://127.0.0.1:9000/bkt/k/x.html", "delete: no query");
		is_int(nsent, 2, "delete: a transport failure retried");
	}
	return done_testing();
}
