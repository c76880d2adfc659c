/* test_s3client_live.c - the S3 client (common/s3client.c) against a real
 * local S3 (scripts/s3-local.sh: Swift + s3api on 127.0.0.1), driven by
 * tests/s3_client.sh, which starts its own instance and sets
 * S3_CLIENT_LIVE=1 with the env lines (S3_ENDPOINT, S3_BUCKET, S3_REGION,
 * AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY). Without S3_CLIENT_LIVE it
 * skips (as `make test` runs every unit binary). Only 127.0.0.1.
 *
 * Parts are uploaded through presigned UploadPart URLs (s3_presign with
 * partNumber and uploadId), as a browser would; the object is read back
 * with ranged presigned GETs. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tap.h"
#include "date.h"
#include "http.h"
#include "presign.h"
#include "s3client.h"
#include "s3xml.h"

#define PART1 (5 * 1024 * 1024)     /* S3's least part that is not the last */
#define PART2 1000
#define URLMAX 8192

static struct s3_client cl;
static struct s3_creds cr;
static time_t now;

static unsigned char byte_at(size_t i)
{
	return (unsigned char)((i * 131 + (i >> 12)) & 0xff);
}

/* PUT data to a presigned UploadPart URL; the ETag into etag. */
static int put_part(const char *key, const char *upload_id, unsigned n, const char *data,
                    size_t len, char *etag, size_t cap)
{
	static const char *const want[] = { "ETag" };
	char num[16], url[URLMAX], why[S3_HTTP_WHY_MAX];
	struct sigv4_param p[] = { { "partNumber", num }, { "uploadId", upload_id } };
	struct s3_presign_in in = {
		.method = "PUT", .key = key, .key_len = strlen(key),
		.params = p, .nparams = 2, .expires = 600, .now = now,
	};
	struct s3_http_request rq = { .method = "PUT", .body = data, .body_len = len,
	                              .want_headers = want, .nwant = 1 };
	struct s3_http_response rs;
	int good;

	snprintf(num, sizeof num, "%u", n);
	if (s3_presign(&cl.target, &cr, &in, NULL, url, sizeof url, NULL, 0))
		return 0;
	rq.url = url;
	if (s3_http_curl(NULL, &rq, &rs, why, sizeof why)) {
		diag("part %u: %s", n, why);
		return 0;
	}
	good = rs.status == 200 && rs.header_values[0];
	if (good)
		snprintf(etag, cap, "%s", rs.header_values[0]);
	else
		diag("part %u: HTTP %ld", n, rs.status);
	s3_http_response_free(&rs);
	return good;
}

/* GETs the object with presigned ranged GETs; 1 when it is exactly data. */
static int object_is(const char *key, const unsigned char *data, size_t len)
{
	char url[URLMAX], why[S3_HTTP_WHY_MAX], range[64];
	struct s3_presign_in in = { .method = "GET", .key = key, .key_len = strlen(key),
	                            .expires = 600, .now = now };
	struct s3_http_header h = { "Range", range };
	struct s3_http_request rq = { .method = "GET", .headers = &h, .nheaders = 1,
	                              .max_body = S3_HTTP_MAX_BODY_LIMIT };
	struct s3_http_response rs;
	size_t at = 0;

	if (s3_presign(&cl.target, &cr, &in, NULL, url, sizeof url, NULL, 0))
		return 0;
	rq.url = url;
	while (at < len) {
		size_t n = len - at < S3_HTTP_MAX_BODY_LIMIT ? len - at : S3_HTTP_MAX_BODY_LIMIT;
		int same;

		snprintf(range, sizeof range, "bytes=%zu-%zu", at, at + n - 1);
		if (s3_http_curl(NULL, &rq, &rs, why, sizeof why)) {
			diag("GET: %s", why);
			return 0;
		}
		same = rs.status == 206 && rs.len == n && !memcmp(rs.body, data + at, n);
		if (!same)
			diag("GET %s: HTTP %ld, %zu bytes", range, rs.status, rs.len);
		s3_http_response_free(&rs);
		if (!same)
			return 0;
		at += n;
	}
	/* and nothing past the end */
	snprintf(range, sizeof range, "bytes=%zu-", len);
	if (s3_http_curl(NULL, &rq, &rs, why, sizeof why))
		return 0;
	at = rs.status == 416;
	s3_http_response_free(&rs);
	return (int)at;
}

