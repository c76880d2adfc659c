/* bench_presign.c - presigned URLs per second for the signing core, one
 * thread: a PUT with a signed Content-Type for a key shaped like the
 * responder's (uploads/<uuid>/photo.jpg), with the signing-key cache (the
 * responder's path) and without it (a full key derivation each time).
 * Prints machine-readable lines "name value". */
#include "presign.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double run(double seconds, int use_cache)
{
	static char url[SIGV4_URL_MAX];
	struct s3_target t = { "examplebucket", "us-east-1", NULL, S3_STYLE_AUTO };
	struct s3_creds c = { "AKIAIOSFODNN7EXAMPLE",
	                      "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", NULL };
	char key[] = "uploads/0b7f3c2e-6a1d-4e8f-9c3b-000000000000/photo.jpg";
	struct s3_presign_in in = {
		.method = "PUT", .key = key, .key_len = strlen(key),
		.content_type = "image/jpeg", .expires = 60, .now = 1700000000,
	};
	struct sigv4_cache cache;
	unsigned long n = 0;
	double t0, el;

	sigv4_cache_init(&cache);
	t0 = now_s();
	do {
		for (int i = 0; i < 1000; i++, n++) {
			/* vary the key like fresh UUIDs do */
			for (int d = 0; d < 8; d++)
				key[51 - d] = "0123456789abcdef"[(n >> (4 * d)) & 15];
			if (s3_presign(&t, &c, &in, use_cache ? &cache : NULL,
			               url, sizeof url, NULL, 0) != S3_OK) {
				fprintf(stderr, "presign failed\n");
				exit(1);
			}
		}
		el = now_s() - t0;
	} while (el < seconds);
	sigv4_cache_clear(&cache);
	return n / el;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 3.0;

	if (secs <= 0)
		secs = 3.0;
	run(0.2, 1);   /* warm-up */
	printf("sign_s3_cached_presigns_per_sec %.0f\n", run(secs, 1));
	printf("sign_s3_uncached_presigns_per_sec %.0f\n", run(secs / 2, 0));
	return 0;
}
