/* test_s3client.c - the S3 client (common/s3client.c) against a fake
 * s3_http_fn: every request is recorded (method, URL, headers, body) and
 * answered from a script (transport error or status, body, request id).
 * Sleep is pinned (the back-offs are recorded, not slept). No network.
 * The Authorization values are checked against sigv4_sign_headers called
 * independently, and against botocore's S3SigV4Auth through
 * tests/lib/botocore_header.py when /usr/bin/python3 has botocore. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "tap.h"
#include "presign.h"
#include "s3client.h"

#define MAX_REQ 32
#define MAX_ANSWERS 32
#define T0 1796378410   /* 20261204T100010Z */

struct rec {
	char method[8];
	char url[2048];
	char names[S3_HTTP_MAX_HEADERS][64];
	char values[S3_HTTP_MAX_HEADERS][2048];
	size_t nh;
	char *body;
	size_t body_len;
	long timeout_ms;
	size_t max_body;
};

struct answer {
	enum s3_err err;          /* S3_OK: an answer with status */
	long status;
	const char *body;
	const char *request_id;
};

static struct rec reqs[MAX_REQ];
static size_t nreq;
static struct answer answers[MAX_ANSWERS];
static size_t nans, next_ans;
static unsigned sleeps[16];
static size_t nsleep;

static void script(enum s3_err e, long status, const char *body)
{
	answers[nans++] = (struct answer){ e, status, body, "REQID1" };
}

static void reset(void)
{
	for (size_t i = 0; i < nreq; i++)
		free(reqs[i].body);
	nreq = nans = next_ans = nsleep = 0;
}

static void pinned_sleep(unsigned ms)
{
	if (nsleep < sizeof sleeps / sizeof *sleeps)
		sleeps[nsleep++] = ms;
}

static enum s3_err fake_http(void *ctx, const struct s3_http_request *rq,
                             struct s3_http_response *rs, char *why, size_t cap)
{
	struct rec *r = nreq < MAX_REQ ? &reqs[nreq++] : NULL;
	const struct answer *a;

	(void)ctx;
	memset(rs, 0, sizeof *rs);
	if (r) {
		snprintf(r->method, sizeof r->method, "%s", rq->method);
		snprintf(r->url, sizeof r->url, "%s", rq->url);
		r->nh = rq->nheaders;
		for (size_t i = 0; i < rq->nheaders && i < S3_HTTP_MAX_HEADERS; i++) {
			snprintf(r->names[i], sizeof r->names[i], "%s", rq->headers[i].name);
			snprintf(r->values[i], sizeof r->values[i], "%s", rq->headers[i].value);
		}
		r->body = malloc(rq->body_len + 1);
		memcpy(r->body, rq->body ? rq->body : "", rq->body_len);
		r->body[rq->body_len] = '\0';
		r->body_len = rq->body_len;
		r->timeout_ms = rq->timeout_ms;
		r->max_body = rq->max_body;
	}
	if (next_ans >= nans) {
		snprintf(why, cap, "no scripted answer");
		return S3_ERR_IO;
	}
	a = &answers[next_ans++];
	if (a->err) {
		snprintf(why, cap, "Connection refused (fake)");
		return a->err;
	}
	rs->status = a->status;
	rs->len = strlen(a->body);
	rs->body = malloc(rs->len + 1);
	memcpy(rs->body, a->body, rs->len + 1);
	for (size_t i = 0; i < rq->nwant; i++)
		if (!strcasecmp(rq->want_headers[i], "x-amz-request-id") && a->request_id)
			rs->header_values[i] = strdup(a->request_id);
	return S3_OK;
}

static const char *hdr(const struct rec *r, const char *name)
{
	for (size_t i = 0; i < r->nh; i++)
		if (!strcasecmp(r->names[i], name))
			return r->values[i];
	return NULL;
}

