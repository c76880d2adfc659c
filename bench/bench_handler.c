/* bench_handler.c - the cost of one /api/sign_s3 request inside the
 * responder, without the web server: s3_handle (decode, sanitize, MIME,
 * UUID, presign, JSON) plus the CGI head, in one process, on one thread,
 * the way a FastCGI worker runs them. Part of `make bench` (bench/presign.sh).
 *
 *   bench_handler [SECONDS]
 *
 * Prints "name value" lines: requests per second and microseconds per
 * request for the reference request (JSON, type given), the same as a form,
 * and one whose type comes from the extension. Each answer is checked
 * (200, and the body starts as a success body does), so a refusal cannot
 * pass for speed. handler_json_status: the same request with the status
 * page's counting (S3_STATUS=1: the clock read before, s3_stats_request
 * after, as serve.c does), interleaved with the plain one. */
#include "date.h"
#include "handler.h"
#include "stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* With COLD: between requests, what the worker's caches see in a server
 * (nginx and the kernel run between two requests) is imitated by walking
 * EVICT_BYTES of other memory and the time of each request alone is
 * summed. */
#define EVICT_BYTES (4u << 20)
static unsigned char *evict_buf;
static volatile unsigned evict_sink;

static void evict(void)
{
	unsigned s = 0;

	for (size_t i = 0; i < EVICT_BYTES; i += 64)
		s += evict_buf[i]++;
	evict_sink = s;
}

/* One request, answered and checked: 200, a success body, a head. A
 * refusal must not pass for speed. */
static int counting;    /* the status page's counting around each request */

static void one(struct s3_app *app, const struct s3_req_in *in)
{
	static const char ok[] = "{\"file_type\":";
	char head[S3_RESP_HEAD_MAX];
	struct s3_response r;
	long long t0 = counting ? s3_mono_us() : 0;

	s3_response_init(&r);
	s3_handle(app, in, time(NULL), &r);
	if (counting)
		s3_stats_request(app, 0, &r, t0);
	if (r.status != 200 || r.body_len < sizeof ok || memcmp(r.body, ok, sizeof ok - 1) ||
	    !s3_response_head(&r, head, sizeof head)) {
		fprintf(stderr, "bench_handler: answer %d: %.200s\n", r.status,
		        r.body ? r.body : "");
		exit(1);
	}
	s3_response_free(&r);
}

static double cold_run(struct s3_app *app, const struct s3_req_in *in, int n)
{
	double busy = 0;

	for (int i = 0; i < n; i++) {
		double t0;

		evict();
		t0 = now_s();
		one(app, in);
		busy += now_s() - t0;
	}
	return n / busy;
}

/* Requests per second answering in for about `seconds`. */
static double run(struct s3_app *app, const struct s3_req_in *in, double seconds)
{
	double t0 = now_s(), t;
	long n = 0;

	do {
		for (int i = 0; i < 1000; i++)
			one(app, in);
		n += 1000;
		t = now_s() - t0;
	} while (t < seconds);
	return (double)n / t;
}

static void report(const char *name, double rps)
{
	printf("handler_%s_per_sec %.0f\n", name, rps);
	printf("handler_%s_us %.2f\n", name, 1e6 / rps);
}

int main(int argc, char **argv)
{
	static const char json[] = "{\"file_name\":\"photo.jpg\",\"file_type\":\"image/jpeg\"}";
	static const char form[] = "file_name=photo.jpg&file_type=image%2Fjpeg";
	static const char bare[] = "{\"file_name\":\"Holiday Photo.JPG\",\"file_type\":\"\"}";
	static const char sized[] = "{\"file_name\":\"photo.jpg\",\"file_type\":\"image/jpeg\","
	                            "\"file_size\":2097152,\"file_md5\":\"rL0Y20zC+Fzt72VPzMSk2A==\"}";
	double secs = argc > 1 ? atof(argv[1]) : 2.0;
	struct s3_app app;
	char err[256];
	struct s3_req_in in = { .method = "POST", .content_type = "application/json",
	                        .body = json, .body_len = sizeof json - 1 };

	if (secs <= 0)
		secs = 2.0;
	if (s3_app_init(&app, lookup, NULL, 1, err, sizeof err) != S3_OK) {
		fprintf(stderr, "bench_handler: %s\n", err);
		return 1;
	}
	run(&app, &in, secs / 4);                         /* warm-up */
	if ((evict_buf = calloc(1, EVICT_BYTES)) == NULL)
		return 1;
	report("json_cold", cold_run(&app, &in, 20000));
	report("json", run(&app, &in, secs));
	in = (struct s3_req_in){ .method = "POST",
	                         .content_type = "application/x-www-form-urlencoded",
	                         .body = form, .body_len = sizeof form - 1 };
	report("form", run(&app, &in, secs));
	in = (struct s3_req_in){ .method = "POST", .content_type = "application/json",
	                         .body = bare, .body_len = sizeof bare - 1 };
	report("json_type_from_name", run(&app, &in, secs));
	{
		/* file_size and file_md5 signed too (issue 12), interleaved with
		 * the plain request so both see the same machine */
		struct s3_req_in plain = { .method = "POST", .content_type = "application/json",
		                           .body = json, .body_len = sizeof json - 1 };
		struct s3_req_in with = { .method = "POST", .content_type = "application/json",
		                          .body = sized, .body_len = sizeof sized - 1 };
		double a = 0, b = 0;

		for (int i = 0; i < 4; i++) {
			a += run(&app, &plain, secs / 4);
			b += run(&app, &with, secs / 4);
		}
		report("json_plain_interleaved", a / 4);
		report("json_size_md5", b / 4);
		printf("ratio_size_md5_vs_plain %.3f\n", b / a);
		/* the status page's counting (issue 13), the same way */
		a = b = 0;
		for (int i = 0; i < 4; i++) {
			counting = 0;
			a += run(&app, &plain, secs / 4);
			counting = 1;
			b += run(&app, &plain, secs / 4);
		}
		counting = 0;
		report("json_plain_interleaved2", a / 4);
		report("json_status", b / 4);
		printf("ratio_status_counting_vs_plain %.3f\n", b / a);
		{
			/* its parts alone: the clock read before the request, and
			 * s3_stats_request after it (its own clock read, route,
			 * class, bucket, credentials) */
			struct s3_response r;
			long n = 5000000;
			long long t0 = s3_mono_us(), sink = 0;
			double t = now_s();

			for (long i = 0; i < n; i++)
				sink += s3_mono_us();
			printf("status_clock_read_ns %.1f\n", (now_s() - t) / n * 1e9 + (double)(sink & 0));
			s3_response_init(&r);
			r.status = 200;
			t = now_s();
			for (long i = 0; i < n; i++)
				s3_stats_request(&app, 0, &r, t0);
			printf("status_stats_request_ns %.1f\n", (now_s() - t) / n * 1e9);
		}
		{
			struct s3_stats_snap snap;

			s3_stats_snapshot(&snap);
			if (!snap.req[0][0] || snap.lat[S3_STATS_BUCKETS - 1] == snap.req[0][0]) {
				fprintf(stderr, "bench_handler: nothing counted\n");
				return 1;
			}
		}
	}
	s3_app_free(&app);
	return 0;
}
