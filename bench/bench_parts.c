/* bench_parts.c - presigned part URLs through the real route: GET
 * /api/s3/multipart/ID/batch?key=uploads/<uuid v4>/name&partNumbers=1..100
 * answered by s3_route (h_mp_sign_batch: decode, uploadId and key checks,
 * credentials, 100 presigns, JSON), one thread, an app from a fixed table
 * of configuration values as bench_handler.c makes it. Nothing is sent to
 * S3. Part of `make bench` (bench/presign.sh), which sets the per-part
 * figure against the single presign of the same run.
 *
 *   bench_parts [SECONDS]
 *
 * Prints "name value" lines: batches per second, parts per second and
 * microseconds per part. Each answer is checked (200, 100 URLs). */
#include "route.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PARTS 100

struct kv { const char *k, *v; };

static const struct kv env[] = {
	{ "S3_BUCKET", "examplebucket" },
	{ "S3_REGION", "us-east-1" },
	{ "AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE" },
	{ "AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" },
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

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t count(const char *s, const char *needle)
{
	size_t n = 0;

	while ((s = strstr(s, needle)) != NULL)
		n++, s++;
	return n;
}

/* One batch, answered and checked: 200 and PARTS URLs. */
static void one(struct s3_app *app, const struct s3_req_in *in, int check)
{
	struct s3_response r;

	s3_response_init(&r);
	s3_route(app, in, time(NULL), &r);
	if (r.status != 200 || !r.body ||
	    strncmp(r.body, "{\"presignedUrls\":", 17) ||
	    (check && count(r.body, "X-Amz-Signature=") != PARTS)) {
		fprintf(stderr, "bench_parts: answer %d: %.200s\n", r.status,
		        r.body ? r.body : "");
		exit(1);
	}
	s3_response_free(&r);
}

int main(int argc, char **argv)
{
	static const char path[] = "/api/s3/multipart/VXBsb2FkSWQtMQ/batch";
	static char query[1024];
	double secs = argc > 1 ? atof(argv[1]) : 2.0, t0, t;
	struct s3_app app;
	char err[256];
	size_t q;
	long n = 0;

	if (secs <= 0)
		secs = 2.0;
	q = (size_t)snprintf(query, sizeof query, "key=uploads%%2F"
	                     "0b7f3c2e-6a1d-4e8f-9c3b-5d2a1e0f4c7b%%2Fphoto.jpg&partNumbers=1");
	for (int i = 2; i <= PARTS; i++)
		q += (size_t)snprintf(query + q, sizeof query - q, ",%d", i);
	if (q >= sizeof query)
		return 1;
	struct s3_req_in in = { .method = "GET", .query = query, .path = path };

	if (s3_app_init(&app, lookup, NULL, 1, err, sizeof err) != S3_OK) {
		fprintf(stderr, "bench_parts: %s\n", err);
		return 1;
	}
	one(&app, &in, 1);                                /* checked once in full */
	t0 = now_s();
	do {                                              /* warm-up */
		one(&app, &in, 0);
	} while (now_s() - t0 < secs / 4);
	t0 = now_s();
	do {
		for (int i = 0; i < 100; i++)
			one(&app, &in, 0);
		n += 100;
		t = now_s() - t0;
	} while (t < secs);
	printf("parts_batches_per_sec %.0f\n", n / t);
	printf("parts_per_sec %.0f\n", n * PARTS / t);
	printf("parts_us_per_part %.3f\n", 1e6 * t / ((double)n * PARTS));
	s3_app_free(&app);
	return 0;
}