static void sha256_hex_of(const char *s, size_t n, char hex[65])
{
	unsigned char md[32];
	unsigned int k = 0;

	EVP_Digest(s, n, md, &k, EVP_sha256(), NULL);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

static struct s3_client cl;
static const struct s3_creds creds = { "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL };
static const struct s3_creds tcreds = { "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                        "FQoGZXIvYXdzEXAMPLE//token+=" };

static void setup(void)
{
	memset(&cl, 0, sizeof cl);
	cl.target = (struct s3_target){ "bkt", "us-east-1", "http://127.0.0.1:9000", S3_STYLE_AUTO };
	cl.http = fake_http;
	cl.sleep_ms = pinned_sleep;
	reset();
}

#define INIT_OK "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<InitiateMultipartUploadResult " \
	"xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Bucket>bkt</Bucket><Key>a b/c.txt</Key>" \
	"<UploadId>VXBsb2FkIElE.x-y_z~</UploadId></InitiateMultipartUploadResult>"
#define ERR(code) "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" code \
	"</Code><Message>m</Message><RequestId>r</RequestId></Error>"
#define COMPLETE_OK "<CompleteMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">" \
	"<Location>http://127.0.0.1:9000/bkt/k</Location><Bucket>bkt</Bucket><Key>k</Key>" \
	"<ETag>\"3858f62230ac3c915f300c664312c11f-2\"</ETag></CompleteMultipartUploadResult>"

/* Independently: the Authorization sigv4_sign_headers gives for what r
 * carried, with the signed headers named. */
static void check_signature(const struct rec *r, const struct s3_creds *c, const char *host,
                            const char *path, const struct sigv4_param *p, size_t np,
                            const struct sigv4_header *h, size_t nh, const char *what)
{
	struct sigv4_hauth a;
	char hash[65];
	struct sigv4_hrequest sr;

	sha256_hex_of(r->body, r->body_len, hash);
	sr = (struct sigv4_hrequest){
		.method = r->method, .host = host, .path = path, .params = p, .nparams = np,
		.headers = h, .nheaders = nh, .service = "s3", .region = "us-east-1",
		.payload_hash = hash, .content_sha256 = 1, .when = T0,
	};
	is_int(sigv4_sign_headers(&a, &sr, c, NULL), S3_OK, "%s: signed independently", what);
	is_str(hdr(r, "Authorization"), a.authorization, "%s: Authorization as sigv4_sign_headers", what);
	is_str(hdr(r, "x-amz-content-sha256"), hash, "%s: x-amz-content-sha256 = SHA-256 of the body", what);
	is_str(hdr(r, "X-Amz-Date"), "20261204T100010Z", "%s: X-Amz-Date", what);
	is_str(hdr(r, "Host"), host, "%s: Host", what);
}

static void test_create(void)
{
	static const struct s3_meta_header meta[] = { { "x-amz-meta-owner", "Ann Lee" } };
	struct s3_create_in in = {
		.key = "a b/c.txt", .key_len = 9, .content_type = "text/plain",
		.content_disposition = "attachment; filename=\"c.txt\"", .acl = "private",
		.meta = meta, .nmeta = 1,
	};
	struct sigv4_param p[] = { { "uploads", "" } };
	struct sigv4_header h[] = {
		{ "Content-Type", "text/plain" }, { "Content-Disposition", "attachment; filename=\"c.txt\"" },
		{ "x-amz-acl", "private" }, { "x-amz-meta-owner", "Ann Lee" },
	};
	struct s3_call_error err;
	char id[S3XML_MAX_UPLOAD_ID + 1];

	setup();
	script(S3_OK, 200, INIT_OK);
	is_int(s3_client_create(&cl, &creds, T0, &in, id, sizeof id, &err), S3_OK, "create (%s)", err.why);
	is_str(id, "VXBsb2FkIElE.x-y_z~", "create: the UploadId");
	is_int(nreq, 1, "create: one request");
	is_str(reqs[0].method, "POST", "create: POST");
	is_str(reqs[0].url, "http://127.0.0.1:9000/bkt/a%20b/c.txt?uploads=", "create: URL");
	is_int(reqs[0].body_len, 0, "create: no body");
	is_str(hdr(&reqs[0], "Content-Type"), "text/plain", "create: Content-Type sent");
	is_str(hdr(&reqs[0], "x-amz-acl"), "private", "create: x-amz-acl sent");
	is_str(hdr(&reqs[0], "x-amz-meta-owner"), "Ann Lee", "create: meta sent");
	ok(hdr(&reqs[0], "X-Amz-Security-Token") == NULL, "create: no token header without a token");
	ok(strstr(hdr(&reqs[0], "Authorization"),
	          "SignedHeaders=content-disposition;content-type;host;x-amz-acl;x-amz-content-sha256;"
	          "x-amz-date;x-amz-meta-owner,") != NULL, "create: signed headers");
	check_signature(&reqs[0], &creds, "127.0.0.1:9000", "/bkt/a%20b/c.txt", p, 1, h, 4, "create");

	/* with a session token; a small cap for the id */
	reset();
	script(S3_OK, 200, INIT_OK);
	is_int(s3_client_create(&cl, &tcreds, T0, &in, id, 5, &err), S3_ERR_TOOLONG,
	       "create: an UploadId over cap is S3_ERR_TOOLONG");
	is_str(id, "", "create: and no id");
	is_int(err.status, 502, "create: 502");
	is_str(hdr(&reqs[0], "X-Amz-Security-Token"), tcreds.session_token, "create: the token sent");
	check_signature(&reqs[0], &tcreds, "127.0.0.1:9000", "/bkt/a%20b/c.txt", p, 1, h, 4,
	                "create with a token");

	/* AWS addressing: the presigned URLs' */
	{
		char obj[512], url[4096];
		struct s3_presign_in pin = { .method = "PUT", .key = "a b/c.txt", .key_len = 9,
		                             .expires = 60, .now = T0 };

		reset();
		cl.target = (struct s3_target){ "bkt", "eu-west-1", NULL, S3_STYLE_AUTO };
		script(S3_OK, 200, INIT_OK);
		is_int(s3_client_create(&cl, &creds, T0, &in, id, sizeof id, &err), S3_OK, "create on AWS");
		is_int(s3_presign(&cl.target, &creds, &pin, NULL, url, sizeof url, obj, sizeof obj), S3_OK,
		       "presign on AWS");
		strcat(obj, "?uploads=");
		is_str(reqs[0].url, obj, "create: the presigned URLs' object URL (virtual-hosted) + ?uploads=");
		is_str(hdr(&reqs[0], "Host"), "bkt.s3.eu-west-1.amazonaws.com", "create: virtual host");
	}

	/* refused before sending */
	setup();
	{
		static const struct s3_meta_header upper[] = { { "X-Amz-Meta-Owner", "x" } };
		struct s3_create_in bad = in;

		bad.meta = upper;
		is_int(s3_client_create(&cl, &creds, T0, &bad, id, sizeof id, &err), S3_ERR_INVAL,
		       "create: a meta name not lowercase refused");
		bad = in;
		bad.key_len = 0;
		is_int(s3_client_create(&cl, &creds, T0, &bad, id, sizeof id, &err), S3_ERR_INVAL,
		       "create: an empty key refused");
		bad.key = "\xff";
		bad.key_len = 1;
		is_int(s3_client_create(&cl, &creds, T0, &bad, id, sizeof id, &err), S3_ERR_UTF8,
		       "create: a key not UTF-8 refused");
		is_int(nreq, 0, "create: nothing sent for those");
		is_int(err.status, 500, "create: a local refusal is 500");
	}
}

static const char *page(int n)
{
	static char buf[4096];
	int first = (n - 1) * 2 + 1;

	snprintf(buf, sizeof buf,
	         "<ListPartsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
	         "<Bucket>bkt</Bucket><Key>k</Key><UploadId>U</UploadId>"
	         "<PartNumberMarker>%d</PartNumberMarker><NextPartNumberMarker>%d</NextPartNumberMarker>"
	         "<MaxParts>1000</MaxParts><IsTruncated>%s</IsTruncated>"
	         "<Part><PartNumber>%d</PartNumber><ETag>\"e%d\"</ETag><Size>%d</Size></Part>"
	         "<Part><PartNumber>%d</PartNumber><ETag>\"e%d\"</ETag><Size>%d</Size></Part>"
	         "</ListPartsResult>",
	         first - 1, first + 1, n < 3 ? "true" : "false",
	         first, first, 5242880, first + 1, first + 1, 5242880);
	return strdup(buf);
}

static void test_list_parts(void)
{
	struct s3xml_parts parts;
	struct s3_call_error err;
	char *pg[3];

	setup();
	for (int i = 0; i < 3; i++)
		script(S3_OK, 200, pg[i] = (char *)page(i + 1));
	is_int(s3_client_list_parts(&cl, &creds, T0, "k", 1, "U/1+2", &parts, &err), S3_OK,
	       "list parts: 3 pages (%s)", err.why);
	is_int(parts.n, 6, "list parts: 6 parts in all");
	for (size_t i = 0; i < parts.n && i < 6; i++)
		ok(parts.part[i].number == i + 1, "list parts: part %zu in order", i + 1);
	is_str(parts.n == 6 ? parts.part[5].etag : "", "\"e6\"", "list parts: last ETag");
	is_int(nreq, 3, "list parts: 3 requests");
	is_str(reqs[0].method, "GET", "list parts: GET");
	is_str(reqs[0].url, "http://127.0.0.1:9000/bkt/k?max-parts=1000&uploadId=U%2F1%2B2",
	       "list parts: first page URL, no marker");
	is_str(reqs[1].url, "http://127.0.0.1:9000/bkt/k?max-parts=1000&part-number-marker=2&uploadId=U%2F1%2B2",
	       "list parts: second page from marker 2");
	is_str(reqs[2].url, "http://127.0.0.1:9000/bkt/k?max-parts=1000&part-number-marker=4&uploadId=U%2F1%2B2",
	       "list parts: third page from marker 4");
	is_int(reqs[0].max_body, S3XML_MAX_BODY, "list parts: a page may be up to S3XML_MAX_BODY");
	{
		struct sigv4_param p[] = { { "uploadId", "U/1+2" }, { "max-parts", "1000" },
		                           { "part-number-marker", "2" } };

		check_signature(&reqs[1], &creds, "127.0.0.1:9000", "/bkt/k", p, 3, NULL, 0, "list parts");
	}
	s3xml_parts_free(&parts);

	/* a smaller page asked for */
	reset();
	cl.page_parts = 2;
	script(S3_OK, 200, pg[2]);
	is_int(s3_client_list_parts(&cl, &creds, T0, "k", 1, "U", &parts, &err), S3_OK,
	       "list parts: page_parts 2");
	is_str(reqs[0].url, "http://127.0.0.1:9000/bkt/k?max-parts=2&uploadId=U", "list parts: max-parts=2");
	s3xml_parts_free(&parts);
	reset();
	cl.page_parts = 5000;
	script(S3_OK, 200, pg[2]);
	s3_client_list_parts(&cl, &creds, T0, "k", 1, "U", &parts, &err);
	is_str(reqs[0].url, "http://127.0.0.1:9000/bkt/k?max-parts=1000&uploadId=U",
	       "list parts: page_parts over 1000 is 1000");
	s3xml_parts_free(&parts);
	cl.page_parts = 0;

	/* a marker that does not move */
	reset();
	script(S3_OK, 200, pg[0]);
	script(S3_OK, 200, pg[0]);
	is_int(s3_client_list_parts(&cl, &creds, T0, "k", 1, "U", &parts, &err), S3_ERR_PARSE,
	       "list parts: a marker going back is S3_ERR_PARSE");
	is_int(err.status, 502, "list parts: 502");
	ok(parts.part == NULL && parts.n == 0, "list parts: nothing handed back on failure");

	reset();
	script(S3_OK, 404, ERR("NoSuchUpload"));
	is_int(s3_client_list_parts(&cl, &creds, T0, "k", 1, "U", &parts, &err), S3_ERR_REMOTE,
	       "list parts: NoSuchUpload is S3_ERR_REMOTE");
	is_int(err.status, 404, "NoSuchUpload -> 404");
	is_int(err.s3_status, 404, "s3_status 404");
	is_str(err.code, "NoSuchUpload", "code NoSuchUpload");
	is_int(err.attempts, 1, "not retried");
	ok(strstr(err.why, "REQID1") != NULL, "why names S3's request id (%s)", err.why);
	ok(!strstr(err.why, "uploadId") && !strstr(err.why, "Signature") && !strstr(err.why, "AKID"),
	   "why names no query, signature or key");

	reset();
	script(S3_OK, 200, "<ListPartsResult><Part><PartNumber>x</PartNumber></Part></ListPartsResult>");
	is_int(s3_client_list_parts(&cl, &creds, T0, "k", 1, "U", &parts, &err), S3_ERR_PARSE,
	       "list parts: a bad page is S3_ERR_PARSE");
	is_int(nreq, 1, "list parts: a bad page is not retried");

	is_int(s3_client_list_parts(&cl, &creds, T0, "k", 1, "", &parts, &err), S3_ERR_INVAL,
	       "list parts: an empty upload id refused");
	is_int(s3_client_list_parts(&cl, &creds, T0, "k", 1, "a b", &parts, &err), S3_ERR_INVAL,
	       "list parts: an upload id with a space refused");
	for (int i = 0; i < 3; i++)
		free(pg[i]);
}

static void test_complete(void)
{
	struct s3_complete_part parts[] = { { 1, "\"a54357aff0632cce46d942af68356b38\"" },
	                                    { 2, "\"x&y<z>\"" } };
	const char *want =
		"<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
		"<Part><PartNumber>1</PartNumber><ETag>\"a54357aff0632cce46d942af68356b38\"</ETag></Part>"
		"<Part><PartNumber>2</PartNumber><ETag>\"x&amp;y&lt;z&gt;\"</ETag></Part>"
		"</CompleteMultipartUpload>";
	char loc[S3XML_MAX_LOCATION + 1], etag[S3XML_MAX_ETAG + 1];
	struct s3_call_error err;
	struct sigv4_param p[] = { { "uploadId", "U" } };
	struct sigv4_header h[] = { { "Content-Type", "application/xml" } };

	setup();
	script(S3_OK, 200, COMPLETE_OK);
	is_int(s3_client_complete(&cl, &creds, T0, "k", 1, "U", parts, 2, loc, etag, &err), S3_OK,
	       "complete (%s)", err.why);
	is_str(reqs[0].method, "POST", "complete: POST");
	is_str(reqs[0].url, "http://127.0.0.1:9000/bkt/k?uploadId=U", "complete: URL");
	is_str(reqs[0].body, want, "complete: the document, ETags escaped");
	is_str(hdr(&reqs[0], "Content-Type"), "application/xml", "complete: Content-Type");
	is_str(loc, "http://127.0.0.1:9000/bkt/k", "complete: Location");
	is_str(etag, "\"3858f62230ac3c915f300c664312c11f-2\"", "complete: ETag");
	check_signature(&reqs[0], &creds, "127.0.0.1:9000", "/bkt/k", p, 1, h, 1, "complete");

	/* 200 with an <Error>: an error; InternalError retried, then success */
	reset();
	script(S3_OK, 200, ERR("InternalError"));
	script(S3_OK, 200, COMPLETE_OK);
	is_int(s3_client_complete(&cl, &creds, T0, "k", 1, "U", parts, 2, loc, etag, &err), S3_OK,
	       "complete: 200 InternalError, then success");
	is_int(nreq, 2, "complete: retried once");
	is_str(reqs[1].body, want, "complete: the same body again");
	is_str(hdr(&reqs[1], "Authorization"), hdr(&reqs[0], "Authorization"),
	       "complete: the same signature again");

	reset();
	script(S3_OK, 200, ERR("AccessDenied"));
	is_int(s3_client_complete(&cl, &creds, T0, "k", 1, "U", parts, 2, loc, etag, &err),
	       S3_ERR_REMOTE, "complete: 200 with an <Error> AccessDenied is an error");
	is_int(err.status, 403, "complete: AccessDenied -> 403");
	is_int(err.s3_status, 200, "complete: s3_status 200");
	is_int(nreq, 1, "complete: not retried");
	is_str(etag, "", "complete: no ETag");

	reset();
	for (int i = 0; i < 4; i++)
		script(S3_OK, 200, ERR("SlowDown"));
	is_int(s3_client_complete(&cl, &creds, T0, "k", 1, "U", parts, 2, loc, etag, &err),
	       S3_ERR_IO, "complete: 200 SlowDown every time: S3_ERR_IO");
	is_int(err.status, 502, "502 after the retries");
	is_int(nreq, 4, "1 + 3 attempts");

	reset();
	script(S3_OK, 400, ERR("InvalidPart"));
	is_int(s3_client_complete(&cl, &creds, T0, "k", 1, "U", parts, 2, loc, etag, &err),
	       S3_ERR_REMOTE, "complete: InvalidPart");
	is_int(err.status, 400, "InvalidPart -> 400");
	is_int(nreq, 1, "a 400 is not retried");

	reset();
	script(S3_OK, 400, ERR("EntityTooSmall"));
	is_int(s3_client_complete(&cl, &creds, T0, "k", 1, "U", parts, 2, loc, etag, &err),
	       S3_ERR_REMOTE, "complete: EntityTooSmall");
	is_int(err.status, 400, "EntityTooSmall -> 400");
	is_str(err.code, "EntityTooSmall", "code EntityTooSmall");

	reset();
	script(S3_OK, 200, "<Nope/>");
	is_int(s3_client_complete(&cl, &creds, T0, "k", 1, "U", parts, 2, loc, etag, &err),
	       S3_ERR_PARSE, "complete: another document: S3_ERR_PARSE");

	/* refused before sending */
	reset();
	{
		struct s3_complete_part bad[] = { { 0, "\"e\"" } }, ctl[] = { { 1, "\"e\ne\"" } };

		is_int(s3_client_complete(&cl, &creds, T0, "k", 1, "U", parts, 0, loc, etag, &err),
		       S3_ERR_RANGE, "complete: no parts refused");
		is_int(s3_client_complete(&cl, &creds, T0, "k", 1, "U", bad, 1, loc, etag, &err),
		       S3_ERR_RANGE, "complete: part number 0 refused");
		is_int(s3_client_complete(&cl, &creds, T0, "k", 1, "U", ctl, 1, loc, etag, &err),
		       S3_ERR_INVAL, "complete: an ETag with a line break refused");
		is_int(nreq, 0, "complete: nothing sent for those");
	}
}

static void test_abort(void)
{
	struct s3_call_error err;
	struct sigv4_param p[] = { { "uploadId", "U" } };

	setup();
	script(S3_OK, 204, "");
	is_int(s3_client_abort(&cl, &creds, T0, "dir/k", 5, "U", &err), S3_OK, "abort (%s)", err.why);
	is_str(reqs[0].method, "DELETE", "abort: DELETE");
	is_str(reqs[0].url, "http://127.0.0.1:9000/bkt/dir/k?uploadId=U", "abort: URL");
	is_str(hdr(&reqs[0], "x-amz-content-sha256"), SIGV4_EMPTY_SHA256, "abort: empty payload hash");
	check_signature(&reqs[0], &creds, "127.0.0.1:9000", "/bkt/dir/k", p, 1, NULL, 0, "abort");

	reset();
	script(S3_OK, 403, ERR("AccessDenied"));
	is_int(s3_client_abort(&cl, &creds, T0, "k", 1, "U", &err), S3_ERR_REMOTE, "abort: AccessDenied");
	is_int(err.status, 403, "AccessDenied -> 403");
	is_int(nreq, 1, "a 403 is not retried");

	reset();
	script(S3_ERR_IO, 0, NULL);
	script(S3_OK, 404, ERR("NoSuchUpload"));
	is_int(s3_client_abort(&cl, &creds, T0, "k", 1, "U", &err), S3_OK,
	       "abort: NoSuchUpload after a transport failure: done (%s)", err.why);
	is_int(err.attempts, 2, "abort: two attempts");

	reset();
	script(S3_OK, 503, ERR("SlowDown"));
	script(S3_OK, 404, ERR("NoSuchUpload"));
	is_int(s3_client_abort(&cl, &creds, T0, "k", 1, "U", &err), S3_ERR_REMOTE,
	       "abort: NoSuchUpload after a 503 is an error (S3 said it did nothing)");

	reset();
	script(S3_ERR_IO, 0, NULL);
	script(S3_OK, 404, ERR("NoSuchUpload"));
	{
		struct s3xml_parts lp;

		is_int(s3_client_list_parts(&cl, &creds, T0, "k", 1, "U", &lp, &err), S3_ERR_REMOTE,
		       "list parts: NoSuchUpload after a transport failure stays an error");
	}

	reset();
	script(S3_OK, 404, "");
	is_int(s3_client_abort(&cl, &creds, T0, "k", 1, "U", &err), S3_ERR_REMOTE,
	       "abort: a 404 without a body");
	is_int(err.status, 404, "404 as S3's status");
	is_str(err.code, "", "no code");
}

static void test_retries(void)
{
	struct s3_call_error err;
	struct s3_create_in in = { .key = "k", .key_len = 1 };
	char id[64];

	setup();
	script(S3_OK, 500, ERR("InternalError"));
	script(S3_OK, 503, ERR("SlowDown"));
	script(S3_OK, 200, INIT_OK);
	is_int(s3_client_create(&cl, &creds, T0, &in, id, sizeof id, &err), S3_OK,
	       "500, 503, then 200: success");
	is_int(nreq, 3, "three attempts");
	is_int(err.attempts, 3, "err.attempts 3");
	is_int(nsleep, 2, "two back-offs");
	ok(sleeps[0] >= S3_CLIENT_BACKOFF_MS / 2 && sleeps[0] <= S3_CLIENT_BACKOFF_MS,
	   "first back-off in [50, 100] ms (%u)", sleeps[0]);
	ok(sleeps[1] >= S3_CLIENT_BACKOFF_MS && sleeps[1] <= 2 * S3_CLIENT_BACKOFF_MS,
	   "second in [100, 200] ms (%u)", sleeps[1]);

	reset();
	for (int i = 0; i < 6; i++)
		script(S3_OK, 503, ERR("SlowDown"));
	is_int(s3_client_create(&cl, &creds, T0, &in, id, sizeof id, &err), S3_ERR_IO,
	       "503 SlowDown every time: S3_ERR_IO");
	is_int(nreq, 1 + S3_CLIENT_RETRIES, "1 + S3_CLIENT_RETRIES attempts");
	is_int(nsleep, S3_CLIENT_RETRIES, "a back-off before each retry");
	ok(sleeps[2] >= 2 * S3_CLIENT_BACKOFF_MS && sleeps[2] <= 4 * S3_CLIENT_BACKOFF_MS,
	   "third in [200, 400] ms (%u)", sleeps[2]);
	is_int(err.status, 502, "502");
	is_int(err.s3_status, 503, "s3_status 503");
	is_str(err.code, "SlowDown", "code SlowDown");
	ok(strstr(err.why, "4 attempts") != NULL, "why counts the attempts (%s)", err.why);

	reset();
	for (int i = 0; i < 4; i++)
		script(S3_ERR_IO, 0, NULL);
	is_int(s3_client_create(&cl, &creds, T0, &in, id, sizeof id, &err), S3_ERR_IO,
	       "transport failure every time: S3_ERR_IO");
	is_int(nreq, 4, "retried");
	is_int(err.status, 502, "502");
	is_int(err.s3_status, 0, "no S3 status");
	ok(strstr(err.why, "Connection refused (fake)") != NULL, "why names the cause (%s)", err.why);

	reset();
	script(S3_ERR_IO, 0, NULL);
	script(S3_OK, 200, INIT_OK);
	is_int(s3_client_create(&cl, &creds, T0, &in, id, sizeof id, &err), S3_OK,
	       "a transport failure, then success");

	reset();
	script(S3_ERR_TOOLONG, 0, NULL);
	is_int(s3_client_create(&cl, &creds, T0, &in, id, sizeof id, &err), S3_ERR_TOOLONG,
	       "an answer over the limit: not retried");
	is_int(nreq, 1, "one attempt");
	is_int(err.status, 502, "502");

	reset();
	script(S3_OK, 500, "");
	script(S3_OK, 500, "");
	cl.retries = S3_CLIENT_NO_RETRIES;
	is_int(s3_client_create(&cl, &creds, T0, &in, id, sizeof id, &err), S3_ERR_IO,
	       "S3_CLIENT_NO_RETRIES: one attempt");
	is_int(nreq, 1, "one request");
	is_int(err.status, 502, "a 500 -> 502");

	reset();
	cl.retries = 1;
	cl.timeout_ms = 1234;
	for (int i = 0; i < 4; i++)
		script(S3_OK, 500, "");
	s3_client_create(&cl, &creds, T0, &in, id, sizeof id, &err);
	is_int(nreq, 2, "retries = 1: two attempts");
	is_int(reqs[0].timeout_ms, 1234, "timeout_ms passed to each attempt");
	cl.retries = 0;
	cl.timeout_ms = 0;

	reset();
	cl.retries = 100;
	for (int i = 0; i < 12; i++)
		script(S3_OK, 503, "");
	s3_client_create(&cl, &creds, T0, &in, id, sizeof id, &err);
	is_int(nreq, 1 + S3_CLIENT_MAX_RETRIES, "retries are capped at S3_CLIENT_MAX_RETRIES");
	ok(sleeps[S3_CLIENT_MAX_RETRIES - 1] >= S3_CLIENT_BACKOFF_MAX_MS / 2 &&
	   sleeps[S3_CLIENT_MAX_RETRIES - 1] <= S3_CLIENT_BACKOFF_MAX_MS,
	   "a back-off never over S3_CLIENT_BACKOFF_MAX_MS (%u)", sleeps[S3_CLIENT_MAX_RETRIES - 1]);
	cl.retries = 0;

	reset();
	script(S3_OK, 504, "");
	script(S3_OK, 200, INIT_OK);
	is_int(s3_client_create(&cl, &creds, T0, &in, id, sizeof id, &err), S3_ERR_IO,
	       "a 504 (not S3's 500 or 503): S3_ERR_IO, not retried");
	is_int(nreq, 1, "one attempt");
	is_int(err.status, 502, "502");

	/* no retry on a 4xx */
	{
		static const struct { long st; const char *body; int want; } no[] = {
			{ 400, ERR("InvalidArgument"), 400 }, { 403, ERR("AccessDenied"), 403 },
			{ 404, ERR("NoSuchUpload"), 404 }, { 403, ERR("SignatureDoesNotMatch"), 502 },
			{ 404, ERR("NoSuchBucket"), 502 }, { 400, ERR("SlowDown"), 502 },
			{ 301, ERR("PermanentRedirect"), 502 },
		};

		for (size_t i = 0; i < sizeof no / sizeof *no; i++) {
			reset();
			script(S3_OK, no[i].st, no[i].body);
			script(S3_OK, 200, INIT_OK);
			is_int(s3_client_create(&cl, &creds, T0, &in, id, sizeof id, &err), S3_ERR_REMOTE,
			       "HTTP %ld %s: S3_ERR_REMOTE", no[i].st, err.code);
			is_int(nreq, 1, "HTTP %ld %s: not retried", no[i].st, err.code);
			is_int(err.status, no[i].want, "HTTP %ld %s -> %d", no[i].st, err.code, no[i].want);
		}
	}
}

/* ---- botocore: the Authorization values S3SigV4Auth computes ---------- */

static void test_botocore(void)
{
	static const struct s3_meta_header meta[] = { { "x-amz-meta-owner", "Ann  Lee " } };
	struct s3_create_in in = { .key = "photos/x y.jpg", .key_len = 14, .content_type = "image/jpeg",
	                           .acl = "private", .meta = meta, .nmeta = 1 };
	struct s3_complete_part parts[] = { { 1, "\"a54357aff0632cce46d942af68356b38\"" } };
	struct s3xml_parts lp;
	char id[64], loc[S3XML_MAX_LOCATION + 1], etag[S3XML_MAX_ETAG + 1], *pg = (char *)page(3);
	char in_file[] = "/tmp/test_s3client.XXXXXX", cmd[256], line[4096];
	/* per request: raw params and the signed non-x-amz-date headers */
	static const char *const params[] = { "uploads=", "uploadId=U/1+2&max-parts=1000",
	                                      "uploadId=U/1+2", "uploadId=U/1+2" };
	const struct s3_creds *who[] = { &tcreds, &creds, &creds, &tcreds };
	FILE *f, *p;
	int fd;
	size_t n = 0;

	if (access("/usr/bin/python3", X_OK) != 0 ||
	    system("/usr/bin/python3 -c 'import botocore' 2>/dev/null") != 0) {
		ok(1, "# SKIP botocore parity: no /usr/bin/python3 with botocore");
		free(pg);
		return;
	}
	setup();
	script(S3_OK, 200, INIT_OK);
	script(S3_OK, 200, pg);
	script(S3_OK, 200, COMPLETE_OK);
	script(S3_OK, 204, "");
	s3_client_create(&cl, &tcreds, T0, &in, id, sizeof id, NULL);
	s3_client_list_parts(&cl, &creds, T0, "k", 1, "U/1+2", &lp, NULL);
	s3xml_parts_free(&lp);
	s3_client_complete(&cl, &creds, T0, "k", 1, "U/1+2", parts, 1, loc, etag, NULL);
	s3_client_abort(&cl, &tcreds, T0, "k", 1, "U/1+2", NULL);
	free(pg);
	is_int(nreq, 4, "botocore: four calls recorded");
	if ((fd = mkstemp(in_file)) < 0 || !(f = fdopen(fd, "w"))) {
		ok(0, "temporary file");
		return;
	}
	for (size_t i = 0; i < nreq && i < 4; i++) {
		const struct rec *r = &reqs[i];
		char url[2048], *q;
		int nh = 0;

		snprintf(url, sizeof url, "%s", r->url);
		if ((q = strchr(url, '?')))
			*q = '\0';
		fprintf(f, "%s\t%s\t%s\tus-east-1\t%s\t%s\t%s\t%s\t%s\t", r->method, url,
		        hdr(r, "X-Amz-Date"), who[i]->access_key, who[i]->secret_key,
		        who[i]->session_token ? who[i]->session_token : "-", r->body, params[i]);
		for (size_t j = 0; j < r->nh; j++) {
			static const char *const skip[] = { "Host", "Authorization", "X-Amz-Date",
			                                    "x-amz-content-sha256", "X-Amz-Security-Token" };
			int s = 0;

			for (size_t k = 0; k < sizeof skip / sizeof *skip; k++)
				s |= !strcasecmp(r->names[j], skip[k]);
			if (!s)
				fprintf(f, "%s%s:%s", nh++ ? "|" : "", r->names[j], r->values[j]);
		}
		fprintf(f, "%s\n", nh ? "" : "-");
	}
	fclose(f);
	snprintf(cmd, sizeof cmd, "/usr/bin/python3 tests/lib/botocore_header.py < %s 2>&1", in_file);
	if (!(p = popen(cmd, "r"))) {
		ok(0, "botocore_header.py runs");
		unlink(in_file);
		return;
	}
	while (n < 4 && fgets(line, sizeof line, p)) {
		char *tab = strchr(line, '\t');

		line[strcspn(line, "\n")] = '\0';
		if (tab)
			*tab++ = '\0';
		is_str(hdr(&reqs[n], "Authorization"), line, "botocore: %s %s: Authorization = S3SigV4Auth's",
		       reqs[n].method, n == 0 ? "create" : n == 1 ? "list" : n == 2 ? "complete" : "abort");
		is_str(hdr(&reqs[n], "x-amz-content-sha256"), tab ? tab : "",
		       "botocore: x-amz-content-sha256 = botocore's");
		n++;
	}
	pclose(p);
	unlink(in_file);
	is_int(n, 4, "botocore answered every call");
}

int main(void)
{
	test_create();
	test_list_parts();
	test_complete();
	test_abort();
	test_retries();
	test_botocore();
	reset();
	return done_testing();
}
