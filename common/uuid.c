/* uuid.c - version 4 UUIDs; see uuid.h. */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <unistd.h>
#include "uuid.h"

/* Random bytes drawn S3_UUID_POOL UUIDs at a time (README, Performance:
 * what the pool is worth in bench_handler). Bytes are wiped as they are
 * used; a pool inherited through fork() is thrown away, so two processes
 * never hand out the same bytes: by a pthread_atfork() child handler, or,
 * if that could not be registered, by comparing getpid() on every call. */
static unsigned char pool[S3_UUID_POOL * 16];
static size_t pool_left;        /* unused bytes, at the end of pool */
static pid_t pool_pid;
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;
static int pool_atfork;         /* the fork handler is registered */

/* Where the bytes come from: OpenSSL's seed source (EVP_RAND "SEED-SRC":
 * the operating system's CSPRNG, getrandom() on Linux), from which the
 * DRBG behind RAND_bytes seeds itself; setting that DRBG up is a large part
 * of a plain-CGI request (README, Performance: `make bench-cgi`). Where it
 * cannot be had (a provider configuration without it), RAND_bytes. */
static EVP_RAND_CTX *seed;
static int seed_tried;

static int draw(unsigned char *buf, size_t n)
{
	if (!seed_tried) {
		EVP_RAND *r = EVP_RAND_fetch(NULL, "SEED-SRC", NULL);

		seed_tried = 1;
		seed = r ? EVP_RAND_CTX_new(r, NULL) : NULL;
		EVP_RAND_free(r);     /* the context holds its own reference */
		if (seed && !EVP_RAND_instantiate(seed, 0, 0, NULL, 0, NULL)) {
			EVP_RAND_CTX_free(seed);
			seed = NULL;
		}
	}
	if (seed && EVP_RAND_generate(seed, buf, n, 0, 0, NULL, 0))
		return 1;
	return RAND_bytes(buf, (int)n) == 1;
}

static void pool_discard(void)
{
	OPENSSL_cleanse(pool, sizeof pool);
	pool_left = 0;
}

static void pool_register(void)
{
	pool_atfork = pthread_atfork(NULL, NULL, pool_discard) == 0;
}

void s3_uuid_format(const unsigned char raw[16], char out[37])
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	for (i = 0; i < 16; i++) {
		unsigned char b = raw[i];

		if (i == 6)
			b = (unsigned char)((b & 0x0F) | 0x40);
		else if (i == 8)
			b = (unsigned char)((b & 0x3F) | 0x80);
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[b >> 4];
		out[o++] = hex[b & 0x0F];
	}
	out[o] = '\0';
}

enum s3_err s3_uuid_v4(char out[37])
{
	unsigned char *raw;

	out[0] = '\0';
	pthread_once(&pool_once, pool_register);
	if (!pool_atfork && pool_pid != getpid()) {
		pool_discard();
		pool_pid = getpid();
	}
	if (pool_left < 16) {
		if (!draw(pool, sizeof pool)) {
			pool_discard();
			return S3_ERR_CRYPTO;
		}
		pool_left = sizeof pool;
	}
	raw = pool + sizeof pool - pool_left;
	s3_uuid_format(raw, out);
	OPENSSL_cleanse(raw, 16);
	pool_left -= 16;
	return S3_OK;
}
