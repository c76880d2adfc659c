/* bench_s3client.c - the S3 client (s3client.h) against a real S3, one
 * thread: create + complete, i.e. CreateMultipartUpload, one 1 KiB part
 * PUT to its presigned UploadPart URL (mp_sign_part, the URL the browser
 * gets) through the same HTTP client, CompleteMultipartUpload; repeated
 * for about SECONDS (at least MIN_ITER times). bench/s3.sh runs it against
 * scripts/s3-local.sh (127.0.0.1) next to bench/boto3_s3_bench.py, which
 * makes the same three calls with botocore.
 *
 *   bench_s3client [SECONDS]
 *
 * Configuration from the environment that s3-local.sh start prints
 * (S3_ENDPOINT, S3_BUCKET, S3_REGION, S3_PATH_STYLE, AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY); only those names are read. Prints "name value"
 * lines: calls per second (one call = create + part + complete), and the
 * new TCP connections the first and the second call opened
 * (s3_http_connects(): the second should be 0, the connection kept),
 * and this process's CPU time per call (the client's own cost; the wall
 * time is mostly the server's).
 * Nothing secret is printed; a failure prints the client's log line. */
#include "multipart.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "uuid.h"

#define MIN_ITER 20
#define PART_BYTES 1024

static const char *const names[] = {
	"S3_ENDPOINT", "S3_BUCKET", "S3_REGION", "S3_PATH_STYLE",
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", NULL,
};

static const char *lookup(void *ctx, const char *name)
{
	(void)ctx;
	for (const char *const *p = names; *p; p++)
		if (!strcmp(*p, name))
			return getenv(name);
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fail(const char *what, const char *why)
{
	fprintf(stderr, "bench_s3client: %s: %s\n", what, why);
	exit(1);
}

/* One create + part + complete on a fresh key. */
static void one(struct s3_app *app, const struct s3_client *cl, const struct s3_creds *c,
                unsigned expires, const char *body)
{
	static const char *const want[] = { "ETag" };
	char key[80], uuid[37], id[S3_MP_UPLOAD_ID_MAX + 1], url[SIGV4_URL_MAX];
	char why[S3_HTTP_WHY_MAX], loc[S3XML_MAX_LOCATION + 1], etag[S3XML_MAX_ETAG + 1];
	struct s3_create_in cin = { .content_type = "application/octet-stream" };
	struct s3_call_error err;
	struct s3_response out;
	struct s3_http_response resp;
	struct s3_complete_part part;
	time_t now = time(NULL);

	if (s3_uuid_v4(uuid) != S3_OK)
		fail("uuid", "RAND_bytes");
	snprintf(key, sizeof key, "uploads/%s/bench.bin", uuid);
	cin.key = key;
	cin.key_len = strlen(key);
	memset(&err, 0, sizeof err);
	if (s3_client_create(cl, c, now, &cin, id, sizeof id, &err) != S3_OK)
		fail("create", err.why);
	s3_response_init(&out);
	if (mp_sign_part(app, key, cin.key_len, id, 1, NULL, c, expires, now, url, sizeof url,
	                 &out))
		fail("sign part", "presign");
	s3_response_free(&out);
	struct s3_http_request req = {
		.method = "PUT", .url = url, .body = body, .body_len = PART_BYTES,
		.want_headers = want, .nwant = 1,
	};
	memset(&resp, 0, sizeof resp);
	if (s3_http_curl(NULL, &req, &resp, why, sizeof why) != S3_OK)
		fail("upload part", why);
	if (resp.status != 200 || !resp.header_values[0]) {
		snprintf(why, sizeof why, "HTTP %ld%s", resp.status,
		         resp.header_values[0] ? "" : ", no ETag");
		fail("upload part", why);
	}
	snprintf(etag, sizeof etag, "%s", resp.header_values[0]);
	s3_http_response_free(&resp);
	part.number = 1;
	part.etag = etag;
	{
		char oetag[S3XML_MAX_ETAG + 1];

		memset(&err, 0, sizeof err);
		if (s3_client_complete(cl, c, now, key, cin.key_len, id, &part, 1, loc, oetag,
		                       &err) != S3_OK)
			fail("complete", err.why);
	}
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 3.0, t0, t, cpu0;
	static char body[PART_BYTES];
	char err[256], why[S3_CREDS_WHY_MAX];
	struct s3_app app;
	struct s3_client cl;
	struct s3_creds c;
	struct s3_response out;
	unsigned expires = 0;
	long c0, c1, c2, n = 0;

	if (secs <= 0)
		secs = 3.0;
	if (!getenv("S3_ENDPOINT"))
		fail("S3_ENDPOINT", "not set (run bench/s3.sh)");
	memset(body, 'x', sizeof body);
	if (s3_app_init(&app, lookup, NULL, 1, err, sizeof err) != S3_OK)
		fail("config", err);
	s3_response_init(&out);
	if (s3_app_creds(&app, time(NULL), &c, &expires, why, &out))
		fail("credentials", out.message);
	s3_response_free(&out);
	mp_client(&app, &cl);

	c0 = s3_http_connects();
	one(&app, &cl, &c, expires, body);
	c1 = s3_http_connects();
	one(&app, &cl, &c, expires, body);
	c2 = s3_http_connects();
	printf("s3client_new_connections_call1 %ld\n", c1 - c0);
	printf("s3client_new_connections_call2 %ld\n", c2 - c1);
	t0 = now_s();
	cpu0 = cpu_s();
	do {
		one(&app, &cl, &c, expires, body);
		n++;
		t = now_s() - t0;
	} while (t < secs || n < MIN_ITER);
	printf("s3client_create_complete_per_sec %.1f\n", n / t);
	printf("s3client_create_complete_ms %.2f\n", 1e3 * t / n);
	printf("s3client_create_complete_calls %ld\n", n);
	printf("s3client_cpu_ms_per_call %.3f\n", 1e3 * (cpu_s() - cpu0) / n);
	printf("s3client_new_connections_loop %ld\n", s3_http_connects() - c2);
	s3_http_cleanup();
	s3_app_free(&app);
	return 0;
}
