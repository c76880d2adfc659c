/* bench_verify.c - the cost of POST /api/sign_s3/verify inside the
 * responder, without its two S3 round trips: the route (decode, key
 * check, credentials), HeadObject and ranged GetObject signed, their
 * answers read, libmagic on the first 4 KiB of a PNG, the upload policy
 * again, the JSON answer. S3 is an in-process fake transport answering
 * at once (app.s3_http), so what is measured is sign_s3's own work per
 * call; the same run's single presign figure is the baseline
 * (bench/presign.sh prints the ratio).
 *   bench_verify [SECONDS]   prints "verify_per_sec N" and "verify_us N" */
#include "route.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KEY "uploads/0b7f3c2e-6a1d-4e8f-9c3b-5d2a1e0f4c6b/photo.png"

struct kv { const char *k, *v; };

static const struct kv env[] = {
	{ "S3_BUCKET", "examplebucket" },
	{ "S3_REGION", "us-east-1" },
	{ "S3_ENDPOINT", "http://127.0.0.1:9" },
	{ "AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE" },
	{ "AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" },
	{ "S3_ALLOWED_TYPES", "image/*" },
	{ NULL, NULL },
};

static const char *lookup(void *ctx, const char *name)
{
	(void)ctx;
	for (const struct kv *p = env; p->k; p++)
		if (!strcmp(p->k, name))
			return p->v;
	return NULL;
}

/* A PNG's first 4 KiB: the signature and an IHDR chunk, then zeros. */
static unsigned char png[4096];

static char *dup_str(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);

	if (!d)
		exit(1);
	memcpy(d, s, n);
	return d;
}

/* S3, answering at once: HEAD with the object's headers, GET with its
 * first bytes. */
static enum s3_err fake_s3(void *ctx, const struct s3_http_request *rq,
                           struct s3_http_response *rs, char *why, size_t whycap)
{
	(void)ctx, (void)why, (void)whycap;
	memset(rs, 0, sizeof *rs);
	rs->status = 200;
	if (!strcmp(rq->method, "HEAD")) {
		for (size_t i = 0; i < rq->nwant; i++) {
			if (!strcmp(rq->want_headers[i], "content-length"))
				rs->header_values[i] = dup_str("2097152");
			else if (!strcmp(rq->want_headers[i], "content-type"))
				rs->header_values[i] = dup_str("image/png");
			else if (!strcmp(rq->want_headers[i], "etag"))
				rs->header_values[i] = dup_str("\"b54357faf0632cce46e942fa68356b38\"");
		}
		rs->body = dup_str("");
		return S3_OK;
	}
	rs->status = 206;
	rs->len = sizeof png;
	if (!(rs->body = malloc(sizeof png + 1)))
		exit(1);
	memcpy(rs->body, png, sizeof png);
	rs->body[sizeof png] = '\0';
	return S3_OK;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void one(struct s3_app *app, const struct s3_req_in *in)
{
	struct s3_response r;

	s3_response_init(&r);
	s3_route(app, in, time(NULL), &r);
	if (r.status != 200 || !strstr(r.body, "\"detected_type\":\"image/png\"")) {
		fprintf(stderr, "bench_verify: answer %d: %.300s (%s)\n", r.status,
		        r.body ? r.body : "", r.message);
		exit(1);
	}
	s3_response_free(&r);
}

int main(int argc, char **argv)
{
	static const char body[] = "{\"key\":\"" KEY "\"}";
	static const unsigned char head[] = {
		0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R',
		0, 0, 1, 0, 0, 0, 1, 0, 8, 6, 0, 0, 0,
	};
	double secs = argc > 1 ? atof(argv[1]) : 2.0, t0, t;
	struct s3_req_in in = { .method = "POST", .path = "/api/sign_s3/verify",
	                        .content_type = "application/json",
	                        .body = body, .body_len = sizeof body - 1 };
	struct s3_app app;
	char err[256];
	long n = 0;

	if (secs <= 0)
		secs = 2.0;
	memcpy(png, head, sizeof head);
	if (s3_app_init(&app, lookup, NULL, 1, err, sizeof err) != S3_OK) {
		fprintf(stderr, "bench_verify: %s\n", err);
		return 1;
	}
	app.s3_http = fake_s3;
	for (int i = 0; i < 2000; i++)       /* warm-up */
		one(&app, &in);
	t0 = now_s();
	do {
		for (int i = 0; i < 500; i++)
			one(&app, &in);
		n += 500;
		t = now_s() - t0;
	} while (t < secs);
	printf("verify_per_sec %.0f\n", (double)n / t);
	printf("verify_us %.2f\n", t * 1e6 / (double)n);
	s3_app_free(&app);
	return 0;
}
