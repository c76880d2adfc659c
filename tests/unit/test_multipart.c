/* test_multipart.c - the multipart routes (cgi/route.h) with the S3
 * client's transport replaced by a script of S3 answers: what each route
 * sends, how S3's answers and failures become statuses, and that a refused
 * key or uploadId sends nothing at all. (The same routes against the real
 * local S3 through nginx: tests/multipart_routes.py.) */
#include "tap.h"
#include "fake_env.h"
#include "multipart.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#define NOW 1369353600   /* 2013-05-24T00:00:00Z */
#define UUID "0b7f3c2e-6a1d-4e8f-9c3b-5d2a1e0f4c6b"
#define KEY "uploads/" UUID "/big.bin"
#define UID "VXBsb2FkSWQtMQ"

struct kv { const char *k, *v; };

static enum s3_err pinned_uuid(char out[37])
{
	strcpy(out, UUID);
	return S3_OK;
}

/* The script: answers in order (status 0: a transport failure); what was
 * sent. An answer with a type is an object: a HEAD answers its
 * Content-Length (the body's length) and Content-Type, a GET its bytes. */
struct answer { long status; const char *body; const char *type; };
static const struct answer *script;
static size_t nscript, sent;
static char last_method[8], last_url[4096], last_body[8192], last_headers[4096];
static char methods[256];   /* "POST HEAD GET " */

static enum s3_err fake_http(void *ctx, const struct s3_http_request *rq,
                             struct s3_http_response *rs, char *why, size_t whycap)
{
	const struct answer *a;

	(void)ctx;
	memset(rs, 0, sizeof *rs);
	snprintf(last_method, sizeof last_method, "%s", rq->method);
	snprintf(last_url, sizeof last_url, "%s", rq->url);
	if (rq->body_len || !strcmp(rq->method, "POST"))
		snprintf(last_body, sizeof last_body, "%.*s", (int)rq->body_len,
		         rq->body ? rq->body : "");
	snprintf(methods + strlen(methods), sizeof methods - strlen(methods), "%s ", rq->method);
	last_headers[0] = '\0';
	for (size_t i = 0; i < rq->nheaders; i++) {
		size_t n = strlen(last_headers);

		snprintf(last_headers + n, sizeof last_headers - n, "%s: %s\n",
		         rq->headers[i].name, rq->headers[i].value);
	}
	a = sent < nscript ? &script[sent] : &script[nscript - 1];
	sent++;
	if (!a->status) {
		snprintf(why, whycap, "connection refused");
		return S3_ERR_IO;
	}
	rs->status = a->status;
	if (a->type && !strcmp(rq->method, "HEAD")) {
		char n[24];

		snprintf(n, sizeof n, "%zu", strlen(a->body));
		for (size_t i = 0; i < rq->nwant; i++)
			if (!strcmp(rq->want_headers[i], "content-length"))
				rs->header_values[i] = strdup(n);
			else if (!strcmp(rq->want_headers[i], "content-type"))
				rs->header_values[i] = strdup(a->type);
			else if (!strcmp(rq->want_headers[i], "etag"))
				rs->header_values[i] = strdup("\"3858f62230ac3c915f300c664312c11f-2\"");
		rs->body = calloc(1, 1);
		return S3_OK;
	}
	rs->len = strlen(a->body);
	rs->body = malloc(rs->len + 1);
	memcpy(rs->body, a->body, rs->len + 1);
	return S3_OK;
}

static unsigned slept;

static void no_sleep(unsigned ms)
{
	slept += ms;
}

static const struct kv base[] = {
	{ "S3_BUCKET", "examplebucket" },
	{ "S3_ENDPOINT", "http://127.0.0.1:9" },
	{ "AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE" },
	{ "AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" },
	{ "S3_METADATA_FIELDS", "caption" },
	{ NULL, NULL },
};

static const struct kv limited[] = {
	{ "S3_BUCKET", "examplebucket" },
	{ "S3_ENDPOINT", "http://127.0.0.1:9" },
	{ "AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE" },
	{ "AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" },
	{ "S3_MAX_FILE_SIZE", "10485760" },
	{ NULL, NULL },
};