/* ListMultipartUploads (GET /BUCKET?uploads=) through a presigned query
 * on the path-style bucket URL: 1 when upload_id is listed. */
static int upload_listed(const char *upload_id, int *failed)
{
	char url[URLMAX], host[SIGV4_MAX_HOST + 1], path[SIGV4_MAX_BUCKET + 2], why[S3_HTTP_WHY_MAX];
	struct sigv4_param p[] = { { "uploads", "" } };
	struct sigv4_request r = {
		.method = "GET", .host = host, .path = path, .params = p, .nparams = 1,
		.service = "s3", .region = cl.target.region, .payload_hash = SIGV4_UNSIGNED_PAYLOAD,
		.when = now, .expires = 600,
	};
	struct s3_http_request rq = { .method = "GET", .max_body = S3_HTTP_MAX_BODY_LIMIT };
	struct s3_http_response rs;
	struct sbuf b;
	int found;

	*failed = 1;
	snprintf(host, sizeof host, "%s", cl.target.endpoint + strlen("http://"));
	snprintf(path, sizeof path, "/%s", cl.target.bucket);
	sbuf_init(&b, url, sizeof url);
	sbuf_adds(&b, cl.target.endpoint);
	sbuf_adds(&b, path);
	sbuf_addc(&b, '?');
	if (sigv4_presign_query(&b, &r, &cr, NULL))
		return 0;
	rq.url = url;
	if (s3_http_curl(NULL, &rq, &rs, why, sizeof why))
		return 0;
	*failed = rs.status != 200 || !strstr(rs.body, "ListMultipartUploadsResult");
	found = rs.body && strstr(rs.body, upload_id) != NULL;
	s3_http_response_free(&rs);
	return found;
}

static void test_roundtrip(void)
{
	const char *key = "s3client/live one+two.bin";
	struct s3_create_in in = { .key = key, .key_len = strlen(key),
	                           .content_type = "application/octet-stream" };
	char id[S3XML_MAX_UPLOAD_ID + 1], e1[S3XML_MAX_ETAG + 1], e2[S3XML_MAX_ETAG + 1];
	char loc[S3XML_MAX_LOCATION + 1], etag[S3XML_MAX_ETAG + 1];
	struct s3_call_error err;
	struct s3xml_parts parts;
	unsigned char *data = malloc(PART1 + PART2);
	long c1, c2;

	for (size_t i = 0; i < PART1 + PART2; i++)
		data[i] = byte_at(i);
	is_int(s3_client_create(&cl, &cr, now, &in, id, sizeof id, &err), S3_OK,
	       "create (%s)", err.why);
	ok(id[0] != '\0', "an upload id");
	ok(put_part(key, id, 1, (const char *)data, PART1, e1, sizeof e1), "part 1 (5 MiB) PUT");
	ok(put_part(key, id, 2, (const char *)data + PART1, PART2, e2, sizeof e2), "part 2 PUT");

	is_int(s3_client_list_parts(&cl, &cr, now, key, strlen(key), id, &parts, &err), S3_OK,
	       "list parts (%s)", err.why);
	is_int(parts.n, 2, "two parts listed");
	if (parts.n == 2) {
		ok(parts.part[0].number == 1 && parts.part[0].size == PART1, "part 1: number, size");
		ok(parts.part[1].number == 2 && parts.part[1].size == PART2, "part 2: number, size");
		is_str(parts.part[0].etag, e1, "part 1: the ETag the PUT answered");
	}
	s3xml_parts_free(&parts);

	/* the second call opens no new connection */
	c1 = s3_http_connects();
	is_int(s3_client_list_parts(&cl, &cr, now, key, strlen(key), id, &parts, &err), S3_OK,
	       "list parts again");
	s3xml_parts_free(&parts);
	c2 = s3_http_connects();
	is_int(c2 - c1, 0, "no new connection for the second call (keep-alive)");

	{
		struct s3_complete_part bad[] = { { 1, e1 }, { 2, "\"00000000000000000000000000000000\"" } };

		is_int(s3_client_complete(&cl, &cr, now, key, strlen(key), id, bad, 2, loc, etag, &err),
		       S3_ERR_REMOTE, "complete with a wrong ETag: S3_ERR_REMOTE");
		is_int(err.status, 400, "status 400");
		is_str(err.code, "InvalidPart", "code InvalidPart (%s)", err.why);
	}
	{
		struct s3_complete_part good[] = { { 1, e1 }, { 2, e2 } };

		is_int(s3_client_complete(&cl, &cr, now, key, strlen(key), id, good, 2, loc, etag, &err),
		       S3_OK, "complete (%s)", err.why);
		ok(etag[0] != '\0', "an ETag for the object (%s)", etag);
	}
	ok(object_is(key, data, PART1 + PART2), "GET back: the same bytes");
	free(data);
}

static void test_errors(void)
{
	const char *key = "s3client/small.bin";
	struct s3_create_in in = { .key = key, .key_len = strlen(key) };
	char id[S3XML_MAX_UPLOAD_ID + 1], e1[S3XML_MAX_ETAG + 1], e2[S3XML_MAX_ETAG + 1];
	char loc[S3XML_MAX_LOCATION + 1], etag[S3XML_MAX_ETAG + 1];
	struct s3_call_error err;
	struct s3xml_parts parts;
	int failed = 1;

	/* a part under 5 MiB that is not the last */
	is_int(s3_client_create(&cl, &cr, now, &in, id, sizeof id, &err), S3_OK, "create (%s)", err.why);
	ok(put_part(key, id, 1, "small", 5, e1, sizeof e1), "part 1 (5 bytes)");
	ok(put_part(key, id, 2, "tail", 4, e2, sizeof e2), "part 2");
	{
		struct s3_complete_part p[] = { { 1, e1 }, { 2, e2 } };

		is_int(s3_client_complete(&cl, &cr, now, key, strlen(key), id, p, 2, loc, etag, &err),
		       S3_ERR_REMOTE, "a small first part: S3_ERR_REMOTE");
		is_int(err.status, 400, "status 400");
		is_str(err.code, "EntityTooSmall", "code EntityTooSmall (%s)", err.why);
	}

	/* abort: gone from ListMultipartUploads */
	ok(upload_listed(id, &failed) && !failed, "the upload is listed before abort");
	is_int(s3_client_abort(&cl, &cr, now, key, strlen(key), id, &err), S3_OK, "abort (%s)", err.why);
	ok(!upload_listed(id, &failed) && !failed, "not listed after abort");
	is_int(s3_client_list_parts(&cl, &cr, now, key, strlen(key), id, &parts, &err),
	       S3_ERR_REMOTE, "list parts of the aborted upload: S3_ERR_REMOTE");
	is_int(err.status, 404, "404 (%s)", err.why);
	is_str(err.code, "NoSuchUpload", "NoSuchUpload");

	/* an upload id that never was */
	is_int(s3_client_list_parts(&cl, &cr, now, key, strlen(key), "no-such-upload-id", &parts, &err),
	       S3_ERR_REMOTE, "list parts of a nonexistent upload id");
	is_int(err.status, 404, "404 (%s)", err.why);
	{
		struct s3_complete_part p[] = { { 1, e1 } };

		is_int(s3_client_complete(&cl, &cr, now, key, strlen(key), "no-such-upload-id", p, 1,
		                          loc, etag, &err), S3_ERR_REMOTE, "complete of a nonexistent upload id");
		is_int(err.status, 404, "404 (%s)", err.why);
	}
	is_int(s3_client_abort(&cl, &cr, now, key, strlen(key), "no-such-upload-id", &err),
	       S3_ERR_REMOTE, "abort of a nonexistent upload id");
	is_int(err.status, 404, "404 (%s)", err.why);

	/* a wrong secret: S3's fault from the caller's view, 502 */
	{
		struct s3_creds bad = { cr.access_key, "wrong-secret", NULL };

		is_int(s3_client_create(&cl, &bad, now, &in, id, sizeof id, &err), S3_ERR_REMOTE,
		       "a wrong secret: S3_ERR_REMOTE");
		is_int(err.status, 502, "502 (%s)", err.why);
		is_int(err.attempts, 1, "a 403 is not retried");
	}
}