/* One request through the router with the script; r is filled. */
static void run(const struct kv *conf, const char *method, const char *path, const char *query,
                const char *body, const struct answer *sc, size_t n, struct s3_response *r)
{
	struct s3_app app;
	char err[256];
	struct s3_req_in in = {
		.method = method, .path = path, .query = query,
		.content_type = body ? "application/json" : NULL,
		.body = body, .body_len = body ? strlen(body) : 0,
	};

	env_clear();
	for (const struct kv *p = conf; p->k; p++)
		env_set(p->k, p->v);
	script = sc;
	nscript = n;
	sent = 0;
	last_url[0] = last_method[0] = methods[0] = '\0';
	s3_response_init(r);
	if (s3_app_init(&app, env_get, NULL, 0, err, sizeof err) != S3_OK) {
		diag("init: %s", err);
		return;
	}
	app.uuid = pinned_uuid;
	app.s3_http = fake_http;
	app.s3_sleep_ms = no_sleep;
	s3_route(&app, &in, NOW, r);
	s3_app_free(&app);
}

static cJSON *body_of(const struct s3_response *r)
{
	return cJSON_ParseWithLength(r->body, r->body_len);
}

static const char *str_of(const cJSON *o, const char *k)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(m) ? m->valuestring : "";
}

static const char initiate[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<InitiateMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
	"<Bucket>examplebucket</Bucket><Key>" KEY "</Key><UploadId>" UID "</UploadId>"
	"</InitiateMultipartUploadResult>";

static const char denied[] =
	"<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>";

#define ETAG1 "&quot;b54357faf0632cce46e942fa68356b38&quot;"
#define ETAG2 "&quot;0c78aef83f66abc1fa1e8477f296d394&quot;"

static const char page1[] =
	"<ListPartsResult><Bucket>examplebucket</Bucket><Key>" KEY "</Key>"
	"<UploadId>" UID "</UploadId><IsTruncated>true</IsTruncated>"
	"<NextPartNumberMarker>1</NextPartNumberMarker>"
	"<Part><PartNumber>1</PartNumber><ETag>" ETAG1 "</ETag><Size>5242880</Size></Part>"
	"</ListPartsResult>";
static const char page2[] =
	"<ListPartsResult><Bucket>examplebucket</Bucket><Key>" KEY "</Key>"
	"<UploadId>" UID "</UploadId><IsTruncated>false</IsTruncated>"
	"<Part><PartNumber>2</PartNumber><ETag>" ETAG2 "</ETag><Size>6291456</Size></Part>"
	"</ListPartsResult>";

static const char done[] =
	"<CompleteMultipartUploadResult><Location>http://127.0.0.1:9/examplebucket/" KEY
	"</Location><Bucket>examplebucket</Bucket><Key>" KEY "</Key>"
	"<ETag>\"3858f62230ac3c915f300c664312c11f-2\"</ETag></CompleteMultipartUploadResult>";

static const char done_elsewhere[] =
	"<CompleteMultipartUploadResult><Location>https://s3.example/examplebucket/" KEY
	"</Location><Bucket>examplebucket</Bucket><Key>" KEY "</Key>"
	"<ETag>\"3858f62230ac3c915f300c664312c11f-2\"</ETag></CompleteMultipartUploadResult>";
static const char done_noloc[] =
	"<CompleteMultipartUploadResult><Bucket>examplebucket</Bucket><Key>" KEY "</Key>"
	"<ETag>\"3858f62230ac3c915f300c664312c11f-2\"</ETag></CompleteMultipartUploadResult>";

static const char parts_body[] =
	"{\"parts\":[{\"PartNumber\":1,\"ETag\":\"\\\"b54357faf0632cce46e942fa68356b38\\\"\"},"
	"{\"PartNumber\":2,\"ETag\":\"\\\"0c78aef83f66abc1fa1e8477f296d394\\\"\"}]}";

#define Q "key=" KEY
#define PDF "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
#define HTML "<!DOCTYPE html>\n<html><head><title>x</title></head><body>" \
	"<script>alert(1)</script></body></html>\n"

int main(void)
{
	struct s3_response r;
	cJSON *j;

	/* ---- create */
	{
		static const struct answer sc[] = { { 200, initiate, NULL } };

		run(base, "POST", "/api/s3/multipart", NULL,
		    "{\"filename\":\"Big.bin\",\"type\":\"application/pdf\","
		    "\"metadata\":{\"caption\":\"hi\",\"other\":\"x\",\"n\":3}}", sc, 1, &r);
		j = body_of(&r);
		ok(r.status == 200 && !strcmp(str_of(j, "key"), KEY) &&
		   !strcmp(str_of(j, "uploadId"), UID) && !strcmp(str_of(j, "bucket"), "examplebucket"),
		   "create: 200 {key, uploadId, bucket}");
		ok(sent == 1 && !strcmp(last_method, "POST") &&
		   !strcmp(last_url, "http://127.0.0.1:9/examplebucket/" KEY "?uploads="),
		   "create: one POST KEY?uploads= (%s %s)", last_method, last_url);
		ok(strstr(last_headers, "Content-Type: application/pdf\n") &&
		   strstr(last_headers, "x-amz-meta-caption: hi\n") &&
		   !strstr(last_headers, "x-amz-meta-other") && strstr(last_headers, "Authorization: "),
		   "create: the type, the configured metadata only, signed");
		cJSON_Delete(j);
		s3_response_free(&r);
	}
	{
		static const struct answer sc[] = { { 200, initiate, NULL } };

		run(base, "POST", "/api/s3/multipart", NULL,
		    "{\"filename\":\"x.svg\",\"type\":\"image/svg+xml\"}", sc, 1, &r);
		ok(r.status == 200 && strstr(last_headers, "Content-Disposition: attachment\n"),
		   "create: active content is created with Content-Disposition: attachment");
		s3_response_free(&r);
	}
	{
		static const struct answer sc[] = { { 403, denied, NULL } };

		run(base, "POST", "/api/s3/multipart", NULL, "{\"filename\":\"a.bin\"}", sc, 1, &r);
		j = body_of(&r);
		ok(r.status == 403 && strstr(str_of(j, "message"), "AccessDenied") && sent == 1,
		   "create: S3's AccessDenied is 403, not retried (%d, %zu sent)", r.status, sent);
		cJSON_Delete(j);
		s3_response_free(&r);
	}
	{
		static const struct answer sc[] = { { 0, "", NULL } };

		run(base, "POST", "/api/s3/multipart", NULL, "{\"filename\":\"a.bin\"}", sc, 1, &r);
		ok(r.status == 502 && sent == 1 + S3_CLIENT_RETRIES && !strstr(r.body, "refused"),
		   "create: S3 unreachable is 502 after %d attempts (%d, %zu sent), the cause "
		   "only in the log", 1 + S3_CLIENT_RETRIES, r.status, sent);
		ok(strstr(r.message, "connection refused") != NULL, "create: the log says why (%s)",
		   r.message);
		s3_response_free(&r);
	}
	{
		static const struct answer sc[] = {
			{ 503, "<Error><Code>SlowDown</Code><Message>Reduce</Message></Error>", NULL },
			{ 200, initiate, NULL },
		};

		run(base, "POST", "/api/s3/multipart", NULL, "{\"filename\":\"a.bin\"}", sc, 2, &r);
		ok(r.status == 200 && sent == 2, "create: SlowDown is retried, then 200");
		s3_response_free(&r);
	}
	{
		run(base, "POST", "/api/s3/multipart", NULL, "{\"type\":\"a/b\"}", NULL, 0, &r);
		ok(r.status == 400 && sent == 0, "create without filename: 400, nothing sent");
		s3_response_free(&r);
	}

	/* ---- list */
	{
		static const struct answer sc[] = { { 200, page1, NULL }, { 200, page2, NULL } };

		run(base, "GET", "/api/s3/multipart/" UID, Q, NULL, sc, 2, &r);
		j = body_of(&r);
		ok(r.status == 200 && cJSON_GetArraySize(j) == 2 && sent == 2,
		   "list: both pages in one array (%d, %zu sent)", r.status, sent);
		ok(j && cJSON_GetArrayItem(j, 1) &&
		   !strcmp(str_of(cJSON_GetArrayItem(j, 1), "ETag"),
		           "\"0c78aef83f66abc1fa1e8477f296d394\"") &&
		   cJSON_GetObjectItem(cJSON_GetArrayItem(j, 1), "Size")->valuedouble == 6291456,
		   "list: PartNumber, ETag and Size as S3 listed them");
		ok(strstr(last_url, "part-number-marker=1") && strstr(last_url, "uploadId=" UID),
		   "list: the second page starts after the marker (%s)", last_url);
		cJSON_Delete(j);
		s3_response_free(&r);
	}
	{
		static const struct answer sc[] = {
			{ 404, "<Error><Code>NoSuchUpload</Code><Message>gone</Message></Error>", NULL },
		};

		run(base, "GET", "/api/s3/multipart/" UID, Q, NULL, sc, 1, &r);
		ok(r.status == 404 && strstr(r.body, "no such upload"), "list: NoSuchUpload is 404");
		s3_response_free(&r);
	}

	/* ---- complete */
	{
		static const struct answer sc[] = {
			{ 200, done, NULL }, { 200, PDF, "application/pdf" }, { 206, PDF, NULL },
		};

		run(base, "POST", "/api/s3/multipart/" UID "/complete", Q, parts_body, sc, 3, &r);
		j = body_of(&r);
		ok(r.status == 200 && !strcmp(str_of(j, "key"), KEY) &&
		   !strcmp(str_of(j, "location"), "http://127.0.0.1:9/examplebucket/" KEY),
		   "complete: 200 {location, key, bucket}");
		ok(!strcmp(str_of(j, "file_type"), "application/pdf") &&
		   !strcmp(str_of(j, "detected_type"), "application/pdf") &&
		   !strcmp(methods, "POST HEAD GET "),
		   "complete: the joined object verified (HEAD, GET), its fields added (%s)", methods);
		ok(strstr(last_url, "?uploadId=") == NULL && strstr(last_headers, "Range: bytes=0-4095"),
		   "complete: ... the first 4 KiB read");
		ok(strstr(last_body, "<PartNumber>2</PartNumber>") &&
		   strstr(last_body, "0c78aef83f66abc1fa1e8477f296d394"),
		   "complete: POST ?uploadId= with the parts' document");
		cJSON_Delete(j);
		s3_response_free(&r);
	}
	/* the answer's location: S3's Location as S3 wrote it, else the
	 * object's own URL (s3_object_url, as verify's url) */
	{
		static const struct answer sc[] = {
			{ 200, done_elsewhere, NULL }, { 200, PDF, "application/pdf" }, { 206, PDF, NULL },
		};

		run(base, "POST", "/api/s3/multipart/" UID "/complete", Q, parts_body, sc, 3, &r);
		j = body_of(&r);
		ok(r.status == 200 &&
		   !strcmp(str_of(j, "location"), "https://s3.example/examplebucket/" KEY),
		   "complete: location is S3's Location (%s)", str_of(j, "location"));
		cJSON_Delete(j);
		s3_response_free(&r);
	}
	{
		static const struct answer sc[] = {
			{ 200, done_noloc, NULL }, { 200, PDF, "application/pdf" }, { 206, PDF, NULL },
		};

		run(base, "POST", "/api/s3/multipart/" UID "/complete", Q, parts_body, sc, 3, &r);
		j = body_of(&r);
		ok(r.status == 200 &&
		   !strcmp(str_of(j, "location"), "http://127.0.0.1:9/examplebucket/" KEY) &&
		   !strcmp(str_of(j, "location"), str_of(j, "url")),
		   "complete without a Location: the object's URL, verify's url (%s)",
		   str_of(j, "location"));
		cJSON_Delete(j);
		s3_response_free(&r);
	}
	{
		static const struct answer sc[] = {
			{ 200, done, NULL }, { 200, HTML, "image/png" }, { 206, HTML, NULL },
			{ 204, "", NULL },
		};

		run(base, "POST", "/api/s3/multipart/" UID "/complete", Q, parts_body, sc, 4, &r);
		ok(r.status == 415 && strstr(r.body, "text/html") && strstr(r.body, "image/png") &&
		   strstr(r.body, "it was deleted"), "complete of HTML stored as image/png: 415 naming "
		   "both, deleted (%d %s)", r.status, r.body);
		ok(!strcmp(methods, "POST HEAD GET DELETE ") && !strstr(last_url, "?"),
		   "complete: ... the object DELETEd (%s %s)", methods, last_url);
		s3_response_free(&r);
	}
	{
		static const struct answer sc[] = {
			{ 200, "<Error><Code>InternalError</Code><Message>try again</Message></Error>", NULL },
		};

		run(base, "POST", "/api/s3/multipart/" UID "/complete", Q, parts_body, sc, 1, &r);
		ok(r.status == 502 && sent == 1 + S3_CLIENT_RETRIES,
		   "complete: 200 with an <Error> is an error, retried, then 502 (%d, %zu sent)",
		   r.status, sent);
		s3_response_free(&r);
	}
	{
		static const struct answer sc[] = {
			{ 400, "<Error><Code>InvalidPart</Code><Message>no</Message></Error>", NULL },
		};

		run(base, "POST", "/api/s3/multipart/" UID "/complete", Q, parts_body, sc, 1, &r);
		ok(r.status == 400 && strstr(r.body, "InvalidPart") && sent == 1,
		   "complete: InvalidPart is 400, not retried");
		s3_response_free(&r);
	}
	{
		static const struct answer sc[] = { { 200, page1, NULL }, { 200, page2, NULL }, { 204, "", NULL } };

		run(limited, "POST", "/api/s3/multipart/" UID "/complete", Q, parts_body, sc, 3, &r);
		ok(r.status == 413 && sent == 3 && !strcmp(last_method, "DELETE"),
		   "complete over S3_MAX_FILE_SIZE: listed, aborted (DELETE), 413 (%d, %zu sent, %s)",
		   r.status, sent, last_method);
		s3_response_free(&r);
	}
	{
		static const struct answer sc[] = {
			{ 200, page1, NULL }, { 200, page2, NULL }, { 200, done, NULL },
			{ 200, PDF, "application/pdf" }, { 206, PDF, NULL },
		};
		static const char one[] =
			"{\"parts\":[{\"PartNumber\":1,\"ETag\":\"b54357faf0632cce46e942fa68356b38\"}]}";

		run(limited, "POST", "/api/s3/multipart/" UID "/complete", Q, one, sc, 5, &r);
		ok(r.status == 200 && sent == 5, "complete naming only part 1 (5 MiB) of 11 MiB "
		   "listed: under the limit, completed (%d)", r.status);
		s3_response_free(&r);
	}
	{
		static const char *const bad[] = {
			"{\"parts\":[]}",
			"{\"parts\":{}}",
			"{\"parts\":[{\"PartNumber\":2,\"ETag\":\"\\\"aa\\\"\"},"
			"{\"PartNumber\":1,\"ETag\":\"\\\"bb\\\"\"}]}",
			"{\"parts\":[{\"PartNumber\":1,\"ETag\":\"\\\"aa\\\"\"},"
			"{\"PartNumber\":1,\"ETag\":\"\\\"bb\\\"\"}]}",
			"{\"parts\":[{\"PartNumber\":1.5,\"ETag\":\"\\\"aa\\\"\"}]}",
			"{\"parts\":[{\"PartNumber\":0,\"ETag\":\"\\\"aa\\\"\"}]}",
			"{\"parts\":[{\"PartNumber\":10001,\"ETag\":\"\\\"aa\\\"\"}]}",
			"{\"parts\":[{\"PartNumber\":\"1\",\"ETag\":\"\\\"aa\\\"\"}]}",
			"{\"parts\":[{\"PartNumber\":1,\"ETag\":\"<x>\"}]}",
			"{\"parts\":[{\"PartNumber\":1,\"ETag\":\"\"}]}",
			"{\"parts\":[{\"PartNumber\":1}]}",
			"{\"parts\":[1]}",
			"{}",
		};

		for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
			run(base, "POST", "/api/s3/multipart/" UID "/complete", Q, bad[i], NULL, 0, &r);
			ok(r.status == 400 && sent == 0, "complete %s: 400, nothing sent", bad[i]);
			s3_response_free(&r);
		}
	}

	/* ---- abort */
	{
		static const struct answer sc[] = { { 204, "", NULL } };

		run(base, "DELETE", "/api/s3/multipart/" UID, Q, NULL, sc, 1, &r);
		ok(r.status == 200 && r.body_len == 2 && !memcmp(r.body, "{}", 2) &&
		   !strcmp(last_method, "DELETE"), "abort: DELETE, answered {}");
		s3_response_free(&r);
	}

	/* ---- signing: no request at all */
	{
		run(base, "GET", "/api/s3/multipart/" UID "/7", Q, NULL, NULL, 0, &r);
		j = body_of(&r);
		ok(r.status == 200 && sent == 0 && strstr(str_of(j, "url"), "partNumber=7") &&
		   strstr(str_of(j, "url"), "uploadId=" UID) &&
		   cJSON_GetObjectItem(j, "expires")->valuedouble == 600 &&
		   strstr(str_of(j, "url"), "X-Amz-Expires=600&"),
		   "sign part: a presigned URL for part 7 of the upload, S3_PART_EXPIRES (600 s) "
		   "long, nothing sent to S3");
		cJSON_Delete(j);
		s3_response_free(&r);
		run(base, "GET", "/api/s3/multipart/" UID "/batch", Q "&partNumbers=3,1,2", NULL,
		    NULL, 0, &r);
		j = body_of(&r);
		ok(r.status == 200 && sent == 0 &&
		   cJSON_GetArraySize(cJSON_GetObjectItem(j, "presignedUrls")) == 3 &&
		   strstr(str_of(cJSON_GetObjectItem(j, "presignedUrls"), "3"), "partNumber=3"),
		   "batch: three URLs by part number");
		cJSON_Delete(j);
		s3_response_free(&r);
	}

	/* ---- a part's md5, signed as Content-MD5 */
	{
		run(base, "GET", "/api/s3/multipart/" UID "/3", Q "&md5=1B2M2Y8AsgTpgAmY7PhCfg%3D%3D",
		    NULL, NULL, 0, &r);
		j = body_of(&r);
		ok(r.status == 200 && strstr(str_of(j, "url"), "X-Amz-SignedHeaders=content-md5%3Bhost") &&
		   !strcmp(str_of(cJSON_GetObjectItem(j, "headers"), "Content-MD5"),
		           "1B2M2Y8AsgTpgAmY7PhCfg=="),
		   "sign part with md5: Content-MD5 signed and listed in headers");
		cJSON_Delete(j);
		s3_response_free(&r);
		run(base, "GET", "/api/s3/multipart/" UID "/batch",
		    Q "&partNumbers=1,2&md5=1B2M2Y8AsgTpgAmY7PhCfg%3D%3D,XUFAKrxLKna5cZ2REBfFkg%3D%3D",
		    NULL, NULL, 0, &r);
		ok(r.status == 200 && strstr(r.body, "content-md5%3Bhost"),
		   "batch with one md5 per part: each signed");
		s3_response_free(&r);
		static const char *const badq[] = {
			Q "&md5=abc",
			Q "&md5=1B2M2Y8AsgTpgAmY7PhCfg%3D",
		};
		for (size_t i = 0; i < 2; i++) {
			run(base, "GET", "/api/s3/multipart/" UID "/3", badq[i], NULL, NULL, 0, &r);
			ok(r.status == 400 && strstr(r.message, "md5 must be"), "sign part, %s: 400",
			   badq[i]);
			s3_response_free(&r);
		}
		run(base, "GET", "/api/s3/multipart/" UID "/batch",
		    Q "&partNumbers=1,2&md5=1B2M2Y8AsgTpgAmY7PhCfg%3D%3D", NULL, NULL, 0, &r);
		ok(r.status == 400 && strstr(r.message, "one MD5 per part"),
		   "batch with fewer md5s than parts: 400");
		s3_response_free(&r);
		run(base, "GET", "/api/s3/multipart/" UID "/batch",
		    Q "&partNumbers=1&md5=1B2M2Y8AsgTpgAmY7PhCfg%3D%3D,1B2M2Y8AsgTpgAmY7PhCfg%3D%3D",
		    NULL, NULL, 0, &r);
		ok(r.status == 400 && strstr(r.message, "one MD5 per part"),
		   "batch with more md5s than parts: 400");
		s3_response_free(&r);
	}

	/* ---- refused before anything is sent */
	{
		static const struct { const char *method, *path, *query; int status; } c[] = {
			{ "GET", "/s3/multipart/" UID, "key=uploads/" UUID "/Big.bin", 403 },
			{ "GET", "/s3/multipart/" UID, "key=other/" UUID "/big.bin", 403 },
			{ "GET", "/s3/multipart/" UID, "key=" KEY "x/y", 403 },
			{ "DELETE", "/s3/multipart/" UID, "key=uploads/../" UUID "/big.bin", 403 },
			{ "GET", "/s3/multipart/" UID, "", 400 },
			{ "GET", "/s3/multipart/a%2Fb", Q, 400 },
			{ "GET", "/s3/multipart/a<b", Q, 400 },
			{ "GET", "/s3/multipart/" UID "/10001", Q, 400 },
			{ "GET", "/s3/multipart/" UID "/0", Q, 400 },
			{ "GET", "/s3/multipart/" UID "/batch", Q "&partNumbers=1,x", 400 },
			{ "GET", "/s3/multipart/" UID "/batch", Q "&partNumbers=", 400 },
			{ "GET", "/s3/multipart/" UID "/batch", Q, 400 },
			{ "GET", "/s3/multipart/" UID "/batch", Q "&partNumbers=1,,2", 400 },
		};

		for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
			run(base, c[i].method, c[i].path, c[i].query, NULL, NULL, 0, &r);
			ok(r.status == c[i].status && sent == 0, "%s %s?%s: %d, nothing sent (%d)",
			   c[i].method, c[i].path, c[i].query, c[i].status, r.status);
			s3_response_free(&r);
		}
	}
	{
		char id[S3_MP_UPLOAD_ID_MAX + 2], path[S3_MP_UPLOAD_ID_MAX + 32];

		memset(id, 'a', S3_MP_UPLOAD_ID_MAX + 1);
		id[S3_MP_UPLOAD_ID_MAX + 1] = '\0';
		snprintf(path, sizeof path, "/s3/multipart/%s", id);
		run(base, "GET", path, Q, NULL, NULL, 0, &r);
		ok(r.status == 400 && sent == 0, "an uploadId of %d bytes: 400", S3_MP_UPLOAD_ID_MAX + 1);
		s3_response_free(&r);
	}
	{
		static const struct kv off[] = {
			{ "S3_BUCKET", "examplebucket" },
			{ "AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE" },
			{ "AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" },
			{ "S3_MULTIPART", "0" },
			{ NULL, NULL },
		};

		run(off, "POST", "/api/s3/multipart", NULL, "{\"filename\":\"a.bin\"}", NULL, 0, &r);
		ok(r.status == 404 && sent == 0 && strstr(r.body, "S3_MULTIPART=0"),
		   "S3_MULTIPART=0: the multipart routes are 404");
		s3_response_free(&r);
		run(off, "GET", "/api/s3/params", "filename=a.txt", NULL, NULL, 0, &r);
		ok(r.status == 200, "S3_MULTIPART=0: /s3/params still signs");
		s3_response_free(&r);
	}
	return done_testing();
}