/* ListParts across pages: the client asks 2 parts a page here (S3 lists
 * at most 1000 a page; s3api allows no part number over 1000) */
static void test_pages(void)
{
	const char *key = "s3client/many.bin";
	struct s3_create_in in = { .key = key, .key_len = strlen(key) };
	char id[S3XML_MAX_UPLOAD_ID + 1], etag[S3XML_MAX_ETAG + 1];
	struct s3_client small = cl;
	struct s3_call_error err;
	struct s3xml_parts parts;
	unsigned n = 5, put = 0, in_order = 1;

	small.page_parts = 2;
	is_int(s3_client_create(&cl, &cr, now, &in, id, sizeof id, &err), S3_OK, "create (%s)", err.why);
	for (unsigned i = 1; i <= n; i++)
		put += put_part(key, id, i, "p", 1, etag, sizeof etag);
	is_int(put, n, "%u one-byte parts PUT", n);
	is_int(s3_client_list_parts(&small, &cr, now, key, strlen(key), id, &parts, &err), S3_OK,
	       "list parts, 2 a page (%s)", err.why);
	is_int(parts.n, n, "every part listed");
	for (size_t i = 0; i < parts.n; i++)
		in_order &= parts.part[i].number == i + 1;
	ok(in_order, "in order, none twice");
	s3xml_parts_free(&parts);
	is_int(s3_client_abort(&cl, &cr, now, key, strlen(key), id, &err), S3_OK, "abort (%s)", err.why);
}

static void test_down(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof a;
	struct s3_client down = cl;
	struct s3_create_in in = { .key = "k", .key_len = 1 };
	char ep[64], id[S3XML_MAX_UPLOAD_ID + 1];
	struct s3_call_error err;
	long long t0;
	int s = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(s, (struct sockaddr *)&a, sizeof a);
	getsockname(s, (struct sockaddr *)&a, &al);
	close(s);
	snprintf(ep, sizeof ep, "http://127.0.0.1:%d", ntohs(a.sin_port));
	down.target.endpoint = ep;
	down.timeout_ms = 500;
	t0 = s3_mono_ms();
	is_int(s3_client_create(&down, &cr, now, &in, id, sizeof id, &err), S3_ERR_IO,
	       "S3 down: S3_ERR_IO");
	is_int(err.status, 502, "502 (%s)", err.why);
	is_int(err.attempts, 1 + S3_CLIENT_RETRIES, "after the retries");
	ok(s3_mono_ms() - t0 < (1 + S3_CLIENT_RETRIES) * 500 + 1000, "within the timeouts (%lld ms)",
	   s3_mono_ms() - t0);
	ok(!strstr(err.why, "uploads"), "why names no query");
}

int main(void)
{
	const char *live = getenv("S3_CLIENT_LIVE");

	if (!live || strcmp(live, "1")) {
		printf("1..0 # SKIP S3_CLIENT_LIVE not set (run by tests/s3_client.sh)\n");
		return 0;
	}
	cl.target.bucket = getenv("S3_BUCKET");
	cl.target.region = getenv("S3_REGION");
	cl.target.endpoint = getenv("S3_ENDPOINT");
	cl.target.style = S3_STYLE_PATH;
	cr.access_key = getenv("AWS_ACCESS_KEY_ID");
	cr.secret_key = getenv("AWS_SECRET_ACCESS_KEY");
	if (!cl.target.bucket || !cl.target.region || !cl.target.endpoint || !cr.access_key ||
	    !cr.secret_key || strncmp(cl.target.endpoint, "http://127.0.0.1:", 17)) {
		printf("1..0 # SKIP no local S3 env (S3_ENDPOINT must be http://127.0.0.1:PORT)\n");
		return 0;
	}
	now = time(NULL);
	test_roundtrip();
	test_errors();
	test_pages();
	test_down();
	s3_http_cleanup();
	return done_testing();
}
